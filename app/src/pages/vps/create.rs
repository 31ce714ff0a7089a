//! The create form: plan, image, keys, network, cloud-init, root password, expiry.

use crate::api::compute::{create_vps, list_hosts, list_images, list_plans};
use crate::api::{list_ssh_keys, list_users};
use crate::components::shell::use_current_user;
use pier_proto::accounts::{Role, UserQuery};
use pier_proto::vps::CustomSize;
use crate::components::form::{field_error, form_error, TextArea, TextField};
use crate::components::toast::use_toasts;
use leptos::prelude::*;
use leptos::task::spawn_local;
use pier_proto::vps::{Expiry, ExpiryAction, ExpiryUnit, NetworkKind, NewVps};
use pier_proto::ApiError;

#[component]
pub fn CreateForm(on_created: Callback<()>) -> impl IntoView {
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
    let root_password = RwSignal::new(String::new());
    // Administrators also choose the owner, the host and a size outside the plans.
    let me = use_current_user().0;
    let is_admin = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| u.role == Role::Admin);
    let users = Resource::new(is_admin, |admin| async move {
        if admin { list_users(UserQuery { per_page: Some(100), ..Default::default() }).await.map(|p| p.users).unwrap_or_default() } else { Vec::new() }
    });
    let hosts = Resource::new(is_admin, |admin| async move { if admin { list_hosts().await.unwrap_or_default() } else { Vec::new() } });
    let owner = RwSignal::new(None::<i64>);
    let host = RwSignal::new(None::<i64>);
    let custom = RwSignal::new(false);
    let (vcpus, memory, disk) = (RwSignal::new("1".to_string()), RwSignal::new("1024".to_string()), RwSignal::new("10".to_string()));
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
            plan_id: if custom.get_untracked() { None } else { plan_id },
            custom: if custom.get_untracked() {
                match (vcpus.get_untracked().trim().parse(), memory.get_untracked().trim().parse(), disk.get_untracked().trim().parse()) {
                    (Ok(vcpus), Ok(memory_mib), Ok(disk_gb)) => Some(CustomSize { vcpus, memory_mib, disk_gb }),
                    _ => return error.set(Some(ApiError::invalid("custom", "Custom size: whole numbers for vCPUs, memory (MiB) and disk (GB)."))),
                }
            } else {
                None
            },
            host_id: host.get_untracked(),
            owner_id: owner.get_untracked(),
            image_id,
            ssh_key_ids: chosen_keys.get_untracked(),
            user_data: (!ud.trim().is_empty()).then_some(ud),
            network: if public.get_untracked() { NetworkKind::Public } else { NetworkKind::Private },
            start: start.get_untracked(),
            expiry,
            root_password: Some(root_password.get_untracked()).filter(|p| !p.is_empty()),
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
                    root_password.set(String::new());
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
                <Show when=is_admin>
                    <fieldset class="admin-options">
                        <legend>"Administrator options"</legend>
                        <div class="inline-form">
                            <div class="field">
                                <label for="vps-owner">"Owner"</label>
                                <select id="vps-owner" on:change=move |ev| owner.set(event_target_value(&ev).parse().ok())>
                                    <option value="">"me"</option>
                                    <Transition fallback=|| ()>
                                        {move || users.get().unwrap_or_default().into_iter().map(|u| view! { <option value=u.id.to_string()>{u.username}</option> }).collect_view()}
                                    </Transition>
                                </select>
                            </div>
                            <div class="field">
                                <label for="vps-host">"Host"</label>
                                <select id="vps-host" on:change=move |ev| host.set(event_target_value(&ev).parse().ok())>
                                    <option value="">"automatic (most free memory)"</option>
                                    <Transition fallback=|| ()>
                                        {move || hosts.get().unwrap_or_default().into_iter().map(|h| view! { <option value=h.id.to_string()>{h.name}</option> }).collect_view()}
                                    </Transition>
                                </select>
                            </div>
                        </div>
                        <label class="check"><input type="checkbox" prop:checked=move || custom.get() on:change=move |ev| custom.set(event_target_checked(&ev))/>
                            "Custom size instead of the plan"</label>
                        <Show when=move || custom.get()>
                            <div class="inline-form">
                                <TextField id="vps-vcpus" label="vCPUs" kind="number" value=vcpus error field="custom"/>
                                <TextField id="vps-memory" label="Memory (MiB)" kind="number" value=memory error field="custom"/>
                                <TextField id="vps-disk" label="Disk (GB)" kind="number" value=disk error field="custom"/>
                            </div>
                        </Show>
                    </fieldset>
                </Show>
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
                <TextArea id="vps-userdata" label="Cloud-init user-data (optional)" rows=4 placeholder="#cloud-config\npackages: [nginx]" value=user_data error field="user_data"/>
                <TextField id="vps-root-password" label="Root password (optional; SSH keys are better)" kind="password" autocomplete="new-password" value=root_password error field="root_password"/>
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
