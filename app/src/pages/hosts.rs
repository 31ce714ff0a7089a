//! Hosts (staff): each libvirt host with its status in words, versions, capacity against the
//! overcommit ratios, and its IP pools. Admins add, change, check and remove them. Status
//! changes arrive live from the host monitor.

use crate::api::compute::{check_host, create_ip_pool, delete_host, delete_ip_pool, list_hosts, list_ip_pools, save_host};
use crate::components::confirm::ConfirmDialog;
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextField};
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use crate::format::short_time;
use crate::live::use_live;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::accounts::Role;
use pier_proto::compute::{HostSettings, HostStatus, HostView, IpPoolView, NewIpPool};
use pier_proto::live::Topic;
use pier_proto::ApiError;

/// A used/limit bar with its numbers in words.
#[component]
fn Meter(label: &'static str, used: u64, limit: u64, unit: &'static str) -> impl IntoView {
    let pct = (used * 100).checked_div(limit).unwrap_or(0).min(100);
    let fill = if pct >= 90 { "meter-fill meter-high" } else { "meter-fill" };
    view! {
        <div class="meter-row">
            <div class="meter-label"><span>{label}</span><span class="muted small">{format!("{used} / {limit} {unit}")}</span></div>
            <div class="meter" role="meter" aria-label=label aria-valuemin="0" aria-valuemax=limit.to_string() aria-valuenow=used.to_string()>
                <div class=fill style=format!("width: {pct}%")></div>
            </div>
        </div>
    }
}

fn status_badge(s: HostStatus) -> impl IntoView {
    let class = match s {
        HostStatus::Connected => "badge badge-succeeded",
        HostStatus::Unreachable => "badge badge-failed",
        HostStatus::Unknown => "badge badge-queued",
    };
    view! { <span class=class>{s.as_str()}</span> }
}

