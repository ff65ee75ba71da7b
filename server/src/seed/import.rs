//! The importer: writes a validated seed file into the database in one transaction.
//!
//! It is idempotent: rows are matched on natural keys (kommunkod, `key`, a focus area's
//! key within its promise, a list item's position), updated only where a value differs,
//! and created or removed as the file says. Ids therefore stay stable, and running the
//! same file twice changes nothing. Promises and contacts that are not in the file are
//! left alone (they may have been created by staff).
//!
//! Over 600 lines: one importer transaction writing every table of the seed in order;
//! the steps share the lookups built along the way.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::{
    commitment, contact, contact_municipality, focus_area, municipality, police_area,
    police_area_municipality, promise, promise_contact, promise_municipality, promise_section,
    promise_source, routing_rule, signatory, staff_override,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TryIntoModel,
};

use super::file::{CommitmentSeed, PromiseSeed, SeedFile, toml_date};
use crate::service::editing::{self, taken_over};

/// What an import changed, by row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u32,
    pub updated: u32,
    pub deleted: u32,
    /// Promises, contacts, municipalities' routing rules and response targets left alone
    /// because staff edited or deleted them through the API (see `--force`).
    pub kept: u32,
}

impl ImportReport {
    /// Nothing was written (rows kept for staff do not count as changes).
    pub fn is_unchanged(&self) -> bool {
        self.created == 0 && self.updated == 0 && self.deleted == 0
    }
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} deleted, {} kept as edited by staff",
            self.created, self.updated, self.deleted, self.kept
        )
    }
}

/// Import a validated file in one transaction: all of it, or nothing. What staff edited
/// or deleted through the API is kept as they left it.
pub async fn import(db: &DatabaseConnection, file: &SeedFile) -> Result<ImportReport, DbErr> {
    import_with(db, file, false).await
}

/// Like [`import`]; with `force` the file wins over staff edits, and rows staff deleted
/// come back.
pub async fn import_with(
    db: &DatabaseConnection,
    file: &SeedFile,
    force: bool,
) -> Result<ImportReport, DbErr> {
    // It reads before it writes, beside a running server: take the write lock at once.
    let txn = crate::db::begin_write(db).await?;
    let overrides = staff_override::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|o| (o.kind, o.key))
        .collect();
    let mut importer = Importer {
        txn: &txn,
        report: ImportReport::default(),
        overrides,
        force,
    };
    importer.run(file).await?;
    let report = importer.report;
    if !report.is_unchanged() {
        crate::service::catalog::bump_version(&txn).await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// The ids of the municipalities a seed names by code (validated to exist).
fn ids_of(codes: &[toml::Spanned<String>], municipalities: &HashMap<String, i32>) -> Vec<i32> {
    codes.iter().map(|c| municipalities[c.get_ref()]).collect()
}

struct Importer<'a> {
    txn: &'a DatabaseTransaction,
    report: ImportReport,
    /// (kind, key) of rows staff have taken over.
    overrides: HashSet<(String, String)>,
    force: bool,
}

/// Assign only when the value differs, so unchanged rows stay unchanged.
macro_rules! assign {
    ($am:ident . $field:ident = $value:expr) => {
        $am.$field.set_if_not_equals($value)
    };
}

/// The row of `$entity` with key `$key` as an active model, and whether it existed; a new
/// model with only the key set when there is none.
macro_rules! find_or_new {
    ($self:ident, $entity:ident, $key:expr) => {{
        let found = $entity::Entity::find()
            .filter($entity::Column::Key.eq($key))
            .one($self.txn)
            .await?;
        match found {
            Some(m) => (m.into_active_model(), true),
            None => (
                $entity::ActiveModel {
                    id: NotSet,
                    key: Set($key.clone()),
                    ..Default::default()
                },
                false,
            ),
        }
    }};
}

