//! Accepting a tip, top to bottom in [`TipIntake::submit`]: replay, limits, validation,
//! the per-client and per-email windows, storing the tip with its outbox rows and
//! idempotency key in one transaction, the retry after a foreign-key failure, and waking
//! the delivery worker. Nothing here waits for SMTP.
//!
//! Over 600 lines on purpose: the intake reads top to bottom in one file (issue 14). The
//! keyed hashes at the end (`hash_ip`, `hash_email`, `status_token`) could move out.

use std::{net::IpAddr, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{
    DeliveryKind, DeliveryStatus, TipKind, TipStatus, commitment, contact, delivery, focus_area,
    municipality, promise, promise_municipality, server_secret, tip, tip_photo,
};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, Set, SqlErr, TransactionTrait,
};
use sha2::{Digest, Sha256};

use tokio::sync::Notify;

use super::{
    idempotency::{self, Key, Seen},
    routing::RoutingCache,
};
use crate::domain::{
    photo,
    place::{self, Place},
    reference,
    routing::{self, RoutingFacts, RoutingReason},
    tip::{self as rules, Invalid, TipMessage},
};
use crate::ratelimit::{Limit, Refused, TipLimiter};

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

/// What a tip is about, as decoded from a global id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Concerns {
    Promise(i32),
    FocusArea(i32),
    Commitment(i32),
}

/// The submission as the client sent it (ids already decoded).
#[derive(Clone, Debug)]
pub struct TipSubmission {
    pub municipality: String,
    pub kind: TipKind,
    pub message: String,
    pub concerns: Option<Concerns>,
    pub recipient: Option<i32>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub wants_reply: bool,
    /// Email the resident when staff move the tip on; kept only with an email.
    pub notify_on_update: bool,
    pub idempotency_key: Option<String>,
    /// Where the problem is, as given; validated by [`crate::domain::place::parse`].
    pub place: Option<PlaceSubmission>,
    /// Up to [`photo::MAX_PHOTOS`] files as uploaded; cleaned by [`photo::clean`].
    pub photos: Vec<PhotoUpload>,
    /// Make the position a photo's camera wrote the tip's place (when no position is
    /// given); otherwise that position is dropped with the rest of the metadata.
    pub use_photo_location: bool,
}

/// One uploaded file, as the client sent it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PhotoUpload {
    /// The content type the client declared, if any.
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Without the bytes: they are personal data and megabytes long.
impl std::fmt::Debug for PhotoUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoUpload")
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// A place as the client sent it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaceSubmission {
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl TipSubmission {
    /// Fingerprint of everything the client sent except the key itself.
    pub fn request_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.municipality,
            format!("{:?}", self.kind),
            self.message,
            self.concerns.map(|c| format!("{c:?}")),
            self.recipient,
            self.name,
            self.email,
            self.phone,
            self.wants_reply,
            self.place
                .as_ref()
                .map(|p| (&p.address, p.latitude, p.longitude)),
        ]);
        // Appended only when asked for, so keys stored before the field keep their hash.
        let canonical = if self.notify_on_update {
            serde_json::json!([canonical, "notify_on_update"])
        } else {
            canonical
        };
        let canonical = if self.photos.is_empty() {
            canonical
        } else {
            let photos: Vec<String> = self
                .photos
                .iter()
                .map(|p| hex(&Sha256::digest(&p.bytes)))
                .collect();
            serde_json::json!([canonical, photos, self.use_photo_location])
        };
        hex(&Sha256::digest(canonical.to_string().as_bytes()))
    }
}

