//! The `/api/signals` WebSocket: protocol, targeting, notifications' signals, resume, and
//! delivery across instances (contract §6 and issue 4).

mod support;

use std::{collections::HashMap, time::Duration};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{
    Engine, SERVICE_TOKEN, TestApp, expect_error,
    ws::{self, Credentials},
};
use tokio_tungstenite::tungstenite::Message;

on_both_engines!(
    the_token_subprotocol_is_echoed,
    missing_or_invalid_credentials_are_refused_without_an_upgrade,
    a_session_cookie_works_from_herald_pages_only,
    subscribers_get_broadcasts_until_they_unsubscribe,
    a_user_signal_reaches_only_that_user,
    a_group_signal_reaches_members_and_sub_group_members,
    notifications_publish_new_read_unread_and_read_all,
    broadcast_notifications_reach_everyone_subscribed,
    bad_frames_are_ignored_and_the_socket_stays_open,
    publishing_is_validated_and_for_services_only,
    a_client_resumes_where_it_stopped,
    a_resume_from_too_far_back_asks_for_a_refetch,
    cut_connections_lose_nothing_and_repeat_nothing,
    a_stalled_client_is_dropped_without_holding_up_others,
    a_client_that_stops_answering_pings_is_dropped,
);

async fn connect(app: &TestApp, user: &str) -> ws::Socket {
    let token = app.sign_in(user).await;
    ws::connect(&app.base, Credentials::Protocol(&token)).await.expect("connected").0
}

async fn the_token_subprotocol_is_echoed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/alice").await;
    let (_socket, protocol) = ws::connect(&app.base, Credentials::Protocol(&token)).await.unwrap();
    assert_eq!(protocol.as_deref(), Some(token.as_str()));
}

async fn missing_or_invalid_credentials_are_refused_without_an_upgrade(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    assert_eq!(ws::connect(&app.base, Credentials::None).await.err(), Some(401));
    assert_eq!(ws::connect(&app.base, Credentials::Protocol("hrs_forged")).await.err(), Some(401));
    assert_eq!(ws::connect(&app.base, Credentials::Cookie("hrs_forged", None)).await.err(), Some(401));
    assert_eq!(ws::connect(&app.base, Credentials::Protocol(SERVICE_TOKEN)).await.err(), Some(403));
    // A plain request, not an upgrade: credentials are still checked first.
    expect_error(app.get("/api/signals").send().await.unwrap(), 401, "AuthenticationError").await;
}

async fn a_session_cookie_works_from_herald_pages_only(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/alice").await;
    assert!(ws::connect(&app.base, Credentials::Cookie(&token, None)).await.is_ok());
    assert!(ws::connect(&app.base, Credentials::Cookie(&token, Some(&app.base))).await.is_ok());
    let foreign = ws::connect(&app.base, Credentials::Cookie(&token, Some("https://evil.example"))).await;
    assert_eq!(foreign.err(), Some(403), "cross-site WebSocket hijacking is refused");
}

async fn subscribers_get_broadcasts_until_they_unsubscribe(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut socket = connect(&app, "user:default/alice").await;
    ws::subscribe(&mut socket, "test").await;
    app.await_subscribers("test", 1).await;
    app.publish(json!({ "type": "broadcast" }), "test", json!({ "msg": "test" })).await;
    let frame = ws::next(&mut socket).await;
    assert_eq!(frame["channel"], "test");
    assert_eq!(frame["message"], json!({ "msg": "test" }));
    assert!(frame["position"].as_i64().unwrap() > 0);

    ws::send(&mut socket, json!({ "action": "unsubscribe", "channel": "test" })).await;
    app.await_subscribers("test", 0).await;
    app.publish(json!({ "type": "broadcast" }), "test", json!({ "msg": "again" })).await;
    ws::quiet(&mut socket).await;
}

async fn a_user_signal_reaches_only_that_user(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut alice = connect(&app, "user:default/alice").await;
    let mut bob = connect(&app, "user:default/bob").await;
    let mut alice_unsubscribed = connect(&app, "user:default/alice").await;
    ws::subscribe(&mut alice, "builds").await;
    ws::subscribe(&mut bob, "builds").await;
    app.await_subscribers("builds", 2).await;
    app.publish(json!({ "type": "user", "entityRef": "user:alice" }), "builds", json!({ "for": "alice" })).await;
    assert_eq!(ws::next(&mut alice).await["message"]["for"], "alice");
    ws::quiet(&mut bob).await;
    ws::quiet(&mut alice_unsubscribed).await;
}

