// Import behaviour on small hand-made files: every class of bad input the data
// contract names, the spreadsheet dialects, idempotency and the export round trip.

use revline_core::{RecordKind, Value};
use revline_ingest::export::export_store;
use revline_ingest::summary::{FileSummary, ImportSummary};
use revline_ingest::{ImportOptions, Mapping, NoProgress, import_path};
use revline_store::Store;
use revline_store::testing;
use std::path::Path;

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), text).unwrap();
}

async fn import(store: &dyn Store, path: &Path, options: &ImportOptions) -> ImportSummary {
    import_path(store, path, options, &NoProgress)
        .await
        .expect("import runs")
}

fn file<'a>(summary: &'a ImportSummary, kind: &str) -> &'a FileSummary {
    summary
        .files
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} in {summary:#?}"))
}

/// (line, column, code) of every listed error.
fn errors(f: &FileSummary) -> Vec<(u64, Option<&str>, &str)> {
    f.errors
        .iter()
        .map(|e| (e.line, e.column.as_deref(), e.code.as_str()))
        .collect()
}

async fn ids(store: &dyn Store, kind: RecordKind) -> Vec<String> {
    store
        .read_page(kind, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

const CONTACTS: &str =
    "contact_id,email,created_at\nc1,ann@example.com,2026-01-05\nc2,bob@example.com,2026-01-06\n";

#[tokio::test]
async fn missing_required_column_rejects_the_file_whole_and_other_files_land() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "contacts.csv", CONTACTS);
    write(
        dir.path(),
        "touchpoints.csv",
        "contact_id,channel\nc1,email\nc2,webinar\n",
    );
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let tp = file(&s, "touchpoints");
    assert_eq!((tp.read, tp.rejected, tp.inserted), (2, 2, 0));
    assert_eq!(errors(tp), vec![(1, Some("occurred_at"), "missing_column")]);
    assert!(
        tp.errors[0]
            .reason
            .contains("missing required column 'occurred_at'")
    );
    assert_eq!(file(&s, "contacts").inserted, 2);
    assert_eq!(s.exit_code(), 3);
}

#[tokio::test]
async fn bad_values_name_line_and_column_and_good_rows_land() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "contacts.csv", CONTACTS);
    write(
        dir.path(),
        "revenue.csv",
        "revenue_id,contact_id,occurred_at,amount,currency\n\
         r1,c1,2026-02-01,100.00,USD\n\
         r2,c1,2026-02-30,100.00,USD\n\
         r3,c1,2026-02-01,12.345,USD\n\
         r4,c1,2026-02-01,100.00,EURO\n\
         r5,c1,2026-02-01,1e,USD\n\
         r6,c9,2026-02-01,5.00,USD\n\
         r7,c2,2026-03-01,7.50,\n",
    );
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let rev = file(&s, "revenue");
    assert_eq!((rev.read, rev.inserted, rev.rejected), (7, 3, 4));
    assert_eq!(
        errors(rev),
        vec![
            (3, Some("occurred_at"), "bad_date"),
            (5, Some("currency"), "unknown_currency"),
            (6, Some("amount"), "bad_amount"),
            (7, Some("contact_id"), "unknown_reference"),
        ]
    );
    assert!(
        rev.errors[3].reason.contains("no contact with id 'c9'"),
        "{}",
        rev.errors[3].reason
    );
    // An amount with more decimals than its currency lands rounded half to even.
    assert_eq!(
        rev.warnings
            .iter()
            .map(|w| (w.line, w.column.as_deref(), w.code.as_str()))
            .collect::<Vec<_>>(),
        vec![(4, Some("amount"), "amount_rounded")]
    );
    assert_eq!(
        ids(&t.store, RecordKind::Revenue).await,
        vec!["r1", "r3", "r7"]
    );
    let r3_r7 = t
        .store
        .read_page(RecordKind::Revenue, Some("r1"), 2)
        .await
        .unwrap();
    assert_eq!(
        r3_r7[0].int("amount"),
        Some(1234),
        "12.345 -> 12.34 (half to even)"
    );
    let r7 = &r3_r7[1];
    assert_eq!(
        (r7.int("amount"), r7.text("currency")),
        (Some(750), Some("USD"))
    );
}