/// A submission that passed validation, with its routing decided.
#[derive(Clone, Debug)]
pub struct ValidTip {
    pub municipality: municipality::Model,
    pub kind: TipKind,
    pub message: TipMessage,
    pub concerns: Option<Concerns>,
    pub concerns_focus_area: Option<i32>,
    pub concerns_promise: Option<i32>,
    pub name: Option<String>,
    pub email: Option<lettre::Address>,
    pub phone: Option<String>,
    pub wants_reply: bool,
    pub place: Option<Place>,
    /// Cleaned photos, set by [`TipIntake::submit`] once the limits allow the decoding.
    pub photos: Vec<photo::Photo>,
    pub notify_on_update: bool,
    pub idempotency_key: Option<Key>,
    pub request_hash: String,
    pub routed_to: Option<contact::Model>,
    pub reason: RoutingReason,
    /// [`hash_email`] of the resident's address, stored with the tip for the per-email
    /// window; set by the caller, which holds the key.
    pub email_hash: Option<String>,
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

fn invalid(field: &'static str, message: impl Into<String>) -> SubmitError {
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

/// Validate every field and decide the recipient. Reads only; the municipality's
/// routing facts come from `routing` (see [`super::routing`]).
pub async fn validate(
    db: &impl ConnectionTrait,
    routing: &RoutingCache,
    input: &TipSubmission,
) -> Result<ValidTip, SubmitError> {
    let facts = routing
        .get(db, &input.municipality)
        .await?
        .ok_or_else(|| invalid("municipality", "no municipality has that code or slug"))?;
    let municipality = &facts.municipality;
    let message = TipMessage::parse(&input.message)?;
    let name = rules::parse_name(input.name.as_deref())?;
    let email = rules::parse_email(input.email.as_deref())?;
    let phone = rules::parse_phone(input.phone.as_deref())?;
    rules::check_reply(input.wants_reply, email.is_some(), phone.is_some())?;
    let place = match &input.place {
        Some(p) => place::parse(p.address.as_deref(), p.latitude, p.longitude)?,
        None => None,
    };
    photo::check_files(
        input
            .photos
            .iter()
            .map(|p| (p.bytes.as_slice(), p.content_type.as_deref())),
    )?;
    if input.use_photo_location && input.photos.is_empty() {
        return Err(SubmitError::Invalid(crate::domain::Invalid {
            swedish: true,
            ..crate::domain::invalid(
                "usePhotoLocation",
                "Bifoga en bild för att använda bildens position.",
            )
        }));
    }
    let idempotency_key = Key::parse(input.idempotency_key.as_deref())?;

    if let Some(r) = input.recipient
        && !facts.serving.contains(&r)
    {
        return Err(invalid(
            "recipient",
            "the recipient is not a contact of this municipality",
        ));
    }

    // What the tip concerns must be a published part of a promise made in this municipality.
    let (
        mut concerns_promise,
        mut concerns_focus_area,
        mut commitment_contact,
        mut focus_area_contact,
    ) = (None, None, None, None);
    if let Some(concerns) = input.concerns {
        let not_here = || {
            invalid(
                "concerns",
                "that is not part of a promise in this municipality",
            )
        };
        let promise_id = match concerns {
            Concerns::Promise(id) => id,
            Concerns::FocusArea(id) => {
                let fa = focus_area::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or_else(not_here)?;
                concerns_focus_area = Some(fa.id);
                focus_area_contact = fa.contact_id;
                fa.promise_id
            }
            Concerns::Commitment(id) => {
                let c = commitment::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or_else(not_here)?;
                commitment_contact = c.contact_id;
                if let Some(fa_id) = c.focus_area_id {
                    concerns_focus_area = Some(fa_id);
                    focus_area_contact = focus_area::Entity::find_by_id(fa_id)
                        .one(db)
                        .await?
                        .and_then(|fa| fa.contact_id);
                }
                c.promise_id
            }
        };
        let published = promise::Entity::find_by_id(promise_id)
            .filter(promise::Column::Published.eq(true))
            .one(db)
            .await?
            .is_some();
        let in_municipality = promise_municipality::Entity::find()
            .filter(promise_municipality::Column::PromiseId.eq(promise_id))
            .filter(promise_municipality::Column::MunicipalityId.eq(municipality.id))
            .one(db)
            .await?
            .is_some();
        if !published || !in_municipality {
            return Err(not_here());
        }
        concerns_promise = Some(promise_id);
    }

    // A commitment's or focus area's own contact may serve other municipalities only.
    let mut candidates = facts.contacts.clone();
    let missing: Vec<i32> = commitment_contact
        .iter()
        .chain(&focus_area_contact)
        .filter(|id| !candidates.iter().any(|c| c.id == **id))
        .copied()
        .collect();
    if !missing.is_empty() {
        candidates.extend(
            contact::Entity::find()
                .filter(contact::Column::Id.is_in(missing))
                .all(db)
                .await?,
        );
    }
    let reachable: Vec<i32> = candidates
        .iter()
        .filter(|c| crate::domain::contact::accepts_tips(c.email.as_deref()))
        .map(|c| c.id)
        .collect();
    let (routed, reason) = routing::route(&RoutingFacts {
        explicit_recipient: input.recipient,
        focus_area_id: concerns_focus_area,
        commitment_contact,
        focus_area_contact,
        rules: &facts.rules,
        reachable: &reachable,
    });
    let routed_to = routed.and_then(|id| candidates.into_iter().find(|c| c.id == id));

    let notify_on_update = input.notify_on_update && email.is_some();
    Ok(ValidTip {
        notify_on_update,
        municipality: municipality.clone(),
        kind: input.kind,
        message,
        concerns: input.concerns,
        concerns_focus_area,
        concerns_promise,
        name,
        email,
        phone,
        wants_reply: input.wants_reply,
        place,
        photos: Vec::new(),
        idempotency_key,
        request_hash: input.request_hash(),
        routed_to,
        reason,
        email_hash: None,
    })
}

/// One sliding window of `submitTip`: tips stored with `hash` in `limit.window`.
#[derive(Clone, Copy, Debug)]
pub struct Window<'a> {
    pub hash: &'a str,
    pub limit: Limit,
}

/// The database half of the per-client and per-email limits, shared by every replica:
/// when the later of the two windows has room for one more tip, or `None` if both have
/// room now. A window is full when its `count`-th newest tip is still inside it; it
/// frees a slot exactly when that tip leaves, so the answer is the `Retry-After` of the
/// refusal and stays the same instant on every retry (a refused attempt stores nothing).
/// One statement for both windows.
pub async fn windows(
    db: &impl ConnectionTrait,
    per_ip: Option<Window<'_>>,
    per_email: Option<Window<'_>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, Order, Query, SubQueryStatement};
    let windows = [
        (per_ip, tip::Column::IpHash, "ip_full_since"),
        (per_email, tip::Column::EmailHash, "email_full_since"),
    ];
    let mut select = Query::select();
    let mut asked = Vec::new();
    for (window, column, alias) in windows {
        let Some(window) = window else { continue };
        let since = now - window.limit.window;
        let nth = Query::select()
            .column(tip::Column::ReceivedAt)
            .from(tip::Entity)
            .and_where(column.eq(window.hash))
            .and_where(tip::Column::ReceivedAt.gt(since))
            .order_by(tip::Column::ReceivedAt, Order::Desc)
            .limit(1)
            .offset(u64::from(window.limit.count.max(1) - 1))
            .to_owned();
        select.expr_as(
            Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(nth))),
            Alias::new(alias),
        );
        asked.push((alias, window.limit.window));
    }
    if asked.is_empty() {
        return Ok(None);
    }
    let Some(row) = db.query_one(&select).await? else {
        return Ok(None);
    };
    let mut free_at: Option<DateTime<Utc>> = None;
    for (alias, window) in asked {
        let full_since: Option<DateTime<Utc>> = row.try_get("", alias)?;
        if let Some(t) = full_since {
            let at = t + window;
            free_at = Some(free_at.map_or(at, |f| f.max(at)));
        }
    }
    Ok(free_at.filter(|at| *at > now))
}

