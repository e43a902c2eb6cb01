//! Actions applied: state changes, and the background tasks they start (file loads, scans,
//! logins, plans, jobs, token refreshes).

use super::*;

impl App {
    /// Applies an action: first its change to the state (`State::update`), then the work it
    /// starts.
    pub fn apply(&mut self, action: Action, ctx: &egui::Context) {
        self.state.update(&action);
        match action {
            Action::OpenFileDialog => self.tasks.pick_file(ctx, self.picker.clone()),
            Action::OpenFile(path) => {
                self.cancel_scan();
                self.tasks.load_preview(ctx, path.clone());
                self.state.file = FileState::Loading(path);
            }
            Action::Remap { .. } => self.restart_scan(ctx),
            Action::CancelScan => self.cancel_scan(),
            Action::LoadPage(page) => {
                if let Some(loaded) = self.state.loaded_mut()
                    && let Some(index) = loaded.index.clone()
                    && loaded.loading_pages.insert(page)
                {
                    let (preview, generation) = (loaded.preview.clone(), loaded.generation);
                    self.tasks.load_page(ctx, preview, index, page, generation);
                }
            }
            Action::ExportRejects => {
                if let Some(plan) = self.state.loaded().and_then(|l| l.preview.scan_plan().ok()) {
                    self.tasks.export_rejects(ctx, plan, self.picker.clone());
                }
            }
            Action::SaveConnection => {
                if let Some(core) = &self.core {
                    self.tasks
                        .save_connection(ctx, core.clone(), self.state.form.clone());
                }
            }
            Action::DeleteConnection(name) => {
                if let Some(core) = &self.core {
                    self.tasks.delete_connection(ctx, core.clone(), name);
                }
            }
            Action::Connect(name) => {
                if let (Some(core), Some(runtime)) = (&self.core, &self.runtime) {
                    self.state.connect = ConnectState::Waiting(name.clone());
                    self.connect_task = Some(self.tasks.connect(
                        ctx,
                        runtime,
                        core.clone(),
                        name,
                        self.opener.clone(),
                    ));
                }
            }
            Action::CancelConnect => {
                if let Some(task) = self.connect_task.take() {
                    task.abort();
                }
                self.state.connect = ConnectState::Idle;
            }
            Action::ShowView(view) => {
                self.fetch_lists_shown(ctx);
                if view == View::Syncs {
                    self.load_syncs(ctx);
                }
            }
            Action::EditUpload(_) => self.fetch_lists_shown(ctx),
            Action::ShowLists(name) => self.apply(Action::LoadLists(name), ctx),
            Action::LoadLists(name) => {
                if let (Some(core), Some(runtime)) = (&self.core, &self.runtime) {
                    self.state.lists.insert(name.clone(), ListsState::Loading);
                    self.tasks.load_lists(ctx, runtime, core.clone(), name);
                }
            }
            Action::Plan { start } => self.plan(start, ctx),
            // Changes to the state alone, made above.
            Action::DismissNotice
            | Action::SelectConnection(_)
            | Action::NewConnection
            | Action::EditForm(_)
            | Action::AskDelete
            | Action::CancelDelete
            | Action::SelectJob(_)
            | Action::EditSaveSync(_)
            | Action::AskRemoveSync
            | Action::CancelRemoveSync => {}
            Action::SaveSync => self.save_sync(ctx),
            Action::SelectSync(name) => {
                if let Some(core) = &self.core {
                    self.tasks.load_sync_history(ctx, core.clone(), name);
                }
            }
            Action::RunSync(name) => self.run_sync(name, ctx),
            Action::StopSync(name) => {
                if let Some(live) = self.state.syncs.live.get(&name) {
                    live.control.interrupt();
                }
            }
            Action::OpenLookalike
            | Action::EditLookalike(_)
            | Action::EditShare(_)
            | Action::AskRemoveAudience
            | Action::CloseAudienceDialog
            | Action::HideIdentities(_) => {}
            Action::SelectAudience(_) => self.load_selected_history(ctx),
            Action::OpenShare => {
                self.load_shared(ctx, None);
                if let Some(name) = self.state.audiences_connection().cloned()
                    && !matches!(
                        self.state.accounts.get(&name),
                        Some(AccountsState::Loaded(_))
                    )
                {
                    self.apply(Action::LoadAccounts(name), ctx);
                }
            }
            Action::Share { revoke } => {
                if let AudienceDialog::Share(picked) = &self.state.audiences.dialog
                    && !picked.is_empty()
                {
                    let change = (picked.iter().cloned().collect(), revoke);
                    self.load_shared(ctx, Some(change));
                }
            }
            Action::CreateLookalike => self.create_lookalike(ctx),
            Action::RemoveAudience(id) => {
                if let (Some(core), Some(runtime), Some(connection)) = (
                    &self.core,
                    &self.runtime,
                    self.state.audiences_connection().cloned(),
                ) {
                    self.state.audiences.busy = true;
                    let question = Question::Remove {
                        connection,
                        audience: id,
                    };
                    self.tasks.ask(ctx, runtime, core.clone(), question);
                }
            }
            Action::LoadAccounts(name) => {
                if let (Some(core), Some(runtime)) = (&self.core, &self.runtime) {
                    self.state
                        .accounts
                        .insert(name.clone(), AccountsState::Loading);
                    let question = Question::Accounts(name);
                    self.tasks.ask(ctx, runtime, core.clone(), question);
                }
            }
            Action::CopyRedirect => {
                ctx.copy_text(self.state.redirect_uri.clone());
                self.notify(
                    format!("Copied {} to the clipboard.", self.state.redirect_uri),
                    false,
                );
            }
            Action::RemoveSync(name) => {
                if let Some(core) = &self.core {
                    self.tasks.remove_sync(ctx, core.clone(), name);
                }
            }
            Action::PauseJob(id) => {
                if let Some(live) = self.state.jobs.live.get(&id) {
                    live.control.pause();
                }
            }
            Action::ResumeJob(id) => match self.state.jobs.live.get(&id) {
                Some(live) => live.control.resume(),
                None => self.run_job(id, ctx),
            },
            Action::CancelJob(id) => {
                if let Some(live) = self.state.jobs.live.get(&id) {
                    live.control.cancel();
                }
            }
        }
    }

