//! Interface text in English and Polish (glossary-pl.md), and numbers, dates and money
//! written the way each language writes them.
//!
//! The language comes from the user's choice, else the browser's `Accept-Language`.
//! Every key the templates use is in `MESSAGES`; a test renders every page in both
//! languages and fails on a key that is missing.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Pl,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "pl" => Some(Lang::Pl),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Pl => "pl",
        }
    }

    /// The first language of an `Accept-Language` header that we speak, by quality.
    pub fn negotiate(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

/// What templates call to write text and numbers.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The text of `key`; the key itself when it is unknown, noted for the test that
    /// renders every page in both languages (`missing_keys`).
    pub fn t<'k>(&self, key: &'k str) -> &'k str {
        match MESSAGES.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
            Ok(i) => match self.lang {
                Lang::En => MESSAGES[i].1,
                Lang::Pl => MESSAGES[i].2,
            },
            Err(_) => {
                MISSING
                    .lock()
                    .expect("missing keys lock")
                    .insert(key.to_string());
                key
            }
        }
    }

    /// A metric's, stage's or link's label: the message `prefix.name` when there is one,
    /// else the name as stored (custom stages and channels are the workspace's own words).
    pub fn label(&self, prefix: &str, name: &str) -> String {
        let key = format!("{prefix}.{name}");
        match MESSAGES.binary_search_by(|(k, _, _)| (*k).cmp(key.as_str())) {
            Ok(i) => match self.lang {
                Lang::En => MESSAGES[i].1.to_string(),
                Lang::Pl => MESSAGES[i].2.to_string(),
            },
            Err(_) => name.replace('_', " "),
        }
    }

    fn separators(&self) -> (char, char) {
        match self.lang {
            // Polish groups thousands with a (non-breaking) space and writes a comma.
            Lang::Pl => ('\u{a0}', ','),
            Lang::En => (',', '.'),
        }
    }

    /// `1,234.5` / `1 234,5`.
    pub fn number(&self, value: f64, decimals: usize) -> String {
        if !value.is_finite() {
            return "–".into();
        }
        let (group, point) = self.separators();
        let text = format!("{:.*}", decimals, value.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
            out.push('−');
        }
        let digits: Vec<char> = int.chars().collect();
        // Polish leaves four-digit numbers ungrouped.
        let grouped = !(self.lang == Lang::Pl && digits.len() <= 4);
        for (i, d) in digits.iter().enumerate() {
            if grouped && i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(group);
            }
            out.push(*d);
        }
        if !frac.is_empty() {
            out.push(point);
            out.push_str(frac);
        }
        out
    }

    pub fn count(&self, value: f64) -> String {
        self.number(value, 0)
    }

    /// A share as a percentage: `12.3%` / `12,3%`.
    pub fn percent(&self, share: f64) -> String {
        format!("{}%", self.number(share * 100.0, 1))
    }

    /// An amount in major units: `$1,234` style is avoided for clarity across
    /// currencies: `1,234 USD` / `1 234 USD` (`zł` for PLN in Polish).
    pub fn money(&self, amount: f64, currency: &str) -> String {
        let decimals = if amount.abs() >= 1000.0 { 0 } else { 2 };
        let unit = match (self.lang, currency) {
            (Lang::Pl, "PLN") => "zł",
            _ => currency,
        };
        format!("{}\u{a0}{unit}", self.number(amount, decimals))
    }

    /// A large amount shortened: `4.2M USD` / `4,2 mln USD`.
    pub fn money_short(&self, amount: f64, currency: &str) -> String {
        let unit = match (self.lang, currency) {
            (Lang::Pl, "PLN") => "zł",
            _ => currency,
        };
        let (scaled, suffix) = match (amount.abs(), self.lang) {
            (a, Lang::En) if a >= 1e6 => (amount / 1e6, "M"),
            (a, Lang::En) if a >= 1e4 => (amount / 1e3, "k"),
            (a, Lang::Pl) if a >= 1e6 => (amount / 1e6, "\u{a0}mln"),
            (a, Lang::Pl) if a >= 1e4 => (amount / 1e3, "\u{a0}tys."),
            _ => return self.money(amount, currency),
        };
        format!("{}{suffix}\u{a0}{unit}", self.number(scaled, 1))
    }

    /// A metric value by its unit (scorecard `unit`).
    pub fn value(&self, value: Option<f64>, unit: &str) -> String {
        let Some(v) = value else {
            return "–".into();
        };
        match unit {
            "ratio" => self.percent(v),
            "count" => self.count(v),
            "days" => format!("{} {}", self.number(v, 1), self.t("unit.days")),
            "minutes" => self.duration_minutes(v),
            "multiple" => format!("{}×", self.number(v, 2)),
            "USD/day" | "EUR/day" | "PLN/day" | "GBP/day" => {
                let cur = unit.trim_end_matches("/day");
                // A break may fall before "/day" (a zero-width space) where a card is narrow.
                format!(
                    "{}\u{200b}/{}",
                    self.money_short(v, cur),
                    self.t("unit.day")
                )
            }
            cur if cur.len() == 3 && cur.chars().all(|c| c.is_ascii_uppercase()) => {
                self.money_short(v, cur)
            }
            _ => self.number(v, 2),
        }
    }

    /// Minutes as `4.1 h` or `2.6 d` / `4,1 godz.`.
    pub fn duration_minutes(&self, minutes: f64) -> String {
        if minutes < 120.0 {
            format!("{} min", self.number(minutes, 0))
        } else if minutes < 48.0 * 60.0 {
            format!(
                "{} {}",
                self.number(minutes / 60.0, 1),
                self.t("unit.hours")
            )
        } else {
            format!(
                "{} {}",
                self.number(minutes / 1440.0, 1),
                self.t("unit.days")
            )
        }
    }

    /// An RFC 3339 instant as a date: `Dec 2, 2026` / `2.12.2026`.
    pub fn date(&self, instant: &str) -> String {
        let day = instant.get(..10).unwrap_or(instant);
        let Ok(d) = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") else {
            return instant.to_string();
        };
        match self.lang {
            Lang::Pl => d.format("%-d.%m.%Y").to_string(),
            Lang::En => d.format("%b %-d, %Y").to_string(),
        }
    }

    /// A `YYYY-MM-DD` date as people type it in a date field: `2026-12-02` / `02.12.2026`.
    /// (The browser's own date field follows the browser's language, not the one chosen
    /// here, so the picker is a text field in this format.)
    pub fn date_input(&self, iso: &str) -> String {
        let Ok(d) = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") else {
            return iso.to_string();
        };
        match self.lang {
            Lang::Pl => d.format("%d.%m.%Y").to_string(),
            Lang::En => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// How a date is typed: `YYYY-MM-DD` / `DD.MM.RRRR`.
    pub fn date_format(&self) -> &'static str {
        match self.lang {
            Lang::Pl => "DD.MM.RRRR",
            Lang::En => "YYYY-MM-DD",
        }
    }

    /// An instant as date and time (UTC as stored): `2.12.2026 13:47`.
    pub fn datetime(&self, instant: &str) -> String {
        let time = instant.get(11..16).unwrap_or("");
        format!("{} {time}", self.date(instant))
    }

    /// A `YYYY-MM` month: `Mar 2026` / `03.2026`.
    pub fn month(&self, ym: &str) -> String {
        let Ok(d) = chrono::NaiveDate::parse_from_str(&format!("{ym}-01"), "%Y-%m-%d") else {
            return ym.to_string();
        };
        match self.lang {
            Lang::Pl => d.format("%m.%Y").to_string(),
            Lang::En => d.format("%b %Y").to_string(),
        }
    }
}

static MISSING: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// A number typed in either language's way (`0.25`, `0,25`, `1 234,5`).
pub fn parse_number_input(text: &str) -> Option<f64> {
    use revline_core::money::{DecimalStyle, parse_decimal};
    use rust_decimal::prelude::ToPrimitive;
    let style = if text.contains(',') {
        DecimalStyle::Comma
    } else {
        DecimalStyle::Point
    };
    parse_decimal(text, style).ok()?.to_f64()
}

/// A date typed in either language's format (`2026-12-02`, `2.12.2026`, `02.12.2026`).
pub fn parse_date_input(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    ["%Y-%m-%d", "%d.%m.%Y"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(text, f).ok())
}

/// Keys asked for that have no text, since the process started.
pub fn missing_keys() -> Vec<String> {
    MISSING
        .lock()
        .expect("missing keys lock")
        .iter()
        .cloned()
        .collect()
}

