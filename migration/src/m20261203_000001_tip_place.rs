//! Where a tip's problem is: an optional address or landmark and WGS84 coordinates in
//! whole microdegrees. Personal data like the rest of the tip: erased with it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tip {
    Table,
    PlaceAddress,
    PlaceLatitudeE6,
    PlaceLongitudeE6,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let columns = [
            text_null(Tip::PlaceAddress),
            integer_null(Tip::PlaceLatitudeE6),
            integer_null(Tip::PlaceLongitudeE6),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tip::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Tip::PlaceLongitudeE6,
            Tip::PlaceLatitudeE6,
            Tip::PlaceAddress,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tip::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
