//! The records of the data contract, described once as data so that parsing, storage,
//! export and the HTTP API all follow the same table of fields.

use std::collections::BTreeMap;
use std::fmt;

/// One file kind of the data contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Accounts,
    Contacts,
    Deals,
    Touchpoints,
    Stages,
    DealStages,
    Revenue,
    Spend,
    Tickets,
    Targets,
    FxRates,
}

/// What a field holds and how its text is checked and normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// An opaque id chosen by the source system (trimmed).
    Id,
    /// Free text (trimmed).
    Text,
    /// Trimmed, lower-cased address.
    Email,
    /// A channel or stage name, normalised to lower snake case.
    Name,
    /// One of a fixed set of lower snake case words.
    Choice(&'static [&'static str]),
    /// An instant, stored as UTC milliseconds.
    Timestamp,
    /// A calendar date, stored as `YYYY-MM-DD`.
    Date,
    /// Money in minor units of the row's `currency` (the workspace's when empty).
    Amount,
    /// An ISO 4217 code.
    Currency,
    /// An exact decimal, stored as canonical text.
    Decimal,
    /// A share in [0, 1]; `80%` and `80` are read as 0.8.
    Probability,
    /// Customer satisfaction, an integer 1..=5.
    Csat,
    /// `2026`, `2026-Q1` or `2026-03`.
    Period,
    /// A target metric name or `conversion:<from>-><to>`.
    Metric,
}

impl FieldType {
    /// Whether the stored value is an integer (else text).
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            FieldType::Timestamp | FieldType::Amount | FieldType::Csat
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// The record kind this field points at, checked on import.
    pub refers: Option<RecordKind>,
}

const fn f(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        required: false,
        refers: None,
    }
}
const fn req(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        required: true,
        refers: None,
    }
}
const fn reference(name: &'static str, kind: RecordKind, required: bool) -> Field {
    Field {
        name,
        ty: FieldType::Id,
        required,
        refers: Some(kind),
    }
}

pub const TOUCHPOINT_KINDS: &[&str] = &[
    "impression",
    "click",
    "visit",
    "form",
    "email_open",
    "email_click",
    "webinar",
    "event",
    "call",
    "meeting",
    "demo",
    "chat",
    "ticket",
    "other",
];
pub const TEAMS: &[&str] = &["marketing", "sales", "service"];
pub const SPEND_TEAMS: &[&str] = &["marketing", "sales"];
pub const DEAL_STATUSES: &[&str] = &["open", "won", "lost"];
pub const REVENUE_KINDS: &[&str] = &[
    "new",
    "recurring",
    "expansion",
    "contraction",
    "one_off",
    "refund",
];
pub const TARGET_METRICS: &[&str] = &[
    "revenue",
    "new_customers",
    "pipeline",
    "leads",
    "mql",
    "sql",
    "opportunities",
    "win_rate",
    "nrr",
];

use FieldType as T;
use RecordKind as K;

