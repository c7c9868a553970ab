//! Money as integer minor units of one currency, and the exact decimal parsing that
//! turns a spreadsheet cell into it.

use crate::currency::Currency;
use rust_decimal::Decimal;
use std::str::FromStr;

/// An amount in minor units (cents for USD) of one currency. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

/// How decimal numbers are written in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalStyle {
    /// `1234.50`
    #[default]
    Point,
    /// `1 234,50` or `1.234,50` (Polish and German spreadsheets)
    Comma,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{0}' is written with a decimal comma: import with --decimal-comma")]
    DecimalComma(String),
    #[error("'{input}' has more decimals than {currency} allows ({exponent})")]
    TooPrecise {
        input: String,
        currency: Currency,
        exponent: u32,
    },
    #[error("'{0}' is too large")]
    TooLarge(String),
}

/// Parses a decimal number exactly, honouring the file's decimal style.
pub fn parse_decimal(input: &str, style: DecimalStyle) -> Result<Decimal, NumberError> {
    let trimmed = input.trim();
    let cleaned: String = match style {
        DecimalStyle::Point => {
            if trimmed.contains(',') {
                return Err(NumberError::DecimalComma(trimmed.to_string()));
            }
            trimmed.to_string()
        }
        DecimalStyle::Comma => {
            let no_spaces: String = trimmed
                .chars()
                .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
                .collect();
            if no_spaces.contains(',') {
                // A point before the comma is a thousands separator (`1.234,50`); a point
                // after it means the number is written the other way (`10,000.00`).
                if no_spaces.rfind('.') > no_spaces.rfind(',') || no_spaces.matches(',').count() > 1
                {
                    return Err(NumberError::NotANumber(trimmed.to_string()));
                }
                no_spaces.replace('.', "").replace(',', ".")
            } else {
                no_spaces
            }
        }
    };
    let unsigned = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    let valid = !unsigned.is_empty()
        && unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E');
    if !valid {
        return Err(NumberError::NotANumber(trimmed.to_string()));
    }
    Decimal::from_str(unsigned)
        .or_else(|_| Decimal::from_scientific(unsigned))
        .map_err(|_| NumberError::NotANumber(trimmed.to_string()))
}

impl Money {
    /// Parses an amount written as a decimal string into minor units of `currency`.
    /// Digits beyond the currency's minor unit are accepted only when they are zeros,
    /// so no amount is ever rounded silently.
    pub fn parse(
        input: &str,
        currency: Currency,
        style: DecimalStyle,
    ) -> Result<Money, NumberError> {
        let value = parse_decimal(input, style)?;
        Money::from_decimal(value, currency).map_err(|e| match e {
            NumberError::TooPrecise {
                currency, exponent, ..
            } => NumberError::TooPrecise {
                input: input.trim().to_string(),
                currency,
                exponent,
            },
            NumberError::TooLarge(_) => NumberError::TooLarge(input.trim().to_string()),
            other => other,
        })
    }

    pub fn from_decimal(value: Decimal, currency: Currency) -> Result<Money, NumberError> {
        let exponent = currency.exponent();
        let scaled = value
            .checked_mul(Decimal::from(10i64.pow(exponent)))
            .ok_or_else(|| NumberError::TooLarge(value.to_string()))?;
        if scaled.fract() != Decimal::ZERO {
            return Err(NumberError::TooPrecise {
                input: value.to_string(),
                currency,
                exponent,
            });
        }
        let minor =
            i64::try_from(scaled.trunc()).map_err(|_| NumberError::TooLarge(value.to_string()))?;
        Ok(Money { minor, currency })
    }

    /// The canonical decimal string: `1234.50`, `-3.00`, `1500` for JPY.
    pub fn to_decimal_string(&self) -> String {
        format_minor(self.minor, self.currency.exponent())
    }
}

/// Formats minor units with a fixed number of decimals.
pub fn format_minor(minor: i64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(exponent);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = exponent as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Result<i64, NumberError> {
        Money::parse(s, Currency::USD, DecimalStyle::Point).map(|m| m.minor)
    }

    #[test]
    fn parses_decimal_strings_exactly() {
        assert_eq!(usd("1234.50"), Ok(123450));
        assert_eq!(usd("-12"), Ok(-1200));
        assert_eq!(usd("+0.1"), Ok(10));
        assert_eq!(usd("0.10000"), Ok(10));
        assert_eq!(usd(" 7 "), Ok(700));
    }

    #[test]
    fn never_rounds_silently() {
        assert!(matches!(usd("1.005"), Err(NumberError::TooPrecise { .. })));
        let jpy = Currency::parse("JPY").unwrap();
        assert!(Money::parse("10.5", jpy, DecimalStyle::Point).is_err());
        assert_eq!(
            Money::parse("10", jpy, DecimalStyle::Point).unwrap().minor,
            10
        );
    }

    #[test]
    fn decimal_comma_needs_the_flag() {
        assert!(matches!(usd("1,5"), Err(NumberError::DecimalComma(_))));
        let pln = Currency::parse("PLN").unwrap();
        let parse = |s| Money::parse(s, pln, DecimalStyle::Comma).unwrap().minor;
        assert_eq!(parse("1 234,50"), 123450);
        assert_eq!(parse("1\u{a0}234,5"), 123450);
        assert_eq!(parse("1.234,50"), 123450);
        assert_eq!(parse("-0,99"), -99);
        assert_eq!(parse("12"), 1200);
        assert!(
            Money::parse("10,000.00", pln, DecimalStyle::Comma).is_err(),
            "never read as 10.00"
        );
        assert!(Money::parse("1,000,000", pln, DecimalStyle::Comma).is_err());
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(usd("abc"), Err(NumberError::NotANumber(_))));
        assert!(matches!(usd(""), Err(NumberError::NotANumber(_))));
        assert!(matches!(usd("$12"), Err(NumberError::NotANumber(_))));
        assert!(matches!(
            usd("99999999999999999999"),
            Err(NumberError::TooLarge(_))
        ));
    }

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_minor(123450, 2), "1234.50");
        assert_eq!(format_minor(-5, 2), "-0.05");
        assert_eq!(format_minor(1500, 0), "1500");
        assert_eq!(format_minor(1, 3), "0.001");
    }
}