#[tokio::test]
async fn unknown_references_are_created_on_request() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deals.csv",
        "deal_id,contact_id,account_id,created_at,status\nd1,c1,a1,2026-01-01,open\n",
    );
    write(
        dir.path(),
        "touchpoints.csv",
        "email,occurred_at,channel\nNew@Example.com,2026-01-02,email\n",
    );
    let options = ImportOptions {
        create_missing: true,
        ..Default::default()
    };
    let s = import(&t.store, dir.path(), &options).await;
    assert_eq!(s.exit_code(), 0, "{s:#?}");
    assert_eq!(s.created_missing.get("contacts"), Some(&2));
    assert_eq!(s.created_missing.get("accounts"), Some(&1));
    let contacts = t
        .store
        .read_page(RecordKind::Contacts, None, 10)
        .await
        .unwrap();
    let by_email = contacts
        .iter()
        .find(|c| c.text("email") == Some("new@example.com"))
        .expect("contact made from the email");
    let tp = &t
        .store
        .read_page(RecordKind::Touchpoints, None, 10)
        .await
        .unwrap()[0];
    assert_eq!(tp.text("contact_id"), Some(by_email.id.as_str()));
    let c1 = contacts.iter().find(|c| c.id == "c1").unwrap();
    assert_eq!(
        c1.int("created_at"),
        Some(revline_core::time::parse_timestamp("2026-01-01", chrono_tz::Tz::UTC).unwrap())
    );
}

#[tokio::test]
async fn touchpoints_given_by_email_find_their_contact() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "contacts.csv", CONTACTS);
    write(
        dir.path(),
        "touchpoints.csv",
        "email,occurred_at,channel\n BOB@example.com ,2026-01-07,Paid Search\nnobody@example.com,2026-01-07,email\n",
    );
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let tp = file(&s, "touchpoints");
    assert_eq!((tp.inserted, tp.rejected), (1, 1));
    assert_eq!(errors(tp), vec![(3, Some("email"), "unknown_reference")]);
    let stored = &t
        .store
        .read_page(RecordKind::Touchpoints, None, 10)
        .await
        .unwrap()[0];
    assert_eq!(
        (stored.text("contact_id"), stored.text("channel")),
        (Some("c2"), Some("paid_search"))
    );
}

#[tokio::test]
async fn duplicate_ids_within_a_file_are_rejected_but_identical_events_are_kept() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "contacts.csv",
        "contact_id,created_at\nc1,2026-01-01\nc2,2026-01-01\nc1,2026-01-02\n",
    );
    // Two purchases of the same amount on the same day are two purchases (CDNOW has them).
    write(
        dir.path(),
        "revenue.csv",
        "contact_id,occurred_at,amount\nc1,2026-02-01,9.99\nc1,2026-02-01,9.99\nc2,2026-02-01,9.99\n",
    );
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    assert_eq!(
        errors(file(&s, "contacts")),
        vec![(4, Some("contact_id"), "duplicate_id")]
    );
    assert_eq!(file(&s, "revenue").inserted, 3);
    let again = import(&t.store, dir.path(), &ImportOptions::default()).await;
    assert_eq!(
        file(&again, "revenue").unchanged,
        3,
        "the numbering is stable across imports"
    );
    assert_eq!(t.store.count(RecordKind::Revenue).await.unwrap(), 3);
}

