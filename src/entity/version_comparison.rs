use sea_orm::entity::prelude::*;

/// A stored comparison between two versions of one package.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "version_comparisons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub new_version_id: i64,
    pub old_version_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
