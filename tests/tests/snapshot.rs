//! The catalogue snapshot: a warm replica answers public reads without a single SQL
//! statement, a staff edit is visible on the next read of the replica that made it, and
//! another replica on the same database sees it within a catalogue poll.

use e2e::{Sent, TestApp, spawn_app_with, tips::quiet};
use entity::StaffRole;
use serde_json::{Value, json};

const MUNICIPALITY_PAGE: &str = r#"query($slug: String!) { municipality(slug: $slug) {
    id code name officialName slug county responseDays policeAreas { id name municipalities { name } }
    contacts { id name role organisation phone isPlaceholder acceptsTips }
    latestPromise { id title }
    promises(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes {
        id key title validFrom validTo status summary situation goal followUp renewalNote signedOn signedPlace progress
        municipalities { code name } policeArea { name }
        signatories { id name title organisation } sources { title publisher url updatedOn }
        sections { heading body } contacts { name role }
        focusAreas { id title description position progress contact { name }
            commitments { id text responsible status position progress achievedQuantity
                target { quantity unit period totalQuantity } contact { name }
                followUps(first: 10) { totalCount nodes { id date text achievedQuantity } } } }
        commitments { id text responsible status progress achievedQuantity target { quantity totalQuantity } } } } } }"#;

const PROMISE_LIST: &str = r#"query($f: PromiseFilter) { promises(first: 50, filter: $f) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id key title status progress focusAreas { id title progress commitments { id text progress } } } } }"#;

/// Counts the statements `query` costs on `app`; `run` makes the text unique so the
/// response cache cannot answer it.
async fn statements_for(app: &TestApp, query: &str, variables: Value, run: usize) -> (u64, Value) {
    let before = app.statements.get();
    let data = app.query(&format!("{query}\n# run {run}"), variables).await;
    (app.statements.get() - before, data)
}

fn quiet_replica(config: &mut server::config::Config) {
    quiet(config);
    // Nothing in the background may run statements while they are counted.
    config.catalog_poll_interval_ms = 3_600_000;
}

#[tokio::test]
async fn a_warm_replica_answers_public_reads_without_sql() {
    let app = spawn_app_with(quiet_replica).await;
    // Warm: the snapshot is built before the server serves; one read for good measure.
    app.query("{ municipalities { totalCount } }", json!({}))
        .await;
    app.settled().await;
    let mut run = 0;
    let zero = |name: &str, used: u64| {
        assert_eq!(used, 0, "{name} ran {used} SQL statements");
    };

    for slug in ["mellerud", "almhult", "tjorn"] {
        run += 1;
        let (used, data) =
            statements_for(&app, MUNICIPALITY_PAGE, json!({ "slug": slug }), run).await;
        zero("a municipality page", used);
        assert_eq!(data["municipality"]["slug"], slug);
        assert!(data["municipality"]["promises"]["totalCount"].as_u64() >= Some(1));
    }

    run += 1;
    let (used, list) = statements_for(&app, PROMISE_LIST, json!({}), run).await;
    zero("the promise list", used);
    let nodes = list["promises"]["nodes"].as_array().expect("nodes").clone();
    assert_eq!(
        nodes.len() as u64,
        list["promises"]["totalCount"].as_u64().expect("total")
    );
    assert!(nodes.len() >= 2, "{list}");

    // Searches and every filter the API offers.
    for filter in [
        json!({ "search": "Trafiksäkerheten" }),
        json!({ "search": "droger trafik" }),
        json!({ "municipality": "1461" }),
        json!({ "county": "Västra Götalands län" }),
        json!({ "status": "EXPIRED" }),
        json!({ "responsible": "POLICE" }),
        json!({ "year": 2024 }),
        json!({ "activeOn": "2024-06-01" }),
    ] {
        run += 1;
        let (used, _) = statements_for(&app, PROMISE_LIST, json!({ "f": filter }), run).await;
        zero(&format!("promises(filter: {filter})"), used);
    }
    run += 1;
    let (used, found) = statements_for(
        &app,
        "query($s: String) { municipalities(search: $s) { nodes { name } } }",
        json!({ "s": "ÅSELE" }),
        run,
    )
    .await;
    zero("a municipality search", used);
    assert_eq!(found["municipalities"]["nodes"][0]["name"], "Åsele");
    run += 1;
    let (used, areas) = statements_for(
        &app,
        "{ policeAreas { nodes { id name promises { totalCount nodes { title } } } } }",
        json!({}),
        run,
    )
    .await;
    zero("police areas", used);
    let area = areas["policeAreas"]["nodes"][0]["id"].clone();
    run += 1;
    let (used, _) = statements_for(
        &app,
        PROMISE_LIST,
        json!({ "f": { "policeArea": area } }),
        run,
    )
    .await;
    zero("promises by police area", used);

    // node / nodes over every public kind.
    let page = app
        .query(MUNICIPALITY_PAGE, json!({ "slug": "mellerud" }))
        .await;
    let m = &page["municipality"];
    let p = &m["promises"]["nodes"][0];
    let fa = &p["focusAreas"][0];
    let c = &fa["commitments"][0];
    let signed = app
        .query(
            "{ promises(first: 100) { nodes { signatories { id } } } }",
            json!({}),
        )
        .await;
    let signatory = signed["promises"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find_map(|n| n["signatories"].get(0).map(|s| s["id"].clone()))
        .expect("a signatory");
    let mut ids: Vec<Value> = vec![
        m["id"].clone(),
        area.clone(),
        p["id"].clone(),
        fa["id"].clone(),
        c["id"].clone(),
        signatory,
        m["contacts"][0]["id"].clone(),
    ];
    if let Some(f) = c["followUps"]["nodes"].get(0) {
        ids.push(f["id"].clone());
    }
    assert!(ids.iter().all(Value::is_string), "{ids:?}");
    for id in &ids {
        run += 1;
        let (used, data) = statements_for(
            &app,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
            run,
        )
        .await;
        zero("node", used);
        assert_eq!(&data["node"]["id"], id);
    }
    run += 1;
    let (used, data) = statements_for(
        &app,
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Promise { title focusAreas { title } } ... on Municipality { name } } }",
        json!({ "ids": ids }),
        run,
    )
    .await;
    zero("nodes", used);
    assert_eq!(data["nodes"].as_array().map(Vec::len), Some(ids.len()));

    // The resident site reads the same snapshot.
    let before = app.statements.get();
    let response = app.get("/kommun/mellerud").sent().await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    assert!(html.contains("Mellerud"));
    zero("the resident page", app.statements.get() - before);
}

