//! Container logs as lines, stdout and stderr kept apart.

use crate::engine::Engine;
use crate::error::DockerError;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures::{Stream, StreamExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogStream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogChunk {
    pub stream: LogStream,
    /// As written (may hold several lines, or part of one); with `timestamps`, each line starts
    /// with Docker's RFC 3339 time.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogRequest {
    pub follow: bool,
    /// Last N lines (`None`: all).
    pub tail: Option<u32>,
    pub timestamps: bool,
    /// Only what was written from this Unix time on ("clear" in the UI).
    pub since: Option<i64>,
}

impl Engine {
    pub fn logs(&self, id: &str, req: LogRequest) -> impl Stream<Item = Result<LogChunk, DockerError>> + Send + 'static {
        let options = LogsOptions {
            follow: req.follow,
            stdout: true,
            stderr: true,
            timestamps: req.timestamps,
            tail: req.tail.map(|n| n.to_string()).unwrap_or_else(|| "all".into()),
            since: req.since.unwrap_or(0) as i32,
            ..Default::default()
        };
        let id = id.to_string();
        self.docker.logs(&id.clone(), Some(options)).filter_map(move |out| {
            let id = id.clone();
            async move {
                match out {
                    Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => Some(Ok(LogChunk { stream: LogStream::Stdout, text: String::from_utf8_lossy(&message).into_owned() })),
                    Ok(LogOutput::StdErr { message }) => Some(Ok(LogChunk { stream: LogStream::Stderr, text: String::from_utf8_lossy(&message).into_owned() })),
                    Ok(LogOutput::StdIn { .. }) => None,
                    Err(e) => Some(Err(DockerError::from_bollard(e, &id))),
                }
            }
        })
    }
}
