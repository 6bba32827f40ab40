//! The `herald` binary: its commands, configuration from file and environment, logs, and a
//! graceful stop on SIGTERM.

mod support;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::Duration,
};

use support::repo_path;

fn herald() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command.current_dir(repo_path(""));
    // The tests' own environment must not leak configuration into the child.
    for (key, _) in std::env::vars() {
        if key.starts_with("HERALD_") {
            command.env_remove(key);
        }
    }
    command
}

fn write_config(dir: &tempfile::TempDir, extra: &str) -> std::path::PathBuf {
    let path = dir.path().join("herald.toml");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[database]\nurl = \"sqlite://{}/h.db\"\n[catalog]\nfiles = [\"catalog/*.yaml\"]\n[auth]\nguest = true\n{extra}",
        dir.path().display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn version_and_help_describe_the_program() {
    let output = herald().arg("--version").output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), format!("herald {}", env!("CARGO_PKG_VERSION")));
    let output = herald().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(help.contains("serve") && help.contains("check-config"), "{help}");
}

#[test]
fn the_environment_overrides_the_file_and_secrets_stay_masked() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        write_config(&dir, "[[auth.service_tokens]]\nsubject = \"ci-bot\"\ntoken = \"a-very-secret-token-123\"\n");
    let output = herald()
        .args(["check-config", "--config"])
        .arg(&config)
        .env("HERALD_SERVER__LISTEN", "0.0.0.0:9999")
        .env("HERALD_AUTH__GUEST", "false")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("listen = \"0.0.0.0:9999\""), "{stdout}");
    assert!(stdout.contains("guest = false"), "{stdout}");
    assert!(!stdout.contains("a-very-secret-token-123"), "the token must not be printed");
    assert!(String::from_utf8_lossy(&output.stderr).contains("5 users"));
}

#[test]
fn a_bad_value_names_its_key_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(&dir, "");
    let output =
        herald().args(["serve", "--config"]).arg(&config).env("HERALD_AUTH__GUEST", "sometimes").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auth.guest") && stderr.contains("HERALD_AUTH__GUEST"), "{stderr}");
}

#[test]
fn a_bad_catalog_stops_the_start_naming_file_and_entity() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("broken.yaml");
    std::fs::write(&catalog, "kind: User\nmetadata:\n  name: ok\n---\nkind: Group\nmetadata:\n  name: \"bad name!\"\n")
        .unwrap();
    let config = write_config(&dir, "");
    let output = herald()
        .args(["serve", "--config"])
        .arg(&config)
        .env("HERALD_CATALOG__FILES", format!("[\"{}\"]", catalog.display()))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.yaml") && stderr.contains("document 2") && stderr.contains("bad name!"),
        "{stderr}"
    );
}

/// Starts `herald serve` and returns it with the address it reported.
fn serve(dir: &tempfile::TempDir, json_logs: bool) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let config = write_config(dir, "");
    let mut command = herald();
    command.args(["serve", "--config"]).arg(&config).stdout(Stdio::piped()).stderr(Stdio::inherit());
    if json_logs {
        command.env("HERALD_LOG__FORMAT", "json");
    }
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the server exited before listening");
        if line.contains("Herald is listening") {
            break;
        }
    }
    let start = line.find("127.0.0.1:").expect("the listening address in the log line");
    let addr: String = line[start..].chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
    (child, addr, stdout)
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr, mut stdout) = serve(&dir, true);
    let _ = TcpStream::connect(&addr).unwrap();
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    for line in rest.lines().filter(|l| !l.is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(value["level"].is_string() && value["timestamp"].is_string(), "{line}");
    }
    assert!(rest.contains("Herald stopped"));
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr, _stdout) = serve(&dir, false);

    // A request whose body is still on its way when the signal arrives.
    let body = br#"{"user":"user:default/alice"}"#;
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /api/auth/guest/sign-in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[10..]).unwrap();

    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "the in-flight request completes: {response}");
    assert!(response.contains("user:default/alice"));
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(TcpStream::connect(&addr).is_err(), "no longer listening");
}

/// Runs `herald send` with `args` against a running test server.
async fn herald_send(app: &support::TestApp, token: &str, args: &[&str]) -> std::process::Output {
    let mut command = herald();
    command.args(["send", "--url", &app.base, "--token", token]).args(args);
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_send_posts_and_prints_the_created_ids() {
    let app = support::TestApp::spawn(support::Engine::Sqlite).await;
    let output = herald_send(
        &app,
        support::SERVICE_TOKEN,
        &[
            "--to",
            "group:default/team-b",
            "--to",
            "user:alice",
            "--exclude",
            "user:erin",
            "--title",
            "Deploy done",
            "--severity",
            "high",
            "--topic",
            "deploys",
            "--link",
            "/catalog",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let ids: Vec<String> = String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect();
    assert_eq!(ids.len(), 2, "dave and alice");
    let alice = app.sign_in("user:default/alice").await;
    let list = app.get_json(&alice, "/api/notifications/notifications").await;
    assert_eq!(list["notifications"][0]["payload"]["severity"], "high");
    assert!(ids.contains(&list["notifications"][0]["id"].as_str().unwrap().to_owned()));

    let output = herald_send(&app, support::SERVICE_TOKEN, &["--broadcast", "--title", "Everyone"]).await;
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_send_fails_with_the_servers_message() {
    let app = support::TestApp::spawn(support::Engine::Sqlite).await;
    let output = herald_send(&app, "wrong-token-0123456789", &["--to", "user:alice", "--title", "t"]).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("401") && stderr.contains("Invalid or expired token"), "{stderr}");

    let output =
        herald_send(&app, support::SERVICE_TOKEN, &["--to", "user:alice", "--title", "t", "--link", "javascript:x"])
            .await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Invalid link provided"));

    let output = herald_send(&app, support::SERVICE_TOKEN, &["--title", "no recipients"]).await;
    assert!(!output.status.success(), "clap requires --to or --broadcast");
}
