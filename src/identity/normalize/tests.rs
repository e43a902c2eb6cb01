use super::*;
use proptest::prelude::*;

fn sent(namespace: Namespace, raw: &str) -> Result<Option<String>, Reason> {
    Normalizer::new()
        .digest(namespace, raw)
        .map(|d| d.map(|d| d.to_hex()))
}

fn normalized(namespace: Namespace, raw: &str) -> Result<Option<String>, Reason> {
    let mut n = Normalizer::new();
    n.apply(namespace, raw).map(|v| v.map(|v| v.to_text()))
}

// The test vectors of IDENTITY_RULES.md, one test each.

#[test]
fn vector_email_trim_and_lowercase() {
    let raw = "  Jane.Doe+News@Example.COM ";
    assert_eq!(
        normalized(Namespace::Email, raw).unwrap().unwrap(),
        "jane.doe+news@example.com"
    );
    assert_eq!(
        sent(Namespace::Email, raw).unwrap().unwrap(),
        "dbf1912b4cad4df9823f627874244e64b50a6ac550b9cb33b17df671a26679db"
    );
}

#[test]
fn vector_email_non_ascii_domain() {
    assert_eq!(
        normalized(Namespace::Email, "user@exämple.de")
            .unwrap()
            .unwrap(),
        "user@exämple.de"
    );
    assert_eq!(
        sent(Namespace::Email, "user@exämple.de").unwrap().unwrap(),
        "1f865163d4dd6e0bbc022c21dbb58b15a0b6915233b3a185d0c5b1c87ab91c14"
    );
}

#[test]
fn vector_email_unicode_lowercase() {
    assert_eq!(
        normalized(Namespace::Email, "ÜSER@EXAMPLE.COM")
            .unwrap()
            .unwrap(),
        "üser@example.com"
    );
    assert_eq!(
        sent(Namespace::Email, "ÜSER@EXAMPLE.COM").unwrap().unwrap(),
        "bb2984536940d67bd71817ffd698b1eb6aed6dfe86a3843703b1814414c6e40e"
    );
}

#[test]
fn vector_email_prehashed_uppercase() {
    let raw = "DBF1912B4CAD4DF9823F627874244E64B50A6AC550B9CB33B17DF671A26679DB";
    assert_eq!(
        sent(Namespace::Email, raw).unwrap().unwrap(),
        "dbf1912b4cad4df9823f627874244e64b50a6ac550b9cb33b17df671a26679db"
    );
    assert_eq!(
        sent(Namespace::EmailSha256, raw).unwrap().unwrap(),
        "dbf1912b4cad4df9823f627874244e64b50a6ac550b9cb33b17df671a26679db"
    );
}

#[test]
fn vector_gaid_trim_and_lowercase() {
    let raw = " 38400000-8CF0-11BD-B23E-10B96E40000D ";
    assert_eq!(
        normalized(Namespace::Gaid, raw).unwrap().unwrap(),
        "38400000-8cf0-11bd-b23e-10b96e40000d"
    );
    assert_eq!(
        sent(Namespace::Gaid, raw).unwrap().unwrap(),
        "d4181bb455a74b3bc8b37c75ac9b2c702eb6b9930bd040b861403b31ca85634d"
    );
}

#[test]
fn vector_idfa_uppercase() {
    let raw = "e3c3a1b2-5f4d-4c6e-9a8b-7c6d5e4f3a2b";
    assert_eq!(
        normalized(Namespace::Idfa, raw).unwrap().unwrap(),
        "E3C3A1B2-5F4D-4C6E-9A8B-7C6D5E4F3A2B"
    );
    assert_eq!(
        sent(Namespace::Idfa, raw).unwrap().unwrap(),
        "f73cc969bf714b22be71cb61ca1cf314361dad17e68807322ca2bd208bf28089"
    );
}

#[test]
fn vector_zero_gaid_rejected() {
    assert_eq!(
        sent(Namespace::Gaid, "00000000-0000-0000-0000-000000000000"),
        Err(Reason::ZeroAdvertisingId)
    );
    assert_eq!(
        sent(Namespace::Idfa, "00000000-0000-0000-0000-000000000000"),
        Err(Reason::ZeroAdvertisingId)
    );
}

#[test]
fn vector_not_an_email() {
    assert_eq!(
        sent(Namespace::Email, "not-an-email"),
        Err(Reason::NotAnEmail)
    );
}

#[test]
fn vector_md5_rejected() {
    assert_eq!(
        sent(Namespace::Email, "0cc175b9c0f1b6a831c399e269772661"),
        Err(Reason::Md5OrSha1Digest)
    );
    assert_eq!(
        sent(Namespace::Email, "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"),
        Err(Reason::Md5OrSha1Digest)
    );
}

#[test]
fn empty_cells_are_skipped_not_rejected() {
    for ns in [
        Namespace::Email,
        Namespace::EmailSha256,
        Namespace::Gaid,
        Namespace::Idfa,
    ] {
        assert_eq!(sent(ns, ""), Ok(None));
        assert_eq!(sent(ns, "   \t"), Ok(None));
    }
    assert_eq!(sent(Namespace::Email, "\"\""), Ok(None));
}

