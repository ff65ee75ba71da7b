//! Every migration can be rolled back and applied again.

use e2e::Sent;
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

#[tokio::test]
async fn readiness_is_503_while_a_migration_is_pending() {
    let app = e2e::spawn_app().await;
    let readyz = || async {
        let response = app.get("/readyz").sent().await;
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("json");
        (status, body)
    };
    let (status, body) = readyz().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["migrations"], "applied");
    // The server migrates at start, so roll the newest migration back under it: the
    // state of a replica running against a database an upgrade has not reached.
    Migrator::down(&app.db, Some(1)).await.expect("down");
    let (status, body) = readyz().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["migrations"], "pending");
    Migrator::up(&app.db, None).await.expect("up");
    let (status, body) = readyz().await;
    assert_eq!(status, 200, "ready again once migrated: {body}");
}
