//! Promises: create (as a draft), update, publish, unpublish and delete.

use chrono::NaiveDate;
use entity::{
    contact, focus_area, municipality, police_area, promise, promise_contact, promise_municipality,
    routing_rule,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, ModelTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

use super::{Action, Change, EditError, EditResult, covers_all, snapshot, taken_over};
use crate::{
    domain::{editing as rules, invalid, period},
    service::{catalog, staff::Principal},
};

/// Fields of a promise. `None` leaves a field as it is; for nullable fields
/// `Some(None)` clears it. Creating a promise requires title, municipalities, period and
/// summary.
#[derive(Debug, Default, Clone)]
pub struct PromiseFields {
    pub title: Option<String>,
    /// Kommunkod or slug of each municipality, in display order.
    pub municipalities: Option<Vec<String>>,
    /// Key of the police area (lokalpolisområde).
    pub police_area: Option<Option<String>>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub summary: Option<String>,
    pub situation: Option<Option<String>>,
    pub goal: Option<Option<String>>,
    pub follow_up: Option<Option<String>>,
    pub renewal_note: Option<Option<String>>,
    pub signed_on: Option<Option<NaiveDate>>,
    pub signed_place: Option<Option<String>>,
    /// Ids of the contacts named on the promise, in display order.
    pub contacts: Option<Vec<i32>>,
}

/// Create a promise as an unpublished draft.
pub async fn create_promise(
    db: &DatabaseConnection,
    p: &Principal,
    key: &str,
    fields: PromiseFields,
) -> EditResult<promise::Model> {
    let key = rules::key("key", key)?;
    super::require(&[
        (fields.title.is_none(), "title"),
        (fields.municipalities.is_none(), "municipalities"),
        (fields.valid_from.is_none(), "validFrom"),
        (fields.valid_to.is_none(), "validTo"),
        (fields.summary.is_none(), "summary"),
    ])?;
    let change = Change::begin(db, p).await?;
    change
        .ensure_key_free::<promise::Entity>(promise::Column::Key, &key, "promise")
        .await?;
    let am = promise::ActiveModel {
        id: NotSet,
        key: Set(key),
        published: Set(false),
        search_text: Set(String::new()),
        created_at: Set(change.now),
        updated_at: Set(change.now),
        ..Default::default()
    };
    let saved = apply(&change, am, None, fields).await?;
    let after = promise_snapshot(&change, &saved).await?;
    change
        .audit(
            Action::Create,
            "promise",
            saved.id,
            Some(saved.id),
            None,
            Some(after),
        )
        .await?;
    change.commit().await?;
    Ok(saved)
}

/// Change some fields of a promise.
pub async fn update_promise(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
    fields: PromiseFields,
) -> EditResult<promise::Model> {
    let change = Change::begin(db, p).await?;
    let current = change.promise(id).await?;
    let before = promise_snapshot(&change, &current).await?;
    let saved = apply(
        &change,
        current.clone().into_active_model(),
        Some(&current),
        fields,
    )
    .await?;
    let after = promise_snapshot(&change, &saved).await?;
    if super::same(&before, &after) {
        // Nothing changed: dropping the transaction rolls back the bumped timestamp.
        return Ok(current);
    }
    change
        .audit(
            Action::Update,
            "promise",
            id,
            Some(id),
            Some(before),
            Some(after),
        )
        .await?;
    change.commit().await?;
    Ok(saved)
}

/// Publish or unpublish: drafts are invisible to the public API.
pub async fn set_published(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
    published: bool,
) -> EditResult<promise::Model> {
    let change = Change::begin(db, p).await?;
    let current = change.promise(id).await?;
    if current.published == published {
        change.commit().await?;
        return Ok(current);
    }
    let mut am = current.into_active_model();
    am.published = Set(published);
    am.update(&change.txn).await?;
    let saved = change.touch_promise(id).await?;
    let action = if published {
        Action::Publish
    } else {
        Action::Unpublish
    };
    change
        .audit(
            action,
            "promise",
            id,
            Some(id),
            Some(serde_json::json!({ "published": !published })),
            Some(serde_json::json!({ "published": published })),
        )
        .await?;
    change.commit().await?;
    Ok(saved)
}

/// Delete a promise with its focus areas, commitments, follow-ups and signatories. Routing
/// rules that pointed at its focus areas go too, and are logged as deleted.
pub async fn delete_promise(db: &DatabaseConnection, p: &Principal, id: i32) -> EditResult<()> {
    let change = Change::begin(db, p).await?;
    let current = change.promise(id).await?;
    let before = promise_snapshot(&change, &current).await?;
    let area_ids: Vec<i32> = focus_area::Entity::find()
        .filter(focus_area::Column::PromiseId.eq(id))
        .all(&change.txn)
        .await?
        .into_iter()
        .map(|fa| fa.id)
        .collect();
    let rules = routing_rule::Entity::find()
        .filter(routing_rule::Column::FocusAreaId.is_in(area_ids))
        .all(&change.txn)
        .await?;
    for rule in &rules {
        change
            .audit(
                Action::Delete,
                "routing_rule",
                rule.id,
                None,
                Some(snapshot(rule)),
                None,
            )
            .await?;
        super::contacts::take_over_routing(&change, rule.municipality_id).await?;
    }
    let key = current.key.clone();
    current.delete(&change.txn).await?;
    change
        .audit(Action::Delete, "promise", id, Some(id), Some(before), None)
        .await?;
    change.take_over(taken_over::PROMISE, &key, true).await?;
    change.commit().await?;
    Ok(())
}

/// Validate and write `fields` onto a promise (new when `current` is `None`).
async fn apply(
    change: &Change<'_>,
    mut am: promise::ActiveModel,
    current: Option<&promise::Model>,
    f: PromiseFields,
) -> EditResult<promise::Model> {
    if let Some(title) = &f.title {
        am.title = Set(rules::line("title", title)?);
    }
    if let Some(summary) = &f.summary {
        am.summary = Set(rules::text("summary", summary)?);
    }
    for (value, field, slot) in [
        (&f.situation, "situation", &mut am.situation),
        (&f.goal, "goal", &mut am.goal),
        (&f.follow_up, "followUp", &mut am.follow_up),
        (&f.renewal_note, "renewalNote", &mut am.renewal_note),
    ] {
        if let Some(v) = value {
            *slot = Set(rules::optional_text(field, v.as_deref())?);
        }
    }
    if let Some(place) = &f.signed_place {
        am.signed_place = Set(rules::optional_line("signedPlace", place.as_deref())?);
    }
    if let Some(signed) = f.signed_on {
        am.signed_on = Set(signed);
    }
    let from = f.valid_from.or(current.map(|c| c.valid_from));
    let to = f.valid_to.or(current.map(|c| c.valid_to));
    if let (Some(from), Some(to)) = (from, to) {
        period::validate(from, to).map_err(|m| invalid("validTo", m))?;
        am.valid_from = Set(from);
        am.valid_to = Set(to);
    }
    if let Some(area) = &f.police_area {
        am.police_area_id = Set(match area {
            Some(key) => Some(
                police_area::Entity::find()
                    .filter(police_area::Column::Key.eq(key.trim()))
                    .one(&change.txn)
                    .await?
                    .ok_or_else(|| {
                        invalid(
                            "policeArea",
                            format!("no police area has the key \"{key}\""),
                        )
                    })?
                    .id,
            ),
            None => None,
        });
    }
    let wanted_municipalities = match &f.municipalities {
        Some(list) => Some(resolve_municipalities(change, list).await?),
        None => None,
    };
    let contacts = match &f.contacts {
        Some(ids) => Some(resolve_contacts(change, ids).await?),
        None => None,
    };

    let saved = if current.is_some() {
        am.update(&change.txn).await?
    } else {
        am.insert(&change.txn).await?
    };
    if let Some(wanted) = wanted_municipalities {
        let existing = change.municipalities_of(saved.id).await?;
        let moved: Vec<i32> = wanted
            .iter()
            .filter(|m| !existing.contains(m))
            .chain(existing.iter().filter(|m| !wanted.contains(m)))
            .copied()
            .collect();
        if !covers_all(change.p, &moved) {
            return Err(EditError::Forbidden);
        }
        if wanted != existing {
            promise_municipality::Entity::delete_many()
                .filter(promise_municipality::Column::PromiseId.eq(saved.id))
                .exec(&change.txn)
                .await?;
            for (position, m) in wanted.iter().enumerate() {
                promise_municipality::ActiveModel {
                    promise_id: Set(saved.id),
                    municipality_id: Set(*m),
                    position: Set(position as i32),
                }
                .insert(&change.txn)
                .await?;
            }
        }
    }
    if let Some(contacts) = contacts {
        // Checked against the municipalities as saved just above.
        for c in &contacts {
            change.promise_contact(saved.id, *c, "contactIds").await?;
        }
        promise_contact::Entity::delete_many()
            .filter(promise_contact::Column::PromiseId.eq(saved.id))
            .exec(&change.txn)
            .await?;
        for (position, c) in contacts.iter().enumerate() {
            promise_contact::ActiveModel {
                promise_id: Set(saved.id),
                contact_id: Set(*c),
                position: Set(position as i32),
            }
            .insert(&change.txn)
            .await?;
        }
    }
    change.touch_promise(saved.id).await
}

async fn resolve_municipalities(change: &Change<'_>, list: &[String]) -> EditResult<Vec<i32>> {
    if list.is_empty() {
        return Err(invalid(
            "municipalities",
            "a promise needs at least one municipality",
        )
        .into());
    }
    let mut ids = Vec::with_capacity(list.len());
    for m in list {
        let found = catalog::municipality_by_code_or_slug(&change.txn, m)
            .await?
            .ok_or_else(|| {
                invalid(
                    "municipalities",
                    format!("no municipality has the code or slug \"{}\"", m.trim()),
                )
            })?;
        if ids.contains(&found.id) {
            return Err(invalid("municipalities", "a municipality is listed twice").into());
        }
        ids.push(found.id);
    }
    Ok(ids)
}

async fn resolve_contacts(change: &Change<'_>, ids: &[i32]) -> EditResult<Vec<i32>> {
    let found = contact::Entity::find()
        .filter(contact::Column::Id.is_in(ids.iter().copied()))
        .all(&change.txn)
        .await?;
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        if !found.iter().any(|c| c.id == *id) {
            return Err(invalid("contacts", "no contact has that id").into());
        }
        if seen.contains(id) {
            return Err(invalid("contacts", "a contact is listed twice").into());
        }
        seen.push(*id);
    }
    Ok(seen)
}

