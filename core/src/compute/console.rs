//! Console access: a short-lived, single-use ticket bound to the person and the VPS is issued by
//! an authorized request, then redeemed once by the WebSocket that carries the console. The
//! browser never learns a VNC port or reaches libvirt; the ticket is useless to anyone else
//! and after 30 seconds.

use super::{Compute, ComputeError, Result};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use pier_proto::vps::VpsState;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TICKET_LIFETIME: Duration = Duration::from_secs(30);

pub use pier_proto::vps::ConsoleKind;
pub use pier_vmm::console::ConsoleEnd;

/// What a redeemed ticket opens.
#[derive(Debug, Clone)]
pub struct ConsoleTarget {
    pub vps_id: i64,
    pub vps_name: String,
    pub uri: String,
    pub domain: String,
    pub kind: ConsoleKind,
}

#[derive(Clone, Default)]
pub struct Tickets {
    open: Arc<Mutex<HashMap<String, (i64, Instant, ConsoleTarget)>>>,
}

impl Compute {
    /// Issues a ticket for `kind` on VPS `id` (its owner or an administrator; it must be running).
    pub async fn console_ticket(&self, actor: &Actor, id: i64, kind: ConsoleKind, ctx: &RequestContext) -> Result<String> {
        let (v, h) = self.operable_vps(actor, id, "vps.console", ctx).await?;
        let state = VpsState::parse(&v.state);
        if !matches!(state, VpsState::Running | VpsState::Paused) {
            return Err(ComputeError::Conflict(format!("{} is {}; start it to use its console.", v.name, state.as_str())));
        }
        if kind == ConsoleKind::Vnc && !super::hosts::is_local(&h.uri) && pier_proto::compute::ssh_endpoint(&h.uri).is_none() {
            return Err(ComputeError::Unavailable(
                "The graphical console needs a qemu+ssh host: a VPS's VNC server listens only on its host's 127.0.0.1, and Pier reaches it through SSH. Use the serial console, or register the host as qemu+ssh://…/system.".into(),
            ));
        }
        let user = actor.user_id().ok_or_else(|| ComputeError::Forbidden("only a person opens a console".into()))?;
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let target = ConsoleTarget { vps_id: v.id, vps_name: v.name.clone(), uri: h.uri.clone(), domain: v.domain_name.clone(), kind };
        {
            let mut open = self.tickets.open.lock().expect("not poisoned");
            open.retain(|_, (_, at, _)| at.elapsed() < TICKET_LIFETIME);
            open.insert(token.clone(), (user, Instant::now(), target));
        }
        let what = if kind == ConsoleKind::Serial { "serial" } else { "graphical" };
        self.audit.record(actor, "vps.console", &format!("vps:{id}"), Outcome::Success, ctx, &format!("{what} console of {}", v.name)).await;
        Ok(token)
    }

    /// Redeems a ticket: once, within its lifetime, by the person it was issued to.
    pub fn redeem_console_ticket(&self, actor: &Actor, token: &str) -> Option<ConsoleTarget> {
        let (user, at, target) = self.tickets.open.lock().expect("not poisoned").remove(token)?;
        (actor.user_id() == Some(user) && at.elapsed() < TICKET_LIFETIME).then_some(target)
    }

    /// Attaches to the serial console of `t` and moves bytes until either side ends (blocking:
    /// run on a blocking thread). Takes the console over from another viewer.
    pub fn pump_serial(&self, t: &ConsoleTarget, input: std::sync::mpsc::Receiver<Vec<u8>>, output: impl Fn(Vec<u8>) -> bool) -> std::result::Result<pier_vmm::console::ConsoleEnd, pier_vmm::VmmError> {
        self.conns.get(&t.uri)?.pump_console(&t.domain, true, input, output)
    }

    /// The port of `t`'s VNC server on its host's 127.0.0.1.
    async fn vnc_port(&self, t: &ConsoleTarget) -> Result<u16> {
        let domain = t.domain.clone();
        self.conns.call(&t.uri, move |hv| hv.vnc_port(&domain)).await?.ok_or_else(|| ComputeError::Conflict("The VPS has no graphical console right now.".into()))
    }

    /// A byte stream to `t`'s VNC server: a TCP connection on this machine's loopback, or for a
    /// `qemu+ssh://` host an ssh tunnel (`ssh -W 127.0.0.1:PORT`) made with the same user, key
    /// and host-key rules as libvirt's own connection (what Proxmox does between its nodes).
    pub async fn open_display(&self, t: &ConsoleTarget) -> Result<Display> {
        let port = self.vnc_port(t).await?;
        if super::hosts::is_local(&t.uri) {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| ComputeError::Unavailable(format!("cannot reach the VPS's display: {e}")))?;
            let (r, w) = tcp.into_split();
            return Ok(Display { reader: Box::new(r), writer: Box::new(w), tunnel: None });
        }
        let ssh = pier_proto::compute::ssh_endpoint(&t.uri).ok_or_else(|| ComputeError::Unavailable("The graphical console needs a qemu+ssh host.".into()))?;
        let mut cmd = tokio::process::Command::new("ssh");
        cmd.args(["-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR"]);
        if let Some(p) = ssh.port {
            cmd.arg("-p").arg(p.to_string());
        }
        if let Some(u) = &ssh.user {
            cmd.arg("-l").arg(u);
        }
        if let Some(k) = &ssh.keyfile {
            cmd.arg("-i").arg(k);
        }
        if let Some(k) = &ssh.known_hosts {
            cmd.arg("-o").arg(format!("UserKnownHostsFile={k}"));
        }
        if ssh.no_verify {
            // Unchecked host keys are not remembered either.
            cmd.args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]);
        }
        // The host is checked by the URI's validation (no leading '-'), and `--` ends the
        // options in any case.
        cmd.arg("-W").arg(format!("127.0.0.1:{port}")).arg("--").arg(&ssh.host);
        cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| ComputeError::Unavailable(format!("ssh could not be started: {e}")))?;
        let (reader, writer) = (child.stdout.take().expect("piped"), child.stdin.take().expect("piped"));
        Ok(Display { reader: Box::new(reader), writer: Box::new(writer), tunnel: Some(child) })
    }
}

/// An open graphical console: bytes to and from the VPS's VNC server.
pub struct Display {
    pub reader: Box<dyn tokio::io::AsyncRead + Unpin + Send>,
    pub writer: Box<dyn tokio::io::AsyncWrite + Unpin + Send>,
    /// The ssh process of a tunnel (killed when dropped).
    tunnel: Option<tokio::process::Child>,
}

impl Display {
    /// Why a tunnel ended, in ssh's words (the first KiB of what it wrote on stderr); `None`
    /// for a local display or a tunnel that said nothing.
    pub async fn close(mut self) -> Option<String> {
        use tokio::io::AsyncReadExt;
        let mut child = self.tunnel.take()?;
        let _ = child.start_kill();
        let mut text = String::new();
        if let Some(err) = child.stderr.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), err.take(1024).read_to_string(&mut text)).await;
        }
        let _ = child.wait().await;
        let text = text.trim().to_string();
        (!text.is_empty()).then_some(text)
    }
}
