//! What the local-file object store adds to the storage contract (`storage_contract.rs`): writes
//! in progress kept out of sight in `.tmp`, no temporary files left behind, folders opened and
//! created, and writers killed mid-write.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use datapm_registry::storage::*;
use futures::{StreamExt, stream};
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
async fn listing_skips_writes_in_progress() {
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
async fn a_refused_create_only_write_leaves_no_temporary_file() {
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
async fn a_body_that_fails_midway_leaves_no_temporary_file() {
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
async fn check_writable_leaves_no_temporary_file() {
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
