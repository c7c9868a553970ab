//! The tables every shard's contacts refer to, kept whole: names, accounts, deals and
//! their stage changes, revenue, spend, tickets, targets, unconverted money, merges and
//! currency rates.

use crate::columns::{Columns, Read};
use crate::{FilesError, Manifest};
use revline_core::{Currency, Settings};
use revline_engine::attributes::Attributes;
use revline_engine::slice::{Dim, SharedDims};
use revline_engine::snapshot::{
    DealStatus, Ids, Names, Snapshot, SnapshotBuilder, Target, Team, Unconverted,
};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

pub(crate) fn status_code(s: DealStatus) -> u8 {
    match s {
        DealStatus::Open => 0,
        DealStatus::Won => 1,
        DealStatus::Lost => 2,
        DealStatus::Unknown => 3,
    }
}

fn status(code: u8) -> DealStatus {
    match code {
        0 => DealStatus::Open,
        1 => DealStatus::Won,
        2 => DealStatus::Lost,
        _ => DealStatus::Unknown,
    }
}

pub(crate) fn team_code(t: Team) -> u8 {
    match t {
        Team::Marketing => 0,
        Team::Sales => 1,
        Team::Service => 2,
    }
}

pub(crate) fn team(code: u8) -> Team {
    match code {
        1 => Team::Sales,
        2 => Team::Service,
        _ => Team::Marketing,
    }
}

/// Attribute columns `attr_0..`, each padded to `rows` (values past a column's length
/// read as none; the manifest keeps the lengths).
pub(crate) fn with_attributes(
    mut cols: Columns,
    a: &Attributes,
    rows: impl Iterator<Item = usize> + Clone,
) -> Columns {
    for k in 0..a.keys.len() {
        cols = cols.u32(&format!("attr_{k}"), rows.clone().map(|e| a.get(k, e)));
    }
    cols
}

