//! The parts of a promise: focus areas, commitments (with targets), follow-ups,
//! signatories, and their order. Each change also counts as a change to its promise.
//!
//! Over 600 lines: four kinds of part with create, update, delete and reorder each, all on
//! the same `Change` transaction; one file per kind is a possible next split.

use chrono::NaiveDate;
use entity::{
    CommitmentStatus, ResponsibleParty, TargetPeriod, commitment, focus_area, follow_up, signatory,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, ModelTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use super::{Action, Change, EditError, EditResult, snapshot};
use crate::{
    domain::{editing as rules, invalid},
    service::staff::Principal,
};

/// Fields of a focus area; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct FocusAreaFields {
    /// Stable key within the promise; made from the title when not given.
    pub key: Option<String>,
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    /// Id of the responsible contact.
    pub contact: Option<Option<i32>>,
}

/// A measurable target ("minst 4 riktade trafikinsatser under året").
#[derive(Debug, Clone)]
pub struct Target {
    pub quantity: i32,
    pub unit: String,
    pub period: TargetPeriod,
}

/// Fields of a commitment; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct CommitmentFields {
    /// Id of the focus area it belongs to (of the same promise); `Some(None)` for none.
    pub focus_area: Option<Option<i32>>,
    pub text: Option<String>,
    pub responsible: Option<ResponsibleParty>,
    pub status: Option<CommitmentStatus>,
    pub target: Option<Option<Target>>,
    pub contact: Option<Option<i32>>,
}

/// Fields of a follow-up; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct FollowUpFields {
    pub date: Option<NaiveDate>,
    pub text: Option<String>,
    pub achieved_quantity: Option<Option<i32>>,
}

/// Fields of a signatory; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct SignatoryFields {
    pub name: Option<String>,
    pub title: Option<String>,
    pub organisation: Option<String>,
}

/// An ordered list within a promise.
#[derive(Debug, Clone, Copy)]
pub enum List {
    FocusAreas {
        promise_id: i32,
    },
    /// Commitments of a focus area, or the promise's commitments outside any focus area.
    Commitments {
        promise_id: i32,
        focus_area_id: Option<i32>,
    },
    Signatories {
        promise_id: i32,
    },
}

fn required<T>(value: Option<T>, field: &'static str) -> EditResult<T> {
    value.ok_or_else(|| invalid(field, format!("{field} is required")).into())
}

/// Log a change to a part and count it as a change to its promise.
async fn record<M: Serialize>(
    change: &Change<'_>,
    action: Action,
    entity_type: &'static str,
    id: i32,
    promise_id: i32,
    before: Option<&M>,
    after: Option<&M>,
) -> EditResult<()> {
    change
        .audit(
            action,
            entity_type,
            id,
            Some(promise_id),
            before.map(snapshot),
            after.map(snapshot),
        )
        .await?;
    change.touch_promise(promise_id).await?;
    Ok(())
}

/// The model type an active model saves.
type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// A part's row, as the log names it.
trait PartRow: Serialize {
    fn row_id(&self) -> i32;
}

macro_rules! part_rows {
    ($($module:ident),*) => {$(
        impl PartRow for $module::Model {
            fn row_id(&self) -> i32 {
                self.id
            }
        }
    )*};
}
part_rows!(focus_area, commitment, follow_up, signatory);

/// Insert a new part, log it and commit the change.
async fn save_new<A>(
    change: Change<'_>,
    entity_type: &'static str,
    promise_id: i32,
    am: A,
) -> EditResult<ModelOf<A>>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A> + PartRow,
{
    let saved = am.insert(&change.txn).await?;
    record(
        &change,
        Action::Create,
        entity_type,
        saved.row_id(),
        promise_id,
        None,
        Some(&saved),
    )
    .await?;
    change.commit().await?;
    Ok(saved)
}

/// Store an edited part, log it and commit the change; an edit that changes nothing
/// stores and logs nothing.
async fn save_update<A>(
    change: Change<'_>,
    entity_type: &'static str,
    promise_id: i32,
    current: ModelOf<A>,
    am: A,
) -> EditResult<ModelOf<A>>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A> + PartRow,
{
    if !am.is_changed() {
        return Ok(current);
    }
    let saved = am.update(&change.txn).await?;
    record(
        &change,
        Action::Update,
        entity_type,
        saved.row_id(),
        promise_id,
        Some(&current),
        Some(&saved),
    )
    .await?;
    change.commit().await?;
    Ok(saved)
}

