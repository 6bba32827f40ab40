//! Storage of notifications, broadcasts and per-user state, on SQLite and PostgreSQL.
//!
//! Every read is shaped to touch only what a page needs: lists are merges of two index range
//! scans (the user's rows, and broadcasts joined with the user's state), counts for the plain
//! views come from totals kept by triggers, distinct topics are read by skipping through an
//! index, and substring search goes through a trigram index (FTS5 or pg_trgm).

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock},
};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{
    model::{Severity, Status, Stored},
    query::{Cursor, Direction, Filter, ListQuery, SortKey},
    search::TrigramCounts,
    settings::{self, DefaultSettings, WEB_CHANNEL},
    sql::{Arg, LikeCovers, Sql, like_covers, like_pattern, search_regex},
};
use crate::{
    bind_sql_args,
    db::{Db, Engine},
    error::{Error, Result},
    retry_transient,
    signals::{
        log::{AppendSignals, PgAppend, SqliteAppend},
        model::{Delivered, Outgoing},
    },
    timestamp::Timestamp,
    with_pool,
};

/// A notification about to be stored (personal when `user_ref` is set, else a broadcast).
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub id: Uuid,
    pub user_ref: Option<String>,
    pub origin: String,
    pub scope: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub link: Option<String>,
    pub severity: Severity,
    pub topic: Option<String>,
    pub icon: Option<String>,
    pub metadata: Option<Value>,
    pub created: Timestamp,
}

impl NewNotification {
    /// The row as it is after a plain insert.
    fn stored(&self) -> Stored {
        Stored {
            id: self.id,
            user_ref: self.user_ref.clone(),
            origin: self.origin.clone(),
            scope: self.scope.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            link: self.link.clone(),
            severity: self.severity.rank(),
            topic: self.topic.clone(),
            icon: self.icon.clone(),
            metadata: self.metadata.clone().map(sqlx::types::Json),
            created: self.created.micros(),
            updated: None,
            read: None,
            saved: None,
        }
    }
}

/// One stored setting: `topic` is `None` for the origin-level switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingRow {
    pub channel: String,
    pub origin: String,
    pub topic: Option<String>,
    pub enabled: bool,
}

/// Binds the twelve columns of a personal notification, in the order of the insert statements.
macro_rules! bind_new_row {
    ($query:expr, $row:expr) => {
        bind_content!($query.bind($row.id).bind($row.user_ref.as_deref()), $row)
    };
}

/// Binds the ten columns after `id` (and `user_ref`) that personal and broadcast rows share.
macro_rules! bind_content {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.origin)
            .bind($row.scope.as_deref())
            .bind(&$row.title)
            .bind($row.description.as_deref())
            .bind($row.link.as_deref())
            .bind($row.severity.rank())
            .bind($row.topic.as_deref())
            .bind($row.icon.as_deref())
            .bind($row.metadata.clone().map(sqlx::types::Json))
            .bind($row.created.micros())
    };
}

const PERSONAL_COLUMNS: &str = "n.id, n.user_ref, n.origin, n.scope, n.title, n.description, n.link, n.severity, \
     n.topic, n.icon, n.metadata, n.created, n.updated, n.read, n.saved";
const BROADCAST_COLUMNS: &str = "b.id, NULL AS user_ref, b.origin, b.scope, b.title, b.description, b.link, \
     b.severity, b.topic, b.icon, b.metadata, b.created, b.updated, s.read, s.saved";
const RETURNING: &str = "RETURNING id, user_ref, origin, scope, title, description, link, severity, topic, icon, \
     metadata, created, updated, read, saved";
const BROADCAST_RETURNING: &str = "RETURNING id, NULL AS user_ref, origin, scope, title, description, link, \
     severity, topic, icon, metadata, created, updated, NULL AS read, NULL AS saved";

/// Ids per statement in `IN (…)` lists: far below either engine's parameter limit.
const ID_CHUNK: usize = 500;

#[derive(Clone)]
pub struct Store {
    db: Db,
    writes: mpsc::Sender<PendingWrite>,
    trigrams: Arc<TrigramCounts>,
}

/// SQLite's trigram index numbers a row `user key << USER_KEY_SHIFT | seq` (see the migration
/// `search_by_user`), so each user's rows are one rowid range of it.
const USER_KEY_SHIFT: u32 = 40;
/// How many notifications are read at start, picked at random, to learn which trigrams are common.
const TRIGRAM_SAMPLE: i64 = 20_000;

type Announce = Arc<dyn Fn(&Stored) -> Option<Outgoing> + Send + Sync>;

/// Notifications waiting for the writer (personal ones, or a broadcast: a row without
/// `user_ref`), and where their outcome goes. With `web`, only rows the recipient's Web settings
/// let through are stored.
struct PendingWrite {
    rows: Vec<NewNotification>,
    web: Option<Arc<DefaultSettings>>,
    announce: Announce,
    reply: oneshot::Sender<Result<(Vec<Stored>, Vec<Delivered>)>>,
}

/// At most this much goes into one transaction.
const BATCH_WRITES: usize = 128;
const BATCH_ROWS: usize = 4000;

/// How a list statement reads its page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PageRead {
    /// No limit, nothing to save: every row in full, in one pass.
    Rows,
    /// The page's keys alone (index-only scans, even deep into the list), then its rows by id.
    Keys,
    /// A search finds every match before it can order them: the page's keys and the total come
    /// from that one pass instead of searching twice.
    KeysAndTotal,
}

impl PageRead {
    fn of(query: &ListQuery) -> Self {
        match (query.limit, &query.filter.search) {
            (None, _) => PageRead::Rows,
            (Some(_), None) => PageRead::Keys,
            (Some(_), Some(_)) => PageRead::KeysAndTotal,
        }
    }
}

/// How a statement over both kinds of notification wraps each arm's rows (see [`Store::union`]).
struct Arms<'a> {
    /// Before each arm's `FROM … WHERE …`: the personal arm's, the broadcast arm's.
    heads: [&'a str; 2],
    /// After each arm's rows.
    tails: [&'a str; 2],
    /// Each arm in parentheses.
    wrap: bool,
    joiner: &'a str,
    /// With a minimum severity, an arm per kind and severity at or above it (each a range of
    /// `notification_user_severity` or `broadcast_severity` in `created` order) instead of one
    /// arm per kind that filters.
    split_severities: bool,
}

/// Which side of the union a condition is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arm {
    Personal,
    Broadcast,
}

impl Arm {
    /// The table alias holding read/saved, and the one holding the content.
    fn aliases(self) -> (&'static str, &'static str) {
        match self {
            Arm::Personal => ("n", "n"),
            Arm::Broadcast => ("s", "b"),
        }
    }
}

impl Store {
    /// Needs a Tokio runtime: it starts the writer of personal notifications.
    pub fn new(db: Db) -> Self {
        let (writes, queue) = mpsc::channel(1024);
        tokio::spawn(write_batches(db.clone(), queue));
        let trigrams = Arc::new(TrigramCounts::default());
        tokio::spawn(sample_trigrams(db.clone(), trigrams.clone()));
        Self { db, writes, trigrams }
    }

    pub fn engine(&self) -> Engine {
        self.db.engine()
    }

    // ---- reading --------------------------------------------------------------------------

