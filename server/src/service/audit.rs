//! Reading the audit log (admins only; the writing side is `service::editing`).

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

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

/// One page of entries, newest first, and the total count.
pub async fn entries(
    db: &impl ConnectionTrait,
    q: &AuditQuery,
    offset: u64,
    limit: u64,
) -> Result<(Vec<audit_log::Model>, u64), DbErr> {
    let mut select = audit_log::Entity::find();
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
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(audit_log::Column::At)
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}
