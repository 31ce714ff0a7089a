//! One container: tabs for Overview (facts, live figures, the actions that fit), Logs,
//! Terminal and Files (the standalone pages, embedded), Startup (its script: edit, run now with
//! live output, the last run kept) and Settings (rename, limits, restart policy, delete).

use super::{button_class, label, ports_text, state_class, ContainerStatsLine};
use crate::api::containers::{change_container, container_action, delete_container, get_container, run_startup_script, save_startup_script, startup_script};
use crate::components::confirm::ConfirmDialog;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextArea, TextField};
use crate::components::toast::use_toasts;
use crate::live::{use_live, LiveMsg};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use pier_proto::containers::{stats_topic, ContainerAction, ContainerChange, ContainerState, ContainerView, RestartPolicy, ScriptEvent, StartupScript, StartupScriptView};
use pier_proto::live::Topic;
use pier_proto::ApiError;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Overview,
    Metrics,
    Logs,
    Terminal,
    Files,
    Startup,
    Settings,
}

impl Tab {
    const ALL: [Tab; 7] = [Tab::Overview, Tab::Metrics, Tab::Logs, Tab::Terminal, Tab::Files, Tab::Startup, Tab::Settings];
    fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Metrics => "Metrics",
            Tab::Logs => "Logs",
            Tab::Terminal => "Terminal",
            Tab::Files => "Files",
            Tab::Startup => "Startup",
            Tab::Settings => "Settings",
        }
    }
}

