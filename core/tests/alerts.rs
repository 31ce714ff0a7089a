//! Alerts on a real SQLite database with a controllable clock: a rule's lifecycle (pending,
//! firing after its "for" time, resolved), reminders at most hourly, acknowledgement, who is
//! told (owners of their resources, administrators of the platform), event alerts, email into
//! a real SMTP sink (aiosmtpd) and signed webhooks with retries into a receiver of the test's.

mod common;

use pier_core::accounts::actor_of;
use pier_core::actor::Role;
use pier_proto::alerts::{AlertQuery, AlertState, Channel, ChannelSettings, Condition, RuleInput, Scope, Severity, SmtpSecurity, SmtpSettings};
use pier_proto::{ApiError, ErrorCode};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use time::{Duration, OffsetDateTime};

fn rule(metric: &str, scope: Scope, threshold: f64, for_s: i64, channels: Vec<Channel>) -> RuleInput {
    RuleInput { name: format!("{metric} high"), metric: metric.into(), scope, condition: Condition::Above, threshold, for_s, severity: Severity::Warning, channels, enabled: true }
}

fn sample(target: &str, t: OffsetDateTime, metric: &str, v: f64) -> Vec<(String, i64, Vec<(String, f64)>)> {
    vec![(target.to_string(), t.unix_timestamp(), vec![(metric.to_string(), v)])]
}

