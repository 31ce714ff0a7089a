use sea_orm::entity::prelude::*;

/// A container Pier made (or adopted): who owns it. Its state lives in Docker.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "containers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub engine_id: i64,
    pub docker_id: String,
    pub name: String,
    pub owner_id: Option<i64>,
    pub created_at: TimeDateTimeWithTimeZone,
    /// When it last died on its own (no stop or kill asked for) with a non-zero exit code or
    /// out of memory; the alerts engine raises `container_stopped` from these.
    pub crashed_at: Option<TimeDateTimeWithTimeZone>,
    pub crash_exit_code: Option<i64>,
    pub crash_oom: bool,
    /// When it last started (a start after `crashed_at` ends that alert).
    pub started_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
