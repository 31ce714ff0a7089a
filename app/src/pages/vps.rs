//! VPSs: cards of the person's VPSs (staff: all), each with its state, address and the progress
//! of the job building it; and the create form (plan, image, keys, network, cloud-init, expiry).

use super::jobs::JobFeed;
use crate::api::compute::{create_vps, list_images, list_plans, list_vps};
use crate::api::list_ssh_keys;
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::{field_error, form_error, TextField};
use crate::components::progress::ProgressBar;
use crate::components::toast::use_toasts;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::vps::{Expiry, ExpiryAction, ExpiryUnit, NetworkKind, NewVps, VpsState, VpsView, KIND_VPS_CREATE};
use pier_proto::ApiError;

fn state_class(s: VpsState) -> &'static str {
    match s {
        VpsState::Running => "badge badge-succeeded",
        VpsState::Provisioning | VpsState::Deleting => "badge badge-running",
        VpsState::Stopped | VpsState::Paused => "badge badge-queued",
        VpsState::Error => "badge badge-failed",
    }
}

#[component]
pub fn VpsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let reload = move || version.update(|v| *v += 1);
    let list = Resource::new(move || version.get(), |_| list_vps());
    let feed = JobFeed::new(50);
    // A finished build changes a card's state: read the list again.
    feed.on_finished(KIND_VPS_CREATE, reload);
    view! {
        <Title text="VPS"/>
        <div class="page-head">
            <h1>"Virtual servers"</h1>
        </div>
        <CreateForm on_created=Callback::new(move |_| reload())/>
        <Transition fallback=|| view! { <p class="muted">"Loading VPSs…"</p> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(l) if l.is_empty() => view! { <EmptyState icon="vps" title="No VPS yet" text="Create one above."/> }.into_any(),
                Ok(l) => view! {
                    <div class="host-grid">{l.into_iter().map(|v| view! { <VpsCard vps=v feed/> }).collect_view()}</div>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn VpsCard(vps: VpsView, feed: JobFeed) -> impl IntoView {
    let target = format!("vps:{}", vps.id);
    let job = move || feed.jobs().into_iter().find(|j| j.target == target && j.kind == KIND_VPS_CREATE);
    let building = vps.state == VpsState::Provisioning;
    let label = format!("Creating {}", vps.name);
    view! {
        <section class="card vps-card" data-vps=vps.name.clone() data-state=vps.state.as_str()>
            <div class="card-head">
                <h2>{vps.name.clone()}</h2>
                <span class=state_class(vps.state)>{vps.state.as_str()}</span>
            </div>
            <p class="muted small">{vps.hostname.clone()}</p>
            <dl class="facts">
                <dt>"Address"</dt><dd>{vps.ip_address.clone().unwrap_or_else(|| "private network".into())}</dd>
                <dt>"Size"</dt><dd>{format!("{} vCPU · {} MiB · {} GB", vps.vcpus, vps.memory_mib, vps.disk_gb)}</dd>
                <dt>"Image"</dt><dd>{vps.image.clone().unwrap_or_default()}</dd>
                <dt>"Host"</dt><dd>{vps.host.clone()}</dd>
                <dt>"Owner"</dt><dd>{vps.owner.clone()}</dd>
            </dl>
            {vps.last_error.clone().map(|e| view! { <div class="error-box" role="alert">{e}</div> })}
            {building.then(|| view! {
                {move || job().map(|j| view! {
                    <ProgressBar value=j.progress state=j.state label=label.clone()/>
                    <p class="muted small">{j.message}</p>
                })}
            })}
        </section>
    }
}

#[component]
fn CreateForm(on_created: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let plans = Resource::new(|| (), |_| list_plans());
    let images = Resource::new(|| (), |_| list_images());
    let keys = Resource::new(|| (), |_| list_ssh_keys());
    let name = RwSignal::new(String::new());
    let hostname = RwSignal::new(String::new());
    let plan = RwSignal::new(None::<i64>);
    let image = RwSignal::new(None::<i64>);
    let chosen_keys = RwSignal::new(Vec::<i64>::new());
    let public = RwSignal::new(false);
    let user_data = RwSignal::new(String::new());
    let start = RwSignal::new(true);
    let expiry_amount = RwSignal::new(String::new());
    let expiry_unit = RwSignal::new(ExpiryUnit::Days);
    let expiry_action = RwSignal::new(ExpiryAction::Notify);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let plan_id = plan.get_untracked().or_else(|| plans.get_untracked().and_then(Result::ok).and_then(|l| l.first().map(|p| p.id)));
        let image_id = image.get_untracked().or_else(|| images.get_untracked().and_then(Result::ok).and_then(|l| l.iter().find(|i| i.status == pier_proto::compute::ImageStatus::Ready).map(|i| i.id)));
        let Some(image_id) = image_id else {
            return error.set(Some(ApiError::invalid("image_id", "No image is ready yet.")));
        };
        let expiry = match expiry_amount.get_untracked().trim() {
            "" => None,
            n => match n.parse::<u32>() {
                Ok(amount) => Some(Expiry { amount, unit: expiry_unit.get_untracked(), action: expiry_action.get_untracked() }),
                Err(_) => return error.set(Some(ApiError::invalid("expiry", "Enter a whole number, or leave it empty for no expiry."))),
            },
        };
        let ud = user_data.get_untracked();
        let new = NewVps {
            name: name.get_untracked().trim().into(),
            hostname: hostname.get_untracked().trim().into(),
            plan_id,
            custom: None,
            host_id: None,
            owner_id: None,
            image_id,
            ssh_key_ids: chosen_keys.get_untracked(),
            user_data: (!ud.trim().is_empty()).then_some(ud),
            network: if public.get_untracked() { NetworkKind::Public } else { NetworkKind::Private },
            start: start.get_untracked(),
            expiry,
        };
        if let Err(e) = new.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match create_vps(new).await {
                Ok((v, job)) => {
                    toasts.success(format!("Creating {} (job #{job}).", v.name));
                    name.set(String::new());
                    hostname.set(String::new());
                    on_created.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card">
            <h2>"New VPS"</h2>
            <form class="stack" on:submit=submit novalidate=true>
                <div class="inline-form">
                    <TextField id="vps-name" label="Name" value=name error field="name"/>
                    <TextField id="vps-hostname" label="Host name" value=hostname error field="hostname"/>
                    <div class="field">
                        <label for="vps-plan">"Plan"</label>
                        <select id="vps-plan" on:change=move |ev| plan.set(event_target_value(&ev).parse().ok())>
                            <Transition fallback=|| ()>
                                {move || plans.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|p| view! {
                                    <option value=p.id.to_string()>{format!("{} — {} vCPU, {} MiB, {} GB", p.name, p.vcpus, p.memory_mib, p.disk_gb)}</option>
                                }).collect_view()}
                            </Transition>
                        </select>
                        {field_error(error, "plan_id")}
                    </div>
                    <div class="field">
                        <label for="vps-image">"Image"</label>
                        <select id="vps-image" on:change=move |ev| image.set(event_target_value(&ev).parse().ok())>
                            <Transition fallback=|| ()>
                                {move || images.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                    .filter(|i| i.status == pier_proto::compute::ImageStatus::Ready)
                                    .map(|i| view! { <option value=i.id.to_string()>{format!("{} ({} {})", i.name, i.os_family, i.os_version)}</option> })
                                    .collect_view()}
                            </Transition>
                        </select>
                        {field_error(error, "image_id")}
                    </div>
                </div>
                <fieldset class="checks">
                    <legend>"SSH keys"</legend>
                    <Transition fallback=|| ()>
                        {move || {
                            let list = keys.get().and_then(Result::ok).unwrap_or_default();
                            if list.is_empty() {
                                view! { <p class="muted small">"No keys on your profile; add one there to log in with SSH."</p> }.into_any()
                            } else {
                                list.into_iter().map(|k| {
                                    let id = k.id;
                                    view! {
                                        <label class="check">
                                            <input type="checkbox" on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                chosen_keys.update(|c| { c.retain(|x| *x != id); if on { c.push(id); } });
                                            }/>
                                            {k.name}
                                        </label>
                                    }
                                }).collect_view().into_any()
                            }
                        }}
                    </Transition>
                </fieldset>
                <label class="check"><input type="checkbox" prop:checked=move || public.get() on:change=move |ev| public.set(event_target_checked(&ev))/>
                    "Public IPv4 address (from the host's pool)"</label>
                <div class="field">
                    <label for="vps-userdata">"Cloud-init user-data (optional)"</label>
                    <textarea id="vps-userdata" rows="4" spellcheck="false" placeholder="#cloud-config\npackages: [nginx]"
                              prop:value=move || user_data.get() on:input=move |ev| user_data.set(event_target_value(&ev))></textarea>
                    {field_error(error, "user_data")}
                </div>
                <div class="inline-form">
                    <TextField id="vps-expiry" label="Expires after (empty = never)" value=expiry_amount error field="expiry"/>
                    <div class="field">
                        <label for="vps-expiry-unit">"Unit"</label>
                        <select id="vps-expiry-unit" on:change=move |ev| expiry_unit.set(match event_target_value(&ev).as_str() {
                            "minutes" => ExpiryUnit::Minutes, "hours" => ExpiryUnit::Hours, "months" => ExpiryUnit::Months, _ => ExpiryUnit::Days })>
                            <option value="minutes">"minutes"</option><option value="hours">"hours"</option>
                            <option value="days" selected=true>"days"</option><option value="months">"months"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="vps-expiry-action">"Then"</label>
                        <select id="vps-expiry-action" on:change=move |ev| expiry_action.set(match event_target_value(&ev).as_str() {
                            "delete" => ExpiryAction::Delete, "shutdown" => ExpiryAction::Shutdown, _ => ExpiryAction::Notify })>
                            <option value="notify" selected=true>"notify only"</option><option value="shutdown">"shut down"</option><option value="delete">"delete"</option>
                        </select>
                    </div>
                </div>
                <label class="check"><input type="checkbox" prop:checked=move || start.get() on:change=move |ev| start.set(event_target_checked(&ev))/>
                    "Start when created"</label>
                {form_error(error)}
                <div><button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create VPS" }}</button></div>
            </form>
        </section>
    }
}
