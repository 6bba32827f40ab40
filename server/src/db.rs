//! The database: SQLite (embedded default) or PostgreSQL, chosen by the URL.
//!
//! Both engines run the same SQL wherever the dialects agree (`$n` parameters work in both), so
//! most store code is written once and run through [`with_pool!`]. SQLite gets one writer
//! connection beside its readers: writes are serialised by SQLite anyway, and queueing them in
//! the pool instead of in SQLite's busy handler keeps readers and writers out of each other's way.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    ConnectOptions, Connection, PgPool, SqlitePool,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::config::DatabaseConfig;

/// A PostgreSQL connection idle longer than this is pinged before it is handed out.
const PING_IDLE_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `column` on the left of an equality that should narrow the rows another index finds,
    /// never pick the index itself. SQLite plans a statement once, without its arguments and,
    /// between statistics updates, with guesses: it takes `user_ref = ?` for about ten rows over
    /// `id IN (…twenty ids…)`, and then reads the user's whole history (200,000 rows for the
    /// heavy user) to find twenty. SQLite's unary `+` keeps a column out of index choice;
    /// PostgreSQL plans with the arguments, and prunes partitions by the bare column.
    pub fn filter_only(self, column: &str) -> String {
        match self {
            Engine::Sqlite => format!("+{column}"),
            Engine::Postgres => column.to_owned(),
        }
    }

    /// `(…), (…)` placeholders for a multi-row `VALUES` of `rows` rows of `columns` each, bound
    /// in order. SQLite gets anonymous `?`: sqlx looks every parameter's name up in a list that
    /// SQLite scans from the start, so `$n` makes binding quadratic in the number of parameters
    /// (half the time of a 400-row insert went there).
    pub fn values_rows(self, rows: usize, columns: usize) -> String {
        let row = |r: usize| {
            let cells: Vec<String> = match self {
                Engine::Sqlite => vec!["?".to_owned(); columns],
                Engine::Postgres => (1..=columns).map(|c| format!("${}", r * columns + c)).collect(),
            };
            format!("({})", cells.join(", "))
        };
        (0..rows).map(row).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the reading (or, with `write`, the writing) pool of
/// whichever engine is configured. The body is compiled once per engine.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, read, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { read: $pool, .. } => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
    ($db:expr, write, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { write: $pool, .. } => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<Self> {
        let url = config.url.as_str();
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("database.url {url:?} is not a valid SQLite URL"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
                // Search checks through REGEXP where LIKE, which folds ASCII only, cannot decide alone.
                .with_regexp();
            create_parent_dir(options.get_filename())?;
            // A local file has nothing to test: sqlx's default ping before every acquire is a
            // round trip to the connection's worker thread, on every request.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                // SQLite walks the writer's whole page cache at the end of every write
                // transaction (`pcache1TruncateUnsafe`): with the readers' 64 MiB that was a fifth
                // of all the CPU of 16 clients creating (2,650/s; 4,030/s with 8 MiB, and the
                // same seeding time). The writer needs the upper levels of its indexes, not the
                // readers' working set.
                .connect_with(options.clone().pragma("wal_autocheckpoint", "0").pragma("cache_size", "-8192"))
                .await
                .with_context(|| format!("cannot open SQLite database {url}"))?;
            let checkpoints = options.connect().await.with_context(|| format!("cannot open SQLite database {url}"))?;
            tokio::spawn(checkpoint_while_open(checkpoints, write.clone()));
            // Each reader copies the pages it reads into a cache of its own, and the pool hands
            // requests to its readers in turn: a search that reads 1,000 scattered rows found
            // them cold in most of them (2.4-2.8 ms of CPU against 1.6-2.0 with the file mapped,
            // side by side at 1,000,000 rows). Mapped, every reader reads the same pages.
            let mmap_bytes = config.sqlite_mmap_mib.saturating_mul(1 << 20);
            let read = SqlitePoolOptions::new()
                .max_connections(config.max_connections)
                .test_before_acquire(false)
                .connect_with(options.read_only(true).pragma("mmap_size", mmap_bytes.to_string()))
                .await
                .with_context(|| format!("cannot open SQLite database {url}"))?;
            Ok(Db::Sqlite { read, write })
        } else {
            let options = PgConnectOptions::from_str(url)
                .with_context(|| format!("database.url {} is not a valid PostgreSQL URL", redact(url)))?;
            // sqlx pings a connection before every acquire by default: a round trip per request.
            // Only a connection idle for a while can have been closed behind our back (a server
            // restart, an idle timeout), so only those are tested.
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire(false)
                .before_acquire(|connection, meta| {
                    Box::pin(async move {
                        if meta.idle_for > PING_IDLE_AFTER {
                            connection.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(options)
                .await
                .with_context(|| format!("cannot connect to PostgreSQL at {}", redact(url)))?;
            Ok(Db::Postgres(pool))
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Brings the schema up to date; run at every start, idempotent.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite { write, .. } => sqlx::migrate!("../migrations/sqlite").run(write).await,
            Db::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await,
        }
        .context("database migration failed")
    }

    /// Brings SQLite's query-planner statistics up to date where they are missing or stale
    /// (a table ten times larger or smaller than when last measured). SQLite reads at most a
    /// couple of thousand entries of each index for it, so it takes milliseconds at a million
    /// rows. Run at start and hourly (see [`checkpoint_while_open`]); reader connections pick the
    /// new figures up as the pool renews them. PostgreSQL's autovacuum does this by itself.
    pub async fn refresh_statistics(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite { write, .. } => optimize(&mut *write.acquire().await?).await,
            Db::Postgres(_) => Ok(()),
        }
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_pool!(self, read, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Deadlocks and serialisation failures (PostgreSQL) pass: by the next attempt the other
/// transaction has gone.
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => matches!(e.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

/// Awaits `$attempt` (an expression making a fresh future of `Result<_, sqlx::Error>` each
/// time) again after a transient failure, up to three more times, with a short pause.
#[macro_export]
macro_rules! retry_transient {
    ($attempt:expr) => {{
        let mut retries = 0u32;
        loop {
            match $attempt.await {
                Err(error) if retries < 3 && $crate::db::is_transient(&error) => {
                    retries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(5u64 << retries)).await;
                }
                other => break other,
            }
        }
    }};
}

fn create_parent_dir(file: &Path) -> anyhow::Result<()> {
    let is_memory = file.as_os_str().is_empty() || file.to_string_lossy().starts_with(":memory:");
    match file.parent() {
        Some(dir) if !is_memory && !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database directory {}", dir.display())),
        _ => Ok(()),
    }
}

/// The URL without its password, for logs and errors.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Copies the WAL back into the database file from a connection of its own, so the one writer
/// never stops to do it: left to SQLite, the commit that crosses the WAL's size limit runs the
/// checkpoint, and every write queued behind it waits (the 40 ms at the tail of creates).
/// PASSIVE never blocks the writer or readers; it ends when the writer's pool closes.
///
/// A writer that outruns the copying (a bulk load) grows the WAL without bound: seeding
/// 1,000,000 rows left an 18 GB WAL, and every page read then searched an index of 4.5 million
/// frames. Past `WAL_LIMIT_FRAMES` the checkpoint truncates the WAL, holding the writer for as
/// long as that takes: rare, and bounded, where the growth was neither.
///
/// The same connection refreshes the planner's statistics every [`STATISTICS_EVERY`]: without
/// them SQLite guesses ten rows for `user_ref = ?`, whoever the user is.
async fn checkpoint_while_open(mut connection: sqlx::SqliteConnection, write: SqlitePool) {
    let mut ticks = tokio::time::interval(Duration::from_millis(200));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut statistics = tokio::time::Instant::now();
    while !write.is_closed() {
        ticks.tick().await;
        if statistics.elapsed() >= STATISTICS_EVERY {
            statistics = tokio::time::Instant::now();
            if let Err(error) = optimize(&mut connection).await {
                tracing::warn!(%error, "refreshing the query planner's statistics failed");
            }
        }
        let result = async {
            let (_, frames, _): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut connection).await?;
            if frames > WAL_LIMIT_FRAMES {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut connection).await?;
            }
            Ok::<_, sqlx::Error>(())
        };
        if let Err(error) = result.await {
            tracing::warn!(%error, "WAL checkpoint failed");
        }
    }
}

/// A migrated SQLite database in a directory of its own, for unit tests; the directory goes
/// with the returned guard.
#[cfg(test)]
pub async fn scratch_sqlite() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("scratch.db").display());
    let db = Db::connect(&DatabaseConfig { url, max_connections: 1, ..Default::default() }).await.unwrap();
    db.migrate().await.unwrap();
    (db, dir)
}

/// How often a running server refreshes SQLite's planner statistics.
const STATISTICS_EVERY: Duration = Duration::from_secs(3600);

/// Refreshes SQLite's planner statistics once there are enough notifications for plans to
/// matter. Figures taken from near-empty tables mislead it for long after: analysing a fresh
/// database at start made loading 200,000 notifications 70 % slower (25 -> 40 s; 1,000,000:
/// 265 -> 950 s), until a later refresh would have seen the tables grown tenfold.
async fn optimize(connection: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let sql = format!("SELECT count(*) FROM (SELECT 1 FROM notification LIMIT {STATISTICS_FROM_ROWS})");
    let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *connection).await?;
    if rows >= STATISTICS_FROM_ROWS {
        // Every table (0x10000), analysed only where it would help (0x02), within SQLite's own
        // limit on rows read (0x10, 3.46+).
        sqlx::query("PRAGMA optimize = 0x10012").execute(&mut *connection).await?;
    }
    Ok(())
}

const STATISTICS_FROM_ROWS: i64 = 10_000;

/// 65,536 frames of 4 KiB pages: 256 MiB of WAL.
const WAL_LIMIT_FRAMES: i64 = 65_536;

#[cfg(test)]
mod tests {
    use super::{DatabaseConfig, Db, Engine, STATISTICS_FROM_ROWS, scratch_sqlite};

    #[test]
    fn multi_row_placeholders_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        assert_eq!(Engine::Postgres.values_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(Engine::Sqlite.values_rows(2, 2), "(?, ?), (?, ?)");
    }

    /// Indexes with planner statistics in a migrated SQLite database after `rows` notifications.
    async fn analysed_after(rows: i64) -> Vec<String> {
        let (db, _dir) = scratch_sqlite().await;
        let Db::Sqlite { write, .. } = &db else { unreachable!() };
        sqlx::query(
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $1) \
             INSERT INTO notification (id, user_ref, origin, title, severity, created) \
             SELECT randomblob(16), 'user:default/u' || (i % 10), 'external:x', 'n ' || i, 3, i FROM c",
        )
        .bind(rows)
        .execute(write)
        .await
        .unwrap();
        db.refresh_statistics().await.unwrap();
        let has_stats: bool = sqlx::query_scalar("SELECT count(*) > 0 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            .fetch_one(write)
            .await
            .unwrap();
        let indexes = if has_stats {
            sqlx::query_scalar("SELECT idx FROM sqlite_stat1 WHERE tbl = 'notification' ORDER BY idx")
                .fetch_all(write)
                .await
                .unwrap()
        } else {
            Vec::new()
        };
        db.close().await;
        indexes
    }

    #[tokio::test]
    async fn sqlite_statistics_wait_for_enough_notifications_to_matter() {
        assert_eq!(analysed_after(100).await, Vec::<String>::new());
        let analysed = analysed_after(STATISTICS_FROM_ROWS).await;
        assert!(analysed.iter().any(|index| index == "notification_user_created"), "{analysed:?}");
    }

    #[tokio::test]
    async fn sqlite_plans_never_depend_on_bound_values() {
        let (db, _dir) = scratch_sqlite().await;
        let Db::Sqlite { read, .. } = &db else { unreachable!() };
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options").fetch_all(read).await.unwrap();
        db.close().await;
        assert!(options.iter().any(|option| option == "ENABLE_QPSG"), "built without QPSG: {options:?}");
    }

    async fn reader_mmap_bytes(sqlite_mmap_mib: u64) -> i64 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("mapped.db").display());
        let db = Db::connect(&DatabaseConfig { url, max_connections: 1, sqlite_mmap_mib }).await.unwrap();
        let Db::Sqlite { read, .. } = &db else { unreachable!() };
        let bytes = sqlx::query_scalar("PRAGMA mmap_size").fetch_one(read).await.unwrap();
        db.close().await;
        bytes
    }

    #[tokio::test]
    async fn sqlite_readers_map_as_much_of_the_file_as_configured_and_none_when_told_not_to() {
        assert_eq!(reader_mmap_bytes(64).await, 64 << 20);
        assert_eq!(reader_mmap_bytes(0).await, 0);
    }
}
