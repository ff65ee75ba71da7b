//! The municipality's official name as running text writes it ("Melleruds kommun", but
//! "Orust kommun"): emails and apps need it, and the genitive has too many exceptions to
//! derive. The seed file sets it for every municipality; rows imported before this step
//! get the official names of the municipalities the project ships, and any other row an
//! empty name until the next seed import (emails then fall back to the short name).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Code,
    OfficialName,
}

/// Official names of the shipped seed municipalities, by kommunkod.
const SHIPPED: [(&str, &str); 6] = [
    ("1461", "Melleruds kommun"),
    ("1415", "Stenungsunds kommun"),
    ("1421", "Orust kommun"),
    ("1419", "Tjörns kommun"),
    ("0765", "Älmhults kommun"),
    ("2463", "Åsele kommun"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Municipality::Table)
                    .add_column(string(Municipality::OfficialName).default(""))
                    .to_owned(),
            )
            .await?;
        for (code, official) in SHIPPED {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Municipality::Table)
                        .value(Municipality::OfficialName, official)
                        .and_where(Expr::col(Municipality::Code).eq(code))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Municipality::Table)
                    .drop_column(Municipality::OfficialName)
                    .to_owned(),
            )
            .await
    }
}
