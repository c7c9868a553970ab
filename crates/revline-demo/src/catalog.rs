//! The fixed cast of the demo company: channels with their cost and lead quality,
//! campaigns, sales owners, names and the other vocabularies the records draw from.
//! All numbers are invented, in the range a B2B SaaS company of this size would see.

/// Segments, smallest first; indices are used throughout the simulation.
pub const SEGMENTS: [&str; 3] = ["smb", "mid_market", "enterprise"];
pub const SMB: usize = 0;
pub const MID: usize = 1;
pub const ENT: usize = 2;

/// Share of accounts per segment.
pub const SEGMENT_WEIGHTS: [f64; 3] = [0.58, 0.30, 0.12];
/// Relative number of contacts per account (beyond the first one) by segment.
pub const CONTACT_WEIGHT: [f64; 3] = [1.0, 3.2, 8.0];
/// Mean days between an account's first contact and each further contact.
pub const CONTACT_SPREAD_DAYS: [f64; 3] = [45.0, 90.0, 150.0];
/// Median annual contract value in dollars.
pub const ACV_MEDIAN: [f64; 3] = [7_200.0, 32_000.0, 140_000.0];
/// Median length of a new-business sales cycle in days.
pub const CYCLE_DAYS: [f64; 3] = [21.0, 45.0, 95.0];
/// Base win rate of a new-business deal.
pub const WIN_BASE: [f64; 3] = [0.50, 0.42, 0.36];
/// Lead-to-MQL rate factor by segment.
pub const SEGMENT_MQL: [f64; 3] = [1.0, 0.95, 0.9];
/// Monthly churn hazard of a healthy customer.
pub const CHURN_BASE: [f64; 3] = [0.022, 0.011, 0.005];
/// Share of customers on annual plans (paid up front for the year), per segment.
pub const ANNUAL_SHARE: [f64; 3] = [0.1, 0.35, 0.6];
/// Support tickets per customer per month.
pub const TICKET_RATE: [f64; 3] = [0.35, 0.8, 1.8];
/// Plan names for deal titles.
pub const PLAN: [&str; 3] = ["Starter", "Business", "Enterprise"];
/// Median employee count, kept as an account property.
pub const EMPLOYEES: [f64; 3] = [35.0, 380.0, 4_500.0];

/// A marketing channel: where leads come from, how good they are, what they cost.
pub struct Channel {
    pub name: &'static str,
    /// Weight of this channel as a lead source, per segment.
    pub mix: [f64; 3],
    /// Multiplier on the lead-to-MQL rate.
    pub mql: f64,
    /// Multiplier on the MQL-to-SQL rate (lead quality as sales sees it).
    pub sql: f64,
    /// Multiplier on the win rate of deals this channel sourced.
    pub win: f64,
    /// Median hours from entering MQL to the first sales touch.
    pub handoff_hours: f64,
    /// Marketing dollars spent per lead produced.
    pub cost_per_lead: f64,
    /// Fixed monthly dollars (brand, tools, agencies) at 20,000 contacts.
    pub base_monthly: f64,
    /// Median dollars per paid click, written on click touchpoints.
    pub cost_per_click: Option<f64>,
    pub campaigns: &'static [&'static str],
    /// Campaigns take turns month by month (one webinar or event a month).
    pub rotating: bool,
    /// Touches before the lead is created: (kind, min count, max count, max days before).
    pub pre: &'static [(&'static str, u32, u32, f64)],
    /// The touch that creates the lead.
    pub lead_kind: &'static str,
}

pub const PAID_SEARCH: usize = 0;
pub const PAID_SOCIAL: usize = 1;
pub const DISPLAY: usize = 2;
/// Index of `outbound` in [`CHANNELS`].
pub const OUTBOUND: usize = 9;
pub const ORGANIC: usize = 3;
pub const EMAIL: usize = 4;
pub const WEBINAR: usize = 5;
pub const CONTENT: usize = 10;
pub const DIRECT: usize = 11;

