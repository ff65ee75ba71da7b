//! SMTP as production uses it (issue 16, section 1): a relay that requires TLS and AUTH
//! and presents a certificate from the municipality's own CA. Real tips go through the
//! real server over HTTP to a real TLS SMTP server over TCP (`e2e::tls_smtp`), in each
//! TLS mode `SMTP_URL` can select: STARTTLS required, STARTTLS opportunistic, implicit TLS.
//!
//! With the CA in `SMTP_CA_FILE` mail is delivered; without it, or with a wrong password,
//! each delivery is DEAD after one attempt with a reason naming the cause, which staff
//! see and `/readyz` names. Secrets appear nowhere: not in logs, `/readyz` or the staff API.

use std::time::{Duration, Instant};

use e2e::{
    Sent, TestApp, spawn_app_with, test_config,
    tls_smtp::{RelayOptions, TestCa, TlsMode, TlsRelay},
};
use entity::StaffRole;
use serde_json::{Value, json};
use server::config::{Config, Secret};

const SUBMIT: &str = r#"mutation($input: SubmitTipInput!) {
    submitTip(input: $input) { tip { reference } } }"#;

const STAFF_TIP: &str = r#"query($r: String!) {
    tip(reference: $r) { reference deliveries { toContact status attempts lastError } } }"#;

/// Every log line of this test binary at debug level, captured once for all its tests
/// (each test uses its own password, so each can look for its own secret).
fn log_text() -> String {
    e2e::logs::capture("debug").text()
}

/// A password unique to one test, easy to find anywhere it must not be.
fn password(tag: &str) -> String {
    format!("Hemlis-{tag}-{}", uuid::Uuid::new_v4().simple())
}

fn quick(config: &mut Config, url: String, ca_file: Option<std::path::PathBuf>) {
    e2e::tips::quick(config, None);
    config.smtp_url = Some(Secret::new(url));
    config.smtp_ca_file = ca_file;
    // A TLS handshake on a busy machine may take longer than the plain sink's timeout.
    config.smtp_timeout_secs = 5;
    config.delivery_lease_secs = 10;
    // High, so that only a permanent classification can make a row DEAD here.
    config.delivery_max_attempts = 1000;
}

/// Submit a tip with an email address (so it has a receipt as well as the contact's
/// copy); returns its reference.
async fn submit(app: &TestApp) -> String {
    let body = app
        .graphql(
            SUBMIT,
            json!({ "input": {
                "municipality": "mellerud", "kind": "TIP",
                "message": "Gatlyktan vid skolan är trasig sedan en vecka.",
                "email": "boende@exempel.se",
            }}),
        )
        .await;
    body["data"]["submitTip"]["tip"]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("no reference: {body}"))
        .to_owned()
}

