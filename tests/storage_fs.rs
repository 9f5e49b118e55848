//! The local-file object store, on real folders, including writers killed mid-write.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use datapm_registry::storage::*;
use futures::{StreamExt, TryStreamExt, stream};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

async fn store_in(dir: &Path) -> Store {
    open(&format!("file://{}", dir.display())).await.unwrap()
}

async fn new_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    (dir, store)
}

fn key(text: &str) -> ObjectKey {
    ObjectKey::parse(text).unwrap()
}

fn chunks(parts: Vec<&'static [u8]>) -> ByteStream {
    stream::iter(parts.into_iter().map(|part| Ok(Bytes::from_static(part)))).boxed()
}

async fn read(store: &Store, text: &str) -> Bytes {
    get_bytes(store.as_ref(), &key(text)).await.unwrap()
}

async fn keys_listed(store: &Store, prefix: &str) -> Vec<String> {
    let listed = store.list(prefix).await.unwrap();
    listed
        .into_iter()
        .map(|info| info.key.to_string())
        .collect()
}

#[tokio::test]
async fn a_small_object_round_trips() {
    let (_dir, store) = new_store().await;
    let k = key("package/12/1/0/3/package_file");

    let written = put_bytes(store.as_ref(), &k, Bytes::from_static(b"{\"a\":1}")).await;

    assert_eq!(written.unwrap(), 7);
    assert_eq!(
        read(&store, k.as_str()).await,
        Bytes::from_static(b"{\"a\":1}")
    );
}

#[tokio::test]
async fn an_object_sent_in_chunks_is_stored_as_one() {
    let (_dir, store) = new_store().await;
    let k = key("data/7/0.msgpack.gz");

    let written = store.put(&k, chunks(vec![b"ab", b"", b"cde"])).await;

    assert_eq!(written.unwrap(), 5);
    assert_eq!(
        read(&store, "data/7/0.msgpack.gz").await,
        Bytes::from_static(b"abcde")
    );
}

#[tokio::test]
async fn an_empty_object_round_trips() {
    let (_dir, store) = new_store().await;

    put_bytes(store.as_ref(), &key("empty"), Bytes::new())
        .await
        .unwrap();

    assert!(store.exists(&key("empty")).await.unwrap());
    assert!(read(&store, "empty").await.is_empty());
}

/// 400 chunks of 50 000 bytes, each different, so a lost or reordered chunk changes the hash.
const BIG_CHUNKS: u32 = 400;
const BIG_CHUNK_LEN: usize = 50_000;

fn big_chunk(index: u32) -> Bytes {
    let seed = Sha256::digest(index.to_le_bytes());
    Bytes::from(
        seed.iter()
            .copied()
            .cycle()
            .take(BIG_CHUNK_LEN)
            .collect::<Vec<u8>>(),
    )
}

fn big_body() -> ByteStream {
    stream::iter(0..BIG_CHUNKS)
        .map(|index| Ok(big_chunk(index)))
        .boxed()
}

fn big_body_sha() -> Vec<u8> {
    let mut sha = Sha256::new();
    (0..BIG_CHUNKS).for_each(|index| sha.update(big_chunk(index)));
    sha.finalize().to_vec()
}

#[tokio::test]
async fn a_20_mb_object_streams_in_and_out_unchanged() {
    let (_dir, store) = new_store().await;
    let k = key("data/1/big.bin");

    let written = store.put(&k, big_body()).await.unwrap();
    assert_eq!(written, 20_000_000);

    let mut body = store.get(&k).await.unwrap();
    let (mut sha, mut total, mut largest, mut pieces) = (Sha256::new(), 0, 0, 0);
    while let Some(chunk) = body.try_next().await.unwrap() {
        sha.update(&chunk);
        total += chunk.len();
        largest = largest.max(chunk.len());
        pieces += 1;
    }

    assert_eq!(total, 20_000_000);
    assert_eq!(sha.finalize().to_vec(), big_body_sha());
    assert!(
        pieces > 1 && largest <= 4 * 1024 * 1024,
        "read as {pieces} pieces, largest {largest}"
    );
    assert_eq!(store.list("data/1/").await.unwrap()[0].size, 20_000_000);
}

#[tokio::test]
async fn exists_is_true_only_for_stored_objects() {
    let (_dir, store) = new_store().await;
    put_bytes(
        store.as_ref(),
        &key("user/9/user_avatar"),
        Bytes::from_static(b"jpeg"),
    )
    .await
    .unwrap();

    assert!(store.exists(&key("user/9/user_avatar")).await.unwrap());
    assert!(!store.exists(&key("user/9/user_cover")).await.unwrap());
    assert!(
        !store.exists(&key("user/9")).await.unwrap(),
        "a folder is not an object"
    );
}

