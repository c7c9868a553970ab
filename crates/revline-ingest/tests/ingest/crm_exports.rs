// The presets on exports in each CRM's genuine column layout, a few hundred rows each
// (tests/fixtures/crm, written by its make_samples.py): every row lands, and the
// figures that matter match what the generator knows about its own data
// (expected.json), not what the importer computed.

use revline_core::{Record, RecordKind};
use revline_ingest::presets::preset;
use revline_ingest::summary::{FileSummary, ImportSummary};
use revline_ingest::{ImportOptions, NoProgress, import_path};
use revline_store::Store;
use revline_store::testing::{self, TempSqlite};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm")
}

fn expected() -> Json {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn import(crm: &str) -> (TempSqlite, ImportSummary) {
    let db = testing::sqlite().await;
    let summary = import_into(&db, crm, false).await;
    (db, summary)
}

/// Imports a CRM's folder with its preset, creating placeholders for the few ids that
/// point outside the export (HubSpot deals of contacts not in the exported view).
async fn import_into(db: &TempSqlite, crm: &str, dry_run: bool) -> ImportSummary {
    import_folder(db, crm, &fixtures().join(crm), dry_run).await
}

async fn import_folder(
    db: &TempSqlite,
    crm: &str,
    folder: &std::path::Path,
    dry_run: bool,
) -> ImportSummary {
    let options = ImportOptions {
        mapping: preset(crm).unwrap(),
        create_missing: true,
        dry_run,
        now: 0,
        ..Default::default()
    };
    import_path(&db.store, folder, &options, &NoProgress)
        .await
        .expect("import runs")
}

async fn all(store: &dyn Store, kind: RecordKind) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    loop {
        let after = out.last().map(|r| r.id.clone());
        let page = store.read_page(kind, after.as_deref(), 1000).await.unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

fn file<'a>(summary: &'a ImportSummary, name: &str, kind: &str) -> &'a FileSummary {
    summary
        .files
        .iter()
        .find(|f| f.file == name && f.kind == kind)
        .unwrap_or_else(|| panic!("{name} as {kind} not imported: {summary:#?}"))
}

fn count(json: &Json) -> u64 {
    json.as_u64().unwrap()
}

fn warnings(f: &FileSummary, code: &str) -> u64 {
    f.warnings.iter().filter(|w| w.code == code).count() as u64
}

/// Deals by status, unassociated deals, and open amounts per currency (in the
/// currency's decimal form), as stored.
fn deal_figures(
    deals: &[Record],
    blank_currency: &str,
) -> (BTreeMap<String, u64>, u64, BTreeMap<String, String>) {
    let mut by_status = BTreeMap::new();
    let mut unassociated = 0;
    let mut open_minor: BTreeMap<String, i64> = BTreeMap::new();
    for d in deals {
        *by_status
            .entry(d.text("status").unwrap().to_string())
            .or_insert(0) += 1;
        if d.text("contact_id").is_none() && d.text("account_id").is_none() {
            unassociated += 1;
        }
        if d.text("status") == Some("open")
            && let Some(amount) = d.int("amount")
        {
            *open_minor
                .entry(d.text("currency").unwrap().to_string())
                .or_default() += amount;
        }
    }
    let _ = blank_currency;
    let open = open_minor
        .into_iter()
        .map(|(c, minor)| (c, format!("{}.{:02}", minor / 100, minor % 100)))
        .collect();
    (by_status, unassociated, open)
}

/// The generator's open sums, keyed by the currency cell as written ("" is the
/// workspace currency), summed per stored currency code.
fn expected_open(json: &Json, blank: &str) -> BTreeMap<String, String> {
    let mut minor: BTreeMap<String, i64> = BTreeMap::new();
    for (currency, sum) in json.as_object().unwrap() {
        let code = if currency.is_empty() { blank } else { currency };
        let cents: i64 = sum.as_str().unwrap().replace('.', "").parse().unwrap();
        *minor.entry(code.to_string()).or_default() += cents;
    }
    minor
        .into_iter()
        .map(|(c, m)| (c, format!("{}.{:02}", m / 100, m % 100)))
        .collect()
}

fn statuses(json: &Json) -> BTreeMap<String, u64> {
    ["won", "lost", "open"]
        .into_iter()
        .map(|s| (s.to_string(), count(&json[s])))
        .collect()
}

/// Contacts per source as stored, with the export's labels in snake case.
fn sources(contacts: &[Record]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for c in contacts {
        let source = revline_core::normalize::snake_case(c.text("source").unwrap_or(""));
        *out.entry(source).or_insert(0) += 1;
    }
    out
}

