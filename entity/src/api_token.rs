//! A staff API token. Only a SHA-256 hash of the secret is stored.

use sea_orm::entity::prelude::*;

use crate::enums::StaffRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_token")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub role: StaffRole,
    #[sea_orm(unique)]
    pub token_hash: String,
    /// For recipients: the contact whose tips the token may read.
    pub contact_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
