//! Staff fields (bearer token required) and the resident's public status lookup.
//!
//! No token on a staff field is `UNAUTHENTICATED`; a role that may not use the field is
//! `FORBIDDEN`; a tip outside one's scope is `NOT_FOUND`, like one that does not exist.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use entity::{delivery, tip, tip_event};

use super::{
    connection::{PageArgs, connection},
    context::{db, loader, principal},
    errors::{ApiError, ApiResult},
    loaders::{ContactById, MunicipalityById, PhotosOfTip},
    types::{Date, DateTime, TipKind, TipStatus},
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

crate::connection_types!(
    StaffTipConnection,
    StaffTipEdge,
    StaffTip,
    "tips (staff view)"
);

/// Filters of the staff tip inbox.
#[derive(InputObject, Default)]
pub struct TipFilter {
    /// Municipality by kommunkod or slug.
    pub municipality: Option<String>,
    /// Only tips in this status.
    pub status: Option<TipStatus>,
    /// Only tips of this kind.
    pub kind: Option<TipKind>,
    /// Received at or after this time.
    pub received_after: Option<DateTime>,
    /// Received before this time.
    pub received_before: Option<DateTime>,
    /// Only overdue tips (true: still NEW after their due date) or only the others (false).
    pub overdue: Option<bool>,
}

/// A tip as staff see it, with the resident's message and contact details.
#[derive(Clone)]
pub struct StaffTip(pub tip::Model);

#[Object]
/// A tip as staff see it, with the resident's message and contact details.
impl StaffTip {
    /// Globally unique, opaque id; `node(id:)` returns the tip to staff who may see it.
    pub async fn id(&self) -> async_graphql::ID {
        super::ids::encode(super::ids::NodeType::Tip, self.0.id)
    }
    /// Reference, e.g. "MEL-7K3F-9Q".
    async fn reference(&self) -> &str {
        &self.0.reference
    }
    /// Triage status.
    async fn status(&self) -> TipStatus {
        self.0.status.into()
    }
    /// Opinion, tip or idea.
    async fn kind(&self) -> TipKind {
        self.0.kind.into()
    }
    /// The resident's message.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The resident's name, if given.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// The resident's email, if given.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The resident's telephone number, if given.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// The resident would like an answer.
    async fn wants_reply(&self) -> bool {
        self.0.wants_reply
    }
    /// Where the problem is, if the resident said; null after erasure.
    async fn place(&self) -> Option<super::types::TipPlace> {
        super::types::TipPlace::of(&self.0)
    }
    /// Name of the municipality.
    async fn municipality(&self, ctx: &Context<'_>) -> ApiResult<String> {
        // Batched across the page, like every list the catalogue loads.
        let m = loader(ctx)?
            .load_one(MunicipalityById(self.0.municipality_id))
            .await?;
        Ok(m.map(|m| m.name).unwrap_or_default())
    }
    /// Name of the contact it was routed to; null when unrouted.
    async fn routed_to(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let Some(id) = self.0.routed_contact_id else {
            return Ok(None);
        };
        let c = loader(ctx)?.load_one(ContactById(id)).await?;
        Ok(c.map(|c| c.name))
    }
    /// When it was received.
    async fn received_at(&self) -> DateTime {
        DateTime(self.0.received_at)
    }
    /// The working day an answer is due (the municipality's `responseDays` after the
    /// Swedish date of receipt, weekends and holidays skipped); null for tips received
    /// before response targets existed.
    async fn due_on(&self) -> Option<Date> {
        self.0.due_on.map(Date)
    }
    /// Still waiting for a first answer (`NEW`) after its due date.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        crate::service::followup::is_overdue(&self.0, clock(ctx).today())
    }
    /// When staff first moved it out of NEW (the answer the response target measures).
    async fn answered_at(&self) -> Option<DateTime> {
        self.0.answered_at.map(DateTime)
    }
    /// When its recipient was reminded (still NEW on the due date).
    async fn reminded_at(&self) -> Option<DateTime> {
        self.0.reminded_at.map(DateTime)
    }
    /// When it was escalated (still NEW `ESCALATION_AFTER_WORKING_DAYS` after the due date).
    async fn escalated_at(&self) -> Option<DateTime> {
        self.0.escalated_at.map(DateTime)
    }
    /// Escalated with nobody else to send it to (the recipient is the municipality's
    /// default and no `ADMIN_ESCALATION_EMAIL` is set): needs someone's attention.
    async fn escalation_flagged(&self) -> bool {
        self.0.escalation_flagged
    }
    /// The resident asked for an email when the tip moves on.
    async fn notify_on_update(&self) -> bool {
        self.0.notify_on_update
    }
    /// When staff last sent the resident a reply (`replyToResident`).
    async fn replied_at(&self) -> Option<DateTime> {
        self.0.replied_at.map(DateTime)
    }
    /// When it was closed (handled or not relevant).
    async fn handled_at(&self) -> Option<DateTime> {
        self.0.handled_at.map(DateTime)
    }
    /// When its personal data was erased (retention or request); the message is then empty.
    async fn erased_at(&self) -> Option<DateTime> {
        self.0.erased_at.map(DateTime)
    }
    /// Photos the resident attached (none after erasure), batched across a page. Each
    /// `url` is served only to staff who may see the tip, with the same token.
    async fn photos(&self, ctx: &Context<'_>) -> ApiResult<Vec<TipPhoto>> {
        let photos = loader(ctx)?.load_one(PhotosOfTip(self.0.id)).await?;
        Ok(photos
            .unwrap_or_default()
            .into_iter()
            .map(|p| TipPhoto {
                url: p.path(&self.0.reference),
                content_type: p.content_type,
                width: p.width,
                height: p.height,
            })
            .collect())
    }
    /// Emails sent for this tip.
    async fn deliveries(&self, ctx: &Context<'_>) -> ApiResult<Vec<Delivery>> {
        let rows = staff::deliveries(db(ctx)?, self.0.id).await?;
        Ok(rows.into_iter().map(Delivery).collect())
    }
    /// Status changes with internal notes, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<TipEvent>> {
        let rows = staff::history(db(ctx)?, self.0.id).await?;
        Ok(rows.into_iter().map(TipEvent).collect())
    }
}

