use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use eframe::egui;
use tokio::sync::watch;

use super::picker::FilePicker;
use super::state::{
    ConnectState, ConnectionForm, FileState, ListsState, LiveJob, Loaded, Notice, PlanState,
    ScanState, State, UploadForm, View,
};
use super::tasks::{Event, Opener, Tasks};
use super::{audiences_view, connections_view, jobs_view, notify, preview_view, upload_view};
use crate::core::Core;
use crate::identity::Namespace;
use crate::pinterest::ConnectionState;
use crate::store::JobState;
use crate::sync::{Control, DEFAULT_BATCH_SIZE, JobProgress, JobSpec, Target};

/// What the user asked for, as views report it.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    OpenFileDialog,
    OpenFile(PathBuf),
    Remap {
        column: usize,
        namespace: Namespace,
    },
    CancelScan,
    /// Reads a page of rows for the table (the user scrolled to it).
    LoadPage(u64),
    ExportRejects,
    DismissNotice,
    SelectConnection(String),
    NewConnection,
    EditForm(ConnectionForm),
    SaveConnection,
    AskDelete,
    CancelDelete,
    DeleteConnection(String),
    Connect(String),
    CancelConnect,
    ShowView(View),
    /// Shows the lists and audiences of a connection, fetching them.
    ShowLists(String),
    /// Fetches a connection's lists without leaving the screen.
    LoadLists(String),
    EditUpload(UploadForm),
    /// A dry run, or the plan and then the job when `start`.
    Plan {
        start: bool,
    },
    SelectJob(i64),
    PauseJob(i64),
    /// Continues a paused job, or resumes one left unfinished (interrupted, failed).
    ResumeJob(i64),
    CancelJob(i64),
}

/// How often the jobs list is read again while the app is open.
const JOBS_EVERY: Duration = Duration::from_secs(2);
/// How often tokens close to expiry are refreshed in the background.
const FRESH_EVERY: Duration = Duration::from_secs(300);
/// A refresh token this close to its end means a reconnect soon: say so once.
const RECONNECT_WARNING_SECONDS: i64 = 7 * 86_400;

/// The desktop app's state and its background tasks.
pub struct App {
    pub state: State,
    tasks: Tasks,
    picker: Arc<dyn FilePicker>,
    core: Option<Arc<Core>>,
    runtime: Option<tokio::runtime::Runtime>,
    opener: Opener,
    connect_task: Option<tokio::task::AbortHandle>,
    statuses_loaded_at: Option<Instant>,
    jobs_loaded_at: Option<Instant>,
    fresh_checked_at: Option<Instant>,
    /// What to do on the first frame, once a context exists: reopen the last file, and in
    /// demo mode connect.
    pending: Vec<Action>,
    throughput_sampled_at: Option<Instant>,
    /// Connections already warned about, so a warning is given once per session.
    warned: HashSet<String>,
    /// Off in tests; `run` turns it on.
    pub desktop_notifications: bool,
    /// Demo mode's simulator, kept alive as long as the app.
    demo: Option<crate::demo::Demo>,
}

const LAST_FILE_KEY: &str = "last_file";
const UPLOAD_FORM_KEY: &str = "upload_form";
const VIEW_KEY: &str = "view";

impl App {
    pub fn new(picker: Arc<dyn FilePicker>) -> Self {
        App {
            state: State::default(),
            tasks: Tasks::default(),
            picker,
            core: None,
            runtime: None,
            opener: Arc::new(|url: &url::Url| crate::pinterest::open_in_browser(url.as_str())),
            connect_task: None,
            statuses_loaded_at: None,
            jobs_loaded_at: None,
            fresh_checked_at: None,
            pending: Vec::new(),
            throughput_sampled_at: None,
            warned: HashSet::new(),
            desktop_notifications: false,
            demo: None,
        }
    }

    /// The app on its core (local state and Pinterest), with the way it opens the login page.
    pub fn with_core(
        picker: Arc<dyn FilePicker>,
        core: anyhow::Result<Core>,
        opener: Option<Opener>,
    ) -> Self {
        let mut app = App::new(picker);
        if let Some(opener) = opener {
            app.opener = opener;
        }
        match core.and_then(|core| Ok((core, runtime()?))) {
            Ok((core, runtime)) => app.attach(core, runtime),
            Err(e) => {
                app.state.core_error = Some(format!("Local state could not be opened: {e:#}"))
            }
        }
        app
    }

