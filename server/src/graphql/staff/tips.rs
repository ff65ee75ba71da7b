//! A tip as staff see it: its deliveries, history and photos; the resident's status
//! answer and the public statistics.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use entity::{delivery, tip, tip_event};

use crate::graphql::{
    context::{db, loader},
    errors::ApiResult,
    loaders::{ContactById, MunicipalityById, PhotosOfTip},
    types::{Date, DateTime, TipKind, TipStatus},
};
use crate::service::staff;

use super::clock;

crate::connection_types!(
    StaffTipConnection,
    StaffTipEdge,
    StaffTip,
    "tips (staff view)"
);

/// Filters of the staff tip inbox.
#[derive(InputObject, Default)]
pub struct TipFilter {
    /// Municipality by kommunkod or slug.
    pub municipality: Option<String>,
    /// Only tips in this status.
    pub status: Option<TipStatus>,
    /// Only tips of this kind.
    pub kind: Option<TipKind>,
    /// Received at or after this time.
    pub received_after: Option<DateTime>,
    /// Received before this time.
    pub received_before: Option<DateTime>,
    /// Only overdue tips (true: still NEW after their due date) or only the others (false).
    pub overdue: Option<bool>,
}

/// A tip as staff see it, with the resident's message and contact details.
#[derive(Clone)]
pub struct StaffTip(pub tip::Model);

#[Object]
/// A tip as staff see it, with the resident's message and contact details.
impl StaffTip {
    /// Globally unique, opaque id; `node(id:)` returns the tip to staff who may see it.
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::ids::encode(crate::graphql::ids::NodeType::Tip, self.0.id)
    }
    /// Reference, e.g. "MEL-7K3F-9Q".
    async fn reference(&self) -> &str {
        &self.0.reference
    }
    /// Triage status.
    async fn status(&self) -> TipStatus {
        self.0.status.into()
    }
    /// Opinion, tip or idea.
    async fn kind(&self) -> TipKind {
        self.0.kind.into()
    }
    /// The resident's message.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The resident's name, if given.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// The resident's email, if given.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The resident's telephone number, if given.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// The resident would like an answer.
    async fn wants_reply(&self) -> bool {
        self.0.wants_reply
    }
    /// Where the problem is, if the resident said; null after erasure.
    async fn place(&self) -> Option<crate::graphql::types::TipPlace> {
        crate::graphql::types::TipPlace::of(&self.0)
    }
    /// Name of the municipality.
    async fn municipality(&self, ctx: &Context<'_>) -> ApiResult<String> {
        // Batched across the page, like every list the catalogue loads.
        let m = loader(ctx)?
            .load_one(MunicipalityById(self.0.municipality_id))
            .await?;
        Ok(m.map(|m| m.name).unwrap_or_default())
    }
    /// Name of the contact it was routed to; null when unrouted.
    async fn routed_to(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let Some(id) = self.0.routed_contact_id else {
            return Ok(None);
        };
        let c = loader(ctx)?.load_one(ContactById(id)).await?;
        Ok(c.map(|c| c.name))
    }
    /// When it was received.
    async fn received_at(&self) -> DateTime {
        DateTime(self.0.received_at)
    }
    /// The working day an answer is due (the municipality's `responseDays` after the
    /// Swedish date of receipt, weekends and holidays skipped); null for tips received
    /// before response targets existed.
    async fn due_on(&self) -> Option<Date> {
        self.0.due_on.map(Date)
    }
    /// Still waiting for a first answer (`NEW`) after its due date.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        crate::service::followup::is_overdue(&self.0, clock(ctx).today())
    }
    /// When staff first moved it out of NEW (the answer the response target measures).
    async fn answered_at(&self) -> Option<DateTime> {
        self.0.answered_at.map(DateTime)
    }
    /// When its recipient was reminded (still NEW on the due date).
    async fn reminded_at(&self) -> Option<DateTime> {
        self.0.reminded_at.map(DateTime)
    }
    /// When it was escalated (still NEW `ESCALATION_AFTER_WORKING_DAYS` after the due date).
    async fn escalated_at(&self) -> Option<DateTime> {
        self.0.escalated_at.map(DateTime)
    }
    /// Escalated with nobody else to send it to (the recipient is the municipality's
    /// default and no `ADMIN_ESCALATION_EMAIL` is set): needs someone's attention.
    async fn escalation_flagged(&self) -> bool {
        self.0.escalation_flagged
    }
    /// The resident asked for an email when the tip moves on.
    async fn notify_on_update(&self) -> bool {
        self.0.notify_on_update
    }
    /// When staff last sent the resident a reply (`replyToResident`).
    async fn replied_at(&self) -> Option<DateTime> {
        self.0.replied_at.map(DateTime)
    }
    /// When it was closed (handled or not relevant).
    async fn handled_at(&self) -> Option<DateTime> {
        self.0.handled_at.map(DateTime)
    }
    /// When its personal data was erased (retention or request); the message is then empty.
    async fn erased_at(&self) -> Option<DateTime> {
        self.0.erased_at.map(DateTime)
    }
    /// Photos the resident attached (none after erasure), batched across a page. Each
    /// `url` is served only to staff who may see the tip, with the same token.
    async fn photos(&self, ctx: &Context<'_>) -> ApiResult<Vec<TipPhoto>> {
        let photos = loader(ctx)?.load_one(PhotosOfTip(self.0.id)).await?;
        Ok(photos
            .unwrap_or_default()
            .into_iter()
            .map(|p| TipPhoto {
                url: p.path(&self.0.reference),
                content_type: p.content_type,
                width: p.width,
                height: p.height,
            })
            .collect())
    }
    /// Emails sent for this tip.
    async fn deliveries(&self, ctx: &Context<'_>) -> ApiResult<Vec<Delivery>> {
        let rows = staff::deliveries(db(ctx)?, self.0.id).await?;
        Ok(rows.into_iter().map(Delivery).collect())
    }
    /// Status changes with internal notes, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<TipEvent>> {
        let rows = staff::history(db(ctx)?, self.0.id).await?;
        Ok(rows.into_iter().map(TipEvent).collect())
    }
}

