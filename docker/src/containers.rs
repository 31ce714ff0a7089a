//! Container lifecycle: list, create from a validated request, act, remove, inspect.

use crate::engine::Engine;
use crate::error::DockerError;
use bollard::models::{ContainerCreateBody, HostConfig, Mount as DockerMount, MountType, PortBinding, RestartPolicy as DockerRestart, RestartPolicyNameEnum};
use bollard::query_parameters::{
    CreateContainerOptions, KillContainerOptions, ListContainersOptions, RemoveContainerOptions, RestartContainerOptions, StopContainerOptions,
};
use pier_proto::containers::{ContainerAction, ContainerChange, ContainerState, NewContainer, PortMapping, Protocol, RestartPolicy};
use std::collections::HashMap;

/// A container as dockerd lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    pub image: String,
    /// The image's id (`sha256:…`), whatever name it was created by.
    pub image_id: String,
    pub state: ContainerState,
    pub status: String,
    pub labels: HashMap<String, String>,
    pub ports: Vec<PortMapping>,
    pub created: i64,
}

/// Seconds `stop` and `restart` give the main process before SIGKILL (Docker's default).
pub const STOP_GRACE_SECS: i32 = 10;

fn restart_name(p: RestartPolicy) -> RestartPolicyNameEnum {
    match p {
        RestartPolicy::No => RestartPolicyNameEnum::NO,
        RestartPolicy::OnFailure => RestartPolicyNameEnum::ON_FAILURE,
        RestartPolicy::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
        RestartPolicy::Always => RestartPolicyNameEnum::ALWAYS,
    }
}

fn proto_of(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
    }
}

