//! The deployment guide (`docs/deployment.md`), tested as far as this machine allows: the
//! systemd unit is valid and hardened, the environment file is a configuration the
//! server accepts, and the PostgreSQL roles of `postgres-roles.sql` run the service with
//! least privilege: migrations by the owner, the service unable to change the schema,
//! unready while migrations are pending, and a `pg_dump` backup that restores.
//!
//! These tests always use PostgreSQL (`TEST_DATABASE_URL`, else the local default) and
//! fail when it or its client tools are missing: they never skip.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use e2e::{Sent, eventually, spawn_app_with};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-server");

fn guide_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/deployment")
        .join(name)
}

fn read_guide_file(name: &str) -> String {
    std::fs::read_to_string(guide_file(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn admin_url() -> String {
    e2e::postgres_admin_url()
}

fn url_for(role: &str, db: &str) -> String {
    let admin = admin_url();
    let rest = admin.split_once("://").map_or(admin.as_str(), |(_, r)| r);
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    let host = host.split_once('/').map_or(host, |(h, _)| h);
    format!("postgres://{role}:secret@{host}/{db}")
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e} (is it installed?)"))
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An installation made by `postgres-roles.sql` with names unique to one test. Dropped
/// (database and roles) at the end.
struct Installation {
    db: String,
    owner: String,
    app: String,
}

impl Installation {
    fn create() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let me = Self {
            db: format!("test_{id}"),
            owner: format!("test_owner_{}", &id[..12]),
            app: format!("test_app_{}", &id[..12]),
        };
        let output = run(Command::new("psql")
            .arg(admin_url())
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(["-v", &format!("db={}", me.db)])
            .args(["-v", &format!("owner={}", me.owner)])
            .args(["-v", "owner_password=secret"])
            .args(["-v", &format!("app={}", me.app)])
            .args(["-v", "app_password=secret"])
            .arg("-f")
            .arg(guide_file("postgres-roles.sql")));
        assert_success("psql -f postgres-roles.sql", &output);
        me
    }

    fn owner_url(&self) -> String {
        url_for(&self.owner, &self.db)
    }

    fn app_url(&self) -> String {
        url_for(&self.app, &self.db)
    }

    /// `server migrate` as the owner role, as the guide says, in a real process.
    fn migrate(&self) {
        let output = run(Command::new(SERVER)
            .arg("migrate")
            .env("DATABASE_URL", self.owner_url())
            .env("LOG_FORMAT", "text"));
        assert_success("server migrate as the owner", &output);
        let output = run(Command::new("psql")
            .arg(self.owner_url())
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(["-v", &format!("app={}", self.app)])
            .arg("-f")
            .arg(guide_file("postgres-after-migrate.sql")));
        assert_success("psql -f postgres-after-migrate.sql", &output);
    }
}

impl Drop for Installation {
    fn drop(&mut self) {
        let mut psql = Command::new("psql");
        psql.arg(admin_url()).args(["-X", "-q"]);
        psql.arg("-c").arg(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.db
        ));
        for role in [&self.owner, &self.app] {
            if !role.is_empty() {
                psql.arg("-c")
                    .arg(format!("DROP ROLE IF EXISTS \"{role}\""));
            }
        }
        let _ = psql.output();
    }
}

const SUBMIT: &str = r#"mutation($i: SubmitTipInput!) { submitTip(input: $i) {
    tip { reference } statusToken } }"#;

async fn submit_tip(app: &e2e::TestApp) -> (String, String) {
    let body = app
        .graphql(
            SUBMIT,
            json!({ "i": {
                "municipality": "mellerud",
                "kind": "TIP",
                "message": "Det körs för fort vid skolan på kvällarna."
            }}),
        )
        .await;
    let payload = &body["data"]["submitTip"];
    let reference = payload["tip"]["reference"].as_str();
    let token = payload["statusToken"].as_str();
    match (reference, token) {
        (Some(r), Some(t)) => (r.to_owned(), t.to_owned()),
        _ => panic!("submitTip failed: {body}"),
    }
}

async fn tip_status(app: &e2e::TestApp, reference: &str, token: &str) -> Value {
    app.graphql(
        "query($r: String!, $t: String!) { tipStatus(reference: $r, statusToken: $t) { status } }",
        json!({ "r": reference, "t": token }),
    )
    .await
}

