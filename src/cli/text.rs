//! Plain-text rendering shared by the commands.

use std::io::{self, Write};

use crate::source::Summary;

/// Writes to stdout, without control characters (a file's cells and a server's words pass
/// through here). A closed pipe (`| head`) ends the output quietly instead of panicking.
pub fn emit(text: &str) -> io::Result<()> {
    let text = crate::display::printable(text);
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
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

pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

/// "in 29 days", "in 3 hours", "2 days ago": an instant relative to now.
pub fn relative(at: i64) -> String {
    let delta = at - crate::home::now();
    let span = delta.unsigned_abs();
    // Rounded to the nearest unit: a token issued a moment ago expires "in 30 days".
    let amount = match span {
        0..60 => format!("{span} seconds"),
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

/// The counts table: per column, per reason, per list type.
pub fn summary(summary: &Summary) -> String {
    let mut out = format!("Rows read: {}\n", group(summary.rows));
    for (reason, n) in &summary.row_rejects {
        out += &format!("Rows rejected whole ({reason}): {}\n", group(*n));
    }
    let name_width = summary
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    out += &format!(
        "\n{:<name_width$}  {:<12}  {:>11}  {:>9}  {:>9}  {:>11}\n",
        "column", "namespace", "valid", "empty", "invalid", "duplicates"
    );
    for c in &summary.columns {
        out += &format!(
            "{:<name_width$}  {:<12}  {:>11}  {:>9}  {:>9}  {:>11}\n",
            c.name,
            c.namespace.map_or("", |n| n.as_str()),
            group(c.valid),
            group(c.empty),
            group(c.invalid_total()),
            group(c.duplicates),
        );
        for (reason, n) in &c.invalid {
            out += &format!("{:<name_width$}    {}: {}\n", "", reason, group(*n));
        }
    }
    out += "\nUnique identities to send:";
    if summary.lists.is_empty() {
        out += " none";
    }
    for list in &summary.lists {
        out += &format!("  {} {}", list.list_type, group(list.unique));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands() {
        assert_eq!(super::group(0), "0");
        assert_eq!(super::group(999), "999");
        assert_eq!(super::group(1000), "1,000");
        assert_eq!(super::group(1234567), "1,234,567");
    }
}