/// A photo on a tip: re-encoded, without any metadata.
#[derive(SimpleObject, Clone, Debug)]
pub struct TipPhoto {
    /// Where to fetch it, relative to this server (`/staff/tips/{reference}/photos/1`),
    /// with the staff token used here or a signed-in inbox session.
    pub url: String,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

/// Delivery state of one email.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting to be sent or retried.
    Pending,
    /// Sent.
    Sent,
    /// Given up: refused permanently (5xx, or a message that cannot be built) or after the maximum number of attempts.
    Dead,
}

crate::mirror_enum!(DeliveryStatus <=> entity::DeliveryStatus { Pending, Sent, Dead });

/// Which message an email is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryKind {
    /// The tip, to the contact it was routed to (or rerouted to).
    Contact,
    /// The receipt, to the resident.
    Receipt,
    /// The reminder to the recipient: still NEW on the due date.
    Reminder,
    /// The escalation to the municipality's default recipient or the admins.
    Escalation,
    /// A status update to the resident, who asked for them.
    Update,
    /// A reply from staff to the resident.
    Reply,
}

crate::mirror_enum!(DeliveryKind <=> entity::DeliveryKind { Contact, Receipt, Reminder, Escalation, Update, Reply });

/// One email sent for a tip.
pub struct Delivery(delivery::Model);

#[Object]
/// One email sent for a tip.
impl Delivery {
    /// Whether it went to the contact or is the resident's receipt.
    async fn to_contact(&self) -> bool {
        self.0.kind == entity::DeliveryKind::Contact
    }
    /// Which message it is.
    async fn kind(&self) -> DeliveryKind {
        self.0.kind.into()
    }
    /// Recipient name.
    async fn recipient_name(&self) -> Option<&str> {
        self.0.recipient_name.as_deref()
    }
    /// Delivery state.
    async fn status(&self) -> DeliveryStatus {
        self.0.status.into()
    }
    /// Attempts made.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Last error, if any attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When it was sent.
    async fn sent_at(&self) -> Option<DateTime> {
        self.0.sent_at.map(DateTime)
    }
}

/// A step in a tip's history.
pub struct TipEvent(tip_event::Model);

