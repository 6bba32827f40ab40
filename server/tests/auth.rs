//! Sign-in, sessions and credentials, against SQLite and PostgreSQL.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Engine, SERVICE_TOKEN, TestApp, expect_error};

on_both_engines!(
    guest_sign_in_returns_a_token_and_sets_a_session_cookie,
    a_bearer_token_identifies_the_user,
    the_session_cookie_identifies_the_user,
    refs_are_normalised_at_sign_in,
    a_user_not_in_the_catalog_cannot_sign_in,
    a_malformed_sign_in_is_a_bad_request,
    guest_sign_in_is_forbidden_when_turned_off,
    no_credentials_or_a_wrong_token_is_unauthorized,
    a_service_token_is_not_a_user_session,
    signing_out_ends_the_session,
    an_expired_session_is_rejected,
    unknown_api_paths_are_enveloped_404s,
    the_pages_server_functions_answer_with_the_status_of_their_error,
);

async fn guest_sign_in_returns_a_token_and_sets_a_session_cookie(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let response =
        app.post("/api/auth/guest/sign-in").json(&json!({ "user": "user:default/alice" })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_owned();
    assert!(cookie.starts_with("herald_session=hrs_"), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "cookie lacks {attribute}: {cookie}");
    }
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"], "user:default/alice");
    let token = body["token"].as_str().unwrap();
    assert!(token.len() > 40, "tokens carry 256 random bits");
    assert!(cookie.contains(token));
}

async fn a_bearer_token_identifies_the_user(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/carol").await;
    let response = app.get("/api/auth/session").bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"], "user:default/carol");
    assert_eq!(body["displayName"], "Carol Chen");
    assert_eq!(body["email"], "carol@example.com");
    assert_eq!(
        body["ownershipEntityRefs"],
        json!(["user:default/carol", "group:default/team-a-infra", "group:default/team-a"])
    );
}

async fn the_session_cookie_identifies_the_user(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/bob").await;
    let response = app
        .get("/api/auth/session")
        .header("cookie", format!("theme=dark; herald_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"], "user:default/bob");
}

async fn refs_are_normalised_at_sign_in(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for spelling in ["user:alice", "User:Default/Alice", "alice"] {
        let response = app.post("/api/auth/guest/sign-in").json(&json!({ "user": spelling })).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{spelling}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["user"], "user:default/alice", "{spelling}");
    }
}

async fn a_user_not_in_the_catalog_cannot_sign_in(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let response =
        app.post("/api/auth/guest/sign-in").json(&json!({ "user": "user:default/mallory" })).send().await.unwrap();
    expect_error(response, 404, "NotFoundError").await;
}

async fn a_malformed_sign_in_is_a_bad_request(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let cases = [
        app.post("/api/auth/guest/sign-in").json(&json!({ "name": "alice" })),
        app.post("/api/auth/guest/sign-in").json(&json!({ "user": 42 })),
        app.post("/api/auth/guest/sign-in").json(&json!({ "user": "group:default/team-a" })),
        app.post("/api/auth/guest/sign-in").json(&json!({ "user": "user:" })),
        app.post("/api/auth/guest/sign-in").header("content-type", "application/json").body("{not json"),
        app.post("/api/auth/guest/sign-in").body("user=alice"),
    ];
    for request in cases {
        expect_error(request.send().await.unwrap(), 400, "InputError").await;
    }
}

async fn guest_sign_in_is_forbidden_when_turned_off(engine: Engine) {
    let app = TestApp::spawn_with(engine, |config| config.auth.guest = false).await;
    let response =
        app.post("/api/auth/guest/sign-in").json(&json!({ "user": "user:default/alice" })).send().await.unwrap();
    let body = expect_error(response, 403, "NotAllowedError").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("disabled"));
    // Even a user who does not exist: the feature is off, there is nothing to look up.
    let response =
        app.post("/api/auth/guest/sign-in").json(&json!({ "user": "user:default/nobody" })).send().await.unwrap();
    expect_error(response, 403, "NotAllowedError").await;
}

async fn no_credentials_or_a_wrong_token_is_unauthorized(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = expect_error(app.get("/api/auth/session").send().await.unwrap(), 401, "AuthenticationError").await;
    assert_eq!(body["request"], json!({ "method": "GET", "url": "/api/auth/session" }));
    for header in ["Bearer hrs_not-a-real-token", "Bearer nonsense", "Basic YWxpY2U6c2VjcmV0"] {
        let response = app.get("/api/auth/session").header("authorization", header).send().await.unwrap();
        expect_error(response, 401, "AuthenticationError").await;
    }
    let response = app.get("/api/auth/session").header("cookie", "herald_session=hrs_forged").send().await.unwrap();
    expect_error(response, 401, "AuthenticationError").await;
}

async fn a_service_token_is_not_a_user_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let response = app.get("/api/auth/session").bearer_auth(SERVICE_TOKEN).send().await.unwrap();
    expect_error(response, 403, "NotAllowedError").await;
}

async fn signing_out_ends_the_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/dave").await;
    let response = app.post("/api/auth/sign-out").bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("herald_session=;") && cookie.contains("Max-Age=0"), "{cookie}");
    let response = app.get("/api/auth/session").bearer_auth(&token).send().await.unwrap();
    expect_error(response, 401, "AuthenticationError").await;
    // Signing out twice, or without a session, is harmless.
    let response = app.post("/api/auth/sign-out").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

async fn an_expired_session_is_rejected(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/erin").await;
    // Age the session past its lifetime, as time would.
    let state = &app.running.as_ref().unwrap().state;
    herald::with_pool!(&state.db, write, |pool| {
        sqlx::query("UPDATE session SET expires = 0").execute(pool).await.unwrap();
    });
    let response = app.get("/api/auth/session").bearer_auth(&token).send().await.unwrap();
    expect_error(response, 401, "AuthenticationError").await;
    assert_eq!(state.auth.sessions.purge_expired().await.unwrap(), 1);
}

async fn unknown_api_paths_are_enveloped_404s(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = expect_error(app.get("/api/nothing/here?x=1").send().await.unwrap(), 404, "NotFoundError").await;
    assert_eq!(body["request"]["url"], "/api/nothing/here?x=1");
    let response = app.client.delete(app.url("/api/auth/session")).send().await.unwrap();
    expect_error(response, 405, "Error").await;
}

async fn the_pages_server_functions_answer_with_the_status_of_their_error(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let status = |response: reqwest::Response| response.status();
    // Without a session: 401, not a 500.
    let response = app.post("/_srv/notifications/status").json(&json!({})).send().await.unwrap();
    assert_eq!(status(response), StatusCode::UNAUTHORIZED);
    // Someone else's notification is not found; one's own is.
    let id = app.send_to("user:default/alice", "Hers").await;
    let bob = app.sign_in("user:default/bob").await;
    let response = app.post_as(&bob, "/_srv/notifications/get").json(&json!({ "id": id })).send().await.unwrap();
    assert_eq!(status(response), StatusCode::NOT_FOUND);
    let alice = app.sign_in("user:default/alice").await;
    let response = app.post_as(&alice, "/_srv/notifications/get").json(&json!({ "id": id })).send().await.unwrap();
    assert_eq!(status(response), StatusCode::OK);
}
