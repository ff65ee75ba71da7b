//! A named contact (kommunpolis, strategist, ...) residents may turn to.
//! The email is private: it is used for routing tips and never served publicly.

use sea_orm::entity::prelude::*;

use crate::enums::OrganisationKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub key: String,
    pub name: String,
    /// Role title as the organisation writes it ("kommunpolis", "Folkhälsostrateg").
    pub role: String,
    pub organisation_kind: OrganisationKind,
    pub organisation: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The email is a stand-in (the source pages give none).
    pub email_is_placeholder: bool,
    /// The whole contact is a stand-in mailbox, not a person named by a page.
    pub is_placeholder: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