#[tokio::test]
async fn a_file_in_the_wrong_encoding_names_the_first_bad_line_and_earlier_rows_land() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    // windows-1250 bytes: "Łódź" on line 3.
    let mut bytes =
        b"account_id,name\na1,Krakow Ltd\na2,\xa3\xf3d\x9f Sp. z o.o.\na3,Gdansk SA\n".to_vec();
    write(dir.path(), "accounts.csv", &bytes);
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let acc = file(&s, "accounts");
    assert_eq!(errors(acc), vec![(3, None, "bad_encoding")]);
    assert!(
        acc.stopped
            .as_deref()
            .unwrap()
            .contains("rows from line 3 on were not read")
    );
    assert!(acc.errors[0].reason.contains("--encoding windows-1250"));
    assert_eq!(ids(&t.store, RecordKind::Accounts).await, vec!["a1"]);
    assert_eq!(s.exit_code(), 3);
    let options = ImportOptions {
        encoding: encoding_rs::Encoding::for_label(b"windows-1250"),
        ..Default::default()
    };
    let fixed = import(&t.store, dir.path(), &options).await;
    let acc = file(&fixed, "accounts");
    assert_eq!((acc.inserted, acc.unchanged, acc.rejected), (2, 1, 0));
    let a2 = &t
        .store
        .read_page(RecordKind::Accounts, Some("a1"), 1)
        .await
        .unwrap()[0];
    assert_eq!(a2.text("name"), Some("Łódź Sp. z o.o."));
    bytes.clear();
}

#[tokio::test]
async fn ragged_rows_empty_files_and_huge_fields() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let huge = "x".repeat(revline_ingest::source::FIELD_LIMIT + 1);
    write(
        dir.path(),
        "accounts.csv",
        format!(
            "account_id,name,segment\na1,Acme,smb\na2,Short\na3,Long,smb,extra\na4,{huge},smb\na5,Fine,enterprise\n"
        ),
    );
    write(dir.path(), "contacts.csv", "");
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let acc = file(&s, "accounts");
    assert_eq!(
        errors(acc),
        vec![
            (3, None, "ragged_row"),
            (4, None, "ragged_row"),
            (5, Some("name"), "field_too_large")
        ]
    );
    assert_eq!(ids(&t.store, RecordKind::Accounts).await, vec!["a1", "a5"]);
    let contacts = file(&s, "contacts");
    assert_eq!(
        contacts.stopped.as_deref(),
        Some("the file is empty (no header line)")
    );
    assert_eq!(s.exit_code(), 3);
}

/// An empty `.csv` exited 3 but an empty `.ndjson` 0: both are an empty export.
#[tokio::test]
async fn an_empty_ndjson_file_is_reported_like_an_empty_csv() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "touchpoints.ndjson", "\n\n");
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    assert_eq!(
        file(&s, "touchpoints").stopped.as_deref(),
        Some("the file is empty (no JSON object)")
    );
    assert_eq!(s.exit_code(), 3);
}

#[tokio::test]
async fn polish_excel_exports_are_read_as_they_come() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    // Semicolons, windows-1250, decimal commas with a no-break space, CRLF, a BOM-less header.
    let text = "deal_id;contact_id;name;amount;currency;created_at;status\r\n\
                d1;c1;Wdrożenie Łódź;1\u{a0}234,50;PLN;2026-03-01;won\r\n\
                d2;c2;Żółty plan;99,90;PLN;2026-03-02;open\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode(text);
    write(dir.path(), "contacts.csv", CONTACTS);
    write(dir.path(), "deals.csv", &bytes);
    let options = ImportOptions {
        encoding: Some(encoding_rs::WINDOWS_1250),
        decimal_comma: true,
        ..Default::default()
    };
    let s = import(&t.store, dir.path(), &options).await;
    assert_eq!(s.exit_code(), 0, "{}", s.to_table());
    let deals = t
        .store
        .read_page(RecordKind::Deals, None, 10)
        .await
        .unwrap();
    assert_eq!(deals[0].text("name"), Some("Wdrożenie Łódź"));
    assert_eq!(
        (deals[0].int("amount"), deals[0].text("currency")),
        (Some(123_450), Some("PLN"))
    );
    assert_eq!(deals[1].int("amount"), Some(9_990));
}

