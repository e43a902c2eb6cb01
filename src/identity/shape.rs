use super::normalize::is_uuid;

/// What a raw value looks like, for guessing a column's namespace from its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Empty,
    Email,
    Sha256Hex,
    ShortHex,
    UuidUpper,
    UuidLower,
    UuidMixed,
    Other,
}

impl Shape {
    pub fn of(raw: &str) -> Shape {
        let text = raw.trim().trim_matches('"');
        if text.is_empty() {
            return Shape::Empty;
        }
        if text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return match text.len() {
                64 => Shape::Sha256Hex,
                32 | 40 => Shape::ShortHex,
                _ => Shape::Other,
            };
        }
        if is_uuid(text) {
            let upper = text.bytes().any(|b| b.is_ascii_uppercase());
            let lower = text.bytes().any(|b| b.is_ascii_lowercase());
            return match (upper, lower) {
                (true, false) => Shape::UuidUpper,
                (false, true) => Shape::UuidLower,
                // Digits only, or both cases: no lean either way.
                _ => Shape::UuidMixed,
            };
        }
        let at = text.bytes().filter(|&b| b == b'@').count();
        if at == 1 && !text.contains(char::is_whitespace) {
            return Shape::Email;
        }
        Shape::Other
    }

    pub fn is_identity(self) -> bool {
        !matches!(self, Shape::Empty | Shape::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(Shape::of(" a@b.com "), Shape::Email);
        assert_eq!(Shape::of(&"A".repeat(64)), Shape::Sha256Hex);
        assert_eq!(Shape::of(&"a".repeat(32)), Shape::ShortHex);
        assert_eq!(
            Shape::of("E3C3A1B2-5F4D-4C6E-9A8B-7C6D5E4F3A2B"),
            Shape::UuidUpper
        );
        assert_eq!(
            Shape::of("e3c3a1b2-5f4d-4c6e-9a8b-7c6d5e4f3a2b"),
            Shape::UuidLower
        );
        assert_eq!(Shape::of("hello world"), Shape::Other);
        assert_eq!(Shape::of(""), Shape::Empty);
    }
}
