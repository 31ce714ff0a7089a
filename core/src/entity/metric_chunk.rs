use sea_orm::entity::prelude::*;

/// Points of one series and tier, encoded by `monitoring::codec`, from `start` to `last`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "metric_chunks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub series_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tier: i16,
    #[sea_orm(primary_key, auto_increment = false)]
    pub start: i64,
    pub last: i64,
    pub points: i32,
    pub data: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
