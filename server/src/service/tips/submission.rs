//! What a client sends, and its validation into a [`ValidTip`] with its recipient.

use entity::{
    TipKind, commitment, contact, focus_area, municipality, promise, promise_municipality,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::domain::{
    photo,
    place::{self, Place},
    routing::{self, RoutingFacts, RoutingReason},
    tip::{self as rules, TipMessage},
};
use crate::service::{idempotency::Key, routing::RoutingCache};

use super::{SubmitError, invalid, keys::hex};

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
    /// Cleaned photos, set by [`super::TipIntake::submit`] once the limits allow the decoding.
    pub photos: Vec<photo::Photo>,
    pub notify_on_update: bool,
    pub idempotency_key: Option<Key>,
    pub request_hash: String,
    pub routed_to: Option<contact::Model>,
    pub reason: RoutingReason,
    /// [`super::hash_email`] of the resident's address, stored with the tip for the per-email
    /// window; set by the caller, which holds the key.
    pub email_hash: Option<String>,
}

/// Validate every field and decide the recipient. Reads only; the municipality's
/// routing facts come from `routing` (see [`crate::service::routing`]).
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
