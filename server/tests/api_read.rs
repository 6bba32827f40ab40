//! Reading and changing notifications as a user (contract §9.2, §9.5 and the fixes).

mod support;

use serde_json::{Value, json};
use support::{Engine, SERVICE_TOKEN, TestApp, expect_error};

const LIST: &str = "/api/notifications/notifications";
const UPDATE: &str = "/api/notifications/notifications/update";

/// The titles of a list response, in its order.
fn titles(list: &Value) -> Vec<String> {
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["payload"]["title"].as_str().unwrap().to_owned())
        .collect()
}

on_both_engines!(
    the_list_holds_own_notifications_and_broadcasts_newest_first_with_nulls,
    other_users_notifications_are_invisible_and_unknown_ids_are_404,
    read_filters_treat_unread_broadcasts_as_unread,
    broadcast_state_is_per_user,
    search_is_case_insensitive_literal_and_covers_broadcasts,
    search_follows_rewritten_and_swept_notifications,
    created_after_and_topic_filter,
    minimum_severity_includes_everything_more_severe,
    minimum_severity_pages_and_counts_follow_reads_saves_and_rewrites,
    offset_and_limit_page_through,
    pages_of_mixed_notifications_and_broadcasts_add_up_to_the_whole_list,
    sorting_by_created_topic_and_origin,
    status_counts_read_unread_and_saved_per_user,
    topics_are_distinct_and_follow_the_filters,
    updates_change_only_the_flags_sent,
    mark_all_read_works_on_the_server_with_filters,
    cursor_pages_are_stable_while_notifications_arrive,
    bad_query_parameters_are_bad_requests,
    the_openapi_document_needs_credentials,
    deprecated_aliases_behave_like_the_current_routes,
);

async fn the_list_holds_own_notifications_and_broadcasts_newest_first_with_nulls(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.broadcast(json!({ "title": "Broadcast", "severity": "high" })).await;
    app.send_to("user:default/alice", "Personal").await;
    let alice = app.sign_in("user:default/alice").await;
    let list = app.get_json(&alice, LIST).await;
    assert_eq!(list["totalCount"], 2);
    let [personal, broadcast] = list["notifications"].as_array().unwrap().as_slice() else { panic!("two") };
    assert_eq!(personal["payload"]["title"], "Personal");
    assert_eq!(personal["user"], "user:default/alice");
    for key in ["read", "saved", "updated"] {
        assert_eq!(personal[key], Value::Null, "{key}");
    }
    for key in ["description", "icon", "link", "scope", "topic"] {
        assert_eq!(personal["payload"][key], Value::Null, "{key}");
    }
    assert_eq!(broadcast["payload"]["title"], "Broadcast");
    assert_eq!(broadcast["payload"]["severity"], "high");
    assert_eq!(broadcast["user"], Value::Null);
    let created = personal["created"].as_str().unwrap();
    assert!(created.len() == 24 && created.ends_with('Z'), "ISO 8601 with milliseconds: {created}");
}

async fn other_users_notifications_are_invisible_and_unknown_ids_are_404(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let bobs = app.send_to("user:default/bob", "for Bob").await;
    let alice = app.sign_in("user:default/alice").await;
    assert_eq!(app.get_json(&alice, LIST).await["totalCount"], 0);
    for path in [
        format!("{LIST}/{bobs}"),
        format!("/api/notifications/{bobs}"),
        format!("{LIST}/{}", uuid::Uuid::now_v7()),
        format!("{LIST}/not-a-uuid"),
        "/api/notifications/update".into(),
        format!("{LIST}/update"),
    ] {
        expect_error(app.get_as(&alice, &path).send().await.unwrap(), 404, "NotFoundError").await;
    }
    for path in ["/api/notifications/update".to_owned(), format!("{LIST}/update"), format!("{LIST}/read-all")] {
        let response = app.client.put(app.url(&path)).bearer_auth(&alice).send().await.unwrap();
        assert_eq!(response.headers()["allow"], "POST", "{path} names only its one method");
        expect_error(response, 405, "Error").await;
    }
    // Updating someone else's notification changes nothing and reveals nothing.
    let updated = app.post_json(&alice, UPDATE, json!({ "ids": [bobs], "read": true })).await;
    assert_eq!(updated, json!([]));
    let bob = app.sign_in("user:default/bob").await;
    assert_eq!(app.get_json(&bob, &format!("{LIST}/{bobs}")).await["read"], Value::Null);
}

