//! The public catalogue: municipalities, police areas, promises and everything a promise
//! contains, contacts, and the routing rules that say who receives residents' tips.
//!
//! Over 600 lines: the first migration creates the whole catalogue schema at once, and a
//! migration that has been applied is never edited or split.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Id,
    Code,
    Name,
    Slug,
    County,
}

#[derive(DeriveIden)]
enum PoliceArea {
    Table,
    Id,
    Key,
    Name,
}

#[derive(DeriveIden)]
enum PoliceAreaMunicipality {
    Table,
    PoliceAreaId,
    MunicipalityId,
}

#[derive(DeriveIden)]
enum Promise {
    Table,
    Id,
    Key,
    Title,
    PoliceAreaId,
    ValidFrom,
    ValidTo,
    Summary,
    Situation,
    Goal,
    FollowUp,
    RenewalNote,
    SignedOn,
    SignedPlace,
    Published,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PromiseMunicipality {
    Table,
    PromiseId,
    MunicipalityId,
    Position,
}

#[derive(DeriveIden)]
enum PromiseContact {
    Table,
    PromiseId,
    ContactId,
    Position,
}

#[derive(DeriveIden)]
enum PromiseSource {
    Table,
    Id,
    PromiseId,
    Position,
    Title,
    Publisher,
    Url,
    UpdatedOn,
}

#[derive(DeriveIden)]
enum PromiseSection {
    Table,
    Id,
    PromiseId,
    Position,
    Heading,
    Body,
}

#[derive(DeriveIden)]
enum FocusArea {
    Table,
    Id,
    PromiseId,
    Key,
    Position,
    Title,
    Description,
    ContactId,
}

#[derive(DeriveIden)]
enum Commitment {
    Table,
    Id,
    PromiseId,
    FocusAreaId,
    Position,
    Text,
    Responsible,
    Status,
    TargetQuantity,
    TargetUnit,
    TargetPeriod,
    ContactId,
}

#[derive(DeriveIden)]
enum FollowUp {
    Table,
    Id,
    CommitmentId,
    Date,
    Text,
    AchievedQuantity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Signatory {
    Table,
    Id,
    PromiseId,
    Position,
    Name,
    Title,
    Organisation,
}

#[derive(DeriveIden)]
enum Contact {
    Table,
    Id,
    Key,
    Name,
    Role,
    OrganisationKind,
    Organisation,
    Phone,
    Email,
    EmailIsPlaceholder,
    IsPlaceholder,
}

#[derive(DeriveIden)]
enum ContactMunicipality {
    Table,
    ContactId,
    MunicipalityId,
}

#[derive(DeriveIden)]
enum RoutingRule {
    Table,
    Id,
    MunicipalityId,
    FocusAreaId,
    ContactId,
}

/// A foreign key that deletes the child with its parent.
fn cascade(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A foreign key that is cleared when the referenced row goes away.
fn set_null(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(Alias::new(*column));
    }
    manager.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Municipality::Table)
                    .col(pk_auto(Municipality::Id))
                    .col(string_len_uniq(Municipality::Code, 4))
                    .col(string(Municipality::Name))
                    .col(string_uniq(Municipality::Slug))
                    .col(string(Municipality::County))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PoliceArea::Table)
                    .col(pk_auto(PoliceArea::Id))
                    .col(string_uniq(PoliceArea::Key))
                    .col(string(PoliceArea::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PoliceAreaMunicipality::Table)
                    .col(integer(PoliceAreaMunicipality::PoliceAreaId))
                    .col(integer(PoliceAreaMunicipality::MunicipalityId))
                    .primary_key(
                        Index::create()
                            .col(PoliceAreaMunicipality::PoliceAreaId)
                            .col(PoliceAreaMunicipality::MunicipalityId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_pam_police_area",
                        (
                            PoliceAreaMunicipality::Table,
                            PoliceAreaMunicipality::PoliceAreaId,
                        ),
                        (PoliceArea::Table, PoliceArea::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_pam_municipality",
                        (
                            PoliceAreaMunicipality::Table,
                            PoliceAreaMunicipality::MunicipalityId,
                        ),
                        (Municipality::Table, Municipality::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contact::Table)
                    .col(pk_auto(Contact::Id))
                    .col(string_uniq(Contact::Key))
                    .col(string(Contact::Name))
                    .col(string(Contact::Role))
                    .col(string_len(Contact::OrganisationKind, 16))
                    .col(string(Contact::Organisation))
                    .col(string_null(Contact::Phone))
                    .col(string_null(Contact::Email))
                    .col(boolean(Contact::EmailIsPlaceholder).default(false))
                    .col(boolean(Contact::IsPlaceholder).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactMunicipality::Table)
                    .col(integer(ContactMunicipality::ContactId))
                    .col(integer(ContactMunicipality::MunicipalityId))
                    .primary_key(
                        Index::create()
                            .col(ContactMunicipality::ContactId)
                            .col(ContactMunicipality::MunicipalityId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_cm_contact",
                        (ContactMunicipality::Table, ContactMunicipality::ContactId),
                        (Contact::Table, Contact::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_cm_municipality",
                        (
                            ContactMunicipality::Table,
                            ContactMunicipality::MunicipalityId,
                        ),
                        (Municipality::Table, Municipality::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_cm_municipality",
            ContactMunicipality::Table,
            &["municipality_id"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Promise::Table)
                    .col(pk_auto(Promise::Id))
                    .col(string_uniq(Promise::Key))
                    .col(string(Promise::Title))
                    .col(integer_null(Promise::PoliceAreaId))
                    .col(date(Promise::ValidFrom))
                    .col(date(Promise::ValidTo))
                    .col(text(Promise::Summary))
                    .col(text_null(Promise::Situation))
                    .col(text_null(Promise::Goal))
                    .col(text_null(Promise::FollowUp))
                    .col(text_null(Promise::RenewalNote))
                    .col(date_null(Promise::SignedOn))
                    .col(string_null(Promise::SignedPlace))
                    .col(boolean(Promise::Published).default(false))
                    .col(text(Promise::SearchText))
                    .col(timestamp_with_time_zone(Promise::CreatedAt))
                    .col(timestamp_with_time_zone(Promise::UpdatedAt))
                    .foreign_key(&mut set_null(
                        "fk_promise_police_area",
                        (Promise::Table, Promise::PoliceAreaId),
                        (PoliceArea::Table, PoliceArea::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_promise_validity",
            Promise::Table,
            &["published", "valid_from", "valid_to"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromiseMunicipality::Table)
                    .col(integer(PromiseMunicipality::PromiseId))
                    .col(integer(PromiseMunicipality::MunicipalityId))
                    .col(integer(PromiseMunicipality::Position).default(0))
                    .primary_key(
                        Index::create()
                            .col(PromiseMunicipality::PromiseId)
                            .col(PromiseMunicipality::MunicipalityId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_pm_promise",
                        (PromiseMunicipality::Table, PromiseMunicipality::PromiseId),
                        (Promise::Table, Promise::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_pm_municipality",
                        (
                            PromiseMunicipality::Table,
                            PromiseMunicipality::MunicipalityId,
                        ),
                        (Municipality::Table, Municipality::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_pm_municipality",
            PromiseMunicipality::Table,
            &["municipality_id"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromiseContact::Table)
                    .col(integer(PromiseContact::PromiseId))
                    .col(integer(PromiseContact::ContactId))
                    .col(integer(PromiseContact::Position).default(0))
                    .primary_key(
                        Index::create()
                            .col(PromiseContact::PromiseId)
                            .col(PromiseContact::ContactId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_pc_promise",
                        (PromiseContact::Table, PromiseContact::PromiseId),
                        (Promise::Table, Promise::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_pc_contact",
                        (PromiseContact::Table, PromiseContact::ContactId),
                        (Contact::Table, Contact::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromiseSource::Table)
                    .col(pk_auto(PromiseSource::Id))
                    .col(integer(PromiseSource::PromiseId))
                    .col(integer(PromiseSource::Position))
                    .col(string(PromiseSource::Title))
                    .col(string(PromiseSource::Publisher))
                    .col(string_null(PromiseSource::Url))
                    .col(date_null(PromiseSource::UpdatedOn))
                    .foreign_key(&mut cascade(
                        "fk_source_promise",
                        (PromiseSource::Table, PromiseSource::PromiseId),
                        (Promise::Table, Promise::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_source_promise",
            PromiseSource::Table,
            &["promise_id"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromiseSection::Table)
                    .col(pk_auto(PromiseSection::Id))
                    .col(integer(PromiseSection::PromiseId))
                    .col(integer(PromiseSection::Position))
                    .col(string(PromiseSection::Heading))
                    .col(text(PromiseSection::Body))
                    .foreign_key(&mut cascade(
                        "fk_section_promise",
                        (PromiseSection::Table, PromiseSection::PromiseId),
                        (Promise::Table, Promise::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_section_promise",
            PromiseSection::Table,
            &["promise_id"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(FocusArea::Table)
                    .col(pk_auto(FocusArea::Id))
                    .col(integer(FocusArea::PromiseId))
                    .col(string(FocusArea::Key))
                    .col(integer(FocusArea::Position))
                    .col(string(FocusArea::Title))
                    .col(text_null(FocusArea::Description))
                    .col(integer_null(FocusArea::ContactId))
                    .foreign_key(&mut cascade(
                        "fk_focus_area_promise",
                        (FocusArea::Table, FocusArea::PromiseId),
                        (Promise::Table, Promise::Id),
                    ))
                    .foreign_key(&mut set_null(
                        "fk_focus_area_contact",
                        (FocusArea::Table, FocusArea::ContactId),
                        (Contact::Table, Contact::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_focus_area_promise_key")
                    .table(FocusArea::Table)
                    .col(FocusArea::PromiseId)
                    .col(FocusArea::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Commitment::Table)
                    .col(pk_auto(Commitment::Id))
                    .col(integer(Commitment::PromiseId))
                    .col(integer_null(Commitment::FocusAreaId))
                    .col(integer(Commitment::Position))
                    .col(text(Commitment::Text))
                    .col(string_len(Commitment::Responsible, 16))
                    .col(string_len(Commitment::Status, 16))
                    .col(integer_null(Commitment::TargetQuantity))
                    .col(string_null(Commitment::TargetUnit))
                    .col(string_len_null(Commitment::TargetPeriod, 16))
                    .col(integer_null(Commitment::ContactId))
                    .foreign_key(&mut cascade(
                        "fk_commitment_promise",
                        (Commitment::Table, Commitment::PromiseId),
                        (Promise::Table, Promise::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_commitment_focus_area",
                        (Commitment::Table, Commitment::FocusAreaId),
                        (FocusArea::Table, FocusArea::Id),
                    ))
                    .foreign_key(&mut set_null(
                        "fk_commitment_contact",
                        (Commitment::Table, Commitment::ContactId),
                        (Contact::Table, Contact::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_commitment_promise",
            Commitment::Table,
            &["promise_id"],
        )
        .await?;
        index(
            manager,
            "idx_commitment_focus_area",
            Commitment::Table,
            &["focus_area_id"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(FollowUp::Table)
                    .col(pk_auto(FollowUp::Id))
                    .col(integer(FollowUp::CommitmentId))
                    .col(date(FollowUp::Date))
                    .col(text(FollowUp::Text))
                    .col(integer_null(FollowUp::AchievedQuantity))
                    .col(timestamp_with_time_zone(FollowUp::CreatedAt))
                    .foreign_key(&mut cascade(
                        "fk_follow_up_commitment",
                        (FollowUp::Table, FollowUp::CommitmentId),
                        (Commitment::Table, Commitment::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_follow_up_commitment",
            FollowUp::Table,
            &["commitment_id"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Signatory::Table)
                    .col(pk_auto(Signatory::Id))
                    .col(integer(Signatory::PromiseId))
                    .col(integer(Signatory::Position))
                    .col(string(Signatory::Name))
                    .col(string(Signatory::Title))
                    .col(string(Signatory::Organisation))
                    .foreign_key(&mut cascade(
                        "fk_signatory_promise",
                        (Signatory::Table, Signatory::PromiseId),
                        (Promise::Table, Promise::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_signatory_promise",
            Signatory::Table,
            &["promise_id"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoutingRule::Table)
                    .col(pk_auto(RoutingRule::Id))
                    .col(integer(RoutingRule::MunicipalityId))
                    .col(integer_null(RoutingRule::FocusAreaId))
                    .col(integer(RoutingRule::ContactId))
                    .foreign_key(&mut cascade(
                        "fk_routing_municipality",
                        (RoutingRule::Table, RoutingRule::MunicipalityId),
                        (Municipality::Table, Municipality::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_routing_focus_area",
                        (RoutingRule::Table, RoutingRule::FocusAreaId),
                        (FocusArea::Table, FocusArea::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_routing_contact",
                        (RoutingRule::Table, RoutingRule::ContactId),
                        (Contact::Table, Contact::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_routing_municipality",
            RoutingRule::Table,
            &["municipality_id"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so foreign keys never block a drop.
        let tables: [DynIden; 15] = [
            RoutingRule::Table.into_iden(),
            Signatory::Table.into_iden(),
            FollowUp::Table.into_iden(),
            Commitment::Table.into_iden(),
            FocusArea::Table.into_iden(),
            PromiseSection::Table.into_iden(),
            PromiseSource::Table.into_iden(),
            PromiseContact::Table.into_iden(),
            PromiseMunicipality::Table.into_iden(),
            Promise::Table.into_iden(),
            ContactMunicipality::Table.into_iden(),
            Contact::Table.into_iden(),
            PoliceAreaMunicipality::Table.into_iden(),
            PoliceArea::Table.into_iden(),
            Municipality::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
