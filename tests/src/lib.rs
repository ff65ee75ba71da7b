//! Test harness: spawn the real server on port 0 against a fresh database and talk to it
//! over HTTP like any client would.
//!
//! Every test gets its own database: a temporary SQLite file, or, when
//! `TEST_DATABASE_URL` points at a PostgreSQL server, a freshly created database there, so
//! tests run in parallel without seeing each other's data.

pub mod browser;
pub mod logs;
pub mod photos;
pub mod smtp;
pub mod tips;
pub mod tls_smtp;

use std::{future::Future, net::SocketAddr, time::Duration};

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use server::{app::Application, config::Config, db::StatementCounter};

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub db: DatabaseConnection,
    pub statements: StatementCounter,
    pub database_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Which database the suite runs against.
pub fn backend() -> &'static str {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

/// The PostgreSQL server tests use when `TEST_DATABASE_URL` is unset but a test needs
/// PostgreSQL anyway (the process-level crash test).
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, empty database URL for one test.
pub async fn fresh_database_url(dir: &std::path::Path) -> anyhow::Result<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => fresh_postgres_database(&admin_url).await,
        _ => Ok(format!(
            "sqlite://{}?mode=rwc",
            dir.join("test.db").display()
        )),
    }
}

/// Create an empty database on the PostgreSQL server of `admin_url` and return its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> anyhow::Result<String> {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {admin_url}"))?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    admin.close().await?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

/// A fresh PostgreSQL database: on `TEST_DATABASE_URL`'s server, else on
/// [`DEFAULT_POSTGRES_URL`]. Fails (never skips) when PostgreSQL is unreachable.
pub async fn fresh_postgres_url() -> anyhow::Result<String> {
    fresh_postgres_database(&postgres_admin_url()).await
}

