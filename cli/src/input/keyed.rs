//! Resources of one kind by `namespace/name`, as applying them would leave them: a later copy
//! replaces an earlier one, and a copy that differs is said.

use crate::model::gateway::Source;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug)]
pub struct Keyed<T> {
    pub items: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

/// An item's resource as read, and where.
pub(super) type Read<T> = fn(&T) -> (&Value, &Source);

impl<T> Keyed<T> {
    /// Keeps `item` under `key`, in place of an earlier one; a note titled `title` when the
    /// two differ.
    pub(super) fn keep(
        &mut self,
        key: String,
        item: T,
        title: &str,
        read: Read<T>,
    ) -> Option<String> {
        match self.index.get(&key).and_then(|&at| self.items.get_mut(at)) {
            Some(slot) => {
                let old = std::mem::replace(slot, item);
                repeated(title, read(&old), read(slot))
            }
            None => {
                self.index.insert(key, self.items.len());
                self.items.push(item);
                None
            }
        }
    }
}

/// A note for a resource given twice with different contents (the later is used, as applying
/// both would); none for the same copy twice.
fn repeated(title: &str, first: (&Value, &Source), later: (&Value, &Source)) -> Option<String> {
    (first.0 != later.0).then(|| {
        format!(
            "{title} appears twice with different contents ({} and {}): using the later",
            first.1, later.1
        )
    })
}
