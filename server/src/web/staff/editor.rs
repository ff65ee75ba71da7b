//! Editor forms (`/staff/redigera`): a promise's texts, its commitments' status and their
//! follow-ups. Every change goes through `service::editing`, the same functions the
//! GraphQL editing mutations call, so validation, scope, the audit log and the catalogue
//! version (a staff edit shows on the next public page view) are theirs; this module
//! only turns their refusals into Swedish words next to the fields; what the forms read
//! comes from `service::editing::view`, with the same scope rule. The full editing
//! API stays in GraphQL.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use entity::CommitmentStatus;
use serde::Deserialize;

use super::{Posted, Session, csrf_forms, private};
use crate::{
    domain::{Invalid, Param},
    http::AppState,
    service::editing::{self, CommitmentFields, EditError, FollowUpFields, PromiseFields},
    web::{internal_error, not_found, page, pages::Message},
};

const STATUSES: [(CommitmentStatus, &str, &str); 4] = [
    (CommitmentStatus::Planned, "PLANNED", "Planerad"),
    (CommitmentStatus::InProgress, "IN_PROGRESS", "Pågår"),
    (CommitmentStatus::Done, "DONE", "Genomförd"),
    (CommitmentStatus::NotDone, "NOT_DONE", "Inte genomförd"),
];

fn status_label(s: CommitmentStatus) -> &'static str {
    STATUSES
        .iter()
        .find(|(v, _, _)| *v == s)
        .map_or("", |(_, _, label)| label)
}

fn refused(err: EditError) -> Response {
    match err {
        EditError::NotFound(_) => not_found("sida"),
        EditError::Forbidden => page(
            StatusCode::FORBIDDEN,
            &Message {
                title: "Ingen behörighet".into(),
                text: "Ditt konto får inte ändra det här medborgarlöftet.".into(),
                link: Some(("/staff".into(), "Till inkorgen".into())),
            },
        ),
        EditError::Invalid(_) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Message {
                title: "Ändringen kunde inte göras".into(),
                text: "Gå tillbaka och försök igen.".into(),
                link: Some(("/staff/redigera".into(), "Till medborgarlöftena".into())),
            },
        ),
        EditError::Db(err) => {
            tracing::error!(error = %err, "the editor forms could not read the database");
            internal_error()
        }
    }
}

pub struct PromiseRow {
    id: i32,
    title: String,
    published: bool,
}

#[derive(Template)]
#[template(path = "staff_edit_list.html")]
struct ListPage {
    who: String,
    csrf: String,
    promises: Vec<PromiseRow>,
}

/// `GET /staff/redigera`: the promises the editor may edit.
pub async fn list(State(state): State<AppState>, s: Session) -> Response {
    match editing::promises::editable(&state.db, &s.principal, 0, 200).await {
        Ok((rows, _)) => private(page(
            StatusCode::OK,
            &ListPage {
                who: s.principal.name.clone(),
                csrf: s.csrf.clone(),
                promises: rows
                    .into_iter()
                    .map(|p| PromiseRow {
                        id: p.id,
                        title: p.title,
                        published: p.published,
                    })
                    .collect(),
            },
        )),
        Err(err) => private(refused(err)),
    }
}

/// One field of a form as shown: its id, what it holds and what was wrong.
pub struct Field {
    id: String,
    value: String,
    error: Option<String>,
}

impl Field {
    fn describedby(&self, hint: Option<&str>) -> String {
        let mut ids: Vec<String> = hint.map(str::to_owned).into_iter().collect();
        if self.error.is_some() {
            ids.push(format!("{}-fel", self.id));
        }
        ids.join(" ")
    }
}

pub struct StatusChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

pub struct FollowUpRow {
    id: i32,
    date: Field,
    text: Field,
}

pub struct CommitmentRow {
    id: i32,
    text: String,
    status_label: &'static str,
    status: Field,
    statuses: Vec<StatusChoice>,
    new_date: Field,
    new_text: Field,
    follow_ups: Vec<FollowUpRow>,
}

pub struct SummaryError {
    id: String,
    message: String,
}

