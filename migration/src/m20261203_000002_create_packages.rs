//! Packages in catalogs, their per-user grants, versions, and the stored comparisons between
//! consecutive versions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(packages()).await?;
        manager.create_table(package_permissions()).await?;
        manager.create_table(versions()).await?;
        manager.create_table(version_comparisons()).await?;
        manager.create_table(version_differences()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            VersionDifferences::Table.into_iden(),
            VersionComparisons::Table.into_iden(),
            Versions::Table.into_iden(),
            PackagePermissions::Table.into_iden(),
            Packages::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Catalogs {
    Table,
    Id,
}

fn now(column: impl IntoIden) -> ColumnDef {
    timestamp_with_time_zone(column)
        .default(Expr::current_timestamp())
        .take()
}

fn reference(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

#[derive(DeriveIden)]
enum Packages {
    Table,
    Id,
    CatalogId,
    Slug,
    DisplayName,
    Description,
    IsPublic,
    CreatorId,
    ViewCount,
    FetchCount,
    ReadmeMarkdown,
    CreatedAt,
    UpdatedAt,
}

fn packages() -> TableCreateStatement {
    Table::create()
        .table(Packages::Table)
        .col(big_pk_auto(Packages::Id))
        .col(big_integer(Packages::CatalogId))
        .col(string_len(Packages::Slug, 38))
        .col(string_len(Packages::DisplayName, 256))
        .col(text_null(Packages::Description))
        .col(boolean(Packages::IsPublic).default(false))
        .col(big_integer_null(Packages::CreatorId))
        .col(big_integer(Packages::ViewCount).default(0))
        .col(big_integer(Packages::FetchCount).default(0))
        .col(text_null(Packages::ReadmeMarkdown))
        .col(now(Packages::CreatedAt))
        .col(now(Packages::UpdatedAt))
        .foreign_key(&mut reference(
            (Packages::Table, Packages::CatalogId),
            (Catalogs::Table, Catalogs::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut reference(
            (Packages::Table, Packages::CreatorId),
            (Users::Table, Users::Id),
            ForeignKeyAction::SetNull,
        ))
        .index(
            Index::create()
                .name("packages_catalog_slug")
                .col(Packages::CatalogId)
                .col(Packages::Slug)
                .unique(),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum PackagePermissions {
    Table,
    Id,
    PackageId,
    UserId,
    CanView,
    CanEdit,
    CanManage,
    CreatedAt,
    UpdatedAt,
}

fn package_permissions() -> TableCreateStatement {
    Table::create()
        .table(PackagePermissions::Table)
        .col(big_pk_auto(PackagePermissions::Id))
        .col(big_integer(PackagePermissions::PackageId))
        .col(big_integer(PackagePermissions::UserId))
        .col(boolean(PackagePermissions::CanView).default(false))
        .col(boolean(PackagePermissions::CanEdit).default(false))
        .col(boolean(PackagePermissions::CanManage).default(false))
        .col(now(PackagePermissions::CreatedAt))
        .col(now(PackagePermissions::UpdatedAt))
        .foreign_key(&mut reference(
            (PackagePermissions::Table, PackagePermissions::PackageId),
            (Packages::Table, Packages::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut reference(
            (PackagePermissions::Table, PackagePermissions::UserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Cascade,
        ))
        .index(
            Index::create()
                .name("package_permissions_user_package")
                .col(PackagePermissions::UserId)
                .col(PackagePermissions::PackageId)
                .unique(),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Versions {
    Table,
    Id,
    PackageId,
    Major,
    Minor,
    Patch,
    Description,
    AuthorId,
    UpdateMethods,
    CreatedAt,
    UpdatedAt,
}

fn versions() -> TableCreateStatement {
    Table::create()
        .table(Versions::Table)
        .col(big_pk_auto(Versions::Id))
        .col(big_integer(Versions::PackageId))
        .col(big_integer(Versions::Major))
        .col(big_integer(Versions::Minor))
        .col(big_integer(Versions::Patch))
        .col(text(Versions::Description))
        .col(big_integer_null(Versions::AuthorId))
        .col(json(Versions::UpdateMethods))
        .col(now(Versions::CreatedAt))
        .col(now(Versions::UpdatedAt))
        .foreign_key(&mut reference(
            (Versions::Table, Versions::PackageId),
            (Packages::Table, Packages::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut reference(
            (Versions::Table, Versions::AuthorId),
            (Users::Table, Users::Id),
            ForeignKeyAction::SetNull,
        ))
        .index(
            Index::create()
                .name("versions_package_number")
                .col(Versions::PackageId)
                .col(Versions::Major)
                .col(Versions::Minor)
                .col(Versions::Patch)
                .unique(),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum VersionComparisons {
    Table,
    Id,
    NewVersionId,
    OldVersionId,
    CreatedAt,
}

fn version_comparisons() -> TableCreateStatement {
    Table::create()
        .table(VersionComparisons::Table)
        .col(big_pk_auto(VersionComparisons::Id))
        .col(big_integer(VersionComparisons::NewVersionId))
        .col(big_integer(VersionComparisons::OldVersionId))
        .col(now(VersionComparisons::CreatedAt))
        .foreign_key(&mut reference(
            (VersionComparisons::Table, VersionComparisons::NewVersionId),
            (Versions::Table, Versions::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut reference(
            (VersionComparisons::Table, VersionComparisons::OldVersionId),
            (Versions::Table, Versions::Id),
            ForeignKeyAction::Cascade,
        ))
        .index(
            Index::create()
                .name("version_comparisons_pair")
                .col(VersionComparisons::NewVersionId)
                .col(VersionComparisons::OldVersionId)
                .unique(),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum VersionDifferences {
    Table,
    Id,
    ComparisonId,
    Kind,
    Pointer,
}

fn version_differences() -> TableCreateStatement {
    Table::create()
        .table(VersionDifferences::Table)
        .col(big_pk_auto(VersionDifferences::Id))
        .col(big_integer(VersionDifferences::ComparisonId))
        .col(string_len(VersionDifferences::Kind, 64))
        .col(text(VersionDifferences::Pointer))
        .foreign_key(&mut reference(
            (VersionDifferences::Table, VersionDifferences::ComparisonId),
            (VersionComparisons::Table, VersionComparisons::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}