async fn read_filters_treat_unread_broadcasts_as_unread(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let read_one = app.send_to("user:default/alice", "read").await;
    app.send_to("user:default/alice", "unread").await;
    app.broadcast(json!({ "title": "unread broadcast" })).await;
    let alice = app.sign_in("user:default/alice").await;
    app.post_json(&alice, UPDATE, json!({ "ids": [read_one], "read": true })).await;

    let unread = app.get_json(&alice, &format!("{LIST}?read=false")).await;
    assert_eq!(titles(&unread), ["unread broadcast", "unread"]);
    assert_eq!(unread["totalCount"], 2);
    let read = app.get_json(&alice, &format!("{LIST}?read=true")).await;
    assert_eq!(titles(&read), ["read"]);
    assert_eq!(read["totalCount"], 1);
    assert_eq!(app.get_json(&alice, LIST).await["totalCount"], 3);
}

async fn broadcast_state_is_per_user(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let id = app.broadcast(json!({ "title": "Everyone" })).await;
    let alice = app.sign_in("user:default/alice").await;
    let bob = app.sign_in("user:default/bob").await;
    app.post_json(&alice, UPDATE, json!({ "ids": [id], "read": true, "saved": true })).await;

    let for_bob = app.get_json(&bob, &format!("{LIST}?read=false")).await;
    assert_eq!(for_bob["totalCount"], 1, "Alice's read does not hide it from Bob");
    assert_eq!(for_bob["notifications"][0]["read"], Value::Null);
    assert_eq!(for_bob["notifications"][0]["saved"], Value::Null);
    let for_alice = app.get_json(&alice, &format!("{LIST}/{id}")).await;
    assert!(for_alice["read"].is_string() && for_alice["saved"].is_string());

    app.post_json(&bob, UPDATE, json!({ "ids": [id], "read": true })).await;
    assert_eq!(app.get_json(&bob, &format!("{LIST}?read=true")).await["totalCount"], 1);
    assert_eq!(app.get_json(&alice, &format!("{LIST}?read=true")).await["totalCount"], 1);
}

async fn search_is_case_insensitive_literal_and_covers_broadcasts(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.send_to("user:default/alice", "Please FIND ME now").await;
    app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" },
                     "payload": { "title": "other", "description": "you can find me here" } }))
        .await;
    app.send_to("user:default/alice", "50% off_sale").await;
    app.send_to("user:default/alice", "500 offXsale").await;
    app.send_to("user:default/bob", "find me, Bob").await;
    app.send_to("user:default/alice", "Ärger im Büro (Köln)").await;
    app.send_to("user:default/alice", "Cooled to 4\u{212A} in Oslo").await;
    app.broadcast(json!({ "title": "Broadcast: Find Me too" })).await;
    let alice = app.sign_in("user:default/alice").await;

    let count = |search: &str| {
        let path =
            format!("{LIST}?search={}", url::form_urlencoded::byte_serialize(search.as_bytes()).collect::<String>());
        let app = &app;
        let alice = alice.clone();
        async move { app.get_json(&alice, &path).await["totalCount"].as_i64().unwrap() }
    };
    assert_eq!(count("find me").await, 3, "title, description and broadcast; not Bob's");
    assert_eq!(count("FIND").await, 3);
    assert_eq!(count("50%").await, 1, "% is a literal");
    assert_eq!(count("f_s").await, 1, "_ is a literal");
    assert_eq!(count("%").await, 1);
    assert_eq!(count("me").await, 3, "short terms work too");
    assert_eq!(count("nothing like this").await, 0);
    assert_eq!(count("ärger im BÜRO").await, 1, "case folds beyond ASCII");
    assert_eq!(count("ö").await, 1, "short terms fold too");
    assert_eq!(count("4k in oslo").await, 1, "k is the KELVIN SIGN folded");
    assert_eq!(count("4k").await, 1, "in short terms too");
    assert_eq!(count("(köln)").await, 1, "brackets are literal");
    assert_eq!(count(".*").await, 0, "so are regular-expression characters");

    let page = app.get_json(&alice, &format!("{LIST}?search=find%20me&limit=1")).await;
    assert_eq!(page["totalCount"], 3, "a page of a search still counts every match");
    assert_eq!(page["notifications"][0]["payload"]["title"], "Broadcast: Find Me too", "newest first");
    let past_the_end = app.get_json(&alice, &format!("{LIST}?search=find%20me&limit=2&offset=5")).await;
    assert_eq!(past_the_end["totalCount"], 3, "and so does a page past the end");
    assert_eq!(past_the_end["notifications"].as_array().unwrap().len(), 0);
    let too_long = app.get_as(&alice, &format!("{LIST}?search={}", "x".repeat(1001))).send().await.unwrap();
    expect_error(too_long, 400, "InputError").await;
}

