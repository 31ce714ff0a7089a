//! The overview dashboard: composes what the services already let the actor read into one
//! snapshot. Nothing here decides access itself — each part comes from the service that owns
//! it, with that service's checks (a user's VPS list holds only their VPSs, their alerts only
//! those about their things), and the staff-only parts are asked for staff only.

use crate::actor::{policy, Actor};
use crate::service_error::ServiceError;
use crate::Core;
use pier_proto::alerts::{AlertQuery, AlertState};
use pier_proto::dashboard::{count_states, CertificateExpiry, Dashboard, HostBrief, MachineGauges, SiteCounts, EXPIRING_WITHIN_DAYS};
use pier_proto::sites::ApplyState;
use std::time::Duration;

/// Dockerd is asked for every container; a slow engine leaves the tile empty, not the page.
const CONTAINERS_WITHIN: Duration = Duration::from_secs(3);
/// Open alerts shown (per state).
const ALERTS_SHOWN: u32 = 20;

pub async fn dashboard(core: &Core, actor: &Actor) -> Result<Dashboard, ServiceError> {
    let staff = policy::may_read_platform(actor);
    let vps = core.compute.list_vps(actor).await?;
    let containers = match tokio::time::timeout(CONTAINERS_WITHIN, core.containers.list_containers(actor)).await {
        Ok(Ok(list)) => Some(count_states(list.iter().map(|c| c.state.as_str()))),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "dashboard: containers unavailable");
            None
        }
        Err(_) => None,
    };
    let mut alerts = Vec::new();
    for state in [AlertState::Firing, AlertState::Pending] {
        alerts.extend(core.alerts.list_alerts(actor, &AlertQuery { state: Some(state), limit: Some(ALERTS_SHOWN) }).await?);
    }
    let mut out = Dashboard {
        staff,
        vps: count_states(vps.iter().map(|v| v.state.as_str())),
        containers,
        machine: None,
        hosts: Vec::new(),
        sites: None,
        certificates_expiring: Vec::new(),
        alerts,
    };
    if !staff {
        return Ok(out);
    }
    out.machine = core.monitoring.latest().into_iter().find(|(target, _, _)| target == "host").map(|(_, t, values)| {
        let mut g = MachineGauges::default();
        g.apply(t, &values);
        g
    });
    out.hosts = core
        .compute
        .list_hosts(actor)
        .await?
        .into_iter()
        .map(|h| HostBrief {
            id: h.id,
            name: h.name,
            status: h.status.as_str().to_string(),
            maintenance: h.maintenance,
            vps_count: h.vps_count,
            vcpus_allocated: h.capacity.vcpus_allocated,
            vcpus_allowed: h.capacity.vcpus_allowed,
            memory_allocated_mib: h.capacity.memory_allocated_mib,
            memory_allowed_mib: h.capacity.memory_allowed_mib,
        })
        .collect();
    let sites = core.sites.list_sites(actor).await?;
    out.sites = Some(SiteCounts {
        total: sites.len() as u64,
        enabled: sites.iter().filter(|s| s.enabled).count() as u64,
        failing: sites.iter().filter(|s| matches!(s.state, ApplyState::Rejected { .. })).count() as u64,
    });
    let mut expiring: Vec<CertificateExpiry> = core
        .sites
        .list_certificates(actor)
        .await?
        .into_iter()
        .filter_map(|c| {
            let days_left = c.days_left?;
            (days_left <= EXPIRING_WITHIN_DAYS).then_some(CertificateExpiry { id: c.id, name: c.name, days_left, auto_renew: c.auto_renew })
        })
        .collect();
    expiring.sort_by_key(|c| c.days_left);
    out.certificates_expiring = expiring;
    Ok(out)
}
