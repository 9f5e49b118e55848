use sea_orm::entity::prelude::*;

/// A package: a listing in a catalog whose versions hold package files.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "packages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub catalog_id: i64,
    /// Exact slug; unique within the catalog.
    pub slug: String,
    pub display_name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub creator_id: Option<i64>,
    pub view_count: i64,
    pub fetch_count: i64,
    /// The latest version's README, kept for search.
    pub readme_markdown: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::catalog::Entity",
        from = "Column::CatalogId",
        to = "super::catalog::Column::Id"
    )]
    Catalog,
}

impl Related<super::catalog::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Catalog.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
