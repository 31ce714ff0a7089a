//! The running panel over HTTP: pages, health, metrics, REST jobs, protections, and a job that
//! survives `kill -9` of the whole process.

mod common;

use common::Panel;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn job(panel: &Panel, id: i64) -> Value {
    client().get(panel.url(&format!("/api/v1/jobs/{id}"))).send().await.unwrap().json().await.unwrap()
}

async fn wait_job(panel: &Panel, id: i64, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let j = job(panel, id).await;
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
    let panel = Panel::start(dir.path());
    let c = client();

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
    assert!(metrics.contains(r#"pier_http_requests_total{method="GET",route="/jobs",status="200"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"route="unmatched",status="404""#), "{metrics}");
    assert!(metrics.contains("pier_jobs_queued"));

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
    let c = client();

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
    let done = wait_job(&panel, id, "a final state", |j| j["state"] == "succeeded" || j["state"] == "failed").await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["progress"], 100);
}

#[tokio::test]
async fn a_job_survives_kill_9_of_the_panel() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start(dir.path());
    let c = client();
    let started: Value = c
        .post(panel.url("/api/v1/jobs"))
        .json(&json!({"kind": "system.worker_test", "params": {"seconds": 60, "steps": 60}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["id"].as_i64().unwrap();
    wait_job(&panel, id, "progress", |j| j["state"] == "running" && j["progress"].as_u64().unwrap_or(0) >= 2).await;

    panel.kill9();
    let panel = Panel::start(dir.path());
    // Recovered at start: queued again and picked up by a worker, never left "running" by a dead process.
    let resumed = wait_job(&panel, id, "a second attempt", |j| j["attempts"] == 2 && j["state"] == "running").await;
    assert!(resumed["message"].as_str().unwrap().starts_with("Step") || resumed["message"].as_str().unwrap().contains("attempt 2"), "{resumed}");
    let cancel = c.post(panel.url(&format!("/api/v1/jobs/{id}/cancel"))).send().await.unwrap();
    assert_eq!(cancel.status(), 200);
    let end = wait_job(&panel, id, "cancelled", |j| j["state"] == "cancelled").await;
    assert!(end["finished_at"].is_string());
}
