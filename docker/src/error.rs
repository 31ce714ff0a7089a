//! One error type for the engine; messages are dockerd's own words.

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// dockerd cannot be reached (socket missing, connection refused, timeout).
    #[error("cannot reach the Docker engine at {endpoint}: {message}")]
    Connect { endpoint: String, message: String },
    #[error("no container {0:?}")]
    NoContainer(String),
    #[error("no image {0:?} on this engine")]
    NoImage(String),
    #[error("no file or folder {0} in the container")]
    NoPath(String),
    #[error("{path} is {size} bytes; files up to {limit} bytes open here (download it instead)")]
    TooLarge { path: String, size: u64, limit: u64 },
    /// The request does not fit the container's state, or a name/port is taken.
    #[error("{0}")]
    Conflict(String),
    /// dockerd refused the request as invalid.
    #[error("{0}")]
    Invalid(String),
    #[error("Docker: {0}")]
    Engine(String),
}

impl DockerError {
    /// Maps bollard's error to ours, keeping dockerd's message.
    pub(crate) fn from_bollard(e: bollard::errors::Error, what: &str) -> DockerError {
        use bollard::errors::Error as B;
        match e {
            B::DockerResponseServerError { status_code: 404, message } if message.contains("image") => DockerError::NoImage(what.to_string()),
            B::DockerResponseServerError { status_code: 404, .. } => DockerError::NoContainer(what.to_string()),
            B::DockerResponseServerError { status_code: 409, message } | B::DockerResponseServerError { status_code: 304, message } => DockerError::Conflict(message),
            B::DockerResponseServerError { status_code: 400, message } => DockerError::Invalid(message),
            B::DockerResponseServerError { message, .. } => DockerError::Engine(message),
            other => DockerError::Engine(other.to_string()),
        }
    }
}
