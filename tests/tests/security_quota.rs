//! Issue 10, items 6 and 13 (part): quotas that cannot be spent by others or dodged.
//! The real server over HTTP; many clients are simulated through a trusted proxy
//! (`X-Forwarded-For` from 127.0.0.1).

use std::{
    ops::RangeInclusive,
    time::{Duration, Instant},
};

use e2e::{Sent, TestApp, error_codes, spawn_app_with};
use entity::tip;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use server::config::Config;

const SUBMIT: &str = r#"mutation($input: SubmitTipInput!) { submitTip(input: $input) {
    statusToken tip { reference } } }"#;

/// Generous limits except where a test says otherwise; clients through a local proxy.
fn proxied(c: &mut Config) {
    c.trusted_proxies = "127.0.0.1/32".into();
    c.tip_limit_per_ip = 1000;
    c.tip_limit_per_email = 1000;
    c.tip_limit_global = 1000;
    c.tip_invalid_limit_per_ip = 1000;
    c.tip_status_limit_per_ip = 1000;
}

fn valid_tip() -> Value {
    json!({ "municipality": "mellerud", "kind": "TIP", "message": "Belysningen vid busshållplatsen är trasig." })
}

fn with_email(email: &str) -> Value {
    let mut input = valid_tip();
    input["email"] = json!(email);
    input
}

struct Reply {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

impl Reply {
    fn codes(&self) -> Vec<String> {
        error_codes(&self.body)
    }

    fn accepted(&self) -> bool {
        self.status == 200 && self.body.get("errors").is_none()
    }

    /// A refusal by a limit, with `Retry-After` and `retryAfterSeconds` agreeing.
    fn limited(&self) -> u64 {
        assert_eq!(self.status, 429, "{}", self.body);
        assert_eq!(self.codes(), ["RATE_LIMITED"], "{}", self.body);
        let secs = self.retry_after.expect("Retry-After");
        assert_eq!(
            self.body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64(),
            Some(secs)
        );
        secs
    }
}

async fn post_to(app: &TestApp, base: &str, xff: Option<&str>, body: &Value) -> Reply {
    let mut request = app.http.post(format!("{base}/graphql")).json(body);
    if let Some(xff) = xff {
        request = request.header("x-forwarded-for", xff);
    }
    let response = request.sent().await;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    Reply {
        status,
        retry_after,
        body: response.json().await.expect("JSON body"),
    }
}

async fn submit_from(app: &TestApp, client: Option<&str>, input: Value) -> Reply {
    let body = json!({ "query": SUBMIT, "variables": { "input": input } });
    post_to(app, &app.url(""), client, &body).await
}

async fn stored(app: &TestApp) -> Vec<tip::Model> {
    tip::Entity::find().all(&app.db).await.expect("tips")
}

#[tokio::test]
async fn invalid_tips_from_many_clients_spend_no_quota_of_valid_ones() {
    let app = spawn_app_with(|c| {
        proxied(c);
        c.tip_limit_per_ip = 2;
        c.tip_limit_global = 5;
    })
    .await;
    let invalid = [
        json!({ "municipality": "atlantis", "kind": "TIP", "message": "Ett tips till en kommun som inte finns." }),
        json!({ "municipality": "mellerud", "kind": "TIP", "message": "" }),
        json!({ "municipality": "mellerud", "kind": "TIP", "message": "Ett tips med fel e-post.", "email": "inte en adress" }),
        json!({ "municipality": "mellerud", "kind": "TIP", "message": "Ett tips om något okänt.", "concerns": "bm90LWFuLWlk" }),
    ];
    for i in 0..130 {
        let client = format!("198.51.{}.{}", 100 + i / 200, i % 200 + 1);
        let reply = submit_from(&app, Some(&client), invalid[i % invalid.len()].clone()).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.codes(), ["BAD_USER_INPUT"], "{}", reply.body);
    }
    assert!(stored(&app).await.is_empty());
    // A resident elsewhere, and one of the clients that sent invalid tips, both get through:
    // neither the global ceiling nor the per-client quota was spent.
    for client in ["203.0.113.50", "198.51.100.1", "198.51.100.1"] {
        let reply = submit_from(&app, Some(client), valid_tip()).await;
        assert!(reply.accepted(), "{client}: {}", reply.body);
    }
    // The per-client quota still holds for valid tips.
    submit_from(&app, Some("198.51.100.1"), valid_tip())
        .await
        .limited();
    assert_eq!(stored(&app).await.len(), 3);
}

