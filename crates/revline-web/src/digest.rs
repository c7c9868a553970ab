//! The digest (alerts.md "Digest"): the scorecard to date against pace, the top three
//! bottlenecks and what changed since the last digest, and the alerts fired and
//! resolved. Built once as a payload (`{"type":"digest",...}`, what webhooks receive),
//! then written as text, as HTML email with a chart, or as a Slack message from it.
//! Sent weekly (Monday 08:00 in the workspace time zone), daily (08:00) or never.

use crate::AppError;
use crate::alerts::workspace_tr;
use crate::i18n::Tr;
use crate::summaries::summary;
use chrono::{Datelike, Duration, NaiveTime, TimeZone};
use revline_core::Settings;
use revline_engine::Snapshot;
use revline_engine::alerts::{Condition, evaluate};
use revline_engine::calendar::{date_of, day_start, named_period};
use revline_engine::query::{Output, ReportKind, ReportParams, ReportQuery, run};
use revline_engine::scorecard::Direction;
use revline_store::Store;
use serde_json::{Value, json};
use std::collections::HashSet;

/// The hour of the day a scheduled digest goes out, in the workspace time zone.
const SEND_HOUR: u32 = 8;
/// A slot missed by more than this (the server was down) is skipped, not sent late.
const LATE_MS: i64 = 12 * 3_600_000;
/// How many bottlenecks a digest lists.
const TOP: usize = 3;

/// The scheduled slot due at `now` (`weekly:2026-12-07`), if one is: its instant has
/// passed, within the last 12 hours.
pub fn due_slot(settings: &Settings, now: i64) -> Option<String> {
    let zone = settings.timezone;
    let today = date_of(zone, now);
    let date = match settings.digest.as_str() {
        "weekly" => today - Duration::days(i64::from(today.weekday().num_days_from_monday())),
        "daily" => today,
        _ => return None,
    };
    // 08:00 on the wall clock, on a day the clocks change too.
    let local = date.and_time(NaiveTime::from_hms_opt(SEND_HOUR, 0, 0)?);
    let at = zone
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| day_start(zone, date), |t| t.timestamp_millis());
    (now >= at && now - at <= LATE_MS).then(|| format!("{}:{date}", settings.digest))
}

/// The digest as of `now`: its payload.
pub async fn build(
    store: &dyn Store,
    snapshot: &Snapshot,
    settings: &Settings,
    now: i64,
) -> Result<Value, AppError> {
    let tr = workspace_tr(settings);
    let last = store.last_digest().await?;
    // Since the last digest, or over the schedule's own span when there was none.
    let span = if settings.digest == "daily" { 1 } else { 7 };
    let since = last.as_ref().map_or(now - span * 24 * 3_600_000, |d| d.at);

    let (from, to) = named_period(snapshot.timezone, "this_month", now)
        .ok_or_else(|| AppError::internal("no current month"))?;
    let params = ReportParams {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        ..Default::default()
    };
    let query = ReportQuery::parse(ReportKind::Scorecard, &params, settings, now)
        .map_err(|e| AppError::bad(e.to_string()))?;
    let Output::Scorecard(card) = run(snapshot, &query).map_err(AppError::internal)? else {
        return Err(AppError::internal(
            "the scorecard report gave another output",
        ));
    };
    let scorecard: Vec<Value> = card
        .overall()
        .metrics
        .iter()
        .map(|m| {
            let on_pace = match (m.value, m.pace) {
                (Some(v), Some(p)) => Some(match Direction::of(m.name) {
                    Direction::HigherIsBetter => v >= p,
                    Direction::LowerIsBetter => v <= p,
                }),
                _ => None,
            };
            json!({
                "metric": m.name,
                "label": tr.label("metric", m.name),
                "value": m.value,
                // Plain text: no zero-width break (the web's, before "/day").
                "text": tr.value(m.value, &m.unit).replace('\u{200b}', ""),
                "unit": m.unit,
                "count": m.count,
                "target": m.target,
                "pace": m.pace,
                "pace_text": m.pace.map(|p| tr.value(Some(p), &m.unit).replace('\u{200b}', "")),
                "on_pace": on_pace,
            })
        })
        .collect();

    let found = evaluate(
        snapshot,
        settings,
        &Condition::Bottleneck {
            min_at_stake: 0.0,
            filter: None,
        },
        now,
    );
    let before: HashSet<String> = last
        .as_ref()
        .and_then(|d| d.payload["bottlenecks"].as_array().cloned())
        .into_iter()
        .flatten()
        .filter_map(|b| b["subject"].as_str().map(str::to_string))
        .collect();
    let top: Vec<Value> = found
        .iter()
        .take(TOP)
        .map(|o| {
            json!({
                "subject": o.subject,
                "summary": summary(&tr, &o.subject, &o.facts),
                "revenue_at_stake": o.figures["revenue_at_stake"],
                "currency": o.figures["currency"],
                "new": last.is_some() && !before.contains(&o.subject),
                "link": o.link,
            })
        })
        .collect();
    let now_listed: HashSet<&str> = top.iter().filter_map(|b| b["subject"].as_str()).collect();
    let mut left: Vec<&String> = before
        .iter()
        .filter(|s| !now_listed.contains(s.as_str()))
        .collect();
    left.sort();

    let events: Vec<Value> = store
        .alert_events(None, 500)
        .await?
        .into_iter()
        .filter(|e| e.at > since && e.at <= now)
        .map(|e| {
            json!({
                "state": e.state,
                "rule": e.payload["rule"]["name"],
                "subject": e.subject,
                "summary": e.payload["summary"],
                "at": revline_core::time::format_timestamp(e.at),
            })
        })
        .collect();
    let count = |state: &str| events.iter().filter(|e| e["state"] == state).count();
    let (fired, resolved) = (count("firing"), count("resolved"));
    let headline = fill(
        &tr,
        "digest.summary",
        &[
            ("from", tr.date(&from.to_string())),
            ("to", tr.date(&date_of(snapshot.timezone, now).to_string())),
            ("bottlenecks", top.len().to_string()),
            ("fired", fired.to_string()),
            ("resolved", resolved.to_string()),
        ],
    );
    // A workspace whose records stop before the period (an export not refreshed) has
    // zeros here that are not this month's: the digest says so first.
    let newest = snapshot.newest_record_at();
    let period_start = day_start(snapshot.timezone, from);
    let stale = match newest {
        Some(t) if t >= period_start => None,
        Some(t) => Some(tr.t("digest.stale").replace(
            "{date}",
            &tr.date(&date_of(snapshot.timezone, t).to_string()),
        )),
        None => Some(tr.t("common.no_records").to_string()),
    };
    Ok(json!({
        "type": "digest",
        "data_until": newest.map(revline_core::time::format_timestamp),
        "stale": stale,
        "at": revline_core::time::format_timestamp(now),
        "since": revline_core::time::format_timestamp(since),
        "period": {"from": from.to_string(), "to": to.to_string()},
        "language": tr.code(),
        "summary": headline,
        "scorecard": scorecard,
        "bottlenecks": top,
        "no_longer_bottlenecks": left,
        "alerts": events,
        "link": format!("/?from={from}&to={to}"),
    }))
}

