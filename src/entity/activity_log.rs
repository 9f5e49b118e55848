use sea_orm::entity::prelude::*;

/// A stored activity-log event; only events with a signed-in actor are stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub event_type: String,
    pub change_type: Option<String>,
    pub target_user_id: Option<i64>,
    pub target_catalog_id: Option<i64>,
    pub target_package_id: Option<i64>,
    pub target_version_id: Option<i64>,
    pub target_collection_id: Option<i64>,
    pub target_package_issue_id: Option<i64>,
    pub target_group_id: Option<i64>,
    pub target_data_batch_id: Option<i64>,
    pub properties_edited: Option<Json>,
    pub removed_item_name: Option<String>,
    pub removed_item_id: Option<i64>,
    pub additional_properties: Option<Json>,
    pub permissions: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
