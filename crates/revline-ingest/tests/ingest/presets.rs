// The built-in presets against small exports written the way HubSpot, Salesforce and
// Pipedrive write them: which entry each file matches, and the exact records that land.

use revline_core::time::format_timestamp;
use revline_core::{FieldType, Record, RecordKind, Value};
use revline_ingest::presets::{PRESETS, preset};
use revline_ingest::summary::ImportSummary;
use revline_ingest::{ImportOptions, NoProgress, import_path};
use revline_store::Store;
use revline_store::testing::{self, TempSqlite};

/// One export file: its name as the CRM suggests it, the kind it must land as, its text.
#[derive(Clone, Copy)]
struct Sample {
    name: &'static str,
    kind: RecordKind,
    csv: &'static str,
}

const HUBSPOT: &[Sample] = &[
    Sample {
        name: "hubspot-crm-exports-all-contacts-2024-03-07.csv",
        kind: RecordKind::Contacts,
        csv: "\
Record ID,First Name,Last Name,Email,Phone Number,Job Title,Contact owner,Lifecycle Stage,Company Name,Associated Company IDs (Primary),Create Date,Favourite colour
51,Ada,Lovelace,Ada@Example.com,+44 20 7946 0000,CTO,Sam Sales,Customer,Analytical Engines,9001,2024-01-15 09:30,teal
52,Grace,Hopper,grace@navy.example,,Rear Admiral,Kim Closer,Lead,,,2024-02-01 14:07,
",
    },
    Sample {
        name: "hubspot-crm-exports-all-companies-2024-03-07.csv",
        kind: RecordKind::Accounts,
        csv: "\
Record ID,Company name,Company Domain Name,Industry,Country/Region,Company owner,Create Date,Number of Employees
9001,Analytical Engines,engines.example,Computer Software,United Kingdom,Sam Sales,2023-11-02 10:00,120
",
    },
    Sample {
        name: "hubspot-crm-exports-all-deals-2024-03-07.csv",
        kind: RecordKind::Deals,
        csv: "\
Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date,Create Date,Deal owner,Deal probability,Closed Lost Reason,Associated Company IDs (Primary),Associated Contact IDs,Deal Type
701,Engines - Platform,Sales Pipeline,Closed Won,12500.50,2024-03-01 16:00,2024-01-20 11:00,Sam Sales,1,,9001,51,New Business
702,Engines - Expansion,Sales Pipeline,Contract Sent,4000,2024-04-30 00:00,2024-02-10 09:15,Sam Sales,0.9,,9001,,Existing Business
703,Hopper - Pilot,Sales Pipeline,closedlost,800,2024-02-28 12:00,2024-02-02 10:00,Kim Closer,0,Budget,,52,New Business
",
    },
];

const SALESFORCE_REPORTS: &[Sample] = &[
    Sample {
        name: "report1709812340000.csv",
        kind: RecordKind::Accounts,
        csv: r#""Account Owner","Account Name","Account ID","Type","Industry","Billing Country","Created Date","Website"
"Sam Sales","Acme Corp","0015g00000AcmeAAA","Customer","Manufacturing","United States","11/20/2023","https://acme.example"
"Kim Closer","Globex","0015g00000GlobAAA","Prospect","Energy","Germany","12/1/2023",""
"#,
    },
    Sample {
        name: "report1709812341000.csv",
        kind: RecordKind::Contacts,
        csv: r#""Contact Owner","First Name","Last Name","Title","Account Name","Account ID","Email","Phone","Lead Source","Contact ID","Created Date","Mailing City"
"Sam Sales","Wile","Coyote","Head of Procurement","Acme Corp","0015g00000AcmeAAA","Wile@Acme.example","+1 555 0100","Web","0035g00000WileAAA","11/21/2023","Phoenix"
"#,
    },
    Sample {
        name: "report1709812342000.csv",
        kind: RecordKind::Contacts,
        csv: r#""Lead Owner","First Name","Last Name","Title","Company / Account","Email","Lead Source","Lead Status","Lead ID","Created Date"
"Kim Closer","Hank","Scorpio","CEO","Globex","hank@globex.example","Trade Show","Working - Contacted","00Q5g00000HankAAA","1/2/2024"
"#,
    },
    Sample {
        name: "report1709812343000.csv",
        kind: RecordKind::Deals,
        csv: r#""Opportunity Owner","Account Name","Account ID","Opportunity Name","Opportunity ID","Stage","Amount Currency","Amount","Probability (%)","Close Date","Created Date","Won","Closed","Next Step"
"Sam Sales","Acme Corp","0015g00000AcmeAAA","Acme - 500 seats","0065g00000Opp1AAA","Closed Won","USD","25000.00","100","3/5/2024","1/10/2024","1","1",""
"Sam Sales","Acme Corp","0015g00000AcmeAAA","Acme - EU rollout","0065g00000Opp2AAA","Proposal/Price Quote","EUR","9000.00","75","6/30/2024","2/1/2024","0","0","Send MSA"
"Kim Closer","Globex","0015g00000GlobAAA","Globex - Pilot","0065g00000Opp3AAA","Closed Lost","USD","1200.00","0","2/29/2024","1/3/2024","0","1",""
"#,
    },
];

