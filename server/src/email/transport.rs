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

    /// Send one message. The error is a short description for the delivery's
    /// `last_error`; it never contains the message itself.
    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Self::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| smtp_error(&e)),
            Self::Folder(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("file transport: {e}")),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "SMTP relay",
            Self::Folder(_) => "mail folder",
        }
    }
}

fn smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let kind = if e.is_transient() {
        "transient"
    } else if e.is_permanent() {
        "permanent"
    } else if e.is_timeout() {
        "timeout"
    } else {
        "connection"
    };
    match e.status() {
        Some(code) => format!("SMTP {kind} error {code}"),
        None => format!("SMTP {kind} error: {e}"),
    }
}
