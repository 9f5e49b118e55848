//! Differences between two versions of a package, how much they matter, and the version number
//! they call for.
//!
//! [`DifferenceType`] is the GraphQL enum `PackageDifferenceType`; [`compatibility`] grades a list
//! of [`Difference`]s as the original's `diffCompatibility` does; [`next_version`] and
//! [`change_type`] turn the grade into the smallest next version and the activity-log change type.

use std::fmt;

use semver::Version;
use serde::{Deserialize, Serialize};

/// Declares [`DifferenceType`] with each variant's wire name written once.
macro_rules! difference_types {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What changed between two versions: the GraphQL enum `PackageDifferenceType`, every
        /// value, in the schema's order.
        ///
        /// It is also that enum on the GraphQL side, so the names are written only here.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
        #[graphql(name = "PackageDifferenceType")]
        pub enum DifferenceType {
            $($(#[$doc])* #[serde(rename = $name)] #[graphql(name = $name)] $variant,)*
        }

        impl DifferenceType {
            /// Every value, in the schema's order.
            pub const ALL: &'static [DifferenceType] = &[$(Self::$variant,)*];

            /// The wire name, e.g. `ADD_PROPERTY`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

difference_types! {
    RemoveSchema = "REMOVE_SCHEMA",
    RemoveHiddenSchema = "REMOVE_HIDDEN_SCHEMA",
    /// Never produced by `compare`, as in the original.
    AddSchema = "ADD_SCHEMA",
    RemoveSource = "REMOVE_SOURCE",
    ChangePackageDisplayName = "CHANGE_PACKAGE_DISPLAY_NAME",
    ChangePackageDescription = "CHANGE_PACKAGE_DESCRIPTION",
    ChangeSource = "CHANGE_SOURCE",
    ChangeSourceConfiguration = "CHANGE_SOURCE_CONFIGURATION",
    ChangeSourceConnection = "CHANGE_SOURCE_CONNECTION",
    ChangeSourceCredentials = "CHANGE_SOURCE_CREDENTIALS",
    /// Only meaningful for format 0.4.0 and older; never produced by `compare`.
    ChangeSourceUris = "CHANGE_SOURCE_URIS",
    ChangeStreamStats = "CHANGE_STREAM_STATS",
    ChangeStreamUpdateHash = "CHANGE_STREAM_UPDATE_HASH",
    ChangeStreamUpdateMethod = "CHANGE_STREAM_UPDATE_METHOD",
    AddProperty = "ADD_PROPERTY",
    HideProperty = "HIDE_PROPERTY",
    UnhideProperty = "UNHIDE_PROPERTY",
    RemoveProperty = "REMOVE_PROPERTY",
    RemoveHiddenProperty = "REMOVE_HIDDEN_PROPERTY",
    ChangePropertyType = "CHANGE_PROPERTY_TYPE",
    /// Deprecated in the original; never produced by `compare`.
    ChangePropertyFormat = "CHANGE_PROPERTY_FORMAT",
    ChangePropertyDescription = "CHANGE_PROPERTY_DESCRIPTION",
    ChangePropertyUnit = "CHANGE_PROPERTY_UNIT",
    ChangeGeneratedBy = "CHANGE_GENERATED_BY",
    ChangeUpdatedDate = "CHANGE_UPDATED_DATE",
    ChangeVersion = "CHANGE_VERSION",
    ChangeReadmeMarkdown = "CHANGE_README_MARKDOWN",
    ChangeLicenseMarkdown = "CHANGE_LICENSE_MARKDOWN",
    ChangeReadmeFile = "CHANGE_README_FILE",
    ChangeLicenseFile = "CHANGE_LICENSE_FILE",
    ChangeWebsite = "CHANGE_WEBSITE",
    ChangeContactEmail = "CHANGE_CONTACT_EMAIL",
    RemoveStreamSet = "REMOVE_STREAM_SET",
}

impl fmt::Display for DifferenceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference: what changed, and where (`#`, `#/<schema>/properties/<key>`, or `""`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    #[serde(rename = "type")]
    pub kind: DifferenceType,
    pub pointer: String,
}

impl Difference {
    pub(super) fn new(kind: DifferenceType, pointer: impl Into<String>) -> Self {
        Self {
            kind,
            pointer: pointer.into(),
        }
    }
}

/// How much a set of differences matters to the readers of a package, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compatibility {
    /// Nothing that counts changed; the version number must stay.
    Identical,
    /// Needs a patch bump.
    MinorChange,
    /// Needs a minor bump: readers of the old version can still read the new one.
    CompatibleChange,
    /// Needs a major bump.
    BreakingChange,
}

impl Compatibility {
    /// The word the `HIGHER_VERSION_REQUIRED` message uses (`compatibile` is the original's).
    pub fn message_word(self) -> &'static str {
        match self {
            Self::Identical => "no",
            Self::MinorChange => "minor",
            Self::CompatibleChange => "compatibile",
            Self::BreakingChange => "breaking",
        }
    }
}

/// The grade of the most serious difference ([`Compatibility::Identical`] for none).
pub fn compatibility(differences: &[Difference]) -> Compatibility {
    differences
        .iter()
        .map(|difference| grade(difference.kind))
        .max()
        .unwrap_or(Compatibility::Identical)
}

fn grade(kind: DifferenceType) -> Compatibility {
    use DifferenceType::*;
    match kind {
        RemoveProperty | RemoveSchema | ChangePropertyFormat | ChangePropertyType
        | HideProperty => Compatibility::BreakingChange,

        AddProperty | AddSchema | UnhideProperty => Compatibility::CompatibleChange,

        // CHANGE_SOURCE_URIS is not graded by the original (it throws); it is a source change.
        ChangeSource
        | ChangeSourceConfiguration
        | ChangeSourceConnection
        | ChangeSourceCredentials
        | ChangeSourceUris
        | RemoveHiddenProperty
        | RemoveHiddenSchema
        | ChangeVersion
        | RemoveSource
        | RemoveStreamSet
        | ChangePropertyUnit
        | ChangePackageDescription
        | ChangePackageDisplayName
        | ChangePropertyDescription
        | ChangeReadmeMarkdown
        | ChangeLicenseMarkdown
        | ChangeWebsite
        | ChangeContactEmail => Compatibility::MinorChange,

        ChangeStreamUpdateHash
        | ChangeStreamStats
        | ChangeGeneratedBy
        | ChangeUpdatedDate
        | ChangeReadmeFile
        | ChangeLicenseFile
        | ChangeStreamUpdateMethod => Compatibility::Identical,
    }
}

/// The smallest version number allowed after `current` for changes of this grade: the next
/// major, minor or patch, or `current` itself when nothing changed.
pub fn next_version(current: &Version, compatibility: Compatibility) -> Version {
    let (major, minor, patch) = (current.major, current.minor, current.patch);
    match compatibility {
        Compatibility::BreakingChange => Version::new(major + 1, 0, 0),
        Compatibility::CompatibleChange => Version::new(major, minor + 1, 0),
        Compatibility::MinorChange => Version::new(major, minor, patch + 1),
        Compatibility::Identical => current.clone(),
    }
}

/// The activity-log change type of a new version (GraphQL enum `ActivityLogChangeType`).
pub fn change_type(compatibility: Compatibility, first: bool) -> &'static str {
    if first {
        return "VERSION_FIRST_VERSION";
    }
    match compatibility {
        Compatibility::Identical => "VERSION_TRIVIAL_CHANGE",
        Compatibility::MinorChange => "VERSION_PATCH_CHANGE",
        Compatibility::CompatibleChange => "VERSION_MINOR_CHANGE",
        Compatibility::BreakingChange => "VERSION_MAJOR_CHANGE",
    }
}
