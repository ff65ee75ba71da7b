//! A seeded row that staff have edited or deleted through the API. The seed importer skips
//! these (so it never undoes staff work) unless it is run with `--force`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_override")]
pub struct Model {
    /// "promise", "contact", "routing" (a municipality's routing rules) or
    /// "response_target" (a municipality's response target); the last two keyed by kommunkod.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// The natural key the seed file uses.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub edited_at: DateTimeUtc,
    /// Staff deleted it; the importer must not bring it back.
    pub deleted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
