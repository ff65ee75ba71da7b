//! A person who signed a promise (undertecknare).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "signatory")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub promise_id: i32,
    pub position: i32,
    pub name: String,
    pub title: String,
    pub organisation: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