    /// A page of the user's visible notifications and the total matching the filter.
    pub async fn list(&self, user: &str, query: &ListQuery) -> Result<(Vec<Stored>, i64)> {
        if query.limit == Some(0) {
            return Ok((Vec::new(), self.count(user, &query.filter).await?));
        }
        let sql = self.page_statement(user, query);
        let (rows, counted) = match PageRead::of(query) {
            PageRead::KeysAndTotal => {
                let keys: Vec<(Uuid, i64)> = with_pool!(&self.db, read, |pool| {
                    bind_sql_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text.clone())), &sql).fetch_all(pool).await
                })?;
                let ids: Vec<Uuid> = keys.iter().map(|(id, _)| *id).collect();
                (self.page_by_ids(user, &ids).await?, keys.first().map(|(_, total)| *total))
            }
            PageRead::Keys => {
                let ids: Vec<Uuid> = with_pool!(&self.db, read, |pool| {
                    bind_sql_args!(sqlx::query_scalar::<_, Uuid>(sqlx::AssertSqlSafe(sql.text.clone())), &sql)
                        .fetch_all(pool)
                        .await
                })?;
                (self.page_by_ids(user, &ids).await?, None)
            }
            PageRead::Rows => (self.fetch_stored(&sql).await?, None),
        };
        // An offset past the end returns no rows, and with them no total.
        let total = match counted {
            Some(total) => total,
            None => self.count(user, &query.filter).await?,
        };
        Ok((rows, total))
    }

    /// The statement that reads a page, in the form [`PageRead::of`] the query says.
    fn page_statement(&self, user: &str, query: &ListQuery) -> Sql {
        let read = PageRead::of(query);
        let cursor = query.cursor.zip(query.created_direction());
        let order = order_by(&query.order);
        // PostgreSQL reads both arms in full before it merges them (SQLite merges the ordered
        // arms as it goes). Capping each arm at the rows the page could take from it keeps a
        // page as deep as its index range scan.
        let arm_cap = match (self.engine(), read, query.limit) {
            (Engine::Postgres, PageRead::Keys, Some(limit)) => {
                let rows = limit.saturating_add(query.offset.unwrap_or(0)).min(i64::MAX as u64);
                Some(format!(" ORDER BY {order} LIMIT {rows}"))
            }
            _ => None,
        };
        let [p, b] = [Arm::Personal, Arm::Broadcast].map(|arm| sort_columns(&query.order, arm));
        let [personal, broadcast] = match read {
            PageRead::Rows => [format!("SELECT {PERSONAL_COLUMNS} "), format!("SELECT {BROADCAST_COLUMNS} ")],
            _ => [format!("SELECT n.id{p} "), format!("SELECT b.id{b} ")],
        };
        // The matches of a search are gathered once, then counted and ordered; a window count
        // over them would copy each match once more.
        let (open, close) = match read {
            PageRead::KeysAndTotal => {
                ("WITH matching AS MATERIALIZED (", ") SELECT id, (SELECT count(*) FROM matching) FROM matching")
            }
            _ => ("", ""),
        };
        let cap = arm_cap.as_deref().unwrap_or_default();
        let arms = Arms {
            heads: [&personal, &broadcast],
            tails: [cap, cap],
            wrap: arm_cap.is_some(),
            joiner: " UNION ALL ",
            // A page in `created` order at or above a severity merges one ordered range per
            // severity; a search reads all its matches anyway.
            split_severities: read == PageRead::Keys && query.created_direction().is_some(),
        };
        let mut sql = self.union(user, &query.filter, cursor, open, arms, close);
        sql.push(" ORDER BY ").push(&order);
        match (query.limit, query.offset, self.engine()) {
            (Some(limit), offset, _) => {
                // Written into the text, not bound: SQLite plans with a bound LIMIT's value, so
                // it re-prepares the whole statement at every execution (a quarter of a page's
                // key read). Page sizes are few; offsets are many and stay bound.
                sql.push(&format!(" LIMIT {limit}"));
                if let Some(offset) = offset {
                    sql.push_bound(" OFFSET {}", Arg::Int(offset as i64));
                }
            }
            (None, Some(offset), Engine::Sqlite) => {
                sql.push_bound(" LIMIT -1 OFFSET {}", Arg::Int(offset as i64));
            }
            (None, Some(offset), Engine::Postgres) => {
                sql.push_bound(" OFFSET {}", Arg::Int(offset as i64));
            }
            (None, None, _) => {}
        }
        sql
    }

    /// How many visible notifications match `filter`.
    pub async fn count(&self, user: &str, filter: &Filter) -> Result<i64> {
        if filter.is_view_and_severity() {
            let t = self.totals(user, filter.severity_rank()).await?;
            let derived = match (filter.read, filter.saved) {
                (None, None) => Some(t.total + t.broadcasts),
                (Some(false), None) => Some(t.unread + t.broadcasts - t.broadcasts_read),
                (Some(true), None) => Some(t.total - t.unread + t.broadcasts_read),
                (None, Some(true)) => Some(t.saved + t.broadcasts_saved),
                (None, Some(false)) => Some(t.total - t.saved + t.broadcasts - t.broadcasts_saved),
                _ => None,
            };
            if let Some(count) = derived {
                return Ok(count);
            }
        }
        let arms = Arms {
            heads: ["SELECT count(*) ", "SELECT count(*) "],
            tails: ["", ""],
            wrap: true,
            joiner: " + ",
            split_severities: false,
        };
        let sql = self.union(user, filter, None, "SELECT ", arms, "");
        self.fetch_i64(&sql).await
    }

    pub async fn status(&self, user: &str) -> Result<Status> {
        let t = self.totals(user, None).await?;
        Ok(Status {
            unread: t.unread + t.broadcasts - t.broadcasts_read,
            read: t.total - t.unread + t.broadcasts_read,
            saved: t.saved + t.broadcasts_saved,
        })
    }

    /// The user's personal totals and the broadcast totals at or above a severity rank (both
    /// kept by triggers, per severity), and the user's broadcast states.
    async fn totals(&self, user: &str, rank: Option<i16>) -> Result<Totals> {
        let statement = &TOTALS[usize::from(rank.is_some())];
        let rank = rank.unwrap_or(Severity::Low.rank());
        let row: (i64, i64, i64, i64, i64, i64) = with_pool!(&self.db, read, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(statement.as_str())).bind(user).bind(rank).fetch_one(pool).await
        })?;
        Ok(Totals {
            total: row.0,
            unread: row.1,
            saved: row.2,
            broadcasts: row.3,
            broadcasts_read: row.4,
            broadcasts_saved: row.5,
        })
    }

    /// One visible notification, or `None` (unknown and not-yours look the same).
    pub async fn get(&self, user: &str, id: Uuid) -> Result<Option<Stored>> {
        let mut rows = self.visible_by_ids(user, &[id]).await?;
        Ok(rows.pop())
    }

    /// Distinct topics of the visible notifications matching `filter`, ascending.
    pub async fn topics(&self, user: &str, filter: &Filter) -> Result<Vec<String>> {
        let plain = filter.is_view_and_severity() && filter.saved.is_none() && filter.read != Some(true);
        let mut topics: Vec<String> = if plain {
            // Skip through the topic index: one seek per distinct topic, however many rows (a
            // minimum severity reads on through a topic's rows to the first at or above it: no
            // index has both).
            let severity = filter.severity_rank().map(|rank| format!(" AND severity <= {rank}")).unwrap_or_default();
            let unread = if filter.read == Some(false) { " AND read IS NULL" } else { "" };
            let personal = topic_walk(&format!("notification WHERE user_ref = $1{severity}{unread}"), "");
            // The same through the broadcasts' topic index, keeping each topic where a seek into it
            // (topic, severity) finds a broadcast at or above the severity, and for an unread list
            // one the user has not read: mostly the first looked at. Walking on to the next such
            // broadcast instead read all of a topic that has none (8,000 normal ones: 1.5 ms of a
            // list of critical topics). A scalar subquery in index order, not EXISTS, which
            // PostgreSQL turns into a semi-join over every broadcast (1.8 ms against 0.1 at
            // 8,200). Unread asks NOT EXISTS, not a join's `s.read IS NULL`: PostgreSQL estimates
            // that at one row and sorts every broadcast of the topic (24 ms against 0.7).
            let (state_join, state_check) = match filter.read {
                Some(false) => (
                    "",
                    " AND NOT EXISTS (SELECT 1 FROM broadcast_state s \
                     WHERE s.user_ref = $1 AND s.broadcast_id = b.id AND s.read IS NOT NULL)",
                ),
                // A join both engines drop (one state per user and broadcast), naming the user
                // as the unread form does.
                _ => ("LEFT JOIN broadcast_state s ON s.user_ref = $1 AND s.broadcast_id = b.id", ""),
            };
            let rank = filter.severity_rank().unwrap_or(Severity::Low.rank());
            let broadcasts = topic_walk(
                "broadcast WHERE topic IS NOT NULL",
                &format!(
                    " AND (SELECT b.severity FROM broadcast b {state_join} WHERE b.topic = t.topic \
                     AND b.severity <= {rank}{state_check} ORDER BY b.severity LIMIT 1) IS NOT NULL"
                ),
            );
            let mut topics = self.fetch_strings(&personal, user).await?;
            topics.extend(self.fetch_strings(&broadcasts, user).await?);
            topics
        } else {
            let arms = Arms {
                heads: ["SELECT DISTINCT n.topic ", "SELECT DISTINCT b.topic "],
                tails: [" AND n.topic IS NOT NULL", " AND b.topic IS NOT NULL"],
                wrap: false,
                joiner: " UNION ",
                split_severities: false,
            };
            let sql = self.union(user, filter, None, "", arms, "");
            with_pool!(&self.db, read, |pool| {
                bind_sql_args!(sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.text.clone())), &sql)
                    .fetch_all(pool)
                    .await
            })?
        };
        topics.sort();
        topics.dedup();
        Ok(topics)
    }

    /// The rows of a page found by its keys, in the keys' order.
    async fn page_by_ids(&self, user: &str, ids: &[Uuid]) -> Result<Vec<Stored>> {
        let mut rows = self.visible_by_ids(user, ids).await?;
        rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
        Ok(rows)
    }

    /// Visible notifications with these ids, newest first.
    pub async fn visible_by_ids(&self, user: &str, ids: &[Uuid]) -> Result<Vec<Stored>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ID_CHUNK) {
            found.extend(self.fetch_stored(&by_ids(self.engine(), user, chunk)).await?);
        }
        found.sort_by_key(|row| std::cmp::Reverse((row.created, row.id)));
        Ok(found)
    }

    // ---- changing state ---------------------------------------------------------------------

    /// Marks the user's notifications (personal or broadcast) read/unread and saved/unsaved, and
    /// logs `signals` in the same transaction. Only the flags given change; ids the user cannot
    /// see are ignored. Returns the visible notifications with those ids, after the change.
    pub async fn update(
        &self,
        user: &str,
        ids: &[Uuid],
        read: Option<bool>,
        saved: Option<bool>,
        signals: Vec<Outgoing>,
    ) -> Result<(Vec<Stored>, Vec<Delivered>)> {
        let now = Timestamp::now().micros();
        let by_user = self.engine().filter_only("user_ref");
        let mut statements = Vec::new();
        for chunk in ids.chunks(ID_CHUNK) {
            for (column, value) in [("read", read), ("saved", saved)] {
                let Some(on) = value else { continue };
                let mut personal = Sql::new(self.engine());
                let user_arg = personal.arg(Arg::Text(user.to_owned()));
                let list = id_list(&mut personal, chunk);
                let mut broadcast = Sql::new(self.engine());
                let b_user = broadcast.arg(Arg::Text(user.to_owned()));
                let b_list = id_list(&mut broadcast, chunk);
                if on {
                    let stamp = personal.arg(Arg::Int(now));
                    personal.push(&format!(
                        "UPDATE notification SET {column} = {stamp} \
                         WHERE {by_user} = {user_arg} AND {column} IS NULL AND id IN ({list})"
                    ));
                    let b_stamp = broadcast.arg(Arg::Int(now));
                    // Only the flag that was sent changes (upstream also overwrote the other one).
                    broadcast.push(&format!(
                        "INSERT INTO broadcast_state (user_ref, broadcast_id, {column}) \
                         SELECT {b_user}, id, {b_stamp} FROM broadcast WHERE id IN ({b_list}) \
                         ON CONFLICT (user_ref, broadcast_id) DO UPDATE \
                         SET {column} = coalesce(broadcast_state.{column}, excluded.{column})"
                    ));
                } else {
                    personal.push(&format!(
                        "UPDATE notification SET {column} = NULL \
                         WHERE {by_user} = {user_arg} AND {column} IS NOT NULL AND id IN ({list})"
                    ));
                    broadcast.push(&format!(
                        "UPDATE broadcast_state SET {column} = NULL \
                         WHERE user_ref = {b_user} AND {column} IS NOT NULL AND broadcast_id IN ({b_list})"
                    ));
                }
                statements.push(personal);
                statements.push(broadcast);
            }
        }
        let (_, delivered) = self.execute_all(&statements, |_| signals.clone()).await?;
        Ok((self.visible_by_ids(user, ids).await?, delivered))
    }

    /// Marks every unread notification matching `filter` read, in two statements whatever
    /// their number, and logs what `signal` makes of the count in the same transaction.
    pub async fn mark_all_read(
        &self,
        user: &str,
        filter: &Filter,
        signal: impl Fn(u64) -> Option<Outgoing> + Send + Sync,
    ) -> Result<(u64, Vec<Delivered>)> {
        let filter = Filter { read: Some(false), ..filter.clone() };
        let now = Timestamp::now().micros();

        let mut personal = Sql::new(self.engine());
        let user_arg = personal.arg(Arg::Text(user.to_owned()));
        let stamp = personal.arg(Arg::Int(now));
        // The user named outside too: PostgreSQL then reads only their partition.
        personal.push(&format!(
            "UPDATE notification SET read = {stamp} WHERE user_ref = {user_arg} AND seq IN (SELECT n.seq "
        ));
        self.matching_rows(&mut personal, Arm::Personal, &user_arg, &filter, None, None);
        personal.push(")");

        let mut broadcast = Sql::new(self.engine());
        let b_user = broadcast.arg(Arg::Text(user.to_owned()));
        let b_stamp = broadcast.arg(Arg::Int(now));
        broadcast.push(&format!(
            "INSERT INTO broadcast_state (user_ref, broadcast_id, read) SELECT {b_user}, b.id, {b_stamp} "
        ));
        self.matching_rows(&mut broadcast, Arm::Broadcast, &b_user, &filter, None, None);
        broadcast.push(" ON CONFLICT (user_ref, broadcast_id) DO UPDATE SET read = excluded.read");

        self.execute_all(&[personal, broadcast], |count| signal(count).into_iter().collect()).await
    }

    /// Stores personal notifications. A scoped one replaces the user's existing notification
    /// with the same (origin, scope) in place: same id, new content, unread again; the unique
    /// index makes that atomic under concurrent sends. The signal `announce` makes of each stored
    /// row is logged in the same transaction.
    ///
    /// Concurrent calls share transactions: whatever arrives while one commits goes into the
    /// next (group commit), which is what makes thousands of sends a second possible.
    /// Stores personal notifications as they are: for seeding and imports, where no settings
    /// apply.
    pub async fn insert_personal(
        &self,
        rows: &[NewNotification],
        announce: impl Fn(&Stored) -> Option<Outgoing> + Send + Sync + 'static,
    ) -> Result<(Vec<Stored>, Vec<Delivered>)> {
        self.write(rows, None, announce).await
    }

    /// Stores the personal notifications each recipient's Web settings (over `defaults`) let
    /// through, and returns those. The settings are read in the transaction that stores the rows,
    /// once for a whole group of sends, so a send never races a settings change.
    pub async fn deliver_personal(
        &self,
        rows: &[NewNotification],
        defaults: &Arc<DefaultSettings>,
        announce: impl Fn(&Stored) -> Option<Outgoing> + Send + Sync + 'static,
    ) -> Result<(Vec<Stored>, Vec<Delivered>)> {
        self.write(rows, Some(defaults.clone()), announce).await
    }

    /// Queues rows (personal, or a broadcast without `user_ref`) for the writer.
    async fn write(
        &self,
        rows: &[NewNotification],
        web: Option<Arc<DefaultSettings>>,
        announce: impl Fn(&Stored) -> Option<Outgoing> + Send + Sync + 'static,
    ) -> Result<(Vec<Stored>, Vec<Delivered>)> {
        // A send to a group is one text in many rows: counted once.
        let mut last = None;
        for row in rows {
            let texts = (row.title.as_str(), row.description.as_deref());
            if last != Some(texts) {
                self.trigrams.observe_notification(texts.0, texts.1);
                last = Some(texts);
            }
        }
        let (reply, answer) = oneshot::channel();
        let pending = PendingWrite { rows: rows.to_vec(), web, announce: Arc::new(announce), reply };
        let stopped = || Error::Internal(anyhow::anyhow!("the notification writer has stopped"));
        self.writes.send(pending).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Stores a broadcast; a scoped one replaces the origin's broadcast with that scope and
    /// becomes unread again for everybody. The signal `announce` makes of it is logged in the
    /// same transaction, which it shares with whatever else the writer has waiting.
    pub async fn upsert_broadcast(
        &self,
        row: &NewNotification,
        announce: impl Fn(&Stored) -> Option<Outgoing> + Send + Sync + 'static,
    ) -> Result<(Stored, Vec<Delivered>)> {
        debug_assert!(row.user_ref.is_none(), "a broadcast has no recipient");
        let (mut stored, delivered) = self.write(std::slice::from_ref(row), None, announce).await?;
        let stored = stored.pop().ok_or_else(|| Error::Internal(anyhow::anyhow!("the writer stored no broadcast")))?;
        Ok((stored, delivered))
    }

    /// Deletes notifications and broadcasts last touched at or before `cutoff`, in batches so
    /// no transaction holds the database for long. Returns how many went.
    pub async fn delete_older_than(&self, cutoff: Timestamp) -> Result<u64> {
        let mut deleted = 0;
        // A personal row is found by its user and number: PostgreSQL keeps it in its user's partition.
        for (table, key) in [("notification", "user_ref, seq"), ("broadcast", "seq")] {
            let statement = format!(
                "DELETE FROM {table} WHERE ({key}) IN \
                 (SELECT {key} FROM {table} WHERE coalesce(updated, created) <= $1 LIMIT 5000)"
            );
            loop {
                let done = with_pool!(&self.db, write, |pool| {
                    sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                        .bind(cutoff.micros())
                        .execute(pool)
                        .await
                        .map(|r| r.rows_affected())
                })?;
                deleted += done;
                if done < 5000 {
                    break;
                }
            }
        }
        Ok(deleted)
    }

    // ---- settings -------------------------------------------------------------------------

    pub async fn settings(&self, user: &str) -> Result<Vec<SettingRow>> {
        let rows: Vec<(String, String, String, bool)> = with_pool!(&self.db, read, |pool| {
            sqlx::query_as(
                "SELECT channel, origin, topic, enabled FROM user_setting WHERE user_ref = $1 \
                 ORDER BY channel, origin, topic",
            )
            .bind(user)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(channel, origin, topic, enabled)| SettingRow {
                channel,
                origin,
                topic: (!topic.is_empty()).then_some(topic),
                enabled,
            })
            .collect())
    }

    /// Replaces all of the user's settings with `rows`, atomically.
    pub async fn replace_settings(&self, user: &str, rows: &[SettingRow]) -> Result<()> {
        with_pool!(&self.db, write, |pool| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM user_setting WHERE user_ref = $1").bind(user).execute(&mut *tx).await?;
                for row in rows {
                    sqlx::query(
                        "INSERT INTO user_setting (user_ref, channel, origin, topic, enabled) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (user_ref, channel, origin, topic) DO UPDATE SET enabled = excluded.enabled",
                    )
                    .bind(user)
                    .bind(&row.channel)
                    .bind(&row.origin)
                    .bind(row.topic.as_deref().unwrap_or(""))
                    .bind(row.enabled)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await
            }
            .await
        })?;
        Ok(())
    }

    /// Origins of the user's personal notifications, and their (origin, topic) pairs.
    pub async fn received_origins(&self, user: &str) -> Result<Vec<(String, Vec<String>)>> {
        let origins = self
            .fetch_strings(
                "WITH RECURSIVE o(origin) AS ( \
                   SELECT (SELECT min(origin) FROM notification WHERE user_ref = $1) \
                   UNION ALL \
                   SELECT (SELECT min(origin) FROM notification WHERE user_ref = $1 AND origin > o.origin) \
                   FROM o WHERE o.origin IS NOT NULL \
                 ) SELECT origin FROM o WHERE origin IS NOT NULL",
                user,
            )
            .await?;
        let mut result = Vec::with_capacity(origins.len());
        for origin in origins {
            let topics: Vec<String> = with_pool!(&self.db, read, |pool| {
                sqlx::query_scalar(
                    "WITH RECURSIVE t(topic) AS ( \
                       SELECT (SELECT min(topic) FROM notification WHERE user_ref = $1 AND origin = $2 AND topic >= '') \
                       UNION ALL \
                       SELECT (SELECT min(topic) FROM notification WHERE user_ref = $1 AND origin = $2 AND topic > t.topic) \
                       FROM t WHERE t.topic IS NOT NULL \
                     ) SELECT topic FROM t WHERE topic IS NOT NULL",
                )
                .bind(user)
                .bind(&origin)
                .fetch_all(pool)
                .await
            })?;
            result.push((origin, topics));
        }
        Ok(result)
    }

    // ---- SQL assembly -----------------------------------------------------------------------

    /// `{open}<arms>{close}`, where each arm is `{head}FROM … WHERE …{tail}` over the visible
    /// notifications of one kind matching `filter`: the shape of every query over both kinds
    /// (a merged list, a total, distinct topics).
    fn union(
        &self,
        user: &str,
        filter: &Filter,
        cursor: Option<(Cursor, Direction)>,
        open: &str,
        arms: Arms,
        close: &str,
    ) -> Sql {
        let mut sql = Sql::new(self.engine());
        let user_arg = sql.arg(Arg::Text(user.to_owned()));
        sql.push(open);
        let severities: Vec<Option<i16>> = match filter.severity_rank() {
            Some(rank) if arms.split_severities => (1..=rank).map(Some).collect(),
            _ => vec![None],
        };
        let parts = [Arm::Personal, Arm::Broadcast]
            .into_iter()
            .flat_map(|arm| severities.iter().map(move |exact| (arm, *exact)));
        for (index, (arm, exact_severity)) in parts.enumerate() {
            if index > 0 {
                sql.push(arms.joiner);
            }
            let side = usize::from(arm == Arm::Broadcast);
            sql.push(if arms.wrap { "(" } else { "" }).push(arms.heads[side]);
            self.matching_rows(&mut sql, arm, &user_arg, filter, cursor, exact_severity);
            sql.push(arms.tails[side]).push(if arms.wrap { ")" } else { "" });
        }
        sql.push(close);
        sql
    }

    /// `FROM … WHERE …` selecting the visible rows of one arm that match `filter`.
    fn matching_rows(
        &self,
        sql: &mut Sql,
        arm: Arm,
        user_arg: &str,
        filter: &Filter,
        cursor: Option<(Cursor, Direction)>,
        exact_severity: Option<i16>,
    ) {
        let engine = self.engine();
        let search = filter.search.as_deref();
        // SQLite narrows a substring of three or more characters down through the FTS5 trigram
        // index (the user's rows holding the term's rarest trigrams), and the check below keeps
        // the true matches; shorter terms, which that index cannot serve, are the check alone.
        let fts = match (engine, search) {
            (Engine::Sqlite, Some(term)) => self.trigrams.fts_query(term),
            _ => None,
        };
        let rowids = (1_i64 << USER_KEY_SHIFT) - 1;
        match (arm, fts) {
            (Arm::Personal, Some(fts)) => {
                let query = sql.arg(Arg::Text(fts));
                sql.push(&format!(
                    "FROM notification_search CROSS JOIN notification n ON n.seq = notification_search.rowid & {rowids} \
                     WHERE notification_search MATCH {query} AND notification_search.rowid BETWEEN \
                     (SELECT key << {USER_KEY_SHIFT} FROM user_key WHERE user_ref = {user_arg}) AND \
                     (SELECT key << {USER_KEY_SHIFT} | {rowids} FROM user_key WHERE user_ref = {user_arg}) \
                     AND n.user_ref = {user_arg}"
                ));
            }
            (Arm::Personal, None) => {
                // SQLite's statistics average the saved rows over the users who have any, so a
                // user who saves a lot makes their saved index look costlier than walking their
                // whole history (200,000 rows, 2 % saved: 2.1 ms against 0.1).
                let pinned = match (engine, filter.saved) {
                    (Engine::Sqlite, Some(true)) => " INDEXED BY notification_user_saved",
                    _ => "",
                };
                sql.push(&format!("FROM notification n{pinned} WHERE n.user_ref = ")).push(user_arg);
            }
            (Arm::Broadcast, Some(fts)) => {
                // Broadcasts are user key 0 of the index (migration `search_broadcasts`).
                let query = sql.arg(Arg::Text(fts));
                sql.push(&format!(
                    "FROM notification_search CROSS JOIN broadcast b ON b.seq = notification_search.rowid \
                     LEFT JOIN broadcast_state s ON s.user_ref = {user_arg} AND s.broadcast_id = b.id \
                     WHERE notification_search MATCH {query} AND notification_search.rowid BETWEEN 0 AND {rowids}"
                ));
            }
            (Arm::Broadcast, None) if filter.read == Some(true) || filter.saved == Some(true) => {
                // Only broadcasts the user marked can match: their states, not every broadcast.
                sql.push("FROM broadcast_state s JOIN broadcast b ON b.id = s.broadcast_id WHERE s.user_ref = ")
                    .push(user_arg);
            }
            (Arm::Broadcast, None) => {
                sql.push("FROM broadcast b LEFT JOIN broadcast_state s ON s.user_ref = ")
                    .push(user_arg)
                    .push(" AND s.broadcast_id = b.id WHERE TRUE");
            }
        }
        let (state, content) = arm.aliases();
        for (column, value) in [("read", filter.read), ("saved", filter.saved)] {
            match value {
                Some(true) => sql.push(&format!(" AND {state}.{column} IS NOT NULL")),
                Some(false) => sql.push(&format!(" AND {state}.{column} IS NULL")),
                None => sql,
            };
        }
        if let Some(topic) = &filter.topic {
            sql.push_bound(&format!(" AND {content}.topic = {{}}"), Arg::Text(topic.clone()));
        }
        if let Some(after) = filter.created_after {
            sql.push_bound(&format!(" AND {content}.created >= {{}}"), Arg::Int(after.micros()));
        }
        match (exact_severity, filter.severity_rank()) {
            (Some(rank), _) => sql.push_bound(&format!(" AND {content}.severity = {{}}"), Arg::Int(i64::from(rank))),
            (None, Some(rank)) => {
                sql.push_bound(&format!(" AND {content}.severity <= {{}}"), Arg::Int(i64::from(rank)))
            }
            (None, None) => sql,
        };
        match (search, engine) {
            (Some(text), Engine::Sqlite) => {
                let like = sql.arg(Arg::Text(like_pattern(text)));
                let regex = match like_covers(text) {
                    LikeCovers::Everything => None,
                    covers => Some((covers, sql.arg(Arg::Text(search_regex(text))))),
                };
                let matches = |column: &str| {
                    let column = format!("{content}.{column}");
                    let like = format!("{column} LIKE {like} ESCAPE '\\'");
                    match &regex {
                        None => like,
                        Some((LikeCovers::AsciiTexts, regex)) => format!(
                            "{like} OR (length({column}) <> octet_length({column}) AND {column} REGEXP {regex})"
                        ),
                        Some((_, regex)) => format!("{like} OR {column} REGEXP {regex}"),
                    }
                };
                sql.push(&format!(" AND ({} OR {})", matches("title"), matches("description")));
            }
            (Some(text), Engine::Postgres) => {
                // The trigram index is asked for the term's rarest trigrams, in one pattern per
                // column (one index scan a column), and the whole term is checked on what it
                // finds: `|| ''` keeps the planner from taking the whole term's trigrams,
                // frequent ones included, to the index. Indexes keyed by user first halved a
                // common term's time but made rare ones 7x slower and every read-state change
                // write twice the trigram entries: not kept. A term without words of four
                // letters or digits is checked alone, through whatever index the planner likes.
                // The check tries LIKE first: ILIKE lowercases each text it reads, and a text
                // that matches as written (most do) is spared that (a common term's statement:
                // 3.7 -> 2.9 ms).
                let either = |op: &str, pattern: &str, suffix: &str| {
                    format!(
                        "({content}.title{suffix}) {op} {pattern} ESCAPE '\\' \
                         OR ({content}.description{suffix}) {op} {pattern} ESCAPE '\\'"
                    )
                };
                let pattern = sql.arg(Arg::Text(like_pattern(text)));
                match self.trigrams.index_pattern(text) {
                    Some(indexed) => {
                        let indexed = sql.arg(Arg::Text(indexed));
                        sql.push(&format!(
                            " AND ({}) AND ({} OR {})",
                            either("ILIKE", &indexed, ""),
                            either("LIKE", &pattern, " || ''"),
                            either("ILIKE", &pattern, " || ''")
                        ));
                    }
                    None => {
                        sql.push(&format!(" AND ({})", either("ILIKE", &pattern, "")));
                    }
                }
            }
            (None, _) => {}
        }
        if let Some((cursor, direction)) = cursor {
            let created = sql.arg(Arg::Int(cursor.created));
            let id = sql.arg(Arg::Id(cursor.id));
            let op = if direction == Direction::Desc { "<" } else { ">" };
            sql.push(&format!(" AND ({content}.created, {content}.id) {op} ({created}, {id})"));
        }
    }

    async fn fetch_stored(&self, sql: &Sql) -> Result<Vec<Stored>> {
        let rows = with_pool!(&self.db, read, |pool| {
            bind_sql_args!(sqlx::query_as::<_, Stored>(sqlx::AssertSqlSafe(sql.text.clone())), &sql)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows)
    }

    async fn fetch_i64(&self, sql: &Sql) -> Result<i64> {
        let value = with_pool!(&self.db, read, |pool| {
            bind_sql_args!(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.text.clone())), &sql)
                .fetch_one(pool)
                .await
        })?;
        Ok(value)
    }

    async fn fetch_strings(&self, statement: &str, user: &str) -> Result<Vec<String>> {
        let values = with_pool!(&self.db, read, |pool| {
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(statement.to_owned())).bind(user).fetch_all(pool).await
        })?;
        Ok(values)
    }

    /// Runs statements in one transaction, then logs the signals `announce` makes of the number
    /// of rows they changed, in the same transaction.
    async fn execute_all(
        &self,
        statements: &[Sql],
        announce: impl Fn(u64) -> Vec<Outgoing> + Send + Sync,
    ) -> Result<(u64, Vec<Delivered>)> {
        let result = retry_transient!(async {
            with_pool!(&self.db, write, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let mut changed = 0;
                    for sql in statements {
                        changed += bind_sql_args!(sqlx::query(sqlx::AssertSqlSafe(sql.text.clone())), &sql)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                    let signals = announce(changed);
                    let delivered = tx.append_signals(&signals).await?;
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>((changed, delivered))
                }
                .await
            })
        })?;
        Ok(result)
    }
}

