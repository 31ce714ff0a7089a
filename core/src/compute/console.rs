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
        if kind == ConsoleKind::Vnc && !super::hosts::is_local(&h.uri) {
            return Err(ComputeError::Unavailable("The graphical console of VPSs on remote hosts is not available yet; use the serial console.".into()));
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

    /// The 127.0.0.1 port of `t`'s VNC server (local hosts only).
    pub async fn vnc_port(&self, t: &ConsoleTarget) -> Result<u16> {
        let domain = t.domain.clone();
        self.conns.call(&t.uri, move |hv| hv.vnc_port(&domain)).await?.ok_or_else(|| ComputeError::Conflict("The VPS has no graphical console right now.".into()))
    }
}
