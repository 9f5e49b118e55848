//! Data batches: the rows that number a stream's batches per major version, mark the active
//! one and say up to which offset its stored chunks (`batch_chunks`) are readable.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entity::data_batch::{self, Column};
use crate::error::ApiResult;

/// A stream of one major version of a package: where batches are numbered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StreamKey {
    pub package_id: i64,
    pub major_version: i64,
    pub schema_title: String,
    pub source_type: String,
    pub source_slug: String,
    pub stream_set_slug: String,
    pub stream_slug: String,
}

impl StreamKey {
    /// The stream a batch row belongs to.
    pub fn of(row: &data_batch::Model) -> StreamKey {
        StreamKey {
            package_id: row.package_id,
            major_version: row.major_version,
            schema_title: row.schema_title.clone(),
            source_type: row.source_type.clone(),
            source_slug: row.source_slug.clone(),
            stream_set_slug: row.stream_set_slug.clone(),
            stream_slug: row.stream_slug.clone(),
        }
    }

    fn select(&self) -> sea_orm::Select<data_batch::Entity> {
        data_batch::Entity::find()
            .filter(Column::PackageId.eq(self.package_id))
            .filter(Column::MajorVersion.eq(self.major_version))
            .filter(Column::SchemaTitle.eq(self.schema_title.as_str()))
            .filter(Column::SourceType.eq(self.source_type.as_str()))
            .filter(Column::SourceSlug.eq(self.source_slug.as_str()))
            .filter(Column::StreamSetSlug.eq(self.stream_set_slug.as_str()))
            .filter(Column::StreamSlug.eq(self.stream_slug.as_str()))
    }
}

/// The stream's highest-numbered batch.
pub async fn latest(
    db: &impl ConnectionTrait,
    stream: &StreamKey,
) -> ApiResult<Option<data_batch::Model>> {
    Ok(stream.select().order_by_desc(Column::Batch).one(db).await?)
}

/// The stream's batch numbered `batch`.
pub async fn find(
    db: &impl ConnectionTrait,
    stream: &StreamKey,
    batch: i64,
) -> ApiResult<Option<data_batch::Model>> {
    Ok(stream
        .select()
        .filter(Column::Batch.eq(batch))
        .one(db)
        .await?)
}

/// A new, empty, inactive batch numbered after the stream's latest (1 for the first).
pub async fn create(
    db: &impl ConnectionTrait,
    stream: &StreamKey,
    update_method: &str,
    author_id: i64,
) -> ApiResult<data_batch::Model> {
    let number = latest(db, stream).await?.map_or(1, |row| row.batch + 1);
    let now = Utc::now();
    let row = data_batch::ActiveModel {
        package_id: Set(stream.package_id),
        major_version: Set(stream.major_version),
        schema_title: Set(stream.schema_title.clone()),
        source_type: Set(stream.source_type.clone()),
        source_slug: Set(stream.source_slug.clone()),
        stream_set_slug: Set(stream.stream_set_slug.clone()),
        stream_slug: Set(stream.stream_slug.clone()),
        batch: Set(number),
        update_method: Set(update_method.to_owned()),
        last_offset: Set(-1),
        is_default: Set(false),
        author_id: Set(Some(author_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(row.insert(db).await?)
}

/// Makes `last_offset` the batch's highest readable offset; call once its chunk is stored.
pub async fn commit_offset(
    db: &impl ConnectionTrait,
    batch_id: i64,
    last_offset: i64,
) -> ApiResult<()> {
    data_batch::Entity::update_many()
        .col_expr(Column::LastOffset, Expr::value(last_offset))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(batch_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes `row` its stream's active batch; run inside a transaction, so the stream is never
/// without one or with two.
pub async fn make_default(db: &impl ConnectionTrait, row: &data_batch::Model) -> ApiResult<()> {
    let stream = StreamKey::of(row);
    let clear = data_batch::Entity::update_many()
        .col_expr(Column::IsDefault, Expr::value(false))
        .filter(Column::IsDefault.eq(true))
        .filter(Column::Id.ne(row.id));
    let clear = stream_filter(clear, &stream);
    clear.exec(db).await?;
    data_batch::Entity::update_many()
        .col_expr(Column::IsDefault, Expr::value(true))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(())
}

fn stream_filter(
    update: sea_orm::UpdateMany<data_batch::Entity>,
    stream: &StreamKey,
) -> sea_orm::UpdateMany<data_batch::Entity> {
    update
        .filter(Column::PackageId.eq(stream.package_id))
        .filter(Column::MajorVersion.eq(stream.major_version))
        .filter(Column::SchemaTitle.eq(stream.schema_title.as_str()))
        .filter(Column::SourceType.eq(stream.source_type.as_str()))
        .filter(Column::SourceSlug.eq(stream.source_slug.as_str()))
        .filter(Column::StreamSetSlug.eq(stream.stream_set_slug.as_str()))
        .filter(Column::StreamSlug.eq(stream.stream_slug.as_str()))
}

/// The active batch of every stream of one major version of a package, oldest stream first.
pub async fn active(
    db: &impl ConnectionTrait,
    package_id: i64,
    major_version: i64,
) -> ApiResult<Vec<data_batch::Model>> {
    Ok(data_batch::Entity::find()
        .filter(Column::PackageId.eq(package_id))
        .filter(Column::MajorVersion.eq(major_version))
        .filter(Column::IsDefault.eq(true))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}