/// The search index changes with the rows and broadcasts: a scoped re-send replaces the old
/// text, a retention sweep removes rows, and a row stored after a sweep (which may reuse a swept
/// row's number) is found.
async fn search_follows_rewritten_and_swept_notifications(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let scoped = |title: &str| {
        json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" },
                "payload": { "title": title, "scope": "build-42" } })
    };
    app.send(scoped("alpha build broke")).await;
    app.send_to("user:default/bob", "alpha for bob").await;
    let alice = app.sign_in("user:default/alice").await;
    let count = |search: &'static str| {
        let (app, alice) = (&app, alice.clone());
        async move { app.get_json(&alice, &format!("{LIST}?search={search}")).await["totalCount"].as_i64().unwrap() }
    };
    assert_eq!(count("alpha").await, 1, "alice's own, not bob's");

    app.send(scoped("beta build fixed")).await;
    assert_eq!(count("alpha").await, 0, "the old text is gone from the index");
    assert_eq!(count("beta").await, 1);
    app.broadcast(json!({ "title": "delta outage", "scope": "outage-7" })).await;
    assert_eq!(count("delta").await, 1);
    app.broadcast(json!({ "title": "epsilon restored", "scope": "outage-7" })).await;
    assert_eq!(count("delta").await, 0, "a broadcast's old text is gone too");
    assert_eq!(count("epsilon").await, 1);

    let store = app.running.as_ref().unwrap().state.notifications.store();
    store.delete_older_than(herald::timestamp::Timestamp::now().plus(std::time::Duration::from_secs(1))).await.unwrap();
    assert_eq!(count("beta").await, 0, "swept rows are not found");
    assert_eq!(count("epsilon").await, 0, "swept broadcasts neither");
    let status = app.get_json(&alice, "/api/notifications/status").await;
    assert_eq!(status, json!({ "unread": 0, "read": 0, "saved": 0 }), "nor counted");
    if engine == Engine::Sqlite {
        assert_eq!(app.rows("notification_search").await, 0, "nor kept in the index");
    }
    app.send_to("user:default/alice", "gamma after the sweep").await;
    app.send_to("user:default/bob", "gamma for bob").await;
    assert_eq!(count("gamma").await, 1);
    assert_eq!(count("ga").await, 1, "short terms too");
}

async fn created_after_and_topic_filter(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": { "title": "a", "topic": "builds" } })).await;
    app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": { "title": "b", "topic": "builds-old" } })).await;
    let alice = app.sign_in("user:default/alice").await;
    let list = app.get_json(&alice, &format!("{LIST}?topic=builds")).await;
    assert_eq!(list["totalCount"], 1, "topic is an exact match");
    assert_eq!(list["notifications"][0]["payload"]["title"], "a");

    let created = list["notifications"][0]["created"].as_str().unwrap().to_owned();
    let since = app.get_json(&alice, &format!("{LIST}?createdAfter={created}")).await;
    assert!(since["totalCount"].as_i64().unwrap() >= 1, "createdAfter is inclusive");
    let future = "2999-01-01T00:00:00.000Z";
    assert_eq!(app.get_json(&alice, &format!("{LIST}?createdAfter={future}")).await["totalCount"], 0);
    assert_eq!(app.get_json(&alice, &format!("{LIST}?createdAfter=2000-01-01")).await["totalCount"], 2);
}

async fn minimum_severity_includes_everything_more_severe(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for severity in [Some("normal"), None, Some("critical"), Some("high"), Some("low")] {
        let mut payload = json!({ "title": format!("{severity:?}") });
        if let Some(severity) = severity {
            payload["severity"] = json!(severity);
        }
        app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": payload }))
            .await;
    }
    let alice = app.sign_in("user:default/alice").await;
    for (minimum, expected) in [("normal", 4), ("critical", 1), ("high", 2), ("low", 5)] {
        let list = app.get_json(&alice, &format!("{LIST}?minimumSeverity={minimum}")).await;
        assert_eq!(list["totalCount"], expected, "{minimum}");
        assert_eq!(list["notifications"].as_array().unwrap().len(), expected, "{minimum}");
    }
}

