//! Staff tokens, the tip inbox with scopes, triage transitions and the resident's status.

use e2e::{TestApp, error_codes, spawn_app_with, tips};
use entity::StaffRole;
use serde_json::{Value, json};
use server::service::staff;

async fn token(
    app: &TestApp,
    role: StaffRole,
    municipalities: &[&str],
    contact: Option<&str>,
) -> String {
    app.staff_token(role, municipalities, contact).await
}

async fn submit(app: &TestApp, input: Value) -> (String, String) {
    let body = tips::submit(app, input).await;
    (tips::reference(&body), tips::status_token(&body))
}

const INBOX: &str = "{ tips { totalCount nodes { reference status message routedTo } } }";

#[tokio::test]
async fn roles_and_scopes_for_the_tip_inbox() {
    let app = spawn_app_with(|c| c.delivery_worker = false).await;
    let glenn = app
        .query(
            "{ municipality(slug: \"mellerud\") { contacts { id name } } }",
            json!({}),
        )
        .await["municipality"]["contacts"][1]["id"]
        .clone();
    let (to_erika, _) = submit(&app, json!({ "municipality": "mellerud", "kind": "TIP", "message": "Till kommunpolisen i Mellerud." })).await;
    let (to_glenn, _) = submit(&app, json!({ "municipality": "mellerud", "kind": "IDEA", "message": "Till folkhälsostrategen i Mellerud.", "recipient": glenn })).await;
    let (_, _) = submit(&app, json!({ "municipality": "almhult", "kind": "OPINION", "message": "En synpunkt till Älmhult." })).await;

    // No token, a wrong token.
    assert_eq!(
        error_codes(&app.graphql(INBOX, json!({})).await),
        ["UNAUTHENTICATED"]
    );
    assert_eq!(
        error_codes(&app.graphql_as("mlt_nonsense", INBOX, json!({})).await),
        ["UNAUTHENTICATED"]
    );
    // Public fields still work with a wrong token.
    let body = app
        .graphql_as(
            "mlt_nonsense",
            "{ municipalities { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["municipalities"]["totalCount"], 6);

    let admin = token(&app, StaffRole::Admin, &[], None).await;
    let body = app.graphql_as(&admin, INBOX, json!({})).await;
    assert_eq!(body["data"]["tips"]["totalCount"], 3, "{body}");

    let editor = token(&app, StaffRole::Editor, &["mellerud"], None).await;
    assert_eq!(
        error_codes(&app.graphql_as(&editor, INBOX, json!({})).await),
        ["FORBIDDEN"]
    );

    let erika = token(
        &app,
        StaffRole::Recipient,
        &["mellerud"],
        Some("erika-gustavsson"),
    )
    .await;
    let body = app.graphql_as(&erika, INBOX, json!({})).await;
    assert_eq!(body["data"]["tips"]["totalCount"], 1, "{body}");
    assert_eq!(
        body["data"]["tips"]["nodes"][0]["reference"],
        to_erika.as_str()
    );
    assert_eq!(
        body["data"]["tips"]["nodes"][0]["message"],
        "Till kommunpolisen i Mellerud."
    );
    // Someone else's tip looks like one that does not exist.
    let q = "query($r: String!) { tip(reference: $r) { reference } }";
    assert_eq!(
        error_codes(&app.graphql_as(&erika, q, json!({ "r": to_glenn })).await),
        ["NOT_FOUND"]
    );
    assert_eq!(
        error_codes(
            &app.graphql_as(&erika, q, json!({ "r": "MEL-0000-00" }))
                .await
        ),
        ["NOT_FOUND"]
    );

    // A municipality-wide recipient token sees Mellerud's tips, not Älmhult's.
    let mellerud = token(&app, StaffRole::Recipient, &["1461"], None).await;
    let body = app
        .graphql_as(
            &mellerud,
            "{ tips(filter: {kind: IDEA}) { totalCount } all: tips { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (
            body["data"]["tips"]["totalCount"].as_u64(),
            body["data"]["all"]["totalCount"].as_u64()
        ),
        (Some(1), Some(2)),
        "{body}"
    );

    // Revoked tokens stop working.
    let id = staff::list_tokens(&app.db)
        .await
        .expect("tokens")
        .last()
        .map(|(t, _)| t.id)
        .expect("a token");
    assert!(staff::revoke_token(&app.db, id).await.expect("revoke"));
    assert_eq!(
        error_codes(&app.graphql_as(&mellerud, INBOX, json!({})).await),
        ["UNAUTHENTICATED"]
    );
}

