//! Staff editing: an append-only audit log of every change made through the API, and the
//! record of which seeded rows staff have taken over (so a re-import leaves them alone).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    TokenId,
    Action,
    EntityType,
    EntityId,
    PromiseId,
    Before,
    After,
}

#[derive(DeriveIden)]
enum StaffOverride {
    Table,
    Kind,
    Key,
    EditedAt,
    Deleted,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(string(AuditLog::Actor))
                    // No foreign keys: the log outlives what it describes.
                    .col(integer_null(AuditLog::TokenId))
                    .col(string_len(AuditLog::Action, 16))
                    .col(string_len(AuditLog::EntityType, 32))
                    .col(integer(AuditLog::EntityId))
                    .col(integer_null(AuditLog::PromiseId))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_entity")
                    .table(AuditLog::Table)
                    .col(AuditLog::EntityType)
                    .col(AuditLog::EntityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_promise")
                    .table(AuditLog::Table)
                    .col(AuditLog::PromiseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffOverride::Table)
                    .col(string_len(StaffOverride::Kind, 16))
                    .col(string(StaffOverride::Key))
                    .col(timestamp_with_time_zone(StaffOverride::EditedAt))
                    .col(boolean(StaffOverride::Deleted))
                    .primary_key(
                        Index::create()
                            .col(StaffOverride::Kind)
                            .col(StaffOverride::Key),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StaffOverride::Table.into_iden(),
            AuditLog::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
