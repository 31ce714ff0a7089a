//! Failed sign-ins per client address, in memory: an address that fails too often in a window is
//! refused for the rest of it, whatever usernames it tries (the per-account lockout stops
//! guessing one account's password; this stops spraying many accounts from one place).
//! One process's memory is enough on SQLite; with several replicas each counts its own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(10 * 60);
/// Bounds memory under an attack from many addresses; old windows are dropped first.
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct Throttle {
    by_ip: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Throttle {
    /// Seconds until `ip` may try again, if it is refused now.
    pub fn refused_for(&self, ip: &str, now: Instant) -> Option<u64> {
        let map = self.by_ip.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(ip) {
            Some((start, n)) if *n >= MAX_FAILURES && now.duration_since(*start) < WINDOW => {
                Some((WINDOW - now.duration_since(*start)).as_secs().max(1))
            }
            _ => None,
        }
    }

    pub fn record_failure(&self, ip: &str, now: Instant) {
        let mut map = self.by_ip.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = map.entry(ip.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    pub fn record_success(&self, ip: &str) {
        self.by_ip.lock().unwrap_or_else(|p| p.into_inner()).remove(ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_too_many_failures_until_the_window_ends() {
        let t = Throttle::default();
        let start = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            t.record_failure("10.0.0.1", start);
        }
        assert_eq!(t.refused_for("10.0.0.1", start), None);
        t.record_failure("10.0.0.1", start);
        assert_eq!(t.refused_for("10.0.0.1", start), Some(WINDOW.as_secs()));
        assert_eq!(t.refused_for("10.0.0.2", start), None, "other addresses are unaffected");
        assert_eq!(t.refused_for("10.0.0.1", start + WINDOW), None, "the window ends");
        t.record_failure("10.0.0.3", start);
        t.record_success("10.0.0.3");
        assert_eq!(t.by_ip.lock().unwrap().get("10.0.0.3"), None);
    }
}