fn fill(tr: &Tr, key: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(tr.t(key).to_string(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), v)
    })
}

/// The metrics of a digest that have a target, with their share of pace.
fn paced(payload: &Value) -> Vec<&Value> {
    payload["scorecard"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["pace"].is_number() && m["value"].is_number())
        .collect()
}

/// The digest as plain text, in the language it was built in.
pub fn text(payload: &Value) -> String {
    let tr = payload_tr(payload);
    let mut out = format!("{}\n\n", payload["summary"].as_str().unwrap_or_default());
    if let Some(stale) = payload["stale"].as_str() {
        out += &format!("{stale}\n\n");
    }
    out += &format!("{}\n", tr.t("digest.scorecard"));
    for m in payload["scorecard"].as_array().into_iter().flatten() {
        if m["value"].is_null() && m["pace"].is_null() {
            continue;
        }
        let pace = m["pace_text"].as_str().map_or(String::new(), |p| {
            let mark = if m["on_pace"] == true { "✓" } else { "✗" };
            format!("  {mark} {} {p}", tr.t("digest.pace"))
        });
        let n = m["count"]
            .as_u64()
            .map_or(String::new(), |n| format!(" (n = {n})"));
        out += &format!(
            "  {}: {}{n}{pace}\n",
            m["label"].as_str().unwrap_or_default(),
            m["text"].as_str().unwrap_or_default()
        );
    }
    out += &format!("\n{}\n", tr.t("digest.bottlenecks"));
    let top = payload["bottlenecks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if top.is_empty() {
        out += &format!("  {}\n", tr.t("digest.no_bottlenecks"));
    }
    for (i, b) in top.iter().enumerate() {
        let new = if b["new"] == true {
            format!(" [{}]", tr.t("digest.new"))
        } else {
            String::new()
        };
        out += &format!(
            "  {}. {}{new}\n",
            i + 1,
            b["summary"].as_str().unwrap_or_default()
        );
    }
    for gone in payload["no_longer_bottlenecks"]
        .as_array()
        .into_iter()
        .flatten()
    {
        out += &format!(
            "  – {}: {}\n",
            gone.as_str().unwrap_or_default().replace('|', " · "),
            tr.t("digest.no_longer")
        );
    }
    out += &format!("\n{}\n", tr.t("digest.alerts"));
    let events = payload["alerts"].as_array().cloned().unwrap_or_default();
    if events.is_empty() {
        out += &format!("  {}\n", tr.t("digest.no_alerts"));
    }
    for e in &events {
        let state = if e["state"] == "firing" {
            tr.t("alerts.fired")
        } else {
            tr.t("alerts.resolved")
        };
        out += &format!(
            "  {state}: {} — {}\n",
            e["rule"].as_str().unwrap_or_default(),
            e["summary"].as_str().unwrap_or_default()
        );
    }
    out
}

