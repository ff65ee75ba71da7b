//! Staff editing of promises, their parts, contacts and routing rules, and the audit log.
//!
//! Mutations follow the input/payload pattern. Editors and admins change what belongs to
//! their municipalities (national admins everything); recipients get `FORBIDDEN`. The
//! scope rules live in `service::authz`. In update inputs an
//! omitted field is left as it is and an explicit `null` clears it.

use async_graphql::{Context, ID, InputObject, Json, MaybeUndefined, Object, SimpleObject};
use entity::{audit_log, contact, routing_rule};

use super::{
    connection::{Page, connection},
    errors::{ApiError, ApiResult},
    ids::{NodeType, decode_as, encode},
    staff::{db, principal},
    types::{
        Commitment, CommitmentStatus, Date, DateTime, FocusArea, FollowUp, Municipality,
        OrganisationKind, Promise, PromiseConnection, ResponsibleParty, Signatory, TargetPeriod,
    },
};
use crate::service::{
    audit::{self, AuditQuery},
    authz, catalog,
    editing::{
        self, CommitmentFields, ContactFields, FocusAreaFields, FollowUpFields, List,
        PromiseFields, RoutingRuleFields, SignatoryFields, Target, contacts, parts, promises,
    },
};

fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    value.into()
}

/// Decode an optional id in an update: absent, null (clear) or an id.
fn maybe_id(
    value: MaybeUndefined<ID>,
    kind: NodeType,
    field: &str,
) -> ApiResult<Option<Option<i32>>> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(decode_as(&id, kind, field)?)),
    })
}

fn ids(list: &[ID], kind: NodeType, field: &str) -> ApiResult<Vec<i32>> {
    Ok(list
        .iter()
        .map(|id| decode_as(id, kind, field))
        .collect::<Result<_, _>>()?)
}

// Promises.

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

/// Input naming one object by id.
#[derive(InputObject)]
pub struct IdInput {
    /// The object's id.
    pub id: ID,
}

/// A promise after a change (drafts included).
#[derive(SimpleObject)]
pub struct PromisePayload {
    /// The promise as it is now.
    pub promise: Promise,
}

/// Result of a deletion.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// Id of what was deleted.
    pub deleted_id: ID,
}

// Parts.

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

// Contacts and routing.

/// A contact as staff see it, with the private email tips are sent to.
pub struct StaffContact(pub contact::Model);

#[Object]
/// A contact as staff see it, with the private email tips are sent to.
impl StaffContact {
    /// Global id (the same as the public `Contact`'s).
    async fn id(&self) -> ID {
        encode(NodeType::Contact, self.0.id)
    }
    /// Stable key (from the seed file or chosen by staff).
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Role title, e.g. "kommunpolis".
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// Police or municipality.
    async fn organisation_kind(&self) -> OrganisationKind {
        self.0.organisation_kind.into()
    }
    /// Organisation.
    async fn organisation(&self) -> &str {
        &self.0.organisation
    }
    /// Telephone number.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// Where routed tips are sent (private; only to staff with the contact in scope).
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        if !authz::contact_visible(db(ctx)?, principal(ctx)?, self.0.id)
            .await?
        {
            return Err(ApiError::Forbidden);
        }
        Ok(self.0.email.as_deref())
    }
    /// The email is a stand-in until a real address is entered.
    async fn email_is_placeholder(&self) -> bool {
        self.0.email_is_placeholder
    }
    /// Municipalities the contact serves.
    async fn municipalities(&self, ctx: &Context<'_>) -> ApiResult<Vec<Municipality>> {
        let rows = contacts::contact_municipalities(db(ctx)?, self.0.id)
            .await?;
        Ok(rows.into_iter().map(Municipality).collect())
    }
}

/// Input of `createContact`.
#[derive(InputObject)]
pub struct CreateContactInput {
    /// Stable key, e.g. "kommunpolis-mellerud".
    pub key: String,
    /// Name.
    pub name: String,
    /// Role title, e.g. "kommunpolis".
    pub role: String,
    /// Police or municipality.
    pub organisation_kind: OrganisationKind,
    /// Organisation, e.g. "Polisen, lokalpolisområde Dalsland".
    pub organisation: String,
    /// Telephone number.
    pub phone: Option<String>,
    /// Where routed tips are sent (never public).
    pub email: Option<String>,
    /// Kommunkod or slug of each municipality served (editors: within their own).
    #[graphql(default)]
    pub municipalities: Vec<String>,
}

