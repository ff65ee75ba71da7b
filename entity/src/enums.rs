//! Enumerations stored as short upper-case strings, so the database stays readable and
//! portable between SQLite and PostgreSQL (no native enum types to migrate).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Who carries out a commitment (ansvarig part).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResponsibleParty {
    #[sea_orm(string_value = "POLICE")]
    Police,
    #[sea_orm(string_value = "MUNICIPALITY")]
    Municipality,
    #[sea_orm(string_value = "JOINT")]
    Joint,
}

/// Where a commitment stands (status för aktiviteten).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CommitmentStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "NOT_DONE")]
    NotDone,
}

/// The period a measurable target is counted over.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetPeriod {
    /// Per calendar year (per år).
    #[sea_orm(string_value = "YEAR")]
    Year,
    /// Per school year (per läsår).
    #[sea_orm(string_value = "SCHOOL_YEAR")]
    SchoolYear,
    /// Once over the whole validity of the promise.
    #[sea_orm(string_value = "PROMISE_PERIOD")]
    PromisePeriod,
}

/// The kind of organisation a contact works for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganisationKind {
    #[sea_orm(string_value = "POLICE")]
    Police,
    #[sea_orm(string_value = "MUNICIPALITY")]
    Municipality,
}

/// What a resident sends (synpunkt, tips, idé).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TipKind {
    #[sea_orm(string_value = "OPINION")]
    Opinion,
    #[sea_orm(string_value = "TIP")]
    Tip,
    #[sea_orm(string_value = "IDEA")]
    Idea,
}

/// Where a tip stands. `UNROUTED` tips had no contact with an email and wait for staff.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TipStatus {
    #[sea_orm(string_value = "NEW")]
    New,
    #[sea_orm(string_value = "UNROUTED")]
    Unrouted,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "HANDLED")]
    Handled,
    #[sea_orm(string_value = "NOT_RELEVANT")]
    NotRelevant,
}

/// Which message a delivery carries.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryKind {
    /// The tip, to the contact it was routed to.
    #[sea_orm(string_value = "CONTACT")]
    Contact,
    /// The receipt, to the resident.
    #[sea_orm(string_value = "RECEIPT")]
    Receipt,
    /// A reminder to the recipient: the tip is still `NEW` on its due date.
    #[sea_orm(string_value = "REMINDER")]
    Reminder,
    /// The tip, escalated to the municipality's default recipient or the admins.
    #[sea_orm(string_value = "ESCALATION")]
    Escalation,
    /// To the resident: staff moved the tip on (the new status is in `body`).
    #[sea_orm(string_value = "UPDATE")]
    Update,
    /// To the resident: a reply written by staff (its text is in `body`).
    #[sea_orm(string_value = "REPLY")]
    Reply,
}

impl DeliveryKind {
    /// Goes to the resident (and so carries their address, erased with the tip).
    pub fn to_resident(self) -> bool {
        matches!(self, Self::Receipt | Self::Update | Self::Reply)
    }
}

/// State of one outbox row.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "DEAD")]
    Dead,
}

/// What a staff token may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum StaffRole {
    /// Everything.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// Promises, contacts and routing rules of its municipalities.
    #[sea_orm(string_value = "EDITOR")]
    Editor,
    /// Reads and triages the tips routed to its contact or municipalities.
    #[sea_orm(string_value = "RECIPIENT")]
    Recipient,
}
