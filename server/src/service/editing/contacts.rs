//! Contacts (with their private email) and the routing rules that send tips to them.

use entity::{
    api_token, contact, contact_municipality, focus_area, municipality, promise_municipality,
    routing_rule, tip,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, ModelTrait, QueryFilter, Set,
};
use serde_json::Value;

use super::{Action, Change, EditError, EditResult, covers_all, covers_any, snapshot, taken_over};
use crate::{
    domain::{editing as rules, invalid, tip as tip_rules},
    service::{authz, catalog, staff::Principal},
};

/// Fields of a contact; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct ContactFields {
    pub name: Option<String>,
    /// Role title as the organisation writes it ("kommunpolis").
    pub role: Option<String>,
    pub organisation_kind: Option<entity::OrganisationKind>,
    pub organisation: Option<String>,
    pub phone: Option<Option<String>>,
    /// Where routed tips are sent. Never shown publicly.
    pub email: Option<Option<String>>,
    /// Kommunkod or slug of each municipality the contact serves.
    pub municipalities: Option<Vec<String>>,
}

/// A routing rule: tips for `municipality` (about `focus_area`, or any when `None`) go to
/// `contact`.
#[derive(Debug, Clone)]
pub struct RoutingRuleFields {
    pub municipality: String,
    pub focus_area: Option<i32>,
    pub contact: i32,
}

pub async fn create_contact(
    db: &DatabaseConnection,
    p: &Principal,
    key: &str,
    f: ContactFields,
) -> EditResult<contact::Model> {
    let key = rules::key("key", key)?;
    super::require(&[
        (f.name.is_none(), "name"),
        (f.role.is_none(), "role"),
        (f.organisation_kind.is_none(), "organisationKind"),
        (f.organisation.is_none(), "organisation"),
    ])?;
    if authz::scope(p).is_some() && f.municipalities.as_ref().is_none_or(Vec::is_empty) {
        return Err(invalid(
            "municipalities",
            "name the municipalities the contact serves",
        )
        .into());
    }
    let change = Change::begin(db, p).await?;
    change
        .ensure_key_free::<contact::Entity>(contact::Column::Key, &key, "contact")
        .await?;
    let am = contact::ActiveModel {
        id: NotSet,
        key: Set(key),
        email_is_placeholder: Set(false),
        is_placeholder: Set(false),
        phone: Set(None),
        email: Set(None),
        ..Default::default()
    };
    let saved = apply(&change, am, f, None).await?;
    let after = contact_snapshot(&change, &saved).await?;
    change
        .audit(Action::Create, "contact", saved.id, None, None, Some(after))
        .await?;
    change.commit().await?;
    Ok(saved)
}

pub async fn update_contact(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
    f: ContactFields,
) -> EditResult<contact::Model> {
    let change = Change::begin(db, p).await?;
    let current = contact(&change, id).await?;
    let before = contact_snapshot(&change, &current).await?;
    let saved = apply(
        &change,
        current.clone().into_active_model(),
        f,
        Some(&current),
    )
    .await?;
    let after = contact_snapshot(&change, &saved).await?;
    if before == after {
        return Ok(current);
    }
    change
        .audit(
            Action::Update,
            "contact",
            id,
            None,
            Some(before),
            Some(after),
        )
        .await?;
    change.commit().await?;
    Ok(saved)
}

