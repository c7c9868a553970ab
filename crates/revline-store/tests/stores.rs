//! The conformance suite, run unchanged against both stores.

use revline_store::Store;
use revline_store::testing::{TempPg, TempSqlite};

trait Fresh {
    fn store(&self) -> &dyn Store;
    async fn cleanup(self);
}

impl Fresh for TempSqlite {
    fn store(&self) -> &dyn Store {
        &self.store
    }
    async fn cleanup(self) {}
}

impl Fresh for TempPg {
    fn store(&self) -> &dyn Store {
        &self.store
    }
    async fn cleanup(self) {
        self.drop_database().await
    }
}

mod sqlite {
    use super::*;
    revline_store::conformance_suite!(async { Some(revline_store::testing::sqlite().await) });

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn backup_is_a_consistent_copy_while_in_use() {
        let fresh = revline_store::testing::sqlite().await;
        let store = &fresh.store;
        let all = revline_store::conformance::fixtures();
        for kind in revline_core::RecordKind::ALL {
            let batch: Vec<_> = all.iter().filter(|r| r.kind == kind).cloned().collect();
            store.write_batch(kind, &batch).await.unwrap();
        }
        // Batches keep landing while the copy is made; the copy holds whole batches.
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                for b in 0..40 {
                    let batch: Vec<_> = (0..500)
                        .map(|i| {
                            revline_store::conformance::record(
                                revline_core::RecordKind::Touchpoints,
                                &[
                                    ("touchpoint_id", &format!("live-{b:02}-{i:03}")),
                                    ("contact_id", "c1"),
                                    ("occurred_at", "2025-06-01"),
                                    ("channel", "email"),
                                ],
                            )
                        })
                        .collect();
                    store
                        .write_batch(revline_core::RecordKind::Touchpoints, &batch)
                        .await
                        .unwrap();
                    tokio::task::yield_now().await;
                }
            })
        };
        let during = fresh.dir.path().join("during.db");
        store.backup(&during).await.unwrap();
        writer.await.unwrap();
        let copy_during = revline_store::SqliteStore::open(&during).await.unwrap();
        let live = copy_during
            .count(revline_core::RecordKind::Touchpoints)
            .await
            .unwrap()
            - 2;
        assert_eq!(
            live % 500,
            0,
            "the copy holds whole batches only ({live} rows)"
        );
        let dest = fresh.dir.path().join("copy.db");
        store.backup(&dest).await.unwrap();
        assert!(store.backup(&dest).await.is_err(), "never overwrites");
        let copy = revline_store::SqliteStore::open(&dest).await.unwrap();
        for kind in revline_core::RecordKind::ALL {
            assert_eq!(
                copy.read_page(kind, None, 100).await.unwrap(),
                store.read_page(kind, None, 100).await.unwrap(),
                "{kind}"
            );
        }
    }
    /// A second writer on the same file (an import while the server runs) failed at once
    /// with a bare "database is locked": a batch read its stored rows, the other writer
    /// committed, and the batch's write could no longer take the lock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_writer_on_the_file_waits_its_turn() {
        let fresh = revline_store::testing::sqlite().await;
        let path = fresh.store.path().to_path_buf();
        let other = revline_store::SqliteStore::open(&path).await.unwrap();
        let batch = |writer: usize, round: usize| -> Vec<revline_core::Record> {
            (0..200)
                .map(|i| {
                    revline_store::conformance::record(
                        revline_core::RecordKind::Touchpoints,
                        &[
                            // Both writers touch the same ids: each batch reads, then writes.
                            ("touchpoint_id", &format!("t{i:03}")),
                            ("contact_id", &format!("c{writer}")),
                            ("occurred_at", &format!("2025-06-{:02}", round % 28 + 1)),
                            ("channel", "email"),
                        ],
                    )
                })
                .collect()
        };
        let write = |store: revline_store::SqliteStore, writer: usize| {
            tokio::spawn(async move {
                for round in 0..30 {
                    store
                        .write_batch(revline_core::RecordKind::Touchpoints, &batch(writer, round))
                        .await
                        .map_err(|e| format!("writer {writer}, round {round}: {e}"))?;
                }
                Ok::<(), String>(())
            })
        };
        let (a, b) = tokio::join!(write(fresh.store.clone(), 1), write(other, 2));
        a.unwrap().unwrap();
        b.unwrap().unwrap();
    }

    /// When the other writer holds on for longer than the wait, the error says so.
    #[test]
    fn a_busy_file_is_named_as_another_writer() {
        let busy = revline_store::StoreError::Sqlite {
            code: 5,
            message: "database is locked".into(),
        };
        assert!(busy.to_string().contains("another process"), "{busy}");
        let snapshot = revline_store::StoreError::Sqlite {
            code: 517,
            message: "database is locked".into(),
        };
        assert!(snapshot.to_string().contains("another process"));
        let other = revline_store::StoreError::Sqlite {
            code: 19,
            message: "constraint failed".into(),
        };
        assert_eq!(other.to_string(), "SQLite error 19: constraint failed");
    }
}

mod postgres {
    use super::*;
    revline_store::conformance_suite!(revline_store::testing::postgres());

    #[tokio::test]
    async fn backup_is_a_pg_dump_archive_that_restores() {
        let Some(fresh) = revline_store::testing::postgres().await else {
            return;
        };
        let all = revline_store::conformance::fixtures();
        for kind in revline_core::RecordKind::ALL {
            let batch: Vec<_> = all.iter().filter(|r| r.kind == kind).cloned().collect();
            fresh.store.write_batch(kind, &batch).await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("revline.dump");
        fresh.store.backup(&dest).await.unwrap();
        assert!(fresh.store.backup(&dest).await.is_err(), "never overwrites");
        // Restore into a second database and compare every kind.
        let Some(target) = revline_store::testing::postgres().await else {
            return;
        };
        let status = std::process::Command::new("pg_restore")
            .arg("--clean")
            .arg("--if-exists")
            .arg("--no-owner")
            .arg("--dbname")
            .arg(&target.url)
            .arg(&dest)
            .status()
            .unwrap();
        assert!(status.success(), "pg_restore {status}");
        for kind in revline_core::RecordKind::ALL {
            assert_eq!(
                target.store.read_page(kind, None, 100).await.unwrap(),
                fresh.store.read_page(kind, None, 100).await.unwrap(),
                "{kind}"
            );
        }
        target.drop_database().await;
        fresh.drop_database().await;
    }
}
