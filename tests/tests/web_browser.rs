//! The resident site in a real headless Chromium (Debian's `chromium`), driven by
//! puppeteer-core from `tests/browser/run.mjs`, with axe-core's WCAG 2.1 A and AA rules
//! run on every page. The script reports; this test judges. Screenshots of every page
//! land in the target directory (`browser-screenshots/`).
//!
//! Nothing here is skipped: without Node, Chromium or the npm packages (`scripts/test`
//! installs all three) the test fails and says what is missing.

use std::path::PathBuf;

use e2e::{spawn_app_with, tips::quiet};
use sea_orm::EntityTrait;
use serde_json::Value;

fn screenshots_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR lies inside the target directory.
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_passes_axe_and_the_tip_flow_works_in_chromium() {
    let app = spawn_app_with(|c| {
        quiet(c);
        // The last step of the flow runs into the invalid-attempt limit.
        c.tip_invalid_limit_per_ip = 3;
    })
    .await;
    let report =
        e2e::browser::run("run.mjs", app.url("/"), screenshots_dir(), vec![], vec![]).await;

    // axe-core: no violation on any page; and every page reflows at 320 px and 200 % zoom.
    let pages = report["pages"].as_object().expect("pages");
    let mut layout = Vec::new();
    for name in [
        "start",
        "search",
        "municipality",
        "tip-form",
        "tip-form-errors",
        "receipt",
        "status",
        "status-not-found",
        "accessibility",
        "rate-limited",
    ] {
        let page = &pages
            .get(name)
            .unwrap_or_else(|| panic!("page {name} was not audited"));
        let violations = page["violations"].as_array().expect("violations");
        assert!(violations.is_empty(), "{name}: {violations:#?}");
        assert!(
            page["passes"].as_u64().unwrap_or(0) > 0,
            "{name}: axe checked nothing"
        );
        layout.extend(e2e::browser::layout_failures(name, page));
    }
    assert!(layout.is_empty(), "{}", layout.join("\n"));
    assert_eq!(
        report["cspViolations"],
        Value::Array(Vec::new()),
        "the CSP held"
    );

    let checks = &report["checks"];
    for check in [
        "searchFinds",
        "emergencyNoticeBeforeForm",
        "noSidewaysScrollAt320",
        "formLinkNamesTips",
        "hiddenIsHidden",
        // The tip flow by keyboard alone: the kind chosen with an arrow key, the fields
        // reached by Tab and typed into, the focus on the form's send button itself when
        // Enter sends it, the receipt's status link reached by Tab and opened with Enter.
        "keyboardChoosesKind",
        "keyboardReachesMessage",
        "keyboardReachesSend",
        "keyboardSubmitShowsSiteFocus",
        "keyboardReachesStatusLink",
        "keyboardStatusPage",
        // Every element the focus reached showed the site's own :focus-visible style
        // (outline and box shadow from site.css), not Chromium's default ring.
        "focusVisible",
        "errorSummaryLinks",
        "errorKeepsInput",
        "summaryLinkFocusesField",
    ] {
        assert_eq!(checks[check], Value::Bool(true), "{check}: {checks:#}");
    }
    assert_eq!(
        checks["keyboardFilledIn"],
        serde_json::json!({
            "message": "Gatubelysningen på Järnvägsgatan är släckt sedan i måndags.",
            "name": "Tangent Bordsson",
            "email": "tangent@example.se",
            "wantsReply": true,
        }),
        "typed by keyboard: {checks:#}"
    );
    assert_eq!(
        checks["keyboardStatusText"],
        "Mottagen, inte behandlad ännu"
    );
    assert!(
        checks["errorText"]
            .as_str()
            .is_some_and(|t| t.contains("Meddelandet måste vara minst 10 tecken")),
        "{checks:#}"
    );
    assert_eq!(checks["statusText"], "Mottagen, inte behandlad ännu");
    assert_eq!(checks["rateLimitStatus"], 429);

    // The keyboard flow sent one tip, the double click one, and the flow with scripts
    // off one more.
    let keyboard = checks["keyboardReference"]
        .as_str()
        .expect("a receipt from the keyboard flow");
    let reference = checks["reference"].as_str().expect("reference");
    let plain = checks["noScriptReference"]
        .as_str()
        .expect("a receipt with scripts off");
    assert_ne!(reference, plain);
    assert!(keyboard != reference && keyboard != plain);
    let stored = entity::tip::Entity::find()
        .all(&app.db)
        .await
        .expect("tips");
    assert_eq!(
        stored.len(),
        3,
        "one tip per filled-in form, however often it was clicked"
    );
    let by_keyboard = stored
        .iter()
        .find(|t| t.reference == keyboard)
        .expect("the keyboard tip");
    assert_eq!(
        by_keyboard.kind,
        entity::TipKind::Opinion,
        "the arrow key chose it"
    );
    assert!(by_keyboard.wants_reply, "Space ticked it");
    assert_eq!(by_keyboard.email.as_deref(), Some("tangent@example.se"));
    assert!(screenshots_dir().join("tip-form-errors.png").exists());
}

