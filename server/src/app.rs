//! Application assembly: connect and migrate the database, seed an empty one, build the
//! schema and router, bind the listener, and run until a shutdown signal.

use std::{future::Future, net::SocketAddr, time::Duration};

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    config::Config,
    db::{self, StatementCounter},
    graphql, http, seed,
};

/// A built, bound, not yet serving application. Tests build one on port 0 and read
/// [`Application::local_addr`].
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: DatabaseConnection,
    statements: StatementCounter,
}

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let (db, statements) =
            db::connect(&config.database_url, config.database_max_connections).await?;
        db::migrate(&db).await?;
        seed_if_empty(&db, config).await?;
        let state = http::AppState {
            schema: graphql::build_schema(db.clone()),
            db: db.clone(),
            graphiql: config.graphiql,
        };
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("binding {}", config.listen_addr))?;
        Ok(Self {
            listener,
            router: http::router(state),
            db,
            statements,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
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
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(self.listener, service).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stopped_tx.send(());
        });
        let server = tokio::spawn(async move { server.await });
        let grace = async {
            let _ = stopped_rx.await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        };
        tokio::select! {
            result = server => result.context("server task failed")?.context("serving HTTP")?,
            () = grace => tracing::warn!("requests still running 10 s after shutdown began; stopping anyway"),
        }
        self.db.close().await.context("closing the database pool")?;
        Ok(())
    }
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
