//! New audiences Pinterest builds by a rule (site visitors, people who engaged), set up from
//! the account's own tags and websites; and an audience's name, description and retention
//! edited.

use eframe::egui;

use super::Event;
use crate::audiences::{AudienceEdit, AudienceError, Engagers, UrlRule, Visitors};
use crate::gui::App;
use crate::gui::state::{AudienceDialog, Catalog, EditForm, RuleForm, RuleKind, UrlOp};
use crate::pinterest::{Audience, ConversionTag, UserWebsite};

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Opens the form for a new audience of this kind (and reads the tags and websites).
    New(RuleKind),
    Edit(RuleForm),
    Create,
    Close,
    OpenEdit,
    EditChanges(EditForm),
    SaveEdit,
}

pub enum RuleEvent {
    Catalog {
        connection: String,
        result: Result<(Vec<ConversionTag>, Vec<UserWebsite>), String>,
    },
    Made(Result<Audience, AudienceError>),
    Edited(Result<Audience, AudienceError>),
}

impl From<Action> for crate::gui::Action {
    fn from(action: Action) -> Self {
        super::Action::Rule(action).into()
    }
}

impl From<RuleEvent> for crate::gui::Event {
    fn from(event: RuleEvent) -> Self {
        Event::Rule(event).into()
    }
}

impl RuleForm {
    pub fn visitors(&self) -> Visitors {
        let urls = self
            .urls
            .iter()
            .map(|(op, text)| {
                let text = text.trim().to_owned();
                match op {
                    UrlOp::Is => UrlRule::Is(text),
                    UrlOp::Contains => UrlRule::Contains(text),
                    UrlOp::NotContains => UrlRule::NotContains(text),
                }
            })
            .collect();
        Visitors {
            name: self.name.trim().to_owned(),
            description: Some(self.description.trim().to_owned()).filter(|d| !d.is_empty()),
            tag: self.tag.clone().unwrap_or_default(),
            event: Some(self.event.clone()).filter(|e| !e.is_empty()),
            retention_days: self.retention(),
            urls,
            sources: self.sources.iter().cloned().collect(),
            prefill: (!self.prefill).then_some(false),
            archived_tag_confirmed: self.archived_confirmed,
        }
    }

    pub fn engagers(&self) -> Engagers {
        Engagers {
            name: self.name.trim().to_owned(),
            description: Some(self.description.trim().to_owned()).filter(|d| !d.is_empty()),
            domain: self.domain.clone().unwrap_or_default(),
            engagement_type: Some(self.engagement.clone()).filter(|e| !e.is_empty()),
            engager_type: None,
            retention_days: self.retention(),
            pins: Vec::new(),
        }
    }

    /// Pinterest's default is left unsaid, so it holds.
    fn retention(&self) -> Option<u64> {
        Some(self.retention_days).filter(|d| *d != crate::audiences::DEFAULT_RETENTION_DAYS)
    }

    /// The rule in words, as the audience will be listed.
    pub fn words(&self) -> String {
        match self.kind {
            RuleKind::Visitors => {
                crate::audiences::rule_in_words(Some("VISITOR"), Some(&self.visitors().rule()))
            }
            RuleKind::Engagers => {
                crate::audiences::rule_in_words(Some("ENGAGEMENT"), Some(&self.engagers().rule()))
            }
        }
    }

    /// What stops Create, said inline: a pick missing, a field out of range, an archived tag
    /// not confirmed.
    pub fn blocker(&self, tags: &[ConversionTag]) -> Option<String> {
        let picked = match self.kind {
            RuleKind::Visitors if self.tag.is_none() => Some("Pick the Pinterest tag first."),
            RuleKind::Engagers if self.domain.is_none() => Some("Pick a verified website first."),
            _ => None,
        };
        if let Some(picked) = picked {
            return Some(picked.into());
        }
        let checked = match self.kind {
            RuleKind::Visitors => self.visitors().check(),
            RuleKind::Engagers => self.engagers().check(),
        };
        if let Err(e) = checked {
            return Some(crate::display::sentence(&e.to_string()));
        }
        let archived = tags
            .iter()
            .any(|t| Some(&t.id) == self.tag.as_ref() && t.is_archived());
        (self.kind == RuleKind::Visitors && archived && !self.archived_confirmed)
            .then(|| "The tag is archived: confirm below to use it all the same.".into())
    }
}

