//! OS images: an admin registers an image file on the panel's machine; a job inspects it with
//! `qemu-img` (format, virtual size, integrity), checksums it with progress, and marks it ready
//! or failed with the reason in words. Files that are not disk images are refused.

use super::{is_unique_violation, Compute, ComputeError, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{image, image_access, user};
use crate::jobs::{JobContext, JobFailure, JobHandler, Jobs, NewJob};
use async_trait::async_trait;
use pier_proto::compute::{ImageStatus, ImageView, NewImage, KIND_IMAGE_INSPECT};
use pier_proto::ApiError;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use tokio::io::AsyncReadExt;

fn view(m: &image::Model) -> ImageView {
    ImageView {
        id: m.id,
        name: m.name.clone(),
        os_family: m.os_family.clone(),
        os_version: m.os_version.clone(),
        default_user: m.default_user.clone(),
        path: m.path.clone(),
        format: m.format.clone(),
        virtual_size: m.virtual_size.map(|v| v as u64),
        file_size: m.file_size.map(|v| v as u64),
        sha256: m.sha256.clone(),
        min_disk_gb: m.min_disk_gb as u32,
        public: m.public,
        users: Vec::new(),
        status: ImageStatus::parse(&m.status),
        error: m.error.clone(),
        created_at: m.created_at.format(&Rfc3339).unwrap_or_default(),
    }
}

/// What `qemu-img` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub format: String,
    pub virtual_size: u64,
    pub file_size: u64,
}

async fn qemu_img(args: &[&str]) -> std::result::Result<std::process::Output, String> {
    tokio::process::Command::new("qemu-img")
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("qemu-img could not run ({e}); install qemu-utils"))
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
}

/// Format and size from `qemu-img info`, integrity from `qemu-img check` (qcow2) or a boot
/// sector (raw: a text file is "raw" to qemu-img too, so raw needs a partition table).
pub async fn inspect(path: &str) -> std::result::Result<ImageFacts, String> {
    let out = qemu_img(&["info", "--output=json", path]).await?;
    if !out.status.success() {
        return Err(format!("qemu-img cannot read it: {}", first_line(&out.stderr)));
    }
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("qemu-img answered something unexpected: {e}"))?;
    let format = info["format"].as_str().unwrap_or_default().to_string();
    let virtual_size = info["virtual-size"].as_u64().unwrap_or(0);
    let file_size = tokio::fs::metadata(path).await.map_err(|e| e.to_string())?.len();
    if info.get("backing-filename").is_some() {
        return Err("the image depends on another file (a backing file); register a standalone image".into());
    }
    match format.as_str() {
        "qcow2" => {
            let check = qemu_img(&["check", "-q", path]).await?;
            if !check.status.success() {
                return Err(format!("the qcow2 image is damaged or truncated: {}", first_line(&check.stderr).trim_start_matches("qemu-img: ")));
            }
        }
        "raw" => {
            let mut head = [0u8; 512];
            let mut f = tokio::fs::File::open(path).await.map_err(|e| e.to_string())?;
            let n = f.read(&mut head).await.map_err(|e| e.to_string())?;
            if n < 512 || head[510..512] != [0x55, 0xAA] || file_size % 512 != 0 {
                return Err("this is not a disk image: no partition table or boot sector (raw images must be whole disks)".into());
            }
        }
        other => return Err(format!("the format {other:?} is not supported; convert it to qcow2 with qemu-img convert")),
    }
    if virtual_size == 0 {
        return Err("the image has no size".into());
    }
    Ok(ImageFacts { format, virtual_size, file_size })
}

