//! Typed configuration: built-in defaults, then an optional TOML file, then environment
//! variables (highest precedence). Defaults give the embedded setup: a SQLite file under
//! `./data/` and GraphiQL on, so the first `cargo run` needs nothing else.

use std::{net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// Everything the server reads at start-up. Field names match the environment variables
/// (`DATABASE_URL` → `database_url`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// `sqlite://path?mode=rwc` (default) or `postgres://user@host/db`.
    pub database_url: String,
    /// Address to listen on; port 0 picks a free port.
    pub listen_addr: SocketAddr,
    /// Serve the GraphiQL IDE on `GET /graphql` to browsers.
    pub graphiql: bool,
    /// Seed data file imported on first start into an empty database. When unset, the
    /// copy built into the binary is used.
    pub seed_file: Option<PathBuf>,
    /// Log line format: `text` (human) or `json`.
    pub log_format: LogFormat,
    /// Upper bound on pooled database connections.
    pub database_max_connections: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/medborgarloften.db?mode=rwc".to_owned(),
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            graphiql: true,
            seed_file: None,
            log_format: LogFormat::Text,
            database_max_connections: 10,
        }
    }
}

impl Config {
    /// Defaults, then `file` (or `$CONFIG_FILE`) if given, then the environment.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let file = file
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("CONFIG_FILE").map(PathBuf::from));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(Env::raw().only(&[
                "DATABASE_URL",
                "LISTEN_ADDR",
                "GRAPHIQL",
                "SEED_FILE",
                "LOG_FORMAT",
                "DATABASE_MAX_CONNECTIONS",
            ]))
            .extract()
            .map_err(Box::new)
    }

    /// The database URL with any password replaced, safe to print.
    pub fn database_url_redacted(&self) -> String {
        redact_url_password(&self.database_url)
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url_password("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact_url_password("sqlite://data/a.db"),
            "sqlite://data/a.db"
        );
        assert_eq!(
            redact_url_password("postgres://app@db/x"),
            "postgres://app@db/x"
        );
    }

    #[test]
    fn defaults_are_embedded() {
        let config = Config::default();
        assert!(config.database_url.starts_with("sqlite://data/"));
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:8080");
    }
}
