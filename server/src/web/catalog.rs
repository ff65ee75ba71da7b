//! What the pages show, read through the public GraphQL schema (the read schema, then
//! the internal copy without the abuse limits, as the export uses) and typed with serde,
//! so a template can only use what the API really says.

use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::{graphql::prepare_request, http::AppState};

/// Why a read failed: the thing does not exist, or the schema could not answer.
pub enum ReadError {
    NotFound,
    Failed,
}

/// Run `query` with `variables` and read `data` as `T`.
async fn read<T: DeserializeOwned>(
    state: &AppState,
    query: &str,
    variables: Value,
) -> Result<T, ReadError> {
    let variables = async_graphql::Variables::from_json(variables);
    let request = |variables| {
        prepare_request(
            async_graphql::Request::new(query).variables(variables),
            &state.db,
        )
    };
    // As the HTTP layer does for anonymous catalogue reads: the schema without
    // extensions first, the internal one for anything it does not answer without error
    // (a page that does not exist, above all), so its errors are the ones read below.
    let mut response = state.read_schema.execute(request(variables.clone())).await;
    if !response.errors.is_empty() {
        response = state.internal_schema.execute(request(variables)).await;
    }
    let not_found = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| c == &async_graphql::Value::from("NOT_FOUND"))
    });
    if not_found {
        return Err(ReadError::NotFound);
    }
    if !response.errors.is_empty() {
        tracing::error!(errors = ?response.errors, "a page query failed");
        return Err(ReadError::Failed);
    }
    let data = response.data.into_json().map_err(|_| ReadError::Failed)?;
    serde_json::from_value(data).map_err(|err| {
        tracing::error!(error = %err, "a page query answered in an unexpected shape");
        ReadError::Failed
    })
}

#[derive(Deserialize)]
pub struct Nodes<T> {
    pub nodes: Vec<T>,
    #[serde(rename = "pageInfo")]
    pub page_info: PageInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct MunicipalityItem {
    pub name: String,
    pub slug: String,
    pub county: String,
}

/// Every municipality matching `search`, in Swedish order.
pub async fn municipalities(
    state: &AppState,
    search: Option<&str>,
) -> Result<Vec<MunicipalityItem>, ReadError> {
    #[derive(Deserialize)]
    struct Data {
        municipalities: Nodes<MunicipalityItem>,
    }
    const QUERY: &str = "query($search: String, $after: String) { municipalities(search: $search, first: 100, after: $after) { nodes { name slug county } pageInfo { hasNextPage endCursor } } }";
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data: Data = read(state, QUERY, json!({ "search": search, "after": after })).await?;
        all.extend(data.municipalities.nodes);
        match data.municipalities.page_info {
            PageInfo {
                has_next_page: true,
                end_cursor: Some(cursor),
            } => after = Some(cursor),
            _ => return Ok(all),
        }
    }
}

#[derive(Deserialize)]
pub struct Named {
    pub name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub phone: Option<String>,
    pub is_placeholder: bool,
    /// Tips can be routed to this contact.
    pub accepts_tips: bool,
}

#[derive(Deserialize)]
pub struct Target {
    pub quantity: i64,
    pub unit: String,
    pub period: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    pub date: String,
    pub text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commitment {
    pub text: String,
    pub responsible: String,
    pub status: String,
    pub target: Option<Target>,
    pub achieved_quantity: i64,
    pub progress: f64,
    pub follow_ups: FollowUps,
}

#[derive(Deserialize)]
pub struct FollowUps {
    pub nodes: Vec<FollowUp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FocusArea {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub commitments: Vec<Commitment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signatory {
    pub name: String,
    pub title: String,
    pub organisation: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub title: String,
    pub url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Promise {
    pub id: String,
    pub title: String,
    pub valid_from: String,
    pub valid_to: String,
    pub status: String,
    pub summary: String,
    pub situation: Option<String>,
    pub goal: Option<String>,
    pub follow_up: Option<String>,
    pub signed_on: Option<String>,
    pub signed_place: Option<String>,
    pub signatories: Vec<Signatory>,
    pub focus_areas: Vec<FocusArea>,
    pub commitments: Vec<Commitment>,
    pub sources: Vec<Source>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Municipality {
    pub name: String,
    pub slug: String,
    pub county: String,
    pub response_days: i32,
    pub police_areas: Vec<Named>,
    pub promises: Nodes<Promise>,
    pub contacts: Vec<Contact>,
}

const COMMITMENT: &str = "text responsible status achievedQuantity progress target { quantity unit period } followUps(first: 10) { nodes { date text } }";

/// A municipality with its promises (newest period first) and public contacts.
pub async fn municipality(state: &AppState, slug: &str) -> Result<Municipality, ReadError> {
    #[derive(Deserialize)]
    struct Data {
        municipality: Option<Municipality>,
    }
    let query = format!(
        "query($slug: String!) {{ municipality(slug: $slug) {{ name slug county responseDays policeAreas {{ name }} \
         contacts {{ id name role organisation phone isPlaceholder acceptsTips }} \
         promises(first: 20) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ id title validFrom validTo status summary situation goal followUp signedOn signedPlace \
         signatories {{ name title organisation }} sources {{ title url }} \
         focusAreas {{ id title description commitments {{ {COMMITMENT} }} }} commitments {{ {COMMITMENT} }} }} }} }} }}"
    );
    let data: Data = read(state, &query, json!({ "slug": slug })).await?;
    data.municipality.ok_or(ReadError::NotFound)
}

/// Swedish words for the API's enum values, for the pages.
impl Promise {
    pub fn status_sv(&self) -> &'static str {
        match self.status.as_str() {
            "ACTIVE" => "Gäller nu",
            "UPCOMING" => "Har inte börjat gälla",
            _ => "Har gått ut",
        }
    }
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

impl Commitment {
    pub fn responsible_sv(&self) -> &'static str {
        match self.responsible.as_str() {
            "POLICE" => "Polisen",
            "MUNICIPALITY" => "Kommunen",
            _ => "Polisen och kommunen tillsammans",
        }
    }
    pub fn status_sv(&self) -> &'static str {
        match self.status.as_str() {
            "PLANNED" => "Planerad",
            "IN_PROGRESS" => "Pågår",
            "DONE" => "Genomförd",
            _ => "Inte genomförd",
        }
    }
    /// Progress in whole percent, 0 to 100.
    pub fn percent(&self) -> u8 {
        (self.progress.clamp(0.0, 1.0) * 100.0).round() as u8
    }
}

impl Target {
    pub fn period_sv(&self) -> &'static str {
        match self.period.as_str() {
            "YEAR" => "per år",
            "SCHOOL_YEAR" => "per läsår",
            _ => "under perioden",
        }
    }
}
