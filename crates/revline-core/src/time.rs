//! Instants as UTC milliseconds, parsing of the timestamp forms the data contract
//! accepts, and the `Clock` that reports read "now" from (pinned in tests).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

pub const MILLIS_PER_DAY: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "'{0}' is not a date or date-time (expected ISO-8601, e.g. 2026-03-01 or 2026-03-01T09:30:00Z)"
    )]
    Unparsable(String),
    #[error("'{0}' does not match the date format '{1}'")]
    FormatMismatch(String, String),
    #[error("'{0}' does not exist in time zone {1} (daylight-saving gap)")]
    NonExistent(String, String),
    #[error("'{0}' is outside the years 0001 to 9999")]
    OutOfRange(String),
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: years outside are refused (a year
/// 0000 or a negative one is a typo, and PostgreSQL stores no year 0).
const EARLIEST: Millis = -62_135_596_800_000;
const LATEST: Millis = 253_402_300_799_999;

fn in_range(parsed: Result<Millis, TimeError>, input: &str) -> Result<Millis, TimeError> {
    match parsed {
        Ok(ms) if !(EARLIEST..=LATEST).contains(&ms) => {
            Err(TimeError::OutOfRange(input.trim().to_string()))
        }
        other => other,
    }
}

/// Parses an ISO-8601 date or date-time. Without an offset the value is read in `zone`;
/// a date alone means midnight in `zone`. A space may stand for the `T` (as most
/// spreadsheet and database exports write it).
pub fn parse_timestamp(input: &str, zone: Tz) -> Result<Millis, TimeError> {
    in_range(parse_any_timestamp(input, zone), input)
}

fn parse_any_timestamp(input: &str, zone: Tz) -> Result<Millis, TimeError> {
    let s = input.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.timestamp_millis());
    }
    let with_t = if s.len() > 10 && s.as_bytes()[10] == b' ' {
        format!("{}T{}", &s[..10], &s[11..])
    } else {
        s.to_string()
    };
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(&with_t, fmt) {
            return Ok(dt.timestamp_millis());
        }
    }
    if let Some(rest) = with_t.strip_suffix('Z') {
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(rest, fmt) {
                return Ok(naive.and_utc().timestamp_millis());
            }
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&with_t, fmt) {
            return local_to_utc(naive, zone, s);
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return local_to_utc(date.and_time(NaiveTime::MIN), zone, s);
    }
    Err(TimeError::Unparsable(s.to_string()))
}

/// Parses with an explicit chrono format (from an import mapping). Formats without a
/// time part give midnight; formats without an offset are read in `zone`.
pub fn parse_timestamp_with_format(
    input: &str,
    format: &str,
    zone: Tz,
) -> Result<Millis, TimeError> {
    in_range(parse_with_format(input, format, zone), input)
}

fn parse_with_format(input: &str, format: &str, zone: Tz) -> Result<Millis, TimeError> {
    let s = input.trim();
    let mismatch = || TimeError::FormatMismatch(s.to_string(), format.to_string());
    if let Ok(dt) = DateTime::parse_from_str(s, format) {
        return Ok(dt.timestamp_millis());
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(s, format) {
        return local_to_utc(naive, zone, s);
    }
    let date = NaiveDate::parse_from_str(s, format).map_err(|_| mismatch())?;
    local_to_utc(date.and_time(NaiveTime::MIN), zone, s)
}

/// Parses a calendar date (`2026-03-01`), as used for periods and rates.
pub fn parse_date(input: &str) -> Result<NaiveDate, TimeError> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| {
            // A date-time whose time is midnight is still a date (spreadsheets add it).
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
                .ok()
                .filter(|dt| dt.time() == NaiveTime::MIN)
                .map(|dt| dt.date())
                .ok_or(())
        })
        .map_err(|_| TimeError::Unparsable(s.to_string()))
        .and_then(|d| {
            if (1..=9999).contains(&chrono::Datelike::year(&d)) {
                Ok(d)
            } else {
                Err(TimeError::OutOfRange(s.to_string()))
            }
        })
}

