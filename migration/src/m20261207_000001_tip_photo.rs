//! Photos on a tip, stored in the database with it (PostgreSQL `bytea`, SQLite blob):
//! re-encoded pixels only, personal data like the rest of the tip, erased with it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tip {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum TipPhoto {
    Table,
    Id,
    TipId,
    Position,
    ContentType,
    Width,
    Height,
    Bytes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TipPhoto::Table)
                    .col(pk_auto(TipPhoto::Id))
                    .col(integer(TipPhoto::TipId))
                    .col(small_integer(TipPhoto::Position))
                    .col(string_len(TipPhoto::ContentType, 32))
                    .col(integer(TipPhoto::Width))
                    .col(integer(TipPhoto::Height))
                    .col(blob(TipPhoto::Bytes))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tip_photo_tip")
                            .from(TipPhoto::Table, TipPhoto::TipId)
                            .to(Tip::Table, Tip::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tip_photo_tip_position")
                    .table(TipPhoto::Table)
                    .col(TipPhoto::TipId)
                    .col(TipPhoto::Position)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TipPhoto::Table).to_owned())
            .await
    }
}
