use sea_orm::entity::prelude::*;

/// A published version of a package; its package file is in storage.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub package_id: i64,
    pub major: i64,
    pub minor: i64,
    pub patch: i64,
    pub description: String,
    pub author_id: Option<i64>,
    /// JSON array of the update methods of every stream set.
    pub update_methods: Json,
    pub created_at: DateTimeUtc,
    /// The package file's `updatedDate`, or when an identical file was last resubmitted.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
