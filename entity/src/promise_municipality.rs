//! The municipalities a promise is made in (one or more).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promise_municipality")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub promise_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_id: i32,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
