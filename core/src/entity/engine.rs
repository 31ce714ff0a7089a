use sea_orm::entity::prelude::*;

/// A Docker engine Pier manages containers on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "engines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// `unix:///var/run/docker.sock`, `tcp://host:port`, or `tcp+tls://host:port`.
    pub endpoint: String,
    /// connected | unreachable | unknown
    pub status: String,
    pub last_error: Option<String>,
    /// The last `EngineInfo`, as JSON.
    pub info: Option<String>,
    pub checked_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    /// For `tcp+tls://` endpoints: the folder holding `ca.pem`, `cert.pem` and `key.pem`.
    pub tls_dir: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
