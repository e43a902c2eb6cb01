//! What a saved sync is: where its file comes from, how the file's columns map, where the
//! identities go, and when it runs.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::identity::Namespace;
use crate::source::{Delimiter, Preview};
use crate::upload::Mode;

/// The shortest period `--every` takes: Pinterest's write quota is per minute, and a file
/// that changes more often is better watched (`--on-change`).
pub const MIN_PERIOD: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    pub source: Source,
    /// How the file is read, as the preview found it when the sync was saved.
    pub header: bool,
    pub delimiter: Delimiter,
    /// Every column of the file the sync was saved from, with its namespace: each new file is
    /// checked against it.
    pub columns: Vec<SavedColumn>,
    pub target: SyncTarget,
    pub mode: Mode,
    pub create_audience: bool,
    pub schedule: Schedule,
    pub batch_size: usize,
    /// The removal guard's share for this sync's runs (`None`: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_removal_share: Option<crate::upload::RemovalShare>,
    /// The fewest people a run may leave in a list without a confirmation (`None`: the
    /// default, 100; 0: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<u64>,
    /// For a workbook or a ZIP archive: the sheet or file each run reads.
    #[serde(default, skip_serializing_if = "crate::source::Part::is_default")]
    pub part: crate::source::Part,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    File(PathBuf),
    /// The newest file in `dir` whose name matches `pattern` (a glob such as `export-*.csv`).
    Folder {
        dir: PathBuf,
        pattern: String,
    },
    /// A database query, run anew for each run; its result is what the run reads.
    Query(crate::source::Query),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedColumn {
    pub name: String,
    pub namespace: Namespace,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncTarget {
    /// Lists made on the first run (one per identity type), updated after that.
    NewList(String),
    /// An existing customer list.
    List(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Only when asked (`sync run`, Run now).
    Manual,
    Every {
        seconds: u64,
    },
    /// When the file (or the folder's newest match) changes and has stopped growing.
    OnChange,
}

impl Schedule {
    pub fn describe(self) -> String {
        match self {
            Schedule::Manual => "by hand".into(),
            Schedule::Every { seconds } => every(seconds),
            Schedule::OnChange => "on change".into(),
        }
    }

    /// `--every` as the user wrote it ("15m", "2h", "1d"), at least a minute.
    pub fn every(text: &str) -> Result<Schedule, String> {
        let period = humantime::parse_duration(text.trim())
            .map_err(|e| format!("'{text}' is not a period ({e}); write it like 30m, 6h or 1d"))?;
        if period < MIN_PERIOD {
            return Err(format!(
                "every {text} is too often; the shortest period is a minute (to follow a file \
                 as it changes, run the sync on change instead)"
            ));
        }
        Ok(Schedule::Every {
            seconds: period.as_secs(),
        })
    }
}

/// "every day", "every 6 hours", "every 15 minutes"; other periods as humantime writes them.
fn every(seconds: u64) -> String {
    let (count, unit) = match seconds {
        s if s.is_multiple_of(86_400) => (s / 86_400, "day"),
        s if s.is_multiple_of(3600) => (s / 3600, "hour"),
        s if s.is_multiple_of(60) => (s / 60, "minute"),
        s => {
            return format!(
                "every {}",
                humantime::format_duration(Duration::from_secs(s))
            );
        }
    };
    match count {
        1 => format!("every {unit}"),
        n => format!("every {n} {unit}s"),
    }
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Folder { dir, pattern } => {
                format!("newest {pattern} in {}", dir.display())
            }
            Source::Query(query) => {
                let sql: String = query.sql.split_whitespace().collect::<Vec<_>>().join(" ");
                let sql = match sql.char_indices().nth(80) {
                    Some((cut, _)) => format!("{}...", &sql[..cut]),
                    None => sql,
                };
                format!("query on {}: {sql}", query.shown())
            }
        }
    }
}

impl SyncSettings {
    /// The columns sent: those mapped to an identity.
    pub fn identity_columns(&self) -> impl Iterator<Item = &SavedColumn> {
        self.columns
            .iter()
            .filter(|c| c.namespace != Namespace::Ignore)
    }

