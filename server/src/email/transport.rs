//! Where emails go: an SMTP relay (lettre, rustls, pooled connections, timeouts) when
//! `SMTP_URL` is set, otherwise `.eml` files in `MAIL_DIR` so a new user can read them.
//!
//! Over 600 lines: the relay's trust settings, the hand-made session of `server check`
//! and the classification of failures all read the same parsed `SMTP_URL`; they stay
//! together so that the check and the sender can never disagree about a relay.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::Context;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::{
        PoolConfig,
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, Certificate, CertificateStore, Tls, TlsParameters},
        extension::ClientId,
    },
};
use rustls::pki_types::{CertificateDer, pem::PemObject};

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// Mode, host and port, e.g. `STARTTLS (required) to relay.kommun.se:587 with AUTH`;
        /// never the user name or password.
        summary: String,
        /// How to open one session by hand, for `server check`.
        session: Arc<Session>,
    },
    Folder {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

/// Which certificate authorities the SMTP client trusts besides the built-in web roots.
/// The relay's certificate must chain to one of them and name the host of `SMTP_URL`:
/// there is no setting that turns verification off.
#[derive(Clone, Debug, Default)]
pub struct SmtpTrust {
    /// PEM bundle of extra roots (`SMTP_CA_FILE`), e.g. the municipality's own CA.
    pub ca_file: Option<PathBuf>,
    /// Also trust the operating system's store (`SMTP_SYSTEM_ROOTS`).
    pub system_roots: bool,
}

impl SmtpTrust {
    /// The trust settings of the configuration (`SMTP_CA_FILE`, `SMTP_SYSTEM_ROOTS`).
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            ca_file: config.smtp_ca_file.clone(),
            system_roots: config.smtp_system_roots,
        }
    }
}

/// The TLS mode `SMTP_URL` selects, in lettre's URL form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TlsMode {
    /// `smtp://host:port`: no TLS (a relay on the same host or network segment).
    None,
    /// `smtp://host:587?tls=required`: STARTTLS, refusing a relay without it.
    Required,
    /// `smtp://host:587?tls=opportunistic`: STARTTLS when the relay offers it.
    Opportunistic,
    /// `smtps://host:465`: TLS from the first byte (implicit TLS).
    Wrapper,
}

impl TlsMode {
    fn describe(self) -> &'static str {
        match self {
            Self::None => "plain SMTP (no TLS)",
            Self::Required => "STARTTLS (required)",
            Self::Opportunistic => "STARTTLS (opportunistic)",
            Self::Wrapper => "implicit TLS",
        }
    }
}

impl Mailer {
    /// `smtp_url` in lettre's URL format: `smtp://host:2525` (plain, for a local relay),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `?tls=opportunistic`,
    /// `smtps://user:pass@host:465` (implicit TLS). Whichever TLS mode the URL selects
    /// trusts the roots in `trust`. Errors never repeat the URL (it may hold a password).
    pub fn smtp(
        smtp_url: &str,
        timeout: Duration,
        pool_size: u32,
        trust: &SmtpTrust,
    ) -> anyhow::Result<Self> {
        let url = url::Url::parse(smtp_url).map_err(|e| {
            anyhow::anyhow!(
                "SMTP_URL is not a valid URL ({e}); expected smtp://host:port or smtps://host:port"
            )
        })?;
        let tls_query = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let mode = match (url.scheme(), tls_query.as_deref()) {
            ("smtp", None) => TlsMode::None,
            ("smtp", Some("required")) => TlsMode::Required,
            ("smtp", Some("opportunistic")) => TlsMode::Opportunistic,
            ("smtps", None) => TlsMode::Wrapper,
            (scheme, tls) => anyhow::bail!(
                "SMTP_URL: unsupported scheme {scheme:?} or tls={tls:?}; use smtp://…, \
                 smtp://…?tls=required, smtp://…?tls=opportunistic or smtps://…"
            ),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .context("SMTP_URL has no host")?
            .to_owned();
        let credentials = match url.password() {
            Some(password) => {
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8()
                        .map(|c| c.into_owned())
                        .map_err(|_| anyhow::anyhow!("SMTP_URL: the user info is not valid UTF-8"))
                };
                Some(Credentials::new(decode(url.username())?, decode(password)?))
            }
            None => None,
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not a valid SMTP URL: {e}"))?
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(pool_size.max(1)));
        let port = url.port().unwrap_or(match mode {
            TlsMode::None => 25,
            TlsMode::Required | TlsMode::Opportunistic => 587,
            TlsMode::Wrapper => 465,
        });
        let tls = match mode {
            TlsMode::None => {
                if trust.ca_file.is_some() || trust.system_roots {
                    tracing::warn!(
                        "SMTP_CA_FILE / SMTP_SYSTEM_ROOTS are set but SMTP_URL uses no TLS; they are not used"
                    );
                }
                None
            }
            TlsMode::Required | TlsMode::Opportunistic | TlsMode::Wrapper => {
                Some(tls_parameters(&host, trust)?)
            }
        };
        if let Some(params) = &tls {
            builder = builder.tls(match mode {
                TlsMode::Required => Tls::Required(params.clone()),
                TlsMode::Opportunistic => Tls::Opportunistic(params.clone()),
                _ => Tls::Wrapper(params.clone()),
            });
        }
        let auth = if url.password().is_some() {
            " with AUTH"
        } else {
            ""
        };
        Ok(Self::Smtp {
            transport: builder.build(),
            summary: format!("{} to {host}:{port}{auth}", mode.describe()),
            session: Arc::new(Session {
                host,
                port,
                mode,
                tls,
                credentials,
                hello,
                timeout,
            }),
        })
    }

