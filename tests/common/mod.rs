//! Runs the real `pier` binary on a temporary data dir and a free loopback port.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn pier() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pier"));
    // Only what the test sets: no PIER_* leaking in from the developer's shell.
    for (k, _) in std::env::vars() {
        if k.starts_with("PIER_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("PIER_LOG", "info");
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("pier runs")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `pier serve`, killed when dropped.
pub struct Panel {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
    port: u16,
}

impl Panel {
    pub fn start(data: &Path) -> Panel {
        Self::start_on(data, free_port())
    }

    pub fn start_on(data: &Path, port: u16) -> Panel {
        let child = pier()
            .arg("serve")
            .env("PIER_DATA", data)
            .env("PIER_LISTEN", format!("127.0.0.1:{port}"))
            // Components the foundation tests do not need: keep /healthz fast and deterministic.
            .env("PIER_LIBVIRT_URI", "")
            .env("PIER_DOCKER_HOST", "")
            .env("PIER_NGINX_BIN", "")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pier serve starts");
        let panel = Panel { child, base: format!("http://127.0.0.1:{port}"), data: data.to_owned(), port };
        panel.wait_ready();
        panel
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("pier serve did not start listening");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
