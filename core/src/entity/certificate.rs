use sea_orm::entity::prelude::*;

/// A TLS certificate. Its files (fullchain, key 0600) live in `<data_dir>/certs/<id>/`; the
/// row holds what the list shows, decoded once when the files are written.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// `acme` or `uploaded`.
    pub source: String,
    /// JSON list of names.
    pub names: String,
    /// `http01`, `dns01_manual`, or `none` (uploaded).
    pub challenge: String,
    pub issuer: Option<String>,
    pub not_before: Option<TimeDateTimeWithTimeZone>,
    pub not_after: Option<TimeDateTimeWithTimeZone>,
    pub key_type: Option<String>,
    /// `pending`, `valid`, `failed`.
    pub status: String,
    pub last_error: Option<String>,
    pub auto_renew: bool,
    pub is_default: bool,
    /// A DNS-01 order waiting for its records: JSON `{ order_url, records: [DnsChallenge] }`.
    pub pending: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