/// The create body for `new` (already validated), with Pier's labels added. Every value goes
/// into its own JSON field: nothing is joined into a command line.
pub fn create_body(new: &NewContainer, labels: HashMap<String, String>) -> ContainerCreateBody {
    let mut all_labels: HashMap<String, String> = new.labels.iter().cloned().collect();
    all_labels.extend(labels);
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &new.ports {
        let key = format!("{}/{}", p.container_port, proto_of(p.protocol));
        let host_ip = if p.public { "0.0.0.0" } else { "127.0.0.1" };
        bindings.entry(key).or_insert_with(|| Some(Vec::new())).get_or_insert_with(Vec::new).push(PortBinding {
            host_ip: Some(host_ip.to_string()),
            host_port: Some(p.host_port.to_string()),
        });
    }
    let mounts = new
        .mounts
        .iter()
        .map(|m| DockerMount {
            target: Some(m.target.clone()),
            source: Some(m.source.clone()),
            typ: Some(if m.source.starts_with('/') { MountType::BIND } else { MountType::VOLUME }),
            read_only: Some(m.read_only),
            ..Default::default()
        })
        .collect::<Vec<_>>();
    ContainerCreateBody {
        image: Some(new.image.clone()),
        cmd: (!new.command.is_empty()).then(|| new.command.clone()),
        env: Some(new.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(all_labels),
        exposed_ports: Some(bindings.keys().cloned().collect()),
        host_config: Some(HostConfig {
            port_bindings: Some(bindings),
            mounts: Some(mounts),
            restart_policy: Some(DockerRestart { name: Some(restart_name(new.restart)), maximum_retry_count: None }),
            memory: new.memory_mib.map(|m| (m as i64) << 20),
            nano_cpus: new.cpus.map(|c| (c * 1e9) as i64),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl Engine {
    pub async fn list_containers(&self) -> Result<Vec<ContainerInfo>, DockerError> {
        let list = self.docker.list_containers(Some(ListContainersOptions { all: true, ..Default::default() })).await.map_err(|e| self.unreachable(e))?;
        Ok(list
            .into_iter()
            .map(|c| ContainerInfo {
                id: c.id.unwrap_or_default(),
                name: c.names.unwrap_or_default().first().map(|n| n.trim_start_matches('/').to_string()).unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                image_id: c.image_id.unwrap_or_default(),
                state: ContainerState::parse(&c.state.map(|s| s.to_string()).unwrap_or_default()),
                status: c.status.unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
                ports: c
                    .ports
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| {
                        Some(PortMapping {
                            host_port: p.public_port?,
                            container_port: p.private_port,
                            protocol: if p.typ.map(|t| t.to_string()).as_deref() == Some("udp") { Protocol::Udp } else { Protocol::Tcp },
                            public: p.ip.as_deref().is_some_and(|ip| ip != "127.0.0.1" && ip != "::1"),
                        })
                    })
                    .collect(),
                created: c.created.unwrap_or(0),
            })
            .collect())
    }

    /// The container named or with id `id`.
    pub async fn container(&self, id: &str) -> Result<ContainerInfo, DockerError> {
        self.list_containers()
            .await?
            .into_iter()
            .find(|c| c.id == id || c.name == id || (id.len() >= 12 && c.id.starts_with(id)))
            .ok_or_else(|| DockerError::NoContainer(id.to_string()))
    }

    /// Creates (and optionally starts) a container; returns its id.
    pub async fn create_container(&self, new: &NewContainer, labels: HashMap<String, String>) -> Result<String, DockerError> {
        let options = CreateContainerOptions { name: Some(new.name.clone()), ..Default::default() };
        let made = self.docker.create_container(Some(options), create_body(new, labels)).await.map_err(|e| DockerError::from_bollard(e, &new.image))?;
        if new.start {
            if let Err(e) = self.docker.start_container(&made.id, None).await {
                // Created but not startable (port taken, bad command): say why, leave nothing.
                let _ = self.docker.remove_container(&made.id, Some(RemoveContainerOptions { force: true, ..Default::default() })).await;
                return Err(DockerError::from_bollard(e, &new.name));
            }
        }
        Ok(made.id)
    }

    pub async fn act(&self, id: &str, action: ContainerAction) -> Result<(), DockerError> {
        let d = &self.docker;
        let r = match action {
            ContainerAction::Start => d.start_container(id, None).await,
            ContainerAction::Stop => d.stop_container(id, Some(StopContainerOptions { t: Some(STOP_GRACE_SECS), signal: None })).await,
            ContainerAction::Restart => d.restart_container(id, Some(RestartContainerOptions { t: Some(STOP_GRACE_SECS), signal: None })).await,
            ContainerAction::Kill => d.kill_container(id, Some(KillContainerOptions { signal: "SIGKILL".into() })).await,
            ContainerAction::Pause => d.pause_container(id).await,
            ContainerAction::Unpause => d.unpause_container(id).await,
        };
        r.map_err(|e| DockerError::from_bollard(e, id))
    }

    pub async fn rename_container(&self, id: &str, name: &str) -> Result<(), DockerError> {
        self.docker
            .rename_container(id, bollard::query_parameters::RenameContainerOptions { name: name.to_string() })
            .await
            .map_err(|e| DockerError::from_bollard(e, id))
    }

    /// Changes limits and restart policy of an existing container (no restart needed).
    /// `memory_mib: Some(0)` / `cpus: Some(0.0)` remove a limit; `None` leaves it.
    pub async fn update_container(&self, id: &str, change: &ContainerChange) -> Result<(), DockerError> {
        let body = bollard::models::ContainerUpdateBody {
            // Swap follows memory (-1: unlimited swap would let the limit be exceeded).
            memory: change.memory_mib.map(|m| (m as i64) << 20),
            memory_swap: change.memory_mib.map(|m| if m == 0 { -1 } else { ((m as i64) << 20) * 2 }),
            nano_cpus: change.cpus.map(|c| (c * 1e9) as i64),
            restart_policy: change.restart.map(|r| DockerRestart { name: Some(restart_name(r)), maximum_retry_count: None }),
            ..Default::default()
        };
        self.docker.update_container(id, body).await.map_err(|e| DockerError::from_bollard(e, id))
    }

    /// Removes the container (stopping it first); `volumes` also removes its anonymous volumes.
    pub async fn remove_container(&self, id: &str, volumes: bool) -> Result<(), DockerError> {
        self.docker
            .remove_container(id, Some(RemoveContainerOptions { force: true, v: volumes, ..Default::default() }))
            .await
            .map_err(|e| DockerError::from_bollard(e, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pier_proto::containers::Mount;

    #[test]
    fn ports_bind_to_loopback_unless_public_and_values_stay_whole() {
        let new = NewContainer {
            engine_id: None,
            name: "web".into(),
            image: "busybox".into(),
            command: vec!["sh".into(), "-c".into(), "echo $X; rm -rf /".into()],
            env: vec![("X".into(), "a b;c".into())],
            ports: vec![
                PortMapping { host_port: 8080, container_port: 80, protocol: Protocol::Tcp, public: false },
                PortMapping { host_port: 5353, container_port: 53, protocol: Protocol::Udp, public: true },
            ],
            mounts: vec![Mount { source: "data".into(), target: "/data".into(), read_only: true }],
            restart: RestartPolicy::UnlessStopped,
            memory_mib: Some(64),
            cpus: Some(0.5),
            labels: vec![],
            start: false,
        };
        let body = create_body(&new, HashMap::from([(crate::LABEL_OWNER.into(), "7".into())]));
        let host = body.host_config.unwrap();
        let b = host.port_bindings.unwrap();
        assert_eq!(b["80/tcp"].as_ref().unwrap()[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(b["53/udp"].as_ref().unwrap()[0].host_ip.as_deref(), Some("0.0.0.0"));
        assert_eq!(body.cmd.unwrap()[2], "echo $X; rm -rf /", "one argument, never split");
        assert_eq!(body.env.unwrap(), vec!["X=a b;c"]);
        assert_eq!(host.memory, Some(64 << 20));
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.mounts.unwrap()[0].typ, Some(MountType::VOLUME));
        assert_eq!(body.labels.unwrap()[crate::LABEL_OWNER], "7");
    }
}
