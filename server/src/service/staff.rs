//! Staff: API tokens (create, list, revoke, authenticate) and the tip inbox with triage.

use chrono::{DateTime, Utc};
use entity::{
    StaffRole, TipStatus, api_token, api_token_municipality, contact, delivery, municipality, tip,
    tip_event,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{authz, tips::sha256_hex};
use crate::domain::triage;

/// Who is calling, established from a bearer token.
#[derive(Clone, Debug)]
pub struct Principal {
    pub token_id: i32,
    pub name: String,
    pub role: StaffRole,
    /// Municipalities in scope; empty means national (only admin tokens have none).
    /// The rules live in `service::authz`.
    pub municipality_ids: Vec<i32>,
    pub contact_id: Option<i32>,
}

/// A new token; the secret is shown once and never stored.
pub struct NewToken {
    pub token: api_token::Model,
    pub secret: String,
}

/// Why a staff action was refused.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("tip not found")]
    NotFound,
    /// The caller's role may not do this, or may not grant it (a higher role or a wider
    /// scope than its own).
    #[error("forbidden")]
    Forbidden,
    #[error("a tip cannot go from {from:?} to {to:?}")]
    InvalidTransition { from: TipStatus, to: TipStatus },
    #[error(transparent)]
    Db(#[from] DbErr),
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
    let mut ids = Vec::new();
    for m in municipalities {
        let found = super::catalog::municipality_by_code_or_slug(db, m)
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
    let bytes: [u8; 32] = rand::random();
    let secret = {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        format!("mlt_{}", URL_SAFE_NO_PAD.encode(bytes))
    };
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
        token_id: token.id,
        name: token.name,
        role: token.role,
        municipality_ids,
        contact_id: token.contact_id,
    }))
}

/// `Forbidden` unless `allowed`: the one way a service refuses a role.
pub(crate) fn require(allowed: bool) -> Result<(), StaffError> {
    if allowed {
        Ok(())
    } else {
        Err(StaffError::Forbidden)
    }
}

/// The tips `p` may see, or `Forbidden` for a role that reads no tips.
fn tip_scope(p: &Principal) -> Result<Condition, StaffError> {
    authz::tip_condition(p).ok_or(StaffError::Forbidden)
}

/// Filters of the staff tip inbox.
#[derive(Clone, Debug, Default)]
pub struct TipQuery {
    pub municipality_id: Option<i32>,
    pub status: Option<TipStatus>,
    pub kind: Option<entity::TipKind>,
    pub received_after: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
}