/// Counts the trigrams of a sample of the notifications, so the first searches after a start
/// already know which are common. A failure only leaves the counts to the inserts that follow.
async fn sample_trigrams(db: Db, trigrams: Arc<TrigramCounts>) {
    let texts = match &db {
        Db::Sqlite { read, .. } => {
            // Numbers drawn across the whole table, not the newest rows: after a burst of alike
            // sends (a bot's thousands of "Build … finished") those were all alike, every other
            // trigram looked rare, and searches stepped through the most common lists (after
            // 21,600 alike sends on the 1,000,000-row database: 13 M instructions for a rare term
            // against 2.4 M with this sample, 79 M against 8.4 M for a common one). Read in
            // order of number, the picks sweep the file once (1.7 s for 20,000, in the background).
            sqlx::query_as::<_, (String, Option<String>)>(
                "WITH RECURSIVE pick(n, seq) AS ( \
                   SELECT 0, NULL \
                   UNION ALL \
                   SELECT n + 1, (SELECT min(seq) FROM notification) + abs(random() % \
                     ((SELECT max(seq) FROM notification) - (SELECT min(seq) FROM notification) + 1)) \
                   FROM pick WHERE n < $1 \
                 ) \
                 SELECT title, description FROM (SELECT seq FROM pick ORDER BY seq) p \
                 JOIN notification n ON n.seq = p.seq",
            )
            .bind(TRIGRAM_SAMPLE)
            .fetch_all(read)
            .await
        }
        // The partitions have no order by `seq` short of sorting them all: a sample of their
        // pages instead, sized by the planner's row estimate (all of a table never analysed).
        Db::Postgres(pool) => {
            sqlx::query_as::<_, (String, Option<String>)>(
                "SELECT title, description FROM notification TABLESAMPLE SYSTEM (( \
                   SELECT least(100, 100.0 * $1 / greatest(sum(reltuples), 1)) FROM pg_class \
                   WHERE oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'notification'::regclass) \
                 )) LIMIT $1",
            )
            .bind(TRIGRAM_SAMPLE)
            .fetch_all(pool)
            .await
        }
    };
    match texts {
        Ok(texts) => {
            for (title, description) in texts {
                trigrams.observe_notification(&title, description.as_deref());
            }
        }
        Err(error) => tracing::warn!(%error, "could not sample notifications for search"),
    }
}

