//! Container platform on the real dockerd: engine images (build, load and pull as jobs with
//! progress, removal refused while used), startup scripts (after every start, run now, output
//! live and kept, a shell-less image), and more engines (plain TCP and TLS with client
//! certificates, through proxies in front of the same dockerd).

mod common;

use pier_core::accounts::actor_of;
use pier_core::actor::Role;
use pier_docker::test_images::{tar_of, BUSYBOX, NO_SHELL};
use pier_proto::containers::{ContainerAction, ImageBuild, ImagePull, NewEngine, ScriptEvent, StartupScript};
use pier_proto::jobs::JobState;
use pier_proto::{ApiError, ErrorCode};
use std::time::Duration;

fn api(e: pier_core::containers::ContainersError) -> ApiError {
    e.into()
}

fn body(bytes: Vec<u8>) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + Unpin {
    futures::stream::iter(bytes.chunks(1000).map(|c| Ok(c.to_vec())).collect::<Vec<_>>())
}

/// A running core on a fresh data dir with an admin and a support member; `users` are more
/// people (role user) made by the admin.
async fn staffed_core(dir: &std::path::Path, users: &[&str]) -> (pier_core::Core, tokio::sync::watch::Sender<bool>, pier_core::actor::Actor, pier_core::actor::Actor, Vec<pier_core::actor::Actor>) {
    let (core, stop) = common::running_core(dir).await;
    let ctx = common::ctx();
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let support = actor_of(&core.accounts.create_user(&admin, common::new_user("sam", Role::Support), &ctx).await.unwrap());
    let mut people = Vec::new();
    for u in users {
        people.push(actor_of(&core.accounts.create_user(&admin, common::new_user(u, Role::User), &ctx).await.unwrap()));
    }
    (core, stop, admin, support, people)
}