/// The weekly Data Export's files, and a Data Loader extract (capital headers).
const SALESFORCE_API: &[Sample] = &[
    Sample {
        name: "Account.csv",
        kind: RecordKind::Accounts,
        csv: r#""Id","IsDeleted","Name","Type","BillingCountry","Industry","AnnualRevenue","OwnerId","CreatedDate"
"0015g00000AcmeAAA","false","Acme Corp","Customer","United States","Manufacturing","5000000","0055g00000SamAAA","2023-11-20T15:04:05.000Z"
"#,
    },
    Sample {
        name: "Contact.csv",
        kind: RecordKind::Contacts,
        csv: r#""Id","IsDeleted","AccountId","LastName","FirstName","Name","Title","Email","Phone","LeadSource","OwnerId","CreatedDate","Department"
"0035g00000WileAAA","false","0015g00000AcmeAAA","Coyote","Wile","Wile Coyote","Head of Procurement","wile@acme.example","+1 555 0100","Web","0055g00000SamAAA","2023-11-21T08:00:00.000Z","Purchasing"
"#,
    },
    Sample {
        name: "Lead.csv",
        kind: RecordKind::Contacts,
        csv: r#""Id","IsDeleted","LastName","FirstName","Name","Title","Company","Email","Phone","LeadSource","Status","OwnerId","IsConverted","CreatedDate"
"00Q5g00000HankAAA","false","Scorpio","Hank","Hank Scorpio","CEO","Globex","hank@globex.example","","Trade Show","Working - Contacted","0055g00000KimAAA","false","2024-01-02T10:30:00.000Z"
"#,
    },
    Sample {
        name: "extract.csv",
        kind: RecordKind::Deals,
        csv: r#""ID","ACCOUNTID","CONTACTID","NAME","STAGENAME","AMOUNT","PROBABILITY","CLOSEDATE","ISCLOSED","ISWON","OWNERID","CREATEDDATE","FORECASTCATEGORYNAME"
"0065g00000Opp1AAA","0015g00000AcmeAAA","0035g00000WileAAA","Acme - 500 seats","Closed Won","25000.0","100.0","2024-03-05","true","true","0055g00000SamAAA","2024-01-10T09:00:00.000Z","Closed"
"0065g00000Opp4AAA","0015g00000AcmeAAA","","Acme - Renewal","Negotiation/Review","15000.0","90.0","2024-12-31","false","false","0055g00000SamAAA","2024-02-15T12:00:00.000Z","Commit"
"#,
    },
];

const PIPEDRIVE: &[Sample] = &[
    Sample {
        name: "deals-8861234-17.csv",
        kind: RecordKind::Deals,
        csv: "\
Deal - ID,Deal - Title,Deal - Creator,Deal - Owner,Deal - Value,Deal - Currency of Value,Deal - Weighted value,Deal - Probability,Deal - Organization,Deal - Organization ID,Deal - Pipeline,Deal - Contact person,Deal - Contact person ID,Deal - Stage,Deal - Status,Deal - Deal created,Deal - Expected close date,Deal - Deal closed on,Deal - Won time,Deal - Lost time,Deal - Lost reason,Deal - Source channel
11,Kowalski Sp. z o.o. - CRM rollout,Ola Admin,Ola Sales,48000,PLN,48000,100,Kowalski Sp. z o.o.,3,Main,Jan Kowalski,21,Negotiation,Won,2024-01-08 09:12:44,2024-03-31,2024-03-04 15:20:00,2024-03-04 15:20:00,,,Referral
12,Nowak Ltd - Support plan,Ola Admin,Piotr Sales,1500.5,EUR,750.25,50,Nowak Ltd,4,Main,,,Proposal made,Open,2024-02-19 11:00:00,2024-05-15,,,,,
13,Jan Kowalski - Training,Ola Admin,Ola Sales,900,PLN,0,,,,Main,Jan Kowalski,21,Qualified,Lost,2024-02-01 08:00:00,2024-02-28,2024-02-20 10:00:00,,2024-02-20 10:00:00,Went with a competitor,
",
    },
    Sample {
        name: "people-8861234-17.csv",
        kind: RecordKind::Contacts,
        csv: "\
Person - ID,Person - Name,Person - First name,Person - Last name,Person - Organization,Person - Organization ID,Person - Email - Work,Person - Email - Home,Person - Phone - Work,Person - Job title,Person - Owner,Person - Labels,Person - Person created,Person - Update time
21,Jan Kowalski,Jan,Kowalski,Kowalski Sp. z o.o.,3,jan@kowalski.example,jan.k@home.example,+48 22 123 45 67,CEO,Ola Sales,Hot,2023-12-01 10:00:00,2024-03-04 15:21:00
22,Anna Nowak,Anna,Nowak,Nowak Ltd,4,,anna@home.example,,,Piotr Sales,,2024-02-18 16:45:10,2024-02-19 11:00:00
",
    },
    Sample {
        name: "organizations-8861234-17.csv",
        kind: RecordKind::Accounts,
        csv: "\
Organization - ID,Organization - Name,Organization - Owner,Organization - Industry,Organization - Country of Address,Organization - Website,Organization - Organization created,Organization - Update time,Organization - Open deals
3,Kowalski Sp. z o.o.,Ola Sales,Software,Poland,https://kowalski.example,2023-12-01 09:58:00,2024-03-04 15:21:00,0
4,Nowak Ltd,Piotr Sales,,United Kingdom,,2024-02-18 16:40:00,2024-02-19 11:00:00,1
",
    },
];

