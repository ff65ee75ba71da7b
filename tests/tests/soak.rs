//! A bounded soak test on loopback: a few thousand tips submitted concurrently while the
//! SMTP server goes down and comes back at (seeded) random moments. Once it stays up,
//! every delivery must end SENT, every tip's email must have arrived, and none twice.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use e2e::{
    TestApp, error_codes, eventually,
    smtp::{LossyRelay, SmtpSink},
    spawn_app_with,
    tips::quick,
};
use entity::{DeliveryKind, DeliveryStatus, delivery, tip};
use mail_parser::MessageParser;
use sea_orm::EntityTrait;
use serde_json::json;
use server::config::{Config, Secret};

/// Tips in total, and how many clients send them at once.
const TIPS: usize = 2000;
const CLIENTS: usize = 4;
/// Every n-th tip gives an email address, so it also gets a receipt.
const RECEIPT_EVERY: usize = 10;

const MUNICIPALITIES: [&str; 6] = [
    "mellerud",
    "stenungsund",
    "orust",
    "tjorn",
    "almhult",
    "asele",
];

/// A 64-bit linear congruential generator (Knuth's MMIX constants): reproducible
/// outages for a given seed without an extra dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Uniform in `lo..hi` (milliseconds here; the bias is irrelevant).
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// Fast retries that never give up, for deliveries through `smtp_url`.
fn soak_config(c: &mut Config, smtp_url: String) {
    quick(c, None);
    c.smtp_url = Some(Secret::new(smtp_url));
    c.delivery_backoff_base_ms = 20;
    c.delivery_poll_interval_ms = 50;
    c.delivery_batch_size = 50;
    c.delivery_max_attempts = 100_000;
    c.smtp_pool_size = 4;
    c.delivery_lease_secs = 5;
}

fn message_for(i: usize) -> String {
    format!("Soak-tips nummer {i}: trafiken på Storgatan 🚗 är för snabb på kvällarna.")
}

async fn submit_range(app: Arc<TestApp>, ids: Vec<usize>) -> Vec<(usize, String)> {
    let mut accepted = Vec::with_capacity(ids.len());
    for i in ids {
        let municipality = MUNICIPALITIES[i % MUNICIPALITIES.len()];
        let kind = ["TIP", "IDEA", "OPINION"][i % 3];
        let mut input =
            json!({ "municipality": municipality, "kind": kind, "message": message_for(i) });
        if i % RECEIPT_EVERY == 0 {
            input["email"] = json!(format!("boende{i}@exempel.se"));
        }
        let body = e2e::tips::submit(&app, input).await;
        assert!(
            body.get("errors").is_none(),
            "tip {i} refused: {:?} {body}",
            error_codes(&body)
        );
        let reference = body["data"]["submitTip"]["tip"]["reference"]
            .as_str()
            .expect("a reference")
            .to_owned();
        accepted.push((i, reference));
    }
    accepted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deliveries_survive_a_flapping_smtp_server_exactly_once() {
    let started = Instant::now();
    let smtp = Arc::new(SmtpSink::start());
    let app = Arc::new(
        spawn_app_with(|c| {
            soak_config(c, smtp.url());
        })
        .await,
    );

    // The SMTP server flaps: down and up for 20–400 ms at a time, from a fixed seed.
    let stop = Arc::new(AtomicBool::new(false));
    let outages = Arc::new(AtomicUsize::new(0));
    let flapper = {
        let (smtp, stop, outages) = (smtp.clone(), stop.clone(), outages.clone());
        tokio::spawn(async move {
            let mut rng = Lcg(0x5eed_f50a);
            let mut down = false;
            while !stop.load(Ordering::SeqCst) {
                down = !down;
                smtp.set_down(down);
                if down {
                    outages.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(rng.between(20, 400))).await;
            }
            smtp.set_down(false);
        })
    };

    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let ids: Vec<usize> = (c..TIPS).step_by(CLIENTS).collect();
            tokio::spawn(submit_range(app.clone(), ids))
        })
        .collect();
    let mut references: HashMap<String, usize> = HashMap::new();
    for client in clients {
        for (i, reference) in client.await.expect("a client finished") {
            assert!(
                references.insert(reference.clone(), i).is_none(),
                "reference {reference} given twice"
            );
        }
    }
    let submitted_in = started.elapsed();
    // Keep flapping a little after the last submission, so the tail also sees outages.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    flapper.await.expect("the flapper stopped");
    smtp.set_down(false);
    assert_eq!(references.len(), TIPS, "every tip accepted");
    let outages = outages.load(Ordering::SeqCst);
    assert!(
        outages >= 5,
        "only {outages} outages: the test did not soak"
    );

    // Drain: SMTP stays up until every delivery is SENT.
    let receipts = TIPS.div_ceil(RECEIPT_EVERY);
    let expected_rows = (TIPS + receipts) as u64;
    eventually(
        &format!("all {expected_rows} deliveries SENT (submitted in {submitted_in:?})"),
        || async {
            let rows = delivery::Entity::find().all(&app.db).await.expect("rows");
            (rows.len() as u64 == expected_rows
                && rows.iter().all(|d| d.status == DeliveryStatus::Sent))
            .then_some(())
        },
    )
    .await;
    // Anything still in flight after SENT would be a duplicate; give it a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let rows = delivery::Entity::find().all(&app.db).await.expect("rows");
    let tips = tip::Entity::find().all(&app.db).await.expect("tips");
    assert_eq!(tips.len(), TIPS);
    let retried = rows.iter().filter(|d| d.attempts > 1).count();
    assert!(
        retried > 0,
        "no delivery ever failed: the outages did not reach the worker"
    );
    assert!(rows.iter().all(|d| d.sent_at.is_some()));

    // What arrived, by Message-ID.
    let messages = smtp.messages();
    let parser = MessageParser::default();
    let mut arrived: HashMap<String, Vec<mail_parser::Message>> = HashMap::new();
    for raw in &messages {
        let parsed = parser.parse(raw).expect("a parsable message");
        let id = parsed.message_id().expect("a Message-ID").to_owned();
        arrived.entry(id).or_default().push(parsed.into_owned());
    }
    let duplicates: Vec<(&String, usize)> = arrived
        .iter()
        .filter(|(_, m)| m.len() > 1)
        .map(|(id, m)| (id, m.len()))
        .collect();
    assert!(duplicates.is_empty(), "sent more than once: {duplicates:?}");

    // Every tip's contact email arrived, for the right tip; every receipt too.
    let tip_by_id: HashMap<i32, &tip::Model> = tips.iter().map(|t| (t.id, t)).collect();
    let mut contact_emails = 0;
    let mut receipt_emails = 0;
    let mut tips_with_contact_email = HashSet::new();
    for row in &rows {
        let id = format!("delivery-{}@medborgarloften.example", row.id);
        let Some(copies) = arrived.get(&id) else {
            panic!("delivery {} ({:?}) never arrived", row.id, row.kind);
        };
        let message = &copies[0];
        let tip = tip_by_id[&row.tip_id];
        let subject = message.subject().unwrap_or_default();
        assert!(
            subject.contains(&tip.reference),
            "{id} is about {subject:?}, not {}",
            tip.reference
        );
        let to = message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default();
        assert_eq!(to, row.recipient_email, "{id}");
        match row.kind {
            DeliveryKind::Contact => {
                contact_emails += 1;
                tips_with_contact_email.insert(tip.id);
                let i = references[&tip.reference];
                let text = message.body_text(0).expect("a text part");
                assert!(text.contains(&message_for(i)), "{id}: {text}");
            }
            DeliveryKind::Receipt => receipt_emails += 1,
            // The soak runs for minutes, far from any due date, and moves no tip on.
            other => panic!("{id}: unexpected {other:?} email in the soak"),
        }
    }
    assert_eq!(
        contact_emails, TIPS,
        "accepted tips == contact emails delivered"
    );
    assert_eq!(tips_with_contact_email.len(), TIPS, "one per tip");
    assert_eq!(receipt_emails, receipts);
    assert_eq!(
        messages.len(),
        rows.len(),
        "nothing arrived beyond the deliveries"
    );
    eprintln!(
        "soak: {TIPS} tips in {submitted_in:?}, {outages} outages, {retried} deliveries retried, \
         all {} delivered once in {:?}",
        rows.len(),
        started.elapsed()
    );
}

