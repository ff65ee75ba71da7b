//! Public mutations: `submitTip`.

use std::{net::IpAddr, sync::Arc, time::Duration};

use async_graphql::{Context, Object};
use chrono::Utc;
use sea_orm::{DatabaseConnection, SqlErr};
use tokio::sync::Notify;

use super::{
    errors::{ApiError, ApiResult},
    ids::{self, NodeType},
    types::{SubmitTipInput, SubmitTipPayload, Tip, TipKind},
};
use crate::{
    email::render::EMERGENCY_NOTICE_SV,
    ratelimit::{Refused, TipLimiter, retry_after_secs},
    service::{
        routing::RoutingCache,
        tips::{self, Concerns, SubmitError, TipSubmission, ValidTip, Window},
    },
};

/// What `submitTip` needs besides the database; one per process.
#[derive(Clone)]
pub struct TipIntake {
    /// The in-memory limits, and every limit's configuration.
    pub limiter: Arc<TipLimiter>,
    pub ip_hash_key: Vec<u8>,
    /// Wakes the delivery worker at once for a new tip.
    pub wake_worker: Arc<Notify>,
    /// Municipalities' contacts and routing rules, kept per catalogue generation.
    pub routing: Arc<RoutingCache>,
}

/// The client's address for this request (after the trusted-proxy walk).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

pub(super) fn limited(refused: Refused) -> ApiError {
    ApiError::RateLimited {
        retry_after_secs: retry_after_secs(refused.retry_after),
    }
}

fn decode_concerns(id: &str) -> Result<Concerns, ApiError> {
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

/// The submission itself; [`TipMutation::submit_tip`] counts its outcome.
///
/// Validation comes first and spends no quota; an invalid submission only spends the
/// client's own invalid-attempt budget. A valid one is then checked against the
/// per-client and per-email windows in the database (which a refusal does not extend),
/// and last against this replica's global ceiling.
async fn submit(ctx: &Context<'_>, input: SubmitTipInput) -> Result<SubmitTipPayload, ApiError> {
    let db = ctx
        .data::<DatabaseConnection>()
        .map_err(|_| ApiError::internal("database missing"))?;
    let intake = ctx
        .data::<TipIntake>()
        .map_err(|_| ApiError::internal("tip intake missing"))?;
    let client = ctx.data::<ClientIp>().map(|c| intake.limiter.key(c.0)).ok();
    let now = Utc::now();

    let (submission, valid) = match checked(db, intake, input, now).await {
        Ok(Checked::Replay(original)) => return Ok(payload(*original)),
        Ok(Checked::Valid(checked)) => *checked,
        Err(err @ ApiError::BadUserInput { .. }) => {
            // Past its own budget the client learns nothing more from validation.
            if let Some(client) = client {
                intake.limiter.check_invalid(client).map_err(limited)?;
            }
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    let limits = intake.limiter.limits();
    let ip_hash = client.map(|ip| tips::hash_ip(&intake.ip_hash_key, ip));
    let email_hash = valid
        .email
        .as_ref()
        .map(|email| tips::hash_email(&intake.ip_hash_key, email.as_ref()));
    // Both windows, counted across every replica, in one statement.
    let free_at = tips::windows(
        db,
        ip_hash.as_deref().map(|hash| Window {
            hash,
            limit: limits.per_ip,
        }),
        email_hash.as_deref().map(|hash| Window {
            hash,
            limit: limits.per_email,
        }),
        now,
    )
    .await?;
    if let Some(free_at) = free_at {
        let wait = (free_at - now).to_std().unwrap_or(Duration::from_secs(1));
        return Err(limited(Refused { retry_after: wait }));
    }
    intake.limiter.check_global().map_err(limited)?;
    let mut valid = ValidTip {
        email_hash: email_hash.clone(),
        ..valid
    };
    let mut stored = tips::store(db, &intake.ip_hash_key, &valid, ip_hash.clone(), now).await;
    if let Err(SubmitError::Db(err)) = &stored
        && matches!(
            err.sql_err(),
            Some(SqlErr::ForeignKeyConstraintViolation(_))
        )
    {
        // Routed by a snapshot older than an edit made on another replica (a contact
        // deleted within the last poll interval): route again from the database.
        intake.routing.forget();
        valid = tips::validate(db, &intake.routing, &submission)
            .await?;
        valid.email_hash = email_hash;
        stored = tips::store(db, &intake.ip_hash_key, &valid, ip_hash, now).await;
    }
    let accepted = stored?;
    intake.wake_worker.notify_one();
    tracing::info!(
        reference = %accepted.tip.reference,
        kind = ?accepted.tip.kind,
        routed = accepted.routed_to.is_some(),
        "tip accepted"
    );
    Ok(payload(accepted))
}

/// A submission after decoding and validation.
enum Checked {
    /// An idempotent replay of a stored tip: answered as before, no limit applies.
    Replay(Box<tips::Accepted>),
    Valid(Box<(TipSubmission, ValidTip)>),
}

/// Decode and validate; reads only, spends no quota.
async fn checked(
    db: &DatabaseConnection,
    intake: &TipIntake,
    input: SubmitTipInput,
    now: chrono::DateTime<Utc>,
) -> Result<Checked, ApiError> {
    let submission = TipSubmission {
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
        idempotency_key: input.idempotency_key,
    };

    // A replay is answered before any limit: it stores and sends nothing.
    if let Some(key) = &submission.idempotency_key
        && let Some(original) = tips::replay(
            db,
            &intake.ip_hash_key,
            key,
            &submission.request_hash(),
            now,
        )
        .await?
    {
        return Ok(Checked::Replay(Box::new(original)));
    }
    let valid = tips::validate(db, &intake.routing, &submission)
        .await?;
    Ok(Checked::Valid(Box::new((submission, valid))))
}

fn payload(accepted: tips::Accepted) -> SubmitTipPayload {
    SubmitTipPayload {
        tip: Tip {
            tip: accepted.tip,
            municipality: accepted.municipality,
            routed_to: accepted.routed_to,
        },
        status_token: accepted.status_token,
        notice: EMERGENCY_NOTICE_SV.to_owned(),
    }
}