/// Makes a promise's ordered links (`$entity`: to municipalities or contacts, whose id is
/// `$field` in column `$column`) exactly `$wanted`, in that order: kept links take their
/// new position, unwanted ones are deleted, missing ones inserted.
macro_rules! sync_ordered_links {
    ($self:ident, $entity:ident, $promise_id:expr, $wanted:expr, $column:ident, $field:ident) => {{
        let wanted: &[i32] = $wanted;
        let current = $entity::Entity::find()
            .filter($entity::Column::PromiseId.eq($promise_id))
            .all($self.txn)
            .await?;
        for row in &current {
            match wanted.iter().position(|&id| id == row.$field) {
                Some(pos) => {
                    let mut am = row.clone().into_active_model();
                    assign!(am.position = pos as i32);
                    $self.save(am, true).await?;
                }
                None => {
                    $entity::Entity::delete_many()
                        .filter($entity::Column::PromiseId.eq($promise_id))
                        .filter($entity::Column::$column.eq(row.$field))
                        .exec($self.txn)
                        .await?;
                    $self.report.deleted += 1;
                }
            }
        }
        for (pos, &id) in wanted.iter().enumerate() {
            if !current.iter().any(|r| r.$field == id) {
                $self
                    .insert($entity::ActiveModel {
                        promise_id: Set($promise_id),
                        $field: Set(id),
                        position: Set(pos as i32),
                    })
                    .await?;
            }
        }
    }};
}

/// Brings a promise's child list (`$entity`: sources, sections, signatories) in line with
/// the seed's list by position: row *n* is updated from item *n* (only changed fields),
/// missing rows are inserted, rows past the end are deleted. `$assign` sets the item's
/// own fields on `$am`; position and promise are set here.
macro_rules! sync_by_position {
    (
        $self:ident, $entity:ident, $promise_id:expr, $items:expr,
        |$am:ident, $item:ident| $assign:block
    ) => {{
        let current = $entity::Entity::find()
            .filter($entity::Column::PromiseId.eq($promise_id))
            .order_by_asc($entity::Column::Position)
            .all($self.txn)
            .await?;
        for (pos, $item) in $items.iter().enumerate() {
            let (mut $am, existed) = match current.get(pos) {
                Some(row) => (row.clone().into_active_model(), true),
                None => (
                    $entity::ActiveModel {
                        id: NotSet,
                        promise_id: Set($promise_id),
                        ..Default::default()
                    },
                    false,
                ),
            };
            assign!($am.position = pos as i32);
            $assign
            $self.save($am, existed).await?;
        }
        let extra = current.iter().skip($items.len()).map(|row| row.id);
        $self
            .delete_extra($entity::Entity::delete_many().filter($entity::Column::Id.is_in(extra)))
            .await?;
    }};
}

