//! One error type for the engine; messages are libvirt's own words, trimmed.

#[derive(Debug, thiserror::Error)]
pub enum VmmError {
    /// The host cannot be reached (daemon down, SSH refused, TLS failure).
    #[error("cannot connect to {uri}: {message}")]
    Connect { uri: String, message: String },
    #[error("no domain named {0:?} on this host")]
    NoDomain(String),
    #[error("no snapshot named {0:?}")]
    NoSnapshot(String),
    /// The action does not fit the domain's current state (start a running one, ...).
    #[error("{0}")]
    InvalidState(String),
    /// The guest agent is not installed, not running, or not answering.
    #[error("the QEMU guest agent is not available: {0}")]
    NoGuestAgent(String),
    #[error("libvirt: {0}")]
    Libvirt(String),
    #[error("building domain XML: {0}")]
    Xml(String),
}

impl VmmError {
    pub(crate) fn libvirt(e: virt::error::Error) -> Self {
        VmmError::Libvirt(e.message().trim().to_string())
    }
}
