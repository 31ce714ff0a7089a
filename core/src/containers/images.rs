//! Images on the engines: staff list them (with the containers using each); admins remove one
//! (refused while a container uses it), load an uploaded `docker save` archive, build from an
//! uploaded context archive, or pull from a registry. Load, build and pull are jobs: a progress
//! bar and the engine's own words, and a clear failure when, say, the registry is unreachable.

use super::{Containers, ContainersError, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::jobs::{failed, JobContext, JobFailure, JobHandler, Jobs, NewJob};
use async_trait::async_trait;
use futures::{Stream, StreamExt};
use pier_docker::images::ImageProgress;
use pier_proto::containers::{EngineImage, ImageBuild, ImagePull, KIND_IMAGE_BUILD, KIND_IMAGE_LOAD, KIND_IMAGE_PULL};
use pier_proto::jobs::JobView;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Image archives (saved images, build contexts) up to this size are accepted.
pub const ARCHIVE_MAX_BYTES: u64 = 16 << 30;

/// What an image job is asked to do (its parameters).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct ImageJobParams {
    engine_id: i64,
    /// The uploaded archive (load and build); removed when the job ends.
    file: Option<String>,
    /// Build: the tag and the Dockerfile's path in the archive. Pull: the reference.
    tag: Option<String>,
    dockerfile: Option<String>,
    reference: Option<String>,
}

impl Containers {
    fn require_admin(&self, actor: &Actor) -> Result<()> {
        if policy::may_manage_platform(actor) {
            Ok(())
        } else {
            Err(ContainersError::Forbidden("only administrators change an engine's images".into()))
        }
    }

    /// Every image of an engine (the first one by default) with the containers made from it.
    pub async fn engine_images(&self, actor: &Actor, engine_id: Option<i64>) -> Result<Vec<EngineImage>> {
        if !policy::may_read_all_containers(actor) {
            return Err(ContainersError::Forbidden("engine images are for administrators and support".into()));
        }
        let e = self.engine_row(engine_id).await?;
        let client = self.engine(&e)?;
        let (images, containers) = futures::try_join!(client.list_images(), client.list_containers())?;
        let mut users: HashMap<&str, Vec<String>> = HashMap::new();
        for c in &containers {
            users.entry(c.image_id.as_str()).or_default().push(c.name.clone());
        }
        Ok(images
            .into_iter()
            .map(|i| EngineImage { engine_id: e.id, used_by: users.get(i.id.as_str()).cloned().unwrap_or_default(), id: i.id, tags: i.tags, size: i.size, created: i.created })
            .collect())
    }

    /// Removes an image by id or tag (admins). An image a container uses is refused with the
    /// containers named; nothing is forced.
    pub async fn remove_image(&self, actor: &Actor, engine_id: Option<i64>, image: &str, ctx: &RequestContext) -> Result<()> {
        let target = format!("container_image:{}", short_image(image));
        if let Err(e) = self.require_admin(actor) {
            self.audit.record(actor, "container_image.delete", &target, Outcome::Denied, ctx, "").await;
            return Err(e);
        }
        let is_id = image.strip_prefix("sha256:").unwrap_or(image).chars().all(|c| c.is_ascii_hexdigit()) && image.len() >= 12;
        if !is_id {
            pier_proto::containers::validate_image_ref(image).map_err(ContainersError::Invalid)?;
        }
        let listed = self.engine_images(actor, engine_id).await?;
        // By tag, by full id, or (for something that is an id) by an id prefix as Docker shows it.
        let hex = image.strip_prefix("sha256:").unwrap_or(image);
        let Some(found) = listed.iter().find(|i| i.id == image || i.tags.iter().any(|t| t == image) || is_id && i.id.strip_prefix("sha256:").is_some_and(|h| h.starts_with(hex))) else {
            return Err(ContainersError::NotFound(format!("Image {image}")));
        };
        if !found.used_by.is_empty() {
            return Err(ContainersError::Conflict(format!("{image} is used by {}; remove those containers first.", found.used_by.join(", "))));
        }
        let e = self.engine_row(engine_id).await?;
        let done = self.engine(&e)?.remove_image(image).await;
        let outcome = if done.is_ok() { Outcome::Success } else { Outcome::Failure };
        self.audit.record(actor, "container_image.delete", &target, outcome, ctx, &format!("{} on {}", found.tags.first().map_or(image, |t| t.as_str()), e.name)).await;
        Ok(done?)
    }

