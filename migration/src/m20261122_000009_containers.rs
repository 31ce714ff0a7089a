//! Containers, part 1: Docker engines and the containers Pier made (who owns which).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Engines {
    Table,
    Id,
    Name,
    Endpoint,
    Status,
    LastError,
    Info,
    CheckedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Containers {
    Table,
    Id,
    EngineId,
    DockerId,
    Name,
    OwnerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Engines::Table)
                .col(ColumnDef::new(Engines::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Engines::Name).string().not_null().unique_key())
                .col(ColumnDef::new(Engines::Endpoint).string().not_null())
                .col(ColumnDef::new(Engines::Status).string().not_null())
                .col(ColumnDef::new(Engines::LastError).text().null())
                .col(ColumnDef::new(Engines::Info).text().null())
                .col(ColumnDef::new(Engines::CheckedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Engines::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Containers::Table)
                .col(ColumnDef::new(Containers::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Containers::EngineId).big_integer().not_null())
                .col(ColumnDef::new(Containers::DockerId).string().not_null())
                .col(ColumnDef::new(Containers::Name).string().not_null())
                .col(ColumnDef::new(Containers::OwnerId).big_integer().null())
                .col(ColumnDef::new(Containers::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(ForeignKey::create().name("fk_containers_engine").from(Containers::Table, Containers::EngineId).to(Engines::Table, Engines::Id).on_delete(ForeignKeyAction::Cascade))
                // A removed person's containers stay (admins see them as unowned) rather than vanish.
                .foreign_key(ForeignKey::create().name("fk_containers_owner").from(Containers::Table, Containers::OwnerId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_containers_docker").table(Containers::Table).col(Containers::EngineId).col(Containers::DockerId).unique().to_owned()).await?;
        m.create_index(Index::create().name("idx_containers_owner").table(Containers::Table).col(Containers::OwnerId).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Containers::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Engines::Table).to_owned()).await
    }
}
