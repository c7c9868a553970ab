//! Changes told to the other processes sharing one database, so that several servers
//! on one PostgreSQL database keep the same live snapshot (PostgreSQL `LISTEN` /
//! `NOTIFY`; an embedded SQLite file has one server and no channel).
//!
//! A note names the records written (kind, ids, whether they were all new), so that a
//! server that hears it reads those rows back and applies them as its own arrivals; a
//! note too large for a notification, or a change that is not a set of rows (settings,
//! merges, a file import), asks for a rebuild from the store.

use serde::{Deserialize, Serialize};

/// The PostgreSQL channel the notes travel on.
pub const CHANNEL: &str = "revline_changes";

/// PostgreSQL refuses a payload of 8000 bytes or more; a longer note is sent as a
/// rebuild.
const MAX_PAYLOAD: usize = 7_900;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeNote {
    /// The process that made the change (it has applied it already).
    pub origin: String,
    /// What changed, for people (`3 touchpoints`).
    pub what: String,
    /// Rows written: record kind, ids, and whether they were all new.
    #[serde(default)]
    pub written: Vec<(String, Vec<String>, bool)>,
    /// Read the whole workspace again (the change is not a set of rows).
    #[serde(default)]
    pub rebuild: bool,
    /// The workspace settings changed: read them again first.
    #[serde(default)]
    pub settings: bool,
}

/// What a listener hears.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    Note(ChangeNote),
    /// The connection was lost and made again: notes sent meanwhile are gone, so the
    /// listener must read the store again to catch up.
    Missed,
}

impl ChangeNote {
    /// The note as a notification payload: as written, or as a rebuild when the ids do
    /// not fit.
    pub fn payload(&self) -> String {
        let text = serde_json::to_string(self).expect("a note serialises");
        if text.len() <= MAX_PAYLOAD {
            return text;
        }
        let rebuild = ChangeNote {
            origin: self.origin.clone(),
            what: self.what.chars().take(200).collect(),
            written: Vec::new(),
            rebuild: true,
            settings: self.settings,
        };
        serde_json::to_string(&rebuild).expect("a note serialises")
    }

    /// A payload back as a note; `None` for text that is not one (another program on
    /// the channel).
    pub fn parse(payload: &str) -> Option<ChangeNote> {
        serde_json::from_str(payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_too_large_for_a_notification_asks_for_a_rebuild() {
        let ids: Vec<String> = (0..2_000).map(|i| format!("con-{i:07}")).collect();
        let note = ChangeNote {
            origin: "a".into(),
            what: "2000 contacts".into(),
            written: vec![("contacts".into(), ids, true)],
            rebuild: false,
            settings: false,
        };
        let sent = ChangeNote::parse(&note.payload()).unwrap();
        assert!(sent.rebuild && sent.written.is_empty());
        assert!(note.payload().len() < 8_000);
        let small = ChangeNote {
            written: vec![("contacts".into(), vec!["c1".into()], false)],
            ..note
        };
        assert_eq!(ChangeNote::parse(&small.payload()), Some(small));
    }
}
