//! The compact encoding of stored metric points. A chunk holds the points of one series and one
//! tier within a time window; each point is the time since the previous one (a varint of
//! seconds, usually one byte) and its value(s) as little-endian f32:
//! - raw samples: `Δt, value` — 5 bytes;
//! - roll-ups: `Δt, count (varint), avg, min, max` — 14 bytes for 1-minute … 1-hour points.
//!
//! f32 keeps 7 significant digits, more than any gauge here needs (a percentage, a rate).

/// One point of a roll-up tier: `count` raw samples summarised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agg {
    /// The bucket's start (unix seconds).
    pub t: i64,
    pub count: u32,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn put_f32(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&(v as f32).to_le_bytes());
}

fn get_f32(data: &[u8], at: &mut usize) -> Option<f64> {
    let b: [u8; 4] = data.get(*at..*at + 4)?.try_into().ok()?;
    *at += 4;
    Some(f64::from(f32::from_le_bytes(b)))
}

/// Appends raw samples to a chunk. `last` is the time of the chunk's last point (or its start
/// for an empty chunk); points must come in time order (an older one is dropped: `false`).
pub fn push_raw(chunk: &mut Vec<u8>, last: &mut i64, t: i64, value: f64) -> bool {
    if t < *last {
        return false;
    }
    put_varint(chunk, (t - *last) as u64);
    put_f32(chunk, value);
    *last = t;
    true
}

pub fn push_agg(chunk: &mut Vec<u8>, last: &mut i64, a: &Agg) -> bool {
    if a.t < *last {
        return false;
    }
    put_varint(chunk, (a.t - *last) as u64);
    put_varint(chunk, u64::from(a.count));
    put_f32(chunk, a.avg);
    put_f32(chunk, a.min);
    put_f32(chunk, a.max);
    *last = a.t;
    true
}

/// The raw samples of a chunk that starts at `start`. A damaged tail is ignored.
pub fn read_raw(start: i64, data: &[u8]) -> Vec<(i64, f64)> {
    let (mut at, mut t, mut out) = (0, start, Vec::new());
    while at < data.len() {
        let (Some(dt), Some(v)) = (get_varint(data, &mut at), get_f32(data, &mut at)) else { break };
        t += dt as i64;
        out.push((t, v));
    }
    out
}

pub fn read_agg(start: i64, data: &[u8]) -> Vec<Agg> {
    let (mut at, mut t, mut out) = (0, start, Vec::new());
    while at < data.len() {
        let (Some(dt), Some(count)) = (get_varint(data, &mut at), get_varint(data, &mut at)) else { break };
        let (Some(avg), Some(min), Some(max)) = (get_f32(data, &mut at), get_f32(data, &mut at), get_f32(data, &mut at)) else { break };
        t += dt as i64;
        out.push(Agg { t, count: count as u32, avg, min, max });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_compactly() {
        let (mut chunk, mut last) = (Vec::new(), 1_000);
        for (i, v) in [0.0, 12.5, 99.75, 1e9, -3.25].iter().enumerate() {
            assert!(push_raw(&mut chunk, &mut last, 1_000 + 10 * i as i64, *v));
        }
        assert!(!push_raw(&mut chunk, &mut last, 1_000, 1.0), "older points are refused");
        assert_eq!(chunk.len(), 5 * 5, "a one-byte gap and four bytes of value per sample");
        assert_eq!(read_raw(1_000, &chunk), vec![(1_000, 0.0), (1_010, 12.5), (1_020, 99.75), (1_030, 1e9), (1_040, -3.25)]);

        let (mut chunk, mut last) = (Vec::new(), 0);
        let a = Agg { t: 3_600, count: 360, avg: 41.5, min: 2.0, max: 100.0 };
        let b = Agg { t: 7_200, count: 1, avg: 0.5, min: 0.5, max: 0.5 };
        assert!(push_agg(&mut chunk, &mut last, &a) && push_agg(&mut chunk, &mut last, &b));
        assert_eq!(read_agg(0, &chunk), vec![a, b]);
        // A chunk cut short reads as the points before the cut.
        assert_eq!(read_agg(0, &chunk[..chunk.len() - 3]), vec![a]);
    }
}
