//! Reading the public catalogue: municipalities and published promises, with filters.

use chrono::NaiveDate;
use entity::{
    commitment, contact, focus_area, follow_up, municipality, police_area,
    police_area_municipality, promise, promise_municipality, signatory,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    db::in_subquery,
    domain::{collation, period, search},
};

/// Every municipality matching an optional search, in Swedish alphabetical order.
/// There are at most 290 municipalities, so filtering and collation happen in memory.
pub async fn municipalities(
    db: &impl ConnectionTrait,
    query: Option<&str>,
) -> Result<Vec<municipality::Model>, DbErr> {
    let terms = query.map(search::query_terms).unwrap_or_default();
    let mut all: Vec<municipality::Model> = municipality::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|m| {
            terms.is_empty()
                || search::matches(
                    &search::document([m.name.as_str(), &m.slug, &m.code, &m.county]),
                    &terms,
                )
        })
        .collect();
    all.sort_by(|a, b| collation::compare(&a.name, &b.name).then(a.code.cmp(&b.code)));
    Ok(all)
}

/// Ids of the municipalities in a county (län), matched case-insensitively after trimming:
/// "kronobergs län" finds Älmhult.
pub async fn municipalities_in_county(
    db: &impl ConnectionTrait,
    county: &str,
) -> Result<Vec<i32>, DbErr> {
    let wanted = county.trim().to_lowercase();
    Ok(municipality::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|m| m.county.to_lowercase() == wanted)
        .map(|m| m.id)
        .collect())
}

/// Every local police area (lokalpolisområde) in Swedish alphabetical order.
pub async fn police_areas(db: &impl ConnectionTrait) -> Result<Vec<police_area::Model>, DbErr> {
    let mut all = police_area::Entity::find().all(db).await?;
    all.sort_by(|a, b| collation::compare(&a.name, &b.name).then(a.id.cmp(&b.id)));
    Ok(all)
}

