//! Public root query fields: municipalities, promises and Relay node lookup.

use async_graphql::{Context, ID, InputObject, Object};
use sea_orm::DatabaseConnection;

use super::staff::{Caller, StaffTip};

use super::{
    connection::{PageArgs, connection},
    errors::{ApiError, ApiResult},
    ids::{self, NodeType},
    types::{
        Commitment, Contact, Date, FocusArea, FollowUp, Municipality, MunicipalityConnection, Node,
        PoliceArea, PoliceAreaConnection, Promise, PromiseConnection, PromiseStatus,
        ResponsibleParty, Signatory,
    },
};
use crate::domain::{period, search};
use crate::service::catalog::{self, Kind, PromiseQuery, Visible};

use super::context::{db, snapshot};
use super::types::promise_page;

fn search_terms(field: &str, text: Option<&str>) -> Result<Vec<String>, ApiError> {
    match text {
        Some(t) if t.chars().count() > search::MAX_QUERY_CHARS => Err(ApiError::bad_input(
            field,
            format!(
                "search text is longer than {} characters",
                search::MAX_QUERY_CHARS
            ),
        )),
        Some(t) => Ok(search::query_terms(t)),
        None => Ok(Vec::new()),
    }
}

/// Most ids accepted by `nodes(ids:)` in one call.
pub const MAX_NODES: usize = 100;

/// Filters for `promises`. All given filters must match.
#[derive(InputObject, Default)]
pub struct PromiseFilter {
    /// Municipality by kommunkod ("1461") or slug ("mellerud").
    pub municipality: Option<String>,
    /// Only promises made in a municipality of this county (län), e.g. "Kronobergs län";
    /// case-insensitive. A county without promises gives an empty list.
    pub county: Option<String>,
    /// Only promises of this local police area (lokalpolisområde), by its id: those that
    /// name it and those made in a municipality it covers.
    pub police_area: Option<ID>,
    /// Only promises in force on this day.
    pub active_on: Option<Date>,
    /// Only promises in force at some point during this calendar year.
    pub year: Option<i32>,
    /// Only promises with this status today (derived from their dates).
    pub status: Option<PromiseStatus>,
    /// Only promises with at least one commitment by this party.
    pub responsible: Option<ResponsibleParty>,
    /// Free text, case-insensitive and Swedish-aware: "Trafiksäkerheten" finds promises that
    /// speak of "trafiksäkerhet". All words must occur.
    pub search: Option<String>,
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Municipalities (kommuner) in Swedish alphabetical order (Å, Ä, Ö after Z).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn municipalities(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Free text matched against name, slug, code and county; case-insensitive."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<MunicipalityConnection> {
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
        let terms = search_terms("search", search.as_deref())?;
        let query = (!terms.is_empty()).then(|| search.unwrap_or_default());
        let all = match snapshot(ctx) {
            Some(snapshot) => snapshot.municipalities(&terms),
            None => catalog::municipalities(db(ctx)?, query.as_deref()).await?,
        };
        let (items, page, total) = args.slice(all);
        Ok(connection(items.into_iter().map(Municipality).collect(), page, total).into())
    }

