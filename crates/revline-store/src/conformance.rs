//! The behaviour every `Store` must have. Each check takes a fresh, empty store; the
//! test binary of this crate runs all of them against SQLite and PostgreSQL.

use crate::{Store, WriteCounts};
use revline_core::parse::{ParseOptions, RowText, parse_record};
use revline_core::{Record, RecordKind, Settings, Value};

/// Parses a row given as (column, text) pairs; unknown columns become props.
pub fn record(kind: RecordKind, pairs: &[(&str, &str)]) -> Record {
    parse_record(
        kind,
        RowText::from_pairs(kind, pairs),
        &Settings::default(),
        &ParseOptions::default(),
    )
    .unwrap_or_else(|e| panic!("fixture {kind} {pairs:?} is invalid: {e:?}"))
}

/// One fully filled record of every kind, plus a sparse one, with awkward text.
pub fn fixtures() -> Vec<Record> {
    use RecordKind::*;
    vec![
        record(
            Accounts,
            &[
                ("account_id", "acme"),
                ("name", "Acme\tCorp \\ \"Ltd\"\nPL"),
                ("domain", "acme.example"),
                ("industry", "Manufacturing"),
                ("segment", "enterprise"),
                ("country", "PL"),
                ("owner", "Zofia Łęcka"),
                ("created_at", "2025-01-02T03:04:05Z"),
                ("erp_id", "E-1"),
            ],
        ),
        record(Accounts, &[("account_id", "B-lower-after-upper")]),
        record(
            Contacts,
            &[
                ("contact_id", "c1"),
                ("email", " Ann@Acme.example "),
                ("name", "Ann"),
                ("phone", "+48 600"),
                ("title", "CFO"),
                ("account_id", "acme"),
                ("owner", "sam"),
                ("source", "webinar"),
                ("created_at", "2025-01-05"),
                ("utm_source", "linkedin"),
                ("score", "87"),
            ],
        ),
        record(
            Contacts,
            &[
                ("contact_id", "c2"),
                ("email", "ann@acme.example"),
                ("created_at", "2025-01-06T10:00:00.123Z"),
            ],
        ),
        record(
            Deals,
            &[
                ("deal_id", "d1"),
                ("contact_id", "c1"),
                ("account_id", "acme"),
                ("name", "Acme renewal"),
                ("owner", "sam"),
                ("pipeline", "new business"),
                ("stage", "Negotiation"),
                ("amount", "12000.50"),
                ("currency", "EUR"),
                ("created_at", "2025-02-01"),
                ("expected_close_at", "2025-03-01"),
                ("closed_at", "2025-03-02T12:00:00+01:00"),
                ("status", "won"),
                ("lost_reason", ""),
                ("probability", "90%"),
            ],
        ),
        record(
            Touchpoints,
            &[
                ("touchpoint_id", "t1"),
                ("contact_id", "c1"),
                ("occurred_at", "2025-01-04T08:00:00Z"),
                ("channel", "Paid Search"),
                ("campaign", "Q1 brand"),
                ("kind", "click"),
                ("cost", "1.25"),
            ],
        ),
        record(
            Touchpoints,
            &[
                ("contact_id", "c1"),
                ("occurred_at", "2025-01-09"),
                ("channel", "outbound"),
                ("kind", "call"),
            ],
        ),
        record(
            Stages,
            &[
                ("contact_id", "c1"),
                ("stage", "MQL"),
                ("occurred_at", "2025-01-06"),
            ],
        ),
        record(
            DealStages,
            &[
                ("deal_id", "d1"),
                ("stage", "proposal"),
                ("occurred_at", "2025-02-10"),
            ],
        ),
        record(
            Revenue,
            &[
                ("revenue_id", "r1"),
                ("account_id", "acme"),
                ("deal_id", "d1"),
                ("occurred_at", "2025-03-02"),
                ("amount", "12000.50"),
                ("currency", "EUR"),
                ("kind", "new"),
            ],
        ),
        record(
            Revenue,
            &[
                ("contact_id", "c2"),
                ("occurred_at", "2025-04-01"),
                ("amount", "10"),
                ("kind", "refund"),
            ],
        ),
        record(
            Spend,
            &[
                ("period_start", "2025-01-01"),
                ("period_end", "2025-01-31"),
                ("channel", "paid_search"),
                ("campaign", "Q1 brand"),
                ("amount", "3000"),
                ("team", "marketing"),
            ],
        ),
        record(
            Tickets,
            &[
                ("ticket_id", "k1"),
                ("account_id", "acme"),
                ("opened_at", "2025-05-01"),
                ("first_response_at", "2025-05-01T04:00:00Z"),
                ("resolved_at", "2025-05-03"),
                ("csat", "2"),
                ("category", "billing"),
            ],
        ),
        record(
            Targets,
            &[
                ("period", "2025-Q1"),
                ("metric", "revenue"),
                ("value", "250000"),
                ("segment", "enterprise"),
            ],
        ),
        record(
            FxRates,
            &[
                ("date", "2025-03-02"),
                ("currency", "EUR"),
                ("rate", "1.0825"),
            ],
        ),
    ]
}

fn chrono_tz_utc() -> chrono_tz::Tz {
    chrono_tz::Tz::UTC
}

