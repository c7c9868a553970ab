//! Calendar arithmetic in the workspace time zone (metrics.md "Periods and comparisons"):
//! which period a range is, the one it is compared with, the named periods people pick
//! (this month, last 12 months, ...) and the days of the calendar. The one place where
//! months are added, so that the command line, the API and the web app agree.

use crate::window::Window;
use chrono::{Datelike, Months, NaiveDate, TimeZone};
use chrono_tz::Tz;
use revline_core::Millis;
use serde::Serialize;

/// What the previous period's figures cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The whole previous period: the current one is finished.
    Full,
    /// The same span of the previous period as has elapsed of the current one.
    ToDate,
}

impl Basis {
    pub fn name(self) -> &'static str {
        match self {
            Basis::Full => "full",
            Basis::ToDate => "to_date",
        }
    }
}

/// How a range steps back to the period it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Whole calendar months (a month, a quarter, a year, the last 12 months).
    Months(u32),
    /// Whole ISO weeks, Monday to Monday.
    Weeks(u32),
    /// Any other range: the range of equal length that ends where it starts.
    Millis(i64),
}

/// The local calendar date of an instant.
pub fn date_of(zone: Tz, t: Millis) -> NaiveDate {
    zone.timestamp_millis_opt(t)
        .single()
        .or_else(|| zone.timestamp_millis_opt(t).earliest())
        .map_or(NaiveDate::MIN, |d| d.date_naive())
}

/// Whether `t` is the start of its local day.
fn is_midnight(zone: Tz, t: Millis) -> bool {
    day_start(zone, date_of(zone, t)) == t
}

/// The first day of the month of `d`.
pub fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("every month has a first day")
}

/// `d` moved by `n` calendar months (a day the month lacks, such as 31 June, becomes the
/// month's last day).
pub fn add_months(d: NaiveDate, n: i32) -> NaiveDate {
    let moved = if n >= 0 {
        d.checked_add_months(Months::new(n as u32))
    } else {
        d.checked_sub_months(Months::new(n.unsigned_abs()))
    };
    moved.unwrap_or(d)
}

/// 00:00 of `date` in `zone` (the earlier reading where midnight repeats; the first
/// existing instant where it is skipped).
pub fn day_start(zone: Tz, date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    match zone.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.timestamp_millis()
        }
        chrono::LocalResult::None => zone
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map_or(0, |t| t.timestamp_millis()),
    }
}

// ---------------------------------------------------------------- months as numbers

/// Months since year 0 of the local calendar month containing `t`.
pub fn month_index(zone: Tz, t: i64) -> i32 {
    let d = zone
        .timestamp_millis_opt(t)
        .single()
        .expect("millis in range")
        .date_naive();
    d.year() * 12 + d.month0() as i32
}

pub fn month_label(index: i32) -> String {
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

/// The first day of a month given by `month_index`.
pub fn month_date(m: i32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1)
}

/// The instants that bound a target period (`2026`, `2026-Q1`, `2026-03`) in `zone`.
pub fn period_bounds(period: &str, zone: Tz) -> Option<(i64, i64)> {
    let (year, rest) = match period.split_once('-') {
        Some((y, r)) => (y.parse::<i32>().ok()?, Some(r)),
        None => (period.parse::<i32>().ok()?, None),
    };
    let (first, months) = match rest {
        None => (1, 12),
        Some(q) if q.starts_with('Q') => (3 * (q[1..].parse::<u32>().ok()? - 1) + 1, 3),
        Some(m) => (m.parse::<u32>().ok()?, 1),
    };
    let start = NaiveDate::from_ymd_opt(year, first, 1)?;
    let end = start.checked_add_months(chrono::Months::new(months))?;
    Some((day_start(zone, start), day_start(zone, end)))
}

/// Start of the calendar month containing `t`, in `zone`.
pub fn month_start(zone: Tz, t: i64) -> NaiveDate {
    let local = zone
        .timestamp_millis_opt(t)
        .single()
        .expect("millis in range")
        .date_naive();
    NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&local),
        chrono::Datelike::month(&local),
        1,
    )
    .expect("first of month")
}

/// Whole months from `a` to `b` when both are first days of a month.
fn whole_months(a: NaiveDate, b: NaiveDate) -> Option<u32> {
    if a.day() != 1 || b.day() != 1 || b <= a {
        return None;
    }
    let n = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32;
    u32::try_from(n).ok().filter(|&n| n > 0)
}

