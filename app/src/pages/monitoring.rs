//! Monitoring: history charts of the panel's machine and of Pier itself (staff); everyone's
//! own VPSs and containers have their charts on their own pages (Metrics tabs).

use crate::components::chart::{ChartSpec, MetricsPanel, Unit};
use crate::components::shell::use_current_user;
use leptos::prelude::*;
use leptos_meta::Title;
use pier_proto::accounts::Role;

/// The host's charts.
pub const HOST_CHARTS: [ChartSpec; 9] = [
    ChartSpec { metric: "cpu", title: "CPU", unit: Unit::Percent },
    ChartSpec { metric: "load1", title: "Load (1 min)", unit: Unit::Plain },
    ChartSpec { metric: "mem_used_pct", title: "Memory used", unit: Unit::Percent },
    ChartSpec { metric: "swap_used_pct", title: "Swap used", unit: Unit::Percent },
    ChartSpec { metric: "disk./.used_pct", title: "Root filesystem used", unit: Unit::Percent },
    ChartSpec { metric: "disk_read_bps", title: "Disk reads", unit: Unit::BytesPerSecond },
    ChartSpec { metric: "disk_write_bps", title: "Disk writes", unit: Unit::BytesPerSecond },
    ChartSpec { metric: "net_rx_bps", title: "Network in", unit: Unit::BytesPerSecond },
    ChartSpec { metric: "net_tx_bps", title: "Network out", unit: Unit::BytesPerSecond },
];

/// A VPS's or container's charts (the same names for both).
pub const GUEST_CHARTS: [ChartSpec; 6] = [
    ChartSpec { metric: "cpu", title: "CPU", unit: Unit::Percent },
    ChartSpec { metric: "mem_used_pct", title: "Memory used", unit: Unit::Percent },
    ChartSpec { metric: "disk_read_bps", title: "Disk reads", unit: Unit::BytesPerSecond },
    ChartSpec { metric: "disk_write_bps", title: "Disk writes", unit: Unit::BytesPerSecond },
    ChartSpec { metric: "net_rx_bps", title: "Network in", unit: Unit::BytesPerSecond },
    ChartSpec { metric: "net_tx_bps", title: "Network out", unit: Unit::BytesPerSecond },
];

/// A site's charts (from its access log).
pub const SITE_CHARTS: [ChartSpec; 4] = [
    ChartSpec { metric: "requests_per_s", title: "Requests", unit: Unit::PerSecond },
    ChartSpec { metric: "status_5xx_per_s", title: "Server errors (5xx)", unit: Unit::PerSecond },
    ChartSpec { metric: "upstream_p95_ms", title: "Upstream time p95", unit: Unit::Millis },
    ChartSpec { metric: "bytes_per_s", title: "Bytes sent", unit: Unit::BytesPerSecond },
];

const PANEL_CHARTS: [ChartSpec; 6] = [
    ChartSpec { metric: "requests_per_s", title: "Requests", unit: Unit::PerSecond },
    ChartSpec { metric: "errors_per_s", title: "Server errors (5xx)", unit: Unit::PerSecond },
    ChartSpec { metric: "latency_p50_ms", title: "Latency p50", unit: Unit::Millis },
    ChartSpec { metric: "latency_p95_ms", title: "Latency p95", unit: Unit::Millis },
    ChartSpec { metric: "jobs_queued", title: "Jobs waiting", unit: Unit::Plain },
    ChartSpec { metric: "rss_bytes", title: "Pier's memory", unit: Unit::Bytes },
];

#[component]
pub fn MonitoringPage() -> impl IntoView {
    let me = use_current_user().0;
    view! {
        <Title text="Monitoring"/>
        <div class="page-head">
            <h1>"Monitoring"</h1>
            <p class="muted">"History of the figures Pier collects: the last 24 hours every 10 seconds, then per minute, ten minutes and hour for up to two years."</p>
        </div>
        <Transition fallback=|| ()>
            {move || me.get().map(|r| {
                let staff = r.ok().flatten().is_some_and(|u| matches!(u.role, Role::Admin | Role::Support));
                if staff {
                    view! {
                        <h2>"This machine"</h2>
                        <MetricsPanel target="host" charts=HOST_CHARTS.to_vec()/>
                        <h2>"Pier"</h2>
                        <MetricsPanel target="pier" charts=PANEL_CHARTS.to_vec()/>
                    }.into_any()
                } else {
                    view! {
                        <p>"Each of your "<a href="/vps">"VPSs"</a>" and "<a href="/containers">"containers"</a>" has its charts on its own page, under Metrics."</p>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
