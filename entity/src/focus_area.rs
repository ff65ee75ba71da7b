//! Focus area (fokusområde) of a promise.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "focus_area")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub promise_id: i32,
    /// Stable key, unique within the promise.
    pub key: String,
    pub position: i32,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// The contact responsible for this focus area, if one is named.
    pub contact_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
