//! The serial console of a running domain as a byte pipe (libvirt console stream), for the
//! browser's terminal. One blocking thread per open console moves bytes both ways.

use crate::error::VmmError;
use crate::host::Hypervisor;
use std::sync::mpsc;
use std::time::Duration;
use virt::stream::Stream;
use virt::sys;

/// How the pump ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleEnd {
    /// The guest side closed (domain stopped).
    Closed,
    /// The caller hung up (input channel dropped or output receiver gone).
    HungUp,
    Failed(String),
}

impl Hypervisor {
    /// Attaches to the domain's serial console and pumps bytes until one side ends: what arrives
    /// on `input` is typed into the guest, what the guest prints goes to `output`. `force`
    /// takes the console from another client that holds it. Blocks; run it on its own thread.
    pub fn pump_console(&self, domain: &str, force: bool, input: mpsc::Receiver<Vec<u8>>, output: impl Fn(Vec<u8>) -> bool) -> Result<ConsoleEnd, VmmError> {
        let d = self.lookup(domain)?;
        let stream = Stream::new(&self.conn, sys::VIR_STREAM_NONBLOCK).map_err(VmmError::libvirt)?;
        let flags = if force { sys::VIR_DOMAIN_CONSOLE_FORCE } else { sys::VIR_DOMAIN_CONSOLE_SAFE };
        d.open_console(None, &stream, flags).map_err(|e| VmmError::InvalidState(format!("the serial console cannot be opened: {}", e.message().trim())))?;
        let mut buf = vec![0u8; 16 * 1024];
        let end = loop {
            let mut idle = true;
            // A non-blocking stream answers -2 ("would block") when nothing is waiting; the
            // safe wrapper turns every negative into an error, so call libvirt directly.
            // SAFETY: the stream is open and `buf` is valid for `buf.len()` bytes.
            let n = unsafe { sys::virStreamRecv(stream.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
            match n {
                0 => break ConsoleEnd::Closed,
                n if n > 0 => {
                    idle = false;
                    if !output(buf[..n as usize].to_vec()) {
                        break ConsoleEnd::HungUp;
                    }
                }
                -2 => {}
                _ => break ConsoleEnd::Failed(virt::error::Error::last_error().message().trim().to_string()),
            }
            match input.try_recv() {
                Ok(bytes) => {
                    idle = false;
                    let mut sent = 0;
                    while sent < bytes.len() {
                        let rest = &bytes[sent..];
                        // SAFETY: as above; -2 means "try again".
                        let n = unsafe { sys::virStreamSend(stream.as_ptr(), rest.as_ptr() as *mut _, rest.len()) };
                        match n {
                            n if n > 0 => sent += n as usize,
                            -2 | 0 => std::thread::sleep(Duration::from_millis(5)),
                            _ => return Ok(ConsoleEnd::Failed(virt::error::Error::last_error().message().trim().to_string())),
                        }
                    }
                }
                Err(mpsc::TryRecvError::Disconnected) => break ConsoleEnd::HungUp,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            if idle {
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        let _ = stream.abort();
        Ok(end)
    }
}
