//! Tests of the validated values, kept apart from them for length.
use super::*;

fn refused(result: Result<impl fmt::Debug, ValueError>) -> ValueError {
    result.expect_err("the value should have been refused")
}

#[test]
fn a_username_of_thirty_nine_characters_is_accepted() {
    let name = "a".repeat(39);
    assert_eq!(Username::parse(&name).unwrap().as_str(), name);
}

#[test]
fn a_username_of_forty_characters_is_too_long() {
    let error = refused(Username::parse(&"a".repeat(40)));
    assert_eq!(error, ValueError::UsernameTooLong);
    assert_eq!(error.to_string(), "USERNAME_TOO_LONG");
}

#[test]
fn an_empty_username_is_required() {
    assert_eq!(refused(Username::parse("")).code(), "USERNAME_REQUIRED");
}

#[test]
fn a_too_long_username_is_reported_before_its_bad_characters() {
    assert_eq!(
        refused(Username::parse(&"!".repeat(40))).code(),
        "USERNAME_TOO_LONG"
    );
}

#[test]
fn a_username_length_counts_utf16_units_like_the_original() {
    // 20 emoji are 20 chars but 40 UTF-16 units: the original says TOO_LONG.
    assert_eq!(
        refused(Username::parse(&"😀".repeat(20))),
        ValueError::UsernameTooLong
    );
}

#[test]
fn usernames_of_letters_digits_and_single_inner_hyphens_are_accepted() {
    for name in [
        "a",
        "A",
        "7",
        "a-b",
        "Alice",
        "bob-the-builder",
        "x1-2-3",
        "ABC-def-9",
    ] {
        assert!(Username::parse(name).is_ok(), "{name} should be accepted");
    }
}

#[test]
fn usernames_with_misplaced_hyphens_or_other_characters_are_refused() {
    let refused_names = [
        "-a",
        "a-",
        "a--b",
        "-",
        "--",
        "a_b",
        "a.b",
        "a b",
        " alice",
        "alice ",
        "alice\n",
        "a@b",
        "élodie",
        "\u{212A}elvin",
    ];
    for name in refused_names {
        let error = refused(Username::parse(name));
        assert_eq!(error.code(), "INVALID_CHARACTERS", "{name:?}");
    }
}

#[test]
fn a_username_keeps_its_casing_and_offers_a_lowercase_key() {
    let name = Username::parse("Alice-B").unwrap();
    assert_eq!(name.to_string(), "Alice-B");
    assert_eq!(name.lowercase(), "alice-b");
    assert_eq!("Alice-B".parse::<Username>().unwrap(), name);
}

#[test]
fn ordinary_email_addresses_are_accepted() {
    let accepted = [
        "a@b.co",
        "alice@example.com",
        "Alice.Smith+tag@Mail.Example.ORG",
        "1%x_y-z@sub-domain.example.museum",
        "a@b-c.d-e.f.g.h.i.j.km",
        "x@1.io",
    ];
    for address in accepted {
        assert!(
            EmailAddress::parse(address).is_ok(),
            "{address} should be accepted"
        );
    }
}

#[test]
fn malformed_email_addresses_are_refused() {
    let refused_addresses = [
        "plainaddress",
        "a@b.c",
        "ab@c",
        "@example.com",
        ".a@example.com",
        "_a@example.com",
        "a@@example.com",
        "a@b@example.com",
        "a@example..com",
        "a@.example.com",
        "a@-example.com",
        "a@example-.com",
        "a@ex--ample.com",
        "a@example.c0m",
        "a@example.com.",
        "a@example_x.com",
        "a b@example.com",
        " a@example.com",
        "a@example.com ",
        "a@example.com\n",
        "ä@example.com",
        "a@exämple.com",
        "a(b)@example.com",
    ];
    for address in refused_addresses {
        let error = refused(EmailAddress::parse(address));
        assert_eq!(error.code(), "INVALID_EMAIL_ADDRESS_FORMAT", "{address:?}");
    }
}

#[test]
fn an_email_local_part_of_sixty_four_characters_is_accepted_and_sixty_five_refused() {
    let at_limit = format!("{}@example.com", "a".repeat(64));
    let over_limit = format!("{}@example.com", "a".repeat(65));
    assert!(EmailAddress::parse(&at_limit).is_ok());
    assert_eq!(
        refused(EmailAddress::parse(&over_limit)),
        ValueError::InvalidEmailAddressFormat
    );
}