/// One page of tips in scope, newest first, and the total; `Forbidden` when the role may
/// not read tips at all.
pub async fn tips(
    db: &impl ConnectionTrait,
    p: &Principal,
    q: &TipQuery,
    offset: u64,
    limit: u64,
) -> Result<(Vec<tip::Model>, u64), StaffError> {
    let mut select = tip::Entity::find().filter(tip_scope(p)?);
    if let Some(m) = q.municipality_id {
        select = select.filter(tip::Column::MunicipalityId.eq(m));
    }
    if let Some(s) = q.status {
        select = select.filter(tip::Column::Status.eq(s));
    }
    if let Some(k) = q.kind {
        select = select.filter(tip::Column::Kind.eq(k));
    }
    if let Some(t) = q.received_after {
        select = select.filter(tip::Column::ReceivedAt.gte(t));
    }
    if let Some(t) = q.received_before {
        select = select.filter(tip::Column::ReceivedAt.lt(t));
    }
    let total = select.clone().count(db).await?;
    let items = select
        .order_by_desc(tip::Column::ReceivedAt)
        .order_by_desc(tip::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((items, total))
}

/// A tip by reference if the principal may see it: `NotFound` when it is missing or out
/// of scope (they look the same), `Forbidden` for a role that reads no tips.
pub async fn tip_in_scope(
    db: &impl ConnectionTrait,
    p: &Principal,
    reference: &str,
) -> Result<tip::Model, StaffError> {
    tip::Entity::find()
        .filter(tip_scope(p)?)
        .filter(tip::Column::Reference.eq(reference.trim()))
        .one(db)
        .await?
        .ok_or(StaffError::NotFound)
}

/// Erase a tip's personal data now, on an admin's request, for a tip in its scope.
pub async fn erase_tip(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
) -> Result<(), StaffError> {
    require(authz::is_admin(p))?;
    tip_in_scope(db, p, reference).await?;
    if super::privacy::erase_tip(db, reference, Utc::now()).await? {
        Ok(())
    } else {
        Err(StaffError::NotFound)
    }
}

/// A tip by id, if it is in the principal's scope (`node(id:)` for staff clients).
pub async fn tip_by_id_in_scope(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i32,
) -> Result<Option<tip::Model>, DbErr> {
    // For `node(id)`: a role that reads no tips gets nothing, not an error.
    let Some(scope) = authz::tip_condition(p) else {
        return Ok(None);
    };
    tip::Entity::find_by_id(id).filter(scope).one(db).await
}

pub async fn deliveries(
    db: &impl ConnectionTrait,
    tip_id: i32,
) -> Result<Vec<delivery::Model>, DbErr> {
    delivery::Entity::find()
        .filter(delivery::Column::TipId.eq(tip_id))
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await
}

pub async fn history(
    db: &impl ConnectionTrait,
    tip_id: i32,
) -> Result<Vec<tip_event::Model>, DbErr> {
    tip_event::Entity::find()
        .filter(tip_event::Column::TipId.eq(tip_id))
        .order_by_asc(tip_event::Column::At)
        .order_by_asc(tip_event::Column::Id)
        .all(db)
        .await
}

/// Move a tip to a new triage status with an optional internal note, in one transaction
/// with its history entry.
pub async fn transition(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
    to: TipStatus,
    note: Option<String>,
) -> Result<tip::Model, StaffError> {
    tip_scope(p)?;
    if let Some(n) = &note
        && n.chars().count() > 2000
    {
        return Err(StaffError::Invalid {
            field: "note",
            message: "the note must be at most 2000 characters".into(),
        });
    }
    let txn = crate::db::begin_write(db).await?;
    let current = tip_in_scope(&txn, p, reference).await?;
    if !triage::allowed(current.status, to) {
        return Err(StaffError::InvalidTransition {
            from: current.status,
            to,
        });
    }
    let now = Utc::now();
    let from = current.status;
    let mut am = current.into_active_model();
    am.status = Set(to);
    am.updated_at = Set(now);
    am.handled_at = Set(triage::closes(to).then_some(now));
    let updated = am.update(&txn).await?;
    super::tips::record_tip_event(
        &txn,
        updated.id,
        now,
        &p.name,
        Some(from),
        to,
        note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Public status lookup: the status and when it was handled, if reference and token match.
pub async fn public_status(
    db: &impl ConnectionTrait,
    reference: &str,
    token: &str,
) -> Result<Option<(TipStatus, Option<DateTime<Utc>>)>, DbErr> {
    let Some(t) = tip::Entity::find()
        .filter(tip::Column::Reference.eq(reference.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let matches = t
        .status_token_hash
        .as_deref()
        .is_some_and(|h| constant_time_eq(h.as_bytes(), sha256_hex(token).as_bytes()));
    Ok(matches.then_some((t.status, t.handled_at)))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Send a tip on to another contact of its municipality: a new delivery, and a line in
/// the history saying so. An unrouted tip becomes new.
pub async fn reroute(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
    contact_id: i32,
    note: Option<String>,
) -> Result<tip::Model, StaffError> {
    let txn = crate::db::begin_write(db).await?;
    let current = tip_in_scope(&txn, p, reference).await?;
    // The tip is in scope, so a contact serving its municipality is too.
    let target =
        authz::usable_contact(&txn, Some(p), contact_id, &[current.municipality_id]).await?;
    let Some(target) = target else {
        return Err(StaffError::Invalid {
            field: "contact",
            message: "the contact does not serve this tip's municipality".into(),
        });
    };
    let Some(email) = target.email.clone().filter(|e| !e.trim().is_empty()) else {
        return Err(StaffError::Invalid {
            field: "contact",
            message: "the contact has no email address".into(),
        });
    };
    let now = Utc::now();
    let from = current.status;
    let to = if from == TipStatus::Unrouted {
        TipStatus::New
    } else {
        from
    };
    let mut am = current.into_active_model();
    am.routed_contact_id = Set(Some(target.id));
    am.routing_reason = Set(crate::domain::routing::RoutingReason::StaffReroute
        .as_str()
        .to_owned());
    am.status = Set(to);
    am.updated_at = Set(now);
    let updated = am.update(&txn).await?;
    super::tips::pending_delivery(
        updated.id,
        entity::DeliveryKind::Contact,
        Some(target.name.clone()),
        email,
        now,
    )
    .insert(&txn)
    .await?;
    let mut text = format!("Skickat vidare till {} ({}).", target.name, target.role);
    if let Some(n) = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) {
        text.push(' ');
        text.push_str(&n);
    }
    super::tips::record_tip_event(&txn, updated.id, now, &p.name, Some(from), to, Some(text))
        .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Queue a tip's given-up (`DEAD`) deliveries again; returns how many.
pub async fn resend_dead(
    db: &DatabaseConnection,
    p: &Principal,
    reference: &str,
) -> Result<u64, StaffError> {
    let txn = crate::db::begin_write(db).await?;
    let current = tip_in_scope(&txn, p, reference).await?;
    let now = Utc::now();
    let res = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            sea_orm::sea_query::Expr::value(entity::DeliveryStatus::Pending),
        )
        .col_expr(
            delivery::Column::Attempts,
            sea_orm::sea_query::Expr::value(0),
        )
        .col_expr(
            delivery::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(delivery::Column::TipId.eq(current.id))
        .filter(delivery::Column::Status.eq(entity::DeliveryStatus::Dead))
        .exec(&txn)
        .await?;
    if res.rows_affected > 0 {
        let note = format!("{} e-postmeddelanden skickas igen.", res.rows_affected);
        super::tips::record_tip_event(
            &txn,
            current.id,
            now,
            &p.name,
            Some(current.status),
            current.status,
            Some(note),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(res.rows_affected)
}
