//! The per-client, per-email and photo windows, counted in the database so that every
//! replica shares them.

use chrono::{DateTime, Utc};
use entity::{tip, tip_photo};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::ratelimit::Limit;

/// One sliding window of `submitTip`: tips stored with `hash` in `limit.window`.
#[derive(Clone, Copy, Debug)]
pub struct Window<'a> {
    pub hash: &'a str,
    pub limit: Limit,
}

/// The database half of the per-client and per-email limits, shared by every replica:
/// when the later of the two windows has room for one more tip, or `None` if both have
/// room now. A window is full when its `count`-th newest tip is still inside it; it
/// frees a slot exactly when that tip leaves, so the answer is the `Retry-After` of the
/// refusal and stays the same instant on every retry (a refused attempt stores nothing).
/// One statement for both windows.
pub async fn windows(
    db: &impl ConnectionTrait,
    per_ip: Option<Window<'_>>,
    per_email: Option<Window<'_>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, Order, Query, SubQueryStatement};
    let windows = [
        (per_ip, tip::Column::IpHash, "ip_full_since"),
        (per_email, tip::Column::EmailHash, "email_full_since"),
    ];
    let mut select = Query::select();
    let mut asked = Vec::new();
    for (window, column, alias) in windows {
        let Some(window) = window else { continue };
        let since = now - window.limit.window;
        let nth = Query::select()
            .column(tip::Column::ReceivedAt)
            .from(tip::Entity)
            .and_where(column.eq(window.hash))
            .and_where(tip::Column::ReceivedAt.gt(since))
            .order_by(tip::Column::ReceivedAt, Order::Desc)
            .limit(1)
            .offset(u64::from(window.limit.count.max(1) - 1))
            .to_owned();
        select.expr_as(
            Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(nth))),
            Alias::new(alias),
        );
        asked.push((alias, window.limit.window));
    }
    if asked.is_empty() {
        return Ok(None);
    }
    let Some(row) = db.query_one(&select).await? else {
        return Ok(None);
    };
    let mut free_at: Option<DateTime<Utc>> = None;
    for (alias, window) in asked {
        let full_since: Option<DateTime<Utc>> = row.try_get("", alias)?;
        if let Some(t) = full_since {
            let at = t + window;
            free_at = Some(free_at.map_or(at, |f| f.max(at)));
        }
    }
    Ok(free_at.filter(|at| *at > now))
}

/// The photo half of the per-client limit, shared by every replica: `None` when `adding`
/// more photos fit in the window beside those of the client's tips still inside it, or
/// when enough of them will have left. More photos than the limit at once never fit.
pub async fn photo_window(
    db: &impl ConnectionTrait,
    ip_hash: &str,
    limit: Limit,
    adding: usize,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    use sea_orm::{JoinType, QueryOrder, QuerySelect};
    let since = now - limit.window;
    let allowed = usize::try_from(limit.count).unwrap_or(usize::MAX);
    // Newest first: the time each of the client's photos in the window was sent.
    let sent: Vec<DateTime<Utc>> = tip_photo::Entity::find()
        .select_only()
        .column(tip::Column::ReceivedAt)
        .join(
            JoinType::InnerJoin,
            tip_photo::Entity::belongs_to(tip::Entity)
                .from(tip_photo::Column::TipId)
                .to(tip::Column::Id)
                .into(),
        )
        .filter(tip::Column::IpHash.eq(ip_hash))
        .filter(tip::Column::ReceivedAt.gt(since))
        .order_by_desc(tip::Column::ReceivedAt)
        .limit(u64::try_from(allowed).unwrap_or(u64::MAX))
        .into_tuple()
        .all(db)
        .await?;
    if sent.len() + adding <= allowed {
        return Ok(None);
    }
    // Room for `adding` once all but `allowed - adding` of them have left.
    let keep = allowed.saturating_sub(adding);
    let free_at = match sent.get(keep) {
        Some(t) => *t + limit.window,
        // More at once than the limit: as long as a whole window.
        None => now + limit.window,
    };
    Ok(Some(free_at))
}
