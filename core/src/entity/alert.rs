use sea_orm::entity::prelude::*;

/// One alert (a rule's condition on one target, or an event) and its lifecycle.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rule_id: Option<i64>,
    pub kind: String,
    pub target: String,
    pub owner_id: Option<i64>,
    pub title: String,
    pub severity: String,
    pub state: String,
    pub value: Option<f64>,
    pub started_at: TimeDateTimeWithTimeZone,
    pub fired_at: Option<TimeDateTimeWithTimeZone>,
    pub resolved_at: Option<TimeDateTimeWithTimeZone>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<TimeDateTimeWithTimeZone>,
    pub last_notified_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
