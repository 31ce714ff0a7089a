//! Sites and TLS on a real nginx (private prefix, loopback ports) and Pebble (scripts/pebble.sh):
//! a site with a pool serves through nginx; a refused snippet keeps the old configuration
//! serving and is kept as a rejected version; restore and diff; health checks take a member
//! out and put it back; ACME HTTP-01 issue and renew, then a TLS handshake through nginx with
//! the issued chain; uploaded certificate checks; the manual DNS-01 flow against challtestsrv.

mod common;

use pier_core::accounts::actor_of;
use pier_core::actor::{Actor, Role};
use pier_proto::certificates::{AcmeAccountInput, CertificateRequest, CertificateUpload, ChallengeKind, KIND_ISSUE};
use pier_proto::jobs::{JobQuery, JobState};
use pier_proto::sites::*;
use pier_proto::{ApiError, ErrorCode};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn ready() -> bool {
    let ok = ["nginx", "pebble", "openssl", "curl"].iter().all(|b| std::process::Command::new("sh").arg("-c").arg(format!("command -v {b}")).output().is_ok_and(|o| o.status.success()));
    if !ok {
        assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "nginx, pebble, openssl and curl must be installed (scripts/deps.sh runtime test)");
    }
    ok
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn api(e: pier_core::sites::SitesError) -> ApiError {
    e.into()
}

/// A tiny HTTP upstream on `port` answering `body` (200) to every request, until aborted.
async fn upstream_on(port: u16, body: &'static str) -> tokio::task::JoinHandle<()> {
    let listener = loop {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => break l,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
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
    })
}

/// GET through nginx on loopback with a Host header: (status, body).
fn get(port: u16, host: &str, path: &str) -> (u16, String) {
    get_as(port, host, path, None)
}

