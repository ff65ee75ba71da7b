//! The data a resident app needs, over HTTP: the promise to show (`latestPromise`),
//! browsing by police area and county, contacts that accept tips without placeholder
//! mailboxes posing as people, backward paging on every connection, `node(id)` for staff
//! tips, and the municipality's official name in emails.

use chrono::NaiveDate;
use e2e::{TestApp, error_codes, spawn_app, spawn_app_with, tips};
use entity::{StaffRole, contact, municipality, promise, promise_municipality};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use server::service::catalog;

/// Make promise `promise_id` one of municipality `municipality_id`'s, first in its list.
async fn link(app: &e2e::TestApp, promise_id: i32, municipality_id: i32) {
    promise_municipality::ActiveModel {
        promise_id: Set(promise_id),
        municipality_id: Set(municipality_id),
        position: Set(0),
    }
    .insert(&app.db)
    .await
    .expect("link");
}

/// A change made behind the server's back, as a seed import or another replica would:
/// bump the catalogue version so the response cache lets go.
async fn changed(app: &TestApp) {
    catalog::bump_version(&app.db).await.expect("bump");
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

const LATEST: &str = "{ municipality(slug: \"mellerud\") { latestPromise { key status } } }";

#[tokio::test]
async fn latest_promise_is_the_active_one_else_the_newest() {
    let app = spawn_app().await;
    // Every seed promise has ended: the app still gets the most recent one.
    let data = app
        .query(
            "{ municipalities(first: 100) { nodes { slug latestPromise { key status } } } }",
            json!({}),
        )
        .await;
    let latest: Vec<(String, String)> = data["municipalities"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|m| {
            (
                m["slug"].as_str().unwrap_or_default().to_owned(),
                m["latestPromise"]["key"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let expected = [
        ("mellerud", "mellerud-2023-2024"),
        ("orust", "sodra-fyrbodal-2023-2024"),
        ("stenungsund", "sodra-fyrbodal-2023-2024"),
        ("tjorn", "sodra-fyrbodal-2023-2024"),
        ("asele", "asele-2017"),
        ("almhult", "almhult-2021"),
    ];
    assert_eq!(
        latest,
        expected.map(|(s, k)| (s.to_owned(), k.to_owned())),
        "{data:#}"
    );
    assert_eq!(
        app.query(LATEST, json!({})).await["municipality"]["latestPromise"]["status"],
        "EXPIRED"
    );

    // A newer promise (announced, not yet in force) is the newest one.
    let old = promise::Entity::find()
        .filter(promise::Column::Key.eq("mellerud-2023-2024"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("seed promise");
    let mut next: promise::ActiveModel = old.clone().into();
    next.id = NotSet;
    next.key = Set("mellerud-2099".into());
    next.valid_from = Set(day(2099, 1, 1));
    next.valid_to = Set(day(2099, 12, 31));
    let next = next.insert(&app.db).await.expect("insert");
    let mellerud = municipality::Entity::find()
        .filter(municipality::Column::Code.eq("1461"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Mellerud");
    link(&app, next.id, mellerud.id).await;
    changed(&app).await;
    let data = app
        .query_eventually(LATEST, json!({}), |d| {
            d["municipality"]["latestPromise"]["key"] == "mellerud-2099"
        })
        .await;
    assert_eq!(
        data["municipality"]["latestPromise"],
        json!({ "key": "mellerud-2099", "status": "UPCOMING" })
    );

    // A promise in force wins over a newer one that is not.
    let mut running: promise::ActiveModel = old.into();
    running.valid_to = Set(day(2098, 12, 31));
    running.update(&app.db).await.expect("update");
    changed(&app).await;
    let data = app
        .query_eventually(LATEST, json!({}), |d| {
            d["municipality"]["latestPromise"]["key"] == "mellerud-2023-2024"
        })
        .await;
    assert_eq!(
        data["municipality"]["latestPromise"],
        json!({ "key": "mellerud-2023-2024", "status": "ACTIVE" })
    );
}

#[tokio::test]
async fn browse_promises_by_police_area_and_county() {
    let app = spawn_app().await;
    let data = app
        .query(
            "{ policeAreas { totalCount pageInfo { hasNextPage hasPreviousPage }
                nodes { id name municipalities { name officialName }
                        promises { totalCount nodes { key } } } } }",
            json!({}),
        )
        .await;
    let areas = &data["policeAreas"];
    assert_eq!(areas["totalCount"], 1, "{data:#}");
    assert_eq!(
        areas["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": false })
    );
    let area = &areas["nodes"][0];
    assert_eq!(area["name"], "Södra Fyrbodal");
    assert_eq!(
        area["municipalities"],
        json!([
            { "name": "Orust", "officialName": "Orust kommun" },
            { "name": "Stenungsund", "officialName": "Stenungsunds kommun" },
            { "name": "Tjörn", "officialName": "Tjörns kommun" },
        ])
    );
    assert_eq!(
        area["promises"],
        json!({ "totalCount": 1, "nodes": [{ "key": "sodra-fyrbodal-2023-2024" }] })
    );

    let keys = |filter: Value| {
        let app = &app;
        async move {
            app.graphql(
                "query($f: PromiseFilter) { promises(filter: $f) { totalCount nodes { key } } }",
                json!({ "f": filter }),
            )
            .await
        }
    };
    let by_area = keys(json!({ "policeArea": area["id"] })).await;
    assert_eq!(
        by_area["data"]["promises"]["nodes"],
        json!([{ "key": "sodra-fyrbodal-2023-2024" }]),
        "{by_area:#}"
    );
    // County: case-insensitive, combined with the other filters.
    let body = keys(json!({ "county": "västra götalands län" })).await;
    assert_eq!(
        body["data"]["promises"]["nodes"],
        json!([{ "key": "mellerud-2023-2024" }, { "key": "sodra-fyrbodal-2023-2024" }]),
        "{body:#}"
    );
    let body = keys(json!({ "county": "Kronobergs län" })).await;
    assert_eq!(
        body["data"]["promises"]["nodes"],
        json!([{ "key": "almhult-2021" }])
    );
    let body = keys(json!({ "county": "Västra Götalands län", "policeArea": area["id"] })).await;
    assert_eq!(body["data"]["promises"]["totalCount"], 1);
    let body = keys(json!({ "county": "Skåne län" })).await;
    assert_eq!(
        body["data"]["promises"],
        json!({ "totalCount": 0, "nodes": [] })
    );
    // A police area id that is not one is the client's mistake, named.
    let promise_id = app
        .query("{ promises(first: 1) { nodes { id } } }", json!({}))
        .await["promises"]["nodes"][0]["id"]
        .clone();
    for wrong in [promise_id, json!("bm9wZQ")] {
        let body = keys(json!({ "policeArea": wrong })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            "filter.policeArea"
        );
    }
}

#[tokio::test]
async fn contacts_accept_tips_and_placeholders_never_pose_as_people() {
    let smtp = e2e::smtp::SmtpSink::start();
    let app = spawn_app_with(|c| tips::quick(c, Some(&smtp))).await;
    const CONTACTS: &str = "{ municipalities(first: 100) { nodes { slug contacts { name role isPlaceholder acceptsTips } } }
        promises(first: 100) { nodes { key contacts { name role isPlaceholder acceptsTips } } } }";
    let data = app.query(CONTACTS, json!({})).await;
    let text = data.to_string();
    assert!(!text.contains("Platshållare"), "{data:#}");
    assert!(!text.contains("\"isPlaceholder\":true"), "{data:#}");
    let municipalities = data["municipalities"]["nodes"].as_array().expect("nodes");
    let of = |slug: &str| {
        municipalities
            .iter()
            .find(|m| m["slug"] == slug)
            .map(|m| m["contacts"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        of("mellerud"),
        json!([
            { "name": "Erika Gustavsson", "role": "kommunpolis", "isPlaceholder": false, "acceptsTips": true },
            { "name": "Glenn Nordling", "role": "Folkhälsostrateg", "isPlaceholder": false, "acceptsTips": true },
        ])
    );
    // Åsele's page names no one: its list is empty, not a made-up person.
    assert_eq!(of("asele"), json!([]));

    // The mailbox still receives the tip, and shows as the organisation's mailbox.
    let body = tips::submit(
        &app,
        json!({ "municipality": "asele", "kind": "IDEA", "message": "Fler trafikinsatser vid skolan, tack.",
                "email": "boende@exempel.se" }),
    )
    .await;
    assert_eq!(
        body["data"]["submitTip"]["tip"]["routedTo"],
        json!({ "name": "Åsele kommun", "role": "Funktionsbrevlåda", "organisation": "Åsele kommun" }),
        "{body:#}"
    );
    let messages = smtp.wait_for(2, e2e::PATIENCE).await;
    assert_eq!(messages.len(), 2);
    let receipt = messages
        .iter()
        .map(|m| decoded(m))
        .find(|m| m.contains("Tack!"))
        .expect("receipt");
    assert!(
        receipt.contains("Åsele kommun (Funktionsbrevlåda)"),
        "{receipt}"
    );
    assert!(!receipt.contains("Platshållare"), "{receipt}");

    // A contact without an address cannot take tips, and says so.
    let glenn = contact::Entity::find()
        .filter(contact::Column::Key.eq("glenn-nordling"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Glenn");
    let mut am: contact::ActiveModel = glenn.into();
    am.email = Set(None);
    am.update(&app.db).await.expect("update");
    changed(&app).await;
    let q = "{ municipality(slug: \"mellerud\") { contacts { name acceptsTips } } }";
    let data = app
        .query_eventually(q, json!({}), |d| {
            d["municipality"]["contacts"][1]["acceptsTips"] == false
        })
        .await;
    assert_eq!(
        data["municipality"]["contacts"],
        json!([
            { "name": "Erika Gustavsson", "acceptsTips": true },
            { "name": "Glenn Nordling", "acceptsTips": false },
        ])
    );
}

/// The text of an email, with quoted-printable and base64 bodies decoded.
fn decoded(raw: &[u8]) -> String {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("parsable");
    let mut text = String::new();
    for i in 0..message.text_body_count() {
        if let Some(body) = message.body_text(i) {
            text.push_str(&body);
        }
    }
    text
}

#[tokio::test]
async fn emails_name_the_municipality_by_its_official_name() {
    let smtp = e2e::smtp::SmtpSink::start();
    let app = spawn_app_with(|c| tips::quick(c, Some(&smtp))).await;
    let data = app
        .query(
            "{ municipalities(first: 100) { nodes { name officialName } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["municipalities"]["nodes"],
        json!([
            { "name": "Mellerud", "officialName": "Melleruds kommun" },
            { "name": "Orust", "officialName": "Orust kommun" },
            { "name": "Stenungsund", "officialName": "Stenungsunds kommun" },
            { "name": "Tjörn", "officialName": "Tjörns kommun" },
            { "name": "Åsele", "officialName": "Åsele kommun" },
            { "name": "Älmhult", "officialName": "Älmhults kommun" },
        ])
    );
    for slug in ["mellerud", "orust"] {
        let body = tips::submit(
            &app,
            json!({ "municipality": slug, "kind": "TIP", "message": "Det körs för fort vid skolan.",
                    "email": "boende@exempel.se" }),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body:#}");
    }
    let messages: Vec<String> = smtp
        .wait_for(4, e2e::PATIENCE)
        .await
        .iter()
        .map(|m| decoded(m))
        .collect();
    assert_eq!(messages.len(), 4);
    for official in ["Melleruds kommun", "Orust kommun"] {
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("Tips från en invånare i {official} (referens"))),
            "{messages:#?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("till medborgarlöftet i {official}."))),
            "{messages:#?}"
        );
    }
    let all = messages.concat();
    assert!(!all.contains("Mellerud kommun"), "{all}");
    assert!(!all.contains("Orust kommun kommun"), "{all}");
}

#[tokio::test]
async fn the_seed_file_requires_official_names_and_migrations_fill_them_in() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("seed.toml");
    let without = server::seed::EMBEDDED.replace("official_name = \"Melleruds kommun\"\n", "");
    assert_ne!(without, server::seed::EMBEDDED);
    std::fs::write(&path, without).expect("write");
    let err = server::seed::load_path(&path).expect_err("refused");
    assert!(err.to_string().contains("official_name"), "{err}");

    // A database from before official names: the migration fills in the shipped ones.
    use migration::MigratorTrait;
    let app = spawn_app().await;
    migration::Migrator::down(&app.db, Some(1))
        .await
        .expect("down");
    migration::Migrator::up(&app.db, None).await.expect("up");
    let names: Vec<(String, String)> = municipality::Entity::find()
        .all(&app.db)
        .await
        .expect("query")
        .into_iter()
        .map(|m| (m.code, m.official_name))
        .collect();
    assert!(
        names.contains(&("1461".to_owned(), "Melleruds kommun".to_owned())),
        "{names:?}"
    );
    assert!(
        names.iter().all(|(_, n)| n.ends_with(" kommun")),
        "{names:?}"
    );
}

/// Walk a connection forwards with `first`/`after` and backwards with `last`/`before`,
/// two items a page, and check both give the same items, cursors and page flags.
async fn walk_both_ways(app: &TestApp, token: Option<&str>, field: &str, path: &[&str]) {
    let run = |args: String| {
        let query = format!("{{ {} }}", field.replace("ARGS", &args));
        async move {
            let body = match token {
                Some(t) => app.graphql_as(t, &query, json!({})).await,
                None => app.graphql(&query, json!({})).await,
            };
            assert!(body.get("errors").is_none(), "{query}: {body:#}");
            let mut conn = body["data"].clone();
            for step in path {
                conn = match step.parse::<usize>() {
                    Ok(i) => conn[i].clone(),
                    Err(_) => conn[*step].clone(),
                };
            }
            conn
        }
    };
    let all = run("first: 100".into()).await;
    let total = all["totalCount"].as_u64().expect("totalCount") as usize;
    assert!(
        total >= 3,
        "{field}: need three items to page, have {total}"
    );
    let every: Vec<Value> = all["edges"].as_array().expect("edges").clone();

    let mut forward = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let args = match &after {
            Some(c) => format!("first: 2, after: \"{c}\""),
            None => "first: 2".into(),
        };
        let page = run(args).await;
        let edges = page["edges"].as_array().expect("edges").clone();
        assert_eq!(
            page["pageInfo"]["hasPreviousPage"],
            !forward.is_empty(),
            "{field}: {page:#}"
        );
        forward.extend(edges);
        assert_eq!(
            page["pageInfo"]["hasNextPage"],
            forward.len() < total,
            "{field}: {page:#}"
        );
        assert_eq!(page["totalCount"], total);
        if forward.len() >= total {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(forward, every, "{field}: forward pages");

    let mut backward: Vec<Value> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let args = match &before {
            Some(c) => format!("last: 2, before: \"{c}\""),
            None => "last: 2".into(),
        };
        let page = run(args).await;
        let edges = page["edges"].as_array().expect("edges").clone();
        assert!(!edges.is_empty() && edges.len() <= 2, "{field}: {page:#}");
        assert_eq!(
            page["pageInfo"]["hasNextPage"],
            !backward.is_empty(),
            "{field}: {page:#}"
        );
        assert_eq!(page["pageInfo"]["startCursor"], edges[0]["cursor"]);
        backward.splice(0..0, edges);
        assert_eq!(
            page["pageInfo"]["hasPreviousPage"],
            backward.len() < total,
            "{field}: {page:#}"
        );
        if backward.len() >= total {
            break;
        }
        before = page["pageInfo"]["startCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(backward, every, "{field}: backward pages");

    // `after` and `before` together bound the range from both ends.
    let (a, b) = (
        every[0]["cursor"].as_str().expect("cursor"),
        every[total - 1]["cursor"].as_str().expect("cursor"),
    );
    let middle = run(format!("after: \"{a}\", before: \"{b}\"")).await;
    assert_eq!(
        middle["edges"].as_array(),
        Some(&every[1..total - 1].to_vec()),
        "{field}"
    );
    let middle = run(format!("last: 1, after: \"{a}\", before: \"{b}\"")).await;
    assert_eq!(middle["edges"], json!([every[total - 2]]), "{field}");
    assert_eq!(middle["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(middle["pageInfo"]["hasNextPage"], true);
}

const PAGE: &str = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

#[tokio::test]
async fn every_connection_pages_backwards_like_forwards() {
    let app = spawn_app_with(tips::quiet).await;
    let public = [
        (
            format!("municipalities(ARGS) {{ {PAGE} edges {{ cursor node {{ code }} }} }}"),
            vec!["municipalities"],
        ),
        (
            format!("promises(ARGS) {{ {PAGE} edges {{ cursor node {{ key }} }} }}"),
            vec!["promises"],
        ),
    ];
    for (field, path) in &public {
        walk_both_ways(&app, None, field, path).await;
    }
    // Connections of one object, and the staff inbox.
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    for i in 0..5 {
        let body = tips::submit(
            &app,
            tips::tip_input("mellerud", &format!("Tips nummer {i} om trafiken.")),
        )
        .await;
        tips::reference(&body);
    }
    walk_both_ways(
        &app,
        Some(&admin),
        &format!("tips(ARGS) {{ {PAGE} edges {{ cursor node {{ reference }} }} }}"),
        &["tips"],
    )
    .await;
    walk_both_ways(
        &app,
        Some(&admin),
        &format!("editablePromises(ARGS) {{ {PAGE} edges {{ cursor node {{ key }} }} }}"),
        &["editablePromises"],
    )
    .await;

    // Follow-ups of a commitment and the audit log: three reports through the API.
    let commitment = app
        .query(
            "{ promises(filter: {municipality: \"asele\"}) { nodes { commitments { id } } } }",
            json!({}),
        )
        .await["promises"]["nodes"][0]["commitments"][0]["id"]
        .clone();
    for d in 1..=3 {
        app.query_as(
            &admin,
            "mutation($i: CreateFollowUpInput!) { createFollowUp(input: $i) { followUp { id } } }",
            json!({ "i": { "commitmentId": commitment, "date": format!("2017-0{d}-15"),
                           "text": format!("Trafikinsats {d}"), "achievedQuantity": 1 } }),
        )
        .await;
    }
    walk_both_ways(
        &app,
        None,
        &format!(
            "node(id: {commitment}) {{ ... on Commitment {{ followUps(ARGS) {{ {PAGE} edges {{ cursor node {{ text }} }} }} }} }}"
        ),
        &["node", "followUps"],
    )
    .await;
    walk_both_ways(
        &app,
        Some(&admin),
        &format!("auditLog(ARGS) {{ {PAGE} edges {{ cursor node {{ at }} }} }}"),
        &["auditLog"],
    )
    .await;

    // Police areas, and the promises of one municipality and of one police area: more of
    // them, as an import would add.
    let mellerud = municipality::Entity::find()
        .filter(municipality::Column::Code.eq("1461"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Mellerud");
    let seed_promise = promise::Entity::find()
        .filter(promise::Column::Key.eq("mellerud-2023-2024"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("seed promise");
    for (i, name) in ["Dalsland", "Fyrstad"].into_iter().enumerate() {
        let area = entity::police_area::ActiveModel {
            id: NotSet,
            key: Set(format!("area-{i}")),
            name: Set(name.into()),
        }
        .insert(&app.db)
        .await
        .expect("area");
        entity::police_area_municipality::ActiveModel {
            police_area_id: Set(area.id),
            municipality_id: Set(mellerud.id),
        }
        .insert(&app.db)
        .await
        .expect("link");
    }
    for year in [2025, 2027] {
        let mut next: promise::ActiveModel = seed_promise.clone().into();
        next.id = NotSet;
        next.key = Set(format!("mellerud-{year}"));
        next.valid_from = Set(day(year, 1, 1));
        next.valid_to = Set(day(year + 1, 12, 31));
        let next = next.insert(&app.db).await.expect("insert");
        link(&app, next.id, mellerud.id).await;
    }
    changed(&app).await;
    app.query_eventually("{ policeAreas { totalCount } }", json!({}), |d| {
        d["policeAreas"]["totalCount"] == 3
    })
    .await;
    walk_both_ways(
        &app,
        None,
        &format!("policeAreas(ARGS) {{ {PAGE} edges {{ cursor node {{ name }} }} }}"),
        &["policeAreas"],
    )
    .await;
    walk_both_ways(
        &app,
        None,
        &format!(
            "municipality(slug: \"mellerud\") {{ promises(ARGS) {{ {PAGE} edges {{ cursor node {{ key }} }} }} }}"
        ),
        &["municipality", "promises"],
    )
    .await;
    walk_both_ways(
        &app,
        None,
        &format!(
            "policeAreas(first: 1) {{ nodes {{ name promises(ARGS) {{ {PAGE} edges {{ cursor node {{ key }} }} }} }} }}"
        ),
        &["policeAreas", "nodes", "0", "promises"],
    )
    .await;
}

#[tokio::test]
async fn paging_arguments_are_checked() {
    let app = spawn_app().await;
    let cases = [
        ("municipalities(first: 2, last: 2)", "last"),
        ("municipalities(last: 101)", "last"),
        ("municipalities(last: -1)", "last"),
        ("municipalities(last: 99999999999)", "last"),
        ("municipalities(first: 99999999999)", "first"),
        ("municipalities(before: \"nonsense\")", "before"),
        ("promises(first: 1, last: 1)", "last"),
        ("policeAreas(last: 500)", "last"),
        (
            "municipality(slug: \"mellerud\") { promises(last: 1, first: 1) { totalCount } }",
            "last",
        ),
    ];
    for (field, argument) in cases {
        let query = if field.contains('{') {
            format!("{{ {field} }}")
        } else {
            format!("{{ {field} {{ totalCount }} }}")
        };
        let body = app.graphql(&query, json!({})).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{query}: {body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], argument,
            "{query}: {body:#}"
        );
    }
    // Only `before`: the default page, counted back from the cursor.
    let all = app
        .query(
            "{ municipalities { edges { cursor node { name } } } }",
            json!({}),
        )
        .await;
    let last = all["municipalities"]["edges"][5]["cursor"].clone();
    let data = app
        .query(
            "query($b: String) { municipalities(before: $b) { nodes { name } pageInfo { hasNextPage hasPreviousPage } } }",
            json!({ "b": last }),
        )
        .await;
    assert_eq!(
        data["municipalities"]["nodes"].as_array().map(Vec::len),
        Some(5)
    );
    assert_eq!(
        data["municipalities"]["pageInfo"],
        json!({ "hasNextPage": true, "hasPreviousPage": false })
    );
}

const NODE: &str =
    "query($id: ID!) { node(id: $id) { id __typename ... on StaffTip { reference message } } }";

#[tokio::test]
async fn staff_refetch_a_tip_by_its_node_id() {
    let app = spawn_app_with(tips::quiet).await;
    let mellerud_tip = tips::reference(
        &tips::submit(
            &app,
            tips::tip_input("mellerud", "Det körs för fort vid skolan."),
        )
        .await,
    );
    let almhult_tip = tips::reference(
        &tips::submit(
            &app,
            tips::tip_input("almhult", "Mörkt i gångtunneln vid stationen."),
        )
        .await,
    );
    let national = app.staff_token(StaffRole::Admin, &[], None).await;
    let inbox = app
        .query_as(&national, "{ tips { nodes { id reference } } }", json!({}))
        .await;
    let id_of = |reference: &str| {
        inbox["tips"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["reference"] == reference)
            .map(|t| t["id"].clone())
            .expect("tip in inbox")
    };
    let (mellerud_id, almhult_id) = (id_of(&mellerud_tip), id_of(&almhult_tip));

    let data = app
        .query_as(&national, NODE, json!({ "id": mellerud_id }))
        .await;
    assert_eq!(
        data["node"],
        json!({ "id": mellerud_id, "__typename": "StaffTip", "reference": mellerud_tip,
                "message": "Det körs för fort vid skolan." })
    );
    // Staff scoped to Mellerud: the Älmhult tip does not exist for them.
    let local = app.staff_token(StaffRole::Admin, &["1461"], None).await;
    let recipient = app
        .staff_token(StaffRole::Recipient, &["1461"], Some("erika-gustavsson"))
        .await;
    let editor = app.staff_token(StaffRole::Editor, &["1461"], None).await;
    for token in [&local, &recipient] {
        let data = app
            .query_as(token, NODE, json!({ "id": mellerud_id }))
            .await;
        assert_eq!(data["node"]["reference"], mellerud_tip.as_str());
        let body = app
            .graphql_as(token, NODE, json!({ "id": almhult_id }))
            .await;
        assert_eq!(body["data"]["node"], Value::Null, "{body:#}");
        assert!(
            body.get("errors").is_none(),
            "like a non-public object: {body:#}"
        );
    }
    // Editors do not read tips; residents and strangers see nothing either.
    let body = app
        .graphql_as(&editor, NODE, json!({ "id": mellerud_id }))
        .await;
    assert_eq!(body["data"]["node"], Value::Null, "{body:#}");
    for body in [
        app.graphql(NODE, json!({ "id": mellerud_id })).await,
        app.graphql_as("mlt_nonsense", NODE, json!({ "id": mellerud_id }))
            .await,
    ] {
        assert_eq!(body["data"]["node"], Value::Null, "{body:#}");
        assert!(!body.to_string().contains("fort vid skolan"), "{body:#}");
    }
    // `nodes` batches the same rule.
    let data = app
        .query_as(
            &local,
            "query($ids: [ID!]!) { nodes(ids: $ids) { ... on StaffTip { reference } } }",
            json!({ "ids": [mellerud_id, almhult_id] }),
        )
        .await;
    assert_eq!(data["nodes"], json!([{ "reference": mellerud_tip }, null]));
}