fn payload_tr(payload: &Value) -> Tr {
    Tr::new(
        crate::i18n::Lang::parse(payload["language"].as_str().unwrap_or("en"))
            .unwrap_or(crate::i18n::Lang::En),
    )
}

/// Text for HTML.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The Content-ID of a metric's pace bar in the digest's email.
pub fn chart_cid(metric: &str) -> String {
    format!("pace-{metric}")
}

/// The digest as HTML for email: inline styles (mail clients drop style sheets), and
/// beside each metric with a target its pace bar, an inline image (`cid:pace-<metric>`).
pub fn html(payload: &Value, base_url: &str) -> String {
    let tr = payload_tr(payload);
    let cell = "padding:4px 8px;border-bottom:1px solid #e2e8f0;";
    let mut out = format!(
        "<div style=\"font-family:Arial,sans-serif;color:#0f172a;max-width:640px\">\
         <h2 style=\"margin:0 0 8px\">Revline</h2><p>{}</p>",
        escape(payload["summary"].as_str().unwrap_or_default())
    );
    if let Some(stale) = payload["stale"].as_str() {
        out += &format!(
            "<p style=\"background:#fff7ed;border:1px solid #fdba74;padding:8px\">{}</p>",
            escape(stale)
        );
    }
    out += &format!("<h3>{}</h3>", escape(tr.t("digest.scorecard")));
    out += "<table style=\"border-collapse:collapse;font-size:14px\">";
    for m in payload["scorecard"].as_array().into_iter().flatten() {
        if m["value"].is_null() && m["pace"].is_null() {
            continue;
        }
        let color = match m["on_pace"].as_bool() {
            Some(true) => "#15803d",
            Some(false) => "#b45309",
            None => "#0f172a",
        };
        let metric = m["metric"].as_str().unwrap_or_default();
        let bar = if share_of_pace(m).is_some() {
            format!(
                "<img src=\"cid:{}\" width=\"{BAR_W}\" height=\"{BAR_H}\" alt=\"{}\">",
                chart_cid(metric),
                escape(tr.t("digest.pace_chart"))
            )
        } else {
            String::new()
        };
        let pace = m["pace_text"].as_str().map_or(String::new(), |p| {
            escape(&format!("{} {p}", tr.t("digest.pace")))
        });
        out += &format!(
            "<tr><td style=\"{cell}\">{}</td><td style=\"{cell}text-align:right;color:{color}\">{}</td><td style=\"{cell}color:#64748b\">{pace}</td><td style=\"{cell}\">{bar}</td></tr>",
            escape(m["label"].as_str().unwrap_or_default()),
            escape(m["text"].as_str().unwrap_or_default()),
        );
    }
    out += "</table>";
    out += &format!("<h3>{}</h3><ol>", escape(tr.t("digest.bottlenecks")));
    if payload["bottlenecks"]
        .as_array()
        .is_none_or(|b| b.is_empty())
    {
        out += &format!("<li>{}</li>", escape(tr.t("digest.no_bottlenecks")));
    }
    for b in payload["bottlenecks"].as_array().into_iter().flatten() {
        let new = if b["new"] == true {
            format!(" <b>{}</b>", escape(tr.t("digest.new")))
        } else {
            String::new()
        };
        out += &format!(
            "<li><a href=\"{base_url}{}\">{}</a>{new}</li>",
            escape(b["link"].as_str().unwrap_or_default()),
            escape(b["summary"].as_str().unwrap_or_default())
        );
    }
    out += "</ol>";
    out += &format!("<h3>{}</h3><ul>", escape(tr.t("digest.alerts")));
    let events = payload["alerts"].as_array().cloned().unwrap_or_default();
    if events.is_empty() {
        out += &format!("<li>{}</li>", escape(tr.t("digest.no_alerts")));
    }
    for e in &events {
        let state = if e["state"] == "firing" {
            tr.t("alerts.fired")
        } else {
            tr.t("alerts.resolved")
        };
        out += &format!(
            "<li>{}: {} — {}</li>",
            escape(state),
            escape(e["rule"].as_str().unwrap_or_default()),
            escape(e["summary"].as_str().unwrap_or_default())
        );
    }
    out += &format!(
        "</ul><p><a href=\"{base_url}{}\">{}</a></p></div>",
        escape(payload["link"].as_str().unwrap_or("/")),
        escape(tr.t("digest.open"))
    );
    out
}