    pub fn folder(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating mail folder {}", dir.display()))?;
        Ok(Self::Folder {
            transport: AsyncFileTransport::<Tokio1Executor>::new(dir),
            dir: dir.to_owned(),
        })
    }

    /// Send one message. The error says whether a retry can help and carries a short
    /// description for the delivery's `last_error`; it never contains the message, nor
    /// the server's free-text reply (which often repeats the address).
    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Self::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendFailure::from_smtp(&e)),
            Self::Folder { transport, .. } => {
                transport.send(message).await.map(|_| ()).map_err(|e| {
                    SendFailure::transient(FailureCause::MailFolder, format!("file transport: {e}"))
                })
            }
        }
    }

    /// For `server check`: open an SMTP session (TLS and AUTH as configured) and quit
    /// before sending anything, or prove the mail folder writable. Returns what was checked.
    pub async fn check(&self) -> Result<String, SendFailure> {
        match self {
            Self::Smtp {
                summary, session, ..
            } => {
                session.open_and_quit().await?;
                Ok(format!("{summary}: session opened and quit, nothing sent"))
            }
            Self::Folder { dir, .. } => {
                let probe = dir.join(format!(".check-{}", std::process::id()));
                std::fs::write(&probe, b"check")
                    .and_then(|()| std::fs::remove_file(&probe))
                    .map(|()| format!("mail folder {} is writable (no SMTP_URL)", dir.display()))
                    .map_err(|e| {
                        SendFailure::transient(
                            FailureCause::MailFolder,
                            format!("mail folder {} is not writable: {e}", dir.display()),
                        )
                    })
            }
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Smtp { .. } => "SMTP relay",
            Self::Folder { .. } => "mail folder",
        }
    }
}

/// What the pooled transport does to open a connection, spelled out so that `server
/// check` can end the session with QUIT (a pooled connection would be parked instead).
pub struct Session {
    host: String,
    port: u16,
    mode: TlsMode,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
}

impl Session {
    /// Connect, start TLS as the mode says, authenticate when credentials are set, QUIT.
    async fn open_and_quit(&self) -> Result<(), SendFailure> {
        let smtp = |e: lettre::transport::smtp::Error| SendFailure::from_smtp(&e);
        let implicit = match self.mode {
            TlsMode::Wrapper => self.tls.clone(),
            _ => None,
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            implicit,
            None,
        )
        .await
        .map_err(smtp)?;
        if let (TlsMode::Required | TlsMode::Opportunistic, Some(tls)) = (self.mode, &self.tls) {
            if conn.can_starttls() {
                conn.starttls(tls.clone(), &self.hello)
                    .await
                    .map_err(smtp)?;
            } else if self.mode == TlsMode::Required {
                conn.abort().await;
                return Err(SendFailure::permanent(
                    FailureCause::Tls,
                    "the relay does not offer STARTTLS, which SMTP_URL requires (tls=required)",
                ));
            }
        }
        if let Some(credentials) = &self.credentials
            && let Err(e) = conn
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
        {
            conn.abort().await;
            return Err(smtp(e));
        }
        conn.quit().await.map_err(smtp)?;
        Ok(())
    }
}