pub(crate) fn write(s: &Snapshot, dir: &Path) -> Result<(), FilesError> {
    std::fs::create_dir_all(dir).map_err(|e| FilesError::at(dir, e))?;
    let file = |name: &str| dir.join(format!("{name}.parquet"));
    Columns::default()
        .str("name", s.names.list().iter().map(String::as_str))
        .write(&file("names"))?;
    let a = &s.accounts;
    let accounts = Columns::default()
        .str("id", a.ids.list.iter().map(String::as_str))
        .bool("loaded", a.loaded.iter().copied())
        .u32("segment", a.segment.iter().copied())
        .u32("country", a.country.iter().copied())
        .u32("owner", a.owner.iter().copied())
        .i64("created_at", a.created_at.iter().copied());
    with_attributes(accounts, &a.attributes, 0..a.ids.len()).write(&file("accounts"))?;
    let d = &s.deals;
    Columns::default()
        .str("id", d.ids.list.iter().map(String::as_str))
        .u32("contact", d.contact.iter().copied())
        .u32("account", d.account.iter().copied())
        .u32("owner", d.owner.iter().copied())
        .u32("stage", d.stage.iter().copied())
        .i64("amount", d.amount.iter().copied())
        .bool("has_amount", d.has_amount.iter().copied())
        .i64("created_at", d.created_at.iter().copied())
        .i64("expected_close_at", d.expected_close_at.iter().copied())
        .i64("closed_at", d.closed_at.iter().copied())
        .u8("status", d.status.iter().map(|&x| status_code(x)))
        .f64("probability", d.probability.iter().copied())
        .u32("unit", d.unit.iter().copied())
        .write(&file("deals"))?;
    let ds = &s.deal_stages;
    Columns::default()
        .u32("deal", ds.deal.iter().copied())
        .u32("stage", ds.stage.iter().copied())
        .i64("at", ds.at.iter().copied())
        .write(&file("deal_stages"))?;
    let r = &s.revenue;
    Columns::default()
        .u32("contact", r.contact.iter().copied())
        .u32("account", r.account.iter().copied())
        .u32("deal", r.deal.iter().copied())
        .u32("unit", r.unit.iter().copied())
        .i64("at", r.at.iter().copied())
        .i64("amount", r.amount.iter().copied())
        .u32("kind", r.kind.iter().copied())
        .i32("service_start", r.service_start.iter().copied())
        .i32("service_end", r.service_end.iter().copied())
        .bool("service_given", r.service_given.iter().copied())
        .write(&file("revenue"))?;
    let sp = &s.spend;
    Columns::default()
        .i64("start", sp.start.iter().copied())
        .i64("end", sp.end.iter().copied())
        .u32("channel", sp.channel.iter().copied())
        .u32("campaign", sp.campaign.iter().copied())
        .u8("team", sp.team.iter().map(|&t| team_code(t)))
        .i64("amount", sp.amount.iter().copied())
        .write(&file("spend"))?;
    let t = &s.tickets;
    Columns::default()
        .str("id", t.ids.iter().map(String::as_str))
        .u32("contact", t.contact.iter().copied())
        .u32("account", t.account.iter().copied())
        .u32("unit", t.unit.iter().copied())
        .i64("opened_at", t.opened_at.iter().copied())
        .i64("first_response_at", t.first_response_at.iter().copied())
        .i64("resolved_at", t.resolved_at.iter().copied())
        .u8("csat", t.csat.iter().copied())
        .u32("category", t.category.iter().copied())
        .write(&file("tickets"))?;
    let tg = &s.targets;
    Columns::default()
        .str("period", tg.iter().map(|t| t.period.as_str()))
        .i64("start", tg.iter().map(|t| t.start))
        .i64("end", tg.iter().map(|t| t.end))
        .str("metric", tg.iter().map(|t| t.metric.as_str()))
        .f64("value", tg.iter().map(|t| t.value))
        .bool("has_segment", tg.iter().map(|t| t.segment.is_some()))
        .str(
            "segment",
            tg.iter().map(|t| t.segment.as_deref().unwrap_or("")),
        )
        .write(&file("targets"))?;
    let u = &s.unconverted;
    Columns::default()
        .str("kind", u.iter().map(|x| x.kind.as_str()))
        .str("currency", u.iter().map(|x| x.currency.as_str()))
        .u64("rows", u.iter().map(|x| x.rows))
        .i64("amount_minor", u.iter().map(|x| x.amount_minor))
        .write(&file("unconverted"))?;
    let merges = s.merged_into();
    Columns::default()
        .str("merged", merges.keys().map(String::as_str))
        .str("survivor", merges.values().map(String::as_str))
        .write(&file("merges"))?;
    let rates: Vec<(Currency, i64, String)> = s
        .fx_rates()
        .iter()
        .flat_map(|(c, list)| list.iter().map(|(at, rate)| (*c, *at, rate.to_string())))
        .collect();
    Columns::default()
        .str("currency", rates.iter().map(|r| r.0.code()))
        .i64("at", rates.iter().map(|r| r.1))
        .str("rate", rates.iter().map(|r| r.2.as_str()))
        .write(&file("fx_rates"))?;
    write_dims(&SharedDims::of(s), dir)
}

/// Each customer unit's, deal's and ticket's value of every dimension, one column per
/// dimension: what a shard slicing a report cannot make alone.
fn write_dims(dims: &SharedDims, dir: &Path) -> Result<(), FilesError> {
    for (table, values) in [
        ("unit_dims", &dims.unit),
        ("deal_dims", &dims.deal),
        ("ticket_dims", &dims.ticket),
    ] {
        let mut cols = Columns::default();
        for (dim, column) in Dim::ALL.iter().zip(values) {
            cols = cols.u32(dim.name(), column.iter().copied());
        }
        cols.write(&dir.join(format!("{table}.parquet")))?;
    }
    Columns::default()
        .u32("contact", dims.primary.iter().copied())
        .write(&dir.join("unit_primary.parquet"))
}