/// Every sample of a preset (the Salesforce ones in both styles).
fn samples(preset_name: &str) -> Vec<&'static Sample> {
    match preset_name {
        "hubspot" => HUBSPOT.iter().collect(),
        "salesforce" => SALESFORCE_REPORTS.iter().chain(SALESFORCE_API).collect(),
        "pipedrive" => PIPEDRIVE.iter().collect(),
        other => panic!("no samples for {other}"),
    }
}

fn header(csv: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect()
}

/// Imports the files as one folder with the preset and returns the store and summary.
async fn import(preset_name: &str, files: &[Sample]) -> (TempSqlite, ImportSummary) {
    let db = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        std::fs::write(dir.path().join(f.name), f.csv).unwrap();
    }
    let options = ImportOptions {
        mapping: preset(preset_name).unwrap(),
        now: 0,
        ..Default::default()
    };
    let summary = import_path(&db.store, dir.path(), &options, &NoProgress)
        .await
        .expect("import runs");
    (db, summary)
}

/// Each file read in full as the kind its sample names, nothing rejected or skipped.
fn assert_clean(summary: &ImportSummary, files: &[Sample]) {
    assert!(summary.skipped.is_empty(), "{:#?}", summary.skipped);
    let mut landed: Vec<(&str, &str, u64, u64)> = summary
        .files
        .iter()
        .map(|f| (f.file.as_str(), f.kind.as_str(), f.read, f.rejected))
        .collect();
    landed.sort();
    let mut expected: Vec<(&str, &str, u64, u64)> = files
        .iter()
        .map(|s| (s.name, s.kind.name(), s.csv.lines().count() as u64 - 1, 0))
        .collect();
    expected.sort();
    assert_eq!(landed, expected, "{summary:#?}");
}

/// A record as one line: id, every non-empty column (instants in ISO form), then props.
fn show(r: &Record) -> String {
    let mut parts = vec![r.id.clone()];
    for (field, value) in r.kind.columns().zip(&r.values) {
        let text = match value {
            Value::Null => continue,
            Value::Int(ms) if field.ty == FieldType::Timestamp => format_timestamp(*ms),
            Value::Int(i) => i.to_string(),
            Value::Text(t) => t.clone(),
        };
        parts.push(format!("{}={text}", field.name));
    }
    parts.extend(r.props.iter().map(|(k, v)| format!("[{k}]={v}")));
    parts.join(" | ")
}

async fn stored(store: &dyn Store, kind: RecordKind) -> Vec<String> {
    let mut rows: Vec<String> = store
        .read_page(kind, None, 100)
        .await
        .unwrap()
        .iter()
        .map(show)
        .collect();
    rows.sort();
    rows
}

#[test]
fn each_export_matches_exactly_the_entry_meant_for_it() {
    for name in PRESETS {
        let mapping = preset(name).unwrap();
        for sample in samples(name) {
            let kinds: Vec<RecordKind> = mapping
                .matching(sample.name, Some(&header(sample.csv)))
                .iter()
                .map(|e| e.kind())
                .collect();
            assert_eq!(kinds, vec![sample.kind], "{name}: {}", sample.name);
        }
        // Another CRM's exports are not mistaken for this one's.
        for other in PRESETS.iter().filter(|o| *o != name) {
            for sample in samples(other) {
                let entries = mapping.matching(sample.name, Some(&header(sample.csv)));
                assert!(
                    entries.is_empty(),
                    "{name} claims {other}'s {}",
                    sample.name
                );
            }
        }
    }
}

