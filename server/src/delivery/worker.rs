//! The worker loop and how one delivery is rendered and sent.

use std::{sync::Arc, time::Duration};

use entity::{DeliveryKind, TipStatus, contact, delivery, municipality, tip};
use lettre::message::Mailbox;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::{Notify, watch};

use super::claim;
use crate::{
    domain::{backoff, contact::public_role, email_address, routing::RoutingReason},
    email::{
        Mailer,
        render::{self, Recipient, TipEmail},
        transport::{FailureCause, SendFailure},
    },
};

/// Knobs of the delivery worker (see the README for defaults).
#[derive(Clone, Debug)]
pub struct DeliverySettings {
    pub from: Mailbox,
    pub max_attempts: i32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub poll_interval: Duration,
    /// Must exceed `send_timeout`, so a slow send is never claimed twice.
    pub lease: Duration,
    /// The longest one send may take (`SMTP_TIMEOUT_SECS`), whatever the relay does: a
    /// relay that never answers fails the attempt (retried) instead of holding the
    /// worker past its lease.
    pub send_timeout: Duration,
    pub batch_size: u64,
    /// Where the web inbox is (`PUBLIC_BASE_URL`, else the listen address), for the
    /// inbox link in tip emails, reminders and escalations; `None` without a web UI.
    pub public_base_url: Option<String>,
    /// What time it is (the system clock; tests set their own).
    pub clock: crate::clock::Clock,
}

#[derive(Clone)]
pub struct Worker {
    db: DatabaseConnection,
    mailer: Mailer,
    settings: Arc<DeliverySettings>,
    id: String,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(
        db: DatabaseConnection,
        mailer: Mailer,
        settings: DeliverySettings,
        wake: Arc<Notify>,
    ) -> Self {
        let id = format!("worker-{}", uuid_like());
        Self {
            db,
            mailer,
            settings: Arc::new(settings),
            id,
            wake,
        }
    }

