//! A bounded memo of parsed-and-compiled policy documents, keyed by their exact text.
//!
//! A batch usually evaluates many requests against the same few documents. Parsing,
//! validating and compiling a document is a pure function of its text (a batch always uses
//! the default identity grammar and limits), so the outcome, valid or not, is kept and reused
//! when the same text comes again. Decisions are never cached: every line is evaluated.
//!
//! Keeping every document would cost a batch of all-different documents more than it saves
//! (copies, and memory that is no longer hot), so a document is only kept the second time its
//! text is seen; the first time only its 64-bit hash is remembered. Memory stays bounded: when
//! a limit below would be passed, the table concerned is emptied and fills again.

use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use ram_core::{CompiledPolicy, PolicyDocument, PolicyError};

/// Most documents kept.
const MAX_ENTRIES: usize = 4096;
/// Most bytes of document text kept.
const MAX_TEXT_BYTES: usize = 4 << 20;
/// Most hashes of documents seen once remembered.
const MAX_SEEN: usize = 1 << 13;

/// Outcome of parsing one document: compiled, or every problem found.
pub type Parsed = Result<Arc<CompiledPolicy>, PolicyError>;

/// The memo.
pub struct DocumentCache {
    /// Hashes document texts (fixed seed: a batch is deterministic).
    hasher: FixedState,
    /// (hash, text, outcome) of documents seen at least twice.
    entries: HashTable<(u64, Box<str>, Parsed)>,
    /// Bytes of text in `entries`.
    text_bytes: usize,
    /// Hashes of documents seen once.
    seen: HashTable<u64>,
}

impl Default for DocumentCache {
    fn default() -> Self {
        DocumentCache::new()
    }
}

impl DocumentCache {
    /// An empty memo.
    pub fn new() -> DocumentCache {
        DocumentCache {
            hasher: FixedState::with_seed(0x7261_6d2d_636c_6921),
            entries: HashTable::new(),
            text_bytes: 0,
            seen: HashTable::new(),
        }
    }

    /// Parses (identity grammar, default limits) and compiles `text`, or reuses the outcome
    /// for the same text seen before.
    pub fn parse(&mut self, text: &str) -> Parsed {
        let hash = self.hasher.hash_one(text);
        if let Some((_, _, parsed)) = self.entries.find(hash, |(h, t, _)| *h == hash && **t == *text) {
            return parsed.clone();
        }
        let parsed = PolicyDocument::parse(text).map(|doc| Arc::new(CompiledPolicy::new(&doc)));
        if self.seen.find(hash, |h| *h == hash).is_none() {
            if self.seen.len() >= MAX_SEEN {
                self.seen.clear();
            }
            self.seen.insert_unique(hash, hash, |h| *h);
        } else if text.len() <= MAX_TEXT_BYTES {
            if self.entries.len() >= MAX_ENTRIES || self.text_bytes + text.len() > MAX_TEXT_BYTES {
                self.entries.clear();
                self.text_bytes = 0;
            }
            self.text_bytes += text.len();
            self.entries
                .insert_unique(hash, (hash, text.into(), parsed.clone()), |(h, _, _)| *h);
        }
        parsed
    }

    /// Number of documents kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(i: usize) -> String {
        format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"svc:A{i}","Resource":"*"}}]}}"#)
    }

    #[test]
    fn keeps_documents_seen_twice() {
        let mut cache = DocumentCache::new();
        let a = cache.parse(&doc(0)).unwrap();
        assert_eq!(cache.len(), 0);
        let b = cache.parse(&doc(0)).unwrap();
        assert_eq!(cache.len(), 1);
        let c = cache.parse(&doc(0)).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&b, &c));
    }

    #[test]
    fn invalid_documents_are_kept_too() {
        let mut cache = DocumentCache::new();
        let first = cache.parse("{").unwrap_err();
        assert_eq!(cache.parse("{").unwrap_err(), first);
        assert_eq!(cache.parse("{").unwrap_err(), first);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn stays_bounded() {
        let mut cache = DocumentCache::new();
        for _ in 0..2 {
            for i in 0..MAX_ENTRIES + 10 {
                cache.parse(&doc(i)).unwrap();
            }
        }
        assert!(cache.len() <= MAX_ENTRIES);
        assert!(cache.seen.len() <= MAX_SEEN);
    }
}
