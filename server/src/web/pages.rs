//! The resident pages that only read: the start page, a municipality, a tip's status
//! and the accessibility statement.

use std::{collections::BTreeMap, net::SocketAddr};

use askama::Template;
use axum::{
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use super::{
    catalog::{self, ReadError},
    internal_error, not_found, page, public_page,
};
use crate::{domain::tip::EMERGENCY_NOTICE_SV, http::AppState, service::staff};

/// A page with a heading, a paragraph and perhaps a link onwards.
#[derive(Template)]
#[template(path = "message.html")]
pub struct Message {
    pub title: String,
    pub text: String,
    pub link: Option<(String, String)>,
}

/// Municipalities of one county, in Swedish order.
pub struct County {
    pub name: String,
    pub municipalities: Vec<catalog::MunicipalityItem>,
}

#[derive(Template)]
#[template(path = "start.html")]
struct Start {
    search: String,
    counties: Vec<County>,
    found: usize,
}

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    sok: String,
}

/// `/`: find your municipality, by search or in the list grouped by county.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Response {
    let search = q.sok.trim().chars().take(100).collect::<String>();
    let found = match catalog::municipalities(
        &state,
        Some(search.as_str()).filter(|s| !s.is_empty()),
    )
    .await
    {
        Ok(found) => found,
        Err(_) => return internal_error(),
    };
    let count = found.len();
    // The API's order is Swedish; keep it within each county, and order the counties the
    // same way.
    let mut by_county: BTreeMap<String, Vec<catalog::MunicipalityItem>> = BTreeMap::new();
    for m in found {
        by_county.entry(m.county.clone()).or_default().push(m);
    }
    let mut counties: Vec<County> = by_county
        .into_iter()
        .map(|(name, municipalities)| County {
            name,
            municipalities,
        })
        .collect();
    counties.sort_by(|a, b| crate::domain::collation::compare(&a.name, &b.name));
    public_page(
        &state,
        &headers,
        &Start {
            search,
            counties,
            found: count,
        },
    )
}

#[derive(Template)]
#[template(path = "municipality.html")]
struct MunicipalityPage {
    m: catalog::Municipality,
    notice: &'static str,
}

/// `/kommun/{slug}`: the latest promise first, earlier ones below, the contacts.
pub async fn municipality(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Response {
    match catalog::municipality(&state, &slug).await {
        Ok(mut m) => {
            // The latest: the active promise, else the most recent (the API lists the
            // newest period first).
            if let Some(i) = m
                .promises
                .nodes
                .iter()
                .position(catalog::Promise::is_active)
            {
                let active = m.promises.nodes.remove(i);
                m.promises.nodes.insert(0, active);
            }
            public_page(
                &state,
                &headers,
                &MunicipalityPage {
                    m,
                    notice: EMERGENCY_NOTICE_SV,
                },
            )
        }
        Err(ReadError::NotFound) => not_found("kommun"),
        Err(ReadError::Failed) => internal_error(),
    }
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    reference: String,
    token: String,
    status: Option<&'static str>,
    /// What the resident may expect or has had: "inom 5 arbetsdagar", a reply sent.
    expect: Option<String>,
    reply_sent: Option<String>,
    asked: bool,
}

#[derive(Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    referens: String,
    #[serde(default)]
    kod: String,
}

/// `/status`: a tip's status in Swedish, for the reference and the private code.
pub async fn status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<StatusQuery>,
) -> Response {
    let reference = q.referens.trim().chars().take(40).collect::<String>();
    let token = q.kod.trim().chars().take(200).collect::<String>();
    let asked = !reference.is_empty() || !token.is_empty();
    let mut found = None;
    let (mut expect, mut reply_sent) = (None, None);
    if asked {
        let ip = crate::http::client_ip::client_ip(peer.ip(), &headers, &state.trusted_proxies);
        if let Err(refused) = state.intake.limiter.check_status(ip) {
            return super::tip_form::rate_limited(&refused);
        }
        match staff::public_status(&state.db, &reference, &token).await {
            Ok(Some(s)) => {
                found = Some(status_sv(s.status));
                if matches!(
                    s.status,
                    entity::TipStatus::New | entity::TipStatus::Unrouted
                ) {
                    expect = Some(crate::email::render::working_days_sv(s.response_days));
                }
                reply_sent = s.replied_at.map(|at| {
                    at.with_timezone(&chrono_tz::Europe::Stockholm)
                        .format("%Y-%m-%d")
                        .to_string()
                });
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, "status lookup failed");
                return internal_error();
            }
        }
    }
    let code = if asked && found.is_none() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    page(
        code,
        &StatusPage {
            reference,
            token,
            status: found,
            expect,
            reply_sent,
            asked,
        },
    )
}

/// A tip's status as a resident reads it.
pub fn status_sv(status: entity::TipStatus) -> &'static str {
    use entity::TipStatus;
    match status {
        TipStatus::New | TipStatus::Unrouted => "Mottagen, inte behandlad ännu",
        TipStatus::InProgress => "Under behandling",
        TipStatus::Handled => "Hanterad",
        TipStatus::NotRelevant => "Avslutad utan åtgärd",
    }
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct Accessibility;

/// `/tillganglighet`: the accessibility statement the law requires.
pub async fn accessibility(State(state): State<AppState>, headers: HeaderMap) -> Response {
    public_page(&state, &headers, &Accessibility)
}
