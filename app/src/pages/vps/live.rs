//! A VPS's live state on a page: signals fed by the `vps:<id>` topic (state changes pushed from
//! libvirt events, stats every few seconds), the state badge, the stats line and the power
//! buttons that every VPS view shares.

use crate::api::compute::vps_power;
use crate::components::toast::use_toasts;
use crate::live::{use_live, LiveMsg};
use leptos::prelude::*;
use pier_proto::live::Topic;
use pier_proto::vps::{PowerAction, VpsLive as Wire, VpsState, VpsStats, VpsView};

/// What changes on its own while the page is open.
#[derive(Clone, Copy)]
pub struct LiveVps {
    pub id: i64,
    pub state: RwSignal<VpsState>,
    pub error: RwSignal<Option<String>>,
    pub stats: RwSignal<Option<VpsStats>>,
}

impl LiveVps {
    /// Follows VPS `v`; `on_gone` runs when it is deleted, `on_resync` when events were lost.
    pub fn follow(v: &VpsView, stats: Option<VpsStats>, on_gone: impl Fn() + 'static, on_resync: impl Fn() + 'static) -> Self {
        let live = LiveVps { id: v.id, state: RwSignal::new(v.state), error: RwSignal::new(v.last_error.clone()), stats: RwSignal::new(stats) };
        let topic = Topic::new(format!("vps:{}", v.id)).expect("valid topic");
        use_live(topic, move |msg| match msg {
            LiveMsg::Resync => on_resync(),
            LiveMsg::Data(data) => match serde_json::from_value::<Wire>(data) {
                Ok(Wire::State(e)) if e.removed => on_gone(),
                Ok(Wire::State(e)) => {
                    live.state.set(e.state);
                    live.error.set(e.last_error);
                    if !matches!(e.state, VpsState::Running | VpsState::Paused) {
                        live.stats.set(None);
                    }
                }
                Ok(Wire::Stats(s)) => live.stats.set(Some(s)),
                Err(_) => {}
            },
        });
        live
    }
}

pub fn state_class(s: VpsState) -> &'static str {
    match s {
        VpsState::Running => "badge badge-succeeded",
        VpsState::Provisioning | VpsState::Deleting | VpsState::Reinstalling => "badge badge-running",
        VpsState::Stopped | VpsState::Paused => "badge badge-queued",
        VpsState::Error | VpsState::Crashed => "badge badge-failed",
    }
}

#[component]
pub fn StateBadge(live: LiveVps) -> impl IntoView {
    view! { <span class=move || state_class(live.state.get()) data-testid="vps-state">{move || live.state.get().as_str()}</span> }
}

/// `1536` → `1.5 kB/s`.
pub fn rate(bps: u64) -> String {
    match bps {
        b if b >= 1 << 20 => format!("{:.1} MB/s", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} kB/s", b as f64 / 1024.0),
        b => format!("{b} B/s"),
    }
}

/// `93784` → `1 d 2 h`, `3720` → `1 h 2 m`, `59` → `59 s`.
pub fn uptime(s: u64) -> String {
    match s {
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{} h {} m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} m", s / 60),
        s => format!("{s} s"),
    }
}

/// CPU, memory, disk and network figures, or nothing while it does not run.
#[component]
pub fn StatsLine(live: LiveVps) -> impl IntoView {
    move || {
        live.stats.get().map(|s| {
            let mem_pct = (s.memory_used_mib * 100).checked_div(s.memory_mib).unwrap_or(0).min(100);
            view! {
                <div class="vps-stats" data-testid="vps-stats">
                    <div class="mini-meter" title="CPU">
                        <span>"CPU"</span><strong data-testid="vps-cpu">{format!("{:.1} %", s.cpu_percent)}</strong>
                        <div class="meter-bar"><div class="meter-fill" style=format!("width: {}%", s.cpu_percent.round() as u64)></div></div>
                    </div>
                    <div class="mini-meter" title="Memory">
                        <span>"RAM"</span><strong>{format!("{} / {} MiB", s.memory_used_mib, s.memory_mib)}</strong>
                        <div class="meter-bar"><div class="meter-fill" style=format!("width: {mem_pct}%")></div></div>
                    </div>
                    <p class="muted small">
                        {format!("Disk ↓ {} ↑ {} · Net ↓ {} ↑ {}", rate(s.disk_read_bps), rate(s.disk_write_bps), rate(s.net_rx_bps), rate(s.net_tx_bps))}
                        {s.uptime_s.map(|u| format!(" · up {}", uptime(u)))}
                    </p>
                </div>
            }
        })
    }
}

fn button_class(a: PowerAction) -> &'static str {
    match a {
        PowerAction::Start | PowerAction::Resume => "button small power-start",
        PowerAction::Shutdown | PowerAction::ForceOff => "button small power-stop",
        PowerAction::Reboot | PowerAction::Reset | PowerAction::Suspend => "button small power-restart",
    }
}

/// The power buttons; those that do not fit the state are disabled (the server refuses them
/// too). Force off and reset ask once more: the second click within a few seconds does it.
#[component]
pub fn PowerButtons(live: LiveVps, name: String, #[prop(default = false)] all: bool) -> impl IntoView {
    let toasts = use_toasts();
    let armed = RwSignal::new(None::<PowerAction>);
    let actions: Vec<PowerAction> =
        if all { PowerAction::ALL.to_vec() } else { vec![PowerAction::Start, PowerAction::Shutdown, PowerAction::Reboot, PowerAction::ForceOff] };
    view! {
        <div class="power-buttons" role="group" aria-label=format!("Power of {name}")>
            {actions.into_iter().map(|a| {
                let name = name.clone();
                let click = move |_| {
                    if a.is_destructive() && armed.get_untracked() != Some(a) {
                        armed.set(Some(a));
                        set_timeout(move || armed.set(None), std::time::Duration::from_secs(4));
                        return;
                    }
                    armed.set(None);
                    let name = name.clone();
                    toasts.act(vps_power(live.id, a), move |job| format!("{} {name}: queued (job #{job}).", a.label()), Callback::new(|_| ()));
                };
                view! {
                    <button type="button" class=button_class(a) data-action=a.as_str()
                            disabled=move || !a.allowed_from(live.state.get()) on:click=click>
                        {move || if armed.get() == Some(a) { format!("Confirm {}?", a.label().to_lowercase()) } else { a.label().to_string() }}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn figures_read_well() {
        assert_eq!(super::rate(1536), "1.5 kB/s");
        assert_eq!(super::rate(3 << 20), "3.0 MB/s");
        assert_eq!(super::uptime(93_784), "1 d 2 h");
        assert_eq!(super::uptime(3720), "1 h 2 m");
        assert_eq!(super::uptime(59), "59 s");
    }
}