fn expected_sources(maps: &[&Json]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for map in maps {
        for (label, n) in map.as_object().unwrap() {
            let key = revline_core::normalize::snake_case(label);
            *out.entry(key).or_insert(0) += count(n);
        }
    }
    out
}

#[tokio::test]
async fn a_hubspot_export_lands_whole_with_lifecycle_history_and_the_exports_own_status() {
    let expect = &expected()["hubspot"];
    let (db, summary) = import("hubspot").await;
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert_eq!(summary.rejected(), 0, "{}", summary.to_table());

    let deals_file = "hubspot-crm-exports-all-deals-2024-07-01.csv";
    let x = &expect[deals_file];
    let f = file(&summary, deals_file, "deals");
    assert_eq!((f.read, f.inserted), (count(&x["rows"]), count(&x["rows"])));
    let several_contacts = f
        .warnings
        .iter()
        .filter(|w| {
            w.code == "first_of_several"
                && w.column
                    .as_deref()
                    .is_some_and(|c| c.contains("contact_id"))
        })
        .count() as u64;
    assert_eq!(several_contacts, count(&x["with_several_contact_ids"]));
    assert!(
        f.columns
            .iter()
            .any(|c| c.field == "status" && c.column.contains("Is closed lost")),
        "{:?}",
        f.columns
    );
    assert!(
        f.properties.contains(&"Deal Type".to_string()),
        "{:?}",
        f.properties
    );
    // Three deals name contacts outside the export, two of them the same one.
    assert_eq!(count(&x["contact_refs_missing_from_contacts_file"]), 3);
    assert_eq!(summary.created_missing.get("contacts").copied(), Some(2));

    let deals = all(&db.store, RecordKind::Deals).await;
    let (by_status, unassociated, open) = deal_figures(&deals, "USD");
    assert_eq!(
        by_status,
        statuses(x),
        "Dead Deals is lost, Won - Signed won"
    );
    assert_eq!(unassociated, count(&x["unassociated"]));
    assert_eq!(
        open,
        expected_open(&x["open_amount_sum_by_currency"], "USD")
    );
    let listed = deals
        .iter()
        .filter(|d| {
            d.props
                .get("Associated Contact IDs")
                .is_some_and(|v| v.contains(';'))
        })
        .count() as u64;
    assert_eq!(
        listed,
        count(&x["with_several_contact_ids"]),
        "every id is kept"
    );
    let pipelines: std::collections::BTreeSet<_> =
        deals.iter().filter_map(|d| d.text("pipeline")).collect();
    assert_eq!(pipelines.len(), 2, "{pipelines:?}");

    let contacts_file = "hubspot-crm-exports-all-contacts-2024-07-01.csv";
    let x = &expect[contacts_file];
    let contacts: Vec<Record> = all(&db.store, RecordKind::Contacts)
        .await
        .into_iter()
        .filter(|c| c.text("created_at").is_some() || c.int("created_at").is_some())
        .filter(|c| !c.props.is_empty() || c.text("email").is_some())
        .collect();
    assert_eq!(
        file(&summary, contacts_file, "contacts").inserted,
        count(&x["rows"])
    );
    let exported: Vec<&Record> = contacts
        .iter()
        .filter(|c| c.props.contains_key("Lifecycle Stage"))
        .collect();
    assert_eq!(exported.len() as u64, count(&x["rows"]));
    assert_eq!(
        sources(&exported.iter().map(|c| (*c).clone()).collect::<Vec<_>>()),
        expected_sources(&[&x["original_source"]]),
        "Original Source is the contact's source"
    );
    // The highest funnel stage of each contact's lifecycle history.
    let funnel = ["lead", "mql", "sql", "opportunity", "customer"];
    let mut highest: BTreeMap<String, usize> = exported.iter().map(|c| (c.id.clone(), 0)).collect();
    for s in all(&db.store, RecordKind::Stages).await {
        let stage = s.text("stage").unwrap();
        let at = funnel
            .iter()
            .position(|f| *f == stage)
            .unwrap_or(if stage == "evangelist" { 4 } else { 0 });
        let e = highest.get_mut(s.text("contact_id").unwrap()).unwrap();
        *e = (*e).max(at);
    }
    let mut reached: BTreeMap<String, u64> = BTreeMap::new();
    for at in highest.values() {
        *reached.entry(funnel[*at].to_string()).or_default() += 1;
    }
    let want: BTreeMap<String, u64> = x["highest_lifecycle_stage"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), count(v)))
        .collect();
    assert_eq!(reached, want);
    let lead_rows = file(&summary, contacts_file, "stages");
    assert!(
        lead_rows.not_for_entry > 0,
        "rows without a stage date are not stage entries"
    );
    let duplicates = db.store.duplicate_emails().await.unwrap();
    assert_eq!(duplicates.len() as u64, count(&x["duplicate_email_groups"]));

    // Re-running the import changes nothing.
    let again = import_into(&db, "hubspot", false).await;
    for f in &again.files {
        assert_eq!(
            (f.inserted, f.updated, f.rejected),
            (0, 0, 0),
            "{}: {f:?}",
            f.file
        );
    }
}

