//! The reports that list rather than sum (members of a stage, one journey) on shards:
//! every shard's list, put together, is the whole snapshot's.

use super::demo;
use revline_core::parse::{ParseOptions, RowText, parse_record};
use revline_core::{Record, RecordKind, Settings};
use revline_demo::demo_settings;
use revline_engine::query::{ReportKind, ReportParams, ReportQuery, run};
use revline_engine::shard::{ShardTask, Step, Unfinished};
use revline_engine::slice::SharedDims;
use revline_engine::snapshot::{NONE, Snapshot, SnapshotBuilder};
use revline_files::{ShardFiles, read_shard, read_shared, write};
use std::path::Path;

/// What the client holds: the shared tables, the units', deals' and tickets' values,
/// and the workspace's number of contacts.
struct Client {
    shared: Snapshot,
    dims: SharedDims,
    contacts: usize,
}

/// Every shard of the files in `dir`, read for `task`, and what the client reads.
fn shards_of(dir: &Path, task: &ShardTask) -> (Vec<ShardFiles>, Client) {
    let m = revline_files::Manifest::read(dir).unwrap().unwrap();
    let files = (0..m.shards)
        .map(|i| read_shard(dir, &m.generation, i, task.reads()).unwrap())
        .collect();
    let client = Client {
        shared: read_shared(dir, &m.generation, task.finish_reads_tables()).unwrap(),
        dims: revline_files::read_shared_dims(dir, &m.generation).unwrap(),
        contacts: m.contacts as usize,
    };
    (files, client)
}

/// The report of `q` merged from every shard in `files`, as JSON, or the shards'
/// error.
fn merged(
    files: &[ShardFiles],
    client: &Client,
    q: &ReportQuery,
) -> Result<serde_json::Value, Unfinished> {
    let task = ShardTask::of(q).unwrap();
    let partials = files.iter().map(|f| task.partial(&f.snapshot, f.owned()));
    // These reports take one round.
    task.finish(&client.shared, &client.dims, client.contacts, partials)
        .map(|step| match step {
            Step::Done(out) => out.to_json(),
            Step::Next(next) => panic!("a second round: {next:?}"),
        })
}

fn query(kind: ReportKind, p: ReportParams) -> ReportQuery {
    ReportQuery::parse(kind, &p, &demo_settings(), 0).unwrap()
}

fn members(stage: &str, from: &str, view: &str, filter: Option<&str>) -> ReportQuery {
    query(
        ReportKind::Members,
        ReportParams {
            stage: Some(stage.into()),
            from: Some(from.into()),
            as_of: Some("2026-06-01".into()),
            view: Some(view.into()),
            filter: filter.map(Into::into),
            ..ReportParams::default()
        },
    )
}

#[test]
fn members_from_every_shard_are_the_members_of_the_whole_snapshot() {
    let s = demo(1_200);
    let queries = [
        members("lead", "2024-01-01", "cohort", None),
        members("sql", "2025-01-01", "flow", None),
        members("customer", "2020-01-01", "cohort", Some("segment:smb")),
        members("mql", "2024-01-01", "cohort", Some("channel:paid_search")),
    ];
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(&s, dir.path(), shards, 7).unwrap();
        for q in &queries {
            let (files, client) = shards_of(dir.path(), &ShardTask::of(q).unwrap());
            let whole = run(&s, q).unwrap().to_json();
            assert!(whole["count"].as_u64().unwrap() > 0, "{whole}");
            let got = merged(&files, &client, q).unwrap();
            assert_eq!(got, whole, "{shards} shards, {q:?}");
        }
    }
}

fn journey(contact: Option<&str>, account: Option<&str>) -> ReportQuery {
    query(
        ReportKind::Journeys,
        ReportParams {
            contact: contact.map(Into::into),
            account: account.map(Into::into),
            ..ReportParams::default()
        },
    )
}

/// Deals of an account whose contact belongs to another account (or none): the shard
/// of that contact tells them, not the account's people's.
fn deals_told_by_strangers(s: &Snapshot) -> usize {
    let d = &s.deals;
    (0..d.ids.len())
        .filter(|&i| {
            d.account[i] != NONE
                && d.contact[i] != NONE
                && s.contact.account[d.contact[i] as usize] != d.account[i]
        })
        .count()
}

