use sea_orm::entity::prelude::*;

/// What one user may do with one catalog, and with every package in it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_permissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub catalog_id: i64,
    pub user_id: i64,
    pub can_view: bool,
    pub can_edit: bool,
    pub can_manage: bool,
    /// Granted on every package of the catalog.
    pub package_view: bool,
    pub package_edit: bool,
    pub package_manage: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
