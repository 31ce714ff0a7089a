//! TOTP second factor: enrolment (secret + QR + a typed code), ten one-time recovery codes,
//! the second login step with replay protection, and an administrator's reset.
//!
//! Seeds are sealed at rest (`crate::secrets`). A code is accepted once: the step it belongs to
//! is stored, and a compare-and-set on that column makes two racing requests with one code
//! end with one success.

use super::{password, AccountError, Accounts, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{recovery_code, user};
use pier_proto::accounts::UserView;
use pier_proto::security::{TotpEnrolment, RECOVERY_CODES};
use pier_proto::ApiError;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait};
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

const ISSUER: &str = "Pier";
/// Recovery codes use letters and digits that cannot be mistaken for each other.
const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn aad(user_id: i64) -> String {
    format!("totp:user:{user_id}")
}

fn totp(secret: Vec<u8>, account: &str) -> Result<Totp> {
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AccountError::Hash(format!("totp: {e}")))
}

/// Digits only, or lower-case letters/digits for recovery codes; spaces and dashes dropped.
fn compact(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase()
}

fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(compact(code).as_bytes()))
}

fn new_recovery_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let mut pick = || CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char;
    let a: String = (0..5).map(|_| pick()).collect();
    let b: String = (0..5).map(|_| pick()).collect();
    format!("{a}-{b}")
}

/// The QR code of `text` as an SVG document (dark modules on white, with a quiet zone).
pub fn qr_svg(text: &str) -> Option<String> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" role="img" aria-label="QR code for your authenticator app"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

/// What a correct second factor was.
enum SecondFactor {
    Totp,
    RecoveryCode { left: u64 },
}

impl Accounts {
    fn user_totp(&self, u: &user::Model) -> Result<Option<Totp>> {
        let Some(sealed) = &u.totp_secret else { return Ok(None) };
        let seed = self.secrets.open(sealed, &aad(u.id)).map_err(|e| AccountError::Hash(e.to_string()))?;
        totp(seed, &u.username).map(Some)
    }

    /// Starts (or restarts) enrolment: a fresh secret, stored sealed but not yet enabled.
    pub async fn totp_begin(&self, actor: &Actor, ctx: &RequestContext) -> Result<TotpEnrolment> {
        let id = Self::person(actor)?;
        Self::session_only(ctx, "Setting up two-factor authentication")?;
        let u = self.target(id).await?;
        if u.totp_enabled {
            return Err(AccountError::Conflict("Two-factor authentication is already on. Turn it off first to move it to a new device.".into()));
        }
        let mut seed = vec![0u8; 20];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let t = totp(seed.clone(), &u.username)?;
        let url = t.to_url().map_err(|e| AccountError::Hash(format!("totp url: {e}")))?;
        let mut row: user::ActiveModel = u.clone().into();
        row.totp_secret = Set(Some(self.secrets.seal(&seed, &aad(id))));
        row.totp_last_step = Set(None);
        row.update(&self.db).await?;
        self.audit.record(actor, "2fa.enrol_start", &format!("user:{id}"), Outcome::Success, ctx, "").await;
        Ok(TotpEnrolment {
            secret: Secret::from(seed).to_base32(),
            qr_svg: qr_svg(&url).unwrap_or_default(),
            otpauth_url: url,
        })
    }