/// A photo on a tip: re-encoded, without any metadata.
#[derive(SimpleObject, Clone, Debug)]
pub struct TipPhoto {
    /// Where to fetch it, relative to this server (`/staff/tips/{reference}/photos/1`),
    /// with the staff token used here or a signed-in inbox session.
    pub url: String,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

/// Delivery state of one email.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting to be sent or retried.
    Pending,
    /// Sent.
    Sent,
    /// Given up: refused permanently (5xx, or a message that cannot be built) or after the maximum number of attempts.
    Dead,
}

crate::mirror_enum!(DeliveryStatus <=> entity::DeliveryStatus { Pending, Sent, Dead });

/// Which message an email is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryKind {
    /// The tip, to the contact it was routed to (or rerouted to).
    Contact,
    /// The receipt, to the resident.
    Receipt,
    /// The reminder to the recipient: still NEW on the due date.
    Reminder,
    /// The escalation to the municipality's default recipient or the admins.
    Escalation,
    /// A status update to the resident, who asked for them.
    Update,
    /// A reply from staff to the resident.
    Reply,
}

crate::mirror_enum!(DeliveryKind <=> entity::DeliveryKind { Contact, Receipt, Reminder, Escalation, Update, Reply });

/// One email sent for a tip.
pub struct Delivery(delivery::Model);

#[Object]
/// One email sent for a tip.
impl Delivery {
    /// Whether it went to the contact or is the resident's receipt.
    async fn to_contact(&self) -> bool {
        self.0.kind == entity::DeliveryKind::Contact
    }
    /// Which message it is.
    async fn kind(&self) -> DeliveryKind {
        self.0.kind.into()
    }
    /// Recipient name.
    async fn recipient_name(&self) -> Option<&str> {
        self.0.recipient_name.as_deref()
    }
    /// Delivery state.
    async fn status(&self) -> DeliveryStatus {
        self.0.status.into()
    }
    /// Attempts made.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Last error, if any attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When it was sent.
    async fn sent_at(&self) -> Option<DateTime> {
        self.0.sent_at.map(DateTime)
    }
}

/// A step in a tip's history.
pub struct TipEvent(tip_event::Model);

#[Object]
/// A step in a tip's history.
impl TipEvent {
    /// When.
    async fn at(&self) -> DateTime {
        DateTime(self.0.at)
    }
    /// Who: a token's name, or "resident".
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// Status before; null for the submission.
    async fn from_status(&self) -> Option<TipStatus> {
        self.0.from_status.map(Into::into)
    }
    /// Status after.
    async fn to_status(&self) -> TipStatus {
        self.0.to_status.into()
    }
    /// Internal note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

/// What a resident may learn about their tip: nothing of its content.
#[derive(SimpleObject)]
pub struct TipStatusResult {
    /// Triage status.
    pub status: TipStatus,
    /// When it was handled, if it has been.
    pub handled_at: Option<DateTime>,
    /// When staff last sent a reply to the resident's email (never what it said).
    pub reply_sent_at: Option<DateTime>,
    /// The municipality's target: an answer within this many working days.
    pub response_days: i32,
    /// The working day an answer is due; null for tips from before response targets.
    pub due_on: Option<Date>,
}

/// Tips of one kind received in one month.
#[derive(SimpleObject)]
pub struct TipCount {
    /// Month, "YYYY-MM".
    pub month: String,
    /// Kind of tip.
    pub kind: TipKind,
    /// Number of tips (always at least 5; smaller groups are left out).
    pub count: u64,
}

/// Anonymous statistics about tips. Groups of fewer than 5 tips are never shown, so no
/// one can be singled out.
#[derive(SimpleObject)]
pub struct TipStatistics {
    /// Tips received in the period, widened to whole calendar months (UTC); null when
    /// fewer than 5, or when a small group could be worked out from it.
    pub total_count: Option<u64>,
    /// Counts per month and kind, leaving out groups of fewer than 5 and, where needed,
    /// more, so that no small group can be worked out by subtraction.
    pub counts: Vec<TipCount>,
    /// Share of tips closed (handled or not relevant), 0 to 1; null when `totalCount` is
    /// null or some month has fewer than 5 closed or fewer than 5 open tips.
    pub share_handled: Option<f64>,
    /// Median hours from receipt to closing; null when fewer than 5 tips were closed.
    pub median_hours_to_handled: Option<f64>,
    /// Share of the tips whose due date has come that were answered (moved out of NEW)
    /// by their due date, 0 to 1; null when `totalCount` is null or some month has
    /// fewer than 5 answered in time or fewer than 5 not.
    pub share_answered_within_target: Option<f64>,
}
