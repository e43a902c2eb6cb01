use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use eframe::egui;
use tokio::sync::watch;

mod effects;
mod events;
mod keys;

use super::action::Action;
use super::command::Command;
use super::every::Every;
use super::picker::FilePicker;
use super::state::{
    AccountsState, AudienceDialog, ConnectState, ConnectionForm, FileState, ListsState, LiveJob,
    LiveRun, Loaded, Notice, PlanState, ScanState, ScheduleChoice, State, UploadForm, View,
};
use super::tasks::{Event, Opener, Question, Tasks};
use super::{notify, screens};
use crate::app_core::Core;
use crate::store::JobState;
use crate::syncs::{RunProgress, Schedule, Source, SyncSettings, SyncTarget};
use crate::upload::{Control, DEFAULT_BATCH_SIZE, JobProgress, JobSpec, Target};

/// How often connection states and countdowns are read again.
const STATUSES_EVERY: Duration = Duration::from_secs(1);
/// How often live jobs' throughput is sampled for the plot.
const THROUGHPUT_EVERY: Duration = Duration::from_secs(1);
/// How often the jobs list is read again while jobs run or the jobs screen is open.
const JOBS_EVERY: Duration = Duration::from_secs(2);
/// How often the syncs are read again while their screen is open or runs go on.
const SYNCS_EVERY: Duration = Duration::from_secs(2);
/// How often tokens close to expiry are refreshed in the background.
const FRESH_EVERY: Duration = Duration::from_secs(300);

/// The desktop app's state and its background tasks.
pub struct App {
    pub state: State,
    tasks: Tasks,
    picker: Arc<dyn FilePicker>,
    core: Option<Arc<Core>>,
    runtime: Option<tokio::runtime::Runtime>,
    opener: Opener,
    connect_task: Option<tokio::task::AbortHandle>,
    statuses: Every,
    jobs: Every,
    syncs: Every,
    fresh: Every,
    /// Stops the background watcher that runs due syncs; `None` until it starts.
    watcher: Option<Arc<Control>>,
    /// Off in tests that want no background runs; on by default.
    pub run_due_syncs: bool,
    /// What to do on the first frame, once a context exists: reopen the last file, and in
    /// demo mode connect.
    pending: Vec<Action>,
    throughput: Every,
    /// Connections already warned about, so a warning is given once per session.
    warned: HashSet<String>,
    /// The keyring's trouble, said once per session.
    keyring_warned: bool,
    /// Off in tests; `run` turns it on.
    pub desktop_notifications: bool,
    /// Demo mode's simulator, kept alive as long as the app.
    demo: Option<crate::demo::Demo>,
}

/// What the window remembers between sessions: one record in eframe's storage, every field
/// defaulted so that a record from an older or newer version still loads.
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct Remembered {
    view: View,
    /// The file open at the end, reopened at the start if it is still there.
    last_file: Option<PathBuf>,
    upload: Option<UploadForm>,
    hide_identities: bool,
}

