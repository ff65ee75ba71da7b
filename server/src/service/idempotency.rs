//! Idempotency keys of `submitTip`: a client may send the same submission again with the
//! same key (after a lost answer, say) and gets the first answer back instead of a second
//! tip. A key is validated before it is looked up, remembered in the transaction that
//! stores its tip, and forgotten after [`WINDOW`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::idempotency_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::domain::{Invalid, tip::parse_idempotency_key};

/// How long an idempotency key is remembered.
pub const WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// A key that passed validation (1–128 visible ASCII characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// Validate what the client sent; `None` when it sent no key.
    pub fn parse(input: Option<&str>) -> Result<Option<Self>, Invalid> {
        Ok(parse_idempotency_key(input)?.map(Self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a key seen before says about a new request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Not used within the window: the request is new.
    New,
    /// Used for the same request: answer with this tip.
    Replay { tip_id: i32 },
    /// Used for a different request.
    Conflict,
}

/// Look `key` up for a request with fingerprint `request_hash`.
pub async fn lookup(
    db: &impl ConnectionTrait,
    key: &Key,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Seen, DbErr> {
    let Some(row) = idempotency_key::Entity::find_by_id(key.0.clone())
        .one(db)
        .await?
    else {
        return Ok(Seen::New);
    };
    Ok(if row.created_at < now - WINDOW {
        Seen::New
    } else if row.request_hash != request_hash {
        Seen::Conflict
    } else {
        Seen::Replay { tip_id: row.tip_id }
    })
}

/// Drop `key` if it expired, so it may be used again. A write, so it may open a SQLite
/// write transaction (see `store_once` in `service::tips`).
pub async fn forget_expired(
    txn: &impl ConnectionTrait,
    key: &Key,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Key.eq(key.as_str()))
        .filter(idempotency_key::Column::CreatedAt.lt(now - WINDOW))
        .exec(txn)
        .await?;
    Ok(())
}

/// Remember `key` for the tip just stored (in the same transaction). A concurrent
/// request with the same key fails here on the primary key.
pub async fn remember(
    txn: &impl ConnectionTrait,
    key: &Key,
    request_hash: &str,
    tip_id: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_key::ActiveModel {
        key: Set(key.0.clone()),
        request_hash: Set(request_hash.to_owned()),
        tip_id: Set(tip_id),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}