#[tokio::test]
async fn a_rule_goes_pending_fires_reminds_resolves_and_is_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let ctx = common::ctx();
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let support = common::person(&core, &admin, "sam", Role::Support).await;
    let alice = common::person(&core, &admin, "alice", Role::User).await;
    let a = &core.alerts;
    // The defaults come once: CPU, memory and disk above 90 % for 5 minutes.
    a.ensure_default_rules().await.unwrap();
    a.ensure_default_rules().await.unwrap();
    let defaults = a.list_rules(&support).await.unwrap();
    assert_eq!(defaults.iter().map(|r| (r.rule.metric.as_str(), r.rule.threshold, r.rule.for_s, r.is_default)).collect::<Vec<_>>(), vec![("cpu", 90.0, 300, true), ("mem_used_pct", 90.0, 300, true), ("disk./.used_pct", 90.0, 300, true)]);
    assert_eq!(ApiError::from(a.list_rules(&alice).await.unwrap_err()).code, ErrorCode::Forbidden);
    assert_eq!(ApiError::from(a.save_rule(&support, None, rule("load1", Scope::Host, 1.0, 0, vec![Channel::InApp]), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    let bad = RuleInput { for_s: -5, ..rule("load1", Scope::Host, 1.0, 0, vec![Channel::InApp]) };
    assert_eq!(ApiError::from(a.save_rule(&admin, None, bad, &ctx).await.unwrap_err()).field.as_deref(), Some("for_s"));

    // CPU above 90 for 5 minutes, on a clock of the test's.
    let t0 = OffsetDateTime::now_utc();
    let since = t0 - Duration::hours(1);
    let round = |t: OffsetDateTime, v: f64| {
        let a = a.clone();
        async move { a.round(t, &sample("host", t, "cpu", v), None, since).await.unwrap() }
    };
    let c = round(t0, 95.0).await;
    assert_eq!(c.iter().map(|c| c.to).collect::<Vec<_>>(), vec![AlertState::Pending]);
    assert!(round(t0 + Duration::seconds(200), 97.0).await.is_empty(), "still pending");
    assert_eq!(a.unread_count(&admin).await.unwrap(), 0, "pending alerts tell no one");
    let c = round(t0 + Duration::seconds(301), 96.0).await;
    assert_eq!(c.iter().map(|c| c.to).collect::<Vec<_>>(), vec![AlertState::Firing]);
    // Administrators are told of platform alerts; others are not, and do not see them.
    assert_eq!(a.unread_count(&admin).await.unwrap(), 1);
    let n = a.notifications(&admin, 10).await.unwrap();
    assert!(n[0].title.starts_with("FIRING: CPU above 90 % on host: cpu is 96.00"), "{:?}", n[0]);
    assert_eq!(a.unread_count(&support).await.unwrap(), 0);
    assert!(a.list_alerts(&alice, &AlertQuery::default()).await.unwrap().is_empty());
    let firing = a.list_alerts(&support, &AlertQuery { state: Some(AlertState::Firing), limit: None }).await.unwrap();
    assert_eq!(firing.len(), 1);
    // Still firing: reminded after an hour, not before.
    assert!(round(t0 + Duration::minutes(30), 99.0).await.is_empty());
    assert_eq!(a.unread_count(&admin).await.unwrap(), 1);
    round(t0 + Duration::minutes(66), 99.0).await;
    assert_eq!(a.unread_count(&admin).await.unwrap(), 2);
    assert!(a.notifications(&admin, 1).await.unwrap()[0].title.starts_with("STILL FIRING"));
    // A stale sample changes nothing.
    let stale = sample("host", t0, "cpu", 1.0);
    assert!(a.round(t0 + Duration::minutes(70), &stale, None, since).await.unwrap().is_empty());
    // Back under: resolved by itself, and said so.
    let c = round(t0 + Duration::minutes(71), 20.0).await;
    assert_eq!(c.iter().map(|c| c.to).collect::<Vec<_>>(), vec![AlertState::Resolved]);
    assert!(a.notifications(&admin, 1).await.unwrap()[0].title.starts_with("RESOLVED"));
    assert_eq!(a.mark_read(&admin, None).await.unwrap(), 3);
    assert_eq!(a.unread_count(&admin).await.unwrap(), 0);
    // Acknowledged by support (staff), recorded with who did it; a user cannot.
    let id = firing[0].id;
    assert_eq!(ApiError::from(a.acknowledge(&alice, id, &ctx).await.unwrap_err()).code, ErrorCode::NotFound);
    let acked = a.acknowledge(&support, id, &ctx).await.unwrap();
    assert!(acked.acknowledged_by.unwrap().contains("sam"));
    // A changed rule starts over; a deleted one leaves its history.
    let cpu = defaults[0].id;
    a.save_rule(&admin, Some(cpu), RuleInput { enabled: false, ..defaults[0].rule.clone() }, &ctx).await.unwrap();
    assert!(round(t0 + Duration::minutes(80), 99.0).await.is_empty(), "a disabled rule is not evaluated");
    a.delete_rule(&admin, cpu, &ctx).await.unwrap();
    assert_eq!(a.list_alerts(&admin, &AlertQuery::default()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn owners_hear_of_their_own_and_events_raise_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let ctx = common::ctx();
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let alice = common::person(&core, &admin, "alice", Role::User).await;
    let bob = common::person(&core, &admin, "bob", Role::User).await;
    let a = &core.alerts;
    let vps = common::vps_row(&core.db, alice.user_id().unwrap(), "web").await;
    a.save_rule(&admin, None, rule("mem_used_pct", Scope::AllVps, 80.0, 0, vec![Channel::InApp]), &ctx).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let c = a.round(now, &sample(&format!("vps:{vps}"), now, "mem_used_pct", 85.0), None, now).await.unwrap();
    assert_eq!(c.len(), 1, "no \"for\" time: firing at once");
    assert_eq!((a.unread_count(&alice).await.unwrap(), a.unread_count(&bob).await.unwrap(), a.unread_count(&admin).await.unwrap()), (1, 0, 0));
    let mine = a.list_alerts(&alice, &AlertQuery::default()).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert!(a.list_alerts(&bob, &AlertQuery::default()).await.unwrap().is_empty());
    assert_eq!(ApiError::from(a.acknowledge(&bob, mine[0].id, &ctx).await.unwrap_err()).code, ErrorCode::NotFound);
    a.acknowledge(&alice, mine[0].id, &ctx).await.unwrap();
    // Acknowledged alerts are not reminded.
    a.round(now + Duration::hours(2), &sample(&format!("vps:{vps}"), now + Duration::hours(2), "mem_used_pct", 85.0), None, now).await.unwrap();
    assert_eq!(a.unread_count(&alice).await.unwrap(), 1);

    // Events: an unreachable host, nginx down with a site, a crashed VPS, a certificate 5 days
    // from expiry (its 14- and 7-day alerts, not the 3-day one), a failed job.
    let h = pier_core::entity::host::ActiveModel { name: Set("far".into()), uri: Set("qemu+ssh://far/system".into()), storage_dir: Set("/tmp".into()), cpu_overcommit: Set(1.0), ram_overcommit: Set(1.0), maintenance: Set(false), status: Set("unreachable".into()), last_error: Set(Some("no route".into())), created_at: Set(now), ..Default::default() }.insert(&core.db).await.unwrap();
    let mut v: pier_core::entity::vps::ActiveModel = pier_core::entity::vps::Entity::find_by_id(vps).one(&core.db).await.unwrap().unwrap().into();
    v.state = Set("crashed".into());
    // …and expiring in five hours, to be deleted then.
    v.expires_at = Set(Some(now + Duration::hours(5)));
    v.expiry_action = Set("delete".into());
    v.update(&core.db).await.unwrap();
    pier_core::entity::certificate::ActiveModel { name: Set("shop".into()), source: Set("upload".into()), names: Set("[\"shop.test\"]".into()), challenge: Set("none".into()), status: Set("valid".into()), not_after: Set(Some(now + Duration::days(5) + Duration::hours(1))), auto_renew: Set(false), is_default: Set(false), created_at: Set(now), updated_at: Set(now), ..Default::default() }.insert(&core.db).await.unwrap();
    pier_core::entity::job::ActiveModel {
        kind: Set("vps.create".into()),
        target: Set(format!("vps:{vps}")),
        params: Set("{}".into()),
        state: Set("failed".into()),
        progress: Set(40),
        message: Set("it broke".into()),
        attempts: Set(1),
        max_attempts: Set(1),
        cancel_requested: Set(false),
        created_by: Set(Some(format!("user:{}", alice.user_id().unwrap()))),
        created_at: Set(now),
        started_at: Set(Some(now)),
        finished_at: Set(Some(now + Duration::seconds(1))),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&core.db)
    .await
    .unwrap();
    let t = now + Duration::seconds(5);
    let c = a.round(t, &[], Some(false), now).await.unwrap();
    let kinds = |list: &[pier_proto::alerts::AlertView]| { let mut k: Vec<String> = list.iter().filter(|x| x.state == AlertState::Firing).map(|x| x.kind.clone()).collect(); k.sort(); k };
    // nginx down only matters once sites exist: there are none.
    assert_eq!(kinds(&a.list_alerts(&admin, &AlertQuery::default()).await.unwrap()), vec!["certificate_expiring_14", "certificate_expiring_7", "host_unreachable", "job_failed", "metric", "vps_crashed", "vps_expiring"]);
    assert_eq!(c.len(), 6);
    let alerts = a.list_alerts(&alice, &AlertQuery::default()).await.unwrap();
    assert!(alerts.iter().any(|x| x.kind == "vps_crashed") && alerts.iter().any(|x| x.kind == "job_failed" && x.title.contains("it broke")));
    assert!(alerts.iter().any(|x| x.kind == "vps_expiring" && x.title.ends_with("; then it is deleted")), "the owner is told of the expiry");
    assert!(!alerts.iter().any(|x| x.kind == "host_unreachable"), "platform events are not a user's");
    // Nothing new the next round; the host coming back resolves its alert; acknowledging the
    // failed job closes it.
    assert!(a.round(t + Duration::seconds(10), &[], Some(false), t).await.unwrap().is_empty());
    let mut hm: pier_core::entity::host::ActiveModel = h.into();
    hm.status = Set("connected".into());
    hm.update(&core.db).await.unwrap();
    let c = a.round(t + Duration::seconds(20), &[], None, t).await.unwrap();
    assert_eq!((c.len(), c[0].to), (1, AlertState::Resolved));
    let failed = alerts.iter().find(|x| x.kind == "job_failed").unwrap();
    assert_eq!(a.acknowledge(&alice, failed.id, &ctx).await.unwrap().state, AlertState::Resolved);
}

#[tokio::test]
async fn containers_that_stop_unexpectedly_and_engines_that_go_away_are_told_and_cleared() {
    use pier_core::entity::{container, engine};
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let alice = common::person(&core, &admin, "alice", Role::User).await;
    let a = &core.alerts;
    let t0 = OffsetDateTime::now_utc();
    let e = engine::ActiveModel { name: Set("edge".into()), endpoint: Set("tcp://192.0.2.1:2375".into()), status: Set("unreachable".into()), last_error: Set(Some("connection refused".into())), created_at: Set(t0), ..Default::default() }.insert(&core.db).await.unwrap();
    // alice's container died on its own (out of memory) and is still down.
    let web = container::ActiveModel { engine_id: Set(e.id), docker_id: Set("a".repeat(64)), name: Set("web".into()), owner_id: Set(alice.user_id()), created_at: Set(t0), crashed_at: Set(Some(t0)), crash_exit_code: Set(Some(137)), crash_oom: Set(true), ..Default::default() }.insert(&core.db).await.unwrap();
    let firing = |who| {
        let a = a.clone();
        async move {
            let mut k: Vec<(String, String)> = a.list_alerts(&who, &AlertQuery { state: Some(AlertState::Firing), limit: None }).await.unwrap().into_iter().map(|x| (x.kind, x.title)).collect();
            k.sort();
            k
        }
    };
    let t = t0 + Duration::seconds(5);
    assert_eq!(a.round(t, &[], None, t0 - Duration::seconds(5)).await.unwrap().len(), 2);
    assert_eq!(firing(alice.clone()).await, vec![("container_stopped".into(), "Container web stopped unexpectedly (out of memory)".into())]);
    assert_eq!(
        firing(admin.clone()).await,
        vec![("container_stopped".into(), "Container web stopped unexpectedly (out of memory)".into()), ("engine_unreachable".into(), "Docker engine edge is unreachable: connection refused".into())]
    );
    // The owner hears of their container, the administrators of the engine.
    assert_eq!((a.unread_count(&alice).await.unwrap(), a.unread_count(&admin).await.unwrap()), (1, 1));
    assert!(a.round(t + Duration::seconds(10), &[], None, t).await.unwrap().is_empty(), "told once");

    // Started again: firing until it has stayed up two minutes, then resolved.
    let mut m: container::ActiveModel = web.clone().into();
    m.started_at = Set(Some(t + Duration::seconds(12)));
    let web = m.update(&core.db).await.unwrap();
    assert!(a.round(t + Duration::seconds(60), &[], None, t + Duration::seconds(10)).await.unwrap().is_empty(), "up for under two minutes");
    let c = a.round(t + Duration::seconds(140), &[], None, t + Duration::seconds(60)).await.unwrap();
    assert_eq!(c.iter().map(|c| (c.target.clone(), c.to)).collect::<Vec<_>>(), vec![(format!("container:{}", "a".repeat(12)), AlertState::Resolved)]);

    // Died and restarted (a restart policy) between two rounds: still told. A crash loop
    // keeps that one alert firing instead of telling each restart.
    let crash = |at: OffsetDateTime| {
        let mut m: container::ActiveModel = web.clone().into();
        m.crashed_at = Set(Some(at));
        m.crash_oom = Set(false);
        m.crash_exit_code = Set(Some(2));
        m.started_at = Set(Some(at + Duration::seconds(1)));
        m.update(&core.db)
    };
    let t1 = t + Duration::seconds(200);
    crash(t1 - Duration::seconds(3)).await.unwrap();
    let c = a.round(t1, &[], None, t1 - Duration::seconds(10)).await.unwrap();
    assert_eq!(c.iter().map(|c| c.to).collect::<Vec<_>>(), vec![AlertState::Firing]);
    assert_eq!(firing(alice.clone()).await, vec![("container_stopped".into(), "Container web stopped unexpectedly (exit code 2)".into())]);
    for k in 1..6 {
        let at = t1 + Duration::seconds(30 * k);
        crash(at - Duration::seconds(5)).await.unwrap();
        assert!(a.round(at, &[], None, at - Duration::seconds(30)).await.unwrap().is_empty(), "one alert for the loop");
    }

    // Gone things resolve their alerts: the engine removed from Pier, a crashed container's record dropped.
    let t2 = t1 + Duration::seconds(200);
    container::Entity::delete_many().exec(&core.db).await.unwrap();
    engine::Entity::delete_by_id(e.id).exec(&core.db).await.unwrap();
    let c = a.round(t2, &[], None, t2 - Duration::seconds(10)).await.unwrap();
    assert_eq!(c.iter().map(|c| c.to).collect::<Vec<_>>(), vec![AlertState::Resolved, AlertState::Resolved]);
    assert!(firing(admin.clone()).await.is_empty());
}

/// An SMTP sink on loopback (aiosmtpd, design.md §5): mail lands in `dir/new`.
struct Sink {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Sink {
    fn start(dir: &std::path::Path) -> Option<Sink> {
        let python = std::path::Path::new("/opt/pier-smtp-sink/bin/python");
        if !python.exists() {
            assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "the SMTP sink must be installed (scripts/deps.sh test)");
            return None;
        }
        let maildir = dir.join("mail");
        for d in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(d)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(python).args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"]).arg(&maildir).spawn().unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Sink { child, port, dir: maildir });
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the SMTP sink did not listen");
    }

    fn mails(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.join("new")).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook receiver: answers 500 to the first request, then 200; keeps what came.
async fn receiver() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            // Read the head, then the body by its length.
            let (head, body) = loop {
                let k = s.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..k]);
                if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..at]).to_string();
                    let len: usize = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())).unwrap_or(0);
                    while buf.len() < at + 4 + len {
                        let k = s.read(&mut chunk).await.unwrap();
                        buf.extend_from_slice(&chunk[..k]);
                    }
                    break (head, buf[at + 4..at + 4 + len].to_vec());
                }
            };
            n += 1;
            let status = if n == 1 { "500 Internal Server Error" } else { "200 OK" };
            seen.lock().unwrap().push((head, body));
            let _ = s.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes()).await;
        }
    });
    (port, got)
}

