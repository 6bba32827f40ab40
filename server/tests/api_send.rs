//! Sending notifications: `POST /api/notifications/notifications` (contract §9.1 and the fixes).

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Engine, SERVICE_TOKEN, TestApp, expect_error};

const CREATE: &str = "/api/notifications/notifications";

on_both_engines!(
    dangerous_links_are_refused,
    absolute_and_relative_links_are_accepted_and_echoed,
    a_broadcast_returns_one_notification_without_a_user,
    a_user_outside_the_catalog_still_gets_the_notification_with_metadata,
    an_excluded_user_gets_nothing,
    a_group_reaches_its_members_and_sub_groups,
    exclusions_apply_to_groups_and_their_members,
    a_user_named_twice_gets_one_notification,
    an_owned_entity_reaches_its_owners_members,
    refs_are_normalised_so_short_refs_reach_the_user,
    one_bad_ref_fails_the_whole_send,
    a_disabled_origin_setting_stops_delivery,
    a_disabled_topic_stops_only_that_topic,
    an_opt_in_channel_delivers_only_what_the_user_enabled,
    malformed_sends_are_bad_requests,
    an_escaped_backslash_before_u0000_is_text_not_a_nul,
    only_services_may_send_and_checks_come_in_order,
    a_scoped_resend_updates_in_place_and_is_unread_again,
    concurrent_scoped_sends_never_duplicate,
    broadcasts_and_personal_sends_at_once_all_land_and_are_found,
    a_scoped_broadcast_resend_keeps_its_id_and_is_unread_for_everyone,
    overlong_fields_are_bad_requests_not_server_errors,
    the_deprecated_root_alias_sends_too,
    metadata_is_persisted_and_returned,
);

fn to(refs: Value, payload: Value) -> Value {
    json!({ "recipients": { "type": "entity", "entityRef": refs }, "payload": payload })
}

async fn dangerous_links_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for link in ["javascript:alert(1)", "ftp://example.com/file", "data:text/html,<b>x</b>", "JavaScript:void(0)"] {
        let response = app
            .post_as(SERVICE_TOKEN, CREATE)
            .json(&to(json!("user:default/alice"), json!({ "title": "t", "link": link })))
            .send()
            .await
            .unwrap();
        let body = expect_error(response, 400, "InputError").await;
        assert_eq!(body["error"]["message"], "Invalid link provided", "{link}");
    }
    assert_eq!(app.rows("notification").await, 0);
}

async fn absolute_and_relative_links_are_accepted_and_echoed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for link in ["http://localhost/test", "https://example.com", "/catalog"] {
        let created = app.send(to(json!("user:default/alice"), json!({ "title": "t", "link": link }))).await;
        assert_eq!(created[0]["payload"]["link"], link);
    }
}

async fn a_broadcast_returns_one_notification_without_a_user(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let created = app
        .send(json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "Maintenance", "link": "https://example.com" } }))
        .await;
    assert_eq!(created.len(), 1);
    let n = &created[0];
    assert_eq!(n["user"], Value::Null);
    assert_eq!(n["origin"], "external:test-service");
    assert_eq!(n["payload"]["severity"], "normal");
    assert_eq!(n["payload"]["title"], "Maintenance");
    assert_eq!(n["payload"]["link"], "https://example.com");
    assert!(n["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(app.rows("broadcast").await, 1);
    assert_eq!(app.rows("notification").await, 0);
}

async fn a_user_outside_the_catalog_still_gets_the_notification_with_metadata(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let created = app.send(to(json!("user:default/mock"), json!({ "title": "t", "metadata": { "attr": 1 } }))).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["user"], "user:default/mock");
    assert_eq!(created[0]["payload"]["metadata"], json!({ "attr": 1 }));
    assert_eq!(app.rows("notification").await, 1);
}

async fn an_excluded_user_gets_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice", "excludeEntityRef": "user:default/alice" },
                       "payload": { "title": "t" } });
    assert_eq!(app.send(body).await, Vec::<Value>::new());
    assert_eq!(app.rows("notification").await, 0);
}

fn users(created: &[Value]) -> Vec<String> {
    let mut users: Vec<String> = created.iter().map(|n| n["user"].as_str().unwrap().to_owned()).collect();
    users.sort();
    users
}

async fn a_group_reaches_its_members_and_sub_groups(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    // team-b: dave (memberOf) and erin (spec.members).
    let created = app.send(to(json!("group:default/team-b"), json!({ "title": "t" }))).await;
    assert_eq!(users(&created), ["user:default/dave", "user:default/erin"]);
    // team-a: alice and bob, and carol through the sub-team team-a-infra.
    let created = app.send(to(json!("group:default/team-a"), json!({ "title": "t" }))).await;
    assert_eq!(users(&created), ["user:default/alice", "user:default/bob", "user:default/carol"]);
}

