use sea_orm::entity::prelude::*;

/// A catalog: a namespace that holds packages. Every user has a personal one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalogs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub slug: String,
    /// Lower-cased slug; unique.
    pub slug_key: String,
    pub display_name: String,
    pub description: Option<String>,
    pub website: Option<String>,
    pub is_public: bool,
    pub unclaimed: bool,
    pub creator_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
