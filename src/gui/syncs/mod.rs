//! Saved syncs: "Save as sync" on the Upload screen, the Syncs screen's list, history, Run
//! now, Stop and Remove, and the watcher that runs due syncs while the window is open.

mod editor;
pub mod view;

use std::sync::Arc;

use eframe::egui;
use tokio::sync::watch;

use super::App;
use super::picker::Picked;
use super::state::{LiveRun, SaveSyncForm, ScheduleChoice, SyncEditForm, View};
use crate::store::StoreError;
use crate::syncs::{
    DEFAULT_SETTLE, RunOutcome, RunProgress, RunView, Schedule, Source, SyncOverview, SyncSettings,
    SyncTarget, Trigger, WatchEvent, Watcher, run_sync,
};
use crate::upload::{Control, DEFAULT_BATCH_SIZE, JobError};

/// Runs a sync's page shows: the newest ones.
const SYNC_RUNS_SHOWN: usize = 200;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    EditSave(SaveSyncForm),
    /// Saves the loaded file, its mapping and the upload settings as a sync.
    Save,
    Select(String),
    Run(String),
    /// Runs it, sending the removals the guard holds.
    RunConfirming(String),
    /// Stops a run this window started; its job stays resumable.
    Stop(String),
    AskRemove,
    CancelRemove,
    Remove(String),
    /// Writes a run's rejects where the user says.
    RunRejects {
        sync: String,
        run: i64,
    },
    /// Opens the editor of every setting of the sync.
    OpenEditor(String),
    EditSettings(Box<SyncEditForm>),
    SaveSettings,
    CloseEditor,
}

pub enum Event {
    Loaded(Result<Vec<SyncOverview>, StoreError>),
    History {
        name: String,
        result: Result<Vec<RunView>, StoreError>,
    },
    Saved(Result<String, JobError>),
    /// A run's rejects written (where, how many), or why not; `None`: the dialog was closed.
    RunRejects(Option<Result<(std::path::PathBuf, u64), JobError>>),
    /// An edit saved (the new name), or refused.
    Edited(Result<String, JobError>),
    Removed(Result<String, StoreError>),
    /// A run this window started ended (`None`: another process had just run it).
    RunEnded {
        name: String,
        result: Result<Option<RunOutcome>, JobError>,
    },
    /// The background watcher started or ended a due run.
    Watch(WatchEvent),
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::Syncs(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::Syncs(event)
    }
}

impl App {
    pub(super) fn apply_syncs(&mut self, action: Action, ctx: &egui::Context) {
        let syncs = &mut self.state.syncs;
        match action {
            Action::EditSave(form) => {
                syncs.save = form;
                syncs.save_result = None;
            }
            Action::Save => self.save_sync(ctx),
            Action::Select(name) => {
                if syncs.selected.as_ref() != Some(&name) {
                    syncs.history = None;
                }
                syncs.selected = Some(name.clone());
                syncs.confirm_remove = false;
                self.state.view = View::Syncs;
                self.load_sync_history(name, ctx);
            }
            Action::Run(name) => self.run_sync(name, Trigger::Now, ctx),
            Action::RunConfirming(name) => self.run_sync(name, Trigger::NowConfirmingRemovals, ctx),
            Action::Stop(name) => {
                if let Some(live) = syncs.live.get(&name) {
                    live.control.interrupt();
                }
            }
            Action::RunRejects { sync, run } => {
                let Some(core) = self.core() else { return };
                let picker = self.picker.clone();
                self.tasks.blocking(ctx, move |_| {
                    let suggested = format!("rejects-{sync}-run-{run}.csv");
                    let target = match picker.save_file(&suggested) {
                        Picked::Path(path) => path,
                        Picked::Cancelled => return Event::RunRejects(None),
                        // No dialog here: the downloads folder, said in the notice.
                        Picked::Unavailable(_) => dirs::download_dir()
                            .or_else(dirs::home_dir)
                            .unwrap_or_default()
                            .join(&suggested),
                    };
                    let written = crate::syncs::write_run_rejects(&core, &sync, run, &target);
                    Event::RunRejects(Some(written.map(|n| (target, n))))
                });
            }
            Action::OpenEditor(name) => {
                let form = syncs
                    .entries
                    .iter()
                    .find(|s| s.row.name == name)
                    .and_then(|s| {
                        let settings = s.settings.as_ref()?;
                        Some(SyncEditForm::of(&name, &s.row.connection, settings))
                    });
                syncs.edit = form;
            }
            Action::EditSettings(form) => syncs.edit = Some(*form),
            Action::CloseEditor => syncs.edit = None,
            Action::SaveSettings => self.save_edit(ctx),
            Action::AskRemove => syncs.confirm_remove = true,
            Action::CancelRemove => syncs.confirm_remove = false,
            Action::Remove(name) => {
                syncs.confirm_remove = false;
                let Some(core) = self.core() else { return };
                self.tasks.blocking(ctx, move |_| {
                    Event::Removed(crate::syncs::remove(&core, &name).map(|row| row.name))
                });
            }
        }
    }