fn of_kind(records: &[Record], kind: RecordKind) -> Vec<Record> {
    let mut v: Vec<Record> = records.iter().filter(|r| r.kind == kind).cloned().collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

pub async fn new_store_has_default_settings_and_no_records(store: &dyn Store) {
    assert_eq!(store.settings().await.unwrap(), Settings::default());
    for kind in RecordKind::ALL {
        assert_eq!(store.count(kind).await.unwrap(), 0, "{kind}");
    }
}

pub async fn settings_persist(store: &dyn Store) {
    let mut s = Settings::default();
    s.set("currency", "PLN").unwrap();
    s.set("timezone", "Europe/Warsaw").unwrap();
    s.set("stages", "lead,mql,sql,opportunity,customer,renewal")
        .unwrap();
    s.set("sla_hours", "8").unwrap();
    store.save_settings(&s).await.unwrap();
    assert_eq!(store.settings().await.unwrap(), s);
}

pub async fn every_kind_round_trips(store: &dyn Store) {
    let all = fixtures();
    for kind in RecordKind::ALL {
        let batch = of_kind(&all, kind);
        assert!(!batch.is_empty(), "fixture for {kind}");
        let counts = store.write_batch(kind, &batch).await.unwrap();
        assert_eq!(
            counts,
            WriteCounts {
                inserted: batch.len() as u64,
                updated: 0,
                unchanged: 0
            },
            "{kind}"
        );
        let back = store.read_page(kind, None, 100).await.unwrap();
        assert_eq!(back, batch, "{kind} reads back exactly");
        assert_eq!(store.count(kind).await.unwrap(), batch.len() as u64);
    }
}

pub async fn rewriting_changes_nothing_and_updates_are_counted(store: &dyn Store) {
    let all = fixtures();
    let contacts = of_kind(&all, RecordKind::Contacts);
    store
        .write_batch(RecordKind::Contacts, &contacts)
        .await
        .unwrap();
    let again = store
        .write_batch(RecordKind::Contacts, &contacts)
        .await
        .unwrap();
    assert_eq!(
        again,
        WriteCounts {
            inserted: 0,
            updated: 0,
            unchanged: 2
        }
    );
    let mut changed = contacts.clone();
    changed[0].props.insert("score".into(), "90".into());
    let third = store
        .write_batch(RecordKind::Contacts, &changed)
        .await
        .unwrap();
    assert_eq!(
        third,
        WriteCounts {
            inserted: 0,
            updated: 1,
            unchanged: 1
        }
    );
    assert_eq!(
        store
            .read_page(RecordKind::Contacts, None, 10)
            .await
            .unwrap(),
        changed
    );
}

pub async fn pages_follow_bytewise_id_order(store: &dyn Store) {
    let ids = ["b", "B", "a", "A-1", "a_2", "Z", "ą", "10", "9"];
    assert!(
        store
            .ids_after(RecordKind::Accounts, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let batch: Vec<Record> = ids
        .iter()
        .map(|id| record(RecordKind::Accounts, &[("account_id", id)]))
        .collect();
    store
        .write_batch(RecordKind::Accounts, &batch)
        .await
        .unwrap();
    let mut expected: Vec<&str> = ids.to_vec();
    expected.sort();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .read_page(RecordKind::Accounts, after.as_deref(), 4)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|r| r.id.clone());
        seen.extend(page.into_iter().map(|r| r.id));
    }
    assert_eq!(seen, expected);
    let first = store
        .ids_after(RecordKind::Accounts, None, 4)
        .await
        .unwrap();
    let rest = store
        .ids_after(RecordKind::Accounts, Some(&first[3]), 100)
        .await
        .unwrap();
    assert_eq!([first, rest].concat(), expected);
}

pub async fn selected_columns_read_back(store: &dyn Store) {
    let all = fixtures();
    let deals = of_kind(&all, RecordKind::Deals);
    store.write_batch(RecordKind::Deals, &deals).await.unwrap();
    let page = store
        .read_columns(
            RecordKind::Deals,
            &["status", "amount", "contact_id"],
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    let (got, want) = (&page[0], &deals[0]);
    assert_eq!(got.id, want.id);
    for col in ["status", "amount", "contact_id"] {
        assert_eq!(got.get(col), want.get(col), "{col}");
    }
    assert!(got.get("owner").is_null() && got.props.is_empty());
    assert!(
        store
            .read_columns(RecordKind::Deals, &["nope"], None, 10)
            .await
            .is_err()
    );
}

/// A scanned row's id and values, owned.
fn owned_row(row: &revline_core::RowView<'_>) -> (String, Vec<revline_core::Value>) {
    use revline_core::{Fields, Value};
    let values = row
        .columns
        .iter()
        .map(|c| match (row.int(c), row.text(c)) {
            (Some(i), _) => Value::Int(i),
            (_, Some(t)) => Value::Text(t.to_string()),
            _ => Value::Null,
        })
        .collect();
    (row.id.to_string(), values)
}

/// Scanning gives every row of a kind in id order with the selected values, the same as
/// reading pages, and refuses unknown columns.
pub async fn scanned_rows_match_read_rows(store: &dyn Store) {
    use revline_core::Value;
    let all = fixtures();
    for kind in RecordKind::ALL {
        store.write_batch(kind, &of_kind(&all, kind)).await.unwrap();
    }
    for kind in RecordKind::ALL {
        let columns: Vec<&'static str> = kind.columns().map(|f| f.name).collect();
        let want = store.read_page(kind, None, 1000).await.unwrap();
        let mut got: Vec<(String, Vec<Value>)> = Vec::new();
        store
            .scan_columns(kind, &columns, &mut |row| {
                assert_eq!(row.cells.len(), columns.len());
                got.push(owned_row(row));
            })
            .await
            .unwrap();
        let want: Vec<(String, Vec<Value>)> = want.into_iter().map(|r| (r.id, r.values)).collect();
        assert_eq!(got, want, "{kind}");
        // No columns: the ids alone (how an import learns which ids exist).
        let mut ids = Vec::new();
        store
            .scan_columns(kind, &[], &mut |row| {
                assert!(row.cells.is_empty());
                ids.push(row.id.to_string());
            })
            .await
            .unwrap();
        let want_ids: Vec<String> = got.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids, want_ids, "{kind}: ids alone");
        // Read on this task, visited on another thread: the same rows in the same order.
        let columns: &'static [&'static str] =
            kind.columns().map(|f| f.name).collect::<Vec<_>>().leak();
        let overlapped = crate::scan_overlapped(
            store,
            &[(kind, columns)],
            Vec::new(),
            |rows: &mut Vec<(String, Vec<Value>)>, row| rows.push(owned_row(row)),
        )
        .await
        .unwrap();
        assert_eq!(overlapped, got, "{kind}: overlapped scan");
        // The custom properties, read as the `props` pseudo-column.
        let mut props = Vec::new();
        store
            .scan_columns(kind, &[revline_core::PROPS], &mut |row| {
                let mut map = std::collections::BTreeMap::new();
                revline_core::Fields::each_prop(row, &mut |k, v| {
                    map.insert(k.to_string(), v.to_string());
                });
                props.push(map);
            })
            .await
            .unwrap();
        let want_props: Vec<_> = store
            .read_page(kind, None, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.props)
            .collect();
        assert_eq!(props, want_props, "{kind}: props");
    }
    let mut nothing = |_: &revline_core::RowView<'_>| {};
    assert!(
        store
            .scan_columns(RecordKind::Deals, &["nope"], &mut nothing)
            .await
            .is_err()
    );
}

