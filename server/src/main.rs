//! The `herald` command.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use herald::{cli::send, config::Config, server, telemetry};

#[derive(Parser)]
#[command(name = "herald", version, about = "Notifications and live signals, compatible with Backstage")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server until SIGTERM or Ctrl-C.
    Serve {
        /// TOML configuration file; without one, defaults and HERALD_* variables apply.
        #[arg(long, short, env = "HERALD_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Check the configuration and the catalog, and print the effective configuration
    /// (secrets masked).
    CheckConfig {
        #[arg(long, short, env = "HERALD_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Send a notification to a running Herald with a service token; prints the created ids.
    Send(Box<send::SendArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Rendering a page nests deeply (Leptos views); unoptimised builds need more than the
    // default 2 MiB of stack per worker.
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(16 * 1024 * 1024).build() {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("herald: cannot start the async runtime: {error}");
                return ExitCode::FAILURE;
            }
        };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { config } => serve(config).await,
            Command::CheckConfig { config } => check_config(config),
            Command::Send(args) => send::run(*args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("herald: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(path: Option<PathBuf>) -> anyhow::Result<()> {
    let config = Config::load(path.as_deref())?;
    telemetry::init(&config.log);
    // Every open WebSocket is a file descriptor: take all the system allows.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
    let stop = server::termination_signal();
    let running = server::start(config).await?;
    stop.await;
    tracing::info!("shutting down: finishing in-flight requests");
    running.shutdown();
    running.stopped().await
}

fn check_config(path: Option<PathBuf>) -> anyhow::Result<()> {
    let mut config = Config::load(path.as_deref())?;
    let catalog = herald::catalog::load(&config.catalog.files)?;
    for service in &mut config.auth.service_tokens {
        service.token = "********".into();
    }
    config.database.url = herald::db::redact(&config.database.url);
    println!("{}", toml::to_string_pretty(&config)?);
    eprintln!("configuration is valid; catalog: {} users, {} groups", catalog.user_count(), catalog.group_count());
    Ok(())
}
