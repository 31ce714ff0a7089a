//! Metric history: one series per (target, metric), its points in compact chunks per tier
//! (raw, 1-minute, 10-minute, 1-hour; see `core/src/monitoring/codec.rs`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MetricSeries {
    Table,
    Id,
    /// `host`, `pier`, `vps:12`, `container:<id>`, `site:<name>`.
    Target,
    /// `cpu`, `mem_used_pct`, `disk./.used_pct`, `net.eth0.rx_bps`, …
    Metric,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MetricChunks {
    Table,
    SeriesId,
    /// 0 raw, 1 one-minute, 2 ten-minute, 3 one-hour.
    Tier,
    /// The first point's time (unix seconds).
    Start,
    /// The last point's time.
    Last,
    Points,
    Data,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(MetricSeries::Table)
                .col(ColumnDef::new(MetricSeries::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(MetricSeries::Target).string().not_null())
                .col(ColumnDef::new(MetricSeries::Metric).string().not_null())
                .col(ColumnDef::new(MetricSeries::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_metric_series_key").table(MetricSeries::Table).col(MetricSeries::Target).col(MetricSeries::Metric).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table(MetricChunks::Table)
                .col(ColumnDef::new(MetricChunks::SeriesId).big_integer().not_null())
                .col(ColumnDef::new(MetricChunks::Tier).small_integer().not_null())
                .col(ColumnDef::new(MetricChunks::Start).big_integer().not_null())
                .col(ColumnDef::new(MetricChunks::Last).big_integer().not_null())
                .col(ColumnDef::new(MetricChunks::Points).integer().not_null())
                .col(ColumnDef::new(MetricChunks::Data).binary().not_null())
                .primary_key(Index::create().col(MetricChunks::SeriesId).col(MetricChunks::Tier).col(MetricChunks::Start))
                .foreign_key(ForeignKey::create().name("fk_metric_chunks_series").from(MetricChunks::Table, MetricChunks::SeriesId).to(MetricSeries::Table, MetricSeries::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        // Retention deletes by tier and age.
        m.create_index(Index::create().name("ix_metric_chunks_age").table(MetricChunks::Table).col(MetricChunks::Tier).col(MetricChunks::Last).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(MetricChunks::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(MetricSeries::Table).to_owned()).await
    }
}
