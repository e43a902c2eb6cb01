//! The New audience control, the forms of site visitors and people who engaged (every choice
//! picked from the account's tags and websites, the rule said in words before Create), and an
//! audience's edit.

use eframe::egui::{self, RichText};

use super::rules::Action as Rule;
use crate::audiences::{ENGAGEMENT_TYPES, EVENT_SOURCES, RETENTION_DAYS, VISITOR_EVENTS};
use crate::gui::Action;
use crate::gui::audiences::Action as Audiences;
use crate::gui::state::{Catalog, EditForm, RuleForm, RuleKind, State, UrlOp, View};
use crate::gui::widgets;
use crate::pinterest::{ConversionTag, UserWebsite};

/// "New audience": a customer list (the upload), a lookalike of the picked audience, site
/// visitors, people who engaged.
pub fn new_audience_menu(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let ready = state
        .selected_audience()
        .is_some_and(|a| a.status() == "READY");
    ui.menu_button("New audience", |ui| {
        if ui
            .button("Customer list...")
            .on_hover_text("Upload a file of emails or advertising IDs")
            .clicked()
        {
            actions.push(Action::ShowView(View::Upload));
            ui.close();
        }
        let lookalike = ui
            .add_enabled(ready, egui::Button::new("Lookalike..."))
            .on_disabled_hover_text("Pick a READY audience below first: it is the seed");
        if lookalike.clicked() {
            actions.push(Audiences::OpenLookalike.into());
            ui.close();
        }
        if ui
            .button("Site visitors...")
            .on_hover_text("People the account's Pinterest tag saw on the site")
            .clicked()
        {
            actions.push(Rule::New(RuleKind::Visitors).into());
            ui.close();
        }
        if ui
            .button("People who engaged...")
            .on_hover_text("People who clicked, saved or looked at Pins from a verified website")
            .clicked()
        {
            actions.push(Rule::New(RuleKind::Engagers).into());
            ui.close();
        }
    });
}

/// The form of a new visitor or engagement audience, when one is open.
pub fn rule_form(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let Some(form) = &state.audiences.creating else {
        return;
    };
    let title = match form.kind {
        RuleKind::Visitors => "New audience: site visitors",
        RuleKind::Engagers => "New audience: people who engaged",
    };
    ui.group(|ui| {
        ui.strong(title);
        let catalog = state.audiences.catalog.as_ref().map(|(_, c)| c);
        let (tags, websites) = match catalog {
            Some(Catalog::Loaded { tags, websites }) => (tags.as_slice(), websites.as_slice()),
            Some(Catalog::Failed(error)) => {
                widgets::error(
                    ui,
                    format!("Cannot read the account's tags and websites: {error}"),
                );
                (&[][..], &[][..])
            }
            _ => {
                widgets::busy(ui, "Reading the account's tags and websites...");
                (&[][..], &[][..])
            }
        };
        let mut edited = form.clone();
        egui::Grid::new("rule_form")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                widgets::text_row(ui, "Audience name", &mut edited.name);
                widgets::text_row(ui, "Description (optional)", &mut edited.description);
                match form.kind {
                    RuleKind::Visitors => visitor_rows(ui, &mut edited, tags),
                    RuleKind::Engagers => engager_rows(ui, &mut edited, websites),
                }
                let label = ui.label("Keep people for");
                ui.horizontal(|ui| {
                    ui.add(
                        egui::DragValue::new(&mut edited.retention_days)
                            .range(RETENTION_DAYS)
                            .suffix(" days"),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("1 to 540 days; Pinterest's default is 180");
                });
                ui.end_row();
            });
        if form.kind == RuleKind::Visitors
            && tags
                .iter()
                .any(|t| Some(&t.id) == form.tag.as_ref() && t.is_archived())
        {
            widgets::warning(
                ui,
                "This tag is archived: it no longer sees visitors, so the audience would stay \
                 empty or shrink.",
            );
            ui.checkbox(
                &mut edited.archived_confirmed,
                "Use the archived tag all the same",
            );
        }
        ui.label(format!("Who: {}.", form.words()));
        let blocker = form.blocker(tags);
        ui.horizontal(|ui| {
            let create = ui.add_enabled(
                blocker.is_none() && !state.audiences.busy,
                egui::Button::new(RichText::new("Create").strong()),
            );
            if create.clicked() {
                actions.push(Rule::Create.into());
            }
            if ui.button("Cancel").clicked() {
                actions.push(Rule::Close.into());
            }
            if let Some(blocker) = &blocker {
                ui.label(blocker);
            }
        });
        if edited != *form {
            actions.push(Rule::Edit(edited).into());
        }
    });
}

fn tag_name(tag: &ConversionTag) -> String {
    let status = tag
        .status
        .as_deref()
        .unwrap_or("status unknown")
        .to_lowercase();
    format!(
        "{} ({}, {status})",
        crate::display::printable(tag.name.as_deref().unwrap_or("unnamed")),
        tag.id
    )
}

