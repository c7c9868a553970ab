//! SQL text shared by both backends; only placeholders, casts and limits differ.

use crate::{Result, StoreError, WriteCounts};
use revline_core::{FieldType, Record, RecordKind, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Raises the data version (migration 0012); run last in a writing transaction, so the
/// row's lock is held only while the transaction commits.
pub(crate) const RAISE_DATA_VERSION: &str = "UPDATE data_version SET n = n + 1 WHERE id = 1";
pub(crate) const DATA_VERSION: &str = "SELECT n FROM data_version WHERE id = 1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn placeholder(self, n: usize, out: &mut String) {
        match self {
            Dialect::Sqlite => out.push('?'),
            Dialect::Postgres => {
                let _ = write!(out, "${n}");
            }
        }
    }

    /// Bind parameters one statement may carry.
    pub(crate) fn max_params(self) -> usize {
        match self {
            Dialect::Sqlite => 32_766,
            Dialect::Postgres => 65_535,
        }
    }

    fn props_select(self) -> &'static str {
        match self {
            Dialect::Sqlite => "props",
            Dialect::Postgres => "props::text",
        }
    }
}

/// Parameters per record in an upsert: id, the columns, props, row_hash.
pub(crate) fn params_per_record(kind: RecordKind) -> usize {
    kind.columns().count() + 3
}

pub(crate) fn column_list(kind: RecordKind) -> String {
    let mut cols = String::from("id");
    for f in kind.columns() {
        let _ = write!(cols, ", \"{}\"", f.name);
    }
    cols.push_str(", props, row_hash");
    cols
}