async fn exclusions_apply_to_groups_and_their_members(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let send = |exclude: Value| json!({ "recipients": { "type": "entity", "entityRef": "group:default/team-a", "excludeEntityRef": exclude }, "payload": { "title": "t" } });
    assert!(app.send(send(json!("group:default/team-a"))).await.is_empty());
    let created = app.send(send(json!(["user:default/bob", "group:default/team-a-infra"]))).await;
    assert_eq!(users(&created), ["user:default/alice"]);
    assert_eq!(app.rows("notification").await, 1);
}

async fn a_user_named_twice_gets_one_notification(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let created = app
        .send(to(
            json!(["group:default/team-b", "user:default/dave", "user:dave", "User:Default/Dave"]),
            json!({ "title": "t" }),
        ))
        .await;
    assert_eq!(users(&created), ["user:default/dave", "user:default/erin"]);
}

async fn an_owned_entity_reaches_its_owners_members(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let created = app.send(to(json!("component:default/billing"), json!({ "title": "Billing is down" }))).await;
    assert_eq!(users(&created), ["user:default/dave", "user:default/erin"]);
    let created = app
        .send(json!({ "recipients": { "type": "entity", "entityRef": "component:portal", "excludeEntityRef": ["user:alice", "user:bob"] },
                      "payload": { "title": "t" } }))
        .await;
    assert_eq!(users(&created), ["user:default/carol"]);
}

async fn refs_are_normalised_so_short_refs_reach_the_user(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let created = app.send(to(json!("user:Alice"), json!({ "title": "Hello" }))).await;
    assert_eq!(created[0]["user"], "user:default/alice");
    let alice = app.sign_in("user:default/alice").await;
    let list = app.get_json(&alice, "/api/notifications/notifications").await;
    assert_eq!(list["totalCount"], 1);
    assert_eq!(list["notifications"][0]["payload"]["title"], "Hello");
}

async fn one_bad_ref_fails_the_whole_send(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for refs in [json!(["user:default/alice", "not a ref"]), json!(["user:default/alice", "alice"]), json!("user:")] {
        let response =
            app.post_as(SERVICE_TOKEN, CREATE).json(&to(refs, json!({ "title": "t" }))).send().await.unwrap();
        expect_error(response, 400, "InputError").await;
    }
    assert_eq!(app.rows("notification").await, 0);
}

async fn save_settings(app: &TestApp, token: &str, origins: Value) {
    app.post_json(token, "/api/notifications/settings", json!({ "channels": [{ "id": "Web", "origins": origins }] }))
        .await;
}

async fn a_disabled_origin_setting_stops_delivery(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let alice = app.sign_in("user:default/alice").await;
    save_settings(&app, &alice, json!([{ "id": "external:test-service", "enabled": false }])).await;
    let created = app.send(to(json!(["user:default/alice", "user:default/bob"]), json!({ "title": "t" }))).await;
    assert_eq!(users(&created), ["user:default/bob"]);
    assert_eq!(app.rows("notification").await, 1);
}

async fn a_disabled_topic_stops_only_that_topic(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let alice = app.sign_in("user:default/alice").await;
    save_settings(
        &app,
        &alice,
        json!([{ "id": "external:test-service", "enabled": true, "topics": [{ "id": "noisy", "enabled": false }] }]),
    )
    .await;
    assert!(app.send(to(json!("user:default/alice"), json!({ "title": "t", "topic": "noisy" }))).await.is_empty());
    assert_eq!(
        app.send(to(json!("user:default/alice"), json!({ "title": "t" }))).await.len(),
        1,
        "no topic: the origin decides"
    );
    assert_eq!(app.send(to(json!("user:default/alice"), json!({ "title": "t", "topic": "other" }))).await.len(), 1);
}

async fn an_opt_in_channel_delivers_only_what_the_user_enabled(engine: Engine) {
    let app = TestApp::spawn_with(engine, |config| {
        config.notifications.default_settings =
            serde_json::from_value(json!({ "channels": [{ "id": "Web", "enabled": false }] })).unwrap();
    })
    .await;
    assert!(
        app.send(to(json!("user:default/alice"), json!({ "title": "t", "topic": "important-topic" }))).await.is_empty()
    );
    let alice = app.sign_in("user:default/alice").await;
    save_settings(
        &app,
        &alice,
        json!([{ "id": "external:test-service", "enabled": true, "topics": [{ "id": "important-topic", "enabled": true }] }]),
    )
    .await;
    assert_eq!(
        app.send(to(json!("user:default/alice"), json!({ "title": "t", "topic": "important-topic" }))).await.len(),
        1
    );
    assert!(
        app.send(to(json!("user:default/bob"), json!({ "title": "t", "topic": "important-topic" }))).await.is_empty()
    );
}