/// The photo half of the per-client limit, shared by every replica: `None` when `adding`
/// more photos fit in the window beside those of the client's tips still inside it, or
/// when enough of them will have left. More photos than the limit at once never fit.
pub async fn photo_window(
    db: &impl ConnectionTrait,
    ip_hash: &str,
    limit: Limit,
    adding: usize,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    use sea_orm::{JoinType, QueryOrder, QuerySelect};
    let since = now - limit.window;
    let allowed = usize::try_from(limit.count).unwrap_or(usize::MAX);
    // Newest first: the time each of the client's photos in the window was sent.
    let sent: Vec<DateTime<Utc>> = tip_photo::Entity::find()
        .select_only()
        .column(tip::Column::ReceivedAt)
        .join(
            JoinType::InnerJoin,
            tip_photo::Entity::belongs_to(tip::Entity)
                .from(tip_photo::Column::TipId)
                .to(tip::Column::Id)
                .into(),
        )
        .filter(tip::Column::IpHash.eq(ip_hash))
        .filter(tip::Column::ReceivedAt.gt(since))
        .order_by_desc(tip::Column::ReceivedAt)
        .limit(u64::try_from(allowed).unwrap_or(u64::MAX))
        .into_tuple()
        .all(db)
        .await?;
    if sent.len() + adding <= allowed {
        return Ok(None);
    }
    // Room for `adding` once all but `allowed - adding` of them have left.
    let keep = allowed.saturating_sub(adding);
    let free_at = match sent.get(keep) {
        Some(t) => *t + limit.window,
        // More at once than the limit: as long as a whole window.
        None => now + limit.window,
    };
    Ok(Some(free_at))
}

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

