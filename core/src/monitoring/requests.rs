//! Pier's own HTTP traffic for its history: requests, server errors and latency per collection
//! window. The binary's request middleware observes every answered request; the panel collector
//! takes the window each interval (which starts the next one). Lock-free on the request path:
//! counters and a fixed log-scale latency histogram of atomics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The first bucket's upper bound (seconds) and each next one's factor: 50 µs … ~195 s in
/// 160 buckets, so a percentile read from them is within 10 % of the true value.
const BASE_S: f64 = 50e-6;
const FACTOR: f64 = 1.1;
const BUCKETS: usize = 160;

fn bucket_of(seconds: f64) -> usize {
    if seconds <= BASE_S {
        return 0;
    }
    ((seconds / BASE_S).ln() / FACTOR.ln()).ceil().min((BUCKETS - 1) as f64) as usize
}

fn upper_bound_s(bucket: usize) -> f64 {
    BASE_S * FACTOR.powi(bucket as i32)
}

pub struct RequestStats {
    requests: AtomicU64,
    errors: AtomicU64,
    latency: [AtomicU64; BUCKETS],
    window_started: Mutex<Instant>,
}

impl Default for RequestStats {
    fn default() -> Self {
        Self { requests: AtomicU64::new(0), errors: AtomicU64::new(0), latency: std::array::from_fn(|_| AtomicU64::new(0)), window_started: Mutex::new(Instant::now()) }
    }
}

/// One window's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub requests_per_s: f64,
    /// Answers with a 5xx status, per second.
    pub errors_per_s: f64,
    /// `None` when no request was answered in the window.
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
}

impl RequestStats {
    /// One answered request. Upgrades to WebSockets (101) are left out: their "latency" is the
    /// handshake and their life is not a request's.
    pub fn observe(&self, status: u16, seconds: f64) {
        if status == 101 {
            return;
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        if status >= 500 {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.latency[bucket_of(seconds)].fetch_add(1, Ordering::Relaxed);
    }

    /// The figures since the last take (rates over the time that passed), and a new window.
    pub fn take(&self, now: Instant) -> Window {
        let elapsed = {
            let mut started = self.window_started.lock().expect("not poisoned");
            let e = now.saturating_duration_since(*started).as_secs_f64().max(1e-3);
            *started = now;
            e
        };
        let requests = self.requests.swap(0, Ordering::Relaxed);
        let errors = self.errors.swap(0, Ordering::Relaxed);
        let counts: Vec<u64> = self.latency.iter().map(|b| b.swap(0, Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let percentile = |q: f64| -> Option<f64> {
            if total == 0 {
                return None;
            }
            let rank = ((q * total as f64).ceil() as u64).max(1);
            let mut seen = 0;
            counts.iter().enumerate().find_map(|(i, n)| {
                seen += n;
                (seen >= rank).then(|| upper_bound_s(i) * 1000.0)
            })
        };
        Window { requests_per_s: requests as f64 / elapsed, errors_per_s: errors as f64 / elapsed, latency_p50_ms: percentile(0.5), latency_p95_ms: percentile(0.95) }
    }
}

impl Window {
    /// The series the panel collector stores under the `pier` target.
    pub fn values(&self) -> Vec<(String, f64)> {
        let mut v = vec![("requests_per_s".to_string(), self.requests_per_s), ("errors_per_s".to_string(), self.errors_per_s)];
        v.extend(self.latency_p50_ms.map(|p| ("latency_p50_ms".to_string(), p)));
        v.extend(self.latency_p95_ms.map(|p| ("latency_p95_ms".to_string(), p)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_window_counts_rates_errors_and_percentiles_then_starts_over() {
        let s = RequestStats::default();
        let t0 = *s.window_started.lock().unwrap();
        // 100 requests: 1 ms … 100 ms; three of them 5xx, one WebSocket upgrade left out.
        for ms in 1..=100u16 {
            let status = if ms % 40 == 0 || ms == 99 { 502 } else { 200 };
            s.observe(status, f64::from(ms) / 1000.0);
        }
        s.observe(101, 30.0);
        let w = s.take(t0 + Duration::from_secs(10));
        assert!((w.requests_per_s - 10.0).abs() < 1e-9 && (w.errors_per_s - 0.3).abs() < 1e-9, "{w:?}");
        // Within the histogram's 10 % of the true p50 (50 ms) and p95 (95 ms), never below.
        let (p50, p95) = (w.latency_p50_ms.unwrap(), w.latency_p95_ms.unwrap());
        assert!((50.0..=55.0).contains(&p50) && (95.0..=104.5).contains(&p95), "{p50} {p95}");
        // The next window is empty: no latency to report.
        let next = s.take(t0 + Duration::from_secs(20));
        assert_eq!((next.requests_per_s, next.latency_p50_ms), (0.0, None));
        assert_eq!(next.values().iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["requests_per_s", "errors_per_s"]);
    }

    #[test]
    fn extremes_land_in_the_end_buckets() {
        assert_eq!(bucket_of(0.0), 0);
        assert_eq!(bucket_of(1e9), BUCKETS - 1);
        for s in [0.0001, 0.003, 0.25, 7.0] {
            let b = bucket_of(s);
            assert!(upper_bound_s(b) >= s && (b == 0 || upper_bound_s(b - 1) < s * 1.0000001), "{s} → {b}");
        }
    }
}
