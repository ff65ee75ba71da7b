//! Staff editing: roles and scopes, validation, every kind of change with its audit entry,
//! and the seed importer respecting staff edits.

use e2e::{TestApp, error_codes, spawn_app_with, tips::quiet};
use entity::{StaffRole, audit_log};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use server::seed;

const PROMISES: &str = "{ promises(first: 100) { nodes { id key title } } }";

/// Global id and title of a published promise, by key.
async fn promise(app: &TestApp, key: &str) -> (String, String) {
    let data = app
        .query(
            "{ promises(first: 100) { nodes { id key title } } }",
            json!({}),
        )
        .await;
    let node = data["promises"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["key"] == key)
        .unwrap_or_else(|| panic!("promise {key} is public"))
        .clone();
    (
        node["id"].as_str().expect("id").to_owned(),
        node["title"].as_str().expect("title").to_owned(),
    )
}

async fn audit_count(app: &TestApp) -> u64 {
    audit_log::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

const UPDATE: &str = "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id title summary goal } } }";

#[tokio::test]
async fn editors_change_only_what_belongs_to_their_municipalities() {
    let app = spawn_app_with(quiet).await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let recipient = app
        .staff_token(
            StaffRole::Recipient,
            &["mellerud"],
            Some("erika-gustavsson"),
        )
        .await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let (mellerud, _) = promise(&app, "mellerud-2023-2024").await;
    let (almhult, almhult_title) = promise(&app, "almhult-2021").await;

    // Allowed: the editor's own municipality; the public API shows it at once.
    let data = app
        .query_as(
            &editor,
            UPDATE,
            json!({ "i": { "id": mellerud, "title": "Medborgarlöfte Mellerud 2025", "goal": null } }),
        )
        .await;
    assert_eq!(
        data["updatePromise"]["promise"]["title"],
        "Medborgarlöfte Mellerud 2025"
    );
    assert_eq!(data["updatePromise"]["promise"]["goal"], Value::Null);
    assert_eq!(
        promise(&app, "mellerud-2023-2024").await.1,
        "Medborgarlöfte Mellerud 2025"
    );

    // Refused: another municipality's promise, a recipient, no token, a bad token.
    let change = json!({ "i": { "id": almhult, "title": "Kapad" } });
    let before = audit_count(&app).await;
    assert_eq!(
        error_codes(&app.graphql_as(&editor, UPDATE, change.clone()).await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&app.graphql_as(&recipient, UPDATE, change.clone()).await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&app.graphql(UPDATE, change.clone()).await),
        ["UNAUTHENTICATED"]
    );
    assert_eq!(
        error_codes(&app.graphql_as("mlt_nope", UPDATE, change.clone()).await),
        ["UNAUTHENTICATED"]
    );
    assert_eq!(promise(&app, "almhult-2021").await.1, almhult_title);
    assert_eq!(audit_count(&app).await, before, "refusals change nothing");

    // Editors may not move a promise into a municipality outside their scope.
    let moved = app
        .graphql_as(
            &editor,
            UPDATE,
            json!({ "i": { "id": mellerud, "municipalities": ["mellerud", "almhult"] } }),
        )
        .await;
    assert_eq!(error_codes(&moved), ["FORBIDDEN"]);

    // Admins may change anything.
    app.query_as(&admin, UPDATE, change).await;
    assert_eq!(promise(&app, "almhult-2021").await.1, "Kapad");

    // Each role sees what it may edit: editors their municipality's, admins all.
    let editable = "{ editablePromises { totalCount nodes { key } } }";
    let mine = app.query_as(&editor, editable, json!({})).await;
    assert_eq!(mine["editablePromises"]["totalCount"], 1);
    assert_eq!(
        mine["editablePromises"]["nodes"][0]["key"],
        "mellerud-2023-2024"
    );
    let all = app.query_as(&admin, editable, json!({})).await;
    assert_eq!(all["editablePromises"]["totalCount"], 4);
    assert_eq!(
        error_codes(&app.graphql_as(&recipient, editable, json!({})).await),
        ["FORBIDDEN"]
    );
}

#[tokio::test]
async fn a_promise_goes_from_draft_to_published_to_deleted() {
    let app = spawn_app_with(quiet).await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let create = "mutation($i: CreatePromiseInput!) { createPromise(input: $i) { promise { id key title status } } }";
    let input = json!({ "i": {
        "key": "mellerud-2027",
        "title": "Medborgarlöfte Mellerud 2027",
        "municipalities": ["1461"],
        "policeArea": "sodra-fyrbodal",
        "validFrom": "2027-01-01",
        "validTo": "2027-12-31",
        "summary": "Vi ska arbeta med ungdomar och trafik i Köpmannebro.",
    } });
    let created = app.query_as(&editor, create, input.clone()).await;
    let id = created["createPromise"]["promise"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // A draft is invisible to the public, but editors see it.
    let public = "query($id: ID!) { promise(id: $id) { title } }";
    assert_eq!(
        error_codes(&app.graphql(public, json!({ "id": id })).await),
        ["NOT_FOUND"]
    );
    let search = "{ promises(filter: {search: \"köpmannebro\"}) { totalCount } }";
    assert_eq!(
        app.query(search, json!({})).await["promises"]["totalCount"],
        0
    );
    assert_eq!(
        app.query_as(&editor, "{ editablePromises { totalCount } }", json!({}))
            .await["editablePromises"]["totalCount"],
        2
    );
    // The same key twice is refused.
    let again = app.graphql_as(&editor, create, input).await;
    assert_eq!(error_codes(&again), ["BAD_USER_INPUT"]);
    assert_eq!(again["errors"][0]["extensions"]["field"], "key");

    // Published: visible and searchable.
    let publish = "mutation($id: ID!) { publishPromise(input: {id: $id}) { promise { id } } }";
    app.query_as(&editor, publish, json!({ "id": id })).await;
    assert_eq!(
        app.query(public, json!({ "id": id })).await["promise"]["title"],
        "Medborgarlöfte Mellerud 2027"
    );
    assert_eq!(
        app.query(search, json!({})).await["promises"]["totalCount"],
        1
    );

    // Unpublished: gone from the public API again.
    let unpublish = "mutation($id: ID!) { unpublishPromise(input: {id: $id}) { promise { id } } }";
    app.query_as(&editor, unpublish, json!({ "id": id })).await;
    assert_eq!(
        error_codes(&app.graphql(public, json!({ "id": id })).await),
        ["NOT_FOUND"]
    );

    // Deleted, and a second delete is NOT_FOUND.
    let delete = "mutation($id: ID!) { deletePromise(input: {id: $id}) { deletedId } }";
    let deleted = app.query_as(&editor, delete, json!({ "id": id })).await;
    assert_eq!(deleted["deletePromise"]["deletedId"], id.as_str());
    assert_eq!(
        error_codes(&app.graphql_as(&editor, delete, json!({ "id": id })).await),
        ["NOT_FOUND"]
    );

    // Editors cannot create promises for other municipalities.
    let elsewhere = app
        .graphql_as(
            &editor,
            create,
            json!({ "i": { "key": "almhult-2027", "title": "x", "municipalities": ["almhult"], "validFrom": "2027-01-01", "validTo": "2027-12-31", "summary": "x" } }),
        )
        .await;
    assert_eq!(error_codes(&elsewhere), ["FORBIDDEN"]);

    // The audit log has the whole story, newest first, for admins only.
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let log = "query($p: ID) { auditLog(filter: {promiseId: $p}) { totalCount nodes { action entityType actor before after } } }";
    let entries = app.query_as(&admin, log, json!({ "p": id })).await;
    let actions: Vec<&str> = entries["auditLog"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["DELETE", "UNPUBLISH", "PUBLISH", "CREATE"]);
    let nodes = &entries["auditLog"]["nodes"];
    assert_eq!(nodes[3]["before"], Value::Null);
    assert_eq!(nodes[3]["after"]["title"], "Medborgarlöfte Mellerud 2027");
    assert_eq!(nodes[3]["after"]["municipalities"], json!(["1461"]));
    assert_eq!(nodes[3]["actor"], "Test");
    assert_eq!(nodes[0]["before"]["key"], "mellerud-2027");
    assert_eq!(nodes[0]["after"], Value::Null);
    assert_eq!(
        error_codes(&app.graphql_as(&editor, log, json!({ "p": id })).await),
        ["FORBIDDEN"]
    );
}

#[tokio::test]
async fn bad_input_is_a_typed_error_and_changes_nothing() {
    let app = spawn_app_with(quiet).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let (mellerud, title) = promise(&app, "mellerud-2023-2024").await;
    let (almhult, _) = promise(&app, "almhult-2021").await;
    let almhult_area = app
        .query(
            "query($id: ID!) { promise(id: $id) { focusAreas { id } } }",
            json!({ "id": almhult }),
        )
        .await["promise"]["focusAreas"][0]["id"]
        .clone();
    let before = audit_count(&app).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            UPDATE,
            json!({ "i": { "id": mellerud, "title": "  " } }),
            "title",
        ),
        (
            UPDATE,
            json!({ "i": { "id": mellerud, "title": "två\nrader" } }),
            "title",
        ),
        (
            UPDATE,
            json!({ "i": { "id": mellerud, "validTo": "2019-01-01" } }),
            "validTo",
        ),
        (
            UPDATE,
            json!({ "i": { "id": mellerud, "validTo": "2031-01-01" } }),
            "validTo",
        ),
        (
            UPDATE,
            json!({ "i": { "id": mellerud, "municipalities": [] } }),
            "municipalities",
        ),
        (
            UPDATE,
            json!({ "i": { "id": mellerud, "municipalities": ["9999"] } }),
            "municipalities",
        ),
        (
            UPDATE,
            json!({ "i": { "id": mellerud, "policeArea": "atlantis" } }),
            "policeArea",
        ),
        (
            UPDATE,
            json!({ "i": { "id": "not-an-id", "title": "x" } }),
            "id",
        ),
        (
            UPDATE,
            json!({ "i": { "id": almhult_area, "title": "x" } }),
            "id",
        ),
        (
            "mutation($i: CreatePromiseInput!) { createPromise(input: $i) { promise { id } } }",
            json!({ "i": { "key": "Inte En Nyckel", "title": "x", "municipalities": ["1461"], "validFrom": "2027-01-01", "validTo": "2027-12-31", "summary": "x" } }),
            "key",
        ),
        (
            "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { commitment { id } } }",
            json!({ "i": { "promiseId": mellerud, "text": "Trafikinsatser", "responsible": "POLICE", "target": { "quantity": 0, "unit": "insatser", "period": "YEAR" } } }),
            "target.quantity",
        ),
        (
            "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { commitment { id } } }",
            json!({ "i": { "promiseId": mellerud, "focusAreaId": almhult_area, "text": "Fel område", "responsible": "JOINT" } }),
            "focusAreaId",
        ),
        (
            "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }",
            json!({ "i": { "key": "ny-kontakt", "name": "Ny", "role": "kommunpolis", "organisationKind": "POLICE", "organisation": "Polisen", "email": "inte en adress", "municipalities": ["1461"] } }),
            "email",
        ),
        (
            "mutation($i: ReorderInput!) { reorderFocusAreas(input: $i) { promise { id } } }",
            json!({ "i": { "promiseId": mellerud, "ids": [] } }),
            "ids",
        ),
    ];
    for (query, variables, field) in cases {
        let body = app.graphql_as(&admin, query, variables.clone()).await;
        assert_eq!(
            error_codes(&body),
            ["BAD_USER_INPUT"],
            "{variables}: {body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{variables}: {body}"
        );
    }
    // Unknown enum values and missing fields are refused by the schema, with a code.
    let body = app
        .graphql_as(
            &admin,
            "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { commitment { id } } }",
            json!({ "i": { "promiseId": mellerud, "text": "x", "responsible": "EVERYONE" } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(audit_count(&app).await, before);
    assert_eq!(promise(&app, "mellerud-2023-2024").await.1, title);
}

#[tokio::test]
async fn parts_of_a_promise_are_edited_ordered_and_audited() {
    let app = spawn_app_with(quiet).await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let (id, _) = promise(&app, "mellerud-2023-2024").await;
    let areas_q = "query($id: ID!) { promise(id: $id) { progress focusAreas { id title position commitments { id text target { quantity unit period } achievedQuantity progress followUps { nodes { text achievedQuantity } } } } signatories { id name title } } }";
    let before = app.query(areas_q, json!({ "id": id })).await;
    let old_areas: Vec<String> = before["promise"]["focusAreas"]
        .as_array()
        .expect("areas")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_owned())
        .collect();

    // A new focus area with a commitment that has a target, and a follow-up on it.
    let fa = app
        .query_as(
            &editor,
            "mutation($i: CreateFocusAreaInput!) { createFocusArea(input: $i) { focusArea { id title position } } }",
            json!({ "i": { "promiseId": id, "title": "Trygghet i centrum", "description": "Kvällsvandringar." } }),
        )
        .await["createFocusArea"]["focusArea"]
        .clone();
    assert_eq!(fa["position"], old_areas.len());
    let fa_id = fa["id"].as_str().expect("id").to_owned();
    let commitment = app
        .query_as(
            &editor,
            "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { commitment { id target { quantity unit period } } } }",
            json!({ "i": { "promiseId": id, "focusAreaId": fa_id, "text": "Riktade trafikinsatser", "responsible": "POLICE", "target": { "quantity": 4, "unit": "insatser", "period": "YEAR" } } }),
        )
        .await["createCommitment"]["commitment"]
        .clone();
    assert_eq!(
        commitment["target"],
        json!({ "quantity": 4, "unit": "insatser", "period": "YEAR" })
    );
    let c_id = commitment["id"].as_str().expect("id").to_owned();
    let follow_up = app
        .query_as(
            &editor,
            "mutation($i: CreateFollowUpInput!) { createFollowUp(input: $i) { followUp { id achievedQuantity } } }",
            json!({ "i": { "commitmentId": c_id, "date": "2026-03-01", "text": "Två insatser vid skolan.", "achievedQuantity": 2 } }),
        )
        .await["createFollowUp"]["followUp"]
        .clone();
    let f_id = follow_up["id"].as_str().expect("id").to_owned();
    app.query_as(
        &editor,
        "mutation($i: UpdateFollowUpInput!) { updateFollowUp(input: $i) { followUp { id } } }",
        json!({ "i": { "id": f_id, "achievedQuantity": 3 } }),
    )
    .await;
    app.query_as(
        &editor,
        "mutation($i: UpdateCommitmentInput!) { updateCommitment(input: $i) { commitment { id } } }",
        json!({ "i": { "id": c_id, "status": "IN_PROGRESS", "text": "Riktade trafikinsatser vid skolorna" } }),
    )
    .await;
    app.query_as(
        &editor,
        "mutation($i: UpdateFocusAreaInput!) { updateFocusArea(input: $i) { focusArea { id } } }",
        json!({ "i": { "id": fa_id, "description": null } }),
    )
    .await;

    // Signatories: add two, rename one, reorder, delete one.
    let add =
        "mutation($i: CreateSignatoryInput!) { createSignatory(input: $i) { signatory { id } } }";
    let s1 = app
        .query_as(&editor, add, json!({ "i": { "promiseId": id, "name": "Anna Andersson", "title": "Kommunstyrelsens ordförande", "organisation": "Melleruds kommun" } }))
        .await["createSignatory"]["signatory"]["id"]
        .clone();
    let s2 = app
        .query_as(&editor, add, json!({ "i": { "promiseId": id, "name": "Bo Berg", "title": "Lokalpolisområdeschef", "organisation": "Polisen" } }))
        .await["createSignatory"]["signatory"]["id"]
        .clone();
    app.query_as(
        &editor,
        "mutation($i: UpdateSignatoryInput!) { updateSignatory(input: $i) { signatory { id } } }",
        json!({ "i": { "id": s2, "name": "Bo Bergström", "title": "Lokalpolisområdeschef Dalsland" } }),
    )
    .await;

    // New order of focus areas: the new one first.
    let mut order = vec![fa_id.clone()];
    order.extend(old_areas.iter().cloned());
    app.query_as(
        &editor,
        "mutation($i: ReorderInput!) { reorderFocusAreas(input: $i) { promise { id } } }",
        json!({ "i": { "promiseId": id, "ids": order } }),
    )
    .await;
    let signatories: Vec<Value> =
        app.query(areas_q, json!({ "id": id })).await["promise"]["signatories"]
            .as_array()
            .expect("signatories")
            .clone();
    let tail: Vec<Value> = signatories
        .iter()
        .rev()
        .take(2)
        .rev()
        .map(|s| s["id"].clone())
        .collect();
    let mut new_order: Vec<Value> = signatories
        .iter()
        .map(|s| s["id"].clone())
        .filter(|s| !tail.contains(s))
        .collect();
    new_order.push(s2.clone());
    new_order.push(s1.clone());
    // Before the reorder the two new ones end the list as created; after it, swapped.
    assert_eq!(tail, [s1.clone(), s2.clone()], "created last, in order");
    app.query_as(
        &editor,
        "mutation($i: ReorderInput!) { reorderSignatories(input: $i) { promise { id } } }",
        json!({ "i": { "promiseId": id, "ids": new_order } }),
    )
    .await;
    let reordered: Vec<Value> =
        app.query(areas_q, json!({ "id": id })).await["promise"]["signatories"]
            .as_array()
            .expect("signatories")
            .clone();
    let ids: Vec<Value> = reordered.iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, new_order, "the public order is the new order");
    // The rename is read back, name and title.
    let bo = reordered
        .iter()
        .find(|s| s["id"] == s2)
        .expect("renamed signatory");
    assert_eq!(bo["name"], "Bo Bergström");
    assert_eq!(bo["title"], "Lokalpolisområdeschef Dalsland");
    app.query_as(
        &editor,
        "mutation($id: ID!) { deleteSignatory(input: {id: $id}) { deletedId } }",
        json!({ "id": s1 }),
    )
    .await;

    // The public API shows it all.
    let after = app.query(areas_q, json!({ "id": id })).await;
    let first = &after["promise"]["focusAreas"][0];
    assert_eq!(first["id"], fa_id.as_str());
    assert_eq!(first["title"], "Trygghet i centrum");
    assert_eq!(
        first["commitments"][0]["text"],
        "Riktade trafikinsatser vid skolorna"
    );
    assert_eq!(first["commitments"][0]["achievedQuantity"], 3);
    // 4 a year over the promise's two years is 8 in all; 3 are done.
    assert_eq!(first["commitments"][0]["progress"], 0.375);
    assert_eq!(
        first["commitments"][0]["followUps"]["nodes"][0]["text"],
        "Två insatser vid skolan."
    );
    let names: Vec<&str> = after["promise"]["signatories"]
        .as_array()
        .expect("signatories")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    let ids: Vec<Value> = after["promise"]["signatories"]
        .as_array()
        .expect("signatories")
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    let expected: Vec<Value> = new_order.iter().filter(|s| **s != s1).cloned().collect();
    assert_eq!(ids, expected, "the deleted one is gone, the order kept");
    assert_eq!(names.last(), Some(&"Bo Bergström"));
    assert!(!names.contains(&"Anna Andersson"));

    // Deleting the follow-up, the commitment and the focus area.
    for (mutation, id) in [
        ("deleteFollowUp", &f_id),
        ("deleteCommitment", &c_id),
        ("deleteFocusArea", &fa_id),
    ] {
        app.query_as(
            &editor,
            &format!("mutation($id: ID!) {{ {mutation}(input: {{id: $id}}) {{ deletedId }} }}"),
            json!({ "id": id }),
        )
        .await;
    }
    let last = app.query(areas_q, json!({ "id": id })).await;
    assert_eq!(
        last["promise"]["focusAreas"].as_array().map(Vec::len),
        Some(old_areas.len())
    );

    // One audit entry per change, of every kind.
    let log = app
        .query_as(
            &admin,
            "query($p: ID) { auditLog(filter: {promiseId: $p}, first: 100) { nodes { action entityType before after } } }",
            json!({ "p": id }),
        )
        .await;
    let mut kinds: Vec<String> = log["auditLog"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n["action"].as_str().expect("a"),
                n["entityType"].as_str().expect("t")
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "CREATE commitment",
            "CREATE focus_area",
            "CREATE follow_up",
            "CREATE signatory",
            "CREATE signatory",
            "DELETE commitment",
            "DELETE focus_area",
            "DELETE follow_up",
            "DELETE signatory",
            "REORDER promise",
            "REORDER promise",
            "UPDATE commitment",
            "UPDATE focus_area",
            "UPDATE follow_up",
            "UPDATE signatory",
        ]
    );
    let update = log["auditLog"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["action"] == "UPDATE" && n["entityType"] == "follow_up")
        .expect("entry");
    assert_eq!(update["before"]["achieved_quantity"], 2);
    assert_eq!(update["after"]["achieved_quantity"], 3);
}

