//! Application assembly: connect and migrate the database, seed an empty one, build the
//! schema and router, bind the listener, and run until a shutdown signal.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use tokio::sync::{Notify, watch};

use crate::{
    cache::ResponseCache,
    clock::Clock,
    config::Config,
    db::{self, StatementCounter},
    delivery::{DeliverySettings, Worker},
    email::Mailer,
    graphql, http,
    ratelimit::{Limit, RequestLimiter, TipLimiter, TipLimits},
    seed,
    service::{
        catalog_version::CatalogVersion,
        followup::{self, FollowupSettings},
        privacy::{self, Retention},
        routing::RoutingCache,
        snapshot::SnapshotStore,
        tips,
    },
};

/// A built, bound, not yet serving application. Tests build one on port 0 and read
/// [`Application::local_addr`].
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// The separate `/metrics` listener, when `METRICS_ADDR` is set.
    metrics: Option<(TcpListener, axum::Router)>,
    connections: http::serve::ConnectionLimits,
    db: DatabaseConnection,
    statements: StatementCounter,
    worker: Option<Worker>,
    limiter: Arc<TipLimiter>,
    retention: (Retention, Duration),
    catalog: Arc<CatalogVersion>,
    snapshots: Arc<SnapshotStore>,
    catalog_poll: Duration,
    request_limiter: Option<Arc<RequestLimiter>>,
    followup: (FollowupSettings, Duration),
    clock: Clock,
    /// Wakes the delivery worker when the follow-up job enqueued something.
    wake: Arc<Notify>,
    signin_limiter: Arc<crate::ratelimit::SignInLimiter>,
}