    pub(super) fn plan(&mut self, start: bool, ctx: &egui::Context) {
        let (Some(core), Some(loaded)) = (self.core.clone(), self.state.loaded()) else {
            return;
        };
        let preview = loaded.preview.clone();
        let form = &self.state.upload;
        let Some(connection) = form.connection.clone() else {
            return;
        };
        let target = match (&form.new_list, &form.list_id) {
            (true, _) => Target::NewList(form.list_name.trim().to_owned()),
            (false, Some(id)) => Target::List(id.clone()),
            (false, None) => return,
        };
        let spec = JobSpec {
            mode: form.mode,
            target,
            create_audience: form.create_audience,
            batch_size: DEFAULT_BATCH_SIZE,
        };
        self.state.plan = PlanState::Planning {
            progress: Default::default(),
            start,
        };
        self.tasks.plan(ctx, core, preview, connection, spec, start);
    }

    /// Runs a journaled job (new or resumed) in the background and shows it on the jobs screen.
    pub(super) fn run_job(&mut self, id: i64, ctx: &egui::Context) {
        let (Some(core), Some(runtime)) = (&self.core, &self.runtime) else {
            return;
        };
        if self.state.jobs.live.contains_key(&id) {
            return;
        }
        let control = Arc::new(Control::default());
        let (sender, receiver) = watch::channel(JobProgress::new(id));
        self.tasks
            .run_job(ctx, runtime, core.clone(), id, control.clone(), sender);
        self.state.jobs.live.insert(
            id,
            LiveJob {
                progress: receiver,
                control,
                started: Instant::now(),
            },
        );
        self.state.jobs.throughput.insert(id, Vec::new());
        self.state.jobs.selected = Some(id);
        self.state.view = View::Jobs;
        self.jobs.expire();
    }

    /// Reads what the app saw of the selected audience's list over time.
    fn load_selected_history(&mut self, ctx: &egui::Context) {
        let (Some(core), Some(audience)) = (&self.core, self.state.selected_audience()) else {
            return;
        };
        let (Some(ad), Some(list)) = (&audience.audience.ad_account_id, audience.list_id()) else {
            return;
        };
        self.tasks
            .load_list_history(ctx, core.clone(), ad.clone(), list.to_owned());
    }

    /// Reads who the selected audience is shared with, sharing or revoking first when asked.
    fn load_shared(&mut self, ctx: &egui::Context, change: Option<(Vec<String>, bool)>) {
        let (Some(core), Some(runtime)) = (&self.core, &self.runtime) else {
            return;
        };
        let (Some(connection), Some(audience)) = (
            self.state.audiences_connection().cloned(),
            self.state.audiences.selected.clone(),
        ) else {
            return;
        };
        self.state.audiences.busy = change.is_some();
        let question = Question::Shared {
            connection,
            audience,
            change,
        };
        self.tasks.ask(ctx, runtime, core.clone(), question);
    }

