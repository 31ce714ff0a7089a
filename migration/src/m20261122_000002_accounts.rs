//! Accounts: users, sessions (tower-sessions records), the audit log and first-admin setup tokens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Email,
    PasswordHash,
    Role,
    Status,
    FailedLogins,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    Data,
    ExpiresAt,
    Ip,
    UserAgent,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    ActorName,
    Action,
    Target,
    Outcome,
    Ip,
    UserAgent,
    Detail,
}

#[derive(DeriveIden)]
enum SetupTokens {
    Table,
    Id,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(ColumnDef::new(Users::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Users::Username).string_len(32).not_null().unique_key())
                .col(ColumnDef::new(Users::Email).string_len(254).not_null().unique_key())
                .col(ColumnDef::new(Users::PasswordHash).text().not_null())
                .col(ColumnDef::new(Users::Role).string_len(16).not_null())
                .col(ColumnDef::new(Users::Status).string_len(16).not_null().default("active"))
                .col(ColumnDef::new(Users::FailedLogins).integer().not_null().default(0))
                .col(ColumnDef::new(Users::LockedUntil).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Users::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Users::UpdatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Users::LastLoginAt).timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(ColumnDef::new(Sessions::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Sessions::UserId).big_integer().null())
                .col(ColumnDef::new(Sessions::Data).text().not_null())
                .col(ColumnDef::new(Sessions::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Sessions::Ip).string_len(64).null())
                .col(ColumnDef::new(Sessions::UserAgent).string_len(256).null())
                .col(ColumnDef::new(Sessions::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Sessions::LastSeenAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned())
            .await?;
        m.create_index(Index::create().name("idx_sessions_expiry").table(Sessions::Table).col(Sessions::ExpiresAt).to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(ColumnDef::new(AuditLog::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(AuditLog::At).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AuditLog::Actor).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::ActorName).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Target).string_len(128).not_null())
                .col(ColumnDef::new(AuditLog::Outcome).string_len(16).not_null())
                .col(ColumnDef::new(AuditLog::Ip).string_len(64).null())
                .col(ColumnDef::new(AuditLog::UserAgent).string_len(256).null())
                .col(ColumnDef::new(AuditLog::Detail).text().not_null().default(""))
                .to_owned(),
        )
        .await?;
        for (name, col) in [("idx_audit_at", AuditLog::At), ("idx_audit_actor", AuditLog::Actor), ("idx_audit_action", AuditLog::Action)] {
            m.create_index(Index::create().name(name).table(AuditLog::Table).col(col).to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(SetupTokens::Table)
                .col(ColumnDef::new(SetupTokens::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(SetupTokens::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(SetupTokens::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(SetupTokens::UsedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(SetupTokens::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [SetupTokens::Table.into_iden(), AuditLog::Table.into_iden(), Sessions::Table.into_iden(), Users::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
