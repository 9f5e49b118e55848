//! The rules of the 0.32.1 JSON schema that the typed model cannot express by itself.
//!
//! The original validates every file against its JSON schema, and the CLI validates what it
//! reads back from a registry the same way, so a file stored without these checks could be
//! published but never fetched. The rules are the schema's: the `version` and `packageSlug`
//! patterns, the `displayName` pattern, the lengths of the top-level strings (counted in
//! characters, as ajv does), and exactly one of `readmeMarkdown`/`readmeFile` and of
//! `licenseMarkdown`/`licenseFile`.

use super::model::PackageFile;

/// The first rule `file` breaks, as `<where>: <what>`.
pub fn check(file: &PackageFile) -> Result<(), String> {
    check_version(&file.version)?;
    check_package_slug(&file.package_slug)?;
    check_display_name(&file.display_name)?;
    check_lengths(file)?;
    exactly_one(
        ("readmeMarkdown", &file.readme_markdown),
        ("readmeFile", &file.readme_file),
    )?;
    exactly_one(
        ("licenseMarkdown", &file.license_markdown),
        ("licenseFile", &file.license_file),
    )
}

/// `^[0-9]+\.[0-9]+\.[0-9]+$`, and a valid semantic version (no leading zeros).
fn check_version(version: &str) -> Result<(), String> {
    let parts: Vec<&str> = version.split('.').collect();
    let digits_only = |part: &&str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let shaped = parts.len() == 3 && parts.iter().all(digits_only);

    if shaped && semver::Version::parse(version).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "version: {version:?} is not a version number of the form major.minor.patch"
        ))
    }
}

/// Not empty, then `^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?$`: runs of lower-case letters
/// and digits joined by `.`, `_`, `__` or hyphens.
fn check_package_slug(slug: &str) -> Result<(), String> {
    if slug.is_empty() {
        return Err("packageSlug: must not be empty".into());
    }

    let is_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let separators_ok = slug
        .split(is_alnum)
        .all(|piece| matches!(piece, "" | "." | "_" | "__") || piece.bytes().all(|b| b == b'-'));
    if slug.starts_with(is_alnum) && slug.ends_with(is_alnum) && separators_ok {
        Ok(())
    } else {
        Err(format!(
            "packageSlug: {slug:?} must be lower-case letters and digits joined by \
             \".\", \"_\", \"__\" or hyphens"
        ))
    }
}

/// `^[\w _-]+$`, where `\w` is ASCII only, as in JavaScript.
fn check_display_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | ' ' | '-');
    if !name.is_empty() && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(format!(
            "displayName: {name:?} may only hold letters, digits, spaces, \"_\" and \"-\""
        ))
    }
}

fn check_lengths(file: &PackageFile) -> Result<(), String> {
    let limits: [(&str, Option<&String>, usize); 11] = [
        ("generatedBy", file.generated_by.as_ref(), 256),
        ("updatedDate", Some(&file.updated_date), 128),
        ("displayName", Some(&file.display_name), 128),
        ("packageSlug", Some(&file.package_slug), 100),
        ("version", Some(&file.version), 128),
        ("readmeFile", file.readme_file.as_ref(), 1024),
        ("readmeMarkdown", file.readme_markdown.as_ref(), 100_000),
        ("licenseFile", file.license_file.as_ref(), 1024),
        ("licenseMarkdown", file.license_markdown.as_ref(), 100_000),
        ("website", file.website.as_ref(), 1024),
        ("contactEmail", file.contact_email.as_ref(), 1024),
    ];

    for (name, value, limit) in limits {
        let length = value.map_or(0, |v| v.chars().count());
        if length > limit {
            return Err(format!(
                "{name}: is {length} characters long, more than the {limit} allowed"
            ));
        }
    }
    Ok(())
}

fn exactly_one(
    (inline_name, inline): (&str, &Option<String>),
    (file_name, file): (&str, &Option<String>),
) -> Result<(), String> {
    match (inline, file) {
        (Some(_), None) | (None, Some(_)) => Ok(()),
        (None, None) => Err(format!(
            "{inline_name}: one of {inline_name} or {file_name} is required"
        )),
        (Some(_), Some(_)) => Err(format!(
            "{file_name}: {inline_name} and {file_name} may not both be given"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_must_be_three_plain_numbers() {
        assert!(check_version("1.0.0").is_ok());
        assert!(check_version("10.20.30").is_ok());
        for bad in ["1.0", "1.0.0-beta", "v1.0.0", "01.0.0", "1.0.0.0", ""] {
            assert!(check_version(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn package_slugs_follow_the_schema_pattern() {
        for good in [
            "countries",
            "a",
            "orders-large",
            "a--b",
            "a.b",
            "a__b",
            "x9",
        ] {
            assert!(check_package_slug(good).is_ok(), "{good} should pass");
        }
        for bad in ["", "Countries", "-a", "a-", "a..b", "a._b", "a b", "a___b"] {
            assert!(
                check_package_slug(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn display_names_are_ascii_words_spaces_and_hyphens() {
        assert!(check_display_name("Sensor readings_2 - raw").is_ok());
        assert!(check_display_name("").is_err());
        assert!(check_display_name("Café").is_err());
        assert!(check_display_name("a.b").is_err());
    }

    #[test]
    fn exactly_one_of_text_or_file_name_is_required() {
        let text = Some("# Hi".to_owned());
        let name = Some("README.md".to_owned());
        assert!(exactly_one(("readmeMarkdown", &text), ("readmeFile", &None)).is_ok());
        assert!(exactly_one(("readmeMarkdown", &None), ("readmeFile", &name)).is_ok());
        let neither = exactly_one(("readmeMarkdown", &None), ("readmeFile", &None));
        assert_eq!(
            neither.unwrap_err(),
            "readmeMarkdown: one of readmeMarkdown or readmeFile is required"
        );
        assert!(exactly_one(("readmeMarkdown", &text), ("readmeFile", &name)).is_err());
    }
}
