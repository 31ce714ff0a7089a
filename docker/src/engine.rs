//! Connecting to a dockerd and asking what it is.

use crate::error::DockerError;
use bollard::Docker;

/// Seconds a request may take before it counts as a failure.
const TIMEOUT_SECS: u64 = 30;

#[derive(Clone)]
pub struct Engine {
    pub(crate) docker: Docker,
    endpoint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineInfo {
    pub name: String,
    pub version: String,
    pub api_version: String,
    pub os: String,
    pub containers: i64,
    pub running: i64,
    pub paused: i64,
    pub stopped: i64,
    pub images: i64,
}

impl Engine {
    /// `unix:///var/run/docker.sock` (or a bare path) or `tcp://host:port`. Connecting is lazy:
    /// the first request finds out whether dockerd answers.
    pub fn connect(endpoint: &str) -> Result<Engine, DockerError> {
        let fail = |e: bollard::errors::Error| DockerError::Connect { endpoint: endpoint.to_string(), message: e.to_string() };
        let docker = if let Some(addr) = endpoint.strip_prefix("tcp://") {
            Docker::connect_with_http(&format!("http://{addr}"), TIMEOUT_SECS, bollard::API_DEFAULT_VERSION).map_err(fail)?
        } else {
            let path = endpoint.strip_prefix("unix://").unwrap_or(endpoint);
            Docker::connect_with_socket(path, TIMEOUT_SECS, bollard::API_DEFAULT_VERSION).map_err(fail)?
        };
        Ok(Engine { docker, endpoint: endpoint.to_string() })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn unreachable(&self, e: bollard::errors::Error) -> DockerError {
        DockerError::Connect { endpoint: self.endpoint.clone(), message: e.to_string() }
    }

    pub async fn info(&self) -> Result<EngineInfo, DockerError> {
        let v = self.docker.version().await.map_err(|e| self.unreachable(e))?;
        let i = self.docker.info().await.map_err(|e| self.unreachable(e))?;
        Ok(EngineInfo {
            name: i.name.unwrap_or_default(),
            version: v.version.unwrap_or_default(),
            api_version: v.api_version.unwrap_or_default(),
            os: v.os.unwrap_or_default(),
            containers: i.containers.unwrap_or(0),
            running: i.containers_running.unwrap_or(0),
            paused: i.containers_paused.unwrap_or(0),
            stopped: i.containers_stopped.unwrap_or(0),
            images: i.images.unwrap_or(0),
        })
    }
}
