//! What the alerts engine needs to tell that a container stopped unexpectedly: when it last
//! died on its own (no stop or kill asked for) with which exit code and whether it ran out of
//! memory, and when it last started (a start after the death ends the alert).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Containers {
    Table,
    CrashedAt,
    CrashExitCode,
    CrashOom,
    StartedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Containers::CrashedAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Containers::CrashExitCode).big_integer().null().to_owned(),
            ColumnDef::new(Containers::CrashOom).boolean().not_null().default(false).to_owned(),
            ColumnDef::new(Containers::StartedAt).timestamp_with_time_zone().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(Containers::Table).add_column(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [Containers::StartedAt, Containers::CrashOom, Containers::CrashExitCode, Containers::CrashedAt] {
            m.alter_table(Table::alter().table(Containers::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