/// A police area by id.
pub async fn police_area(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<police_area::Model>, DbErr> {
    police_area::Entity::find_by_id(id).one(db).await
}

/// A municipality by its kommunkod ("0765") or slug ("almhult").
pub async fn municipality_by_code_or_slug(
    db: &impl ConnectionTrait,
    code_or_slug: &str,
) -> Result<Option<municipality::Model>, DbErr> {
    let value = code_or_slug.trim();
    let column = if value.bytes().all(|b| b.is_ascii_digit()) {
        municipality::Column::Code
    } else {
        municipality::Column::Slug
    };
    municipality::Entity::find()
        .filter(column.eq(value.to_lowercase()))
        .one(db)
        .await
}

/// Filters of `promises(filter:)`, already validated.
#[derive(Debug, Default, Clone)]
pub struct PromiseQuery {
    pub municipality_id: Option<i32>,
    /// Made in one of these municipalities (the county filter); empty matches nothing.
    pub municipality_ids: Option<Vec<i32>>,
    /// Naming this police area, or made in a municipality it covers.
    pub police_area_id: Option<i32>,
    pub active_on: Option<NaiveDate>,
    pub year: Option<(NaiveDate, NaiveDate)>,
    pub status: Option<period::PeriodStatus>,
    pub responsible: Option<entity::ResponsibleParty>,
    pub search_terms: Vec<String>,
    pub today: Option<NaiveDate>,
}

fn promise_condition(q: &PromiseQuery) -> Condition {
    let mut cond = Condition::all().add(promise::Column::Published.eq(true));
    if let Some(m) = q.municipality_id {
        cond = cond.add(in_subquery(
            promise::Column::Id,
            promise_municipality::Column::PromiseId,
            promise_municipality::Column::MunicipalityId.eq(m),
        ));
    }
    if let Some(ids) = &q.municipality_ids {
        cond = cond.add(in_subquery(
            promise::Column::Id,
            promise_municipality::Column::PromiseId,
            promise_municipality::Column::MunicipalityId.is_in(ids.iter().copied()),
        ));
    }
    if let Some(area) = q.police_area_id {
        let covered = in_subquery(
            promise_municipality::Column::MunicipalityId,
            police_area_municipality::Column::MunicipalityId,
            police_area_municipality::Column::PoliceAreaId.eq(area),
        );
        cond = cond.add(
            Condition::any()
                .add(promise::Column::PoliceAreaId.eq(area))
                .add(in_subquery(
                    promise::Column::Id,
                    promise_municipality::Column::PromiseId,
                    covered,
                )),
        );
    }
    if let Some(day) = q.active_on {
        cond = cond
            .add(promise::Column::ValidFrom.lte(day))
            .add(promise::Column::ValidTo.gte(day));
    }
    if let Some((first, last)) = q.year {
        cond = cond
            .add(promise::Column::ValidFrom.lte(last))
            .add(promise::Column::ValidTo.gte(first));
    }
    if let (Some(status), Some(today)) = (q.status, q.today) {
        cond = match status {
            period::PeriodStatus::Active => cond
                .add(promise::Column::ValidFrom.lte(today))
                .add(promise::Column::ValidTo.gte(today)),
            period::PeriodStatus::Upcoming => cond.add(promise::Column::ValidFrom.gt(today)),
            period::PeriodStatus::Expired => cond.add(promise::Column::ValidTo.lt(today)),
        };
    }
    if let Some(party) = q.responsible {
        cond = cond.add(in_subquery(
            promise::Column::Id,
            commitment::Column::PromiseId,
            commitment::Column::Responsible.eq(party),
        ));
    }
    for term in &q.search_terms {
        cond = cond.add(
            Expr::col((promise::Entity, promise::Column::SearchText)).like(
                sea_orm::sea_query::LikeExpr::new(search::like_contains_pattern(term)).escape('\\'),
            ),
        );
    }
    cond
}

/// One page of published promises, newest period first, and the total count.
pub async fn promises(
    db: &impl ConnectionTrait,
    q: &PromiseQuery,
    offset: u64,
    limit: u64,
) -> Result<(Vec<promise::Model>, u64), DbErr> {
    let select = promise::Entity::find().filter(promise_condition(q));
    let order = [
        (promise::Column::ValidFrom, sea_orm::Order::Desc),
        (promise::Column::Id, sea_orm::Order::Asc),
    ];
    crate::db::page(db, select, &order, offset, limit).await
}

/// A published promise by id.
pub async fn published_promise(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<promise::Model>, DbErr> {
    promise::Entity::find_by_id(id)
        .filter(promise::Column::Published.eq(true))
        .one(db)
        .await
}

async fn is_published(db: &impl ConnectionTrait, promise_id: i32) -> Result<bool, DbErr> {
    Ok(published_promise(db, promise_id).await?.is_some())
}

/// Rows that `node(id:)` can return, loaded only when publicly visible.
pub enum Visible {
    Municipality(municipality::Model),
    PoliceArea(police_area::Model),
    Promise(promise::Model),
    FocusArea(focus_area::Model),
    Commitment(commitment::Model),
    FollowUp(follow_up::Model),
    Signatory(signatory::Model),
    Contact(contact::Model),
}

/// Kinds of row a global id can name.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Municipality,
    PoliceArea,
    Promise,
    FocusArea,
    Commitment,
    FollowUp,
    Signatory,
    Contact,
}

/// Load a row by kind and id if the public may see it (parts of draft promises may not).
pub async fn visible(
    db: &impl ConnectionTrait,
    kind: Kind,
    id: i32,
) -> Result<Option<Visible>, DbErr> {
    Ok(match kind {
        Kind::Municipality => municipality::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(Visible::Municipality),
        Kind::PoliceArea => police_area::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(Visible::PoliceArea),
        Kind::Contact => contact::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(Visible::Contact),
        Kind::Promise => published_promise(db, id).await?.map(Visible::Promise),
        Kind::FocusArea => match focus_area::Entity::find_by_id(id).one(db).await? {
            Some(fa) if is_published(db, fa.promise_id).await? => Some(Visible::FocusArea(fa)),
            _ => None,
        },
        Kind::Commitment => match commitment::Entity::find_by_id(id).one(db).await? {
            Some(c) if is_published(db, c.promise_id).await? => Some(Visible::Commitment(c)),
            _ => None,
        },
        Kind::Signatory => match signatory::Entity::find_by_id(id).one(db).await? {
            Some(s) if is_published(db, s.promise_id).await? => Some(Visible::Signatory(s)),
            _ => None,
        },
        Kind::FollowUp => match follow_up::Entity::find_by_id(id).one(db).await? {
            Some(f) => match commitment::Entity::find_by_id(f.commitment_id)
                .one(db)
                .await?
            {
                Some(c) if is_published(db, c.promise_id).await? => Some(Visible::FollowUp(f)),
                _ => None,
            },
            None => None,
        },
    })
}

/// Count one change to the public catalogue. Call inside the transaction that makes it,
/// so replicas never see the change without the new version or the other way round
/// (they read it through [`crate::catalog_version::CatalogVersion`]).
pub async fn bump_version(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    entity::catalog_version::Entity::update_many()
        .col_expr(
            entity::catalog_version::Column::Version,
            Expr::col(entity::catalog_version::Column::Version).add(1),
        )
        .filter(entity::catalog_version::Column::Id.eq(1))
        .exec(db)
        .await?;
    Ok(())
}
