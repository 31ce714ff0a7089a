//! Shared set-up for the accounts tests: a real SQLite database in a temporary data dir.
#![allow(dead_code)]

use pier_core::accounts::{AccountError, Accounts};
use pier_core::actor::Role;
use pier_core::audit::{Audit, RequestContext};
use pier_core::config::Config;
use pier_proto::accounts::NewUser;
use pier_proto::ApiError;

pub struct Env {
    pub _dir: tempfile::TempDir,
    pub accounts: Accounts,
    pub audit: Audit,
    pub store: pier_core::sessions::DbSessionStore,
    pub db: sea_orm::DatabaseConnection,
}

pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::load(None, Vec::new()).unwrap();
    config.data_dir = dir.path().to_owned();
    let db = pier_core::db::connect(&config).await.unwrap();
    pier_core::db::migrate(&db).await.unwrap();
    let audit = Audit::new(db.clone());
    let store = pier_core::sessions::DbSessionStore::new(db.clone());
    let secrets = pier_core::secrets::SecretBox::load(None, dir.path()).unwrap();
    let settings = pier_core::settings::Settings::new(db.clone());
    let accounts = Accounts::new(db.clone(), audit.clone(), store.clone(), secrets, settings);
    Env { _dir: dir, accounts, audit, store, db }
}

/// A live session of `user_id` in the real store.
pub async fn session_of(store: &pier_core::sessions::DbSessionStore, user_id: i64) -> tower_sessions_core::session::Id {
    use tower_sessions_core::SessionStore;
    let mut record = tower_sessions_core::session::Record {
        id: tower_sessions_core::session::Id::default(),
        data: [(pier_core::sessions::KEY_USER_ID.to_string(), serde_json::json!(user_id))].into_iter().collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.unwrap();
    record.id
}

pub fn new_user(name: &str, role: Role) -> NewUser {
    NewUser { username: name.into(), email: format!("{name}@example.com"), password: "correct horse battery".into(), role }
}

pub fn ctx() -> RequestContext {
    RequestContext { ip: Some("127.0.0.9".into()), user_agent: Some("test".into()), token: None }
}

pub fn api(e: AccountError) -> ApiError {
    e.into()
}


/// Waits for a job to reach a final state (tests that run real jobs).
pub async fn settle(core: &pier_core::Core, job: i64) -> pier_proto::jobs::JobView {
    for _ in 0..400 {
        let j = core.jobs.get(&pier_core::actor::Actor::System, job).await.unwrap();
        if j.state.is_final() {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {job} did not finish");
}

/// The whole core on a fresh data dir under `dir`, with two job workers running (they stop
/// when the returned sender is dropped).
pub async fn running_core(dir: &std::path::Path) -> (pier_core::Core, tokio::sync::watch::Sender<bool>) {
    running_core_with(dir, |_| {}).await
}

/// `running_core` with the configuration adjusted first.
pub async fn running_core_with(dir: &std::path::Path, adjust: impl FnOnce(&mut Config)) -> (pier_core::Core, tokio::sync::watch::Sender<bool>) {
    let mut config = Config::load(None, Vec::new()).unwrap();
    config.data_dir = dir.join("data");
    adjust(&mut config);
    let core = pier_core::Core::open(config).await.unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    core.jobs.spawn_workers(2, stop_rx);
    (core, stop)
}

/// Forwards TCP connections to libvirtd's unix socket, so `qemu+tcp://127.0.0.1:PORT/system`
/// reaches the real daemon while the proxy runs and nothing when it stops.
pub async fn libvirt_proxy(listener: tokio::net::TcpListener) {
    loop {
        let Ok((mut tcp, _)) = listener.accept().await else { return };
        tokio::spawn(async move {
            if let Ok(mut unix) = tokio::net::UnixStream::connect("/var/run/libvirt/libvirt-sock").await {
                let _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix).await;
            }
        });
    }
}

/// Whether libvirtd (on this machine) has a storage pool on `dir`.
pub fn has_dir_pool(dir: &std::path::Path) -> bool {
    let out = std::process::Command::new("virsh").args(["-q", "-c", "qemu:///system", "pool-list", "--all", "--name"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().any(|name| {
        let xml = std::process::Command::new("virsh").args(["-c", "qemu:///system", "pool-dumpxml", name.trim()]).output().unwrap();
        String::from_utf8_lossy(&xml.stdout).contains(&format!("<path>{}</path>", dir.display()))
    })
}

/// A VPS row owned by `owner` on a host row of its own (no libvirt domain behind it): for tests
/// of what reads VPSs (monitoring, alerts) without making one.
pub async fn vps_row(db: &sea_orm::DatabaseConnection, owner: i64, name: &str) -> i64 {
    use sea_orm::{ActiveModelTrait, Set};
    let now = time::OffsetDateTime::now_utc();
    let host = pier_core::entity::host::ActiveModel {
        name: Set(format!("h-{name}")),
        uri: Set("test:///default".into()),
        storage_dir: Set("/tmp".into()),
        cpu_overcommit: Set(1.0),
        ram_overcommit: Set(1.0),
        maintenance: Set(false),
        status: Set("connected".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    pier_core::entity::vps::ActiveModel {
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        name: Set(name.into()),
        hostname: Set(name.into()),
        owner_id: Set(owner),
        host_id: Set(host.id),
        vcpus: Set(1),
        memory_mib: Set(128),
        disk_gb: Set(1),
        network: Set("private".into()),
        state: Set("running".into()),
        domain_name: Set(format!("pier-{name}")),
        disk_path: Set(String::new()),
        seed_path: Set(String::new()),
        expiry_action: Set("notify".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// An account of `role` made by `admin`, as the actor the services take.
pub async fn person(core: &pier_core::Core, admin: &pier_core::actor::Actor, name: &str, role: Role) -> pier_core::actor::Actor {
    pier_core::accounts::actor_of(&core.accounts.create_user(admin, new_user(name, role), &ctx()).await.unwrap())
}
