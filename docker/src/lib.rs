//! Pier's Docker engine, on bollard. Everything async; no database, no users: the core's
//! containers service decides what to do, this crate does it against one dockerd.
//!
//! Ownership is recorded on the container itself as labels (`io.pier.*`), so a container keeps
//! saying who it belongs to even if Pier's database is restored from an older backup.

pub mod containers;
pub mod engine;
pub mod error;
pub mod events;
pub mod exec;
pub mod files;
pub mod images;
pub mod logs;
pub mod stats;
pub mod test_images;

pub use engine::{Engine, EngineInfo};
pub use error::DockerError;

/// Label: "this container was made by Pier".
pub const LABEL_MANAGED: &str = "io.pier.managed";
/// Label: the Pier user id that owns the container.
pub const LABEL_OWNER: &str = "io.pier.owner";
