//! The hub: which open connection wants which signal, and delivery in position order.
//!
//! Committed signals arrive here (straight after commit with SQLite, through LISTEN with
//! PostgreSQL) possibly out of order; the hub releases them strictly by position and fills a
//! gap that lingers from the log. Each connection has a bounded queue: a connection that cannot
//! keep up is cut loose rather than allowed to slow anybody else down, and resumes later.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use tokio::sync::mpsc;

use super::{
    log,
    model::{Delivered, Recipients},
};
use crate::db::Db;

pub type ConnectionId = u64;

/// Subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS: usize = 64;
/// How long a gap in positions may last before the hub reads the missing signals from the log.
const GAP_PATIENCE: Duration = Duration::from_millis(200);

pub struct Hub {
    registry: RwLock<Registry>,
    order: Mutex<Order>,
    db: Db,
    queue_length: usize,
}

#[derive(Default)]
struct Registry {
    next_id: ConnectionId,
    connections: HashMap<ConnectionId, Connection>,
    /// Ownership ref → connections that own it (a user's own ref and their groups').
    by_ref: HashMap<Arc<str>, Vec<ConnectionId>>,
}

struct Connection {
    refs: Vec<Arc<str>>,
    channels: Vec<Arc<str>>,
    queue: mpsc::Sender<Arc<Delivered>>,
}

struct Order {
    /// The next position to release.
    next: i64,
    pending: BTreeMap<i64, Delivered>,
    gap_since: Option<Instant>,
}

impl Hub {
    /// A hub that will release positions after `head`.
    pub fn new(db: Db, head: i64, queue_length: usize) -> Self {
        Self {
            registry: RwLock::new(Registry::default()),
            order: Mutex::new(Order { next: head + 1, pending: BTreeMap::new(), gap_since: None }),
            db,
            queue_length,
        }
    }

    /// Adds a connection owning `refs`; signals for it arrive on the returned queue. When the
    /// queue is dropped from this side (overflow), the receiver sees it end.
    pub fn register(&self, refs: Vec<Arc<str>>) -> (ConnectionId, mpsc::Receiver<Arc<Delivered>>) {
        let (queue, receiver) = mpsc::channel(self.queue_length);
        let mut registry = self.registry.write().unwrap_or_else(|e| e.into_inner());
        registry.next_id += 1;
        let id = registry.next_id;
        for r in &refs {
            registry.by_ref.entry(r.clone()).or_default().push(id);
        }
        registry.connections.insert(id, Connection { refs, channels: Vec::new(), queue });
        (id, receiver)
    }

    pub fn unregister(&self, id: ConnectionId) {
        let mut registry = self.registry.write().unwrap_or_else(|e| e.into_inner());
        registry.remove(id);
    }

    /// Subscribes a connection to a channel; false when it already holds the maximum.
    pub fn subscribe(&self, id: ConnectionId, channel: &str) -> bool {
        let mut registry = self.registry.write().unwrap_or_else(|e| e.into_inner());
        let Some(connection) = registry.connections.get_mut(&id) else { return false };
        if connection.channels.iter().any(|c| c.as_ref() == channel) {
            return true;
        }
        if connection.channels.len() >= MAX_SUBSCRIPTIONS {
            return false;
        }
        connection.channels.push(channel.into());
        true
    }

    pub fn unsubscribe(&self, id: ConnectionId, channel: &str) {
        let mut registry = self.registry.write().unwrap_or_else(|e| e.into_inner());
        if let Some(connection) = registry.connections.get_mut(&id) {
            connection.channels.retain(|c| c.as_ref() != channel);
        }
    }

    /// Connections subscribed to `channel`.
    pub fn subscriber_count(&self, channel: &str) -> usize {
        let registry = self.registry.read().unwrap_or_else(|e| e.into_inner());
        registry.connections.values().filter(|c| c.channels.iter().any(|x| x.as_ref() == channel)).count()
    }

