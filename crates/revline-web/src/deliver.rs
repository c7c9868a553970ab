//! Sends the alerts waiting in the store's outbox (alerts.md "Destinations"): signed
//! webhooks and Slack messages, retried with backoff, kept as failed when given up.
//! Deliveries are claimed under a lease, so each is sent by one server at a time, and a
//! server killed mid-way leaves them to be claimed again after the lease.

use crate::AppError;
use hmac::{KeyInit, Mac};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use revline_store::Store;
use revline_store::alerts::{Delivery, DeliveryOutcome};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::time::Duration;

/// How long a claimed delivery is this worker's before another may take it.
const LEASE_MS: i64 = 120_000;
/// The first retry waits this long; each next one twice as long.
const FIRST_RETRY_MS: i64 = 30_000;
/// Retries stop this long after the alert.
const GIVE_UP_MS: i64 = 24 * 3_600_000;

pub struct Courier {
    client: reqwest::Client,
    /// Email, when `REVLINE_SMTP_URL` names a server.
    mail: Option<Mailer>,
    /// Loopback and private addresses are refused unless this is set
    /// (`--allow-private-webhooks`).
    pub allow_private: bool,
    /// Names this process in claims: host and process id.
    worker: String,
}

/// An SMTP server and who the mail is from.
struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where links in a message point (`REVLINE_PUBLIC_URL`); relative without it.
    base_url: String,
}

impl Mailer {
    /// From `REVLINE_SMTP_URL` (`smtp://user:pass@host:port`, STARTTLS where the
    /// server offers it), `REVLINE_MAIL_FROM` and `REVLINE_PUBLIC_URL`.
    fn from_env() -> Result<Option<Mailer>, String> {
        let Ok(url) = std::env::var("REVLINE_SMTP_URL") else {
            return Ok(None);
        };
        // alerts.md: STARTTLS where offered, unless the URL says otherwise.
        let url = if url.starts_with("smtp://") && !url.contains("tls=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}tls=opportunistic")
        } else {
            url
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| format!("REVLINE_SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = std::env::var("REVLINE_MAIL_FROM")
            .unwrap_or_else(|_| "Revline <revline@localhost>".into())
            .parse()
            .map_err(|e| format!("REVLINE_MAIL_FROM: {e}"))?;
        let base_url = std::env::var("REVLINE_PUBLIC_URL")
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_default();
        Ok(Some(Mailer {
            transport,
            from,
            base_url,
        }))
    }
}

impl Courier {
    pub fn new(allow_private: bool) -> Courier {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "host".into());
        Courier {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                // A redirect could lead to an address the check below never saw.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            allow_private,
            mail: Mailer::from_env().unwrap_or_else(|e| {
                tracing::error!("email is off: {e}");
                None
            }),
            worker: format!("{host}:{}", std::process::id()),
        }
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (alerts.md).
pub fn signature(secret: &str, unix_seconds: i64, body: &str) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{unix_seconds}.{body}").as_bytes());
    format!(
        "t={unix_seconds},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Whether an address is one a webhook may not reach by default.
fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| private(IpAddr::V4(v4)))
        }
    }
}

/// Refuses a URL whose host resolves to a private address, unless allowed.
/// Whether a URL may be sent to; the error says whether trying again could help (a
/// name that does not resolve now may later; a private address never becomes public).
async fn reachable(url: &str, allow_private: bool) -> Result<(), (String, bool)> {
    let parsed = url::Url::parse(url).map_err(|e| (format!("{url}: {e}"), false))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err((format!("{url}: only http(s) is sent to"), false));
    }
    if allow_private {
        return Ok(());
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| (format!("{url}: no host"), false))?;
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| (format!("{host}: {e}"), true))?;
    for a in addrs {
        if private(a.ip()) {
            return Err((
                format!(
                    "{host} is a private or loopback address ({}): refused (start the server with --allow-private-webhooks to allow it)",
                    a.ip()
                ),
                false,
            ));
        }
    }
    Ok(())
}

/// One attempt at one delivery.
async fn send(courier: &Courier, d: &Delivery, now: i64) -> Result<(), (String, bool)> {
    let kind = d.destination["type"].as_str().unwrap_or_default();
    if kind == "email" {
        return send_email(courier, d).await;
    }
    let url = d.destination["url"].as_str().unwrap_or_default();
    reachable(url, courier.allow_private).await?;
    let request = match kind {
        "webhook" => {
            let body = d.payload.to_string();
            let secret = d.destination["secret"].as_str().unwrap_or_default();
            courier
                .client
                .post(url)
                .header("Content-Type", "application/json")
                .header("Revline-Delivery", &d.id)
                .header("Revline-Signature", signature(secret, now / 1000, &body))
                .body(body)
        }
        "slack" => courier
            .client
            .post(url)
            .header("Content-Type", "application/json")
            .body(slack_message(&d.payload).to_string()),
        other => return Err((format!("{other} destinations are not sent yet"), false)),
    };
    match request.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err((format!("HTTP {}", r.status().as_u16()), true)),
        Err(e) => Err((e.without_url().to_string(), true)),
    }
}

