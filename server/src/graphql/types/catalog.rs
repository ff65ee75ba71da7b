//! The public catalogue: municipalities, police areas, promises and their parts, contacts.
//!
//! Over 600 lines: one `#[Object]` per public catalogue type, each a list of short field
//! resolvers; splitting them would scatter one type family over several files.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, ID, Interface, Object, SimpleObject};
use chrono::NaiveDate;
use entity::{
    commitment, contact, focus_area, follow_up, municipality, police_area, promise, signatory,
};

use super::enums::{
    CommitmentStatus, OrganisationKind, PromiseStatus, ResponsibleParty, TargetPeriod,
};
use super::scalars::{Date, DateTime};
use crate::domain::{period, progress};
use crate::graphql::{
    connection::{PageArgs, connection},
    errors::{ApiError, ApiResult},
    ids::{NodeType, encode},
    loaders::*,
};
use crate::service::catalog::{self, PromiseQuery};

crate::connection_types!(
    MunicipalityConnection,
    MunicipalityEdge,
    Municipality,
    "municipalities"
);
crate::connection_types!(PromiseConnection, PromiseEdge, Promise, "promises");
crate::connection_types!(
    PoliceAreaConnection,
    PoliceAreaEdge,
    PoliceArea,
    "local police areas"
);
crate::connection_types!(FollowUpConnection, FollowUpEdge, FollowUp, "follow-ups");

/// The day a request is answered for: statuses within one response agree.
#[derive(Clone, Copy, Debug)]
pub struct RequestDate(pub NaiveDate);

use crate::graphql::context::{loader, snapshot};

fn today(ctx: &Context<'_>) -> NaiveDate {
    ctx.data::<RequestDate>()
        .map(|d| d.0)
        .unwrap_or_else(|_| period::today())
}

/// Contacts as public lists show them: without placeholder mailboxes.
fn public_contacts(all: Vec<contact::Model>) -> Vec<Contact> {
    all.into_iter()
        .filter(|c| !c.is_placeholder)
        .map(Contact)
        .collect()
}

