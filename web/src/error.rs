//! One error type for the engine; nginx's own words are kept.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebError {
    /// `nginx -t` refused the new version: nothing live changed. `site` and `line` point into
    /// the rendered file when nginx named one of the sites' files.
    #[error("nginx refused the configuration{}: {message}", site.as_ref().map(|s| format!(" (site {s}, line {})", line.unwrap_or(0))).unwrap_or_default())]
    Rejected { site: Option<String>, line: Option<u32>, message: String, version: String },
    /// The new version passed the test but nginx could not load it (a port in use, say); the
    /// previous version was put back and is serving.
    #[error("nginx could not load the new configuration and the previous one was restored: {message}")]
    ReloadFailed { message: String, rolled_back: bool },
    /// A value that must never reach a configuration file (the model's validation was skipped).
    #[error("refusing to write {0:?} into the configuration")]
    Unsafe(String),
    #[error("nginx could not be run ({binary}): {message}")]
    Binary { binary: String, message: String },
    #[error("{0}")]
    Io(String),
}

impl From<std::io::Error> for WebError {
    fn from(e: std::io::Error) -> Self {
        WebError::Io(e.to_string())
    }
}
