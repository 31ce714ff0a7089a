//! The durable job table (design.md §3).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Target,
    Params,
    State,
    Progress,
    Message,
    Attempts,
    MaxAttempts,
    LeaseOwner,
    LeaseExpiresAt,
    CancelRequested,
    IdempotencyKey,
    CreatedBy,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(ColumnDef::new(Jobs::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Jobs::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(Jobs::Target).string_len(128).not_null().default(""))
                    .col(ColumnDef::new(Jobs::Params).text().not_null().default("{}"))
                    .col(ColumnDef::new(Jobs::State).string_len(16).not_null())
                    .col(ColumnDef::new(Jobs::Progress).small_integer().not_null().default(0))
                    .col(ColumnDef::new(Jobs::Message).text().not_null().default(""))
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null().default(3))
                    .col(ColumnDef::new(Jobs::LeaseOwner).string_len(64).null())
                    .col(ColumnDef::new(Jobs::LeaseExpiresAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Jobs::CancelRequested).boolean().not_null().default(false))
                    .col(ColumnDef::new(Jobs::IdempotencyKey).string_len(64).null())
                    .col(ColumnDef::new(Jobs::CreatedBy).string_len(64).null())
                    .col(ColumnDef::new(Jobs::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Jobs::StartedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Jobs::FinishedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Jobs::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        // Workers look for queued jobs in creation order; recovery looks for running ones.
        manager
            .create_index(Index::create().name("idx_jobs_state_id").table(Jobs::Table).col(Jobs::State).col(Jobs::Id).to_owned())
            .await?;
        // One job per (creator, idempotency key): a double-click cannot start two.
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_idempotency")
                    .table(Jobs::Table)
                    .col(Jobs::CreatedBy)
                    .col(Jobs::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Jobs::Table).to_owned()).await
    }
}
