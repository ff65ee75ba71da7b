//! A single counter bumped by every change to the public catalogue, so each replica can
//! tell cheaply whether its cached public responses are still current.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogVersion {
    Table,
    Id,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogVersion::Table)
                    .col(integer(CatalogVersion::Id).primary_key())
                    .col(big_integer(CatalogVersion::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(CatalogVersion::Table)
                    .columns([CatalogVersion::Id, CatalogVersion::Version])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CatalogVersion::Table).to_owned())
            .await
    }
}
