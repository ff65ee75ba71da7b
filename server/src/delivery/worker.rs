//! The worker loop and how one delivery is rendered and sent.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use entity::{DeliveryKind, commitment, contact, delivery, focus_area, municipality, promise, tip};
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
        let now = Utc::now();
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
                if !claim::mark_sent(&self.db, row.id, &self.id, Utc::now()).await? {
                    tracing::warn!(
                        delivery = row.id,
                        "lease lost before the delivery was marked sent"
                    );
                }
                crate::metrics::delivery("sent");
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
                let retry_at = Utc::now() + wait;
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
        let (municipality, municipality_official) =
            municipality::Entity::find_by_id(tip.municipality_id)
                .one(&self.db)
                .await?
                .map_or_else(Default::default, |m| {
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
        let message = match row.kind {
            DeliveryKind::Contact => render::to_contact(from, to, &email, row.id),
            DeliveryKind::Receipt => {
                let recipient = match tip.routed_contact_id {
                    Some(id) => contact::Entity::find_by_id(id)
                        .one(&self.db)
                        .await?
                        .map(|c| Recipient {
                            role: public_role(&c.role, c.is_placeholder).to_owned(),
                            name: c.name,
                        }),
                    None => None,
                };
                render::receipt(from, to, &email, recipient.as_ref(), row.id)
            }
        };
        Ok(message.map_err(|e| format!("the message could not be built: {e}")))
    }

    /// "Promise title › focus area title" for what the tip is about.
    async fn concerns(&self, tip: &tip::Model) -> Result<Option<String>, DbErr> {
        let mut parts = Vec::new();
        if let Some(id) = tip.concerns_promise_id
            && let Some(p) = promise::Entity::find_by_id(id).one(&self.db).await?
        {
            parts.push(p.title);
        }
        if let Some(id) = tip.concerns_focus_area_id
            && let Some(fa) = focus_area::Entity::find_by_id(id).one(&self.db).await?
        {
            parts.push(format!("fokusområde {}", fa.title));
        }
        if let Some(id) = tip.concerns_commitment_id
            && let Some(c) = commitment::Entity::find_by_id(id).one(&self.db).await?
        {
            parts.push(format!("aktivitet \"{}\"", c.text));
        }
        Ok((!parts.is_empty()).then(|| parts.join(" › ")))
    }
}

fn uuid_like() -> String {
    let bytes: [u8; 8] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