/// Load a list from the snapshot (public reads) or through a loader (staff reads); a
/// parent without children gets an empty list.
async fn list<K, V>(ctx: &Context<'_>, key: K) -> ApiResult<Vec<V>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static + FromSnapshot<Value = Vec<V>>,
    CatalogLoader: async_graphql::dataloader::Loader<K, Value = Vec<V>, Error = std::sync::Arc<sea_orm::DbErr>>,
    V: Send + Sync + Clone + 'static,
{
    if let Some(snapshot) = snapshot(ctx) {
        return Ok(key.read_snapshot(&snapshot).unwrap_or_default());
    }
    Ok(loader(ctx)?.load_one(key).await?.unwrap_or_default())
}

async fn one<K, V>(ctx: &Context<'_>, key: K) -> ApiResult<Option<V>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static + FromSnapshot<Value = V>,
    CatalogLoader:
        async_graphql::dataloader::Loader<K, Value = V, Error = std::sync::Arc<sea_orm::DbErr>>,
    V: Send + Sync + Clone + 'static,
{
    if let Some(snapshot) = snapshot(ctx) {
        return Ok(key.read_snapshot(&snapshot));
    }
    Ok(loader(ctx)?.load_one(key).await?)
}

async fn progress_data(
    ctx: &Context<'_>,
    promise_id: i32,
) -> ApiResult<std::sync::Arc<PromiseProgress>> {
    Ok(one(ctx, ProgressOfPromise(promise_id))
        .await?
        .unwrap_or_default())
}

fn target_of(c: &commitment::Model) -> Option<progress::Target> {
    Some(progress::Target {
        quantity: c.target_quantity?,
        period: c.target_period?,
    })
}

fn commitment_progress(data: &PromiseProgress, c: &commitment::Model) -> f64 {
    let achieved = data.achieved.get(&c.id).copied().unwrap_or(0);
    progress::commitment(target_of(c), c.status, achieved, data.calendar_years)
}

/// One page of published promises matching `query`: from the snapshot for public reads,
/// from the database for staff reads.
pub(crate) async fn promise_page(
    ctx: &Context<'_>,
    args: PageArgs,
    query: &PromiseQuery,
) -> ApiResult<(
    Vec<Arc<promise::Model>>,
    crate::graphql::connection::Page,
    u64,
)> {
    if let Some(snapshot) = snapshot(ctx) {
        let snapshot = &snapshot;
        return args
            .fetch(|offset, limit| async move {
                Ok::<_, ApiError>(snapshot.promises(query, offset, limit))
            })
            .await;
    }
    let db = crate::graphql::context::db(ctx)?;
    args.fetch(|offset, limit| async move {
        let (rows, total) = catalog::promises(db, query, offset, limit).await?;
        Ok::<_, ApiError>((rows.into_iter().map(Arc::new).collect(), total))
    })
    .await
}

/// An object with a global id (Relay Node interface).
// One value per `node` lookup, returned at once: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Globally unique, opaque id."))]
pub enum Node {
    Municipality(Municipality),
    PoliceArea(PoliceArea),
    Promise(Promise),
    FocusArea(FocusArea),
    Commitment(Commitment),
    FollowUp(FollowUp),
    Signatory(Signatory),
    Contact(Contact),
    StaffTip(crate::graphql::staff::StaffTip),
}

/// A municipality (kommun).
#[derive(Clone)]
pub struct Municipality(pub municipality::Model);

/// A municipality (kommun).
#[Object]
impl Municipality {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        encode(NodeType::Municipality, self.0.id)
    }
    /// Official four-digit SCB municipality code (kommunkod), leading zero kept: "0765".
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Name of the municipality (kommunnamn), e.g. "Älmhult".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Official name as running text writes it, e.g. "Melleruds kommun" or "Orust kommun"
    /// (stored, not derived: the genitive has exceptions). Use it where a sentence names
    /// the municipality: "en invånare i Melleruds kommun".
    async fn official_name(&self) -> &str {
        crate::email::render::official_name(&self.0.name, &self.0.official_name)
    }
    /// URL-friendly ASCII name, e.g. "almhult".
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// County (län), e.g. "Kronobergs län".
    async fn county(&self) -> &str {
        &self.0.county
    }
    /// Swedish working days within which residents are promised an answer to a tip (1 to
    /// 60, default 5; staff change it with `setResponseTarget`).
    async fn response_days(&self) -> i32 {
        self.0.response_days
    }
    /// Local police areas (lokalpolisområden) that cover this municipality.
    async fn police_areas(&self, ctx: &Context<'_>) -> ApiResult<Vec<PoliceArea>> {
        Ok(list(ctx, PoliceAreasOfMunicipality(self.0.id))
            .await?
            .into_iter()
            .map(PoliceArea)
            .collect())
    }
    /// Published promises (medborgarlöften) made in this municipality, newest period first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn promises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only promises with this status today.")] status: Option<PromiseStatus>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<PromiseConnection> {
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
        let today = today(ctx);
        let all: Vec<promise::Model> = list(ctx, PromisesOfMunicipality(self.0.id)).await?;
        let matching: Vec<Promise> = all
            .into_iter()
            .filter(|p| {
                status.is_none_or(|s| {
                    PromiseStatus::from(period::status(p.valid_from, p.valid_to, today)) == s
                })
            })
            .map(Promise::from)
            .collect();
        let (items, page, total) = args.slice(matching);
        Ok(connection(items, page, total).into())
    }
    /// The promise an app shows for this municipality: the one in force today, else the
    /// newest one (an upcoming promise before an ended one); null when there is none.
    /// Pages stay up after a period ends, so `promises(status: ACTIVE)` is often empty.
    #[graphql(complexity = "child_complexity + 1")]
    async fn latest_promise(&self, ctx: &Context<'_>) -> ApiResult<Option<Promise>> {
        let today = today(ctx);
        // Newest period first (see the loader), so the first active one is the newest.
        let mut all: Vec<promise::Model> = list(ctx, PromisesOfMunicipality(self.0.id)).await?;
        let chosen = all
            .iter()
            .position(|p| {
                period::status(p.valid_from, p.valid_to, today) == period::PeriodStatus::Active
            })
            .unwrap_or(0);
        Ok((chosen < all.len()).then(|| Promise::from(all.swap_remove(chosen))))
    }
    /// Public contacts residents can turn to (kontaktpersoner): the people the pages name.
    /// Placeholder mailboxes that only route tips are left out (tips still reach them
    /// through routing). Email addresses are never shown.
    #[graphql(complexity = "crate::graphql::connection::list_cost(3, child_complexity)")]
    async fn contacts(&self, ctx: &Context<'_>) -> ApiResult<Vec<Contact>> {
        Ok(public_contacts(
            list(ctx, ContactsOfMunicipality(self.0.id)).await?,
        ))
    }
}

