//! Real package files made by `datapm package`, and the exact `createVersion` argument the
//! `datapm publish` command builds from one.
//!
//! What the CLI sends (client-lib `PublishJob` and `publishPackageFile`, lib
//! `loadPackageFileFromDisk`): it reads the file with `JSON.parse`, replaces `readmeFile` by
//! `readmeMarkdown` holding the text of that file (read from beside the package file) and
//! `licenseFile` by `licenseMarkdown` likewise, adds the registry the user picked to
//! `registries` when it is not there yet, and sends `JSON.stringify` of the result: compact, keys
//! in JavaScript's order. The whole file goes, `registries` included.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The directory of the fixture packages: `DATAPM_FIXTURES_DIR`, else `../shared/fixtures/packages`
/// beside the repository.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("DATAPM_FIXTURES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/packages"),
    }
}

/// The path of a fixture package file, e.g. `fixture("countries", "1.0.0")`.
pub fn fixture(package: &str, version: &str) -> PathBuf {
    fixtures_dir()
        .join(package)
        .join(format!("{package}-{version}.datapm.json"))
}

/// Every fixture package file, sorted by path.
pub fn all_fixtures() -> Vec<PathBuf> {
    let dir = fixtures_dir();
    let packages = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list the fixtures in {}: {e}", dir.display()));

    let mut files: Vec<PathBuf> = packages
        .flat_map(|package| fs::read_dir(package.unwrap().path()).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".datapm.json"))
        .collect();
    files.sort();
    files
}

/// The text of a file, with the path in the panic message.
pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The package file at `path` as JSON, keys in the file's order.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `packageFile` string `datapm publish` sends for the file at `path` when the file already
/// names its registries (or is published with `--defaults`): readme and license inlined.
pub fn cli_publish_body(path: &Path) -> String {
    to_js_json(&cli_loaded(path))
}

/// The `packageFile` string `datapm publish` sends after the user picked `registry_url`, the
/// catalog and the publish method at its prompts.
pub fn cli_publish_body_to(
    path: &Path,
    registry_url: &str,
    catalog_slug: &str,
    publish_method: &str,
) -> String {
    let mut file = cli_loaded(path);
    let chosen =
        json!({"url": registry_url, "catalogSlug": catalog_slug, "publishMethod": publish_method});

    // An entry for the same registry and catalog is replaced by the choice, at the end.
    let same_target = |entry: &Value| {
        let field = |name| entry[name].as_str().unwrap_or_default().to_lowercase();
        field("url") == registry_url.to_lowercase()
            && field("catalogSlug") == catalog_slug.to_lowercase()
    };
    let mut registries: Vec<Value> = match file.get("registries") {
        Some(Value::Array(entries)) => entries
            .iter()
            .filter(|e| !same_target(e))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    registries.push(chosen);
    file.insert("registries".into(), Value::Array(registries));

    to_js_json(&file)
}

/// `loadPackageFileFromDisk`: the file with `readmeFile` and `licenseFile` replaced by the text
/// of those files. (It also upgrades older formats and turns dates into `Date`s and back; the
/// fixtures are current and their dates already in `toISOString` form, so neither changes them.)
fn cli_loaded(path: &Path) -> Map<String, Value> {
    let Value::Object(mut file) = read_json(path) else {
        panic!("{} is not a JSON object", path.display());
    };
    let dir = path.parent().expect("a package file is in a directory");

    for (name_key, text_key) in [
        ("readmeFile", "readmeMarkdown"),
        ("licenseFile", "licenseMarkdown"),
    ] {
        let Some(Value::String(name)) = file.get(name_key).cloned() else {
            continue;
        };
        file.insert(text_key.into(), Value::String(read(&dir.join(name))));
        file.shift_remove(name_key);
    }
    file
}

/// `JSON.stringify`: compact, and in every object the keys that look like array indexes come
/// first in numeric order, then the others in insertion order (JavaScript's property order).
pub fn to_js_json(file: &Map<String, Value>) -> String {
    let mut value = Value::Object(file.clone());
    js_key_order(&mut value);
    value.to_string()
}

fn js_key_order(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(js_key_order),
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            entries.sort_by_key(|(key, _)| {
                let index = array_index(key);
                (index.is_none(), index)
            });
            for (_, inner) in &mut entries {
                js_key_order(inner);
            }
            map.extend(entries);
        }
        _ => {}
    }
}

/// `Some(n)` for a key JavaScript treats as an array index (a canonical number below 2³² − 1);
/// those sort first and by value, and the stable sort keeps the rest in order.
fn array_index(key: &str) -> Option<u32> {
    let canonical =
        key == "0" || (!key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit()));
    let index = key.parse::<u32>().ok().filter(|n| *n < u32::MAX);
    match (canonical, index) {
        (true, Some(n)) => Some(n),
        _ => None,
    }
}
