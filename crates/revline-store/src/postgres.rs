//! The team server: PostgreSQL. Batches travel by COPY into a session-local staging
//! table and are merged with one upsert, so large imports run at COPY speed.

use crate::sql::{self, Dialect, StoredRow};
use crate::sqlite::group_duplicates;
use crate::{DuplicateEmail, ImportRun, Result, Store, StoreError, WriteCounts};
use async_trait::async_trait;
use revline_core::{Record, RecordKind, Settings, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    url: String,
}

impl PgStore {
    /// The pool that writes.
    fn writes(&self) -> &sqlx::PgPool {
        &self.pool
    }

    /// A transaction on the pool that writes (the same call as the SQLite store's).
    async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// Connects to `url` and migrates the database on first use.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStore {
            pool,
            url: url.to_string(),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Appends one field in COPY's text format.
fn copy_field(out: &mut String, text: Option<&str>) {
    match text {
        None => out.push_str("\\N"),
        Some(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

fn copy_rows(records: &[Record]) -> String {
    let mut out = String::with_capacity(records.len() * 128);
    for r in records {
        copy_field(&mut out, Some(&r.id));
        for v in &r.values {
            out.push('\t');
            match v {
                Value::Null => copy_field(&mut out, None),
                Value::Int(i) => out.push_str(&i.to_string()),
                Value::Text(s) => copy_field(&mut out, Some(s)),
            }
        }
        out.push('\t');
        copy_field(&mut out, Some(&r.props_json()));
        out.push('\t');
        out.push_str(&r.content_hash().to_string());
        out.push('\n');
    }
    out
}

/// COPYs the records into a table.
async fn copy_into(
    conn: &mut sqlx::PgConnection,
    table: &str,
    columns: &str,
    records: &[Record],
) -> Result<()> {
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {table} ({columns}) FROM STDIN (FORMAT text)"
        ))
        .await?;
    copy.send(copy_rows(records).into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// COPYs the records into this session's staging table for the kind (emptied at
/// commit) and returns its name.
async fn stage(
    tx: &mut sqlx::PgConnection,
    kind: RecordKind,
    records: &[Record],
) -> Result<String> {
    let table = kind.name();
    let staging = format!("staging_{table}");
    let columns = sql::column_list(kind);
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )))
    .execute(&mut *tx)
    .await?;
    copy_into(tx, &staging, &columns, records).await?;
    // Without statistics the planner takes the staging table for a large one and may
    // scan the whole target table to join it.
    sqlx::query(AssertSqlSafe(format!("ANALYZE {staging}")))
        .execute(&mut *tx)
        .await?;
    Ok(staging)
}

impl PgStore {
    /// One keyset page of records: every column with props, or just `only`.
    async fn page(
        &self,
        kind: RecordKind,
        only: Option<&[&str]>,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>> {
        let text = sql::select_page_sql(Dialect::Postgres, kind, only, after_id.is_some());
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
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn location(&self) -> String {
        // Never show a password.
        match PgConnectOptions::from_str(&self.url) {
            Ok(o) => format!(
                "postgres://{}@{}:{}/{}",
                o.get_username(),
                o.get_host(),
                o.get_port(),
                o.get_database().unwrap_or("")
            ),
            Err(_) => "postgres".to_string(),
        }
    }

    async fn settings(&self) -> Result<Settings> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
            .fetch_all(&self.pool)
            .await?;
        sql::settings_from_pairs(rows)
    }

    async fn save_settings(&self, settings: &Settings) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for (k, v) in settings.to_pairs() {
            sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
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

    /// COPY writes each row's hash as it formats the row, so the given ones are not
    /// needed here.
    async fn insert_new_hashed(
        &self,
        kind: RecordKind,
        records: &[Record],
        _hashes: &[i64],
    ) -> Result<Vec<usize>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let table = kind.name();
        let mut skipped = sql::repeated_in_batch(records);
        if skipped.is_empty() {
            // The common case, a first import: COPY straight into the table. Should an id
            // be taken after all, the whole COPY fails and the careful path below runs.
            let mut tx = self.pool.begin().await?;
            match copy_into(&mut tx, table, &sql::column_list(kind), records).await {
                Ok(()) => {
                    sqlx::query(sql::RAISE_DATA_VERSION)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    return Ok(Vec::new());
                }
                Err(StoreError::Database(sqlx::Error::Database(e)))
                    if e.code().as_deref() == Some("23505") =>
                {
                    tx.rollback().await?;
                }
                Err(e) => return Err(e),
            }
        }
        let kept: Vec<Record> = records
            .iter()
            .enumerate()
            .filter(|(i, _)| skipped.binary_search(i).is_err())
            .map(|(_, r)| r.clone())
            .collect();
        let mut tx = self.pool.begin().await?;
        let staging = stage(&mut tx, kind, &kept).await?;
        let columns = sql::column_list(kind);
        let inserted: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} \
             ON CONFLICT (id) DO NOTHING RETURNING id"
        )))
        .fetch_all(&mut *tx)
        .await?;
        if !inserted.is_empty() {
            sqlx::query(sql::RAISE_DATA_VERSION)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        if inserted.len() < kept.len() {
            let inserted: HashSet<&str> = inserted.iter().map(String::as_str).collect();
            let taken: HashSet<&str> = kept
                .iter()
                .map(|r| r.id.as_str())
                .filter(|id| !inserted.contains(id))
                .collect();
            skipped.extend(
                records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| taken.contains(r.id.as_str()))
                    .map(|(i, _)| i),
            );
            skipped.sort_unstable();
            skipped.dedup();
        }
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
        let table = kind.name();
        let columns = sql::column_list(kind);
        let mut tx = self.pool.begin().await?;
        // The stored digests of the batch's ids, by the primary key: only new and changed
        // rows travel and are written, so an unchanged re-import reads and writes nothing
        // else. (Counting them with `staging LEFT JOIN table` was planned as a hash join
        // over the whole table, a full scan per batch: 1,418 s to re-import 10M
        // unchanged touchpoints.)
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        let stored: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(
            format!("SELECT id, row_hash FROM {table} WHERE id = ANY($1)"),
        ))
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let (to_write, counts) = sql::classify(records, &stored);
        if !to_write.is_empty() {
            let changed: Vec<Record> = to_write.into_iter().map(|(r, _)| r.clone()).collect();
            let staging = stage(&mut tx, kind, &changed).await?;
            let set: Vec<String> = kind
                .columns()
                .map(|f| format!("\"{0}\" = excluded.\"{0}\"", f.name))
                .chain([
                    "props = excluded.props".to_string(),
                    "row_hash = excluded.row_hash".to_string(),
                ])
                .collect();
            // The digest guard stays: a row another writer changed meanwhile is written
            // only when it differs.
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} \
                 ON CONFLICT (id) DO UPDATE SET {} WHERE {table}.row_hash <> excluded.row_hash",
                set.join(", ")
            )))
            .execute(&mut *tx)
            .await?;
            sqlx::query(sql::RAISE_DATA_VERSION)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn stored_hashes(
        &self,
        kind: RecordKind,
        ids: &[String],
    ) -> Result<HashMap<String, i64>> {
        let text = format!(
            "SELECT id, row_hash FROM {} WHERE id = ANY($1)",
            kind.name()
        );
        let rows: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(text))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }

    async fn contact_created_at(&self, ids: &[String]) -> Result<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT id, created_at FROM contacts WHERE id = ANY($1) AND created_at IS NOT NULL",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
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
                    "SELECT id FROM {} WHERE id > $1 ORDER BY id LIMIT $2",
                    kind.name()
                );
                sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(after)
                    .bind(limit as i64)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let text = format!("SELECT id FROM {} ORDER BY id LIMIT $1", kind.name());
                sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(limit as i64)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows)
    }

    async fn existing_ids(&self, kind: RecordKind, ids: &[String]) -> Result<HashSet<String>> {
        let text = format!("SELECT id FROM {} WHERE id = ANY($1)", kind.name());
        let found: Vec<String> = sqlx::query_scalar(AssertSqlSafe(text))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(found.into_iter().collect())
    }

    async fn contact_ids_by_email(&self, emails: &[String]) -> Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT email, MIN(id) FROM contacts WHERE email = ANY($1) GROUP BY email",
        )
        .bind(emails)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
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

    async fn prop_keys(&self, kind: RecordKind) -> Result<Vec<String>> {
        let text = format!(
            "SELECT DISTINCT k COLLATE \"C\" FROM {}, jsonb_object_keys(props) AS k ORDER BY 1",
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
             WHERE c.id NOT IN (SELECT merged_id FROM contact_merges) ORDER BY c.email COLLATE \"C\", c.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(group_duplicates(rows))
    }

    async fn start_import_run(&self, source: &str, dry_run: bool, now: i64) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_runs (source, dry_run, started_at, status, runner) VALUES ($1, $2, $3, 'running', $4) RETURNING id",
        )
        .bind(source)
        .bind(dry_run)
        .bind(now)
        .bind(crate::runner_id())
        .fetch_one(&self.pool)
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
        sqlx::query("UPDATE import_runs SET status = $1, summary = $2::jsonb, finished_at = $3 WHERE id = $4")
            .bind(status)
            .bind(summary_json)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn import_runs(&self, limit: usize) -> Result<Vec<ImportRun>> {
        let rows = sqlx::query(
            "SELECT id, source, dry_run, started_at, finished_at, status, summary::text, runner FROM import_runs \
             ORDER BY id DESC LIMIT $1",
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
        sql::pg_access::create_user(self.writes(), email, role, password_hash, now).await
    }

    async fn create_first_user(
        &self,
        email: &str,
        role: &str,
        password_hash: Option<&str>,
        now: i64,
    ) -> Result<Option<crate::User>> {
        sql::pg_access::create_first_user(self.writes(), email, role, password_hash, now).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<crate::User>> {
        sql::pg_access::user_by(&self.pool, "email", sql::pg_access::UserKey::Email(email)).await
    }

    async fn users(&self) -> Result<Vec<crate::User>> {
        sql::pg_access::users(&self.pool).await
    }

    async fn create_token(&self, user_id: i64, token_hash: &str, now: i64) -> Result<i64> {
        sql::pg_access::create_token(self.writes(), user_id, token_hash, now).await
    }

    async fn user_by_token(&self, token_hash: &str, now: i64) -> Result<Option<crate::User>> {
        sql::pg_access::user_by_token(&self.pool, self.writes(), token_hash, now).await
    }

    async fn records_by_id(&self, kind: RecordKind, ids: &[String]) -> Result<Vec<Record>> {
        sql::pg_access::records_by_id(&self.pool, kind, ids).await
    }

    async fn search_records(
        &self,
        kind: RecordKind,
        search: &crate::RecordSearch,
    ) -> Result<(Vec<Record>, u64)> {
        sql::pg_access::search_records(&self.pool, kind, search).await
    }

    async fn set_user_lang(&self, user_id: i64, lang: Option<&str>) -> Result<bool> {
        sql::pg_access::set_user_field(self.writes(), user_id, "lang", lang).await
    }

    async fn set_user_role(&self, user_id: i64, role: &str) -> Result<bool> {
        sql::pg_access::set_user_field(self.writes(), user_id, "role", Some(role)).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sql::pg_access::create_session(self.writes(), token_hash, user_id, csrf, now, expires_at)
            .await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<Option<(crate::User, String)>> {
        sql::pg_access::session(&self.pool, self.writes(), token_hash, now, idle_since).await
    }

    async fn delete_session(&self, token_hash: &str, now: i64) -> Result<()> {
        sql::pg_access::delete_session(self.writes(), token_hash, now).await
    }

    async fn tokens(&self, user_id: i64) -> Result<Vec<crate::ApiToken>> {
        sql::pg_access::tokens(&self.pool, user_id).await
    }

    async fn delete_token(&self, user_id: i64, id: i64) -> Result<bool> {
        sql::pg_access::delete_token(self.writes(), user_id, id).await
    }

    async fn sign_in_attempted(&self, keys: &[&str], now: i64, since: i64) -> Result<Vec<u64>> {
        sql::pg_access::sign_in_attempted(self.writes(), keys, now, since).await
    }

    async fn sign_in_failures(&self, key: &str, since: i64) -> Result<u64> {
        sql::pg_access::sign_in_failures(&self.pool, key, since).await
    }

    async fn merge_contacts(&self, merge: &crate::ContactMerge) -> Result<()> {
        sql::pg_access::merge_contacts(self.writes(), merge).await
    }

    async fn unmerge_contact(&self, merged_id: &str) -> Result<bool> {
        sql::pg_access::unmerge_contact(self.writes(), merged_id).await
    }

    async fn contact_merges(&self) -> Result<Vec<crate::ContactMerge>> {
        sql::pg_access::contact_merges(&self.pool).await
    }

    async fn data_version(&self) -> Result<i64> {
        sql::pg_access::data_version(&self.pool).await
    }

    async fn save_view(&self, view: &crate::SavedView) -> Result<()> {
        sql::pg_access::save_view(self.writes(), view).await
    }

    async fn saved_views(&self) -> Result<Vec<crate::SavedView>> {
        sql::pg_access::saved_views(&self.pool).await
    }

    async fn delete_view(&self, name: &str) -> Result<bool> {
        sql::pg_access::delete_view(self.writes(), name).await
    }

    async fn clear_sign_in_failures(&self, key: &str, at: Option<i64>) -> Result<()> {
        sql::pg_access::clear_sign_in_failures(self.writes(), key, at).await
    }

    fn batch_size(&self) -> usize {
        50_000
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn announce(&self, note: &crate::ChangeNote) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::changes::CHANNEL)
            .bind(note.payload())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn listen(
        &self,
    ) -> Result<Option<futures::stream::BoxStream<'static, Result<crate::Heard>>>> {
        use futures::StreamExt;
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(crate::changes::CHANNEL).await?;
        // `try_recv` answers `None` when the connection was lost (it reconnects on the
        // next call): notes sent meanwhile are gone, which the listener is told.
        let heard = futures::stream::unfold(listener, |mut listener| async move {
            let next = loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match crate::ChangeNote::parse(n.payload()) {
                        Some(note) => break Ok(crate::Heard::Note(note)),
                        None => continue,
                    },
                    Ok(None) => break Ok(crate::Heard::Missed),
                    Err(e) => break Err(e.into()),
                }
            };
            Some((next, listener))
        });
        Ok(Some(heard.boxed()))
    }

    async fn backup(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(StoreError::Unsupported(format!(
                "{} already exists; choose a new file",
                dest.display()
            )));
        }
        // pg_dump reads one consistent snapshot (a repeatable-read transaction).
        let status = tokio::process::Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--file")
            .arg(dest)
            .arg("--dbname")
            .arg(&self.url)
            .status()
            .await
            .map_err(|e| {
                StoreError::Unsupported(format!("backing up PostgreSQL needs pg_dump on PATH: {e}"))
            })?;
        if !status.success() {
            return Err(StoreError::Unsupported(format!(
                "pg_dump failed ({status})"
            )));
        }
        Ok(())
    }
}

crate::alerts::store_methods!(PgStore, pg_alerts);
