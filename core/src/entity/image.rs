use sea_orm::entity::prelude::*;

/// An OS image VPS disks are made from.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "images")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub os_family: String,
    pub os_version: String,
    pub default_user: String,
    pub path: String,
    pub format: Option<String>,
    pub virtual_size: Option<i64>,
    pub file_size: Option<i64>,
    pub sha256: Option<String>,
    pub min_disk_gb: i32,
    pub public: bool,
    pub status: String,
    pub error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