/// `INSERT ... VALUES (...), ... ON CONFLICT (id) DO UPDATE` for `rows` records.
pub(crate) fn upsert_sql(dialect: Dialect, kind: RecordKind, rows: usize) -> String {
    let per = params_per_record(kind);
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        kind.name(),
        column_list(kind)
    );
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for p in 0..per {
            if p > 0 {
                sql.push_str(", ");
            }
            n += 1;
            dialect.placeholder(n, &mut sql);
            if p == per - 2 && dialect == Dialect::Postgres {
                sql.push_str("::jsonb");
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (id) DO UPDATE SET ");
    let mut first = true;
    for name in kind.columns().map(|f| f.name).chain(["props", "row_hash"]) {
        if !first {
            sql.push_str(", ");
        }
        first = false;
        let quoted = if name == "props" || name == "row_hash" {
            name.to_string()
        } else {
            format!("\"{name}\"")
        };
        let _ = write!(sql, "{quoted} = excluded.{quoted}");
    }
    sql
}

/// `INSERT ... ON CONFLICT (id) DO NOTHING` for `rows` records.
pub(crate) fn insert_ignore_sql(dialect: Dialect, kind: RecordKind, rows: usize) -> String {
    let upsert = upsert_sql(dialect, kind, rows);
    let values_end = upsert
        .find(" ON CONFLICT")
        .expect("upserts have a conflict clause");
    format!("{} ON CONFLICT (id) DO NOTHING", &upsert[..values_end])
}

/// Indices of records whose id repeats an earlier record of the batch.
pub(crate) fn repeated_in_batch(records: &[Record]) -> Vec<usize> {
    let mut seen = std::collections::HashSet::with_capacity(records.len());
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| !seen.insert(r.id.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// `SELECT id, row_hash FROM kind WHERE id IN (...)` for `n` ids.
pub(crate) fn select_hashes_sql(
    dialect: Dialect,
    kind: RecordKind,
    n: usize,
    what: &str,
) -> String {
    let mut sql = format!("SELECT {what} FROM {} WHERE id IN (", kind.name());
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        dialect.placeholder(i + 1, &mut sql);
    }
    sql.push(')');
    sql
}

/// Refuses column names the kind does not have (they would be spliced into SQL).
pub(crate) fn check_columns(kind: RecordKind, columns: &[&str]) -> Result<()> {
    match columns
        .iter()
        .find(|c| **c != revline_core::PROPS && kind.column_index(c).is_none())
    {
        Some(bad) => Err(StoreError::Unsupported(format!(
            "{kind} has no column {bad}"
        ))),
        None => Ok(()),
    }
}

/// A page of records: every column and the props, or (`only`) just those columns.
/// The statement of `Store::search_records` (or, with `count`, of its total) and the
/// texts to bind in order. Column names are checked against the kind, so only values
/// are bound.
pub(crate) fn search_sql(
    dialect: Dialect,
    kind: RecordKind,
    search: &crate::RecordSearch,
    count: bool,
) -> Result<(String, Vec<String>)> {
    use revline_core::FieldType;
    let column = |name: &str| -> Result<&'static revline_core::Field> {
        kind.columns().find(|f| f.name == name).ok_or_else(|| {
            StoreError::Unsupported(format!("{} has no column '{name}'", kind.name()))
        })
    };
    let mut binds = Vec::new();
    let mut conditions = Vec::new();
    let mut n = 0;
    let mut next = |sql: &mut String| {
        n += 1;
        dialect.placeholder(n, sql);
    };
    if let Some(text) = search
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!(
            "%{}%",
            text.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut any = Vec::new();
        let searched = std::iter::once("id").chain(
            kind.columns()
                .filter(|f| {
                    matches!(
                        f.ty,
                        FieldType::Id | FieldType::Text | FieldType::Email | FieldType::Name
                    )
                })
                .map(|f| f.name),
        );
        for name in searched {
            let mut c = format!("LOWER(\"{name}\") LIKE ");
            next(&mut c);
            c.push_str(" ESCAPE '\\'");
            any.push(c);
            binds.push(pattern.clone());
        }
        conditions.push(format!("({})", any.join(" OR ")));
    }
    for (name, value) in &search.equals {
        let f = column(name)?;
        if matches!(
            f.ty,
            FieldType::Timestamp | FieldType::Amount | FieldType::Csat
        ) {
            return Err(StoreError::Unsupported(format!(
                "'{name}' is not a text column to filter on"
            )));
        }
        let mut c = format!("\"{}\" = ", f.name);
        next(&mut c);
        conditions.push(c);
        binds.push(value.clone());
    }
    let mut sql = if count {
        format!("SELECT COUNT(*) FROM {}", kind.name())
    } else {
        let mut cols = String::from("id");
        for f in kind.columns() {
            let _ = write!(cols, ", \"{}\"", f.name);
        }
        let _ = write!(cols, ", {}", dialect.props_select());
        format!("SELECT {cols} FROM {}", kind.name())
    };
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    if !count {
        let order = match search.sort.as_deref() {
            None | Some("id") => "id".to_string(),
            Some(name) => format!("\"{}\"", column(name)?.name),
        };
        let dir = if search.descending { "DESC" } else { "ASC" };
        // Nulls last either way, then id, so pages never overlap.
        let _ = write!(
            sql,
            " ORDER BY ({order} IS NULL), {order} {dir}, id {dir} LIMIT {} OFFSET {}",
            search.limit, search.offset
        );
    }
    Ok((sql, binds))
}

/// `SELECT every column FROM kind WHERE id IN (...)` for `n` ids, in id order.
pub(crate) fn select_ids_sql(dialect: Dialect, kind: RecordKind, n: usize) -> String {
    let mut sql = String::from("SELECT id");
    for f in kind.columns() {
        let _ = write!(sql, ", \"{}\"", f.name);
    }
    let _ = write!(
        sql,
        ", {} FROM {} WHERE id IN (",
        dialect.props_select(),
        kind.name()
    );
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        dialect.placeholder(i + 1, &mut sql);
    }
    sql.push_str(") ORDER BY id");
    sql
}

