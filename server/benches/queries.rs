//! In-process execution of the standard public operations against the generated data set:
//! the schema is built as the server builds it and requests go straight to
//! `Schema::execute` (no HTTP, no JSON serialisation of the response).
//!
//! Needs a database filled by `examples/generate_data.rs`:
//!
//! ```text
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \
//!     cargo bench -p server --bench queries
//! ```
//!
//! `BENCH_SLUG` picks the municipality of scenario (a); by default the one with the
//! lowest kommunkod (the generator's target). `BENCH_DATABASE_URL_10X`, when set, names a
//! second database filled with `generate_data --scale 10`: the snapshot is then also
//! built from ten times the promises.
//!
//! The snapshot's size in memory is measured, not estimated: this binary counts the bytes
//! its allocator holds, and the size is what building a snapshot and keeping it adds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a development tool: a failure ends the run with its message"
)]

use std::{
    alloc::{GlobalAlloc, Layout, System},
    hint::black_box,
    net::{IpAddr, Ipv4Addr},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use async_graphql::{Request, Variables, dataloader::DataLoader};
use criterion::{Criterion, criterion_group, criterion_main};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;
use server::{
    graphql::{self, AppSchema, mutation::ClientIp, mutation::TipIntake, prepare_request},
    ratelimit::{Limit, TipLimiter, TipLimits},
    service::tips,
};
use tokio::sync::Notify;

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size as u64, Ordering::Relaxed);
        ALLOCATED.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Builds a snapshot of `db`, prints its rows and its size in memory, and benchmarks the build.
fn snapshot_bench(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    db: &DatabaseConnection,
    name: &str,
) {
    let before = ALLOCATED.load(Ordering::Relaxed);
    let snapshot = rt
        .block_on(server::service::snapshot::Snapshot::build(db))
        .expect("snapshot");
    let held = ALLOCATED.load(Ordering::Relaxed).saturating_sub(before);
    println!(
        "{name} rows={} text_bytes={} heap_bytes={held}",
        snapshot.rows(),
        snapshot.text_bytes()
    );
    drop(snapshot);
    c.bench_function(name, |b| {
        b.to_async(rt).iter(|| async {
            black_box(
                server::service::snapshot::Snapshot::build(db)
                    .await
                    .expect("snapshot"),
            )
        })
    });
}

const MUNICIPALITY: &str = include_str!("../../scripts/bench/municipality.graphql");
const PROMISES: &str = include_str!("../../scripts/bench/promises.graphql");
const SUBMIT_TIP: &str = include_str!("../../scripts/bench/submit_tip.graphql");
const MUNICIPALITIES: &str = "{ municipalities(first: 20) { nodes { code name slug county } } }";

struct Fixture {
    db: DatabaseConnection,
    statements: server::db::StatementCounter,
    schema: AppSchema,
    /// The schema without extensions that anonymous catalogue reads try first.
    read_schema: AppSchema,
    slug: String,
    codes: Vec<String>,
}

async fn fixture() -> Fixture {
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/bench".to_owned());
    let (db, statements) = server::db::connect(&url, 10)
        .await
        .expect("connect to BENCH_DATABASE_URL (fill it with examples/generate_data.rs)");
    let raised = Limit {
        count: u32::MAX,
        window: Duration::from_secs(1),
    };
    let intake = TipIntake {
        limiter: TipLimiter::new(TipLimits::all(raised)),
        ip_hash_key: tips::ip_hash_key(&db, None)
            .await
            .expect("read or create the IP hash key"),
        wake_worker: Arc::new(Notify::new()),
        routing: server::service::routing::RoutingCache::new(
            server::service::catalog_version::CatalogVersion::new(),
        ),
        clock: server::clock::Clock::system(),
    };
    let codes: Vec<String> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT code, slug FROM municipality ORDER BY code".to_owned(),
        ))
        .await
        .expect("list municipalities")
        .into_iter()
        .map(|row| row.try_get::<String>("", "code").expect("code column"))
        .collect();
    assert!(
        codes.len() >= 100,
        "the bench database holds {} municipalities; run examples/generate_data.rs first",
        codes.len()
    );
    let slug = match std::env::var("BENCH_SLUG") {
        Ok(slug) => slug,
        Err(_) => db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT slug FROM municipality ORDER BY code LIMIT 1".to_owned(),
            ))
            .await
            .expect("query the target municipality")
            .expect("one municipality")
            .try_get("", "slug")
            .expect("slug column"),
    };
    // The public schema with the default limits, as the server builds it.
    let config = server::config::Config::default();
    let guards = graphql::SchemaGuards {
        max_complexity: config.graphql_max_complexity,
        max_depth: config.graphql_max_depth,
        introspection: config.graphql_introspection,
    };
    // The catalogue snapshot public reads answer from, built as the server builds it.
    let snapshots = server::service::snapshot::SnapshotStore::new(
        server::service::catalog_version::CatalogVersion::new(),
    );
    snapshots.refresh(&db).await;
    Fixture {
        read_schema: graphql::build_read_schema(
            db.clone(),
            snapshots.clone(),
            intake.clone(),
            config.graphql_max_complexity / 4,
            config.graphql_max_depth,
        ),
        schema: graphql::build_schema(db.clone(), snapshots, intake, Some(guards)),
        db,
        statements,
        slug,
        codes,
    }
}

