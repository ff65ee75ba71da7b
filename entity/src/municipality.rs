//! Municipality (kommun), identified by its official SCB kommunkod.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "municipality")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Four digits with the leading zero kept ("0765").
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// Official name as written in running text ("Melleruds kommun", "Orust kommun");
    /// stored, never derived, because the genitive has exceptions.
    pub official_name: String,
    /// Lower-case ASCII, used in URLs (`almhult`).
    #[sea_orm(unique)]
    pub slug: String,
    /// County (län).
    pub county: String,
    /// Swedish working days within which residents are promised an answer.
    pub response_days: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