/// Delete a part, log what it was (`before`, with what its deletion cascades to) and
/// commit the change.
async fn save_delete<M, A>(
    change: Change<'_>,
    entity_type: &'static str,
    promise_id: i32,
    current: M,
    before: &impl Serialize,
) -> EditResult<()>
where
    M: ModelTrait + IntoActiveModel<A> + PartRow + Send,
    A: ActiveModelTrait<Entity = M::Entity> + sea_orm::ActiveModelBehavior + Send,
{
    let id = current.row_id();
    current.delete(&change.txn).await?;
    record(
        &change,
        Action::Delete,
        entity_type,
        id,
        promise_id,
        Some(before),
        None,
    )
    .await?;
    change.commit().await
}

/// A row's snapshot with the rows that go with it (deleted by cascade).
fn with_parts<const N: usize>(
    row: &impl Serialize,
    parts: [(&str, serde_json::Value); N],
) -> serde_json::Value {
    let mut value = snapshot(row);
    if let serde_json::Value::Object(map) = &mut value {
        for (name, part) in parts {
            map.insert(name.to_owned(), part);
        }
    }
    value
}

/// A contact for a part of a promise must serve one of the promise's municipalities
/// that is in the caller's scope.
async fn check_contact(
    change: &Change<'_>,
    promise_id: i32,
    id: Option<i32>,
) -> EditResult<Option<i32>> {
    if let Some(id) = id {
        change.promise_contact(promise_id, id, "contactId").await?;
    }
    Ok(id)
}

// Focus areas.

pub async fn create_focus_area(
    db: &DatabaseConnection,
    p: &Principal,
    promise_id: i32,
    f: FocusAreaFields,
) -> EditResult<focus_area::Model> {
    let title = rules::line("title", &required(f.title.clone(), "title")?)?;
    let change = Change::begin(db, p).await?;
    change.promise(promise_id).await?;
    let existing = focus_area::Entity::find()
        .filter(focus_area::Column::PromiseId.eq(promise_id))
        .all(&change.txn)
        .await?;
    let key = match &f.key {
        Some(k) => {
            let k = rules::key("key", k)?;
            if existing.iter().any(|fa| fa.key == k) {
                return Err(
                    invalid("key", "the promise already has a focus area with that key").into(),
                );
            }
            k
        }
        None => {
            let base = rules::key_from_title(&title);
            let mut key = base.clone();
            let mut n = 2;
            while existing.iter().any(|fa| fa.key == key) {
                key = format!("{base}-{n}");
                n += 1;
            }
            key
        }
    };
    let am = focus_area::ActiveModel {
        id: NotSet,
        promise_id: Set(promise_id),
        key: Set(key),
        position: Set(existing.iter().map(|fa| fa.position + 1).max().unwrap_or(0)),
        title: Set(title),
        description: Set(None),
        contact_id: Set(None),
    };
    let am = apply_focus_area(
        &change,
        am,
        promise_id,
        FocusAreaFields { title: None, ..f },
    )
    .await?;
    save_new(change, "focus_area", promise_id, am).await
}

pub async fn update_focus_area(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
    f: FocusAreaFields,
) -> EditResult<focus_area::Model> {
    if f.key.is_some() {
        return Err(invalid("key", "a focus area's key cannot be changed").into());
    }
    let change = Change::begin(db, p).await?;
    let current = focus_area(&change, id).await?;
    let am = apply_focus_area(
        &change,
        current.clone().into_active_model(),
        current.promise_id,
        f,
    )
    .await?;
    save_update(change, "focus_area", current.promise_id, current, am).await
}

pub async fn delete_focus_area(db: &DatabaseConnection, p: &Principal, id: i32) -> EditResult<()> {
    let change = Change::begin(db, p).await?;
    let current = focus_area(&change, id).await?;
    // Its commitments, follow-ups and routing rules go with it (foreign key cascade);
    // keep what they were in the log.
    let commitments = commitment::Entity::find()
        .filter(commitment::Column::FocusAreaId.eq(id))
        .all(&change.txn)
        .await?;
    let rules = entity::routing_rule::Entity::find()
        .filter(entity::routing_rule::Column::FocusAreaId.eq(id))
        .all(&change.txn)
        .await?;
    for rule in &rules {
        super::contacts::take_over_routing(&change, rule.municipality_id).await?;
    }
    let before = with_parts(
        &current,
        [
            ("commitments", snapshot(&commitments)),
            ("routing_rules", snapshot(&rules)),
        ],
    );
    let promise_id = current.promise_id;
    save_delete(change, "focus_area", promise_id, current, &before).await
}