pub const CHANNELS: &[Channel] = &[
    Channel {
        name: "paid_search",
        mix: [20.0, 12.0, 5.0],
        mql: 1.0,
        sql: 1.0,
        win: 1.0,
        handoff_hours: 2.0,
        cost_per_lead: 350.0,
        base_monthly: 6_000.0,
        cost_per_click: Some(6.5),
        campaigns: &[
            "Brand search",
            "Competitor terms",
            "Revenue analytics - generic",
        ],
        rotating: false,
        pre: &[("visit", 0, 2, 6.0), ("click", 1, 1, 0.02)],
        lead_kind: "form",
    },
    Channel {
        name: "paid_social",
        mix: [14.0, 10.0, 6.0],
        mql: 0.9,
        sql: 0.85,
        win: 0.95,
        handoff_hours: 2.5,
        cost_per_lead: 300.0,
        base_monthly: 5_000.0,
        cost_per_click: Some(4.0),
        campaigns: &["LinkedIn lead gen", "LinkedIn ABM", "Meta retargeting"],
        rotating: false,
        pre: &[("impression", 1, 3, 14.0), ("click", 1, 1, 0.02)],
        lead_kind: "form",
    },
    Channel {
        name: "display",
        mix: [11.0, 9.0, 5.0],
        mql: 0.85,
        sql: 0.9,
        win: 1.0,
        handoff_hours: 3.0,
        cost_per_lead: 420.0,
        base_monthly: 14_000.0,
        cost_per_click: Some(2.0),
        campaigns: &["Programmatic prospecting", "Display retargeting"],
        rotating: false,
        pre: &[("impression", 3, 8, 30.0), ("click", 0, 1, 0.05)],
        lead_kind: "form",
    },
    Channel {
        name: "organic_search",
        mix: [16.0, 12.0, 6.0],
        mql: 1.05,
        sql: 1.05,
        win: 1.0,
        handoff_hours: 2.5,
        cost_per_lead: 60.0,
        base_monthly: 4_000.0,
        cost_per_click: None,
        campaigns: &["SEO"],
        rotating: false,
        pre: &[("visit", 1, 3, 20.0)],
        lead_kind: "form",
    },
    Channel {
        name: "email",
        mix: [4.0, 4.0, 3.0],
        mql: 1.0,
        sql: 0.95,
        win: 1.0,
        handoff_hours: 3.0,
        cost_per_lead: 30.0,
        base_monthly: 1_500.0,
        cost_per_click: None,
        campaigns: &["Newsletter", "Nurture sequence", "Product updates"],
        rotating: false,
        pre: &[("email_open", 1, 2, 10.0), ("email_click", 1, 1, 0.05)],
        lead_kind: "form",
    },
    Channel {
        name: "webinar",
        mix: [8.0, 12.0, 10.0],
        mql: 1.2,
        sql: 1.0,
        win: 1.0,
        handoff_hours: 3.0,
        cost_per_lead: 180.0,
        base_monthly: 3_000.0,
        cost_per_click: None,
        campaigns: &[
            "Webinar: Pipeline reviews that work",
            "Webinar: Forecasting without spreadsheets",
            "Webinar: Marketing and sales on one scorecard",
            "Webinar: Finding the bottleneck in your funnel",
            "Webinar: Attribution beyond last touch",
            "Webinar: Churn starts in support",
        ],
        rotating: true,
        pre: &[("visit", 0, 1, 5.0)],
        lead_kind: "form",
    },
    Channel {
        name: "events",
        mix: [2.0, 8.0, 16.0],
        mql: 1.1,
        sql: 1.05,
        win: 1.05,
        handoff_hours: 6.0,
        cost_per_lead: 650.0,
        base_monthly: 8_000.0,
        cost_per_click: None,
        campaigns: &[
            "RevOps Summit",
            "SaaS Growth Forum",
            "Pipeline Live Warsaw",
            "B2B Marketing Expo",
            "Customer Success Days",
            "Sales Leaders Breakfast",
        ],
        rotating: true,
        pre: &[],
        lead_kind: "event",
    },
    Channel {
        name: "referral",
        mix: [7.0, 6.0, 6.0],
        mql: 1.2,
        sql: 1.35,
        win: 1.3,
        handoff_hours: 1.5,
        cost_per_lead: 120.0,
        base_monthly: 1_000.0,
        cost_per_click: None,
        campaigns: &["Customer referral program"],
        rotating: false,
        pre: &[("visit", 1, 1, 1.0)],
        lead_kind: "form",
    },
    Channel {
        name: "partner",
        mix: [3.0, 8.0, 14.0],
        mql: 1.1,
        sql: 1.25,
        win: 1.2,
        handoff_hours: 3.0,
        cost_per_lead: 400.0,
        base_monthly: 2_000.0,
        cost_per_click: None,
        campaigns: &["Integrator partners", "Agency partners"],
        rotating: false,
        pre: &[],
        lead_kind: "form",
    },
    Channel {
        name: "outbound",
        mix: [4.0, 10.0, 18.0],
        // Without the planted problem (5) outbound replies qualify as usual.
        mql: 1.0,
        sql: 0.85,
        win: 0.9,
        handoff_hours: 1.0,
        cost_per_lead: 150.0,
        base_monthly: 3_000.0,
        cost_per_click: None,
        campaigns: &[
            "SDR sequence: SMB",
            "SDR sequence: mid-market",
            "SDR sequence: enterprise",
        ],
        rotating: false,
        // Sequenced emails sent by the SDR tool (run by marketing operations), before the
        // prospect replies; sales calls start only after the reply makes them an MQL.
        pre: &[("email_open", 1, 2, 12.0)],
        lead_kind: "email_click",
    },
    Channel {
        name: "content",
        mix: [8.0, 7.0, 6.0],
        mql: 0.95,
        sql: 0.9,
        win: 0.95,
        handoff_hours: 3.0,
        cost_per_lead: 90.0,
        base_monthly: 2_500.0,
        cost_per_click: None,
        campaigns: &[
            "Guide: Revenue operations 101",
            "State of RevOps report",
            "ROI calculator",
        ],
        rotating: false,
        pre: &[("visit", 1, 2, 15.0)],
        lead_kind: "form",
    },
    Channel {
        name: "direct",
        mix: [6.0, 5.0, 5.0],
        mql: 1.1,
        sql: 1.1,
        win: 1.05,
        handoff_hours: 2.0,
        cost_per_lead: 0.0,
        base_monthly: 0.0,
        cost_per_click: None,
        campaigns: &[],
        rotating: false,
        pre: &[("visit", 0, 2, 10.0)],
        lead_kind: "form",
    },
];