#[tokio::test]
async fn contacts_and_routing_rules_send_tips_where_staff_say() {
    let app = spawn_app_with(quiet).await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;

    // A new contact for Mellerud; the email is visible to staff only.
    let contact = app
        .query_as(
            &editor,
            "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id key email municipalities { slug } } } }",
            json!({ "i": { "key": "trafik-mellerud", "name": "Tora Trafik", "role": "Trafikstrateg", "organisationKind": "MUNICIPALITY", "organisation": "Melleruds kommun", "email": "tora.trafik@mellerud.example", "phone": "0530-181 00", "municipalities": ["mellerud"] } }),
        )
        .await["createContact"]["contact"]
        .clone();
    assert_eq!(contact["email"], "tora.trafik@mellerud.example");
    assert_eq!(contact["municipalities"], json!([{ "slug": "mellerud" }]));
    let contact_id = contact["id"].as_str().expect("id").to_owned();
    let public = app
        .graphql(
            "{ municipality(slug: \"mellerud\") { contacts { name email } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_codes(&public),
        ["GRAPHQL_VALIDATION_FAILED"],
        "no public contact has an email field"
    );
    let staff_view = app
        .query_as(
            &editor,
            "{ staffContacts(municipality: \"mellerud\") { key email } }",
            json!({}),
        )
        .await;
    assert!(
        staff_view["staffContacts"]
            .as_array()
            .expect("contacts")
            .iter()
            .any(|c| c["key"] == "trafik-mellerud")
    );

    // Route Mellerud's traffic focus area to her.
    let (mellerud, _) = promise(&app, "mellerud-2023-2024").await;
    let areas = app
        .query(
            "query($id: ID!) { promise(id: $id) { focusAreas { id title } } }",
            json!({ "id": mellerud }),
        )
        .await;
    let traffic = areas["promise"]["focusAreas"]
        .as_array()
        .expect("areas")
        .iter()
        .find(|a| a["title"] == "Trafiksäkerhet")
        .expect("traffic area")["id"]
        .clone();
    let create_rule = "mutation($i: CreateRoutingRuleInput!) { createRoutingRule(input: $i) { routingRule { id contact { key } focusArea { title } } } }";
    let rule = app
        .query_as(
            &editor,
            create_rule,
            json!({ "i": { "municipality": "mellerud", "focusAreaId": traffic, "contactId": contact_id } }),
        )
        .await["createRoutingRule"]["routingRule"]
        .clone();
    assert_eq!(rule["contact"]["key"], "trafik-mellerud");
    // The same rule twice, and a rule for someone else's municipality, are refused.
    let twice = app
        .graphql_as(
            &editor,
            create_rule,
            json!({ "i": { "municipality": "mellerud", "focusAreaId": traffic, "contactId": contact_id } }),
        )
        .await;
    assert_eq!(error_codes(&twice), ["BAD_USER_INPUT"]);
    let elsewhere = app
        .graphql_as(
            &editor,
            create_rule,
            json!({ "i": { "municipality": "almhult", "contactId": contact_id } }),
        )
        .await;
    assert_eq!(error_codes(&elsewhere), ["FORBIDDEN"]);

    // A tip about traffic in Mellerud now goes to her.
    let tip = app
        .query(
            "mutation($i: SubmitTipInput!) { submitTip(input: $i) { tip { reference routedTo { name } } } }",
            json!({ "i": { "municipality": "mellerud", "kind": "TIP", "concerns": traffic, "message": "Bilar kör för fort vid skolan varje morgon." } }),
        )
        .await;
    assert_eq!(tip["submitTip"]["tip"]["routedTo"]["name"], "Tora Trafik");

    // She cannot be deleted while a tip is routed to her; the rule can.
    let delete_contact = "mutation($id: ID!) { deleteContact(input: {id: $id}) { deletedId } }";
    let refused = app
        .graphql_as(&editor, delete_contact, json!({ "id": contact_id }))
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    let rules = app
        .query_as(
            &editor,
            "{ routingRules(municipality: \"1461\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(rules["routingRules"].as_array().map(Vec::len), Some(2));
    app.query_as(
        &editor,
        "mutation($id: Int!) { deleteRoutingRule(id: $id) { deletedId } }",
        json!({ "id": rule["id"] }),
    )
    .await;

    // Updating the email is audited with before and after.
    app.query_as(
        &editor,
        "mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { email } } }",
        json!({ "i": { "id": contact_id, "email": "trafik@mellerud.example" } }),
    )
    .await;
    let log = app
        .query_as(
            &admin,
            "{ auditLog(first: 100) { nodes { action entityType before after } } }",
            json!({}),
        )
        .await;
    let nodes = log["auditLog"]["nodes"].as_array().expect("nodes");
    let kinds: Vec<String> = nodes
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n["action"].as_str().expect("a"),
                n["entityType"].as_str().expect("t")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "UPDATE contact",
            "DELETE routing_rule",
            "CREATE routing_rule",
            "CREATE contact"
        ]
    );
    assert_eq!(nodes[0]["before"]["email"], "tora.trafik@mellerud.example");
    assert_eq!(nodes[0]["after"]["email"], "trafik@mellerud.example");

    // Editors cannot touch another municipality's contacts.
    let staffan = app
        .query_as(
            &admin,
            "{ staffContacts(municipality: \"almhult\") { id key } }",
            json!({}),
        )
        .await["staffContacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .find(|c| c["key"] == "staffan-kall")
        .expect("staffan")["id"]
        .clone();
    let hijack = app
        .graphql_as(
            &editor,
            "mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { email } } }",
            json!({ "i": { "id": staffan, "email": "evil@example.com" } }),
        )
        .await;
    assert_eq!(error_codes(&hijack), ["FORBIDDEN"]);
}