/// A local police area (lokalpolisområde).
#[derive(Clone)]
pub struct PoliceArea(pub police_area::Model);

/// A local police area (lokalpolisområde).
#[Object]
impl PoliceArea {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        encode(NodeType::PoliceArea, self.0.id)
    }
    /// Name of the police area, e.g. "Södra Fyrbodal".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Municipalities the police area covers, in Swedish alphabetical order.
    #[graphql(complexity = "crate::graphql::connection::list_cost(3, child_complexity)")]
    async fn municipalities(&self, ctx: &Context<'_>) -> ApiResult<Vec<Municipality>> {
        Ok(list(ctx, MunicipalitiesOfPoliceArea(self.0.id))
            .await?
            .into_iter()
            .map(Municipality)
            .collect())
    }
    /// Published promises of the police area, newest period first: those that name it and
    /// those made in a municipality it covers (as `promises(filter: {policeArea})`).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn promises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<PromiseConnection> {
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
        let query = PromiseQuery {
            police_area_id: Some(self.0.id),
            ..Default::default()
        };
        let (items, page, total) = promise_page(ctx, args, &query).await?;
        Ok(connection(items.into_iter().map(Promise).collect(), page, total).into())
    }
}

/// A citizen promise (medborgarlöfte): a public commitment between local police and one or
/// more municipalities for one or two years.
#[derive(Clone)]
pub struct Promise(pub Arc<promise::Model>);

/// A promise read from the database; the snapshot's promises are shared as they are.
impl From<promise::Model> for Promise {
    fn from(model: promise::Model) -> Self {
        Self(Arc::new(model))
    }
}