/// SHA-256 of a file, reporting progress on the job between `from` and `to` percent.
pub async fn sha256_file(path: &str, ctx: &JobContext, from: u8, to: u8) -> std::result::Result<String, JobFailure> {
    let mut f = tokio::fs::File::open(path).await.map_err(|e| JobFailure::Failed(format!("cannot read the image: {e}")))?;
    let total = f.metadata().await.map(|m| m.len()).unwrap_or(0).max(1);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 4 << 20];
    let (mut done, mut reported) = (0u64, 0u8);
    loop {
        let n = f.read(&mut buf).await.map_err(|e| JobFailure::Failed(format!("reading the image failed: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        let pct = (done * 100 / total) as u8;
        if pct > reported {
            reported = pct;
            let overall = from + (u16::from(pct) * u16::from(to - from) / 100) as u8;
            ctx.progress(overall, format!("Computing SHA-256: {pct}%")).await?;
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The `image.inspect` job.
pub struct InspectImage {
    pub db: DatabaseConnection,
}

#[derive(serde::Deserialize)]
struct InspectParams {
    image_id: i64,
    #[serde(default)]
    expected_sha256: Option<String>,
}

impl InspectImage {
    async fn finish(&self, id: i64, outcome: std::result::Result<(ImageFacts, String), String>) -> std::result::Result<(), JobFailure> {
        let row = image::Entity::find_by_id(id).one(&self.db).await.map_err(|e| JobFailure::Failed(e.to_string()))?;
        let Some(row) = row else { return Err(JobFailure::Failed("the image was deleted meanwhile".into())) };
        let mut row: image::ActiveModel = row.into();
        match &outcome {
            Ok((facts, sum)) => {
                row.status = Set(ImageStatus::Ready.as_str().into());
                row.format = Set(Some(facts.format.clone()));
                row.virtual_size = Set(Some(facts.virtual_size as i64));
                row.file_size = Set(Some(facts.file_size as i64));
                row.sha256 = Set(Some(sum.clone()));
                row.error = Set(None);
            }
            Err(why) => {
                row.status = Set(ImageStatus::Failed.as_str().into());
                row.error = Set(Some(why.clone()));
            }
        }
        row.update(&self.db).await.map_err(|e| JobFailure::Failed(e.to_string()))?;
        Ok(())
    }
}

#[async_trait]
impl JobHandler for InspectImage {
    fn kind(&self) -> &'static str {
        KIND_IMAGE_INSPECT
    }
    fn title(&self) -> &'static str {
        "Check OS image"
    }
    fn resumable(&self) -> bool {
        true // reads the file, writes only the image's own row
    }
    async fn run(&self, ctx: &JobContext) -> std::result::Result<String, JobFailure> {
        let p: InspectParams = ctx.params()?;
        let row = image::Entity::find_by_id(p.image_id).one(&self.db).await.map_err(|e| JobFailure::Failed(e.to_string()))?;
        let row = row.ok_or_else(|| JobFailure::Failed("the image was deleted meanwhile".into()))?;
        ctx.progress(2, "Reading the image with qemu-img").await?;
        let facts = match inspect(&row.path).await {
            Ok(f) => f,
            Err(why) => {
                self.finish(row.id, Err(why.clone())).await?;
                return Err(JobFailure::Failed(format!("{} refused: {why}", row.name)));
            }
        };
        ctx.progress(5, format!("{} image, {} GiB virtual; computing SHA-256", facts.format, facts.virtual_size >> 30)).await?;
        let sum = sha256_file(&row.path, ctx, 5, 99).await?;
        if let Some(expected) = p.expected_sha256.filter(|e| !e.eq_ignore_ascii_case(&sum)) {
            let why = format!("checksum mismatch: the file's SHA-256 is {sum}, expected {expected} (a damaged or different download)");
            self.finish(row.id, Err(why.clone())).await?;
            return Err(JobFailure::Failed(why));
        }
        self.finish(row.id, Ok((facts.clone(), sum))).await?;
        Ok(format!("{} is ready: {}, {} GiB virtual.", row.name, facts.format, facts.virtual_size >> 30))
    }
}

impl Compute {
    /// Staff see every image; others the public, ready ones.
    pub async fn list_images(&self, actor: &Actor) -> Result<Vec<ImageView>> {
        let mut q = image::Entity::find().order_by_asc(image::Column::Name);
        let staff = policy::may_read_platform(actor);
        if !staff {
            let granted = self.granted_images(actor).await?;
            q = q
                .filter(image::Column::Status.eq(ImageStatus::Ready.as_str()))
                .filter(sea_orm::Condition::any().add(image::Column::Public.eq(true)).add(image::Column::Id.is_in(granted)));
        }
        let mut views: Vec<ImageView> = q.all(&self.db).await?.iter().map(view).collect();
        if staff {
            let grants = image_access::Entity::find().all(&self.db).await?;
            for v in views.iter_mut() {
                v.users = grants.iter().filter(|g| g.image_id == v.id).map(|g| g.user_id).collect();
            }
        }
        Ok(views)
    }

    async fn granted_images(&self, actor: &Actor) -> Result<Vec<i64>> {
        let Some(me) = actor.user_id() else { return Ok(Vec::new()) };
        Ok(image_access::Entity::find().filter(image_access::Column::UserId.eq(me)).all(&self.db).await?.into_iter().map(|g| g.image_id).collect())
    }

    /// A ready image `actor` may build VPSs from: public, granted to them, or any for staff.
    pub(super) async fn usable_image(&self, actor: &Actor, id: i64) -> Result<image::Model> {
        let refused = || ComputeError::Invalid(ApiError::invalid("image_id", "That image does not exist or is not ready."));
        let img = image::Entity::find_by_id(id).one(&self.db).await?.filter(|i| i.status == ImageStatus::Ready.as_str()).ok_or_else(refused)?;
        if img.public || policy::may_read_platform(actor) || self.granted_images(actor).await?.contains(&img.id) {
            Ok(img)
        } else {
            Err(refused())
        }
    }

    /// Makes an image public, or private to `users` (administrators).
    pub async fn set_image_access(&self, actor: &Actor, id: i64, public: bool, users: Vec<i64>, ctx: &RequestContext) -> Result<ImageView> {
        let target = format!("image:{id}");
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "image.access", &target, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators change who may use an image".into()));
        }
        let row = image::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("Image {id}")))?;
        let known = user::Entity::find().filter(user::Column::Id.is_in(users.iter().copied())).all(&self.db).await?.len();
        let wanted: std::collections::BTreeSet<i64> = users.iter().copied().collect();
        if known != wanted.len() {
            return Err(ComputeError::Invalid(ApiError::invalid("users", "One of the chosen users does not exist.")));
        }
        let txn = self.db.begin().await?;
        let mut m: image::ActiveModel = row.clone().into();
        m.public = Set(public);
        let saved = m.update(&txn).await?;
        image_access::Entity::delete_many().filter(image_access::Column::ImageId.eq(id)).exec(&txn).await?;
        if !public && !wanted.is_empty() {
            image_access::Entity::insert_many(wanted.iter().map(|u| image_access::ActiveModel { image_id: Set(id), user_id: Set(*u) })).exec(&txn).await?;
        }
        txn.commit().await?;
        let detail = if public { format!("{}: public", row.name) } else { format!("{}: private to {} user(s)", row.name, wanted.len()) };
        self.audit.record(actor, "image.access", &target, Outcome::Success, ctx, &detail).await;
        let mut v = view(&saved);
        v.users = if public { Vec::new() } else { wanted.into_iter().collect() };
        Ok(v)
    }

    /// Registers a file and starts the job that checks it; returns the image and the job id.
    pub async fn register_image(&self, jobs: &Jobs, actor: &Actor, new: NewImage, ctx: &RequestContext) -> Result<(ImageView, i64)> {
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "image.register", &new.name, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators add images".into()));
        }
        new.validate().map_err(ComputeError::Invalid)?;
        match tokio::fs::metadata(&new.path).await {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(ComputeError::Invalid(ApiError::invalid("path", "That path is not a regular file."))),
            Err(e) => return Err(ComputeError::Invalid(ApiError::invalid("path", format!("Cannot read that file: {e}.")))),
        }
        let row = image::ActiveModel {
            name: Set(new.name.clone()),
            os_family: Set(new.os_family.clone()),
            os_version: Set(new.os_version.clone()),
            default_user: Set(new.default_user.clone()),
            path: Set(new.path.clone()),
            min_disk_gb: Set(new.min_disk_gb as i32),
            public: Set(new.public),
            status: Set(ImageStatus::Checking.as_str().into()),
            created_at: Set(time::OffsetDateTime::now_utc()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ComputeError::Invalid(ApiError { code: pier_proto::ErrorCode::Conflict, message: format!("An image named {:?} exists.", new.name), field: Some("name".into()) })
            } else {
                ComputeError::Db(e)
            }
        })?;
        if !new.public && !new.users.is_empty() {
            if let Err(e) = self.set_image_access(actor, row.id, false, new.users.clone(), ctx).await {
                image::Entity::delete_by_id(row.id).exec(&self.db).await?;
                return Err(e);
            }
        }
        let params = serde_json::json!({"image_id": row.id, "expected_sha256": new.expected_sha256});
        let job = jobs
            .enqueue(actor, NewJob { kind: KIND_IMAGE_INSPECT, target: format!("image:{}", row.id), params, idempotency_key: None, max_attempts: 3 })
            .await
            .map_err(|e| ComputeError::Unavailable(e.to_string()))?;
        self.audit.record(actor, "image.register", &format!("image:{}", row.id), Outcome::Success, ctx, &format!("{} {}", row.name, row.path)).await;
        Ok((view(&row), job.id))
    }

    /// Forgets an image (the file stays where the admin put it).
    pub async fn delete_image(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<()> {
        let target = format!("image:{id}");
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "image.delete", &target, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators remove images".into()));
        }
        let row = image::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("Image {id}")))?;
        image::Entity::delete_by_id(id).exec(&self.db).await?;
        self.audit.record(actor, "image.delete", &target, Outcome::Success, ctx, &row.name).await;
        Ok(())
    }
}
