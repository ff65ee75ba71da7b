//! DataLoaders: every nested list is fetched for all parents of a request level in one
//! statement, so the number of SQL statements does not grow with the number of items.
//!
//! One [`CatalogLoader`] implements `Loader<K>` for a key type per relation; a fresh
//! `DataLoader` is created per request so its cache never serves stale data.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{
    commitment, contact, contact_municipality, focus_area, follow_up, municipality, police_area,
    police_area_municipality, promise, promise_contact, promise_municipality, promise_section,
    promise_source, signatory,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

pub struct CatalogLoader {
    db: DatabaseConnection,
}

impl CatalogLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DbErr>>;

fn group<K: std::hash::Hash + Eq, M>(rows: Vec<M>, key: impl Fn(&M) -> K) -> HashMap<K, Vec<M>> {
    let mut map: HashMap<K, Vec<M>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> i32) -> Vec<i32> {
    keys.iter().map(|&k| id(k)).collect()
}

/// `Loader` for "rows of a promise's child table", ordered by the given column.
macro_rules! by_promise {
    ($(#[$doc:meta])* $key:ident => $entity:ident order $order:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for CatalogLoader {
            type Value = Vec<$entity::Model>;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Self::Value> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::PromiseId.is_in(ids(keys, |k| k.0)))
                    .order_by_asc($entity::Column::$order)
                    .order_by_asc($entity::Column::Id)
                    .all(&self.db)
                    .await?;
                Ok(group(rows, |r| $key(r.promise_id)))
            }
        }
    };
}

by_promise!(
    /// Focus areas of a promise, in page order.
    FocusAreasOfPromise => focus_area order Position);
by_promise!(
    /// Sources (pages) of a promise.
    SourcesOfPromise => promise_source order Position);
by_promise!(
    /// Free-text sections of a promise.
    SectionsOfPromise => promise_section order Position);
by_promise!(
    /// Signatories of a promise.
    SignatoriesOfPromise => signatory order Position);

/// Commitments inside a focus area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CommitmentsOfFocusArea(pub i32);

impl Loader<CommitmentsOfFocusArea> for CatalogLoader {
    type Value = Vec<commitment::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[CommitmentsOfFocusArea],
    ) -> LoadResult<CommitmentsOfFocusArea, Self::Value> {
        let rows = commitment::Entity::find()
            .filter(commitment::Column::FocusAreaId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(commitment::Column::Position)
            .order_by_asc(commitment::Column::Id)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| {
            CommitmentsOfFocusArea(r.focus_area_id.unwrap_or_default())
        }))
    }
}

/// Follow-ups of a commitment, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FollowUpsOfCommitment(pub i32);

impl Loader<FollowUpsOfCommitment> for CatalogLoader {
    type Value = Vec<follow_up::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[FollowUpsOfCommitment],
    ) -> LoadResult<FollowUpsOfCommitment, Self::Value> {
        let rows = follow_up::Entity::find()
            .filter(follow_up::Column::CommitmentId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(follow_up::Column::Date)
            .order_by_asc(follow_up::Column::Id)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| FollowUpsOfCommitment(r.commitment_id)))
    }
}

/// Municipalities a promise is made in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MunicipalitiesOfPromise(pub i32);

impl Loader<MunicipalitiesOfPromise> for CatalogLoader {
    type Value = Vec<municipality::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[MunicipalitiesOfPromise],
    ) -> LoadResult<MunicipalitiesOfPromise, Self::Value> {
        let links = promise_municipality::Entity::find()
            .filter(promise_municipality::Column::PromiseId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(promise_municipality::Column::Position)
            .all(&self.db)
            .await?;
        let by_id = municipalities_by_id(&self.db, links.iter().map(|l| l.municipality_id)).await?;
        let mut out: HashMap<MunicipalitiesOfPromise, Vec<municipality::Model>> = HashMap::new();
        for link in links {
            if let Some(m) = by_id.get(&link.municipality_id) {
                out.entry(MunicipalitiesOfPromise(link.promise_id))
                    .or_default()
                    .push(m.clone());
            }
        }
        Ok(out)
    }
}

/// Municipalities a police area covers, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MunicipalitiesOfPoliceArea(pub i32);