/// Channel of the sales team's own touches (and of sales costs in spend).
pub const SALES_CHANNEL: &str = "sales";
/// Channel of the service team's touches.
pub const SUPPORT_CHANNEL: &str = "support";

/// Touches that happen while a lead is nurtured: (channel, kind, weight).
pub const NURTURE: &[(usize, &str, f64)] = &[
    (EMAIL, "email_open", 30.0),
    (EMAIL, "email_click", 12.0),
    (ORGANIC, "visit", 12.0),
    (CONTENT, "visit", 10.0),
    (DIRECT, "visit", 8.0),
    (DISPLAY, "impression", 14.0),
    (PAID_SOCIAL, "impression", 6.0),
    (WEBINAR, "webinar", 4.0),
    (PAID_SEARCH, "click", 4.0),
];

/// A sales owner (account executive) with a skill factor on the win rate.
pub struct Owner {
    pub name: &'static str,
    pub skill: f64,
}

pub const OWNERS: &[Owner] = &[
    Owner {
        name: "Olivia Bennett",
        skill: 1.1,
    },
    Owner {
        name: "Marco Rossi",
        skill: 0.95,
    },
    Owner {
        name: "Zofia Kowalczyk",
        skill: 1.0,
    },
    Owner {
        name: "Daniel Kim",
        skill: 0.9,
    },
    Owner {
        name: "Priya Nair",
        skill: 1.1,
    },
    Owner {
        name: "Tomasz Wiśniewski",
        skill: 1.0,
    },
    Owner {
        name: "Hannah Becker",
        skill: 0.95,
    },
    Owner {
        name: "James O'Connor",
        skill: 1.05,
    },
    Owner {
        name: "Katarzyna Lewandowska",
        skill: 0.95,
    },
];
/// The owner whose deals close far worse when problems are planted.
pub const WEAK_OWNER: usize = 5;