/// A promise's row plus its municipalities and contacts, without the derived search text.
async fn promise_snapshot(change: &Change<'_>, p: &promise::Model) -> EditResult<Value> {
    let mut value = snapshot(p);
    let ids = change.municipalities_of(p.id).await?;
    let mut codes = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(m) = municipality::Entity::find_by_id(id)
            .one(&change.txn)
            .await?
        {
            codes.push(m.code);
        }
    }
    let contacts: Vec<i32> = promise_contact::Entity::find()
        .filter(promise_contact::Column::PromiseId.eq(p.id))
        .order_by_asc(promise_contact::Column::Position)
        .all(&change.txn)
        .await?
        .into_iter()
        .map(|c| c.contact_id)
        .collect();
    if let Value::Object(map) = &mut value {
        map.remove("search_text");
        map.insert("municipalities".into(), codes.into());
        map.insert("contacts".into(), contacts.into());
    }
    Ok(value)
}

/// Promises the caller may edit, drafts included, most recently changed first.
pub async fn editable(
    db: &DatabaseConnection,
    p: &Principal,
    offset: u64,
    limit: u64,
) -> EditResult<(Vec<promise::Model>, u64)> {
    if !crate::service::authz::may_edit(p) {
        return Err(EditError::Forbidden);
    }
    let mut select = promise::Entity::find();
    if let Some(scope) = crate::service::authz::scope(p) {
        select = select.filter(crate::db::in_subquery(
            promise::Column::Id,
            promise_municipality::Column::PromiseId,
            promise_municipality::Column::MunicipalityId.is_in(scope.iter().copied()),
        ));
    }
    let order = [
        (promise::Column::UpdatedAt, sea_orm::Order::Desc),
        (promise::Column::Id, sea_orm::Order::Desc),
    ];
    Ok(crate::db::page(db, select, &order, offset, limit).await?)
}
