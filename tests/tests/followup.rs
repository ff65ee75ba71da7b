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
    // `overdue` is judged on the application's clock: fixed between the two due dates,
    // so the answer does not change with the day the suite runs.
    let clock = server::clock::Clock::fixed(Utc.with_ymd_and_hms(2027, 1, 15, 12, 0, 0).unwrap());
    let app = e2e::spawn_app_with_clock(clock, quiet).await;
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

// --- Reminders, escalation and updates to the resident (issue 15, parts 2–5) ---------

use chrono::DateTime;
use e2e::{TestApp, error_codes, eventually, smtp::SmtpSink, spawn_app_with_clock, spawn_replica};
use entity::{DeliveryKind, DeliveryStatus, delivery, tip_event};
use sea_orm::{ColumnTrait, QueryFilter};
use server::{
    clock::Clock,
    config::Config,
    service::followup::{self, FollowupSettings},
};

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a time")
}

/// The Thursday before Easter 2027, at noon in Sweden.
fn maundy_thursday() -> DateTime<Utc> {
    utc(2027, 3, 25, 11)
}

/// Mail to `smtp`, the follow-up job every 20 ms (or never, with `job` false).
fn mailing(smtp: &SmtpSink, job: bool) -> impl FnOnce(&mut Config) + '_ {
    move |c: &mut Config| {
        e2e::tips::quick(c, Some(smtp));
        c.followup_interval_ms = if job { 20 } else { 3_600_000 };
        c.public_base_url = Some("https://medborgarloften.example".into());
    }
}

fn settings(admin: Option<&str>) -> FollowupSettings {
    FollowupSettings {
        escalate_after: 2,
        admin_email: admin.map(str::to_owned),
    }
}

/// Submit a tip to Mellerud over HTTP with `extra` fields; returns (reference, token).
async fn submit(app: &TestApp, extra: serde_json::Value) -> (String, String) {
    let mut input = json!({ "municipality": "mellerud", "kind": "TIP", "message": "Gatlampan vid skolan är trasig sedan en vecka." });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    let body = e2e::tips::submit(app, input).await;
    (e2e::tips::reference(&body), e2e::tips::status_token(&body))
}

async fn tip_row(app: &TestApp, reference: &str) -> entity::tip::Model {
    entity::tip::Entity::find()
        .filter(entity::tip::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .expect("read")
        .expect("the tip")
}

/// Waits until some replica has enqueued an email of `kind`.
async fn enqueued(db: &sea_orm::DatabaseConnection, kind: DeliveryKind) {
    eventually("an email enqueued", || {
        let db = db.clone();
        async move {
            let n = delivery::Entity::find()
                .filter(delivery::Column::Kind.eq(kind))
                .all(&db)
                .await
                .ok()?
                .len();
            (n > 0).then_some(())
        }
    })
    .await;
}

async fn rows(app: &TestApp, tip_id: i32, kind: DeliveryKind) -> Vec<delivery::Model> {
    delivery::Entity::find()
        .filter(delivery::Column::TipId.eq(tip_id))
        .filter(delivery::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .expect("deliveries")
}

/// Wait until every delivery is sent.
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

/// (to, subject, text) of every message received.
fn mails(smtp: &SmtpSink) -> Vec<(String, String, String)> {
    let parser = mail_parser::MessageParser::default();
    smtp.messages()
        .iter()
        .filter_map(|raw| {
            let m = parser.parse(raw)?;
            let to = m.to()?.first()?.address()?.to_owned();
            Some((
                to,
                m.subject().unwrap_or_default().to_owned(),
                m.body_text(0).unwrap_or_default().into_owned(),
            ))
        })
        .collect()
}

fn with_subject<'a>(
    mails: &'a [(String, String, String)],
    start: &str,
) -> Vec<&'a (String, String, String)> {
    mails.iter().filter(|m| m.1.starts_with(start)).collect()
}

