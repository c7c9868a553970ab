//! `revline alerts`: the rules that watch the revenue chain (alerts.md), their history
//! and their deliveries. A running `revline serve` evaluates the rules and sends.

use crate::{Failure, usage};
use revline_store::Store;

#[derive(clap::Subcommand, Debug)]
pub enum AlertsAction {
    /// Add a rule: a condition and where to send it, as alerts.md writes them.
    Add {
        #[arg(long)]
        name: String,
        /// e.g. '{"type":"freshness","kind":"touchpoints","hours":6}'
        #[arg(long)]
        condition: String,
        /// e.g. '{"type":"webhook","url":"https://...","secret":"..."}' (repeatable)
        #[arg(long = "destination")]
        destinations: Vec<String>,
    },
    /// The rules, oldest first.
    List,
    /// Remove a rule (its history stays).
    Remove { id: i64 },
    /// Mute a rule until a time (`2026-12-24`, `2026-12-24T08:00`), or `--off`.
    Mute {
        id: i64,
        #[arg(long, value_name = "TIME", required_unless_present = "off")]
        until: Option<String>,
        #[arg(long, conflicts_with = "until")]
        off: bool,
    },
    /// What a rule finds now, without recording or sending anything.
    Test { id: i64 },
    /// Alerts fired and resolved, newest first.
    History {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Deliveries and their state (delivered, waiting to retry, failed), newest first.
    Deliveries {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

fn json(flag: &str, text: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(text).map_err(|e| usage(format!("--{flag}: not JSON ({e})")))
}

fn when(t: i64) -> String {
    revline_core::time::format_timestamp(t)
}

pub async fn run(store: &dyn Store, action: &AlertsAction, now: i64) -> Result<u8, Failure> {
    match action {
        AlertsAction::Add {
            name,
            condition,
            destinations,
        } => {
            let condition = json("condition", condition)?;
            let destinations = serde_json::Value::Array(
                destinations
                    .iter()
                    .map(|d| json("destination", d))
                    .collect::<Result<_, _>>()?,
            );
            let rule =
                revline_web::alerts::add_rule(store, name, &condition, &destinations, "cli", now)
                    .await
                    .map_err(|e| usage(e.to_string()))?;
            println!("Added rule {}: {}", rule.id, rule.name);
        }
        AlertsAction::List => {
            let rules = store.alert_rules().await?;
            if rules.is_empty() {
                println!("No rules.");
            }
            for r in rules {
                let muted = r
                    .muted_until
                    .filter(|u| *u > now)
                    .map_or(String::new(), |u| format!("  (muted until {})", when(u)));
                println!("{}  {}  {}{muted}", r.id, r.name, r.condition);
                for d in r.destinations.as_array().into_iter().flatten() {
                    println!(
                        "      -> {} {}",
                        d["type"].as_str().unwrap_or("?"),
                        d["url"].as_str().unwrap_or_default()
                    );
                }
            }
        }
        AlertsAction::Remove { id } => {
            if !store.delete_alert_rule(*id).await? {
                return Err(usage(format!("no rule {id}")));
            }
            println!("Removed rule {id}.");
        }
        AlertsAction::Mute { id, until, .. } => {
            let until = match until {
                None => None,
                Some(t) => {
                    let tz = store.settings().await?.timezone;
                    Some(
                        revline_core::time::parse_timestamp(t, tz)
                            .map_err(|e| usage(format!("--until: {e}")))?,
                    )
                }
            };
            if !store.mute_alert_rule(*id, until).await? {
                return Err(usage(format!("no rule {id}")));
            }
            match until {
                Some(t) => println!("Rule {id} is muted until {}.", when(t)),
                None => println!("Rule {id} is on again."),
            }
        }
        AlertsAction::Test { id } => {
            let rule = store
                .alert_rules()
                .await?
                .into_iter()
                .find(|r| r.id == *id)
                .ok_or_else(|| usage(format!("no rule {id}")))?;
            let settings = store.settings().await?;
            let snapshot = revline_web::live::load_snapshot(
                store,
                &settings,
                revline_engine::SnapshotBuilder::ALL_INPUTS,
            )
            .await?;
            let seen = revline_web::alerts::test_rule(&snapshot, &settings, &rule, now)
                .map_err(|e| Failure::from(anyhow::anyhow!("{e}")))?;
            if seen.is_empty() {
                println!("{}: nothing to judge now.", rule.name);
            }
            let tr = revline_web::alerts::workspace_tr(&settings);
            for o in seen {
                let verdict = if o.holds { "WOULD FIRE" } else { "ok" };
                let summary = revline_web::summaries::summary(&tr, &o.subject, &o.facts);
                println!("{verdict:<10} {}  {summary}", o.subject);
            }
        }
        AlertsAction::History { limit } => {
            for e in store.alert_events(None, *limit).await? {
                println!(
                    "{}  rule {}  {:<8}  {}  {}",
                    when(e.at),
                    e.rule_id,
                    e.state,
                    e.subject,
                    e.payload["summary"].as_str().unwrap_or_default()
                );
            }
        }
        AlertsAction::Deliveries { limit } => {
            for d in store.alert_deliveries(*limit).await? {
                let state = match (d.delivered_at, d.failed_at) {
                    (Some(t), _) => format!("delivered {}", when(t)),
                    (_, Some(t)) => format!("FAILED {}", when(t)),
                    _ => format!("next try {}", when(d.next_at)),
                };
                println!(
                    "{}  {}  {}  attempts {}  {}",
                    d.id,
                    d.destination["type"].as_str().unwrap_or("?"),
                    state,
                    d.attempts,
                    d.last_error.unwrap_or_default()
                );
            }
        }
    }
    Ok(0)
}

/// `revline digest`: prints the digest, or sends it now to the digest's destinations
/// (`digest_to` and the rules' webhooks) and says what became of each delivery.
pub async fn digest(
    store: &dyn Store,
    send: bool,
    allow_private: bool,
    now: i64,
) -> Result<u8, Failure> {
    let settings = store.settings().await?;
    let snapshot = revline_web::live::load_snapshot(
        store,
        &settings,
        revline_engine::SnapshotBuilder::ALL_INPUTS,
    )
    .await?;
    let failure = |e: revline_web::AppError| Failure::from(anyhow::anyhow!("{e}"));
    if !send {
        let payload = revline_web::digest::build(store, &snapshot, &settings, now)
            .await
            .map_err(failure)?;
        print!("{}", revline_web::digest::text(&payload));
        return Ok(0);
    }
    let slot = format!("manual:{}", when(now));
    let Some(id) = revline_web::digest::send(store, &snapshot, &settings, &slot, now)
        .await
        .map_err(failure)?
    else {
        return Err(usage("a digest was sent this very moment; try again"));
    };
    let courier = revline_web::deliver::Courier::new(allow_private);
    revline_web::deliver::deliver_due(store, &courier, now)
        .await
        .map_err(failure)?;
    let mine: Vec<_> = store
        .alert_deliveries(1000)
        .await?
        .into_iter()
        .filter(|d| d.event_id == id)
        .collect();
    if mine.is_empty() {
        println!(
            "Digest built; it has no destination (set digest_to, or add a rule with a webhook)."
        );
        return Ok(0);
    }
    let mut failed = false;
    for d in mine {
        let kind = d.destination["type"].as_str().unwrap_or("?");
        match d.delivered_at {
            Some(_) => println!("{}  {kind}  delivered", d.id),
            None => {
                failed = true;
                println!(
                    "{}  {kind}  NOT delivered: {} (retried by a running server)",
                    d.id,
                    d.last_error.unwrap_or_default()
                );
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}
