//! The importer: writes a validated seed file into the database in one transaction.
//!
//! It is idempotent: rows are matched on natural keys (kommunkod, `key`, a focus area's
//! key within its promise, a list item's position), updated only where a value differs,
//! and created or removed as the file says. Ids therefore stay stable, and running the
//! same file twice changes nothing. Promises and contacts that are not in the file are
//! left alone (they may have been created by staff).

use std::collections::HashMap;

use chrono::Utc;
use entity::{
    commitment, contact, contact_municipality, focus_area, municipality, police_area,
    police_area_municipality, promise, promise_contact, promise_municipality, promise_section,
    promise_source, routing_rule, signatory,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait, TryIntoModel,
};

use super::file::{CommitmentSeed, PromiseSeed, SeedFile, toml_date};
use crate::domain::search;

/// What an import changed, by row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u32,
    pub updated: u32,
    pub deleted: u32,
}

impl ImportReport {
    pub fn is_unchanged(&self) -> bool {
        *self == Self::default()
    }
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} deleted",
            self.created, self.updated, self.deleted
        )
    }
}

/// Import a validated file in one transaction: all of it, or nothing.
pub async fn import(db: &DatabaseConnection, file: &SeedFile) -> Result<ImportReport, DbErr> {
    let txn = db.begin().await?;
    let mut importer = Importer {
        txn: &txn,
        report: ImportReport::default(),
    };
    importer.run(file).await?;
    let report = importer.report;
    txn.commit().await?;
    Ok(report)
}

struct Importer<'a> {
    txn: &'a DatabaseTransaction,
    report: ImportReport,
}

/// Assign only when the value differs, so unchanged rows stay unchanged.
macro_rules! assign {
    ($am:ident . $field:ident = $value:expr) => {
        $am.$field.set_if_not_equals($value)
    };
}

