//! Delivery settings over HTTP (contract §9.3, §9.4, §5.4).

mod support;

use serde_json::{Value, json};
use support::{Engine, TestApp, expect_error};

const SETTINGS: &str = "/api/notifications/settings";

on_both_engines!(
    settings_list_received_origins_and_topics_with_config_defaults,
    a_saved_setting_is_stored_as_rows_and_returned_merged,
    an_unknown_channel_is_rejected_and_nothing_is_saved,
    posting_no_channels_clears_the_settings,
    a_disabled_config_channel_makes_everything_opt_in,
    settings_round_trip,
);

/// The configuration of upstream's tests: service2 off; service3 on with test-topic3 off.
fn upstream_defaults() -> Value {
    json!({ "channels": [{ "id": "Web", "origins": [
        { "id": "external:test-service2", "enabled": false },
        { "id": "external:test-service3", "enabled": true, "topics": [{ "id": "test-topic3", "enabled": false }] }
    ] }] })
}

async fn spawn_with_defaults(engine: Engine, defaults: Value) -> TestApp {
    TestApp::spawn_with(engine, move |config| {
        config.notifications.default_settings = serde_json::from_value(defaults).unwrap();
    })
    .await
}

/// Gives alice notifications from the test service (topic test-topic) and from service2,
/// stored directly because service2 has no token in the test configuration.
async fn receive_from_two_origins(app: &TestApp) {
    app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" },
                     "payload": { "title": "t", "topic": "test-topic" } }))
        .await;
    let state = &app.running.as_ref().unwrap().state;
    let row = herald::notifications::store::NewNotification {
        id: uuid::Uuid::now_v7(),
        user_ref: Some("user:default/alice".into()),
        origin: "external:test-service2".into(),
        scope: None,
        title: "t2".into(),
        description: None,
        link: None,
        severity: herald::notifications::model::Severity::Normal,
        topic: Some("test-topic2".into()),
        icon: None,
        metadata: None,
        created: herald::timestamp::Timestamp::now(),
    };
    state.notifications.store().insert_personal(&[row], |_| None).await.unwrap();
}

/// (origin, enabled, [(topic, enabled)]).
type OriginView = (String, bool, Vec<(String, bool)>);
type Expected<'a> = (&'a str, bool, &'a [(&'a str, bool)]);

fn web(settings: &Value) -> Vec<OriginView> {
    let channel = settings["channels"].as_array().unwrap().iter().find(|c| c["id"] == "Web").expect("the Web channel");
    channel["origins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let topics = o["topics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| (t["id"].as_str().unwrap().to_owned(), t["enabled"].as_bool().unwrap()))
                .collect();
            (o["id"].as_str().unwrap().to_owned(), o["enabled"].as_bool().unwrap(), topics)
        })
        .collect()
}

fn expect(rows: &[Expected]) -> Vec<OriginView> {
    rows.iter().map(|(o, e, t)| (o.to_string(), *e, t.iter().map(|(t, e)| (t.to_string(), *e)).collect())).collect()
}

async fn settings_list_received_origins_and_topics_with_config_defaults(engine: Engine) {
    let app = spawn_with_defaults(engine, upstream_defaults()).await;
    receive_from_two_origins(&app).await;
    let alice = app.sign_in("user:default/alice").await;
    let settings = app.get_json(&alice, SETTINGS).await;
    assert_eq!(
        web(&settings),
        expect(&[
            ("external:test-service", true, &[("test-topic", true)]),
            ("external:test-service2", false, &[("test-topic2", false)]),
            ("external:test-service3", true, &[("test-topic3", false)]),
        ])
    );
    assert!(settings["channels"][0].get("enabled").is_none(), "no channel-level value unless configured");
}

async fn a_saved_setting_is_stored_as_rows_and_returned_merged(engine: Engine) {
    let app = spawn_with_defaults(engine, upstream_defaults()).await;
    receive_from_two_origins(&app).await;
    let alice = app.sign_in("user:default/alice").await;
    let body =
        json!({ "channels": [{ "id": "Web", "origins": [{ "id": "external:test-service", "enabled": false }] }] });
    let settings = app.post_json(&alice, SETTINGS, body).await;
    assert_eq!(app.rows("user_setting").await, 1);
    assert_eq!(
        web(&settings),
        expect(&[
            ("external:test-service", false, &[("test-topic", false)]),
            ("external:test-service2", false, &[("test-topic2", false)]),
            ("external:test-service3", true, &[("test-topic3", false)]),
        ])
    );
    // A topic switched off leaves its origin on.
    let body = json!({ "channels": [{ "id": "Web", "origins": [
        { "id": "external:test-service", "enabled": true, "topics": [{ "id": "test-topic", "enabled": false }] }
    ] }] });
    let settings = app.post_json(&alice, SETTINGS, body).await;
    assert_eq!(web(&settings)[0], expect(&[("external:test-service", true, &[("test-topic", false)])])[0]);
}