impl Importer<'_> {
    /// Whether a seeded row is left as staff made it.
    fn kept(&self, kind: &str, key: &str) -> bool {
        !self.force && self.overrides.contains(&(kind.to_owned(), key.to_owned()))
    }

    /// Under `--force`, the file's rows stop being staff-owned.
    async fn release_overrides(&mut self, file: &SeedFile) -> Result<(), DbErr> {
        let keys = |kind: &str, keys: Vec<&String>| {
            Condition::all()
                .add(staff_override::Column::Kind.eq(kind))
                .add(staff_override::Column::Key.is_in(keys.into_iter().cloned()))
        };
        staff_override::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(keys(
                        taken_over::PROMISE,
                        file.promise.iter().map(|p| p.key.get_ref()).collect(),
                    ))
                    .add(keys(
                        taken_over::CONTACT,
                        file.contact.iter().map(|c| c.key.get_ref()).collect(),
                    ))
                    .add(keys(
                        taken_over::RESPONSE_TARGET,
                        file.municipality
                            .iter()
                            .filter(|m| m.response_days.is_some())
                            .map(|m| m.code.get_ref())
                            .collect(),
                    ))
                    .add(keys(
                        taken_over::ROUTING,
                        file.routing_rule
                            .iter()
                            .map(|r| r.municipality.get_ref())
                            .collect(),
                    )),
            )
            .exec(self.txn)
            .await?;
        Ok(())
    }

    async fn run(&mut self, file: &SeedFile) -> Result<(), DbErr> {
        if self.force {
            self.release_overrides(file).await?;
        }
        let municipalities = self.municipalities(file).await?;
        let areas = self.police_areas(file, &municipalities).await?;
        let contacts = self.contacts(file, &municipalities).await?;
        let mut focus_areas: HashMap<String, i32> = HashMap::new();
        for seed in &file.promise {
            self.promise(seed, &municipalities, &areas, &contacts, &mut focus_areas)
                .await?;
        }
        self.routing_rules(file, &municipalities, &contacts, &focus_areas)
            .await
    }

    /// Save an active model that came from an existing row (update when changed) or a new
    /// one (insert), counting what happened.
    async fn save<A>(
        &mut self,
        am: A,
        existed: bool,
    ) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait
            + sea_orm::ActiveModelBehavior
            + Send
            + TryIntoModel<<A::Entity as EntityTrait>::Model>,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        if existed {
            if am.is_changed() {
                self.report.updated += 1;
                am.update(self.txn).await
            } else {
                am.try_into_model()
            }
        } else {
            self.report.created += 1;
            am.insert(self.txn).await
        }
    }

    async fn municipalities(&mut self, file: &SeedFile) -> Result<HashMap<String, i32>, DbErr> {
        let existing: HashMap<String, municipality::Model> = municipality::Entity::find()
            .all(self.txn)
            .await?
            .into_iter()
            .map(|m| (m.code.clone(), m))
            .collect();
        let mut ids = HashMap::new();
        for seed in &file.municipality {
            let code = seed.code.get_ref();
            let (mut am, existed) = match existing.get(code) {
                Some(m) => (m.clone().into_active_model(), true),
                None => (
                    municipality::ActiveModel {
                        id: NotSet,
                        code: Set(code.clone()),
                        ..Default::default()
                    },
                    false,
                ),
            };
            assign!(am.name = seed.name.get_ref().clone());
            assign!(am.official_name = seed.official_name.get_ref().clone());
            assign!(am.slug = seed.slug.get_ref().clone());
            assign!(am.county = seed.county.get_ref().clone());
            if let Some(days) = &seed.response_days {
                if existed && self.kept(taken_over::RESPONSE_TARGET, code) {
                    self.report.kept += 1;
                } else {
                    assign!(am.response_days = *days.get_ref());
                }
            }
            let saved = self.save(am, existed).await?;
            ids.insert(code.clone(), saved.id);
        }
        // Municipalities already in the database (for example added by staff) can still
        // be referenced by rules in the file.
        for (code, m) in existing {
            ids.entry(code).or_insert(m.id);
        }
        Ok(ids)
    }

    async fn police_areas(
        &mut self,
        file: &SeedFile,
        municipalities: &HashMap<String, i32>,
    ) -> Result<HashMap<String, i32>, DbErr> {
        let mut ids = HashMap::new();
        for seed in &file.police_area {
            let key = seed.key.get_ref();
            let (mut am, existed) = find_or_new!(self, police_area, key);
            assign!(am.name = seed.name.get_ref().clone());
            let area = self.save(am, existed).await?;
            ids.insert(key.clone(), area.id);
            self.sync_municipalities(
                police_area_municipality::Column::PoliceAreaId.eq(area.id),
                police_area_municipality::Column::MunicipalityId,
                &ids_of(&seed.municipalities, municipalities),
                |m| police_area_municipality::ActiveModel {
                    police_area_id: Set(area.id),
                    municipality_id: Set(m),
                },
            )
            .await?;
        }
        Ok(ids)
    }

    /// Make one owner's links to municipalities exactly `wanted`: the links `owner`
    /// selects that are missing are made with `link`, the ones not wanted are deleted.
    async fn sync_municipalities<A>(
        &mut self,
        owner: sea_orm::sea_query::SimpleExpr,
        municipality: <A::Entity as EntityTrait>::Column,
        wanted: &[i32],
        link: impl Fn(i32) -> A,
    ) -> Result<(), DbErr>
    where
        A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        use sea_orm::QuerySelect;
        let current: Vec<i32> = <A::Entity as EntityTrait>::find()
            .select_only()
            .column(municipality)
            .filter(owner.clone())
            .into_tuple()
            .all(self.txn)
            .await?;
        for &m in wanted.iter().filter(|m| !current.contains(m)) {
            self.insert(link(m)).await?;
        }
        let stale: Vec<i32> = current
            .into_iter()
            .filter(|m| !wanted.contains(m))
            .collect();
        if !stale.is_empty() {
            let res = <A::Entity as EntityTrait>::delete_many()
                .filter(owner)
                .filter(municipality.is_in(stale))
                .exec(self.txn)
                .await?;
            self.report.deleted += res.rows_affected as u32;
        }
        Ok(())
    }

    async fn insert<A>(&mut self, am: A) -> Result<(), DbErr>
    where
        A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        <A::Entity as EntityTrait>::insert(am)
            .exec_without_returning(self.txn)
            .await?;
        self.report.created += 1;
        Ok(())
    }

    async fn contacts(
        &mut self,
        file: &SeedFile,
        municipalities: &HashMap<String, i32>,
    ) -> Result<HashMap<String, i32>, DbErr> {
        let mut ids = HashMap::new();
        for seed in &file.contact {
            let key = seed.key.get_ref();
            if self.kept(taken_over::CONTACT, key) {
                self.report.kept += 1;
                continue;
            }
            let (mut am, existed) = find_or_new!(self, contact, key);
            assign!(am.name = seed.name.get_ref().clone());
            assign!(am.role = seed.role.get_ref().clone());
            assign!(am.organisation_kind = seed.organisation_kind);
            assign!(am.organisation = seed.organisation.get_ref().clone());
            assign!(am.phone = seed.phone.as_ref().map(|p| p.get_ref().clone()));
            assign!(am.email = seed.email.as_ref().map(|e| e.get_ref().clone()));
            assign!(am.email_is_placeholder = seed.email_is_placeholder);
            assign!(am.is_placeholder = seed.placeholder);
            let saved = self.save(am, existed).await?;
            ids.insert(key.clone(), saved.id);
            self.sync_municipalities(
                contact_municipality::Column::ContactId.eq(saved.id),
                contact_municipality::Column::MunicipalityId,
                &ids_of(&seed.municipalities, municipalities),
                |m| contact_municipality::ActiveModel {
                    contact_id: Set(saved.id),
                    municipality_id: Set(m),
                },
            )
            .await?;
        }
        let existing = contact::Entity::find().all(self.txn).await?;
        for c in existing {
            ids.entry(c.key).or_insert(c.id);
        }
        Ok(ids)
    }

    async fn promise(
        &mut self,
        seed: &PromiseSeed,
        municipalities: &HashMap<String, i32>,
        areas: &HashMap<String, i32>,
        contacts: &HashMap<String, i32>,
        focus_area_ids: &mut HashMap<String, i32>,
    ) -> Result<(), DbErr> {
        let key = seed.key.get_ref();
        let found = promise::Entity::find()
            .filter(promise::Column::Key.eq(key))
            .one(self.txn)
            .await?;
        if self.kept(taken_over::PROMISE, key) {
            self.report.kept += 1;
            // Routing rules may still name its focus areas, as staff left them.
            if let Some(p) = found {
                for fa in focus_area::Entity::find()
                    .filter(focus_area::Column::PromiseId.eq(p.id))
                    .all(self.txn)
                    .await?
                {
                    focus_area_ids.insert(format!("{key}/{}", fa.key), fa.id);
                }
            }
            return Ok(());
        }
        let existed = found.is_some();
        let now = Utc::now();
        let mut am = match found {
            Some(m) => m.into_active_model(),
            None => promise::ActiveModel {
                id: NotSet,
                key: Set(key.clone()),
                search_text: Set(String::new()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        };
        let date = |d: &toml::value::Datetime| {
            toml_date(d).ok_or_else(|| DbErr::Custom("unvalidated date".into()))
        };
        assign!(am.title = seed.title.get_ref().clone());
        assign!(am.police_area_id = seed.police_area.as_ref().map(|a| areas[a.get_ref()]));
        assign!(am.valid_from = date(seed.valid_from.get_ref())?);
        assign!(am.valid_to = date(seed.valid_to.get_ref())?);
        assign!(am.summary = seed.summary.get_ref().clone());
        assign!(am.situation = seed.situation.clone());
        assign!(am.goal = seed.goal.clone());
        assign!(am.follow_up = seed.follow_up.clone());
        assign!(am.renewal_note = seed.renewal_note.clone());
        assign!(
            am.signed_on = seed
                .signed_on
                .as_ref()
                .map(|d| date(d.get_ref()))
                .transpose()?
        );
        assign!(am.signed_place = seed.signed_place.clone());
        assign!(am.published = seed.published);
        if existed && am.is_changed() {
            am.updated_at = Set(now);
        }
        let promise = self.save(am, existed).await?;
        let before = self.report;

        self.promise_links(promise.id, seed, municipalities, contacts)
            .await?;
        self.promise_lists(promise.id, seed).await?;
        let mut wanted_keys = Vec::new();
        let existing_areas: HashMap<String, focus_area::Model> = focus_area::Entity::find()
            .filter(focus_area::Column::PromiseId.eq(promise.id))
            .all(self.txn)
            .await?
            .into_iter()
            .map(|fa| (fa.key.clone(), fa))
            .collect();
        for (position, fa) in seed.focus_area.iter().enumerate() {
            let fa_key = fa.key.get_ref();
            let (mut am, existed) = match existing_areas.get(fa_key) {
                Some(m) => (m.clone().into_active_model(), true),
                None => (
                    focus_area::ActiveModel {
                        id: NotSet,
                        promise_id: Set(promise.id),
                        key: Set(fa_key.clone()),
                        ..Default::default()
                    },
                    false,
                ),
            };
            assign!(am.position = position as i32);
            assign!(am.title = fa.title.get_ref().clone());
            assign!(am.description = fa.description.clone());
            // A contact staff deleted is left out rather than brought back.
            assign!(
                am.contact_id = fa
                    .contact
                    .as_ref()
                    .and_then(|c| contacts.get(c.get_ref()).copied())
            );
            let saved = self.save(am, existed).await?;
            focus_area_ids.insert(format!("{key}/{fa_key}"), saved.id);
            wanted_keys.push(fa_key.clone());
            self.commitments(promise.id, Some(saved.id), &fa.commitment, contacts)
                .await?;
        }
        let stale: Vec<i32> = existing_areas
            .values()
            .filter(|fa| !wanted_keys.contains(&fa.key))
            .map(|fa| fa.id)
            .collect();
        if !stale.is_empty() {
            let res = focus_area::Entity::delete_many()
                .filter(focus_area::Column::Id.is_in(stale))
                .exec(self.txn)
                .await?;
            self.report.deleted += res.rows_affected as u32;
        }
        self.commitments(promise.id, None, &seed.commitment, contacts)
            .await?;

        // A change to any part of the promise is a change to the promise; the search text
        // is rebuilt from what is now stored, exactly as staff edits rebuild it.
        let parts_changed = existed && self.report != before;
        let text = editing::search_text(self.txn, &promise).await?;
        if parts_changed || text != promise.search_text {
            let mut am = promise.into_active_model();
            if parts_changed {
                am.updated_at = Set(now);
            }
            am.search_text = Set(text);
            am.update(self.txn).await?;
        }
        Ok(())
    }

    async fn promise_links(
        &mut self,
        promise_id: i32,
        seed: &PromiseSeed,
        municipalities: &HashMap<String, i32>,
        contacts: &HashMap<String, i32>,
    ) -> Result<(), DbErr> {
        let wanted = ids_of(seed.municipalities.get_ref(), municipalities);
        sync_ordered_links!(
            self,
            promise_municipality,
            promise_id,
            &wanted,
            MunicipalityId,
            municipality_id
        );
        let wanted: Vec<i32> = seed
            .contacts
            .iter()
            .filter_map(|c| contacts.get(c.get_ref()).copied())
            .collect();
        sync_ordered_links!(
            self,
            promise_contact,
            promise_id,
            &wanted,
            ContactId,
            contact_id
        );
        Ok(())
    }

    /// Sources, sections and signatories: matched by position.
    async fn promise_lists(&mut self, promise_id: i32, seed: &PromiseSeed) -> Result<(), DbErr> {
        sync_by_position!(self, promise_source, promise_id, seed.source, |am, s| {
            assign!(am.title = s.title.get_ref().clone());
            assign!(am.publisher = s.publisher.clone().unwrap_or_default());
            assign!(am.url = s.url.as_ref().map(|u| u.get_ref().clone()));
            assign!(am.updated_on = s.updated_on.as_ref().and_then(|d| toml_date(d.get_ref())));
        });
        sync_by_position!(self, promise_section, promise_id, seed.section, |am, s| {
            assign!(am.heading = s.heading.get_ref().clone());
            assign!(am.body = s.body.get_ref().clone());
        });
        sync_by_position!(self, signatory, promise_id, seed.signatory, |am, s| {
            assign!(am.name = s.name.get_ref().clone());
            assign!(am.title = s.title.get_ref().clone());
            assign!(am.organisation = s.organisation.get_ref().clone());
        });
        Ok(())
    }

    async fn delete_extra<E: EntityTrait>(
        &mut self,
        delete: sea_orm::DeleteMany<E>,
    ) -> Result<(), DbErr> {
        let res = delete.exec(self.txn).await?;
        self.report.deleted += res.rows_affected as u32;
        Ok(())
    }

    /// Commitments of one focus area, or the promise's direct ones: matched by position.
    async fn commitments(
        &mut self,
        promise_id: i32,
        focus_area_id: Option<i32>,
        seeds: &[CommitmentSeed],
        contacts: &HashMap<String, i32>,
    ) -> Result<(), DbErr> {
        let parent = match focus_area_id {
            Some(id) => commitment::Column::FocusAreaId.eq(id),
            None => commitment::Column::FocusAreaId.is_null(),
        };
        let current = commitment::Entity::find()
            .filter(commitment::Column::PromiseId.eq(promise_id))
            .filter(parent)
            .order_by_asc(commitment::Column::Position)
            .all(self.txn)
            .await?;
        for (pos, seed) in seeds.iter().enumerate() {
            let (mut am, existed) = match current.get(pos) {
                Some(m) => (m.clone().into_active_model(), true),
                None => (
                    commitment::ActiveModel {
                        id: NotSet,
                        promise_id: Set(promise_id),
                        focus_area_id: Set(focus_area_id),
                        ..Default::default()
                    },
                    false,
                ),
            };
            let target = seed.target.as_ref().map(|t| t.get_ref());
            assign!(am.position = pos as i32);
            assign!(am.text = seed.text.get_ref().clone());
            assign!(am.responsible = seed.responsible);
            assign!(am.status = seed.status);
            assign!(am.target_quantity = target.map(|t| t.quantity));
            assign!(am.target_unit = target.map(|t| t.unit.clone()));
            assign!(am.target_period = target.map(|t| t.period));
            assign!(
                am.contact_id = seed
                    .contact
                    .as_ref()
                    .and_then(|c| contacts.get(c.get_ref()).copied())
            );
            self.save(am, existed).await?;
        }
        self.delete_extra(
            commitment::Entity::delete_many().filter(
                commitment::Column::Id.is_in(current.iter().skip(seeds.len()).map(|m| m.id)),
            ),
        )
        .await
    }

    /// Routing rules of the municipalities the file mentions are replaced by the file's.
    async fn routing_rules(
        &mut self,
        file: &SeedFile,
        municipalities: &HashMap<String, i32>,
        contacts: &HashMap<String, i32>,
        focus_areas: &HashMap<String, i32>,
    ) -> Result<(), DbErr> {
        // Municipalities whose rules staff manage keep them; a rule naming a focus area or
        // contact that staff deleted is left out.
        let mut wanted: Vec<(i32, Option<i32>, i32)> = Vec::new();
        for r in &file.routing_rule {
            if self.kept(taken_over::ROUTING, r.municipality.get_ref()) {
                continue;
            }
            let focus_area = match &r.focus_area {
                Some(f) => match focus_areas.get(f.get_ref()) {
                    Some(id) => Some(*id),
                    None => continue,
                },
                None => None,
            };
            let Some(&contact) = contacts.get(r.contact.get_ref()) else {
                continue;
            };
            wanted.push((
                municipalities[r.municipality.get_ref()],
                focus_area,
                contact,
            ));
        }
        let mut scope: Vec<i32> = wanted.iter().map(|w| w.0).collect();
        scope.sort_unstable();
        scope.dedup();
        let current = routing_rule::Entity::find()
            .filter(routing_rule::Column::MunicipalityId.is_in(scope))
            .all(self.txn)
            .await?;
        let key = |r: &routing_rule::Model| (r.municipality_id, r.focus_area_id, r.contact_id);
        let stale: Vec<i32> = current
            .iter()
            .filter(|r| !wanted.contains(&key(r)))
            .map(|r| r.id)
            .collect();
        self.delete_extra(
            routing_rule::Entity::delete_many().filter(routing_rule::Column::Id.is_in(stale)),
        )
        .await?;
        for &(municipality_id, focus_area_id, contact_id) in &wanted {
            if !current
                .iter()
                .any(|r| key(r) == (municipality_id, focus_area_id, contact_id))
            {
                self.insert(routing_rule::ActiveModel {
                    id: NotSet,
                    municipality_id: Set(municipality_id),
                    focus_area_id: Set(focus_area_id),
                    contact_id: Set(contact_id),
                })
                .await?;
            }
        }
        Ok(())
    }
}

/// True when the catalogue has no municipalities yet (a fresh database).
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(municipality::Entity::find().one(db).await?.is_none())
}
