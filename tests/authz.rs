//! The authorization matrix: every server function and REST route × every role × own/other's
//! resource, against the real binary. Each row says which roles are allowed; allowed means the
//! server did not refuse (not 401/403/404), refused means 403 or 404 (another's resource is 404).
//! The test fails when a registered server function has no row: new endpoints must be added here.
//! A second test walks the same table with API tokens: read-only tokens are refused every write.

mod common;

use app::access::{Access, ACCESS};
use common::Panel;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The matrix panels drive the real dockerd (containers are in the matrix).
const DOCKER: &[(&str, &str)] = &[("PIER_DOCKER_HOST", "unix:///var/run/docker.sock"), ("PIER_NGINX_BIN", "nginx"), ("PIER_NGINX_LISTEN", "127.0.0.1"), ("PIER_NGINX_FOREIGN_DIRS", "")];

/// REST paths that refuse API tokens whatever their method (a token never gets a shell).
const SESSION_ONLY_REST: &[&str] = &["/exec?"];

const ROLES: [&str; 4] = ["admin", "support", "billing", "user"];
const PASSWORD: &str = "a long enough password";
const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZjDQg5F/nrNYmLJcOLrwnMQOX5Obzp13WchxgoBliM alice@laptop";
const ECDSA: &str = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBCCyhM0bFcPbnbEYaeQZL+WsG13E/3N2LCv5C4c4Tjkwjc1lRfUK8jH9iWUISJ6WIe/T0YBjFzU6CP+FOPbj3Y0MGnplqnvc8Y+Jk6gQdQI6snIfqCmUxRDUsrp6lCN4CA==";

/// What a request needs from the world it runs in.
struct World {
    /// A job owned by the admin, still queued or running.
    admins_job: i64,
    /// A fresh user that may be edited or deleted, and its name.
    victim: i64,
    victim_name: String,
    /// The admin's SSH keys and API token (others asking for them get "not found").
    admins_key: i64,
    admins_key2: i64,
    admins_token: i64,
    /// A fresh host (no pools), a fresh plan, and a fresh IP pool on the fixture host.
    host: i64,
    host_name: String,
    plan: i64,
    pool: i64,
    /// The admin's fixture image.
    image: i64,
    /// The admin's VPSs (others: not theirs); `doomed` is for the last delete.
    vps: i64,
    doomed: i64,
    /// The admin's container (created, not started) and its name.
    container: String,
    /// A live site proxying to a pool and serving the uploaded certificate (so deleting the
    /// pool or the certificate is a conflict, not a change).
    site: i64,
    site_pool: i64,
    cert: i64,
    /// The access list protecting the fixture site (deleting it is a conflict).
    access_list: i64,
    /// An alert rule that fires on the host at once, and its alert (about the platform).
    alert_rule: i64,
    alert: i64,
    n: u32,
}

/// A tiny qcow2 the image rows register (made once per test process by `fixtures`).
fn image_file() -> String {
    format!("/tmp/pier-authz/disk-{}.qcow2", std::process::id())
}

struct Row {
    /// `fn:<name>` for server functions, `METHOD /path` for REST (`{job}`, `{victim}`, `{key2}`
    /// and `{name}` are filled from the world).
    endpoint: &'static str,
    body: fn(&World, &str) -> Value,
    /// admin, support, billing, user
    allowed: [bool; 4],
}

fn none(_: &World, _: &str) -> Value {
    json!({})
}

const ALL: [bool; 4] = [true, true, true, true];
const ADMIN: [bool; 4] = [true, false, false, false];
const STAFF: [bool; 4] = [true, true, false, false];
const READERS: [bool; 4] = [true, true, true, false];
const NOBODY: [bool; 4] = [false, false, false, false];
const PLAN_MANAGERS: [bool; 4] = [true, false, true, false];

fn host_settings(name: &str) -> Value {
    json!({"name": name, "uri": "test:///default", "storage_dir": format!("/tmp/pier-authz/{name}"), "cpu_overcommit": 4.0, "ram_overcommit": 1.0})
}

fn plan_settings(name: &str) -> Value {
    json!({"name": name, "vcpus": 1, "memory_mib": 512, "disk_gb": 10, "snapshot_limit": 1})
}

/// A /24 of its own for the n-th pool, so pools on one host never overlap.
fn pool_for(host: i64, n: u32, name: &str) -> Value {
    let net = format!("10.{}.{}", 100 + n / 250, n % 250);
    json!({"host_id": host, "name": name, "cidr": format!("{net}.0/24"), "gateway": format!("{net}.1"), "range_start": format!("{net}.10"), "range_end": format!("{net}.20")})
}

/// A container request from the test busybox image, created but not started.
fn container_request(name: &str) -> Value {
    // The trap makes "stop" immediate (a PID 1 without handlers ignores SIGTERM for 10 s).
    json!({"name": format!("authz-{}-{name}", std::process::id()), "image": pier_docker::test_images::BUSYBOX, "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"], "start": false})
}

/// Removes the containers this test process made (the panel's data dir goes, dockerd stays).
/// Stops the nginx the panel started under its data dir (nginx outlives the panel by design).
fn stop_nginx(panel: &Panel) {
    let prefix = panel.data.join("nginx");
    let _ = std::process::Command::new("nginx").arg("-p").arg(&prefix).arg("-c").arg(prefix.join("live/nginx.conf")).args(["-s", "stop"]).output();
}

fn remove_test_containers() {
    let out = std::process::Command::new("docker").args(["ps", "-aq", "--filter", &format!("name=authz-{}-", std::process::id())]).output().unwrap();
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect();
    if !ids.is_empty() {
        let _ = std::process::Command::new("docker").args(["rm", "-f"]).args(&ids).output();
    }
}

