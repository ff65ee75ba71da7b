//! Staff fields (bearer token required) and the resident's public status lookup.
//!
//! No token on a staff field is `UNAUTHENTICATED`; a role that may not use the field is
//! `FORBIDDEN`; a tip outside one's scope is `NOT_FOUND`, like one that does not exist.

//!
//! The tip types staff read are in `tips`, API tokens and staff accounts in `accounts`.

mod accounts;
mod tips;

use accounts::{account_municipalities, api_token};

pub use accounts::*;
pub use tips::*;

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::{
    connection::{PageArgs, connection},
    context::{db, principal},
    errors::{ApiError, ApiResult},
    types::{DateTime, TipStatus},
};
use crate::service::staff::{self, Principal, TipQuery};

/// The caller's identity for this request, from the `Authorization: Bearer` header.
#[derive(Clone, Debug)]
pub enum Caller {
    Anonymous,
    /// A token was sent but is unknown or revoked.
    InvalidToken,
    Staff(Principal),
}

/// The application's clock (the system clock when the intake is missing).
fn clock(ctx: &Context<'_>) -> crate::clock::Clock {
    ctx.data::<super::mutation::TipIntake>()
        .map(|intake| intake.clock.clone())
        .unwrap_or_default()
}

fn wake_worker(ctx: &Context<'_>) {
    if let Ok(intake) = ctx.data::<super::mutation::TipIntake>() {
        intake.wake_worker.notify_one();
    }
}

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// Tips in the caller's scope, newest first (staff: ADMIN, or RECIPIENT for the tips
    /// routed to their contact or municipalities).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn tips(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Filters; all given filters must match.")] filter: Option<TipFilter>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<StaffTipConnection> {
        let p = principal(ctx)?;
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
        let filter = filter.unwrap_or_default();
        let db = db(ctx)?;
        let municipality_id = match filter.municipality {
            Some(m) => Some(
                crate::service::catalog::municipality_by_code_or_slug(db, &m)
                    .await?
                    .ok_or_else(|| {
                        ApiError::bad_input(
                            "filter.municipality",
                            "no municipality has that code or slug",
                        )
                    })?
                    .id,
            ),
            None => None,
        };
        let query = TipQuery {
            municipality_id,
            status: filter.status.map(Into::into),
            kind: filter.kind.map(Into::into),
            received_after: filter.received_after.map(|d| d.0),
            received_before: filter.received_before.map(|d| d.0),
            overdue: filter.overdue,
            today: Some(clock(ctx).today()),
        };
        let query = &query;
        let (items, page, total) = args
            .fetch(|offset, limit| async move {
                staff::tips(db, p, query, offset, limit)
                    .await
                    .map_err(ApiError::from)
            })
            .await?;
        Ok(connection(items.into_iter().map(StaffTip).collect(), page, total).into())
    }

    /// One tip in the caller's scope by reference; `NOT_FOUND` when missing or out of scope.
    async fn tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Reference, e.g. \"MEL-7K3F-9Q\".")] reference: String,
    ) -> ApiResult<StaffTip> {
        let p = principal(ctx)?;
        Ok(StaffTip(
            staff::tip_in_scope(db(ctx)?, p, &reference).await?,
        ))
    }

    /// Staff API tokens (ADMIN only): those whose municipalities lie within the caller's
    /// (a national admin sees all).
    async fn api_tokens(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApiToken>> {
        let p = principal(ctx)?;
        let tokens = staff::list_tokens_for(db(ctx)?, p).await?;
        Ok(tokens.into_iter().map(|(t, m)| api_token(t, m)).collect())
    }
}

/// Input of `updateTipStatus`.
#[derive(InputObject)]
pub struct UpdateTipStatusInput {
    /// Reference of the tip.
    pub reference: String,
    /// The new status: IN_PROGRESS, HANDLED or NOT_RELEVANT.
    pub status: TipStatus,
    /// Internal note kept in the tip's history (never shown to the resident).
    pub note: Option<String>,
}

/// Input of `replyToResident`.
#[derive(InputObject)]
pub struct ReplyToResidentInput {
    /// Reference of the tip.
    pub reference: String,
    /// The reply, in plain text (1–5000 characters); sent to the resident's email.
    pub message: String,
}

/// Result of `updateTipStatus`.
#[derive(SimpleObject)]
pub struct UpdateTipStatusPayload {
    /// The tip after the change.
    pub tip: StaffTip,
}

/// Input of `rerouteTip`.
#[derive(InputObject)]
pub struct RerouteTipInput {
    /// Reference of the tip.
    pub reference: String,
    /// Id of a contact of the tip's municipality.
    pub contact: async_graphql::ID,
    /// Internal note kept in the tip's history.
    pub note: Option<String>,
}

/// Result of `rerouteTip` and `resendTipDeliveries`.
#[derive(SimpleObject)]
pub struct TipPayload {
    /// The tip after the change.
    pub tip: StaffTip,
}

/// Result of `eraseTip`.
#[derive(SimpleObject)]
pub struct EraseTipPayload {
    /// Reference of the tip whose personal data was erased.
    pub reference: String,
}

