//! A real SMTP server with TLS and AUTH on a loopback TCP port, inside the test process,
//! built like a municipality's internal relay: STARTTLS (port 587 style) or implicit TLS
//! (port 465 style), AUTH PLAIN/LOGIN required before `MAIL`, and a certificate for
//! `localhost` signed by a private CA that the test generates with `rcgen`.
//!
//! A small SMTP state machine over `tokio` and `tokio-rustls`: `mailin-embedded`'s
//! STARTTLS support has no implicit TLS, and one implementation for both keeps the two
//! modes alike. It records every message and every AUTH attempt.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::{
    io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::TlsAcceptor;

/// A private certificate authority, as a municipality runs for its internal services.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    /// The CA certificate in PEM, what an operator puts in `SMTP_CA_FILE`.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// Write the CA certificate to `dir/name` and return the path.
    pub fn write_pem(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.pem()).expect("write CA file");
        path
    }

    /// A server certificate for the DNS names `names`, signed by this CA.
    fn server_certificate(
        &self,
        names: &[&str],
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "smtp relay");
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server cert");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (vec![cert.der().clone(), self.issuer.der().clone()], key)
    }
}

/// How TLS starts on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain greeting, `STARTTLS` advertised in EHLO (submission, port 587).
    StartTls,
    /// TLS from the first byte (submissions, port 465).
    Implicit,
}

/// What the relay accepts.
#[derive(Clone, Debug)]
pub struct RelayOptions {
    pub mode: TlsMode,
    pub user: String,
    pub password: String,
    /// AUTH mechanisms advertised (after TLS only), e.g. `["PLAIN", "LOGIN"]`.
    pub mechanisms: Vec<&'static str>,
    /// DNS names in the server certificate.
    pub names: Vec<&'static str>,
}

impl RelayOptions {
    pub fn new(mode: TlsMode, user: &str, password: &str) -> Self {
        Self {
            mode,
            user: user.to_owned(),
            password: password.to_owned(),
            mechanisms: vec!["PLAIN", "LOGIN"],
            names: vec!["localhost"],
        }
    }
}

/// One AUTH attempt as the relay saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthAttempt {
    pub mechanism: String,
    pub user: String,
    pub accepted: bool,
    /// Whether the connection was encrypted at the time.
    pub over_tls: bool,
}

#[derive(Default)]
struct Recorded {
    messages: Vec<Vec<u8>>,
    auth: Vec<AuthAttempt>,
    /// TLS handshakes that failed (e.g. the client did not trust the certificate).
    handshake_failures: usize,
    /// Sessions that ended with QUIT without a message.
    quits: usize,
}

/// The running relay; it serves until the test process ends.
pub struct TlsRelay {
    pub addr: SocketAddr,
    pub options: RelayOptions,
    recorded: Arc<Mutex<Recorded>>,
}