/// Takes pending writes as they come, as many as are waiting, and stores each group in one
/// transaction. If a group fails, each write is tried alone, so one request's problem stays its
/// own.
async fn write_batches(db: Db, mut queue: mpsc::Receiver<PendingWrite>) {
    while let Some(first) = queue.recv().await {
        let mut rows = first.rows.len();
        let mut batch = vec![first];
        while batch.len() < BATCH_WRITES && rows < BATCH_ROWS {
            match queue.try_recv() {
                Ok(next) => {
                    rows += next.rows.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        match write_batch(&db, &batch).await {
            Ok(results) => {
                for (pending, result) in batch.into_iter().zip(results) {
                    let _ = pending.reply.send(Ok(result));
                }
            }
            Err(error) if batch.len() == 1 => {
                let _ = batch.pop().map(|pending| pending.reply.send(Err(error.into())));
            }
            Err(_) => {
                for pending in batch {
                    let result = write_batch(&db, std::slice::from_ref(&pending)).await;
                    let _ = pending.reply.send(result.map(|mut r| r.remove(0)).map_err(Into::into));
                }
            }
        }
    }
}

/// Rows stored by a statement of their own, which returns them as stored: scoped sends, which
/// may replace a row. The rest, personal or broadcast, are new rows exactly as sent and go in
/// by multi-row inserts (a statement per broadcast, in a transaction, cost a round trip to the
/// database per send: 2,800 broadcasts a second, against 7,700 in the group's insert).
fn one_by_one(row: &NewNotification) -> bool {
    row.scope.is_some()
}

/// (user, origin) → that user's Web switches for the origin: (topic, or `None` for the
/// origin itself; enabled).
type WebSwitches = HashMap<(String, String), Vec<(Option<String>, bool)>>;

/// The distinct topics of `source` (`table WHERE …`) that `keep` (`AND …` on `t.topic`) keeps,
/// by skipping through an index on the topic: one seek per topic, however many rows.
fn topic_walk(source: &str, keep: &str) -> String {
    format!(
        "WITH RECURSIVE t(topic) AS ( \
           SELECT (SELECT min(topic) FROM {source} AND topic >= '') \
           UNION ALL \
           SELECT (SELECT min(topic) FROM {source} AND topic > t.topic) FROM t WHERE t.topic IS NOT NULL \
         ) SELECT topic FROM t WHERE topic IS NOT NULL{keep}"
    )
}

/// The statement of [`Store::totals`]: for every severity, and at or above one. The counts are
/// kept per severity by triggers (the user's in `user_stats`, the broadcasts in
/// `broadcast_stats`). A user's broadcast states name no severity: with a minimum, each state's
/// broadcast is looked up.
static TOTALS: LazyLock<[String; 2]> = LazyLock::new(|| {
    // `rows` is a table and the start of its WHERE clause, which the severity condition ends.
    let kept = |column: &str, rows: &str| {
        format!("(SELECT CAST(coalesce(sum({column}), 0) AS BIGINT) FROM {rows} severity <= $2)")
    };
    let user = "user_stats WHERE user_ref = $1 AND";
    let statement = |states: &str| {
        format!(
            "SELECT {}, {}, {}, {}, (SELECT count(read) {states}), (SELECT count(saved) {states})",
            kept("total", user),
            kept("unread", user),
            kept("saved", user),
            kept("total", "broadcast_stats WHERE"),
        )
    };
    [
        statement("FROM broadcast_state WHERE user_ref = $1"),
        statement(
            "FROM broadcast_state s JOIN broadcast b ON b.id = s.broadcast_id WHERE s.user_ref = $1 AND b.severity <= $2",
        ),
    ]
});

/// A scoped re-send replaces the content of the row it names and makes it unread again: the
/// personal upsert, then the broadcast one (whose readers' state is reset apart).
static UPSERTS: LazyLock<(String, String)> = LazyLock::new(|| {
    let content = "title = excluded.title, description = excluded.description, link = excluded.link, \
                   severity = excluded.severity, topic = excluded.topic, icon = excluded.icon, \
                   metadata = excluded.metadata, updated = excluded.created";
    (
        format!(
            "{INSERT_COLUMNS}VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (user_ref, origin, scope) WHERE scope IS NOT NULL DO UPDATE SET {content}, read = NULL \
             {RETURNING}"
        ),
        format!(
            "{INSERT_BROADCAST_COLUMNS}VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (origin, scope) WHERE scope IS NOT NULL DO UPDATE SET {content} \
             {BROADCAST_RETURNING}"
        ),
    )
});

/// One transaction for a group of writes: the recipients' Web settings where they apply, then
/// a statement each for scoped rows, multi-row inserts for the rest (personal and broadcast),
/// then the signals, in the order of the writes.
async fn write_batch(db: &Db, batch: &[PendingWrite]) -> Result<Vec<(Vec<Stored>, Vec<Delivered>)>, sqlx::Error> {
    let (upsert, broadcast_upsert) = &*UPSERTS;
    let mut checked: Vec<&str> = batch
        .iter()
        .filter(|pending| pending.web.is_some())
        .flat_map(|pending| pending.rows.iter().filter_map(|row| row.user_ref.as_deref()))
        .collect();
    checked.sort_unstable();
    checked.dedup();
    let settings_queries: Vec<String> = checked
        .chunks(ID_CHUNK)
        .map(|chunk| {
            let list: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            format!(
                "SELECT user_ref, origin, topic, enabled FROM user_setting WHERE channel = $1 AND user_ref IN ({})",
                list.join(", ")
            )
        })
        .collect();
    // A group of new rows is one command, atomic without a transaction around it (one statement
    // on PostgreSQL; BEGIN … COMMIT in one command to SQLite's worker thread), and a
    // transaction's BEGIN and COMMIT were two more round trips. The settings read gains nothing
    // from one: under READ COMMITTED a settings change can land between read and write either
    // way, and SQLite's only writer connection, held throughout, orders settings changes
    // against sends by itself. Scoped upserts must return before the signals are
    // made: those keep the transaction.
    let one_command = batch.iter().all(|pending| pending.rows.iter().all(|row| !one_by_one(row)));
    retry_transient!(async {
        with_pool!(db, write, |pool| {
            async {
                let mut held = if one_command {
                    Held::Connection(pool.acquire().await?)
                } else {
                    Held::Transaction(pool.begin().await?)
                };
                let atomic = held.atomic();
                let conn = held.connection();
                let mut web = WebSwitches::new();
                for (chunk, statement) in checked.chunks(ID_CHUNK).zip(&settings_queries) {
                    let mut query =
                        sqlx::query_as::<_, (String, String, String, bool)>(sqlx::AssertSqlSafe(statement.as_str()))
                            .bind(WEB_CHANNEL);
                    for user in chunk {
                        query = query.bind(*user);
                    }
                    for (user, origin, topic, enabled) in query.fetch_all(&mut *conn).await? {
                        web.entry((user, origin)).or_default().push(((!topic.is_empty()).then_some(topic), enabled));
                    }
                }
                let kept: Vec<Vec<&NewNotification>> = batch
                    .iter()
                    .map(|pending| {
                        pending
                            .rows
                            .iter()
                            .filter(|row| match (&pending.web, &row.user_ref) {
                                (Some(defaults), Some(user)) => {
                                    let key = (user.clone(), row.origin.clone());
                                    let stored = web.get(&key).map(Vec::as_slice).unwrap_or_default();
                                    settings::is_enabled(
                                        defaults,
                                        WEB_CHANNEL,
                                        stored,
                                        &row.origin,
                                        row.topic.as_deref(),
                                    )
                                }
                                _ => true,
                            })
                            .collect()
                    })
                    .collect();
                let (singles, plain): (Vec<&NewNotification>, Vec<&NewNotification>) =
                    kept.iter().flatten().partition(|r| one_by_one(r));
                let mut updated = Vec::with_capacity(singles.len());
                for row in &singles {
                    let result: Stored = if row.user_ref.is_some() {
                        bind_new_row!(sqlx::query_as(sqlx::AssertSqlSafe(upsert.as_str())), row)
                            .fetch_one(&mut *conn)
                            .await?
                    } else {
                        let stored: Stored = bind_content!(
                            sqlx::query_as(sqlx::AssertSqlSafe(broadcast_upsert.as_str())).bind(row.id),
                            row
                        )
                        .fetch_one(&mut *conn)
                        .await?;
                        // A replaced broadcast is unread again for everybody.
                        if stored.updated.is_some() {
                            sqlx::query("UPDATE broadcast_state SET read = NULL WHERE broadcast_id = $1")
                                .bind(stored.id)
                                .execute(&mut *conn)
                                .await?;
                        }
                        stored
                    };
                    updated.push(result);
                }
                // In the order sent: rows stored one by one as the database has them now, the
                // others as sent.
                let mut updated = updated.into_iter();
                let stored: Vec<Vec<Stored>> = kept
                    .iter()
                    .map(|rows| {
                        rows.iter()
                            .map(|row| {
                                if one_by_one(row) {
                                    updated.next().unwrap_or_else(|| row.stored())
                                } else {
                                    row.stored()
                                }
                            })
                            .collect()
                    })
                    .collect();
                let signals: Vec<Vec<Outgoing>> = batch
                    .iter()
                    .zip(&stored)
                    .map(|(pending, rows)| rows.iter().filter_map(|row| (pending.announce)(row)).collect())
                    .collect();
                let counts: Vec<usize> = signals.iter().map(Vec::len).collect();
                let all_signals: Vec<Outgoing> = signals.into_iter().flatten().collect();
                let mut delivered = conn.insert_and_log(&plain, &all_signals, atomic).await?.into_iter();
                held.finish().await?;
                Ok::<_, sqlx::Error>(
                    stored
                        .into_iter()
                        .zip(counts)
                        .map(|(rows, count)| (rows, delivered.by_ref().take(count).collect()))
                        .collect(),
                )
            }
            .await
        })
    })
}

/// A connection for one unit of work: in a transaction, or on its own when the work is a
/// single command.
enum Held<DB: sqlx::Database> {
    Transaction(sqlx::Transaction<'static, DB>),
    Connection(sqlx::pool::PoolConnection<DB>),
}

impl<DB: sqlx::Database> Held<DB> {
    fn connection(&mut self) -> &mut DB::Connection {
        match self {
            Held::Transaction(tx) => tx,
            Held::Connection(connection) => connection,
        }
    }

    /// Where the work's atomicity comes from: the transaction, or else its one command.
    fn atomic(&self) -> Atomic {
        match self {
            Held::Transaction(_) => Atomic::InTransaction,
            Held::Connection(_) => Atomic::OwnCommand,
        }
    }

    async fn finish(self) -> Result<(), sqlx::Error> {
        match self {
            Held::Transaction(tx) => tx.commit().await,
            Held::Connection(_) => Ok(()),
        }
    }
}

const INSERT_COLUMNS: &str = "INSERT INTO notification \
    (id, user_ref, origin, scope, title, description, link, severity, topic, icon, metadata, created) ";
const INSERT_BROADCAST_COLUMNS: &str =
    "INSERT INTO broadcast (id, origin, scope, title, description, link, severity, topic, icon, metadata, created) ";
/// PostgreSQL's array type for each column of [`INSERT_COLUMNS`]; a broadcast has all but the
/// second, `user_ref`.
const PG_ARRAY_TYPES: [&str; 12] = [
    "uuid[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "int2[]", "text[]", "text[]", "jsonb[]",
    "int8[]",
];
/// Twelve parameters a row: 400 rows stay well inside SQLite's parameter limit.
const ROWS_PER_INSERT: usize = 400;

/// SQLite: multi-row inserts of new (unscoped) rows, one statement per chunk, each ending in `;`.
///
/// Rows go in by their user's search key (see `USER_KEY_SHIFT`), new users last and in name
/// order, which is the order they are given keys in: FTS5 writes out its pending entries
/// whenever a rowid is lower than the one before, so rows in arrival order from many users made
/// a segment per row (seeding 1,000,000 rows of 2,000 users: 3.5 minutes sorted, on course for 20
/// unsorted).
///
/// Broadcasts go in first: they are user key 0 of that index, below every personal row.
fn sqlite_inserts(personal: &[&NewNotification], broadcasts: &[&NewNotification]) -> String {
    let broadcasts = broadcasts
        .chunks(ROWS_PER_INSERT)
        .map(|chunk| format!("{INSERT_BROADCAST_COLUMNS}VALUES {};", Engine::Sqlite.values_rows(chunk.len(), 11)));
    let personal = personal.chunks(ROWS_PER_INSERT).map(|chunk| {
        format!(
            "{INSERT_COLUMNS}SELECT v.* FROM (VALUES {}) v LEFT JOIN user_key k ON k.user_ref = v.column2 \
             ORDER BY k.key NULLS LAST, v.column2;",
            Engine::Sqlite.values_rows(chunk.len(), 12)
        )
    });
    broadcasts.chain(personal).collect()
}

/// Where the atomicity of a group's insert and log comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Atomic {
    /// The caller's open transaction.
    InTransaction,
    /// The one command that does both: it makes its own.
    OwnCommand,
}

/// Stores new (unscoped) rows and logs a batch's signals, atomically.
trait InsertAndLog {
    fn insert_and_log(
        &mut self,
        rows: &[&NewNotification],
        outgoing: &[Outgoing],
        atomic: Atomic,
    ) -> impl Future<Output = Result<Vec<Delivered>, sqlx::Error>> + Send;
}

impl InsertAndLog for sqlx::SqliteConnection {
    /// One command to the connection's worker thread for both.
    async fn insert_and_log(
        &mut self,
        rows: &[&NewNotification],
        outgoing: &[Outgoing],
        atomic: Atomic,
    ) -> Result<Vec<Delivered>, sqlx::Error> {
        let append = SqliteAppend::new(outgoing);
        let (personal, broadcasts) = by_kind(rows);
        let mut statement = sqlite_inserts(&personal, &broadcasts);
        statement.push_str(&append.statements());
        if statement.is_empty() {
            return Ok(Vec::new());
        }
        if atomic == Atomic::OwnCommand {
            statement = format!("BEGIN IMMEDIATE;{statement}COMMIT;");
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(statement));
        for row in broadcasts {
            query = bind_content!(query.bind(row.id), row);
        }
        for row in personal {
            query = bind_new_row!(query, row);
        }
        let returned = match append.bind(query).fetch_all(&mut *self).await {
            Ok(returned) => returned,
            Err(error) => {
                if atomic == Atomic::OwnCommand {
                    // A statement failed after BEGIN: nothing of the group may stay.
                    let _ = sqlx::query("ROLLBACK").execute(&mut *self).await;
                }
                return Err(error);
            }
        };
        Ok(append.delivered(&returned))
    }
}

impl InsertAndLog for sqlx::PgConnection {
    /// One statement for both, atomic by itself: the rows go in as arrays, one per column.
    async fn insert_and_log(
        &mut self,
        rows: &[&NewNotification],
        outgoing: &[Outgoing],
        _: Atomic,
    ) -> Result<Vec<Delivered>, sqlx::Error> {
        if rows.is_empty() {
            return self.append_signals(outgoing).await;
        }
        let (personal, broadcasts) = by_kind(rows);
        // The signals take $1-$9; each kind of row present adds a CTE whose arrays come after.
        let mut leading = String::new();
        let mut next = 10;
        for (rows, name, insert, user_column) in [
            (&personal, "stored", INSERT_COLUMNS, true),
            (&broadcasts, "stored_broadcasts", INSERT_BROADCAST_COLUMNS, false),
        ] {
            if rows.is_empty() {
                continue;
            }
            let arrays: Vec<String> = PG_ARRAY_TYPES
                .iter()
                .enumerate()
                .filter(|(column, _)| user_column || *column != 1)
                .zip(next..)
                .map(|((_, array), n)| format!("${n}::{array}"))
                .collect();
            next += arrays.len();
            leading.push_str(&format!("{name} AS ({insert}SELECT * FROM unnest({})),", arrays.join(", ")));
        }
        let append = PgAppend::new(outgoing);
        let mut query = append.bind(sqlx::query_as(sqlx::AssertSqlSafe(PgAppend::statement(&leading))));
        for (rows, user_column) in [(&personal, true), (&broadcasts, false)] {
            if rows.is_empty() {
                continue;
            }
            let column = |f: fn(&NewNotification) -> Option<&str>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
            query = query.bind(rows.iter().map(|r| r.id).collect::<Vec<_>>());
            if user_column {
                query = query.bind(column(|r| r.user_ref.as_deref()));
            }
            query = query
                .bind(column(|r| Some(r.origin.as_str())))
                .bind(column(|r| r.scope.as_deref()))
                .bind(column(|r| Some(r.title.as_str())))
                .bind(column(|r| r.description.as_deref()))
                .bind(column(|r| r.link.as_deref()))
                .bind(rows.iter().map(|r| r.severity.rank()).collect::<Vec<_>>())
                .bind(column(|r| r.topic.as_deref()))
                .bind(column(|r| r.icon.as_deref()))
                .bind(rows.iter().map(|r| r.metadata.clone().map(sqlx::types::Json)).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.created.micros()).collect::<Vec<_>>());
        }
        let returned = query.fetch_all(self).await?;
        Ok(append.delivered(&returned))
    }
}

/// (personal rows, broadcasts).
fn by_kind<'a>(rows: &[&'a NewNotification]) -> (Vec<&'a NewNotification>, Vec<&'a NewNotification>) {
    rows.iter().partition(|row| row.user_ref.is_some())
}