#[test]
fn a_journey_from_every_shard_is_the_journey_of_the_whole_snapshot() {
    let s = demo(1_200);
    let mut queries: Vec<ReportQuery> = s
        .accounts
        .ids
        .list
        .iter()
        .zip(&s.accounts.loaded)
        .filter(|(_, loaded)| **loaded)
        .map(|(id, _)| journey(None, Some(id)))
        .collect();
    assert!(queries.len() > 20, "{} accounts", queries.len());
    queries.extend(
        s.contact_ids
            .iter()
            .step_by(5)
            .map(|id| journey(Some(id), None)),
    );
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(&s, dir.path(), shards, 7).unwrap();
        let task = ShardTask::of(&queries[0]).unwrap();
        let (files, client) = shards_of(dir.path(), &task);
        let mut events = 0;
        for q in &queries {
            let whole = run(&s, q).unwrap().to_json();
            events += whole["events"].as_array().unwrap().len();
            let got = merged(&files, &client, q).unwrap();
            let first_apart = (0..whole["events"].as_array().unwrap().len())
                .find(|&i| got["events"][i] != whole["events"][i]);
            assert_eq!(
                got,
                whole,
                "{shards} shards, {:?}: first apart at {first_apart:?}: {} against {}",
                q.subject,
                first_apart.map_or(serde_json::Value::Null, |i| got["events"][i].clone()),
                first_apart.map_or(serde_json::Value::Null, |i| whole["events"][i].clone()),
            );
        }
        assert!(events > 10 * queries.len(), "{events} events");
    }
}

#[test]
fn a_journey_of_no_one_is_not_found_on_shards_as_in_one_process() {
    let s = demo(300);
    let dir = tempfile::tempdir().unwrap();
    write(&s, dir.path(), 3, 7).unwrap();
    for q in [
        journey(Some("c-nobody"), None),
        journey(None, Some("a-nobody")),
    ] {
        let task = ShardTask::of(&q).unwrap();
        let (files, client) = shards_of(dir.path(), &task);
        let whole = run(&s, &q).unwrap_err();
        match merged(&files, &client, &q) {
            Err(Unfinished::NotFound(e)) => assert_eq!(e, whole),
            other => panic!("{other:?}"),
        }
    }
}

fn scores(p: ReportParams) -> ReportQuery {
    query(ReportKind::Scores, p)
}

#[test]
fn scores_from_every_shards_leads_are_the_scores_of_the_whole_snapshot() {
    let s = demo(2_000);
    let base = || ReportParams {
        from: Some("2026-01-01".into()),
        to: Some("2026-04-01".into()),
        as_of: Some("2026-06-01".into()),
        ..ReportParams::default()
    };
    let queries = [
        scores(base()),
        scores(ReportParams {
            target: Some("customer".into()),
            horizon_days: Some(180.0),
            train_as_of: Some("2025-10-01".into()),
            capacity: Some(40.0),
            ..base()
        }),
        scores(ReportParams {
            contacts: Some(s.contact_ids[..40].join(",")),
            ..base()
        }),
        // Too few leads to learn from: no lead is scored, and the reason is the same.
        scores(ReportParams {
            train_as_of: Some("2023-01-10".into()),
            ..base()
        }),
    ];
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(&s, dir.path(), shards, 7).unwrap();
        let task = ShardTask::of(&queries[0]).unwrap();
        let (files, client) = shards_of(dir.path(), &task);
        for (i, q) in queries.iter().enumerate() {
            let whole = run(&s, q).unwrap().to_json();
            let listed = whole["contacts"].as_array().unwrap().len();
            assert_eq!(listed > 0, i != 3, "{}", whole["model"]);
            let got = merged(&files, &client, q).unwrap();
            assert_eq!(got, whole, "{shards} shards, {q:?}");
        }
    }
}

