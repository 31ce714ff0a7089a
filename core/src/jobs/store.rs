//! Every database statement about jobs, and the events they publish. State changes are
//! compare-and-set updates (`WHERE id = ? AND state = ? AND lease_owner = ?`), so two workers or
//! two processes can never both own a job, on SQLite and on Postgres alike.

use super::handler::JobFailure;
use super::registry::Registry;
use crate::actor::Audience;
use crate::entity::job::{self, Column, Entity};
use crate::events::EventBus;
use pier_proto::jobs::{JobState, JobView};
use pier_proto::live::Topic;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::sync::Arc;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub struct JobStore {
    pub(super) db: DatabaseConnection,
    pub(super) bus: EventBus,
    pub(super) registry: Arc<Registry>,
    /// This process's identity as a lease owner.
    pub(super) instance: String,
    pub(super) lease: Duration,
}

pub(super) fn now() -> OffsetDateTime {
    // Stored as text in SQLite: always UTC so text order is time order.
    OffsetDateTime::now_utc()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl JobStore {
    pub(super) fn lease_until(&self) -> OffsetDateTime {
        now() + self.lease
    }

    pub fn view(&self, m: &job::Model) -> JobView {
        JobView {
            id: m.id,
            kind: m.kind.clone(),
            title: self.registry.title(&m.kind).to_string(),
            target: m.target.clone(),
            state: JobState::parse(&m.state).unwrap_or(JobState::Failed),
            progress: m.progress.clamp(0, 100) as u8,
            message: m.message.clone(),
            attempts: m.attempts,
            cancel_requested: m.cancel_requested,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
            finished_at: m.finished_at.map(rfc3339),
        }
    }

    pub fn audience(m: &job::Model) -> Audience {
        match m.created_by.as_deref() {
            Some(owner) if owner.starts_with("user:") => Audience::Owner(owner.to_string()),
            _ => Audience::Staff,
        }
    }

    pub async fn find(&self, id: i64) -> Result<Option<job::Model>, DbErr> {
        Entity::find_by_id(id).one(&self.db).await
    }

    /// Reads the row and tells every subscriber about it.
    pub(super) async fn publish(&self, id: i64) -> Result<Option<job::Model>, DbErr> {
        let model = self.find(id).await?;
        if let Some(m) = &model {
            let view = self.view(m);
            let data = serde_json::to_value(&view).unwrap_or_default();
            self.bus.publish(&[Topic::jobs(), Topic::job(m.id)], Self::audience(m), data);
        }
        Ok(model)
    }

    pub(super) async fn insert(&self, row: job::ActiveModel) -> Result<job::Model, DbErr> {
        let m = row.insert(&self.db).await?;
        self.publish(m.id).await?;
        Ok(m)
    }

    /// Takes the oldest queued job of a kind this process can run. `None` when there is none.
    pub(super) async fn claim_next(&self) -> Result<Option<job::Model>, DbErr> {
        let kinds = self.registry.kinds();
        // A few tries: another worker may win the race for the same row.
        for _ in 0..8 {
            let Some(candidate) = Entity::find()
                .filter(Column::State.eq(JobState::Queued.as_str()))
                .filter(Column::Kind.is_in(kinds.clone()))
                .order_by_asc(Column::Id)
                .limit(1)
                .one(&self.db)
                .await?
            else {
                return Ok(None);
            };
            let t = now();
            let res = Entity::update_many()
                .col_expr(Column::State, Expr::value(JobState::Running.as_str()))
                .col_expr(Column::LeaseOwner, Expr::value(self.instance.clone()))
                .col_expr(Column::LeaseExpiresAt, Expr::value(self.lease_until()))
                .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
                .col_expr(Column::StartedAt, Expr::value(candidate.started_at.unwrap_or(t)))
                .col_expr(Column::UpdatedAt, Expr::value(t))
                .filter(Column::Id.eq(candidate.id))
                .filter(Column::State.eq(JobState::Queued.as_str()))
                .exec(&self.db)
                .await?;
            if res.rows_affected == 1 {
                return self.publish(candidate.id).await;
            }
        }
        Ok(None)
    }

    /// Extends the lease of a job this process runs. False when the lease was lost.
    pub(super) async fn renew_lease(&self, id: i64) -> Result<bool, DbErr> {
        let res = Entity::update_many()
            .col_expr(Column::LeaseExpiresAt, Expr::value(self.lease_until()))
            .filter(Column::Id.eq(id))
            .filter(Column::State.eq(JobState::Running.as_str()))
            .filter(Column::LeaseOwner.eq(self.instance.clone()))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    pub(super) async fn report_progress(&self, id: i64, percent: u8, message: &str) -> Result<(), JobFailure> {
        let db_fail = |e: DbErr| JobFailure::Failed(format!("could not record progress: {e}"));
        let res = Entity::update_many()
            .col_expr(Column::Progress, Expr::value(percent as i16))
            .col_expr(Column::Message, Expr::value(message))
            .col_expr(Column::LeaseExpiresAt, Expr::value(self.lease_until()))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(Column::Id.eq(id))
            .filter(Column::State.eq(JobState::Running.as_str()))
            .filter(Column::LeaseOwner.eq(self.instance.clone()))
            .exec(&self.db)
            .await
            .map_err(db_fail)?;
        if res.rows_affected != 1 {
            return Err(JobFailure::LeaseLost);
        }
        let row = self.publish(id).await.map_err(db_fail)?;
        match row {
            Some(m) if m.cancel_requested => Err(JobFailure::Cancelled),
            _ => Ok(()),
        }
    }

    /// Writes a running job's final state, if this process still owns it.
    pub(super) async fn finish(&self, id: i64, state: JobState, message: &str) -> Result<(), DbErr> {
        let t = now();
        let mut update = Entity::update_many()
            .col_expr(Column::State, Expr::value(state.as_str()))
            .col_expr(Column::Message, Expr::value(message))
            .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(Column::LeaseExpiresAt, Expr::value(Option::<OffsetDateTime>::None))
            .col_expr(Column::FinishedAt, Expr::value(t))
            .col_expr(Column::UpdatedAt, Expr::value(t));
        if state == JobState::Succeeded {
            update = update.col_expr(Column::Progress, Expr::value(100i16));
        }
        let res = update
            .filter(Column::Id.eq(id))
            .filter(Column::State.eq(JobState::Running.as_str()))
            .filter(Column::LeaseOwner.eq(self.instance.clone()))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 1 {
            self.publish(id).await?;
        }
        Ok(())
    }

    /// Cancels a queued job at once, or asks a running one to stop at its next progress report.
    pub(super) async fn request_cancel(&self, m: &job::Model) -> Result<(), DbErr> {
        let t = now();
        Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Cancelled.as_str()))
            .col_expr(Column::Message, Expr::value("Cancelled before it started."))
            .col_expr(Column::CancelRequested, Expr::value(true))
            .col_expr(Column::FinishedAt, Expr::value(t))
            .col_expr(Column::UpdatedAt, Expr::value(t))
            .filter(Column::Id.eq(m.id))
            .filter(Column::State.eq(JobState::Queued.as_str()))
            .exec(&self.db)
            .await?;
        Entity::update_many()
            .col_expr(Column::CancelRequested, Expr::value(true))
            .col_expr(Column::UpdatedAt, Expr::value(t))
            .filter(Column::Id.eq(m.id))
            .filter(Column::State.eq(JobState::Running.as_str()))
            .exec(&self.db)
            .await?;
        self.publish(m.id).await?;
        Ok(())
    }

    /// Running jobs whose owner is gone: their lease ran out, or (on a single-node database, at
    /// start-up) they belong to an earlier process of this panel.
    pub(super) async fn orphaned(&self, other_owners_are_dead: bool) -> Result<Vec<job::Model>, DbErr> {
        let mut q = Entity::find().filter(Column::State.eq(JobState::Running.as_str()));
        q = if other_owners_are_dead {
            q.filter(Column::LeaseOwner.ne(self.instance.clone()).or(Column::LeaseOwner.is_null()))
        } else {
            q.filter(Column::LeaseExpiresAt.lt(now()).or(Column::LeaseExpiresAt.is_null()))
        };
        q.order_by_asc(Column::Id).all(&self.db).await
    }

    /// Moves an orphaned running job to `state` unless someone else already did.
    pub(super) async fn take_over(&self, m: &job::Model, state: JobState, message: &str) -> Result<bool, DbErr> {
        let t = now();
        let mut update = Entity::update_many()
            .col_expr(Column::State, Expr::value(state.as_str()))
            .col_expr(Column::Message, Expr::value(message))
            .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(Column::LeaseExpiresAt, Expr::value(Option::<OffsetDateTime>::None))
            .col_expr(Column::UpdatedAt, Expr::value(t));
        if state.is_final() {
            update = update.col_expr(Column::FinishedAt, Expr::value(t));
        } else {
            update = update.col_expr(Column::Progress, Expr::value(0i16));
        }
        let mut filter = update.filter(Column::Id.eq(m.id)).filter(Column::State.eq(JobState::Running.as_str()));
        filter = match &m.lease_owner {
            Some(owner) => filter.filter(Column::LeaseOwner.eq(owner.clone())),
            None => filter.filter(Column::LeaseOwner.is_null()),
        };
        let res = filter.exec(&self.db).await?;
        if res.rows_affected == 1 {
            self.publish(m.id).await?;
        }
        Ok(res.rows_affected == 1)
    }

    pub(super) fn new_row(
        kind: &str,
        target: &str,
        params: &serde_json::Value,
        created_by: String,
        idempotency_key: Option<String>,
        max_attempts: i32,
    ) -> job::ActiveModel {
        let t = now();
        job::ActiveModel {
            kind: Set(kind.to_string()),
            target: Set(target.to_string()),
            params: Set(params.to_string()),
            state: Set(JobState::Queued.as_str().to_string()),
            progress: Set(0),
            message: Set("Waiting for a worker.".into()),
            attempts: Set(0),
            max_attempts: Set(max_attempts),
            lease_owner: Set(None),
            lease_expires_at: Set(None),
            cancel_requested: Set(false),
            idempotency_key: Set(idempotency_key),
            created_by: Set(Some(created_by)),
            created_at: Set(t),
            started_at: Set(None),
            finished_at: Set(None),
            updated_at: Set(t),
            ..Default::default()
        }
    }
}
