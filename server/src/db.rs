//! Database connection: connect (creating the SQLite file and folder when needed),
//! apply pending migrations, and count executed statements for tests and metrics.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use migration::MigratorTrait;
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, TransactionTrait, sea_query::IntoCondition,
    sea_query::SimpleExpr,
};

/// Number of SQL statements executed through a connection since it was opened.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Open the pool. For SQLite the parent folder is created and WAL mode is switched on so
/// readers do not block the writer.
pub async fn connect(
    url: &str,
    max_connections: u32,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    if let Some(path) = sqlite_file_path(url)
        && let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating database folder {}", parent.display()))?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let mut db = Database::connect(options)
        .await
        .context("connecting to the database")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL")
            .await
            .context("enabling SQLite WAL mode")?;
    }
    let counter = StatementCounter::default();
    let inner = counter.0.clone();
    db.set_metric_callback(move |_info| {
        inner.fetch_add(1, Ordering::Relaxed);
    });
    Ok((db, counter))
}

/// Apply every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migration::Migrator::up(db, None)
        .await
        .context("applying database migrations")
}

/// With `MIGRATE_ON_START=false`: refuse a database that has no schema at all (nothing
/// could work), and warn about pending migrations (the replica stays unready until
/// `server migrate` has applied them, so a rolling upgrade keeps it out of rotation).
/// Returns whether migrations are pending.
pub async fn require_schema(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let applied = migration::Migrator::get_applied_migrations_read_only(db)
        .await
        .context("reading the applied migrations (has `server migrate` run?)")?;
    if applied.is_empty() {
        anyhow::bail!(
            "the database has no schema and MIGRATE_ON_START is false: run `server migrate` with the owner role first"
        );
    }
    let pending = migration::Migrator::get_pending_migrations_read_only(db)
        .await
        .context("reading the pending migrations")?;
    if !pending.is_empty() {
        tracing::warn!(
            pending = pending.len(),
            "database migrations are pending and MIGRATE_ON_START is false: /readyz answers 503 until `server migrate` has run"
        );
    }
    Ok(!pending.is_empty())
}

/// True when every known migration has been applied (used by `/readyz`). Read-only: it
/// never creates the migration table, so a role without DDL rights can ask.
pub async fn migrations_applied(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    Ok(migration::Migrator::get_pending_migrations_read_only(db)
        .await?
        .is_empty())
}

fn sqlite_file_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Begin a transaction that reads and then writes. On SQLite it takes the write lock at
/// once (a no-op write), because a read that later upgrades to a write fails with
/// `SQLITE_BUSY` if another writer committed in between. PostgreSQL needs nothing.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute_unprepared("UPDATE staff_override SET deleted = deleted WHERE 1 = 0")
            .await?;
    }
    Ok(txn)
}

/// One page of `select`: its rows in `order`, `limit` of them after `offset`, and how
/// many it selects in all. Every paged list (catalogue, inbox, drafts, audit log) reads
/// this way.
pub async fn page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    order: &[(E::Column, Order)],
    offset: u64,
    limit: u64,
) -> Result<(Vec<E::Model>, u64), DbErr>
where
    E::Model: Sync,
{
    let total = select.clone().count(db).await?;
    let mut select = select;
    for (column, direction) in order {
        select = select.order_by(*column, direction.clone());
    }
    let rows = select.offset(offset).limit(limit).all(db).await?;
    Ok((rows, total))
}

/// `column IN (SELECT selected FROM <selected's table> WHERE filter)`: the rows linked to
/// something through a link table (a promise's municipalities, a contact's), in the same
/// statement.
pub fn in_subquery<C>(
    column: impl ColumnTrait,
    selected: C,
    filter: impl IntoCondition,
) -> SimpleExpr
where
    C: ColumnTrait,
    C::EntityName: EntityTrait,
{
    let query = <C::EntityName as EntityTrait>::find()
        .select_only()
        .column(selected)
        .filter(filter)
        .into_query();
    column.in_subquery(query)
}

#[cfg(test)]
mod tests {
    use super::sqlite_file_path;

    #[test]
    fn finds_sqlite_paths() {
        assert_eq!(
            sqlite_file_path("sqlite://data/x.db?mode=rwc").as_deref(),
            Some(std::path::Path::new("data/x.db"))
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://localhost/x"), None);
    }
}
