//! Sections of the navigation whose capability has not landed yet. Each says what it will do;
//! each is replaced by the real pages when its work lands (see the issues).

use crate::components::empty::EmptyState;
use leptos::prelude::*;
use leptos_meta::Title;

fn describe(area: &str) -> (&'static str, &'static str, &'static str) {
    match area {
        "vps" => ("VPS", "vps", "Virtual machines on libvirt/QEMU: create from plans and images, power, console, snapshots, live stats."),
        "containers" => ("Containers", "containers", "Docker containers: lifecycle, live logs, terminal, file manager, stats."),
        "sites" => ("Sites", "sites", "nginx sites with safe apply and rollback, load-balancer pools and health checks."),
        "certificates" => ("Certificates", "certificates", "TLS certificates: ACME issue and renewal, uploads, expiry tracking."),
        "monitoring" => ("Monitoring", "monitoring", "History charts, alert rules and notifications by email and webhook."),
        "backups" => ("Backups", "backups", "Scheduled backups of VPSs, containers and the panel, with restore."),
        _ => ("Unknown", "close", ""),
    }
}

#[component]
pub fn Upcoming(#[prop(into)] area: String) -> impl IntoView {
    let (title, icon, what) = describe(&area);
    view! {
        <Title text=title/>
        <div class="page-head"><h1>{title}</h1></div>
        <EmptyState icon=icon title=format!("{title} is not available in this version yet")
            text=what.to_string()/>
    }
}
