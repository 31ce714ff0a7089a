//! TLS certificates: issued by an ACME directory or uploaded, what the list shows of them,
//! and the ACME account. Private keys never cross the wire.

use crate::sites::validate_server_name;
use crate::ApiError;
use serde::{Deserialize, Serialize};

/// Job kind: issue or renew an ACME certificate (target `certificate:<id>`).
pub const KIND_ISSUE: &str = "certificate.issue";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateView {
    pub id: i64,
    pub name: String,
    /// `acme` or `uploaded`.
    pub source: String,
    pub names: Vec<String>,
    pub issuer: Option<String>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: Option<i64>,
    /// `ECDSA P-256`, `RSA 2048`…
    pub key_type: Option<String>,
    /// `pending` (no certificate yet), `valid`, `failed`.
    pub status: String,
    pub last_error: Option<String>,
    pub auto_renew: bool,
    pub is_default: bool,
    pub sites: Vec<String>,
    /// A DNS-01 order waiting for its TXT records.
    pub dns_challenges: Vec<DnsChallenge>,
}

/// A TXT record to create for a DNS-01 challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsChallenge {
    /// `_acme-challenge.example.com`
    pub record: String,
    pub value: String,
}

/// How the directory checks that we control a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeKind {
    /// A file nginx serves under `/.well-known/acme-challenge/` (Pier adds the location).
    #[default]
    Http01,
    /// A TXT record a person creates (wildcards need it); Pier shows it, checks it, finalizes.
    Dns01Manual,
}

/// Ask the ACME directory for a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRequest {
    pub name: String,
    pub names: Vec<String>,
    #[serde(default)]
    pub challenge: ChallengeKind,
    #[serde(default)]
    pub is_default: bool,
}

impl CertificateRequest {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_cert_name(&self.name)?;
        if self.names.is_empty() || self.names.len() > 100 {
            return Err(ApiError::invalid("names", "Give 1–100 names."));
        }
        for n in &self.names {
            validate_server_name(n)?;
        }
        if self.challenge == ChallengeKind::Http01 && self.names.iter().any(|n| n.starts_with("*.")) {
            return Err(ApiError::invalid("names", "Wildcard names can only be proven with DNS-01: choose the DNS challenge."));
        }
        Ok(())
    }
}

/// Upload a certificate with its key and chain (PEM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateUpload {
    pub name: String,
    pub certificate_pem: String,
    pub key_pem: String,
    #[serde(default)]
    pub chain_pem: String,
    #[serde(default)]
    pub is_default: bool,
}

impl CertificateUpload {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_cert_name(&self.name)?;
        for (field, pem, max) in [("certificate_pem", &self.certificate_pem, 64 * 1024), ("key_pem", &self.key_pem, 64 * 1024), ("chain_pem", &self.chain_pem, 256 * 1024)] {
            if pem.len() > max {
                return Err(ApiError::invalid(field, format!("At most {} KiB.", max / 1024)));
            }
        }
        if self.certificate_pem.trim().is_empty() || self.key_pem.trim().is_empty() {
            return Err(ApiError::invalid("certificate_pem", "Paste the certificate and its private key (PEM)."));
        }
        Ok(())
    }
}

fn validate_cert_name(n: &str) -> Result<(), ApiError> {
    let ok = (1..=80).contains(&n.chars().count()) && n.chars().all(|c| c.is_alphanumeric() || " -_.*".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("name", "1–80 letters, digits, spaces, '-', '_', '.' or '*'."))
    }
}

/// The decoded content of a certificate (its PEM is public; the key is not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateDetail {
    pub view: CertificateView,
    pub text: String,
    pub chain_pem: String,
}

/// The ACME account Pier uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeAccountView {
    pub directory_url: String,
    pub email: Option<String>,
    /// Registered with the directory (credentials kept, encrypted).
    pub registered: bool,
    pub renew_days_before: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeAccountInput {
    pub directory_url: String,
    pub email: String,
    pub agree_terms: bool,
}

impl AcmeAccountInput {
    pub fn validate(&self) -> Result<(), ApiError> {
        if !self.directory_url.starts_with("https://") || self.directory_url.len() > 512 || self.directory_url.contains(char::is_whitespace) {
            return Err(ApiError::invalid("directory_url", "The directory is an https:// URL."));
        }
        let (user, domain) = self.email.split_once('@').unwrap_or(("", ""));
        if user.is_empty() || validate_server_name(domain).is_err() || self.email.len() > 254 {
            return Err(ApiError::invalid("email", "An email address for expiry notices (like admin@example.com)."));
        }
        if !self.agree_terms {
            return Err(ApiError::invalid("agree_terms", "The directory's terms of service must be accepted."));
        }
        Ok(())
    }
}

/// Well-known directories offered in the form.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";
