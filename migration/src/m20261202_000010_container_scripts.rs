//! Containers, part 2: a startup script per container (run after each start, its last output
//! kept), and the client-certificate folder of engines reached over TLS.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContainerScripts {
    Table,
    Id,
    ContainerId,
    Script,
    Enabled,
    UpdatedAt,
    LastTrigger,
    LastStartedAt,
    LastFinishedAt,
    LastExitCode,
    LastOutput,
}

#[derive(DeriveIden)]
enum Containers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Engines {
    Table,
    TlsDir,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ContainerScripts::Table)
                .col(ColumnDef::new(ContainerScripts::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(ContainerScripts::ContainerId).big_integer().not_null().unique_key())
                .col(ColumnDef::new(ContainerScripts::Script).text().not_null())
                .col(ColumnDef::new(ContainerScripts::Enabled).boolean().not_null())
                .col(ColumnDef::new(ContainerScripts::UpdatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(ContainerScripts::LastTrigger).string().null())
                .col(ColumnDef::new(ContainerScripts::LastStartedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ContainerScripts::LastFinishedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ContainerScripts::LastExitCode).big_integer().null())
                .col(ColumnDef::new(ContainerScripts::LastOutput).text().not_null().default(""))
                // The script goes with the container's record.
                .foreign_key(ForeignKey::create().name("fk_scripts_container").from(ContainerScripts::Table, ContainerScripts::ContainerId).to(Containers::Table, Containers::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Engines::Table).add_column(ColumnDef::new(Engines::TlsDir).string().null()).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Engines::Table).drop_column(Engines::TlsDir).to_owned()).await?;
        m.drop_table(Table::drop().table(ContainerScripts::Table).to_owned()).await
    }
}
