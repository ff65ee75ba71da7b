//! Public tip fields, answered without a token: a resident's `tipStatus` and the
//! anonymous `tipStatistics` of a municipality.

use async_graphql::{Context, Object};

use super::{
    context::db,
    errors::{ApiError, ApiResult},
    mutation::{ClientIp, TipIntake},
    staff::{TipCount, TipStatistics, TipStatusResult},
    types::{Date, DateTime},
};
use crate::service::{privacy, staff};

#[derive(Default)]
pub struct PublicTipQuery;

#[Object]
impl PublicTipQuery {
    /// Public, anonymous statistics of the tips sent to a municipality.
    async fn tip_statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality by kommunkod or slug.")] municipality: String,
        #[graphql(desc = "First day (inclusive); the period starts with its month.")] from: Date,
        #[graphql(desc = "Last day (inclusive); the period ends with its month.")] to: Date,
    ) -> ApiResult<TipStatistics> {
        let db = db(ctx)?;
        if to.0 < from.0 {
            return Err(ApiError::bad_input("to", "`to` is before `from`"));
        }
        let m = crate::service::catalog::municipality_by_code_or_slug(db, &municipality)
            .await?
            .ok_or_else(|| {
                ApiError::bad_input("municipality", "no municipality has that code or slug")
            })?;
        let start = from.0.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
        let end =
            to.0.succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc());
        let (Some(start), Some(end)) = (start, end) else {
            return Err(ApiError::bad_input("to", "dates out of range"));
        };
        let today = ctx
            .data::<TipIntake>()
            .map(|intake| intake.clock.today())
            .unwrap_or_else(|_| crate::service::followup::swedish_date(chrono::Utc::now()));
        let stats = privacy::statistics_on(db, m.id, start, end, today).await?;
        Ok(TipStatistics {
            total_count: stats.total,
            counts: stats
                .buckets
                .into_iter()
                .filter_map(|b| {
                    b.count.map(|count| TipCount {
                        month: b.month,
                        kind: b.kind.into(),
                        count,
                    })
                })
                .collect(),
            share_handled: stats.share_handled,
            median_hours_to_handled: stats.median_hours_to_handled,
            share_answered_within_target: stats.share_answered_within_target,
        })
    }

    /// For residents: the status of their tip, given the reference and the private
    /// `statusToken` from `submitTip`. Never the content. `NOT_FOUND` when they do not match.
    async fn tip_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Reference, e.g. \"MEL-7K3F-9Q\".")] reference: String,
        #[graphql(desc = "The statusToken returned by submitTip.")] status_token: String,
    ) -> ApiResult<TipStatusResult> {
        // Counted per resolved field: every alias and every operation of a batch.
        if let (Ok(intake), Ok(client)) = (ctx.data::<TipIntake>(), ctx.data::<ClientIp>()) {
            intake.limiter.check_status(client.0)?;
        }
        let found = staff::public_status(db(ctx)?, &reference, &status_token).await?;
        let found = found.ok_or(ApiError::NotFound("tip"))?;
        Ok(TipStatusResult {
            status: found.status.into(),
            handled_at: found.handled_at.map(DateTime),
            reply_sent_at: found.replied_at.map(DateTime),
            response_days: found.response_days,
            due_on: found.due_on.map(Date),
        })
    }
}