const SEVERITIES: [&str; 4] = ["critical", "high", "normal", "low"];

fn rank(severity: &Value) -> usize {
    SEVERITIES.iter().position(|s| severity == s).unwrap()
}

/// Every page of `query` at three a page, by offset and by cursor, must be the part of the
/// unfiltered list `keep` selects, in its order; and `totalCount` its length.
async fn pages_match(app: &TestApp, user: &str, query: &str, keep: impl Fn(&Value) -> bool) {
    let everything = app.get_json(user, LIST).await;
    let mut expected: Vec<String> = everything["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| keep(n))
        .map(|n| titles(&json!({ "notifications": [n] }))[0].clone())
        .collect();
    let oldest_first = query.contains("created,asc");
    if oldest_first {
        expected.reverse();
    }
    let mut by_offset = Vec::new();
    for offset in (0..expected.len() + 3).step_by(3) {
        let page = app.get_json(user, &format!("{LIST}?{query}&limit=3&offset={offset}")).await;
        assert_eq!(page["totalCount"], expected.len(), "{query}");
        by_offset.extend(titles(&page));
    }
    let (mut by_cursor, mut after) = (Vec::new(), String::new());
    loop {
        let page = app.get_json(user, &format!("{LIST}?{query}&limit=3{after}")).await;
        by_cursor.extend(titles(&page));
        match page["nextCursor"].as_str() {
            Some(cursor) if by_cursor.len() <= expected.len() => after = format!("&cursor={cursor}"),
            _ => break,
        }
    }
    assert_eq!(by_offset, expected, "{query} by offset");
    assert_eq!(by_cursor, expected, "{query} by cursor");
    let counted = app.get_json(user, &format!("{LIST}?{query}&limit=0")).await;
    assert_eq!(counted["totalCount"], expected.len(), "{query} counted alone");
}

async fn minimum_severity_pages_and_counts_follow_reads_saves_and_rewrites(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut ids = Vec::new();
    for i in 0..14 {
        let severity = SEVERITIES[i * 3 % 4];
        let sent = app
            .send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" },
                          "payload": { "title": format!("n{i} {severity}"), "severity": severity } }))
            .await;
        ids.push(sent[0]["id"].as_str().unwrap().to_owned());
        if i % 5 == 2 {
            app.broadcast(json!({ "title": format!("b{i} {severity}"), "severity": severity })).await;
        }
    }
    let alice = app.sign_in("user:default/alice").await;
    let everything = app.get_json(&alice, LIST).await;
    let broadcast_ids: Vec<Value> = everything["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["user"].is_null())
        .map(|n| n["id"].clone())
        .collect();
    app.post_json(
        &alice,
        UPDATE,
        json!({ "ids": [&ids[0], &ids[1], &ids[4], &ids[9], &ids[13], &broadcast_ids[0]], "read": true }),
    )
    .await;
    app.post_json(&alice, UPDATE, json!({ "ids": [&ids[2], &ids[9], &broadcast_ids[1]], "saved": true })).await;
    // A rewrite by scope moves a broadcast from low to critical, for everybody.
    let outage = |severity: &str| json!({ "title": "outage", "severity": severity, "scope": "outage" });
    let broadcast = app.broadcast(outage("low")).await;
    assert_eq!(app.broadcast(outage("critical")).await, broadcast);
    // And a notification, unread again.
    let scoped = |severity: &str| {
        json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" },
                "payload": { "title": "scoped", "severity": severity, "scope": "disk" } })
    };
    let first = app.send(scoped("low")).await[0]["id"].clone();
    app.post_json(&alice, UPDATE, json!({ "ids": [&first], "read": true })).await;
    assert_eq!(app.send(scoped("critical")).await[0]["id"], first);

    for minimum in ["critical", "high", "normal"] {
        let at_least = move |n: &Value| rank(&n["payload"]["severity"]) <= rank(&json!(minimum));
        let severity = format!("minimumSeverity={minimum}");
        pages_match(&app, &alice, &severity, at_least).await;
        pages_match(&app, &alice, &format!("{severity}&orderField=created,asc"), at_least).await;
        pages_match(&app, &alice, &format!("{severity}&read=false"), move |n| at_least(n) && n["read"].is_null()).await;
        pages_match(&app, &alice, &format!("{severity}&read=true"), move |n| at_least(n) && !n["read"].is_null()).await;
        pages_match(&app, &alice, &format!("{severity}&saved=true"), move |n| at_least(n) && !n["saved"].is_null())
            .await;
        pages_match(&app, &alice, &format!("{severity}&saved=false"), move |n| at_least(n) && n["saved"].is_null())
            .await;
    }
    let criticals = app.get_json(&alice, &format!("{LIST}?minimumSeverity=critical&read=false&limit=1")).await;
    assert_eq!(
        criticals["notifications"][0]["payload"]["title"], "scoped",
        "the rewrite is the newest unread critical"
    );
}