    /// The checks a sync must pass to be saved; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        if let Source::Folder { pattern, .. } = &self.source {
            glob::Pattern::new(pattern)
                .map_err(|e| format!("'{pattern}' is not a file-name pattern: {e}"))?;
        }
        if matches!(self.source, Source::Query(_)) && self.schedule == Schedule::OnChange {
            return Err(
                "a sync over a query cannot run when its file changes (it has none): run it \
                 by hand or every so often"
                    .into(),
            );
        }
        if self.identity_columns().next().is_none() {
            return Err(
                "the sync maps no column to an identity; map at least one column to a kind \
                 of identity"
                    .into(),
            );
        }
        if let SyncTarget::List(id) = &self.target
            && (id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "'{id}' is not a customer list ID (digits only; the connection's lists show \
                 them)"
            ));
        }
        if matches!(self.target, SyncTarget::NewList(_)) && self.mode == Mode::Remove {
            return Err(
                "a sync that removes needs an existing list: pick the list to remove from".into(),
            );
        }
        if self.batch_size == 0 {
            return Err("the batch size must be at least 1".into());
        }
        Ok(())
    }

    /// Takes the preview's format and mapping (every column with its namespace) as the ones
    /// each later file is read with and checked against.
    pub fn take_columns(&mut self, preview: &Preview) {
        self.header = preview.format.has_header;
        self.delimiter = preview.format.delimiter;
        self.columns = preview
            .columns
            .iter()
            .map(|c| SavedColumn {
                name: c.name.clone(),
                namespace: c.namespace,
            })
            .collect();
    }

    /// Maps a new file's preview as the sync says, by column name (by position in a file
    /// without a header). A saved identity column the file no longer has, or a file without
    /// a header whose width changed, is refused with what differs. Columns the sync did not
    /// know are ignored; the note says which.
    pub fn apply_columns(&self, preview: &mut Preview) -> Result<Option<String>, String> {
        let found: Vec<String> = preview.columns.iter().map(|c| c.name.clone()).collect();
        let listed = || crate::display::quoted_names(found.iter().map(String::as_str));
        if !self.header && found.len() != self.columns.len() {
            return Err(format!(
                "the file's columns no longer match the sync: it was saved with {} and \
                 this file has {}; edit the sync's mapping or fix the file",
                crate::display::count(self.columns.len() as u64, "column", "columns"),
                found.len()
            ));
        }
        let missing: Vec<&SavedColumn> = self
            .columns
            .iter()
            .filter(|c| c.namespace != Namespace::Ignore && !found.contains(&c.name))
            .collect();
        if self.header && !missing.is_empty() {
            return Err(format!(
                "the file's columns no longer match the sync: {} {} gone (the file has {}); \
                 nothing was sent. Fix the export, or edit the sync's mapping",
                crate::display::names(
                    &missing
                        .iter()
                        .map(|c| format!(
                            "\"{}\" ({})",
                            crate::display::clipped(&c.name, 60),
                            c.namespace
                        ))
                        .collect::<Vec<_>>()
                ),
                if missing.len() == 1 { "is" } else { "are" },
                listed()
            ));
        }
        let mut unknown = Vec::new();
        for (index, column) in preview.columns.clone().iter().enumerate() {
            let saved = if self.header {
                self.columns.iter().find(|c| c.name == column.name)
            } else {
                self.columns.get(index)
            };
            match saved {
                Some(saved) => preview.remap(index, saved.namespace),
                None => {
                    unknown.push(column.name.clone());
                    preview.remap(index, Namespace::Ignore);
                }
            }
        }
        Ok((!unknown.is_empty()).then(|| {
            format!(
                "columns the sync did not know were ignored: {}",
                crate::display::quoted_names(unknown.iter().map(String::as_str))
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::PreviewOptions;

    fn settings(columns: &[(&str, Namespace)], header: bool) -> SyncSettings {
        SyncSettings {
            source: Source::File("x.csv".into()),
            header,
            delimiter: Delimiter::Comma,
            columns: columns
                .iter()
                .map(|(n, ns)| SavedColumn {
                    name: n.to_string(),
                    namespace: *ns,
                })
                .collect(),
            target: SyncTarget::NewList("spring".into()),
            mode: Mode::Mirror,
            create_audience: true,
            schedule: Schedule::Manual,
            batch_size: 100,
            floor: None,
            part: Default::default(),
            max_removal_share: None,
        }
    }

    fn preview(text: &str) -> (tempfile::TempDir, Preview) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, text).unwrap();
        let preview = Preview::load(&path, &PreviewOptions::default()).unwrap();
        (dir, preview)
    }

    #[test]
    fn columns_follow_their_names_and_unknown_ones_are_ignored() {
        let saved = settings(
            &[("id", Namespace::Ignore), ("mail", Namespace::Email)],
            true,
        );
        let (_dir, mut moved) = preview("mail,id,phone\na@example.com,1,555\n");
        let note = saved.apply_columns(&mut moved).unwrap();
        let namespaces: Vec<Namespace> = moved.columns.iter().map(|c| c.namespace).collect();
        assert_eq!(
            namespaces,
            [Namespace::Email, Namespace::Ignore, Namespace::Ignore]
        );
        assert!(note.unwrap().contains("\"phone\""));
    }

    #[test]
    fn a_missing_identity_column_is_refused_with_what_the_file_has() {
        let saved = settings(&[("mail", Namespace::Email)], true);
        let (_dir, mut renamed) = preview("e-mail,id\na@example.com,1\n");
        let said = saved.apply_columns(&mut renamed).unwrap_err();
        assert!(said.contains("\"mail\" (email) is gone"), "{said}");
        assert!(said.contains("\"e-mail\", \"id\""), "{said}");
    }

    #[test]
    fn periods_are_read_as_people_write_them() {
        assert_eq!(
            Schedule::every("15m").unwrap(),
            Schedule::Every { seconds: 900 }
        );
        assert_eq!(Schedule::every("1d").unwrap().describe(), "every day");
        assert_eq!(
            Schedule::every("90m").unwrap().describe(),
            "every 90 minutes"
        );
        assert_eq!(Schedule::every("6h").unwrap().describe(), "every 6 hours");
        assert_eq!(
            Schedule::every("61s").unwrap().describe(),
            "every 1m 1s",
            "humantime's spelling for the rest"
        );
        assert!(Schedule::every("10s").unwrap_err().contains("a minute"));
        assert!(Schedule::every("soon").unwrap_err().contains("30m"));
    }

    #[test]
    fn a_sync_that_removes_from_a_list_it_would_make_is_refused() {
        let mut remove = settings(&[("mail", Namespace::Email)], true);
        remove.mode = Mode::Remove;
        assert!(remove.validate().unwrap_err().contains("existing list"));
        let ignored = settings(&[("mail", Namespace::Ignore)], true);
        assert!(ignored.validate().unwrap_err().contains("maps no column"));
    }
}