#[test]
fn an_email_domain_may_have_one_to_eight_labels_before_the_top_level_domain() {
    let eight = format!("a@{}com", "x.".repeat(8));
    let nine = format!("a@{}com", "x.".repeat(9));
    assert!(EmailAddress::parse("a@x.com").is_ok());
    assert!(EmailAddress::parse(&eight).is_ok());
    assert_eq!(
        refused(EmailAddress::parse(&nine)),
        ValueError::InvalidEmailAddressFormat
    );
}

#[test]
fn an_email_domain_label_may_have_up_to_sixty_three_characters() {
    let at_limit = format!("a@{}.com", "b".repeat(63));
    let over_limit = format!("a@{}.com", "b".repeat(64));
    assert!(EmailAddress::parse(&at_limit).is_ok());
    assert_eq!(
        refused(EmailAddress::parse(&over_limit)),
        ValueError::InvalidEmailAddressFormat
    );
}

#[test]
fn an_email_top_level_domain_has_two_to_sixty_three_letters() {
    assert!(EmailAddress::parse("ab@cd.ef").is_ok());
    assert!(EmailAddress::parse(&format!("a@b.{}", "c".repeat(63))).is_ok());
    for address in [
        "ab@cd.e".to_owned(),
        format!("a@b.{}", "c".repeat(64)),
        "a@b.c1".to_owned(),
    ] {
        assert_eq!(
            refused(EmailAddress::parse(&address)),
            ValueError::InvalidEmailAddressFormat
        );
    }
}

#[test]
fn an_email_address_must_have_six_characters_and_start_with_a_letter_or_digit() {
    assert!(EmailAddress::parse("a@b.co").is_ok());
    assert!(EmailAddress::parse("-a@b.co").is_err());
    assert!(EmailAddress::parse("+abc@example.com").is_err());
    // The shortest possible address already has six characters, so the look-ahead's lower
    // bound never decides anything; its first-character rule does.
    assert!(EmailAddress::parse("a@b.c").is_err());
    assert!(EmailAddress::parse("%a@b.co").is_err());
}

#[test]
fn an_email_address_of_254_characters_is_accepted_and_255_is_too_long() {
    // 64 + "@" + three labels of 60 + three dots + "museum" = 254.
    let domain = format!("{0}.{0}.{0}.museum", "d".repeat(60));
    let at_limit = format!("{}@{domain}", "a".repeat(64));
    assert_eq!(at_limit.len(), 254);
    assert!(EmailAddress::parse(&at_limit).is_ok());

    let over_limit = format!("a{at_limit}");
    assert_eq!(refused(EmailAddress::parse(&over_limit)).code(), "TOO_LONG");
}

#[test]
fn a_blank_email_address_is_required() {
    for address in ["", " ", "\t\n"] {
        assert_eq!(refused(EmailAddress::parse(address)).code(), "REQUIRED");
    }
}

#[test]
fn email_addresses_are_case_insensitive_and_keep_their_casing() {
    let address = EmailAddress::parse("Alice@Example.COM").unwrap();
    assert_eq!(address.as_str(), "Alice@Example.COM");
    assert_eq!(address.lowercase(), "alice@example.com");
}

#[test]
fn passwords_at_the_length_limits_are_accepted() {
    assert!(Password::parse("abcdefg1").is_ok());
    assert!(Password::parse(&"a".repeat(16)).is_ok());
    assert!(Password::parse(&"a".repeat(99)).is_ok());
}

#[test]
fn password_errors_come_in_the_original_order() {
    let cases = [
        ("", "PASSWORD_REQUIRED"),
        (&"a".repeat(100), "PASSWORD_TOO_LONG"),
        ("abc", "PASSWORD_TOO_SHORT"),
        ("abcdefg", "PASSWORD_TOO_SHORT"),
        ("abcdefgh", "INVALID_CHARACTERS"),
        (&"a".repeat(15), "INVALID_CHARACTERS"),
    ];
    for (password, code) in cases {
        assert_eq!(
            refused(Password::parse(password)).code(),
            code,
            "{password:?}"
        );
    }
}

#[test]
fn a_short_password_needs_a_digit_or_one_of_the_listed_symbols() {
    for symbol in ['0', '9', '@', '#', '$', '%', '!'] {
        assert!(
            Password::parse(&format!("abcdefg{symbol}")).is_ok(),
            "{symbol}"
        );
    }
    for symbol in ['^', '&', '*', '-', ' '] {
        assert!(
            Password::parse(&format!("abcdefg{symbol}")).is_err(),
            "{symbol}"
        );
    }
}

#[test]
fn a_password_is_never_trimmed_and_may_hold_any_character() {
    let password = Password::parse("  pässwörd 😀 1 ").unwrap();
    assert_eq!(password.as_str(), "  pässwörd 😀 1 ");
}