/// A citizen promise (medborgarlöfte): a public commitment between local police and one or
/// more municipalities for one or two years.
#[Object]
impl Promise {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        encode(NodeType::Promise, self.0.id)
    }
    /// Stable human-readable key, e.g. "mellerud-2023-2024".
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Title (rubrik).
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Municipalities (kommuner) the promise is made in.
    #[graphql(complexity = "crate::graphql::connection::list_cost(2, child_complexity)")]
    async fn municipalities(&self, ctx: &Context<'_>) -> ApiResult<Vec<Municipality>> {
        Ok(list(ctx, MunicipalitiesOfPromise(self.0.id))
            .await?
            .into_iter()
            .map(Municipality)
            .collect())
    }
    /// The local police area (lokalpolisområde) behind the promise, when the promise names one.
    async fn police_area(&self, ctx: &Context<'_>) -> ApiResult<Option<PoliceArea>> {
        match self.0.police_area_id {
            Some(id) => Ok(one(ctx, PoliceAreaById(id)).await?.map(PoliceArea)),
            None => Ok(None),
        }
    }
    /// First day the promise is in force (gäller från).
    async fn valid_from(&self) -> Date {
        Date(self.0.valid_from)
    }
    /// Last day the promise is in force (gäller till).
    async fn valid_to(&self) -> Date {
        Date(self.0.valid_to)
    }
    /// Whether the promise is active, upcoming or expired today (derived from the dates).
    async fn status(&self, ctx: &Context<'_>) -> PromiseStatus {
        period::status(self.0.valid_from, self.0.valid_to, today(ctx)).into()
    }
    /// What the promise is about (sammanfattning).
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// The situation today (lägesbild, "Situationen idag").
    async fn situation(&self) -> Option<&str> {
        self.0.situation.as_deref()
    }
    /// Goal and expected effects (mål och förväntade effekter).
    async fn goal(&self) -> Option<&str> {
        self.0.goal.as_deref()
    }
    /// How the promise is followed up (uppföljning).
    async fn follow_up(&self) -> Option<&str> {
        self.0.follow_up.as_deref()
    }
    /// How and when the promise is renewed (förnyelse).
    async fn renewal_note(&self) -> Option<&str> {
        self.0.renewal_note.as_deref()
    }
    /// Date the promise was signed (undertecknat).
    async fn signed_on(&self) -> Option<Date> {
        self.0.signed_on.map(Date)
    }
    /// Place the promise was signed (ort).
    async fn signed_place(&self) -> Option<&str> {
        self.0.signed_place.as_deref()
    }
    /// People who signed the promise (undertecknare).
    #[graphql(complexity = "crate::graphql::connection::list_cost(3, child_complexity)")]
    async fn signatories(&self, ctx: &Context<'_>) -> ApiResult<Vec<Signatory>> {
        Ok(list(ctx, SignatoriesOfPromise(self.0.id))
            .await?
            .into_iter()
            .map(Signatory)
            .collect())
    }
    /// Focus areas (fokusområden), in the order the promise lists them.
    #[graphql(complexity = "crate::graphql::connection::list_cost(4, child_complexity)")]
    async fn focus_areas(&self, ctx: &Context<'_>) -> ApiResult<Vec<FocusArea>> {
        Ok(list(ctx, FocusAreasOfPromise(self.0.id))
            .await?
            .into_iter()
            .map(FocusArea)
            .collect())
    }
    /// Commitments listed directly on the promise rather than under a focus area
    /// ("polisen lovar att …", "kommunerna lovar att …").
    #[graphql(complexity = "crate::graphql::connection::list_cost(5, child_complexity)")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only commitments of this party.")] responsible: Option<ResponsibleParty>,
    ) -> ApiResult<Vec<Commitment>> {
        let data = progress_data(ctx, self.0.id).await?;
        Ok(data
            .commitments
            .iter()
            .filter(|c| c.focus_area_id.is_none())
            .filter(|c| responsible.is_none_or(|r| ResponsibleParty::from(c.responsible) == r))
            .cloned()
            .map(Commitment)
            .collect())
    }
    /// Share of the promise carried out, 0 to 1: the mean progress of all its commitments;
    /// null when it has none.
    async fn progress(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        let data = progress_data(ctx, self.0.id).await?;
        Ok(progress::roll_up(
            data.commitments
                .iter()
                .map(|c| commitment_progress(&data, c)),
        ))
    }
    /// People the promise names for questions, tips and ideas (kontaktpersoner).
    /// Placeholder mailboxes that only route tips are left out.
    #[graphql(complexity = "crate::graphql::connection::list_cost(3, child_complexity)")]
    async fn contacts(&self, ctx: &Context<'_>) -> ApiResult<Vec<Contact>> {
        Ok(public_contacts(
            list(ctx, ContactsOfPromise(self.0.id)).await?,
        ))
    }
    /// The published pages this promise was taken from (källor).
    #[graphql(complexity = "crate::graphql::connection::list_cost(1, child_complexity)")]
    async fn sources(&self, ctx: &Context<'_>) -> ApiResult<Vec<PromiseSource>> {
        Ok(list(ctx, SourcesOfPromise(self.0.id))
            .await?
            .into_iter()
            .map(|s: entity::promise_source::Model| PromiseSource {
                title: s.title,
                publisher: (!s.publisher.is_empty()).then_some(s.publisher),
                url: s.url,
                updated_on: s.updated_on.map(Date),
            })
            .collect())
    }
    /// Further text of the promise under its own headings (avsnitt).
    #[graphql(complexity = "crate::graphql::connection::list_cost(3, child_complexity)")]
    async fn sections(&self, ctx: &Context<'_>) -> ApiResult<Vec<PromiseSection>> {
        Ok(list(ctx, SectionsOfPromise(self.0.id))
            .await?
            .into_iter()
            .map(|s: entity::promise_section::Model| PromiseSection {
                heading: s.heading,
                body: s.body,
            })
            .collect())
    }
    /// When the promise was first stored.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    /// When the promise or any of its parts last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// A published page a promise was taken from (källa).
#[derive(SimpleObject)]
pub struct PromiseSource {
    /// Heading of the page.
    title: String,
    /// Who published the page (utgivare), when known.
    publisher: Option<String>,
    /// Address of the page, when known.
    url: Option<String>,
    /// The date the page says it was last updated.
    updated_on: Option<Date>,
}

