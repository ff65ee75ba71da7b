//! A local SMTP sink for the delivery-throughput benchmark: a real SMTP server
//! (mailin-embedded) that accepts every message, keeps only a count, and prints the count
//! once a second while it changes.
//!
//! ```text
//! cargo run --release -p server --example smtp_sink -- --listen 127.0.0.1:2525
//! ```

use std::{
    net::{SocketAddr, TcpListener},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use clap::Parser;
use mailin_embedded::{Handler, Response, Server, response};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:2525")]
    listen: SocketAddr,
    /// Threads serving SMTP sessions (one per open connection).
    #[arg(long, default_value_t = 32)]
    threads: u32,
}

#[derive(Clone)]
struct Counter {
    messages: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
}

impl Handler for Counter {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> Response {
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.messages.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(args.listen)?;
    let counter = Counter {
        messages: Arc::new(AtomicU64::new(0)),
        bytes: Arc::new(AtomicU64::new(0)),
    };
    let (messages, bytes) = (counter.messages.clone(), counter.bytes.clone());
    let mut server = Server::new(counter);
    server
        .with_name("sink.bench")
        .with_num_threads(args.threads.max(1))
        .with_tcp_listener(listener);
    println!("SMTP sink listening on {}", args.listen);
    std::thread::spawn(move || {
        let mut last = 0;
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let now = messages.load(Ordering::Relaxed);
            if now != last {
                println!(
                    "received {now} messages, {} bytes",
                    bytes.load(Ordering::Relaxed)
                );
                last = now;
            }
        }
    });
    server
        .serve()
        .map_err(|e| anyhow::anyhow!("SMTP sink stopped: {e}"))?;
    Ok(())
}
