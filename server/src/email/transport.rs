//! Where emails go: an SMTP relay (lettre, rustls, pooled connections, timeouts) when
//! `SMTP_URL` is set, otherwise `.eml` files in `MAIL_DIR` so a new user can read them.

use std::{path::Path, time::Duration};

use anyhow::Context;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::PoolConfig,
};

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    /// `smtp_url` in lettre's URL format: `smtp://host:2525` (plain, for a local relay),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`.
    pub fn smtp(smtp_url: &str, timeout: Duration, pool_size: u32) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .context("SMTP_URL is not a valid SMTP URL")?
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(pool_size.max(1)))
            .build();
        Ok(Self::Smtp(transport))
    }

    pub fn folder(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating mail folder {}", dir.display()))?;
        Ok(Self::Folder(AsyncFileTransport::<Tokio1Executor>::new(dir)))
    }

    /// Send one message. The error says whether a retry can help and carries a short
    /// description for the delivery's `last_error`; it never contains the message, nor
    /// the server's free-text reply (which often repeats the address).
    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Self::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendFailure::from_smtp(&e)),
            Self::Folder(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendFailure::transient(format!("file transport: {e}"))),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "SMTP relay",
            Self::Folder(_) => "mail folder",
        }
    }
}

/// Why a send failed, and whether trying again later can help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendFailure {
    /// The relay refused for good (5xx), or the message cannot be sent as it is: retrying
    /// would fail the same way.
    pub permanent: bool,
    pub reason: String,
}

impl SendFailure {
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            permanent: true,
            reason: reason.into(),
        }
    }

    pub fn transient(reason: impl Into<String>) -> Self {
        Self {
            permanent: false,
            reason: reason.into(),
        }
    }

    /// 5xx replies and lettre's refusal of a message the relay cannot carry (non-ASCII
    /// address or content without SMTPUTF8/8BITMIME) are permanent. 4xx, timeouts,
    /// network and TLS trouble are transient, and so are faults of the relay setup that
    /// hit every message alike (authentication 530/534/535/538, no STARTTLS, no common
    /// AUTH mechanism): they are retried until the operator fixes the configuration.
    fn from_smtp(e: &lettre::transport::smtp::Error) -> Self {
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        let setup_fault = matches!(code.as_str(), "530" | "534" | "535" | "538");
        if e.is_permanent() && !setup_fault {
            let text = e.to_string();
            let enhanced = enhanced_status(&text);
            let what = match code.as_str() {
                "550" => "mailbox unavailable",
                "551" => "user not local",
                "552" => "storage exceeded",
                "553" => "mailbox name not allowed",
                "554" => "transaction failed",
                "555" => "parameters not recognised",
                _ => "refused",
            };
            let detail = match enhanced {
                Some(x) => format!("{code} {x}"),
                None => code,
            };
            return Self::permanent(format!(
                "permanent: the mail server refused the message (SMTP {detail}, {what})"
            ));
        }
        if e.is_client() && e.to_string().contains("non-ascii") {
            // lettre's text here is fixed wording about the envelope or message, never
            // the address itself.
            return Self::permanent(format!("permanent: the message cannot be sent: {e}"));
        }
        let kind = if e.is_transient() {
            "transient"
        } else if e.is_permanent() || e.is_client() {
            "relay setup"
        } else if e.is_timeout() {
            "timeout"
        } else {
            "connection"
        };
        Self::transient(match e.status() {
            Some(code) => format!("SMTP {kind} error {code}"),
            None => format!(
                "SMTP {kind} error: {}",
                e.to_string().chars().take(200).collect::<String>()
            ),
        })
    }
}

/// The RFC 3463 enhanced status code ("5.1.1") in a server reply, if there is one.
fn enhanced_status(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ':' | '(' | ')' | ','))
        .find(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3
                && matches!(parts[0], "4" | "5")
                && parts[1..]
                    .iter()
                    .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_status_codes_are_found() {
        assert_eq!(
            enhanced_status("permanent error (550): 5.1.1 <x@y.se>: no such user"),
            Some("5.1.1")
        );
        assert_eq!(enhanced_status("permanent error (554): rejected"), None);
        assert_eq!(enhanced_status("version 1.2.3"), None);
    }
}
