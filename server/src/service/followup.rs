//! Follow-up of tips nobody has answered (issue 15): a tip still `NEW` on its due date
//! gets one reminder to its recipient; still `NEW` a configurable number of working
//! days later it is escalated to the municipality's default recipient (its routing rule
//! without focus area), or, when that is who already has it, to the admins' address,
//! or flagged for staff when none is configured.
//!
//! Every replica runs [`run`] on a timer. Each step is claimed in the database, not in
//! the process: a conditional `UPDATE tip SET reminded_at = … WHERE reminded_at IS NULL`
//! lets exactly one transaction through (PostgreSQL re-checks the condition after a
//! concurrent update commits; SQLite has one writer), and the outbox row it writes
//! carries a follow-up key that a unique index allows once per tip. The row, the claim
//! and the history entry commit together, so nothing is lost or doubled; the delivery
//! worker sends the email with its stable Message-ID.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{DeliveryKind, TipStatus, contact, delivery, municipality, routing_rule, tip};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Set, UpdateMany,
    sea_query::{Expr, OnConflict},
};

use crate::domain::calendar;

/// The follow-up key of a reminder row (unique per tip with `ESCALATION`'s).
pub const REMINDER_KEY: &str = "reminder";
pub const ESCALATION_KEY: &str = "escalation";

/// Knobs of the follow-up job (see the README).
#[derive(Clone, Debug)]
pub struct FollowupSettings {
    /// Working days after the due date before a tip still `NEW` is escalated.
    pub escalate_after: u32,
    /// Where escalations go when the recipient is the default already.
    pub admin_email: Option<String>,
}

/// What one run did (this replica's share; another may have done the rest).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub reminders: u64,
    pub escalations: u64,
    /// Escalations with nobody to send to: flagged for staff.
    pub flagged: u64,
}

/// The Swedish date of `now`.
pub fn swedish_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive()
}

/// The working day a tip due on `due_on` and still `NEW` is escalated.
pub fn escalation_day(due_on: NaiveDate, escalate_after: u32) -> Option<NaiveDate> {
    calendar::add_working_days(due_on, escalate_after)
}

/// One pass: remind and escalate what is due at `now`.
pub async fn run(
    db: &DatabaseConnection,
    settings: &FollowupSettings,
    now: DateTime<Utc>,
) -> Result<Report, DbErr> {
    let today = swedish_date(now);
    let waiting = tip::Entity::find()
        .filter(tip::Column::Status.eq(TipStatus::New))
        .filter(tip::Column::DueOn.lte(today))
        .filter(tip::Column::EscalatedAt.is_null())
        .all(db)
        .await?;
    let mut report = Report::default();
    for t in waiting {
        let Some(due_on) = t.due_on else { continue };
        let mut reminded = t.reminded_at.is_some();
        if !reminded && remind(db, &t, due_on, now).await? {
            report.reminders += 1;
            reminded = true;
        }
        let escalate_on = escalation_day(due_on, settings.escalate_after);
        if reminded && escalate_on.is_some_and(|day| today >= day) {
            match escalate(db, settings, &t, due_on, now).await? {
                Some(true) => report.flagged += 1,
                Some(false) => report.escalations += 1,
                None => {}
            }
        }
    }
    Ok(report)
}

