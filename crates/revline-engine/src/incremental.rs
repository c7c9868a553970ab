//! Records that arrive after a snapshot was built, applied to a copy of it.
//!
//! A server keeps one snapshot warm; when a few records arrive (an API batch, a
//! `track` call) it patches a copy instead of reading the workspace again or building
//! it from scratch: the new rows are placed where a full build would have put them,
//! and only what depends on them is worked out again (the stage entries, rework and
//! lead-creation touch of the contacts they touch; customer units, whose numbers move
//! when an account is added). `SnapshotBuilder` over the old records followed by the
//! new ones, then `build`, gives the same snapshot (tests/engine/incremental.rs).
//!
//! Where patching is not exact, `apply` says so and the caller builds anew: targets
//! and currency rates (a rate converts money already in the snapshot), and money in a
//! currency without a rate (the `unconverted` list counts a deal's final amount once).

use crate::id_index::hash_id;
use crate::snapshot::{
    Converter, NEVER, NONE, RawMoney, Snapshot, Team, Touchpoints, day_start, unit_of,
};
use chrono::NaiveDate;
use revline_core::{Currency, Fields, RecordKind};

/// Why records could not be patched in; the snapshot must be built from the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotIncremental {
    #[error("{0} change the whole snapshot")]
    Kind(RecordKind),
    #[error("{kind} money in {currency} has no rate to convert it")]
    Unconverted { kind: RecordKind, currency: String },
}

/// One touchpoint before it is placed: contact, instant, channel, campaign, kind, team.
type Touch = (u32, i64, u32, u32, u32, Team);

/// The patch under way: the copy, and what the new records touched.
struct Patch {
    s: Snapshot,
    /// Funnel positions of the named stages, as the builder fixes them.
    lead: Option<usize>,
    opportunity: Option<usize>,
    customer: Option<usize>,
    /// Contacts whose stage entries or touchpoints changed.
    touched: Vec<u32>,
    touches: Vec<Touch>,
}

impl Snapshot {
    /// A copy of this snapshot with `records` added, as if they had come after every
    /// record it was built from. Records of accounts, contacts and deals replace the
    /// stored row of the same id; other kinds' rows add up, so the caller passes only
    /// rows that are new (a row sent again would count twice, as it would in a build
    /// that read it twice).
    pub fn apply<R: Fields>(&self, records: &[R]) -> Result<Snapshot, NotIncremental> {
        if let Some(r) = records
            .iter()
            .find(|r| matches!(r.kind(), RecordKind::Targets | RecordKind::FxRates))
        {
            return Err(NotIncremental::Kind(r.kind()));
        }
        let at = |name: &str| self.stages.iter().position(|s| s == name);
        let mut patch = Patch {
            s: self.copy_without_touchpoints(),
            lead: at("lead").or(Some(0)),
            opportunity: at("opportunity"),
            customer: at("customer"),
            touched: Vec::new(),
            touches: Vec::new(),
        };
        for r in records {
            patch.add(r)?;
        }
        let Patch {
            mut s,
            mut touched,
            touches,
            ..
        } = patch;
        s.touchpoints = merge_touches(&self.touchpoints, touches, s.contact_ids.len());
        touched.sort_unstable();
        touched.dedup();
        s.refresh_contacts(&touched);
        s.refresh_units();
        Ok(s)
    }

    /// Every column but the touchpoints, which `apply` writes afresh.
    fn copy_without_touchpoints(&self) -> Snapshot {
        Snapshot {
            currency: self.currency,
            timezone: self.timezone,
            sla_hours: self.sla_hours,
            gross_margin: self.gross_margin,
            lookback_days: self.lookback_days,
            stages: self.stages.clone(),
            contact_ids: self.contact_ids.clone(),
            entered: self.entered.clone(),
            rework: self.rework.clone(),
            stage_rows: self.stage_rows.clone(),
            names: self.names.clone(),
            contact: self.contact.clone(),
            accounts: self.accounts.clone(),
            deals: self.deals.clone(),
            deal_stages: self.deal_stages.clone(),
            revenue: self.revenue.clone(),
            touchpoints: Touchpoints::default(),
            spend: self.spend.clone(),
            tickets: self.tickets.clone(),
            targets: self.targets.clone(),
            unconverted: self.unconverted.clone(),
            contact_index: self.contact_index.clone(),
            fx: self.fx.clone(),
        }
    }