#[component]
pub fn ContainerDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let container = Resource::new(move || (id(), version.get()), |(id, _)| get_container(id));
    let tab = RwSignal::new(Tab::Overview);
    let reload = Callback::new(move |_| version.update(|n| *n += 1));
    // Docker's events for this container (started, died, renamed — also outside Pier) re-read it.
    use_live(Topic::new("containers").expect("valid topic"), move |msg| {
        let mine = match &msg {
            LiveMsg::Data(d) => d["id"].as_str() == Some(id().as_str()),
            LiveMsg::Resync => true,
        };
        if mine {
            reload.run(());
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || container.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(c) => view! { <Detail c tab reload/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Detail(c: ContainerView, tab: RwSignal<Tab>, reload: Callback<()>) -> impl IntoView {
    let c2 = c.clone();
    view! {
        <Title text=c.name.clone()/>
        <div class="page-head">
            <p><a href="/containers">"← Containers"</a></p>
            <h1>{c.name.clone()} " " <span class=state_class(c.state) data-testid="container-state">{c.state.as_str()}</span></h1>
            <p class="muted">{format!("{} · {}", c.image, c.status)}</p>
        </div>
        <div class="tabs" role="tablist">
            {Tab::ALL.map(|t| view! {
                <button type="button" role="tab" class="tab" aria-selected=move || (tab.get() == t).to_string()
                        on:click=move |_| tab.set(t)>{t.label()}</button>
            })}
        </div>
        <div role="tabpanel">
            {move || {
                let c = c2.clone();
                let frame = |what: &str, title: &str| view! { <iframe class="console-frame" title=title.to_string() src=format!("/containers/{}/{what}", c.id)></iframe> }.into_any();
                match tab.get() {
                    Tab::Overview => view! { <Overview c=c.clone() reload/> }.into_any(),
                    Tab::Metrics => view! { <crate::components::chart::MetricsPanel target=format!("container:{}", &c.id[..c.id.len().min(12)]) charts=crate::pages::monitoring::GUEST_CHARTS.to_vec()/> }.into_any(),
                    Tab::Logs => frame("logs", "Container logs"),
                    Tab::Terminal => frame("terminal", "Container terminal"),
                    Tab::Files => frame("files", "Container files"),
                    Tab::Startup => view! { <StartupPanel id=c.id.clone() running=c.state == ContainerState::Running/> }.into_any(),
                    Tab::Settings => view! { <Settings c=c.clone() reload/> }.into_any(),
                }
            }}
        </div>
    }
}

#[component]
fn Overview(c: ContainerView, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let (id, name, state) = (c.id.clone(), c.name.clone(), c.state);
    view! {
        <section class="card">
            <dl class="facts">
                <dt>"Image"</dt><dd>{c.image.clone()}</dd>
                <dt>"State"</dt><dd>{c.status.clone()}</dd>
                <dt>"Ports"</dt><dd>{ports_text(&c.ports)}</dd>
                <dt>"Owner"</dt><dd>{c.owner.clone().unwrap_or_else(|| "unmanaged (made outside Pier)".into())}</dd>
                <dt>"Id"</dt><dd><code>{c.id.clone()}</code></dd>
            </dl>
            {(state == ContainerState::Running).then(|| view! { <ContainerStatsLine id=c.id.clone()/> })}
            <div class="power-buttons" role="group" aria-label=format!("Actions for {}", c.name)>
                {ContainerAction::ALL.into_iter().map(|a| {
                    let (id, name) = (id.clone(), name.clone());
                    view! {
                        <button type="button" class=button_class(a) data-action=a.as_str() disabled=!a.allowed_from(state)
                                on:click=move |_| { let name = name.clone(); toasts.act(container_action(id.clone(), a), move |_| format!("{} {name}: done.", label(a)), reload) }>{label(a)}</button>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

/// The output view follows a run live: `Started` clears it, `Output` appends, `Finished` says
/// how it ended. Between runs it shows the kept tail of the last one.
#[component]
fn StartupPanel(id: String, running: bool) -> impl IntoView {
    let toasts = use_toasts();
    let loaded = Resource::new({ let id = id.clone(); move || id.clone() }, startup_script);
    let script = RwSignal::new(String::new());
    let enabled = RwSignal::new(false);
    let output = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    // What started the run shown ("manual", "start"), named in every status line.
    let trigger = RwSignal::new(String::new());
    // Once a run's events arrive, they are newer than the record read when the tab opened: a
    // record that resolves late must not put an older state back.
    let live_seen = RwSignal::new(false);
    let show = move |v: &StartupScriptView| {
        output.set(v.last_output.clone());
        busy.set(v.running);
        trigger.set(v.last_trigger.clone().unwrap_or_default());
        status.set(match (&v.last_started_at, v.running) {
            (_, true) => format!("Running ({})…", v.last_trigger.clone().unwrap_or_default()),
            (None, _) => "Not run yet.".into(),
            (Some(at), false) => format!("Last run ({}) at {at}: {}", v.last_trigger.clone().unwrap_or_default(), v.last_exit_code.map_or("no exit code".into(), |c| format!("exit code {c}"))),
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(v)) = loaded.get() {
            script.set(v.script.clone());
            enabled.set(v.enabled);
            if !live_seen.get_untracked() {
                show(&v);
            }
        }
    });
    use_live(Topic::new(stats_topic(&id)).expect("valid topic"), move |msg| {
        let LiveMsg::Data(d) = msg else { return };
        match serde_json::from_value::<ScriptEvent>(d) {
            Ok(ScriptEvent::Started { trigger: t }) => {
                live_seen.set(true);
                output.set(String::new());
                busy.set(true);
                status.set(format!("Running ({t})…"));
                trigger.set(t);
            }
            Ok(ScriptEvent::Output { text }) => output.update(|o| o.push_str(&text)),
            Ok(ScriptEvent::Finished { exit_code, error, trigger: t }) => {
                live_seen.set(true);
                busy.set(false);
                trigger.set(t.clone());
                status.set(match error {
                    Some(e) => format!("Failed ({t}): {e}"),
                    None => format!("Finished ({t}): {}", exit_code.map_or("no exit code".into(), |c| format!("exit code {c}"))),
                });
            }
            Err(_) => {} // the topic's figures
        }
    });
    let save = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let s = StartupScript { script: script.get_untracked(), enabled: enabled.get_untracked() };
            if let Err(e) = s.validate() {
                return error.set(Some(e));
            }
            error.set(None);
            let id = id.clone();
            spawn_local(async move {
                match save_startup_script(id, s).await {
                    Ok(_) => toasts.success("Startup script saved."),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let run = move |_| {
        let id = id.clone();
        spawn_local(async move {
            if let Err(e) = run_startup_script(id).await {
                toasts.error(e.message);
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Startup script"</h2>
            <p class="muted small">"Runs inside the container with its /bin/sh (or Pier's busybox sh when the image has none) after every start, and when you press Run now."</p>
            <form class="stack-form" on:submit=save novalidate=true>
                <TextArea id="script-text" label="Script" value=script error field="script"/>
                <label class="check"><input type="checkbox" id="script-enabled" prop:checked=move || enabled.get() on:change=move |ev| enabled.set(event_target_checked(&ev))/>" Run after every start"</label>
                <div class="power-buttons">
                    <button type="submit" class="button small">"Save script"</button>
                    <button type="button" class="button small primary" disabled=move || busy.get() || !running on:click=run
                            title=if running { "" } else { "Start the container to run its script" }>"Run now"</button>
                </div>
            </form>
            {form_error(error)}
            <p class="muted small" data-testid="script-status" aria-live="polite">{move || status.get()}</p>
            <pre class="script-output" data-testid="script-output">{move || output.get()}</pre>
        </section>
    }
}

#[component]
fn Settings(c: ContainerView, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let confirm_open = RwSignal::new(false);
    let with_volumes = RwSignal::new(false);
    let (id, name) = (c.id.clone(), c.name.clone());
    let navigate = leptos_router::hooks::use_navigate();
    let remove = {
        let (id, name) = (id.clone(), name.clone());
        Callback::new(move |_| {
            let (id, name, navigate) = (id.clone(), name.clone(), navigate.clone());
            spawn_local(async move {
                match delete_container(id, name.clone(), with_volumes.get_untracked()).await {
                    Ok(()) => {
                        toasts.success(format!("Deleted {name}."));
                        navigate("/containers", Default::default());
                    }
                    Err(e) => toasts.error(e.message),
                }
            });
        })
    };
    view! {
        {c.owner.is_some().then(|| view! { <section class="card"><ContainerSettings id=id.clone() name=name.clone() reload/></section> })}
        <section class="card">
            <h2>"Delete"</h2>
            <label class="check small"><input type="checkbox" prop:checked=move || with_volumes.get()
                on:change=move |ev| with_volumes.set(event_target_checked(&ev))/>" Also remove its anonymous volumes"</label>
            <button type="button" class="button danger" on:click=move |_| confirm_open.set(true)>"Delete container"</button>
            <ConfirmDialog open=confirm_open title=format!("Delete {name}?")
                message="The container is stopped and removed from the engine. Its logs and startup script go with it."
                confirm_text=name.clone() action_label="Delete container" on_confirm=remove/>
        </section>
    }
}

/// Rename, limits and restart policy of an existing container (applied without a restart).
#[component]
fn ContainerSettings(id: String, name: String, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let new_name = RwSignal::new(name);
    let memory = RwSignal::new(String::new());
    let cpus = RwSignal::new(String::new());
    let restart = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let num = |s: RwSignal<String>, field: &str| {
            let t = s.get_untracked();
            if t.trim().is_empty() { Ok(None) } else { t.trim().parse::<f64>().map(Some).map_err(|_| ApiError::invalid(field, "Enter a number (0 removes the limit).")) }
        };
        let change = (|| {
            Ok::<_, ApiError>(ContainerChange {
                name: Some(new_name.get_untracked().trim().to_string()),
                memory_mib: num(memory, "memory_mib")?.map(|m| m as u64),
                cpus: num(cpus, "cpus")?,
                restart: match restart.get_untracked().as_str() {
                    "no" => Some(RestartPolicy::No),
                    "on-failure" => Some(RestartPolicy::OnFailure),
                    "unless-stopped" => Some(RestartPolicy::UnlessStopped),
                    "always" => Some(RestartPolicy::Always),
                    _ => None,
                },
            })
        })();
        match change.and_then(|c| c.validate().map(|_| c)) {
            Ok(c) => {
                error.set(None);
                toasts.act(change_container(id.clone(), c), |v| format!("{} updated.", v.name), reload);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <div>
            <h2>"Settings"</h2>
            <form class="stack-form" on:submit=submit novalidate=true>
                <TextField id="cs-name" label="Name" value=new_name error field="name"/>
                <TextField id="cs-memory" label="Memory limit (MiB; 0 = none; empty = unchanged)" value=memory error field="memory_mib"/>
                <TextField id="cs-cpus" label="CPU limit (0 = none; empty = unchanged)" value=cpus error field="cpus"/>
                <div class="field"><label for="cs-restart">"Restart policy"</label>
                    <select id="cs-restart" prop:value=move || restart.get() on:change=move |ev| restart.set(event_target_value(&ev))>
                        <option value="">"Unchanged"</option><option value="no">"Never"</option><option value="on-failure">"On failure"</option>
                        <option value="unless-stopped">"Unless stopped"</option><option value="always">"Always"</option>
                    </select></div>
                <button type="submit" class="button small">"Save settings"</button>
            </form>
            {form_error(error)}
        </div>
    }
}

