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
    use std::{cell::RefCell, rc::Rc, time::Duration};

    use leptos::prelude::*;
    use serde::{Deserialize, Serialize};
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{MessageEvent, WebSocket};

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

    /// The socket's event handlers; dropping them with the socket frees them.
    struct Handlers {
        _open: Closure<dyn FnMut()>,
        _message: Closure<dyn FnMut(MessageEvent)>,
        _close: Closure<dyn FnMut()>,
    }

    /// The page's one connection.
    struct Client {
        /// By name; a page has one or two, so a list (and no hash table in the WASM).
        channels: Vec<(String, Channel)>,
        /// The socket, while one is open or opening, with its handlers. A socket closed on
        /// purpose loses its handlers first, so only the current one's events arrive.
        socket: Option<(WebSocket, Handlers)>,
        available: ArcRwSignal<bool>,
        /// Failed attempts since the last open, for the backoff.
        attempt: u32,
        /// A reconnect is scheduled.
        waiting: bool,
        next_id: u64,
    }

    impl Client {
        /// Sends `frame` if the socket is open; subscriptions are sent again on open anyway.
        fn send(&self, frame: &str) {
            if let Some((socket, _)) = &self.socket
                && socket.ready_state() == WebSocket::OPEN
            {
                let _ = socket.send_with_str(frame);
            }
        }

        fn channel(&mut self, name: &str) -> Option<&mut Channel> {
            self.channels.iter_mut().find(|(other, _)| other == name).map(|(_, channel)| channel)
        }

        /// Ends the current socket without a reconnect.
        fn close(&mut self) {
            if let Some((socket, _)) = self.socket.take() {
                socket.set_onopen(None);
                socket.set_onmessage(None);
                socket.set_onclose(None);
                let _ = socket.close_with_code(1000);
            }
        }
    }

    thread_local! {
        static CLIENT: RefCell<Client> = RefCell::new(Client {
            channels: Vec::new(),
            socket: None,
            available: ArcRwSignal::new(false),
            attempt: 0,
            waiting: false,
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
            let existing = client.channels.iter().position(|(name, _)| name == channel);
            let first = existing.is_none();
            let index = existing.unwrap_or_else(|| {
                let entry = Channel { listeners: Vec::new(), position: None, resyncs: ArcRwSignal::new(0) };
                client.channels.push((channel.to_owned(), entry));
                client.channels.len() - 1
            });
            let entry = &mut client.channels[index].1;
            entry.listeners.push((id, Rc::new(listener)));
            let resyncs = entry.resyncs.clone();
            if first {
                client.send(&request("subscribe", channel, None));
            }
            let start = client.socket.is_none() && !client.waiting;
            (id, client.available.clone(), resyncs, start)
        });
        if start {
            connect();
        }
        let channel = channel.to_owned();
        on_cleanup(move || unsubscribe(&channel, id));
        (available.read_only().into(), resyncs.read_only().into())
    }

    fn unsubscribe(channel: &str, id: u64) {
        CLIENT.with_borrow_mut(|client| {
            let Some(entry) = client.channel(channel) else { return };
            entry.listeners.retain(|(other, _)| *other != id);
            if entry.listeners.is_empty() {
                client.channels.retain(|(name, _)| name != channel);
                client.send(&request("unsubscribe", channel, None));
                // Nothing left to listen for: the socket closes (code 1000).
                if client.channels.is_empty() {
                    client.close();
                    set_timeout(|| set_available(false), Duration::ZERO);
                }
            }
        });
    }

    /// Routes one frame to its channel's listeners and remembers its position.
    fn dispatch(text: &str) {
        let Ok(head) = serde_json::from_str::<Head>(text) else { return };
        let listeners: Vec<Listener> = CLIENT.with_borrow_mut(|client| {
            let Some(entry) = client.channel(&head.channel) else { return Vec::new() };
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

    /// Opens a socket; on open it subscribes to every channel from where each left off, and
    /// when it closes another is tried after a backoff, while anything is subscribed.
    fn connect() {
        let Some(socket) = url().and_then(|url| WebSocket::new(&url).ok()) else {
            reconnect_later();
            return;
        };
        let open = Closure::<dyn FnMut()>::new(|| {
            CLIENT.with_borrow_mut(|client| {
                client.attempt = 0;
                for (channel, entry) in &client.channels {
                    client.send(&request("subscribe", channel, entry.position));
                }
            });
            set_available(true);
        });
        let message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                dispatch(&text);
            }
        });
        let close = Closure::<dyn FnMut()>::new(|| {
            let (socket, again) = CLIENT.with_borrow_mut(|client| (client.socket.take(), !client.channels.is_empty()));
            // This handler is one of the socket's: it is freed once it has returned.
            set_timeout(move || drop(socket), Duration::ZERO);
            set_available(false);
            if again {
                reconnect_later();
            }
        });
        socket.set_onopen(Some(open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(close.as_ref().unchecked_ref()));
        CLIENT.with_borrow_mut(|client| {
            client.socket = Some((socket, Handlers { _open: open, _message: message, _close: close }));
        });
    }

    /// Whether live updates flow: the `available` signal, and `<body data-live>` so tests (and
    /// anyone reading the DOM) can tell. Called outside the client's borrow: what the signal
    /// wakes may subscribe.
    fn set_available(live: bool) {
        CLIENT.with_borrow(|client| client.available.clone()).set(live);
        if let Some(body) = document().body() {
            let _ = if live { body.set_attribute("data-live", "true") } else { body.remove_attribute("data-live") };
        }
    }

    fn reconnect_later() {
        let delay = CLIENT.with_borrow_mut(|client| {
            client.waiting = true;
            let delay = super::backoff_millis(client.attempt, js_sys::Math::random());
            client.attempt = client.attempt.saturating_add(1);
            delay
        });
        set_timeout(
            || {
                let go = CLIENT.with_borrow_mut(|client| {
                    client.waiting = false;
                    client.socket.is_none() && !client.channels.is_empty()
                });
                if go {
                    connect();
                }
            },
            Duration::from_millis(u64::from(delay)),
        );
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
