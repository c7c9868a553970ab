use revline_core::{RecordKind, Record};
use revline_core::time::format_timestamp;
use revline_demo::{generate, DemoConfig};
use std::collections::BTreeMap;

#[test]
fn scratch() {
    let mut rs: Vec<Record> = Vec::new();
    generate(&DemoConfig::default(), &mut |r| rs.push(r));
    let mut rev: BTreeMap<String, i64> = BTreeMap::new();
    let mut spend: BTreeMap<String, i64> = BTreeMap::new();
    let mut newc: BTreeMap<String, i64> = BTreeMap::new();
    let mut spend_ch: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rs {
        match r.kind {
            RecordKind::Revenue => { let m = format_timestamp(r.int("occurred_at").unwrap())[..7].to_string(); *rev.entry(m).or_default() += r.int("amount").unwrap(); }
            RecordKind::Spend => { let m = r.text("period_start").unwrap()[..7].to_string(); *spend.entry(m).or_default() += r.int("amount").unwrap(); *spend_ch.entry(r.text("channel").unwrap().to_string() + "/" + r.text("campaign").unwrap_or("-")).or_default() += r.int("amount").unwrap(); }
            RecordKind::Deals if r.text("status") == Some("won") && r.text("pipeline") == Some("new_business") => { let m = format_timestamp(r.int("closed_at").unwrap())[..7].to_string(); *newc.entry(m).or_default() += 1; }
            _ => {}
        }
    }
    for (m, v) in &rev { let s = spend.get(m).copied().unwrap_or(0); let n = newc.get(m).copied().unwrap_or(0); eprintln!("{m} revenue {:>10} spend {:>10} new {:>4} cac {:>8}", v/100, s/100, n, if n>0 { s/100/n } else {0}); }
    for (c, v) in &spend_ch { eprintln!("{c}: {}", v/100); }
    for r in rs.iter().filter(|r| r.kind == RecordKind::Targets).take(200) { eprintln!("{:?} {:?} {:?} {:?}", r.text("period"), r.text("metric"), r.text("value"), r.text("segment")); }
    for r in rs.iter().filter(|r| r.kind == RecordKind::Tickets).take(5) { eprintln!("{:?}", r); }
    for r in rs.iter().filter(|r| r.kind == RecordKind::Deals).take(3) { eprintln!("{:?}", r); }
    for r in rs.iter().filter(|r| r.kind == RecordKind::Contacts).take(3) { eprintln!("{:?}", r); }
    for r in rs.iter().filter(|r| r.kind == RecordKind::Accounts).take(2) { eprintln!("{:?}", r); }
    for r in rs.iter().filter(|r| r.kind == RecordKind::Spend).take(2) { eprintln!("{:?}", r); }
}
