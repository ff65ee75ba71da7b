//! The parts of a promise: focus areas, commitments, follow-ups and signatories, and
//! their order.

use super::DeletePayload;
use super::IdInput;
use super::PromisePayload;
use super::ids;
use super::maybe;
use super::maybe_id;
use crate::graphql::context::db;
use crate::graphql::context::principal;
use crate::graphql::errors::ApiError;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::NodeType;
use crate::graphql::ids::decode_as;
use crate::graphql::types::Commitment;
use crate::graphql::types::CommitmentStatus;
use crate::graphql::types::Date;
use crate::graphql::types::FocusArea;
use crate::graphql::types::FollowUp;
use crate::graphql::types::Promise;
use crate::graphql::types::ResponsibleParty;
use crate::graphql::types::Signatory;
use crate::graphql::types::TargetPeriod;
use crate::service::editing;
use crate::service::editing::CommitmentFields;
use crate::service::editing::FocusAreaFields;
use crate::service::editing::FollowUpFields;
use crate::service::editing::List;
use crate::service::editing::SignatoryFields;
use crate::service::editing::Target;
use crate::service::editing::parts;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::MaybeUndefined;
use async_graphql::Object;
use async_graphql::SimpleObject;
use sea_orm::EntityTrait;

/// Input of `createFocusArea`.
#[derive(InputObject)]
pub struct CreateFocusAreaInput {
    /// The promise it belongs to.
    pub promise_id: ID,
    /// Stable key within the promise; made from the title when omitted.
    pub key: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Responsible contact.
    pub contact_id: Option<ID>,
}

/// Input of `updateFocusArea`.
#[derive(InputObject)]
pub struct UpdateFocusAreaInput {
    /// The focus area.
    pub id: ID,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: MaybeUndefined<String>,
    /// Responsible contact.
    pub contact_id: MaybeUndefined<ID>,
}

/// A focus area after a change.
#[derive(SimpleObject)]
pub struct FocusAreaPayload {
    /// The focus area as it is now.
    pub focus_area: FocusArea,
}

/// A measurable target, e.g. 4 "riktade trafikinsatser" per year.
#[derive(InputObject)]
pub struct TargetInput {
    /// How many (at least 1).
    pub quantity: i32,
    /// Of what, e.g. "riktade trafikinsatser".
    pub unit: String,
    /// Over which period.
    pub period: TargetPeriod,
}

impl From<TargetInput> for Target {
    fn from(t: TargetInput) -> Self {
        Self {
            quantity: t.quantity,
            unit: t.unit,
            period: t.period.into(),
        }
    }
}

/// Input of `createCommitment`.
#[derive(InputObject)]
pub struct CreateCommitmentInput {
    /// The promise it belongs to.
    pub promise_id: ID,
    /// The focus area it belongs to, if any (of the same promise).
    pub focus_area_id: Option<ID>,
    /// What will be done.
    pub text: String,
    /// Who does it.
    pub responsible: ResponsibleParty,
    /// Where it stands (default PLANNED).
    pub status: Option<CommitmentStatus>,
    /// Measurable target.
    pub target: Option<TargetInput>,
    /// Contact for this commitment.
    pub contact_id: Option<ID>,
}

/// Input of `updateCommitment`.
#[derive(InputObject)]
pub struct UpdateCommitmentInput {
    /// The commitment.
    pub id: ID,
    /// Move to another focus area of the promise; `null` for none.
    pub focus_area_id: MaybeUndefined<ID>,
    /// What will be done.
    pub text: Option<String>,
    /// Who does it.
    pub responsible: Option<ResponsibleParty>,
    /// Where it stands.
    pub status: Option<CommitmentStatus>,
    /// Measurable target; `null` removes it.
    pub target: MaybeUndefined<TargetInput>,
    /// Contact for this commitment.
    pub contact_id: MaybeUndefined<ID>,
}

/// A commitment after a change.
#[derive(SimpleObject)]
pub struct CommitmentPayload {
    /// The commitment as it is now.
    pub commitment: Commitment,
}

/// Input of `createFollowUp`.
#[derive(InputObject)]
pub struct CreateFollowUpInput {
    /// The commitment it reports on.
    pub commitment_id: ID,
    /// Day of the report.
    pub date: Date,
    /// What was done.
    pub text: String,
    /// How many units of the commitment's target this reports.
    pub achieved_quantity: Option<i32>,
}

/// Input of `updateFollowUp`.
#[derive(InputObject)]
pub struct UpdateFollowUpInput {
    /// The follow-up.
    pub id: ID,
    /// Day of the report.
    pub date: Option<Date>,
    /// What was done.
    pub text: Option<String>,
    /// How many units of the target this reports.
    pub achieved_quantity: MaybeUndefined<i32>,
}

/// A follow-up after a change.
#[derive(SimpleObject)]
pub struct FollowUpPayload {
    /// The follow-up as it is now.
    pub follow_up: FollowUp,
}