/// The superuser URL of the PostgreSQL server tests that always need PostgreSQL use:
/// `TEST_DATABASE_URL`, else `TEST_POSTGRES_URL` (set by `scripts/test`), else the local
/// default.
pub fn postgres_admin_url() -> String {
    ["TEST_DATABASE_URL", "TEST_POSTGRES_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
}

/// How long [`eventually`] waits: generous, because a 2-core machine running several
/// suites at once is slow, and a condition that holds is seen at once anyway.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Poll `check` every 50 ms until it returns `Some`, and return that; panic naming
/// `what` when [`PATIENCE`] runs out. Tests wait for conditions, never for time.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {PATIENCE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A configuration for tests: port 0, a fresh database, the built-in seed.
pub async fn test_config(dir: &std::path::Path) -> anyhow::Result<Config> {
    Ok(Config {
        database_url: fresh_database_url(dir).await?,
        listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        mail_dir: dir.join("mail"),
        // Functional tests read whole catalogues in one query; the limits suite
        // (`tests/hostile.rs`) checks the shipped defaults.
        graphql_max_complexity: usize::MAX / 2,
        graphql_max_fields: usize::MAX / 2,
        ..Config::default()
    })
}

/// Start the server with the default test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Start the server after letting the test adjust the configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with_metrics(adjust).await.0
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Wait until this server has run no SQL statement for half a second (bounded by
    /// [`PATIENCE`]): the retention sweep runs once at start-up, and its statements must
    /// not be counted as those of what a test measures. Turn off the other background
    /// work that runs statements (delivery worker, catalogue poll) in such tests.
    pub async fn settled(&self) {
        let quiet = Duration::from_millis(500);
        let deadline = std::time::Instant::now() + PATIENCE;
        let mut last = self.statements.get();
        loop {
            tokio::time::sleep(quiet).await;
            let now = self.statements.get();
            if now == last {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server kept running statements for {PATIENCE:?}"
            );
            last = now;
        }
    }

    /// A GET of `path` on this server, to add headers to and [`Sent::sent`].
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path))
    }

    /// A POST to `path` on this server, to add a body to and [`Sent::sent`].
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url(path))
    }

    /// POST a GraphQL request and return the JSON body (any HTTP status).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        post_graphql(self.http.post(self.url("/graphql")), query, variables).await
    }

    /// POST a GraphQL request with a staff bearer token; returns the JSON body.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let request = self.http.post(self.url("/graphql")).bearer_auth(token);
        post_graphql(request, query, variables).await
    }

    /// Create a staff token directly in the database and return its secret.
    pub async fn staff_token(
        &self,
        role: entity::StaffRole,
        municipalities: &[&str],
        contact: Option<&str>,
    ) -> String {
        let municipalities: Vec<String> = municipalities.iter().map(|m| (*m).to_owned()).collect();
        server::service::staff::create_token(&self.db, "Test", role, &municipalities, contact)
            .await
            .map_err(|e| format!("{e:?}"))
            .expect("token")
            .secret
    }

    /// A signed-in inbox session for a new staff account (invited at the command line,
    /// signed in by its one-time link), as the `Cookie` header value to send.
    pub async fn staff_session(
        &self,
        email: &str,
        role: entity::StaffRole,
        municipalities: &[&str],
    ) -> String {
        use server::service::staff_session;
        let municipalities: Vec<String> = municipalities.iter().map(|m| (*m).to_owned()).collect();
        staff_session::invite(&self.db, None, email, role, &municipalities, None)
            .await
            .map_err(|e| format!("{e:?}"))
            .expect("invite");
        let now = chrono::Utc::now();
        let (link, _) = staff_session::request_link(&self.db, email, now)
            .await
            .expect("link")
            .expect("an account");
        let session = staff_session::redeem_link(&self.db, &link, now)
            .await
            .expect("redeem")
            .expect("a session");
        format!("staff_session={}", session.secret)
    }

    /// A staff request that must succeed; returns `data`.
    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.graphql_as(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Like [`TestApp::query`], but for a change made outside this server (another
    /// replica, the seed command): retries until `done` holds or [`PATIENCE`] has
    /// passed, then returns the last `data` (the caller asserts on it).
    pub async fn query_eventually(
        &self,
        query: &str,
        variables: Value,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let data = self.query(query, variables.clone()).await;
            if done(&data) || std::time::Instant::now() > deadline {
                return data;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// POST a query that must succeed; returns `data`.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }
}

/// POST a GraphQL request to a server at `addr` that is not a [`TestApp`] (a server on
/// a runtime or in a process of its own); returns the JSON body.
pub async fn graphql_at(addr: SocketAddr, query: &str, variables: Value) -> Value {
    let request = reqwest::Client::new().post(format!("http://{addr}/graphql"));
    post_graphql(request, query, variables).await
}

/// Send a GraphQL document on `request` and return the JSON body (any HTTP status).
async fn post_graphql(request: reqwest::RequestBuilder, query: &str, variables: Value) -> Value {
    request
        .json(&json!({ "query": query, "variables": variables }))
        .json_body()
        .await
}

/// Send a request and read its JSON body (any HTTP status), failing the test when either
/// cannot be done.
pub trait JsonBody {
    fn json_body(self) -> impl Future<Output = Value> + Send;
}

impl JsonBody for reqwest::RequestBuilder {
    async fn json_body(self) -> Value {
        self.send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON body")
    }
}

/// Send a request and return the response (any HTTP status), failing the test when it
/// cannot be sent.
pub trait Sent {
    fn sent(self) -> impl Future<Output = reqwest::Response> + Send;
}

impl Sent for reqwest::RequestBuilder {
    async fn sent(self) -> reqwest::Response {
        self.send().await.expect("request sent")
    }
}

/// The `extensions.code` values of a response's errors.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Like [`spawn_app_with`], and also returns the metrics listener's address (set
/// `metrics_addr` to `127.0.0.1:0` in `adjust` to get one).
pub async fn spawn_app_with_metrics(
    adjust: impl FnOnce(&mut Config),
) -> (TestApp, Option<SocketAddr>) {
    spawn(server::clock::Clock::system(), None, adjust).await
}

/// Start the server with a clock the test sets (see [`server::clock::Clock::fixed`]).
pub async fn spawn_app_with_clock(
    clock: server::clock::Clock,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    spawn(clock, None, adjust).await.0
}

/// Start another replica on `other`'s database, with `clock` (give it the same one).
pub async fn spawn_replica(
    other: &TestApp,
    clock: server::clock::Clock,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    spawn(clock, Some(other.database_url.clone()), adjust)
        .await
        .0
}

async fn spawn(
    clock: server::clock::Clock,
    database_url: Option<String>,
    adjust: impl FnOnce(&mut Config),
) -> (TestApp, Option<SocketAddr>) {
    logs::init();
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut config = test_config(dir.path()).await.expect("test configuration");
    if let Some(url) = database_url {
        config.database_url = url;
    }
    adjust(&mut config);
    let app = Application::build_with_clock(&config, clock)
        .await
        .expect("application builds");
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let db = app.db().clone();
    let statements = app.statement_counter();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let app = TestApp {
        addr,
        http: reqwest::Client::new(),
        db,
        statements,
        database_url: config.database_url,
        shutdown: Some(tx),
        _dir: dir,
    };
    (app, metrics_addr)
}