async fn an_unknown_channel_is_rejected_and_nothing_is_saved(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let alice = app.sign_in("user:default/alice").await;
    for channel in ["Invalid", "web", "WEB"] {
        let body = json!({ "channels": [{ "id": channel, "origins": [{ "id": "external:x", "enabled": false }] }] });
        let response = app.post_as(&alice, SETTINGS).json(&body).send().await.unwrap();
        expect_error(response, 400, "InputError").await;
    }
    for body in [
        json!({}),
        json!({ "channels": [{ "id": "Web" }] }),
        json!({ "channels": [{ "id": "Web", "origins": [{ "id": "x" }] }] }),
        json!({ "channels": [{ "id": "Web", "origins": [{ "id": "external:\u{0}", "enabled": false }] }] }),
    ] {
        let response = app.post_as(&alice, SETTINGS).json(&body).send().await.unwrap();
        expect_error(response, 400, "InputError").await;
    }
    assert_eq!(app.rows("user_setting").await, 0);
}

async fn posting_no_channels_clears_the_settings(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let alice = app.sign_in("user:default/alice").await;
    let body = json!({ "channels": [{ "id": "Web", "origins": [{ "id": "external:x", "enabled": false }] }] });
    app.post_json(&alice, SETTINGS, body).await;
    assert_eq!(app.rows("user_setting").await, 1);
    app.post_json(&alice, SETTINGS, json!({ "channels": [] })).await;
    assert_eq!(app.rows("user_setting").await, 0);
}

async fn a_disabled_config_channel_makes_everything_opt_in(engine: Engine) {
    let app = spawn_with_defaults(engine, json!({ "channels": [{ "id": "Web", "enabled": false }] })).await;
    let alice = app.sign_in("user:default/alice").await;
    let body = json!({ "channels": [{ "id": "Web", "origins": [
        { "id": "external:test-service", "enabled": true, "topics": [{ "id": "topic-build-failed", "enabled": true }] }
    ] }] });
    app.post_json(&alice, SETTINGS, body).await;
    // Now a send with that topic is delivered; give alice one with another topic via storage.
    app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" },
                     "payload": { "title": "t", "topic": "topic-build-failed" } }))
        .await;
    let state = &app.running.as_ref().unwrap().state;
    let mut row = herald::notifications::store::NewNotification {
        id: uuid::Uuid::now_v7(),
        user_ref: Some("user:default/alice".into()),
        origin: "external:test-service".into(),
        scope: None,
        title: "t".into(),
        description: None,
        link: None,
        severity: herald::notifications::model::Severity::Normal,
        topic: Some("topic-other".into()),
        icon: None,
        metadata: None,
        created: herald::timestamp::Timestamp::now(),
    };
    state.notifications.store().insert_personal(std::slice::from_ref(&row), |_| None).await.unwrap();
    row.id = uuid::Uuid::now_v7();
    row.origin = "external:elsewhere".into();
    state.notifications.store().insert_personal(&[row], |_| None).await.unwrap();

    let settings = app.get_json(&alice, SETTINGS).await;
    assert_eq!(settings["channels"][0]["enabled"], false);
    assert_eq!(
        web(&settings),
        expect(&[
            ("external:elsewhere", false, &[("topic-other", false)]),
            ("external:test-service", true, &[("topic-build-failed", true), ("topic-other", false)]),
        ])
    );
}

async fn settings_round_trip(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": { "title": "t", "topic": "a" } })).await;
    app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": { "title": "t", "topic": "b" } })).await;
    let alice = app.sign_in("user:default/alice").await;
    let mut settings = app.get_json(&alice, SETTINGS).await;
    settings["channels"][0]["origins"][0]["topics"][1]["enabled"] = json!(false);
    let saved = app.post_json(&alice, SETTINGS, settings.clone()).await;
    assert_eq!(saved, settings);
    assert_eq!(app.get_json(&alice, SETTINGS).await, settings);
}