/// Poll the staff API until every delivery of the tip satisfies `done` (bounded);
/// returns the whole staff answer.
async fn deliveries_until(app: &TestApp, r: &str, done: impl Fn(&Value) -> bool) -> Value {
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let start = Instant::now();
    loop {
        let data = app.query_as(&admin, STAFF_TIP, json!({ "r": r })).await;
        let all = data["tip"]["deliveries"]
            .as_array()
            .is_some_and(|d| d.len() == 2 && d.iter().all(&done));
        if all || start.elapsed() > e2e::PATIENCE {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn readyz(app: &TestApp) -> String {
    app.get("/readyz").sent().await.text().await.expect("body")
}

/// Poll `/readyz` until its outbox names a failure; returns the body.
async fn readyz_failure(app: &TestApp) -> Value {
    let start = Instant::now();
    loop {
        let body: Value = serde_json::from_str(&readyz(app).await).expect("JSON");
        if !body["outbox"]["lastFailure"].is_null() || start.elapsed() > e2e::PATIENCE {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_no_secret(place: &str, text: &str, secret: &str) {
    assert!(!text.contains(secret), "{place} shows the password: {text}");
}

/// Delivered through `relay` with the CA trusted: both messages arrive, AUTH happened
/// over TLS and was accepted, and the staff API shows every delivery SENT.
async fn delivers(mode: TlsMode, tls: Option<&str>, mechanisms: Vec<&'static str>) {
    let _ = e2e::logs::capture("debug");
    let ca = TestCa::new("Mellerud kommun intern CA");
    let secret = password("ok");
    let mut options = RelayOptions::new(mode, "medborgarloften", &secret);
    options.mechanisms = mechanisms.clone();
    let relay = TlsRelay::start(&ca, options).await;
    let dir = tempfile::tempdir().expect("dir");
    let ca_file = ca.write_pem(dir.path(), "kommun-ca.pem");
    let url = relay.url_with(&secret, tls);
    let app = spawn_app_with(|c| quick(c, url, Some(ca_file))).await;
    let r = submit(&app).await;
    let data = deliveries_until(&app, &r, |d| d["status"] == "SENT").await;
    let deliveries = data["tip"]["deliveries"].as_array().expect("deliveries");
    assert!(
        deliveries.iter().all(|d| d["status"] == "SENT"),
        "{mode:?} {tls:?}: {data:#}"
    );
    assert!(
        relay
            .wait_until(e2e::PATIENCE, |r| r.messages().len() >= 2)
            .await,
        "both messages arrived"
    );
    let messages = relay.messages();
    assert_eq!(
        messages.len(),
        2,
        "exactly the contact's copy and the receipt"
    );
    assert!(
        messages
            .iter()
            .all(|m| String::from_utf8_lossy(m).contains(&r)),
        "each message names the tip's reference"
    );
    let attempts = relay.auth_attempts();
    assert!(!attempts.is_empty(), "the relay required AUTH and got it");
    assert!(
        attempts
            .iter()
            .all(|a| a.accepted && a.over_tls && a.user == "medborgarloften"),
        "{attempts:?}"
    );
    assert!(
        attempts
            .iter()
            .all(|a| mechanisms.contains(&a.mechanism.as_str())),
        "{attempts:?}"
    );
    assert_eq!(relay.handshake_failures(), 0);
    let ready = readyz(&app).await;
    assert_no_secret("/readyz", &ready, &secret);
    let ready: Value = serde_json::from_str(&ready).expect("JSON");
    assert!(ready["outbox"]["lastFailure"].is_null(), "{ready}");
    assert_no_secret("the log", &log_text(), &secret);
}

#[tokio::test]
async fn starttls_required_with_auth_delivers_with_the_private_ca_trusted() {
    delivers(TlsMode::StartTls, Some("required"), vec!["PLAIN", "LOGIN"]).await;
}

#[tokio::test]
async fn opportunistic_starttls_with_auth_delivers_with_the_private_ca_trusted() {
    // AUTH is only offered after STARTTLS, so an accepted AUTH over TLS proves the
    // opportunistic mode upgraded the connection.
    delivers(TlsMode::StartTls, Some("opportunistic"), vec!["PLAIN"]).await;
}

#[tokio::test]
async fn implicit_tls_with_auth_delivers_with_the_private_ca_trusted() {
    // LOGIN only: the second AUTH mechanism lettre speaks.
    delivers(TlsMode::Implicit, None, vec!["LOGIN"]).await;
}

/// Without `ca_file` trusted (or with `host` not in the certificate), every delivery
/// is DEAD after one attempt with a certificate reason, and `/readyz` names the cause.
async fn certificate_refused(
    mode: TlsMode,
    tls: Option<&str>,
    ca_file: bool,
    host: &str,
    expect: &str,
) {
    let _ = e2e::logs::capture("debug");
    let ca = TestCa::new("Mellerud kommun intern CA");
    let secret = password("cert");
    let relay = TlsRelay::start(&ca, RelayOptions::new(mode, "medborgarloften", &secret)).await;
    let dir = tempfile::tempdir().expect("dir");
    let ca_file = ca_file.then(|| ca.write_pem(dir.path(), "kommun-ca.pem"));
    let url = relay
        .url_with(&secret, tls)
        .replace("@localhost:", &format!("@{host}:"));
    let app = spawn_app_with(|c| quick(c, url, ca_file)).await;
    let r = submit(&app).await;
    let data = deliveries_until(&app, &r, |d| d["status"] == "DEAD").await;
    let text = data.to_string();
    for d in data["tip"]["deliveries"].as_array().expect("deliveries") {
        assert_eq!(d["status"], "DEAD", "{mode:?} {tls:?}: {data:#}");
        assert_eq!(d["attempts"], 1, "not retried: {data:#}");
        let error = d["lastError"].as_str().expect("reason");
        assert!(
            error.starts_with("permanent: certificate: ") && error.contains(expect),
            "{mode:?} {tls:?}: {error}"
        );
    }
    assert_no_secret("the staff API", &text, &secret);
    assert!(relay.messages().is_empty(), "nothing was sent");
    assert!(
        relay.auth_attempts().is_empty(),
        "the password never went to an untrusted server"
    );
    let ready = readyz_failure(&app).await;
    assert_eq!(
        ready["outbox"]["lastFailure"]["cause"], "certificate",
        "{ready}"
    );
    assert_eq!(ready["outbox"]["lastFailure"]["status"], "dead", "{ready}");
    assert_eq!(ready["outbox"]["dead"], 2, "{ready}");
    let ready = ready.to_string();
    assert_no_secret("/readyz", &ready, &secret);
    assert!(!ready.contains("boende@"), "no address in /readyz: {ready}");
    let log = log_text();
    assert_no_secret("the log", &log, &secret);
    assert!(
        log.lines()
            .any(|l| l.contains("delivery failed permanently") && l.contains("cause=certificate")),
        "the delivery log line names the cause"
    );
}

#[tokio::test]
async fn starttls_required_without_the_ca_is_dead_at_once_with_a_certificate_reason() {
    certificate_refused(
        TlsMode::StartTls,
        Some("required"),
        false,
        "localhost",
        "unknown issuer",
    )
    .await;
}

#[tokio::test]
async fn opportunistic_starttls_without_the_ca_is_dead_at_once_with_a_certificate_reason() {
    // Opportunistic does not fall back to plain text when the certificate is bad.
    certificate_refused(
        TlsMode::StartTls,
        Some("opportunistic"),
        false,
        "localhost",
        "unknown issuer",
    )
    .await;
}

#[tokio::test]
async fn implicit_tls_without_the_ca_is_dead_at_once_with_a_certificate_reason() {
    certificate_refused(
        TlsMode::Implicit,
        None,
        false,
        "localhost",
        "unknown issuer",
    )
    .await;
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_even_with_the_ca_trusted() {
    // The certificate names `localhost`; the URL says 127.0.0.1.
    certificate_refused(
        TlsMode::StartTls,
        Some("required"),
        true,
        "127.0.0.1",
        "name mismatch",
    )
    .await;
}

/// A wrong password: DEAD after one attempt with an authentication reason.
async fn wrong_password(mode: TlsMode, tls: Option<&str>) {
    let _ = e2e::logs::capture("debug");
    let ca = TestCa::new("Mellerud kommun intern CA");
    let right = password("right");
    let wrong = password("wrong");
    let relay = TlsRelay::start(&ca, RelayOptions::new(mode, "medborgarloften", &right)).await;
    let dir = tempfile::tempdir().expect("dir");
    let ca_file = ca.write_pem(dir.path(), "kommun-ca.pem");
    let url = relay.url_with(&wrong, tls);
    let app = spawn_app_with(|c| quick(c, url, Some(ca_file))).await;
    let r = submit(&app).await;
    let data = deliveries_until(&app, &r, |d| d["status"] == "DEAD").await;
    for d in data["tip"]["deliveries"].as_array().expect("deliveries") {
        assert_eq!(d["status"], "DEAD", "{mode:?}: {data:#}");
        assert_eq!(d["attempts"], 1, "not retried: {data:#}");
        let error = d["lastError"].as_str().expect("reason");
        assert!(
            error.starts_with("permanent: authentication: ") && error.contains("535"),
            "{error}"
        );
    }
    let attempts = relay.auth_attempts();
    assert!(
        !attempts.is_empty() && attempts.iter().all(|a| !a.accepted && a.over_tls),
        "{attempts:?}"
    );
    assert!(relay.messages().is_empty());
    let ready = readyz_failure(&app).await;
    assert_eq!(
        ready["outbox"]["lastFailure"]["cause"], "authentication",
        "{ready}"
    );
    for secret in [&right, &wrong] {
        assert_no_secret("the staff API", &data.to_string(), secret);
        assert_no_secret("/readyz", &ready.to_string(), secret);
        assert_no_secret("the log", &log_text(), secret);
    }
    assert!(
        !ready.to_string().contains("medborgarloften@"),
        "no user info in /readyz"
    );
}

#[tokio::test]
async fn a_wrong_password_over_starttls_is_dead_at_once_with_an_authentication_reason() {
    wrong_password(TlsMode::StartTls, Some("required")).await;
}

#[tokio::test]
async fn a_wrong_password_over_opportunistic_starttls_is_dead_at_once_with_an_authentication_reason()
 {
    wrong_password(TlsMode::StartTls, Some("opportunistic")).await;
}

#[tokio::test]
async fn a_wrong_password_over_implicit_tls_is_dead_at_once_with_an_authentication_reason() {
    wrong_password(TlsMode::Implicit, None).await;
}

#[tokio::test]
async fn a_refused_connection_stays_transient_and_readyz_says_so() {
    let _ = e2e::logs::capture("debug");
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let secret = password("closed");
    let url = format!("smtps://medborgarloften:{secret}@localhost:{port}");
    let app = spawn_app_with(|c| quick(c, url, None)).await;
    let r = submit(&app).await;
    let data = deliveries_until(&app, &r, |d| d["attempts"].as_i64() >= Some(2)).await;
    for d in data["tip"]["deliveries"].as_array().expect("deliveries") {
        assert_eq!(d["status"], "PENDING", "retried, not given up: {data:#}");
        let error = d["lastError"].as_str().expect("reason");
        assert!(error.starts_with("connection: "), "{error}");
    }
    let ready = readyz_failure(&app).await;
    assert_eq!(
        ready["outbox"]["lastFailure"]["cause"], "connection",
        "{ready}"
    );
    assert_eq!(
        ready["outbox"]["lastFailure"]["status"], "retrying",
        "{ready}"
    );
    assert_no_secret("/readyz", &ready.to_string(), &secret);
    assert_no_secret("the staff API", &data.to_string(), &secret);
    assert_no_secret("the log", &log_text(), &secret);
}

#[tokio::test]
async fn an_unreadable_or_invalid_ca_file_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let secret = password("ca");
    let url = format!("smtp://medborgarloften:{secret}@localhost:587?tls=required");
    let not_pem = dir.path().join("not-a-ca.pem");
    std::fs::write(&not_pem, "this is not a certificate").expect("write");
    for (file, expect) in [
        (dir.path().join("missing.pem"), "cannot be read"),
        (not_pem, "holds no certificate"),
    ] {
        let mut config = test_config(dir.path()).await.expect("config");
        quick(&mut config, url.clone(), Some(file.clone()));
        let err = match server::app::Application::build(&config).await {
            Ok(_) => panic!("started with {}", file.display()),
            Err(e) => format!("{e:#}"),
        };
        assert!(
            err.contains("SMTP_CA_FILE") && err.contains(expect),
            "{err}"
        );
        assert_no_secret("the start-up error", &err, &secret);
    }
}
