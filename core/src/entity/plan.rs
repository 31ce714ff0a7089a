use sea_orm::entity::prelude::*;

/// A VPS size users pick from.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub vcpus: i32,
    pub memory_mib: i64,
    pub disk_gb: i64,
    pub traffic_gb: Option<i64>,
    pub snapshot_limit: i32,
    /// Inactive plans stay on existing VPSs but are not offered for new ones.
    pub active: bool,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
