use sea_orm::entity::prelude::*;

/// A container's startup script: run (via exec) after each start of the container, and on
/// demand; the last run's output (the tail, bounded) and exit code are kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "container_scripts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `containers.id` (Pier's record, not Docker's id).
    pub container_id: i64,
    pub script: String,
    pub enabled: bool,
    pub updated_at: TimeDateTimeWithTimeZone,
    /// `start` (after the container started) or `manual` (run now).
    pub last_trigger: Option<String>,
    pub last_started_at: Option<TimeDateTimeWithTimeZone>,
    pub last_finished_at: Option<TimeDateTimeWithTimeZone>,
    pub last_exit_code: Option<i64>,
    pub last_output: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
