//! The Privacy screen: the suppression list with its sources and a file to add, a person
//! looked up across every list, their erasure after a confirmation, and the latest erasures
//! with their receipts.

use eframe::egui::{self, RichText};

use super::Action as Privacy;
use crate::display::{count, group, local_time, printable};
use crate::gui::Action;
use crate::gui::state::{PrivacyState, State};
use crate::gui::widgets;
use crate::privacy::Whereabouts;

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let privacy = &state.privacy;
    ui.heading("Privacy");
    ui.label(
        "People who opted out, withdrew consent or asked to be erased. Suppressed people are \
         never sent by any upload or sync run of any connection, and a mirror takes them out \
         of its list. Only their SHA-256 digests are kept.",
    );
    ui.add_space(8.0);
    if let Some(error) = &privacy.load_error {
        widgets::error(ui, format!("Cannot read the suppression list: {error}"));
    }
    suppression(ui, privacy, actions);
    ui.add_space(12.0);
    ui.separator();
    person(ui, privacy, actions);
    ui.add_space(12.0);
    ui.separator();
    erasures(ui, privacy, actions);
}

fn suppression(ui: &mut egui::Ui, privacy: &PrivacyState, actions: &mut Vec<Action>) {
    ui.strong("Suppression list");
    if !privacy.loaded {
        widgets::busy(ui, "Reading...");
        return;
    }
    let list = &privacy.suppression;
    if list.sources.is_empty() {
        ui.label("Empty: every valid identity of a file is sent.");
    } else {
        let counts: Vec<String> = list
            .counts
            .iter()
            .map(|(t, n)| format!("{} in the {}", group(*n), t.label()))
            .collect();
        ui.label(format!("Suppressed: {}.", counts.join(", ")));
        egui::Grid::new("suppression_sources")
            .striped(true)
            .num_columns(5)
            .spacing([16.0, 6.0])
            .show(ui, |ui| {
                for heading in ["Source", "Added", "Identities", "Why", ""] {
                    ui.label(RichText::new(heading).strong());
                }
                ui.end_row();
                for source in &list.sources {
                    ui.label(printable(&source.label));
                    ui.label(local_time(source.added_at));
                    ui.label(group(source.counts.values().sum()));
                    ui.label(printable(&source.reason));
                    if privacy.confirm_remove == Some(source.id) {
                        ui.horizontal(|ui| {
                            if ui.button(RichText::new("Remove it").strong()).clicked() {
                                actions.push(Privacy::ConfirmRemoveSource(source.id).into());
                            }
                            if ui.button("Keep it").clicked() {
                                actions.push(Privacy::KeepSource.into());
                            }
                        });
                    } else if ui
                        .button("Remove...")
                        .on_hover_text("Let these people be sent again")
                        .clicked()
                    {
                        actions.push(Privacy::RemoveSource(source.id).into());
                    }
                    ui.end_row();
                }
            });
    }
    ui.add_space(6.0);
    let (mut file, mut reason) = (privacy.file.clone(), privacy.reason.clone());
    egui::Grid::new("suppress_file")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("File of people");
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut file).desired_width(320.0))
                    .labelled_by(label.id);
                if ui.button("Choose...").clicked() {
                    actions.push(Privacy::ChooseFile.into());
                }
            });
            ui.end_row();
            let label = ui.label("Why (optional)");
            ui.add(egui::TextEdit::singleline(&mut reason).desired_width(320.0))
                .labelled_by(label.id);
            ui.end_row();
        });
    if file != privacy.file {
        actions.push(Privacy::EditFile(file).into());
    }
    if reason != privacy.reason {
        actions.push(Privacy::EditReason(reason).into());
    }
    if let Some(error) = &privacy.add_error {
        widgets::error(ui, error);
    }
    ui.horizontal(|ui| {
        let ready = !privacy.file.trim().is_empty() && !privacy.adding;
        if ui
            .add_enabled(ready, egui::Button::new("Add to the suppression list"))
            .clicked()
        {
            actions.push(Privacy::AddFile.into());
        }
        if privacy.file.trim().is_empty() {
            ui.label("Choose a file first: read like an upload's, columns detected.");
        }
        if privacy.adding {
            widgets::busy(ui, "Reading the file...");
        }
    });
}

