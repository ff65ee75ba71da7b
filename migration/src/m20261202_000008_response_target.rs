//! Response targets: how many Swedish working days a municipality promises for an answer
//! (default 5), and each tip's due date, fixed when the tip is accepted. Tips stored
//! before this step have no due date.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Municipality {
    Table,
    ResponseDays,
}

#[derive(DeriveIden)]
enum Tip {
    Table,
    DueOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Municipality::Table)
                    .add_column(integer(Municipality::ResponseDays).default(5))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tip::Table)
                    .add_column(date_null(Tip::DueOn))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tip::Table)
                    .drop_column(Tip::DueOn)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Municipality::Table)
                    .drop_column(Municipality::ResponseDays)
                    .to_owned(),
            )
            .await
    }
}
