//! Domain lifecycle events, pushed by libvirt as they happen (started, paused, stopped, crashed,
//! undefined), so Pier shows a guest that powered itself off at once instead of polling.
//!
//! libvirt delivers events through an event loop that the application runs; Pier runs libvirt's
//! default implementation on one dedicated thread for the whole process. A connection only gets
//! events when the loop was registered before it was opened, so `Hypervisor::connect` registers
//! it first.
//!
//! The `virt` crate has no safe wrapper for domain events; the small FFI below is the whole of it.

use crate::domain::DomainState;
use crate::error::VmmError;
use crate::host::Hypervisor;
use std::ffi::CStr;
use std::os::raw::{c_int, c_void};
use std::sync::Once;
use virt::connect::Connect;
use virt::sys;

static EVENT_LOOP: Once = Once::new();

/// Registers libvirt's default event loop and runs it on a background thread (once per process).
pub(crate) fn ensure_event_loop() {
    EVENT_LOOP.call_once(|| {
        if virt::event::event_register_default_impl().is_err() {
            return; // then connections simply get no events; callers fall back to reconciling
        }
        let _ = std::thread::Builder::new().name("libvirt-events".into()).spawn(|| loop {
            if virt::event::event_run_default_impl().is_err() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
    });
}

/// What happened to a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    /// Its state changed (started, paused, resumed, stopped, crashed, ...).
    State { name: String, state: DomainState },
    /// It is no longer defined on the host.
    Undefined { name: String },
}

impl DomainEvent {
    /// Maps libvirt's `virDomainEventType` (and, for `stopped`, its detail) to a Pier state.
    fn from_lifecycle(name: String, event: c_int, detail: c_int) -> Option<DomainEvent> {
        let state = match event as u32 {
            sys::VIR_DOMAIN_EVENT_UNDEFINED => return Some(DomainEvent::Undefined { name }),
            sys::VIR_DOMAIN_EVENT_STARTED | sys::VIR_DOMAIN_EVENT_RESUMED => DomainState::Running,
            sys::VIR_DOMAIN_EVENT_SUSPENDED | sys::VIR_DOMAIN_EVENT_PMSUSPENDED => DomainState::Paused,
            sys::VIR_DOMAIN_EVENT_SHUTDOWN => DomainState::Stopping,
            sys::VIR_DOMAIN_EVENT_CRASHED => DomainState::Crashed,
            sys::VIR_DOMAIN_EVENT_STOPPED if detail as u32 == sys::VIR_DOMAIN_EVENT_STOPPED_CRASHED => DomainState::Crashed,
            sys::VIR_DOMAIN_EVENT_STOPPED => DomainState::Stopped,
            _ => return None, // defined (a new definition) changes no state
        };
        Some(DomainEvent::State { name, state })
    }
}

type Sink = Box<dyn Fn(DomainEvent) + Send + Sync>;

unsafe extern "C" fn on_lifecycle(_conn: sys::virConnectPtr, dom: sys::virDomainPtr, event: c_int, detail: c_int, opaque: *mut c_void) {
    // SAFETY: `opaque` is the `Box<Sink>` registered below; libvirt keeps it until `free_sink`.
    let sink = unsafe { &*(opaque as *const Sink) };
    let name_ptr = unsafe { sys::virDomainGetName(dom) };
    if name_ptr.is_null() {
        return;
    }
    let name = unsafe { CStr::from_ptr(name_ptr) }.to_string_lossy().into_owned();
    if let Some(e) = DomainEvent::from_lifecycle(name, event, detail) {
        sink(e);
    }
}

unsafe extern "C" fn free_sink(opaque: *mut c_void) {
    // SAFETY: created by `Box::into_raw` in `watch_events`; libvirt calls this exactly once.
    drop(unsafe { Box::from_raw(opaque as *mut Sink) });
}

/// A registered lifecycle callback; dropping it stops the events.
pub struct EventWatch {
    conn: Connect,
    callback_id: c_int,
}

impl Drop for EventWatch {
    fn drop(&mut self) {
        // SAFETY: the id was returned by the registration on this same connection.
        unsafe { sys::virConnectDomainEventDeregisterAny(self.conn.as_ptr(), self.callback_id) };
    }
}

impl Hypervisor {
    /// Calls `sink` (on libvirt's event thread) for every lifecycle event of every domain on
    /// this host. Keep `sink` quick: hand the event to a channel.
    pub fn watch_events(&self, sink: impl Fn(DomainEvent) + Send + Sync + 'static) -> Result<EventWatch, VmmError> {
        let sink: Box<Sink> = Box::new(Box::new(sink));
        let opaque = Box::into_raw(sink) as *mut c_void;
        // libvirt's documented idiom (VIR_DOMAIN_EVENT_CALLBACK): the lifecycle callback is
        // registered through the generic callback type and called with its own signature.
        type Lifecycle = unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, c_int, c_int, *mut c_void);
        type Generic = unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut c_void);
        // SAFETY: both are C function pointers; libvirt calls it with the lifecycle signature.
        let generic = unsafe { std::mem::transmute::<Lifecycle, Generic>(on_lifecycle) };
        // SAFETY: the connection is open; `opaque` stays valid until libvirt calls `free_sink`.
        let id = unsafe {
            sys::virConnectDomainEventRegisterAny(
                self.conn.as_ptr(),
                std::ptr::null_mut(),
                sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE as c_int,
                Some(generic),
                opaque,
                Some(free_sink),
            )
        };
        if id < 0 {
            // SAFETY: registration failed, so libvirt did not take ownership of `opaque`.
            drop(unsafe { Box::from_raw(opaque as *mut Sink) });
            return Err(VmmError::Libvirt(virt::error::Error::last_error().message().trim().to_string()));
        }
        // Keep-alive probes let a dead remote connection be noticed (`is_alive` turns false).
        // SAFETY: plain call on an open connection; failure (local drivers) is harmless.
        unsafe { sys::virConnectSetKeepAlive(self.conn.as_ptr(), 5, 3) };
        Ok(EventWatch { conn: self.conn.clone(), callback_id: id })
    }
}
