//! Revline's demo workspace: a deterministic, streaming generator of about two and a
//! half years of history of a B2B SaaS company, with every record kind of the data
//! contract (accounts, contacts, touchpoints, stages, deals, deal stages, revenue,
//! spend, tickets, targets, currency rates).
//!
//! * Deterministic: the same `DemoConfig` gives the same records in the same order.
//!   Randomness comes from a small SplitMix64/xoshiro256** generator of our own, one
//!   independent stream per account and contact.
//! * Streaming: records go to a sink as they are made; memory holds one account's
//!   contacts and a few counters per month, whatever the number of contacts.
//! * Canonical: each record is exactly what `revline_core::parse_record` gives for its
//!   canonical text (lower snake case names, cents with currency USD, whole-second UTC
//!   milliseconds, derived ids for kinds without an id of their own).
//!
//! The company: twelve marketing channels of different cost and lead quality, nine
//! account executives across three segments, a funnel lead -> mql -> sql -> opportunity
//! -> customer with realistic gaps, skipped stages and rework, monthly subscription
//! revenue with expansion, contraction, refunds and churn (retention stage `churned`),
//! support tickets whose bad experiences raise churn, spend per channel and per sales
//! team, and targets. A handful of contacts repeat the address of another contact of
//! the same account, as CRMs do, so identity resolution has something to find.
//!
//! With `planted_problems` the workspace also carries the problems listed in
//! [`PLANTED_PROBLEMS`], for the reports to find; without it, the same company runs
//! every link at its normal rate.

mod catalog;
mod clock;
mod emit;
mod rng;
mod sim;

use chrono::NaiveDate;
use revline_core::{Record, Settings};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of contacts (people); accounts are about a quarter of that.
    pub contacts: u64,
    pub seed: u64,
    /// Whether the problems of [`PLANTED_PROBLEMS`] are in the data.
    pub planted_problems: bool,
    /// The history ends just before this day (00:00 UTC); nothing happens after it.
    pub end: NaiveDate,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            contacts: 20_000,
            seed: 42,
            planted_problems: true,
            end: NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date"),
        }
    }
}

/// The workspace settings of the demo: USD, UTC, the default funnel, a 24 hour
/// marketing-to-sales SLA and a SaaS gross margin of 80%.
pub fn demo_settings() -> Settings {
    Settings {
        sla_hours: 24.0,
        gross_margin: 0.8,
        lookback_days: 180,
        ..Settings::default()
    }
}

/// Emits every record of the demo workspace through `sink`: accounts first, then
/// account by account everything about its contacts and its life as a customer, then
/// spend, targets and currency rates. Every reference points at a record emitted
/// earlier.
pub fn generate(config: &DemoConfig, sink: &mut dyn FnMut(Record)) {
    sim::run(config, sink)
}

/// A problem planted in the demo data: the link of the revenue chain it hurts, the
/// slice where it shows, and what happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlantedProblem {
    pub link: &'static str,
    pub slice: &'static str,
    pub description: &'static str,
}

/// The problems `generate` plants when `planted_problems` is set. Dates are relative
/// to `DemoConfig::end` (shown for the default end, 2026-11-01).
pub const PLANTED_PROBLEMS: &[PlantedProblem] = &[
    PlantedProblem {
        link: "handoff",
        slice: "channel=webinar",
        description: "Leads from webinars wait days for sales: the median time from entering mql to \
                      the first sales touch is three to four days (about 90 hours), against a few \
                      hours for every other channel, and since waiting lowers every lead's chance \
                      to become an sql, webinar leads convert from mql to sql at about half the \
                      usual rate.",
    },
    PlantedProblem {
        link: "conversion:opportunity->customer",
        slice: "owner=Tomasz Wiśniewski",
        description: "One mid-market account executive wins less than half as often as the other \
                      owners of the segment (about 17% of closed new-business deals against about \
                      42%); the leads and opportunities reaching him are as good as anyone's.",
    },
    PlantedProblem {
        link: "retention",
        slice: "ticket category=integration, the 6 months starting 12 months before the end \
                (2025-11 to 2026-04 with the default end)",
        description: "Integration tickets of that period wait about a day and a half for a first \
                      response instead of a few hours and are rated about 2 instead of 4; since \
                      bad service raises a customer's churn hazard, customers who hit them churn \
                      about twice as often in the following four months as comparable customers.",
    },
    PlantedProblem {
        link: "conversion:mql->sql",
        slice: "channel=display",
        description: "Display has high reach (more touchpoints than paid search) and one of the two \
                      largest marketing budgets, but its leads are mostly unqualified: a quarter of \
                      the usual mql->sql rate and half the win rate, so about one display lead in a \
                      hundred becomes a customer against one in twelve from the other channels.",
    },
    PlantedProblem {
        link: "conversion:lead->mql",
        slice: "channel=outbound",
        description: "Outbound sequences go to lists that were never screened: prospects reply \
                      (the reply makes them a lead) but qualify as MQLs at 70% of the usual rate, \
                      about 40% of outbound leads within 90 days against about 70% elsewhere.",
    },
];
