//! The customer lists and audiences of a connection's ad account: each audience's status as a
//! badge, its size and estimated match rate; for the picked one, its size over time and what
//! to do next (a lookalike, sharing, removal).

use std::collections::BTreeSet;

use eframe::egui::{self, RichText};
use egui_plot::{Line, PlotPoints, Points, Polygon};

use crate::audiences::{AudienceView, LOOKALIKE_COUNTRIES, LOOKALIKE_PERCENT, ListView};
use crate::display::{group, relative};
use crate::gui::Action;
use crate::gui::audiences::Action as Audiences;
use crate::gui::lists::Action as Lists;
use crate::gui::state::{AccountsState, AudienceDialog, ListsState, State};
use crate::gui::widgets;
use crate::overview::AdAccountLists;
use crate::store::Snapshot;

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let Some(name) = state.audiences_connection() else {
        ui.label("Pick a connection on the left.");
        return;
    };
    ui.horizontal(|ui| {
        ui.heading(format!("Lists and audiences: {name}"));
        if ui.button("Refresh").clicked() {
            actions.push(Lists::Show(name.clone()).into());
        }
    });
    crate::gui::connections::banner::ui(ui, state, name, actions);
    match state.lists.get(name) {
        None => {
            ui.label("Not loaded yet.");
        }
        Some(ListsState::Loading) => {
            widgets::busy(ui, "Asking Pinterest...");
        }
        Some(ListsState::Failed(problem)) => widgets::problem(ui, problem, actions),
        Some(ListsState::Loaded(lists)) => {
            customer_lists(ui, &lists.customer_lists);
            ui.add_space(8.0);
            audiences(ui, state, &lists.audiences, actions);
            received(ui, &lists.received_audiences);
            match state.selected_audience() {
                Some(audience) => {
                    ui.separator();
                    selected(ui, state, name, lists, audience, actions);
                }
                // What the last action said, after it took the audience away.
                None => said(ui, state),
            }
        }
    }
}

fn customer_lists(ui: &mut egui::Ui, lists: &[ListView]) {
    ui.strong("Customer lists");
    egui::Grid::new("customer_lists")
        .striped(true)
        .show(ui, |ui| {
            for title in [
                "ID",
                "Name",
                "Status",
                "Batches",
                "Uploaded",
                "Removed",
                "From this app",
            ] {
                ui.strong(title);
            }
            ui.end_row();
            let n = |v: Option<u64>| v.map_or(String::new(), group);
            for view in lists {
                let l = &view.list;
                ui.label(&l.id);
                ui.label(l.name.as_deref().unwrap_or(""));
                ui.label(l.status.as_deref().unwrap_or(""));
                ui.label(n(l.num_batches));
                ui.label(n(l.num_uploaded_user_records));
                ui.label(n(l.num_removed_user_records));
                ui.label(group(view.identities));
                ui.end_row();
            }
        });
    if lists.is_empty() {
        ui.label("None yet.");
    }
    ui.label(
        RichText::new(
            "Uploaded and Removed grow with every upload call, even for people already in the \
             list: they are not membership counts. From this app: the people this app has put \
             in the list, as its ledger says.",
        )
        .small(),
    );
}

/// An audience's status as a coloured badge.
pub fn badge(ui: &mut egui::Ui, status: &str) -> egui::Response {
    use widgets::tone;
    let (text, fill, hover) = match status {
        "READY" => ("ready", tone::GOOD, "Matched and ready to target"),
        "TOO_SMALL" => (
            "too small",
            tone::BAD,
            "Fewer than 100 people matched Pinterest users: it cannot be targeted",
        ),
        "INITIALIZING" => (
            "initializing",
            tone::BUSY,
            "Pinterest is still matching it; this can take up to 48 hours",
        ),
        "PROCESSING" | "UPLOADING" => ("processing", tone::WAITING, "Pinterest is working on it"),
        _ => ("unknown", tone::QUIET, "Pinterest is working on it"),
    };
    widgets::badge(ui, text, fill, hover)
}

fn match_rate_text(audience: &AudienceView) -> String {
    match (audience.match_rate, audience.identities) {
        (Some(rate), _) => format!("~{:.0}%", rate * 100.0),
        (None, Some(_)) => "unknown yet".into(),
        (None, None) => String::new(),
    }
}

