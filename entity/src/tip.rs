//! A resident's tip (synpunkt, tips eller idé), routed to a contact.

use sea_orm::entity::prelude::*;

use crate::enums::{TipKind, TipStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tip")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Short public reference such as `MEL-7K3F-9Q`.
    #[sea_orm(unique)]
    pub reference: String,
    pub municipality_id: i32,
    pub kind: TipKind,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub concerns_promise_id: Option<i32>,
    pub concerns_focus_area_id: Option<i32>,
    pub concerns_commitment_id: Option<i32>,
    pub routed_contact_id: Option<i32>,
    /// Why the tip went where it went (a `RoutingReason` name).
    pub routing_reason: String,
    pub status: TipStatus,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub wants_reply: bool,
    /// HMAC of the client IP with a server secret; never the address itself.
    pub ip_hash: Option<String>,
    pub received_at: DateTimeUtc,
    /// The working day an answer is due: `response_days` after the Swedish date of
    /// receipt. Fixed when the tip is accepted; `None` for tips from before targets.
    pub due_on: Option<Date>,
    pub updated_at: DateTimeUtc,
    /// SHA-256 of the resident's private status token.
    pub status_token_hash: Option<String>,
    /// When the tip reached `HANDLED` or `NOT_RELEVANT`.
    pub handled_at: Option<DateTimeUtc>,
    /// When the personal data (message, name, email, phone, IP hash) was erased.
    pub erased_at: Option<DateTimeUtc>,
    /// HMAC of the folded email address with a server secret (the per-email window of
    /// `submitTip`); never the address itself.
    pub email_hash: Option<String>,
    /// Where the problem is, as the resident wrote it ("Storgatan vid skolan").
    pub place_address: Option<String>,
    /// WGS84 position in whole microdegrees (1e-6°), inside Sweden; both or neither.
    pub place_latitude_e6: Option<i32>,
    pub place_longitude_e6: Option<i32>,
    /// The resident asked for an email when staff move the tip on (only with an email).
    pub notify_on_update: bool,
    /// When the follow-up job reminded the recipient (the tip was still `NEW` on its
    /// due date); set once, by the job that claimed the step.
    pub reminded_at: Option<DateTimeUtc>,
    /// When the tip was escalated (still `NEW` some working days after its due date).
    pub escalated_at: Option<DateTimeUtc>,
    /// Escalated, but there was nobody else to send it to: the recipient is the
    /// municipality's default and no admin address is configured. Staff see the flag.
    pub escalation_flagged: bool,
    /// When staff last wrote a reply to the resident (the status page says so, never
    /// what it said).
    pub replied_at: Option<DateTimeUtc>,
    /// When staff first moved the tip out of `NEW`: the answer the response target
    /// measures (`tipStatistics`).
    pub answered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
