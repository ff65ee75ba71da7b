//! `server check` (issue 16, section 2), run as the real binary in its own process with
//! its configuration in environment variables, as an operator runs it: one line per
//! check, exit status 0 only when everything is usable, and no secret in its output.

use std::{path::Path, process::Output};

use e2e::{
    fresh_database_url,
    tls_smtp::{RelayOptions, TestCa, TlsMode, TlsRelay},
};
use migration::MigratorTrait;
use sea_orm::ConnectionTrait;

/// Run `server check` with exactly these environment variables (and a `MAIL_DIR` in
/// `dir`); returns the process output.
async fn check(dir: &Path, env: &[(&str, String)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_e2e-server"));
    command
        .arg("check")
        .env_clear()
        .current_dir(dir)
        .env("MAIL_DIR", dir.join("mail"))
        .env("RUST_LOG", "debug");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().await.expect("server check runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The check lines (`ok   …` / `FAIL …`) of the output.
fn lines(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter(|l| l.starts_with("ok   ") || l.starts_with("FAIL "))
        .map(str::to_owned)
        .collect()
}

fn failures(output: &Output) -> Vec<String> {
    lines(output)
        .into_iter()
        .filter(|l| l.starts_with("FAIL "))
        .collect()
}

/// A database with every migration applied. On PostgreSQL the URL carries a password
/// (the test server trusts every connection, so any password works) that must not print.
async fn migrated_database(dir: &Path) -> String {
    let url = fresh_database_url(dir).await.expect("database");
    let (conn, _) = server::db::connect(&url, 1).await.expect("connect");
    server::db::migrate(&conn).await.expect("migrate");
    conn.close().await.expect("close");
    url.replacen("postgres://postgres@", "postgres://postgres:DbHemlis42@", 1)
}

struct Setup {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    ca: TestCa,
    relay: TlsRelay,
    env: Vec<(&'static str, String)>,
}

const USER: &str = "medborgarloften";
const PASSWORD: &str = "SmtpHemlis-7f3a9c";

/// A good configuration: a migrated database, a STARTTLS relay with AUTH whose CA is in
/// `SMTP_CA_FILE`, a valid `PUBLIC_BASE_URL`.
async fn good() -> Setup {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().to_owned();
    let ca = TestCa::new("Mellerud kommun intern CA");
    let relay = TlsRelay::start(&ca, RelayOptions::new(TlsMode::StartTls, USER, PASSWORD)).await;
    let ca_file = ca.write_pem(&path, "kommun-ca.pem");
    let env = vec![
        ("DATABASE_URL", migrated_database(&path).await),
        ("SMTP_URL", relay.url()),
        ("SMTP_CA_FILE", ca_file.display().to_string()),
        ("PUBLIC_BASE_URL", "https://loften.mellerud.se".to_owned()),
    ];
    Setup {
        _dir: dir,
        dir: path,
        ca,
        relay,
        env,
    }
}

impl Setup {
    fn set(&mut self, key: &'static str, value: impl Into<String>) {
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.into()));
    }

    fn unset(&mut self, key: &str) {
        self.env.retain(|(k, _)| *k != key);
    }

    async fn run(&self) -> Output {
        check(&self.dir, &self.env).await
    }
}

/// Exit status 1 with exactly one FAIL line, for `check`, that contains every `expect`;
/// and no password anywhere in the output.
fn assert_fails_only(output: &Output, check: &str, expect: &[&str]) {
    let text = all_output(output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let failed = failures(output);
    assert_eq!(failed.len(), 1, "only {check} fails: {text}");
    let prefix = format!("FAIL {check}: ");
    assert!(failed[0].starts_with(&prefix), "{text}");
    for e in expect {
        assert!(failed[0].contains(e), "{e:?} in {:?}", failed[0]);
    }
    assert_no_secrets(output);
}

fn assert_no_secrets(output: &Output) {
    let text = all_output(output);
    for secret in [PASSWORD, "DbHemlis42"] {
        assert!(!text.contains(secret), "a password printed: {text}");
    }
    assert!(
        !text.contains(&format!("{USER}:")),
        "SMTP user info printed: {text}"
    );
}

#[tokio::test]
async fn a_good_configuration_passes_every_check_and_sends_nothing() {
    let setup = good().await;
    let output = setup.run().await;
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let lines = lines(&output);
    for check in [
        "configuration",
        "database",
        "migrations",
        "mail-from",
        "smtp",
        "public-base-url",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("ok   {check}: "))),
            "{check} ok: {text}"
        );
    }
    assert!(failures(&output).is_empty(), "{text}");
    let smtp = lines
        .iter()
        .find(|l| l.starts_with("ok   smtp: "))
        .expect("smtp line");
    assert!(
        smtp.contains("STARTTLS (required)") && smtp.contains("with AUTH"),
        "{smtp}"
    );
    // It really logged in, over TLS, and sent nothing.
    let attempts = setup.relay.auth_attempts();
    assert!(
        attempts.len() == 1 && attempts[0].accepted && attempts[0].over_tls,
        "{attempts:?}"
    );
    assert!(setup.relay.messages().is_empty(), "nothing sent");
    assert_eq!(setup.relay.quits(), 1, "the session ended with QUIT");
    assert_no_secrets(&output);
    if e2e::backend() == "postgres" {
        assert!(text.contains("postgres:***@"), "URL redacted: {text}");
    }
}

