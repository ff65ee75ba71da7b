//! The GraphiQL IDE, served entirely from the binary: the page, GraphiQL 3.8.3, React
//! 18.3.1 (unmodified, under `server/assets/vendor/graphiql/`) and a small start script and
//! style sheet of our own (under `server/assets/graphiql/`) are served at
//! `/graphiql/assets/…`. Nothing is loaded from another origin, and the page's content
//! security policy allows scripts from this origin only (no inline script, no eval).
//!
//! GraphiQL is on by default (the embedded setup); production turns it off with
//! `GRAPHIQL=false`, which also makes the assets answer 404.

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::{AppState, json_error};
use crate::graphql::errors::ErrorCode;

/// Where the assets are served from.
pub const ASSETS_PATH: &str = "/graphiql/assets";

/// Scripts and styles from this origin only. Styles may be inline: the editor sets
/// element styles at run time; scripts may not.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

const PAGE: &str = r#"<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL – Medborgarlöften</title>
<link rel="stylesheet" href="/graphiql/assets/page.css">
<link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
</head>
<body>
<div id="graphiql">Laddar GraphiQL…</div>
<script src="/graphiql/assets/react.production.min.js"></script>
<script src="/graphiql/assets/react-dom.production.min.js"></script>
<script src="/graphiql/assets/graphiql.min.js"></script>
<script src="/graphiql/assets/init.js"></script>
</body>
</html>
"#;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every asset: file name, media type, contents.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        JS,
        include_bytes!("../../assets/vendor/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        CSS,
        include_bytes!("../../assets/vendor/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        JS,
        include_bytes!("../../assets/vendor/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        JS,
        include_bytes!("../../assets/vendor/graphiql/react-dom.production.min.js"),
    ),
    (
        "init.js",
        JS,
        include_bytes!("../../assets/graphiql/init.js"),
    ),
    (
        "page.css",
        CSS,
        include_bytes!("../../assets/graphiql/page.css"),
    ),
];

/// The IDE's page, with its own content security policy.
pub fn page() -> Response {
    let mut page = Html(PAGE).into_response();
    page.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    page
}

/// `GET /graphiql/assets/{name}`: one vendored file, or 404.
pub async fn asset(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let found = ASSETS.iter().find(|(file, _, _)| *file == name);
    match found {
        Some((_, media_type, bytes)) if state.graphiql => (
            [
                (header::CONTENT_TYPE, *media_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        _ => json_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_only_served_assets() {
        for src in PAGE.split("\"").filter(|s| s.starts_with("/graphiql")) {
            let name = src.trim_start_matches(ASSETS_PATH).trim_start_matches('/');
            assert!(ASSETS.iter().any(|(f, _, _)| *f == name), "{src}");
        }
    }
}
