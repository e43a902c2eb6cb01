//! The file preview: format, column mapping, counts and the first rows as they will be sent.

use std::collections::BTreeSet;

use eframe::egui::{self, RichText};
use egui_extras::{Column as TableColumn, TableBuilder};

use crate::display::{count, group};
use crate::gui::Action;
use crate::gui::command::Command;
use crate::gui::file::Action as File;
use crate::gui::state::{
    FileState, Found, Loaded, PAGE_ROWS, PathPrompt, PathPurpose, RowsShown, ScanState,
};
use crate::gui::widgets;
use crate::identity::Namespace;
use crate::source::{CellStatus, Preview, SampleRow, Summary};

/// The file's screen; `offer_demo` adds the demo to the first-run screen (not in demo mode).
pub fn ui(
    ui: &mut egui::Ui,
    file: &FileState,
    hide: bool,
    offer_demo: bool,
    actions: &mut Vec<Action>,
) {
    match file {
        FileState::Empty => {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| {
                ui.heading("Open a customer file to preview what Pinterest will receive");
                ui.label(
                    "CSV, TSV, semicolon- or pipe-separated files, or one value per line; \
                     gzipped or zipped exports; Excel and OpenDocument workbooks (the first \
                     sheet). Nothing leaves this machine while you preview.",
                );
                ui.add_space(8.0);
                if ui.button("Open file...").clicked() {
                    actions.push(File::OpenDialog.into());
                }
                ui.label(format!(
                    "or drop a file on this window ({} opens the dialog)",
                    Command::OpenFile.keys()
                ));
                ui.add_space(4.0);
                if ui
                    .button("Open query...")
                    .on_hover_text("Read the list from a PostgreSQL database or an SQLite file")
                    .clicked()
                {
                    actions.push(File::OpenQueryForm.into());
                }
                if offer_demo {
                    ui.add_space(16.0);
                    ui.label(
                        "No Pinterest app yet? Try the whole flow on a simulated Pinterest on \
                         this machine, with a sample file.",
                    );
                    if ui
                        .button("Try the demo")
                        .on_hover_text(
                            "A demo connection and sample file, apart from your own; restart \
                             the app to leave it",
                        )
                        .clicked()
                    {
                        actions.push(Action::TryDemo);
                    }
                }
            });
        }
        FileState::Loading(path) => {
            widgets::busy(ui, format!("Reading the start of {}", path.display()));
        }
        FileState::Failed { error, .. } => {
            widgets::error(ui, error);
            ui.horizontal(|ui| {
                if ui.button("Open another file...").clicked() {
                    actions.push(File::OpenDialog.into());
                }
                if ui.button("Open query...").clicked() {
                    actions.push(File::OpenQueryForm.into());
                }
            });
        }
        FileState::Loaded(loaded) => show_loaded(ui, loaded, hide, actions),
    }
}

fn show_loaded(ui: &mut egui::Ui, loaded: &Loaded, hide: bool, actions: &mut Vec<Action>) {
    let preview = &loaded.preview;
    match &loaded.from_query {
        Some((_, result)) => {
            ui.horizontal_wrapped(|ui| {
                ui.strong(format!(
                    "Query on {}",
                    crate::display::printable(&result.database)
                ));
                ui.label(format!(
                    "| {}",
                    crate::display::printable(&result.describe())
                ));
                if ui
                    .button("Edit query...")
                    .on_hover_text("Change the query and run it again")
                    .clicked()
                {
                    actions.push(File::OpenQueryForm.into());
                }
            });
        }
        None => {
            ui.horizontal_wrapped(|ui| {
                ui.strong(preview.path.display().to_string());
                ui.label(preview.shown_format());
            });
        }
    }
    if let Some(unpacked) = &preview.unpacked {
        show_part(ui, unpacked, actions);
    }
    ui.separator();
    // Folds away to give the rows the whole height.
    egui::CollapsingHeader::new("Columns and counts")
        .default_open(true)
        .show(ui, |ui| {
            // Side by side when there is room; the counts go under the mapping otherwise.
            if ui.available_width() >= 900.0 {
                ui.columns(2, |columns| {
                    columns[0].strong("Columns");
                    show_mapping(&mut columns[0], loaded, actions);
                    columns[1].strong("Counts");
                    show_scan(&mut columns[1], &loaded.scan, actions);
                });
            } else {
                ui.strong("Columns");
                show_mapping(ui, loaded, actions);
                ui.add_space(4.0);
                ui.strong("Counts");
                show_scan(ui, &loaded.scan, actions);
            }
        });
    ui.separator();
    show_rows(ui, loaded, hide, actions);
}

