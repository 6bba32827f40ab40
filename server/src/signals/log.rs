//! The signal log: every signal gets a position and a row, written in the same transaction as
//! the change it announces, so what a client is told about is exactly what was committed.
//!
//! Positions come from a one-row counter updated just before commit: under SQLite's single
//! writer and PostgreSQL's row lock alike, they are gapless and in commit order. That is what
//! makes "resume after position N" exact.

use std::{collections::HashMap, sync::Arc};

use axum::extract::ws::Utf8Bytes;

use super::model::{Delivered, Recipients};
use crate::{db::Db, error::Result, timestamp::Timestamp, with_pool};

/// The NOTIFY channel instances listen on (PostgreSQL).
pub const NOTIFY_CHANNEL: &str = "herald_signals";
/// NOTIFY payloads must stay under 8000 bytes; larger signals are announced by position only.
pub const MAX_NOTIFY_BYTES: usize = 7800;

/// Appends signals inside an open transaction (`$tx`) and returns them with their positions.
/// With PostgreSQL it also queues the NOTIFY that other instances (and this one) listen for;
/// PostgreSQL sends it on commit, in commit order.
#[macro_export]
macro_rules! append_signals {
    ($tx:ident, $engine:expr, $outgoing:expr) => {
        async {
            use $crate::signals::model::{Delivered, Recipients, WireDelivered};
            let outgoing: &[$crate::signals::model::Outgoing] = $outgoing;
            let mut delivered = Vec::with_capacity(outgoing.len());
            if outgoing.is_empty() {
                return Ok::<_, sqlx::Error>(delivered);
            }
            let count = outgoing.len() as i64;
            let head: i64 =
                sqlx::query_scalar("UPDATE signal_position SET head = head + $1 WHERE id = 1 RETURNING head")
                    .bind(count)
                    .fetch_one(&mut *$tx)
                    .await?;
            let first = head - count + 1;
            let created = $crate::timestamp::Timestamp::now().micros();
            let texts: Vec<String> = outgoing.iter().map(|o| o.message.to_string()).collect();
            // Five parameters a signal: 500 a statement keeps far inside the parameter limits.
            for (chunk_index, chunk) in outgoing.chunks(500).enumerate() {
                let base = chunk_index * 500;
                let statement = format!(
                    "INSERT INTO signal (seq, created, channel, broadcast, message) VALUES {}",
                    ($engine).values_rows(chunk.len(), 5)
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(statement));
                for (i, signal) in chunk.iter().enumerate() {
                    query = query
                        .bind(first + (base + i) as i64)
                        .bind(created)
                        .bind(signal.channel.as_str())
                        .bind(matches!(signal.recipients, Recipients::Broadcast))
                        .bind(texts[base + i].as_str());
                }
                query.execute(&mut *$tx).await?;
            }
            let mut pairs: Vec<(String, i64)> = Vec::new();
            for (i, signal) in outgoing.iter().enumerate() {
                if let Recipients::Refs(refs) = &signal.recipients {
                    let mut seen = std::collections::HashSet::new();
                    for r in refs.iter().filter(|r| seen.insert(r.as_str())) {
                        pairs.push((r.clone(), first + i as i64));
                    }
                }
            }
            for chunk in pairs.chunks(1000) {
                let statement =
                    format!("INSERT INTO signal_recipient (ref, seq) VALUES {}", ($engine).values_rows(chunk.len(), 2));
                let mut query = sqlx::query(sqlx::AssertSqlSafe(statement));
                for (r, seq) in chunk {
                    query = query.bind(r.as_str()).bind(*seq);
                }
                query.execute(&mut *$tx).await?;
            }
            let mut payloads = Vec::new();
            for (i, signal) in outgoing.iter().enumerate() {
                let seq = first + i as i64;
                if $engine == $crate::db::Engine::Postgres {
                    let (broadcast, refs) = match &signal.recipients {
                        Recipients::Broadcast => (true, Vec::new()),
                        Recipients::Refs(refs) => (false, refs.clone()),
                    };
                    let mut wire = WireDelivered {
                        seq,
                        channel: signal.channel.clone(),
                        broadcast,
                        refs,
                        message: Some(signal.message.clone()),
                    };
                    let mut payload = serde_json::to_string(&wire).unwrap_or_default();
                    if payload.len() > $crate::signals::log::MAX_NOTIFY_BYTES {
                        wire.message = None;
                        wire.refs = Vec::new();
                        payload = serde_json::to_string(&wire).unwrap_or_default();
                    }
                    payloads.push(payload);
                }
                delivered.push(Delivered::from_raw(seq, &signal.channel, signal.recipients.clone(), &texts[i]));
            }
            for chunk in payloads.chunks(500) {
                let values: Vec<String> = (0..chunk.len()).map(|i| format!("(${})", i + 2)).collect();
                let statement =
                    format!("SELECT pg_notify($1, payload) FROM (VALUES {}) AS queued (payload)", values.join(", "));
                let mut query = sqlx::query(sqlx::AssertSqlSafe(statement)).bind($crate::signals::log::NOTIFY_CHANNEL);
                for payload in chunk {
                    query = query.bind(payload.as_str());
                }
                query.execute(&mut *$tx).await?;
            }
            Ok::<_, sqlx::Error>(delivered)
        }
        .await
    };
}

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
    let placeholders: Vec<String> = (0..refs.len()).map(|i| format!("${}", i + 4)).collect();
    let statement = format!(
        "SELECT s.seq, s.message FROM signal s WHERE s.channel = $1 AND s.seq > $2 AND (s.broadcast OR EXISTS \
         (SELECT 1 FROM signal_recipient r WHERE r.seq = s.seq AND r.ref IN ({}))) ORDER BY s.seq LIMIT $3",
        if placeholders.is_empty() { "NULL".to_owned() } else { placeholders.join(", ") }
    );
    let rows: Vec<(i64, String)> = with_pool!(db, read, |pool| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(statement.clone())).bind(channel).bind(since).bind(limit);
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
