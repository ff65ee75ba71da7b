//! Tip intake end to end: the real server over HTTP, a real SMTP server over TCP.

use e2e::{
    Sent, TestApp, error_codes, eventually,
    smtp::SmtpSink,
    spawn_app_with,
    tips::{SUBMIT, contact_id, counts, distinct_ids, quick, submit, tip_input},
};
use entity::{DeliveryStatus, contact, delivery, tip};
use mail_parser::MessageParser;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, PaginatorTrait, Set};
use serde_json::{Value, json};

/// Every delivery row, once all of them are `SENT` (fails loudly otherwise).
async fn all_sent(app: &TestApp, expected: usize) -> Vec<delivery::Model> {
    eventually(&format!("{expected} deliveries marked SENT"), || async {
        let rows = delivery::Entity::find().all(&app.db).await.expect("rows");
        (rows.len() == expected && rows.iter().all(|d| d.status == DeliveryStatus::Sent))
            .then_some(rows)
    })
    .await
}

/// The delivery rows once every one of them is `DEAD`.
async fn all_dead(app: &TestApp) -> Vec<delivery::Model> {
    eventually("every delivery given up (DEAD)", || async {
        let rows = delivery::Entity::find().all(&app.db).await.expect("rows");
        (!rows.is_empty() && rows.iter().all(|d| d.status == DeliveryStatus::Dead)).then_some(rows)
    })
    .await
}

async fn focus_area_id(app: &TestApp, municipality: &str, title: &str) -> String {
    let data = app
        .query("query($m: String) { promises(filter: {municipality: $m}) { nodes { focusAreas { id title } } } }", json!({ "m": municipality }))
        .await;
    data["promises"]["nodes"][0]["focusAreas"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["title"] == title)
        .and_then(|f| f["id"].as_str().map(str::to_owned))
        .expect("focus area exists")
}

