//! Tips (synpunkter, tips och idéer) as the public API shows them.

use async_graphql::{Enum, ID, InputObject, Object, SimpleObject};
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
#[derive(InputObject, Clone, Debug)]
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
    /// A client-generated key (for example a UUID): the same key within 24 hours returns
    /// the original result instead of sending the tip again.
    pub idempotency_key: Option<String>,
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
