//! nginx under Pier's prefix, seen and driven from the admin page: running or not, workers,
//! the `stub_status` counters (over a unix socket, so no port can clash), test, reload, restart.

use crate::apply::Nginx;
use crate::error::WebError;
use pier_proto::sites::NginxStatus;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

impl Nginx {
    /// What the admin page shows; never fails (a missing binary or a stopped nginx is a state).
    pub async fn status(&self) -> NginxStatus {
        let mut st = NginxStatus { live_version: self.live_version(), ..Default::default() };
        match self.version().await {
            Ok(v) => st.version = Some(v),
            Err(e) => st.error = Some(e.to_string()),
        }
        st.pid = self.running_pid();
        st.running = st.pid.is_some();
        if let Some(pid) = st.pid {
            st.workers = children_of(pid);
            match self.stub_status().await {
                Ok(s) => {
                    st.active_connections = Some(s[0]);
                    st.accepts = Some(s[1]);
                    st.handled = Some(s[2]);
                    st.requests = Some(s[3]);
                    st.reading = Some(s[4]);
                    st.writing = Some(s[5]);
                    st.waiting = Some(s[6]);
                }
                Err(e) => st.error = Some(format!("stub_status: {e}")),
            }
        }
        st
    }

    /// The live version directory's name.
    pub fn live_version(&self) -> Option<String> {
        std::fs::read_link(self.prefix().join("live")).ok()?.file_name().map(|n| n.to_string_lossy().into_owned())
    }

    /// `[active, accepts, handled, requests, reading, writing, waiting]`.
    pub async fn stub_status(&self) -> Result<[u64; 7], WebError> {
        let mut s = tokio::net::UnixStream::connect(self.status_socket()).await?;
        s.write_all(b"GET /status HTTP/1.0\r\nHost: localhost\r\n\r\n").await?;
        let mut text = String::new();
        tokio::time::timeout(std::time::Duration::from_secs(3), s.read_to_string(&mut text)).await.map_err(|_| WebError::Io("stub_status did not answer".into()))??;
        parse_stub_status(&text).ok_or_else(|| WebError::Io(format!("unexpected stub_status answer: {}", text.lines().next().unwrap_or_default())))
    }

    /// `nginx -t` on the live configuration: nginx's words either way.
    pub async fn test_live(&self) -> Result<String, WebError> {
        let conf = self.prefix().join("live/nginx.conf").display().to_string();
        let out = self.run(&["-t", "-c", &conf]).await?;
        let text = String::from_utf8_lossy(&out.stderr).trim().replace("nginx: ", "");
        if out.status.success() {
            Ok(text)
        } else {
            Err(WebError::Rejected { site: None, line: None, message: text, version: self.live_version().unwrap_or_default() })
        }
    }

    /// Reloads (or starts) the live configuration, checked like an apply's reload.
    pub async fn reload(&self) -> Result<bool, WebError> {
        self.reload_or_start().await.map_err(|message| WebError::ReloadFailed { message, rolled_back: false })
    }

    /// Stops and starts nginx on the live configuration.
    pub async fn restart(&self) -> Result<(), WebError> {
        self.stop().await;
        self.reload().await.map(|_| ())
    }
}

fn parse_stub_status(text: &str) -> Option<[u64; 7]> {
    let body = text.split_once("\r\n\r\n").map_or(text, |(_, b)| b);
    let nums: Vec<u64> = body.split(|c: char| !c.is_ascii_digit()).filter(|w| !w.is_empty()).filter_map(|w| w.parse().ok()).collect();
    // "Active connections: N \n server accepts handled requests\n A H R \n Reading: r Writing: w Waiting: x"
    (nums.len() >= 7).then(|| [nums[0], nums[1], nums[2], nums[3], nums[4], nums[5], nums[6]])
}

/// Worker processes: the master's children, from /proc.
fn children_of(pid: i32) -> u32 {
    let Ok(rd) = std::fs::read_dir("/proc") else { return 0 };
    rd.flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)).and_then(|p| p.parse::<i32>().ok()) == Some(pid)
        })
        .count() as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn stub_status_text_is_read() {
        let t = "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\nActive connections: 2 \nserver accepts handled requests\n 10 10 31 \nReading: 0 Writing: 1 Waiting: 1 \n";
        assert_eq!(super::parse_stub_status(t), Some([2, 10, 10, 31, 0, 1, 1]));
        assert_eq!(super::parse_stub_status("HTTP/1.1 404 Not Found\r\n\r\nnope"), None);
    }
}
