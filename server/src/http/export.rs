//! Open data: every published promise as JSON and CSV. Both are produced by running a
//! GraphQL query against the public schema, so the export always says exactly what the
//! API says. Responses carry an `ETag`; a matching `If-None-Match` gets 304.
//!
//! CSV injection: a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or tab
//! or CR, which some strip first) as a formula. Every text cell of the CSV that starts
//! with such a character gets a leading single quote (OWASP's advice), so it shows as
//! text. Cells that are JSON numbers in the API (quantities, progress) are written as
//! plain numbers and never prefixed: a number such as `-3` cannot carry a formula, and
//! prefixing it would turn it into text. Data cells are always quoted, so a spreadsheet
//! that splits on `;` (the Swedish default) keeps `a; =1+1` in one cell. The JSON export
//! stays verbatim.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{AppState, json_error};
use crate::graphql::errors::ErrorCode;
use crate::graphql::prepare_request;

const QUERY: &str = r#"query Export($after: String) { promises(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { id key title validFrom validTo status summary situation goal followUp renewalNote signedOn signedPlace progress
    municipalities { code name slug county }
    policeArea { name }
    signatories { name title organisation }
    contacts { name role organisation organisationKind phone }
    sources { title publisher url updatedOn }
    focusAreas { title description progress contact { name role organisation phone }
      commitments { text responsible status progress achievedQuantity target { quantity unit period totalQuantity } } }
    commitments { text responsible status progress achievedQuantity target { quantity unit period totalQuantity } } } } }"#;

/// All published promises, page by page.
async fn promises(state: &AppState) -> Result<Vec<Value>, Response> {
    let mut all = Vec::new();
    let mut after = Value::Null;
    loop {
        let request = async_graphql::Request::new(QUERY).variables(
            async_graphql::Variables::from_json(serde_json::json!({ "after": after })),
        );
        let response = state
            .internal_schema
            .execute(prepare_request(request, &state.db))
            .await;
        if !response.errors.is_empty() {
            tracing::error!(errors = ?response.errors, "the export query failed");
            return Err(json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal server error",
            ));
        }
        let data = response.data.into_json().map_err(|_| {
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal server error",
            )
        })?;
        let page = &data["promises"];
        all.extend(page["nodes"].as_array().cloned().unwrap_or_default());
        if page["pageInfo"]["hasNextPage"] != Value::Bool(true) {
            return Ok(all);
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn with_etag(headers: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let etag = crate::cache::etag(&body);
    if super::if_none_match(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

pub async fn json(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let promises = match promises(&state).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    match serde_json::to_vec_pretty(&serde_json::json!({ "promises": promises })) {
        Ok(body) => with_etag(&headers, "application/json; charset=utf-8", body),
        Err(_) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal server error",
        ),
    }
}

/// Column order of the CSV: one row per commitment. It is part of the contract.
pub const CSV_COLUMNS: [&str; 19] = [
    "promise_id",
    "promise_key",
    "promise_title",
    "municipality_codes",
    "municipalities",
    "valid_from",
    "valid_to",
    "promise_status",
    "promise_progress",
    "focus_area",
    "commitment",
    "responsible",
    "commitment_status",
    "target_quantity",
    "target_unit",
    "target_period",
    "target_total",
    "achieved_quantity",
    "commitment_progress",
];

/// Characters that make a spreadsheet read a cell as a formula (or that it strips before
/// looking): OWASP's list, plus line feed and the full-width forms some locales accept.
const FORMULA_STARTS: [char; 11] = [
    '=', '+', '-', '@', '\t', '\r', '\n', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// A text cell that a spreadsheet shows as text: prefixed with `'` when it would start a
/// formula.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// The plain text of a value, not yet neutralised.
fn raw(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One CSV cell from an API value: strings are neutralised, numbers are written as is.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => neutralise(s),
        Value::Number(n) => n.to_string(),
        other => neutralise(&other.to_string()),
    }
}

fn joined(list: &Value, field: &str) -> String {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| raw(&i[field]))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .map(|cell| neutralise(&cell))
        .unwrap_or_default()
}

pub async fn csv(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let promises = match promises(&state).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    // The header as before; every data cell quoted, so that a spreadsheet that splits on
    // `;` (the Swedish default) cannot start a new, unneutralised cell inside one.
    let mut header_writer = csv::Writer::from_writer(Vec::new());
    let header = header_writer
        .write_record(CSV_COLUMNS)
        .map_err(|e| e.to_string())
        .and_then(|()| header_writer.into_inner().map_err(|e| e.to_string()));
    let header = match header {
        Ok(h) => h,
        Err(err) => {
            tracing::error!(error = %err, "could not write the CSV export");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal server error",
            );
        }
    };
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(header);
    let mut write = || -> Result<(), csv::Error> {
        for p in &promises {
            let mut rows: Vec<(String, &Value)> = Vec::new();
            for fa in p["focusAreas"].as_array().into_iter().flatten() {
                for c in fa["commitments"].as_array().into_iter().flatten() {
                    rows.push((raw(&fa["title"]), c));
                }
            }
            for c in p["commitments"].as_array().into_iter().flatten() {
                rows.push((String::new(), c));
            }
            for (focus_area, c) in rows {
                let t = &c["target"];
                writer.write_record([
                    text(&p["id"]),
                    text(&p["key"]),
                    text(&p["title"]),
                    joined(&p["municipalities"], "code"),
                    joined(&p["municipalities"], "name"),
                    text(&p["validFrom"]),
                    text(&p["validTo"]),
                    text(&p["status"]),
                    text(&p["progress"]),
                    neutralise(&focus_area),
                    text(&c["text"]),
                    text(&c["responsible"]),
                    text(&c["status"]),
                    text(&t["quantity"]),
                    text(&t["unit"]),
                    text(&t["period"]),
                    text(&t["totalQuantity"]),
                    text(&c["achievedQuantity"]),
                    text(&c["progress"]),
                ])?;
            }
        }
        writer.flush().map_err(csv::Error::from)
    };
    let written = write().map_err(|e| e.to_string());
    match written.and_then(|()| writer.into_inner().map_err(|e| e.to_string())) {
        Ok(body) => with_etag(&headers, "text/csv; charset=utf-8", body),
        Err(err) => {
            tracing::error!(error = %err, "could not write the CSV export");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal server error",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_a_quote_and_numbers_do_not() {
        for bad in ["=1+1", "+1", "-1+1", "@A1", "\t=1", "\r=1", "\u{FF1D}1"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for good in ["", "Trafik", "1-2", "'redan citerad", " =1"] {
            assert_eq!(neutralise(good), good);
        }
        assert_eq!(text(&serde_json::json!(-3)), "-3");
        assert_eq!(text(&serde_json::json!("-3")), "'-3");
        assert_eq!(text(&Value::Null), "");
    }
}
