//! One VPS: tabs for Overview (facts, live figures, every power action), Console (serial and
//! graphical), Snapshots and Settings (reinstall, expiry, delete).

use super::live::{LiveVps, PowerButtons, StateBadge, StatsLine};
use super::VpsJobProgress;
use crate::api::compute::{change_expiry, delete_vps, get_vps, list_images, list_snapshots, reinstall_vps, set_root_password, snapshot_vps};
use crate::components::confirm::ConfirmDialog;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextField};
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use crate::format::short_time;
use crate::pages::jobs::JobFeed;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use pier_proto::accounts::Role;
use pier_proto::vps::{Expiry, ExpiryAction, ExpiryChange, ExpiryUnit, NewSnapshot, Reinstall, SnapshotOp, VpsStats, VpsView, KIND_VPS_SNAPSHOT};
use pier_proto::ApiError;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Overview,
    Console,
    Metrics,
    Snapshots,
    Settings,
}

impl Tab {
    const ALL: [Tab; 5] = [Tab::Overview, Tab::Console, Tab::Metrics, Tab::Snapshots, Tab::Settings];
    fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Console => "Console",
            Tab::Metrics => "Metrics",
            Tab::Snapshots => "Snapshots",
            Tab::Settings => "Settings",
        }
    }
}

#[component]
pub fn VpsDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let version = RwSignal::new(0u32);
    let vps = Resource::new(move || (id(), version.get()), |(id, _)| get_vps(id));
    // Made here, not in the part that re-renders when the VPS is read again, so the chosen tab
    // and the job list survive a reload.
    let feed = JobFeed::new(20);
    let tab = RwSignal::new(Tab::Overview);
    let reload = Callback::new(move |_| version.update(|n| *n += 1));
    // A reinstall changes the image shown; state and figures arrive live on their own.
    feed.on_finished(pier_proto::vps::KIND_VPS_REINSTALL, move || reload.run(()));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || vps.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok((v, stats)) => view! { <Detail vps=v stats feed tab reload/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Detail(vps: VpsView, stats: Option<VpsStats>, feed: JobFeed, tab: RwSignal<Tab>, reload: Callback<()>) -> impl IntoView {
    let gone = RwSignal::new(false);
    let live = LiveVps::follow(&vps, stats, move || gone.set(true), move || reload.run(()));
    let title = vps.name.clone();
    view! {
        <Title text=title/>
        <div class="page-head">
            <h1>{vps.name.clone()} " " <StateBadge live/></h1>
            <a href="/vps" class="button small">"All VPSs"</a>
        </div>
        <Show when=move || gone.get()>
            <div class="error-box" role="alert">"This VPS was deleted."</div>
        </Show>
        <div class="tabs" role="tablist">
            {Tab::ALL.map(|t| view! {
                <button type="button" role="tab" class="tab" aria-selected=move || (tab.get() == t).to_string()
                        on:click=move |_| tab.set(t)>{t.label()}</button>
            }).collect_view()}
        </div>
        <VpsJobProgress id=vps.id feed/>
        {move || live.error.get().map(|e| view! { <div class="error-box" role="alert">{e}</div> })}
        {
            let v = vps.clone();
            move || match tab.get() {
                Tab::Overview => view! { <Overview vps=v.clone() live/> }.into_any(),
                Tab::Console => view! { <super::console::ConsolePanel id=v.id live/> }.into_any(),
                Tab::Metrics => view! { <crate::components::chart::MetricsPanel target=format!("vps:{}", v.id) charts=crate::pages::monitoring::GUEST_CHARTS.to_vec()/> }.into_any(),
                Tab::Snapshots => view! { <Snapshots vps=v.clone() feed/> }.into_any(),
                Tab::Settings => view! { <Settings vps=v.clone() reload/> }.into_any(),
            }
        }
    }
}

#[component]
fn Overview(vps: VpsView, live: LiveVps) -> impl IntoView {
    view! {
        <section class="card">
            <PowerButtons live name=vps.name.clone() all=true/>
            <StatsLine live/>
            <dl class="facts">
                <dt>"Host name"</dt><dd>{vps.hostname.clone()}</dd>
                <dt>"Address"</dt><dd>{vps.ip_address.clone().unwrap_or_else(|| "private network (NAT)".into())}</dd>
                <dt>"Size"</dt><dd>{format!("{} vCPU · {} MiB · {} GB", vps.vcpus, vps.memory_mib, vps.disk_gb)}</dd>
                <dt>"Plan"</dt><dd>{vps.plan.clone().unwrap_or_else(|| "custom".into())}</dd>
                <dt>"Image"</dt><dd>{vps.image.clone().unwrap_or_default()}</dd>
                <dt>"Host"</dt><dd>{vps.host.clone()}</dd>
                <dt>"Owner"</dt><dd>{vps.owner.clone()}</dd>
                <dt>"Created"</dt><dd>{short_time(&vps.created_at)}</dd>
                <dt>"Expires"</dt><dd>{vps.expires_at.as_deref().map(|t| format!("{} ({} then)", short_time(t), vps.expiry_action.as_str())).unwrap_or_else(|| "never".into())}</dd>
                <dt>"UUID"</dt><dd><code>{vps.uuid.clone()}</code></dd>
            </dl>
        </section>
    }
}

#[component]
fn Snapshots(vps: VpsView, feed: JobFeed) -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let list = Resource::new(move || version.get(), move |_| list_snapshots(vps.id));
    feed.on_finished(KIND_VPS_SNAPSHOT, move || version.update(|n| *n += 1));
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let id = vps.id;
    let limit = vps.snapshot_limit;
    let run = move |op: SnapshotOp, snap: String| {
        let done = move |job: &i64| format!("Snapshot {snap:?}: queued (job #{job}).");
        (op, done)
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewSnapshot { name: name.get_untracked().trim().to_string(), description: description.get_untracked() };
        if let Err(e) = new.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        let (_, done) = run(SnapshotOp::Create, new.name.clone());
        leptos::task::spawn_local(async move {
            match snapshot_vps(id, SnapshotOp::Create, new).await {
                Ok(job) => {
                    toasts.success(done(&job));
                    name.set(String::new());
                    description.set(String::new());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Snapshots"</h2>
            <p class="muted small">{format!("Up to {limit} (plan limit). A running VPS's memory is saved too; reverting returns disk and memory to that moment.")}</p>
            <form class="inline-form" on:submit=create novalidate=true>
                <TextField id="snap-name" label="Name" value=name error field="name"/>
                <TextField id="snap-description" label="Description" value=description error field="description"/>
                <div class="field"><label>" "</label><button type="submit" class="button primary">"Take snapshot"</button></div>
            </form>
            {form_error(error)}
            <Transition fallback=|| view! { <p class="muted">"Loading snapshots…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(l) if l.is_empty() => view! { <p class="muted" data-testid="no-snapshots">"No snapshots."</p> }.into_any(),
                    Ok(l) => view! {
                        <table class="table">
                            <thead><tr><th>"Name"</th><th>"Description"</th><th>"Taken"</th><th>"State"</th><th></th></tr></thead>
                            <tbody>
                                {l.into_iter().map(|s| {
                                    let armed = RwSignal::new(None::<SnapshotOp>);
                                    let act = move |op: SnapshotOp, snap: String| {
                                        if armed.get_untracked() != Some(op) {
                                            armed.set(Some(op));
                                            return;
                                        }
                                        armed.set(None);
                                        let (_, done) = run(op, snap.clone());
                                        toasts.act(snapshot_vps(id, op, NewSnapshot { name: snap, description: String::new() }), done, Callback::new(|_| ()));
                                    };
                                    let (n1, n2) = (s.name.clone(), s.name.clone());
                                    view! {
                                        <tr data-snapshot=s.name.clone()>
                                            <td>{s.name.clone()}{s.current.then_some(" (current)")}</td>
                                            <td>{s.description.clone()}</td>
                                            <td>{short_time(&s.created_at)}</td>
                                            <td>{s.vm_state.clone()}</td>
                                            <td class="row-actions">
                                                <button type="button" class="button small" on:click=move |_| act(SnapshotOp::Revert, n1.clone())>
                                                    {move || if armed.get() == Some(SnapshotOp::Revert) { "Confirm revert?" } else { "Revert" }}</button>
                                                <button type="button" class="button small danger" on:click=move |_| act(SnapshotOp::Delete, n2.clone())>
                                                    {move || if armed.get() == Some(SnapshotOp::Delete) { "Confirm delete?" } else { "Delete" }}</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Settings(vps: VpsView, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let me = use_current_user().0;
    let may_extend = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| matches!(u.role, Role::Admin | Role::Billing));
    let images = Resource::new(|| (), |_| list_images());
    let image = RwSignal::new(vps.image.clone().unwrap_or_default());
    let root_password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let reinstall_open = RwSignal::new(false);
    let delete_open = RwSignal::new(false);
    let (id, name) = (vps.id, vps.name.clone());
    let reinstall = {
        let name = name.clone();
        Callback::new(move |_| {
            let chosen = image.get_untracked();
            let image_id = images.get_untracked().and_then(Result::ok).and_then(|l| l.into_iter().find(|i| i.name == chosen).map(|i| i.id));
            let Some(image_id) = image_id else { return error.set(Some(ApiError::invalid("image_id", "Choose an image."))) };
            let pw = root_password.get_untracked();
            let req = Reinstall { image_id, confirm: name.clone(), root_password: (!pw.is_empty()).then_some(pw) };
            let label = name.clone();
            toasts.act(reinstall_vps(id, req), move |job| format!("Reinstalling {label} (job #{job})."), Callback::new(|_| ()));
        })
    };
    let delete = {
        let name = name.clone();
        Callback::new(move |_| {
            let label = name.clone();
            toasts.act(delete_vps(id, name.clone()), move |job| format!("Deleting {label} (job #{job})."), Callback::new(|_| ()));
        })
    };
    let amount = RwSignal::new("30".to_string());
    let unit = RwSignal::new(ExpiryUnit::Days);
    let action = RwSignal::new(vps.expiry_action);
    let extend = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(n) = amount.get_untracked().trim().parse::<u32>() else { return error.set(Some(ApiError::invalid("extend", "Enter a whole number."))) };
        let change = ExpiryChange { extend: Some(Expiry { amount: n, unit: unit.get_untracked(), action: action.get_untracked() }) };
        toasts.act(change_expiry(id, change), |v| format!("{} now expires {}.", v.name, v.expires_at.as_deref().map(short_time).unwrap_or_default()), reload);
    };
    let remove_expiry = move |_| toasts.act(change_expiry(id, ExpiryChange { extend: None }), |v| format!("{} no longer expires.", v.name), reload);
    let new_password = RwSignal::new(String::new());
    let password_error = RwSignal::new(None::<ApiError>);
    let set_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pw = new_password.get_untracked();
        if let Err(e) = pier_proto::vps::validate_root_password(&pw) {
            return password_error.set(Some(e));
        }
        password_error.set(None);
        leptos::task::spawn_local(async move {
            match set_root_password(id, pw).await {
                Ok(()) => {
                    new_password.set(String::new());
                    toasts.success("Root password set.".to_string());
                }
                Err(e) => password_error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Root password"</h2>
            <p class="muted small">"Set now through the QEMU guest agent of the running VPS. Without an agent, set it with Reinstall below."</p>
            <form class="inline-form" on:submit=set_password novalidate=true>
                <TextField id="root-password" label="New root password" kind="password" autocomplete="new-password" value=new_password error=password_error field="root_password"/>
                <div class="field"><label>" "</label><button type="submit" class="button primary">"Set password"</button></div>
            </form>
            {form_error(password_error)}
        </section>
        <section class="card">
            <h2>"Reinstall"</h2>
            <p class="muted small">"A new disk from the chosen image. The name, address and owner stay; everything on the disk and every snapshot is lost. Your current SSH keys are installed."</p>
            <div class="inline-form">
                <div class="field">
                    <label for="reinstall-image">"Image"</label>
                    <select id="reinstall-image" on:change=move |ev| image.set(event_target_value(&ev))>
                        <Transition fallback=|| ()>
                            {move || images.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                .filter(|i| i.status == pier_proto::compute::ImageStatus::Ready)
                                .map(|i| { let selected = i.name == image.get_untracked(); view! { <option value=i.name.clone() selected=selected>{i.name.clone()}</option> } })
                                .collect_view()}
                        </Transition>
                    </select>
                </div>
                <TextField id="reinstall-password" label="New root password (optional)" kind="password" autocomplete="new-password" value=root_password error field="root_password"/>
                <div class="field"><label>" "</label><button type="button" class="button danger" on:click=move |_| reinstall_open.set(true)>"Reinstall…"</button></div>
            </div>
            {form_error(error)}
            <ConfirmDialog open=reinstall_open title=format!("Reinstall {name}?") message="Everything on its disk and all its snapshots will be lost."
                           confirm_text=name.clone() action_label="Reinstall" on_confirm=reinstall/>
        </section>
        <Show when=may_extend>
            <section class="card">
                <h2>"Expiry"</h2>
                <p class="muted small">{vps.expires_at.as_deref().map(|t| format!("Expires {} ({} then).", short_time(t), vps.expiry_action.as_str())).unwrap_or_else(|| "Does not expire.".into())}</p>
                <form class="inline-form" on:submit=extend>
                    <TextField id="extend-amount" label="Extend by" value=amount error field="extend"/>
                    <div class="field">
                        <label for="extend-unit">"Unit"</label>
                        <select id="extend-unit" on:change=move |ev| unit.set(match event_target_value(&ev).as_str() {
                            "hours" => ExpiryUnit::Hours, "months" => ExpiryUnit::Months, _ => ExpiryUnit::Days })>
                            <option value="hours">"hours"</option><option value="days" selected=true>"days"</option><option value="months">"months"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="extend-action">"Then"</label>
                        <select id="extend-action" on:change=move |ev| action.set(match event_target_value(&ev).as_str() {
                            "delete" => ExpiryAction::Delete, "shutdown" => ExpiryAction::Shutdown, _ => ExpiryAction::Notify })>
                            {[ExpiryAction::Notify, ExpiryAction::Shutdown, ExpiryAction::Delete].map(|a| view! {
                                <option value=a.as_str() selected=a == vps.expiry_action>{a.as_str()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field"><label>" "</label><button type="submit" class="button primary">"Extend"</button></div>
                    <div class="field"><label>" "</label><button type="button" class="button" on:click=remove_expiry>"Never expire"</button></div>
                </form>
            </section>
        </Show>
        <section class="card">
            <h2>"Delete"</h2>
            <p class="muted small">"Removes the machine, its disk, its snapshots and its seed, and frees its address."</p>
            <button type="button" class="button danger" on:click=move |_| delete_open.set(true)>"Delete VPS…"</button>
            <ConfirmDialog open=delete_open title=format!("Delete {name}?") message="The machine, its disk and snapshots are removed and its address is freed. This cannot be undone."
                           confirm_text=name.clone() action_label="Delete VPS" on_confirm=delete/>
        </section>
    }
}