#[tokio::test]
async fn a_salesforce_data_export_in_latin_1_lands_whole_with_its_stage_history() {
    let expect = &expected()["salesforce"];
    let (db, summary) = import("salesforce").await;
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert_eq!(summary.rejected(), 0, "{}", summary.to_table());

    let x = &expect["Opportunity.csv"];
    let f = file(&summary, "Opportunity.csv", "deals");
    assert_eq!((f.read, f.inserted), (count(&x["rows"]), count(&x["rows"])));
    assert!(
        f.encoding
            .as_deref()
            .is_some_and(|e| e.starts_with("windows-1252")),
        "{:?}",
        f.encoding
    );
    assert_eq!(
        warnings(f, "control_characters_removed"),
        count(&x["rows_with_control_characters_in_custom_field"])
    );
    assert_eq!(
        warnings(f, "amount_rounded"),
        count(&x["amounts_with_too_many_decimals"])
    );
    let deals = all(&db.store, RecordKind::Deals).await;
    assert!(
        deals
            .iter()
            .all(|d| !d.props.values().any(|v| v.contains('\0')))
    );
    let (by_status, unassociated, open) = deal_figures(&deals, "USD");
    assert_eq!(
        by_status,
        statuses(x),
        "IsClosed/IsWon decide, whatever the stage is called"
    );
    assert_eq!(unassociated, count(&x["unassociated"]));
    assert_eq!(
        open,
        expected_open(&x["open_amount_sum_by_currency"], "USD")
    );
    let stages: std::collections::BTreeSet<_> =
        deals.iter().filter_map(|d| d.text("stage")).collect();
    assert!(
        stages.contains("negociación"),
        "accents read as latin-1: {stages:?}"
    );

    let history = file(&summary, "OpportunityHistory.csv", "deal_stages");
    assert_eq!(
        history.read,
        count(&expect["OpportunityHistory.csv"]["rows"])
    );
    let fh = &expect["OpportunityFieldHistory.csv"];
    let field_history = file(&summary, "OpportunityFieldHistory.csv", "deal_stages");
    assert_eq!(field_history.read, count(&fh["stage_name_rows"]));
    assert_eq!(
        field_history.not_for_entry,
        count(&fh["rows"]) - count(&fh["stage_name_rows"])
    );
    // Files of a kind are imported in name order: the field history first. Every stage
    // change it holds is one OpportunityHistory gives again, and lands once.
    assert_eq!(field_history.inserted, count(&fh["stage_name_rows"]));
    assert_eq!(
        (history.inserted, history.unchanged),
        (
            history.read - count(&fh["stage_name_rows"]),
            count(&fh["stage_name_rows"])
        ),
    );
    let covered: std::collections::BTreeSet<String> = all(&db.store, RecordKind::DealStages)
        .await
        .iter()
        .map(|s| s.text("deal_id").unwrap().to_string())
        .collect();
    assert_eq!(
        covered.len() as u64,
        count(&expect["OpportunityHistory.csv"]["opportunities_covered"])
    );

    let accounts = all(&db.store, RecordKind::Accounts).await;
    assert_eq!(accounts.len() as u64, count(&expect["Account.csv"]["rows"]));
    let non_ascii = accounts
        .iter()
        .filter(|a| a.text("name").is_some_and(|n| !n.is_ascii()))
        .count();
    assert_eq!(
        non_ascii as u64,
        count(&expect["Account.csv"]["non_ascii_names"])
    );
    let contacts = all(&db.store, RecordKind::Contacts).await;
    assert_eq!(
        contacts.len() as u64,
        count(&expect["Lead.csv"]["rows"]) + count(&expect["Contact.csv"]["rows"])
    );
    assert_eq!(
        sources(&contacts),
        expected_sources(&[
            &expect["Lead.csv"]["lead_source"],
            &expect["Contact.csv"]["lead_source"]
        ]),
        "LeadSource is the contact's source"
    );
}

#[tokio::test]
async fn a_pipedrive_export_lands_whole() {
    let (db, summary) = import("pipedrive").await;
    assert_pipedrive_export_landed(&db, &summary).await;
}