#[tokio::test]
async fn invalid_attempts_have_their_own_budget_that_never_blocks_valid_tips() {
    let app = spawn_app_with(|c| {
        proxied(c);
        c.tip_invalid_limit_per_ip = 3;
        c.tip_limit_global = 4;
    })
    .await;
    let bad = json!({ "municipality": "atlantis", "kind": "TIP", "message": "Ett tips till en kommun som inte finns." });
    for _ in 0..3 {
        let reply = submit_from(&app, Some("198.51.100.9"), bad.clone()).await;
        assert_eq!(reply.codes(), ["BAD_USER_INPUT"], "{}", reply.body);
    }
    // Past the budget the client hears only that it must slow down …
    for _ in 0..5 {
        let reply = submit_from(&app, Some("198.51.100.9"), bad.clone()).await;
        assert!(reply.limited() > 0);
        assert!(!reply.body.to_string().contains("municipality"));
    }
    // … its own valid tips and everyone else's still go through (the global ceiling of 4
    // was not spent by the eight invalid attempts).
    for client in ["198.51.100.9", "203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let reply = submit_from(&app, Some(client), valid_tip()).await;
        assert!(reply.accepted(), "{client}: {}", reply.body);
    }
    let reply = submit_from(&app, Some("203.0.113.4"), bad).await;
    assert_eq!(reply.codes(), ["BAD_USER_INPUT"], "{}", reply.body);
}

#[tokio::test]
async fn ipv6_clients_share_a_quota_per_64() {
    let app = spawn_app_with(|c| {
        proxied(c);
        c.tip_limit_per_ip = 2;
    })
    .await;
    for client in ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"] {
        let reply = submit_from(&app, Some(client), valid_tip()).await;
        assert!(reply.accepted(), "{client}: {}", reply.body);
    }
    // Another address in the same /64 (also written with a port) is the same client.
    for client in ["2001:db8:1:2:abcd::9", "[2001:db8:1:2::77]:443"] {
        submit_from(&app, Some(client), valid_tip()).await.limited();
    }
    // Neighbouring /64s are other clients.
    for client in ["2001:db8:1:3::1", "2001:db8:1:1::1", "2001:db8:2:2::1"] {
        let reply = submit_from(&app, Some(client), valid_tip()).await;
        assert!(reply.accepted(), "{client}: {}", reply.body);
    }
    // Only the hash of the prefix is stored.
    for t in stored(&app).await {
        let hash = t.ip_hash.expect("hashed");
        // A 64-digit hex HMAC, never the address (which has colons).
        assert!(
            hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{hash}"
        );
    }
}

#[tokio::test]
async fn the_ipv6_prefix_is_configurable() {
    let app = spawn_app_with(|c| {
        proxied(c);
        c.tip_limit_per_ip = 1;
        c.rate_limit_ipv6_prefix = 128;
    })
    .await;
    for client in ["2001:db8:1:2::1", "2001:db8:1:2::2"] {
        let reply = submit_from(&app, Some(client), valid_tip()).await;
        assert!(reply.accepted(), "{client}: {}", reply.body);
    }
    submit_from(&app, Some("2001:db8:1:2::1"), valid_tip())
        .await
        .limited();
}