fn header_block(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_tip_reaches_the_kommunpolis_and_the_resident_gets_a_receipt() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| quick(c, Some(&smtp))).await;
    let body = submit(
        &app,
        json!({
            "municipality": "mellerud", "kind": "TIP",
            "message": "Det körs för fort på Storgatan vid skolan, särskilt på kvällarna. Går det att göra något åt?",
            "name": "Åsa Öberg", "email": "asa.oberg@exempel.se", "phone": "070-123 45 67", "wantsReply": true
        }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let payload = &body["data"]["submitTip"];
    let reference = payload["tip"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    assert!(
        reference.starts_with("MEL-") && reference.len() == 11,
        "{reference}"
    );
    assert_eq!(payload["tip"]["status"], "NEW");
    assert_eq!(payload["tip"]["kind"], "TIP");
    assert_eq!(payload["tip"]["municipality"]["name"], "Mellerud");
    assert_eq!(
        payload["tip"]["routedTo"],
        json!({ "name": "Erika Gustavsson", "role": "kommunpolis", "organisation": "Polismyndigheten" })
    );
    let notice = payload["notice"].as_str().expect("notice");
    assert!(
        notice.contains("112") && notice.contains("114 14") && notice.contains("polisen.se"),
        "{notice}"
    );
    assert!(
        !body.to_string().contains("polisen.example"),
        "contact emails stay private"
    );

    let messages = smtp.wait_for(2, e2e::PATIENCE).await;
    assert_eq!(messages.len(), 2);
    let parser = MessageParser::default();
    let parsed: Vec<_> = messages
        .iter()
        .map(|m| parser.parse(m).expect("parsable"))
        .collect();
    let to = |m: &mail_parser::Message| {
        m.to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned()
    };
    let contact_mail = parsed
        .iter()
        .find(|m| to(m) == "erika.gustavsson@polisen.example")
        .expect("mail to the kommunpolis");
    let receipt = parsed
        .iter()
        .find(|m| to(m) == "asa.oberg@exempel.se")
        .expect("receipt");

    assert_eq!(
        contact_mail.subject(),
        Some(format!("[Medborgarlöfte Mellerud] Tips {reference}").as_str())
    );
    let raw_headers = header_block(
        messages
            .iter()
            .find(|m| header_block(m).contains("erika.gustavsson"))
            .expect("raw"),
    );
    assert!(
        raw_headers.contains("Subject: =?"),
        "non-ASCII subject is RFC 2047 encoded: {raw_headers}"
    );
    assert!(raw_headers.is_ascii(), "headers are 7-bit: {raw_headers}");
    assert!(raw_headers.contains("Date: "), "{raw_headers}");
    let from = contact_mail.from().and_then(|a| a.first()).expect("from");
    assert_eq!(from.name(), Some("Medborgarlöften"));
    let to_name = contact_mail
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .unwrap_or_default();
    assert_eq!(to_name, "Erika Gustavsson");
    let reply_to = contact_mail
        .reply_to()
        .and_then(|a| a.first())
        .expect("reply-to");
    assert_eq!(reply_to.address(), Some("asa.oberg@exempel.se"));
    assert_eq!(reply_to.name(), Some("Åsa Öberg"));
    let id = contact_mail.message_id().expect("message id");
    assert!(
        id.starts_with("delivery-") && id.ends_with("@medborgarloften.example"),
        "{id}"
    );
    let text = contact_mail.body_text(0).expect("text part");
    assert!(text.contains("särskilt på kvällarna"), "{text}");
    assert!(
        text.contains("Åsa Öberg") && text.contains("070-123 45 67"),
        "{text}"
    );
    assert!(
        text.contains("Du tar emot tips för kommunen"),
        "routing reason: {text}"
    );
    assert!(
        contact_mail
            .body_html(0)
            .expect("html part")
            .contains("särskilt på kvällarna")
    );

    assert_eq!(
        receipt.subject().map(|s| s.contains(&reference)),
        Some(true)
    );
    let receipt_text = receipt.body_text(0).expect("text");
    assert!(receipt_text.contains(&reference));
    assert!(
        receipt_text.contains("Erika Gustavsson (kommunpolis)"),
        "{receipt_text}"
    );
    assert!(receipt_text.contains("112"));
    assert!(
        !receipt_text.contains("Storgatan"),
        "the receipt holds nothing beyond the reference: {receipt_text}"
    );
    assert_ne!(receipt.message_id(), contact_mail.message_id());

    // Both deliveries are marked sent.
    let rows = all_sent(&app, 2).await;
    assert!(rows.iter().all(|d| d.sent_at.is_some()), "{rows:?}");
}

#[tokio::test]
async fn without_smtp_the_email_is_written_to_the_mail_folder() {
    let dir = tempfile::tempdir().expect("dir");
    let mail_dir = dir.path().join("mail");
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.mail_dir = mail_dir.clone();
    })
    .await;
    let body = submit(
        &app,
        tip_input("1461", "Belysningen vid gång- och cykelvägen är trasig."),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    all_sent(&app, 1).await;
    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let raw = std::fs::read(&files[0]).expect("read");
    let parsed = MessageParser::default().parse(&raw).expect("parsable");
    assert!(
        parsed
            .subject()
            .unwrap_or_default()
            .starts_with("[Medborgarlöfte Mellerud] Tips MEL-")
    );
}

#[tokio::test]
async fn routing_follows_recipient_focus_area_and_fallback() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let glenn = contact_id(&app, "Glenn Nordling").await;
    let body = submit(&app, json!({ "municipality": "mellerud", "kind": "IDEA", "message": "Fler vuxna ute på helgerna vore bra.", "recipient": glenn })).await;
    assert_eq!(
        body["data"]["submitTip"]["tip"]["routedTo"]["name"], "Glenn Nordling",
        "{body}"
    );

    let samverkan = focus_area_id(&app, "almhult", "Samverkan").await;
    let body = submit(&app, json!({ "municipality": "almhult", "kind": "OPINION", "message": "Bra att ni startar ett brottsförebyggande råd.", "concerns": samverkan })).await;
    assert_eq!(
        body["data"]["submitTip"]["tip"]["routedTo"]["name"], "Håkan Helgesson",
        "{body}"
    );
    let synlighet = focus_area_id(&app, "0765", "Synlighet").await;
    let body = submit(&app, json!({ "municipality": "0765", "kind": "OPINION", "message": "Polisen borde synas mer i skolorna.", "concerns": synlighet })).await;
    assert_eq!(
        body["data"]["submitTip"]["tip"]["routedTo"]["name"], "Staffan Käll",
        "{body}"
    );
    let body = submit(
        &app,
        tip_input("almhult", "Ett allmänt tips om trafiken i centrum."),
    )
    .await;
    assert_eq!(
        body["data"]["submitTip"]["tip"]["routedTo"]["name"], "Staffan Käll",
        "{body}"
    );

    // Pages that name nobody fall back to the municipality's placeholder mailbox.
    let body = submit(
        &app,
        tip_input("asele", "Det behövs fler trafikkontroller i Åsele."),
    )
    .await;
    assert_eq!(
        body["data"]["submitTip"]["tip"]["routedTo"]["name"], "Åsele kommun",
        "{body}"
    );
}

