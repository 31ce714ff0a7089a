use sea_orm::entity::prelude::*;

/// A VPS: what Pier knows; libvirt holds the domain `domain_name`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub hostname: String,
    pub owner_id: i64,
    pub host_id: i64,
    pub plan_id: Option<i64>,
    pub image_id: Option<i64>,
    pub vcpus: i32,
    pub memory_mib: i64,
    pub disk_gb: i64,
    pub network: String,
    pub ip_address: Option<String>,
    pub state: String,
    pub domain_name: String,
    pub disk_path: String,
    pub seed_path: String,
    pub user_data: Option<String>,
    pub expires_at: Option<TimeDateTimeWithTimeZone>,
    pub expiry_action: String,
    pub last_error: Option<String>,
    /// When it last started running (uptime); None while stopped.
    pub started_at: Option<TimeDateTimeWithTimeZone>,
    /// When the owner was warned that the expiry is near (once per expiry date).
    pub expiry_warned_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
