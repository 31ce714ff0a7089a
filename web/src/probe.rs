//! The active health check of a pool member: one `GET` over plain HTTP/1.1, judged by its
//! status line. Written on a bare socket on purpose: it must not follow redirects, reuse
//! connections or retry, so one check is exactly one attempt on the member.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET path` on `host:port`; the status code, or why there was none, in words.
pub async fn http_status(host: &str, port: u16, path: &str, timeout: Duration) -> Result<u16, String> {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect((host, port)).await.map_err(|e| words(&e))?;
        let host_header = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: pier-health\r\nConnection: close\r\n\r\n").as_bytes()).await.map_err(|e| words(&e))?;
        let mut head = Vec::with_capacity(64);
        let mut buf = [0u8; 256];
        while !head.contains(&b'\n') && head.len() < 1024 {
            let n = s.read(&mut buf).await.map_err(|e| words(&e))?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let line = String::from_utf8_lossy(&head);
        let line = line.lines().next().unwrap_or_default();
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            [proto, code, ..] if proto.starts_with("HTTP/") => code.parse().map_err(|_| format!("not an HTTP answer: {line:?}")),
            _ if head.is_empty() => Err("closed the connection without answering".into()),
            _ => Err(format!("not an HTTP answer: {:?}", line.chars().take(40).collect::<String>())),
        }
    };
    tokio::time::timeout(timeout, attempt).await.unwrap_or_else(|_| Err(format!("no answer within {} ms", timeout.as_millis())))
}

fn words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::ConnectionReset => "connection reset".into(),
        _ => e.to_string(),
    }
}
