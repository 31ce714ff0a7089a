//! Commands inside a container with a TTY (the browser terminal) or without (startup scripts).

use crate::engine::Engine;
use crate::error::DockerError;
use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bollard::query_parameters::ResizeExecOptions;
use futures::{Stream, StreamExt};
use std::pin::Pin;
use tokio::io::AsyncWrite;

/// A running exec: its output bytes and its stdin.
pub struct ExecSession {
    pub exec_id: String,
    pub output: Pin<Box<dyn Stream<Item = Result<Vec<u8>, DockerError>> + Send>>,
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
}

impl Engine {
    /// Starts `cmd` (argv, never a shell line) in container `id`, attached. With `tty`, stdout
    /// and stderr arrive as one terminal stream, as in `docker exec -it`.
    pub async fn exec(&self, id: &str, cmd: Vec<String>, tty: bool, size: Option<(u16, u16)>) -> Result<ExecSession, DockerError> {
        let config = ExecConfig {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(tty),
            cmd: Some(cmd),
            env: tty.then(|| vec!["TERM=xterm-256color".to_string()]),
            console_size: size.map(|(cols, rows)| vec![rows as usize, cols as usize]),
            ..Default::default()
        };
        let made = self.docker.create_exec(id, config).await.map_err(|e| DockerError::from_bollard(e, id))?;
        let started = self
            .docker
            .start_exec(&made.id, Some(StartExecOptions { detach: false, tty, output_capacity: None }))
            .await
            .map_err(|e| DockerError::from_bollard(e, id))?;
        match started {
            StartExecResults::Attached { output, input } => {
                let id = id.to_string();
                let output = output.map(move |o| match o {
                    Ok(LogOutput::StdOut { message } | LogOutput::StdErr { message } | LogOutput::Console { message }) => Ok(message.to_vec()),
                    Ok(LogOutput::StdIn { .. }) => Ok(Vec::new()),
                    Err(e) => Err(DockerError::from_bollard(e, &id)),
                });
                Ok(ExecSession { exec_id: made.id, output: Box::pin(output), input })
            }
            StartExecResults::Detached => Err(DockerError::Engine("the exec started detached".into())),
        }
    }

    /// Starts a startup script in container `id` (running): `/bin/sh -c script` with the
    /// container's shell, or with Pier's busybox `sh` when the image has none. The script is one
    /// argument: it is never pasted into a command line.
    pub async fn run_script(&self, id: &str, script: &str) -> Result<ExecSession, DockerError> {
        let argv = match self.stat(id, "/bin/sh").await {
            Ok(_) => vec!["/bin/sh".to_string(), "-c".into(), script.to_string()],
            Err(DockerError::NoPath(_)) => vec![self.helper(id).await?, "sh".into(), "-c".into(), script.to_string()],
            Err(e) => return Err(e),
        };
        self.exec(id, argv, false, None).await
    }

    pub async fn resize_exec(&self, exec_id: &str, cols: u16, rows: u16) -> Result<(), DockerError> {
        self.docker
            .resize_exec(exec_id, ResizeExecOptions { h: rows as i32, w: cols as i32 })
            .await
            .map_err(|e| DockerError::from_bollard(e, exec_id))
    }

    /// The exit code of a finished exec (`None` while it runs).
    pub async fn exec_exit_code(&self, exec_id: &str) -> Result<Option<i64>, DockerError> {
        let info = self.docker.inspect_exec(exec_id).await.map_err(|e| DockerError::from_bollard(e, exec_id))?;
        Ok(if info.running == Some(true) { None } else { info.exit_code })
    }
}
