//! Overview: the dashboard. Staff see the platform (this machine's live gauges, hosts, counts of
//! VPSs, containers and sites, certificates expiring, open alerts, jobs, component health);
//! everyone else sees their own VPSs as live cards, their containers and the alerts about them.
//! Live without a refresh: the host's samples move the gauges, and an event on a topic the
//! snapshot depends on reads it again.

use super::alerts::state_badge;
use super::jobs::{JobFeed, JobList};
use super::system::status_badge;
use super::vps::VpsCard;
use crate::api::compute::list_vps;
use crate::api::health_report;
use crate::api::monitoring::dashboard;
use crate::components::error_box::ErrorBox;
use crate::format::{clock, when};
use crate::live::{use_live, use_live_burst, LiveMsg};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use pier_proto::dashboard::{Dashboard, MachineGauges, StateCount, REFRESH_TOPICS};
use pier_proto::live::Topic;
use pier_proto::monitoring::{metrics_topic, LiveSamples};
use pier_proto::ApiError;

#[component]
pub fn Overview() -> impl IntoView {
    let version = RwSignal::new(0u32);
    // Subscribing is harmless where a topic is not for this person (the socket answers
    // "denied"), so the subscriptions do not wait for the snapshot to say who is looking.
    // A burst (a VPS created and started, an alert and its notification) re-reads once.
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    use_live_burst(REFRESH_TOPICS.iter().map(|t| Topic::new(*t).expect("valid topic")), std::time::Duration::from_millis(250), reload);
    // The machine's samples as they arrive; shown once newer than the snapshot's.
    let live = RwSignal::new(MachineGauges::default());
    use_live(Topic::new(metrics_topic("host")).expect("valid topic"), move |msg| {
        if let LiveMsg::Data(d) = msg {
            if let Ok(s) = serde_json::from_value::<LiveSamples>(d) {
                live.update(|g| g.apply(s.t, &s.values));
            }
        }
    });
    // One resource for the whole page: what the snapshot says (staff or not) decides what else
    // is read, inside the same fetch — a second resource keyed on the first one's value
    // resolves differently on the server and in the browser and breaks hydration.
    let page = Resource::new(move || version.get(), |_| async move {
        let d = dashboard().await?;
        let own_vps = if d.staff { None } else { Some(list_vps().await?) };
        let report = if d.staff { Some(health_report(false).await?) } else { None };
        Ok::<_, ApiError>((d, own_vps, report))
    });
    let feed = JobFeed::new(8);
    view! {
        <Title text="Overview"/>
        <div class="page-head">
            <h1>"Overview"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading the overview…"</p> }>
            {move || page.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok((d, own_vps, report)) => view! {
                    <Glance d=d live/>
                    {own_vps.map(|list| view! {
                        <section class="card" data-own-vps="">
                            <div class="card-head"><h2>"Your VPSs"</h2><A href="/vps" attr:class="link">"All VPSs"</A></div>
                            {if list.is_empty() { Some(view! { <p class="muted">"No VPS yet."</p> }) } else { None }}
                            <div class="host-grid">
                                {list.into_iter().map(|v| view! { <VpsCard vps=v feed reload/> }).collect_view()}
                            </div>
                        </section>
                    })}
                    <section class="card">
                        <div class="card-head"><h2>"Jobs"</h2><A href="/jobs" attr:class="link">"All jobs"</A></div>
                        <JobList feed empty_text="Nothing has run yet."/>
                    </section>
                    {report.map(|report| view! {
                        <section class="card">
                            <div class="card-head"><h2>"Components"</h2><A href="/system" attr:class="link">"Details"</A></div>
                            <ul class="tiles">
                                {report.checks.into_iter().map(|c| view! {
                                    <li class="tile" data-component=c.component.clone()>
                                        <span class="tile-name">{c.component.clone()}</span>
                                        {status_badge(c.status)}
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    })}
                }.into_any(),
            })}
        </Transition>
    }
}

/// Everything the snapshot holds, in the order a person scans it.
#[component]
fn Glance(d: Dashboard, live: RwSignal<MachineGauges>) -> impl IntoView {
    let open = d.alerts.len();
    let firing = d.alerts.iter().filter(|a| a.state == pier_proto::alerts::AlertState::Firing).count();
    view! {
        {d.machine.clone().map(|initial| view! { <Machine initial live/> })}
        <section class="card">
            <h2>"At a glance"</h2>
            <ul class="tiles glance">
                <CountTile key="vps" label="VPSs" href="/vps" counts=Some(d.vps.clone())/>
                <CountTile key="containers" label="Containers" href="/containers" counts=d.containers.clone()/>
                {d.sites.clone().map(|s| view! {
                    <li class="tile glance-tile" data-glance="sites">
                        <A href="/sites" attr:class="tile-name">"Sites"</A>
                        <span class="glance-total">{s.total}</span>
                        <span class="muted small">{format!("{} enabled", s.enabled)}{(s.failing > 0).then(|| format!(" · {} refused", s.failing))}</span>
                    </li>
                })}
                {d.staff.then(|| view! {
                    <li class="tile glance-tile" data-glance="certificates">
                        <A href="/certificates" attr:class="tile-name">"Certificates"</A>
                        <span class="glance-total">{d.certificates_expiring.len()}</span>
                        <span class="muted small">{format!("expiring within {} days", pier_proto::dashboard::EXPIRING_WITHIN_DAYS)}</span>
                    </li>
                })}
                <li class="tile glance-tile" data-glance="alerts" data-firing=firing.to_string()>
                    <A href="/alerts" attr:class="tile-name">"Alerts"</A>
                    <span class={if firing > 0 { "glance-total glance-bad" } else { "glance-total" }}>{firing}</span>
                    <span class="muted small">{format!("firing · {} pending", open - firing)}</span>
                </li>
            </ul>
        </section>
        <section class="card">
            <div class="card-head"><h2>"Open alerts"</h2><A href="/alerts" attr:class="link">"All alerts"</A></div>
            {if d.alerts.is_empty() { Some(view! { <p class="muted" data-dashboard-alerts="none">"Nothing is firing."</p> }) } else { None }}
            <ul class="plain alert-list">
                {d.alerts.iter().map(|a| view! {
                    <li class="alert-row" data-alert-state=a.state.as_str() data-target=a.target.clone()>
                        {state_badge(a)}" "<strong>{a.title.clone()}</strong>
                        <span class="muted small">{format!(" since {}", when(a.fired_at.unwrap_or(a.started_at)))}</span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
        {(!d.hosts.is_empty()).then(|| view! {
            <section class="card">
                <div class="card-head"><h2>"Hosts"</h2><A href="/hosts" attr:class="link">"All hosts"</A></div>
                <div class="table-wrap">
                    <table class="table">
                        <thead><tr><th>"Host"</th><th>"State"</th><th>"VPSs"</th><th>"vCPU"</th><th>"Memory"</th></tr></thead>
                        <tbody>
                            {d.hosts.iter().map(|h| {
                                let pct = (h.memory_allocated_mib * 100).checked_div(h.memory_allowed_mib).unwrap_or(0).min(100);
                                view! {
                                    <tr data-host=h.name.clone() data-status=h.status.clone()>
                                        <th scope="row">{h.name.clone()}{h.maintenance.then_some(" (maintenance)")}</th>
                                        <td><span class={if h.status == "connected" { "badge badge-succeeded" } else if h.status == "unreachable" { "badge badge-failed" } else { "badge badge-queued" }}>{h.status.clone()}</span></td>
                                        <td>{h.vps_count}</td>
                                        <td>{format!("{} / {}", h.vcpus_allocated, h.vcpus_allowed)}</td>
                                        <td>
                                            <div class="meter" role="meter" aria-label=format!("{} memory", h.name) aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct.to_string()>
                                                <div class={if pct >= 90 { "meter-fill meter-high" } else { "meter-fill" }} style=format!("width: {pct}%")></div>
                                            </div>
                                            <span class="muted small">{format!("{} / {} MiB", h.memory_allocated_mib, h.memory_allowed_mib)}</span>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        })}
        {(!d.certificates_expiring.is_empty()).then(|| view! {
            <section class="card">
                <div class="card-head"><h2>"Certificates expiring soon"</h2><A href="/certificates" attr:class="link">"Certificates"</A></div>
                <ul class="plain">
                    {d.certificates_expiring.iter().map(|c| view! {
                        <li data-certificate=c.name.clone()>
                            <strong>{c.name.clone()}</strong>
                            <span class={if c.days_left <= 7 { "badge badge-failed" } else { "badge badge-queued" }}>{format!("{} days left", c.days_left)}</span>
                            <span class="muted small">{if c.auto_renew { " renews by itself" } else { " renew by hand" }}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

/// A tile with a total and its break-down by state; `None`: nobody answered.
#[component]
fn CountTile(key: &'static str, label: &'static str, href: &'static str, counts: Option<Vec<StateCount>>) -> impl IntoView {
    view! {
        <li class="tile glance-tile" data-glance=key>
            <A href=href attr:class="tile-name">{label}</A>
            {match counts {
                None => view! { <span class="glance-total">"—"</span><span class="muted small">"no engine answered"</span> }.into_any(),
                Some(c) => {
                    let total: u64 = c.iter().map(|s| s.count).sum();
                    let parts = c.iter().map(|s| format!("{} {}", s.count, s.state)).collect::<Vec<_>>().join(" · ");
                    view! {
                        <span class="glance-total">{total}</span>
                        <span class="muted small">{if parts.is_empty() { "none yet".to_string() } else { parts }}</span>
                    }.into_any()
                }
            }}
        </li>
    }
}

/// The panel machine's gauges: the snapshot's values until a newer sample arrives live.
#[component]
fn Machine(initial: MachineGauges, live: RwSignal<MachineGauges>) -> impl IntoView {
    let current = Memo::new(move |_| {
        let l = live.get();
        if l.t > initial.t { l } else { initial.clone() }
    });
    let gauge = move |key: &'static str, label: &'static str, pick: fn(&MachineGauges) -> Option<f64>| {
        let value = move || pick(&current.get());
        view! {
            <div class="meter-row" data-gauge=key>
                <div class="meter-label"><span>{label}</span><span class="gauge-value">{move || value().map(|v| format!("{v:.1} %")).unwrap_or_else(|| "—".into())}</span></div>
                <div class="meter" role="meter" aria-label=label aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || format!("{:.1}", value().unwrap_or(0.0))>
                    <div class={move || if value().unwrap_or(0.0) >= 90.0 { "meter-fill meter-high" } else { "meter-fill" }}
                         style=move || format!("width: {:.0}%", value().unwrap_or(0.0).clamp(0.0, 100.0))></div>
                </div>
            </div>
        }
    };
    view! {
        <section class="card" data-machine="">
            <div class="card-head"><h2>"This machine"</h2><A href="/monitoring" attr:class="link">"Charts"</A></div>
            <div class="meters">
                {gauge("cpu", "CPU", |g| g.cpu_pct)}
                {gauge("memory", "Memory", |g| g.mem_pct)}
                {gauge("disk", "Disk /", |g| g.disk_pct)}
            </div>
            <p class="muted small">
                {move || current.get().load1.map(|l| format!("Load {l:.2} · ")).unwrap_or_default()}
                "sampled at " <span data-sampled-at=move || current.get().t.to_string()>{move || clock(current.get().t)}</span>
            </p>
        </section>
    }
}
