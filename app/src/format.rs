//! Small display helpers shared by pages.

/// `2026-11-22T04:51:24.34Z` → `2026-11-22 04:51 UTC`.
pub fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(hm)) => format!("{day} {hm} UTC"),
        _ => rfc3339.to_string(),
    }
}

/// Unix seconds → `2026-11-22 04:51 UTC` (the civil calendar, computed here so the browser
/// build needs no date library).
pub fn when(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// Unix seconds → the time of day with seconds, `04:51:09 UTC` (for figures that move by the
/// second).
pub fn clock(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_reads_seconds() {
        assert_eq!(super::clock(1_795_000_009), "11:06:49 UTC");
    }

    #[test]
    fn unix_times_read_as_dates() {
        assert_eq!(super::when(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::when(1_795_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(super::when(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn short_time_keeps_minutes() {
        assert_eq!(super::short_time("2026-11-22T04:51:24.341344008Z"), "2026-11-22 04:51 UTC");
        assert_eq!(super::short_time("bad"), "bad");
    }
}