#[tokio::test]
async fn ipv4_mapped_addresses_are_canonicalised() {
    // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; the proxy at 127.0.0.1
    // must still be trusted, and a mapped client is the same client as its IPv4 form.
    let app = spawn_app_with(|c| {
        proxied(c);
        c.listen_addr = "[::]:0".parse().expect("address");
        c.public_base_url = Some("https://loften.example.se".into());
        c.tip_limit_per_ip = 1;
    })
    .await;
    let base = format!("http://127.0.0.1:{}", app.addr.port());
    let body = |input: Value| json!({ "query": SUBMIT, "variables": { "input": input } });
    for client in ["198.51.100.1", "198.51.100.2"] {
        let reply = post_to(&app, &base, Some(client), &body(valid_tip())).await;
        assert!(reply.accepted(), "{client}: {}", reply.body);
    }
    post_to(&app, &base, Some("::ffff:198.51.100.1"), &body(valid_tip()))
        .await
        .limited();
    let reply = post_to(&app, &base, Some("::ffff:198.51.100.3"), &body(valid_tip())).await;
    assert!(reply.accepted(), "{}", reply.body);
    post_to(&app, &base, Some("198.51.100.3"), &body(valid_tip()))
        .await
        .limited();
}

#[tokio::test]
async fn email_variants_of_one_mailbox_share_a_window() {
    let app = spawn_app_with(|c| {
        proxied(c);
        c.tip_limit_per_email = 3;
    })
    .await;
    let variants = [
        "erika@exempel.se",
        "Erika+x@Exempel.SE",
        "ERIKA+nyhetsbrev@EXEMPEL.SE",
    ];
    for (i, email) in variants.iter().enumerate() {
        let client = format!("203.0.113.{}", i + 1);
        let reply = submit_from(&app, Some(&client), with_email(email)).await;
        assert!(reply.accepted(), "{email}: {}", reply.body);
    }
    // Every further variant, from yet another client, is the same mailbox: refused, or
    // (if the address rules do not take it at all) rejected, never accepted.
    for (i, email) in [
        "erika@exempel.se",
        "Erika+annat@exempel.se",
        "ｅｒｉｋａ@ｅｘｅｍｐｅｌ.ｓｅ",
        "Ｅｒｉｋａ＋ｘ@exempel.se",
        "erika@ＥＸＥＭＰＥＬ.SE",
    ]
    .iter()
    .enumerate()
    {
        let client = format!("203.0.113.{}", i + 10);
        let reply = submit_from(&app, Some(&client), with_email(email)).await;
        assert!(!reply.accepted(), "{email} was accepted: {}", reply.body);
        let codes = reply.codes();
        assert!(
            codes == ["RATE_LIMITED"] || codes == ["BAD_USER_INPUT"],
            "{email}: {}",
            reply.body
        );
    }
    submit_from(&app, Some("203.0.113.30"), with_email("erika@exempel.se"))
        .await
        .limited();
    // Another mailbox is not affected.
    let reply = submit_from(&app, Some("203.0.113.31"), with_email("erik@exempel.se")).await;
    assert!(reply.accepted(), "{}", reply.body);
    // Stored: a keyed hash of the folded address, the same for the three variants.
    let tips = stored(&app).await;
    let hashes: Vec<String> = tips
        .iter()
        .map(|t| t.email_hash.clone().expect("email hash"))
        .collect();
    assert_eq!(hashes.len(), 4);
    assert!(hashes[..3].iter().all(|h| h == &hashes[0]));
    assert_ne!(hashes[3], hashes[0]);
    assert!(hashes.iter().all(|h| h.len() == 64 && !h.contains("erik")));
}

#[tokio::test]
async fn replicas_share_the_email_window_through_the_database() {
    let first = spawn_app_with(|c| {
        proxied(c);
        c.tip_limit_per_email = 2;
    })
    .await;
    let url = first.database_url.clone();
    let second = spawn_app_with(|c| {
        proxied(c);
        c.tip_limit_per_email = 2;
        c.database_url = url;
    })
    .await;
    let tip_sent = Instant::now();
    for (client, email) in [
        ("203.0.113.1", "anna@exempel.se"),
        ("203.0.113.2", "Anna+b@exempel.se"),
    ] {
        let reply = submit_from(&first, Some(client), with_email(email)).await;
        assert!(reply.accepted(), "{}", reply.body);
    }
    // The second replica has never seen this mailbox, but the database has.
    let secs = submit_from(&second, Some("203.0.113.3"), with_email("ANNA@exempel.se"))
        .await
        .limited();
    let expected = retry_after_range(3600, tip_sent, Instant::now());
    assert!(expected.contains(&secs), "{secs} not in {expected:?}");
    let reply = submit_from(&second, Some("203.0.113.4"), with_email("bo@exempel.se")).await;
    assert!(reply.accepted(), "{}", reply.body);
}

