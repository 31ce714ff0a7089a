//! SeaORM entities: the rows as the server sees them. Wire types live in `pier-proto`.

pub mod audit;
pub mod job;
pub mod session;
pub mod setup_token;
pub mod user;