#[tokio::test]
async fn ndjson_and_xlsx_files_import_like_csv() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "contacts.csv", CONTACTS);
    write(
        dir.path(),
        "touchpoints.ndjson",
        "{\"contact_id\":\"c1\",\"occurred_at\":\"2026-01-05T10:00:00Z\",\"channel\":\"Webinar\",\"cost\":12.5,\"utm\":{\"a\":1}}\n\
         {\"contact_id\":\"c2\",\"occurred_at\":\"not a date\",\"channel\":\"email\"}\n\
         {\"contact_id\":\"c2\",\"channel\":\"email\"}\n",
    );
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("stages").unwrap();
    for (c, h) in ["contact_id", "stage", "occurred_at"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "c1").unwrap();
    sheet.write_string(1, 1, "MQL").unwrap();
    let when = rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-01-06 09:30:00").unwrap();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    sheet
        .write_datetime_with_format(1, 2, &when, &date_format)
        .unwrap();
    sheet.write_string(2, 0, "c2").unwrap();
    sheet.write_string(2, 1, "SQL").unwrap();
    sheet.write_number(2, 2, 7.5).unwrap();
    book.save(dir.path().join("history.xlsx")).unwrap();

    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let tp = file(&s, "touchpoints");
    assert_eq!(
        errors(tp),
        vec![
            (2, Some("occurred_at"), "bad_date"),
            (3, Some("occurred_at"), "missing_value")
        ]
    );
    let stored = &t
        .store
        .read_page(RecordKind::Touchpoints, None, 10)
        .await
        .unwrap()[0];
    assert_eq!(
        (stored.text("channel"), stored.int("cost")),
        (Some("webinar"), Some(1250))
    );
    assert_eq!(
        stored.props.get("utm").map(String::as_str),
        Some("{\"a\":1}")
    );
    let st = file(&s, "stages");
    assert_eq!(st.file, "history.xlsx");
    assert_eq!((st.inserted, st.rejected), (1, 1), "{st:#?}");
    assert_eq!(errors(st), vec![(3, Some("occurred_at"), "bad_date")]);
    let stage = &t
        .store
        .read_page(RecordKind::Stages, None, 10)
        .await
        .unwrap()[0];
    assert_eq!(
        stage.get("occurred_at"),
        &Value::Int(
            revline_core::time::parse_timestamp("2026-01-06T09:30:00Z", chrono_tz::Tz::UTC)
                .unwrap()
        )
    );
}

#[tokio::test]
async fn dry_run_validates_and_counts_but_writes_nothing() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "contacts.csv", CONTACTS);
    write(
        dir.path(),
        "stages.csv",
        "contact_id,stage,occurred_at\nc1,mql,2026-01-06\nc3,mql,2026-01-06\n",
    );
    let options = ImportOptions {
        dry_run: true,
        ..Default::default()
    };
    let s = import(&t.store, dir.path(), &options).await;
    assert!(s.dry_run);
    assert_eq!(file(&s, "contacts").inserted, 2);
    let st = file(&s, "stages");
    assert_eq!(
        (st.inserted, st.rejected),
        (1, 1),
        "references to this run's contacts resolve"
    );
    for kind in RecordKind::ALL {
        assert_eq!(t.store.count(kind).await.unwrap(), 0);
    }
    let runs = t.store.import_runs(5).await.unwrap();
    assert!(runs[0].dry_run && runs[0].status == "partial");
}