#[Object]
/// A step in a tip's history.
impl TipEvent {
    /// When.
    async fn at(&self) -> DateTime {
        DateTime(self.0.at)
    }
    /// Who: a token's name, or "resident".
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// Status before; null for the submission.
    async fn from_status(&self) -> Option<TipStatus> {
        self.0.from_status.map(Into::into)
    }
    /// Status after.
    async fn to_status(&self) -> TipStatus {
        self.0.to_status.into()
    }
    /// Internal note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

/// What a resident may learn about their tip: nothing of its content.
#[derive(SimpleObject)]
pub struct TipStatusResult {
    /// Triage status.
    pub status: TipStatus,
    /// When it was handled, if it has been.
    pub handled_at: Option<DateTime>,
    /// When staff last sent a reply to the resident's email (never what it said).
    pub reply_sent_at: Option<DateTime>,
    /// The municipality's target: an answer within this many working days.
    pub response_days: i32,
    /// The working day an answer is due; null for tips from before response targets.
    pub due_on: Option<Date>,
}

/// Tips of one kind received in one month.
#[derive(SimpleObject)]
pub struct TipCount {
    /// Month, "YYYY-MM".
    pub month: String,
    /// Kind of tip.
    pub kind: TipKind,
    /// Number of tips (always at least 5; smaller groups are left out).
    pub count: u64,
}

/// Anonymous statistics about tips. Groups of fewer than 5 tips are never shown, so no
/// one can be singled out.
#[derive(SimpleObject)]
pub struct TipStatistics {
    /// Tips received in the period, widened to whole calendar months (UTC); null when
    /// fewer than 5, or when a small group could be worked out from it.
    pub total_count: Option<u64>,
    /// Counts per month and kind, leaving out groups of fewer than 5 and, where needed,
    /// more, so that no small group can be worked out by subtraction.
    pub counts: Vec<TipCount>,
    /// Share of tips closed (handled or not relevant), 0 to 1; null when `totalCount` is
    /// null or some month has fewer than 5 closed or fewer than 5 open tips.
    pub share_handled: Option<f64>,
    /// Median hours from receipt to closing; null when fewer than 5 tips were closed.
    pub median_hours_to_handled: Option<f64>,
    /// Share of the tips whose due date has come that were answered (moved out of NEW)
    /// by their due date, 0 to 1; null when `totalCount` is null or some month has
    /// fewer than 5 answered in time or fewer than 5 not.
    pub share_answered_within_target: Option<f64>,
}

/// Role of a staff token.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRole {
    /// Everything within its municipalities (all when it has none).
    Admin,
    /// Promises, contacts and routing rules of its municipalities.
    Editor,
    /// Reads and triages the tips routed to its contact or municipalities.
    Recipient,
}

crate::mirror_enum!(StaffRole <=> entity::StaffRole { Admin, Editor, Recipient });

/// A staff API token (never its secret).
#[derive(SimpleObject)]
pub struct ApiToken {
    /// Token id, for revoking.
    pub id: i32,
    /// Who or what the token is for.
    pub name: String,
    /// What it may do.
    pub role: StaffRole,
    /// Slugs of the municipalities it is limited to (empty: all).
    pub municipalities: Vec<String>,
    /// When it was created.
    pub created_at: DateTime,
    /// When it was last used.
    pub last_used_at: Option<DateTime>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime>,
}

fn api_token(t: entity::api_token::Model, municipalities: Vec<String>) -> ApiToken {
    ApiToken {
        id: t.id,
        name: t.name,
        role: t.role.into(),
        municipalities,
        created_at: DateTime(t.created_at),
        last_used_at: t.last_used_at.map(DateTime),
        revoked_at: t.revoked_at.map(DateTime),
    }
}

/// Input of `createApiToken`.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// Who or what the token is for.
    pub name: String,
    /// What it may do.
    pub role: StaffRole,
    /// Municipalities (kommunkod or slug) it is limited to; required for editors and recipients.
    #[graphql(default)]
    pub municipalities: Vec<String>,
    /// For recipients: the seed key of the contact whose tips it reads.
    pub contact_key: Option<String>,
}

/// Result of `createApiToken`.
#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    /// The new token.
    pub token: ApiToken,
    /// The secret to send as `Authorization: Bearer …`; shown only here, never again.
    pub secret: String,
}

/// Input of `inviteStaff`.
#[derive(InputObject)]
pub struct InviteStaffInput {
    /// The address the staff member signs in with (one account per address).
    pub email: String,
    /// What the account may do: the same roles as API tokens.
    pub role: StaffRole,
    /// Municipalities (kommunkod or slug) it is limited to; required for editors and recipients.
    #[graphql(default)]
    pub municipalities: Vec<String>,
    /// For recipients: the seed key of the contact whose tips it reads.
    pub contact_key: Option<String>,
}

/// A staff account of the web inbox (personal: shown to admins only).
#[derive(SimpleObject)]
pub struct StaffAccount {
    /// Account id.
    pub id: i32,
    /// The sign-in address, in lower case.
    pub email: String,
    /// What it may do.
    pub role: StaffRole,
    /// Slugs of the municipalities it is limited to (empty: all).
    pub municipalities: Vec<String>,
    /// When it was created.
    pub created_at: DateTime,
}

/// Result of `inviteStaff`.
#[derive(SimpleObject)]
pub struct InviteStaffPayload {
    /// The new account; its owner signs in at `/staff/logga-in` with a one-time link.
    pub account: StaffAccount,
}

/// Slugs of an account's municipalities, in slug order.
async fn account_municipalities(
    db: &sea_orm::DatabaseConnection,
    account_id: i32,
) -> Result<Vec<String>, sea_orm::DbErr> {
    use entity::{municipality, staff_account_municipality};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let ids: Vec<i32> = staff_account_municipality::Entity::find()
        .filter(staff_account_municipality::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.municipality_id)
        .collect();
    Ok(municipality::Entity::find()
        .filter(municipality::Column::Id.is_in(ids))
        .order_by_asc(municipality::Column::Slug)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.slug)
        .collect())
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