async fn focus_area(change: &Change<'_>, id: i32) -> EditResult<focus_area::Model> {
    let fa = focus_area::Entity::find_by_id(id)
        .one(&change.txn)
        .await?
        .ok_or(EditError::NotFound("focus area"))?;
    change.promise(fa.promise_id).await?;
    Ok(fa)
}

async fn apply_focus_area(
    change: &Change<'_>,
    mut am: focus_area::ActiveModel,
    promise_id: i32,
    f: FocusAreaFields,
) -> EditResult<focus_area::ActiveModel> {
    if let Some(title) = &f.title {
        am.title = Set(rules::line("title", title)?);
    }
    if let Some(d) = &f.description {
        am.description = Set(rules::optional_text("description", d.as_deref())?);
    }
    if let Some(c) = f.contact {
        am.contact_id = Set(check_contact(change, promise_id, c).await?);
    }
    Ok(am)
}

// Commitments.

pub async fn create_commitment(
    db: &DatabaseConnection,
    p: &Principal,
    promise_id: i32,
    f: CommitmentFields,
) -> EditResult<commitment::Model> {
    required(f.text.as_ref(), "text")?;
    required(f.responsible, "responsible")?;
    let change = Change::begin(db, p).await?;
    change.promise(promise_id).await?;
    let am = commitment::ActiveModel {
        id: NotSet,
        promise_id: Set(promise_id),
        focus_area_id: Set(None),
        position: Set(0),
        status: Set(CommitmentStatus::Planned),
        ..Default::default()
    };
    let mut am = apply_commitment(&change, am, promise_id, f).await?;
    let focus_area_id = focus_area_of(&am);
    am.position = Set(next_commitment_position(&change, promise_id, focus_area_id).await?);
    save_new(change, "commitment", promise_id, am).await
}

pub async fn update_commitment(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
    f: CommitmentFields,
) -> EditResult<commitment::Model> {
    let change = Change::begin(db, p).await?;
    let current = commitment(&change, id).await?;
    let moves = matches!(f.focus_area, Some(fa) if fa != current.focus_area_id);
    let mut am = apply_commitment(
        &change,
        current.clone().into_active_model(),
        current.promise_id,
        f,
    )
    .await?;
    if moves {
        let to = focus_area_of(&am);
        am.position = Set(next_commitment_position(&change, current.promise_id, to).await?);
    }
    save_update(change, "commitment", current.promise_id, current, am).await
}

pub async fn delete_commitment(db: &DatabaseConnection, p: &Principal, id: i32) -> EditResult<()> {
    let change = Change::begin(db, p).await?;
    let current = commitment(&change, id).await?;
    let follow_ups = follow_up::Entity::find()
        .filter(follow_up::Column::CommitmentId.eq(id))
        .all(&change.txn)
        .await?;
    let before = with_parts(&current, [("follow_ups", snapshot(&follow_ups))]);
    let promise_id = current.promise_id;
    save_delete(change, "commitment", promise_id, current, &before).await
}

async fn commitment(change: &Change<'_>, id: i32) -> EditResult<commitment::Model> {
    let c = commitment::Entity::find_by_id(id)
        .one(&change.txn)
        .await?
        .ok_or(EditError::NotFound("commitment"))?;
    change.promise(c.promise_id).await?;
    Ok(c)
}

/// The focus area a commitment being saved belongs to (none when not set).
fn focus_area_of(am: &commitment::ActiveModel) -> Option<i32> {
    am.focus_area_id.try_as_ref().copied().flatten()
}

async fn next_commitment_position(
    change: &Change<'_>,
    promise_id: i32,
    focus_area_id: Option<i32>,
) -> EditResult<i32> {
    let last = commitment::Entity::find()
        .filter(commitment::Column::PromiseId.eq(promise_id))
        .filter(match focus_area_id {
            Some(fa) => commitment::Column::FocusAreaId.eq(fa),
            None => commitment::Column::FocusAreaId.is_null(),
        })
        .order_by_desc(commitment::Column::Position)
        .one(&change.txn)
        .await?;
    Ok(last.map_or(0, |c| c.position + 1))
}