/// Input of `createSignatory`.
#[derive(InputObject)]
pub struct CreateSignatoryInput {
    /// The promise signed.
    pub promise_id: ID,
    /// Name.
    pub name: String,
    /// Title, e.g. "Kommunstyrelsens ordförande".
    pub title: String,
    /// Organisation.
    pub organisation: String,
}

/// Input of `updateSignatory`.
#[derive(InputObject)]
pub struct UpdateSignatoryInput {
    /// The signatory.
    pub id: ID,
    /// Name.
    pub name: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Organisation.
    pub organisation: Option<String>,
}

/// A signatory after a change.
#[derive(SimpleObject)]
pub struct SignatoryPayload {
    /// The signatory as it is now.
    pub signatory: Signatory,
}

/// Input of the reorder mutations: every item of the list, in the new order.
#[derive(InputObject)]
pub struct ReorderInput {
    /// The promise whose list is reordered.
    pub promise_id: ID,
    /// For `reorderCommitments`: the focus area whose commitments are reordered; omit for
    /// the promise's commitments outside any focus area.
    pub focus_area_id: Option<ID>,
    /// Every item of the list exactly once, in the new order.
    pub ids: Vec<ID>,
}

/// Changes to the parts of a promise.
#[derive(Default)]
pub struct PartsMutation;

