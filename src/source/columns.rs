use serde::Serialize;

use crate::identity::{Namespace, Shape};

/// One column of the file and what it is mapped to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    /// 0-based position in the row.
    pub index: usize,
    /// The header's text, or "column N" when the file has no header.
    pub name: String,
    pub namespace: Namespace,
    /// Why this namespace: the header that matched, the share of values that looked right, or
    /// the user's choice.
    pub reason: String,
    /// True when the namespace was inferred from values alone, which the preview says.
    pub guessed: bool,
}

/// Header names are compared with case, spaces and punctuation removed.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

pub(crate) fn namespace_for_header(name: &str) -> Option<Namespace> {
    let aliases: [(&[&str], Namespace); 4] = [
        (&["email", "emailaddress", "mail"], Namespace::Email),
        (
            &["emailsha256", "hashedemail", "emaillcsha256", "sha256email"],
            Namespace::EmailSha256,
        ),
        (
            &[
                "gaid",
                "aaid",
                "adid",
                "androidid",
                "maid",
                "googleadvertisingid",
            ],
            Namespace::Gaid,
        ),
        (&["idfa", "iosifa", "appleidfa"], Namespace::Idfa),
    ];
    let folded = fold(name);
    aliases
        .iter()
        .find(|(names, _)| names.contains(&folded.as_str()))
        .map(|&(_, ns)| ns)
}

/// Longer header names are cut for display: no real header is this long, and a name ends up
/// in tables, reports and the job's saved counts.
const MAX_NAME_CHARS: usize = 80;

/// Maps every column from its header, or failing that from the shape of its sampled values.
pub(crate) fn classify(
    headers: Option<&[String]>,
    width: usize,
    rows: &[Vec<String>],
) -> Vec<Column> {
    (0..width)
        .map(|index| {
            let header = headers.and_then(|h| h.get(index));
            let name = header
                .filter(|h| !h.trim().is_empty() && !h.contains('@'))
                .map(|h| crate::display::clipped(h, MAX_NAME_CHARS))
                .unwrap_or_else(|| format!("column {}", index + 1));
            if header.is_some_and(|h| is_phone_header(h)) {
                return Column {
                    index,
                    reason: format!("header \"{}\": {PHONES}", name.trim()),
                    name,
                    namespace: Namespace::Ignore,
                    guessed: false,
                };
            }
            if let Some(ns) = header.and_then(|h| namespace_for_header(h)) {
                return Column {
                    index,
                    reason: format!("header \"{}\" means {}", name.trim(), ns.label()),
                    name,
                    namespace: ns,
                    guessed: false,
                };
            }
            let values = rows.iter().filter_map(|r| r.get(index)).map(String::as_str);
            let (namespace, reason) = guess_from_values(values);
            Column {
                index,
                name,
                guessed: namespace != Namespace::Ignore,
                namespace,
                reason,
            }
        })
        .collect()
}

/// Why a column of phone numbers is kept out (`IDENTITY_RULES.md`).
const PHONES: &str = "phone numbers cannot go to a customer list";

fn is_phone_header(name: &str) -> bool {
    const NAMES: [&str; 10] = [
        "phone",
        "phonenumber",
        "telephone",
        "tel",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cell",
        "cellphone",
        "msisdn",
    ];
    NAMES.contains(&fold(name).as_str())
}

/// A phone number as exports write them: 7 to 15 digits, with `+`, spaces, dots, dashes and
/// parentheses between them, and nothing else.
fn looks_like_phone(value: &str) -> bool {
    let value = value.trim();
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || b" +-.()".contains(&b))
}