const UPDATE: &str =
    "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id title } } }";
const TITLES: &str = "{ promises(first: 100) { nodes { id key title } } }";

async fn title_of(app: &TestApp, key: &str) -> (String, String) {
    let data = app.query(TITLES, json!({})).await;
    let node = data["promises"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["key"] == key)
        .unwrap_or_else(|| panic!("{key} is public: {data}"))
        .clone();
    (
        node["id"].as_str().expect("id").to_owned(),
        node["title"].as_str().expect("title").to_owned(),
    )
}

#[tokio::test]
async fn an_edit_is_seen_at_once_here_and_within_a_poll_elsewhere() {
    // This replica never polls: it sees its own edit because the mutation rebuilds.
    let app = spawn_app_with(quiet_replica).await;
    let url = app.database_url.clone();
    let other = spawn_app_with(|c| {
        quiet(c);
        c.database_url = url;
        c.catalog_poll_interval_ms = 200;
    })
    .await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let (id, before) = title_of(&app, "mellerud-2023-2024").await;
    assert_eq!(title_of(&other, "mellerud-2023-2024").await.1, before);
    app.settled().await;

    for round in 1..=3 {
        let title = format!("Medborgarlöfte Mellerud, version {round}");
        let data = app
            .query_as(
                &editor,
                UPDATE,
                json!({ "i": { "id": id, "title": title } }),
            )
            .await;
        assert_eq!(data["updatePromise"]["promise"]["title"], title);
        // The next read on the same replica, through the same text (the response cache
        // must not answer from before the edit) and through a fresh one.
        assert_eq!(title_of(&app, "mellerud-2023-2024").await.1, title);
        let (used, page) = statements_for(
            &app,
            "query($id: ID!) { node(id: $id) { ... on Promise { title } } }",
            json!({ "id": id }),
            round,
        )
        .await;
        assert_eq!(page["node"]["title"], title);
        assert_eq!(
            used, 0,
            "a read after the edit is answered from the new snapshot"
        );
        // The other replica within its poll interval.
        let seen = title.clone();
        let there = other
            .query_eventually(TITLES, json!({}), move |d| d.to_string().contains(&seen))
            .await;
        assert!(there.to_string().contains(&title), "{there}");
    }
}

const CONTACTS: &str = "query { municipality(slug: \"mellerud\") { contacts { id name role } } }";
const UPDATE_CONTACT: &str =
    "mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { id role } } }";

/// The roles of Mellerud's public contacts, keyed by contact id.
fn roles(data: &Value) -> Vec<(String, String)> {
    data["municipality"]["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id").to_owned(),
                c["role"].as_str().expect("role").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_contact_edit_moves_the_catalogue_version_like_a_promise_edit() {
    // Contacts live in the snapshot too: editing one must rebuild it here at once and
    // reach the other replica within a poll, as a promise edit does.
    let app = spawn_app_with(quiet_replica).await;
    let url = app.database_url.clone();
    let other = spawn_app_with(|c| {
        quiet(c);
        c.database_url = url;
        c.catalog_poll_interval_ms = 200;
    })
    .await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let before = roles(&app.query(CONTACTS, json!({})).await);
    let (id, old_role) = before
        .first()
        .cloned()
        .expect("Mellerud has public contacts");
    assert_eq!(roles(&other.query(CONTACTS, json!({})).await), before);

    let role = format!("{old_role} (ny roll)");
    let data = app
        .query_as(
            &editor,
            UPDATE_CONTACT,
            json!({ "i": { "id": id, "role": role } }),
        )
        .await;
    assert_eq!(data["updateContact"]["contact"]["role"], role);

    // Same text as before the edit: neither the response cache nor the old snapshot may answer.
    let here = roles(&app.query(CONTACTS, json!({})).await);
    assert!(here.contains(&(id.clone(), role.clone())), "{here:?}");
    app.settled().await;
    let (used, fresh) = statements_for(&app, CONTACTS, json!({}), 1).await;
    assert!(roles(&fresh).contains(&(id.clone(), role.clone())));
    assert_eq!(
        used, 0,
        "the read after a contact edit comes from the rebuilt snapshot"
    );
    let seen = role.clone();
    let there = other
        .query_eventually(CONTACTS, json!({}), move |d| d.to_string().contains(&seen))
        .await;
    assert!(roles(&there).contains(&(id, role)), "{there}");
}
