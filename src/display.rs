//! How both faces show things: numbers, sizes and instants for people, and text from outside
//! (a file's cells and headers, a server's answers) made safe to show: no control characters
//! that a terminal would act on (an escape sequence can recolour, move the cursor, rename the
//! window), and no name so long that it breaks a table.

use std::borrow::Cow;

/// Whether `c` does something on a terminal rather than print: the C0 controls but for line
/// feed and tab, DEL, and the C1 controls.
fn acts(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `text` without control characters (line feeds and tabs stay); borrowed when it has none.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().any(acts) {
        Cow::Owned(text.chars().filter(|&c| !acts(c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` on one line, printable, and at most `max` characters (an ellipsis ends a cut).
pub fn clipped(text: &str, max: usize) -> String {
    let flat: String = printable(text)
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect();
    match flat.char_indices().nth(max.saturating_sub(1)) {
        Some((cut, _)) if flat.chars().count() > max => format!("{}…", &flat[..cut]),
        _ => flat,
    }
}

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in binary units, the one style every message uses: "512 B", "4.0 KiB", "5.3 MiB".
pub fn bytes(n: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    match n {
        0..KIB => format!("{n} B"),
        KIB..MIB => format!("{:.1} KiB", n as f64 / KIB as f64),
        MIB..GIB => format!("{:.1} MiB", n as f64 / MIB as f64),
        _ => format!("{:.2} GiB", n as f64 / GIB as f64),
    }
}

/// Seconds since the epoch as RFC 3339 in UTC, to the second: "2026-11-29T05:12:03Z".
pub fn rfc3339(at: i64) -> String {
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(at.max(0) as u64);
    humantime::format_rfc3339_seconds(when).to_string()
}

/// Seconds since the epoch as "2026-11-29 05:12:03Z" (UTC, to the second).
pub fn timestamp(at: i64) -> String {
    rfc3339(at).replacen('T', " ", 1)
}

/// Seconds since the epoch as the user's clock shows them: "2026-12-07 14:03".
pub fn local_time(at: i64) -> String {
    match chrono::DateTime::from_timestamp(at, 0) {
        Some(utc) => utc
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => timestamp(at),
    }
}

/// An instant as both: "2026-12-07 14:03 (in 29 days)".
pub fn when(at: i64) -> String {
    format!("{} ({})", local_time(at), relative(at))
}

/// A span of seconds as people say it: "45 s", "3 min 20 s", "2 h 5 min", "3 days 4 h".
pub fn duration(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => match seconds % 60 {
            0 => format!("{} min", seconds / 60),
            s => format!("{} min {s} s", seconds / 60),
        },
        3600..86_400 => match (seconds % 3600) / 60 {
            0 => format!("{} h", seconds / 3600),
            m => format!("{} h {m} min", seconds / 3600),
        },
        _ => match (seconds % 86_400) / 3600 {
            0 => format!("{} days", seconds / 86_400),
            h => format!("{} days {h} h", seconds / 86_400),
        },
    }
}

/// "1 record", "2 records": `count` with its noun, in the singular for one.
/// What a preview, a plan or a job read: its file, or the query on a database (whose result's
/// scratch copy means nothing to the user).
pub fn source(file: &std::path::Path, query: Option<&str>) -> String {
    match query {
        Some(database) => format!("query on {}", printable(database)),
        None => file.display().to_string(),
    }
}

pub fn count(n: u64, singular: &str, plural: &str) -> String {
    match n {
        1 => format!("1 {singular}"),
        n => format!("{} {plural}", group(n)),
    }
}

/// Quotes an argument for a POSIX shell when it needs it.
pub fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@".contains(&b))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Names (a file's columns) in quotes, each cut to 60 characters, at most 20 of them then how
/// many more: a file of 200,000 columns still gets a one-line message.
pub fn quoted_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names
        .into_iter()
        .map(|n| format!("\"{}\"", clipped(n, 60)))
        .collect();
    self::names(&quoted)
}

/// A core's message as a sentence on its own: its first letter a capital, a full stop at its
/// end.
pub fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let rest = chars.as_str();
    let stop = if rest.ends_with(['.', '!', '?']) {
        ""
    } else {
        "."
    };
    format!("{}{rest}{stop}", first.to_uppercase())
}

/// Names in a list, at most 20 of them then how many more: a message stays readable whatever
/// the count.
pub fn names(names: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(|n| printable(n).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text += &format!(" and {} more", group((names.len() - SHOWN) as u64));
    }
    text
}

/// "in 29 days", "in 3 hours", "2 days ago": an instant relative to now.
pub fn relative(at: i64) -> String {
    let delta = at - crate::os::now();
    let span = delta.unsigned_abs();
    // Rounded to the nearest unit: a token issued a moment ago expires "in 30 days".
    let amount = match span {
        0..5 => return "just now".into(),
        5..60 => format!("{span} seconds"),
        60..7200 => format!("{} minutes", (span + 30) / 60),
        7200..172_800 => format!("{} hours", (span + 1800) / 3600),
        _ => format!("{} days", (span + 43_200) / 86_400),
    };
    if delta >= 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_hundred_thousand_columns_make_one_short_line() {
        let columns: Vec<String> = (0..200_000)
            .map(|i| format!("col{i}{}", "x".repeat(100)))
            .collect();
        let said = super::quoted_names(columns.iter().map(String::as_str));
        assert!(said.len() < 2_000, "{} bytes", said.len());
        assert!(said.ends_with(" and 199,980 more"), "{said}");
    }

    use super::*;

    #[test]
    fn spans_and_counts_read_as_people_say_them() {
        assert_eq!(duration(13), "13 s");
        assert_eq!(duration(200), "3 min 20 s");
        assert_eq!(duration(7500), "2 h 5 min");
        assert_eq!(duration(3 * 86_400), "3 days");
        assert_eq!(count(1, "record", "records"), "1 record");
        assert_eq!(count(1200, "record", "records"), "1,200 records");
        assert!(when(crate::os::now() + 30 * 86_400).ends_with("(in 30 days)"));
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }

    #[test]
    fn escape_sequences_and_controls_are_dropped() {
        assert_eq!(printable("plain"), Cow::Borrowed("plain"));
        assert_eq!(
            printable("\u{1b}[31mred\u{1b}[0m\r\u{7}\u{9b}x\ny\tz"),
            "[31mred[0mx\ny\tz"
        );
    }

    #[test]
    fn long_names_are_cut_on_a_character() {
        assert_eq!(clipped("short", 10), "short");
        assert_eq!(clipped("abcdefghijkl", 5), "abcd…");
        assert_eq!(clipped("ééééééé", 3), "éé…");
        assert_eq!(clipped("a\nb", 5), "a b");
        assert_eq!(clipped(&"x".repeat(100_000), 40).chars().count(), 40);
    }
}
