//! Mail through SMTP with lettre: the transport (STARTTLS or TLS through rustls, or a
//! plain connection to a relay on this machine; optional authentication with the password
//! from an environment variable), the messages (multipart/alternative, plain text first,
//! the subscription's language, RFC 8058 one-click unsubscribe headers), and what a
//! failure means: a 4xx or a lost connection is worth trying again, a 5xx is not.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::settings::{DigestSettings, Security};
use crate::i18n::Lang;

/// The mail settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error(
        "digest: `{field}`: `{value}` is not a mailbox such as Bulletin <bulletin@example.gc.ca>"
    )]
    Mailbox { field: &'static str, value: String },
    #[error(
        "digest: the SMTP password is read from the environment variable {0}, which is not set"
    )]
    Password(String),
    #[error("digest: SMTP server {host}: {error}")]
    Transport { host: String, error: String },
}

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later: a 4xx answer, a timeout, a connection that failed.
    #[error("{0}")]
    Transient(String),
    /// The server refused this address for good (550, 551, 553…).
    #[error("{0}")]
    Rejected(String),
    /// The server refuses us, whoever the message is for (authentication, relaying,
    /// policy): nothing more should be tried until the operator looks.
    #[error("{0}")]
    Refused(String),
    /// The message could not be made (an address that is not one).
    #[error("{0}")]
    Invalid(String),
}

/// Sends mail for the digest.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

/// One message to build.
pub struct Outgoing<'a> {
    pub to: &'a str,
    pub lang: Lang,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    /// Kept across attempts, so a message sent twice is one message to mail programs.
    pub message_id: Option<&'a str>,
    /// The one-click unsubscribe address (RFC 8058), for digests.
    pub unsubscribe: Option<&'a str>,
}

impl Mailer {
    /// The transport of `settings`; the password comes from the environment now.
    pub fn new(settings: &DigestSettings) -> Result<Mailer, MailSetupError> {
        crate::fetch::install_tls_provider();
        let smtp = &settings.smtp;
        let transport_error = |error: lettre::transport::smtp::Error| MailSetupError::Transport {
            host: smtp.host.clone(),
            error: error.to_string(),
        };
        let builder = match smtp.security {
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                .map_err(transport_error)?,
            Security::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(transport_error)?
            }
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        };
        let mut builder = builder.port(smtp.port).timeout(Some(smtp.timeout));
        if let Some(username) = &smtp.username {
            let password = match &smtp.password_env {
                Some(name) => std::env::var(name)
                    .ok()
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| MailSetupError::Password(name.clone()))?,
                None => String::new(),
            };
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        let mailbox = |field: &'static str, value: &str| {
            value
                .parse::<Mailbox>()
                .map_err(|_| MailSetupError::Mailbox {
                    field,
                    value: value.to_string(),
                })
        };
        Ok(Mailer {
            transport: builder.build(),
            host: smtp.host.clone(),
            from: mailbox("from", &settings.from)?,
            reply_to: settings
                .reply_to
                .as_deref()
                .map(|r| mailbox("reply_to", r))
                .transpose()?,
        })
    }

    /// The domain Message-IDs are made in: the sender's.
    pub fn id_domain(&self) -> &str {
        self.from.email.domain()
    }

    /// Builds a message.
    pub fn message(&self, out: &Outgoing<'_>) -> Result<Message, SendError> {
        let to: Mailbox = out
            .to
            .parse()
            .map_err(|e| SendError::Invalid(format!("{}: not an address: {e}", out.to)))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(out.subject)
            .date_now()
            .message_id(out.message_id.map(str::to_string))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                out.lang.code().to_string(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_string(),
            ));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        if let Some(url) = out.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_string(),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("Precedence"),
                    "bulk".to_string(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                out.text.clone(),
                out.html.clone(),
            ))
            .map_err(|e| SendError::Invalid(format!("{}: {e}", out.to)))
    }

    /// Sends one message once.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) => Err(classify(&self.host, &error)),
        }
    }

    /// Sends one message, trying again after a transient failure up to `attempts` times
    /// in all, waiting `delay`, then twice that, and so on.
    pub async fn send_with_retries(
        &self,
        message: &Message,
        attempts: u32,
        delay: std::time::Duration,
    ) -> Result<u32, (u32, SendError)> {
        let mut wait = delay;
        let mut tried = 0;
        loop {
            tried += 1;
            match self.send(message.clone()).await {
                Ok(()) => return Ok(tried),
                Err(SendError::Transient(why)) if tried < attempts.max(1) => {
                    tracing::info!("SMTP server {}: {why}; trying again in {wait:?}", self.host);
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
                Err(error) => return Err((tried, error)),
            }
        }
    }
}

/// What an SMTP error means for the message and the run.
fn classify(host: &str, error: &lettre::transport::smtp::Error) -> SendError {
    let text = format!("SMTP server {host}: {error}");
    if error.is_permanent() {
        let code = error.status().map(|c| c.to_string()).unwrap_or_default();
        // The mailbox's own answers; the others (530/535 authentication, 554 relaying or
        // policy, 552 size) are about us, not the address.
        if matches!(code.as_str(), "550" | "551" | "553" | "501" | "511") {
            SendError::Rejected(text)
        } else {
            SendError::Refused(text)
        }
    } else {
        SendError::Transient(text)
    }
}
