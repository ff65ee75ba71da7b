//! Staff accounts and web sessions: invite an account, send a one-time sign-in link,
//! redeem it for a session, authenticate a session cookie, sign out.
//!
//! An account carries the same role, municipalities and contact as an API token and is
//! turned into the same [`Principal`], so the inbox is bound by exactly the rules in
//! `service::authz`. Only SHA-256 hashes of link and session secrets are stored; a link
//! is valid for [`LINK_VALIDITY`] and once; every sign-in makes a new session (the cookie
//! is rotated), which ends after an idle or an absolute timeout or when revoked.

use chrono::{DateTime, Duration, Utc};
use entity::{
    StaffRole, staff_account, staff_account_municipality, staff_login_link, staff_session,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait, sea_query::Expr,
};

use super::{
    staff::{Principal, StaffError, resolve_grant, secret},
    tips::sha256_hex,
};
use crate::domain::email_address::EmailAddress;

/// How long a sign-in link works.
pub const LINK_VALIDITY: Duration = Duration::minutes(15);

/// When sessions end.
#[derive(Clone, Copy, Debug)]
pub struct SessionTimeouts {
    /// Without a request for this long, the session ends.
    pub idle: Duration,
    /// However active, a session ends this long after sign-in.
    pub absolute: Duration,
}

/// A signed-in session: the cookie's secret (never stored) and who it is.
pub struct NewSession {
    pub secret: String,
    pub principal: Principal,
}

/// A staff account as shown to admins.
pub struct Invited {
    pub account: staff_account::Model,
}

