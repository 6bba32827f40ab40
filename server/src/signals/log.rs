//! The signal log: every signal gets a position and a row, written in the same transaction as
//! the change it announces, so what a client is told about is exactly what was committed.
//!
//! Positions come from a one-row counter updated just before commit: under SQLite's single
//! writer and PostgreSQL's row lock alike, they are gapless and in commit order. That is what
//! makes "resume after position N" exact.

use std::{collections::HashMap, sync::Arc};

use axum::extract::ws::Utf8Bytes;

use super::model::{Delivered, Outgoing, Recipients, WireDelivered};
use crate::{db::Db, error::Result, timestamp::Timestamp, with_pool};

/// The NOTIFY channel instances listen on (PostgreSQL).
pub const NOTIFY_CHANNEL: &str = "herald_signals";
/// NOTIFY payloads must stay under 8000 bytes; larger signals are announced by position only.
pub const MAX_NOTIFY_BYTES: usize = 7800;

/// Appends signals inside an open transaction and returns them with their positions. The
/// position counter's row lock is then held until commit, which is what keeps positions in
/// commit order.
pub trait AppendSignals {
    fn append_signals(
        &mut self,
        outgoing: &[Outgoing],
    ) -> impl Future<Output = Result<Vec<Delivered>, sqlx::Error>> + Send;
}

impl AppendSignals for sqlx::SqliteConnection {
    async fn append_signals(&mut self, outgoing: &[Outgoing]) -> Result<Vec<Delivered>, sqlx::Error> {
        if outgoing.is_empty() {
            return Ok(Vec::new());
        }
        let append = SqliteAppend::new(outgoing);
        let rows = append.bind(sqlx::query(sqlx::AssertSqlSafe(append.statements()))).fetch_all(&mut *self).await?;
        Ok(append.delivered(&rows))
    }
}

/// SQLite: the statements that append signals, to run as one command to the connection's worker
/// thread together with any before them (whose arguments are bound first, and which return no
/// rows). Each hand-over between threads is a context switch, and those bounded the writer.
pub struct SqliteAppend<'a> {
    batch: Batch<'a>,
}

impl<'a> SqliteAppend<'a> {
    const SIGNALS: usize = 500;
    const RECIPIENTS: usize = 1000;

    pub fn new(outgoing: &'a [Outgoing]) -> Self {
        Self { batch: Batch::new(outgoing) }
    }

    /// Moves the counter (returning the first position) and logs each signal and recipient; the
    /// later statements find the positions from the counter: signal k (from 1) of n is at
    /// head - n + k.
    pub fn statements(&self) -> String {
        if self.batch.outgoing.is_empty() {
            return String::new();
        }
        let mut text = String::from("UPDATE signal_position SET head = head + ? WHERE id = 1 RETURNING head - ? + 1;");
        for (index, chunk) in self.batch.outgoing.chunks(Self::SIGNALS).enumerate() {
            let rows: Vec<String> =
                (1..=chunk.len()).map(|k| format!("({}, ?, ?, ?)", index * Self::SIGNALS + k)).collect();
            text.push_str(&format!(
                "INSERT INTO signal (seq, created, channel, broadcast, message) \
                 SELECT p.head - ? + v.column1, ?, v.column2, v.column3, v.column4 \
                 FROM signal_position p, (VALUES {}) v WHERE p.id = 1;",
                rows.join(", ")
            ));
        }
        for chunk in self.batch.pairs.chunks(Self::RECIPIENTS) {
            let rows: Vec<String> = chunk.iter().map(|(_, index)| format!("({}, ?)", index + 1)).collect();
            text.push_str(&format!(
                "INSERT INTO signal_recipient (seq, ref) SELECT p.head - ? + v.column1, v.column2 \
                 FROM signal_position p, (VALUES {}) v WHERE p.id = 1;",
                rows.join(", ")
            ));
        }
        text
    }

