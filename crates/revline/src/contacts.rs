//! `revline contacts`: duplicate emails and the merges that resolve them. A merge is
//! recorded beside the records, never applied to them, so it survives re-imports of
//! either contact and `unmerge` undoes it.

use crate::{Failure, usage};
use revline_store::{MergeError, Store};

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
            match revline_store::merge_contacts(store, merged, into, "cli", now).await {
                Ok(_) => {
                    crate::commands::tell_servers(store, "merge", false).await;
                    println!("Merged contact {merged} into {into}.");
                }
                Err(MergeError::Refused(why)) => return Err(usage(why)),
                Err(MergeError::Store(e)) => return Err(e.into()),
            }
        }
        ContactsAction::Unmerge { merged } => {
            if !store.unmerge_contact(merged).await? {
                return Err(usage(format!(
                    "contact {merged} is not merged into another"
                )));
            }
            crate::commands::tell_servers(store, "unmerge", false).await;
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
