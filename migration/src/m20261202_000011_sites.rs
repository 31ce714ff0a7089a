//! Sites and TLS: sites (typed model or raw text) with their version history, load-balancer
//! pools with health-check history, certificates, and the ACME account.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
    Name,
    /// `typed` or `raw`.
    Kind,
    /// The `SiteSpec` as JSON (typed) or the configuration text (raw).
    Body,
    Enabled,
    /// `live`, `rejected`, `disabled`.
    State,
    StateMessage,
    StateLine,
    LiveVersion,
    CertificateId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SiteVersions {
    Table,
    Id,
    SiteId,
    Number,
    Kind,
    Body,
    Rendered,
    State,
    Message,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Pools {
    Table,
    Id,
    Name,
    Spec,
    Health,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HealthEvents {
    Table,
    Id,
    PoolId,
    Member,
    Up,
    Message,
    At,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    Name,
    Source,
    Names,
    Challenge,
    Issuer,
    NotBefore,
    NotAfter,
    KeyType,
    Status,
    LastError,
    AutoRenew,
    IsDefault,
    /// Pending DNS-01 records (JSON) while an order waits for a person.
    Pending,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AcmeAccounts {
    Table,
    Id,
    DirectoryUrl,
    Email,
    /// instant-acme's account credentials, sealed with the panel's secret key.
    Credentials,
    CreatedAt,
}

fn id<T: IntoIden + 'static>(c: T) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().auto_increment().primary_key().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Certificates::Table)
                .col(id(Certificates::Id))
                .col(ColumnDef::new(Certificates::Name).string().not_null().unique_key())
                .col(ColumnDef::new(Certificates::Source).string().not_null())
                .col(ColumnDef::new(Certificates::Names).text().not_null())
                .col(ColumnDef::new(Certificates::Challenge).string().not_null())
                .col(ColumnDef::new(Certificates::Issuer).string().null())
                .col(ColumnDef::new(Certificates::NotBefore).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Certificates::NotAfter).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Certificates::KeyType).string().null())
                .col(ColumnDef::new(Certificates::Status).string().not_null())
                .col(ColumnDef::new(Certificates::LastError).text().null())
                .col(ColumnDef::new(Certificates::AutoRenew).boolean().not_null())
                .col(ColumnDef::new(Certificates::IsDefault).boolean().not_null())
                .col(ColumnDef::new(Certificates::Pending).text().null())
                .col(ColumnDef::new(Certificates::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Certificates::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sites::Table)
                .col(id(Sites::Id))
                .col(ColumnDef::new(Sites::Name).string().not_null().unique_key())
                .col(ColumnDef::new(Sites::Kind).string().not_null())
                .col(ColumnDef::new(Sites::Body).text().not_null())
                .col(ColumnDef::new(Sites::Enabled).boolean().not_null())
                .col(ColumnDef::new(Sites::State).string().not_null())
                .col(ColumnDef::new(Sites::StateMessage).text().null())
                .col(ColumnDef::new(Sites::StateLine).integer().null())
                .col(ColumnDef::new(Sites::LiveVersion).big_integer().null())
                .col(ColumnDef::new(Sites::CertificateId).big_integer().null())
                .col(ColumnDef::new(Sites::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Sites::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SiteVersions::Table)
                .col(id(SiteVersions::Id))
                .col(ColumnDef::new(SiteVersions::SiteId).big_integer().not_null())
                .col(ColumnDef::new(SiteVersions::Number).big_integer().not_null())
                .col(ColumnDef::new(SiteVersions::Kind).string().not_null())
                .col(ColumnDef::new(SiteVersions::Body).text().not_null())
                .col(ColumnDef::new(SiteVersions::Rendered).text().not_null())
                .col(ColumnDef::new(SiteVersions::State).string().not_null())
                .col(ColumnDef::new(SiteVersions::Message).text().null())
                .col(ColumnDef::new(SiteVersions::Actor).string().not_null())
                .col(ColumnDef::new(SiteVersions::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(ForeignKey::create().name("fk_versions_site").from(SiteVersions::Table, SiteVersions::SiteId).to(Sites::Table, Sites::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_site_versions_site").table(SiteVersions::Table).col(SiteVersions::SiteId).col(SiteVersions::Number).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table(Pools::Table)
                .col(id(Pools::Id))
                .col(ColumnDef::new(Pools::Name).string().not_null().unique_key())
                .col(ColumnDef::new(Pools::Spec).text().not_null())
                .col(ColumnDef::new(Pools::Health).text().null())
                .col(ColumnDef::new(Pools::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Pools::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(HealthEvents::Table)
                .col(id(HealthEvents::Id))
                .col(ColumnDef::new(HealthEvents::PoolId).big_integer().not_null())
                .col(ColumnDef::new(HealthEvents::Member).string().not_null())
                .col(ColumnDef::new(HealthEvents::Up).boolean().not_null())
                .col(ColumnDef::new(HealthEvents::Message).text().null())
                .col(ColumnDef::new(HealthEvents::At).timestamp_with_time_zone().not_null())
                .foreign_key(ForeignKey::create().name("fk_health_pool").from(HealthEvents::Table, HealthEvents::PoolId).to(Pools::Table, Pools::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_health_events_pool").table(HealthEvents::Table).col(HealthEvents::PoolId).col(HealthEvents::Id).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(AcmeAccounts::Table)
                .col(id(AcmeAccounts::Id))
                .col(ColumnDef::new(AcmeAccounts::DirectoryUrl).string().not_null().unique_key())
                .col(ColumnDef::new(AcmeAccounts::Email).string().not_null())
                .col(ColumnDef::new(AcmeAccounts::Credentials).text().not_null())
                .col(ColumnDef::new(AcmeAccounts::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [AcmeAccounts::Table.into_iden(), HealthEvents::Table.into_iden(), Pools::Table.into_iden(), SiteVersions::Table.into_iden(), Sites::Table.into_iden(), Certificates::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
