//! Public SSH keys on a user's profile (later injected into their VPSs through cloud-init).
//! A key is parsed, not pattern-matched: the base64 blob must decode to a key of the type the
//! line names, RSA keys must have at least 2048 bits, and the fingerprint is computed the way
//! `ssh-keygen -l` prints it.

use super::{AccountError, Accounts, Result};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use crate::entity::ssh_key;
use base64::Engine;
use pier_proto::security::{validate_label, NewSshKey, SshKeyView};
use pier_proto::ApiError;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;

pub const MAX_KEYS_PER_USER: u64 = 50;
const MAX_LINE: usize = 16 * 1024;
const MIN_RSA_BITS: u32 = 2048;

/// A parsed, normalised public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey {
    pub algorithm: String,
    pub bits: Option<u32>,
    pub fingerprint: String,
    pub comment: String,
    /// `type base64 [comment]`, one line.
    pub line: String,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::invalid("public_key", message)
}

/// Reads SSH wire-format strings (u32 length, bytes).
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        if self.0.len() < 4 {
            return None;
        }
        let len = u32::from_be_bytes(self.0[..4].try_into().ok()?) as usize;
        let rest = &self.0[4..];
        if rest.len() < len {
            return None;
        }
        let (value, tail) = rest.split_at(len);
        self.0 = tail;
        Some(value)
    }
}

/// Bits in a positive mpint (big-endian, possibly with a leading zero byte).
fn mpint_bits(n: &[u8]) -> u32 {
    let n: &[u8] = &n[n.iter().take_while(|b| **b == 0).count()..];
    match n.first() {
        None => 0,
        Some(first) => (n.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
    }
}

/// Parses one `authorized_keys`-style line (no options).
pub fn parse_public_key(input: &str) -> std::result::Result<ParsedKey, ApiError> {
    let line = input.trim();
    if line.is_empty() {
        return Err(bad("Paste a public key, such as the contents of ~/.ssh/id_ed25519.pub."));
    }
    if line.len() > MAX_LINE {
        return Err(bad("That is too long to be a public key."));
    }
    if line.contains('\n') || line.contains('\r') {
        return Err(bad("Paste one key per entry (the text has several lines)."));
    }
    if line.starts_with("-----BEGIN") {
        return Err(bad("That looks like a PEM file; a PRIVATE key must never be pasted here. Paste the .pub file's one line."));
    }
    let mut parts = line.split_whitespace();
    let algorithm = parts.next().unwrap_or_default();
    let Some(expected) = KEY_TYPES.iter().find(|t| t.name == algorithm) else {
        return Err(bad(format!(
            "Unsupported key type {:?}. Use one of: {}.",
            algorithm.chars().take(40).collect::<String>(),
            KEY_TYPES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
        )));
    };
    let b64 = parts.next().ok_or_else(|| bad("The key has a type but no key data after it."))?;
    let comment = parts.collect::<Vec<_>>().join(" ");
    if comment.chars().any(char::is_control) {
        return Err(bad("The key's comment contains control characters."));
    }
    let blob = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| bad("The key data is not valid base64; copy the whole line again."))?;
    let mut wire = Wire(&blob);
    let named = wire.string().ok_or_else(|| bad("The key data is truncated."))?;
    if named != expected.name.as_bytes() {
        return Err(bad(format!("The key data is a {:?} key but the line says {:?}.", String::from_utf8_lossy(named), expected.name)));
    }
    let bits = (expected.check)(&mut wire).map_err(bad)?;
    if !wire.0.is_empty() {
        return Err(bad("The key data has trailing bytes; copy the line again."));
    }
    let fingerprint = format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(Sha256::digest(&blob)));
    let line = if comment.is_empty() { format!("{algorithm} {b64}") } else { format!("{algorithm} {b64} {comment}") };
    Ok(ParsedKey { algorithm: algorithm.to_string(), bits, fingerprint, comment, line })
}

struct KeyType {
    name: &'static str,
    /// Reads the rest of the blob; returns the key size in bits when it varies.
    check: fn(&mut Wire) -> std::result::Result<Option<u32>, String>,
}

fn truncated() -> String {
    "The key data is truncated.".into()
}

fn ed25519(w: &mut Wire) -> std::result::Result<Option<u32>, String> {
    let key = w.string().ok_or_else(truncated)?;
    if key.len() != 32 {
        return Err("An ed25519 key must be 32 bytes.".into());
    }
    Ok(Some(256))
}

fn sk_ed25519(w: &mut Wire) -> std::result::Result<Option<u32>, String> {
    ed25519(w)?;
    w.string().ok_or_else(truncated)?; // application, e.g. "ssh:"
    Ok(Some(256))
}

fn rsa(w: &mut Wire) -> std::result::Result<Option<u32>, String> {
    let _e = w.string().ok_or_else(truncated)?;
    let n = w.string().ok_or_else(truncated)?;
    let bits = mpint_bits(n);
    if bits < MIN_RSA_BITS {
        return Err(format!("This RSA key has {bits} bits; at least {MIN_RSA_BITS} are needed (better: ed25519)."));
    }
    Ok(Some(bits))
}