/// Delete a contact no tip or token depends on; its routing rules go with it.
pub async fn delete_contact(db: &DatabaseConnection, p: &Principal, id: i32) -> EditResult<()> {
    let change = Change::begin(db, p).await?;
    let current = contact(&change, id).await?;
    if tip::Entity::find()
        .filter(tip::Column::RoutedContactId.eq(id))
        .one(&change.txn)
        .await?
        .is_some()
    {
        return Err(invalid(
            "id",
            "tips have been routed to this contact; keep it, or reroute the tips first",
        )
        .into());
    }
    if api_token::Entity::find()
        .filter(api_token::Column::ContactId.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(&change.txn)
        .await?
        .is_some()
    {
        return Err(invalid(
            "id",
            "a staff token reads this contact's tips; revoke it first",
        )
        .into());
    }
    let rules = routing_rule::Entity::find()
        .filter(routing_rule::Column::ContactId.eq(id))
        .all(&change.txn)
        .await?;
    for rule in &rules {
        take_over_routing(&change, rule.municipality_id).await?;
    }
    let mut before = contact_snapshot(&change, &current).await?;
    if let Value::Object(map) = &mut before {
        map.insert("routing_rules".into(), snapshot(&rules));
    }
    let key = current.key.clone();
    current.delete(&change.txn).await?;
    change
        .audit(Action::Delete, "contact", id, None, Some(before), None)
        .await?;
    change.take_over(taken_over::CONTACT, &key, true).await?;
    change.commit().await
}

/// A contact the caller may edit: one that serves any of the caller's municipalities.
async fn contact(change: &Change<'_>, id: i32) -> EditResult<contact::Model> {
    let found = contact::Entity::find_by_id(id)
        .one(&change.txn)
        .await?
        .ok_or(EditError::NotFound("contact"))?;
    if !covers_any(change.p, &municipalities_of(change, id).await?) {
        return Err(EditError::Forbidden);
    }
    Ok(found)
}

async fn municipalities_of(change: &Change<'_>, contact_id: i32) -> EditResult<Vec<i32>> {
    Ok(contact_municipality::Entity::find()
        .filter(contact_municipality::Column::ContactId.eq(contact_id))
        .all(&change.txn)
        .await?
        .into_iter()
        .map(|r| r.municipality_id)
        .collect())
}

async fn apply(
    change: &Change<'_>,
    mut am: contact::ActiveModel,
    f: ContactFields,
    current: Option<&contact::Model>,
) -> EditResult<contact::Model> {
    if let Some(v) = &f.name {
        am.name = Set(rules::line("name", v)?);
    }
    if let Some(v) = &f.role {
        am.role = Set(rules::line("role", v)?);
    }
    if let Some(v) = f.organisation_kind {
        am.organisation_kind = Set(v);
    }
    if let Some(v) = &f.organisation {
        am.organisation = Set(rules::line("organisation", v)?);
    }
    if let Some(v) = &f.phone {
        am.phone = Set(tip_rules::parse_phone(v.as_deref())?);
    }
    if let Some(v) = &f.email {
        am.email = Set(tip_rules::parse_email(v.as_deref())?.map(|a| a.to_string()));
        // An address staff typed in is a real one.
        am.email_is_placeholder = Set(false);
    }
    let wanted = match &f.municipalities {
        Some(list) => {
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
                if !ids.contains(&found.id) {
                    ids.push(found.id);
                }
            }
            Some(ids)
        }
        None => None,
    };
    let saved = match current {
        None => am.insert(&change.txn).await?,
        Some(_) if am.is_changed() => am.update(&change.txn).await?,
        Some(c) => c.clone(),
    };
    if let Some(wanted) = wanted {
        let existing = municipalities_of(change, saved.id).await?;
        let moved: Vec<i32> = wanted
            .iter()
            .filter(|m| !existing.contains(m))
            .chain(existing.iter().filter(|m| !wanted.contains(m)))
            .copied()
            .collect();
        if !covers_all(change.p, &moved) {
            return Err(EditError::Forbidden);
        }
        if !moved.is_empty() {
            contact_municipality::Entity::delete_many()
                .filter(contact_municipality::Column::ContactId.eq(saved.id))
                .exec(&change.txn)
                .await?;
            for m in wanted {
                contact_municipality::ActiveModel {
                    contact_id: Set(saved.id),
                    municipality_id: Set(m),
                }
                .insert(&change.txn)
                .await?;
            }
        }
    }
    change
        .take_over(taken_over::CONTACT, &saved.key, false)
        .await?;
    Ok(saved)
}