/// Owners of one segment as a range of `OWNERS` (smb, mid-market, enterprise teams).
pub fn owners_of(segment: usize) -> std::ops::Range<usize> {
    match segment {
        SMB => 0..4,
        MID => 4..7,
        ENT => 7..9,
        _ => unreachable!("segment {segment}"),
    }
}

/// New-business deal stages in order, then the two closing stages.
pub const DEAL_STAGE_NAMES: [&str; 6] = [
    "discovery",
    "demo",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
];
pub const CLOSED_WON: u8 = 4;
pub const CLOSED_LOST: u8 = 5;
/// Where in the cycle each open stage begins, as a share of the cycle.
pub const DEAL_STAGE_AT: [f64; 4] = [0.0, 0.22, 0.5, 0.78];
/// The probability a rep writes on an open deal in that stage.
pub const DEAL_STAGE_PROBABILITY: [&str; 4] = ["0.1", "0.25", "0.5", "0.75"];
/// How lost deals are spread over the last stage they reached.
pub const LOST_AT_STAGE: [f64; 4] = [0.35, 0.3, 0.2, 0.15];
pub const LOST_REASONS: &[&str] = &[
    "price",
    "no_decision",
    "competitor",
    "timing",
    "missing_feature",
    "budget_cut",
];

pub const TICKET_CATEGORIES: [&str; 6] = [
    "billing",
    "bug",
    "how_to",
    "integration",
    "onboarding",
    "feature_request",
];
pub const TICKET_WEIGHTS: [f64; 6] = [15.0, 25.0, 25.0, 15.0, 10.0, 10.0];
pub const INTEGRATION: usize = 3;

pub const INDUSTRIES: &[&str] = &[
    "Software",
    "Financial services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
    "Media",
    "Professional services",
    "Telecommunications",
    "Energy",
    "Real estate",
];

/// (ISO code, top-level domain, phone prefix, weight)
pub const COUNTRIES: &[(&str, &str, &str, f64)] = &[
    ("US", "com", "+1", 38.0),
    ("GB", "co.uk", "+44", 12.0),
    ("DE", "de", "+49", 12.0),
    ("PL", "pl", "+48", 11.0),
    ("FR", "fr", "+33", 7.0),
    ("NL", "nl", "+31", 5.0),
    ("CA", "ca", "+1", 5.0),
    ("SE", "se", "+46", 4.0),
    ("ES", "es", "+34", 3.5),
    ("IT", "it", "+39", 2.5),
];

pub const TITLES: &[(&str, f64)] = &[
    ("Marketing Manager", 12.0),
    ("Head of Marketing", 8.0),
    ("Demand Generation Manager", 7.0),
    ("Marketing Operations Specialist", 6.0),
    ("Sales Manager", 10.0),
    ("VP Sales", 5.0),
    ("Revenue Operations Manager", 8.0),
    ("Chief Revenue Officer", 2.0),
    ("Director of Growth", 4.0),
    ("Customer Success Lead", 6.0),
    ("Data Analyst", 7.0),
    ("Account Executive", 6.0),
    ("CFO", 3.0),
    ("CEO", 4.0),
    ("Founder", 3.0),
];

