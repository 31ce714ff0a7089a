//! Containers on Docker engines: states, actions, the create request and its validation.

use crate::ApiError;
use serde::{Deserialize, Serialize};

/// Docker's container states, as Pier shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Exited,
    Dead,
    Removing,
}

impl ContainerState {
    pub fn parse(s: &str) -> ContainerState {
        match s {
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "exited" => Self::Exited,
            "dead" => Self::Dead,
            "removing" => Self::Removing,
            _ => Self::Created,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Exited => "exited",
            Self::Dead => "dead",
            Self::Removing => "removing",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerAction {
    Start,
    Stop,
    Restart,
    Kill,
    Pause,
    Unpause,
}

impl ContainerAction {
    pub const ALL: [ContainerAction; 6] = [Self::Start, Self::Stop, Self::Restart, Self::Kill, Self::Pause, Self::Unpause];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
            Self::Kill => "kill",
            Self::Pause => "pause",
            Self::Unpause => "unpause",
        }
    }

    /// Whether the action makes sense from `state` (the same table disables buttons and refuses
    /// requests).
    pub fn allowed_from(self, state: ContainerState) -> bool {
        use ContainerState as S;
        match self {
            Self::Start => matches!(state, S::Created | S::Exited | S::Dead),
            Self::Stop | Self::Kill => matches!(state, S::Running | S::Restarting),
            Self::Restart => matches!(state, S::Running | S::Exited | S::Created | S::Restarting),
            Self::Pause => state == S::Running,
            Self::Unpause => state == S::Paused,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    #[default]
    No,
    OnFailure,
    UnlessStopped,
    Always,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::No => "no",
            Self::OnFailure => "on-failure",
            Self::UnlessStopped => "unless-stopped",
            Self::Always => "always",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

/// A published port. `public: false` binds it to 127.0.0.1 (the default: a container is not
/// reachable from the network unless someone chooses so).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    pub host_port: u16,
    pub container_port: u16,
    #[serde(default)]
    pub protocol: Protocol,
    #[serde(default)]
    pub public: bool,
}

/// A bind mount from the engine's host; the source must lie under the allowed root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// A named volume (`data`) or an absolute host path.
    pub source: String,
    pub target: String,
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewContainer {
    pub engine_id: Option<i64>,
    pub name: String,
    pub image: String,
    /// Arguments, one per entry (never split from a shell line).
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub env: Vec<(String, String)>,
    #[serde(default)]
    pub ports: Vec<PortMapping>,
    #[serde(default)]
    pub mounts: Vec<Mount>,
    #[serde(default)]
    pub restart: RestartPolicy,
    /// Memory limit in MiB (none when absent).
    pub memory_mib: Option<u64>,
    /// CPU limit in CPUs (0.5 = half a CPU).
    pub cpus: Option<f64>,
    #[serde(default)]
    pub labels: Vec<(String, String)>,
    #[serde(default = "yes")]
    pub start: bool,
}

fn yes() -> bool {
    true
}

/// Docker's own rule for container names.
pub fn validate_container_name(name: &str) -> Result<(), ApiError> {
    let ok = (2..=63).contains(&name.len())
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("name", "2–63 letters, digits, '.', '_' or '-', starting with a letter or digit."))
    }
}

/// An image reference: `name[:tag]`, `registry/name[:tag]` or `name@sha256:…`.
pub fn validate_image_ref(image: &str) -> Result<(), ApiError> {
    let ok = !image.is_empty()
        && image.len() <= 255
        && image.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@'))
        && !image.starts_with(['-', '/', ':', '@', '.']);
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("image", "Not an image reference (name[:tag] or name@sha256:…)."))
    }
}

fn validate_env_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Label keys Pier keeps for itself (ownership is recorded there).
pub const LABEL_PREFIX: &str = "io.pier.";