#[tokio::test]
async fn put_replaces_the_previous_object() {
    let (_dir, store) = new_store().await;
    let k = key("catalog/4/catalog_cover");

    put_bytes(store.as_ref(), &k, Bytes::from_static(b"old and longer"))
        .await
        .unwrap();
    put_bytes(store.as_ref(), &k, Bytes::from_static(b"new"))
        .await
        .unwrap();

    assert_eq!(read(&store, k.as_str()).await, Bytes::from_static(b"new"));
}

#[tokio::test]
async fn a_deleted_object_is_gone() {
    let (_dir, store) = new_store().await;
    let k = key("package/3/package_cover");
    put_bytes(store.as_ref(), &k, Bytes::from_static(b"jpeg"))
        .await
        .unwrap();

    store.delete(&k).await.unwrap();

    assert!(!store.exists(&k).await.unwrap());
    assert!(matches!(
        store.get(&k).await,
        Err(StorageError::NotFound { .. })
    ));
}

#[tokio::test]
async fn deleting_a_missing_object_succeeds() {
    let (_dir, store) = new_store().await;

    store.delete(&key("never/stored")).await.unwrap();
}

#[tokio::test]
async fn getting_a_missing_object_is_not_found_and_names_the_key() {
    let (_dir, store) = new_store().await;

    let err = store
        .get(&key("package/1/package_file"))
        .await
        .err()
        .unwrap();

    assert!(matches!(err, StorageError::NotFound { .. }));
    assert!(err.to_string().contains("package/1/package_file"), "{err}");
}

#[tokio::test]
async fn listing_returns_only_matching_keys_sorted_with_their_sizes() {
    let (dir, store) = new_store().await;
    for (text, body) in [
        ("package/2/x", "22"),
        ("package/1/b", "bbb"),
        ("package/10/c", "c"),
        ("package/1/a", "a"),
        ("data/1/0.msgpack.gz", "d"),
    ] {
        put_bytes(store.as_ref(), &key(text), Bytes::from(body))
            .await
            .unwrap();
    }
    // A write in progress sits in the temporary folder and must not show.
    std::fs::write(dir.path().join(".tmp/in-progress.partial"), "x").unwrap();

    let listed = store.list("package/1/").await.unwrap();
    let expected = [("package/1/a", 1), ("package/1/b", 3)];
    let expected = expected.map(|(text, size)| ObjectInfo {
        key: key(text),
        size,
    });
    assert_eq!(listed, expected);

    assert_eq!(
        keys_listed(&store, "package/1").await,
        ["package/1/a", "package/1/b", "package/10/c"]
    );
    assert_eq!(
        keys_listed(&store, "").await,
        [
            "data/1/0.msgpack.gz",
            "package/1/a",
            "package/1/b",
            "package/10/c",
            "package/2/x"
        ]
    );
    assert!(keys_listed(&store, "nothing/").await.is_empty());
}

#[tokio::test]
async fn listing_with_an_escaping_prefix_is_refused() {
    let (_dir, store) = new_store().await;

    for prefix in ["../", "/etc/", "a/../", ".tmp/"] {
        let listed = store.list(prefix).await;
        assert!(
            matches!(listed, Err(StorageError::InvalidKey { .. })),
            "{prefix}: {listed:?}"
        );
    }
}

#[tokio::test]
async fn put_if_absent_creates_a_missing_object() {
    let (_dir, store) = new_store().await;
    let k = key("package/5/1/0/0/package_file");

    let written = store
        .put_if_absent(&k, chunks(vec![b"{", b"}"]))
        .await
        .unwrap();

    assert_eq!(written, 2);
    assert_eq!(read(&store, k.as_str()).await, Bytes::from_static(b"{}"));
}