/// Distinct cached responses per replica, and their total size; a full cache starts over.
const CACHE_ENTRIES: usize = 4096;
const CACHE_BYTES: usize = 8 * 1024 * 1024;

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Clock::system()).await
    }

    /// [`Application::build`] with a clock of the caller's (tests set the time).
    pub async fn build_with_clock(config: &Config, clock: Clock) -> anyhow::Result<Self> {
        if let Some(reason) = crate::check::missing_public_base_url(config) {
            anyhow::bail!(reason);
        }
        let (db, statements) =
            db::connect(&config.database_url, config.database_max_connections).await?;
        let pending = if config.migrate_on_start {
            db::migrate(&db).await?;
            false
        } else {
            db::require_schema(&db).await?
        };
        // An old schema cannot take today's seed rows; the first start after
        // `server migrate` seeds an empty database instead.
        if pending {
            tracing::warn!("not seeding while migrations are pending");
        } else {
            seed_if_empty(&db, config).await?;
        }
        let trusted_proxies = Arc::new(
            http::client_ip::parse_trusted(&config.trusted_proxies)
                .map_err(|e| anyhow::anyhow!("TRUSTED_PROXIES: {e}"))?,
        );
        crate::metrics::allow_operations(
            &crate::metrics::parse_operations(&config.metrics_operations)
                .map_err(|e| anyhow::anyhow!("METRICS_OPERATIONS: {e}"))?,
        );
        let metrics_token = config
            .metrics_token
            .clone()
            .filter(|token| !token.expose().is_empty());
        let metrics_access = http::MetricsAccess {
            public: config.metrics_addr.is_none()
                && (metrics_token.is_some() || config.listen_addr.ip().is_loopback()),
            token: metrics_token,
        };
        if config.metrics_addr.is_none() && !metrics_access.public {
            tracing::warn!(
                "/metrics is off: the listener is not loopback and neither METRICS_ADDR nor METRICS_TOKEN is set"
            );
        }
        let secs = Duration::from_secs;
        let limiter = TipLimiter::new(TipLimits::from_config(config));
        let wake = Arc::new(Notify::new());
        let wake_for_followup = wake.clone();
        let catalog = CatalogVersion::new();
        catalog.sync(&db).await?;
        // The first snapshot before serving. If it cannot be built (a schema that is
        // still being migrated, say) public reads use the database until a poll builds it.
        let snapshots = SnapshotStore::new(catalog.clone());
        snapshots.refresh(&db).await;
        let cache = ResponseCache::new(catalog.clone(), CACHE_ENTRIES, CACHE_BYTES);
        let configured_key = config.ip_hash_secret.as_ref().map(|s| s.expose());
        let intake = tips::TipIntake {
            limiter: limiter.clone(),
            ip_hash_key: tips::ip_hash_key(&db, configured_key).await?,
            wake_worker: wake.clone(),
            routing: RoutingCache::new(catalog.clone()),
            clock: clock.clone(),
        };
        let cors_origins = http::parse_origins(&config.cors_allowed_origins)
            .map_err(|e| anyhow::anyhow!("CORS_ALLOWED_ORIGINS: {e}"))?;
        let guards = graphql::SchemaGuards {
            max_complexity: config.graphql_max_complexity,
            max_depth: config.graphql_max_depth,
            introspection: config.graphql_introspection,
        };
        let request_limiter = (config.request_limit_per_ip > 0).then(|| {
            RequestLimiter::new(
                Limit {
                    count: config.request_limit_per_ip,
                    window: secs(config.request_limit_per_ip_window_secs.max(1)),
                },
                config.rate_limit_ipv6_prefix,
            )
        });
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("binding {}", config.listen_addr))?;
        let base_url = public_base_url(config, listener.local_addr()?);
        let worker = if config.delivery_worker {
            let mut settings = delivery_settings(config, clock.clone())?;
            // Links in emails to staff open the web inbox: where it is served, or nowhere.
            settings.public_base_url = config.web_ui.then(|| base_url.clone());
            Some(Worker::new(db.clone(), mailer(config)?, settings, wake))
        } else {
            None
        };
        let signin_limiter = crate::ratelimit::SignInLimiter::from_config(config);
        let staff = Arc::new(http::StaffWeb {
            mailer: mailer(config)?,
            from: delivery_settings(config, clock.clone())?.from,
            secure_cookies: base_url.starts_with("https://"),
            base_url,
            timeouts: crate::service::staff_session::SessionTimeouts {
                idle: chrono::Duration::seconds(
                    i64::try_from(config.staff_session_idle_secs.max(1)).unwrap_or(i64::MAX / 2000),
                ),
                absolute: chrono::Duration::seconds(
                    i64::try_from(config.staff_session_absolute_secs.max(1))
                        .unwrap_or(i64::MAX / 2000),
                ),
            },
            limiter: signin_limiter.clone(),
            send_timeout: secs(config.smtp_timeout_secs.max(1)),
        });
        let schema =
            graphql::build_schema(db.clone(), snapshots.clone(), intake.clone(), Some(guards));
        let state = http::AppState {
            staff,
            shapes: std::sync::Arc::new(graphql::shape::Shapes::from_sdl(&graphql::sdl())),
            schema,
            // A quarter of the cost limit: every normal page fits (a municipality's full
            // page costs about 4,200), and what is larger takes the guarded schema, whose
            // response budget counts the answer while it grows.
            read_schema: graphql::build_read_schema(
                db.clone(),
                snapshots.clone(),
                intake.clone(),
                (config.graphql_max_complexity / 4).max(1),
                config.graphql_max_depth,
            ),
            persisted: Default::default(),
            internal_schema: graphql::build_schema(
                db.clone(),
                snapshots.clone(),
                intake.clone(),
                None,
            ),
            db: db.clone(),
            graphiql: config.graphiql,
            web_ui: config.web_ui,
            open311_api_key: config.open311_api_key.clone().filter(|k| !k.is_empty()),
            intake,
            trusted_proxies: trusted_proxies.clone(),
            limits: graphql::limits::Limits::from_config(config),
            graphql_timeout: Duration::from_millis(config.graphql_timeout_ms.max(1)),
            max_body_bytes: config.http_max_body_bytes,
            uploads: crate::http::multipart::Uploads::new(
                config.uploads_at_once,
                config.uploads_per_client,
                config.rate_limit_ipv6_prefix,
            ),
            cache,
            catalog: catalog.clone(),
            snapshots: snapshots.clone(),
            cache_max_age_secs: config.cache_max_age_secs,
            request_limiter: request_limiter.clone(),
            metrics: crate::metrics::install(),
            metrics_access,
        };
        let http_settings = http::HttpSettings {
            timeout: secs(config.http_timeout_secs.max(1)),
            cors_origins,
            trusted_proxies: trusted_proxies.clone(),
        };
        let metrics = match config.metrics_addr {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding METRICS_ADDR {addr}"))?;
                let settings = http::HttpSettings {
                    cors_origins: Vec::new(),
                    ..http_settings.clone()
                };
                Some((listener, http::metrics_router(state.clone(), &settings)))
            }
            None => None,
        };
        let connections = http::serve::ConnectionLimits {
            header_read_timeout: secs(config.http_header_timeout_secs.max(1)),
            max_per_ip: config.http_max_connections_per_ip,
            trusted_proxies,
        };
        let day = Duration::from_secs(24 * 60 * 60);
        let retention = (
            Retention {
                after_handled: day
                    * u32::try_from(config.retention_days_after_handled).unwrap_or(u32::MAX),
                max_age: day * u32::try_from(config.retention_days_max).unwrap_or(u32::MAX),
            },
            secs(config.retention_interval_secs.max(1)),
        );
        let admin_email = match config
            .admin_escalation_email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            Some(email) => Some(
                crate::domain::email_address::sendable(email)
                    .ok_or_else(|| {
                        anyhow::anyhow!("ADMIN_ESCALATION_EMAIL is not a deliverable address")
                    })?
                    .to_string(),
            ),
            None => None,
        };
        let followup = (
            FollowupSettings {
                escalate_after: config.escalation_after_working_days,
                admin_email,
            },
            Duration::from_millis(config.followup_interval_ms.max(10)),
        );
        Ok(Self {
            followup,
            clock,
            listener,
            router: http::router(state, &http_settings),
            metrics,
            connections,
            catalog,
            snapshots,
            catalog_poll: Duration::from_millis(config.catalog_poll_interval_ms.max(10)),
            request_limiter,
            wake: wake_for_followup,
            signin_limiter,
            db,
            statements,
            worker,
            limiter,
            retention,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The metrics listener's address, when `METRICS_ADDR` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Counts every SQL statement this application runs (for tests and metrics).
    pub fn statement_counter(&self) -> StatementCounter {
        self.statements.clone()
    }

    /// Serve until `shutdown` completes, then let in-flight requests finish (bounded).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = self.worker.map(|w| tokio::spawn(w.run(stop_rx.clone())));
        let limiter = self.limiter.clone();
        let (retention, every) = self.retention;
        let (db, mut retention_stop) = (self.db.clone(), stop_rx.clone());
        tokio::spawn(async move {
            loop {
                match privacy::erase_expired(&db, retention, chrono::Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(tips = n, "personal data erased after the retention period")
                    }
                    Err(err) => tracing::error!(error = %err, "the retention job failed"),
                }
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    _ = retention_stop.changed() => break,
                }
            }
        });
        let ((followup_settings, followup_every), clock) = (self.followup, self.clock);
        let (db, mut followup_stop) = (self.db.clone(), stop_rx.clone());
        let wake_worker = self.wake.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(followup_every) => {}
                    _ = followup_stop.changed() => break,
                }
                match followup::run(&db, &followup_settings, clock.now()).await {
                    Ok(report) if report == followup::Report::default() => {}
                    Ok(report) => {
                        wake_worker.notify_one();
                        tracing::info!(
                            reminders = report.reminders,
                            escalations = report.escalations,
                            flagged = report.flagged,
                            "follow-up of unanswered tips"
                        );
                    }
                    Err(err) => tracing::error!(error = %err, "the follow-up job failed"),
                }
            }
        });
        let (request_limiter, mut prune_stop) = (self.request_limiter.clone(), stop_rx.clone());
        let signin_limiter = self.signin_limiter.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(60)) => {
                        limiter.prune();
                        signin_limiter.prune();
                        if let Some(l) = &request_limiter {
                            l.prune();
                        }
                    }
                    _ = prune_stop.changed() => break,
                }
            }
        });
        // Writes made through other replicas reach this one's caches and snapshot within a
        // poll. The rebuild runs here, off the request path: readers keep the old snapshot
        // until the new one is swapped in.
        let (catalog, snapshots, poll, db, mut poll_stop) = (
            self.catalog.clone(),
            self.snapshots.clone(),
            self.catalog_poll,
            self.db.clone(),
            stop_rx,
        );
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(poll) => {
                        if let Err(err) = catalog.sync(&db).await {
                            tracing::warn!(error = %err, "could not check the catalogue version");
                        }
                        snapshots.refresh(&db).await;
                    }
                    _ = poll_stop.changed() => break,
                }
            }
        });
        // One shutdown signal for both listeners.
        let (serving_tx, serving_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            shutdown.await;
            let _ = serving_tx.send(true);
            let _ = stopped_tx.send(());
        });
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let metrics_server = self.metrics.map(|(listener, router)| {
            tokio::spawn(http::serve::serve(
                listener,
                router,
                self.connections.clone(),
                stopped(serving_rx.clone()),
            ))
        });
        let server = tokio::spawn(http::serve::serve(
            self.listener,
            self.router,
            self.connections,
            stopped(serving_rx),
        ));
        let grace = async {
            let _ = stopped_rx.await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        };
        let servers = async {
            let served = server.await;
            if let Some(metrics_server) = metrics_server {
                let _ = metrics_server.await;
            }
            served
        };
        tokio::select! {
            result = servers => result.context("server task failed")?,
            () = grace => tracing::warn!("requests still running 10 s after shutdown began; stopping anyway"),
        }
        let _ = stop_tx.send(true);
        if let Some(worker) = worker {
            // A send in progress finishes or its lease expires; nothing is lost either way.
            let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
        }
        self.db.close().await.context("closing the database pool")?;
        Ok(())
    }
}

