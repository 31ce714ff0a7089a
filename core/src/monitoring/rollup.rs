//! Tiers of history and the roll-up between them. Raw samples are summarised into 1-minute
//! points (count, average, minimum, maximum), those into 10-minute points and those into
//! 1-hour points, as the samples arrive: a bucket closes when the first sample of a later
//! bucket comes, and its point goes to its tier and into the next one. Averages are weighted
//! by count, so every tier's average equals the average of the raw samples it covers.

use super::codec::Agg;

/// A tier of history: points `step_s` apart, stored in chunks of `chunk_s`, kept `keep_s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    pub name: &'static str,
    pub step_s: i64,
    pub chunk_s: i64,
    pub keep_s: i64,
}

/// Index of the raw tier; 1…3 are the roll-ups.
pub const RAW: usize = 0;
pub const TIERS: usize = 4;

/// The tiers for a collection interval and retentions (seconds; see `MonitoringConfig`).
pub fn tiers(interval_s: i64, keep: [i64; TIERS]) -> [Tier; TIERS] {
    [
        Tier { name: "raw", step_s: interval_s.max(1), chunk_s: 3_600, keep_s: keep[0] },
        Tier { name: "1m", step_s: 60, chunk_s: 86_400, keep_s: keep[1] },
        Tier { name: "10m", step_s: 600, chunk_s: 7 * 86_400, keep_s: keep[2] },
        Tier { name: "1h", step_s: 3_600, chunk_s: 30 * 86_400, keep_s: keep[3] },
    ]
}

/// Seconds: raw 24 h, 1-minute 14 days, 10-minute 90 days, 1-hour 2 years.
pub const DEFAULT_KEEP: [i64; TIERS] = [86_400, 14 * 86_400, 90 * 86_400, 730 * 86_400];

#[derive(Debug, Clone, Copy)]
struct Bucket {
    t: i64,
    count: u32,
    sum: f64,
    min: f64,
    max: f64,
}

impl Bucket {
    fn of(t: i64, a: &Agg) -> Self {
        Bucket { t, count: a.count, sum: a.avg * f64::from(a.count), min: a.min, max: a.max }
    }

    fn add(&mut self, a: &Agg) {
        self.count += a.count;
        self.sum += a.avg * f64::from(a.count);
        self.min = self.min.min(a.min);
        self.max = self.max.max(a.max);
    }

    fn point(&self) -> Agg {
        Agg { t: self.t, count: self.count, avg: self.sum / f64::from(self.count.max(1)), min: self.min, max: self.max }
    }
}

/// The open buckets of one series' roll-up tiers.
#[derive(Debug, Clone, Default)]
pub struct Rollup {
    open: [Option<Bucket>; TIERS - 1],
}

/// Bucket widths of tiers 1…3.
const STEPS: [i64; TIERS - 1] = [60, 600, 3_600];

impl Rollup {
    /// Feeds one raw sample; returns the points that closed, each with its tier (1…3).
    pub fn push(&mut self, t: i64, value: f64) -> Vec<(usize, Agg)> {
        let mut out = Vec::new();
        self.feed(0, &Agg { t, count: 1, avg: value, min: value, max: value }, &mut out);
        out
    }

    /// Closes every open bucket (tests; a store that stops for good).
    pub fn flush(&mut self) -> Vec<(usize, Agg)> {
        let mut out = Vec::new();
        for level in 0..TIERS - 1 {
            if let Some(b) = self.open[level].take() {
                let p = b.point();
                out.push((level + 1, p));
                if level + 1 < TIERS - 1 {
                    self.feed(level + 1, &p, &mut out);
                }
            }
        }
        out
    }

    fn feed(&mut self, level: usize, a: &Agg, out: &mut Vec<(usize, Agg)>) {
        let t = a.t - a.t.rem_euclid(STEPS[level]);
        match &mut self.open[level] {
            Some(b) if b.t == t => b.add(a),
            // A sample older than the open bucket (a clock step back) joins it rather than
            // reopening a closed one.
            Some(b) if t < b.t => b.add(a),
            slot => {
                let closed = slot.replace(Bucket::of(t, a));
                if let Some(c) = closed {
                    let p = c.point();
                    out.push((level + 1, p));
                    if level + 1 < TIERS - 1 {
                        self.feed(level + 1, &p, out);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// The property: for random series (irregular gaps, any values), each tier's points are
    /// exactly the count, average, minimum and maximum of the raw samples in their bucket.
    #[test]
    fn every_tier_summarises_the_raw_samples_it_covers() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for round in 0..50 {
            let mut r = Rollup::default();
            let mut t = 1_700_000_000 + (rng.next() % 7_200) as i64;
            let mut raw = Vec::new();
            let mut got: Vec<(usize, Agg)> = Vec::new();
            for _ in 0..(200 + rng.next() % 3_000) {
                // Mostly 10 s apart, sometimes a burst, sometimes a gap of up to two hours.
                t += match rng.next() % 20 {
                    0 => (rng.next() % 7_200) as i64,
                    1 => 0,
                    _ => 1 + (rng.next() % 20) as i64,
                };
                let v = (rng.next() % 100_000) as f64 / 100.0 - 100.0;
                raw.push((t, v));
                got.extend(r.push(t, v));
            }
            got.extend(r.flush());
            for (tier, step) in STEPS.iter().enumerate() {
                let mut want: BTreeMap<i64, (u32, f64, f64, f64)> = BTreeMap::new();
                for (t, v) in &raw {
                    let e = want.entry(t - t.rem_euclid(*step)).or_insert((0, 0.0, f64::MAX, f64::MIN));
                    *e = (e.0 + 1, e.1 + v, e.2.min(*v), e.3.max(*v));
                }
                let points: Vec<&Agg> = got.iter().filter(|(l, _)| *l == tier + 1).map(|(_, a)| a).collect();
                assert_eq!(points.len(), want.len(), "round {round}, tier {}", tier + 1);
                for (p, (t, (count, sum, min, max))) in points.iter().zip(&want) {
                    assert_eq!((p.t, p.count, p.min, p.max), (*t, *count, *min, *max), "round {round}, tier {}", tier + 1);
                    assert!((p.avg - sum / f64::from(*count)).abs() < 1e-9, "round {round}: avg {} vs {}", p.avg, sum / f64::from(*count));
                }
            }
        }
    }
}
