//! Where the loaded file goes: connection, list, mode and audience; the dry run's plan; start.

use eframe::egui::{self, RichText};

use crate::display::group;
use crate::gui::Action;
use crate::gui::command::Command;
use crate::gui::lists::Action as Lists;
use crate::gui::state::{
    ListsState, PeriodUnit, PlanState, ScheduleChoice, State, UploadForm, View,
};
use crate::gui::syncs::Action as Syncs;
use crate::gui::upload::Action as Upload;
use crate::gui::widgets;
use crate::overview::AdAccountLists;
use crate::upload::{Mode, Plan};

/// Why the upload cannot start yet, as a sentence with what to do; `None` when it can.
pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let mut form = state.upload.clone();
    ui.heading("Send to Pinterest");
    let busy = matches!(state.plan, PlanState::Planning { .. });

    let label = ui.label("Connection");
    egui::ComboBox::from_id_salt("upload_connection")
        .selected_text(form.connection.as_deref().unwrap_or("pick one"))
        .width(ui.available_width())
        .show_ui(ui, |ui| {
            for row in &state.connections {
                let name = &row.connection.name;
                ui.selectable_value(&mut form.connection, Some(name.clone()), name);
            }
        })
        .response
        .labelled_by(label.id);
    if let Some(name) = &form.connection {
        ui.add_space(4.0);
        crate::gui::connections::banner::ui(ui, state, name, actions);
    }

    ui.add_space(6.0);
    ui.label("Customer list");
    ui.horizontal(|ui| {
        ui.radio_value(&mut form.new_list, true, "New list");
        ui.radio_value(&mut form.new_list, false, "Existing list");
    });
    if form.new_list {
        let label = ui.label("List name");
        ui.add(
            egui::TextEdit::singleline(&mut form.list_name)
                .hint_text("e.g. Newsletter subscribers")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.label(
            RichText::new("A file with several identity types makes one list per type.").small(),
        );
    } else {
        existing_list(ui, state, &mut form, actions);
    }

    ui.add_space(6.0);
    ui.label("Mode");
    ui.horizontal(|ui| {
        ui.radio_value(&mut form.mode, Mode::Add, "Add")
            .on_hover_text("Add the file's people to the list");
        ui.radio_value(&mut form.mode, Mode::Remove, "Remove")
            .on_hover_text("Remove the file's people from the list");
        ui.radio_value(&mut form.mode, Mode::Mirror, "Mirror")
            .on_hover_text(
                "Make the list hold exactly the file: add what is new, remove what this app \
             added before and the file no longer has",
            );
    });
    ui.add_enabled(
        form.new_list,
        egui::Checkbox::new(
            &mut form.create_audience,
            "Create an audience from each new list",
        ),
    );

    if form != state.upload {
        actions.push(Upload::Edit(form).into());
    }

    ui.add_space(8.0);
    let blocked = state.upload_blocker();
    ui.horizontal(|ui| {
        let enabled = blocked.is_none() && !busy;
        if ui
            .add_enabled(enabled, egui::Button::new("Dry run"))
            .on_hover_text("Work out what would be sent; nothing leaves the machine")
            .clicked()
        {
            actions.push(Upload::Plan { start: false }.into());
        }
        if ui
            .add_enabled(
                enabled,
                egui::Button::new(RichText::new("Start upload").strong()),
            )
            .on_hover_text(Command::StartUpload.hint())
            .clicked()
        {
            actions.push(Upload::Plan { start: true }.into());
        }
    });
    if let Some(reason) = blocked {
        ui.label(
            RichText::new(reason)
                .small()
                .color(ui.visuals().warn_fg_color),
        );
    }

    ui.add_space(8.0);
    save_as_sync(ui, state, actions);

    ui.add_space(8.0);
    match &state.plan {
        PlanState::Idle => {}
        PlanState::Planning { progress, start } => {
            widgets::busy(
                ui,
                format!(
                    "{} {} rows...",
                    if *start {
                        "Planning the upload:"
                    } else {
                        "Dry run:"
                    },
                    group(progress.rows)
                ),
            );
        }
        PlanState::Failed(problem) => widgets::problem(ui, problem, actions),
        PlanState::Ready(plan) => show_plan(ui, plan),
    }
}