    pub(super) fn on_syncs(&mut self, event: Event, ctx: &egui::Context) {
        match event {
            Event::Loaded(Ok(entries)) => self.syncs_loaded(entries, ctx),
            Event::Loaded(Err(error)) => {
                self.notify(format!("Cannot read the syncs: {error}"), true)
            }
            Event::History { name, result } => match result {
                Ok(runs) => {
                    if self.state.shown_sync().is_some_and(|s| s.row.name == name) {
                        self.state.syncs.history = Some((name, runs));
                    }
                }
                Err(error) => {
                    self.notify(format!("Cannot read the runs of '{name}': {error}"), true)
                }
            },
            Event::Saved(result) => {
                self.state.syncs.save_result = Some(
                    result
                        .map(|name| {
                            format!(
                                "Saved sync '{name}'; the Syncs screen runs it and shows its \
                                 history."
                            )
                        })
                        .map_err(|e| e.to_string()),
                );
                self.load_syncs(ctx);
            }
            Event::RunRejects(None) => {}
            Event::RunRejects(Some(Ok((path, count)))) => self.notify(
                format!(
                    "Saved {} to {}",
                    crate::display::count(count, "reject", "rejects"),
                    path.display()
                ),
                false,
            ),
            Event::RunRejects(Some(Err(error))) => {
                self.notify(format!("Could not save the run's rejects: {error}"), true)
            }
            Event::Edited(Ok(name)) => {
                self.state.syncs.edit = None;
                self.state.syncs.selected = Some(name.clone());
                self.state.syncs.history = None;
                self.notify(format!("Saved the settings of sync '{name}'."), false);
                self.load_syncs(ctx);
            }
            Event::Edited(Err(error)) => {
                if let Some(form) = &mut self.state.syncs.edit {
                    form.error = Some(error.to_string());
                }
            }
            Event::Removed(result) => {
                match result {
                    Ok(name) => {
                        self.state.syncs.selected = None;
                        self.state.syncs.history = None;
                        self.notify(format!("Removed sync '{name}' and its history."), false);
                    }
                    Err(error) => self.notify(format!("Could not remove the sync: {error}"), true),
                }
                self.load_syncs(ctx);
            }
            Event::RunEnded { name, result } => {
                self.state.syncs.live.remove(&name);
                match result {
                    Ok(Some(outcome)) => self.sync_run_ended(&name, &outcome, false),
                    Ok(None) => {}
                    Err(error) => self.notify(format!("Sync '{name}' did not run: {error}"), true),
                }
                self.sync_changed(ctx);
            }
            Event::Watch(event) => {
                self.watched(event, ctx);
                self.sync_changed(ctx);
            }
        }
    }

