//! An index on packages by slug, the order of listings and of search ties: listing every
//! package a page at a time walks it instead of sorting the whole table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("packages_slug_id")
                    .table(Packages::Table)
                    .col(Packages::Slug)
                    .col(Packages::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("packages_slug_id")
                    .table(Packages::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Packages {
    Table,
    Slug,
    Id,
}
