//! The running panel over HTTP: pages, health, metrics, REST jobs, protections, and a job that
//! survives `kill -9` of the whole process.

mod common;

use common::Panel;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn anonymous() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn job(c: &reqwest::Client, panel: &Panel, id: i64) -> Value {
    c.get(panel.url(&format!("/api/v1/jobs/{id}"))).send().await.unwrap().json().await.unwrap()
}

async fn wait_job(c: &reqwest::Client, panel: &Panel, id: i64, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let j = job(c, panel, id).await;
        if pred(&j) {
            return j;
        }
        assert!(Instant::now() < deadline, "job {id} never got {what}: {j}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn pages_health_and_metrics_answer() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start_env(dir.path(), &[("PIER_MONITOR_INTERVAL", "1")]);
    let c = panel.admin_client().await;

    let page = c.get(panel.url("/jobs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("x-request-id"));
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>Jobs · Pier</title>"), "server-rendered title");
    assert!(html.contains("Run worker self-test"));
    assert!(html.contains("/pkg/pier.js"), "hydration script is referenced");

    let missing = c.get(panel.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));

    let health = c.get(panel.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let report: Value = health.json().await.unwrap();
    assert_eq!(report["status"], "ok");
    assert_eq!(report["checks"].as_array().unwrap().len(), 6);

    let metrics = c.get(panel.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"pier_http_requests_total{method="GET",route="/jobs",status="200"}"#), "{metrics}");
    assert!(metrics.contains(r#"route="unmatched",status="404""#), "{metrics}");
    assert!(metrics.contains("pier_jobs_queued"));
    // The monitoring collectors' figures join as gauges (a sample a second here).
    let mut gauges = String::new();
    for _ in 0..50 {
        gauges = c.get(panel.url("/metrics")).send().await.unwrap().text().await.unwrap();
        if gauges.contains("pier_host{metric=\"cpu\"}") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(gauges.contains("pier_host{metric=\"cpu\"}") && gauges.contains("pier_host{metric=\"mem_used_pct\"}") && gauges.contains("pier_panel{metric=\"rss_bytes\"}"), "{gauges}");
    assert!(gauges.trim_end().ends_with("# EOF"));
    // And the same figures as history, through the API.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let series: Value = c.get(panel.url(&format!("/api/v1/metrics/series?target=host&metric=mem_used_pct&from={}&to={}", now - 600, now + 5))).send().await.unwrap().json().await.unwrap();
    assert_eq!(series["tier"], "raw", "{series}");
    assert!(!series["points"].as_array().unwrap().is_empty(), "{series}");

    // A JSON log line per request, with method, path, status, latency and request id.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = std::fs::read_dir(dir.path().join("logs")).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(logs).unwrap();
    let line = text.lines().find(|l| l.contains("\"status\":404")).expect("404 logged");
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["span"]["path"], "/no/such/page");
    assert!(v["span"]["request_id"].as_str().unwrap().len() >= 32);
    assert!(v["fields"]["latency_ms"].is_number());
}

#[tokio::test]
async fn rest_jobs_validate_and_refuse_cross_site_writes() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start(dir.path());
    let c = panel.admin_client().await;

    let bad = c.post(panel.url("/api/v1/jobs")).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input");

    let bad = c.post(panel.url("/api/v1/jobs")).json(&json!({"kind": "system.worker_test", "params": {"seconds": 99999, "steps": 1}})).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "seconds");

    let missing = c.get(panel.url("/api/v1/jobs/424242")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["code"], "not_found");
    assert_eq!(c.get(panel.url("/api/v1/jobs/abc")).send().await.unwrap().status(), 400);

    let cross = c
        .post(panel.url("/api/v1/jobs"))
        .header("origin", "http://evil.example")
        .json(&json!({"kind": "system.check"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let list: Value = c.get(panel.url("/api/v1/jobs")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing was started by refused requests");

    let started = c.post(panel.url("/api/v1/jobs")).json(&json!({"kind": "system.check"})).send().await.unwrap();
    assert_eq!(started.status(), 202);
    let id = started.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let done = wait_job(&c, &panel, id, "a final state", |j| j["state"] == "succeeded" || j["state"] == "failed").await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["progress"], 100);
}

#[tokio::test]
async fn a_job_survives_kill_9_of_the_panel() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start(dir.path());
    let c = panel.admin_client().await;
    let id = panel.start_worker_test(&c, 60, 60).await;
    wait_job(&c, &panel, id, "progress", |j| j["state"] == "running" && j["progress"].as_u64().unwrap_or(0) >= 2).await;

    panel.kill9();
    let panel = Panel::start(dir.path());
    let c = panel.admin_client().await;
    // Recovered at start: queued again and picked up by a worker, never left "running" by a dead process.
    let resumed = wait_job(&c, &panel, id, "a second attempt", |j| j["attempts"] == 2 && j["state"] == "running").await;
    assert!(resumed["message"].as_str().unwrap().starts_with("Step") || resumed["message"].as_str().unwrap().contains("attempt 2"), "{resumed}");
    let cancel = c.post(panel.url(&format!("/api/v1/jobs/{id}/cancel"))).send().await.unwrap();
    assert_eq!(cancel.status(), 200);
    let end = wait_job(&c, &panel, id, "cancelled", |j| j["state"] == "cancelled").await;
    assert!(end["finished_at"].is_string());
}

#[tokio::test]
async fn nothing_but_sign_in_is_reachable_without_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start(dir.path());
    let c = anonymous();
    let page = c.get(panel.url("/jobs?state=running")).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login?next=%2Fjobs%3Fstate%3Drunning");
    let api = c.get(panel.url("/api/v1/jobs")).send().await.unwrap();
    assert_eq!(api.status(), 401);
    assert_eq!(api.json::<Value>().await.unwrap()["code"], "unauthenticated");
    assert_eq!(c.post(panel.url("/api/fn/start_job")).json(&json!({"request": {"kind": "system.check"}})).send().await.unwrap().status(), 401);
    assert_eq!(c.get(panel.url("/api/v1/live")).send().await.unwrap().status(), 401);
    let login = c.get(panel.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.text().await.unwrap().contains("Sign in"));
    assert_eq!(c.get(panel.url("/healthz")).send().await.unwrap().status(), 200);

    // A wrong password is refused in words, and the cookie it set grants nothing.
    let jar = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let wrong = jar
        .post(panel.url("/api/fn/login"))
        .json(&json!({"username": common::ADMIN_USER, "password": "not the password", "remember": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401, "server-function errors carry their code's status");
    assert!(wrong.text().await.unwrap().contains("Wrong username or password"));
    assert_eq!(jar.get(panel.url("/api/v1/jobs")).send().await.unwrap().status(), 401);

    // Logging out ends the session on the server: the old cookie no longer works.
    let admin = panel.admin_client().await;
    assert_eq!(admin.get(panel.url("/api/v1/jobs")).send().await.unwrap().status(), 200);
    assert!(admin.post(panel.url("/api/fn/logout")).json(&json!({})).send().await.unwrap().status().is_success());
    assert_eq!(admin.get(panel.url("/api/v1/jobs")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_first_start_prints_a_single_use_setup_link() {
    let dir = tempfile::tempdir().unwrap();
    // No `pier admin create`: the panel starts with no accounts.
    let panel = Panel::start_on(dir.path(), common::free_port());
    let deadline = Instant::now() + Duration::from_secs(10);
    let link = loop {
        if let Some(line) = panel.printed().lines().find(|l| l.contains("/setup?token=")) {
            break line.trim().to_string();
        }
        assert!(Instant::now() < deadline, "no setup link printed: {}", panel.printed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let token = link.split("token=").nth(1).unwrap().to_string();
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let account = json!({"username": "first", "email": "first@example.com", "password": "correct horse battery", "role": "user"});
    let made = c.post(panel.url("/api/fn/setup")).json(&json!({"token": token, "account": account})).send().await.unwrap();
    assert!(made.status().is_success(), "{}", made.text().await.unwrap());
    let me: Value = c.post(panel.url("/api/fn/whoami")).json(&json!({})).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "first");
    assert_eq!(me["role"], "admin", "the first account is an administrator whatever the form said");
    let again = reqwest::Client::new()
        .post(panel.url("/api/fn/setup"))
        .json(&json!({"token": token, "account": {"username": "second", "email": "s@example.com", "password": "correct horse battery", "role": "admin"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 403);
    assert!(again.text().await.unwrap().contains("setup link is invalid"));
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_https_panels_send_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start(dir.path());
    let c = anonymous();
    let page = c.get(panel.url("/login")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(page.headers().get("strict-transport-security").is_none(), "plain http: no HSTS");
    let html = page.text().await.unwrap();
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the policy").to_string();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    // Every inline script in the page carries this response's nonce; no other script runs.
    let scripts = html.matches("<script").count();
    assert!(scripts >= 2, "theme boot and hydration loader: {html}");
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{html}");
    // A second response gets a different nonce.
    let again = c.get(panel.url("/login")).send().await.unwrap();
    assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(&nonce));
    // JSON answers allow nothing at all.
    let api = c.get(panel.url("/healthz")).send().await.unwrap();
    assert_eq!(api.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    drop(panel);

    let https = Panel::start_with(dir.path(), common::free_port(), &[("PIER_PUBLIC_URL", "https://panel.example.com")]);
    let page = c.get(https.url("/login")).send().await.unwrap();
    assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000");
}