fn ecdsa(curve: &'static str, bits: u32) -> impl Fn(&mut Wire) -> std::result::Result<Option<u32>, String> {
    move |w| {
        let named = w.string().ok_or_else(truncated)?;
        if named != curve.as_bytes() {
            return Err("The ECDSA curve inside the key does not match its type.".into());
        }
        let point = w.string().ok_or_else(truncated)?;
        if point.first() != Some(&4) {
            return Err("The ECDSA key point is malformed.".into());
        }
        Ok(Some(bits))
    }
}

const KEY_TYPES: &[KeyType] = &[
    KeyType { name: "ssh-ed25519", check: ed25519 },
    KeyType { name: "sk-ssh-ed25519@openssh.com", check: sk_ed25519 },
    KeyType { name: "ssh-rsa", check: rsa },
    KeyType { name: "ecdsa-sha2-nistp256", check: |w| ecdsa("nistp256", 256)(w) },
    KeyType { name: "ecdsa-sha2-nistp384", check: |w| ecdsa("nistp384", 384)(w) },
    KeyType { name: "ecdsa-sha2-nistp521", check: |w| ecdsa("nistp521", 521)(w) },
    KeyType {
        name: "sk-ecdsa-sha2-nistp256@openssh.com",
        check: |w| {
            ecdsa("nistp256", 256)(w)?;
            w.string().ok_or_else(truncated)?;
            Ok(Some(256))
        },
    },
];

fn key_view(m: &ssh_key::Model) -> SshKeyView {
    let comment = m.public_key.splitn(3, ' ').nth(2).unwrap_or_default().to_string();
    SshKeyView {
        id: m.id,
        name: m.name.clone(),
        algorithm: m.algorithm.clone(),
        bits: m.bits.map(|b| b as u32),
        fingerprint: m.fingerprint.clone(),
        comment,
        created_at: m.created_at.format(&Rfc3339).unwrap_or_default(),
    }
}

impl Accounts {
    pub async fn list_ssh_keys(&self, actor: &Actor) -> Result<Vec<SshKeyView>> {
        let id = Self::person(actor)?;
        let rows = ssh_key::Entity::find().filter(ssh_key::Column::UserId.eq(id)).order_by_asc(ssh_key::Column::Id).all(&self.db).await?;
        Ok(rows.iter().map(key_view).collect())
    }

