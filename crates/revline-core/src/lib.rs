//! Domain types of Revline: the records of the data contract, money in minor units,
//! instants, workspace settings, and the parsing of external values into them.
//! No IO lives here.

pub mod currency;
pub mod money;
pub mod normalize;
pub mod parse;
pub mod record;
pub mod settings;
pub mod time;
pub mod url;
pub mod warning;

pub use currency::Currency;
pub use money::{DecimalStyle, Money};
pub use parse::{
    FieldError, ParseOptions, RejectReason, RowText, parse_record, parse_record_noting,
};
pub use record::{
    Cell, Field, FieldType, Fields, PROPS, Record, RecordKind, RowBatch, RowView, Value,
};
pub use settings::Settings;
pub use time::{Clock, FixedClock, Millis, SystemClock};
pub use warning::{FieldWarning, WarningReason};