async fn offset_and_limit_page_through(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for i in 0..7 {
        app.send_to("user:default/alice", &format!("n{i}")).await;
    }
    let alice = app.sign_in("user:default/alice").await;
    assert_eq!(titles(&app.get_json(&alice, LIST).await).len(), 7, "no limit: everything");
    assert_eq!(titles(&app.get_json(&alice, &format!("{LIST}?limit=3&offset=0")).await), ["n6", "n5", "n4"]);
    assert_eq!(titles(&app.get_json(&alice, &format!("{LIST}?limit=3&offset=3")).await), ["n3", "n2", "n1"]);
    assert_eq!(titles(&app.get_json(&alice, &format!("{LIST}?offset=6")).await), ["n0"]);
    let empty = app.get_json(&alice, &format!("{LIST}?limit=0")).await;
    assert_eq!(empty["notifications"], json!([]));
    assert_eq!(empty["totalCount"], 7);
}

async fn pages_of_mixed_notifications_and_broadcasts_add_up_to_the_whole_list(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for (i, topic) in ["c", "a", "d", "b", "a", "c", "e"].iter().enumerate() {
        let severity = if i % 2 == 0 { "low" } else { "high" };
        let payload = json!({ "title": format!("n{i}"), "topic": topic, "severity": severity });
        if i % 3 == 0 {
            app.broadcast(payload).await;
        } else {
            app.send(
                json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": payload }),
            )
            .await;
        }
    }
    let alice = app.sign_in("user:default/alice").await;
    for order in ["created,desc", "created,asc", "topic,asc", "topic,desc", "severity,desc", "title,asc"] {
        let whole = titles(&app.get_json(&alice, &format!("{LIST}?orderField={order}")).await);
        assert_eq!(whole.len(), 7);
        let mut paged = Vec::new();
        for offset in (0..7).step_by(2) {
            let page = app.get_json(&alice, &format!("{LIST}?orderField={order}&limit=2&offset={offset}")).await;
            assert_eq!(page["totalCount"], 7);
            paged.extend(titles(&page));
        }
        assert_eq!(paged, whole, "pages in {order} order are slices of the whole list");
    }
}

async fn sorting_by_created_topic_and_origin(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for (title, topic) in [("first", Some("b")), ("second", None), ("third", Some("a"))] {
        let mut payload = json!({ "title": title });
        if let Some(topic) = topic {
            payload["topic"] = json!(topic);
        }
        app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": payload }))
            .await;
    }
    let alice = app.sign_in("user:default/alice").await;
    assert_eq!(
        titles(&app.get_json(&alice, &format!("{LIST}?orderField=created,asc")).await),
        ["first", "second", "third"]
    );
    assert_eq!(
        titles(&app.get_json(&alice, &format!("{LIST}?orderField=created,desc")).await),
        ["third", "second", "first"]
    );
    assert_eq!(
        titles(&app.get_json(&alice, &format!("{LIST}?orderField=topic,asc")).await),
        ["third", "first", "second"]
    );
    assert_eq!(
        titles(&app.get_json(&alice, &format!("{LIST}?orderField=topic,desc")).await),
        ["first", "third", "second"]
    );
    assert_eq!(titles(&app.get_json(&alice, &format!("{LIST}?orderField=origin,asc&limit=2&offset=0")).await).len(), 2);
    assert_eq!(
        titles(&app.get_json(&alice, &format!("{LIST}?orderField=origin,desc&limit=2&offset=2")).await).len(),
        1
    );
}

