//! Privacy: the suppression list (a file added, counts, a source removed), a person looked up
//! across every list, and an erasure with its receipt, from the window.

pub mod view;

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::App;
use super::picker::Picked;
use crate::privacy::{PrivacyError, Receipt, Suppression, Whereabouts};
use crate::source::{Preview, PreviewOptions};
use crate::store::{ErasedIdentity, SuppressionSource};
use crate::upload::Control;

/// Erasures the screen lists.
const ERASURES_LISTED: usize = 10;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    EditFile(String),
    EditReason(String),
    ChooseFile,
    AddFile,
    /// Asks to confirm the removal of a suppression source.
    RemoveSource(i64),
    ConfirmRemoveSource(i64),
    KeepSource,
    EditPerson(String),
    Find,
    /// Asks to confirm the erasure of the person typed.
    Erase,
    ConfirmErase,
    KeepPerson,
    /// Finishes an erasure left pending.
    Finish(i64),
    CopyPath(String),
}

type Listed = (Suppression, Vec<(Receipt, String)>);

pub enum Event {
    Loaded(Box<Result<Listed, PrivacyError>>),
    Chosen(Picked),
    Added(Result<SuppressionSource, PrivacyError>),
    Removed(Result<SuppressionSource, PrivacyError>),
    Found(Result<Vec<Whereabouts>, PrivacyError>),
    Erased(Box<Result<(Receipt, PathBuf), PrivacyError>>),
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::Privacy(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::Privacy(event)
    }
}

impl App {
    pub(super) fn apply_privacy(&mut self, action: Action, ctx: &egui::Context) {
        let core = self.core();
        let privacy = &mut self.state.privacy;
        match action {
            Action::EditFile(text) => {
                privacy.file = text;
                privacy.add_error = None;
            }
            Action::EditReason(text) => privacy.reason = text,
            Action::ChooseFile => {
                let picker = self.picker.clone();
                self.tasks
                    .blocking(ctx, move |_| Event::Chosen(picker.pick_file()));
            }
            Action::AddFile => {
                let Some(core) = core else { return };
                let path = PathBuf::from(privacy.file.trim());
                if privacy.adding || path.as_os_str().is_empty() {
                    return;
                }
                privacy.adding = true;
                let reason = privacy.reason.clone();
                self.tasks.blocking(ctx, move |_| {
                    let added = Preview::load(&path, &PreviewOptions::default())
                        .map_err(PrivacyError::from)
                        .and_then(|preview| {
                            crate::privacy::suppress_file(&core, &preview, &reason, &mut |_| {})
                        });
                    Event::Added(added)
                });
            }
            Action::RemoveSource(id) => privacy.confirm_remove = Some(id),
            Action::KeepSource => privacy.confirm_remove = None,
            Action::ConfirmRemoveSource(id) => {
                privacy.confirm_remove = None;
                let Some(core) = core else { return };
                self.tasks.blocking(ctx, move |_| {
                    Event::Removed(crate::privacy::unsuppress(&core, id))
                });
            }
            Action::EditPerson(text) => {
                privacy.person = text;
                privacy.found = None;
                privacy.confirm_erase = false;
            }
            Action::Find => {
                let Some(core) = core else { return };
                if privacy.person.trim().is_empty() {
                    return;
                }
                privacy.finding = true;
                let person = privacy.person.clone();
                self.tasks.blocking(ctx, move |_| {
                    Event::Found(crate::privacy::find(&core, &person, None))
                });
            }
            Action::Erase => {
                if !privacy.person.trim().is_empty() {
                    privacy.confirm_erase = true;
                }
            }
            Action::KeepPerson => privacy.confirm_erase = false,
            Action::ConfirmErase => {
                privacy.confirm_erase = false;
                let Some(core) = core else { return };
                if privacy.erasing {
                    return;
                }
                privacy.erasing = true;
                let person = privacy.person.clone();
                self.tasks.background(ctx, async move {
                    let starting = core.clone();
                    let started = crate::store::blocking(move || {
                        let found = crate::privacy::identities_of(&person, None)?;
                        let people: Vec<ErasedIdentity> = found
                            .into_iter()
                            .map(|(_, list_type, digest)| ErasedIdentity {
                                list_type,
                                digest: digest.to_hex(),
                            })
                            .collect();
                        crate::privacy::start_erasure(&starting, &people)
                    })
                    .await;
                    Event::Erased(Box::new(match started {
                        Ok(id) => {
                            let control = Arc::new(Control::default());
                            crate::privacy::carry_out(&core, id, control).await
                        }
                        Err(e) => Err(e),
                    }))
                });
            }
            Action::Finish(id) => {
                let Some(core) = core else { return };
                if privacy.erasing {
                    return;
                }
                privacy.erasing = true;
                self.tasks.background(ctx, async move {
                    let control = Arc::new(Control::default());
                    Event::Erased(Box::new(
                        crate::privacy::carry_out(&core, id, control).await,
                    ))
                });
            }
            Action::CopyPath(path) => {
                ctx.copy_text(path);
                self.notify("The receipt's path is on the clipboard.".into(), false);
            }
        }
    }

