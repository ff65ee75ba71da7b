//! One email to send (transactional outbox row), written in the same transaction as its
//! tip and sent later by the delivery worker.

use sea_orm::entity::prelude::*;

use crate::enums::{DeliveryKind, DeliveryStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tip_id: i32,
    pub kind: DeliveryKind,
    pub recipient_name: Option<String>,
    pub recipient_email: String,
    pub status: DeliveryStatus,
    /// Attempts started so far (counted when claimed, so a crash counts too).
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Lease: while in the future, one worker owns the row.
    pub locked_until: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// `reminder` or `escalation` for the follow-up job's rows: unique per tip, so each
    /// is enqueued once whichever replica gets there first. `None` for other rows.
    pub followup_key: Option<String>,
    /// What this row carries besides the tip: a staff reply's text, or the status an
    /// update reports. Erased with the tip's personal data.
    #[sea_orm(column_type = "Text", nullable)]
    pub body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
