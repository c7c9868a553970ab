//! The in-memory columnar snapshot of a workspace that reports read, built by streaming
//! records in. One struct of arrays per record kind, with references resolved to
//! indices, names interned, instants as UTC milliseconds and money as `i64` minor units
//! of the workspace currency (converted with `fx_rates` where a rate is known; rows
//! without a rate are left out and listed in `unconverted`). Per contact it also fixes
//! the instant each funnel stage was entered, explicit or implied (metrics.md "The
//! revenue chain"). No IO: the caller feeds records.

use crate::calendar::{day_start, period_bounds};
use crate::id_index::{IdIndex, LazyIdIndex, hash_id};
pub use crate::touches::{Team, Touchpoints};
use crate::touches::{Touch, group_touches};
use chrono::NaiveDate;
use chrono_tz::Tz;
use revline_core::{Currency, Fields, PROPS, RecordKind, Settings};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::{BTreeMap, HashMap};

/// Maps keyed by ids and names: millions of lookups while a snapshot is built, where
/// std's DoS-resistant SipHash costs more than it protects (the data is the user's own).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::str::FromStr;

/// Marks an instant that never happened (a stage never entered, a deal not closed).
pub const NEVER: i64 = i64::MAX;
/// Marks a missing reference or name.
pub const NONE: u32 = u32::MAX;

/// Interned names (channels, campaigns, owners, segments, ...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    list: Vec<String>,
    index: FastMap<String, u32>,
}

