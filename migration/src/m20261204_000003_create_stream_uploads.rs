//! Stream uploads: which upload holds each stream, so that servers sharing the database let one
//! uploader at a time write to a stream. A row is a lease that lapses unless renewed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StreamUploads::Table)
                    .col(text(StreamUploads::Stream).primary_key())
                    .col(text(StreamUploads::Holder))
                    .col(big_integer(StreamUploads::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StreamUploads::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StreamUploads {
    Table,
    /// The stream's identity, as text.
    Stream,
    /// The upload holding it: a random id made when the lease was taken.
    Holder,
    /// When the lease lapses, in milliseconds since 1970.
    ExpiresAt,
}
