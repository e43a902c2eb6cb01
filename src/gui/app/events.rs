//! What the background tasks report, applied to the app's state: loads, logins, plans, job
//! progress and ends, and the warnings they call for.

use super::*;
use crate::syncs::{RunOutcome, WatchEvent};

impl App {
    pub(super) fn on_event(&mut self, event: Event, ctx: &egui::Context) {
        match event {
            Event::Picked(path) => self.apply(Action::OpenFile(path), ctx),
            Event::PreviewLoaded { path, result } => {
                let current = matches!(&self.state.file, FileState::Loading(p) if *p == path);
                if !current {
                    return;
                }
                self.state.file = match result {
                    Ok(preview) => FileState::Loaded(Box::new(Loaded::new(preview))),
                    Err(error) => FileState::Failed { path, error },
                };
                self.restart_scan(ctx);
            }
            Event::ScanProgress {
                generation,
                progress,
            } => {
                if let Some(loaded) = self.current(generation)
                    && let ScanState::Running { progress: p, .. } = &mut loaded.scan
                {
                    *p = progress;
                }
            }
            Event::ScanFinished { generation, result } => {
                if let Some(loaded) = self.current(generation) {
                    loaded.scan = match result {
                        Ok((summary, index)) => {
                            loaded.index = Some(Arc::new(index));
                            ScanState::Done(Box::new(summary))
                        }
                        Err(_) if matches!(loaded.scan, ScanState::Cancelled) => {
                            ScanState::Cancelled
                        }
                        Err(error) => ScanState::Failed(error),
                    };
                }
            }
            Event::Page {
                generation,
                page,
                result,
            } => {
                let failed = self.current(generation).and_then(|loaded| match result {
                    Ok(rows) => {
                        loaded.keep_page(page, rows);
                        None
                    }
                    Err(error) => {
                        // Kept empty so it is not asked for again on every frame.
                        loaded.keep_page(page, Vec::new());
                        Some(error)
                    }
                });
                if let Some(error) = failed {
                    self.notify(
                        format!("Could not read those rows of the file: {error}"),
                        true,
                    );
                }
            }
            Event::Connections(rows) => {
                self.state.connections = rows;
                self.warn_about_connections();
                self.keep_fresh();
                self.fetch_lists_shown(ctx);
            }
            Event::Lists { name, result } => {
                let entry = match result {
                    Ok(mut lists) => {
                        self.tell_news(std::mem::take(&mut lists.news));
                        ListsState::Loaded(lists)
                    }
                    Err(error) => ListsState::Failed(error),
                };
                self.state.lists.insert(name, entry);
            }
            Event::Saved(result) => match result {
                Ok(name) => {
                    self.statuses.expire();
                    self.state.form.editing = Some(name.clone());
                    self.state.form.app_secret.clear();
                    self.state.form.error = None;
                    self.state.selected = Some(name.clone());
                    self.state.notice = Some(Notice {
                        text: format!("Saved '{name}'."),
                        is_error: false,
                    });
                }
                Err(error) => self.state.form.error = Some(error),
            },
            Event::Deleted(result) => {
                self.statuses.expire();
                match result {
                    Ok(name) => {
                        self.state.form = ConnectionForm::default();
                        self.state.selected = None;
                        self.state.notice = Some(Notice {
                            text: format!("Deleted '{name}' with its tokens."),
                            is_error: false,
                        });
                    }
                    Err(error) => self.state.form.error = Some(error),
                }
            }
            Event::Connected { name, result } => {
                self.connect_task = None;
                self.statuses.expire();
                self.state.connect = match result {
                    Ok(summary) => ConnectState::Done { name, summary },
                    Err(error) => ConnectState::Failed { name, error },
                };
            }
            Event::PlanProgress(progress) => {
                if let PlanState::Planning { progress: p, .. } = &mut self.state.plan {
                    *p = progress;
                }
            }
            Event::Planned(result) => match result {
                Ok((plan, job)) => {
                    self.state.plan = PlanState::Ready(plan);
                    if let Some(job) = job {
                        self.notify(
                            format!("Job {job} started; it goes on if you switch screens."),
                            false,
                        );
                        self.run_job(job, ctx);
                    }
                }
                Err(error) => self.state.plan = PlanState::Failed(error),
            },
            Event::Jobs(entries) => self.state.jobs.entries = entries,
            Event::Syncs(entries) => self.syncs_loaded(entries, ctx),
            Event::SyncHistory { name, result } => match result {
                Ok(runs) => {
                    if self.state.shown_sync().is_some_and(|s| s.row.name == name) {
                        self.state.syncs.history = Some((name, runs));
                    }
                }
                Err(error) => {
                    self.notify(format!("Cannot read the runs of '{name}': {error}"), true)
                }
            },
            Event::SyncSaved(result) => {
                self.state.syncs.save_result = Some(result.map(|name| {
                    format!("Saved sync '{name}'; the Syncs screen runs it and shows its history.")
                }));
                self.load_syncs(ctx);
            }
            Event::SyncRemoved(result) => {
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
            Event::SyncRunEnded { name, result } => {
                self.state.syncs.live.remove(&name);
                match result {
                    Ok(Some(outcome)) => self.sync_run_ended(&name, &outcome, false),
                    Ok(None) => {}
                    Err(error) => self.notify(format!("Sync '{name}' did not run: {error}"), true),
                }
                self.sync_changed(ctx);
            }
            Event::ListHistory { list_id, result } => match result {
                Ok(seen) => {
                    let shown = self.state.selected_audience().and_then(|a| a.list_id());
                    if shown == Some(list_id.as_str()) {
                        self.state.audiences.history = Some((list_id, seen));
                    }
                }
                Err(error) => self.notify(format!("Cannot read the list's history: {error}"), true),
            },
            Event::LookalikeMade(result) => {
                self.state.audiences.busy = false;
                if result.is_ok() {
                    self.state.audiences.dialog = AudienceDialog::None;
                    self.reload_shown_lists(ctx);
                }
                self.state.audiences.said = Some(result);
            }
            Event::Shared {
                audience,
                result,
                said,
            } => {
                // A share or revoke was asked for (not only a look at who has it).
                let asked = std::mem::take(&mut self.state.audiences.busy);
                if let Some(said) = said {
                    self.state.audiences.said = Some(Ok(said));
                    self.state.audiences.dialog = AudienceDialog::Share(Default::default());
                }
                if let Err(error) = &result
                    && asked
                {
                    self.state.audiences.said = Some(Err(error.clone()));
                }
                self.state.audiences.shared = Some((audience, result));
            }
            Event::AudienceRemoved(result) => {
                self.state.audiences.busy = false;
                if result.is_ok() {
                    self.state.audiences.dialog = AudienceDialog::None;
                    self.state.audiences.selected = None;
                    self.reload_shown_lists(ctx);
                }
                self.state.audiences.said = Some(result);
            }
            Event::Accounts { name, result } => {
                let entry = match result {
                    Ok(accounts) => AccountsState::Loaded(accounts),
                    Err(error) => AccountsState::Failed(error),
                };
                self.state.accounts.insert(name, entry);
            }
            Event::Watch(event) => {
                match event {
                    // Shown live on the Syncs screen, with Stop, as a run started here is
                    // (unless one started here is on already).
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
                    WatchEvent::Health(news) => self.health_news(vec![news], ctx),
                }
                self.sync_changed(ctx);
            }
            Event::LoadFailed(text) => self.notify(text, true),
            Event::JobEnded { job, result } => self.job_ended(job, result, ctx),
            Event::RejectsExported(result) => {
                self.state.notice = Some(match result {
                    Ok((path, count)) => Notice {
                        text: format!("Saved {count} rejects to {}", path.display()),
                        is_error: false,
                    },
                    Err(error) => Notice {
                        text: format!("Could not export the rejects: {error}"),
                        is_error: true,
                    },
                });
            }
        }
    }

    pub(super) fn job_ended(
        &mut self,
        job: i64,
        result: Result<crate::upload::JobReport, String>,
        ctx: &egui::Context,
    ) {
        self.state.jobs.live.remove(&job);
        self.jobs.expire();
        // The job made or changed lists: the lists on screen (or in the picker) are stale.
        let connection = self
            .state
            .jobs
            .entries
            .iter()
            .find(|e| e.row.id == job)
            .map(|e| e.row.connection.clone());
        if let Some(name) = connection.filter(|c| self.state.lists.contains_key(c)) {
            self.apply(Action::LoadLists(name), ctx);
        }
        match result {
            Ok(report) => {
                let p = &report.progress;
                let counts = format!(
                    "{} of {} records acknowledged",
                    crate::display::group(p.records_acked),
                    crate::display::group(p.records_total)
                );
                let text = match (&p.state, &p.message) {
                    (JobState::Completed, _) => format!("Job {job} completed: {counts}."),
                    (state, Some(message)) => {
                        format!("Job {job} {}: {counts}. {message}", state.label())
                    }
                    (state, None) => format!("Job {job} {}: {counts}.", state.label()),
                };
                let summary = match p.state {
                    JobState::Interrupted => return self.notify(text, false),
                    JobState::Completed => "Upload finished",
                    JobState::Cancelled => "Upload cancelled",
                    JobState::Failed | JobState::WaitingForReconnect => "Upload failed",
                    JobState::Running | JobState::Paused => "Upload stopped",
                };
                self.alert(summary, text, p.state != JobState::Completed);
            }
            Err(error) => self.alert("Upload failed", format!("Job {job} failed: {error}"), true),
        }
    }

    /// The syncs as read; the shown one's history is read again when it has a newer run.
    fn syncs_loaded(&mut self, entries: Vec<crate::syncs::SyncOverview>, ctx: &egui::Context) {
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
        if stale && let Some(core) = &self.core {
            self.tasks.load_sync_history(ctx, core.clone(), name);
        }
    }

    /// Audiences this app made became READY or TOO_SMALL: said, and the lists on show read
    /// again.
    pub(super) fn health_news(
        &mut self,
        news: Vec<crate::audiences::HealthNews>,
        ctx: &egui::Context,
    ) {
        for name in self.tell_news(news) {
            if self.state.lists.contains_key(&name) {
                self.apply(Action::LoadLists(name), ctx);
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

    /// Alerts about each audience that settled; returns their connections.
    fn tell_news(
        &mut self,
        news: Vec<crate::audiences::HealthNews>,
    ) -> std::collections::BTreeSet<String> {
        let mut connections = std::collections::BTreeSet::new();
        for item in news {
            let ready = item.status == "READY";
            let title = if ready {
                "Audience ready"
            } else {
                "Audience too small"
            };
            self.alert(title, item.sentence(), !ready);
            connections.insert(item.connection);
        }
        connections
    }

    /// Reads the Audiences screen's lists again (something was made or removed).
    fn reload_shown_lists(&mut self, ctx: &egui::Context) {
        if let Some(name) = self.state.audiences_connection().cloned() {
            self.apply(Action::LoadLists(name), ctx);
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

    /// Says once per session when a connection needs the user: a reconnect now, or soon
    /// because its refresh token is about to end.
    pub(super) fn warn_about_connections(&mut self) {
        let now = crate::home::now();
        let mut warnings = Vec::new();
        for row in &self.state.connections {
            if let Some(text) = row.attention(now)
                && self.warned.insert(row.connection.name.clone())
            {
                warnings.push(text);
            }
        }
        if !self.keyring_warned
            && let Some(trouble) = self.core.as_ref().and_then(|c| c.secrets.trouble())
        {
            self.keyring_warned = true;
            warnings.push(trouble);
        }
        for text in warnings {
            self.alert("Connection needs you", text, true);
        }
    }
}