#[Object]
impl PartsMutation {
    /// Add a focus area at the end of a promise's list.
    async fn create_focus_area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new focus area.")] input: CreateFocusAreaInput,
    ) -> ApiResult<FocusAreaPayload> {
        let p = principal(ctx)?;
        let promise_id = decode_as(&input.promise_id, NodeType::Promise, "promiseId")?;
        let fields = FocusAreaFields {
            key: input.key,
            title: Some(input.title),
            description: Some(input.description),
            contact: Some(
                input
                    .contact_id
                    .map(|c| decode_as(&c, NodeType::Contact, "contactId"))
                    .transpose()?,
            ),
        };
        let saved = parts::create_focus_area(db(ctx)?, p, promise_id, fields).await?;
        Ok(FocusAreaPayload {
            focus_area: FocusArea(saved),
        })
    }

    /// Change a focus area.
    async fn update_focus_area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateFocusAreaInput,
    ) -> ApiResult<FocusAreaPayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::FocusArea, "id")?;
        let fields = FocusAreaFields {
            key: None,
            title: input.title,
            description: maybe(input.description),
            contact: maybe_id(input.contact_id, NodeType::Contact, "contactId")?,
        };
        let saved = parts::update_focus_area(db(ctx)?, p, id, fields).await?;
        Ok(FocusAreaPayload {
            focus_area: FocusArea(saved),
        })
    }

    /// Delete a focus area with its commitments and routing rules.
    async fn delete_focus_area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The focus area.")] input: IdInput,
    ) -> ApiResult<DeletePayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::FocusArea, "id")?;
        parts::delete_focus_area(db(ctx)?, p, id).await?;
        Ok(DeletePayload {
            deleted_id: input.id,
        })
    }

    /// Add a commitment at the end of its list.
    async fn create_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new commitment.")] input: CreateCommitmentInput,
    ) -> ApiResult<CommitmentPayload> {
        let p = principal(ctx)?;
        let promise_id = decode_as(&input.promise_id, NodeType::Promise, "promiseId")?;
        let fields = CommitmentFields {
            focus_area: Some(
                input
                    .focus_area_id
                    .map(|f| decode_as(&f, NodeType::FocusArea, "focusAreaId"))
                    .transpose()?,
            ),
            text: Some(input.text),
            responsible: Some(input.responsible.into()),
            status: input.status.map(Into::into),
            target: Some(input.target.map(Into::into)),
            contact: Some(
                input
                    .contact_id
                    .map(|c| decode_as(&c, NodeType::Contact, "contactId"))
                    .transpose()?,
            ),
        };
        let saved = parts::create_commitment(db(ctx)?, p, promise_id, fields).await?;
        Ok(CommitmentPayload {
            commitment: Commitment(saved),
        })
    }

    /// Change a commitment, its target, or move it to another focus area.
    async fn update_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateCommitmentInput,
    ) -> ApiResult<CommitmentPayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Commitment, "id")?;
        let fields = CommitmentFields {
            focus_area: maybe_id(input.focus_area_id, NodeType::FocusArea, "focusAreaId")?,
            text: input.text,
            responsible: input.responsible.map(Into::into),
            status: input.status.map(Into::into),
            target: maybe(input.target).map(|t| t.map(Into::into)),
            contact: maybe_id(input.contact_id, NodeType::Contact, "contactId")?,
        };
        let saved = parts::update_commitment(db(ctx)?, p, id, fields).await?;
        Ok(CommitmentPayload {
            commitment: Commitment(saved),
        })
    }

    /// Delete a commitment with its follow-ups.
    async fn delete_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commitment.")] input: IdInput,
    ) -> ApiResult<DeletePayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Commitment, "id")?;
        parts::delete_commitment(db(ctx)?, p, id).await?;
        Ok(DeletePayload {
            deleted_id: input.id,
        })
    }

    /// Report progress on a commitment.
    async fn create_follow_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report.")] input: CreateFollowUpInput,
    ) -> ApiResult<FollowUpPayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.commitment_id, NodeType::Commitment, "commitmentId")?;
        let fields = FollowUpFields {
            date: Some(input.date.0),
            text: Some(input.text),
            achieved_quantity: Some(input.achieved_quantity),
        };
        let saved = parts::create_follow_up(db(ctx)?, p, id, fields).await?;
        Ok(FollowUpPayload {
            follow_up: FollowUp(saved),
        })
    }

    /// Change a follow-up.
    async fn update_follow_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateFollowUpInput,
    ) -> ApiResult<FollowUpPayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::FollowUp, "id")?;
        let fields = FollowUpFields {
            date: input.date.map(|d| d.0),
            text: input.text,
            achieved_quantity: maybe(input.achieved_quantity),
        };
        let saved = parts::update_follow_up(db(ctx)?, p, id, fields).await?;
        Ok(FollowUpPayload {
            follow_up: FollowUp(saved),
        })
    }

    /// Delete a follow-up.
    async fn delete_follow_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The follow-up.")] input: IdInput,
    ) -> ApiResult<DeletePayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::FollowUp, "id")?;
        parts::delete_follow_up(db(ctx)?, p, id).await?;
        Ok(DeletePayload {
            deleted_id: input.id,
        })
    }

    /// Add a signatory at the end of a promise's list.
    async fn create_signatory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The signatory.")] input: CreateSignatoryInput,
    ) -> ApiResult<SignatoryPayload> {
        let p = principal(ctx)?;
        let promise_id = decode_as(&input.promise_id, NodeType::Promise, "promiseId")?;
        let fields = SignatoryFields {
            name: Some(input.name),
            title: Some(input.title),
            organisation: Some(input.organisation),
        };
        let saved = parts::create_signatory(db(ctx)?, p, promise_id, fields).await?;
        Ok(SignatoryPayload {
            signatory: Signatory(saved),
        })
    }

    /// Change a signatory.
    async fn update_signatory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateSignatoryInput,
    ) -> ApiResult<SignatoryPayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Signatory, "id")?;
        let fields = SignatoryFields {
            name: input.name,
            title: input.title,
            organisation: input.organisation,
        };
        let saved = parts::update_signatory(db(ctx)?, p, id, fields).await?;
        Ok(SignatoryPayload {
            signatory: Signatory(saved),
        })
    }

    /// Delete a signatory.
    async fn delete_signatory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The signatory.")] input: IdInput,
    ) -> ApiResult<DeletePayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Signatory, "id")?;
        parts::delete_signatory(db(ctx)?, p, id).await?;
        Ok(DeletePayload {
            deleted_id: input.id,
        })
    }

    /// Put a promise's focus areas in a new order.
    async fn reorder_focus_areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The promise and the new order.")] input: ReorderInput,
    ) -> ApiResult<PromisePayload> {
        let promise_id = decode_as(&input.promise_id, NodeType::Promise, "promiseId")?;
        let order = ids(&input.ids, NodeType::FocusArea, "ids")?;
        reorder(ctx, List::FocusAreas { promise_id }, &order).await
    }

    /// Put the commitments of a focus area (or those outside any focus area) in a new order.
    async fn reorder_commitments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The promise, the focus area and the new order.")] input: ReorderInput,
    ) -> ApiResult<PromisePayload> {
        let promise_id = decode_as(&input.promise_id, NodeType::Promise, "promiseId")?;
        let focus_area_id = input
            .focus_area_id
            .map(|f| decode_as(&f, NodeType::FocusArea, "focusAreaId"))
            .transpose()?;
        let order = ids(&input.ids, NodeType::Commitment, "ids")?;
        let list = List::Commitments {
            promise_id,
            focus_area_id,
        };
        reorder(ctx, list, &order).await
    }

    /// Put a promise's signatories in a new order.
    async fn reorder_signatories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The promise and the new order.")] input: ReorderInput,
    ) -> ApiResult<PromisePayload> {
        let promise_id = decode_as(&input.promise_id, NodeType::Promise, "promiseId")?;
        let order = ids(&input.ids, NodeType::Signatory, "ids")?;
        reorder(ctx, List::Signatories { promise_id }, &order).await
    }
}

async fn reorder(ctx: &Context<'_>, list: List, order: &[i32]) -> ApiResult<PromisePayload> {
    let p = principal(ctx)?;
    let db = db(ctx)?;
    editing::parts::reorder(db, p, list, order).await?;
    let promise_id = match list {
        List::FocusAreas { promise_id }
        | List::Commitments { promise_id, .. }
        | List::Signatories { promise_id } => promise_id,
    };
    let saved = entity::promise::Entity::find_by_id(promise_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("promise"))?;
    Ok(PromisePayload {
        promise: Promise::from(saved),
    })
}
