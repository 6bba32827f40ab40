//! Structured logs through `tracing`: readable in a terminal, JSON for collectors.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. Safe to call more than once (tests spawn many servers);
/// only the first call wins.
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_new(&config.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.format {
        LogFormat::Human => registry.with(fmt::layer().with_ansi(std::io::stdout().is_terminal())).try_init(),
        LogFormat::Json => registry.with(fmt::layer().json().flatten_event(true).with_current_span(false)).try_init(),
    };
}
