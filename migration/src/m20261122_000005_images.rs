//! VPS platform, part 2: OS images.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
    Name,
    OsFamily,
    OsVersion,
    DefaultUser,
    Path,
    /// `qcow2` or `raw`, as qemu-img found it.
    Format,
    VirtualSize,
    FileSize,
    Sha256,
    MinDiskGb,
    Public,
    /// `checking`, `ready`, `failed`.
    Status,
    Error,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Images::Table)
                .col(ColumnDef::new(Images::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Images::Name).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(Images::OsFamily).string_len(32).not_null())
                .col(ColumnDef::new(Images::OsVersion).string_len(32).not_null())
                .col(ColumnDef::new(Images::DefaultUser).string_len(32).not_null())
                .col(ColumnDef::new(Images::Path).string_len(512).not_null())
                .col(ColumnDef::new(Images::Format).string_len(16).null())
                .col(ColumnDef::new(Images::VirtualSize).big_integer().null())
                .col(ColumnDef::new(Images::FileSize).big_integer().null())
                .col(ColumnDef::new(Images::Sha256).string_len(64).null())
                .col(ColumnDef::new(Images::MinDiskGb).integer().not_null())
                .col(ColumnDef::new(Images::Public).boolean().not_null().default(true))
                .col(ColumnDef::new(Images::Status).string_len(16).not_null())
                .col(ColumnDef::new(Images::Error).text().null())
                .col(ColumnDef::new(Images::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Images::Table).to_owned()).await
    }
}
