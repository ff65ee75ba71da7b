//! The per-email window of `submitTip`, shared by every replica like the per-IP one: a
//! keyed HMAC of the folded email address on each tip (never the address itself in a
//! new place), indexed with the time it was received.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tip {
    Table,
    EmailHash,
    ReceivedAt,
}

const INDEX: &str = "idx_tip_email_window";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tip::Table)
                    .add_column(string_len_null(Tip::EmailHash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Tip::Table)
                    .col(Tip::EmailHash)
                    .col(Tip::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Tip::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tip::Table)
                    .drop_column(Tip::EmailHash)
                    .to_owned(),
            )
            .await
    }
}