#[tokio::test]
async fn put_if_absent_is_refused_when_present_and_the_original_is_unchanged() {
    let (dir, store) = new_store().await;
    let k = key("package/5/1/0/0/package_file");
    put_bytes(store.as_ref(), &k, Bytes::from_static(b"original"))
        .await
        .unwrap();

    let second = store.put_if_absent(&k, chunks(vec![b"intruder"])).await;

    assert!(
        matches!(second, Err(StorageError::AlreadyExists { .. })),
        "{second:?}"
    );
    assert_eq!(
        read(&store, k.as_str()).await,
        Bytes::from_static(b"original")
    );
    assert_eq!(temp_files(dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn racing_create_only_writes_have_exactly_one_winner() {
    let (_dir, store) = new_store().await;
    let k = key("collection/1/collection_cover");

    let attempts = (0..8u8).map(|n| {
        let (store, k) = (store.clone(), k.clone());
        tokio::spawn(async move { store.put_if_absent(&k, chunks_of(vec![n; 100_000])).await })
    });
    let results = futures::future::join_all(attempts).await;

    let won = results
        .iter()
        .filter(|r| matches!(r, Ok(Ok(100_000))))
        .count();
    assert_eq!(won, 1, "{results:?}");
    let stored = read(&store, k.as_str()).await;
    assert!(stored.len() == 100_000 && stored.iter().all(|b| *b == stored[0]));
}

fn chunks_of(bytes: Vec<u8>) -> ByteStream {
    let parts: Vec<_> = bytes
        .chunks(1000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(parts).boxed()
}

#[tokio::test]
async fn a_body_that_fails_midway_stores_nothing_and_keeps_the_previous_object() {
    let (dir, store) = new_store().await;
    put_bytes(store.as_ref(), &key("a/kept"), Bytes::from_static(b"v1"))
        .await
        .unwrap();

    for target in ["a/kept", "a/new"] {
        let failing = stream::iter([
            Ok(Bytes::from_static(b"part")),
            Err(std::io::Error::other("client left")),
        ]);
        let put = store.put(&key(target), failing.boxed()).await;
        assert!(matches!(put, Err(StorageError::Body { .. })), "{put:?}");
    }

    assert_eq!(read(&store, "a/kept").await, Bytes::from_static(b"v1"));
    assert!(!store.exists(&key("a/new")).await.unwrap());
    assert_eq!(temp_files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn every_escaping_key_is_refused() {
    for text in [
        "..", "../x", "a/../b", "a/..", "/abs", "/", "a\0b", "a\\b", "..\\x", "", "a//b", "./a",
    ] {
        let parsed = ObjectKey::parse(text);
        assert!(
            matches!(parsed, Err(StorageError::InvalidKey { .. })),
            "{text:?}: {parsed:?}"
        );
    }
}

#[tokio::test]
async fn open_refuses_an_unsupported_scheme() {
    let opened = open("ftp://x").await;

    assert!(
        matches!(opened, Err(StorageError::UnsupportedScheme { .. })),
        "{opened:?}"
    );
}

#[tokio::test]
async fn open_keeps_credentials_out_of_its_messages() {
    let err = open("ftp://user:hunter2@host/x?token=abc")
        .await
        .err()
        .unwrap();

    let message = err.to_string();
    assert!(
        !message.contains("hunter2") && !message.contains("abc"),
        "{message}"
    );
}

#[tokio::test]
async fn open_refuses_a_url_without_a_scheme() {
    let opened = open("/var/lib/storage").await;

    assert!(
        matches!(opened, Err(StorageError::InvalidUrl { .. })),
        "{opened:?}"
    );
}

#[tokio::test]
async fn open_refuses_a_folder_it_cannot_create() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-regular-file");
    std::fs::write(&file, "x").unwrap();

    let opened = open(&format!("file://{}/storage", file.display())).await;

    let err = opened.err().unwrap();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("a-regular-file"), "{err}");
}

#[tokio::test]
async fn open_creates_a_missing_folder_and_describes_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("deep/storage");

    let store = store_in(&root).await;

    assert!(root.is_dir());
    let described = format!("file://{}", root.canonicalize().unwrap().display());
    assert_eq!(store.describe(), described);
}

#[tokio::test]
async fn open_accepts_a_folder_relative_to_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let relative = relative_from_cwd(&dir.path().join("relative-storage"));
    assert!(relative.is_relative());

    let store = open(&format!("file://{}", relative.display()))
        .await
        .unwrap();
    put_bytes(store.as_ref(), &key("x"), Bytes::from_static(b"1"))
        .await
        .unwrap();

    assert!(dir.path().join("relative-storage/x").is_file());
    assert!(
        store.describe().starts_with("file:///"),
        "{}",
        store.describe()
    );
}

/// `target` written as `../../…` from the working directory, without changing the directory.
fn relative_from_cwd(target: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
    let target = target
        .canonicalize()
        .unwrap_or_else(|_| target.to_path_buf());
    let ups = cwd.components().count() - 1;
    let mut relative: PathBuf = std::iter::repeat_n("..", ups).collect();
    relative.push(target.strip_prefix("/").unwrap());
    relative
}

#[tokio::test]
async fn check_writable_passes_and_leaves_nothing_behind() {
    let (dir, store) = new_store().await;

    store.check_writable().await.unwrap();

    assert!(store.list("").await.unwrap().is_empty());
    assert_eq!(temp_files(dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn opening_removes_stale_temporary_files_and_keeps_fresh_ones() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_in(dir.path()).await);
    let stale = dir.path().join(".tmp/killed.partial");
    let fresh = dir.path().join(".tmp/writing.partial");
    std::fs::write(&stale, "x").unwrap();
    std::fs::write(&fresh, "x").unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 60 * 60);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();

    store_in(dir.path()).await;

    assert!(!stale.exists());
    assert!(fresh.exists());
}

fn temp_files(root: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(root.join(".tmp")).unwrap();
    entries.map(|entry| entry.unwrap().path()).collect()
}

// Crash safety: a child process (this test binary, re-run on the helper test below) starts an
// endless write and is killed with SIGKILL once a megabyte of it is on disk.

const CRASH_DIR: &str = "DATAPM_STORAGE_CRASH_DIR";
const CRASH_KEY: &str = "DATAPM_STORAGE_CRASH_KEY";
const CRASH_CREATE_ONLY: &str = "DATAPM_STORAGE_CRASH_CREATE_ONLY";

/// Only does something in the child started by `kill_a_writer_mid_write`.
#[tokio::test]
async fn helper_writes_slowly_until_killed() {
    let Ok(dir) = std::env::var(CRASH_DIR) else {
        return;
    };
    let store = store_in(Path::new(&dir)).await;
    let k = key(&std::env::var(CRASH_KEY).unwrap());
    let endless = stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        Some((Ok(Bytes::from(vec![b'p'; 64 * 1024])), ()))
    });

    let written = match std::env::var(CRASH_CREATE_ONLY) {
        Ok(_) => store.put_if_absent(&k, endless.boxed()).await,
        Err(_) => store.put(&k, endless.boxed()).await,
    };
    panic!("the endless write ended: {written:?}");
}

