//! Descriptive attributes of contacts and accounts that no report counts but lead
//! scores learn from: an account's industry, a contact's title, and every custom
//! property an import kept. Each value is a name of the snapshot's symbol table, so a
//! property costs one `u32` per contact or account.

use crate::snapshot::NONE;

/// Attribute columns by name; an entity without a value reads as `NONE`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    pub keys: Vec<String>,
    values: Vec<Vec<u32>>,
}

impl Attributes {
    /// Columns kept per kind of record: a workspace with more custom properties keeps
    /// the first this many names met (a bound on memory; the rest are not learned from).
    pub const MAX_KEYS: usize = 64;

    /// Sets `entity`'s value of `key` (a symbol); false when the key did not fit.
    pub fn set(&mut self, key: &str, entity: usize, value: u32) -> bool {
        let k = match self.keys.iter().position(|k| k == key) {
            Some(k) => k,
            None if self.keys.len() < Self::MAX_KEYS => {
                self.keys.push(key.to_string());
                self.values.push(Vec::new());
                self.keys.len() - 1
            }
            None => return false,
        };
        let column = &mut self.values[k];
        if column.len() <= entity {
            column.resize(entity + 1, NONE);
        }
        column[entity] = value;
        true
    }

    /// Forgets every value of `entity` (a record read again replaces them all).
    pub fn clear(&mut self, entity: usize) {
        for column in &mut self.values {
            if let Some(v) = column.get_mut(entity) {
                *v = NONE;
            }
        }
    }

    /// Columns by key number, each as long as the last entity given a value (snapshot
    /// files keep them so).
    pub fn columns(&self) -> &[Vec<u32>] {
        &self.values
    }

    /// Attributes read back from a snapshot file: `values[k]` is the column of `keys[k]`.
    pub fn from_columns(keys: Vec<String>, values: Vec<Vec<u32>>) -> Attributes {
        debug_assert_eq!(keys.len(), values.len());
        Attributes { keys, values }
    }

    /// The value of key number `key` for `entity`.
    pub fn get(&self, key: usize, entity: usize) -> u32 {
        self.values[key].get(entity).copied().unwrap_or(NONE)
    }
}