#[tokio::test]
async fn an_unroutable_tip_is_kept() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    for c in contact::Entity::find()
        .all(&app.db)
        .await
        .expect("contacts")
    {
        let mut am = c.into_active_model();
        am.email = Set(None);
        am.update(&app.db).await.expect("update");
    }
    let body = submit(&app, json!({ "municipality": "mellerud", "kind": "TIP", "message": "Ingen kan ta emot det här just nu.", "email": "boende@exempel.se" })).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["submitTip"]["tip"]["status"], "UNROUTED");
    assert_eq!(body["data"]["submitTip"]["tip"]["routedTo"], Value::Null);
    let tips = tip::Entity::find().all(&app.db).await.expect("tips");
    assert_eq!(tips.len(), 1);
    assert_eq!(tips[0].routing_reason, "UNROUTED");
    // Only the receipt is queued.
    let deliveries = delivery::Entity::find().all(&app.db).await.expect("rows");
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].recipient_email, "boende@exempel.se");
}

#[tokio::test]
async fn invalid_tips_are_refused_and_change_nothing() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| quick(c, Some(&smtp))).await;
    let staffan = contact_id(&app, "Staffan Käll").await;
    let almhult_area = focus_area_id(&app, "almhult", "Trygghet").await;
    let ok = "Ett tips som är tillräckligt långt.";
    let cases = vec![
        (
            json!({ "municipality": "atlantis", "kind": "TIP", "message": ok }),
            "municipality",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "recipient": staffan }),
            "recipient",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "recipient": "bm9wZQ" }),
            "recipient",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "concerns": almhult_area }),
            "concerns",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": "  för kort  " }),
            "message",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": "ö".repeat(5001) }),
            "message",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "email": "inte-en-adress" }),
            "email",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "email": "a@b.se\r\nBcc: x@y.se" }),
            "email",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "phone": "ring mig" }),
            "phone",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "name": "Eve\r\nBcc: evil@example.com" }),
            "name",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "name": "Tab\tname" }),
            "name",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "wantsReply": true }),
            "wantsReply",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": "Meddelande med \u{0007} klocka" }),
            "message",
        ),
        (
            json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "idempotencyKey": "" }),
            "idempotencyKey",
        ),
    ];
    for (input, field) in cases {
        let body = submit(&app, input.clone()).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{input}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{input}: {body}"
        );
    }
    let body = submit(
        &app,
        json!({ "municipality": "mellerud", "kind": "GOSSIP", "message": ok }),
    )
    .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    // No delivery row exists, so nothing can ever be sent.
    assert_eq!(counts(&app).await, (0, 0), "nothing stored");
    assert!(smtp.messages().is_empty(), "nothing sent");
}

#[tokio::test]
async fn header_injection_through_the_message_is_harmless() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| quick(c, Some(&smtp))).await;
    let message = "Hej\r\nBcc: evil@example.com\r\nSubject: hacked\r\n\r\n<script>alert('x')</script> & mer text";
    let body = submit(&app, json!({ "municipality": "mellerud", "kind": "TIP", "message": message, "name": "Robert'); DROP TABLE tip;--" })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let messages = smtp.wait_for(1, e2e::PATIENCE).await;
    assert_eq!(messages.len(), 1);
    let headers = header_block(&messages[0]);
    assert!(!headers.to_lowercase().contains("bcc:"), "{headers}");
    assert!(!headers.contains("hacked"), "{headers}");
    let parsed = MessageParser::default()
        .parse(&messages[0])
        .expect("parsable");
    assert!(
        parsed
            .subject()
            .unwrap_or_default()
            .starts_with("[Medborgarlöfte Mellerud] Tips ")
    );
    let html = parsed.body_html(0).expect("html");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        parsed
            .body_text(0)
            .expect("text")
            .contains("<script>alert('x')</script>")
    );
    assert_eq!(tip::Entity::find().count(&app.db).await.expect("count"), 1);
}

