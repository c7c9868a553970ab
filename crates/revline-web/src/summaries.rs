//! Alert summaries (alerts.md "Payload"): one sentence in the workspace language,
//! written from the engine's figures, naming the link and the figures, never a team.

use crate::i18n::Tr;
use crate::pages::{link_label, rate_of, slice_label};
use revline_engine::alerts::{Bound, Facts};

/// Fills a sentence's `{name}` slots.
fn fill(tr: &Tr, key: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(tr.t(key).to_string(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), v)
    })
}

/// The summary of what an alert says, in `tr`'s language.
pub fn summary(tr: &Tr, subject: &str, facts: &Facts) -> String {
    match facts {
        Facts::LeadWaiting { waiting, hours } => fill(
            tr,
            "sum.lead_waiting",
            &[
                ("count", tr.count(*waiting as f64)),
                ("hours", tr.number(*hours, 1)),
            ],
        ),
        Facts::Metric {
            metric,
            period,
            value,
            unit,
            count,
            bound,
        } => {
            let shown = |v: f64| tr.value(Some(v), unit);
            let bound = match *bound {
                Bound::Below { value } => fill(tr, "sum.below", &[("value", shown(value))]),
                Bound::Above { value } => fill(tr, "sum.above", &[("value", shown(value))]),
                Bound::BelowPace { share, pace } => fill(
                    tr,
                    "sum.below_pace",
                    &[("share", tr.percent(share)), ("pace", shown(pace))],
                ),
                Bound::NoTarget { .. } => tr.t("sum.no_target").to_string(),
            };
            let key = if value.is_some() {
                "sum.metric"
            } else {
                "sum.metric_no_data"
            };
            fill(
                tr,
                key,
                &[
                    ("metric", tr.label("metric", metric)),
                    ("period", tr.label("period", period).to_lowercase()),
                    ("value", tr.value(*value, unit)),
                    (
                        "n",
                        count.map_or(String::new(), |n| format!(" (n = {})", tr.count(n as f64))),
                    ),
                    ("bound", bound),
                ],
            )
        }
        Facts::Bottleneck {
            link,
            kind,
            segment,
            current,
            benchmark,
            revenue_at_stake,
            currency,
        } => fill(
            tr,
            // Nothing priced (no won deal has an amount): no money is put on it, not 0.
            if *revenue_at_stake > 0.0 {
                "sum.bottleneck"
            } else {
                "sum.bottleneck_unpriced"
            },
            &[
                ("link", link_label(tr, link)),
                (
                    "slice",
                    segment
                        .as_deref()
                        .map_or(String::new(), |s| format!(" ({})", slice_label(tr, s))),
                ),
                ("current", rate_of(tr, *kind, Some(*current))),
                ("benchmark", rate_of(tr, *kind, Some(*benchmark))),
                ("money", tr.money(*revenue_at_stake, currency)),
            ],
        ),
        Facts::Freshness {
            kind,
            newest,
            hours_since,
            hours,
        } => match (newest, hours_since) {
            (Some(t), Some(since)) => fill(
                tr,
                "sum.freshness",
                &[
                    ("kind", kind.clone()),
                    (
                        "newest",
                        tr.datetime(&revline_core::time::format_timestamp(*t)),
                    ),
                    ("since", tr.number(*since, 0)),
                    ("hours", tr.number(*hours, 1)),
                ],
            ),
            _ => fill(tr, "sum.freshness_never", &[("kind", kind.clone())]),
        },
        Facts::Gone => fill(tr, "sum.gone", &[("subject", subject.replace('|', " · "))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use revline_engine::link::{Link, LinkKind};

    #[test]
    fn summaries_name_the_link_and_figures_in_both_languages() {
        let (en, pl) = (Tr::new(Lang::En), Tr::new(Lang::Pl));
        let waiting = Facts::LeadWaiting {
            waiting: 3,
            hours: 24.0,
        };
        assert_eq!(
            summary(&en, "workspace", &waiting),
            "MQLs without a first sales touch for more than 24.0 h (the handoff link): 3."
        );
        assert_eq!(
            summary(&pl, "workspace", &waiting),
            "Leady MQL bez pierwszego kontaktu sprzedaży dłużej niż 24,0 h (ogniwo przekazania): 3."
        );
        let pace = Facts::Metric {
            metric: "win_rate".into(),
            period: "this_quarter".into(),
            value: Some(0.2),
            unit: "ratio".into(),
            count: Some(1200),
            bound: Bound::BelowPace {
                share: 0.8,
                pace: 0.3,
            },
        };
        assert_eq!(
            summary(&en, "workspace", &pace),
            "Win rate for this quarter is 20.0% (n = 1,200), below 80.0% of the pace to its target (30.0%)."
        );
        assert_eq!(
            summary(&pl, "workspace", &pace),
            "Odsetek wygranych za bieżący kwartał: 20,0% (n = 1200), poniżej 80,0% tempa do celu (30,0%)."
        );
        let bottleneck = Facts::Bottleneck {
            link: Link::Conversion {
                from: "mql".into(),
                to: "sql".into(),
            },
            kind: LinkKind::Conversion,
            segment: Some("channel=webinar".into()),
            current: 0.25,
            benchmark: 0.4,
            revenue_at_stake: 120_000.0,
            currency: "PLN".into(),
        };
        let en_text = summary(&en, "x", &bottleneck);
        assert!(
            en_text.contains("25.0%") && en_text.contains("40.0%"),
            "{en_text}"
        );
        assert!(en_text.contains("webinar"), "{en_text}");
        let pl_text = summary(&pl, "x", &bottleneck);
        assert!(pl_text.contains("punktu odniesienia"), "{pl_text}");
        for text in [en_text, pl_text] {
            for team in ["marketing", "sales", "sprzedaż"] {
                assert!(!text.to_lowercase().contains(&format!("{team} team")));
            }
        }
    }
}