fn audiences(
    ui: &mut egui::Ui,
    state: &State,
    audiences: &[AudienceView],
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.strong("Audiences");
        super::rules_view::new_audience_menu(ui, state, actions);
    });
    super::rules_view::rule_form(ui, state, actions);
    egui::Grid::new("audiences").striped(true).show(ui, |ui| {
        for title in ["Name", "Status", "Size", "Match rate", "Who", "ID"] {
            ui.strong(title);
        }
        ui.end_row();
        for view in audiences {
            let a = &view.audience;
            let picked = state.audiences.selected.as_deref() == Some(a.id.as_str());
            let name = a
                .name
                .clone()
                .unwrap_or_else(|| format!("audience {}", a.id));
            if ui.selectable_label(picked, name).clicked() {
                actions.push(Audiences::Select(a.id.clone()).into());
            }
            badge(ui, view.status());
            ui.label(
                a.size
                    .map_or("pending".to_owned(), |s| group(s.max(0) as u64)),
            );
            let rate = ui.label(match_rate_text(view));
            if let Some(identities) = view.identities {
                rate.on_hover_text(format!(
                    "An estimate: the audience's size over the {} people this app has put in \
                     its list. Pinterest reports no match rate.",
                    group(identities)
                ));
            }
            ui.label(format!("{}: {}", view.kind, view.rule_in_words));
            ui.label(&a.id);
            ui.end_row();
        }
    });
    if audiences.is_empty() {
        ui.label("None yet.");
    } else if state.audiences.selected.is_none() {
        ui.label(RichText::new("Pick an audience for its history and what to do next.").small());
    }
}

/// Audiences other ad accounts shared with this one: usable in its campaigns, not its own, so
/// apart from its audiences and with nothing to do on them here.
fn received(ui: &mut egui::Ui, received: &[crate::pinterest::Audience]) {
    if received.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.strong("Shared with this account by others");
    egui::Grid::new("received_audiences")
        .striped(true)
        .show(ui, |ui| {
            for title in ["Name", "Status", "Size", "Type", "Owner account", "ID"] {
                ui.strong(title);
            }
            ui.end_row();
            for a in received {
                ui.label(a.name.as_deref().unwrap_or("(unnamed)"));
                badge(ui, a.status.as_deref().unwrap_or("unknown"));
                ui.label(
                    a.size
                        .map_or("pending".to_owned(), |s| group(s.max(0) as u64)),
                );
                ui.label(a.audience_type.as_deref().unwrap_or(""));
                ui.label(a.ad_account_id.as_deref().unwrap_or(""));
                ui.label(&a.id);
                ui.end_row();
            }
        });
}

