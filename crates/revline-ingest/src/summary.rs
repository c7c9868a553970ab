//! The import summary: per file, rows read / inserted / updated / rejected and every
//! rejected row with its line, column and reason (interface.md).

use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many rejected rows are listed per file; the rest are counted in
/// `errors_omitted` so that a broken million-row file does not flood the terminal.
pub const MAX_LISTED_ERRORS: usize = 10_000;

#[derive(Debug, Clone, Serialize, PartialEq)]
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
    /// Rows that landed but look wrong (a deal closed before its contact existed).
    pub warnings: Vec<RowError>,
    /// Why reading stopped before the end of the file, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl FileSummary {
    pub fn reject(&mut self, error: RowError) {
        self.rejected += 1;
        self.push_error(error);
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
            if let Some(why) = &f.stopped {
                out.push_str(&format!("\n{}: reading stopped: {why}\n", f.file));
            }
            for w in f.warnings.iter().take(50) {
                let col = w
                    .column
                    .as_deref()
                    .map(|c| format!(", column {c}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{}: warning: line {}{col}: {}\n",
                    f.file, w.line, w.reason
                ));
            }
            if f.warnings.len() > 50 {
                out.push_str(&format!(
                    "{}: ... and {} more warnings\n",
                    f.file,
                    f.warnings.len() - 50
                ));
            }
            if f.errors.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{} ({} rejected):\n", f.file, f.rejected));
            for e in &f.errors {
                let col = e
                    .column
                    .as_deref()
                    .map(|c| format!(", column {c}"))
                    .unwrap_or_default();
                out.push_str(&format!("  line {}{col}: {}\n", e.line, e.reason));
            }
            if f.errors_omitted > 0 {
                out.push_str(&format!(
                    "  ... and {} more (use --format json for the data)\n",
                    f.errors_omitted
                ));
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
