//! Response targets in Swedish working days (issue 15, first part): every accepted tip
//! gets its due date, from the municipality's target and the Swedish date of receipt,
//! and staff see it and whether the tip is overdue.

use chrono::{NaiveDate, TimeZone, Utc};
use e2e::{spawn_app_with, tips::quiet};
use entity::StaffRole;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;
use server::service::tips;

async fn store_at(app: &e2e::TestApp, at: chrono::DateTime<Utc>) -> entity::tip::Model {
    let valid = e2e::tips::validated_idea(app).await;
    let stored = tips::store(&app.db, b"secret", &valid, None, at)
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("stored");
    entity::tip::Entity::find_by_id(stored.tip.id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the tip")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test]
async fn a_tip_is_due_after_the_municipalitys_working_days() {
    let app = spawn_app_with(quiet).await;
    // The Thursday before Easter 2027, at noon in Sweden: långfredagen and annandag
    // påsk do not count, so five working days end on Monday 5 April.
    let easter = store_at(&app, Utc.with_ymd_and_hms(2027, 3, 25, 11, 0, 0).unwrap()).await;
    assert_eq!(easter.due_on, Some(date(2027, 4, 5)));
    // The Swedish date counts, not the UTC one: 23:30 UTC on a Thursday is Friday in
    // Sweden, so one working day later is Monday.
    let municipality = entity::municipality::Entity::find_by_id(easter.municipality_id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("municipality");
    let mut am = municipality.into_active_model();
    am.response_days = Set(1);
    am.update(&app.db).await.expect("target changed");
    let late = store_at(&app, Utc.with_ymd_and_hms(2026, 12, 3, 23, 30, 0).unwrap()).await;
    assert_eq!(late.due_on, Some(date(2026, 12, 7)));
    let early = store_at(&app, Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()).await;
    assert_eq!(early.due_on, Some(date(2026, 12, 4)));
}

#[tokio::test]
async fn staff_see_the_due_date_and_whether_a_tip_is_overdue() {
    let app = spawn_app_with(quiet).await;
    let old = store_at(&app, Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()).await;
    let future = store_at(&app, Utc.with_ymd_and_hms(2027, 3, 25, 11, 0, 0).unwrap()).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let query = "query($r: String!) { tip(reference: $r) { dueOn overdue status } }";
    let old_view = app
        .query_as(&admin, query, json!({ "r": old.reference }))
        .await;
    assert_eq!(old_view["tip"]["dueOn"], "2026-11-09");
    assert_eq!(old_view["tip"]["status"], "NEW");
    assert_eq!(old_view["tip"]["overdue"], true);
    let future_view = app
        .query_as(&admin, query, json!({ "r": future.reference }))
        .await;
    assert_eq!(future_view["tip"]["dueOn"], "2027-04-05");
    assert_eq!(future_view["tip"]["overdue"], false);

    // Answered (moved out of NEW) is never overdue, however late.
    app.query_as(
        &admin,
        "mutation($r: String!) { updateTipStatus(input: { reference: $r, status: IN_PROGRESS }) { tip { status } } }",
        json!({ "r": old.reference }),
    )
    .await;
    let answered = app
        .query_as(&admin, query, json!({ "r": old.reference }))
        .await;
    assert_eq!(answered["tip"]["overdue"], false);

    // The public API says what a resident may expect.
    let public = app
        .query(
            "{ municipality(slug: \"mellerud\") { responseDays } }",
            json!({}),
        )
        .await;
    assert_eq!(public["municipality"]["responseDays"], 5);
}
