//! Docker engines: the local one registered on first start, each one's health and counts asked
//! live (an unreachable engine says why), and the images containers can be made from.

use super::{Containers, ContainersError, Result};
use crate::actor::{policy, Actor};
use crate::entity::engine;
use pier_proto::containers::{ContainerImage, EngineView};
use sea_orm::{ActiveModelTrait, DbErr, EntityTrait, QueryOrder, Set};
use std::time::Duration;

/// An engine that does not answer within this is shown as unreachable.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);

impl Containers {
    /// Registers the panel's own engine on first start (`docker.host` in the configuration).
    pub async fn ensure_default_engine(&self, endpoint: &str) -> std::result::Result<(), DbErr> {
        if engine::Entity::find().one(&self.db).await?.is_none() {
            engine::ActiveModel {
                name: Set("local".into()),
                endpoint: Set(endpoint.to_string()),
                status: Set("unknown".into()),
                created_at: Set(time::OffsetDateTime::now_utc()),
                ..Default::default()
            }
            .insert(&self.db)
            .await?;
        }
        Ok(())
    }

    pub(super) async fn engine_row(&self, id: Option<i64>) -> Result<engine::Model> {
        let row = match id {
            Some(id) => engine::Entity::find_by_id(id).one(&self.db).await?,
            None => engine::Entity::find().order_by_asc(engine::Column::Id).one(&self.db).await?,
        };
        row.ok_or_else(|| ContainersError::NotFound(id.map(|i| format!("Engine {i}")).unwrap_or_else(|| "A Docker engine".into())))
    }

    /// Every engine with its live health (staff).
    pub async fn list_engines(&self, actor: &Actor) -> Result<Vec<EngineView>> {
        if !policy::may_read_all_containers(actor) {
            return Err(ContainersError::Forbidden("engines are for administrators and support".into()));
        }
        let mut out = Vec::new();
        for e in engine::Entity::find().order_by_asc(engine::Column::Id).all(&self.db).await? {
            let info = match tokio::time::timeout(ASK_TIMEOUT, self.engine(&e.endpoint)?.info()).await {
                Ok(r) => r.map_err(|err| err.to_string()),
                Err(_) => Err(format!("no answer within {} seconds", ASK_TIMEOUT.as_secs())),
            };
            out.push(match info {
                Ok(i) => EngineView { id: e.id, name: e.name, endpoint: e.endpoint, connected: true, error: None, version: Some(i.version), api_version: Some(i.api_version), containers: i.containers, running: i.running, images: i.images },
                Err(m) => EngineView { id: e.id, name: e.name, endpoint: e.endpoint, connected: false, error: Some(m), version: None, api_version: None, containers: 0, running: 0, images: 0 },
            });
        }
        Ok(out)
    }

    /// The tagged images of an engine (the first one by default), for the create form: every
    /// signed-in person may see them.
    pub async fn list_images(&self, _actor: &Actor, engine_id: Option<i64>) -> Result<Vec<ContainerImage>> {
        let e = self.engine_row(engine_id).await?;
        let images = self.engine(&e.endpoint)?.list_images().await?;
        Ok(images.into_iter().filter(|i| !i.tags.is_empty()).map(|i| ContainerImage { engine_id: e.id, id: i.id, tags: i.tags, size: i.size }).collect())
    }
}
