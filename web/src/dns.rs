//! A TXT lookup for the DNS-01 check ("is the record there yet?"), asked of one resolver over
//! UDP. Small on purpose: one question, the answer section read, nothing cached, so a record a
//! person has just created is seen as soon as the resolver sees it.

use std::net::SocketAddr;
use std::time::Duration;

/// The TXT strings of `name` as `resolver` answers them (empty when there are none).
pub async fn txt(resolver: SocketAddr, name: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let id: u16 = rand_id();
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // recursion desired, one question
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("{name:?} is not a DNS name"));
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 16, 0, 1]); // root, TXT, IN
    let bind = if resolver.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let sock = tokio::net::UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
    sock.send_to(&q, resolver).await.map_err(|e| e.to_string())?;
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(timeout, sock.recv(&mut buf)).await.map_err(|_| format!("the resolver {resolver} did not answer"))?.map_err(|e| e.to_string())?;
    parse_txt(&buf[..n], id)
}

fn rand_id() -> u16 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    (nanos ^ (nanos >> 16)) as u16
}

/// Skips a (possibly compressed) name at `at`; returns the offset after it.
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *msg.get(at)? as usize;
        if len == 0 {
            return Some(at + 1);
        }
        if len & 0xC0 == 0xC0 {
            return Some(at + 2);
        }
        at += 1 + len;
    }
}

fn parse_txt(msg: &[u8], id: u16) -> Result<Vec<String>, String> {
    let short = || "a short DNS answer".to_string();
    if msg.len() < 12 || u16::from_be_bytes([msg[0], msg[1]]) != id {
        return Err("an answer to another question".into());
    }
    let rcode = msg[3] & 0x0F;
    if rcode == 3 {
        return Ok(Vec::new()); // NXDOMAIN: no such record yet
    }
    if rcode != 0 {
        return Err(format!("the resolver answered with error code {rcode}"));
    }
    let questions = u16::from_be_bytes([msg[4], msg[5]]) as usize;
    let answers = u16::from_be_bytes([msg[6], msg[7]]) as usize;
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(msg, at).ok_or_else(short)? + 4;
    }
    let mut out = Vec::new();
    for _ in 0..answers {
        at = skip_name(msg, at).ok_or_else(short)?;
        let head = msg.get(at..at + 10).ok_or_else(short)?;
        let kind = u16::from_be_bytes([head[0], head[1]]);
        let len = u16::from_be_bytes([head[8], head[9]]) as usize;
        let data = msg.get(at + 10..at + 10 + len).ok_or_else(short)?;
        if kind == 16 {
            let (mut i, mut s) = (0, String::new());
            while i < data.len() {
                let l = data[i] as usize;
                s.push_str(&String::from_utf8_lossy(data.get(i + 1..i + 1 + l).ok_or_else(short)?));
                i += 1 + l;
            }
            out.push(s);
        }
        at += 10 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_txt_answer_is_read() {
        // id 0x1234, 1 question, 1 answer: _a.test TXT "hello"
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(&[2, b'_', b'a', 4, b't', b'e', b's', b't', 0, 0, 16, 0, 1]);
        m.extend_from_slice(&[0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 5, b'h', b'e', b'l', b'l', b'o']);
        assert_eq!(super::parse_txt(&m, 0x1234).unwrap(), vec!["hello"]);
        assert!(super::parse_txt(&m, 1).is_err());
    }
}