impl Loader<MunicipalitiesOfPoliceArea> for CatalogLoader {
    type Value = Vec<municipality::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[MunicipalitiesOfPoliceArea],
    ) -> LoadResult<MunicipalitiesOfPoliceArea, Self::Value> {
        let links = police_area_municipality::Entity::find()
            .filter(police_area_municipality::Column::PoliceAreaId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await?;
        let by_id = municipalities_by_id(&self.db, links.iter().map(|l| l.municipality_id)).await?;
        let mut out: HashMap<MunicipalitiesOfPoliceArea, Vec<municipality::Model>> = HashMap::new();
        for link in links {
            if let Some(m) = by_id.get(&link.municipality_id) {
                out.entry(MunicipalitiesOfPoliceArea(link.police_area_id))
                    .or_default()
                    .push(m.clone());
            }
        }
        for list in out.values_mut() {
            list.sort_by(|a, b| crate::domain::collation::compare(&a.name, &b.name));
        }
        Ok(out)
    }
}

/// The police areas that cover a municipality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoliceAreasOfMunicipality(pub i32);

impl Loader<PoliceAreasOfMunicipality> for CatalogLoader {
    type Value = Vec<police_area::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[PoliceAreasOfMunicipality],
    ) -> LoadResult<PoliceAreasOfMunicipality, Self::Value> {
        let links = police_area_municipality::Entity::find()
            .filter(police_area_municipality::Column::MunicipalityId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await?;
        let areas: HashMap<i32, police_area::Model> = police_area::Entity::find()
            .filter(police_area::Column::Id.is_in(links.iter().map(|l| l.police_area_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut out: HashMap<PoliceAreasOfMunicipality, Vec<police_area::Model>> = HashMap::new();
        for link in links {
            if let Some(a) = areas.get(&link.police_area_id) {
                out.entry(PoliceAreasOfMunicipality(link.municipality_id))
                    .or_default()
                    .push(a.clone());
            }
        }
        Ok(out)
    }
}

/// A police area by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoliceAreaById(pub i32);

impl Loader<PoliceAreaById> for CatalogLoader {
    type Value = police_area::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[PoliceAreaById]) -> LoadResult<PoliceAreaById, Self::Value> {
        Ok(police_area::Entity::find()
            .filter(police_area::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| (PoliceAreaById(a.id), a))
            .collect())
    }
}

/// Published promises made in a municipality, newest period first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PromisesOfMunicipality(pub i32);

impl Loader<PromisesOfMunicipality> for CatalogLoader {
    type Value = Vec<promise::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[PromisesOfMunicipality],
    ) -> LoadResult<PromisesOfMunicipality, Self::Value> {
        let links = promise_municipality::Entity::find()
            .filter(promise_municipality::Column::MunicipalityId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await?;
        let promises: Vec<promise::Model> = promise::Entity::find()
            .filter(promise::Column::Id.is_in(links.iter().map(|l| l.promise_id)))
            .filter(promise::Column::Published.eq(true))
            .order_by_desc(promise::Column::ValidFrom)
            .order_by_asc(promise::Column::Id)
            .all(&self.db)
            .await?;
        let mut out: HashMap<PromisesOfMunicipality, Vec<promise::Model>> = HashMap::new();
        for p in promises {
            for link in links.iter().filter(|l| l.promise_id == p.id) {
                out.entry(PromisesOfMunicipality(link.municipality_id))
                    .or_default()
                    .push(p.clone());
            }
        }
        Ok(out)
    }
}

/// Contacts a promise names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContactsOfPromise(pub i32);

impl Loader<ContactsOfPromise> for CatalogLoader {
    type Value = Vec<contact::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ContactsOfPromise]) -> LoadResult<ContactsOfPromise, Self::Value> {
        let links = promise_contact::Entity::find()
            .filter(promise_contact::Column::PromiseId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(promise_contact::Column::Position)
            .all(&self.db)
            .await?;
        let by_id = contacts_by_id(&self.db, links.iter().map(|l| l.contact_id)).await?;
        let mut out: HashMap<ContactsOfPromise, Vec<contact::Model>> = HashMap::new();
        for link in links {
            if let Some(c) = by_id.get(&link.contact_id) {
                out.entry(ContactsOfPromise(link.promise_id))
                    .or_default()
                    .push(c.clone());
            }
        }
        Ok(out)
    }
}

/// Contacts serving a municipality: named people first, then placeholder mailboxes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContactsOfMunicipality(pub i32);

impl Loader<ContactsOfMunicipality> for CatalogLoader {
    type Value = Vec<contact::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[ContactsOfMunicipality],
    ) -> LoadResult<ContactsOfMunicipality, Self::Value> {
        let links = contact_municipality::Entity::find()
            .filter(contact_municipality::Column::MunicipalityId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await?;
        let by_id = contacts_by_id(&self.db, links.iter().map(|l| l.contact_id)).await?;
        let mut out: HashMap<ContactsOfMunicipality, Vec<contact::Model>> = HashMap::new();
        for link in links {
            if let Some(c) = by_id.get(&link.contact_id) {
                out.entry(ContactsOfMunicipality(link.municipality_id))
                    .or_default()
                    .push(c.clone());
            }
        }
        for list in out.values_mut() {
            list.sort_by_key(|c| (c.is_placeholder, c.id));
        }
        Ok(out)
    }
}

/// A contact by id (for focus areas and commitments that name one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContactById(pub i32);

impl Loader<ContactById> for CatalogLoader {
    type Value = contact::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ContactById]) -> LoadResult<ContactById, Self::Value> {
        let by_id = contacts_by_id(&self.db, ids(keys, |k| k.0)).await?;
        Ok(by_id
            .into_iter()
            .map(|(id, c)| (ContactById(id), c))
            .collect())
    }
}