const ACCOUNTS: &[Field] = &[
    req("account_id", T::Id),
    f("name", T::Text),
    f("domain", T::Text),
    f("industry", T::Text),
    f("segment", T::Text),
    f("country", T::Text),
    f("owner", T::Text),
    f("created_at", T::Timestamp),
];
const CONTACTS: &[Field] = &[
    req("contact_id", T::Id),
    f("email", T::Email),
    f("name", T::Text),
    f("phone", T::Text),
    f("title", T::Text),
    reference("account_id", K::Accounts, false),
    f("owner", T::Text),
    f("source", T::Text),
    req("created_at", T::Timestamp),
];
const TOUCHPOINTS: &[Field] = &[
    f("touchpoint_id", T::Id),
    reference("contact_id", K::Contacts, true),
    req("occurred_at", T::Timestamp),
    req("channel", T::Name),
    f("campaign", T::Text),
    f("kind", T::Choice(TOUCHPOINT_KINDS)),
    f("team", T::Choice(TEAMS)),
    f("cost", T::Amount),
];
const STAGES: &[Field] = &[
    reference("contact_id", K::Contacts, true),
    req("stage", T::Name),
    req("occurred_at", T::Timestamp),
];
const DEALS: &[Field] = &[
    req("deal_id", T::Id),
    reference("contact_id", K::Contacts, false),
    reference("account_id", K::Accounts, false),
    f("name", T::Text),
    f("owner", T::Text),
    f("pipeline", T::Text),
    f("stage", T::Name),
    f("amount", T::Amount),
    f("currency", T::Currency),
    req("created_at", T::Timestamp),
    f("expected_close_at", T::Timestamp),
    f("closed_at", T::Timestamp),
    req("status", T::Choice(DEAL_STATUSES)),
    f("lost_reason", T::Text),
    f("probability", T::Probability),
];
const DEAL_STAGES: &[Field] = &[
    reference("deal_id", K::Deals, true),
    req("stage", T::Name),
    req("occurred_at", T::Timestamp),
];
const REVENUE: &[Field] = &[
    f("revenue_id", T::Id),
    reference("account_id", K::Accounts, false),
    reference("contact_id", K::Contacts, false),
    reference("deal_id", K::Deals, false),
    req("occurred_at", T::Timestamp),
    req("amount", T::Amount),
    f("currency", T::Currency),
    f("kind", T::Choice(REVENUE_KINDS)),
    f("period_start", T::Date),
    f("period_end", T::Date),
];
const SPEND: &[Field] = &[
    req("period_start", T::Date),
    f("period_end", T::Date),
    req("channel", T::Name),
    f("campaign", T::Text),
    req("amount", T::Amount),
    f("currency", T::Currency),
    f("team", T::Choice(SPEND_TEAMS)),
];
const TICKETS: &[Field] = &[
    req("ticket_id", T::Id),
    reference("contact_id", K::Contacts, false),
    reference("account_id", K::Accounts, false),
    req("opened_at", T::Timestamp),
    f("first_response_at", T::Timestamp),
    f("resolved_at", T::Timestamp),
    f("csat", T::Csat),
    f("category", T::Text),
];
const TARGETS: &[Field] = &[
    req("period", T::Period),
    req("metric", T::Metric),
    req("value", T::Decimal),
    f("segment", T::Text),
];
const FX_RATES: &[Field] = &[
    req("date", T::Date),
    req("currency", T::Currency),
    req("rate", T::Decimal),
];

impl RecordKind {
    /// In dependency order: a kind only refers to kinds before it.
    pub const ALL: [RecordKind; 11] = [
        K::Accounts,
        K::Contacts,
        K::Deals,
        K::Touchpoints,
        K::Stages,
        K::DealStages,
        K::Revenue,
        K::Spend,
        K::Tickets,
        K::Targets,
        K::FxRates,
    ];