    pub(super) fn load_syncs(&mut self, ctx: &egui::Context) {
        if let Some(core) = self.core() {
            self.tasks
                .blocking(ctx, move |_| Event::Loaded(crate::syncs::list(&core)));
        }
    }

    fn load_sync_history(&mut self, name: String, ctx: &egui::Context) {
        if let Some(core) = self.core() {
            self.tasks.blocking(ctx, move |_| {
                let result = crate::syncs::history(&core, &name, SYNC_RUNS_SHOWN);
                Event::History { name, result }
            });
        }
    }

    /// Runs every saved sync on its schedule while the app is open: the same watcher as
    /// `sync watch`, stopped (its runs interrupted, resumable) through the control kept.
    pub(super) fn watch_syncs(&mut self, ctx: &egui::Context) {
        let Some(core) = self.core() else { return };
        if self.watcher.is_some() || !self.run_due_syncs {
            return;
        }
        let control = Arc::new(Control::default());
        let emit = self.tasks.emitter(ctx);
        let watcher = Watcher::new(core, control.clone(), DEFAULT_SETTLE);
        self.tasks.detached(async move {
            watcher.watch(|event| emit.send(Event::Watch(event))).await;
        });
        self.watcher = Some(control);
    }

    /// Saves the loaded file, its mapping as the preview shows it, and the upload settings as
    /// a sync with the name and schedule of the "Save as sync" form.
    fn save_sync(&mut self, ctx: &egui::Context) {
        if self.state.save_sync_blocker().is_some() {
            return;
        }
        let (Some(core), Some(loaded)) = (self.core(), self.state.loaded()) else {
            return;
        };
        let (form, save) = (&self.state.upload, &self.state.syncs.save);
        let Some(connection) = form.connection.clone() else {
            return;
        };
        let target = match (&form.new_list, &form.list_id) {
            (true, _) => SyncTarget::NewList(form.list_name.trim().to_owned()),
            (false, Some(id)) => SyncTarget::List(id.clone()),
            (false, None) => return,
        };
        let schedule = match save.schedule {
            ScheduleChoice::ByHand => Schedule::Manual,
            ScheduleChoice::Every => Schedule::Every {
                seconds: u64::from(save.every) * save.unit.seconds(),
            },
            ScheduleChoice::OnChange => Schedule::OnChange,
        };
        let path = &loaded.preview.path;
        // A query's sync runs the query each time, not its result of today.
        let source = match &loaded.from_query {
            Some((query, _)) => Source::Query(query.clone()),
            None => Source::File(std::path::absolute(path).unwrap_or_else(|_| path.clone())),
        };
        let mut settings = SyncSettings {
            source,
            header: true,
            delimiter: crate::source::Delimiter::Comma,
            columns: Vec::new(),
            target,
            mode: save.mode,
            create_audience: form.create_audience,
            schedule,
            batch_size: DEFAULT_BATCH_SIZE,
            max_removal_share: None,
            floor: None,
            // The sheet or archive file the window read, so that each run reads the same.
            part: loaded
                .preview
                .unpacked
                .as_ref()
                .map(crate::source::Unpacked::as_part)
                .unwrap_or_default(),
        };
        settings.take_columns(&loaded.preview);
        let name = save.name.trim().to_owned();
        self.tasks.blocking(ctx, move |_| {
            let saved = crate::syncs::add(&core, &name, &connection, &settings);
            Event::Saved(saved.map(|row| row.name))
        });
    }

    /// Saves the editor's settings over the sync's.
    fn save_edit(&mut self, ctx: &egui::Context) {
        let Some(core) = self.core() else { return };
        let Some(form) = self.state.syncs.edit.clone() else {
            return;
        };
        let Some(saved) = self
            .state
            .syncs
            .entries
            .iter()
            .find(|s| s.row.name == form.editing)
            .and_then(|s| s.settings.clone())
        else {
            return;
        };
        let settings = form.settings(&saved);
        self.tasks.blocking(ctx, move |_| {
            let name = form.name.trim();
            let edited =
                crate::syncs::edit(&core, &form.editing, name, &form.connection, &settings);
            Event::Edited(edited.map(|row| row.name))
        });
    }

