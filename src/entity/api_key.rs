use sea_orm::entity::prelude::*;

/// An API key; only a keyed hash of its secret is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: i64,
    pub label: String,
    /// JSON array of scope names.
    pub scopes: Json,
    pub hash: String,
    pub created_at: DateTimeUtc,
    pub last_used: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
