//! The published catalogue in memory: one immutable [`Snapshot`] per catalogue version,
//! which the public resolvers, the resident pages and the export read instead of SQL.
//!
//! The catalogue is small (the national set is 290 municipalities and about 6,000
//! commitments) and changes rarely, so every public read is answered from maps built
//! once per version. [`SnapshotStore`] holds the current snapshot in an `ArcSwap`:
//! readers take an `Arc` without waiting, and a rebuild (after the catalogue version
//! moved: a poll, or a staff write on this replica) swaps in the new value when it is
//! complete. A build that fails keeps the old snapshot. Staff reads and drafts never
//! come here: they read the database.
//!
//! Every list keeps the order the SQL loaders give (see `graphql::loaders`), so an answer
//! from the snapshot is byte for byte the answer the database would give.
//!
//! Over 600 lines: the build that fills every map, one reader per map (the public
//! queries and one per loader relation) and the store that swaps snapshots; a map and
//! its readers must agree on order and visibility, so they stay side by side.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use arc_swap::ArcSwapOption;
use entity::{
    commitment, contact, contact_municipality, focus_area, follow_up, municipality, police_area,
    police_area_municipality, promise, promise_contact, promise_municipality, promise_section,
    promise_source, signatory,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::catalog::{Kind, PromiseQuery, Visible};
use super::catalog_version::CatalogVersion;
use crate::domain::{collation, period, search};

/// Everything progress needs for one promise: its length in calendar years, its
/// commitments (position order) and the achieved quantity of each commitment.
#[derive(Clone, Debug, Default)]
pub struct PromiseProgress {
    pub calendar_years: u32,
    pub commitments: Vec<commitment::Model>,
    /// Sum of achieved quantities by commitment id.
    pub achieved: HashMap<i32, i64>,
}

/// One municipality with its search document, in the list order.
#[derive(Debug)]
struct MunicipalityEntry {
    model: municipality::Model,
    document: String,
}

/// The public catalogue of one catalogue version, with every index the API needs.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Municipalities in Swedish alphabetical order (then code).
    municipalities: Vec<MunicipalityEntry>,
    municipality_by_id: HashMap<i32, usize>,
    municipality_by_code: HashMap<String, usize>,
    municipality_by_slug: HashMap<String, usize>,
    /// Police areas in Swedish alphabetical order (then id).
    police_areas: Vec<police_area::Model>,
    police_area_by_id: HashMap<i32, usize>,
    /// Published promises, newest period first (then id).
    promises: Vec<Arc<promise::Model>>,
    promise_by_id: HashMap<i32, usize>,
    /// Municipality ids each published promise is made in.
    promise_municipality_ids: HashMap<i32, Vec<i32>>,
    municipalities_of_promise: HashMap<i32, Vec<municipality::Model>>,
    promises_of_municipality: HashMap<i32, Vec<promise::Model>>,
    municipalities_of_police_area: HashMap<i32, Vec<municipality::Model>>,
    police_areas_of_municipality: HashMap<i32, Vec<police_area::Model>>,
    focus_areas_of_promise: HashMap<i32, Vec<focus_area::Model>>,
    focus_area_by_id: HashMap<i32, focus_area::Model>,
    sources_of_promise: HashMap<i32, Vec<promise_source::Model>>,
    sections_of_promise: HashMap<i32, Vec<promise_section::Model>>,
    signatories_of_promise: HashMap<i32, Vec<signatory::Model>>,
    signatory_by_id: HashMap<i32, signatory::Model>,
    commitments_of_focus_area: HashMap<i32, Vec<commitment::Model>>,
    commitment_by_id: HashMap<i32, commitment::Model>,
    follow_ups_of_commitment: HashMap<i32, Vec<follow_up::Model>>,
    follow_up_by_id: HashMap<i32, follow_up::Model>,
    contacts_of_promise: HashMap<i32, Vec<contact::Model>>,
    contacts_of_municipality: HashMap<i32, Vec<contact::Model>>,
    contact_by_id: HashMap<i32, contact::Model>,
    progress: HashMap<i32, Arc<PromiseProgress>>,
    /// Parties with at least one commitment, per published promise.
    responsible_of_promise: HashMap<i32, Vec<entity::ResponsibleParty>>,
    /// Bytes of text held, roughly (for the memory figure in the benchmarks).
    text_bytes: usize,
}