#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Send a tip on to another contact of its municipality (a new email; the history says so).
    async fn reroute_tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The change.")] input: RerouteTipInput,
    ) -> ApiResult<TipPayload> {
        let p = principal(ctx)?;
        let contact =
            super::ids::decode_as(&input.contact, super::ids::NodeType::Contact, "contact")?;
        let db = db(ctx)?;
        let updated = staff::reroute(db, p, &input.reference, contact, input.note).await?;
        wake_worker(ctx);
        Ok(TipPayload {
            tip: StaffTip(updated),
        })
    }

    /// Queue a tip's given-up (DEAD) emails again.
    async fn resend_tip_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Reference of the tip.")] reference: String,
    ) -> ApiResult<TipPayload> {
        let p = principal(ctx)?;
        let db = db(ctx)?;
        staff::resend_dead(db, p, &reference).await?;
        wake_worker(ctx);
        let tip = staff::tip_in_scope(db, p, &reference).await?;
        Ok(TipPayload { tip: StaffTip(tip) })
    }

    /// Create a staff API token (ADMIN only). The secret is in the payload and nowhere else.
    /// A municipality-scoped admin creates only tokens limited to its own municipalities
    /// (`FORBIDDEN` otherwise); a recipient's contact must serve one of them.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to create.")] input: CreateApiTokenInput,
    ) -> ApiResult<CreateApiTokenPayload> {
        let p = principal(ctx)?;
        let db = db(ctx)?;
        let created = staff::create_token_as(
            db,
            Some(p),
            &input.name,
            input.role.into(),
            &input.municipalities,
            input.contact_key.as_deref(),
        )
        .await?;
        tracing::info!(token = created.token.id, actor = %p.name, "API token created");
        let municipalities = staff::list_tokens_for(db, p)
            .await?
            .into_iter()
            .find(|(t, _)| t.id == created.token.id)
            .map(|(_, m)| m)
            .unwrap_or_default();
        Ok(CreateApiTokenPayload {
            token: api_token(created.token, municipalities),
            secret: created.secret,
        })
    }

    /// Invite a person to the web inbox (ADMIN only): a staff account with a role and
    /// scope, checked exactly as for `createApiToken` and `server staff invite`. They sign
    /// in at `/staff/logga-in` with a one-time link to this address. `BAD_USER_INPUT`
    /// for an unusable or taken address, an unknown municipality or contact, or a scope
    /// the role cannot have; `FORBIDDEN` for others than admins, and for a
    /// municipality-scoped admin inviting beyond its municipalities.
    async fn invite_staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account to create.")] input: InviteStaffInput,
    ) -> ApiResult<InviteStaffPayload> {
        let p = principal(ctx)?;
        let db = db(ctx)?;
        let invited = crate::service::staff_session::invite(
            db,
            Some(p),
            &input.email,
            input.role.into(),
            &input.municipalities,
            input.contact_key.as_deref(),
        )
        .await?;
        let account = invited.account;
        tracing::info!(account = account.id, actor = %p.name, "staff account invited");
        Ok(InviteStaffPayload {
            account: StaffAccount {
                id: account.id,
                municipalities: account_municipalities(db, account.id).await?,
                email: account.email,
                role: account.role.into(),
                created_at: DateTime(account.created_at),
            },
        })
    }

    /// Revoke a staff API token (ADMIN only); `NOT_FOUND` for a token outside the
    /// caller's municipalities.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Token id.")] id: i32,
    ) -> ApiResult<bool> {
        let p = principal(ctx)?;
        if !staff::revoke_token_as(db(ctx)?, p, id).await? {
            return Err(ApiError::NotFound("token"));
        }
        tracing::info!(token = id, actor = %p.name, "API token revoked");
        Ok(true)
    }

    /// Erase a tip's personal data (message, name, email, phone, IP hash) at once; the tip
    /// stays as an anonymous record. ADMIN only, for a tip in the caller's municipalities.
    async fn erase_tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Reference of the tip.")] reference: String,
    ) -> ApiResult<EraseTipPayload> {
        let p = principal(ctx)?;
        staff::erase_tip(db(ctx)?, p, &reference).await?;
        tracing::info!(reference = %reference.trim(), actor = %p.name, "tip erased on request");
        Ok(EraseTipPayload {
            reference: reference.trim().to_owned(),
        })
    }

    /// Move a tip along NEW → IN_PROGRESS → HANDLED | NOT_RELEVANT (staff with the tip in scope).
    async fn update_tip_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The change.")] input: UpdateTipStatusInput,
    ) -> ApiResult<UpdateTipStatusPayload> {
        let p = principal(ctx)?;
        let updated = staff::transition_at(
            db(ctx)?,
            p,
            &input.reference,
            input.status.into(),
            input.note,
            clock(ctx).now(),
        )
        .await?;
        wake_worker(ctx);
        tracing::info!(reference = %updated.reference, status = super::errors::status_name(updated.status), "tip status changed");
        Ok(UpdateTipStatusPayload {
            tip: StaffTip(updated),
        })
    }

    /// Email a reply to the resident (staff with the tip in scope, like status
    /// changes). It goes through the outbox, the history says a reply was sent, and the
    /// resident's status page says so too (never its text). `BAD_USER_INPUT` when the
    /// resident left no email address or it was erased.
    async fn reply_to_resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reply.")] input: ReplyToResidentInput,
    ) -> ApiResult<TipPayload> {
        let p = principal(ctx)?;
        let updated = staff::reply_to_resident(
            db(ctx)?,
            p,
            &input.reference,
            &input.message,
            clock(ctx).now(),
        )
        .await?;
        wake_worker(ctx);
        tracing::info!(reference = %updated.reference, actor = %p.name, "reply sent to the resident");
        Ok(TipPayload {
            tip: StaffTip(updated),
        })
    }
}