    /// Local police areas (lokalpolisområden) in Swedish alphabetical order: browse the
    /// promises by police area through `PoliceArea.promises`.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn police_areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<PoliceAreaConnection> {
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
        let all = match snapshot(ctx) {
            Some(snapshot) => snapshot.police_areas(),
            None => catalog::police_areas(db(ctx)?).await?,
        };
        let (items, page, total) = args.slice(all);
        Ok(connection(items.into_iter().map(PoliceArea).collect(), page, total).into())
    }

    /// One municipality by kommunkod ("0765") or slug ("almhult"). Give exactly one.
    /// Returns null with a `NOT_FOUND` error when there is no such municipality.
    async fn municipality(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Four-digit kommunkod, e.g. \"0765\".")] code: Option<String>,
        #[graphql(desc = "Slug, e.g. \"almhult\".")] slug: Option<String>,
    ) -> ApiResult<Option<Municipality>> {
        let key = match (code, slug) {
            (Some(code), None) => {
                crate::domain::kommunkod::Kommunkod::parse(code.trim())
                    .map_err(|m| ApiError::bad_input("code", m))?;
                code
            }
            (None, Some(slug)) => slug,
            _ => {
                return Err(ApiError::bad_input(
                    "code",
                    "give exactly one of `code` and `slug`",
                ));
            }
        };
        match municipality_by_code_or_slug(ctx, &key).await? {
            Some(m) => Ok(Some(Municipality(m))),
            None => Err(ApiError::NotFound("municipality")),
        }
    }

    /// Published promises (medborgarlöften), newest period first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn promises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Filters; all given filters must match.")] filter: Option<PromiseFilter>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<PromiseConnection> {
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
        let filter = filter.unwrap_or_default();
        let mut query = PromiseQuery {
            active_on: filter.active_on.map(|d| d.0),
            status: filter.status.map(|s| match s {
                PromiseStatus::Active => period::PeriodStatus::Active,
                PromiseStatus::Upcoming => period::PeriodStatus::Upcoming,
                PromiseStatus::Expired => period::PeriodStatus::Expired,
            }),
            today: Some(
                ctx.data::<super::types::RequestDate>()
                    .map(|d| d.0)
                    .unwrap_or_else(|_| period::today()),
            ),
            responsible: filter.responsible.map(Into::into),
            search_terms: search_terms("filter.search", filter.search.as_deref())?,
            ..Default::default()
        };
        if let Some(year) = filter.year {
            let bounds = (1900..=2200)
                .contains(&year)
                .then(|| period::year_bounds(year))
                .flatten();
            query.year = Some(bounds.ok_or_else(|| {
                ApiError::bad_input("filter.year", format!("{year} is not a plausible year"))
            })?);
        }
        if let Some(county) = filter.county {
            query.municipality_ids = Some(match snapshot(ctx) {
                Some(snapshot) => snapshot.municipalities_in_county(&county),
                None => catalog::municipalities_in_county(db(ctx)?, &county).await?,
            });
        }
        if let Some(area) = filter.police_area {
            let row = ids::decode_as(&area, NodeType::PoliceArea, "filter.policeArea")?;
            let found = match snapshot(ctx) {
                Some(snapshot) => snapshot.police_area(row),
                None => catalog::police_area(db(ctx)?, row).await?,
            };
            match found {
                Some(found) => query.police_area_id = Some(found.id),
                None => {
                    return Err(ApiError::bad_input(
                        "filter.policeArea",
                        "no police area has that id",
                    ));
                }
            }
        }
        if let Some(m) = filter.municipality {
            match municipality_by_code_or_slug(ctx, &m).await? {
                Some(found) => query.municipality_id = Some(found.id),
                None => {
                    return Err(ApiError::bad_input(
                        "filter.municipality",
                        format!(
                            "no municipality has the code or slug \"{}\"",
                            m.chars().take(64).collect::<String>()
                        ),
                    ));
                }
            }
        }
        let (items, page, total) = promise_page(ctx, args, &query).await?;
        Ok(connection(items.into_iter().map(Promise).collect(), page, total).into())
    }

    /// One published promise by id. Returns null with a `NOT_FOUND` error when there is no
    /// such published promise.
    async fn promise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the promise.")] id: ID,
    ) -> ApiResult<Option<Promise>> {
        let row = ids::decode_as(&id, NodeType::Promise, "id")?;
        let found = match snapshot(ctx) {
            Some(snapshot) => snapshot.published_promise(row),
            None => catalog::published_promise(db(ctx)?, row).await?,
        };
        match found {
            Some(p) => Ok(Some(Promise::from(p))),
            None => Err(ApiError::NotFound("promise")),
        }
    }

    /// Any object by its global id (Relay). Null when it does not exist or is not public.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let (kind, row) = ids::decode(&id, "id")?;
        fetch_node(ctx, kind, row).await
    }

    /// Several objects by global id, in the order asked (null where not found). At most 100.
    #[graphql(complexity = "crate::graphql::connection::list_cost(ids.len(), child_complexity)")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most 100.")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::bad_input(
                "ids",
                format!("at most {MAX_NODES} ids per call"),
            ));
        }
        let decoded = ids
            .iter()
            .map(|id| ids::decode(id, "ids"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(decoded.len());
        for (kind, row) in decoded {
            out.push(fetch_node(ctx, kind, row).await?);
        }
        Ok(out)
    }
}

/// A municipality by code or slug: from the snapshot for public reads.
async fn municipality_by_code_or_slug(
    ctx: &Context<'_>,
    key: &str,
) -> ApiResult<Option<entity::municipality::Model>> {
    Ok(match snapshot(ctx) {
        Some(snapshot) => snapshot.municipality_by_code_or_slug(key),
        None => catalog::municipality_by_code_or_slug(db(ctx)?, key).await?,
    })
}

async fn fetch_node(ctx: &Context<'_>, kind: NodeType, row: i32) -> ApiResult<Option<Node>> {
    let kind = match kind {
        // Tips are staff-only: null for everyone else and for tips outside the caller's
        // scope, like a catalogue object that is not public.
        NodeType::Tip => return staff_tip(ctx, db(ctx)?, row).await,
        NodeType::Municipality => Kind::Municipality,
        NodeType::PoliceArea => Kind::PoliceArea,
        NodeType::Promise => Kind::Promise,
        NodeType::FocusArea => Kind::FocusArea,
        NodeType::Commitment => Kind::Commitment,
        NodeType::FollowUp => Kind::FollowUp,
        NodeType::Signatory => Kind::Signatory,
        NodeType::Contact => Kind::Contact,
    };
    let visible = match snapshot(ctx) {
        Some(snapshot) => snapshot.visible(kind, row),
        None => catalog::visible(db(ctx)?, kind, row).await?,
    };
    Ok(visible.map(|v| match v {
        Visible::Municipality(m) => Node::Municipality(Municipality(m)),
        Visible::PoliceArea(a) => Node::PoliceArea(PoliceArea(a)),
        Visible::Promise(p) => Node::Promise(Promise::from(p)),
        Visible::FocusArea(f) => Node::FocusArea(FocusArea(f)),
        Visible::Commitment(c) => Node::Commitment(Commitment(c)),
        Visible::FollowUp(f) => Node::FollowUp(FollowUp(f)),
        Visible::Signatory(s) => Node::Signatory(Signatory(s)),
        Visible::Contact(c) => Node::Contact(Contact(c)),
    }))
}

async fn staff_tip(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    row: i32,
) -> ApiResult<Option<Node>> {
    let Ok(Caller::Staff(p)) = ctx.data::<Caller>() else {
        return Ok(None);
    };
    Ok(crate::service::staff::tip_by_id_in_scope(db, p, row)
        .await?
        .map(|t| Node::StaffTip(StaffTip(t))))
}