async fn readyz(app: &e2e::TestApp) -> (u16, Value) {
    let response = app.get("/readyz").sent().await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("/readyz is JSON"))
}

async fn connect(url: &str) -> DatabaseConnection {
    Database::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting as {url}: {e}"))
}

#[test]
fn the_systemd_unit_is_valid_and_hardened() {
    let unit = read_guide_file("medborgarloften.service");
    for option in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "EnvironmentFile=/etc/medborgarloften/medborgarloften.env",
    ] {
        assert!(
            unit.lines().any(|l| l.trim() == option),
            "unit lacks {option}"
        );
    }
    // systemd-analyze checks that the executable exists: point it at the real binary.
    let dir = tempfile::tempdir().expect("temporary folder");
    let env_file = dir.path().join("medborgarloften.env");
    std::fs::write(&env_file, read_guide_file("medborgarloften.env")).expect("env file");
    let local = unit
        .replace("/usr/local/bin/medborgarloften", SERVER)
        .replace(
            "/etc/medborgarloften/medborgarloften.env",
            &env_file.display().to_string(),
        );
    let path = dir.path().join("medborgarloften.service");
    std::fs::write(&path, local).expect("unit file");

    let verify = run(Command::new("systemd-analyze").arg("verify").arg(&path));
    assert_success("systemd-analyze verify", &verify);
    // Unknown or misspelt options are only warnings: there must be none.
    assert_eq!(
        String::from_utf8_lossy(&verify.stderr).trim(),
        "",
        "systemd-analyze verify warns"
    );

    // Exposure 2.0 or less ("OK"); the same unit without its hardening scores 9.5.
    let security = run(Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=20"])
        .arg(&path));
    assert_success("systemd-analyze security --threshold=20", &security);
}

#[test]
fn the_environment_file_is_a_configuration_the_server_accepts() {
    let text = read_guide_file("medborgarloften.env");
    let known: Vec<String> = match serde_json::to_value(server::config::Config::default()) {
        Ok(Value::Object(fields)) => fields.keys().map(|k| k.to_uppercase()).collect(),
        other => panic!("configuration does not serialise to an object: {other:?}"),
    };
    let mut vars = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not KEY=value: {line}"));
        assert!(known.iter().any(|k| k == key), "{key} is not a setting");
        vars.push((key.to_owned(), value.to_owned()));
    }
    assert!(vars.len() >= 10, "the example sets the usual settings");
    // The binary loads exactly these settings (and nothing inherited) and runs a command
    // that needs no database; a value the configuration refuses exits 2.
    let output = run(Command::new(SERVER)
        .env_clear()
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .arg("schema"));
    assert_success("server schema with the example environment file", &output);
    assert!(String::from_utf8_lossy(&output.stdout).contains("type Query"));

    let broken = run(Command::new(SERVER)
        .env_clear()
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .env("LISTEN_ADDR", "not an address")
        .arg("schema"));
    assert_eq!(broken.status.code(), Some(2), "a bad value is refused");
}

#[tokio::test]
async fn the_least_privileged_role_runs_the_service_but_cannot_change_the_schema() {
    let install = Installation::create();

    // Without the owner's migrations the service refuses to start: it has no schema.
    let app_url = install.app_url();
    let refused = server::app::Application::build(&server::config::Config {
        database_url: app_url.clone(),
        migrate_on_start: false,
        ..server::config::Config::default()
    })
    .await;
    match refused {
        Ok(_) => panic!("the service started on a database without a schema"),
        Err(err) => assert!(
            format!("{err:#}").contains("server migrate"),
            "the error says what to do: {err:#}"
        ),
    }

    install.migrate();
    let mail = tempfile::tempdir().expect("temporary folder");
    let mail_dir = mail.path().to_owned();
    let app = spawn_app_with(|c| {
        c.database_url = app_url.clone();
        c.migrate_on_start = false;
        c.mail_dir = mail_dir.clone();
    })
    .await;
    assert_eq!(readyz(&app).await.0, 200);

    // The whole cycle works with data rights only: seeding on first start, a tip stored
    // with its outbox rows, the worker leasing and sending it.
    let (reference, token) = submit_tip(&app).await;
    eventually("the routed email in the mail folder", || {
        let dir = mail_dir.clone();
        async move {
            std::fs::read_dir(&dir)
                .is_ok_and(|entries| entries.filter_map(Result::ok).count() >= 1)
                .then_some(())
        }
    })
    .await;
    let status = tip_status(&app, &reference, &token).await;
    assert_eq!(status["data"]["tipStatus"]["status"], "NEW", "{status}");

    // The same role cannot change or destroy the schema.
    let as_app = connect(&app_url).await;
    for statement in [
        "DROP TABLE tip",
        "TRUNCATE tip",
        "ALTER TABLE tip ADD COLUMN extra integer",
        "CREATE TABLE extra (id integer)",
        "DROP TABLE seaql_migrations",
        "DELETE FROM seaql_migrations",
        "INSERT INTO seaql_migrations VALUES ('m99999999_000001_forged', 0)",
    ] {
        let result = as_app.execute_unprepared(statement).await;
        let message = match result {
            Ok(_) => panic!("the service role may run: {statement}"),
            Err(err) => err.to_string(),
        };
        assert!(
            message.contains("permission denied") || message.contains("must be owner"),
            "{statement}: {message}"
        );
    }
    let tips = as_app
        .query_one_raw(sea_orm::Statement::from_string(
            as_app.get_database_backend(),
            "SELECT count(*) AS n FROM tip",
        ))
        .await
        .expect("counting tips")
        .and_then(|row| row.try_get::<i64>("", "n").ok());
    assert_eq!(tips, Some(1), "the table and its tip are still there");
    as_app.close().await.ok();
}

