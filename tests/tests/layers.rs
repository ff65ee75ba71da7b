//! The layering the README describes, checked on the source so that it cannot drift:
//! lower layers never name higher ones, and who may do what is decided only in the
//! services (`service::authz`), never in resolvers or HTTP handlers.

use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../server/src")
        .join(dir);
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read dir") {
                stack.push(entry.expect("entry").path());
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read source");
            found.push((path, text));
        }
    }
    assert!(!found.is_empty(), "no sources under server/src/{dir}");
    found
}

/// Every place under `dir` that names one of `forbidden`.
fn offences(dir: &str, forbidden: &[&str]) -> Vec<String> {
    sources(dir)
        .into_iter()
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| !line.trim_start().starts_with("//"))
                .filter(|(_, line)| forbidden.iter().any(|f| line.contains(f)))
                .map(|(n, line)| format!("{}:{}: {}", path.display(), n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn resolvers_and_handlers_make_no_authorisation_decisions() {
    for dir in ["graphql", "http", "web"] {
        let found = offences(dir, &["authz::", "StaffRole::"]);
        assert!(
            found.is_empty(),
            "role or scope checks outside the services:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn lower_layers_never_name_higher_ones() {
    let upward = [
        "crate::http",
        "crate::graphql",
        "crate::cache",
        "axum::",
        "async_graphql",
    ];
    for dir in ["service", "domain", "delivery", "email"] {
        let found = offences(dir, &upward);
        assert!(found.is_empty(), "{dir} reaches up:\n{}", found.join("\n"));
    }
    let found = offences(
        "domain",
        &["crate::service", "crate::db", "sea_orm::Database"],
    );
    assert!(found.is_empty(), "domain does I/O:\n{}", found.join("\n"));
}

#[test]
fn infrastructure_at_the_bottom_names_no_layer_above() {
    // Bare names too, so that grouped imports (`use crate::{service::…}`) are caught;
    // `async_graphql` is no business of these files either.
    let upward = [
        "crate::graphql",
        "crate::http",
        "crate::web",
        "crate::service",
        "graphql::",
        "service::",
        "web::",
        " http::",
        "{http::",
    ];
    let bottom = [
        "metrics.rs",
        "config.rs",
        "cache.rs",
        "ratelimit.rs",
        "catalog_version.rs",
        "error_code.rs",
    ];
    for file in bottom {
        let found = offences(file, &upward);
        assert!(found.is_empty(), "{file} reaches up:\n{}", found.join("\n"));
    }
}