/// Users are unique by email; a token finds its user by digest and notes its use.
pub async fn users_and_tokens(store: &dyn Store) {
    let ann = store
        .create_user("ann@example.com", "admin", Some("$argon2id$hash"), 1_000)
        .await
        .unwrap();
    assert_eq!(
        (ann.email.as_str(), ann.role.as_str()),
        ("ann@example.com", "admin")
    );
    assert_eq!(ann.password_hash.as_deref(), Some("$argon2id$hash"));
    let bob = store
        .create_user("bob@example.com", "viewer", None, 2_000)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_user("ann@example.com", "viewer", None, 3_000)
            .await,
        Err(crate::StoreError::Conflict(_))
    ));
    assert_eq!(
        store.user_by_email("bob@example.com").await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(
        store.user_by_email("nobody@example.com").await.unwrap(),
        None
    );
    let emails: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["ann@example.com", "bob@example.com"]);
    store.create_token(bob.id, "digest-1", 4_000).await.unwrap();
    assert_eq!(
        store.user_by_token("digest-1", 5_000).await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(store.user_by_token("digest-2", 5_000).await.unwrap(), None);
    assert!(store.create_token(ann.id, "digest-1", 6_000).await.is_err());
    assert!(
        store
            .create_user("cid@example.com", "owner", None, 7_000)
            .await
            .is_err(),
        "roles are admin, editor and viewer"
    );
}

/// Web sessions expire and end, users choose a language and change role, tokens are
/// listed and revoked by their owner only.
pub async fn sessions_roles_and_languages(store: &dyn Store) {
    let ann = store
        .create_user("ann@example.com", "editor", Some("$argon2id$hash"), 1_000)
        .await
        .unwrap();
    let bob = store
        .create_user("bob@example.com", "viewer", None, 1_000)
        .await
        .unwrap();
    assert_eq!(ann.lang, None);
    store
        .create_session("s-1", ann.id, "csrf-1", 2_000, 10_000)
        .await
        .unwrap();
    store
        .create_session("s-old", bob.id, "csrf-2", 2_000, 3_000)
        .await
        .unwrap();
    let (user, csrf) = store.session("s-1", 5_000, 0).await.unwrap().unwrap();
    assert_eq!(
        (user.email.as_str(), csrf.as_str()),
        ("ann@example.com", "csrf-1")
    );
    assert_eq!(
        store.session("s-old", 5_000, 0).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.session("s-1", 10_000, 0).await.unwrap(),
        None,
        "expires at its end"
    );
    assert!(store.set_user_lang(ann.id, Some("pl")).await.unwrap());
    assert!(store.set_user_role(ann.id, "admin").await.unwrap());
    assert!(store.set_user_role(ann.id, "owner").await.is_err());
    let (user, _) = store.session("s-1", 5_000, 0).await.unwrap().unwrap();
    assert_eq!(
        (user.role.as_str(), user.lang.as_deref()),
        ("admin", Some("pl"))
    );
    store.delete_session("s-1", 5_000).await.unwrap();
    assert_eq!(
        store.session("s-1", 5_000, 0).await.unwrap(),
        None,
        "signed out"
    );

    let first = store.create_token(ann.id, "t-1", 6_000).await.unwrap();
    let second = store.create_token(ann.id, "t-2", 7_000).await.unwrap();
    store.user_by_token("t-2", 8_000).await.unwrap();
    let listed = store.tokens(ann.id).await.unwrap();
    assert_eq!(
        listed,
        [
            crate::ApiToken {
                id: first,
                created_at: 6_000,
                last_used_at: None
            },
            crate::ApiToken {
                id: second,
                created_at: 7_000,
                last_used_at: Some(8_000)
            },
        ]
    );
    assert!(
        !store.delete_token(bob.id, first).await.unwrap(),
        "not bob's token"
    );
    assert!(store.delete_token(ann.id, first).await.unwrap());
    assert_eq!(
        store.user_by_token("t-1", 9_000).await.unwrap(),
        None,
        "revoked"
    );
    assert_eq!(store.tokens(ann.id).await.unwrap().len(), 1);
}

