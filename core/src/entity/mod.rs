//! SeaORM entities: the rows as the server sees them. Wire types live in `pier-proto`.

pub mod api_token;
pub mod audit;
pub mod job;
pub mod password_reset;
pub mod recovery_code;
pub mod session;
pub mod setting;
pub mod setup_token;
pub mod ssh_key;
pub mod user;