#[tokio::test]
async fn a_mapping_renames_fills_and_translates() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "leads-export.csv",
        "Lead;Kiedy;Źródło;Kampania\nL1;01.03.2026;Google Ads;Wiosna\nL2;02.03.2026;;Wiosna\n",
    );
    let mapping = Mapping::parse(
        r#"
        [[file]]
        match = "leads-*.csv"
        kind = "contacts"
        columns = { contact_id = "Lead", created_at = "Kiedy", source = "Źródło" }
        dates = { created_at = "%d.%m.%Y" }
        ignore = ["Kampania"]
        [file.values.source]
        "Google Ads" = "paid_search"
        "" = "unknown"
        "#,
        "test",
    )
    .unwrap();
    let s = import(
        &t.store,
        dir.path(),
        &ImportOptions {
            mapping,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(s.exit_code(), 0, "{}", s.to_table());
    let c = t
        .store
        .read_page(RecordKind::Contacts, None, 10)
        .await
        .unwrap();
    assert_eq!(c[0].text("source"), Some("paid_search"));
    assert_eq!(c[1].text("source"), Some("unknown"));
    assert!(c[0].props.is_empty());
}

#[tokio::test]
async fn settings_toml_in_the_folder_sets_the_workspace() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "settings.toml",
        "currency = \"PLN\"\ntimezone = \"Europe/Warsaw\"\n",
    );
    write(
        dir.path(),
        "contacts.csv",
        "contact_id,created_at\nc1,2026-01-15T10:00:00\n",
    );
    write(
        dir.path(),
        "revenue.csv",
        "contact_id,occurred_at,amount\nc1,2026-01-20,100\n",
    );
    import(&t.store, dir.path(), &ImportOptions::default()).await;
    let settings = t.store.settings().await.unwrap();
    assert_eq!(settings.currency.code(), "PLN");
    let c = &t
        .store
        .read_page(RecordKind::Contacts, None, 1)
        .await
        .unwrap()[0];
    assert_eq!(
        c.int("created_at"),
        Some(
            revline_core::time::parse_timestamp("2026-01-15T09:00:00Z", chrono_tz::Tz::UTC)
                .unwrap()
        )
    );
    let r = &t
        .store
        .read_page(RecordKind::Revenue, None, 1)
        .await
        .unwrap()[0];
    assert_eq!(r.text("currency"), Some("PLN"));
}

async fn demo_into(store: &dyn Store, contacts: u64) {
    let config = revline_demo::DemoConfig {
        contacts,
        ..Default::default()
    };
    store
        .save_settings(&revline_demo::demo_settings())
        .await
        .unwrap();
    let mut by_kind: std::collections::BTreeMap<RecordKind, Vec<revline_core::Record>> =
        Default::default();
    revline_demo::generate(&config, &mut |r| by_kind.entry(r.kind).or_default().push(r));
    for (kind, records) in by_kind {
        for chunk in records.chunks(5_000) {
            store.write_batch(kind, chunk).await.unwrap();
        }
    }
}

/// Export, import into a fresh store, export again: the same bytes. Importing the same
/// folder a second time changes nothing.
async fn round_trip(source: &dyn Store, target: &dyn Store) {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    export_store(source, first.path()).await.unwrap();
    let s = import(target, first.path(), &ImportOptions::default()).await;
    assert_eq!(s.exit_code(), 0, "{}", s.to_table());
    export_store(target, second.path()).await.unwrap();
    let (a, b) = (
        revline_store::testing::folder_files(first.path()),
        revline_store::testing::folder_files(second.path()),
    );
    assert_eq!(a.len(), b.len());
    for ((name_a, bytes_a), (name_b, bytes_b)) in a.iter().zip(&b) {
        assert_eq!(name_a, name_b);
        assert!(bytes_a == bytes_b, "{name_a} differs after a round trip");
    }
    let again = import(target, first.path(), &ImportOptions::default()).await;
    for f in &again.files {
        assert_eq!(
            (f.inserted, f.updated, f.rejected),
            (0, 0, 0),
            "{} changed on re-import",
            f.file
        );
        assert_eq!(f.unchanged, f.read);
    }
}

