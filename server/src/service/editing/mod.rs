//! Staff editing of the catalogue: promises and their parts, contacts, routing rules and
//! municipalities' response targets.
//!
//! Every change runs in one transaction that also writes the audit entry (who, when, what,
//! before and after) and marks the seeded row as taken over by staff, so a later seed import
//! leaves it alone unless forced. Admins and editors may change what belongs to their
//! municipalities (everything when national); recipients may change nothing. The scope
//! rules live in `service::authz`.

pub mod contacts;
pub mod municipalities;
pub mod parts;
pub mod promises;
pub mod view;

pub use contacts::{ContactFields, RoutingRuleFields};
pub use parts::{CommitmentFields, FocusAreaFields, FollowUpFields, List, SignatoryFields, Target};
pub use promises::PromiseFields;

use chrono::{DateTime, Utc};
use entity::{
    audit_log, commitment, focus_area, municipality, promise, promise_municipality,
    promise_section, staff_override,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    sea_query::OnConflict,
};
use serde::Serialize;
use serde_json::Value;

use super::staff::Principal;
use crate::domain::{Invalid, search};

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller's role or municipalities do not cover it.
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type EditResult<T> = Result<T, EditError>;

/// What an audit entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    Publish,
    Unpublish,
    Reorder,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
            Self::Publish => "PUBLISH",
            Self::Unpublish => "UNPUBLISH",
            Self::Reorder => "REORDER",
        }
    }
}

/// Kinds of seeded rows staff can take over (see `entity::staff_override`).
pub mod taken_over {
    pub const PROMISE: &str = "promise";
    pub const CONTACT: &str = "contact";
    /// A municipality's routing rules, keyed by kommunkod.
    pub const ROUTING: &str = "routing";
    /// A municipality's response target, keyed by kommunkod.
    pub const RESPONSE_TARGET: &str = "response_target";
}

use super::authz::{covers_all, covers_any};

/// Refuse a creation that lacks a required field: each pair is (missing, field name).
fn require(fields: &[(bool, &'static str)]) -> EditResult<()> {
    match fields.iter().find(|(missing, _)| *missing) {
        Some((_, field)) => {
            Err(crate::domain::invalid(field, format!("{field} is required")).into())
        }
        None => Ok(()),
    }
}

/// JSON snapshot of a row for the audit log.
fn snapshot(row: &impl Serialize) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

/// Whether two snapshots are the same apart from the `updated_at` bookkeeping.
fn same(before: &Value, after: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Value::Object(map) = &mut v {
            map.remove("updated_at");
        }
        v
    };
    strip(before) == strip(after)
}

/// One staff change in progress: a write transaction plus who makes it.
pub(crate) struct Change<'a> {
    txn: DatabaseTransaction,
    p: &'a Principal,
    now: DateTime<Utc>,
}

impl<'a> Change<'a> {
    /// Start a change. Only admins and editors may edit.
    ///
    /// The transaction takes the write lock at once on SQLite (see `db::begin_write`).
    async fn begin(db: &DatabaseConnection, p: &'a Principal) -> EditResult<Self> {
        if !super::authz::may_edit(p) {
            return Err(EditError::Forbidden);
        }
        let txn = crate::db::begin_write(db).await?;
        Ok(Self {
            txn,
            p,
            now: Utc::now(),
        })
    }

    async fn commit(self) -> EditResult<()> {
        super::catalog::bump_version(&self.txn).await?;
        self.txn.commit().await?;
        Ok(())
    }