impl NewContainer {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_container_name(&self.name)?;
        validate_image_ref(&self.image)?;
        if self.command.len() > 64 || self.command.iter().any(|a| a.len() > 4096 || a.contains('\0')) {
            return Err(ApiError::invalid("command", "At most 64 arguments of up to 4096 characters, without NUL."));
        }
        for (k, v) in &self.env {
            if !validate_env_name(k) {
                return Err(ApiError::invalid("env", format!("{k:?} is not a variable name (letters, digits, '_', not starting with a digit).")));
            }
            if v.contains('\0') || v.len() > 32_768 {
                return Err(ApiError::invalid("env", format!("The value of {k} is too long or contains NUL.")));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for p in &self.ports {
            if p.host_port == 0 || p.container_port == 0 {
                return Err(ApiError::invalid("ports", "Ports are 1–65535."));
            }
            if !seen.insert((p.host_port, p.protocol)) {
                return Err(ApiError::invalid("ports", format!("Host port {} is published twice.", p.host_port)));
            }
        }
        for m in &self.mounts {
            if !m.target.starts_with('/') || m.target.contains("..") || m.target.contains('\0') {
                return Err(ApiError::invalid("mounts", format!("{:?} is not an absolute path inside the container.", m.target)));
            }
            let named = !m.source.is_empty() && m.source.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) && !m.source.starts_with(['.', '-']);
            if !named && !(m.source.starts_with('/') && !m.source.split('/').any(|part| part == "..") && !m.source.contains('\0')) {
                return Err(ApiError::invalid("mounts", format!("{:?} is neither a volume name nor an absolute host path.", m.source)));
            }
        }
        if self.memory_mib.is_some_and(|m| !(6..=1 << 20).contains(&m)) {
            return Err(ApiError::invalid("memory_mib", "Memory is 6 MiB to 1 TiB."));
        }
        if self.cpus.is_some_and(|c| !(0.01..=512.0).contains(&c) || !c.is_finite()) {
            return Err(ApiError::invalid("cpus", "CPUs are 0.01 to 512."));
        }
        for (k, v) in &self.labels {
            if k.is_empty() || k.len() > 128 || v.len() > 1024 || k.starts_with(LABEL_PREFIX) {
                return Err(ApiError::invalid("labels", format!("Label {k:?} is empty, too long, or one Pier keeps for itself.")));
            }
        }
        Ok(())
    }
}

/// A container as the panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerView {
    /// Docker's id (64 hex).
    pub id: String,
    pub engine_id: i64,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    /// Docker's words ("Up 5 minutes", "Exited (0) 2 seconds ago").
    pub status: String,
    /// Who owns it in Pier; `None` for a container made outside Pier (unmanaged).
    pub owner: Option<String>,
    pub ports: Vec<PortMapping>,
    pub created_at: i64,
}

/// A Docker engine as the panel shows it: reachable or not (in words), version and counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineView {
    pub id: i64,
    pub name: String,
    pub endpoint: String,
    pub connected: bool,
    pub error: Option<String>,
    pub version: Option<String>,
    pub api_version: Option<String>,
    pub containers: i64,
    pub running: i64,
    pub images: i64,
}

/// An image containers can be created from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerImage {
    pub engine_id: i64,
    pub id: String,
    pub tags: Vec<String>,
    pub size: i64,
}

/// Settings of an existing container: a new name, limits, restart policy (absent: unchanged;
/// a limit of 0 removes it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContainerChange {
    pub name: Option<String>,
    pub memory_mib: Option<u64>,
    pub cpus: Option<f64>,
    pub restart: Option<RestartPolicy>,
}

impl ContainerChange {
    pub fn validate(&self) -> Result<(), ApiError> {
        if let Some(n) = &self.name {
            validate_container_name(n)?;
        }
        if self.memory_mib.is_some_and(|m| m != 0 && !(6..=1 << 20).contains(&m)) {
            return Err(ApiError::invalid("memory_mib", "Memory is 6 MiB to 1 TiB (0 removes the limit)."));
        }
        if self.cpus.is_some_and(|c| !c.is_finite() || (c != 0.0 && !(0.01..=512.0).contains(&c))) {
            return Err(ApiError::invalid("cpus", "CPUs are 0.01 to 512 (0 removes the limit)."));
        }
        Ok(())
    }
}