#[tokio::test]
async fn the_seed_import_keeps_staff_edits_unless_forced() {
    let app = spawn_app_with(quiet).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let (mellerud, seeded_title) = promise(&app, "mellerud-2023-2024").await;
    let (asele, _) = promise(&app, "asele-2017").await;
    app.query_as(
        &admin,
        UPDATE,
        json!({ "i": { "id": mellerud, "title": "Redigerat av personal" } }),
    )
    .await;
    app.query_as(
        &admin,
        "mutation($id: ID!) { deletePromise(input: {id: $id}) { deletedId } }",
        json!({ "id": asele }),
    )
    .await;

    // A plain re-run changes nothing staff did.
    let file = seed::load_embedded().expect("seed");
    let report = seed::import(&app.db, &file).await.expect("import");
    assert!(report.is_unchanged(), "{report}");
    assert_eq!(report.kept, 2, "{report}");
    assert_eq!(
        promise(&app, "mellerud-2023-2024").await.1,
        "Redigerat av personal"
    );
    let keys = app
        .query("{ promises(first: 100) { nodes { key } } }", json!({}))
        .await;
    assert!(!keys.to_string().contains("asele-2017"));

    // A restart on the same database keeps the edit too.
    let config = server::config::Config {
        database_url: app.database_url.clone(),
        listen_addr: "127.0.0.1:0".parse().expect("addr"),
        delivery_worker: false,
        ..Default::default()
    };
    let restarted = server::app::Application::build(&config)
        .await
        .expect("restarts");
    drop(restarted);
    assert_eq!(
        promise(&app, "mellerud-2023-2024").await.1,
        "Redigerat av personal"
    );

    // --force: the file wins, and the deleted promise comes back.
    let args = <server::cli::Args as clap::Parser>::try_parse_from(["server", "seed", "--force"])
        .expect("parses");
    let mut out = Vec::new();
    server::cli::run_with_output(args.command.expect("command"), config, &mut out)
        .await
        .expect("forced import");
    assert!(String::from_utf8_lossy(&out).contains("seed imported"));
    // The import ran outside this server, like another replica: its cached answers are
    // replaced within a catalogue poll (500 ms by default).
    app.query_eventually(PROMISES, json!({}), |d| {
        d.to_string().contains(&seeded_title)
    })
    .await;
    assert_eq!(promise(&app, "mellerud-2023-2024").await.1, seeded_title);
    promise(&app, "asele-2017").await;
    let again = seed::import(&app.db, &file).await.expect("import");
    assert!(again.is_unchanged() && again.kept == 0, "{again}");
}

