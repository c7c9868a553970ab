//! Storage of a Revline workspace. `Store` is the one interface the rest of the product
//! uses; `SqliteStore` (the embedded default) and `PgStore` implement it, and the
//! `conformance` suite runs unchanged against both.

use async_trait::async_trait;
use revline_core::{Cell, Record, RecordKind, RowView, Settings, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub mod alerts;
pub mod changes;
#[cfg(feature = "testing")]
pub mod conformance;
mod overlap;
mod postgres;
mod sql;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use changes::{ChangeNote, Heard};
pub use overlap::scan_overlapped;
pub use postgres::PgStore;
pub use sql::classify;
pub use sqlite::SqliteStore;

/// A session's last use is noted when it is older than this, not on every request.
pub const SESSION_TOUCH_MS: i64 = 60_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{}", sqlite_message(*.code, .message))]
    Sqlite { code: i32, message: String },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What a busy SQLite file means to the person who ran the command.
const BUSY: &str = "the workspace file is being written by another process (another `revline import`, or a server on the same file) and stayed busy for 30 s: try again when it is done, or send the records to that server's API";

/// SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
fn is_busy(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6)
}

fn database_message(e: &sqlx::Error) -> String {
    let busy = e
        .as_database_error()
        .filter(|d| d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some())
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(is_busy);
    if busy {
        BUSY.to_string()
    } else {
        format!("database error: {e}")
    }
}

fn sqlite_message(code: i32, message: &str) -> String {
    if is_busy(code) {
        BUSY.to_string()
    } else {
        format!("SQLite error {code}: {message}")
    }
}

/// What writing a batch did, row by row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    pub inserted: u64,
    pub updated: u64,
    /// Rows already stored with the same content: nothing was written.
    pub unchanged: u64,
}

impl WriteCounts {
    pub fn add(&mut self, other: WriteCounts) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// One entry of the log of import runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRun {
    pub id: i64,
    pub source: String,
    pub dry_run: bool,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `ok`, `rejected` (some rows refused) or `failed`.
    pub status: String,
    /// The import summary as JSON text.
    pub summary: Option<String>,
    /// The process that runs it: "HOST PID" (`runner_id`).
    pub runner: Option<String>,
}

/// This process as an import run's runner: the host's name and the process id.
pub fn runner_id() -> String {
    format!("{} {}", host_name(), std::process::id())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

impl ImportRun {
    /// A run still marked running whose process is gone: killed, or its machine
    /// restarted. Told only for runs of this host, where the process table can be read
    /// (`/proc`); elsewhere a running run stays running.
    pub fn interrupted(&self) -> bool {
        let Some((host, pid)) = self.runner.as_deref().and_then(|r| r.rsplit_once(' ')) else {
            return false;
        };
        self.status == "running"
            && std::path::Path::new("/proc/self").exists()
            && host == host_name()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }

    /// The status to show: `interrupted` for a run whose process is gone.
    pub fn shown_status(&self) -> &str {
        if self.interrupted() {
            "interrupted"
        } else {
            &self.status
        }
    }
}

/// Someone who uses the web app or the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    /// `admin`, `editor` or `viewer`.
    pub role: String,
    /// An argon2 PHC string; `None` for a user who signs in with tokens only.
    pub password_hash: Option<String>,
    pub created_at: i64,
    /// The interface language the user chose (`en`, `pl`); `None`: the browser's.
    pub lang: Option<String>,
}

/// A page of records that match a search (the web app's record lists).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordSearch {
    /// Case-insensitive substring of the id or any text column.
    pub text: Option<String>,
    /// Text columns that must equal these values.
    pub equals: Vec<(String, String)>,
    /// A column of the kind; default the id. Missing values sort last.
    pub sort: Option<String>,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// An API token as its owner sees it: never the token itself, which is stored hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Contacts that share one email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateEmail {
    pub email: String,
    pub contact_ids: Vec<String>,
}

/// A contact merged into another: the same person under two ids. Recorded, never
/// applied to the records themselves, so it survives re-imports and can be undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMerge {
    pub merged_id: String,
    pub survivor_id: String,
    pub merged_at: i64,
    /// Who merged them (a user's email, or `cli`).
    pub merged_by: String,
}

/// A view saved for the workspace: a page with its period, filter and breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub name: String,
    /// The page (`/funnel`) and its query string without the `?` (`period=this_year`).
    pub path: String,
    pub query: String,
    /// Who saved it (a user's email).
    pub saved_by: String,
    pub saved_at: i64,
}