    pub async fn add_ssh_key(&self, actor: &Actor, new: NewSshKey, ctx: &RequestContext) -> Result<SshKeyView> {
        let id = Self::person(actor)?;
        let target = format!("user:{id}");
        let parsed = match parse_public_key(&new.public_key) {
            Ok(p) => p,
            Err(e) => {
                self.audit.record(actor, "ssh_key.add", &target, Outcome::Failure, ctx, &e.message).await;
                return Err(AccountError::Invalid(e));
            }
        };
        let name = match new.name.trim() {
            "" if !parsed.comment.is_empty() => parsed.comment.chars().take(64).collect(),
            "" => parsed.algorithm.clone(),
            given => given.to_string(),
        };
        validate_label("name", &name).map_err(AccountError::Invalid)?;
        let count = ssh_key::Entity::find().filter(ssh_key::Column::UserId.eq(id)).count(&self.db).await?;
        if count >= MAX_KEYS_PER_USER {
            return Err(AccountError::Conflict(format!("You already have {MAX_KEYS_PER_USER} keys; delete one first.")));
        }
        let row = ssh_key::ActiveModel {
            user_id: Set(id),
            name: Set(name),
            algorithm: Set(parsed.algorithm.clone()),
            bits: Set(parsed.bits.map(|b| b as i32)),
            public_key: Set(parsed.line.clone()),
            fingerprint: Set(parsed.fingerprint.clone()),
            created_at: Set(super::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| match e {
            e if crate::db::is_unique_violation(&e) => AccountError::Taken {
                field: "public_key",
                message: format!("You already added this key ({}).", parsed.fingerprint),
            },
            other => AccountError::Db(other),
        })?;
        self.audit.record(actor, "ssh_key.add", &target, Outcome::Success, ctx, &format!("{} {}", row.algorithm, row.fingerprint)).await;
        Ok(key_view(&row))
    }

    /// Deletes one of the actor's own keys; another user's key id is "not found".
    pub async fn delete_ssh_key(&self, actor: &Actor, key_id: i64, ctx: &RequestContext) -> Result<()> {
        let id = Self::person(actor)?;
        let found = ssh_key::Entity::find_by_id(key_id).filter(ssh_key::Column::UserId.eq(id)).one(&self.db).await?;
        let Some(key) = found else {
            return Err(AccountError::Invalid(ApiError::not_found("SSH key")));
        };
        ssh_key::Entity::delete_by_id(key.id).exec(&self.db).await?;
        self.audit.record(actor, "ssh_key.delete", &format!("user:{id}"), Outcome::Success, ctx, &format!("{} {}", key.name, key.fingerprint)).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Public halves generated with ssh-keygen; fingerprints as `ssh-keygen -lf` printed them.
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZjDQg5F/nrNYmLJcOLrwnMQOX5Obzp13WchxgoBliM alice@laptop";
    const RSA3072: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCmjbBdtqmV/W1N8QXc/olsGweuF8j8ko8DKLF3vihzMfsB7vDD+0OPzK2bw5bawO+TFwAZ6A/JP3UMcGz7U8aOS8umDYq1cEGBqp7kFIo7EPOyjOZa8kvHV1nn8sMVGAUGB3FLQubaTAbukuq++ob1h+CggORvznRXn7txSMibHYaPYGKAzCS/UFBAOsXu+mku8OOpqnTeLzAJCwbFcxpX5ZuskK6afz4RgTCbg2w8A7RO72ef2KuJKWnE/nB+bO2Tf5dWUl9ta3CjvIezpnKCm4Sxc9I2gsyJEGfJWtYmD0qlMoclLIkAgVyFZLiITU+kSs6Dja56jzOmwJKGDFE+tR0sk3QIQdZRI14mqakxRfTP5oXLxPO3qiOAfEfAVGHg6sLzUcDMzn4A2OOU4ISvWme9TLmbjV526GUS2aCZYuCdGpKRDXGro4SS6NcKLbQ76Kmb8SJxavXCYdYK18YVTCgXdRJm6+TM00OMtXyw89k2wXGybYERAgt8nH7grWs= bob";
    const ECDSA384: &str = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBCCyhM0bFcPbnbEYaeQZL+WsG13E/3N2LCv5C4c4Tjkwjc1lRfUK8jH9iWUISJ6WIe/T0YBjFzU6CP+FOPbj3Y0MGnplqnvc8Y+Jk6gQdQI6snIfqCmUxRDUsrp6lCN4CA==";

    #[test]
    fn fingerprints_match_ssh_keygen() {
        let k = parse_public_key(RSA3072).unwrap();
        assert_eq!((k.algorithm.as_str(), k.bits, k.fingerprint.as_str()), ("ssh-rsa", Some(3072), "SHA256:84qnoXhNpDPdwN5iLbprAiKuQ5DfnmCRaPW9c6yH7S4"));
        let k = parse_public_key(ECDSA384).unwrap();
        assert_eq!((k.bits, k.fingerprint.as_str(), k.comment.as_str()), (Some(384), "SHA256:lK4w0ksLP1EyZ/+W8sDG0I2C6RCahnM02uyT806sBdY", ""));
        let k = parse_public_key(ED25519).unwrap();
        assert_eq!(k.fingerprint, "SHA256:z0G1xghNRqR5m9sUAGwiA5iaRwkQeRXtG/fyCevOvAY");
    }

    #[test]
    fn parses_and_fingerprints_ed25519() {
        let k = parse_public_key(&format!("  {ED25519}  ")).unwrap();
        assert_eq!(k.algorithm, "ssh-ed25519");
        assert_eq!(k.comment, "alice@laptop");
        assert_eq!(k.bits, Some(256));
        assert_eq!(k.line, ED25519);
    }

    #[test]
    fn refuses_malformed_keys_with_reasons() {
        let why = |s: &str| parse_public_key(s).unwrap_err().message;
        assert!(why("").contains("Paste a public key"));
        assert!(why("ssh-dss AAAAB3NzaC1kc3M=").contains("Unsupported key type"));
        assert!(why("ssh-ed25519").contains("no key data"));
        assert!(why("ssh-ed25519 not*base64").contains("base64"));
        assert!(why("-----BEGIN OPENSSH PRIVATE KEY-----").contains("PRIVATE"));
        // An ed25519 blob labelled as RSA.
        let blob = ED25519.split(' ').nth(1).unwrap();
        assert!(why(&format!("ssh-rsa {blob}")).contains("says"));
        // Truncated blob.
        assert!(why(&format!("ssh-ed25519 {}", &blob[..40])).contains("base64") || why(&format!("ssh-ed25519 {}", &blob[..40])).contains("truncated"));
        assert!(why(&format!("{ED25519}\nssh-ed25519 {blob}")).contains("one key"));
    }

    #[test]
    fn small_rsa_keys_are_refused() {
        use base64::Engine;
        let mut blob = Vec::new();
        for part in [&b"ssh-rsa"[..], &[1, 0, 1], &[0x80; 128]] {
            blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
            blob.extend_from_slice(part);
        }
        let line = format!("ssh-rsa {}", base64::engine::general_purpose::STANDARD.encode(&blob));
        assert!(parse_public_key(&line).unwrap_err().message.contains("1024 bits"));
        assert_eq!(mpint_bits(&[0, 0x80, 0]), 16);
        assert_eq!(mpint_bits(&[0x01, 0]), 9);
    }
}
