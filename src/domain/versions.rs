//! Versions: publishing a package file, reading it back, deleting it, and comparing versions.
//!
//! A publish is all or nothing: the version row, the comparison with the previous version and
//! the stored file commit together. The file is written under its final key inside the
//! database transaction and removed again if the transaction does not commit. The texts served
//! for a version are kept in the file cache, since a stored file never changes.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use semver::Version as SemVer;

use super::file_cache::{self, Form};
use super::package_file::{self, Difference, ParsedPackageFile, VersionCheck};
use super::packages::{self, Located};
use crate::activity::ActivityEvent;
use crate::app::AppState;
use crate::auth::Viewer;
use crate::entity::{package, version, version_comparison, version_difference};
use crate::error::{ApiError, ApiResult};
use crate::storage::{self, ObjectKey, StorageError};

/// `major.minor.patch` of a stored version.
pub fn number(row: &version::Model) -> String {
    format!("{}.{}.{}", row.major, row.minor, row.patch)
}

fn key_of(row: &version::Model) -> ObjectKey {
    packages::package_file_key(row.package_id, row.major, row.minor, row.patch)
}

/// The package's versions, highest first.
pub async fn all(db: &impl ConnectionTrait, package_id: i64) -> ApiResult<Vec<version::Model>> {
    Ok(version::Entity::find()
        .filter(version::Column::PackageId.eq(package_id))
        .order_by_desc(version::Column::Major)
        .order_by_desc(version::Column::Minor)
        .order_by_desc(version::Column::Patch)
        .all(db)
        .await?)
}

/// The package's highest version.
pub async fn latest(
    db: &impl ConnectionTrait,
    package_id: i64,
) -> ApiResult<Option<version::Model>> {
    Ok(version::Entity::find()
        .filter(version::Column::PackageId.eq(package_id))
        .order_by_desc(version::Column::Major)
        .order_by_desc(version::Column::Minor)
        .order_by_desc(version::Column::Patch)
        .one(db)
        .await?)
}

/// One version of the package, or `VERSION_NOT_FOUND`.
pub async fn find(
    db: &impl ConnectionTrait,
    located: &Located,
    number: (i32, i32, i32),
) -> ApiResult<version::Model> {
    version::Entity::find()
        .filter(version::Column::PackageId.eq(located.package.id))
        .filter(version::Column::Major.eq(number.0))
        .filter(version::Column::Minor.eq(number.1))
        .filter(version::Column::Patch.eq(number.2))
        .one(db)
        .await?
        .ok_or_else(|| {
            let (major, minor, patch) = number;
            ApiError::failed(format!(
                "VERSION_NOT_FOUND - {}@{major}.{minor}.{patch}",
                located.identifier()
            ))
        })
}

