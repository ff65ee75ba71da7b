//! The per-replica routing snapshot: tips are routed from contacts and rules kept in
//! memory per catalogue generation, so these tests check that staff edits still reach
//! the next tips, on the editing replica and on others, and that a snapshot older than
//! a deletion cannot lose a tip.

use e2e::{TestApp, spawn_app_with, tips::generous};
use entity::{StaffRole, tip};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use server::service::tips::{self, SubmitError};

const SUBMIT: &str = "mutation($i: SubmitTipInput!) { submitTip(input: $i) { tip { reference routedTo { name } } } }";
const CREATE_CONTACT: &str =
    "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }";
const CREATE_RULE: &str =
    "mutation($i: CreateRoutingRuleInput!) { createRoutingRule(input: $i) { routingRule { id } } }";
const CONTACT_NAMES: &str = "{ municipality(slug: \"mellerud\") { contacts { name } } }";

async fn traffic_area(app: &TestApp) -> Value {
    let data = app
        .query(
            "{ municipality(slug: \"mellerud\") { promises(first: 5) { nodes { focusAreas { id title } } } } }",
            json!({}),
        )
        .await;
    data["municipality"]["promises"]["nodes"]
        .as_array()
        .expect("promises")
        .iter()
        .flat_map(|p| p["focusAreas"].as_array().cloned().unwrap_or_default())
        .find(|a| a["title"] == "Trafiksäkerhet")
        .expect("Mellerud has a traffic focus area")["id"]
        .clone()
}

fn traffic_tip(area: &Value) -> Value {
    json!({ "i": { "municipality": "mellerud", "kind": "TIP", "concerns": area,
        "message": "Bilar kör för fort förbi skolan varje morgon." } })
}

/// Create Tora, a traffic strategist serving Mellerud, and route traffic tips to her.
async fn route_traffic_to_tora(app: &TestApp, token: &str, area: &Value) -> (Value, Value) {
    let contact = app
        .query_as(
            token,
            CREATE_CONTACT,
            json!({ "i": { "key": "trafik-mellerud", "name": "Tora Trafik", "role": "Trafikstrateg",
                "organisationKind": "MUNICIPALITY", "organisation": "Melleruds kommun",
                "email": "tora.trafik@mellerud.example", "municipalities": ["mellerud"] } }),
        )
        .await["createContact"]["contact"]["id"]
        .clone();
    let rule = app
        .query_as(
            token,
            CREATE_RULE,
            json!({ "i": { "municipality": "mellerud", "focusAreaId": area, "contactId": contact } }),
        )
        .await["createRoutingRule"]["routingRule"]["id"]
        .clone();
    (contact, rule)
}

#[tokio::test]
async fn routing_edits_reach_the_next_tip_on_every_replica() {
    let first = spawn_app_with(generous).await;
    let url = first.database_url.clone();
    let second = spawn_app_with(|c| {
        generous(c);
        c.database_url = url;
    })
    .await;
    let area = traffic_area(&first).await;

    // Both replicas route a traffic tip once, so both hold Mellerud's snapshot.
    let mut before = Vec::new();
    for app in [&first, &second] {
        let routed =
            app.query(SUBMIT, traffic_tip(&area)).await["submitTip"]["tip"]["routedTo"]["name"]
                .clone();
        assert_ne!(routed, "Tora Trafik");
        before.push(routed);
    }
    assert_eq!(before[0], before[1]);
    // The second replica caches the public contact list too; it changes only when that
    // replica sees the catalogue version move.
    let cached = second.query(CONTACT_NAMES, json!({})).await;
    assert!(!cached.to_string().contains("Tora"));

    let token = first.staff_token(StaffRole::Admin, &[], None).await;
    let (contact, _) = route_traffic_to_tora(&first, &token, &area).await;
    // The writing replica routes by the new rule at once.
    let routed = first.query(SUBMIT, traffic_tip(&area)).await;
    assert_eq!(
        routed["submitTip"]["tip"]["routedTo"]["name"],
        "Tora Trafik"
    );

    // A last, public change: once the other replica's cached contact list shows it, that
    // replica has seen the rule too (both caches follow the same catalogue version).
    first
        .query_as(
            &token,
            "mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { id } } }",
            json!({ "i": { "id": contact, "name": "Tora Trafiksson" } }),
        )
        .await;
    let seen = second
        .query_eventually(CONTACT_NAMES, json!({}), |d| {
            d.to_string().contains("Tora Trafiksson")
        })
        .await;
    assert!(
        seen.to_string().contains("Tora Trafiksson"),
        "the second replica never saw the edit: {seen}"
    );
    let routed = second.query(SUBMIT, traffic_tip(&area)).await;
    assert_eq!(
        routed["submitTip"]["tip"]["routedTo"]["name"], "Tora Trafiksson",
        "the second replica still routes by its old snapshot"
    );
}