struct Totals {
    total: i64,
    unread: i64,
    saved: i64,
    broadcasts: i64,
    broadcasts_read: i64,
    broadcasts_saved: i64,
}

/// The notifications with these ids that `user` can see: personal rows found by id (never by
/// the user's index, see [`Engine::filter_only`]), and broadcasts with the user's read state.
fn by_ids(engine: Engine, user: &str, ids: &[Uuid]) -> Sql {
    let mut sql = Sql::new(engine);
    let user_arg = sql.arg(Arg::Text(user.to_owned()));
    let list = id_list(&mut sql, ids);
    let by_user = engine.filter_only("n.user_ref");
    sql.push(&format!(
        "SELECT {PERSONAL_COLUMNS} FROM notification n WHERE {by_user} = {user_arg} AND n.id IN ({list}) \
         UNION ALL \
         SELECT {BROADCAST_COLUMNS} FROM broadcast b \
         LEFT JOIN broadcast_state s ON s.user_ref = {user_arg} AND s.broadcast_id = b.id \
         WHERE b.id IN ({list})"
    ));
    sql
}

/// Binds each id and returns the comma-separated placeholders.
fn id_list(sql: &mut Sql, ids: &[Uuid]) -> String {
    ids.iter().map(|id| sql.arg(Arg::Id(*id))).collect::<Vec<_>>().join(", ")
}

