//! The seed importer: idempotent, updates on edit, refuses bad files whole; drafts stay
//! hidden; statuses follow the dates; nested lists are batched.

use clap::Parser;
use e2e::{error_codes, spawn_app, spawn_app_with};
use entity::{
    commitment, contact, focus_area, follow_up, municipality, promise, routing_rule, signatory,
};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, EntityTrait, Set};
use serde_json::json;
use server::{cli, seed};

/// Everything the importer writes, in a comparable form.
async fn snapshot(db: &sea_orm::DatabaseConnection) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        municipality::Entity::find()
            .all(db)
            .await
            .expect("municipalities"),
        contact::Entity::find().all(db).await.expect("contacts"),
        promise::Entity::find().all(db).await.expect("promises"),
        focus_area::Entity::find()
            .all(db)
            .await
            .expect("focus areas"),
        commitment::Entity::find()
            .all(db)
            .await
            .expect("commitments"),
        signatory::Entity::find()
            .all(db)
            .await
            .expect("signatories"),
        routing_rule::Entity::find()
            .all(db)
            .await
            .expect("routing rules"),
    )
}

#[tokio::test]
async fn importing_twice_changes_nothing() {
    let app = spawn_app().await;
    let before = snapshot(&app.db).await;
    let file = seed::load_embedded().expect("valid seed");
    let report = seed::import(&app.db, &file).await.expect("import");
    assert!(
        report.is_unchanged(),
        "second import changed rows: {report}"
    );
    assert_eq!(snapshot(&app.db).await, before);
}

#[tokio::test]
async fn editing_the_file_updates_the_data_in_place() {
    let app = spawn_app().await;
    let q = "{ municipality(slug: \"mellerud\") { id contacts { id name phone } promises { nodes { id focusAreas { id title } } } } }";
    let before = app.query(q, json!({})).await;
    let edited = seed::EMBEDDED
        .replace("010-56 526 86", "010-56 526 99")
        .replace(
            "title = \"Trafiksäkerhet\"",
            "title = \"Trafiksäkerhet och trafikmiljö\"",
        );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("edited.toml");
    std::fs::write(&path, edited).expect("write");
    let file = seed::load_path(&path).expect("valid");
    let report = seed::import(&app.db, &file).await.expect("import");
    assert_eq!((report.created, report.deleted), (0, 0), "{report}");
    assert!(report.updated >= 2, "{report}");
    // The import ran beside the server, as the seed command does: the server's cached
    // answers follow within a catalogue poll.
    let after = app
        .query_eventually(q, json!({}), |d| {
            d["municipality"]["contacts"][0]["phone"] == "010-56 526 99"
        })
        .await;
    let m = &after["municipality"];
    assert_eq!(m["contacts"][0]["phone"], "010-56 526 99");
    assert_eq!(
        m["promises"]["nodes"][0]["focusAreas"][1]["title"],
        "Trafiksäkerhet och trafikmiljö"
    );
    // Ids are stable across edits.
    assert_eq!(
        m["contacts"][0]["id"],
        before["municipality"]["contacts"][0]["id"]
    );
    assert_eq!(
        m["promises"]["nodes"][0]["focusAreas"][1]["id"],
        before["municipality"]["promises"]["nodes"][0]["focusAreas"][1]["id"]
    );
}

#[tokio::test]
async fn a_bad_file_names_file_line_and_field_and_imports_nothing() {
    let app = spawn_app().await;
    let before = snapshot(&app.db).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bad.toml");
    // A valid edit early in the file, and an unknown municipality further down.
    let bad = seed::EMBEDDED
        .replace("010-56 526 86", "010-00 000 00")
        .replace(
            "municipalities = [\"2463\"]\nvalid_from",
            "municipalities = [\"9999\"]\nvalid_from",
        );
    assert_ne!(
        bad,
        seed::EMBEDDED.replace("010-56 526 86", "010-00 000 00"),
        "the test edit applies"
    );
    std::fs::write(&path, &bad).expect("write");
    let line = bad
        .lines()
        .position(|l| l.contains("\"9999\""))
        .expect("line")
        + 1;

    let err = seed::load_path(&path).expect_err("rejected");
    assert_eq!(err.file, path.display().to_string());
    assert_eq!(err.line, line);
    assert_eq!(err.field, "promise[3].municipalities[0]");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:{line}:", path.display())),
        "{text}"
    );
    assert!(text.contains("9999"), "{text}");

    // The CLI path reports the same and writes nothing.
    let config = server::config::Config {
        database_url: app.database_url.clone(),
        ..Default::default()
    };
    let err = cli::run(
        cli::Command::Seed {
            file: Some(path.clone()),
            force: false,
        },
        config,
    )
    .await
    .expect_err("CLI refuses");
    assert!(format!("{err:#}").contains(&format!(":{line}:")), "{err:#}");
    assert_eq!(snapshot(&app.db).await, before);

    // A syntax error is located too.
    std::fs::write(&path, "[[municipality]]\ncode = \"0765\nname = \"x\"\n").expect("write");
    let err = seed::load_path(&path).expect_err("rejected");
    assert_eq!(err.line, 2, "{err}");
}

