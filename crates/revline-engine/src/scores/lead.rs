//! What the model reads of a lead: its attributes and touches as known at its cut (the
//! lead entry plus a day), taken from the snapshot once, so that the layout, training
//! and scoring read the same facts whether the leads come from one process or from
//! every contact shard of a cluster.

use super::{DAY, ScoresQuery, matured};
use crate::shard::Owned;
use crate::snapshot::{NEVER, NONE, Snapshot, Team};
use revline_core::Millis;
use serde::{Deserialize, Serialize};

/// When a contact became a lead: its entry into the first stage, else its creation.
pub(crate) fn lead_entry(s: &Snapshot, c: usize) -> Option<Millis> {
    let k = s.stages.len();
    let first = s.entered[c * k];
    if first != NEVER {
        Some(first)
    } else if s.contact.loaded[c] && s.contact.created_at[c] != NEVER {
        Some(s.contact.created_at[c])
    } else {
        None
    }
}

/// One categorical attribute of a lead, as known at its cut.
type Attribute = fn(&Snapshot, usize, Millis) -> u32;

fn account_of(s: &Snapshot, c: usize) -> Option<usize> {
    let a = s.contact.account[c];
    (a != NONE).then_some(a as usize)
}

/// The fixed categorical attributes: account firmographics, the contact's source, and
/// the channel of its first touch up to the cut.
const FIXED: [(&str, Attribute); 4] = [
    ("segment", |s, c, _| {
        account_of(s, c).map_or(NONE, |a| s.accounts.segment[a])
    }),
    ("country", |s, c, _| {
        account_of(s, c).map_or(NONE, |a| s.accounts.country[a])
    }),
    ("source", |s, c, _| s.contact.source[c]),
    ("first_touch_channel", |s, c, cut| {
        let t = &s.touchpoints;
        s.touches_of(c)
            .filter(|&i| t.at[i] <= cut)
            .min_by_key(|&i| t.at[i])
            .map_or(NONE, |i| t.channel[i])
    }),
];

/// Where a descriptive column comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column {
    Fixed(&'static str, Attribute),
    /// A contact attribute (title, a custom property), by key number.
    Contact(usize),
    /// An account attribute (industry, a custom property), by key number.
    Account(usize),
}

impl Column {
    /// Every column the snapshot describes leads by.
    pub(crate) fn all(s: &Snapshot) -> Vec<Column> {
        let mut out: Vec<Column> = FIXED.iter().map(|&(n, f)| Column::Fixed(n, f)).collect();
        out.extend((0..s.contact.attributes.keys.len()).map(Column::Contact));
        out.extend((0..s.accounts.attributes.keys.len()).map(Column::Account));
        out
    }

    /// Its name, and whether it is one of the fixed columns (kept even when no lead
    /// has a value).
    fn named(self, s: &Snapshot) -> ColumnName {
        let name = match self {
            Column::Fixed(name, _) => name.to_string(),
            Column::Contact(k) => s.contact.attributes.keys[k].clone(),
            Column::Account(k) => match s.accounts.attributes.keys[k].as_str() {
                "industry" => "industry".to_string(),
                key => format!("account.{key}"),
            },
        };
        ColumnName {
            name,
            fixed: matches!(self, Column::Fixed(..)),
        }
    }

    /// Attributes are as last imported: the firmographics and properties a CRM
    /// export gives, read as known at the lead's entry.
    fn value(self, s: &Snapshot, c: usize, cut: Millis) -> u32 {
        match self {
            Column::Fixed(_, f) => f(s, c, cut),
            Column::Contact(k) => s.contact.attributes.get(k, c),
            Column::Account(k) => {
                account_of(s, c).map_or(NONE, |a| s.accounts.attributes.get(k, a))
            }
        }
    }
}

/// A column as the layout sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnName {
    pub name: String,
    pub fixed: bool,
}

/// One lead as the model reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    /// The contact's index in the workspace: leads are learned from in this order.
    pub contact: u32,
    pub id: String,
    pub entry: Millis,
    /// When the contact was created, else the lead entry.
    pub created: Millis,
    /// One value (a name id, `NONE` for none) per column, as known at the cut.
    pub values: Vec<u32>,
    /// The touches up to the cut: how many of each channel (by channel id), of each
    /// team, in all, and the last one's time.
    pub channels: Vec<(u32, u32)>,
    pub touches: u32,
    pub marketing: u32,
    pub sales: u32,
    pub last_touch: Option<Millis>,
    /// When it entered the target stage and the MQL stage (`NEVER`: not yet).
    pub target_at: Millis,
    pub mql_at: Millis,
}

impl Lead {
    /// The cut: what is known of a lead is known by its first day's end.
    pub fn cut(&self) -> Millis {
        self.entry + DAY
    }

