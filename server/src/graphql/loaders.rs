//! DataLoaders: every nested list is fetched for all parents of a request level in one
//! statement, so the number of SQL statements does not grow with the number of items.
//!
//! One [`CatalogLoader`] implements `Loader<K>` for a key type per relation; a fresh
//! `DataLoader` is created per request so its cache never serves stale data.
//!
//! Public reads do not come here: every key a public field reads also implements
//! [`FromSnapshot`], the same relation read from the in-memory catalogue snapshot
//! (`service::snapshot`). The loaders serve staff callers (whose reads and drafts keep
//! using the database, and whose lists batch the same way) and a replica that has no
//! snapshot yet.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{
    commitment, contact, contact_municipality, focus_area, follow_up, municipality, police_area,
    police_area_municipality, promise, promise_contact, promise_municipality, promise_section,
    promise_source, signatory,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::service::snapshot::Snapshot;

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

/// Follow link rows, each `(parent key, target id)`, to the targets in `by_id`: every
/// parent's targets in link order (a link to a missing target is skipped).
fn follow<K: std::hash::Hash + Eq, M: Clone>(
    links: impl IntoIterator<Item = (K, i32)>,
    by_id: &HashMap<i32, M>,
) -> HashMap<K, Vec<M>> {
    let mut out: HashMap<K, Vec<M>> = HashMap::new();
    for (parent, target) in links {
        if let Some(m) = by_id.get(&target) {
            out.entry(parent).or_default().push(m.clone());
        }
    }
    out
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
        let links = links
            .iter()
            .map(|l| (MunicipalitiesOfPromise(l.promise_id), l.municipality_id));
        Ok(follow(links, &by_id))
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
        let links = links.iter().map(|l| {
            (
                MunicipalitiesOfPoliceArea(l.police_area_id),
                l.municipality_id,
            )
        });
        let mut out = follow(links, &by_id);
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
        let links = links.iter().map(|l| {
            (
                PoliceAreasOfMunicipality(l.municipality_id),
                l.police_area_id,
            )
        });
        Ok(follow(links, &areas))
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
        let links = links
            .iter()
            .map(|l| (ContactsOfPromise(l.promise_id), l.contact_id));
        Ok(follow(links, &by_id))
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
        let links = links
            .iter()
            .map(|l| (ContactsOfMunicipality(l.municipality_id), l.contact_id));
        let mut out = follow(links, &by_id);
        for list in out.values_mut() {
            list.sort_by_key(|c| (c.is_placeholder, c.id));
        }
        Ok(out)
    }
}

/// Municipalities a contact serves, by id (staff views: the contact's list and the scope
/// its private email is shown in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MunicipalitiesOfContact(pub i32);

impl Loader<MunicipalitiesOfContact> for CatalogLoader {
    type Value = Vec<municipality::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[MunicipalitiesOfContact],
    ) -> LoadResult<MunicipalitiesOfContact, Self::Value> {
        let links = contact_municipality::Entity::find()
            .filter(contact_municipality::Column::ContactId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await?;
        let by_id = municipalities_by_id(&self.db, links.iter().map(|l| l.municipality_id)).await?;
        let links = links
            .iter()
            .map(|l| (MunicipalitiesOfContact(l.contact_id), l.municipality_id));
        let mut out = follow(links, &by_id);
        for list in out.values_mut() {
            list.sort_by_key(|m| m.id);
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

pub use crate::service::snapshot::PromiseProgress;

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

/// The same relation as the key's `Loader`, read from the catalogue snapshot.
pub trait FromSnapshot {
    type Value;
    fn read_snapshot(&self, snapshot: &Snapshot) -> Option<Self::Value>;
}

macro_rules! from_snapshot {
    ($key:ident => $value:ty, |$s:ident, $id:ident| $body:expr) => {
        impl FromSnapshot for $key {
            type Value = $value;
            fn read_snapshot(&self, $s: &Snapshot) -> Option<Self::Value> {
                let $id = self.0;
                $body
            }
        }
    };
}

from_snapshot!(FocusAreasOfPromise => Vec<focus_area::Model>, |s, id| Some(s.focus_areas_of_promise(id)));
from_snapshot!(SourcesOfPromise => Vec<promise_source::Model>, |s, id| Some(s.sources_of_promise(id)));
from_snapshot!(SectionsOfPromise => Vec<promise_section::Model>, |s, id| Some(s.sections_of_promise(id)));
from_snapshot!(SignatoriesOfPromise => Vec<signatory::Model>, |s, id| Some(s.signatories_of_promise(id)));
from_snapshot!(CommitmentsOfFocusArea => Vec<commitment::Model>, |s, id| Some(s.commitments_of_focus_area(id)));
from_snapshot!(FollowUpsOfCommitment => Vec<follow_up::Model>, |s, id| Some(s.follow_ups_of_commitment(id)));
from_snapshot!(MunicipalitiesOfPromise => Vec<municipality::Model>, |s, id| Some(s.municipalities_of_promise(id)));
from_snapshot!(MunicipalitiesOfPoliceArea => Vec<municipality::Model>, |s, id| Some(s.municipalities_of_police_area(id)));
from_snapshot!(PoliceAreasOfMunicipality => Vec<police_area::Model>, |s, id| Some(s.police_areas_of_municipality(id)));
from_snapshot!(PromisesOfMunicipality => Vec<promise::Model>, |s, id| Some(s.promises_of_municipality(id)));
from_snapshot!(ContactsOfPromise => Vec<contact::Model>, |s, id| Some(s.contacts_of_promise(id)));
from_snapshot!(ContactsOfMunicipality => Vec<contact::Model>, |s, id| Some(s.contacts_of_municipality(id)));
from_snapshot!(PoliceAreaById => police_area::Model, |s, id| s.police_area(id));
from_snapshot!(ContactById => contact::Model, |s, id| s.contact(id));
from_snapshot!(MunicipalityById => municipality::Model, |s, id| s.municipality(id));
from_snapshot!(PromiseById => promise::Model, |s, id| s.published_promise(id));
from_snapshot!(FocusAreaById => focus_area::Model, |s, id| s.focus_area(id));
from_snapshot!(ProgressOfPromise => Arc<PromiseProgress>, |s, id| s.progress(id));

/// A tip's photos, without their bytes (staff only: never in the snapshot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PhotosOfTip(pub i32);

impl Loader<PhotosOfTip> for CatalogLoader {
    type Value = Vec<crate::service::photos::PhotoInfo>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[PhotosOfTip]) -> LoadResult<PhotosOfTip, Self::Value> {
        let rows = crate::service::photos::infos_of(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(group(rows, |r| PhotosOfTip(r.tip_id)))
    }
}