async fn apply_commitment(
    change: &Change<'_>,
    mut am: commitment::ActiveModel,
    promise_id: i32,
    f: CommitmentFields,
) -> EditResult<commitment::ActiveModel> {
    if let Some(text) = &f.text {
        am.text = Set(rules::text("text", text)?);
    }
    if let Some(r) = f.responsible {
        am.responsible = Set(r);
    }
    if let Some(s) = f.status {
        am.status = Set(s);
    }
    if let Some(target) = f.target {
        let (q, u, period) = match target {
            Some(t) => {
                let (q, u) = rules::target(t.quantity, &t.unit)?;
                (Some(q), Some(u), Some(t.period))
            }
            None => (None, None, None),
        };
        am.target_quantity = Set(q);
        am.target_unit = Set(u);
        am.target_period = Set(period);
    }
    if let Some(c) = f.contact {
        am.contact_id = Set(check_contact(change, promise_id, c).await?);
    }
    if let Some(fa) = f.focus_area {
        if let Some(fa) = fa {
            let found = focus_area::Entity::find_by_id(fa).one(&change.txn).await?;
            if found.is_none_or(|found| found.promise_id != promise_id) {
                return Err(
                    invalid("focusAreaId", "the focus area is not part of this promise").into(),
                );
            }
        }
        am.focus_area_id = Set(fa);
    }
    Ok(am)
}

// Follow-ups.

pub async fn create_follow_up(
    db: &DatabaseConnection,
    p: &Principal,
    commitment_id: i32,
    f: FollowUpFields,
) -> EditResult<follow_up::Model> {
    let change = Change::begin(db, p).await?;
    let c = commitment(&change, commitment_id).await?;
    let am = follow_up::ActiveModel {
        id: NotSet,
        commitment_id: Set(commitment_id),
        date: Set(required(f.date, "date")?),
        text: Set(rules::text("text", &required(f.text.clone(), "text")?)?),
        achieved_quantity: Set(None),
        created_at: Set(change.now),
    };
    let am = apply_follow_up(
        am,
        FollowUpFields {
            date: None,
            text: None,
            ..f
        },
    )?;
    save_new(change, "follow_up", c.promise_id, am).await
}

pub async fn update_follow_up(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
    f: FollowUpFields,
) -> EditResult<follow_up::Model> {
    let change = Change::begin(db, p).await?;
    let (current, promise_id) = follow_up(&change, id).await?;
    let am = apply_follow_up(current.clone().into_active_model(), f)?;
    save_update(change, "follow_up", promise_id, current, am).await
}

pub async fn delete_follow_up(db: &DatabaseConnection, p: &Principal, id: i32) -> EditResult<()> {
    let change = Change::begin(db, p).await?;
    let (current, promise_id) = follow_up(&change, id).await?;
    let before = snapshot(&current);
    save_delete(change, "follow_up", promise_id, current, &before).await
}

async fn follow_up(change: &Change<'_>, id: i32) -> EditResult<(follow_up::Model, i32)> {
    let f = follow_up::Entity::find_by_id(id)
        .one(&change.txn)
        .await?
        .ok_or(EditError::NotFound("follow-up"))?;
    let c = commitment(change, f.commitment_id).await?;
    Ok((f, c.promise_id))
}

fn apply_follow_up(
    mut am: follow_up::ActiveModel,
    f: FollowUpFields,
) -> EditResult<follow_up::ActiveModel> {
    if let Some(d) = f.date {
        am.date = Set(d);
    }
    if let Some(t) = &f.text {
        am.text = Set(rules::text("text", t)?);
    }
    if let Some(q) = f.achieved_quantity {
        am.achieved_quantity = Set(rules::achieved(q)?);
    }
    Ok(am)
}

// Signatories.

pub async fn create_signatory(
    db: &DatabaseConnection,
    p: &Principal,
    promise_id: i32,
    f: SignatoryFields,
) -> EditResult<signatory::Model> {
    let change = Change::begin(db, p).await?;
    change.promise(promise_id).await?;
    let last = signatory::Entity::find()
        .filter(signatory::Column::PromiseId.eq(promise_id))
        .order_by_desc(signatory::Column::Position)
        .one(&change.txn)
        .await?;
    let am = signatory::ActiveModel {
        id: NotSet,
        promise_id: Set(promise_id),
        position: Set(last.map_or(0, |s| s.position + 1)),
        name: Set(rules::line("name", &required(f.name.clone(), "name")?)?),
        title: Set(rules::line("title", &required(f.title.clone(), "title")?)?),
        organisation: Set(rules::line(
            "organisation",
            &required(f.organisation.clone(), "organisation")?,
        )?),
    };
    save_new(change, "signatory", promise_id, am).await
}

