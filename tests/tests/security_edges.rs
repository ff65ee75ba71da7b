//! The edges of the HTTP surface (security probe, issue 10, items 7, 8, 12, 13 and 14):
//! slow request heads and connection floods from one address, client-chosen request ids,
//! who may read `/metrics` and which operation names become labels, security headers on
//! every kind of response, and a GraphiQL page that loads nothing from elsewhere.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use e2e::{Sent, TestApp, error_codes, spawn_app_with, spawn_app_with_metrics};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use server::config::Secret;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// Read until the peer closes the connection (or resets it), at most `limit`; returns
/// what was read and how long it took, or `None` if it was still open after `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<(Vec<u8>, Duration)> {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some((seen, started.elapsed())),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Send `/healthz` on a fresh connection and read the answer, leaving the connection
/// open (keep-alive). `None` when the server closed it instead of answering.
async fn open_and_ask(addr: SocketAddr) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(addr).await.expect("TCP connect");
    // The server may already have closed it; the read below tells.
    let _ = stream.write_all(HEALTHZ).await;
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + e2e::PATIENCE;
    while !String::from_utf8_lossy(&seen).contains("\"status\":\"ok\"") {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
    Some(stream)
}

fn assert_security_headers(what: &str, h: &header::HeaderMap) {
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "{what}: {h:?}"
    );
    assert_eq!(
        h.get("x-frame-options").map(|v| v.as_bytes()),
        Some(&b"DENY"[..]),
        "{what}: {h:?}"
    );
    assert_eq!(
        h.get("referrer-policy").map(|v| v.as_bytes()),
        Some(&b"no-referrer"[..]),
        "{what}: {h:?}"
    );
    assert!(h.contains_key("content-security-policy"), "{what}: {h:?}");
    assert!(h.contains_key("strict-transport-security"), "{what}: {h:?}");
    assert!(
        h.contains_key("cross-origin-opener-policy"),
        "{what}: {h:?}"
    );
    let id = h
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{what}: no request id in {h:?}"));
    assert_eq!(id.len(), 36, "{what}: a UUID: {id}");
}

/// Parse the head of a raw HTTP/1.1 response.
fn raw_head(bytes: &[u8]) -> (u16, header::HeaderMap) {
    let text = String::from_utf8_lossy(bytes);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text}"));
    let mut headers = header::HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.append(
                header::HeaderName::from_bytes(name.trim().as_bytes()).expect("name"),
                value.trim().parse().expect("value"),
            );
        }
    }
    (status, headers)
}

// --- Item 7: slow request heads, connections per address ---------------------------

