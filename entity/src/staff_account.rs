//! A person who signs in to the web inbox. Role, municipalities and contact work exactly
//! as an API token's do (see `server::service::authz`).

use sea_orm::entity::prelude::*;

use crate::enums::StaffRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Folded to lower case, so one address is one account.
    #[sea_orm(unique)]
    pub email: String,
    pub role: StaffRole,
    /// For recipients: the contact whose tips the account reads.
    pub contact_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