pub(crate) fn read_dims(dir: &Path) -> Result<SharedDims, FilesError> {
    let mut dims = SharedDims::default();
    for (table, values) in [
        ("unit_dims", &mut dims.unit),
        ("deal_dims", &mut dims.deal),
        ("ticket_dims", &mut dims.ticket),
    ] {
        let path = dir.join(format!("{table}.parquet"));
        let read = Read::file(&path)?;
        for dim in Dim::ALL {
            values.push(read.u32(dim.name())?);
        }
    }
    dims.primary = Read::file(&dir.join("unit_primary.parquet"))?.u32("contact")?;
    Ok(dims)
}

pub(crate) fn read_attributes(
    read: &Read,
    keys: &[(String, usize)],
) -> Result<Attributes, FilesError> {
    let mut values = Vec::with_capacity(keys.len());
    for (k, (_, len)) in keys.iter().enumerate() {
        let mut column = read.u32(&format!("attr_{k}"))?;
        column.truncate(*len);
        values.push(column);
    }
    Ok(Attributes::from_columns(
        keys.iter().map(|(k, _)| k.clone()).collect(),
        values,
    ))
}

/// What the snapshot keeps for records that arrive later, put back once the contacts
/// are in (`Snapshot::with_lookups`).
pub(crate) struct Later {
    pub merges: HashMap<String, String>,
    pub fx: HashMap<Currency, Vec<(i64, Decimal)>>,
}

/// A snapshot with the manifest's settings and names alone.
pub(crate) fn read_settings_and_names(m: &Manifest, dir: &Path) -> Result<Snapshot, FilesError> {
    let manifest_path = dir.join("..").join("..").join(crate::manifest::FILE);
    let bad = |what: &str| FilesError::at(&manifest_path, format!("unknown {what}"));
    let settings = Settings {
        currency: Currency::parse(&m.currency).ok_or_else(|| bad("currency"))?,
        timezone: chrono_tz::Tz::from_str(&m.timezone).map_err(|_| bad("time zone"))?,
        stages: m.stages.clone(),
        sla_hours: m.sla_hours,
        gross_margin: m.gross_margin,
        lookback_days: m.lookback_days,
        ..Settings::default()
    };
    let mut s = SnapshotBuilder::new(&settings).build();
    let path = |name: &str| dir.join(format!("{name}.parquet"));

    let names = path("names");
    s.names = Names::from_list(Read::file(&names)?.str("name")?);
    Ok(s)
}