/// The key used to hash client IPs: configured, or generated once and stored in the
/// database so every replica uses the same one.
pub async fn ip_hash_key(
    db: &impl ConnectionTrait,
    configured: Option<&str>,
) -> Result<Vec<u8>, DbErr> {
    if let Some(secret) = configured.filter(|s| !s.is_empty()) {
        return Ok(secret.as_bytes().to_vec());
    }
    let generated: [u8; 32] = rand::random();
    server_secret::Entity::insert(server_secret::ActiveModel {
        name: Set("ip_hash".to_owned()),
        value: Set(hex(&generated)),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    let stored = server_secret::Entity::find_by_id("ip_hash".to_owned())
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("server secret ip_hash".into()))?;
    Ok(stored.value.into_bytes())
}

/// HMAC-SHA256 of the address: comparable across replicas, useless without the key.
pub fn hash_ip(key: &[u8], ip: std::net::IpAddr) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
        // HMAC accepts keys of any length; this branch cannot happen.
        #[allow(
            clippy::expect_used,
            reason = "a fixed, compiled-in key of valid length"
        )]
        <Hmac<Sha256> as Mac>::new_from_slice(b"medborgarloften").expect("fixed key")
    });
    mac.update(ip.to_string().as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// HMAC-SHA256 of the email address as mail systems would deliver it (see
/// [`crate::ratelimit::fold_email`]), so variants of one mailbox share a window.
pub fn hash_email(key: &[u8], email: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
        #[allow(
            clippy::expect_used,
            reason = "a fixed, compiled-in key of valid length"
        )]
        <Hmac<Sha256> as Mac>::new_from_slice(b"medborgarloften").expect("fixed key")
    });
    mac.update(b"email:");
    mac.update(crate::ratelimit::fold_email(email).as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The resident's private token for a tip: an HMAC of its reference with the server
/// secret, so it can be given again on an idempotent replay without being stored.
pub fn status_token(secret: &[u8], reference: &str) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| {
        #[allow(
            clippy::expect_used,
            reason = "a fixed, compiled-in key of valid length"
        )]
        <Hmac<Sha256> as Mac>::new_from_slice(b"medborgarloften").expect("fixed key")
    });
    mac.update(b"status-token:");
    mac.update(reference.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The working day an answer to a tip received at `received_at` is due: `days` working
/// days after its Swedish calendar date.
pub fn due_on(received_at: DateTime<Utc>, days: i32) -> Option<chrono::NaiveDate> {
    let local = received_at
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    crate::domain::calendar::add_working_days(local, u32::try_from(days.max(0)).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_hashes_are_keyed() {
        let ip: std::net::IpAddr = "203.0.113.5".parse().expect("ip");
        let a = hash_ip(b"key-a", ip);
        assert_eq!(a.len(), 64);
        assert_eq!(a, hash_ip(b"key-a", ip));
        assert_ne!(a, hash_ip(b"key-b", ip));
        assert!(!a.contains("203"));
    }

    #[test]
    fn email_hashes_fold_variants_and_hide_the_address() {
        let a = hash_email(b"key-a", "erika@exempel.se");
        assert_eq!(a.len(), 64);
        assert_eq!(a, hash_email(b"key-a", "Erika+x@Exempel.SE"));
        assert_eq!(a, hash_email(b"key-a", "ｅｒｉｋａ@ｅｘｅｍｐｅｌ.ｓｅ"));
        assert_ne!(a, hash_email(b"key-b", "erika@exempel.se"));
        assert_ne!(a, hash_email(b"key-a", "erik@exempel.se"));
        assert_ne!(a, hash_ip(b"key-a", "203.0.113.5".parse().expect("ip")));
        assert!(!a.contains("erika"));
    }
}
