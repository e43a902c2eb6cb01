use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eframe::egui;

use std::time::{Duration, Instant};

use super::audiences_view;
use super::connections_view;
use super::picker::FilePicker;
use super::preview_view;
use super::state::{
    ConnectState, ConnectionForm, FileState, ListsState, Loaded, Notice, ScanState, State, View,
};
use super::tasks::{Event, Opener, Tasks};
use crate::core::Core;
use crate::identity::Namespace;

/// What the user asked for, as views report it.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    OpenFileDialog,
    OpenFile(PathBuf),
    Remap { column: usize, namespace: Namespace },
    CancelScan,
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
    ShowUpload,
    LoadLists(String),
}

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
    /// A file to open on the first frame (the last session's), once a context exists.
    pending_open: Option<PathBuf>,
}

const LAST_FILE_KEY: &str = "last_file";

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
            pending_open: None,
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
        match core.and_then(|core| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            Ok((core, runtime))
        }) {
            Ok((core, runtime)) => {
                if let Some(notice) = &core.notice {
                    app.state.notice = Some(Notice {
                        text: notice.clone(),
                        is_error: false,
                    });
                }
                app.core = Some(Arc::new(core));
                app.runtime = Some(runtime);
            }
            Err(e) => {
                app.state.core_error = Some(format!("Local state could not be opened: {e:#}"))
            }
        }
        app
    }

    /// Reopens the last file of the previous session, when it still exists.
    pub fn restore(&mut self, storage: Option<&dyn eframe::Storage>) {
        let last = storage.and_then(|s| s.get_string(LAST_FILE_KEY));
        self.pending_open = last.map(PathBuf::from).filter(|p| p.exists());
    }

    /// Demo mode: a generated sample file, so a new user sees the whole preview at once.
    pub fn start_demo(&mut self, ctx: &egui::Context) -> anyhow::Result<()> {
        self.state.demo = true;
        let path = crate::demo::write_sample_file()?;
        self.apply(Action::OpenFile(path), ctx);
        Ok(())
    }

    /// Applies task events; call once per frame before drawing.
    pub fn logic(&mut self, ctx: &egui::Context) {
        if let Some(path) = self.pending_open.take() {
            self.apply(Action::OpenFile(path), ctx);
        }
        // Connection states and countdowns, read off the UI thread once a second.
        if let Some(core) = &self.core
            && self
                .statuses_loaded_at
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
        {
            self.statuses_loaded_at = Some(Instant::now());
            self.tasks.load_connections(ctx, core.clone());
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        for event in self.tasks.drain() {
            self.on_event(event, ctx);
        }
    }

    /// Draws the app into `ui` and applies what the user did.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let mut actions = Vec::new();
        ui.input(|i| {
            if i.modifiers.command && i.key_pressed(egui::Key::O) {
                actions.push(Action::OpenFileDialog);
            }
            if i.key_pressed(egui::Key::Escape)
                && matches!(
                    self.state.loaded().map(|l| &l.scan),
                    Some(ScanState::Running { .. })
                )
            {
                actions.push(Action::CancelScan);
            }
            for file in &i.raw.dropped_files {
                actions.push(Action::OpenFile(file.path().to_owned()));
            }
        });
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Audience Desk");
                if self.state.demo {
                    ui.label(
                        egui::RichText::new("Demo mode: nothing leaves this machine")
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
        egui::CentralPanel::default().show(ui, |ui| match self.state.view {
            View::Upload => actions.extend(preview_view::show(ui, &self.state.file)),
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

    pub fn apply(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::OpenFileDialog => self.tasks.pick_file(ctx, self.picker.clone()),
            Action::OpenFile(path) => {
                self.cancel_scan();
                self.pending_open = None;
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
            Action::ShowUpload => self.state.view = View::Upload,
            Action::LoadLists(name) => {
                if let (Some(core), Some(runtime)) = (&self.core, &self.runtime) {
                    self.state.lists = ListsState::Loading(name.clone());
                    self.state.selected = Some(name.clone());
                    self.state.view = View::Audiences;
                    self.tasks.load_lists(ctx, runtime, core.clone(), name);
                }
            }
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
                    Ok(preview) => FileState::Loaded(Box::new(Loaded {
                        preview,
                        scan: ScanState::Cancelled,
                        generation: 0,
                    })),
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
                        Ok(summary) => ScanState::Done(Box::new(summary)),
                        Err(_) if matches!(loaded.scan, ScanState::Cancelled) => {
                            ScanState::Cancelled
                        }
                        Err(error) => ScanState::Failed(error),
                    };
                }
            }
            Event::Connections(rows) => self.state.connections = rows,
            Event::Lists { name, result } => {
                if matches!(&self.state.lists, ListsState::Loading(n) if *n == name) {
                    self.state.lists = match result {
                        Ok((customer_lists, audiences)) => ListsState::Loaded {
                            customer_lists,
                            audiences,
                        },
                        Err(error) => ListsState::Failed(error),
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
        if let Some(loaded) = self.state.loaded() {
            storage.set_string(LAST_FILE_KEY, loaded.preview.path.display().to_string());
        }
    }
}