#[test]
fn near_miss_headers_match_nothing() {
    let cases: &[(&str, &[&str])] = &[
        // A Salesforce OpportunityLineItem export: an OpportunityId, no stage.
        (
            "salesforce",
            &[
                "Id",
                "OpportunityId",
                "Product2Id",
                "Quantity",
                "UnitPrice",
                "CreatedDate",
            ],
        ),
        // A Salesforce User export: LastName, AccountId and Email, but no OwnerId.
        (
            "salesforce",
            &[
                "Id",
                "Username",
                "LastName",
                "FirstName",
                "Name",
                "CompanyName",
                "Email",
                "AccountId",
                "CreatedDate",
            ],
        ),
        // An opportunities report without the opportunity id cannot be keyed.
        (
            "salesforce",
            &[
                "Opportunity Owner",
                "Account Name",
                "Opportunity Name",
                "Stage",
                "Amount",
                "Close Date",
            ],
        ),
        // A Pipedrive deals list that shows its contact person's id and name: still
        // only a deals export (checked below), not a people export.
        (
            "pipedrive",
            &["Person - ID", "Person - Name", "Person - Email - Work"],
        ),
        // A HubSpot tickets export.
        (
            "hubspot",
            &["Record ID", "Ticket name", "Pipeline", "Ticket status"],
        ),
    ];
    for (name, columns) in cases {
        let mapping = preset(name).unwrap();
        let header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        assert!(
            mapping.matching("export.csv", Some(&header)).is_empty(),
            "{name}: {columns:?}"
        );
    }
    let pipedrive = preset("pipedrive").unwrap();
    let deals_with_person: Vec<String> = [
        "Deal - ID",
        "Deal - Title",
        "Deal - Status",
        "Person - ID",
        "Person - Name",
    ]
    .map(String::from)
    .to_vec();
    let kinds: Vec<RecordKind> = pipedrive
        .matching("deals.csv", Some(&deals_with_person))
        .iter()
        .map(|e| e.kind())
        .collect();
    assert_eq!(kinds, vec![RecordKind::Deals]);
    // OpportunityHistory has StageName and CloseDate but no AccountId: stage history,
    // not opportunities.
    let history: Vec<String> = [
        "Id",
        "OpportunityId",
        "StageName",
        "Amount",
        "CloseDate",
        "Probability",
        "CreatedDate",
    ]
    .map(String::from)
    .to_vec();
    let kinds: Vec<RecordKind> = preset("salesforce")
        .unwrap()
        .matching("OpportunityHistory.csv", Some(&history))
        .iter()
        .map(|e| e.kind())
        .collect();
    assert_eq!(kinds, vec![RecordKind::DealStages]);
}

#[tokio::test]
async fn hubspot_contacts_companies_and_deals() {
    let (db, summary) = import("hubspot", HUBSPOT).await;
    assert_clean(&summary, HUBSPOT);
    assert_eq!(
        stored(&db.store, RecordKind::Accounts).await,
        [
            "9001 | name=Analytical Engines | domain=engines.example | industry=Computer Software \
             | country=United Kingdom | owner=Sam Sales | created_at=2023-11-02T10:00:00Z \
             | [Number of Employees]=120"
        ]
    );
    assert_eq!(
        stored(&db.store, RecordKind::Contacts).await,
        [
            "51 | email=ada@example.com | phone=+44 20 7946 0000 | title=CTO | account_id=9001 \
             | owner=Sam Sales | created_at=2024-01-15T09:30:00Z | [Company Name]=Analytical Engines \
             | [Favourite colour]=teal | [First Name]=Ada | [Last Name]=Lovelace \
             | [Lifecycle Stage]=Customer",
            "52 | email=grace@navy.example | title=Rear Admiral | owner=Kim Closer \
             | created_at=2024-02-01T14:07:00Z | [First Name]=Grace | [Last Name]=Hopper \
             | [Lifecycle Stage]=Lead",
        ]
    );
    assert_eq!(
        stored(&db.store, RecordKind::Deals).await,
        [
            "701 | contact_id=51 | account_id=9001 | name=Engines - Platform | owner=Sam Sales \
             | pipeline=Sales Pipeline | stage=closed_won | amount=1250050 | currency=USD \
             | created_at=2024-01-20T11:00:00Z | expected_close_at=2024-03-01T16:00:00Z \
             | closed_at=2024-03-01T16:00:00Z | status=won | probability=1 \
             | [Deal Type]=New Business",
            "702 | account_id=9001 | name=Engines - Expansion | owner=Sam Sales \
             | pipeline=Sales Pipeline | stage=contract_sent | amount=400000 | currency=USD \
             | created_at=2024-02-10T09:15:00Z | expected_close_at=2024-04-30T00:00:00Z \
             | closed_at=2024-04-30T00:00:00Z | status=open | probability=0.9 \
             | [Deal Type]=Existing Business",
            "703 | contact_id=52 | name=Hopper - Pilot | owner=Kim Closer | pipeline=Sales Pipeline \
             | stage=closedlost | amount=80000 | currency=USD | created_at=2024-02-02T10:00:00Z \
             | expected_close_at=2024-02-28T12:00:00Z | closed_at=2024-02-28T12:00:00Z \
             | status=lost | lost_reason=Budget | probability=0 | [Deal Type]=New Business",
        ]
    );
}

