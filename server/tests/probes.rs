//! Liveness, readiness, the server-rendered shell and graceful shutdown.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{Engine, TestApp};

on_both_engines!(
    healthz_answers_while_the_process_runs,
    readyz_reports_the_database,
    the_home_page_redirects_anonymous_visitors_to_sign_in,
    the_sign_in_page_is_server_rendered_with_hydration_and_css,
    a_signed_in_visitor_gets_their_home_page,
    unknown_pages_are_404_html,
    stopping_lets_the_server_finish_and_release_the_port,
);

async fn healthz_answers_while_the_process_runs(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let response = app.get("/healthz").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

async fn readyz_reports_the_database(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let response = app.get("/readyz").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let expected = if engine == Engine::Sqlite { "sqlite" } else { "postgres" };
    assert_eq!(body["database"], expected);
}

async fn the_home_page_redirects_anonymous_visitors_to_sign_in(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = support::client().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/sign-in");
}

async fn the_sign_in_page_is_server_rendered_with_hydration_and_css(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let response = app.get("/sign-in").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(r#"href="/pkg/herald.css""#), "the stylesheet link");
    assert!(html.contains(r#"<script type="module""#) && html.contains("herald.js"), "the hydration script");
    assert!(html.contains("herald.wasm"), "the WASM preload");
    for name in ["Alice Adams", "Bob Brown", "Carol Chen", "Dave Diaz", "Erin Evans"] {
        assert!(html.contains(name), "{name} is offered for sign-in");
    }
}

async fn a_signed_in_visitor_gets_their_home_page(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.sign_in("user:default/alice").await;
    let response = app.get("/").header("cookie", format!("herald_session={token}")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Welcome, Alice"));
    assert!(html.contains("group:default/team-a"));
}

async fn unknown_pages_are_404_html(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let response = app.get("/no/such/page").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

async fn stopping_lets_the_server_finish_and_release_the_port(engine: Engine) {
    // An address of its own in 127/8 (one per engine): other tests, binding 127.0.0.1:0
    // meanwhile, may be handed the very port number this server gives back.
    let own_address = match engine {
        Engine::Sqlite => "127.0.0.47:0",
        Engine::Postgres => "127.0.0.48:0",
    };
    let own_address = own_address.parse().unwrap();
    let mut app = TestApp::spawn_with(engine, |config| config.server.listen = own_address).await;
    let addr = app.running.as_ref().unwrap().addr;
    app.stop().await;
    assert!(app.client.get(app.url("/healthz")).send().await.is_err(), "nothing listens after a stop");
    std::net::TcpListener::bind(addr).expect("the port is free again");
}
