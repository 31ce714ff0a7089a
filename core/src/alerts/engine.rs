//! Evaluating rules and checking events, at a time given by the caller (a controllable clock
//! in the tests, now in the panel).

use super::{Alerts, Result};
use crate::entity::{alert, alert_rule, certificate, container, engine, host, job, site, vps};
use pier_proto::alerts::{AlertState, RuleInput, Severity};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// Event kinds.
pub const HOST_UNREACHABLE: &str = "host_unreachable";
pub const NGINX_DOWN: &str = "nginx_down";
pub const VPS_CRASHED: &str = "vps_crashed";
pub const JOB_FAILED: &str = "job_failed";
/// A container that died on its own (no stop or kill asked for) with a non-zero exit code or
/// out of memory: firing while it is down and until it has stayed up for `SETTLE` after a
/// start — so a crash loop under a restart policy is one alert (reminded hourly), not one per
/// restart, and a crash restarted between two rounds is still told.
pub const CONTAINER_STOPPED: &str = "container_stopped";
pub const ENGINE_UNREACHABLE: &str = "engine_unreachable";
/// How long a container must stay up after a crash for its alert to resolve.
pub const SETTLE: time::Duration = time::Duration::minutes(2);
/// A VPS whose expiry is less than the expiry schedule's warning time away: its owner is told
/// through their channels (the schedule itself records the warning in the audit log).
pub const VPS_EXPIRING: &str = "vps_expiring";
/// `certificate_expiring_14`, `_7`, `_3`: one alert per threshold, so each is told once.
pub const CERT_EXPIRING: &str = "certificate_expiring";
pub const CERT_DAYS: [i64; 3] = [14, 7, 3];

/// What one round changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub alert_id: i64,
    pub target: String,
    pub to: AlertState,
}

/// Firing event alerts by `(kind, target)`.
type OpenEvents = HashMap<(String, String), alert::Model>;

/// A target's figures as the monitoring collectors last saw them.
pub type Latest = [(String, i64, Vec<(String, f64)>)];

impl Alerts {
    /// Owners of VPS and container targets.
    async fn owners(&self) -> Result<HashMap<String, Option<i64>>> {
        let mut out = HashMap::new();
        for v in vps::Entity::find().all(&self.db).await? {
            out.insert(format!("vps:{}", v.id), Some(v.owner_id));
        }
        for c in container::Entity::find().all(&self.db).await? {
            out.insert(format!("container:{}", &c.docker_id[..c.docker_id.len().min(12)]), c.owner_id);
        }
        Ok(out)
    }

    /// One round of every enabled rule over `latest` at `now`: a condition that starts holding
    /// opens a pending alert (firing at once when its rule has no "for" time), one that held
    /// for the rule's time fires, one that stops holding resolves. Targets without a recent
    /// sample keep their state.
    pub async fn evaluate(&self, now: OffsetDateTime, latest: &Latest) -> Result<Vec<Transition>> {
        let owners = self.owners().await?;
        let rules = alert_rule::Entity::find().filter(alert_rule::Column::Enabled.eq(true)).all(&self.db).await?;
        let open: Vec<alert::Model> = alert::Entity::find().filter(alert::Column::RuleId.is_not_null()).filter(alert::Column::State.is_in(["pending", "firing"])).all(&self.db).await?;
        let mut changes = Vec::new();
        for r in rules {
            let Ok(rule) = serde_json::from_str::<RuleInput>(&r.spec) else { continue };
            for (target, t, values) in latest {
                let owner = owners.get(target).copied().flatten();
                if !rule.scope.covers(target, owner) || now.unix_timestamp() - t > self.stale_after_s {
                    continue;
                }
                let Some(value) = values.iter().find(|(m, _)| *m == rule.metric).map(|(_, v)| *v) else { continue };
                let current = open.iter().find(|a| a.rule_id == Some(r.id) && a.target == *target);
                let holds = rule.condition.holds(value, rule.threshold);
                // Says the value it fired with.
                let title = |value: f64| format!("{} on {target}: {} is {value:.2} ({} {})", rule.name, rule.metric, match rule.condition { pier_proto::alerts::Condition::Above => "above", pier_proto::alerts::Condition::Below => "below" }, rule.threshold);
                let change = match (current, holds) {
                    (None, true) => {
                        let firing = rule.for_s == 0;
                        let row = alert::ActiveModel {
                            rule_id: Set(Some(r.id)),
                            kind: Set("metric".into()),
                            target: Set(target.clone()),
                            owner_id: Set(owner),
                            title: Set(title(value)),
                            severity: Set(rule.severity.as_str().into()),
                            state: Set(if firing { "firing" } else { "pending" }.into()),
                            value: Set(Some(value)),
                            started_at: Set(now),
                            fired_at: Set(firing.then_some(now)),
                            ..Default::default()
                        }
                        .insert(&self.db)
                        .await?;
                        Some((row, if firing { AlertState::Firing } else { AlertState::Pending }))
                    }
                    (Some(a), true) => {
                        let due = a.state == "pending" && (now - a.started_at).whole_seconds() >= rule.for_s;
                        let mut m: alert::ActiveModel = a.clone().into();
                        m.value = Set(Some(value));
                        if due {
                            m.state = Set("firing".into());
                            m.fired_at = Set(Some(now));
                            m.title = Set(title(value));
                        }
                        let row = m.update(&self.db).await?;
                        due.then_some((row, AlertState::Firing))
                    }
                    (Some(a), false) => {
                        let mut m: alert::ActiveModel = a.clone().into();
                        m.value = Set(Some(value));
                        m.state = Set("resolved".into());
                        m.resolved_at = Set(Some(now));
                        Some((m.update(&self.db).await?, AlertState::Resolved))
                    }
                    (None, false) => None,
                };
                if let Some((row, to)) = change {
                    self.publish(&row);
                    changes.push(Transition { alert_id: row.id, target: row.target.clone(), to });
                }
            }
        }
        Ok(changes)
    }

