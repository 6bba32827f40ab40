//! `herald send`: post a notification to a running Herald, as a CI job or a script would.

use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("recipients").required(true).args(["to", "broadcast"]))]
pub struct SendArgs {
    /// Herald's base URL.
    #[arg(long, env = "HERALD_URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// A service token from the server's `auth.service_tokens`.
    #[arg(long, env = "HERALD_TOKEN", hide_env_values = true)]
    pub token: String,
    /// A recipient entity ref (user, group, or anything with an owner); repeatable.
    #[arg(long, value_name = "REF")]
    pub to: Vec<String>,
    /// Leave out this entity ref (a user, or a whole group); repeatable.
    #[arg(long, value_name = "REF", requires = "to")]
    pub exclude: Vec<String>,
    /// Send to everybody.
    #[arg(long)]
    pub broadcast: bool,
    /// The headline people see.
    #[arg(long)]
    pub title: String,
    /// Longer text below the title.
    #[arg(long)]
    pub description: Option<String>,
    /// http(s) URL, or a path relative to Herald's base URL.
    #[arg(long)]
    pub link: Option<String>,
    /// Defaults to normal on the server.
    #[arg(long, value_enum)]
    pub severity: Option<SeverityArg>,
    /// Groups related notifications; people can filter and mute by topic.
    #[arg(long)]
    pub topic: Option<String>,
    /// Sending again with the same scope updates the earlier notification in place.
    #[arg(long)]
    pub scope: Option<String>,
    /// An icon name for the UI to show instead of the severity icon.
    #[arg(long)]
    pub icon: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Normal,
    Low,
}

impl SeverityArg {
    fn as_str(self) -> &'static str {
        match self {
            SeverityArg::Critical => "critical",
            SeverityArg::High => "high",
            SeverityArg::Normal => "normal",
            SeverityArg::Low => "low",
        }
    }
}

/// The request body for these arguments.
pub fn body(args: &SendArgs) -> Value {
    let recipients = if args.broadcast {
        json!({ "type": "broadcast" })
    } else {
        let mut recipients = json!({ "type": "entity", "entityRef": args.to });
        if !args.exclude.is_empty() {
            recipients["excludeEntityRef"] = json!(args.exclude);
        }
        recipients
    };
    let mut payload = Map::new();
    payload.insert("title".into(), json!(args.title));
    let optional = [
        ("description", args.description.as_deref()),
        ("link", args.link.as_deref()),
        ("severity", args.severity.map(SeverityArg::as_str)),
        ("topic", args.topic.as_deref()),
        ("scope", args.scope.as_deref()),
        ("icon", args.icon.as_deref()),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            payload.insert(key.into(), json!(value));
        }
    }
    json!({ "recipients": recipients, "payload": payload })
}

pub async fn run(args: SendArgs) -> anyhow::Result<()> {
    let endpoint = format!("{}/api/notifications/notifications", args.url.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&endpoint)
        .bearer_auth(&args.token)
        .json(&body(&args))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach Herald at {}: {e}", args.url))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        anyhow::bail!("{} {}: {message}", status.as_u16(), status.canonical_reason().unwrap_or_default());
    }
    let created: Vec<Value> = serde_json::from_str(&text)?;
    if created.is_empty() {
        eprintln!("nobody received it (no recipients, or their settings turned it off)");
    }
    for notification in created {
        println!("{}", notification["id"].as_str().unwrap_or_default());
    }
    Ok(())
}
