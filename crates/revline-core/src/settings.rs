//! Workspace settings (data-contract.md, "Workspace settings").

use crate::currency::Currency;
use crate::normalize::snake_case;
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub currency: Currency,
    pub timezone: Tz,
    /// The funnel, first stage first.
    pub stages: Vec<String>,
    pub sla_hours: f64,
    pub gross_margin: f64,
    pub lookback_days: u32,
    /// The language alerts and the digest are written in: `en` or `pl` (each reader of
    /// the web app chooses their own).
    pub language: String,
    /// How often the digest goes out: `weekly` (Monday 08:00 in `timezone`), `daily`
    /// (08:00) or `off`.
    pub digest: String,
    /// Who the digest is emailed to.
    pub digest_to: Vec<String>,
}

/// The digest's schedules.
pub const DIGEST_SCHEDULES: [&str; 3] = ["weekly", "daily", "off"];

/// The languages the workspace can write alerts and digests in.
pub const LANGUAGES: [&str; 2] = ["en", "pl"];

pub const DEFAULT_STAGES: [&str; 5] = ["lead", "mql", "sql", "opportunity", "customer"];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            currency: Currency::USD,
            timezone: Tz::UTC,
            stages: DEFAULT_STAGES.iter().map(|s| s.to_string()).collect(),
            sla_hours: 24.0,
            gross_margin: 1.0,
            lookback_days: 180,
            language: "en".into(),
            digest: "weekly".into(),
            digest_to: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "unknown setting '{0}' (known: currency, timezone, stages, sla_hours, gross_margin, lookback_days, language, digest, digest_to)"
    )]
    UnknownKey(String),
    #[error("{key}: {message}")]
    BadValue { key: String, message: String },
    #[error("settings.toml: {0}")]
    Toml(String),
}

fn bad(key: &str, message: impl Into<String>) -> SettingsError {
    SettingsError::BadValue {
        key: key.to_string(),
        message: message.into(),
    }
}

impl Settings {
    pub const KEYS: [&'static str; 9] = [
        "currency",
        "timezone",
        "stages",
        "sla_hours",
        "gross_margin",
        "lookback_days",
        "language",
        "digest",
        "digest_to",
    ];