impl TlsRelay {
    /// Listen on a free loopback port with a certificate from `ca`.
    pub async fn start(ca: &TestCa, options: RelayOptions) -> Self {
        // Not the process-wide default provider: the test binary links more than one.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (chain, key) = ca.server_certificate(&options.names);
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let state = Arc::new(Shared {
            options: options.clone(),
            recorded: recorded.clone(),
            acceptor,
        });
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let _ = connection(tcp, &state).await;
                });
            }
        });
        Self {
            addr,
            options,
            recorded,
        }
    }

    /// `SMTP_URL` for this relay with `password`, in the form the mode needs:
    /// `smtp://…?tls=required` or `smtps://…`; `tls` overrides the query (e.g.
    /// `opportunistic`). The host is `localhost`, the name in the certificate.
    pub fn url_with(&self, password: &str, tls: Option<&str>) -> String {
        let port = self.addr.port();
        let user = &self.options.user;
        match self.options.mode {
            TlsMode::Implicit => format!("smtps://{user}:{password}@localhost:{port}"),
            TlsMode::StartTls => format!(
                "smtp://{user}:{password}@localhost:{port}?tls={}",
                tls.unwrap_or("required")
            ),
        }
    }

    /// `SMTP_URL` with the right password.
    pub fn url(&self) -> String {
        self.url_with(&self.options.password, None)
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.recorded
            .lock()
            .map(|r| r.messages.clone())
            .unwrap_or_default()
    }

    pub fn auth_attempts(&self) -> Vec<AuthAttempt> {
        self.recorded
            .lock()
            .map(|r| r.auth.clone())
            .unwrap_or_default()
    }

    pub fn handshake_failures(&self) -> usize {
        self.recorded
            .lock()
            .map(|r| r.handshake_failures)
            .unwrap_or(0)
    }

    pub fn quits(&self) -> usize {
        self.recorded.lock().map(|r| r.quits).unwrap_or(0)
    }

    /// Wait until `done` holds for what was recorded, or `limit` passes; returns whether
    /// it held.
    pub async fn wait_until(&self, limit: Duration, done: impl Fn(&TlsRelay) -> bool) -> bool {
        let start = Instant::now();
        loop {
            if done(self) {
                return true;
            }
            if start.elapsed() > limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

struct Shared {
    options: RelayOptions,
    recorded: Arc<Mutex<Recorded>>,
    acceptor: TlsAcceptor,
}

impl Shared {
    fn record(&self, f: impl FnOnce(&mut Recorded)) {
        if let Ok(mut r) = self.recorded.lock() {
            f(&mut r);
        }
    }
}

type Io = std::io::Result<()>;

async fn connection(tcp: TcpStream, state: &Shared) -> Io {
    match state.options.mode {
        TlsMode::Implicit => {
            let tls = match state.acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => {
                    state.record(|r| r.handshake_failures += 1);
                    return Err(e);
                }
            };
            let mut stream = BufReader::new(tls);
            reply(&mut stream, "220 localhost ESMTP test relay (implicit TLS)").await?;
            session(&mut stream, state, true).await.map(|_| ())
        }
        TlsMode::StartTls => {
            let mut stream = BufReader::new(tcp);
            reply(&mut stream, "220 localhost ESMTP test relay").await?;
            if session(&mut stream, state, false).await? == End::StartTls {
                if !stream.buffer().is_empty() {
                    // Pipelined plaintext after STARTTLS: a classic injection; refuse.
                    return Ok(());
                }
                let tls = match state.acceptor.accept(stream.into_inner()).await {
                    Ok(tls) => tls,
                    Err(e) => {
                        state.record(|r| r.handshake_failures += 1);
                        return Err(e);
                    }
                };
                let mut stream = BufReader::new(tls);
                session(&mut stream, state, true).await?;
            }
            Ok(())
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    Closed,
    StartTls,
}

async fn reply<S: AsyncWrite + Unpin>(stream: &mut S, line: &str) -> Io {
    stream.write_all(format!("{line}\r\n").as_bytes()).await?;
    stream.flush().await
}

/// Read one line (without CRLF); `None` when the client closed the connection.
async fn line<S: AsyncBufRead + Unpin>(stream: &mut S) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = (&mut *stream)
        .take(64 * 1024)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

fn decode(b64: &str) -> Option<String> {
    B64.decode(b64.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

/// One SMTP session on an established (plain or TLS) stream.
async fn session<S>(stream: &mut S, state: &Shared, over_tls: bool) -> std::io::Result<End>
where
    S: AsyncBufRead + AsyncWrite + Unpin,
{
    let options = &state.options;
    let mut greeted = false;
    let mut authenticated = false;
    let mut in_mail = false;
    let mut recipients = 0;
    let mut sent_one = false;
    while let Some(command) = line(stream).await? {
        let upper = command.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("").to_owned();
        match verb.as_str() {
            "EHLO" | "HELO" => {
                greeted = true;
                let mut lines = vec!["250-localhost".to_owned()];
                if !over_tls && options.mode == TlsMode::StartTls {
                    lines.push("250-STARTTLS".to_owned());
                }
                if over_tls {
                    lines.push(format!("250-AUTH {}", options.mechanisms.join(" ")));
                }
                lines.push("250 8BITMIME".to_owned());
                reply(stream, &lines.join("\r\n")).await?;
            }
            "STARTTLS" if !over_tls && options.mode == TlsMode::StartTls => {
                reply(stream, "220 2.0.0 Ready to start TLS").await?;
                return Ok(End::StartTls);
            }
            "AUTH" if !over_tls => {
                reply(
                    stream,
                    "538 5.7.11 Encryption required for requested authentication mechanism",
                )
                .await?;
            }
            "AUTH" if !greeted => reply(stream, "503 5.5.1 EHLO first").await?,
            "AUTH" => {
                let mut words = command.split_whitespace().skip(1);
                let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
                let initial = words.next().map(str::to_owned);
                if !options.mechanisms.contains(&mechanism.as_str()) {
                    reply(stream, "504 5.5.4 Unrecognized authentication type").await?;
                    continue;
                }
                let credentials = match mechanism.as_str() {
                    "PLAIN" => {
                        let response = match initial {
                            Some(r) => Some(r),
                            None => {
                                reply(stream, "334 ").await?;
                                line(stream).await?
                            }
                        };
                        response.as_deref().and_then(decode).and_then(|plain| {
                            let mut parts = plain.split('\0');
                            let _authzid = parts.next()?;
                            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
                        })
                    }
                    _ => {
                        // LOGIN: user name and password in two challenges.
                        let user = match initial {
                            Some(u) => decode(&u),
                            None => {
                                reply(stream, "334 VXNlcm5hbWU6").await?;
                                line(stream).await?.as_deref().and_then(decode)
                            }
                        };
                        reply(stream, "334 UGFzc3dvcmQ6").await?;
                        let password = line(stream).await?.as_deref().and_then(decode);
                        user.zip(password)
                    }
                };
                let accepted = credentials
                    .as_ref()
                    .is_some_and(|(u, p)| *u == options.user && *p == options.password);
                let user = credentials.map(|(u, _)| u).unwrap_or_default();
                state.record(|r| {
                    r.auth.push(AuthAttempt {
                        mechanism: mechanism.clone(),
                        user,
                        accepted,
                        over_tls,
                    });
                });
                if accepted {
                    authenticated = true;
                    reply(stream, "235 2.7.0 Authentication successful").await?;
                } else {
                    reply(stream, "535 5.7.8 Authentication credentials invalid").await?;
                }
            }
            "MAIL" if !authenticated => {
                reply(stream, "530 5.7.0 Authentication required").await?;
            }
            "MAIL" => {
                in_mail = true;
                recipients = 0;
                reply(stream, "250 2.1.0 OK").await?;
            }
            "RCPT" if !in_mail => reply(stream, "503 5.5.1 MAIL first").await?,
            "RCPT" => {
                recipients += 1;
                reply(stream, "250 2.1.5 OK").await?;
            }
            "DATA" if recipients == 0 => reply(stream, "503 5.5.1 RCPT first").await?,
            "DATA" => {
                reply(stream, "354 End data with <CR><LF>.<CR><LF>").await?;
                let mut data = Vec::new();
                loop {
                    let Some(l) = line(stream).await? else {
                        return Ok(End::Closed);
                    };
                    if l == "." {
                        break;
                    }
                    let l = l.strip_prefix('.').unwrap_or(&l);
                    data.extend_from_slice(l.as_bytes());
                    data.extend_from_slice(b"\r\n");
                }
                state.record(|r| r.messages.push(data));
                sent_one = true;
                in_mail = false;
                recipients = 0;
                reply(stream, "250 2.0.0 OK: queued").await?;
            }
            "RSET" => {
                in_mail = false;
                recipients = 0;
                reply(stream, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(stream, "250 2.0.0 OK").await?,
            "QUIT" => {
                if !sent_one {
                    state.record(|r| r.quits += 1);
                }
                reply(stream, "221 2.0.0 Bye").await?;
                return Ok(End::Closed);
            }
            _ => reply(stream, "502 5.5.2 Command not recognized").await?,
        }
    }
    Ok(End::Closed)
}
