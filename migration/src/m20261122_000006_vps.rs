//! VPS platform, part 3: the VPSs themselves.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Vps {
    Table,
    Id,
    Uuid,
    Name,
    Hostname,
    OwnerId,
    HostId,
    PlanId,
    ImageId,
    Vcpus,
    MemoryMib,
    DiskGb,
    /// `public` (an address from the host's pool) or `private` (NAT only).
    Network,
    IpAddress,
    /// `provisioning`, `running`, `stopped`, `paused`, `error`, `deleting`.
    State,
    /// libvirt's name for it (`pier-vps-<id>`): never derived from user input.
    DomainName,
    DiskPath,
    SeedPath,
    UserData,
    ExpiresAt,
    /// `delete`, `shutdown`, `notify`.
    ExpiryAction,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Hosts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Vps::Table)
                .col(ColumnDef::new(Vps::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Vps::Uuid).string_len(36).not_null().unique_key())
                .col(ColumnDef::new(Vps::Name).string_len(63).not_null())
                .col(ColumnDef::new(Vps::Hostname).string_len(253).not_null())
                .col(ColumnDef::new(Vps::OwnerId).big_integer().not_null())
                .col(ColumnDef::new(Vps::HostId).big_integer().not_null())
                .col(ColumnDef::new(Vps::PlanId).big_integer().null())
                .col(ColumnDef::new(Vps::ImageId).big_integer().null())
                .col(ColumnDef::new(Vps::Vcpus).integer().not_null())
                .col(ColumnDef::new(Vps::MemoryMib).big_integer().not_null())
                .col(ColumnDef::new(Vps::DiskGb).big_integer().not_null())
                .col(ColumnDef::new(Vps::Network).string_len(16).not_null())
                .col(ColumnDef::new(Vps::IpAddress).string_len(64).null())
                .col(ColumnDef::new(Vps::State).string_len(16).not_null())
                .col(ColumnDef::new(Vps::DomainName).string_len(64).not_null())
                .col(ColumnDef::new(Vps::DiskPath).string_len(512).not_null())
                .col(ColumnDef::new(Vps::SeedPath).string_len(512).not_null())
                .col(ColumnDef::new(Vps::UserData).text().null())
                .col(ColumnDef::new(Vps::ExpiresAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Vps::ExpiryAction).string_len(16).not_null().default("notify"))
                .col(ColumnDef::new(Vps::LastError).text().null())
                .col(ColumnDef::new(Vps::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Vps::UpdatedAt).timestamp_with_time_zone().not_null())
                // A user who owns VPSs cannot be deleted by accident; a host with VPSs cannot be removed.
                .foreign_key(ForeignKey::create().name("fk_vps_owner").from(Vps::Table, Vps::OwnerId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Restrict))
                .foreign_key(ForeignKey::create().name("fk_vps_host").from(Vps::Table, Vps::HostId).to(Hosts::Table, Hosts::Id).on_delete(ForeignKeyAction::Restrict))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_vps_owner_name").table(Vps::Table).col(Vps::OwnerId).col(Vps::Name).unique().to_owned()).await?;
        m.create_index(Index::create().name("idx_vps_host").table(Vps::Table).col(Vps::HostId).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Vps::Table).to_owned()).await
    }
}
