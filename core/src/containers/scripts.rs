//! Startup scripts: a script per container, kept in Pier, run (via exec, with the image's shell
//! or Pier's busybox) after every start of the container and on demand. Output streams live on
//! the container's topic as it comes; the tail and exit code of the last run are kept. The
//! owner and admins edit and run it; support reads it.

use super::{short, Containers, ContainersError, Result};
use crate::actor::{Actor, Audience};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{container, container_script};
use futures::StreamExt;
use pier_proto::containers::{stats_topic, validate_container_id, ContainerState, ScriptEvent, StartupScript, StartupScriptView, SCRIPT_OUTPUT_MAX_BYTES};
use pier_proto::live::Topic;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;

/// A script still running after this is left to itself (its output is no longer followed): a
/// startup script that starts a daemon in the foreground would otherwise be "running" forever.
const FOLLOW_AT_MOST: Duration = Duration::from_secs(3600);

fn rfc3339(t: Option<time::OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&Rfc3339).ok())
}

/// Keeps the last `max` bytes of `s` (cut at a character boundary).
fn keep_tail(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = s.len() - max;
        while !s.is_char_boundary(cut) {
            cut += 1;
        }
        s.drain(..cut);
    }
}

impl Containers {
    /// The record of a container `actor` may see (a managed one: scripts need Pier's record).
    async fn script_target(&self, actor: &Actor, id: &str) -> Result<container::Model> {
        validate_container_id(id).map_err(ContainersError::Invalid)?;
        let view = self.view(actor, id).await?;
        container::Entity::find()
            .filter(container::Column::EngineId.eq(view.engine_id))
            .filter(container::Column::DockerId.eq(&view.id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ContainersError::Conflict(format!("{} was made outside Pier; adopt it to give it a startup script.", view.name)))
    }

    fn script_view(&self, row: &container::Model, s: Option<container_script::Model>) -> StartupScriptView {
        let running = self.scripts_running.lock().expect("not poisoned").contains(&row.id);
        match s {
            None => StartupScriptView { running, ..Default::default() },
            Some(s) => StartupScriptView {
                script: s.script,
                enabled: s.enabled,
                last_trigger: s.last_trigger,
                last_started_at: rfc3339(s.last_started_at),
                last_finished_at: rfc3339(s.last_finished_at),
                last_exit_code: s.last_exit_code,
                last_output: s.last_output,
                running,
            },
        }
    }

    async fn script_row(&self, container_id: i64) -> Result<Option<container_script::Model>> {
        Ok(container_script::Entity::find().filter(container_script::Column::ContainerId.eq(container_id)).one(&self.db).await?)
    }

    /// The script of container `id` and its last run (the owner and staff).
    pub async fn startup_script(&self, actor: &Actor, id: &str) -> Result<StartupScriptView> {
        let row = self.script_target(actor, id).await?;
        let s = self.script_row(row.id).await?;
        Ok(self.script_view(&row, s))
    }

    /// Saves the script (owner or admin); it takes effect at the next start.
    pub async fn save_startup_script(&self, actor: &Actor, id: &str, script: StartupScript, ctx: &RequestContext) -> Result<StartupScriptView> {
        script.validate().map_err(ContainersError::Invalid)?;
        let (view, _) = self.operable(actor, id, "container.script_save", ctx).await?;
        let row = self.script_target(actor, &view.id).await?;
        let now = time::OffsetDateTime::now_utc();
        match self.script_row(row.id).await? {
            Some(existing) => {
                let mut m: container_script::ActiveModel = existing.into();
                m.script = Set(script.script.clone());
                m.enabled = Set(script.enabled);
                m.updated_at = Set(now);
                m.update(&self.db).await?;
            }
            None => {
                container_script::ActiveModel {
                    container_id: Set(row.id),
                    script: Set(script.script.clone()),
                    enabled: Set(script.enabled),
                    updated_at: Set(now),
                    last_output: Set(String::new()),
                    ..Default::default()
                }
                .insert(&self.db)
                .await?;
            }
        }
        let detail = format!("{}: {} lines, {}", view.name, script.script.lines().count(), if script.enabled { "runs after each start" } else { "off" });
        self.audit.record(actor, "container.script_save", &format!("container:{}", short(id)), Outcome::Success, ctx, &detail).await;
        self.startup_script(actor, id).await
    }

    /// Runs the script now (owner or admin; the container must be running). Returns at once;
    /// the output arrives on the container's live topic and is kept when it ends.
    pub async fn run_startup_script(&self, actor: &Actor, id: &str, ctx: &RequestContext) -> Result<StartupScriptView> {
        let (view, _) = self.operable(actor, id, "container.script_run", ctx).await?;
        if view.state != ContainerState::Running {
            return Err(ContainersError::Conflict(format!("{} is {}; start it to run its script.", view.name, view.state.as_str())));
        }
        let row = self.script_target(actor, &view.id).await?;
        let Some(script) = self.script_row(row.id).await?.filter(|s| !s.script.trim().is_empty()) else {
            return Err(ContainersError::Conflict(format!("{} has no startup script yet.", view.name)));
        };
        if !self.scripts_running.lock().expect("not poisoned").insert(row.id) {
            return Err(ContainersError::Conflict(format!("The script of {} is running already.", view.name)));
        }
        self.audit.record(actor, "container.script_run", &format!("container:{}", short(id)), Outcome::Success, ctx, &view.name).await;
        let this = self.clone();
        let (row2, script2) = (row.clone(), script.clone());
        tokio::spawn(async move { this.run_script(&row2, &script2, "manual").await });
        let s = self.script_row(row.id).await?;
        Ok(self.script_view(&row, s))
    }

    /// After a container started (Docker's `start` event): runs its script when it has one
    /// that is on. Called by the event follower; never fails (the outcome is kept and audited).
    pub(super) async fn run_after_start(&self, row: &container::Model) {
        let Ok(Some(script)) = self.script_row(row.id).await else { return };
        if !script.enabled || script.script.trim().is_empty() {
            return;
        }
        if !self.scripts_running.lock().expect("not poisoned").insert(row.id) {
            return; // a run is under way (a restart while it ran): that run reports
        }
        self.run_script(row, &script, "start").await;
    }

    /// One run: output published as it comes, tail and exit code kept, audited. The caller has
    /// put `row.id` into `scripts_running`; this takes it out.
    async fn run_script(&self, row: &container::Model, script: &container_script::Model, trigger: &str) {
        let topic = Topic::new(stats_topic(&row.docker_id)).expect("valid topic");
        let audience = match row.owner_id {
            Some(owner) => Audience::Owner(format!("user:{owner}")),
            None => Audience::Staff,
        };
        let publish = |e: ScriptEvent| self.bus.publish(std::slice::from_ref(&topic), audience.clone(), serde_json::to_value(e).unwrap_or_default());
        let started = time::OffsetDateTime::now_utc();
        let _ = container_script::Entity::update_many()
            .col_expr(container_script::Column::LastTrigger, sea_orm::sea_query::Expr::value(trigger))
            .col_expr(container_script::Column::LastStartedAt, sea_orm::sea_query::Expr::value(started))
            .col_expr(container_script::Column::LastFinishedAt, sea_orm::sea_query::Expr::value(None::<time::OffsetDateTime>))
            .col_expr(container_script::Column::LastExitCode, sea_orm::sea_query::Expr::value(None::<i64>))
            .col_expr(container_script::Column::LastOutput, sea_orm::sea_query::Expr::value(""))
            .filter(container_script::Column::Id.eq(script.id))
            .exec(&self.db)
            .await;
        publish(ScriptEvent::Started { trigger: trigger.to_string() });

        let mut output = String::new();
        let (exit_code, error) = match self.follow_script(row, &script.script, &mut output, &publish).await {
            Ok(code) => (code, None),
            Err(e) => (None, Some(e.to_string())),
        };
        if let Some(e) = &error {
            output.push_str(&format!("\n[pier] {e}\n"));
            keep_tail(&mut output, SCRIPT_OUTPUT_MAX_BYTES);
        }
        let _ = container_script::Entity::update_many()
            .col_expr(container_script::Column::LastFinishedAt, sea_orm::sea_query::Expr::value(time::OffsetDateTime::now_utc()))
            .col_expr(container_script::Column::LastExitCode, sea_orm::sea_query::Expr::value(exit_code))
            .col_expr(container_script::Column::LastOutput, sea_orm::sea_query::Expr::value(output))
            .filter(container_script::Column::Id.eq(script.id))
            .exec(&self.db)
            .await;
        self.scripts_running.lock().expect("not poisoned").remove(&row.id);
        publish(ScriptEvent::Finished { exit_code, error: error.clone(), trigger: trigger.to_string() });
        let ok = error.is_none() && exit_code == Some(0);
        let detail = format!("{} ({trigger}): {}", row.name, error.unwrap_or_else(|| format!("exit code {}", exit_code.map_or("unknown".into(), |c| c.to_string()))));
        self.audit.record(&Actor::System, "container.script", &format!("container:{}", short(&row.docker_id)), if ok { Outcome::Success } else { Outcome::Failure }, &RequestContext::default(), &detail).await;
    }

    async fn follow_script(&self, row: &container::Model, script: &str, output: &mut String, publish: &impl Fn(ScriptEvent)) -> Result<Option<i64>> {
        let e = self.engine_row(Some(row.engine_id)).await?;
        let engine = self.engine(&e)?;
        let mut session = engine.run_script(&row.docker_id, script).await?;
        let deadline = tokio::time::Instant::now() + FOLLOW_AT_MOST;
        loop {
            match tokio::time::timeout_at(deadline, session.output.next()).await {
                Ok(Some(chunk)) => {
                    let text = String::from_utf8_lossy(&chunk?).into_owned();
                    if !text.is_empty() {
                        output.push_str(&text);
                        keep_tail(output, SCRIPT_OUTPUT_MAX_BYTES);
                        publish(ScriptEvent::Output { text });
                    }
                }
                Ok(None) => break,
                Err(_) => return Err(ContainersError::Conflict("still running after an hour; Pier stopped following its output".into())),
            }
        }
        Ok(engine.exec_exit_code(&session.exec_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::keep_tail;

    #[test]
    fn the_kept_output_is_the_tail_cut_at_a_character() {
        let mut s = "ab€cd".to_string();
        keep_tail(&mut s, 4);
        assert_eq!(s, "cd"); // the cut fell inside "€" and moved past it
        let mut s = "hello".to_string();
        keep_tail(&mut s, 10);
        assert_eq!(s, "hello");
    }
}
