//! One open libvirt connection per host, shared by jobs, the state watcher and the stats
//! collector. Opening a connection costs a round trip (an SSH or TLS handshake for remote
//! hosts), and the test driver keeps its domains per connection, so sharing is also what makes
//! `test:///default` behave like one host.

use pier_vmm::{Hypervisor, VmmError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Connections {
    open: Arc<Mutex<HashMap<String, Arc<Hypervisor>>>>,
}

impl Connections {
    /// The open connection to `uri`, opened (blocking) when there is none or the old one died.
    pub fn get(&self, uri: &str) -> Result<Arc<Hypervisor>, VmmError> {
        if let Some(hv) = self.open.lock().expect("not poisoned").get(uri) {
            if hv.is_alive() {
                return Ok(hv.clone());
            }
        }
        // Opened outside the lock: a slow host must not hold up calls to the others.
        let hv = Arc::new(Hypervisor::connect(uri)?);
        self.open.lock().expect("not poisoned").insert(uri.to_string(), hv.clone());
        Ok(hv)
    }

    /// Drops the connection to `uri` (the host was removed or its connection failed).
    pub fn forget(&self, uri: &str) {
        let gone = self.open.lock().expect("not poisoned").remove(uri);
        // Closing talks to the host (and waits for it); never on an async thread.
        if let (Some(hv), Ok(rt)) = (gone, tokio::runtime::Handle::try_current()) {
            rt.spawn_blocking(move || drop(hv));
        }
    }

    /// Runs `f` against `uri` on a blocking thread (libvirt calls block).
    pub async fn call<T: Send + 'static>(&self, uri: &str, f: impl FnOnce(&Hypervisor) -> Result<T, VmmError> + Send + 'static) -> Result<T, VmmError> {
        let (this, uri) = (self.clone(), uri.to_string());
        tokio::task::spawn_blocking(move || {
            let hv = this.get(&uri)?;
            let out = f(&hv);
            if matches!(out, Err(VmmError::Libvirt(_))) && !hv.is_alive() {
                this.forget(&uri);
            }
            out
        })
        .await
        .unwrap_or_else(|e| Err(VmmError::Libvirt(format!("the libvirt call crashed: {e}"))))
    }
}