#[tokio::test]
async fn hubspot_deal_with_several_contacts_takes_the_first_and_keeps_them_all() {
    let files = [
        HUBSPOT[0],
        HUBSPOT[1],
        Sample {
            name: "deals.csv",
            kind: RecordKind::Deals,
            csv: "\
Record ID,Deal Name,Deal Stage,Create Date,Associated Contact IDs,Is Closed Won,Is closed lost
704,Shared deal,Appointment Scheduled,2024-03-01 10:00,51;52,false,false
705,Nobody's deal,Dead Deals,2024-03-02 10:00,,false,true
",
        },
    ];
    let (db, summary) = import("hubspot", &files).await;
    let deals = summary.files.iter().find(|f| f.kind == "deals").unwrap();
    assert_eq!(
        (deals.read, deals.inserted, deals.rejected),
        (2, 2, 0),
        "{:?}",
        deals.errors
    );
    assert_eq!(deals.warnings.len(), 1);
    assert_eq!(deals.warnings[0].code, "first_of_several");
    assert_eq!(deals.warnings[0].line, 2);
    assert_eq!(
        stored(&db.store, RecordKind::Deals).await,
        [
            "704 | contact_id=51 | name=Shared deal | stage=appointment_scheduled | currency=USD \
             | created_at=2024-03-01T10:00:00Z | status=open \
             | [Associated Contact IDs]=51;52 | [Is Closed Won]=false | [Is closed lost]=false",
            "705 | name=Nobody's deal | stage=dead_deals | currency=USD | created_at=2024-03-02T10:00:00Z \
             | status=lost | [Is Closed Won]=false | [Is closed lost]=true",
        ]
    );
}

#[tokio::test]
async fn salesforce_report_exports() {
    let (db, summary) = import("salesforce", SALESFORCE_REPORTS).await;
    assert_clean(&summary, SALESFORCE_REPORTS);
    assert_eq!(
        stored(&db.store, RecordKind::Accounts).await,
        [
            "0015g00000AcmeAAA | name=Acme Corp | industry=Manufacturing | country=United States \
             | owner=Sam Sales | created_at=2023-11-20T00:00:00Z | [Type]=Customer \
             | [Website]=https://acme.example",
            "0015g00000GlobAAA | name=Globex | industry=Energy | country=Germany | owner=Kim Closer \
             | created_at=2023-12-01T00:00:00Z | [Type]=Prospect",
        ]
    );
    assert_eq!(
        stored(&db.store, RecordKind::Contacts).await,
        [
            "0035g00000WileAAA | email=wile@acme.example | phone=+1 555 0100 \
             | title=Head of Procurement | account_id=0015g00000AcmeAAA | owner=Sam Sales \
             | source=Web | created_at=2023-11-21T00:00:00Z | [Account Name]=Acme Corp \
             | [First Name]=Wile | [Last Name]=Coyote | [Mailing City]=Phoenix",
            "00Q5g00000HankAAA | email=hank@globex.example | title=CEO | owner=Kim Closer \
             | source=Trade Show | created_at=2024-01-02T00:00:00Z | [Company / Account]=Globex \
             | [First Name]=Hank | [Last Name]=Scorpio | [Lead Status]=Working - Contacted",
        ]
    );
    assert_eq!(
        stored(&db.store, RecordKind::Deals).await,
        [
            "0065g00000Opp1AAA | account_id=0015g00000AcmeAAA | name=Acme - 500 seats \
             | owner=Sam Sales | stage=closed_won | amount=2500000 | currency=USD \
             | created_at=2024-01-10T00:00:00Z | expected_close_at=2024-03-05T00:00:00Z \
             | closed_at=2024-03-05T00:00:00Z | status=won | probability=1 \
             | [Account Name]=Acme Corp | [Closed]=1 | [Won]=1",
            "0065g00000Opp2AAA | account_id=0015g00000AcmeAAA | name=Acme - EU rollout \
             | owner=Sam Sales | stage=proposal_price_quote | amount=900000 | currency=EUR \
             | created_at=2024-02-01T00:00:00Z | expected_close_at=2024-06-30T00:00:00Z \
             | closed_at=2024-06-30T00:00:00Z | status=open | probability=0.75 \
             | [Account Name]=Acme Corp | [Closed]=0 | [Next Step]=Send MSA | [Won]=0",
            "0065g00000Opp3AAA | account_id=0015g00000GlobAAA | name=Globex - Pilot \
             | owner=Kim Closer | stage=closed_lost | amount=120000 | currency=USD \
             | created_at=2024-01-03T00:00:00Z | expected_close_at=2024-02-29T00:00:00Z \
             | closed_at=2024-02-29T00:00:00Z | status=lost | probability=0 \
             | [Account Name]=Globex | [Closed]=1 | [Won]=0",
        ]
    );
}