#[tokio::test]
async fn images_are_built_loaded_pulled_and_removed_by_admins_only() {
    if !pier_docker::test_images::docker_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop, admin, support, people) = staffed_core(dir.path(), &["alice"]).await;
    let (ctx, alice) = (common::ctx(), people[0].clone());
    let c = &core.containers;
    let uploads = dir.path().join("uploads");
    let tag = format!("pier-test/app:{}", std::process::id());

    // Build from an uploaded context: a job with progress, then the tag is on the engine.
    let context = tar_of(&[("Dockerfile", &format!("FROM {BUSYBOX}\nCOPY index.html /www/index.html\nCMD [\"httpd\", \"-f\", \"-h\", \"/www\"]\n")), ("index.html", &format!("<h1>run {}</h1>", std::process::id()))]).await;
    let build = ImageBuild { engine_id: None, tag: tag.clone(), dockerfile: "Dockerfile".into() };
    let n = context.len() as u64;
    let refused = c.upload_image_archive(&core.jobs, &support, None, Some(build.clone()), &uploads, Some(n), body(context.clone()), &ctx).await.unwrap_err();
    assert_eq!(api(refused).code, ErrorCode::Forbidden);
    // Bad input is refused before a byte is stored: a tag with spaces, a lying length.
    let bad = ImageBuild { tag: "no good".into(), ..build.clone() };
    assert_eq!(api(c.upload_image_archive(&core.jobs, &admin, None, Some(bad), &uploads, Some(n), body(context.clone()), &ctx).await.unwrap_err()).field.as_deref(), Some("tag"));
    assert!(c.upload_image_archive(&core.jobs, &admin, None, Some(build.clone()), &uploads, Some(n + 5), body(context.clone()), &ctx).await.is_err());
    assert_eq!(std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0), 0, "refused uploads leave nothing");

    let job = c.upload_image_archive(&core.jobs, &admin, None, Some(build), &uploads, Some(n), body(context), &ctx).await.unwrap();
    let done = common::settle(&core, job.id).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.message);
    assert!(done.message.starts_with(&format!("Built {tag}")), "{:?}", done.message);
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 0, "the archive goes when the job ends");
    let images = c.engine_images(&support, None).await.unwrap();
    let built = images.iter().find(|i| i.tags.contains(&tag)).expect("listed for staff");
    assert_eq!(api(c.engine_images(&alice, None).await.unwrap_err()).code, ErrorCode::Forbidden);

    // In use: the list names the container and removal is refused with it.
    let name = format!("uses-app-{}", std::process::id());
    let user = c.create_container(&alice, pier_docker::test_images::request(&name, &tag, &[]), &ctx).await.unwrap();
    assert!(c.engine_images(&admin, None).await.unwrap().iter().any(|i| i.id == built.id && i.used_by == vec![name.clone()]));
    let in_use = api(c.remove_image(&admin, None, &tag, &ctx).await.unwrap_err());
    assert!(in_use.code == ErrorCode::Conflict && in_use.message.contains(&name), "{in_use:?}");
    assert_eq!(api(c.remove_image(&support, None, &tag, &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    c.delete_container(&alice, &user.id, &name, false, &ctx).await.unwrap();

    // Load what `docker save` wrote after removing it: the same image id comes back.
    let saved = std::process::Command::new("docker").args(["save", &tag]).output().unwrap().stdout;
    c.remove_image(&admin, None, &tag, &ctx).await.unwrap();
    assert!(!c.engine_images(&admin, None).await.unwrap().iter().any(|i| i.tags.contains(&tag)));
    let job = c.upload_image_archive(&core.jobs, &admin, None, None, &uploads, Some(saved.len() as u64), body(saved), &ctx).await.unwrap();
    let done = common::settle(&core, job.id).await;
    assert_eq!((done.state, done.message.as_str()), (JobState::Succeeded, format!("Loaded image: {tag}.").as_str()));
    assert!(c.engine_images(&admin, None).await.unwrap().iter().any(|i| i.id == built.id));
    // Not an archive: the job fails in the engine's words and the file still goes.
    let junk = b"definitely not a tar archive".to_vec();
    let job = c.upload_image_archive(&core.jobs, &admin, None, None, &uploads, Some(junk.len() as u64), body(junk), &ctx).await.unwrap();
    let done = common::settle(&core, job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert!(done.message.starts_with("The engine refused the archive"), "{:?}", done.message);
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 0);

    // A pull from a registry that is not there says so.
    let job = c.pull_image(&core.jobs, &admin, ImagePull { engine_id: None, reference: "127.0.0.1:9/pier/nothing:1".into() }, &ctx).await.unwrap();
    let done = common::settle(&core, job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert!(done.message.contains("Is the registry reachable"), "{:?}", done.message);
    c.remove_image(&admin, None, &tag, &ctx).await.unwrap();

    let log = core.audit.list(&admin, &Default::default()).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.outcome.as_str())).collect();
    for want in [("container_image.build", "success"), ("container_image.build", "denied"), ("container_image.load", "success"), ("container_image.pull", "success"), ("container_image.delete", "success"), ("container_image.delete", "denied")] {
        assert!(actions.contains(&want), "{want:?} in {actions:?}");
    }
}

/// Waits until the script's last run has finished.
async fn last_run(core: &pier_core::Core, actor: &pier_core::actor::Actor, id: &str) -> pier_proto::containers::StartupScriptView {
    for _ in 0..200 {
        let v = core.containers.startup_script(actor, id).await.unwrap();
        if v.last_finished_at.is_some() && !v.running {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the script did not finish");
}

#[tokio::test]
async fn startup_scripts_run_after_each_start_and_on_demand_with_live_output() {
    if !pier_docker::test_images::docker_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop, admin, support, people) = staffed_core(dir.path(), &["alice", "bob"]).await;
    let _sync = core.containers.spawn_sync();
    let (ctx, alice, bob) = (common::ctx(), people[0].clone(), people[1].clone());
    let c = &core.containers;
    let pid = std::process::id();
    let mine = c.create_container(&alice, pier_docker::test_images::request(&format!("scripted-{pid}"), BUSYBOX, &["sleep", "600"]), &ctx).await.unwrap();

    // Nothing yet; others cannot see it, support cannot change it, bad input is refused.
    let empty = c.startup_script(&alice, &mine.id).await.unwrap();
    assert!(empty.script.is_empty() && empty.last_started_at.is_none());
    assert_eq!(api(c.startup_script(&bob, &mine.id).await.unwrap_err()).code, ErrorCode::NotFound);
    let script = StartupScript { script: "echo \"started $((2*21))\"\ndate +%s >> /starts\nwc -l < /starts".into(), enabled: true };
    assert_eq!(api(c.save_startup_script(&support, &mine.id, script.clone(), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    assert_eq!(api(c.save_startup_script(&alice, &mine.id, StartupScript { script: "".into(), enabled: true }, &ctx).await.unwrap_err()).field.as_deref(), Some("script"));
    assert_eq!(api(c.run_startup_script(&alice, &mine.id, &ctx).await.unwrap_err()).code, ErrorCode::Conflict, "no script yet");
    c.save_startup_script(&alice, &mine.id, script, &ctx).await.unwrap();

    // A restart (through Pier or with docker outside it) runs the script after the start.
    c.act(&alice, &mine.id, ContainerAction::Restart, &ctx).await.unwrap();
    let first = last_run(&core, &alice, &mine.id).await;
    assert_eq!((first.last_trigger.as_deref(), first.last_exit_code, first.last_output.as_str()), (Some("start"), Some(0), "started 42\n1\n"));
    assert!(std::process::Command::new("docker").args(["restart", "-t", "0", &mine.id]).status().unwrap().success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = last_run(&core, &support, &mine.id).await; // support reads it
    assert_eq!((second.last_exit_code, second.last_output.as_str()), (Some(0), "started 42\n2\n"));
    assert_ne!(second.last_started_at, first.last_started_at);

    // Run now: output arrives live on the container's topic, in order, then the end.
    let mut events = core.bus.subscribe();
    let failing = StartupScript { script: "echo one; sleep 0.2; echo two >&2; exit 7".into(), enabled: false };
    c.save_startup_script(&alice, &mine.id, failing, &ctx).await.unwrap();
    let started = c.run_startup_script(&alice, &mine.id, &ctx).await.unwrap();
    assert!(started.running);
    assert_eq!(api(c.run_startup_script(&admin, &mine.id, &ctx).await.unwrap_err()).code, ErrorCode::Conflict, "one run at a time");
    let mut seen = Vec::new();
    let topic = pier_proto::containers::stats_topic(&mine.id);
    while !matches!(seen.last(), Some(ScriptEvent::Finished { .. })) {
        let ev = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.expect("script events").unwrap();
        if ev.topic.as_str() == topic {
            if let Ok(s) = serde_json::from_value::<ScriptEvent>((*ev.data).clone()) {
                seen.push(s);
            }
        }
    }
    let text: String = seen.iter().filter_map(|e| if let ScriptEvent::Output { text } = e { Some(text.as_str()) } else { None }).collect();
    assert_eq!(text, "one\ntwo\n");
    assert_eq!(seen.first(), Some(&ScriptEvent::Started { trigger: "manual".into() }));
    assert_eq!(seen.last(), Some(&ScriptEvent::Finished { exit_code: Some(7), error: None, trigger: "manual".into() }));
    let kept = last_run(&core, &alice, &mine.id).await;
    assert_eq!((kept.last_trigger.as_deref(), kept.last_exit_code, kept.last_output.as_str()), (Some("manual"), Some(7), "one\ntwo\n"));
    // Turned off: a restart does not run it.
    c.act(&alice, &mine.id, ContainerAction::Restart, &ctx).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(c.startup_script(&alice, &mine.id).await.unwrap().last_started_at, kept.last_started_at);

    // An image without a shell: the script runs with Pier's busybox.
    let bare = c.create_container(&alice, pier_docker::test_images::request(&format!("bare-{pid}"), NO_SHELL, &["/busybox", "sleep", "600"]), &ctx).await.unwrap();
    c.save_startup_script(&alice, &bare.id, StartupScript { script: "echo no shell needed".into(), enabled: false }, &ctx).await.unwrap();
    c.run_startup_script(&alice, &bare.id, &ctx).await.unwrap();
    let run = last_run(&core, &alice, &bare.id).await;
    assert_eq!((run.last_exit_code, run.last_output.as_str()), (Some(0), "no shell needed\n"));

    for v in [&mine, &bare] {
        c.delete_container(&alice, &v.id, &v.name, false, &ctx).await.unwrap();
    }
    let log = core.audit.list(&admin, &Default::default()).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.outcome.as_str())).collect();
    for want in [("container.script_save", "success"), ("container.script_save", "denied"), ("container.script_run", "success"), ("container.script", "success"), ("container.script", "failure")] {
        assert!(actions.contains(&want), "{want:?} in {actions:?}");
    }
}

/// The container's record as the event follower left it.
async fn record(core: &pier_core::Core, id: &str) -> pier_core::entity::container::Model {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    pier_core::entity::container::Entity::find().filter(pier_core::entity::container::Column::DockerId.eq(id)).one(&core.db).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_container_that_dies_on_its_own_is_an_alert_and_one_stopped_or_killed_is_not() {
    if !pier_docker::test_images::docker_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop, admin, _support, people) = staffed_core(dir.path(), &["alice"]).await;
    let _sync = core.containers.spawn_sync();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (ctx, alice) = (common::ctx(), people[0].clone());
    let c = &core.containers;
    let pid = std::process::id();
    let since = time::OffsetDateTime::now_utc();
    let steady = c.create_container(&alice, pier_docker::test_images::request(&format!("steady-{pid}"), BUSYBOX, &["sleep", "600"]), &ctx).await.unwrap();
    let killed = c.create_container(&alice, pier_docker::test_images::request(&format!("killed-{pid}"), BUSYBOX, &["sleep", "600"]), &ctx).await.unwrap();
    let crashy = c.create_container(&alice, pier_docker::test_images::request(&format!("crashy-{pid}"), BUSYBOX, &["sh", "-c", "sleep 2; exit 3"]), &ctx).await.unwrap();
    c.act(&alice, &steady.id, ContainerAction::Stop, &ctx).await.unwrap();
    c.act(&alice, &killed.id, ContainerAction::Kill, &ctx).await.unwrap();
    // Killed from outside Pier too is asked for (Docker says who signalled it).
    let outside = c.create_container(&alice, pier_docker::test_images::request(&format!("outside-{pid}"), BUSYBOX, &["sleep", "600"]), &ctx).await.unwrap();
    assert!(std::process::Command::new("docker").args(["kill", &outside.id]).status().unwrap().success());
    let mut crashed = record(&core, &crashy.id).await;
    for _ in 0..100 {
        if crashed.crashed_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        crashed = record(&core, &crashy.id).await;
    }
    assert_eq!((crashed.crash_exit_code, crashed.crash_oom), (Some(3), false), "{crashed:?}");
    for quiet in [&steady, &killed, &outside] {
        assert_eq!(record(&core, &quiet.id).await.crashed_at, None, "{} was stopped on purpose", quiet.name);
    }
    let now = time::OffsetDateTime::now_utc();
    core.alerts.round(now, &[], None, since).await.unwrap();
    let told: Vec<(String, String)> = core.alerts.list_alerts(&alice, &Default::default()).await.unwrap().into_iter().map(|a| (a.kind, a.title)).collect();
    assert_eq!(told, vec![("container_stopped".to_string(), format!("Container crashy-{pid} stopped unexpectedly (exit code 3)"))]);
    for gone in [steady, killed, crashy, outside] {
        c.delete_container(&admin, &gone.id, &gone.name, false, &ctx).await.unwrap();
    }
}

/// Forwards TCP connections to dockerd's socket (a remote engine on plain TCP, for the test).
async fn docker_proxy(listener: tokio::net::TcpListener) {
    loop {
        let Ok((mut tcp, _)) = listener.accept().await else { return };
        tokio::spawn(async move {
            if let Ok(mut unix) = tokio::net::UnixStream::connect("/var/run/docker.sock").await {
                let _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix).await;
            }
        });
    }
}

/// Like `docker_proxy`, but `frozen` holds every byte in both directions while set: the
/// connections stay open and nothing answers (a remote engine whose network hangs).
async fn freezable_proxy(listener: tokio::net::TcpListener, frozen: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    async fn pump(mut from: impl tokio::io::AsyncRead + Unpin, mut to: impl tokio::io::AsyncWrite + Unpin, frozen: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = [0u8; 8192];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0 {
                return;
            }
            while frozen.load(std::sync::atomic::Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }
    loop {
        let Ok((tcp, _)) = listener.accept().await else { return };
        let frozen = frozen.clone();
        tokio::spawn(async move {
            let Ok(unix) = tokio::net::UnixStream::connect("/var/run/docker.sock").await else { return };
            let ((tr, tw), (ur, uw)) = (tcp.into_split(), unix.into_split());
            tokio::join!(pump(tr, uw, frozen.clone()), pump(ur, tw, frozen));
        });
    }
}

#[tokio::test]
async fn an_engine_that_stops_answering_without_closing_is_found_by_ping_and_alerted() {
    if !pier_docker::test_images::docker_ready() {
        return;
    }
    use pier_core::entity::engine;
    use sea_orm::EntityTrait;
    let dir = tempfile::tempdir().unwrap();
    let (mut core, _stop, admin, _support, _) = staffed_core(dir.path(), &[]).await;
    core.containers = core.containers.clone().with_ping_every(Duration::from_secs(1));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let frozen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _proxy = tokio::spawn(freezable_proxy(listener, frozen.clone()));
    let added = core.containers.add_engine(&admin, NewEngine { name: "edge-hang".into(), endpoint: format!("tcp://127.0.0.1:{port}"), tls_dir: None }, &common::ctx()).await.unwrap();
    // Forget what adding it found, so "connected" below is the follower's word.
    let mut m: engine::ActiveModel = engine::Entity::find_by_id(added.id).one(&core.db).await.unwrap().unwrap().into();
    m.status = sea_orm::Set("unknown".into());
    sea_orm::ActiveModelTrait::update(m, &core.db).await.unwrap();
    let _sync = core.containers.spawn_sync();
    let status = |id: i64| {
        let db = core.db.clone();
        async move { engine::Entity::find_by_id(id).one(&db).await.unwrap().unwrap() }
    };
    for _ in 0..100 {
        if status(added.id).await.status == "connected" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status(added.id).await.status, "connected", "the follower connected and said so");
    // The network hangs: the event stream neither ends nor errs; the ping finds out.
    frozen.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut row = status(added.id).await;
    for _ in 0..150 {
        if row.status == "unreachable" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        row = status(added.id).await;
    }
    assert_eq!((row.status.as_str(), row.last_error.as_deref()), ("unreachable", Some("no answer within 5 seconds")));
    let now = time::OffsetDateTime::now_utc();
    core.alerts.round(now, &[], None, now).await.unwrap();
    let alerts = core.alerts.list_alerts(&admin, &Default::default()).await.unwrap();
    assert!(alerts.iter().any(|a| a.kind == "engine_unreachable" && a.title == "Docker engine edge-hang is unreachable: no answer within 5 seconds"), "{alerts:?}");
    // The network comes back: the follower reconnects and the alert resolves.
    frozen.store(false, std::sync::atomic::Ordering::SeqCst);
    for _ in 0..150 {
        if status(added.id).await.status == "connected" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status(added.id).await.status, "connected");
    core.alerts.round(now + time::Duration::seconds(10), &[], None, now).await.unwrap();
    assert!(core.alerts.list_alerts(&admin, &Default::default()).await.unwrap().iter().all(|a| a.kind != "engine_unreachable" || a.state == pier_proto::alerts::AlertState::Resolved));
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as `docker --tlsverify`
/// uses them (ca.pem, cert.pem, key.pem in the client's folder).
fn make_certs(dir: &std::path::Path) {
    openssl(dir, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=pier test CA"]);
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n").unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (who, ext) in [("server", "server.ext"), ("client", "client.ext")] {
        openssl(dir, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", &format!("{who}-key.pem"), "-out", &format!("{who}.csr"), "-subj", &format!("/CN={who}")]);
        openssl(dir, &["x509", "-req", "-in", &format!("{who}.csr"), "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", &format!("{who}.pem"), "-days", "2", "-extfile", ext]);
    }
    let client = dir.join("client-tls");
    std::fs::create_dir_all(&client).unwrap();
    std::fs::copy(dir.join("ca.pem"), client.join("ca.pem")).unwrap();
    std::fs::copy(dir.join("client.pem"), client.join("cert.pem")).unwrap();
    std::fs::copy(dir.join("client-key.pem"), client.join("key.pem")).unwrap();
}

#[tokio::test]
async fn engines_on_tcp_and_tls_are_added_used_and_removed_by_admins() {
    if !pier_docker::test_images::docker_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop, admin, support, _) = staffed_core(dir.path(), &[]).await;
    let ctx = common::ctx();
    let c = &core.containers;

    // Plain TCP (a proxy to the local dockerd stands in for a remote engine).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp_port = listener.local_addr().unwrap().port();
    let proxy = tokio::spawn(docker_proxy(listener));
    let tcp = NewEngine { name: "edge-tcp".into(), endpoint: format!("tcp://127.0.0.1:{tcp_port}"), tls_dir: None };
    assert_eq!(api(c.add_engine(&support, tcp.clone(), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    let added = c.add_engine(&admin, tcp.clone(), &ctx).await.unwrap();
    assert!(added.connected && added.version.is_some(), "{added:?}");
    assert_eq!(api(c.add_engine(&admin, NewEngine { name: "other".into(), ..tcp.clone() }, &ctx).await.unwrap_err()).field.as_deref(), Some("endpoint"));
    assert!(c.engine_images(&admin, Some(added.id)).await.unwrap().iter().any(|i| i.tags.iter().any(|t| t == BUSYBOX)));
    // The engine goes away: it says so in words, and the container list still answers.
    proxy.abort();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let down = c.list_engines(&admin).await.unwrap().into_iter().find(|e| e.id == added.id).unwrap();
    assert!(!down.connected && down.error.as_deref().is_some_and(|m| !m.is_empty()), "{down:?}");
    assert!(c.list_containers(&admin).await.is_ok());
    // …and administrators are alerted, until it is removed from Pier.
    let now = time::OffsetDateTime::now_utc();
    core.alerts.round(now, &[], None, now).await.unwrap();
    let alerts = core.alerts.list_alerts(&admin, &Default::default()).await.unwrap();
    assert!(alerts.iter().any(|a| a.kind == "engine_unreachable" && a.title.starts_with("Docker engine edge-tcp is unreachable: ")), "{alerts:?}");
    c.remove_engine(&admin, added.id, &ctx).await.unwrap();
    core.alerts.round(now, &[], None, now).await.unwrap();
    assert!(core.alerts.list_alerts(&admin, &Default::default()).await.unwrap().iter().all(|a| a.kind != "engine_unreachable" || a.state == pier_proto::alerts::AlertState::Resolved));

    // TLS with client certificates (a TLS front that requires one stands before dockerd).
    make_certs(dir.path());
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let proxy = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls_proxy.py");
    let mut tls_front = std::process::Command::new("python3")
        .args([proxy, &port.to_string(), "server.pem", "server-key.pem", "ca.pem"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(tls_front.stdout.as_mut().unwrap()), &mut ready).unwrap();
    assert_eq!(ready.trim(), "ready");
    let tls_dir = dir.path().join("client-tls").display().to_string();
    let tls = NewEngine { name: "edge-tls".into(), endpoint: format!("tcp+tls://127.0.0.1:{port}"), tls_dir: Some(tls_dir.clone()) };
    let secure = c.add_engine(&admin, tls, &ctx).await.unwrap();
    assert!(secure.connected && secure.version.is_some(), "{secure:?}");
    // Without a client certificate the engine refuses: shown as unreachable with the reason.
    let empty = dir.path().join("no-certs");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::copy(dir.path().join("ca.pem"), empty.join("ca.pem")).unwrap();
    let wrong = c.add_engine(&admin, NewEngine { name: "edge-nocert".into(), endpoint: format!("tcp+tls://localhost:{port}"), tls_dir: Some(empty.display().to_string()) }, &ctx).await.unwrap();
    assert!(!wrong.connected && wrong.error.as_deref().unwrap_or_default().contains("cert.pem is missing"), "{wrong:?}");
    let _ = tls_front.kill();
    let _ = tls_front.wait();

    assert_eq!(api(c.remove_engine(&support, secure.id, &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    c.remove_engine(&admin, secure.id, &ctx).await.unwrap();
    c.remove_engine(&admin, wrong.id, &ctx).await.unwrap();
    assert_eq!(c.list_engines(&admin).await.unwrap().len(), 1, "the local engine stays");
}