async fn status_counts_read_unread_and_saved_per_user(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let personal_read = app.send_to("user:default/alice", "a").await;
    app.send_to("user:default/alice", "b").await;
    let broadcast_read = app.broadcast(json!({ "title": "c" })).await;
    app.broadcast(json!({ "title": "d" })).await;
    app.send_to("user:default/bob", "for bob").await;
    let alice = app.sign_in("user:default/alice").await;
    app.post_json(&alice, UPDATE, json!({ "ids": [personal_read, broadcast_read], "read": true })).await;
    app.post_json(&alice, UPDATE, json!({ "ids": [broadcast_read], "saved": true })).await;
    let status = app.get_json(&alice, "/api/notifications/status").await;
    assert_eq!(status, json!({ "unread": 2, "read": 2, "saved": 1 }));
    let bob = app.sign_in("user:default/bob").await;
    assert_eq!(app.get_json(&bob, "/api/notifications/status").await, json!({ "unread": 3, "read": 0, "saved": 0 }));
}

async fn topics_are_distinct_and_follow_the_filters(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let send = |title: &str, topic: Option<&str>, severity: &str| {
        let mut payload = json!({ "title": title, "severity": severity });
        if let Some(topic) = topic {
            payload["topic"] = json!(topic);
        }
        json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": payload })
    };
    let read_id = app.send(send("deploy done", Some("deploys"), "low")).await[0]["id"].as_str().unwrap().to_owned();
    app.send(send("build broke", Some("builds"), "critical")).await;
    app.send(send("build broke again", Some("builds"), "high")).await;
    app.send(send("no topic", None, "normal")).await;
    app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/bob" }, "payload": { "title": "x", "topic": "bobs" } })).await;
    // Read broadcasts: one is its topic's only one, the other comes before an unread one.
    let news = app.broadcast(json!({ "title": "newsletter", "topic": "news" })).await;
    let ops_read = app.broadcast(json!({ "title": "maintenance planned", "topic": "ops" })).await;
    app.broadcast(json!({ "title": "maintenance", "topic": "ops" })).await;
    let alice = app.sign_in("user:default/alice").await;
    app.post_json(&alice, UPDATE, json!({ "ids": [read_id, news, ops_read], "read": true })).await;

    let topics = |query: &str| {
        let path = format!("/api/notifications/topics{query}");
        let app = &app;
        let alice = alice.clone();
        async move { app.get_json(&alice, &path).await["topics"].clone() }
    };
    assert_eq!(topics("").await, json!(["builds", "deploys", "news", "ops"]));
    assert_eq!(topics("?read=false").await, json!(["builds", "ops"]));
    assert_eq!(topics("?read=true").await, json!(["deploys", "news", "ops"]));
    assert_eq!(topics("?search=broke").await, json!(["builds"]));
    assert_eq!(topics("?minimumSeverity=critical").await, json!(["builds"]));
    assert_eq!(topics("?minimumSeverity=normal").await, json!(["builds", "news", "ops"]));
    assert_eq!(topics("?minimumSeverity=high&read=false").await, json!(["builds"]));
    assert_eq!(topics("?minimumSeverity=normal&read=false").await, json!(["builds", "ops"]));
    // Bob has read nothing, and sees every broadcast topic as unread.
    let bob = app.sign_in("user:default/bob").await;
    let bobs = app.get_json(&bob, "/api/notifications/topics?read=false").await["topics"].clone();
    assert_eq!(bobs, json!(["bobs", "news", "ops"]));
}

async fn updates_change_only_the_flags_sent(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let personal = app.send_to("user:default/alice", "p").await;
    let broadcast = app.broadcast(json!({ "title": "b" })).await;
    let alice = app.sign_in("user:default/alice").await;
    let ids = json!([personal, broadcast, "not-a-uuid", uuid::Uuid::now_v7().to_string()]);

    let saved = app.post_json(&alice, UPDATE, json!({ "ids": ids, "saved": true })).await;
    assert_eq!(saved.as_array().unwrap().len(), 2, "only visible ones come back");
    assert!(saved.as_array().unwrap().iter().all(|n| n["saved"].is_string() && n["read"].is_null()));

    let read = app.post_json(&alice, UPDATE, json!({ "ids": ids, "read": true })).await;
    assert!(
        read.as_array().unwrap().iter().all(|n| n["saved"].is_string() && n["read"].is_string()),
        "saved stays: {read}"
    );

    let unsaved = app.post_json(&alice, UPDATE, json!({ "ids": ids, "saved": false })).await;
    assert!(
        unsaved.as_array().unwrap().iter().all(|n| n["saved"].is_null() && n["read"].is_string()),
        "read stays: {unsaved}"
    );

    let unread = app.post_json(&alice, "/api/notifications/update", json!({ "ids": ids, "read": false })).await;
    assert!(unread.as_array().unwrap().iter().all(|n| n["saved"].is_null() && n["read"].is_null()));

    let both = app.post_json(&alice, UPDATE, json!({ "ids": [broadcast], "read": true, "saved": true })).await;
    assert!(both[0]["read"].is_string() && both[0]["saved"].is_string(), "both flags at once: {both}");
    // Newest first.
    let order = app.post_json(&alice, UPDATE, json!({ "ids": [personal, broadcast] })).await;
    assert_eq!(order[0]["id"], broadcast.as_str());
}