/// The form an address is stored and looked up in: trimmed and lower case.
fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Create a staff account as `issuer` (`None`: the operator at the command line). Role,
/// municipalities and contact are checked exactly as for an API token.
pub async fn invite(
    db: &DatabaseConnection,
    issuer: Option<&Principal>,
    email: &str,
    role: StaffRole,
    municipalities: &[String],
    contact_key: Option<&str>,
) -> Result<Invited, StaffError> {
    if let Some(p) = issuer {
        super::staff::require(super::authz::is_admin(p))?;
    }
    let address = EmailAddress::parse(email).map_err(|r| StaffError::Invalid {
        field: "email",
        message: format!("not a usable email address ({r:?})"),
    })?;
    let email = normalise(address.entered().as_ref());
    let (ids, contact_id) = resolve_grant(db, issuer, role, municipalities, contact_key).await?;
    if staff_account::Entity::find()
        .filter(staff_account::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(StaffError::Invalid {
            field: "email",
            message: "a staff account with this address exists".into(),
        });
    }
    let txn = db.begin().await?;
    let account = staff_account::ActiveModel {
        id: NotSet,
        email: Set(email),
        role: Set(role),
        contact_id: Set(contact_id),
        created_at: Set(Utc::now()),
        disabled_at: Set(None),
    }
    .insert(&txn)
    .await?;
    for id in ids {
        staff_account_municipality::ActiveModel {
            account_id: Set(account.id),
            municipality_id: Set(id),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(Invited { account })
}

/// A new sign-in link for the account with this address, if there is an active one: the
/// link's secret (to put in the email, never stored) and the address to send it to.
/// `None` for an unknown address; the caller must answer the same either way.
pub async fn request_link(
    db: &DatabaseConnection,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, String)>, DbErr> {
    let Some(account) = staff_account::Entity::find()
        .filter(staff_account::Column::Email.eq(normalise(email)))
        .filter(staff_account::Column::DisabledAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let secret = secret("mll_");
    staff_login_link::ActiveModel {
        id: NotSet,
        account_id: Set(account.id),
        token_hash: Set(sha256_hex(&secret)),
        created_at: Set(now),
        expires_at: Set(now + LINK_VALIDITY),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Some((secret, account.email)))
}

/// Whether a link would still sign in (for the page that shows the button; opening the
/// link changes nothing).
pub async fn link_usable(
    db: &DatabaseConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(staff_login_link::Entity::find()
        .filter(staff_login_link::Column::TokenHash.eq(sha256_hex(secret)))
        .filter(staff_login_link::Column::UsedAt.is_null())
        .filter(staff_login_link::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .is_some())
}

/// Spend a link and open a new session; `None` when the link is unknown, used or expired.
/// The link is spent by one conditional update, so two concurrent redemptions cannot both
/// succeed.
pub async fn redeem_link(
    db: &DatabaseConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<NewSession>, DbErr> {
    let hash = sha256_hex(secret);
    let Some(link) = staff_login_link::Entity::find()
        .filter(staff_login_link::Column::TokenHash.eq(hash.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let txn = db.begin().await?;
    let spent = staff_login_link::Entity::update_many()
        .col_expr(staff_login_link::Column::UsedAt, Expr::value(Some(now)))
        .filter(staff_login_link::Column::Id.eq(link.id))
        .filter(staff_login_link::Column::UsedAt.is_null())
        .filter(staff_login_link::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Ok(None);
    }
    let Some(account) = staff_account::Entity::find_by_id(link.account_id)
        .filter(staff_account::Column::DisabledAt.is_null())
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let secret = secret_for_session();
    staff_session::ActiveModel {
        id: NotSet,
        account_id: Set(account.id),
        token_hash: Set(sha256_hex(&secret)),
        created_at: Set(now),
        last_seen_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let principal = principal_of(&txn, account).await?;
    txn.commit().await?;
    Ok(Some(NewSession { secret, principal }))
}

fn secret_for_session() -> String {
    secret("mls_")
}

async fn principal_of(
    db: &impl sea_orm::ConnectionTrait,
    account: staff_account::Model,
) -> Result<Principal, DbErr> {
    let municipality_ids = staff_account_municipality::Entity::find()
        .filter(staff_account_municipality::Column::AccountId.eq(account.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.municipality_id)
        .collect();
    Ok(Principal {
        token_id: None,
        account_id: Some(account.id),
        name: account.email,
        role: account.role,
        municipality_ids,
        contact_id: account.contact_id,
    })
}

/// The principal behind a session cookie's secret, or `None` when the session is
/// unknown, revoked, idle too long or too old. Records the request as activity.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &str,
    timeouts: SessionTimeouts,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, DbErr> {
    let Some(session) = staff_session::Entity::find()
        .filter(staff_session::Column::TokenHash.eq(sha256_hex(secret)))
        .filter(staff_session::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if now - session.last_seen_at > timeouts.idle || now - session.created_at > timeouts.absolute {
        return Ok(None);
    }
    // Record activity often enough for the idle timeout, without a write per request.
    let granularity = (timeouts.idle / 10).min(Duration::minutes(1));
    if now - session.last_seen_at > granularity {
        staff_session::Entity::update_many()
            .col_expr(staff_session::Column::LastSeenAt, Expr::value(now))
            .filter(staff_session::Column::Id.eq(session.id))
            .exec(db)
            .await?;
    }
    let Some(account) = staff_account::Entity::find_by_id(session.account_id)
        .filter(staff_account::Column::DisabledAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(principal_of(db, account).await?))
}

/// End a session (sign-out); the cookie no longer works anywhere.
pub async fn revoke(
    db: &DatabaseConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    staff_session::Entity::update_many()
        .col_expr(staff_session::Column::RevokedAt, Expr::value(Some(now)))
        .filter(staff_session::Column::TokenHash.eq(sha256_hex(secret)))
        .filter(staff_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The CSRF token of a session: derived from the session's secret, so it is bound to the
/// session and needs no storage, and reveals nothing about the secret.
pub fn csrf_token(session_secret: &str) -> String {
    sha256_hex(&format!("csrf\u{0}{session_secret}"))
}

/// Whether a form's CSRF token belongs to this session (compared in constant time).
pub fn csrf_matches(session_secret: &str, token: &str) -> bool {
    let expected = csrf_token(session_secret);
    expected.len() == token.len()
        && expected
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