    /// Contact `c` of `s` as a lead (`None` when it never became one); `owned` gives
    /// its index in the workspace.
    pub(crate) fn of(
        s: &Snapshot,
        columns: &[Column],
        stages: Stages,
        c: usize,
        owned: Owned<'_>,
    ) -> Option<Lead> {
        let entry = lead_entry(s, c)?;
        let cut = entry + DAY;
        let t = &s.touchpoints;
        let mut channels: Vec<(u32, u32)> = Vec::new();
        let (mut touches, mut marketing, mut sales, mut last_touch) = (0, 0, 0, None);
        for i in s.touches_of(c).filter(|&i| t.at[i] <= cut) {
            match channels.binary_search_by_key(&t.channel[i], |e| e.0) {
                Ok(at) => channels[at].1 += 1,
                Err(at) => channels.insert(at, (t.channel[i], 1)),
            }
            touches += 1;
            marketing += u32::from(t.team[i] == Team::Marketing);
            sales += u32::from(t.team[i] == Team::Sales);
            last_touch = last_touch.max(Some(t.at[i]));
        }
        let k = s.stages.len();
        Some(Lead {
            contact: owned.global(c as u32),
            id: s.contact_ids[c].clone(),
            entry,
            created: match s.contact.created_at.get(c) {
                Some(&t) if t != NEVER => t,
                _ => entry,
            },
            values: columns.iter().map(|col| col.value(s, c, cut)).collect(),
            channels,
            touches,
            marketing,
            sales,
            last_touch,
            target_at: s.entered[c * k + stages.target],
            mql_at: s.entered[c * k + stages.mql],
        })
    }
}

/// When the newest lead was created (its contact's creation, else its lead entry, as
/// `Lead::created`): the scores page opens on the last quarter with leads.
pub fn newest_lead_created(s: &Snapshot) -> Option<Millis> {
    (0..s.contacts())
        .filter_map(|c| {
            let entry = lead_entry(s, c)?;
            Some(match s.contact.created_at.get(c) {
                Some(&t) if t != NEVER => t,
                _ => entry,
            })
        })
        .max()
}

/// The stages a lead's times are read at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stages {
    pub target: usize,
    pub mql: usize,
}

/// The leads one computation holds that the report reads (those it trains on, scores
/// or sets the threshold by), in contact order, and its count of SQL entries in the
/// threshold's months.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadsPartial {
    pub columns: Vec<ColumnName>,
    pub leads: Vec<Lead>,
    pub entered_sql: u64,
}

impl LeadsPartial {
    /// Another shard's leads after these (the client sorts them by contact).
    pub fn merge(mut self, other: LeadsPartial) -> LeadsPartial {
        if self.columns.is_empty() {
            self.columns = other.columns;
        }
        self.leads.extend(other.leads);
        self.entered_sql += other.entered_sql;
        self
    }
}

/// The leads of `s` the scores report of `q` reads.
pub fn leads(s: &Snapshot, q: &ScoresQuery, owned: Owned<'_>) -> LeadsPartial {
    let windows = crate::threshold::Windows::of(s, q);
    let only: Option<std::collections::HashSet<&str>> = q
        .contacts
        .as_ref()
        .map(|ids| ids.iter().map(String::as_str).collect());
    let k = s.stages.len();
    let mut entered_sql = 0;
    let mut partial = leads_where(s, q, owned, |c, lead| {
        entered_sql += u64::from(windows.measures_sql(s.entered[c * k + windows.sql]));
        let lead = lead?;
        let trained_on = lead.entry <= q.train_as_of && matured(lead, q, q.train_as_of).is_some();
        let in_period = lead.created >= q.from && lead.created < q.to;
        let listed = only
            .as_ref()
            .is_some_and(|ids| ids.contains(lead.id.as_str()));
        Some(trained_on || in_period || listed || windows.reads(lead.entry))
    });
    partial.entered_sql = entered_sql;
    partial
}

/// Every lead of `s`, whatever its period: the score bands place them all.
pub fn every_lead(s: &Snapshot, q: &ScoresQuery, owned: Owned<'_>) -> LeadsPartial {
    leads_where(s, q, owned, |_, lead| lead.map(|_| true))
}

/// The leads of `s` that `keep` keeps, in contact order; `keep` sees every contact,
/// with its lead when it became one.
fn leads_where(
    s: &Snapshot,
    q: &ScoresQuery,
    owned: Owned<'_>,
    mut keep: impl FnMut(usize, Option<&Lead>) -> Option<bool>,
) -> LeadsPartial {
    let columns = Column::all(s);
    let stages = Stages {
        target: q.target,
        mql: crate::threshold::mql_stage(s),
    };
    let mut leads = Vec::new();
    for c in 0..s.contacts() {
        let lead = Lead::of(s, &columns, stages, c, owned);
        if keep(c, lead.as_ref()) == Some(true) {
            leads.extend(lead);
        }
    }
    LeadsPartial {
        columns: columns.iter().map(|c| c.named(s)).collect(),
        leads,
        entered_sql: 0,
    }
}
