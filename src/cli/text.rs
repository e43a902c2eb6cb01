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

pub use crate::display::{bytes, group, relative};

/// An error and its causes on one line, each said once: an error whose own sentence already
/// holds its cause ("cannot read F: no such file") does not get it repeated after it.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
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
    use super::*;

    #[test]
    fn a_cause_already_said_is_not_said_again() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::from(crate::source::SourceError::Io {
            path: "/x/gone.csv".into(),
            source: io,
        });
        assert_eq!(one_line(&error), "cannot read /x/gone.csv: no such file");
        let wrapped = error.context("cannot open the export");
        assert_eq!(
            one_line(&wrapped),
            "cannot open the export: cannot read /x/gone.csv: no such file"
        );
    }
}
