//! The activity log: one JSON line per event on standard output (the original's format, which
//! operators feed to their log pipelines) and a stored row when a signed-in user acted.
//!
//! Build an `ActivityEvent`, fill the targets it has, and hand it to `ActivityLog::record`
//! inside the transaction that makes the change, so the row commits with it.

use std::io::Write;

use chrono::{SecondsFormat, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;

use crate::entity::activity_log;

/// One event, with the ids of what it touched and the names looked up for the printed line.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEvent {
    #[serde(skip)]
    pub event_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_package_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_package_issue_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_package_version_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_catalog_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_collection_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_user_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties_edited: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_item_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_item_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_properties: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_package_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_version_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_catalog_slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_collection_slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_batch_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_slug: Option<String>,
    /// The data batch acted on; stored with the row, not printed.
    #[serde(skip)]
    pub target_data_batch_id: Option<i64>,
}

impl ActivityEvent {
    pub fn new(event_type: &'static str) -> Self {
        ActivityEvent {
            event_type,
            ..Default::default()
        }
    }
}

/// The printed line: `_type`, `date` and `eventType` first, then the event's own fields.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(rename = "_type")]
    kind: &'static str,
    date: String,
    #[serde(rename = "eventType")]
    event_type: &'static str,
    #[serde(flatten)]
    event: &'a ActivityEvent,
}

/// Writes activity events; cheap to clone.
#[derive(Clone, Debug)]
pub struct ActivityLog {
    print: bool,
}

impl ActivityLog {
    /// `print` is false when `ACTIVITY_LOG=false`; rows are stored either way.
    pub fn new(print: bool) -> Self {
        ActivityLog { print }
    }

    /// Stores the event (when it has an actor) on `db`, which should be the transaction making
    /// the change, and prints its line.
    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        event: ActivityEvent,
    ) -> Result<(), sea_orm::DbErr> {
        if let Some(user_id) = event.user_id {
            row(user_id, &event).insert(db).await?;
        }
        self.print(&event);
        Ok(())
    }

    /// Prints the event's line without storing it.
    pub fn print(&self, event: &ActivityEvent) {
        if !self.print {
            return;
        }
        let line = Line {
            kind: "ActivityLog",
            date: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            event_type: event.event_type,
            event,
        };
        if let Ok(mut text) = serde_json::to_vec(&line) {
            text.push(b'\n');
            // One write per line keeps lines whole when requests log concurrently.
            let _ = std::io::stdout().lock().write_all(&text);
        }
    }
}

fn row(user_id: i64, event: &ActivityEvent) -> activity_log::ActiveModel {
    let json = |v: &Option<Vec<String>>| v.as_ref().map(|v| serde_json::json!(v));
    activity_log::ActiveModel {
        user_id: Set(user_id),
        event_type: Set(event.event_type.to_owned()),
        change_type: Set(event.change_type.map(str::to_owned)),
        target_user_id: Set(event.target_user_id),
        target_catalog_id: Set(event.target_catalog_id),
        target_package_id: Set(event.target_package_id),
        target_version_id: Set(event.target_package_version_id),
        target_collection_id: Set(event.target_collection_id),
        target_package_issue_id: Set(event.target_package_issue_id),
        target_group_id: Set(event.target_group_id),
        target_data_batch_id: Set(event.target_data_batch_id),
        properties_edited: Set(json(&event.properties_edited)),
        removed_item_name: Set(event.removed_item_name.clone()),
        removed_item_id: Set(event.removed_item_id),
        additional_properties: Set(event.additional_properties.clone()),
        permissions: Set(json(&event.permissions)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_starts_with_type_date_and_event_type_and_omits_missing_fields() {
        let mut event = ActivityEvent::new("USER_CREATED");
        event.user_id = Some(7);
        event.username = Some("ada".into());
        let line = Line {
            kind: "ActivityLog",
            date: "D".into(),
            event_type: "USER_CREATED",
            event: &event,
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"_type":"ActivityLog","date":"D","eventType":"USER_CREATED","userId":7,"username":"ada"}"#
        );
    }
}