#[tokio::test]
async fn a_trickled_request_head_is_cut_off_within_the_bound() {
    let app = spawn_app_with(|c| c.http_header_timeout_secs = 2).await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let (mut reader, mut writer) = stream.split();
    let trickle = async {
        writer.write_all(b"GET /healthz HTTP/1.1\r\n").await.ok()?;
        for byte in b"Host: localhost\r\nX-Slow: "
            .iter()
            .chain([b'a'; 200].iter())
        {
            tokio::time::sleep(Duration::from_millis(250)).await;
            writer.write_all(&[*byte]).await.ok()?;
        }
        Some(())
    };
    let watch = async {
        let started = Instant::now();
        let mut buf = [0u8; 256];
        loop {
            match tokio::time::timeout(Duration::from_secs(8), reader.read(&mut buf)).await {
                Err(_) => return None,
                Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
                Ok(Ok(_)) => {}
            }
        }
    };
    let closed_after = tokio::select! {
        closed = watch => closed,
        _ = trickle => None,
    };
    let closed_after = closed_after.expect("the server kept a trickling client past 8 s");
    assert!(
        closed_after < Duration::from_secs(5),
        "closed only after {closed_after:?}"
    );
    assert!(
        closed_after >= Duration::from_millis(1500),
        "{closed_after:?}"
    );
    // The server still answers everyone else.
    let ok = app.get("/healthz").sent().await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_silent_connection_and_an_idle_keep_alive_are_closed_within_the_bound() {
    let app = spawn_app_with(|c| c.http_header_timeout_secs = 2).await;
    // Connects and sends nothing.
    let mut silent = TcpStream::connect(app.addr).await.expect("connect");
    let (_, after) = read_until_closed(&mut silent, Duration::from_secs(8))
        .await
        .expect("a silent connection was kept past 8 s");
    assert!(after < Duration::from_secs(5), "{after:?}");
    // Sends one request, then starts another and never finishes its head.
    let mut idle = open_and_ask(app.addr).await.expect("answered");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: l")
        .await
        .expect("write");
    let (_, after) = read_until_closed(&mut idle, Duration::from_secs(8))
        .await
        .expect("an unfinished second request head was kept past 8 s");
    assert!(after < Duration::from_secs(5), "{after:?}");
}

#[tokio::test]
async fn one_address_may_hold_only_so_many_connections() {
    let app = spawn_app_with(|c| c.http_max_connections_per_ip = 3).await;
    let mut open = Vec::new();
    for i in 0..3 {
        open.push(
            open_and_ask(app.addr)
                .await
                .unwrap_or_else(|| panic!("connection {} refused", i + 1)),
        );
    }
    // The fourth is closed without an answer.
    let mut fourth = TcpStream::connect(app.addr).await.expect("TCP connect");
    let _ = fourth.write_all(HEALTHZ).await;
    let (answer, _) = read_until_closed(&mut fourth, e2e::PATIENCE)
        .await
        .expect("the fourth connection was kept open");
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    // The three still work.
    for stream in &mut open {
        stream.write_all(HEALTHZ).await.expect("keep-alive write");
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf).await.expect("keep-alive read");
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    }
    // Once one closes, a new one is served again.
    drop(open.pop());
    let deadline = Instant::now() + e2e::PATIENCE;
    let again = loop {
        if let Some(stream) = open_and_ask(app.addr).await {
            break stream;
        }
        assert!(
            Instant::now() < deadline,
            "no connection served after one closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(again);
    drop(open);
    // All closed: the full allowance is back once the server has seen them go. Three
    // at once, each kept open; only a refused one is tried again.
    let deadline = Instant::now() + e2e::PATIENCE;
    let mut fresh = Vec::new();
    while fresh.len() < 3 {
        match open_and_ask(app.addr).await {
            Some(stream) => fresh.push(stream),
            None => {
                assert!(
                    Instant::now() < deadline,
                    "only {} connections served at once after all closed",
                    fresh.len()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test]
async fn a_trusted_proxy_is_not_capped() {
    let app = spawn_app_with(|c| {
        c.http_max_connections_per_ip = 2;
        c.trusted_proxies = "127.0.0.1/32".into();
    })
    .await;
    let mut open = Vec::new();
    for i in 0..6 {
        open.push(
            open_and_ask(app.addr)
                .await
                .unwrap_or_else(|| panic!("connection {} through the proxy refused", i + 1)),
        );
    }
}

// --- Item 8: request ids -----------------------------------------------------------

async fn id_for(app: &TestApp, ids: &[&str]) -> String {
    let mut request = app.get("/healthz");
    for id in ids {
        request = request.header("x-request-id", *id);
    }
    let response = request.sent().await;
    assert_eq!(response.status(), StatusCode::OK);
    let echoed: Vec<_> = response.headers().get_all("x-request-id").iter().collect();
    assert_eq!(echoed.len(), 1, "{echoed:?}");
    echoed[0].to_str().expect("ascii").to_owned()
}

fn is_uuid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok() && id.len() == 36
}

#[tokio::test]
async fn a_request_id_from_an_untrusted_client_is_replaced() {
    let app = spawn_app_with(|_| {}).await;
    for sent in ["from-the-proxy-1", "x", &"a".repeat(20_000)] {
        let got = id_for(&app, &[sent]).await;
        assert!(is_uuid(&got), "{got}");
        assert_ne!(got, sent);
    }
    // Trusting some other proxy does not make this peer trusted.
    let other = spawn_app_with(|c| c.trusted_proxies = "10.9.9.9".into()).await;
    let got = id_for(&other, &["from-the-proxy-1"]).await;
    assert!(is_uuid(&got), "{got}");
}

#[tokio::test]
async fn a_trusted_proxy_id_is_kept_only_when_short_and_plain() {
    let app = spawn_app_with(|c| c.trusted_proxies = "127.0.0.1/32".into()).await;
    for kept in ["from-the-proxy-1", "abc.DEF_123", &"a".repeat(64)] {
        assert_eq!(id_for(&app, &[kept]).await, kept);
    }
    let forged = [
        "\" reference=FAKE-0001 level=INFO msg=\"tip accepted",
        "a b",
        "id\tx",
        "id;drop",
        "åäö",
        &"a".repeat(65),
        &"b".repeat(20_000),
    ];
    for sent in forged {
        let got = id_for(&app, &[sent]).await;
        assert!(is_uuid(&got), "{sent:?} → {got}");
    }
    // Two ids: neither is believed.
    let got = id_for(&app, &["one-id", "other-id"]).await;
    assert!(is_uuid(&got), "{got}");
}

// --- Item 12: who reads /metrics, which operations are labels ----------------------

async fn scrape(url: &str, token: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.sent().await
}

#[tokio::test]
async fn metrics_addr_moves_metrics_off_the_public_listener() {
    let (app, metrics) = spawn_app_with_metrics(|c| {
        c.metrics_addr = Some("127.0.0.1:0".parse().expect("addr"));
    })
    .await;
    let metrics = metrics.expect("a metrics listener");
    assert_ne!(metrics.port(), app.addr.port());
    let public = scrape(&app.url("/metrics"), None).await;
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    assert_security_headers("public /metrics", public.headers());
    let body: Value = public.json().await.expect("json");
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);

    let private = scrape(&format!("http://{metrics}/metrics"), None).await;
    assert_eq!(private.status(), StatusCode::OK);
    assert_security_headers("private /metrics", private.headers());
    assert!(
        private
            .text()
            .await
            .expect("text")
            .contains("outbox_pending")
    );
    // The metrics listener serves nothing else.
    for path in [
        "/graphql?query=%7B__typename%7D",
        "/healthz",
        "/export/promises.json",
    ] {
        let other = scrape(&format!("http://{metrics}{path}"), None).await;
        assert_eq!(other.status(), StatusCode::NOT_FOUND, "{path}");
        assert_security_headers(path, other.headers());
    }
    let post = reqwest::Client::new()
        .post(format!("http://{metrics}/metrics"))
        .sent()
        .await;
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_security_headers("POST private /metrics", post.headers());
}

#[tokio::test]
async fn metrics_token_is_required_when_set() {
    let token = "s3cret-metrics-token";
    let (app, metrics) = spawn_app_with_metrics(|c| {
        c.metrics_token = Some(Secret::new(token));
    })
    .await;
    assert!(metrics.is_none());
    let url = app.url("/metrics");
    for wrong in [
        None,
        Some(""),
        Some("s3cret-metrics-toke"),
        Some("s3cret-metrics-tokenX"),
    ] {
        let response = scrape(&url, wrong).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert_security_headers("401 /metrics", response.headers());
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
        assert!(!body.to_string().contains(token));
    }
    let basic = reqwest::Client::new()
        .get(&url)
        .header(header::AUTHORIZATION, format!("Basic {token}"))
        .sent()
        .await;
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    let ok = scrape(&url, Some(token)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.text().await.expect("text").contains("outbox_pending"));

    // With both, the token guards the metrics listener too.
    let (_app, metrics) = spawn_app_with_metrics(|c| {
        c.metrics_token = Some(Secret::new(token));
        c.metrics_addr = Some("127.0.0.1:0".parse().expect("addr"));
    })
    .await;
    let private = format!("http://{}/metrics", metrics.expect("listener"));
    assert_eq!(
        scrape(&private, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(scrape(&private, Some(token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_public_listener_serves_no_unprotected_metrics() {
    // Bound to every interface, no token, no metrics listener: /metrics is off.
    // (A public listener with the web UI needs PUBLIC_BASE_URL.)
    let app = spawn_app_with(|c| {
        c.listen_addr = "0.0.0.0:0".parse().expect("addr");
        c.public_base_url = Some("https://loften.example.se".into());
    })
    .await;
    let url = format!("http://127.0.0.1:{}/metrics", app.addr.port());
    let response = scrape(&url, None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_security_headers("/metrics off", response.headers());
    // A token turns it on there.
    let app = spawn_app_with(|c| {
        c.listen_addr = "0.0.0.0:0".parse().expect("addr");
        c.public_base_url = Some("https://loften.example.se".into());
        c.metrics_token = Some(Secret::new("tok-en"));
    })
    .await;
    let url = format!("http://127.0.0.1:{}/metrics", app.addr.port());
    assert_eq!(scrape(&url, Some("tok-en")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn client_chosen_operation_names_cannot_evict_known_ones() {
    let app = spawn_app_with(|c| c.metrics_operations = "EdgesCatalogue, EdgesOther".into()).await;
    // A flood of made-up names first, as a client trying to fill the label set would.
    for i in 0..150 {
        app.graphql(&format!("query EdgesSpam{i} {{ __typename }}"), json!({}))
            .await;
    }
    app.query(
        "query EdgesCatalogue { promises { totalCount } }",
        json!({}),
    )
    .await;
    app.query("query EdgesNotListed { __typename }", json!({}))
        .await;
    app.query("{ __typename }", json!({})).await;
    let text = scrape(&app.url("/metrics"), None)
        .await
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("graphql_requests_total{operation=\"EdgesCatalogue\""),
        "{text}"
    );
    assert!(
        text.contains("graphql_requests_total{operation=\"other\""),
        "{text}"
    );
    assert!(
        text.contains("graphql_requests_total{operation=\"anonymous\""),
        "{text}"
    );
    assert!(!text.contains("EdgesSpam"), "a made-up name became a label");
    assert!(
        !text.contains("EdgesNotListed"),
        "an unlisted name became a label"
    );
}

#[tokio::test]
async fn a_bad_operation_allowlist_stops_start_up() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = e2e::test_config(dir.path()).await.expect("config");
    config.metrics_operations = "Good, not-a-name".into();
    let Err(err) = server::app::Application::build(&config).await else {
        panic!("built with a bad METRICS_OPERATIONS");
    };
    assert!(err.to_string().contains("METRICS_OPERATIONS"), "{err}");
}

// --- Item 13: security headers on every response -----------------------------------

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    // The default request timeout for the table (a slow machine may take a while over
    // the 200 KB upload); a second server with a 1 s timeout for the 408.
    let app = spawn_app_with(|_| {}).await;
    let client = &app.http;
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode)> = vec![
        (
            "404",
            client.get(app.url("/no/such/path")),
            StatusCode::NOT_FOUND,
        ),
        (
            "405",
            client.delete(app.url("/graphql")),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "405 put",
            client.put(app.url("/healthz")),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "413",
            client
                .post(app.url("/graphql"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(vec![b' '; 200 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "400",
            client.get(app.url("/graphql")),
            StatusCode::BAD_REQUEST,
        ),
        (
            "415/400 bad body",
            client
                .post(app.url("/graphql"))
                .header(header::CONTENT_TYPE, "application/json")
                .body("{not json"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "asset 404",
            client.get(app.url("/graphiql/assets/nope.js")),
            StatusCode::NOT_FOUND,
        ),
        ("200", client.get(app.url("/healthz")), StatusCode::OK),
    ];
    for (what, request, status) in cases {
        let response = request.sent().await;
        assert_eq!(response.status(), status, "{what}");
        assert_security_headers(what, response.headers());
    }
    // 408: the body never arrives within the request timeout.
    let impatient = spawn_app_with(|c| c.http_timeout_secs = 1).await;
    let mut stream = TcpStream::connect(impatient.addr).await.expect("connect");
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
Content-Length: 100\r\n\r\n{\"query\":",
        )
        .await
        .expect("write");
    let (answer, _) = read_until_closed(&mut stream, e2e::PATIENCE)
        .await
        .unwrap_or_else(|| (Vec::new(), Duration::ZERO));
    assert!(!answer.is_empty(), "no answer to a stalled body");
    let (status, headers) = raw_head(&answer);
    assert_eq!(status, 408, "{}", String::from_utf8_lossy(&answer));
    assert_security_headers("408", &headers);
}

// --- Item 14: GraphiQL from the binary --------------------------------------------

fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let marker = format!("{attribute}=\"");
    html.match_indices(&marker)
        .filter_map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest.split('"').next()
        })
        .collect()
}

#[tokio::test]
async fn graphiql_loads_only_its_own_assets() {
    let app = spawn_app_with(|_| {}).await;
    let page = app
        .get("/graphql")
        .header(header::ACCEPT, "text/html")
        .sent()
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii")
        .to_owned();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .expect("a script-src directive");
    assert_eq!(script_src, "script-src 'self'", "{csp}");
    assert!(!csp.contains("http"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(!html.contains("<script>"), "an inline script: {html}");
    assert!(
        !html.contains("style=") && !html.contains("<style"),
        "{html}"
    );
    let scripts = attribute_values(&html, "src");
    let styles = attribute_values(&html, "href");
    assert!(scripts.len() >= 4 && styles.len() >= 2, "{html}");
    for (src, media_type) in scripts
        .iter()
        .map(|s| (*s, "text/javascript"))
        .chain(styles.iter().map(|s| (*s, "text/css")))
    {
        assert!(
            src.starts_with("/graphiql/assets/"),
            "not same-origin: {src}"
        );
        let asset = app.get(src).sent().await;
        assert_eq!(asset.status(), StatusCode::OK, "{src}");
        assert!(
            asset.headers()[header::CONTENT_TYPE]
                .to_str()
                .expect("ascii")
                .starts_with(media_type),
            "{src}: {:?}",
            asset.headers()[header::CONTENT_TYPE]
        );
        assert_eq!(
            asset.headers()["x-content-type-options"],
            "nosniff",
            "{src}"
        );
        let body = asset.bytes().await.expect("body");
        assert!(body.len() > 20, "{src}");
    }
    // The start script talks to this server's endpoint only.
    let init = app
        .get("/graphiql/assets/init.js")
        .sent()
        .await
        .text()
        .await
        .expect("text");
    assert!(
        init.contains("'/graphql'") && !init.contains("http"),
        "{init}"
    );
    // Nothing else can be fetched through the asset route.
    for path in [
        "/graphiql/assets/..%2F..%2FCargo.toml",
        "/graphiql/assets/%2e%2e/graphql.rs",
        "/graphiql/assets/LICENSE-react",
        "/graphiql/assets/",
    ] {
        let response = app.get(path).sent().await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn graphiql_off_serves_neither_page_nor_assets() {
    let app = spawn_app_with(|c| c.graphiql = false).await;
    let page = app
        .get("/graphql")
        .header(header::ACCEPT, "text/html")
        .sent()
        .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let body: Value = page.json().await.expect("json");
    assert_eq!(error_codes(&body), ["BAD_REQUEST"]);
    for name in ["graphiql.min.js", "init.js", "graphiql.min.css"] {
        let asset = app.get(&format!("/graphiql/assets/{name}")).sent().await;
        assert_eq!(asset.status(), StatusCode::NOT_FOUND, "{name}");
        let body: Value = asset.json().await.expect("json");
        assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    }
}