const BAR_W: u32 = 160;
const BAR_H: u32 = 14;

/// A metric's value as a share of its pace, the right way up (for a metric where lower
/// is better, pace / value): above 1 is ahead.
fn share_of_pace(m: &Value) -> Option<f64> {
    let (value, pace) = (m["value"].as_f64()?, m["pace"].as_f64()?);
    match Direction::of(m["metric"].as_str().unwrap_or_default()) {
        Direction::HigherIsBetter if pace > 0.0 => Some(value / pace),
        Direction::LowerIsBetter if value > 0.0 => Some(pace / value),
        _ => None,
    }
}

/// The pace bars: for each metric with a target, a PNG (every mail client shows one)
/// of its share of the pace to date, 0 to 150 %, with a line at 100 %; green on pace,
/// amber behind. Returned with their Content-IDs.
pub fn pace_charts(payload: &Value) -> Vec<(String, Vec<u8>)> {
    paced(payload)
        .into_iter()
        .filter_map(|m| {
            let share = share_of_pace(m)?;
            let on_pace = m["on_pace"] == true;
            Some((chart_cid(m["metric"].as_str()?), pace_bar(share, on_pace)?))
        })
        .collect()
}

fn pace_bar(share: f64, on_pace: bool) -> Option<Vec<u8>> {
    use plotters::prelude::*;
    let (w, h) = (BAR_W, BAR_H);
    let mut pixels = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        root.fill(&RGBColor(241, 245, 249)).ok()?;
        let x = |share: f64| (share.clamp(0.0, 1.5) / 1.5 * f64::from(w - 1)) as i32;
        let color = if on_pace {
            RGBColor(21, 128, 61)
        } else {
            RGBColor(217, 119, 6)
        };
        root.draw(&Rectangle::new(
            [(0, 2), (x(share).max(1), h as i32 - 3)],
            color.filled(),
        ))
        .ok()?;
        let full = x(1.0);
        root.draw(&Rectangle::new(
            [(full - 1, 0), (full + 1, h as i32)],
            RGBColor(15, 23, 42).filled(),
        ))
        .ok()?;
        root.present().ok()?;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .write_header()
            .ok()?
            .write_image_data(&pixels)
            .ok()?;
    }
    Some(out)
}

/// Where a digest goes: the emails of the digest's settings, and every webhook and
/// Slack destination of the workspace's rules (each once).
pub async fn destinations(store: &dyn Store, settings: &Settings) -> Result<Vec<Value>, AppError> {
    let mut out = Vec::new();
    if !settings.digest_to.is_empty() {
        out.push(json!({"type": "email", "to": settings.digest_to}));
    }
    for rule in store.alert_rules().await? {
        for d in rule.destinations.as_array().into_iter().flatten() {
            if d["type"] != "email" && !out.contains(d) {
                out.push(d.clone());
            }
        }
    }
    Ok(out)
}

/// Builds the digest and queues it for its slot; `None` when that slot was sent
/// already (by another server, or before a restart).
pub async fn send(
    store: &dyn Store,
    snapshot: &Snapshot,
    settings: &Settings,
    slot: &str,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let payload = build(store, snapshot, settings, now).await?;
    let to = destinations(store, settings).await?;
    Ok(store.record_digest(slot, now, &payload, &to).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        revline_core::time::parse_timestamp(text, chrono_tz::Tz::UTC).unwrap()
    }

    /// Monday 08:00 in the workspace's zone (Warsaw is UTC+1 in December), up to 12
    /// hours late; daily at 08:00; never when off.
    #[test]
    fn the_digest_is_due_at_eight_on_monday_in_the_workspace_zone() {
        let mut s = Settings::default();
        s.set("timezone", "Europe/Warsaw").unwrap();
        // 2026-12-07 is a Monday; 08:00 in Warsaw is 07:00 UTC.
        assert_eq!(due_slot(&s, at("2026-12-07T06:59:00Z")), None);
        assert_eq!(
            due_slot(&s, at("2026-12-07T07:00:00Z")).as_deref(),
            Some("weekly:2026-12-07")
        );
        assert_eq!(
            due_slot(&s, at("2026-12-07T18:30:00Z")).as_deref(),
            Some("weekly:2026-12-07")
        );
        assert_eq!(
            due_slot(&s, at("2026-12-07T19:01:00Z")),
            None,
            "too late: skipped"
        );
        assert_eq!(
            due_slot(&s, at("2026-12-09T07:30:00Z")),
            None,
            "a Wednesday"
        );
        s.set("digest", "daily").unwrap();
        assert_eq!(
            due_slot(&s, at("2026-12-09T07:30:00Z")).as_deref(),
            Some("daily:2026-12-09")
        );
        s.set("digest", "off").unwrap();
        assert_eq!(due_slot(&s, at("2026-12-07T07:30:00Z")), None);
    }
}