fn visitor_rows(ui: &mut egui::Ui, form: &mut RuleForm, tags: &[ConversionTag]) {
    let label = ui.label("Pinterest tag");
    let shown = form
        .tag
        .as_ref()
        .and_then(|id| tags.iter().find(|t| t.id == *id))
        .map_or("Pick a tag".to_owned(), tag_name);
    egui::ComboBox::from_id_salt("rule_tag")
        .selected_text(shown)
        .width(300.0)
        .show_ui(ui, |ui| {
            for tag in tags {
                ui.selectable_value(&mut form.tag, Some(tag.id.clone()), tag_name(tag));
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    if tags.is_empty() {
        ui.label("");
        ui.label("The account has no Pinterest tag yet: make one in Ads Manager (Conversions).");
        ui.end_row();
    }
    let label = ui.label("Event");
    let shown = if form.event.is_empty() {
        "any event".to_owned()
    } else {
        form.event.clone()
    };
    egui::ComboBox::from_id_salt("rule_event")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut form.event, String::new(), "any event");
            for event in VISITOR_EVENTS {
                ui.selectable_value(&mut form.event, event.to_owned(), event);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    ui.label("Page address");
    ui.vertical(|ui| {
        let mut removed = None;
        for (i, (op, text)) in form.urls.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let label = ui.label(format!("Condition {}", i + 1));
                egui::ComboBox::from_id_salt(("rule_url_op", i))
                    .selected_text(op.label())
                    .show_ui(ui, |ui| {
                        for choice in UrlOp::ALL {
                            ui.selectable_value(op, choice, choice.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.add(egui::TextEdit::singleline(text).desired_width(200.0))
                    .labelled_by(label.id);
                if ui.small_button("Remove").clicked() {
                    removed = Some(i);
                }
            });
        }
        if let Some(i) = removed {
            form.urls.remove(i);
        }
        if ui.small_button("Add a page condition").clicked() {
            form.urls.push((UrlOp::Contains, String::new()));
        }
    });
    ui.end_row();
    ui.label("Seen on");
    ui.horizontal(|ui| {
        for source in EVENT_SOURCES {
            let mut on = form.sources.contains(source);
            if ui.checkbox(&mut on, source).changed() {
                if on {
                    form.sources.insert(source.to_owned());
                } else {
                    form.sources.remove(source);
                }
            }
        }
        ui.label(RichText::new("(none ticked: all)").weak());
    });
    ui.end_row();
    ui.label("");
    ui.checkbox(&mut form.prefill, "Fill it from what the tag already saw");
    ui.end_row();
}

fn engager_rows(ui: &mut egui::Ui, form: &mut RuleForm, websites: &[UserWebsite]) {
    let label = ui.label("Verified website");
    let shown = form
        .domain
        .clone()
        .unwrap_or_else(|| "Pick a website".into());
    egui::ComboBox::from_id_salt("rule_domain")
        .selected_text(shown)
        .width(300.0)
        .show_ui(ui, |ui| {
            for site in websites {
                let name = crate::display::printable(&site.website);
                if site.is_verified() {
                    ui.selectable_value(&mut form.domain, Some(site.website.clone()), name);
                } else {
                    ui.add_enabled(false, egui::Button::selectable(false, name))
                        .on_disabled_hover_text(format!(
                            "Not verified ({}): verify it in Pinterest's business settings \
                             (Settings, Claimed accounts, Websites)",
                            site.status.as_deref().unwrap_or("status unknown")
                        ));
                }
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    let unverified: Vec<&str> = websites
        .iter()
        .filter(|w| !w.is_verified())
        .map(|w| w.website.as_str())
        .collect();
    if !unverified.is_empty() || websites.is_empty() {
        ui.label("");
        ui.label(if websites.is_empty() {
            "The login has no website yet: claim one in Pinterest's business settings.".to_owned()
        } else {
            format!(
                "Not verified yet, so not offered: {}.",
                crate::display::printable(&unverified.join(", "))
            )
        });
        ui.end_row();
    }
    let label = ui.label("What they did");
    let shown = if form.engagement.is_empty() {
        "any engagement".to_owned()
    } else {
        form.engagement.clone()
    };
    egui::ComboBox::from_id_salt("rule_engagement")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut form.engagement, String::new(), "any engagement");
            for kind in ENGAGEMENT_TYPES {
                ui.selectable_value(&mut form.engagement, kind.to_owned(), kind);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
}

/// The selected audience's name, description and retention.
pub fn edit_form(ui: &mut egui::Ui, form: &EditForm, busy: bool, actions: &mut Vec<Action>) {
    ui.group(|ui| {
        let mut edited = form.clone();
        egui::Grid::new("audience_edit")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                widgets::text_row(ui, "Name", &mut edited.name);
                widgets::text_row(ui, "Description", &mut edited.description);
                if let Some(days) = edited.retention_days.as_mut() {
                    let label = ui.label("Keep people for");
                    ui.add(
                        egui::DragValue::new(days)
                            .range(RETENTION_DAYS)
                            .suffix(" days"),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                }
            });
        ui.horizontal(|ui| {
            let named = !edited.name.trim().is_empty();
            if ui
                .add_enabled(
                    named && !busy,
                    egui::Button::new(RichText::new("Save").strong()),
                )
                .clicked()
            {
                actions.push(Rule::SaveEdit.into());
            }
            if ui.button("Cancel").clicked() {
                actions.push(Audiences::CloseDialog.into());
            }
            if !named {
                ui.label("Give it a name.");
            }
        });
        if edited != *form {
            actions.push(Rule::EditChanges(edited).into());
        }
    });
}
