//! Account security against a real SQLite database: TOTP enrolment, the second login step,
//! replay protection, recovery codes, 2FA policy and reset, API tokens, SSH keys, reset links.

mod common;

use common::{api, ctx, env, new_user, session_of};
use pier_core::accounts::{actor_of, AccountError, PasswordChecked, MAX_FAILED_LOGINS};
use pier_core::actor::Role;
use pier_core::audit::{AuditQuery, RequestContext, TokenUse};
use pier_proto::security::{NewApiToken, NewSshKey, SecurityPolicy, TokenScope};
use pier_proto::ErrorCode;
use sea_orm::{ConnectionTrait, Statement};

/// The code an authenticator app shows `offset` steps from now.
fn code(secret_b32: &str, offset: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset * 30;
    totp.generate(now as u64).to_string()
}

async fn second_step(accounts: &pier_core::accounts::Accounts, username: &str) -> i64 {
    match accounts.authenticate(username, "correct horse battery", &ctx()).await.unwrap() {
        PasswordChecked::SecondFactorNeeded { user_id } => user_id,
        PasswordChecked::SignedIn(_) => panic!("2FA is on: the password alone must not sign in"),
    }
}

#[tokio::test]
async fn totp_enrolment_login_replay_and_recovery_codes() {
    let env = env().await;
    let a = &env.accounts;
    let me = a.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let actor = actor_of(&me);

    let enrol = a.totp_begin(&actor, &ctx()).await.unwrap();
    assert!(enrol.otpauth_url.starts_with("otpauth://totp/Pier:root?"), "{}", enrol.otpauth_url);
    assert!(enrol.qr_svg.starts_with("<svg"));
    // Not on yet: a wrong code is refused and the password still signs in alone.
    let wrong = api(a.totp_confirm(&actor, "000000", &ctx()).await.unwrap_err());
    assert_eq!(wrong.field.as_deref(), Some("code"));
    assert!(matches!(a.authenticate("root", "correct horse battery", &ctx()).await.unwrap(), PasswordChecked::SignedIn(_)));

    // The seed is sealed at rest: the database holds no trace of it.
    let row = env
        .db
        .query_one(Statement::from_string(env.db.get_database_backend(), "SELECT totp_secret FROM users WHERE username = 'root'"))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get("", "totp_secret").unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains(&enrol.secret) && !stored.to_lowercase().contains(&enrol.secret.to_lowercase()));

    let codes = a.totp_confirm(&actor, &code(&enrol.secret, 0), &ctx()).await.unwrap();
    assert_eq!(codes.len(), 10);
    assert!(a.find(me.id).await.unwrap().unwrap().two_factor);

    // Login: the password leads to the second step; the code used at enrolment is spent.
    let id = second_step(a, "root").await;
    let replay = api(a.verify_second_factor(id, &code(&enrol.secret, 0), &ctx()).await.unwrap_err());
    assert!(replay.message.contains("already used"), "{}", replay.message);
    // The next step's code (allowed by the one-step skew) works once, and only once.
    let user = a.verify_second_factor(id, &code(&enrol.secret, 1), &ctx()).await.unwrap();
    assert_eq!(user.username, "root");
    assert!(a.verify_second_factor(id, &code(&enrol.secret, 1), &ctx()).await.is_err(), "a code cannot be replayed");

    // A recovery code works once, in any case and with spaces.
    let rc = codes[3].to_uppercase().replace('-', " ");
    a.verify_second_factor(id, &rc, &ctx()).await.unwrap();
    assert!(a.verify_second_factor(id, &codes[3], &ctx()).await.is_err(), "a recovery code is single use");
    assert_eq!(a.recovery_codes_left(me.id).await.unwrap(), 9);

    let log = env.audit.list(&actor, &AuditQuery { action: Some("auth.2fa".into()), ..Default::default() }).await.unwrap();
    assert!(log.iter().any(|e| e.outcome == "success" && e.detail.contains("recovery code; 9 left")));
    assert!(log.iter().any(|e| e.outcome == "failure"));
}