fn selected(
    ui: &mut egui::Ui,
    state: &State,
    connection: &str,
    lists: &AdAccountLists,
    view: &AudienceView,
    actions: &mut Vec<Action>,
) {
    let a = &view.audience;
    let name = a.name.as_deref().unwrap_or("unnamed");
    ui.horizontal(|ui| {
        ui.heading(format!("Audience: {name}"));
        badge(ui, view.status());
    });
    ui.label(format!("Who: {} ({}).", view.rule_in_words, view.kind));
    if view.made_by_app {
        ui.label(RichText::new("Made by Audience Desk.").small());
    }
    ui.horizontal_wrapped(|ui| {
        let reach = crate::audiences::describe_reach(view.reach.as_ref(), view.status());
        let taken = view
            .reach
            .map(|r| format!(" (Pinterest's estimate, {})", relative(r.taken_at)))
            .unwrap_or_default();
        ui.label(format!("This audience {reach}{taken}."));
        let ready = view.status() == "READY" && !state.audiences.busy;
        if ui
            .add_enabled(ready, egui::Button::new("Check reach now"))
            .on_hover_text(
                "Ask Pinterest how many people an ad group targeting it may reach in a month",
            )
            .clicked()
        {
            actions.push(Audiences::TakeReach(a.id.clone()).into());
        }
    });
    size_over_time(ui, state, view);
    ui.horizontal(|ui| {
        let ready = view.status() == "READY";
        let lookalike = ui
            .add_enabled(ready, egui::Button::new("Create lookalike..."))
            .on_hover_text("People like this audience's, in the US, Canada or the UK");
        if !ready {
            lookalike.on_disabled_hover_text("A lookalike needs a READY audience as its seed");
        } else if lookalike.clicked() {
            actions.push(Audiences::OpenLookalike.into());
        }
        if ui
            .button("Share...")
            .on_hover_text("With other ad accounts of the same business")
            .clicked()
        {
            actions.push(Audiences::OpenShare.into());
        }
        if ui
            .button("Edit...")
            .on_hover_text("Its name, description, and how long people stay in it")
            .clicked()
        {
            actions.push(super::rules::Action::OpenEdit.into());
        }
        if view.made_by_app && ui.button("Remove audience...").clicked() {
            actions.push(Audiences::AskRemove.into());
        }
    });
    let busy = state.audiences.busy;
    let top = ui.cursor().top();
    match &state.audiences.dialog {
        AudienceDialog::None => {}
        AudienceDialog::Lookalike(form) => lookalike(ui, form, busy, actions),
        AudienceDialog::Share(picked) => share(ui, state, connection, lists, picked, actions),
        AudienceDialog::Edit(form) => super::rules_view::edit_form(ui, form, busy, actions),
        AudienceDialog::Remove => {
            ui.group(|ui| {
                ui.label(format!(
                    "Remove the audience \"{name}\"? Its customer list stays (Pinterest has no \
                     way to delete a list), and so do the people in it."
                ));
                ui.horizontal(|ui| {
                    if ui.add_enabled(!busy, egui::Button::new("Remove")).clicked() {
                        actions.push(Audiences::Remove(a.id.clone()).into());
                    }
                    if ui.button("Keep it").clicked() {
                        actions.push(Audiences::CloseDialog.into());
                    }
                });
            });
        }
    }
    // A form just opened is brought into view: it may open below the fold.
    if state.audiences.reveal && state.audiences.dialog != AudienceDialog::None {
        let shown = egui::Rect::from_x_y_ranges(ui.max_rect().x_range(), top..=ui.cursor().top());
        ui.scroll_to_rect(shown, Some(egui::Align::Center));
        actions.push(Audiences::Revealed.into());
    }
    if busy {
        widgets::busy(ui, "Asking Pinterest...");
    }
    said(ui, state);
}

fn said(ui: &mut egui::Ui, state: &State) {
    match &state.audiences.said {
        Some(Ok(said)) => {
            ui.label(said);
        }
        Some(Err(error)) => {
            widgets::error(ui, error);
        }
        None => {}
    }
}

/// The size of the audience at each look the app took since its list's last upload.
fn size_over_time(ui: &mut egui::Ui, state: &State, view: &AudienceView) {
    let Some(list) = view.list_id() else {
        return;
    };
    let Some((of, seen)) = &state.audiences.history else {
        return;
    };
    if of != list || seen.is_empty() {
        return;
    }
    let start = seen[0].taken_at;
    let points: Vec<[f64; 2]> = seen
        .iter()
        .filter_map(|s| Some([(s.taken_at - start) as f64 / 3600.0, s.size? as f64]))
        .collect();
    ui.strong("Size over time");
    if points.is_empty() {
        ui.label(format!(
            "No size yet in {} looks: Pinterest is still matching the list.",
            seen.len()
        ));
        return;
    }
    // The whole follow-up window (two days), so that a first look or two is not stretched
    // across the width; each look is marked.
    let hours = (crate::audiences::FOLLOW_FOR / 3600) as f64;
    widgets::count_plot(("audience_size", list))
        .include_x(0.0)
        .include_x(hours)
        .x_axis_label("hours since the first look")
        .show(ui, |plot| {
            // The monthly reach, as estimated at each look, is a band: its low edge along
            // the looks, its high edge back.
            let at = |s: &Snapshot| (s.taken_at - start) as f64 / 3600.0;
            let low: Vec<[f64; 2]> = seen
                .iter()
                .filter_map(|s| Some([at(s), s.reach?.lower as f64]))
                .collect();
            let high: Vec<[f64; 2]> = seen
                .iter()
                .filter_map(|s| Some([at(s), s.reach?.upper as f64]))
                .collect();
            if low.len() >= 2 {
                let band: Vec<[f64; 2]> = low.iter().chain(high.iter().rev()).copied().collect();
                plot.polygon(Polygon::new(
                    "reach a month (estimate)",
                    PlotPoints::from(band),
                ));
            } else if !low.is_empty() {
                plot.points(
                    Points::new(
                        "reach a month (estimate)",
                        PlotPoints::from([low, high].concat()),
                    )
                    .radius(3.0),
                );
            }
            plot.line(Line::new(
                "matched people",
                PlotPoints::from(points.clone()),
            ));
            plot.points(Points::new("looks", PlotPoints::from(points)).radius(3.0));
        });
}

