//! How many live dashboards one `pier serve` feeds at 1 Hz, and its memory meanwhile (a
//! benchmark, not a test): `cargo bench -p pier --bench dashboards` after a release build.
//! Each dashboard is a signed-in live socket subscribed to the host's and the panel's metric
//! topics, as the Monitoring page is; the panel samples every second. For each count the bench
//! reports how many samples each socket received in 20 s (20 is every one) and the panel's RSS.

use futures::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "correct horse battery staple";

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/pier");
    assert!(bin.exists(), "build first: cargo leptos build --release");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = [("PIER_DATA", dir.path().to_str().unwrap().to_string()), ("PIER_LISTEN", format!("127.0.0.1:{port}")), ("PIER_LIBVIRT_URI", String::new()), ("PIER_DOCKER_HOST", String::new()), ("PIER_NGINX_BIN", String::new()), ("PIER_MONITOR_INTERVAL", "1".into()), ("PIER_LOG", "warn".into())];
    let mut create = std::process::Command::new(&bin);
    create.args(["admin", "create", "--username", "admin", "--email", "a@example.com", "--password-stdin"]).envs(env.clone()).stdin(std::process::Stdio::piped());
    let mut c = create.spawn().unwrap();
    {
        use std::io::Write;
        writeln!(c.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    }
    assert!(c.wait().unwrap().success());
    let mut panel = std::process::Command::new(&bin).arg("serve").envs(env).stdout(std::process::Stdio::null()).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login = http.post(format!("{base}/api/fn/login")).json(&serde_json::json!({"username": "admin", "password": PASSWORD, "remember": false})).send().await.unwrap();
    let cookie = login.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string)).collect::<Vec<_>>().join("; ");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss_kib(panel.id());
    println!("panel RSS idle: {} MiB", idle / 1024);
    println!("| dashboards | samples per socket in 20 s (min / median) | panel RSS |");
    println!("|---|---|---|");
    for n in [1usize, 50, 200, 500] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let mut req = format!("ws://127.0.0.1:{port}/api/v1/live").into_client_request().unwrap();
            req.headers_mut().insert("cookie", cookie.parse().unwrap());
            req.headers_mut().insert("origin", base.parse().unwrap());
            tasks.push(tokio::spawn(async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("live socket");
                ws.send(Message::text(r#"{"op":"subscribe","topics":["metrics_host","metrics_pier"]}"#)).await.unwrap();
                // Count host samples for 20 s after the subscription is confirmed.
                let mut count = 0u32;
                let mut until = None;
                while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
                    let Message::Text(t) = msg else { continue };
                    if t.contains("\"subscribed\"") {
                        until = Some(Instant::now() + Duration::from_secs(20));
                    } else if t.contains("\"metrics_host\"") && until.is_some() {
                        count += 1;
                    }
                    if until.is_some_and(|u| Instant::now() >= u) {
                        break;
                    }
                }
                count
            }));
        }
        tokio::time::sleep(Duration::from_secs(12)).await;
        let rss = rss_kib(panel.id());
        let mut counts = Vec::new();
        for t in tasks {
            counts.push(t.await.unwrap_or(0));
        }
        counts.sort();
        println!("| {n} | {} / {} | {} MiB (connected and counted in {:.0} s) |", counts[0], counts[counts.len() / 2], rss / 1024, started.elapsed().as_secs_f64());
    }
    let _ = panel.kill();
}