    pub(super) fn on_privacy(&mut self, event: Event, ctx: &egui::Context) {
        let privacy = &mut self.state.privacy;
        match event {
            Event::Loaded(read) => match *read {
                Ok((suppression, erasures)) => {
                    privacy.suppression = suppression;
                    privacy.erasures = erasures;
                    privacy.loaded = true;
                    privacy.load_error = None;
                }
                Err(error) => privacy.load_error = Some(error.to_string()),
            },
            Event::Chosen(Picked::Path(path)) => {
                privacy.file = path.display().to_string();
                privacy.add_error = None;
            }
            Event::Chosen(Picked::Cancelled) => {}
            Event::Chosen(Picked::Unavailable(why)) => {
                privacy.add_error = Some(format!("{why}; type the file's path in the box"));
            }
            Event::Added(result) => {
                privacy.adding = false;
                match result {
                    Ok(added) => {
                        privacy.file.clear();
                        privacy.reason.clear();
                        let n: u64 = added.counts.values().sum();
                        let text = format!(
                            "{} suppressed from {}: no upload or sync run sends them now.",
                            crate::display::count(n, "identity", "identities"),
                            crate::display::printable(&added.label)
                        );
                        self.notify(text, false);
                        self.load_privacy(ctx);
                    }
                    Err(error) => privacy.add_error = Some(error.to_string()),
                }
            }
            Event::Removed(Ok(removed)) => {
                let text = format!(
                    "Source {} is off the suppression list; what no other source holds can be \
                     sent again.",
                    removed.id
                );
                self.notify(text, false);
                self.load_privacy(ctx);
            }
            Event::Removed(Err(error)) => {
                self.notify(format!("Cannot remove the source: {error}"), true)
            }
            Event::Found(result) => {
                privacy.finding = false;
                privacy.found = Some(result.map_err(|e| e.to_string()));
            }
            Event::Erased(result) => {
                privacy.erasing = false;
                match *result {
                    Ok((receipt, _)) => {
                        let text = if receipt.complete {
                            format!(
                                "Erasure {} is done: taken out of {}, and suppressed from now on.",
                                receipt.erasure,
                                crate::display::count(receipt.lists.len() as u64, "list", "lists")
                            )
                        } else {
                            format!(
                                "Erasure {} is not finished: {}",
                                receipt.erasure,
                                receipt.pending.join("; ")
                            )
                        };
                        let failed = !receipt.complete;
                        self.notify(text, failed);
                    }
                    Err(error) => self.notify(format!("Cannot erase: {error}"), true),
                }
                self.load_privacy(ctx);
            }
        }
    }

    pub(super) fn load_privacy(&mut self, ctx: &egui::Context) {
        if let Some(core) = self.core() {
            self.tasks.blocking(ctx, move |_| {
                let read = crate::privacy::suppression(&core).and_then(|suppression| {
                    let erasures = crate::privacy::recent_erasures(&core, ERASURES_LISTED)?
                        .into_iter()
                        .map(|r| {
                            let path = crate::privacy::receipt_path(&core, r.erasure);
                            (r, path.display().to_string())
                        })
                        .collect();
                    Ok((suppression, erasures))
                });
                Event::Loaded(Box::new(read))
            });
        }
    }
}
