//! What staff change on a municipality itself: its response target.

use entity::municipality;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use super::{Action, Change, EditError, EditResult, covers_all, snapshot, taken_over};
use crate::{
    domain::response_target,
    service::{catalog, staff::Principal},
};

/// Set the Swedish working days within which `municipality` (kommunkod or slug) promises
/// residents an answer. Admins and editors with the municipality in scope; `NOT_FOUND`
/// when no municipality has that code or slug. Tips already accepted keep the due date
/// stored with them; tips accepted from now on use the new target. The change bumps the
/// catalogue version (`responseDays` is public) and is kept over the seed file's value.
pub async fn set_response_target(
    db: &sea_orm::DatabaseConnection,
    p: &Principal,
    municipality: &str,
    working_days: i32,
) -> EditResult<municipality::Model> {
    let change = Change::begin(db, p).await?;
    let current = catalog::municipality_by_code_or_slug(&change.txn, municipality)
        .await?
        .ok_or(EditError::NotFound("municipality"))?;
    if !covers_all(p, &[current.id]) {
        return Err(EditError::Forbidden);
    }
    let days = response_target::working_days("workingDays", working_days)?;
    if current.response_days == days {
        return Ok(current);
    }
    let mut am = current.clone().into_active_model();
    am.response_days = Set(days);
    let saved = am.update(&change.txn).await?;
    change
        .audit(
            Action::Update,
            "municipality",
            saved.id,
            None,
            Some(snapshot(&current)),
            Some(snapshot(&saved)),
        )
        .await?;
    change
        .take_over(taken_over::RESPONSE_TARGET, &saved.code, false)
        .await?;
    change.commit().await?;
    Ok(saved)
}
