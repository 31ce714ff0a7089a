//! Docker's `/events` stream, reduced to what the panel follows: container lifecycle changes.

use crate::engine::Engine;
use crate::error::DockerError;
use bollard::query_parameters::EventsOptions;
use futures::{Stream, StreamExt};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvent {
    pub id: String,
    pub name: String,
    /// Docker's action: create, start, die, stop, kill, pause, unpause, destroy, rename, health_status: …
    pub action: String,
    /// The exit code on `die`.
    pub exit_code: Option<i64>,
    pub labels: HashMap<String, String>,
}

impl Engine {
    /// Container events from now on. The stream ends (or yields an error) when dockerd goes
    /// away; the caller reconnects and reconciles.
    pub fn container_events(&self) -> impl Stream<Item = Result<ContainerEvent, DockerError>> + Send + 'static {
        let filters = HashMap::from([("type".to_string(), vec!["container".to_string()])]);
        let endpoint = self.endpoint().to_string();
        self.docker.events(Some(EventsOptions { filters: Some(filters), ..Default::default() })).map(move |e| {
            let e = e.map_err(|e| DockerError::Connect { endpoint: endpoint.clone(), message: e.to_string() })?;
            let actor = e.actor.unwrap_or_default();
            let mut attrs = actor.attributes.unwrap_or_default();
            let name = attrs.remove("name").unwrap_or_default();
            let exit_code = attrs.get("exitCode").and_then(|c| c.parse().ok());
            // What remains are the container's labels (and the image name).
            attrs.remove("image");
            Ok(ContainerEvent { id: actor.id.unwrap_or_default(), name, action: e.action.unwrap_or_default(), exit_code, labels: attrs })
        })
    }
}
