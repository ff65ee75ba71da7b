//! Routing rules: which contact receives a municipality's tips.

use super::contacts::StaffContact;
use super::contacts::served_by;
use super::municipality_id;
use crate::graphql::context::db;
use crate::graphql::context::loader;
use crate::graphql::context::principal;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::NodeType;
use crate::graphql::ids::decode_as;
use crate::graphql::loaders::ContactById;
use crate::graphql::loaders::FocusAreaById;
use crate::graphql::loaders::MunicipalityById;
use crate::graphql::types::FocusArea;
use crate::graphql::types::Municipality;
use crate::service::editing::RoutingRuleFields;
use crate::service::editing::contacts;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::Object;
use async_graphql::SimpleObject;
use entity::routing_rule;

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
        let m = loader(ctx)?
            .load_one(MunicipalityById(self.0.municipality_id))
            .await?;
        Ok(m.map(Municipality))
    }
    /// Only tips about this focus area; null for the municipality's default rule.
    async fn focus_area(&self, ctx: &Context<'_>) -> ApiResult<Option<FocusArea>> {
        let Some(id) = self.0.focus_area_id else {
            return Ok(None);
        };
        let fa = loader(ctx)?.load_one(FocusAreaById(id)).await?;
        Ok(fa.map(FocusArea))
    }
    /// Who receives the tips; null when the contact serves none of the caller's
    /// municipalities.
    async fn contact(&self, ctx: &Context<'_>) -> ApiResult<Option<StaffContact>> {
        let id = self.0.contact_id;
        let found = loader(ctx)?.load_one(ContactById(id)).await?;
        let serves: Vec<i32> = served_by(ctx, id).await?.iter().map(|m| m.id).collect();
        let c = contacts::rule_contact(principal(ctx)?, found, &serves);
        Ok(c.map(StaffContact))
    }
}

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

/// The routing rules staff may see.
#[derive(Default)]
pub struct RoutingQuery;

#[Object]
impl RoutingQuery {
    /// A municipality's routing rules (ADMIN, EDITOR of that municipality).
    async fn routing_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kommunkod or slug.")] municipality: String,
    ) -> ApiResult<Vec<RoutingRule>> {
        let p = principal(ctx)?;
        let db = db(ctx)?;
        let id = municipality_id(db, &municipality, "municipality").await?;
        let rows = contacts::routing_rules(db, p, id).await?;
        Ok(rows.into_iter().map(RoutingRule).collect())
    }
}

/// Changes to routing rules.
#[derive(Default)]
pub struct RoutingMutation;

#[Object]
impl RoutingMutation {
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
        let saved = contacts::create_routing_rule(db(ctx)?, p, fields).await?;
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
        let saved = contacts::update_routing_rule(db(ctx)?, p, input.id, contact).await?;
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
        contacts::delete_routing_rule(db(ctx)?, p, id).await?;
        Ok(DeleteRoutingRulePayload { deleted_id: id })
    }
}
