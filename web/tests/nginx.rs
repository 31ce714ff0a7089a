//! The apply pipeline against a real nginx under a private prefix on loopback ports: a site with
//! a pool serves through nginx to a real upstream; a configuration nginx refuses leaves the old
//! one serving and says which site and line; a version that passes the test but cannot be
//! loaded (its port is taken) is rolled back and the previous one keeps serving.

use pier_proto::sites::{BalanceMethod, Location, LocationAction, PoolMember, PoolSpec, SiteSpec, TlsFiles};
use pier_web::render::{render_pool, render_site, RenderOptions};
use pier_web::{Nginx, SiteFiles, WebError};
use std::io::{Read, Write};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn nginx_or_skip() -> bool {
    let found = std::process::Command::new("nginx").arg("-v").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "nginx must be installed (scripts/deps.sh runtime)");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A tiny HTTP upstream answering `body` to every request.
async fn upstream(body: &'static str) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    });
    port
}

/// GET through nginx with a Host header; (status, body).
fn get(port: u16, host: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

fn site(name: &str, port: u16) -> SiteSpec {
    SiteSpec {
        name: name.into(),
        server_names: vec![format!("{name}.test")],
        http_port: port,
        https_port: None,
        tls_mode: Default::default(),
        tls: None,
        force_https: false,
        hsts: false,
        http2: false,
        max_body_mib: None,
        locations: vec![
            Location { path: "/".into(), action: LocationAction::Proxy { pool: "app".into() }, websocket: false, headers: vec![("X-Served-By".into(), "pier".into())] },
            Location { path: "= /teapot".into(), action: LocationAction::Status { code: 418, body: Some("short and stout".into()) }, websocket: false, headers: vec![] },
        ],
        allow: vec![],
        deny: vec![],
        enabled: true,
        snippet: None,
        access_list: None,
        satisfy_any: false,
    }
}

fn files(sites: &[SiteSpec], pool: &PoolSpec) -> SiteFiles {
    let o = RenderOptions { listen_address: Some("127.0.0.1".into()), ..Default::default() };
    SiteFiles {
        pools: vec![(pool.name.clone(), render_pool(pool).unwrap())],
        sites: sites.iter().map(|s| (s.name.clone(), render_site(s, &o).unwrap())).collect(),
        auth: vec![],
    }
}

// Multi-threaded: the blocking client below must not stall the upstream task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_serves_refuses_bad_versions_and_rolls_back_a_failed_reload() {
    if !nginx_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::new("nginx", dir.path().join("nginx"));
    let up = upstream("hello from the upstream").await;
    let pool = PoolSpec { name: "app".into(), method: BalanceMethod::RoundRobin, members: vec![PoolMember { host: "127.0.0.1".into(), port: up, weight: 1, backup: false, max_fails: 1, fail_timeout_s: 10, down: false }] };
    let port = free_port();
    let shop = site("shop", port);
    shop.validate().unwrap();
    pool.validate().unwrap();

    // First apply starts nginx; the site proxies to the upstream and answers its fixed status.
    let first = nginx.apply(&files(std::slice::from_ref(&shop), &pool)).await.unwrap();
    assert!(first.started);
    let (status, body) = get(port, "shop.test", "/");
    assert_eq!((status, body.as_str()), (200, "hello from the upstream"));
    assert_eq!(get(port, "shop.test", "/teapot"), (418, "short and stout".into()));

    // A version nginx refuses (a certificate file that is not there): nothing live changes, the
    // message names the site and the line, and the refused version is kept.
    let mut broken = site("broken", free_port());
    broken.https_port = Some(free_port());
    broken.tls_mode = pier_proto::sites::TlsMode::Acme;
    broken.tls = Some(TlsFiles { certificate: "/nonexistent/cert.pem".into(), key: "/nonexistent/key.pem".into() });
    broken.validate().unwrap();
    let refused = nginx.apply(&files(&[shop.clone(), broken.clone()], &pool)).await.unwrap_err();
    match &refused {
        WebError::Rejected { site, line, message, version } => {
            assert_eq!(site.as_deref(), Some("broken"));
            assert!(line.is_some_and(|l| l > 1), "{refused:?}");
            assert!(message.contains("/nonexistent/cert.pem"), "{message}");
            assert!(dir.path().join("nginx/versions").join(version).join("sites/broken.conf").exists(), "kept for inspection");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(get(port, "shop.test", "/").0, 200, "the old configuration still serves");

    // Passes `nginx -t` but cannot be loaded: its port is taken by another program. The reload
    // fails, the previous version is put back and keeps serving; the live link points at it.
    let live_before = std::fs::read_link(dir.path().join("nginx/live")).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let clash = site("clash", taken.local_addr().unwrap().port());
    let failed = nginx.apply(&files(&[shop.clone(), clash], &pool)).await.unwrap_err();
    assert!(matches!(&failed, WebError::ReloadFailed { message, rolled_back: true } if message.contains("Address already in use")), "{failed:?}");
    assert_eq!(std::fs::read_link(dir.path().join("nginx/live")).unwrap(), live_before);
    assert_eq!(get(port, "shop.test", "/").0, 200, "the previous version serves after the rollback");

    // A good change applies by reload (not a restart) and is served at once.
    let mut changed = shop.clone();
    changed.locations[1].action = LocationAction::Redirect { to: "https://example.org/".into(), code: 308 };
    let next = nginx.apply(&files(&[changed], &pool)).await.unwrap();
    assert!(!next.started);
    assert_eq!(get(port, "shop.test", "/teapot").0, 308);
    drop(taken);
    nginx.stop().await;
    assert!(nginx.running_pid().is_none());
}