pub(crate) fn select_page_sql(
    dialect: Dialect,
    kind: RecordKind,
    only: Option<&[&str]>,
    after: bool,
) -> String {
    let mut cols = String::from("id");
    match only {
        None => {
            for f in kind.columns() {
                let _ = write!(cols, ", \"{}\"", f.name);
            }
            let _ = write!(cols, ", {}", dialect.props_select());
        }
        Some(names) => {
            for name in names {
                if *name == revline_core::PROPS {
                    let _ = write!(cols, ", {}", dialect.props_select());
                } else {
                    let _ = write!(cols, ", \"{name}\"");
                }
            }
        }
    }
    let mut sql = format!("SELECT {cols} FROM {}", kind.name());
    let mut n = 0;
    if after {
        n += 1;
        sql.push_str(" WHERE id > ");
        dialect.placeholder(n, &mut sql);
    }
    sql.push_str(" ORDER BY id LIMIT ");
    dialect.placeholder(n + 1, &mut sql);
    sql
}

/// Splits a batch into new, changed and unchanged rows given the stored hashes.
pub fn classify<'a>(
    records: &'a [Record],
    stored: &HashMap<String, i64>,
) -> (Vec<(&'a Record, i64)>, WriteCounts) {
    let mut counts = WriteCounts::default();
    let mut to_write = Vec::with_capacity(records.len());
    for r in records {
        let hash = r.content_hash();
        match stored.get(&r.id) {
            None => {
                counts.inserted += 1;
                to_write.push((r, hash));
            }
            Some(h) if *h != hash => {
                counts.updated += 1;
                to_write.push((r, hash));
            }
            Some(_) => counts.unchanged += 1,
        }
    }
    (to_write, counts)
}

/// Decoding shared by both backends: each row type is read the same way.
pub(crate) trait StoredRow: sqlx::Row
where
    usize: sqlx::ColumnIndex<Self>,
{
    fn text(&self, i: usize) -> Result<Option<String>>;
    fn int(&self, i: usize) -> Result<Option<i64>>;
    fn flag(&self, i: usize) -> Result<bool>;

    /// A record from `select_page_sql`'s columns: id, the kind's columns, props.
    fn record(&self, kind: RecordKind) -> Result<Record> {
        let id = self
            .text(0)?
            .ok_or_else(|| StoreError::Corrupt(format!("{kind}: a row without id")))?;
        let props_at = kind.columns().count() + 1;
        record_from_cells(
            kind,
            id,
            |i, ty| {
                Ok(if ty.is_integer() {
                    self.int(i)?.map_or(Value::Null, Value::Int)
                } else {
                    self.text(i)?.map_or(Value::Null, Value::Text)
                })
            },
            self.text(props_at)?,
        )
    }

    /// A record of which only `names` were selected (after the id); the rest is null.
    fn partial_record(&self, kind: RecordKind, names: &[&str]) -> Result<Record> {
        let id = self
            .text(0)?
            .ok_or_else(|| StoreError::Corrupt(format!("{kind}: a row without id")))?;
        let mut values = vec![Value::Null; kind.columns().count()];
        let mut props = Default::default();
        for (at, name) in names.iter().enumerate() {
            if *name == revline_core::PROPS {
                props = parse_props(self.text(at + 1)?)?;
                continue;
            }
            let (i, field) = kind
                .columns()
                .enumerate()
                .find(|(_, f)| f.name == *name)
                .ok_or_else(|| StoreError::Corrupt(format!("{kind} has no column {name}")))?;
            values[i] = if field.ty.is_integer() {
                self.int(at + 1)?.map_or(Value::Null, Value::Int)
            } else {
                self.text(at + 1)?.map_or(Value::Null, Value::Text)
            };
        }
        Ok(Record {
            kind,
            id,
            values,
            props,
        })
    }

    /// An import run from `id, source, dry_run, started_at, finished_at, status, summary`.
    /// A user from `id, email, role, password_hash, created_at, lang`.
    fn user(&self) -> Result<crate::User> {
        let missing = |what: &str| StoreError::Corrupt(format!("user without {what}"));
        Ok(crate::User {
            id: self.int(0)?.ok_or_else(|| missing("id"))?,
            email: self.text(1)?.ok_or_else(|| missing("email"))?,
            role: self.text(2)?.ok_or_else(|| missing("role"))?,
            password_hash: self.text(3)?,
            created_at: self.int(4)?.ok_or_else(|| missing("created_at"))?,
            lang: self.text(5)?,
        })
    }

    fn import_run(&self) -> Result<crate::ImportRun> {
        let missing = |what: &str| StoreError::Corrupt(format!("import run without {what}"));
        Ok(crate::ImportRun {
            id: self.int(0)?.ok_or_else(|| missing("id"))?,
            source: self.text(1)?.ok_or_else(|| missing("source"))?,
            dry_run: self.flag(2)?,
            started_at: self.int(3)?.ok_or_else(|| missing("start"))?,
            finished_at: self.int(4)?,
            status: self.text(5)?.ok_or_else(|| missing("status"))?,
            summary: self.text(6)?,
            runner: self.text(7)?,
        })
    }
}

macro_rules! stored_row {
    ($row:ty) => {
        impl $crate::sql::StoredRow for $row {
            fn text(&self, i: usize) -> $crate::Result<Option<String>> {
                Ok(sqlx::Row::try_get(self, i)?)
            }
            fn int(&self, i: usize) -> $crate::Result<Option<i64>> {
                Ok(sqlx::Row::try_get(self, i)?)
            }
            fn flag(&self, i: usize) -> $crate::Result<bool> {
                Ok(sqlx::Row::try_get(self, i)?)
            }
        }
    };
}
stored_row!(sqlx::sqlite::SqliteRow);
stored_row!(sqlx::postgres::PgRow);

/// Settings from their stored (key, value) rows; defaults for keys not stored.
pub(crate) fn settings_from_pairs(rows: Vec<(String, String)>) -> Result<revline_core::Settings> {
    let mut settings = revline_core::Settings::default();
    for (k, v) in rows {
        settings
            .set(&k, &v)
            .map_err(|e| StoreError::Corrupt(format!("setting {k}: {e}")))?;
    }
    Ok(settings)
}

/// A stored props cell: a JSON object of texts (none when null).
pub(crate) fn parse_props(text: Option<String>) -> Result<BTreeMap<String, String>> {
    match text {
        None => Ok(BTreeMap::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            StoreError::Corrupt(format!("props are not a JSON object of strings: {e}"))
        }),
    }
}