    pub fn bind<'q>(
        &self,
        mut query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
        if self.batch.outgoing.is_empty() {
            return query;
        }
        let count = self.batch.outgoing.len() as i64;
        let created = Timestamp::now().micros();
        query = query.bind(count).bind(count);
        for (signals, texts) in self.batch.outgoing.chunks(Self::SIGNALS).zip(self.batch.texts.chunks(Self::SIGNALS)) {
            query = query.bind(count).bind(created);
            for (signal, text) in signals.iter().zip(texts) {
                query = query
                    .bind(signal.channel.as_str())
                    .bind(matches!(signal.recipients, Recipients::Broadcast))
                    .bind(*text);
            }
        }
        for chunk in self.batch.pairs.chunks(Self::RECIPIENTS) {
            query = query.bind(count);
            for (r, _) in chunk {
                query = query.bind(*r);
            }
        }
        query
    }

    /// The signals with their positions, from the rows the command returned (the counter's).
    pub fn delivered(&self, rows: &[sqlx::sqlite::SqliteRow]) -> Vec<Delivered> {
        use sqlx::Row;
        let first = rows.first().and_then(|row| row.try_get::<i64, _>(0).ok()).unwrap_or_default();
        self.batch.delivered(first)
    }
}

impl AppendSignals for sqlx::PgConnection {
    async fn append_signals(&mut self, outgoing: &[Outgoing]) -> Result<Vec<Delivered>, sqlx::Error> {
        if outgoing.is_empty() {
            return Ok(Vec::new());
        }
        let append = PgAppend::new(outgoing);
        let returned =
            append.bind(sqlx::query_as(sqlx::AssertSqlSafe(PgAppend::statement("")))).fetch_all(self).await?;
        Ok(append.delivered(&returned))
    }
}

/// PostgreSQL: one statement, whatever the number of signals: arrays in, positions out, the
/// log rows and the NOTIFYs written on the server. It takes parameters `$1`–`$9`; statements
/// run before it in the same round trip come in as common table expressions.
pub struct PgAppend<'a> {
    batch: Batch<'a>,
}

/// The rows [`PgAppend`] returns: the position before the batch, and each NOTIFY's (empty) result.
pub type PgAppended = (i64, String);

impl<'a> PgAppend<'a> {
    pub fn new(outgoing: &'a [Outgoing]) -> Self {
        Self { batch: Batch::new(outgoing) }
    }

    /// The statement, after `leading` common table expressions (each followed by a comma).
    pub fn statement(leading: &str) -> String {
        format!(
            r#"WITH {leading} head AS (
                UPDATE signal_position SET head = head + $1 WHERE id = 1 RETURNING head - $1 AS base
            ), queued AS (
                SELECT * FROM unnest($3::text[], $4::bool[], $5::text[], $6::text[])
                    WITH ORDINALITY AS q (channel, broadcast, message, notify, i)
            ), logged AS (
                INSERT INTO signal (seq, created, channel, broadcast, message)
                SELECT base + i, $2, channel, broadcast, message FROM head, queued
            ), addressed AS (
                INSERT INTO signal_recipient (ref, seq)
                SELECT r.ref, base + r.i FROM head, unnest($7::text[], $8::int8[]) AS r (ref, i)
            )
            SELECT base, pg_notify($9, '{{"seq":' || (base + i) || ',' || notify)::text FROM head, queued"#
        )
    }

    /// Binds `$1`–`$9`; bind what `leading` needs after.
    pub fn bind<'q>(
        &'q self,
        query: sqlx::query::QueryAs<'q, sqlx::Postgres, PgAppended, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, PgAppended, sqlx::postgres::PgArguments> {
        query
            .bind(self.batch.outgoing.len() as i64)
            .bind(Timestamp::now().micros())
            .bind(self.batch.outgoing.iter().map(|o| o.channel.as_str()).collect::<Vec<_>>())
            .bind(self.batch.outgoing.iter().map(|o| matches!(o.recipients, Recipients::Broadcast)).collect::<Vec<_>>())
            .bind(&self.batch.texts)
            .bind(self.batch.outgoing.iter().map(notify_tail).collect::<Vec<_>>())
            .bind(self.batch.pairs.iter().map(|(r, _)| *r).collect::<Vec<_>>())
            // Ordinalities count from 1.
            .bind(self.batch.pairs.iter().map(|(_, index)| *index as i64 + 1).collect::<Vec<_>>())
            .bind(NOTIFY_CHANNEL)
    }

    pub fn delivered(&self, returned: &[PgAppended]) -> Vec<Delivered> {
        let first = returned.first().map_or(0, |(base, _)| base + 1);
        self.batch.delivered(first)
    }
}