/// Tips for the lost-reply soak: enough for many losses, small enough to stay short.
const LOSSY_TIPS: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lost_replies_after_a_whole_message_cause_at_most_one_copy_each() {
    let smtp = Arc::new(SmtpSink::start());
    // In front of the sink: takes the whole message, then drops the connection instead
    // of passing on the relay's answer, while switched on.
    let relay = Arc::new(LossyRelay::start(smtp.addr).await);
    let app = Arc::new(
        spawn_app_with(|c| {
            soak_config(c, relay.url());
        })
        .await,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flapper = {
        let (relay, stop) = (relay.clone(), stop.clone());
        tokio::spawn(async move {
            let mut rng = Lcg(0x1057_2e91);
            let mut losing = false;
            while !stop.load(Ordering::SeqCst) {
                losing = !losing;
                relay.set_lose_replies(losing);
                tokio::time::sleep(Duration::from_millis(rng.between(20, 300))).await;
            }
            relay.set_lose_replies(false);
        })
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let ids: Vec<usize> = (c..LOSSY_TIPS).step_by(CLIENTS).collect();
            tokio::spawn(submit_range(app.clone(), ids))
        })
        .collect();
    for client in clients {
        client.await.expect("a client finished");
    }
    // Keep losing replies until some were lost, so the test cannot pass without them.
    eventually("replies lost while tips are delivered", || async {
        (relay.lost() >= 1).then_some(())
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    flapper.await.expect("the flapper stopped");
    relay.set_lose_replies(false);

    let receipts = LOSSY_TIPS.div_ceil(RECEIPT_EVERY);
    let expected_rows = (LOSSY_TIPS + receipts) as u64;
    let rows = eventually("every delivery SENT after the losses", || async {
        let rows = delivery::Entity::find().all(&app.db).await.expect("rows");
        (rows.len() as u64 == expected_rows
            && rows.iter().all(|d| d.status == DeliveryStatus::Sent))
        .then_some(rows)
    })
    .await;
    let lost = relay.lost();

    let mut copies: HashMap<String, usize> = HashMap::new();
    for raw in smtp.messages() {
        let id = e2e::smtp::message_id(&raw).expect("a Message-ID");
        *copies.entry(id).or_default() += 1;
    }
    for row in &rows {
        let id = format!("delivery-{}@medborgarloften.example", row.id);
        assert!(
            copies.contains_key(&id),
            "delivery {} never arrived",
            row.id
        );
    }
    assert_eq!(
        copies.len(),
        rows.len(),
        "nothing arrived beyond the deliveries"
    );
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    // The README's bound: a lost reply is retried, so at most one extra copy per lost
    // reply, always with the delivery's own Message-ID (counted by it above).
    assert!(
        duplicates <= lost,
        "{duplicates} duplicates from {lost} lost replies"
    );
    assert!(
        duplicates > 0,
        "{lost} lost replies but no duplicate: nothing was lost"
    );
    eprintln!(
        "lossy soak: {} deliveries, {lost} replies lost, {duplicates} duplicates",
        rows.len()
    );
}