fn local_to_utc(naive: NaiveDateTime, zone: Tz, input: &str) -> Result<Millis, TimeError> {
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(dt) => Ok(dt.timestamp_millis()),
        // In the repeated hour of a DST change the earlier reading is taken.
        LocalResult::Ambiguous(first, _) => Ok(first.timestamp_millis()),
        LocalResult::None => Err(TimeError::NonExistent(
            input.to_string(),
            zone.name().to_string(),
        )),
    }
}

/// Canonical text of an instant: `2026-03-01T09:30:00Z`, with milliseconds only when present.
pub fn format_timestamp(ms: Millis) -> String {
    let dt = Utc
        .timestamp_millis_opt(ms)
        .single()
        .expect("millis in chrono's range");
    if ms.rem_euclid(1000) == 0 {
        dt.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

/// Where reports read "now" from; tests and `--as-of` pin it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Millis;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        Utc::now().timestamp_millis()
    }
}

/// A clock that always reads the same instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Millis);

impl Clock for FixedClock {
    fn now(&self) -> Millis {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Millis {
        parse_timestamp(s, Tz::UTC).unwrap()
    }

    /// Years 0000 and -0001 were accepted, and PostgreSQL then refused the batch.
    #[test]
    fn years_outside_0001_to_9999_are_refused() {
        for input in [
            "0000-01-01",
            "-0001-06-01T00:00:00Z",
            "+10000-01-01T00:00:00Z",
        ] {
            assert!(parse_timestamp(input, Tz::UTC).is_err(), "{input} accepted");
        }
        assert!(matches!(
            parse_timestamp("0000-12-31T23:59:59Z", Tz::UTC),
            Err(TimeError::OutOfRange(_))
        ));
        assert!(parse_date("0000-03-01").is_err());
        assert_eq!(utc("0001-01-01T00:00:00Z"), EARLIEST);
        assert_eq!(utc("9999-12-31T23:59:59.999Z"), LATEST);
        assert!(parse_timestamp_with_format("01/01/0000", "%d/%m/%Y", Tz::UTC).is_err());
    }

    #[test]
    fn accepts_the_contract_forms() {
        assert_eq!(utc("1970-01-02"), MILLIS_PER_DAY);
        assert_eq!(utc("1970-01-01T00:00:01Z"), 1000);
        assert_eq!(utc("1970-01-01T01:00:00+01:00"), 0);
        assert_eq!(utc("1970-01-01 00:00:02"), 2000);
        assert_eq!(utc("1970-01-01T00:00:00.250Z"), 250);
        assert_eq!(utc("1970-01-01T00:01"), 60_000);
    }

    #[test]
    fn reads_offsetless_times_in_the_workspace_zone() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        let winter = parse_timestamp("2026-01-15T10:00:00", warsaw).unwrap();
        assert_eq!(winter, utc("2026-01-15T09:00:00Z"));
        let date = parse_timestamp("2026-07-01", warsaw).unwrap();
        assert_eq!(date, utc("2026-06-30T22:00:00Z"));
        assert!(matches!(
            parse_timestamp("2026-03-29T02:30:00", warsaw),
            Err(TimeError::NonExistent(..))
        ));
    }

    #[test]
    fn rejects_non_dates() {
        assert!(parse_timestamp("yesterday", Tz::UTC).is_err());
        assert!(parse_timestamp("2026-13-01", Tz::UTC).is_err());
        assert!(parse_timestamp("", Tz::UTC).is_err());
    }

    #[test]
    fn explicit_formats() {
        let ms = parse_timestamp_with_format("01.03.2026", "%d.%m.%Y", Tz::UTC).unwrap();
        assert_eq!(ms, utc("2026-03-01"));
        let ms = parse_timestamp_with_format("19970101", "%Y%m%d", Tz::UTC).unwrap();
        assert_eq!(ms, utc("1997-01-01"));
        assert!(parse_timestamp_with_format("2026-03-01", "%d.%m.%Y", Tz::UTC).is_err());
    }

    #[test]
    fn formats_round_trip() {
        for s in [
            "2026-03-01T09:30:00Z",
            "2026-03-01T09:30:00.125Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(format_timestamp(utc(s)), s);
        }
    }
}
