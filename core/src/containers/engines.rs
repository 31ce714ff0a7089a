//! Docker engines: the local one registered on first start, each one's health and counts asked
//! live (an unreachable engine says why), and the images containers can be made from.

use super::{Containers, ContainersError, Result};
use crate::actor::{policy, Actor};
use crate::entity::engine;
use crate::audit::{Outcome, RequestContext};
use crate::entity::container;
use pier_proto::containers::{ContainerImage, EngineView, NewEngine};
use pier_proto::ApiError;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
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
        let rows = engine::Entity::find().order_by_asc(engine::Column::Id).all(&self.db).await?;
        // Asked together: one engine that does not answer costs ASK_TIMEOUT once, not per engine.
        Ok(futures::future::join_all(rows.into_iter().map(|e| self.engine_view(e))).await)
    }

    async fn engine_view(&self, e: engine::Model) -> EngineView {
        let info = match self.engine(&e) {
            Err(err) => Err(err.to_string()),
            Ok(client) => match tokio::time::timeout(ASK_TIMEOUT, client.info()).await {
                Ok(r) => r.map_err(|err| err.to_string()),
                Err(_) => Err(super::sync::no_answer(ASK_TIMEOUT)),
            },
        };
        self.record_health(&e, info.as_ref().err().map(String::as_str)).await;
        match info {
            Ok(i) => EngineView { id: e.id, name: e.name, endpoint: e.endpoint, connected: true, error: None, version: Some(i.version), api_version: Some(i.api_version), containers: i.containers, running: i.running, images: i.images },
            Err(m) => EngineView { id: e.id, name: e.name, endpoint: e.endpoint, connected: false, error: Some(m), version: None, api_version: None, containers: 0, running: 0, images: 0 },
        }
    }

    /// Keeps the engine row's `status` and `last_error` current (the alerts engine raises
    /// `engine_unreachable` from them): written only when they change, so the followers and
    /// page views can call it freely.
    pub(super) async fn record_health(&self, e: &engine::Model, error: Option<&str>) {
        let status = if error.is_some() { "unreachable" } else { "connected" };
        if e.status == status && e.last_error.as_deref() == error {
            return;
        }
        // Re-read: the follower and a page view may both get here with an older row.
        let Ok(Some(row)) = engine::Entity::find_by_id(e.id).one(&self.db).await else { return };
        if row.status == status && row.last_error.as_deref() == error {
            return;
        }
        let mut m: engine::ActiveModel = row.into();
        m.status = Set(status.into());
        m.last_error = Set(error.map(str::to_string));
        m.checked_at = Set(Some(time::OffsetDateTime::now_utc()));
        if let Err(err) = m.update(&self.db).await {
            tracing::warn!(engine = e.name, error = %err, "engine health not recorded");
        }
    }

    /// Adds an engine (admins). It is saved even when it does not answer yet (the view says
    /// why); its events are followed from the next rescan on.
    pub async fn add_engine(&self, actor: &Actor, new: NewEngine, ctx: &RequestContext) -> Result<EngineView> {
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "engine.create", &new.name, Outcome::Denied, ctx, "").await;
            return Err(ContainersError::Forbidden("only administrators add engines".into()));
        }
        new.validate().map_err(ContainersError::Invalid)?;
        let taken = engine::Entity::find().all(&self.db).await?;
        if taken.iter().any(|e| e.name == new.name) {
            return Err(ContainersError::Invalid(ApiError { code: pier_proto::ErrorCode::Conflict, message: format!("An engine named {:?} exists.", new.name), field: Some("name".into()) }));
        }
        if taken.iter().any(|e| e.endpoint == new.endpoint) {
            return Err(ContainersError::Invalid(ApiError { code: pier_proto::ErrorCode::Conflict, message: format!("{} is registered already.", new.endpoint), field: Some("endpoint".into()) }));
        }
        let row = engine::ActiveModel {
            name: Set(new.name.clone()),
            endpoint: Set(new.endpoint.clone()),
            tls_dir: Set(new.tls_dir.clone()),
            status: Set("unknown".into()),
            created_at: Set(time::OffsetDateTime::now_utc()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        self.audit.record(actor, "engine.create", &format!("engine:{}", row.id), Outcome::Success, ctx, &format!("{} {}", row.name, row.endpoint)).await;
        Ok(self.engine_view(row).await)
    }

    /// Removes an engine from Pier (admins); its containers stay on it. Refused while Pier
    /// still records containers there (delete them, or they would lose their owner).
    pub async fn remove_engine(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<()> {
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "engine.delete", &format!("engine:{id}"), Outcome::Denied, ctx, "").await;
            return Err(ContainersError::Forbidden("only administrators remove engines".into()));
        }
        let e = self.engine_row(Some(id)).await?;
        let managed = container::Entity::find().filter(container::Column::EngineId.eq(id)).count(&self.db).await?;
        if managed > 0 {
            return Err(ContainersError::Conflict(format!("Pier manages {managed} container(s) on {}; delete them first.", e.name)));
        }
        engine::Entity::delete_by_id(id).exec(&self.db).await?;
        self.engines.lock().expect("not poisoned").retain(|k, _| !k.starts_with(&format!("{}|", e.endpoint)));
        self.audit.record(actor, "engine.delete", &format!("engine:{id}"), Outcome::Success, ctx, &format!("{} {}", e.name, e.endpoint)).await;
        Ok(())
    }

    /// The tagged images of an engine (the first one by default), for the create form: every
    /// signed-in person may see them.
    pub async fn list_images(&self, _actor: &Actor, engine_id: Option<i64>) -> Result<Vec<ContainerImage>> {
        let e = self.engine_row(engine_id).await?;
        let images = self.engine(&e)?.list_images().await?;
        Ok(images.into_iter().filter(|i| !i.tags.is_empty()).map(|i| ContainerImage { engine_id: e.id, id: i.id, tags: i.tags, size: i.size }).collect())
    }
}
