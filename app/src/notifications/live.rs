//! Keeping notification views current: one `notifications` subscription for the page, turned
//! into a refresh signal that bursts cannot turn into a storm.

use std::time::Duration;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::api::notification_status;
use crate::{
    model::{Notification, Status},
    signals::use_signal,
};

/// A message on the `notifications` channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalMessage {
    pub action: String,
    #[serde(default)]
    pub notification_id: Option<String>,
    #[serde(default)]
    pub notification_ids: Option<Vec<String>>,
    /// Herald sends the notification itself with `new_notification`.
    #[serde(default)]
    pub notification: Option<Notification>,
    #[serde(default)]
    pub count: Option<u64>,
}

/// Leading edge, then at most one more refresh per window: an immediate update for a single
/// change, one trailing refresh for a burst.
const COALESCE: Duration = Duration::from_millis(250);

#[derive(Clone, Copy)]
pub struct Live {
    /// Changes when the user's notifications may have changed; resources depend on it.
    pub version: ReadSignal<u64>,
    set_version: WriteSignal<u64>,
    /// The latest message (toasts and browser notifications read `new_notification`s).
    pub last: ReadSignal<Option<SignalMessage>>,
    /// Whether live updates are connected.
    pub available: Signal<bool>,
    /// The user's counts, fetched once for all that show them (the sidebar's badge, the page's
    /// title) and again at each change: one request where each asked its own.
    pub status: Resource<Result<Status, ServerFnError>>,
    cooling: StoredValue<bool>,
    pending: StoredValue<bool>,
}

impl Live {
    /// Asks every view to refetch, coalesced with other requests. Harmless after the pages
    /// that asked are gone (a timer may outlive them).
    pub fn refresh(self) {
        match self.cooling.try_get_value() {
            None => return,
            Some(true) => {
                self.pending.try_set_value(true);
                return;
            }
            Some(false) => {}
        }
        self.set_version.try_update(|v| *v += 1);
        self.cooling.try_set_value(true);
        set_timeout(
            move || {
                self.cooling.try_set_value(false);
                if self.pending.try_get_value() == Some(true) {
                    self.pending.try_set_value(false);
                    self.refresh();
                }
            },
            COALESCE,
        );
    }
}

/// Subscribes the signed-in pages to their user's notification signals.
pub fn provide_live() -> Live {
    let handle = use_signal::<SignalMessage>("notifications");
    let (version, set_version) = signal(0u64);
    let live = Live {
        version,
        set_version,
        last: handle.last,
        available: handle.available,
        status: Resource::new(move || version.get(), |_| notification_status()),
        cooling: StoredValue::new(false),
        pending: StoredValue::new(false),
    };
    // Any message, a resync, or a (re)connection: something may have happened while
    // disconnected, or between the page's render and the socket's opening. Not a disconnection:
    // a page being left closes its socket, and asking then only fails.
    Effect::new(move |previous: Option<()>| {
        handle.last.track();
        handle.resyncs.track();
        let connected = handle.available.get();
        if previous.is_some() && connected {
            live.refresh();
        }
    });
    provide_context(live);
    live
}

pub fn use_live() -> Option<Live> {
    use_context::<Live>()
}