#[tokio::test]
async fn wrong_second_factor_codes_lock_the_account() {
    let env = env().await;
    let a = &env.accounts;
    let me = a.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let enrol = a.totp_begin(&actor_of(&me), &ctx()).await.unwrap();
    a.totp_confirm(&actor_of(&me), &code(&enrol.secret, 0), &ctx()).await.unwrap();
    let id = second_step(a, "root").await;
    for _ in 1..MAX_FAILED_LOGINS {
        assert!(matches!(a.verify_second_factor(id, "123456", &ctx()).await, Err(AccountError::Invalid(_))));
    }
    assert!(matches!(a.verify_second_factor(id, "654321", &ctx()).await, Err(AccountError::Locked { .. })));
    // Locked: even the right code (and the right password) are refused now.
    assert!(matches!(a.verify_second_factor(id, &code(&enrol.secret, 1), &ctx()).await, Err(AccountError::Locked { .. })));
    assert!(matches!(a.authenticate("root", "correct horse battery", &ctx()).await, Err(AccountError::Locked { .. })));
}

#[tokio::test]
async fn policy_requires_2fa_per_role_and_admins_reset_it() {
    let env = env().await;
    let a = &env.accounts;
    let root = a.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let admin = actor_of(&root);
    let alice = a.create_user(&admin, new_user("alice", Role::User), &ctx()).await.unwrap();
    let sam = a.create_user(&admin, new_user("sam", Role::Support), &ctx()).await.unwrap();

    let denied = api(a.set_security_policy(&actor_of(&sam), SecurityPolicy { require_2fa: vec![Role::Support] }, &ctx()).await.unwrap_err());
    assert_eq!(denied.code, ErrorCode::Forbidden);
    a.set_security_policy(&admin, SecurityPolicy { require_2fa: vec![Role::Support, Role::Support] }, &ctx()).await.unwrap();
    assert_eq!(a.security_policy().require_2fa, vec![Role::Support]);
    let sam_now = a.find(sam.id).await.unwrap().unwrap();
    assert!(sam_now.must_enrol_2fa());
    assert!(!a.find(alice.id).await.unwrap().unwrap().must_enrol_2fa());

    // Alice enrols; the admin resets it (lost phone) and the password alone works again.
    let enrol = a.totp_begin(&actor_of(&alice), &ctx()).await.unwrap();
    a.totp_confirm(&actor_of(&alice), &code(&enrol.secret, 0), &ctx()).await.unwrap();
    assert_eq!(api(a.reset_two_factor(&actor_of(&sam), alice.id, &ctx()).await.unwrap_err()).code, ErrorCode::Forbidden);
    a.reset_two_factor(&admin, alice.id, &ctx()).await.unwrap();
    assert!(matches!(a.authenticate("alice", "correct horse battery", &ctx()).await.unwrap(), PasswordChecked::SignedIn(_)));
    assert_eq!(a.recovery_codes_left(alice.id).await.unwrap(), 0);
    let log = env.audit.list(&admin, &AuditQuery { action: Some("2fa.reset".into()), ..Default::default() }).await.unwrap();
    assert_eq!(log.iter().map(|e| e.outcome.as_str()).collect::<Vec<_>>(), vec!["success", "denied"]);

    // Turning it off yourself needs the password.
    let enrol = a.totp_begin(&actor_of(&alice), &ctx()).await.unwrap();
    a.totp_confirm(&actor_of(&alice), &code(&enrol.secret, 0), &ctx()).await.unwrap();
    assert_eq!(api(a.totp_disable(&actor_of(&alice), "guess", &ctx()).await.unwrap_err()).field.as_deref(), Some("password"));
    a.totp_disable(&actor_of(&alice), "correct horse battery", &ctx()).await.unwrap();
    assert!(!a.find(alice.id).await.unwrap().unwrap().two_factor);
}

fn token_ctx(t: &TokenUse) -> RequestContext {
    RequestContext { token: Some(t.clone()), ..ctx() }
}

