//! The demo's calendar: instants as whole UTC seconds, the months of the history, and
//! working hours (people fill forms and sales reps call on weekdays).

use chrono::{Datelike, Months, NaiveDate};

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

/// Months of history before the end date.
pub const HISTORY_MONTHS: u32 = 30;
/// Months after the end that still get rows in the month table (billing dates,
/// targets for the coming quarter).
const FUTURE_MONTHS: u32 = 6;

/// The span of the demo history: from the first day of the month 30 months before the
/// end up to (not including) the end.
pub struct Timeline {
    pub start: i64,
    pub end: i64,
    /// First day of each month, seconds, from the start month on (includes future months).
    month_starts: Vec<i64>,
    /// (year, month) of each entry of `month_starts`.
    labels: Vec<(i32, u32)>,
    /// Months whose first day lies before the end.
    history: usize,
}

pub fn day_secs(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp()
}

/// Calendar date of an instant (UTC).
pub fn date_of(t: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(t.div_euclid(DAY) * DAY, 0)
        .expect("in range")
        .date_naive()
}

/// `YYYY-MM-DD` of an instant.
pub fn date_text(t: i64) -> String {
    let d = date_of(t);
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Day of the week, Monday = 0.
pub fn weekday(t: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (t.div_euclid(DAY) + 3).rem_euclid(7)
}

/// Moves an instant that falls on a weekend to the following Monday morning, keeping
/// its position in the morning hours (`u` in [0, 1) spreads it over 08:00-12:00).
pub fn next_workday(t: i64, u: f64) -> i64 {
    let wd = weekday(t);
    if wd < 5 {
        return t;
    }
    let monday = (t.div_euclid(DAY) + (7 - wd)) * DAY;
    monday + 8 * HOUR + (u * 4.0 * HOUR as f64) as i64
}

/// A working-hours instant on the day of `t`: 08:00-18:00 UTC.
pub fn at_office_hours(t: i64, u: f64) -> i64 {
    t.div_euclid(DAY) * DAY + 8 * HOUR + (u * 10.0 * HOUR as f64) as i64
}

pub fn days(d: f64) -> i64 {
    (d * DAY as f64) as i64
}

pub fn hours(h: f64) -> i64 {
    (h * HOUR as f64) as i64
}

impl Timeline {
    pub fn new(end: NaiveDate) -> Timeline {
        let first_of_end_month = end.with_day(1).expect("day 1 exists");
        let start_date = first_of_end_month - Months::new(HISTORY_MONTHS);
        let end_secs = day_secs(end);
        let mut month_starts = Vec::new();
        let mut labels = Vec::new();
        let mut history = 0;
        let mut d = start_date;
        loop {
            let s = day_secs(d);
            if s < end_secs {
                history += 1;
            } else if month_starts.len() >= history + FUTURE_MONTHS as usize {
                break;
            }
            month_starts.push(s);
            labels.push((d.year(), d.month()));
            d = d + Months::new(1);
        }
        Timeline {
            start: day_secs(start_date),
            end: end_secs,
            month_starts,
            labels,
            history,
        }
    }

    /// Months of history (their first day lies before the end).
    pub fn history_months(&self) -> usize {
        self.history
    }

    /// Months in the table, history and a few future ones.
    pub fn table_months(&self) -> usize {
        self.month_starts.len()
    }

    pub fn month_start(&self, m: usize) -> i64 {
        self.month_starts[m]
    }

    /// First instant after month `m` (the next month's start).
    pub fn month_end(&self, m: usize) -> i64 {
        match self.month_starts.get(m + 1) {
            Some(s) => *s,
            None => day_secs(
                NaiveDate::from_ymd_opt(self.labels[m].0, self.labels[m].1, 1).expect("valid")
                    + Months::new(1),
            ),
        }
    }

    /// (year, month) of month `m`.
    pub fn label(&self, m: usize) -> (i32, u32) {
        self.labels[m]
    }

    /// Index of the month holding `t` (clamped to the table).
    pub fn month_of(&self, t: i64) -> usize {
        self.month_starts
            .partition_point(|s| *s <= t)
            .saturating_sub(1)
    }

    /// Length of the history in seconds.
    pub fn span(&self) -> i64 {
        self.end - self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_months_ending_at_the_end() {
        let tl = Timeline::new(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(date_text(tl.start), "2024-05-01");
        assert_eq!(tl.history_months(), 30);
        assert_eq!(tl.label(29), (2026, 10));
        assert_eq!(tl.month_end(29), tl.end);
        assert_eq!(tl.month_of(tl.end - 1), 29);
        assert_eq!(tl.month_of(tl.start), 0);
        assert!(tl.table_months() >= 36);

        let mid = Timeline::new(NaiveDate::from_ymd_opt(2026, 11, 15).unwrap());
        assert_eq!(mid.history_months(), 31);
        assert_eq!(date_text(mid.start), "2024-05-01");
    }

    #[test]
    fn weekdays_and_office_hours() {
        let sat = day_secs(NaiveDate::from_ymd_opt(2026, 10, 31).unwrap()) + 10 * HOUR;
        assert_eq!(weekday(sat), 5);
        let moved = next_workday(sat, 0.0);
        assert_eq!(date_text(moved), "2026-11-02");
        assert_eq!(weekday(moved), 0);
        let tue = day_secs(NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()) + 22 * HOUR;
        assert_eq!(next_workday(tue, 0.5), tue);
        assert_eq!(at_office_hours(tue, 0.0) % DAY, 8 * HOUR);
    }
}
