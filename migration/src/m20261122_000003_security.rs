//! Account security: TOTP second factor (on `users`), recovery codes, SSH keys, API tokens,
//! password-reset links and platform settings (which roles must use 2FA).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    /// The TOTP seed, sealed with the panel's secret key; set while enrolling and once enabled.
    TotpSecret,
    TotpEnabled,
    /// The last accepted 30-second step: a code for this step or an earlier one is a replay.
    TotpLastStep,
}

#[derive(DeriveIden, Clone, Copy)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SshKeys {
    Table,
    Id,
    UserId,
    Name,
    Algorithm,
    Bits,
    PublicKey,
    Fingerprint,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Prefix,
    Scope,
    ExpiresAt,
    LastUsedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

/// `user_id` column referencing users, deleted with the user.
fn owner<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(table: T, col: C, name: &str) -> (ColumnDef, ForeignKeyCreateStatement) {
    let fk = ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned();
    (ColumnDef::new(col).big_integer().not_null().to_owned(), fk)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Users::TotpSecret).text().null().to_owned(),
            ColumnDef::new(Users::TotpEnabled).boolean().not_null().default(false).to_owned(),
            ColumnDef::new(Users::TotpLastStep).big_integer().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(Users::Table).add_column(col).to_owned()).await?;
        }

        let (mut user_col, mut fk) = owner(RecoveryCodes::Table, RecoveryCodes::UserId, "fk_recovery_user");
        m.create_table(
            Table::create()
                .table(RecoveryCodes::Table)
                .col(ColumnDef::new(RecoveryCodes::Id).big_integer().not_null().auto_increment().primary_key())
                .col(&mut user_col)
                .col(ColumnDef::new(RecoveryCodes::CodeHash).string_len(64).not_null())
                .col(ColumnDef::new(RecoveryCodes::UsedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(RecoveryCodes::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk)
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_recovery_user").table(RecoveryCodes::Table).col(RecoveryCodes::UserId).to_owned())
            .await?;

        let (mut user_col, mut fk) = owner(SshKeys::Table, SshKeys::UserId, "fk_ssh_keys_user");
        m.create_table(
            Table::create()
                .table(SshKeys::Table)
                .col(ColumnDef::new(SshKeys::Id).big_integer().not_null().auto_increment().primary_key())
                .col(&mut user_col)
                .col(ColumnDef::new(SshKeys::Name).string_len(64).not_null())
                .col(ColumnDef::new(SshKeys::Algorithm).string_len(64).not_null())
                .col(ColumnDef::new(SshKeys::Bits).integer().null())
                .col(ColumnDef::new(SshKeys::PublicKey).text().not_null())
                .col(ColumnDef::new(SshKeys::Fingerprint).string_len(64).not_null())
                .col(ColumnDef::new(SshKeys::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_ssh_keys_user_fp").table(SshKeys::Table).col(SshKeys::UserId).col(SshKeys::Fingerprint).unique().to_owned(),
        )
        .await?;

        let (mut user_col, mut fk) = owner(ApiTokens::Table, ApiTokens::UserId, "fk_api_tokens_user");
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(ColumnDef::new(ApiTokens::Id).big_integer().not_null().auto_increment().primary_key())
                .col(&mut user_col)
                .col(ColumnDef::new(ApiTokens::Name).string_len(64).not_null())
                .col(ColumnDef::new(ApiTokens::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(ApiTokens::Prefix).string_len(16).not_null())
                .col(ColumnDef::new(ApiTokens::Scope).string_len(16).not_null())
                .col(ColumnDef::new(ApiTokens::ExpiresAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ApiTokens::LastUsedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ApiTokens::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk)
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_api_tokens_user").table(ApiTokens::Table).col(ApiTokens::UserId).to_owned())
            .await?;

        let (mut user_col, mut fk) = owner(PasswordResets::Table, PasswordResets::UserId, "fk_password_resets_user");
        m.create_table(
            Table::create()
                .table(PasswordResets::Table)
                .col(ColumnDef::new(PasswordResets::Id).big_integer().not_null().auto_increment().primary_key())
                .col(&mut user_col)
                .col(ColumnDef::new(PasswordResets::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(PasswordResets::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(PasswordResets::UsedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(PasswordResets::CreatedBy).string_len(64).not_null())
                .col(ColumnDef::new(PasswordResets::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(ColumnDef::new(Settings::Key).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Settings::Value).text().not_null())
                .col(ColumnDef::new(Settings::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Settings::Table.into_iden(),
            PasswordResets::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            SshKeys::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for col in [Users::TotpLastStep, Users::TotpEnabled, Users::TotpSecret] {
            m.alter_table(Table::alter().table(Users::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
