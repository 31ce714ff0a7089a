//! SeaORM entities: the rows as the server sees them. Wire types live in `pier-proto`.

pub mod job;
