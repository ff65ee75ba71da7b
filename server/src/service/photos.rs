//! A tip's photos, for the staff who may see the tip: their shapes for lists and pages,
//! and one photo's bytes for the inbox and the API's `url`. Scope is decided by
//! [`super::staff::tip_in_scope`], as for the tip itself.

use entity::tip_photo;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::staff::{Principal, StaffError, tip_in_scope};

/// What a page or list shows of a photo: everything but its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoInfo {
    pub tip_id: i32,
    /// From 1, as people count and as the URL says.
    pub number: i16,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
}

impl PhotoInfo {
    /// Where staff fetch it, relative to the server: with a staff token or session.
    pub fn path(&self, reference: &str) -> String {
        path(reference, self.number)
    }
}

/// `/staff/tips/{reference}/photos/{number}`: under `/staff`, so the inbox's session
/// cookie goes with it.
pub fn path(reference: &str, number: i16) -> String {
    format!("/staff/tips/{reference}/photos/{number}")
}

/// The photos of the given tips, in order, without their bytes (one statement).
pub async fn infos_of(db: &impl ConnectionTrait, tip_ids: &[i32]) -> Result<Vec<PhotoInfo>, DbErr> {
    if tip_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i32, i16, String, i32, i32)> = tip_photo::Entity::find()
        .select_only()
        .columns([
            tip_photo::Column::TipId,
            tip_photo::Column::Position,
            tip_photo::Column::ContentType,
            tip_photo::Column::Width,
            tip_photo::Column::Height,
        ])
        .filter(tip_photo::Column::TipId.is_in(tip_ids.iter().copied()))
        .order_by_asc(tip_photo::Column::TipId)
        .order_by_asc(tip_photo::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(tip_id, position, content_type, width, height)| PhotoInfo {
                tip_id,
                number: position.saturating_add(1),
                content_type,
                width,
                height,
            },
        )
        .collect())
}

/// Photo `number` (from 1) of the tip `reference`, if the principal may see the tip:
/// `NotFound` when either is missing or out of scope (they look the same).
pub async fn photo(
    db: &impl ConnectionTrait,
    p: &Principal,
    reference: &str,
    number: i16,
) -> Result<tip_photo::Model, StaffError> {
    let tip = tip_in_scope(db, p, reference).await?;
    tip_photo::Entity::find()
        .filter(tip_photo::Column::TipId.eq(tip.id))
        .filter(tip_photo::Column::Position.eq(number.saturating_sub(1)))
        .one(db)
        .await?
        .ok_or(StaffError::NotFound)
}
