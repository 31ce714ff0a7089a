//! Certificates from an ACME directory (Let's Encrypt, its staging, Pebble…) with instant-acme:
//! the account, an HTTP-01 order answered by files nginx serves, a DNS-01 order whose TXT
//! records a person creates, and every failure put in plain words with what to do about it.

use instant_acme::{Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, Order, OrderStatus, RetryPolicy};
use pier_proto::certificates::DnsChallenge;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AcmeError {
    /// The directory could not be reached or answered nonsense.
    #[error("The ACME directory could not be reached: {0}")]
    Unreachable(String),
    /// The directory refused something; the message says what and what to do.
    #[error("{0}")]
    Refused(String),
    /// The account Pier holds is unknown to the directory (a test directory restarted).
    #[error("The ACME directory does not know Pier's account (it may have been reset); save the account again on the certificates page.")]
    NoAccount,
}

/// Where the directory's TLS is trusted from: the system roots, or a private CA file.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub ca_file: Option<PathBuf>,
}

impl Trust {
    fn builder(&self) -> Result<instant_acme::AccountBuilder, AcmeError> {
        // rustls needs one crypto provider chosen when several are compiled in.
        let _ = rustls::crypto::ring::default_provider().install_default();
        match &self.ca_file {
            Some(f) => Account::builder_with_root(f).map_err(|e| AcmeError::Unreachable(format!("the CA file {}: {e}", f.display()))),
            None => Account::builder().map_err(|e| AcmeError::Unreachable(e.to_string())),
        }
    }
}

/// Registers a new account; returns its credentials (JSON, to be kept sealed).
pub async fn register(trust: &Trust, directory: &str, email: &str) -> Result<String, AcmeError> {
    let contact = format!("mailto:{email}");
    let (_, creds) = trust.builder()?.create(&NewAccount { contact: &[&contact], terms_of_service_agreed: true, only_return_existing: false }, directory.to_string(), None).await.map_err(explain)?;
    Ok(serde_json::to_string(&creds).expect("credentials serialise"))
}

pub async fn open(trust: &Trust, credentials: &str) -> Result<Account, AcmeError> {
    let creds: AccountCredentials = serde_json::from_str(credentials).map_err(|e| AcmeError::Refused(format!("the stored account is unreadable: {e}")))?;
    trust.builder()?.from_credentials(creds).await.map_err(explain)
}

fn identifiers(names: &[String]) -> Vec<Identifier> {
    names.iter().map(|n| Identifier::Dns(n.clone())).collect()
}

/// Polling limits: a real CA can take a while to validate.
fn patience() -> RetryPolicy {
    RetryPolicy::new().initial_delay(Duration::from_millis(250)).backoff(1.5).timeout(Duration::from_secs(90))
}

/// Places an HTTP-01 order: `serve(token, key_authorization)` must make the file available at
/// `/.well-known/acme-challenge/<token>` before the challenge is declared ready. Returns the
/// order, ready to be finalized.
pub async fn order_http01(account: &Account, names: &[String], mut serve: impl FnMut(&str, &str) -> Result<(), String>) -> Result<Order, AcmeError> {
    let ids = identifiers(names);
    let mut order = account.new_order(&NewOrder::new(&ids)).await.map_err(explain)?;
    let mut authzs = order.authorizations();
    while let Some(a) = authzs.next().await {
        let mut authz = a.map_err(explain)?;
        if authz.status == AuthorizationStatus::Valid {
            continue;
        }
        let mut ch = authz.challenge(ChallengeType::Http01).ok_or_else(|| AcmeError::Refused("The directory offers no HTTP-01 challenge for this name (wildcards need DNS-01).".into()))?;
        let body = ch.key_authorization().as_str().to_string();
        serve(&ch.token.clone(), &body).map_err(|e| AcmeError::Refused(format!("The challenge file could not be written: {e}")))?;
        ch.set_ready().await.map_err(explain)?;
    }
    Ok(order)
}

/// Places a DNS-01 order and returns its URL and the TXT records a person must create.
pub async fn order_dns01(account: &Account, names: &[String]) -> Result<(String, Vec<DnsChallenge>), AcmeError> {
    let ids = identifiers(names);
    let mut order = account.new_order(&NewOrder::new(&ids)).await.map_err(explain)?;
    let mut records = Vec::new();
    let mut authzs = order.authorizations();
    while let Some(a) = authzs.next().await {
        let mut authz = a.map_err(explain)?;
        if authz.status == AuthorizationStatus::Valid {
            continue;
        }
        let ch = authz.challenge(ChallengeType::Dns01).ok_or_else(|| AcmeError::Refused("The directory offers no DNS-01 challenge for this name.".into()))?;
        // The record is on the base name, also for a wildcard (no "*.").
        let Identifier::Dns(domain) = ch.identifier().identifier.clone() else { continue };
        records.push(DnsChallenge { record: format!("_acme-challenge.{domain}"), value: ch.key_authorization().dns_value() });
    }
    Ok((order.url().to_string(), records))
}