    /// Run until `stop` turns true: work while there is work, otherwise sleep until woken
    /// by a new tip or the poll interval passes (tips accepted by other replicas).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, transport = self.mailer.describe(), "delivery worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            match self.step().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(err) => {
                    tracing::error!(error = %err, "delivery worker could not reach the database")
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!(worker = %self.id, "delivery worker stopped");
    }

    /// Claim and process one batch; returns how many rows were claimed.
    pub async fn step(&self) -> Result<usize, DbErr> {
        let now = self.settings.clock.now();
        let lease_until = now + self.settings.lease;
        let claimed = claim::claim(
            &self.db,
            &self.id,
            now,
            lease_until,
            self.settings.batch_size,
        )
        .await?;
        let count = claimed.len();
        // Sends of one batch run concurrently; the SMTP pool bounds the connections.
        let sends = claimed.into_iter().map(|d| self.process(d));
        for result in futures_util::future::join_all(sends).await {
            result?;
        }
        Ok(count)
    }

    async fn process(&self, row: delivery::Model) -> Result<(), DbErr> {
        let outcome = match self.render(&row).await? {
            Ok(message) => {
                match tokio::time::timeout(self.settings.send_timeout, self.mailer.send(message))
                    .await
                {
                    Ok(sent) => sent,
                    Err(_) => Err(SendFailure::transient(
                        FailureCause::Timeout,
                        format!(
                            "the relay did not finish within {} s",
                            self.settings.send_timeout.as_secs()
                        ),
                    )),
                }
            }
            Err(reason) => Err(SendFailure::permanent(FailureCause::Message, reason)),
        };
        match outcome {
            Ok(()) => {
                if !claim::mark_sent(&self.db, row.id, &self.id, self.settings.clock.now()).await? {
                    tracing::warn!(
                        delivery = row.id,
                        "lease lost before the delivery was marked sent"
                    );
                }
                crate::metrics::delivery("sent");
                match row.kind {
                    DeliveryKind::Reminder => crate::metrics::followup("reminder", "sent"),
                    DeliveryKind::Escalation => crate::metrics::followup("escalation", "sent"),
                    _ => {}
                }
                tracing::info!(delivery = row.id, kind = ?row.kind, attempt = row.attempts, "delivery sent");
            }
            // Retrying cannot help: the relay refused for good (5xx), or the message
            // cannot be built or carried. Given up at once, with the reason for staff.
            // TLS and authentication failures belong here too: they fail every message
            // alike until an operator fixes the relay settings.
            Err(SendFailure {
                permanent: true,
                cause,
                reason: error,
            }) => {
                claim::mark_failed(&self.db, row.id, &self.id, &error, None).await?;
                crate::metrics::delivery("dead");
                tracing::error!(delivery = row.id, attempts = row.attempts, %cause, %error, "delivery failed permanently; not retried");
            }
            Err(SendFailure {
                cause,
                reason: error,
                ..
            }) if row.attempts >= self.settings.max_attempts => {
                let error = format!("gave up after {} attempts: {error}", row.attempts);
                claim::mark_failed(&self.db, row.id, &self.id, &error, None).await?;
                crate::metrics::delivery("dead");
                tracing::error!(delivery = row.id, attempts = row.attempts, %cause, %error, "delivery gave up");
            }
            Err(SendFailure {
                cause,
                reason: error,
                ..
            }) => {
                let wait = backoff::delay(
                    row.attempts,
                    self.settings.backoff_base,
                    self.settings.backoff_max,
                );
                let retry_at = self.settings.clock.now() + wait;
                claim::mark_failed(&self.db, row.id, &self.id, &error, Some(retry_at)).await?;
                crate::metrics::delivery("retried");
                tracing::warn!(delivery = row.id, attempt = row.attempts, retry_in_ms = wait.as_millis() as u64, %cause, %error, "delivery failed; will retry");
            }
        }
        Ok(())
    }

    /// Build the email for a row from the current tip data. `Ok(Err(_))` is a permanent
    /// problem with this row: it is given up at once.
    async fn render(
        &self,
        row: &delivery::Model,
    ) -> Result<Result<lettre::Message, String>, DbErr> {
        let Some(tip) = tip::Entity::find_by_id(row.tip_id).one(&self.db).await? else {
            return Ok(Err("the tip no longer exists".into()));
        };
        let found = municipality::Entity::find_by_id(tip.municipality_id)
            .one(&self.db)
            .await?;
        let response_days = found.as_ref().map(|m| m.response_days);
        let (municipality, municipality_official) = found.map_or_else(Default::default, |m| {
            let official = render::official_name(&m.name, &m.official_name).to_owned();
            (m.name, official)
        });
        let concerns = self.concerns(&tip).await?;
        // Addresses are stored as entered; headers and the envelope get the domain in
        // punycode, so an IDN address needs no SMTPUTF8 from the relay.
        let resident_email = tip.email.as_deref().and_then(email_address::sendable);
        let email = TipEmail {
            reference: tip.reference.clone(),
            kind: tip.kind,
            municipality,
            municipality_official,
            message: tip.message.clone(),
            concerns,
            resident_name: tip.name.clone(),
            resident_email,
            resident_phone: tip.phone.clone(),
            place: crate::domain::place::Place::stored(
                tip.place_address.as_deref(),
                tip.place_latitude_e6,
                tip.place_longitude_e6,
            )
            .map(|p| p.describe()),
            photos: match row.kind {
                DeliveryKind::Contact => photo_count(&self.db, tip.id).await?,
                _ => 0,
            },
            wants_reply: tip.wants_reply,
            reason: RoutingReason::parse(&tip.routing_reason),
            received_at: tip.received_at,
        };
        let Some(address) = email_address::sendable(&row.recipient_email) else {
            return Ok(Err(
                "the recipient address cannot receive mail (not a deliverable address)".into(),
            ));
        };
        let to = Mailbox::new(row.recipient_name.clone(), address);
        let from = &self.settings.from;
        let erased = tip.erased_at.is_some();
        let link = render::inbox_link(self.settings.public_base_url.as_deref(), &tip.reference);
        let message = match row.kind {
            DeliveryKind::Contact => render::to_contact(from, to, &email, link.as_deref(), row.id),
            DeliveryKind::Receipt => {
                let recipient = self.recipient(&tip).await?;
                render::receipt(from, to, &email, recipient.as_ref(), response_days, row.id)
            }
            DeliveryKind::Reminder => render::reminder(
                from,
                to,
                &email,
                erased,
                tip.due_on,
                link.as_deref(),
                row.id,
            ),
            DeliveryKind::Escalation => {
                let recipient = self.recipient(&tip).await?;
                render::escalation(
                    from,
                    to,
                    &email,
                    erased,
                    tip.due_on,
                    recipient.as_ref(),
                    link.as_deref(),
                    row.id,
                )
            }
            DeliveryKind::Update => {
                let status = row.body.as_deref().and_then(|s| {
                    <TipStatus as sea_orm::ActiveEnum>::try_from_value(&s.to_owned()).ok()
                });
                let Some(status) = status else {
                    return Ok(Err("the update names no status".into()));
                };
                render::status_update(from, to, &email, status, row.id)
            }
            DeliveryKind::Reply => {
                let Some(text) = row.body.as_deref().filter(|_| !erased) else {
                    return Ok(Err("the reply was erased before it was sent".into()));
                };
                render::reply(from, to, &email, text, row.id)
            }
        };
        Ok(message.map_err(|e| format!("the message could not be built: {e}")))
    }

    /// The contact a tip was routed to, as the resident may read it.
    async fn recipient(&self, tip: &tip::Model) -> Result<Option<Recipient>, DbErr> {
        Ok(match tip.routed_contact_id {
            Some(id) => contact::Entity::find_by_id(id)
                .one(&self.db)
                .await?
                .map(|c| Recipient {
                    role: public_role(&c.role, c.is_placeholder).to_owned(),
                    name: c.name,
                }),
            None => None,
        })
    }

    /// "Promise title › focus area title" for what the tip is about.
    async fn concerns(&self, tip: &tip::Model) -> Result<Option<String>, DbErr> {
        crate::service::staff::concerns(&self.db, tip).await
    }
}

fn uuid_like() -> String {
    let bytes: [u8; 8] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How many photos a tip has (none after erasure).
async fn photo_count(db: &sea_orm::DatabaseConnection, tip_id: i32) -> Result<usize, DbErr> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let n = entity::tip_photo::Entity::find()
        .filter(entity::tip_photo::Column::TipId.eq(tip_id))
        .count(db)
        .await?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}