#[tokio::test]
async fn idempotent_replay_and_conflict() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| quick(c, Some(&smtp))).await;
    let input = json!({ "municipality": "mellerud", "kind": "IDEA", "message": "Ordna en trygghetsvandring i centrum.", "idempotencyKey": "3f9d7a4e-1111-4a6b-9c2d-000000000001" });
    let first = submit(&app, input.clone()).await;
    let second = submit(&app, input.clone()).await;
    assert!(first.get("errors").is_none(), "{first}");
    assert_eq!(
        first["data"], second["data"],
        "the replay returns the original payload"
    );
    assert_eq!(counts(&app).await, (1, 1));
    let mut changed = input.clone();
    changed["message"] = json!("Ett helt annat meddelande med samma nyckel.");
    let conflict = submit(&app, changed).await;
    assert_eq!(error_codes(&conflict), ["IDEMPOTENCY_CONFLICT"]);
    assert_eq!(counts(&app).await, (1, 1));
    all_sent(&app, 1).await;
    assert_eq!(smtp.messages().len(), 1, "one email, not two");
}

async fn post_from(app: &TestApp, forwarded_for: Option<&str>, input: Value) -> reqwest::Response {
    let mut request = app
        .post("/graphql")
        .json(&json!({ "query": SUBMIT, "variables": { "input": input } }));
    if let Some(xff) = forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    request.sent().await
}

#[tokio::test]
async fn rate_limits_are_exact_and_not_fooled_by_forwarded_headers() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.tip_limit_per_ip = 3;
    })
    .await;
    for i in 0..3 {
        let response = post_from(
            &app,
            Some(&format!("198.51.100.{i}")),
            tip_input("mellerud", "Ett tips bland flera i rad."),
        )
        .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        assert!(body.get("errors").is_none(), "{body}");
    }
    // A spoofed X-Forwarded-For from an untrusted peer changes nothing.
    let response = post_from(
        &app,
        Some("203.0.113.77"),
        tip_input("mellerud", "Ett fjärde tips som ska stoppas."),
    )
    .await;
    let (retry_after, _) = assert_rate_limited(response).await;
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    assert_eq!(counts(&app).await.0, 3, "nothing stored when limited");
    // Queries are not throttled.
    let data = app
        .query("{ municipalities { totalCount } }", json!({}))
        .await;
    assert_eq!(data["municipalities"]["totalCount"], 6);
}

#[tokio::test]
async fn trusted_proxies_pass_on_the_client_address() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.tip_limit_per_ip = 1;
        c.trusted_proxies = "127.0.0.1/32".into();
    })
    .await;
    for client in ["198.51.100.1", "198.51.100.2"] {
        let response = post_from(
            &app,
            Some(&format!("6.6.6.6, {client}")),
            tip_input("orust", "Ett tips via en proxy i kedjan."),
        )
        .await;
        assert_eq!(response.status(), 200, "{client}");
    }
    let response = post_from(
        &app,
        Some("1.1.1.1, 198.51.100.1"),
        tip_input("orust", "Samma klient igen via proxyn."),
    )
    .await;
    assert_eq!(response.status(), 429);
}

#[tokio::test]
async fn the_per_ip_window_is_shared_through_the_database() {
    let first = spawn_app_with(|c| {
        quick(c, None);
        c.tip_limit_per_ip = 2;
    })
    .await;
    let url = first.database_url.clone();
    let second = spawn_app_with(|c| {
        quick(c, None);
        c.tip_limit_per_ip = 2;
        c.database_url = url;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            post_from(
                &first,
                None,
                tip_input("tjorn", "Tips till den första repliken.")
            )
            .await
            .status(),
            200
        );
    }
    // The second replica has never seen this client, but the database has.
    let response = post_from(
        &second,
        None,
        tip_input("tjorn", "Tips till den andra repliken."),
    )
    .await;
    assert_eq!(response.status(), 429);
    let hashes: Vec<Option<String>> = tip::Entity::find()
        .all(&first.db)
        .await
        .expect("tips")
        .into_iter()
        .map(|t| t.ip_hash)
        .collect();
    assert_eq!(hashes.len(), 2);
    assert!(hashes.iter().all(|h| {
        h.as_deref()
            .is_some_and(|h| h.len() == 64 && !h.contains("127.0.0.1"))
    }));
}