/// A municipality by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MunicipalityById(pub i32);

impl Loader<MunicipalityById> for CatalogLoader {
    type Value = municipality::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[MunicipalityById]) -> LoadResult<MunicipalityById, Self::Value> {
        let by_id = municipalities_by_id(&self.db, ids(keys, |k| k.0)).await?;
        Ok(by_id
            .into_iter()
            .map(|(id, m)| (MunicipalityById(id), m))
            .collect())
    }
}

async fn municipalities_by_id(
    db: &DatabaseConnection,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, municipality::Model>, DbErr> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(municipality::Entity::find()
        .filter(municipality::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

async fn contacts_by_id(
    db: &DatabaseConnection,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, contact::Model>, DbErr> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(contact::Entity::find()
        .filter(contact::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

/// A promise by id (published or not: callers check visibility).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PromiseById(pub i32);

impl Loader<PromiseById> for CatalogLoader {
    type Value = promise::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[PromiseById]) -> LoadResult<PromiseById, Self::Value> {
        Ok(promise::Entity::find()
            .filter(promise::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (PromiseById(p.id), p))
            .collect())
    }
}

/// A focus area by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FocusAreaById(pub i32);

impl Loader<FocusAreaById> for CatalogLoader {
    type Value = focus_area::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[FocusAreaById]) -> LoadResult<FocusAreaById, Self::Value> {
        Ok(focus_area::Entity::find()
            .filter(focus_area::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|f| (FocusAreaById(f.id), f))
            .collect())
    }
}

/// Everything progress needs for one promise: its length in calendar years and the
/// achieved quantity of each commitment. One key type for every progress field keeps the
/// statement count flat whatever the query's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProgressOfPromise(pub i32);

#[derive(Clone, Debug, Default)]
pub struct PromiseProgress {
    pub calendar_years: u32,
    pub commitments: Vec<commitment::Model>,
    /// Sum of achieved quantities by commitment id.
    pub achieved: HashMap<i32, i64>,
}

impl Loader<ProgressOfPromise> for CatalogLoader {
    type Value = Arc<PromiseProgress>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ProgressOfPromise]) -> LoadResult<ProgressOfPromise, Self::Value> {
        let promise_ids = ids(keys, |k| k.0);
        let promises = promise::Entity::find()
            .filter(promise::Column::Id.is_in(promise_ids.clone()))
            .all(&self.db)
            .await?;
        let commitments = commitment::Entity::find()
            .filter(commitment::Column::PromiseId.is_in(promise_ids))
            .order_by_asc(commitment::Column::Position)
            .order_by_asc(commitment::Column::Id)
            .all(&self.db)
            .await?;
        let follow_ups = follow_up::Entity::find()
            .filter(follow_up::Column::CommitmentId.is_in(commitments.iter().map(|c| c.id)))
            .all(&self.db)
            .await?;
        let mut achieved: HashMap<i32, i64> = HashMap::new();
        for f in follow_ups {
            *achieved.entry(f.commitment_id).or_default() +=
                i64::from(f.achieved_quantity.unwrap_or(0));
        }
        let mut by_promise = group(commitments, |c| c.promise_id);
        Ok(promises
            .into_iter()
            .map(|p| {
                let commitments = by_promise.remove(&p.id).unwrap_or_default();
                let achieved = commitments
                    .iter()
                    .filter_map(|c| achieved.get(&c.id).map(|&a| (c.id, a)))
                    .collect();
                let progress = PromiseProgress {
                    calendar_years: crate::domain::period::calendar_years(p.valid_from, p.valid_to),
                    commitments,
                    achieved,
                };
                (ProgressOfPromise(p.id), Arc::new(progress))
            })
            .collect())
    }
}