#[tokio::test]
async fn due_dates_skip_midsummer_and_christmas() {
    let clock = Clock::fixed(utc(2027, 6, 23, 8));
    let app = spawn_app_with_clock(clock.clone(), quiet).await;
    // Wednesday before midsommarafton (Friday 25 June) and midsommardagen: Thursday,
    // then Monday to Thursday.
    let (midsummer, _) = submit(&app, json!({})).await;
    assert_eq!(
        tip_row(&app, &midsummer).await.due_on,
        Some(date(2027, 7, 1))
    );
    // Tuesday before Christmas 2026: Wednesday, then julafton, juldagen, the weekend,
    // Monday to Wednesday, nyårsafton and nyårsdagen: due Monday 4 January.
    clock.set(utc(2026, 12, 22, 11));
    let (christmas, _) = submit(&app, json!({})).await;
    assert_eq!(
        tip_row(&app, &christmas).await.due_on,
        Some(date(2027, 1, 4))
    );
    // Easter over HTTP too: långfredagen and annandag påsk skipped.
    clock.set(maundy_thursday());
    let (easter, _) = submit(&app, json!({})).await;
    assert_eq!(tip_row(&app, &easter).await.due_on, Some(date(2027, 4, 5)));
}

#[tokio::test]
async fn reminder_then_escalation_each_once_with_two_replicas() {
    let smtp = SmtpSink::start();
    let clock = Clock::fixed(maundy_thursday());
    let first = spawn_app_with_clock(clock.clone(), mailing(&smtp, true)).await;
    let second = spawn_replica(&first, clock.clone(), mailing(&smtp, true)).await;
    let glenn = e2e::tips::contact_id(&first, "Glenn Nordling").await;
    let (reference, _) = submit(&first, json!({ "recipient": glenn })).await;
    let tip = tip_row(&first, &reference).await;
    assert_eq!(tip.due_on, Some(date(2027, 4, 5)));
    all_sent(&first).await;

    // The Friday before: not due yet, nothing happens.
    let before = utc(2027, 4, 2, 10);
    assert_eq!(
        followup::run(&first.db, &settings(None), before)
            .await
            .expect("run"),
        followup::Report::default()
    );
    // On the due date both replicas' jobs look; one reminds.
    clock.set(utc(2027, 4, 5, 7));
    let db = first.db.clone();
    enqueued(&db, DeliveryKind::Reminder).await;
    all_sent(&second).await;
    // One working day later: not escalated yet (Tuesday 6 April).
    clock.set(utc(2027, 4, 6, 10));
    assert_eq!(
        followup::run(&first.db, &settings(None), clock.now())
            .await
            .expect("run"),
        followup::Report::default()
    );
    assert!(tip_row(&first, &reference).await.escalated_at.is_none());
    // Two working days after the due date: escalated to the default recipient (Erika),
    // with every replica and the test itself racing for it.
    clock.set(utc(2027, 4, 7, 7));
    let races: Vec<_> = (0..6)
        .map(|_| {
            let (db, now) = (second.db.clone(), clock.now());
            tokio::spawn(async move { followup::run(&db, &settings(None), now).await })
        })
        .collect();
    let mut escalated_here = 0;
    for race in races {
        escalated_here += race.await.expect("joined").expect("run").escalations;
    }
    assert!(escalated_here <= 1);
    enqueued(&db, DeliveryKind::Escalation).await;
    all_sent(&first).await;
    // Later runs find nothing more to do.
    clock.set(utc(2027, 4, 20, 7));
    for app in [&first, &second] {
        assert_eq!(
            followup::run(&app.db, &settings(None), clock.now())
                .await
                .expect("run"),
            followup::Report::default()
        );
    }
    assert_eq!(rows(&first, tip.id, DeliveryKind::Reminder).await.len(), 1);
    assert_eq!(
        rows(&first, tip.id, DeliveryKind::Escalation).await.len(),
        1
    );
    all_sent(&first).await;

    let mails = mails(&smtp);
    let reminders = with_subject(&mails, "Påminnelse:");
    let escalations = with_subject(&mails, "Eskalerat:");
    assert_eq!(reminders.len(), 1, "{mails:#?}");
    assert_eq!(escalations.len(), 1, "{mails:#?}");
    assert_eq!(reminders[0].0, "glenn.nordling@mellerud.example");
    assert_eq!(escalations[0].0, "erika.gustavsson@polisen.example");
    let link = format!("https://medborgarloften.example/staff/tips/{reference}");
    for (_, subject, text) in reminders.iter().chain(&escalations) {
        assert!(subject.contains(&reference), "{subject}");
        assert!(text.contains(&link), "{text}");
        assert!(text.contains("Gatlampan vid skolan"), "{text}");
    }
    assert!(
        escalations[0].2.contains("Glenn Nordling"),
        "{}",
        escalations[0].2
    );
    assert_eq!(
        e2e::tips::distinct_ids(&smtp.messages()).len(),
        smtp.messages().len(),
        "every message has its own Message-ID"
    );

    // The history says so, once each.
    let notes: Vec<String> = tip_event::Entity::find()
        .filter(tip_event::Column::TipId.eq(tip.id))
        .all(&first.db)
        .await
        .expect("history")
        .into_iter()
        .filter_map(|e| e.note)
        .collect();
    assert_eq!(
        notes.iter().filter(|n| n.starts_with("Påminnelse")).count(),
        1,
        "{notes:?}"
    );
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.starts_with("Eskalerat till kommunens huvudmottagare Erika Gustavsson"))
            .count(),
        1,
        "{notes:?}"
    );
    let admin = first.staff_token(StaffRole::Admin, &[], None).await;
    let view = first
        .query_as(
            &admin,
            "query($r: String!) { tip(reference: $r) { remindedAt escalatedAt escalationFlagged overdue deliveries { kind status } } }",
            json!({ "r": reference }),
        )
        .await;
    assert!(view["tip"]["remindedAt"].is_string() && view["tip"]["escalatedAt"].is_string());
    assert_eq!(view["tip"]["escalationFlagged"], false);
    assert_eq!(view["tip"]["overdue"], true);
}