#[tokio::test]
async fn tips_accepted_while_smtp_is_down_are_delivered_once_it_is_back() {
    let smtp = SmtpSink::start();
    smtp.set_down(true);
    let app = spawn_app_with(|c| {
        quick(c, Some(&smtp));
        // The outage may outlast ten fast retries on a busy machine; this test is about
        // recovery, not about giving up (see `a_delivery_that_keeps_failing_is_given_up_with_its_last_error`).
        c.delivery_max_attempts = 10_000;
    })
    .await;
    for i in 0..50 {
        let body = submit(
            &app,
            tip_input(
                "mellerud",
                &format!("Tips nummer {i} medan e-posten ligger nere."),
            ),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    eventually("attempts made and failed while SMTP is down", || async {
        let rows = delivery::Entity::find().all(&app.db).await.expect("rows");
        rows.iter()
            .any(|d| d.attempts >= 1 && d.last_error.is_some())
            .then_some(())
    })
    .await;
    assert!(smtp.messages().is_empty());

    smtp.set_down(false);
    all_sent(&app, 50).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 50, "every tip delivered exactly once");
    assert_eq!(distinct_ids(&messages).len(), 50);
}

#[tokio::test]
async fn a_crashed_server_leaves_nothing_stuck() {
    let smtp = SmtpSink::start();
    smtp.set_hang(true);
    let dir = tempfile::tempdir().expect("dir");
    let mut config = e2e::test_config(dir.path()).await.expect("config");
    quick(&mut config, Some(&smtp));
    // Longer than a hung send takes to time out, so the kill finds leases held.
    config.delivery_lease_secs = 5;
    config.smtp_timeout_secs = 4;
    let database_url = config.database_url.clone();

    // The first server runs on its own runtime so it can be killed without any shutdown.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (kill_tx, kill_rx) = std::sync::mpsc::channel::<()>();
    let crashed = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let app = rt
            .block_on(server::app::Application::build(&config))
            .expect("build");
        let _ = addr_tx.send(app.local_addr());
        rt.spawn(app.run_until(std::future::pending()));
        let _ = kill_rx.recv();
        rt.shutdown_background();
    });
    let addr = addr_rx.recv().expect("address");
    for i in 0..10 {
        let input = tip_input("mellerud", &format!("Tips {i} före kraschen."));
        let body = e2e::graphql_at(addr, SUBMIT, json!({ "input": input })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    // A separate connection pool: the crashed server's dies with its runtime.
    let (db, _) = server::db::connect(&database_url, 2).await.expect("db");
    let leased_now = || async {
        let rows = delivery::Entity::find().all(&db).await.expect("rows");
        e2e::tips::leased_now(rows, None)
    };
    // Kill the server while its worker holds leases and hangs in the middle of sending:
    // at once when they are seen, as each timed-out attempt releases its lease for a
    // moment before the next claim.
    let leasing = eventually("the first server's worker leasing deliveries", || async {
        let leased = leased_now().await;
        (!leased.is_empty()).then_some(leased)
    })
    .await;
    kill_tx.send(()).expect("kill");
    crashed.join().expect("killed");
    assert!(
        !leasing.is_empty(),
        "no lease was held just before the server died"
    );
    // The leases it held as it died (nothing has run on the database since).
    let held =
        e2e::tips::held_at_death(delivery::Entity::find().all(&db).await.expect("rows"), None);
    smtp.set_hang(false);

    let second = spawn_app_with(|c| {
        quick(c, Some(&smtp));
        c.database_url = database_url;
    })
    .await;
    let rows = all_sent(&second, 10).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 10, "every tip delivered exactly once");
    assert_eq!(distinct_ids(&messages).len(), 10);
    // The second server left the dead server's rows alone until their lease ran out,
    // then claimed them as a worker of its own.
    e2e::tips::assert_waited_for_leases(&held, &rows);
}

