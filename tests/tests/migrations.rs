//! Every migration can be rolled back and applied again.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    let dir = tempfile::tempdir().expect("dir");
    let url = e2e::fresh_database_url(dir.path()).await.expect("database");
    let db = Database::connect(&url).await.expect("connect");
    Migrator::up(&db, None).await.expect("up");
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("status")
            .is_empty()
    );
    Migrator::down(&db, None).await.expect("down");
    assert_eq!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("status")
            .len(),
        Migrator::migrations().len()
    );
    // Nothing of ours is left behind.
    let probe = db.execute_unprepared("SELECT 1 FROM promise").await;
    assert!(probe.is_err(), "the promise table was dropped");
    Migrator::up(&db, None).await.expect("up again");
    db.execute_unprepared("SELECT 1 FROM delivery")
        .await
        .expect("tables exist again");
}
