//! Commitment (aktivitet / åtagande / "polisen lovar att").
//!
//! It belongs to a focus area, or directly to the promise when the page lists promises
//! by party without focus areas. `promise_id` is always set so filters need no join.

use sea_orm::entity::prelude::*;

use crate::enums::{CommitmentStatus, ResponsibleParty, TargetPeriod};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "commitment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub promise_id: i32,
    pub focus_area_id: Option<i32>,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub responsible: ResponsibleParty,
    pub status: CommitmentStatus,
    /// Measurable target: all three are set together or none is.
    pub target_quantity: Option<i32>,
    pub target_unit: Option<String>,
    pub target_period: Option<TargetPeriod>,
    pub contact_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