/// Rebuilds a record from the text and integer cells of a stored row.
pub(crate) fn record_from_cells(
    kind: RecordKind,
    id: String,
    mut cell: impl FnMut(usize, FieldType) -> Result<Value>,
    props: Option<String>,
) -> Result<Record> {
    let mut values = Vec::with_capacity(kind.columns().count());
    for (i, f) in kind.columns().enumerate() {
        values.push(cell(i + 1, f.ty)?);
    }
    let props = parse_props(props).map_err(|e| StoreError::Corrupt(format!("{kind} {id}: {e}")))?;
    Ok(Record {
        kind,
        id,
        values,
        props,
    })
}

pub(crate) const USER_COLUMNS: &str = "id, email, role, password_hash, created_at, lang";

/// A unique-key violation as the store's `Conflict`, other errors as they are.
pub(crate) fn conflict(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what()),
        _ => StoreError::Database(e),
    }
}

/// `#1`, `#2`, ... in `text` as the dialect's numbered placeholders (`?1` / `$1`).
pub(crate) fn numbered(dialect: Dialect, text: &str) -> String {
    let mark = match dialect {
        Dialect::Sqlite => "?",
        Dialect::Postgres => "$",
    };
    text.replace('#', mark)
}

/// The users and API-token queries, one body for both stores: they differ only in the
/// database type and its placeholders. Each store's `Store` methods call these.
macro_rules! access_queries {
    ($module:ident, $db:ty, $dialect:expr) => {
        pub(crate) mod $module {
            use crate::sql::{StoredRow, USER_COLUMNS, conflict, numbered};
            use crate::{Result, User};
            use sqlx::AssertSqlSafe;
            type Pool = sqlx::Pool<$db>;

            pub(crate) async fn create_user(
                write: &Pool,
                email: &str,
                role: &str,
                password_hash: Option<&str>,
                now: i64,
            ) -> Result<User> {
                let text = numbered(
                    $dialect,
                    "INSERT INTO users (email, role, password_hash, created_at) VALUES (#1, #2, #3, #4) RETURNING ",
                ) + USER_COLUMNS;
                let row = sqlx::query(AssertSqlSafe(text))
                    .bind(email)
                    .bind(role)
                    .bind(password_hash)
                    .bind(now)
                    .fetch_one(write)
                    .await
                    .map_err(|e| conflict(e, || format!("a user with email {email} exists")))?;
                row.user()
            }

            /// Creates the user only while no user exists: of several at once, one wins.
            pub(crate) async fn create_first_user(
                write: &Pool,
                email: &str,
                role: &str,
                password_hash: Option<&str>,
                now: i64,
            ) -> Result<Option<User>> {
                let mut tx = write.begin().await?;
                if matches!($dialect, crate::sql::Dialect::Postgres) {
                    // READ COMMITTED lets two inserts each see no user; this lock
                    // makes them take turns (SQLite's writers take turns anyway).
                    sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
                }
                let text = numbered(
                    $dialect,
                    "INSERT INTO users (email, role, password_hash, created_at) \
                     SELECT #1, #2, #3, #4 WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING ",
                ) + USER_COLUMNS;
                let row = sqlx::query(AssertSqlSafe(text))
                    .bind(email)
                    .bind(role)
                    .bind(password_hash)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                row.map(|r| r.user()).transpose()
            }

            pub(crate) async fn user_by(read: &Pool, column: &str, key: UserKey<'_>) -> Result<Option<User>> {
                let text = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = {}", numbered($dialect, "#1"));
                let query = sqlx::query(AssertSqlSafe(text));
                let query = match key {
                    UserKey::Email(e) => query.bind(e.to_string()),
                    UserKey::Id(id) => query.bind(id),
                };
                query.fetch_optional(read).await?.map(|r| r.user()).transpose()
            }

            pub(crate) enum UserKey<'a> {
                Email(&'a str),
                Id(i64),
            }

            pub(crate) async fn users(read: &Pool) -> Result<Vec<User>> {
                let text = format!("SELECT {USER_COLUMNS} FROM users ORDER BY email");
                let rows = sqlx::query(AssertSqlSafe(text)).fetch_all(read).await?;
                rows.iter().map(|r| r.user()).collect()
            }

            pub(crate) async fn create_token(write: &Pool, user_id: i64, token_hash: &str, now: i64) -> Result<i64> {
                let text = numbered(
                    $dialect,
                    "INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES (#1, #2, #3) RETURNING id",
                );
                sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(user_id)
                    .bind(token_hash)
                    .bind(now)
                    .fetch_one(write)
                    .await
                    .map_err(|e| conflict(e, || "that token is already stored".to_string()))
            }

            pub(crate) async fn records_by_id(
                read: &Pool,
                kind: revline_core::RecordKind,
                ids: &[String],
            ) -> Result<Vec<revline_core::Record>> {
                let mut out = Vec::with_capacity(ids.len());
                // Well under either database's limit on bound parameters.
                for chunk in ids.chunks(500) {
                    let text = crate::sql::select_ids_sql($dialect, kind, chunk.len());
                    let mut q = sqlx::query(AssertSqlSafe(text));
                    for id in chunk {
                        q = q.bind(id);
                    }
                    for row in q.fetch_all(read).await? {
                        out.push(row.record(kind)?);
                    }
                }
                out.sort_by(|a, b| a.id.cmp(&b.id));
                Ok(out)
            }

            pub(crate) async fn search_records(
                read: &Pool,
                kind: revline_core::RecordKind,
                search: &crate::RecordSearch,
            ) -> Result<(Vec<revline_core::Record>, u64)> {
                let (text, binds) = crate::sql::search_sql($dialect, kind, search, false)?;
                let mut q = sqlx::query(AssertSqlSafe(text));
                for b in &binds {
                    q = q.bind(b);
                }
                let rows = q.fetch_all(read).await?;
                let records = rows.iter().map(|row| row.record(kind)).collect::<Result<Vec<_>>>()?;
                let (text, binds) = crate::sql::search_sql($dialect, kind, search, true)?;
                let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(text));
                for b in &binds {
                    q = q.bind(b);
                }
                let total = q.fetch_one(read).await?;
                Ok((records, total as u64))
            }

            pub(crate) async fn set_user_field(write: &Pool, user_id: i64, column: &str, value: Option<&str>) -> Result<bool> {
                let text = format!("UPDATE users SET {column} = {} WHERE id = {}", numbered($dialect, "#1"), numbered($dialect, "#2"));
                let done = sqlx::query(AssertSqlSafe(text)).bind(value).bind(user_id).execute(write).await?;
                Ok(done.rows_affected() > 0)
            }

            pub(crate) async fn create_session(write: &Pool, token_hash: &str, user_id: i64, csrf: &str, now: i64, expires_at: i64) -> Result<()> {
                let text = numbered(
                    $dialect,
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (#1, #2, #3, #4, #5, #4)",
                );
                sqlx::query(AssertSqlSafe(text))
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(csrf)
                    .bind(now)
                    .bind(expires_at)
                    .execute(write)
                    .await
                    .map_err(|e| conflict(e, || "that session is already stored".to_string()))?;
                Ok(())
            }

            /// The session's user and CSRF token, when it has neither expired nor been idle
            /// since `idle_since`; its last use is noted (at most once a minute, so that
            /// reading pages does not write on every request).
            pub(crate) async fn session(
                read: &Pool,
                write: &Pool,
                token_hash: &str,
                now: i64,
                idle_since: i64,
            ) -> Result<Option<(User, String)>> {
                let text = numbered(
                    $dialect,
                    "SELECT user_id, csrf_token, COALESCE(last_seen_at, created_at) FROM sessions \
                     WHERE token_hash = #1 AND expires_at > #2 AND COALESCE(last_seen_at, created_at) > #3",
                );
                let found: Option<(i64, String, i64)> = sqlx::query_as(AssertSqlSafe(text))
                    .bind(token_hash)
                    .bind(now)
                    .bind(idle_since)
                    .fetch_optional(read)
                    .await?;
                let Some((user_id, csrf, last_seen)) = found else { return Ok(None) };
                if now - last_seen >= crate::SESSION_TOUCH_MS {
                    let text = numbered($dialect, "UPDATE sessions SET last_seen_at = #1 WHERE token_hash = #2");
                    sqlx::query(AssertSqlSafe(text)).bind(now).bind(token_hash).execute(write).await?;
                }
                Ok(user_by(read, "id", UserKey::Id(user_id)).await?.map(|u| (u, csrf)))
            }

            /// Ends this session, and every expired one.
            pub(crate) async fn delete_session(write: &Pool, token_hash: &str, now: i64) -> Result<()> {
                let text = numbered($dialect, "DELETE FROM sessions WHERE token_hash = #1 OR expires_at <= #2");
                sqlx::query(AssertSqlSafe(text)).bind(token_hash).bind(now).execute(write).await?;
                Ok(())
            }

            pub(crate) async fn tokens(read: &Pool, user_id: i64) -> Result<Vec<crate::ApiToken>> {
                let text = numbered(
                    $dialect,
                    "SELECT id, created_at, last_used_at FROM api_tokens WHERE user_id = #1 ORDER BY id",
                );
                let rows: Vec<(i64, i64, Option<i64>)> =
                    sqlx::query_as(AssertSqlSafe(text)).bind(user_id).fetch_all(read).await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, created_at, last_used_at)| crate::ApiToken { id, created_at, last_used_at })
                    .collect())
            }

            pub(crate) async fn delete_token(write: &Pool, user_id: i64, id: i64) -> Result<bool> {
                let text = numbered($dialect, "DELETE FROM api_tokens WHERE user_id = #1 AND id = #2");
                let done = sqlx::query(AssertSqlSafe(text)).bind(user_id).bind(id).execute(write).await?;
                Ok(done.rows_affected() > 0)
            }

            /// Notes an attempt under each key and counts each key's attempts after
            /// `since`, this one included, in one transaction that attempts take in turn.
            pub(crate) async fn sign_in_attempted(write: &Pool, keys: &[&str], now: i64, since: i64) -> Result<Vec<u64>> {
                let mut tx = write.begin().await?;
                if matches!($dialect, crate::sql::Dialect::Postgres) {
                    sqlx::query("LOCK TABLE sign_in_failures IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
                }
                let text = numbered($dialect, "DELETE FROM sign_in_failures WHERE at <= #1");
                sqlx::query(AssertSqlSafe(text)).bind(since).execute(&mut *tx).await?;
                let mut counts = Vec::with_capacity(keys.len());
                for key in keys {
                    let text = numbered($dialect, "INSERT INTO sign_in_failures (key, at) VALUES (#1, #2)");
                    sqlx::query(AssertSqlSafe(text)).bind(*key).bind(now).execute(&mut *tx).await?;
                    let text = numbered($dialect, "SELECT COUNT(*) FROM sign_in_failures WHERE key = #1 AND at > #2");
                    let n: i64 = sqlx::query_scalar(AssertSqlSafe(text)).bind(*key).bind(since).fetch_one(&mut *tx).await?;
                    counts.push(n as u64);
                }
                tx.commit().await?;
                Ok(counts)
            }

            pub(crate) async fn sign_in_failures(read: &Pool, key: &str, since: i64) -> Result<u64> {
                let text = numbered($dialect, "SELECT COUNT(*) FROM sign_in_failures WHERE key = #1 AND at > #2");
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(text)).bind(key).bind(since).fetch_one(read).await?;
                Ok(n as u64)
            }

            pub(crate) async fn merge_contacts(write: &Pool, m: &crate::ContactMerge) -> Result<()> {
                let mut tx = write.begin().await?;
                let text = numbered(
                    $dialect,
                    "INSERT INTO contact_merges (merged_id, survivor_id, merged_at, merged_by) VALUES (#1, #2, #3, #4) \
                     ON CONFLICT (merged_id) DO UPDATE SET survivor_id = excluded.survivor_id, \
                     merged_at = excluded.merged_at, merged_by = excluded.merged_by",
                );
                sqlx::query(AssertSqlSafe(text))
                    .bind(&m.merged_id)
                    .bind(&m.survivor_id)
                    .bind(m.merged_at)
                    .bind(&m.merged_by)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(crate::sql::RAISE_DATA_VERSION).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            pub(crate) async fn unmerge_contact(write: &Pool, merged_id: &str) -> Result<bool> {
                let mut tx = write.begin().await?;
                let text = numbered($dialect, "DELETE FROM contact_merges WHERE merged_id = #1");
                let done = sqlx::query(AssertSqlSafe(text)).bind(merged_id).execute(&mut *tx).await?;
                if done.rows_affected() > 0 {
                    sqlx::query(crate::sql::RAISE_DATA_VERSION).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            pub(crate) async fn data_version(read: &Pool) -> Result<i64> {
                Ok(sqlx::query_scalar(crate::sql::DATA_VERSION).fetch_one(read).await?)
            }

            pub(crate) async fn contact_merges(read: &Pool) -> Result<Vec<crate::ContactMerge>> {
                let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
                    "SELECT merged_id, survivor_id, merged_at, merged_by FROM contact_merges ORDER BY merged_at, merged_id",
                )
                .fetch_all(read)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(merged_id, survivor_id, merged_at, merged_by)| crate::ContactMerge {
                        merged_id,
                        survivor_id,
                        merged_at,
                        merged_by,
                    })
                    .collect())
            }

            pub(crate) async fn save_view(write: &Pool, v: &crate::SavedView) -> Result<()> {
                let text = numbered(
                    $dialect,
                    "INSERT INTO saved_views (name, path, query, saved_by, saved_at) VALUES (#1, #2, #3, #4, #5) \
                     ON CONFLICT (name) DO UPDATE SET path = excluded.path, query = excluded.query, \
                     saved_by = excluded.saved_by, saved_at = excluded.saved_at",
                );
                sqlx::query(AssertSqlSafe(text))
                    .bind(&v.name)
                    .bind(&v.path)
                    .bind(&v.query)
                    .bind(&v.saved_by)
                    .bind(v.saved_at)
                    .execute(write)
                    .await?;
                Ok(())
            }

            pub(crate) async fn saved_views(read: &Pool) -> Result<Vec<crate::SavedView>> {
                let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
                    "SELECT name, path, query, saved_by, saved_at FROM saved_views ORDER BY name",
                )
                .fetch_all(read)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(name, path, query, saved_by, saved_at)| crate::SavedView {
                        name,
                        path,
                        query,
                        saved_by,
                        saved_at,
                    })
                    .collect())
            }

            pub(crate) async fn delete_view(write: &Pool, name: &str) -> Result<bool> {
                let text = numbered($dialect, "DELETE FROM saved_views WHERE name = #1");
                let done = sqlx::query(AssertSqlSafe(text)).bind(name).execute(write).await?;
                Ok(done.rows_affected() > 0)
            }

            /// Forgets `key`'s attempts, or only those noted at `at`.
            pub(crate) async fn clear_sign_in_failures(write: &Pool, key: &str, at: Option<i64>) -> Result<()> {
                let text = match at {
                    Some(_) => numbered($dialect, "DELETE FROM sign_in_failures WHERE key = #1 AND at = #2"),
                    None => numbered($dialect, "DELETE FROM sign_in_failures WHERE key = #1"),
                };
                let mut q = sqlx::query(AssertSqlSafe(text)).bind(key);
                if let Some(at) = at {
                    q = q.bind(at);
                }
                q.execute(write).await?;
                Ok(())
            }

            pub(crate) async fn user_by_token(read: &Pool, write: &Pool, token_hash: &str, now: i64) -> Result<Option<User>> {
                let text = numbered(
                    $dialect,
                    "UPDATE api_tokens SET last_used_at = #1 WHERE token_hash = #2 RETURNING user_id",
                );
                let user_id: Option<i64> = sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(now)
                    .bind(token_hash)
                    .fetch_optional(write)
                    .await?;
                match user_id {
                    Some(id) => user_by(read, "id", UserKey::Id(id)).await,
                    None => Ok(None),
                }
            }
        }
    };
}
access_queries!(sqlite_access, sqlx::Sqlite, crate::sql::Dialect::Sqlite);
access_queries!(pg_access, sqlx::Postgres, crate::sql::Dialect::Postgres);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_statements_have_one_placeholder_per_parameter() {
        let kind = RecordKind::Stages;
        let sql = upsert_sql(Dialect::Postgres, kind, 2);
        assert!(sql.contains("$11::jsonb"), "{sql}");
        assert!(sql.contains("$12)"), "{sql}");
        let sqlite = upsert_sql(Dialect::Sqlite, kind, 2);
        assert_eq!(sqlite.matches('?').count(), 2 * params_per_record(kind));
    }
}
