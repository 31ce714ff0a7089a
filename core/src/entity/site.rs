use sea_orm::entity::prelude::*;

/// A site nginx serves: the typed model (JSON of `SiteSpec`) or raw configuration text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// `typed` or `raw`.
    pub kind: String,
    pub body: String,
    pub enabled: bool,
    /// `live`, `rejected`, `disabled`.
    pub state: String,
    pub state_message: Option<String>,
    pub state_line: Option<i32>,
    /// The number of the version that is live.
    pub live_version: Option<i64>,
    /// The certificate its HTTPS server uses (resolved from its TLS mode).
    pub certificate_id: Option<i64>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
