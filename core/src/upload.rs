//! Receiving an upload into a file: streamed to disk as it arrives (never held in memory), the
//! declared length checked before anything is written and the bytes checked as they come, and
//! nothing left behind when the upload is refused, cut short or fails. OS images and container
//! image archives both arrive this way.

use crate::service_error::ServiceError;
use futures::{Stream, StreamExt};
use pier_proto::ApiError;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

fn too_large(max: u64) -> ServiceError {
    let limit = if max >= 1 << 30 { format!("{} GiB", max >> 30) } else { format!("{} MiB", max >> 20) };
    ServiceError::Invalid(ApiError::invalid("file", format!("The file is larger than the {limit} upload limit.")))
}

/// Refuses an upload by its declared length alone (missing, empty, over `max`).
pub fn check_declared(declared: Option<u64>, max: u64) -> Result<u64, ServiceError> {
    match declared {
        None => Err(ServiceError::Invalid(ApiError::invalid("file", "The upload must say its length (Content-Length)."))),
        Some(n) if n > max => Err(too_large(max)),
        Some(0) => Err(ServiceError::Invalid(ApiError::invalid("file", "The file is empty."))),
        Some(n) => Ok(n),
    }
}

/// Streams `body` into a new hidden file in `dir` and returns its path once exactly `declared`
/// bytes (at most `max`) have arrived and reached the disk. On any failure the file is removed.
pub async fn receive<S, T, E>(dir: &Path, declared: Option<u64>, max: u64, body: S) -> Result<PathBuf, ServiceError>
where
    S: Stream<Item = Result<T, E>> + Unpin,
    T: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let declared = check_declared(declared, max)?;
    tokio::fs::create_dir_all(dir).await.map_err(|e| ServiceError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
    let partial = dir.join(format!(".upload-{}", uuid::Uuid::new_v4().simple()));
    match write(&partial, max, body).await {
        Ok(n) if n == declared => Ok(partial),
        Ok(n) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Err(ServiceError::Invalid(ApiError::invalid("file", format!("The upload ended after {n} of {declared} bytes; try again."))))
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Err(e)
        }
    }
}

async fn write<S, T, E>(partial: &Path, max: u64, mut body: S) -> Result<u64, ServiceError>
where
    S: Stream<Item = Result<T, E>> + Unpin,
    T: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let io = |e: std::io::Error| ServiceError::Unavailable(format!("writing the upload failed: {e}"));
    let mut out = tokio::fs::OpenOptions::new().write(true).create_new(true).open(partial).await.map_err(io)?;
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ServiceError::Invalid(ApiError::invalid("file", format!("The upload was interrupted: {e}"))))?;
        let bytes = chunk.as_ref();
        received += bytes.len() as u64;
        if received > max {
            return Err(too_large(max));
        }
        out.write_all(bytes).await.map_err(io)?;
    }
    out.sync_all().await.map_err(io)?;
    Ok(received)
}