/// How the range [from, to) steps back in `zone`.
pub fn step(zone: Tz, from: Millis, to: Millis) -> Step {
    if is_midnight(zone, from) && is_midnight(zone, to) {
        let (a, b) = (date_of(zone, from), date_of(zone, to));
        if let Some(n) = whole_months(a, b) {
            return Step::Months(n);
        }
        let days = (b - a).num_days();
        if a.weekday() == chrono::Weekday::Mon && days > 0 && days % 7 == 0 {
            return Step::Weeks((days / 7) as u32);
        }
    }
    Step::Millis(to - from)
}

/// `t` moved back by one step, keeping its local time of day.
fn back(zone: Tz, t: Millis, step: Step) -> Millis {
    let months = match step {
        Step::Millis(len) => return t - len,
        Step::Weeks(n) => return shift_days(zone, t, -7 * i64::from(n)),
        Step::Months(n) => n,
    };
    let d = date_of(zone, t);
    let offset = t - day_start(zone, d);
    day_start(zone, add_months(d, -(months as i32))) + offset
}

fn shift_days(zone: Tz, t: Millis, days: i64) -> Millis {
    let d = date_of(zone, t);
    let offset = t - day_start(zone, d);
    day_start(zone, d + chrono::Duration::days(days)) + offset
}

/// The period a report's figures are compared with, and on what basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparison {
    /// The previous period; its `as_of` is the instant up to which it is counted.
    pub window: Window,
    pub basis: Basis,
}

/// The period just before `w` (the same calendar unit, else the same length), counted
/// to the same point when `w` is unfinished at its as-of time.
pub fn previous(zone: Tz, w: &Window) -> Comparison {
    let step = step(zone, w.from, w.to);
    let from = back(zone, w.from, step);
    if w.as_of >= w.to {
        return Comparison {
            window: Window {
                from,
                to: w.from,
                as_of: w.as_of,
            },
            basis: Basis::Full,
        };
    }
    // The same span of the previous period: as much as has elapsed of this one.
    let as_of = if w.as_of < w.from {
        from - 1
    } else {
        back(zone, w.as_of, step).clamp(from - 1, w.from - 1)
    };
    Comparison {
        window: Window {
            from,
            to: w.from,
            as_of,
        },
        basis: Basis::ToDate,
    }
}

/// The range a named period covers around `as_of` (metrics.md): `this_month`,
/// `this_quarter` and `this_year` hold the as-of instant (counted to date by the
/// reports); `last_month`, `last_quarter` and `last_12_months` are whole months before
/// the as-of month.
pub fn named_period(zone: Tz, name: &str, as_of: Millis) -> Option<(NaiveDate, NaiveDate)> {
    let today = date_of(zone, as_of);
    let month = first_of_month(today);
    let quarter = NaiveDate::from_ymd_opt(today.year(), (today.month() - 1) / 3 * 3 + 1, 1)?;
    let year = NaiveDate::from_ymd_opt(today.year(), 1, 1)?;
    Some(match name {
        "this_month" => (month, add_months(month, 1)),
        "last_month" => (add_months(month, -1), month),
        "this_quarter" => (quarter, add_months(quarter, 3)),
        "last_quarter" => (add_months(quarter, -3), quarter),
        "this_year" => (year, add_months(year, 12)),
        "last_12_months" => (add_months(month, -12), month),
        _ => return None,
    })
}

/// The default period of every report but the plan: the 12 whole calendar months before
/// the as-of month.
pub fn default_period(zone: Tz, as_of: Millis) -> (Millis, Millis) {
    let (a, b) = named_period(zone, "last_12_months", as_of).expect("a known name");
    (day_start(zone, a), day_start(zone, b))
}

/// The "now" reports and pages open on: the clock, unless the workspace's newest record
/// is older than the default period's start (a workspace whose data ended years ago).
/// Then it is just after that record, so that the default period is the last one
/// with data and "this month" is the month the data ends in, counted to date.
pub fn reporting_now(zone: Tz, now: Millis, newest: Option<Millis>) -> Millis {
    match newest {
        Some(t) if t < default_period(zone, now).0 => t + 1,
        _ => now,
    }
}

/// The "now" a page of one quarter's records opens on (lead scores: the leads created
/// in the last whole quarter): `opening`, unless the newest such record (`newest`) is
/// older than that quarter; then the start of the quarter after the record's, so that
/// "last quarter" is the last one with any. A workspace whose leads stopped while its
/// deals and revenue went on would otherwise open on a quarter without a lead.
pub fn quarter_now(zone: Tz, opening: Millis, newest: Option<Millis>) -> Millis {
    let Some(t) = newest else { return opening };
    let (last_quarter, _) = named_period(zone, "last_quarter", opening).expect("a known name");
    if t >= day_start(zone, last_quarter) {
        return opening;
    }
    let (_, after) = named_period(zone, "this_quarter", t).expect("a known name");
    day_start(zone, after)
}

