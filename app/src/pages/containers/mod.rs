//! Containers: cards with state, ports and the actions that fit (owners and admins), filters,
//! a create form from the engine's local images, delete with the name typed again; staff also
//! see the engines, their images and containers made outside Pier (unmanaged). One container's
//! page with tabs is `detail`; engines and images are `platform`.

pub mod detail;
pub mod platform;

use crate::api::containers::{adopt_container, container_action, container_images, create_container, delete_container, list_containers, list_engines};
use crate::components::confirm::ConfirmDialog;
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::{field_error, form_error, TextArea, TextField};
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use crate::live::{use_live, use_live_burst, LiveMsg};
use crate::pages::vps::live::rate;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::accounts::Role;
use pier_proto::containers::{stats_topic, ContainerAction, ContainerState, ContainerStats, ContainerView, Mount, NewContainer, PortMapping, Protocol, RestartPolicy};
use pier_proto::live::Topic;
use pier_proto::ApiError;

pub(super) fn state_class(s: ContainerState) -> &'static str {
    match s {
        ContainerState::Running => "badge badge-succeeded",
        ContainerState::Restarting | ContainerState::Removing => "badge badge-running",
        ContainerState::Created | ContainerState::Exited | ContainerState::Paused => "badge badge-queued",
        ContainerState::Dead => "badge badge-failed",
    }
}

pub(super) fn button_class(a: ContainerAction) -> &'static str {
    match a {
        ContainerAction::Start | ContainerAction::Unpause => "button small power-start",
        ContainerAction::Stop | ContainerAction::Kill => "button small power-stop",
        ContainerAction::Restart | ContainerAction::Pause => "button small power-restart",
    }
}

pub(super) fn label(a: ContainerAction) -> &'static str {
    match a {
        ContainerAction::Start => "Start",
        ContainerAction::Stop => "Stop",
        ContainerAction::Restart => "Restart",
        ContainerAction::Kill => "Kill",
        ContainerAction::Pause => "Pause",
        ContainerAction::Unpause => "Resume",
    }
}

