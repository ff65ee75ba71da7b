//! Server logs in tests. `TEST_LOG=1` prints them (as zero2prod does); suites that check
//! what is logged capture them with [`capture`].
//!
//! One tracing subscriber serves a whole test binary, so the first of [`init`] and
//! [`capture`] to run decides; a binary that captures calls [`capture`] in every test.

use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
};

/// Bytes written by the log subscriber, shareable between the writer and the test.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything logged so far, as text.
    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        if test_log() {
            let _ = std::io::stderr().write_all(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `TEST_LOG` asks for server logs on standard error.
pub fn test_log() -> bool {
    std::env::var("TEST_LOG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The one capture of this test binary, and whether a subscriber writes to it.
fn shared() -> &'static (Captured, OnceLock<bool>) {
    static LOGS: OnceLock<(Captured, OnceLock<bool>)> = OnceLock::new();
    LOGS.get_or_init(|| (Captured::default(), OnceLock::new()))
}

/// Install the binary's subscriber at `filter`, writing into the shared capture (and
/// to standard error with `TEST_LOG`); the first call wins.
fn install(filter: &str) -> &'static Captured {
    let (captured, installed) = shared();
    installed.get_or_init(|| {
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .is_ok()
    });
    captured
}

/// With `TEST_LOG` set, print the server's logs (filter from `RUST_LOG`, default
/// `info`); without it, stay silent. Called by every `spawn_app*`.
pub fn init() {
    if test_log() {
        install(&std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()));
    }
}

/// Capture this binary's logs at `filter` (unless `TEST_LOG` installed its own filter
/// first) and return the capture. Call it before spawning a server.
pub fn capture(filter: &str) -> &'static Captured {
    install(filter)
}
