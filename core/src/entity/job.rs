use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub target: String,
    /// JSON parameters for the handler.
    pub params: String,
    /// A `JobState` name.
    pub state: String,
    pub progress: i16,
    pub message: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// The process instance that holds the job while it runs.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<TimeDateTimeWithTimeZone>,
    pub cancel_requested: bool,
    pub idempotency_key: Option<String>,
    /// Actor key (`system`, `user:12`).
    pub created_by: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub started_at: Option<TimeDateTimeWithTimeZone>,
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
