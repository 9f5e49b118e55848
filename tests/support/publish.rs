//! Publishing and reading packages the way the DataPM CLI does, and looking at what the
//! registry kept: rows, stored package files and activity.
//!
//! ```ignore
//! let ada = new_account(&server, "ada").await;
//! let body = cli_publish_body(&fixture("countries", "1.0.0"));
//! let run = cli_publish(&server, &ada.key(), "ada", &body).await;
//! assert_eq!(run.names(), ["GetPackage", "CreatePackage", "Createversion"]);
//! ```
//!
//! The documents are the CLI's own (client-lib `RegistryClient` and lib `UpdatePackage`), with
//! the `__typename` that Apollo's cache adds to every object selection.

use std::path::Path;

use datapm_registry::entity::{activity_log, catalog, package, version};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::package_files::{cli_publish_body, fixture};
use super::server::{As, Reply, TestServer};

/// `GetPackage`, as `datapm info`, `fetch` and `publish` send it.
pub const GET_PACKAGE: &str = "query GetPackage($identifier: PackageIdentifierInput!) {
  package(identifier: $identifier) {
    displayName
    description
    myPermissions
    identifier { registryURL catalogSlug packageSlug __typename }
    versions { identifier { versionMajor versionMinor versionPatch __typename } __typename }
    latestVersion {
      identifier { versionMajor versionMinor versionPatch __typename }
      packageFile
      canonicalPackageFile
      updatedAt
      __typename
    }
    __typename
  }
}";

/// `CreatePackage`, sent by `datapm publish` after `PACKAGE_NOT_FOUND`.
pub const CREATE_PACKAGE: &str = "mutation CreatePackage($value: CreatePackageInput!) {
  createPackage(value: $value) {
    identifier { registryURL catalogSlug packageSlug __typename }
    __typename
  }
}";

/// `UpdatePackage`, sent by `datapm publish` when the package exists.
pub const UPDATE_PACKAGE: &str =
    "mutation UpdatePackage($identifier: PackageIdentifierInput!, $value: UpdatePackageInput!) {
  updatePackage(identifier: $identifier, value: $value) {
    identifier { catalogSlug packageSlug __typename }
    catalog { myPermissions displayName __typename }
    displayName
    description
    myPermissions
    isPublic
    latestVersion {
      identifier { versionMajor versionMinor versionPatch __typename }
      packageFile
      __typename
    }
    __typename
  }
}";

/// `Createversion` (sic), the CLI's publish mutation.
pub const CREATE_VERSION: &str =
    "mutation Createversion($value: CreateVersionInput!, $identifier: PackageIdentifierInput!) {
  createVersion(value: $value, identifier: $identifier) {
    identifier {
      registryURL catalogSlug packageSlug versionMajor versionMinor versionPatch __typename
    }
    packageFile
    createdAt
    __typename
  }
}";

/// `MyCatalogs`, sent by `datapm catalogs` and `publish`.
pub const MY_CATALOGS: &str = "query MyCatalogs {
  myCatalogs {
    identifier { registryURL catalogSlug __typename }
    displayName description website isPublic unclaimed myPermissions
    __typename
  }
}";

/// `{catalogSlug, packageSlug}`.
pub fn package_identifier(catalog: &str, package: &str) -> Value {
    json!({ "catalogSlug": catalog, "packageSlug": package })
}

/// `{catalogSlug, packageSlug, versionMajor, versionMinor, versionPatch}` for `"1.0.0"`.
pub fn version_identifier(catalog: &str, package: &str, number: &str) -> Value {
    let parts: Vec<i64> = number.split('.').map(|p| p.parse().unwrap()).collect();
    json!({ "catalogSlug": catalog, "packageSlug": package, "versionMajor": parts[0],
            "versionMinor": parts[1], "versionPatch": parts[2] })
}

/// The `VersionIdentifier` a number reads back as inside `GetPackage` (with `__typename`).
pub fn version_number(number: &str) -> Value {
    let parts: Vec<i64> = number.split('.').map(|p| p.parse().unwrap()).collect();
    json!({ "versionMajor": parts[0], "versionMinor": parts[1], "versionPatch": parts[2],
            "__typename": "VersionIdentifier" })
}

/// `versions { identifier __typename }` as `GetPackage` lists these numbers.
pub fn version_listing(numbers: &[&str]) -> Value {
    let listed: Vec<Value> = numbers
        .iter()
        .map(|v| json!({ "identifier": version_number(v), "__typename": "Version" }))
        .collect();
    json!(listed)
}

/// The package file the CLI sends for a fixture, as JSON.
pub fn sent_file(package: &str, version: &str) -> Value {
    serde_json::from_str(&cli_publish_body(&fixture(package, version))).unwrap()
}

/// `GetPackage` for `catalog/package`.
pub async fn get_package(server: &TestServer, who: &As, catalog: &str, package: &str) -> Reply {
    let variables = json!({ "identifier": package_identifier(catalog, package) });
    server.graphql_as(who, GET_PACKAGE, variables).await
}