/// Live figures of a running container, pushed every few seconds on `container:<short id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerStats {
    pub id: String,
    /// Share of one CPU ×100 per CPU (200 = two CPUs busy), as `docker stats` shows it.
    pub cpu_percent: f64,
    pub memory: u64,
    pub memory_limit: u64,
    pub net_rx_bps: u64,
    pub net_tx_bps: u64,
    pub block_read_bps: u64,
    pub block_write_bps: u64,
    pub pids: u64,
    pub restart_count: i64,
    pub health: Option<String>,
}

/// The live topic of container `id` (topics are short: the 12-character id).
pub fn stats_topic(id: &str) -> String {
    format!("container:{}", &id[..id.len().min(12)])
}

/// What a file-manager entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
    /// Permission bits (0o755).
    pub mode: u32,
    /// Unix seconds.
    pub modified: i64,
    pub link: Option<String>,
}

/// A file opened in the editor: its text, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextFile {
    pub path: String,
    pub size: u64,
    pub mode: u32,
    /// `None` when the file is binary (shown as such, download only).
    pub text: Option<String>,
}

/// Files above this open for download only, not in the editor.
pub const EDIT_LIMIT: u64 = 1 << 20;

/// Container ids as Pier accepts them in requests: Docker's hex id (full or short).
pub fn validate_container_id(id: &str) -> Result<(), ApiError> {
    if (12..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::invalid("id", "Not a container id."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str) -> NewContainer {
        NewContainer {
            engine_id: None,
            name: name.into(),
            image: "busybox:latest".into(),
            command: vec!["sh".into(), "-c".into(), "echo hi; sleep 1000".into()],
            env: vec![("GREETING".into(), "a; b $(c)".into())],
            ports: vec![PortMapping { host_port: 8080, container_port: 80, protocol: Protocol::Tcp, public: false }],
            mounts: vec![Mount { source: "data".into(), target: "/data".into(), read_only: false }],
            restart: RestartPolicy::UnlessStopped,
            memory_mib: Some(64),
            cpus: Some(0.5),
            labels: vec![("team".into(), "web".into())],
            start: true,
        }
    }

    #[test]
    fn a_reasonable_request_passes_and_each_bad_field_is_named() {
        assert_eq!(new("web-1").validate(), Ok(()));
        let field = |c: NewContainer| c.validate().unwrap_err().field.unwrap();
        assert_eq!(field(new("-x")), "name");
        assert_eq!(field(new("a b")), "name");
        let mut c = new("ok");
        c.image = "busy box".into();
        assert_eq!(field(c), "image");
        let mut c = new("ok");
        c.env = vec![("1X".into(), "v".into())];
        assert_eq!(field(c), "env");
        let mut c = new("ok");
        c.ports.push(c.ports[0].clone());
        assert_eq!(field(c), "ports");
        let mut c = new("ok");
        c.mounts = vec![Mount { source: "/srv/../etc".into(), target: "/x".into(), read_only: true }];
        assert_eq!(field(c), "mounts");
        let mut c = new("ok");
        c.mounts = vec![Mount { source: "data".into(), target: "relative".into(), read_only: true }];
        assert_eq!(field(c), "mounts");
        let mut c = new("ok");
        c.labels = vec![("io.pier.owner".into(), "me".into())];
        assert_eq!(field(c), "labels");
        let mut c = new("ok");
        c.cpus = Some(f64::NAN);
        assert_eq!(field(c), "cpus");
    }

    #[test]
    fn actions_fit_states() {
        use ContainerAction as A;
        use ContainerState as S;
        assert!(A::Start.allowed_from(S::Exited) && !A::Start.allowed_from(S::Running));
        assert!(A::Pause.allowed_from(S::Running) && !A::Pause.allowed_from(S::Paused));
        assert!(A::Unpause.allowed_from(S::Paused) && !A::Stop.allowed_from(S::Paused));
        assert_eq!(ContainerState::parse("exited"), S::Exited);
    }
}

/// An image on an engine as the images page shows it (staff): which containers use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineImage {
    pub engine_id: i64,
    pub id: String,
    pub tags: Vec<String>,
    pub size: i64,
    pub created: i64,
    /// Names of the containers (running or not) made from it: such an image is not removed.
    pub used_by: Vec<String>,
}