/// A part of a promise's text under its own heading (avsnitt).
#[derive(SimpleObject)]
pub struct PromiseSection {
    /// Heading (rubrik).
    heading: String,
    /// Text (brödtext).
    body: String,
}

/// A person who signed a promise (undertecknare).
#[derive(Clone)]
pub struct Signatory(pub signatory::Model);

/// A person who signed a promise (undertecknare).
#[Object]
impl Signatory {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        encode(NodeType::Signatory, self.0.id)
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Title or position (titel), e.g. "Lokalpolisområdeschef".
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Organisation signed for, e.g. "Älmhults kommun".
    async fn organisation(&self) -> &str {
        &self.0.organisation
    }
}

/// A focus area (fokusområde) of a promise.
#[derive(Clone)]
pub struct FocusArea(pub focus_area::Model);

/// A focus area (fokusområde) of a promise.
#[Object]
impl FocusArea {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        encode(NodeType::FocusArea, self.0.id)
    }
    /// Title (rubrik), e.g. "Trafiksäkerhet".
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Description (beskrivning).
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Position within the promise, from 0.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Commitments (aktiviteter, åtaganden) under this focus area.
    #[graphql(complexity = "crate::graphql::connection::list_cost(5, child_complexity)")]
    async fn commitments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Commitment>> {
        Ok(list(ctx, CommitmentsOfFocusArea(self.0.id))
            .await?
            .into_iter()
            .map(Commitment)
            .collect())
    }
    /// Share carried out, 0 to 1: the mean progress of its commitments; null when it has none.
    async fn progress(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        let data = progress_data(ctx, self.0.promise_id).await?;
        Ok(progress::roll_up(
            data.commitments
                .iter()
                .filter(|c| c.focus_area_id == Some(self.0.id))
                .map(|c| commitment_progress(&data, c)),
        ))
    }
    /// The contact responsible for this focus area, when one is named.
    async fn contact(&self, ctx: &Context<'_>) -> ApiResult<Option<Contact>> {
        match self.0.contact_id {
            Some(id) => Ok(one(ctx, ContactById(id)).await?.map(Contact)),
            None => Ok(None),
        }
    }
    /// The promise this focus area belongs to.
    async fn promise(&self, ctx: &Context<'_>) -> ApiResult<Option<Promise>> {
        Ok(one(ctx, PromiseById(self.0.promise_id))
            .await?
            .map(Promise::from))
    }
}

/// A measurable target of a commitment (mätbart mål), e.g. "minst 4 riktade trafikinsatser per år".
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Target {
    /// Quantity to reach per period (antal), e.g. 4.
    quantity: i32,
    /// What is counted (enhet), e.g. "riktade trafikinsatser".
    unit: String,
    /// The period the quantity applies to.
    period: TargetPeriod,
    #[graphql(skip)]
    total: i64,
}

#[ComplexObject]
impl Target {
    /// Quantity to reach over the whole promise period (a per-year target counts once for
    /// each calendar year the promise covers).
    async fn total_quantity(&self) -> i64 {
        self.total
    }
}

/// A commitment (aktivitet / åtagande): something the police, the municipality or both
/// promise to do.
#[derive(Clone)]
pub struct Commitment(pub commitment::Model);

