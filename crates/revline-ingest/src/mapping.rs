//! Step "map": which record kind a file holds and which of its columns feed which
//! contract field. A mapping (`--map FILE`, TOML) or a preset (`--preset NAME`) says it
//! explicitly; without one, columns are matched to contract names case-insensitively.

use revline_core::RecordKind;
use revline_core::normalize::snake_case;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Text encoding of every text file (`windows-1250`, `iso-8859-2`, ...).
    pub encoding: Option<String>,
    /// Amounts are written `1 234,50`.
    pub decimal_comma: Option<bool>,
    /// `,`, `;` or `tab`; detected when absent.
    pub delimiter: Option<String>,
    /// Encoding of a CSV file that is not valid UTF-8 (when no encoding is given):
    /// exports whose encoding depends on the exporting user's settings
    /// (Salesforce's ISO-8859-1). The summary says when it was used.
    pub fallback_encoding: Option<String>,
    #[serde(default, rename = "file")]
    pub files: Vec<FileMapping>,
}

/// How one kind of file maps onto one record kind. A file may match several entries
/// (one source file can feed contacts, stages and touchpoints).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMapping {
    /// File name pattern; `*` matches any run of characters. Case-insensitive.
    #[serde(rename = "match")]
    pub pattern: Option<String>,
    /// Source columns that must all be present (how presets recognise an export); an
    /// entry may be a list of names any one of which will do.
    pub header: Option<Vec<Names>>,
    /// Sheet name for workbooks.
    pub sheet: Option<String>,
    /// The record kind: `contacts`, `deals`, ...
    pub kind: String,
    /// contract column = source column, or a list of source columns: the first that
    /// the file has and that is filled in a row gives the row's value (versions and
    /// languages of one export; a fallback such as a primary company, then any).
    #[serde(default)]
    pub columns: BTreeMap<String, Names>,
    /// contract column = fixed text for every row
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// contract column = chrono format of its dates (`%d.%m.%Y`)
    #[serde(default)]
    pub dates: BTreeMap<String, String>,
    /// contract column = { source value = contract value }; `"*"` is the fallback
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Source columns to leave out entirely (not kept as custom properties).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// false: keep no column as a custom property (an entry that reads a few columns
    /// of a file another entry imports whole).
    pub properties: Option<bool>,
    /// contract column = separator of a list cell (`1;2;3`): the first value feeds
    /// the column, and a cell holding several is kept whole as a custom property.
    #[serde(default)]
    pub lists: BTreeMap<String, String>,
    /// contract column = [[source column, value], ...]: the value of the first listed
    /// column that is true in a row (`true`, `1`, `yes`); when none is, the column
    /// is read as usual. How an export's own flags (`IsWon`) decide a status.
    #[serde(default)]
    pub flags: BTreeMap<String, Vec<[String; 2]>>,
    /// source column = value: only rows holding that value are this entry's
    /// (`"*"`: any non-empty value); others are counted as not for it.
    #[serde(default)]
    pub only: BTreeMap<String, String>,
    /// contract column = [source columns] whose exact product it is (order lines:
    /// `amount = ["Quantity", "UnitPrice"]`)
    #[serde(default)]
    pub multiply: BTreeMap<String, Vec<String>>,
}

/// One column name, or several that stand for the same column.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Any(Vec<String>),
}

impl Names {
    pub fn list(&self) -> &[String] {
        match self {
            Names::One(n) => std::slice::from_ref(n),
            Names::Any(ns) => ns,
        }
    }

    /// How the names read in a message: `A` or `A | B`.
    pub fn label(&self) -> String {
        self.list().join(" | ")
    }
}

