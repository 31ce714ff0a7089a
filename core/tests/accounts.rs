//! Accounts against a real SQLite database: creation rules, login, lockout, setup tokens, audit.

mod common;

use common::{api, ctx, env, new_user, session_of};
use pier_core::accounts::{AccountError, PasswordChecked, MAX_FAILED_LOGINS};
use pier_core::actor::{Actor, Role};
use pier_core::audit::{AuditQuery, RequestContext};
use pier_proto::ErrorCode;

#[tokio::test]
async fn admins_create_accounts_and_bad_input_names_the_field() {
    let env = env().await;
    let admin = env.accounts.create_admin_from_cli(new_user("root", Role::User)).await.unwrap();
    assert_eq!(admin.role, Role::Admin, "the CLI always creates an admin");
    let actor = pier_core::accounts::actor_of(&admin);

    let alice = env.accounts.create_user(&actor, new_user("alice", Role::User), &ctx()).await.unwrap();
    assert_eq!((alice.username.as_str(), alice.role), ("alice", Role::User));

    let dup = api(env.accounts.create_user(&actor, new_user("alice", Role::User), &ctx()).await.unwrap_err());
    assert_eq!((dup.code, dup.field.as_deref()), (ErrorCode::Conflict, Some("username")));
    let mut same_mail = new_user("alice2", Role::User);
    same_mail.email = "ALICE@example.com".into();
    let dup = api(env.accounts.create_user(&actor, same_mail, &ctx()).await.unwrap_err());
    assert_eq!(dup.field.as_deref(), Some("email"));
    let mut weak = new_user("bob", Role::User);
    weak.password = "short".into();
    assert_eq!(api(env.accounts.create_user(&actor, weak, &ctx()).await.unwrap_err()).field.as_deref(), Some("password"));
    let mut bad_mail = new_user("carol", Role::User);
    bad_mail.email = "carol".into();
    assert_eq!(api(env.accounts.create_user(&actor, bad_mail, &ctx()).await.unwrap_err()).field.as_deref(), Some("email"));
    assert_eq!(env.accounts.user_count().await.unwrap(), 2, "nothing half-written");

    // A non-admin may not create accounts, and the refusal is audited.
    let user_actor = pier_core::accounts::actor_of(&alice);
    let denied = api(env.accounts.create_user(&user_actor, new_user("mallory", Role::Admin), &ctx()).await.unwrap_err());
    assert_eq!(denied.code, ErrorCode::Forbidden);
    let log = env.audit.list(&Actor::System, &AuditQuery { action: Some("user.create".into()), ..Default::default() }).await.unwrap();
    assert!(log.iter().any(|e| e.outcome == "denied" && e.actor_name == "alice"));
    assert!(log.iter().any(|e| e.outcome == "success" && e.target == format!("user:{}", alice.id) && e.ip.as_deref() == Some("127.0.0.9")));
}

