//! The resident site over plain HTTP, as a browser without scripts uses it: pages,
//! the tip form's errors, double submits, the limit page, escaping, and staff edits that
//! show on the next page view. `web_browser.rs` drives the same pages in Chromium.

use e2e::{TestApp, spawn_app_with, tips::quiet};
use entity::StaffRole;
use reqwest::StatusCode;
use serde_json::json;

async fn get(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.http.get(app.url(path)).send().await.expect("sent");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let response = app
        .http
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// The idempotency key the form page carries.
fn form_key(html: &str) -> String {
    let marker = "name=\"idempotency_key\" value=\"";
    let start = html.find(marker).expect("the form carries a key") + marker.len();
    html[start..]
        .split('"')
        .next()
        .expect("key value")
        .to_owned()
}

fn between<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    let start = html.find(from).map_or(html.len(), |i| i + from.len());
    let rest = &html[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

async fn tip_count(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::tip::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn the_start_page_finds_municipalities_in_swedish_order_by_county() {
    let app = spawn_app_with(quiet).await;
    let (status, headers, html) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.starts_with("<!DOCTYPE html>\n<html lang=\"sv\">"),
        "{html:.80}"
    );
    let csp = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("a CSP");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(html.contains("<a href=\"/kommun/mellerud\">Mellerud</a>"));
    // Grouped under county headings, in the collation's order (the API's own order of
    // municipalities is tested in catalog.rs).
    assert!(html.contains("<h2 id=\"lan-1\">"));
    let kronoberg = html.find("Kronobergs län").expect("Kronoberg");
    let vastra = html.find("Västra Götalands län").expect("Västra Götaland");
    assert!(kronoberg < vastra);

    let (_, _, found) = get(&app, "/?sok=mell").await;
    assert!(found.contains("/kommun/mellerud"));
    assert!(
        !found.contains("/kommun/almhult"),
        "search narrows the list"
    );
    assert!(found.contains("1 kommun matchar"));
}

#[tokio::test]
async fn a_municipality_page_shows_its_promise_contacts_and_the_emergency_notice_first() {
    let app = spawn_app_with(quiet).await;
    let (status, _, html) = get(&app, "/kommun/mellerud").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Medborgarlöfte för Melleruds kommun"));
    assert!(html.contains("Erika Gustavsson"));
    assert!(html.contains("<progress"), "progress is shown as a bar");
    assert!(html.contains("% genomfört"), "with a text alternative");
    let notice = html.find("ring 112").expect("emergency notice");
    let form_link = html.find("/kommun/mellerud/tips").expect("form link");
    assert!(notice < form_link, "the notice comes before the form");
    // The link to the form names tips, synpunkter or idéer.
    assert!(between(&html, "/kommun/mellerud/tips\">", "</a>").contains("tips"));

    let (status, _, missing) = get(&app, "/kommun/finnsinte").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Sidan finns inte"));
}

#[tokio::test]
async fn the_form_shows_every_error_keeps_what_was_typed_and_stores_nothing() {
    let app = spawn_app_with(quiet).await;
    let (_, _, form) = get(&app, "/kommun/mellerud/tips").await;
    let key = form_key(&form);
    let (status, html) = post(
        &app,
        "/kommun/mellerud/tips",
        &[
            ("kind", "TIP"),
            ("message", "<b>k</b>"),
            ("email", "inte-en-adress"),
            ("name", "Anna \"Andersson\""),
            ("idempotency_key", &key),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let summary = between(&html, "class=\"error-summary\"", "</div>");
    assert!(summary.contains("href=\"#message\""), "{summary}");
    assert!(summary.contains("Meddelandet måste vara minst 10 tecken."));
    assert!(
        summary.contains("href=\"#email\""),
        "every error at once: {summary}"
    );
    // Next to the fields, and what was typed comes back escaped.
    assert!(html.contains("id=\"message-fel\""));
    assert!(html.contains("&#60;b&#62;k&#60;/b&#62;") || html.contains("&lt;b&gt;k&lt;/b&gt;"));
    assert!(!html.contains("<b>k</b>"));
    assert!(
        html.contains("value=\"Anna &#34;Andersson&#34;\"")
            || html.contains("value=\"Anna &quot;Andersson&quot;\"")
    );
    assert!(
        html.contains("<title>Fel: "),
        "the title says the page has errors"
    );
    assert_eq!(tip_count(&app).await, 0);
}

#[tokio::test]
async fn a_tip_from_the_form_is_routed_and_a_repeated_post_sends_it_once() {
    let app = spawn_app_with(quiet).await;
    let (_, _, form) = get(&app, "/kommun/mellerud/tips").await;
    let key = form_key(&form);
    let fields = [
        ("kind", "IDEA"),
        ("message", "Fler gatlyktor längs cykelvägen till skolan."),
        ("idempotency_key", key.as_str()),
    ];
    let (status, receipt) = post(&app, "/kommun/mellerud/tips", &fields).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    let reference = between(&receipt, "class=\"reference\">", "<").to_owned();
    assert!(reference.starts_with("MEL-"), "{reference}");
    assert!(
        receipt.contains("Erika Gustavsson, kommunpolis"),
        "who received it"
    );
    assert!(receipt.contains("ring 112"));
    // A reload or a double click posts the same form again: the same tip, once.
    let (again, second) = post(&app, "/kommun/mellerud/tips", &fields).await;
    assert_eq!(again, StatusCode::OK);
    assert_eq!(between(&second, "class=\"reference\">", "<"), reference);
    assert_eq!(tip_count(&app).await, 1);

    // The receipt's status link works, and a wrong code finds nothing.
    let link = between(&receipt, "href=\"/status?", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let (status, _, page) = get(&app, &format!("/status?{link}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Mottagen, inte behandlad ännu"), "{page}");
    let (status, _, wrong) = get(&app, &format!("/status?referens={reference}&kod=fel")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(wrong.contains("Vi hittar inget ärende"));
}

#[tokio::test]
async fn over_the_limit_the_form_answers_with_a_friendly_page() {
    let app = spawn_app_with(|c| {
        quiet(c);
        c.tip_invalid_limit_per_ip = 2;
    })
    .await;
    let mut statuses = Vec::new();
    let mut last = String::new();
    for _ in 0..3 {
        let (status, html) = post(
            &app,
            "/kommun/mellerud/tips",
            &[("kind", "TIP"), ("message", "x"), ("idempotency_key", "k1")],
        )
        .await;
        statuses.push(status);
        last = html;
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    assert!(last.contains("Försök igen om"), "{last}");
}

#[tokio::test]
async fn a_staff_edit_shows_on_the_next_page_view() {
    let app = spawn_app_with(quiet).await;
    let (_, _, before) = get(&app, "/kommun/mellerud").await;
    assert!(!before.contains("Trygg i Mellerud 2025"));
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let id = app
        .query(
            "{ municipality(slug: \"mellerud\") { promises(first: 1) { nodes { id } } } }",
            json!({}),
        )
        .await["municipality"]["promises"]["nodes"][0]["id"]
        .clone();
    app.query_as(
        &editor,
        "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id } } }",
        json!({ "i": { "id": id, "title": "Trygg i Mellerud 2025" } }),
    )
    .await;
    let (_, _, after) = get(&app, "/kommun/mellerud").await;
    assert!(after.contains("Trygg i Mellerud 2025"));
}

#[tokio::test]
async fn web_ui_false_leaves_only_the_api() {
    let app = spawn_app_with(|c| {
        quiet(c);
        c.web_ui = false;
    })
    .await;
    for path in ["/", "/kommun/mellerud", "/status", "/assets/site.css"] {
        let (status, _, _) = get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _, _) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_and_stores_nothing() {
    let app = spawn_app_with(quiet).await;
    let response = app
        .http
        .post(app.url("/kommun/mellerud/tips"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("kind", "TIP"),
            (
                "message",
                "Ett tips som en annan sida skickar åt besökaren.",
            ),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("annan webbplats")
    );
    assert_eq!(tip_count(&app).await, 0);
    // The same form from the site itself goes through.
    let (status, _) = post(
        &app,
        "/kommun/mellerud/tips",
        &[
            ("kind", "TIP"),
            ("message", "Ett tips från själva webbplatsen."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tip_count(&app).await, 1);
}
