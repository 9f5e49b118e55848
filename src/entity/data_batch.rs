use sea_orm::entity::prelude::*;

/// One batch of records of a stream, for one major version of a package. Its records are in
/// storage under `package/<package id>/data/<batch id>/`; only offsets up to `last_offset` are
/// readable.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_batches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub package_id: i64,
    pub major_version: i64,
    pub schema_title: String,
    pub source_type: String,
    pub source_slug: String,
    pub stream_set_slug: String,
    pub stream_slug: String,
    /// Numbered from 1 per stream and major version.
    pub batch: i64,
    /// `BATCH_FULL_SET`, `APPEND_ONLY_LOG` or `CONTINUOUS`.
    pub update_method: String,
    /// The highest offset stored and readable; -1 when empty.
    pub last_offset: i64,
    /// The active batch of its stream: the one fetches and sink states report.
    pub is_default: bool,
    pub author_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
