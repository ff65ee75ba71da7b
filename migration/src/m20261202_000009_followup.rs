//! Follow-up of tips (issue 15, parts 2–5): reminders, escalation and updates to the
//! resident. Each tip records when it was reminded and escalated (the follow-up job
//! claims each step with a conditional update of these columns), and each outbox row
//! may carry a follow-up key that is unique per tip, so a reminder or an escalation is
//! enqueued at most once, whichever replica's job gets there first. SQLite and
//! PostgreSQL both treat NULL keys as distinct, so ordinary deliveries are unaffected.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tip {
    Table,
    NotifyOnUpdate,
    RemindedAt,
    EscalatedAt,
    EscalationFlagged,
    RepliedAt,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    TipId,
    FollowupKey,
    Body,
}

const INDEX: &str = "idx_delivery_followup_once";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one change per ALTER TABLE.
        let tip_columns = [
            boolean(Tip::NotifyOnUpdate).default(false).to_owned(),
            timestamp_with_time_zone_null(Tip::RemindedAt).to_owned(),
            timestamp_with_time_zone_null(Tip::EscalatedAt).to_owned(),
            boolean(Tip::EscalationFlagged).default(false).to_owned(),
            timestamp_with_time_zone_null(Tip::RepliedAt).to_owned(),
            timestamp_with_time_zone_null(Tip::AnsweredAt).to_owned(),
        ];
        for mut column in tip_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tip::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for mut column in [
            string_len_null(Delivery::FollowupKey, 16).to_owned(),
            text_null(Delivery::Body).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Delivery::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Delivery::Table)
                    .col(Delivery::TipId)
                    .col(Delivery::FollowupKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Delivery::Table).to_owned())
            .await?;
        for column in [Delivery::Body, Delivery::FollowupKey] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Delivery::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Tip::AnsweredAt,
            Tip::RepliedAt,
            Tip::EscalationFlagged,
            Tip::EscalatedAt,
            Tip::RemindedAt,
            Tip::NotifyOnUpdate,
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
