use sea_orm::entity::prelude::*;

/// One saved version of a site: the body asked for, the text rendered from it, and whether
/// nginx took it (`live`, `superseded`, `rejected`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "site_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_id: i64,
    pub number: i64,
    pub kind: String,
    pub body: String,
    pub rendered: String,
    pub state: String,
    pub message: Option<String>,
    pub actor: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
