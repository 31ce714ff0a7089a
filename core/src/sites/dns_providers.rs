//! Where the TXT records of a DNS-01 order are created. The manual provider shows them to a
//! person, who creates them at their DNS host and presses "Check records" and "Finish order";
//! a provider plugin (an API client for a DNS host) creates them itself, and the order goes
//! on at once in the same job.
//!
//! Adding a provider: implement `DnsProvider`, give it a `ChallengeKind` value (stored in the
//! certificate's `challenge` column) and return it from `provider_for`. Its credentials belong
//! in the settings, sealed with `SecretBox` like other secrets at rest.

use pier_proto::certificates::DnsChallenge;

#[async_trait::async_trait]
pub trait DnsProvider: Send + Sync {
    /// Publishes `records`. `Ok(true)`: they are in place and the order may be confirmed now;
    /// `Ok(false)`: a person creates them, and the order waits for them.
    async fn publish(&self, records: &[DnsChallenge]) -> Result<bool, String>;

    /// Removes what `publish` created, once the order is finished either way.
    async fn clean_up(&self, records: &[DnsChallenge]);
}

/// The records are shown on the certificate; a person creates and removes them.
pub struct Manual;

#[async_trait::async_trait]
impl DnsProvider for Manual {
    async fn publish(&self, _records: &[DnsChallenge]) -> Result<bool, String> {
        Ok(false)
    }

    async fn clean_up(&self, _records: &[DnsChallenge]) {}
}

/// The provider of a certificate's `challenge` column value (`None`: not a DNS-01 kind).
pub fn provider_for(challenge: &str) -> Option<Box<dyn DnsProvider>> {
    match challenge {
        "dns01_manual" => Some(Box::new(Manual)),
        _ => None,
    }
}
