//! One change made by staff through the API: who, when, what, and the row before and after.
//! Append-only; nothing in the service updates or deletes these rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: DateTimeUtc,
    /// The token's name at the time, or "cli".
    pub actor: String,
    pub token_id: Option<i32>,
    /// CREATE, UPDATE, DELETE, PUBLISH, UNPUBLISH or REORDER.
    pub action: String,
    /// Table-like name of what changed: "promise", "focus_area", "contact", ...
    pub entity_type: String,
    pub entity_id: i32,
    /// The promise the change belongs to, for changes to a promise or its parts.
    pub promise_id: Option<i32>,
    /// JSON snapshot before the change; null for a creation.
    #[sea_orm(column_type = "Text", nullable)]
    pub before: Option<String>,
    /// JSON snapshot after the change; null for a deletion.
    #[sea_orm(column_type = "Text", nullable)]
    pub after: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