#[test]
fn a_password_length_counts_utf16_units_like_the_original() {
    // Four emoji are eight UTF-16 units: long enough, but no digit or symbol.
    assert_eq!(
        refused(Password::parse(&"😀".repeat(4))),
        ValueError::PasswordInvalidCharacters
    );
}

#[test]
fn a_password_does_not_show_in_debug_output() {
    let password = Password::parse("hunter2-secret").unwrap();
    assert!(!format!("{password:?}").contains("hunter2"));
}

#[test]
fn catalog_slugs_follow_the_username_shape_up_to_thirty_eight_characters() {
    assert!(CatalogSlug::parse("My-Catalog-2").is_ok());
    assert!(CatalogSlug::parse(&"c".repeat(38)).is_ok());
    assert_eq!(
        refused(CatalogSlug::parse(&"c".repeat(39))).code(),
        "CATALOG_SLUG_TOO_LONG"
    );
    assert_eq!(
        refused(CatalogSlug::parse("")).code(),
        "CATALOG_SLUG_REQUIRED"
    );
    for slug in ["-a", "a-", "a--b", "a_b", "a.b", "a b"] {
        assert_eq!(
            refused(CatalogSlug::parse(slug)).code(),
            "CATALOG_SLUG_INVALID"
        );
    }
}

#[test]
fn a_catalog_slug_offers_a_lowercase_key() {
    assert_eq!(CatalogSlug::parse("DataPM").unwrap().lowercase(), "datapm");
}

#[test]
fn package_slugs_with_the_allowed_separators_are_accepted() {
    let accepted = [
        "a",
        "0",
        "abc",
        "a.b",
        "a_b",
        "a__b",
        "a-b",
        "a---b",
        "a.b_c__d-e--f",
        "us-covid.v2",
        "x1",
    ];
    for slug in accepted {
        assert!(
            PackageSlug::parse(slug).is_ok(),
            "{slug} should be accepted"
        );
    }
}

#[test]
fn package_slugs_with_bad_separators_or_capitals_are_refused() {
    let refused_slugs = [
        "A", "aB", "-a", "a-", ".a", "a.", "_a", "a_", "a..b", "a___b", "a._b", "a-.b", "a.-b",
        "a_-b", "a b", "a/b", "é",
    ];
    for slug in refused_slugs {
        assert_eq!(
            refused(PackageSlug::parse(slug)).code(),
            "PACKAGE_SLUG_INVALID",
            "{slug:?}"
        );
    }
}

#[test]
fn a_package_slug_over_thirty_eight_characters_is_reported_as_required() {
    assert!(PackageSlug::parse(&"p".repeat(38)).is_ok());
    let error = refused(PackageSlug::parse(&"p".repeat(39)));
    assert_eq!(error, ValueError::PackageSlugTooLong);
    assert_eq!(error.to_string(), "PACKAGE_SLUG_REQUIRED");
    assert_eq!(
        refused(PackageSlug::parse("")).code(),
        "PACKAGE_SLUG_REQUIRED"
    );
}

#[test]
fn text_with_an_at_sign_is_read_as_an_email_address() {
    let parsed = UsernameOrEmail::parse("Alice@Example.com").unwrap();
    assert!(matches!(parsed, UsernameOrEmail::Email(_)));
    assert_eq!(parsed.lowercase(), "alice@example.com");
    assert_eq!(
        refused(UsernameOrEmail::parse("alice@")).code(),
        "INVALID_EMAIL_ADDRESS_FORMAT"
    );
}

#[test]
fn text_without_an_at_sign_is_read_as_a_username() {
    let parsed = UsernameOrEmail::parse("Alice").unwrap();
    assert!(matches!(parsed, UsernameOrEmail::Username(_)));
    assert_eq!(parsed.to_string(), "Alice");
    assert_eq!(
        refused(UsernameOrEmail::parse("")).code(),
        "USERNAME_REQUIRED"
    );
    assert_eq!(
        refused(UsernameOrEmail::parse("a_b")).code(),
        "INVALID_CHARACTERS"
    );
}

#[test]
fn reserved_words_match_trimmed_and_in_any_case() {
    for word in [
        "admin",
        "ADMIN",
        " Admin ",
        "me",
        "graphql",
        "Accept-Invite",
        "group\n",
    ] {
        assert!(is_reserved_word(word), "{word:?}");
    }
    for word in ["admins", "a-dmin", "mine", "", "accept_invite"] {
        assert!(!is_reserved_word(word), "{word:?}");
    }
}

#[test]
fn a_reserved_word_still_parses_as_a_username_and_a_slug() {
    assert!(Username::parse("admin").is_ok());
    assert!(CatalogSlug::parse("graphql").is_ok());
}