async fn malformed_sends_are_bad_requests(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let bodies = [
        json!({ "payload": { "title": "t" } }),
        json!({ "recipients": { "type": "invalid" }, "payload": { "title": "t" } }),
        json!({ "recipients": { "type": "broadcast" }, "payload": {} }),
        json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "" } }),
        json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "t", "severity": "HIGH" } }),
        json!({ "recipients": { "type": "broadcast" } }),
        json!("just a string"),
        // PostgreSQL cannot store a NUL, so no engine accepts one, wherever it hides.
        json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "a\u{0}b" } }),
        json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "t", "metadata": { "k\u{0}": 1 } } }),
        to(json!("user:default/al\u{0}ice"), json!({ "title": "t" })),
    ];
    for body in bodies {
        let response = app.post_as(SERVICE_TOKEN, CREATE).json(&body).send().await.unwrap();
        expect_error(response, 400, "InputError").await;
    }
    let response =
        app.post_as(SERVICE_TOKEN, CREATE).header("content-type", "application/json").body("{").send().await.unwrap();
    expect_error(response, 400, "InputError").await;
    let response = app.post_as(SERVICE_TOKEN, CREATE).body("title=t").send().await.unwrap();
    expect_error(response, 400, "InputError").await;
    assert_eq!(app.rows("notification").await + app.rows("broadcast").await, 0);
}

async fn an_escaped_backslash_before_u0000_is_text_not_a_nul(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = r#"{"recipients":{"type":"broadcast"},"payload":{"title":"path C:\\u0000"}}"#;
    let response = app.post_as(SERVICE_TOKEN, CREATE).header("content-type", "application/json").body(body);
    let created: Vec<Value> = response.send().await.unwrap().json().await.unwrap();
    assert_eq!(created[0]["payload"]["title"], r"path C:\u0000");
}

async fn only_services_may_send_and_checks_come_in_order(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let good = to(json!("user:default/alice"), json!({ "title": "t" }));
    let alice = app.sign_in("user:default/alice").await;
    // A user may not send: 403.
    expect_error(app.post_as(&alice, CREATE).json(&good).send().await.unwrap(), 403, "NotAllowedError").await;
    // A service may not read a user's list: 403.
    expect_error(app.get_as(SERVICE_TOKEN, CREATE).send().await.unwrap(), 403, "NotAllowedError").await;
    // No credentials come first, even with a bad body: 401.
    expect_error(app.post(CREATE).json(&json!({})).send().await.unwrap(), 401, "AuthenticationError").await;
    // A bad body comes before the wrong kind of credentials: 400.
    expect_error(app.post_as(&alice, CREATE).json(&json!({})).send().await.unwrap(), 400, "InputError").await;
    assert_eq!(app.rows("notification").await, 0);
}

async fn a_scoped_resend_updates_in_place_and_is_unread_again(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let alice = app.sign_in("user:default/alice").await;
    let payload = |title: &str, severity: &str| json!({ "title": title, "scope": "build-42", "severity": severity, "topic": "ci" });
    let first = app.send(to(json!("user:default/alice"), payload("Build running", "low"))).await;
    let id = first[0]["id"].as_str().unwrap().to_owned();
    app.post_json(
        &alice,
        "/api/notifications/notifications/update",
        json!({ "ids": [id], "read": true, "saved": true }),
    )
    .await;

    let second = app.send(to(json!("user:default/alice"), payload("Build failed", "critical"))).await;
    assert_eq!(second[0]["id"], id.as_str(), "same notification");
    assert_eq!(second[0]["created"], first[0]["created"], "created stays");
    assert!(second[0]["updated"].is_string(), "updated is set");
    assert_eq!(second[0]["read"], Value::Null, "unread again");
    assert!(second[0]["saved"].is_string(), "saved stays");
    assert_eq!(second[0]["payload"]["title"], "Build failed");
    assert_eq!(second[0]["payload"]["severity"], "critical");

    let list = app.get_json(&alice, "/api/notifications/notifications").await;
    assert_eq!(list["totalCount"], 1);
    assert_eq!(list["notifications"][0]["payload"]["title"], "Build failed");
    let status = app.get_json(&alice, "/api/notifications/status").await;
    assert_eq!((status["unread"].as_i64(), status["read"].as_i64()), (Some(1), Some(0)));
    // Another origin's scope is another notification.
    assert_eq!(app.rows("notification").await, 1);
}

