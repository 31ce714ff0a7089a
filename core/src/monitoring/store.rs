//! The history store: samples go into in-memory open chunks (and through the roll-up into the
//! open chunks of the coarser tiers); `flush` writes what changed, one row per chunk, so a
//! crash loses at most one flush interval of raw samples and the roll-up buckets still open.
//! A query picks the finest tier that still holds the start of its range and gives at most
//! `MAX_POINTS` points, and reads the stored chunks plus the open one.

use super::codec::{self, Agg};
use super::rollup::{Rollup, Tier, RAW, TIERS};
use crate::entity::{metric_chunk, metric_series};
use pier_proto::monitoring::{Point, Series};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A chart is drawn from at most this many points (a 24 h chart: 1-minute points).
pub const MAX_POINTS: i64 = 1_500;

#[derive(Debug, Clone)]
struct Open {
    start: i64,
    /// The chunk window this chunk belongs to (`start` rounded down to `chunk_s`).
    window: i64,
    last: i64,
    points: u32,
    data: Vec<u8>,
    dirty: bool,
}

#[derive(Debug, Default)]
struct SeriesMem {
    id: i64,
    open: [Option<Open>; TIERS],
    rollup: Rollup,
}

#[derive(Default)]
struct State {
    series: HashMap<(String, String), SeriesMem>,
    /// Chunks closed since the last flush (their final contents).
    closed: Vec<(i64, usize, Open)>,
}

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    tiers: [Tier; TIERS],
    state: Arc<Mutex<State>>,
}

impl Store {
    pub fn new(db: DatabaseConnection, tiers: [Tier; TIERS]) -> Self {
        Self { db, tiers, state: Default::default() }
    }

    pub fn tiers(&self) -> &[Tier; TIERS] {
        &self.tiers
    }

    /// The series id of `(target, metric)`, made on first use.
    async fn series_id(&self, target: &str, metric: &str) -> Result<i64, DbErr> {
        let key = (target.to_string(), metric.to_string());
        if let Some(s) = self.state.lock().expect("not poisoned").series.get(&key) {
            return Ok(s.id);
        }
        let find = || metric_series::Entity::find().filter(metric_series::Column::Target.eq(target)).filter(metric_series::Column::Metric.eq(metric)).one(&self.db);
        let id = match find().await? {
            Some(s) => s.id,
            None => {
                let row = metric_series::ActiveModel { target: Set(target.into()), metric: Set(metric.into()), created_at: Set(time::OffsetDateTime::now_utc()), ..Default::default() };
                match metric_series::Entity::insert(row).exec(&self.db).await {
                    Ok(r) => r.last_insert_id,
                    // Made by a concurrent first use.
                    Err(e) if crate::db::is_unique_violation(&e) => find().await?.ok_or(e)?.id,
                    Err(e) => return Err(e),
                }
            }
        };
        self.state.lock().expect("not poisoned").series.entry(key).or_insert_with(|| SeriesMem { id, ..Default::default() });
        Ok(id)
    }

    /// Records samples of one target taken at `t` (unix seconds).
    pub async fn append(&self, target: &str, t: i64, values: &[(String, f64)]) -> Result<(), DbErr> {
        for (metric, _) in values {
            self.series_id(target, metric).await?;
        }
        let mut st = self.state.lock().expect("not poisoned");
        let st = &mut *st;
        for (metric, v) in values {
            if !v.is_finite() {
                continue;
            }
            let Some(s) = st.series.get_mut(&(target.to_string(), metric.clone())) else { continue };
            let id = s.id;
            let closed_raw = self.put(&mut s.open[RAW], RAW, t, |data, last| codec::push_raw(data, last, t, *v));
            let mut closed: Vec<(usize, Open)> = closed_raw.into_iter().map(|o| (RAW, o)).collect();
            for (tier, agg) in s.rollup.push(t, *v) {
                closed.extend(self.put(&mut s.open[tier], tier, agg.t, |data, last| codec::push_agg(data, last, &agg)).map(|o| (tier, o)));
            }
            st.closed.extend(closed.into_iter().map(|(tier, o)| (id, tier, o)));
        }
        Ok(())
    }

    /// Adds a point at `t` to tier `tier`'s open chunk, starting a new chunk when `t` is past the
    /// open one's window; returns the chunk that closed.
    fn put(&self, slot: &mut Option<Open>, tier: usize, t: i64, push: impl FnOnce(&mut Vec<u8>, &mut i64) -> bool) -> Option<Open> {
        let chunk_s = self.tiers[tier].chunk_s;
        let closed = match slot {
            Some(o) if t < o.window + chunk_s => None,
            _ => slot.take(),
        };
        let o = slot.get_or_insert_with(|| Open { start: t, window: t - t.rem_euclid(chunk_s), last: t, points: 0, data: Vec::new(), dirty: true });
        if push(&mut o.data, &mut o.last) {
            o.points += 1;
            o.dirty = true;
        }
        closed
    }

