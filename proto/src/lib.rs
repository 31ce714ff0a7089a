//! Wire types shared by the Pier server and the browser app.
//!
//! Everything here compiles to WASM: no I/O, no server crates. A type belongs here when it crosses
//! the network (server functions, REST, the live socket) or when both sides must agree on a rule
//! (validators), so a form shows the same error the server would give.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod compute;
pub mod certificates;
pub mod containers;
pub mod dashboard;
pub mod error;
pub mod health;
pub mod jobs;
pub mod live;
pub mod monitoring;
pub mod security;
pub mod sites;
pub mod vps;

pub use error::{ApiError, ErrorCode};