impl App {
    pub(super) fn apply_rule(&mut self, action: Action, ctx: &egui::Context) {
        let audiences = &mut self.state.audiences;
        match action {
            Action::New(kind) => {
                audiences.creating = Some(RuleForm::new(kind));
                audiences.said = None;
                self.load_catalog(ctx);
            }
            Action::Edit(form) => audiences.creating = Some(form),
            Action::Close => audiences.creating = None,
            Action::Create => self.create_by_rule(ctx),
            Action::OpenEdit => {
                let Some(view) = self.state.selected_audience() else {
                    return;
                };
                let a = &view.audience;
                let kind = a.audience_type.as_deref().unwrap_or("");
                let form = EditForm {
                    name: a.name.clone().unwrap_or_default(),
                    description: a.description.clone().unwrap_or_default(),
                    retention_days: matches!(kind, "VISITOR" | "ENGAGEMENT").then(|| {
                        a.rule
                            .as_ref()
                            .and_then(|r| r.retention_days)
                            .unwrap_or(crate::audiences::DEFAULT_RETENTION_DAYS)
                    }),
                };
                let audiences = &mut self.state.audiences;
                audiences.said = None;
                audiences.reveal = true;
                audiences.dialog = AudienceDialog::Edit(form);
            }
            Action::EditChanges(form) => audiences.dialog = AudienceDialog::Edit(form),
            Action::SaveEdit => self.save_audience_edit(ctx),
        }
    }

    pub(super) fn on_rule(&mut self, event: RuleEvent, ctx: &egui::Context) {
        let audiences = &mut self.state.audiences;
        match event {
            RuleEvent::Catalog { connection, result } => {
                let catalog = match result {
                    Ok((tags, websites)) => Catalog::Loaded { tags, websites },
                    Err(error) => Catalog::Failed(error),
                };
                audiences.catalog = Some((connection, catalog));
            }
            RuleEvent::Made(result) => {
                audiences.busy = false;
                match result {
                    Ok(made) => {
                        audiences.creating = None;
                        audiences.said = Some(Ok(format!(
                            "Made \"{}\": {}. Pinterest fills it over the next hours.",
                            made.name.as_deref().unwrap_or(""),
                            crate::audiences::rule_in_words(
                                made.audience_type.as_deref(),
                                made.rule.as_ref()
                            )
                        )));
                        self.reload_shown_lists(ctx);
                    }
                    Err(error) => audiences.said = Some(Err(error.to_string())),
                }
            }
            RuleEvent::Edited(result) => {
                audiences.busy = false;
                match result {
                    Ok(changed) => {
                        audiences.dialog = AudienceDialog::None;
                        audiences.said = Some(Ok(format!(
                            "Saved \"{}\".",
                            changed.name.as_deref().unwrap_or("")
                        )));
                        self.reload_shown_lists(ctx);
                    }
                    Err(error) => audiences.said = Some(Err(error.to_string())),
                }
            }
        }
    }

    /// Reads the shown connection's tags and websites, once per connection shown.
    fn load_catalog(&mut self, ctx: &egui::Context) {
        let (Some(core), Some(connection)) =
            (self.core(), self.state.audiences_connection().cloned())
        else {
            return;
        };
        let fresh = matches!(
            &self.state.audiences.catalog,
            Some((c, Catalog::Loaded { .. })) if *c == connection
        );
        if fresh {
            return;
        }
        self.state.audiences.catalog = Some((connection.clone(), Catalog::Loading));
        self.tasks.background(ctx, async move {
            let tags = crate::audiences::tags(&core, &connection).await;
            let websites = crate::audiences::websites(&core, &connection).await;
            let result = tags
                .and_then(|t| websites.map(|w| (t, w)))
                .map_err(|e| e.to_string());
            RuleEvent::Catalog { connection, result }
        });
    }

    fn create_by_rule(&mut self, ctx: &egui::Context) {
        let Some(form) = self.state.audiences.creating.clone() else {
            return;
        };
        let tags = match &self.state.audiences.catalog {
            Some((_, Catalog::Loaded { tags, .. })) => tags.clone(),
            _ => Vec::new(),
        };
        if form.blocker(&tags).is_some() {
            return;
        }
        self.while_busy(ctx, move |core, connection| async move {
            Event::Rule(RuleEvent::Made(match form.kind {
                RuleKind::Visitors => {
                    crate::audiences::create_visitors(&core, &connection, &form.visitors()).await
                }
                RuleKind::Engagers => {
                    crate::audiences::create_engagers(&core, &connection, &form.engagers()).await
                }
            }))
        });
    }

    fn save_audience_edit(&mut self, ctx: &egui::Context) {
        let (AudienceDialog::Edit(form), Some(view)) =
            (&self.state.audiences.dialog, self.state.selected_audience())
        else {
            return;
        };
        let a = &view.audience;
        let changed = |new: &str, old: Option<&String>| {
            (new.trim() != old.map_or("", |o| o.as_str())).then(|| new.trim().to_owned())
        };
        let old_days = a.rule.as_ref().and_then(|r| r.retention_days);
        let edit = AudienceEdit {
            name: changed(&form.name, a.name.as_ref()),
            description: changed(&form.description, a.description.as_ref()),
            retention_days: form.retention_days.filter(|d| {
                Some(*d) != old_days
                    && !(old_days.is_none() && *d == crate::audiences::DEFAULT_RETENTION_DAYS)
            }),
        };
        if edit == AudienceEdit::default() {
            self.state.audiences.dialog = AudienceDialog::None;
            return;
        }
        let id = a.id.clone();
        self.while_busy(ctx, move |core, connection| async move {
            Event::Rule(RuleEvent::Edited(
                crate::audiences::edit_audience(&core, &connection, &id, &edit).await,
            ))
        });
    }
}