#[tokio::test]
async fn export_import_export_is_byte_identical_on_sqlite() {
    let source = testing::sqlite().await;
    demo_into(&source.store, 1_500).await;
    let target = testing::sqlite().await;
    round_trip(&source.store, &target.store).await;
}

#[tokio::test]
async fn export_import_export_is_byte_identical_on_postgres() {
    let source = testing::sqlite().await;
    demo_into(&source.store, 1_500).await;
    let Some(target) = testing::postgres().await else {
        return;
    };
    round_trip(&source.store, &target.store).await;
    // And back from PostgreSQL into SQLite.
    let back = testing::sqlite().await;
    round_trip(&target.store, &back.store).await;
    target.drop_database().await;
}

#[tokio::test]
async fn a_header_without_rows_is_still_checked() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "contacts.csv", "contact_id,email\n");
    write(dir.path(), "accounts.csv", "account_id,name\n");
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let contacts = file(&s, "contacts");
    assert_eq!(
        errors(contacts),
        vec![(1, Some("created_at"), "missing_column")]
    );
    assert_eq!((contacts.read, contacts.rejected), (0, 0));
    let accounts = file(&s, "accounts");
    assert!(accounts.errors.is_empty() && accounts.read == 0);
    assert_eq!(
        s.exit_code(),
        3,
        "a file that cannot hold its kind is a rejection"
    );
}

/// References are checked two ways: a large file against every stored id read first
/// (vouched on the reading thread), a small one by asking the store about the ids it
/// names. Both reject the same rows, with the same lines.
#[tokio::test]
async fn unknown_references_are_rejected_alike_in_large_and_small_files() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let mut contacts = String::from("contact_id,created_at\n");
    for c in 0..500 {
        contacts.push_str(&format!("c{c},2026-01-01\n"));
    }
    write(dir.path(), "contacts.csv", contacts);
    import(
        &t.store,
        &dir.path().join("contacts.csv"),
        &Default::default(),
    )
    .await;
    // Every 1,000th row names a contact nobody imported; the file is over 1 MiB.
    let mut big = String::from("touchpoint_id,contact_id,occurred_at,channel,campaign\n");
    let mut want = Vec::new();
    for i in 0..24_000 {
        let contact = if i % 1_000 == 7 {
            want.push((i as u64 + 2, Some("contact_id"), "unknown_reference"));
            format!("ghost{i}")
        } else {
            format!("c{}", i % 500)
        };
        big.push_str(&format!(
            "t{i},{contact},2026-02-01T10:00:00Z,paid_search,spring-campaign-2026-with-a-long-name\n"
        ));
    }
    assert!(big.len() > 1 << 20);
    let small: String = big.lines().take(1_201).map(|l| format!("{l}\n")).collect();
    write(dir.path(), "touchpoints.csv", &big);
    let s = import(
        &t.store,
        &dir.path().join("touchpoints.csv"),
        &Default::default(),
    )
    .await;
    let f = file(&s, "touchpoints");
    assert_eq!((f.inserted, f.rejected), (24_000 - 24, 24), "{f:#?}");
    assert_eq!(errors(f), want);

    let t2 = testing::sqlite().await;
    import(
        &t2.store,
        &dir.path().join("contacts.csv"),
        &Default::default(),
    )
    .await;
    let small_dir = tempfile::tempdir().unwrap();
    write(small_dir.path(), "touchpoints.csv", &small);
    let s = import(
        &t2.store,
        &small_dir.path().join("touchpoints.csv"),
        &Default::default(),
    )
    .await;
    let f = file(&s, "touchpoints");
    assert_eq!((f.inserted, f.rejected), (1_200 - 2, 2), "{f:#?}");
    assert_eq!(errors(f), want[..2].to_vec());
}