    fn attach(&mut self, core: Core, runtime: tokio::runtime::Runtime) {
        if let Some(notice) = &core.notice {
            self.notify(notice.clone(), false);
        }
        self.core = Some(Arc::new(core));
        self.runtime = Some(runtime);
    }

    /// Demo mode: the built-in simulator, a demo connection that logs in by itself, and a
    /// sample file. Everything stays on loopback.
    pub fn demo(picker: Arc<dyn FilePicker>) -> Self {
        let mut app = App::new(picker);
        app.state.demo = true;
        let started = runtime().map_err(anyhow::Error::from).and_then(|runtime| {
            let demo = runtime.block_on(crate::demo::start())?;
            Ok((runtime, demo))
        });
        match started {
            Ok((runtime, (demo, core))) => {
                app.opener = {
                    let handle = runtime.handle().clone();
                    Arc::new(move |url: &url::Url| {
                        let _guard = handle.enter();
                        crate::demo::follow_login(url)
                    })
                };
                app.pending = vec![
                    Action::Connect(crate::demo::CONNECTION.into()),
                    Action::OpenFile(demo.sample.clone()),
                ];
                app.state.upload = UploadForm {
                    connection: Some(crate::demo::CONNECTION.into()),
                    list_name: "Demo customers".into(),
                    ..UploadForm::default()
                };
                app.attach(core, runtime);
                app.demo = Some(demo);
            }
            Err(e) => app.state.core_error = Some(format!("The demo could not start: {e:#}")),
        }
        app
    }

    /// Brings back the last session's file, upload settings and screen.
    pub fn restore(&mut self, storage: Option<&dyn eframe::Storage>) {
        let Some(storage) = storage else {
            return;
        };
        if !self.state.demo {
            let last = storage.get_string(LAST_FILE_KEY).map(PathBuf::from);
            if let Some(path) = last.filter(|p| p.exists()) {
                self.pending.push(Action::OpenFile(path));
            }
            if let Some(form) = storage
                .get_string(UPLOAD_FORM_KEY)
                .and_then(|s| serde_json::from_str(&s).ok())
            {
                self.state.upload = form;
            }
        }
        if let Some(view) = storage
            .get_string(VIEW_KEY)
            .and_then(|s| View::ALL.into_iter().find(|v| v.title() == s))
        {
            self.state.view = view;
        }
    }

    /// Applies task events and samples live jobs; call once per frame before drawing.
    pub fn logic(&mut self, ctx: &egui::Context) {
        for action in std::mem::take(&mut self.pending) {
            self.apply(action, ctx);
        }
        if let Some(core) = &self.core {
            // Connection states and countdowns, read off the UI thread once a second.
            if self
                .statuses_loaded_at
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
            {
                self.statuses_loaded_at = Some(Instant::now());
                self.tasks.load_connections(ctx, core.clone());
                ctx.request_repaint_after(Duration::from_secs(1));
            }
            // Past jobs change only while jobs run or someone looks (another process may run
            // one); otherwise the list read at start-up and after each job's end stands.
            let watched = self.state.view == View::Jobs || !self.state.jobs.live.is_empty();
            let due = self
                .jobs_loaded_at
                .is_none_or(|t| watched && t.elapsed() >= JOBS_EVERY);
            if due {
                self.jobs_loaded_at = Some(Instant::now());
                self.tasks.load_jobs(ctx, core.clone());
            }
        }
        self.sample_jobs(ctx);
        for event in self.tasks.drain() {
            self.on_event(event, ctx);
        }
    }

    /// Adds a throughput point to each live job every second, and keeps frames coming while
    /// jobs run.
    fn sample_jobs(&mut self, ctx: &egui::Context) {
        let jobs = &mut self.state.jobs;
        if jobs.live.is_empty() {
            return;
        }
        let sample = self
            .throughput_sampled_at
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if sample {
            self.throughput_sampled_at = Some(Instant::now());
        }
        if sample {
            for (id, live) in &jobs.live {
                let rate = live.progress.borrow().records_per_second;
                let point = [live.started.elapsed().as_secs_f64(), rate];
                jobs.throughput.entry(*id).or_default().push(point);
            }
        }
        ctx.request_repaint_after(Duration::from_millis(250));
    }

    fn notify(&mut self, text: String, is_error: bool) {
        self.state.notice = Some(Notice { text, is_error });
    }

