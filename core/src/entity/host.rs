use sea_orm::entity::prelude::*;

/// A libvirt host VPSs run on.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "hosts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub uri: String,
    pub storage_dir: String,
    pub cpu_overcommit: f64,
    pub ram_overcommit: f64,
    pub maintenance: bool,
    pub status: String,
    pub last_error: Option<String>,
    /// `pier_vmm::HostInfo` as JSON, from the last successful probe.
    pub info: Option<String>,
    pub checked_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