    fn create_lookalike(&mut self, ctx: &egui::Context) {
        let (Some(core), Some(runtime)) = (&self.core, &self.runtime) else {
            return;
        };
        let (AudienceDialog::Lookalike(form), Some(seed), Some(connection)) = (
            &self.state.audiences.dialog,
            self.state.audiences.selected.clone(),
            self.state.audiences_connection().cloned(),
        ) else {
            return;
        };
        let request = crate::audiences::Lookalike {
            seeds: vec![seed],
            country: form.country.clone(),
            percent: form.percent,
            name: Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()),
        };
        self.state.audiences.busy = true;
        let question = Question::Lookalike {
            connection,
            request,
        };
        self.tasks.ask(ctx, runtime, core.clone(), question);
    }

    /// Saves the loaded file, its mapping as the preview shows it, and the upload settings as
    /// a sync with the name and schedule of the "Save as sync" form.
    fn save_sync(&mut self, ctx: &egui::Context) {
        if self.state.save_sync_blocker().is_some() {
            return;
        }
        let (Some(core), Some(loaded)) = (self.core.clone(), self.state.loaded()) else {
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
        let mut settings = SyncSettings {
            source: Source::File(std::path::absolute(path).unwrap_or_else(|_| path.clone())),
            header: true,
            delimiter: crate::source::Delimiter::Comma,
            columns: Vec::new(),
            target,
            mode: form.mode,
            create_audience: form.create_audience,
            schedule,
            batch_size: DEFAULT_BATCH_SIZE,
        };
        settings.take_columns(&loaded.preview);
        let name = save.name.trim().to_owned();
        self.tasks.save_sync(ctx, core, name, connection, settings);
    }

    /// Runs a sync now, in the background, with its progress on the Syncs screen.
    pub(super) fn run_sync(&mut self, name: String, ctx: &egui::Context) {
        let (Some(core), Some(runtime)) = (&self.core, &self.runtime) else {
            return;
        };
        if self.state.syncs.live.contains_key(&name) {
            return;
        }
        let control = Arc::new(Control::default());
        let (sender, receiver) = watch::channel(RunProgress::default());
        self.tasks.run_sync(
            ctx,
            runtime,
            core.clone(),
            name.clone(),
            control.clone(),
            sender,
        );
        self.state.syncs.live.insert(
            name,
            LiveRun {
                progress: receiver,
                control,
            },
        );
    }

    pub(super) fn load_syncs(&mut self, ctx: &egui::Context) {
        if let Some(core) = &self.core {
            self.tasks.load_syncs(ctx, core.clone());
        }
    }

    /// Fetches the lists the screen on show needs, once; views only read them.
    pub(super) fn fetch_lists_shown(&mut self, ctx: &egui::Context) {
        if let Some(name) = self.state.lists_wanted() {
            self.apply(Action::LoadLists(name), ctx);
        }
    }

    /// Every few minutes, refreshes the tokens within the margin of expiry in the background.
    pub(super) fn keep_fresh(&mut self) {
        let (Some(core), Some(runtime)) = (&self.core, &self.runtime) else {
            return;
        };
        if self.fresh.due() {
            Tasks::keep_fresh(runtime, core.clone());
        }
    }

    /// Starts the full pass for the current mapping, cancelling any pass still running.
    pub(super) fn restart_scan(&mut self, ctx: &egui::Context) {
        self.cancel_scan();
        let Some(loaded) = self.state.loaded_mut() else {
            return;
        };
        loaded.generation += 1;
        // The pages show the old mapping; the rows are read again under the new one.
        loaded.pages.clear();
        loaded.loading_pages.clear();
        match loaded.preview.scan_plan() {
            Ok(plan) => {
                let cancel = Arc::new(AtomicBool::new(false));
                loaded.scan = ScanState::Running {
                    progress: Default::default(),
                    cancel: cancel.clone(),
                };
                self.tasks.scan(ctx, plan, loaded.generation, cancel);
            }
            Err(error) => loaded.scan = ScanState::NoIdentity(error.to_string()),
        }
    }

    pub(super) fn cancel_scan(&mut self) {
        if let Some(loaded) = self.state.loaded_mut()
            && let ScanState::Running { cancel, .. } = &loaded.scan
        {
            cancel.store(true, Ordering::Relaxed);
            loaded.scan = ScanState::Cancelled;
        }
    }
}
