//! The audit log: every mutation, login and denial, with who, what, target, outcome, where from.
//! Writing an audit row never fails the action it records (a failure to write is logged loudly).

use crate::actor::{policy, Actor};
use crate::entity::audit::{self, Column, Entity};
use pier_proto::{ApiError, ErrorCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
pub use pier_proto::audit::{AuditQuery, AuditView};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The API token the request was made with (none for browser sessions).
    pub token: Option<TokenUse>,
}

/// An API token acting for its owner: which one (for the audit log) and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    pub id: i64,
    pub name: String,
    pub scope: pier_proto::security::TokenScope,
}

impl RequestContext {
    /// For commands run on the panel's own machine (`pier admin create`).
    pub fn local_cli() -> Self {
        Self { ip: None, user_agent: Some("pier cli".into()), token: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// Entries made through an API token say which one.
fn with_token(detail: &str, ctx: &RequestContext) -> String {
    match &ctx.token {
        None => detail.to_string(),
        Some(t) if detail.is_empty() => format!("via API token #{} {:?}", t.id, t.name),
        Some(t) => format!("via API token #{} {:?}; {detail}", t.id, t.name),
    }
}

#[derive(Clone)]
pub struct Audit {
    db: DatabaseConnection,
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl Audit {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Records one entry. `actor_key`/`actor_name` are given separately so failed logins can
    /// name the username that was tried.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_as(
        &self,
        actor_key: &str,
        actor_name: &str,
        action: &str,
        target: &str,
        outcome: Outcome,
        ctx: &RequestContext,
        detail: &str,
    ) {
        let row = audit::ActiveModel {
            at: Set(OffsetDateTime::now_utc()),
            actor: Set(truncate(actor_key, 64)),
            actor_name: Set(truncate(actor_name, 64)),
            action: Set(truncate(action, 64)),
            target: Set(truncate(target, 128)),
            outcome: Set(outcome.as_str().into()),
            ip: Set(ctx.ip.as_deref().map(|s| truncate(s, 64))),
            user_agent: Set(ctx.user_agent.as_deref().map(|s| truncate(s, 256))),
            detail: Set(truncate(&with_token(detail, ctx), 2000)),
            ..Default::default()
        };
        if let Err(e) = row.insert(&self.db).await {
            tracing::error!(error = %e, action, target, "could not write the audit log");
        }
    }

    pub async fn record(&self, actor: &Actor, action: &str, target: &str, outcome: Outcome, ctx: &RequestContext, detail: &str) {
        self.record_as(&actor.key(), &actor.display(), action, target, outcome, ctx, detail).await
    }

    /// Newest first. Staff read everything; others only entries they made.
    pub async fn list(&self, actor: &Actor, q: &AuditQuery) -> Result<Vec<AuditView>, ApiError> {
        let mut query = Entity::find().order_by_desc(Column::Id);
        if !policy::may_see(actor, &crate::actor::Audience::Staff) {
            query = query.filter(Column::Actor.eq(actor.key()));
        }
        if let Some(a) = &q.actor {
            query = query.filter(Column::Actor.eq(a.clone()).or(Column::ActorName.eq(a.clone())));
        }
        if let Some(a) = &q.action {
            query = query.filter(Column::Action.starts_with(a.clone()));
        }
        if let Some(t) = &q.target {
            query = query.filter(Column::Target.eq(t.clone()));
        }
        if let Some(o) = &q.outcome {
            query = query.filter(Column::Outcome.eq(o.clone()));
        }
        let when = |field: &'static str, value: &Option<String>| -> Result<Option<OffsetDateTime>, ApiError> {
            value
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| OffsetDateTime::parse(v, &Rfc3339).map_err(|_| ApiError::invalid(field, "Use a date and time like 2026-11-22T10:00:00Z.")))
                .transpose()
        };
        if let Some(since) = when("since", &q.since)? {
            query = query.filter(Column::At.gte(since));
        }
        if let Some(until) = when("until", &q.until)? {
            query = query.filter(Column::At.lte(until));
        }
        if let Some(before) = q.before_id {
            query = query.filter(Column::Id.lt(before));
        }
        let rows = query
            .limit(q.limit.unwrap_or(50).clamp(1, 500) as u64)
            .all(&self.db)
            .await
            .map_err(|e| ApiError::new(ErrorCode::Unavailable, format!("audit log unavailable: {e}")))?;
        Ok(rows
            .into_iter()
            .map(|m| AuditView {
                id: m.id,
                at: m.at.format(&Rfc3339).unwrap_or_default(),
                actor: m.actor,
                actor_name: m.actor_name,
                action: m.action,
                target: m.target,
                outcome: m.outcome,
                ip: m.ip,
                user_agent: m.user_agent,
                detail: m.detail,
            })
            .collect())
    }
}
