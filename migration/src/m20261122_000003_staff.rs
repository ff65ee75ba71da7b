//! Staff access: API tokens with roles and scopes, a tip's history of transitions, and the
//! resident's private status token.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Name,
    Role,
    TokenHash,
    ContactId,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ApiTokenMunicipality {
    Table,
    TokenId,
    MunicipalityId,
}

#[derive(DeriveIden)]
enum TipEvent {
    Table,
    Id,
    TipId,
    At,
    Actor,
    FromStatus,
    ToStatus,
    Note,
}

#[derive(DeriveIden)]
enum Tip {
    Table,
    Id,
    StatusTokenHash,
    HandledAt,
    ErasedAt,
}

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(pk_auto(ApiToken::Id))
                    .col(string(ApiToken::Name))
                    .col(string_len(ApiToken::Role, 16))
                    .col(string_len_uniq(ApiToken::TokenHash, 64))
                    .col(integer_null(ApiToken::ContactId))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokenMunicipality::Table)
                    .col(integer(ApiTokenMunicipality::TokenId))
                    .col(integer(ApiTokenMunicipality::MunicipalityId))
                    .primary_key(
                        Index::create()
                            .col(ApiTokenMunicipality::TokenId)
                            .col(ApiTokenMunicipality::MunicipalityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_atm_token")
                            .from(ApiTokenMunicipality::Table, ApiTokenMunicipality::TokenId)
                            .to(ApiToken::Table, ApiToken::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_atm_municipality")
                            .from(
                                ApiTokenMunicipality::Table,
                                ApiTokenMunicipality::MunicipalityId,
                            )
                            .to(Municipality::Table, Municipality::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TipEvent::Table)
                    .col(pk_auto(TipEvent::Id))
                    .col(integer(TipEvent::TipId))
                    .col(timestamp_with_time_zone(TipEvent::At))
                    .col(string(TipEvent::Actor))
                    .col(string_len_null(TipEvent::FromStatus, 16))
                    .col(string_len(TipEvent::ToStatus, 16))
                    .col(text_null(TipEvent::Note))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tip_event_tip")
                            .from(TipEvent::Table, TipEvent::TipId)
                            .to(Tip::Table, Tip::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tip_event_tip")
                    .table(TipEvent::Table)
                    .col(TipEvent::TipId)
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite cannot alter several at once.
        for column in [
            string_len_null(Tip::StatusTokenHash, 64),
            timestamp_with_time_zone_null(Tip::HandledAt),
            timestamp_with_time_zone_null(Tip::ErasedAt),
        ] {
            let mut column = column;
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
        for column in [Tip::ErasedAt, Tip::HandledAt, Tip::StatusTokenHash] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tip::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            TipEvent::Table.into_iden(),
            ApiTokenMunicipality::Table.into_iden(),
            ApiToken::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
