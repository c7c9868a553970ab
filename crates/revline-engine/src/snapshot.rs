//! The in-memory columnar snapshot of a workspace that reports read: one row per contact
//! with the instant it entered each funnel stage (explicit or implied, metrics.md "The
//! revenue chain"), built by streaming records in. No IO: the caller feeds records.

use revline_core::{Record, RecordKind, Settings};
use std::collections::HashMap;

/// Marks a stage that was never entered.
pub const NEVER: i64 = i64::MAX;

/// Contacts and the instants they entered each funnel stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The funnel, first stage first.
    pub stages: Vec<String>,
    pub contact_ids: Vec<String>,
    /// `contacts x stages`, row-major: when each contact entered each stage, or `NEVER`.
    pub entered: Vec<i64>,
    /// `contacts x stages`: stage rows that came after a later stage had been entered.
    pub rework: Vec<u32>,
}

impl Snapshot {
    pub fn contacts(&self) -> usize {
        self.contact_ids.len()
    }

    /// The entry instants of contact `c`, one per stage.
    pub fn entered_row(&self, c: usize) -> &[i64] {
        let k = self.stages.len();
        &self.entered[c * k..(c + 1) * k]
    }

    pub fn rework_row(&self, c: usize) -> &[u32] {
        let k = self.stages.len();
        &self.rework[c * k..(c + 1) * k]
    }
}

/// Collects the records that place contacts in the funnel.
pub struct SnapshotBuilder {
    stages: Vec<String>,
    index: HashMap<String, u32>,
    contact_ids: Vec<String>,
    /// Earliest event per (contact, stage), before implications.
    first: Vec<i64>,
    /// Every explicit stage row, for rework counts.
    rows: Vec<(u32, u16, i64)>,
    lead: Option<u16>,
    opportunity: Option<u16>,
    customer: Option<u16>,
}

impl SnapshotBuilder {
    /// The records and columns `add` reads; a loader need fetch nothing else.
    pub const INPUTS: &'static [(RecordKind, &'static [&'static str])] = &[
        (RecordKind::Contacts, &["created_at"]),
        (RecordKind::Stages, &["contact_id", "stage", "occurred_at"]),
        (
            RecordKind::Deals,
            &["contact_id", "created_at", "closed_at", "status"],
        ),
        (
            RecordKind::Revenue,
            &["contact_id", "occurred_at", "amount"],
        ),
    ];

    pub fn new(settings: &Settings) -> SnapshotBuilder {
        let stages = settings.stages.clone();
        let at = |name: &str| stages.iter().position(|s| s == name).map(|i| i as u16);
        SnapshotBuilder {
            lead: at("lead").or(Some(0)),
            opportunity: at("opportunity"),
            customer: at("customer"),
            stages,
            index: HashMap::new(),
            contact_ids: Vec::new(),
            first: Vec::new(),
            rows: Vec::new(),
        }
    }

    fn contact(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.contact_ids.len() as u32;
        self.index.insert(id.to_string(), i);
        self.contact_ids.push(id.to_string());
        self.first
            .extend(std::iter::repeat_n(NEVER, self.stages.len()));
        i
    }

    fn enter(&mut self, contact: &str, stage: Option<u16>, at: Option<i64>) {
        let (Some(stage), Some(at)) = (stage, at) else {
            return;
        };
        let c = self.contact(contact) as usize;
        let cell = &mut self.first[c * self.stages.len() + stage as usize];
        *cell = (*cell).min(at);
    }

    /// Takes any record; kinds that do not place contacts in the funnel are ignored.
    pub fn add(&mut self, record: &Record) {
        match record.kind {
            RecordKind::Contacts => {
                // Creating a contact enters the first stage.
                self.enter(&record.id, self.lead, record.int("created_at"));
            }
            RecordKind::Stages => {
                let (Some(contact), Some(name), Some(at)) = (
                    record.text("contact_id"),
                    record.text("stage"),
                    record.int("occurred_at"),
                ) else {
                    return;
                };
                if let Some(stage) = self.stages.iter().position(|s| s == name) {
                    let c = self.contact(contact);
                    self.rows.push((c, stage as u16, at));
                    self.enter(contact, Some(stage as u16), Some(at));
                }
            }
            RecordKind::Deals => {
                let Some(contact) = record.text("contact_id").map(str::to_string) else {
                    return;
                };
                self.enter(&contact, self.opportunity, record.int("created_at"));
                if record.text("status") == Some("won") {
                    self.enter(&contact, self.customer, record.int("closed_at"));
                }
            }
            RecordKind::Revenue => {
                let Some(contact) = record.text("contact_id").map(str::to_string) else {
                    return;
                };
                if record.int("amount").is_some_and(|a| a > 0) {
                    self.enter(&contact, self.customer, record.int("occurred_at"));
                }
            }
            _ => {}
        }
    }

    /// Applies the implications (a later stage implies every earlier one at its
    /// instant) and counts rework.
    pub fn build(self) -> Snapshot {
        let k = self.stages.len();
        let mut entered = self.first;
        for row in entered.chunks_mut(k) {
            // Walking back from the last stage, each stage is entered no later than any
            // stage after it.
            let mut later = NEVER;
            for t in row.iter_mut().rev() {
                later = later.min(*t);
                *t = later;
            }
        }
        let mut rework = vec![0u32; entered.len()];
        for (c, stage, at) in self.rows {
            let row = &entered[c as usize * k..(c as usize + 1) * k];
            let later_entry = row[stage as usize + 1..]
                .iter()
                .copied()
                .min()
                .unwrap_or(NEVER);
            if at > later_entry {
                rework[c as usize * k + stage as usize] += 1;
            }
        }
        Snapshot {
            stages: self.stages,
            contact_ids: self.contact_ids,
            entered,
            rework,
        }
    }
}
