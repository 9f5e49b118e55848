//! How a data batch's records are stored: as chunks, one object per accepted upload message.
//!
//! A chunk is zstd over a run of msgpack maps `{offset, record}`, records exactly as the client
//! sent them (dates stay notepack's extension type 0). Its key is
//! `package/<package id>/data/<batch id>/<first offset, 20 digits>.msgpack.zst`: under the
//! package, so deleting a package deletes its data, and sorted by key in offset order. A chunk is written
//! whole with `put_if_absent` before the batch's `last_offset` moves past it, and readers only
//! take records up to `last_offset`: a chunk left behind by a dropped connection or a killed
//! server is never read, and the next upload session removes it ([`remove_unreadable`]).
//!
//! Reach for [`encode`] and [`decode`] for the format, [`write`], [`readable`] and [`read`] for
//! storage.

use std::io::Cursor;

use bytes::Bytes;

use super::packages;
use crate::entity::data_batch;
use crate::storage::{self, ObjectKey, StorageError, Store};

/// One record of a stream and its offset.
#[derive(Clone, Debug, PartialEq)]
pub struct OffsetRecord {
    pub offset: i64,
    pub record: rmpv::Value,
}

/// zstd level: fast, since uploads wait on it; chunks are small enough that ratio matters little.
const ZSTD_LEVEL: i32 = 1;

/// Why a stored chunk could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ChunkError {
    #[error("stored chunk `{key}`: {source}")]
    Storage {
        key: String,
        #[source]
        source: StorageError,
    },
    #[error("stored chunk `{key}` is damaged: {reason}")]
    Damaged { key: String, reason: String },
}

/// Which batch, of which package, chunks belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub package_id: i64,
    pub batch_id: i64,
}

impl From<&data_batch::Model> for Location {
    fn from(row: &data_batch::Model) -> Self {
        Location {
            package_id: row.package_id,
            batch_id: row.id,
        }
    }
}

/// The storage prefix of a batch's chunks, ending in `/`.
pub fn prefix(batch: Location) -> String {
    let package = packages::storage_prefix(batch.package_id);
    format!("{package}data/{}/", batch.batch_id)
}

/// The key of the chunk of `batch` whose first record has `first_offset`.
pub fn key(batch: Location, first_offset: i64) -> ObjectKey {
    let name = format!("{}{first_offset:020}.msgpack.zst", prefix(batch));
    ObjectKey::parse(&name).expect("digits make a valid key")
}

/// The first offset a chunk key names, or `None` for another object.
pub fn first_offset(key: &ObjectKey) -> Option<i64> {
    let name = key.as_str().rsplit('/').next()?;
    name.strip_suffix(".msgpack.zst")?.parse().ok()
}

/// The stored form of `records`.
pub fn encode(records: &[OffsetRecord]) -> std::io::Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(records.len() * 64);
    for item in records {
        rmp::encode::write_map_len(&mut plain, 2).map_err(std::io::Error::other)?;
        rmp::encode::write_str(&mut plain, "offset").map_err(std::io::Error::other)?;
        rmp::encode::write_sint(&mut plain, item.offset).map_err(std::io::Error::other)?;
        rmp::encode::write_str(&mut plain, "record").map_err(std::io::Error::other)?;
        rmpv::encode::write_value(&mut plain, &item.record).map_err(std::io::Error::other)?;
    }
    zstd::bulk::compress(&plain, ZSTD_LEVEL)
}

/// The records of a stored chunk. The whole chunk is decompressed before decoding, so where the
/// storage backend splits its reads never matters.
pub fn decode(stored: &[u8]) -> Result<Vec<OffsetRecord>, String> {
    let plain = zstd::stream::decode_all(stored).map_err(|e| format!("zstd: {e}"))?;
    let mut cursor = Cursor::new(plain.as_slice());
    let mut records = Vec::new();
    while (cursor.position() as usize) < plain.len() {
        let value = rmpv::decode::read_value(&mut cursor).map_err(|e| format!("msgpack: {e}"))?;
        records.push(offset_record(value)?);
    }
    Ok(records)
}

fn offset_record(value: rmpv::Value) -> Result<OffsetRecord, String> {
    let rmpv::Value::Map(entries) = value else {
        return Err("a record is not a map".into());
    };
    let mut offset = None;
    let mut record = None;
    for (name, value) in entries {
        match name.as_str() {
            Some("offset") => offset = value.as_i64(),
            Some("record") => record = Some(value),
            _ => {}
        }
    }
    match (offset, record) {
        (Some(offset), Some(record)) => Ok(OffsetRecord { offset, record }),
        _ => Err("a record lacks its offset or body".into()),
    }
}

/// Stores `records` (not empty, offsets increasing) as a new chunk of `batch`, whole or not at
/// all.
pub async fn write(
    store: &Store,
    batch: Location,
    records: &[OffsetRecord],
) -> Result<u64, StorageError> {
    let first = records.first().map_or(0, |r| r.offset);
    let key = key(batch, first);
    let owned = records.to_vec();
    let body = tokio::task::spawn_blocking(move || encode(&owned))
        .await
        .map_err(|e| StorageError::Unavailable {
            what: format!("compressing a chunk: {e}"),
        })?
        .map_err(|source| StorageError::Body {
            key: key.to_string(),
            source,
        })?;
    store
        .put_if_absent(&key, storage::byte_stream(Bytes::from(body)))
        .await
}