fn record(kind: RecordKind, pairs: &[(&str, &str)]) -> Record {
    let row = RowText::from_pairs(kind, pairs);
    parse_record(kind, row, &Settings::default(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{kind} {pairs:?}: {e:?}"))
}

/// Two accounts whose records name each other's people: a deal, revenue and a ticket
/// of account a1 whose contact belongs to a2 (or to no one), and events at one
/// instant. Such a record is told by the shard holding its contact, not by any of
/// the account's people's.
fn crossed_accounts() -> Snapshot {
    use RecordKind::*;
    let mut records = vec![
        record(Accounts, &[("account_id", "a1"), ("segment", "smb")]),
        record(Accounts, &[("account_id", "a2"), ("segment", "ent")]),
    ];
    for i in 0..12 {
        let (id, account) = (format!("c{i}"), ["a1", "a2", ""][i % 3]);
        records.push(record(
            Contacts,
            &[
                ("contact_id", &id),
                ("account_id", account),
                ("created_at", "2026-01-05T09:00:00Z"),
            ],
        ));
        // Every contact touched at one instant, on two channels.
        for channel in ["webinar", "email"] {
            records.push(record(
                Touchpoints,
                &[
                    ("contact_id", &id),
                    ("occurred_at", "2026-01-06T10:00:00Z"),
                    ("channel", channel),
                ],
            ));
        }
    }
    for (deal, contact, account) in [("d1", "c1", "a1"), ("d2", "", "a1"), ("d3", "c4", "a2")] {
        records.push(record(
            Deals,
            &[
                ("deal_id", deal),
                ("contact_id", contact),
                ("account_id", account),
                ("created_at", "2026-02-01T00:00:00Z"),
                ("closed_at", "2026-03-01T00:00:00Z"),
                ("status", "won"),
                ("amount", "1000"),
            ],
        ));
        records.push(record(
            DealStages,
            &[
                ("deal_id", deal),
                ("stage", "proposal"),
                ("occurred_at", "2026-02-10T00:00:00Z"),
            ],
        ));
    }
    records.push(record(
        Revenue,
        &[
            ("revenue_id", "r1"),
            ("contact_id", "c1"),
            ("account_id", "a1"),
            ("deal_id", "d1"),
            ("occurred_at", "2026-03-01T00:00:00Z"),
            ("amount", "1000"),
        ],
    ));
    records.push(record(
        Tickets,
        &[
            ("ticket_id", "t1"),
            ("account_id", "a1"),
            ("opened_at", "2026-03-05T00:00:00Z"),
            ("resolved_at", "2026-03-06T00:00:00Z"),
            ("csat", "4"),
        ],
    ));
    let mut b = SnapshotBuilder::new(&Settings::default());
    for r in &records {
        b.add(r);
    }
    b.build()
}

#[test]
fn regression_an_accounts_deal_whose_contact_is_elsewhere_is_told_once_on_shards() {
    let s = crossed_accounts();
    // c1 is of account a2 (i % 3 == 1) while its deal, revenue name a1.
    let c1 = s.contact_ids.iter().position(|id| id == "c1").unwrap();
    let a1 = s.accounts.ids.get("a1").unwrap();
    assert_ne!(s.contact.account[c1], a1);
    assert_eq!(deals_told_by_strangers(&s), 1);
    let queries = [
        journey(None, Some("a1")),
        journey(None, Some("a2")),
        journey(Some("c1"), None),
        journey(Some("c0"), None),
    ];
    for shards in 1..=6 {
        let dir = tempfile::tempdir().unwrap();
        write(&s, dir.path(), shards, 7).unwrap();
        let (files, client) = shards_of(dir.path(), &ShardTask::of(&queries[0]).unwrap());
        for q in &queries {
            let whole = run(&s, q).unwrap().to_json();
            let told = |event: &str| {
                whole["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["event"] == event)
                    .count()
            };
            if q.subject == queries[0].subject {
                // d1 (contact c1, of a2) and d2 (no contact); the ticket without one.
                assert_eq!((told("deal_won"), told("ticket_opened")), (2, 1), "{whole}");
                assert_eq!(told("revenue"), 1, "{whole}");
            }
            let got = merged(&files, &client, q).unwrap();
            assert_eq!(got, whole, "{shards} shards, {:?}", q.subject);
        }
    }
}
