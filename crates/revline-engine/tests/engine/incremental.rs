//! Records applied to a built snapshot give the snapshot that a build over all the
//! records gives (the server's live updates rely on it).

use revline_core::{Record, RecordKind, Value};
use revline_demo::{DemoConfig, demo_settings, generate};
use revline_engine::snapshot::Snapshot;
use revline_engine::{NotIncremental, SnapshotBuilder};

fn demo(contacts: u64, seed: u64) -> Vec<Record> {
    let config = DemoConfig {
        contacts,
        seed,
        ..DemoConfig::default()
    };
    let mut out = Vec::new();
    generate(&config, &mut |r| out.push(r));
    out
}

fn build(records: &[&Record]) -> Snapshot {
    let mut b = SnapshotBuilder::new(&demo_settings());
    for r in records {
        b.add(*r);
    }
    b.build()
}

/// Field by field, so that a failure names the column (probabilities by their bits:
/// NaN marks a deal without one).
fn assert_same(got: &Snapshot, want: &Snapshot) {
    assert_eq!(got.contact_ids, want.contact_ids, "contact ids");
    assert_eq!(got.names, want.names, "names");
    assert_eq!(got.entered, want.entered, "stage entries");
    assert_eq!(got.rework, want.rework, "rework");
    assert_eq!(got.stage_rows, want.stage_rows, "stage rows");
    assert_eq!(got.contact, want.contact, "contact attributes");
    assert_eq!(got.accounts, want.accounts, "accounts");
    let (g, w) = (&got.deals, &want.deals);
    assert_eq!(g.ids, w.ids, "deal ids");
    assert_eq!(
        (&g.contact, &g.account, &g.owner, &g.stage, &g.unit),
        (&w.contact, &w.account, &w.owner, &w.stage, &w.unit),
        "deal references"
    );
    assert_eq!(
        (&g.amount, &g.has_amount, &g.status),
        (&w.amount, &w.has_amount, &w.status),
        "deal amounts"
    );
    assert_eq!(
        (&g.created_at, &g.expected_close_at, &g.closed_at),
        (&w.created_at, &w.expected_close_at, &w.closed_at),
        "deal dates"
    );
    let bits = |v: &[f64]| v.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&g.probability), bits(&w.probability), "probabilities");
    assert_eq!(got.deal_stages, want.deal_stages, "deal stages");
    assert_eq!(got.revenue, want.revenue, "revenue");
    assert_eq!(got.touchpoints, want.touchpoints, "touchpoints");
    assert_eq!(got.spend, want.spend, "spend");
    assert_eq!(got.tickets, want.tickets, "tickets");
    assert_eq!(got.targets, want.targets, "targets");
    assert_eq!(got.unconverted, want.unconverted, "unconverted");
}

/// Every n-th record of the kinds a server takes in live, the rest as the base.
fn split(all: &[Record], n: usize) -> (Vec<&Record>, Vec<&Record>) {
    let live = |r: &Record| !matches!(r.kind, RecordKind::Targets | RecordKind::FxRates);
    let (mut base, mut delta) = (Vec::new(), Vec::new());
    for (i, r) in all.iter().enumerate() {
        if live(r) && i % n == n / 2 {
            delta.push(r);
        } else {
            base.push(r);
        }
    }
    (base, delta)
}

#[test]
fn new_records_of_every_kind_applied_equal_a_build_over_all() {
    let all = demo(600, 11);
    for n in [3, 17, 101] {
        let (base, delta) = split(&all, n);
        let kinds: std::collections::BTreeSet<_> = delta.iter().map(|r| r.kind).collect();
        assert!(
            kinds.len() >= 8,
            "every live kind is in the delta: {kinds:?}"
        );
        let whole: Vec<&Record> = base.iter().chain(&delta).copied().collect();
        let want = build(&whole);
        let got = build(&base)
            .apply(&delta.iter().map(|r| (*r).clone()).collect::<Vec<_>>())
            .expect("demo money converts");
        assert_same(&got, &want);
    }
}