#[tokio::test]
async fn api_tokens_are_shown_once_scoped_expire_and_revoke() {
    let env = env().await;
    let a = &env.accounts;
    let root = a.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let admin = actor_of(&root);
    let alice = a.create_user(&admin, new_user("alice", Role::User), &ctx()).await.unwrap();
    let me = actor_of(&alice);

    let bad = api(a.create_api_token(&me, NewApiToken { name: " ".into(), scope: TokenScope::Full, expires_in_days: None }, &ctx()).await.unwrap_err());
    assert_eq!(bad.field.as_deref(), Some("name"));
    let made = a.create_api_token(&me, NewApiToken { name: "ci".into(), scope: TokenScope::ReadOnly, expires_in_days: Some(30) }, &ctx()).await.unwrap();
    assert!(made.token.starts_with("pier_") && made.token.starts_with(&made.view.prefix));
    let list = a.list_api_tokens(&me).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].last_used_at.is_none());
    assert!(!serde_json::to_string(&list).unwrap().contains(&made.token), "the token is never shown again");

    let (user, used) = a.authenticate_token(&made.token).await.unwrap();
    assert_eq!((user.id, used.scope), (alice.id, TokenScope::ReadOnly));
    assert!(a.list_api_tokens(&me).await.unwrap()[0].last_used_at.is_some());
    // Credentials cannot be managed with a token, and its use is named in the audit log.
    let via = api(a.create_api_token(&me, NewApiToken { name: "x".into(), scope: TokenScope::Full, expires_in_days: None }, &token_ctx(&used)).await.unwrap_err());
    assert_eq!(via.code, ErrorCode::Forbidden);
    a.add_ssh_key(&me, NewSshKey { name: String::new(), public_key: KEY.into() }, &token_ctx(&used)).await.unwrap();
    let log = env.audit.list(&me, &AuditQuery { action: Some("ssh_key.add".into()), ..Default::default() }).await.unwrap();
    assert!(log[0].detail.starts_with(&format!("via API token #{} \"ci\"", used.id)), "{}", log[0].detail);

    // Forged, malformed and unknown tokens are refused with a reason.
    let forged = format!("pier_{}", "a".repeat(64));
    for (t, says) in [(forged.as_str(), "unknown"), ("Bearer x", "not a Pier API token"), ("", "not a Pier")] {
        let e = api(a.authenticate_token(t).await.unwrap_err());
        assert_eq!(e.code, ErrorCode::Unauthenticated);
        assert!(e.message.contains(says), "{t:?}: {}", e.message);
    }
    // Expiry: move the expiry into the past.
    env.db
        .execute(Statement::from_string(env.db.get_database_backend(), "UPDATE api_tokens SET expires_at = '2020-01-01 00:00:00+00:00'"))
        .await
        .unwrap();
    assert!(api(a.authenticate_token(&made.token).await.unwrap_err()).message.contains("expired on 2020-01-01"));
    assert!(a.list_api_tokens(&me).await.unwrap()[0].expired);

    // Revoking: only your own (another user's id is "not found"); then the token is dead.
    let other = a.create_api_token(&me, NewApiToken { name: "deploy".into(), scope: TokenScope::Full, expires_in_days: None }, &ctx()).await.unwrap();
    assert_eq!(api(a.revoke_api_token(&admin, other.view.id, &ctx()).await.unwrap_err()).code, ErrorCode::NotFound);
    a.revoke_api_token(&me, other.view.id, &ctx()).await.unwrap();
    assert!(api(a.authenticate_token(&other.token).await.unwrap_err()).message.contains("revoked"));

    // A suspended owner's tokens stop working.
    let third = a.create_api_token(&me, NewApiToken { name: "t3".into(), scope: TokenScope::Full, expires_in_days: None }, &ctx()).await.unwrap();
    let suspend = pier_proto::accounts::UserUpdate { status: Some(pier_proto::accounts::UserStatus::Suspended), ..Default::default() };
    a.update_user(&admin, alice.id, suspend, &ctx()).await.unwrap();
    assert!(api(a.authenticate_token(&third.token).await.unwrap_err()).message.contains("suspended"));
}

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZjDQg5F/nrNYmLJcOLrwnMQOX5Obzp13WchxgoBliM alice@laptop";

