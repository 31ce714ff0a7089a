//! Active health checks of pool members. One task per pool with a check: every interval each
//! member gets one `GET`; after `fall` failures in a row it is taken out (rendered `down`, the
//! configuration applied and reloaded), after `rise` successes it is put back. Changes are kept
//! as history and pushed live on the `sites` topic.

use super::pipeline::Edit;
use super::{now, Sites};
use crate::actor::Audience;
use crate::entity::health_event;
use pier_proto::live::Topic;
use pier_proto::sites::{HealthChange, SitesEvent};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// A member as its checks have found it.
#[derive(Debug, Clone, Default)]
pub struct MemberState {
    /// `None` until the first verdict.
    pub up: Option<bool>,
    pub fails: u16,
    pub passes: u16,
    pub since: Option<i64>,
    pub message: Option<String>,
}

impl Sites {
    /// Members out of each pool (pool id → `host:port`).
    pub(crate) fn members_down(&self) -> HashMap<i64, HashSet<String>> {
        let states = self.health.lock().expect("not poisoned");
        states.iter().map(|(pool, members)| (*pool, members.iter().filter(|(_, s)| s.up == Some(false)).map(|(k, _)| k.clone()).collect())).collect()
    }

    /// Starts the checker of every pool that has a health check (at `pier serve`).
    pub async fn start_health_checks(&self) {
        match crate::entity::pool::Entity::find().all(&self.db).await {
            Ok(rows) => rows.into_iter().for_each(|p| self.restart_checker(p.id)),
            Err(e) => tracing::warn!(error = %e, "health checks not started"),
        }
    }

    pub(crate) fn stop_checker(&self, pool_id: i64) {
        if let Some(h) = self.checkers.lock().expect("not poisoned").remove(&pool_id) {
            h.abort();
        }
    }

    /// (Re)starts pool `pool_id`'s checker; it ends by itself when the pool has no check.
    pub(crate) fn restart_checker(&self, pool_id: i64) {
        self.stop_checker(pool_id);
        let me = self.clone();
        let task = tokio::spawn(async move { me.check_loop(pool_id).await });
        self.checkers.lock().expect("not poisoned").insert(pool_id, task.abort_handle());
    }

    async fn check_loop(&self, pool_id: i64) {
        loop {
            let Ok(row) = self.pool_row(pool_id).await else { return };
            let Ok((spec, Some(check))) = Self::parse_pool(&row) else {
                self.health.lock().expect("not poisoned").remove(&pool_id);
                return;
            };
            let timeout = Duration::from_millis(check.timeout_ms as u64);
            let results = futures::future::join_all(spec.members.iter().map(|m| {
                let path = check.path.clone();
                async move {
                    let verdict = match pier_web::probe::http_status(&m.host, m.port, &path, timeout).await {
                        Ok(code) if code == check.expected_status => Ok(()),
                        Ok(code) => Err(format!("status {code}, expected {}", check.expected_status)),
                        Err(e) => Err(e),
                    };
                    (format!("{}:{}", m.host, m.port), verdict)
                }
            }))
            .await;
            let changes = self.judge(pool_id, &spec.name, results, check.fall, check.rise);
            if !changes.is_empty() {
                self.record_changes(pool_id, &changes).await;
                // Only a member leaving or rejoining the pool changes the configuration.
                if changes.iter().any(|c| c.reapply) {
                    let _guard = self.apply_lock.lock().await;
                    if let Err(e) = self.apply_with(&Edit::Nothing).await {
                        tracing::warn!(pool = %spec.name, error = %e, "applying a health change failed");
                    }
                }
                for c in &changes {
                    self.bus.publish(&[Topic::new("sites").expect("topic")], Audience::Staff, serde_json::to_value(SitesEvent::Health(c.change.clone())).expect("json"));
                }
            }
            tokio::time::sleep(Duration::from_secs(check.interval_s as u64)).await;
        }
    }

    /// Updates the counters with one round of results; returns the members whose verdict
    /// changed.
    fn judge(&self, pool_id: i64, pool: &str, results: Vec<(String, Result<(), String>)>, fall: u16, rise: u16) -> Vec<Change> {
        let mut states = self.health.lock().expect("not poisoned");
        let members = states.entry(pool_id).or_default();
        members.retain(|k, _| results.iter().any(|(m, _)| m == k));
        let mut changes = Vec::new();
        let at = now().unix_timestamp();
        for (member, verdict) in results {
            let st = members.entry(member.clone()).or_default();
            let before = st.up;
            match verdict {
                Ok(()) => {
                    st.fails = 0;
                    st.passes = st.passes.saturating_add(1);
                    if st.up != Some(true) && (st.up.is_none() || st.passes >= rise) {
                        st.up = Some(true);
                        st.message = None;
                    }
                }
                Err(why) => {
                    st.passes = 0;
                    st.fails = st.fails.saturating_add(1);
                    st.message = Some(why);
                    if st.up != Some(false) && st.fails >= fall {
                        st.up = Some(false);
                    }
                }
            }
            if st.up != before {
                st.since = Some(at);
                // A first "up" is no change of the pool; the first "down" takes it out.
                let reapply = before == Some(false) || st.up == Some(false);
                if before.is_some() || st.up == Some(false) {
                    changes.push(Change { reapply, change: HealthChange { pool: pool.into(), member, up: st.up == Some(true), at, message: st.message.clone() } });
                }
            }
        }
        changes
    }

    async fn record_changes(&self, pool_id: i64, changes: &[Change]) {
        for c in changes {
            let row = health_event::ActiveModel { pool_id: Set(pool_id), member: Set(c.change.member.clone()), up: Set(c.change.up), message: Set(c.change.message.clone()), at: Set(now()), ..Default::default() };
            if let Err(e) = row.insert(&self.db).await {
                tracing::warn!(error = %e, "health history not written");
            }
            tracing::info!(pool = %c.change.pool, member = %c.change.member, up = c.change.up, message = ?c.change.message, "pool member health changed");
        }
    }
}

pub(crate) struct Change {
    reapply: bool,
    change: HealthChange,
}