#[tokio::test]
async fn salesforce_data_export_and_data_loader_files() {
    let (db, summary) = import("salesforce", SALESFORCE_API).await;
    assert_clean(&summary, SALESFORCE_API);
    assert_eq!(
        stored(&db.store, RecordKind::Accounts).await,
        [
            "0015g00000AcmeAAA | name=Acme Corp | industry=Manufacturing | country=United States \
             | owner=0055g00000SamAAA | created_at=2023-11-20T15:04:05Z | [AnnualRevenue]=5000000 \
             | [IsDeleted]=false | [Type]=Customer"
        ]
    );
    assert_eq!(
        stored(&db.store, RecordKind::Contacts).await,
        [
            "0035g00000WileAAA | email=wile@acme.example | name=Wile Coyote | phone=+1 555 0100 \
             | title=Head of Procurement | account_id=0015g00000AcmeAAA | owner=0055g00000SamAAA \
             | source=Web | created_at=2023-11-21T08:00:00Z | [Department]=Purchasing \
             | [FirstName]=Wile | [IsDeleted]=false | [LastName]=Coyote",
            "00Q5g00000HankAAA | email=hank@globex.example | name=Hank Scorpio | title=CEO \
             | owner=0055g00000KimAAA | source=Trade Show | created_at=2024-01-02T10:30:00Z \
             | [Company]=Globex | [FirstName]=Hank | [IsConverted]=false | [IsDeleted]=false \
             | [LastName]=Scorpio | [Status]=Working - Contacted",
        ]
    );
    assert_eq!(
        stored(&db.store, RecordKind::Deals).await,
        [
            "0065g00000Opp1AAA | contact_id=0035g00000WileAAA | account_id=0015g00000AcmeAAA \
             | name=Acme - 500 seats | owner=0055g00000SamAAA | stage=closed_won | amount=2500000 \
             | currency=USD | created_at=2024-01-10T09:00:00Z | expected_close_at=2024-03-05T00:00:00Z \
             | closed_at=2024-03-05T00:00:00Z | status=won | probability=1 \
             | [FORECASTCATEGORYNAME]=Closed | [ISCLOSED]=true | [ISWON]=true",
            "0065g00000Opp4AAA | account_id=0015g00000AcmeAAA | name=Acme - Renewal \
             | owner=0055g00000SamAAA | stage=negotiation_review | amount=1500000 | currency=USD \
             | created_at=2024-02-15T12:00:00Z | expected_close_at=2024-12-31T00:00:00Z \
             | closed_at=2024-12-31T00:00:00Z | status=open | probability=0.9 \
             | [FORECASTCATEGORYNAME]=Commit | [ISCLOSED]=false | [ISWON]=false",
        ]
    );
}

