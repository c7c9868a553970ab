//! `revline report scores` as a table: the model's accuracy on later leads, its
//! calibration, the threshold, and the best-scored contacts with their reasons.

use crate::report::Printable;
use revline_engine::scores::ScoresReport;

/// Contacts listed in the table; `--format csv` or `json` gives all of them.
const LISTED: usize = 20;

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.decimals$}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{:.1}%", x * 100.0))
}

impl Printable for ScoresReport {
    fn table(&self) -> String {
        let m = &self.model;
        let t = &m.trained_on;
        let mut out = format!(
            "Lead scores: the chance of reaching {} within {} days of the lead entry\n",
            m.target, m.horizon_days
        );
        out += &format!(
            "Trained on {} leads ({} reached it), lead entries {} to {}\n",
            t.contacts,
            t.positives,
            t.from.as_deref().unwrap_or("-"),
            t.to.as_deref().unwrap_or("-")
        );
        if let Some(reason) = &m.reason {
            out += &format!("No lead is scored: {reason}\n");
        }
        out += &format!(
            "Judged on {} later leads with a known outcome: AUC {}, Brier {}\n",
            m.judged_on,
            opt(m.auc, 3),
            opt(m.brier, 4)
        );
        if !m.calibration.is_empty() {
            out += "\nCalibration (held-out leads by score decile)\n";
            out += &format!(
                "{:>4} {:>10} {:>10} {:>8}\n",
                "bin", "predicted", "observed", "leads"
            );
            for b in &m.calibration {
                out += &format!(
                    "{:>4} {:>10} {:>10} {:>8}\n",
                    b.bin,
                    pct(Some(b.predicted)),
                    pct(Some(b.observed)),
                    b.count
                );
            }
        }
        out += "\nStrongest features\n";
        for f in m.features.iter().take(10) {
            out += &format!("  {:<40} {:.3}\n", f.name, f.importance);
        }
        let th = &self.threshold;
        let q = &th.last_quarter;
        out += &format!(
            "\nThreshold: score {} fills sales' capacity of {:.1} leads/month ({}; {:.1} leads/month arrive; {} to {})\n",
            opt(th.score, 3),
            th.capacity_per_month,
            if th.capacity_given {
                "given".to_string()
            } else {
                format!("{} entries per month", th.capacity_stage)
            },
            th.leads_per_month,
            th.measured.from,
            th.measured.to
        );
        out += &format!(
            "Expected conversion of the leads passed: {}\n",
            pct(th.expected_conversion)
        );
        out += &format!(
            "Last quarter ({} to {}): {} leads; the cut passes {} ({} reached {}); {} were {}s ({} reached it): {} passed, {} missed; {} passed were not {}s\n",
            q.period.from,
            q.period.to,
            q.leads,
            q.passed,
            q.passed_reached_target,
            m.target,
            q.mqls,
            q.mql_stage,
            q.mqls_reached_target,
            q.mqls_passed,
            q.mqls_missed,
            q.passed_not_mql,
            q.mql_stage
        );
        out += &format!(
            "\n{} contacts scored{}\n",
            self.contacts.len(),
            if self.contacts.len() > LISTED {
                format!(", the best {LISTED} shown (--format csv for all)")
            } else {
                String::new()
            }
        );
        out += &format!("{:<24} {:>7}  {}\n", "contact_id", "score", "top reasons");
        for c in self.contacts.iter().take(LISTED) {
            let reasons: Vec<String> = c
                .reasons
                .iter()
                .map(|r| format!("{} {:+.2}", r.feature, r.contribution))
                .collect();
            out += &format!(
                "{:<24} {:>7} {}\n",
                c.contact_id,
                pct(Some(c.score)),
                reasons.join(", ")
            );
        }
        out
    }
}