/// The keys of the chunks holding records up to `last_offset` that are at or after `from`, in
/// offset order.
pub async fn readable(
    store: &Store,
    batch: Location,
    from: i64,
    last_offset: i64,
) -> Result<Vec<ObjectKey>, StorageError> {
    let mut chunks: Vec<(i64, ObjectKey)> = store
        .list(&prefix(batch))
        .await?
        .into_iter()
        .filter_map(|info| Some((first_offset(&info.key)?, info.key)))
        .filter(|(first, _)| *first <= last_offset)
        .collect();
    chunks.sort();
    // Start from the chunk that holds `from`: the last one starting at or before it.
    let start = chunks
        .iter()
        .rposition(|(first, _)| *first <= from)
        .unwrap_or(0);
    Ok(chunks.drain(start..).map(|(_, key)| key).collect())
}

/// The records of one chunk with offsets in `from..=last_offset`.
pub async fn read(
    store: &Store,
    key: &ObjectKey,
    from: i64,
    last_offset: i64,
) -> Result<Vec<OffsetRecord>, ChunkError> {
    let stored = storage::get_bytes(&**store, key)
        .await
        .map_err(|source| ChunkError::Storage {
            key: key.to_string(),
            source,
        })?;
    let mut records = tokio::task::spawn_blocking(move || decode(&stored))
        .await
        .map_err(|e| e.to_string())
        .and_then(|decoded| decoded)
        .map_err(|reason| ChunkError::Damaged {
            key: key.to_string(),
            reason,
        })?;
    records.retain(|r| r.offset >= from && r.offset <= last_offset);
    Ok(records)
}

/// Removes chunks of `batch` that start after `last_offset`: written by an upload whose
/// offsets were never committed, so no reader ever saw them.
pub async fn remove_unreadable(
    store: &Store,
    batch: Location,
    last_offset: i64,
) -> Result<(), StorageError> {
    for info in store.list(&prefix(batch)).await? {
        if first_offset(&info.key).is_some_and(|first| first > last_offset) {
            store.delete(&info.key).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(ms: i64) -> rmpv::Value {
        rmpv::Value::Ext(0, ms.to_be_bytes().to_vec())
    }

    fn sample(count: i64) -> Vec<OffsetRecord> {
        (0..count)
            .map(|offset| OffsetRecord {
                offset,
                record: rmpv::Value::Map(vec![
                    ("at".into(), date(1_767_225_600_000 + offset)),
                    ("name".into(), "Zoë ✓".into()),
                    ("none".into(), rmpv::Value::Nil),
                    ("amount".into(), rmpv::Value::F64(offset as f64 / 3.0)),
                ]),
            })
            .collect()
    }

    #[test]
    fn records_with_dates_nulls_and_unicode_survive_a_round_trip() {
        let records = sample(5000);
        assert_eq!(decode(&encode(&records).unwrap()).unwrap(), records);
    }

    /// The original's reader failed on a date split across two 16 KiB reads of the gunzipped
    /// stream; chunks are decoded from the whole decompressed buffer instead.
    #[test]
    fn a_date_across_a_16_kib_boundary_of_the_decompressed_data_is_read_whole() {
        const BOUNDARY: usize = 16 * 1024;
        for pad in 0..16 {
            let records: Vec<OffsetRecord> = (0..400)
                .map(|offset| OffsetRecord {
                    offset,
                    record: rmpv::Value::Map(vec![
                        ("pad".into(), "x".repeat(20 + pad).into()),
                        ("at".into(), date(1_767_225_600_000 + offset)),
                    ]),
                })
                .collect();
            let stored = encode(&records).unwrap();
            let plain = zstd::stream::decode_all(stored.as_slice()).unwrap();
            let straddles = plain
                .windows(2)
                .enumerate()
                .any(|(at, pair)| pair == [0xd7, 0x00] && at < BOUNDARY && at + 10 > BOUNDARY);
            if straddles {
                assert_eq!(decode(&stored).unwrap(), records);
                return;
            }
        }
        panic!("no padding put a date across the boundary");
    }

    #[test]
    fn chunk_keys_sort_in_offset_order_and_give_their_offset_back() {
        let batch = Location {
            package_id: 2,
            batch_id: 3,
        };
        let (nine, ten) = (key(batch, 9), key(batch, 10));
        assert!(nine < ten);
        assert_eq!(first_offset(&ten), Some(10));
        assert_eq!(
            ten.as_str(),
            "package/2/data/3/00000000000000000010.msgpack.zst"
        );
    }

    #[test]
    fn a_truncated_chunk_is_reported_as_damaged() {
        let stored = encode(&sample(100)).unwrap();
        assert!(decode(&stored[..stored.len() / 2]).is_err());
    }
}
