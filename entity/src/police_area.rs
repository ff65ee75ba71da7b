//! Local police area (lokalpolisområde).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "police_area")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable key from the seed file.
    #[sea_orm(unique)]
    pub key: String,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