/// `get` signed in with HTTP basic authentication as `(user, password)`.
fn get_as(port: u16, host: &str, path: &str, login: Option<(&str, &str)>) -> (u16, String) {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return (0, String::new()) };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let auth = login.map(|(u, p)| format!("Authorization: Basic {}\r\n", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{u}:{p}")))).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

fn site(name: &str, port: u16, pool: &str) -> SiteSpec {
    SiteSpec {
        name: name.into(),
        server_names: vec![format!("{name}.test")],
        http_port: port,
        https_port: None,
        tls_mode: TlsMode::None,
        tls: None,
        force_https: false,
        hsts: false,
        http2: false,
        max_body_mib: None,
        locations: vec![Location { path: "/".into(), action: LocationAction::Proxy { pool: pool.into() }, websocket: false, headers: vec![] }],
        allow: vec![],
        deny: vec![],
        enabled: true,
        snippet: None,
        access_list: None,
        satisfy_any: false,
    }
}

fn typed(spec: SiteSpec) -> SiteInput {
    SiteInput { name: spec.name.clone(), body: SiteBody::Typed { spec } }
}

fn pool(name: &str, ports: &[u16], health: Option<HealthCheck>) -> PoolInput {
    PoolInput {
        spec: PoolSpec {
            name: name.into(),
            method: BalanceMethod::RoundRobin,
            members: ports.iter().map(|p| PoolMember { host: "127.0.0.1".into(), port: *p, weight: 1, backup: false, max_fails: 1, fail_timeout_s: 10, down: false }).collect(),
        },
        health,
    }
}

struct Setup {
    core: pier_core::Core,
    _stop: tokio::sync::watch::Sender<bool>,
    admin: Actor,
    support: Actor,
    user: Actor,
    _dir: tempfile::TempDir,
}

impl Drop for Setup {
    fn drop(&mut self) {
        // nginx outlives the panel by design; a test must not leave it running.
        let prefix = self._dir.path().join("data/nginx");
        let _ = std::process::Command::new("nginx").arg("-p").arg(&prefix).arg("-c").arg(prefix.join("live/nginx.conf")).args(["-s", "stop"]).output();
    }
}

async fn setup(adjust: impl FnOnce(&mut pier_core::config::Config)) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    // A private data dir, as a careful admin (and Node's mkdtemp) makes it: nginx's workers must
    // still reach the challenge and password files under it.
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::set_permissions(dir.path().join("data"), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let (core, stop) = common::running_core_with(dir.path(), |c| {
        c.nginx.listen_address = Some("127.0.0.1".into());
        c.nginx.foreign_dirs = vec![];
        c.docker.enabled = false;
        adjust(c);
    })
    .await;
    let ctx = common::ctx();
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let support = actor_of(&core.accounts.create_user(&admin, common::new_user("sam", Role::Support), &ctx).await.unwrap());
    let user = actor_of(&core.accounts.create_user(&admin, common::new_user("alice", Role::User), &ctx).await.unwrap());
    Setup { core, _stop: stop, admin, support, user, _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_serves_a_refused_change_keeps_it_serving_and_versions_restore() {
    if !ready() {
        return;
    }
    let s = setup(|_| {}).await;
    let (sites, ctx) = (&s.core.sites, common::ctx());
    let (up, port) = (free_port(), free_port());
    let _u = upstream_on(up, "hello from upstream").await;

    // Staff read, admins change; a user sees nothing.
    assert_eq!(api(sites.save_pool(&s.support, None, pool("web", &[up], None), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    assert_eq!(api(sites.list_sites(&s.user).await.unwrap_err()).code, ErrorCode::Forbidden);
    // A site that proxies to a pool that does not exist is refused before nginx sees it.
    let e = api(sites.save_site(&s.core.jobs, &s.admin, None, typed(site("shop", port, "web")), &ctx).await.unwrap_err());
    assert!(e.message.contains("does not exist"), "{e:?}");

    sites.save_pool(&s.admin, None, pool("web", &[up], None), &ctx).await.unwrap();
    let v1 = sites.save_site(&s.core.jobs, &s.admin, None, typed(site("shop", port, "web")), &ctx).await.unwrap();
    assert_eq!((v1.state.clone(), v1.live_version), (ApplyState::Live, Some(1)));
    assert_eq!(get(port, "shop.test", "/"), (200, "hello from upstream".into()));
    assert_eq!(sites.list_sites(&s.support).await.unwrap().len(), 1);

    // A snippet nginx refuses: the error names the site and line, the old one keeps serving.
    let mut bad = site("shop", port, "web");
    bad.snippet = Some("no_such_directive on;".into());
    let e = api(sites.save_site(&s.core.jobs, &s.admin, Some(v1.id), typed(bad), &ctx).await.unwrap_err());
    assert!(e.message.contains("unknown directive \"no_such_directive\"") && e.message.contains("site shop, line"), "{e:?}");
    assert_eq!(get(port, "shop.test", "/"), (200, "hello from upstream".into()));
    let now = sites.get_site(&s.support, v1.id).await.unwrap();
    assert!(matches!(now.state, ApplyState::Rejected { line: Some(_), .. }), "{:?}", now.state);
    assert_eq!(now.live_version, Some(1));
    // Snippets that would leave their block are refused by the model itself.
    let mut escape = site("shop", port, "web");
    escape.snippet = Some("} server { listen 1;".into());
    assert_eq!(api(sites.save_site(&s.core.jobs, &s.admin, Some(v1.id), typed(escape), &ctx).await.unwrap_err()).field.as_deref(), Some("snippet"));

    // A good change: a fixed-status location; then restore version 1.
    let mut v3 = site("shop", port, "web");
    v3.locations.push(Location { path: "= /gone".into(), action: LocationAction::Status { code: 410, body: Some("gone".into()) }, websocket: false, headers: vec![] });
    sites.save_site(&s.core.jobs, &s.admin, Some(v1.id), typed(v3), &ctx).await.unwrap();
    assert_eq!(get(port, "shop.test", "/gone").0, 410);
    let versions = sites.site_versions(&s.support, v1.id).await.unwrap();
    assert_eq!(versions.iter().map(|v| (v.number, v.state.as_str())).collect::<Vec<_>>(), vec![(3, "live"), (2, "rejected"), (1, "superseded")]);
    assert!(versions[1].message.as_deref().unwrap().contains("no_such_directive"));
    let diff = sites.diff_versions(&s.support, v1.id, 1, 3).await.unwrap();
    assert!(diff.iter().any(|l| l.change == '+' && l.text.contains("return 410")), "{diff:?}");
    assert_eq!(api(sites.restore_version(&s.support, v1.id, 1, &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    let restored = sites.restore_version(&s.admin, v1.id, 1, &ctx).await.unwrap();
    assert_eq!(restored.live_version, Some(4));
    assert_eq!(get(port, "shop.test", "/gone").0, 200, "the 410 location went with the restore");

    // The access log feeds the site's figures; nginx's status is read over its socket.
    let m = sites.site_metrics(&s.support, v1.id, 300).await.unwrap();
    assert!(m.requests >= 4 && m.status[1] >= 3 && m.status[3] >= 1, "{m:?}");
    assert!(m.upstream_p50_ms.is_some());
    assert!(sites.site_log(&s.support, v1.id, LogKind::Access, 10).await.unwrap().iter().any(|l| l.contains("GET /gone")));
    let st = sites.nginx_status(&s.support).await.unwrap();
    assert!(st.running && st.workers >= 1 && st.requests.unwrap_or(0) >= 4, "{st:?}");
    assert!(sites.nginx_action(&s.admin, NginxAction::Test, &ctx).await.unwrap().contains("successful"));
    assert_eq!(api(sites.nginx_action(&s.support, NginxAction::Reload, &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);

    // A pool in use is not deleted; a disabled site stops serving; deletion needs the name.
    let pools = sites.list_pools(&s.support).await.unwrap();
    assert_eq!(pools[0].used_by, vec!["shop"]);
    assert_eq!(api(sites.delete_pool(&s.admin, pools[0].id, &ctx).await.unwrap_err()).code, ErrorCode::Conflict);
    let off = sites.set_site_enabled(&s.admin, v1.id, false, &ctx).await.unwrap();
    assert_eq!(off.state, ApplyState::Disabled);
    assert_ne!(get(port, "shop.test", "/").1, "hello from upstream");
    assert_eq!(api(sites.delete_site(&s.admin, v1.id, "nope", &ctx).await.unwrap_err()).field.as_deref(), Some("confirm"));
    sites.delete_site(&s.admin, v1.id, "shop", &ctx).await.unwrap();
    sites.delete_pool(&s.admin, pools[0].id, &ctx).await.unwrap();
    assert!(sites.list_sites(&s.admin).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_files_are_listed_and_adopted_as_raw_sites() {
    if !ready() {
        return;
    }
    let foreign = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(foreign.path().join("legacy.conf"), format!("server {{\n    listen 127.0.0.1:{port};\n    server_name legacy.test;\n    location / {{\n        return 200 \"legacy\";\n    }}\n}}\n")).unwrap();
    let dirs = vec![foreign.path().to_path_buf()];
    let s = setup(move |c| c.nginx.foreign_dirs = dirs).await;
    let (sites, ctx) = (&s.core.sites, common::ctx());
    let found = sites.foreign_configs(&s.support).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].suggested_name, "legacy");
    let adopted = sites.adopt_config(&s.admin, &found[0].path, "legacy", &ctx).await.unwrap();
    assert_eq!(adopted.server_names, vec!["legacy.test"]);
    assert_eq!(get(port, "legacy.test", "/"), (200, "legacy".into()));
    // Raw text goes through the same test: an unbalanced edit is refused, a broken one rejected.
    let e = api(sites.save_site(&s.core.jobs, &s.admin, Some(adopted.id), SiteInput { name: "legacy".into(), body: SiteBody::Raw { text: "server {".into() } }, &ctx).await.unwrap_err());
    assert_eq!(e.field.as_deref(), Some("raw"));
    let e = api(sites.save_site(&s.core.jobs, &s.admin, Some(adopted.id), SiteInput { name: "legacy".into(), body: SiteBody::Raw { text: format!("server {{ listen 127.0.0.1:{port}; bogus 1; }}") } }, &ctx).await.unwrap_err());
    assert!(e.message.contains("bogus"), "{e:?}");
    assert_eq!(get(port, "legacy.test", "/"), (200, "legacy".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_take_a_member_out_and_put_it_back() {
    if !ready() {
        return;
    }
    let s = setup(|_| {}).await;
    let (sites, ctx) = (&s.core.sites, common::ctx());
    let (a, b, port) = (free_port(), free_port(), free_port());
    let ua = upstream_on(a, "A").await;
    let _ub = upstream_on(b, "B").await;
    let check = HealthCheck { path: "/health".into(), interval_s: 1, expected_status: 200, timeout_ms: 500, fall: 1, rise: 1 };
    let mut live = s.core.bus.subscribe();
    let p = sites.save_pool(&s.admin, None, pool("web", &[a, b], Some(check)), &ctx).await.unwrap();
    sites.save_site(&s.core.jobs, &s.admin, None, typed(site("lb", port, "web")), &ctx).await.unwrap();
    let seen = |n: usize| (0..n).map(|_| get(port, "lb.test", "/").1).collect::<std::collections::HashSet<_>>();
    assert_eq!(seen(6), ["A".to_string(), "B".to_string()].into(), "round robin over both");

    let wait_for = |member: String, up: bool| {
        let mut live = s.core.bus.subscribe();
        async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let ev = tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), live.recv()).await.expect("a health event in time").unwrap();
                if let Ok(SitesEvent::Health(h)) = serde_json::from_value::<SitesEvent>((*ev.data).clone()) {
                    if h.member == member && h.up == up {
                        return h;
                    }
                }
            }
        }
    };
    let member_a = format!("127.0.0.1:{a}");
    let down = wait_for(member_a.clone(), false);
    let stopped = Instant::now();
    ua.abort();
    let h = down.await;
    println!("member out {:?} after its upstream stopped", stopped.elapsed());
    assert!(h.message.as_deref().unwrap_or_default().contains("refused"), "{h:?}");
    // Give the reload that followed the event a moment, then only B answers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen(6), ["B".to_string()].into());
    let view = sites.get_pool(&s.support, p.id).await.unwrap();
    assert_eq!(view.members.iter().find(|m| m.member == member_a).unwrap().up, Some(false));

    let back = wait_for(member_a.clone(), true);
    let _ua = upstream_on(a, "A").await;
    back.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen(8), ["A".to_string(), "B".to_string()].into());
    let history = sites.pool_health_history(&s.support, p.id, 10).await.unwrap();
    assert_eq!(history.iter().map(|h| h.up).collect::<Vec<_>>(), vec![true, false]);
    drop(live.try_recv());
}

/// Pebble and its DNS, stopped when dropped.
struct Pebble {
    dir: tempfile::TempDir,
    vars: HashMap<String, String>,
}

impl Pebble {
    fn start(http_port: u16) -> Pebble {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pebble.sh");
        let out = std::process::Command::new("bash").arg(script).arg("start").arg(dir.path()).arg(http_port.to_string()).output().unwrap();
        assert!(out.status.success(), "pebble: {}", String::from_utf8_lossy(&out.stderr));
        let vars = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Pebble { dir, vars }
    }

    fn var(&self, k: &str) -> String {
        self.vars[k].clone()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pebble.sh");
        let _ = std::process::Command::new("bash").arg(script).arg("stop").arg(self.dir.path()).output();
    }
}

async fn acme_setup(http_port: u16) -> (Setup, Pebble) {
    let pebble = Pebble::start(http_port);
    let (dir, ca, dns) = (pebble.var("PEBBLE_DIRECTORY"), pebble.var("PEBBLE_CA_FILE"), pebble.var("PEBBLE_DNS"));
    let s = setup(move |c| {
        c.acme.directory_url = dir;
        c.acme.ca_file = Some(ca.into());
        c.acme.dns_resolver = Some(dns.parse().unwrap());
    })
    .await;
    let account = AcmeAccountInput { directory_url: pebble.var("PEBBLE_DIRECTORY"), email: "admin@example.test".into(), agree_terms: true };
    let view = s.core.sites.set_acme_account(&s.admin, account, &common::ctx()).await.unwrap();
    assert!(view.registered);
    (s, pebble)
}

/// `curl` over TLS to nginx, trusting only `root`: the body, or curl's complaint.
fn curl_tls(port: u16, host: &str, root: &str) -> Result<String, String> {
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "5", "--cacert", root, "--resolve", &format!("{host}:{port}:127.0.0.1"), &format!("https://{host}:{port}/")])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_issues_by_http01_through_nginx_and_renews() {
    if !ready() {
        return;
    }
    let (http, https, up) = (free_port(), free_port(), free_port());
    let (s, pebble) = acme_setup(http).await;
    let (sites, ctx) = (&s.core.sites, common::ctx());
    let _u = upstream_on(up, "secure hello").await;
    sites.save_pool(&s.admin, None, pool("web", &[up], None), &ctx).await.unwrap();
    let mut spec = site("secure", http, "web");
    spec.https_port = Some(https);
    spec.tls_mode = TlsMode::Acme;
    spec.force_https = true;
    let saved = sites.save_site(&s.core.jobs, &s.admin, None, typed(spec), &ctx).await.unwrap();
    let cert_id = saved.certificate.as_ref().expect("a certificate record for the site").id;
    // The job the save queued: wait for it to end (not only for the certificate to turn valid,
    // which happens just before: a renewal asked for in between would find that job still
    // running and be answered with it, by design).
    let query = JobQuery { kind: Some(KIND_ISSUE.into()), ..Default::default() };
    let issue = s.core.jobs.list(&s.admin, &query).await.unwrap();
    let issue = issue.iter().find(|j| j.target == format!("certificate:{cert_id}")).expect("the site's issue job");
    let j = common::settle(&s.core, issue.id).await;
    assert_eq!(j.state, JobState::Succeeded, "{j:?}");
    let first = sites.get_certificate(&s.support, cert_id).await.unwrap();
    assert_eq!(first.status, "valid", "{first:?}");
    assert_eq!(first.names, vec!["secure.test"]);
    assert!(first.issuer.as_deref().unwrap().contains("Pebble"), "{first:?}");
    assert!(first.days_left.unwrap() > 1 && first.sites == vec!["secure"], "{first:?}");
    // A real handshake through nginx with the issued chain, and the plain port redirects.
    assert_eq!(curl_tls(https, "secure.test", &pebble.var("PEBBLE_ISSUER_ROOT")), Ok("secure hello".into()));
    assert_eq!(get(http, "secure.test", "/").0, 301);
    // The key never leaves the server; the detail is the public part.
    let detail = sites.certificate_detail(&s.support, cert_id).await.unwrap();
    assert!(detail.text.contains("secure.test") && !detail.chain_pem.contains("PRIVATE KEY"));
    assert_eq!(api(sites.delete_certificate(&s.admin, cert_id, &ctx).await.unwrap_err()).code, ErrorCode::Conflict);

    // Renew by hand: a new certificate is live.
    let job = sites.renew_certificate(&s.core.jobs, &s.admin, cert_id, &ctx).await.unwrap();
    let j = common::settle(&s.core, job).await;
    assert_eq!(j.state, JobState::Succeeded, "{j:?}");
    assert_eq!(j.progress, 100);
    let renewed = sites.certificate_detail(&s.support, cert_id).await.unwrap();
    assert_ne!(renewed.chain_pem, detail.chain_pem);
    assert_eq!(curl_tls(https, "secure.test", &pebble.var("PEBBLE_ISSUER_ROOT")), Ok("secure hello".into()));
    // Nothing is due for renewal yet (Pebble's certificates last longer than 30 days).
    assert_eq!(sites.renew_due(&s.core.jobs).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_failures_say_what_went_wrong() {
    if !ready() {
        return;
    }
    // Pebble validates on a port where nothing listens.
    let (s, _pebble) = acme_setup(free_port()).await;
    let (sites, ctx) = (&s.core.sites, common::ctx());
    let req = CertificateRequest { name: "nowhere".into(), names: vec!["nowhere.test".into()], challenge: ChallengeKind::Http01, is_default: false };
    // nginx must run for HTTP-01: one site on another port.
    sites.save_site(&s.core.jobs, &s.admin, None, SiteInput { name: "other".into(), body: SiteBody::Raw { text: format!("server {{ listen 127.0.0.1:{}; return 200; }}", free_port()) } }, &ctx).await.unwrap();
    let (cert, job) = sites.request_certificate(&s.core.jobs, &s.admin, req.clone(), &ctx).await.unwrap();
    let j = common::settle(&s.core, job).await;
    assert_eq!(j.state, JobState::Failed);
    let msg = j.message.clone();
    assert!(msg.contains("could not connect") && msg.contains("port 80"), "{msg}");
    let c = sites.get_certificate(&s.support, cert.id).await.unwrap();
    assert_eq!((c.status.as_str(), c.last_error.as_deref()), ("failed", Some(msg.as_str())));
    // Wildcards need DNS-01; a used name is refused.
    let wild = CertificateRequest { names: vec!["*.x.test".into()], ..req.clone() };
    assert_eq!(api(sites.request_certificate(&s.core.jobs, &s.admin, wild, &ctx).await.unwrap_err()).field.as_deref(), Some("names"));
    assert_eq!(api(sites.request_certificate(&s.core.jobs, &s.admin, req, &ctx).await.unwrap_err()).code, ErrorCode::Conflict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns01_shows_records_checks_them_and_finishes() {
    if !ready() {
        return;
    }
    let (s, pebble) = acme_setup(free_port()).await;
    let (sites, ctx) = (&s.core.sites, common::ctx());
    let req = CertificateRequest { name: "wildcard".into(), names: vec!["*.wild.test".into(), "wild.test".into()], challenge: ChallengeKind::Dns01Manual, is_default: true };
    let (cert, job) = sites.request_certificate(&s.core.jobs, &s.admin, req, &ctx).await.unwrap();
    let j = common::settle(&s.core, job).await;
    assert_eq!(j.state, JobState::Succeeded, "{j:?}");
    assert!(j.message.contains("TXT"), "{j:?}");
    let c = sites.get_certificate(&s.support, cert.id).await.unwrap();
    assert_eq!(c.status, "pending");
    // Both names share one record name with two values.
    assert_eq!(c.dns_challenges.len(), 2);
    assert!(c.dns_challenges.iter().all(|r| r.record == "_acme-challenge.wild.test"), "{c:?}");
    assert!(sites.dns_check(&s.support, cert.id).await.unwrap().iter().all(|r| !r.ok));
    // The person creates the records (here: in challtestsrv).
    for r in &c.dns_challenges {
        let body = serde_json::json!({ "host": format!("{}.", r.record), "value": r.value }).to_string();
        let out = std::process::Command::new("curl").args(["-sf", "-X", "POST", "-d", &body, &format!("{}/set-txt", pebble.var("PEBBLE_DNS_MANAGEMENT"))]).output().unwrap();
        assert!(out.status.success());
    }
    let checks = sites.dns_check(&s.support, cert.id).await.unwrap();
    assert!(checks.iter().all(|r| r.ok), "{checks:?}");
    let job = sites.dns_finish(&s.core.jobs, &s.admin, cert.id, &ctx).await.unwrap();
    let j = common::settle(&s.core, job).await;
    assert_eq!(j.state, JobState::Succeeded, "{j:?}");
    let c = sites.get_certificate(&s.support, cert.id).await.unwrap();
    assert_eq!((c.status.as_str(), c.is_default), ("valid", true));
    assert!(c.names.contains(&"*.wild.test".to_string()) && c.dns_challenges.is_empty());
    // A site under the domain uses it as the default wildcard certificate.
    let (http, https) = (free_port(), free_port());
    let mut spec = SiteSpec { locations: vec![Location { path: "/".into(), action: LocationAction::Status { code: 200, body: Some("wild".into()) }, websocket: false, headers: vec![] }], ..site("shop", http, "unused") };
    spec.server_names = vec!["shop.wild.test".into()];
    spec.https_port = Some(https);
    spec.tls_mode = TlsMode::Wildcard;
    let v = sites.save_site(&s.core.jobs, &s.admin, None, typed(spec.clone()), &ctx).await.unwrap();
    assert_eq!(v.certificate.map(|c| c.id), Some(cert.id));
    assert_eq!(curl_tls(https, "shop.wild.test", &pebble.var("PEBBLE_ISSUER_ROOT")), Ok("wild".into()));
    // Not for names outside its domain.
    spec.name = "elsewhere".into();
    spec.server_names = vec!["elsewhere.test".into()];
    let e = api(sites.save_site(&s.core.jobs, &s.admin, None, typed(spec), &ctx).await.unwrap_err());
    assert!(e.message.contains("does not cover elsewhere.test"), "{e:?}");
}

/// A CA, an intermediate and a leaf made with openssl (as a person would bring them).
fn openssl_chain(dir: &std::path::Path, name: &str) -> (String, String, String, String) {
    let run = |args: &str| {
        let out = std::process::Command::new("sh").arg("-c").arg(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "{args}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=Upload-Root -keyout root.key -out root.pem 2>/dev/null");
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=Upload-Intermediate -keyout int.key -out int.csr 2>/dev/null && printf 'basicConstraints=critical,CA:true\\n' > int.ext && openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile int.ext -out int.pem 2>/dev/null");
    run(&format!("openssl req -newkey rsa:2048 -nodes -subj /CN={name} -keyout leaf.key -out leaf.csr 2>/dev/null && printf 'subjectAltName=DNS:{name}\\n' > leaf.ext && openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -days 20 -extfile leaf.ext -out leaf.pem 2>/dev/null"));
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    (read("leaf.pem"), read("leaf.key"), read("int.pem"), read("root.pem"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_certificates_are_checked_and_served() {
    if !ready() {
        return;
    }
    let s = setup(|_| {}).await;
    let (sites, ctx) = (&s.core.sites, common::ctx());
    let work = tempfile::tempdir().unwrap();
    let (leaf, key, int, root) = openssl_chain(work.path(), "up.test");
    let other = tempfile::tempdir().unwrap();
    let (_, other_key, _, _) = openssl_chain(other.path(), "up.test");
    let upload = |cert: &str, key: &str, chain: &str| CertificateUpload { name: "uploaded".into(), certificate_pem: cert.into(), key_pem: key.into(), chain_pem: chain.into(), is_default: false };

    let cases = [
        (upload("not a certificate", &key, &int), "not PEM"),
        (upload(&leaf, &other_key, &int), "does not belong"),
        (upload(&leaf, &key, &format!("{root}{int}")), "not in order"),
    ];
    for (up, words) in cases {
        let e = api(sites.upload_certificate(&s.admin, up, &ctx).await.unwrap_err());
        assert!(e.message.contains(words), "{words}: {e:?}");
    }
    assert_eq!(api(sites.upload_certificate(&s.support, upload(&leaf, &key, &int), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    assert!(sites.list_certificates(&s.admin).await.unwrap().is_empty(), "refusals leave nothing");

    let c = sites.upload_certificate(&s.admin, upload(&leaf, &key, &int), &ctx).await.unwrap();
    assert_eq!((c.names.clone(), c.key_type.as_deref(), c.source.as_str()), (vec!["up.test".to_string()], Some("RSA 2048"), "uploaded"));
    assert!((18..=20).contains(&c.days_left.unwrap()), "{c:?}");
    let key_file = s._dir.path().join(format!("data/certs/{}/key.pem", c.id));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);

    let (http, https) = (free_port(), free_port());
    let mut spec = SiteSpec { locations: vec![Location { path: "/".into(), action: LocationAction::Status { code: 200, body: Some("uploaded ok".into()) }, websocket: false, headers: vec![] }], ..site("up", http, "unused") };
    spec.https_port = Some(https);
    spec.tls_mode = TlsMode::Certificate { id: c.id };
    sites.save_site(&s.core.jobs, &s.admin, None, typed(spec), &ctx).await.unwrap();
    std::fs::write(work.path().join("root-only.pem"), &root).unwrap();
    assert_eq!(curl_tls(https, "up.test", &work.path().join("root-only.pem").display().to_string()), Ok("uploaded ok".into()));
    let e = api(sites.delete_certificate(&s.admin, c.id, &ctx).await.unwrap_err());
    assert!(e.message.contains("used by up"), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_lists_ask_for_passwords_and_keep_them_hashed() {
    if !ready() {
        return;
    }
    let s = setup(|_| {}).await;
    let (sites, ctx) = (&s.core.sites, common::ctx());
    let (up, port) = (free_port(), free_port());
    let _u = upstream_on(up, "members only").await;
    sites.save_pool(&s.admin, None, pool("web", &[up], None), &ctx).await.unwrap();
    let list = |users: &[(&str, Option<&str>)]| AccessListInput {
        name: "team".into(),
        users: users.iter().map(|(u, p)| AccessUserInput { username: u.to_string(), password: p.map(str::to_string) }).collect(),
    };

    // Support reads, only admins change; a new user needs a password; a site cannot name a
    // list that does not exist.
    assert_eq!(api(sites.save_access_list(&s.support, None, list(&[("ann", Some("ann's secret"))]), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    assert_eq!(api(sites.save_access_list(&s.admin, None, list(&[("ann", None)]), &ctx).await.unwrap_err()).field.as_deref(), Some("users"));
    assert_eq!(api(sites.save_access_list(&s.admin, None, list(&[("a:b", Some("long enough"))]), &ctx).await.unwrap_err()).field.as_deref(), Some("users"));
    let mut spec = site("vault", port, "web");
    spec.access_list = Some("team".into());
    assert_eq!(api(sites.save_site(&s.core.jobs, &s.admin, None, typed(spec.clone()), &ctx).await.unwrap_err()).field.as_deref(), Some("access_list"));

    let made = sites.save_access_list(&s.admin, None, list(&[("ann", Some("ann's secret")), ("bob", Some("bob's secret"))]), &ctx).await.unwrap();
    assert_eq!(made.users, vec!["ann", "bob"]);
    let site_view = sites.save_site(&s.core.jobs, &s.admin, None, typed(spec.clone()), &ctx).await.unwrap();
    assert_eq!(sites.list_access_lists(&s.support).await.unwrap()[0].used_by, vec!["vault"]);
    assert_eq!(get(port, "vault.test", "/").0, 401);
    assert_eq!(get_as(port, "vault.test", "/", Some(("ann", "wrong"))).0, 401);
    assert_eq!(get_as(port, "vault.test", "/", Some(("ann", "ann's secret"))), (200, "members only".into()));
    assert_eq!(get_as(port, "vault.test", "/", Some(("bob", "bob's secret"))).0, 200);
    // The ACME challenge path stays open to the CA.
    std::fs::write(sites.acme_root().join(".well-known/acme-challenge/tok"), "proof").unwrap();
    assert_eq!(get(port, "vault.test", "/.well-known/acme-challenge/tok"), (200, "proof".into()));

    // Only hashes are kept: in the database and in the file nginx reads.
    let live = std::fs::read_to_string(s._dir.path().join("data/nginx/live/auth/team.htpasswd")).unwrap();
    assert!(live.starts_with("ann:$6$") && live.contains("\nbob:$6$") && !live.contains("secret"), "{live}");
    let audit = s.core.audit.list(&s.admin, &Default::default()).await.unwrap();
    assert!(audit.iter().all(|e| !e.detail.contains("ann's secret")));

    // Ann keeps her password without sending it; Bob leaves; Cy joins.
    sites.save_access_list(&s.admin, Some(made.id), list(&[("ann", None), ("cy", Some("cy's secret"))]), &ctx).await.unwrap();
    assert_eq!(get_as(port, "vault.test", "/", Some(("ann", "ann's secret"))).0, 200);
    assert_eq!(get_as(port, "vault.test", "/", Some(("bob", "bob's secret"))).0, 401);
    assert_eq!(get_as(port, "vault.test", "/", Some(("cy", "cy's secret"))).0, 200);

    // An address on the allow list, with "address or password": no prompt from 127.0.0.1.
    spec.allow = vec!["127.0.0.1".into()];
    spec.satisfy_any = true;
    sites.save_site(&s.core.jobs, &s.admin, Some(site_view.id), typed(spec.clone()), &ctx).await.unwrap();
    assert_eq!(get(port, "vault.test", "/").0, 200);
    // Both required (the default): the address alone is not enough.
    spec.satisfy_any = false;
    sites.save_site(&s.core.jobs, &s.admin, Some(site_view.id), typed(spec.clone()), &ctx).await.unwrap();
    assert_eq!(get(port, "vault.test", "/").0, 401);

    // A list in use is not deleted; once the site lets go of it, it is.
    assert_eq!(api(sites.delete_access_list(&s.admin, made.id, &ctx).await.unwrap_err()).code, ErrorCode::Conflict);
    spec.access_list = None;
    spec.allow = vec![];
    sites.save_site(&s.core.jobs, &s.admin, Some(site_view.id), typed(spec), &ctx).await.unwrap();
    assert_eq!(get(port, "vault.test", "/").0, 200);
    sites.delete_access_list(&s.admin, made.id, &ctx).await.unwrap();
    assert!(sites.list_access_lists(&s.admin).await.unwrap().is_empty());
    // Restoring the protected version now is refused in words, and the site keeps serving.
    let e = api(sites.restore_version(&s.admin, site_view.id, 1, &ctx).await.unwrap_err());
    assert!(e.message.contains("access list \"team\", which does not exist"), "{e:?}");
    assert_eq!(get(port, "vault.test", "/").0, 200);
}
