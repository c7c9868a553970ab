//! The import summary: per file, rows read / inserted / updated / rejected and every
//! rejected row with its line, column and reason (interface.md).

use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many rejected rows are listed per file; the rest are counted in
/// `errors_omitted` so that a broken million-row file does not flood the terminal.
pub const MAX_LISTED_ERRORS: usize = 10_000;

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
    /// Stable reason code for scripts (`bad_date`, `unknown_reference`, ...).
    pub code: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FileSummary {
    pub file: String,
    pub kind: String,
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    /// Rows already stored with the same content (a re-import): nothing changed.
    pub unchanged: u64,
    pub rejected: u64,
    pub errors: Vec<RowError>,
    pub errors_omitted: u64,
    /// Rows that landed changed (an amount rounded, control characters removed) or
    /// looking wrong (a deal closed before its contact existed).
    pub warnings: Vec<RowError>,
    pub warnings_omitted: u64,
    /// Rows of the file that are not for this entry of the mapping (an entry that
    /// reads only rows with a stage date, say): neither read nor rejected.
    #[serde(skip_serializing_if = "is_zero")]
    pub not_for_entry: u64,
    /// Contract column -> the file's column(s) it was read from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<UsedColumn>,
    /// The file's columns kept as custom properties of each record.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<String>,
    /// How the file's text was decoded, when not as UTF-8 by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Why reading stopped before the end of the file, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl FileSummary {
    pub fn reject(&mut self, error: RowError) {
        self.rejected += 1;
        self.push_error(error);
    }

    pub fn push_warning(&mut self, warning: RowError) {
        if self.warnings.len() < MAX_LISTED_ERRORS {
            self.warnings.push(warning);
        } else {
            self.warnings_omitted += 1;
        }
    }

    /// Lists an error without counting a rejected row (a file-level problem).
    pub fn push_error(&mut self, error: RowError) {
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(error);
        } else {
            self.errors_omitted += 1;
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UsedColumn {
    pub field: String,
    pub column: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkippedFile {
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DuplicateContacts {
    pub email: String,
    pub contact_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ImportSummary {
    pub files: Vec<FileSummary>,
    pub skipped: Vec<SkippedFile>,
    /// Contacts that share an email address (candidates for merging).
    pub duplicate_emails: Vec<DuplicateContacts>,
    /// Records created for unknown references with `--create-missing`, per kind.
    pub created_missing: BTreeMap<String, u64>,
    pub dry_run: bool,
}

impl ImportSummary {
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }

    /// Whether some file could not be read to its end.
    pub fn incomplete(&self) -> bool {
        self.files.iter().any(|f| f.stopped.is_some())
    }

    /// 0 when every row landed, 3 when some were rejected or a file stopped early.
    pub fn exit_code(&self) -> i32 {
        if self.rejected() > 0 || self.incomplete() {
            3
        } else {
            0
        }
    }

    /// The closing line of a run: how long it took and how fast rows went.
    pub fn throughput_line(&self, elapsed: std::time::Duration) -> String {
        let read: u64 = self.files.iter().map(|f| f.read).sum();
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            format!(" ({:.0} rows/s)", read as f64 / secs)
        } else {
            String::new()
        };
        format!("{read} row{} read in {secs:.1} s{rate}\n", plural(read))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("summaries serialise")
    }

    /// A table for people: one line per file, then the rejected rows.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let width = self
            .files
            .iter()
            .map(|f| f.file.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let verb = if self.dry_run {
            " (dry run: nothing was written)"
        } else {
            ""
        };
        out.push_str(&format!("Import summary{verb}\n"));
        out.push_str(&format!(
            "{:<width$}  {:<12} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
            "file", "kind", "read", "inserted", "updated", "unchanged", "rejected"
        ));
        for f in &self.files {
            out.push_str(&format!(
                "{:<width$}  {:<12} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
                f.file, f.kind, f.read, f.inserted, f.updated, f.unchanged, f.rejected
            ));
        }
        for f in &self.files {
            describe_columns(&mut out, f);
        }
        for f in &self.files {
            if let Some(why) = &f.stopped {
                out.push_str(&format!("\n{}: reading stopped: {why}\n", f.file));
            }
            if !f.errors.is_empty() {
                out.push_str(&format!(
                    "\n{}: {} rejected row{}, by reason:\n",
                    f.file,
                    f.rejected,
                    plural(f.rejected)
                ));
                grouped(&mut out, &f.errors, f.errors_omitted);
            }
            if !f.warnings.is_empty() {
                let n = f.warnings.len() as u64 + f.warnings_omitted;
                out.push_str(&format!(
                    "\n{}: {n} warning{} (the rows landed, changed or worth a look), by reason:\n",
                    f.file,
                    plural(n)
                ));
                grouped(&mut out, &f.warnings, f.warnings_omitted);
            }
        }
        for s in &self.skipped {
            out.push_str(&format!("\nskipped {}: {}\n", s.file, s.reason));
        }
        for (kind, n) in &self.created_missing {
            out.push_str(&format!(
                "\ncreated {n} missing {kind} for unknown references\n"
            ));
        }
        if !self.duplicate_emails.is_empty() {
            out.push_str(&format!(
                "\n{} email addresses are shared by several contacts:\n",
                self.duplicate_emails.len()
            ));
            for d in self.duplicate_emails.iter().take(20) {
                out.push_str(&format!("  {}: {}\n", d.email, d.contact_ids.join(", ")));
            }
            if self.duplicate_emails.len() > 20 {
                out.push_str(&format!(
                    "  ... and {} more\n",
                    self.duplicate_emails.len() - 20
                ));
            }
        }
        out
    }
}

/// Which of the file's columns fed which contract column, which were kept as custom
/// properties, and anything about reading it worth knowing.
fn describe_columns(out: &mut String, f: &FileSummary) {
    if f.columns.is_empty() && f.encoding.is_none() && f.not_for_entry == 0 {
        return;
    }
    out.push_str(&format!("\n{} as {}:\n", f.file, f.kind));
    if let Some(encoding) = &f.encoding {
        out.push_str(&format!("  read as {encoding}\n"));
    }
    if !f.columns.is_empty() {
        let used: Vec<String> = f
            .columns
            .iter()
            .map(|c| format!("{} <- {}", c.field, c.column))
            .collect();
        out.push_str(&format!("  columns used: {}\n", used.join(", ")));
    }
    if !f.properties.is_empty() {
        out.push_str(&format!(
            "  kept as properties ({}): {}\n",
            f.properties.len(),
            f.properties.join(", ")
        ));
    }
    if f.not_for_entry > 0 {
        out.push_str(&format!(
            "  {} row{} not for this kind (the mapping reads only some rows)\n",
            f.not_for_entry,
            plural(f.not_for_entry)
        ));
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How many lines of each reason are shown before "... N more".
const EXAMPLES_PER_REASON: usize = 3;

/// Rows grouped by reason code and column, largest group first, each with its count
/// and its first lines.
/// Rows of one reason: the same code and column.
pub struct RowGroup<'a> {
    pub code: &'a str,
    pub column: Option<&'a str>,
    pub rows: Vec<&'a RowError>,
}

/// Rejected rows or warnings grouped by reason (code and column), largest group first,
/// each group's rows in file order: how the CLI and the web app list them.
pub fn group_rows(rows: &[RowError]) -> Vec<RowGroup<'_>> {
    let mut groups: Vec<RowGroup<'_>> = Vec::new();
    for row in rows {
        let (code, column) = (row.code.as_str(), row.column.as_deref());
        match groups
            .iter_mut()
            .find(|g| g.code == code && g.column == column)
        {
            Some(g) => g.rows.push(row),
            None => groups.push(RowGroup {
                code,
                column,
                rows: vec![row],
            }),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.rows.len()));
    groups
}

fn grouped(out: &mut String, rows: &[RowError], omitted: u64) {
    for RowGroup {
        code,
        column,
        rows: members,
    } in group_rows(rows)
    {
        let column = column.map(|c| format!(", column {c}")).unwrap_or_default();
        out.push_str(&format!("  {} x {code}{column}\n", members.len()));
        for row in members.iter().take(EXAMPLES_PER_REASON) {
            out.push_str(&format!("      line {}: {}\n", row.line, row.reason));
        }
        if members.len() > EXAMPLES_PER_REASON {
            out.push_str(&format!(
                "      ... and {} more (--format json lists every line)\n",
                members.len() - EXAMPLES_PER_REASON
            ));
        }
    }
    if omitted > 0 {
        out.push_str(&format!(
            "  {omitted} more not listed (the list stops at {MAX_LISTED_ERRORS})\n"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, code: &str, column: &str) -> RowError {
        RowError {
            line,
            column: Some(column.into()),
            reason: format!("{code} at {line}"),
            code: code.into(),
        }
    }

    #[test]
    fn the_table_groups_rows_by_reason_with_counts_and_first_lines() {
        let mut file = FileSummary {
            file: "Opportunity.csv".into(),
            kind: "deals".into(),
            read: 512,
            inserted: 500,
            ..FileSummary::default()
        };
        for line in 2..50 {
            file.reject(row(line, "malformed", "ClosingPlan__c"));
        }
        file.reject(row(77, "bad_date", "CreatedDate"));
        for line in [14, 19] {
            file.push_warning(row(line, "amount_rounded", "Amount"));
        }
        let summary = ImportSummary {
            files: vec![file],
            ..ImportSummary::default()
        };
        let table = summary.to_table();
        assert!(
            table.contains("49 rejected rows, by reason:\n  48 x malformed, column ClosingPlan__c\n      line 2: malformed at 2\n      line 3: malformed at 3\n      line 4: malformed at 4\n      ... and 45 more"),
            "{table}"
        );
        assert!(
            table.contains("  1 x bad_date, column CreatedDate\n      line 77"),
            "{table}"
        );
        assert!(table.contains("2 warnings"), "{table}");
        assert!(
            table.contains("  2 x amount_rounded, column Amount\n"),
            "{table}"
        );
        assert_eq!(table.matches("line ").count(), 3 + 1 + 2, "{table}");
        assert_eq!(
            summary.throughput_line(std::time::Duration::from_millis(2000)),
            "512 rows read in 2.0 s (256 rows/s)\n"
        );
    }
}
