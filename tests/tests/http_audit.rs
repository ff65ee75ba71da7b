//! The GraphQL-over-HTTP audit of the `graphql-http` package (pinned in
//! tests/clients/package.json), run by Node against the real server: every audit must
//! pass, warnings included. `scripts/test` installs the package (`npm ci` in
//! tests/clients) before the suite runs; without it this test fails, it never skips.

use e2e::spawn_app;

#[tokio::test]
async fn the_graphql_over_http_audit_passes_without_failures_or_warnings() {
    let app = spawn_app().await;
    let clients = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("clients");
    assert!(
        clients.join("node_modules/graphql-http").is_dir(),
        "graphql-http is not installed: run `npm ci` in {}",
        clients.display()
    );
    let output = tokio::process::Command::new("node")
        .arg("audit/graphql-http.mjs")
        .arg(app.url("/graphql"))
        .current_dir(&clients)
        .output()
        .await
        .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the audit found problems:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("0 FAIL, 0 WARN"), "{stdout}\n{stderr}");
    assert!(
        stdout.lines().filter(|l| l.starts_with("PASS ")).count() > 20,
        "{stdout}"
    );
}