#[tokio::test]
async fn ssh_keys_are_validated_deduplicated_and_private_to_their_owner() {
    let env = env().await;
    let a = &env.accounts;
    let root = a.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let alice = actor_of(&a.create_user(&actor_of(&root), new_user("alice", Role::User), &ctx()).await.unwrap());
    let bob = actor_of(&a.create_user(&actor_of(&root), new_user("bob", Role::User), &ctx()).await.unwrap());

    let bad = api(a.add_ssh_key(&alice, NewSshKey { name: "x".into(), public_key: "ssh-ed25519 AAAA".into() }, &ctx()).await.unwrap_err());
    assert_eq!((bad.code, bad.field.as_deref()), (ErrorCode::InvalidInput, Some("public_key")));
    let key = a.add_ssh_key(&alice, NewSshKey { name: String::new(), public_key: KEY.into() }, &ctx()).await.unwrap();
    assert_eq!((key.name.as_str(), key.fingerprint.as_str()), ("alice@laptop", "SHA256:z0G1xghNRqR5m9sUAGwiA5iaRwkQeRXtG/fyCevOvAY"));
    let dup = api(a.add_ssh_key(&alice, NewSshKey { name: "again".into(), public_key: KEY.into() }, &ctx()).await.unwrap_err());
    assert_eq!(dup.code, ErrorCode::Conflict);
    // Bob may add the same key to his own profile, cannot see or delete Alice's.
    a.add_ssh_key(&bob, NewSshKey { name: "shared".into(), public_key: KEY.into() }, &ctx()).await.unwrap();
    assert_eq!(a.list_ssh_keys(&bob).await.unwrap().len(), 1);
    assert_eq!(api(a.delete_ssh_key(&bob, key.id, &ctx()).await.unwrap_err()).code, ErrorCode::NotFound);
    a.delete_ssh_key(&alice, key.id, &ctx()).await.unwrap();
    assert!(a.list_ssh_keys(&alice).await.unwrap().is_empty());
}

#[tokio::test]
async fn reset_links_work_once_and_end_sessions() {
    use tower_sessions_core::SessionStore;
    let env = env().await;
    let a = &env.accounts;
    let root = a.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let admin = actor_of(&root);
    let alice = a.create_user(&admin, new_user("alice", Role::User), &ctx()).await.unwrap();
    let session = session_of(&env.store, alice.id).await;

    assert_eq!(api(a.create_password_reset(&actor_of(&alice), root.id, &ctx()).await.unwrap_err()).code, ErrorCode::Forbidden);
    let first = a.create_password_reset(&admin, alice.id, &ctx()).await.unwrap();
    let link = a.create_password_reset(&admin, alice.id, &ctx()).await.unwrap();
    let token = |l: &pier_proto::security::PasswordResetLink| l.path.trim_start_matches("/reset?token=").to_string();
    assert_eq!(a.password_reset_username(&token(&first)).await.unwrap(), None, "a newer link replaces the older");
    assert_eq!(a.password_reset_username(&token(&link)).await.unwrap().as_deref(), Some("alice"));

    let weak = api(a.reset_password(&token(&link), "short", &ctx()).await.unwrap_err());
    assert_eq!(weak.field.as_deref(), Some("password"));
    a.reset_password(&token(&link), "a brand new phrase", &ctx()).await.unwrap();
    assert!(env.store.load(&session).await.unwrap().is_none(), "sessions end with a reset");
    assert!(matches!(a.reset_password(&token(&link), "another new phrase", &ctx()).await, Err(AccountError::ResetClosed)));
    assert!(matches!(a.authenticate("alice", "a brand new phrase", &ctx()).await.unwrap(), PasswordChecked::SignedIn(_)));
}