/// (as written, ASCII form for addresses)
pub const FIRST_NAMES: &[(&str, &str)] = &[
    ("Anna", "anna"),
    ("Piotr", "piotr"),
    ("Katarzyna", "katarzyna"),
    ("Łukasz", "lukasz"),
    ("Małgorzata", "malgorzata"),
    ("Michał", "michal"),
    ("Agnieszka", "agnieszka"),
    ("Paweł", "pawel"),
    ("Joanna", "joanna"),
    ("Krzysztof", "krzysztof"),
    ("Ewa", "ewa"),
    ("Jakub", "jakub"),
    ("Emma", "emma"),
    ("Liam", "liam"),
    ("Olivia", "olivia"),
    ("Noah", "noah"),
    ("Sophia", "sophia"),
    ("James", "james"),
    ("Isabella", "isabella"),
    ("Lucas", "lucas"),
    ("Mia", "mia"),
    ("Ethan", "ethan"),
    ("Charlotte", "charlotte"),
    ("Benjamin", "benjamin"),
    ("Amelia", "amelia"),
    ("Henry", "henry"),
    ("Grace", "grace"),
    ("Samuel", "samuel"),
    ("Lena", "lena"),
    ("Felix", "felix"),
    ("Hannah", "hannah"),
    ("Jonas", "jonas"),
    ("Léa", "lea"),
    ("Hugo", "hugo"),
    ("Chloé", "chloe"),
    ("Louis", "louis"),
    ("Sofía", "sofia"),
    ("Mateo", "mateo"),
    ("Lucía", "lucia"),
    ("Giulia", "giulia"),
    ("Marco", "marco"),
    ("Elin", "elin"),
    ("Oskar", "oskar"),
    ("Sanne", "sanne"),
    ("Daan", "daan"),
    ("Priya", "priya"),
    ("Arjun", "arjun"),
    ("Mei", "mei"),
    ("Daniel", "daniel"),
    ("Sarah", "sarah"),
    ("David", "david"),
    ("Laura", "laura"),
    ("Thomas", "thomas"),
    ("Julia", "julia"),
    ("Adam", "adam"),
    ("Natalia", "natalia"),
    ("Tomasz", "tomasz"),
    ("Zofia", "zofia"),
    ("Marta", "marta"),
    ("Wojciech", "wojciech"),
    ("Aleksandra", "aleksandra"),
    ("Kacper", "kacper"),
];

pub const LAST_NAMES: &[(&str, &str)] = &[
    ("Nowak", "nowak"),
    ("Kowalski", "kowalski"),
    ("Wiśniewska", "wisniewska"),
    ("Wójcik", "wojcik"),
    ("Kamiński", "kaminski"),
    ("Lewandowska", "lewandowska"),
    ("Zieliński", "zielinski"),
    ("Szymańska", "szymanska"),
    ("Woźniak", "wozniak"),
    ("Dąbrowski", "dabrowski"),
    ("Kozłowska", "kozlowska"),
    ("Jankowski", "jankowski"),
    ("Mazur", "mazur"),
    ("Krawczyk", "krawczyk"),
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Wilson", "wilson"),
    ("Taylor", "taylor"),
    ("Clark", "clark"),
    ("Walker", "walker"),
    ("Hall", "hall"),
    ("Young", "young"),
    ("King", "king"),
    ("Wright", "wright"),
    ("Green", "green"),
    ("Baker", "baker"),
    ("Müller", "muller"),
    ("Schmidt", "schmidt"),
    ("Schneider", "schneider"),
    ("Fischer", "fischer"),
    ("Weber", "weber"),
    ("Wagner", "wagner"),
    ("Martin", "martin"),
    ("Bernard", "bernard"),
    ("Dubois", "dubois"),
    ("Lefèvre", "lefevre"),
    ("García", "garcia"),
    ("Fernández", "fernandez"),
    ("López", "lopez"),
    ("Rossi", "rossi"),
    ("Russo", "russo"),
    ("Bianchi", "bianchi"),
    ("Andersson", "andersson"),
    ("Johansson", "johansson"),
    ("de Vries", "devries"),
    ("Jansen", "jansen"),
    ("Patel", "patel"),
    ("Sharma", "sharma"),
    ("Chen", "chen"),
    ("Wang", "wang"),
    ("Kim", "kim"),
    ("Nguyen", "nguyen"),
    ("O'Brien", "obrien"),
    ("Murphy", "murphy"),
    ("Kowalczyk", "kowalczyk"),
    ("Pawlak", "pawlak"),
    ("Górski", "gorski"),
    ("Sikora", "sikora"),
    ("Walczak", "walczak"),
];

