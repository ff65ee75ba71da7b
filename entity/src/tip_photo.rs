//! A photo a resident attached to a tip: re-encoded pixels only (no metadata), seen by
//! the staff who may see the tip, erased with the tip's other personal data.

use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tip_photo")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tip_id: i32,
    /// Order on the tip, from 0.
    pub position: i16,
    /// `image/jpeg` or `image/png`: what the stored bytes are.
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    #[sea_orm(column_type = "Blob")]
    pub bytes: Vec<u8>,
}

/// Without the bytes: a photo is megabytes, and logs and panics need only its shape.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TipPhoto")
            .field("id", &self.id)
            .field("tip_id", &self.tip_id)
            .field("position", &self.position)
            .field("content_type", &self.content_type)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
