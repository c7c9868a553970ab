//! Building contract records exactly as `revline_core::parse_record` would produce
//! them from their canonical text, and handing them to the caller's sink.

use revline_core::{Record, RecordKind, Value};
use std::collections::BTreeMap;

/// The workspace currency of the demo; every amount is in its minor units (cents).
pub const CURRENCY: &str = "USD";

pub fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// An instant in whole seconds as the stored UTC milliseconds.
pub fn instant(secs: i64) -> Value {
    Value::Int(secs * 1000)
}

pub fn opt_instant(secs: Option<i64>) -> Value {
    secs.map_or(Value::Null, instant)
}

pub fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

/// A record of `kind` with every column empty, to be filled with `Record::set`.
pub fn blank(kind: RecordKind, columns: usize) -> Record {
    Record {
        kind,
        id: String::new(),
        values: vec![Value::Null; columns],
        props: BTreeMap::new(),
    }
}

/// The id `parse_record` gives a row of a kind without an id of its own.
pub use revline_core::parse::derive_id;

/// The sink and the counters that number the records with ids of their own.
pub struct Out<'s> {
    sink: &'s mut dyn FnMut(Record),
    columns: [usize; RecordKind::ALL.len()],
    touchpoints: u64,
    deals: u64,
    revenue: u64,
    tickets: u64,
}

/// One touchpoint.
pub struct Touch<'a> {
    pub contact_id: &'a str,
    pub at: i64,
    pub channel: &'a str,
    pub campaign: Option<&'a str>,
    pub kind: &'a str,
    pub team: &'a str,
    pub cost: Option<i64>,
}

/// One revenue movement; `amount` in cents with its final sign.
pub struct Movement<'a> {
    pub account_id: Option<&'a str>,
    pub contact_id: Option<&'a str>,
    pub deal_id: Option<&'a str>,
    pub at: i64,
    pub amount: i64,
    pub kind: &'a str,
    /// The service period a subscription payment covers (first and last day); `None`
    /// for a monthly payment (one month from `at`) and for other kinds.
    pub period: Option<(i64, i64)>,
}

impl<'s> Out<'s> {
    pub fn new(sink: &'s mut dyn FnMut(Record)) -> Out<'s> {
        let mut columns = [0; RecordKind::ALL.len()];
        for kind in RecordKind::ALL {
            columns[kind as usize] = kind.columns().count();
        }
        Out {
            sink,
            columns,
            touchpoints: 0,
            deals: 0,
            revenue: 0,
            tickets: 0,
        }
    }

    pub fn blank(&self, kind: RecordKind) -> Record {
        blank(kind, self.columns[kind as usize])
    }

    /// Sends a record that already has its id.
    pub fn send(&mut self, record: Record) {
        (self.sink)(record)
    }

    /// Sends a record of a kind without an id field, deriving the id as an import would.
    pub fn send_derived(&mut self, mut record: Record) {
        record.id = derive_id(&record);
        (self.sink)(record)
    }

    pub fn next_deal_id(&mut self) -> String {
        self.deals += 1;
        format!("deal-{:07}", self.deals)
    }

    pub fn touch(&mut self, t: &Touch<'_>) {
        self.touchpoints += 1;
        let mut r = self.blank(RecordKind::Touchpoints);
        r.id = format!("tp-{:09}", self.touchpoints);
        r.set("contact_id", text(t.contact_id));
        r.set("occurred_at", instant(t.at));
        r.set("channel", text(t.channel));
        r.set("campaign", opt_text(t.campaign));
        r.set("kind", text(t.kind));
        r.set("team", text(t.team));
        r.set("cost", t.cost.map_or(Value::Null, Value::Int));
        self.send(r);
    }

    pub fn stage(&mut self, contact_id: &str, stage: &str, at: i64) {
        let mut r = self.blank(RecordKind::Stages);
        r.set("contact_id", text(contact_id));
        r.set("stage", text(stage));
        r.set("occurred_at", instant(at));
        self.send_derived(r);
    }

    pub fn deal_stage(&mut self, deal_id: &str, stage: &str, at: i64) {
        let mut r = self.blank(RecordKind::DealStages);
        r.set("deal_id", text(deal_id));
        r.set("stage", text(stage));
        r.set("occurred_at", instant(at));
        self.send_derived(r);
    }

    pub fn revenue(&mut self, m: &Movement<'_>) {
        self.revenue += 1;
        let mut r = self.blank(RecordKind::Revenue);
        r.id = format!("rev-{:08}", self.revenue);
        r.set("account_id", opt_text(m.account_id));
        r.set("contact_id", opt_text(m.contact_id));
        r.set("deal_id", opt_text(m.deal_id));
        r.set("occurred_at", instant(m.at));
        r.set("amount", Value::Int(m.amount));
        r.set("currency", text(CURRENCY));
        r.set("kind", text(m.kind));
        if let Some((first, last)) = m.period {
            r.set("period_start", Value::Text(crate::clock::date_text(first)));
            r.set("period_end", Value::Text(crate::clock::date_text(last)));
        }
        self.send(r);
    }

    pub fn next_ticket_id(&mut self) -> String {
        self.tickets += 1;
        format!("tk-{:07}", self.tickets)
    }
}

/// A decimal number as `canonical_decimal` writes it: no trailing zeros after the
/// point, no point when nothing follows it.
pub fn decimal_text(value: f64, decimals: usize) -> String {
    let mut s = format!("{value:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_canonical() {
        assert_eq!(decimal_text(0.45, 2), "0.45");
        assert_eq!(decimal_text(0.5, 2), "0.5");
        assert_eq!(decimal_text(1.0, 4), "1");
        assert_eq!(decimal_text(1.08426, 4), "1.0843");
        assert_eq!(decimal_text(120_000.0, 0), "120000");
        assert_eq!(decimal_text(-0.0001, 2), "0");
    }
}
