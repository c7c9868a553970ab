//! `revline contacts`: duplicate emails and the merges that resolve them. A merge is
//! recorded beside the records, never applied to them, so it survives re-imports of
//! either contact and `unmerge` undoes it.

use crate::{Failure, usage};
use revline_core::RecordKind;
use revline_store::{ContactMerge, Store};
use std::collections::HashMap;

#[derive(clap::Subcommand, Debug)]
pub enum ContactsAction {
    /// Contacts that share an email address (candidates for merging).
    Duplicates,
    /// Merge one contact into another: its touchpoints, stages, deals, revenue and
    /// tickets count as the other's in every report.
    Merge {
        /// The contact id that goes.
        merged: String,
        /// The contact id that stays.
        #[arg(long)]
        into: String,
    },
    /// Undo a merge.
    Unmerge { merged: String },
    /// The merges recorded, oldest first.
    Merges,
}

pub async fn run(store: &dyn Store, action: &ContactsAction, now: i64) -> Result<u8, Failure> {
    match action {
        ContactsAction::Duplicates => {
            let dups = store.duplicate_emails().await?;
            if dups.is_empty() {
                println!("No two contacts share an email address.");
            }
            for d in dups {
                println!("{}: {}", d.email, d.contact_ids.join(", "));
            }
        }
        ContactsAction::Merge { merged, into } => {
            let merge = checked(store, merged, into, now).await?;
            store.merge_contacts(&merge).await?;
            println!("Merged contact {merged} into {into}.");
        }
        ContactsAction::Unmerge { merged } => {
            if !store.unmerge_contact(merged).await? {
                return Err(usage(format!(
                    "contact {merged} is not merged into another"
                )));
            }
            println!("Contact {merged} stands on its own again.");
        }
        ContactsAction::Merges => {
            for m in store.contact_merges().await? {
                println!(
                    "{} -> {}  ({} by {})",
                    m.merged_id,
                    m.survivor_id,
                    revline_core::time::format_timestamp(m.merged_at),
                    m.merged_by
                );
            }
        }
    }
    Ok(0)
}

/// The merge, once both contacts exist and it would not make a loop.
pub async fn checked(
    store: &dyn Store,
    merged: &str,
    survivor: &str,
    now: i64,
) -> Result<ContactMerge, Failure> {
    if merged == survivor {
        return Err(usage("a contact cannot be merged into itself"));
    }
    let ids = [merged.to_string(), survivor.to_string()];
    let found = store.existing_ids(RecordKind::Contacts, &ids).await?;
    for id in &ids {
        if !found.contains(id) {
            return Err(usage(format!("no contact with id '{id}'")));
        }
    }
    let into: HashMap<String, String> = store
        .contact_merges()
        .await?
        .into_iter()
        .map(|m| (m.merged_id, m.survivor_id))
        .collect();
    let mut at = survivor;
    while let Some(next) = into.get(at) {
        if next == merged {
            return Err(usage(format!(
                "{survivor} is already merged into {merged}: unmerge it first"
            )));
        }
        at = next;
    }
    Ok(ContactMerge {
        merged_id: merged.to_string(),
        survivor_id: survivor.to_string(),
        merged_at: now,
        merged_by: "cli".to_string(),
    })
}