#[tokio::test]
async fn implicit_tls_and_the_mail_folder_pass_too() {
    let mut setup = good().await;
    let relay = TlsRelay::start(
        &setup.ca,
        RelayOptions::new(TlsMode::Implicit, USER, PASSWORD),
    )
    .await;
    setup.set("SMTP_URL", relay.url());
    let output = setup.run().await;
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert!(
        lines(&output)
            .iter()
            .any(|l| l.starts_with("ok   smtp: implicit TLS")),
        "{}",
        all_output(&output)
    );
    assert!(relay.auth_attempts().iter().all(|a| a.accepted));
    assert_no_secrets(&output);

    setup.unset("SMTP_URL");
    let output = setup.run().await;
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert!(
        lines(&output)
            .iter()
            .any(|l| l.starts_with("ok   mail-folder: ") && l.contains("writable")),
        "{}",
        all_output(&output)
    );
}

#[tokio::test]
async fn a_wrong_smtp_password_fails_the_smtp_check() {
    let mut setup = good().await;
    let wrong = setup.relay.url_with("NotTheSmtpPassword-1", None);
    setup.set("SMTP_URL", wrong);
    let output = setup.run().await;
    assert_fails_only(&output, "smtp", &["authentication", "535"]);
    assert!(!all_output(&output).contains("NotTheSmtpPassword-1"));
    assert!(setup.relay.auth_attempts().iter().all(|a| !a.accepted));
}

#[tokio::test]
async fn an_untrusted_certificate_fails_the_smtp_check() {
    let mut setup = good().await;
    setup.unset("SMTP_CA_FILE");
    let output = setup.run().await;
    assert_fails_only(&output, "smtp", &["certificate", "unknown issuer"]);
    assert!(
        setup.relay.auth_attempts().is_empty(),
        "the password never went to the untrusted server"
    );
}

#[tokio::test]
async fn an_unreachable_relay_fails_the_smtp_check() {
    let mut setup = good().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    setup.set(
        "SMTP_URL",
        format!("smtp://{USER}:{PASSWORD}@127.0.0.1:{port}?tls=required"),
    );
    let output = setup.run().await;
    assert_fails_only(&output, "smtp", &["connection"]);
}

#[tokio::test]
async fn an_invalid_ca_file_fails_the_smtp_check() {
    let mut setup = good().await;
    let bad = setup.dir.join("bad.pem");
    std::fs::write(&bad, "not a certificate").expect("write");
    setup.set("SMTP_CA_FILE", bad.display().to_string());
    let output = setup.run().await;
    assert_fails_only(&output, "smtp", &["SMTP_CA_FILE", "holds no certificate"]);
}