    /// Runs a sync now, in the background, with its progress on the Syncs screen.
    fn run_sync(&mut self, name: String, trigger: Trigger, ctx: &egui::Context) {
        let Some(core) = self.core() else { return };
        if self.state.syncs.live.contains_key(&name) {
            return;
        }
        let control = Arc::new(Control::default());
        let (sender, progress) = watch::channel(RunProgress::default());
        let (running, run) = (control.clone(), name.clone());
        self.tasks.background(ctx, async move {
            let result = run_sync(core, &run, running, sender, trigger).await;
            Event::RunEnded { name: run, result }
        });
        self.state
            .syncs
            .live
            .insert(name, LiveRun { progress, control });
    }

    /// The syncs as read; the shown one's history is read again when it has a newer run.
    fn syncs_loaded(&mut self, entries: Vec<SyncOverview>, ctx: &egui::Context) {
        self.state.syncs.entries = entries;
        let Some(shown) = self.state.shown_sync() else {
            self.state.syncs.history = None;
            return;
        };
        // A newer run, or the newest one since it ended.
        let newest = shown.last.as_ref().map(|r| (r.id, r.state));
        let name = shown.row.name.clone();
        let stale = match &self.state.syncs.history {
            Some((of, runs)) => {
                *of != name || runs.last().map(|r| (r.row.id, r.row.state)) != newest
            }
            None => true,
        };
        if stale {
            self.load_sync_history(name, ctx);
        }
    }

    /// What the background watcher did.
    fn watched(&mut self, event: WatchEvent, ctx: &egui::Context) {
        match event {
            // Shown live on the Syncs screen, with Stop, as a run started here is (unless one
            // started here is on already).
            WatchEvent::Started {
                sync,
                progress,
                control,
            } => {
                self.state
                    .syncs
                    .live
                    .entry(sync)
                    .or_insert(LiveRun { progress, control });
            }
            WatchEvent::NotRun { sync, control } => self.watched_run_over(&sync, &control),
            WatchEvent::Ended {
                sync,
                outcome,
                control,
            } => {
                self.watched_run_over(&sync, &control);
                self.sync_run_ended(&sync, &outcome, true)
            }
            WatchEvent::Trouble {
                sync,
                message,
                control,
            } => {
                self.watched_run_over(&sync, &control);
                self.notify(format!("Sync '{sync}': {message}"), true)
            }
            WatchEvent::Health(news) => {
                for name in self.tell_news(vec![news]) {
                    self.reload_lists(name, ctx);
                }
            }
        }
    }

    /// A background run is over: its live entry goes (not one started here meanwhile).
    fn watched_run_over(&mut self, sync: &str, control: &Arc<Control>) {
        let live = &mut self.state.syncs.live;
        if live
            .get(sync)
            .is_some_and(|l| Arc::ptr_eq(&l.control, control))
        {
            live.remove(sync);
        }
    }

    /// A run started or ended: the syncs, their history and the jobs are read again.
    fn sync_changed(&mut self, ctx: &egui::Context) {
        self.syncs.expire();
        self.jobs.expire();
        self.load_syncs(ctx);
    }

    /// Says how a run ended; a background run that went wrong raises a desktop notification
    /// too (nobody may be looking at the window).
    fn sync_run_ended(&mut self, name: &str, outcome: &RunOutcome, background: bool) {
        let text = format!(
            "Sync '{name}' run {} {}{}",
            outcome.run,
            outcome.state.as_str(),
            outcome
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
        let failed = outcome.state.is_failure();
        if failed && background {
            self.alert("Sync failed", text, true);
        } else if failed || !background {
            self.notify(text, failed);
        }
    }
}
