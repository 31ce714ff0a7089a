//! VPSs: cards of the person's VPSs (staff: all, with filters), each with its live state and
//! figures, the colored power buttons and the progress of whatever job works on it.

pub mod console;
mod create;
pub mod detail;
pub mod live;

use super::jobs::JobFeed;
use crate::api::compute::list_vps;
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::progress::ProgressBar;
use crate::components::shell::use_current_user;
use create::CreateForm;
use leptos::prelude::*;
use crate::live::{use_live, LiveMsg};
use leptos_meta::Title;
use pier_proto::live::Topic;
use live::{LiveVps, PowerButtons, StateBadge, StatsLine};
use pier_proto::accounts::Role;
use pier_proto::vps::VpsView;

/// Jobs that change a VPS's card when they end.
pub const VPS_JOB_KINDS: [&str; 5] = [
    pier_proto::vps::KIND_VPS_CREATE,
    pier_proto::vps::KIND_VPS_POWER,
    pier_proto::vps::KIND_VPS_DELETE,
    pier_proto::vps::KIND_VPS_REINSTALL,
    pier_proto::vps::KIND_VPS_SNAPSHOT,
];

#[component]
pub fn VpsPage() -> impl IntoView {
    let me = use_current_user().0;
    let is_staff = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| matches!(u.role, Role::Admin | Role::Support | Role::Billing));
    let version = RwSignal::new(0u32);
    let reload = move || version.update(|v| *v += 1);
    let list = Resource::new(move || version.get(), |_| list_vps());
    let feed = JobFeed::new(50);
    // A finished create, delete or reinstall changes the list: read it again.
    for kind in [pier_proto::vps::KIND_VPS_CREATE, pier_proto::vps::KIND_VPS_DELETE, pier_proto::vps::KIND_VPS_REINSTALL] {
        feed.on_finished(kind, reload);
    }
    // A VPS this list does not show yet (made in another tab or by an administrator for this
    // person) announces itself on the `vps` topic: read the list again.
    let known = move |id: i64| list.get_untracked().and_then(Result::ok).is_some_and(|l| l.iter().any(|v| v.id == id));
    use_live(Topic::new("vps").expect("valid topic"), move |msg| match msg {
        LiveMsg::Data(d) => {
            if d["type"] == "state" && d["id"].as_i64().is_some_and(|id| !known(id)) {
                reload();
            }
        }
        LiveMsg::Resync => reload(),
    });
    let filter = RwSignal::new(String::new());
    let state_filter = RwSignal::new(String::new());
    let shown = move |v: &VpsView| {
        let f = filter.get().to_lowercase();
        let st = state_filter.get();
        (f.is_empty() || [&v.name, &v.hostname, &v.owner, &v.host].iter().any(|s| s.to_lowercase().contains(&f)) || v.ip_address.as_deref().is_some_and(|ip| ip.contains(&f)))
            && (st.is_empty() || v.state.as_str() == st)
    };
    view! {
        <Title text="VPS"/>
        <div class="page-head">
            <h1>"Virtual servers"</h1>
        </div>
        <CreateForm on_created=Callback::new(move |_| reload())/>
        <Show when=is_staff>
            <div class="filters" role="search">
                <input type="search" placeholder="Filter by name, owner, host or address" aria-label="Filter VPSs"
                       prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
                <select aria-label="State" on:change=move |ev| state_filter.set(event_target_value(&ev))>
                    <option value="">"All states"</option>
                    {["running", "stopped", "paused", "crashed", "provisioning", "error"].map(|s| view! { <option value=s>{s}</option> }).collect_view()}
                </select>
            </div>
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading VPSs…"</p> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(l) if l.is_empty() => view! { <EmptyState icon="vps" title="No VPS yet" text="Create one above."/> }.into_any(),
                Ok(l) => view! {
                    <div class="host-grid">
                        {l.into_iter().map(|v| {
                            let keep = v.clone();
                            view! { <Show when=move || shown(&keep)><VpsCard vps=v.clone() feed reload=Callback::new(move |_| reload())/></Show> }
                        }).collect_view()}
                    </div>
                }.into_any(),
            })}
        </Transition>
    }
}

/// The newest unfinished job working on VPS `id`, with a bar.
#[component]
pub fn VpsJobProgress(id: i64, feed: JobFeed) -> impl IntoView {
    let target = format!("vps:{id}");
    let job = move || feed.jobs().into_iter().find(|j| j.target == target && VPS_JOB_KINDS.contains(&j.kind.as_str()) && !j.state.is_final());
    move || {
        job().map(|j| {
            let label = j.kind.clone();
            view! {
                <div class="vps-job">
                    <ProgressBar value=j.progress state=j.state label=label/>
                    <p class="muted small">{j.message}</p>
                </div>
            }
        })
    }
}

#[component]
pub fn VpsCard(vps: VpsView, feed: JobFeed, reload: Callback<()>) -> impl IntoView {
    let live = LiveVps::follow(&vps, None, move || reload.run(()), move || reload.run(()));
    let href = format!("/vps/{}", vps.id);
    let name = vps.name.clone();
    view! {
        <section class="card vps-card" data-vps=vps.name.clone() data-state=move || live.state.get().as_str()>
            <div class="card-head">
                <h2><a href=href>{vps.name.clone()}</a></h2>
                <StateBadge live/>
            </div>
            <p class="muted small">{vps.hostname.clone()}</p>
            <dl class="facts">
                <dt>"Address"</dt><dd>{vps.ip_address.clone().unwrap_or_else(|| "private network".into())}</dd>
                <dt>"Size"</dt><dd>{format!("{} vCPU · {} MiB · {} GB", vps.vcpus, vps.memory_mib, vps.disk_gb)}</dd>
                <dt>"Image"</dt><dd>{vps.image.clone().unwrap_or_default()}</dd>
                <dt>"Host"</dt><dd>{vps.host.clone()}</dd>
                <dt>"Owner"</dt><dd>{vps.owner.clone()}</dd>
                {vps.expires_at.clone().map(|t| view! { <dt>"Expires"</dt><dd><ExpiryNote at=t/></dd> })}
            </dl>
            <StatsLine live/>
            {move || live.error.get().map(|e| view! { <div class="error-box" role="alert">{e}</div> })}
            <VpsJobProgress id=vps.id feed/>
            <Show when=move || !live.state.get().is_busy()>
                <PowerButtons live name=name.clone()/>
            </Show>
        </section>
    }
}

/// The expiry date, and a warning when it is less than a day away (the in-app warning; email
/// comes with notifications).
#[component]
pub fn ExpiryNote(at: String) -> impl IntoView {
    let soon = time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t - now())
        .filter(|left| *left < time::Duration::days(1));
    let text = crate::format::short_time(&at);
    match soon {
        Some(left) if left.is_negative() => view! { <span class="expiry expiry-soon" role="status">{format!("{text} — expired")}</span> }.into_any(),
        Some(left) => view! { <span class="expiry expiry-soon" role="status">{format!("{text} — in {}", live::uptime(left.whole_seconds() as u64))}</span> }.into_any(),
        None => view! { <span class="expiry">{text}</span> }.into_any(),
    }
}

/// The time now, in the browser or on the server.
fn now() -> time::OffsetDateTime {
    #[cfg(feature = "hydrate")]
    {
        time::OffsetDateTime::from_unix_timestamp_nanos((js_sys::Date::now() * 1e6) as i128).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        time::OffsetDateTime::now_utc()
    }
}