/// Input of `updateContact`.
#[derive(InputObject)]
pub struct UpdateContactInput {
    /// The contact.
    pub id: ID,
    /// Name.
    pub name: Option<String>,
    /// Role title.
    pub role: Option<String>,
    /// Police or municipality.
    pub organisation_kind: Option<OrganisationKind>,
    /// Organisation.
    pub organisation: Option<String>,
    /// Telephone number.
    pub phone: MaybeUndefined<String>,
    /// Where routed tips are sent.
    pub email: MaybeUndefined<String>,
    /// Kommunkod or slug of each municipality served.
    pub municipalities: Option<Vec<String>>,
}

/// A contact after a change.
#[derive(SimpleObject)]
pub struct ContactPayload {
    /// The contact as it is now.
    pub contact: StaffContact,
}

/// Which contact receives a municipality's tips, optionally for one focus area.
pub struct RoutingRule(pub routing_rule::Model);

#[Object]
/// Which contact receives a municipality's tips, optionally for one focus area.
impl RoutingRule {
    /// Rule id.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// The municipality whose tips it routes.
    async fn municipality(&self, ctx: &Context<'_>) -> ApiResult<Option<Municipality>> {
        let m = entity::municipality::Entity::find_by_id(self.0.municipality_id)
            .one(db(ctx)?)
            .await?;
        Ok(m.map(Municipality))
    }
    /// Only tips about this focus area; null for the municipality's default rule.
    async fn focus_area(&self, ctx: &Context<'_>) -> ApiResult<Option<FocusArea>> {
        let Some(id) = self.0.focus_area_id else {
            return Ok(None);
        };
        let fa = entity::focus_area::Entity::find_by_id(id)
            .one(db(ctx)?)
            .await?;
        Ok(fa.map(FocusArea))
    }
    /// Who receives the tips; null when the contact serves none of the caller's
    /// municipalities.
    async fn contact(&self, ctx: &Context<'_>) -> ApiResult<Option<StaffContact>> {
        let db = db(ctx)?;
        if !authz::contact_visible(db, principal(ctx)?, self.0.contact_id)
            .await?
        {
            return Ok(None);
        }
        let c = contact::Entity::find_by_id(self.0.contact_id)
            .one(db)
            .await?;
        Ok(c.map(StaffContact))
    }
}

use sea_orm::EntityTrait;

/// Input of `createRoutingRule`.
#[derive(InputObject)]
pub struct CreateRoutingRuleInput {
    /// Kommunkod or slug.
    pub municipality: String,
    /// Only tips about this focus area (of a promise of the municipality); omit for the
    /// municipality's default rule.
    pub focus_area_id: Option<ID>,
    /// Who receives the tips (must have an email address).
    pub contact_id: ID,
}

/// Input of `updateRoutingRule`.
#[derive(InputObject)]
pub struct UpdateRoutingRuleInput {
    /// Rule id.
    pub id: i32,
    /// Who receives the tips from now on.
    pub contact_id: ID,
}

/// A routing rule after a change.
#[derive(SimpleObject)]
pub struct RoutingRulePayload {
    /// The rule as it is now.
    pub routing_rule: RoutingRule,
}

/// Result of deleting a routing rule.
#[derive(SimpleObject)]
pub struct DeleteRoutingRulePayload {
    /// Id of the deleted rule.
    pub deleted_id: i32,
}

// Audit log.

/// One change made through the API.
pub struct AuditEntry(audit_log::Model);

crate::connection_types!(
    AuditEntryConnection,
    AuditEntryEdge,
    AuditEntry,
    "audit log entries"
);

impl Clone for AuditEntry {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

fn json(text: Option<&String>) -> Option<Json<serde_json::Value>> {
    text.and_then(|t| serde_json::from_str(t).ok()).map(Json)
}

#[Object]
/// One change made through the API.
impl AuditEntry {
    /// Entry id.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// When.
    async fn at(&self) -> DateTime {
        DateTime(self.0.at)
    }
    /// Who: the token's name.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// Id of the token used.
    async fn token_id(&self) -> Option<i32> {
        self.0.token_id
    }
    /// CREATE, UPDATE, DELETE, PUBLISH, UNPUBLISH or REORDER.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// What kind of thing: promise, focus_area, commitment, follow_up, signatory, contact
    /// or routing_rule.
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    /// Row id of the thing changed.
    async fn entity_id(&self) -> i32 {
        self.0.entity_id
    }
    /// The promise the change belongs to, if any.
    async fn promise_id(&self) -> Option<ID> {
        self.0.promise_id.map(|id| encode(NodeType::Promise, id))
    }
    /// The row before the change; null for a creation.
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        json(self.0.before.as_ref())
    }
    /// The row after the change; null for a deletion.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        json(self.0.after.as_ref())
    }
}

