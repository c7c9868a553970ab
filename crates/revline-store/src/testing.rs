//! Fresh stores for tests: a new SQLite file in a temporary folder, or a new
//! PostgreSQL database per test on the server named by `REVLINE_TEST_DATABASE_URL`.
//!
//! Without a reachable server PostgreSQL tests print a notice and skip, except under CI
//! (`CI` set), where they fail: a missing server must never pass as green.

use crate::{PgStore, SqliteStore};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::sync::atomic::{AtomicU64, Ordering};

pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://revline:revline@127.0.0.1:5432/revline";

pub struct TempSqlite {
    pub store: SqliteStore,
    pub dir: tempfile::TempDir,
}

pub async fn sqlite() -> TempSqlite {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = SqliteStore::open(&dir.path().join("revline.db"))
        .await
        .expect("open sqlite store");
    TempSqlite { store, dir }
}

/// A database created for one test and dropped when the test ends.
pub struct TempPg {
    pub store: PgStore,
    pub url: String,
    admin_url: String,
    name: String,
}

impl TempPg {
    pub async fn drop_database(self) {
        self.store.pool().close().await;
        if let Ok(mut admin) = PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The admin URL, or `None` (after printing why) when PostgreSQL tests should skip.
pub async fn pg_admin_url() -> Option<String> {
    let url = std::env::var("REVLINE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_string());
    match PgConnection::connect(&url).await {
        Ok(conn) => {
            let _ = conn.close().await;
            Some(url)
        }
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL is required under CI but {url} is unreachable: {e}");
            }
            eprintln!(
                "notice: skipping PostgreSQL test, {url} is unreachable ({e}); set REVLINE_TEST_DATABASE_URL"
            );
            None
        }
    }
}

/// A fresh, migrated database, or `None` when PostgreSQL tests skip.
pub async fn postgres() -> Option<TempPg> {
    let admin_url = pg_admin_url().await?;
    let name = format!(
        "revline_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("connect as test admin");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let url = replace_database(&admin_url, &name);
    let store = PgStore::connect(&url)
        .await
        .expect("connect to test database");
    Some(TempPg {
        store,
        url,
        admin_url,
        name,
    })
}

/// The files of a folder as (name, bytes), by name: for comparing exports.
pub fn folder_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("readable folder")
        .map(|e| e.expect("folder entry").path())
        .map(|p| {
            (
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string(),
                std::fs::read(&p).expect("readable file"),
            )
        })
        .collect();
    files.sort();
    files
}

/// The same server URL with another database name.
pub fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..path_start], database);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            super::replace_database("postgres://u:p@h:5432/db", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
