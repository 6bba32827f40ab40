//! One browser connection: its frames in, its signals out, keep-alive, and resume.

use std::{collections::HashMap, sync::Arc};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio_util::sync::CancellationToken;

use super::{
    Signals, log,
    model::{ClientFrame, validate_channel},
};

/// Close codes: the server is going away (reconnect elsewhere), or this client fell behind
/// (reconnect and resume).
const GOING_AWAY: u16 = 1001;
const TRY_AGAIN_LATER: u16 = 1013;

/// Serves a connection until either side ends it.
pub async fn run(mut socket: WebSocket, signals: Arc<Signals>, refs: Vec<Arc<str>>, shutdown: CancellationToken) {
    let (id, mut queue) = signals.hub.register(refs.clone());
    let mut ticks = signals.ticks();
    let mut answered = true;
    // Per channel, the last position this connection was sent: replay and live overlap briefly.
    let mut sent: HashMap<Arc<str>, i64> = HashMap::new();
    let close = loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    answered = true;
                    let Ok(frame) = serde_json::from_str::<ClientFrame>(&text) else { continue };
                    if validate_channel(&frame.channel).is_err() {
                        continue;
                    }
                    match frame.action.as_str() {
                        "subscribe" => {
                            if signals.hub.subscribe(id, &frame.channel)
                                && let Some(since) = frame.since
                                && resume(&mut socket, &signals, &refs, &frame.channel, since, &mut sent).await.is_err()
                            {
                                break None;
                            }
                        }
                        "unsubscribe" => {
                            signals.hub.unsubscribe(id, &frame.channel);
                            sent.remove(frame.channel.as_str());
                        }
                        _ => {}
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break None,
                // Pongs, pings (answered by the library) and binary frames all prove liveness.
                Some(Ok(_)) => answered = true,
            },
            signal = queue.recv() => match signal {
                Some(signal) => {
                    let last = sent.get(&signal.channel).copied().unwrap_or(i64::MIN);
                    if signal.seq <= last {
                        continue;
                    }
                    if sent.contains_key(&signal.channel) {
                        sent.insert(signal.channel.clone(), signal.seq);
                    }
                    if socket.send(Message::Text(signal.frame.clone())).await.is_err() {
                        break None;
                    }
                }
                None => break Some((TRY_AGAIN_LATER, "fell behind; reconnect and resume")),
            },
            changed = ticks.changed() => {
                if changed.is_err() || !answered {
                    break None;
                }
                answered = false;
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
            () = shutdown.cancelled() => break Some((GOING_AWAY, "server shutting down")),
        }
    };
    signals.hub.unregister(id);
    if let Some((code, reason)) = close {
        let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
    }
}

/// Sends what the connection missed on `channel` after `since`, from the log. When the log no
/// longer reaches back that far (or `since` is from another database), says so instead: the
/// client then refetches its data.
async fn resume(
    socket: &mut WebSocket,
    signals: &Signals,
    refs: &[Arc<str>],
    channel: &str,
    since: i64,
    sent: &mut HashMap<Arc<str>, i64>,
) -> Result<(), axum::Error> {
    let channel_key: Arc<str> = channel.into();
    let replayed = match log::head(signals.db()).await {
        Ok((head, pruned)) if since >= pruned && since <= head => {
            match log::replay(signals.db(), channel, since, refs, signals.max_replay() + 1).await {
                Ok(rows) if rows.len() as i64 <= signals.max_replay() => Some(rows),
                Ok(_) => None,
                Err(error) => {
                    tracing::warn!(?error, "cannot replay signals");
                    None
                }
            }
        }
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(?error, "cannot read the signal log head");
            None
        }
    };
    match replayed {
        Some(rows) => {
            let mut last = since;
            for (seq, frame) in rows {
                socket.send(Message::Text(frame)).await?;
                last = seq;
            }
            sent.insert(channel_key, last);
        }
        None => {
            let head = signals.hub.delivered_head();
            let frame = serde_json::json!({ "channel": channel, "resync": true, "position": head }).to_string();
            socket.send(Message::Text(frame.into())).await?;
            sent.insert(channel_key, head);
        }
    }
    Ok(())
}
