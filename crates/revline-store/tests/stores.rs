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

    #[tokio::test]
    async fn backup_is_a_consistent_copy_while_in_use() {
        let fresh = revline_store::testing::sqlite().await;
        let store = &fresh.store;
        let all = revline_store::conformance::fixtures();
        for kind in revline_core::RecordKind::ALL {
            let batch: Vec<_> = all.iter().filter(|r| r.kind == kind).cloned().collect();
            store.write_batch(kind, &batch).await.unwrap();
        }
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
}

mod postgres {
    use super::*;
    revline_store::conformance_suite!(revline_store::testing::postgres());
}