/// The calendar year holding `as_of`: the plan's default period.
pub fn year_of(zone: Tz, as_of: Millis) -> (Millis, Millis) {
    let (a, b) = named_period(zone, "this_year", as_of).expect("a known name");
    (day_start(zone, a), day_start(zone, b))
}

/// Days from 1970-01-01 of a local date: a compact day number for daily figures.
pub fn day_number(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

/// The local date of a day number.
pub fn day_date(n: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(i64::from(n))
}

/// The day number of the local day holding `t`.
pub fn day_of(zone: Tz, t: Millis) -> i32 {
    day_number(date_of(zone, t))
}

/// The last day of the month of `d`.
pub fn last_of_month(d: NaiveDate) -> NaiveDate {
    add_months(first_of_month(d), 1).pred_opt().unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Millis {
        revline_core::time::parse_timestamp(text, Tz::UTC).unwrap()
    }

    fn w(from: &str, to: &str, as_of: &str) -> Window {
        Window {
            from: at(from),
            to: at(to),
            as_of: at(as_of),
        }
    }

    #[test]
    fn a_quarter_page_opens_on_the_last_quarter_with_records() {
        let now = at("2018-11-14T18:04:19Z");
        // Leads stopped in May 2018, deals went on: open on April to June.
        let opened = quarter_now(Tz::UTC, now, Some(at("2018-05-31T12:00:00Z")));
        assert_eq!(opened, at("2018-07-01"));
        assert_eq!(
            named_period(Tz::UTC, "last_quarter", opened),
            named_period(Tz::UTC, "this_quarter", at("2018-05-31T12:00:00Z"))
        );
        // A lead in the last whole quarter, or in this one, or none: as opened.
        for newest in [Some(at("2018-07-01")), Some(at("2018-11-01")), None] {
            assert_eq!(quarter_now(Tz::UTC, now, newest), now);
        }
    }

    #[test]
    fn a_quarter_is_compared_with_the_quarter_before() {
        let c = previous(Tz::UTC, &w("2024-07-01", "2024-10-01", "2024-12-01"));
        assert_eq!(
            (c.window.from, c.window.to),
            (at("2024-04-01"), at("2024-07-01"))
        );
        assert_eq!(c.basis, Basis::Full);
    }

    #[test]
    fn march_is_compared_with_february() {
        let c = previous(Tz::UTC, &w("2026-03-01", "2026-04-01", "2026-05-01"));
        assert_eq!(
            (c.window.from, c.window.to),
            (at("2026-02-01"), at("2026-03-01"))
        );
    }

    #[test]
    fn an_unfinished_quarter_is_compared_to_date() {
        let c = previous(
            Tz::UTC,
            &w("2024-10-01", "2025-01-01", "2024-11-15T00:00:00Z"),
        );
        assert_eq!(c.basis, Basis::ToDate);
        assert_eq!(c.window.from, at("2024-07-01"));
        assert_eq!(c.window.as_of, at("2024-08-15T00:00:00Z"));
        assert_eq!(c.window.end(), at("2024-08-15T00:00:00Z") + 1);
    }

    #[test]
    fn a_day_the_month_lacks_becomes_its_last_day() {
        let c = previous(
            Tz::UTC,
            &w("2026-07-01", "2026-08-01", "2026-07-31T12:00:00Z"),
        );
        assert_eq!(c.window.as_of, at("2026-06-30T12:00:00Z"));
    }

    #[test]
    fn other_ranges_step_back_by_their_length() {
        let c = previous(Tz::UTC, &w("2026-03-05", "2026-03-15", "2026-04-01"));
        assert_eq!(
            (c.window.from, c.window.to),
            (at("2026-02-23"), at("2026-03-05"))
        );
        let week = previous(Tz::UTC, &w("2026-11-30", "2026-12-07", "2027-01-01"));
        assert_eq!(week.window.from, at("2026-11-23"));
    }

    #[test]
    fn last_12_months_are_whole_months_before_the_as_of_month() {
        let (a, b) = named_period(Tz::UTC, "last_12_months", at("2026-12-03T10:00:00Z")).unwrap();
        assert_eq!(
            (a.to_string(), b.to_string()),
            ("2025-12-01".into(), "2026-12-01".into())
        );
        let c = previous(
            Tz::UTC,
            &Window {
                from: day_start(Tz::UTC, a),
                to: day_start(Tz::UTC, b),
                as_of: at("2026-12-03"),
            },
        );
        assert_eq!(c.window.from, at("2024-12-01"));
    }
}
