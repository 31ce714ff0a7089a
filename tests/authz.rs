//! The authorization matrix: every server function and REST route × every role × own/other's
//! resource, against the real binary. Each row says which roles are allowed; allowed means the
//! server did not refuse (not 401/403/404), refused means 403 or 404 (another's resource is 404).
//! The test fails when a registered server function has no row: new endpoints must be added here.

mod common;

use common::Panel;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const ROLES: [&str; 4] = ["admin", "support", "billing", "user"];

/// Server functions anyone may call (sign-in pages); they are checked by the accounts tests.
const PUBLIC: [&str; 5] = ["login", "logout", "setup", "setup_state", "whoami"];

/// What a request needs from the world it runs in.
struct World {
    /// A job owned by the admin, still queued or running.
    admins_job: i64,
    /// A user that may be edited or deleted.
    victim: i64,
}

struct Row {
    /// `fn:<name>` for server functions, `METHOD /path` for REST (`{job}` = the admin's job).
    endpoint: &'static str,
    body: fn(&World, &str) -> Value,
    /// admin, support, billing, user
    allowed: [bool; 4],
}

fn none(_: &World, _: &str) -> Value {
    json!({})
}

fn matrix() -> Vec<Row> {
    vec![
        Row { endpoint: "fn:list_jobs", body: |_, _| json!({"query": {}}), allowed: [true, true, true, true] },
        Row { endpoint: "fn:start_job", body: |_, _| json!({"request": {"kind": "system.check"}}), allowed: [true, true, false, false] },
        // Another's job: staff may cancel it, others do not even see it (404).
        Row { endpoint: "fn:cancel_job", body: |w, _| json!({"id": w.admins_job}), allowed: [true, true, false, false] },
        Row { endpoint: "fn:health_report", body: |_, _| json!({"fresh": false}), allowed: [true, true, false, false] },
        Row { endpoint: "fn:list_users", body: |_, _| json!({"query": {}}), allowed: [true, true, true, false] },
        Row {
            endpoint: "fn:create_user",
            body: |_, role| json!({"account": {"username": format!("made-by-{role}"), "email": format!("m-{role}@example.com"), "password": "a long enough password", "role": "user"}}),
            allowed: [true, false, false, false],
        },
        Row { endpoint: "fn:update_user", body: |w, _| json!({"id": w.victim, "change": {"role": "user"}}), allowed: [true, false, false, false] },
        // The admin row runs last for this endpoint (see the order below), so the victim exists for the others.
        Row { endpoint: "fn:delete_user", body: |w, _| json!({"id": w.victim, "confirm": "victim"}), allowed: [true, false, false, false] },
        Row { endpoint: "fn:my_sessions", body: none, allowed: [true, true, true, true] },
        // Everyone may read the audit log; the rows are filtered (own entries unless staff).
        Row { endpoint: "fn:list_audit", body: |_, _| json!({"query": {}}), allowed: [true, true, true, true] },
        // Own password: everyone may try (a wrong current password is a 400, not a refusal).
        Row { endpoint: "fn:change_password", body: |_, _| json!({"current": "wrong", "new_password": "whatever else here"}), allowed: [true, true, true, true] },
        // Another person's session handle is "not found" for everyone.
        Row { endpoint: "fn:revoke_session", body: |_, _| json!({"handle": "0".repeat(64)}), allowed: [false, false, false, false] },
        Row { endpoint: "GET /api/v1/jobs", body: none, allowed: [true, true, true, true] },
        Row { endpoint: "POST /api/v1/jobs", body: |_, _| json!({"kind": "system.check"}), allowed: [true, true, false, false] },
        Row { endpoint: "GET /api/v1/jobs/{job}", body: none, allowed: [true, true, false, false] },
        Row { endpoint: "POST /api/v1/jobs/{job}/cancel", body: none, allowed: [true, true, false, false] },
    ]
}

async fn call(c: &reqwest::Client, panel: &Panel, endpoint: &str, body: Value, world: &World) -> reqwest::StatusCode {
    let req = if let Some(name) = endpoint.strip_prefix("fn:") {
        c.post(panel.url(&format!("/api/fn/{name}"))).json(&body)
    } else {
        let (method, path) = endpoint.split_once(' ').unwrap();
        let url = panel.url(&path.replace("{job}", &world.admins_job.to_string()));
        match method {
            "GET" => c.get(url),
            _ => c.post(url).json(&body),
        }
    };
    req.send().await.unwrap().status()
}

async fn sign_in(panel: &Panel, username: &str, password: &str) -> reqwest::Client {
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let res = c
        .post(panel.url("/api/fn/login"))
        .json(&json!({"username": username, "password": password, "remember": false}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{username} signs in");
    c
}

#[tokio::test]
async fn every_endpoint_allows_exactly_the_roles_in_its_row() {
    // Every registered server function has a row (or is public).
    let _ = app::api::whoami; // links the app's server functions into this test binary
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/fn/").to_string())
        .collect();
    let covered: BTreeSet<String> = matrix()
        .iter()
        .filter_map(|r| r.endpoint.strip_prefix("fn:").map(String::from))
        .chain(PUBLIC.iter().map(|s| s.to_string()))
        .collect();
    assert!(!registered.is_empty(), "server functions are registered");
    let missing: Vec<_> = registered.difference(&covered).collect();
    assert!(missing.is_empty(), "server functions missing from the authorization matrix: {missing:?}");

    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start(dir.path());
    let admin = panel.admin_client().await;
    let password = "a long enough password";
    let mut clients = vec![admin.clone()];
    for role in &ROLES[1..] {
        panel.create_user(&admin, role, role, password).await;
        clients.push(sign_in(&panel, role, password).await);
    }
    let victim = panel.create_user(&admin, "victim", "user", password).await;
    let new_job = || panel.start_worker_test(&admin, 600, 100);

    let anonymous = reqwest::Client::new();
    let mut cells = 0;
    for row in matrix() {
        // Roles in reverse (user first, admin last), so an allowed destructive call by the admin
        // does not change what the others see.
        for (i, role) in ROLES.iter().enumerate().rev() {
            let world = World { admins_job: new_job().await, victim };
            let status = call(&clients[i], &panel, row.endpoint, (row.body)(&world, role), &world).await.as_u16();
            let refused = matches!(status, 401 | 403 | 404);
            if row.allowed[i] {
                assert!(!refused && status < 500, "{} as {role}: expected allowed, got {status}", row.endpoint);
            } else {
                assert!(matches!(status, 403 | 404), "{} as {role}: expected refused (403/404), got {status}", row.endpoint);
            }
            cells += 1;
        }
        let world = World { admins_job: new_job().await, victim };
        let status = call(&anonymous, &panel, row.endpoint, (row.body)(&world, "anonymous"), &world).await.as_u16();
        assert_eq!(status, 401, "{} without a session", row.endpoint);
    }
    eprintln!("authorization matrix: {} endpoints × {} roles = {cells} cells, plus anonymous", matrix().len(), ROLES.len());
}
