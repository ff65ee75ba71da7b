//! Storing an accepted tip with its outbox rows and idempotency key in one transaction.

use chrono::{DateTime, Utc};
use entity::{DeliveryKind, DeliveryStatus, TipStatus, delivery, tip, tip_photo};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    Set, SqlErr, TransactionTrait,
};

use crate::domain::reference;
use crate::service::idempotency;

use super::{Accepted, Concerns, SubmitError, ValidTip, replay, sha256_hex, status_token};

/// Store the tip, one delivery per message and the idempotency key, in one transaction.
pub async fn store(
    db: &DatabaseConnection,
    secret: &[u8],
    valid: &ValidTip,
    ip_hash: Option<String>,
    now: DateTime<Utc>,
) -> Result<Accepted, SubmitError> {
    let slug = valid.municipality.slug.clone();
    store_with_references(db, secret, valid, ip_hash, now, || {
        reference::generate(&slug)
    })
    .await
}

/// [`store`] with the references to try, in order: they are random, the unique index
/// decides, and a reference already taken (about one in 10^9 per pair of tips in a
/// municipality) is replaced by the next. Public so tests can force a collision.
pub async fn store_with_references(
    db: &DatabaseConnection,
    secret: &[u8],
    valid: &ValidTip,
    ip_hash: Option<String>,
    now: DateTime<Utc>,
    mut draw: impl FnMut() -> String,
) -> Result<Accepted, SubmitError> {
    for _ in 0..8 {
        let reference = draw();
        match store_once(db, secret, valid, ip_hash.clone(), &reference, now).await {
            Err(Stored::ReferenceTaken) => continue,
            Err(Stored::Failed(SubmitError::Db(err)))
                if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                // Another request with the same idempotency key won the race: answer as it did.
                return match &valid.idempotency_key {
                    Some(key) => replay(db, secret, key, &valid.request_hash, now)
                        .await?
                        .ok_or(SubmitError::Db(err)),
                    None => Err(SubmitError::Db(err)),
                };
            }
            Err(Stored::Failed(err)) => return Err(err),
            Ok(accepted) => return Ok(accepted),
        }
    }
    Err(SubmitError::Db(DbErr::Custom(
        "no free tip reference after 8 draws".into(),
    )))
}

/// How one attempt to store a tip ended, when it did not.
enum Stored {
    /// The drawn reference belongs to another tip; nothing was written.
    ReferenceTaken,
    Failed(SubmitError),
}

impl From<DbErr> for Stored {
    fn from(e: DbErr) -> Self {
        Self::Failed(SubmitError::Db(e))
    }
}

