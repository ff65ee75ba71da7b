//! Who may receive a municipality's tips: the municipality, its contacts and its routing
//! rules, read from the database once per catalogue generation and then kept in memory.
//!
//! Every tip needs these four reads, and they only change when staff edit the catalogue
//! (or the seed importer runs). Catalogue writes bump the catalogue version; when its
//! generation moves, the snapshots here are stale and read again. So an edit reaches the next tip on the same replica and on other
//! replicas within the catalogue poll interval, like every other catalogue read.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use entity::{contact, contact_municipality, municipality, routing_rule};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::catalog_version::CatalogVersion;
use crate::domain::routing::Rule;

/// A municipality with everything routing needs to know about it.
#[derive(Clone, Debug)]
pub struct MunicipalityRouting {
    pub municipality: municipality::Model,
    /// Contacts serving the municipality (the only valid explicit recipients).
    pub serving: Vec<i32>,
    /// Its routing rules, in the order they apply.
    pub rules: Vec<Rule>,
    /// Every contact that is serving or named by a rule.
    pub contacts: Vec<contact::Model>,
}

/// Distinct keys kept; only keys that name a municipality are stored, so this bounds
/// memory even against clients inventing codes.
const MAX_ENTRIES: usize = 4096;

/// Snapshots by normalised code or slug, valid for one catalogue generation.
pub struct RoutingCache {
    catalogue: Arc<CatalogVersion>,
    entries: RwLock<(u64, HashMap<String, Arc<MunicipalityRouting>>)>,
}

impl RoutingCache {
    pub fn new(catalogue: Arc<CatalogVersion>) -> Arc<Self> {
        Arc::new(Self {
            catalogue,
            entries: RwLock::new((0, HashMap::new())),
        })
    }

    /// The routing facts of the municipality with this code or slug, if there is one.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        code_or_slug: &str,
    ) -> Result<Option<Arc<MunicipalityRouting>>, DbErr> {
        let key = normalise(code_or_slug);
        let generation = self.catalogue.generation();
        if let Ok(entries) = self.entries.read()
            && entries.0 == generation
            && let Some(found) = entries.1.get(&key)
        {
            return Ok(Some(found.clone()));
        }
        let Some(loaded) = load(db, &key).await? else {
            return Ok(None);
        };
        let loaded = Arc::new(loaded);
        // Read under `generation`: kept only if no catalogue change was seen meanwhile.
        if let Ok(mut entries) = self.entries.write()
            && self.catalogue.generation() == generation
        {
            if entries.0 != generation || entries.1.len() >= MAX_ENTRIES {
                *entries = (generation, HashMap::new());
            }
            entries.1.insert(key, loaded.clone());
        }
        Ok(Some(loaded))
    }

    /// Drop every snapshot, e.g. after a write failed on a contact that no longer exists.
    pub fn forget(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.1.clear();
        }
    }
}

fn normalise(code_or_slug: &str) -> String {
    code_or_slug.trim().to_lowercase()
}

/// Read a municipality's routing facts: four statements.
pub async fn load(
    db: &impl ConnectionTrait,
    code_or_slug: &str,
) -> Result<Option<MunicipalityRouting>, DbErr> {
    let Some(municipality) = super::catalog::municipality_by_code_or_slug(db, code_or_slug).await?
    else {
        return Ok(None);
    };
    let serving: Vec<i32> = contact_municipality::Entity::find()
        .filter(contact_municipality::Column::MunicipalityId.eq(municipality.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.contact_id)
        .collect();
    let rules: Vec<Rule> = routing_rule::Entity::find()
        .filter(routing_rule::Column::MunicipalityId.eq(municipality.id))
        .order_by_asc(routing_rule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Rule {
            focus_area_id: r.focus_area_id,
            contact_id: r.contact_id,
        })
        .collect();
    let mut ids = serving.clone();
    ids.extend(rules.iter().map(|r| r.contact_id));
    let contacts = if ids.is_empty() {
        Vec::new()
    } else {
        contact::Entity::find()
            .filter(contact::Column::Id.is_in(ids))
            .all(db)
            .await?
    };
    Ok(Some(MunicipalityRouting {
        municipality,
        serving,
        rules,
        contacts,
    }))
}
