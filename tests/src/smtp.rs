//! A real SMTP server on a TCP port, inside the test process (mailin-embedded), that
//! records what it receives and can be told to refuse mail or hang, to imitate an outage.

use std::{
    net::{SocketAddr, TcpListener},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use mailin_embedded::{Handler, Response, Server, response};

/// How the server behaves right now.
#[derive(Clone, Default)]
struct Switches {
    /// Answer 421 to MAIL: a temporary outage.
    down: Arc<AtomicBool>,
    /// Hold the end of DATA for a while, then fail: a server that hangs. Read when a
    /// transaction begins (MAIL), so a message whose client died while the server hung
    /// is never recorded later, after the switch is turned off.
    hang: Arc<AtomicBool>,
    /// When set, the reply code and text to `RCPT TO` (e.g. 550 or 451).
    refuse_rcpt: Arc<Mutex<Option<(u16, String)>>>,
    /// Every `RCPT TO` address received, as sent on the wire.
    recipients: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct Recorder {
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    switches: Switches,
    current: Vec<u8>,
    /// This transaction began while the server hung.
    hanging: bool,
}

impl Handler for Recorder {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> Response {
        self.current.clear();
        self.hanging = self.switches.hang.load(Ordering::SeqCst);
        if self.switches.down.load(Ordering::SeqCst) {
            response::NO_SERVICE
        } else {
            response::OK
        }
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if let Ok(mut r) = self.switches.recipients.lock() {
            r.push(to.to_owned());
        }
        match self
            .switches
            .refuse_rcpt
            .lock()
            .ok()
            .and_then(|r| r.clone())
        {
            Some((code, text)) => Response::custom(code, text),
            None => response::OK,
        }
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if self.hanging {
            std::thread::sleep(Duration::from_secs(5));
            return response::INTERNAL_ERROR;
        }
        if let Ok(mut messages) = self.messages.lock() {
            messages.push(std::mem::take(&mut self.current));
        }
        response::OK
    }
}

/// The running SMTP server.
pub struct SmtpSink {
    pub addr: SocketAddr,
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    switches: Switches,
}

impl SmtpSink {
    /// Listen on a free loopback port; the server thread lives as long as the test process.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP port");
        let addr = listener.local_addr().expect("address");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let switches = Switches::default();
        let handler = Recorder {
            messages: messages.clone(),
            switches: switches.clone(),
            current: Vec::new(),
            hanging: false,
        };
        let mut server = Server::new(handler);
        server
            .with_name("smtp.test")
            .with_num_threads(64)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self {
            addr,
            messages,
            switches,
        }
    }

    /// `SMTP_URL` for the server under test (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn set_down(&self, down: bool) {
        self.switches.down.store(down, Ordering::SeqCst);
    }

    pub fn set_hang(&self, hang: bool) {
        self.switches.hang.store(hang, Ordering::SeqCst);
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Wait (bounded) until at least `n` messages have arrived; returns them all.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Vec<u8>> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n || start.elapsed() > limit {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The `Message-ID` header of a raw message.
pub fn message_id(raw: &[u8]) -> Option<String> {
    mail_parser::MessageParser::default()
        .parse(raw)?
        .message_id()
        .map(str::to_owned)
}

impl SmtpSink {
    /// Answer every `RCPT TO` with `code` and `text` (550 permanent, 451 transient …);
    /// `None` accepts again.
    pub fn refuse_recipients(&self, reply: Option<(u16, &str)>) {
        if let Ok(mut r) = self.switches.refuse_rcpt.lock() {
            *r = reply.map(|(c, t)| (c, t.to_owned()));
        }
    }

    /// The `RCPT TO` addresses received so far, as they were sent.
    pub fn recipients(&self) -> Vec<String> {
        self.switches
            .recipients
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

/// A TCP proxy in front of an SMTP server that can lose the reply to a whole message:
/// while [`LossyRelay::set_lose_replies`] is on, it forwards the message and its final
/// `.` to the server (which records it), then closes both connections instead of
/// passing on the server's answer. The sender cannot tell whether the message arrived,
/// so it tries again: the outage that causes duplicates.
pub struct LossyRelay {
    pub addr: SocketAddr,
    lose: Arc<AtomicBool>,
    lost: Arc<std::sync::atomic::AtomicUsize>,
}

impl LossyRelay {
    /// Listen on a free loopback port and forward to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind relay port");
        let addr = listener.local_addr().expect("address");
        let lose = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (lose_c, lost_c) = (lose.clone(), lost.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (lose, lost) = (lose_c.clone(), lost_c.clone());
                tokio::spawn(async move {
                    if let Ok(server) = tokio::net::TcpStream::connect(upstream).await {
                        relay(client, server, lose, lost).await;
                    }
                });
            }
        });
        Self { addr, lose, lost }
    }

    /// `SMTP_URL` for the server under test.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn set_lose_replies(&self, lose: bool) {
        self.lose.store(lose, Ordering::SeqCst);
    }

    /// How many replies to a complete message were lost so far.
    pub fn lost(&self) -> usize {
        self.lost.load(Ordering::SeqCst)
    }
}

/// Forward both ways; once the client has sent the end of a message (`CRLF.CRLF`) and
/// losing is on, swallow the server's reply and close both sides.
async fn relay(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    lose: Arc<AtomicBool>,
    lost: Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    // Set by the client direction when a message ended while losing was on.
    let (ended_tx, mut ended_rx) = tokio::sync::watch::channel(false);
    let upstream = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let n = match client_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            tail.extend_from_slice(&buf[..n]);
            let ended = tail.windows(5).any(|w| w == b"\r\n.\r\n");
            if tail.len() > 4 {
                tail.drain(..tail.len() - 4);
            }
            // Flag the end before passing it on, so the reply cannot overtake the flag.
            let losing = ended && lose.load(Ordering::SeqCst);
            if losing {
                let _ = ended_tx.send(true);
            }
            if server_tx.write_all(&buf[..n]).await.is_err() || losing {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 16 * 1024];
    let mut client_done = false;
    loop {
        tokio::select! {
            read = server_rx.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if *ended_rx.borrow() {
                    // The server answered the message: the answer is lost.
                    lost.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                if client_tx.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            changed = ended_rx.changed(), if !client_done => {
                // Err: the client direction ended; keep passing replies until the server
                // is done.
                client_done = changed.is_err();
            }
        }
    }
    upstream.abort();
    // Dropping the halves closes both connections without a reply.
}
