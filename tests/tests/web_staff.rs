//! The staff inbox over plain HTTP: an account invited at the command line signs in from
//! the link in the actual email, sees only the tips in its scope, marks one handled and
//! the resident's status page follows; links are single use, sessions end on sign-out and
//! when idle, CSRF tokens and sign-in limits are enforced.

use std::{path::Path, time::Duration};

use e2e::{
    Sent, TestApp, eventually, spawn_app_with,
    tips::{quiet, reference, status_token, submit, tip_input},
};
use reqwest::{StatusCode, redirect::Policy};
use server::cli::{Command, Scope, StaffCommand};

/// A browser without redirects or a cookie jar: the test carries the cookie itself.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

async fn invite(app: &TestApp, email: &str, role: &str, municipality: &str) {
    let config = server::config::Config {
        database_url: app.database_url.clone(),
        ..server::config::Config::default()
    };
    let mut out = Vec::new();
    server::cli::run_with_output(
        Command::Staff(StaffCommand::Invite {
            email: email.into(),
            scope: Scope {
                role: role.into(),
                municipalities: vec![municipality.into()],
                contact: None,
            },
        }),
        config,
        &mut out,
    )
    .await
    .expect("invite");
}

/// Every sign-in link mailed to `email` so far, from the mail folder.
fn links(dir: &Path, email: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let raw: Vec<Vec<u8>> = entries
        .flatten()
        .map(|entry| std::fs::read(entry.path()).expect("mail"))
        .collect();
    links_in(&raw, email, "/staff/logga-in/")
}

/// The plain texts of the messages addressed to `email`.
fn texts_to(raw: &[Vec<u8>], email: &str) -> Vec<String> {
    raw.iter()
        .filter_map(|raw| mail_parser::MessageParser::default().parse(raw))
        .filter(|message| {
            message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .is_some_and(|a| a == email)
        })
        .map(|message| message.body_text(0).unwrap_or_default().to_string())
        .collect()
}

/// The paths (from `marker` on, up to white space) in the messages to `email`.
fn links_in(raw: &[Vec<u8>], email: &str, marker: &str) -> Vec<String> {
    texts_to(raw, email)
        .into_iter()
        .filter_map(|text| {
            let i = text.find(marker)?;
            let rest = &text[i..];
            let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
            Some(rest[..end].to_owned())
        })
        .collect()
}

async fn request_link(app: &TestApp, email: &str) -> (StatusCode, String) {
    let r = client()
        .post(app.url("/staff/logga-in"))
        .form(&[("email", email)])
        .send()
        .await
        .expect("post");
    (r.status(), r.text().await.expect("body"))
}

async fn link_for(app: &TestApp, dir: &Path, email: &str) -> String {
    let before = links(dir, email).len();
    let (status, _) = request_link(app, email).await;
    assert_eq!(status, StatusCode::OK);
    eventually("the sign-in email", || async {
        let all = links(dir, email);
        (all.len() > before)
            .then(|| all.into_iter().last())
            .flatten()
    })
    .await
}

/// Sign in from a link: the cookie header to send, and the raw `Set-Cookie`.
async fn sign_in(app: &TestApp, path: &str) -> (String, String) {
    let r = client().post(app.url(path)).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in redirects");
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    let pair = set.split(';').next().unwrap_or_default().to_owned();
    (pair, set)
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = client()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .expect("get");
    (r.status(), r.text().await.expect("body"))
}

fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 64].to_owned()
}

