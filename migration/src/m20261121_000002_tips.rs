//! Residents' tips and their email deliveries (the transactional outbox), idempotency
//! keys, and server-wide secrets shared by all replicas.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tip {
    Table,
    Id,
    Reference,
    MunicipalityId,
    Kind,
    Message,
    ConcernsPromiseId,
    ConcernsFocusAreaId,
    ConcernsCommitmentId,
    RoutedContactId,
    RoutingReason,
    Status,
    Name,
    Email,
    Phone,
    WantsReply,
    IpHash,
    ReceivedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    Id,
    TipId,
    Kind,
    RecipientName,
    RecipientEmail,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LockedBy,
    LastError,
    SentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    Key,
    RequestHash,
    TipId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServerSecret {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Contact {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tip::Table)
                    .col(pk_auto(Tip::Id))
                    .col(string_len_uniq(Tip::Reference, 32))
                    .col(integer(Tip::MunicipalityId))
                    .col(string_len(Tip::Kind, 16))
                    .col(text(Tip::Message))
                    .col(integer_null(Tip::ConcernsPromiseId))
                    .col(integer_null(Tip::ConcernsFocusAreaId))
                    .col(integer_null(Tip::ConcernsCommitmentId))
                    .col(integer_null(Tip::RoutedContactId))
                    .col(string_len(Tip::RoutingReason, 32))
                    .col(string_len(Tip::Status, 16))
                    .col(string_null(Tip::Name))
                    .col(string_null(Tip::Email))
                    .col(string_null(Tip::Phone))
                    .col(boolean(Tip::WantsReply).default(false))
                    .col(string_len_null(Tip::IpHash, 64))
                    .col(timestamp_with_time_zone(Tip::ReceivedAt))
                    .col(timestamp_with_time_zone(Tip::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tip_municipality")
                            .from(Tip::Table, Tip::MunicipalityId)
                            .to(Municipality::Table, Municipality::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tip_contact")
                            .from(Tip::Table, Tip::RoutedContactId)
                            .to(Contact::Table, Contact::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tip_ip_window")
                    .table(Tip::Table)
                    .col(Tip::IpHash)
                    .col(Tip::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Delivery::Table)
                    .col(pk_auto(Delivery::Id))
                    .col(integer(Delivery::TipId))
                    .col(string_len(Delivery::Kind, 16))
                    .col(string_null(Delivery::RecipientName))
                    .col(string(Delivery::RecipientEmail))
                    .col(string_len(Delivery::Status, 16))
                    .col(integer(Delivery::Attempts).default(0))
                    .col(timestamp_with_time_zone(Delivery::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Delivery::LockedUntil))
                    .col(string_len_null(Delivery::LockedBy, 64))
                    .col(text_null(Delivery::LastError))
                    .col(timestamp_with_time_zone_null(Delivery::SentAt))
                    .col(timestamp_with_time_zone(Delivery::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_tip")
                            .from(Delivery::Table, Delivery::TipId)
                            .to(Tip::Table, Tip::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_delivery_due")
                    .table(Delivery::Table)
                    .col(Delivery::Status)
                    .col(Delivery::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_delivery_tip")
                    .table(Delivery::Table)
                    .col(Delivery::TipId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKey::Table)
                    .col(string_len(IdempotencyKey::Key, 128).primary_key())
                    .col(string_len(IdempotencyKey::RequestHash, 64))
                    .col(integer(IdempotencyKey::TipId))
                    .col(timestamp_with_time_zone(IdempotencyKey::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_idempotency_tip")
                            .from(IdempotencyKey::Table, IdempotencyKey::TipId)
                            .to(Tip::Table, Tip::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServerSecret::Table)
                    .col(string_len(ServerSecret::Name, 64).primary_key())
                    .col(string(ServerSecret::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ServerSecret::Table.into_iden(),
            IdempotencyKey::Table.into_iden(),
            Delivery::Table.into_iden(),
            Tip::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
