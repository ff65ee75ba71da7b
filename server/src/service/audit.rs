//! Reading the audit log (admins only; the writing side is `service::editing`).

use chrono::{DateTime, Utc};
use entity::{audit_log, contact_municipality, promise_municipality, routing_rule};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, sea_query::SimpleExpr,
};

use super::{
    authz,
    staff::{Principal, StaffError},
};
use crate::db::in_subquery;

/// The entries a municipality-scoped caller may read: changes to promises (and their
/// parts), contacts, routing rules and response targets that belong to one of its
/// municipalities now.
/// Entries about things since deleted are left out (a national admin sees them).
fn scope_condition(scope: &[i32]) -> Condition {
    let ids = scope.to_vec();
    // Entries about a contact or a routing rule, by the id of what they are about.
    let about = |entity_type: &str, linked: SimpleExpr| {
        Condition::all()
            .add(audit_log::Column::PromiseId.is_null())
            .add(audit_log::Column::EntityType.eq(entity_type))
            .add(linked)
    };
    Condition::any()
        .add(in_subquery(
            audit_log::Column::PromiseId,
            promise_municipality::Column::PromiseId,
            promise_municipality::Column::MunicipalityId.is_in(ids.clone()),
        ))
        .add(about(
            "contact",
            in_subquery(
                audit_log::Column::EntityId,
                contact_municipality::Column::ContactId,
                contact_municipality::Column::MunicipalityId.is_in(ids.clone()),
            ),
        ))
        .add(about(
            "routing_rule",
            in_subquery(
                audit_log::Column::EntityId,
                routing_rule::Column::Id,
                routing_rule::Column::MunicipalityId.is_in(ids.clone()),
            ),
        ))
        .add(
            Condition::all()
                .add(audit_log::Column::PromiseId.is_null())
                .add(audit_log::Column::EntityType.eq("municipality"))
                .add(audit_log::Column::EntityId.is_in(ids)),
        )
}

/// Filters of the audit log; all given filters must match.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<i32>,
    pub promise_id: Option<i32>,
    pub actor: Option<String>,
    pub after: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

/// One page of the entries `p` may read, newest first, and the total count; `Forbidden`
/// when its role may not read the log.
pub async fn entries(
    db: &impl ConnectionTrait,
    p: &Principal,
    q: &AuditQuery,
    offset: u64,
    limit: u64,
) -> Result<(Vec<audit_log::Model>, u64), StaffError> {
    super::staff::require(authz::is_admin(p))?;
    let mut select = audit_log::Entity::find();
    if let Some(scope) = authz::scope(p) {
        select = select.filter(scope_condition(scope));
    }
    if let Some(t) = &q.entity_type {
        select = select.filter(audit_log::Column::EntityType.eq(t.as_str()));
    }
    if let Some(id) = q.entity_id {
        select = select.filter(audit_log::Column::EntityId.eq(id));
    }
    if let Some(id) = q.promise_id {
        select = select.filter(audit_log::Column::PromiseId.eq(id));
    }
    if let Some(a) = &q.actor {
        select = select.filter(audit_log::Column::Actor.eq(a.as_str()));
    }
    if let Some(t) = q.after {
        select = select.filter(audit_log::Column::At.gte(t));
    }
    if let Some(t) = q.before {
        select = select.filter(audit_log::Column::At.lt(t));
    }
    let order = [
        (audit_log::Column::At, sea_orm::Order::Desc),
        (audit_log::Column::Id, sea_orm::Order::Desc),
    ];
    Ok(crate::db::page(db, select, &order, offset, limit).await?)
}
