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
    /// Serve the resident site (`/`, `/kommun/…`, the tip form and `/status`) from the
    /// same listener. On by default; `WEB_UI=false` leaves only the API.
    pub web_ui: bool,
    /// When set, `POST /open311/v2/requests.json` requires this `api_key` (Open311
    /// clients are then registered by handing them the key). Unset: open to all, with
    /// the same limits as `submitTip`.
    pub open311_api_key: Option<String>,
    /// Seed data file imported on first start into an empty database. When unset, the
    /// copy built into the binary is used.
    pub seed_file: Option<PathBuf>,
    /// Log line format: `text` (human) or `json`.
    pub log_format: LogFormat,
    /// Upper bound on pooled database connections.
    pub database_max_connections: u32,
    /// Apply pending migrations at start (the embedded default). Turn it off when the
    /// service's database role may not change the schema: run `server migrate` with the
    /// owner role instead; until then `/readyz` answers 503.
    pub migrate_on_start: bool,
    /// SMTP relay in lettre's URL format (`smtp://host:2525`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://user:pass@host:465`). Unset: emails are written as `.eml` files to `mail_dir`.
    pub smtp_url: Option<Secret>,
    /// Sender of every email, e.g. `Medborgarlöften <noreply@kommun.se>`.
    pub mail_from: String,
    /// Folder for `.eml` files when no SMTP relay is configured.
    pub mail_dir: PathBuf,
    pub smtp_timeout_secs: u64,
    pub smtp_pool_size: u32,
    /// PEM bundle of extra certificate authorities the SMTP client trusts (besides the
    /// built-in web roots), e.g. the municipality's own CA for an internal relay.
    pub smtp_ca_file: Option<PathBuf>,
    /// Also trust the operating system's certificate store for the SMTP relay.
    pub smtp_system_roots: bool,
    /// Absolute http(s) URL the service is reached at, the base for links in emails and
    /// the web front door (`https://medborgarloften.kommun.se`). Optional.
    pub public_base_url: Option<String>,
    /// Comma-separated CIDRs of reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: String,
    /// Key for hashing client IPs. Unset: generated once and kept in the database.
    pub ip_hash_secret: Option<Secret>,
    pub tip_limit_per_ip: u32,
    pub tip_limit_per_ip_window_secs: u64,
    pub tip_limit_per_email: u32,
    pub tip_limit_per_email_window_secs: u64,
    pub tip_limit_global: u32,
    /// Photos per client in `TIP_LIMIT_PER_IP_WINDOW_SECS`, shared by replicas: a tip's
    /// photos count here besides the tip itself.
    pub photo_limit_per_ip: u32,
    /// A staff web session ends after this long without a request …
    pub staff_session_idle_secs: u64,
    /// … and at the latest this long after sign-in.
    pub staff_session_absolute_secs: u64,
    /// Sign-in link requests per address per hour (per process).
    pub staff_signin_limit_per_email: u32,
    /// Sign-in link requests per client (IPv4 address or IPv6 prefix) per hour.
    pub staff_signin_limit_per_ip: u32,
    pub tip_limit_global_window_secs: u64,
    /// Run the delivery worker in this process.
    pub delivery_worker: bool,
    pub delivery_max_attempts: i32,
    pub delivery_backoff_base_ms: u64,
    pub delivery_backoff_max_secs: u64,
    pub delivery_poll_interval_ms: u64,
    pub delivery_lease_secs: u64,
    pub delivery_batch_size: u64,
    /// Personal data of a tip is erased this many days after it was closed …
    pub retention_days_after_handled: u64,
    /// … and at the latest this many days after it was received.
    pub retention_days_max: u64,
    /// How often the erasure job runs.
    pub retention_interval_secs: u64,
    // --- Follow-up of tips (issue 15): reminders and escalation.
    /// A tip still `NEW` this many Swedish working days after its due date (when its
    /// recipient was reminded) is escalated to the municipality's default recipient.
    pub escalation_after_working_days: u32,
    /// Where escalations go when the recipient already is the municipality's default
    /// (e.g. `medborgarloften@kommun.se`). Unset: such tips are flagged for staff instead.
    pub admin_escalation_email: Option<String>,
    /// How often each replica's follow-up job looks for tips to remind or escalate (the
    /// database makes sure each step happens once, whichever replica finds it).
    pub followup_interval_ms: u64,
    /// Answer introspection queries (`__schema`, `__type`). When off, "Did you mean …"
    /// suggestions are off too, so field names cannot be probed.
    pub graphql_introspection: bool,
    /// Deepest selection nesting, fragments expanded (introspection has its own limit).
    pub graphql_max_depth: usize,
    /// Largest cost: each field costs 1, a list costs `first` (or its usual size) times
    /// its items.
    pub graphql_max_complexity: usize,
    /// Most fields a document selects with its fragments expanded, before any list is
    /// weighted (introspection lists are): stops fragment bombs before validation.
    pub graphql_max_fields: usize,
    pub graphql_max_aliases: usize,
    pub graphql_max_directives: usize,
    /// Largest document, in lexical tokens.
    pub graphql_max_tokens: usize,
    /// Most operations in one batched (JSON array) request.
    pub graphql_max_batch: usize,
    /// Longest time one GraphQL request may run.
    pub graphql_timeout_ms: u64,
    /// Largest request body, in bytes.
    pub http_max_body_bytes: usize,
    /// Longest time any HTTP request may take.
    pub http_timeout_secs: u64,
    /// Comma-separated origins allowed by CORS (`https://app.kommun.se`); `*` for any.
    /// Empty (the default): no cross-origin access.
    pub cors_allowed_origins: String,
    /// Optional limit on GraphQL requests per client IP and window; 0 turns it off.
    pub request_limit_per_ip: u32,
    pub request_limit_per_ip_window_secs: u64,
    /// How long a cached public response may be reused by browsers and CDNs (seconds).
    pub cache_max_age_secs: u64,
    /// How often each replica checks the database for catalogue changes made elsewhere.
    pub catalog_poll_interval_ms: u64,

    // --- Connections, request ids and metrics (security probe items 7, 8, 12) ---
    /// Longest time a client may take to send a request's head (request line and
    /// headers), from connecting or from the end of its previous request; then the
    /// connection is closed.
    pub http_header_timeout_secs: u64,
    /// Most connections one peer IP may hold open at once; further ones are closed on
    /// accept. Peers in `trusted_proxies` are exempt. 0 turns the limit off.
    pub http_max_connections_per_ip: usize,
    /// Requests with photos (multipart bodies) this replica reads at once; each may hold
    /// up to 24 MB until its tip is stored. More are answered 503 with `Retry-After`.
    pub uploads_at_once: usize,
    /// Of those, how many one client (an IPv4 address or IPv6 prefix) may hold at once.
    pub uploads_per_client: usize,
    /// A separate listener for `GET /metrics` (e.g. `127.0.0.1:9090`). When set, the
    /// public listener does not serve `/metrics` at all.
    pub metrics_addr: Option<SocketAddr>,
    /// When set, `/metrics` requires `Authorization: Bearer <token>`. When neither this
    /// nor `metrics_addr` is set, the public listener serves `/metrics` only if it is
    /// bound to a loopback address (the embedded default).
    pub metrics_token: Option<Secret>,
    /// Comma-separated operation names counted under their own label in the metrics
    /// (besides the server's own); every other name is counted as `other`.
    pub metrics_operations: String,
    // GraphQL introspection and response limits (issue 10).
    /// Deepest nesting below and including `__schema` / `__type`, fragments expanded. The
    /// standard introspection query of GraphQL tooling needs about 14.
    pub graphql_max_introspection_depth: usize,
    /// Largest serialised answer to one GraphQL operation, in bytes; a larger one is
    /// refused with `RESPONSE_TOO_LARGE` (and its execution stopped once it is known).
    pub graphql_max_response_bytes: usize,
    // --- Quotas (issue 10, item 6 and 13): invalid submissions, tipStatus, IPv6 keying.
    /// Invalid `submitTip` attempts per client and window; past it the client hears
    /// `RATE_LIMITED` instead of the validation error. Valid tips never spend it.
    pub tip_invalid_limit_per_ip: u32,
    pub tip_invalid_limit_per_ip_window_secs: u64,
    /// `tipStatus` lookups per client and window; every alias and batch entry counts.
    pub tip_status_limit_per_ip: u32,
    pub tip_status_limit_per_ip_window_secs: u64,
    /// IPv6 clients are rate-limited by this prefix (bits; 64 = one subscriber's /64,
    /// 128 = the whole address). IPv4 clients always by the whole address.
    pub rate_limit_ipv6_prefix: u8,
}

