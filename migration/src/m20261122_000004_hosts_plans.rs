//! VPS platform, part 1: libvirt hosts, plans, and per-host IP pools with their allocations.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Hosts {
    Table,
    Id,
    Name,
    Uri,
    StorageDir,
    CpuOvercommit,
    RamOvercommit,
    Maintenance,
    /// `unknown`, `connected`, `unreachable`.
    Status,
    LastError,
    /// The last `HostInfo` libvirt gave, as JSON.
    Info,
    CheckedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Plans {
    Table,
    Id,
    Name,
    Vcpus,
    MemoryMib,
    DiskGb,
    TrafficGb,
    SnapshotLimit,
    Active,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IpPools {
    Table,
    Id,
    HostId,
    Name,
    Cidr,
    Gateway,
    RangeStart,
    RangeEnd,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IpAddresses {
    Table,
    Id,
    PoolId,
    Address,
    /// What holds it (`vps:12`); the row exists only while allocated.
    Holder,
    AllocatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Hosts::Table)
                .col(ColumnDef::new(Hosts::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Hosts::Name).string_len(63).not_null().unique_key())
                .col(ColumnDef::new(Hosts::Uri).string_len(512).not_null())
                .col(ColumnDef::new(Hosts::StorageDir).string_len(512).not_null())
                .col(ColumnDef::new(Hosts::CpuOvercommit).double().not_null().default(4.0))
                .col(ColumnDef::new(Hosts::RamOvercommit).double().not_null().default(1.0))
                .col(ColumnDef::new(Hosts::Maintenance).boolean().not_null().default(false))
                .col(ColumnDef::new(Hosts::Status).string_len(16).not_null().default("unknown"))
                .col(ColumnDef::new(Hosts::LastError).text().null())
                .col(ColumnDef::new(Hosts::Info).text().null())
                .col(ColumnDef::new(Hosts::CheckedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Hosts::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Plans::Table)
                .col(ColumnDef::new(Plans::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Plans::Name).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(Plans::Vcpus).integer().not_null())
                .col(ColumnDef::new(Plans::MemoryMib).big_integer().not_null())
                .col(ColumnDef::new(Plans::DiskGb).big_integer().not_null())
                .col(ColumnDef::new(Plans::TrafficGb).big_integer().null())
                .col(ColumnDef::new(Plans::SnapshotLimit).integer().not_null().default(3))
                .col(ColumnDef::new(Plans::Active).boolean().not_null().default(true))
                .col(ColumnDef::new(Plans::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IpPools::Table)
                .col(ColumnDef::new(IpPools::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(IpPools::HostId).big_integer().not_null())
                .col(ColumnDef::new(IpPools::Name).string_len(64).not_null())
                .col(ColumnDef::new(IpPools::Cidr).string_len(64).not_null())
                .col(ColumnDef::new(IpPools::Gateway).string_len(64).not_null())
                .col(ColumnDef::new(IpPools::RangeStart).string_len(64).not_null())
                .col(ColumnDef::new(IpPools::RangeEnd).string_len(64).not_null())
                .col(ColumnDef::new(IpPools::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create().name("fk_ip_pools_host").from(IpPools::Table, IpPools::HostId).to(Hosts::Table, Hosts::Id).on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IpAddresses::Table)
                .col(ColumnDef::new(IpAddresses::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(IpAddresses::PoolId).big_integer().not_null())
                .col(ColumnDef::new(IpAddresses::Address).string_len(64).not_null())
                .col(ColumnDef::new(IpAddresses::Holder).string_len(64).not_null())
                .col(ColumnDef::new(IpAddresses::AllocatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ip_addresses_pool")
                        .from(IpAddresses::Table, IpAddresses::PoolId)
                        .to(IpPools::Table, IpPools::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // The database is the last word on "never twice": two racing allocations cannot both insert.
        m.create_index(
            Index::create().name("idx_ip_addresses_unique").table(IpAddresses::Table).col(IpAddresses::PoolId).col(IpAddresses::Address).unique().to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [IpAddresses::Table.into_iden(), IpPools::Table.into_iden(), Plans::Table.into_iden(), Hosts::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
