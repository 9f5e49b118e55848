//! The package-file texts the API answers with, kept in memory after their first use.
//!
//! A version's stored file never changes once published, so the text served for it (as
//! published, or rewritten for clients) can be reused until the cache needs the room. Entries
//! are keyed by the version row and its creation time, so a version deleted and published again
//! under the same number never meets the old text; the rewritten form is keyed by the package's
//! catalog and slug too, since it names them.

use std::sync::Arc;

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::entity::version;

/// How many bytes of text the cache holds at most.
pub const CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// Which text of a version.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    /// The file as published.
    Canonical,
    /// The file as clients should use it, for the package at `catalog/package`.
    Published { catalog: String, package: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    version_id: i64,
    created_at_micros: i64,
    form: Form,
}

impl Key {
    pub fn new(row: &version::Model, form: Form) -> Key {
        Key {
            version_id: row.id,
            created_at_micros: row.created_at.timestamp_micros(),
            form,
        }
    }
}

#[derive(Clone)]
struct TextLength;

impl Weighter<Key, Arc<str>> for TextLength {
    fn weight(&self, _key: &Key, text: &Arc<str>) -> u64 {
        text.len().max(1) as u64
    }
}

/// Package-file texts by version and form; cheap to share.
pub struct FileCache(Cache<Key, Arc<str>, TextLength>);

impl FileCache {
    pub fn new(capacity_bytes: u64) -> FileCache {
        // Package files run to tens of kilobytes; the estimate only sizes the tables.
        let estimated_items = (capacity_bytes / 16_384).max(16) as usize;
        FileCache(Cache::with_weighter(
            estimated_items,
            capacity_bytes,
            TextLength,
        ))
    }

    pub fn get(&self, key: &Key) -> Option<Arc<str>> {
        self.0.get(key)
    }

    pub fn insert(&self, key: Key, text: Arc<str>) {
        self.0.insert(key, text);
    }
}

impl Default for FileCache {
    fn default() -> FileCache {
        FileCache::new(CAPACITY_BYTES)
    }
}

impl std::fmt::Debug for FileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileCache")
            .field("entries", &self.0.len())
            .field("bytes", &self.0.weight())
            .finish()
    }
}