/// Sign-in attempts are counted per key after a given time, this one included; old
/// ones are forgotten as new ones arrive, and a key's attempts can be cleared (all, or
/// the one noted at a time) without touching another's.
pub async fn sign_in_failures_are_counted_in_their_window(store: &dyn Store) {
    let ann = "ann@example.com";
    let client = "client 10.0.0.7";
    assert_eq!(store.sign_in_failures(ann, 0).await.unwrap(), 0);
    for (at, counted) in [(1_000, 1), (2_000, 2), (3_000, 3)] {
        assert_eq!(
            store
                .sign_in_attempted(&[ann, client], at, 0)
                .await
                .unwrap(),
            [counted, counted]
        );
    }
    assert_eq!(
        store
            .sign_in_attempted(&["bob@example.com", client], 4_000, 0)
            .await
            .unwrap(),
        [1, 4]
    );
    assert_eq!(store.sign_in_failures(ann, 0).await.unwrap(), 3);
    assert_eq!(
        store.sign_in_failures(ann, 1_000).await.unwrap(),
        2,
        "after, not at"
    );
    assert_eq!(
        store
            .sign_in_attempted(&[client], 5_000, 2_000)
            .await
            .unwrap(),
        [3],
        "attempts at or before 2,000 forgotten"
    );
    assert_eq!(store.sign_in_failures(ann, 0).await.unwrap(), 1);
    store
        .clear_sign_in_failures(client, Some(5_000))
        .await
        .unwrap();
    assert_eq!(store.sign_in_failures(client, 0).await.unwrap(), 2);
    store.clear_sign_in_failures(ann, None).await.unwrap();
    assert_eq!(store.sign_in_failures(ann, 0).await.unwrap(), 0);
    assert_eq!(store.sign_in_failures(client, 0).await.unwrap(), 2);
}

/// A session unused for longer than the idle limit ends; using it keeps it alive,
/// noted at most once a minute.
pub async fn an_idle_session_ends(store: &dyn Store) {
    let ann = store
        .create_user("ann@example.com", "editor", None, 0)
        .await
        .unwrap();
    let hour = 3_600_000;
    store
        .create_session("s-1", ann.id, "csrf", 0, 100 * hour)
        .await
        .unwrap();
    let idle = 8 * hour;
    let alive = |now: i64| async move {
        store
            .session("s-1", now, now - idle)
            .await
            .unwrap()
            .is_some()
    };
    assert!(alive(7 * hour).await, "used after 7 hours");
    assert!(alive(14 * hour).await, "7 hours after its last use");
    assert!(!alive(23 * hour).await, "9 hours after its last use");
}

/// Saved views are listed by name, replaced by a save under the same name, deleted.
pub async fn saved_views_are_shared_by_name(store: &dyn Store) {
    let view = |name: &str, query: &str, at: i64| crate::SavedView {
        name: name.into(),
        path: "/funnel".into(),
        query: query.into(),
        saved_by: "ann@example.com".into(),
        saved_at: at,
    };
    store
        .save_view(&view(
            "Q3 paid",
            "period=last_quarter&filter=channel:paid_search",
            1,
        ))
        .await
        .unwrap();
    store
        .save_view(&view("Board", "period=this_year", 2))
        .await
        .unwrap();
    store
        .save_view(&view("Board", "period=last_12_months", 3))
        .await
        .unwrap();
    let views = store.saved_views().await.unwrap();
    assert_eq!(
        views
            .iter()
            .map(|v| (v.name.as_str(), v.query.as_str()))
            .collect::<Vec<_>>(),
        [
            ("Board", "period=last_12_months"),
            ("Q3 paid", "period=last_quarter&filter=channel:paid_search")
        ]
    );
    assert!(store.delete_view("Board").await.unwrap());
    assert!(!store.delete_view("Board").await.unwrap());
    assert_eq!(store.saved_views().await.unwrap().len(), 1);
}

/// The first-run set-up makes one user: of several at once, one wins; once a user
/// exists, none is made.
pub async fn only_one_first_user_is_made(store: &dyn Store) {
    let attempts = (0..8).map(|i| {
        let email = format!("admin{i}@example.com");
        async move {
            store
                .create_first_user(&email, "admin", None, 1_000)
                .await
                .unwrap()
        }
    });
    let made = futures::future::join_all(attempts).await;
    assert_eq!(made.iter().flatten().count(), 1);
    assert_eq!(store.users().await.unwrap().len(), 1);
}