async fn post_form(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> StatusCode {
    client()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .expect("post")
        .status()
}

async fn app_in(dir: &Path, adjust: impl FnOnce(&mut server::config::Config)) -> TestApp {
    let mail = dir.to_path_buf();
    spawn_app_with(move |c| {
        quiet(c);
        c.mail_dir = mail;
        adjust(c);
    })
    .await
}

#[tokio::test]
async fn a_recipient_signs_in_from_the_email_marks_a_tip_handled_and_the_resident_sees_it() {
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    invite(&app, "polis@mellerud.se", "recipient", "mellerud").await;
    invite(&app, "annan@orust.se", "recipient", "orust").await;
    let body = submit(&app, tip_input("mellerud", "Bilar kör för fort vid skolan")).await;
    let reference = reference(&body);
    let token = status_token(&body);

    // The GET shows one button and signs nobody in.
    let link = link_for(&app, mail.path(), "polis@mellerud.se").await;
    let r = client().get(app.url(&link)).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers().get("set-cookie").is_none(),
        "GET does not sign in"
    );
    let html = r.text().await.expect("body");
    assert!(html.contains(">Logga in</button>"), "{html}");
    let (cookie, set) = sign_in(&app, &link).await;
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/staff"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http base: {set}");
    // Single use.
    let again = client().post(app.url(&link)).send().await.expect("post");
    assert_eq!(again.status(), StatusCode::GONE);

    let (status, inbox) = page(&app, &cookie, "/staff").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        inbox.contains(&format!("/staff/tips/{reference}")),
        "{inbox}"
    );
    let (status, tip) = page(&app, &cookie, &format!("/staff/tips/{reference}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tip.contains("Bilar kör för fort vid skolan"));
    let csrf = csrf(&tip);
    let path = format!("/staff/tips/{reference}/status");
    // Without the CSRF token: refused, nothing changes.
    assert_eq!(
        post_form(&app, &cookie, &path, &[("status", "IN_PROGRESS")]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_form(
            &app,
            &cookie,
            &path,
            &[("status", "IN_PROGRESS"), ("csrf", "0".repeat(64).as_str())]
        )
        .await,
        StatusCode::FORBIDDEN
    );
    let (_, tip) = page(&app, &cookie, &format!("/staff/tips/{reference}")).await;
    assert!(tip.contains("<dd>Ny</dd>"), "unchanged: {tip}");
    for to in ["IN_PROGRESS", "HANDLED"] {
        assert_eq!(
            post_form(
                &app,
                &cookie,
                &path,
                &[("status", to), ("csrf", &csrf), ("note", "Kontrollerat")]
            )
            .await,
            StatusCode::SEE_OTHER
        );
    }
    let (_, tip) = page(&app, &cookie, &format!("/staff/tips/{reference}")).await;
    assert!(tip.contains("<dd>Hanterad</dd>"), "{tip}");
    let status_page = app
        .get(&format!("/status?referens={reference}&kod={token}"))
        .sent()
        .await
        .text()
        .await
        .expect("body");
    assert!(status_page.contains("Hanterad"), "{status_page}");
    // And so does the API's tipStatus, from the same row.
    let over_graphql = app
        .query(
            "query($r: String!, $t: String!) { tipStatus(reference: $r, statusToken: $t) { status handledAt } }",
            serde_json::json!({ "r": reference, "t": token }),
        )
        .await;
    assert_eq!(over_graphql["tipStatus"]["status"], "HANDLED");
    assert!(over_graphql["tipStatus"]["handledAt"].is_string());

    // A recipient of another municipality sees nothing and gets 404 on the tip.
    let other = link_for(&app, mail.path(), "annan@orust.se").await;
    let (other_cookie, _) = sign_in(&app, &other).await;
    let (_, other_inbox) = page(&app, &other_cookie, "/staff").await;
    assert!(!other_inbox.contains(&reference), "{other_inbox}");
    let (status, _) = page(&app, &other_cookie, &format!("/staff/tips/{reference}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Sign-out ends the session on the server: the old cookie no longer works.
    assert_eq!(
        post_form(&app, &cookie, "/staff/logga-ut", &[("csrf", &csrf)]).await,
        StatusCode::SEE_OTHER
    );
    let (status, _) = page(&app, &cookie, "/staff").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
}

#[tokio::test]
async fn unknown_addresses_get_the_same_answer_and_no_email() {
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    invite(&app, "polis@mellerud.se", "recipient", "mellerud").await;
    let (known_status, known) = request_link(&app, "polis@mellerud.se").await;
    let (unknown_status, unknown) = request_link(&app, "okand@mellerud.se").await;
    assert_eq!((known_status, known), (unknown_status, unknown));
    eventually("the known address's email", || async {
        (!links(mail.path(), "polis@mellerud.se").is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(links(mail.path(), "okand@mellerud.se").is_empty());
}

#[tokio::test]
async fn an_expired_link_does_not_sign_in() {
    use sea_orm::EntityTrait;
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    invite(&app, "polis@mellerud.se", "recipient", "mellerud").await;
    let link = link_for(&app, mail.path(), "polis@mellerud.se").await;
    let past = chrono::Utc::now() - chrono::Duration::minutes(16);
    entity::staff_login_link::Entity::update_many()
        .col_expr(
            entity::staff_login_link::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(past + chrono::Duration::minutes(15)),
        )
        .exec(&app.db)
        .await
        .expect("age the link");
    let r = client().get(app.url(&link)).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::GONE);
    let r = client().post(app.url(&link)).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn an_idle_session_ends() {
    use entity::staff_session;
    use sea_orm::{EntityTrait, sea_query::Expr};
    // Time passes in the database: the session's last activity is moved back, so no
    // wall-clock wait has to fit inside the timeout on a slow machine.
    const IDLE: i64 = 600;
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |c| c.staff_session_idle_secs = IDLE as u64).await;
    let db = &app.db;
    let idle_since = |secs: i64| async move {
        let at = chrono::Utc::now() - chrono::Duration::seconds(secs);
        staff_session::Entity::update_many()
            .col_expr(staff_session::Column::LastSeenAt, Expr::value(at))
            .exec(db)
            .await
            .expect("last activity moved back");
        at
    };
    invite(&app, "polis@mellerud.se", "recipient", "mellerud").await;
    let link = link_for(&app, mail.path(), "polis@mellerud.se").await;
    let (cookie, _) = sign_in(&app, &link).await;
    assert_eq!(page(&app, &cookie, "/staff").await.0, StatusCode::OK);
    // Idle for half the timeout: still signed in, and the request counts as activity.
    let before = idle_since(IDLE / 2).await;
    assert_eq!(page(&app, &cookie, "/staff").await.0, StatusCode::OK);
    let sessions = staff_session::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].last_seen_at > before, "{sessions:?}");
    // Idle for longer than the timeout: the session has ended.
    idle_since(IDLE + 1).await;
    assert_eq!(page(&app, &cookie, "/staff").await.0, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_requests_are_limited_per_address_and_per_client() {
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |c| {
        c.staff_signin_limit_per_email = 2;
        c.staff_signin_limit_per_ip = 4;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            request_link(&app, "polis@mellerud.se").await.0,
            StatusCode::OK
        );
    }
    let (status, html) = request_link(&app, "polis@mellerud.se").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("För många försök"), "{html}");
    // Other addresses from the same client until the client's own limit (4) is spent.
    assert_eq!(request_link(&app, "a@mellerud.se").await.0, StatusCode::OK);
    assert_eq!(
        request_link(&app, "b@mellerud.se").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// The routed tip's own delivery row (its first email to a contact).
async fn contact_delivery(app: &TestApp, reference: &str) -> entity::delivery::Model {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let tip = entity::tip::Entity::find()
        .filter(entity::tip::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .expect("read")
        .expect("the tip");
    entity::delivery::Entity::find()
        .filter(entity::delivery::Column::TipId.eq(tip.id))
        .filter(entity::delivery::Column::Kind.eq(entity::DeliveryKind::Contact))
        .order_by_asc(entity::delivery::Column::Id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("a contact delivery")
}

async fn tip_row(app: &TestApp, reference: &str) -> entity::tip::Model {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::tip::Entity::find()
        .filter(entity::tip::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .expect("read")
        .expect("the tip")
}

#[tokio::test]
async fn the_routed_email_carries_the_inbox_link_and_it_opens_the_tip_after_sign_in() {
    let smtp = e2e::smtp::SmtpSink::start();
    let app = spawn_app_with(|c| e2e::tips::quick(c, Some(&smtp))).await;
    invite(&app, "polis@mellerud.se", "recipient", "mellerud").await;
    let body = submit(
        &app,
        tip_input("mellerud", "Mopeder kör på gångvägen vid ån"),
    )
    .await;
    let reference = reference(&body);
    let to = contact_delivery(&app, &reference).await.recipient_email;

    // The actual email, through the real SMTP test server: the inbox link is built from
    // the default public base (the address the server listens on).
    let raw = smtp.wait_for(1, e2e::PATIENCE).await;
    let texts = eventually("the tip email", || async {
        let texts = texts_to(&smtp.messages(), &to);
        (!texts.is_empty()).then_some(texts)
    })
    .await;
    assert!(!raw.is_empty());
    let expected = app.url(&format!("/staff/tips/{reference}"));
    assert!(
        texts[0].contains(&format!("Öppna ärendet i inkorgen: {expected}")),
        "{}",
        texts[0]
    );
    let link = links_in(&smtp.messages(), &to, "/staff/tips/")
        .into_iter()
        .next()
        .expect("a link");
    assert_eq!(app.url(&link), expected);

    // Not signed in: the link leads to the sign-in page, which leads back to the tip.
    let r = client().get(&expected).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let signin_page = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(signin_page, format!("/staff/logga-in?till={link}"));
    let (_, form) = page(&app, "", &signin_page).await;
    assert!(
        form.contains(&format!("action=\"/staff/logga-in?till={link}\"")),
        "{form}"
    );
    let r = client()
        .post(app.url(&format!("/staff/logga-in?till={link}")))
        .form(&[("email", "polis@mellerud.se")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    // The sign-in email (also through SMTP) carries the target; signing in opens the tip.
    let signin = eventually("the sign-in email", || async {
        links_in(&smtp.messages(), "polis@mellerud.se", "/staff/logga-in/")
            .into_iter()
            .next()
    })
    .await;
    assert!(signin.ends_with(&format!("?till={link}")), "{signin}");
    let (_, confirm) = page(&app, "", &signin).await;
    assert!(confirm.contains(&format!("{signin}\"")), "{confirm}");
    let r = client().post(app.url(&signin)).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], link.as_str());
    let set = r.headers()["set-cookie"].to_str().expect("cookie");
    let cookie = set.split(';').next().unwrap_or_default().to_owned();
    let (status, html) = page(&app, &cookie, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Mopeder kör på gångvägen vid ån"), "{html}");
}

#[tokio::test]
async fn sign_in_leads_back_only_to_tip_pages() {
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    invite(&app, "polis@mellerud.se", "recipient", "mellerud").await;
    for target in [
        "https://evil.example/",
        "//evil.example/staff/tips/X",
        "/staff/tips/../logga-ut",
        "/kommun/mellerud",
    ] {
        let (_, form) = page(&app, "", &format!("/staff/logga-in?till={target}")).await;
        assert!(
            form.contains("action=\"/staff/logga-in\""),
            "{target}: {form}"
        );
        let before: std::collections::HashSet<String> = links(mail.path(), "polis@mellerud.se")
            .into_iter()
            .collect();
        let r = client()
            .post(app.url("/staff/logga-in"))
            .query(&[("till", target)])
            .form(&[("email", "polis@mellerud.se")])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::OK);
        let link = eventually("the sign-in email", || async {
            links(mail.path(), "polis@mellerud.se")
                .into_iter()
                .find(|l| !before.contains(l))
        })
        .await;
        assert!(!link.contains("till"), "{target}: {link}");
        // Even sent straight to the button, a foreign target leads to the inbox.
        let r = client()
            .post(app.url(&link))
            .query(&[("till", target)])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/staff", "{target}");
    }
}

async fn signed_in(app: &TestApp, dir: &Path, email: &str, role: &str, m: &str) -> String {
    invite(app, email, role, m).await;
    let link = link_for(app, dir, email).await;
    sign_in(app, &link).await.0
}

#[tokio::test]
async fn a_reply_to_the_resident_is_sent_from_the_tip_page_and_shows_in_the_history() {
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    let cookie = signed_in(
        &app,
        mail.path(),
        "polis@mellerud.se",
        "recipient",
        "mellerud",
    )
    .await;
    let areas = app
        .query(
            "{ promises(filter: {municipality: \"mellerud\"}) { nodes { focusAreas { id title } } } }",
            serde_json::json!({}),
        )
        .await;
    let area = areas["promises"]["nodes"][0]["focusAreas"][0].clone();
    let mut input = tip_input("mellerud", "Gatlyktan vid torget är trasig");
    input["concerns"] = area["id"].clone();
    input["email"] = "anna@example.se".into();
    input["wantsReply"] = true.into();
    let body = submit(&app, input).await;
    let reference = reference(&body);
    let token = status_token(&body);
    let tip_path = format!("/staff/tips/{reference}");
    let (_, html) = page(&app, &cookie, &tip_path).await;
    assert!(html.contains("Svara invånaren"), "{html}");
    // What it concerns: the focus area the resident chose.
    let title = area["title"].as_str().expect("a focus area");
    assert!(
        html.contains(&format!("fokusområde {title}</dd>")),
        "{html}"
    );
    let csrf = csrf(&html);
    let path = format!("/staff/tips/{reference}/svara");

    // No token: refused, nothing sent.
    assert_eq!(
        post_form(
            &app,
            &cookie,
            &path,
            &[("message", "Tack, vi åtgärdar det.")]
        )
        .await,
        StatusCode::FORBIDDEN
    );
    // Empty: the page again with the error next to the field and in a summary.
    let r = client()
        .post(app.url(&path))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("message", "   ")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("class=\"error-summary\""), "{html}");
    assert!(html.contains("href=\"#reply-message\""), "{html}");
    assert!(html.contains("id=\"reply-fel\""), "{html}");
    assert!(html.contains("Skriv ett svar till invånaren."), "{html}");
    // Too long: the text typed stays.
    let long = "å".repeat(5001);
    let r = client()
        .post(app.url(&path))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("message", long.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Svaret får vara högst 5000 tecken."),
        "{html}"
    );
    assert!(html.contains(&long), "the text is kept");
    assert!(tip_row(&app, &reference).await.replied_at.is_none());

    assert_eq!(
        post_form(
            &app,
            &cookie,
            &path,
            &[("csrf", &csrf), ("message", "Tack! Lyktan lagas i veckan.")]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let (_, html) = page(&app, &cookie, &tip_path).await;
    assert!(
        html.contains("Svar skickat till invånaren via e-post."),
        "{html}"
    );
    assert!(
        html.contains("Svar till invånaren: Väntar på att skickas"),
        "{html}"
    );
    assert!(
        !html.contains("Tack! Lyktan lagas i veckan."),
        "the history says a reply was sent, not its text"
    );
    let status_page = app
        .get(&format!("/status?referens={reference}&kod={token}"))
        .sent()
        .await
        .text()
        .await
        .expect("body");
    assert!(status_page.contains("Ett svar skickades"), "{status_page}");

    // A tip without an email address has no reply form.
    let other =
        e2e::tips::reference(&submit(&app, tip_input("mellerud", "Klotter på skolans vägg")).await);
    let (_, html) = page(&app, &cookie, &format!("/staff/tips/{other}")).await;
    assert!(!html.contains("Svara invånaren"), "{html}");
}

#[tokio::test]
async fn the_inbox_filters_overdue_tips_on_the_application_clock_and_marks_them_in_words() {
    use chrono::TimeZone;
    let mail = tempfile::tempdir().expect("dir");
    // Monday 2027-03-01, 10:00 in Sweden; five working days later the tips are due.
    let start = chrono::Utc
        .with_ymd_and_hms(2027, 3, 1, 9, 0, 0)
        .single()
        .expect("time");
    let clock = server::clock::Clock::fixed(start);
    let dir = mail.path().to_path_buf();
    let app = e2e::spawn_app_with_clock(clock.clone(), move |c| {
        quiet(c);
        c.mail_dir = dir;
    })
    .await;
    let cookie = signed_in(
        &app,
        mail.path(),
        "polis@mellerud.se",
        "recipient",
        "mellerud",
    )
    .await;
    let late =
        reference(&submit(&app, tip_input("mellerud", "Bilar parkerar på trottoaren")).await);
    let answered =
        reference(&submit(&app, tip_input("mellerud", "Skräp vid badplatsen i sjön")).await);
    let due = tip_row(&app, &late).await.due_on.expect("a due date");

    let overdue_rows = |html: &str| {
        [&late, &answered]
            .into_iter()
            .filter(|r| html.contains(&format!("/staff/tips/{r}\"")))
            .cloned()
            .collect::<Vec<String>>()
    };
    let (_, html) = page(&app, &cookie, "/staff?forsenade=1").await;
    assert!(
        overdue_rows(&html).is_empty(),
        "nothing is late yet: {html}"
    );
    assert!(!html.contains("Försenad"), "{html}");

    // One tip is answered on the application's clock, a day before its due date.
    let day_before = start + chrono::Duration::days(3);
    clock.set(day_before);
    let (_, tip) = page(&app, &cookie, &format!("/staff/tips/{answered}")).await;
    let csrf = csrf(&tip);
    assert_eq!(
        post_form(
            &app,
            &cookie,
            &format!("/staff/tips/{answered}/status"),
            &[("csrf", &csrf), ("status", "IN_PROGRESS")]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let row = tip_row(&app, &answered).await;
    assert_eq!(
        row.answered_at,
        Some(day_before),
        "the app clock, not the wall clock"
    );
    assert_eq!(row.updated_at, day_before);

    // The day after the due date: the unanswered one is overdue, the answered one not.
    clock.set(
        chrono::Utc.from_utc_datetime(&due.and_hms_opt(9, 0, 0).expect("time"))
            + chrono::Duration::days(1),
    );
    let (status, html) = page(&app, &cookie, "/staff?forsenade=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(overdue_rows(&html), vec![late.clone()], "{html}");
    assert!(
        html.contains("<strong class=\"overdue\">Försenad</strong>"),
        "{html}"
    );
    assert!(
        html.contains("id=\"forsenade\" name=\"forsenade\" value=\"1\" checked"),
        "{html}"
    );
    // Combined with the status filter.
    let (_, html) = page(&app, &cookie, "/staff?status=IN_PROGRESS&forsenade=1").await;
    assert!(overdue_rows(&html).is_empty(), "{html}");
    let (_, html) = page(&app, &cookie, "/staff").await;
    assert_eq!(overdue_rows(&html).len(), 2, "{html}");
    // The tip page says so too, with its due date.
    let (_, html) = page(&app, &cookie, &format!("/staff/tips/{late}")).await;
    assert!(
        html.contains(&format!(
            "<dd>{due} <strong class=\"overdue\">Försenad</strong></dd>"
        )),
        "{html}"
    );
    assert!(html.contains("<dt>Gäller</dt>"), "{html}");
}

#[tokio::test]
async fn reroute_and_resend_work_from_the_tip_page() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    let cookie = signed_in(&app, mail.path(), "admin@mellerud.se", "admin", "mellerud").await;
    let reference = reference(
        &submit(
            &app,
            tip_input("mellerud", "Hastigheten på Storgatan är hög"),
        )
        .await,
    );
    let first = tip_row(&app, &reference).await.routed_contact_id;
    let tip_path = format!("/staff/tips/{reference}");
    let (_, html) = page(&app, &cookie, &tip_path).await;
    let csrf = csrf(&html);
    let select = &html[html
        .find("<select id=\"contact\"")
        .expect("reroute targets")..];
    let at = select.find("<option value=\"").expect("a target") + 15;
    let target: i32 = select[at..select[at..].find('"').expect("end") + at]
        .parse()
        .expect("an id");
    let path = format!("/staff/tips/{reference}/vidarebefordra");
    let target_s = target.to_string();
    assert_eq!(
        post_form(&app, &cookie, &path, &[("contact", &target_s)]).await,
        StatusCode::FORBIDDEN,
        "no CSRF token"
    );
    assert_eq!(tip_row(&app, &reference).await.routed_contact_id, first);
    assert_eq!(
        post_form(
            &app,
            &cookie,
            &path,
            &[
                ("csrf", &csrf),
                ("contact", &target_s),
                ("note", "Gäller trafiken")
            ]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        tip_row(&app, &reference).await.routed_contact_id,
        Some(target)
    );
    let (_, html) = page(&app, &cookie, &tip_path).await;
    assert!(html.contains("Skickat vidare till"), "{html}");
    assert!(html.contains("Gäller trafiken"), "{html}");

    // A given-up email can be queued again.
    assert!(!html.contains("/skicka-igen"), "nothing to resend yet");
    let mut dead = contact_delivery(&app, &reference).await.into_active_model();
    dead.status = Set(entity::DeliveryStatus::Dead);
    let dead = dead.update(&app.db).await.expect("give up");
    let (_, html) = page(&app, &cookie, &tip_path).await;
    assert!(html.contains("Kunde inte skickas"), "{html}");
    let resend = format!("/staff/tips/{reference}/skicka-igen");
    assert_eq!(
        post_form(&app, &cookie, &resend, &[]).await,
        StatusCode::FORBIDDEN,
        "no CSRF token"
    );
    assert_eq!(
        post_form(&app, &cookie, &resend, &[("csrf", &csrf)]).await,
        StatusCode::SEE_OTHER
    );
    use sea_orm::EntityTrait;
    let again = entity::delivery::Entity::find_by_id(dead.id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(again.status, entity::DeliveryStatus::Pending);
}

#[tokio::test]
async fn staff_out_of_scope_get_404_on_tips_and_editors_403() {
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    let reference =
        reference(&submit(&app, tip_input("mellerud", "Bilar kör för fort vid skolan")).await);
    let path = format!("/staff/tips/{reference}");
    let other = signed_in(&app, mail.path(), "polis@orust.se", "recipient", "orust").await;
    assert_eq!(page(&app, &other, &path).await.0, StatusCode::NOT_FOUND);
    let admin_elsewhere = signed_in(&app, mail.path(), "admin@orust.se", "admin", "orust").await;
    assert_eq!(
        page(&app, &admin_elsewhere, &path).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, html) = page(&app, &other, "/staff").await;
    let csrf = csrf(&html);
    for (action, form) in [
        ("status", vec![("status", "HANDLED")]),
        ("svara", vec![("message", "Hej")]),
        ("skicka-igen", vec![]),
    ] {
        let mut form = form;
        form.push(("csrf", &csrf));
        assert_eq!(
            post_form(&app, &other, &format!("{path}/{action}"), &form).await,
            StatusCode::NOT_FOUND,
            "{action}"
        );
    }
    assert_eq!(
        tip_row(&app, &reference).await.status,
        entity::TipStatus::New
    );
    // Editors edit the catalogue and read no tips.
    let editor = signed_in(
        &app,
        mail.path(),
        "redaktor@mellerud.se",
        "editor",
        "mellerud",
    )
    .await;
    assert_eq!(page(&app, &editor, &path).await.0, StatusCode::FORBIDDEN);
}

const INVITE: &str = "mutation($input: InviteStaffInput!) { inviteStaff(input: $input) { account { id email role municipalities createdAt } } }";

#[tokio::test]
async fn admins_invite_staff_through_graphql_and_the_invited_sign_in() {
    use entity::StaffRole;
    use serde_json::json;
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let data = app
        .query_as(
            &admin,
            INVITE,
            json!({ "input": { "email": " Redaktor@Mellerud.se ", "role": "EDITOR", "municipalities": ["1461"] } }),
        )
        .await;
    let account = &data["inviteStaff"]["account"];
    assert_eq!(account["email"], "redaktor@mellerud.se");
    assert_eq!(account["role"], "EDITOR");
    assert_eq!(account["municipalities"], json!(["mellerud"]));
    // The invited editor signs in from the emailed link.
    let link = link_for(&app, mail.path(), "redaktor@mellerud.se").await;
    let (cookie, _) = sign_in(&app, &link).await;
    assert_eq!(
        page(&app, &cookie, "/staff/tips/X").await.0,
        StatusCode::FORBIDDEN
    );

    let codes = |body: &serde_json::Value| e2e::error_codes(body);
    for (input, field) in [
        (
            json!({ "email": "inte-en-adress", "role": "EDITOR", "municipalities": ["mellerud"] }),
            "email",
        ),
        (
            json!({ "email": "redaktor@mellerud.se", "role": "EDITOR", "municipalities": ["mellerud"] }),
            "email",
        ),
        (
            json!({ "email": "ny@mellerud.se", "role": "EDITOR" }),
            "municipality",
        ),
        (
            json!({ "email": "ny@mellerud.se", "role": "RECIPIENT", "municipalities": ["atlantis"] }),
            "municipality",
        ),
        (
            json!({ "email": "ny@mellerud.se", "role": "EDITOR", "municipalities": ["mellerud"], "contactKey": "x" }),
            "contact",
        ),
    ] {
        let body = app
            .graphql_as(&admin, INVITE, json!({ "input": input }))
            .await;
        assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "{input}: {body:#}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body:#}");
        assert!(
            body["data"].is_null() || body["data"]["inviteStaff"].is_null(),
            "{body:#}"
        );
    }
    // Not an admin, or an admin inviting beyond its municipalities: FORBIDDEN.
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let recipient = app
        .staff_token(StaffRole::Recipient, &["mellerud"], None)
        .await;
    let local_admin = app.staff_token(StaffRole::Admin, &["mellerud"], None).await;
    let ok = json!({ "email": "ny@orust.se", "role": "RECIPIENT", "municipalities": ["orust"] });
    for token in [&editor, &recipient, &local_admin] {
        let body = app.graphql_as(token, INVITE, json!({ "input": ok })).await;
        assert_eq!(codes(&body), vec!["FORBIDDEN"], "{body:#}");
    }
    let body = app.graphql(INVITE, json!({ "input": ok })).await;
    assert_eq!(codes(&body), vec!["UNAUTHENTICATED"], "{body:#}");
    // Nothing was created by the refused calls: the address is still free.
    let data = app.query_as(&local_admin, INVITE, json!({ "input": { "email": "ny@mellerud.se", "role": "RECIPIENT", "municipalities": ["mellerud"] } })).await;
    assert_eq!(
        data["inviteStaff"]["account"]["municipalities"],
        json!(["mellerud"])
    );
    let body = app.graphql_as(&admin, INVITE, json!({ "input": ok })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

/// The first number after `prefix` in `html`.
fn id_after(html: &str, prefix: &str) -> i32 {
    let at = html
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {html}"))
        + prefix.len();
    let digits: String = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("an id")
}

async fn post_page(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = client()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .expect("post");
    (r.status(), r.text().await.expect("body"))
}

async fn public_page(app: &TestApp) -> String {
    app.get("/kommun/mellerud")
        .sent()
        .await
        .text()
        .await
        .expect("body")
}

#[tokio::test]
async fn an_editor_edits_texts_status_and_follow_ups_and_the_public_page_follows() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    let cookie = signed_in(
        &app,
        mail.path(),
        "redaktor@mellerud.se",
        "editor",
        "mellerud",
    )
    .await;
    // An editor's start page is the editor.
    let (status, _) = page(&app, &cookie, "/staff").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, list) = page(&app, &cookie, "/staff/redigera").await;
    assert_eq!(status, StatusCode::OK);
    let id = id_after(&list, "/staff/redigera/loften/");
    let form_path = format!("/staff/redigera/loften/{id}");
    let (status, html) = page(&app, &cookie, &form_path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let csrf = csrf(&html);
    let stored = entity::promise::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("promise");

    // Texts. Without the token: refused. With an empty title: the error in Swedish next
    // to the field and in the summary, everything typed kept.
    let typed = "Tryggare centrum, enligt de boendes synpunkter.";
    fn texts<'a>(csrf: &'a str, title: &'a str, summary: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("csrf", csrf),
            ("title", title),
            ("summary", summary),
            ("situation", ""),
            ("goal", ""),
        ]
    }
    let token: &str = &csrf;
    let (status, _) = post_page(&app, &cookie, &form_path, &texts("", "Ny rubrik", typed)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html) = post_page(&app, &cookie, &form_path, &texts(token, "  ", typed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("<title>Fel: "), "{html}");
    assert!(
        html.contains("<a href=\"#title\">Rubriken måste fyllas i.</a>"),
        "{html}"
    );
    assert!(html.contains("id=\"title-fel\""), "{html}");
    assert!(html.contains(typed), "the summary typed is kept");
    let long = "x".repeat(301);
    let (status, html) = post_page(&app, &cookie, &form_path, &texts(token, &long, typed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Rubriken får vara högst 300 tecken."),
        "{html}"
    );
    let unchanged = public_page(&app).await;
    assert!(unchanged.contains(&stored.title), "nothing saved yet");

    let (status, _) = post_page(
        &app,
        &cookie,
        &form_path,
        &texts(token, "Trygg i Mellerud – reviderad", typed),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let public = public_page(&app).await;
    assert!(public.contains("Trygg i Mellerud – reviderad"), "{public}");
    assert!(public.contains(typed), "{public}");
    let (_, html) = page(&app, &cookie, &format!("{form_path}?sparat=1")).await;
    assert!(html.contains("Ändringen är sparad"), "{html}");

    // A commitment's status.
    let commitments = entity::commitment::Entity::find()
        .filter(entity::commitment::Column::PromiseId.eq(id))
        .all(&app.db)
        .await
        .expect("read");
    let c = commitments
        .iter()
        .find(|c| c.status != entity::CommitmentStatus::NotDone)
        .expect("a commitment to change");
    let count = |html: &str| html.matches("Inte genomförd").count();
    let before = count(&public_page(&app).await);
    let status_path = format!("/staff/redigera/aktiviteter/{}/status", c.id);
    let (status, _) = post_page(&app, &cookie, &status_path, &[("status", "NOT_DONE")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, html) = post_page(
        &app,
        &cookie,
        &status_path,
        &[("csrf", token), ("status", "KLAR")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Välj en status i listan."), "{html}");
    let (status, _) = post_page(
        &app,
        &cookie,
        &status_path,
        &[("csrf", token), ("status", "NOT_DONE")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(count(&public_page(&app).await), before + 1);

    // A follow-up: refused date and text, then added, then edited.
    let add = format!("/staff/redigera/aktiviteter/{}/uppfoljningar", c.id);
    let (status, html) = post_page(
        &app,
        &cookie,
        &add,
        &[
            ("csrf", token),
            ("date", "1 mars"),
            ("text", "Kvällsvandring"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Ange datumet som ÅÅÅÅ-MM-DD"), "{html}");
    assert!(
        html.contains(&format!("id=\"ny-datum-{}-fel\"", c.id)),
        "{html}"
    );
    assert!(html.contains(">Kvällsvandring</textarea>"), "kept: {html}");
    let (status, html) = post_page(
        &app,
        &cookie,
        &add,
        &[("csrf", token), ("date", "2026-11-20"), ("text", " ")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!(
            "<a href=\"#ny-text-{}\">Texten måste fyllas i.</a>",
            c.id
        )),
        "{html}"
    );
    let (status, _) = post_page(
        &app,
        &cookie,
        &add,
        &[("date", "2026-11-20"), ("text", "Kvällsvandring i centrum")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, _) = post_page(
        &app,
        &cookie,
        &add,
        &[
            ("csrf", token),
            ("date", "2026-11-20"),
            ("text", "Kvällsvandring i centrum med 14 deltagare"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        public_page(&app)
            .await
            .contains("Kvällsvandring i centrum med 14 deltagare")
    );
    let (_, html) = page(&app, &cookie, &form_path).await;
    let follow_up = id_after(&html, "/staff/redigera/uppfoljningar/");
    let edit = format!("/staff/redigera/uppfoljningar/{follow_up}");
    let (status, _) = post_page(
        &app,
        &cookie,
        &edit,
        &[
            ("csrf", token),
            ("date", "2026-11-21"),
            ("text", "Kvällsvandring i centrum med 16 deltagare"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let public = public_page(&app).await;
    assert!(
        public.contains("Kvällsvandring i centrum med 16 deltagare"),
        "{public}"
    );
    assert!(!public.contains("med 14 deltagare"), "{public}");

    // The audit log has the editor's changes, as the GraphQL mutations leave them.
    let audited = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::PromiseId.eq(id))
        .all(&app.db)
        .await
        .expect("read");
    assert!(audited.len() >= 4, "{audited:?}");
}

#[tokio::test]
async fn editors_and_recipients_out_of_scope_get_403_on_the_edit_forms() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mail = tempfile::tempdir().expect("dir");
    let app = app_in(mail.path(), |_| {}).await;
    let mellerud = signed_in(
        &app,
        mail.path(),
        "redaktor@mellerud.se",
        "editor",
        "mellerud",
    )
    .await;
    let (_, list) = page(&app, &mellerud, "/staff/redigera").await;
    let id = id_after(&list, "/staff/redigera/loften/");
    let c = entity::commitment::Entity::find()
        .filter(entity::commitment::Column::PromiseId.eq(id))
        .one(&app.db)
        .await
        .expect("read")
        .expect("a commitment");

    let orust = signed_in(&app, mail.path(), "redaktor@orust.se", "editor", "orust").await;
    let recipient = signed_in(
        &app,
        mail.path(),
        "polis@mellerud.se",
        "recipient",
        "mellerud",
    )
    .await;
    for cookie in [&orust, &recipient] {
        let (_, html) = page(&app, cookie, "/staff/redigera").await;
        assert!(
            !html.contains(&format!("/staff/redigera/loften/{id}\"")),
            "{html}"
        );
        let (status, _) = page(&app, cookie, &format!("/staff/redigera/loften/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = page(&app, &recipient, "/staff/redigera").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, html) = page(&app, &orust, "/staff/redigera").await;
    let csrf = csrf(&html);
    for (path, form) in [
        (
            format!("/staff/redigera/loften/{id}"),
            vec![("title", "Kapad"), ("summary", "Kapad")],
        ),
        (
            format!("/staff/redigera/aktiviteter/{}/status", c.id),
            vec![("status", "DONE")],
        ),
        (
            format!("/staff/redigera/aktiviteter/{}/uppfoljningar", c.id),
            vec![("date", "2026-11-20"), ("text", "Kapad")],
        ),
    ] {
        let mut form = form;
        form.push(("csrf", &csrf));
        let (status, _) = post_page(&app, &orust, &path, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(!public_page(&app).await.contains("Kapad"));
    let after = entity::commitment::Entity::find_by_id(c.id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(after.status, c.status);
}

#[tokio::test]
async fn the_inbox_link_uses_public_base_url_and_is_left_out_without_a_web_inbox() {
    for (web_ui, base) in [
        (true, Some("https://loften.example/")),
        (false, Some("https://loften.example")),
    ] {
        let smtp = e2e::smtp::SmtpSink::start();
        let app = spawn_app_with(|c| {
            e2e::tips::quick(c, Some(&smtp));
            c.web_ui = web_ui;
            c.public_base_url = base.map(str::to_owned);
        })
        .await;
        let reference =
            reference(&submit(&app, tip_input("mellerud", "Trasig gatlykta vid skolan")).await);
        let to = contact_delivery(&app, &reference).await.recipient_email;
        let text = eventually("the tip email", || async {
            texts_to(&smtp.messages(), &to).into_iter().next()
        })
        .await;
        assert!(text.contains(&reference), "{text}");
        if web_ui {
            assert!(
                text.contains(&format!(
                    "Öppna ärendet i inkorgen: https://loften.example/staff/tips/{reference}"
                )),
                "{text}"
            );
        } else {
            assert!(
                !text.contains("/staff/tips/"),
                "no inbox to link to: {text}"
            );
        }
    }
}
