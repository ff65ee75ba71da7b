//! Promises: creating, changing, publishing and deleting them, and the editable list.

use super::DeletePayload;
use super::IdInput;
use super::PromisePayload;
use super::ids;
use super::maybe;
use crate::graphql::connection::PageArgs;
use crate::graphql::connection::connection;
use crate::graphql::context::db;
use crate::graphql::context::principal;
use crate::graphql::errors::ApiError;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::NodeType;
use crate::graphql::ids::decode_as;
use crate::graphql::types::Date;
use crate::graphql::types::Promise;
use crate::graphql::types::PromiseConnection;
use crate::service::editing::PromiseFields;
use crate::service::editing::promises;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::MaybeUndefined;
use async_graphql::Object;

/// Input of `createPromise`. The promise starts as an unpublished draft.
#[derive(InputObject)]
pub struct CreatePromiseInput {
    /// Stable key, e.g. "mellerud-2027": lower-case letters, digits and hyphens.
    pub key: String,
    /// Title.
    pub title: String,
    /// Kommunkod or slug of each municipality, in display order.
    pub municipalities: Vec<String>,
    /// Key of the police area (lokalpolisområde).
    pub police_area: Option<String>,
    /// First day of validity.
    pub valid_from: Date,
    /// Last day of validity (at most two calendar years after the first).
    pub valid_to: Date,
    /// Short summary.
    pub summary: String,
    /// Lägesbild.
    pub situation: Option<String>,
    /// Goal and expected effects.
    pub goal: Option<String>,
    /// How the promise is followed up.
    pub follow_up: Option<String>,
    /// Note about renewal.
    pub renewal_note: Option<String>,
    /// Day of signing.
    pub signed_on: Option<Date>,
    /// Place of signing.
    pub signed_place: Option<String>,
    /// Contacts named on the promise, in display order.
    pub contact_ids: Option<Vec<ID>>,
}

/// Input of `updatePromise`: omitted fields are left as they are, `null` clears.
#[derive(InputObject)]
pub struct UpdatePromiseInput {
    /// The promise.
    pub id: ID,
    /// Title.
    pub title: Option<String>,
    /// Kommunkod or slug of each municipality, in display order.
    pub municipalities: Option<Vec<String>>,
    /// Key of the police area.
    pub police_area: MaybeUndefined<String>,
    /// First day of validity.
    pub valid_from: Option<Date>,
    /// Last day of validity.
    pub valid_to: Option<Date>,
    /// Short summary.
    pub summary: Option<String>,
    /// Lägesbild.
    pub situation: MaybeUndefined<String>,
    /// Goal and expected effects.
    pub goal: MaybeUndefined<String>,
    /// How the promise is followed up.
    pub follow_up: MaybeUndefined<String>,
    /// Note about renewal.
    pub renewal_note: MaybeUndefined<String>,
    /// Day of signing.
    pub signed_on: MaybeUndefined<Date>,
    /// Place of signing.
    pub signed_place: MaybeUndefined<String>,
    /// Contacts named on the promise, in display order.
    pub contact_ids: Option<Vec<ID>>,
}

/// The editable promises.
#[derive(Default)]
pub struct PromisesQuery;

#[Object]
impl PromisesQuery {
    /// Promises the caller may edit (ADMIN, EDITOR), drafts included, most recently
    /// changed first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn editable_promises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<PromiseConnection> {
        let p = principal(ctx)?;
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
        let db = db(ctx)?;
        let (rows, page, total) = args
            .fetch(|offset, limit| async move {
                Ok::<_, ApiError>(promises::editable(db, p, offset, limit).await?)
            })
            .await?;
        Ok(connection(rows.into_iter().map(Promise::from).collect(), page, total).into())
    }
}

/// Changes to promises themselves.
#[derive(Default)]
pub struct PromisesMutation;

#[Object]
impl PromisesMutation {
    /// Create a promise as an unpublished draft (ADMIN, EDITOR for their municipalities).
    async fn create_promise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new promise.")] input: CreatePromiseInput,
    ) -> ApiResult<PromisePayload> {
        let p = principal(ctx)?;
        let fields = PromiseFields {
            title: Some(input.title),
            municipalities: Some(input.municipalities),
            police_area: Some(input.police_area),
            valid_from: Some(input.valid_from.0),
            valid_to: Some(input.valid_to.0),
            summary: Some(input.summary),
            situation: Some(input.situation),
            goal: Some(input.goal),
            follow_up: Some(input.follow_up),
            renewal_note: Some(input.renewal_note),
            signed_on: Some(input.signed_on.map(|d| d.0)),
            signed_place: Some(input.signed_place),
            contacts: input
                .contact_ids
                .map(|l| ids(&l, NodeType::Contact, "contactIds"))
                .transpose()?,
        };
        let saved = promises::create_promise(db(ctx)?, p, &input.key, fields).await?;
        Ok(PromisePayload {
            promise: Promise::from(saved),
        })
    }

    /// Change a promise's fields.
    async fn update_promise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdatePromiseInput,
    ) -> ApiResult<PromisePayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Promise, "id")?;
        let fields = PromiseFields {
            title: input.title,
            municipalities: input.municipalities,
            police_area: maybe(input.police_area),
            valid_from: input.valid_from.map(|d| d.0),
            valid_to: input.valid_to.map(|d| d.0),
            summary: input.summary,
            situation: maybe(input.situation),
            goal: maybe(input.goal),
            follow_up: maybe(input.follow_up),
            renewal_note: maybe(input.renewal_note),
            signed_on: maybe(input.signed_on).map(|d| d.map(|d| d.0)),
            signed_place: maybe(input.signed_place),
            contacts: input
                .contact_ids
                .map(|l| ids(&l, NodeType::Contact, "contactIds"))
                .transpose()?,
        };
        let saved = promises::update_promise(db(ctx)?, p, id, fields).await?;
        Ok(PromisePayload {
            promise: Promise::from(saved),
        })
    }

    /// Make a promise visible in the public API.
    async fn publish_promise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The promise.")] input: IdInput,
    ) -> ApiResult<PromisePayload> {
        publish(ctx, input, true).await
    }

    /// Hide a promise from the public API (it becomes a draft).
    async fn unpublish_promise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The promise.")] input: IdInput,
    ) -> ApiResult<PromisePayload> {
        publish(ctx, input, false).await
    }

    /// Delete a promise with all its parts. A re-run of the seed import does not bring it
    /// back unless forced.
    async fn delete_promise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The promise.")] input: IdInput,
    ) -> ApiResult<DeletePayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Promise, "id")?;
        promises::delete_promise(db(ctx)?, p, id).await?;
        Ok(DeletePayload {
            deleted_id: input.id,
        })
    }
}

async fn publish(ctx: &Context<'_>, input: IdInput, published: bool) -> ApiResult<PromisePayload> {
    let p = principal(ctx)?;
    let id = decode_as(&input.id, NodeType::Promise, "id")?;
    let saved = promises::set_published(db(ctx)?, p, id, published).await?;
    Ok(PromisePayload {
        promise: Promise::from(saved),
    })
}