/// TLS parameters for `host`: the built-in web roots, plus `SMTP_CA_FILE` and the system
/// store when configured. The certificate's name is always checked against `host`.
fn tls_parameters(host: &str, trust: &SmtpTrust) -> anyhow::Result<TlsParameters> {
    let mut builder =
        TlsParameters::builder(host.to_owned()).certificate_store(CertificateStore::WebpkiRoots);
    if let Some(path) = &trust.ca_file {
        for der in load_ca_file(path)? {
            builder = builder.add_root_certificate(
                Certificate::from_der(der.to_vec())
                    .with_context(|| format!("SMTP_CA_FILE {}", path.display()))?,
            );
        }
    }
    if trust.system_roots {
        for der in system_roots()? {
            builder = builder.add_root_certificate(
                Certificate::from_der(der.to_vec()).context("SMTP_SYSTEM_ROOTS")?,
            );
        }
    }
    builder
        .build_rustls()
        .map_err(|e| anyhow::anyhow!("building the SMTP TLS settings: {e}"))
}

/// The certificates of a PEM bundle, each checked to be usable as a trust anchor, so a
/// bad file is a configuration error at start-up rather than a failure at the first send.
pub fn load_ca_file(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("SMTP_CA_FILE {} cannot be read", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            anyhow::anyhow!(
                "SMTP_CA_FILE {} is not a valid PEM certificate bundle: {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        anyhow::bail!(
            "SMTP_CA_FILE {} holds no certificate (expected PEM blocks \"BEGIN CERTIFICATE\")",
            path.display()
        );
    }
    for (i, cert) in certs.iter().enumerate() {
        rustls::RootCertStore::empty()
            .add(cert.clone())
            .map_err(|e| {
                anyhow::anyhow!(
                    "SMTP_CA_FILE {}: certificate {} cannot be used as a trusted root: {e}",
                    path.display(),
                    i + 1
                )
            })?;
    }
    Ok(certs)
}

/// The operating system's trusted roots (rustls-native-certs), those rustls can use.
fn system_roots() -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let found = rustls_native_certs::load_native_certs();
    let usable: Vec<_> = found
        .certs
        .into_iter()
        .filter(|c| rustls::RootCertStore::empty().add(c.clone()).is_ok())
        .collect();
    if usable.is_empty() {
        match found.errors.first() {
            Some(e) => anyhow::bail!(
                "SMTP_SYSTEM_ROOTS: the operating system's trust store could not be loaded: {e}"
            ),
            None => anyhow::bail!("SMTP_SYSTEM_ROOTS: the operating system's trust store is empty"),
        }
    }
    tracing::debug!(
        roots = usable.len(),
        "loaded the system trust store for SMTP"
    );
    Ok(usable)
}

/// What a failed send was about: the first word of its reason, shown to staff, in the
/// log and (without the details) in `/readyz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureCause {
    /// The relay's certificate is not trusted, not valid for its name, or expired.
    Certificate,
    /// The TLS handshake failed otherwise, or STARTTLS was required and not offered.
    Tls,
    /// The relay refused the user name or password, or no common AUTH mechanism.
    Authentication,
    /// No connection, or it broke (refused, reset, unreachable).
    Connection,
    /// The relay did not answer in time.
    Timeout,
    /// The relay refused this message for good (5xx to the sender, recipient or data).
    Refused,
    /// The relay answered with a temporary (4xx) or unexpected reply.
    Relay,
    /// This message cannot be built or sent as it is.
    Message,
    /// The `.eml` folder could not be written.
    MailFolder,
}

