//! Containers on Docker engines: which engines exist, who owns which container, and every
//! change checked (role + ownership) and audited. Talking to dockerd is `pier-docker`'s job.
//!
//! Ownership is kept twice on purpose: a row here (the truth for authorization) and the
//! `io.pier.owner` label on the container (so `docker ps` and a restored database agree).
//! Containers made outside Pier have no row: admins and support see them as unmanaged.

use crate::actor::{policy, Actor};
use crate::audit::{Audit, Outcome, RequestContext};
use crate::entity::{container, engine, user};
use crate::events::EventBus;
use pier_docker::{DockerError, Engine, LABEL_MANAGED, LABEL_OWNER};
use pier_proto::containers::{validate_container_id, ContainerAction, ContainerChange, ContainerView, NewContainer};
use pier_proto::{ApiError, ErrorCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub mod engines;
pub mod files;
pub mod images;
pub mod scripts;
pub mod stats;
pub mod sync;

pub use crate::service_error::ServiceError as ContainersError;

impl From<DockerError> for ContainersError {
    fn from(e: DockerError) -> Self {
        match e {
            DockerError::NoContainer(id) => ContainersError::NotFound(format!("Container {id}")),
            DockerError::NoPath(path) => ContainersError::NotFound(path),
            e @ DockerError::TooLarge { .. } => ContainersError::Invalid(ApiError::new(ErrorCode::InvalidInput, e.to_string())),
            DockerError::NoImage(image) => ContainersError::Invalid(ApiError::invalid("image", format!("The engine has no image {image:?}; load or pull it first."))),
            DockerError::Conflict(m) => ContainersError::Conflict(m),
            DockerError::Invalid(m) => ContainersError::Invalid(ApiError::new(ErrorCode::InvalidInput, m)),
            e @ (DockerError::Connect { .. } | DockerError::Engine(_)) => ContainersError::Unavailable(e.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, ContainersError>;

/// An engine that lists nothing within this is left out of a listing (it shows as unreachable
/// on the engines card).
const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone)]
pub struct Containers {
    db: DatabaseConnection,
    audit: Audit,
    bus: EventBus,
    /// Host directories bind mounts may come from (and nothing outside it).
    bind_root: PathBuf,
    engines: Arc<Mutex<HashMap<String, Engine>>>,
    stats: stats::ContainerStatsStore,
    /// Records (`containers.id`) whose startup script runs now: one run at a time each.
    scripts_running: Arc<Mutex<std::collections::HashSet<i64>>>,
    /// Which deaths were asked for (see `sync::DeathWatch`).
    deaths: Arc<sync::DeathWatch>,
    /// How often the event followers ping their engine (`sync::PING_EVERY`; tests shorten it).
    ping_every: std::time::Duration,
}

impl Containers {
    pub fn new(db: DatabaseConnection, audit: Audit, bus: EventBus, bind_root: PathBuf) -> Self {
        Self { db, audit, bus, bind_root, engines: Default::default(), stats: Default::default(), scripts_running: Default::default(), deaths: Default::default(), ping_every: sync::PING_EVERY }
    }

    /// The same service with its followers pinging every `every` (tests).
    pub fn with_ping_every(mut self, every: std::time::Duration) -> Self {
        self.ping_every = every;
        self
    }

    /// The client for engine `row` (clients connect lazily and are cheap to keep; one per
    /// endpoint and certificate folder, so an edited engine gets a new one).
    pub(super) fn engine(&self, row: &engine::Model) -> Result<Engine> {
        let key = format!("{}|{}", row.endpoint, row.tls_dir.as_deref().unwrap_or_default());
        let mut open = self.engines.lock().expect("not poisoned");
        if let Some(e) = open.get(&key) {
            return Ok(e.clone());
        }
        let e = Engine::connect_with(&row.endpoint, row.tls_dir.as_deref().map(std::path::Path::new))?;
        open.insert(key, e.clone());
        Ok(e)
    }

    /// Containers `actor` may see on every engine: their own, or all (with made-outside-Pier
    /// ones as unowned) for staff. An unreachable engine is skipped, not fatal.
    pub async fn list_containers(&self, actor: &Actor) -> Result<Vec<ContainerView>> {
        let all = policy::may_read_all_containers(actor);
        let rows = container::Entity::find().all(&self.db).await?;
        let owners: HashMap<(i64, &str), Option<i64>> = rows.iter().map(|r| ((r.engine_id, r.docker_id.as_str()), r.owner_id)).collect();
        let names: HashMap<i64, String> = user::Entity::find().all(&self.db).await?.into_iter().map(|u| (u.id, u.username)).collect();
        let engines = engine::Entity::find().order_by_asc(engine::Column::Id).all(&self.db).await?;
        // Engines are asked together, each for at most LIST_TIMEOUT: one that is down or slow
        // costs the page that long once, and its containers are left out.
        let listings = futures::future::join_all(engines.iter().map(|e| async move {
            let client = self.engine(e).ok()?;
            tokio::time::timeout(LIST_TIMEOUT, client.list_containers()).await.ok()?.ok()
        }))
        .await;
        let mut out = Vec::new();
        for (e, listed) in engines.iter().zip(listings) {
            let Some(listed) = listed else { continue };
            for c in listed {
                let owner_id = owners.get(&(e.id, c.id.as_str())).copied().flatten();
                if !all && (owner_id.is_none() || owner_id != actor.user_id()) {
                    continue;
                }
                out.push(ContainerView {
                    id: c.id,
                    engine_id: e.id,
                    name: c.name,
                    image: c.image,
                    state: c.state,
                    status: c.status,
                    owner: owner_id.and_then(|o| names.get(&o).cloned()),
                    ports: c.ports,
                    created_at: c.created,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// A host path for a bind mount must lie under the bind root (after resolving `..` and
    /// symlinks as far as the path exists), so a container cannot be given /etc or /.
    fn check_bind(&self, source: &str) -> Result<()> {
        let refuse = || ContainersError::Invalid(ApiError::invalid("mounts", format!("Host folders for containers must be under {}.", self.bind_root.display())));
        let root = self.bind_root.canonicalize().unwrap_or_else(|_| self.bind_root.clone());
        let mut probe = PathBuf::from(source);
        let mut rest = Vec::new();
        // The deepest existing ancestor decides (a folder not made yet cannot be a symlink).
        while !probe.exists() {
            rest.push(probe.file_name().map(|n| n.to_owned()).ok_or_else(refuse)?);
            probe = probe.parent().ok_or_else(refuse)?.to_path_buf();
        }
        let resolved = probe.canonicalize().map_err(|_| refuse())?;
        if resolved.starts_with(&root) {
            Ok(())
        } else {
            Err(refuse())
        }
    }

    /// Creates a container for `actor` (admins may name another owner later; here the creator
    /// owns it), labelled with its owner; starts it when asked.
    pub async fn create_container(&self, actor: &Actor, new: NewContainer, ctx: &RequestContext) -> Result<ContainerView> {
        let user_id = actor.user_id().ok_or_else(|| ContainersError::Forbidden("only a person owns containers".into()))?;
        new.validate().map_err(ContainersError::Invalid)?;
        for m in new.mounts.iter().filter(|m| m.source.starts_with('/')) {
            self.check_bind(&m.source)?;
        }
        let e = self.engine_row(new.engine_id).await?;
        let labels = HashMap::from([(LABEL_MANAGED.to_string(), "true".to_string()), (LABEL_OWNER.to_string(), user_id.to_string())]);
        let made = self.engine(&e)?.create_container(&new, labels).await;
        let id = match made {
            Ok(id) => id,
            Err(err) => {
                self.audit.record(actor, "container.create", &new.name, Outcome::Failure, ctx, &err.to_string()).await;
                return Err(err.into());
            }
        };
        container::ActiveModel {
            engine_id: Set(e.id),
            docker_id: Set(id.clone()),
            name: Set(new.name.clone()),
            owner_id: Set(Some(user_id)),
            created_at: Set(time::OffsetDateTime::now_utc()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        let public: Vec<String> = new.ports.iter().filter(|p| p.public).map(|p| p.host_port.to_string()).collect();
        let detail = format!("{} from {}{}", new.name, new.image, if public.is_empty() { String::new() } else { format!(" (public ports {})", public.join(", ")) });
        self.audit.record(actor, "container.create", &format!("container:{}", short(&id)), Outcome::Success, ctx, &detail).await;
        self.view(actor, &id).await
    }

    /// One container `actor` may see (another person's is "not found").
    pub async fn get_container(&self, actor: &Actor, id: &str) -> Result<ContainerView> {
        validate_container_id(id).map_err(ContainersError::Invalid)?;
        self.view(actor, id).await
    }

    pub(super) async fn view(&self, actor: &Actor, id: &str) -> Result<ContainerView> {
        self.list_containers(actor).await?.into_iter().find(|c| c.id == id).ok_or_else(|| ContainersError::NotFound(format!("Container {}", short(id))))
    }

    /// The engine and id to read `id`'s logs from: its owner and staff (support reads logs to
    /// help, without operating the container).
    pub async fn log_source(&self, actor: &Actor, id: &str) -> Result<(Engine, ContainerView)> {
        validate_container_id(id).map_err(ContainersError::Invalid)?;
        let view = self.view(actor, id).await?;
        let e = self.engine_row(Some(view.engine_id)).await?;
        Ok((self.engine(&e)?, view))
    }

    /// Checks and records the start of a terminal session: owner or admin, from a browser
    /// session (an API token never gets a shell), in a running container. Returns the engine and
    /// the container; `exec_ended` records the end.
    pub async fn exec_target(&self, actor: &Actor, id: &str, command: &[String], ctx: &RequestContext) -> Result<(Engine, ContainerView)> {
        if ctx.token.is_some() {
            return Err(ContainersError::Forbidden("A terminal needs a signed-in browser session, not an API token.".into()));
        }
        if command.is_empty() || command.len() > 16 || command.iter().any(|a| a.is_empty() || a.len() > 256 || a.contains('\0')) {
            return Err(ContainersError::Invalid(ApiError::invalid("command", "1–16 arguments of up to 256 characters.")));
        }
        let (view, e) = self.operable(actor, id, "container.exec", ctx).await?;
        if view.state != pier_proto::containers::ContainerState::Running {
            return Err(ContainersError::Conflict(format!("{} is {}; start it to open a terminal.", view.name, view.state.as_str())));
        }
        self.audit.record(actor, "container.exec", &format!("container:{}", short(id)), Outcome::Success, ctx, &format!("{}: {}", view.name, command.join(" "))).await;
        Ok((self.engine(&e)?, view))
    }

    pub async fn exec_ended(&self, actor: &Actor, view: &ContainerView, exit_code: Option<i64>, ctx: &RequestContext) {
        let detail = format!("{}: ended{}", view.name, exit_code.map(|c| format!(" with exit code {c}")).unwrap_or_default());
        self.audit.record(actor, "container.exec_end", &format!("container:{}", short(&view.id)), Outcome::Success, ctx, &detail).await;
    }

    /// The container `id` if `actor` may operate it (owner or admin): its view and engine.
    pub(super) async fn operable(&self, actor: &Actor, id: &str, action: &str, ctx: &RequestContext) -> Result<(ContainerView, engine::Model)> {
        let target = format!("container:{}", short(id));
        validate_container_id(id).map_err(ContainersError::Invalid)?;
        let Ok(view) = self.view(actor, id).await else {
            self.audit.record(actor, action, &target, Outcome::Denied, ctx, "not visible").await;
            return Err(ContainersError::NotFound(format!("Container {}", short(id))));
        };
        let owns = view.owner.is_some() && container::Entity::find().filter(container::Column::DockerId.eq(id)).one(&self.db).await?.is_some_and(|r| r.owner_id == actor.user_id() && r.owner_id.is_some());
        if !(owns || policy::may_manage_platform(actor)) {
            self.audit.record(actor, action, &target, Outcome::Denied, ctx, "").await;
            return Err(ContainersError::Forbidden("only its owner or an administrator operates a container".into()));
        }
        let e = self.engine_row(Some(view.engine_id)).await?;
        Ok((view, e))
    }

    pub async fn act(&self, actor: &Actor, id: &str, action: ContainerAction, ctx: &RequestContext) -> Result<ContainerView> {
        let audit_action = format!("container.{}", action.as_str());
        let (view, e) = self.operable(actor, id, &audit_action, ctx).await?;
        if !action.allowed_from(view.state) {
            return Err(ContainersError::Conflict(format!("{} is {}; it cannot {} now.", view.name, view.state.as_str(), action.as_str())));
        }
        let done = self.engine(&e)?.act(&view.id, action).await;
        let outcome = if done.is_ok() { Outcome::Success } else { Outcome::Failure };
        self.audit.record(actor, &audit_action, &format!("container:{}", short(id)), outcome, ctx, &view.name).await;
        done?;
        self.view(actor, id).await
    }

    /// Renames a container and/or changes its limits and restart policy (owner or admin).
    pub async fn change_container(&self, actor: &Actor, id: &str, change: ContainerChange, ctx: &RequestContext) -> Result<ContainerView> {
        change.validate().map_err(ContainersError::Invalid)?;
        let (view, e) = self.operable(actor, id, "container.update", ctx).await?;
        let engine = self.engine(&e)?;
        if change.memory_mib.is_some() || change.cpus.is_some() || change.restart.is_some() {
            engine.update_container(&view.id, &change).await?;
        }
        if let Some(name) = change.name.as_ref().filter(|n| **n != view.name) {
            engine.rename_container(&view.id, name).await?;
            container::Entity::update_many()
                .col_expr(container::Column::Name, sea_orm::sea_query::Expr::value(name.clone()))
                .filter(container::Column::DockerId.eq(&view.id))
                .exec(&self.db)
                .await?;
        }
        let detail = format!("{}: {}", view.name, serde_json::to_string(&change).unwrap_or_default());
        self.audit.record(actor, "container.update", &format!("container:{}", short(id)), Outcome::Success, ctx, &detail).await;
        self.view(actor, id).await
    }

    /// Gives a container made outside Pier an owner (admins): it becomes managed. Docker cannot
    /// relabel an existing container, so the owner lives in Pier's record only.
    pub async fn adopt_container(&self, actor: &Actor, id: &str, owner_id: i64, ctx: &RequestContext) -> Result<ContainerView> {
        validate_container_id(id).map_err(ContainersError::Invalid)?;
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "container.adopt", &format!("container:{}", short(id)), Outcome::Denied, ctx, "").await;
            return Err(ContainersError::Forbidden("only administrators adopt containers".into()));
        }
        let view = self.view(actor, id).await?;
        if view.owner.is_some() {
            return Err(ContainersError::Conflict(format!("{} is already managed by Pier.", view.name)));
        }
        let owner = user::Entity::find_by_id(owner_id).one(&self.db).await?.ok_or_else(|| ContainersError::Invalid(ApiError::invalid("owner_id", "No such user.")))?;
        container::ActiveModel {
            engine_id: Set(view.engine_id),
            docker_id: Set(view.id.clone()),
            name: Set(view.name.clone()),
            owner_id: Set(Some(owner.id)),
            created_at: Set(time::OffsetDateTime::now_utc()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        self.audit.record(actor, "container.adopt", &format!("container:{}", short(id)), Outcome::Success, ctx, &format!("{} → {}", view.name, owner.username)).await;
        self.view(actor, id).await
    }

    /// Removes a container (typed name to confirm; `volumes` also removes its anonymous ones).
    pub async fn delete_container(&self, actor: &Actor, id: &str, confirm: &str, volumes: bool, ctx: &RequestContext) -> Result<()> {
        let (view, e) = self.operable(actor, id, "container.delete", ctx).await?;
        if confirm != view.name {
            return Err(ContainersError::Invalid(ApiError::invalid("confirm", "Type the container's name exactly to confirm.")));
        }
        // The record goes first, so the engine's "destroy" event is not taken for a removal
        // outside Pier; it comes back if Docker refuses.
        // Its startup script goes with the record (cascade) and comes back with it.
        let row = container::Entity::find().filter(container::Column::DockerId.eq(&view.id)).one(&self.db).await?;
        let script = match &row {
            Some(r) => crate::entity::container_script::Entity::find().filter(crate::entity::container_script::Column::ContainerId.eq(r.id)).one(&self.db).await?,
            None => None,
        };
        container::Entity::delete_many().filter(container::Column::DockerId.eq(&view.id)).exec(&self.db).await?;
        if let Err(err) = self.engine(&e)?.remove_container(&view.id, volumes).await {
            if let Some(row) = row {
                let _ = container::ActiveModel::from(row).insert(&self.db).await;
                if let Some(script) = script {
                    let _ = crate::entity::container_script::ActiveModel::from(script).insert(&self.db).await;
                }
            }
            return Err(err.into());
        }
        let detail = format!("{}{}", view.name, if volumes { " with its volumes" } else { "" });
        self.audit.record(actor, "container.delete", &format!("container:{}", short(id)), Outcome::Success, ctx, &detail).await;
        Ok(())
    }
}

/// Docker's short id (12 hex), as people see it.
pub(super) fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
