//! Municipality scope (issue 10, items 2 and 3): a scoped admin or editor for Åsele is
//! refused every query and mutation about Mellerud's data, cannot mint a token wider than
//! its own, cannot route tips to (or name) another municipality's contact, and never sees
//! another municipality's private contact emails, tokens, tips or audit entries. Every
//! refusal carries its code and leaves the database as it was (read back by a national
//! admin).

use e2e::{TestApp, error_codes, spawn_app_with, tips::quiet};
use entity::{StaffRole, audit_log, routing_rule};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use server::service::staff;

/// Everything a refused request might have changed, as a national admin reads it.
const STATE: &str = r#"{
  editablePromises(first: 100) { nodes { id key title summary status updatedAt
    municipalities { slug } contacts { id }
    signatories { id name title }
    focusAreas { id title description contact { id }
      commitments { id text status contact { id } followUps(first: 50) { nodes { id text date } } } }
    commitments { id text contact { id } } } }
  staffContacts { id key name email phone municipalities { slug } }
  mellerud: routingRules(municipality: "mellerud") { id contact { id } focusArea { id } }
  asele: routingRules(municipality: "asele") { id contact { id } focusArea { id } }
  apiTokens { id name role municipalities revokedAt }
  municipalities(first: 100) { nodes { slug responseDays } }
}"#;

const TIP: &str = "query($r: String!) { tip(reference: $r) { reference status message email erasedAt routedTo history { note } } }";

async fn state(app: &TestApp, root: &str, tip: &str) -> Value {
    let mut data = app.query_as(root, STATE, json!({})).await;
    data["tip"] = app.query_as(root, TIP, json!({ "r": tip })).await["tip"].clone();
    data["auditEntries"] = json!(
        audit_log::Entity::find()
            .count(&app.db)
            .await
            .expect("count")
    );
    data
}

fn id(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("an id: {v}"))
        .to_owned()
}

async fn promise_id(app: &TestApp, root: &str, key: &str) -> String {
    let data = app
        .query_as(
            root,
            "{ editablePromises(first: 100) { nodes { id key } } }",
            json!({}),
        )
        .await;
    id(&data["editablePromises"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["key"] == key)
        .unwrap_or_else(|| panic!("promise {key}"))["id"])
}