    /// First channel, lead-creation touch and rework of these contacts, worked out
    /// again as `SnapshotBuilder::build` does.
    fn refresh_contacts(&mut self, touched: &[u32]) {
        if touched.is_empty() {
            return;
        }
        let k = self.stages.len();
        let tp = &self.touchpoints;
        let kc = &mut self.contact;
        for &c in touched {
            let c = c as usize;
            let range = tp.start[c] as usize..tp.start[c + 1] as usize;
            if range.is_empty() {
                continue;
            }
            kc.first_channel[c] = tp.channel[range.start];
            let lead_at = self.entered[c * k];
            let lead_touch = range
                .clone()
                .rev()
                .find(|&i| tp.at[i] <= lead_at)
                .unwrap_or(range.start);
            kc.lead_channel[c] = tp.channel[lead_touch];
            kc.lead_campaign[c] = tp.campaign[lead_touch];
        }
        let mut is_touched = vec![false; self.contact_ids.len()];
        for &c in touched {
            is_touched[c as usize] = true;
            self.rework[c as usize * k..(c as usize + 1) * k].fill(0);
        }
        let stage_of: Vec<(u32, usize)> = self
            .stages
            .iter()
            .enumerate()
            .filter_map(|(i, name)| self.names.get(name).map(|sym| (sym, i)))
            .collect();
        for &(c, sym, at) in &self.stage_rows {
            if !is_touched[c as usize] {
                continue;
            }
            let Some(&(_, stage)) = stage_of.iter().find(|(s, _)| *s == sym) else {
                continue;
            };
            let row = &self.entered[c as usize * k..(c as usize + 1) * k];
            let later_entry = row[stage + 1..].iter().copied().min().unwrap_or(NEVER);
            if at > later_entry {
                self.rework[c as usize * k + stage] += 1;
            }
        }
    }

    /// Customer units of deals, tickets and revenue, and revenue in unit order. A new
    /// account moves every contact's unit number; a contact moved to an account moves
    /// its rows. Both are small next to the touchpoints, so all are worked out again.
    fn refresh_units(&mut self) {
        let accounts = self.accounts.ids.len();
        let contact_account = &self.contact.account;
        let d = &mut self.deals;
        for i in 0..d.unit.len() {
            d.unit[i] = unit_of(contact_account, accounts, d.account[i], d.contact[i]);
        }
        let t = &mut self.tickets;
        for i in 0..t.unit.len() {
            t.unit[i] = unit_of(contact_account, accounts, t.account[i], t.contact[i]);
        }
        let r = &mut self.revenue;
        for i in 0..r.unit.len() {
            r.unit[i] = unit_of(contact_account, accounts, r.account[i], r.contact[i]);
        }
        let sorted = (1..r.unit.len()).all(|i| {
            (r.unit[i - 1], r.at[i - 1], r.amount[i - 1]) <= (r.unit[i], r.at[i], r.amount[i])
        });
        if sorted {
            return;
        }
        let mut order: Vec<usize> = (0..r.unit.len()).collect();
        order.sort_by_key(|&i| (r.unit[i], r.at[i], r.amount[i]));
        let pick_u32 = |v: &[u32]| order.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let pick_i64 = |v: &[i64]| order.iter().map(|&i| v[i]).collect::<Vec<_>>();
        *r = crate::snapshot::Revenue {
            contact: pick_u32(&r.contact),
            account: pick_u32(&r.account),
            deal: pick_u32(&r.deal),
            unit: pick_u32(&r.unit),
            kind: pick_u32(&r.kind),
            at: pick_i64(&r.at),
            amount: pick_i64(&r.amount),
        };
    }
}

