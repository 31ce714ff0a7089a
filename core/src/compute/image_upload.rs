//! Image upload: the file is streamed to disk as it arrives (never held in memory), with a size
//! limit checked against the declared length before anything is written and against the bytes
//! as they come. A finished upload is registered like any file (the inspection job detects the
//! format, rejects a truncated or foreign file, and checks the SHA-256 when one was given); an
//! interrupted or refused one leaves nothing behind.

use super::{Compute, ComputeError, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::image;
use crate::jobs::Jobs;
use futures::Stream;
use pier_proto::compute::{ImageView, NewImage};
use pier_proto::ApiError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::path::Path;

/// Uploads larger than this are refused (cloud images are a few hundred MB; whole disks more).
pub const UPLOAD_MAX_BYTES: u64 = 64 << 30;

impl Compute {
    /// Streams `body` into `dir` and registers it with `meta` (its `path` is ignored). Returns
    /// the image and the id of the job checking it.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_image<S, T, E>(&self, jobs: &Jobs, actor: &Actor, mut meta: NewImage, dir: &Path, declared: Option<u64>, max: u64, body: S, ctx: &RequestContext) -> Result<(ImageView, i64)>
    where
        S: Stream<Item = std::result::Result<T, E>> + Unpin,
        T: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "image.upload", &meta.name, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators add images".into()));
        }
        // Everything that can be refused is refused before a byte is stored.
        let file = dir.join(format!("{}-{}.img", meta.name, &uuid::Uuid::new_v4().simple().to_string()[..8]));
        meta.path = file.display().to_string();
        meta.validate().map_err(ComputeError::Invalid)?;
        if image::Entity::find().filter(image::Column::Name.eq(meta.name.clone())).one(&self.db).await?.is_some() {
            return Err(ComputeError::Invalid(ApiError { code: pier_proto::ErrorCode::Conflict, message: format!("An image named {:?} exists.", meta.name), field: Some("name".into()) }));
        }
        crate::upload::check_declared(declared, max)?;
        let partial = match crate::upload::receive(dir, declared, max, body).await {
            Ok(p) => p,
            Err(e) => {
                self.audit.record(actor, "image.upload", &meta.name, Outcome::Failure, ctx, &e.to_string()).await;
                return Err(e);
            }
        };
        tokio::fs::rename(&partial, &file).await.map_err(|e| ComputeError::Unavailable(format!("cannot store the upload: {e}")))?;
        match self.register_image(jobs, actor, meta, ctx).await {
            Ok(done) => Ok(done),
            Err(e) => {
                let _ = tokio::fs::remove_file(&file).await;
                Err(e)
            }
        }
    }
}