#[tokio::test]
async fn a_tip_answered_before_its_due_date_is_never_reminded() {
    let clock = Clock::fixed(maundy_thursday());
    let app = spawn_app_with_clock(clock.clone(), quiet).await;
    let (answered, _) = submit(&app, json!({})).await;
    let (waiting, _) = submit(&app, json!({})).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    clock.set(utc(2027, 4, 1, 9));
    app.query_as(
        &admin,
        "mutation($r: String!) { updateTipStatus(input: { reference: $r, status: IN_PROGRESS }) { tip { status } } }",
        json!({ "r": answered }),
    )
    .await;
    clock.set(utc(2027, 4, 20, 9));
    let report = followup::run(&app.db, &settings(None), clock.now())
        .await
        .expect("run");
    // Only the waiting tip is reminded, and (routed to the default recipient, with no
    // admin address) flagged rather than escalated.
    assert_eq!(
        report,
        followup::Report {
            reminders: 1,
            escalations: 0,
            flagged: 1
        }
    );
    let answered = tip_row(&app, &answered).await;
    assert!(answered.reminded_at.is_none() && answered.escalated_at.is_none());
    assert!(
        rows(&app, answered.id, DeliveryKind::Reminder)
            .await
            .is_empty()
    );
    let waiting_row = tip_row(&app, &waiting).await;
    assert!(waiting_row.escalation_flagged);
    assert!(
        rows(&app, waiting_row.id, DeliveryKind::Escalation)
            .await
            .is_empty()
    );

    // Staff see the flag, and filter on overdue.
    let q = "query($o: Boolean) { tips(filter: { overdue: $o }) { totalCount nodes { reference overdue escalationFlagged } } }";
    let overdue = app.query_as(&admin, q, json!({ "o": true })).await;
    assert_eq!(overdue["tips"]["totalCount"], 1);
    assert_eq!(overdue["tips"]["nodes"][0]["reference"], waiting.as_str());
    assert_eq!(overdue["tips"]["nodes"][0]["escalationFlagged"], true);
    let others = app.query_as(&admin, q, json!({ "o": false })).await;
    assert_eq!(others["tips"]["totalCount"], 1);
    assert_eq!(others["tips"]["nodes"][0]["overdue"], false);
}

#[tokio::test]
async fn a_default_recipient_escalates_to_the_admins_address() {
    let clock = Clock::fixed(maundy_thursday());
    let app = spawn_app_with_clock(clock.clone(), quiet).await;
    let (reference, _) = submit(&app, json!({})).await;
    let admins = settings(Some("medborgarloften@mellerud.example"));
    let report = followup::run(&app.db, &admins, utc(2027, 4, 7, 9))
        .await
        .expect("run");
    assert_eq!((report.reminders, report.escalations), (1, 1));
    let tip = tip_row(&app, &reference).await;
    let escalation = rows(&app, tip.id, DeliveryKind::Escalation).await;
    assert_eq!(escalation.len(), 1);
    assert_eq!(
        escalation[0].recipient_email,
        "medborgarloften@mellerud.example"
    );
    assert!(!tip.escalation_flagged);
}