async fn a_group_signal_reaches_members_and_sub_group_members(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut sockets = HashMap::new();
    for user in ["alice", "carol", "dave"] {
        let mut socket = connect(&app, &format!("user:default/{user}")).await;
        ws::subscribe(&mut socket, "team").await;
        sockets.insert(user, socket);
    }
    app.await_subscribers("team", 3).await;
    app.publish(json!({ "type": "user", "entityRef": ["group:default/team-a"] }), "team", json!({ "n": 1 })).await;
    assert_eq!(ws::next(sockets.get_mut("alice").unwrap()).await["message"]["n"], 1);
    assert_eq!(ws::next(sockets.get_mut("carol").unwrap()).await["message"]["n"], 1, "carol is in a sub-team");
    ws::quiet(sockets.get_mut("dave").unwrap()).await;
}

async fn notifications_publish_new_read_unread_and_read_all(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/alice").await;
    let (mut socket, _) = ws::connect(&app.base, Credentials::Protocol(&token)).await.unwrap();
    ws::subscribe(&mut socket, "notifications").await;
    app.await_subscribers("notifications", 1).await;

    let id = app.send_to("user:default/alice", "Build failed").await;
    let frame = ws::next(&mut socket).await;
    assert_eq!(frame["channel"], "notifications");
    let message = &frame["message"];
    assert_eq!(message["action"], "new_notification");
    assert_eq!(message["notification_id"], id.as_str());
    assert_eq!(message["notification"]["payload"]["title"], "Build failed", "the full notification comes along");
    assert_eq!(message["notification"]["user"], "user:default/alice");

    app.post_json(&token, "/api/notifications/notifications/update", json!({ "ids": [id], "read": true })).await;
    let message = ws::next(&mut socket).await["message"].clone();
    assert_eq!(message, json!({ "action": "notification_read", "notification_ids": [id] }));

    app.post_json(&token, "/api/notifications/notifications/update", json!({ "ids": [id], "read": false })).await;
    assert_eq!(ws::next(&mut socket).await["message"]["action"], "notification_unread");

    app.post_json(&token, "/api/notifications/notifications/read-all", json!({})).await;
    let message = ws::next(&mut socket).await["message"].clone();
    assert_eq!(message, json!({ "action": "notification_read_all", "count": 1 }));

    // Someone else's notification says nothing here.
    app.send_to("user:default/bob", "not for alice").await;
    ws::quiet(&mut socket).await;
}

async fn broadcast_notifications_reach_everyone_subscribed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut alice = connect(&app, "user:default/alice").await;
    let mut erin = connect(&app, "user:default/erin").await;
    ws::subscribe(&mut alice, "notifications").await;
    ws::subscribe(&mut erin, "notifications").await;
    app.await_subscribers("notifications", 2).await;
    let id = app.broadcast(json!({ "title": "Maintenance tonight" })).await;
    for socket in [&mut alice, &mut erin] {
        let message = ws::next(socket).await["message"].clone();
        assert_eq!(message["notification_id"], id.as_str());
        assert_eq!(message["notification"]["user"], Value::Null);
    }
}

async fn bad_frames_are_ignored_and_the_socket_stays_open(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut socket = connect(&app, "user:default/alice").await;
    socket.send(Message::Text("not json".into())).await.unwrap();
    socket.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    ws::send(&mut socket, json!({ "action": "dance", "channel": "x" })).await;
    ws::send(&mut socket, json!({ "action": "subscribe" })).await;
    ws::send(&mut socket, json!({ "action": "subscribe", "channel": "bad channel!" })).await;
    ws::subscribe(&mut socket, "ok").await;
    app.await_subscribers("ok", 1).await;
    app.publish(json!({ "type": "broadcast" }), "ok", json!({ "still": "open" })).await;
    assert_eq!(ws::next(&mut socket).await["message"]["still"], "open");
}