    /// The file stem and table name (`deal_stages`).
    pub fn name(self) -> &'static str {
        match self {
            K::Accounts => "accounts",
            K::Contacts => "contacts",
            K::Deals => "deals",
            K::Touchpoints => "touchpoints",
            K::Stages => "stages",
            K::DealStages => "deal_stages",
            K::Revenue => "revenue",
            K::Spend => "spend",
            K::Tickets => "tickets",
            K::Targets => "targets",
            K::FxRates => "fx_rates",
        }
    }

    pub fn from_name(name: &str) -> Option<RecordKind> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        RecordKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Every field of the contract, in contract order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            K::Accounts => ACCOUNTS,
            K::Contacts => CONTACTS,
            K::Deals => DEALS,
            K::Touchpoints => TOUCHPOINTS,
            K::Stages => STAGES,
            K::DealStages => DEAL_STAGES,
            K::Revenue => REVENUE,
            K::Spend => SPEND,
            K::Tickets => TICKETS,
            K::Targets => TARGETS,
            K::FxRates => FX_RATES,
        }
    }

    /// The field that holds the record's own id, when the contract has one.
    pub fn id_field(self) -> Option<&'static str> {
        match self {
            K::Accounts => Some("account_id"),
            K::Contacts => Some("contact_id"),
            K::Deals => Some("deal_id"),
            K::Touchpoints => Some("touchpoint_id"),
            K::Revenue => Some("revenue_id"),
            K::Tickets => Some("ticket_id"),
            K::Stages | K::DealStages | K::Spend | K::Targets | K::FxRates => None,
        }
    }

    /// The fields stored as columns beside `id`: every field but the id field.
    pub fn columns(self) -> impl Iterator<Item = &'static Field> {
        let id = self.id_field();
        self.fields().iter().filter(move |f| Some(f.name) != id)
    }

    pub fn column_index(self, name: &str) -> Option<usize> {
        self.columns().position(|f| f.name == name)
    }

    /// For kinds whose id is derived, the columns that identify a row: a re-import that
    /// changes any other column updates the row instead of adding one. `None` means the
    /// whole content identifies the row (events without an id of their own).
    pub fn natural_key(self) -> Option<&'static [&'static str]> {
        match self {
            K::Stages => Some(&["contact_id", "stage", "occurred_at"]),
            K::DealStages => Some(&["deal_id", "stage", "occurred_at"]),
            K::Spend => Some(&["period_start", "period_end", "channel", "campaign", "team"]),
            K::Targets => Some(&["period", "metric", "segment"]),
            K::FxRates => Some(&["date", "currency"]),
            _ => None,
        }
    }

    /// Prefix of derived ids, so that an id tells its kind.
    pub fn id_prefix(self) -> &'static str {
        match self {
            K::Accounts => "acc_",
            K::Contacts => "con_",
            K::Deals => "deal_",
            K::Touchpoints => "tp_",
            K::Stages => "st_",
            K::DealStages => "ds_",
            K::Revenue => "rev_",
            K::Spend => "sp_",
            K::Tickets => "tk_",
            K::Targets => "tg_",
            K::FxRates => "fx_",
        }
    }

    /// Groups of fields of which at least one must be filled. Deals have none: CRMs
    /// allow a deal associated with nobody, and it lands as unassociated.
    pub fn one_of(self) -> &'static [&'static str] {
        match self {
            K::Revenue => &["contact_id", "account_id"],
            K::Tickets => &["contact_id", "account_id"],
            _ => &[],
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A stored value: integers for instants, money and scores, text for the rest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl Value {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// One validated, normalised row of a contract file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    pub id: String,
    /// Aligned with `kind.columns()`.
    pub values: Vec<Value>,
    /// Columns the contract does not name, kept as given.
    pub props: BTreeMap<String, String>,
}

impl Record {
    /// A record with every column empty.
    pub fn new(kind: RecordKind, id: String) -> Record {
        Record {
            kind,
            id,
            values: vec![Value::Null; kind.columns().count()],
            props: BTreeMap::new(),
        }
    }

    pub fn get(&self, column: &str) -> &Value {
        match self.kind.column_index(column) {
            Some(i) => &self.values[i],
            None => &Value::Null,
        }
    }

    pub fn text(&self, column: &str) -> Option<&str> {
        self.get(column).as_text()
    }

    pub fn int(&self, column: &str) -> Option<i64> {
        self.get(column).as_int()
    }

    pub fn set(&mut self, column: &str, value: Value) {
        let i = self
            .kind
            .column_index(column)
            .unwrap_or_else(|| panic!("{} has no column {column}", self.kind));
        self.values[i] = value;
    }

    /// A stable 64-bit digest of the content (not the id); equal digests mean a
    /// re-import has nothing to change.
    pub fn content_hash(&self) -> i64 {
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUFFER.with_borrow_mut(|buf| {
            buf.clear();
            encode_values(buf, &self.values);
            for (k, v) in &self.props {
                buf.extend_from_slice(k.as_bytes());
                buf.push(0x1f);
                buf.extend_from_slice(v.as_bytes());
                buf.push(0x1e);
            }
            xxhash_rust::xxh3::xxh3_64(buf) as i64
        })
    }

    /// The props as a JSON object text with sorted keys (`{}` when empty).
    pub fn props_json(&self) -> String {
        if self.props.is_empty() {
            return "{}".to_string();
        }
        serde_json::to_string(&self.props).expect("string maps serialise")
    }
}

/// Read access to a row's named values, whether an owned `Record` or a row borrowed
/// from a store's cursor (`RowView`): what analyses need, without building records.
pub trait Fields {
    fn kind(&self) -> RecordKind;
    fn id(&self) -> &str;
    fn text(&self, column: &str) -> Option<&str>;
    fn int(&self, column: &str) -> Option<i64>;
    /// Each custom property (name, value): a borrowed row has them when it was read
    /// with the `PROPS` column (as JSON), an owned record always.
    fn each_prop(&self, visit: &mut dyn FnMut(&str, &str)) {
        if let Some(json) = self.text(PROPS)
            && json != "{}"
            && let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(json)
        {
            for (k, v) in &map {
                visit(k, v);
            }
        }
    }
}

/// The pseudo-column a store scan reads a row's custom properties from, as a JSON
/// object of texts.
pub const PROPS: &str = "props";

impl Fields for Record {
    fn kind(&self) -> RecordKind {
        self.kind
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn text(&self, column: &str) -> Option<&str> {
        Record::text(self, column)
    }
    fn int(&self, column: &str) -> Option<i64> {
        Record::int(self, column)
    }
    fn each_prop(&self, visit: &mut dyn FnMut(&str, &str)) {
        for (k, v) in &self.props {
            visit(k, v);
        }
    }
}

/// A stored value borrowed from a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

/// A row of selected columns borrowed from a store's cursor; valid until the cursor
/// moves on.
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a> {
    pub kind: RecordKind,
    pub id: &'a str,
    /// The selected column names, aligned with `cells`.
    pub columns: &'a [&'static str],
    pub cells: &'a [Cell<'a>],
}

impl RowView<'_> {
    fn cell(&self, column: &str) -> Cell<'_> {
        self.columns
            .iter()
            .position(|c| *c == column)
            .map_or(Cell::Null, |i| self.cells[i])
    }
}

