//! Access lists for sites: named lists of people (user name and password hash) that
//! password-protected sites ask to sign in (HTTP basic authentication).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessLists {
    Table,
    Id,
    Name,
    /// JSON `[{"username": …, "hash": "$6$…"}]`: SHA-512 crypt hashes, never passwords.
    Users,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AccessLists::Table)
                .col(ColumnDef::new(AccessLists::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(AccessLists::Name).string().not_null().unique_key())
                .col(ColumnDef::new(AccessLists::Users).text().not_null())
                .col(ColumnDef::new(AccessLists::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AccessLists::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AccessLists::Table).to_owned()).await
    }
}