async fn mark_all_read_works_on_the_server_with_filters(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for topic in ["a", "a", "b"] {
        app.send(json!({ "recipients": { "type": "entity", "entityRef": "user:default/alice" }, "payload": { "title": "t", "topic": topic } })).await;
    }
    app.broadcast(json!({ "title": "b", "topic": "a" })).await;
    app.send_to("user:default/bob", "bob's").await;
    let alice = app.sign_in("user:default/alice").await;
    let result = app.post_json(&alice, "/api/notifications/notifications/read-all?topic=a", json!({})).await;
    assert_eq!(result["count"], 3, "two personal and one broadcast");
    assert_eq!(app.get_json(&alice, "/api/notifications/status").await, json!({ "unread": 1, "read": 3, "saved": 0 }));
    let result = app.post_json(&alice, "/api/notifications/notifications/read-all", json!({})).await;
    assert_eq!(result["count"], 1);
    assert_eq!(app.get_json(&alice, "/api/notifications/status").await["unread"], 0);
    let bob = app.sign_in("user:default/bob").await;
    assert_eq!(app.get_json(&bob, "/api/notifications/status").await["unread"], 2, "Bob's are untouched");
    let response = app.post_as(&alice, "/api/notifications/notifications/read-all?read=true").send().await.unwrap();
    expect_error(response, 400, "InputError").await;
}

async fn cursor_pages_are_stable_while_notifications_arrive(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for i in 0..10 {
        app.send_to("user:default/alice", &format!("old {i}")).await;
    }
    let alice = app.sign_in("user:default/alice").await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("{LIST}?limit=3&cursor={cursor}"),
            None => format!("{LIST}?limit=3"),
        };
        let page = app.get_json(&alice, &path).await;
        for n in page["notifications"].as_array().unwrap() {
            seen.push(n["payload"]["title"].as_str().unwrap().to_owned());
        }
        // New notifications arrive between pages; they must not shift what comes next.
        app.send_to("user:default/alice", "new").await;
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..10).rev().map(|i| format!("old {i}")).collect();
    assert_eq!(seen, expected);
}

async fn bad_query_parameters_are_bad_requests(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let alice = app.sign_in("user:default/alice").await;
    for query in [
        "created_after=2026-01-01",
        "bogus=1",
        "search=",
        "limit=-1",
        "limit=abc",
        "offset=1.5",
        "offset=99999999999999999999",
        "orderField=created,DESC",
        "orderField=nonexistent,asc",
        "minimumSeverity=HIGH",
        "read=yes",
        "createdAfter=not-a-date",
    ] {
        let response = app.get_as(&alice, &format!("{LIST}?{query}")).send().await.unwrap();
        expect_error(response, 400, "InputError").await;
    }
    for query in ["topic=x", "limit=5", "orderField=created"] {
        let response = app.get_as(&alice, &format!("/api/notifications/topics?{query}")).send().await.unwrap();
        expect_error(response, 400, "InputError").await;
    }
    let response = app.get_as(&alice, "/api/notifications/status?x=1").send().await.unwrap();
    expect_error(response, 400, "InputError").await;
}

async fn the_openapi_document_needs_credentials(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    expect_error(app.get("/api/notifications/openapi.json").send().await.unwrap(), 401, "AuthenticationError").await;
    let document = app.get_json(SERVICE_TOKEN, "/api/notifications/openapi.json").await;
    assert_eq!(document["openapi"], "3.0.3");
    assert!(document["paths"]["/api/notifications/notifications"].is_object());
    let alice = app.sign_in("user:default/alice").await;
    app.get_json(&alice, "/api/notifications/openapi.json").await;
}