#[tokio::test]
async fn an_optional_association_to_an_unknown_record_lands_without_it() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "contacts.csv",
        "contact_id,account_id,created_at\nc1,acme,2026-01-05\nc2,,2026-01-06\n",
    );
    write(
        dir.path(),
        "revenue.csv",
        "revenue_id,contact_id,account_id,occurred_at,amount\n\
         r1,c1,acme,2026-02-01,10\n\
         r2,,acme,2026-02-01,20\n",
    );
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let contacts = file(&s, "contacts");
    assert_eq!((contacts.inserted, contacts.rejected), (2, 0));
    assert_eq!(contacts.warnings[0].code, "unresolved_reference");
    assert_eq!(contacts.warnings[0].line, 2);
    let c1 = &t
        .store
        .records_by_id(RecordKind::Contacts, &["c1".into()])
        .await
        .unwrap()[0];
    assert!(c1.get("account_id").is_null());
    assert_eq!(c1.props["unresolved account_id"], "acme");
    // Revenue must name a contact or an account: r1 keeps its contact, r2 has
    // nothing left and is refused.
    let revenue = file(&s, "revenue");
    assert_eq!((revenue.inserted, revenue.rejected), (1, 1));
    assert_eq!(
        errors(revenue),
        vec![(3, Some("account_id"), "unknown_reference")]
    );
    // Once the account exists, importing the contacts again links it.
    write(dir.path(), "accounts.csv", "account_id\nacme\n");
    std::fs::remove_file(dir.path().join("revenue.csv")).unwrap();
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    assert_eq!(file(&s, "contacts").updated, 1);
    let c1 = &t
        .store
        .records_by_id(RecordKind::Contacts, &["c1".into()])
        .await
        .unwrap()[0];
    assert_eq!(c1.text("account_id"), Some("acme"));
    assert!(!c1.props.contains_key("unresolved account_id"));
}

/// One runaway `"` on line 2 of a 1M-row file read one row and rejected it; the other
/// rows were neither imported nor listed. Now only line 2 is refused, saying why, and
/// every other row lands.
#[tokio::test]
async fn a_runaway_quote_refuses_its_line_and_the_rest_of_the_file_lands() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("contact_id,email,created_at\n");
    text.push_str("c0,\"broken@example.com,2026-01-01\n");
    let rows = 120_000; // about 5 MB: past the record limit
    for i in 1..=rows {
        text.push_str(&format!("c{i},p{i}@example.com,2026-01-02\n"));
    }
    text.push_str("c_last,\"quoted@example.com\",2026-01-03\n");
    // A quote never closed near the end refuses its line only, too.
    text.push_str("c_open,\"never closed,2026-01-03\nc_after,after@example.com,2026-01-04\n");
    write(dir.path(), "contacts.csv", &text);
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let f = file(&s, "contacts");
    assert_eq!(f.stopped, None);
    assert_eq!(
        errors(f),
        vec![
            (2, Some("email"), "malformed"),
            (rows + 4, Some("email"), "malformed")
        ]
    );
    assert!(
        f.errors[0].reason.contains("still open"),
        "{}",
        f.errors[0].reason
    );
    assert!(
        f.errors[1].reason.contains("never closed"),
        "{}",
        f.errors[1].reason
    );
    assert_eq!(f.inserted, rows + 2);
    assert_eq!(t.store.count(RecordKind::Contacts).await.unwrap(), rows + 2);
}

/// A compressed file holding one enormous field was read whole into memory (a 1 MB
/// `.csv.gz` took the server to 3.35 GB): the line is now dropped as it streams.
#[tokio::test]
async fn an_enormous_field_in_a_compressed_file_is_refused_as_it_streams() {
    use std::io::Write;
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let file_path = dir.path().join("contacts.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&file_path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(b"contact_id,email,created_at\nc1,a@example.com,2026-01-01\nc2,\"")
        .unwrap();
    let block = vec![b'x'; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&block).unwrap();
    }
    gz.write_all(b"\",2026-01-01\nc3,c@example.com,2026-01-01\n")
        .unwrap();
    gz.finish().unwrap();
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let f = file(&s, "contacts");
    assert_eq!(errors(f), vec![(3, None, "malformed")]);
    assert!(
        f.errors[0].reason.contains("longer than"),
        "{}",
        f.errors[0].reason
    );
    assert_eq!(ids(&t.store, RecordKind::Contacts).await, vec!["c1", "c3"]);
}