#[derive(Template)]
#[template(path = "staff_edit_promise.html")]
struct EditPage {
    who: String,
    csrf: String,
    id: i32,
    heading: String,
    saved: bool,
    errors: Vec<SummaryError>,
    texts: Vec<TextField>,
    commitments: Vec<CommitmentRow>,
}

/// A text of the promise: the field, its label, one line or several.
pub struct TextField {
    f: Field,
    label: &'static str,
    multiline: bool,
}

/// What a refused form sent, to show again: the values by field id, and the errors.
#[derive(Default)]
struct Failed {
    kept: HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl Failed {
    fn field(&self, id: String, stored: &str) -> Field {
        Field {
            value: self
                .kept
                .get(&id)
                .cloned()
                .unwrap_or_else(|| stored.to_owned()),
            error: self
                .errors
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, m)| m.clone()),
            id,
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    sparat: String,
}

/// `GET /staff/redigera/loften/{id}`.
pub async fn promise_form(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    Query(q): Query<SavedQuery>,
    s: Session,
) -> Response {
    let saved = q.sparat == "1";
    match edit_page(&state, &s, id, StatusCode::OK, saved, Failed::default()).await {
        Ok(r) => private(r),
        Err(err) => private(refused(err)),
    }
}

async fn edit_page(
    state: &AppState,
    s: &Session,
    id: i32,
    code: StatusCode,
    saved: bool,
    failed: Failed,
) -> Result<Response, EditError> {
    let editing::view::PromiseView {
        promise: p,
        commitments,
        follow_ups,
    } = editing::view::promise(&state.db, &s.principal, id).await?;
    let rows = commitments
        .into_iter()
        .map(|c| {
            let status_id = format!("status-{}", c.id);
            let kept_status = failed.kept.get(&status_id).cloned();
            CommitmentRow {
                id: c.id,
                status_label: status_label(c.status),
                statuses: STATUSES
                    .iter()
                    .map(|(v, value, label)| StatusChoice {
                        value,
                        label,
                        selected: kept_status
                            .as_deref()
                            .map_or(*v == c.status, |k| k == *value),
                    })
                    .collect(),
                status: failed.field(status_id, ""),
                new_date: failed.field(format!("ny-datum-{}", c.id), ""),
                new_text: failed.field(format!("ny-text-{}", c.id), ""),
                follow_ups: follow_ups
                    .iter()
                    .filter(|f| f.commitment_id == c.id)
                    .map(|f| FollowUpRow {
                        id: f.id,
                        date: failed.field(format!("uppf-{}-datum", f.id), &f.date.to_string()),
                        text: failed.field(format!("uppf-{}-text", f.id), &f.text),
                    })
                    .collect(),
                text: c.text,
            }
        })
        .collect();
    let errors = failed
        .errors
        .iter()
        .map(|(id, message)| SummaryError {
            id: id.clone(),
            message: message.clone(),
        })
        .collect();
    Ok(page(
        code,
        &EditPage {
            who: s.principal.name.clone(),
            csrf: s.csrf.clone(),
            id: p.id,
            heading: p.title.clone(),
            saved,
            errors,
            texts: vec![
                TextField {
                    f: failed.field("title".into(), &p.title),
                    label: "Rubrik",
                    multiline: false,
                },
                TextField {
                    f: failed.field("summary".into(), &p.summary),
                    label: "Sammanfattning",
                    multiline: true,
                },
                TextField {
                    f: failed.field("situation".into(), p.situation.as_deref().unwrap_or("")),
                    label: "Lägesbild (frivillig)",
                    multiline: true,
                },
                TextField {
                    f: failed.field("goal".into(), p.goal.as_deref().unwrap_or("")),
                    label: "Mål (frivilligt)",
                    multiline: true,
                },
            ],
            commitments: rows,
        },
    ))
}

/// A service's refusal in Swedish, for the field labelled `label` that held `value`.
/// The service decides whether a value is acceptable; its rule's bounds (`max`) give
/// the numbers.
fn swedish(label: &str, value: &str, invalid: &Invalid) -> String {
    let max = invalid.params.iter().find_map(|(name, p)| match p {
        Param::Int(n) if *name == "max" => Some(*n),
        _ => None,
    });
    let len = value.trim().chars().count();
    if len == 0 {
        format!("{label} måste fyllas i.")
    } else if let Some(max) = max.filter(|m| i64::try_from(len).unwrap_or(i64::MAX) > *m) {
        format!("{label} får vara högst {max} tecken.")
    } else {
        format!("{label} innehåller tecken som inte är tillåtna, till exempel styrtecken.")
    }
}

/// After a change: this replica's caches and snapshot catch up with the catalogue
/// version the service bumped (as after a GraphQL staff mutation), so the next public
/// page view shows the edit; then back to the promise's form, which says it was saved.
async fn saved(state: &AppState, promise_id: i32) -> Response {
    if let Err(err) = state.catalog.sync(&state.db).await {
        tracing::warn!(error = %err, "could not check the catalogue version");
    }
    state.snapshots.refresh(&state.db).await;
    private(Redirect::to(&format!("/staff/redigera/loften/{promise_id}?sparat=1")).into_response())
}

/// Show the form again with `failed`, or the refusal when it cannot be shown.
async fn again(state: &AppState, s: &Session, promise_id: i32, failed: Failed) -> Response {
    match edit_page(
        state,
        s,
        promise_id,
        StatusCode::UNPROCESSABLE_ENTITY,
        false,
        failed,
    )
    .await
    {
        Ok(r) => private(r),
        Err(err) => private(refused(err)),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct TextsInput {
    csrf: String,
    title: String,
    summary: String,
    situation: String,
    goal: String,
}

/// `POST /staff/redigera/loften/{id}`: the promise's texts.
pub async fn save_texts(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    Posted(s, input): Posted<TextsInput>,
) -> Response {
    let optional = |v: &str| Some(Some(v.to_owned()).filter(|v| !v.trim().is_empty()));
    let fields = PromiseFields {
        title: Some(input.title.clone()),
        summary: Some(input.summary.clone()),
        situation: optional(&input.situation),
        goal: optional(&input.goal),
        ..PromiseFields::default()
    };
    match editing::promises::update_promise(&state.db, &s.principal, id, fields).await {
        Ok(_) => saved(&state, id).await,
        Err(EditError::Invalid(invalid)) => {
            let (label, value) = match invalid.field {
                "title" => ("Rubriken", &input.title),
                "summary" => ("Sammanfattningen", &input.summary),
                "situation" => ("Lägesbilden", &input.situation),
                _ => ("Målet", &input.goal),
            };
            let field = match invalid.field {
                "title" | "summary" | "situation" => invalid.field,
                _ => "goal",
            };
            let failed = Failed {
                errors: vec![(field.to_owned(), swedish(label, value, &invalid))],
                kept: HashMap::from([
                    ("title".to_owned(), input.title),
                    ("summary".to_owned(), input.summary),
                    ("situation".to_owned(), input.situation),
                    ("goal".to_owned(), input.goal),
                ]),
            };
            again(&state, &s, id, failed).await
        }
        Err(err) => private(refused(err)),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct StatusInput {
    csrf: String,
    status: String,
}

/// `POST /staff/redigera/aktiviteter/{id}/status`: a commitment's status.
pub async fn commitment_status(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    Posted(s, input): Posted<StatusInput>,
) -> Response {
    let promise_id = match editing::view::promise_of_commitment(&state.db, &s.principal, id).await {
        Ok(p) => p,
        Err(err) => return private(refused(err)),
    };
    let Some((status, _, _)) = STATUSES.iter().find(|(_, v, _)| *v == input.status) else {
        let field = format!("status-{id}");
        let failed = Failed {
            errors: vec![(field.clone(), "Välj en status i listan.".into())],
            kept: HashMap::from([(field, input.status)]),
        };
        return again(&state, &s, promise_id, failed).await;
    };
    let fields = CommitmentFields {
        status: Some(*status),
        ..CommitmentFields::default()
    };
    match editing::parts::update_commitment(&state.db, &s.principal, id, fields).await {
        Ok(c) => saved(&state, c.promise_id).await,
        Err(err) => private(refused(err)),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct FollowUpInput {
    csrf: String,
    date: String,
    text: String,
}

/// Parse a follow-up's date as typed; the Swedish error otherwise.
fn follow_up_date(value: &str) -> Result<chrono::NaiveDate, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("Datum måste fyllas i.".into());
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| "Ange datumet som ÅÅÅÅ-MM-DD, till exempel 2027-03-01.".into())
}

/// A refused follow-up form shown again: the fields' ids, the values typed, the errors.
fn follow_up_failed(
    date_id: String,
    text_id: String,
    input: FollowUpInput,
    errors: Vec<(String, String)>,
) -> Failed {
    Failed {
        errors,
        kept: HashMap::from([(date_id, input.date), (text_id, input.text)]),
    }
}

/// The errors of a follow-up: the date's (checked here, it is only parsed) and the
/// service's.
async fn save_follow_up_with(
    state: &AppState,
    s: &Session,
    promise_id: i32,
    (date_id, text_id): (String, String),
    input: FollowUpInput,
    save: impl AsyncFnOnce(chrono::NaiveDate, String) -> Result<(), EditError>,
) -> Response {
    let date = match follow_up_date(&input.date) {
        Ok(d) => d,
        Err(message) => {
            let failed =
                follow_up_failed(date_id.clone(), text_id, input, vec![(date_id, message)]);
            return again(state, s, promise_id, failed).await;
        }
    };
    match save(date, input.text.clone()).await {
        Ok(()) => saved(state, promise_id).await,
        Err(EditError::Invalid(invalid)) => {
            let (id, message) = if invalid.field == "date" {
                (date_id.clone(), swedish("Datum", &input.date, &invalid))
            } else {
                (text_id.clone(), swedish("Texten", &input.text, &invalid))
            };
            let failed = follow_up_failed(date_id, text_id, input, vec![(id, message)]);
            again(state, s, promise_id, failed).await
        }
        Err(err) => private(refused(err)),
    }
}

/// `POST /staff/redigera/aktiviteter/{id}/uppfoljningar`: a new follow-up.
pub async fn add_follow_up(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    Posted(s, input): Posted<FollowUpInput>,
) -> Response {
    follow_up(&state, &s, FollowUpOf::Commitment(id), input).await
}

/// `POST /staff/redigera/uppfoljningar/{id}`: a follow-up's date and text.
pub async fn save_follow_up(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    Posted(s, input): Posted<FollowUpInput>,
) -> Response {
    follow_up(&state, &s, FollowUpOf::Itself(id), input).await
}

/// Which follow-up a form saves: a new one of a commitment, or an existing one.
#[derive(Clone, Copy)]
enum FollowUpOf {
    Commitment(i32),
    Itself(i32),
}

/// Save a follow-up form: find its promise (in scope), then create or update.
async fn follow_up(
    state: &AppState,
    s: &Session,
    of: FollowUpOf,
    input: FollowUpInput,
) -> Response {
    let (db, p) = (&state.db, &s.principal);
    let promise_id = match of {
        FollowUpOf::Commitment(id) => editing::view::promise_of_commitment(db, p, id).await,
        FollowUpOf::Itself(id) => editing::view::promise_of_follow_up(db, p, id).await,
    };
    let promise_id = match promise_id {
        Ok(id) => id,
        Err(err) => return private(refused(err)),
    };
    let ids = match of {
        FollowUpOf::Commitment(id) => (format!("ny-datum-{id}"), format!("ny-text-{id}")),
        FollowUpOf::Itself(id) => (format!("uppf-{id}-datum"), format!("uppf-{id}-text")),
    };
    save_follow_up_with(state, s, promise_id, ids, input, async |date, text| {
        let fields = FollowUpFields {
            date: Some(date),
            text: Some(text),
            achieved_quantity: None,
        };
        match of {
            FollowUpOf::Commitment(id) => editing::parts::create_follow_up(db, p, id, fields)
                .await
                .map(|_| ()),
            FollowUpOf::Itself(id) => editing::parts::update_follow_up(db, p, id, fields)
                .await
                .map(|_| ()),
        }
    })
    .await
}

csrf_forms!(TextsInput, StatusInput, FollowUpInput);