#[component]
pub fn HostsPage() -> impl IntoView {
    let me = use_current_user().0;
    let is_admin = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| u.role == Role::Admin);
    let version = RwSignal::new(0u32);
    let reload = move || version.update(|v| *v += 1);
    let hosts = Resource::new(move || version.get(), |_| list_hosts());
    let pools = Resource::new(move || version.get(), |_| list_ip_pools());
    // The monitor announces status changes; the list is re-read (it is short).
    use_live(Topic::new("hosts").expect("valid topic"), move |_| reload());

    view! {
        <Title text="Hosts"/>
        <div class="page-head">
            <h1>"Hosts"</h1>
            <p class="muted">"Machines that run VPSs, through libvirt. Checked every 30 seconds; an unreachable host comes back by itself."</p>
        </div>
        <Show when=is_admin>
            <HostForm on_saved=Callback::new(move |_| reload())/>
            <PoolForm hosts on_saved=Callback::new(move |_| reload())/>
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading hosts…"</p> }>
            {move || hosts.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <EmptyState icon="hosts" title="No hosts yet" text="Add this machine with the URI qemu:///system."/>
                }.into_any(),
                Ok(list) => {
                    let all_pools = pools.get().and_then(Result::ok).unwrap_or_default();
                    view! {
                        <div class="host-grid">
                            {list.into_iter().map(|h| {
                                let host_pools: Vec<IpPoolView> = all_pools.iter().filter(|p| p.host_id == h.id).cloned().collect();
                                view! { <HostCard host=h pools=host_pools admin=is_admin() on_changed=Callback::new(move |_| reload())/> }
                            }).collect_view()}
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

fn settings_of(h: &HostView) -> HostSettings {
    HostSettings {
        name: h.name.clone(),
        uri: h.uri.clone(),
        storage_dir: h.storage_dir.clone(),
        cpu_overcommit: h.cpu_overcommit,
        ram_overcommit: h.ram_overcommit,
        maintenance: h.maintenance,
    }
}

#[component]
fn HostCard(host: HostView, pools: Vec<IpPoolView>, admin: bool, on_changed: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let confirm_delete = RwSignal::new(false);
    let checking = RwSignal::new(false);
    let id = host.id;
    let name = host.name.clone();
    let check = move |_| {
        checking.set(true);
        spawn_local(async move {
            match check_host(id).await {
                Ok(h) => {
                    toasts.success(format!("{}: {}.", h.name, h.status.as_str()));
                    on_changed.run(());
                }
                Err(e) => toasts.error(e.message),
            }
            checking.set(false);
        });
    };
    let toggle_maintenance = {
        let settings = settings_of(&host);
        move |_| {
            let mut s = settings.clone();
            s.maintenance = !s.maintenance;
            toasts.act(
                save_host(Some(id), s),
                |h| if h.maintenance { format!("{} is in maintenance: no new VPSs go there.", h.name) } else { format!("{} takes new VPSs again.", h.name) },
                on_changed,
            );
        }
    };
    let delete = {
        let name = name.clone();
        Callback::new(move |_| {
            let done = format!("Removed {name} from Pier (the machine itself is untouched).");
            toasts.act(delete_host(id, name.clone()), move |_| done, on_changed);
        })
    };
    let cap = host.capacity.clone();
    view! {
        <section class="card host-card" data-host=host.name.clone() data-status=host.status.as_str()>
            <div class="card-head">
                <h2>{host.name.clone()}</h2>
                <div>{status_badge(host.status)} {host.maintenance.then(|| view! { " " <span class="badge badge-queued">"maintenance"</span> })}</div>
            </div>
            <p class="muted small"><code>{host.uri.clone()}</code> " · storage " <code>{host.storage_dir.clone()}</code></p>
            {host.last_error.clone().map(|e| view! { <div class="error-box" role="alert">{format!("libvirt did not answer: {e}")}</div> })}
            {host.facts.clone().map(|f| view! {
                <dl class="facts">
                    <dt>"Host"</dt><dd>{f.hostname}</dd>
                    <dt>"libvirt"</dt><dd>{format!("{} ({})", f.libvirt_version, f.driver)}</dd>
                    <dt>"Hypervisor"</dt><dd>{f.hypervisor_version.map(|v| format!("QEMU {v}")).unwrap_or_else(|| "not installed".into())}</dd>
                    <dt>"CPU"</dt><dd>{format!("{} × {}", f.cpus, f.cpu_model)}</dd>
                    <dt>"Memory"</dt><dd>{format!("{:.1} GiB", f.memory_kib as f64 / 1_048_576.0)}</dd>
                    <dt>"Domains"</dt><dd>{f.domains}</dd>
                </dl>
            })}
            <div class="meters">
                <Meter label="vCPUs" used=cap.vcpus_allocated as u64 limit=cap.vcpus_allowed as u64 unit="allocated"/>
                <Meter label="Memory" used=cap.memory_allocated_mib limit=cap.memory_allowed_mib unit="MiB allocated"/>
                {cap.disk_total_gb.map(|total| view! {
                    <Meter label="Storage" used=total.saturating_sub(cap.disk_free_gb.unwrap_or(0)) limit=total unit="GB used"/>
                })}
            </div>
            <p class="muted small">{format!("Overcommit: CPU {}×, memory {}× · checked {}", host.cpu_overcommit, host.ram_overcommit,
                host.checked_at.as_deref().map(short_time).unwrap_or_else(|| "never".into()))}</p>
            <PoolList pools admin on_changed/>
            <div class="actions-row">
                <button type="button" class="button small" on:click=check disabled=move || checking.get()>
                    {move || if checking.get() { "Checking…" } else { "Check now" }}</button>
                {admin.then(|| view! {
                    <button type="button" class="button small" on:click=toggle_maintenance.clone()>
                        {if host.maintenance { "End maintenance" } else { "Maintenance" }}</button>
                    <button type="button" class="button small danger" on:click=move |_| confirm_delete.set(true)>"Remove"</button>
                })}
            </div>
            <ConfirmDialog open=confirm_delete title=format!("Remove {}?", host.name)
                message="Pier forgets this host. Nothing on the machine is changed."
                confirm_text=host.name.clone() action_label="Remove host" on_confirm=delete/>
        </section>
    }
}

#[component]
fn PoolList(pools: Vec<IpPoolView>, admin: bool, on_changed: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let remove = move |id: i64, name: String| toasts.act(delete_ip_pool(id), move |_| format!("Deleted pool {name}."), on_changed);
    (!pools.is_empty()).then(|| view! {
        <h3 class="small">"IP pools"</h3>
        <ul class="pool-list">
            {pools.into_iter().map(|p| {
                let name = p.name.clone();
                view! {
                    <li data-pool=p.name.clone()>
                        <span><strong>{p.name.clone()}</strong> " " <code class="small">{p.cidr.clone()}</code></span>
                        <span class="muted small">{format!("{}–{} · gateway {} · {} of {} in use", p.range_start, p.range_end, p.gateway, p.allocated, p.size)}</span>
                        {admin.then(|| view! {
                            <button type="button" class="button small" aria-label=format!("Delete pool {}", p.name)
                                    on:click=move |_| remove(p.id, name.clone())>"Delete"</button>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    })
}

#[component]
fn HostForm(on_saved: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let uri = RwSignal::new(String::from("qemu:///system"));
    let storage = RwSignal::new(String::from("/var/lib/pier/vms"));
    let cpu = RwSignal::new(String::from("4"));
    let ram = RwSignal::new(String::from("1"));
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let number = |s: RwSignal<String>, field: &str| s.get_untracked().trim().parse::<f64>().map_err(|_| ApiError::invalid(field, "Enter a number such as 4 or 1.5."));
        let settings = match (number(cpu, "cpu_overcommit"), number(ram, "ram_overcommit")) {
            (Ok(c), Ok(r)) => HostSettings { name: name.get_untracked().trim().into(), uri: uri.get_untracked().trim().into(), storage_dir: storage.get_untracked().trim().into(), cpu_overcommit: c, ram_overcommit: r, maintenance: false },
            (Err(e), _) | (_, Err(e)) => return error.set(Some(e)),
        };
        if let Err(e) = settings.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match save_host(None, settings).await {
                Ok(h) => {
                    match h.status {
                        HostStatus::Connected => toasts.success(format!("Added {}: connected.", h.name)),
                        _ => toasts.error(format!("Added {}, but libvirt did not answer: {}", h.name, h.last_error.unwrap_or_default())),
                    }
                    name.set(String::new());
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card">
            <h2>"Add a host"</h2>
            <form class="inline-form" on:submit=submit novalidate=true>
                <TextField id="host-name" label="Name" value=name error field="name"/>
                <TextField id="host-uri" label="libvirt URI" value=uri error field="uri"/>
                <TextField id="host-storage" label="Storage directory" value=storage error field="storage_dir"/>
                <TextField id="host-cpu" label="CPU overcommit" value=cpu error field="cpu_overcommit"/>
                <TextField id="host-ram" label="Memory overcommit" value=ram error field="ram_overcommit"/>
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Connecting…" } else { "Add host" }}</button>
            </form>
            {form_error(error)}
            <p class="muted small">"qemu:///system is this machine; qemu+ssh://root@host/system reaches another (its SSH key must be in root's known hosts)."</p>
        </section>
    }
}

/// `hosts`: the page's list, so a host added a moment ago is offered at once.
#[component]
fn PoolForm(hosts: Resource<Result<Vec<HostView>, ApiError>>, on_saved: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let host_id = RwSignal::new(None::<i64>);
    let name = RwSignal::new(String::from("public"));
    let cidr = RwSignal::new(String::new());
    let gateway = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(host_id) = host_id.get_untracked().or_else(|| hosts.get_untracked().and_then(Result::ok).and_then(|l| l.first().map(|h| h.id))) else {
            return error.set(Some(ApiError::new(pier_proto::ErrorCode::InvalidInput, "Add a host first.")));
        };
        let pool = NewIpPool { host_id, name: name.get_untracked(), cidr: cidr.get_untracked(), gateway: gateway.get_untracked(), range_start: start.get_untracked(), range_end: end.get_untracked() };
        if let Err(e) = pool.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        spawn_local(async move {
            match create_ip_pool(pool).await {
                Ok(p) => {
                    toasts.success(format!("Pool {} ready: {} addresses.", p.name, p.size));
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Add an IP pool"</h2>
            <form class="inline-form" on:submit=submit novalidate=true>
                <div class="field">
                    <label for="pool-host">"Host"</label>
                    <select id="pool-host" on:change=move |ev| host_id.set(event_target_value(&ev).parse().ok())>
                        <Transition fallback=|| ()>
                            {move || hosts.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|h| view! {
                                <option value=h.id.to_string() selected=Some(h.id) == host_id.get()>{h.name}</option>
                            }).collect_view()}
                        </Transition>
                    </select>
                </div>
                <TextField id="pool-name" label="Pool name" value=name error field="name"/>
                <TextField id="pool-cidr" label="Network (CIDR)" value=cidr error field="cidr"/>
                <TextField id="pool-gateway" label="Gateway" value=gateway error field="gateway"/>
                <TextField id="pool-start" label="First address" value=start error field="range_start"/>
                <TextField id="pool-end" label="Last address" value=end error field="range_end"/>
                <button type="submit" class="button">"Add pool"</button>
            </form>
            {form_error(error)}
        </section>
    }
}
