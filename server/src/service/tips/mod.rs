//! Accepting a tip, top to bottom in [`TipIntake::submit`]: replay, limits, validation,
//! the per-client and per-email windows, storing the tip with its outbox rows and
//! idempotency key in one transaction, the retry after a foreign-key failure, and waking
//! the delivery worker. Nothing here waits for SMTP.
//!
//! The steps live in submodules in the order `submit` takes them: `submission` (what the
//! client sent, and its validation), `windows` (the limits shared through the database),
//! `store` (the transaction) and `keys` (the keyed hashes of addresses and tokens).

mod keys;
mod store;
mod submission;
mod windows;

pub use keys::*;
pub use store::*;
pub use submission::*;
pub use windows::*;

use std::{net::IpAddr, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{TipKind, TipStatus, contact, municipality, tip};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, SqlErr,
};

use tokio::sync::Notify;

use super::{
    idempotency::{self, Key, Seen},
    routing::RoutingCache,
};
use crate::domain::{
    photo,
    place::{self, Place},
    tip::Invalid,
};
use crate::ratelimit::{Refused, TipLimiter};

/// What the intake needs besides the database; one per process.
#[derive(Clone)]
pub struct TipIntake {
    /// The in-memory limits, and every limit's configuration.
    pub limiter: Arc<TipLimiter>,
    pub ip_hash_key: Vec<u8>,
    /// Wakes the delivery worker at once for a new tip.
    pub wake_worker: Arc<Notify>,
    /// Municipalities' contacts and routing rules, kept per catalogue generation.
    pub routing: Arc<RoutingCache>,
    /// What time it is: the system clock, or one a test sets. Every door that accepts
    /// tips or changes them takes `now` from here.
    pub clock: crate::clock::Clock,
}

impl TipIntake {
    /// Accept one submission from `client` (the address the request came from).
    ///
    /// Validation comes first and spends no quota; an invalid submission only spends the
    /// client's own invalid-attempt budget. A replay of a stored tip is answered before
    /// any limit. A valid submission is then checked against the per-client and
    /// per-email windows in the database (which a refusal does not extend), and last
    /// against this replica's global ceiling.
    pub async fn submit(
        &self,
        db: &DatabaseConnection,
        client: Option<IpAddr>,
        submission: TipSubmission,
        now: DateTime<Utc>,
    ) -> Result<Accepted, SubmitError> {
        let client = client.map(|ip| self.limiter.key(ip));
        // 1. Replay or validate; reads only.
        let checked = match self.checked(db, &submission, now).await {
            Ok(checked) => checked,
            Err(err @ SubmitError::Invalid(_)) => {
                self.spend_invalid(client)?;
                return Err(err);
            }
            Err(err) => return Err(err),
        };
        let valid = match checked {
            Checked::Replay(original) => return Ok(*original),
            Checked::Valid(valid) => *valid,
        };
        // 2. Both windows, counted across every replica, in one statement.
        let limits = self.limiter.limits();
        let ip_hash = client.map(|ip| hash_ip(&self.ip_hash_key, ip));
        let email_hash = valid
            .email
            .as_ref()
            .map(|email| hash_email(&self.ip_hash_key, email.as_ref()));
        let free_at = windows(
            db,
            ip_hash.as_deref().map(|hash| Window {
                hash,
                limit: limits.per_ip,
            }),
            email_hash.as_deref().map(|hash| Window {
                hash,
                limit: limits.per_email,
            }),
            now,
        )
        .await?;
        let free_at = match (&ip_hash, submission.photos.len()) {
            (Some(hash), n) if n > 0 => {
                let photos_free_at = photo_window(db, hash, limits.photos_per_ip, n, now).await?;
                free_at.max(photos_free_at)
            }
            _ => free_at,
        };
        if let Some(free_at) = free_at {
            let retry_after = (free_at - now).to_std().unwrap_or(Duration::from_secs(1));
            return Err(SubmitError::RateLimited { retry_after });
        }
        // 3. Photos: decoding is the costly part of a tip, so it comes after the
        // client's windows and before the replica's ceiling is spent.
        let (photos, photo_place) = match self.clean_photos(&submission, &valid).await {
            Ok(cleaned) => cleaned,
            Err(err @ SubmitError::Invalid(_)) => {
                // A file that fails to decode cost the decoding: it spends the client's
                // invalid-attempt budget like any other invalid input.
                self.spend_invalid(client)?;
                return Err(err);
            }
            Err(err) => return Err(err),
        };
        // 4. This replica's ceiling.
        self.limiter.check_global()?;
        // 5. Store; once more after a foreign-key failure.
        let mut valid = ValidTip {
            email_hash: email_hash.clone(),
            photos,
            place: photo_place.or(valid.place),
            ..valid
        };
        let mut stored = store(db, &self.ip_hash_key, &valid, ip_hash.clone(), now).await;
        if let Err(SubmitError::Db(err)) = &stored
            && matches!(
                err.sql_err(),
                Some(SqlErr::ForeignKeyConstraintViolation(_))
            )
        {
            // Routed by a snapshot older than an edit made on another replica (a contact
            // deleted within the last poll interval): route again from the database.
            self.routing.forget();
            let photos = std::mem::take(&mut valid.photos);
            let place = valid.place.take();
            valid = validate(db, &self.routing, &submission).await?;
            valid.email_hash = email_hash;
            valid.photos = photos;
            valid.place = place;
            stored = store(db, &self.ip_hash_key, &valid, ip_hash, now).await;
        }
        let accepted = stored?;
        // 6. The worker sends at once.
        self.wake_worker.notify_one();
        tracing::info!(
            reference = %accepted.tip.reference,
            kind = ?accepted.tip.kind,
            routed = accepted.routed_to.is_some(),
            "tip accepted"
        );
        Ok(accepted)
    }

