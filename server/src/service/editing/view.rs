//! What the web editor forms read: a promise with its commitments and follow-ups, once
//! the caller may edit it (the same rule as every change in this module: `may_edit`, and
//! the promise belongs to one of the caller's municipalities).

use entity::{commitment, follow_up, promise, promise_municipality};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{EditError, EditResult};
use crate::service::{authz, staff::Principal};

/// A promise as the editor forms show it.
pub struct PromiseView {
    pub promise: promise::Model,
    /// In display order.
    pub commitments: Vec<commitment::Model>,
    /// Of all the commitments, oldest first.
    pub follow_ups: Vec<follow_up::Model>,
}

/// Whether the principal edits the catalogue at all (admins and editors).
pub fn may_edit(p: &Principal) -> bool {
    authz::may_edit(p)
}

/// The promise if `p` may edit it: `Forbidden` for a role that edits nothing or a promise
/// of other municipalities, `NotFound` when there is none.
async fn editable(db: &DatabaseConnection, p: &Principal, id: i32) -> EditResult<promise::Model> {
    if !authz::may_edit(p) {
        return Err(EditError::Forbidden);
    }
    let found = promise::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(EditError::NotFound("promise"))?;
    let ids: Vec<i32> = promise_municipality::Entity::find()
        .filter(promise_municipality::Column::PromiseId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.municipality_id)
        .collect();
    if !authz::covers_any(p, &ids) {
        return Err(EditError::Forbidden);
    }
    Ok(found)
}

/// A promise with its commitments and follow-ups, for editing.
pub async fn promise(db: &DatabaseConnection, p: &Principal, id: i32) -> EditResult<PromiseView> {
    let promise = editable(db, p, id).await?;
    let commitments = commitment::Entity::find()
        .filter(commitment::Column::PromiseId.eq(id))
        .order_by_asc(commitment::Column::Position)
        .order_by_asc(commitment::Column::Id)
        .all(db)
        .await?;
    let follow_ups = follow_up::Entity::find()
        .filter(follow_up::Column::CommitmentId.is_in(commitments.iter().map(|c| c.id)))
        .order_by_asc(follow_up::Column::Date)
        .order_by_asc(follow_up::Column::Id)
        .all(db)
        .await?;
    Ok(PromiseView {
        promise,
        commitments,
        follow_ups,
    })
}

/// The id of the promise a commitment belongs to, if `p` may edit it.
pub async fn promise_of_commitment(
    db: &DatabaseConnection,
    p: &Principal,
    commitment_id: i32,
) -> EditResult<i32> {
    let c = commitment::Entity::find_by_id(commitment_id)
        .one(db)
        .await?
        .ok_or(EditError::NotFound("commitment"))?;
    editable(db, p, c.promise_id).await?;
    Ok(c.promise_id)
}

/// The id of the promise a follow-up belongs to, if `p` may edit it.
pub async fn promise_of_follow_up(
    db: &DatabaseConnection,
    p: &Principal,
    follow_up_id: i32,
) -> EditResult<i32> {
    let f = follow_up::Entity::find_by_id(follow_up_id)
        .one(db)
        .await?
        .ok_or(EditError::NotFound("follow-up"))?;
    promise_of_commitment(db, p, f.commitment_id).await
}
