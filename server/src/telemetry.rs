//! Logging via `tracing`: human-readable by default, JSON when configured, filtered by
//! `RUST_LOG`. Nothing here logs request bodies, so residents' data never reaches logs.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{Config, LogFormat};

/// Install the global subscriber. Safe to call more than once (later calls are ignored),
/// which lets tests build several applications in one process.
pub fn init(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.log_format {
        LogFormat::Text => registry.with(fmt::layer()).try_init(),
        LogFormat::Json => registry.with(fmt::layer().json()).try_init(),
    };
}