pub async fn lookups_by_id_and_email(store: &dyn Store) {
    let all = fixtures();
    store
        .write_batch(RecordKind::Contacts, &of_kind(&all, RecordKind::Contacts))
        .await
        .unwrap();
    let found = store
        .existing_ids(
            RecordKind::Contacts,
            &["c1".into(), "nope".into(), "c2".into()],
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.contains("c1") && found.contains("c2"));
    let by_email = store
        .contact_ids_by_email(&["ann@acme.example".into(), "who@else.example".into()])
        .await
        .unwrap();
    assert_eq!(
        by_email.get("ann@acme.example").map(String::as_str),
        Some("c1")
    );
    assert_eq!(by_email.len(), 1);
    let created = store
        .contact_created_at(&["c1".into(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(
        created["c1"],
        revline_core::time::parse_timestamp("2025-01-05", chrono_tz_utc()).unwrap()
    );
    let dups = store.duplicate_emails().await.unwrap();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].email, "ann@acme.example");
    assert_eq!(
        dups[0].contact_ids,
        vec!["c1".to_string(), "c2".to_string()]
    );
}

/// A merge is recorded beside the records (which keep their ids), leaves the merged
/// contact out of the duplicates, replaces an earlier merge of the same contact and is
/// undone by removing it.
pub async fn contact_merges_are_recorded_and_undone(store: &dyn Store) {
    let all = fixtures();
    store
        .write_batch(RecordKind::Contacts, &of_kind(&all, RecordKind::Contacts))
        .await
        .unwrap();
    assert_eq!(store.duplicate_emails().await.unwrap().len(), 1);
    assert!(store.contact_merges().await.unwrap().is_empty());
    let merge = crate::ContactMerge {
        merged_id: "c2".into(),
        survivor_id: "c1".into(),
        merged_at: 10,
        merged_by: "ann@acme.example".into(),
    };
    store.merge_contacts(&merge).await.unwrap();
    assert_eq!(store.contact_merges().await.unwrap(), vec![merge.clone()]);
    assert!(
        store.duplicate_emails().await.unwrap().is_empty(),
        "a merged pair is no longer a duplicate"
    );
    // Re-importing either contact changes nothing about the merge.
    store
        .write_batch(RecordKind::Contacts, &of_kind(&all, RecordKind::Contacts))
        .await
        .unwrap();
    assert_eq!(store.contact_merges().await.unwrap().len(), 1);
    let again = crate::ContactMerge {
        merged_at: 20,
        survivor_id: "c3".into(),
        ..merge.clone()
    };
    store.merge_contacts(&again).await.unwrap();
    assert_eq!(store.contact_merges().await.unwrap(), vec![again]);
    assert!(store.unmerge_contact("c2").await.unwrap());
    assert!(!store.unmerge_contact("c2").await.unwrap());
    assert!(store.contact_merges().await.unwrap().is_empty());
    assert_eq!(store.duplicate_emails().await.unwrap().len(), 1);
}

pub async fn prop_keys_are_sorted_and_distinct(store: &dyn Store) {
    let all = fixtures();
    store
        .write_batch(RecordKind::Contacts, &of_kind(&all, RecordKind::Contacts))
        .await
        .unwrap();
    assert_eq!(
        store.prop_keys(RecordKind::Contacts).await.unwrap(),
        vec!["score".to_string(), "utm_source".to_string()]
    );
    assert!(
        store
            .prop_keys(RecordKind::Stages)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn large_batches_are_written_whole(store: &dyn Store) {
    // More rows than one statement can carry parameters for.
    let batch: Vec<Record> = (0..12_000)
        .map(|i| {
            record(
                RecordKind::Touchpoints,
                &[
                    ("touchpoint_id", &format!("tp{i:05}")),
                    ("contact_id", "c1"),
                    ("occurred_at", "2025-01-01"),
                    ("channel", "email"),
                ],
            )
        })
        .collect();
    let counts = store
        .write_batch(RecordKind::Touchpoints, &batch)
        .await
        .unwrap();
    assert_eq!(counts.inserted, 12_000);
    assert_eq!(store.count(RecordKind::Touchpoints).await.unwrap(), 12_000);
    let again = store
        .write_batch(RecordKind::Touchpoints, &batch)
        .await
        .unwrap();
    assert_eq!(again.unchanged, 12_000);
}

pub async fn insert_new_skips_taken_and_repeated_ids(store: &dyn Store) {
    let make = |id: &str, channel: &str| {
        record(
            RecordKind::Touchpoints,
            &[
                ("touchpoint_id", id),
                ("contact_id", "c1"),
                ("occurred_at", "2025-01-01"),
                ("channel", channel),
            ],
        )
    };
    assert!(store.is_empty(RecordKind::Touchpoints).await.unwrap());
    let first = vec![make("a", "email"), make("b", "email")];
    assert!(
        store
            .insert_new(RecordKind::Touchpoints, &first)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!store.is_empty(RecordKind::Touchpoints).await.unwrap());
    let second = vec![
        make("c", "email"),
        make("a", "webinar"),
        make("d", "email"),
        make("c", "display"),
    ];
    let skipped = store
        .insert_new(RecordKind::Touchpoints, &second)
        .await
        .unwrap();
    assert_eq!(skipped, vec![1, 3]);
    let stored = store
        .read_page(RecordKind::Touchpoints, None, 10)
        .await
        .unwrap();
    assert_eq!(
        stored.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["a", "b", "c", "d"]
    );
    assert_eq!(
        stored[0].text("channel"),
        Some("email"),
        "a taken id is never overwritten"
    );
    assert_eq!(
        stored[2].text("channel"),
        Some("email"),
        "the first of repeated ids wins"
    );
    // Stored rows carry their digests: writing them again changes nothing.
    let again = store
        .write_batch(RecordKind::Touchpoints, &stored)
        .await
        .unwrap();
    assert_eq!(again.unchanged, 4);
}

pub async fn import_runs_are_logged(store: &dyn Store) {
    let a = store
        .start_import_run("folder/a", false, 1_000)
        .await
        .unwrap();
    let b = store.start_import_run("b.csv", true, 2_000).await.unwrap();
    store
        .finish_import_run(a, "ok", r#"{"files":[]}"#, 1_500)
        .await
        .unwrap();
    let runs = store.import_runs(10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, b);
    assert_eq!(runs[0].status, "running");
    assert!(runs[0].dry_run);
    assert_eq!(runs[1].source, "folder/a");
    assert_eq!(runs[1].finished_at, Some(1_500));
    let summary: serde_json::Value =
        serde_json::from_str(runs[1].summary.as_deref().unwrap()).unwrap();
    assert_eq!(summary, serde_json::json!({"files": []}));
}

/// Runs every check, each on a store made fresh by `make`.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@each $make;
            new_store_has_default_settings_and_no_records,
            settings_persist,
            every_kind_round_trips,
            rewriting_changes_nothing_and_updates_are_counted,
            pages_follow_bytewise_id_order,
            lookups_by_id_and_email,
            selected_columns_read_back,
            scanned_rows_match_read_rows,
            users_and_tokens,
            sessions_roles_and_languages,
            sign_in_failures_are_counted_in_their_window,
            an_idle_session_ends,
            only_one_first_user_is_made,
            saved_views_are_shared_by_name,
            records_are_searched_sorted_and_paged,
            prop_keys_are_sorted_and_distinct,
            contact_merges_are_recorded_and_undone,
            large_batches_are_written_whole,
            insert_new_skips_taken_and_repeated_ids,
            import_runs_are_logged,
            alerts_change_state_and_queue_deliveries_together,
            changes_reach_the_other_listeners,
            the_data_version_rises_with_every_change_and_only_then
        );
    };
    (@each $make:expr; $($check:ident),*) => {
        $(
            #[tokio::test]
            async fn $check() {
                if let Some(fresh) = $make.await {
                    $crate::conformance::$check(&*fresh.store()).await;
                    fresh.cleanup().await;
                }
            }
        )*
    };
}

/// The record lists of the web app: search across text columns, equality filters,
/// sorting with missing values last, pages and the total.
pub async fn records_are_searched_sorted_and_paged(store: &dyn Store) {
    let accounts = [
        ("a1", "Acme Corp", "enterprise", "PL"),
        ("a2", "Beta 100% Ltd", "smb", "DE"),
        ("a3", "acme labs", "smb", ""),
        ("a4", "Gamma", "enterprise", "PL"),
    ];
    let records: Vec<Record> = accounts
        .iter()
        .map(|(id, name, segment, country)| {
            let mut r = Record::new(RecordKind::Accounts, id.to_string());
            r.set("name", Value::Text(name.to_string()));
            r.set("segment", Value::Text(segment.to_string()));
            if !country.is_empty() {
                r.set("country", Value::Text(country.to_string()));
            }
            r
        })
        .collect();
    store
        .write_batch(RecordKind::Accounts, &records)
        .await
        .unwrap();
    let ids = |found: &(Vec<Record>, u64)| -> Vec<String> {
        found.0.iter().map(|r| r.id.clone()).collect()
    };
    let search = |text: Option<&str>,
                  equals: &[(&str, &str)],
                  sort: Option<&str>,
                  descending: bool,
                  offset: usize| {
        crate::RecordSearch {
            text: text.map(str::to_string),
            equals: equals
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            sort: sort.map(str::to_string),
            descending,
            offset,
            limit: 2,
        }
    };
    let kind = RecordKind::Accounts;
    let found = store
        .search_records(kind, &search(Some("ACME"), &[], None, false, 0))
        .await
        .unwrap();
    assert_eq!(
        (ids(&found), found.1),
        (vec!["a1".to_string(), "a3".to_string()], 2)
    );
    let found = store
        .search_records(kind, &search(Some("100%"), &[], None, false, 0))
        .await
        .unwrap();
    assert_eq!(ids(&found), ["a2"], "% is a character, not a wildcard");
    let found = store
        .search_records(
            kind,
            &search(None, &[("segment", "enterprise")], Some("name"), true, 0),
        )
        .await
        .unwrap();
    assert_eq!(
        (ids(&found), found.1),
        (vec!["a4".to_string(), "a1".to_string()], 2)
    );
    let first = store
        .search_records(kind, &search(None, &[], Some("country"), false, 0))
        .await
        .unwrap();
    let second = store
        .search_records(kind, &search(None, &[], Some("country"), false, 2))
        .await
        .unwrap();
    assert_eq!(
        (ids(&first), first.1),
        (vec!["a2".to_string(), "a1".to_string()], 4)
    );
    assert_eq!(ids(&second), ["a4", "a3"], "missing values last");
    assert!(
        store
            .search_records(kind, &search(None, &[("nope", "x")], None, false, 0))
            .await
            .is_err()
    );
    let wanted: Vec<String> = ["a3", "zz", "a1"].iter().map(|s| s.to_string()).collect();
    let by_id = store.records_by_id(kind, &wanted).await.unwrap();
    assert_eq!(
        by_id.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["a1", "a3"]
    );
    assert_eq!(by_id[1].text("name"), Some("acme labs"));
    assert!(
        store
            .search_records(
                kind,
                &search(None, &[], Some("name; DROP TABLE accounts"), false, 0)
            )
            .await
            .is_err()
    );
}

/// Alerts (alerts.md): a rule round-trips; a change of state writes its event and one
/// delivery per destination together; a delivery is claimed by one worker at a time,
/// retried when due, and kept as failed when given up.
pub async fn alerts_change_state_and_queue_deliveries_together(store: &dyn Store) {
    use crate::alerts::{AlertChange, DeliveryOutcome, NewAlertEvent, StoredAlertState};
    use serde_json::json;
    let condition = json!({"type": "freshness", "kind": "touchpoints", "hours": 6});
    let destinations = json!([{"type": "webhook", "url": "https://example.com/hook", "secret": "s"},
                              {"type": "slack", "url": "https://hooks.slack.com/x"}]);
    let rule = store
        .add_alert_rule(
            "Touchpoints stopped",
            &condition,
            &destinations,
            "ann@example.com",
            1_000,
        )
        .await
        .unwrap();
    let rules = store.alert_rules().await.unwrap();
    assert_eq!(rules, vec![rule.clone()]);
    assert_eq!(rules[0].condition, condition);

    // A state without an event: nothing is queued.
    let quiet = AlertChange {
        rule_id: rule.id,
        subject: "touchpoints".into(),
        before: None,
        state: StoredAlertState {
            firing: false,
            false_streak: 0,
        },
        at: 2_000,
        event: None,
    };
    assert_eq!(store.record_alert(&quiet).await.unwrap(), None);
    assert!(store.alert_deliveries(10).await.unwrap().is_empty());

    let fired = AlertChange {
        before: Some(StoredAlertState::default()),
        state: StoredAlertState {
            firing: true,
            false_streak: 0,
        },
        at: 3_000,
        event: Some(NewAlertEvent {
            state: "firing".into(),
            payload: json!({"rule": {"id": rule.id, "name": rule.name}, "state": "firing", "summary": "No touchpoints"}),
            destinations: destinations.as_array().unwrap().clone(),
        }),
        ..quiet.clone()
    };
    let event = store.record_alert(&fired).await.unwrap().expect("an event");
    // A second server that evaluated the same change from the same state writes nothing.
    assert_eq!(store.record_alert(&fired).await.unwrap(), None);
    assert_eq!(store.record_alert(&quiet).await.unwrap(), None);
    let states = store.alert_states(rule.id).await.unwrap();
    assert_eq!(
        states["touchpoints"],
        StoredAlertState {
            firing: true,
            false_streak: 0
        }
    );
    let events = store.alert_events(Some(rule.id), 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].id, events[0].state.as_str()), (event, "firing"));
    assert_eq!(store.alert_events(None, 10).await.unwrap(), events);

    // Claimed by one worker; another finds nothing until the lease runs out.
    let mine = store
        .claim_deliveries("a", 3_000, 60_000, 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].id, format!("{event}-0"));
    assert_eq!(mine[0].payload["id"], json!(format!("{event}-0")));
    assert_eq!(mine[1].destination["type"], "slack");
    assert!(
        store
            .claim_deliveries("b", 3_000, 60_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_deliveries("b", 63_001, 60_000, 10)
            .await
            .unwrap()
            .len(),
        2
    );

    store
        .finish_delivery(&mine[0].id, &DeliveryOutcome::Delivered { at: 63_100 })
        .await
        .unwrap();
    store
        .finish_delivery(
            &mine[1].id,
            &DeliveryOutcome::Retry {
                next_at: 93_100,
                error: "HTTP 500".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        store
            .claim_deliveries("a", 90_000, 60_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_deliveries("a", 93_100, 60_000, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].attempts, again[0].last_error.as_deref()),
        (1, Some("HTTP 500"))
    );
    store
        .finish_delivery(
            &again[0].id,
            &DeliveryOutcome::Failed {
                at: 94_000,
                error: "HTTP 500".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        store
            .claim_deliveries("a", 10_000_000, 60_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let all = store.alert_deliveries(10).await.unwrap();
    let by_id = |id: &str| all.iter().find(|d| d.id == id).unwrap().clone();
    assert_eq!(by_id(&format!("{event}-0")).delivered_at, Some(63_100));
    assert_eq!(by_id(&format!("{event}-1")).failed_at, Some(94_000));

    // A digest: once per slot, queued like an alert, never listed as one.
    assert_eq!(store.last_digest().await.unwrap(), None);
    let digest = json!({"type": "digest", "summary": "Week 49"});
    let sent = store
        .record_digest(
            "weekly:2026-12-07",
            100_000,
            &digest,
            &[json!({"type": "slack", "url": "https://hooks.slack.com/x"})],
        )
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(
        store
            .record_digest("weekly:2026-12-07", 100_001, &digest, &[])
            .await
            .unwrap(),
        None,
        "a second server sends no second digest for the slot"
    );
    let last = store.last_digest().await.unwrap().expect("a digest");
    assert_eq!((last.id, last.payload.clone()), (sent, digest));
    assert_eq!(store.alert_events(None, 10).await.unwrap().len(), 1);
    let queued = store
        .claim_deliveries("a", 100_000, 60_000, 10)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].id, format!("{sent}-0"));
    assert_eq!(queued[0].payload["type"], "digest");

    // Editing keeps the alert's state; muting and deleting keep the history.
    let renamed = json!({"type": "freshness", "kind": "touchpoints", "hours": 12});
    assert!(
        store
            .update_alert_rule(rule.id, "Touchpoints quiet", &renamed, &destinations)
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_alert_rule(rule.id + 99, "x", &renamed, &destinations)
            .await
            .unwrap()
    );
    let edited = &store.alert_rules().await.unwrap()[0];
    assert_eq!(
        (edited.name.as_str(), &edited.condition),
        ("Touchpoints quiet", &renamed)
    );
    assert!(store.alert_states(rule.id).await.unwrap()["touchpoints"].firing);
    assert!(store.mute_alert_rule(rule.id, Some(5_000)).await.unwrap());
    assert_eq!(
        store.alert_rules().await.unwrap()[0].muted_until,
        Some(5_000)
    );
    assert!(store.delete_alert_rule(rule.id).await.unwrap());
    assert!(!store.delete_alert_rule(rule.id).await.unwrap());
    assert!(store.alert_states(rule.id).await.unwrap().is_empty());
    assert_eq!(
        store.alert_events(Some(rule.id), 10).await.unwrap().len(),
        1
    );
}

/// A note announced reaches every listener on the same database (PostgreSQL); a store
/// one process owns has no channel, and announcing is harmless.
pub async fn changes_reach_the_other_listeners(store: &dyn Store) {
    use futures::StreamExt;
    let note = crate::ChangeNote {
        origin: "server-a".into(),
        what: "1 contacts".into(),
        written: vec![("contacts".into(), vec!["c1".into()], true)],
        rebuild: false,
        settings: false,
    };
    let Some(mut heard) = store.listen().await.unwrap() else {
        assert_eq!(store.backend(), "sqlite", "PostgreSQL has a channel");
        store.announce(&note).await.unwrap();
        return;
    };
    store.announce(&note).await.unwrap();
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), heard.next())
        .await
        .expect("the note arrives within seconds")
        .expect("the stream goes on")
        .unwrap();
    assert_eq!(first, crate::Heard::Note(note));
}

