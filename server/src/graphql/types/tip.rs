//! Tips (synpunkter, tips och idéer) as the public API shows them.

use async_graphql::{Enum, ID, InputObject, Object, SimpleObject, Upload};
use entity::{contact, municipality, tip};

use super::catalog::{Contact, Municipality};
use super::scalars::DateTime;

/// What a resident sends.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TipKind {
    /// An opinion (synpunkt).
    Opinion,
    /// A tip about something that happens (tips).
    Tip,
    /// An idea (idé).
    Idea,
}

/// Where a tip stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TipStatus {
    /// Received and sent to a contact (ny).
    New,
    /// Received, but no contact could be chosen automatically; staff will route it (ej fördelad).
    Unrouted,
    /// Being handled (under behandling).
    InProgress,
    /// Handled (hanterad).
    Handled,
    /// Closed as not relevant (ej aktuell).
    NotRelevant,
}

crate::mirror_enum!(TipKind <=> entity::TipKind { Opinion, Tip, Idea });
crate::mirror_enum!(TipStatus <=> entity::TipStatus { New, Unrouted, InProgress, Handled, NotRelevant });

/// A resident's submission to `submitTip`.
#[derive(InputObject)]
pub struct SubmitTipInput {
    /// The municipality by kommunkod ("1461") or slug ("mellerud").
    pub municipality: String,
    /// Opinion, tip or idea.
    pub kind: TipKind,
    /// The message, 10–5000 characters after trimming.
    pub message: String,
    /// Id of the promise, focus area or commitment the tip is about.
    pub concerns: Option<ID>,
    /// Id of one of the municipality's public contacts, to send it to that person.
    pub recipient: Option<ID>,
    /// The resident's name (optional).
    pub name: Option<String>,
    /// The resident's email address (optional); a receipt is sent to it.
    pub email: Option<String>,
    /// The resident's telephone number (optional).
    pub phone: Option<String>,
    /// The resident would like an answer; needs an email or a telephone number.
    #[graphql(default)]
    pub wants_reply: bool,
    /// Email the resident when staff take up or close the tip (never the staff's
    /// internal notes); only with an `email`, ignored without one.
    #[graphql(default)]
    pub notify_on_update: bool,
    /// A client-generated key (for example a UUID): the same key within 24 hours returns
    /// the original result instead of sending the tip again.
    pub idempotency_key: Option<String>,
    /// Where the problem is (optional). Shown only to the staff who receive the tip, never
    /// publicly, and erased with the rest of the personal data.
    pub place: Option<PlaceInput>,
    /// Up to 3 photos (JPEG, PNG or WebP; each at most 8 MB and 24 megapixels; 20 MB in
    /// all), sent as a GraphQL multipart request with an `Apollo-Require-Preflight` or
    /// `X-Apollo-Operation-Name` header. Every photo is decoded and encoded anew, so
    /// no metadata (position, camera, thumbnail) is kept. Staff only see them.
    pub photos: Option<Vec<Upload>>,
    /// Use the position the first photo's camera recorded as the tip's place, when
    /// `place` has no position. Otherwise that position is dropped with the metadata.
    #[graphql(default)]
    pub use_photo_location: bool,
}

/// Where the problem is: an address or landmark, a position, or both.
#[derive(InputObject, Clone, Debug)]
pub struct PlaceInput {
    /// Address or landmark, one line, at most 200 characters ("Storgatan vid skolan").
    pub address: Option<String>,
    /// WGS84 latitude in degrees, inside Sweden (55.0–69.1); needs `longitude`.
    pub latitude: Option<f64>,
    /// WGS84 longitude in degrees, inside Sweden (10.5–24.2); needs `latitude`.
    pub longitude: Option<f64>,
}

/// Where a tip's problem is, as the resident gave it (staff only).
#[derive(SimpleObject, Clone, Debug)]
pub struct TipPlace {
    /// Address or landmark.
    pub address: Option<String>,
    /// WGS84 latitude in degrees (six decimals).
    pub latitude: Option<f64>,
    /// WGS84 longitude in degrees (six decimals).
    pub longitude: Option<f64>,
}

impl TipPlace {
    /// The tip's place, if it has one (none after erasure).
    pub fn of(tip: &tip::Model) -> Option<Self> {
        let place = crate::domain::place::Place::stored(
            tip.place_address.as_deref(),
            tip.place_latitude_e6,
            tip.place_longitude_e6,
        )?;
        Some(Self {
            address: place.address,
            latitude: place.point.map(|p| p.latitude()),
            longitude: place.point.map(|p| p.longitude()),
        })
    }
}

/// A received tip, as the resident may see it. Contains no personal data.
pub struct Tip {
    pub tip: tip::Model,
    pub municipality: municipality::Model,
    pub routed_to: Option<contact::Model>,
}

#[Object]
/// A received tip, as the resident may see it. Contains no personal data.
impl Tip {
    /// Short reference to quote in later contact, e.g. "MEL-7K3F-9Q".
    async fn reference(&self) -> &str {
        &self.tip.reference
    }
    /// Where the tip stands.
    async fn status(&self) -> TipStatus {
        self.tip.status.into()
    }
    /// Opinion, tip or idea.
    async fn kind(&self) -> TipKind {
        self.tip.kind.into()
    }
    /// The municipality it was sent to.
    async fn municipality(&self) -> Municipality {
        Municipality(self.municipality.clone())
    }
    /// The public contact it was routed to (name, role, organisation); null when unrouted.
    async fn routed_to(&self) -> Option<Contact> {
        self.routed_to.clone().map(Contact)
    }
    /// When the tip was received.
    async fn received_at(&self) -> DateTime {
        DateTime(self.tip.received_at)
    }
}

/// Result of `submitTip`.
#[derive(SimpleObject)]
pub struct SubmitTipPayload {
    /// The received tip.
    pub tip: Tip,
    /// Private token for `tipStatus`: keep it to check later whether the tip was handled.
    /// Shown only here.
    pub status_token: String,
    /// Short Swedish notice to show the resident: tips are not for emergencies or crime reports.
    pub notice: String,
}
