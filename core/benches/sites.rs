//! Sites figures for the issue note (a benchmark, not a test): `cargo bench -p pier-core --bench sites`
//! on a real nginx under a private prefix.
//! - apply latency as a person waits for it (`save_site`: validate, render everything, write a
//!   version, `nginx -t`, swap, reload and its confirmation, database rows) with 1 and with 500
//!   sites configured;
//! - health-check reaction: an upstream stops → its member is out of the pool (configuration
//!   applied), at a 1 s check interval.

use pier_core::accounts::actor_of;
use pier_core::actor::Role;
use pier_core::audit::RequestContext;
use pier_core::config::Config;
use pier_proto::accounts::NewUser;
use pier_proto::sites::*;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spec(name: &str, port: u16) -> SiteInput {
    let spec = SiteSpec {
        name: name.into(),
        server_names: vec![format!("{name}.bench.test")],
        http_port: port,
        https_port: None,
        tls_mode: TlsMode::None,
        tls: None,
        force_https: false,
        hsts: false,
        http2: false,
        max_body_mib: Some(8),
        locations: vec![
            Location { path: "/".into(), action: LocationAction::Proxy { pool: "web".into() }, websocket: true, headers: vec![("X-Frame-Options".into(), "DENY".into())] },
            Location { path: "= /health".into(), action: LocationAction::Status { code: 200, body: Some("ok".into()) }, websocket: false, headers: vec![] },
        ],
        allow: vec![],
        deny: vec![],
        enabled: true,
        snippet: None,
        access_list: None,
        satisfy_any: false,
    };
    SiteInput { name: name.into(), body: SiteBody::Typed { spec } }
}

async fn upstream(port: u16) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            tokio::spawn(async move {
                let mut b = [0u8; 1024];
                let _ = s.read(&mut b).await;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
            });
        }
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::load(None, Vec::new()).unwrap();
    config.data_dir = dir.path().join("data");
    config.nginx.listen_address = Some("127.0.0.1".into());
    config.nginx.foreign_dirs = vec![];
    config.docker.enabled = false;
    let core = pier_core::Core::open(config).await.unwrap();
    let ctx = RequestContext::default();
    let admin = actor_of(&core.accounts.create_admin_from_cli(NewUser { username: "root".into(), email: "root@example.com".into(), password: "correct horse battery".into(), role: Role::Admin }).await.unwrap());
    let sites = &core.sites;
    let (a, b) = (free_port(), free_port());
    let up_a = upstream(a).await;
    let _up_b = upstream(b).await;
    let member = |port| PoolMember { host: "127.0.0.1".into(), port, weight: 1, backup: false, max_fails: 1, fail_timeout_s: 10, down: false };
    sites.save_pool(&admin, None, PoolInput { spec: PoolSpec { name: "web".into(), method: BalanceMethod::RoundRobin, members: vec![member(a), member(b)] }, health: None }, &ctx).await.unwrap();

    // One site: its first apply starts nginx; then repeated changes of it.
    let port = free_port();
    let first = sites.save_site(&core.jobs, &admin, None, spec("s0", port), &ctx).await.unwrap();
    let mut one = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        sites.save_site(&core.jobs, &admin, Some(first.id), spec("s0", port), &ctx).await.unwrap();
        one.push(t.elapsed());
    }
    // 499 more sites (all on the same port, distinct names) written as rows, then changes of
    // one of them: each change renders and tests all 500.
    for i in 1..500 {
        let SiteBody::Typed { spec } = spec(&format!("s{i}"), port).body else { unreachable!() };
        let t = time::OffsetDateTime::now_utc();
        use sea_orm::ActiveModelTrait;
        pier_core::entity::site::ActiveModel {
            name: sea_orm::Set(spec.name.clone()),
            kind: sea_orm::Set("typed".into()),
            body: sea_orm::Set(serde_json::to_string(&spec).unwrap()),
            enabled: sea_orm::Set(true),
            state: sea_orm::Set("live".into()),
            created_at: sea_orm::Set(t),
            updated_at: sea_orm::Set(t),
            ..Default::default()
        }
        .insert(&core.db)
        .await
        .unwrap();
    }
    let mut many = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        sites.save_site(&core.jobs, &admin, Some(first.id), spec("s0", port), &ctx).await.unwrap();
        many.push(t.elapsed());
    }
    let status = sites.nginx_status(&admin).await.unwrap();
    println!("| apply (save_site → live) | sites configured | median | min | max |");
    println!("|---|---|---|---|---|");
    for (n, v) in [(1, &one), (500, &many)] {
        println!("| change one site | {n} | {:.1} ms | {:.1} ms | {:.1} ms |", median(v.clone()).as_secs_f64() * 1e3, v.iter().min().unwrap().as_secs_f64() * 1e3, v.iter().max().unwrap().as_secs_f64() * 1e3);
    }
    println!("(nginx {} with {} workers, {} site files)", status.version.unwrap_or_default(), status.workers, sites.list_sites(&admin).await.unwrap().len());

    // Health-check reaction: interval 1 s; the time from the upstream stopping to the member's
    // "down" event (which is published after the configuration without it is live).
    let p = sites.list_pools(&admin).await.unwrap().remove(0);
    let check = HealthCheck { path: "/".into(), interval_s: 1, expected_status: 200, timeout_ms: 500, fall: 1, rise: 1 };
    sites.save_pool(&admin, Some(p.id), PoolInput { spec: p.spec.clone(), health: Some(check) }, &ctx).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut reactions = Vec::new();
    let mut up = Some(up_a);
    for _ in 0..5 {
        let mut live = core.bus.subscribe();
        let t = Instant::now();
        up.take().unwrap().abort();
        loop {
            let ev = live.recv().await.unwrap();
            if let Ok(SitesEvent::Health(h)) = serde_json::from_value::<SitesEvent>((*ev.data).clone()) {
                if !h.up {
                    break;
                }
            }
        }
        reactions.push(t.elapsed());
        // Back up, and wait for it to rejoin before the next round.
        let mut live = core.bus.subscribe();
        up = Some(upstream(a).await);
        loop {
            let ev = live.recv().await.unwrap();
            if let Ok(SitesEvent::Health(h)) = serde_json::from_value::<SitesEvent>((*ev.data).clone()) {
                if h.up {
                    break;
                }
            }
        }
    }
    println!("| health check (interval 1 s, timeout 0.5 s, fall 1) | median | min | max |");
    println!("|---|---|---|---|");
    println!("| upstream stopped → member out, 500 sites applied | {:.0} ms | {:.0} ms | {:.0} ms |", median(reactions.clone()).as_secs_f64() * 1e3, reactions.iter().min().unwrap().as_secs_f64() * 1e3, reactions.iter().max().unwrap().as_secs_f64() * 1e3);
    let prefix = dir.path().join("data/nginx");
    let _ = std::process::Command::new("nginx").arg("-p").arg(&prefix).arg("-c").arg(prefix.join("live/nginx.conf")).args(["-s", "stop"]).output();
}
