//! Triage: the changes staff make to a tip in their scope (status, a reply to the
//! resident, sending it on, resending failed deliveries, erasure), each in one
//! transaction with its line in the tip's history.

use chrono::{DateTime, Utc};
use entity::{TipStatus, delivery, tip};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};

use super::{Principal, StaffError, require, tip_in_scope, tip_scope};
use crate::{
    domain::triage,
    service::{
        authz,
        tips::{pending_delivery, record_tip_event},
    },
};

/// Move a tip to a new triage status with an optional internal note, in one transaction
/// with its history entry (see [`transition_at`]).
pub async fn transition(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
    to: TipStatus,
    note: Option<String>,
) -> Result<tip::Model, StaffError> {
    transition_at(db, p, reference, to, note, Utc::now()).await
}

/// [`transition`] at `now`. The first move out of `NEW` is the answer the response
/// target measures. A resident who asked for updates gets a short email through the
/// outbox, in the same transaction, saying what the new status means: never the note.
pub async fn transition_at(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
    to: TipStatus,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<tip::Model, StaffError> {
    tip_scope(p)?;
    if let Some(n) = &note
        && n.chars().count() > 2000
    {
        return Err(StaffError::Invalid {
            field: "note",
            message: "the note must be at most 2000 characters".into(),
        });
    }
    let txn = crate::db::begin_write(db).await?;
    let current = tip_in_scope(&txn, p, reference).await?;
    if !triage::allowed(current.status, to) {
        return Err(StaffError::InvalidTransition {
            from: current.status,
            to,
        });
    }
    let from = current.status;
    let first_answer = current.answered_at.is_none() && from == TipStatus::New && to != from;
    let mut am = current.into_active_model();
    am.status = Set(to);
    am.updated_at = Set(now);
    am.handled_at = Set(triage::closes(to).then_some(now));
    if first_answer {
        am.answered_at = Set(Some(now));
    }
    let updated = am.update(&txn).await?;
    if to != from
        && tells_resident(to)
        && updated.notify_on_update
        && updated.erased_at.is_none()
        && let Some(email) = updated.email.clone()
    {
        let body = sea_orm::ActiveEnum::to_value(&to);
        email_resident(
            &txn,
            &updated,
            entity::DeliveryKind::Update,
            email,
            body,
            now,
        )
        .await?;
    }
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    record_tip_event(&txn, updated.id, now, &p.name, Some(from), to, note).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The statuses a resident who asked for updates hears about.
pub fn tells_resident(status: TipStatus) -> bool {
    matches!(
        status,
        TipStatus::InProgress | TipStatus::Handled | TipStatus::NotRelevant
    )
}

/// Longest reply to a resident, in characters.
pub const MAX_REPLY_CHARS: usize = 5000;

/// Write a reply to the resident of a tip in scope (the same rule as status changes):
/// an email through the outbox, a line in the history (that a reply was sent, not its
/// text), and the resident's status page says a reply was sent. `Invalid` when the
/// resident left no email (or it was erased).
pub async fn reply_to_resident(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<tip::Model, StaffError> {
    tip_scope(p)?;
    let message = message.trim();
    let invalid = |message: &str| StaffError::Invalid {
        field: "message",
        message: message.to_owned(),
    };
    if message.is_empty() {
        return Err(invalid("the reply is empty"));
    }
    if message.chars().count() > MAX_REPLY_CHARS {
        return Err(invalid("the reply must be at most 5000 characters"));
    }
    if message
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(invalid("the reply contains control characters"));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = tip_in_scope(&txn, p, reference).await?;
    let Some(email) = current
        .email
        .clone()
        .filter(|_| current.erased_at.is_none())
    else {
        return Err(StaffError::Invalid {
            field: "reference",
            message: "the resident left no email address".into(),
        });
    };
    let status = current.status;
    let mut am = current.into_active_model();
    am.replied_at = Set(Some(now));
    am.updated_at = Set(now);
    let updated = am.update(&txn).await?;
    let body = message.replace("\r\n", "\n");
    email_resident(
        &txn,
        &updated,
        entity::DeliveryKind::Reply,
        email,
        body,
        now,
    )
    .await?;
    let line = Some("Svar skickat till invånaren via e-post.".to_owned());
    record_tip_event(&txn, updated.id, now, &p.name, Some(status), status, line).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Queue an email of `kind` (a status update or a reply) with `body` to the resident who
/// sent `tip`, in the change's transaction.
async fn email_resident(
    txn: &DatabaseTransaction,
    tip: &tip::Model,
    kind: entity::DeliveryKind,
    email: String,
    body: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut row = pending_delivery(tip.id, kind, tip.name.clone(), email, now);
    row.body = Set(Some(body));
    row.insert(txn).await?;
    Ok(())
}

/// Send a tip on to another contact of its municipality: a new delivery, and a line in
/// the history saying so. An unrouted tip becomes new.
pub async fn reroute(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
    contact_id: i32,
    note: Option<String>,
) -> Result<tip::Model, StaffError> {
    let txn = crate::db::begin_write(db).await?;
    let current = tip_in_scope(&txn, p, reference).await?;
    // The tip is in scope, so a contact serving its municipality is too.
    let target =
        authz::usable_contact(&txn, Some(p), contact_id, &[current.municipality_id]).await?;
    let Some(target) = target else {
        return Err(StaffError::Invalid {
            field: "contact",
            message: "the contact does not serve this tip's municipality".into(),
        });
    };
    let Some(email) = target.email.clone().filter(|e| !e.trim().is_empty()) else {
        return Err(StaffError::Invalid {
            field: "contact",
            message: "the contact has no email address".into(),
        });
    };
    let now = Utc::now();
    let from = current.status;
    let to = if from == TipStatus::Unrouted {
        TipStatus::New
    } else {
        from
    };
    let mut am = current.into_active_model();
    am.routed_contact_id = Set(Some(target.id));
    am.routing_reason = Set(crate::domain::routing::RoutingReason::StaffReroute
        .as_str()
        .to_owned());
    am.status = Set(to);
    am.updated_at = Set(now);
    let updated = am.update(&txn).await?;
    pending_delivery(
        updated.id,
        entity::DeliveryKind::Contact,
        Some(target.name.clone()),
        email,
        now,
    )
    .insert(&txn)
    .await?;
    let mut text = format!("Skickat vidare till {} ({}).", target.name, target.role);
    if let Some(n) = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) {
        text.push(' ');
        text.push_str(&n);
    }
    record_tip_event(&txn, updated.id, now, &p.name, Some(from), to, Some(text)).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Queue a tip's given-up (`DEAD`) deliveries again; returns how many.
pub async fn resend_dead(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
) -> Result<u64, StaffError> {
    let txn = crate::db::begin_write(db).await?;
    let current = tip_in_scope(&txn, p, reference).await?;
    let now = Utc::now();
    let res = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            sea_orm::sea_query::Expr::value(entity::DeliveryStatus::Pending),
        )
        .col_expr(
            delivery::Column::Attempts,
            sea_orm::sea_query::Expr::value(0),
        )
        .col_expr(
            delivery::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(delivery::Column::TipId.eq(current.id))
        .filter(delivery::Column::Status.eq(entity::DeliveryStatus::Dead))
        .exec(&txn)
        .await?;
    if res.rows_affected > 0 {
        let note = format!("{} e-postmeddelanden skickas igen.", res.rows_affected);
        let (id, status) = (current.id, current.status);
        record_tip_event(&txn, id, now, &p.name, Some(status), status, Some(note)).await?;
    }
    txn.commit().await?;
    Ok(res.rows_affected)
}

/// Erase a tip's personal data now, on an admin's request, for a tip in its scope.
pub async fn erase_tip(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
) -> Result<(), StaffError> {
    require(authz::is_admin(p))?;
    tip_in_scope(db, p, reference).await?;
    if crate::service::privacy::erase_tip(db, reference, Utc::now()).await? {
        Ok(())
    } else {
        Err(StaffError::NotFound)
    }
}