/// The same export in Pipedrive's newer layout (columns without the object's name) and
/// in Brazilian Portuguese, as genuine exports of that layout write their labels and
/// statuses: the same records land, linked the same way.
#[tokio::test]
async fn a_pipedrive_export_in_the_unprefixed_portuguese_layout_lands_the_same() {
    let labels: &[(&str, &str)] = &[
        ("ID", "ID"),
        ("Title", "Título"),
        ("Owner", "Proprietário"),
        ("Value", "Valor"),
        ("Currency of Value", "Moeda de Valor"),
        ("Probability", "Probabilidade"),
        ("Organization", "Organização"),
        ("Organization ID", "ID da organização"),
        ("Pipeline", "Funil"),
        ("Contact person", "Pessoa de contato"),
        ("Contact person ID", "ID da pessoa de contato"),
        ("Stage", "Etapa"),
        ("Status", "Status"),
        ("Deal created", "Negócio criado em"),
        ("Expected close date", "Data de fechamento esperada"),
        ("Won time", "Ganho em"),
        ("Lost time", "Data de perda"),
        ("Deal closed on", "Negócio fechado em"),
        ("Lost reason", "Motivo da perda"),
        ("Name", "Nome"),
        ("Email - Work", "E-mail - Trabalho"),
        ("Email - Home", "E-mail - Residencial"),
        ("Phone - Work", "Telefone - Trabalho"),
        ("Person created", "Pessoa criada"),
        ("Source channel", "Canal de origem"),
        ("Organization created", "Organização criada"),
        ("Country of Address", "País de Endereço"),
    ];
    let statuses = [("Open", "Aberto"), ("Won", "Ganho"), ("Lost", "Perdido")];
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures().join("pipedrive")).unwrap() {
        let path = entry.unwrap().path();
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(|h| {
                let field = h.split_once(" - ").map_or(h, |(_, field)| field);
                let translated = labels.iter().find(|(en, _)| *en == field);
                translated.map_or(field, |(_, pt)| pt).to_string()
            })
            .collect();
        let status = header.iter().position(|h| h == "Status");
        let mut writer =
            csv::Writer::from_path(dir.path().join(path.file_name().unwrap())).unwrap();
        writer.write_record(&header).unwrap();
        for row in reader.records() {
            let row = row.unwrap();
            let cells = row.iter().enumerate().map(|(i, cell)| {
                match statuses
                    .iter()
                    .find(|(en, _)| Some(i) == status && *en == cell)
                {
                    Some((_, pt)) => *pt,
                    None => cell,
                }
            });
            writer.write_record(cells).unwrap();
        }
    }
    let db = testing::sqlite().await;
    let summary = import_folder(&db, "pipedrive", dir.path(), false).await;
    assert_pipedrive_export_landed(&db, &summary).await;
    let (english, _) = import("pipedrive").await;
    for kind in [
        RecordKind::Deals,
        RecordKind::Contacts,
        RecordKind::Accounts,
    ] {
        assert_eq!(
            core_fields(&all(&db.store, kind).await),
            core_fields(&all(&english.store, kind).await),
            "{kind:?} land as from the English export"
        );
    }
}

/// Each record's contract fields, without the custom properties (their names differ by
/// language).
fn core_fields(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| format!("{} {:?}", r.id, r.values))
        .collect()
}

async fn assert_pipedrive_export_landed(db: &TempSqlite, summary: &ImportSummary) {
    let expect = &expected()["pipedrive"];
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert_eq!(summary.rejected(), 0, "{}", summary.to_table());
    let x = &expect["deals-8412337-27.csv"];
    let deals = all(&db.store, RecordKind::Deals).await;
    assert_eq!(deals.len() as u64, count(&x["rows"]));
    let (by_status, unassociated, open) = deal_figures(&deals, "USD");
    assert_eq!(by_status, statuses(x));
    assert_eq!(unassociated, count(&x["unassociated"]));
    assert_eq!(
        open,
        expected_open(&x["open_amount_sum_by_currency"], "USD")
    );
    assert!(
        deals
            .iter()
            .filter(|d| d.text("status") != Some("open"))
            .all(|d| d.int("closed_at").is_some()),
        "won and lost deals have a close time"
    );
    let p = &expect["people-8412337-28.csv"];
    let people = all(&db.store, RecordKind::Contacts).await;
    assert_eq!(people.len() as u64, count(&p["rows"]));
    assert_eq!(sources(&people), expected_sources(&[&p["source_channel"]]));
    assert_eq!(
        db.store.duplicate_emails().await.unwrap().len() as u64,
        count(&p["duplicate_email_pairs"])
    );
    assert_eq!(
        all(&db.store, RecordKind::Accounts).await.len() as u64,
        count(&expect["organizations-8412337-29.csv"]["rows"])
    );
}