/// A snapshot with the manifest's settings and the shared tables; no contacts yet.
pub(crate) fn read(m: &Manifest, dir: &Path) -> Result<(Snapshot, Later), FilesError> {
    let mut s = read_settings_and_names(m, dir)?;
    let path = |name: &str| dir.join(format!("{name}.parquet"));

    let p = path("accounts");
    let f = Read::file(&p)?;
    let a = &mut s.accounts;
    a.ids = Ids::from_list(f.str("id")?);
    a.loaded = f.bool("loaded")?;
    a.segment = f.u32("segment")?;
    a.country = f.u32("country")?;
    a.owner = f.u32("owner")?;
    a.created_at = f.i64("created_at")?;
    a.attributes = read_attributes(&f, &m.account_attributes)?;

    let p = path("deals");
    let f = Read::file(&p)?;
    let d = &mut s.deals;
    d.ids = Ids::from_list(f.str("id")?);
    d.contact = f.u32("contact")?;
    d.account = f.u32("account")?;
    d.owner = f.u32("owner")?;
    d.stage = f.u32("stage")?;
    d.amount = f.i64("amount")?;
    d.has_amount = f.bool("has_amount")?;
    d.created_at = f.i64("created_at")?;
    d.expected_close_at = f.i64("expected_close_at")?;
    d.closed_at = f.i64("closed_at")?;
    d.status = f.u8("status")?.into_iter().map(status).collect();
    d.probability = f.f64("probability")?;
    d.unit = f.u32("unit")?;

    let p = path("deal_stages");
    let f = Read::file(&p)?;
    s.deal_stages.deal = f.u32("deal")?;
    s.deal_stages.stage = f.u32("stage")?;
    s.deal_stages.at = f.i64("at")?;

    let p = path("revenue");
    let f = Read::file(&p)?;
    let r = &mut s.revenue;
    r.contact = f.u32("contact")?;
    r.account = f.u32("account")?;
    r.deal = f.u32("deal")?;
    r.unit = f.u32("unit")?;
    r.at = f.i64("at")?;
    r.amount = f.i64("amount")?;
    r.kind = f.u32("kind")?;
    r.service_start = f.i32("service_start")?;
    r.service_end = f.i32("service_end")?;
    r.service_given = f.bool("service_given")?;

    let p = path("spend");
    let f = Read::file(&p)?;
    let sp = &mut s.spend;
    sp.start = f.i64("start")?;
    sp.end = f.i64("end")?;
    sp.channel = f.u32("channel")?;
    sp.campaign = f.u32("campaign")?;
    sp.team = f.u8("team")?.into_iter().map(team).collect();
    sp.amount = f.i64("amount")?;

    let p = path("tickets");
    let f = Read::file(&p)?;
    let t = &mut s.tickets;
    t.ids = f.str("id")?;
    t.contact = f.u32("contact")?;
    t.account = f.u32("account")?;
    t.unit = f.u32("unit")?;
    t.opened_at = f.i64("opened_at")?;
    t.first_response_at = f.i64("first_response_at")?;
    t.resolved_at = f.i64("resolved_at")?;
    t.csat = f.u8("csat")?;
    t.category = f.u32("category")?;

    let p = path("targets");
    let f = Read::file(&p)?;
    let (period, start, end) = (f.str("period")?, f.i64("start")?, f.i64("end")?);
    let (metric, value) = (f.str("metric")?, f.f64("value")?);
    let (has_segment, segment) = (f.bool("has_segment")?, f.str("segment")?);
    s.targets = (0..f.rows())
        .map(|i| Target {
            period: period[i].clone(),
            start: start[i],
            end: end[i],
            metric: metric[i].clone(),
            value: value[i],
            segment: has_segment[i].then(|| segment[i].clone()),
        })
        .collect();

    let p = path("unconverted");
    let f = Read::file(&p)?;
    let (kind, currency) = (f.str("kind")?, f.str("currency")?);
    let (rows, amount) = (f.u64("rows")?, f.i64("amount_minor")?);
    s.unconverted = (0..f.rows())
        .map(|i| Unconverted {
            kind: kind[i].clone(),
            currency: currency[i].clone(),
            rows: rows[i],
            amount_minor: amount[i],
        })
        .collect();

    let p = path("merges");
    let f = Read::file(&p)?;
    let merges: HashMap<String, String> = f
        .str("merged")?
        .into_iter()
        .zip(f.str("survivor")?)
        .collect();

    let p = path("fx_rates");
    let f = Read::file(&p)?;
    let (codes, at, rates) = (f.str("currency")?, f.i64("at")?, f.str("rate")?);
    let mut fx: HashMap<Currency, Vec<(i64, Decimal)>> = HashMap::new();
    for i in 0..f.rows() {
        let currency = Currency::parse(&codes[i])
            .ok_or_else(|| FilesError::at(&p, format!("row {}: unknown currency", i + 1)))?;
        let rate = Decimal::from_str(&rates[i])
            .map_err(|e| FilesError::at(&p, format!("row {}: rate: {e}", i + 1)))?;
        fx.entry(currency).or_default().push((at[i], rate));
    }
    Ok((s, Later { merges, fx }))
}