/// The message of an alert or a digest, as text and HTML (with the digest's charts).
fn message(mailer: &Mailer, d: &Delivery) -> Result<Message, String> {
    let payload = &d.payload;
    let base = &mailer.base_url;
    let mut builder = Message::builder().from(mailer.from.clone()).header(
        lettre::message::header::MessageId::from(format!("<{}@revline>", d.id)),
    );
    for to in d.destination["to"].as_array().into_iter().flatten() {
        let to: Mailbox = to
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(|e| format!("email to: {e}"))?;
        builder = builder.to(to);
    }
    let (subject, text, html, chart) = if payload["type"] == "digest" {
        (
            payload["summary"].as_str().unwrap_or_default().to_string(),
            crate::digest::text(payload),
            crate::digest::html(payload, base),
            crate::digest::pace_charts(payload),
        )
    } else {
        let summary = payload["summary"].as_str().unwrap_or_default();
        let link = format!("{base}{}", payload["link"].as_str().unwrap_or_default());
        let state = payload["state"].as_str().unwrap_or_default();
        let name = payload["rule"]["name"].as_str().unwrap_or_default();
        let escape = crate::digest::escape;
        (
            format!("[{state}] {name}"),
            format!("{summary}\n\n{link}\n"),
            format!(
                "<div style=\"font-family:Arial,sans-serif\"><p><b>{}</b></p><p>{}</p><p><a href=\"{}\">{}</a></p></div>",
                escape(&format!("[{state}] {name}")),
                escape(summary),
                escape(&link),
                escape(&link)
            ),
            Vec::new(),
        )
    };
    let mut html_part = MultiPart::related().singlepart(SinglePart::html(html));
    for (cid, png) in chart {
        html_part = html_part.singlepart(Attachment::new_inline(cid).body(
            png,
            ContentType::parse("image/png").expect("a content type"),
        ));
    }
    builder
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text))
                .multipart(html_part),
        )
        .map_err(|e| format!("email: {e}"))
}

async fn send_email(courier: &Courier, d: &Delivery) -> Result<(), (String, bool)> {
    let Some(mailer) = &courier.mail else {
        // The next server may be started with it: kept and retried.
        return Err(("no SMTP server: set REVLINE_SMTP_URL".into(), true));
    };
    let message = message(mailer, d).map_err(|e| (e, false))?;
    match mailer.transport.send(message).await {
        Ok(_) => Ok(()),
        // A permanent refusal (5xx) will not change by retrying.
        Err(e) => Err((format!("SMTP: {e}"), !e.is_permanent())),
    }
}

/// A Slack message of the payload: the summary, with a link to the page (a digest:
/// its text).
fn slack_message(payload: &Value) -> Value {
    if payload["type"] == "digest" {
        let text = crate::digest::text(payload);
        return json!({
            "text": payload["summary"],
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        });
    }
    let summary = payload["summary"].as_str().unwrap_or_default();
    let state = payload["state"].as_str().unwrap_or_default();
    let name = payload["rule"]["name"].as_str().unwrap_or_default();
    let text = format!("[{state}] {name}: {summary}");
    json!({
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    })
}

/// Sends every due delivery once; returns how many were delivered.
pub async fn deliver_due(
    store: &dyn Store,
    courier: &Courier,
    now: i64,
) -> Result<usize, AppError> {
    let due = store
        .claim_deliveries(&courier.worker, now, LEASE_MS, 100)
        .await?;
    let mut delivered = 0;
    for d in due {
        let outcome = match send(courier, &d, now).await {
            Ok(()) => {
                delivered += 1;
                DeliveryOutcome::Delivered { at: now }
            }
            Err((error, retry)) => {
                let wait = FIRST_RETRY_MS.saturating_mul(1 << d.attempts.clamp(0, 20));
                let alerted = d.payload["at"]
                    .as_str()
                    .and_then(|t| revline_core::time::parse_timestamp(t, chrono_tz::Tz::UTC).ok())
                    .unwrap_or(now);
                if retry && now + wait <= alerted + GIVE_UP_MS {
                    DeliveryOutcome::Retry {
                        next_at: now + wait,
                        error,
                    }
                } else {
                    DeliveryOutcome::Failed { at: now, error }
                }
            }
        };
        store.finish_delivery(&d.id, &outcome).await?;
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signature computed independently (Python's hmac module) for the same input.
    #[test]
    fn signatures_are_hmac_sha256_of_time_dot_body() {
        assert_eq!(
            signature("whsec_0123456789abcdef", 1_767_225_600, r#"{"id":"1-0"}"#),
            "t=1767225600,v1=2647e622d0ab268a6f7d767fff231ff5a23c34e1edc8275e924c484fa28209ec"
        );
    }

    #[test]
    fn private_and_loopback_addresses_are_told_apart() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.1.1",
            "::1",
            "fd00::1",
            "100.64.0.1",
        ] {
            assert!(private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(!private(ip.parse().unwrap()), "{ip}");
        }
    }

    /// Regression: a name that did not resolve (a DNS hiccup) gave the delivery up at
    /// once; it is retried. A private address is still refused for good.
    #[tokio::test]
    async fn an_unresolved_name_is_retried_a_private_address_is_not() {
        let (_, retry) = reachable("https://no-such-host.invalid/hook", false)
            .await
            .unwrap_err();
        assert!(retry);
        let (error, retry) = reachable("http://127.0.0.1:9/hook", false)
            .await
            .unwrap_err();
        assert!(!retry, "{error}");
        assert!(reachable("http://127.0.0.1:9/hook", true).await.is_ok());
    }
}