    /// Each setting as text, in `KEYS` order (stages comma-separated).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("currency", self.currency.to_string()),
            ("timezone", self.timezone.name().to_string()),
            ("stages", self.stages.join(",")),
            ("sla_hours", self.sla_hours.to_string()),
            ("gross_margin", self.gross_margin.to_string()),
            ("lookback_days", self.lookback_days.to_string()),
            ("language", self.language.clone()),
            ("digest", self.digest.clone()),
            ("digest_to", self.digest_to.join(",")),
        ]
    }

    /// Sets one setting from its text form, validating it.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingsError> {
        let value = value.trim();
        match key.trim() {
            "currency" => {
                self.currency = Currency::parse(value).ok_or_else(|| {
                    bad(key, format!("'{value}' is not an ISO 4217 currency code"))
                })?
            }
            "timezone" => {
                self.timezone = value
                    .parse::<Tz>()
                    .map_err(|_| bad(key, format!("'{value}' is not an IANA time zone")))?
            }
            "stages" => {
                let stages: Vec<String> = value
                    .split(',')
                    .map(snake_case)
                    .filter(|s| !s.is_empty())
                    .collect();
                if stages.len() < 2 {
                    return Err(bad(key, "a funnel needs at least two stages"));
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(dup) = stages.iter().find(|s| !seen.insert(s.as_str())) {
                    return Err(bad(key, format!("stage '{dup}' is listed twice")));
                }
                self.stages = stages;
            }
            "sla_hours" => {
                let h: f64 = value
                    .parse()
                    .map_err(|_| bad(key, format!("'{value}' is not a number")))?;
                if !(h > 0.0 && h.is_finite()) {
                    return Err(bad(key, "must be a positive number of hours"));
                }
                self.sla_hours = h;
            }
            "gross_margin" => {
                let m: f64 = value
                    .parse()
                    .map_err(|_| bad(key, format!("'{value}' is not a number")))?;
                if !(m > 0.0 && m <= 1.0) {
                    return Err(bad(key, "must be a share in (0, 1]"));
                }
                self.gross_margin = m;
            }
            "lookback_days" => {
                let d: u32 = value
                    .parse()
                    .map_err(|_| bad(key, format!("'{value}' is not a whole number of days")))?;
                if d == 0 {
                    return Err(bad(key, "must be at least one day"));
                }
                self.lookback_days = d;
            }
            "language" => {
                let lang = value.to_ascii_lowercase();
                if !LANGUAGES.contains(&lang.as_str()) {
                    return Err(bad(key, format!("one of {}", LANGUAGES.join(", "))));
                }
                self.language = lang;
            }
            "digest" => {
                let schedule = value.to_ascii_lowercase();
                if !DIGEST_SCHEDULES.contains(&schedule.as_str()) {
                    return Err(bad(key, format!("one of {}", DIGEST_SCHEDULES.join(", "))));
                }
                self.digest = schedule;
            }
            "digest_to" => {
                let mut to = Vec::new();
                for address in value
                    .split([',', ';', ' '])
                    .filter(|a| !a.trim().is_empty())
                {
                    let email = crate::normalize::normalize_email(address).ok_or_else(|| {
                        bad(key, format!("'{}' is not an email address", address.trim()))
                    })?;
                    to.push(email);
                }
                self.digest_to = to;
            }
            other => return Err(SettingsError::UnknownKey(other.to_string())),
        }
        Ok(())
    }

    /// Applies a `settings.toml` on top of these settings.
    pub fn apply_toml(&mut self, text: &str) -> Result<(), SettingsError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| SettingsError::Toml(e.to_string()))?;
        for (key, value) in table {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| bad(&key, "expected a list of names"))
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .join(","),
                other => return Err(bad(&key, format!("unsupported value {other}"))),
            };
            self.set(&key, &text)?;
        }
        Ok(())
    }

    /// The settings as `settings.toml` text.
    pub fn to_toml(&self) -> String {
        let stages: Vec<String> = self.stages.iter().map(|s| format!("\"{s}\"")).collect();
        format!(
            "currency = \"{}\"\ntimezone = \"{}\"\nstages = [{}]\nsla_hours = {}\ngross_margin = {}\nlookback_days = {}\nlanguage = \"{}\"\ndigest = \"{}\"\ndigest_to = [{}]\n",
            self.currency,
            self.timezone.name(),
            stages.join(", "),
            self.sla_hours,
            self.gross_margin,
            self.lookback_days,
            self.language,
            self.digest,
            self.digest_to
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_pairs_and_toml() {
        let mut s = Settings::default();
        s.set("currency", "pln").unwrap();
        s.set("timezone", "Europe/Warsaw").unwrap();
        s.set("stages", "Lead, MQL, SQL, Opportunity, Customer, Renewal")
            .unwrap();
        s.set("sla_hours", "4.5").unwrap();
        s.set("language", "PL").unwrap();
        s.set("digest", "daily").unwrap();
        s.set("digest_to", "Ann@Example.com, bob@example.com")
            .unwrap();
        assert_eq!(s.digest_to, ["ann@example.com", "bob@example.com"]);
        assert_eq!(s.language, "pl");
        let mut t = Settings::default();
        for (k, v) in s.to_pairs() {
            t.set(k, &v).unwrap();
        }
        assert_eq!(s, t);
        let mut u = Settings::default();
        u.apply_toml(&s.to_toml()).unwrap();
        assert_eq!(s, u);
        assert_eq!(s.stages.last().unwrap(), "renewal");
    }

    #[test]
    fn rejects_bad_values() {
        let mut s = Settings::default();
        assert!(s.set("currency", "EURO").is_err());
        assert!(s.set("timezone", "Mars/Olympus").is_err());
        assert!(s.set("stages", "lead").is_err());
        assert!(s.set("stages", "lead,mql,Lead").is_err());
        assert!(s.set("sla_hours", "-1").is_err());
        assert!(matches!(
            s.set("colour", "red"),
            Err(SettingsError::UnknownKey(_))
        ));
        assert_eq!(s, Settings::default());
    }
}