/// What was read of a workbook or an archive and, when it has several sheets or files, a
/// choice of the one to read.
fn show_part(ui: &mut egui::Ui, unpacked: &crate::source::Unpacked, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "Read: {}.",
            crate::display::printable(&unpacked.describe())
        ));
        let (Some(part), true) = (&unpacked.part, unpacked.parts.len() > 1) else {
            return;
        };
        let noun = match unpacked.kind {
            "workbook" => "Sheet",
            _ => "File in the archive",
        };
        let label = ui.label(noun);
        egui::ComboBox::from_id_salt("packed-part")
            .selected_text(crate::display::printable(part))
            .show_ui(ui, |ui| {
                for other in &unpacked.parts {
                    if ui
                        .selectable_label(other == part, crate::display::printable(other))
                        .clicked()
                        && other != part
                    {
                        let chosen = unpacked.with_part(Some(other.clone()));
                        actions.push(File::OpenPart(chosen).into());
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
}

fn show_mapping(ui: &mut egui::Ui, loaded: &Loaded, actions: &mut Vec<Action>) {
    // What is left of the column after the name and the selector; the reason wraps in it, or
    // goes under the selector when that leaves too little.
    let narrow = ui.available_width() < 600.0;
    let reason_width = match narrow {
        true => (ui.available_width() - 120.0).max(160.0),
        false => (ui.available_width() - 360.0).max(160.0),
    };
    egui::Grid::new("mapping").striped(true).show(ui, |ui| {
        for column in &loaded.preview.columns {
            let label = ui.label(format!("{}. {}", column.index + 1, column.name));
            let combo = egui::ComboBox::from_id_salt(("namespace", column.index))
                .selected_text(column.namespace.label())
                .width(200.0)
                .show_ui(ui, |ui| {
                    for namespace in Namespace::ALL {
                        let text = match namespace.list_type() {
                            Some(list) => {
                                format!("{} (to the {})", namespace.label(), list.label())
                            }
                            None => namespace.label().to_owned(),
                        };
                        if ui
                            .selectable_label(column.namespace == namespace, text)
                            .clicked()
                            && namespace != column.namespace
                        {
                            actions.push(
                                File::Remap {
                                    column: column.index,
                                    namespace,
                                }
                                .into(),
                            );
                        }
                    }
                });
            combo.response.labelled_by(label.id);
            let reason = if column.guessed {
                RichText::new(&column.reason).italics()
            } else {
                RichText::new(&column.reason)
            };
            if narrow {
                ui.end_row();
                ui.label("");
            }
            // Wrapped to what is left of the width, with a warning when the column's values
            // are mostly not of the kind it is read as.
            ui.vertical(|ui| {
                ui.set_max_width(reason_width);
                ui.add(egui::Label::new(reason).wrap());
                if let Some(warning) = mostly_invalid(loaded, column) {
                    ui.add(
                        egui::Label::new(RichText::new(warning).color(ui.visuals().warn_fg_color))
                            .wrap(),
                    );
                }
            });
            ui.end_row();
        }
    });
}

/// A column read as an identity whose counted values are mostly refused: likely mapped to the
/// wrong kind (a name read as emails), said at the column.
fn mostly_invalid(loaded: &Loaded, column: &crate::source::Column) -> Option<String> {
    let ScanState::Done(summary) = &loaded.scan else {
        return None;
    };
    let counts = summary
        .columns
        .iter()
        .find(|c| c.name == column.name && c.namespace == Some(column.namespace))?;
    let invalid = counts.invalid_total();
    let filled = counts.valid + invalid;
    (filled >= 10 && invalid * 2 > filled).then(|| {
        format!(
            "Only {} of {} filled values are valid as {}: is this the right kind for the column?",
            group(counts.valid),
            group(filled),
            column.namespace.label()
        )
    })
}

fn show_scan(ui: &mut egui::Ui, scan: &ScanState, actions: &mut Vec<Action>) {
    match scan {
        ScanState::NoIdentity(message) => {
            widgets::warning(ui, message);
        }
        ScanState::Running { progress, .. } => {
            let fraction = if progress.total_bytes > 0 {
                progress.bytes_read as f32 / progress.total_bytes as f32
            } else {
                0.0
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .show_percentage()
                    .text(format!(
                        "counting: {} read",
                        count(progress.rows, "row", "rows")
                    )),
            );
            if ui.button("Cancel (Esc)").clicked() {
                actions.push(File::CancelScan.into());
            }
        }
        ScanState::Done(summary) => {
            show_summary(ui, summary);
            if summary_rejects(summary) > 0 && ui.button("Export rejects report...").clicked() {
                actions.push(File::ExportRejects.into());
            }
        }
        ScanState::Failed(error) => {
            widgets::error(ui, error);
        }
        ScanState::Cancelled => {
            ui.label("Counting was cancelled. Change a mapping or reopen the file to count again.");
        }
    }
}

fn summary_rejects(summary: &Summary) -> u64 {
    summary.row_rejects.values().sum::<u64>()
        + summary
            .columns
            .iter()
            .map(|c| c.invalid_total())
            .sum::<u64>()
}

fn show_summary(ui: &mut egui::Ui, summary: &Summary) {
    ui.label(format!("{} read", count(summary.rows, "row", "rows")));
    for (reason, n) in &summary.row_rejects {
        ui.label(format!(
            "{} rejected whole: {reason}",
            count(*n, "row", "rows")
        ));
    }
    egui::Grid::new("counts").striped(true).show(ui, |ui| {
        for title in ["Column", "Valid", "Empty", "Invalid", "Duplicates"] {
            ui.strong(title);
        }
        ui.end_row();
        for c in &summary.columns {
            ui.label(&c.name);
            for n in [c.valid, c.empty, c.invalid_total(), c.duplicates] {
                ui.label(group(n));
            }
            ui.end_row();
            for (reason, n) in &c.invalid {
                ui.label("");
                ui.label(format!("{reason}: {}", group(*n)))
                    .on_hover_text(reason.advice());
                ui.end_row();
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.strong("Unique identities to send:");
        if summary.lists.is_empty() {
            ui.label("none");
        }
        for list in &summary.lists {
            ui.label(format!(
                "{} to the {}",
                group(list.unique),
                list.list_type.label()
            ));
        }
    });
}

/// The rows as they will be sent: one table row per identity cell, through the whole file
/// once the full pass has noted where rows start. Rows past the preview's first ones are read
/// in pages, in the background, as they scroll into view.
fn show_rows(ui: &mut egui::Ui, loaded: &Loaded, hide: bool, actions: &mut Vec<Action>) {
    let preview = &loaded.preview;
    let per_row = preview.identity_columns().count() as u64;
    if per_row == 0 {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let mut hidden = hide;
        if ui
            .checkbox(&mut hidden, "Hide identities")
            .on_hover_text(
                "Masks the raw and normalized values (for sharing your screen); the digests and \
                 counts stay",
            )
            .changed()
        {
            actions.push(Action::HideIdentities(hidden));
        }
        if loaded.index.is_some() {
            ui.separator();
            show_choice(ui, loaded, actions);
        }
    });
    let (rows, only) = match &loaded.index {
        Some(index) => {
            let (shown, only) = loaded.shown_rows(index.rows());
            let what = match (loaded.shown, only.is_some()) {
                (RowsShown::Problems, true) => "rows with a problem",
                (RowsShown::Duplicates, true) => "rows with a repeat",
                _ => "rows",
            };
            let heading = match (loaded.shown, &loaded.found) {
                (RowsShown::All, _) => format!(
                    "All {} rows: status, raw -> normalized -> SHA-256",
                    group(index.rows())
                ),
                (_, Found::Rows(_)) => format!(
                    "{} {what} of {}: status, raw -> normalized -> SHA-256",
                    group(shown),
                    group(index.rows())
                ),
                (_, Found::Failed(error)) => format!("Could not look through the rows: {error}"),
                (_, Found::NotYet | Found::Finding) => {
                    "Looking through the rows; all rows meanwhile".into()
                }
            };
            ui.strong(heading);
            (shown, only)
        }
        None => {
            ui.strong(format!(
                "First {} rows: status, raw -> normalized -> SHA-256 (all rows once counted)",
                preview.rows.len()
            ));
            (preview.rows.len() as u64, None)
        }
    };
    // Rows have one height: a cell is cut rather than wrapped past it. In a narrow window the
    // values take two lines each rather than be cut to a few characters.
    let narrow = ui.available_width() < NARROW_TABLE;
    let lines = if narrow { 2 } else { 1 };
    let line_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let row_height = line_height + (lines - 1) as f32 * (line_height - 4.0);
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    let mut wanted = BTreeSet::new();
    let mut scroll = None;
    // Wider than a narrow window: the table scrolls sideways rather than losing columns.
    if let Some(to) = loaded.scroll_to.filter(|to| *to != usize::MAX) {
        actions.push(File::Scrolled.into());
        ui.ctx().request_repaint();
        scroll = Some(to);
    }
    egui::ScrollArea::horizontal().show(ui, |ui| {
        table(ui, line_height, scroll, narrow).body(|body| {
            body.rows(row_height, (rows * per_row) as usize, |mut row| {
                let i = row.index() as u64;
                let (k, cell) = (i / per_row, (i % per_row) as usize);
                let file_row = only.map_or(k, |rows| rows[k as usize]);
                match sample_row(loaded, file_row, &mut wanted) {
                    Some(sample) => draw_cell(&mut row, preview, sample, cell, hide, lines),
                    None => {
                        row.col(|ui| {
                            ui.weak("...");
                        });
                        row.col(|ui| {
                            ui.weak("reading");
                        });
                    }
                }
            });
        });
    });
    actions.extend(wanted.into_iter().map(|page| File::LoadPage(page).into()));
}

/// A row from the pages read, or the preview's first rows; `None` (and its page wanted) when
/// it has not been read yet.
fn sample_row<'a>(
    loaded: &'a Loaded,
    file_row: u64,
    wanted: &mut BTreeSet<u64>,
) -> Option<&'a SampleRow> {
    let page = file_row / PAGE_ROWS;
    if let Some(rows) = loaded.pages.get(&page) {
        return rows.get((file_row % PAGE_ROWS) as usize);
    }
    if let Some(row) = loaded.preview.rows.get(file_row as usize) {
        return Some(row);
    }
    if !loaded.loading_pages.contains(&page) {
        wanted.insert(page);
    }
    None
}

/// All rows, only those with a problem, or those with a repeat; and Next problem.
fn show_choice(ui: &mut egui::Ui, loaded: &Loaded, actions: &mut Vec<Action>) {
    let counted = |pick: fn(&crate::source::NotableRows) -> usize| match &loaded.found {
        Found::Rows(rows) => format!(" ({})", group(pick(rows) as u64)),
        _ => String::new(),
    };
    ui.label("Show:");
    for (shown, text) in [
        (RowsShown::All, "all rows".to_owned()),
        (
            RowsShown::Problems,
            format!("problems only{}", counted(|r| r.problems.len())),
        ),
        (
            RowsShown::Duplicates,
            format!("duplicates{}", counted(|r| r.duplicates.len())),
        ),
    ] {
        if ui.radio(loaded.shown == shown, text).clicked() && loaded.shown != shown {
            actions.push(File::Show(shown).into());
        }
    }
    if let Found::Rows(rows) = &loaded.found
        && let Some(cap) = rows.duplicates_capped
    {
        ui.label(
            RichText::new(format!("repeats looked for among the first {}", group(cap))).small(),
        );
    }
    let none = matches!(&loaded.found, Found::Rows(rows) if rows.problems.is_empty());
    if ui
        .add_enabled(!none, egui::Button::new("Next problem"))
        .on_hover_text("Brings the next row with a problem into view")
        .clicked()
    {
        actions.push(File::NextProblem.into());
    }
}

fn table(
    ui: &mut egui::Ui,
    header_height: f32,
    scroll: Option<usize>,
    narrow: bool,
) -> egui_extras::Table<'_> {
    // Raw, normalized and SHA-256 share the width there is, so all three are on screen at
    // 900 px as at 1200 (fixed widths pushed SHA-256 out of sight under the side panel); each
    // clips its text, shows it whole on hover, and can be widened by dragging.
    // Narrow: the line, the column and the status take less (their text is short or cut).
    let width = ui.available_width();
    let [line, column, status] = if narrow {
        [36.0, (width * 0.14).clamp(56.0, 96.0), 76.0]
    } else {
        [48.0, 96.0, 110.0]
    };
    let least = if narrow { 64.0 } else { 80.0 };
    let spacing = ui.spacing().item_spacing.x;
    let shared = (width - line - column - status - 6.0 * spacing).max(3.0 * least);
    // Widths dragged by the user are kept while the width is the same; a wider or narrower
    // window (or the first frames, while the side panels settle) shares it anew.
    let mut builder = TableBuilder::new(ui).id_salt(("rows", (width / 16.0).round() as i32));
    if let Some(row) = scroll {
        builder = builder.scroll_to_row(row, Some(egui::Align::Center));
    }
    builder
        .striped(true)
        .resizable(true)
        .column(TableColumn::auto().at_least(line))
        .column(TableColumn::initial(column).at_least(line).clip(true))
        .column(TableColumn::initial(status).at_least(line).clip(true))
        .column(
            TableColumn::initial(shared * 0.36)
                .at_least(least)
                .clip(true),
        )
        .column(
            TableColumn::initial(shared * 0.34)
                .at_least(least)
                .clip(true),
        )
        .column(TableColumn::remainder().at_least(least).clip(true))
        .header(header_height, |mut header| {
            // Status before the values: why a row is refused is what matters first.
            for title in ["Line", "Column", "Status", "Raw", "Normalized", "SHA-256"] {
                header.col(|ui| {
                    let label = ui.strong(title);
                    if title == "Status" {
                        label.on_hover_text(
                            "A duplicate repeats a value among the rows read with it; the \
                             counts above are over the whole file.",
                        );
                    }
                });
            }
        })
}

/// What the masked cells show instead of an identity.
const HIDDEN: &str = "(hidden)";
/// A digest is shown by its first characters, whole on hover: enough to tell rows apart.
const DIGEST_SHOWN: usize = 12;

fn draw_cell(
    row: &mut egui_extras::TableRow<'_, '_>,
    preview: &Preview,
    sample: &SampleRow,
    cell: usize,
    hide: bool,
    lines: usize,
) {
    row.col(|ui| {
        ui.label(sample.line.to_string());
    });
    if let Some(problem) = sample.problem {
        row.col(|_| {});
        row.col(|ui| {
            // One message per row, on its first line.
            if cell == 0 {
                widgets::error(ui, format!("row refused: {problem}"))
                    .on_hover_text(problem.advice());
            }
        });
        for _ in 0..3 {
            row.col(|_| {});
        }
        return;
    }
    let Some(cell) = sample.cells.get(cell) else {
        return;
    };
    row.col(|ui| {
        // Cut in a narrow window: the whole name on hover.
        let name = &preview.columns[cell.column].name;
        ui.label(name).on_hover_text(name);
    });
    row.col(|ui| {
        let text = cell.status.label();
        match cell.status {
            CellStatus::Invalid(reason) => {
                widgets::error(ui, text).on_hover_text(reason.advice());
            }
            CellStatus::Duplicate | CellStatus::Empty => {
                ui.weak(text);
            }
            _ => {
                ui.label(text);
            }
        }
    });
    row.col(|ui| {
        if hide {
            ui.weak(HIDDEN);
        } else {
            let raw = format!("{:?}", cell.raw);
            value(ui, &raw, lines, &raw);
        }
    });
    row.col(|ui| match &cell.normalized {
        Some(_) if hide => {
            ui.weak(HIDDEN);
        }
        Some(normalized) => {
            value(ui, normalized, lines, normalized);
        }
        None => {}
    });
    row.col(|ui| {
        if let Some(digest) = &cell.digest {
            let shown = digest.get(..DIGEST_SHOWN).unwrap_or(digest);
            value(
                ui,
                &format!("{shown}..."),
                lines,
                &format!("SHA-256: {digest}"),
            );
        }
    });
}

/// Below this width the table's rows take two lines.
const NARROW_TABLE: f32 = 640.0;

/// A value of the table in monospace, on at most `lines` lines, cut with an ellipsis past
/// them; `hover` (the whole of it) on hover.
fn value(ui: &mut egui::Ui, text: &str, lines: usize, hover: &str) {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let mut job = egui::text::LayoutJob::simple(
        text.to_owned(),
        font,
        ui.visuals().text_color(),
        ui.available_width(),
    );
    job.wrap.max_rows = lines;
    job.wrap.break_anywhere = true;
    ui.add(egui::Label::new(job).wrap()).on_hover_text(hover);
}

/// The path field offered where the desktop has no file dialog: it says so, and takes a path.
pub fn path_prompt(ctx: &egui::Context, prompt: &PathPrompt, actions: &mut Vec<Action>) {
    let (title, button) = match prompt.purpose {
        PathPurpose::Open => ("Open a customer file", "Open"),
        PathPurpose::SaveRejects => ("Save the rejects report", "Save"),
    };
    widgets::centered_dialog(title, 520.0).show(ctx, |ui| {
        ui.add(
            egui::Label::new(format!(
                "The file dialog cannot open: {}. Type the file's full path instead (or drop \
                     the file on the window).",
                prompt.why
            ))
            .wrap(),
        );
        let label = ui.label("Path");
        let mut text = prompt.text.clone();
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("/home/you/exports/customers.csv")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if field.changed() {
            actions.push(File::EditPath(text.clone()).into());
        }
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.horizontal(|ui| {
            let ready = !text.trim().is_empty();
            if ui.add_enabled(ready, egui::Button::new(button)).clicked() || (entered && ready) {
                actions.push(File::SubmitPath.into());
            }
            if ui.button("Cancel").clicked() {
                actions.push(File::ClosePathPrompt.into());
            }
        });
    });
}