impl FailureCause {
    const ALL: [Self; 9] = [
        Self::Certificate,
        Self::Tls,
        Self::Authentication,
        Self::Connection,
        Self::Timeout,
        Self::Refused,
        Self::Relay,
        Self::Message,
        Self::MailFolder,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Certificate => "certificate",
            Self::Tls => "tls",
            Self::Authentication => "authentication",
            Self::Connection => "connection",
            Self::Timeout => "timeout",
            Self::Refused => "refused",
            Self::Relay => "relay",
            Self::Message => "message",
            Self::MailFolder => "mail-folder",
        }
    }

    /// A fixed sentence for operators (`/readyz`): no host, address or secret.
    pub fn explain(self) -> &'static str {
        match self {
            Self::Certificate => {
                "the SMTP relay's certificate was not accepted (untrusted CA, wrong name or expired); see SMTP_CA_FILE and SMTP_SYSTEM_ROOTS"
            }
            Self::Tls => "the TLS handshake with the SMTP relay failed",
            Self::Authentication => "the SMTP relay refused the configured user name or password",
            Self::Connection => "the SMTP relay could not be reached or dropped the connection",
            Self::Timeout => "the SMTP relay did not answer in time",
            Self::Refused => "the SMTP relay refused a message for good (5xx)",
            Self::Relay => "the SMTP relay answered with a temporary error",
            Self::Message => "a message could not be built or has no deliverable recipient",
            Self::MailFolder => "the mail folder could not be written",
        }
    }

    /// The cause recorded in a delivery's `last_error` (as written by [`SendFailure`]).
    pub fn of_reason(reason: &str) -> Option<Self> {
        let mut rest = reason;
        if let Some(r) = rest.strip_prefix("gave up after ") {
            rest = r.split_once(": ").map_or(r, |(_, tail)| tail);
        }
        rest = rest.strip_prefix("permanent: ").unwrap_or(rest);
        let (label, _) = rest.split_once(':')?;
        Self::ALL.into_iter().find(|c| c.label() == label)
    }
}

impl std::fmt::Display for FailureCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a send failed, and whether trying again later can help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendFailure {
    /// Retrying would fail the same way: the relay refused for good (5xx), the message
    /// cannot be sent as it is, or the relay setup is wrong (certificate, TLS, password),
    /// which an operator has to fix.
    pub permanent: bool,
    pub cause: FailureCause,
    /// `permanent: <cause>: <detail>` or `<cause>: <detail>`.
    pub reason: String,
}

impl SendFailure {
    pub fn permanent(cause: FailureCause, detail: impl std::fmt::Display) -> Self {
        Self {
            permanent: true,
            cause,
            reason: format!("permanent: {cause}: {detail}"),
        }
    }

    pub fn transient(cause: FailureCause, detail: impl std::fmt::Display) -> Self {
        Self {
            permanent: false,
            cause,
            reason: format!("{cause}: {detail}"),
        }
    }

    /// Permanent: a TLS failure (untrusted or misnamed certificate, failed handshake, no
    /// STARTTLS where required), an authentication failure (530/534/535/538, no common
    /// AUTH mechanism), 5xx replies, and lettre's refusal of a message the relay cannot
    /// carry (non-ASCII without SMTPUTF8/8BITMIME). Transient: 4xx, timeouts and
    /// connections refused or lost. The reason never holds the relay's free-text reply
    /// (it often repeats the address) nor anything of `SMTP_URL`'s user info.
    pub(crate) fn from_smtp(e: &lettre::transport::smtp::Error) -> Self {
        if let Some(tls) = rustls_error(e) {
            return Self::from_tls(tls);
        }
        let text = e.to_string();
        if e.is_tls() {
            return Self::permanent(FailureCause::Tls, "TLS with the relay failed");
        }
        if e.is_client() && text.contains("STARTTLS is not supported") {
            return Self::permanent(
                FailureCause::Tls,
                "the relay does not offer STARTTLS, which SMTP_URL requires (tls=required)",
            );
        }
        if e.is_client() && text.contains("No compatible authentication mechanism") {
            return Self::permanent(
                FailureCause::Authentication,
                "the relay offers no AUTH mechanism this server supports (PLAIN, LOGIN)",
            );
        }
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        let detail = match enhanced_status(&text) {
            Some(x) => format!("{code} {x}"),
            None => code.clone(),
        };
        if matches!(code.as_str(), "530" | "534" | "535" | "538") {
            return Self::permanent(
                FailureCause::Authentication,
                format!("the relay refused the SMTP user name or password (SMTP {detail})"),
            );
        }
        if code == "454" && enhanced_status(&text).is_some_and(|x| x.starts_with("4.7.")) {
            return Self::transient(
                FailureCause::Authentication,
                format!("the relay could not authenticate just now (SMTP {detail})"),
            );
        }
        if e.is_permanent() {
            let what = match code.as_str() {
                "550" => "mailbox unavailable",
                "551" => "user not local",
                "552" => "storage exceeded",
                "553" => "mailbox name not allowed",
                "554" => "transaction failed",
                "555" => "parameters not recognised",
                _ => "refused",
            };
            return Self::permanent(
                FailureCause::Refused,
                format!("the mail server refused the message (SMTP {detail}, {what})"),
            );
        }
        if e.is_client() && text.contains("non-ascii") {
            // lettre's text here is fixed wording about the envelope or message, never
            // the address itself.
            return Self::permanent(
                FailureCause::Message,
                format!("the message cannot be sent: {e}"),
            );
        }
        if e.is_transient() {
            return Self::transient(
                FailureCause::Relay,
                format!("SMTP transient error {detail} from the relay"),
            );
        }
        if e.is_timeout() {
            return Self::transient(FailureCause::Timeout, "the relay did not answer in time");
        }
        if e.is_client() || e.is_response() {
            return Self::transient(
                FailureCause::Relay,
                format!("unexpected SMTP exchange: {}", clip(&text)),
            );
        }
        Self::transient(
            FailureCause::Connection,
            format!("SMTP connection error: {}", clip(&text)),
        )
    }

