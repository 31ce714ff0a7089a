//! The engine's local images: list, remove, load (`docker load`), build from a context archive,
//! pull. Long operations return a stream of [`ImageProgress`] so the caller (a job) can show a
//! progress bar and the engine's own words.

use crate::engine::Engine;
use crate::error::DockerError;
use bollard::query_parameters::{BuildImageOptionsBuilder, CreateImageOptionsBuilder, ImportImageOptionsBuilder, ListImagesOptions, RemoveImageOptionsBuilder};
use bytes::Bytes;
use futures::{Stream, StreamExt};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageInfo {
    pub id: String,
    /// `name:tag` references (empty for an untagged image).
    pub tags: Vec<String>,
    pub size: i64,
    pub created: i64,
    /// Containers using it, when dockerd counts them (-1: not counted).
    pub containers: i64,
}

/// One step of a load, build or pull, as dockerd reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageProgress {
    /// A line of output (`Step 2/4 : RUN …`, `Loaded image: x:1`, `Pulling fs layer`).
    Line(String),
    /// Bytes of a layer pull so far: (layer id, current, total).
    Layer { id: String, current: i64, total: i64 },
    /// The image id the engine made or loaded.
    Done(String),
}

fn stream_error(e: bollard::errors::Error, what: &str) -> DockerError {
    match e {
        bollard::errors::Error::DockerStreamError { error } => DockerError::Engine(error),
        other => DockerError::from_bollard(other, what),
    }
}

/// The `BuildInfo` lines of load and build as progress (empty lines dropped).
fn build_info(info: bollard::models::BuildInfo) -> Vec<ImageProgress> {
    let mut out = Vec::new();
    if let Some(line) = info.stream.as_deref().map(str::trim_end).filter(|l| !l.is_empty()) {
        out.push(ImageProgress::Line(line.to_string()));
    }
    if let Some(status) = info.status.filter(|s| !s.is_empty()) {
        out.push(ImageProgress::Line(status));
    }
    if let Some(id) = info.aux.and_then(|a| a.id) {
        out.push(ImageProgress::Done(id));
    }
    out
}

impl Engine {
    pub async fn list_images(&self) -> Result<Vec<ImageInfo>, DockerError> {
        let list = self.docker.list_images(Some(ListImagesOptions::default())).await.map_err(|e| self.unreachable(e))?;
        let mut out: Vec<ImageInfo> = list
            .into_iter()
            .map(|i| ImageInfo {
                id: i.id,
                tags: i.repo_tags.into_iter().filter(|t| t != "<none>:<none>").collect(),
                size: i.size,
                created: i.created,
                containers: i.containers,
            })
            .collect();
        out.sort_by(|a, b| a.tags.first().cmp(&b.tags.first()));
        Ok(out)
    }

    /// Removes an image by id or reference. Never forced: an image a container uses (running or
    /// not) is refused by dockerd with a conflict naming the container.
    pub async fn remove_image(&self, image: &str) -> Result<(), DockerError> {
        self.docker
            .remove_image(image, Some(RemoveImageOptionsBuilder::default().force(false).noprune(false).build()), None)
            .await
            .map(|_| ())
            .map_err(|e| match DockerError::from_bollard(e, image) {
                DockerError::NoContainer(_) => DockerError::NoImage(image.to_string()),
                other => other,
            })
    }

    /// `docker load`: `archive` is the tar `docker save` writes.
    pub fn load_image<S>(&self, archive: S) -> impl Stream<Item = Result<ImageProgress, DockerError>> + Send + 'static
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        self.docker
            .import_image_stream(ImportImageOptionsBuilder::default().quiet(false).build(), archive, None)
            .flat_map(|item| futures::stream::iter(match item {
                Ok(info) => build_info(info).into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(stream_error(e, "the archive"))],
            }))
    }

    /// Builds `tag` from a context archive (a tar holding the Dockerfile at `dockerfile`).
    /// Base images must be on the engine already or reachable in a registry.
    pub fn build_image<S>(&self, context: S, dockerfile: &str, tag: &str) -> impl Stream<Item = Result<ImageProgress, DockerError>> + Send + 'static
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        let options = BuildImageOptionsBuilder::default().dockerfile(dockerfile).t(tag).rm(true).forcerm(true).build();
        let (tag, docker) = (tag.to_string(), self.docker.clone());
        // bollard's build stream borrows the client: a task owns both (the client is a cheap
        // clone of a shared pool) and hands items over; dropping the stream stops it.
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            let mut items = std::pin::pin!(docker.build_image(options, None, Some(bollard::body_try_stream(context))));
            while let Some(item) = items.next().await {
                let mapped = match item {
                    Ok(info) => build_info(info).into_iter().map(Ok).collect::<Vec<_>>(),
                    Err(e) => vec![Err(stream_error(e, &tag))],
                };
                for m in mapped {
                    if tx.send(m).await.is_err() {
                        return;
                    }
                }
            }
        });
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) })
    }

    /// Pulls `reference` (`name[:tag]`, `:latest` when no tag is given) from its registry.
    pub fn pull_image(&self, reference: &str) -> impl Stream<Item = Result<ImageProgress, DockerError>> + Send + 'static {
        let (name, tag) = split_reference(reference);
        let options = CreateImageOptionsBuilder::default().from_image(name).tag(tag).build();
        let what = reference.to_string();
        self.docker.create_image(Some(options), None, None).map(move |item| match item {
            Ok(info) => Ok(match (info.id, info.progress_detail.and_then(|p| p.current.zip(p.total))) {
                (Some(id), Some((current, total))) => ImageProgress::Layer { id, current, total },
                (id, _) => ImageProgress::Line([id.unwrap_or_default(), info.status.unwrap_or_default()].join(" ").trim().to_string()),
            }),
            Err(e) => Err(stream_error(e, &what)),
        })
    }
}

/// `name[:tag]` → (name, tag); a `:` inside a registry host:port is not a tag.
pub fn split_reference(reference: &str) -> (&str, &str) {
    match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (reference, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_at_the_tag_not_at_a_registry_port() {
        assert_eq!(split_reference("busybox"), ("busybox", "latest"));
        assert_eq!(split_reference("busybox:1.36"), ("busybox", "1.36"));
        assert_eq!(split_reference("registry.local:5000/team/app"), ("registry.local:5000/team/app", "latest"));
        assert_eq!(split_reference("registry.local:5000/team/app:v2"), ("registry.local:5000/team/app", "v2"));
    }
}