/// Tells the directory the DNS-01 records of `order_url` are in place.
pub async fn confirm_dns01(account: &Account, order_url: &str) -> Result<Order, AcmeError> {
    let mut order = account.order(order_url.to_string()).await.map_err(explain)?;
    let mut authzs = order.authorizations();
    while let Some(a) = authzs.next().await {
        let mut authz = a.map_err(explain)?;
        if authz.status != AuthorizationStatus::Pending {
            continue;
        }
        if let Some(mut ch) = authz.challenge(ChallengeType::Dns01) {
            ch.set_ready().await.map_err(explain)?;
        }
    }
    Ok(order)
}

/// Waits for the order's validation, sends the CSR and fetches the chain (leaf first).
pub async fn finish(order: &mut Order, csr_der: &[u8]) -> Result<String, AcmeError> {
    let status = match order.poll_ready(&patience()).await {
        Ok(s) => s,
        Err(e) => return Err(validation_failure(order).await.unwrap_or_else(|| explain(e))),
    };
    if status != OrderStatus::Ready {
        return Err(validation_failure(order).await.unwrap_or_else(|| AcmeError::Refused(format!("The order ended {status:?} without saying why."))));
    }
    order.finalize_csr(csr_der).await.map_err(explain)?;
    order.poll_certificate(&patience()).await.map_err(explain)
}

/// Why validation failed, from the authorizations' challenge errors.
async fn validation_failure(order: &mut Order) -> Option<AcmeError> {
    let mut why = Vec::new();
    let mut authzs = order.authorizations();
    while let Some(Ok(mut a)) = authzs.next().await {
        let Ok(st) = a.refresh().await else { continue };
        let name = format!("{}", st.identifier());
        for c in &st.challenges {
            if let Some(p) = &c.error {
                why.push(format!("{name}: {}", problem_words(p.r#type.as_deref(), p.detail.as_deref())));
            }
        }
    }
    (!why.is_empty()).then(|| AcmeError::Refused(format!("The directory could not validate: {}", why.join("; "))))
}

/// A problem type put in plain words with what to do.
fn problem_words(kind: Option<&str>, detail: Option<&str>) -> String {
    let t = kind.unwrap_or_default().trim_start_matches("urn:ietf:params:acme:error:");
    let advice = match t {
        "rateLimited" => "the directory's rate limit was reached; wait (the detail says how long) or use the staging directory while testing",
        "caa" => "a CAA record of the domain forbids this certificate authority; add one that allows it or remove the record",
        "dns" => "the name does not resolve from the directory (check its DNS A/AAAA records, or the TXT record for DNS-01)",
        "connection" => "the directory could not connect to this server on port 80; check the name points here and port 80 is open",
        "unauthorized" | "incorrectResponse" => "the challenge was not answered correctly (the file was not served, or the TXT record holds another value)",
        "accountDoesNotExist" => "the account is unknown to the directory; save the ACME account again",
        "rejectedIdentifier" | "malformed" => "the directory refuses to issue for this name",
        "externalAccountRequired" => "this directory needs an external account binding, which Pier does not support yet",
        "userActionRequired" => "the directory's terms changed; accept them on its website",
        "badCSR" => "the directory refused the certificate request",
        "serverInternal" => "the directory had an internal error; try again later",
        "" => "the directory refused",
        other => other,
    };
    match detail {
        Some(d) if !d.is_empty() => format!("{advice} ({d})"),
        _ => advice.to_string(),
    }
}

fn explain(e: instant_acme::Error) -> AcmeError {
    match e {
        instant_acme::Error::Api(p) => {
            if p.r#type.as_deref().is_some_and(|t| t.ends_with(":accountDoesNotExist")) {
                return AcmeError::NoAccount;
            }
            let mut text = problem_words(p.r#type.as_deref(), p.detail.as_deref());
            for s in &p.subproblems {
                text.push_str(&format!("; {}", problem_words(s.r#type.as_deref(), s.detail.as_deref())));
            }
            AcmeError::Refused(capitalise(&text))
        }
        instant_acme::Error::Timeout(_) => AcmeError::Refused("The directory took too long to validate the order; try again.".into()),
        other => AcmeError::Unreachable(other.to_string()),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Writes an HTTP-01 answer into the webroot nginx serves challenges from.
pub fn write_challenge(root: &Path, token: &str, body: &str) -> Result<(), String> {
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("unexpected token {token:?}"));
    }
    let dir = root.join(".well-known/acme-challenge");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join(token), body).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn problems_read_as_advice() {
        let t = super::problem_words(Some("urn:ietf:params:acme:error:connection"), Some("Fetching http://x/.well-known: connection refused"));
        assert!(t.starts_with("the directory could not connect") && t.contains("connection refused"), "{t}");
        assert!(super::problem_words(Some("urn:ietf:params:acme:error:rateLimited"), None).contains("rate limit"));
        assert!(super::write_challenge(std::path::Path::new("/tmp"), "../x", "b").is_err());
    }
}