pub(crate) fn mailer(config: &Config) -> anyhow::Result<Mailer> {
    match &config.smtp_url {
        Some(url) => Mailer::smtp(
            url.expose(),
            Duration::from_secs(config.smtp_timeout_secs),
            config.smtp_pool_size,
            &crate::email::transport::SmtpTrust::from_config(config),
        ),
        None => Mailer::folder(&config.mail_dir),
    }
}

/// The base of links in emails: `PUBLIC_BASE_URL`, else the address the server listens
/// on (the embedded default), without a trailing slash.
pub(crate) fn public_base_url(config: &Config, bound: std::net::SocketAddr) -> String {
    match config.public_base_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
        _ => {
            let host = if bound.ip().is_unspecified() {
                std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), bound.port())
            } else {
                bound
            };
            format!("http://{host}")
        }
    }
}

fn delivery_settings(config: &Config, clock: Clock) -> anyhow::Result<DeliverySettings> {
    let from = config
        .mail_from
        .parse()
        .map_err(|e| anyhow::anyhow!("MAIL_FROM is not a valid mailbox: {e}"))?;
    Ok(DeliverySettings {
        from,
        max_attempts: config.delivery_max_attempts.max(1),
        backoff_base: Duration::from_millis(config.delivery_backoff_base_ms),
        backoff_max: Duration::from_secs(config.delivery_backoff_max_secs),
        poll_interval: Duration::from_millis(config.delivery_poll_interval_ms.max(10)),
        // A lease longer than any send, so a slow send is never claimed twice.
        lease: Duration::from_secs(config.delivery_lease_secs.max(config.smtp_timeout_secs + 5)),
        send_timeout: Duration::from_secs(config.smtp_timeout_secs.max(1)),
        batch_size: config.delivery_batch_size.max(1),
        // Known once the listener is bound (the default is the bound address).
        public_base_url: None,
        clock,
    })
}

async fn seed_if_empty(db: &DatabaseConnection, config: &Config) -> anyhow::Result<()> {
    if !seed::is_empty(db).await? {
        return Ok(());
    }
    let file = match &config.seed_file {
        Some(path) => seed::load_path(path)?,
        None => seed::load_embedded()?,
    };
    let report = seed::import(db, &file)
        .await
        .context("importing seed data")?;
    tracing::info!(%report, "empty database seeded");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
