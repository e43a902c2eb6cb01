use super::{Digest, Namespace, Reason, sha256};

/// Longest accepted email, in bytes of its normalized form.
const MAX_EMAIL_BYTES: usize = 254;

/// The SHA-256 of the empty string, which a pre-hashed column may hold for its blank cells.
const EMPTY_DIGEST: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

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
                64 => {
                    return match Digest::from_hex(text) {
                        // An export that hashed its blank cells: one junk identity, not a person.
                        Some(digest) if digest.0 == EMPTY_DIGEST => Err(Reason::DigestOfEmpty),
                        digest => Ok(digest.map(Normalized::PreHashed)),
                    };
                }
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
mod tests;