async fn contact_id(app: &TestApp, root: &str, key: &str) -> String {
    let data = app
        .query_as(root, "{ staffContacts { id key } }", json!({}))
        .await;
    id(&data["staffContacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("contact {key}"))["id"])
}

async fn default_rule(app: &TestApp, root: &str, municipality: &str) -> i64 {
    let data = app
        .query_as(
            root,
            "query($m: String!) { routingRules(municipality: $m) { id focusArea { id } } }",
            json!({ "m": municipality }),
        )
        .await;
    data["routingRules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["focusArea"].is_null())
        .expect("a default rule")["id"]
        .as_i64()
        .expect("rule id")
}

async fn submit(app: &TestApp, municipality: &str) -> String {
    let data = app
        .query(
            "mutation($i: SubmitTipInput!) { submitTip(input: $i) { tip { reference } } }",
            json!({ "i": { "municipality": municipality, "kind": "TIP", "message": "Det är mörkt på gångvägen vid skolan.", "email": "boende@example.org" } }),
        )
        .await;
    id(&data["submitTip"]["tip"]["reference"])
}

async fn token_id(app: &TestApp, name: &str) -> i32 {
    staff::list_tokens(&app.db)
        .await
        .expect("tokens")
        .into_iter()
        .find(|(t, _)| t.name == name)
        .unwrap_or_else(|| panic!("token {name}"))
        .0
        .id
}

async fn named_token(
    app: &TestApp,
    name: &str,
    role: StaffRole,
    municipalities: &[&str],
    contact: Option<&str>,
) -> String {
    let municipalities: Vec<String> = municipalities.iter().map(|m| (*m).to_owned()).collect();
    staff::create_token(&app.db, name, role, &municipalities, contact)
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("token")
        .secret
}

/// Fixtures: Mellerud's things (the target) and Åsele's (the attacker's own).
struct World {
    root: String,
    admin: String,
    editor: String,
    tip: String,
    mel_promise: String,
    mel_area: String,
    mel_areas: Vec<String>,
    mel_commitment: String,
    mel_area_commitments: Vec<String>,
    mel_follow_up: String,
    mel_signatory: String,
    mel_signatories: Vec<String>,
    erika: String,
    mel_rule: i64,
    mel_recipient: i32,
    root_id: i32,
    asele_promise: String,
    asele_area: String,
    asele_commitment: String,
    asele_contact: String,
    asele_rule: i64,
}

async fn world(app: &TestApp) -> World {
    let root = named_token(app, "Rikets admin", StaffRole::Admin, &[], None).await;
    let admin = named_token(app, "Åsele IT", StaffRole::Admin, &["asele"], None).await;
    let editor = named_token(app, "Åsele redaktör", StaffRole::Editor, &["2463"], None).await;
    named_token(
        app,
        "Erika",
        StaffRole::Recipient,
        &["mellerud"],
        Some("erika-gustavsson"),
    )
    .await;
    let tip = submit(app, "mellerud").await;
    let mel_promise = promise_id(app, &root, "mellerud-2023-2024").await;
    let asele_promise = promise_id(app, &root, "asele-2017").await;
    let detail = "query($id: ID!) { promise(id: $id) { focusAreas { id commitments { id } } commitments { id } signatories { id } } }";
    let mel = app
        .query_as(&root, detail, json!({ "id": mel_promise }))
        .await["promise"]
        .clone();
    let mel_areas: Vec<String> = mel["focusAreas"]
        .as_array()
        .expect("areas")
        .iter()
        .map(|a| id(&a["id"]))
        .collect();
    let mel_area = mel_areas[0].clone();
    let mel_area_commitments: Vec<String> = mel["focusAreas"][0]["commitments"]
        .as_array()
        .expect("commitments")
        .iter()
        .map(|c| id(&c["id"]))
        .collect();
    let mel_commitment = mel_area_commitments[0].clone();
    let mut mel_signatories = Vec::new();
    for name in ["Anna Andersson", "Bertil Berg"] {
        let s = app
            .query_as(
                &root,
                "mutation($i: CreateSignatoryInput!) { createSignatory(input: $i) { signatory { id } } }",
                json!({ "i": { "promiseId": mel_promise, "name": name, "title": "Ordförande", "organisation": "Melleruds kommun" } }),
            )
            .await;
        mel_signatories.push(id(&s["createSignatory"]["signatory"]["id"]));
    }
    let f = app
        .query_as(
            &root,
            "mutation($i: CreateFollowUpInput!) { createFollowUp(input: $i) { followUp { id } } }",
            json!({ "i": { "commitmentId": mel_commitment, "date": "2024-03-01", "text": "Två insatser genomförda." } }),
        )
        .await;
    let mel_follow_up = id(&f["createFollowUp"]["followUp"]["id"]);
    let a = app
        .query_as(
            &root,
            "mutation($i: CreateFocusAreaInput!) { createFocusArea(input: $i) { focusArea { id } } }",
            json!({ "i": { "promiseId": asele_promise, "title": "Trygghet i centrum" } }),
        )
        .await;
    let asele_area = id(&a["createFocusArea"]["focusArea"]["id"]);
    let asele = app
        .query_as(&root, detail, json!({ "id": asele_promise }))
        .await["promise"]
        .clone();
    let asele_commitment = id(&asele["commitments"][0]["id"]);
    World {
        erika: contact_id(app, &root, "erika-gustavsson").await,
        asele_contact: contact_id(app, &root, "asele-kommun").await,
        mel_rule: default_rule(app, &root, "mellerud").await,
        asele_rule: default_rule(app, &root, "asele").await,
        mel_recipient: token_id(app, "Erika").await,
        root_id: token_id(app, "Rikets admin").await,
        root,
        admin,
        editor,
        tip,
        mel_promise,
        mel_area,
        mel_areas,
        mel_commitment,
        mel_area_commitments,
        mel_follow_up,
        mel_signatory: mel_signatories[0].clone(),
        mel_signatories,
        asele_promise,
        asele_area,
        asele_commitment,
    }
}

fn rev(list: &[String]) -> Vec<String> {
    list.iter().rev().cloned().collect()
}

/// One hostile request: a name, the document, its variables, and the code expected for
/// the scoped admin and for the scoped editor.
struct Attack {
    name: &'static str,
    query: &'static str,
    variables: Value,
    admin: &'static str,
    editor: &'static str,
}

fn attacks(w: &World) -> Vec<Attack> {
    const F: &str = "FORBIDDEN";
    const N: &str = "NOT_FOUND";
    const B: &str = "BAD_USER_INPUT";
    let a = |name, query, variables, admin, editor| Attack {
        name,
        query,
        variables,
        admin,
        editor,
    };
    vec![
        // Queries about Mellerud.
        a(
            "staffContacts(mellerud)",
            "{ staffContacts(municipality: \"mellerud\") { id email } }",
            json!({}),
            F,
            F,
        ),
        a(
            "routingRules(mellerud)",
            "{ routingRules(municipality: \"1461\") { id contact { email } } }",
            json!({}),
            F,
            F,
        ),
        a(
            "tip(mellerud)",
            "query($r: String!) { tip(reference: $r) { message email } }",
            json!({ "r": w.tip }),
            N,
            F,
        ),
        // Tips of Mellerud.
        a(
            "updateTipStatus",
            "mutation($i: UpdateTipStatusInput!) { updateTipStatus(input: $i) { tip { status } } }",
            json!({ "i": { "reference": w.tip, "status": "IN_PROGRESS" } }),
            N,
            F,
        ),
        a(
            "rerouteTip",
            "mutation($i: RerouteTipInput!) { rerouteTip(input: $i) { tip { status } } }",
            json!({ "i": { "reference": w.tip, "contact": w.asele_contact } }),
            N,
            F,
        ),
        a(
            "resendTipDeliveries",
            "mutation($r: String!) { resendTipDeliveries(reference: $r) { tip { status } } }",
            json!({ "r": w.tip }),
            N,
            F,
        ),
        a(
            "eraseTip",
            "mutation($r: String!) { eraseTip(reference: $r) { reference } }",
            json!({ "r": w.tip }),
            N,
            F,
        ),
        // Tokens wider than one's own, and tokens outside one's scope.
        a(
            "createApiToken national admin",
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            json!({ "i": { "name": "Ny riksadmin", "role": "ADMIN" } }),
            F,
            F,
        ),
        a(
            "createApiToken admin for mellerud",
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            json!({ "i": { "name": "X", "role": "ADMIN", "municipalities": ["mellerud"] } }),
            F,
            F,
        ),
        a(
            "createApiToken editor for mellerud",
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            json!({ "i": { "name": "X", "role": "EDITOR", "municipalities": ["1461"] } }),
            F,
            F,
        ),
        a(
            "createApiToken editor for asele and mellerud",
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            json!({ "i": { "name": "X", "role": "EDITOR", "municipalities": ["asele", "mellerud"] } }),
            F,
            F,
        ),
        a(
            "createApiToken recipient with a mellerud contact",
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            json!({ "i": { "name": "X", "role": "RECIPIENT", "municipalities": ["asele"], "contactKey": "erika-gustavsson" } }),
            B,
            F,
        ),
        a(
            "revokeApiToken mellerud recipient",
            "mutation($id: Int!) { revokeApiToken(id: $id) }",
            json!({ "id": w.mel_recipient }),
            N,
            F,
        ),
        a(
            "revokeApiToken national admin",
            "mutation($id: Int!) { revokeApiToken(id: $id) }",
            json!({ "id": w.root_id }),
            N,
            F,
        ),
        // Mellerud's promise and its parts.
        a(
            "createPromise for mellerud",
            "mutation($i: CreatePromiseInput!) { createPromise(input: $i) { promise { id } } }",
            json!({ "i": { "key": "mellerud-2099", "title": "Falskt", "municipalities": ["mellerud"], "validFrom": "2025-01-01", "validTo": "2025-12-31", "summary": "Falskt." } }),
            F,
            F,
        ),
        a(
            "createPromise for asele and mellerud",
            "mutation($i: CreatePromiseInput!) { createPromise(input: $i) { promise { id } } }",
            json!({ "i": { "key": "asele-mellerud", "title": "Falskt", "municipalities": ["asele", "mellerud"], "validFrom": "2025-01-01", "validTo": "2025-12-31", "summary": "Falskt." } }),
            F,
            F,
        ),
        a(
            "updatePromise",
            "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id } } }",
            json!({ "i": { "id": w.mel_promise, "title": "Kapat" } }),
            F,
            F,
        ),
        a(
            "updatePromise moves asele's promise to mellerud",
            "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id } } }",
            json!({ "i": { "id": w.asele_promise, "municipalities": ["asele", "mellerud"] } }),
            F,
            F,
        ),
        a(
            "publishPromise",
            "mutation($i: IdInput!) { publishPromise(input: $i) { promise { id } } }",
            json!({ "i": { "id": w.mel_promise } }),
            F,
            F,
        ),
        a(
            "unpublishPromise",
            "mutation($i: IdInput!) { unpublishPromise(input: $i) { promise { id } } }",
            json!({ "i": { "id": w.mel_promise } }),
            F,
            F,
        ),
        a(
            "deletePromise",
            "mutation($i: IdInput!) { deletePromise(input: $i) { deletedId } }",
            json!({ "i": { "id": w.mel_promise } }),
            F,
            F,
        ),
        a(
            "createFocusArea",
            "mutation($i: CreateFocusAreaInput!) { createFocusArea(input: $i) { focusArea { id } } }",
            json!({ "i": { "promiseId": w.mel_promise, "title": "Kapat" } }),
            F,
            F,
        ),
        a(
            "updateFocusArea",
            "mutation($i: UpdateFocusAreaInput!) { updateFocusArea(input: $i) { focusArea { id } } }",
            json!({ "i": { "id": w.mel_area, "title": "Kapat" } }),
            F,
            F,
        ),
        a(
            "deleteFocusArea",
            "mutation($i: IdInput!) { deleteFocusArea(input: $i) { deletedId } }",
            json!({ "i": { "id": w.mel_area } }),
            F,
            F,
        ),
        a(
            "createCommitment",
            "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { commitment { id } } }",
            json!({ "i": { "promiseId": w.mel_promise, "text": "Kapat", "responsible": "POLICE" } }),
            F,
            F,
        ),
        a(
            "updateCommitment",
            "mutation($i: UpdateCommitmentInput!) { updateCommitment(input: $i) { commitment { id } } }",
            json!({ "i": { "id": w.mel_commitment, "text": "Kapat" } }),
            F,
            F,
        ),
        a(
            "deleteCommitment",
            "mutation($i: IdInput!) { deleteCommitment(input: $i) { deletedId } }",
            json!({ "i": { "id": w.mel_commitment } }),
            F,
            F,
        ),
        a(
            "createFollowUp",
            "mutation($i: CreateFollowUpInput!) { createFollowUp(input: $i) { followUp { id } } }",
            json!({ "i": { "commitmentId": w.mel_commitment, "date": "2024-05-01", "text": "Kapat" } }),
            F,
            F,
        ),
        a(
            "updateFollowUp",
            "mutation($i: UpdateFollowUpInput!) { updateFollowUp(input: $i) { followUp { id } } }",
            json!({ "i": { "id": w.mel_follow_up, "text": "Kapat" } }),
            F,
            F,
        ),
        a(
            "deleteFollowUp",
            "mutation($i: IdInput!) { deleteFollowUp(input: $i) { deletedId } }",
            json!({ "i": { "id": w.mel_follow_up } }),
            F,
            F,
        ),
        a(
            "createSignatory",
            "mutation($i: CreateSignatoryInput!) { createSignatory(input: $i) { signatory { id } } }",
            json!({ "i": { "promiseId": w.mel_promise, "name": "Kapat", "title": "Kapat", "organisation": "Kapat" } }),
            F,
            F,
        ),
        a(
            "updateSignatory",
            "mutation($i: UpdateSignatoryInput!) { updateSignatory(input: $i) { signatory { id } } }",
            json!({ "i": { "id": w.mel_signatory, "name": "Kapat" } }),
            F,
            F,
        ),
        a(
            "deleteSignatory",
            "mutation($i: IdInput!) { deleteSignatory(input: $i) { deletedId } }",
            json!({ "i": { "id": w.mel_signatory } }),
            F,
            F,
        ),
        a(
            "reorderFocusAreas",
            "mutation($i: ReorderInput!) { reorderFocusAreas(input: $i) { promise { id } } }",
            json!({ "i": { "promiseId": w.mel_promise, "ids": rev(&w.mel_areas) } }),
            F,
            F,
        ),
        a(
            "reorderCommitments",
            "mutation($i: ReorderInput!) { reorderCommitments(input: $i) { promise { id } } }",
            json!({ "i": { "promiseId": w.mel_promise, "focusAreaId": w.mel_area, "ids": rev(&w.mel_area_commitments) } }),
            F,
            F,
        ),
        a(
            "reorderSignatories",
            "mutation($i: ReorderInput!) { reorderSignatories(input: $i) { promise { id } } }",
            json!({ "i": { "promiseId": w.mel_promise, "ids": rev(&w.mel_signatories) } }),
            F,
            F,
        ),
        // Mellerud's contacts and routing.
        a(
            "createContact for mellerud",
            "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }",
            json!({ "i": { "key": "falsk-mellerud", "name": "Falsk", "role": "kommunpolis", "organisationKind": "POLICE", "organisation": "Polisen", "email": "falsk@example.org", "municipalities": ["mellerud"] } }),
            F,
            F,
        ),
        a(
            "createContact with no municipality",
            "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }",
            json!({ "i": { "key": "falsk-ingen", "name": "Falsk", "role": "kommunpolis", "organisationKind": "POLICE", "organisation": "Polisen", "email": "falsk@example.org" } }),
            B,
            B,
        ),
        a(
            "updateContact",
            "mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { id } } }",
            json!({ "i": { "id": w.erika, "email": "kapad@example.org" } }),
            F,
            F,
        ),
        a(
            "updateContact moves asele's contact to mellerud",
            "mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { id } } }",
            json!({ "i": { "id": w.asele_contact, "municipalities": ["asele", "mellerud"] } }),
            F,
            F,
        ),
        a(
            "deleteContact",
            "mutation($i: IdInput!) { deleteContact(input: $i) { deletedId } }",
            json!({ "i": { "id": w.erika } }),
            F,
            F,
        ),
        a(
            "createRoutingRule for mellerud",
            "mutation($i: CreateRoutingRuleInput!) { createRoutingRule(input: $i) { routingRule { id } } }",
            json!({ "i": { "municipality": "mellerud", "focusAreaId": w.mel_area, "contactId": w.asele_contact } }),
            F,
            F,
        ),
        a(
            "updateRoutingRule of mellerud",
            "mutation($i: UpdateRoutingRuleInput!) { updateRoutingRule(input: $i) { routingRule { id } } }",
            json!({ "i": { "id": w.mel_rule, "contactId": w.asele_contact } }),
            F,
            F,
        ),
        a(
            "deleteRoutingRule of mellerud",
            "mutation($id: Int!) { deleteRoutingRule(id: $id) { deletedId } }",
            json!({ "id": w.mel_rule }),
            F,
            F,
        ),
        a(
            "setResponseTarget of mellerud",
            "mutation($i: SetResponseTargetInput!) { setResponseTarget(input: $i) { municipality { responseDays } } }",
            json!({ "i": { "municipality": "mellerud", "workingDays": 2 } }),
            F,
            F,
        ),
        // Åsele's own things, given Mellerud's contact (item 3).
        a(
            "createRoutingRule to a mellerud contact",
            "mutation($i: CreateRoutingRuleInput!) { createRoutingRule(input: $i) { routingRule { id contact { email } } } }",
            json!({ "i": { "municipality": "asele", "focusAreaId": w.asele_area, "contactId": w.erika } }),
            B,
            B,
        ),
        a(
            "updateRoutingRule to a mellerud contact",
            "mutation($i: UpdateRoutingRuleInput!) { updateRoutingRule(input: $i) { routingRule { id contact { email } } } }",
            json!({ "i": { "id": w.asele_rule, "contactId": w.erika } }),
            B,
            B,
        ),
        a(
            "createFocusArea with a mellerud contact",
            "mutation($i: CreateFocusAreaInput!) { createFocusArea(input: $i) { focusArea { id } } }",
            json!({ "i": { "promiseId": w.asele_promise, "title": "Ny", "contactId": w.erika } }),
            B,
            B,
        ),
        a(
            "updateFocusArea with a mellerud contact",
            "mutation($i: UpdateFocusAreaInput!) { updateFocusArea(input: $i) { focusArea { id } } }",
            json!({ "i": { "id": w.asele_area, "contactId": w.erika } }),
            B,
            B,
        ),
        a(
            "createCommitment with a mellerud contact",
            "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { commitment { id } } }",
            json!({ "i": { "promiseId": w.asele_promise, "text": "Ny", "responsible": "POLICE", "contactId": w.erika } }),
            B,
            B,
        ),
        a(
            "updateCommitment with a mellerud contact",
            "mutation($i: UpdateCommitmentInput!) { updateCommitment(input: $i) { commitment { id } } }",
            json!({ "i": { "id": w.asele_commitment, "contactId": w.erika } }),
            B,
            B,
        ),
        a(
            "updatePromise with a mellerud contact",
            "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id } } }",
            json!({ "i": { "id": w.asele_promise, "contactIds": [w.asele_contact, w.erika] } }),
            B,
            B,
        ),
        a(
            "createPromise with a mellerud contact",
            "mutation($i: CreatePromiseInput!) { createPromise(input: $i) { promise { id } } }",
            json!({ "i": { "key": "asele-2099", "title": "Ny", "municipalities": ["asele"], "validFrom": "2025-01-01", "validTo": "2025-12-31", "summary": "Ny.", "contactIds": [w.erika] } }),
            B,
            B,
        ),
        // The audit log is the admin's; an editor never reads it.
        a("auditLog", "{ auditLog { totalCount } }", json!({}), "", F),
    ]
}

#[tokio::test]
async fn scoped_admin_and_editor_are_refused_everything_about_another_municipality() {
    let app = spawn_app_with(quiet).await;
    let w = world(&app).await;
    let before = state(&app, &w.root, &w.tip).await;
    let mut failures = Vec::new();
    for attack in attacks(&w) {
        for (who, token, expected) in [
            ("admin", &w.admin, attack.admin),
            ("editor", &w.editor, attack.editor),
        ] {
            if expected.is_empty() {
                continue;
            }
            let body = app
                .graphql_as(token, attack.query, attack.variables.clone())
                .await;
            let codes = error_codes(&body);
            if codes != [expected] {
                failures.push(format!(
                    "{who} {}: expected [{expected}], got {codes:?}: {body}",
                    attack.name
                ));
            }
            let text = body.to_string();
            for secret in ["erika.gustavsson@polisen.example", "boende@example.org"] {
                if text.contains(secret) {
                    failures.push(format!("{who} {} leaked {secret}: {body}", attack.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let after = state(&app, &w.root, &w.tip).await;
    assert_eq!(before, after, "a refused request changed something");
}

#[tokio::test]
async fn scoped_reads_show_only_the_callers_municipality() {
    let app = spawn_app_with(quiet).await;
    let w = world(&app).await;
    let asele_tip = submit(&app, "asele").await;

    // Contacts: only Åsele's, for the admin as for the editor.
    for token in [&w.admin, &w.editor] {
        let data = app
            .query_as(
                token,
                "{ staffContacts { key email municipalities { slug } } }",
                json!({}),
            )
            .await;
        let contacts = data["staffContacts"].as_array().expect("contacts");
        assert!(!contacts.is_empty());
        assert!(
            contacts
                .iter()
                .all(|c| c["municipalities"] == json!([{ "slug": "asele" }])),
            "{data}"
        );
    }

    // Tips: the admin's inbox holds Åsele's tip and not Mellerud's.
    let data = app
        .query_as(
            &w.admin,
            "{ tips { totalCount nodes { reference } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["tips"]["totalCount"], 1, "{data}");
    assert_eq!(data["tips"]["nodes"][0]["reference"], asele_tip.as_str());
    let data = app
        .query_as(
            &w.admin,
            "{ tips(filter: { municipality: \"mellerud\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["tips"]["totalCount"], 0);

    // Tokens: only those limited to Åsele.
    let data = app
        .query_as(&w.admin, "{ apiTokens { name municipalities } }", json!({}))
        .await;
    let mut names: Vec<&str> = data["apiTokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Åsele IT", "Åsele redaktör"], "{data}");

    // The audit log: the national admin's changes in Mellerud (fixtures) are not shown;
    // a change to Åsele's promise is.
    let audit = "{ auditLog(first: 100) { totalCount nodes { entityType promiseId actor } } }";
    let data = app.query_as(&w.admin, audit, json!({})).await;
    let asele_only = |data: &Value| {
        data["auditLog"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .all(|n| n["promiseId"] == w.asele_promise.as_str())
    };
    // The fixtures made a focus area in Åsele (visible) and parts in Mellerud (not).
    assert_eq!(data["auditLog"]["totalCount"], 1, "{data}");
    assert!(asele_only(&data), "{data}");
    let national = app.query_as(&w.root, audit, json!({})).await;
    assert!(
        national["auditLog"]["totalCount"].as_u64().expect("count") >= 4,
        "{national}"
    );
    app.query_as(
        &w.editor,
        "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id } } }",
        json!({ "i": { "id": w.asele_promise, "title": "Medborgarlöfte Åsele, reviderat" } }),
    )
    .await;
    let rule = default_rule(&app, &w.root, "asele").await;
    app.query_as(
        &w.editor,
        "mutation($i: UpdateRoutingRuleInput!) { updateRoutingRule(input: $i) { routingRule { id } } }",
        json!({ "i": { "id": rule, "contactId": w.asele_contact } }),
    )
    .await;
    let data = app.query_as(&w.admin, audit, json!({})).await;
    assert_eq!(data["auditLog"]["totalCount"], 2, "{data}");
    assert!(asele_only(&data), "{data}");
    // A Mellerud contact edit by the national admin stays out of Åsele's log.
    app.query_as(
        &w.root,
        "mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { id } } }",
        json!({ "i": { "id": w.erika, "phone": "010-123 45 67" } }),
    )
    .await;
    let data = app.query_as(&w.admin, audit, json!({})).await;
    assert_eq!(data["auditLog"]["totalCount"], 2, "{data}");
    // An Åsele contact edit is in it.
    app.query_as(
        &w.admin,
        "mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { id } } }",
        json!({ "i": { "id": w.asele_contact, "phone": "0941-140 00" } }),
    )
    .await;
    let data = app.query_as(&w.admin, audit, json!({})).await;
    assert_eq!(data["auditLog"]["totalCount"], 3, "{data}");
}

#[tokio::test]
async fn a_routing_rule_never_shows_another_municipalitys_contact_email() {
    let app = spawn_app_with(quiet).await;
    let w = world(&app).await;
    // An old rule (from before the check) that sends Åsele's tips to Mellerud's contact.
    let erika = contact_id(&app, &w.root, "erika-gustavsson").await;
    let erika_row = server::graphql::ids::decode(&erika, "id")
        .map(|(_, id)| id)
        .expect("contact id");
    routing_rule::Entity::update_many()
        .col_expr(
            routing_rule::Column::ContactId,
            sea_orm::sea_query::Expr::value(erika_row),
        )
        .filter(routing_rule::Column::Id.eq(default_rule(&app, &w.root, "asele").await as i32))
        .exec(&app.db)
        .await
        .expect("legacy rule");
    for token in [&w.admin, &w.editor] {
        let body = app
            .graphql_as(
                token,
                "{ routingRules(municipality: \"asele\") { id contact { key email } } }",
                json!({}),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        assert!(
            !body
                .to_string()
                .contains("erika.gustavsson@polisen.example"),
            "{body}"
        );
        assert_eq!(body["data"]["routingRules"][0]["contact"], Value::Null);
    }
    // The national admin still sees where the rule points.
    let data = app
        .query_as(
            &w.root,
            "{ routingRules(municipality: \"asele\") { contact { key email } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["routingRules"][0]["contact"]["email"],
        "erika.gustavsson@polisen.example"
    );
}

#[tokio::test]
async fn a_scoped_admin_manages_its_own_municipality() {
    let app = spawn_app_with(quiet).await;
    let w = world(&app).await;
    let tip = submit(&app, "asele").await;
    let create = "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret token { id role municipalities } } }";

    // An editor and a recipient for Åsele, and another Åsele admin: allowed.
    let editor = app
        .query_as(
            &w.admin,
            create,
            json!({ "i": { "name": "Ny redaktör", "role": "EDITOR", "municipalities": ["2463"] } }),
        )
        .await;
    assert_eq!(
        editor["createApiToken"]["token"]["municipalities"],
        json!(["asele"])
    );
    let recipient = app
        .query_as(
            &w.admin,
            create,
            json!({ "i": { "name": "Kommunens brevlåda", "role": "RECIPIENT", "municipalities": ["asele"], "contactKey": "asele-kommun" } }),
        )
        .await;
    let recipient_secret = id(&recipient["createApiToken"]["secret"]);
    let data = app
        .query_as(
            &recipient_secret,
            "{ tips { totalCount nodes { reference } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["tips"]["totalCount"], 1, "{data}");
    assert_eq!(data["tips"]["nodes"][0]["reference"], tip.as_str());
    app.query_as(
        &w.admin,
        create,
        json!({ "i": { "name": "Andra IT", "role": "ADMIN", "municipalities": ["asele"] } }),
    )
    .await;

    // It reads, triages and erases its own tips, and revokes its own tokens.
    app.query_as(
        &w.admin,
        "query($r: String!) { tip(reference: $r) { message } }",
        json!({ "r": tip }),
    )
    .await;
    app.query_as(
        &w.admin,
        "mutation($i: UpdateTipStatusInput!) { updateTipStatus(input: $i) { tip { status } } }",
        json!({ "i": { "reference": tip, "status": "IN_PROGRESS" } }),
    )
    .await;
    app.query_as(
        &w.admin,
        "mutation($r: String!) { eraseTip(reference: $r) { reference } }",
        json!({ "r": tip }),
    )
    .await;
    let editor_id = editor["createApiToken"]["token"]["id"].clone();
    let data = app
        .query_as(
            &w.admin,
            "mutation($id: Int!) { revokeApiToken(id: $id) }",
            json!({ "id": editor_id }),
        )
        .await;
    assert_eq!(data["revokeApiToken"], true);

    // The command line (the national operator) may make scoped admins, but a recipient's
    // contact must serve the token's municipalities there too.
    let refused = staff::create_token(
        &app.db,
        "Fel",
        StaffRole::Recipient,
        &["asele".to_owned()],
        Some("erika-gustavsson"),
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(staff::StaffError::Invalid {
                field: "contact",
                ..
            })
        ),
        "{:?}",
        refused.err()
    );
    assert!(
        staff::create_token(&app.db, "IT", StaffRole::Admin, &["asele".to_owned()], None)
            .await
            .is_ok(),
        "a scoped admin from the command line"
    );
}

#[tokio::test]
async fn a_recipient_with_a_shared_contact_reads_only_its_municipalities_tips() {
    let app = spawn_app_with(quiet).await;
    let w = world(&app).await;
    // A contact serving both Mellerud and Åsele, made by the national admin.
    let shared = app
        .query_as(
            &w.root,
            "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }",
            json!({ "i": { "key": "gemensam", "name": "Gemensam Polis", "role": "kommunpolis", "organisationKind": "POLICE", "organisation": "Polisen", "email": "gemensam@polisen.example", "municipalities": ["mellerud", "asele"] } }),
        )
        .await;
    let shared = id(&shared["createContact"]["contact"]["id"]);
    let reroute = "mutation($i: RerouteTipInput!) { rerouteTip(input: $i) { tip { routedTo } } }";
    let asele_tip = submit(&app, "asele").await;
    for reference in [&w.tip, &asele_tip] {
        app.query_as(
            &w.root,
            reroute,
            json!({ "i": { "reference": reference, "contact": shared } }),
        )
        .await;
    }
    let asele_only = named_token(
        &app,
        "Gemensam i Åsele",
        StaffRole::Recipient,
        &["asele"],
        Some("gemensam"),
    )
    .await;
    let inbox = "{ tips { totalCount nodes { reference } } }";
    let data = app.query_as(&asele_only, inbox, json!({})).await;
    assert_eq!(data["tips"]["totalCount"], 1, "{data}");
    assert_eq!(data["tips"]["nodes"][0]["reference"], asele_tip.as_str());
    let body = app
        .graphql_as(
            &asele_only,
            "query($r: String!) { tip(reference: $r) { message } }",
            json!({ "r": w.tip }),
        )
        .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    // The scoped admin may reroute its own tip to the shared contact, not to Mellerud's.
    let body = app
        .graphql_as(
            &w.admin,
            reroute,
            json!({ "i": { "reference": asele_tip, "contact": w.erika } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    app.query_as(
        &w.admin,
        reroute,
        json!({ "i": { "reference": asele_tip, "contact": shared } }),
    )
    .await;
}