/// A commitment (aktivitet / åtagande): something the police, the municipality or both
/// promise to do.
#[Object]
impl Commitment {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        encode(NodeType::Commitment, self.0.id)
    }
    /// What is promised, as written in the promise.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Who carries it out (ansvarig).
    async fn responsible(&self) -> ResponsibleParty {
        self.0.responsible.into()
    }
    /// Where it stands (status).
    async fn status(&self) -> CommitmentStatus {
        self.0.status.into()
    }
    /// Position within its focus area or promise, from 0.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Measurable target, when the promise gives one.
    async fn target(&self, ctx: &Context<'_>) -> ApiResult<Option<Target>> {
        let Some(target) = target_of(&self.0) else {
            return Ok(None);
        };
        let years = progress_data(ctx, self.0.promise_id).await?.calendar_years;
        Ok(Some(Target {
            quantity: target.quantity,
            unit: self.0.target_unit.clone().unwrap_or_default(),
            period: target.period.into(),
            total: progress::total_target(target, years),
        }))
    }
    /// Quantity achieved so far: the sum reported by its follow-ups.
    async fn achieved_quantity(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let data = progress_data(ctx, self.0.promise_id).await?;
        Ok(data.achieved.get(&self.0.id).copied().unwrap_or(0))
    }
    /// Share carried out, 0 to 1, computed from the target and follow-ups (or, without a
    /// target, 1 when done and 0 otherwise).
    async fn progress(&self, ctx: &Context<'_>) -> ApiResult<f64> {
        let data = progress_data(ctx, self.0.promise_id).await?;
        Ok(commitment_progress(&data, &self.0))
    }
    /// Follow-ups (uppföljningar), oldest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn follow_ups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size counted back from `before` (or the end), at most 100.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first item of the next page.")] before: Option<String>,
    ) -> ApiResult<FollowUpConnection> {
        let args = PageArgs::new(first, after.as_deref(), last, before.as_deref())?;
        let all: Vec<follow_up::Model> = list(ctx, FollowUpsOfCommitment(self.0.id)).await?;
        let (items, page, total) = args.slice(all);
        Ok(connection(items.into_iter().map(FollowUp).collect(), page, total).into())
    }
    /// The focus area it belongs to, if any.
    async fn focus_area(&self, ctx: &Context<'_>) -> ApiResult<Option<FocusArea>> {
        match self.0.focus_area_id {
            Some(id) => Ok(one(ctx, FocusAreaById(id)).await?.map(FocusArea)),
            None => Ok(None),
        }
    }
    /// The promise it belongs to.
    async fn promise(&self, ctx: &Context<'_>) -> ApiResult<Option<Promise>> {
        Ok(one(ctx, PromiseById(self.0.promise_id))
            .await?
            .map(Promise::from))
    }
    /// The contact responsible for it, when one is named.
    async fn contact(&self, ctx: &Context<'_>) -> ApiResult<Option<Contact>> {
        match self.0.contact_id {
            Some(id) => Ok(one(ctx, ContactById(id)).await?.map(Contact)),
            None => Ok(None),
        }
    }
}

/// A follow-up (uppföljning) of a commitment.
#[derive(Clone)]
pub struct FollowUp(pub follow_up::Model);

/// A follow-up (uppföljning) of a commitment.
#[Object]
impl FollowUp {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        encode(NodeType::FollowUp, self.0.id)
    }
    /// The date the follow-up reports on.
    async fn date(&self) -> Date {
        Date(self.0.date)
    }
    /// What was done (beskrivning).
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// How many units of the target this follow-up reports, if any.
    async fn achieved_quantity(&self) -> Option<i32> {
        self.0.achieved_quantity
    }
}

/// A person or mailbox residents can turn to (kontaktperson). The email address is private
/// and never part of the public API.
#[derive(Clone)]
pub struct Contact(pub contact::Model);

/// A person or mailbox residents can turn to (kontaktperson). The email address is private
/// and never part of the public API.
#[Object]
impl Contact {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        encode(NodeType::Contact, self.0.id)
    }
    /// Name, e.g. "Erika Gustavsson".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Role title (roll), e.g. "kommunpolis" or "Folkhälsostrateg"; "Funktionsbrevlåda"
    /// for a placeholder mailbox (whose name is then its organisation's).
    async fn role(&self) -> &str {
        crate::domain::contact::public_role(&self.0.role, self.0.is_placeholder)
    }
    /// Kind of organisation.
    async fn organisation_kind(&self) -> OrganisationKind {
        self.0.organisation_kind.into()
    }
    /// Organisation name, e.g. "Polismyndigheten" or "Melleruds kommun".
    async fn organisation(&self) -> &str {
        &self.0.organisation
    }
    /// Telephone number as published, e.g. "010-56 526 86".
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// True for a stand-in mailbox that no source page names (the municipality's general
    /// address), rather than a named person.
    async fn is_placeholder(&self) -> bool {
        self.0.is_placeholder
    }
    /// True when a tip sent with this contact as `recipient` reaches it (it has an email
    /// address for routing). Show a "send a tip" action only for these.
    async fn accepts_tips(&self) -> bool {
        crate::domain::contact::accepts_tips(self.0.email.as_deref())
    }
}