#[tokio::test]
async fn pipedrive_deals_people_and_organizations() {
    let (db, summary) = import("pipedrive", PIPEDRIVE).await;
    assert_clean(&summary, PIPEDRIVE);
    assert_eq!(
        stored(&db.store, RecordKind::Accounts).await,
        [
            "3 | name=Kowalski Sp. z o.o. | industry=Software | country=Poland | owner=Ola Sales \
             | created_at=2023-12-01T09:58:00Z | [Organization - Open deals]=0 \
             | [Organization - Update time]=2024-03-04 15:21:00 \
             | [Organization - Website]=https://kowalski.example",
            "4 | name=Nowak Ltd | country=United Kingdom | owner=Piotr Sales \
             | created_at=2024-02-18T16:40:00Z | [Organization - Open deals]=1 \
             | [Organization - Update time]=2024-02-19 11:00:00",
        ]
    );
    assert_eq!(
        stored(&db.store, RecordKind::Contacts).await,
        [
            "21 | email=jan@kowalski.example | name=Jan Kowalski | phone=+48 22 123 45 67 | title=CEO \
             | account_id=3 | owner=Ola Sales | created_at=2023-12-01T10:00:00Z \
             | [Person - Email - Home]=jan.k@home.example | [Person - First name]=Jan \
             | [Person - Labels]=Hot | [Person - Last name]=Kowalski \
             | [Person - Organization]=Kowalski Sp. z o.o. | [Person - Update time]=2024-03-04 15:21:00",
            "22 | email=anna@home.example | name=Anna Nowak | account_id=4 | owner=Piotr Sales | created_at=2024-02-18T16:45:10Z \
             | [Person - Email - Home]=anna@home.example | [Person - First name]=Anna \
             | [Person - Last name]=Nowak | [Person - Organization]=Nowak Ltd \
             | [Person - Update time]=2024-02-19 11:00:00",
        ]
    );
    assert_eq!(
        stored(&db.store, RecordKind::Deals).await,
        [
            "11 | contact_id=21 | account_id=3 | name=Kowalski Sp. z o.o. - CRM rollout \
             | owner=Ola Sales | pipeline=Main | stage=negotiation | amount=4800000 | currency=PLN \
             | created_at=2024-01-08T09:12:44Z | expected_close_at=2024-03-31T00:00:00Z \
             | closed_at=2024-03-04T15:20:00Z | status=won | probability=1 \
             | [Deal - Contact person]=Jan Kowalski | [Deal - Creator]=Ola Admin \
             | [Deal - Organization]=Kowalski Sp. z o.o. | [Deal - Source channel]=Referral \
             | [Deal - Weighted value]=48000 | [Deal - Won time]=2024-03-04 15:20:00",
            "12 | account_id=4 | name=Nowak Ltd - Support plan | owner=Piotr Sales | pipeline=Main \
             | stage=proposal_made | amount=150050 | currency=EUR | created_at=2024-02-19T11:00:00Z \
             | expected_close_at=2024-05-15T00:00:00Z | status=open | probability=0.5 \
             | [Deal - Creator]=Ola Admin | [Deal - Organization]=Nowak Ltd \
             | [Deal - Weighted value]=750.25",
            "13 | contact_id=21 | name=Jan Kowalski - Training | owner=Ola Sales | pipeline=Main \
             | stage=qualified | amount=90000 | currency=PLN | created_at=2024-02-01T08:00:00Z \
             | expected_close_at=2024-02-28T00:00:00Z | closed_at=2024-02-20T10:00:00Z \
             | status=lost | lost_reason=Went with a competitor \
             | [Deal - Contact person]=Jan Kowalski | [Deal - Creator]=Ola Admin \
             | [Deal - Lost time]=2024-02-20 10:00:00 | [Deal - Weighted value]=0",
        ]
    );
}

/// Headers of exports made in other languages, as genuine exports write them: each is
/// recognised as the kind it holds, and by no other CRM's preset.
#[test]
fn translated_exports_are_recognised() {
    let cases: &[(&str, &str, &[&str], &[RecordKind])] = &[
        (
            "hubspot",
            "hs_export_ejemplo.csv",
            &[
                "ID de registro",
                "Nombre",
                "Apellidos",
                "Correo",
                "Número de teléfono",
                "Propietario del contacto",
                "Estado del lead",
                "Fecha de creación",
            ],
            &[RecordKind::Contacts],
        ),
        (
            "hubspot",
            "entreprises.csv",
            &[
                "ID de registro",
                "Nombre de la empresa",
                "Propietario del registro de empresa",
                "Ciudad",
                "País/región",
                "Sector",
            ],
            &[RecordKind::Accounts],
        ),
        (
            "hubspot",
            "negocios.csv",
            &[
                "ID do registro",
                "Nome do negócio",
                "Etapa do negócio",
                "Proprietário do negócio",
                "Data de fechamento",
                "Data de criação",
                "Valor",
            ],
            &[RecordKind::Deals],
        ),
        (
            "pipedrive",
            "deals.csv",
            &[
                "Deal - ID",
                "Deal - Titel",
                "Deal - Wert",
                "Deal - Status",
                "Deal - Phase",
                "Deal - Deal erstellt",
            ],
            &[RecordKind::Deals],
        ),
        (
            "pipedrive",
            "negocios.csv",
            &[
                "Negócio - ID",
                "Negócio - Título",
                "Negócio - Valor",
                "Negócio - Status",
                "Negócio - Negócio criado em",
                "Negócio - Ganho em",
            ],
            &[RecordKind::Deals],
        ),
        (
            "hubspot",
            "hubspot-crm-exports-alle-kontakte-2026-04-09.csv",
            &[
                "Datensatz-ID",
                "Vorname",
                "Nachname",
                "E-Mail",
                "Telefonnummer",
                "Firmenname",
                "Lifecycle-Phase",
                "Erstellungsdatum",
            ],
            &[RecordKind::Contacts],
        ),
        (
            "pipedrive",
            "affaires.csv",
            &[
                "Affaire - ID",
                "Affaire - Titre",
                "Affaire - Valeur",
                "Affaire - Statut",
                "Affaire - Étape",
                "Affaire - Affaire créée",
                "Affaire - Heure de la conclusion",
            ],
            &[RecordKind::Deals],
        ),
        (
            "pipedrive",
            "deals-21427617-53.csv",
            &[
                "ID",
                "Title",
                "Owner",
                "Value",
                "Status",
                "Deal created",
                "Won time",
            ],
            &[RecordKind::Deals],
        ),
        (
            "pipedrive",
            "people-21427617-47.csv",
            &[
                "ID",
                "Nome",
                "E-mail - Trabalho",
                "Pessoa criada",
                "ID da organização",
            ],
            &[RecordKind::Contacts],
        ),
        (
            "pipedrive",
            "organizations-21427617-46.csv",
            &[
                "ID",
                "Nome",
                "Proprietário",
                "Organização criada",
                "País de Endereço",
            ],
            &[RecordKind::Accounts],
        ),
    ];
    for (name, file, columns, kinds) in cases {
        let header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        for other in PRESETS {
            let found: Vec<RecordKind> = preset(other)
                .unwrap()
                .matching(file, Some(&header))
                .iter()
                .map(|e| e.kind())
                .collect();
            let want: &[RecordKind] = if other == name { kinds } else { &[] };
            assert_eq!(found, want, "{other} on {name}'s {file}");
        }
    }
}