    /// An in-app notice, and a desktop notification for when the window is not in view.
    fn alert(&mut self, title: &str, text: String, is_error: bool) {
        if self.desktop_notifications {
            notify::desktop(title.to_owned(), text.clone());
        }
        self.notify(text, is_error);
    }

    /// Draws the app into `ui` and applies what the user did.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let mut actions = self.shortcuts(ui);
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Audience Desk");
                for (i, view) in View::ALL.into_iter().enumerate() {
                    if view == View::Connection {
                        continue;
                    }
                    if ui
                        .selectable_label(self.state.view == view, view.title())
                        .on_hover_text(format!("Ctrl+{}", i + 1))
                        .clicked()
                    {
                        actions.push(Action::ShowView(view));
                    }
                }
                if self.state.demo {
                    ui.label(
                        egui::RichText::new(
                            "Demo mode: a simulated Pinterest on this machine; nothing leaves it",
                        )
                        .color(ui.visuals().warn_fg_color),
                    );
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .button("Open file...")
                        .on_hover_text("Open a customer file (Ctrl+O), or drop one on the window")
                        .clicked()
                    {
                        actions.push(Action::OpenFileDialog);
                    }
                });
            });
            if let Some(notice) = &self.state.notice {
                ui.horizontal(|ui| {
                    let color = if notice.is_error {
                        ui.visuals().error_fg_color
                    } else {
                        ui.visuals().text_color()
                    };
                    ui.colored_label(color, &notice.text);
                    if ui.small_button("Dismiss").clicked() {
                        actions.push(Action::DismissNotice);
                    }
                });
            }
        });
        egui::Panel::left("connections")
            .resizable(true)
            .default_size(240.0)
            .show(ui, |ui| {
                actions.extend(connections_view::side_panel(ui, &self.state));
            });
        if self.state.view == View::Upload && self.state.loaded().is_some() {
            egui::Panel::right("upload_options")
                .resizable(true)
                .default_size(320.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        actions.extend(upload_view::show(ui, &self.state));
                    });
                });
        }
        egui::CentralPanel::default().show(ui, |ui| match self.state.view {
            View::Upload => actions.extend(preview_view::show(ui, &self.state.file)),
            View::Jobs => actions.extend(jobs_view::show(ui, &self.state.jobs)),
            View::Connection => {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    actions.extend(connections_view::connection_screen(ui, &self.state));
                });
            }
            View::Audiences => {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    actions.extend(audiences_view::show(ui, &self.state));
                });
            }
        });
        let ctx = ui.ctx().clone();
        for action in actions {
            self.apply(action, &ctx);
        }
    }

    /// Ctrl+O open, Ctrl+Enter start, Esc cancel what runs on screen, Ctrl+1..4 views, and
    /// files dropped on the window.
    fn shortcuts(&self, ui: &egui::Ui) -> Vec<Action> {
        let mut actions = Vec::new();
        let typing = ui.ctx().egui_wants_keyboard_input();
        ui.input(|i| {
            if i.modifiers.command && i.key_pressed(egui::Key::O) {
                actions.push(Action::OpenFileDialog);
            }
            if i.modifiers.command
                && i.key_pressed(egui::Key::Enter)
                && self.state.view == View::Upload
                && upload_view::blocker(&self.state).is_none()
                && !matches!(self.state.plan, PlanState::Planning { .. })
            {
                actions.push(Action::Plan { start: true });
            }
            let keys = [
                egui::Key::Num1,
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
            ];
            for (key, view) in keys.into_iter().zip(View::ALL) {
                if i.modifiers.command && i.key_pressed(key) {
                    actions.push(Action::ShowView(view));
                }
            }
            if i.key_pressed(egui::Key::Escape) && !typing {
                actions.extend(self.cancel_on_screen());
            }
            for file in &i.raw.dropped_files {
                actions.push(Action::OpenFile(file.path().to_owned()));
            }
        });
        actions
    }

    /// What Esc stops: the login being waited for, the running job on the jobs screen, or the
    /// pass over the file.
    fn cancel_on_screen(&self) -> Option<Action> {
        if matches!(self.state.connect, ConnectState::Waiting(_)) {
            return Some(Action::CancelConnect);
        }
        if self.state.view == View::Jobs {
            let jobs = &self.state.jobs;
            let shown = jobs
                .selected
                .or_else(|| jobs.entries.first().map(|e| e.row.id));
            return shown
                .filter(|id| jobs.live.contains_key(id))
                .map(Action::CancelJob);
        }
        matches!(
            self.state.loaded().map(|l| &l.scan),
            Some(ScanState::Running { .. })
        )
        .then_some(Action::CancelScan)
    }

    pub fn apply(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::OpenFileDialog => self.tasks.pick_file(ctx, self.picker.clone()),
            Action::OpenFile(path) => {
                self.cancel_scan();
                self.tasks.load_preview(ctx, path.clone());
                self.state.file = FileState::Loading(path);
            }
            Action::Remap { column, namespace } => {
                if let Some(loaded) = self.state.loaded_mut() {
                    loaded.preview.remap(column, namespace);
                }
                self.restart_scan(ctx);
            }
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
            Action::DismissNotice => self.state.notice = None,
            Action::SelectConnection(name) => {
                if let Some(row) = self
                    .state
                    .connections
                    .iter()
                    .find(|r| r.connection.name == name)
                {
                    self.state.form = connections_view::form_for(row);
                }
                self.state.selected = Some(name);
                self.state.view = View::Connection;
                self.state.confirm_delete = false;
            }
            Action::NewConnection => {
                self.state.form = ConnectionForm::default();
                self.state.selected = None;
                self.state.view = View::Connection;
            }
            Action::EditForm(form) => self.state.form = form,
            Action::SaveConnection => {
                if let Some(core) = &self.core {
                    self.tasks
                        .save_connection(ctx, core.clone(), self.state.form.clone());
                }
            }
            Action::AskDelete => self.state.confirm_delete = true,
            Action::CancelDelete => self.state.confirm_delete = false,
            Action::DeleteConnection(name) => {
                if let Some(core) = &self.core {
                    self.tasks.delete_connection(ctx, core.clone(), name);
                }
                self.state.confirm_delete = false;
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
                self.state.view = view;
                if view == View::Audiences && matches!(self.state.lists, ListsState::Idle) {
                    let name = self.state.selected.clone().or_else(|| {
                        let first = self.state.connections.first();
                        first.map(|r| r.connection.name.clone())
                    });
                    if let Some(name) = name {
                        self.apply(Action::LoadLists(name), ctx);
                    }
                }
            }
            Action::ShowLists(name) => {
                self.state.selected = Some(name.clone());
                self.state.view = View::Audiences;
                self.apply(Action::LoadLists(name), ctx);
            }
            Action::LoadLists(name) => {
                if let (Some(core), Some(runtime)) = (&self.core, &self.runtime) {
                    self.state.lists = ListsState::Loading(name.clone());
                    self.tasks.load_lists(ctx, runtime, core.clone(), name);
                }
            }
            Action::EditUpload(mut form) => {
                if form.connection != self.state.upload.connection {
                    // Lists belong to the ad account of the connection picked before.
                    form.list_id = None;
                }
                self.state.upload = form;
                if !matches!(self.state.plan, PlanState::Planning { .. }) {
                    // A plan shown for other settings would mislead.
                    self.state.plan = PlanState::Idle;
                }
            }
            Action::Plan { start } => self.plan(start, ctx),
            Action::SelectJob(id) => self.state.jobs.selected = Some(id),
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

    fn plan(&mut self, start: bool, ctx: &egui::Context) {
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
    fn run_job(&mut self, id: i64, ctx: &egui::Context) {
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
        self.jobs_loaded_at = None;
    }

    /// Stops the running jobs so they can be resumed: the app is closing.
    pub fn interrupt_jobs(&self) {
        for live in self.state.jobs.live.values() {
            live.control.interrupt();
        }
    }

    fn on_event(&mut self, event: Event, ctx: &egui::Context) {
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
            }
            Event::Lists { name, result } => {
                if matches!(&self.state.lists, ListsState::Loading(n) if *n == name) {
                    self.state.lists = match result {
                        Ok((customer_lists, audiences)) => ListsState::Loaded {
                            name,
                            customer_lists,
                            audiences,
                        },
                        Err(error) => ListsState::Failed { name, error },
                    };
                }
            }
            Event::Saved(result) => match result {
                Ok(name) => {
                    self.statuses_loaded_at = None;
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
                self.statuses_loaded_at = None;
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
                self.statuses_loaded_at = None;
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

    fn job_ended(
        &mut self,
        job: i64,
        result: Result<crate::sync::JobReport, String>,
        ctx: &egui::Context,
    ) {
        self.state.jobs.live.remove(&job);
        self.jobs_loaded_at = None;
        // The job made or changed lists: the lists on screen (or in the picker) are stale.
        let connection = self
            .state
            .jobs
            .entries
            .iter()
            .find(|e| e.row.id == job)
            .map(|e| e.row.connection.clone());
        let shown = match &self.state.lists {
            ListsState::Loaded { name, .. } | ListsState::Failed { name, .. } => Some(name),
            _ => None,
        };
        if let Some(name) = connection.filter(|c| Some(c) == shown) {
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
                let failed = matches!(p.state, JobState::Failed | JobState::WaitingForReconnect);
                if p.state == JobState::Interrupted {
                    self.notify(text, false);
                } else {
                    self.alert("Upload finished", text, failed);
                }
            }
            Err(error) => self.alert("Upload failed", format!("Job {job} failed: {error}"), true),
        }
    }

    /// Says once per session when a connection needs the user: a reconnect now, or soon
    /// because its refresh token is about to end.
    fn warn_about_connections(&mut self) {
        let now = crate::home::now();
        let mut warnings = Vec::new();
        for row in &self.state.connections {
            let name = &row.connection.name;
            let text = match row.status.state {
                ConnectionState::ReconnectRequired => format!(
                    "'{name}' needs a reconnect: {}",
                    row.status
                        .message
                        .as_deref()
                        .unwrap_or("Pinterest no longer accepts its tokens")
                ),
                ConnectionState::Connected
                    if row
                        .status
                        .refresh_expires_at
                        .is_some_and(|at| at - now < RECONNECT_WARNING_SECONDS) =>
                {
                    format!(
                        "'{name}' must be reconnected within a week: its refresh token ends {}.",
                        row.status
                            .refresh_expires_at
                            .map(crate::display::relative)
                            .unwrap_or_default()
                    )
                }
                _ => continue,
            };
            if self.warned.insert(name.clone()) {
                warnings.push(text);
            }
        }
        for text in warnings {
            self.alert("Connection needs you", text, true);
        }
    }

    /// Every few minutes, refreshes the tokens within the margin of expiry in the background.
    fn keep_fresh(&mut self) {
        let (Some(core), Some(runtime)) = (&self.core, &self.runtime) else {
            return;
        };
        if self
            .fresh_checked_at
            .is_some_and(|t| t.elapsed() < FRESH_EVERY)
        {
            return;
        }
        self.fresh_checked_at = Some(Instant::now());
        let connected = self
            .state
            .connections
            .iter()
            .filter(|r| r.status.state == ConnectionState::Connected)
            .map(|r| r.connection.name.clone())
            .collect();
        self.tasks.keep_fresh(runtime, core.clone(), connected);
    }

    fn current(&mut self, generation: u64) -> Option<&mut Loaded> {
        self.state
            .loaded_mut()
            .filter(|loaded| loaded.generation == generation)
    }

    /// Starts the full pass for the current mapping, cancelling any pass still running.
    fn restart_scan(&mut self, ctx: &egui::Context) {
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

    fn cancel_scan(&mut self) {
        if let Some(loaded) = self.state.loaded_mut()
            && let ScanState::Running { cancel, .. } = &loaded.scan
        {
            cancel.store(true, Ordering::Relaxed);
            loaded.scan = ScanState::Cancelled;
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        App::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(VIEW_KEY, self.state.view.title().to_owned());
        if self.state.demo {
            // The demo's file and settings are not the user's.
            return;
        }
        if let Some(loaded) = self.state.loaded() {
            storage.set_string(LAST_FILE_KEY, loaded.preview.path.display().to_string());
        }
        if let Ok(form) = serde_json::to_string(&self.state.upload) {
            storage.set_string(UPLOAD_FORM_KEY, form);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.interrupt_jobs();
        // Give the jobs a moment to journal the batches in flight and mark themselves
        // interrupted; whatever is not journaled is sent again on resume.
        let deadline = Instant::now() + Duration::from_secs(3);
        while !self.state.jobs.live.is_empty() && Instant::now() < deadline {
            for event in self.tasks.drain() {
                if let Event::JobEnded { job, .. } = event {
                    self.state.jobs.live.remove(&job);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