/// The built-in seed with `response_days = {days}` for Mellerud, written to `dir`.
fn with_target(dir: &std::path::Path, days: &str) -> std::path::PathBuf {
    let text = seed::EMBEDDED.replacen(
        "slug = \"mellerud\"\n",
        &format!("slug = \"mellerud\"\nresponse_days = {days}\n"),
        1,
    );
    assert_ne!(text, seed::EMBEDDED, "the test edit applies");
    let path = dir.join(format!("target-{days}.toml"));
    std::fs::write(&path, text).expect("write");
    path
}

const RESPONSE_DAYS: &str = "{ mellerud: municipality(slug: \"mellerud\") { responseDays } orust: municipality(slug: \"orust\") { responseDays } }";

#[tokio::test]
async fn a_response_target_in_the_file_is_imported_and_bounded() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = seed::load_path(&with_target(dir.path(), "3")).expect("valid");
    let report = seed::import(&app.db, &file).await.expect("import");
    assert_eq!(
        (report.created, report.updated, report.deleted),
        (0, 1, 0),
        "{report}"
    );
    // The import ran beside the server, as the seed command does: the public answer
    // follows within a catalogue poll. A municipality without the field keeps 5.
    let data = app
        .query_eventually(RESPONSE_DAYS, json!({}), |d| {
            d["mellerud"]["responseDays"] == 3
        })
        .await;
    assert_eq!(
        data,
        json!({ "mellerud": { "responseDays": 3 }, "orust": { "responseDays": 5 } })
    );

    // Outside 1–60 working days: refused whole, naming the file, line and field.
    let before = snapshot(&app.db).await;
    for days in ["0", "61", "-5"] {
        let path = with_target(dir.path(), days);
        let line = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .position(|l| l == format!("response_days = {days}"))
            .expect("line")
            + 1;
        let err = seed::load_path(&path).expect_err("rejected");
        assert_eq!(err.file, path.display().to_string());
        assert_eq!((err.line, err.column), (line, 17), "{err}");
        assert_eq!(err.field, "municipality[0].response_days");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}:{line}:17:", path.display())),
            "{text}"
        );
        assert!(
            text.contains("must be a number of working days from 1 to 60"),
            "{text}"
        );
    }
    assert_eq!(snapshot(&app.db).await, before, "nothing imported");
}

