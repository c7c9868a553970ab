//! The touchpoints of a snapshot: one column per field, ordered by contact and time,
//! built from the rows as they stream in and merged with later ones. Its own module so
//! that the snapshot and the incremental update both use it without using each other.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Team {
    Marketing,
    Sales,
    Service,
}

impl Team {
    pub fn parse(s: Option<&str>) -> Team {
        match s {
            Some("sales") => Team::Sales,
            Some("service") => Team::Service,
            _ => Team::Marketing,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Team::Marketing => "marketing",
            Team::Sales => "sales",
            Team::Service => "service",
        }
    }
}

/// One touchpoint before it is placed: contact, instant, channel, campaign, kind, team.
pub(crate) type Touch = (u32, i64, u32, u32, u32, Team);

/// Touchpoints ordered by contact, then time; `start[c]..start[c + 1]` are contact c's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Touchpoints {
    pub start: Vec<u32>,
    pub contact: Vec<u32>,
    pub at: Vec<i64>,
    pub channel: Vec<u32>,
    pub campaign: Vec<u32>,
    pub kind: Vec<u32>,
    pub team: Vec<Team>,
}

/// Touchpoints grouped by contact, each contact's in order of time, channel, campaign
/// and kind: a counting sort (every touch written once, straight into the columns), on
/// every core, each taking a range of contacts; then the contacts whose touches did not
/// arrive in order are sorted (few: a store hands them out in id order, mostly time
/// order).
pub(crate) fn group_touches(chunks: Vec<Vec<Touch>>, n: usize) -> Touchpoints {
    use rayon::prelude::*;
    let mut start = vec![0u32; n + 1];
    for t in chunks.iter().flatten() {
        start[t.0 as usize + 1] += 1;
    }
    for c in 0..n {
        start[c + 1] += start[c];
    }
    let total = start[n] as usize;
    let mut tp = Touchpoints {
        start: Vec::new(),
        contact: vec![0; total],
        at: vec![0; total],
        channel: vec![0; total],
        campaign: vec![0; total],
        kind: vec![0; total],
        team: vec![Team::Marketing; total],
    };
    // Contact ranges of about equal numbers of touches, one task per thread: each task
    // reads every chunk to find its own touches, so more tasks than threads only read
    // the 10M touches again (four tasks on two cores were 0.3 s more of the build).
    let tasks = rayon::current_num_threads().max(1);
    let mut bounds = vec![0usize];
    for i in 1..tasks {
        let want = (total * i / tasks) as u32;
        let c = start.partition_point(|&s| s < want).min(n);
        if c > *bounds.last().expect("starts with 0") {
            bounds.push(c);
        }
    }
    bounds.push(n);
    bounds.dedup();
    struct Task<'a> {
        contacts: std::ops::Range<usize>,
        base: usize,
        contact: &'a mut [u32],
        at: &'a mut [i64],
        channel: &'a mut [u32],
        campaign: &'a mut [u32],
        kind: &'a mut [u32],
        team: &'a mut [Team],
    }
    let mut work = Vec::new();
    {
        let Touchpoints {
            contact,
            at,
            channel,
            campaign,
            kind,
            team,
            ..
        } = &mut tp;
        let (mut contact, mut at, mut channel) = (&mut contact[..], &mut at[..], &mut channel[..]);
        let (mut campaign, mut kind, mut team) = (&mut campaign[..], &mut kind[..], &mut team[..]);
        for w in bounds.windows(2) {
            let (lo, hi) = (start[w[0]] as usize, start[w[1]] as usize);
            let len = hi - lo;
            let (c, rest) = std::mem::take(&mut contact).split_at_mut(len);
            contact = rest;
            let (a, rest) = std::mem::take(&mut at).split_at_mut(len);
            at = rest;
            let (ch, rest) = std::mem::take(&mut channel).split_at_mut(len);
            channel = rest;
            let (cp, rest) = std::mem::take(&mut campaign).split_at_mut(len);
            campaign = rest;
            let (k, rest) = std::mem::take(&mut kind).split_at_mut(len);
            kind = rest;
            let (t, rest) = std::mem::take(&mut team).split_at_mut(len);
            team = rest;
            work.push(Task {
                contacts: w[0]..w[1],
                base: lo,
                contact: c,
                at: a,
                channel: ch,
                campaign: cp,
                kind: k,
                team: t,
            });
        }
    }
    let start = &start;
    work.into_par_iter().for_each(|task| {
        let (contacts, base) = (task.contacts, task.base);
        let (contact, at, channel) = (task.contact, task.at, task.channel);
        let (campaign, kind, team) = (task.campaign, task.kind, task.team);
        let mut next: Vec<u32> = start[contacts.clone()].to_vec();
        for t in chunks.iter().flatten() {
            let c = t.0 as usize;
            if !contacts.contains(&c) {
                continue;
            }
            let slot = &mut next[c - contacts.start];
            let i = *slot as usize - base;
            *slot += 1;
            contact[i] = t.0;
            at[i] = t.1;
            channel[i] = t.2;
            campaign[i] = t.3;
            kind[i] = t.4;
            team[i] = t.5;
        }
        let mut order: Vec<usize> = Vec::new();
        let mut rows: Vec<Touch> = Vec::new();
        for c in contacts {
            let r = start[c] as usize - base..start[c + 1] as usize - base;
            let key = |i: usize| (at[i], channel[i], campaign[i], kind[i]);
            if r.clone().skip(1).all(|i| key(i - 1) <= key(i)) {
                continue;
            }
            order.clear();
            order.extend(r.clone());
            order.sort_unstable_by_key(|&i| key(i));
            rows.clear();
            rows.extend(
                order
                    .iter()
                    .map(|&i| (contact[i], at[i], channel[i], campaign[i], kind[i], team[i])),
            );
            for (i, t) in r.zip(&rows) {
                (contact[i], at[i], channel[i], campaign[i], kind[i], team[i]) = *t;
            }
        }
    });
    tp.start = start.clone();
    tp
}

/// The old touchpoints (ordered by contact, then time, channel, campaign and kind) and
/// the new ones, merged into that order, with the contacts' offsets counted again.
pub(crate) fn merge_touches(
    old: &Touchpoints,
    mut new: Vec<Touch>,
    contacts: usize,
) -> Touchpoints {
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
