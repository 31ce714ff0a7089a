//! Keeps each VPS's state equal to libvirt's without polling: one watcher per host receives
//! lifecycle events (a guest that powers itself off, crashes, or is changed with virsh shows at
//! once) and reconciles every domain whenever it (re)connects. Hosts added later get a watcher
//! within `RESCAN`; a watcher whose host was removed ends.

use super::vps::state_of;
use super::Compute;
use crate::entity::{host, vps};
use pier_proto::vps::VpsState;
use pier_vmm::DomainEvent;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const RESCAN: Duration = Duration::from_secs(15);
const ALIVE_CHECK: Duration = Duration::from_secs(10);

impl Compute {
    /// Starts the watchers; call once per process (serve does).
    pub fn spawn_state_sync(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let watching: Arc<Mutex<HashSet<i64>>> = Default::default();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RESCAN);
            loop {
                tick.tick().await;
                let Ok(hosts) = host::Entity::find().all(&this.db).await else { continue };
                for h in hosts {
                    if watching.lock().expect("not poisoned").insert(h.id) {
                        let (this, watching) = (this.clone(), watching.clone());
                        tokio::spawn(async move {
                            this.watch_host(h.id).await;
                            watching.lock().expect("not poisoned").remove(&h.id);
                        });
                    }
                }
            }
        })
    }

    /// Follows one host until it is removed, reconnecting with backoff when it goes away.
    async fn watch_host(&self, host_id: i64) {
        let mut backoff = Duration::from_secs(2);
        loop {
            let Ok(Some(h)) = host::Entity::find_by_id(host_id).one(&self.db).await else { return };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<DomainEvent>();
            let uri = h.uri.clone();
            let conns = self.conns.clone();
            let watch = tokio::task::spawn_blocking(move || {
                let hv = conns.get(&uri)?;
                let w = hv.watch_events(move |e| {
                    let _ = tx.send(e);
                })?;
                Ok::<_, pier_vmm::VmmError>((hv, w))
            })
            .await;
            let (hv, watch) = match watch {
                Ok(Ok(pair)) => pair,
                _ => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                    continue;
                }
            };
            backoff = Duration::from_secs(2);
            if let Err(e) = self.reconcile_host(&h).await {
                tracing::warn!(host = h.id, error = %e, "state sync: reconcile failed");
            }
            let mut alive = tokio::time::interval(ALIVE_CHECK);
            alive.tick().await;
            loop {
                tokio::select! {
                    event = rx.recv() => match event {
                        Some(e) => self.apply_event(&h, e).await,
                        None => break,
                    },
                    _ = alive.tick() => {
                        let hv = hv.clone();
                        let up = tokio::task::spawn_blocking(move || hv.is_alive()).await.unwrap_or(false);
                        let still_there = matches!(host::Entity::find_by_id(host_id).one(&self.db).await, Ok(Some(ref now)) if now.uri == h.uri);
                        if !up || !still_there {
                            self.conns.forget(&h.uri);
                            break;
                        }
                    }
                }
            }
            // Deregistering talks to the host; not on an async thread.
            let _ = tokio::task::spawn_blocking(move || drop((watch, hv))).await;
        }
    }

    /// Sets every VPS on `h` to the state libvirt reports (those a job owns are left alone).
    pub async fn reconcile_host(&self, h: &host::Model) -> super::Result<()> {
        let domains = self.conns.call(&h.uri, |hv| hv.list_domains()).await?;
        let rows = vps::Entity::find().filter(vps::Column::HostId.eq(h.id)).all(&self.db).await?;
        for v in rows.iter().filter(|v| !VpsState::parse(&v.state).is_busy() && !v.domain_name.is_empty()) {
            let (state, error) = match domains.iter().find(|d| d.name == v.domain_name) {
                Some(d) => (state_of(d.state), None),
                None if VpsState::parse(&v.state) == VpsState::Error => continue,
                None => (VpsState::Error, Some("The virtual machine is missing on its host (removed outside Pier); reinstall or delete this VPS.".to_string())),
            };
            if VpsState::parse(&v.state) != state || v.last_error != error {
                self.set_vps_state(v, state, error).await?;
            }
        }
        Ok(())
    }

    async fn apply_event(&self, h: &host::Model, e: DomainEvent) {
        let name = match &e {
            DomainEvent::State { name, .. } | DomainEvent::Undefined { name } => name.clone(),
        };
        let found = vps::Entity::find().filter(vps::Column::HostId.eq(h.id)).filter(vps::Column::DomainName.eq(name)).one(&self.db).await;
        let Ok(Some(v)) = found else { return }; // not Pier's domain
        if VpsState::parse(&v.state).is_busy() {
            return; // the job that owns it records the outcome
        }
        let (state, error) = match e {
            DomainEvent::State { state, .. } => {
                let s = state_of(state);
                (s, (s == VpsState::Crashed).then(|| "The guest crashed.".to_string()))
            }
            DomainEvent::Undefined { .. } => (VpsState::Error, Some("The virtual machine was removed outside Pier; reinstall or delete this VPS.".to_string())),
        };
        if VpsState::parse(&v.state) != state || v.last_error != error {
            if let Err(err) = self.set_vps_state(&v, state, error).await {
                tracing::warn!(vps = v.id, error = %err, "state sync: not recorded");
            }
        }
    }
}