#[tokio::test]
async fn a_snapshot_naming_a_deleted_contact_routes_the_tip_again() {
    let first = spawn_app_with(generous).await;
    let url = first.database_url.clone();
    // This replica never polls, so its snapshot stays older than the deletion below.
    let stale = spawn_app_with(|c| {
        generous(c);
        c.database_url = url;
        c.catalog_poll_interval_ms = 3_600_000;
    })
    .await;
    let area = traffic_area(&first).await;
    let token = first.staff_token(StaffRole::Admin, &[], None).await;
    let (contact, rule) = route_traffic_to_tora(&first, &token, &area).await;

    // A rejected tip still reads Mellerud's routing: the stale replica now holds Tora.
    let rejected = stale
        .graphql(
            SUBMIT,
            json!({ "i": { "municipality": "mellerud", "kind": "TIP", "message": "  " } }),
        )
        .await;
    assert_eq!(e2e::error_codes(&rejected), ["BAD_USER_INPUT"]);

    // The rule and Tora are deleted through the other replica.
    first
        .query_as(
            &token,
            "mutation($id: Int!) { deleteRoutingRule(id: $id) { deletedId } }",
            json!({ "id": rule }),
        )
        .await;
    first
        .query_as(
            &token,
            "mutation($id: ID!) { deleteContact(input: {id: $id}) { deletedId } }",
            json!({ "id": contact }),
        )
        .await;

    let tips_before = tip::Entity::find().count(&stale.db).await.expect("count");
    let routed = stale.graphql(SUBMIT, traffic_tip(&area)).await;
    assert!(
        routed.get("errors").is_none(),
        "the tip was lost: {routed:#}"
    );
    let name = &routed["data"]["submitTip"]["tip"]["routedTo"]["name"];
    assert!(
        name.is_string() && name != "Tora Trafik",
        "routed to {name}"
    );
    let tips_after = tip::Entity::find().count(&stale.db).await.expect("count");
    assert_eq!(tips_after, tips_before + 1);
}

#[tokio::test]
async fn a_taken_reference_is_drawn_again() {
    let app = spawn_app_with(generous).await;
    let taken = app
        .query(
            SUBMIT,
            json!({ "i": { "municipality": "mellerud", "kind": "IDEA", "message": "Fler bänkar i parken." } }),
        )
        .await["submitTip"]["tip"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();

    let valid = e2e::tips::validated_idea(&app).await;
    let free = format!("{}-ZZZZ-ZZ", &taken[..taken.find('-').expect("prefix")]);
    let mut draws = vec![free.clone(), taken.clone()];
    let mut drawn = 0;
    let accepted =
        tips::store_with_references(&app.db, b"secret", &valid, None, chrono::Utc::now(), || {
            drawn += 1;
            draws.pop().expect("a reference to draw")
        })
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("stored after a second draw");
    assert_eq!(drawn, 2);
    assert_eq!(accepted.tip.reference, free);
    assert_eq!(tip::Entity::find().count(&app.db).await.expect("count"), 2);

    // Every draw taken: a clear error, and nothing stored.
    let failed =
        tips::store_with_references(&app.db, b"secret", &valid, None, chrono::Utc::now(), || {
            taken.clone()
        })
        .await;
    assert!(matches!(failed, Err(SubmitError::Db(_))));
    assert_eq!(tip::Entity::find().count(&app.db).await.expect("count"), 2);
}

#[tokio::test]
async fn a_warm_replica_stores_a_tip_in_few_statements() {
    let app = spawn_app_with(|c| {
        generous(c);
        // Nothing else may run statements while they are counted.
        c.delivery_worker = false;
        c.catalog_poll_interval_ms = 3_600_000;
    })
    .await;
    let tip = |n: u32| {
        json!({ "i": { "municipality": "mellerud", "kind": "TIP", "email": format!("boende{n}@example.se"),
            "message": format!("Trasig gatlampa nummer {n} vid busshållplatsen.") } })
    };
    // The first tip reads Mellerud's routing snapshot.
    app.query(SUBMIT, tip(1)).await;
    // The start-up retention sweep is not the tip's.
    app.settled().await;
    let before = app.statements.get();
    let routed = app.query(SUBMIT, tip(2)).await;
    let used = app.statements.get() - before;
    assert!(routed["submitTip"]["tip"]["routedTo"]["name"].is_string());
    // The shared per-IP window, then the tip, its first history entry and both emails
    // (the contact's and the resident's receipt, one insert) in one transaction.
    assert_eq!(used, 4, "statements for a tip on a warm replica");
}
