//! `make bench`: the notifications API at scale, measured over HTTP on loopback.
//!
//! Seeds a database through the store (1,000,000 notifications; one heavy user holds 200,000),
//! starts the real server on it, and times the requests a notifications page makes, then create
//! throughput with 16 concurrent clients. Prints the numbers and writes them to BENCHMARKS.md.
//! Not a test: nothing here asserts on time.
//!
//! Environment: `HERALD_BENCH_POSTGRES_URL` (an admin URL; a fresh database is created on it)
//! adds the PostgreSQL run; `HERALD_BENCH_ROWS` scales the data down for a quick look.

mod common;

use std::{
    fmt::Write as _,
    time::{Duration, Instant},
};

use herald::{
    catalog::EntityRef,
    config::Config,
    db::Engine,
    notifications::{
        model::Severity,
        query::{Cursor, Filter, ListQuery},
        store::NewNotification,
    },
    server::{self, Running},
    timestamp::Timestamp,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use reqwest::Client;
use serde_json::json;
use uuid::Uuid;

const HEAVY_USER: &str = "user:default/heavy";
const SERVICE_TOKEN: &str = "bench-service-token-0123456789";
const SAMPLES: usize = 400;
const WARMUP: usize = 40;
const CREATE_CLIENTS: usize = 16;
const CREATES: usize = 8_000;

const PRODUCTS: [&str; 20] = [
    "billing",
    "auth",
    "search",
    "checkout",
    "catalog",
    "payments",
    "ledger",
    "identity",
    "inventory",
    "shipping",
    "pricing",
    "reports",
    "notify",
    "profile",
    "orders",
    "gateway",
    "media",
    "analytics",
    "ranking",
    "storage",
];
const PARTS: [&str; 10] = ["api", "worker", "web", "db", "cache", "edge", "scheduler", "indexer", "proxy", "queue"];
const TOPICS: [&str; 20] = [
    "builds",
    "deploys",
    "alerts",
    "reviews",
    "security",
    "costs",
    "incidents",
    "releases",
    "migrations",
    "quotas",
    "tests",
    "docs",
    "oncall",
    "backups",
    "certificates",
    "dependencies",
    "audits",
    "capacity",
    "latency",
    "errors",
];
const ORIGINS: [&str; 10] = [
    "external:ci",
    "external:cd",
    "external:pagerduty",
    "external:github",
    "external:sonar",
    "external:finops",
    "external:vault",
    "external:k8s",
    "plugin:scaffolder",
    "plugin:catalog",
];
const ENVIRONMENTS: [&str; 4] = ["dev", "staging", "production", "canary"];

struct Scale {
    total: usize,
    heavy: usize,
    other_users: usize,
    broadcasts: usize,
}

impl Scale {
    fn from_env() -> Self {
        let total = std::env::var("HERALD_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000usize);
        Scale { total, heavy: total / 5, other_users: (total / 500).max(1), broadcasts: 200 }
    }
}

#[derive(Clone, Copy)]
struct Stats {
    p50: f64,
    p99: f64,
    per_second: f64,
}

struct Row {
    operation: String,
    stats: Stats,
}

struct EngineResult {
    engine: &'static str,
    seed_seconds: f64,
    rows: Vec<Row>,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let scale = Scale::from_env();
    let work = tempfile::tempdir()?;
    // HERALD_BENCH_DB_DIR keeps the SQLite database afterwards, for looking at query plans.
    let db_dir =
        std::env::var("HERALD_BENCH_DB_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| work.path().to_owned());
    let mut results = Vec::new();
    // HERALD_BENCH_ENGINES=sqlite or =postgres measures one engine (default: both).
    let engines = std::env::var("HERALD_BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    if engines.contains("sqlite") {
        let sqlite_url = format!("sqlite://{}", db_dir.join("bench.db").display());
        results.push(run("SQLite", &sqlite_url, &scale).await?);
    }
    match std::env::var("HERALD_BENCH_POSTGRES_URL") {
        Ok(_) if !engines.contains("postgres") => {}
        Ok(admin) => {
            let url = common::fresh_postgres_database(&admin).await?;
            results.push(run("PostgreSQL", &url, &scale).await?);
        }
        Err(_) => eprintln!("HERALD_BENCH_POSTGRES_URL is not set: PostgreSQL skipped"),
    }
    let report = report(&scale, &results);
    println!("{report}");
    common::write_section(&common::results_file(), "notifications-api", &report)?;
    Ok(())
}

async fn run(engine: &'static str, database_url: &str, scale: &Scale) -> anyhow::Result<EngineResult> {
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse()?;
    config.database.url = database_url.to_owned();
    config.database.max_connections = 16;
    config.catalog.files = Vec::new();
    config.auth.service_tokens =
        vec![herald::config::ServiceTokenConfig { subject: "bench".into(), token: SERVICE_TOKEN.into() }];
    config.log.level = "warn".into();
    config.notifications.retention = herald::notifications::retention::Retention::Keep;
    herald::telemetry::init(&config.log);
    let running = server::start(config).await?;

    eprintln!("[{engine}] seeding {} notifications…", scale.total);
    let started = Instant::now();
    let probes = seed(&running, scale).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    eprintln!("[{engine}] seeded in {seed_seconds:.0} s");

    let base = running.base_url();
    let token = running.state.auth.sessions.create(&EntityRef::parse(HEAVY_USER)?).await?;
    let client = Client::builder().pool_max_idle_per_host(64).build()?;
    let list = format!("{base}/api/notifications/notifications");
    let cursor = deep_cursor(&running).await?;
    let reads = [
        ("list, first page (20)", format!("{list}?limit=20")),
        ("list, unread (`read=false`)", format!("{list}?limit=20&read=false")),
        ("list, offset 100,000", format!("{list}?limit=20&offset=100000")),
        ("list, cursor at 100,000", format!("{list}?limit=20&cursor={cursor}")),
        ("list, saved (`saved=true`)", format!("{list}?limit=20&saved=true")),
        ("list, `minimumSeverity=critical`", format!("{list}?limit=20&minimumSeverity=critical")),
        ("list, unread at least high", format!("{list}?limit=20&read=false&minimumSeverity=high")),
        ("search, rare term", format!("{list}?limit=20&search={}", probes.rare_term)),
        ("search, common term (0.5 %)", format!("{list}?limit=20&search={}", probes.common_term)),
        ("`/status`", format!("{base}/api/notifications/status")),
        ("`/topics`", format!("{base}/api/notifications/topics")),
        ("`/topics?read=false`", format!("{base}/api/notifications/topics?read=false")),
        ("get one by id", format!("{list}/{}", probes.some_id)),
        ("page `/notifications`, 20 rows, server-rendered", format!("{base}/notifications?view=all&size=20")),
    ];
    let mut rows = Vec::new();
    for (operation, url) in reads {
        let stats = latency(&client, &url, &token).await?;
        eprintln!("[{engine}] {operation}: p50 {:.2} ms, p99 {:.2} ms", stats.p50, stats.p99);
        rows.push(Row { operation: operation.into(), stats });
    }
    for (operation, broadcast) in [("create, one user, 16 clients", false), ("create, broadcast, 16 clients", true)] {
        let stats = creates(&client, &list, broadcast).await?;
        eprintln!(
            "[{engine}] {operation}: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
            stats.per_second, stats.p50, stats.p99
        );
        rows.push(Row { operation: operation.into(), stats });
    }
    running.shutdown();
    running.stopped().await?;
    Ok(EngineResult { engine, seed_seconds, rows })
}

/// What the measurements look for in the seeded data.
struct Probes {
    rare_term: String,
    common_term: String,
    some_id: Uuid,
}

/// Fills the database through the store, oldest first; the older 80 % end up read, 2 % of the
/// heavy user's saved, and the heavy user has read most broadcasts.
async fn seed(running: &Running, scale: &Scale) -> anyhow::Result<Probes> {
    let store = running.state.notifications.store();
    let mut rng = StdRng::seed_from_u64(42);
    let now = Timestamp::now().micros();
    // Spread over the last 300 days: inside the default retention, which must not sweep them away.
    let span = 300 * 24 * 3600 * 1_000_000i64;
    let users: Vec<String> = (0..scale.other_users).map(|i| format!("user:default/user-{i:05}")).collect();
    let mut heavy_left = scale.heavy;
    let mut heavy_ids = Vec::with_capacity(scale.heavy);
    let read_until = scale.total * 8 / 10;
    let mut some_id = Uuid::nil();
    let batch = 5_000;
    let mut written = 0;
    while written < scale.total {
        let n = batch.min(scale.total - written);
        let mut rows = Vec::with_capacity(n);
        for i in written..written + n {
            let heavy = heavy_left > 0 && rng.gen_range(0..scale.total - i) < heavy_left;
            let user = if heavy {
                heavy_left -= 1;
                HEAVY_USER.to_owned()
            } else {
                users[rng.gen_range(0..users.len())].clone()
            };
            let created = now - span + (i as i64) * span / scale.total as i64;
            let row = notification(&mut rng, Some(user), created, i);
            if heavy {
                heavy_ids.push(row.id);
                some_id = row.id;
            }
            rows.push(row);
        }
        store.insert_personal(&rows, |_| None).await?;
        written += n;
        if written == read_until || (written > read_until && written - n < read_until) {
            // Everything so far is old news: read.
            store.mark_all_read(HEAVY_USER, &Filter::default(), |_| None).await?;
            for user in &users {
                store.mark_all_read(user, &Filter::default(), |_| None).await?;
            }
        }
        if written % 100_000 == 0 {
            eprintln!("  {written} rows");
        }
    }
    let saved: Vec<Uuid> = heavy_ids.choose_multiple(&mut rng, scale.heavy / 50).copied().collect();
    store.update(HEAVY_USER, &saved, None, Some(true), Vec::new()).await?;
    let mut broadcast_ids = Vec::new();
    for i in 0..scale.broadcasts {
        let created = now - span + (i as i64) * span / scale.broadcasts as i64;
        broadcast_ids.push(store.upsert_broadcast(&notification(&mut rng, None, created, i), |_| None).await?.0.id);
    }
    store.update(HEAVY_USER, &broadcast_ids[..broadcast_ids.len() * 3 / 4], Some(true), None, Vec::new()).await?;
    analyze(running).await?;
    Ok(Probes { rare_term: "INC-31337".into(), common_term: format!("{}-{}", PRODUCTS[3], PARTS[7]), some_id })
}

fn notification(rng: &mut StdRng, user_ref: Option<String>, created: i64, n: usize) -> NewNotification {
    let service = format!("{}-{}", PRODUCTS[rng.gen_range(0..20)], PARTS[rng.gen_range(0..10)]);
    let number = rng.gen_range(1000..99_999);
    let title = match rng.gen_range(0..6) {
        0 => format!("Build #{number} of {service} failed"),
        1 => format!("Deploy of {service} to {} finished", ENVIRONMENTS[rng.gen_range(0..4)]),
        2 => format!("{service}: error rate above {}%", rng.gen_range(1..20)),
        3 => format!("Pull request #{number} for {service} needs your review"),
        4 => format!("Security advisory for a dependency of {service}"),
        _ => format!("Weekly cost report for {service} is ready"),
    };
    let description = format!(
        "Incident INC-{:05} was linked to this. Pipeline {number} ran on branch feature/{} and took {} minutes; \
         open the link for logs, owners and the runbook.",
        n % 100_000,
        rng.gen_range(1..500),
        rng.gen_range(1..90)
    );
    let severity = match rng.gen_range(0..100) {
        0..5 => Severity::Critical,
        5..20 => Severity::High,
        20..80 => Severity::Normal,
        _ => Severity::Low,
    };
    NewNotification {
        id: Uuid::now_v7(),
        user_ref,
        origin: ORIGINS[rng.gen_range(0..ORIGINS.len())].into(),
        scope: None,
        title,
        description: Some(description),
        link: Some(format!("/catalog/default/component/{service}")),
        severity,
        topic: Some(TOPICS[rng.gen_range(0..TOPICS.len())].into()),
        icon: None,
        metadata: None,
        created: Timestamp::from_micros(created),
    }
}

/// Statistics for the query planner, as a running server has them: on SQLite what its hourly
/// refresh does (a few thousand index entries read per table, not a full `ANALYZE`); on
/// PostgreSQL what autovacuum would have done by the time a real database reached this size
/// (visibility map for index-only scans, trigram pending lists merged), so the numbers are not
/// of a vacuum racing the measurements.
async fn analyze(running: &Running) -> anyhow::Result<()> {
    match running.state.db.engine() {
        Engine::Sqlite => running.state.db.refresh_statistics().await?,
        Engine::Postgres => {
            herald::with_pool!(&running.state.db, write, |pool| {
                sqlx::query("VACUUM (ANALYZE)").execute(pool).await.map(|_| ())
            })?;
        }
    }
    Ok(())
}

/// The cursor that continues the heavy user's list after position 100,000.
async fn deep_cursor(running: &Running) -> anyhow::Result<String> {
    let query = ListQuery { offset: Some(99_999), limit: Some(1), ..ListQuery::default() };
    let (rows, _) = running.state.notifications.store().list(HEAVY_USER, &query).await?;
    let last = rows.first().ok_or_else(|| anyhow::anyhow!("fewer than 100,000 rows"))?;
    Ok(Cursor { created: last.created, id: last.id }.encode())
}

async fn latency(client: &Client, url: &str, token: &str) -> anyhow::Result<Stats> {
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..WARMUP + SAMPLES {
        let started = Instant::now();
        let response = client.get(url).bearer_auth(token).send().await?;
        let status = response.status();
        let _ = response.bytes().await?;
        anyhow::ensure!(status.is_success(), "{url}: {status}");
        if i >= WARMUP {
            samples.push(started.elapsed());
        }
    }
    Ok(summarise(&mut samples, None))
}

async fn creates(client: &Client, list: &str, broadcast: bool) -> anyhow::Result<Stats> {
    let recipients = if broadcast {
        json!({ "type": "broadcast" })
    } else {
        json!({ "type": "entity", "entityRef": "user:default/writer" })
    };
    let started = Instant::now();
    let workers = (0..CREATE_CLIENTS).map(|worker| {
        let client = client.clone();
        let list = list.to_owned();
        let recipients = recipients.clone();
        tokio::spawn(async move {
            let mut samples = Vec::with_capacity(CREATES / CREATE_CLIENTS);
            for i in 0..CREATES / CREATE_CLIENTS {
                let body = json!({ "recipients": recipients, "payload": {
                    "title": format!("Build #{i} of worker {worker} finished"), "topic": "builds", "severity": "normal",
                    "description": "All 1,204 tests passed.", "link": "/catalog/default/component/billing-api" } });
                let sent = Instant::now();
                let response = client.post(&list).bearer_auth(SERVICE_TOKEN).json(&body).send().await?;
                let status = response.status();
                let _ = response.bytes().await?;
                anyhow::ensure!(status.is_success(), "create: {status}");
                samples.push(sent.elapsed());
            }
            Ok::<_, anyhow::Error>(samples)
        })
    });
    let mut samples = Vec::with_capacity(CREATES);
    for worker in futures::future::join_all(workers).await {
        samples.extend(worker??);
    }
    let elapsed = started.elapsed();
    Ok(summarise(&mut samples, Some(elapsed)))
}

fn summarise(samples: &mut [Duration], wall: Option<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| common::quantile_ms(samples, q);
    let total: Duration = samples.iter().sum();
    let per_second = match wall {
        Some(wall) => samples.len() as f64 / wall.as_secs_f64(),
        None => samples.len() as f64 / total.as_secs_f64(),
    };
    Stats { p50: at(0.50), p99: at(0.99), per_second }
}

fn report(scale: &Scale, results: &[EngineResult]) -> String {
    let date = Timestamp::now().to_iso()[..10].to_owned();
    let mut out = String::new();
    let _ = writeln!(out, "## Notifications API at scale\n");
    let _ = writeln!(
        out,
        "Measured {date} on {}. `make bench` seeds {} notifications through the store ({} for one user, \
         the rest over {} users; 80 % read; {} broadcasts), then times requests over HTTP on loopback with one \
         client ({SAMPLES} samples after {WARMUP} warm-up), and creates with {CREATE_CLIENTS} concurrent clients \
         ({CREATES} requests). Release build; SQLite in WAL mode; PostgreSQL 15 with `synchronous_commit=off` \
         (like SQLite's `synchronous=NORMAL`: no fsync per commit, no corruption on a crash).\n",
        common::machine(),
        scale.total,
        scale.heavy,
        scale.other_users,
        scale.broadcasts
    );
    let _ = write!(out, "| operation (heavy user, 200,000 rows) |");
    for result in results {
        let _ = write!(out, " {} p50 | {0} p99 | {0} req/s |", result.engine);
    }
    let _ = write!(out, "\n|---|");
    for _ in results {
        let _ = write!(out, "---:|---:|---:|");
    }
    let _ = writeln!(out);
    for (i, row) in results[0].rows.iter().enumerate() {
        let _ = write!(out, "| {} |", row.operation);
        for result in results {
            let stats = result.rows[i].stats;
            let _ = write!(out, " {:.2} ms | {:.2} ms | {:.0} |", stats.p50, stats.p99, stats.per_second);
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out);
    for result in results {
        let _ = writeln!(out, "Seeding {} rows into {}: {:.0} s.", scale.total, result.engine, result.seed_seconds);
    }
    let _ = writeln!(
        out,
        "\nFor comparison, the Backstage notifications backend on this kind of machine with 10,000 rows: list first \
         page p50 12 ms, search p50 24 ms, `/status` p50 5 ms, about 800 creates/s. Herald's targets at 100× the data: \
         list, status and search p50 under 2 ms, at least 5,000 creates/s on SQLite."
    );
    out
}