    fn from_tls(e: &rustls::Error) -> Self {
        use rustls::CertificateError as C;
        let certificate = |detail: &str| {
            Self::permanent(
                FailureCause::Certificate,
                format!("the relay's certificate {detail}"),
            )
        };
        match e {
            rustls::Error::InvalidCertificate(c) => match c {
                C::UnknownIssuer => certificate(
                    "is not signed by a trusted CA (unknown issuer); trust its CA with SMTP_CA_FILE or SMTP_SYSTEM_ROOTS",
                ),
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    certificate("is not valid for the host name in SMTP_URL (name mismatch)")
                }
                C::Expired | C::ExpiredContext { .. } => certificate("has expired"),
                C::NotValidYet | C::NotValidYetContext { .. } => certificate("is not valid yet"),
                C::Revoked => certificate("is revoked"),
                C::BadSignature => certificate("has a bad signature"),
                C::BadEncoding => certificate("cannot be decoded"),
                other => certificate(&format!("was rejected ({other:?})")),
            },
            rustls::Error::AlertReceived(alert) => Self::permanent(
                FailureCause::Tls,
                format!("the relay ended the TLS handshake (alert {alert:?})"),
            ),
            other => Self::permanent(
                FailureCause::Tls,
                format!(
                    "TLS handshake with the relay failed: {}",
                    clip(&other.to_string())
                ),
            ),
        }
    }
}

fn clip(text: &str) -> String {
    text.chars().take(200).collect()
}

/// The rustls error behind a lettre error: rustls errors travel inside `io::Error`s,
/// whose `source()` skips them, so each `io::Error` is opened with `get_ref`.
fn rustls_error(e: &lettre::transport::smtp::Error) -> Option<&rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = current {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(tls);
        }
        current = err.source();
    }
    None
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

    #[test]
    fn the_cause_is_read_back_from_a_reason() {
        for cause in FailureCause::ALL {
            let p = SendFailure::permanent(cause, "x: y");
            assert_eq!(
                FailureCause::of_reason(&p.reason),
                Some(cause),
                "{}",
                p.reason
            );
            let t = SendFailure::transient(cause, "x");
            assert_eq!(FailureCause::of_reason(&t.reason), Some(cause));
            let gave_up = format!("gave up after 3 attempts: {}", t.reason);
            assert_eq!(FailureCause::of_reason(&gave_up), Some(cause));
        }
        assert_eq!(FailureCause::of_reason("something else"), None);
    }

    #[test]
    fn a_bad_ca_file_is_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("ca-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let missing = dir.join("missing.pem");
        let err = load_ca_file(&missing).expect_err("missing file");
        assert!(format!("{err:#}").contains("cannot be read"), "{err:#}");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate").expect("write");
        let err = load_ca_file(&empty).expect_err("no certificate");
        assert!(
            format!("{err:#}").contains("holds no certificate"),
            "{err:#}"
        );
        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let err = load_ca_file(&broken).expect_err("not a certificate");
        assert!(format!("{err:#}").contains("cannot be used"), "{err:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unsupported_smtp_url_is_refused_without_repeating_it() {
        let err = match Mailer::smtp(
            "smtp://user:hunter2@relay.example?tls=sometimes",
            Duration::from_secs(1),
            1,
            &SmtpTrust::default(),
        ) {
            Ok(_) => panic!("accepted"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("unsupported"), "{err}");
        assert!(!err.contains("hunter2") && !err.contains("user"), "{err}");
    }
}
