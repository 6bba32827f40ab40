//! Live signals: Backstage's `/api/signals` WebSocket protocol, made lossless.
//!
//! Every signal is written to a log in the transaction that causes it, with a gapless position.
//! Connected browsers get it live; one that was cut off says where it stopped and gets the rest
//! from the log. With PostgreSQL, instances share signals through LISTEN/NOTIFY.

pub mod hub;
pub mod log;
pub mod model;
pub mod socket;

use std::{sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use self::{
    hub::Hub,
    log::AppendSignals,
    model::{Delivered, Outgoing, WireDelivered},
};
use crate::{db::Db, error::Result, timestamp::Timestamp, with_pool};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalsConfig {
    /// Signals waiting for one slow connection before it is dropped (it resumes later).
    pub queue_length: usize,
    /// Keep-alive: a ping this often; a connection that did not answer the previous one is closed.
    #[serde(with = "humantime_serde")]
    pub ping_interval: Duration,
    /// How far back a reconnecting client can resume; older gaps make it refetch.
    #[serde(with = "humantime_serde")]
    pub replay_window: Duration,
    /// Most signals replayed on one resume; a longer gap makes the client refetch instead.
    pub max_replay: i64,
}

impl Default for SignalsConfig {
    fn default() -> Self {
        Self {
            queue_length: 256,
            ping_interval: Duration::from_secs(30),
            replay_window: Duration::from_secs(3600),
            max_replay: 10_000,
        }
    }
}

pub struct Signals {
    pub hub: Arc<Hub>,
    db: Db,
    ticks: watch::Receiver<u64>,
    config: SignalsConfig,
}

impl Signals {
    /// Starts the hub and its helpers: keep-alive ticks, gap filling, log pruning and, with
    /// PostgreSQL, the LISTEN connection.
    pub async fn start(db: Db, config: SignalsConfig, shutdown: CancellationToken) -> Result<Arc<Self>> {
        let (head, _) = log::head(&db).await?;
        let hub = Arc::new(Hub::new(db.clone(), head, config.queue_length));
        let (tick_sender, ticks) = watch::channel(0u64);
        let signals = Arc::new(Self { hub: hub.clone(), db: db.clone(), ticks, config: config.clone() });

        spawn_every(config.ping_interval, shutdown.clone(), move || {
            tick_sender.send_modify(|n| *n += 1);
            async {}
        });
        let filler = hub.clone();
        spawn_every(Duration::from_millis(100), shutdown.clone(), move || {
            let hub = filler.clone();
            async move { hub.fill_gaps(false).await }
        });
        let log_db = db.clone();
        let window = config.replay_window;
        spawn_every(Duration::from_secs(60), shutdown.clone(), move || {
            let db = log_db.clone();
            async move {
                match log::prune(&db, Timestamp::now().minus(window)).await {
                    Ok(0) => {}
                    Ok(count) => tracing::debug!(count, "old signals pruned from the log"),
                    Err(error) => tracing::warn!(?error, "cannot prune the signal log"),
                }
            }
        });
        if let Db::Postgres(pool) = &db {
            tokio::spawn(listen(pool.clone(), hub, db.clone(), shutdown));
        }
        Ok(signals)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn ticks(&self) -> watch::Receiver<u64> {
        self.ticks.clone()
    }

    pub fn max_replay(&self) -> i64 {
        self.config.max_replay
    }

    /// Hands signals committed by this instance to the hub. With PostgreSQL they also come back
    /// through LISTEN; the hub orders by position and takes each once, so handing them over now
    /// only saves the trip through the database.
    pub fn committed(&self, delivered: Vec<Delivered>) {
        if !delivered.is_empty() {
            self.hub.ingest(delivered);
        }
    }

    /// Publishes signals in a transaction of their own: the Rust API for built-in publishers.
    /// Returns their positions.
    pub async fn publish(&self, outgoing: &[Outgoing]) -> Result<Vec<i64>> {
        let delivered = with_pool!(&self.db, write, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let delivered = tx.append_signals(outgoing).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(delivered)
            }
            .await
        })?;
        let positions = delivered.iter().map(|d| d.seq).collect();
        self.committed(delivered);
        Ok(positions)
    }
}

/// Runs `task` every `period` until shutdown.
fn spawn_every<F, Fut>(period: Duration, shutdown: CancellationToken, mut task: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => task().await,
                () = shutdown.cancelled() => return,
            }
        }
    });
}

/// Receives every instance's signals through LISTEN/NOTIFY (PostgreSQL), in commit order.
/// After (re)connecting it reads from the log whatever it may have missed.
async fn listen(pool: sqlx::PgPool, hub: Arc<Hub>, db: Db, shutdown: CancellationToken) {
    use sqlx::postgres::PgListener;
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(log::NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            result = connected => match result {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(?error, "cannot LISTEN for signals; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        () = shutdown.cancelled() => return,
                    }
                }
            },
            () = shutdown.cancelled() => return,
        };
        hub.fill_gaps(true).await;
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                () = shutdown.cancelled() => return,
            };
            match received {
                Ok(Some(notification)) => match serde_json::from_str::<WireDelivered>(notification.payload()) {
                    Ok(WireDelivered { seq, channel, broadcast, refs, message: Some(message) }) => {
                        let recipients =
                            if broadcast { model::Recipients::Broadcast } else { model::Recipients::Refs(refs) };
                        hub.ingest(vec![Delivered::from_raw(seq, &channel, recipients, message.get())]);
                    }
                    Ok(WireDelivered { seq, .. }) => match log::range(&db, seq, seq).await {
                        Ok(found) => hub.ingest(found),
                        Err(error) => tracing::warn!(?error, seq, "cannot read a large signal from the log"),
                    },
                    Err(error) => tracing::warn!(?error, "unreadable signal notification"),
                },
                // The connection dropped; the next receive reconnects. Catch up from the log once
                // that has had time to happen, for whatever was sent in between.
                Ok(None) => {
                    let hub = hub.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        hub.fill_gaps(true).await;
                    });
                }
                Err(error) => {
                    tracing::warn!(?error, "signal LISTEN connection failed; reconnecting");
                    break;
                }
            }
        }
    }
}