#[tokio::test]
async fn a_pipedrive_export_in_portuguese_lands_with_its_statuses() {
    let files = [Sample {
        name: "negocios.csv",
        kind: RecordKind::Deals,
        csv: "\
Negócio - ID,Negócio - Título,Negócio - Valor,Negócio - Status,Negócio - Negócio criado em,Negócio - Ganho em,Negócio - Data de perda
1,Loja A,1500,Ganho,2024-01-10 09:00:00,2024-02-01 10:00:00,
2,Loja B,800,Perdido,2024-01-12 09:00:00,,2024-02-03 11:00:00
3,Loja C,,Aberto,2024-01-15 09:00:00,,
",
    }];
    let (db, summary) = import("pipedrive", &files).await;
    assert_clean(&summary, &files);
    assert_eq!(
        stored(&db.store, RecordKind::Deals).await,
        [
            "1 | name=Loja A | amount=150000 | currency=USD | created_at=2024-01-10T09:00:00Z \
             | closed_at=2024-02-01T10:00:00Z | status=won",
            "2 | name=Loja B | amount=80000 | currency=USD | created_at=2024-01-12T09:00:00Z \
             | closed_at=2024-02-03T11:00:00Z | status=lost | [Negócio - Data de perda]=2024-02-03 11:00:00",
            "3 | name=Loja C | currency=USD | created_at=2024-01-15T09:00:00Z | status=open",
        ]
    );
}

#[tokio::test]
async fn a_pipedrive_export_in_french_lands_with_its_statuses() {
    let files = [Sample {
        name: "affaires.csv",
        kind: RecordKind::Deals,
        csv: "\
Affaire - ID,Affaire - Titre,Affaire - Valeur,Affaire - Statut,Affaire - Affaire créée,Affaire - Heure de la conclusion,Affaire - Heure de l'échec
1,Boutique A,1500,Gagnée,2024-01-10 09:00:00,2024-02-01 10:00:00,
2,Boutique B,800,Perdue,2024-01-12 09:00:00,,2024-02-03 11:00:00
3,Boutique C,,En cours,2024-01-15 09:00:00,,
",
    }];
    let (db, summary) = import("pipedrive", &files).await;
    assert_clean(&summary, &files);
    assert_eq!(
        stored(&db.store, RecordKind::Deals).await,
        [
            "1 | name=Boutique A | amount=150000 | currency=USD | created_at=2024-01-10T09:00:00Z \
             | closed_at=2024-02-01T10:00:00Z | status=won",
            "2 | name=Boutique B | amount=80000 | currency=USD | created_at=2024-01-12T09:00:00Z \
             | closed_at=2024-02-03T11:00:00Z | status=lost | [Affaire - Heure de l'échec]=2024-02-03 11:00:00",
            "3 | name=Boutique C | currency=USD | created_at=2024-01-15T09:00:00Z | status=open",
        ]
    );
}