const REMEMBERED_KEY: &str = "audience-desk";

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
            statuses: Every::new(STATUSES_EVERY),
            jobs: Every::new(JOBS_EVERY),
            syncs: Every::new(SYNCS_EVERY),
            fresh: Every::new(FRESH_EVERY),
            watcher: None,
            run_due_syncs: true,
            pending: Vec::new(),
            throughput: Every::new(THROUGHPUT_EVERY),
            warned: HashSet::new(),
            keyring_warned: false,
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
        self.state.redirect_uri = core.endpoints.redirect.to_string();
        self.state.secret_place = core.secrets.describe();
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
        let remembered: Remembered = eframe::get_value(storage, REMEMBERED_KEY).unwrap_or_default();
        self.state.view = remembered.view;
        self.state.hide_identities = remembered.hide_identities;
        if self.state.demo {
            // The demo's file and settings are its own.
            return;
        }
        if let Some(path) = remembered.last_file.filter(|p| p.exists()) {
            self.pending.push(Action::OpenFile(path));
        }
        if let Some(form) = remembered.upload {
            self.state.upload = form;
        }
    }

    /// Applies task events and samples live jobs; call once per frame before drawing.
    pub fn logic(&mut self, ctx: &egui::Context) {
        for action in std::mem::take(&mut self.pending) {
            self.apply(action, ctx);
        }
        if let Some(core) = &self.core {
            // Connection states and countdowns, read off the UI thread once a second.
            if self.statuses.due() {
                self.tasks.load_connections(ctx, core.clone());
                ctx.request_repaint_after(Duration::from_secs(1));
            }
            // Past jobs change only while jobs run or someone looks (another process may run
            // one); otherwise the list read at start-up and after each job's end stands.
            let watched = self.state.view == View::Jobs || !self.state.jobs.live.is_empty();
            if self.jobs.due_if(watched) {
                self.tasks.load_jobs(ctx, core.clone());
            }
            let syncs_watched = self.state.view == View::Syncs || !self.state.syncs.live.is_empty();
            if self.syncs.due_if(syncs_watched) {
                self.tasks.load_syncs(ctx, core.clone());
            }
            if self.watcher.is_none()
                && self.run_due_syncs
                && let Some(runtime) = &self.runtime
            {
                let control = Arc::new(Control::default());
                self.tasks
                    .watch_syncs(ctx, runtime, core.clone(), control.clone());
                self.watcher = Some(control);
            }
        }
        if !self.state.syncs.live.is_empty() {
            ctx.request_repaint_after(Duration::from_millis(250));
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
        if self.throughput.due() {
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
                for view in View::ALL {
                    if view == View::Connection {
                        continue;
                    }
                    if ui
                        .selectable_label(self.state.view == view, view.title())
                        .on_hover_text(Command::Show(view).hint())
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
                        .on_hover_text(Command::OpenFile.hint())
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
                screens::side_panel::ui(ui, &self.state, &mut actions)
            });
        match self.state.view {
            View::Upload => screens::upload::ui(ui, &self.state, &mut actions),
            View::Jobs => {
                egui::CentralPanel::default()
                    .show(ui, |ui| screens::jobs::ui(ui, &self.state, &mut actions));
            }
            View::Syncs => {
                egui::CentralPanel::default()
                    .show(ui, |ui| screens::syncs::ui(ui, &self.state, &mut actions));
            }
            View::Connection => scrolling(ui, |ui| {
                screens::connection::ui(ui, &self.state, &mut actions);
            }),
            View::Audiences => scrolling(ui, |ui| {
                screens::audiences::ui(ui, &self.state, &mut actions);
            }),
        }
        let ctx = ui.ctx().clone();
        for action in actions {
            self.apply(action, &ctx);
        }
    }

    /// Stops the running jobs and sync runs so they can be resumed: the app is closing.
    pub fn interrupt_jobs(&self) {
        for live in self.state.jobs.live.values() {
            live.control.interrupt();
        }
        for live in self.state.syncs.live.values() {
            live.control.interrupt();
        }
        if let Some(watcher) = &self.watcher {
            watcher.interrupt();
        }
    }

    fn current(&mut self, generation: u64) -> Option<&mut Loaded> {
        self.state
            .loaded_mut()
            .filter(|loaded| loaded.generation == generation)
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
        let mut remembered = Remembered {
            view: self.state.view,
            hide_identities: self.state.hide_identities,
            ..Remembered::default()
        };
        if !self.state.demo {
            // The demo's file and settings are not the user's.
            remembered.last_file = self.state.loaded().map(|l| l.preview.path.clone());
            remembered.upload = Some(self.state.upload.clone());
        }
        eframe::set_value(storage, REMEMBERED_KEY, &remembered);
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

/// The central panel with a vertical scroll, for the screens of settings and lists.
fn scrolling(ui: &mut egui::Ui, content: impl FnOnce(&mut egui::Ui)) {
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, content);
    });
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::gui::FixedPicker;

    #[derive(Default)]
    struct MemoryStorage(HashMap<String, String>);

    impl eframe::Storage for MemoryStorage {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_owned(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn the_screen_and_the_upload_settings_come_back() {
        let mut storage = MemoryStorage::default();
        let mut before = App::new(Arc::new(FixedPicker(None)));
        before.state.view = View::Jobs;
        before.state.upload.list_name = "Spring buyers".into();
        before.state.upload.connection = Some("EU".into());
        eframe::App::save(&mut before, &mut storage);

        let mut after = App::new(Arc::new(FixedPicker(None)));
        after.restore(Some(&storage));
        assert_eq!(after.state.view, View::Jobs);
        assert_eq!(after.state.upload, before.state.upload);
    }

    #[test]
    fn a_record_with_unknown_or_missing_fields_still_loads() {
        let mut storage = MemoryStorage::default();
        eframe::Storage::set_string(
            &mut storage,
            REMEMBERED_KEY,
            "(view: Audiences, upload: Some((list_name: \"x\")), later: 3)".into(),
        );
        let mut app = App::new(Arc::new(FixedPicker(None)));
        app.restore(Some(&storage));
        assert_eq!(app.state.view, View::Audiences);
        assert_eq!(app.state.upload.list_name, "x");
        assert!(
            app.state.upload.new_list,
            "a missing field takes its default"
        );
    }
}