async fn store_once(
    db: &DatabaseConnection,
    secret: &[u8],
    valid: &ValidTip,
    ip_hash: Option<String>,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Accepted, Stored> {
    // On SQLite the transaction's first statement must be a write: a read that later
    // upgrades to a write can fail with SQLITE_BUSY. Both statements below write.
    let txn = db.begin().await?;
    if let Some(key) = &valid.idempotency_key {
        // An expired key may be reused.
        idempotency::forget_expired(&txn, key, now).await?;
    }
    let (concerns_commitment, concerns_focus_area) = match valid.concerns {
        Some(Concerns::Commitment(id)) => (Some(id), valid.concerns_focus_area),
        _ => (None, valid.concerns_focus_area),
    };
    let status = if valid.routed_to.is_some() {
        TipStatus::New
    } else {
        TipStatus::Unrouted
    };
    let point = valid.place.as_ref().and_then(|p| p.point);
    let tip = tip::ActiveModel {
        id: NotSet,
        reference: Set(reference.to_owned()),
        municipality_id: Set(valid.municipality.id),
        kind: Set(valid.kind),
        message: Set(valid.message.as_str().to_owned()),
        concerns_promise_id: Set(valid.concerns_promise),
        concerns_focus_area_id: Set(concerns_focus_area),
        concerns_commitment_id: Set(concerns_commitment),
        routed_contact_id: Set(valid.routed_to.as_ref().map(|c| c.id)),
        routing_reason: Set(valid.reason.as_str().to_owned()),
        status: Set(status),
        name: Set(valid.name.clone()),
        email: Set(valid.email.as_ref().map(ToString::to_string)),
        phone: Set(valid.phone.clone()),
        wants_reply: Set(valid.wants_reply),
        ip_hash: Set(ip_hash),
        received_at: Set(now),
        due_on: Set(due_on(now, valid.municipality.response_days)),
        updated_at: Set(now),
        status_token_hash: Set(Some(sha256_hex(&status_token(secret, reference)))),
        handled_at: Set(None),
        erased_at: Set(None),
        email_hash: Set(valid.email_hash.clone()),
        place_address: Set(valid.place.as_ref().and_then(|p| p.address.clone())),
        place_latitude_e6: Set(point.map(|p| p.latitude_e6)),
        place_longitude_e6: Set(point.map(|p| p.longitude_e6)),
        notify_on_update: Set(valid.notify_on_update),
        reminded_at: Set(None),
        escalated_at: Set(None),
        escalation_flagged: Set(false),
        replied_at: Set(None),
        answered_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|err| match err.sql_err() {
        // The only unique column written here is the reference.
        Some(SqlErr::UniqueConstraintViolation(_)) => Stored::ReferenceTaken,
        _ => Stored::Failed(err.into()),
    })?;

    record_tip_event(&txn, tip.id, now, "resident", None, status, None).await?;
    let mut outbox = Vec::new();
    if let Some(contact) = &valid.routed_to
        && let Some(email) = &contact.email
    {
        outbox.push(pending_delivery(
            tip.id,
            DeliveryKind::Contact,
            Some(contact.name.clone()),
            email.clone(),
            now,
        ));
    }
    if let Some(email) = &valid.email {
        outbox.push(pending_delivery(
            tip.id,
            DeliveryKind::Receipt,
            valid.name.clone(),
            email.to_string(),
            now,
        ));
    }
    if !outbox.is_empty() {
        delivery::Entity::insert_many(outbox).exec(&txn).await?;
    }
    if !valid.photos.is_empty() {
        let rows = valid
            .photos
            .iter()
            .enumerate()
            .map(|(position, p)| tip_photo::ActiveModel {
                id: NotSet,
                tip_id: Set(tip.id),
                position: Set(i16::try_from(position).unwrap_or(i16::MAX)),
                content_type: Set(p.format.content_type().to_owned()),
                width: Set(i32::try_from(p.width).unwrap_or(i32::MAX)),
                height: Set(i32::try_from(p.height).unwrap_or(i32::MAX)),
                bytes: Set(p.bytes.clone()),
            });
        tip_photo::Entity::insert_many(rows).exec(&txn).await?;
    }
    if let Some(key) = &valid.idempotency_key {
        idempotency::remember(&txn, key, &valid.request_hash, tip.id, now).await?;
    }
    txn.commit().await?;
    Ok(Accepted {
        status_token: status_token(secret, &tip.reference),
        tip,
        municipality: valid.municipality.clone(),
        routed_to: valid.routed_to.clone(),
    })
}

/// Append an entry to a tip's history (in the caller's transaction).
pub(crate) async fn record_tip_event(
    txn: &impl ConnectionTrait,
    tip_id: i32,
    at: DateTime<Utc>,
    actor: &str,
    from: Option<TipStatus>,
    to: TipStatus,
    note: Option<String>,
) -> Result<(), DbErr> {
    entity::tip_event::ActiveModel {
        id: NotSet,
        tip_id: Set(tip_id),
        at: Set(at),
        actor: Set(actor.to_owned()),
        from_status: Set(from),
        to_status: Set(to),
        note: Set(note),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// A new outbox row, due at once.
pub fn pending_delivery(
    tip_id: i32,
    kind: DeliveryKind,
    recipient_name: Option<String>,
    recipient_email: String,
    now: DateTime<Utc>,
) -> delivery::ActiveModel {
    delivery::ActiveModel {
        id: NotSet,
        tip_id: Set(tip_id),
        kind: Set(kind),
        recipient_name: Set(recipient_name),
        recipient_email: Set(recipient_email),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
        followup_key: Set(None),
        body: Set(None),
    }
}

/// The working day an answer to a tip received at `received_at` is due: `days` working
/// days after its Swedish calendar date.
pub fn due_on(received_at: DateTime<Utc>, days: i32) -> Option<chrono::NaiveDate> {
    let local = received_at
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    crate::domain::calendar::add_working_days(local, u32::try_from(days.max(0)).ok()?)
}