    /// Writes the chunks that changed since the last flush.
    pub async fn flush(&self) -> Result<usize, DbErr> {
        let rows: Vec<metric_chunk::ActiveModel> = {
            let mut st = self.state.lock().expect("not poisoned");
            let mut rows: Vec<(i64, usize, Open)> = std::mem::take(&mut st.closed);
            for s in st.series.values_mut() {
                for (tier, o) in s.open.iter_mut().enumerate() {
                    if let Some(o) = o.as_mut().filter(|o| o.dirty) {
                        o.dirty = false;
                        rows.push((s.id, tier, o.clone()));
                    }
                }
            }
            rows.into_iter()
                .map(|(id, tier, o)| metric_chunk::ActiveModel { series_id: Set(id), tier: Set(tier as i16), start: Set(o.start), last: Set(o.last), points: Set(o.points as i32), data: Set(o.data) })
                .collect()
        };
        let n = rows.len();
        // Bounded statements (SQLite allows 32,766 parameters; a row has six).
        for batch in rows.chunks(500) {
            let conflict = OnConflict::columns([metric_chunk::Column::SeriesId, metric_chunk::Column::Tier, metric_chunk::Column::Start])
                .update_columns([metric_chunk::Column::Last, metric_chunk::Column::Points, metric_chunk::Column::Data])
                .to_owned();
            metric_chunk::Entity::insert_many(batch.to_vec()).on_conflict(conflict).exec(&self.db).await?;
        }
        Ok(n)
    }

    /// The tier a query of `[from, to]` reads at `now`.
    pub fn tier_for(&self, from: i64, to: i64, now: i64) -> usize {
        (0..TIERS).find(|&i| from >= now - self.tiers[i].keep_s && (to - from) / self.tiers[i].step_s <= MAX_POINTS).unwrap_or(TIERS - 1)
    }

    /// The points of `metric` of `target` between `from` and `to` (see the module comment).
    pub async fn query(&self, target: &str, metric: &str, from: i64, to: i64, now: i64) -> Result<Series, DbErr> {
        let tier = self.tier_for(from, to, now);
        let mut series = Series { target: target.into(), metric: metric.into(), tier: self.tiers[tier].name.into(), step_s: self.tiers[tier].step_s, points: Vec::new() };
        let key = (target.to_string(), metric.to_string());
        let (id, open) = {
            let st = self.state.lock().expect("not poisoned");
            match st.series.get(&key) {
                Some(s) => (Some(s.id), s.open[tier].clone()),
                None => (None, None),
            }
        };
        let id = match id {
            Some(id) => id,
            None => match metric_series::Entity::find().filter(metric_series::Column::Target.eq(target)).filter(metric_series::Column::Metric.eq(metric)).one(&self.db).await? {
                Some(s) => s.id,
                None => return Ok(series),
            },
        };
        let mut chunks: Vec<(i64, Vec<u8>)> = metric_chunk::Entity::find()
            .filter(metric_chunk::Column::SeriesId.eq(id))
            .filter(metric_chunk::Column::Tier.eq(tier as i16))
            .filter(metric_chunk::Column::Start.lte(to))
            .filter(metric_chunk::Column::Last.gte(from))
            .order_by_asc(metric_chunk::Column::Start)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| (c.start, c.data))
            .collect();
        // The open chunk is newer than (or the same as) its stored copy.
        if let Some(o) = open {
            chunks.retain(|(start, _)| *start != o.start);
            chunks.push((o.start, o.data));
        }
        for (start, data) in chunks {
            let points: Vec<Agg> = if tier == RAW {
                codec::read_raw(start, &data).into_iter().map(|(t, v)| Agg { t, count: 1, avg: v, min: v, max: v }).collect()
            } else {
                codec::read_agg(start, &data)
            };
            series.points.extend(points.into_iter().filter(|p| p.t >= from && p.t <= to).map(|p| Point { t: p.t, avg: p.avg, min: p.min, max: p.max }));
        }
        Ok(series)
    }

    /// Deletes chunks past their tier's retention; returns how many.
    pub async fn expire(&self, now: i64) -> Result<u64, DbErr> {
        let mut n = 0;
        for (i, tier) in self.tiers.iter().enumerate() {
            n += metric_chunk::Entity::delete_many()
                .filter(metric_chunk::Column::Tier.eq(i as i16))
                .filter(metric_chunk::Column::Last.lt(now - tier.keep_s))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        Ok(n)
    }

    /// Deletes every series of `target` (a VPS or container that is gone).
    pub async fn forget(&self, target: &str) -> Result<(), DbErr> {
        let ids: Vec<i64> = metric_series::Entity::find().filter(metric_series::Column::Target.eq(target)).all(&self.db).await?.into_iter().map(|s| s.id).collect();
        {
            let mut st = self.state.lock().expect("not poisoned");
            st.series.retain(|(t, _), _| t != target);
            st.closed.retain(|(id, _, _)| !ids.contains(id));
        }
        metric_chunk::Entity::delete_many().filter(metric_chunk::Column::SeriesId.is_in(ids.clone())).exec(&self.db).await?;
        metric_series::Entity::delete_many().filter(metric_series::Column::Id.is_in(ids)).exec(&self.db).await?;
        Ok(())
    }

    /// Every target with stored series.
    pub async fn targets(&self) -> Result<Vec<String>, DbErr> {
        let mut out: Vec<String> = metric_series::Entity::find().all(&self.db).await?.into_iter().map(|s| s.target).collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Metric names of `target`.
    pub async fn metrics_of(&self, target: &str) -> Result<Vec<String>, DbErr> {
        let rows = metric_series::Entity::find().filter(metric_series::Column::Target.eq(target)).order_by_asc(metric_series::Column::Metric).all(&self.db).await?;
        Ok(rows.into_iter().map(|s| s.metric).collect())
    }
}
