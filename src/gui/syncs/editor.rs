//! Every setting of a saved sync, edited in the window: name, connection, source, the mapping
//! of its columns, where it sends, what each run does, and when it runs.

use eframe::egui::{self, RichText};

use super::Action as Syncs;
use crate::gui::Action;
use crate::gui::state::{PeriodUnit, ScheduleChoice, State, SyncEditForm};
use crate::gui::widgets;
use crate::identity::Namespace;
use crate::upload::Mode;

pub fn ui(ui: &mut egui::Ui, state: &State, form: &SyncEditForm, actions: &mut Vec<Action>) {
    let mut edited = form.clone();
    ui.strong("Edit the sync");
    egui::Grid::new(("sync_editor", &form.editing))
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            widgets::text_row(ui, "Name", &mut edited.name);
            let label = ui.label("Connection");
            egui::ComboBox::from_id_salt("sync_edit_connection")
                .selected_text(edited.connection.clone())
                .show_ui(ui, |ui| {
                    for row in &state.connections {
                        let name = &row.connection.name;
                        ui.selectable_value(&mut edited.connection, name.clone(), name);
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            match (&mut edited.query, &mut edited.pattern) {
                (Some(sql), _) => {
                    widgets::text_row(ui, "Database", &mut edited.path);
                    let label = ui.label("Query");
                    ui.add(
                        egui::TextEdit::multiline(sql)
                            .desired_rows(3)
                            .desired_width(320.0)
                            .code_editor(),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                }
                (None, None) => {
                    widgets::text_row(ui, "File", &mut edited.path);
                }
                (None, Some(pattern)) => {
                    widgets::text_row(ui, "Folder", &mut edited.path);
                    widgets::text_row(ui, "File names", pattern);
                }
            }
            for column in &mut edited.columns {
                let label = ui.label(format!("Column \"{}\"", column.name));
                egui::ComboBox::from_id_salt(("sync_edit_column", &column.name))
                    .selected_text(column.namespace.label())
                    .show_ui(ui, |ui| {
                        for namespace in Namespace::ALL {
                            ui.selectable_value(
                                &mut column.namespace,
                                namespace,
                                namespace.label(),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            }
            ui.label("Sends to");
            ui.horizontal(|ui| {
                ui.radio_value(&mut edited.new_list, true, "New lists");
                ui.radio_value(&mut edited.new_list, false, "An existing list");
            });
            ui.end_row();
            let list = match edited.new_list {
                true => "New lists' name",
                false => "List ID",
            };
            widgets::text_row(ui, list, &mut edited.list);
            ui.label("Each run");
            ui.vertical(|ui| {
                ui.radio_value(
                    &mut edited.mode,
                    Mode::Mirror,
                    "Mirror: the lists hold exactly the file",
                );
                ui.radio_value(&mut edited.mode, Mode::Add, "Add: only adds what is new");
                ui.radio_value(
                    &mut edited.mode,
                    Mode::Remove,
                    "Remove: takes the file's people out",
                );
            });
            ui.end_row();
            ui.label("Runs");
            ui.vertical(|ui| {
                ui.radio_value(
                    &mut edited.schedule,
                    ScheduleChoice::ByHand,
                    "By hand (Run now)",
                );
                ui.horizontal(|ui| {
                    let every =
                        ui.radio_value(&mut edited.schedule, ScheduleChoice::Every, "Every");
                    ui.add_enabled(
                        edited.schedule == ScheduleChoice::Every,
                        egui::DragValue::new(&mut edited.every).range(1..=999),
                    )
                    .labelled_by(every.id);
                    egui::ComboBox::from_id_salt("sync_edit_unit")
                        .selected_text(edited.unit.label())
                        .show_ui(ui, |ui| {
                            for unit in PeriodUnit::ALL {
                                ui.selectable_value(&mut edited.unit, unit, unit.label());
                            }
                        })
                        .response
                        .labelled_by(every.id)
                        .on_hover_text("The period's unit");
                });
                ui.radio_value(
                    &mut edited.schedule,
                    ScheduleChoice::OnChange,
                    "When the file changes",
                );
            });
            ui.end_row();
            ui.label("");
            ui.checkbox(
                &mut edited.create_audience,
                "Create an audience from each new list",
            );
            ui.end_row();
            let floor = ui.label("Keep at least");
            ui.horizontal(|ui| {
                ui.add(egui::DragValue::new(&mut edited.floor).range(0..=10_000_000))
                    .labelled_by(floor.id)
                    .on_hover_text(
                        "Removals that would leave a list with fewer people wait for your \
                         confirmation; 0 turns this off",
                    );
                ui.label("people in each list (Pinterest stops serving an audience under 100)");
            });
            ui.end_row();
        });
    if let Some(error) = &form.error {
        widgets::error(ui, error);
    }
    ui.horizontal(|ui| {
        if ui.button(RichText::new("Save settings").strong()).clicked() {
            actions.push(Syncs::SaveSettings.into());
        }
        if ui.button("Cancel").clicked() {
            actions.push(Syncs::CloseEditor.into());
        }
    });
    if edited != *form {
        edited.error = None;
        actions.push(Syncs::EditSettings(Box::new(edited)).into());
    }
}