    /// Count an invalid submission against the client's invalid-attempt budget: past
    /// it, the client learns nothing more from validation (`RateLimited` instead). Also
    /// for input the API layer could not translate (a malformed id).
    pub fn spend_invalid(&self, client: Option<IpAddr>) -> Result<(), SubmitError> {
        match client {
            Some(ip) => Ok(self.limiter.check_invalid(ip)?),
            None => Ok(()),
        }
    }

    /// Decode and re-encode the photos on blocking threads, a few at a time across the
    /// process (each can take a second and a hundred megabytes). Returns them with the
    /// place taken from the first photo's camera position, when the resident asked for
    /// it and gave no position of their own.
    async fn clean_photos(
        &self,
        submission: &TipSubmission,
        valid: &ValidTip,
    ) -> Result<(Vec<photo::Photo>, Option<Place>), SubmitError> {
        if submission.photos.is_empty() {
            return Ok((Vec::new(), None));
        }
        let has_point = valid.place.as_ref().is_some_and(|p| p.point.is_some());
        let wants_location = submission.use_photo_location && !has_point;
        // The position is read before anything is decoded: asked for but absent, the
        // tip is refused without the cost of decoding.
        let location = if wants_location {
            let found = submission
                .photos
                .iter()
                .find_map(|p| photo::location(&p.bytes));
            let Some(found) = found else {
                return Err(SubmitError::Invalid(crate::domain::Invalid {
                    swedish: true,
                    ..crate::domain::invalid(
                        "usePhotoLocation",
                        "Bilderna har ingen position. Avmarkera rutan eller skriv var det är.",
                    )
                }));
            };
            Some(found)
        } else {
            None
        };
        let permit = PHOTO_DECODING
            .acquire()
            .await
            .map_err(|_| SubmitError::Db(DbErr::Custom("photo decoding closed".into())))?;
        let uploads = submission.photos.clone();
        // The permit goes with the work: a request that is cancelled (a client gone, a
        // timeout) does not free its slot while its photos are still being decoded.
        let cleaned = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            uploads
                .iter()
                .enumerate()
                .map(|(i, p)| photo::clean(i, &p.bytes, p.content_type.as_deref()))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|_| {
            // A decoder that panicked: the file is unreadable, never a server fault.
            SubmitError::Invalid(crate::domain::Invalid {
                swedish: true,
                ..crate::domain::invalid("photos", "En av bilderna kunde inte läsas.")
            })
        })??;
        let place = match location {
            Some((latitude, longitude)) => {
                let address = valid.place.as_ref().and_then(|p| p.address.as_deref());
                place::parse(address, Some(latitude), Some(longitude))?
            }
            None => None,
        };
        Ok((cleaned, place))
    }

    /// Decode and validate; reads only, spends no quota. The key is validated before it
    /// is looked up, and a replay is answered before the rest is validated.
    async fn checked(
        &self,
        db: &DatabaseConnection,
        submission: &TipSubmission,
        now: DateTime<Utc>,
    ) -> Result<Checked, SubmitError> {
        if let Some(key) = Key::parse(submission.idempotency_key.as_deref())?
            && let Some(original) =
                replay(db, &self.ip_hash_key, &key, &submission.request_hash(), now).await?
        {
            return Ok(Checked::Replay(Box::new(original)));
        }
        let valid = validate(db, &self.routing, submission).await?;
        Ok(Checked::Valid(Box::new(valid)))
    }
}