impl Fields for RowView<'_> {
    fn kind(&self) -> RecordKind {
        self.kind
    }
    fn id(&self) -> &str {
        self.id
    }
    fn text(&self, column: &str) -> Option<&str> {
        match self.cell(column) {
            Cell::Text(t) => Some(t),
            _ => None,
        }
    }
    fn int(&self, column: &str) -> Option<i64> {
        match self.cell(column) {
            Cell::Int(i) => Some(i),
            _ => None,
        }
    }
}

/// Rows of one kind copied out of a cursor, to be read on another thread: the texts in
/// one buffer, the cells as spans of it. Reused from batch to batch (`clear`).
#[derive(Debug, Clone)]
pub struct RowBatch {
    pub kind: RecordKind,
    pub columns: &'static [&'static str],
    text: String,
    /// Per row: the id's span, then one cell per column.
    cells: Vec<OwnedCell>,
    rows: usize,
}

#[derive(Debug, Clone, Copy)]
enum OwnedCell {
    Null,
    Int(i64),
    Text { start: u32, end: u32 },
}

impl RowBatch {
    /// At most this many columns per row (as a cursor hands them out).
    pub const MAX_COLUMNS: usize = 32;

    pub fn new(kind: RecordKind, columns: &'static [&'static str]) -> RowBatch {
        assert!(columns.len() <= Self::MAX_COLUMNS, "too many columns");
        RowBatch {
            kind,
            columns,
            text: String::new(),
            cells: Vec::new(),
            rows: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Bytes of text held.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    pub fn clear(&mut self, kind: RecordKind, columns: &'static [&'static str]) {
        assert!(columns.len() <= Self::MAX_COLUMNS, "too many columns");
        self.kind = kind;
        self.columns = columns;
        self.text.clear();
        self.cells.clear();
        self.rows = 0;
    }

    fn span(&mut self, text: &str) -> OwnedCell {
        let start = self.text.len() as u32;
        self.text.push_str(text);
        OwnedCell::Text {
            start,
            end: self.text.len() as u32,
        }
    }

    /// Copies a row of this batch's kind and columns.
    pub fn push(&mut self, row: &RowView<'_>) {
        debug_assert_eq!(row.cells.len(), self.columns.len());
        let id = self.span(row.id);
        self.cells.push(id);
        for cell in row.cells {
            let owned = match cell {
                Cell::Null => OwnedCell::Null,
                Cell::Int(i) => OwnedCell::Int(*i),
                Cell::Text(t) => self.span(t),
            };
            self.cells.push(owned);
        }
        self.rows += 1;
    }

    /// Hands each row to `visit` as a borrowed row, in the order they were pushed.
    pub fn for_each(&self, visit: &mut dyn FnMut(&RowView<'_>)) {
        let n = self.columns.len();
        let text = |start: u32, end: u32| &self.text[start as usize..end as usize];
        let mut cells = [Cell::Null; Self::MAX_COLUMNS];
        for row in self.cells.chunks_exact(n + 1) {
            let OwnedCell::Text { start, end } = row[0] else {
                unreachable!("every row starts with its id")
            };
            for (cell, owned) in cells.iter_mut().zip(&row[1..]) {
                *cell = match *owned {
                    OwnedCell::Null => Cell::Null,
                    OwnedCell::Int(i) => Cell::Int(i),
                    OwnedCell::Text { start, end } => Cell::Text(text(start, end)),
                };
            }
            visit(&RowView {
                kind: self.kind,
                id: text(start, end),
                columns: self.columns,
                cells: &cells[..n],
            });
        }
    }
}

fn encode_values(buf: &mut Vec<u8>, values: &[Value]) {
    for v in values {
        match v {
            Value::Null => buf.push(0),
            Value::Int(i) => {
                buf.push(1);
                buf.extend_from_slice(&i.to_le_bytes());
            }
            Value::Text(s) => {
                buf.push(2);
                buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
        }
    }
}

/// A deterministic id for a row that has none: its kind's prefix and 96 bits of a hash
/// of the identifying values. Stage histories put the contact's (or deal's) id first,
/// `st_<contact>:<64-bit hash>`, so that one contact's rows sit together in the
/// id-ordered table: a contact's rows arrive together, and inserting them next to each
/// other instead of at random places keeps large imports fast.
pub fn derived_id(kind: RecordKind, identifying: &[&Value]) -> String {
    let mut buf = Vec::with_capacity(96);
    buf.extend_from_slice(kind.name().as_bytes());
    for v in identifying {
        encode_values(&mut buf, std::slice::from_ref(v));
    }
    let h = xxhash_rust::xxh3::xxh3_128(&buf);
    match (kind, identifying.first()) {
        (RecordKind::Stages | RecordKind::DealStages, Some(Value::Text(parent))) => {
            format!("{}{parent}:{:016x}", kind.id_prefix(), (h >> 64) as u64)
        }
        _ => format!("{}{:024x}", kind.id_prefix(), h >> 32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_batch_gives_back_the_rows_it_copied() {
        const COLUMNS: &[&str] = &["contact_id", "occurred_at", "channel"];
        let rows = [
            ("t1", [Cell::Text("c1"), Cell::Int(5), Cell::Text("email")]),
            ("t2", [Cell::Null, Cell::Int(-1), Cell::Text("")]),
            ("t3", [Cell::Text("c\u{e9}"), Cell::Null, Cell::Null]),
        ];
        let mut batch = RowBatch::new(RecordKind::Touchpoints, &["x"]);
        batch.push(&RowView {
            kind: RecordKind::Touchpoints,
            id: "old",
            columns: &["x"],
            cells: &[Cell::Int(1)],
        });
        batch.clear(RecordKind::Touchpoints, COLUMNS);
        for (id, cells) in &rows {
            batch.push(&RowView {
                kind: RecordKind::Touchpoints,
                id,
                columns: COLUMNS,
                cells,
            });
        }
        assert_eq!(batch.len(), 3);
        let mut got = Vec::new();
        batch.for_each(&mut |row| {
            got.push((
                row.id.to_string(),
                row.text("contact_id").map(str::to_string),
                row.int("occurred_at"),
                row.text("channel").map(str::to_string),
            ));
        });
        let want: Vec<_> = rows
            .iter()
            .map(|(id, c)| {
                let text = |cell: &Cell<'_>| match cell {
                    Cell::Text(t) => Some(t.to_string()),
                    _ => None,
                };
                let int = |cell: &Cell<'_>| match cell {
                    Cell::Int(i) => Some(*i),
                    _ => None,
                };
                (id.to_string(), text(&c[0]), int(&c[1]), text(&c[2]))
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn references_point_backwards_in_dependency_order() {
        for (i, kind) in RecordKind::ALL.iter().enumerate() {
            for field in kind.fields() {
                if let Some(target) = field.refers {
                    let j = RecordKind::ALL.iter().position(|k| *k == target).unwrap();
                    assert!(j < i, "{kind}.{} refers forward to {target}", field.name);
                }
            }
        }
    }

    #[test]
    fn natural_keys_and_one_of_name_real_columns() {
        for kind in RecordKind::ALL {
            for col in kind
                .natural_key()
                .unwrap_or(&[])
                .iter()
                .chain(kind.one_of())
            {
                assert!(kind.column_index(col).is_some(), "{kind}.{col}");
            }
            assert_eq!(RecordKind::from_name(kind.name()), Some(kind));
        }
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derived_id(K::Stages, &[&Value::Text("c1".into()), &Value::Int(5)]);
        let b = derived_id(K::Stages, &[&Value::Text("c1".into()), &Value::Int(6)]);
        assert_eq!(
            a,
            derived_id(K::Stages, &[&Value::Text("c1".into()), &Value::Int(5)])
        );
        assert_ne!(a, b);
        assert!(a.starts_with("st_c1:") && a.len() == 22, "{a}");
        let t = derived_id(K::Targets, &[&Value::Text("2026".into())]);
        assert!(t.starts_with("tg_") && t.len() == 27, "{t}");
        // Null and empty text must not collide.
        let n = derived_id(K::Targets, &[&Value::Null]);
        let e = derived_id(K::Targets, &[&Value::Text(String::new())]);
        assert_ne!(n, e);
    }
}
