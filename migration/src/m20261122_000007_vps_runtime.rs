//! VPS platform, part 4: what the runtime keeps about a VPS — when it last started (uptime) and
//! when its owner was last warned about the coming expiry (so the warning is sent once).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Vps {
    Table,
    StartedAt,
    ExpiryWarnedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager.alter_table(Table::alter().table(Vps::Table).add_column(ColumnDef::new(Vps::StartedAt).timestamp_with_time_zone().null()).to_owned()).await?;
        manager.alter_table(Table::alter().table(Vps::Table).add_column(ColumnDef::new(Vps::ExpiryWarnedAt).timestamp_with_time_zone().null()).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Vps::Table).drop_column(Vps::ExpiryWarnedAt).to_owned()).await?;
        manager.alter_table(Table::alter().table(Vps::Table).drop_column(Vps::StartedAt).to_owned()).await
    }
}