/// How many photos are decoded at once in this process: the rest wait their turn, so a
/// burst of uploads cannot take every core or gigabytes of memory.
static PHOTO_DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A tip's public state by its reference alone (the Open311 door's status): the kind,
/// status and times, never its content. `None` when no tip has that reference.
pub async fn public_state(
    db: &impl ConnectionTrait,
    reference: &str,
) -> Result<Option<PublicState>, DbErr> {
    Ok(tip::Entity::find()
        .filter(tip::Column::Reference.eq(reference))
        .one(db)
        .await?
        .map(|t| PublicState {
            reference: t.reference,
            kind: t.kind,
            status: t.status,
            received_at: t.received_at,
            updated_at: t.updated_at,
        }))
}

/// What anybody holding a tip's reference may learn of it.
#[derive(Clone, Debug)]
pub struct PublicState {
    pub reference: String,
    pub kind: TipKind,
    pub status: TipStatus,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A submission after validation.
enum Checked {
    /// An idempotent replay of a stored tip: answered as before, no limit applies.
    Replay(Box<Accepted>),
    Valid(Box<ValidTip>),
}

/// Why a submission was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the idempotency key was used for a different submission")]
    IdempotencyConflict,
    /// Over a limit; free again after `retry_after`.
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<Refused> for SubmitError {
    fn from(refused: Refused) -> Self {
        Self::RateLimited {
            retry_after: refused.retry_after,
        }
    }
}

pub(super) fn invalid(field: &'static str, message: impl Into<String>) -> SubmitError {
    SubmitError::Invalid(Invalid {
        field,
        message: message.into(),
        params: Vec::new(),
        swedish: false,
    })
}

/// A stored tip and what the API shows of it.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The resident's private token for `tipStatus`; derived, so a replay returns it too.
    pub status_token: String,
    pub tip: tip::Model,
    pub municipality: municipality::Model,
    pub routed_to: Option<contact::Model>,
}

/// If the key was used within the window: the original tip, or a conflict when the
/// request differs.
pub async fn replay(
    db: &impl ConnectionTrait,
    secret: &[u8],
    key: &Key,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Accepted>, SubmitError> {
    match idempotency::lookup(db, key, request_hash, now).await? {
        Seen::New => Ok(None),
        Seen::Conflict => Err(SubmitError::IdempotencyConflict),
        Seen::Replay { tip_id } => Ok(load_accepted(db, secret, tip_id).await?),
    }
}

async fn load_accepted(
    db: &impl ConnectionTrait,
    secret: &[u8],
    tip_id: i32,
) -> Result<Option<Accepted>, DbErr> {
    let Some(tip) = tip::Entity::find_by_id(tip_id).one(db).await? else {
        return Ok(None);
    };
    let Some(municipality) = municipality::Entity::find_by_id(tip.municipality_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let routed_to = match tip.routed_contact_id {
        Some(id) => contact::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(Some(Accepted {
        status_token: status_token(secret, &tip.reference),
        tip,
        municipality,
        routed_to,
    }))
}
