//! Browser sessions: the tower-sessions store, backed by the database, plus what the profile
//! page needs (list a user's sessions, revoke one or all).
//!
//! The table is keyed by the SHA-256 of the session id, never the id itself: someone who can
//! read the database (a backup, say) cannot take over a session. The user id, ip and user agent
//! are copied out of the session data into columns so sessions can be listed and revoked.

use crate::entity::session::{self, Column, Entity};
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{Error, Result, SessionStore};

/// Keys Pier keeps in a session's data.
pub const KEY_USER_ID: &str = "user_id";
pub const KEY_IP: &str = "ip";
pub const KEY_USER_AGENT: &str = "ua";

#[derive(Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

pub use pier_proto::accounts::SessionView;

fn key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn row(record: &Record) -> Result<session::ActiveModel> {
    let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
    let text = |k: &str, max: usize| record.data.get(k).and_then(|v| v.as_str()).map(|s| s.chars().take(max).collect::<String>());
    let now = OffsetDateTime::now_utc();
    Ok(session::ActiveModel {
        id: Set(key(&record.id)),
        user_id: Set(record.data.get(KEY_USER_ID).and_then(|v| v.as_i64())),
        data: Set(data),
        expires_at: Set(record.expiry_date),
        ip: Set(text(KEY_IP, 64)),
        user_agent: Set(text(KEY_USER_AGENT, 256)),
        created_at: Set(now),
        last_seen_at: Set(now),
    })
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn list_for_user(&self, user_id: i64) -> std::result::Result<Vec<SessionView>, sea_orm::DbErr> {
        let rows = Entity::find()
            .filter(Column::UserId.eq(user_id))
            .filter(Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
            .order_by_desc(Column::LastSeenAt)
            .all(&self.db)
            .await?;
        let fmt = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|m| SessionView {
                handle: m.id,
                ip: m.ip,
                user_agent: m.user_agent,
                created_at: fmt(m.created_at),
                last_seen_at: fmt(m.last_seen_at),
                expires_at: fmt(m.expires_at),
            })
            .collect())
    }

    /// The handle of the session with this id (to mark "this device" in lists).
    pub fn handle_of(id: &Id) -> String {
        key(id)
    }

    /// Ends one of a user's sessions. False when there is no such session of that user.
    pub async fn revoke(&self, user_id: i64, handle: &str) -> std::result::Result<bool, sea_orm::DbErr> {
        let res = Entity::delete_many()
            .filter(Column::Id.eq(handle.to_string()))
            .filter(Column::UserId.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Ends every session of a user but `keep` (after a password change: other devices sign in again).
    pub async fn revoke_others(&self, user_id: i64, keep: &str) -> std::result::Result<u64, sea_orm::DbErr> {
        Ok(Entity::delete_many()
            .filter(Column::UserId.eq(user_id))
            .filter(Column::Id.ne(keep.to_string()))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Ends every session of a user (suspension, password reset, "log out everywhere").
    pub async fn revoke_all(&self, user_id: i64) -> std::result::Result<u64, sea_orm::DbErr> {
        Ok(Entity::delete_many().filter(Column::UserId.eq(user_id)).exec(&self.db).await?.rows_affected)
    }

    /// Records activity, at most as often as the caller decides (the auth layer: once a minute).
    pub async fn touch(&self, id: &Id) -> std::result::Result<(), sea_orm::DbErr> {
        Entity::update_many()
            .col_expr(Column::LastSeenAt, sea_orm::sea_query::Expr::value(OffsetDateTime::now_utc()))
            .filter(Column::Id.eq(key(id)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn purge_expired(&self) -> std::result::Result<u64, sea_orm::DbErr> {
        Ok(Entity::delete_many().filter(Column::ExpiresAt.lte(OffsetDateTime::now_utc())).exec(&self.db).await?.rows_affected)
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh random id; on the (astronomically unlikely) collision, draw another.
        loop {
            if Entity::find_by_id(key(&record.id)).one(&self.db).await.map_err(backend)?.is_none() {
                break;
            }
            record.id = Id::default();
        }
        Entity::insert(row(record)?).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let on_conflict = OnConflict::column(Column::Id)
            .update_columns([Column::UserId, Column::Data, Column::ExpiresAt, Column::Ip, Column::UserAgent, Column::LastSeenAt])
            .to_owned();
        Entity::insert(row(record)?).on_conflict(on_conflict).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let found = Entity::find_by_id(key(id))
            .filter(Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        match found {
            Some(m) => {
                let data = serde_json::from_str(&m.data).map_err(|e| Error::Decode(e.to_string()))?;
                Ok(Some(Record { id: *id, data, expiry_date: m.expires_at }))
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        Entity::delete_by_id(key(id)).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }
}
