//! Reusable UI pieces. Pages compose these; none of them calls the server.

pub mod client_only;
pub mod confirm;
pub mod chart;
pub mod empty;
pub mod error_box;
pub mod form;
pub mod icon;
pub mod progress;
pub mod shell;
pub mod theme;
pub mod toast;
pub mod upload;