/// At least half of the non-empty sampled values must look alike for a guess.
fn guess_from_values<'a>(values: impl Iterator<Item = &'a str>) -> (Namespace, String) {
    let mut total = 0usize;
    let (mut email, mut sha, mut upper, mut lower, mut uuid, mut phone) = (0, 0, 0, 0, 0, 0);
    for value in values {
        let shape = Shape::of(value);
        if shape == Shape::Empty {
            continue;
        }
        total += 1;
        phone += usize::from(looks_like_phone(value));
        match shape {
            Shape::Email => email += 1,
            Shape::Sha256Hex => sha += 1,
            Shape::UuidUpper => {
                upper += 1;
                uuid += 1
            }
            Shape::UuidLower => {
                lower += 1;
                uuid += 1
            }
            Shape::UuidMixed => uuid += 1,
            _ => {}
        }
    }
    if total == 0 {
        return (Namespace::Ignore, "no values in the sample".into());
    }
    let pct = |n: usize| n * 100 / total;
    let enough = |n: usize| n * 2 >= total;
    if enough(phone) {
        return (
            Namespace::Ignore,
            format!(
                "{}% of {total} sampled values look like phone numbers: {PHONES}",
                pct(phone)
            ),
        );
    }
    if enough(email) && sha == 0 {
        (
            Namespace::Email,
            format!(
                "guessed: {}% of {total} sampled values look like emails",
                pct(email)
            ),
        )
    } else if enough(sha) && email == 0 {
        (
            Namespace::EmailSha256,
            format!(
                "guessed: {}% of {total} sampled values are SHA-256 digests (taken as hashed emails)",
                pct(sha)
            ),
        )
    } else if enough(email + sha) {
        (
            Namespace::Email,
            format!(
                "guessed: {}% of {total} sampled values are emails or SHA-256 digests",
                pct(email + sha)
            ),
        )
    } else if enough(uuid) {
        let (ns, lean) = if upper > lower {
            (Namespace::Idfa, "mostly uppercase, which leans to IDFA")
        } else {
            (Namespace::Gaid, "mostly lowercase, which leans to GAID")
        };
        (
            ns,
            format!(
                "guessed: {}% of {total} sampled values are UUIDs, {lean}",
                pct(uuid)
            ),
        )
    } else {
        (
            Namespace::Ignore,
            format!("no identity pattern in {total} sampled values"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[&str]) -> Vec<Vec<String>> {
        values.iter().map(|v| vec![v.to_string()]).collect()
    }

    #[test]
    fn a_phone_column_is_kept_out_and_says_why() {
        let by_header = classify(
            Some(&["Mobile phone".to_owned()][..]),
            1,
            &rows(&["+1 555 0100"]),
        );
        assert_eq!(by_header[0].namespace, Namespace::Ignore);
        assert!(
            by_header[0].reason.contains(PHONES),
            "{}",
            by_header[0].reason
        );
        let numbers = ["+44 20 7946 0958", "(555) 010-0199", "555.010.0123", ""];
        let by_values = classify(None, 1, &rows(&numbers));
        assert_eq!(by_values[0].namespace, Namespace::Ignore);
        assert!(
            by_values[0].reason.contains(PHONES),
            "{}",
            by_values[0].reason
        );
        let ids = classify(None, 1, &rows(&["12", "7"]));
        assert!(
            !ids[0].reason.contains(PHONES),
            "short numbers are not phones"
        );
    }

    #[test]
    fn headers_win_and_are_folded() {
        for (h, ns) in [
            ("E-Mail", Namespace::Email),
            (" Email Address ", Namespace::Email),
            ("HASHED_EMAIL", Namespace::EmailSha256),
            ("Email_LC_SHA256", Namespace::EmailSha256),
            ("Google Advertising ID", Namespace::Gaid),
            ("ios_ifa", Namespace::Idfa),
            ("notes", Namespace::Ignore),
        ] {
            let cols = classify(Some(&[h.to_string()]), 1, &[]);
            assert_eq!(cols[0].namespace, ns, "{h}");
        }
    }

    #[test]
    fn values_decide_without_header() {
        let c = classify(None, 1, &rows(&["a@b.com", "c@d.org", "junk"]));
        assert_eq!(c[0].namespace, Namespace::Email);
        assert!(c[0].guessed);
        assert!(c[0].reason.contains("66%"), "{}", c[0].reason);
        let c = classify(None, 1, &rows(&["E3C3A1B2-5F4D-4C6E-9A8B-7C6D5E4F3A2B"]));
        assert_eq!(c[0].namespace, Namespace::Idfa);
        let c = classify(None, 1, &rows(&["e3c3a1b2-5f4d-4c6e-9a8b-7c6d5e4f3a2b"]));
        assert_eq!(c[0].namespace, Namespace::Gaid);
        let sha = "a".repeat(64);
        let c = classify(None, 1, &rows(&[sha.as_str()]));
        assert_eq!(c[0].namespace, Namespace::EmailSha256);
        let c = classify(None, 1, &rows(&["hello", "world", ""]));
        assert_eq!(c[0].namespace, Namespace::Ignore);
        assert_eq!(c[0].name, "column 1");
    }

    #[test]
    fn names_are_printable_short_and_never_an_identity() {
        let headers = [
            "E\u{1b}[2Jmail".to_owned(),
            "x".repeat(100_000),
            "jane@x.com".into(),
        ];
        let c = classify(Some(&headers), 3, &[]);
        assert_eq!(c[0].name, "E[2Jmail");
        assert_eq!(c[1].name.chars().count(), MAX_NAME_CHARS);
        assert_eq!(
            c[2].name, "column 3",
            "a cell with an @ is data, not a name"
        );
    }
}