async fn contact_snapshot(change: &Change<'_>, c: &contact::Model) -> EditResult<Value> {
    let mut value = snapshot(c);
    let ids = municipalities_of(change, c.id).await?;
    let codes: Vec<String> = municipality::Entity::find()
        .filter(municipality::Column::Id.is_in(ids))
        .all(&change.txn)
        .await?
        .into_iter()
        .map(|m| m.code)
        .collect();
    if let Value::Object(map) = &mut value {
        map.insert("municipalities".into(), codes.into());
    }
    Ok(value)
}

// Routing rules.

/// Mark a municipality's routing rules as managed by staff.
pub(super) async fn take_over_routing(change: &Change<'_>, municipality_id: i32) -> EditResult<()> {
    if let Some(m) = municipality::Entity::find_by_id(municipality_id)
        .one(&change.txn)
        .await?
    {
        change
            .take_over(taken_over::ROUTING, &m.code, false)
            .await?;
    }
    Ok(())
}

pub async fn create_routing_rule(
    db: &DatabaseConnection,
    p: &Principal,
    f: RoutingRuleFields,
) -> EditResult<routing_rule::Model> {
    let change = Change::begin(db, p).await?;
    let m = catalog::municipality_by_code_or_slug(&change.txn, &f.municipality)
        .await?
        .ok_or_else(|| invalid("municipality", "no municipality has that code or slug"))?;
    if !covers_all(p, &[m.id]) {
        return Err(EditError::Forbidden);
    }
    if let Some(fa) = f.focus_area {
        let area = focus_area::Entity::find_by_id(fa)
            .one(&change.txn)
            .await?
            .ok_or_else(|| invalid("focusAreaId", "no focus area has that id"))?;
        let of_municipality = promise_municipality::Entity::find()
            .filter(promise_municipality::Column::PromiseId.eq(area.promise_id))
            .filter(promise_municipality::Column::MunicipalityId.eq(m.id))
            .one(&change.txn)
            .await?
            .is_some();
        if !of_municipality {
            return Err(invalid(
                "focusAreaId",
                "the focus area belongs to a promise of another municipality",
            )
            .into());
        }
    }
    check_rule_contact(&change, f.contact, m.id).await?;
    let clash = routing_rule::Entity::find()
        .filter(routing_rule::Column::MunicipalityId.eq(m.id))
        .filter(match f.focus_area {
            Some(fa) => routing_rule::Column::FocusAreaId.eq(fa),
            None => routing_rule::Column::FocusAreaId.is_null(),
        })
        .one(&change.txn)
        .await?;
    if clash.is_some() {
        return Err(invalid(
            "focusAreaId",
            "the municipality already has a rule for that focus area; update or delete it",
        )
        .into());
    }
    let saved = routing_rule::ActiveModel {
        id: NotSet,
        municipality_id: Set(m.id),
        focus_area_id: Set(f.focus_area),
        contact_id: Set(f.contact),
    }
    .insert(&change.txn)
    .await?;
    change
        .audit(
            Action::Create,
            "routing_rule",
            saved.id,
            None,
            None,
            Some(snapshot(&saved)),
        )
        .await?;
    take_over_routing(&change, m.id).await?;
    change.commit().await?;
    Ok(saved)
}

/// Send a rule's tips to another contact.
pub async fn update_routing_rule(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
    contact_id: i32,
) -> EditResult<routing_rule::Model> {
    let change = Change::begin(db, p).await?;
    let current = routing_rule(&change, id).await?;
    check_rule_contact(&change, contact_id, current.municipality_id).await?;
    if current.contact_id == contact_id {
        return Ok(current);
    }
    let mut am = current.clone().into_active_model();
    am.contact_id = Set(contact_id);
    let saved = am.update(&change.txn).await?;
    change
        .audit(
            Action::Update,
            "routing_rule",
            id,
            None,
            Some(snapshot(&current)),
            Some(snapshot(&saved)),
        )
        .await?;
    take_over_routing(&change, saved.municipality_id).await?;
    change.commit().await?;
    Ok(saved)
}