/// Two tips from a resident who gave a name, email and phone (plus `extra`), all their
/// email sent, and the first erased by an admin: (erased, kept).
async fn one_erased(app: &TestApp, extra: serde_json::Value) -> (String, String) {
    let mut personal = json!({ "name": "Kim Boende", "email": "kim.boende@exempel.se", "phone": "070-123 45 67", "wantsReply": true });
    if let (Some(all), Some(more)) = (personal.as_object_mut(), extra.as_object()) {
        all.extend(more.clone());
    }
    let (erased, _) = submit(app, personal.clone()).await;
    let (kept, _) = submit(app, personal).await;
    all_sent(app).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    app.query_as(
        &admin,
        "mutation($r: String!) { eraseTip(reference: $r) { reference } }",
        json!({ "r": erased }),
    )
    .await;
    (erased, kept)
}

/// An email about an erased tip: its reference and inbox link, and nothing of the
/// resident's (nor any of `also_absent`).
fn assert_reference_only(text: &str, erased: &str, also_absent: &[&str]) {
    assert!(text.contains(erased), "{text}");
    let link = format!("https://medborgarloften.example/staff/tips/{erased}");
    assert!(text.contains(&link), "{text}");
    let personal = ["Kim Boende", "kim.boende", "070-123", "Gatlampan"];
    for absent in personal.iter().chain(also_absent) {
        assert!(!text.contains(absent), "{absent} in {text}");
    }
}

/// An email about a tip that was not erased: the resident's data is all there.
fn assert_personal_data_in(text: &str) {
    for personal in [
        "Kim Boende",
        "kim.boende@exempel.se",
        "070-123 45 67",
        "Gatlampan",
    ] {
        assert!(text.contains(personal), "{personal} missing from {text}");
    }
}

#[tokio::test]
async fn after_erasure_a_reminder_carries_the_reference_and_link_only() {
    let smtp = SmtpSink::start();
    let clock = Clock::fixed(maundy_thursday());
    let app = spawn_app_with_clock(clock.clone(), mailing(&smtp, false)).await;
    let (erased, kept) = one_erased(&app, json!({})).await;
    // The worker sends what is due by the application's clock.
    clock.set(utc(2027, 4, 5, 9));
    let report = followup::run(&app.db, &settings(None), clock.now())
        .await
        .expect("run");
    assert_eq!(report.reminders, 2);
    e2e::eventually("the reminders sent", || async {
        (with_subject(&mails(&smtp), "Påminnelse:").len() == 2).then_some(())
    })
    .await;
    let mails = mails(&smtp);
    let reminder = |reference: &str| {
        with_subject(&mails, "Påminnelse:")
            .into_iter()
            .find(|m| m.1.contains(reference))
            .map(|m| m.2.clone())
            .expect("a reminder")
    };
    assert_reference_only(&reminder(&erased), &erased, &[]);
    assert_personal_data_in(&reminder(&kept));
}

