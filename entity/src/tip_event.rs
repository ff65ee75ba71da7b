//! One step in a tip's history: a status change with an optional internal note.

use sea_orm::entity::prelude::*;

use crate::enums::TipStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tip_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tip_id: i32,
    pub at: DateTimeUtc,
    /// Who did it: a token's name, or "resident" / "system".
    pub actor: String,
    pub from_status: Option<TipStatus>,
    pub to_status: TipStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
