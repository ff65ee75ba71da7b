//! The resident site in a real headless Chromium (Debian's `chromium`), driven by
//! puppeteer-core from `tests/browser/run.mjs`, with axe-core's WCAG 2.1 A and AA rules
//! run on every page. The script reports; this test judges. Screenshots of every page
//! land in the target directory (`browser-screenshots/`).
//!
//! Nothing here is skipped: without Node, Chromium or the npm packages (`scripts/test`
//! installs all three) the test fails and says what is missing.

use std::{path::PathBuf, process::Command};

use e2e::{spawn_app_with, tips::quiet};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser")
}

fn screenshots_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR lies inside the target directory.
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_passes_axe_and_the_tip_flow_works_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium is missing at {chromium}: install Debian's chromium (scripts/test does)"
    );
    assert!(
        browser_dir().join("node_modules/puppeteer-core").exists()
            && browser_dir().join("node_modules/axe-core").exists(),
        "run `npm ci` in tests/browser (scripts/test does)"
    );
    let app = spawn_app_with(|c| {
        quiet(c);
        // The last step of the flow runs into the invalid-attempt limit.
        c.tip_invalid_limit_per_ip = 3;
    })
    .await;
    let base = app.url("/");
    let shots = screenshots_dir();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(browser_dir().join("run.mjs"))
            .arg(&base)
            .arg(&shots)
            .env("CHROMIUM", chromium)
            .output()
    })
    .await
    .expect("joined")
    .expect("node runs (install Node.js; scripts/test does)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "no report from run.mjs ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        report.get("error").is_none(),
        "the browser run failed: {}",
        report["error"]
    );

    // axe-core: no violation on any page.
    let pages = report["pages"].as_object().expect("pages");
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
    }
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
        "keyboardReachesMessage",
        "keyboardReachesSend",
        "focusVisible",
        "errorSummaryLinks",
        "errorKeepsInput",
        "summaryLinkFocusesField",
    ] {
        assert_eq!(checks[check], Value::Bool(true), "{check}: {checks:#}");
    }
    assert!(
        checks["errorText"]
            .as_str()
            .is_some_and(|t| t.contains("Meddelandet måste vara minst 10 tecken")),
        "{checks:#}"
    );
    assert_eq!(checks["statusText"], "Mottagen, inte behandlad ännu");
    assert_eq!(checks["rateLimitStatus"], 429);

    // The double click sent one tip, and the flow with scripts off one more.
    let reference = checks["reference"].as_str().expect("reference");
    let plain = checks["noScriptReference"]
        .as_str()
        .expect("a receipt with scripts off");
    assert_ne!(reference, plain);
    let stored = entity::tip::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(
        stored, 2,
        "one tip per filled-in form, however often it was clicked"
    );
    assert!(screenshots_dir().join("tip-form-errors.png").exists());
}