    pub fn connection_count(&self) -> usize {
        self.registry.read().unwrap_or_else(|e| e.into_inner()).connections.len()
    }

    /// The last position released to connections.
    pub fn delivered_head(&self) -> i64 {
        self.order.lock().unwrap_or_else(|e| e.into_inner()).next - 1
    }

    /// Takes committed signals in any order and releases them in position order.
    pub fn ingest(&self, batch: Vec<Delivered>) {
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        for signal in batch {
            if signal.seq >= order.next {
                order.pending.insert(signal.seq, signal);
            }
        }
        let mut ready = Vec::new();
        while let Some(signal) = {
            let next = order.next;
            order.pending.remove(&next)
        } {
            order.next += 1;
            ready.push(signal);
        }
        order.gap_since = match (order.pending.is_empty(), order.gap_since) {
            (true, _) => None,
            (false, Some(since)) if ready.is_empty() => Some(since),
            (false, _) => Some(Instant::now()),
        };
        // Routing happens under the order lock, so no later signal can overtake these.
        if !ready.is_empty() {
            self.route(ready);
        }
    }

    /// Skips positions that can no longer be delivered (pruned from the log).
    fn skip_to(&self, position: i64) {
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        if position > order.next {
            tracing::warn!(from = order.next, to = position, "signal positions skipped");
            order.next = position;
        }
    }

    fn route(&self, signals: Vec<Delivered>) {
        let mut dropped = Vec::new();
        {
            let registry = self.registry.read().unwrap_or_else(|e| e.into_inner());
            for signal in signals {
                let signal = Arc::new(signal);
                let mut send = |id: ConnectionId, connection: &Connection| {
                    if !connection.channels.iter().any(|c| *c == signal.channel) {
                        return;
                    }
                    if connection.queue.try_send(signal.clone()).is_err() {
                        dropped.push(id);
                    }
                };
                match &signal.recipients {
                    Recipients::Broadcast => {
                        for (id, connection) in &registry.connections {
                            send(*id, connection);
                        }
                    }
                    Recipients::Refs(refs) => {
                        let mut reached: HashSet<ConnectionId> = HashSet::new();
                        for r in refs {
                            for id in registry.by_ref.get(r.as_str()).into_iter().flatten() {
                                if reached.insert(*id)
                                    && let Some(connection) = registry.connections.get(id)
                                {
                                    send(*id, connection);
                                }
                            }
                        }
                    }
                }
            }
        }
        if !dropped.is_empty() {
            let mut registry = self.registry.write().unwrap_or_else(|e| e.into_inner());
            for id in dropped {
                if registry.remove(id) {
                    tracing::debug!(connection = id, "signal queue full: connection dropped to resume later");
                }
            }
        }
    }

    /// Reads signals the hub is missing from the log: a gap that lingered, or everything after
    /// the released head (after a lost LISTEN connection). Run periodically.
    pub async fn fill_gaps(&self, catch_up: bool) {
        let wanted = {
            let order = self.order.lock().unwrap_or_else(|e| e.into_inner());
            let lingering = order.gap_since.is_some_and(|since| since.elapsed() >= GAP_PATIENCE);
            match order.pending.keys().next() {
                Some(first) if lingering => Some((order.next, first - 1)),
                _ if catch_up => Some((order.next, i64::MAX)),
                _ => None,
            }
        };
        let Some((from, to)) = wanted else { return };
        let to = if to == i64::MAX {
            match log::head(&self.db).await {
                Ok((head, _)) if head >= from => head,
                Ok(_) => return,
                Err(error) => return tracing::warn!(?error, "cannot read the signal log head"),
            }
        } else {
            to
        };
        match log::range(&self.db, from, to).await {
            Ok(found) => {
                let complete = found.len() as i64 == to - from + 1;
                self.ingest(found);
                if !complete {
                    // The rest was pruned before anyone here could see it.
                    self.skip_to(to + 1);
                    self.ingest(Vec::new());
                }
            }
            Err(error) => tracing::warn!(?error, from, to, "cannot read missing signals from the log"),
        }
    }
}

