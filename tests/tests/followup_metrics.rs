//! The follow-up job's metrics on `/metrics` (issue 15, part 3): after a reminder and an
//! escalation, `tips_overdue{municipality}` counts the waiting tip and the reminder and
//! escalation counters each went up by one. One test in its own binary: the recorder is
//! process-wide, so a suite running other follow-up tests beside it (`followup.rs`)
//! would move the same counters.

use chrono::{DateTime, TimeZone, Utc};
use e2e::{Sent, TestApp, eventually, smtp::SmtpSink, spawn_app_with_clock};
use entity::{DeliveryStatus, delivery};
use sea_orm::EntityTrait;
use serde_json::json;
use server::{
    clock::Clock,
    service::followup::{self, FollowupSettings},
};

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a time")
}

/// The text `/metrics` serves now.
async fn scrape(app: &TestApp) -> String {
    app.get("/metrics")
        .sent()
        .await
        .text()
        .await
        .expect("metrics text")
}

/// The value of `series` (name and labels, exactly as rendered); 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

const SERIES: [&str; 4] = [
    "reminders_total{outcome=\"enqueued\"}",
    "reminders_total{outcome=\"sent\"}",
    "escalations_total{outcome=\"enqueued\"}",
    "escalations_total{outcome=\"sent\"}",
];

async fn all_sent(app: &TestApp) {
    let db = app.db.clone();
    eventually("every delivery sent", || {
        let db = db.clone();
        async move {
            let rows = delivery::Entity::find().all(&db).await.ok()?;
            rows.iter()
                .all(|d| d.status == DeliveryStatus::Sent)
                .then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn a_reminder_and_an_escalation_show_on_metrics() {
    let smtp = SmtpSink::start();
    // The Thursday before Easter 2027: a tip is due on Monday 5 April.
    let clock = Clock::fixed(utc(2027, 3, 25, 11));
    let app = spawn_app_with_clock(clock.clone(), |c| {
        e2e::tips::quick(c, Some(&smtp));
        // The test runs the job itself.
        c.followup_interval_ms = 3_600_000;
    })
    .await;
    let glenn = e2e::tips::contact_id(&app, "Glenn Nordling").await;
    let body = e2e::tips::submit(
        &app,
        json!({ "municipality": "mellerud", "kind": "TIP", "recipient": glenn, "message": "Gatlampan vid skolan är trasig sedan en vecka." }),
    )
    .await;
    e2e::tips::reference(&body);
    all_sent(&app).await;
    let before = scrape(&app).await;
    assert_eq!(
        value(&before, "tips_overdue{municipality=\"mellerud\"}"),
        0.0
    );

    let settings = FollowupSettings {
        escalate_after: 2,
        admin_email: None,
    };
    // The due date: a reminder to Glenn.
    clock.set(utc(2027, 4, 5, 9));
    let report = followup::run(&app.db, &settings, clock.now())
        .await
        .expect("run");
    assert_eq!((report.reminders, report.escalations), (1, 0));
    all_sent(&app).await;
    // Two working days later: escalated to the default recipient.
    clock.set(utc(2027, 4, 7, 9));
    let report = followup::run(&app.db, &settings, clock.now())
        .await
        .expect("run");
    assert_eq!((report.reminders, report.escalations), (0, 1));
    all_sent(&app).await;

    // The worker counts a send just after marking it sent: wait for the counters.
    let after = eventually("the follow-up counters moved", || async {
        let text = scrape(&app).await;
        SERIES
            .iter()
            .all(|s| value(&text, s) > value(&before, s))
            .then_some(text)
    })
    .await;
    assert_eq!(
        value(&after, "tips_overdue{municipality=\"mellerud\"}"),
        1.0,
        "{after}"
    );
    assert_eq!(
        value(&after, "tips_overdue{municipality=\"almhult\"}"),
        0.0,
        "{after}"
    );
    for series in SERIES {
        assert_eq!(
            value(&after, series) - value(&before, series),
            1.0,
            "{series} in:\n{after}"
        );
    }
}