/// The upload's settings, this file and its mapping, saved under a name to run again by
/// hand, on a schedule or when the file changes.
fn save_as_sync(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    egui::CollapsingHeader::new("Save as sync")
        .id_salt("save_as_sync")
        .show(ui, |ui| {
            let mut form = state.syncs.save.clone();
            ui.add(
                egui::Label::new(
                    RichText::new(
                        "Keeps the lists up to date from this file, with the connection and list \
                         above and this mapping; each new version of the file is checked against \
                         its columns.",
                    )
                    .small(),
                )
                .wrap(),
            );
            ui.label("Each run");
            ui.radio_value(
                &mut form.mode,
                Mode::Mirror,
                "Mirror: the lists hold exactly the file",
            );
            ui.radio_value(&mut form.mode, Mode::Add, "Add: only adds what is new");
            ui.radio_value(
                &mut form.mode,
                Mode::Remove,
                "Remove: takes the file's people out",
            );
            let label = ui.label("Sync name");
            ui.add(
                egui::TextEdit::singleline(&mut form.name)
                    .hint_text("e.g. Newsletter, nightly")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            ui.label("Runs");
            ui.radio_value(
                &mut form.schedule,
                ScheduleChoice::ByHand,
                "By hand (Run now)",
            );
            ui.horizontal(|ui| {
                let every = ui.radio_value(&mut form.schedule, ScheduleChoice::Every, "Every");
                ui.add_enabled(
                    form.schedule == ScheduleChoice::Every,
                    egui::DragValue::new(&mut form.every).range(1..=999),
                )
                .labelled_by(every.id);
                egui::ComboBox::from_id_salt("sync_unit")
                    .selected_text(form.unit.label())
                    .show_ui(ui, |ui| {
                        for unit in PeriodUnit::ALL {
                            ui.selectable_value(&mut form.unit, unit, unit.label());
                        }
                    })
                    .response
                    .labelled_by(every.id)
                    .on_hover_text("The period's unit");
            });
            ui.radio_value(
                &mut form.schedule,
                ScheduleChoice::OnChange,
                "When the file changes (once it has stopped growing)",
            );
            if form != state.syncs.save {
                actions.push(Syncs::EditSave(form).into());
            }
            let blocked = state.save_sync_blocker();
            if ui
                .add_enabled(blocked.is_none(), egui::Button::new("Save sync"))
                .on_hover_text("Save; the Syncs screen runs it and shows its history")
                .clicked()
            {
                actions.push(Syncs::Save.into());
            }
            match (&state.syncs.save_result, blocked) {
                (Some(Ok(said)), _) => {
                    ui.label(said);
                    if ui.small_button("Show syncs").clicked() {
                        actions.push(Action::ShowView(View::Syncs));
                    }
                }
                (Some(Err(error)), _) => {
                    widgets::error(ui, error);
                }
                (None, Some(reason)) => {
                    ui.label(
                        RichText::new(reason)
                            .small()
                            .color(ui.visuals().warn_fg_color),
                    );
                }
                (None, None) => {}
            }
        });
}

fn existing_list(
    ui: &mut egui::Ui,
    state: &State,
    form: &mut UploadForm,
    actions: &mut Vec<Action>,
) {
    let Some(connection) = form.connection.clone() else {
        ui.label(RichText::new("Pick a connection to see its lists.").small());
        return;
    };
    match state.lists.get(&connection) {
        Some(ListsState::Loaded(AdAccountLists { customer_lists, .. })) => {
            let selected = form
                .list_id
                .as_ref()
                .map(|id| {
                    customer_lists
                        .iter()
                        .find(|l| &l.list.id == id)
                        .and_then(|l| l.list.name.clone())
                        .map_or_else(|| format!("list {id}"), |n| format!("{n} ({id})"))
                })
                .unwrap_or_else(|| "pick a list".into());
            // Only lists of the kinds the file holds (or of a kind this app cannot tell:
            // Pinterest does not say, and only this app's own uploads record it).
            let kinds = state
                .loaded()
                .map(|l| l.preview.list_types())
                .unwrap_or_default();
            let fits = |view: &&crate::audiences::ListView| {
                view.list_type
                    .is_none_or(|t| kinds.is_empty() || kinds.contains(&t))
            };
            let offered: Vec<_> = customer_lists.iter().filter(fits).collect();
            let label = ui.label("List");
            egui::ComboBox::from_id_salt("upload_list")
                .selected_text(selected)
                .width(ui.available_width())
                .show_ui(ui, |ui| {
                    for view in &offered {
                        let list = &view.list;
                        let kind = view.list_type.map_or("kind unknown", |t| t.label());
                        let text = format!(
                            "{} ({}, {kind}, {})",
                            list.name.as_deref().unwrap_or("unnamed"),
                            list.id,
                            list.status.as_deref().unwrap_or("status unknown")
                        );
                        ui.selectable_value(&mut form.list_id, Some(list.id.clone()), text);
                    }
                })
                .response
                .labelled_by(label.id);
            let hidden = customer_lists.len() - offered.len();
            if hidden > 0 {
                ui.label(
                    RichText::new(format!(
                        "{} of other kinds than this file's are not offered.",
                        crate::display::count(hidden as u64, "list", "lists")
                    ))
                    .small(),
                );
            }
            if customer_lists.is_empty() {
                ui.label(RichText::new("The ad account has no customer lists yet.").small());
            }
            if ui.small_button("Refresh lists").clicked() {
                actions.push(Lists::Load(connection).into());
            }
        }
        Some(ListsState::Loading) => {
            widgets::busy(ui, "Fetching the ad account's lists...");
        }
        Some(ListsState::Failed(problem)) => {
            widgets::problem(ui, problem, actions);
            if ui.small_button("Try again").clicked() {
                actions.push(Lists::Load(connection).into());
            }
        }
        None => {
            if ui.small_button("Load lists").clicked() {
                actions.push(Lists::Load(connection).into());
            }
        }
    }
}

fn show_plan(ui: &mut egui::Ui, plan: &Plan) {
    ui.strong(format!(
        "Plan for ad account {} via '{}'",
        plan.ad_account_id, plan.connection
    ));
    egui::Grid::new("plan").striped(true).show(ui, |ui| {
        for title in ["Type", "List", "Add", "Remove", "Unchanged"] {
            ui.strong(title);
        }
        ui.end_row();
        for list in &plan.lists {
            ui.label(list.list_type.as_str());
            ui.label(match &list.list_id {
                Some(_) => list.name.clone(),
                None => format!("new: {}", list.name),
            });
            ui.label(group(list.adds as u64));
            ui.label(group(list.removes as u64));
            ui.label(group(list.unchanged as u64));
            ui.end_row();
        }
    });
    let records: usize = plan.lists.iter().map(|l| l.adds + l.removes).sum();
    ui.label(format!(
        "{} records in batches of up to {}.",
        group(records as u64),
        group(plan.records_per_batch() as u64)
    ));
    ui.label(plan.disk_line());
    for warning in &plan.warnings {
        ui.label(RichText::new(format!("Warning: {warning}")).color(ui.visuals().warn_fg_color));
    }
    if plan.is_empty() {
        ui.label("Nothing to send: the lists already match the file.");
    }
}
