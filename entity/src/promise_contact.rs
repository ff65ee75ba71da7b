//! The contacts a promise names for residents' questions and tips.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promise_contact")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub promise_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: i32,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
