//! Users, their API keys and one-time tokens, catalogs with per-user permissions, and the
//! activity log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(users()).await?;
        manager.create_table(api_keys()).await?;
        manager.create_table(user_tokens()).await?;
        manager.create_table(catalogs()).await?;
        manager.create_table(catalog_permissions()).await?;
        manager.create_table(activity_logs()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ActivityLogs::Table.into_iden(),
            CatalogPermissions::Table.into_iden(),
            Catalogs::Table.into_iden(),
            UserTokens::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn now(column: impl IntoIden) -> ColumnDef {
    timestamp_with_time_zone(column)
        .default(Expr::current_timestamp())
        .take()
}

fn cascade_to(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    EmailAddress,
    EmailKey,
    FirstName,
    LastName,
    Description,
    Location,
    Website,
    TwitterHandle,
    GithubHandle,
    NameIsPublic,
    LocationIsPublic,
    TwitterHandleIsPublic,
    GithubHandleIsPublic,
    EmailAddressIsPublic,
    WebsiteIsPublic,
    UiDarkModeEnabled,
    PasswordHash,
    LegacyPasswordSalt,
    IsSiteAdmin,
    EmailVerified,
    Status,
    SuspensionMessage,
    CreatedAt,
    UpdatedAt,
    LastLogin,
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .col(big_pk_auto(Users::Id))
        .col(string_len(Users::Username, 39))
        .col(string_len_uniq(Users::UsernameKey, 39))
        .col(string_len(Users::EmailAddress, 254))
        .col(string_len_uniq(Users::EmailKey, 254))
        .col(text_null(Users::FirstName))
        .col(text_null(Users::LastName))
        .col(text_null(Users::Description))
        .col(text_null(Users::Location))
        .col(text_null(Users::Website))
        .col(text_null(Users::TwitterHandle))
        .col(text_null(Users::GithubHandle))
        .col(boolean(Users::NameIsPublic).default(false))
        .col(boolean(Users::LocationIsPublic).default(false))
        .col(boolean(Users::TwitterHandleIsPublic).default(false))
        .col(boolean(Users::GithubHandleIsPublic).default(false))
        .col(boolean(Users::EmailAddressIsPublic).default(false))
        .col(boolean(Users::WebsiteIsPublic).default(false))
        .col(boolean(Users::UiDarkModeEnabled).default(false))
        .col(string_null(Users::PasswordHash))
        .col(string_null(Users::LegacyPasswordSalt))
        .col(boolean(Users::IsSiteAdmin).default(false))
        .col(boolean(Users::EmailVerified).default(false))
        .col(string_len(Users::Status, 20))
        .col(text_null(Users::SuspensionMessage))
        .col(now(Users::CreatedAt))
        .col(now(Users::UpdatedAt))
        .col(timestamp_with_time_zone_null(Users::LastLogin))
        .to_owned()
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    UserId,
    Label,
    Scopes,
    Hash,
    CreatedAt,
    LastUsed,
}

fn api_keys() -> TableCreateStatement {
    Table::create()
        .table(ApiKeys::Table)
        .col(string_len(ApiKeys::Id, 64).primary_key())
        .col(big_integer(ApiKeys::UserId))
        .col(string_len(ApiKeys::Label, 100))
        .col(json(ApiKeys::Scopes))
        .col(string_len(ApiKeys::Hash, 128))
        .col(now(ApiKeys::CreatedAt))
        .col(timestamp_with_time_zone_null(ApiKeys::LastUsed))
        .foreign_key(&mut cascade_to(
            (ApiKeys::Table, ApiKeys::UserId),
            (Users::Table, Users::Id),
        ))
        .index(
            Index::create()
                .name("api_keys_user_label")
                .col(ApiKeys::UserId)
                .col(ApiKeys::Label)
                .unique(),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum UserTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
}

fn user_tokens() -> TableCreateStatement {
    Table::create()
        .table(UserTokens::Table)
        .col(big_pk_auto(UserTokens::Id))
        .col(big_integer(UserTokens::UserId))
        .col(string_len(UserTokens::Purpose, 32))
        .col(string_len_uniq(UserTokens::TokenHash, 128))
        .col(now(UserTokens::CreatedAt))
        .col(timestamp_with_time_zone(UserTokens::ExpiresAt))
        .foreign_key(&mut cascade_to(
            (UserTokens::Table, UserTokens::UserId),
            (Users::Table, Users::Id),
        ))
        .to_owned()
}

#[derive(DeriveIden)]
enum Catalogs {
    Table,
    Id,
    Slug,
    SlugKey,
    DisplayName,
    Description,
    Website,
    IsPublic,
    Unclaimed,
    CreatorId,
    CreatedAt,
    UpdatedAt,
}

fn catalogs() -> TableCreateStatement {
    Table::create()
        .table(Catalogs::Table)
        .col(big_pk_auto(Catalogs::Id))
        .col(string_len(Catalogs::Slug, 39))
        .col(string_len_uniq(Catalogs::SlugKey, 39))
        .col(string_len(Catalogs::DisplayName, 64))
        .col(text_null(Catalogs::Description))
        .col(string_null(Catalogs::Website))
        .col(boolean(Catalogs::IsPublic).default(false))
        .col(boolean(Catalogs::Unclaimed).default(false))
        .col(big_integer_null(Catalogs::CreatorId))
        .col(now(Catalogs::CreatedAt))
        .col(now(Catalogs::UpdatedAt))
        .to_owned()
}

#[derive(DeriveIden)]
enum CatalogPermissions {
    Table,
    Id,
    CatalogId,
    UserId,
    CanView,
    CanEdit,
    CanManage,
    PackageView,
    PackageEdit,
    PackageManage,
    CreatedAt,
    UpdatedAt,
}

fn catalog_permissions() -> TableCreateStatement {
    Table::create()
        .table(CatalogPermissions::Table)
        .col(big_pk_auto(CatalogPermissions::Id))
        .col(big_integer(CatalogPermissions::CatalogId))
        .col(big_integer(CatalogPermissions::UserId))
        .col(boolean(CatalogPermissions::CanView).default(false))
        .col(boolean(CatalogPermissions::CanEdit).default(false))
        .col(boolean(CatalogPermissions::CanManage).default(false))
        .col(boolean(CatalogPermissions::PackageView).default(false))
        .col(boolean(CatalogPermissions::PackageEdit).default(false))
        .col(boolean(CatalogPermissions::PackageManage).default(false))
        .col(now(CatalogPermissions::CreatedAt))
        .col(now(CatalogPermissions::UpdatedAt))
        .foreign_key(&mut cascade_to(
            (CatalogPermissions::Table, CatalogPermissions::CatalogId),
            (Catalogs::Table, Catalogs::Id),
        ))
        .foreign_key(&mut cascade_to(
            (CatalogPermissions::Table, CatalogPermissions::UserId),
            (Users::Table, Users::Id),
        ))
        .index(
            Index::create()
                .name("catalog_permissions_user_catalog")
                .col(CatalogPermissions::UserId)
                .col(CatalogPermissions::CatalogId)
                .unique(),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum ActivityLogs {
    Table,
    Id,
    UserId,
    EventType,
    ChangeType,
    TargetUserId,
    TargetCatalogId,
    TargetPackageId,
    TargetVersionId,
    TargetCollectionId,
    TargetPackageIssueId,
    TargetGroupId,
    TargetDataBatchId,
    PropertiesEdited,
    RemovedItemName,
    RemovedItemId,
    AdditionalProperties,
    Permissions,
    CreatedAt,
}

fn activity_logs() -> TableCreateStatement {
    Table::create()
        .table(ActivityLogs::Table)
        .col(big_pk_auto(ActivityLogs::Id))
        .col(big_integer(ActivityLogs::UserId))
        .col(string_len(ActivityLogs::EventType, 64))
        .col(string_len_null(ActivityLogs::ChangeType, 64))
        .col(big_integer_null(ActivityLogs::TargetUserId))
        .col(big_integer_null(ActivityLogs::TargetCatalogId))
        .col(big_integer_null(ActivityLogs::TargetPackageId))
        .col(big_integer_null(ActivityLogs::TargetVersionId))
        .col(big_integer_null(ActivityLogs::TargetCollectionId))
        .col(big_integer_null(ActivityLogs::TargetPackageIssueId))
        .col(big_integer_null(ActivityLogs::TargetGroupId))
        .col(big_integer_null(ActivityLogs::TargetDataBatchId))
        .col(json_null(ActivityLogs::PropertiesEdited))
        .col(text_null(ActivityLogs::RemovedItemName))
        .col(big_integer_null(ActivityLogs::RemovedItemId))
        .col(json_null(ActivityLogs::AdditionalProperties))
        .col(json_null(ActivityLogs::Permissions))
        .col(now(ActivityLogs::CreatedAt))
        .foreign_key(&mut cascade_to(
            (ActivityLogs::Table, ActivityLogs::UserId),
            (Users::Table, Users::Id),
        ))
        .to_owned()
}
