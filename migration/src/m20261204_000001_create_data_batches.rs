//! Data batches: records kept in the registry for `SCHEMA_AND_DATA` packages, numbered per
//! stream and major version, with one active (default) batch per stream.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(data_batches()).await?;
        // One default batch per stream. A partial index reads the same on both engines.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX data_batches_one_default ON data_batches \
                 (package_id, major_version, schema_title, source_type, source_slug, \
                 stream_set_slug, stream_slug) WHERE is_default",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataBatches::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Packages {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DataBatches {
    Table,
    Id,
    PackageId,
    MajorVersion,
    SchemaTitle,
    SourceType,
    SourceSlug,
    StreamSetSlug,
    StreamSlug,
    Batch,
    UpdateMethod,
    LastOffset,
    IsDefault,
    AuthorId,
    CreatedAt,
    UpdatedAt,
}

fn data_batches() -> TableCreateStatement {
    use DataBatches as B;
    Table::create()
        .table(B::Table)
        .col(big_pk_auto(B::Id))
        .col(big_integer(B::PackageId))
        .col(big_integer(B::MajorVersion))
        .col(text(B::SchemaTitle))
        .col(text(B::SourceType))
        .col(text(B::SourceSlug))
        .col(text(B::StreamSetSlug))
        .col(text(B::StreamSlug))
        .col(big_integer(B::Batch))
        .col(string_len(B::UpdateMethod, 32))
        .col(big_integer(B::LastOffset).default(-1))
        .col(boolean(B::IsDefault).default(false))
        .col(big_integer_null(B::AuthorId))
        .col(
            timestamp_with_time_zone(B::CreatedAt)
                .default(Expr::current_timestamp())
                .take(),
        )
        .col(
            timestamp_with_time_zone(B::UpdatedAt)
                .default(Expr::current_timestamp())
                .take(),
        )
        .foreign_key(
            ForeignKey::create()
                .from(B::Table, B::PackageId)
                .to(Packages::Table, Packages::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(B::Table, B::AuthorId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::SetNull),
        )
        .index(
            Index::create()
                .name("data_batches_stream_batch")
                .col(B::PackageId)
                .col(B::MajorVersion)
                .col(B::SchemaTitle)
                .col(B::SourceType)
                .col(B::SourceSlug)
                .col(B::StreamSetSlug)
                .col(B::StreamSlug)
                .col(B::Batch)
                .unique(),
        )
        .to_owned()
}
