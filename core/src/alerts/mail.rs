//! Email through the administrator's SMTP settings (lettre): plain, STARTTLS or TLS, with or
//! without a login. The password is sealed at rest and never sent back.

use super::{Alerts, AlertsError, Result};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use pier_proto::alerts::{SmtpSecurity, SmtpSettings};

const SMTP: &str = "smtp";
const SMTP_AAD: &str = "settings:smtp";

impl Alerts {
    /// The stored settings, the password sealed (`password` holds the sealed text).
    async fn smtp_stored(&self) -> Result<Option<SmtpSettings>> {
        Ok(self.settings.get_json::<SmtpSettings>(SMTP).await?)
    }

    /// The SMTP settings as an administrator sees them (no password).
    pub async fn smtp_settings(&self, actor: &Actor) -> Result<Option<SmtpSettings>> {
        Self::require_admin(actor)?;
        Ok(self.smtp_stored().await?.map(|s| SmtpSettings { password_set: s.password.is_some(), password: None, ..s }))
    }

    pub async fn save_smtp_settings(&self, actor: &Actor, input: SmtpSettings, ctx: &RequestContext) -> Result<SmtpSettings> {
        self.admin_or_audit(actor, "settings.smtp", "settings:smtp", ctx).await?;
        input.validate().map_err(AlertsError::Invalid)?;
        let old = self.smtp_stored().await?;
        // No password sent: the stored one stays (unless the login goes).
        let password = match (&input.password, &input.username) {
            (_, None) => None,
            (Some(p), Some(_)) => Some(self.secrets.seal(p.as_bytes(), SMTP_AAD)),
            (None, Some(_)) => old.and_then(|o| o.password),
        };
        let stored = SmtpSettings { password, password_set: false, ..input };
        self.settings.put_json(SMTP, &stored).await?;
        self.audit.record(actor, "settings.smtp", "settings:smtp", Outcome::Success, ctx, &format!("{}:{} ({:?}) from {}", stored.host, stored.port, stored.security, stored.from)).await;
        Ok(self.smtp_settings(actor).await?.expect("just stored"))
    }

    /// Sends `subject`/`body` to `to` with the stored settings.
    pub async fn send_mail(&self, to: &str, subject: &str, body: &str) -> Result<()> {
        let Some(s) = self.smtp_stored().await? else {
            return Err(AlertsError::Unavailable("Mail is not set up: an administrator enters the SMTP settings first.".into()));
        };
        let mailbox = |a: &str, what: &str| a.parse::<Mailbox>().map_err(|e| AlertsError::Invalid(pier_proto::ApiError::invalid(what, format!("{a:?}: {e}"))));
        let message = Message::builder().from(mailbox(&s.from, "from")?).to(mailbox(to, "to")?).subject(subject).header(ContentType::TEXT_PLAIN).body(body.to_string()).map_err(|e| AlertsError::Unavailable(format!("the message could not be built: {e}")))?;
        let words = |e: lettre::transport::smtp::Error| AlertsError::Unavailable(format!("The mail server at {}:{} did not take the message: {e}", s.host, s.port));
        let mut builder = match s.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host).map_err(words)?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(words)?,
        }
        .port(s.port)
        .timeout(Some(std::time::Duration::from_secs(15)));
        if let (Some(user), Some(sealed)) = (&s.username, &s.password) {
            let password = self.secrets.open(sealed, SMTP_AAD).map_err(|e| AlertsError::Unavailable(format!("the stored SMTP password cannot be read: {e}")))?;
            builder = builder.credentials(Credentials::new(user.clone(), String::from_utf8_lossy(&password).into_owned()));
        }
        builder.build().send(message).await.map_err(words)?;
        Ok(())
    }

    /// "Send a test message" to the administrator's own address.
    pub async fn send_test_mail(&self, actor: &Actor, to: &str, ctx: &RequestContext) -> Result<()> {
        self.admin_or_audit(actor, "settings.smtp_test", "settings:smtp", ctx).await?;
        pier_proto::accounts::validate_email(to).map_err(|_| AlertsError::Invalid(pier_proto::ApiError::invalid("to", "Send the test to an email address.")))?;
        let r = self.send_mail(to, "[Pier] Test message", "Mail from Pier works: alerts will reach you here.").await;
        let outcome = if r.is_ok() { Outcome::Success } else { Outcome::Failure };
        self.audit.record(actor, "settings.smtp_test", "settings:smtp", outcome, ctx, &format!("to {to}")).await;
        r
    }
}