impl From<&str> for Names {
    fn from(name: &str) -> Names {
        Names::One(name.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl Mapping {
    pub fn load(path: &Path) -> Result<Mapping, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|e| MappingError::Invalid {
            file: path.display().to_string(),
            message: format!("cannot read: {e}"),
        })?;
        Mapping::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Mapping, MappingError> {
        let invalid = |message: String| MappingError::Invalid {
            file: origin.to_string(),
            message,
        };
        let mapping: Mapping = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for (i, f) in mapping.files.iter().enumerate() {
            let kind = RecordKind::from_name(&f.kind).ok_or_else(|| {
                invalid(format!("[[file]] #{}: unknown kind '{}'", i + 1, f.kind))
            })?;
            for column in f
                .columns
                .keys()
                .chain(f.constants.keys())
                .chain(f.dates.keys())
                .chain(f.values.keys())
                .chain(f.multiply.keys())
                .chain(f.lists.keys())
                .chain(f.flags.keys())
            {
                if column != "email" && !kind.fields().iter().any(|fl| fl.name == column) {
                    return Err(invalid(format!(
                        "[[file]] #{} ({}): '{column}' is not a column of {kind} (columns: {})",
                        i + 1,
                        f.kind,
                        kind.fields()
                            .iter()
                            .map(|f| f.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            if f.pattern.is_none() && f.header.is_none() {
                return Err(invalid(format!(
                    "[[file]] #{}: give `match` (a file name) or `header` (columns)",
                    i + 1
                )));
            }
        }
        for enc in mapping.encoding.iter().chain(&mapping.fallback_encoding) {
            if encoding_rs::Encoding::for_label(enc.as_bytes()).is_none() {
                return Err(invalid(format!("unknown encoding '{enc}'")));
            }
        }
        Ok(mapping)
    }

    /// Adds another mapping's entries after this one's; its file-wide settings apply
    /// where this one gives none (a `--map` file with a `--preset`).
    pub fn merge(&mut self, other: Mapping) {
        self.files.extend(other.files);
        self.encoding = self.encoding.take().or(other.encoding);
        self.decimal_comma = self.decimal_comma.or(other.decimal_comma);
        self.delimiter = self.delimiter.take().or(other.delimiter);
        self.fallback_encoding = self.fallback_encoding.take().or(other.fallback_encoding);
    }

    /// Entries that apply to a file with this name and header.
    pub fn matching(&self, file_name: &str, header: Option<&[String]>) -> Vec<&FileMapping> {
        self.files
            .iter()
            .filter(|f| f.matches(file_name, header))
            .collect()
    }
}

impl FileMapping {
    pub fn kind(&self) -> RecordKind {
        RecordKind::from_name(&self.kind).expect("validated on load")
    }

    pub fn matches(&self, file_name: &str, header: Option<&[String]>) -> bool {
        if let Some(p) = &self.pattern
            && !glob_match(&p.to_lowercase(), &file_name.to_lowercase())
        {
            return false;
        }
        if let Some(required) = &self.header {
            let Some(header) = header else {
                return self.pattern.is_some();
            };
            let present: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
            let has = |name: &String| present.contains(&name.trim().to_lowercase());
            if !required.iter().all(|r| r.list().iter().any(has)) || !self.only.keys().all(has) {
                return false;
            }
        }
        true
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Where a contract field's text comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    Column(usize),
    /// Several columns: the first filled one in a row.
    FirstFilled(Vec<usize>),
    Constant(String),
    /// The exact product of several numeric columns.
    Product(Vec<usize>),
    Absent,
}

/// The exact product of decimal cells as text; an empty cell makes it empty, and a cell
/// that is not a number leaves the factors as written so that validation names them.
fn product<'a>(cells: impl Iterator<Item = &'a str>) -> Option<std::borrow::Cow<'static, str>> {
    use revline_core::money::{DecimalStyle, parse_decimal};
    let cells: Vec<&str> = cells.map(str::trim).collect();
    if cells.iter().any(|c| c.is_empty()) {
        return None;
    }
    let mut result = rust_decimal::Decimal::ONE;
    for cell in &cells {
        let factor = parse_decimal(cell, DecimalStyle::Point)
            .or_else(|_| parse_decimal(cell, DecimalStyle::Comma));
        match factor.ok().and_then(|f| result.checked_mul(f)) {
            Some(r) => result = r,
            None => return Some(std::borrow::Cow::Owned(cells.join(" x "))),
        }
    }
    Some(std::borrow::Cow::Owned(result.normalize().to_string()))
}

/// The resolved plan for one header: ready to turn rows into `RowText`.
#[derive(Debug, Clone)]
pub struct ColumnPlan {
    pub kind: RecordKind,
    pub fields: Vec<FieldSource>,
    /// Source column name per field, for error messages.
    pub field_labels: Vec<String>,
    pub props: Vec<(String, usize)>,
    pub values: Vec<Option<BTreeMap<String, String>>>,
    /// For touchpoints: a column of emails that stands in for contact_id.
    pub email: Option<usize>,
    pub date_formats: HashMap<String, String>,
    /// Per field: the separator of its list cells.
    pub lists: Vec<Option<String>>,
    /// Per field: (column, value) flags present in the header, in order.
    pub flags: Vec<Vec<(usize, String)>>,
    /// Rows are this entry's only when these columns hold these values.
    pub only: Vec<(usize, String)>,
    /// The header's names, trimmed.
    pub column_names: Vec<String>,
}

/// A list cell of which only the first value fed a field.
#[derive(Debug, Clone, PartialEq)]
pub struct ListCell {
    pub field: usize,
    /// The source column, under which the whole cell is kept.
    pub column: String,
    pub text: String,
    pub count: usize,
}

/// `true`, `1`, `yes` (any case): how exports write a checked box.
fn is_true(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "y" | "t"
    )
}

/// Builds the plan; `Err` names the required columns the header lacks.
pub fn plan(
    kind: RecordKind,
    header: &[String],
    mapping: Option<&FileMapping>,
) -> Result<ColumnPlan, Vec<String>> {
    let normalized: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let find = |name: &str| {
        normalized
            .iter()
            .position(|h| *h == name.trim().to_lowercase())
    };
    let mut used = vec![false; header.len()];
    let mut fields = Vec::new();
    let mut labels = Vec::new();
    let mut values = Vec::new();
    let mut missing = Vec::new();
    let empty = FileMapping::default();
    let m = mapping.unwrap_or(&empty);
    for field in kind.fields() {
        let source = if let Some(src) = m.columns.get(field.name) {
            let found: Vec<usize> = src.list().iter().filter_map(|n| find(n)).collect();
            // Only the first is used up: a fallback column is also kept as a property,
            // so that a row whose first column is filled loses none of its cells.
            if let Some(i) = found.first() {
                used[*i] = true;
            }
            match found.as_slice() {
                [] => {
                    labels.push(src.label());
                    FieldSource::Absent
                }
                [i] => {
                    labels.push(header[*i].trim().to_string());
                    FieldSource::Column(*i)
                }
                several => {
                    labels.push(
                        several
                            .iter()
                            .map(|i| header[*i].trim())
                            .collect::<Vec<_>>()
                            .join(" | "),
                    );
                    FieldSource::FirstFilled(several.to_vec())
                }
            }
        } else if let Some(c) = m.constants.get(field.name) {
            labels.push(field.name.to_string());
            FieldSource::Constant(c.clone())
        } else if let Some(factors) = m.multiply.get(field.name) {
            let found: Vec<Option<usize>> = factors.iter().map(|f| find(f)).collect();
            labels.push(factors.join(" x "));
            if found.iter().all(Option::is_some) {
                let found: Vec<usize> = found.into_iter().flatten().collect();
                for i in &found {
                    used[*i] = true;
                }
                FieldSource::Product(found)
            } else {
                FieldSource::Absent
            }
        } else if let Some(i) = find(field.name) {
            used[i] = true;
            labels.push(header[i].trim().to_string());
            FieldSource::Column(i)
        } else {
            labels.push(field.name.to_string());
            FieldSource::Absent
        };
        values.push(m.values.get(field.name).cloned());
        fields.push(source);
    }
    let mut email = None;
    if kind == RecordKind::Touchpoints {
        email = match m.columns.get("email") {
            Some(src) => src.list().iter().find_map(|n| find(n)),
            None => find("email"),
        };
        if let Some(i) = email {
            used[i] = true;
        }
    }
    for (field, source) in kind.fields().iter().zip(&fields) {
        let stands_in = field.name == "contact_id" && email.is_some();
        if field.required && *source == FieldSource::Absent && !stands_in {
            missing.push(
                m.columns
                    .get(field.name)
                    .map_or(field.name.to_string(), |s| {
                        format!("{} (mapped from '{}')", field.name, s.label())
                    }),
            );
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    let flags: Vec<Vec<(usize, String)>> = kind
        .fields()
        .iter()
        .map(|f| {
            m.flags
                .get(f.name)
                .into_iter()
                .flatten()
                .filter_map(|[column, value]| find(column).map(|i| (i, value.clone())))
                .collect()
        })
        .collect();
    // Flag columns stay properties too: they decided a field, and nothing is dropped.
    let only: Vec<(usize, String)> = m
        .only
        .iter()
        .filter_map(|(column, value)| find(column).map(|i| (i, value.clone())))
        .collect();
    let ignored: Vec<String> = m.ignore.iter().map(|s| s.trim().to_lowercase()).collect();
    let props = if m.properties == Some(false) {
        Vec::new()
    } else {
        header
            .iter()
            .enumerate()
            .filter(|(i, h)| {
                !used[*i] && !h.trim().is_empty() && !ignored.contains(&normalized[*i])
            })
            .map(|(i, h)| (h.trim().to_string(), i))
            .collect()
    };
    Ok(ColumnPlan {
        kind,
        fields,
        field_labels: labels,
        props,
        values,
        email,
        date_formats: m
            .dates
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        lists: kind
            .fields()
            .iter()
            .map(|f| m.lists.get(f.name).cloned())
            .collect(),
        flags,
        only,
        column_names: header.iter().map(|h| h.trim().to_string()).collect(),
    })
}

impl ColumnPlan {
    /// The text of field `i` for a row, after the value map.
    pub fn field_text<'r>(&self, i: usize, row: &'r [String]) -> Option<std::borrow::Cow<'r, str>> {
        if let Some((_, value)) = self.flags[i]
            .iter()
            .find(|(c, _)| row.get(*c).is_some_and(|t| is_true(t)))
        {
            return Some(std::borrow::Cow::Owned(value.clone()));
        }
        let raw: Option<std::borrow::Cow<'r, str>> = match &self.fields[i] {
            FieldSource::Column(c) => row.get(*c).map(|s| std::borrow::Cow::Borrowed(s.as_str())),
            FieldSource::FirstFilled(columns) => columns
                .iter()
                .filter_map(|c| row.get(*c))
                .find(|t| !t.trim().is_empty())
                .map(|s| std::borrow::Cow::Borrowed(s.as_str())),
            FieldSource::Constant(c) => Some(std::borrow::Cow::Owned(c.clone())),
            FieldSource::Product(columns) => product(
                columns
                    .iter()
                    .map(|c| row.get(*c).map_or("", String::as_str)),
            ),
            FieldSource::Absent => None,
        };
        let raw = match (&self.lists[i], raw) {
            (Some(sep), Some(std::borrow::Cow::Borrowed(text))) => {
                Some(std::borrow::Cow::Borrowed(
                    text.split(sep.as_str())
                        .map(str::trim)
                        .find(|t| !t.is_empty())
                        .unwrap_or(""),
                ))
            }
            (_, raw) => raw,
        };
        match &self.values[i] {
            None => raw,
            Some(map) => {
                let key = raw.as_deref().map(str::trim).unwrap_or("");
                let mapped = map
                    .get(key)
                    .or_else(|| {
                        map.iter()
                            .find(|(k, _)| {
                                k.eq_ignore_ascii_case(key)
                                    || snake_case(k) == snake_case(key) && !key.is_empty()
                            })
                            .map(|(_, v)| v)
                    })
                    .or_else(|| if key.is_empty() { None } else { map.get("*") });
                match mapped {
                    Some(v) => Some(std::borrow::Cow::Owned(v.clone())),
                    None => raw,
                }
            }
        }
    }
}

impl ColumnPlan {
    /// Whether a row is this entry's (see `FileMapping::only`).
    pub fn wants(&self, row: &[String]) -> bool {
        self.only.iter().all(|(c, value)| {
            let cell = row.get(*c).map_or("", |t| t.trim());
            if value == "*" {
                !cell.is_empty()
            } else {
                cell.eq_ignore_ascii_case(value.trim())
            }
        })
    }

    /// List cells of a row that hold several values (only the first fed its field).
    pub fn list_cells(&self, row: &[String]) -> Vec<ListCell> {
        let mut out = Vec::new();
        for (field, sep) in self.lists.iter().enumerate() {
            let Some(sep) = sep else { continue };
            let columns: &[usize] = match &self.fields[field] {
                FieldSource::Column(c) => std::slice::from_ref(c),
                FieldSource::FirstFilled(cs) => cs,
                _ => continue,
            };
            let Some((c, text)) = columns
                .iter()
                .filter_map(|c| row.get(*c).map(|t| (*c, t)))
                .find(|(_, t)| !t.trim().is_empty())
            else {
                continue;
            };
            let count = text
                .split(sep.as_str())
                .filter(|t| !t.trim().is_empty())
                .count();
            if count > 1 {
                out.push(ListCell {
                    field,
                    column: self.source_name(c),
                    text: text.clone(),
                    count,
                });
            }
        }
        out
    }

    /// Contract field -> the source column(s) it was read from, for the summary.
    pub fn used_columns(&self) -> Vec<(String, String)> {
        self.kind
            .fields()
            .iter()
            .zip(&self.fields)
            .zip(&self.field_labels)
            .filter(|((_, source), _)| {
                matches!(
                    source,
                    FieldSource::Column(_) | FieldSource::FirstFilled(_) | FieldSource::Product(_)
                )
            })
            .map(|((field, _), label)| (field.name.to_string(), label.clone()))
            .chain(
                self.kind
                    .fields()
                    .iter()
                    .zip(&self.flags)
                    .filter(|(_, f)| !f.is_empty())
                    .map(|(field, flags)| {
                        let columns: Vec<&str> = flags
                            .iter()
                            .map(|(c, _)| self.column_names[*c].as_str())
                            .collect();
                        (
                            field.name.to_string(),
                            format!("{} (flags)", columns.join(", ")),
                        )
                    }),
            )
            .collect()
    }

    fn source_name(&self, column: usize) -> String {
        self.column_names
            .get(column)
            .cloned()
            .unwrap_or_else(|| format!("column {}", column + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn globs() {
        assert!(glob_match("*.csv", "contacts.csv"));
        assert!(glob_match(
            "olist_*_dataset.csv",
            "olist_closed_deals_dataset.csv"
        ));
        assert!(!glob_match("*.csv", "contacts.xlsx"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b*c", "aXbY"));
    }

    #[test]
    fn plans_without_mapping_by_name_and_keeps_unknown_columns() {
        let p = plan(
            RecordKind::Contacts,
            &h(&["Contact_ID", " Created_At ", "Email", "utm_source"]),
            None,
        )
        .unwrap();
        assert_eq!(p.fields[0], FieldSource::Column(0));
        assert_eq!(p.props, vec![("utm_source".to_string(), 3)]);
        let missing = plan(RecordKind::Contacts, &h(&["contact_id", "email"]), None).unwrap_err();
        assert_eq!(missing, vec!["created_at".to_string()]);
    }

    #[test]
    fn mapping_renames_constants_and_value_maps() {
        let m = Mapping::parse(
            r#"
            [[file]]
            match = "mql*.csv"
            kind = "touchpoints"
            columns = { contact_id = "mql_id", occurred_at = "first_contact_date", channel = "origin" }
            constants = { kind = "form" }
            ignore = ["landing_page_id"]
            [file.values.channel]
            "" = "unknown"
            "Paid" = "paid_search"
            "#,
            "test",
        )
        .unwrap();
        let entries = m.matching("MQL_2018.csv", None);
        assert_eq!(entries.len(), 1);
        let header = h(&["mql_id", "first_contact_date", "landing_page_id", "origin"]);
        let p = plan(RecordKind::Touchpoints, &header, Some(entries[0])).unwrap();
        let row = h(&["m1", "2018-01-01", "lp", "paid"]);
        let channel = RecordKind::Touchpoints
            .fields()
            .iter()
            .position(|f| f.name == "channel")
            .unwrap();
        let kind = RecordKind::Touchpoints
            .fields()
            .iter()
            .position(|f| f.name == "kind")
            .unwrap();
        assert_eq!(p.field_text(channel, &row).as_deref(), Some("paid_search"));
        assert_eq!(p.field_text(kind, &row).as_deref(), Some("form"));
        assert_eq!(
            p.field_text(channel, &h(&["m1", "2018-01-01", "lp", ""]))
                .as_deref(),
            Some("unknown")
        );
        assert!(
            p.props.is_empty(),
            "ignored and mapped columns are not props"
        );
    }

    #[test]
    fn multiplies_order_lines_exactly() {
        let m = Mapping::parse(
            "[[file]]\nmatch='x.csv'\nkind='revenue'\nmultiply = { amount = ['Quantity', 'UnitPrice'] }\n",
            "test",
        )
        .unwrap();
        let header = h(&["Quantity", "UnitPrice", "CustomerID"]);
        let p = plan(RecordKind::Revenue, &header, Some(&m.files[0])).unwrap_err();
        assert_eq!(
            p,
            vec!["occurred_at".to_string()],
            "only the date is missing"
        );
        let header = h(&["Quantity", "UnitPrice", "occurred_at"]);
        let p = plan(RecordKind::Revenue, &header, Some(&m.files[0])).unwrap();
        let amount = RecordKind::Revenue
            .fields()
            .iter()
            .position(|f| f.name == "amount")
            .unwrap();
        assert_eq!(
            p.field_text(amount, &h(&["3", "0.1", "x"])).as_deref(),
            Some("0.3")
        );
        assert_eq!(
            p.field_text(amount, &h(&["-12", "2.55", "x"])).as_deref(),
            Some("-30.6")
        );
        assert_eq!(p.field_text(amount, &h(&["2", "", "x"])), None);
        assert_eq!(
            p.field_text(amount, &h(&["2", "abc", "x"])).as_deref(),
            Some("2 x abc")
        );
        assert!(p.props.is_empty());
    }

    #[test]
    fn rejects_mappings_that_name_unknown_columns() {
        let err = Mapping::parse(
            "[[file]]\nmatch='a.csv'\nkind='deals'\ncolumns={ value='x' }\n",
            "m.toml",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("'value' is not a column of deals"),
            "{err}"
        );
        assert!(Mapping::parse("[[file]]\nmatch='a.csv'\nkind='leads'\n", "m.toml").is_err());
    }
}