#[tokio::test]
async fn triage_transitions_history_and_the_residents_status() {
    let app = spawn_app_with(|c| c.delivery_worker = false).await;
    let (reference, status_token) = submit(&app, json!({ "municipality": "mellerud", "kind": "TIP", "message": "Mopeder kör på gångbanan vid torget." })).await;
    let recipient = token(
        &app,
        StaffRole::Recipient,
        &["mellerud"],
        Some("erika-gustavsson"),
    )
    .await;
    let update = "mutation($i: UpdateTipStatusInput!) { updateTipStatus(input: $i) { tip { status handledAt } } }";
    let status_q = "query($r: String!, $t: String!) { tipStatus(reference: $r, statusToken: $t) { status handledAt } }";

    let before = app
        .query(status_q, json!({ "r": reference, "t": status_token }))
        .await;
    assert_eq!(
        before["tipStatus"],
        json!({ "status": "NEW", "handledAt": null })
    );

    let body = app.graphql_as(&recipient, update, json!({ "i": { "reference": reference, "status": "IN_PROGRESS", "note": "Kollar med trafikgruppen." } })).await;
    assert_eq!(
        body["data"]["updateTipStatus"]["tip"]["status"], "IN_PROGRESS",
        "{body}"
    );
    // Back to NEW is not a valid move; nothing changes.
    let body = app
        .graphql_as(
            &recipient,
            update,
            json!({ "i": { "reference": reference, "status": "NEW" } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "status");
    // The moves that are allowed from here, for apps that write their own text.
    assert_eq!(
        body["errors"][0]["extensions"]["allowed"],
        json!(["HANDLED", "NOT_RELEVANT"]),
        "{body}"
    );
    let body = app.graphql_as(&recipient, update, json!({ "i": { "reference": reference, "status": "HANDLED", "note": "Fler kontroller inplanerade." } })).await;
    assert_eq!(
        body["data"]["updateTipStatus"]["tip"]["status"], "HANDLED",
        "{body}"
    );
    assert!(body["data"]["updateTipStatus"]["tip"]["handledAt"].is_string());
    let body = app
        .graphql_as(
            &recipient,
            update,
            json!({ "i": { "reference": reference, "status": "HANDLED" } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);

    let history = app.graphql_as(&recipient,
        "query($r: String!) { tip(reference: $r) { history { actor fromStatus toStatus note } } }",
        json!({ "r": reference }),
    )
    .await;
    assert_eq!(
        history["data"]["tip"]["history"],
        json!([
            { "actor": "resident", "fromStatus": null, "toStatus": "NEW", "note": null },
            { "actor": "Test", "fromStatus": "NEW", "toStatus": "IN_PROGRESS", "note": "Kollar med trafikgruppen." },
            { "actor": "Test", "fromStatus": "IN_PROGRESS", "toStatus": "HANDLED", "note": "Fler kontroller inplanerade." },
        ])
    );

    // The resident sees the status and when, never the content.
    let after = app
        .query(status_q, json!({ "r": reference, "t": status_token }))
        .await;
    assert_eq!(after["tipStatus"]["status"], "HANDLED");
    assert!(after["tipStatus"]["handledAt"].is_string());
    let wrong = app
        .graphql(status_q, json!({ "r": reference, "t": "not-the-token" }))
        .await;
    assert_eq!(error_codes(&wrong), ["NOT_FOUND"]);
    // The triage mutation needs a token.
    let anonymous = app
        .graphql(
            update,
            json!({ "i": { "reference": reference, "status": "IN_PROGRESS" } }),
        )
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn the_token_command_line() {
    use clap::Parser;
    let args = server::cli::Args::try_parse_from([
        "server",
        "token",
        "create",
        "--role",
        "editor",
        "--municipality",
        "mellerud",
        "--name",
        "Redaktör",
    ])
    .expect("parses");
    assert!(matches!(
        args.command,
        Some(server::cli::Command::Token(
            server::cli::TokenCommand::Create { .. }
        ))
    ));
    assert!(
        server::cli::Args::try_parse_from([
            "server", "token", "create", "--role", "king", "--name", "x"
        ])
        .is_err()
    );
    let app = spawn_app_with(|c| c.delivery_worker = false).await;
    let config = server::config::Config {
        database_url: app.database_url.clone(),
        ..Default::default()
    };
    server::cli::run(args.command.expect("command"), config.clone())
        .await
        .expect("created");
    let tokens = staff::list_tokens(&app.db).await.expect("list");
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].1, ["mellerud"]);
    assert_ne!(tokens[0].0.token_hash.len(), 0);
    let revoke =
        server::cli::Command::Token(server::cli::TokenCommand::Revoke { id: tokens[0].0.id });
    server::cli::run(revoke, config.clone())
        .await
        .expect("revoked");
    let again =
        server::cli::Command::Token(server::cli::TokenCommand::Revoke { id: tokens[0].0.id });
    assert!(
        server::cli::run(again, config).await.is_err(),
        "revoking twice is an error"
    );
}

#[tokio::test]
async fn admins_manage_tokens_through_graphql() {
    let app = spawn_app_with(|c| c.delivery_worker = false).await;
    let admin = token(&app, StaffRole::Admin, &[], None).await;
    let editor = token(&app, StaffRole::Editor, &["mellerud"], None).await;
    let create = "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret token { id name role municipalities revokedAt } } }";
    let input = json!({ "i": { "name": "Glenn Nordling", "role": "RECIPIENT", "municipalities": ["1461"], "contactKey": "glenn-nordling" } });
    assert_eq!(
        error_codes(&app.graphql_as(&editor, create, input.clone()).await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&app.graphql(create, input.clone()).await),
        ["UNAUTHENTICATED"]
    );
    let body = app.graphql_as(&admin, create, input).await;
    let created = &body["data"]["createApiToken"];
    assert_eq!(
        created["token"]["municipalities"],
        json!(["mellerud"]),
        "{body}"
    );
    assert_eq!(created["token"]["role"], "RECIPIENT");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("mlt_") && secret.len() > 40);
    // The new token works, and listing never shows secrets.
    let inbox = app.graphql_as(&secret, INBOX, json!({})).await;
    assert_eq!(inbox["data"]["tips"]["totalCount"], 0, "{inbox}");
    let list = app
        .graphql_as(&admin, "{ apiTokens { id name role } }", json!({}))
        .await;
    assert_eq!(list["data"]["apiTokens"].as_array().map(Vec::len), Some(3));
    assert!(!list.to_string().contains(&secret));
    let bad = app
        .graphql_as(
            &admin,
            create,
            json!({ "i": { "name": "x", "role": "EDITOR" } }),
        )
        .await;
    assert_eq!(
        error_codes(&bad),
        ["BAD_USER_INPUT"],
        "editors need a municipality"
    );

    let revoke = "mutation($id: Int!) { revokeApiToken(id: $id) }";
    let id = created["token"]["id"].clone();
    assert_eq!(
        app.graphql_as(&admin, revoke, json!({ "id": id })).await["data"]["revokeApiToken"],
        true
    );
    assert_eq!(
        error_codes(&app.graphql_as(&admin, revoke, json!({ "id": id })).await),
        ["NOT_FOUND"]
    );
    assert_eq!(
        error_codes(&app.graphql_as(&secret, INBOX, json!({})).await),
        ["UNAUTHENTICATED"]
    );
}
