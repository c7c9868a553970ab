//! Turning the text of one row into a validated, normalised `Record`, with a typed
//! reason for every field that is wrong. Shared by every importer and the HTTP API.

use crate::currency::Currency;
use crate::money::{DecimalStyle, Money, NumberError, parse_decimal};
use crate::normalize::{normalize_email, snake_case};
use crate::record::{Field, FieldType, Record, RecordKind, TARGET_METRICS, Value, derived_id};
use crate::settings::Settings;
use crate::time::{TimeError, parse_date, parse_timestamp, parse_timestamp_with_format};
use crate::warning::{FieldWarning, WarningReason, strip_control_characters};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Why a row (or one of its fields) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    MissingValue,
    MissingOneOf(&'static [&'static str]),
    BadDate(TimeError),
    BadAmount(NumberError),
    BadNumber(String),
    UnknownCurrency(String),
    BadChoice {
        value: String,
        allowed: &'static [&'static str],
    },
    BadEmail(String),
    OutOfRange {
        value: String,
        range: &'static str,
    },
    BadPeriod(String),
    BadMetric(String),
    EndBeforeStart,
    UnknownReference {
        kind: RecordKind,
        id: String,
    },
    DuplicateId {
        id: String,
    },
    FieldTooLarge {
        bytes: usize,
        limit: usize,
    },
    RaggedRow {
        expected: usize,
        found: usize,
    },
    Malformed(String),
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RejectReason::*;
        match self {
            MissingValue => write!(f, "missing value for a required column"),
            MissingOneOf(cols) => write!(f, "one of {} is required", cols.join(" / ")),
            BadDate(e) => write!(f, "bad date: {e}"),
            BadAmount(e) => write!(f, "bad amount: {e}"),
            BadNumber(v) => write!(f, "bad number: '{v}'"),
            UnknownCurrency(v) => write!(
                f,
                "unknown currency '{v}' (expected an ISO 4217 code such as USD, EUR, PLN)"
            ),
            BadChoice { value, allowed } => {
                write!(f, "'{value}' is not one of {}", allowed.join(", "))
            }
            BadEmail(v) => write!(f, "'{v}' is not an email address"),
            OutOfRange { value, range } => write!(f, "'{value}' is outside {range}"),
            BadPeriod(v) => write!(f, "'{v}' is not a period (2026, 2026-Q1 or 2026-03)"),
            BadMetric(v) => write!(
                f,
                "'{v}' is not a target metric ({}, or conversion:<from>-><to>)",
                TARGET_METRICS.join(", ")
            ),
            EndBeforeStart => write!(f, "ends before it starts"),
            UnknownReference { kind, id } => {
                write!(
                    f,
                    "unknown reference: no {} with id '{id}' (import it first or use --create-missing)",
                    kind_singular(*kind)
                )
            }
            DuplicateId { id } => {
                write!(f, "duplicate id '{id}': an earlier row of this file has it")
            }
            FieldTooLarge { bytes, limit } => {
                write!(f, "field of {bytes} bytes exceeds the limit of {limit}")
            }
            RaggedRow { expected, found } => {
                write!(f, "row has {found} fields, the header has {expected}")
            }
            Malformed(m) => write!(f, "{m}"),
        }
    }
}

/// A short stable code for scripts (`bad_date`, `unknown_reference`, ...).
impl RejectReason {
    pub fn code(&self) -> &'static str {
        use RejectReason::*;
        match self {
            MissingValue => "missing_value",
            MissingOneOf(_) => "missing_value",
            BadDate(_) => "bad_date",
            BadAmount(_) => "bad_amount",
            BadNumber(_) => "bad_number",
            UnknownCurrency(_) => "unknown_currency",
            BadChoice { .. } => "bad_choice",
            BadEmail(_) => "bad_email",
            OutOfRange { .. } => "out_of_range",
            BadPeriod(_) => "bad_period",
            BadMetric(_) => "bad_metric",
            EndBeforeStart => "end_before_start",
            UnknownReference { .. } => "unknown_reference",
            DuplicateId { .. } => "duplicate_id",
            FieldTooLarge { .. } => "field_too_large",
            RaggedRow { .. } => "ragged_row",
            Malformed(_) => "malformed",
        }
    }
}

