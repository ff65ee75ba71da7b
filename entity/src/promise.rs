//! Promise (medborgarlöfte): the yearly or two-year commitment between police and municipalities.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "promise")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable key from the seed file or chosen by staff; the importer matches on it.
    #[sea_orm(unique)]
    pub key: String,
    pub title: String,
    pub police_area_id: Option<i32>,
    pub valid_from: Date,
    pub valid_to: Date,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// Lägesbild ("Situationen idag").
    #[sea_orm(column_type = "Text", nullable)]
    pub situation: Option<String>,
    /// Goal and expected effects.
    #[sea_orm(column_type = "Text", nullable)]
    pub goal: Option<String>,
    /// How the promise is followed up (uppföljning).
    #[sea_orm(column_type = "Text", nullable)]
    pub follow_up: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub renewal_note: Option<String>,
    pub signed_on: Option<Date>,
    pub signed_place: Option<String>,
    pub published: bool,
    /// Case-folded text of the promise and its parts, maintained on every write so that
    /// search is the same plain `LIKE` on SQLite and PostgreSQL.
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