/// How far the server's clock and the test's measurements may disagree: timestamps are
/// stored to the microsecond, and wall-clock time may be slewed against the monotonic
/// clock the test measures with.
const CLOCK_SLACK: f64 = 0.01;

/// The `Retry-After` a refusal may carry when the tip that fills a window of `window`
/// seconds was sent after `tip_sent` and the refusal came back before `refusal_got`: the
/// server saw the tip and the refusal between those instants, and rounds the wait up to
/// whole seconds.
fn retry_after_range(window: u64, tip_sent: Instant, refusal_got: Instant) -> RangeInclusive<u64> {
    let elapsed = (refusal_got - tip_sent).as_secs_f64();
    let lowest = (window as f64 - elapsed - CLOCK_SLACK).ceil().max(1.0) as u64;
    lowest..=window
}

#[tokio::test]
async fn retry_after_is_when_the_window_frees_a_slot() {
    let app = spawn_app_with(|c| {
        proxied(c);
        c.tip_limit_per_ip = 2;
        c.tip_limit_per_ip_window_secs = 600;
    })
    .await;
    let client = Some("198.51.100.20");
    let tip_sent = Instant::now();
    for _ in 0..2 {
        assert!(submit_from(&app, client, valid_tip()).await.accepted());
    }
    let first_sent = Instant::now();
    let first = submit_from(&app, client, valid_tip()).await.limited();
    let first_got = Instant::now();
    // The oldest of the two tips leaves the window 600 s after it came.
    let expected = retry_after_range(600, tip_sent, first_got);
    assert!(expected.contains(&first), "{first} not in {expected:?}");
    // Refusals spend nothing and do not move the instant: it only comes closer, by as
    // much time as passed between the two refusals.
    for _ in 0..5 {
        submit_from(&app, client, valid_tip()).await.limited();
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let second_sent = Instant::now();
    let second = submit_from(&app, client, valid_tip()).await.limited();
    let second_got = Instant::now();
    let closer = |from: Instant, to: Instant| (to - from).as_secs_f64();
    let least = (closer(first_got, second_sent) - CLOCK_SLACK).floor() as u64;
    let most = (closer(first_sent, second_got) + CLOCK_SLACK).ceil() as u64;
    assert!(least >= 2, "the refusals were at least 2.1 s apart");
    assert!(
        second < first && (least..=most).contains(&(first - second)),
        "{first} then {second}: {least}..={most} s apart"
    );
    assert_eq!(stored(&app).await.len(), 2);
}

#[tokio::test]
async fn a_tip_is_accepted_when_retry_after_says() {
    // A window long enough that it cannot run out between the refusals below however
    // slowly the machine runs; the tip is accepted once it has.
    const WINDOW: u64 = 20;
    let app = spawn_app_with(|c| {
        proxied(c);
        c.tip_limit_per_ip = 2;
        c.tip_limit_per_ip_window_secs = WINDOW;
    })
    .await;
    let client = Some("198.51.100.21");
    let tip_sent = Instant::now();
    for _ in 0..2 {
        assert!(submit_from(&app, client, valid_tip()).await.accepted());
    }
    let mut wait = submit_from(&app, client, valid_tip()).await.limited();
    let expected = retry_after_range(WINDOW, tip_sent, Instant::now());
    assert!(expected.contains(&wait), "{wait} not in {expected:?}");
    // Refused attempts while waiting do not push the instant back.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = submit_from(&app, client, valid_tip()).await.limited();
        assert!(now <= wait, "{now} after {wait}");
        wait = now;
    }
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let reply = submit_from(&app, client, valid_tip()).await;
    assert!(reply.accepted(), "{}", reply.body);
}

