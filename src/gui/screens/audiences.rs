//! The customer lists and audiences of a connection's ad account.

use eframe::egui;

use crate::app_core::AdAccountLists;
use crate::display::group;
use crate::gui::action::Action;
use crate::gui::state::{ListsState, State};
use crate::gui::widgets;

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let Some(name) = state.audiences_connection() else {
        ui.label("Pick a connection on the left.");
        return;
    };
    ui.horizontal(|ui| {
        ui.heading(format!("Lists and audiences: {name}"));
        if ui.button("Refresh").clicked() {
            actions.push(Action::ShowLists(name.clone()));
        }
    });
    match state.lists.get(name) {
        None => {
            ui.label("Not loaded yet.");
        }
        Some(ListsState::Loading) => {
            widgets::busy(ui, "Asking Pinterest...");
        }
        Some(ListsState::Failed(error)) => {
            widgets::error(ui, error);
        }
        Some(ListsState::Loaded(AdAccountLists {
            customer_lists,
            audiences,
            ..
        })) => {
            ui.strong("Customer lists");
            egui::Grid::new("customer_lists")
                .striped(true)
                .show(ui, |ui| {
                    for title in ["ID", "Name", "Status", "Batches", "Uploaded", "Removed"] {
                        ui.strong(title);
                    }
                    ui.end_row();
                    let n = |v: Option<u64>| v.map_or(String::new(), group);
                    for view in customer_lists {
                        let l = &view.list;
                        ui.label(&l.id);
                        ui.label(l.name.as_deref().unwrap_or(""));
                        ui.label(l.status.as_deref().unwrap_or(""));
                        ui.label(n(l.num_batches));
                        ui.label(n(l.num_uploaded_user_records));
                        ui.label(n(l.num_removed_user_records));
                        ui.end_row();
                    }
                });
            if customer_lists.is_empty() {
                ui.label("None yet.");
            }
            ui.label(
                egui::RichText::new(
                    "Counters grow with every upload call, even for people already in the list: \
                     they are not membership counts.",
                )
                .small(),
            );
            ui.add_space(8.0);
            ui.strong("Audiences");
            egui::Grid::new("audiences").striped(true).show(ui, |ui| {
                for title in ["ID", "Name", "Status", "Size", "Customer list"] {
                    ui.strong(title);
                }
                ui.end_row();
                for view in audiences {
                    let a = &view.audience;
                    ui.label(&a.id);
                    ui.label(a.name.as_deref().unwrap_or(""));
                    ui.label(a.status.as_deref().unwrap_or(""));
                    ui.label(
                        a.size
                            .map_or("pending".to_owned(), |s| group(s.max(0) as u64)),
                    );
                    ui.label(
                        a.rule
                            .as_ref()
                            .and_then(|r| r.customer_list_id.as_deref())
                            .unwrap_or(""),
                    );
                    ui.end_row();
                }
            });
            if audiences.is_empty() {
                ui.label("None yet.");
            }
        }
    }
}