#[tokio::test]
async fn a_response_target_set_by_staff_is_kept_unless_forced() {
    let app = spawn_app().await;
    let admin = app.staff_token(entity::StaffRole::Admin, &[], None).await;
    app.query_as(
        &admin,
        "mutation { setResponseTarget(input: { municipality: \"mellerud\", workingDays: 7 }) { municipality { responseDays } } }",
        json!({}),
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let file = seed::load_path(&with_target(dir.path(), "3")).expect("valid");
    // A plain import leaves the staff's target alone.
    let report = seed::import(&app.db, &file).await.expect("import");
    assert!(report.is_unchanged(), "{report}");
    assert_eq!(report.kept, 1, "{report}");
    let days = |data: &serde_json::Value| data["mellerud"]["responseDays"].clone();
    assert_eq!(days(&app.query(RESPONSE_DAYS, json!({})).await), 7);
    // A file without the field never touches it, even forced.
    let plain = seed::load_embedded().expect("seed");
    let report = seed::import_with(&app.db, &plain, true)
        .await
        .expect("import");
    assert!(report.is_unchanged(), "{report}");
    assert_eq!(days(&app.query(RESPONSE_DAYS, json!({})).await), 7);
    // Forced with the field, the file wins, and later imports follow the file again.
    let report = seed::import_with(&app.db, &file, true)
        .await
        .expect("import");
    assert_eq!(report.updated, 1, "{report}");
    let data = app
        .query_eventually(RESPONSE_DAYS, json!({}), |d| {
            d["mellerud"]["responseDays"] == 3
        })
        .await;
    assert_eq!(days(&data), 3);
    let again = seed::import(&app.db, &file).await.expect("import");
    assert!(again.is_unchanged() && again.kept == 0, "{again}");
}

#[tokio::test]
async fn the_seed_command_imports_a_file() {
    let args = cli::Args::try_parse_from(["server", "seed", "--file", "x.toml"]).expect("parses");
    assert!(
        matches!(args.command, Some(cli::Command::Seed { file: Some(ref f), force: false }) if f.as_os_str() == "x.toml")
    );

    let dir = tempfile::tempdir().expect("dir");
    let config = server::config::Config {
        database_url: e2e::fresh_database_url(dir.path()).await.expect("db"),
        ..Default::default()
    };
    let path = dir.path().join("seed.toml");
    std::fs::write(&path, seed::EMBEDDED).expect("write");
    cli::run(
        cli::Command::Seed {
            file: Some(path.clone()),
            force: false,
        },
        config.clone(),
    )
    .await
    .expect("first import");
    cli::run(
        cli::Command::Seed {
            file: Some(path),
            force: false,
        },
        config.clone(),
    )
    .await
    .expect("second import");
    let db = sea_orm::Database::connect(&config.database_url)
        .await
        .expect("connect");
    assert_eq!(
        municipality::Entity::find()
            .all(&db)
            .await
            .expect("rows")
            .len(),
        6
    );
    assert_eq!(
        promise::Entity::find().all(&db).await.expect("rows").len(),
        4
    );
}

/// A seed file with `n` promises in one municipality, each with two focus areas of two
/// commitments, two direct commitments, a signatory and a contact.
fn generated_seed(n: usize, today: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let year = today.year();
    let mut s = String::from(
        "[[municipality]]\ncode = \"0765\"\nname = \"Älmhult\"\nofficial_name = \"Älmhults kommun\"\nslug = \"almhult\"\ncounty = \"Kronobergs län\"\n\n\
         [[contact]]\nkey = \"k\"\nname = \"Kim Kontakt\"\nrole = \"kommunpolis\"\norganisation_kind = \"POLICE\"\n\
         organisation = \"Polismyndigheten\"\nemail = \"k@polisen.example\"\nmunicipalities = [\"0765\"]\n\n",
    );
    for i in 0..n {
        let (from, to, published) = match i {
            0 => (format!("{year}-01-01"), format!("{year}-12-31"), true),
            1 => (
                format!("{}-01-01", year + 1),
                format!("{}-12-31", year + 1),
                true,
            ),
            2 => (format!("{year}-01-01"), format!("{year}-12-31"), false),
            _ => (
                format!("{}-01-01", year - 3),
                format!("{}-12-31", year - 2),
                true,
            ),
        };
        s.push_str(&format!(
            "[[promise]]\nkey = \"p{i}\"\ntitle = \"Löfte {i}\"\nmunicipalities = [\"0765\"]\nvalid_from = {from}\n\
             valid_to = {to}\nsummary = \"Sammanfattning\"\npublished = {published}\ncontacts = [\"k\"]\n\
             [[promise.signatory]]\nname = \"S {i}\"\ntitle = \"Ordförande\"\norganisation = \"Kommunen\"\n"
        ));
        for f in 0..2 {
            s.push_str(&format!(
                "[[promise.focus_area]]\nkey = \"f{f}\"\ntitle = \"Fokus {f}\"\ncontact = \"k\"\n"
            ));
            for c in 0..2 {
                s.push_str(&format!(
                    "[[promise.focus_area.commitment]]\ntext = \"Åtagande {c}\"\nresponsible = \"POLICE\"\n\
                     target = {{ quantity = 4, unit = \"insatser\", period = \"YEAR\" }}\n"
                ));
            }
        }
        for c in 0..2 {
            s.push_str(&format!(
                "[[promise.commitment]]\ntext = \"Direkt {c}\"\nresponsible = \"MUNICIPALITY\"\n"
            ));
        }
    }
    s
}

async fn spawn_generated(n: usize) -> (e2e::TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("generated.toml");
    std::fs::write(&path, generated_seed(n, server::domain::period::today())).expect("write");
    // No delivery worker: its polling would add statements to the count.
    let app = spawn_app_with(|c| {
        c.seed_file = Some(path);
        // Only the query's own statements are counted: no background polling meanwhile.
        c.delivery_worker = false;
        c.catalog_poll_interval_ms = 3_600_000;
    })
    .await;
    (app, dir)
}

#[tokio::test]
async fn statuses_follow_the_dates_and_drafts_stay_hidden() {
    let (app, _dir) = spawn_generated(4).await;
    let q =
        "query($s: PromiseStatus) { promises(filter: {status: $s}) { nodes { title status } } }";
    let titles = |data: &serde_json::Value| -> Vec<String> {
        data["promises"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["title"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        titles(&app.query(q, json!({ "s": "ACTIVE" })).await),
        ["Löfte 0"]
    );
    assert_eq!(
        titles(&app.query(q, json!({ "s": "UPCOMING" })).await),
        ["Löfte 1"]
    );
    assert_eq!(
        titles(&app.query(q, json!({ "s": "EXPIRED" })).await),
        ["Löfte 3"]
    );
    let all = app.query(q, json!({ "s": null })).await;
    assert_eq!(
        titles(&all),
        ["Löfte 1", "Löfte 0", "Löfte 3"],
        "drafts are not listed"
    );
    let statuses: Vec<&str> = all["promises"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["UPCOMING", "ACTIVE", "EXPIRED"]);
    let m = app.query("{ municipality(code: \"0765\") { promises(status: ACTIVE) { totalCount } all: promises { totalCount } } }", json!({})).await;
    assert_eq!(
        (
            m["municipality"]["promises"]["totalCount"].as_u64(),
            m["municipality"]["all"]["totalCount"].as_u64()
        ),
        (Some(1), Some(3))
    );

    // The draft cannot be reached by id either.
    let draft = promise::Entity::find()
        .all(&app.db)
        .await
        .expect("rows")
        .into_iter()
        .find(|p| !p.published)
        .expect("a draft");
    let draft_id = base64_id(&format!("Promise:{}", draft.id));
    let body = app
        .graphql(
            "query($id: ID!) { promise(id: $id) { title } }",
            json!({ "id": draft_id }),
        )
        .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    let node = app
        .query(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": draft_id }),
        )
        .await;
    assert_eq!(node["node"], serde_json::Value::Null);
    let draft_area = focus_area::Entity::find()
        .all(&app.db)
        .await
        .expect("rows")
        .into_iter()
        .find(|f| f.promise_id == draft.id)
        .expect("area");
    let node = app
        .query(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": base64_id(&format!("FocusArea:{}", draft_area.id)) }),
        )
        .await;
    assert_eq!(node["node"], serde_json::Value::Null);
}

fn base64_id(raw: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

const DEEP_QUERY: &str = r#"{ promises(first: 100) { totalCount nodes {
    title status progress municipalities { name } policeArea { name }
    signatories { name } contacts { name role }
    sources { title } sections { heading }
    commitments { text progress achievedQuantity target { quantity totalQuantity } followUps { totalCount nodes { text achievedQuantity } } }
    focusAreas { title progress contact { name }
        commitments { text responsible progress achievedQuantity target { quantity } contact { name }
            followUps(first: 10) { totalCount nodes { date text achievedQuantity } } } } } } }"#;

/// Statements needed to answer [`DEEP_QUERY`] over `n` promises with follow-ups.
async fn statements_for(n: usize) -> u64 {
    let (app, _dir) = spawn_generated(n).await;
    for c in commitment::Entity::find().all(&app.db).await.expect("rows") {
        follow_up::ActiveModel {
            id: NotSet,
            commitment_id: Set(c.id),
            date: Set(server::domain::period::today()),
            text: Set("Genomfört".into()),
            achieved_quantity: Set(Some(1)),
            created_at: Set(chrono::Utc::now()),
        }
        .insert(&app.db)
        .await
        .expect("follow-up");
    }
    // Rows written behind the server's back, like another replica would: count the
    // change, and let a staff mutation on this server pick it up (the catalogue poll is
    // off here) so the public snapshot includes the follow-ups.
    server::service::catalog::bump_version(&app.db)
        .await
        .expect("version");
    let admin = app.staff_token(entity::StaffRole::Admin, &[], None).await;
    let body = app
        .graphql_as(
            &admin,
            "mutation { deleteSignatory(input: {id: \"U2lnbmF0b3J5OjA\"}) { deletedId } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_some(), "no signatory 0: {body}");
    // The fewest statements of three runs: a busy machine can split a batch (a long
    // request yields to the scheduler, and a batch already running takes no later keys),
    // but it cannot merge batches, so the fewest is the query's real shape. Loading per
    // item would cost hundreds in every run. Each run's text differs by a comment, so the
    // response cache cannot answer it.
    let mut fewest = u64::MAX;
    for run in 0..3 {
        let before = app.statements.get();
        let data = app
            .query(&format!("{DEEP_QUERY}\n# run {run}"), json!({}))
            .await;
        let used = app.statements.get() - before;
        // Public reads come from the catalogue snapshot: no statement at all, for any
        // number of promises (tests/snapshot.rs covers every public entry point).
        assert_eq!(used, 0, "run {run} read the database");
        let promises = data["promises"]["nodes"].as_array().expect("nodes");
        assert_eq!(promises.len(), n - 1, "all published promises returned");
        let fa = &promises[0]["focusAreas"][0]["commitments"][0];
        assert_eq!(fa["followUps"]["totalCount"], 1);
        assert_eq!(fa["achievedQuantity"], 1);
        fewest = fewest.min(used);
    }
    fewest
}

#[tokio::test]
async fn nested_lists_use_a_constant_number_of_statements() {
    // Each relation is fetched once per nesting level for all parents together: 15–20
    // statements for this query. A DataLoader batch that is already running does not take
    // keys that arrive later, so on a busy machine (CI runs tests in parallel on 2 cores) a
    // level may be fetched in two batches; 42 has been seen in one run, hence the fewest
    // of three runs (`statements_for`). The bound allows every batch to split once.
    // Loading per item instead would need several hundred statements for 100 promises
    // (each has 6 commitments with follow-ups), so the bound still catches it.
    const BOUND: u64 = 40;
    let small = statements_for(5).await;
    let large = statements_for(101).await;
    assert!(
        small <= BOUND && large <= BOUND,
        "{small} statements for 4 promises, {large} for 100"
    );
}

/// Statements for one staff page of `tips` over `n` stored tips, and for `apiTokens` over
/// `n` extra tokens.
async fn staff_list_statements(n: usize) -> (u64, u64) {
    use server::service::tips;
    // Only the queries' own statements are counted: no delivery worker (it would send the
    // stored tips meanwhile) and no catalogue polling.
    let app = spawn_app_with(|c| {
        c.delivery_worker = false;
        c.catalog_poll_interval_ms = 3_600_000;
    })
    .await;
    let valid = e2e::tips::validated_idea(&app).await;
    for _ in 0..n {
        tips::store(&app.db, b"secret", &valid, None, chrono::Utc::now())
            .await
            .map_err(|e| format!("{e:?}"))
            .expect("stored");
    }
    for i in 0..n {
        server::service::staff::create_token(
            &app.db,
            &format!("Token {i}"),
            entity::StaffRole::Recipient,
            &["mellerud".to_owned()],
            None,
        )
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("token");
    }
    let admin = app.staff_token(entity::StaffRole::Admin, &[], None).await;

    let before = app.statements.get();
    let data = app
        .query_as(
            &admin,
            "{ tips(first: 100) { nodes { reference municipality routedTo } } }",
            json!({}),
        )
        .await;
    let for_tips = app.statements.get() - before;
    let nodes = data["tips"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), n);
    assert!(
        nodes.iter().all(|t| t["municipality"] == "Mellerud"),
        "{data}"
    );
    assert!(nodes.iter().all(|t| t["routedTo"].is_string()), "{data}");

    let before = app.statements.get();
    let data = app
        .query_as(&admin, "{ apiTokens { name municipalities } }", json!({}))
        .await;
    let for_tokens = app.statements.get() - before;
    let tokens = data["apiTokens"].as_array().expect("tokens");
    assert_eq!(tokens.len(), n + 1);
    assert!(
        tokens
            .iter()
            .filter(|t| t["name"] != "Test")
            .all(|t| t["municipalities"] == json!(["mellerud"])),
        "{data}"
    );
    (for_tips, for_tokens)
}

/// Statements for each batched field of `staffContacts` and `routingRules` (one query a
/// field, asked by an editor of Mellerud, whose scope is checked for every contact) after
/// adding `n` contacts serving Mellerud, each receiving the tips of a new focus area.
async fn contact_list_statements(n: usize) -> Vec<(&'static str, u64)> {
    use entity::{contact_municipality, promise_municipality};
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = spawn_app_with(|c| {
        c.delivery_worker = false;
        c.catalog_poll_interval_ms = 3_600_000;
    })
    .await;
    let mellerud = server::service::catalog::municipality_by_code_or_slug(&app.db, "mellerud")
        .await
        .expect("query")
        .expect("Mellerud");
    let promise_id = promise_municipality::Entity::find()
        .filter(promise_municipality::Column::MunicipalityId.eq(mellerud.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("a promise of Mellerud")
        .promise_id;
    for i in 0..n {
        let key = format!("statement-count-{i}");
        let c = contact::ActiveModel {
            id: NotSet,
            key: Set(key.clone()),
            name: Set(format!("Kontakt {i}")),
            role: Set("kommunpolis".into()),
            organisation_kind: Set(entity::OrganisationKind::Police),
            organisation: Set("Polismyndigheten".into()),
            phone: Set(None),
            email: Set(Some(format!("{key}@mellerud.example"))),
            email_is_placeholder: Set(false),
            is_placeholder: Set(false),
        }
        .insert(&app.db)
        .await
        .expect("contact");
        contact_municipality::ActiveModel {
            contact_id: Set(c.id),
            municipality_id: Set(mellerud.id),
        }
        .insert(&app.db)
        .await
        .expect("contact's municipality");
        let area = focus_area::ActiveModel {
            id: NotSet,
            promise_id: Set(promise_id),
            key: Set(key),
            position: Set(100 + i32::try_from(i).expect("small")),
            title: Set(format!("Område {i}")),
            description: Set(None),
            contact_id: Set(None),
        }
        .insert(&app.db)
        .await
        .expect("focus area");
        routing_rule::ActiveModel {
            id: NotSet,
            municipality_id: Set(mellerud.id),
            focus_area_id: Set(Some(area.id)),
            contact_id: Set(c.id),
        }
        .insert(&app.db)
        .await
        .expect("routing rule");
    }
    let editor = app
        .staff_token(entity::StaffRole::Editor, &["mellerud"], None)
        .await;
    let contacts = "staffContacts(municipality: \"mellerud\")";
    let rules = "routingRules(municipality: \"mellerud\")";
    let code = format!("\"{}\"", mellerud.code);
    // (field, list, selection, what each added item's answer contains)
    let fields = [
        ("staffContacts.email", contacts, "email", "statement-count-"),
        (
            "staffContacts.municipalities",
            contacts,
            "municipalities { code }",
            &code,
        ),
        (
            "routingRules.municipality",
            rules,
            "municipality { code }",
            &code,
        ),
        (
            "routingRules.focusArea",
            rules,
            "focusArea { title }",
            "Område ",
        ),
        (
            "routingRules.contact",
            rules,
            "contact { email }",
            "statement-count-",
        ),
    ];
    let mut counts = Vec::new();
    for (label, list, selection, answer) in fields {
        let before = app.statements.get();
        let data = app
            .query_as(
                &editor,
                &format!("{{ {list} {{ {selection} }} }}"),
                json!({}),
            )
            .await;
        counts.push((label, app.statements.get() - before));
        // Every added item answers in full: nothing hidden, nothing skipped.
        assert!(
            data.to_string().matches(answer).count() >= n,
            "{label}: {n} answers expected in {data}"
        );
    }
    counts
}

#[tokio::test]
async fn staff_lists_use_a_constant_number_of_statements() {
    // The routed contact and the municipality of each tip are loaded in one batch each,
    // and every token's municipalities together; per-item loading would add two
    // statements per tip and two per token. A batch may split once on a busy machine.
    let (small_tips, small_tokens) = staff_list_statements(2).await;
    let (large_tips, large_tokens) = staff_list_statements(40).await;
    assert!(
        large_tips <= small_tips + 2,
        "{small_tips} statements for 2 tips, {large_tips} for 40"
    );
    assert!(
        large_tokens <= small_tokens,
        "{small_tokens} statements for 3 tokens, {large_tokens} for 41"
    );
    // A contact's municipalities (for its list and for the scope its email is shown in),
    // and a rule's municipality, focus area and contact, are loaded for the whole list at
    // once: at most three statements a field, each of which may be split once. Per-item
    // loading would add one to three statements per contact or rule, 38 to 114 here.
    let small = contact_list_statements(2).await;
    let large = contact_list_statements(40).await;
    let grown: Vec<String> = small
        .iter()
        .zip(&large)
        .filter(|((_, small), (_, large))| *large > small + 3)
        .map(|((label, small), (_, large))| {
            format!("{label}: {small} statements for 2 added items, {large} for 40")
        })
        .collect();
    assert!(grown.is_empty(), "loaded per item:\n{}", grown.join("\n"));
}
