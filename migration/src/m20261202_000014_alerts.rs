//! Alerts and notifications: rules, alerts (rule conditions and events) with their history,
//! each person's notification centre and channels, and the webhook delivery log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    Name,
    /// `RuleInput` as JSON.
    Spec,
    Enabled,
    IsDefault,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    RuleId,
    /// `metric` or an event kind.
    Kind,
    Target,
    /// Who the alert is about (the resource's owner), for users' lists and notifications.
    OwnerId,
    Title,
    Severity,
    /// `pending`, `firing`, `resolved`.
    State,
    Value,
    StartedAt,
    FiredAt,
    ResolvedAt,
    AcknowledgedBy,
    AcknowledgedAt,
    LastNotifiedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    AlertId,
    Title,
    Body,
    Severity,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum NotificationChannels {
    Table,
    UserId,
    Email,
    WebhookUrl,
    /// Sealed (`SecretBox`), bound to the user.
    WebhookSecret,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    UserId,
    AlertId,
    Url,
    /// `pending`, `delivered`, `failed`.
    State,
    Attempts,
    LastStatus,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn id<T: IntoIden + 'static>(c: T) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().auto_increment().primary_key().to_owned()
}

fn ts<T: IntoIden + 'static>(c: T) -> ColumnDef {
    ColumnDef::new(c).timestamp_with_time_zone().not_null().to_owned()
}

fn ts_null<T: IntoIden + 'static>(c: T) -> ColumnDef {
    ColumnDef::new(c).timestamp_with_time_zone().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AlertRules::Table)
                .col(id(AlertRules::Id))
                .col(ColumnDef::new(AlertRules::Name).string().not_null())
                .col(ColumnDef::new(AlertRules::Spec).text().not_null())
                .col(ColumnDef::new(AlertRules::Enabled).boolean().not_null())
                .col(ColumnDef::new(AlertRules::IsDefault).boolean().not_null())
                .col(ts(AlertRules::CreatedAt))
                .col(ts(AlertRules::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alerts::Table)
                .col(id(Alerts::Id))
                .col(ColumnDef::new(Alerts::RuleId).big_integer().null())
                .col(ColumnDef::new(Alerts::Kind).string().not_null())
                .col(ColumnDef::new(Alerts::Target).string().not_null())
                .col(ColumnDef::new(Alerts::OwnerId).big_integer().null())
                .col(ColumnDef::new(Alerts::Title).text().not_null())
                .col(ColumnDef::new(Alerts::Severity).string().not_null())
                .col(ColumnDef::new(Alerts::State).string().not_null())
                .col(ColumnDef::new(Alerts::Value).double().null())
                .col(ts(Alerts::StartedAt))
                .col(ts_null(Alerts::FiredAt))
                .col(ts_null(Alerts::ResolvedAt))
                .col(ColumnDef::new(Alerts::AcknowledgedBy).string().null())
                .col(ts_null(Alerts::AcknowledgedAt))
                .col(ts_null(Alerts::LastNotifiedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_alerts_open").table(Alerts::Table).col(Alerts::State).col(Alerts::Kind).col(Alerts::Target).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(id(Notifications::Id))
                .col(ColumnDef::new(Notifications::UserId).big_integer().not_null())
                .col(ColumnDef::new(Notifications::AlertId).big_integer().null())
                .col(ColumnDef::new(Notifications::Title).text().not_null())
                .col(ColumnDef::new(Notifications::Body).text().not_null())
                .col(ColumnDef::new(Notifications::Severity).string().not_null())
                .col(ts(Notifications::CreatedAt))
                .col(ts_null(Notifications::ReadAt))
                .foreign_key(ForeignKey::create().name("fk_notifications_user").from(Notifications::Table, Notifications::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_notifications_user").table(Notifications::Table).col(Notifications::UserId).col(Notifications::Id).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(NotificationChannels::Table)
                .col(ColumnDef::new(NotificationChannels::UserId).big_integer().not_null().primary_key())
                .col(ColumnDef::new(NotificationChannels::Email).boolean().not_null())
                .col(ColumnDef::new(NotificationChannels::WebhookUrl).text().null())
                .col(ColumnDef::new(NotificationChannels::WebhookSecret).text().null())
                .col(ts(NotificationChannels::UpdatedAt))
                .foreign_key(ForeignKey::create().name("fk_channels_user").from(NotificationChannels::Table, NotificationChannels::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .col(id(WebhookDeliveries::Id))
                .col(ColumnDef::new(WebhookDeliveries::UserId).big_integer().not_null())
                .col(ColumnDef::new(WebhookDeliveries::AlertId).big_integer().null())
                .col(ColumnDef::new(WebhookDeliveries::Url).text().not_null())
                .col(ColumnDef::new(WebhookDeliveries::State).string().not_null())
                .col(ColumnDef::new(WebhookDeliveries::Attempts).integer().not_null())
                .col(ColumnDef::new(WebhookDeliveries::LastStatus).integer().null())
                .col(ColumnDef::new(WebhookDeliveries::LastError).text().null())
                .col(ts(WebhookDeliveries::CreatedAt))
                .col(ts(WebhookDeliveries::UpdatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [WebhookDeliveries::Table.into_iden(), NotificationChannels::Table.into_iden(), Notifications::Table.into_iden(), Alerts::Table.into_iden(), AlertRules::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