async fn run(f: &Fixture, request: Request) -> async_graphql::Response {
    let request = prepare_request(request, &f.db).data(ClientIp(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    f.schema.execute(request).await
}

/// The same request on the schema without extensions (as the HTTP layer runs an
/// anonymous catalogue read first).
async fn run_read(f: &Fixture, request: Request) -> async_graphql::Response {
    let request = prepare_request(request, &f.db).data(ClientIp(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    f.read_schema.execute(request).await
}

/// Diagnostic: the same request data as [`prepare_request`] but with a DataLoader that
/// does not wait its default 1 ms before each batch, to show how much of the sequential
/// latency is batching delay rather than work.
async fn run_without_loader_delay(f: &Fixture, request: Request) -> async_graphql::Response {
    let loader = DataLoader::new(
        graphql::loaders::CatalogLoader::new(f.db.clone()),
        tokio::spawn,
    )
    .delay(Duration::ZERO);
    let request = request
        .data(loader)
        .data(graphql::types::RequestDate(server::domain::period::today()))
        .data(ClientIp(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    f.schema.execute(request).await
}

fn tip_request(f: &Fixture, n: u64) -> Request {
    let code = &f.codes[(n as usize) % f.codes.len()];
    let kind = ["OPINION", "TIP", "IDEA"][(n % 3) as usize];
    let mut input = json!({
        "municipality": code,
        "kind": kind,
        "message": format!(
            "Criterion-tips nummer {n}: gatubelysningen vid busshållplatsen är trasig och det \
             känns otryggt att gå hem på kvällen."
        ),
    });
    if n.is_multiple_of(2) {
        input["email"] = json!(format!("boende.criterion{n}@example.se"));
    }
    Request::new(SUBMIT_TIP).variables(Variables::from_json(json!({ "input": input })))
}

fn assert_ok(name: &str, response: &async_graphql::Response) {
    assert!(
        response.errors.is_empty(),
        "{name} returned errors: {:?}",
        response.errors
    );
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let f = rt.block_on(fixture());
    let a =
        || Request::new(MUNICIPALITY).variables(Variables::from_json(json!({ "slug": f.slug })));

    // Fail loudly, once, if an operation does not do what it is benchmarked for.
    rt.block_on(async {
        let response = run(&f, a()).await;
        assert_ok("municipality", &response);
        let body = serde_json::to_string(&response).expect("serialise");
        println!(
            "scenario (a) municipality={} response={} bytes",
            f.slug,
            body.len()
        );
        assert_ok("promises", &run(&f, Request::new(PROMISES)).await);
        assert_ok(
            "municipalities",
            &run(&f, Request::new(MUNICIPALITIES)).await,
        );
        assert_ok("submitTip", &run(&f, tip_request(&f, 0)).await);
        let same = run_without_loader_delay(&f, a()).await;
        assert_ok("municipality without loader delay", &same);
        // Compared as JSON values: the order of keys may differ between two executions.
        let parse = |text: &str| -> serde_json::Value { serde_json::from_str(text).expect("JSON") };
        assert_eq!(
            parse(&serde_json::to_string(&same).expect("serialise")),
            parse(&body),
            "the diagnostic variant must answer the same"
        );
        // SQL statements per operation (the pool's counter; nothing else runs here).
        for (name, request) in [
            ("a_municipality_full", a()),
            ("b_promises_first_50", Request::new(PROMISES)),
            ("c_submit_tip", tip_request(&f, 1)),
        ] {
            let before = f.statements.get();
            assert_ok(name, &run(&f, request).await);
            println!("statements {name}={}", f.statements.get() - before);
        }
    });

    let mut group = c.benchmark_group("in_process");
    group.bench_function("a_municipality_full", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(run(&f, a()).await) })
    });
    group.bench_function("a_municipality_full_loader_delay_0", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(run_without_loader_delay(&f, a()).await) })
    });
    group.bench_function("b_promises_first_50", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(run(&f, Request::new(PROMISES)).await) })
    });
    group.bench_function("a_municipality_full_read_schema", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(run_read(&f, a()).await) })
    });
    group.bench_function("b_promises_first_50_read_schema", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(run_read(&f, Request::new(PROMISES)).await) })
    });
    group.bench_function("municipalities_first_20", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(run(&f, Request::new(MUNICIPALITIES)).await) })
    });
    let counter = AtomicU64::new(2);
    group.bench_function("c_submit_tip", |b| {
        b.to_async(&rt).iter(|| async {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            black_box(run(&f, tip_request(&f, n)).await)
        })
    });
    group.finish();

    // Building the catalogue snapshot: what a replica does after every catalogue edit.
    snapshot_bench(c, &rt, &f.db, "snapshot_build");
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL_10X") {
        let (db, _) = rt
            .block_on(server::db::connect(&url, 4))
            .expect("connect to BENCH_DATABASE_URL_10X");
        snapshot_bench(c, &rt, &db, "snapshot_build_10x");
    }

    // Serialising the (a) response is part of every HTTP request; measure it alone.
    let response = rt.block_on(run(&f, a()));
    c.bench_function("serialise_a_response", |b| {
        b.iter(|| black_box(serde_json::to_vec(&response).expect("serialise")))
    });
}

criterion_group! {
    name = group;
    config = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(group);