/// The decompressed size of a `.gz` file was not capped.
#[tokio::test]
async fn a_compressed_file_that_expands_past_its_cap_is_stopped() {
    use std::io::Write;
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::best(),
    );
    gz.write_all(b"contact_id,email,created_at\nc1,a@example.com,2026-01-01\nc2,")
        .unwrap();
    let block = vec![b'x'; 1 << 20];
    for _ in 0..1100 {
        gz.write_all(&block).unwrap();
    }
    gz.finish().unwrap();
    let stored = std::fs::metadata(&path).unwrap().len();
    assert!(revline_ingest::source::decompressed_limit(stored) < 1100 << 20);
    let s = import(&t.store, dir.path(), &ImportOptions::default()).await;
    let f = file(&s, "contacts");
    assert!(
        f.stopped
            .as_deref()
            .is_some_and(|s| s.contains("200 times its size")),
        "{:?}",
        f.stopped
    );
    assert_eq!(ids(&t.store, RecordKind::Contacts).await, vec!["c1"]);
}

/// API batches went through a temporary NDJSON file; objects in memory now take the
/// same steps. The same rows, good and bad, land and are refused alike either way.
#[tokio::test]
async fn objects_in_memory_import_like_the_same_ndjson_file() {
    let rows = [
        r#"{"contact_id":"c1","email":"ann@example.com","created_at":"2026-01-05"}"#,
        r#"{"contact_id":"c2","email":"not an address","created_at":"2026-01-06"}"#,
        r#"{"contact_id":"c3","created_at":"31.02.2026","name":"Cy"}"#,
        r#"{"contact_id":"c4","email":"dee@example.com","created_at":"2026-01-07","plan":"pro"}"#,
    ];
    let options = ImportOptions {
        now: 1_767_225_600_000,
        ..Default::default()
    };
    let from_file = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "contacts.ndjson", rows.join("\n"));
    let file_summary = import(&from_file.store, dir.path(), &options).await;

    let from_memory = testing::sqlite().await;
    let objects: Vec<revline_ingest::JsonObject> = rows
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    let memory_summary = revline_ingest::import_objects(
        &from_memory.store,
        RecordKind::Contacts,
        "contacts.ndjson",
        std::sync::Arc::new(objects),
        &options,
        &NoProgress,
    )
    .await
    .unwrap();

    let (a, b) = (
        file(&file_summary, "contacts"),
        file(&memory_summary, "contacts"),
    );
    assert_eq!((a.read, a.inserted, a.rejected), (4, 2, 2));
    assert_eq!((b.read, b.inserted, b.rejected), (4, 2, 2));
    assert_eq!(errors(a), errors(b));
    assert_eq!(
        from_file
            .store
            .read_page(RecordKind::Contacts, None, 10)
            .await
            .unwrap(),
        from_memory
            .store
            .read_page(RecordKind::Contacts, None, 10)
            .await
            .unwrap()
    );
    // A second run changes nothing.
    let again = revline_ingest::import_objects(
        &from_memory.store,
        RecordKind::Contacts,
        "contacts.ndjson",
        std::sync::Arc::new(
            rows.iter()
                .map(|r| serde_json::from_str(r).unwrap())
                .collect(),
        ),
        &options,
        &NoProgress,
    )
    .await
    .unwrap();
    let c = file(&again, "contacts");
    assert_eq!((c.inserted, c.updated, c.unchanged), (0, 0, 2));
}