/// Signals about to be logged, with what both engines need of them: each message's text and
/// each signal's recipients, once each, as (ref, index of the signal).
struct Batch<'a> {
    outgoing: &'a [Outgoing],
    texts: Vec<&'a str>,
    pairs: Vec<(&'a str, usize)>,
}

impl<'a> Batch<'a> {
    fn new(outgoing: &'a [Outgoing]) -> Self {
        let mut pairs = Vec::new();
        for (index, signal) in outgoing.iter().enumerate() {
            if let Recipients::Refs(refs) = &signal.recipients {
                let mut seen = std::collections::HashSet::new();
                pairs.extend(refs.iter().filter(|r| seen.insert(r.as_str())).map(|r| (r.as_str(), index)));
            }
        }
        Self { outgoing, texts: outgoing.iter().map(|o| o.message.get()).collect(), pairs }
    }

    /// The signals with their positions, the first at `first`.
    fn delivered(&self, first: i64) -> Vec<Delivered> {
        self.outgoing
            .iter()
            .zip(&self.texts)
            .enumerate()
            .map(|(i, (signal, text))| {
                Delivered::from_raw(first + i as i64, &signal.channel, signal.recipients.clone(), text)
            })
            .collect()
    }
}

/// A signal's NOTIFY payload after `{"seq":N,` (the database knows N, we do not yet): the whole
/// signal when it fits in a NOTIFY, else only its channel, to be read from the log.
fn notify_tail(signal: &Outgoing) -> String {
    let (broadcast, refs) = match &signal.recipients {
        Recipients::Broadcast => (true, Vec::new()),
        Recipients::Refs(refs) => (false, refs.clone()),
    };
    let mut wire = WireDelivered {
        seq: 0,
        channel: signal.channel.clone(),
        broadcast,
        refs,
        message: Some(signal.message.clone()),
    };
    let mut payload = serde_json::to_string(&wire).unwrap_or_default();
    // Room for the position's digits.
    if payload.len() + 20 > MAX_NOTIFY_BYTES {
        wire.message = None;
        wire.refs = Vec::new();
        payload = serde_json::to_string(&wire).unwrap_or_default();
    }
    debug_assert!(payload.starts_with(WIRE_PREFIX));
    payload.split_off(WIRE_PREFIX.len())
}

/// How a [`WireDelivered`] with position 0 starts: the position is its first field.
const WIRE_PREFIX: &str = r#"{"seq":0,"#;

/// The last position handed out, and the last one pruned (a client behind it has lost signals).
pub async fn head(db: &Db) -> Result<(i64, i64)> {
    let row: (i64, i64) = with_pool!(db, read, |pool| {
        sqlx::query_as("SELECT head, pruned FROM signal_position WHERE id = 1").fetch_one(pool).await
    })?;
    Ok(row)
}

/// Signals on `channel` after `since` for a connection owning `refs`, oldest first.
pub async fn replay(
    db: &Db,
    channel: &str,
    since: i64,
    refs: &[Arc<str>],
    limit: i64,
) -> Result<Vec<(i64, Utf8Bytes)>> {
    let placeholders: Vec<String> = (0..refs.len()).map(|i| format!("${}", i + 3)).collect();
    // The LIMIT is written into the text, like a page's (see `Store::page_statement`): SQLite
    // re-prepares a statement at every execution when it binds one.
    let statement = format!(
        "SELECT s.seq, s.message FROM signal s WHERE s.channel = $1 AND s.seq > $2 AND (s.broadcast OR EXISTS \
         (SELECT 1 FROM signal_recipient r WHERE r.seq = s.seq AND r.ref IN ({}))) ORDER BY s.seq LIMIT {limit}",
        if placeholders.is_empty() { "NULL".to_owned() } else { placeholders.join(", ") }
    );
    let rows: Vec<(i64, String)> = with_pool!(db, read, |pool| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(statement.clone())).bind(channel).bind(since);
        for r in refs {
            query = query.bind(r.as_ref());
        }
        query.fetch_all(pool).await
    })?;
    Ok(rows.into_iter().map(|(seq, message)| (seq, Delivered::frame_text(seq, channel, &message))).collect())
}

