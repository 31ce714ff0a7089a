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

pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// `pier admin create` through the real CLI, password on stdin.
pub fn create_admin(data: &Path) -> Output {
    use std::io::Write;
    let mut child = pier()
        .args(["admin", "create", "--username", ADMIN_USER, "--email", "admin@example.com", "--password-stdin"])
        .env("PIER_DATA", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pier admin create runs");
    writeln!(child.stdin.take().unwrap(), "{ADMIN_PASSWORD}").unwrap();
    child.wait_with_output().unwrap()
}

/// A running `pier serve`, killed when dropped.
pub struct Panel {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
    port: u16,
    printed: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Panel {
    /// A new panel with an administrator account.
    pub fn start(data: &Path) -> Panel {
        if !data.join("pier.db").exists() {
            let out = create_admin(data);
            assert!(out.status.success(), "admin create: {}", String::from_utf8_lossy(&out.stderr));
        }
        Self::start_on(data, free_port())
    }

    /// Like `start`, with extra `PIER_*` settings (they override the test defaults below).
    pub fn start_env(data: &Path, env: &[(&str, &str)]) -> Panel {
        if !data.join("pier.db").exists() {
            let out = create_admin(data);
            assert!(out.status.success(), "admin create: {}", String::from_utf8_lossy(&out.stderr));
        }
        Self::start_with(data, free_port(), env)
    }

    /// An HTTP client signed in as the administrator (cookie session, like a browser).
    pub async fn admin_client(&self) -> reqwest::Client {
        let client = reqwest::Client::builder().cookie_store(true).timeout(Duration::from_secs(10)).build().unwrap();
        let res = client
            .post(self.url("/api/fn/login"))
            .json(&serde_json::json!({"username": ADMIN_USER, "password": ADMIN_PASSWORD, "remember": false}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "login failed: {}", res.text().await.unwrap_or_default());
        client
    }

    pub fn start_on(data: &Path, port: u16) -> Panel {
        Self::start_with(data, port, &[])
    }

    /// Like `start_on`, with extra `PIER_*` settings.
    pub fn start_with(data: &Path, port: u16, env: &[(&str, &str)]) -> Panel {
        let mut child = pier()
            .arg("serve")
            .env("PIER_DATA", data)
            .env("PIER_LISTEN", format!("127.0.0.1:{port}"))
            // Components the foundation tests do not need: keep /healthz fast and deterministic.
            .env("PIER_LIBVIRT_URI", "")
            .env("PIER_DOCKER_HOST", "")
            .env("PIER_NGINX_BIN", "")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("pier serve starts");
        // Keep reading stdout so the child never blocks on a full pipe; keep it for tests.
        let stdout = child.stdout.take().unwrap();
        let printed = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = printed.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let panel = Panel { child, base: format!("http://127.0.0.1:{port}"), data: data.to_owned(), port, printed };
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

    /// Starts a worker self-test job as `client` (REST); returns its id.
    pub async fn start_worker_test(&self, client: &reqwest::Client, seconds: u32, steps: u32) -> i64 {
        let job: serde_json::Value = client
            .post(self.url("/api/v1/jobs"))
            .json(&serde_json::json!({"kind": "system.worker_test", "params": {"seconds": seconds, "steps": steps}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        job["id"].as_i64().unwrap_or_else(|| panic!("job not started: {job}"))
    }

    /// Creates an account through the admin's `create_user` server function; returns its id.
    pub async fn create_user(&self, admin: &reqwest::Client, username: &str, role: &str, password: &str) -> i64 {
        let res = admin
            .post(self.url("/api/fn/create_user"))
            .json(&serde_json::json!({"account": {"username": username, "email": format!("{username}@example.com"), "password": password, "role": role}}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "create {username}");
        let user: serde_json::Value = res.json().await.unwrap();
        user["id"].as_i64().unwrap()
    }

    /// What the panel printed on stdout so far.
    pub fn printed(&self) -> String {
        self.printed.lock().unwrap().clone()
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
