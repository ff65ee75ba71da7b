//! The audit log of changes made through the API.

use crate::graphql::connection::PageArgs;
use crate::graphql::connection::connection;
use crate::graphql::context::db;
use crate::graphql::context::principal;
use crate::graphql::errors::ApiError;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::NodeType;
use crate::graphql::ids::decode_as;
use crate::graphql::ids::encode;
use crate::graphql::types::DateTime;
use crate::service::audit;
use crate::service::audit::AuditQuery;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::Json;
use async_graphql::Object;
use entity::audit_log;

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
    /// What kind of thing: promise, focus_area, commitment, follow_up, signatory, contact,
    /// routing_rule or municipality (its response target).
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

/// The audit log.
#[derive(Default)]
pub struct AuditLogQuery;

#[Object]
impl AuditLogQuery {
    /// Changes made through the API, newest first (ADMIN). A municipality-scoped admin
    /// sees the changes to promises, contacts, routing rules and response targets of its
    /// municipalities.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Filters; all given filters must match.")] filter: Option<AuditFilter>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<AuditEntryConnection> {
        let p = principal(ctx)?;
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
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
        let (db, query) = (db(ctx)?, &query);
        let (rows, page, total) = args
            .fetch(|offset, limit| async move {
                audit::entries(db, p, query, offset, limit)
                    .await
                    .map_err(ApiError::from)
            })
            .await?;
        Ok(connection(rows.into_iter().map(AuditEntry).collect(), page, total).into())
    }
}