async fn deprecated_aliases_behave_like_the_current_routes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let id = app.send_to("user:default/alice", "t").await;
    let alice = app.sign_in("user:default/alice").await;
    assert_eq!(app.get_json(&alice, "/api/notifications/?limit=1").await["totalCount"], 1);
    assert_eq!(app.get_json(&alice, &format!("/api/notifications/{id}")).await["id"], id.as_str());
    let updated = app.post_json(&alice, "/api/notifications/update", json!({ "ids": [id], "read": true })).await;
    assert!(updated[0]["read"].is_string());
}

/// The migrations older than `version`: a database as an earlier Herald left it.
fn before(mut migrator: sqlx::migrate::Migrator, version: i64) -> sqlx::migrate::Migrator {
    migrator.migrations =
        migrator.migrations.iter().filter(|m| m.version < version).cloned().collect::<Vec<_>>().into();
    migrator
}

/// A database from before the search index was split by user is upgraded in place: what was
/// stored before is found by its own user only, beside what is stored after.
#[tokio::test]
async fn notifications_stored_before_the_search_upgrade_are_found() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let pool =
        SqlitePool::connect_with(url.parse::<SqliteConnectOptions>().unwrap().create_if_missing(true)).await.unwrap();
    before(sqlx::migrate!("../migrations/sqlite"), 20261122000003).run(&pool).await.unwrap();
    for (user, title) in [
        ("user:default/alice", "old checkout-indexer failure"),
        ("user:default/bob", "old checkout-indexer failure"),
        ("user:default/alice", "something else"),
    ] {
        sqlx::query(
            "INSERT INTO notification (id, user_ref, origin, title, severity, created) VALUES ($1, $2, 'external:ci', $3, 3, 1)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(user)
        .bind(title)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO broadcast (id, origin, title, severity, created) VALUES ($1, 'external:ci', 'old checkout-indexer outage', 3, 2)",
    )
    .bind(uuid::Uuid::now_v7())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let app = TestApp::spawn_with(Engine::Sqlite, |config| config.database.url = url).await;
    app.send_to("user:default/alice", "new checkout-indexer failure").await;
    let alice = app.sign_in("user:default/alice").await;
    let found = app.get_json(&alice, &format!("{LIST}?search=checkout-indexer")).await;
    assert_eq!(
        titles(&found),
        ["new checkout-indexer failure", "old checkout-indexer outage", "old checkout-indexer failure"]
    );
    let bob = app.sign_in("user:default/bob").await;
    assert_eq!(app.get_json(&bob, &format!("{LIST}?search=checkout")).await["totalCount"], 2);
}

/// A PostgreSQL database from before notifications were partitioned by user is upgraded in
/// place: its rows, their read state and the counts kept for `/status` carry over, and new
/// rows are numbered after the old ones.
#[tokio::test]
async fn notifications_stored_before_partitioning_by_user_carry_over() {
    if !support::postgres_available() {
        return;
    }
    let url = support::fresh_postgres_database().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    before(sqlx::migrate!("../migrations/postgres"), 20261122000003).run(&pool).await.unwrap();
    for (user, title, read) in [
        ("user:default/alice", "old checkout-indexer failure", None),
        ("user:default/bob", "old checkout-indexer failure", None),
        ("user:default/alice", "something else", Some(1_i64)),
    ] {
        sqlx::query(
            "INSERT INTO notification (id, user_ref, origin, title, severity, created, read) \
             VALUES ($1, $2, 'external:ci', $3, 3, 1, $4)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(user)
        .bind(title)
        .bind(read)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let app = TestApp::spawn_with(Engine::Postgres, |config| config.database.url = url).await;
    app.send_to("user:default/alice", "new checkout-indexer failure").await;
    let alice = app.sign_in("user:default/alice").await;
    let found = app.get_json(&alice, &format!("{LIST}?search=checkout-indexer")).await;
    assert_eq!(titles(&found), ["new checkout-indexer failure", "old checkout-indexer failure"]);
    let status = app.get_json(&alice, "/api/notifications/status").await;
    assert_eq!((status["unread"].as_i64(), status["read"].as_i64()), (Some(2), Some(1)));
    let bob = app.sign_in("user:default/bob").await;
    assert_eq!(app.get_json(&bob, &format!("{LIST}?search=checkout")).await["totalCount"], 1);
}