#[tokio::test]
async fn residents_hear_of_updates_and_replies_in_swedish_without_notes() {
    let smtp = SmtpSink::start();
    let clock = Clock::fixed(maundy_thursday());
    let app = spawn_app_with_clock(clock.clone(), mailing(&smtp, false)).await;
    let (reference, token) = submit(
        &app,
        json!({ "email": "asa.oberg@exempel.se", "wantsReply": true, "notifyOnUpdate": true }),
    )
    .await;
    // Without notifyOnUpdate: the receipt, and no update.
    let (quiet_ref, _) = submit(&app, json!({ "email": "bo.lind@exempel.se" })).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let status = "mutation($r: String!, $s: TipStatus!, $n: String) { updateTipStatus(input: { reference: $r, status: $s, note: $n }) { tip { status } } }";
    for (r, s) in [
        (&reference, "IN_PROGRESS"),
        (&reference, "HANDLED"),
        (&quiet_ref, "IN_PROGRESS"),
    ] {
        app.query_as(
            &admin,
            status,
            json!({ "r": r, "s": s, "n": "INTERN ANTECKNING: ring tekniska." }),
        )
        .await;
    }
    let reply = "mutation($r: String!, $m: String!) { replyToResident(input: { reference: $r, message: $m }) { tip { repliedAt history { note } } } }";
    let replied = app
        .query_as(
            &admin,
            reply,
            json!({ "r": reference, "m": "Tack! Lampan är lagad nu." }),
        )
        .await;
    assert!(replied["replyToResident"]["tip"]["repliedAt"].is_string());
    let history = replied["replyToResident"]["tip"]["history"].to_string();
    assert!(history.contains("Svar skickat till invånaren"), "{history}");
    // Staff without the tip in scope cannot reply; an empty reply is refused.
    let other = app
        .staff_token(StaffRole::Recipient, &["almhult"], None)
        .await;
    assert_eq!(
        error_codes(
            &app.graphql_as(&other, reply, json!({ "r": reference, "m": "Hej" }))
                .await
        ),
        ["NOT_FOUND"]
    );
    assert_eq!(
        error_codes(
            &app.graphql_as(&admin, reply, json!({ "r": reference, "m": "  " }))
                .await
        ),
        ["BAD_USER_INPUT"]
    );
    all_sent(&app).await;

    let mails = mails(&smtp);
    let to_resident: Vec<_> = mails
        .iter()
        .filter(|m| m.0 == "asa.oberg@exempel.se")
        .collect();
    let subjects: Vec<&str> = to_resident.iter().map(|m| m.1.as_str()).collect();
    assert_eq!(to_resident.len(), 4, "{subjects:?}");
    assert!(subjects.contains(&format!("Ditt ärende {reference} är under behandling").as_str()));
    assert!(subjects.contains(&format!("Ditt ärende {reference} är hanterat").as_str()));
    assert!(subjects.contains(&format!("Svar på ditt ärende {reference}").as_str()));
    let receipt = to_resident
        .iter()
        .find(|m| m.1.starts_with("Vi har tagit emot"))
        .expect("receipt");
    // "tips" is neuter in Swedish: "ditt tips", never "din tips".
    assert_eq!(
        receipt.1,
        format!("Vi har tagit emot ditt tips – {reference}")
    );
    assert!(
        receipt.2.contains("Tack! Vi har tagit emot ditt tips"),
        "{}",
        receipt.2
    );
    assert!(receipt.2.contains("inom 5 arbetsdagar"), "{}", receipt.2);
    let reply_mail = to_resident
        .iter()
        .find(|m| m.1.starts_with("Svar på"))
        .expect("reply");
    assert!(reply_mail.2.contains("Tack! Lampan är lagad nu."));
    for m in &mails {
        assert!(!m.2.contains("INTERN"), "a note reached {}: {}", m.0, m.2);
    }
    assert_eq!(
        mails.iter().filter(|m| m.0 == "bo.lind@exempel.se").count(),
        1,
        "only the receipt without notifyOnUpdate"
    );

    // The resident's status says a reply was sent, never what it said.
    let status = app
        .query(
            "query($r: String!, $t: String!) { tipStatus(reference: $r, statusToken: $t) { status replySentAt responseDays dueOn } }",
            json!({ "r": reference, "t": token }),
        )
        .await;
    assert_eq!(status["tipStatus"]["status"], "HANDLED");
    assert!(status["tipStatus"]["replySentAt"].is_string());
    assert_eq!(status["tipStatus"]["responseDays"], 5);
    assert_eq!(status["tipStatus"]["dueOn"], "2027-04-05");
    let page = app
        .get(&format!("/status?referens={reference}&kod={token}"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("Ett svar skickades till din e-postadress 2027-03-25"),
        "{page}"
    );
    assert!(!page.contains("Lampan"));
}

#[tokio::test]
async fn the_status_page_and_form_speak_of_working_days_and_updates() {
    let clock = Clock::fixed(maundy_thursday());
    let app = spawn_app_with_clock(clock, quiet).await;
    let form = app
        .get("/kommun/mellerud/tips")
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("text");
    assert!(form.contains("name=\"notify_on_update\""), "{form}");
    let (reference, token) = submit(&app, json!({})).await;
    let page = app
        .get(&format!("/status?referens={reference}&kod={token}"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("inom 5 arbetsdagar"), "{page}");
    assert!(!page.contains("Ett svar skickades"));
}

#[tokio::test]
async fn statistics_report_the_share_answered_within_the_target() {
    let clock = Clock::fixed(utc(2027, 3, 1, 9));
    let app = spawn_app_with_clock(clock.clone(), quiet).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let mut references = Vec::new();
    for _ in 0..10 {
        references.push(submit(&app, json!({})).await.0);
    }
    // Due 2027-03-08. Five answered in time, five never.
    clock.set(utc(2027, 3, 5, 9));
    for r in &references[..5] {
        app.query_as(
            &admin,
            "mutation($r: String!) { updateTipStatus(input: { reference: $r, status: IN_PROGRESS }) { tip { status } } }",
            json!({ "r": r }),
        )
        .await;
    }
    let q = "{ tipStatistics(municipality: \"mellerud\", from: \"2027-03-01\", to: \"2027-03-31\") { totalCount shareAnsweredWithinTarget } }";
    // Before the due date only the answered tips are decided: all of them in time.
    let early = app.query(q, json!({})).await;
    assert_eq!(early["tipStatistics"]["shareAnsweredWithinTarget"], 1.0);
    clock.set(utc(2027, 3, 20, 9));
    let stats = app.query(q, json!({})).await;
    assert_eq!(stats["tipStatistics"]["totalCount"], 10);
    assert_eq!(stats["tipStatistics"]["shareAnsweredWithinTarget"], 0.5);
    // April: five answered in time but only four late, a small group: hidden.
    clock.set(utc(2027, 4, 1, 9));
    let mut april = Vec::new();
    for _ in 0..9 {
        april.push(submit(&app, json!({})).await.0);
    }
    for r in &april[..5] {
        app.query_as(
            &admin,
            "mutation($r: String!) { updateTipStatus(input: { reference: $r, status: IN_PROGRESS }) { tip { status } } }",
            json!({ "r": r }),
        )
        .await;
    }
    clock.set(utc(2027, 4, 30, 9));
    let q_april = "{ tipStatistics(municipality: \"mellerud\", from: \"2027-04-01\", to: \"2027-04-30\") { totalCount shareAnsweredWithinTarget } }";
    let hidden = app.query(q_april, json!({})).await;
    assert_eq!(hidden["tipStatistics"]["totalCount"], 9);
    assert_eq!(
        hidden["tipStatistics"]["shareAnsweredWithinTarget"],
        serde_json::Value::Null
    );
    let march = app.query(q, json!({})).await;
    assert_eq!(march["tipStatistics"]["shareAnsweredWithinTarget"], 0.5);
}

#[tokio::test]
async fn after_erasure_an_escalation_carries_the_reference_and_link_only() {
    let smtp = SmtpSink::start();
    let clock = Clock::fixed(maundy_thursday());
    let app = spawn_app_with_clock(clock.clone(), mailing(&smtp, false)).await;
    // Routed to Glenn, so the escalation goes to the default recipient (Erika).
    let glenn = e2e::tips::contact_id(&app, "Glenn Nordling").await;
    let (erased, kept) = one_erased(&app, json!({ "recipient": glenn })).await;
    // Two working days after the due date (Monday 5 April): reminded and escalated.
    clock.set(utc(2027, 4, 7, 9));
    let report = followup::run(&app.db, &settings(None), clock.now())
        .await
        .expect("run");
    assert_eq!((report.reminders, report.escalations), (2, 2));
    e2e::eventually("the escalations sent", || async {
        (with_subject(&mails(&smtp), "Eskalerat:").len() == 2).then_some(())
    })
    .await;
    let mails = mails(&smtp);
    let escalation = |reference: &str| {
        with_subject(&mails, "Eskalerat:")
            .into_iter()
            .find(|m| m.1.contains(reference))
            .map(|m| (m.0.clone(), m.2.clone()))
            .expect("an escalation")
    };
    let (to, gone) = escalation(&erased);
    assert_eq!(to, "erika.gustavsson@polisen.example");
    assert!(gone.contains("har raderats"), "{gone}");
    assert_reference_only(&gone, &erased, &["Meddelande:"]);
    assert_personal_data_in(&escalation(&kept).1);
}

#[tokio::test]
async fn a_resident_hears_in_swedish_that_a_tip_was_closed_as_not_relevant() {
    let smtp = SmtpSink::start();
    let clock = Clock::fixed(maundy_thursday());
    let app = spawn_app_with_clock(clock.clone(), mailing(&smtp, false)).await;
    let (reference, _) = submit(
        &app,
        json!({ "email": "asa.oberg@exempel.se", "notifyOnUpdate": true }),
    )
    .await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    app.query_as(
        &admin,
        "mutation($r: String!, $n: String) { updateTipStatus(input: { reference: $r, status: NOT_RELEVANT, note: $n }) { tip { status } } }",
        json!({ "r": reference, "n": "INTERN ANTECKNING: dubblett av ett annat tips." }),
    )
    .await;
    all_sent(&app).await;

    let mails = mails(&smtp);
    let to_resident: Vec<_> = mails
        .iter()
        .filter(|m| m.0 == "asa.oberg@exempel.se")
        .collect();
    let subjects: Vec<&str> = to_resident.iter().map(|m| m.1.as_str()).collect();
    assert_eq!(to_resident.len(), 2, "receipt and update: {subjects:?}");
    let update = to_resident
        .iter()
        .find(|m| m.1 == format!("Ditt ärende {reference} är avslutat"))
        .unwrap_or_else(|| panic!("no closing update: {subjects:?}"));
    for swedish in [
        format!(
            "Hej! Det här gäller ditt tips {reference} till medborgarlöftet i Melleruds kommun."
        ),
        "Ditt ärende har avslutats utan åtgärd".to_owned(),
        "Du får det här meddelandet eftersom du bad om uppdateringar.".to_owned(),
    ] {
        assert!(
            update.2.contains(&swedish),
            "{swedish} missing: {}",
            update.2
        );
    }
    // The note reaches nobody, in the text or the HTML part.
    let parser = mail_parser::MessageParser::default();
    for raw in smtp.messages() {
        let m = parser.parse(&raw).expect("a message");
        let html = m.body_html(0).unwrap_or_default().into_owned();
        let text = m.body_text(0).unwrap_or_default().into_owned();
        for part in [&text, &html] {
            assert!(
                !part.contains("INTERN") && !part.contains("dubblett"),
                "a note went out: {part}"
            );
        }
    }
}

// --- Setting the response target through the API (issue 15, part 1) ------------------

const SET_TARGET: &str = "mutation($i: SetResponseTargetInput!) { setResponseTarget(input: $i) { municipality { slug responseDays } } }";

/// The public `responseDays` of a municipality, read without a token.
async fn public_days(app: &TestApp, slug: &str) -> serde_json::Value {
    app.query(
        "query($s: String!) { municipality(slug: $s) { responseDays } }",
        json!({ "s": slug }),
    )
    .await["municipality"]["responseDays"]
        .clone()
}

/// The audit entries about municipalities, oldest first.
async fn target_audits(app: &TestApp) -> Vec<entity::audit_log::Model> {
    entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::EntityType.eq("municipality"))
        .all(&app.db)
        .await
        .expect("audit log")
}

#[tokio::test]
async fn admins_and_editors_in_scope_set_the_response_target() {
    let app = spawn_app_with(quiet).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let recipient = app
        .staff_token(
            StaffRole::Recipient,
            &["mellerud"],
            Some("erika-gustavsson"),
        )
        .await;
    let target = |municipality: &str, days: i64| json!({ "i": { "municipality": municipality, "workingDays": days } });

    // An admin anywhere; an editor in their own municipality (by kommunkod here).
    let set = app
        .query_as(&admin, SET_TARGET, target("almhult", 10))
        .await;
    assert_eq!(
        set["setResponseTarget"]["municipality"],
        json!({ "slug": "almhult", "responseDays": 10 })
    );
    let set = app.query_as(&editor, SET_TARGET, target("1461", 7)).await;
    assert_eq!(
        set["setResponseTarget"]["municipality"],
        json!({ "slug": "mellerud", "responseDays": 7 })
    );
    assert_eq!(public_days(&app, "almhult").await, 10);
    assert_eq!(public_days(&app, "mellerud").await, 7);
    assert_eq!(target_audits(&app).await.len(), 2);

    // Refused, and nothing changes: another municipality, a recipient, no token, an
    // unknown municipality, and targets outside 1–60 working days.
    let refused = [
        (&editor, target("almhult", 3), "FORBIDDEN"),
        (&editor, target("asele", 3), "FORBIDDEN"),
        (&recipient, target("mellerud", 3), "FORBIDDEN"),
        (&admin, target("atlantis", 3), "NOT_FOUND"),
        (&admin, target("9999", 3), "NOT_FOUND"),
    ];
    for (token, variables, code) in refused {
        let body = app.graphql_as(token, SET_TARGET, variables.clone()).await;
        assert_eq!(error_codes(&body), [code], "{variables}: {body}");
    }
    assert_eq!(
        error_codes(&app.graphql(SET_TARGET, target("mellerud", 3)).await),
        ["UNAUTHENTICATED"]
    );
    for (token, days) in [(&admin, 0), (&admin, 61), (&editor, 0), (&editor, 61)] {
        let body = app
            .graphql_as(token, SET_TARGET, target("mellerud", days))
            .await;
        let ext = &body["errors"][0]["extensions"];
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{days}: {body}");
        assert_eq!(ext["field"], "workingDays", "{body}");
        assert_eq!(
            (ext["min"].clone(), ext["max"].clone()),
            (json!(1), json!(60))
        );
    }
    assert_eq!(public_days(&app, "almhult").await, 10);
    assert_eq!(public_days(&app, "mellerud").await, 7);
    assert_eq!(public_days(&app, "asele").await, 5);
    assert_eq!(
        target_audits(&app).await.len(),
        2,
        "refusals change nothing"
    );
    // The same target again is no change and no entry.
    app.query_as(&editor, SET_TARGET, target("mellerud", 7))
        .await;
    assert_eq!(target_audits(&app).await.len(), 2);

    // The audit log says who changed what, from what to what.
    let q = "{ auditLog(filter: { entityType: \"municipality\" }) { totalCount nodes { actor action entityType before after } } }";
    let log = app.query_as(&admin, q, json!({})).await;
    assert_eq!(log["auditLog"]["totalCount"], 2);
    let newest = &log["auditLog"]["nodes"][0];
    assert_eq!(newest["actor"], "Test");
    assert_eq!(newest["action"], "UPDATE");
    assert_eq!(newest["before"]["code"], "1461");
    assert_eq!(
        (
            newest["before"]["response_days"].clone(),
            newest["after"]["response_days"].clone()
        ),
        (json!(5), json!(7))
    );
    // A scoped admin reads its own municipality's entry only.
    let scoped = app.staff_token(StaffRole::Admin, &["mellerud"], None).await;
    let own = app.query_as(&scoped, q, json!({})).await;
    assert_eq!(own["auditLog"]["totalCount"], 1);
    assert_eq!(own["auditLog"]["nodes"][0]["after"]["code"], "1461");
}

#[tokio::test]
async fn a_new_response_target_applies_to_new_tips_only() {
    let clock = Clock::fixed(maundy_thursday());
    let app = spawn_app_with_clock(clock, quiet).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let (before, _) = submit(&app, json!({})).await;
    // Read (and cache) the public answer before the change.
    assert_eq!(public_days(&app, "mellerud").await, 5);

    app.query_as(
        &editor,
        SET_TARGET,
        json!({ "i": { "municipality": "mellerud", "workingDays": 3 } }),
    )
    .await;
    // The next public read shows it: neither the response cache nor the snapshot holds
    // the old value.
    assert_eq!(public_days(&app, "mellerud").await, 3);

    // Received on the Thursday before Easter: three working days skip långfredagen,
    // the weekend and annandag påsk, so the new tip is due on Thursday 1 April. The
    // tip accepted before keeps the due date it was given (Monday 5 April).
    let (after, token) = submit(&app, json!({})).await;
    let q = "query($r: String!) { tip(reference: $r) { dueOn } }";
    let due = |data: serde_json::Value| data["tip"]["dueOn"].clone();
    assert_eq!(
        due(app.query_as(&admin, q, json!({ "r": after })).await),
        "2027-04-01"
    );
    assert_eq!(
        due(app.query_as(&admin, q, json!({ "r": before })).await),
        "2027-04-05"
    );
    let status = app
        .query(
            "query($r: String!, $t: String!) { tipStatus(reference: $r, statusToken: $t) { responseDays dueOn } }",
            json!({ "r": after, "t": token }),
        )
        .await;
    assert_eq!(
        status["tipStatus"],
        json!({ "responseDays": 3, "dueOn": "2027-04-01" })
    );
}
