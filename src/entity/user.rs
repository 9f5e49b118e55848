use sea_orm::entity::prelude::*;

/// A person with an account, or an invited address that has not signed up yet.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    /// Lower-cased username; unique, so names match case-insensitively.
    pub username_key: String,
    pub email_address: String,
    /// Lower-cased address; unique.
    pub email_key: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub website: Option<String>,
    pub twitter_handle: Option<String>,
    pub github_handle: Option<String>,
    pub name_is_public: bool,
    pub location_is_public: bool,
    pub twitter_handle_is_public: bool,
    pub github_handle_is_public: bool,
    pub email_address_is_public: bool,
    pub website_is_public: bool,
    pub ui_dark_mode_enabled: bool,
    /// argon2id PHC string, or the original server's base64 HMAC until the next login.
    pub password_hash: Option<String>,
    /// Salt of an original-format hash; cleared once the hash is upgraded.
    pub legacy_password_salt: Option<String>,
    pub is_site_admin: bool,
    pub email_verified: bool,
    /// `PENDING_SIGN_UP`, `ACTIVE` or `SUSPENDED`.
    pub status: String,
    pub suspension_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_login: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