#[tokio::test]
async fn a_dry_run_previews_the_duplicate_emails_it_would_make() {
    let x = &expected()["hubspot"]["hubspot-crm-exports-all-contacts-2024-07-01.csv"];
    let db = testing::sqlite().await;
    let summary = import_into(&db, "hubspot", true).await;
    assert_eq!(
        summary.duplicate_emails.len() as u64,
        count(&x["duplicate_email_groups"])
    );
    assert!(
        summary
            .duplicate_emails
            .iter()
            .all(|d| d.contact_ids.len() == 2)
    );
    assert_eq!(db.store.count(RecordKind::Contacts).await.unwrap(), 0);
}

/// A HubSpot deals export imported alone, before its contacts and companies: every deal
/// lands (deal figures are right at once), its associations kept; importing the
/// contacts and companies, then the deals again, links them.
#[tokio::test]
async fn a_deals_export_imported_before_its_contacts_lands_whole_and_links_later() {
    let x = &expected()["hubspot"]["hubspot-crm-exports-all-deals-2024-07-01.csv"];
    let deals_file = "hubspot-crm-exports-all-deals-2024-07-01.csv";
    let alone = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("hubspot").join(deals_file),
        alone.path().join(deals_file),
    )
    .unwrap();
    let db = testing::sqlite().await;
    let options = ImportOptions {
        mapping: preset("hubspot").unwrap(),
        now: 0,
        ..Default::default()
    };
    let first = import_path(&db.store, alone.path(), &options, &NoProgress)
        .await
        .unwrap();
    let f = &first.files[0];
    assert_eq!(
        (f.read, f.inserted, f.rejected),
        (250, 250, 0),
        "{}",
        first.to_table()
    );
    let associated = count(&x["rows"]) - count(&x["unassociated"]);
    let unresolved_deals: std::collections::BTreeSet<u64> = f
        .warnings
        .iter()
        .filter(|w| w.code == "unresolved_reference")
        .map(|w| w.line)
        .collect();
    assert_eq!(unresolved_deals.len() as u64, associated);
    let deals = all(&db.store, RecordKind::Deals).await;
    let (by_status, _, open) = deal_figures(&deals, "USD");
    assert_eq!(
        by_status,
        statuses(x),
        "deal figures are right before the contacts arrive"
    );
    assert_eq!(
        open,
        expected_open(&x["open_amount_sum_by_currency"], "USD")
    );

    // The contacts and companies, then the deals again: the associations resolve.
    let rest = import_path(
        &db.store,
        &fixtures().join("hubspot"),
        &options,
        &NoProgress,
    )
    .await
    .unwrap();
    let f = rest.files.iter().find(|f| f.kind == "deals").unwrap();
    assert_eq!(f.rejected, 0);
    assert!(f.updated >= associated - count(&x["contact_refs_missing_from_contacts_file"]));
    let linked = all(&db.store, RecordKind::Deals)
        .await
        .iter()
        .filter(|d| d.text("contact_id").is_some() || d.text("account_id").is_some())
        .count() as u64;
    assert_eq!(linked, associated);
}

/// Uploads of an export as it came: a CRM's CSV or XLSX export is recognised by its
/// header; a canonical file or another spreadsheet is not.
#[test]
fn exports_are_recognised_by_their_header_in_csv_and_xlsx() {
    use revline_ingest::import::recognised_preset;
    let hubspot = fixtures().join("hubspot/hubspot-crm-exports-all-companies-2024-07-01.csv");
    assert_eq!(recognised_preset(&hubspot), Some("hubspot"));
    assert_eq!(
        recognised_preset(&fixtures().join("salesforce/Opportunity.csv")),
        Some("salesforce"),
        "a latin-1 file is read for its header"
    );
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&hubspot).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Sheet1").unwrap();
    for (r, line) in text.lines().take(3).enumerate() {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    let xlsx = dir.path().join("hubspot-crm-exports-all-companies.xlsx");
    book.save(&xlsx).unwrap();
    assert_eq!(recognised_preset(&xlsx), Some("hubspot"));
    let canonical = dir.path().join("contacts.csv");
    std::fs::write(
        &canonical,
        "contact_id,email,created_at\nc1,a@b.example,2026-01-01\n",
    )
    .unwrap();
    assert_eq!(recognised_preset(&canonical), None);
}