pub async fn update_signatory(
    db: &DatabaseConnection,
    p: &Principal,
    id: i32,
    f: SignatoryFields,
) -> EditResult<signatory::Model> {
    let change = Change::begin(db, p).await?;
    let current = signatory(&change, id).await?;
    let mut am = current.clone().into_active_model();
    if let Some(v) = &f.name {
        am.name = Set(rules::line("name", v)?);
    }
    if let Some(v) = &f.title {
        am.title = Set(rules::line("title", v)?);
    }
    if let Some(v) = &f.organisation {
        am.organisation = Set(rules::line("organisation", v)?);
    }
    save_update(change, "signatory", current.promise_id, current, am).await
}

pub async fn delete_signatory(db: &DatabaseConnection, p: &Principal, id: i32) -> EditResult<()> {
    let change = Change::begin(db, p).await?;
    let current = signatory(&change, id).await?;
    let (promise_id, before) = (current.promise_id, snapshot(&current));
    save_delete(change, "signatory", promise_id, current, &before).await
}

async fn signatory(change: &Change<'_>, id: i32) -> EditResult<signatory::Model> {
    let s = signatory::Entity::find_by_id(id)
        .one(&change.txn)
        .await?
        .ok_or(EditError::NotFound("signatory"))?;
    change.promise(s.promise_id).await?;
    Ok(s)
}

// Ordering.

/// Put a list in a new order; `ids` must name every item of the list exactly once.
pub async fn reorder(
    db: &DatabaseConnection,
    p: &Principal,
    list: List,
    ids: &[i32],
) -> EditResult<()> {
    let change = Change::begin(db, p).await?;
    let (promise_id, list_name, current) = match list {
        List::FocusAreas { promise_id } => {
            change.promise(promise_id).await?;
            let rows = focus_area::Entity::find()
                .filter(focus_area::Column::PromiseId.eq(promise_id))
                .order_by_asc(focus_area::Column::Position)
                .all(&change.txn)
                .await?;
            (
                promise_id,
                "focus_areas",
                rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            )
        }
        List::Commitments {
            promise_id,
            focus_area_id,
        } => {
            change.promise(promise_id).await?;
            let rows = commitment::Entity::find()
                .filter(commitment::Column::PromiseId.eq(promise_id))
                .filter(match focus_area_id {
                    Some(fa) => commitment::Column::FocusAreaId.eq(fa),
                    None => commitment::Column::FocusAreaId.is_null(),
                })
                .order_by_asc(commitment::Column::Position)
                .all(&change.txn)
                .await?;
            (
                promise_id,
                "commitments",
                rows.iter().map(|r| r.id).collect(),
            )
        }
        List::Signatories { promise_id } => {
            change.promise(promise_id).await?;
            let rows = signatory::Entity::find()
                .filter(signatory::Column::PromiseId.eq(promise_id))
                .order_by_asc(signatory::Column::Position)
                .all(&change.txn)
                .await?;
            (
                promise_id,
                "signatories",
                rows.iter().map(|r| r.id).collect(),
            )
        }
    };
    rules::reorder("ids", &current, ids)?;
    if current == ids {
        return Ok(());
    }
    for (position, id) in ids.iter().enumerate() {
        let position = position as i32;
        match list {
            List::FocusAreas { .. } => {
                focus_area::Entity::update_many()
                    .col_expr(focus_area::Column::Position, position.into())
                    .filter(focus_area::Column::Id.eq(*id))
                    .exec(&change.txn)
                    .await?;
            }
            List::Commitments { .. } => {
                commitment::Entity::update_many()
                    .col_expr(commitment::Column::Position, position.into())
                    .filter(commitment::Column::Id.eq(*id))
                    .exec(&change.txn)
                    .await?;
            }
            List::Signatories { .. } => {
                signatory::Entity::update_many()
                    .col_expr(signatory::Column::Position, position.into())
                    .filter(signatory::Column::Id.eq(*id))
                    .exec(&change.txn)
                    .await?;
            }
        }
    }
    change
        .audit(
            Action::Reorder,
            "promise",
            promise_id,
            Some(promise_id),
            Some(serde_json::json!({ list_name: current })),
            Some(serde_json::json!({ list_name: ids })),
        )
        .await?;
    change.touch_promise(promise_id).await?;
    change.commit().await
}
