//! What the benchmarks share: a fresh PostgreSQL database, percentiles, and BENCHMARKS.md.
#![allow(dead_code)]

use std::{path::Path, time::Duration};

/// A fresh database on the benchmark cluster (`admin` is its admin URL).
pub async fn fresh_postgres_database(admin: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let name = format!("herald_bench_{}", uuid::Uuid::new_v4().simple());
    let mut connection = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut connection).await?;
    let mut url = url::Url::parse(admin)?;
    url.set_path(&name);
    Ok(url.to_string())
}

/// The `q` quantile of sorted samples, in milliseconds.
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// BENCHMARKS.md at the repository root.
pub fn results_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md")
}

/// Replaces the section between `<!-- name -->` and `<!-- /name -->`, or appends it.
pub fn write_section(path: &Path, name: &str, body: &str) -> anyhow::Result<()> {
    let existing =
        std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n\nWritten by `make bench`.\n".into());
    let (open, close) = (format!("<!-- {name} -->"), format!("<!-- /{name} -->"));
    let section = format!("{open}\n{body}{close}");
    let updated = match (existing.find(&open), existing.find(&close)) {
        (Some(start), Some(end)) => format!("{}{section}{}", &existing[..start], &existing[end + close.len()..]),
        _ => format!("{}\n\n{section}\n", existing.trim_end()),
    };
    std::fs::write(path, updated)?;
    Ok(())
}

/// The machine, for the record: cores, CPU model, memory.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{} GiB", kb / 1024 / 1024))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cores} cores ({cpu}), {memory}")
}