/// Links (from `marker` on, to the next white space) in the emails to `to` in `dir`, in
/// the order the files were written.
fn emailed_links(dir: &std::path::Path, to: Option<&str>, marker: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|(_, path)| {
            let raw = std::fs::read(path).ok()?;
            let message = mail_parser::MessageParser::default().parse(&raw)?;
            let address = message.to()?.first()?.address()?.to_owned();
            if to.is_some_and(|to| to != address) {
                return None;
            }
            let text = message.body_text(0)?.to_string();
            let at = text.find(marker)?;
            let rest = &text[at..];
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            Some(rest[..end].to_owned())
        })
        .collect()
}

async fn invite(app: &e2e::TestApp, email: &str, role: &str) {
    use server::cli::{Command, Scope, StaffCommand};
    let config = server::config::Config {
        database_url: app.database_url.clone(),
        ..server::config::Config::default()
    };
    server::cli::run_with_output(
        Command::Staff(StaffCommand::Invite {
            email: email.into(),
            scope: Scope {
                role: role.into(),
                municipalities: vec!["mellerud".into()],
                contact: None,
            },
        }),
        config,
        &mut Vec::new(),
    )
    .await
    .expect("invite");
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_pages_pass_axe_and_a_tip_is_handled_from_the_emailed_link() {
    use e2e::tips::{generous, reference, status_token, submit};
    let mail = tempfile::tempdir().expect("dir");
    let mail_dir = mail.path().to_path_buf();
    let app = spawn_app_with(move |c| {
        generous(c);
        c.mail_dir = mail_dir;
        c.delivery_poll_interval_ms = 100;
    })
    .await;
    invite(&app, "polis@mellerud.se", "recipient").await;
    invite(&app, "redaktor@mellerud.se", "editor").await;
    let areas = app
        .query(
            "{ promises(filter: {municipality: \"mellerud\"}) { nodes { focusAreas { id title } } } }",
            serde_json::json!({}),
        )
        .await;
    let area = &areas["promises"]["nodes"][0]["focusAreas"][0];
    let body = submit(
        &app,
        serde_json::json!({
            "municipality": "mellerud",
            "kind": "TIP",
            "message": "Bilar kör för fort på Storgatan vid skolan på morgonen.",
            "name": "Anna Andersson",
            "email": "anna@example.se",
            "wantsReply": true,
            "concerns": area["id"],
        }),
    )
    .await;
    let reference = reference(&body);
    let status_path = format!("/status?referens={reference}&kod={}", status_token(&body));

    // The inbox link, from the tip email the worker wrote to the mail folder.
    let inbox_link = e2e::eventually("the tip email with its inbox link", || async {
        emailed_links(mail.path(), None, "http://")
            .into_iter()
            .find(|l| l.ends_with(&format!("/staff/tips/{reference}")))
    })
    .await;
    assert_eq!(inbox_link, app.url(&format!("/staff/tips/{reference}")));

    // While the browser runs: hand it each new sign-in link found in the mail folder.
    let links = tempfile::tempdir().expect("dir");
    let relay = {
        let (mail, links) = (mail.path().to_path_buf(), links.path().to_path_buf());
        tokio::spawn(async move {
            let mut seen = std::collections::HashSet::new();
            loop {
                for address in ["polis@mellerud.se", "redaktor@mellerud.se"] {
                    for link in emailed_links(&mail, Some(address), "/staff/logga-in/") {
                        if seen.insert(link.clone()) {
                            let _ = std::fs::write(links.join(format!("{address}.txt")), link);
                        }
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
    };
    let env = [
        ("INBOX_LINK", inbox_link),
        ("STATUS_PATH", status_path),
        ("RECIPIENT", "polis@mellerud.se".to_owned()),
        ("EDITOR", "redaktor@mellerud.se".to_owned()),
        ("LINKS_DIR", links.path().display().to_string()),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .to_vec();
    let report = e2e::browser::run("staff.mjs", app.url("/"), screenshots_dir(), vec![], env).await;
    relay.abort();
    let pages = report["pages"].as_object().expect("pages");
    let mut layout = Vec::new();
    for name in [
        "staff-signin",
        "staff-signin-sent",
        "staff-signin-confirm",
        "staff-inbox",
        "staff-tip",
        "staff-tip-errors",
        "staff-tip-handled",
        "staff-edit-list",
        "staff-edit-promise",
        "staff-edit-promise-errors",
        "staff-edit-promise-saved",
    ] {
        let page = pages
            .get(name)
            .unwrap_or_else(|| panic!("page {name} was not audited"));
        let violations = page["violations"].as_array().expect("violations");
        assert!(violations.is_empty(), "{name}: {violations:#?}");
        assert!(
            page["passes"].as_u64().unwrap_or(0) > 0,
            "{name}: axe checked nothing"
        );
        layout.extend(e2e::browser::layout_failures(name, page));
    }
    assert!(layout.is_empty(), "{}", layout.join("\n"));
    assert_eq!(
        report["cspViolations"],
        Value::Array(Vec::new()),
        "the CSP held"
    );
    let checks = &report["checks"];
    for check in [
        "linkAsksToSignIn",
        "tipOpens",
        "inboxListsTip",
        "replySummaryLinks",
        // The status form with its CSRF field removed: the note was not stored.
        "csrfNoteNotStored",
        // A revoked session: the cookie saved before "Logga ut" and put back afterwards
        // opens the sign-in page, not the inbox.
        "sessionCookieSaved",
        "signOutClearedCookie",
        "sessionCookieRestored",
        "revokedSessionSignInForm",
        "revokedSessionSeesNoInbox",
        "editorLandsOnEditor",
    ] {
        assert_eq!(checks[check], Value::Bool(true), "{check}: {checks:#}");
    }
    assert_eq!(checks["csrfRefusedStatus"], 403, "{checks:#}");
    assert!(
        checks["csrfRefusedText"]
            .as_str()
            .is_some_and(|t| t.contains("saknade en giltig säkerhetskod")),
        "{checks:#}"
    );
    assert_eq!(checks["csrfStatusBefore"], "Ny", "{checks:#}");
    assert_eq!(
        checks["csrfStatusAfter"], "Ny",
        "the refused form changed nothing"
    );
    assert_eq!(
        checks["revokedSessionPath"], "/staff/logga-in",
        "{checks:#}"
    );
    // In the database too: one status change (to HANDLED, with its note), none from the
    // refused form.
    let events = entity::tip_event::Entity::find()
        .all(&app.db)
        .await
        .expect("events");
    let notes: Vec<_> = events.iter().filter_map(|e| e.note.as_deref()).collect();
    assert!(
        notes.contains(&"Kontrollerat på plats.") && !notes.contains(&"Utan säkerhetskod."),
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.to_status == entity::TipStatus::Handled)
            .count(),
        1
    );
    assert!(
        checks["replyError"]
            .as_str()
            .is_some_and(|t| t.contains("Skriv ett svar till invånaren.")),
        "{checks:#}"
    );
    assert_eq!(checks["tipStatus"], "Hanterad");
    let title = area["title"].as_str().expect("a focus area");
    assert!(
        checks["concerns"]
            .as_str()
            .is_some_and(|t| t.contains(&format!("fokusområde {title}"))),
        "{checks:#}"
    );
    assert!(
        checks["residentStatus"]
            .as_str()
            .is_some_and(|t| t.contains("Hanterad")),
        "{checks:#}"
    );
    assert_eq!(checks["editErrorStatus"], 422);
    assert!(
        checks["editError"]
            .as_str()
            .is_some_and(|t| t.contains("Rubriken måste fyllas i.")),
        "{checks:#}"
    );
    assert!(
        checks["editSaved"]
            .as_str()
            .is_some_and(|t| t.contains("Ändringen är sparad")),
        "{checks:#}"
    );
    let public = app
        .get("/kommun/mellerud")
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        public.contains("Trygg i Mellerud – uppdaterad"),
        "the edit is public"
    );
    assert!(screenshots_dir().join("staff-tip.png").exists());
}