/// Filters of the audit log; all given filters must match.
#[derive(InputObject, Default)]
pub struct AuditFilter {
    /// Kind of thing, e.g. "promise".
    pub entity_type: Option<String>,
    /// Row id (with `entityType`).
    pub entity_id: Option<i32>,
    /// Changes to this promise or its parts.
    pub promise_id: Option<ID>,
    /// Changes by this token name.
    pub actor: Option<String>,
    /// At or after this time.
    pub after: Option<DateTime>,
    /// Before this time.
    pub before: Option<DateTime>,
}

#[derive(Default)]
pub struct EditingQuery;

#[Object]
impl EditingQuery {
    /// Promises the caller may edit (ADMIN, EDITOR), drafts included, most recently
    /// changed first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn editable_promises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> ApiResult<PromiseConnection> {
        let p = principal(ctx)?;
        let page = Page::new(first, after.as_deref())?;
        let (rows, total) = promises::editable(db(ctx)?, p, page.offset as u64, page.limit as u64)
            .await?;
        Ok(connection(rows.into_iter().map(Promise).collect(), page, total).into())
    }

    /// Contacts with their private emails (ADMIN, EDITOR within their municipalities).
    async fn staff_contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this municipality's (kommunkod or slug).")] municipality: Option<
            String,
        >,
    ) -> ApiResult<Vec<StaffContact>> {
        let p = principal(ctx)?;
        let db = db(ctx)?;
        let municipality_id = match municipality {
            Some(m) => Some(municipality_id(db, &m, "municipality").await?),
            None => None,
        };
        let rows = contacts::contacts(db, p, municipality_id)
            .await?;
        Ok(rows.into_iter().map(StaffContact).collect())
    }

    /// A municipality's routing rules (ADMIN, EDITOR of that municipality).
    async fn routing_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kommunkod or slug.")] municipality: String,
    ) -> ApiResult<Vec<RoutingRule>> {
        let p = principal(ctx)?;
        let db = db(ctx)?;
        let id = municipality_id(db, &municipality, "municipality").await?;
        let rows = contacts::routing_rules(db, p, id)
            .await?;
        Ok(rows.into_iter().map(RoutingRule).collect())
    }

    /// Changes made through the API, newest first (ADMIN). A municipality-scoped admin
    /// sees the changes to promises, contacts and routing rules of its municipalities.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Filters; all given filters must match.")] filter: Option<AuditFilter>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> ApiResult<AuditEntryConnection> {
        let p = principal(ctx)?;
        if !crate::service::authz::is_admin(p) {
            return Err(ApiError::Forbidden);
        }
        let page = Page::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let query = AuditQuery {
            entity_type: f.entity_type,
            entity_id: f.entity_id,
            promise_id: f
                .promise_id
                .map(|id| decode_as(&id, NodeType::Promise, "filter.promiseId"))
                .transpose()?,
            actor: f.actor,
            after: f.after.map(|d| d.0),
            before: f.before.map(|d| d.0),
        };
        let (rows, total) =
            audit::entries(db(ctx)?, p, &query, page.offset as u64, page.limit as u64)
                .await?
                .ok_or(ApiError::Forbidden)?;
        Ok(connection(rows.into_iter().map(AuditEntry).collect(), page, total).into())
    }
}

async fn municipality_id(
    db: &sea_orm::DatabaseConnection,
    value: &str,
    field: &str,
) -> ApiResult<i32> {
    Ok(catalog::municipality_by_code_or_slug(db, value)
        .await?
        .ok_or_else(|| ApiError::bad_input(field, "no municipality has that code or slug"))?
        .id)
}

#[derive(Default)]
pub struct EditingMutation;

