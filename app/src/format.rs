//! Small display helpers shared by pages.

/// `2026-11-22T04:51:24.34Z` → `2026-11-22 04:51 UTC`.
pub fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(hm)) => format!("{day} {hm} UTC"),
        _ => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_time_keeps_minutes() {
        assert_eq!(super::short_time("2026-11-22T04:51:24.341344008Z"), "2026-11-22 04:51 UTC");
        assert_eq!(super::short_time("bad"), "bad");
    }
}
