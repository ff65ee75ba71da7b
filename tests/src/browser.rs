//! Running a browser script (`tests/browser/*.mjs`, puppeteer-core driving Debian's
//! Chromium with axe-core) against a test server, and reading its JSON report. The
//! scripts report; the Rust tests judge. Nothing is skipped: without Chromium, Node or
//! the npm packages (`scripts/test` installs all three) the test fails and says so.

use std::{path::PathBuf, process::Command};

use serde_json::Value;

/// `tests/browser`.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Run `script` with the base URL, the folder for its screenshots (a test passes one
/// under `CARGO_TARGET_TMPDIR`), `args` and `env`; returns its report. Fails the test
/// when Chromium or the packages are missing, when the script prints no report, or when
/// the report says the run itself failed.
pub async fn run(
    script: &str,
    base: String,
    shots: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
) -> Value {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium is missing at {chromium}: install Debian's chromium (scripts/test does)"
    );
    assert!(
        dir().join("node_modules/puppeteer-core").exists()
            && dir().join("node_modules/axe-core").exists(),
        "run `npm ci` in tests/browser (scripts/test does)"
    );
    let path = dir().join(script);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(path)
            .arg(base)
            .arg(shots)
            .args(args)
            .env("CHROMIUM", chromium)
            .envs(env)
            .output()
    })
    .await
    .expect("joined")
    .expect("node runs (install Node.js; scripts/test does)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "no report from {script} ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        report.get("error").is_none(),
        "the browser run failed: {}",
        report["error"]
    );
    report
}

/// The reflow checks `layout.mjs` makes on every audited page (WCAG 1.4.10 and 1.4.4):
/// at 320 CSS px, and at 200 % zoom (a 1280 px window: 640 CSS px at two device pixels
/// each), the page does not scroll sideways and no text is cut off.
pub const LAYOUT_CHECKS: [&str; 4] = [
    "noSidewaysScrollAt320",
    "noClippedTextAt320",
    "noSidewaysScrollAtZoom200",
    "noClippedTextAtZoom200",
];

/// The layout checks an audited `page` of a report failed, with what was measured.
pub fn layout_failures(name: &str, page: &Value) -> Vec<String> {
    let layout = &page["layout"];
    LAYOUT_CHECKS
        .iter()
        .filter(|check| layout[**check] != Value::Bool(true))
        .map(|check| format!("{name}: {check}: {:#}", layout["details"]))
        .collect()
}
