//! API tokens and staff accounts as the admin fields show them.

use async_graphql::{Enum, InputObject, SimpleObject};

use crate::graphql::types::DateTime;

/// Role of a staff token.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRole {
    /// Everything within its municipalities (all when it has none).
    Admin,
    /// Promises, contacts and routing rules of its municipalities.
    Editor,
    /// Reads and triages the tips routed to its contact or municipalities.
    Recipient,
}

crate::mirror_enum!(StaffRole <=> entity::StaffRole { Admin, Editor, Recipient });

/// A staff API token (never its secret).
#[derive(SimpleObject)]
pub struct ApiToken {
    /// Token id, for revoking.
    pub id: i32,
    /// Who or what the token is for.
    pub name: String,
    /// What it may do.
    pub role: StaffRole,
    /// Slugs of the municipalities it is limited to (empty: all).
    pub municipalities: Vec<String>,
    /// When it was created.
    pub created_at: DateTime,
    /// When it was last used.
    pub last_used_at: Option<DateTime>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime>,
}

pub(super) fn api_token(t: entity::api_token::Model, municipalities: Vec<String>) -> ApiToken {
    ApiToken {
        id: t.id,
        name: t.name,
        role: t.role.into(),
        municipalities,
        created_at: DateTime(t.created_at),
        last_used_at: t.last_used_at.map(DateTime),
        revoked_at: t.revoked_at.map(DateTime),
    }
}

/// Input of `createApiToken`.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// Who or what the token is for.
    pub name: String,
    /// What it may do.
    pub role: StaffRole,
    /// Municipalities (kommunkod or slug) it is limited to; required for editors and recipients.
    #[graphql(default)]
    pub municipalities: Vec<String>,
    /// For recipients: the seed key of the contact whose tips it reads.
    pub contact_key: Option<String>,
}

/// Result of `createApiToken`.
#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    /// The new token.
    pub token: ApiToken,
    /// The secret to send as `Authorization: Bearer …`; shown only here, never again.
    pub secret: String,
}

/// Input of `inviteStaff`.
#[derive(InputObject)]
pub struct InviteStaffInput {
    /// The address the staff member signs in with (one account per address).
    pub email: String,
    /// What the account may do: the same roles as API tokens.
    pub role: StaffRole,
    /// Municipalities (kommunkod or slug) it is limited to; required for editors and recipients.
    #[graphql(default)]
    pub municipalities: Vec<String>,
    /// For recipients: the seed key of the contact whose tips it reads.
    pub contact_key: Option<String>,
}

/// A staff account of the web inbox (personal: shown to admins only).
#[derive(SimpleObject)]
pub struct StaffAccount {
    /// Account id.
    pub id: i32,
    /// The sign-in address, in lower case.
    pub email: String,
    /// What it may do.
    pub role: StaffRole,
    /// Slugs of the municipalities it is limited to (empty: all).
    pub municipalities: Vec<String>,
    /// When it was created.
    pub created_at: DateTime,
}

/// Result of `inviteStaff`.
#[derive(SimpleObject)]
pub struct InviteStaffPayload {
    /// The new account; its owner signs in at `/staff/logga-in` with a one-time link.
    pub account: StaffAccount,
}

/// Slugs of an account's municipalities, in slug order.
pub(super) async fn account_municipalities(
    db: &sea_orm::DatabaseConnection,
    account_id: i32,
) -> Result<Vec<String>, sea_orm::DbErr> {
    use entity::{municipality, staff_account_municipality};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let ids: Vec<i32> = staff_account_municipality::Entity::find()
        .filter(staff_account_municipality::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.municipality_id)
        .collect();
    Ok(municipality::Entity::find()
        .filter(municipality::Column::Id.is_in(ids))
        .order_by_asc(municipality::Column::Slug)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.slug)
        .collect())
}