/// `Createversion` of `body` (a package file as JSON text) in `catalog/package`.
pub async fn create_version(
    server: &TestServer,
    who: &As,
    catalog: &str,
    package: &str,
    body: &str,
) -> Reply {
    let variables = json!({
        "value": { "packageFile": body },
        "identifier": package_identifier(catalog, package),
    });
    server.graphql_as(who, CREATE_VERSION, variables).await
}

/// `CreatePackage` with the display name and description the CLI takes from the file.
pub async fn create_package(
    server: &TestServer,
    who: &As,
    catalog: &str,
    package: &str,
    file: &Value,
) -> Reply {
    let value = json!({
        "catalogSlug": catalog, "packageSlug": package,
        "displayName": file["displayName"], "description": file["description"],
    });
    server
        .graphql_as(who, CREATE_PACKAGE, json!({ "value": value }))
        .await
}

/// The operations one `datapm publish` upload sent, in order, with their answers.
#[derive(Debug)]
pub struct CliRun {
    pub steps: Vec<(&'static str, Reply)>,
}

impl CliRun {
    /// The operation names, in the order sent.
    pub fn names(&self) -> Vec<&'static str> {
        self.steps.iter().map(|(name, _)| *name).collect()
    }

    /// The answer to the named operation.
    pub fn reply(&self, name: &str) -> &Reply {
        let found = self.steps.iter().find(|(n, _)| *n == name);
        &found
            .unwrap_or_else(|| panic!("{name} was not sent: {:?}", self.names()))
            .1
    }

    /// The answer to the last operation sent.
    pub fn last(&self) -> &Reply {
        &self.steps.last().expect("at least GetPackage is sent").1
    }
}

/// What `datapm publish` does with one target registry (api.md §4.4 step 3): `GetPackage`;
/// `CreatePackage` when that says `PACKAGE_NOT_FOUND`, stop on any other error, else
/// `UpdatePackage`; then `Createversion` with the whole file. The `HIGHER_VERSION_REQUIRED`
/// retry is left to the test.
pub async fn cli_publish(server: &TestServer, who: &As, catalog: &str, body: &str) -> CliRun {
    let file: Value = serde_json::from_str(body).unwrap_or_else(|_| json!({}));
    let slug = file["packageSlug"]
        .as_str()
        .unwrap_or("unreadable")
        .to_owned();
    let mut steps = Vec::new();

    let found = get_package(server, who, catalog, &slug).await;
    let message = found.body["errors"][0]["message"]
        .as_str()
        .map(str::to_owned);
    steps.push(("GetPackage", found));
    match message {
        Some(m) if m.contains("PACKAGE_NOT_FOUND") => {
            let created = create_package(server, who, catalog, &slug, &file).await;
            let failed = created.body.get("errors").is_some();
            steps.push(("CreatePackage", created));
            if failed {
                return CliRun { steps };
            }
        }
        Some(_) => return CliRun { steps },
        None => {
            let value = json!({
                "description": file["description"], "displayName": file["displayName"],
            });
            let variables = json!({
                "identifier": package_identifier(catalog, &slug), "value": value,
            });
            let updated = server.graphql_as(who, UPDATE_PACKAGE, variables).await;
            let failed = updated.body.get("errors").is_some();
            steps.push(("UpdatePackage", updated));
            if failed {
                return CliRun { steps };
            }
        }
    }

    let published = create_version(server, who, catalog, &slug, body).await;
    steps.push(("Createversion", published));
    CliRun { steps }
}

/// Publishes a fixture with the CLI's sequence, failing the test unless it is accepted.
pub async fn publish_fixture(
    server: &TestServer,
    who: &As,
    catalog: &str,
    package: &str,
    version: &str,
) -> CliRun {
    let body = cli_publish_body(&fixture(package, version));
    let run = cli_publish(server, who, catalog, &body).await;
    run.last().data("createVersion");
    run
}

/// `value` with every `packageFile` and `canonicalPackageFile` string parsed, so files compare
/// as JSON values (key order and spacing do not matter).
pub fn files_parsed(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                let is_file = key == "packageFile" || key == "canonicalPackageFile";
                match inner {
                    Value::String(text) if is_file => {
                        *inner = serde_json::from_str(text).expect("a package file is JSON");
                    }
                    other => *other = files_parsed(other.take()),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| *v = files_parsed(v.take())),
        _ => {}
    }
    value
}

/// The stored package row, if any.
pub async fn package_row(
    server: &TestServer,
    catalog_slug: &str,
    slug: &str,
) -> Option<package::Model> {
    let db = &server.state().db;
    let catalog = catalog::Entity::find()
        .filter(catalog::Column::SlugKey.eq(catalog_slug.to_lowercase()))
        .one(db)
        .await
        .unwrap()?;
    package::Entity::find()
        .filter(package::Column::CatalogId.eq(catalog.id))
        .filter(package::Column::Slug.eq(slug))
        .one(db)
        .await
        .unwrap()
}

/// The version rows of a package, oldest first.
pub async fn version_rows(server: &TestServer, package_id: i64) -> Vec<version::Model> {
    version::Entity::find()
        .filter(version::Column::PackageId.eq(package_id))
        .order_by_asc(version::Column::Id)
        .all(&server.state().db)
        .await
        .unwrap()
}

