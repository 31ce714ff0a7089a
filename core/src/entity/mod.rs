//! SeaORM entities: the rows as the server sees them. Wire types live in `pier-proto`.

pub mod acme_account;
pub mod api_token;
pub mod audit;
pub mod certificate;
pub mod container;
pub mod container_script;
pub mod engine;
pub mod health_event;
pub mod host;
pub mod image;
pub mod image_access;
pub mod ip_address;
pub mod ip_pool;
pub mod job;
pub mod password_reset;
pub mod plan;
pub mod pool;
pub mod recovery_code;
pub mod session;
pub mod setting;
pub mod setup_token;
pub mod site;
pub mod site_version;
pub mod ssh_key;
pub mod user;
pub mod vps;
