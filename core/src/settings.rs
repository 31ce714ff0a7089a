//! Platform settings changed from the UI, stored as JSON under stable keys. Read on every
//! request (the 2FA policy), so the current values are cached in memory and reloaded on write.

use crate::entity::setting;
use pier_proto::security::SecurityPolicy;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, Set};
use std::sync::{Arc, RwLock};

const SECURITY: &str = "security";

#[derive(Clone)]
pub struct Settings {
    db: DatabaseConnection,
    security: Arc<RwLock<SecurityPolicy>>,
}

impl Settings {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, security: Default::default() }
    }

    /// Loads the stored values into the cache (at start-up).
    pub async fn reload(&self) -> Result<(), DbErr> {
        if let Some(row) = setting::Entity::find_by_id(SECURITY.to_string()).one(&self.db).await? {
            match serde_json::from_str::<SecurityPolicy>(&row.value) {
                Ok(p) => *self.security.write().expect("settings lock") = p,
                Err(e) => tracing::error!(error = %e, "stored security settings are unreadable; using defaults"),
            }
        }
        Ok(())
    }

    /// A stored value under `key` (`None` when never stored).
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, DbErr> {
        match setting::Entity::find_by_id(key.to_string()).one(&self.db).await? {
            Some(row) => serde_json::from_str(&row.value).map(Some).map_err(|e| DbErr::Custom(format!("setting {key}: {e}"))),
            None => Ok(None),
        }
    }

    /// Stores `value` under `key` (not cached: for values read rarely).
    pub async fn put_json<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<(), DbErr> {
        let value = serde_json::to_string(value).map_err(|e| DbErr::Custom(e.to_string()))?;
        setting::Entity::insert(setting::ActiveModel { key: Set(key.into()), value: Set(value), updated_at: Set(time::OffsetDateTime::now_utc()) })
            .on_conflict(OnConflict::column(setting::Column::Key).update_columns([setting::Column::Value, setting::Column::UpdatedAt]).to_owned())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub fn security(&self) -> SecurityPolicy {
        self.security.read().expect("settings lock").clone()
    }

    /// Stores and caches. Authorization is the caller's (see `Accounts::set_security_policy`).
    pub async fn store_security(&self, policy: SecurityPolicy) -> Result<(), DbErr> {
        let value = serde_json::to_string(&policy).map_err(|e| DbErr::Custom(e.to_string()))?;
        setting::Entity::insert(setting::ActiveModel {
            key: Set(SECURITY.into()),
            value: Set(value),
            updated_at: Set(time::OffsetDateTime::now_utc()),
        })
        .on_conflict(OnConflict::column(setting::Column::Key).update_columns([setting::Column::Value, setting::Column::UpdatedAt]).to_owned())
        .exec(&self.db)
        .await?;
        *self.security.write().expect("settings lock") = policy;
        Ok(())
    }
}