async fn concurrent_scoped_sends_never_duplicate(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let sends = (0..24).map(|i| {
        let request = app.post_as(SERVICE_TOKEN, CREATE).json(&to(
            json!(["user:default/alice", "user:default/bob"]),
            json!({ "title": format!("progress {i}"), "scope": "deploy-7" }),
        ));
        async move { request.send().await.unwrap().status() }
    });
    for status in futures::future::join_all(sends).await {
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(app.rows("notification").await, 2, "one row per user, whatever the race");
}

async fn broadcasts_and_personal_sends_at_once_all_land_and_are_found(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    // Sends arriving together are stored together: broadcasts and personal rows in one write.
    let sends = (0..24).map(|i| {
        let recipients = match i % 2 {
            0 => json!({ "type": "broadcast" }),
            _ => json!({ "type": "entity", "entityRef": "user:default/alice" }),
        };
        let request = app
            .post_as(SERVICE_TOKEN, CREATE)
            .json(&json!({ "recipients": recipients, "payload": { "title": format!("rollout {i:02} done") } }));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    });
    let mut sent: Vec<String> = futures::future::join_all(sends)
        .await
        .iter()
        .map(|created| created[0]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!((app.rows("broadcast").await, app.rows("notification").await), (12, 12));
    let alice = app.sign_in("user:default/alice").await;
    let found = app.get_json(&alice, "/api/notifications/notifications?search=rollout&limit=50").await;
    let mut listed: Vec<String> =
        found["notifications"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect();
    sent.sort();
    listed.sort();
    assert_eq!(listed, sent, "every send is found by its text, under the id it returned");
    let one = app.get_json(&alice, "/api/notifications/notifications?search=rollout%2004").await;
    assert_eq!(one["totalCount"], 1);
    assert_eq!(one["notifications"][0]["user"], Value::Null, "04 went to everybody");
    let status = app.get_json(&alice, "/api/notifications/status").await;
    assert_eq!(status["unread"], 24);
    let bob = app.sign_in("user:default/bob").await;
    let status = app.get_json(&bob, "/api/notifications/status").await;
    assert_eq!(status["unread"], 12, "bob has the broadcasts only");
}

async fn a_scoped_broadcast_resend_keeps_its_id_and_is_unread_for_everyone(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let first = app.broadcast(json!({ "title": "Incident", "scope": "inc-1" })).await;
    let alice = app.sign_in("user:default/alice").await;
    app.post_json(&alice, "/api/notifications/notifications/update", json!({ "ids": [first], "read": true })).await;
    let second = app.broadcast(json!({ "title": "Incident resolved", "scope": "inc-1" })).await;
    assert_eq!(second, first, "the stored id, not a new one");
    assert_eq!(app.rows("broadcast").await, 1);
    let seen = app.get_json(&alice, &format!("/api/notifications/notifications/{first}")).await;
    assert_eq!(seen["payload"]["title"], "Incident resolved");
    assert_eq!(seen["read"], Value::Null, "an update is news again");
}

async fn overlong_fields_are_bad_requests_not_server_errors(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let long = "x".repeat(5000);
    for body in [
        json!({ "recipients": { "type": "broadcast" }, "payload": { "title": long } }),
        to(json!("user:default/alice"), json!({ "title": long })),
        to(json!("user:default/alice"), json!({ "title": "t", "topic": long })),
    ] {
        let response = app.post_as(SERVICE_TOKEN, CREATE).json(&body).send().await.unwrap();
        let error = expect_error(response, 400, "InputError").await;
        assert!(error["error"]["message"].as_str().unwrap().contains("longer than"));
    }
    // A 300-character title (over upstream's 255 column) is fine.
    let created = app.send(to(json!("user:default/alice"), json!({ "title": "y".repeat(300) }))).await;
    assert_eq!(created[0]["payload"]["title"].as_str().unwrap().len(), 300);
}

async fn the_deprecated_root_alias_sends_too(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let created = app
        .post_json(SERVICE_TOKEN, "/api/notifications/", to(json!("user:default/alice"), json!({ "title": "t" })))
        .await;
    assert_eq!(created[0]["user"], "user:default/alice");
}

async fn metadata_is_persisted_and_returned(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let metadata = json!({ "build": { "id": 42, "tags": ["a", "b"] }, "ok": true });
    let id = app.send(to(json!("user:default/alice"), json!({ "title": "t", "metadata": metadata }))).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let alice = app.sign_in("user:default/alice").await;
    let got = app.get_json(&alice, &format!("/api/notifications/notifications/{id}")).await;
    assert_eq!(got["payload"]["metadata"], metadata);
    let list = app.get_json(&alice, "/api/notifications/notifications").await;
    assert_eq!(list["notifications"][0]["payload"]["metadata"], metadata);
    // Without metadata the key is absent (the schema has no null for it).
    let id = app.send_to("user:default/alice", "plain").await;
    let got = app.get_json(&alice, &format!("/api/notifications/notifications/{id}")).await;
    assert!(got["payload"].get("metadata").is_none());
}
