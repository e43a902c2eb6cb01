use super::{Digest, Namespace, Reason, sha256};

/// Longest accepted email, in bytes of its normalized form.
const MAX_EMAIL_BYTES: usize = 254;

/// A cell that passed validation, borrowed from the cell or the normalizer's scratch buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalized<'a> {
    /// The normalized text that gets hashed.
    Plain(&'a str),
    /// A cell that already was a SHA-256 digest; it is sent as is.
    PreHashed(Digest),
}

impl Normalized<'_> {
    /// What Pinterest receives.
    pub fn digest(&self) -> Digest {
        match self {
            Normalized::Plain(text) => sha256(text),
            Normalized::PreHashed(digest) => *digest,
        }
    }

    /// The normalized form as text: the value itself, or the digest's lowercase hex.
    pub fn to_text(&self) -> String {
        match self {
            Normalized::Plain(text) => (*text).to_owned(),
            Normalized::PreHashed(digest) => digest.to_hex(),
        }
    }
}

/// Applies the rules of one namespace to raw cells, reusing one buffer so that the hot loop
/// does not allocate for ASCII input.
#[derive(Default)]
pub struct Normalizer {
    scratch: String,
}

impl Normalizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Ok(None)` for an empty cell, which is skipped rather than rejected.
    pub fn apply<'a>(
        &'a mut self,
        namespace: Namespace,
        raw: &'a str,
    ) -> Result<Option<Normalized<'a>>, Reason> {
        match namespace {
            Namespace::Email => self.email(raw, true),
            Namespace::EmailSha256 => self.email(raw, false),
            Namespace::Gaid => self.advertising_id(raw, Case::Lower),
            Namespace::Idfa => self.advertising_id(raw, Case::Upper),
            Namespace::Ignore => Ok(None),
        }
    }

    /// Normalize and hash in one call: the digest Pinterest receives.
    pub fn digest(&mut self, namespace: Namespace, raw: &str) -> Result<Option<Digest>, Reason> {
        Ok(self.apply(namespace, raw)?.map(|n| n.digest()))
    }

    fn email<'a>(
        &'a mut self,
        raw: &'a str,
        plain_allowed: bool,
    ) -> Result<Option<Normalized<'a>>, Reason> {
        let text = strip_one_quote_pair(raw.trim()).trim();
        if text.is_empty() {
            return Ok(None);
        }
        match AsciiFacts::of(text) {
            Some(facts) => self.ascii_email(text, facts, plain_allowed),
            None => self.unicode_email(text, plain_allowed),
        }
    }

    /// An email with characters beyond ASCII (a tenth or so of a real export's): lowercased
    /// and checked in one pass over its characters.
    fn unicode_email<'a>(
        &'a mut self,
        text: &str,
        plain_allowed: bool,
    ) -> Result<Option<Normalized<'a>>, Reason> {
        let (mut unreadable, mut whitespace) = (false, false);
        // A capital sigma lowercases by where it stands in a word: the library's path.
        let sigma = text.contains('\u{3a3}');
        self.scratch.clear();
        for c in text.chars() {
            // Most characters of such an email are still ASCII: the byte rules of
            // `AsciiFacts` decide them without the Unicode tables.
            if let Ok(b) = u8::try_from(c)
                && b.is_ascii()
            {
                let line_or_tab = matches!(b, b'\t'..=b'\r');
                whitespace |= line_or_tab | (b == b' ');
                unreadable |= ((b < 0x20) & !line_or_tab) | (b == 0x7f);
                if !sigma {
                    self.scratch.push(char::from(b.to_ascii_lowercase()));
                }
            } else {
                unreadable |=
                    (c.is_control() && !c.is_whitespace()) || c == char::REPLACEMENT_CHARACTER;
                whitespace |= c.is_whitespace();
                if !sigma {
                    self.scratch.extend(c.to_lowercase());
                }
            }
        }
        if unreadable {
            return Err(Reason::UnreadableCharacter);
        }
        if !plain_allowed {
            return Err(Reason::NotASha256Digest);
        }
        if sigma {
            self.scratch = text.to_lowercase();
        }
        let lowered = self.scratch.as_str();
        if lowered.len() > MAX_EMAIL_BYTES {
            return Err(Reason::TooLong);
        }
        if whitespace || !is_email(lowered) {
            return Err(Reason::NotAnEmail);
        }
        Ok(Some(Normalized::Plain(lowered)))
    }

    /// The same rules as the general path, decided from one pass over the bytes: nearly every
    /// email is ASCII, and these checks are a good part of a file's cost.
    fn ascii_email<'a>(
        &'a mut self,
        text: &'a str,
        facts: AsciiFacts,
        plain_allowed: bool,
    ) -> Result<Option<Normalized<'a>>, Reason> {
        if facts.unreadable {
            return Err(Reason::UnreadableCharacter);
        }
        if facts.hex {
            match text.len() {
                // Invariant: 64 hex digits always decode to 32 bytes.
                64 => return Ok(Digest::from_hex(text).map(Normalized::PreHashed)),
                32 | 40 => return Err(Reason::Md5OrSha1Digest),
                _ => {}
            }
        }
        if !plain_allowed {
            return Err(Reason::NotASha256Digest);
        }
        if text.len() > MAX_EMAIL_BYTES {
            return Err(Reason::TooLong);
        }
        let (local, domain) = text.split_at(facts.at.unwrap_or(0));
        let domain = domain.get(1..).unwrap_or("");
        let valid = facts.at.is_some()
            && !facts.several_ats
            && !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !facts.whitespace
            && !(text.starts_with('"') || text.ends_with('"'));
        if !valid {
            return Err(Reason::NotAnEmail);
        }
        if !facts.upper {
            return Ok(Some(Normalized::Plain(text)));
        }
        self.scratch.clear();
        self.scratch.push_str(text);
        self.scratch.make_ascii_lowercase();
        Ok(Some(Normalized::Plain(&self.scratch)))
    }

    fn advertising_id<'a>(
        &'a mut self,
        raw: &'a str,
        case: Case,
    ) -> Result<Option<Normalized<'a>>, Reason> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if !is_uuid(text) {
            return Err(Reason::NotAUuid);
        }
        if text.bytes().all(|b| b == b'0' || b == b'-') {
            return Err(Reason::ZeroAdvertisingId);
        }
        let needs_change = match case {
            Case::Lower => text.bytes().any(|b| b.is_ascii_uppercase()),
            Case::Upper => text.bytes().any(|b| b.is_ascii_lowercase()),
        };
        if !needs_change {
            return Ok(Some(Normalized::Plain(text)));
        }
        self.scratch.clear();
        self.scratch.push_str(text);
        match case {
            Case::Lower => self.scratch.make_ascii_lowercase(),
            Case::Upper => self.scratch.make_ascii_uppercase(),
        }
        Ok(Some(Normalized::Plain(&self.scratch)))
    }
}

/// What one pass over an ASCII value tells the email rules.
#[derive(Clone, Copy, Default)]
struct AsciiFacts {
    hex: bool,
    upper: bool,
    whitespace: bool,
    unreadable: bool,
    /// Where the first `@` is, and whether another follows.
    at: Option<usize>,
    several_ats: bool,
}

impl AsciiFacts {
    /// `None` when `text` is not ASCII. One branch-free pass over the bytes, with a byte of
    /// flags per fact so that the compiler vectorises it: a loop that branched on every `@`
    /// and non-ASCII byte cost a tenth of a file's time.
    fn of(text: &str) -> Option<AsciiFacts> {
        let bytes = text.as_bytes();
        let (mut high, mut not_hex, mut upper, mut whitespace, mut unreadable) = (0u8, 0, 0, 0, 0);
        for &b in bytes {
            high |= b & 0x80;
            not_hex |= u8::from(!b.is_ascii_hexdigit());
            upper |= u8::from(b.is_ascii_uppercase());
            let space_or_line = matches!(b, b'\t'..=b'\r');
            whitespace |= u8::from(space_or_line | (b == b' '));
            unreadable |= u8::from(((b < 0x20) & !space_or_line) | (b == 0x7f));
        }
        if high != 0 {
            return None;
        }
        let at = memchr::memchr(b'@', bytes);
        Some(AsciiFacts {
            hex: not_hex == 0,
            upper: upper != 0,
            whitespace: whitespace != 0,
            unreadable: unreadable != 0,
            at,
            several_ats: at.is_some_and(|i| memchr::memchr(b'@', &bytes[i + 1..]).is_some()),
        })
    }
}

#[derive(Clone, Copy)]
enum Case {
    Lower,
    Upper,
}

/// A CSV writer that quoted a field twice leaves one pair behind; the rules strip exactly one.
fn strip_one_quote_pair(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(text)
}

/// The structural rules for a normalized email, whitespace apart (the caller has looked at
/// every character already). A value still wrapped in quotes is refused so that normalizing
/// is idempotent (a second pass would strip another pair).
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.starts_with('"')
        && !text.ends_with('"')
}

/// 8-4-4-4-12 hex digits with dashes, any case. Branch-free over the 36 bytes: IDs are a third
/// of a typical file and a per-byte branch on digit-or-letter mispredicts constantly.
pub(super) fn is_uuid(text: &str) -> bool {
    const OTHER: u8 = 0;
    const HEX: u8 = 1;
    const DASH: u8 = 2;
    const CLASS: [u8; 256] = {
        let mut class = [OTHER; 256];
        let mut b = 0;
        while b < 256 {
            class[b] = match b as u8 {
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => HEX,
                b'-' => DASH,
                _ => OTHER,
            };
            b += 1;
        }
        class
    };
    const EXPECTED: [u8; 36] = {
        let mut expected = [HEX; 36];
        expected[8] = DASH;
        expected[13] = DASH;
        expected[18] = DASH;
        expected[23] = DASH;
        expected
    };
    let Ok(bytes) = <&[u8; 36]>::try_from(text.as_bytes()) else {
        return false;
    };
    let mut mismatch = 0u8;
    for (&b, &want) in bytes.iter().zip(&EXPECTED) {
        mismatch |= CLASS[b as usize] ^ want;
    }
    mismatch == 0
}

#[cfg(test)]
mod tests {
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
}
