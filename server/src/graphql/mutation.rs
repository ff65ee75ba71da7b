//! Public mutations: `submitTip`.

use std::net::IpAddr;

use async_graphql::{Context, Object};
use sea_orm::DatabaseConnection;

use super::{
    errors::{ApiError, ApiResult},
    ids::{self, NodeType},
    types::{SubmitTipInput, SubmitTipPayload, Tip, TipKind},
};
pub use crate::service::tips::TipIntake;
use crate::{
    domain::tip::EMERGENCY_NOTICE_SV,
    service::tips::{Concerns, PhotoUpload, PlaceSubmission, TipSubmission},
};

/// The client's address for this request (after the trusted-proxy walk).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

pub(crate) fn decode_concerns(id: &str) -> ApiResult<Concerns> {
    match ids::decode(id, "concerns")? {
        (NodeType::Promise, row) => Ok(Concerns::Promise(row)),
        (NodeType::FocusArea, row) => Ok(Concerns::FocusArea(row)),
        (NodeType::Commitment, row) => Ok(Concerns::Commitment(row)),
        _ => Err(ApiError::bad_input(
            "concerns",
            "expected the id of a promise, focus area or commitment",
        )),
    }
}

#[derive(Default)]
pub struct TipMutation;

#[Object]
impl TipMutation {
    /// Send an opinion, tip or idea (synpunkt, tips eller idé) to the people behind a
    /// municipality's promise. It is routed to the named kommunpolis or strategist and
    /// delivered by email; a receipt goes to the resident's email if given. Rate-limited
    /// per client, per email address and in total (`RATE_LIMITED`).
    async fn submit_tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tip.")] input: SubmitTipInput,
    ) -> ApiResult<SubmitTipPayload> {
        let kind = match input.kind {
            TipKind::Opinion => "opinion",
            TipKind::Tip => "tip",
            TipKind::Idea => "idea",
        };
        let result = submit(ctx, input).await;
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(ApiError::RateLimited { .. }) => "rate_limited",
            Err(ApiError::Internal) => "error",
            Err(_) => "rejected",
        };
        crate::metrics::tip(kind, outcome);
        result
    }
}

/// Translate the input, let [`TipIntake::submit`] do the rest, and translate its answer.
async fn submit(ctx: &Context<'_>, input: SubmitTipInput) -> ApiResult<SubmitTipPayload> {
    let db = ctx
        .data::<DatabaseConnection>()
        .map_err(|_| ApiError::internal("database missing"))?;
    let intake = ctx
        .data::<TipIntake>()
        .map_err(|_| ApiError::internal("tip intake missing"))?;
    let client = ctx.data::<ClientIp>().map(|c| c.0).ok();
    let submission = match submission(ctx, input) {
        Ok(submission) => submission,
        Err(err) => {
            // A malformed id is invalid input like any other.
            intake.spend_invalid(client)?;
            return Err(err);
        }
    };
    let accepted = intake
        .submit(db, client, submission, intake.clock.now())
        .await?;
    Ok(SubmitTipPayload {
        tip: Tip {
            tip: accepted.tip,
            municipality: accepted.municipality,
            routed_to: accepted.routed_to,
        },
        status_token: accepted.status_token,
        notice: EMERGENCY_NOTICE_SV.to_owned(),
    })
}

/// The service's view of the input: global ids decoded, uploads read.
fn submission(ctx: &Context<'_>, input: SubmitTipInput) -> ApiResult<TipSubmission> {
    let max = crate::domain::photo::MAX_PHOTOS;
    if input.photos.as_ref().is_some_and(|p| p.len() > max) {
        return Err(
            ApiError::bad_input("photos", format!("at most {max} photos"))
                .with("max", crate::domain::Param::Int(max as i64)),
        );
    }
    let photos = input
        .photos
        .unwrap_or_default()
        .iter()
        .map(|upload| {
            let value = upload
                .value(ctx)
                .map_err(|_| ApiError::bad_input("photos", "the photo was not in the request"))?;
            let content_type = value.content_type.clone();
            let bytes = value.content.to_vec();
            Ok(PhotoUpload {
                content_type,
                bytes,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(TipSubmission {
        photos,
        use_photo_location: input.use_photo_location,
        municipality: input.municipality,
        kind: input.kind.into(),
        message: input.message,
        concerns: input
            .concerns
            .as_deref()
            .map(|id| decode_concerns(id))
            .transpose()?,
        recipient: input
            .recipient
            .as_deref()
            .map(|id| ids::decode_as(id, NodeType::Contact, "recipient"))
            .transpose()?,
        name: input.name,
        email: input.email,
        phone: input.phone,
        wants_reply: input.wants_reply,
        notify_on_update: input.notify_on_update,
        idempotency_key: input.idempotency_key,
        place: input.place.map(|p| PlaceSubmission {
            address: p.address,
            latitude: p.latitude,
            longitude: p.longitude,
        }),
    })
}
