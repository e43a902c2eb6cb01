use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::args::FileArgs;
use super::{progress, text};
use crate::source::{Preview, SampleRow, Summary, scan};

#[derive(Serialize)]
struct Inspection<'a> {
    #[serde(flatten)]
    preview: &'a Preview,
    summary: Option<Summary>,
}

pub fn run(args: &FileArgs, json: bool, rows: usize) -> anyhow::Result<()> {
    let (preview, _query) = args.load(rows.max(100))?;
    if !json {
        text::emit(&first_screen(&preview, rows))?;
    }
    let plan = preview.scan_plan(&crate::source::MemoryBudget::in_home(
        &crate::home::home_dir(),
    ));
    let summary = match &plan {
        Ok(plan) => {
            let bar = progress::bar(preview.size, "counting");
            let output = scan(
                plan,
                &mut |_| {},
                &mut |p| progress::update(&bar, p),
                &AtomicBool::new(false),
            );
            bar.finish_and_clear();
            Some(output?.summary)
        }
        Err(_) => None,
    };
    if json {
        let inspection = Inspection {
            preview: &preview,
            summary: summary.clone(),
        };
        text::emit(&(serde_json::to_string_pretty(&inspection)? + "\n"))?;
    } else if let Some(summary) = &summary {
        text::emit(&format!("\n{}", text::summary(summary)))?;
    }
    plan?;
    Ok(())
}

fn first_screen(preview: &Preview, rows: usize) -> String {
    let read = preview
        .unpacked
        .as_ref()
        .map(|u| format!("Read:    {}\n", u.describe()))
        .unwrap_or_default();
    // A query's result is a scratch file of ours: the database is what the user knows, and
    // the result's format is not theirs.
    let source = match &preview.query {
        Some(database) => format!("Query:   on {}\n", crate::display::printable(database)),
        None => format!(
            "File:    {}\n{read}Format:  {}\n",
            preview.path.display(),
            preview.shown_format()
        ),
    };
    let mut out = format!("{source}\nColumns:\n");
    let name_width = preview
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    for c in &preview.columns {
        out += &format!(
            "  {:>2}  {:<name_width$}  {:<12}  {}\n",
            c.index + 1,
            c.name,
            c.namespace.as_str(),
            c.reason
        );
    }
    if preview.identity_columns().next().is_none() {
        return out;
    }
    let shown: Vec<&SampleRow> = preview.rows.iter().take(rows).collect();
    out += &format!(
        "\nFirst {} rows (raw -> normalized -> SHA-256 -> status):\n",
        shown.len()
    );
    for row in shown {
        if let Some(problem) = row.problem {
            out += &format!("  line {:<6} whole row rejected: {problem}\n", row.line);
            continue;
        }
        for cell in &row.cells {
            let name = &preview.columns[cell.column].name;
            let arrow = match (&cell.normalized, &cell.digest) {
                (Some(n), Some(d)) => format!(" -> {n} -> {}...", &d[..16]),
                _ => String::new(),
            };
            out += &format!(
                "  line {:<6} {:<name_width$}  {:?}{arrow}  [{}]\n",
                row.line,
                name,
                crate::display::clipped(&cell.raw, 80),
                cell.status.label()
            );
        }
    }
    out
}