    /// Receives an image archive into `dir` and queues the job that loads it (no `build`) or
    /// builds from it (admins). Everything that can be refused is refused before a byte lands.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_image_archive<S, T, E>(&self, jobs: &Jobs, actor: &Actor, engine_id: Option<i64>, build: Option<ImageBuild>, dir: &Path, declared: Option<u64>, body: S, ctx: &RequestContext) -> Result<JobView>
    where
        S: Stream<Item = std::result::Result<T, E>> + Unpin,
        T: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let action = if build.is_some() { "container_image.build" } else { "container_image.load" };
        if let Err(e) = self.require_admin(actor) {
            self.audit.record(actor, action, "container_image", Outcome::Denied, ctx, "").await;
            return Err(e);
        }
        if let Some(b) = &build {
            b.validate().map_err(ContainersError::Invalid)?;
        }
        let e = self.engine_row(engine_id.or(build.as_ref().and_then(|b| b.engine_id))).await?;
        crate::upload::check_declared(declared, ARCHIVE_MAX_BYTES)?;
        let file = crate::upload::receive(dir, declared, ARCHIVE_MAX_BYTES, body).await?;
        let params = ImageJobParams { engine_id: e.id, file: Some(file.display().to_string()), tag: build.as_ref().map(|b| b.tag.clone()), dockerfile: build.as_ref().map(|b| b.dockerfile.clone()), reference: None };
        let kind = if build.is_some() { KIND_IMAGE_BUILD } else { KIND_IMAGE_LOAD };
        let what = build.as_ref().map_or_else(|| format!("{} bytes", declared.unwrap_or(0)), |b| b.tag.clone());
        match self.queue_image_job(jobs, actor, kind, &e.name, params).await {
            Ok(job) => {
                self.audit.record(actor, action, &format!("job:{}", job.id), Outcome::Success, ctx, &format!("{what} on {}", e.name)).await;
                Ok(job)
            }
            Err(err) => {
                let _ = tokio::fs::remove_file(&file).await;
                Err(err)
            }
        }
    }

    /// Queues a pull of `pull.reference` (admins).
    pub async fn pull_image(&self, jobs: &Jobs, actor: &Actor, pull: ImagePull, ctx: &RequestContext) -> Result<JobView> {
        if let Err(e) = self.require_admin(actor) {
            self.audit.record(actor, "container_image.pull", &pull.reference, Outcome::Denied, ctx, "").await;
            return Err(e);
        }
        pull.validate().map_err(ContainersError::Invalid)?;
        let e = self.engine_row(pull.engine_id).await?;
        let params = ImageJobParams { engine_id: e.id, file: None, tag: None, dockerfile: None, reference: Some(pull.reference.clone()) };
        let job = self.queue_image_job(jobs, actor, KIND_IMAGE_PULL, &e.name, params).await?;
        self.audit.record(actor, "container_image.pull", &format!("job:{}", job.id), Outcome::Success, ctx, &format!("{} on {}", pull.reference, e.name)).await;
        Ok(job)
    }

    async fn queue_image_job(&self, jobs: &Jobs, actor: &Actor, kind: &'static str, engine: &str, params: ImageJobParams) -> Result<JobView> {
        let params = serde_json::to_value(params).map_err(|e| ContainersError::Unavailable(e.to_string()))?;
        jobs.enqueue(actor, NewJob { kind, target: format!("engine:{engine}"), params, idempotency_key: None, max_attempts: 1 }).await.map_err(|e| ContainersError::Invalid(e.into()))
    }
}

fn short_image(image: &str) -> &str {
    let hex = image.strip_prefix("sha256:").unwrap_or(image);
    &hex[..hex.len().min(40)]
}

/// Runs load, build and pull jobs (one handler per kind, sharing the progress logic).
pub struct ImageJob {
    pub kind: &'static str,
    pub containers: Containers,
}

/// Progress as the job shows it, written at most every `EVERY` (a pull reports hundreds of
/// lines a second; the job row and the live feed need a few).
struct Reporter {
    last: Option<Instant>,
    percent: u8,
    line: String,
    layers: HashMap<String, (i64, i64)>,
    steps: Option<(u32, u32)>,
}

const EVERY: Duration = Duration::from_millis(250);

impl Reporter {
    fn new() -> Self {
        Self { last: None, percent: 1, line: String::new(), layers: HashMap::new(), steps: None }
    }

    /// Takes one item; returns whether it is worth showing now.
    fn take(&mut self, p: &ImageProgress) -> bool {
        match p {
            ImageProgress::Line(l) => {
                // `Step 2/5 : RUN …` (a build) moves the bar by steps.
                if let Some((n, m)) = l.strip_prefix("Step ").and_then(|r| r.split_once(' ')).and_then(|(nm, _)| nm.split_once('/')).and_then(|(n, m)| Some((n.parse().ok()?, m.parse().ok()?))) {
                    self.steps = Some((n, m));
                    self.percent = (5 + 90 * (n - 1) / m.max(1)) as u8;
                }
                self.line = l.chars().take(300).collect();
            }
            ImageProgress::Layer { id, current, total } => {
                self.layers.insert(id.clone(), (*current, *total));
                let (c, t) = self.layers.values().fold((0i64, 0i64), |(c, t), (lc, lt)| (c + lc, t + lt));
                if t > 0 {
                    self.percent = (5 + 90 * c / t) as u8;
                }
                self.line = format!("Downloading {} layer(s): {} of {} MiB", self.layers.len(), c >> 20, t >> 20);
            }
            ImageProgress::Done(_) => {}
        }
        let due = self.last.is_none_or(|t| t.elapsed() >= EVERY);
        if due {
            self.last = Some(Instant::now());
        }
        due
    }
}

