//! Pier's libvirt engine. Everything here is blocking (libvirt's C API is); callers run it on
//! blocking threads. No database, no HTTP: the core's VPS service decides what to do, this crate
//! does it against one libvirt connection.
//!
//! Domain XML is produced by an XML writer from a typed `DomainSpec` — never by pasting strings —
//! so a name or path can never inject elements.

pub mod domain;
pub use domain::PowerAction;
pub mod error;
pub mod events;
pub mod read_xml;
pub mod snapshots;
pub mod stats;
pub mod storage;
pub mod console;
pub mod host;
pub mod xml;

pub use domain::{DomainState, DomainSummary};
pub use error::VmmError;
pub use events::{DomainEvent, EventWatch};
pub use snapshots::SnapshotInfo;
pub use stats::DomainStats;
pub use host::{HostInfo, Hypervisor};
pub use xml::{DiskSpec, DomainSpec, GraphicsSpec, NetworkSpec};