/// A configuration value that must never be printed (passwords, keys).
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
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
            web_ui: true,
            open311_api_key: None,
            seed_file: None,
            log_format: LogFormat::Text,
            database_max_connections: 10,
            smtp_url: None,
            mail_from: "Medborgarlöften <noreply@medborgarloften.example>".to_owned(),
            mail_dir: PathBuf::from("data/mail"),
            smtp_timeout_secs: 20,
            smtp_pool_size: 4,
            smtp_ca_file: None,
            smtp_system_roots: false,
            public_base_url: None,
            trusted_proxies: String::new(),
            ip_hash_secret: None,
            tip_limit_per_ip: 5,
            tip_limit_per_ip_window_secs: 600,
            tip_limit_per_email: 3,
            photo_limit_per_ip: 6,
            staff_session_idle_secs: 60 * 60,
            staff_session_absolute_secs: 12 * 60 * 60,
            staff_signin_limit_per_email: 5,
            staff_signin_limit_per_ip: 20,
            tip_limit_per_email_window_secs: 3600,
            tip_limit_global: 120,
            tip_limit_global_window_secs: 60,
            delivery_worker: true,
            migrate_on_start: true,
            delivery_max_attempts: 10,
            delivery_backoff_base_ms: 5000,
            delivery_backoff_max_secs: 3600,
            delivery_poll_interval_ms: 2000,
            delivery_lease_secs: 120,
            delivery_batch_size: 20,
            retention_days_after_handled: 180,
            retention_days_max: 365,
            retention_interval_secs: 3600,
            escalation_after_working_days: 2,
            admin_escalation_email: None,
            followup_interval_ms: 300_000,
            graphql_introspection: true,
            graphql_max_depth: 10,
            graphql_max_complexity: 60_000,
            graphql_max_fields: 10_000,
            graphql_max_aliases: 15,
            graphql_max_directives: 10,
            graphql_max_tokens: 2000,
            graphql_max_batch: 10,
            graphql_timeout_ms: 10_000,
            http_max_body_bytes: 64 * 1024,
            http_timeout_secs: 30,
            cors_allowed_origins: String::new(),
            request_limit_per_ip: 0,
            request_limit_per_ip_window_secs: 60,
            cache_max_age_secs: 60,
            catalog_poll_interval_ms: 500,
            // Connections, request ids and metrics.
            http_header_timeout_secs: 10,
            http_max_connections_per_ip: 64,
            uploads_at_once: 8,
            uploads_per_client: 2,
            metrics_addr: None,
            metrics_token: None,
            metrics_operations: String::new(),
            graphql_max_introspection_depth: 16,
            graphql_max_response_bytes: 4 * 1024 * 1024,
            tip_invalid_limit_per_ip: 30,
            tip_invalid_limit_per_ip_window_secs: 600,
            tip_status_limit_per_ip: 30,
            tip_status_limit_per_ip_window_secs: 300,
            rate_limit_ipv6_prefix: 64,
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
        let names = Self::env_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        figment
            .merge(Env::raw().only(&names))
            .extract()
            .map_err(Box::new)
    }

    /// The environment variables the configuration reads: every field's name in upper
    /// case, taken from the type itself so that no setting can be forgotten; any other
    /// variable (`PATH`, `HOME`, …) is never read.
    pub fn env_names() -> Vec<String> {
        match serde_json::to_value(Self::default()) {
            Ok(serde_json::Value::Object(fields)) => {
                fields.keys().map(|k| k.to_uppercase()).collect()
            }
            _ => Vec::new(),
        }
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
    fn every_field_is_read_from_the_environment() {
        let names = Config::env_names();
        for name in [
            "DATABASE_URL",
            "MIGRATE_ON_START",
            "SMTP_CA_FILE",
            "RATE_LIMIT_IPV6_PREFIX",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} is not read");
        }
        let fields = match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(fields)) => fields.len(),
            other => panic!("not an object: {other:?}"),
        };
        assert_eq!(names.len(), fields);
        assert!(!names.iter().any(|n| n == "PATH" || n == "HOME"));
    }

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
    fn secrets_do_not_print() {
        let config = Config {
            smtp_url: Some(Secret::new("smtp://u:hunter2@h")),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn defaults_are_embedded() {
        let config = Config::default();
        assert!(config.database_url.starts_with("sqlite://data/"));
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:8080");
    }
}