#[tokio::test]
async fn pending_migrations_fail_the_check_and_are_not_applied() {
    let mut setup = good().await;
    let empty = fresh_database_url(&setup.dir.join("empty"))
        .await
        .expect("database");
    std::fs::create_dir_all(setup.dir.join("empty")).expect("dir");
    setup.set("DATABASE_URL", empty.clone());
    let total = migration::Migrator::migrations().len();
    assert!(total > 0);
    // With MIGRATE_ON_START (the default) the server will apply them: usable, and said.
    let output = setup.run().await;
    assert!(output.status.success(), "{}", all_output(&output));
    assert!(
        all_output(&output).contains(&format!(
            "ok   migrations: {total} pending, applied when the server starts"
        )),
        "{}",
        all_output(&output)
    );
    setup.set("MIGRATE_ON_START", "false");
    let output = setup.run().await;
    assert_fails_only(&output, "migrations", &[&format!("{total} pending")]);
    let first = migration::Migrator::migrations()[0].name().to_owned();
    assert!(
        failures(&output)[0].contains(&first),
        "names the migrations: {:?}",
        failures(&output)
    );
    // Still all pending: the check did not apply them.
    let (conn, _) = server::db::connect(&empty, 1).await.expect("connect");
    let pending = migration::Migrator::get_pending_migrations_read_only(&conn)
        .await
        .expect("pending");
    assert_eq!(pending.len(), total);
    let tables = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            match conn.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
                }
                _ => "SELECT name FROM sqlite_master WHERE type = 'table'",
            },
        ))
        .await
        .expect("listing tables");
    assert!(
        tables.is_empty(),
        "the check created tables: {}",
        tables.len()
    );
}

#[tokio::test]
async fn an_invalid_public_base_url_fails_the_check() {
    let mut setup = good().await;
    for bad in ["loften.mellerud.se", "ftp://loften.mellerud.se", "https://"] {
        setup.set("PUBLIC_BASE_URL", bad);
        let output = setup.run().await;
        assert_fails_only(&output, "public-base-url", &["PUBLIC_BASE_URL"]);
    }
}

#[tokio::test]
async fn public_base_url_is_required_with_the_web_ui_on_a_public_listener() {
    let mut setup = good().await;
    setup.unset("PUBLIC_BASE_URL");
    setup.set("LISTEN_ADDR", "0.0.0.0:8080");
    let output = setup.run().await;
    assert_fails_only(
        &output,
        "public-base-url",
        &["PUBLIC_BASE_URL", "WEB_UI", "0.0.0.0:8080"],
    );
    // Without the web UI there is nothing to link to.
    setup.set("WEB_UI", "false");
    let output = setup.run().await;
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    // The embedded default listens on loopback and links to itself.
    setup.unset("WEB_UI");
    setup.unset("LISTEN_ADDR");
    let output = setup.run().await;
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert!(
        lines(&output).iter().any(|l| l
            == "ok   public-base-url: not set: links in emails use the loopback listen address http://127.0.0.1:8080"),
        "{}",
        all_output(&output)
    );
}

#[tokio::test]
async fn the_server_refuses_to_start_without_public_base_url_on_a_public_listener() {
    let setup = good().await;
    let database_url = setup
        .env
        .iter()
        .find(|(k, _)| *k == "DATABASE_URL")
        .map(|(_, v)| v.clone())
        .expect("a database");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_e2e-server"));
    command
        .arg("serve")
        .env_clear()
        .current_dir(&setup.dir)
        .env("DATABASE_URL", database_url)
        .env("MAIL_DIR", setup.dir.join("mail"))
        .env("LISTEN_ADDR", "0.0.0.0:0")
        .kill_on_drop(true);
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), command.output())
        .await
        .expect("the server exits instead of serving")
        .expect("the server runs");
    let text = all_output(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("PUBLIC_BASE_URL is not set") && text.contains("0.0.0.0:0"),
        "the error names the setting: {text}"
    );
    assert_no_secrets(&output);
}

#[tokio::test]
async fn an_unloadable_configuration_fails_the_check() {
    let mut setup = good().await;
    setup.set("SMTP_TIMEOUT_SECS", "soon");
    let output = setup.run().await;
    assert_fails_only(&output, "configuration", &["SMTP_TIMEOUT_SECS"]);
}

#[tokio::test]
async fn smtp_system_roots_trusts_the_operating_systems_store() {
    // The test CA stands in for a CA installed in the operating system's store:
    // rustls-native-certs reads the store named by SSL_CERT_FILE, as OpenSSL does.
    let mut setup = good().await;
    setup.unset("SMTP_CA_FILE");
    let store = setup.ca.write_pem(&setup.dir, "system-store.pem");
    setup.set("SSL_CERT_FILE", store.display().to_string());
    let output = setup.run().await;
    assert_fails_only(&output, "smtp", &["certificate", "unknown issuer"]);

    setup.set("SMTP_SYSTEM_ROOTS", "true");
    let output = setup.run().await;
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert!(failures(&output).is_empty());
    assert_no_secrets(&output);
}