impl Importer<'_> {
    async fn run(&mut self, file: &SeedFile) -> Result<(), DbErr> {
        let municipalities = self.municipalities(file).await?;
        let areas = self.police_areas(file, &municipalities).await?;
        let contacts = self.contacts(file, &municipalities).await?;
        let mut focus_areas: HashMap<String, i32> = HashMap::new();
        let names: HashMap<&str, &str> = file
            .municipality
            .iter()
            .map(|m| (m.code.get_ref().as_str(), m.name.get_ref().as_str()))
            .collect();
        for seed in &file.promise {
            self.promise(
                seed,
                &municipalities,
                &names,
                &areas,
                &contacts,
                &mut focus_areas,
            )
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
            assign!(am.slug = seed.slug.get_ref().clone());
            assign!(am.county = seed.county.get_ref().clone());
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
            let found = police_area::Entity::find()
                .filter(police_area::Column::Key.eq(key))
                .one(self.txn)
                .await?;
            let existed = found.is_some();
            let mut am = match found {
                Some(m) => m.into_active_model(),
                None => police_area::ActiveModel {
                    id: NotSet,
                    key: Set(key.clone()),
                    ..Default::default()
                },
            };
            assign!(am.name = seed.name.get_ref().clone());
            let area = self.save(am, existed).await?;
            ids.insert(key.clone(), area.id);
            let wanted: Vec<i32> = seed
                .municipalities
                .iter()
                .map(|c| municipalities[c.get_ref()])
                .collect();
            let current: Vec<i32> = police_area_municipality::Entity::find()
                .filter(police_area_municipality::Column::PoliceAreaId.eq(area.id))
                .all(self.txn)
                .await?
                .into_iter()
                .map(|r| r.municipality_id)
                .collect();
            for &m in wanted.iter().filter(|m| !current.contains(m)) {
                self.insert(police_area_municipality::ActiveModel {
                    police_area_id: Set(area.id),
                    municipality_id: Set(m),
                })
                .await?;
            }
            let stale: Vec<i32> = current
                .into_iter()
                .filter(|m| !wanted.contains(m))
                .collect();
            if !stale.is_empty() {
                let res = police_area_municipality::Entity::delete_many()
                    .filter(police_area_municipality::Column::PoliceAreaId.eq(area.id))
                    .filter(police_area_municipality::Column::MunicipalityId.is_in(stale))
                    .exec(self.txn)
                    .await?;
                self.report.deleted += res.rows_affected as u32;
            }
        }
        Ok(ids)
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
            let found = contact::Entity::find()
                .filter(contact::Column::Key.eq(key))
                .one(self.txn)
                .await?;
            let existed = found.is_some();
            let mut am = match found {
                Some(m) => m.into_active_model(),
                None => contact::ActiveModel {
                    id: NotSet,
                    key: Set(key.clone()),
                    ..Default::default()
                },
            };
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

            let wanted: Vec<i32> = seed
                .municipalities
                .iter()
                .map(|c| municipalities[c.get_ref()])
                .collect();
            let current: Vec<i32> = contact_municipality::Entity::find()
                .filter(contact_municipality::Column::ContactId.eq(saved.id))
                .all(self.txn)
                .await?
                .into_iter()
                .map(|r| r.municipality_id)
                .collect();
            for &m in wanted.iter().filter(|m| !current.contains(m)) {
                self.insert(contact_municipality::ActiveModel {
                    contact_id: Set(saved.id),
                    municipality_id: Set(m),
                })
                .await?;
            }
            let stale: Vec<i32> = current
                .into_iter()
                .filter(|m| !wanted.contains(m))
                .collect();
            if !stale.is_empty() {
                let res = contact_municipality::Entity::delete_many()
                    .filter(contact_municipality::Column::ContactId.eq(saved.id))
                    .filter(contact_municipality::Column::MunicipalityId.is_in(stale))
                    .exec(self.txn)
                    .await?;
                self.report.deleted += res.rows_affected as u32;
            }
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
        names: &HashMap<&str, &str>,
        areas: &HashMap<String, i32>,
        contacts: &HashMap<String, i32>,
        focus_area_ids: &mut HashMap<String, i32>,
    ) -> Result<(), DbErr> {
        let key = seed.key.get_ref();
        let found = promise::Entity::find()
            .filter(promise::Column::Key.eq(key))
            .one(self.txn)
            .await?;
        let existed = found.is_some();
        let now = Utc::now();
        let mut am = match found {
            Some(m) => m.into_active_model(),
            None => promise::ActiveModel {
                id: NotSet,
                key: Set(key.clone()),
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
        assign!(am.search_text = search_document(seed, names));
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
            assign!(am.contact_id = fa.contact.as_ref().map(|c| contacts[c.get_ref()]));
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

        // A change to any part of the promise is a change to the promise.
        if existed && self.report != before {
            let mut am = promise.into_active_model();
            am.updated_at = Set(now);
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
        let wanted: Vec<i32> = seed
            .municipalities
            .get_ref()
            .iter()
            .map(|c| municipalities[c.get_ref()])
            .collect();
        let current = promise_municipality::Entity::find()
            .filter(promise_municipality::Column::PromiseId.eq(promise_id))
            .all(self.txn)
            .await?;
        for row in &current {
            match wanted.iter().position(|&m| m == row.municipality_id) {
                Some(pos) => {
                    let mut am = row.clone().into_active_model();
                    assign!(am.position = pos as i32);
                    self.save(am, true).await?;
                }
                None => {
                    promise_municipality::Entity::delete_many()
                        .filter(promise_municipality::Column::PromiseId.eq(promise_id))
                        .filter(
                            promise_municipality::Column::MunicipalityId.eq(row.municipality_id),
                        )
                        .exec(self.txn)
                        .await?;
                    self.report.deleted += 1;
                }
            }
        }
        for (pos, &m) in wanted.iter().enumerate() {
            if !current.iter().any(|r| r.municipality_id == m) {
                self.insert(promise_municipality::ActiveModel {
                    promise_id: Set(promise_id),
                    municipality_id: Set(m),
                    position: Set(pos as i32),
                })
                .await?;
            }
        }

        let wanted: Vec<i32> = seed
            .contacts
            .iter()
            .map(|c| contacts[c.get_ref()])
            .collect();
        let current = promise_contact::Entity::find()
            .filter(promise_contact::Column::PromiseId.eq(promise_id))
            .all(self.txn)
            .await?;
        for row in &current {
            match wanted.iter().position(|&c| c == row.contact_id) {
                Some(pos) => {
                    let mut am = row.clone().into_active_model();
                    assign!(am.position = pos as i32);
                    self.save(am, true).await?;
                }
                None => {
                    promise_contact::Entity::delete_many()
                        .filter(promise_contact::Column::PromiseId.eq(promise_id))
                        .filter(promise_contact::Column::ContactId.eq(row.contact_id))
                        .exec(self.txn)
                        .await?;
                    self.report.deleted += 1;
                }
            }
        }
        for (pos, &c) in wanted.iter().enumerate() {
            if !current.iter().any(|r| r.contact_id == c) {
                self.insert(promise_contact::ActiveModel {
                    promise_id: Set(promise_id),
                    contact_id: Set(c),
                    position: Set(pos as i32),
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Sources, sections and signatories: matched by position.
    async fn promise_lists(&mut self, promise_id: i32, seed: &PromiseSeed) -> Result<(), DbErr> {
        let current = promise_source::Entity::find()
            .filter(promise_source::Column::PromiseId.eq(promise_id))
            .order_by_asc(promise_source::Column::Position)
            .all(self.txn)
            .await?;
        for (pos, s) in seed.source.iter().enumerate() {
            let (mut am, existed) = match current.get(pos) {
                Some(m) => (m.clone().into_active_model(), true),
                None => (
                    promise_source::ActiveModel {
                        id: NotSet,
                        promise_id: Set(promise_id),
                        ..Default::default()
                    },
                    false,
                ),
            };
            assign!(am.position = pos as i32);
            assign!(am.title = s.title.get_ref().clone());
            assign!(am.publisher = s.publisher.clone().unwrap_or_default());
            assign!(am.url = s.url.as_ref().map(|u| u.get_ref().clone()));
            assign!(am.updated_on = s.updated_on.as_ref().and_then(|d| toml_date(d.get_ref())));
            self.save(am, existed).await?;
        }
        self.delete_extra(promise_source::Entity::delete_many().filter(
            promise_source::Column::Id.is_in(current.iter().skip(seed.source.len()).map(|m| m.id)),
        ))
        .await?;

        let current = promise_section::Entity::find()
            .filter(promise_section::Column::PromiseId.eq(promise_id))
            .order_by_asc(promise_section::Column::Position)
            .all(self.txn)
            .await?;
        for (pos, s) in seed.section.iter().enumerate() {
            let (mut am, existed) = match current.get(pos) {
                Some(m) => (m.clone().into_active_model(), true),
                None => (
                    promise_section::ActiveModel {
                        id: NotSet,
                        promise_id: Set(promise_id),
                        ..Default::default()
                    },
                    false,
                ),
            };
            assign!(am.position = pos as i32);
            assign!(am.heading = s.heading.get_ref().clone());
            assign!(am.body = s.body.get_ref().clone());
            self.save(am, existed).await?;
        }
        self.delete_extra(
            promise_section::Entity::delete_many().filter(
                promise_section::Column::Id
                    .is_in(current.iter().skip(seed.section.len()).map(|m| m.id)),
            ),
        )
        .await?;

        let current = signatory::Entity::find()
            .filter(signatory::Column::PromiseId.eq(promise_id))
            .order_by_asc(signatory::Column::Position)
            .all(self.txn)
            .await?;
        for (pos, s) in seed.signatory.iter().enumerate() {
            let (mut am, existed) = match current.get(pos) {
                Some(m) => (m.clone().into_active_model(), true),
                None => (
                    signatory::ActiveModel {
                        id: NotSet,
                        promise_id: Set(promise_id),
                        ..Default::default()
                    },
                    false,
                ),
            };
            assign!(am.position = pos as i32);
            assign!(am.name = s.name.get_ref().clone());
            assign!(am.title = s.title.get_ref().clone());
            assign!(am.organisation = s.organisation.get_ref().clone());
            self.save(am, existed).await?;
        }
        self.delete_extra(signatory::Entity::delete_many().filter(
            signatory::Column::Id.is_in(current.iter().skip(seed.signatory.len()).map(|m| m.id)),
        ))
        .await
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
            assign!(am.contact_id = seed.contact.as_ref().map(|c| contacts[c.get_ref()]));
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
        let wanted: Vec<(i32, Option<i32>, i32)> = file
            .routing_rule
            .iter()
            .map(|r| {
                (
                    municipalities[r.municipality.get_ref()],
                    r.focus_area.as_ref().map(|f| focus_areas[f.get_ref()]),
                    contacts[r.contact.get_ref()],
                )
            })
            .collect();
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

/// The folded text that `promises(filter: {search})` matches against.
/// Municipality names are included so "åsele" finds the promise made in Åsele.
fn search_document(seed: &PromiseSeed, names: &HashMap<&str, &str>) -> String {
    let mut parts: Vec<&str> = vec![seed.title.get_ref(), seed.summary.get_ref()];
    parts.extend(
        seed.municipalities
            .get_ref()
            .iter()
            .filter_map(|c| names.get(c.get_ref().as_str()).copied()),
    );
    parts.extend(
        [
            &seed.situation,
            &seed.goal,
            &seed.follow_up,
            &seed.renewal_note,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str),
    );
    for fa in &seed.focus_area {
        parts.push(fa.title.get_ref());
        parts.extend(fa.description.as_deref());
        parts.extend(fa.commitment.iter().map(|c| c.text.get_ref().as_str()));
    }
    parts.extend(seed.commitment.iter().map(|c| c.text.get_ref().as_str()));
    parts.extend(
        seed.section
            .iter()
            .flat_map(|s| [s.heading.get_ref().as_str(), s.body.get_ref().as_str()]),
    );
    search::document(parts)
}

/// True when the catalogue has no municipalities yet (a fresh database).
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(municipality::Entity::find().one(db).await?.is_none())
}