#[tokio::test]
async fn alerts_arrive_by_email_and_by_signed_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = Sink::start(dir.path()) else { return };
    let (core, _stop) = common::running_core(dir.path()).await;
    let ctx = common::ctx();
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let alice = common::person(&core, &admin, "alice", Role::User).await;
    let a = &core.alerts;
    // Mail settings: admins only; the password is sealed and never shown.
    let smtp = SmtpSettings { host: "127.0.0.1".into(), port: sink.port, security: SmtpSecurity::None, username: None, password: None, password_set: false, from: "pier@example.com".into() };
    assert_eq!(ApiError::from(a.save_smtp_settings(&alice, smtp.clone(), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    let bad = SmtpSettings { from: "nobody".into(), ..smtp.clone() };
    assert_eq!(ApiError::from(a.save_smtp_settings(&admin, bad, &ctx).await.unwrap_err()).field.as_deref(), Some("from"));
    a.save_smtp_settings(&admin, smtp, &ctx).await.unwrap();
    a.send_test_mail(&admin, "root@example.com", &ctx).await.unwrap();
    assert!(sink.mails().iter().any(|m| m.contains("Subject: [Pier] Test message") && m.contains("To: root@example.com")));
    // Alice chooses email and a webhook with a secret; the secret is never returned.
    let (port, got) = receiver().await;
    let secret = "a shared secret of alice's";
    let saved = a.save_channel_settings(&alice, ChannelSettings { email: true, webhook_url: Some(format!("http://127.0.0.1:{port}/hook")), webhook_secret: Some(secret.into()), webhook_secret_set: false }, &ctx).await.unwrap();
    assert!(saved.webhook_secret.is_none() && saved.webhook_secret_set);
    let vps = common::vps_row(&core.db, alice.user_id().unwrap(), "db").await;
    a.save_rule(&admin, None, rule("cpu", Scope::Vps { id: vps }, 50.0, 0, vec![Channel::InApp, Channel::Email, Channel::Webhook]), &ctx).await.unwrap();
    let now = OffsetDateTime::now_utc();
    a.round(now, &sample(&format!("vps:{vps}"), now, "cpu", 75.0), None, now).await.unwrap();
    let mails = sink.mails();
    assert!(mails.iter().any(|m| m.contains("To: alice@example.com") && m.contains("Subject: [Pier] FIRING: cpu high on vps:") && m.contains("cpu is 75.00")), "{mails:?}");
    // The webhook: refused once (500), delivered on the second attempt, signed with her secret.
    let deliveries = || a.webhook_deliveries(&alice, 10);
    for _ in 0..100 {
        if deliveries().await.unwrap().first().is_some_and(|d| d.state == "delivered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let d = deliveries().await.unwrap();
    assert_eq!((d[0].state.as_str(), d[0].attempts, d[0].last_status), ("delivered", 2, Some(200)), "{d:?}");
    let received = got.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    let (head, body) = &received[1];
    let sig = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("x-pier-signature:").map(|v| v.trim().to_string())).expect("signed");
    assert_eq!(sig, pier_core::alerts::webhook::signature(secret, body));
    let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["event"], "firing");
    assert_eq!(payload["alert"]["target"], format!("vps:{vps}"));
    // The test button: a signed `test` event, logged like the others; without a URL, refused.
    let id = a.send_test_webhook(&alice, &ctx).await.unwrap();
    for _ in 0..50 {
        if deliveries().await.unwrap().first().is_some_and(|d| d.id == id && d.state == "delivered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(deliveries().await.unwrap()[0].state, "delivered");
    let (head, body) = got.lock().unwrap().last().cloned().unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["event"], "test");
    assert!(head.to_ascii_lowercase().contains(&format!("x-pier-signature: {}", pier_core::alerts::webhook::signature(secret, &body))));
    assert_eq!(ApiError::from(a.send_test_webhook(&admin, &ctx).await.unwrap_err()).field.as_deref(), Some("webhook_url"));
    assert!(a.webhook_deliveries(&admin, 10).await.unwrap().is_empty(), "each person sees their own log");
}