/// The stored package files of a package, as storage keys such as
/// `package/3/1/0/0/package_file`, sorted.
pub fn stored_files_of(server: &TestServer, package_id: i64) -> Vec<String> {
    let storage = server.data_dir().join("storage");
    let mut found = Vec::new();
    collect_files(
        &storage,
        &storage.join(format!("package/{package_id}")),
        &mut found,
    );
    found.sort();
    found
}

/// Every stored package file, as storage keys, sorted.
pub fn all_stored_package_files(server: &TestServer) -> Vec<String> {
    let storage = server.data_dir().join("storage");
    let mut found = Vec::new();
    collect_files(&storage, &storage.join("package"), &mut found);
    found.sort();
    found
}

fn collect_files(root: &Path, dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, found);
        } else if path.file_name().is_some_and(|n| n == "package_file") {
            let key = path.strip_prefix(root).unwrap().to_string_lossy();
            found.push(key.into_owned());
        }
    }
}

/// Activity rows, oldest first, as (event, change type, package id, version id), leaving out
/// the account events every test starts with.
pub async fn package_activity(
    server: &TestServer,
) -> Vec<(String, Option<String>, Option<i64>, Option<i64>)> {
    let rows = activity_log::Entity::find()
        .order_by_asc(activity_log::Column::Id)
        .all(&server.state().db)
        .await
        .unwrap();
    rows.into_iter()
        .filter(|r| !r.event_type.starts_with("USER_"))
        .map(|r| {
            (
                r.event_type,
                r.change_type,
                r.target_package_id,
                r.target_version_id,
            )
        })
        .collect()
}

/// `createCatalog` with a slug, display name and public flag.
pub async fn create_catalog(server: &TestServer, who: &As, slug: &str, public: bool) -> Reply {
    let query = "mutation($value: CreateCatalogInput!) {
        createCatalog(value: $value) { identifier { catalogSlug } isPublic myPermissions }
    }";
    let value = json!({ "slug": slug, "displayName": slug, "isPublic": public });
    server
        .graphql_as(who, query, json!({ "value": value }))
        .await
}

/// `updateCatalog` with `value`, answering the catalog's slug and public flag.
pub async fn update_catalog(server: &TestServer, who: &As, slug: &str, value: Value) -> Reply {
    let query = "mutation($identifier: CatalogIdentifierInput!, $value: UpdateCatalogInput!) {
        updateCatalog(identifier: $identifier, value: $value) {
            identifier { catalogSlug } displayName description isPublic
        }
    }";
    let variables = json!({ "identifier": { "catalogSlug": slug }, "value": value });
    server.graphql_as(who, query, variables).await
}

/// `updatePackage` with `value`, answering the identifier and public flag.
pub async fn update_package(
    server: &TestServer,
    who: &As,
    catalog: &str,
    package: &str,
    value: Value,
) -> Reply {
    let query = "mutation($identifier: PackageIdentifierInput!, $value: UpdatePackageInput!) {
        updatePackage(identifier: $identifier, value: $value) {
            identifier { catalogSlug packageSlug } isPublic
        }
    }";
    let variables = json!({ "identifier": package_identifier(catalog, package), "value": value });
    server.graphql_as(who, query, variables).await
}

/// `setPackagePermissions` for one user or address.
pub async fn set_package_permissions(
    server: &TestServer,
    who: &As,
    (catalog, package): (&str, &str),
    name: &str,
    permissions: &[&str],
    message: &str,
) -> Reply {
    let query = "mutation($identifier: PackageIdentifierInput!,
                          $value: [SetPackagePermissionInput!]!, $message: String!) {
        setPackagePermissions(identifier: $identifier, value: $value, message: $message)
    }";
    let variables = json!({
        "identifier": package_identifier(catalog, package),
        "value": [{ "usernameOrEmailAddress": name, "permissions": permissions }],
        "message": message,
    });
    server.graphql_as(who, query, variables).await
}

/// `setUserCatalogPermission` for one user: on the catalog and on every package in it.
pub async fn set_catalog_permission(
    server: &TestServer,
    who: &As,
    catalog: &str,
    name: &str,
    on_catalog: &[&str],
    on_packages: &[&str],
) -> Reply {
    let query = "mutation($identifier: CatalogIdentifierInput!,
                          $value: [SetUserCatalogPermissionInput!]!, $message: String!) {
        setUserCatalogPermission(identifier: $identifier, value: $value, message: $message)
    }";
    let value = json!([{ "usernameOrEmailAddress": name, "permission": on_catalog,
                         "packagePermissions": on_packages }]);
    let variables = json!({ "identifier": { "catalogSlug": catalog }, "value": value,
                            "message": "" });
    server.graphql_as(who, query, variables).await
}

/// `catalogSlug/packageSlug` of every package in a list answer.
pub fn identifiers_in(packages: &Value) -> Vec<String> {
    let list = packages.as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|p| {
            let id = &p["identifier"];
            format!(
                "{}/{}",
                id["catalogSlug"].as_str().unwrap(),
                id["packageSlug"].as_str().unwrap()
            )
        })
        .collect()
}