fn kind_singular(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Accounts => "account",
        RecordKind::Contacts => "contact",
        RecordKind::Deals => "deal",
        _ => kind.name(),
    }
}

/// A refused field: the column it concerns and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub column: String,
    pub reason: RejectReason,
}

/// How the source writes its values.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    pub decimal: DecimalStyle,
    /// chrono formats per contract column, from an import mapping.
    pub date_formats: HashMap<String, String>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            decimal: DecimalStyle::Point,
            date_formats: HashMap::new(),
        }
    }
}

/// The text of one row: one entry per `kind.fields()` (None = column absent or empty),
/// plus the columns the contract does not name.
#[derive(Debug, Clone, Default)]
pub struct RowText<'a> {
    pub fields: Vec<Option<Cow<'a, str>>>,
    pub props: BTreeMap<String, String>,
}

impl<'a> RowText<'a> {
    /// A row from (column, text) pairs named as in the contract; pairs the contract
    /// does not name become custom properties.
    pub fn from_pairs(kind: RecordKind, pairs: &[(&str, &'a str)]) -> RowText<'a> {
        let fields = kind
            .fields()
            .iter()
            .map(|f| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == f.name)
                    .map(|(_, v)| Cow::Borrowed(*v))
            })
            .collect();
        let props = pairs
            .iter()
            .filter(|(n, _)| !kind.fields().iter().any(|f| f.name == *n))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        RowText { fields, props }
    }
}

/// Validates and normalises a row as the data contract says. All field errors are
/// reported, not just the first. The changes made to a row that lands (see
/// `parse_record_noting`) are not reported.
pub fn parse_record(
    kind: RecordKind,
    row: RowText<'_>,
    settings: &Settings,
    options: &ParseOptions,
) -> Result<Record, Vec<FieldError>> {
    parse_record_noting(kind, row, settings, options, &mut Vec::new())
}

/// `parse_record`, adding to `warnings` what the contract changed in a row that lands:
/// control characters removed from custom properties, amounts rounded to their
/// currency. Warnings of a rejected row are left out (its errors say enough).
pub fn parse_record_noting(
    kind: RecordKind,
    mut row: RowText<'_>,
    settings: &Settings,
    options: &ParseOptions,
    warnings: &mut Vec<FieldWarning>,
) -> Result<Record, Vec<FieldError>> {
    let fields = kind.fields();
    debug_assert_eq!(row.fields.len(), fields.len());
    let mut errors = Vec::new();
    let mut noted = Vec::new();
    // A NUL character is no text any store keeps (PostgreSQL refuses it); in a contract
    // column it means a binary or mis-encoded file.
    let nul = RejectReason::Malformed("contains a NUL character".into());
    for (field, value) in fields.iter().zip(&row.fields) {
        if value.as_deref().is_some_and(|v| v.contains('\0')) {
            errors.push(FieldError {
                column: field.name.to_string(),
                reason: nul.clone(),
            });
        }
    }
    // A custom property is free text from the source system (a CRM's notes field):
    // it never costs the row, it is cleaned.
    if row
        .props
        .iter()
        .any(|(k, v)| has_control_characters(k) || has_control_characters(v))
    {
        let props = std::mem::take(&mut row.props);
        for (key, value) in props {
            let (key, in_key) = strip_control_characters(&key);
            let (value, in_value) = strip_control_characters(&value);
            if in_key + in_value > 0 {
                noted.push(FieldWarning {
                    column: key.clone(),
                    reason: WarningReason::ControlCharactersRemoved {
                        count: in_key + in_value,
                    },
                });
            }
            row.props.insert(key, value);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = |i: usize| -> Option<&str> {
        row.fields[i]
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };

    // The row's currency decides how its amounts are read.
    let currency_index = fields.iter().position(|f| f.ty == FieldType::Currency);
    let mut currency = settings.currency;
    if let Some(i) = currency_index
        && let Some(code) = text(i)
    {
        match Currency::parse(code) {
            Some(c) => currency = c,
            None => errors.push(FieldError {
                column: fields[i].name.to_string(),
                reason: RejectReason::UnknownCurrency(code.to_string()),
            }),
        }
    }

    let mut id = None;
    let mut values = Vec::with_capacity(fields.len());
    for (i, field) in fields.iter().enumerate() {
        let value = match text(i) {
            None => {
                if field.required {
                    errors.push(FieldError {
                        column: field.name.to_string(),
                        reason: RejectReason::MissingValue,
                    });
                }
                // An amount's currency is always stored, so a report never has to guess.
                if field.ty == FieldType::Currency
                    && kind.columns().any(|c| c.ty == FieldType::Amount)
                {
                    Value::Text(currency.to_string())
                } else {
                    Value::Null
                }
            }
            Some(raw) => match convert(field, raw, currency, settings, options, &mut noted) {
                Ok(v) => v,
                Err(reason) => {
                    // The currency error was reported above.
                    if field.ty != FieldType::Currency {
                        errors.push(FieldError {
                            column: field.name.to_string(),
                            reason,
                        });
                    }
                    Value::Null
                }
            },
        };
        if Some(field.name) == kind.id_field() {
            id = value.as_text().map(str::to_string);
        } else {
            values.push(value);
        }
    }

    let mut record = Record {
        kind,
        id: String::new(),
        values,
        props: row.props,
    };
    apply_contract_rules(&mut record, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    record.id = id.unwrap_or_else(|| derive_id(&record));
    warnings.append(&mut noted);
    Ok(record)
}

/// The id of a row that has none: from its natural key, or from its whole content.
pub fn derive_id(record: &Record) -> String {
    match record.kind.natural_key() {
        Some(cols) => {
            let key: Vec<&Value> = cols.iter().map(|c| record.get(c)).collect();
            derived_id(record.kind, &key)
        }
        None => {
            let key: Vec<&Value> = record.values.iter().collect();
            derived_id(record.kind, &key)
        }
    }
}

fn convert(
    field: &Field,
    raw: &str,
    currency: Currency,
    settings: &Settings,
    options: &ParseOptions,
    warnings: &mut Vec<FieldWarning>,
) -> Result<Value, RejectReason> {
    Ok(match field.ty {
        FieldType::Id | FieldType::Text => Value::Text(raw.to_string()),
        FieldType::Email => Value::Text(
            normalize_email(raw).ok_or_else(|| RejectReason::BadEmail(raw.to_string()))?,
        ),
        FieldType::Name => {
            let name = snake_case(raw);
            if name.is_empty() {
                return Err(RejectReason::Malformed(format!(
                    "'{raw}' has no letters or digits"
                )));
            }
            Value::Text(name)
        }
        FieldType::Choice(allowed) => {
            let name = snake_case(raw);
            if !allowed.contains(&name.as_str()) {
                return Err(RejectReason::BadChoice {
                    value: raw.to_string(),
                    allowed,
                });
            }
            Value::Text(name)
        }
        FieldType::Timestamp => {
            let ms = match options.date_formats.get(field.name) {
                Some(fmt) => parse_timestamp_with_format(raw, fmt, settings.timezone),
                None => parse_timestamp(raw, settings.timezone),
            }
            .map_err(RejectReason::BadDate)?;
            Value::Int(ms)
        }
        FieldType::Date => {
            let date = match options.date_formats.get(field.name) {
                Some(fmt) => chrono::NaiveDate::parse_from_str(raw, fmt)
                    .map_err(|_| TimeError::FormatMismatch(raw.to_string(), fmt.clone()))
                    .and_then(|d| {
                        (1..=9999)
                            .contains(&chrono::Datelike::year(&d))
                            .then_some(d)
                            .ok_or_else(|| TimeError::OutOfRange(raw.to_string()))
                    }),
                None => parse_date(raw),
            }
            .map_err(RejectReason::BadDate)?;
            Value::Text(date.format("%Y-%m-%d").to_string())
        }
        FieldType::Amount => Value::Int(parse_amount(field, raw, currency, options, warnings)?),
        FieldType::Currency => Value::Text(
            Currency::parse(raw)
                .ok_or_else(|| RejectReason::UnknownCurrency(raw.to_string()))?
                .to_string(),
        ),
        FieldType::Decimal => Value::Text(canonical_decimal(parse_number(raw, options)?)),
        FieldType::Probability => {
            let (number, percent) = match raw.strip_suffix('%') {
                Some(n) => (n, true),
                None => (raw, false),
            };
            let mut p = parse_number(number, options)?;
            // CRMs write probabilities as percentages (Salesforce: 80).
            if percent || p > Decimal::ONE {
                p /= Decimal::from(100);
            }
            if p < Decimal::ZERO || p > Decimal::ONE {
                return Err(RejectReason::OutOfRange {
                    value: raw.to_string(),
                    range: "0..1 (or 0%..100%)",
                });
            }
            Value::Text(canonical_decimal(p))
        }
        FieldType::Csat => {
            let n = parse_number(raw, options)?;
            if n.fract() != Decimal::ZERO || n < Decimal::ONE || n > Decimal::from(5) {
                return Err(RejectReason::OutOfRange {
                    value: raw.to_string(),
                    range: "1..5",
                });
            }
            Value::Int(i64::try_from(n).expect("1..=5 fits"))
        }
        FieldType::Period => {
            Value::Text(parse_period(raw).ok_or_else(|| RejectReason::BadPeriod(raw.to_string()))?)
        }
        FieldType::Metric => {
            Value::Text(parse_metric(raw).ok_or_else(|| RejectReason::BadMetric(raw.to_string()))?)
        }
    })
}

/// An amount in minor units. More decimals than the currency has are rounded half to
/// even (banker's rounding, as accounting systems do) and noted, never refused.
fn parse_amount(
    field: &Field,
    raw: &str,
    currency: Currency,
    options: &ParseOptions,
    warnings: &mut Vec<FieldWarning>,
) -> Result<i64, RejectReason> {
    match Money::parse(raw, currency, options.decimal) {
        Ok(m) => Ok(m.minor),
        Err(NumberError::TooPrecise { .. }) => {
            let exact = parse_decimal(raw, options.decimal).map_err(RejectReason::BadAmount)?;
            let rounded = exact.round_dp_with_strategy(
                currency.exponent(),
                rust_decimal::RoundingStrategy::MidpointNearestEven,
            );
            let money = Money::from_decimal(rounded, currency).map_err(RejectReason::BadAmount)?;
            warnings.push(FieldWarning {
                column: field.name.to_string(),
                reason: WarningReason::AmountRounded {
                    from: raw.trim().to_string(),
                    to: money.to_decimal_string(),
                    currency: currency.to_string(),
                },
            });
            Ok(money.minor)
        }
        Err(e) => Err(RejectReason::BadAmount(e)),
    }
}

fn has_control_characters(text: &str) -> bool {
    strip_control_characters(text).1 > 0
}

fn parse_number(raw: &str, options: &ParseOptions) -> Result<Decimal, RejectReason> {
    parse_decimal(raw, options.decimal).map_err(|_| RejectReason::BadNumber(raw.to_string()))
}

/// `1.50` -> `1.5`, `2.000` -> `2`.
pub fn canonical_decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Normalises `2026`, `2026-q1`, `2026-03` (also `2026-3`).
pub fn parse_period(raw: &str) -> Option<String> {
    let s = raw.trim().to_ascii_uppercase();
    let year_ok = |y: &str| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit());
    match s.split_once('-') {
        None => year_ok(&s).then_some(s),
        Some((y, rest)) if year_ok(y) => {
            if let Some(q) = rest.strip_prefix('Q') {
                matches!(q, "1" | "2" | "3" | "4").then(|| format!("{y}-Q{q}"))
            } else {
                let m: u32 = rest.parse().ok()?;
                (1..=12).contains(&m).then(|| format!("{y}-{m:02}"))
            }
        }
        _ => None,
    }
}

fn parse_metric(raw: &str) -> Option<String> {
    let s = raw.trim();
    if let Some(step) = s.strip_prefix("conversion:") {
        let (from, to) = step.split_once("->")?;
        let (from, to) = (snake_case(from), snake_case(to));
        return (!from.is_empty() && !to.is_empty()).then(|| format!("conversion:{from}->{to}"));
    }
    let name = snake_case(s);
    TARGET_METRICS.contains(&name.as_str()).then_some(name)
}

/// Defaults and cross-field rules of the data contract.
/// A service or spend period ends on or after its first day.
fn check_period_order(record: &Record, errors: &mut Vec<FieldError>) {
    if let (Some(start), Some(end)) = (record.text("period_start"), record.text("period_end")) {
        // ISO dates compare correctly as text.
        if end < start {
            errors.push(FieldError {
                column: "period_end".into(),
                reason: RejectReason::EndBeforeStart,
            });
        }
    }
}

fn apply_contract_rules(record: &mut Record, errors: &mut Vec<FieldError>) {
    let kind = record.kind;
    let one_of = kind.one_of();
    if !one_of.is_empty() && one_of.iter().all(|c| record.get(c).is_null()) {
        errors.push(FieldError {
            column: one_of[0].to_string(),
            reason: RejectReason::MissingOneOf(one_of),
        });
    }
    match kind {
        RecordKind::Touchpoints => {
            if record.get("kind").is_null() {
                record.set("kind", Value::Text("other".into()));
            }
            if record.get("team").is_null() {
                let team = match record.text("kind").unwrap_or("other") {
                    "call" | "meeting" | "demo" => "sales",
                    "ticket" | "chat" => "service",
                    _ => "marketing",
                };
                record.set("team", Value::Text(team.into()));
            }
        }
        RecordKind::Revenue => {
            if record.get("kind").is_null() {
                record.set("kind", Value::Text("one_off".into()));
            }
            if record.text("kind") == Some("refund")
                && let Some(a) = record.int("amount")
            {
                record.set("amount", Value::Int(-a.abs()));
            }
            check_period_order(record, errors);
        }
        RecordKind::Spend => {
            if record.get("team").is_null() {
                record.set("team", Value::Text("marketing".into()));
            }
            check_period_order(record, errors);
        }
        RecordKind::Tickets => {
            let opened = record.int("opened_at");
            for col in ["first_response_at", "resolved_at"] {
                if let (Some(o), Some(t)) = (opened, record.int(col))
                    && t < o
                {
                    errors.push(FieldError {
                        column: col.into(),
                        reason: RejectReason::EndBeforeStart,
                    });
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(kind: RecordKind, pairs: &[(&str, &'a str)]) -> RowText<'a> {
        RowText::from_pairs(kind, pairs)
    }

    fn parse(kind: RecordKind, pairs: &[(&str, &str)]) -> Result<Record, Vec<FieldError>> {
        parse_record(
            kind,
            row(kind, pairs),
            &Settings::default(),
            &ParseOptions::default(),
        )
    }

    #[test]
    fn touchpoint_defaults_and_derived_id() {
        let r = parse(
            RecordKind::Touchpoints,
            &[
                ("contact_id", "c1"),
                ("occurred_at", "2026-03-01"),
                ("channel", "Paid Search"),
                ("kind", "Demo"),
            ],
        )
        .unwrap();
        assert_eq!(r.text("channel"), Some("paid_search"));
        assert_eq!(r.text("kind"), Some("demo"));
        assert_eq!(r.text("team"), Some("sales"));
        assert!(r.id.starts_with("tp_"));
        let again = parse(
            RecordKind::Touchpoints,
            &[
                ("contact_id", "c1"),
                ("occurred_at", "2026-03-01T00:00:00Z"),
                ("channel", "paid_search"),
                ("kind", "demo"),
            ],
        )
        .unwrap();
        assert_eq!(r.id, again.id, "same content, same id");
    }

    #[test]
    fn reports_every_bad_field() {
        let errs = parse(
            RecordKind::Deals,
            &[
                ("deal_id", "d1"),
                ("amount", "12,5"),
                ("currency", "EURO"),
                ("created_at", "soon"),
                ("status", "maybe"),
            ],
        )
        .unwrap_err();
        let codes: Vec<(&str, &str)> = errs
            .iter()
            .map(|e| (e.column.as_str(), e.reason.code()))
            .collect();
        assert!(
            codes.contains(&("currency", "unknown_currency")),
            "{codes:?}"
        );
        assert!(codes.contains(&("amount", "bad_amount")), "{codes:?}");
        assert!(codes.contains(&("created_at", "bad_date")), "{codes:?}");
        assert!(codes.contains(&("status", "bad_choice")), "{codes:?}");
        assert!(
            !codes.iter().any(|(c, _)| *c == "contact_id"),
            "a deal associated with nobody is allowed: {codes:?}"
        );
    }

    #[test]
    fn refunds_are_negative_and_currency_is_stored() {
        let r = parse(
            RecordKind::Revenue,
            &[
                ("contact_id", "c1"),
                ("occurred_at", "2026-01-01"),
                ("amount", "25.00"),
                ("kind", "refund"),
            ],
        )
        .unwrap();
        assert_eq!(r.int("amount"), Some(-2500));
        assert_eq!(r.text("currency"), Some("USD"));
        assert_eq!(r.text("kind"), Some("refund"));
    }

    #[test]
    fn amounts_follow_the_row_currency() {
        let r = parse(
            RecordKind::Revenue,
            &[
                ("account_id", "a"),
                ("occurred_at", "2026-01-01"),
                ("amount", "1500"),
                ("currency", "jpy"),
            ],
        )
        .unwrap();
        assert_eq!(
            (r.int("amount"), r.text("currency")),
            (Some(1500), Some("JPY"))
        );
    }

    #[test]
    fn targets_periods_and_metrics() {
        let r = parse(
            RecordKind::Targets,
            &[
                ("period", "2026-q1"),
                ("metric", "conversion:MQL->SQL"),
                ("value", "0.40"),
            ],
        )
        .unwrap();
        assert_eq!(r.text("period"), Some("2026-Q1"));
        assert_eq!(r.text("metric"), Some("conversion:mql->sql"));
        assert_eq!(r.text("value"), Some("0.4"));
        assert!(
            parse(
                RecordKind::Targets,
                &[("period", "2026-13"), ("metric", "revenue"), ("value", "1")]
            )
            .is_err()
        );
        assert!(
            parse(
                RecordKind::Targets,
                &[("period", "2026"), ("metric", "vibes"), ("value", "1")]
            )
            .is_err()
        );
        let a = parse(
            RecordKind::Targets,
            &[("period", "2026"), ("metric", "revenue"), ("value", "1")],
        )
        .unwrap();
        let b = parse(
            RecordKind::Targets,
            &[("period", "2026"), ("metric", "revenue"), ("value", "2")],
        )
        .unwrap();
        assert_eq!(a.id, b.id, "a changed target value updates the same target");
    }

    #[test]
    fn probabilities_and_csat() {
        let deal = |p| {
            parse(
                RecordKind::Deals,
                &[
                    ("deal_id", "d"),
                    ("contact_id", "c"),
                    ("created_at", "2026-01-01"),
                    ("status", "open"),
                    ("probability", p),
                ],
            )
        };
        assert_eq!(deal("0.8").unwrap().text("probability"), Some("0.8"));
        assert_eq!(deal("80%").unwrap().text("probability"), Some("0.8"));
        assert_eq!(deal("80").unwrap().text("probability"), Some("0.8"));
        assert!(deal("180").is_err());
        let ticket = |c| {
            parse(
                RecordKind::Tickets,
                &[
                    ("ticket_id", "t"),
                    ("account_id", "a"),
                    ("opened_at", "2026-01-01"),
                    ("csat", c),
                ],
            )
        };
        assert_eq!(ticket("4").unwrap().int("csat"), Some(4));
        assert!(ticket("6").is_err());
        assert!(ticket("3.5").is_err());
    }

    #[test]
    fn nul_characters_are_refused_in_contract_columns_and_removed_from_properties() {
        let errs = parse(RecordKind::Accounts, &[("account_id", "a\0b")]).unwrap_err();
        assert_eq!(
            (errs[0].column.as_str(), errs[0].reason.code()),
            ("account_id", "malformed")
        );
        let mut row = row(RecordKind::Accounts, &[("account_id", "a")]);
        row.props.insert(
            "ClosingPlan__c".into(),
            "call\0 back\u{b}\nthen sign".into(),
        );
        let mut warnings = Vec::new();
        let record = parse_record_noting(
            RecordKind::Accounts,
            row,
            &Settings::default(),
            &ParseOptions::default(),
            &mut warnings,
        )
        .unwrap();
        assert_eq!(record.props["ClosingPlan__c"], "call back\nthen sign");
        assert_eq!(
            warnings,
            vec![FieldWarning {
                column: "ClosingPlan__c".into(),
                reason: WarningReason::ControlCharactersRemoved { count: 2 }
            }]
        );
    }

    #[test]
    fn amounts_with_too_many_decimals_are_rounded_half_to_even() {
        let deal = |amount: &'static str, currency: &'static str| {
            let mut warnings = Vec::new();
            let record = parse_record_noting(
                RecordKind::Deals,
                row(
                    RecordKind::Deals,
                    &[
                        ("deal_id", "d"),
                        ("created_at", "2024-01-01"),
                        ("status", "open"),
                        ("amount", amount),
                        ("currency", currency),
                    ],
                ),
                &Settings::default(),
                &ParseOptions::default(),
                &mut warnings,
            )
            .unwrap();
            (record.int("amount").unwrap(), warnings)
        };
        // Half to even: .225 -> .22, .235 -> .24, .2251 -> .23 (not a tie).
        assert_eq!(deal("9225.225", "PEN").0, 922_522);
        assert_eq!(deal("9225.235", "PEN").0, 922_524);
        assert_eq!(deal("9225.2251", "PEN").0, 922_523);
        assert_eq!(deal("-0.005", "USD").0, 0);
        assert_eq!(deal("10.5", "JPY").0, 10);
        assert_eq!(deal("11.5", "JPY").0, 12);
        let (minor, warnings) = deal("9225.225", "PEN");
        assert_eq!(minor, 922_522);
        assert_eq!(warnings[0].column, "amount");
        assert_eq!(
            warnings[0].reason.to_string(),
            "amount '9225.225' has more decimals than PEN allows: rounded half to even to 9225.22"
        );
        assert!(
            deal("9225.20", "PEN").1.is_empty(),
            "trailing zeros are exact"
        );
    }

    #[test]
    fn spend_end_before_start() {
        let err = parse(
            RecordKind::Spend,
            &[
                ("period_start", "2026-03-10"),
                ("period_end", "2026-03-01"),
                ("channel", "x"),
                ("amount", "1"),
            ],
        )
        .unwrap_err();
        assert_eq!(err[0].reason, RejectReason::EndBeforeStart);
    }

    #[test]
    fn a_service_period_ends_on_or_after_its_start() {
        let ok = parse(
            RecordKind::Revenue,
            &[
                ("account_id", "a"),
                ("occurred_at", "2026-01-01"),
                ("amount", "12000"),
                ("kind", "recurring"),
                ("period_start", "2026-01-01"),
                ("period_end", "2026-12-31"),
            ],
        )
        .unwrap();
        assert_eq!(ok.text("period_end"), Some("2026-12-31"));
        let err = parse(
            RecordKind::Revenue,
            &[
                ("account_id", "a"),
                ("occurred_at", "2026-01-01"),
                ("amount", "12000"),
                ("kind", "recurring"),
                ("period_start", "2026-12-31"),
                ("period_end", "2026-01-01"),
            ],
        )
        .unwrap_err();
        assert_eq!(err[0].column, "period_end");
        assert_eq!(err[0].reason, RejectReason::EndBeforeStart);
    }
}