/// Claim the reminder of `t` and enqueue it; false when another run (or a status
/// change) got there first.
async fn remind(
    db: &DatabaseConnection,
    t: &tip::Model,
    due_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let update = tip::Entity::update_many()
        .col_expr(tip::Column::RemindedAt, Expr::value(Some(now)))
        .filter(tip::Column::RemindedAt.is_null());
    if !claim(&txn, t, update).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    let recipient = match t.routed_contact_id {
        Some(id) => contact::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    let note = match recipient
        .as_ref()
        .and_then(|c| c.email.clone().map(|e| (c, e)))
    {
        Some((c, email)) => {
            enqueue_once(
                &txn,
                t.id,
                DeliveryKind::Reminder,
                REMINDER_KEY,
                Some(c.name.clone()),
                email,
                now,
            )
            .await?;
            format!(
                "Påminnelse skickad till {}: inget svar på förfallodagen {due_on}.",
                c.name
            )
        }
        None => format!("Inget svar på förfallodagen {due_on}; mottagaren saknar e-postadress."),
    };
    note_and_commit(txn, t, now, note).await?;
    crate::metrics::followup("reminder", "enqueued");
    Ok(true)
}

/// Run `update` on `t` if it is still `NEW`: the conditional update that claims a step.
/// Exactly one run, in any replica, changes the row; the others see 0 rows.
async fn claim(
    txn: &DatabaseTransaction,
    t: &tip::Model,
    update: UpdateMany<tip::Entity>,
) -> Result<bool, DbErr> {
    let changed = update
        .filter(tip::Column::Id.eq(t.id))
        .filter(tip::Column::Status.eq(TipStatus::New))
        .exec(txn)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

/// Record `note` as a system step in the tip's history (it stays `NEW`) and commit.
async fn note_and_commit(
    txn: DatabaseTransaction,
    t: &tip::Model,
    now: DateTime<Utc>,
    note: String,
) -> Result<(), DbErr> {
    super::tips::record_tip_event(
        &txn,
        t.id,
        now,
        "system",
        Some(TipStatus::New),
        TipStatus::New,
        Some(note),
    )
    .await?;
    txn.commit().await
}

/// Where an escalation goes.
enum Target {
    /// The municipality's default recipient.
    Default(contact::Model, String),
    /// The admins' address from the configuration.
    Admins(String),
    /// Nobody: the tip is flagged for staff.
    Flag,
}

/// Claim the escalation of `t` and enqueue it (or flag the tip). `Some(flagged)` when
/// this run did it, `None` when another got there first.
async fn escalate(
    db: &DatabaseConnection,
    settings: &FollowupSettings,
    t: &tip::Model,
    due_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<bool>, DbErr> {
    let target = target(db, settings, t).await?;
    let flagged = matches!(target, Target::Flag);
    let txn = crate::db::begin_write(db).await?;
    let update = tip::Entity::update_many()
        .col_expr(tip::Column::EscalatedAt, Expr::value(Some(now)))
        .col_expr(tip::Column::EscalationFlagged, Expr::value(flagged))
        .filter(tip::Column::RemindedAt.is_not_null())
        .filter(tip::Column::EscalatedAt.is_null());
    if !claim(&txn, t, update).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    let days = settings.escalate_after;
    let why = format!("inget svar {days} arbetsdagar efter förfallodagen {due_on}");
    let (to, note) = match target {
        Target::Default(c, email) => (
            Some((Some(c.name.clone()), email)),
            format!(
                "Eskalerat till kommunens huvudmottagare {} ({}): {why}.",
                c.name, c.role
            ),
        ),
        Target::Admins(email) => (
            Some((None, email)),
            format!("Eskalerat till administratörerna: {why}."),
        ),
        Target::Flag => (
            None,
            format!(
                "Flaggat för uppföljning: {why}, och det finns ingen annan att eskalera till \
                 (mottagaren är kommunens huvudmottagare och ingen administratörsadress är satt)."
            ),
        ),
    };
    if let Some((name, email)) = to {
        enqueue_once(
            &txn,
            t.id,
            DeliveryKind::Escalation,
            ESCALATION_KEY,
            name,
            email,
            now,
        )
        .await?;
    }
    note_and_commit(txn, t, now, note).await?;
    crate::metrics::followup("escalation", if flagged { "flagged" } else { "enqueued" });
    Ok(Some(flagged))
}

/// The municipality's default recipient, unless that is who has the tip already; then
/// the admins' address; else nobody.
async fn target(
    db: &impl ConnectionTrait,
    settings: &FollowupSettings,
    t: &tip::Model,
) -> Result<Target, DbErr> {
    let rule = routing_rule::Entity::find()
        .filter(routing_rule::Column::MunicipalityId.eq(t.municipality_id))
        .filter(routing_rule::Column::FocusAreaId.is_null())
        .one(db)
        .await?;
    if let Some(rule) = rule
        && Some(rule.contact_id) != t.routed_contact_id
        && let Some(c) = contact::Entity::find_by_id(rule.contact_id).one(db).await?
        && crate::domain::contact::accepts_tips(c.email.as_deref())
        && let Some(email) = c.email.clone()
    {
        return Ok(Target::Default(c, email));
    }
    Ok(match &settings.admin_email {
        Some(email) if !email.trim().is_empty() => Target::Admins(email.trim().to_owned()),
        _ => Target::Flag,
    })
}

/// Insert a follow-up row unless the tip has one with this key already.
async fn enqueue_once(
    txn: &impl ConnectionTrait,
    tip_id: i32,
    kind: DeliveryKind,
    key: &str,
    name: Option<String>,
    email: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut row = super::tips::pending_delivery(tip_id, kind, name, email, now);
    row.followup_key = Set(Some(key.to_owned()));
    delivery::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([delivery::Column::TipId, delivery::Column::FollowupKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Tips still `NEW` after their due date, per municipality slug (every municipality,
/// zeros included), for the `tips_overdue` gauge.
pub async fn overdue_by_municipality(
    db: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<Vec<(String, u64)>, DbErr> {
    let municipalities = municipality::Entity::find().all(db).await?;
    let overdue = tip::Entity::find()
        .filter(tip::Column::Status.eq(TipStatus::New))
        .filter(tip::Column::DueOn.lt(today))
        .all(db)
        .await?;
    Ok(municipalities
        .into_iter()
        .map(|m| {
            let n = overdue.iter().filter(|t| t.municipality_id == m.id).count() as u64;
            (m.slug, n)
        })
        .collect())
}

/// Publish the `tips_overdue` gauges (read by `/metrics` before it renders).
pub async fn publish(db: &impl ConnectionTrait, today: NaiveDate) -> Result<(), DbErr> {
    for (slug, n) in overdue_by_municipality(db, today).await? {
        crate::metrics::tips_overdue(&slug, n);
    }
    Ok(())
}

/// Whether a tip is overdue on `today`: still waiting for a first answer after its due date.
pub fn is_overdue(t: &tip::Model, today: NaiveDate) -> bool {
    t.status == TipStatus::New && t.due_on.is_some_and(|due| today > due)
}