fn group<K: std::hash::Hash + Eq, M>(rows: Vec<M>, key: impl Fn(&M) -> K) -> HashMap<K, Vec<M>> {
    let mut map: HashMap<K, Vec<M>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

/// The published children of a promise table, ordered by position then id.
macro_rules! children {
    ($db:expr, $entity:ident, $published:expr) => {
        $entity::Entity::find()
            .order_by_asc($entity::Column::Position)
            .order_by_asc($entity::Column::Id)
            .all($db)
            .await?
            .into_iter()
            .filter(|r| $published.contains_key(&r.promise_id))
            .collect::<Vec<_>>()
    };
}

fn opt_len(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::len)
}

impl Snapshot {
    /// Read the whole public catalogue (a few statements, one per table) and index it.
    pub async fn build(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let mut s = Snapshot::default();

        // Municipalities, in list order.
        let mut municipalities = municipality::Entity::find().all(db).await?;
        municipalities
            .sort_by(|a, b| collation::compare(&a.name, &b.name).then(a.code.cmp(&b.code)));
        for (i, m) in municipalities.into_iter().enumerate() {
            s.municipality_by_id.insert(m.id, i);
            s.municipality_by_code.insert(m.code.clone(), i);
            s.municipality_by_slug.insert(m.slug.clone(), i);
            s.text_bytes += m.name.len() * 3 + m.slug.len() + m.county.len() * 2;
            s.municipalities.push(MunicipalityEntry {
                document: search::document([m.name.as_str(), &m.slug, &m.code, &m.county]),
                model: m,
            });
        }
        let municipality = |id: i32, s: &Snapshot| {
            s.municipality_by_id
                .get(&id)
                .map(|&i| s.municipalities[i].model.clone())
        };

        // Police areas and the municipalities they cover.
        let mut areas = police_area::Entity::find().all(db).await?;
        areas.sort_by(|a, b| collation::compare(&a.name, &b.name).then(a.id.cmp(&b.id)));
        for (i, a) in areas.iter().enumerate() {
            s.police_area_by_id.insert(a.id, i);
        }
        s.police_areas = areas;
        let links = police_area_municipality::Entity::find().all(db).await?;
        for link in &links {
            if let Some(m) = municipality(link.municipality_id, &s) {
                s.municipalities_of_police_area
                    .entry(link.police_area_id)
                    .or_default()
                    .push(m);
            }
            if let Some(&i) = s.police_area_by_id.get(&link.police_area_id) {
                let area = s.police_areas[i].clone();
                s.police_areas_of_municipality
                    .entry(link.municipality_id)
                    .or_default()
                    .push(area);
            }
        }
        for list in s.municipalities_of_police_area.values_mut() {
            list.sort_by(|a, b| collation::compare(&a.name, &b.name));
        }

        // Published promises, newest period first.
        let promises = promise::Entity::find()
            .filter(promise::Column::Published.eq(true))
            .order_by_desc(promise::Column::ValidFrom)
            .order_by_asc(promise::Column::Id)
            .all(db)
            .await?;
        for (i, p) in promises.iter().enumerate() {
            s.promise_by_id.insert(p.id, i);
            s.text_bytes += p.title.len()
                + p.summary.len()
                + p.search_text.len()
                + opt_len(&p.situation)
                + opt_len(&p.goal)
                + opt_len(&p.follow_up)
                + opt_len(&p.renewal_note);
        }
        s.promises = promises.into_iter().map(Arc::new).collect();
        let published: HashMap<i32, ()> = s.promise_by_id.keys().map(|&id| (id, ())).collect();

        let mut links = promise_municipality::Entity::find()
            .order_by_asc(promise_municipality::Column::Position)
            .all(db)
            .await?;
        links.retain(|l| published.contains_key(&l.promise_id));
        for link in &links {
            s.promise_municipality_ids
                .entry(link.promise_id)
                .or_default()
                .push(link.municipality_id);
            if let Some(m) = municipality(link.municipality_id, &s) {
                s.municipalities_of_promise
                    .entry(link.promise_id)
                    .or_default()
                    .push(m);
            }
        }
        // Each municipality's promises in the promise list's order.
        for p in &s.promises {
            for &m in s.promise_municipality_ids.get(&p.id).into_iter().flatten() {
                s.promises_of_municipality
                    .entry(m)
                    .or_default()
                    .push(promise::Model::clone(p));
            }
        }

        // Parts of published promises.
        let focus_areas = children!(db, focus_area, published);
        for fa in &focus_areas {
            s.text_bytes += fa.title.len() + opt_len(&fa.description);
            s.focus_area_by_id.insert(fa.id, fa.clone());
        }
        s.focus_areas_of_promise = group(focus_areas, |r| r.promise_id);
        s.sources_of_promise = group(children!(db, promise_source, published), |r| r.promise_id);
        s.sections_of_promise = group(children!(db, promise_section, published), |r| r.promise_id);
        for list in s.sections_of_promise.values() {
            s.text_bytes += list.iter().map(|r| r.body.len()).sum::<usize>();
        }
        let signatories = children!(db, signatory, published);
        for sig in &signatories {
            s.signatory_by_id.insert(sig.id, sig.clone());
        }
        s.signatories_of_promise = group(signatories, |r| r.promise_id);
        let commitments = children!(db, commitment, published);
        let follow_ups: Vec<follow_up::Model> = follow_up::Entity::find()
            .order_by_asc(follow_up::Column::Date)
            .order_by_asc(follow_up::Column::Id)
            .all(db)
            .await?;
        let mut achieved: HashMap<i32, i64> = HashMap::new();
        for c in &commitments {
            s.text_bytes += c.text.len();
            s.commitment_by_id.insert(c.id, c.clone());
            if let Some(fa) = c.focus_area_id {
                s.commitments_of_focus_area
                    .entry(fa)
                    .or_default()
                    .push(c.clone());
            }
            let parties = s.responsible_of_promise.entry(c.promise_id).or_default();
            if !parties.contains(&c.responsible) {
                parties.push(c.responsible);
            }
        }
        for f in follow_ups {
            if !s.commitment_by_id.contains_key(&f.commitment_id) {
                continue;
            }
            *achieved.entry(f.commitment_id).or_default() +=
                i64::from(f.achieved_quantity.unwrap_or(0));
            s.text_bytes += f.text.len();
            s.follow_up_by_id.insert(f.id, f.clone());
            s.follow_ups_of_commitment
                .entry(f.commitment_id)
                .or_default()
                .push(f);
        }
        let mut by_promise = group(commitments, |c| c.promise_id);
        for p in &s.promises {
            let commitments = by_promise.remove(&p.id).unwrap_or_default();
            let achieved = commitments
                .iter()
                .filter_map(|c| achieved.get(&c.id).map(|&a| (c.id, a)))
                .collect();
            s.progress.insert(
                p.id,
                Arc::new(PromiseProgress {
                    calendar_years: period::calendar_years(p.valid_from, p.valid_to),
                    commitments,
                    achieved,
                }),
            );
        }

        // Contacts: every contact is public (its email never leaves the server).
        for c in contact::Entity::find().all(db).await? {
            s.text_bytes += c.name.len() + c.role.len() + c.organisation.len();
            s.contact_by_id.insert(c.id, c);
        }
        for link in promise_contact::Entity::find()
            .order_by_asc(promise_contact::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .filter(|l| published.contains_key(&l.promise_id))
        {
            if let Some(c) = s.contact_by_id.get(&link.contact_id) {
                s.contacts_of_promise
                    .entry(link.promise_id)
                    .or_default()
                    .push(c.clone());
            }
        }
        for link in contact_municipality::Entity::find().all(db).await? {
            if let Some(c) = s.contact_by_id.get(&link.contact_id) {
                s.contacts_of_municipality
                    .entry(link.municipality_id)
                    .or_default()
                    .push(c.clone());
            }
        }
        for list in s.contacts_of_municipality.values_mut() {
            list.sort_by_key(|c| (c.is_placeholder, c.id));
        }
        Ok(s)
    }

    /// Rows held: municipalities, police areas, promises and their parts, contacts.
    pub fn rows(&self) -> usize {
        self.municipalities.len()
            + self.police_areas.len()
            + self.promises.len()
            + self.focus_area_by_id.len()
            + self.commitment_by_id.len()
            + self.follow_up_by_id.len()
            + self.signatory_by_id.len()
            + self.contact_by_id.len()
            + self
                .sources_of_promise
                .values()
                .map(Vec::len)
                .sum::<usize>()
            + self
                .sections_of_promise
                .values()
                .map(Vec::len)
                .sum::<usize>()
    }

    /// Rough bytes of text held (each row is stored in one to three indexes).
    pub fn text_bytes(&self) -> usize {
        self.text_bytes
    }

    /// Every municipality matching `terms` (already folded and stemmed), in list order.
    pub fn municipalities(&self, terms: &[String]) -> Vec<municipality::Model> {
        self.municipalities
            .iter()
            .filter(|m| terms.is_empty() || search::matches(&m.document, terms))
            .map(|m| m.model.clone())
            .collect()
    }

    /// Ids of the municipalities in a county, as [`super::catalog::municipalities_in_county`].
    pub fn municipalities_in_county(&self, county: &str) -> Vec<i32> {
        let wanted = county.trim().to_lowercase();
        let mut ids: Vec<i32> = self
            .municipalities
            .iter()
            .filter(|m| m.model.county.to_lowercase() == wanted)
            .map(|m| m.model.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    pub fn police_areas(&self) -> Vec<police_area::Model> {
        self.police_areas.clone()
    }

    pub fn police_area(&self, id: i32) -> Option<police_area::Model> {
        self.police_area_by_id
            .get(&id)
            .map(|&i| self.police_areas[i].clone())
    }

    /// A municipality by kommunkod or slug, as [`super::catalog::municipality_by_code_or_slug`].
    pub fn municipality_by_code_or_slug(&self, code_or_slug: &str) -> Option<municipality::Model> {
        let value = code_or_slug.trim();
        let index = if value.bytes().all(|b| b.is_ascii_digit()) {
            &self.municipality_by_code
        } else {
            &self.municipality_by_slug
        };
        index
            .get(&value.to_lowercase())
            .map(|&i| self.municipalities[i].model.clone())
    }

    pub fn municipality(&self, id: i32) -> Option<municipality::Model> {
        self.municipality_by_id
            .get(&id)
            .map(|&i| self.municipalities[i].model.clone())
    }

    pub fn published_promise(&self, id: i32) -> Option<promise::Model> {
        self.promise_by_id
            .get(&id)
            .map(|&i| promise::Model::clone(&self.promises[i]))
    }

    fn promise_matches(&self, p: &promise::Model, q: &PromiseQuery) -> bool {
        let made_in = || {
            self.promise_municipality_ids
                .get(&p.id)
                .into_iter()
                .flatten()
        };
        if let Some(m) = q.municipality_id
            && !made_in().any(|&id| id == m)
        {
            return false;
        }
        if let Some(ids) = &q.municipality_ids
            && !made_in().any(|id| ids.contains(id))
        {
            return false;
        }
        if let Some(area) = q.police_area_id {
            let covered = self.municipalities_of_police_area.get(&area);
            let in_covered =
                || made_in().any(|id| covered.is_some_and(|list| list.iter().any(|m| m.id == *id)));
            if p.police_area_id != Some(area) && !in_covered() {
                return false;
            }
        }
        if let Some(day) = q.active_on
            && !(p.valid_from <= day && p.valid_to >= day)
        {
            return false;
        }
        if let Some((first, last)) = q.year
            && !(p.valid_from <= last && p.valid_to >= first)
        {
            return false;
        }
        if let (Some(status), Some(today)) = (q.status, q.today)
            && period::status(p.valid_from, p.valid_to, today) != status
        {
            return false;
        }
        if let Some(party) = q.responsible
            && !self
                .responsible_of_promise
                .get(&p.id)
                .is_some_and(|parties| parties.contains(&party))
        {
            return false;
        }
        search::matches(&p.search_text, &q.search_terms)
    }

    /// One page of published promises matching `q`, newest period first, and the total,
    /// as [`super::catalog::promises`].
    pub fn promises(
        &self,
        q: &PromiseQuery,
        offset: u64,
        limit: u64,
    ) -> (Vec<Arc<promise::Model>>, u64) {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut total = 0u64;
        let mut items = Vec::new();
        for p in self.promises.iter().filter(|p| self.promise_matches(p, q)) {
            let index = usize::try_from(total).unwrap_or(usize::MAX);
            if index >= offset && items.len() < limit {
                items.push(p.clone());
            }
            total += 1;
        }
        (items, total)
    }

    /// A row by kind and id if the public may see it, as [`super::catalog::visible`].
    pub fn visible(&self, kind: Kind, id: i32) -> Option<Visible> {
        match kind {
            Kind::Municipality => self.municipality(id).map(Visible::Municipality),
            Kind::PoliceArea => self.police_area(id).map(Visible::PoliceArea),
            Kind::Contact => self.contact(id).map(Visible::Contact),
            Kind::Promise => self.published_promise(id).map(Visible::Promise),
            Kind::FocusArea => self.focus_area(id).map(Visible::FocusArea),
            Kind::Commitment => self
                .commitment_by_id
                .get(&id)
                .cloned()
                .map(Visible::Commitment),
            Kind::FollowUp => self
                .follow_up_by_id
                .get(&id)
                .cloned()
                .map(Visible::FollowUp),
            Kind::Signatory => self
                .signatory_by_id
                .get(&id)
                .cloned()
                .map(Visible::Signatory),
        }
    }

    pub fn contact(&self, id: i32) -> Option<contact::Model> {
        self.contact_by_id.get(&id).cloned()
    }

    pub fn focus_area(&self, id: i32) -> Option<focus_area::Model> {
        self.focus_area_by_id.get(&id).cloned()
    }

    pub fn progress(&self, promise_id: i32) -> Option<Arc<PromiseProgress>> {
        self.progress.get(&promise_id).cloned()
    }

    pub fn municipalities_of_promise(&self, promise_id: i32) -> Vec<municipality::Model> {
        cloned(self.municipalities_of_promise.get(&promise_id))
    }
    pub fn promises_of_municipality(&self, municipality_id: i32) -> Vec<promise::Model> {
        cloned(self.promises_of_municipality.get(&municipality_id))
    }
    pub fn municipalities_of_police_area(&self, area_id: i32) -> Vec<municipality::Model> {
        cloned(self.municipalities_of_police_area.get(&area_id))
    }
    pub fn police_areas_of_municipality(&self, municipality_id: i32) -> Vec<police_area::Model> {
        cloned(self.police_areas_of_municipality.get(&municipality_id))
    }
    pub fn focus_areas_of_promise(&self, promise_id: i32) -> Vec<focus_area::Model> {
        cloned(self.focus_areas_of_promise.get(&promise_id))
    }
    pub fn sources_of_promise(&self, promise_id: i32) -> Vec<promise_source::Model> {
        cloned(self.sources_of_promise.get(&promise_id))
    }
    pub fn sections_of_promise(&self, promise_id: i32) -> Vec<promise_section::Model> {
        cloned(self.sections_of_promise.get(&promise_id))
    }
    pub fn signatories_of_promise(&self, promise_id: i32) -> Vec<signatory::Model> {
        cloned(self.signatories_of_promise.get(&promise_id))
    }
    pub fn commitments_of_focus_area(&self, focus_area_id: i32) -> Vec<commitment::Model> {
        cloned(self.commitments_of_focus_area.get(&focus_area_id))
    }
    pub fn follow_ups_of_commitment(&self, commitment_id: i32) -> Vec<follow_up::Model> {
        cloned(self.follow_ups_of_commitment.get(&commitment_id))
    }
    pub fn contacts_of_promise(&self, promise_id: i32) -> Vec<contact::Model> {
        cloned(self.contacts_of_promise.get(&promise_id))
    }
    pub fn contacts_of_municipality(&self, municipality_id: i32) -> Vec<contact::Model> {
        cloned(self.contacts_of_municipality.get(&municipality_id))
    }
}

fn cloned<T: Clone>(list: Option<&Vec<T>>) -> Vec<T> {
    list.cloned().unwrap_or_default()
}

/// The current snapshot of this replica and the catalogue generation it was built for.
pub struct SnapshotStore {
    current: ArcSwapOption<Snapshot>,
    /// Generation of the catalogue version the current snapshot was read under;
    /// `u64::MAX` before the first successful build.
    built_for: AtomicU64,
    version: Arc<CatalogVersion>,
    /// One build at a time; readers never take it.
    building: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SnapshotStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotStore")
            .field("built_for", &self.built_for.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

impl SnapshotStore {
    pub fn new(version: Arc<CatalogVersion>) -> Arc<Self> {
        Arc::new(Self {
            current: ArcSwapOption::empty(),
            built_for: AtomicU64::new(u64::MAX),
            version,
            building: tokio::sync::Mutex::new(()),
        })
    }

    /// The current snapshot, without waiting; `None` until a build has succeeded (public
    /// reads then fall back to the database).
    pub fn load(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    /// The catalogue generation the current snapshot reflects, if any: an answer built
    /// from it may be cached under this generation and no later one.
    pub fn generation(&self) -> Option<u64> {
        match self.built_for.load(Ordering::Acquire) {
            u64::MAX => None,
            g => Some(g),
        }
    }

    /// Rebuild when the catalogue generation moved since the current snapshot was read
    /// (call after `CatalogVersion::sync`). Waits for a build already running, so after
    /// this returns the snapshot reflects at least the generation seen on entry. A failed
    /// build keeps the old snapshot and is logged (no personal data: the error only).
    pub async fn refresh(&self, db: &impl ConnectionTrait) {
        let _building = self.building.lock().await;
        let generation = self.version.generation();
        if self.generation() == Some(generation) {
            return;
        }
        let started = Instant::now();
        match Snapshot::build(db).await {
            Ok(snapshot) => {
                let rows = snapshot.rows();
                self.current.store(Some(Arc::new(snapshot)));
                self.built_for.store(generation, Ordering::Release);
                // The build's rows and, once its last reader is done, the old snapshot
                // are freed: give the pages back rather than let every rebuild raise the
                // peak (see `crate::memory`).
                tokio::task::spawn_blocking(crate::memory::release_freed);
                tracing::debug!(
                    rows,
                    millis = started.elapsed().as_millis() as u64,
                    "catalogue snapshot rebuilt"
                );
            }
            Err(err) => {
                tracing::error!(error = %err, "could not rebuild the catalogue snapshot; the old one stays")
            }
        }
    }
}