/// The stored package file of a version, as it was published.
async fn read_file(state: &AppState, row: &version::Model) -> ApiResult<serde_json::Value> {
    let bytes = match storage::get_bytes(&*state.store, &key_of(row)).await {
        Ok(bytes) => bytes,
        Err(StorageError::NotFound { .. }) => {
            return Err(ApiError::failed("PACKAGE_FILE_NOT_FOUND"));
        }
        Err(e) => return Err(e.into()),
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored package file: {e}")))
}

/// The version's file as published, as JSON text.
pub async fn canonical_text(state: &AppState, row: &version::Model) -> ApiResult<Arc<str>> {
    let key = file_cache::Key::new(row, Form::Canonical);
    if let Some(text) = state.files.get(&key) {
        return Ok(text);
    }
    let text: Arc<str> = read_file(state, row).await?.to_string().into();
    state.files.insert(key, text.clone());
    Ok(text)
}

/// The version's file as clients should use it (for data kept in this registry, its sources
/// point here), as JSON text.
pub async fn published_text(
    state: &AppState,
    row: &version::Model,
    located: &Located,
) -> ApiResult<Arc<str>> {
    let form = Form::Published {
        catalog: located.catalog.slug.clone(),
        package: located.package.slug.clone(),
    };
    let key = file_cache::Key::new(row, form);
    if let Some(text) = state.files.get(&key) {
        return Ok(text);
    }
    let stored = read_file(state, row).await?;
    let view = package_file::published_view(
        &stored,
        state.config.registry_url.as_str(),
        &located.catalog.slug,
        &located.package.slug,
    )
    .map_err(|e| ApiError::failed(e.to_string()))?;
    let text: Arc<str> = view.to_string().into();
    state.files.insert(key, text.clone());
    Ok(text)
}

/// Publishes a package file as a new version of `located`, or as a trivial update of the latest
/// when nothing that matters changed. A version number lower than the changes require is
/// refused with `HIGHER_VERSION_REQUIRED` and the smallest acceptable number.
pub async fn publish(
    state: &AppState,
    author: &Viewer,
    located: &Located,
    text: &str,
) -> ApiResult<version::Model> {
    let parsed = package_file::parse(text, &package_file::max_supported_version())
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let txn = crate::db::write(&state.db).await?;
    let previous = latest(&txn, located.package.id).await?;
    let check = match &previous {
        Some(row) => Some(compare_with(state, row, &parsed).await?),
        None => None,
    };
    if let Some(check) = &check {
        if check.compatibility == package_file::Compatibility::Identical {
            let row = previous
                .clone()
                .expect("a check implies a previous version");
            let row = trivial_update(state, &txn, author, located, row).await?;
            txn.commit().await?;
            return Ok(row);
        }
        if !check.is_allowed() {
            return Err(higher_version_required(located, check));
        }
    }
    let row = insert_version(&txn, author, located, &parsed).await?;
    record_comparison(&txn, previous.as_ref(), &row, check.as_ref()).await?;
    let change = package_file::change_type(
        check
            .as_ref()
            .map(|c| c.compatibility)
            .unwrap_or(package_file::Compatibility::Identical),
        check.is_none(),
    );
    let mut event = event("VERSION_CREATED", author, located, &row);
    event.change_type = Some(change);
    state.activity.record(&txn, event).await?;
    store_and_commit(state, txn, &row, parsed.to_json()).await?;
    tracing::info!(package = %located.identifier(), version = %number(&row), "version published");
    Ok(row)
}

async fn compare_with(
    state: &AppState,
    row: &version::Model,
    parsed: &ParsedPackageFile,
) -> ApiResult<VersionCheck> {
    let stored = canonical_text(state, row).await?;
    let latest =
        package_file::parse(&stored, &package_file::max_supported_version()).map_err(|e| {
            ApiError::internal(anyhow::anyhow!(
                "stored package file of {}: {e}",
                number(row)
            ))
        })?;
    package_file::check_new_version(&latest.file, &parsed.file)
        .map_err(|e| ApiError::invalid(e.to_string()))
}

fn higher_version_required(located: &Located, check: &VersionCheck) -> ApiError {
    let message = format!(
        "{} has current version {}, and this new version has {} changes - requiring a minimum \
         version number of {}, but you submitted version number {}",
        located.identifier(),
        check.existing,
        check.compatibility.message_word(),
        check.min_next,
        check.proposed
    );
    ApiError::Coded {
        code: "HIGHER_VERSION_REQUIRED",
        message,
        extra: vec![
            ("existingVersion", check.existing.to_string().into()),
            ("minNextVersion", check.min_next.to_string().into()),
        ],
    }
}

async fn trivial_update(
    state: &AppState,
    txn: &DatabaseTransaction,
    author: &Viewer,
    located: &Located,
    row: version::Model,
) -> ApiResult<version::Model> {
    let mut active = version::ActiveModel::from(row);
    active.updated_at = Set(Utc::now());
    let row = active.update(txn).await?;
    let mut event = event("VERSION_UPDATED", author, located, &row);
    event.change_type = Some("VERSION_TRIVIAL_CHANGE");
    state.activity.record(txn, event).await?;
    Ok(row)
}

async fn insert_version(
    txn: &DatabaseTransaction,
    author: &Viewer,
    located: &Located,
    parsed: &ParsedPackageFile,
) -> ApiResult<version::Model> {
    let SemVer {
        major,
        minor,
        patch,
        ..
    } = parsed.version;
    let updated_at = DateTime::parse_from_rfc3339(&parsed.file.updated_date)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let row = version::ActiveModel {
        package_id: Set(located.package.id),
        major: Set(major as i64),
        minor: Set(minor as i64),
        patch: Set(patch as i64),
        description: Set(parsed.file.description.clone()),
        author_id: Set(Some(author.user.id)),
        update_methods: Set(serde_json::json!(package_file::update_methods(
            &parsed.file
        ))),
        created_at: Set(Utc::now()),
        updated_at: Set(updated_at),
        ..Default::default()
    };
    let row = version::Entity::insert(row)
        .exec_with_returning(txn)
        .await?;
    let mut package = package::ActiveModel::from(located.package.clone());
    package.readme_markdown = Set(parsed.file.readme_markdown.clone());
    package.updated_at = Set(Utc::now());
    package.update(txn).await?;
    Ok(row)
}

async fn record_comparison(
    txn: &DatabaseTransaction,
    previous: Option<&version::Model>,
    row: &version::Model,
    check: Option<&VersionCheck>,
) -> ApiResult<()> {
    let (Some(previous), Some(check)) = (previous, check) else {
        return Ok(());
    };
    save_differences(txn, row.id, previous.id, &check.differences).await
}

async fn save_differences(
    db: &impl ConnectionTrait,
    new_id: i64,
    old_id: i64,
    differences: &[Difference],
) -> ApiResult<()> {
    let comparison = version_comparison::ActiveModel {
        new_version_id: Set(new_id),
        old_version_id: Set(old_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let comparison = version_comparison::Entity::insert(comparison)
        .exec_with_returning(db)
        .await?;
    for difference in differences {
        let row = version_difference::ActiveModel {
            comparison_id: Set(comparison.id),
            kind: Set(difference.kind.as_str().to_owned()),
            pointer: Set(difference.pointer.clone()),
            ..Default::default()
        };
        version_difference::Entity::insert(row).exec(db).await?;
    }
    Ok(())
}

/// Writes the file under its final key, then commits; if the commit fails the file is removed.
async fn store_and_commit(
    state: &AppState,
    txn: DatabaseTransaction,
    row: &version::Model,
    text: String,
) -> ApiResult<()> {
    let key = key_of(row);
    let body = Bytes::from(text);
    match state
        .store
        .put_if_absent(&key, storage::byte_stream(body.clone()))
        .await
    {
        Ok(_) => {}
        // No committed version owns this key (the row was just inserted), so what is there is
        // left from a publish that failed before its commit.
        Err(StorageError::AlreadyExists { .. }) => {
            state.store.put(&key, storage::byte_stream(body)).await?;
        }
        Err(e) => return Err(e.into()),
    }
    if let Err(error) = txn.commit().await {
        if let Err(cleanup) = state.store.delete(&key).await {
            tracing::error!(%cleanup, key = %key, "could not remove the file of a failed publish");
        }
        return Err(error.into());
    }
    Ok(())
}

/// Deletes a version and then its stored file.
pub async fn delete(
    state: &AppState,
    viewer: &Viewer,
    located: &Located,
    row: version::Model,
) -> ApiResult<()> {
    let txn = crate::db::write(&state.db).await?;
    let mut event = event("VERSION_DELETED", viewer, located, &row);
    event.target_package_version_id = None;
    event.removed_item_id = Some(row.id);
    event.removed_item_name = Some(number(&row));
    version::Entity::delete_by_id(row.id).exec(&txn).await?;
    state.activity.record(&txn, event).await?;
    txn.commit().await?;
    if let Err(error) = state.store.delete(&key_of(&row)).await {
        tracing::error!(%error, "could not delete a deleted version's file");
    }
    Ok(())
}

/// The differences between two versions of one package, higher first; stored comparisons are
/// reused and new ones stored.
pub async fn differences(
    state: &AppState,
    a: version::Model,
    b: version::Model,
) -> ApiResult<(version::Model, version::Model, Vec<Difference>)> {
    if a.package_id != b.package_id {
        return Err(ApiError::failed("DIFFERENT_VERSIONS_PACKAGES"));
    }
    let (new, old) = if (a.major, a.minor, a.patch) >= (b.major, b.minor, b.patch) {
        (a, b)
    } else {
        (b, a)
    };
    if new.id == old.id {
        return Ok((new, old, Vec::new()));
    }
    if let Some(stored) = stored_differences(&state.db, new.id, old.id).await? {
        return Ok((new, old, stored));
    }
    let parse = |text: Arc<str>| {
        package_file::parse(&text, &package_file::max_supported_version())
            .map_err(|e| ApiError::internal(anyhow::anyhow!("stored package file: {e}")))
    };
    let old_file = parse(canonical_text(state, &old).await?)?;
    let new_file = parse(canonical_text(state, &new).await?)?;
    let found = package_file::compare(&old_file.file, &new_file.file);
    save_differences(&state.db, new.id, old.id, &found).await?;
    Ok((new, old, found))
}

async fn stored_differences(
    db: &impl ConnectionTrait,
    new_id: i64,
    old_id: i64,
) -> ApiResult<Option<Vec<Difference>>> {
    let Some(comparison) = version_comparison::Entity::find()
        .filter(version_comparison::Column::NewVersionId.eq(new_id))
        .filter(version_comparison::Column::OldVersionId.eq(old_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rows = version_difference::Entity::find()
        .filter(version_difference::Column::ComparisonId.eq(comparison.id))
        .order_by_asc(version_difference::Column::Id)
        .all(db)
        .await?;
    Ok(Some(
        rows.iter()
            .filter_map(|r| stored_difference(&r.kind, &r.pointer))
            .collect(),
    ))
}

fn stored_difference(kind: &str, pointer: &str) -> Option<Difference> {
    let kind = *package_file::DifferenceType::ALL
        .iter()
        .find(|k| k.as_str() == kind)?;
    Some(Difference {
        kind,
        pointer: pointer.to_owned(),
    })
}

fn event(
    kind: &'static str,
    viewer: &Viewer,
    located: &Located,
    row: &version::Model,
) -> ActivityEvent {
    let mut event = ActivityEvent::new(kind);
    event.user_id = Some(viewer.user.id);
    event.username = Some(viewer.user.username.clone());
    event.target_package_id = Some(located.package.id);
    event.target_package_identifier = Some(located.identifier());
    event.target_package_version_id = Some(row.id);
    event.target_version_number = Some(number(row));
    event
}
