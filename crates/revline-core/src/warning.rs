//! Changes the data contract makes to a row that still lands: the row is kept, and the
//! import summary says what was changed (data-contract.md, "General rules").

use std::fmt;

/// Why a landed row differs from its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningReason {
    /// NUL or other control characters were removed from a custom property.
    ControlCharactersRemoved { count: usize },
    /// An amount with more decimals than its currency has was rounded half to even.
    AmountRounded {
        from: String,
        to: String,
        currency: String,
    },
    /// A value of a list column (`a;b;c`) of which only the first feeds the field; the
    /// whole list stays on the record as a custom property.
    FirstOfSeveral { count: usize, kept_as: String },
}

impl WarningReason {
    /// A short stable code for scripts and grouping.
    pub fn code(&self) -> &'static str {
        match self {
            WarningReason::ControlCharactersRemoved { .. } => "control_characters_removed",
            WarningReason::AmountRounded { .. } => "amount_rounded",
            WarningReason::FirstOfSeveral { .. } => "first_of_several",
        }
    }
}

impl fmt::Display for WarningReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningReason::ControlCharactersRemoved { count } => write!(
                f,
                "{count} control character{} (NUL, ...) removed from a custom property",
                if *count == 1 { "" } else { "s" }
            ),
            WarningReason::AmountRounded { from, to, currency } => write!(
                f,
                "amount '{from}' has more decimals than {currency} allows: rounded half to even to {to}"
            ),
            WarningReason::FirstOfSeveral { count, kept_as } => write!(
                f,
                "{count} ids given: the first is used, all are kept in property '{kept_as}'"
            ),
        }
    }
}

/// A landed row's change: the column it concerns and what was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldWarning {
    pub column: String,
    pub reason: WarningReason,
}

/// Control characters no text column should hold. Tab, line feed and carriage return
/// are kept: free-text notes legitimately span lines.
fn is_unwanted_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The text without NUL and other control characters, and how many were removed.
pub fn strip_control_characters(text: &str) -> (String, usize) {
    let removed = text.chars().filter(|c| is_unwanted_control(*c)).count();
    if removed == 0 {
        return (text.to_string(), 0);
    }
    (
        text.chars().filter(|c| !is_unwanted_control(*c)).collect(),
        removed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_nul_and_controls_but_keeps_line_breaks() {
        assert_eq!(
            strip_control_characters("plan\0 A\u{b}\u{7f}\nnext\tstep\r"),
            ("plan A\nnext\tstep\r".to_string(), 3)
        );
        assert_eq!(strip_control_characters("clean"), ("clean".to_string(), 0));
    }
}
