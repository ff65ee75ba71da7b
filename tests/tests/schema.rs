//! The checked-in `schema.graphql` matches the code, and every type and field is described.

use e2e::spawn_app;
use serde_json::{Value, json};

#[test]
fn schema_file_is_in_sync() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let current = server::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &current).expect("schema.graphql written");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == current,
        "schema.graphql is out of date: run `cargo run -p server -- schema > schema.graphql` \
         (or UPDATE_SCHEMA=1 cargo test -p e2e --test schema)"
    );
}

#[tokio::test]
async fn every_type_and_field_has_a_description() {
    let app = spawn_app().await;
    let data = app
        .query(
            "{ __schema { types { name kind description fields { name description args { name description } }
               inputFields { name description } enumValues { name description } } } }",
            json!({}),
        )
        .await;
    let mut missing = Vec::new();
    for t in data["__schema"]["types"].as_array().expect("types") {
        let name = t["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if t["description"].as_str().is_none_or(str::is_empty) {
            missing.push(name.to_owned());
        }
        for list in ["fields", "inputFields", "enumValues"] {
            for f in t[list].as_array().into_iter().flatten() {
                if f["description"].as_str().is_none_or(str::is_empty) {
                    missing.push(format!("{name}.{}", f["name"].as_str().unwrap_or_default()));
                }
                for a in f["args"].as_array().into_iter().flatten() {
                    if a["description"].as_str().is_none_or(str::is_empty) {
                        missing.push(format!(
                            "{name}.{}({})",
                            f["name"].as_str().unwrap_or_default(),
                            a["name"]
                        ));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
    let _: &Value = &data;
}
