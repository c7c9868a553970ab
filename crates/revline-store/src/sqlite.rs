//! The embedded default: one SQLite file in WAL mode.

use crate::sql::{self, Dialect, StoredRow};
use crate::{DuplicateEmail, ImportRun, Result, RowVisitor, Store, StoreError, WriteCounts};
use async_trait::async_trait;
use revline_core::{Cell, Record, RecordKind, RowView, Settings, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, SqlitePool};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Readers.
    pool: SqlitePool,
    /// The one connection that writes. SQLite takes one writer at a time anyway, and
    /// writing through one connection keeps its page cache warm: a commit by another
    /// connection would make it drop the cache.
    writer: SqlitePool,
    path: PathBuf,
    /// Wakes the checkpointer after a commit of records.
    checkpoint: std::sync::Arc<tokio::sync::Notify>,
}

/// How long a write waits for another process writing the same file.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

impl SqliteStore {
    /// The pool that writes (SQLite has one writer connection).
    fn writes(&self) -> &sqlx::SqlitePool {
        &self.writer
    }

    /// A transaction that takes the write lock at its start (`BEGIN IMMEDIATE`). A
    /// deferred one reads first and asks for the lock at its first write; if another
    /// process wrote in between, SQLite refuses at once ("database is locked") however
    /// long the busy timeout, where this one waits its turn.
    async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Opens the store at `path`, creating and migrating it on first use.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // Large pages make the wide, text-keyed record tables much cheaper to fill
            // (9 s instead of 13.5 s for 10M touchpoints, docs/benchmarks.md). Only takes
            // effect when the file is created.
            .page_size(16_384)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL keeps every committed batch across a crash of the
            // process; only a power loss may lose the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("cache_size", "-32768");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // Checkpoints run beside the writer (`checkpoints`); the writer's own
            // automatic checkpoint stays as a bound on the WAL (128 MB) should they lag.
            .connect_with(options.clone().pragma("wal_autocheckpoint", "8192"))
            .await?;
        MIGRATOR.run(&writer).await?;
        // Readers scan whole tables rather than revisit pages: a small cache each.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.pragma("cache_size", "-16384"))
            .await?;
        let checkpoint = std::sync::Arc::new(tokio::sync::Notify::new());
        tokio::spawn(checkpoints(pool.clone(), checkpoint.clone()));
        Ok(SqliteStore {
            pool,
            writer,
            checkpoint,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Copies committed pages from the WAL into the database file on a reading connection
/// (a passive checkpoint: it never blocks the writer), woken after commits of records.
/// With SQLite's automatic checkpoint the committing writer did this copy itself, while
/// the import's reading thread idled: moving it here made a 10M-row import 18% faster
/// (docs/benchmarks.md).
async fn checkpoints(pool: SqlitePool, wake: std::sync::Arc<tokio::sync::Notify>) {
    loop {
        wake.notified().await;
        if pool.is_closed() {
            return;
        }
        let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await;
    }
}

async fn hashes<'a>(
    conn: &mut sqlx::SqliteConnection,
    kind: RecordKind,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, i64>> {
    let ids: Vec<&str> = ids.collect();
    let mut stored = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(Dialect::Sqlite.max_params()) {
        let text = sql::select_hashes_sql(Dialect::Sqlite, kind, chunk.len(), "id, row_hash");
        let mut q = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(text));
        for id in chunk {
            q = q.bind(*id);
        }
        stored.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(stored)
}

/// Inserts rows whose ids are new; rows whose id is taken are left out. Returns how
/// many were inserted.
async fn insert_rows(
    conn: &mut sqlx::SqliteConnection,
    kind: RecordKind,
    rows: &[(&Record, i64)],
) -> Result<u64> {
    let text = sql::insert_ignore_sql(Dialect::Sqlite, kind, 1);
    let mut handle = conn.lock_handle().await?;
    raw::execute_rows(handle.as_raw_handle(), &text, kind, rows)
}

/// Writes rows with one prepared statement stepped once per row, straight through the
/// SQLite C API. Binding through sqlx copies every text value and round-trips a
/// channel per statement; for bulk writes that cost more than SQLite itself
/// (docs/benchmarks.md).
mod raw {
    use super::*;
    use libsqlite3_sys as ffi;
    use std::ffi::{CStr, CString, c_int};
    use std::ptr::NonNull;

    struct Statement(*mut ffi::sqlite3_stmt);

    impl Drop for Statement {
        fn drop(&mut self) {
            // SAFETY: the statement came from sqlite3_prepare_v3 and is finalised once.
            unsafe { ffi::sqlite3_finalize(self.0) };
        }
    }

    fn error(db: *mut ffi::sqlite3, code: c_int) -> StoreError {
        // SAFETY: db is an open connection; the message is copied before any other call.
        let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
            .to_string_lossy()
            .to_string();
        StoreError::Sqlite { code, message }
    }

    /// Prepares one statement on a connection the caller has locked for this thread.
    fn prepare(db: *mut ffi::sqlite3, sql: &str) -> Result<Statement> {
        let text = CString::new(sql).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: db is locked for this thread by the caller's LockedSqliteHandle.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(db, text.as_ptr(), -1, 0, &mut stmt, std::ptr::null_mut())
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
        Ok(Statement(stmt))
    }

    /// Runs `sql` (one row of parameters in `column_list` order) for every row and
    /// returns the number of rows changed.
    pub(super) fn execute_rows(
        db: NonNull<ffi::sqlite3>,
        sql: &str,
        kind: RecordKind,
        rows: &[(&Record, i64)],
    ) -> Result<u64> {
        let db = db.as_ptr();
        let stmt = prepare(db, sql)?;
        let integer: Vec<bool> = kind.columns().map(|f| f.ty.is_integer()).collect();
        let mut changed = 0u64;
        for (record, hash) in rows {
            let props = record.props_json();
            // SAFETY: every text pointer stays valid until sqlite3_reset below
            // (SQLITE_STATIC: SQLite does not copy), and indices are within the
            // statement's parameter count, which is column_list's length.
            unsafe {
                bind_text(stmt.0, 1, &record.id);
                for (i, (value, is_int)) in record.values.iter().zip(&integer).enumerate() {
                    let at = i as c_int + 2;
                    match value {
                        Value::Null => ffi::sqlite3_bind_null(stmt.0, at),
                        Value::Int(n) => ffi::sqlite3_bind_int64(stmt.0, at, *n),
                        Value::Text(s) => {
                            debug_assert!(!is_int, "text in an integer column");
                            bind_text(stmt.0, at, s)
                        }
                    };
                }
                let n = record.values.len() as c_int;
                bind_text(stmt.0, n + 2, &props);
                ffi::sqlite3_bind_int64(stmt.0, n + 3, *hash);
                let rc = ffi::sqlite3_step(stmt.0);
                ffi::sqlite3_reset(stmt.0);
                if rc != ffi::SQLITE_DONE {
                    return Err(error(db, rc));
                }
                changed += ffi::sqlite3_changes64(db) as u64;
            }
        }
        Ok(changed)
    }

    /// Steps `sql` (`SELECT id, columns... `) and hands each row to `visit` as borrowed
    /// cells, valid until the next step: reading millions of rows builds nothing per row.
    pub(super) fn scan(
        db: NonNull<ffi::sqlite3>,
        sql: &str,
        kind: RecordKind,
        columns: &[&'static str],
        visit: &mut RowVisitor<'_>,
    ) -> Result<()> {
        const MAX: usize = 32;
        if columns.len() > MAX {
            return Err(StoreError::Unsupported(format!(
                "at most {MAX} columns can be scanned at once"
            )));
        }
        let db = db.as_ptr();
        let stmt = prepare(db, sql)?;
        let n = columns.len();
        // Text columns hold text or NULL, which `sqlite3_column_text` tells apart by
        // itself: asking for the type first is needed for integer columns only.
        let mut integer = [false; MAX];
        for (flag, name) in integer.iter_mut().zip(columns) {
            *flag = kind
                .fields()
                .iter()
                .find(|f| f.name == *name)
                .is_some_and(|f| f.ty.is_integer());
        }
        loop {
            // SAFETY: the statement is prepared on this connection and stepped only here.
            let rc = unsafe { ffi::sqlite3_step(stmt.0) };
            if rc == ffi::SQLITE_DONE {
                return Ok(());
            }
            if rc != ffi::SQLITE_ROW {
                return Err(error(db, rc));
            }
            // SAFETY: column indices are below the statement's column count (1 + n), and
            // the borrowed texts are used only before the next step.
            let id = unsafe { column_text(stmt.0, 0) }?
                .ok_or_else(|| StoreError::Corrupt(format!("{kind}: a row without id")))?;
            let mut cells = [Cell::Null; MAX];
            for (i, cell) in cells.iter_mut().enumerate().take(n) {
                let at = i as c_int + 1;
                // SAFETY: as above.
                *cell = unsafe {
                    if !integer[i] {
                        column_text(stmt.0, at)?.map_or(Cell::Null, Cell::Text)
                    } else {
                        match ffi::sqlite3_column_type(stmt.0, at) {
                            ffi::SQLITE_NULL => Cell::Null,
                            ffi::SQLITE_INTEGER => Cell::Int(ffi::sqlite3_column_int64(stmt.0, at)),
                            _ => column_text(stmt.0, at)?.map_or(Cell::Null, Cell::Text),
                        }
                    }
                };
            }
            visit(&RowView {
                kind,
                id,
                columns,
                cells: &cells[..n],
            });
        }
    }

    /// SAFETY: `at` must be a column of the current row of `stmt`; the text is valid
    /// until the statement is stepped, reset or finalised.
    unsafe fn column_text<'a>(stmt: *mut ffi::sqlite3_stmt, at: c_int) -> Result<Option<&'a str>> {
        // SAFETY: the caller guarantees a current row; text first, then its length, as
        // SQLite's documentation asks.
        unsafe {
            let ptr = ffi::sqlite3_column_text(stmt, at);
            if ptr.is_null() {
                return Ok(None);
            }
            let len = ffi::sqlite3_column_bytes(stmt, at) as usize;
            let bytes = std::slice::from_raw_parts(ptr, len);
            // Almost every cell is ASCII, which an inlined check tells in a few
            // instructions; `from_utf8` called per cell was 5% of a snapshot build.
            if bytes.is_ascii() {
                // SAFETY: ASCII is valid UTF-8.
                return Ok(Some(std::str::from_utf8_unchecked(bytes)));
            }
            std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("text that is not UTF-8: {e}")))
        }
    }

    /// SAFETY: `text` must outlive the next sqlite3_reset of `stmt`.
    unsafe fn bind_text(stmt: *mut ffi::sqlite3_stmt, at: c_int, text: &str) -> c_int {
        // SAFETY: the caller keeps `text` alive; SQLITE_STATIC tells SQLite not to free it.
        unsafe {
            ffi::sqlite3_bind_text(
                stmt,
                at,
                text.as_ptr().cast(),
                text.len() as c_int,
                ffi::SQLITE_STATIC(),
            )
        }
    }
}

impl SqliteStore {
    /// One keyset page of records: every column with props, or just `only`.
    async fn page(
        &self,
        kind: RecordKind,
        only: Option<&[&str]>,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>> {
        let text = sql::select_page_sql(Dialect::Sqlite, kind, only, after_id.is_some());
        let mut q = sqlx::query(AssertSqlSafe(text));
        if let Some(a) = after_id {
            q = q.bind(a);
        }
        let rows = q.bind(limit as i64).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| match only {
                None => row.record(kind),
                Some(names) => row.partial_record(kind, names),
            })
            .collect()
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    async fn settings(&self) -> Result<Settings> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
            .fetch_all(&self.pool)
            .await?;
        sql::settings_from_pairs(rows)
    }

    async fn save_settings(&self, settings: &Settings) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        for (k, v) in settings.to_pairs() {
            sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(sql::RAISE_DATA_VERSION)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn stored_hashes(
        &self,
        kind: RecordKind,
        ids: &[String],
    ) -> Result<HashMap<String, i64>> {
        let mut conn = self.pool.acquire().await?;
        hashes(&mut conn, kind, ids.iter().map(String::as_str)).await
    }

    async fn insert_new_hashed(
        &self,
        kind: RecordKind,
        records: &[Record],
        content_hashes: &[i64],
    ) -> Result<Vec<usize>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        debug_assert_eq!(records.len(), content_hashes.len());
        let rows: Vec<(&Record, i64)> =
            records.iter().zip(content_hashes.iter().copied()).collect();
        let mut tx = self.write_transaction().await?;
        let inserted = insert_rows(&mut tx, kind, &rows).await?;
        if inserted == records.len() as u64 {
            sqlx::query(sql::RAISE_DATA_VERSION)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            self.checkpoint.notify_one();
            return Ok(Vec::new());
        }
        // Some ids were taken: find which, and insert only the others.
        tx.rollback().await?;
        let mut tx = self.write_transaction().await?;
        let stored = hashes(&mut tx, kind, records.iter().map(|r| r.id.as_str())).await?;
        let mut skipped = sql::repeated_in_batch(records);
        skipped.extend(
            records
                .iter()
                .enumerate()
                .filter(|(_, r)| stored.contains_key(&r.id))
                .map(|(i, _)| i),
        );
        skipped.sort_unstable();
        skipped.dedup();
        let kept: Vec<(&Record, i64)> = rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| skipped.binary_search(i).is_err())
            .map(|(_, r)| r)
            .collect();
        if insert_rows(&mut tx, kind, &kept).await? > 0 {
            sqlx::query(sql::RAISE_DATA_VERSION)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.checkpoint.notify_one();
        Ok(skipped)
    }

    async fn is_empty(&self, kind: RecordKind) -> Result<bool> {
        let text = format!("SELECT NOT EXISTS (SELECT 1 FROM {})", kind.name());
        Ok(sqlx::query_scalar(AssertSqlSafe(text))
            .fetch_one(&self.pool)
            .await?)
    }

    async fn write_batch(&self, kind: RecordKind, records: &[Record]) -> Result<WriteCounts> {
        if records.is_empty() {
            return Ok(WriteCounts::default());
        }
        let mut tx = self.write_transaction().await?;
        let stored = hashes(&mut tx, kind, records.iter().map(|r| r.id.as_str())).await?;
        let (to_write, counts) = sql::classify(records, &stored);
        if !to_write.is_empty() {
            let text = sql::upsert_sql(Dialect::Sqlite, kind, 1);
            let mut handle = tx.lock_handle().await?;
            raw::execute_rows(handle.as_raw_handle(), &text, kind, &to_write)?;
            drop(handle);
            sqlx::query(sql::RAISE_DATA_VERSION)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.checkpoint.notify_one();
        Ok(counts)
    }

    async fn contact_created_at(&self, ids: &[String]) -> Result<HashMap<String, i64>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(Dialect::Sqlite.max_params()) {
            let text = sql::select_hashes_sql(
                Dialect::Sqlite,
                RecordKind::Contacts,
                chunk.len(),
                "id, created_at",
            );
            let mut q = sqlx::query_as::<_, (String, Option<i64>)>(AssertSqlSafe(text));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            found.extend(
                q.fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .filter_map(|(id, t)| Some((id, t?))),
            );
        }
        Ok(found)
    }

    async fn ids_after(
        &self,
        kind: RecordKind,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>> {
        let rows = match after_id {
            Some(after) => {
                let text = format!(
                    "SELECT id FROM {} WHERE id > ? ORDER BY id LIMIT ?",
                    kind.name()
                );
                sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(after)
                    .bind(limit as i64)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let text = format!("SELECT id FROM {} ORDER BY id LIMIT ?", kind.name());
                sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(limit as i64)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows)
    }

    async fn existing_ids(&self, kind: RecordKind, ids: &[String]) -> Result<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(Dialect::Sqlite.max_params()) {
            let text = sql::select_hashes_sql(Dialect::Sqlite, kind, chunk.len(), "id");
            let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(text));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            found.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(found)
    }

    async fn contact_ids_by_email(&self, emails: &[String]) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        for chunk in emails.chunks(Dialect::Sqlite.max_params()) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let text = format!(
                "SELECT email, MIN(id) FROM contacts WHERE email IN ({marks}) GROUP BY email"
            );
            let mut q = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(text));
            for e in chunk {
                q = q.bind(e.as_str());
            }
            found.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(found)
    }

    async fn read_page(
        &self,
        kind: RecordKind,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>> {
        self.page(kind, None, after_id, limit).await
    }

    async fn read_columns(
        &self,
        kind: RecordKind,
        columns: &[&'static str],
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>> {
        sql::check_columns(kind, columns)?;
        self.page(kind, Some(columns), after_id, limit).await
    }

    async fn scan_columns(
        &self,
        kind: RecordKind,
        columns: &[&'static str],
        visit: &mut RowVisitor<'_>,
    ) -> Result<()> {
        sql::check_columns(kind, columns)?;
        let mut text = String::from("SELECT id");
        for c in columns {
            text.push_str(&format!(", \"{c}\""));
        }
        text.push_str(&format!(" FROM {} ORDER BY id", kind.name()));
        let mut conn = self.pool.acquire().await?;
        let mut handle = conn.lock_handle().await?;
        raw::scan(handle.as_raw_handle(), &text, kind, columns, visit)
    }

    async fn prop_keys(&self, kind: RecordKind) -> Result<Vec<String>> {
        let text = format!(
            "SELECT DISTINCT j.key FROM {} AS t, json_each(t.props) AS j WHERE t.props <> '{{}}' ORDER BY j.key",
            kind.name()
        );
        Ok(sqlx::query_scalar(AssertSqlSafe(text))
            .fetch_all(&self.pool)
            .await?)
    }

    async fn count(&self, kind: RecordKind) -> Result<u64> {
        let text = format!("SELECT COUNT(*) FROM {}", kind.name());
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(text))
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn duplicate_emails(&self) -> Result<Vec<DuplicateEmail>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.email, c.id FROM contacts c JOIN (SELECT email FROM contacts WHERE email IS NOT NULL \
             AND id NOT IN (SELECT merged_id FROM contact_merges) \
             GROUP BY email HAVING COUNT(*) > 1) d ON d.email = c.email \
             WHERE c.id NOT IN (SELECT merged_id FROM contact_merges) ORDER BY c.email, c.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(group_duplicates(rows))
    }

    async fn start_import_run(&self, source: &str, dry_run: bool, now: i64) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_runs (source, dry_run, started_at, status, runner) VALUES (?, ?, ?, 'running', ?) RETURNING id",
        )
        .bind(source)
        .bind(dry_run)
        .bind(now)
        .bind(crate::runner_id())
        .fetch_one(&self.writer)
        .await?;
        Ok(id)
    }

    async fn finish_import_run(
        &self,
        id: i64,
        status: &str,
        summary_json: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE import_runs SET status = ?, summary = ?, finished_at = ? WHERE id = ?")
            .bind(status)
            .bind(summary_json)
            .bind(now)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn import_runs(&self, limit: usize) -> Result<Vec<ImportRun>> {
        let rows = sqlx::query(
            "SELECT id, source, dry_run, started_at, finished_at, status, summary, runner FROM import_runs ORDER BY id DESC LIMIT ?",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| r.import_run()).collect()
    }

    async fn create_user(
        &self,
        email: &str,
        role: &str,
        password_hash: Option<&str>,
        now: i64,
    ) -> Result<crate::User> {
        sql::sqlite_access::create_user(self.writes(), email, role, password_hash, now).await
    }

    async fn create_first_user(
        &self,
        email: &str,
        role: &str,
        password_hash: Option<&str>,
        now: i64,
    ) -> Result<Option<crate::User>> {
        sql::sqlite_access::create_first_user(self.writes(), email, role, password_hash, now).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<crate::User>> {
        sql::sqlite_access::user_by(
            &self.pool,
            "email",
            sql::sqlite_access::UserKey::Email(email),
        )
        .await
    }

    async fn users(&self) -> Result<Vec<crate::User>> {
        sql::sqlite_access::users(&self.pool).await
    }

    async fn create_token(&self, user_id: i64, token_hash: &str, now: i64) -> Result<i64> {
        sql::sqlite_access::create_token(self.writes(), user_id, token_hash, now).await
    }

    async fn user_by_token(&self, token_hash: &str, now: i64) -> Result<Option<crate::User>> {
        sql::sqlite_access::user_by_token(&self.pool, self.writes(), token_hash, now).await
    }

    async fn records_by_id(&self, kind: RecordKind, ids: &[String]) -> Result<Vec<Record>> {
        sql::sqlite_access::records_by_id(&self.pool, kind, ids).await
    }

    async fn search_records(
        &self,
        kind: RecordKind,
        search: &crate::RecordSearch,
    ) -> Result<(Vec<Record>, u64)> {
        sql::sqlite_access::search_records(&self.pool, kind, search).await
    }

    async fn set_user_lang(&self, user_id: i64, lang: Option<&str>) -> Result<bool> {
        sql::sqlite_access::set_user_field(self.writes(), user_id, "lang", lang).await
    }

    async fn set_user_role(&self, user_id: i64, role: &str) -> Result<bool> {
        sql::sqlite_access::set_user_field(self.writes(), user_id, "role", Some(role)).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sql::sqlite_access::create_session(
            self.writes(),
            token_hash,
            user_id,
            csrf,
            now,
            expires_at,
        )
        .await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<Option<(crate::User, String)>> {
        sql::sqlite_access::session(&self.pool, self.writes(), token_hash, now, idle_since).await
    }

    async fn delete_session(&self, token_hash: &str, now: i64) -> Result<()> {
        sql::sqlite_access::delete_session(self.writes(), token_hash, now).await
    }

    async fn tokens(&self, user_id: i64) -> Result<Vec<crate::ApiToken>> {
        sql::sqlite_access::tokens(&self.pool, user_id).await
    }

    async fn delete_token(&self, user_id: i64, id: i64) -> Result<bool> {
        sql::sqlite_access::delete_token(self.writes(), user_id, id).await
    }

    async fn sign_in_attempted(&self, keys: &[&str], now: i64, since: i64) -> Result<Vec<u64>> {
        sql::sqlite_access::sign_in_attempted(self.writes(), keys, now, since).await
    }

    async fn sign_in_failures(&self, key: &str, since: i64) -> Result<u64> {
        sql::sqlite_access::sign_in_failures(&self.pool, key, since).await
    }

    async fn merge_contacts(&self, merge: &crate::ContactMerge) -> Result<()> {
        sql::sqlite_access::merge_contacts(self.writes(), merge).await
    }

    async fn unmerge_contact(&self, merged_id: &str) -> Result<bool> {
        sql::sqlite_access::unmerge_contact(self.writes(), merged_id).await
    }

    async fn contact_merges(&self) -> Result<Vec<crate::ContactMerge>> {
        sql::sqlite_access::contact_merges(&self.pool).await
    }

    async fn data_version(&self) -> Result<i64> {
        sql::sqlite_access::data_version(&self.pool).await
    }

    async fn save_view(&self, view: &crate::SavedView) -> Result<()> {
        sql::sqlite_access::save_view(self.writes(), view).await
    }

    async fn saved_views(&self) -> Result<Vec<crate::SavedView>> {
        sql::sqlite_access::saved_views(&self.pool).await
    }

    async fn delete_view(&self, name: &str) -> Result<bool> {
        sql::sqlite_access::delete_view(self.writes(), name).await
    }

    async fn clear_sign_in_failures(&self, key: &str, at: Option<i64>) -> Result<()> {
        sql::sqlite_access::clear_sign_in_failures(self.writes(), key, at).await
    }

    fn batch_size(&self) -> usize {
        10_000
    }

    async fn close(&self) {
        self.pool.close().await;
        // The last connection to close checkpoints the WAL into the file.
        self.writer.close().await;
    }

    async fn backup(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(StoreError::Unsupported(format!(
                "{} already exists; choose a new file",
                dest.display()
            )));
        }
        // VACUUM INTO reads one snapshot of the database inside a read transaction, so
        // the copy is consistent even while imports write to the store.
        sqlx::query("VACUUM INTO ?")
            .bind(dest.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

pub(crate) fn group_duplicates(rows: Vec<(String, String)>) -> Vec<DuplicateEmail> {
    let mut out: Vec<DuplicateEmail> = Vec::new();
    for (email, id) in rows {
        match out.last_mut() {
            Some(d) if d.email == email => d.contact_ids.push(id),
            _ => out.push(DuplicateEmail {
                email,
                contact_ids: vec![id],
            }),
        }
    }
    out
}

crate::alerts::store_methods!(SqliteStore, sqlite_alerts);
