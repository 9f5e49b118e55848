use sea_orm::entity::prelude::*;

/// A one-time token sent by email (verification, recovery, invitation). Only its SHA-256 is
/// stored, and the row is deleted when the token is used.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// `VERIFY_EMAIL`, `RECOVER_PASSWORD` or `INVITE`.
    pub purpose: String,
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