pub(super) fn ports_text(ports: &[PortMapping]) -> String {
    if ports.is_empty() {
        return "none".into();
    }
    ports
        .iter()
        .map(|p| {
            let host = if p.public { "0.0.0.0" } else { "127.0.0.1" };
            let proto = if p.protocol == Protocol::Udp { "/udp" } else { "" };
            format!("{host}:{} → {}{proto}", p.host_port, p.container_port)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
pub fn ContainersPage() -> impl IntoView {
    let me = use_current_user().0;
    let is_staff = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| matches!(u.role, Role::Admin | Role::Support));
    let version = RwSignal::new(0u32);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let list = Resource::new(move || version.get(), |_| list_containers());
    let filter = RwSignal::new(String::new());
    let state_filter = RwSignal::new(String::new());
    let owner_filter = RwSignal::new(String::new());
    let engine_filter = RwSignal::new(String::new());
    // Staff see every engine (for the engine filter and the engines card); others need none.
    let engines = Resource::new(is_staff, |staff| async move { if staff { list_engines().await.unwrap_or_default() } else { Vec::new() } });
    // Docker's own events (started, died, removed — also by `docker` outside Pier) refresh the
    // list; a burst of them (create + start) reloads once.
    use_live_burst([Topic::new("containers").expect("valid topic")], std::time::Duration::from_millis(250), reload);
    view! {
        <Title text="Containers"/>
        <div class="page-head">
            <h1>"Containers"</h1>
            <p class="muted">"Docker containers you own. Ports are published on 127.0.0.1 unless you choose otherwise."</p>
        </div>
        <Show when=is_staff><platform::EnginesCard engines/><platform::ImagesCard engines/></Show>
        <CreateContainer on_created=reload/>
        <div class="filters" role="search">
            <input type="search" placeholder="Filter by name or image" aria-label="Filter containers"
                   prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
            <select aria-label="State" prop:value=move || state_filter.get() on:change=move |ev| state_filter.set(event_target_value(&ev))>
                <option value="">"Any state"</option>
                {["running", "paused", "exited", "created", "restarting", "dead"].map(|s| view! { <option value=s>{s}</option> })}
            </select>
            // Resources are read inside a Transition only: outside one the server renders them
            // empty and the browser full, and hydration fails.
            <Show when=is_staff>
                <Transition fallback=|| ()>
                    {move || list.get().and_then(Result::ok).map(|l| {
                        let mut owners: Vec<String> = l.into_iter().filter_map(|c| c.owner).collect();
                        owners.sort();
                        owners.dedup();
                        view! {
                            <select aria-label="Owner" prop:value=move || owner_filter.get() on:change=move |ev| owner_filter.set(event_target_value(&ev))>
                                <option value="">"Any owner"</option>
                                <option value="-">"Unmanaged"</option>
                                {owners.into_iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
                            </select>
                        }
                    })}
                    {move || engines.get().map(|l| view! {
                        <select aria-label="Engine" prop:value=move || engine_filter.get() on:change=move |ev| engine_filter.set(event_target_value(&ev))>
                            <option value="">"Any engine"</option>
                            {l.into_iter().map(|e| view! { <option value=e.id.to_string()>{e.name}</option> }).collect_view()}
                        </select>
                    })}
                </Transition>
            </Show>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading containers…"</p> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(list) if list.is_empty() => view! { <EmptyState icon="containers" title="No containers yet" text="Create one above from an image on the engine."/> }.into_any(),
                Ok(list) => {
                    let shown = move || {
                        let f = filter.get().to_lowercase();
                        let (state, owner, engine) = (state_filter.get(), owner_filter.get(), engine_filter.get());
                        list.iter()
                            .filter(|c| f.is_empty() || [c.name.as_str(), c.image.as_str()].iter().any(|s| s.to_lowercase().contains(&f)))
                            .filter(|c| state.is_empty() || c.state.as_str() == state)
                            .filter(|c| owner.is_empty() || c.owner.as_deref().unwrap_or("-") == owner)
                            .filter(|c| engine.is_empty() || c.engine_id.to_string() == engine)
                            .cloned()
                            .collect::<Vec<_>>()
                    };
                    view! {
                        <div class="host-grid">
                            <For each=shown key=|c| (c.id.clone(), c.state.as_str(), c.status.clone()) let:c>
                                <ContainerCard c=c reload/>
                            </For>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn ContainerCard(c: ContainerView, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let me = use_current_user().0;
    let is_admin = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| u.role == Role::Admin);
    let confirm_open = RwSignal::new(false);
    let with_volumes = RwSignal::new(false);
    let (id, name, state) = (c.id.clone(), c.name.clone(), c.state);
    let act = {
        let (id, name) = (id.clone(), name.clone());
        move |a: ContainerAction| {
            let name = name.clone();
            toasts.act(container_action(id.clone(), a), move |_| format!("{} {name}: done.", label(a)), reload);
        }
    };
    let remove = {
        let (id, name) = (id.clone(), name.clone());
        Callback::new(move |_| {
            let name2 = name.clone();
            toasts.act(delete_container(id.clone(), name.clone(), with_volumes.get_untracked()), move |_| format!("Deleted {name2}."), reload);
        })
    };
    view! {
        <section class="card vps-card" data-container=c.name.clone() data-state=state.as_str()>
            <div class="card-head">
                <h2><a href=format!("/containers/{}", c.id)>{c.name.clone()}</a></h2>
                <span class=state_class(state) data-testid="container-state">{state.as_str()}</span>
            </div>
            <p class="muted small">{c.status.clone()}</p>
            <dl class="facts">
                <dt>"Image"</dt><dd>{c.image.clone()}</dd>
                <dt>"Ports"</dt><dd>{ports_text(&c.ports)}</dd>
                <dt>"Owner"</dt><dd>{c.owner.clone().unwrap_or_else(|| "unmanaged (made outside Pier)".into())}</dd>
                <dt>"Id"</dt><dd><code>{c.id.chars().take(12).collect::<String>()}</code></dd>
            </dl>
            {(state == ContainerState::Running).then(|| view! { <ContainerStatsLine id=c.id.clone()/> })}
            <div class="power-buttons" role="group" aria-label=format!("Actions for {}", c.name)>
                {ContainerAction::ALL.into_iter().map(|a| {
                    let act = act.clone();
                    view! {
                        <button type="button" class=button_class(a) data-action=a.as_str()
                                disabled=!a.allowed_from(state) on:click=move |_| act(a)>{label(a)}</button>
                    }
                }).collect_view()}
                // A page of its own (not a client-side route): the log view is plain JS.
                <a class="button small" rel="external" href=format!("/containers/{}/logs", c.id)>"Logs"</a>
                <a class="button small" rel="external" href=format!("/containers/{}/terminal", c.id)>"Terminal"</a>
                <a class="button small" rel="external" href=format!("/containers/{}/files", c.id)>"Files"</a>
                <a class="button small" href=format!("/containers/{}", c.id)>"Open"</a>
                <button type="button" class="button small danger" on:click=move |_| confirm_open.set(true)>"Delete"</button>
            </div>
            {c.owner.is_none().then(|| view! { <Show when=is_admin><AdoptContainer id=c.id.clone() reload/></Show> })}
            <label class="check small"><input type="checkbox" prop:checked=move || with_volumes.get()
                on:change=move |ev| with_volumes.set(event_target_checked(&ev))/>" Also remove its anonymous volumes when deleting"</label>
            <ConfirmDialog open=confirm_open title=format!("Delete {name}?")
                message="The container is stopped and removed from the engine. Its logs go with it."
                confirm_text=name.clone() action_label="Delete container" on_confirm=remove/>
        </section>
    }
}

/// Gives a container made outside Pier an owner (admins).
#[component]
fn AdoptContainer(id: String, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let users = Resource::new(|| (), |_| crate::api::list_users(pier_proto::accounts::UserQuery { per_page: Some(100), ..Default::default() }));
    let owner = RwSignal::new(String::new());
    let adopt = move |_| {
        if let Ok(owner_id) = owner.get_untracked().parse::<i64>() {
            toasts.act(adopt_container(id.clone(), owner_id), |v| format!("{} now belongs to {}.", v.name, v.owner.clone().unwrap_or_default()), reload);
        }
    };
    view! {
        <div class="inline-form small">
            <label for="adopt-owner">"Adopt for"</label>
            <Transition fallback=|| ()>
                {move || users.get().map(|r| match r {
                    Ok(page) => view! {
                        <select id="adopt-owner" prop:value=move || owner.get() on:change=move |ev| owner.set(event_target_value(&ev))>
                            <option value="">"Choose a person"</option>
                            {page.users.into_iter().map(|u| view! { <option value=u.id.to_string()>{u.username}</option> }).collect_view()}
                        </select>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                })}
            </Transition>
            <button type="button" class="button small" on:click=adopt>"Adopt"</button>
        </div>
    }
}

/// CPU, memory, network, disk, processes, restarts and health, pushed every few seconds.
#[component]
pub(super) fn ContainerStatsLine(id: String) -> impl IntoView {
    let stats = RwSignal::new(None::<ContainerStats>);
    use_live(Topic::new(stats_topic(&id)).expect("valid topic"), move |msg| {
        if let LiveMsg::Data(data) = msg {
            if let Ok(s) = serde_json::from_value::<ContainerStats>(data) {
                stats.set(Some(s));
            }
        }
    });
    let mib = |b: u64| format!("{:.0} MiB", b as f64 / (1u64 << 20) as f64);
    move || match stats.get() {
        None => view! { <p class="muted small" data-testid="container-stats">"Figures arrive every few seconds…"</p> }.into_any(),
        Some(s) => view! {
            <p class="stats-line small" data-testid="container-stats">
                <span data-testid="container-cpu">{format!("CPU {:.1} %", s.cpu_percent)}</span>" · "
                <span>{format!("Mem {} / {}", mib(s.memory), if s.memory_limit > 0 { mib(s.memory_limit) } else { "no limit".into() })}</span>" · "
                <span>{format!("Net ↓{} ↑{}", rate(s.net_rx_bps), rate(s.net_tx_bps))}</span>" · "
                <span>{format!("Disk r {} w {}", rate(s.block_read_bps), rate(s.block_write_bps))}</span>" · "
                <span>{format!("{} processes", s.pids)}</span>
                {(s.restart_count > 0).then(|| view! { " · " <span>{format!("{} restarts", s.restart_count)}</span> })}
                {s.health.clone().map(|h| {
                    let class = if h == "healthy" { "badge badge-succeeded" } else { "badge badge-failed" };
                    view! { " · " <span class=class>{h}</span> }
                })}
            </p>
        }.into_any(),
    }
}

/// `KEY=value` per line → pairs; a line without `=` is named in the error.
fn parse_env(text: &str) -> Result<Vec<(String, String)>, ApiError> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_once('=').map(|(k, v)| (k.trim().to_string(), v.to_string())).ok_or_else(|| ApiError::invalid("env", format!("{l:?} is not KEY=value."))))
        .collect()
}

/// `data:/var/lib/app` (a named volume), `/srv/pier/container-data/site:/www:ro` (a host
/// folder, read-only), one per line.
fn parse_mounts(text: &str) -> Result<Vec<Mount>, ApiError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let bad = || ApiError::invalid("mounts", format!("{l:?} is not source:/path or source:/path:ro."));
            let (rest, read_only) = match l.strip_suffix(":ro") {
                Some(r) => (r, true),
                None => (l.strip_suffix(":rw").unwrap_or(l), false),
            };
            let (source, target) = rest.split_once(':').ok_or_else(bad)?;
            if source.is_empty() || target.is_empty() {
                return Err(bad());
            }
            Ok(Mount { source: source.to_string(), target: target.to_string(), read_only })
        })
        .collect()
}

/// `8080:80`, `5353:53/udp`, one per line or comma-separated.
fn parse_ports(text: &str, public: bool) -> Result<Vec<PortMapping>, ApiError> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let bad = || ApiError::invalid("ports", format!("{p:?} is not host:container (like 8080:80 or 5353:53/udp)."));
            let (spec, protocol) = match p.strip_suffix("/udp") {
                Some(s) => (s, Protocol::Udp),
                None => (p.strip_suffix("/tcp").unwrap_or(p), Protocol::Tcp),
            };
            let (h, c) = spec.split_once(':').ok_or_else(bad)?;
            Ok(PortMapping { host_port: h.trim().parse().map_err(|_| bad())?, container_port: c.trim().parse().map_err(|_| bad())?, protocol, public })
        })
        .collect()
}