/// The issue's "done when": CLI token → editor edit → recipient triage → resident status
/// → retention.
#[tokio::test]
async fn editor_recipient_resident_and_retention_end_to_end() {
    use chrono::{Duration, Utc};
    use server::service::privacy;
    let app = spawn_app_with(quiet).await;
    let config = server::config::Config {
        database_url: app.database_url.clone(),
        ..Default::default()
    };
    let cli_token = |args: &[&str]| {
        let mut argv = vec!["server", "token", "create"];
        argv.extend_from_slice(args);
        <server::cli::Args as clap::Parser>::try_parse_from(argv)
            .expect("parses")
            .command
            .expect("command")
    };
    let mut out = Vec::new();
    server::cli::run_with_output(
        cli_token(&[
            "--role",
            "editor",
            "--municipality",
            "mellerud",
            "--name",
            "Redaktör Mellerud",
        ]),
        config.clone(),
        &mut out,
    )
    .await
    .expect("editor token");
    server::cli::run_with_output(
        cli_token(&[
            "--role",
            "recipient",
            "--municipality",
            "mellerud",
            "--contact",
            "erika-gustavsson",
            "--name",
            "Erika",
        ]),
        config,
        &mut out,
    )
    .await
    .expect("recipient token");
    let printed = String::from_utf8(out).expect("utf-8");
    let secrets: Vec<&str> = printed.lines().filter(|l| l.starts_with("mlt_")).collect();
    let [editor, recipient] = secrets[..] else {
        panic!("two secrets printed: {printed}");
    };

    // The editor updates Mellerud's promise; the public API shows it.
    let (mellerud, _) = promise(&app, "mellerud-2023-2024").await;
    app.query_as(
        editor,
        UPDATE,
        json!({ "i": { "id": mellerud, "summary": "Uppdaterad sammanfattning för 2026." } }),
    )
    .await;
    let public = app
        .query(
            "query($id: ID!) { promise(id: $id) { summary } }",
            json!({ "id": mellerud }),
        )
        .await;
    assert_eq!(
        public["promise"]["summary"],
        "Uppdaterad sammanfattning för 2026."
    );

    // Two residents write: one to Mellerud (Erika's), one to Älmhult (not hers).
    let submit =
        "mutation($i: SubmitTipInput!) { submitTip(input: $i) { statusToken tip { reference } } }";
    let mine = app
        .query(submit, json!({ "i": { "municipality": "mellerud", "kind": "TIP", "message": "Det är mörkt vid busshållplatsen.", "name": "Rut Resident", "email": "rut@example.com" } }))
        .await;
    app.query(submit, json!({ "i": { "municipality": "almhult", "kind": "IDEA", "message": "Fler vuxna ute på kvällarna." } }))
        .await;
    // Four more Mellerud tips, so the statistics have a group large enough to show.
    for i in 0..4 {
        app.query(submit, json!({ "i": { "municipality": "mellerud", "kind": "TIP", "message": format!("Ännu ett tips om belysning, nummer {i}.") } }))
            .await;
    }
    let reference = mine["submitTip"]["tip"]["reference"].as_str().expect("ref");
    let status_token = mine["submitTip"]["statusToken"].as_str().expect("token");

    // The recipient sees only her tip and moves it to HANDLED.
    let inbox = app
        .query_as(
            recipient,
            "{ tips { totalCount nodes { reference } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        inbox["tips"]["totalCount"], 5,
        "Mellerud's five, not Älmhult's"
    );
    assert!(inbox.to_string().contains(reference));
    let triage = "mutation($r: String!, $s: TipStatus!) { updateTipStatus(input: {reference: $r, status: $s}) { tip { status } } }";
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let almhult_inbox = app
        .query_as(
            &admin,
            "{ tips(filter: {municipality: \"almhult\"}) { nodes { reference } } }",
            json!({}),
        )
        .await;
    let almhult_ref = almhult_inbox["tips"]["nodes"][0]["reference"].clone();
    let not_hers = app
        .graphql_as(
            recipient,
            triage,
            json!({ "r": almhult_ref, "s": "IN_PROGRESS" }),
        )
        .await;
    assert_eq!(error_codes(&not_hers), ["NOT_FOUND"]);
    app.query_as(
        recipient,
        triage,
        json!({ "r": reference, "s": "IN_PROGRESS" }),
    )
    .await;
    app.query_as(recipient, triage, json!({ "r": reference, "s": "HANDLED" }))
        .await;

    // The resident's lookup shows it, without content.
    let status = app
        .query(
            "query($r: String!, $t: String!) { tipStatus(reference: $r, statusToken: $t) { status handledAt } }",
            json!({ "r": reference, "t": status_token }),
        )
        .await;
    assert_eq!(status["tipStatus"]["status"], "HANDLED");
    assert!(status["tipStatus"]["handledAt"].is_string());

    // After the retention period the personal data is gone; the record stays.
    let retention = privacy::Retention {
        after_handled: std::time::Duration::from_secs(180 * 86_400),
        max_age: std::time::Duration::from_secs(365 * 86_400),
    };
    let erased = privacy::erase_expired(&app.db, retention, Utc::now() + Duration::days(181))
        .await
        .expect("job");
    assert_eq!(erased, 1);
    let row = entity::tip::Entity::find()
        .all(&app.db)
        .await
        .expect("tips")
        .into_iter()
        .find(|t| t.reference == reference)
        .expect("the anonymous record stays");
    assert!(row.message.is_empty() && row.name.is_none() && row.email.is_none());
    assert_eq!(row.status, entity::TipStatus::Handled);
    let today = Utc::now().date_naive().to_string();
    let stats = app
        .query(
            "query($f: Date!, $t: Date!) { tipStatistics(municipality: \"mellerud\", from: $f, to: $t) { totalCount shareHandled } }",
            json!({ "f": today, "t": today }),
        )
        .await;
    assert_eq!(stats["tipStatistics"]["totalCount"], 5);
    // One handled tip of five: the share would single it out (issue 10, item 11).
    assert_eq!(stats["tipStatistics"]["shareHandled"], Value::Null);
}

#[tokio::test]
async fn text_limits_travel_as_parameters_for_clients_to_word() {
    let app = spawn_app_with(quiet).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let (mellerud, _) = promise(&app, "mellerud-2023-2024").await;
    for (variables, field, max) in [
        (
            json!({ "i": { "id": mellerud, "title": "x".repeat(301) } }),
            "title",
            300,
        ),
        (
            json!({ "i": { "id": mellerud, "title": "  " } }),
            "title",
            300,
        ),
        (
            json!({ "i": { "id": mellerud, "summary": "y".repeat(20_001) } }),
            "summary",
            20_000,
        ),
    ] {
        let body = app.graphql_as(&admin, UPDATE, variables).await;
        let ext = &body["errors"][0]["extensions"];
        assert_eq!(ext["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(ext["field"], field, "{body}");
        assert_eq!(
            (ext["min"].clone(), ext["max"].clone()),
            (json!(1), json!(max)),
            "{body}"
        );
    }
}
