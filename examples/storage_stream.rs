//! Streams one file into a store as an object and back out through the registry's storage code,
//! for `bench/storage.sh`: `storage_stream STORAGE_URL FILE`.
//!
//! The file is sent in fresh 64 KiB chunks as it is read, as a client upload arrives from its
//! socket, and the object read back is only counted and checksummed, so what the process holds
//! is what the storage code holds, and the bytes come from where curl takes them in the same
//! benchmark. Settings for buckets come from the process environment, as for `serve`. Prints one
//! JSON line: seconds and peak resident memory (VmHWM, reset between the two directions) for the
//! write and for the read.

use std::time::Instant;

use datapm_registry::storage::{ByteStream, ObjectKey, open};
use futures::{StreamExt, TryStreamExt};
use tokio_util::io::ReaderStream;

const CHUNK: usize = 64 * 1024;

/// The file at `path` as a stream of 64 KiB chunks.
async fn body(path: &str) -> anyhow::Result<ByteStream> {
    let file = tokio::fs::File::open(path).await?;
    Ok(ReaderStream::with_capacity(file, CHUNK).boxed())
}

/// The byte count and XOR of every byte of `body`: a cheap check that the object came back whole.
async fn fold(body: ByteStream) -> std::io::Result<(u64, u8)> {
    body.try_fold((0u64, 0u8), |(count, sum), chunk| async move {
        let sum = chunk.iter().fold(sum, |sum, byte| sum ^ byte);
        Ok((count + chunk.len() as u64, sum))
    })
    .await
}

/// The process's peak resident memory in MiB since the last reset.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|line| line.starts_with("VmHWM:"));
    let kib: f64 = line
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

/// Starts a new peak-memory measurement (Linux: writing 5 to clear_refs resets VmHWM).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(path)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: storage_stream STORAGE_URL FILE");
    };
    let total = std::fs::metadata(&path)?.len();
    let store = open(&url).await?;
    let key = ObjectKey::parse(&format!("bench/{}", uuid::Uuid::new_v4().simple()))?;

    reset_peak_rss();
    let started = Instant::now();
    let written = store.put_if_absent(&key, body(&path).await?).await?;
    let write_seconds = started.elapsed().as_secs_f64();
    let write_peak = peak_rss_mib();
    anyhow::ensure!(written == total, "wrote {written} bytes of {total}");

    reset_peak_rss();
    let started = Instant::now();
    let (read, checksum) = fold(store.get(&key).await?).await?;
    let read_seconds = started.elapsed().as_secs_f64();
    let read_peak = peak_rss_mib();
    anyhow::ensure!(read == total, "read {read} bytes of {total}");

    let (_, expected) = fold(body(&path).await?).await?;
    anyhow::ensure!(
        checksum == expected,
        "the object read back differs from {path}"
    );
    store.delete(&key).await?;

    println!(
        "{{\"bytes\":{total},\"write_s\":{write_seconds:.3},\"write_peak_rss_mib\":{write_peak:.1},\
         \"read_s\":{read_seconds:.3},\"read_peak_rss_mib\":{read_peak:.1}}}"
    );
    Ok(())
}
