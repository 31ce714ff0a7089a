//! Connecting to a dockerd and asking what it is.

use crate::error::DockerError;
use bollard::Docker;
use std::path::Path;

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
        Self::connect_with(endpoint, None)
    }

    /// Any endpoint Pier supports: `unix://`, `tcp://` (plain HTTP), `tcp+tls://` with the
    /// client certificate, key and CA from `tls_dir` (`cert.pem`, `key.pem`, `ca.pem`, as
    /// `docker --tlsverify` uses them).
    pub fn connect_with(endpoint: &str, tls_dir: Option<&Path>) -> Result<Engine, DockerError> {
        let fail = |e: bollard::errors::Error| DockerError::Connect { endpoint: endpoint.to_string(), message: e.to_string() };
        let version = bollard::API_DEFAULT_VERSION;
        let docker = if let Some(addr) = endpoint.strip_prefix("tcp+tls://") {
            let dir = tls_dir.ok_or_else(|| DockerError::Connect { endpoint: endpoint.to_string(), message: "no certificate folder given".into() })?;
            for f in ["ca.pem", "cert.pem", "key.pem"] {
                if !dir.join(f).is_file() {
                    return Err(DockerError::Connect { endpoint: endpoint.to_string(), message: format!("{} is missing", dir.join(f).display()) });
                }
            }
            Docker::connect_with_ssl(addr, &dir.join("key.pem"), &dir.join("cert.pem"), &dir.join("ca.pem"), TIMEOUT_SECS, version).map_err(fail)?
        } else if let Some(addr) = endpoint.strip_prefix("tcp://") {
            Docker::connect_with_http(&format!("http://{addr}"), TIMEOUT_SECS, version).map_err(fail)?
        } else {
            let path = endpoint.strip_prefix("unix://").unwrap_or(endpoint);
            Docker::connect_with_socket(path, TIMEOUT_SECS, version).map_err(fail)?
        };
        Ok(Engine { docker, endpoint: endpoint.to_string() })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn unreachable(&self, e: bollard::errors::Error) -> DockerError {
        DockerError::Connect { endpoint: self.endpoint.clone(), message: e.to_string() }
    }

    /// Docker's `/_ping`: the cheapest sign the engine answers.
    pub async fn ping(&self) -> Result<(), DockerError> {
        self.docker.ping().await.map(|_| ()).map_err(|e| self.unreachable(e))
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
