use sea_orm::entity::prelude::*;

/// One difference found by a comparison.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "version_differences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub comparison_id: i64,
    /// A `PackageDifferenceType` value.
    pub kind: String,
    pub pointer: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