fn matrix() -> Vec<Row> {
    vec![
        Row { endpoint: "fn:list_jobs", body: |_, _| json!({"query": {}}), allowed: ALL },
        Row { endpoint: "fn:start_job", body: |_, _| json!({"request": {"kind": "system.check"}}), allowed: STAFF },
        // Another's job: staff may cancel it, others do not even see it (404).
        Row { endpoint: "fn:cancel_job", body: |w, _| json!({"id": w.admins_job}), allowed: STAFF },
        Row { endpoint: "fn:health_report", body: |_, _| json!({"fresh": false}), allowed: STAFF },
        Row { endpoint: "fn:list_users", body: |_, _| json!({"query": {}}), allowed: READERS },
        Row {
            endpoint: "fn:create_user",
            body: |_, role| json!({"account": {"username": format!("made-by-{role}"), "email": format!("m-{role}@example.com"), "password": PASSWORD, "role": "user"}}),
            allowed: ADMIN,
        },
        Row { endpoint: "fn:update_user", body: |w, _| json!({"id": w.victim, "change": {"role": "user"}}), allowed: ADMIN },
        Row { endpoint: "fn:delete_user", body: |w, _| json!({"id": w.victim, "confirm": w.victim_name}), allowed: ADMIN },
        Row { endpoint: "fn:make_reset_link", body: |w, _| json!({"id": w.victim}), allowed: ADMIN },
        // The victim has no 2FA: the admin gets a 409 (allowed, nothing to reset), others 403.
        Row { endpoint: "fn:reset_user_2fa", body: |w, _| json!({"id": w.victim}), allowed: ADMIN },
        Row { endpoint: "fn:security_policy", body: none, allowed: READERS },
        Row { endpoint: "fn:set_security_policy", body: |_, _| json!({"policy": {"require_2fa": []}}), allowed: ADMIN },
        Row { endpoint: "fn:list_hosts", body: none, allowed: STAFF },
        Row { endpoint: "fn:save_host", body: |_, role| json!({"id": null, "settings": host_settings(&format!("h-{role}"))}), allowed: ADMIN },
        Row { endpoint: "fn:check_host", body: |w, _| json!({"id": w.host}), allowed: STAFF },
        Row { endpoint: "fn:delete_host", body: |w, _| json!({"id": w.host, "confirm": w.host_name}), allowed: ADMIN },
        Row { endpoint: "fn:list_plans", body: none, allowed: ALL },
        Row { endpoint: "fn:save_plan", body: |_, role| json!({"id": null, "settings": plan_settings(&format!("p-{role}"))}), allowed: PLAN_MANAGERS },
        Row { endpoint: "fn:delete_plan", body: |w, _| json!({"id": w.plan}), allowed: PLAN_MANAGERS },
        Row { endpoint: "fn:list_ip_pools", body: none, allowed: STAFF },
        Row { endpoint: "fn:create_ip_pool", body: |w, _| json!({"pool": pool_for(w.host, w.n + 5000, "made")}), allowed: ADMIN },
        Row { endpoint: "fn:delete_ip_pool", body: |w, _| json!({"id": w.pool}), allowed: ADMIN },
        Row { endpoint: "fn:list_vps", body: none, allowed: ALL },
        // Everyone may create their own VPS from a plan (private network: no pool needed).
        Row {
            endpoint: "fn:create_vps",
            body: |w, role| json!({"vps": {"name": format!("vps-{role}"), "hostname": "web.example.com", "plan_id": w.plan, "image_id": w.image, "network": "private", "start": false}}),
            allowed: ALL,
        },
        Row { endpoint: "fn:get_vps", body: |w, _| json!({"id": w.vps}), allowed: READERS },
        Row { endpoint: "fn:list_snapshots", body: |w, _| json!({"id": w.vps}), allowed: READERS },
        Row { endpoint: "fn:change_expiry", body: |w, _| json!({"id": w.vps, "change": {"extend": {"amount": 1, "unit": "days", "action": "notify"}}}), allowed: PLAN_MANAGERS },
        // Operating a VPS: its owner and administrators; support and billing only read.
        Row { endpoint: "fn:console_ticket", body: |w, _| json!({"id": w.vps, "kind": "serial"}), allowed: ADMIN },
        Row { endpoint: "fn:set_root_password", body: |w, _| json!({"id": w.vps, "password": "a long enough password"}), allowed: ADMIN },
        Row { endpoint: "fn:vps_power", body: |w, _| json!({"id": w.vps, "action": "start"}), allowed: ADMIN },
        Row { endpoint: "fn:snapshot_vps", body: |w, _| json!({"id": w.vps, "op": "create", "snapshot": {"name": "s1"}}), allowed: ADMIN },
        Row { endpoint: "fn:list_engines", body: none, allowed: STAFF },
        Row { endpoint: "fn:list_containers", body: none, allowed: ALL },
        Row { endpoint: "fn:container_images", body: |_, _| json!({"engine_id": null}), allowed: ALL },
        // Everyone may create their own container (not started: nothing keeps running).
        Row { endpoint: "fn:create_container", body: |w, role| json!({"container": container_request(&format!("fn-{role}-{}", w.n))}), allowed: ALL },
        // The admin's container: operated by its owner (admin) only; support sees it (403), others do not (404).
        // It is not running, so "start" is the action that fits.
        Row { endpoint: "fn:container_action", body: |w, _| json!({"id": w.container, "action": "start"}), allowed: ADMIN },
        Row { endpoint: "fn:change_container", body: |_w, _| json!({"id": _w.container, "change": {"memory_mib": 64, "restart": "unless-stopped"}}), allowed: ADMIN },
        // The admin's container is managed already: the admin gets 409 (allowed), others 403/404.
        Row { endpoint: "fn:adopt_container", body: |w, _| json!({"id": w.container, "owner_id": w.victim}), allowed: ADMIN },
        Row { endpoint: "fn:list_images", body: none, allowed: ALL },
        Row {
            endpoint: "fn:register_image",
            body: |_, role| json!({"image": {"name": format!("img-{role}"), "path": image_file(), "os_family": "debian", "os_version": "12", "default_user": "debian", "min_disk_gb": 1}}),
            allowed: ADMIN,
        },
        Row { endpoint: "fn:set_image_access", body: |w, _| json!({"id": w.image, "public": true, "users": []}), allowed: ADMIN },
        Row { endpoint: "fn:delete_image", body: |w, _| json!({"id": w.image}), allowed: ADMIN },
        Row { endpoint: "fn:my_sessions", body: none, allowed: ALL },
        // Everyone may read the audit log; the rows are filtered (own entries unless staff).
        Row { endpoint: "fn:list_audit", body: |_, _| json!({"query": {}}), allowed: ALL },
        // Own credentials: everyone may try (a wrong password or code is a 400, not a refusal).
        Row { endpoint: "fn:change_password", body: |_, _| json!({"current": "wrong", "new_password": "whatever else here"}), allowed: ALL },
        Row { endpoint: "fn:two_factor_status", body: none, allowed: ALL },
        Row { endpoint: "fn:totp_begin", body: none, allowed: ALL },
        Row { endpoint: "fn:totp_confirm", body: |_, _| json!({"code": "000000"}), allowed: ALL },
        Row { endpoint: "fn:totp_disable", body: |_, _| json!({"password": "wrong"}), allowed: ALL },
        Row { endpoint: "fn:new_recovery_codes", body: |_, _| json!({"password": "wrong"}), allowed: ALL },
        Row { endpoint: "fn:list_ssh_keys", body: none, allowed: ALL },
        Row { endpoint: "fn:add_ssh_key", body: |_, _| json!({"key": {"name": "", "public_key": ED25519}}), allowed: ALL },
        // The admin's key: the admin may delete it (last), others do not see it (404).
        Row { endpoint: "fn:delete_ssh_key", body: |w, _| json!({"id": w.admins_key}), allowed: ADMIN },
        Row { endpoint: "fn:list_api_tokens", body: none, allowed: ALL },
        Row { endpoint: "fn:create_api_token", body: |_, _| json!({"token": {"name": "t", "scope": "read_only"}}), allowed: ALL },
        Row { endpoint: "fn:revoke_api_token", body: |w, _| json!({"id": w.admins_token}), allowed: ADMIN },
        // Another person's session handle is "not found" for everyone.
        Row { endpoint: "fn:revoke_session", body: |_, _| json!({"handle": "0".repeat(64)}), allowed: NOBODY },
        Row { endpoint: "GET /api/v1/jobs", body: none, allowed: ALL },
        Row { endpoint: "POST /api/v1/jobs", body: |_, _| json!({"kind": "system.check"}), allowed: STAFF },
        Row { endpoint: "GET /api/v1/jobs/{job}", body: none, allowed: STAFF },
        Row { endpoint: "POST /api/v1/jobs/{job}/cancel", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/me", body: none, allowed: ALL },
        Row { endpoint: "GET /api/v1/me/ssh-keys", body: none, allowed: ALL },
        Row { endpoint: "POST /api/v1/me/ssh-keys", body: |_, _| json!({"public_key": ECDSA}), allowed: ALL },
        Row { endpoint: "DELETE /api/v1/me/ssh-keys/{key2}", body: none, allowed: ADMIN },
        Row { endpoint: "GET /api/v1/users", body: none, allowed: READERS },
        Row {
            endpoint: "POST /api/v1/users",
            body: |_, role| json!({"username": format!("rest-by-{role}"), "email": format!("r-{role}@example.com"), "password": PASSWORD, "role": "user"}),
            allowed: ADMIN,
        },
        Row { endpoint: "GET /api/v1/users/{victim}", body: none, allowed: READERS },
        Row { endpoint: "PATCH /api/v1/users/{victim}", body: |_, _| json!({"role": "billing"}), allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/users/{victim}?confirm={name}", body: none, allowed: ADMIN },
        // Engines and their images (engine 1 is the local one): staff read, admins change. The
        // fixture container keeps Pier managing containers on engine 1 and uses the busybox
        // image, so the admin's removals answer 409 (not a refusal) and change nothing.
        Row { endpoint: "fn:add_engine", body: |w, role| json!({"engine": {"name": format!("fn-{role}-{}", w.n), "endpoint": format!("tcp://127.0.0.1:{}", 20000 + w.n), "tls_dir": null}}), allowed: ADMIN },
        Row { endpoint: "fn:remove_engine", body: |_, _| json!({"id": 1}), allowed: ADMIN },
        Row { endpoint: "fn:engine_images", body: |_, _| json!({"engine_id": 1}), allowed: STAFF },
        Row { endpoint: "fn:remove_engine_image", body: |_, _| json!({"engine_id": 1, "image": pier_docker::test_images::BUSYBOX}), allowed: ADMIN },
        Row { endpoint: "fn:pull_engine_image", body: |_, _| json!({"pull": {"engine_id": 1, "reference": "127.0.0.1:9/authz/nothing:1"}}), allowed: ADMIN },
        // The admin's container's startup script: the owner and staff read it; the owner runs it.
        Row { endpoint: "fn:get_container", body: |w, _| json!({"id": w.container}), allowed: STAFF },
        Row { endpoint: "fn:startup_script", body: |w, _| json!({"id": w.container}), allowed: STAFF },
        Row { endpoint: "fn:save_startup_script", body: |w, _| json!({"id": w.container, "script": {"script": "echo hi", "enabled": false}}), allowed: ADMIN },
        Row { endpoint: "fn:run_startup_script", body: |w, _| json!({"id": w.container}), allowed: ADMIN },
        // Sites, pools, nginx and certificates: staff read, admins change. Admin bodies that would
        // change the fixtures are invalid (422) or conflict (409), so every role meets the same world.
        Row { endpoint: "fn:list_sites", body: none, allowed: STAFF },
        Row { endpoint: "fn:get_site", body: |w, _| json!({"id": w.site}), allowed: STAFF },
        Row { endpoint: "fn:site_versions", body: |w, _| json!({"id": w.site}), allowed: STAFF },
        Row { endpoint: "fn:site_version_diff", body: |w, _| json!({"id": w.site, "from": 1, "to": 1}), allowed: STAFF },
        Row { endpoint: "fn:site_log", body: |w, _| json!({"id": w.site, "kind": "access", "lines": 10}), allowed: STAFF },
        Row { endpoint: "fn:site_metrics", body: |w, _| json!({"id": w.site, "window_s": 60}), allowed: STAFF },
        Row { endpoint: "fn:foreign_configs", body: none, allowed: STAFF },
        Row { endpoint: "fn:list_pools", body: none, allowed: STAFF },
        Row { endpoint: "fn:pool_health_history", body: |w, _| json!({"id": w.site_pool}), allowed: STAFF },
        Row { endpoint: "fn:nginx_status", body: none, allowed: STAFF },
        Row { endpoint: "fn:list_certificates", body: none, allowed: STAFF },
        Row { endpoint: "fn:certificate_detail", body: |w, _| json!({"id": w.cert}), allowed: STAFF },
        Row { endpoint: "fn:acme_account", body: none, allowed: STAFF },
        Row { endpoint: "fn:dns_check", body: |w, _| json!({"id": w.cert}), allowed: STAFF },
        Row { endpoint: "fn:save_site", body: |w, _| json!({"id": null, "site": {"name": format!("new{}", w.n), "body": {"kind": "raw", "text": "server {"}}}), allowed: ADMIN },
        Row { endpoint: "fn:set_site_enabled", body: |w, _| json!({"id": w.site, "enabled": true}), allowed: ADMIN },
        Row { endpoint: "fn:delete_site", body: |w, _| json!({"id": w.site, "confirm": "nope"}), allowed: ADMIN },
        Row { endpoint: "fn:restore_site_version", body: |w, _| json!({"id": w.site, "number": 1}), allowed: ADMIN },
        Row { endpoint: "fn:adopt_config", body: |_, _| json!({"path": "/nowhere.conf", "name": "Not A Name"}), allowed: ADMIN },
        Row { endpoint: "fn:save_pool", body: |w, _| json!({"id": null, "pool": {"spec": {"name": format!("p{}", w.n), "method": {"kind": "round_robin"}, "members": []}}}), allowed: ADMIN },
        Row { endpoint: "fn:delete_pool", body: |w, _| json!({"id": w.site_pool}), allowed: ADMIN },
        Row { endpoint: "fn:list_access_lists", body: none, allowed: STAFF },
        // Alerts: staff read rules, admins change them; everyone lists the alerts they may see
        // (the fixture's is the platform's: staff acknowledge it); notifications and channels
        // are each person's own; the mail server is the administrators'.
        Row { endpoint: "fn:list_alert_rules", body: none, allowed: STAFF },
        Row { endpoint: "fn:save_alert_rule", body: |_, _| json!({"id": null, "rule": {"name": "x", "metric": "cpu", "scope": {"kind": "host"}, "condition": "above", "threshold": 1.0, "for_s": 0, "channels": []}}), allowed: ADMIN },
        Row { endpoint: "fn:list_alerts", body: |_, _| json!({"query": {}}), allowed: ALL },
        Row { endpoint: "fn:acknowledge_alert", body: |w, _| json!({"id": w.alert}), allowed: STAFF },
        Row { endpoint: "fn:notifications", body: |_, _| json!({"limit": 10}), allowed: ALL },
        Row { endpoint: "fn:unread_notifications", body: none, allowed: ALL },
        Row { endpoint: "fn:mark_notifications_read", body: |_, _| json!({"up_to": null}), allowed: ALL },
        Row { endpoint: "fn:channel_settings", body: none, allowed: ALL },
        Row { endpoint: "fn:save_channel_settings", body: |_, _| json!({"settings": {"email": false, "webhook_url": "ftp://nope"}}), allowed: ALL },
        Row { endpoint: "fn:smtp_settings", body: none, allowed: ADMIN },
        Row { endpoint: "fn:save_smtp_settings", body: |_, _| json!({"settings": {"host": "127.0.0.1", "port": 25, "security": "none", "username": null, "from": "not an address"}}), allowed: ADMIN },
        Row { endpoint: "fn:send_test_mail", body: |_, _| json!({"to": "not an address"}), allowed: ADMIN },
        Row { endpoint: "fn:delete_alert_rule", body: |w, _| json!({"id": w.alert_rule}), allowed: ADMIN },
        Row { endpoint: "fn:webhook_deliveries", body: |_, _| json!({"limit": 10}), allowed: ALL },
        Row { endpoint: "GET /api/v1/alerts?state=firing", body: none, allowed: ALL },
        Row { endpoint: "POST /api/v1/alerts/{alert}/acknowledge", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/alert-rules", body: none, allowed: STAFF },
        // Refused as invalid (a negative "for" time) once allowed, so the fixtures stay as they are.
        Row { endpoint: "POST /api/v1/alert-rules", body: |_, _| json!({"name": "x", "metric": "cpu", "scope": {"kind": "host"}, "condition": "above", "threshold": 1.0, "for_s": -5, "channels": []}), allowed: ADMIN },
        Row { endpoint: "PUT /api/v1/alert-rules/{alert_rule}", body: |_, _| json!({"name": "x", "metric": "cpu", "scope": {"kind": "host"}, "condition": "above", "threshold": 1.0, "for_s": -5, "channels": []}), allowed: ADMIN },
        Row { endpoint: "GET /api/v1/notifications?limit=5", body: none, allowed: ALL },
        Row { endpoint: "POST /api/v1/notifications/read", body: |_, _| json!({"up_to": 0}), allowed: ALL },
        Row { endpoint: "GET /api/v1/me/channels", body: none, allowed: ALL },
        Row { endpoint: "PUT /api/v1/me/channels", body: |_, _| json!({"email": false, "webhook_url": "ftp://nope"}), allowed: ALL },
        Row { endpoint: "GET /api/v1/me/webhook-deliveries", body: none, allowed: ALL },
        Row { endpoint: "POST /api/v1/me/webhook-test", body: none, allowed: ALL },
        Row { endpoint: "GET /api/v1/settings/smtp", body: none, allowed: ADMIN },
        Row { endpoint: "PUT /api/v1/settings/smtp", body: |_, _| json!({"host": "127.0.0.1", "port": 25, "security": "none", "username": null, "from": "not an address"}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/settings/smtp/test", body: |_, _| json!({"to": "not an address"}), allowed: ADMIN },
        // Nobody in the fixture has a webhook: everyone is refused with "invalid", not "forbidden".
        Row { endpoint: "fn:send_test_webhook", body: none, allowed: ALL },
        // Monitoring: the platform's figures are for staff; a VPS's for whoever may read the VPS
        // (its owner — the admin here — support and billing).
        Row { endpoint: "fn:metric_series", body: |_, _| json!({"query": {"target": "host", "metric": "cpu", "from": 0, "to": 3600}}), allowed: STAFF },
        Row { endpoint: "fn:metric_series", body: |w, _| json!({"query": {"target": format!("vps:{}", w.vps), "metric": "cpu", "from": 0, "to": 3600}}), allowed: READERS },
        Row { endpoint: "fn:metric_names", body: |_, _| json!({"target": "host"}), allowed: STAFF },
        Row { endpoint: "GET /api/v1/metrics/series?target=host&metric=cpu&from=0&to=3600", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/metrics/series?target=vps:{vps}&metric=cpu&from=0&to=3600", body: none, allowed: READERS },
        Row { endpoint: "GET /api/v1/metrics/names?target=host", body: none, allowed: STAFF },
        // The overview: everyone gets one, of what they may see.
        Row { endpoint: "fn:dashboard", body: none, allowed: ALL },
        Row { endpoint: "GET /api/v1/dashboard", body: none, allowed: ALL },
        Row { endpoint: "fn:save_access_list", body: |w, _| json!({"id": null, "list": {"name": format!("l{}", w.n), "users": []}}), allowed: ADMIN },
        Row { endpoint: "fn:delete_access_list", body: |w, _| json!({"id": w.access_list}), allowed: ADMIN },
        Row { endpoint: "fn:nginx_action", body: |_, _| json!({"action": "test"}), allowed: ADMIN },
        Row { endpoint: "fn:upload_certificate", body: |_, _| json!({"upload": {"name": "bad", "certificate_pem": "nope", "key_pem": "nope"}}), allowed: ADMIN },
        Row { endpoint: "fn:request_certificate", body: |w, _| json!({"request": {"name": format!("r{}", w.n), "names": ["r.test"]}}), allowed: ADMIN },
        Row { endpoint: "fn:renew_certificate", body: |w, _| json!({"id": w.cert}), allowed: ADMIN },
        Row { endpoint: "fn:delete_certificate", body: |w, _| json!({"id": w.cert}), allowed: ADMIN },
        Row { endpoint: "fn:set_default_certificate", body: |w, _| json!({"id": w.cert, "default": false}), allowed: ADMIN },
        Row { endpoint: "fn:set_certificate_auto_renew", body: |w, _| json!({"id": w.cert, "on": false}), allowed: ADMIN },
        Row { endpoint: "fn:set_acme_account", body: |_, _| json!({"account": {"directory_url": "https://127.0.0.1:9/dir", "email": "a@b.test", "agree_terms": false}}), allowed: ADMIN },
        Row { endpoint: "fn:dns_finish", body: |w, _| json!({"id": w.cert}), allowed: ADMIN },
        Row { endpoint: "GET /api/v1/sites", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/sites/{site}", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/sites/{site}/versions", body: none, allowed: STAFF },
        Row { endpoint: "POST /api/v1/sites", body: |w, _| json!({"name": format!("rest{}", w.n), "body": {"kind": "raw", "text": "}"}}), allowed: ADMIN },
        Row { endpoint: "GET /api/v1/pools", body: none, allowed: STAFF },
        Row { endpoint: "PUT /api/v1/sites/{site}", body: |_, _| json!({"name": "fixture", "body": {"kind": "raw", "text": "}"}}), allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/sites/{site}?confirm=nope", body: none, allowed: ADMIN },
        Row { endpoint: "POST /api/v1/sites/{site}/versions/1/restore", body: none, allowed: ADMIN },
        Row { endpoint: "POST /api/v1/pools", body: |w, _| json!({"spec": {"name": format!("rp{}", w.n), "method": {"kind": "round_robin"}, "members": []}}), allowed: ADMIN },
        Row { endpoint: "PUT /api/v1/pools/{site_pool}", body: |_, _| json!({"spec": {"name": "fixture", "method": {"kind": "round_robin"}, "members": []}}), allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/pools/{site_pool}", body: none, allowed: ADMIN },
        Row { endpoint: "GET /api/v1/access-lists", body: none, allowed: STAFF },
        Row { endpoint: "POST /api/v1/access-lists", body: |w, _| json!({"name": format!("rl{}", w.n), "users": []}), allowed: ADMIN },
        Row { endpoint: "PUT /api/v1/access-lists/{access_list}", body: |_, _| json!({"name": "fixture", "users": []}), allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/access-lists/{access_list}", body: none, allowed: ADMIN },
        Row { endpoint: "GET /api/v1/nginx", body: none, allowed: STAFF },
        Row { endpoint: "POST /api/v1/nginx/action", body: |_, _| json!({"action": "test"}), allowed: ADMIN },
        Row { endpoint: "GET /api/v1/certificates", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/certificates/{cert}", body: none, allowed: STAFF },
        Row { endpoint: "DELETE /api/v1/certificates/{cert}", body: none, allowed: ADMIN },
        Row { endpoint: "POST /api/v1/certificates", body: |_, _| json!({"name": "bad", "certificate_pem": "nope", "key_pem": "nope"}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/certificates/request", body: |w, _| json!({"name": format!("rr{}", w.n), "names": ["*.wild.test"]}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/certificates/{cert}/renew", body: none, allowed: ADMIN },
        Row { endpoint: "PUT /api/v1/acme/account", body: |_, _| json!({"directory_url": "https://127.0.0.1:9/dir", "email": "a@b.test", "agree_terms": false}), allowed: ADMIN },
        Row { endpoint: "GET /api/v1/acme/account", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/audit", body: none, allowed: ALL },
        Row { endpoint: "GET /api/v1/hosts", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/plans", body: none, allowed: ALL },
        Row { endpoint: "GET /api/v1/images", body: none, allowed: ALL },
        // The body is not an image: the upload is stored and its check job fails later.
        Row { endpoint: "PUT /api/v1/images/upload?name=up{n}&os_family=other&min_disk_gb=1", body: |_, _| json!({"not": "an image"}), allowed: ADMIN },
        Row { endpoint: "GET /api/v1/engines", body: none, allowed: STAFF },
        Row { endpoint: "POST /api/v1/engines", body: |w, role| json!({"name": format!("rest-{role}-{}", w.n), "endpoint": format!("tcp://127.0.0.1:{}", 30000 + w.n)}), allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/engines/1", body: none, allowed: ADMIN },
        Row { endpoint: "GET /api/v1/engines/1/images", body: none, allowed: STAFF },
        Row { endpoint: "DELETE /api/v1/engines/1/images?image=pier-test%2Fbusybox%3A1", body: none, allowed: ADMIN },
        // Not archives: the uploads are stored and their jobs fail later.
        Row { endpoint: "PUT /api/v1/engines/1/images/load", body: |_, _| json!({"not": "a saved image"}), allowed: ADMIN },
        Row { endpoint: "PUT /api/v1/engines/1/images/build?tag=authz/built:{n}", body: |_, _| json!({"not": "a context"}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/engines/1/images/pull", body: |_, _| json!({"reference": "127.0.0.1:9/authz/nothing:1"}), allowed: ADMIN },
        Row { endpoint: "GET /api/v1/containers/{container}", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/containers/{container}/script", body: none, allowed: STAFF },
        Row { endpoint: "PUT /api/v1/containers/{container}/script", body: |_, _| json!({"script": "echo hi", "enabled": false}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/containers/{container}/script/run", body: none, allowed: ADMIN },
        Row { endpoint: "GET /api/v1/containers", body: none, allowed: ALL },
        Row { endpoint: "GET /api/v1/containers/images", body: none, allowed: ALL },
        Row { endpoint: "POST /api/v1/containers", body: |w, role| container_request(&format!("rest-{role}-{}", w.n)), allowed: ALL },
        Row { endpoint: "POST /api/v1/containers/{container}/action", body: |_, _| json!({"action": "stop"}), allowed: ADMIN },
        // Logs: the owner and staff read them (support helps without operating).
        Row { endpoint: "GET /api/v1/containers/{container}/logs.txt?tail=10", body: none, allowed: STAFF },
        // Not an upgrade request: allowed roles get the upgrade refusal (4xx), the others 403/404.
        Row { endpoint: "GET /api/v1/containers/{container}/logs", body: none, allowed: STAFF },
        // A terminal: owner or admin, and only in a running container (the fixture runs after the
        // start row above; a stopped one is a 409 for the admin, still not a refusal).
        Row { endpoint: "GET /api/v1/containers/{container}/exec?cmd=%5B%22sh%22%5D", body: none, allowed: ADMIN },
        // Files: owner and staff read; owner and admins change (the container is stopped here:
        // archive writes still work, rename/delete need it running and answer 409).
        Row { endpoint: "GET /api/v1/containers/{container}/files?path=/", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/containers/{container}/files/text?path=/bin/busybox", body: none, allowed: STAFF },
        Row { endpoint: "GET /api/v1/containers/{container}/files/download?path=/etc", body: none, allowed: STAFF },
        Row { endpoint: "PUT /api/v1/containers/{container}/files/text?path=/note{n}.txt", body: |_, _| json!({"text": "hello"}), allowed: ADMIN },
        Row { endpoint: "PUT /api/v1/containers/{container}/files/upload?dir=/&name=up{n}.bin", body: |_, _| json!({"any": "bytes"}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/containers/{container}/files/folder", body: |w, _| json!({"dir": "/", "name": format!("dir{}", w.n)}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/containers/{container}/files/rename", body: |_, _| json!({"path": "/.dockerenv", "name": "renamed"}), allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/containers/{container}/files?path=/nothing-here", body: none, allowed: ADMIN },
        Row { endpoint: "GET /api/v1/vps", body: none, allowed: ALL },
        Row { endpoint: "GET /api/v1/vps/{vps}", body: none, allowed: READERS },
        Row { endpoint: "GET /api/v1/vps/{vps}/snapshots", body: none, allowed: READERS },
        Row { endpoint: "POST /api/v1/vps/{vps}/power", body: |_, _| json!({"action": "start"}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/vps/{vps}/snapshots", body: |_, _| json!({"name": "r1"}), allowed: ADMIN },
        // The fixture VPS has a snapshot "keep" (the plan allows one, so creating more is refused
        // with 409, which is not an authorization refusal).
        Row { endpoint: "POST /api/v1/vps/{vps}/snapshots/keep/revert", body: none, allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/vps/{vps}/snapshots/keep", body: none, allowed: ADMIN },
        Row {
            endpoint: "POST /api/v1/vps",
            body: |w, role| json!({"name": format!("rest-{role}-{}", w.n), "hostname": "rest.example.com", "plan_id": w.plan, "image_id": w.image, "network": "private", "start": false}),
            allowed: ALL,
        },
        // Last: reinstalling and deleting change the VPSs the rows above use.
        Row { endpoint: "fn:reinstall_vps", body: |w, _| json!({"id": w.vps, "request": {"image_id": w.image, "confirm": "admins"}}), allowed: ADMIN },
        Row { endpoint: "POST /api/v1/vps/{vps}/reinstall", body: |w, _| json!({"image_id": w.image, "confirm": "admins"}), allowed: ADMIN },
        Row { endpoint: "fn:delete_vps", body: |w, _| json!({"id": w.vps, "confirm": "admins"}), allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/vps/{doomed}?confirm=doomed", body: none, allowed: ADMIN },
        // Last for containers too: the fixture container is deleted by the admin's call.
        Row { endpoint: "fn:delete_container", body: |w, _| json!({"id": w.container, "confirm": "nope", "volumes": false}), allowed: ADMIN },
        Row { endpoint: "DELETE /api/v1/containers/{container}?confirm={container_name}", body: none, allowed: ADMIN },
    ]
}

fn request(c: &reqwest::Client, panel: &Panel, endpoint: &str, body: Value, w: &World) -> reqwest::RequestBuilder {
    if let Some(name) = endpoint.strip_prefix("fn:") {
        return c.post(panel.url(&format!("/api/fn/{name}"))).json(&body);
    }
    let (method, path) = endpoint.split_once(' ').unwrap();
    let path = path
        .replace("{job}", &w.admins_job.to_string())
        .replace("{victim}", &w.victim.to_string())
        .replace("{key2}", &w.admins_key2.to_string())
        .replace("{name}", &w.victim_name)
        .replace("{vps}", &w.vps.to_string())
        .replace("{doomed}", &w.doomed.to_string())
        .replace("{container_name}", &format!("authz-{}-admins", std::process::id()))
        .replace("{container}", &w.container)
        .replace("{site_pool}", &w.site_pool.to_string())
        .replace("{access_list}", &w.access_list.to_string())
        .replace("{site}", &w.site.to_string())
        .replace("{cert}", &w.cert.to_string())
        .replace("{alert_rule}", &w.alert_rule.to_string())
        .replace("{alert}", &w.alert.to_string())
        .replace("{n}", &w.n.to_string());
    let url = panel.url(&path);
    match method {
        "GET" => c.get(url),
        "PATCH" => c.patch(url).json(&body),
        "DELETE" => c.delete(url),
        // Uploads are the raw body; every other PUT is JSON.
        "PUT" if path.contains("/upload") || path.contains("/images/load") || path.contains("/images/build") => c.put(url).body(body.to_string()),
        "PUT" => c.put(url).json(&body),
        _ => c.post(url).json(&body),
    }
}

async fn call(c: &reqwest::Client, panel: &Panel, endpoint: &str, body: Value, w: &World) -> u16 {
    request(c, panel, endpoint, body, w).send().await.unwrap().status().as_u16()
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

async fn post(c: &reqwest::Client, panel: &Panel, name: &str, body: Value) -> Value {
    let res = c.post(panel.url(&format!("/api/fn/{name}"))).json(&body).send().await.unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or_default();
    assert!(status.is_success(), "{name}: {status} {body}");
    body
}

/// The admin's fixtures, made once.
struct Fixtures {
    admins_key: i64,
    admins_key2: i64,
    admins_token: i64,
    pool_host: i64,
    image: i64,
    vps: i64,
    doomed: i64,
    container: String,
    site: i64,
    site_pool: i64,
    cert: i64,
    access_list: i64,
    alert_rule: i64,
    alert: i64,
}

/// A self-signed certificate for `authz.test` and its key (PEM), made with openssl.
fn self_signed() -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj", "/CN=authz.test", "-addext", "subjectAltName=DNS:authz.test", "-keyout"])
        .arg(dir.path().join("k.pem"))
        .arg("-out")
        .arg(dir.path().join("c.pem"))
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    (std::fs::read_to_string(dir.path().join("c.pem")).unwrap(), std::fs::read_to_string(dir.path().join("k.pem")).unwrap())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A rule that holds at once on the host (CPU above -1) and the alert it fires (the panel
/// samples the host and evaluates rules every 10 s).
async fn alert_fixtures(panel: &Panel, admin: &reqwest::Client) -> (i64, i64) {
    let rule = post(admin, panel, "save_alert_rule", json!({"id": null, "rule": {"name": "always", "metric": "cpu", "scope": {"kind": "host"}, "condition": "above", "threshold": -1.0, "for_s": 0, "severity": "info", "channels": ["in_app"]}})).await;
    let id = rule["id"].as_i64().unwrap();
    for _ in 0..300 {
        let alerts = post(admin, panel, "list_alerts", json!({"query": {}})).await;
        if let Some(a) = alerts.as_array().unwrap().iter().find(|a| a["rule_id"] == id) {
            return (id, a["id"].as_i64().unwrap());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the fixture rule did not fire");
}

/// The sites fixtures: a pool, an uploaded certificate, an access list, and a site using all three.
async fn site_fixtures(panel: &Panel, admin: &reqwest::Client) -> (i64, i64, i64, i64) {
    let pool = post(admin, panel, "save_pool", json!({"id": null, "pool": {"spec": {"name": "fixture", "method": {"kind": "round_robin"}, "members": [{"host": "127.0.0.1", "port": 9}]}}})).await;
    let list = post(admin, panel, "save_access_list", json!({"id": null, "list": {"name": "fixture", "users": [{"username": "ann", "password": PASSWORD}]}})).await;
    let (cert, key) = self_signed();
    let c = post(admin, panel, "upload_certificate", json!({"upload": {"name": "fixture", "certificate_pem": cert, "key_pem": key}})).await;
    let spec = json!({"name": "fixture", "server_names": ["authz.test"], "http_port": free_port(), "https_port": free_port(),
        "tls_mode": {"kind": "certificate", "id": c["id"]}, "locations": [{"path": "/", "action": {"kind": "proxy", "pool": "fixture"}}], "access_list": "fixture"});
    let site = post(admin, panel, "save_site", json!({"id": null, "site": {"name": "fixture", "body": {"kind": "typed", "spec": spec}}})).await;
    (site["id"].as_i64().unwrap(), pool["id"].as_i64().unwrap(), c["id"].as_i64().unwrap(), list["id"].as_i64().unwrap())
}

async fn fixtures(panel: &Panel, admin: &reqwest::Client) -> Fixtures {
    let k1 = post(admin, panel, "add_ssh_key", json!({"key": {"name": "one", "public_key": ED25519}})).await;
    let k2 = post(admin, panel, "add_ssh_key", json!({"key": {"name": "two", "public_key": ECDSA}})).await;
    let t = post(admin, panel, "create_api_token", json!({"token": {"name": "fixture", "scope": "full"}})).await;
    let h = post(admin, panel, "save_host", json!({"id": null, "settings": host_settings("pools")})).await;
    std::fs::create_dir_all("/tmp/pier-authz").unwrap();
    let made = std::process::Command::new("qemu-img").args(["create", "-q", "-f", "qcow2", &image_file(), "64M"]).status().unwrap();
    assert!(made.success());
    let plan = post(admin, panel, "save_plan", json!({"id": null, "settings": plan_settings("fixture")})).await;
    let image = post(admin, panel, "register_image", json!({"image": {"name": "fixture", "path": image_file(), "os_family": "debian", "os_version": "12", "default_user": "debian", "min_disk_gb": 1}})).await;
    let image_id = image[0]["id"].as_i64().unwrap();
    // The image is usable once its inspection job has run.
    for _ in 0..200 {
        let images = post(admin, panel, "list_images", json!({})).await;
        if images.as_array().unwrap().iter().any(|i| i["id"] == image_id && i["status"] == "ready") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let make = |name: &'static str| {
        let body = json!({"vps": {"name": name, "hostname": "admins.example.com", "plan_id": plan["id"], "image_id": image_id, "network": "private", "start": false}});
        async move { post(admin, panel, "create_vps", body).await[0]["id"].as_i64().unwrap() }
    };
    let (vps, doomed) = (make("admins").await, make("doomed").await);
    // Built (stopped), then given the snapshot the snapshot rows act on.
    for _ in 0..200 {
        if post(admin, panel, "get_vps", json!({"id": vps})).await[0]["state"] == "stopped" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    post(admin, panel, "snapshot_vps", json!({"id": vps, "op": "create", "snapshot": {"name": "keep"}})).await;
    for _ in 0..200 {
        if post(admin, panel, "list_snapshots", json!({"id": vps})).await.as_array().is_some_and(|l| !l.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    pier_docker::test_images::build();
    let made = post(admin, panel, "create_container", json!({"container": container_request("admins")})).await;
    let (site, site_pool, cert, access_list) = site_fixtures(panel, admin).await;
    let (alert_rule, alert) = alert_fixtures(panel, admin).await;
    Fixtures {
        alert_rule,
        alert,
        site,
        site_pool,
        cert,
        access_list,
        container: made["id"].as_str().unwrap().to_string(),
        vps,
        doomed,
        admins_key: k1["id"].as_i64().unwrap(),
        admins_key2: k2["id"].as_i64().unwrap(),
        admins_token: t["view"]["id"].as_i64().unwrap(),
        pool_host: h["id"].as_i64().unwrap(),
        image: image[0]["id"].as_i64().unwrap(),
    }
}

struct Counter(std::sync::atomic::AtomicU32);

impl Counter {
    fn next(&self) -> u32 {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

async fn world(panel: &Panel, admin: &reqwest::Client, f: &Fixtures, n: &Counter) -> World {
    let n = n.next();
    let victim_name = format!("victim{n}");
    let host_name = format!("host{n}");
    let host = post(admin, panel, "save_host", json!({"id": null, "settings": host_settings(&host_name)})).await["id"].as_i64().unwrap();
    let plan = post(admin, panel, "save_plan", json!({"id": null, "settings": plan_settings(&format!("plan{n}"))})).await["id"].as_i64().unwrap();
    let pool = post(admin, panel, "create_ip_pool", json!({"pool": pool_for(f.pool_host, n, &format!("pool{n}"))})).await["id"].as_i64().unwrap();
    World {
        host,
        host_name,
        plan,
        pool,
        image: f.image,
        vps: f.vps,
        doomed: f.doomed,
        container: f.container.clone(),
        site: f.site,
        site_pool: f.site_pool,
        cert: f.cert,
        access_list: f.access_list,
        alert_rule: f.alert_rule,
        alert: f.alert,
        n,
        admins_job: panel.start_worker_test(admin, 600, 100).await,
        victim: panel.create_user(admin, &victim_name, "user", PASSWORD).await,
        victim_name,
        admins_key: f.admins_key,
        admins_key2: f.admins_key2,
        admins_token: f.admins_token,
    }
}

#[test]
fn every_server_function_is_classified_and_has_a_row() {
    let _ = app::api::whoami; // links the app's server functions into this test binary
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/fn/").to_string())
        .collect();
    assert!(!registered.is_empty(), "server functions are registered");
    let classified: BTreeSet<String> = ACCESS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(registered, classified, "app::access::ACCESS must list exactly the registered server functions");
    let covered: BTreeSet<String> = matrix().iter().filter_map(|r| r.endpoint.strip_prefix("fn:").map(String::from)).collect();
    let needing_rows: BTreeSet<String> = ACCESS.iter().filter(|(_, a)| *a != Access::Public).map(|(n, _)| n.to_string()).collect();
    let missing: Vec<_> = needing_rows.difference(&covered).collect();
    assert!(missing.is_empty(), "server functions missing from the authorization matrix: {missing:?}");
}

#[tokio::test]
async fn every_endpoint_allows_exactly_the_roles_in_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start_env(dir.path(), DOCKER);
    let admin = panel.admin_client().await;
    let mut clients = vec![admin.clone()];
    for role in &ROLES[1..] {
        panel.create_user(&admin, role, role, PASSWORD).await;
        clients.push(sign_in(&panel, role, PASSWORD).await);
    }
    let f = fixtures(&panel, &admin).await;
    let n = Counter(0.into());

    let anonymous = reqwest::Client::new();
    let mut cells = 0;
    for row in matrix() {
        // Roles in reverse (user first, admin last), so an allowed destructive call by the admin
        // does not change what the others see.
        for (i, role) in ROLES.iter().enumerate().rev() {
            let w = world(&panel, &admin, &f, &n).await;
            let status = call(&clients[i], &panel, row.endpoint, (row.body)(&w, role), &w).await;
            let refused = matches!(status, 401 | 403 | 404);
            if row.allowed[i] {
                assert!(!refused && status < 500, "{} as {role}: expected allowed, got {status}", row.endpoint);
            } else {
                assert!(matches!(status, 403 | 404), "{} as {role}: expected refused (403/404), got {status}", row.endpoint);
            }
            cells += 1;
        }
        let w = world(&panel, &admin, &f, &n).await;
        let status = call(&anonymous, &panel, row.endpoint, (row.body)(&w, "anonymous"), &w).await;
        assert_eq!(status, 401, "{} without a session", row.endpoint);
    }
    eprintln!("authorization matrix: {} endpoints × {} roles = {cells} cells, plus anonymous", matrix().len(), ROLES.len());
    remove_test_containers();
    stop_nginx(&panel);
}

/// The admin's tokens (the role allows everything, so only the scope limits them).
#[tokio::test]
async fn token_scopes_limit_every_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start_env(dir.path(), DOCKER);
    let admin = panel.admin_client().await;
    let f = fixtures(&panel, &admin).await;
    let n = Counter(0.into());
    let token = |scope: &'static str| {
        let (admin, panel) = (&admin, &panel);
        async move { post(admin, panel, "create_api_token", json!({"token": {"name": scope, "scope": scope}})).await["token"].as_str().unwrap().to_string() }
    };
    let (read_only, full) = (token("read_only").await, token("full").await);
    let bare = reqwest::Client::new();
    let mut checked = 0;
    for row in matrix() {
        let access = match row.endpoint.strip_prefix("fn:") {
            Some(name) => ACCESS.iter().find(|(n, _)| *n == name).unwrap().1,
            // A terminal is a browser-session thing, even though it opens with a GET.
            None if SESSION_ONLY_REST.iter().any(|p| row.endpoint.contains(p)) => Access::SessionOnly,
            None if row.endpoint.starts_with("GET ") => Access::Read,
            None => Access::Write,
        };
        for (scope, secret) in [("read_only", &read_only), ("full", &full)] {
            let w = world(&panel, &admin, &f, &n).await;
            let res = request(&bare, &panel, row.endpoint, (row.body)(&w, scope), &w).bearer_auth(secret).send().await.unwrap();
            let status = res.status().as_u16();
            let expect_refused = match access {
                Access::Read => false,
                Access::Write => scope == "read_only",
                Access::Public | Access::SessionOnly => true,
            };
            if expect_refused {
                assert_eq!(status, 403, "{} with a {scope} token", row.endpoint);
            } else {
                assert!(!matches!(status, 401 | 403) && status < 500, "{} with a {scope} token: got {status}", row.endpoint);
            }
            checked += 1;
        }
    }
    eprintln!("token scopes: {checked} endpoint × scope cells");
    remove_test_containers();
    stop_nginx(&panel);

    // Forged and malformed tokens: 401 with a reason, never a fallback to the cookie.
    let res = admin.get(panel.url("/api/v1/jobs")).bearer_auth(format!("pier_{}", "0".repeat(64))).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("unknown or was revoked"));
    // A write made with a token says so in the audit log.
    let res = bare.post(panel.url("/api/v1/jobs")).bearer_auth(&full).json(&json!({"kind": "system.check"})).send().await.unwrap();
    assert_eq!(res.status(), 202);
    let log: Value = admin.get(panel.url("/api/v1/audit?action=job.start")).send().await.unwrap().json().await.unwrap();
    assert!(log.as_array().unwrap().iter().any(|e| e["detail"].as_str().unwrap().contains("via API token")), "{log}");
}

#[tokio::test]
async fn a_role_that_must_use_2fa_can_only_enrol_until_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let panel = Panel::start(dir.path());
    let admin = panel.admin_client().await;
    panel.create_user(&admin, "uma", "user", PASSWORD).await;
    post(&admin, &panel, "set_security_policy", json!({"policy": {"require_2fa": ["user"]}})).await;
    let uma = sign_in(&panel, "uma", PASSWORD).await;
    let me = post(&uma, &panel, "whoami", json!({})).await;
    assert_eq!((me["two_factor_required"].as_bool(), me["two_factor"].as_bool()), (Some(true), Some(false)));
    let res = uma.post(panel.url("/api/fn/list_jobs")).json(&json!({"query": {}})).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "two_factor_required");
    let page = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
    page.post(panel.url("/api/fn/login")).json(&json!({"username": "uma", "password": PASSWORD, "remember": false})).send().await.unwrap();
    let res = page.get(panel.url("/jobs")).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, "/profile?enrol=2fa"));
    // Enrolment itself is open.
    let enrol = post(&uma, &panel, "totp_begin", json!({})).await;
    assert!(enrol["otpauth_url"].as_str().unwrap().contains("uma"));
    // Admins are not held: their role is not in the policy.
    assert_eq!(admin.post(panel.url("/api/fn/list_jobs")).json(&json!({"query": {}})).send().await.unwrap().status(), 200);
}