#[tokio::test]
async fn login_checks_the_password_and_locks_after_repeated_failures() {
    let env = env().await;
    env.accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let PasswordChecked::SignedIn(ok) = env.accounts.authenticate("Root ", "correct horse battery", &ctx()).await.unwrap() else {
        panic!("no second factor set up: signed in at once")
    };
    assert_eq!(ok.username, "root");
    assert!(ok.last_login_at.is_some());

    let unknown = api(env.accounts.authenticate("nobody", "correct horse battery", &ctx()).await.unwrap_err());
    let wrong = api(env.accounts.authenticate("root", "wrong password!!", &ctx()).await.unwrap_err());
    assert_eq!(unknown, wrong, "an unknown user and a wrong password look the same");

    for _ in 1..MAX_FAILED_LOGINS - 1 {
        assert!(matches!(env.accounts.authenticate("root", "wrong password!!", &ctx()).await, Err(AccountError::BadCredentials)));
    }
    // The fifth failure in a row locks the account; then even the right password is refused.
    assert!(matches!(env.accounts.authenticate("root", "wrong password!!", &ctx()).await, Err(AccountError::Locked { minutes: 15 })));
    let locked = api(env.accounts.authenticate("root", "correct horse battery", &ctx()).await.unwrap_err());
    assert!(locked.message.contains("locked"), "{}", locked.message);

    let failures = env
        .audit
        .list(&Actor::System, &AuditQuery { action: Some("auth.login".into()), outcome: Some("failure".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(failures.len(), MAX_FAILED_LOGINS as usize + 2, "every failed attempt is audited");
    assert!(failures.iter().any(|e| e.detail == "unknown username" && e.actor_name == "nobody"));
}

#[tokio::test]
async fn a_setup_token_creates_one_admin_once() {
    let env = env().await;
    let token = env.accounts.issue_setup_token().await.unwrap().expect("no users yet: a token");
    assert!(env.accounts.setup_token_valid(&token).await.unwrap());
    assert!(!env.accounts.setup_token_valid(&"0".repeat(64)).await.unwrap());
    assert!(!env.accounts.setup_token_valid("../../etc").await.unwrap());

    let mut weak = new_user("first", Role::User);
    weak.password = "x".into();
    assert!(matches!(env.accounts.setup_first_admin(&token, weak, &ctx()).await, Err(AccountError::Invalid(_))));
    assert!(env.accounts.setup_token_valid(&token).await.unwrap(), "a refused form does not spend the token");

    let admin = env.accounts.setup_first_admin(&token, new_user("first", Role::User), &ctx()).await.unwrap();
    assert_eq!(admin.role, Role::Admin);
    let again = env.accounts.setup_first_admin(&token, new_user("second", Role::User), &ctx()).await.unwrap_err();
    assert!(matches!(again, AccountError::SetupClosed));
    assert_eq!(env.accounts.issue_setup_token().await.unwrap(), None, "no setup link once an admin exists");
    assert_eq!(env.accounts.user_count().await.unwrap(), 1);
}

#[tokio::test]
async fn administrators_manage_accounts_and_suspension_ends_sessions() {
    use pier_proto::accounts::{UserQuery, UserStatus, UserUpdate};
    use tower_sessions_core::SessionStore;
    let env = env().await;
    let (accounts, store) = (&env.accounts, &env.store);

    let root = accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let admin = pier_core::accounts::actor_of(&root);
    for name in ["alice", "bob", "carol"] {
        accounts.create_user(&admin, new_user(name, Role::User), &ctx()).await.unwrap();
    }
    let page = accounts.list_users(&admin, &UserQuery { search: "AL".into(), ..Default::default() }).await.unwrap();
    assert_eq!(page.users.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), vec!["alice"]);
    let page = accounts.list_users(&admin, &UserQuery { per_page: Some(2), page: 1, ..Default::default() }).await.unwrap();
    assert_eq!((page.total, page.users.len()), (4, 2));
    // `_` and `%` are literal in searches, not wildcards.
    assert_eq!(accounts.list_users(&admin, &UserQuery { search: "_".into(), ..Default::default() }).await.unwrap().total, 0);

    // Alice has a live session; suspending her ends it.
    let alice = accounts.list_users(&admin, &UserQuery { search: "alice".into(), ..Default::default() }).await.unwrap().users[0].clone();
    let alice_session = session_of(store, alice.id).await;
    assert_eq!(store.list_for_user(alice.id).await.unwrap().len(), 1);
    let suspended = accounts
        .update_user(&admin, alice.id, UserUpdate { status: Some(UserStatus::Suspended), ..Default::default() }, &ctx())
        .await
        .unwrap();
    assert_eq!(suspended.status, UserStatus::Suspended);
    assert!(store.load(&alice_session).await.unwrap().is_none(), "the session is gone");
    let refused = api(accounts.authenticate("alice", "correct horse battery", &ctx()).await.unwrap_err());
    assert!(refused.message.contains("suspended"), "{}", refused.message);

    // Non-admins cannot change accounts; support may read the list.
    let support = accounts.create_user(&admin, new_user("sam", Role::Support), &ctx()).await.unwrap();
    let support = pier_core::accounts::actor_of(&support);
    assert_eq!(accounts.list_users(&support, &UserQuery::default()).await.unwrap().total, 5);
    let denied = api(accounts.update_user(&support, alice.id, UserUpdate { role: Some(Role::Admin), ..Default::default() }, &ctx()).await.unwrap_err());
    assert_eq!(denied.code, ErrorCode::Forbidden);
    let bob = pier_core::accounts::actor_of(&accounts.list_users(&admin, &UserQuery { search: "bob".into(), ..Default::default() }).await.unwrap().users[0]);
    assert_eq!(api(accounts.list_users(&bob, &UserQuery::default()).await.unwrap_err()).code, ErrorCode::Forbidden);

    // The last administrator can be neither demoted, suspended nor deleted.
    let demote = api(accounts.update_user(&admin, root.id, UserUpdate { role: Some(Role::User), ..Default::default() }, &ctx()).await.unwrap_err());
    assert_eq!(demote.code, ErrorCode::Conflict);
    assert!(demote.message.contains("last active administrator"));
    assert_eq!(api(accounts.delete_user(&admin, root.id, "root", &ctx()).await.unwrap_err()).code, ErrorCode::Conflict);

    // Deleting needs the typed username, checked on the server.
    let wrong = api(accounts.delete_user(&admin, alice.id, "alicee", &ctx()).await.unwrap_err());
    assert_eq!(wrong.field.as_deref(), Some("confirm"));
    accounts.delete_user(&admin, alice.id, "alice", &ctx()).await.unwrap();
    assert_eq!(api(accounts.delete_user(&admin, alice.id, "alice", &ctx()).await.unwrap_err()).code, ErrorCode::NotFound);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_throttled() {
    let env = env().await;
    env.accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    for i in 0..pier_core::accounts::throttle::MAX_FAILURES {
        // A different (unknown) username each time: no account lockout applies.
        assert!(matches!(env.accounts.authenticate(&format!("guess{i}"), "whatever password", &ctx()).await, Err(AccountError::BadCredentials)));
    }
    let refused = api(env.accounts.authenticate("root", "correct horse battery", &ctx()).await.unwrap_err());
    assert!(refused.message.contains("from your address"), "{}", refused.message);
    // Another address is not affected.
    let elsewhere = RequestContext { ip: Some("127.0.0.10".into()), ..Default::default() };
    assert!(env.accounts.authenticate("root", "correct horse battery", &elsewhere).await.is_ok());
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    use tower_sessions_core::SessionStore;
    let env = env().await;
    let (accounts, store) = (&env.accounts, &env.store);
    let me = accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let actor = pier_core::accounts::actor_of(&me);
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(session_of(store, me.id).await);
    }
    let this = pier_core::sessions::DbSessionStore::handle_of(&sessions[0]);

    let wrong = api(accounts.change_password(&actor, "not it", "another long phrase", &this, &ctx()).await.unwrap_err());
    assert_eq!(wrong.field.as_deref(), Some("current"));
    let weak = api(accounts.change_password(&actor, "correct horse battery", "short", &this, &ctx()).await.unwrap_err());
    assert_eq!(weak.field.as_deref(), Some("password"));
    assert_eq!(store.list_for_user(me.id).await.unwrap().len(), 3, "refusals change nothing");

    let ended = accounts.change_password(&actor, "correct horse battery", "another long phrase", &this, &ctx()).await.unwrap();
    assert_eq!(ended, 2);
    assert!(store.load(&sessions[0]).await.unwrap().is_some(), "this device stays signed in");
    assert!(store.load(&sessions[1]).await.unwrap().is_none());
    assert!(accounts.authenticate("root", "another long phrase", &ctx()).await.is_ok());
    assert!(accounts.authenticate("root", "correct horse battery", &ctx()).await.is_err());
}

#[tokio::test]
async fn the_audit_log_shows_people_only_their_own_entries_and_staff_everything() {
    let env = env().await;
    let root = env.accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let admin = pier_core::accounts::actor_of(&root);
    let alice = env.accounts.create_user(&admin, new_user("alice", Role::User), &ctx()).await.unwrap();
    env.accounts.authenticate("alice", "correct horse battery", &ctx()).await.unwrap();
    env.accounts.authenticate("root", "correct horse battery", &ctx()).await.unwrap();
    let alice = pier_core::accounts::actor_of(&alice);

    let own = env.audit.list(&alice, &AuditQuery::default()).await.unwrap();
    assert!(!own.is_empty());
    assert!(own.iter().all(|e| e.actor == alice.key()), "a user sees only their own entries");
    let all = env.audit.list(&admin, &AuditQuery::default()).await.unwrap();
    assert!(all.iter().any(|e| e.actor == admin.key()) && all.iter().any(|e| e.actor == alice.key()));
    // Asking for someone else's entries by name gives a user nothing.
    let theirs = env.audit.list(&alice, &AuditQuery { actor: Some("root".into()), ..Default::default() }).await.unwrap();
    assert!(theirs.is_empty());
    let bad = env.audit.list(&admin, &AuditQuery { since: Some("yesterday".into()), ..Default::default() }).await.unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("since"));
    let future = env
        .audit
        .list(&admin, &AuditQuery { since: Some("2999-01-01T00:00:00Z".into()), ..Default::default() })
        .await
        .unwrap();
    assert!(future.is_empty());
}
