//! The engine's local images (what containers can be created from).

use crate::engine::Engine;
use crate::error::DockerError;
use bollard::query_parameters::ListImagesOptions;

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
}