#[test]
fn email_structure_rules() {
    let bad = [
        "a@@b.com",
        "a@b@c.com",
        "@example.com",
        "a@examplecom",
        "a@.example.com",
        "a@example.com.",
        "a b@example.com",
        "a@exa\u{a0}mple.com",
        "a\u{b}b@example.com",
        "a@example\u{3000}.com",
    ];
    for raw in bad {
        assert_eq!(
            sent(Namespace::Email, raw),
            Err(Reason::NotAnEmail),
            "{raw}"
        );
    }
    assert_eq!(
        normalized(Namespace::Email, "\"Quoted@Example.com\"")
            .unwrap()
            .unwrap(),
        "quoted@example.com"
    );
    assert_eq!(
        sent(Namespace::Email, "\"\"a@b.com\"\""),
        Err(Reason::NotAnEmail),
        "a second pair of quotes is not stripped"
    );
}

#[test]
fn control_and_replacement_characters_are_unreadable() {
    for raw in [
        "a\0b@x.com",
        "a\u{1b}[31m@x.com",
        "jos\u{FFFD}@x.com",
        "a@x\u{7f}.com",
    ] {
        assert_eq!(
            sent(Namespace::Email, raw),
            Err(Reason::UnreadableCharacter),
            "{raw:?}"
        );
    }
    assert_eq!(sent(Namespace::Email, "a b@x.com"), Err(Reason::NotAnEmail));
}

#[test]
fn email_length_bound_is_in_bytes() {
    let local = "a".repeat(254 - "@example.com".len());
    assert!(sent(Namespace::Email, &format!("{local}@example.com")).is_ok());
    assert_eq!(
        sent(Namespace::Email, &format!("{local}a@example.com")),
        Err(Reason::TooLong)
    );
}

#[test]
fn sha256_column_refuses_plain_text() {
    assert_eq!(
        sent(Namespace::EmailSha256, "jane@example.com"),
        Err(Reason::NotASha256Digest)
    );
    assert_eq!(
        sent(Namespace::EmailSha256, "0cc175b9c0f1b6a831c399e269772661"),
        Err(Reason::Md5OrSha1Digest)
    );
}

#[test]
fn advertising_ids_need_uuid_shape() {
    for raw in [
        "38400000-8cf0-11bd-b23e-10b96e40000",
        "38400000x8cf0-11bd-b23e-10b96e40000d",
        "g8400000-8cf0-11bd-b23e-10b96e40000d",
        "jane@example.com",
    ] {
        assert_eq!(sent(Namespace::Gaid, raw), Err(Reason::NotAUuid), "{raw}");
    }
}

#[test]
fn ignore_sends_nothing() {
    assert_eq!(sent(Namespace::Ignore, "jane@example.com"), Ok(None));
}

proptest! {
    #[test]
    fn emails_are_lowercased_as_the_library_does(
        local in "[a-zA-Z0-9ÜÉßİΣΑ]{1,12}",
        domain in "[a-zA-ZÜÉßİΣ]{1,8}",
    ) {
        let raw = format!("{local}@{domain}.com");
        let mut normalizer = Normalizer::new();
        let sent = normalizer.apply(Namespace::Email, &raw).unwrap().unwrap().to_text();
        prop_assert_eq!(sent, raw.to_lowercase());
    }

    #[test]
    fn no_input_panics(ns in 0usize..5, raw in "\\PC*") {
        let _ = Normalizer::new().digest(Namespace::ALL[ns], &raw);
    }

    #[test]
    fn normalizing_is_idempotent(ns in 0usize..4, raw in "[ \"a-zA-Z0-9@.+\\-ÜÉßİ]{0,60}") {
        let ns = Namespace::ALL[ns];
        if let Ok(Some(once)) = normalized(ns, &raw) {
            prop_assert_eq!(normalized(ns, &once), Ok(Some(once.clone())));
        }
    }

    #[test]
    fn idempotent_on_generated_identities(
        local in "[A-Za-z0-9._+\\-]{1,20}",
        domain in "[A-Za-zÄÖÜ]{1,10}\\.[A-Za-z]{2,4}",
        pad in "[ \t]{0,3}",
        uuid in "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    ) {
        let email = format!("{pad}{local}@{domain}{pad}");
        let once = normalized(Namespace::Email, &email).unwrap().unwrap();
        prop_assert_eq!(normalized(Namespace::Email, &once), Ok(Some(once.clone())));
        for ns in [Namespace::Gaid, Namespace::Idfa] {
            if let Ok(Some(once)) = normalized(ns, &uuid) {
                prop_assert_eq!(normalized(ns, &once), Ok(Some(once.clone())));
            }
        }
    }

    #[test]
    fn accepted_values_yield_64_lowercase_hex(ns in 0usize..4, raw in "\\PC{0,80}") {
        if let Ok(Some(digest)) = Normalizer::new().digest(Namespace::ALL[ns], &raw) {
            let hex = digest.to_hex();
            prop_assert_eq!(hex.len(), 64);
            prop_assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        }
    }
}

#[test]
fn the_digest_of_an_empty_value_is_refused_in_both_email_namespaces() {
    let empty = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    assert_eq!(sent(Namespace::Email, empty), Err(Reason::DigestOfEmpty));
    assert_eq!(
        sent(Namespace::EmailSha256, empty),
        Err(Reason::DigestOfEmpty)
    );
    assert_eq!(crate::identity::sha256("").to_hex(), empty.to_lowercase());
}
