//! `use_signal`: live messages on a channel of Herald's `/api/signals` WebSocket, the Leptos
//! counterpart of Backstage's `useSignal`.
//!
//! One socket per page, shared by every subscriber; a channel is subscribed on first use and
//! unsubscribed on last; the socket closes when nothing is subscribed. A lost connection comes
//! back with capped exponential backoff and jitter, re-subscribes, and resumes from the last
//! position seen on each channel, so nothing is missed; if the server can no longer replay that
//! far, `resyncs` ticks and the page refetches. During server-side rendering it does nothing.

use leptos::prelude::*;
use serde::de::DeserializeOwned;

/// What `use_signal` gives a component.
pub struct SignalHandle<T: Send + Sync + 'static> {
    /// The last message received on the channel.
    pub last: ReadSignal<Option<T>>,
    /// Whether the socket is connected (false during SSR and while reconnecting).
    pub available: Signal<bool>,
    /// Ticks when messages may have been missed (a gap too old to replay): refetch then.
    pub resyncs: Signal<u64>,
}

impl<T: Send + Sync + 'static> Clone for SignalHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for SignalHandle<T> {}

/// Subscribes the current component to `channel` for its lifetime.
pub fn use_signal<T>(channel: &str) -> SignalHandle<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let (last, set_last) = signal(None::<T>);
    #[cfg(feature = "hydrate")]
    {
        // Each subscriber reads its own type from the frame's text: no generic JSON tree in
        // between, which would cost the WASM a second decoder for every message type.
        #[derive(serde::Deserialize)]
        struct Body<T> {
            message: T,
        }
        let (available, resyncs) = client::subscribe(channel, move |frame: &str| {
            if let Ok(body) = serde_json::from_str::<Body<T>>(frame) {
                set_last.set(Some(body.message));
            }
        });
        SignalHandle { last, available, resyncs }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (channel, set_last);
        SignalHandle { last, available: Signal::stored(false), resyncs: Signal::stored(0) }
    }
}

/// Delay before reconnect attempt `attempt` (0-based): doubling from half a second, capped at
/// thirty seconds, with jitter so a server restart is not met by every browser at once.
pub fn backoff_millis(attempt: u32, random: f64) -> u32 {
    let capped = (500u32.saturating_mul(1u32 << attempt.min(16))).min(30_000);
    let jittered = f64::from(capped) * (0.5 + random.clamp(0.0, 1.0) * 0.5);
    jittered as u32
}

#[cfg(feature = "hydrate")]
mod client {
    use std::{cell::RefCell, collections::HashMap, rc::Rc, time::Duration};

    use futures::{SinkExt, StreamExt, channel::mpsc};
    use gloo_net::websocket::{Message, futures::WebSocket};
    use leptos::prelude::*;
    use serde::{Deserialize, Serialize};

    /// Gets the text of each frame with a message on its channel.
    type Listener = Rc<dyn Fn(&str)>;

    /// What the client reads of every frame; the message is left to the listeners.
    #[derive(Deserialize)]
    struct Head {
        channel: String,
        #[serde(default)]
        position: Option<i64>,
        #[serde(default)]
        resync: bool,
    }

