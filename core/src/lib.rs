//! Pier's server-side core: configuration, database, services, jobs and events.
//!
//! No Leptos and no HTTP here: the adapters (server functions in `app`, REST in the `pier`
//! binary) authenticate, call one service method with an `Actor`, and map the error.

pub mod accounts;
pub mod alerts;
pub mod actor;
pub mod audit;
pub mod compute;
pub mod containers;
pub mod dashboard;
pub mod service_error;
pub mod config;
pub mod db;
pub mod entity;
pub mod events;
pub mod health;
pub mod jobs;
pub mod monitoring;
pub mod secrets;
pub mod sessions;
pub mod settings;
pub mod sites;
pub mod upload;

use config::Config;
use events::EventBus;
use health::HealthChecker;
use jobs::{Jobs, Registry};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

/// Everything a request handler may need, cheap to clone.
#[derive(Clone)]
pub struct Core {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub bus: EventBus,
    pub jobs: Jobs,
    pub health: HealthChecker,
    pub audit: audit::Audit,
    pub accounts: accounts::Accounts,
    pub sessions: sessions::DbSessionStore,
    pub settings: settings::Settings,
    pub compute: compute::Compute,
    pub containers: containers::Containers,
    pub sites: sites::Sites,
    pub monitoring: monitoring::Monitoring,
    pub alerts: alerts::Alerts,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory: {0}")]
    DataDir(String),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Secrets(#[from] secrets::SecretError),
    #[error("loading settings: {0}")]
    Settings(#[from] sea_orm::DbErr),
}

impl Core {
    /// Opens the data dir and database, applies migrations and wires the services. Workers are
    /// started separately (`Jobs::spawn_workers`) so commands like `pier migrate` do not run jobs.
    pub async fn open(config: Config) -> Result<Core, StartError> {
        health::ensure_writable_dir(&config.data_dir()).map_err(StartError::DataDir)?;
        let db = db::connect(&config).await?;
        db::migrate(&db).await?;
        let secrets = secrets::SecretBox::load(config.secret_key.as_deref(), &config.data_dir())?;
        let core = Self::with_db(config, db, secrets);
        core.settings.reload().await?;
        if core.config.docker.enabled {
            core.containers.ensure_default_engine(&core.config.docker.host).await?;
        }
        Ok(core)
    }

    /// Wires the services on an open, migrated database (settings still at their defaults).
    pub fn with_db(config: Config, db: DatabaseConnection, secrets: secrets::SecretBox) -> Core {
        let bus = EventBus::new();
        let health = HealthChecker::new(config.clone(), Some(db.clone()));
        let mut registry = Registry::new();
        registry.register(Arc::new(jobs::kinds::SystemCheck { checker: health.clone() }));
        registry.register(Arc::new(jobs::kinds::WorkerTest));
        registry.register(Arc::new(compute::images::InspectImage { db: db.clone() }));
        let audit = audit::Audit::new(db.clone());
        let compute = compute::Compute::new(db.clone(), audit.clone(), bus.clone());
        registry.register(Arc::new(compute::vps::CreateVps { compute: compute.clone() }));
        registry.register(Arc::new(compute::power::PowerVps { compute: compute.clone() }));
        registry.register(Arc::new(compute::removal::DeleteVps { compute: compute.clone() }));
        registry.register(Arc::new(compute::removal::ReinstallVps { create: compute::vps::CreateVps { compute: compute.clone() } }));
        registry.register(Arc::new(compute::snapshots::SnapshotJob { compute: compute.clone() }));
        let containers = containers::Containers::new(db.clone(), audit.clone(), bus.clone(), config.data_dir().join("container-data"));
        for kind in [pier_proto::containers::KIND_IMAGE_LOAD, pier_proto::containers::KIND_IMAGE_BUILD, pier_proto::containers::KIND_IMAGE_PULL] {
            registry.register(Arc::new(containers::images::ImageJob { kind, containers: containers.clone() }));
        }
        let sites = sites::Sites::new(db.clone(), audit.clone(), bus.clone(), secrets.clone(), sites::SitesConfig::from_config(&config));
        registry.register(Arc::new(sites::acme::IssueCertificate { sites: sites.clone() }));
        let jobs = Jobs::new(db.clone(), bus.clone(), registry, Duration::from_secs(config.jobs.lease_seconds), config.is_sqlite());
        let sessions = sessions::DbSessionStore::new(db.clone());
        let settings = settings::Settings::new(db.clone());
        let alerts = alerts::Alerts::new(db.clone(), audit.clone(), bus.clone(), secrets.clone(), settings.clone(), config.monitoring.interval_s);
        let accounts = accounts::Accounts::new(db.clone(), audit.clone(), sessions.clone(), secrets, settings.clone());
        let monitoring = monitoring::Monitoring::new(db.clone(), bus.clone(), &config.monitoring);
        Core { config: Arc::new(config), db, bus, jobs, health, audit, accounts, sessions, settings, compute, containers, sites, monitoring, alerts }
    }
}
