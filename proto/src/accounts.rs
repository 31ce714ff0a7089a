//! Accounts on the wire: roles, users, and the validators both the forms and the server apply.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Support,
    Billing,
    User,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Support, Role::Billing, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Support => "support",
            Role::Billing => "billing",
            Role::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    /// Cannot log in; sessions ended. Reversible.
    Suspended,
    /// Cannot log in, for abuse; reversible only by an admin, and shown as such.
    Banned,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
            UserStatus::Banned => "banned",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        [UserStatus::Active, UserStatus::Suspended, UserStatus::Banned].into_iter().find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: Role,
    pub status: UserStatus,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login_at: Option<String>,
    /// A TOTP second factor is enabled.
    #[serde(default)]
    pub two_factor: bool,
    /// The user's role must use 2FA (platform policy); until they enrol, they can only do that.
    #[serde(default)]
    pub two_factor_required: bool,
}

impl UserView {
    /// Signed in, but held at the 2FA enrolment step by the platform policy.
    pub fn must_enrol_2fa(&self) -> bool {
        self.two_factor_required && !self.two_factor
    }
}

/// A new account (setup page, `pier admin create`, user administration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role: Role,
}

impl NewUser {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_username(&self.username)?;
        validate_email(&self.email)?;
        validate_password(&self.password, &self.username)
    }
}

pub const USERNAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// 3–32 characters: lower-case letters, digits, `.`, `_`, `-`; starts with a letter.
pub fn validate_username(name: &str) -> Result<(), ApiError> {
    let err = |m: &str| Err(ApiError::invalid("username", m));
    if name.len() < 3 || name.len() > USERNAME_MAX {
        return err("Username must be 3 to 32 characters.");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return err("Username must start with a lower-case letter.");
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
        return err("Username may only contain lower-case letters, digits, '.', '_' and '-'.");
    }
    Ok(())
}

/// A practical check (one `@`, a dotted domain, no spaces), not RFC 5322: the mail server is
/// the final judge, and this only catches typing mistakes.
pub fn validate_email(email: &str) -> Result<(), ApiError> {
    let err = || Err(ApiError::invalid("email", "Enter an email address like name@example.com."));
    if email.is_empty() || email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return err();
    }
    let Some((local, domain)) = email.split_once('@') else { return err() };
    if local.is_empty() || domain.contains('@') || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return err();
    }
    Ok(())
}

/// Passwords common enough that length alone does not make them safe.
const COMMON: &[&str] = &[
    "password1234", "passwordpassword", "123456789012", "qwertyuiopas", "adminadminadmin",
    "letmeinletmein", "iloveyouiloveyou", "changemechangeme", "welcome12345", "administrator",
];

/// At least 12 characters, not the username, not one repeated character, not a well-known
/// password. Each refusal says why.
pub fn validate_password(password: &str, username: &str) -> Result<(), ApiError> {
    let err = |m: &str| Err(ApiError::invalid("password", m));
    let chars = password.chars().count();
    if chars < PASSWORD_MIN {
        return err("Password must be at least 12 characters long; a few unrelated words work well.");
    }
    if chars > PASSWORD_MAX {
        return err("Password must be at most 128 characters.");
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return err("Password must not contain the username.");
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return err("Password uses too few different characters.");
    }
    if COMMON.contains(&lower.as_str()) {
        return err("This password is on lists of common passwords; choose another.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<(), ApiError>) -> Option<String> {
        r.err().and_then(|e| e.field)
    }

    #[test]
    fn usernames() {
        assert!(validate_username("alice").is_ok());
        assert!(validate_username("a.b_c-9").is_ok());
        for bad in ["", "ab", "Alice", "9lives", "al ice", "al;ice", &"a".repeat(33)] {
            assert_eq!(field(validate_username(bad)).as_deref(), Some("username"), "{bad:?}");
        }
    }

    #[test]
    fn emails() {
        assert!(validate_email("a@example.com").is_ok());
        for bad in ["", "a", "a@b", "@example.com", "a@@example.com", "a b@example.com", "a@example.", "a@.com"] {
            assert!(validate_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_say_why() {
        assert!(validate_password("correct horse battery", "alice").is_ok());
        let why = |p: &str| validate_password(p, "alice").unwrap_err().message;
        assert!(why("short").contains("12 characters"));
        assert!(why("alice-is-my-password").contains("username"));
        assert!(why("aaaaaaaaaaaaaaa").contains("different characters"));
        assert!(why("Password1234").contains("common"));
        assert!(why(&"x1y2z3".repeat(30)).contains("at most"));
    }
}

/// Filters for the user list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Matches username or email (substring, case-insensitive).
    #[serde(default)]
    pub search: String,
    /// 0-based.
    #[serde(default)]
    pub page: u32,
    /// 1–100; defaults to 25.
    #[serde(default)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserView>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// An administrator's change to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
}

/// One signed-in browser of a user, for the profile page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// An opaque handle for revoking (a hash of the session id), never the session id.
    pub handle: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
}
