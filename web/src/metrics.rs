//! Per-site request figures from the site's access log (format `pier`, see `render::LOG_FORMAT`):
//! requests per second, status classes, bytes and upstream time percentiles over a window.

use pier_proto::sites::SiteMetrics;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use time::OffsetDateTime;

/// At most this much of the log's end is read for one figure.
const TAIL_BYTES: u64 = 16 * 1024 * 1024;

/// Figures of the last `window_s` seconds before `now`, from the log at `path` (an absent log
/// is a site nobody asked anything yet).
pub fn site_metrics(site: &str, path: &Path, window_s: u32, now: OffsetDateTime) -> std::io::Result<SiteMetrics> {
    let mut m = SiteMetrics { site: site.to_string(), window_s, ..Default::default() };
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(m),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
    let mut text = String::new();
    f.take(TAIL_BYTES).read_to_string(&mut text).or_else(|_| Ok::<_, std::io::Error>(0))?;
    let since = now - time::Duration::seconds(window_s as i64);
    let mut upstream = Vec::new();
    for line in text.lines() {
        let Some(entry) = parse_line(line) else { continue };
        if entry.at < since || entry.at > now {
            continue;
        }
        m.requests += 1;
        if (100..600).contains(&entry.status) {
            m.status[(entry.status / 100 - 1) as usize] += 1;
        }
        m.bytes_sent += entry.bytes;
        if let Some(u) = entry.upstream_ms {
            upstream.push(u);
        }
    }
    m.requests_per_s = m.requests as f64 / window_s.max(1) as f64;
    upstream.sort_by(f64::total_cmp);
    m.upstream_p50_ms = percentile(&upstream, 0.50);
    m.upstream_p95_ms = percentile(&upstream, 0.95);
    Ok(m)
}

struct Entry {
    at: OffsetDateTime,
    status: u16,
    bytes: u64,
    upstream_ms: Option<f64>,
}

fn parse_line(line: &str) -> Option<Entry> {
    let mut w = line.split(' ');
    let at = OffsetDateTime::parse(w.next()?, &time::format_description::well_known::Rfc3339).ok()?;
    let status = w.next()?.parse().ok()?;
    let bytes = w.next()?.parse().ok()?;
    let _request_time = w.next()?;
    // `-` without an upstream; `0.001, 0.002` when nginx tried several (the total counts).
    let upstream = w.next()?;
    let upstream_ms = (upstream != "-").then(|| upstream.split(',').filter_map(|t| t.trim().parse::<f64>().ok()).sum::<f64>() * 1000.0);
    Some(Entry { at, status, bytes, upstream_ms })
}

fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_gives_rates_classes_and_percentiles() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("site-shop.access.log");
        let now = OffsetDateTime::parse("2026-12-02T12:01:00+00:00", &time::format_description::well_known::Rfc3339).unwrap();
        let mut text = String::from("2026-12-02T11:00:00+00:00 200 10 0.001 0.001 \"GET /old HTTP/1.1\"\n");
        for i in 0..100 {
            let status = if i < 90 { 200 } else { 502 };
            text.push_str(&format!("2026-12-02T12:00:{:02}+00:00 {status} 100 0.0{i:02} 0.0{i:02} \"GET / HTTP/1.1\"\n", i % 60));
        }
        text.push_str("2026-12-02T12:00:30+00:00 404 5 0.000 - \"GET /x HTTP/1.1\"\ngarbage line\n");
        std::fs::write(&p, text).unwrap();
        let m = site_metrics("shop", &p, 60, now).unwrap();
        assert_eq!(m.requests, 101);
        assert_eq!(m.status, [0, 90, 0, 1, 10]);
        assert_eq!(m.bytes_sent, 100 * 100 + 5);
        assert!((m.requests_per_s - 101.0 / 60.0).abs() < 1e-9);
        assert_eq!(m.upstream_p50_ms.map(|v| v.round()), Some(49.0));
        assert_eq!(m.upstream_p95_ms.map(|v| v.round()), Some(94.0));
        assert_eq!(site_metrics("none", &dir.path().join("absent.log"), 60, now).unwrap().requests, 0);
    }
}