    /// The firing event alerts by `(kind, target)`, read once per round: the checks below
    /// consult it instead of asking the database per target (a round over 1,000 VPSs and
    /// 1,000 containers would otherwise be thousands of queries).
    async fn open_events(&self) -> Result<OpenEvents> {
        let rows = alert::Entity::find().filter(alert::Column::RuleId.is_null()).filter(alert::Column::State.eq("firing")).all(&self.db).await?;
        Ok(rows.into_iter().map(|a| ((a.kind.clone(), a.target.clone()), a)).collect())
    }

    /// Opens an event alert (firing at once) unless one is open for `(kind, target)`.
    async fn raise(&self, open: &mut OpenEvents, now: OffsetDateTime, kind: &str, target: &str, owner: Option<i64>, title: String, severity: Severity) -> Result<Option<Transition>> {
        let key = (kind.to_string(), target.to_string());
        if open.contains_key(&key) {
            return Ok(None);
        }
        let row = alert::ActiveModel {
            rule_id: Set(None),
            kind: Set(kind.into()),
            target: Set(target.into()),
            owner_id: Set(owner),
            title: Set(title),
            severity: Set(severity.as_str().into()),
            state: Set("firing".into()),
            started_at: Set(now),
            fired_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        self.publish(&row);
        let change = Transition { alert_id: row.id, target: row.target.clone(), to: AlertState::Firing };
        open.insert(key, row);
        Ok(Some(change))
    }

    /// Resolves the open event alert of `(kind, target)`, if any.
    async fn clear(&self, open: &mut OpenEvents, now: OffsetDateTime, kind: &str, target: &str) -> Result<Option<Transition>> {
        let Some(row) = open.remove(&(kind.to_string(), target.to_string())) else { return Ok(None) };
        Ok(Some(self.resolve(now, row).await?))
    }

    async fn resolve(&self, now: OffsetDateTime, open: alert::Model) -> Result<Transition> {
        let mut m: alert::ActiveModel = open.into();
        m.state = Set("resolved".into());
        m.resolved_at = Set(Some(now));
        let row = m.update(&self.db).await?;
        self.publish(&row);
        Ok(Transition { alert_id: row.id, target: row.target, to: AlertState::Resolved })
    }

    /// Containers that stopped unexpectedly (see `CONTAINER_STOPPED`).
    async fn check_containers(&self, open: &mut OpenEvents, now: OffsetDateTime, present: &mut HashSet<String>) -> Result<Vec<Transition>> {
        let mut out = Vec::new();
        for c in container::Entity::find().all(&self.db).await? {
            let target = format!("container:{}", &c.docker_id[..c.docker_id.len().min(12)]);
            present.insert(target.clone());
            let Some(crashed) = c.crashed_at else { continue };
            let why = match (c.crash_oom, c.crash_exit_code) {
                (true, _) => "out of memory".to_string(),
                (false, Some(code)) => format!("exit code {code}"),
                (false, None) => "no exit code".to_string(),
            };
            let title = format!("Container {} stopped unexpectedly ({why})", c.name);
            let up_since = c.started_at.filter(|s| *s > crashed);
            if up_since.is_none_or(|s| now - s < SETTLE) {
                out.extend(self.raise(open, now, CONTAINER_STOPPED, &target, c.owner_id, title, Severity::Critical).await?);
            } else {
                out.extend(self.clear(open, now, CONTAINER_STOPPED, &target).await?);
            }
        }
        Ok(out)
    }

    /// Event alerts: hosts unreachable, nginx down (`nginx_running`: `None` when nginx is not
    /// managed), Docker engines unreachable, VPSs crashed or expiring within a day, containers
    /// stopped unexpectedly, certificates expiring in 14/7/3 days, jobs failed since `since`.
    pub async fn check_events(&self, now: OffsetDateTime, nginx_running: Option<bool>, since: OffsetDateTime) -> Result<Vec<Transition>> {
        let mut out = Vec::new();
        // The targets that still exist: open alerts about any other are resolved at the end.
        let mut present = HashSet::new();
        let open = &mut self.open_events().await?;
        let mut push = |t: Option<Transition>| out.extend(t);
        for h in host::Entity::find().all(&self.db).await? {
            let target = format!("host:{}", h.id);
            present.insert(target.clone());
            if h.status == "unreachable" {
                let why = h.last_error.clone().unwrap_or_default();
                push(self.raise(open, now, HOST_UNREACHABLE, &target, None, format!("Host {} is unreachable: {why}", h.name), Severity::Critical).await?);
            } else {
                push(self.clear(open, now, HOST_UNREACHABLE, &target).await?);
            }
        }
        for e in engine::Entity::find().all(&self.db).await? {
            let target = format!("engine:{}", e.id);
            present.insert(target.clone());
            if e.status == "unreachable" {
                let why = e.last_error.clone().unwrap_or_default();
                push(self.raise(open, now, ENGINE_UNREACHABLE, &target, None, format!("Docker engine {} is unreachable: {why}", e.name), Severity::Critical).await?);
            } else {
                push(self.clear(open, now, ENGINE_UNREACHABLE, &target).await?);
            }
        }
        let sites = site::Entity::find().all(&self.db).await?;
        present.extend(sites.iter().map(|s| format!("site:{}", s.name)));
        if let Some(running) = nginx_running {
            let has_sites = !sites.is_empty();
            if has_sites && !running {
                push(self.raise(open, now, NGINX_DOWN, "nginx", None, "nginx is not running: sites are not served".into(), Severity::Critical).await?);
            } else {
                push(self.clear(open, now, NGINX_DOWN, "nginx").await?);
            }
        }
        for v in vps::Entity::find().all(&self.db).await? {
            let target = format!("vps:{}", v.id);
            present.insert(target.clone());
            if v.state == "crashed" {
                push(self.raise(open, now, VPS_CRASHED, &target, Some(v.owner_id), format!("VPS {} stopped unexpectedly (it crashed)", v.name), Severity::Critical).await?);
            } else {
                push(self.clear(open, now, VPS_CRASHED, &target).await?);
            }
            match v.expires_at {
                Some(at) if at > now && at - now <= crate::compute::expiry::WARN_BEFORE => {
                    let then = match v.expiry_action.as_str() {
                        "delete" => "it is deleted",
                        "shutdown" => "it is shut down",
                        _ => "nothing is done to it",
                    };
                    let when = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
                    push(self.raise(open, now, VPS_EXPIRING, &target, Some(v.owner_id), format!("VPS {} expires at {when}; then {then}", v.name), Severity::Warning).await?);
                }
                _ => push(self.clear(open, now, VPS_EXPIRING, &target).await?),
            }
        }
        for t in self.check_containers(open, now, &mut present).await? {
            push(Some(t));
        }
        for c in certificate::Entity::find().filter(certificate::Column::Status.eq("valid")).all(&self.db).await? {
            let Some(not_after) = c.not_after else { continue };
            let days = (not_after - now).whole_days();
            let target = format!("certificate:{}", c.id);
            present.insert(target.clone());
            for threshold in CERT_DAYS {
                let kind = format!("{CERT_EXPIRING}_{threshold}");
                if days <= threshold {
                    let severity = if threshold <= 3 { Severity::Critical } else { Severity::Warning };
                    push(self.raise(open, now, &kind, &target, None, format!("Certificate {} expires in {days} days", c.name), severity).await?);
                } else {
                    push(self.clear(open, now, &kind, &target).await?);
                }
            }
        }
        let failed = job::Entity::find().filter(job::Column::State.eq("failed")).filter(job::Column::FinishedAt.gt(since)).filter(job::Column::FinishedAt.lte(now)).all(&self.db).await?;
        for j in failed {
            let owner = j.created_by.as_deref().and_then(|k| k.strip_prefix("user:")).and_then(|id| id.parse().ok());
            push(self.raise(open, now, JOB_FAILED, &format!("job:{}", j.id), owner, format!("Job #{} ({}) failed: {}", j.id, j.kind, j.message), Severity::Warning).await?);
        }
        out.extend(self.resolve_orphans(now, &present).await?);
        Ok(out)
    }

    /// Resolves the open alerts (rule or event) about things that are gone — a removed host or
    /// engine, a deleted VPS, container, site or certificate: nothing else would clear them.
    async fn resolve_orphans(&self, now: OffsetDateTime, present: &HashSet<String>) -> Result<Vec<Transition>> {
        const THINGS: [&str; 6] = ["host:", "engine:", "vps:", "container:", "site:", "certificate:"];
        let open = alert::Entity::find().filter(alert::Column::State.is_in(["pending", "firing"])).all(&self.db).await?;
        let mut out = Vec::new();
        for a in open {
            if THINGS.iter().any(|p| a.target.starts_with(p)) && !present.contains(&a.target) {
                out.push(self.resolve(now, a).await?);
            }
        }
        Ok(out)
    }
}