/// A row of the log: position, channel, broadcast or not, message text.
type LoggedSignal = (i64, String, bool, String);

/// Signals with positions in `from..=to`, for filling a gap in live delivery.
pub async fn range(db: &Db, from: i64, to: i64) -> Result<Vec<Delivered>> {
    let (signals, recipients): (Vec<LoggedSignal>, Vec<(i64, String)>) = with_pool!(db, read, |pool| {
        async {
            let signals = sqlx::query_as(
                "SELECT seq, channel, broadcast, message FROM signal WHERE seq BETWEEN $1 AND $2 ORDER BY seq",
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?;
            let recipients = sqlx::query_as("SELECT seq, ref FROM signal_recipient WHERE seq BETWEEN $1 AND $2")
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((signals, recipients))
        }
        .await
    })?;
    let mut refs: HashMap<i64, Vec<String>> = HashMap::new();
    for (seq, r) in recipients {
        refs.entry(seq).or_default().push(r);
    }
    Ok(signals
        .into_iter()
        .map(|(seq, channel, broadcast, message)| {
            let recipients =
                if broadcast { Recipients::Broadcast } else { Recipients::Refs(refs.remove(&seq).unwrap_or_default()) };
            Delivered::from_raw(seq, &channel, recipients, &message)
        })
        .collect())
}

/// Forgets signals older than `cutoff`, a batch at a time; returns how many.
pub async fn prune(db: &Db, cutoff: Timestamp) -> Result<u64> {
    let mut total = 0;
    loop {
        let deleted = with_pool!(db, write, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let last: Option<i64> = sqlx::query_scalar(
                    "SELECT max(seq) FROM (SELECT seq FROM signal WHERE created < $1 ORDER BY seq LIMIT 10000) AS old",
                )
                .bind(cutoff.micros())
                .fetch_one(&mut *tx)
                .await?;
                let Some(last) = last else { return Ok::<_, sqlx::Error>(0) };
                let deleted = sqlx::query("DELETE FROM signal WHERE seq <= $1")
                    .bind(last)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query("UPDATE signal_position SET pruned = $1 WHERE id = 1 AND pruned < $1")
                    .bind(last)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(deleted)
            }
            .await
        })?;
        total += deleted;
        if deleted < 10_000 {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn notified(seq: i64, signal: &Outgoing) -> WireDelivered {
        serde_json::from_str(&format!(r#"{{"seq":{seq},{}"#, notify_tail(signal))).unwrap()
    }

    #[test]
    fn a_notify_payload_is_the_signal_behind_its_position() {
        let alice = Recipients::Refs(vec!["user:default/alice".into()]);
        let signal = Outgoing::new("c", alice, &json!({ "a": 1 })).unwrap();
        let wire = notified(42, &signal);
        assert_eq!((wire.seq, wire.channel.as_str(), wire.broadcast), (42, "c", false));
        assert_eq!(wire.refs, ["user:default/alice"]);
        assert_eq!(wire.message.map(|m| m.get().to_owned()).as_deref(), Some(r#"{"a":1}"#));
    }

    #[test]
    fn a_signal_too_large_to_notify_is_announced_by_position_only() {
        let signal =
            Outgoing::new("c", Recipients::Broadcast, &json!({ "blob": "x".repeat(MAX_NOTIFY_BYTES) })).unwrap();
        let wire = notified(i64::MAX, &signal);
        assert_eq!((wire.seq, wire.message.is_none()), (i64::MAX, true));
        assert!(format!(r#"{{"seq":{},{}"#, i64::MAX, notify_tail(&signal)).len() <= MAX_NOTIFY_BYTES);
    }
}
