//! Monitoring: metric history queries and live samples. A target is what a metric describes —
//! `host` (the panel's machine), `pier` (the panel itself), `vps:<id>`, `container:<id>` (its
//! first 12 characters) or `site:<name>` — and a metric is a name such as `cpu`,
//! `mem_used_pct`, `disk./.used_pct` or `net.eth0.rx_bps`.

use crate::ApiError;
use serde::{Deserialize, Serialize};

/// What a chart asks for: one metric of one target between two times (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesQuery {
    pub target: String,
    pub metric: String,
    pub from: i64,
    pub to: i64,
}

/// The longest range one query may cover (a chart of two years is drawn from 1-hour points).
pub const MAX_RANGE_S: i64 = 2 * 366 * 86_400;

impl SeriesQuery {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_target(&self.target)?;
        validate_metric(&self.metric)?;
        if self.to <= self.from || self.to - self.from > MAX_RANGE_S {
            return Err(ApiError::invalid("range", "The range ends after it starts and spans at most two years."));
        }
        Ok(())
    }
}

/// One point of a chart: a raw sample (`min` = `max` = `avg`) or a roll-up of `count` samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub t: i64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

/// A query's answer: the points of the tier that suits its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub target: String,
    pub metric: String,
    /// `raw`, `1m`, `10m` or `1h`.
    pub tier: String,
    /// Seconds between points of that tier (the collection interval for raw).
    pub step_s: i64,
    pub points: Vec<Point>,
}

/// A live sample, pushed on the target's metrics topic (`metrics_topic`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveSamples {
    pub target: String,
    pub t: i64,
    /// `(metric, value)`.
    pub values: Vec<(String, f64)>,
}

/// The live topic of a target's samples: `metrics_host`, `metrics_vps:12`, …
pub fn metrics_topic(target: &str) -> String {
    match target.split_once(':') {
        Some((kind, id)) => format!("metrics_{kind}:{id}"),
        None => format!("metrics_{target}"),
    }
}

pub fn validate_target(t: &str) -> Result<(), ApiError> {
    let ok = match t.split_once(':') {
        None => matches!(t, "host" | "pier"),
        Some(("vps", id)) => id.parse::<i64>().is_ok_and(|i| i > 0),
        Some(("container", id)) => (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit()),
        Some(("site", name)) => crate::sites::validate_slug("target", name).is_ok(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("target", format!("{t:?} is not a target (host, pier, vps:<id>, container:<id>, site:<name>).")))
    }
}

pub fn validate_metric(m: &str) -> Result<(), ApiError> {
    let ok = (1..=96).contains(&m.len()) && m.chars().all(|c| c.is_ascii_alphanumeric() || "._-/@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("metric", format!("{m:?} is not a metric name.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_metrics_and_topics() {
        for ok in ["host", "pier", "vps:12", "container:0123456789ab", "site:shop"] {
            assert!(validate_target(ok).is_ok(), "{ok}");
        }
        for bad in ["", "vps", "vps:x", "vps:-1", "container:xyz!", "site:Shop", "disk:1", "host:1"] {
            assert!(validate_target(bad).is_err(), "{bad}");
        }
        assert!(validate_metric("disk./var/lib.used_pct").is_ok());
        assert!(validate_metric("cpu;drop").is_err());
        assert_eq!(metrics_topic("vps:12"), "metrics_vps:12");
        assert_eq!(metrics_topic("host"), "metrics_host");
        let q = SeriesQuery { target: "host".into(), metric: "cpu".into(), from: 10, to: 5 };
        assert_eq!(q.validate().unwrap_err().field.as_deref(), Some("range"));
    }
}