#[tokio::test]
async fn two_servers_on_one_database_send_each_delivery_once() {
    let smtp = SmtpSink::start();
    let first = spawn_app_with(|c| quick(c, Some(&smtp))).await;
    let url = first.database_url.clone();
    let second = spawn_app_with(|c| {
        quick(c, Some(&smtp));
        c.database_url = url;
    })
    .await;
    for i in 0..200 {
        let app = if i % 2 == 0 { &first } else { &second };
        let body = submit(
            app,
            tip_input("almhult", &format!("Tips {i} till två servrar samtidigt.")),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    all_sent(&first, 200).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 200, "each delivery sent exactly once");
    assert_eq!(distinct_ids(&messages).len(), 200);
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_given_up_with_its_last_error() {
    let smtp = SmtpSink::start();
    smtp.set_down(true);
    let app = spawn_app_with(|c| {
        quick(c, Some(&smtp));
        c.delivery_max_attempts = 3;
    })
    .await;
    let body = submit(&app, tip_input("orust", "Ett tips som aldrig kommer fram.")).await;
    assert!(body.get("errors").is_none(), "{body}");
    let rows = all_dead(&app).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.attempts, 3);
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("421")),
        "{:?}",
        row.last_error
    );
    assert!(row.sent_at.is_none());
    // The tip itself is kept.
    assert_eq!(tip::Entity::find().count(&app.db).await.expect("count"), 1);
}

