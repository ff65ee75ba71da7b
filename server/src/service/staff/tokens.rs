//! API tokens: create (within the issuer's own role and scope), list, revoke, and
//! authenticate a bearer secret.

use chrono::Utc;
use entity::{StaffRole, api_token, api_token_municipality, contact, municipality};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::{Principal, StaffError, require, secret};
use crate::service::{authz, tips::sha256_hex};

/// A new token; the secret is shown once and never stored.
pub struct NewToken {
    pub token: api_token::Model,
    pub secret: String,
}

/// Create a token as the operator at the command line (national). `municipalities` are
/// codes or slugs; `contact` a contact key.
pub async fn create_token(
    db: &DatabaseConnection,
    name: &str,
    role: StaffRole,
    municipalities: &[String],
    contact_key: Option<&str>,
) -> Result<NewToken, StaffError> {
    create_token_as(db, None, name, role, municipalities, contact_key).await
}

/// Create a token on behalf of `issuer` (`None`: the CLI operator). The new token's role
/// and scope may not exceed the issuer's (see `authz::may_grant`); a recipient's contact
/// must serve one of the token's municipalities.
pub async fn create_token_as(
    db: &DatabaseConnection,
    issuer: Option<&Principal>,
    name: &str,
    role: StaffRole,
    municipalities: &[String],
    contact_key: Option<&str>,
) -> Result<NewToken, StaffError> {
    if let Some(p) = issuer {
        require(authz::is_admin(p))?;
    }
    let name = name.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(StaffError::Invalid {
            field: "name",
            message: "a token needs a one-line name".into(),
        });
    }
    let (ids, contact_id) = resolve_grant(db, issuer, role, municipalities, contact_key).await?;
    let secret = secret("mlt_");
    let txn = db.begin().await?;
    let token = api_token::ActiveModel {
        id: NotSet,
        name: Set(name.to_owned()),
        role: Set(role),
        token_hash: Set(sha256_hex(&secret)),
        contact_id: Set(contact_id),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    for id in ids {
        api_token_municipality::ActiveModel {
            token_id: Set(token.id),
            municipality_id: Set(id),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(NewToken { token, secret })
}

/// What a grant of `role` with these municipalities (codes or slugs) and contact key
/// resolves to: the municipality ids and the contact id, checked against the issuer's own
/// role and scope (`authz::may_grant`). Shared by API tokens and staff accounts, so both
/// get exactly the same rules.
pub(crate) async fn resolve_grant(
    db: &DatabaseConnection,
    issuer: Option<&Principal>,
    role: StaffRole,
    municipalities: &[String],
    contact_key: Option<&str>,
) -> Result<(Vec<i32>, Option<i32>), StaffError> {
    if let Some(p) = issuer {
        require(authz::is_admin(p))?;
    }
    let mut ids = Vec::new();
    for m in municipalities {
        let found = crate::service::catalog::municipality_by_code_or_slug(db, m)
            .await?
            .ok_or_else(|| StaffError::Invalid {
                field: "municipality",
                message: format!("no municipality has the code or slug \"{}\"", m.trim()),
            })?;
        if !ids.contains(&found.id) {
            ids.push(found.id);
        }
    }
    if role != StaffRole::Admin && ids.is_empty() {
        return Err(StaffError::Invalid {
            field: "municipality",
            message: "editor and recipient tokens need at least one municipality".into(),
        });
    }
    if !authz::may_grant(issuer, role, &ids) {
        return Err(StaffError::Forbidden);
    }
    let contact_id = match contact_key {
        Some(key) => {
            let key = key.trim();
            if role != StaffRole::Recipient {
                return Err(StaffError::Invalid {
                    field: "contact",
                    message: "only recipient tokens read a contact's tips".into(),
                });
            }
            let found = contact::Entity::find()
                .filter(contact::Column::Key.eq(key))
                .one(db)
                .await?;
            let usable = match found {
                Some(c) => authz::usable_contact(db, issuer, c.id, &ids).await?,
                None => None,
            };
            Some(
                usable
                    .ok_or_else(|| StaffError::Invalid {
                        field: "contact",
                        message: format!(
                            "no contact with the key \"{key}\" serves the token's municipalities"
                        ),
                    })?
                    .id,
            )
        }
        None => None,
    };
    Ok((ids, contact_id))
}

/// Every token with the slugs of its municipalities (the CLI operator's view).
pub async fn list_tokens(
    db: &DatabaseConnection,
) -> Result<Vec<(api_token::Model, Vec<String>)>, DbErr> {
    Ok(tokens_with_scope(db)
        .await?
        .into_iter()
        .map(|(t, _, slugs)| (t, slugs))
        .collect())
}

/// The tokens visible to `p` (those whose scope lies inside its own), with slugs;
/// `Forbidden` for a role other than admin.
pub async fn list_tokens_for(
    db: &DatabaseConnection,
    p: &Principal,
) -> Result<Vec<(api_token::Model, Vec<String>)>, StaffError> {
    require(authz::is_admin(p))?;
    Ok(tokens_with_scope(db)
        .await?
        .into_iter()
        .filter(|(_, ids, _)| authz::token_visible(p, ids))
        .map(|(t, _, slugs)| (t, slugs))
        .collect())
}

async fn tokens_with_scope(
    db: &DatabaseConnection,
) -> Result<Vec<(api_token::Model, Vec<i32>, Vec<String>)>, DbErr> {
    let tokens = api_token::Entity::find()
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?;
    // Every token's municipalities in two statements, however many tokens there are.
    let links = api_token_municipality::Entity::find()
        .filter(api_token_municipality::Column::TokenId.is_in(tokens.iter().map(|t| t.id)))
        .all(db)
        .await?;
    let slugs: std::collections::HashMap<i32, String> = municipality::Entity::find()
        .filter(municipality::Column::Id.is_in(links.iter().map(|l| l.municipality_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.slug))
        .collect();
    Ok(tokens
        .into_iter()
        .map(|t| {
            let ids: Vec<i32> = links
                .iter()
                .filter(|l| l.token_id == t.id)
                .map(|l| l.municipality_id)
                .collect();
            let mut by_id = ids.clone();
            by_id.sort_unstable();
            by_id.dedup();
            let names = by_id
                .iter()
                .filter_map(|id| slugs.get(id).cloned())
                .collect();
            (t, ids, names)
        })
        .collect())
}

/// Revoke a token as `p` (an admin); returns false when there is no such active token
/// visible to it.
pub async fn revoke_token_as(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
) -> Result<bool, StaffError> {
    require(authz::is_admin(p))?;
    let ids: Vec<i32> = api_token_municipality::Entity::find()
        .filter(api_token_municipality::Column::TokenId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.municipality_id)
        .collect();
    if !authz::token_visible(p, &ids) {
        return Ok(false);
    }
    Ok(revoke_token(db, id).await?)
}

/// Revoke a token (the CLI operator); returns false when there is no such active token.
pub async fn revoke_token(db: &DatabaseConnection, id: i32) -> Result<bool, DbErr> {
    let res = api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Some(Utc::now())),
        )
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The principal behind a bearer secret, or `None` for an unknown or revoked token.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &str,
) -> Result<Option<Principal>, DbErr> {
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(sha256_hex(secret)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    // Record use at most once a minute, so reads do not all become writes.
    if token
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        let mut am = token.clone().into_active_model();
        am.last_used_at = Set(Some(now));
        am.update(db).await?;
    }
    let municipality_ids = api_token_municipality::Entity::find()
        .filter(api_token_municipality::Column::TokenId.eq(token.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.municipality_id)
        .collect();
    Ok(Some(Principal {
        token_id: Some(token.id),
        account_id: None,
        name: token.name,
        role: token.role,
        municipality_ids,
        contact_id: token.contact_id,
    }))
}
