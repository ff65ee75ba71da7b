//! Staff accounts for the web inbox: who may sign in (role and scope as API tokens have),
//! one-time sign-in links and sessions. Only SHA-256 hashes of link and session secrets
//! are stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StaffAccount {
    Table,
    Id,
    Email,
    Role,
    ContactId,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum StaffAccountMunicipality {
    Table,
    AccountId,
    MunicipalityId,
}

#[derive(DeriveIden)]
enum StaffLoginLink {
    Table,
    Id,
    AccountId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum StaffSession {
    Table,
    Id,
    AccountId,
    TokenHash,
    CreatedAt,
    LastSeenAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Id,
}

fn account_fk(name: &str, from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(StaffAccount::Table, StaffAccount::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffAccount::Table)
                    .col(pk_auto(StaffAccount::Id))
                    .col(string_uniq(StaffAccount::Email))
                    .col(string_len(StaffAccount::Role, 16))
                    .col(integer_null(StaffAccount::ContactId))
                    .col(timestamp_with_time_zone(StaffAccount::CreatedAt))
                    .col(timestamp_with_time_zone_null(StaffAccount::DisabledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffAccountMunicipality::Table)
                    .col(integer(StaffAccountMunicipality::AccountId))
                    .col(integer(StaffAccountMunicipality::MunicipalityId))
                    .primary_key(
                        Index::create()
                            .col(StaffAccountMunicipality::AccountId)
                            .col(StaffAccountMunicipality::MunicipalityId),
                    )
                    .foreign_key(&mut account_fk(
                        "fk_sam_account",
                        (
                            StaffAccountMunicipality::Table,
                            StaffAccountMunicipality::AccountId,
                        ),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sam_municipality")
                            .from(
                                StaffAccountMunicipality::Table,
                                StaffAccountMunicipality::MunicipalityId,
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
                    .table(StaffLoginLink::Table)
                    .col(pk_auto(StaffLoginLink::Id))
                    .col(integer(StaffLoginLink::AccountId))
                    .col(string_len_uniq(StaffLoginLink::TokenHash, 64))
                    .col(timestamp_with_time_zone(StaffLoginLink::CreatedAt))
                    .col(timestamp_with_time_zone(StaffLoginLink::ExpiresAt))
                    .col(timestamp_with_time_zone_null(StaffLoginLink::UsedAt))
                    .foreign_key(&mut account_fk(
                        "fk_sll_account",
                        (StaffLoginLink::Table, StaffLoginLink::AccountId),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffSession::Table)
                    .col(pk_auto(StaffSession::Id))
                    .col(integer(StaffSession::AccountId))
                    .col(string_len_uniq(StaffSession::TokenHash, 64))
                    .col(timestamp_with_time_zone(StaffSession::CreatedAt))
                    .col(timestamp_with_time_zone(StaffSession::LastSeenAt))
                    .col(timestamp_with_time_zone_null(StaffSession::RevokedAt))
                    .foreign_key(&mut account_fk(
                        "fk_ss_account",
                        (StaffSession::Table, StaffSession::AccountId),
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StaffSession::Table.into_iden(),
            StaffLoginLink::Table.into_iden(),
            StaffAccountMunicipality::Table.into_iden(),
            StaffAccount::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