impl Registry {
    /// Removes a connection and its ref index entries; true if it was there.
    fn remove(&mut self, id: ConnectionId) -> bool {
        let Some(connection) = self.connections.remove(&id) else { return false };
        for r in &connection.refs {
            if let Some(ids) = self.by_ref.get_mut(r) {
                ids.retain(|other| *other != id);
                if ids.is_empty() {
                    self.by_ref.remove(r);
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn hub() -> Hub {
        let (db, dir) = crate::db::scratch_sqlite().await;
        // The hub outlives this function; the directory stays until the process ends.
        std::mem::forget(dir);
        Hub::new(db, 0, 4)
    }

    fn signal(seq: i64, channel: &str, recipients: Recipients) -> Delivered {
        Delivered::from_raw(seq, channel, recipients, &format!(r#"{{"n":{seq}}}"#))
    }

    fn refs(list: &[&str]) -> Vec<Arc<str>> {
        list.iter().map(|r| Arc::from(*r)).collect()
    }

    #[tokio::test]
    async fn signals_reach_subscribed_owners_only_in_position_order() {
        let hub = hub().await;
        let (alice, mut alice_rx) = hub.register(refs(&["user:default/alice", "group:default/team-a"]));
        let (bob, mut bob_rx) = hub.register(refs(&["user:default/bob"]));
        let (_carol, mut carol_rx) = hub.register(refs(&["user:default/carol", "group:default/team-a"]));
        hub.subscribe(alice, "notifications");
        hub.subscribe(bob, "notifications");
        // carol is not subscribed.
        hub.ingest(vec![
            signal(2, "notifications", Recipients::Refs(vec!["group:default/team-a".into()])),
            signal(1, "notifications", Recipients::Broadcast),
        ]);
        hub.ingest(vec![signal(3, "other", Recipients::Broadcast)]);
        assert_eq!(alice_rx.recv().await.unwrap().seq, 1);
        assert_eq!(alice_rx.recv().await.unwrap().seq, 2);
        assert_eq!(bob_rx.recv().await.unwrap().seq, 1);
        assert!(bob_rx.try_recv().is_err(), "bob is not in team-a");
        assert!(carol_rx.try_recv().is_err(), "carol did not subscribe");
        assert!(alice_rx.try_recv().is_err(), "nobody subscribed to `other`");
        assert_eq!(hub.delivered_head(), 3);
    }

    #[tokio::test]
    async fn a_gap_holds_later_signals_back() {
        let hub = hub().await;
        let (id, mut rx) = hub.register(refs(&["user:default/alice"]));
        hub.subscribe(id, "c");
        hub.ingest(vec![signal(2, "c", Recipients::Broadcast)]);
        assert!(rx.try_recv().is_err(), "position 1 has not arrived");
        hub.ingest(vec![signal(1, "c", Recipients::Broadcast)]);
        assert_eq!(rx.recv().await.unwrap().seq, 1);
        assert_eq!(rx.recv().await.unwrap().seq, 2);
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_connection_not_the_others() {
        let hub = hub().await;
        let (slow, mut slow_rx) = hub.register(refs(&["user:default/slow"]));
        let (fast, mut fast_rx) = hub.register(refs(&["user:default/fast"]));
        hub.subscribe(slow, "c");
        hub.subscribe(fast, "c");
        for seq in 1..=6 {
            hub.ingest(vec![signal(seq, "c", Recipients::Broadcast)]);
            assert_eq!(fast_rx.recv().await.unwrap().seq, seq);
        }
        assert_eq!(hub.connection_count(), 1, "the slow one is gone");
        let mut received = 0;
        while slow_rx.recv().await.is_some() {
            received += 1;
        }
        assert_eq!(received, 4, "it keeps what was queued, then its queue ends");
    }
}
