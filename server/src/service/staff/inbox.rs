//! The tip inbox: the tips a principal may read, one tip with its deliveries and
//! history, what it is about, where it could be sent on; and the status a resident looks
//! up with their own token.

use chrono::{DateTime, Utc};
use entity::{TipStatus, contact, delivery, municipality, tip, tip_event};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::{Principal, StaffError, constant_time_eq, tip_scope};
use crate::service::{authz, tips::sha256_hex};

/// Filters of the staff tip inbox.
#[derive(Clone, Debug, Default)]
pub struct TipQuery {
    pub municipality_id: Option<i32>,
    pub status: Option<TipStatus>,
    pub kind: Option<entity::TipKind>,
    pub received_after: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
    /// Only tips that are (true) or are not (false) overdue on `today`.
    pub overdue: Option<bool>,
    /// The Swedish date `overdue` is judged on (the caller's clock); today when unset.
    pub today: Option<chrono::NaiveDate>,
}

/// One page of tips in scope, newest first, and the total; `Forbidden` when the role may
/// not read tips at all.
pub async fn tips(
    db: &impl ConnectionTrait,
    p: &Principal,
    q: &TipQuery,
    offset: u64,
    limit: u64,
) -> Result<(Vec<tip::Model>, u64), StaffError> {
    let mut select = tip::Entity::find().filter(tip_scope(p)?);
    if let Some(m) = q.municipality_id {
        select = select.filter(tip::Column::MunicipalityId.eq(m));
    }
    if let Some(s) = q.status {
        select = select.filter(tip::Column::Status.eq(s));
    }
    if let Some(k) = q.kind {
        select = select.filter(tip::Column::Kind.eq(k));
    }
    if let Some(t) = q.received_after {
        select = select.filter(tip::Column::ReceivedAt.gte(t));
    }
    if let Some(t) = q.received_before {
        select = select.filter(tip::Column::ReceivedAt.lt(t));
    }
    if let Some(overdue) = q.overdue {
        let today = q
            .today
            .unwrap_or_else(|| crate::service::followup::swedish_date(Utc::now()));
        // The same rule as `followup::is_overdue`, in SQL.
        let is_overdue = Condition::all()
            .add(tip::Column::Status.eq(TipStatus::New))
            .add(tip::Column::DueOn.lt(today));
        select = select.filter(if overdue {
            is_overdue
        } else {
            is_overdue.not()
        });
    }
    let order = [
        (tip::Column::ReceivedAt, sea_orm::Order::Desc),
        (tip::Column::Id, sea_orm::Order::Desc),
    ];
    Ok(crate::db::page(db, select, &order, offset, limit).await?)
}

/// A tip by reference if the principal may see it: `NotFound` when it is missing or out
/// of scope (they look the same), `Forbidden` for a role that reads no tips.
pub async fn tip_in_scope(
    db: &impl ConnectionTrait,
    p: &Principal,
    reference: &str,
) -> Result<tip::Model, StaffError> {
    tip::Entity::find()
        .filter(tip_scope(p)?)
        .filter(tip::Column::Reference.eq(reference.trim()))
        .one(db)
        .await?
        .ok_or(StaffError::NotFound)
}

/// A tip by id, if it is in the principal's scope (`node(id:)` for staff clients).
pub async fn tip_by_id_in_scope(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i32,
) -> Result<Option<tip::Model>, DbErr> {
    // For `node(id)`: a role that reads no tips gets nothing, not an error.
    let Some(scope) = authz::tip_condition(p) else {
        return Ok(None);
    };
    tip::Entity::find_by_id(id).filter(scope).one(db).await
}

/// A tip's deliveries (to contacts and to the resident), oldest first.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    tip_id: i32,
) -> Result<Vec<delivery::Model>, DbErr> {
    delivery::Entity::find()
        .filter(delivery::Column::TipId.eq(tip_id))
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await
}

/// A tip's history, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    tip_id: i32,
) -> Result<Vec<tip_event::Model>, DbErr> {
    tip_event::Entity::find()
        .filter(tip_event::Column::TipId.eq(tip_id))
        .order_by_asc(tip_event::Column::At)
        .order_by_asc(tip_event::Column::Id)
        .all(db)
        .await
}

/// The contacts a tip in `p`'s scope could be sent on to: those serving its municipality
/// that have an email address (the same ones `reroute` accepts).
pub async fn reroute_targets(
    db: &DatabaseConnection,
    p: &Principal,
    tip: &tip::Model,
) -> Result<Vec<contact::Model>, StaffError> {
    tip_scope(p)?;
    let ids: Vec<i32> = entity::contact_municipality::Entity::find()
        .filter(entity::contact_municipality::Column::MunicipalityId.eq(tip.municipality_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.contact_id)
        .collect();
    Ok(contact::Entity::find()
        .filter(contact::Column::Id.is_in(ids))
        .order_by_asc(contact::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|c| c.email.as_deref().is_some_and(|e| !e.trim().is_empty()))
        .collect())
}

/// What a tip is about, as staff read it ("Trygg i Mellerud › fokusområde Trafik ›
/// aktivitet \"…\""): the promise, focus area and commitment the resident chose, if
/// any. The tip email and the inbox show the same text.
pub async fn concerns(db: &impl ConnectionTrait, t: &tip::Model) -> Result<Option<String>, DbErr> {
    use entity::{commitment, focus_area, promise};
    let mut parts = Vec::new();
    if let Some(id) = t.concerns_promise_id
        && let Some(p) = promise::Entity::find_by_id(id).one(db).await?
    {
        parts.push(p.title);
    }
    if let Some(id) = t.concerns_focus_area_id
        && let Some(fa) = focus_area::Entity::find_by_id(id).one(db).await?
    {
        parts.push(format!("fokusområde {}", fa.title));
    }
    if let Some(id) = t.concerns_commitment_id
        && let Some(c) = commitment::Entity::find_by_id(id).one(db).await?
    {
        parts.push(format!("aktivitet \"{}\"", c.text));
    }
    Ok((!parts.is_empty()).then(|| parts.join(" › ")))
}

/// What a resident may learn about their tip: nothing of its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicStatus {
    pub status: TipStatus,
    pub handled_at: Option<DateTime<Utc>>,
    /// When staff last wrote a reply (the resident sees that one was sent, not what).
    pub replied_at: Option<DateTime<Utc>>,
    /// The municipality's target: an answer within this many working days.
    pub response_days: i32,
    pub due_on: Option<chrono::NaiveDate>,
}

/// Public status lookup, if reference and token match.
pub async fn public_status(
    db: &impl ConnectionTrait,
    reference: &str,
    token: &str,
) -> Result<Option<PublicStatus>, DbErr> {
    let Some(t) = tip::Entity::find()
        .filter(tip::Column::Reference.eq(reference.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let matches = t
        .status_token_hash
        .as_deref()
        .is_some_and(|h| constant_time_eq(h.as_bytes(), sha256_hex(token).as_bytes()));
    if !matches {
        return Ok(None);
    }
    let response_days = municipality::Entity::find_by_id(t.municipality_id)
        .one(db)
        .await?
        .map_or(crate::domain::response_target::DEFAULT_DAYS, |m| {
            m.response_days
        });
    Ok(Some(PublicStatus {
        status: t.status,
        handled_at: t.handled_at,
        replied_at: t.replied_at,
        response_days,
        due_on: t.due_on,
    }))
}