/// Build an image from an uploaded context archive (admins). The archive is the request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageBuild {
    pub engine_id: Option<i64>,
    /// `name:tag` to give the result.
    pub tag: String,
    /// The Dockerfile's path inside the archive.
    #[serde(default = "default_dockerfile")]
    pub dockerfile: String,
}

fn default_dockerfile() -> String {
    "Dockerfile".into()
}

impl ImageBuild {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_image_ref(&self.tag).map_err(|e| ApiError { field: Some("tag".into()), ..e })?;
        if self.tag.contains('@') {
            return Err(ApiError::invalid("tag", "A build is tagged name:tag, not with a digest."));
        }
        let d = &self.dockerfile;
        let ok = !d.is_empty()
            && d.len() <= 255
            && !d.starts_with('/')
            && d.split('/').all(|p| !p.is_empty() && p != "." && p != "..")
            && d.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
        if ok {
            Ok(())
        } else {
            Err(ApiError::invalid("dockerfile", "A relative path inside the archive (like Dockerfile or docker/Dockerfile.prod)."))
        }
    }
}

/// Pull an image from its registry (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePull {
    pub engine_id: Option<i64>,
    pub reference: String,
}

impl ImagePull {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_image_ref(&self.reference).map_err(|e| ApiError { field: Some("reference".into()), ..e })
    }
}

/// The job kinds of image work (each run shows progress and the engine's own words).
pub const KIND_IMAGE_LOAD: &str = "container_image.load";
pub const KIND_IMAGE_BUILD: &str = "container_image.build";
pub const KIND_IMAGE_PULL: &str = "container_image.pull";

/// Scripts are at most this long; the kept output is the last this many bytes.
pub const SCRIPT_MAX_BYTES: usize = 64 * 1024;
pub const SCRIPT_OUTPUT_MAX_BYTES: usize = 64 * 1024;

/// A container's startup script as its owner edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartupScript {
    pub script: String,
    /// Run after every start of the container (off: only "run now").
    pub enabled: bool,
}

impl StartupScript {
    pub fn validate(&self) -> Result<(), ApiError> {
        if self.script.len() > SCRIPT_MAX_BYTES || self.script.contains('\0') {
            return Err(ApiError::invalid("script", "A script is up to 64 KiB of text, without NUL."));
        }
        if self.enabled && self.script.trim().is_empty() {
            return Err(ApiError::invalid("script", "Write the script before turning it on."));
        }
        Ok(())
    }
}

/// The script and its last run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StartupScriptView {
    pub script: String,
    pub enabled: bool,
    /// `start` or `manual`; `None` before the first run.
    pub last_trigger: Option<String>,
    /// RFC 3339 times.
    pub last_started_at: Option<String>,
    pub last_finished_at: Option<String>,
    pub last_exit_code: Option<i64>,
    /// The tail of the output (stdout and stderr together, as a terminal shows them).
    pub last_output: String,
    /// A run is under way now.
    pub running: bool,
}

/// What the live topic of a container carries while its script runs (besides stats).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "script", rename_all = "snake_case")]
pub enum ScriptEvent {
    Started { trigger: String },
    Output { text: String },
    /// `trigger` repeats the start's, so a page that missed `Started` still names the run.
    Finished {
        exit_code: Option<i64>,
        error: Option<String>,
        #[serde(default)]
        trigger: String,
    },
}

/// A Docker engine to add (admins): a name and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEngine {
    pub name: String,
    /// `unix:///path`, `tcp://host:port` (no encryption: loopback or a private network only),
    /// or `tcp+tls://host:port` (client certificate from `tls_dir`).
    pub endpoint: String,
    /// For `tcp+tls://`: a folder on the panel's machine with `ca.pem`, `cert.pem`, `key.pem`.
    pub tls_dir: Option<String>,
}