pub async fn delete_routing_rule(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
) -> EditResult<()> {
    let change = Change::begin(db, p).await?;
    let current = routing_rule(&change, id).await?;
    let municipality_id = current.municipality_id;
    current.clone().delete(&change.txn).await?;
    change
        .audit(
            Action::Delete,
            "routing_rule",
            id,
            None,
            Some(snapshot(&current)),
            None,
        )
        .await?;
    take_over_routing(&change, municipality_id).await?;
    change.commit().await
}

async fn routing_rule(change: &Change<'_>, id: i32) -> EditResult<routing_rule::Model> {
    let found = routing_rule::Entity::find_by_id(id)
        .one(&change.txn)
        .await?
        .ok_or(EditError::NotFound("routing rule"))?;
    if !covers_all(change.p, &[found.municipality_id]) {
        return Err(EditError::Forbidden);
    }
    Ok(found)
}

/// The contact of a rule must serve the rule's municipality (which is in scope).
async fn check_rule_contact(
    change: &Change<'_>,
    contact_id: i32,
    municipality_id: i32,
) -> EditResult<()> {
    let found = authz::usable_contact(&change.txn, Some(change.p), contact_id, &[municipality_id])
        .await?
        .ok_or_else(|| {
            invalid(
                "contactId",
                "no contact with that id serves the rule's municipality",
            )
        })?;
    if found.email.is_none() {
        return Err(invalid(
            "contactId",
            "the contact has no email address to route tips to",
        )
        .into());
    }
    Ok(())
}

/// Contacts serving the caller's municipalities (all for admins), optionally one
/// municipality's, by name.
pub async fn contacts(
    db: &DatabaseConnection,
    p: &Principal,
    municipality_id: Option<i32>,
) -> EditResult<Vec<contact::Model>> {
    use sea_orm::QueryOrder;
    if !authz::may_edit(p) {
        return Err(EditError::Forbidden);
    }
    let mut scope: Option<Vec<i32>> = authz::scope(p).map(<[i32]>::to_vec);
    if let Some(m) = municipality_id {
        if scope.as_ref().is_some_and(|s| !s.contains(&m)) {
            return Err(EditError::Forbidden);
        }
        scope = Some(vec![m]);
    }
    let mut select = contact::Entity::find();
    if let Some(ids) = scope {
        select = select.filter(crate::db::in_subquery(
            contact::Column::Id,
            contact_municipality::Column::ContactId,
            contact_municipality::Column::MunicipalityId.is_in(ids),
        ));
    }
    let mut rows = select.order_by_asc(contact::Column::Id).all(db).await?;
    rows.sort_by(|a, b| crate::domain::collation::compare(&a.name, &b.name));
    Ok(rows)
}

/// A municipality's routing rules.
pub async fn routing_rules(
    db: &DatabaseConnection,
    p: &Principal,
    municipality_id: i32,
) -> EditResult<Vec<routing_rule::Model>> {
    use sea_orm::QueryOrder;
    if !authz::may_edit(p) || !covers_all(p, &[municipality_id]) {
        return Err(EditError::Forbidden);
    }
    Ok(routing_rule::Entity::find()
        .filter(routing_rule::Column::MunicipalityId.eq(municipality_id))
        .order_by_asc(routing_rule::Column::Id)
        .all(db)
        .await?)
}

/// A contact's private email, for staff with the contact in scope (`Forbidden` otherwise).
/// `serves`: the municipalities the contact serves (staff lists load them in batches).
pub fn private_email(
    p: &Principal,
    contact: &contact::Model,
    serves: &[i32],
) -> EditResult<Option<String>> {
    if !authz::contact_visible(p, serves) {
        return Err(EditError::Forbidden);
    }
    Ok(contact.email.clone())
}

/// The contact a routing rule sends tips to (`None` when it no longer exists), when it is
/// in the caller's scope; `None` when it serves none of the caller's municipalities.
/// `serves`: the municipalities the contact serves.
pub fn rule_contact(
    p: &Principal,
    contact: Option<contact::Model>,
    serves: &[i32],
) -> Option<contact::Model> {
    contact.filter(|_| authz::contact_visible(p, serves))
}