/// `(key, English, Polish)`, sorted by key (a test checks).
pub static MESSAGES: &[(&str, &str, &str)] = &[
    ("action.apply", "Apply", "Zastosuj"),
    ("action.cancel", "Cancel", "Anuluj"),
    ("action.create", "Create", "Utwórz"),
    ("action.edit", "Edit", "Edytuj"),
    ("action.import", "Import", "Importuj"),
    ("action.preview", "Preview", "Podgląd"),
    ("action.remove", "Remove", "Usuń"),
    ("action.revoke", "Revoke", "Unieważnij"),
    ("action.save", "Save", "Zapisz"),
    ("action.search", "Search", "Szukaj"),
    ("action.sign_in", "Sign in", "Zaloguj się"),
    ("action.sign_out", "Sign out", "Wyloguj się"),
    ("alert.bottleneck", "Bottleneck", "Wąskie gardło"),
    (
        "alert.freshness",
        "Data stopped arriving",
        "Dane przestały napływać",
    ),
    (
        "alert.lead_waiting",
        "Leads waiting for sales",
        "Leady czekające na sprzedaż",
    ),
    ("alert.metric", "Metric", "Miara"),
    ("alerts.above", "above", "powyżej"),
    ("alerts.add_rule", "Add a rule", "Dodaj regułę"),
    ("alerts.attempts", "Attempts", "Próby"),
    ("alerts.below", "below", "poniżej"),
    (
        "alerts.below_pace",
        "below % of the target's pace",
        "poniżej % tempa do celu",
    ),
    ("alerts.bound", "Fires when", "Uruchamia się, gdy"),
    ("alerts.condition", "Condition", "Warunek"),
    (
        "alerts.confirm_remove",
        "Remove this rule? Its history stays.",
        "Usunąć tę regułę? Jej historia zostanie.",
    ),
    ("alerts.delivery", "Delivery", "Dostarczenie"),
    ("alerts.destinations", "Destinations", "Odbiorcy"),
    ("alerts.edit_rule", "Edit the rule", "Edytuj regułę"),
    (
        "alerts.email_to",
        "Email to (comma-separated)",
        "E-mail do (po przecinku)",
    ),
    ("alerts.error", "Last error", "Ostatni błąd"),
    (
        "alerts.failing",
        "Deliveries being retried or given up",
        "Dostarczenia ponawiane lub porzucone",
    ),
    ("alerts.filter", "Slice (optional)", "Wycinek (opcjonalnie)"),
    ("alerts.fired", "Fired", "Uruchomiony"),
    ("alerts.firing", "Firing", "Aktywny"),
    ("alerts.given_up", "given up", "porzucone"),
    (
        "alerts.history",
        "Alerts fired and resolved",
        "Alerty uruchomione i wygasłe",
    ),
    ("alerts.hours", "Hours", "Godziny"),
    (
        "alerts.intro",
        "Rules watch the chain after every change of the data and every minute; an alert fires once when its condition becomes true and resolves after two evaluations in which it is false.",
        "Reguły obserwują łańcuch po każdej zmianie danych i co minutę; alert uruchamia się raz, gdy warunek staje się prawdziwy, i wygasa po dwóch kolejnych ocenach, w których jest fałszywy.",
    ),
    (
        "alerts.min_at_stake",
        "Revenue at stake at least",
        "Przychód zagrożony co najmniej",
    ),
    (
        "alerts.min_count",
        "At least (leads)",
        "Co najmniej (leadów)",
    ),
    ("alerts.mute", "Mute", "Wycisz"),
    ("alerts.muted_until", "Muted until", "Wyciszona do"),
    ("alerts.name", "Name", "Nazwa"),
    ("alerts.next_try", "next try", "następna próba"),
    (
        "alerts.no_history",
        "No alert has fired yet.",
        "Żaden alert jeszcze się nie uruchomił.",
    ),
    ("alerts.no_rules", "No rules yet.", "Brak reguł."),
    (
        "alerts.none_failing",
        "Every delivery so far has arrived.",
        "Wszystkie dotychczasowe dostarczenia dotarły.",
    ),
    (
        "alerts.nothing_found",
        "The rule finds nothing to watch in the data now.",
        "Reguła nie znajduje teraz w danych nic do obserwowania.",
    ),
    ("alerts.of_pace", "of pace", "tempa"),
    ("alerts.open", "Open", "Otwórz"),
    ("alerts.quiet", "Quiet", "Spokój"),
    ("alerts.record_kind", "Records", "Rekordy"),
    ("alerts.resolved", "Resolved", "Wygasł"),
    ("alerts.rules", "Rules", "Reguły"),
    (
        "alerts.secret_kept",
        "unchanged if empty",
        "bez zmian, jeśli puste",
    ),
    ("alerts.sla_default", "SLA", "SLA"),
    (
        "alerts.slack_url",
        "Slack webhook URL",
        "URL webhooka Slack",
    ),
    ("alerts.state", "State", "Stan"),
    ("alerts.test", "Test", "Sprawdź"),
    ("alerts.unmute", "Turn on", "Włącz"),
    ("alerts.webhook_secret", "Webhook secret", "Sekret webhooka"),
    ("alerts.webhook_url", "Webhook URL", "URL webhooka"),
    ("alerts.would_fire", "Would fire", "Uruchomiłby się"),
    ("attr.cac", "CAC", "CAC"),
    ("attr.channel", "Channel", "Kanał"),
    (
        "attr.conversions",
        "Credited conversions",
        "Przypisane konwersje",
    ),
    (
        "attr.in_conversions",
        "No conversion carries a value (the won deals have no amounts), so every model credits conversions: the figures below are conversions, not money.",
        "Żadna konwersja nie ma wartości (wygrane transakcje nie mają kwot), więc każdy model przypisuje konwersje: poniższe liczby to konwersje, nie pieniądze.",
    ),
    (
        "attr.intro",
        "Every model credits the same conversions (and their won revenue, where deals have amounts); the range shows how much the choice of model moves each channel, so nobody can pick the model that flatters their team.",
        "Każdy model rozdziela te same konwersje (i ich wygrany przychód, gdy transakcje mają kwoty); zakres pokazuje, jak bardzo wybór modelu zmienia wynik kanału, więc nikt nie wybierze modelu, który schlebia jego zespołowi.",
    ),
    (
        "attr.marketing_only_note",
        "Sales calls and service contacts are left out of the journeys: every model credits the marketing channels that began them.",
        "Rozmowy handlowców i kontakty z obsługą są pominięte w ścieżkach: każdy model przypisuje zasługę kanałom marketingu, które je zaczęły.",
    ),
    (
        "attr.range",
        "Range across models",
        "Zakres między modelami",
    ),
    ("attr.removal_effect", "Removal effect", "Efekt usunięcia"),
    ("attr.retained", "Retained revenue", "Utrzymany przychód"),
    ("attr.roas", "ROAS", "ROAS"),
    ("attr.spend", "Spend", "Wydatki"),
    ("attr.table_model", "Table model", "Model w tabeli"),
    ("attr.touches", "Touches", "Punkty styku"),
    ("attr.touches_all", "All teams", "Wszystkie zespoły"),
    (
        "attr.touches_marketing",
        "Marketing only",
        "Tylko marketing",
    ),
    ("attr.value", "Credited revenue", "Przypisany przychód"),
    ("bn.at_stake", "At stake", "Stawka (do odzyskania)"),
    ("bn.benchmark", "Benchmark", "Punkt odniesienia"),
    ("bn.current", "Current", "Obecnie"),
    (
        "bn.customers_lost",
        "≈ {n} customers lost / period",
        "≈ {n} utraconych klientów / okres",
    ),
    (
        "bn.drill_down",
        "Where it concentrates",
        "Gdzie się koncentruje",
    ),
    ("bn.evidence", "Evidence", "Dowody"),
    (
        "bn.intro",
        "Every link of the revenue chain against its benchmark, ranked by the revenue at stake. A link is listed only when its benchmark lies above the upper end of the current rate's 90% interval. The link is named, never a team: marketing and sales own the result together.",
        "Każde ogniwo łańcucha przychodu wobec punktu odniesienia, według przychodu zagrożonego. Ogniwo pojawia się tylko wtedy, gdy punkt odniesienia leży powyżej górnej granicy 90% przedziału obecnej wartości. Wskazujemy ogniwo, nigdy zespół: marketing i sprzedaż odpowiadają za wynik wspólnie.",
    ),
    (
        "bn.none",
        "No link is below its benchmark beyond noise.",
        "Żadne ogniwo nie odstaje od punktu odniesienia ponad szum.",
    ),
    ("bn.share_of_gap", "Share of the gap", "Udział w luce"),
    (
        "bn.summary",
        "Now {current} (90% interval {low}–{high}) against a benchmark of {benchmark} ({source}), {volume} in the cohort.",
        "Obecnie {current} (przedział 90%: {low}–{high}) wobec punktu odniesienia {benchmark} ({source}), {volume} w kohorcie.",
    ),
    (
        "bn.time_to",
        "Time to reach {stage}",
        "Czas dojścia do etapu {stage}",
    ),
    ("bn.top", "Top bottlenecks", "Największe wąskie gardła"),
    ("bn.volume", "Volume", "Liczebność"),
    ("bn.what_if", "What if", "Symulacja „co jeśli”"),
    (
        "bn.what_if_help",
        "Lift one link to a rate and see the revenue and the reverse funnel it would give.",
        "Podnieś jedno ogniwo do zadanej wartości i zobacz, jaki dałoby to przychód i lejek odwrócony.",
    ),
    ("bn.what_if_link", "Link", "Ogniwo"),
    (
        "bn.what_if_period_over",
        "Retention changes the recurring base still to come; this period is over, so the entries it needed stay as they were. Pick a period still running (This year) to see the plan move.",
        "Retencja zmienia bazę powtarzalną do końca okresu; ten okres się skończył, więc potrzebne wejścia się nie zmieniają. Wybierz okres, który trwa (Bieżący rok), aby zobaczyć zmianę planu.",
    ),
    ("bn.what_if_rate", "Rate (0–1)", "Wartość (0–1)"),
    (
        "bn.what_if_result",
        "Revenue {before} now, {after} with {link} at {rate}.",
        "Przychód obecnie {before}, przy {link} na poziomie {rate}: {after}.",
    ),
    ("cmp.full", "whole period", "cały okres"),
    ("cmp.to_date", "to date", "do tego samego dnia"),
    ("cmp.vs", "Compared with", "Porównanie z okresem"),
    (
        "cohort.basis_mrr",
        "Retention on MRR",
        "Retencja liczona na MRR",
    ),
    (
        "cohort.basis_revenue",
        "Retention on revenue",
        "Retencja liczona na przychodzie",
    ),
    (
        "cohort.channel",
        "By acquisition channel",
        "Według kanału pozyskania",
    ),
    ("cohort.customers", "Customers", "Klienci"),
    (
        "cohort.heat",
        "Revenue retention by acquisition month",
        "Retencja przychodu według miesiąca pozyskania",
    ),
    ("cohort.ltv", "LTV (cohort)", "LTV (kohorta)"),
    ("cohort.month", "Cohort", "Kohorta"),
    ("cohort.service", "The service link", "Ogniwo obsługi"),
    (
        "cohort.service_none",
        "No retention finding: service is not costing customers beyond noise.",
        "Brak ustaleń dotyczących retencji: obsługa nie kosztuje klientów ponad szum.",
    ),
    ("cohort.to_date", "to date", "do dziś"),
    ("common.all", "All", "Wszystkie"),
    ("common.breakdown", "Breakdown", "Podział"),
    ("common.by", "By", "Według"),
    ("common.changed", "Updated", "Zaktualizowano"),
    ("common.data_until", "Data up to {date}", "Dane do {date}"),
    ("common.download_csv", "Download CSV", "Pobierz CSV"),
    ("common.filter", "Filter", "Filtr"),
    ("common.from", "From", "Od"),
    ("common.language", "Language", "Język"),
    ("common.live", "Live", "Na żywo"),
    (
        "common.live_update",
        "New data arrived",
        "Nadeszły nowe dane",
    ),
    ("common.next", "Next", "Dalej"),
    ("common.no_data", "No data", "Brak danych"),
    (
        "common.no_records",
        "No records yet: import data or load the demo",
        "Brak rekordów: zaimportuj dane albo wczytaj demo",
    ),
    ("common.none", "None", "Brak"),
    ("common.of", "of", "z"),
    ("common.period", "Period", "Okres"),
    ("common.prev", "Previous", "Wstecz"),
    ("common.previous", "Previous period", "Poprzedni okres"),
    ("common.save_png", "Save as PNG", "Zapisz jako PNG"),
    ("common.target", "Target", "Cel"),
    ("common.to", "To", "Do"),
    ("common.total", "Total", "Razem"),
    ("common.value", "Value", "Wartość"),
    ("crm.hubspot", "HubSpot", "HubSpot"),
    ("crm.pipedrive", "Pipedrive", "Pipedrive"),
    ("crm.salesforce", "Salesforce", "Salesforce"),
    (
        "digest.alerts",
        "Alerts since the last digest",
        "Alerty od ostatniego podsumowania",
    ),
    (
        "digest.bottlenecks",
        "Top bottlenecks (last 90 days)",
        "Największe wąskie gardła (ostatnie 90 dni)",
    ),
    ("digest.daily", "Daily (08:00)", "Codziennie (8:00)"),
    (
        "digest.new",
        "new since the last digest",
        "nowe od ostatniego podsumowania",
    ),
    (
        "digest.no_alerts",
        "No alert fired or resolved.",
        "Żaden alert się nie uruchomił ani nie wygasł.",
    ),
    (
        "digest.no_bottlenecks",
        "No link is below its benchmark.",
        "Żadne ogniwo nie jest poniżej punktu odniesienia.",
    ),
    (
        "digest.no_longer",
        "no longer among the top bottlenecks",
        "nie jest już wśród największych wąskich gardeł",
    ),
    ("digest.off", "Off", "Wyłączone"),
    (
        "digest.open",
        "Open the revenue room",
        "Otwórz pokój przychodu",
    ),
    ("digest.pace", "pace", "tempo"),
    (
        "digest.pace_chart",
        "Share of the pace to each target",
        "Odsetek tempa do każdego celu",
    ),
    (
        "digest.scorecard",
        "The scorecard this month to date, against pace",
        "Karta wyników w tym miesiącu do dziś, wobec tempa",
    ),
    (
        "digest.stale",
        "No record falls in this period: the data ends on {date}. Until newer data is imported, these figures are not this period's.",
        "Żaden rekord nie przypada na ten okres: dane kończą się {date}. Dopóki nie zaimportujesz nowszych danych, te liczby nie dotyczą tego okresu.",
    ),
    (
        "digest.summary",
        "Revenue digest, {from} to {to}: {bottlenecks} top bottlenecks; alerts fired {fired}, resolved {resolved}.",
        "Podsumowanie przychodu, {from} – {to}: największe wąskie gardła: {bottlenecks}; alerty uruchomione: {fired}, wygasłe: {resolved}.",
    ),
    (
        "digest.weekly",
        "Weekly (Monday 08:00)",
        "Co tydzień (poniedziałek 8:00)",
    ),
    ("dim.campaign", "Campaign", "Kampania"),
    ("dim.channel", "Channel", "Kanał"),
    ("dim.country", "Country", "Kraj"),
    (
        "dim.first_touch_channel",
        "First-touch channel",
        "Kanał pierwszego kontaktu",
    ),
    ("dim.owner", "Owner", "Opiekun"),
    ("dim.score_band", "Score band", "Przedział oceny"),
    ("dim.segment", "Segment", "Segment"),
    (
        "empty.attribution",
        "No conversion in this period. Attribution needs won deals (deals.csv: status won, closed_at, amount) and the touchpoints of their contacts (touchpoints.csv), or contacts whose source names their first channel.",
        "Brak konwersji w tym okresie. Atrybucja potrzebuje wygranych transakcji (deals.csv: status won, closed_at, amount) i punktów styku ich kontaktów (touchpoints.csv) albo kontaktów, których źródło wskazuje pierwszy kanał.",
    ),
    (
        "empty.bottlenecks",
        "Nothing to judge yet: nobody entered the funnel in this period. The bottleneck finder needs contacts (contacts.csv) with their stages (stages.csv) or deals (deals.csv); pick a period that has data.",
        "Na razie nie ma czego oceniać: w tym okresie nikt nie wszedł do lejka. Wyszukiwarka wąskich gardeł potrzebuje kontaktów (contacts.csv) z etapami (stages.csv) lub transakcjami (deals.csv); wybierz okres z danymi.",
    ),
    (
        "empty.cohorts",
        "No customer was acquired in this period, so there is no cohort to follow. Cohorts start at a customer's first payment or won deal: import revenue.csv (or deals.csv with won deals), or pick a period that has customers.",
        "W tym okresie nie pozyskano żadnego klienta, więc nie ma kohorty do śledzenia. Kohorta zaczyna się od pierwszej płatności lub wygranej transakcji klienta: zaimportuj revenue.csv (lub deals.csv z wygranymi transakcjami) albo wybierz okres z klientami.",
    ),
    (
        "empty.funnel",
        "Nobody entered the first stage in this period. The funnel is built from contacts (contacts.csv: created_at enters the first stage), their stages (stages.csv) and deals (deals.csv); import them or pick a period that has data.",
        "W tym okresie nikt nie wszedł do pierwszego etapu. Lejek powstaje z kontaktów (contacts.csv: created_at to wejście do pierwszego etapu), ich etapów (stages.csv) i transakcji (deals.csv); zaimportuj je albo wybierz okres z danymi.",
    ),
    (
        "empty.service",
        "No service tickets imported, so the service link has nothing to say. Import tickets.csv (ticket_id, contact_id or account_id, opened_at, first_response_at, resolved_at, csat) to see whether service costs customers.",
        "Nie zaimportowano zgłoszeń serwisowych, więc ogniwo obsługi nie ma nic do powiedzenia. Zaimportuj tickets.csv (ticket_id, contact_id lub account_id, opened_at, first_response_at, resolved_at, csat), aby zobaczyć, czy obsługa kosztuje klientów.",
    ),
    (
        "error.forbidden",
        "Your role may not do this.",
        "Twoja rola nie pozwala na to działanie.",
    ),
    ("error.title", "Something is not right", "Coś jest nie tak"),
    (
        "ev.conversion",
        "Of {entered} contacts that entered {from}{slice}, {reached} reached {to} within {days} days: {rate} (90% interval {low}–{high}), against a benchmark of {benchmark} ({source}). At the benchmark rate about {more} more would reach {to} per period, worth about {revenue} in revenue. Marketing and sales own this link together.",
        "Spośród {entered} kontaktów, które weszły w etap {from}{slice}, {reached} dotarło do etapu {to} w ciągu {days} dni: {rate} (przedział 90%: {low}–{high}), wobec punktu odniesienia {benchmark} ({source}). Przy wartości odniesienia do etapu {to} docierałoby w każdym okresie około {more} kontaktów więcej, co daje około {revenue} przychodu. Marketing i sprzedaż odpowiadają za to ogniwo wspólnie.",
    ),
    (
        "ev.conversion_unpriced",
        "Of {entered} contacts that entered {from}{slice}, {reached} reached {to} within {days} days: {rate} (90% interval {low}–{high}), against a benchmark of {benchmark} ({source}). At the benchmark rate about {more} more would reach {to} per period; no won deal has an amount, so findings are ranked by the customers they lose, not by money. Marketing and sales own this link together.",
        "Spośród {entered} kontaktów, które weszły w etap {from}{slice}, {reached} dotarło do etapu {to} w ciągu {days} dni: {rate} (przedział 90%: {low}–{high}), wobec punktu odniesienia {benchmark} ({source}). Przy wartości odniesienia do etapu {to} docierałoby w każdym okresie około {more} kontaktów więcej; żadna wygrana transakcja nie ma kwoty, więc ustalenia są uszeregowane według utraconych klientów, a nie pieniędzy. Marketing i sprzedaż odpowiadają za to ogniwo wspólnie.",
    ),
    (
        "ev.handoff",
        "{rate} of {mqls} MQLs{slice} had their first sales touch within the {sla} h SLA (90% interval {low}–{high}), against a benchmark of {benchmark} ({source}). Leads answered in time reached {next} {within} of the time, late ones {late}. Marketing and sales own this handoff together.",
        "{rate} z {mqls} MQL{slice} miało pierwszy kontakt handlowca w ciągu {sla} godz. przewidzianych w SLA (przedział 90%: {low}–{high}), wobec punktu odniesienia {benchmark} ({source}). Leady obsłużone na czas docierały do etapu {next} w {within} przypadków, spóźnione w {late}. Marketing i sprzedaż odpowiadają za to przekazanie wspólnie.",
    ),
    (
        "ev.retention",
        "The customers{slice} who paid in a month kept {grr} of that revenue the next month (gross revenue retention, 90% interval {low}–{high}; {logo} of them paid again), against a benchmark of {benchmark} ({source}): about {lost} of revenue was lost above the benchmark.",
        "Klienci{slice}, którzy zapłacili w danym miesiącu, utrzymali w następnym {grr} tego przychodu (GRR, przedział 90%: {low}–{high}; ponownie zapłaciło {logo} z nich), wobec punktu odniesienia {benchmark} ({source}): ponad punkt odniesienia utracono około {lost} przychodu.",
    ),
    (
        "ev.service",
        "Customers in the 90 days after a ticket rated 1–2 or answered after more than 24 h stopped paying in {bad} of their months ({months} customer-months), against {other} for the others; the most frequent category of such tickets in the period was {category}. Service, marketing and sales own retention together.",
        "Klienci w ciągu 90 dni po zgłoszeniu serwisowym ocenionym na 1–2 lub obsłużonym po ponad 24 godz. przestawali płacić w {bad} swoich miesięcy ({months} miesięcy klienta), wobec {other} u pozostałych; najczęstszą kategorią takich zgłoszeń w okresie była: {category}. Serwis, marketing i sprzedaż odpowiadają za retencję wspólnie.",
    ),
    (
        "ev.stage_time",
        "Contacts{slice} took a median of {median} days from {from} to {to} (90% interval {low}–{high}), against a benchmark of {benchmark} days ({source}). Moving at the benchmark pace would bring about {revenue} of revenue into the period. Marketing and sales own this link together.",
        "Kontakty{slice} przechodziły z etapu {from} do etapu {to} w medianie {median} dni (przedział 90%: {low}–{high}), wobec punktu odniesienia {benchmark} dni ({source}). W tempie odniesienia do okresu trafiłoby około {revenue} przychodu więcej. Marketing i sprzedaż odpowiadają za to ogniwo wspólnie.",
    ),
    ("feature.account", "account", "firma"),
    ("feature.country", "Country", "Kraj"),
    (
        "feature.first_touch_channel",
        "First-touch channel",
        "Kanał pierwszego kontaktu",
    ),
    ("feature.given", "given", "podano"),
    (
        "feature.hours_since_last_touch",
        "Hours since the last touch",
        "Godziny od ostatniego kontaktu",
    ),
    (
        "feature.hours_text",
        "Hours since the last touch by the end of the first day: {n}",
        "Godziny od ostatniego kontaktu do końca pierwszego dnia: {n}",
    ),
    ("feature.industry", "Industry", "Branża"),
    ("feature.no_touch", "No touch", "Brak kontaktu"),
    (
        "feature.no_touch_no",
        "Touched by the end of the first day",
        "Kontakt do końca pierwszego dnia",
    ),
    (
        "feature.no_touch_yes",
        "No touch by the end of the first day",
        "Brak kontaktu do końca pierwszego dnia",
    ),
    ("feature.none", "none", "brak"),
    ("feature.not", "not", "nie"),
    ("feature.other", "other", "inne"),
    ("feature.segment", "Segment", "Segment"),
    ("feature.source", "Source", "Źródło"),
    ("feature.title", "Job title", "Stanowisko"),
    ("feature.touches", "Touches", "Punkty styku"),
    (
        "feature.touches_via",
        "Touches via {channel}",
        "Punkty styku przez {channel}",
    ),
    ("forecast.best_case", "Best case", "Optymistyczne"),
    ("forecast.commit", "Commit", "Pewne"),
    ("forecast.current", "Last 12 months", "Ostatnie 12 miesięcy"),
    ("forecast.latest", "Latest entry", "Ostatni termin wejścia"),
    ("forecast.month", "Expected close", "Oczekiwane zamknięcie"),
    (
        "forecast.new_business",
        "New business still needed",
        "Nowa sprzedaż jeszcze potrzebna",
    ),
    ("forecast.open_deals", "Open deals", "Otwarte transakcje"),
    (
        "forecast.pipeline",
        "Pipeline",
        "Lejek sprzedaży (pipeline)",
    ),
    (
        "forecast.projected",
        "Projected revenue",
        "Prognozowany przychód",
    ),
    (
        "forecast.recurring_base",
        "Recurring base still to come",
        "Baza powtarzalna do końca okresu",
    ),
    (
        "forecast.remaining",
        "Still to win",
        "Pozostało do zdobycia",
    ),
    (
        "forecast.required",
        "Needed for new business",
        "Potrzebne do nowej sprzedaży",
    ),
    (
        "forecast.required_remaining",
        "For the whole target",
        "Na cały cel",
    ),
    ("forecast.reverse", "Reverse funnel", "Lejek odwrócony"),
    (
        "forecast.reverse_help",
        "Entries each stage needs at the current conversion rates (last 12 whole months) to win the new business the target still needs after revenue recognised so far, the recurring base and the weighted pipeline. An entry after its latest date can no longer close within the period.",
        "Liczba wejść do każdego etapu potrzebna przy obecnych konwersjach (ostatnie 12 pełnych miesięcy), aby zdobyć nową sprzedaż, której cel nadal wymaga po przychodzie dotychczasowym, bazie powtarzalnej i ważonym pipeline. Wejście po ostatnim terminie nie zdąży się zamknąć w okresie.",
    ),
    (
        "forecast.run_rate",
        "Run-rate (annual)",
        "Tempo roczne (run-rate)",
    ),
    (
        "forecast.so_far",
        "Revenue recognised so far",
        "Przychód rozpoznany dotychczas",
    ),
    ("forecast.target", "Revenue target", "Cel przychodu"),
    ("forecast.too_late", "too late", "za późno"),
    (
        "forecast.too_late_note",
        "At the median times in stage, a new lead, MQL, SQL or opportunity from now on would close after the period ends: the new business still needed can only come from deals already open, beyond their weighted value.",
        "Przy medianowych czasach w etapach nowy lead, MQL, SQL ani szansa sprzedaży od dziś nie zamknie się przed końcem okresu: brakująca nowa sprzedaż może przyjść tylko z już otwartych transakcji, ponad ich wartość ważoną.",
    ),
    (
        "forecast.weighted",
        "Weighted pipeline",
        "Pipeline ważony prawdopodobieństwem",
    ),
    ("funnel.cohort", "Cohort", "Kohorta"),
    (
        "funnel.cumulative",
        "Cumulative conversion",
        "Konwersja skumulowana",
    ),
    ("funnel.drop_off", "Drop-off", "Odpływ"),
    ("funnel.flow", "Flow", "Przepływ"),
    (
        "funnel.flow_note",
        "stage entries in the period, as on the cards",
        "wejścia do etapów w okresie, jak na kartach",
    ),
    (
        "funnel.implied",
        "of which {n} implied by a later stage",
        "w tym {n} wynikających z późniejszego etapu",
    ),
    ("funnel.interval", "90% interval", "Przedział 90%"),
    ("funnel.median_days", "Median days", "Mediana dni"),
    ("funnel.p90_days", "p90 days", "p90 dni"),
    (
        "funnel.people",
        "People who reached {stage}",
        "Osoby, które osiągnęły etap {stage}",
    ),
    ("funnel.people_csv", "People", "Osoby"),
    ("funnel.reached", "Reached", "Osiągnęło"),
    ("funnel.rework", "Rework", "Powroty"),
    ("funnel.stage", "Stage", "Etap"),
    ("funnel.step", "Step conversion", "Konwersja etapu"),
    ("funnel.view", "View", "Widok"),
    ("import.column", "Column", "Kolumna"),
    ("import.columns", "Columns", "Kolumny"),
    (
        "import.custom_property",
        "custom property",
        "własna właściwość",
    ),
    ("import.done", "Import finished", "Import zakończony"),
    (
        "import.dry_run",
        "Preview (nothing written yet)",
        "Podgląd (nic jeszcze nie zapisano)",
    ),
    (
        "import.duplicates",
        "Contacts that share an email",
        "Kontakty z tym samym adresem e-mail",
    ),
    (
        "import.duplicates_intro",
        "After this import these contacts share an email address: probably one person under two ids. Merge them under Records, Contacts; the merge survives later imports and can be undone.",
        "Po tym imporcie te kontakty mają wspólny adres e-mail: to najpewniej jedna osoba pod dwoma identyfikatorami. Scal je w Rekordy, Kontakty; scalenie przetrwa kolejne importy i można je cofnąć.",
    ),
    ("import.file", "File", "Plik"),
    (
        "import.help",
        "Upload a CSV, XLSX or NDJSON file of the data contract (accounts, contacts, touchpoints, stages, deals, deal_stages, revenue, spend, tickets, targets). Revline previews what it would do, then imports on your confirmation.",
        "Prześlij plik CSV, XLSX lub NDJSON zgodny z kontraktem danych (accounts, contacts, touchpoints, stages, deals, deal_stages, revenue, spend, tickets, targets). Revline najpierw pokaże podgląd, a zaimportuje po potwierdzeniu.",
    ),
    ("import.inserted", "Inserted", "Dodane"),
    ("import.kind", "Record kind", "Rodzaj rekordów"),
    ("import.kind_auto", "From the file name", "Z nazwy pliku"),
    ("import.lines", "Lines", "Linie"),
    ("import.progress", "Importing…", "Importowanie…"),
    ("import.property", "custom property", "własna właściwość"),
    ("import.read", "Read", "Odczytane"),
    ("import.reason", "Reason", "Powód"),
    (
        "import.recognised",
        "Recognised as a {crm} export: read with its built-in mapping (columns below, everything else kept as properties).",
        "Rozpoznano eksport z {crm}: odczytany wbudowanym mapowaniem (kolumny poniżej, reszta zachowana jako właściwości).",
    ),
    ("import.rejected", "Rejected", "Odrzucone"),
    ("import.rejected_rows", "Rejected rows", "Odrzucone wiersze"),
    ("import.rows", "Rows", "Wiersze"),
    ("import.runs", "Recent imports", "Ostatnie importy"),
    ("import.updated", "Updated", "Zaktualizowane"),
    (
        "import.warnings",
        "Rows that landed changed",
        "Wiersze zapisane ze zmianami",
    ),
    ("journey.amount", "Amount", "Kwota"),
    (
        "journey.empty",
        "Search for a person by email or id, or an account by id.",
        "Wyszukaj osobę po e-mailu lub identyfikatorze albo firmę po identyfikatorze.",
    ),
    ("journey.event", "Event", "Zdarzenie"),
    (
        "journey.query",
        "Email, contact id or account id",
        "E-mail, id kontaktu lub id firmy",
    ),
    ("journey.team", "Team", "Zespół"),
    ("journey.when", "When", "Kiedy"),
    ("kpi.ahead", "Ahead by", "Przed tempem o"),
    ("kpi.behind", "Behind by", "Za tempem o"),
    ("kpi.on_pace", "On pace", "Zgodnie z tempem"),
    ("kpi.pace", "Expected by now", "Oczekiwane do dziś"),
    ("login.email", "Email", "E-mail"),
    (
        "login.failed",
        "Wrong email or password.",
        "Nieprawidłowy e-mail lub hasło.",
    ),
    (
        "login.limited",
        "Too many attempts; wait a few minutes and try again.",
        "Zbyt wiele prób; odczekaj kilka minut i spróbuj ponownie.",
    ),
    ("login.password", "Password", "Hasło"),
    (
        "login.title",
        "Sign in to the revenue room",
        "Zaloguj się do pokoju przychodu",
    ),
    (
        "metric.avg_deal_size",
        "Average deal size",
        "Średnia wartość transakcji",
    ),
    ("metric.cac", "CAC", "CAC (koszt pozyskania klienta)"),
    ("metric.grr", "GRR", "GRR"),
    (
        "metric.lead_response_minutes",
        "Lead response time",
        "Czas reakcji na lead",
    ),
    ("metric.leads", "Leads", "Leady"),
    (
        "metric.logo_churn",
        "Logo churn",
        "Odejścia klientów (churn)",
    ),
    ("metric.ltv", "LTV", "LTV (wartość klienta w czasie)"),
    ("metric.ltv_cac", "LTV:CAC", "LTV:CAC"),
    ("metric.mql", "MQLs", "MQL"),
    ("metric.new_customers", "New customers", "Nowi klienci"),
    ("metric.nrr", "NRR", "NRR"),
    ("metric.opportunities", "Opportunities", "Szanse sprzedaży"),
    (
        "metric.pipeline_coverage",
        "Pipeline coverage",
        "Pokrycie celu lejkiem",
    ),
    (
        "metric.pipeline_created",
        "Pipeline created",
        "Utworzony pipeline",
    ),
    ("metric.revenue", "Revenue", "Przychód"),
    ("metric.sales_cycle_days", "Sales cycle", "Cykl sprzedaży"),
    ("metric.sales_velocity", "Sales velocity", "Tempo sprzedaży"),
    (
        "metric.sla_breach_rate",
        "SLA breach rate",
        "Odsetek naruszeń SLA",
    ),
    ("metric.sql", "SQLs", "SQL"),
    ("metric.win_rate", "Win rate", "Odsetek wygranych"),
    (
        "missing.created_at_close",
        "every deal won in the period was recorded when it closed, so its cycle is unknown",
        "każdą wygraną w okresie transakcję zapisano dopiero przy zamknięciu, więc cykl sprzedaży jest nieznany",
    ),
    (
        "missing.no_amounts",
        "no won deal has an amount",
        "żadna wygrana transakcja nie ma kwoty",
    ),
    (
        "missing.no_churn",
        "no revenue was lost month over month, so churn cannot be measured",
        "w żadnym miesiącu nie utracono przychodu, więc odejść nie da się zmierzyć",
    ),
    (
        "missing.no_closed_deals",
        "no deal closed in the period",
        "żadna transakcja nie została zamknięta w okresie",
    ),
    (
        "missing.no_deal_amounts",
        "no deal has an amount",
        "żadna transakcja nie ma kwoty",
    ),
    (
        "missing.no_deals",
        "no deals recorded",
        "brak zapisanych transakcji",
    ),
    (
        "missing.no_handoffs",
        "no lead entered mql in the period with its SLA decided",
        "żaden lead nie wszedł w okresie do MQL z rozstrzygniętym SLA",
    ),
    (
        "missing.no_lost_deals",
        "no lost deal recorded: a win rate would count only the wins",
        "nie zapisano żadnej przegranej transakcji: współczynnik wygranych liczyłby tylko wygrane",
    ),
    (
        "missing.no_new_customers",
        "no new customers in the period",
        "brak nowych klientów w okresie",
    ),
    (
        "missing.no_open_deals",
        "no open deals",
        "brak otwartych transakcji",
    ),
    (
        "missing.no_retention_base",
        "no customer was paying before the period",
        "żaden klient nie płacił przed okresem",
    ),
    (
        "missing.no_revenue",
        "no revenue recorded",
        "brak zapisanych przychodów",
    ),
    (
        "missing.no_revenue_target",
        "no revenue target for the period",
        "brak celu przychodu na okres",
    ),
    (
        "missing.no_sales_touches",
        "no sales touchpoint recorded",
        "brak zapisanych kontaktów handlowców",
    ),
    (
        "missing.no_spend",
        "no spend recorded for the period",
        "brak zapisanych wydatków w okresie",
    ),
    (
        "missing.no_won_deals",
        "no deal won in the period",
        "żadna transakcja nie została wygrana w okresie",
    ),
    (
        "missing.period_over",
        "the period is over",
        "okres się zakończył",
    ),
    ("model.first_touch", "First touch", "Pierwszy kontakt"),
    ("model.last_touch", "Last touch", "Ostatni kontakt"),
    ("model.linear", "Linear", "Liniowy"),
    ("model.markov", "Markov", "Markow"),
    ("model.position_based", "U-shaped", "Model U"),
    ("model.time_decay", "Time decay", "Spadek w czasie"),
    ("model.w_shaped", "W-shaped", "Model W"),
    ("mrr.churned", "Churned", "Utracony"),
    ("mrr.contraction", "Contraction", "Zmniejszenie"),
    ("mrr.ending", "MRR at month end", "MRR na koniec miesiąca"),
    ("mrr.expansion", "Expansion", "Rozszerzenie"),
    ("mrr.new", "New", "Nowy"),
    (
        "mrr.no_period",
        "{n} of {total} recurring revenue rows name no service period, so they are read as paying for one month each, yet their customer paid again only a year later. If they pay for a year, give them period_start and period_end: until then they show as one month of MRR that lapses.",
        "{n} z {total} wierszy przychodu powtarzalnego nie podaje okresu usługi, więc są liczone jako opłata za jeden miesiąc, choć klient zapłacił ponownie dopiero po roku. Jeśli to opłaty roczne, podaj period_start i period_end: do tego czasu wyglądają jak miesiąc MRR, który znika.",
    ),
    (
        "mrr.none",
        "No recurring revenue recorded: import revenue rows of kind new, recurring, expansion or contraction (with period_start and period_end for plans longer than a month).",
        "Brak przychodu powtarzalnego: zaimportuj wiersze przychodu rodzaju new, recurring, expansion lub contraction (z period_start i period_end dla planów dłuższych niż miesiąc).",
    ),
    ("mrr.reactivation", "Reactivation", "Reaktywacja"),
    (
        "mrr.title",
        "Recurring revenue (MRR) and its movements",
        "Przychód powtarzalny (MRR) i jego zmiany",
    ),
    ("nav.alerts", "Alerts", "Alerty"),
    ("nav.attribution", "Attribution", "Atrybucja"),
    ("nav.bottlenecks", "Bottlenecks", "Wąskie gardła"),
    ("nav.funnel", "Funnel", "Lejek"),
    ("nav.home", "Revenue room", "Pokój przychodu"),
    ("nav.import", "Import", "Import"),
    ("nav.journeys", "Journeys", "Ścieżki klientów"),
    ("nav.plan", "Plan & forecast", "Plan i prognoza"),
    ("nav.records", "Records", "Rekordy"),
    ("nav.retention", "Retention", "Retencja"),
    ("nav.scores", "Lead scores", "Scoring leadów"),
    ("nav.settings", "Settings", "Ustawienia"),
    ("nav.views", "Saved views", "Zapisane widoki"),
    ("period.custom", "Custom", "Własny"),
    (
        "period.last_12_months",
        "Last 12 months",
        "Ostatnie 12 miesięcy",
    ),
    ("period.last_month", "Last month", "Poprzedni miesiąc"),
    ("period.last_quarter", "Last quarter", "Poprzedni kwartał"),
    ("period.this_month", "This month", "Bieżący miesiąc"),
    ("period.this_quarter", "This quarter", "Bieżący kwartał"),
    ("period.this_year", "This year", "Bieżący rok"),
    ("reach.clicks", "Clicks", "Kliknięcia"),
    (
        "reach.conversion",
        "Conversion to customer",
        "Konwersja na klienta",
    ),
    (
        "reach.cost_per_customer",
        "Cost per customer",
        "Koszt pozyskania klienta",
    ),
    ("reach.customers", "Customers", "Klienci"),
    ("reach.impressions", "Impressions", "Wyświetlenia"),
    ("reach.leads", "Leads", "Leady"),
    (
        "reach.none",
        "No touchpoints and no new leads in this period: no reach to show.",
        "Brak punktów styku i nowych leadów w tym okresie: nie ma zasięgu do pokazania.",
    ),
    (
        "reach.title",
        "Reach, always with what it led to",
        "Zasięg, zawsze z tym, do czego doprowadził",
    ),
    ("reach.touchpoints", "Touchpoints", "Punkty styku"),
    ("records.accounts", "Accounts", "Firmy"),
    ("records.contacts", "Contacts", "Kontakty"),
    ("records.deals", "Deals", "Transakcje"),
    (
        "records.duplicates",
        "Contacts sharing an email",
        "Kontakty z tym samym adresem e-mail",
    ),
    (
        "records.duplicates_intro",
        "Each is probably one person under two ids. Merging counts the other's touchpoints, stages, deals, revenue and tickets as the kept contact's in every report; the records keep their ids, so a re-import changes nothing, and a merge can be undone.",
        "Każda para to najpewniej jedna osoba pod dwoma identyfikatorami. Scalenie liczy punkty styku, etapy, transakcje, przychód i zgłoszenia drugiego kontaktu jako należące do zachowanego we wszystkich raportach; rekordy zachowują identyfikatory, więc ponowny import niczego nie zmienia, a scalenie można cofnąć.",
    ),
    ("records.found", "{n} records", "Rekordów: {n}"),
    ("records.into", "Counted as", "Liczony jako"),
    ("records.keeps", "Kept contact", "Zachowany kontakt"),
    ("records.merge", "Merge into kept", "Scal z zachowanym"),
    (
        "records.merged",
        "Contact {merged} is now counted as {into}.",
        "Kontakt {merged} jest teraz liczony jako {into}.",
    ),
    (
        "records.merged_contact",
        "Merged contact",
        "Scalony kontakt",
    ),
    ("records.merges", "Merged contacts", "Scalone kontakty"),
    ("records.others", "Same email", "Ten sam e-mail"),
    ("records.unmerge", "Undo merge", "Cofnij scalenie"),
    (
        "records.unmerged",
        "Contact {merged} stands on its own again.",
        "Kontakt {merged} znów jest osobnym kontaktem.",
    ),
    ("records.when", "Merged", "Scalono"),
    ("retention.cohorts_csv", "Cohorts", "Kohorty"),
    ("retention.mrr_csv", "MRR movements", "Ruchy MRR"),
    ("role.admin", "admin", "administrator"),
    ("role.editor", "editor", "edytor"),
    ("role.viewer", "viewer", "podgląd"),
    ("run_status.failed", "failed", "nieudany"),
    ("run_status.interrupted", "interrupted", "przerwany"),
    (
        "run_status.ok",
        "all rows landed",
        "wszystkie wiersze zapisane",
    ),
    (
        "run_status.partial",
        "landed, some rows rejected",
        "zapisano, część wierszy odrzucona",
    ),
    ("run_status.rejected", "rejected", "odrzucony"),
    ("run_status.running", "running", "w toku"),
    (
        "scores.all_scores",
        "How the score is made and how good it is",
        "Jak powstaje ocena i jak jest trafna",
    ),
    (
        "scores.auc",
        "AUC on later leads",
        "AUC na późniejszych leadach",
    ),
    (
        "scores.best_leads",
        "Best-scored leads of the period",
        "Najwyżej ocenione leady z okresu",
    ),
    ("scores.brier", "Brier score", "Wynik Briera"),
    (
        "scores.brier_help",
        "mean squared error of the predicted chances; lower is better",
        "średni błąd kwadratowy przewidywanych szans; im niżej, tym lepiej",
    ),
    (
        "scores.calibration",
        "Calibration on later leads",
        "Kalibracja na późniejszych leadach",
    ),
    (
        "scores.calibration_help",
        "Leads the model did not learn from, in ten groups by score: the chance it predicted against the share that did reach the target.",
        "Leady, których model nie znał, w dziesięciu grupach według oceny: przewidywana szansa wobec odsetka, który faktycznie osiągnął cel.",
    ),
    (
        "scores.capacity",
        "Sales' capacity, leads a month",
        "Przepustowość sprzedaży, leady miesięcznie",
    ),
    ("scores.capacity_auto", "auto", "auto"),
    ("scores.capacity_given", "as given", "podana ręcznie"),
    (
        "scores.capacity_input",
        "Capacity / month",
        "Przepustowość / mies.",
    ),
    (
        "scores.capacity_measured",
        "{stage} entries a month, {from} – {to}",
        "wejścia do etapu {stage} miesięcznie, {from} – {to}",
    ),
    ("scores.column", "Score", "Ocena"),
    ("scores.contact", "Contact", "Kontakt"),
    ("scores.cut", "Score cut", "Próg oceny"),
    (
        "scores.decile",
        "Score decile (1 = lowest)",
        "Decyl oceny (1 = najniższy)",
    ),
    (
        "scores.expected",
        "Expected conversion of the leads passed",
        "Oczekiwana konwersja przekazanych leadów",
    ),
    ("scores.feature", "Feature", "Cecha"),
    (
        "scores.features",
        "What the score learned from",
        "Z czego uczy się ocena",
    ),
    (
        "scores.features_help",
        "The strongest features, by the size of their weight on a common scale.",
        "Najsilniejsze cechy według wielkości wagi we wspólnej skali.",
    ),
    (
        "scores.headline",
        "The chance of reaching {target} within {days} days of becoming a lead, learned from this workspace's own leads",
        "Szansa, że lead osiągnie etap {target} w ciągu {days} dni, wyuczona na leadach tego obszaru roboczego",
    ),
    ("scores.horizon", "Within days", "W ciągu dni"),
    ("scores.importance", "Weight", "Waga"),
    (
        "scores.intro",
        "Each lead is described only by what was known on its first day; the model is trained on leads whose outcome was known when training ended and judged on the period's later leads.",
        "Każdy lead jest opisany tylko tym, co było wiadomo w jego pierwszym dniu; model uczy się na leadach, których wynik był znany w chwili zakończenia uczenia, i jest oceniany na późniejszych leadach z okresu.",
    ),
    (
        "scores.judged_on",
        "{n} leads of the period whose outcome is known; 0.5 is chance, 1 is perfect",
        "{n} leadów z okresu o znanym wyniku; 0,5 to przypadek, 1 to ideał",
    ),
    (
        "scores.last_quarter",
        "What the cut would have done last quarter ({from} – {to})",
        "Co ten próg zrobiłby w poprzednim kwartale ({from} – {to})",
    ),
    ("scores.leads", "Leads", "Leady"),
    (
        "scores.leads_per_month",
        "Leads arriving a month",
        "Napływające leady miesięcznie",
    ),
    (
        "scores.listed",
        "{n} of {total} leads of the period; the CSV has all of them",
        "{n} z {total} leadów z okresu; plik CSV zawiera wszystkie",
    ),
    (
        "scores.mqls_missed",
        "{mql}s the cut holds back",
        "{mql} zatrzymane przez próg",
    ),
    (
        "scores.mqls_passed",
        "{mql}s the cut passes too",
        "{mql} przekazane także przez próg",
    ),
    (
        "scores.mqls_reached",
        "{mql}s that reached {target}",
        "{mql}, które osiągnęły etap {target}",
    ),
    (
        "scores.no_score",
        "Not scored: this contact never became a lead.",
        "Brak oceny: ten kontakt nigdy nie był leadem.",
    ),
    (
        "scores.not_judged",
        "No lead of the period has a known outcome yet that the model did not learn from: choose an earlier period or an earlier training date",
        "Żaden lead z okresu nie ma jeszcze znanego wyniku, którego model nie znał: wybierz wcześniejszy okres lub wcześniejszą datę uczenia",
    ),
    ("scores.observed", "Observed", "Zaobserwowane"),
    (
        "scores.passed",
        "Leads the cut passes",
        "Leady przekazane przez próg",
    ),
    (
        "scores.passed_not_mql",
        "Passed leads that were never {mql}s",
        "Przekazane leady, które nigdy nie były {mql}",
    ),
    (
        "scores.passed_reached",
        "Passed leads that reached {target}",
        "Przekazane leady, które osiągnęły etap {target}",
    ),
    ("scores.predicted", "Predicted", "Przewidywane"),
    (
        "scores.reached",
        "reached {target}",
        "osiągnęło etap {target}",
    ),
    ("scores.score", "Score", "Ocena"),
    ("scores.target", "Predict", "Przewiduj etap"),
    (
        "scores.threshold",
        "Threshold: what sales can take on",
        "Próg: ile sprzedaż jest w stanie przyjąć",
    ),
    (
        "scores.threshold_help",
        "The score cut that passes sales as many leads a month as it takes on, the best-scored first, so that the leads passed have the highest expected conversion.",
        "Próg oceny, który przekazuje sprzedaży tyle leadów miesięcznie, ile jest w stanie przyjąć, zaczynając od najwyżej ocenionych, tak by przekazane leady miały najwyższą oczekiwaną konwersję.",
    ),
    ("scores.train_as_of", "Trained as of", "Uczony na dzień"),
    ("scores.trained_on", "Trained on", "Uczony na"),
    (
        "scores.unfit",
        "No lead is scored.",
        "Żaden lead nie ma oceny.",
    ),
    (
        "scores.why",
        "Why (strongest reasons)",
        "Dlaczego (najsilniejsze powody)",
    ),
    (
        "scores.why_intro",
        "The chance of reaching {target} within {days} days of becoming a lead, under the model trained on everything known now (the average lead: {average}). What moved it most:",
        "Szansa na osiągnięcie etapu {target} w ciągu {days} dni od zostania leadem, według modelu uczonego na wszystkim, co wiadomo teraz (przeciętny lead: {average}). Co wpłynęło najbardziej:",
    ),
    ("scores.why_title", "Lead score", "Ocena leada"),
    ("settings.add_target", "Add a target", "Dodaj cel"),
    ("settings.add_user", "Add a user", "Dodaj użytkownika"),
    ("settings.alerts", "Alerts", "Alerty"),
    (
        "settings.alerts_help",
        "Rules that watch the chain and tell people by webhook, Slack or email when a link degrades.",
        "Reguły, które obserwują łańcuch i powiadamiają przez webhook, Slack lub e-mail, gdy ogniwo słabnie.",
    ),
    ("settings.currency", "Currency", "Waluta"),
    ("settings.digest", "Digest", "Podsumowanie"),
    (
        "settings.digest_help",
        "Weekly: Monday 08:00 in the workspace time zone; daily: 08:00. The digest also goes to every webhook and Slack destination of the rules.",
        "Co tydzień: poniedziałek 8:00 w strefie czasowej przestrzeni; codziennie: 8:00. Podsumowanie trafia też do każdego webhooka i kanału Slack z reguł.",
    ),
    (
        "settings.digest_to",
        "Digest email to (comma-separated)",
        "Podsumowanie e-mailem do (po przecinku)",
    ),
    (
        "settings.gross_margin",
        "Gross margin (0–1)",
        "Marża brutto (0–1)",
    ),
    (
        "settings.language",
        "Workspace language (alerts and digest)",
        "Język przestrzeni (alerty i podsumowanie)",
    ),
    (
        "settings.lookback_days",
        "Attribution lookback (days)",
        "Okno atrybucji (dni)",
    ),
    ("settings.metric", "Metric", "Miara"),
    (
        "settings.new_token",
        "New API token; copy it now, it is not shown again:",
        "Nowy token API; skopiuj go teraz, nie zostanie pokazany ponownie:",
    ),
    (
        "settings.period",
        "Period (2026, 2026-Q1, 2026-03)",
        "Okres (2026, 2026-Q1, 2026-03)",
    ),
    ("settings.role", "Role", "Rola"),
    ("settings.saved", "Saved.", "Zapisano."),
    (
        "settings.sla_hours",
        "Lead response SLA (hours)",
        "SLA reakcji na lead (godziny)",
    ),
    (
        "settings.stages",
        "Funnel stages, in order",
        "Etapy lejka, po kolei",
    ),
    ("settings.targets", "Targets", "Cele"),
    ("settings.timezone", "Time zone", "Strefa czasowa"),
    ("settings.token_created", "Created", "Utworzony"),
    ("settings.token_used", "Last used", "Ostatnio użyty"),
    ("settings.tokens", "API tokens", "Tokeny API"),
    ("settings.users", "Users and roles", "Użytkownicy i role"),
    ("settings.workspace", "Workspace", "Obszar roboczy"),
    (
        "setup.help",
        "No one has signed in yet. Create the first admin of this workspace; more users can be added in Settings or with `revline user add`.",
        "Nikt się jeszcze nie logował. Utwórz pierwszego administratora tego obszaru; kolejnych użytkowników dodasz w Ustawieniach lub poleceniem `revline user add`.",
    ),
    (
        "setup.title",
        "Create the first admin",
        "Utwórz pierwszego administratora",
    ),
    ("sla.breach_rate", "SLA breach rate", "Odsetek naruszeń SLA"),
    ("sla.late", "Answered late", "Obsłużone po czasie"),
    ("sla.median", "Median response", "Mediana czasu reakcji"),
    ("sla.on_time", "Answered within SLA", "Obsłużone w SLA"),
    (
        "sla.title",
        "Marketing-to-sales handoff",
        "Przekazanie z marketingu do sprzedaży",
    ),
    (
        "src.best_months",
        "best 3 of the last 12 months",
        "najlepsze 3 z ostatnich 12 miesięcy",
    ),
    (
        "src.best_segments",
        "best quartile of segments",
        "najlepszy kwartyl segmentów",
    ),
    (
        "src.best_values",
        "best quartile of {dim} values",
        "najlepszy kwartyl wartości: {dim}",
    ),
    (
        "src.best_values_by_segment",
        "best quartile of {dim} values, segment by segment",
        "najlepszy kwartyl wartości: {dim}, w każdym segmencie osobno",
    ),
    ("src.target", "target", "cel"),
    ("stage.customer", "Customer", "Klient"),
    ("stage.lead", "Lead", "Lead"),
    ("stage.mql", "MQL", "MQL"),
    ("stage.opportunity", "Opportunity", "Szansa sprzedaży"),
    ("stage.sql", "SQL", "SQL"),
    ("sum.above", "above {value}", "powyżej {value}"),
    ("sum.below", "below {value}", "poniżej {value}"),
    (
        "sum.below_pace",
        "below {share} of the pace to its target ({pace})",
        "poniżej {share} tempa do celu ({pace})",
    ),
    (
        "sum.bottleneck",
        "{link}{slice}: {current} against a benchmark of {benchmark}; {money} of revenue at stake over the last 90 days.",
        "{link}{slice}: {current} wobec punktu odniesienia {benchmark}; przychód zagrożony w ostatnich 90 dniach: {money}.",
    ),
    (
        "sum.bottleneck_unpriced",
        "{link}{slice}: {current} against a benchmark of {benchmark} (no won deal has an amount, so no revenue is put on it).",
        "{link}{slice}: {current} wobec punktu odniesienia {benchmark} (żadna wygrana transakcja nie ma kwoty, więc nie wyceniono przychodu).",
    ),
    (
        "sum.freshness",
        "No new {kind} since {newest} ({since} h; the rule allows {hours} h).",
        "Brak nowych rekordów {kind} od {newest} ({since} h; reguła dopuszcza {hours} h).",
    ),
    (
        "sum.freshness_never",
        "No {kind} recorded yet.",
        "Nie zapisano jeszcze rekordów {kind}.",
    ),
    (
        "sum.gone",
        "{subject}: the condition no longer holds.",
        "{subject}: warunek przestał być spełniony.",
    ),
    (
        "sum.lead_waiting",
        "MQLs without a first sales touch for more than {hours} h (the handoff link): {count}.",
        "Leady MQL bez pierwszego kontaktu sprzedaży dłużej niż {hours} h (ogniwo przekazania): {count}.",
    ),
    (
        "sum.metric",
        "{metric} for {period} is {value}{n}, {bound}.",
        "{metric} za {period}: {value}{n}, {bound}.",
    ),
    (
        "sum.metric_no_data",
        "{metric} for {period} has no data yet, so it is not judged.",
        "{metric} za {period}: brak danych, więc reguła nie ocenia.",
    ),
    (
        "sum.no_target",
        "with no target for the period there is no pace to compare with",
        "bez celu na ten okres nie ma tempa do porównania",
    ),
    ("team.marketing", "marketing", "marketing"),
    ("team.sales", "sales", "sprzedaż"),
    ("team.service", "service", "obsługa"),
    ("unit.day", "day", "dzień"),
    ("unit.days", "days", "dni"),
    ("unit.hours", "h", "godz."),
    ("views.delete", "Delete", "Usuń"),
    (
        "views.deleted",
        "View “{name}” deleted",
        "Usunięto widok „{name}”",
    ),
    (
        "views.intro",
        "Pages saved with their period, filter and breakdown, for everyone in the workspace.",
        "Strony zapisane z okresem, filtrem i podziałem, dla wszystkich w przestrzeni roboczej.",
    ),
    ("views.name", "Name", "Nazwa"),
    (
        "views.none",
        "No saved views yet: open a page, choose its period and filter, and save it under a name.",
        "Brak zapisanych widoków: otwórz stronę, wybierz okres i filtr i zapisz ją pod nazwą.",
    ),
    ("views.page", "Page", "Strona"),
    ("views.save", "Save view", "Zapisz widok"),
    ("views.save_as", "Name of the view", "Nazwa widoku"),
    ("views.saved_by", "Saved by", "Zapisał(a)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sorted_and_unique() {
        for pair in MESSAGES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn numbers_are_written_as_each_language_writes_them() {
        let en = Tr::new(Lang::En);
        let pl = Tr::new(Lang::Pl);
        assert_eq!(en.number(1234567.891, 2), "1,234,567.89");
        assert_eq!(pl.number(1234567.891, 2), "1\u{a0}234\u{a0}567,89");
        assert_eq!(pl.number(1234.0, 0), "1234");
        assert_eq!(en.number(-0.001, 1), "0.0");
        assert_eq!(en.percent(0.4442), "44.4%");
        assert_eq!(pl.percent(0.4442), "44,4%");
        assert_eq!(
            pl.money(42_155_769.24, "PLN"),
            "42\u{a0}155\u{a0}769\u{a0}zł"
        );
        assert_eq!(en.money_short(4_215_576.9, "USD"), "4.2M\u{a0}USD");
        assert_eq!(pl.money_short(4_215_576.9, "USD"), "4,2\u{a0}mln\u{a0}USD");
        assert_eq!(pl.date("2026-12-02T04:05:07Z"), "2.12.2026");
        assert_eq!(en.date("2026-12-02T04:05:07Z"), "Dec 2, 2026");
        assert_eq!(pl.t("nav.funnel"), "Lejek");
        assert_eq!(pl.label("stage", "opportunity"), "Szansa sprzedaży");
        assert_eq!(pl.label("stage", "trial_started"), "trial started");
    }

    #[test]
    fn the_browser_language_is_negotiated_by_quality() {
        assert_eq!(Lang::negotiate(Some("pl-PL,pl;q=0.9,en;q=0.8")), Lang::Pl);
        assert_eq!(Lang::negotiate(Some("de-DE,en;q=0.5,pl;q=0.4")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
    }
}