    #[derive(Serialize)]
    struct Request<'a> {
        action: &'static str,
        channel: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        since: Option<i64>,
    }

    struct Channel {
        listeners: Vec<(u64, Listener)>,
        /// The last position received, to resume from after a reconnect.
        position: Option<i64>,
        resyncs: ArcRwSignal<u64>,
    }

    /// The page's one connection.
    struct Client {
        channels: HashMap<String, Channel>,
        /// Frames to send; `None` while disconnected (subscriptions are sent on connect anyway).
        outbox: Option<mpsc::UnboundedSender<String>>,
        available: ArcRwSignal<bool>,
        running: bool,
        next_id: u64,
    }

    thread_local! {
        static CLIENT: RefCell<Client> = RefCell::new(Client {
            channels: HashMap::new(),
            outbox: None,
            available: ArcRwSignal::new(false),
            running: false,
            next_id: 0,
        });
    }

    fn request(action: &'static str, channel: &str, since: Option<i64>) -> String {
        serde_json::to_string(&Request { action, channel, since }).unwrap_or_default()
    }

    /// Adds a listener for the current component; it is removed when the component is.
    pub fn subscribe(channel: &str, listener: impl Fn(&str) + 'static) -> (Signal<bool>, Signal<u64>) {
        let (id, available, resyncs, start) = CLIENT.with_borrow_mut(|client| {
            client.next_id += 1;
            let id = client.next_id;
            let first = !client.channels.contains_key(channel);
            let entry = client.channels.entry(channel.to_owned()).or_insert_with(|| Channel {
                listeners: Vec::new(),
                position: None,
                resyncs: ArcRwSignal::new(0),
            });
            entry.listeners.push((id, Rc::new(listener)));
            let resyncs = entry.resyncs.clone();
            if first && let Some(outbox) = &client.outbox {
                let _ = outbox.unbounded_send(request("subscribe", channel, None));
            }
            let start = !client.running;
            client.running = true;
            (id, client.available.clone(), resyncs, start)
        });
        if start {
            leptos::task::spawn_local(run());
        }
        let channel = channel.to_owned();
        on_cleanup(move || unsubscribe(&channel, id));
        (available.read_only().into(), resyncs.read_only().into())
    }

    fn unsubscribe(channel: &str, id: u64) {
        CLIENT.with_borrow_mut(|client| {
            let Some(entry) = client.channels.get_mut(channel) else { return };
            entry.listeners.retain(|(other, _)| *other != id);
            if entry.listeners.is_empty() {
                client.channels.remove(channel);
                if let Some(outbox) = &client.outbox {
                    let _ = outbox.unbounded_send(request("unsubscribe", channel, None));
                }
                // Nothing left to listen for: closing the outbox closes the socket (code 1000).
                if client.channels.is_empty() {
                    client.outbox = None;
                }
            }
        });
    }

    /// Routes one frame to its channel's listeners and remembers its position.
    fn dispatch(text: &str) {
        let Ok(head) = serde_json::from_str::<Head>(text) else { return };
        let listeners: Vec<Listener> = CLIENT.with_borrow_mut(|client| {
            let Some(entry) = client.channels.get_mut(&head.channel) else { return Vec::new() };
            if let Some(position) = head.position {
                entry.position = Some(position);
            }
            if head.resync {
                entry.resyncs.update(|n| *n += 1);
                return Vec::new();
            }
            entry.listeners.iter().map(|(_, listener)| listener.clone()).collect()
        });
        for listener in listeners {
            listener(text);
        }
    }

    fn url() -> Option<String> {
        let location = window().location();
        let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
        Some(format!("{scheme}://{}/api/signals", location.host().ok()?))
    }

    async fn sleep(duration: Duration) {
        let (done, wait) = futures::channel::oneshot::channel::<()>();
        set_timeout(
            move || {
                let _ = done.send(());
            },
            duration,
        );
        let _ = wait.await;
    }

    /// Keeps one connection up while anything is subscribed.
    async fn run() {
        let mut attempt = 0u32;
        loop {
            if CLIENT.with_borrow(|client| client.channels.is_empty()) {
                break;
            }
            if let Some(socket) = url().and_then(|url| WebSocket::open(&url).ok()) {
                let (mut sink, mut stream) = socket.split();
                let (outbox, mut frames) = mpsc::unbounded::<String>();
                let available = CLIENT.with_borrow_mut(|client| {
                    for (channel, entry) in &client.channels {
                        let _ = outbox.unbounded_send(request("subscribe", channel, entry.position));
                    }
                    client.outbox = Some(outbox);
                    client.available.clone()
                });
                let writer = async {
                    let mut opened = false;
                    while let Some(frame) = frames.next().await {
                        // The sink waits for the handshake: the first send succeeding means open.
                        if sink.send(Message::Text(frame)).await.is_err() {
                            return;
                        }
                        if !opened {
                            opened = true;
                            attempt = 0;
                            available.set(true);
                        }
                    }
                    let _ = sink.close().await;
                };
                let reader = async {
                    while let Some(Ok(message)) = stream.next().await {
                        if let Message::Text(text) = message {
                            dispatch(&text);
                        }
                    }
                };
                futures::pin_mut!(writer, reader);
                futures::future::select(writer, reader).await;
                CLIENT.with_borrow_mut(|client| client.outbox = None);
                available.set(false);
            }
            if CLIENT.with_borrow(|client| client.channels.is_empty()) {
                break;
            }
            let delay = super::backoff_millis(attempt, js_sys::Math::random());
            attempt = attempt.saturating_add(1);
            sleep(Duration::from_millis(u64::from(delay))).await;
        }
        CLIENT.with_borrow_mut(|client| client.running = false);
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_millis;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        assert_eq!(backoff_millis(0, 1.0), 500);
        assert_eq!(backoff_millis(0, 0.0), 250);
        assert_eq!(backoff_millis(3, 1.0), 4000);
        assert_eq!(backoff_millis(10, 1.0), 30_000);
        assert_eq!(backoff_millis(40, 1.0), 30_000);
        assert!((15_000..=30_000).contains(&backoff_millis(20, 0.5)));
    }
}