/// Snapshot files are current while the data version stands: every write that changes
/// what a snapshot is built from raises it, and writing the same rows again does not.
pub async fn the_data_version_rises_with_every_change_and_only_then(store: &dyn Store) {
    let mut version = Version {
        store,
        last: store.data_version().await.unwrap(),
    };
    let all = fixtures();
    let contacts = of_kind(&all, RecordKind::Contacts);
    store
        .write_batch(RecordKind::Contacts, &contacts)
        .await
        .unwrap();
    version.rose("new contacts", true).await;
    store
        .write_batch(RecordKind::Contacts, &contacts)
        .await
        .unwrap();
    version.rose("the same contacts again", false).await;
    let mut changed = contacts.clone();
    changed[0].props.insert("score".into(), "90".into());
    store
        .write_batch(RecordKind::Contacts, &changed)
        .await
        .unwrap();
    version.rose("a changed contact", true).await;

    let touch = |id: &str| {
        record(
            RecordKind::Touchpoints,
            &[
                ("touchpoint_id", id),
                ("contact_id", "c1"),
                ("occurred_at", "2025-01-01"),
                ("channel", "email"),
            ],
        )
    };
    store
        .insert_new(RecordKind::Touchpoints, &[touch("t1")])
        .await
        .unwrap();
    version.rose("a new touchpoint", true).await;
    store
        .insert_new(RecordKind::Touchpoints, &[touch("t1")])
        .await
        .unwrap();
    version.rose("a taken touchpoint id", false).await;
    store
        .insert_new(RecordKind::Touchpoints, &[touch("t1"), touch("t2")])
        .await
        .unwrap();
    version.rose("one taken, one new", true).await;

    let merge = crate::ContactMerge {
        merged_id: "c2".into(),
        survivor_id: "c1".into(),
        merged_at: 1,
        merged_by: "test".into(),
    };
    store.merge_contacts(&merge).await.unwrap();
    version.rose("a merge", true).await;
    assert!(store.unmerge_contact("c2").await.unwrap());
    version.rose("an unmerge", true).await;
    assert!(!store.unmerge_contact("c2").await.unwrap());
    version.rose("an unmerge of nothing", false).await;

    let mut settings = store.settings().await.unwrap();
    settings.sla_hours = 12.0;
    store.save_settings(&settings).await.unwrap();
    version.rose("settings", true).await;

    store.users().await.unwrap();
    store.count(RecordKind::Contacts).await.unwrap();
    version.rose("reads", false).await;
}

/// The data version as a test watches it move.
struct Version<'a> {
    store: &'a dyn Store,
    last: i64,
}

impl Version<'_> {
    async fn rose(&mut self, what: &str, expected: bool) {
        let now = self.store.data_version().await.unwrap();
        let last = self.last;
        assert_eq!(now > last, expected, "{what}: version {last} -> {now}");
        assert!(now >= last, "{what}: the version went back");
        self.last = now;
    }
}