fn person(ui: &mut egui::Ui, privacy: &PrivacyState, actions: &mut Vec<Action>) {
    ui.strong("Find or erase a person");
    let mut typed = privacy.person.clone();
    let mut find = false;
    ui.horizontal(|ui| {
        let label = ui.label("Email or advertising ID");
        let field = ui
            .add(egui::TextEdit::singleline(&mut typed).desired_width(320.0))
            .labelled_by(label.id);
        find = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    });
    if typed != privacy.person {
        actions.push(Privacy::EditPerson(typed).into());
    }
    let ready = !privacy.person.trim().is_empty();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ready && !privacy.finding, egui::Button::new("Find"))
            .on_hover_text("Hashed here; nothing is sent")
            .clicked()
            || (find && ready)
        {
            actions.push(Privacy::Find.into());
        }
        if privacy.confirm_erase {
            let erase = RichText::new("Erase from every list").strong();
            if ui.button(erase).clicked() {
                actions.push(Privacy::ConfirmErase.into());
            }
            if ui.button("Keep them").clicked() {
                actions.push(Privacy::KeepPerson.into());
            }
        } else if ui
            .add_enabled(ready && !privacy.erasing, egui::Button::new("Erase..."))
            .clicked()
        {
            actions.push(Privacy::Erase.into());
        }
        if privacy.erasing {
            widgets::busy(ui, "Erasing...");
        }
    });
    if privacy.confirm_erase {
        widgets::warning(
            ui,
            "This removes them from every list this app put them in, on every connection, and \
             keeps them out of every later upload and sync run. A receipt is written.",
        );
    }
    match &privacy.found {
        None => {}
        Some(Err(error)) => {
            widgets::error(ui, error);
        }
        Some(Ok(found)) => {
            for whereabouts in found {
                found_in(ui, whereabouts);
            }
        }
    }
}

fn found_in(ui: &mut egui::Ui, found: &Whereabouts) {
    ui.label(format!("As {}:", found.namespace.label()));
    ui.indent(("found", found.namespace.label()), |ui| {
        if found.lists.is_empty() {
            ui.label("In no list this app filled.");
        }
        for list in &found.lists {
            ui.label(format!(
                "In '{}' (list {}, connection '{}')",
                printable(&list.list_name),
                list.list_id,
                printable(&list.connection)
            ));
        }
        for touched in &found.history {
            ui.label(
                RichText::new(format!(
                    "{}: {} {} '{}' by job {}",
                    local_time(touched.at),
                    touched.change,
                    if touched.change == "removed" {
                        "from"
                    } else {
                        "to"
                    },
                    printable(&touched.list_name),
                    touched.job_id
                ))
                .weak(),
            );
        }
    });
}

fn erasures(ui: &mut egui::Ui, privacy: &PrivacyState, actions: &mut Vec<Action>) {
    ui.strong("Erasures");
    if privacy.erasures.is_empty() {
        ui.label("None yet.");
        return;
    }
    for (receipt, path) in &privacy.erasures {
        ui.horizontal_wrapped(|ui| {
            let lists = count(receipt.lists.len() as u64, "list", "lists");
            let people = count(receipt.identities.len() as u64, "identity", "identities");
            if receipt.complete {
                ui.label(format!(
                    "Erasure {} ({}): {people}, taken out of {lists}.",
                    receipt.erasure, receipt.requested_at
                ));
            } else {
                widgets::warning(
                    ui,
                    format!(
                        "Erasure {} ({}): {people}, not finished: {}",
                        receipt.erasure,
                        receipt.requested_at,
                        printable(&receipt.pending.join("; "))
                    ),
                );
                if ui
                    .add_enabled(!privacy.erasing, egui::Button::new("Finish"))
                    .clicked()
                {
                    actions.push(Privacy::Finish(receipt.erasure).into());
                }
            }
            if ui
                .button("Copy receipt path")
                .on_hover_text(path.as_str())
                .clicked()
            {
                actions.push(Privacy::CopyPath(path.clone()).into());
            }
        });
    }
}