    /// Append an audit entry.
    async fn audit(
        &self,
        action: Action,
        entity_type: &'static str,
        entity_id: i32,
        promise_id: Option<i32>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> EditResult<()> {
        audit_log::ActiveModel {
            id: NotSet,
            at: Set(self.now),
            actor: Set(self.p.name.clone()),
            token_id: Set(self.p.token_id),
            action: Set(action.as_str().to_owned()),
            entity_type: Set(entity_type.to_owned()),
            entity_id: Set(entity_id),
            promise_id: Set(promise_id),
            before: Set(before.map(|v| v.to_string())),
            after: Set(after.map(|v| v.to_string())),
        }
        .insert(&self.txn)
        .await?;
        Ok(())
    }

    /// `BAD_USER_INPUT` on `key` when a row of `E` already has this key.
    async fn ensure_key_free<E: EntityTrait>(
        &self,
        column: E::Column,
        key: &str,
        what: &str,
    ) -> EditResult<()> {
        use sea_orm::{ColumnTrait, QueryFilter};
        if E::find()
            .filter(column.eq(key))
            .one(&self.txn)
            .await?
            .is_some()
        {
            return Err(crate::domain::invalid(
                "key",
                format!("a {what} with the key \"{key}\" exists"),
            )
            .into());
        }
        Ok(())
    }

    /// Record that staff now own this seeded row, so the importer will not overwrite it.
    async fn take_over(&self, kind: &str, key: &str, deleted: bool) -> EditResult<()> {
        staff_override::Entity::insert(staff_override::ActiveModel {
            kind: Set(kind.to_owned()),
            key: Set(key.to_owned()),
            edited_at: Set(self.now),
            deleted: Set(deleted),
        })
        .on_conflict(
            OnConflict::columns([staff_override::Column::Kind, staff_override::Column::Key])
                .update_columns([
                    staff_override::Column::EditedAt,
                    staff_override::Column::Deleted,
                ])
                .to_owned(),
        )
        .exec_without_returning(&self.txn)
        .await?;
        Ok(())
    }

    /// Municipality ids of a promise.
    async fn municipalities_of(&self, promise_id: i32) -> EditResult<Vec<i32>> {
        Ok(promise_municipality::Entity::find()
            .filter(promise_municipality::Column::PromiseId.eq(promise_id))
            .order_by_asc(promise_municipality::Column::Position)
            .all(&self.txn)
            .await?
            .into_iter()
            .map(|r| r.municipality_id)
            .collect())
    }

    /// A promise the caller may edit: `NOT_FOUND` when missing, `FORBIDDEN` when it
    /// belongs to none of the caller's municipalities.
    async fn promise(&self, id: i32) -> EditResult<promise::Model> {
        let found = promise::Entity::find_by_id(id)
            .one(&self.txn)
            .await?
            .ok_or(EditError::NotFound("promise"))?;
        if !covers_any(self.p, &self.municipalities_of(id).await?) {
            return Err(EditError::Forbidden);
        }
        Ok(found)
    }

    /// A contact named on a promise or one of its parts: it must serve one of the
    /// promise's municipalities that is in the caller's scope. Missing and out of scope
    /// are the same bad input, so no one learns of contacts elsewhere.
    async fn promise_contact(
        &self,
        promise_id: i32,
        contact_id: i32,
        field: &'static str,
    ) -> EditResult<()> {
        let concerned = self.municipalities_of(promise_id).await?;
        if super::authz::usable_contact(&self.txn, Some(self.p), contact_id, &concerned)
            .await?
            .is_none()
        {
            return Err(crate::domain::invalid(
                field,
                "no contact with that id serves the promise's municipalities",
            )
            .into());
        }
        Ok(())
    }

    /// After any change to a promise or its parts: bump `updated_at`, rebuild the search
    /// text, and mark the promise as edited by staff.
    async fn touch_promise(&self, promise_id: i32) -> EditResult<promise::Model> {
        let p = promise::Entity::find_by_id(promise_id)
            .one(&self.txn)
            .await?
            .ok_or(EditError::NotFound("promise"))?;
        let text = search_text(&self.txn, &p).await?;
        let key = p.key.clone();
        let mut am = p.into_active_model();
        am.updated_at = Set(self.now);
        am.search_text = Set(text);
        let saved = am.update(&self.txn).await?;
        self.take_over(taken_over::PROMISE, &key, false).await?;
        Ok(saved)
    }
}

/// The folded text `promises(filter: {search})` matches: the promise's own texts, its
/// municipalities' names, focus areas, commitments and sections, as stored now.
pub async fn search_text(db: &impl ConnectionTrait, p: &promise::Model) -> Result<String, DbErr> {
    let municipality_ids: Vec<i32> = promise_municipality::Entity::find()
        .filter(promise_municipality::Column::PromiseId.eq(p.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.municipality_id)
        .collect();
    let names: Vec<String> = municipality::Entity::find()
        .filter(municipality::Column::Id.is_in(municipality_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let areas = focus_area::Entity::find()
        .filter(focus_area::Column::PromiseId.eq(p.id))
        .order_by_asc(focus_area::Column::Position)
        .all(db)
        .await?;
    let commitments = commitment::Entity::find()
        .filter(commitment::Column::PromiseId.eq(p.id))
        .order_by_asc(commitment::Column::Position)
        .all(db)
        .await?;
    let sections = promise_section::Entity::find()
        .filter(promise_section::Column::PromiseId.eq(p.id))
        .all(db)
        .await?;
    let mut parts: Vec<&str> = vec![&p.title, &p.summary];
    parts.extend(names.iter().map(String::as_str));
    parts.extend(
        [&p.situation, &p.goal, &p.follow_up, &p.renewal_note]
            .into_iter()
            .flatten()
            .map(String::as_str),
    );
    for fa in &areas {
        parts.push(&fa.title);
        parts.extend(fa.description.as_deref());
    }
    parts.extend(commitments.iter().map(|c| c.text.as_str()));
    for s in &sections {
        parts.push(&s.heading);
        parts.push(&s.body);
    }
    Ok(search::document(parts))
}