const STATUS: &str = "tipStatus(reference: $r, statusToken: $t) { status }";

fn aliased(count: usize) -> String {
    let fields: Vec<String> = (0..count).map(|i| format!("s{i}: {STATUS}")).collect();
    format!("query($r: String!, $t: String!) {{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn tip_status_lookups_are_limited_per_alias_and_batch_entry() {
    let app = spawn_app_with(|c| {
        proxied(c);
        c.tip_status_limit_per_ip = 5;
    })
    .await;
    let reply = submit_from(&app, Some("192.0.2.1"), valid_tip()).await;
    assert!(reply.accepted(), "{}", reply.body);
    let vars = json!({
        "r": reply.body["data"]["submitTip"]["tip"]["reference"],
        "t": reply.body["data"]["submitTip"]["statusToken"],
    });
    let base = app.url("");

    // Fifteen aliases in one query count fifteen.
    let reply = post_to(
        &app,
        &base,
        Some("198.51.100.30"),
        &json!({ "query": aliased(15), "variables": vars }),
    )
    .await;
    // The first five were answered and the other ten refused, each on its own path.
    // `tipStatus` is non-null, so its error makes `data` null (GraphQL spec, "Handling
    // Field Errors"): the refusals are what shows which were counted.
    let refused: Vec<Value> = (5..15).map(|i| json!([format!("s{i}")])).collect();
    let mut paths: Vec<Value> = reply.body["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["path"].clone()).collect())
        .unwrap_or_default();
    paths.sort_by_key(|p| {
        p[0].as_str()
            .and_then(|s| s.trim_start_matches('s').parse::<usize>().ok())
    });
    assert_eq!(paths, refused, "{}", reply.body);
    assert_eq!(reply.body["data"], Value::Null, "{}", reply.body);
    assert_eq!(reply.codes(), vec!["RATE_LIMITED"; 10], "{}", reply.body);
    assert_eq!(reply.status, 429);
    assert!(reply.retry_after.is_some_and(|s| s > 0));
    // The client is now out of lookups; another one is not.
    let single = json!({ "query": aliased(1), "variables": vars });
    let reply = post_to(&app, &base, Some("198.51.100.30"), &single).await;
    assert_eq!(reply.codes(), ["RATE_LIMITED"], "{}", reply.body);
    let reply = post_to(&app, &base, Some("198.51.100.31"), &single).await;
    assert_eq!(reply.body["data"]["s0"]["status"], "NEW", "{}", reply.body);

    // A batch of ten operations counts each of them.
    let batch: Vec<Value> = (0..10).map(|_| single.clone()).collect();
    let reply = post_to(&app, &base, Some("198.51.100.32"), &json!(batch)).await;
    let parts = reply.body.as_array().expect("batch answer");
    assert_eq!(parts.len(), 10);
    let ok = parts
        .iter()
        .filter(|p| p["data"]["s0"]["status"] == "NEW")
        .count();
    let limited = parts
        .iter()
        .filter(|p| error_codes(p) == ["RATE_LIMITED"])
        .count();
    assert_eq!((ok, limited), (5, 5), "{}", reply.body);

    // Wrong tokens count too (the limit is against guessing).
    let wrong = json!({ "query": aliased(6), "variables": { "r": vars["r"], "t": "gissning" } });
    let reply = post_to(&app, &base, Some("198.51.100.33"), &wrong).await;
    let mut codes = reply.codes();
    codes.sort();
    assert_eq!(
        codes,
        [
            "NOT_FOUND",
            "NOT_FOUND",
            "NOT_FOUND",
            "NOT_FOUND",
            "NOT_FOUND",
            "RATE_LIMITED"
        ],
        "{}",
        reply.body
    );
}