#[Object]
impl EditingMutation {
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
        let saved = promises::create_promise(db(ctx)?, p, &input.key, fields)
            .await?;
        Ok(PromisePayload {
            promise: Promise(saved),
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
        let saved = promises::update_promise(db(ctx)?, p, id, fields)
            .await?;
        Ok(PromisePayload {
            promise: Promise(saved),
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
        promises::delete_promise(db(ctx)?, p, id)
            .await?;
        Ok(DeletePayload {
            deleted_id: input.id,
        })
    }

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
        let saved = parts::create_focus_area(db(ctx)?, p, promise_id, fields)
            .await?;
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
        let saved = parts::update_focus_area(db(ctx)?, p, id, fields)
            .await?;
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
        parts::delete_focus_area(db(ctx)?, p, id)
            .await?;
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
        let saved = parts::create_commitment(db(ctx)?, p, promise_id, fields)
            .await?;
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
        let saved = parts::update_commitment(db(ctx)?, p, id, fields)
            .await?;
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
        parts::delete_commitment(db(ctx)?, p, id)
            .await?;
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
        let saved = parts::create_follow_up(db(ctx)?, p, id, fields)
            .await?;
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
        let saved = parts::update_follow_up(db(ctx)?, p, id, fields)
            .await?;
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
        parts::delete_follow_up(db(ctx)?, p, id)
            .await?;
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
        let saved = parts::create_signatory(db(ctx)?, p, promise_id, fields)
            .await?;
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
        let saved = parts::update_signatory(db(ctx)?, p, id, fields)
            .await?;
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
        parts::delete_signatory(db(ctx)?, p, id)
            .await?;
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

    /// Add a contact (editors: serving their municipalities).
    async fn create_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new contact.")] input: CreateContactInput,
    ) -> ApiResult<ContactPayload> {
        let p = principal(ctx)?;
        let fields = ContactFields {
            name: Some(input.name),
            role: Some(input.role),
            organisation_kind: Some(input.organisation_kind.into()),
            organisation: Some(input.organisation),
            phone: Some(input.phone),
            email: Some(input.email),
            municipalities: Some(input.municipalities),
        };
        let saved = contacts::create_contact(db(ctx)?, p, &input.key, fields)
            .await?;
        Ok(ContactPayload {
            contact: StaffContact(saved),
        })
    }

    /// Change a contact, e.g. enter the real email address tips are sent to.
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateContactInput,
    ) -> ApiResult<ContactPayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Contact, "id")?;
        let fields = ContactFields {
            name: input.name,
            role: input.role,
            organisation_kind: input.organisation_kind.map(Into::into),
            organisation: input.organisation,
            phone: maybe(input.phone),
            email: maybe(input.email),
            municipalities: input.municipalities,
        };
        let saved = contacts::update_contact(db(ctx)?, p, id, fields)
            .await?;
        Ok(ContactPayload {
            contact: StaffContact(saved),
        })
    }

    /// Delete a contact that no tip or active token depends on.
    async fn delete_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact.")] input: IdInput,
    ) -> ApiResult<DeletePayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Contact, "id")?;
        contacts::delete_contact(db(ctx)?, p, id)
            .await?;
        Ok(DeletePayload {
            deleted_id: input.id,
        })
    }

    /// Route a municipality's tips (or those about one focus area) to a contact.
    async fn create_routing_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new rule.")] input: CreateRoutingRuleInput,
    ) -> ApiResult<RoutingRulePayload> {
        let p = principal(ctx)?;
        let fields = RoutingRuleFields {
            municipality: input.municipality,
            focus_area: input
                .focus_area_id
                .map(|f| decode_as(&f, NodeType::FocusArea, "focusAreaId"))
                .transpose()?,
            contact: decode_as(&input.contact_id, NodeType::Contact, "contactId")?,
        };
        let saved = contacts::create_routing_rule(db(ctx)?, p, fields)
            .await?;
        Ok(RoutingRulePayload {
            routing_rule: RoutingRule(saved),
        })
    }

    /// Send a rule's tips to another contact.
    async fn update_routing_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The change.")] input: UpdateRoutingRuleInput,
    ) -> ApiResult<RoutingRulePayload> {
        let p = principal(ctx)?;
        let contact = decode_as(&input.contact_id, NodeType::Contact, "contactId")?;
        let saved = contacts::update_routing_rule(db(ctx)?, p, input.id, contact)
            .await?;
        Ok(RoutingRulePayload {
            routing_rule: RoutingRule(saved),
        })
    }

    /// Delete a routing rule.
    async fn delete_routing_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rule id.")] id: i32,
    ) -> ApiResult<DeleteRoutingRulePayload> {
        let p = principal(ctx)?;
        contacts::delete_routing_rule(db(ctx)?, p, id)
            .await?;
        Ok(DeleteRoutingRulePayload { deleted_id: id })
    }
}

async fn publish(ctx: &Context<'_>, input: IdInput, published: bool) -> ApiResult<PromisePayload> {
    let p = principal(ctx)?;
    let id = decode_as(&input.id, NodeType::Promise, "id")?;
    let saved = promises::set_published(db(ctx)?, p, id, published)
        .await?;
    Ok(PromisePayload {
        promise: Promise(saved),
    })
}

async fn reorder(ctx: &Context<'_>, list: List, order: &[i32]) -> ApiResult<PromisePayload> {
    let p = principal(ctx)?;
    let db = db(ctx)?;
    editing::parts::reorder(db, p, list, order)
        .await?;
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
        promise: Promise(saved),
    })
}
