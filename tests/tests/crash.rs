//! Crash tests with real processes: two replicas of the server binary on one PostgreSQL
//! database, one killed with SIGKILL while it holds leased deliveries. The other must
//! wait for those leases, then deliver; every accepted tip arrives, and only deliveries
//! in flight at the crash may arrive twice.
//!
//! PostgreSQL is required, not optional: without `TEST_DATABASE_URL` the test creates
//! its database on `postgres://postgres@127.0.0.1:5432/postgres` and fails when that
//! server cannot be reached.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::mpsc,
};

use e2e::{
    eventually,
    smtp::SmtpSink,
    tips::{SUBMIT, assert_waited_for_leases, held_at_death, leased_now, reference, tip_input},
};
use entity::{DeliveryStatus, delivery};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};

/// One server process and what its output told us.
struct Replica {
    child: Child,
    addr: SocketAddr,
    /// The delivery worker's id, as it writes it into `delivery.locked_by`.
    worker: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `e2e-server` (the real entry point) configured through the environment only,
/// on a port of its own choosing; read the address and worker id from its output.
fn start_replica(database_url: &str, smtp: &SmtpSink, mail_dir: &std::path::Path) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_e2e-server"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info,sqlx=warn,sea_orm=warn")
        .env("GRAPHIQL", "false")
        .env("SMTP_URL", smtp.url())
        .env("MAIL_DIR", mail_dir)
        .env("SMTP_TIMEOUT_SECS", "3")
        .env("SMTP_POOL_SIZE", "4")
        .env("DELIVERY_LEASE_SECS", "5")
        .env("DELIVERY_POLL_INTERVAL_MS", "100")
        .env("DELIVERY_BACKOFF_BASE_MS", "50")
        .env("DELIVERY_BACKOFF_MAX_SECS", "1")
        .env("DELIVERY_MAX_ATTEMPTS", "1000")
        .env("TIP_LIMIT_PER_IP", "10000")
        .env("TIP_LIMIT_PER_EMAIL", "10000")
        .env("TIP_LIMIT_GLOBAL", "10000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the e2e-server binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if e2e::logs::test_log() {
                eprintln!("[replica] {line}");
            }
            if tx.send(line).is_err() {
                // Nobody listens any more; keep draining so the process never blocks.
                continue;
            }
        }
    });
    let (mut addr, mut worker) = (None, None);
    while addr.is_none() || worker.is_none() {
        let line = rx.recv_timeout(e2e::PATIENCE).unwrap_or_else(|_| {
            panic!(
                "the replica exited or never started: {:?}",
                child.try_wait()
            )
        });
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = rest.trim_end_matches("/graphql").parse().ok();
        } else if let Ok(event) = serde_json::from_str::<Value>(&line)
            && event["fields"]["message"] == "delivery worker started"
        {
            worker = event["fields"]["worker"].as_str().map(str::to_owned);
        }
    }
    Replica {
        child,
        addr: addr.expect("address"),
        worker: worker.expect("worker id"),
    }
}

async fn submit_to(replica: &Replica, i: usize) -> String {
    let input = tip_input(
        "stenungsund",
        &format!("Tips {i} till två repliker innan en av dem dör."),
    );
    reference(&e2e::graphql_at(replica.addr, SUBMIT, json!({ "input": input })).await)
}

async fn rows(db: &DatabaseConnection) -> Vec<delivery::Model> {
    delivery::Entity::find().all(db).await.expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_while_holding_leases_loses_nothing() {
    let database_url = e2e::fresh_postgres_url()
        .await
        .expect("PostgreSQL must be reachable for the crash test");
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpSink::start();
    // Every send hangs: whoever claims a delivery holds its lease for a while.
    smtp.set_hang(true);
    // One after the other: the first migrates and seeds the empty database.
    let doomed = start_replica(&database_url, &smtp, dir.path());
    let survivor = start_replica(&database_url, &smtp, dir.path());
    assert_ne!(doomed.worker, survivor.worker);
    let (db, _) = server::db::connect(&database_url, 2).await.expect("db");

    const TIPS: usize = 20;
    for i in 0..TIPS {
        let replica = if i % 2 == 0 { &doomed } else { &survivor };
        submit_to(replica, i).await;
    }
    // Kill the doomed replica while it holds leases (its worker wakes for its own tips):
    // at once when they are seen, as each timed-out attempt releases its lease for a
    // moment before the next claim.
    let leasing = eventually("the doomed replica holding leases", || async {
        let leased = leased_now(rows(&db).await, Some(&doomed.worker));
        (!leased.is_empty()).then_some(leased)
    })
    .await;
    let mut doomed = doomed;
    doomed.child.kill().expect("SIGKILL");
    let status = doomed.child.wait().expect("reaped");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "killed by SIGKILL, no shutdown"
    );
    assert!(
        !leasing.is_empty(),
        "no lease was held just before the replica died"
    );
    // The leases it held as it died that the survivor has not yet taken over (it may
    // only once they run out, seconds from now).
    let held = held_at_death(rows(&db).await, Some(&doomed.worker));
    smtp.set_hang(false);

    // The survivor finishes everything.
    let done = eventually("every delivery SENT by the survivor", || async {
        let rows = rows(&db).await;
        (rows.len() == TIPS && rows.iter().all(|d| d.status == DeliveryStatus::Sent))
            .then_some(rows)
    })
    .await;
    let mut arrived: HashMap<String, usize> = HashMap::new();
    for raw in smtp.messages() {
        let id = e2e::smtp::message_id(&raw).expect("a Message-ID");
        *arrived.entry(id).or_default() += 1;
    }
    let held_ids: Vec<i32> = held.iter().map(|d| d.id).collect();
    let mut duplicates = 0;
    for row in &done {
        let copies = arrived
            .get(&format!("delivery-{}@medborgarloften.example", row.id))
            .copied()
            .unwrap_or(0);
        assert!(copies >= 1, "delivery {} never arrived", row.id);
        if copies > 1 {
            assert!(
                held_ids.contains(&row.id),
                "delivery {} arrived {copies} times but was not in flight at the crash",
                row.id
            );
            duplicates += copies - 1;
        }
    }
    // The crash window: at most one extra copy per delivery in flight when it died.
    assert!(
        duplicates <= held.len(),
        "{duplicates} duplicates, {} in flight",
        held.len()
    );
    assert_eq!(
        arrived.values().sum::<usize>(),
        TIPS + duplicates,
        "nothing arrived beyond the deliveries"
    );
    // The dead replica's rows waited for their lease, then went to the survivor.
    assert_waited_for_leases(&held, &done);
    for lease in &held {
        let row = done.iter().find(|r| r.id == lease.id).expect("same row");
        assert_eq!(row.locked_by.as_deref(), Some(survivor.worker.as_str()));
    }
    eprintln!(
        "crash: {TIPS} tips, {} leases held at SIGKILL, {duplicates} duplicates",
        held.len()
    );
}
