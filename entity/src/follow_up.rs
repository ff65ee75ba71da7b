//! Follow-up (uppföljning) of a commitment: what was done and how much.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "follow_up")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub commitment_id: i32,
    pub date: Date,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// How many units of the commitment's target this follow-up reports.
    pub achieved_quantity: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