#[tokio::test]
async fn the_replica_is_unready_while_migrations_are_pending() {
    let install = Installation::create();
    install.migrate();
    // An upgrade's new migration that has not run yet: undo the latest one.
    let owner = connect(&install.owner_url()).await;
    <migration::Migrator as migration::MigratorTrait>::down(&owner, Some(1))
        .await
        .expect("rolling back the latest migration");
    owner.close().await.ok();

    let app_url = install.app_url();
    let app = spawn_app_with(|c| {
        c.database_url = app_url.clone();
        c.migrate_on_start = false;
    })
    .await;
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["migrations"], "pending", "{body}");
    assert_eq!(body["database"], "ok", "{body}");

    // The operator runs `server migrate` with the owner role; the replica turns ready
    // without a restart.
    install.migrate();
    eventually("/readyz 200 after migrating", || async {
        (readyz(&app).await.0 == 200).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_pg_dump_backup_restores_into_a_working_service() {
    let install = Installation::create();
    install.migrate();
    let app_url = install.app_url();
    let app = spawn_app_with(|c| {
        c.database_url = app_url.clone();
        c.migrate_on_start = false;
        c.delivery_worker = false;
    })
    .await;
    let (reference, token) = submit_tip(&app).await;
    drop(app);

    // The guide's commands: a custom-format dump, restored as a superuser into a new
    // database, keeping owners and the app role's rights.
    let dump_dir = tempfile::tempdir().expect("temporary folder");
    let dump = dump_dir.path().join("medborgarloften.dump");
    let output = run(Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(install.owner_url()));
    assert_success("pg_dump", &output);

    let restored = Installation {
        db: format!("test_{}", uuid::Uuid::new_v4().simple()),
        owner: String::new(),
        app: String::new(),
    };
    let output = run(Command::new("createdb")
        .args(["--maintenance-db", &admin_url(), "--owner", &install.owner])
        .arg(&restored.db));
    assert_success("createdb", &output);
    let superuser_on_restored = {
        let admin = admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        format!("{base}/{}", restored.db)
    };
    let output = run(Command::new("pg_restore")
        .args(["--exit-on-error", "--dbname", &superuser_on_restored])
        .arg(&dump));
    assert_success("pg_restore", &output);

    let restored_url = url_for(&install.app, &restored.db);
    let app = spawn_app_with(|c| {
        c.database_url = restored_url.clone();
        c.migrate_on_start = false;
        c.delivery_worker = false;
    })
    .await;
    assert_eq!(readyz(&app).await.0, 200);
    let status = tip_status(&app, &reference, &token).await;
    assert_eq!(
        status["data"]["tipStatus"]["status"], "NEW",
        "the tip survives backup and restore: {status}"
    );
    // The restored database keeps the app role's rights and its limits.
    let (second, _) = submit_tip(&app).await;
    assert_ne!(second, reference);
    let as_app = connect(&restored_url).await;
    assert!(as_app.execute_unprepared("DROP TABLE tip").await.is_err());
    as_app.close().await.ok();
    drop(app);
    drop(restored);
}