/// Company names are PREFIX + CORE + SUFFIX: 64 x 64 x 8 distinct names.
pub const COMPANY_PREFIX: &[&str] = &[
    "North", "Blue", "Silver", "Bright", "Red", "Green", "Iron", "Clear", "Swift", "Prime", "Nova",
    "Atlas", "Vista", "Summit", "River", "Stone", "Cedar", "Maple", "Oak", "Pine", "Harbor",
    "Coast", "Delta", "Echo", "Falcon", "Granite", "Horizon", "Insight", "Jade", "Keystone",
    "Lumen", "Meridian", "Nimbus", "Orbit", "Pioneer", "Quartz", "Radiant", "Sterling", "Tidal",
    "Union", "Vertex", "Willow", "Zenith", "Amber", "Beacon", "Cobalt", "Crystal", "Eagle",
    "Fjord", "Golden", "Highland", "Ivory", "Juniper", "Kestrel", "Lake", "Mosaic", "Noble",
    "Opal", "Polar", "Quest", "Rapid", "Sage", "True", "Wave",
];
pub const COMPANY_CORE: &[&str] = &[
    "wind", "field", "bridge", "point", "stream", "path", "line", "gate", "mark", "works", "light",
    "peak", "forge", "scale", "cloud", "logic", "metrics", "data", "flow", "sync", "grid", "link",
    "base", "core", "sphere", "pulse", "shift", "wave", "leaf", "rock", "star", "stack", "trail",
    "view", "ware", "wise", "yard", "bay", "crest", "dale", "ford", "hill", "land", "mont", "port",
    "ridge", "shore", "ton", "vale", "well", "byte", "cast", "dash", "hub", "labs", "loop", "nest",
    "quant", "ray", "soft", "spark", "tech", "tide", "verse",
];
pub const COMPANY_SUFFIX: &[&str] = &[
    "",
    " Group",
    " Systems",
    " Solutions",
    " Analytics",
    " Partners",
    " Labs",
    " Industries",
];

pub const FREEMAIL: &[&str] = &["gmail.com", "outlook.com", "proton.me", "icloud.com"];

#[cfg(test)]
mod tests {
    use super::*;
    use revline_core::normalize::snake_case;

    #[test]
    fn indices_name_the_right_channels() {
        let named = [
            (PAID_SEARCH, "paid_search"),
            (PAID_SOCIAL, "paid_social"),
            (DISPLAY, "display"),
            (ORGANIC, "organic_search"),
            (EMAIL, "email"),
            (WEBINAR, "webinar"),
            (CONTENT, "content"),
            (DIRECT, "direct"),
        ];
        for (i, name) in named {
            assert_eq!(CHANNELS[i].name, name);
        }
        assert!(owners_of(MID).contains(&WEAK_OWNER));
        assert_eq!(owners_of(ENT).end, OWNERS.len());
        assert_eq!(TICKET_CATEGORIES[INTEGRATION], "integration");
        assert_eq!(owners_of(SMB).end, owners_of(MID).start);
        assert_eq!(owners_of(MID).end, owners_of(ENT).start);
    }

    #[test]
    fn names_are_already_canonical() {
        for c in CHANNELS {
            assert_eq!(snake_case(c.name), c.name);
        }
        for s in DEAL_STAGE_NAMES.iter().chain(&SEGMENTS) {
            assert_eq!(snake_case(s), *s);
        }
        for (_, ascii) in FIRST_NAMES.iter().chain(LAST_NAMES) {
            assert!(ascii.bytes().all(|b| b.is_ascii_lowercase()), "{ascii}");
        }
        assert_eq!(COMPANY_PREFIX.len(), 64);
        assert_eq!(COMPANY_CORE.len(), 64);
        assert_eq!(COMPANY_SUFFIX.len(), 8);
    }
}
