//! The resident site over plain HTTP, as a browser without scripts uses it: pages,
//! the tip form's errors, double submits, the limit page, escaping, and staff edits that
//! show on the next page view. `web_browser.rs` drives the same pages in Chromium.

use e2e::{Sent, TestApp, spawn_app_with, tips::quiet};
use entity::StaffRole;
use reqwest::StatusCode;
use serde_json::json;

async fn get(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.get(path).sent().await;
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let response = app.post(path).form(form).sent().await;
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

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A GET that says the browser already holds `etag`.
async fn get_if_none_match(app: &TestApp, path: &str, etag: &str) -> reqwest::Response {
    app.get(path).header("if-none-match", etag).sent().await
}

#[tokio::test]
async fn public_pages_are_cached_like_the_api_and_private_ones_are_not_stored() {
    let app = spawn_app_with(quiet).await;
    for path in ["/", "/?sok=mell", "/kommun/mellerud", "/tillganglighet"] {
        let (status, headers, html) = get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let etag = header(&headers, "etag")
            .unwrap_or_else(|| panic!("{path}: an ETag"))
            .to_owned();
        assert_eq!(
            etag,
            server::cache::etag(html.as_bytes()),
            "{path}: the tag of the bytes"
        );
        assert_eq!(
            header(&headers, "cache-control"),
            Some("public, max-age=60"),
            "{path}: as the API's GET answers (CACHE_MAX_AGE_SECS)"
        );
        // The same page again: the same tag, and a browser holding it gets 304.
        let (_, again, _) = get(&app, path).await;
        assert_eq!(header(&again, "etag"), Some(etag.as_str()), "{path}");
        let cached = get_if_none_match(&app, path, &etag).await;
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(header(cached.headers(), "etag"), Some(etag.as_str()));
        assert_eq!(
            header(cached.headers(), "cache-control"),
            Some("public, max-age=60")
        );
        assert!(cached.text().await.expect("body").is_empty());
        // Another tag: the page.
        let other = get_if_none_match(&app, path, "\"0000\"").await;
        assert_eq!(other.status(), StatusCode::OK, "{path}");
    }
    // A municipality that does not exist is not cached.
    let (status, headers, _) = get(&app, "/kommun/finnsinte").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert!(header(&headers, "etag").is_none());

    // The form (its idempotency key), the receipt and the status page (the private code)
    // are stored nowhere.
    let (_, headers, form) = get(&app, "/kommun/mellerud/tips").await;
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert!(header(&headers, "etag").is_none());
    let response = app
        .post("/kommun/mellerud/tips")
        .form(&[
            ("kind", "TIP"),
            ("message", "Gatlyktan vid torget är trasig."),
            ("idempotency_key", form_key(&form).as_str()),
        ])
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "cache-control"),
        Some("no-store")
    );
    let receipt = response.text().await.expect("body");
    let link = between(&receipt, "href=\"/status?", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    for path in ["/status".to_owned(), format!("/status?{link}")] {
        let (status, headers, _) = get(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(
            header(&headers, "cache-control"),
            Some("no-store"),
            "{path}"
        );
        assert!(header(&headers, "etag").is_none(), "{path}");
    }
}

#[tokio::test]
async fn the_largest_municipality_page_is_under_50_kb_compressed() {
    let app = spawn_app_with(quiet).await;
    // Every municipality's page, uncompressed; the largest is the one to measure.
    let (_, _, start) = get(&app, "/").await;
    let slugs: Vec<&str> = start
        .split("href=\"/kommun/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    let seeded = app
        .query(
            "{ municipalities(first: 100) { nodes { slug } } }",
            json!({}),
        )
        .await["municipalities"]["nodes"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(
        seeded > 0 && slugs.len() == seeded,
        "every seeded municipality: {slugs:?}"
    );
    let mut largest = ("", 0);
    for slug in slugs {
        let (status, _, html) = get(&app, &format!("/kommun/{slug}")).await;
        assert_eq!(status, StatusCode::OK, "{slug}");
        if html.len() > largest.1 {
            largest = (slug, html.len());
        }
    }
    let (slug, plain) = largest;
    let response = app
        .get(&format!("/kommun/{slug}"))
        .header("accept-encoding", "gzip")
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response.headers(), "content-encoding"), Some("gzip"));
    let body = response.bytes().await.expect("body");
    assert!(body.starts_with(&[0x1f, 0x8b]), "a gzip stream");
    assert!(
        body.len() < 51_200,
        "/kommun/{slug}: {} bytes gzip-compressed ({plain} bytes plain)",
        body.len()
    );
}

#[tokio::test]
async fn a_staff_edit_shows_on_the_next_page_view() {
    let app = spawn_app_with(quiet).await;
    let (_, headers, before) = get(&app, "/kommun/mellerud").await;
    assert!(!before.contains("Trygg i Mellerud 2025"));
    let old_etag = header(&headers, "etag").expect("an ETag").to_owned();
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
    let (_, headers, after) = get(&app, "/kommun/mellerud").await;
    assert!(after.contains("Trygg i Mellerud 2025"));
    let new_etag = header(&headers, "etag").expect("an ETag").to_owned();
    assert_ne!(new_etag, old_etag, "the edit changes the tag");
    // A browser holding the page from before the edit gets the new page, not 304.
    let revalidated = get_if_none_match(&app, "/kommun/mellerud", &old_etag).await;
    assert_eq!(revalidated.status(), StatusCode::OK);
    assert_eq!(
        header(revalidated.headers(), "etag"),
        Some(new_etag.as_str())
    );
    assert!(
        revalidated
            .text()
            .await
            .expect("body")
            .contains("Trygg i Mellerud 2025")
    );
    let cached = get_if_none_match(&app, "/kommun/mellerud", &new_etag).await;
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn web_ui_false_leaves_only_the_api() {
    let app = spawn_app_with(|c| {
        quiet(c);
        c.web_ui = false;
    })
    .await;
    for path in [
        "/",
        "/kommun/mellerud",
        "/kommun/mellerud/tips",
        "/status",
        "/tillganglighet",
        "/assets/site.css",
        "/assets/place.js",
        "/staff",
        "/staff/logga-in",
    ] {
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
        .post("/kommun/mellerud/tips")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("kind", "TIP"),
            (
                "message",
                "Ett tips som en annan sida skickar åt besökaren.",
            ),
        ])
        .sent()
        .await;
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

/// The `(value, label)` options of the select `id` with a value (not the empty default).
fn options(html: &str, id: &str) -> Vec<(String, String)> {
    between(html, &format!("<select id=\"{id}\""), "</select>")
        .split("<option value=\"")
        .skip(1)
        .filter_map(|o| {
            let (value, rest) = o.split_once('"')?;
            let label = between(rest, ">", "</option>");
            (!value.is_empty()).then(|| (value.to_owned(), label.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn what_the_form_sends_is_what_staff_read_and_the_status_follows_over_graphql() {
    use sea_orm::EntityTrait;
    let app = spawn_app_with(quiet).await;
    let (_, _, form) = get(&app, "/kommun/mellerud/tips").await;
    // A recipient other than the one routing would choose, and a focus area.
    let recipients = options(&form, "recipient");
    let (recipient, recipient_label) = recipients
        .iter()
        .find(|(_, label)| !label.starts_with("Erika Gustavsson"))
        .unwrap_or_else(|| panic!("another recipient: {recipients:?}"))
        .clone();
    let concerns = options(&form, "concerns");
    let (concern, concern_label) = concerns
        .iter()
        .find(|(_, label)| label.starts_with("Fokusområde: "))
        .unwrap_or_else(|| panic!("a focus area: {concerns:?}"))
        .clone();
    let (status, receipt) = post(
        &app,
        "/kommun/mellerud/tips",
        &[
            ("kind", "OPINION"),
            (
                "message",
                "Belysningen i gångtunneln vid stationen är för svag.",
            ),
            ("name", "Anna Andersson"),
            ("email", "anna@example.se"),
            ("wants_reply", "1"),
            ("recipient", &recipient),
            ("concerns", &concern),
            ("idempotency_key", &form_key(&form)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    let reference = between(&receipt, "class=\"reference\">", "<").to_owned();
    let recipient_name = recipient_label
        .split(',')
        .next()
        .expect("a name")
        .trim()
        .to_owned();
    assert!(
        receipt.contains(&format!("Det har skickats till {recipient_name}")),
        "{receipt}"
    );

    // What staff read through the GraphQL API.
    let admin = app.staff_token(StaffRole::Admin, &["mellerud"], None).await;
    let tip = app
        .query_as(
            &admin,
            "query($r: String!) { tip(reference: $r) { kind name email wantsReply routedTo status } }",
            json!({ "r": reference }),
        )
        .await["tip"]
        .clone();
    assert_eq!(tip["kind"], "OPINION");
    assert_eq!(tip["name"], "Anna Andersson");
    assert_eq!(tip["email"], "anna@example.se");
    assert_eq!(tip["wantsReply"], true);
    assert_eq!(tip["routedTo"], recipient_name.as_str(), "{tip}");
    // What it concerns (not in the staff API; the staff tip page shows it): stored as the
    // focus area chosen.
    let row = entity::tip::Entity::find()
        .all(&app.db)
        .await
        .expect("tips")
        .into_iter()
        .find(|t| t.reference == reference)
        .expect("the tip");
    let area = entity::focus_area::Entity::find_by_id(
        row.concerns_focus_area_id.expect("a focus area stored"),
    )
    .one(&app.db)
    .await
    .expect("read")
    .expect("the focus area");
    assert_eq!(
        format!("Fokusområde: {}", area.title),
        concern_label.replace("&#38;", "&").replace("&amp;", "&")
    );
}