#[component]
fn CreateContainer(on_created: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let images = Resource::new(|| (), |_| container_images(None));
    let name = RwSignal::new(String::new());
    let image = RwSignal::new(String::new());
    let command = RwSignal::new(String::new());
    let env = RwSignal::new(String::new());
    let ports = RwSignal::new(String::new());
    let mounts = RwSignal::new(String::new());
    let labels = RwSignal::new(String::new());
    let public = RwSignal::new(false);
    let restart = RwSignal::new(String::from("no"));
    let memory = RwSignal::new(String::new());
    let cpus = RwSignal::new(String::new());
    let start = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| {
            let opt_num = |s: RwSignal<String>, field: &str| {
                let t = s.get_untracked();
                if t.trim().is_empty() { Ok(None) } else { t.trim().parse::<f64>().map(Some).map_err(|_| ApiError::invalid(field, "Enter a number.")) }
            };
            Ok::<_, ApiError>(NewContainer {
                engine_id: None,
                name: name.get_untracked().trim().to_string(),
                image: image.get_untracked(),
                // One argument per line: nothing is split on spaces or interpreted by a shell.
                command: command.get_untracked().lines().map(str::to_string).filter(|l| !l.is_empty()).collect(),
                env: parse_env(&env.get_untracked())?,
                ports: parse_ports(&ports.get_untracked(), public.get_untracked())?,
                mounts: parse_mounts(&mounts.get_untracked())?,
                restart: match restart.get_untracked().as_str() {
                    "on-failure" => RestartPolicy::OnFailure,
                    "unless-stopped" => RestartPolicy::UnlessStopped,
                    "always" => RestartPolicy::Always,
                    _ => RestartPolicy::No,
                },
                memory_mib: opt_num(memory, "memory_mib")?.map(|m| m as u64),
                cpus: opt_num(cpus, "cpus")?,
                labels: parse_env(&labels.get_untracked()).map_err(|e| ApiError { field: Some("labels".into()), message: e.message.replace("KEY=value", "key=value"), ..e })?,
                start: start.get_untracked(),
            })
        })();
        let new = match parsed.and_then(|n| n.validate().map(|_| n)) {
            Ok(n) => n,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match create_container(new).await {
                Ok(c) => {
                    toasts.success(format!("Container {} created ({}).", c.name, c.state.as_str()));
                    name.set(String::new());
                    on_created.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card">
            <h2>"New container"</h2>
            <form class="stack-form" on:submit=submit novalidate=true>
                <TextField id="ct-name" label="Name" value=name error field="name"/>
                <div class="field">
                    <label for="ct-image">"Image"</label>
                    <Transition fallback=|| view! { <p class="muted">"Loading images…"</p> }>
                        {move || images.get().map(|r| match r {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(list) => {
                                if image.get_untracked().is_empty() {
                                    if let Some(first) = list.first().and_then(|i| i.tags.first()) {
                                        image.set(first.clone());
                                    }
                                }
                                view! {
                                    <select id="ct-image" prop:value=move || image.get() on:change=move |ev| image.set(event_target_value(&ev))>
                                        {list.into_iter().flat_map(|i| i.tags).map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                                    </select>
                                }.into_any()
                            }
                        })}
                    </Transition>
                    {field_error(error, "image")}
                </div>
                <TextArea id="ct-command" label="Command (one argument per line; empty: the image's default)" value=command error field="command"/>
                <TextArea id="ct-env" label="Environment (KEY=value per line)" value=env error field="env"/>
                <TextField id="ct-ports" label="Published ports (host:container, like 8080:80 or 5353:53/udp)" value=ports error field="ports"/>
                <label class="check"><input type="checkbox" id="ct-public" prop:checked=move || public.get() on:change=move |ev| public.set(event_target_checked(&ev))/>
                    " Publish on all interfaces (reachable from the network)"</label>
                <Show when=move || public.get()>
                    <p class="warning" role="alert">"Anyone who can reach this machine can reach these ports. Keep them on 127.0.0.1 and put a site in front unless you mean it."</p>
                </Show>
                <TextArea id="ct-mounts" label="Volumes and folders (source:/path in the container, :ro for read-only; one per line)" value=mounts error field="mounts"/>
                <p class="muted small">"A name is a Docker volume; a host folder must be under the panel's container-data folder."</p>
                <TextArea id="ct-labels" label="Labels (key=value per line)" value=labels error field="labels"/>
                <div class="field">
                    <label for="ct-restart">"Restart policy"</label>
                    <select id="ct-restart" prop:value=move || restart.get() on:change=move |ev| restart.set(event_target_value(&ev))>
                        <option value="no">"Never"</option>
                        <option value="on-failure">"On failure"</option>
                        <option value="unless-stopped">"Unless stopped"</option>
                        <option value="always">"Always"</option>
                    </select>
                </div>
                <TextField id="ct-memory" label="Memory limit (MiB, empty: none)" value=memory error field="memory_mib"/>
                <TextField id="ct-cpus" label="CPU limit (CPUs, like 0.5; empty: none)" value=cpus error field="cpus"/>
                <label class="check"><input type="checkbox" id="ct-start" prop:checked=move || start.get() on:change=move |ev| start.set(event_target_checked(&ev))/>" Start it now"</label>
                <button type="submit" class="button primary" disabled=move || busy.get()>{move || if busy.get() { "Creating…" } else { "Create container" }}</button>
            </form>
            {form_error(error)}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_and_ports_parse_or_say_which_line_is_wrong() {
        assert_eq!(parse_env("A=1\n\nB=x=y\n").unwrap(), vec![("A".into(), "1".into()), ("B".into(), "x=y".into())]);
        assert_eq!(parse_env("nope").unwrap_err().field.as_deref(), Some("env"));
        let p = parse_ports("8080:80, 5353:53/udp", false).unwrap();
        assert_eq!((p[0].host_port, p[0].container_port, p[1].protocol, p[1].public), (8080, 80, Protocol::Udp, false));
        assert_eq!(parse_ports("80", true).unwrap_err().field.as_deref(), Some("ports"));
        let m = parse_mounts("data:/var/lib/app\n/srv/site:/www:ro\n").unwrap();
        assert_eq!((m[0].source.as_str(), m[0].target.as_str(), m[0].read_only, m[1].read_only), ("data", "/var/lib/app", false, true));
        assert_eq!(parse_mounts("just-a-name").unwrap_err().field.as_deref(), Some("mounts"));
    }
}