/// The archive as a byte stream, counting what has been read into `sent`.
fn file_stream(file: tokio::fs::File, sent: std::sync::Arc<std::sync::atomic::AtomicU64>) -> impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    read_chunks(file).map(move |chunk| {
        if let Ok(b) = &chunk {
            sent.fetch_add(b.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        chunk
    })
}

fn read_chunks(file: tokio::fs::File) -> impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    futures::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}

#[async_trait]
impl JobHandler for ImageJob {
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn title(&self) -> &'static str {
        match self.kind {
            KIND_IMAGE_LOAD => "Load container image",
            KIND_IMAGE_BUILD => "Build container image",
            _ => "Pull container image",
        }
    }
    fn resumable(&self) -> bool {
        true // loading, building or pulling the same thing again gives the same image
    }
    async fn run(&self, ctx: &JobContext) -> std::result::Result<String, JobFailure> {
        let p: ImageJobParams = ctx.params()?;
        let outcome = self.work(ctx, &p).await;
        // The upload is kept only while the job may still use it.
        if let Some(file) = &p.file {
            if !matches!(outcome, Err(JobFailure::LeaseLost)) {
                let _ = tokio::fs::remove_file(file).await;
            }
        }
        outcome
    }
}

impl ImageJob {
    async fn work(&self, ctx: &JobContext, p: &ImageJobParams) -> std::result::Result<String, JobFailure> {
        let row = self.containers.engine_row(Some(p.engine_id)).await.map_err(failed)?;
        let engine = self.containers.engine(&row).map_err(failed)?;
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut size = 0u64;
        let progress: std::pin::Pin<Box<dyn Stream<Item = std::result::Result<ImageProgress, pier_docker::DockerError>> + Send>> = match self.kind {
            KIND_IMAGE_PULL => {
                let reference = p.reference.as_deref().ok_or_else(|| failed("no image reference"))?;
                ctx.progress(2, format!("Pulling {reference} on {}", row.name)).await?;
                Box::pin(engine.pull_image(reference))
            }
            _ => {
                let file = PathBuf::from(p.file.as_deref().ok_or_else(|| failed("no archive"))?);
                let f = tokio::fs::File::open(&file).await.map_err(|_| failed("The uploaded archive is gone (the panel restarted?); upload it again."))?;
                size = f.metadata().await.map(|m| m.len()).unwrap_or(0);
                ctx.progress(2, format!("Sending {} MiB to {}", size >> 20, row.name)).await?;
                let bytes = file_stream(f, sent.clone());
                if self.kind == KIND_IMAGE_BUILD {
                    let (tag, dockerfile) = (p.tag.as_deref().unwrap_or_default(), p.dockerfile.as_deref().unwrap_or("Dockerfile"));
                    Box::pin(engine.build_image(bytes, dockerfile, tag))
                } else {
                    Box::pin(engine.load_image(bytes))
                }
            }
        };
        let mut progress = progress;
        let mut r = Reporter::new();
        let mut result = None;
        let mut last_line = String::new();
        while let Some(item) = progress.next().await {
            let item = item.map_err(|e| match self.kind {
                KIND_IMAGE_PULL => failed(format!("The pull failed: {e}. Is the registry reachable from the engine, and the name right?")),
                KIND_IMAGE_BUILD => failed(format!("The build failed: {e}")),
                _ => failed(format!("The engine refused the archive: {e}")),
            })?;
            if let ImageProgress::Done(id) = &item {
                result = Some(id.clone());
            }
            if let ImageProgress::Line(l) = &item {
                last_line = l.clone();
            }
            if r.take(&item) {
                if self.kind == KIND_IMAGE_LOAD && size > 0 {
                    r.percent = (5 + 90 * sent.load(std::sync::atomic::Ordering::Relaxed) / size) as u8;
                }
                ctx.progress(r.percent.min(99), r.line.clone()).await?;
            }
        }
        Ok(match self.kind {
            KIND_IMAGE_BUILD => format!("Built {} ({}).", p.tag.as_deref().unwrap_or_default(), result.as_deref().map(short_image).map(|h| &h[..h.len().min(12)]).unwrap_or("no id reported")),
            KIND_IMAGE_PULL => format!("Pulled {}: {last_line}", p.reference.as_deref().unwrap_or_default()),
            _ if last_line.starts_with("Loaded image") => format!("{last_line}."),
            _ => "The engine loaded the archive.".to_string(),
        })
    }
}
