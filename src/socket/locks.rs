//! One uploader per stream: a stream is locked from `startDataUpload` until its upload stops or
//! its connection drops.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::domain::batches::StreamKey;

/// The streams being uploaded to in this process; cheap to clone.
// TODO(#6): the locks live in one process; several servers behind one database need a lock in
// the database (PostgreSQL advisory locks) to keep one uploader per stream.
#[derive(Clone, Debug, Default)]
pub struct StreamLocks(Arc<Mutex<HashSet<StreamKey>>>);

/// Held while a stream is being uploaded to; dropping it unlocks the stream.
#[derive(Debug)]
pub struct StreamLock {
    locks: StreamLocks,
    stream: StreamKey,
}

impl StreamLocks {
    /// Locks `stream`, or `None` when another upload holds it.
    pub fn try_lock(&self, stream: &StreamKey) -> Option<StreamLock> {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(stream.clone()).then(|| StreamLock {
            locks: self.clone(),
            stream: stream.clone(),
        })
    }
}

impl Drop for StreamLock {
    fn drop(&mut self) {
        let mut held = self.locks.0.lock().unwrap_or_else(|e| e.into_inner());
        held.remove(&self.stream);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> StreamKey {
        StreamKey {
            package_id: 1,
            major_version: 1,
            schema_title: "s".into(),
            source_type: "file".into(),
            source_slug: "f".into(),
            stream_set_slug: "s".into(),
            stream_slug: "s".into(),
        }
    }

    #[test]
    fn a_locked_stream_cannot_be_locked_again_until_released() {
        let locks = StreamLocks::default();
        let first = locks.try_lock(&stream()).expect("free at first");
        assert!(locks.try_lock(&stream()).is_none());
        drop(first);
        assert!(locks.try_lock(&stream()).is_some());
    }
}