fn lookalike(
    ui: &mut egui::Ui,
    form: &crate::gui::state::LookalikeForm,
    busy: bool,
    actions: &mut Vec<Action>,
) {
    let mut edited = form.clone();
    ui.group(|ui| {
        ui.strong("A lookalike of this audience");
        let label = ui.label("Lookalike name");
        ui.add(egui::TextEdit::singleline(&mut edited.name).desired_width(320.0))
            .labelled_by(label.id);
        let label = ui.label("Country");
        egui::ComboBox::from_id_salt("lookalike_country")
            .selected_text(&edited.country)
            .show_ui(ui, |ui| {
                for country in LOOKALIKE_COUNTRIES {
                    ui.selectable_value(&mut edited.country, country.to_owned(), country);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Percentage of the country's Pinterest users");
        ui.add(egui::Slider::new(
            &mut edited.percent,
            *LOOKALIKE_PERCENT.start()..=*LOOKALIKE_PERCENT.end(),
        ))
        .labelled_by(label.id);
        ui.label(RichText::new("1% is closest to the seed; 10% reaches the most people.").small());
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!busy, egui::Button::new("Create lookalike"))
                .clicked()
            {
                actions.push(Audiences::CreateLookalike.into());
            }
            if ui.button("Cancel").clicked() {
                actions.push(Audiences::CloseDialog.into());
            }
        });
    });
    if edited != *form {
        actions.push(Audiences::EditLookalike(edited).into());
    }
}

fn share(
    ui: &mut egui::Ui,
    state: &State,
    connection: &str,
    lists: &AdAccountLists,
    picked: &BTreeSet<String>,
    actions: &mut Vec<Action>,
) {
    let mut edited = picked.clone();
    ui.group(|ui| {
        ui.strong("Share with ad accounts of the same business");
        match &state.audiences.shared {
            Some((_, Ok(holders))) if holders.is_empty() => {
                ui.label("Not shared with any ad account yet.");
            }
            Some((_, Ok(holders))) => {
                let names: Vec<String> = holders
                    .iter()
                    .map(|h| match &h.account_name {
                        Some(name) if !name.is_empty() => format!("{name} ({})", h.account_id),
                        _ => h.account_id.clone(),
                    })
                    .collect();
                ui.label(format!("Shared with: {}", names.join(", ")));
            }
            Some((_, Err(error))) => {
                widgets::error(ui, error);
            }
            None => {
                widgets::busy(ui, "Reading who has it...");
            }
        }
        match state.accounts.get(connection) {
            Some(AccountsState::Loaded(accounts)) => {
                let others: Vec<_> = accounts
                    .iter()
                    .filter(|a| a.id != lists.ad_account_id)
                    .collect();
                if others.is_empty() {
                    ui.label("This login reaches no other ad account.");
                }
                for account in others {
                    let mut on = edited.contains(&account.id);
                    let text = format!(
                        "{} ({})",
                        account.name.as_deref().unwrap_or("unnamed"),
                        account.id
                    );
                    if ui.checkbox(&mut on, text).changed() {
                        if on {
                            edited.insert(account.id.clone());
                        } else {
                            edited.remove(&account.id);
                        }
                    }
                }
            }
            Some(AccountsState::Loading) | None => {
                widgets::busy(ui, "Reading the ad accounts this login reaches...");
            }
            Some(AccountsState::Failed(error)) => {
                widgets::error(ui, error);
            }
        }
        ui.label(
            RichText::new(
                "Pinterest shares only within one business, and opens sharing to some apps \
                 only: a refusal says which.",
            )
            .small(),
        );
        ui.horizontal(|ui| {
            let ready = !edited.is_empty() && !state.audiences.busy;
            if ui.add_enabled(ready, egui::Button::new("Share")).clicked() {
                actions.push(Audiences::Share { revoke: false }.into());
            }
            if ui.add_enabled(ready, egui::Button::new("Revoke")).clicked() {
                actions.push(Audiences::Share { revoke: true }.into());
            }
            if ui.button("Close").clicked() {
                actions.push(Audiences::CloseDialog.into());
            }
        });
    });
    if edited != *picked {
        actions.push(Audiences::EditShare(edited).into());
    }
}
