//! Who is acting, and the ONE place that decides what an actor may see and do.
//!
//! A request's actor comes from its session (or, later, its API token); schedules and workers act
//! as `System`. Every service takes an `Actor` and asks `policy`.

pub use pier_proto::accounts::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Pier's own schedules and workers.
    System,
    /// A person (or their API token).
    Person { user_id: i64, username: String, role: Role },
}

impl Actor {
    /// The stable owner key stored on rows this actor creates (`system`, `user:12`).
    pub fn key(&self) -> String {
        match self {
            Actor::System => "system".into(),
            Actor::Person { user_id, .. } => format!("user:{user_id}"),
        }
    }

    /// The person's user id (`None` for the system).
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::System => None,
            Actor::Person { user_id, .. } => Some(*user_id),
        }
    }

    pub fn display(&self) -> String {
        match self {
            Actor::System => "system".into(),
            Actor::Person { username, .. } => username.clone(),
        }
    }

    fn role(&self) -> Option<Role> {
        match self {
            Actor::System => None,
            Actor::Person { role, .. } => Some(*role),
        }
    }
}

/// Who may receive an event or read a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Platform-level: admins and support.
    Staff,
    /// The owner (an actor key such as `user:12`) and staff.
    Owner(String),
}

pub mod policy {
    use super::*;
    use pier_proto::live::Topic;

    /// May `actor` receive an event or read a record addressed to `audience`?
    pub fn may_see(actor: &Actor, audience: &Audience) -> bool {
        match actor.role() {
            None => true, // the system sees everything
            Some(Role::Admin | Role::Support) => true,
            Some(Role::Billing | Role::User) => match audience {
                Audience::Staff => false,
                Audience::Owner(owner) => *owner == actor.key(),
            },
        }
    }

    /// May `actor` subscribe to `topic` at all? Per-event filtering by `may_see` still applies;
    /// this only refuses topic families the role can never read.
    pub fn may_subscribe(actor: &Actor, topic: &Topic) -> Result<(), String> {
        match topic.family() {
            // Everyone may follow jobs, VPSs and containers; they only receive their own unless staff.
            "jobs" | "job" | "vps" | "containers" | "container" | "metrics_vps" | "metrics_container" | "alerts" | "notifications" => Ok(()),
            other => match actor.role() {
                None | Some(Role::Admin | Role::Support) => Ok(()),
                _ => Err(format!("topic family {other:?} is not available to this account")),
            },
        }
    }

    /// Reading the account list: admins, support, and billing (who manage plans and expiry).
    pub fn may_read_users(actor: &Actor) -> bool {
        matches!(actor.role(), None | Some(Role::Admin | Role::Support | Role::Billing))
    }

    /// Creating, editing, suspending and deleting accounts: admins only.
    pub fn may_manage_users(actor: &Actor) -> bool {
        matches!(actor.role(), None | Some(Role::Admin))
    }

    /// Hosts, IP pools and images: admins change them; support reads them.
    pub fn may_manage_platform(actor: &Actor) -> bool {
        matches!(actor.role(), None | Some(Role::Admin))
    }

    pub fn may_read_platform(actor: &Actor) -> bool {
        matches!(actor.role(), None | Some(Role::Admin | Role::Support))
    }

    /// Plans (sizes and prices): admins and billing change them; everyone sees the active ones.
    /// Listing every VPS: staff, and billing (who extend expiry dates). Operating one is for its
    /// owner and administrators.
    pub fn may_read_all_vps(actor: &Actor) -> bool {
        matches!(actor.role(), None | Some(Role::Admin | Role::Support | Role::Billing))
    }

    /// Every container on every engine (including ones made outside Pier): admins and support.
    /// Operating one is for its owner and administrators.
    pub fn may_read_all_containers(actor: &Actor) -> bool {
        matches!(actor.role(), None | Some(Role::Admin | Role::Support))
    }

    pub fn may_manage_plans(actor: &Actor) -> bool {
        matches!(actor.role(), None | Some(Role::Admin | Role::Billing))
    }

    /// Platform diagnostics (health checks, worker self-test): admins and support.
    pub fn may_run_diagnostics(actor: &Actor) -> bool {
        matches!(actor.role(), None | Some(Role::Admin | Role::Support))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pier_proto::live::Topic;

    fn person(id: i64, role: Role) -> Actor {
        Actor::Person { user_id: id, username: format!("u{id}"), role }
    }

    #[test]
    fn owners_see_their_own_and_staff_see_all() {
        let own = Audience::Owner("user:7".into());
        assert!(policy::may_see(&person(7, Role::User), &own));
        assert!(!policy::may_see(&person(8, Role::User), &own));
        assert!(!policy::may_see(&person(8, Role::User), &Audience::Staff));
        assert!(!policy::may_see(&person(8, Role::Billing), &Audience::Staff));
        assert!(policy::may_see(&person(1, Role::Support), &own));
        assert!(policy::may_see(&person(1, Role::Admin), &Audience::Staff));
        assert!(policy::may_see(&Actor::System, &Audience::Staff));
    }

    #[test]
    fn topic_families_are_gated_by_role() {
        let user = person(3, Role::User);
        assert!(policy::may_subscribe(&user, &Topic::jobs()).is_ok());
        assert!(policy::may_subscribe(&user, &Topic::new("host:1").unwrap()).is_err());
        assert!(policy::may_subscribe(&user, &Topic::new("vps:9").unwrap()).is_ok(), "filtered per event by owner");
        assert!(policy::may_subscribe(&person(1, Role::Support), &Topic::new("host:1").unwrap()).is_ok());
        assert!(!policy::may_run_diagnostics(&user));
        assert!(policy::may_run_diagnostics(&person(1, Role::Admin)));
        assert!(policy::may_manage_users(&person(1, Role::Admin)));
        assert!(!policy::may_manage_users(&person(1, Role::Support)));
    }
}