/// What `Store::scan_columns` hands each row to (the row is borrowed for the call only).
pub type RowVisitor<'v> = dyn for<'a, 'r> FnMut(&'a RowView<'r>) + Send + 'v;

#[async_trait]
pub trait Store: alerts::AlertStore + Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// A description for people: the file or the server and database.
    fn location(&self) -> String;

    async fn settings(&self) -> Result<Settings>;
    async fn save_settings(&self, settings: &Settings) -> Result<()>;

    /// Upserts the records, all of one kind with distinct ids, in one transaction:
    /// either every row of the batch is written or none is.
    async fn write_batch(&self, kind: RecordKind, records: &[Record]) -> Result<WriteCounts>;

    /// Inserts records into a kind that held none of them when the import began, in one
    /// transaction, skipping rows whose id is already stored (an earlier row of the
    /// same file) or repeated within the batch. Returns the indices of skipped rows.
    /// Cheaper than `write_batch`: there is nothing to compare.
    async fn insert_new(&self, kind: RecordKind, records: &[Record]) -> Result<Vec<usize>> {
        let hashes: Vec<i64> = records.iter().map(Record::content_hash).collect();
        self.insert_new_hashed(kind, records, &hashes).await
    }

    /// `insert_new` with each record's `content_hash` already computed (an importer
    /// hashes a row on its reading thread while the row is still in cache). A backend
    /// may compute them again.
    async fn insert_new_hashed(
        &self,
        kind: RecordKind,
        records: &[Record],
        hashes: &[i64],
    ) -> Result<Vec<usize>>;

    /// Whether no record of this kind is stored.
    async fn is_empty(&self, kind: RecordKind) -> Result<bool>;

    /// The content digests stored for these ids (a dry run compares against them).
    async fn stored_hashes(&self, kind: RecordKind, ids: &[String])
    -> Result<HashMap<String, i64>>;

    /// `created_at` of these contacts, where stored and set.
    async fn contact_created_at(&self, ids: &[String]) -> Result<HashMap<String, i64>>;

    /// Ids of this kind in id order after `after_id`, at most `limit` of them.
    async fn ids_after(
        &self,
        kind: RecordKind,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>>;

    /// Which of these ids are stored.
    async fn existing_ids(&self, kind: RecordKind, ids: &[String]) -> Result<HashSet<String>>;

    /// Contact ids for these (normalised) emails; with duplicates, the smallest id.
    async fn contact_ids_by_email(&self, emails: &[String]) -> Result<HashMap<String, String>>;

    /// Records in id order (bytewise), starting after `after_id`.
    async fn read_page(
        &self,
        kind: RecordKind,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>>;

    /// Like `read_page`, but only the named columns are read (the others are null and
    /// props empty): what an analysis that needs a few columns of millions of rows reads.
    async fn read_columns(
        &self,
        kind: RecordKind,
        columns: &[&'static str],
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>>;

    /// Streams the named columns of every record of a kind, in id order, to `visit` as
    /// borrowed rows, without building a record per row: what loading an analysis
    /// snapshot of millions of rows needs. The default pages through `read_columns`.
    async fn scan_columns(
        &self,
        kind: RecordKind,
        columns: &[&'static str],
        visit: &mut RowVisitor<'_>,
    ) -> Result<()> {
        const PAGE: usize = 50_000;
        let mut after: Option<String> = None;
        loop {
            let page = self
                .read_columns(kind, columns, after.as_deref(), PAGE)
                .await?;
            for r in &page {
                let props = columns
                    .contains(&revline_core::PROPS)
                    .then(|| r.props_json());
                let cells: Vec<Cell<'_>> = columns
                    .iter()
                    .map(|c| match r.get(c) {
                        _ if *c == revline_core::PROPS => {
                            Cell::Text(props.as_deref().unwrap_or("{}"))
                        }
                        Value::Null => Cell::Null,
                        Value::Int(i) => Cell::Int(*i),
                        Value::Text(t) => Cell::Text(t),
                    })
                    .collect();
                visit(&RowView {
                    kind,
                    id: &r.id,
                    columns,
                    cells: &cells,
                });
            }
            if page.len() < PAGE {
                return Ok(());
            }
            after = page.last().map(|r| r.id.clone());
        }
    }

    /// The stored records with these ids, in id order (unknown ids are left out).
    async fn records_by_id(&self, kind: RecordKind, ids: &[String]) -> Result<Vec<Record>>;

    /// The records that match `search`, one page of them, and how many match in all.
    async fn search_records(
        &self,
        kind: RecordKind,
        search: &RecordSearch,
    ) -> Result<(Vec<Record>, u64)>;

    /// The custom property names used by records of this kind, sorted.
    async fn prop_keys(&self, kind: RecordKind) -> Result<Vec<String>>;

    async fn count(&self, kind: RecordKind) -> Result<u64>;

    /// Contacts that share an email, leaving out contacts merged into another.
    async fn duplicate_emails(&self) -> Result<Vec<DuplicateEmail>>;

    /// Records a merge (replacing an earlier one of the same merged contact).
    async fn merge_contacts(&self, merge: &ContactMerge) -> Result<()>;

    /// Undoes the merge of `merged_id`; false when it was not merged.
    async fn unmerge_contact(&self, merged_id: &str) -> Result<bool>;

    /// Every recorded merge, oldest first.
    async fn contact_merges(&self) -> Result<Vec<ContactMerge>>;

    /// Saves a view under its name, replacing one of the same name.
    async fn save_view(&self, view: &SavedView) -> Result<()>;

    /// Every saved view, by name.
    async fn saved_views(&self) -> Result<Vec<SavedView>>;

    /// Deletes the view of that name; false when there is none.
    async fn delete_view(&self, name: &str) -> Result<bool>;

    async fn start_import_run(&self, source: &str, dry_run: bool, now: i64) -> Result<i64>;
    async fn finish_import_run(
        &self,
        id: i64,
        status: &str,
        summary_json: &str,
        now: i64,
    ) -> Result<()>;
    /// The newest runs first.
    async fn import_runs(&self, limit: usize) -> Result<Vec<ImportRun>>;

    /// Creates a user; `Conflict` when the email is taken.
    async fn create_user(
        &self,
        email: &str,
        role: &str,
        password_hash: Option<&str>,
        now: i64,
    ) -> Result<User>;

    /// Creates the first user, only while there is none (the first-run set-up); `None`
    /// when a user exists, also when another set-up won a race for it.
    async fn create_first_user(
        &self,
        email: &str,
        role: &str,
        password_hash: Option<&str>,
        now: i64,
    ) -> Result<Option<User>>;

    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;

    /// Every user, by email.
    async fn users(&self) -> Result<Vec<User>>;

    /// Stores the digest of a new API token of `user_id`.
    async fn create_token(&self, user_id: i64, token_hash: &str, now: i64) -> Result<i64>;

    /// The user whose token has this digest, noting when it was last used.
    async fn user_by_token(&self, token_hash: &str, now: i64) -> Result<Option<User>>;

    /// Sets (or with `None` clears) the user's interface language.
    async fn set_user_lang(&self, user_id: i64, lang: Option<&str>) -> Result<bool>;

    /// Changes the user's role (`admin`, `editor`, `viewer`).
    async fn set_user_role(&self, user_id: i64, role: &str) -> Result<bool>;

    /// Stores a web session: the digest of its cookie, its CSRF token, its expiry.
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()>;

    /// The user and CSRF token of a session that has not expired and was last used
    /// after `idle_since`; the use is noted (at most every `SESSION_TOUCH_MS`).
    async fn session(
        &self,
        token_hash: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<Option<(User, String)>>;

    /// Ends the session (signing out), and clears expired ones.
    async fn delete_session(&self, token_hash: &str, now: i64) -> Result<()>;

    /// The user's API tokens, oldest first.
    async fn tokens(&self, user_id: i64) -> Result<Vec<ApiToken>>;

    /// Revokes one of the user's tokens; false when it is not theirs or gone.
    async fn delete_token(&self, user_id: i64, id: i64) -> Result<bool>;

    /// Notes a sign-in attempt under each of `keys` (an account, a client address) at
    /// `now`, forgets every attempt at or before `since`, and answers each key's count
    /// of attempts after `since`, this one included. Attempts made at once are counted
    /// in turn, so that a burst cannot pass the limit before any is counted.
    async fn sign_in_attempted(&self, keys: &[&str], now: i64, since: i64) -> Result<Vec<u64>>;

    /// How many sign-in attempts `key` has had after `since`.
    async fn sign_in_failures(&self, key: &str, since: i64) -> Result<u64>;

    /// Forgets the sign-in attempts of `key` (after a successful one), or with `at`
    /// only the attempt noted then.
    async fn clear_sign_in_failures(&self, key: &str, at: Option<i64>) -> Result<()>;

    /// Rows per write transaction that suit this store: SQLite holds a batch in memory
    /// until it is written, PostgreSQL gains from long COPY streams.
    fn batch_size(&self) -> usize;

    /// Finishes outstanding work and closes the connections (for SQLite: folds the
    /// write-ahead log back into the database file, so the file alone is complete).
    async fn close(&self);

    /// Writes a consistent copy of the whole store to `dest` while it stays in use.
    async fn backup(&self, dest: &Path) -> Result<()>;

    /// The data version: raised by every write that changes what a snapshot is built
    /// from (records, merges, settings) and by nothing else, so an unchanged re-import
    /// leaves it as it was. Snapshot files name the version they reflect.
    async fn data_version(&self) -> Result<i64>;

    /// Tells the other processes on the same database what changed (`changes`). A
    /// store one process owns (SQLite) has nobody to tell.
    async fn announce(&self, _note: &ChangeNote) -> Result<()> {
        Ok(())
    }

    /// What the other processes announce, from now on; `None` where the store has no
    /// channel (SQLite).
    async fn listen(&self) -> Result<Option<futures::stream::BoxStream<'static, Result<Heard>>>> {
        Ok(None)
    }
}

/// Reads every record of a kind, page by page, in id order.
pub async fn for_each_record<F>(
    store: &dyn Store,
    kind: RecordKind,
    page: usize,
    mut f: F,
) -> Result<()>
where
    F: FnMut(Record) -> Result<()> + Send,
{
    let mut after: Option<String> = None;
    loop {
        let rows = store.read_page(kind, after.as_deref(), page).await?;
        let done = rows.len() < page;
        after = rows.last().map(|r| r.id.clone());
        for r in rows {
            f(r)?;
        }
        if done {
            return Ok(());
        }
    }
}

/// The email and name of each of `ids` that is a stored contact, read in pages (a list
/// of a funnel stage's people is shown with them; reports hold neither).
/// Why a merge was refused, or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records that `merged` is the same person as `survivor`, once both contacts exist
/// and the merge would not make a loop (`survivor` already merged into `merged`).
pub async fn merge_contacts(
    store: &dyn Store,
    merged: &str,
    survivor: &str,
    by: &str,
    now: i64,
) -> std::result::Result<ContactMerge, MergeError> {
    let refused = |m: String| Err(MergeError::Refused(m));
    if merged == survivor {
        return refused("a contact cannot be merged into itself".into());
    }
    let ids = [merged.to_string(), survivor.to_string()];
    let found = store.existing_ids(RecordKind::Contacts, &ids).await?;
    if let Some(id) = ids.iter().find(|id| !found.contains(*id)) {
        return refused(format!("no contact with id '{id}'"));
    }
    let into: std::collections::HashMap<String, String> = store
        .contact_merges()
        .await?
        .into_iter()
        .map(|m| (m.merged_id, m.survivor_id))
        .collect();
    let mut at = survivor;
    while let Some(next) = into.get(at) {
        if next == merged {
            return refused(format!(
                "{survivor} is already merged into {merged}: unmerge it first"
            ));
        }
        at = next;
    }
    let merge = ContactMerge {
        merged_id: merged.to_string(),
        survivor_id: survivor.to_string(),
        merged_at: now,
        merged_by: by.to_string(),
    };
    store.merge_contacts(&merge).await?;
    Ok(merge)
}

/// Why an email names no contact.
#[derive(Debug, thiserror::Error)]
pub enum EmailLookupError {
    #[error("'{0}' is not an address")]
    NotAnAddress(String),
    #[error("no contact with email '{0}'")]
    NoContact(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The contact an email address belongs to: the one lookup the command line and the
/// server use (the address normalised as imports store it).
pub async fn contact_with_email(
    store: &dyn Store,
    email: &str,
) -> Result<String, EmailLookupError> {
    let address = revline_core::normalize::normalize_email(email)
        .ok_or_else(|| EmailLookupError::NotAnAddress(email.to_string()))?;
    store
        .contact_ids_by_email(std::slice::from_ref(&address))
        .await?
        .remove(&address)
        .ok_or(EmailLookupError::NoContact(address))
}

pub async fn contact_labels(
    store: &dyn Store,
    ids: &[String],
) -> Result<std::collections::HashMap<String, (Option<String>, Option<String>)>> {
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(5_000) {
        for r in store.records_by_id(RecordKind::Contacts, chunk).await? {
            let text = |c: &str| r.text(c).map(str::to_string);
            let label = (text("email"), text("name"));
            found.insert(r.id, label);
        }
    }
    Ok(found)
}