async fn publishing_is_validated_and_for_services_only(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let publish = |token: Option<&str>, body: Value| {
        let mut request = app.post("/api/signals/publish").json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let good = json!({ "recipients": { "type": "broadcast" }, "channel": "c", "message": { "a": 1 } });
    let alice = app.sign_in("user:default/alice").await;
    expect_error(publish(None, good.clone()).await.unwrap(), 401, "AuthenticationError").await;
    expect_error(publish(Some(&alice), good.clone()).await.unwrap(), 403, "NotAllowedError").await;
    for bad in [
        json!({ "recipients": { "type": "broadcast" }, "channel": "no spaces", "message": {} }),
        json!({ "recipients": { "type": "nobody" }, "channel": "c", "message": {} }),
        json!({ "recipients": { "type": "user" }, "channel": "c", "message": {} }),
        json!({ "recipients": { "type": "broadcast" }, "channel": "c", "message": "text" }),
        json!({ "channel": "c", "message": {} }),
        json!({ "recipients": { "type": "broadcast" }, "channel": "c", "message": { "a": "\u{0}" } }),
    ] {
        expect_error(publish(Some(SERVICE_TOKEN), bad).await.unwrap(), 400, "InputError").await;
    }
    let big =
        json!({ "recipients": { "type": "broadcast" }, "channel": "c", "message": { "blob": "x".repeat(70_000) } });
    expect_error(publish(Some(SERVICE_TOKEN), big).await.unwrap(), 413, "PayloadTooLargeError").await;
    let response = app.publish(json!({ "type": "broadcast" }), "c", json!({ "a": 1 })).await;
    assert!(response["position"].as_i64().unwrap() > 0);
}

/// Positions of the notifications frames received, and the ids they announce.
fn new_ids(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f["message"]["action"] == "new_notification")
        .map(|f| f["message"]["notification_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_client_resumes_where_it_stopped(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/alice").await;
    let (mut socket, _) = ws::connect(&app.base, Credentials::Protocol(&token)).await.unwrap();
    ws::subscribe(&mut socket, "notifications").await;
    app.await_subscribers("notifications", 1).await;
    let first = app.send_to("user:default/alice", "one").await;
    let frame = ws::next(&mut socket).await;
    assert_eq!(frame["message"]["notification_id"], first.as_str());
    let position = frame["position"].as_i64().unwrap();
    drop(socket);

    // While the client is away: two for alice, one for bob, one broadcast.
    let missed = [app.send_to("user:default/alice", "two").await, app.send_to("user:default/alice", "three").await];
    app.send_to("user:default/bob", "bob's").await;
    let broadcast = app.broadcast(json!({ "title": "everyone" })).await;

    let (mut socket, _) = ws::connect(&app.base, Credentials::Protocol(&token)).await.unwrap();
    ws::send(&mut socket, json!({ "action": "subscribe", "channel": "notifications", "since": position })).await;
    let frames = vec![ws::next(&mut socket).await, ws::next(&mut socket).await, ws::next(&mut socket).await];
    assert_eq!(new_ids(&frames), [missed[0].clone(), missed[1].clone(), broadcast]);
    ws::quiet(&mut socket).await;
    // And then it is live again.
    let live = app.send_to("user:default/alice", "four").await;
    assert_eq!(ws::next(&mut socket).await["message"]["notification_id"], live.as_str());
}

async fn a_resume_from_too_far_back_asks_for_a_refetch(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.send_to("user:default/alice", "one").await;
    let token = app.sign_in("user:default/alice").await;
    let (mut socket, _) = ws::connect(&app.base, Credentials::Protocol(&token)).await.unwrap();
    // Prune everything, as the retention window would.
    let state = &app.running.as_ref().unwrap().state;
    herald::signals::log::prune(&state.db, herald::timestamp::Timestamp::now().plus(Duration::from_secs(1)))
        .await
        .unwrap();
    ws::send(&mut socket, json!({ "action": "subscribe", "channel": "notifications", "since": 0 })).await;
    let frame = ws::next(&mut socket).await;
    assert_eq!(frame["resync"], true, "{frame}");
    assert!(frame.get("message").is_none(), "no message: upstream clients must not mistake it for one");
    // A position from the future (another database) gets the same answer.
    ws::send(&mut socket, json!({ "action": "subscribe", "channel": "other", "since": 1_000_000 })).await;
    assert_eq!(ws::next(&mut socket).await["resync"], true);
}

/// Connections are cut again and again while notifications are sent; the client resumes each
/// time from the last position it saw, and must see every notification exactly once.
async fn cut_connections_lose_nothing_and_repeat_nothing(engine: Engine) {
    const SENT: usize = 150;
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/alice").await;
    let base = app.base.clone();
    let client = tokio::spawn(async move {
        let mut seen: Vec<String> = Vec::new();
        let mut position: Option<i64> = None;
        let mut cuts = 0;
        while seen.len() < SENT {
            let (mut socket, _) = ws::connect(&base, Credentials::Protocol(&token)).await.unwrap();
            let mut subscribe = json!({ "action": "subscribe", "channel": "notifications" });
            if let Some(position) = position {
                subscribe["since"] = json!(position);
            }
            ws::send(&mut socket, subscribe).await;
            // Read a few frames, then cut the connection without a goodbye.
            let budget = 1 + cuts % 7;
            for _ in 0..budget {
                let Some(frame) = ws::next_within(&mut socket, Duration::from_secs(10)).await else { break };
                assert!(frame.get("resync").is_none(), "the log reaches back far enough");
                position = frame["position"].as_i64();
                seen.extend(new_ids(&[frame]));
            }
            cuts += 1;
            drop(socket);
        }
        (seen, cuts)
    });
    // Wait for the first subscription so nothing is sent before anyone could resume from it.
    app.await_subscribers("notifications", 1).await;
    let mut sent = Vec::new();
    for i in 0..SENT {
        sent.push(app.send_to("user:default/alice", &format!("n{i}")).await);
        if i % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let (seen, cuts) =
        tokio::time::timeout(Duration::from_secs(60), client).await.expect("the client finishes").unwrap();
    assert!(cuts > 10, "connections were cut {cuts} times");
    assert_eq!(seen, sent, "every notification exactly once, in order");
}

async fn a_stalled_client_is_dropped_without_holding_up_others(engine: Engine) {
    let app = TestApp::spawn_with(engine, |config| config.signals.queue_length = 16).await;
    let mut stalled = connect(&app, "user:default/bob").await;
    let mut healthy = connect(&app, "user:default/alice").await;
    ws::subscribe(&mut stalled, "firehose").await;
    ws::subscribe(&mut healthy, "firehose").await;
    app.await_subscribers("firehose", 2).await;
    // The stalled client never reads: its TCP buffers fill, then its queue, then it is dropped.
    let blob = "x".repeat(60_000);
    let reader = tokio::spawn(async move {
        for i in 0..200 {
            assert_eq!(ws::next(&mut healthy).await["message"]["i"], i);
        }
        healthy
    });
    for i in 0..200 {
        app.publish(json!({ "type": "broadcast" }), "firehose", json!({ "i": i, "blob": blob })).await;
    }
    let _healthy = tokio::time::timeout(Duration::from_secs(30), reader).await.unwrap().unwrap();
    app.await_subscribers("firehose", 1).await;
    drop(stalled.close(None).await);
}

async fn a_client_that_stops_answering_pings_is_dropped(engine: Engine) {
    let app = TestApp::spawn_with(engine, |config| config.signals.ping_interval = Duration::from_secs(2)).await;
    let mut answering = connect(&app, "user:default/alice").await;
    let silent = connect(&app, "user:default/bob").await;
    let hub = app.running.as_ref().unwrap().state.signals.hub.clone();
    for _ in 0..500 {
        if hub.connection_count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(hub.connection_count(), 2);
    // The answering client reads (and so answers pings, as browsers do); the silent one never reads.
    let reader = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(9);
        while tokio::time::Instant::now() < deadline {
            let _ = tokio::time::timeout(Duration::from_millis(100), answering.next()).await;
            let _ = answering.flush().await;
        }
        answering
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    while hub.connection_count() > 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut answering = reader.await.unwrap();
    assert_eq!(hub.connection_count(), 1, "the silent connection was closed, the answering one was not");
    ws::subscribe(&mut answering, "still").await;
    app.await_subscribers("still", 1).await;
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_signals_through_postgres() {
    if !support::postgres_available() {
        return;
    }
    let first = TestApp::spawn(Engine::Postgres).await;
    let url = first.running.as_ref().unwrap().state.config.database.url.clone();
    let second = TestApp::spawn_with(Engine::Postgres, move |config| config.database.url = url).await;

    let token = first.sign_in("user:default/alice").await;
    let (mut on_first, _) = ws::connect(&first.base, Credentials::Protocol(&token)).await.unwrap();
    let (mut on_second, _) = ws::connect(&second.base, Credentials::Protocol(&token)).await.unwrap();
    ws::subscribe(&mut on_first, "notifications").await;
    ws::subscribe(&mut on_second, "notifications").await;
    first.await_subscribers("notifications", 1).await;
    second.await_subscribers("notifications", 1).await;

    // Sent through the second instance, seen by a browser on the first, and the reverse.
    let through_second = second.send_to("user:default/alice", "via B").await;
    assert_eq!(ws::next(&mut on_first).await["message"]["notification_id"], through_second.as_str());
    assert_eq!(ws::next(&mut on_second).await["message"]["notification_id"], through_second.as_str());
    let through_first = first.send_to("user:default/alice", "via A").await;
    assert_eq!(ws::next(&mut on_second).await["message"]["notification_id"], through_first.as_str());
    assert_eq!(ws::next(&mut on_first).await["message"]["notification_id"], through_first.as_str());

    // A message too large for NOTIFY travels through the log table.
    let big = "y".repeat(20_000);
    second
        .publish(json!({ "type": "user", "entityRef": "user:default/alice" }), "notifications", json!({ "big": big }))
        .await;
    assert_eq!(ws::next(&mut on_first).await["message"]["big"].as_str().unwrap().len(), 20_000);
}