#[cfg(unix)]
fn kill_a_writer_mid_write(root: &Path, key: &str, create_only: bool) {
    use std::os::unix::process::ExitStatusExt;

    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args([
        "--exact",
        "helper_writes_slowly_until_killed",
        "--nocapture",
    ]);
    child.env(CRASH_DIR, root).env(CRASH_KEY, key);
    if create_only {
        child.env(CRASH_CREATE_ONLY, "1");
    }
    let mut child = child
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let started = wait_for_partial_file(root, 1024 * 1024, Duration::from_secs(60));
    child.kill().unwrap();
    let status = child.wait().unwrap();

    assert!(started, "the child never got a megabyte into its write");
    assert_eq!(
        status.signal(),
        Some(9),
        "the child ended otherwise: {status:?}"
    );
}

/// Waits until some file anywhere under `root` holds at least `len` bytes.
fn wait_for_partial_file(root: &Path, len: u64, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if largest_file(root) >= len {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn largest_file(folder: &Path) -> u64 {
    let entries = std::fs::read_dir(folder).into_iter().flatten().flatten();
    let sizes = entries.filter_map(|entry| {
        let meta = entry.metadata().ok()?;
        Some(match meta.is_dir() {
            true => largest_file(&entry.path()),
            false => meta.len(),
        })
    });
    sizes.max().unwrap_or(0)
}

#[cfg(unix)]
async fn assert_invisible(store: &Store, text: &str) {
    assert!(!store.exists(&key(text)).await.unwrap());
    assert!(!keys_listed(store, "").await.contains(&text.to_owned()));
    assert!(matches!(
        store.get(&key(text)).await,
        Err(StorageError::NotFound { .. })
    ));
}

#[cfg(unix)]
#[tokio::test]
async fn a_writer_killed_mid_write_leaves_no_object_under_a_new_key() {
    let dir = tempfile::tempdir().unwrap();

    kill_a_writer_mid_write(dir.path(), "data/3/0.msgpack.gz", false);

    let store = store_in(dir.path()).await;
    assert_invisible(&store, "data/3/0.msgpack.gz").await;
    assert!(store.list("").await.unwrap().is_empty());
    let partial = temp_files(dir.path());
    assert!(!partial.is_empty(), "the partial write should sit in .tmp");
}

#[cfg(unix)]
#[tokio::test]
async fn a_writer_killed_mid_replace_leaves_the_previous_version_intact() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    put_bytes(
        store.as_ref(),
        &key("package/1/package_cover"),
        Bytes::from_static(b"v1"),
    )
    .await
    .unwrap();

    kill_a_writer_mid_write(dir.path(), "package/1/package_cover", false);

    assert_eq!(
        read(&store, "package/1/package_cover").await,
        Bytes::from_static(b"v1")
    );
    let listed = store.list("").await.unwrap();
    assert_eq!(
        listed,
        [ObjectInfo {
            key: key("package/1/package_cover"),
            size: 2
        }]
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_create_only_writer_killed_mid_write_leaves_the_key_free() {
    let dir = tempfile::tempdir().unwrap();

    kill_a_writer_mid_write(dir.path(), "package/2/1/0/0/package_file", true);

    let store = store_in(dir.path()).await;
    assert_invisible(&store, "package/2/1/0/0/package_file").await;
    let k = key("package/2/1/0/0/package_file");
    store.put_if_absent(&k, chunks(vec![b"{}"])).await.unwrap();
    assert_eq!(read(&store, k.as_str()).await, Bytes::from_static(b"{}"));
}