/// The columns after `id` a keys-only page needs, so the union can be ordered by them.
fn sort_columns(order: &[(SortKey, Direction)], arm: Arm) -> String {
    let (state, content) = arm.aliases();
    let mut columns = vec![format!("{content}.created")];
    for (key, _) in order {
        let column = match key {
            SortKey::Created => continue,
            SortKey::Updated => format!("{content}.updated"),
            SortKey::Topic => format!("{content}.topic"),
            SortKey::Origin => format!("{content}.origin"),
            SortKey::Title => format!("{content}.title"),
            SortKey::Severity => format!("{content}.severity"),
            SortKey::Read => format!("{state}.read"),
            SortKey::Saved => format!("{state}.saved"),
        };
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    columns.iter().map(|c| format!(", {c}")).collect()
}

/// `ORDER BY` terms for the union; ties always fall back to newest first, so pages are stable.
fn order_by(order: &[(SortKey, Direction)]) -> String {
    let mut terms: Vec<String> = order
        .iter()
        .map(|(key, direction)| {
            let (column, nullable) = match key {
                SortKey::Created => ("created", false),
                SortKey::Updated => ("updated", true),
                SortKey::Topic => ("topic", true),
                SortKey::Origin => ("origin", false),
                SortKey::Title => ("title", false),
                SortKey::Severity => ("severity", false),
                SortKey::Read => ("read", true),
                SortKey::Saved => ("saved", true),
            };
            // Severity is stored as a rank (1 = critical), so "ascending severity" is descending rank.
            let ascending = (*direction == Direction::Asc) != (*key == SortKey::Severity);
            let direction = if ascending { "ASC" } else { "DESC" };
            let nulls = if nullable { " NULLS LAST" } else { "" };
            format!("{column} {direction}{nulls}")
        })
        .collect();
    let created_direction = order.iter().find(|(key, _)| *key == SortKey::Created).map(|(_, d)| *d);
    if created_direction.is_none() {
        terms.push("created DESC".into());
    }
    let id_direction = if created_direction == Some(Direction::Asc) { "ASC" } else { "DESC" };
    terms.push(format!("id {id_direction}"));
    terms.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_order_is_newest_first_with_a_tie_break() {
        assert_eq!(order_by(&[]), "created DESC, id DESC");
        assert_eq!(order_by(&[(SortKey::Created, Direction::Desc)]), "created DESC, id DESC");
        assert_eq!(order_by(&[(SortKey::Created, Direction::Asc)]), "created ASC, id ASC");
        assert_eq!(order_by(&[(SortKey::Topic, Direction::Asc)]), "topic ASC NULLS LAST, created DESC, id DESC");
        assert_eq!(order_by(&[(SortKey::Severity, Direction::Desc)]), "severity ASC, created DESC, id DESC");
    }

    /// SQLite's plan for a statement, one line per step.
    async fn sqlite_plan(sql: &Sql) -> String {
        let (db, _dir) = crate::db::scratch_sqlite().await;
        let explain = Sql { text: format!("EXPLAIN QUERY PLAN {}", sql.text), ..sql.clone() };
        let rows: Vec<(i64, i64, i64, String)> = crate::with_pool!(&db, read, |pool| {
            crate::bind_sql_args!(sqlx::query_as(sqlx::AssertSqlSafe(explain.text.clone())), &explain)
                .fetch_all(pool)
                .await
        })
        .unwrap();
        db.close().await;
        rows.into_iter().map(|(.., step)| step).collect::<Vec<_>>().join("\n")
    }

    #[tokio::test]
    async fn a_page_at_a_minimum_severity_merges_one_index_range_per_kind_and_severity() {
        let (db, _dir) = crate::db::scratch_sqlite().await;
        let store = Store::new(db.clone());
        for (query, index) in [
            ("limit=20&minimumSeverity=high", "notification_user_severity"),
            ("limit=20&read=false&minimumSeverity=high", "notification_user_unread_severity"),
        ] {
            let query = crate::notifications::query::parse_list(Some(query)).unwrap();
            let plan = sqlite_plan(&store.page_statement("user:default/heavy", &query)).await;
            let ranges = plan.lines().filter(|step| step.contains(&format!("{index} (user_ref=? AND severity=?)")));
            assert_eq!(ranges.count(), 2, "{plan}");
            let broadcasts = plan.lines().filter(|step| step.contains("broadcast_severity (severity=?)"));
            assert_eq!(broadcasts.count(), 2, "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "no sorting of what the ranges hold: {plan}");
        }
        db.close().await;
    }

    #[tokio::test]
    async fn the_trigram_sample_sees_past_a_burst_of_alike_notifications() {
        let (db, _dir) = crate::db::scratch_sqlite().await;
        // 1,000 incidents, then a bot's 30,000 alike builds: more than a sample of the newest holds.
        let insert = |count: i64, title: &str| {
            format!(
                "WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < {count}) \
                 INSERT INTO notification (id, user_ref, origin, title, severity, created) \
                 SELECT randomblob(16), 'user:default/alice', 'external:bot', '{title}', 3, n FROM i"
            )
        };
        for statement in [insert(1_000, "Incident INC-4711 opened"), insert(30_000, "Build of billing-api finished")] {
            crate::with_pool!(&db, write, |pool| sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(pool)
                .await
                .map(|_| ()))
            .unwrap();
        }
        let counts = Arc::new(TrigramCounts::default());
        sample_trigrams(db.clone(), counts.clone()).await;
        let of = |trigram: &str| counts.count(&trigram.chars().collect::<Vec<_>>());
        // Drawn at random, 20,000 of 31,000 rows hold about 645 incidents; none of the newest do.
        assert!(of("INC") > 300, "incidents seen {} times", of("INC"));
        assert!(of("Bui") > 15_000, "builds seen {} times", of("Bui"));
        db.close().await;
    }

    #[tokio::test]
    async fn a_page_is_read_by_its_ids_not_through_the_users_whole_history() {
        // A fresh database has no statistics, and SQLite then guesses ten rows for a user.
        let ids: Vec<Uuid> = (0..20).map(|_| Uuid::now_v7()).collect();
        let plan = sqlite_plan(&by_ids(Engine::Sqlite, "user:default/heavy", &ids)).await;
        let personal = plan.lines().find(|step| step.contains(" n ")).unwrap();
        assert!(personal.contains("(id=?)"), "{plan}");
        assert!(!personal.contains("user_ref"), "{plan}");
    }
}
