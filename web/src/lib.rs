//! Pier's nginx engine. No database and no users: the sites service decides what the sites
//! are; this crate turns them into configuration text (`render`, from the typed model only) and
//! puts that text live safely (`apply`: a new version directory, `nginx -t` on the whole of it,
//! an atomic switch of the `live` link, a reload that is checked, and the previous version put
//! back when the reload fails).

pub mod acme;
pub use instant_acme::Account as AcmeAccount;
pub mod apply;
pub mod certs;
pub mod control;
pub mod dns;
pub mod error;
pub mod metrics;
pub mod probe;
pub mod render;

pub use apply::{Applied, Nginx, SiteFiles};
pub use error::WebError;
