//! Byte plumbing between the synchronous tar and zstd codecs, which run on a blocking thread,
//! and the asynchronous storage and database, reached through a runtime handle.

use std::io::{self, Read, Write};

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use crate::storage::{ByteStream, ObjectKey, Store};

/// Chunk size for objects written to storage during a restore.
const CHUNK: usize = 256 * 1024;

/// Hex SHA-256 of what passed through, and how many bytes.
#[derive(Default)]
pub struct Tally {
    hasher: Sha256,
    pub bytes: u64,
}

impl Tally {
    pub fn add(&mut self, data: &[u8]) {
        self.hasher.update(data);
        self.bytes += data.len() as u64;
    }

    /// The checksum so far, as lower-case hex.
    pub fn hex(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that tallies everything written through it.
pub struct TallyWriter<W> {
    pub inner: W,
    pub tally: Tally,
}

impl<W: Write> Write for TallyWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.tally.add(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that tallies everything read through it.
pub struct TallyReader<R> {
    pub inner: R,
    pub tally: Tally,
}

impl<R: Read> Read for TallyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.tally.add(&buf[..read]);
        Ok(read)
    }
}

/// Reads an object's [`ByteStream`] as a blocking [`Read`], one chunk at a time.
pub struct StreamReader {
    handle: Handle,
    stream: ByteStream,
    chunk: Bytes,
}

impl StreamReader {
    pub fn new(handle: Handle, stream: ByteStream) -> Self {
        StreamReader {
            handle,
            stream,
            chunk: Bytes::new(),
        }
    }
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                Some(chunk) => self.chunk = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// Streams `reader` into storage under `key` from a blocking thread, tallying what was read.
/// The object is written through [`crate::storage::ObjectStore::put`], so a failure leaves no
/// partial object under the key.
pub fn put_from_reader(
    handle: &Handle,
    store: &Store,
    key: &ObjectKey,
    reader: &mut dyn Read,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(4);
    let body: ByteStream = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
    .boxed();
    let writer = {
        let store = store.clone();
        let key = key.clone();
        handle.spawn(async move { store.put(&key, body).await })
    };

    let fed = feed(reader, &sender, tally);
    if let Err(error) = &fed {
        // The storage side sees the failure and abandons its temporary object.
        let _ = sender.blocking_send(Err(io::Error::other(error.to_string())));
    }
    drop(sender);
    let stored = handle.block_on(writer)?;
    fed?;
    stored?;
    Ok(())
}

fn feed(
    reader: &mut dyn Read,
    sender: &tokio::sync::mpsc::Sender<io::Result<Bytes>>,
    tally: &mut Tally,
) -> io::Result<()> {
    loop {
        let mut buf = vec![0; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match reader.read(&mut buf[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        if filled == 0 {
            return Ok(());
        }
        buf.truncate(filled);
        tally.add(&buf);
        if sender.blocking_send(Ok(Bytes::from(buf))).is_err() {
            // The store gave up; its error is what the caller reports.
            return Ok(());
        }
    }
}

/// Reports bytes to a progress display as they are read.
pub struct Progressing<'a, R> {
    pub inner: R,
    pub progress: &'a dyn super::Progress,
}

impl<R: Read> Read for Progressing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64, 0);
        Ok(n)
    }
}
