//! The accept loop: every connection is served by hyper with a bound on the time to
//! receive a request head (so a client trickling header bytes is cut off), and each peer
//! IP may hold only so many connections at once (further ones are closed as soon as they
//! are accepted). Peers listed in `TRUSTED_PROXIES` are not capped: every client behind
//! them shares their address. On shutdown the listener closes and open connections
//! finish their requests (the caller bounds how long that may take).

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::ConnectInfo};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use ipnet::IpNet;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Connection-level limits.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Longest time from accepting a connection (or finishing a request on it) to having
    /// received the next request's complete head.
    pub header_read_timeout: Duration,
    /// Most connections one peer IP may hold open; 0 for no limit.
    pub max_per_ip: usize,
    /// Peers exempt from the per-IP limit (reverse proxies).
    pub trusted_proxies: Arc<Vec<IpNet>>,
}

/// Open connections per peer IP.
#[derive(Default)]
struct Counts(Mutex<HashMap<IpAddr, usize>>);

/// One counted connection; uncounted when dropped.
struct Slot {
    counts: Arc<Counts>,
    ip: IpAddr,
}

impl Counts {
    fn acquire(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Slot {
            counts: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .counts
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// The HTTP/2 connection preface; anything else is HTTP/1.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether the client sent enough to tell HTTP/1 from HTTP/2 within `limit`.
async fn first_bytes_within(stream: &tokio::net::TcpStream, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; H2_PREFACE.len()];
    let mut seen = 0;
    loop {
        let peeked = tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await;
        match peeked {
            Err(_) | Ok(Err(_) | Ok(0)) => return false,
            Ok(Ok(n)) => {
                if n == H2_PREFACE.len() || buf[..n] != H2_PREFACE[..n] {
                    return true;
                }
                if n == seen {
                    // A prefix of the preface and nothing new yet: wait for more.
                    if tokio::time::timeout_at(
                        deadline,
                        tokio::time::sleep(Duration::from_millis(20)),
                    )
                    .await
                    .is_err()
                    {
                        return false;
                    }
                }
                seen = n;
            }
        }
    }
}

/// Serve `router` on `listener` until `shutdown` completes, then stop accepting and wait
/// for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_read_timeout)
        .keep_alive_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    let counts = Arc::new(Counts::default());
    let graceful = GracefulShutdown::new();
    let mut refused_logged = false;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ip = peer.ip().to_canonical();
        let slot = if limits.max_per_ip == 0
            || limits.trusted_proxies.iter().any(|n| n.contains(&ip))
        {
            None
        } else {
            match counts.acquire(ip, limits.max_per_ip) {
                Some(slot) => Some(slot),
                None => {
                    if !refused_logged {
                        // Once per process: the address is personal data, so it is not logged.
                        tracing::warn!(
                            limit = limits.max_per_ip,
                            "a peer reached the open-connection limit; its further connections are closed"
                        );
                        refused_logged = true;
                    }
                    drop(stream);
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            },
        );
        let watcher = graceful.watcher();
        let builder = builder.clone();
        let head_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            // hyper's head timeout starts once the protocol is known; bound the wait for
            // the first bytes too, or a silent client holds the connection for ever.
            if !first_bytes_within(&stream, head_timeout).await {
                return;
            }
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service),
            );
            // Errors here are the client's (reset, malformed or too slow request head).
            let _ = watcher.watch(connection.into_owned()).await;
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