impl NewEngine {
    pub fn validate(&self) -> Result<(), ApiError> {
        let n = &self.name;
        if !(1..=40).contains(&n.len()) || !n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(ApiError::invalid("name", "1–40 letters, digits, '.', '_' or '-'."));
        }
        let e = &self.endpoint;
        let safe = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '@' | '/' | '[' | ']'));
        let host_port = |s: &str| s.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0)) && !s.contains('/') && safe(s);
        let ok = if let Some(path) = e.strip_prefix("unix://") {
            path.starts_with('/') && !path.split('/').any(|p| p == "..") && safe(path)
        } else if let Some(addr) = e.strip_prefix("tcp+tls://").or_else(|| e.strip_prefix("tcp://")) {
            host_port(addr)
        } else {
            false
        };
        if !ok {
            return Err(ApiError::invalid("endpoint", "unix:///var/run/docker.sock, tcp://host:2375 or tcp+tls://host:2376."));
        }
        match (e.starts_with("tcp+tls://"), &self.tls_dir) {
            (true, None) => Err(ApiError::invalid("tls_dir", "A TLS engine needs the folder with ca.pem, cert.pem and key.pem.")),
            (true, Some(d)) if !d.starts_with('/') || d.split('/').any(|p| p == "..") || d.contains('\0') => Err(ApiError::invalid("tls_dir", "An absolute folder path on this machine.")),
            (false, Some(_)) => Err(ApiError::invalid("tls_dir", "Only tcp+tls:// engines use a certificate folder.")),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod image_and_script_tests {
    use super::*;

    #[test]
    fn builds_pulls_scripts_and_engines_are_checked_at_the_boundary() {
        let build = |tag: &str, dockerfile: &str| ImageBuild { engine_id: None, tag: tag.into(), dockerfile: dockerfile.into() }.validate().map_err(|e| e.field.unwrap_or_default());
        assert!(build("app:1", "Dockerfile").is_ok() && build("team/app:v2", "docker/Dockerfile.prod").is_ok());
        assert_eq!(build("app@sha256:00", "Dockerfile"), Err("tag".into()));
        assert_eq!(build("bad tag", "Dockerfile"), Err("tag".into()));
        for d in ["/etc/passwd", "../Dockerfile", "a/../../b", "", "a b"] {
            assert_eq!(build("app:1", d), Err("dockerfile".into()), "{d:?}");
        }
        assert!(ImagePull { engine_id: None, reference: "busybox:1.36".into() }.validate().is_ok());
        assert_eq!(ImagePull { engine_id: None, reference: "rm -rf".into() }.validate().unwrap_err().field.as_deref(), Some("reference"));

        assert!(StartupScript { script: "echo hi".into(), enabled: true }.validate().is_ok());
        assert!(StartupScript { script: String::new(), enabled: false }.validate().is_ok());
        assert!(StartupScript { script: " ".into(), enabled: true }.validate().is_err());
        assert!(StartupScript { script: "x".repeat(SCRIPT_MAX_BYTES + 1), enabled: false }.validate().is_err());

        let engine = |e: &str, tls: Option<&str>| NewEngine { name: "edge-1".into(), endpoint: e.into(), tls_dir: tls.map(str::to_string) }.validate().map_err(|e| e.field.unwrap_or_default());
        assert!(engine("unix:///var/run/docker.sock", None).is_ok());
        assert!(engine("tcp://127.0.0.1:2375", None).is_ok());
        assert!(engine("tcp+tls://docker.lan:2376", Some("/etc/pier/docker-tls")).is_ok());
        assert_eq!(engine("tcp+tls://docker.lan:2376", None), Err("tls_dir".into()));
        assert_eq!(engine("tcp://127.0.0.1:2375", Some("/x")), Err("tls_dir".into()));
        for bad in ["http://x:1", "tcp://host", "tcp://host:0", "tcp://h:1/path", "unix://relative", "unix:///a/../b", "ssh://deploy@host", "tcp://a b:1"] {
            assert_eq!(engine(bad, None), Err("endpoint".into()), "{bad:?}");
        }
    }
}
