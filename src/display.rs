//! Text from outside (a file's cells and headers, a server's answers) made safe to show: no
//! control characters that a terminal would act on (an escape sequence can recolour, move the
//! cursor, rename the window), and no name so long that it breaks a table.

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

#[cfg(test)]
mod tests {
    use super::*;

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