#[tokio::test]
async fn staff_reroute_a_tip_and_resend_given_up_email() {
    let smtp = SmtpSink::start();
    smtp.set_down(true);
    let app = spawn_app_with(|c| {
        quick(c, Some(&smtp));
        c.delivery_max_attempts = 1;
    })
    .await;
    let body = submit(
        &app,
        tip_input("mellerud", "Ett tips som först går till kommunpolisen."),
    )
    .await;
    let reference = body["data"]["submitTip"]["tip"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let admin = server::service::staff::create_token(
        &app.db,
        "Handläggare",
        entity::StaffRole::Admin,
        &[],
        None,
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .expect("token")
    .secret;
    // The only attempt fails: the delivery is given up.
    assert_eq!(all_dead(&app).await.len(), 1);
    assert!(smtp.messages().is_empty());
    smtp.set_down(false);
    let resend = "mutation($r: String!) { resendTipDeliveries(reference: $r) { tip { reference deliveries { status attempts lastError } } } }";
    let body = app
        .graphql_as(&admin, resend, json!({ "r": reference }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    // The reply is this tip with its given-up delivery queued again (the woken worker
    // may already have sent it by the time the reply is read).
    let tip = &body["data"]["resendTipDeliveries"]["tip"];
    assert_eq!(tip["reference"], reference.as_str(), "{body}");
    let deliveries = tip["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 1, "{body}");
    assert!(
        ["PENDING", "SENT"].contains(&deliveries[0]["status"].as_str().unwrap_or_default()),
        "no longer DEAD: {body}"
    );
    let messages = smtp.wait_for(1, e2e::PATIENCE).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(all_sent(&app, 1).await.len(), 1);

    let glenn = contact_id(&app, "Glenn Nordling").await;
    let staffan = contact_id(&app, "Staffan Käll").await;
    let reroute = "mutation($i: RerouteTipInput!) { rerouteTip(input: $i) { tip { routedTo history { note } } } }";
    let wrong = app
        .graphql_as(
            &admin,
            reroute,
            json!({ "i": { "reference": reference, "contact": staffan } }),
        )
        .await;
    assert_eq!(
        error_codes(&wrong),
        ["BAD_USER_INPUT"],
        "a contact of another municipality"
    );
    let body = app.graphql_as(&admin,
        reroute,
        json!({ "i": { "reference": reference, "contact": glenn, "note": "Gäller folkhälsa." } }),
    )
    .await;
    assert_eq!(
        body["data"]["rerouteTip"]["tip"]["routedTo"], "Glenn Nordling",
        "{body}"
    );
    let history = body["data"]["rerouteTip"]["tip"]["history"].to_string();
    assert!(
        history.contains("Skickat vidare till Glenn Nordling")
            && history.contains("Gäller folkhälsa."),
        "{history}"
    );
    let messages = smtp.wait_for(2, e2e::PATIENCE).await;
    let parsed = MessageParser::default()
        .parse(&messages[1])
        .expect("parsable");
    assert_eq!(
        parsed.to().and_then(|a| a.first()).and_then(|a| a.name()),
        Some("Glenn Nordling")
    );
    assert!(
        parsed
            .body_text(0)
            .expect("text")
            .contains("En handläggare har skickat tipset vidare till dig.")
    );
}

/// A 429 with `Retry-After` and `RATE_LIMITED` carrying the same seconds; returns them
/// and the body.
async fn assert_rate_limited(response: reqwest::Response) -> (u64, Value) {
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 1, "{retry_after}");
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_codes(&body), ["RATE_LIMITED"], "{body}");
    assert!(
        body["data"].is_null() || body["data"]["submitTip"].is_null(),
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64(),
        Some(retry_after)
    );
    (retry_after, body)
}

#[tokio::test]
async fn the_global_ceiling_stops_new_clients_too_and_stores_nothing() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.tip_limit_global = 3;
        // A day, so the ceiling cannot refill a tip while a slow machine runs the test:
        // one tip every 8 hours.
        c.tip_limit_global_window_secs = 86_400;
        c.trusted_proxies = "127.0.0.1/32".into();
    })
    .await;
    // Three clients, one tip each: no per-client limit is anywhere near.
    let first_sent = std::time::Instant::now();
    for i in 0..3 {
        let response = post_from(
            &app,
            Some(&format!("198.51.100.{i}")),
            tip_input("orust", "Ett tips från en av många boende."),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(counts(&app).await, (3, 3));
    // A client never seen before meets the ceiling.
    let response = post_from(
        &app,
        Some("203.0.113.9"),
        tip_input("orust", "Ett tips när taket är nått."),
    )
    .await;
    let (retry_after, _) = assert_rate_limited(response).await;
    // The next tip fits when the first of the three has been refilled: 8 hours after
    // the first was spent, rounded up to whole seconds.
    let refill = 86_400 / 3;
    let elapsed = first_sent.elapsed().as_secs();
    assert!(
        (refill - elapsed - 1..=refill).contains(&retry_after),
        "{retry_after} s, {elapsed} s after the first tip"
    );
    assert_eq!(counts(&app).await, (3, 3), "nothing stored, nothing queued");
}

#[tokio::test]
async fn the_per_email_limit_stops_one_address_from_any_client_and_stores_nothing() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.tip_limit_per_email = 2;
        c.trusted_proxies = "127.0.0.1/32".into();
    })
    .await;
    let with_email = |email: &str| {
        let mut input = tip_input("tjorn", "Ett tips med en adress för kvittot.");
        input["email"] = json!(email);
        input
    };
    for i in 0..2 {
        let response = post_from(
            &app,
            Some(&format!("198.51.100.{i}")),
            with_email("samma.boende@exempel.se"),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    // Each accepted tip queued the contact's email and the receipt.
    assert_eq!(counts(&app).await, (2, 4));
    let response = post_from(
        &app,
        Some("198.51.100.77"),
        with_email("samma.boende@exempel.se"),
    )
    .await;
    assert_rate_limited(response).await;
    assert_eq!(counts(&app).await, (2, 4), "nothing stored, nothing queued");
    // The limit is the address's, not the clients' or the service's.
    let response = post_from(
        &app,
        Some("198.51.100.77"),
        with_email("en.annan@exempel.se"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(counts(&app).await, (3, 6));
}

#[tokio::test]
async fn a_relay_that_never_answers_fails_the_attempt_within_the_smtp_timeout() {
    let smtp = SmtpSink::start();
    smtp.set_hang(true);
    let app = spawn_app_with(|c| {
        quick(c, Some(&smtp));
        // Shorter than the relay hangs (5 s), so the attempt ends by the timeout.
        c.smtp_timeout_secs = 2;
    })
    .await;
    let body = submit(&app, tip_input("orust", "Ett tips medan reläet hänger.")).await;
    assert!(body.get("errors").is_none(), "{body}");
    // The hung attempt ends as a retryable failure instead of holding the worker.
    let row = eventually("the hung attempt failing with a timeout", || async {
        let rows = delivery::Entity::find().all(&app.db).await.expect("rows");
        rows.into_iter().find(|d| {
            d.status == DeliveryStatus::Pending
                && d.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("timeout"))
        })
    })
    .await;
    assert!(row.attempts >= 1, "{row:?}");
    assert!(smtp.messages().is_empty());
    smtp.set_hang(false);
    all_sent(&app, 1).await;
    assert_eq!(smtp.messages().len(), 1);
}