#[test]
fn contacts_and_deals_sent_again_replace_their_rows() {
    let all = demo(400, 5);
    let base: Vec<&Record> = all.iter().collect();
    let mut changed: Vec<Record> = Vec::new();
    for r in all
        .iter()
        .filter(|r| r.kind == RecordKind::Contacts)
        .step_by(9)
    {
        let mut r = r.clone();
        r.set("owner", Value::Text("new.owner@example.com".into()));
        changed.push(r);
    }
    for r in all
        .iter()
        .filter(|r| r.kind == RecordKind::Deals && r.text("status") == Some("open"))
        .step_by(3)
    {
        let mut r = r.clone();
        r.set("status", Value::Text("won".into()));
        let closed = r.int("created_at").unwrap_or(0) + 30 * 86_400_000;
        r.set("closed_at", Value::Int(closed));
        changed.push(r);
    }
    // A new account, and a contact of an existing account moved to it: units move.
    let mut account = all
        .iter()
        .find(|r| r.kind == RecordKind::Accounts)
        .unwrap()
        .clone();
    account.id = "acct-new-live".into();
    changed.push(account);
    let mut moved = all
        .iter()
        .filter(|r| r.kind == RecordKind::Contacts && r.text("account_id").is_some())
        .nth(3)
        .unwrap()
        .clone();
    moved.set("account_id", Value::Text("acct-new-live".into()));
    changed.push(moved);
    assert!(changed.len() > 20);

    let whole: Vec<&Record> = base.iter().copied().chain(&changed).collect();
    let want = build(&whole);
    let got = build(&base).apply(&changed).unwrap();
    assert_same(&got, &want);
}

#[test]
fn a_touchpoint_for_an_unknown_contact_adds_the_contact() {
    let all = demo(100, 3);
    let base: Vec<&Record> = all.iter().collect();
    let mut touch = all
        .iter()
        .find(|r| r.kind == RecordKind::Touchpoints)
        .unwrap()
        .clone();
    touch.id = "t-live-1".into();
    touch.set("contact_id", Value::Text("c-from-the-api".into()));
    let before = build(&base);
    let got = before.apply(std::slice::from_ref(&touch)).unwrap();
    assert_eq!(got.contacts(), before.contacts() + 1);
    let c = got.contacts() - 1;
    assert_eq!(got.contact_ids[c], "c-from-the-api");
    assert_eq!(got.touches_of(c).len(), 1);
    assert_eq!(
        got.contact.first_channel[c],
        got.touchpoints.channel[got.touches_of(c).start]
    );
    let whole: Vec<&Record> = base.iter().copied().chain([&touch]).collect();
    assert_same(&got, &build(&whole));
}

#[test]
fn rates_and_targets_ask_for_a_build_and_money_without_a_rate_is_left_out_alike() {
    let all = demo(50, 2);
    let base: Vec<&Record> = all.iter().collect();
    let s = build(&base);
    for kind in [RecordKind::FxRates, RecordKind::Targets] {
        let r = all.iter().find(|r| r.kind == kind).unwrap().clone();
        assert_eq!(s.apply(&[r]).unwrap_err(), NotIncremental::Kind(kind));
    }
    // Revenue in a currency without a rate: left out and listed, as a build does.
    let mut revenue = all
        .iter()
        .find(|r| r.kind == RecordKind::Revenue)
        .unwrap()
        .clone();
    revenue.id = "r-live".into();
    revenue.set("currency", Value::Text("JPY".into()));
    let got = s.apply(std::slice::from_ref(&revenue)).unwrap();
    assert!(
        got.unconverted
            .iter()
            .any(|u| u.currency == "JPY" && u.rows == 1)
    );
    let whole: Vec<&Record> = base.iter().copied().chain([&revenue]).collect();
    assert_same(&got, &build(&whole));
    // A deal in yen is left out alike; after that, deals are no longer patched in
    // (an update could turn the deal the list counts into one that converts).
    let mut deal = all
        .iter()
        .find(|r| r.kind == RecordKind::Deals)
        .unwrap()
        .clone();
    deal.id = "d-live-yen".into();
    deal.set("currency", Value::Text("JPY".into()));
    let with_yen = got.apply(std::slice::from_ref(&deal)).unwrap();
    let whole: Vec<&Record> = whole.iter().copied().chain([&deal]).collect();
    assert_same(&with_yen, &build(&whole));
    assert!(with_yen.unconverted.iter().any(|u| u.kind == "deals"));
    assert_eq!(
        with_yen.apply(std::slice::from_ref(&deal)).unwrap_err(),
        NotIncremental::UnconvertedDeals
    );
}