    /// Finishes enrolment with a code from the app; returns the recovery codes (shown once).
    pub async fn totp_confirm(&self, actor: &Actor, code: &str, ctx: &RequestContext) -> Result<Vec<String>> {
        let id = Self::person(actor)?;
        Self::session_only(ctx, "Setting up two-factor authentication")?;
        let target = format!("user:{id}");
        pier_proto::security::validate_second_factor(code).map_err(AccountError::Invalid)?;
        let u = self.target(id).await?;
        if u.totp_enabled {
            return Err(AccountError::Conflict("Two-factor authentication is already on.".into()));
        }
        let Some(t) = self.user_totp(&u)? else {
            return Err(AccountError::Conflict("Start the set-up again: no enrolment is in progress.".into()));
        };
        let Some(step) = t.check(&compact(code), unix_now()) else {
            self.audit.record(actor, "2fa.enable", &target, Outcome::Failure, ctx, "wrong code").await;
            return Err(AccountError::Invalid(ApiError::invalid(
                "code",
                "That code is not right. Check that your device's clock is correct and type the newest code.",
            )));
        };
        let txn = self.db.begin().await?;
        let done = user::Entity::update_many()
            .col_expr(user::Column::TotpEnabled, Expr::value(true))
            .col_expr(user::Column::TotpLastStep, Expr::value(step as i64))
            .filter(user::Column::Id.eq(id))
            .filter(user::Column::TotpEnabled.eq(false))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            txn.rollback().await?;
            return Err(AccountError::Conflict("Two-factor authentication is already on.".into()));
        }
        let codes = Self::replace_recovery_codes(&txn, id).await?;
        txn.commit().await?;
        self.audit.record(actor, "2fa.enable", &target, Outcome::Success, ctx, "").await;
        Ok(codes)
    }

    async fn replace_recovery_codes(txn: &impl sea_orm::ConnectionTrait, user_id: i64) -> Result<Vec<String>> {
        recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(txn).await?;
        let now = super::now();
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        recovery_code::Entity::insert_many(codes.iter().map(|c| recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(code_hash(c)),
            used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(txn)
        .await?;
        Ok(codes)
    }

    async fn require_password(&self, actor: &Actor, u: &user::Model, given: &str, action: &str, ctx: &RequestContext) -> Result<()> {
        if password::verify(given.to_string(), u.password_hash.clone()).await {
            return Ok(());
        }
        self.audit.record(actor, action, &format!("user:{}", u.id), Outcome::Failure, ctx, "wrong password").await;
        Err(AccountError::Invalid(ApiError::invalid("password", "The password is wrong.")))
    }

    /// New recovery codes (the old ones stop working); needs the password.
    pub async fn regenerate_recovery_codes(&self, actor: &Actor, given_password: &str, ctx: &RequestContext) -> Result<Vec<String>> {
        let id = Self::person(actor)?;
        Self::session_only(ctx, "Making recovery codes")?;
        let u = self.target(id).await?;
        self.require_password(actor, &u, given_password, "2fa.recovery_codes", ctx).await?;
        if !u.totp_enabled {
            return Err(AccountError::Conflict("Two-factor authentication is off; there are no recovery codes.".into()));
        }
        let txn = self.db.begin().await?;
        let codes = Self::replace_recovery_codes(&txn, id).await?;
        txn.commit().await?;
        self.audit.record(actor, "2fa.recovery_codes", &format!("user:{id}"), Outcome::Success, ctx, "regenerated").await;
        Ok(codes)
    }

    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<u64> {
        Ok(recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(user_id))
            .filter(recovery_code::Column::UsedAt.is_null())
            .count(&self.db)
            .await?)
    }

    /// The person turns their own second factor off (needs the password).
    pub async fn totp_disable(&self, actor: &Actor, given_password: &str, ctx: &RequestContext) -> Result<()> {
        let id = Self::person(actor)?;
        Self::session_only(ctx, "Turning off two-factor authentication")?;
        let u = self.target(id).await?;
        self.require_password(actor, &u, given_password, "2fa.disable", ctx).await?;
        self.clear_two_factor(id).await?;
        self.audit.record(actor, "2fa.disable", &format!("user:{id}"), Outcome::Success, ctx, "").await;
        Ok(())
    }

    /// An administrator removes a user's second factor (lost phone). The user signs in with their
    /// password next time and, if their role requires it, enrols again.
    pub async fn reset_two_factor(&self, actor: &Actor, user_id: i64, ctx: &RequestContext) -> Result<()> {
        let target = format!("user:{user_id}");
        if !policy::may_manage_users(actor) {
            self.audit.record(actor, "2fa.reset", &target, Outcome::Denied, ctx, "").await;
            return Err(AccountError::Forbidden("only administrators reset two-factor authentication".into()));
        }
        let u = self.target(user_id).await?;
        if !u.totp_enabled && u.totp_secret.is_none() {
            return Err(AccountError::Conflict(format!("{} has no second factor to reset.", u.username)));
        }
        self.clear_two_factor(user_id).await?;
        self.audit.record(actor, "2fa.reset", &target, Outcome::Success, ctx, &format!("username={}", u.username)).await;
        Ok(())
    }

    async fn clear_two_factor(&self, user_id: i64) -> Result<()> {
        let txn = self.db.begin().await?;
        user::Entity::update_many()
            .col_expr(user::Column::TotpEnabled, Expr::value(false))
            .col_expr(user::Column::TotpSecret, Expr::value(Option::<String>::None))
            .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Checks a TOTP or recovery code for `u` and spends it. `None`: wrong, or already used.
    async fn spend_second_factor(&self, u: &user::Model, code: &str) -> Result<Option<SecondFactor>> {
        let code = compact(code);
        if code.len() == 6 {
            let Some(t) = self.user_totp(u)? else { return Ok(None) };
            let Some(step) = t.check(&code, unix_now()) else { return Ok(None) };
            // Accept the step only if it is newer than the last accepted one (replay protection).
            let spent = user::Entity::update_many()
                .col_expr(user::Column::TotpLastStep, Expr::value(step as i64))
                .filter(user::Column::Id.eq(u.id))
                .filter(Condition::any().add(user::Column::TotpLastStep.is_null()).add(user::Column::TotpLastStep.lt(step as i64)))
                .exec(&self.db)
                .await?;
            return Ok((spent.rows_affected == 1).then_some(SecondFactor::Totp));
        }
        let spent = recovery_code::Entity::update_many()
            .col_expr(recovery_code::Column::UsedAt, Expr::value(super::now()))
            .filter(recovery_code::Column::UserId.eq(u.id))
            .filter(recovery_code::Column::CodeHash.eq(code_hash(&code)))
            .filter(recovery_code::Column::UsedAt.is_null())
            .exec(&self.db)
            .await?;
        if spent.rows_affected != 1 {
            return Ok(None);
        }
        Ok(Some(SecondFactor::RecoveryCode { left: self.recovery_codes_left(u.id).await? }))
    }

    /// The second login step. Wrong codes count toward the same lockout as wrong passwords and
    /// toward the per-address throttle.
    pub async fn verify_second_factor(&self, user_id: i64, code: &str, ctx: &RequestContext) -> Result<UserView> {
        let ip = ctx.ip.clone().unwrap_or_default();
        let target = format!("user:{user_id}");
        if let Some(seconds) = self.throttle.refused_for(&ip, std::time::Instant::now()) {
            self.audit.record_as("anonymous", &target, "auth.2fa", &format!("ip:{ip}"), Outcome::Denied, ctx, "address throttled").await;
            return Err(AccountError::Throttled { seconds });
        }
        let u = self.target(user_id).await?;
        let actor = super::actor_of(&self.view(&u));
        let t = super::now();
        if let Some(until) = u.locked_until.filter(|until| *until > t) {
            self.audit.record(&actor, "auth.2fa", &target, Outcome::Denied, ctx, "account locked").await;
            return Err(AccountError::Locked { minutes: ((until - t).whole_seconds() + 59) / 60 });
        }
        if pier_proto::security::validate_second_factor(code).is_err() || !u.totp_enabled {
            return Err(AccountError::Invalid(ApiError::invalid("code", "Enter the 6-digit code from your authenticator app, or a recovery code.")));
        }
        match self.spend_second_factor(&u, code).await? {
            None => {
                self.throttle.record_failure(&ip, std::time::Instant::now());
                let locked = self.count_failure(&u).await?;
                self.audit.record(&actor, "auth.2fa", &target, Outcome::Failure, ctx, if locked { "wrong or reused code; account locked" } else { "wrong or reused code" }).await;
                if locked {
                    return Err(AccountError::Locked { minutes: super::LOCKOUT.whole_minutes() });
                }
                Err(AccountError::Invalid(ApiError::invalid("code", "That code is wrong or was already used. Wait for the next code and try again.")))
            }
            Some(how) => {
                self.throttle.record_success(&ip);
                let detail = match how {
                    SecondFactor::Totp => "with authenticator code".to_string(),
                    SecondFactor::RecoveryCode { left } => format!("with a recovery code; {left} left"),
                };
                self.audit.record(&actor, "auth.2fa", &target, Outcome::Success, ctx, &detail).await;
                self.signed_in(u, ctx, &detail).await
            }
        }
    }
}

pub(super) fn unix_now() -> u64 {
    super::now().unix_timestamp().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_distinct_and_normalised() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| new_recovery_code()).collect();
        assert_eq!(codes.len(), 200);
        let c = codes.iter().next().unwrap();
        assert_eq!(c.len(), 11);
        assert_eq!(code_hash(c), code_hash(&c.to_uppercase().replace('-', " ")));
    }

    #[test]
    fn qr_is_svg_of_the_url() {
        let svg = qr_svg("otpauth://totp/Pier:alice?secret=JBSWY3DPEHPK3PXP&issuer=Pier").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<path d=\"M"));
    }
}
