//! Account security on the wire: the two-step login, TOTP enrolment, SSH keys, API tokens,
//! password-reset links and the platform's 2FA policy.

use crate::accounts::{Role, UserView};
use crate::error::ApiError;
use serde::{Deserialize, Serialize};

/// What a correct password leads to: signed in, or one more step (the 2FA code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum LoginStep {
    SignedIn { user: UserView },
    SecondFactor,
}

/// Started enrolment: the secret to type or scan, and the QR code drawn as SVG (server-made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32, as authenticator apps expect when typed.
    pub secret: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

pub const RECOVERY_CODES: usize = 10;

/// A TOTP code (6 digits) or a recovery code (`xxxxx-xxxxx`); spaces and dashes are ignored.
pub fn validate_second_factor(code: &str) -> Result<(), ApiError> {
    let compact: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let ok = (compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()))
        || (compact.len() == 10 && compact.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("code", "Enter the 6-digit code from your authenticator app, or a recovery code."))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyView {
    pub id: i64,
    pub name: String,
    pub algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// `SHA256:...`, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
    pub comment: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSshKey {
    /// Empty: the key's comment (or its type) is used.
    #[serde(default)]
    pub name: String,
    /// One line in `authorized_keys` format: `ssh-ed25519 AAAA... comment`.
    pub public_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Reads only: any state-changing call is refused.
    ReadOnly,
    /// Everything the owner may do, except managing their own credentials.
    Full,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::ReadOnly => "read_only",
            TokenScope::Full => "full",
        }
    }

    pub fn parse(s: &str) -> Option<TokenScope> {
        [TokenScope::ReadOnly, TokenScope::Full].into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub name: String,
    pub scope: TokenScope,
    /// Days until it stops working; `None` = never expires.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

pub const TOKEN_MAX_DAYS: u32 = 3650;

impl NewApiToken {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_label("name", &self.name)?;
        if let Some(days) = self.expires_in_days {
            if days == 0 || days > TOKEN_MAX_DAYS {
                return Err(ApiError::invalid("expires_in_days", "Expiry must be 1 to 3650 days, or none."));
            }
        }
        Ok(())
    }
}

/// A short human label (token and key names): 1–64 printable characters.
pub fn validate_label(field: &str, name: &str) -> Result<(), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::invalid(field, "Give it a name of 1 to 64 characters."));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid(field, "The name must not contain control characters."));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    pub scope: TokenScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    pub created_at: String,
    pub expired: bool,
}

/// A new token: `token` is shown this once and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: String,
    pub view: ApiTokenView,
}

/// A one-time link an administrator hands to a person who forgot their password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetLink {
    /// `/reset?token=...` (the page prefixes the panel's address).
    pub path: String,
    pub expires_at: String,
}

/// Platform security settings (admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    /// Roles whose members must enrol a second factor before doing anything else.
    #[serde(default)]
    pub require_2fa: Vec<Role>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_factor_codes() {
        assert!(validate_second_factor("123456").is_ok());
        assert!(validate_second_factor(" 123 456 ").is_ok());
        assert!(validate_second_factor("abcde-12345").is_ok());
        for bad in ["", "12345", "1234567", "12345a", "abcde-1234", "abcde;12345"] {
            assert!(validate_second_factor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn token_requests() {
        let t = |name: &str, days| NewApiToken { name: name.into(), scope: TokenScope::Full, expires_in_days: days };
        assert!(t("ci", Some(30)).validate().is_ok());
        assert!(t("ci", None).validate().is_ok());
        assert_eq!(t("", None).validate().unwrap_err().field.as_deref(), Some("name"));
        assert_eq!(t("ci", Some(0)).validate().unwrap_err().field.as_deref(), Some("expires_in_days"));
        assert!(t("a\nb", None).validate().is_err());
        assert_eq!(TokenScope::parse("read_only"), Some(TokenScope::ReadOnly));
    }
}
