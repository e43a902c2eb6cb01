//! The file preview: format, column mapping, counts and the first rows as they will be sent.

use eframe::egui::{self, RichText};
use egui_extras::{Column as TableColumn, TableBuilder};

use super::app::Action;
use super::state::{FileState, Loaded, ScanState};
use crate::identity::Namespace;
use crate::source::{CellStatus, Preview, Summary};

pub fn show(ui: &mut egui::Ui, file: &FileState) -> Vec<Action> {
    let mut actions = Vec::new();
    match file {
        FileState::Empty => {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| {
                ui.heading("Open a customer file to preview what Pinterest will receive");
                ui.label(
                    "CSV, TSV, semicolon- or pipe-separated files, or one value per line. \
                     Nothing leaves this machine while you preview.",
                );
                ui.add_space(8.0);
                if ui.button("Open file...").clicked() {
                    actions.push(Action::OpenFileDialog);
                }
                ui.label("or drop a file on this window (Ctrl+O opens the dialog)");
            });
        }
        FileState::Loading(path) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Reading the start of {}", path.display()));
            });
        }
        FileState::Failed { error, .. } => {
            ui.colored_label(ui.visuals().error_fg_color, error);
            if ui.button("Open another file...").clicked() {
                actions.push(Action::OpenFileDialog);
            }
        }
        FileState::Loaded(loaded) => show_loaded(ui, loaded, &mut actions),
    }
    actions
}

fn show_loaded(ui: &mut egui::Ui, loaded: &Loaded, actions: &mut Vec<Action>) {
    let preview = &loaded.preview;
    ui.horizontal_wrapped(|ui| {
        ui.strong(preview.path.display().to_string());
        ui.label(format!(
            "{} | {}",
            crate::cli::text::bytes(preview.size),
            preview.format
        ));
    });
    ui.separator();
    // Side by side when there is room; the counts go under the mapping on a narrow window.
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
    ui.separator();
    ui.strong(format!(
        "First {} rows: raw -> normalized -> SHA-256 -> status",
        preview.rows.len()
    ));
    show_sample(ui, loaded);
}

fn show_mapping(ui: &mut egui::Ui, loaded: &Loaded, actions: &mut Vec<Action>) {
    // What is left of the column after the name and the selector; the reason is cut to it.
    let reason_width = (ui.available_width() - 280.0).max(120.0);
    egui::Grid::new("mapping").striped(true).show(ui, |ui| {
        for column in &loaded.preview.columns {
            let label = ui.label(format!("{}. {}", column.index + 1, column.name));
            let combo = egui::ComboBox::from_id_salt(("namespace", column.index))
                .selected_text(column.namespace.as_str())
                .show_ui(ui, |ui| {
                    for namespace in Namespace::ALL {
                        if ui
                            .selectable_label(column.namespace == namespace, namespace.as_str())
                            .clicked()
                            && namespace != column.namespace
                        {
                            actions.push(Action::Remap {
                                column: column.index,
                                namespace,
                            });
                        }
                    }
                });
            combo.response.labelled_by(label.id);
            let reason = if column.guessed {
                RichText::new(&column.reason).italics()
            } else {
                RichText::new(&column.reason)
            };
            // Cut to the column's width; the whole reason shows on hover.
            let height = ui.text_style_height(&egui::TextStyle::Body);
            ui.allocate_ui_with_layout(
                egui::vec2(reason_width, height),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| ui.add(egui::Label::new(reason).truncate()),
            );
            ui.end_row();
        }
    });
}

fn show_scan(ui: &mut egui::Ui, scan: &ScanState, actions: &mut Vec<Action>) {
    match scan {
        ScanState::NoIdentity(message) => {
            ui.colored_label(ui.visuals().warn_fg_color, message);
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
                    .text(format!("counting: {} rows read", progress.rows)),
            );
            if ui.button("Cancel (Esc)").clicked() {
                actions.push(Action::CancelScan);
            }
        }
        ScanState::Done(summary) => {
            show_summary(ui, summary);
            if summary_rejects(summary) > 0 && ui.button("Export rejects report...").clicked() {
                actions.push(Action::ExportRejects);
            }
        }
        ScanState::Failed(error) => {
            ui.colored_label(ui.visuals().error_fg_color, error);
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
    use crate::cli::text::group;
    ui.label(format!("{} rows read", group(summary.rows)));
    for (reason, n) in &summary.row_rejects {
        ui.label(format!("{} rows rejected whole: {reason}", group(*n)));
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
            ui.label(format!("{} {}", list.list_type, group(list.unique)));
        }
    });
}

fn show_sample(ui: &mut egui::Ui, loaded: &Loaded) {
    let preview = &loaded.preview;
    // One table row per identity cell, or per whole-row problem.
    let cells: Vec<SampleRow<'_>> = preview
        .rows
        .iter()
        .flat_map(|row| {
            let problem = row
                .problem
                .map(|p| (row.line, None, Some(format!("whole row rejected: {p}"))));
            problem
                .into_iter()
                .chain(row.cells.iter().map(move |c| (row.line, Some(c), None)))
        })
        .collect();
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    // Rows have one height: a cell never wraps onto a second line, it is cut.
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    // Wider than a narrow window: the table scrolls sideways rather than losing columns.
    egui::ScrollArea::horizontal().show(ui, |ui| show_table(ui, preview, &cells, row_height));
}

type SampleRow<'a> = (u64, Option<&'a crate::source::SampleCell>, Option<String>);

fn show_table(ui: &mut egui::Ui, preview: &Preview, cells: &[SampleRow<'_>], row_height: f32) {
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .column(TableColumn::auto().at_least(48.0))
        .column(TableColumn::auto().at_least(100.0))
        .column(TableColumn::initial(200.0).clip(true))
        .column(TableColumn::initial(200.0).clip(true))
        .column(TableColumn::initial(180.0).clip(true))
        .column(TableColumn::remainder())
        .header(row_height, |mut header| {
            for title in ["Line", "Column", "Raw", "Normalized", "SHA-256", "Status"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, cells.len(), |mut row| {
                let (line, cell, problem) = &cells[row.index()];
                row.col(|ui| {
                    ui.label(line.to_string());
                });
                let Some(cell) = cell else {
                    for text in ["", "", "", ""] {
                        row.col(|ui| {
                            ui.label(text);
                        });
                    }
                    row.col(|ui| {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            problem.clone().unwrap_or_default(),
                        );
                    });
                    return;
                };
                row.col(|ui| {
                    ui.label(&preview.columns[cell.column].name);
                });
                row.col(|ui| {
                    ui.monospace(format!("{:?}", cell.raw));
                });
                row.col(|ui| {
                    ui.monospace(cell.normalized.as_deref().unwrap_or(""));
                });
                row.col(|ui| {
                    // A clipped label shows its whole text on hover.
                    ui.monospace(cell.digest.as_deref().unwrap_or(""));
                });
                row.col(|ui| {
                    let text = cell.status.label();
                    match cell.status {
                        CellStatus::Invalid(reason) => {
                            ui.colored_label(ui.visuals().error_fg_color, text)
                                .on_hover_text(reason.advice());
                        }
                        CellStatus::Duplicate | CellStatus::Empty => {
                            ui.weak(text);
                        }
                        _ => {
                            ui.label(text);
                        }
                    }
                });
            });
        });
}