impl Names {
    /// The score bands first: names a breakdown can show and a filter can name, at the
    /// same ids however a snapshot was built.
    fn with_score_bands() -> Names {
        let mut names = Names::default();
        for (band, _) in crate::bands::SCORE_BANDS {
            names.intern(band);
        }
        names
    }

    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    fn opt(&mut self, name: Option<&str>) -> u32 {
        match name {
            Some(n) if !n.is_empty() => self.intern(n),
            _ => NONE,
        }
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// The name of `i`; `(none)` for `NONE`.
    pub fn name(&self, i: u32) -> &str {
        if i == NONE {
            "(none)"
        } else {
            &self.list[i as usize]
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every name, by id.
    pub fn list(&self) -> &[String] {
        &self.list
    }

    /// Names with the ids of `list` (as `list` read back from a snapshot file).
    pub fn from_list(list: Vec<String>) -> Names {
        let index = list
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        Names { list, index }
    }
}

/// An id as a map key. Ids of up to 22 bytes (most CRM and export ids) are kept inside
/// the map's entry: finding one of 10M touchpoints' contacts among a million then costs
/// one cache miss, not a second one to follow a pointer to the id's text.
#[derive(Debug, Clone)]
enum IdKey {
    Inline { len: u8, bytes: [u8; 22] },
    Heap(Box<[u8]>),
}

impl IdKey {
    fn new(id: &str) -> IdKey {
        let b = id.as_bytes();
        if b.len() <= 22 {
            let mut bytes = [0u8; 22];
            bytes[..b.len()].copy_from_slice(b);
            IdKey::Inline {
                len: b.len() as u8,
                bytes,
            }
        } else {
            IdKey::Heap(b.into())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            IdKey::Inline { len, bytes } => &bytes[..*len as usize],
            IdKey::Heap(b) => b,
        }
    }
}

impl PartialEq for IdKey {
    fn eq(&self, other: &IdKey) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for IdKey {}

// Hashes as its bytes do, so that the map can be searched with a borrowed `&[u8]`.
impl std::hash::Hash for IdKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes().hash(state);
    }
}

impl std::borrow::Borrow<[u8]> for IdKey {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

/// Ids of one record kind mapped to dense indices, in order of first sight.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ids {
    pub list: Vec<String>,
    index: FastMap<IdKey, u32>,
}

impl Ids {
    fn intern(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id.as_bytes()) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(id.to_string());
        self.index.insert(IdKey::new(id), i);
        i
    }

    fn opt(&mut self, id: Option<&str>) -> u32 {
        id.map_or(NONE, |id| self.intern(id))
    }

    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id.as_bytes()).copied()
    }

    /// Ids with the indices of `list` (as `list` read back from a snapshot file).
    pub fn from_list(list: Vec<String>) -> Ids {
        let mut index = FastMap::default();
        index.reserve(list.len());
        for (i, id) in list.iter().enumerate() {
            index.insert(IdKey::new(id), i as u32);
        }
        Ids { list, index }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealStatus {
    Open,
    Won,
    Lost,
    /// Referenced (by revenue or a stage history) but never loaded.
    Unknown,
}

/// Contact attributes, aligned with `Snapshot::contact_ids`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contacts {
    /// Whether a contacts row was loaded (others are only referenced).
    pub loaded: Vec<bool>,
    pub created_at: Vec<i64>,
    pub account: Vec<u32>,
    pub owner: Vec<u32>,
    pub source: Vec<u32>,
    /// Channel and campaign of the lead-creation touch: the last touchpoint at or
    /// before the contact entered the first stage, else its first touchpoint.
    pub lead_channel: Vec<u32>,
    pub lead_campaign: Vec<u32>,
    /// Channel of the contact's first touchpoint ever.
    pub first_channel: Vec<u32>,
    /// The contact's `source` as a channel (snake case), for a contact with no
    /// touchpoint at or before it entered the first stage; else `NONE`. It is then the
    /// first-touch channel, a touch at the lead entry (metrics.md).
    pub source_channel: Vec<u32>,
    /// Title and custom properties (what lead scores learn from).
    pub attributes: crate::attributes::Attributes,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accounts {
    pub ids: Ids,
    pub loaded: Vec<bool>,
    pub segment: Vec<u32>,
    pub country: Vec<u32>,
    pub owner: Vec<u32>,
    pub created_at: Vec<i64>,
    /// Industry and custom properties (what lead scores learn from).
    pub attributes: crate::attributes::Attributes,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deals {
    pub ids: Ids,
    pub contact: Vec<u32>,
    pub account: Vec<u32>,
    pub owner: Vec<u32>,
    /// The deal's current stage as the CRM reports it.
    pub stage: Vec<u32>,
    /// Workspace minor units; 0 where the amount is missing or could not be converted.
    pub amount: Vec<i64>,
    /// Whether `amount` is a known, converted amount.
    pub has_amount: Vec<bool>,
    pub created_at: Vec<i64>,
    pub expected_close_at: Vec<i64>,
    pub closed_at: Vec<i64>,
    pub status: Vec<DealStatus>,
    /// The probability given on the deal, or NaN.
    pub probability: Vec<f64>,
    /// The customer unit (see `Snapshot::unit_of`).
    pub unit: Vec<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealStages {
    pub deal: Vec<u32>,
    pub stage: Vec<u32>,
    pub at: Vec<i64>,
}

/// Revenue rows ordered by customer unit, then time (rows without a unit last).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revenue {
    pub contact: Vec<u32>,
    pub account: Vec<u32>,
    pub deal: Vec<u32>,
    pub unit: Vec<u32>,
    pub at: Vec<i64>,
    /// Signed workspace minor units (refunds and contractions are negative).
    pub amount: Vec<i64>,
    pub kind: Vec<u32>,
    /// First day of the service period a recurring row pays for (a day number, see
    /// `calendar::day_number`); `NO_DAY` for rows that are not recurring.
    pub service_start: Vec<i32>,
    /// Last day of that service period, inclusive.
    pub service_end: Vec<i32>,
    /// The row named its service period (else it is one month from its date).
    pub service_given: Vec<bool>,
}

/// The service period of a revenue row that is not recurring.
pub const NO_DAY: i32 = i32::MIN;

impl Revenue {
    /// Whether row `i` is subscription revenue (metrics.md "Subscription revenue").
    pub fn is_recurring(&self, i: usize) -> bool {
        self.service_start[i] != NO_DAY
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spend {
    /// Start of the first day (workspace time zone).
    pub start: Vec<i64>,
    /// Start of the day after the last day.
    pub end: Vec<i64>,
    pub channel: Vec<u32>,
    pub campaign: Vec<u32>,
    pub team: Vec<Team>,
    pub amount: Vec<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tickets {
    pub ids: Vec<String>,
    pub contact: Vec<u32>,
    pub account: Vec<u32>,
    pub unit: Vec<u32>,
    pub opened_at: Vec<i64>,
    pub first_response_at: Vec<i64>,
    pub resolved_at: Vec<i64>,
    /// 1..=5, or 0 when not rated.
    pub csat: Vec<u8>,
    pub category: Vec<u32>,
}

/// One row of targets.csv with its period resolved to instants.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub period: String,
    pub start: i64,
    pub end: i64,
    pub metric: String,
    pub value: f64,
    pub segment: Option<String>,
}

/// Money that could not be used: its currency has no rate (fx_rates.csv) on or before
/// the row's date.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Unconverted {
    pub kind: String,
    pub currency: String,
    pub rows: u64,
    /// Sum of the amounts in minor units of `currency`.
    pub amount_minor: i64,
}

/// A workspace, ready for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub currency: Currency,
    pub timezone: Tz,
    pub sla_hours: f64,
    pub gross_margin: f64,
    pub lookback_days: u32,
    /// The funnel, first stage first.
    pub stages: Vec<String>,
    pub contact_ids: Vec<String>,
    /// `contacts x stages`, row-major: when each contact entered each stage, or `NEVER`.
    pub entered: Vec<i64>,
    /// `contacts x stages`: the entry was implied by a later stage (the stage was
    /// skipped, or recorded only after the later one), not recorded for itself. It
    /// counts in the funnel and starts no SLA clock (metrics.md).
    pub implied: Vec<bool>,
    /// `contacts x stages`: stage rows that came after a later stage had been entered.
    pub rework: Vec<u32>,
    /// Every explicit stage row (contact, stage name, instant), in and outside the funnel.
    pub stage_rows: Vec<(u32, u32, i64)>,
    pub names: Names,
    pub contact: Contacts,
    pub accounts: Accounts,
    pub deals: Deals,
    pub deal_stages: DealStages,
    pub revenue: Revenue,
    pub touchpoints: Touchpoints,
    pub spend: Spend,
    pub tickets: Tickets,
    pub targets: Vec<Target>,
    pub unconverted: Vec<Unconverted>,
    /// Contact ids to indices, for records that arrive later (`Snapshot::apply`).
    pub(crate) contact_index: LazyIdIndex,
    /// Merged contact id -> survivor, for records that arrive later.
    pub(crate) merged_into: HashMap<String, String>,
    /// Currency rates by currency, oldest first, for money that arrives later.
    pub(crate) fx: HashMap<Currency, Vec<(i64, Decimal)>>,
}

impl Snapshot {
    /// Merged contact id -> survivor (what a snapshot file keeps for later records).
    pub fn merged_into(&self) -> &HashMap<String, String> {
        &self.merged_into
    }

    /// Currency rates by currency, oldest first (what a snapshot file keeps for later
    /// money).
    pub fn fx_rates(&self) -> &HashMap<Currency, Vec<(i64, Decimal)>> {
        &self.fx
    }

    /// Puts back what a snapshot file does not hold as columns: the merges and rates
    /// for records that arrive later. The contact id lookup is built from `contact_ids`
    /// when a record first arrives.
    pub fn with_lookups(
        mut self,
        merged_into: HashMap<String, String>,
        fx: HashMap<Currency, Vec<(i64, Decimal)>>,
    ) -> Snapshot {
        self.contact_index = LazyIdIndex::default();
        self.merged_into = merged_into;
        self.fx = fx;
        self
    }

    pub fn contacts(&self) -> usize {
        self.contact_ids.len()
    }

    /// Whether service was recorded at all (tickets): without it the service link of
    /// the chain has nothing to say, rather than "no problem".
    pub fn records_service(&self) -> bool {
        !self.tickets.opened_at.is_empty()
    }

    /// The time of the newest record: the latest stage entry, touchpoint, deal creation
    /// or close, payment, ticket or spend period start. `None` for an empty workspace.
    /// Dates that lie ahead by nature (an expected close, a spend period's end) do
    /// not count.
    pub fn newest_record_at(&self) -> Option<i64> {
        self.newest_of(true)
    }

    /// `newest_record_at` of this snapshot loaded without its touchpoints.
    pub fn newest_record_at_besides_touchpoints(&self) -> Option<i64> {
        self.newest_of(false)
    }

    fn newest_of(&self, touchpoints: bool) -> Option<i64> {
        let real = |t: &i64| *t != NEVER;
        let touches: &[i64] = if touchpoints {
            &self.touchpoints.at
        } else {
            &[]
        };
        let closed = self
            .deals
            .closed_at
            .iter()
            .zip(&self.deals.status)
            .filter(|(_, st)| **st != DealStatus::Open)
            .map(|(t, _)| *t);
        self.entered
            .iter()
            .copied()
            .chain(self.stage_rows.iter().map(|r| r.2))
            .chain(touches.iter().copied())
            .chain(self.deals.created_at.iter().copied())
            .chain(closed)
            .chain(self.revenue.at.iter().copied())
            .chain(self.tickets.opened_at.iter().copied())
            .chain(self.spend.start.iter().copied())
            .filter(real)
            .max()
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

    pub fn stage_index(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s == name)
    }

    /// Number of customer units: every account, then every contact (a contact without
    /// an account is its own unit).
    pub fn units(&self) -> usize {
        self.accounts.ids.len() + self.contact_ids.len()
    }

    /// The customer unit of a record that names `account` and/or `contact`: the account
    /// where there is one (the record's own, else the contact's), else the contact.
    pub fn unit_of(&self, account: u32, contact: u32) -> u32 {
        unit_of(
            &self.contact.account,
            self.accounts.ids.len(),
            account,
            contact,
        )
    }

    /// The account of a unit, or `NONE` for a contact's own unit.
    pub fn unit_account(&self, unit: u32) -> u32 {
        if (unit as usize) < self.accounts.ids.len() {
            unit
        } else {
            NONE
        }
    }

    /// The contact of a contact unit, or `NONE` for an account.
    pub fn unit_contact(&self, unit: u32) -> u32 {
        let a = self.accounts.ids.len() as u32;
        if unit >= a && unit != NONE {
            unit - a
        } else {
            NONE
        }
    }

    /// The id of a unit as people know it (`account:ID` or `contact:ID`).
    pub fn unit_label(&self, unit: u32) -> String {
        if unit == NONE {
            return "(none)".to_string();
        }
        let a = self.accounts.ids.len() as u32;
        if unit < a {
            format!("account:{}", self.accounts.ids.list[unit as usize])
        } else {
            format!("contact:{}", self.contact_ids[(unit - a) as usize])
        }
    }

    /// The touchpoint indices of contact `c`, in time order.
    pub fn touches_of(&self, c: usize) -> std::ops::Range<usize> {
        let s = &self.touchpoints.start;
        if c + 1 >= s.len() {
            return 0..0;
        }
        s[c] as usize..s[c + 1] as usize
    }
}

fn unit_of(contact_account: &[u32], accounts: usize, account: u32, contact: u32) -> u32 {
    if account != NONE {
        return account;
    }
    if contact == NONE {
        return NONE;
    }
    match contact_account.get(contact as usize) {
        Some(&a) if a != NONE => a,
        _ => accounts as u32 + contact,
    }
}

/// An amount as read, converted when the snapshot is built (rates may come last).
#[derive(Debug, Clone, Copy)]
struct RawMoney {
    minor: i64,
    currency: Currency,
    at: i64,
}

/// Collects records into a `Snapshot`. Cloning it lets a server keep collecting
/// (records that arrive later) while it serves snapshots built from a copy.
#[derive(Clone)]
pub struct SnapshotBuilder {
    settings: Settings,
    index: IdIndex,
    /// Merged contact id -> the contact it was merged into (identity resolution).
    merged_into: HashMap<String, String>,
    /// Touchpoints whose contact is still to be looked up: their slots were prefetched
    /// when they arrived and are read a few hundred rows later (see `IdIndex`).
    pending: Vec<PendingTouch>,
    contact_ids: Vec<String>,
    /// Earliest event per (contact, stage), before implications.
    first: Vec<i64>,
    /// Every explicit stage row (contact, name, instant).
    rows: Vec<(u32, u32, i64)>,
    lead: Option<u16>,
    opportunity: Option<u16>,
    customer: Option<u16>,
    names: Names,
    contact: Contacts,
    accounts: Accounts,
    deals: Deals,
    deal_money: Vec<Option<RawMoney>>,
    deal_stages: DealStages,
    revenue: Revenue,
    revenue_money: Vec<RawMoney>,
    /// Touchpoints as they came, in chunks of `TOUCH_CHUNK`: a single vector of 10M
    /// would be copied into fresh pages each time it doubled (a tenth of a build).
    touches: Vec<Vec<Touch>>,
    spend: Spend,
    spend_money: Vec<RawMoney>,
    tickets: Tickets,
    targets: Vec<Target>,
    fx: HashMap<Currency, Vec<(i64, Decimal)>>,
}

type Inputs = &'static [(RecordKind, &'static [&'static str])];

/// Touchpoints per chunk while a snapshot is collected.
const TOUCH_CHUNK: usize = 1 << 20;

/// How many touchpoints wait for their contact: enough rows between a prefetch and its
/// read for the slot to arrive, few enough that the slots stay in the cache.
const PENDING_TOUCHES: usize = 256;

#[derive(Clone)]
struct PendingTouch {
    contact: IdKey,
    hash: u64,
    at: i64,
    channel: u32,
    campaign: u32,
    kind: u32,
    team: Team,
}

impl SnapshotBuilder {
    /// The records and columns the funnel reads; a loader for it need fetch nothing else.
    pub const FUNNEL_INPUTS: Inputs = &[
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

    /// The records and columns every report together reads.
    pub const ALL_INPUTS: Inputs = &[
        (
            RecordKind::Accounts,
            &[
                "segment",
                "country",
                "owner",
                "created_at",
                "industry",
                PROPS,
            ],
        ),
        (
            RecordKind::Contacts,
            &[
                "account_id",
                "owner",
                "source",
                "created_at",
                "title",
                PROPS,
            ],
        ),
        (RecordKind::Stages, &["contact_id", "stage", "occurred_at"]),
        (
            RecordKind::Deals,
            &[
                "contact_id",
                "account_id",
                "owner",
                "stage",
                "amount",
                "currency",
                "created_at",
                "expected_close_at",
                "closed_at",
                "status",
                "probability",
            ],
        ),
        (RecordKind::DealStages, &["deal_id", "stage", "occurred_at"]),
        (
            RecordKind::Revenue,
            &[
                "account_id",
                "contact_id",
                "deal_id",
                "occurred_at",
                "amount",
                "currency",
                "kind",
                "period_start",
                "period_end",
            ],
        ),
        (
            RecordKind::Touchpoints,
            &[
                "contact_id",
                "occurred_at",
                "channel",
                "campaign",
                "kind",
                "team",
            ],
        ),
        (
            RecordKind::Spend,
            &[
                "period_start",
                "period_end",
                "channel",
                "campaign",
                "amount",
                "currency",
                "team",
            ],
        ),
        (
            RecordKind::Tickets,
            &[
                "contact_id",
                "account_id",
                "opened_at",
                "first_response_at",
                "resolved_at",
                "csat",
                "category",
            ],
        ),
        (
            RecordKind::Targets,
            &["period", "metric", "value", "segment"],
        ),
        (RecordKind::FxRates, &["date", "currency", "rate"]),
    ];

    /// Kept for callers of the funnel-only loader.
    pub const INPUTS: Inputs = Self::FUNNEL_INPUTS;

    pub fn new(settings: &Settings) -> SnapshotBuilder {
        let stages = &settings.stages;
        let at = |name: &str| stages.iter().position(|s| s == name).map(|i| i as u16);
        SnapshotBuilder {
            lead: at("lead").or(Some(0)),
            opportunity: at("opportunity"),
            customer: at("customer"),
            settings: settings.clone(),
            index: IdIndex::default(),
            merged_into: HashMap::new(),
            pending: Vec::new(),
            contact_ids: Vec::new(),
            first: Vec::new(),
            rows: Vec::new(),
            names: Names::with_score_bands(),
            contact: Contacts::default(),
            accounts: Accounts::default(),
            deals: Deals::default(),
            deal_money: Vec::new(),
            deal_stages: DealStages::default(),
            revenue: Revenue::default(),
            revenue_money: Vec::new(),
            touches: Vec::new(),
            spend: Spend::default(),
            spend_money: Vec::new(),
            tickets: Tickets::default(),
            targets: Vec::new(),
            fx: HashMap::new(),
        }
    }

    /// Reads contacts merged into others as the ones they were merged into: a merged
    /// contact's touchpoints, stages, deals, revenue and tickets become the survivor's.
    /// Chains (a into b, b into c) are followed; a pair that would loop is left out.
    /// Give the merges before any record.
    pub fn merge_contacts(&mut self, merges: impl IntoIterator<Item = (String, String)>) {
        let direct: HashMap<String, String> = merges.into_iter().collect();
        for merged in direct.keys() {
            let mut survivor = &direct[merged];
            let mut hops = 0;
            while let Some(next) = direct.get(survivor) {
                survivor = next;
                hops += 1;
                if survivor == merged || hops > direct.len() {
                    break;
                }
            }
            if survivor != merged && hops <= direct.len() {
                self.merged_into.insert(merged.clone(), survivor.clone());
            }
        }
    }

    /// The contact a record of `id` belongs to once merges apply.
    fn survivor<'a>(&'a self, id: &'a [u8]) -> &'a [u8] {
        if self.merged_into.is_empty() {
            return id;
        }
        std::str::from_utf8(id)
            .ok()
            .and_then(|text| self.merged_into.get(text))
            .map_or(id, |s| s.as_bytes())
    }

    fn contact(&mut self, id: &str) -> u32 {
        self.contact_hashed(id.as_bytes(), hash_id(id.as_bytes()))
    }

    fn contact_hashed(&mut self, id: &[u8], hash: u64) -> u32 {
        let survivor = self.survivor(id);
        if survivor != id {
            let survivor = survivor.to_vec();
            let hash = hash_id(&survivor);
            return self.contact_hashed(&survivor, hash);
        }
        if let Some(i) = self.index.get(id, hash, &self.contact_ids) {
            return i;
        }
        let i = self.contact_ids.len() as u32;
        let text = std::str::from_utf8(id).expect("ids arrive as text");
        self.contact_ids.push(text.to_string());
        self.index.insert(id, hash, i, &self.contact_ids);
        self.first
            .extend(std::iter::repeat_n(NEVER, self.settings.stages.len()));
        i
    }

    /// Looks up the contacts of the touchpoints held back, in the order they came, so
    /// that contacts get the indices they would have got one by one.
    fn resolve_pending(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        for p in pending.drain(..) {
            let c = self.contact_hashed(p.contact.bytes(), p.hash);
            if self.touches.last().is_none_or(|t| t.len() == TOUCH_CHUNK) {
                self.touches.push(Vec::with_capacity(TOUCH_CHUNK));
            }
            let chunk = self.touches.last_mut().expect("pushed above");
            chunk.push((c, p.at, p.channel, p.campaign, p.kind, p.team));
        }
        // The buffer is reused.
        self.pending = pending;
    }

    fn contact_opt(&mut self, id: Option<&str>) -> u32 {
        id.map_or(NONE, |id| self.contact(id))
    }

    fn account(&mut self, id: Option<&str>) -> u32 {
        let i = self.accounts.ids.opt(id);
        if i != NONE && i as usize >= self.accounts.loaded.len() {
            let a = &mut self.accounts;
            a.loaded.push(false);
            a.segment.push(NONE);
            a.country.push(NONE);
            a.owner.push(NONE);
            a.created_at.push(NEVER);
        }
        i
    }

    fn deal(&mut self, id: Option<&str>) -> u32 {
        let i = self.deals.ids.opt(id);
        if i != NONE && i as usize >= self.deals.status.len() {
            let d = &mut self.deals;
            d.contact.push(NONE);
            d.account.push(NONE);
            d.owner.push(NONE);
            d.stage.push(NONE);
            d.amount.push(0);
            d.has_amount.push(false);
            d.created_at.push(NEVER);
            d.expected_close_at.push(NEVER);
            d.closed_at.push(NEVER);
            d.status.push(DealStatus::Unknown);
            d.probability.push(f64::NAN);
            self.deal_money.push(None);
        }
        i
    }

    fn enter(&mut self, contact: u32, stage: Option<u16>, at: Option<i64>) {
        let (Some(stage), Some(at)) = (stage, at) else {
            return;
        };
        let cell = &mut self.first[contact as usize * self.settings.stages.len() + stage as usize];
        *cell = (*cell).min(at);
    }

    fn money(&self, record: &impl Fields, column: &str, at: i64) -> Option<RawMoney> {
        let minor = record.int(column)?;
        let currency = record
            .text("currency")
            .and_then(Currency::parse)
            .unwrap_or(self.settings.currency);
        Some(RawMoney {
            minor,
            currency,
            at,
        })
    }

    /// The service period of a recurring revenue row as day numbers: its
    /// `period_start`..`period_end`, else one calendar month from its `occurred_at` date.
    fn service_period(&self, record: &impl Fields, at: i64) -> (i32, i32) {
        use crate::calendar::{add_months, date_of, day_number};
        let date = |c| {
            record
                .text(c)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        let start = date("period_start").unwrap_or_else(|| date_of(self.settings.timezone, at));
        let end = date("period_end")
            .unwrap_or_else(|| add_months(start, 1).pred_opt().unwrap_or(start))
            .max(start);
        (day_number(start), day_number(end))
    }

    fn day_start(&self, date: &str) -> Option<i64> {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        Some(day_start(self.settings.timezone, d))
    }

    /// Takes any record or borrowed row; columns a report does not need may be null.
    pub fn add(&mut self, record: &impl Fields) {
        if record.kind() != RecordKind::Touchpoints && !self.pending.is_empty() {
            self.resolve_pending();
        }
        match record.kind() {
            RecordKind::Accounts => {
                let a = self.account(Some(record.id())) as usize;
                self.accounts.loaded[a] = true;
                self.accounts.segment[a] = self.names.opt(record.text("segment"));
                self.accounts.country[a] = self.names.opt(record.text("country"));
                self.accounts.owner[a] = self.names.opt(record.text("owner"));
                self.accounts.created_at[a] = record.int("created_at").unwrap_or(NEVER);
                let attributes = &mut self.accounts.attributes;
                attributes.clear(a);
                let names = &mut self.names;
                if let Some(industry) = record.text("industry") {
                    attributes.set("industry", a, names.intern(industry));
                }
                record.each_prop(&mut |key, value| {
                    if !value.trim().is_empty() {
                        attributes.set(key, a, names.intern(value.trim()));
                    }
                });
            }
            RecordKind::Contacts => {
                let c = self.contact(record.id());
                // Creating a contact enters the first stage.
                self.enter(c, self.lead, record.int("created_at"));
                // A merged contact's own row adds its creation, not its attributes: the
                // contact it was merged into keeps its own.
                if self.merged_into.contains_key(record.id()) {
                    return;
                }
                let account = self.account(record.text("account_id"));
                let owner = self.names.opt(record.text("owner"));
                let source = self.names.opt(record.text("source"));
                let k = &mut self.contact;
                let c = c as usize;
                if k.loaded.len() <= c {
                    let n = c + 1;
                    k.loaded.resize(n, false);
                    k.created_at.resize(n, NEVER);
                    k.account.resize(n, NONE);
                    k.owner.resize(n, NONE);
                    k.source.resize(n, NONE);
                }
                k.loaded[c] = true;
                k.created_at[c] = record.int("created_at").unwrap_or(NEVER);
                k.account[c] = account;
                k.owner[c] = owner;
                k.source[c] = source;
                k.attributes.clear(c);
                let names = &mut self.names;
                if let Some(title) = record.text("title") {
                    k.attributes.set("title", c, names.intern(title));
                }
                record.each_prop(&mut |key, value| {
                    if !value.trim().is_empty() {
                        k.attributes.set(key, c, names.intern(value.trim()));
                    }
                });
            }
            RecordKind::Stages => {
                let (Some(contact), Some(name), Some(at)) = (
                    record.text("contact_id"),
                    record.text("stage"),
                    record.int("occurred_at"),
                ) else {
                    return;
                };
                let c = self.contact(contact);
                let sym = self.names.intern(name);
                self.rows.push((c, sym, at));
                if let Some(stage) = self.settings.stages.iter().position(|s| s == name) {
                    self.enter(c, Some(stage as u16), Some(at));
                }
            }
            RecordKind::Deals => {
                let d = self.deal(Some(record.id())) as usize;
                let contact = self.contact_opt(record.text("contact_id"));
                let account = self.account(record.text("account_id"));
                let created = record.int("created_at");
                let closed = record.int("closed_at");
                let status = match record.text("status") {
                    Some("won") => DealStatus::Won,
                    Some("lost") => DealStatus::Lost,
                    _ => DealStatus::Open,
                };
                if contact != NONE {
                    self.enter(contact, self.opportunity, created);
                    if status == DealStatus::Won {
                        self.enter(contact, self.customer, closed);
                    }
                }
                let money = self.money(record, "amount", created.unwrap_or(0));
                let owner = self.names.opt(record.text("owner"));
                let stage = self.names.opt(record.text("stage"));
                let probability = record
                    .text("probability")
                    .and_then(|p| p.parse::<f64>().ok())
                    .unwrap_or(f64::NAN);
                let x = &mut self.deals;
                x.contact[d] = contact;
                x.account[d] = account;
                x.owner[d] = owner;
                x.stage[d] = stage;
                x.created_at[d] = created.unwrap_or(NEVER);
                x.expected_close_at[d] = record.int("expected_close_at").unwrap_or(NEVER);
                // A closed deal without a close date is read as closed when created.
                x.closed_at[d] = match (status, closed) {
                    (DealStatus::Open, _) => NEVER,
                    (_, Some(t)) => t,
                    (_, None) => created.unwrap_or(NEVER),
                };
                x.status[d] = status;
                x.probability[d] = probability;
                self.deal_money[d] = money;
            }
            RecordKind::DealStages => {
                let (Some(name), Some(at)) = (record.text("stage"), record.int("occurred_at"))
                else {
                    return;
                };
                let d = self.deal(record.text("deal_id"));
                if d == NONE {
                    return;
                }
                let stage = self.names.intern(name);
                self.deal_stages.deal.push(d);
                self.deal_stages.stage.push(stage);
                self.deal_stages.at.push(at);
            }
            RecordKind::Revenue => {
                let Some(at) = record.int("occurred_at") else {
                    return;
                };
                let contact = self.contact_opt(record.text("contact_id"));
                if contact != NONE && record.int("amount").is_some_and(|a| a > 0) {
                    self.enter(contact, self.customer, Some(at));
                }
                let Some(money) = self.money(record, "amount", at) else {
                    return;
                };
                let account = self.account(record.text("account_id"));
                let deal = self.deal(record.text("deal_id"));
                let kind_text = record.text("kind").unwrap_or("one_off");
                let kind = self.names.intern(kind_text);
                let (start, end) = if RECURRING_KINDS.contains(&kind_text) {
                    self.service_period(record, at)
                } else {
                    (NO_DAY, NO_DAY)
                };
                let given = record.text("period_start").is_some();
                let r = &mut self.revenue;
                r.contact.push(contact);
                r.account.push(account);
                r.deal.push(deal);
                r.at.push(at);
                r.kind.push(kind);
                r.service_start.push(start);
                r.service_end.push(end);
                r.service_given.push(given);
                self.revenue_money.push(money);
            }
            RecordKind::Touchpoints => {
                let (Some(contact), Some(at), Some(channel)) = (
                    record.text("contact_id"),
                    record.int("occurred_at"),
                    record.text("channel"),
                ) else {
                    return;
                };
                let hash = hash_id(contact.as_bytes());
                self.index.prefetch(hash);
                let channel = self.names.intern(channel);
                let campaign = self.names.opt(record.text("campaign"));
                let kind_text = record.text("kind").unwrap_or("other");
                let kind = self.names.intern(kind_text);
                let team = match record.text("team") {
                    Some(t) => Team::parse(Some(t)),
                    None => match kind_text {
                        "call" | "meeting" | "demo" => Team::Sales,
                        "ticket" | "chat" => Team::Service,
                        _ => Team::Marketing,
                    },
                };
                self.pending.push(PendingTouch {
                    contact: IdKey::new(contact),
                    hash,
                    at,
                    channel,
                    campaign,
                    kind,
                    team,
                });
                if self.pending.len() >= PENDING_TOUCHES {
                    self.resolve_pending();
                }
            }
            RecordKind::Spend => {
                let Some(start) = record.text("period_start").and_then(|d| self.day_start(d))
                else {
                    return;
                };
                let end = record
                    .text("period_end")
                    .or(record.text("period_start"))
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .and_then(|d| d.succ_opt())
                    .map(|d| day_start(self.settings.timezone, d))
                    .unwrap_or(start);
                let Some(money) = self.money(record, "amount", start) else {
                    return;
                };
                let channel = self.names.opt(record.text("channel"));
                let campaign = self.names.opt(record.text("campaign"));
                let s = &mut self.spend;
                s.start.push(start);
                s.end.push(end.max(start));
                s.channel.push(channel);
                s.campaign.push(campaign);
                s.team.push(Team::parse(record.text("team")));
                self.spend_money.push(money);
            }
            RecordKind::Tickets => {
                let contact = self.contact_opt(record.text("contact_id"));
                let account = self.account(record.text("account_id"));
                let category = self.names.opt(record.text("category"));
                let t = &mut self.tickets;
                t.ids.push(record.id().to_string());
                t.contact.push(contact);
                t.account.push(account);
                t.opened_at.push(record.int("opened_at").unwrap_or(NEVER));
                t.first_response_at
                    .push(record.int("first_response_at").unwrap_or(NEVER));
                t.resolved_at
                    .push(record.int("resolved_at").unwrap_or(NEVER));
                t.csat
                    .push(record.int("csat").unwrap_or(0).clamp(0, 5) as u8);
                t.category.push(category);
            }
            RecordKind::Targets => {
                let (Some(period), Some(metric), Some(value)) = (
                    record.text("period"),
                    record.text("metric"),
                    record.text("value").and_then(|v| v.parse::<f64>().ok()),
                ) else {
                    return;
                };
                let Some((start, end)) = period_bounds(period, self.settings.timezone) else {
                    return;
                };
                self.targets.push(Target {
                    period: period.to_string(),
                    start,
                    end,
                    metric: metric.to_string(),
                    value,
                    segment: record
                        .text("segment")
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                });
            }
            RecordKind::FxRates => {
                let (Some(day), Some(currency), Some(rate)) = (
                    record.text("date").and_then(|d| self.day_start(d)),
                    record.text("currency").and_then(Currency::parse),
                    record.text("rate").and_then(|r| Decimal::from_str(r).ok()),
                ) else {
                    return;
                };
                self.fx.entry(currency).or_default().push((day, rate));
            }
        }
    }

    /// Applies the stage implications (a later stage implies every earlier one at its
    /// instant), counts rework, converts money, orders touchpoints and resolves units.
    pub fn build(self) -> Snapshot {
        self.build_onto(None)
    }

    /// A builder that goes on from `snapshot`, as if it had read every record the
    /// snapshot was built from (`Snapshot::apply`). Money already in the snapshot is in
    /// the workspace currency, so converting it again changes nothing; stage entries
    /// are already implied, and implying them again changes nothing either.
    pub(crate) fn continuing(s: &Snapshot) -> SnapshotBuilder {
        let settings = Settings {
            currency: s.currency,
            timezone: s.timezone,
            stages: s.stages.clone(),
            sla_hours: s.sla_hours,
            gross_margin: s.gross_margin,
            lookback_days: s.lookback_days,
            // Words only: no figure depends on it.
            ..Settings::default()
        };
        let mut b = SnapshotBuilder::new(&settings);
        let workspace = |minor: i64, at: i64| RawMoney {
            minor,
            currency: s.currency,
            at,
        };
        b.index = s.contact_index.get(&s.contact_ids).clone();
        b.merged_into = s.merged_into.clone();
        b.contact_ids = s.contact_ids.clone();
        // Only the recorded entries: the implied ones are worked out again by `build`.
        b.first = s
            .entered
            .iter()
            .zip(&s.implied)
            .map(|(t, implied)| if *implied { NEVER } else { *t })
            .collect();
        b.rows = s.stage_rows.clone();
        b.names = s.names.clone();
        b.contact = s.contact.clone();
        b.accounts = s.accounts.clone();
        b.deals = s.deals.clone();
        // Amounts and units are worked out again by `build`, from the money below.
        b.deal_money = (0..b.deals.amount.len())
            .map(|d| b.deals.has_amount[d].then(|| workspace(b.deals.amount[d], 0)))
            .collect();
        b.deals.amount.fill(0);
        b.deals.has_amount.fill(false);
        b.deals.unit.clear();
        b.deal_stages = s.deal_stages.clone();
        let r = &s.revenue;
        b.revenue = Revenue {
            contact: r.contact.clone(),
            account: r.account.clone(),
            deal: r.deal.clone(),
            at: r.at.clone(),
            kind: r.kind.clone(),
            service_start: r.service_start.clone(),
            service_end: r.service_end.clone(),
            service_given: r.service_given.clone(),
            ..Revenue::default()
        };
        b.revenue_money = (0..r.at.len())
            .map(|i| workspace(r.amount[i], r.at[i]))
            .collect();
        let sp = &s.spend;
        b.spend = Spend {
            amount: Vec::new(),
            ..sp.clone()
        };
        b.spend_money = (0..sp.start.len())
            .map(|i| workspace(sp.amount[i], sp.start[i]))
            .collect();
        b.tickets = s.tickets.clone();
        b.tickets.unit.clear();
        b.targets = s.targets.clone();
        b.fx = s.fx.clone();
        b
    }

    /// `build`, with the touchpoints of `base` (a snapshot this builder goes on from)
    /// and the new ones merged into their places instead of all placed again.
    pub(crate) fn build_onto(mut self, base: Option<&Touchpoints>) -> Snapshot {
        self.resolve_pending();
        let k = self.settings.stages.len();
        let n = self.contact_ids.len();
        let mut entered = std::mem::take(&mut self.first);
        let recorded = entered.clone();
        for row in entered.chunks_mut(k) {
            // Walking back from the last stage, each stage is entered no later than any
            // stage after it.
            let mut later = NEVER;
            for t in row.iter_mut().rev() {
                later = later.min(*t);
                *t = later;
            }
        }
        let implied: Vec<bool> = entered
            .iter()
            .zip(&recorded)
            .map(|(e, r)| *e != NEVER && e != r)
            .collect();
        drop(recorded);
        let mut rework = vec![0u32; entered.len()];
        for &(c, sym, at) in &self.rows {
            let name = self.names.name(sym);
            let Some(stage) = self.settings.stages.iter().position(|s| s == name) else {
                continue;
            };
            let row = &entered[c as usize * k..(c as usize + 1) * k];
            let later_entry = row[stage + 1..].iter().copied().min().unwrap_or(NEVER);
            if at > later_entry {
                rework[c as usize * k + stage] += 1;
            }
        }

        // Contacts only referenced still get a row of attributes.
        let kc = &mut self.contact;
        kc.loaded.resize(n, false);
        kc.created_at.resize(n, NEVER);
        kc.account.resize(n, NONE);
        kc.owner.resize(n, NONE);
        kc.source.resize(n, NONE);

        for v in self.fx.values_mut() {
            v.sort_by_key(|(d, _)| *d);
        }
        let mut unconverted: BTreeMap<(&'static str, Currency), (u64, i64)> = BTreeMap::new();
        let converter = Converter {
            to: self.settings.currency,
            fx: &self.fx,
        };
        let mut convert = |kind: &'static str, m: RawMoney| -> Option<i64> {
            let out = converter.convert(m);
            if out.is_none() {
                let e = unconverted.entry((kind, m.currency)).or_default();
                e.0 += 1;
                e.1 += m.minor;
            }
            out
        };
        for (d, money) in self.deal_money.iter().enumerate() {
            if let Some(m) = money
                && let Some(v) = convert("deals", *m)
            {
                self.deals.amount[d] = v;
                self.deals.has_amount[d] = true;
            }
        }
        let accounts = self.accounts.ids.len();
        let contact_account = &self.contact.account;
        for d in 0..self.deals.status.len() {
            let unit = unit_of(
                contact_account,
                accounts,
                self.deals.account[d],
                self.deals.contact[d],
            );
            self.deals.unit.push(unit);
        }
        // Revenue rows whose money cannot be converted are left out (and reported).
        let mut revenue = Revenue::default();
        for (i, m) in self.revenue_money.iter().enumerate() {
            let Some(v) = convert("revenue", *m) else {
                continue;
            };
            let r = &self.revenue;
            revenue.contact.push(r.contact[i]);
            revenue.account.push(r.account[i]);
            revenue.deal.push(r.deal[i]);
            revenue.at.push(r.at[i]);
            revenue.kind.push(r.kind[i]);
            revenue.service_start.push(r.service_start[i]);
            revenue.service_end.push(r.service_end[i]);
            revenue.service_given.push(r.service_given[i]);
            revenue.amount.push(v);
            revenue.unit.push(unit_of(
                contact_account,
                accounts,
                r.account[i],
                r.contact[i],
            ));
        }
        // Revenue ordered by unit, then time: per-unit sums over windows become one scan.
        let mut order: Vec<usize> = (0..revenue.at.len()).collect();
        order.sort_by_key(|&i| (revenue.unit[i], revenue.at[i], revenue.amount[i]));
        let pick_u32 = |v: &[u32]| order.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let revenue = Revenue {
            contact: pick_u32(&revenue.contact),
            account: pick_u32(&revenue.account),
            deal: pick_u32(&revenue.deal),
            unit: pick_u32(&revenue.unit),
            kind: pick_u32(&revenue.kind),
            service_start: order.iter().map(|&i| revenue.service_start[i]).collect(),
            service_given: order.iter().map(|&i| revenue.service_given[i]).collect(),
            service_end: order.iter().map(|&i| revenue.service_end[i]).collect(),
            at: order.iter().map(|&i| revenue.at[i]).collect(),
            amount: order.iter().map(|&i| revenue.amount[i]).collect(),
        };
        let mut spend = Spend::default();
        for (i, m) in self.spend_money.iter().enumerate() {
            let Some(v) = convert("spend", *m) else {
                continue;
            };
            let s = &self.spend;
            spend.start.push(s.start[i]);
            spend.end.push(s.end[i]);
            spend.channel.push(s.channel[i]);
            spend.campaign.push(s.campaign[i]);
            spend.team.push(s.team[i]);
            spend.amount.push(v);
        }
        for i in 0..self.tickets.ids.len() {
            let unit = unit_of(
                contact_account,
                accounts,
                self.tickets.account[i],
                self.tickets.contact[i],
            );
            self.tickets.unit.push(unit);
        }

        // Touchpoints grouped by contact in time order (CSR offsets).
        let chunks = std::mem::take(&mut self.touches);
        let tp = match base {
            Some(old) => {
                crate::touches::merge_touches(old, chunks.into_iter().flatten().collect(), n)
            }
            None => group_touches(chunks, n),
        };
        // Sources as channel names, interned before the contacts are walked.
        let mut source_as_channel: HashMap<u32, u32> = HashMap::new();
        for &src in &self.contact.source {
            if src != NONE && !source_as_channel.contains_key(&src) {
                let channel = revline_core::normalize::snake_case(self.names.name(src));
                let sym = if channel.is_empty() {
                    NONE
                } else {
                    self.names.intern(&channel)
                };
                source_as_channel.insert(src, sym);
            }
        }
        let kc = &mut self.contact;
        kc.lead_channel = vec![NONE; n];
        kc.lead_campaign = vec![NONE; n];
        kc.first_channel = vec![NONE; n];
        kc.source_channel = vec![NONE; n];
        for c in 0..n {
            let range = tp.start[c] as usize..tp.start[c + 1] as usize;
            let lead_at = entered[c * k];
            let lead_touch = range.clone().rev().find(|&i| tp.at[i] <= lead_at);
            if lead_touch.is_none() && lead_at != NEVER {
                let source = source_as_channel
                    .get(&kc.source[c])
                    .copied()
                    .unwrap_or(NONE);
                if source != NONE {
                    kc.source_channel[c] = source;
                    kc.lead_channel[c] = source;
                    kc.first_channel[c] = source;
                    continue;
                }
            }
            if range.is_empty() {
                continue;
            }
            kc.first_channel[c] = tp.channel[range.start];
            let lead_touch = lead_touch.unwrap_or(range.start);
            kc.lead_channel[c] = tp.channel[lead_touch];
            kc.lead_campaign[c] = tp.campaign[lead_touch];
        }

        let unconverted = unconverted
            .into_iter()
            .map(|((kind, currency), (rows, amount_minor))| Unconverted {
                kind: kind.to_string(),
                currency: currency.code().to_string(),
                rows,
                amount_minor,
            })
            .collect();
        Snapshot {
            currency: self.settings.currency,
            timezone: self.settings.timezone,
            sla_hours: self.settings.sla_hours,
            gross_margin: self.settings.gross_margin,
            lookback_days: self.settings.lookback_days,
            stages: self.settings.stages,
            contact_ids: self.contact_ids,
            entered,
            implied,
            rework,
            stage_rows: self.rows,
            names: self.names,
            contact: self.contact,
            accounts: self.accounts,
            deals: self.deals,
            deal_stages: stage_changes(self.deal_stages),
            revenue,
            touchpoints: tp,
            spend,
            tickets: self.tickets,
            targets: self.targets,
            unconverted,
            contact_index: LazyIdIndex::built(self.index),
            merged_into: self.merged_into,
            fx: self.fx,
        }
    }
}

/// A deal's stage history as changes, in time order per deal: a row repeating the stage
/// the deal was already in (Salesforce's OpportunityHistory writes one per amount or
/// close date change) is no new entry.
fn stage_changes(rows: DealStages) -> DealStages {
    let mut order: Vec<usize> = (0..rows.at.len()).collect();
    order.sort_by_key(|&i| (rows.deal[i], rows.at[i]));
    let mut out = DealStages::default();
    let mut last: Option<(u32, u32)> = None;
    for i in order {
        let key = (rows.deal[i], rows.stage[i]);
        if last == Some(key) {
            continue;
        }
        last = Some(key);
        out.deal.push(rows.deal[i]);
        out.stage.push(rows.stage[i]);
        out.at.push(rows.at[i]);
    }
    out
}

struct Converter<'a> {
    to: Currency,
    fx: &'a HashMap<Currency, Vec<(i64, Decimal)>>,
}

impl Converter<'_> {
    /// Minor units of the workspace currency, with the latest rate on or before the
    /// row's instant; `None` when there is no such rate.
    fn convert(&self, m: RawMoney) -> Option<i64> {
        if m.currency == self.to {
            return Some(m.minor);
        }
        let rates = self.fx.get(&m.currency)?;
        let i = rates.partition_point(|(d, _)| *d <= m.at);
        let rate = rates.get(i.checked_sub(1)?)?.1;
        let scale = Decimal::from(10i64.pow(self.to.exponent()))
            / Decimal::from(10i64.pow(m.currency.exponent()));
        (Decimal::from(m.minor) * rate * scale).round().to_i64()
    }
}

/// Revenue kinds that are subscription revenue (metrics.md "Subscription revenue").
pub const RECURRING_KINDS: [&str; 4] = ["new", "recurring", "expansion", "contraction"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_ids_are_interned_and_found() {
        let mut ids = Ids::default();
        let long = "0018a00001XyZabCDEfgh-account-with-a-long-id";
        let short = "acc-1";
        let exactly = "a".repeat(22);
        assert_eq!(ids.intern(short), 0);
        assert_eq!(ids.intern(long), 1);
        assert_eq!(ids.intern(&exactly), 2);
        assert_eq!(ids.intern(long), 1);
        assert_eq!(ids.get(short), Some(0));
        assert_eq!(ids.get(&exactly), Some(2));
        assert_eq!(ids.get("acc-"), None);
        assert_eq!(ids.get(&long[..22]), None);
        assert_eq!(ids.list, vec![short, long, exactly.as_str()]);
    }
}