/// The old touchpoints (ordered by contact, then time, channel, campaign and kind) and
/// the new ones, merged into that order, with the contacts' offsets counted again.
fn merge_touches(old: &Touchpoints, mut new: Vec<Touch>, contacts: usize) -> Touchpoints {
    new.sort_unstable_by_key(|t| (t.0, t.1, t.2, t.3, t.4));
    let total = old.contact.len() + new.len();
    let mut out = Touchpoints {
        start: vec![0; contacts + 1],
        contact: Vec::with_capacity(total),
        at: Vec::with_capacity(total),
        channel: Vec::with_capacity(total),
        campaign: Vec::with_capacity(total),
        kind: Vec::with_capacity(total),
        team: Vec::with_capacity(total),
    };
    let key_old = |i: usize| {
        (
            old.contact[i],
            old.at[i],
            old.channel[i],
            old.campaign[i],
            old.kind[i],
        )
    };
    // Runs of old rows are copied whole between the new rows; a new row goes after
    // the old rows that sort before or with it.
    let mut from = 0;
    for t in new {
        let key = (t.0, t.1, t.2, t.3, t.4);
        let (mut lo, mut hi) = (from, old.contact.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if key_old(mid) <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        copy_run(old, from..lo, &mut out);
        from = lo;
        out.contact.push(t.0);
        out.at.push(t.1);
        out.channel.push(t.2);
        out.campaign.push(t.3);
        out.kind.push(t.4);
        out.team.push(t.5);
    }
    copy_run(old, from..old.contact.len(), &mut out);
    for &c in &out.contact {
        out.start[c as usize + 1] += 1;
    }
    for c in 0..contacts {
        out.start[c + 1] += out.start[c];
    }
    out
}

fn copy_run(old: &Touchpoints, run: std::ops::Range<usize>, out: &mut Touchpoints) {
    out.contact.extend_from_slice(&old.contact[run.clone()]);
    out.at.extend_from_slice(&old.at[run.clone()]);
    out.channel.extend_from_slice(&old.channel[run.clone()]);
    out.campaign.extend_from_slice(&old.campaign[run.clone()]);
    out.kind.extend_from_slice(&old.kind[run.clone()]);
    out.team.extend_from_slice(&old.team[run]);
}

impl Patch {
    fn contact(&mut self, id: &str) -> u32 {
        let s = &mut self.s;
        let hash = hash_id(id.as_bytes());
        if let Some(i) = s.contact_index.get(id.as_bytes(), hash, &s.contact_ids) {
            return i;
        }
        let i = s.contact_ids.len() as u32;
        s.contact_ids.push(id.to_string());
        s.contact_index
            .insert(id.as_bytes(), hash, i, &s.contact_ids);
        let k = s.stages.len();
        s.entered.extend(std::iter::repeat_n(NEVER, k));
        s.rework.extend(std::iter::repeat_n(0, k));
        let kc = &mut s.contact;
        kc.loaded.push(false);
        kc.created_at.push(NEVER);
        kc.account.push(NONE);
        kc.owner.push(NONE);
        kc.source.push(NONE);
        kc.lead_channel.push(NONE);
        kc.lead_campaign.push(NONE);
        kc.first_channel.push(NONE);
        i
    }

    fn contact_opt(&mut self, id: Option<&str>) -> u32 {
        id.map_or(NONE, |id| self.contact(id))
    }

    fn account(&mut self, id: Option<&str>) -> u32 {
        let a = &mut self.s.accounts;
        let i = a.ids.opt(id);
        if i != NONE && i as usize >= a.loaded.len() {
            a.loaded.push(false);
            a.segment.push(NONE);
            a.country.push(NONE);
            a.owner.push(NONE);
            a.created_at.push(NEVER);
        }
        i
    }

    fn deal(&mut self, id: Option<&str>) -> u32 {
        let d = &mut self.s.deals;
        let i = d.ids.opt(id);
        if i != NONE && i as usize >= d.status.len() {
            d.contact.push(NONE);
            d.account.push(NONE);
            d.owner.push(NONE);
            d.stage.push(NONE);
            d.amount.push(0);
            d.has_amount.push(false);
            d.created_at.push(NEVER);
            d.expected_close_at.push(NEVER);
            d.closed_at.push(NEVER);
            d.status.push(crate::snapshot::DealStatus::Unknown);
            d.probability.push(f64::NAN);
            // A deal first named by another record, as the builder leaves it.
            d.unit.push(NONE);
        }
        i
    }

    /// The contact entered `stage` at `at`: it and every earlier stage were entered no
    /// later than that.
    fn enter(&mut self, contact: u32, stage: Option<usize>, at: Option<i64>) {
        let (Some(stage), Some(at)) = (stage, at) else {
            return;
        };
        let k = self.s.stages.len();
        let row = &mut self.s.entered[contact as usize * k..contact as usize * k + stage + 1];
        for t in row {
            *t = (*t).min(at);
        }
        self.touched.push(contact);
    }

    /// Money of `column` in the workspace currency, or why it cannot be had.
    fn money(
        &self,
        record: &impl Fields,
        column: &str,
        at: i64,
    ) -> Result<Option<i64>, NotIncremental> {
        let Some(minor) = record.int(column) else {
            return Ok(None);
        };
        let currency = record
            .text("currency")
            .and_then(Currency::parse)
            .unwrap_or(self.s.currency);
        let converter = Converter {
            to: self.s.currency,
            fx: &self.s.fx,
        };
        converter
            .convert(RawMoney {
                minor,
                currency,
                at,
            })
            .map(Some)
            .ok_or(NotIncremental::Unconverted {
                kind: record.kind(),
                currency: currency.code().to_string(),
            })
    }

    fn day_start(&self, date: &str) -> Option<i64> {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        Some(day_start(self.s.timezone, d))
    }

    /// `SnapshotBuilder::add` for one record, with money converted at once.
    fn add(&mut self, record: &impl Fields) -> Result<(), NotIncremental> {
        match record.kind() {
            RecordKind::Accounts => {
                let a = self.account(Some(record.id())) as usize;
                let names = &mut self.s.names;
                let x = &mut self.s.accounts;
                x.loaded[a] = true;
                x.segment[a] = names.opt(record.text("segment"));
                x.country[a] = names.opt(record.text("country"));
                x.owner[a] = names.opt(record.text("owner"));
                x.created_at[a] = record.int("created_at").unwrap_or(NEVER);
            }
            RecordKind::Contacts => {
                let c = self.contact(record.id());
                self.enter(c, self.lead, record.int("created_at"));
                let account = self.account(record.text("account_id"));
                let owner = self.s.names.opt(record.text("owner"));
                let source = self.s.names.opt(record.text("source"));
                let k = &mut self.s.contact;
                let c = c as usize;
                k.loaded[c] = true;
                k.created_at[c] = record.int("created_at").unwrap_or(NEVER);
                k.account[c] = account;
                k.owner[c] = owner;
                k.source[c] = source;
            }
            RecordKind::Stages => {
                let (Some(contact), Some(name), Some(at)) = (
                    record.text("contact_id"),
                    record.text("stage"),
                    record.int("occurred_at"),
                ) else {
                    return Ok(());
                };
                let c = self.contact(contact);
                let sym = self.s.names.intern(name);
                self.s.stage_rows.push((c, sym, at));
                self.touched.push(c);
                if let Some(stage) = self.s.stages.iter().position(|s| s == name) {
                    self.enter(c, Some(stage), Some(at));
                }
            }
            RecordKind::Deals => {
                let d = self.deal(Some(record.id())) as usize;
                let contact = self.contact_opt(record.text("contact_id"));
                let account = self.account(record.text("account_id"));
                let created = record.int("created_at");
                let closed = record.int("closed_at");
                use crate::snapshot::DealStatus;
                let status = match record.text("status") {
                    Some("won") => DealStatus::Won,
                    Some("lost") => DealStatus::Lost,
                    _ => DealStatus::Open,
                };
                if contact != NONE {
                    self.enter(contact, self.opportunity, created);
                    if status == DealStatus::Won {
                        self.enter(contact, self.customer, closed);
                    }
                }
                let amount = self.money(record, "amount", created.unwrap_or(0))?;
                let owner = self.s.names.opt(record.text("owner"));
                let stage = self.s.names.opt(record.text("stage"));
                let probability = record
                    .text("probability")
                    .and_then(|p| p.parse::<f64>().ok())
                    .unwrap_or(f64::NAN);
                let x = &mut self.s.deals;
                x.contact[d] = contact;
                x.account[d] = account;
                x.owner[d] = owner;
                x.stage[d] = stage;
                x.created_at[d] = created.unwrap_or(NEVER);
                x.expected_close_at[d] = record.int("expected_close_at").unwrap_or(NEVER);
                x.closed_at[d] = match (status, closed) {
                    (DealStatus::Open, _) => NEVER,
                    (_, Some(t)) => t,
                    (_, None) => created.unwrap_or(NEVER),
                };
                x.status[d] = status;
                x.probability[d] = probability;
                x.amount[d] = amount.unwrap_or(0);
                x.has_amount[d] = amount.is_some();
            }
            RecordKind::DealStages => {
                let (Some(name), Some(at)) = (record.text("stage"), record.int("occurred_at"))
                else {
                    return Ok(());
                };
                let d = self.deal(record.text("deal_id"));
                if d == NONE {
                    return Ok(());
                }
                let stage = self.s.names.intern(name);
                let x = &mut self.s.deal_stages;
                x.deal.push(d);
                x.stage.push(stage);
                x.at.push(at);
            }
            RecordKind::Revenue => {
                let Some(at) = record.int("occurred_at") else {
                    return Ok(());
                };
                let contact = self.contact_opt(record.text("contact_id"));
                if contact != NONE && record.int("amount").is_some_and(|a| a > 0) {
                    self.enter(contact, self.customer, Some(at));
                }
                let Some(amount) = self.money(record, "amount", at)? else {
                    return Ok(());
                };
                let account = self.account(record.text("account_id"));
                let deal = self.deal(record.text("deal_id"));
                let kind = self.s.names.opt(record.text("kind").or(Some("one_off")));
                let r = &mut self.s.revenue;
                r.contact.push(contact);
                r.account.push(account);
                r.deal.push(deal);
                r.at.push(at);
                r.kind.push(kind);
                r.amount.push(amount);
                r.unit.push(NONE);
            }
            RecordKind::Touchpoints => {
                let (Some(contact), Some(at), Some(channel)) = (
                    record.text("contact_id"),
                    record.int("occurred_at"),
                    record.text("channel"),
                ) else {
                    return Ok(());
                };
                let c = self.contact(contact);
                let names = &mut self.s.names;
                let channel = names.intern(channel);
                let campaign = names.opt(record.text("campaign"));
                let kind_text = record.text("kind").unwrap_or("other");
                let kind = names.intern(kind_text);
                let team = match record.text("team") {
                    Some(t) => Team::parse(Some(t)),
                    None => match kind_text {
                        "call" | "meeting" | "demo" => Team::Sales,
                        "ticket" | "chat" => Team::Service,
                        _ => Team::Marketing,
                    },
                };
                self.touches.push((c, at, channel, campaign, kind, team));
                self.touched.push(c);
            }
            RecordKind::Spend => {
                let Some(start) = record.text("period_start").and_then(|d| self.day_start(d))
                else {
                    return Ok(());
                };
                let end = record
                    .text("period_end")
                    .or(record.text("period_start"))
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .and_then(|d| d.succ_opt())
                    .map(|d| day_start(self.s.timezone, d))
                    .unwrap_or(start);
                let Some(amount) = self.money(record, "amount", start)? else {
                    return Ok(());
                };
                let channel = self.s.names.opt(record.text("channel"));
                let campaign = self.s.names.opt(record.text("campaign"));
                let x = &mut self.s.spend;
                x.start.push(start);
                x.end.push(end.max(start));
                x.channel.push(channel);
                x.campaign.push(campaign);
                x.team.push(Team::parse(record.text("team")));
                x.amount.push(amount);
            }
            RecordKind::Tickets => {
                let contact = self.contact_opt(record.text("contact_id"));
                let account = self.account(record.text("account_id"));
                let category = self.s.names.opt(record.text("category"));
                let t = &mut self.s.tickets;
                t.ids.push(record.id().to_string());
                t.contact.push(contact);
                t.account.push(account);
                t.unit.push(NONE);
                t.opened_at.push(record.int("opened_at").unwrap_or(NEVER));
                t.first_response_at
                    .push(record.int("first_response_at").unwrap_or(NEVER));
                t.resolved_at
                    .push(record.int("resolved_at").unwrap_or(NEVER));
                t.csat
                    .push(record.int("csat").unwrap_or(0).clamp(0, 5) as u8);
                t.category.push(category);
            }
            RecordKind::Targets | RecordKind::FxRates => {
                return Err(NotIncremental::Kind(record.kind()));
            }
        }
        Ok(())
    }
}
