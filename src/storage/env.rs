//! The environment variables the cloud backends read, captured into a value.
//!
//! The Google and AWS libraries find their settings in the process environment. Reading them
//! through [`StorageEnv`] instead lets one process open stores with different settings (the tests
//! talk to two emulators at once) without changing its environment.

use std::collections::BTreeMap;
use std::fmt;

/// Every variable the cloud backends look at; nothing else is captured.
const NAMES: &[&str] = &[
    "STORAGE_EMULATOR_HOST",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "HOME",
];

/// Settings for the cloud backends, by variable name. `Debug` shows the names only, since some
/// values are secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StorageEnv {
    vars: BTreeMap<String, String>,
}

impl StorageEnv {
    /// No variables at all: the backends' own defaults.
    pub fn empty() -> StorageEnv {
        StorageEnv::default()
    }

    /// The variables the backends read, as the process has them now.
    pub fn from_process() -> StorageEnv {
        let vars = NAMES
            .iter()
            .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
            .collect();
        StorageEnv { vars }
    }

    /// This environment with `name` set to `value`.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> StorageEnv {
        self.vars.insert(name.to_owned(), value.into());
        self
    }

    /// The value of `name`, if set and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        let value = self.vars.get(name)?.trim();
        (!value.is_empty()).then_some(value)
    }

    /// Every variable set, by name, e.g. to hand the same settings to a child process.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The first of `names` that is set.
    pub(super) fn first(&self, names: &[&str]) -> Option<(&'static str, &str)> {
        names
            .iter()
            .find_map(|name| Some((*name, self.get(name)?)))
            .map(|(name, value)| (static_name(name), value))
    }
}

/// The `'static` spelling of a known variable name, for messages.
fn static_name(name: &str) -> &'static str {
    NAMES
        .iter()
        .find(|known| **known == name)
        .copied()
        .unwrap_or("the variable")
}

impl fmt::Debug for StorageEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_names_variables_but_shows_no_values() {
        let env = StorageEnv::empty().with("AWS_SECRET_ACCESS_KEY", "hunter2");

        let shown = format!("{env:?}");

        assert!(shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let env = StorageEnv::empty().with("AWS_REGION", "  ");

        assert_eq!(env.get("AWS_REGION"), None);
    }

    #[test]
    fn the_first_set_variable_wins() {
        let env = StorageEnv::empty()
            .with("AWS_ENDPOINT_URL", "http://b")
            .with("AWS_ENDPOINT_URL_S3", "http://a");

        let found = env.first(&["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]);

        assert_eq!(found, Some(("AWS_ENDPOINT_URL_S3", "http://a")));
    }
}
