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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
