//! The shell around the features: how the app is made (with a core, in demo mode), the
//! frame (events drained, chores due, the toolbar, the notice, the screen shown), where
//! actions and events go, and what the window remembers between sessions.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

mod keys;

use super::command::Command;
use super::every::Every;
use super::picker::FilePicker;
use super::state::{State, UploadForm, View};
use super::tasks::{Opener, Tasks};
use super::{
    Action, App, Backend, Event, alerts, audiences, connections, file, jobs, notices, notify,
    privacy, syncs, upload,
};
use crate::context::Core;

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
/// The Alerts screen reads its places' deliveries again this often while shown.
const ALERTS_EVERY: Duration = Duration::from_secs(5);

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
    /// An app with no local state yet. Its tasks' runtime is made here: without threads
    /// nothing could run at all.
    pub fn new(picker: Arc<dyn FilePicker>) -> Self {
        App {
            state: State::default(),
            // Invariant: a runtime of two threads can be made wherever a window can open.
            tasks: Tasks::new().expect("the app's task threads"),
            picker,
            backend: None,
            opener: Arc::new(|url: &url::Url| crate::pinterest::open_in_browser(url.as_str())),
            connect_task: None,
            statuses: Every::new(STATUSES_EVERY),
            jobs: Every::new(JOBS_EVERY),
            syncs: Every::new(SYNCS_EVERY),
            fresh: Every::new(FRESH_EVERY),
            throughput: Every::new(THROUGHPUT_EVERY),
            alert_sender: None,
            alerts_listed: Every::new(ALERTS_EVERY),
            watcher: None,
            run_due_syncs: true,
            pending: Vec::new(),
            warned: HashSet::new(),
            keyring_warned: false,
            desktop_notifications: false,
            demo_pace: crate::demo::WRITES_PER_MINUTE,
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
        match core {
            Ok(core) => app.attach(core, None),
            Err(e) => {
                app.state.core_error = Some(format!("Local state could not be opened: {e:#}"))
            }
        }
        app
    }

    fn attach(&mut self, core: Core, demo: Option<crate::demo::Demo>) {
        if let Some(notice) = &core.notice {
            self.notify(notice.clone(), false);
        }
        self.state.redirect_uri = core.endpoints.redirect.to_string();
        self.state.secret_place = core.secrets.describe();
        let core = Arc::new(core);
        self.send_alerts(core.clone());
        self.backend = Some(Backend { core, _demo: demo });
    }

    /// Demo mode: the built-in simulator, a demo connection that logs in by itself, and a
    /// sample file. Everything stays on loopback. The simulator and its home are set up in
    /// the background; the window shows at once and says the demo is starting.
    pub fn demo(picker: Arc<dyn FilePicker>) -> Self {
        App::demo_paced(picker, crate::demo::WRITES_PER_MINUTE)
    }

    /// Demo mode sending at most `writes_per_minute` calls a minute (tests slow it further).
    pub fn demo_paced(picker: Arc<dyn FilePicker>, writes_per_minute: u32) -> Self {
        let mut app = App::new(picker);
        app.demo_pace = writes_per_minute;
        app.start_demo(&egui::Context::default());
        app
    }

    /// Starts the demo's simulator and home in the background; the window goes on meanwhile.
    /// The syncs of the home open before stop running here: the demo's home is its own.
    fn start_demo(&mut self, ctx: &egui::Context) {
        self.state.demo = true;
        self.state.demo_starting = true;
        if let Some(watcher) = self.watcher.take() {
            watcher.interrupt();
        }
        let emit = self.tasks.emitter(ctx);
        let pace = self.demo_pace;
        self.tasks.detached(async move {
            emit.send(Event::DemoStarted(Box::new(crate::demo::start(pace).await)));
        });
    }

    fn demo_started(&mut self, started: Result<(crate::demo::Demo, Core), crate::demo::DemoError>) {
        self.state.demo_starting = false;
        match started {
            Ok((demo, core)) => {
                self.opener = {
                    let handle = self.tasks.handle();
                    Arc::new(move |url: &url::Url| {
                        let _guard = handle.enter();
                        crate::demo::follow_login(url)
                    })
                };
                self.pending = vec![
                    connections::Action::Connect(crate::demo::CONNECTION.into()).into(),
                    file::Action::Open(demo.sample.clone()).into(),
                ];
                self.state.upload = UploadForm {
                    connection: Some(crate::demo::CONNECTION.into()),
                    list_name: "Demo customers".into(),
                    ..UploadForm::default()
                };
                // What was read from another home no longer applies.
                self.state.connections.clear();
                self.state.lists.clear();
                self.state.accounts.clear();
                self.state.jobs.entries.clear();
                self.state.syncs = Default::default();
                self.state.core_error = None;
                self.attach(core, Some(demo));
                self.statuses.expire();
                self.jobs.expire();
                self.syncs.expire();
            }
            Err(e) => self.state.core_error = Some(format!("The demo could not start: {e}")),
        }
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
            self.pending.push(file::Action::Open(path).into());
        }
        if let Some(form) = remembered.upload {
            self.state.upload = form;
        }
    }

    /// The core, for a task to take along; `None` until local state is open.
    pub(super) fn core(&self) -> Option<Arc<Core>> {
        self.backend.as_ref().map(|b| b.core.clone())
    }

    /// Applies task events and starts the chores that are due; call once per frame before
    /// drawing.
    pub fn logic(&mut self, ctx: &egui::Context) {
        for event in self.tasks.drain() {
            self.on_event(event, ctx);
        }
        for action in std::mem::take(&mut self.pending) {
            self.apply(action, ctx);
        }
        if self.backend.is_some() {
            // Connection states and countdowns, read off the UI thread once a second.
            if self.statuses.due() {
                self.load_connections(ctx);
                ctx.request_repaint_after(Duration::from_secs(1));
            }
            // Past jobs change only while jobs run or someone looks (another process may run
            // one); otherwise the list read at start-up and after each job's end stands.
            let watched = self.state.view == View::Jobs || !self.state.jobs.live.is_empty();
            if self.jobs.due_if(watched) {
                self.load_jobs(ctx);
            }
            let syncs_watched = self.state.view == View::Syncs || !self.state.syncs.live.is_empty();
            if self.syncs.due_if(syncs_watched) {
                self.load_syncs(ctx);
            }
            self.watch_syncs(ctx);
            // Deliveries and failures change in the background: read again while shown.
            if self.alerts_listed.due_if(self.state.view == View::Alerts) {
                self.load_alerts(ctx);
            }
        }
        if !self.state.syncs.live.is_empty()
            || self.state.demo_starting
            || self.state.notices.fading(Instant::now())
        {
            ctx.request_repaint_after(Duration::from_millis(250));
        }
        self.sample_jobs(ctx);
    }

    /// Applies an action to the feature it names.
    pub fn apply(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::ShowView(view) => {
                self.state.view = view;
                self.fetch_lists_shown(ctx);
                if view == View::Syncs {
                    self.load_syncs(ctx);
                }
                if view == View::Alerts {
                    self.load_alerts(ctx);
                }
                if view == View::Privacy {
                    self.load_privacy(ctx);
                }
            }
            Action::DismissNotice(id) => self.state.notices.dismiss(id),
            Action::TryDemo => {
                if !self.state.demo {
                    self.start_demo(ctx);
                }
            }
            Action::ToggleNotices => {
                self.state.notices.history_open = !self.state.notices.history_open
            }
            Action::HideIdentities(hide) => self.state.hide_identities = hide,
            Action::File(action) => self.apply_file(action, ctx),
            Action::Connections(action) => self.apply_connections(action, ctx),
            Action::Lists(action) => self.apply_lists(action, ctx),
            Action::Upload(action) => self.apply_upload(action, ctx),
            Action::Jobs(action) => self.apply_jobs(action, ctx),
            Action::Syncs(action) => self.apply_syncs(action, ctx),
            Action::Audiences(action) => self.apply_audiences(action, ctx),
            Action::Alerts(action) => self.apply_alerts(action, ctx),
            Action::Privacy(action) => self.apply_privacy(action, ctx),
        }
    }

    /// Hands what a task reported to the feature it belongs to.
    fn on_event(&mut self, event: Event, ctx: &egui::Context) {
        match event {
            Event::DemoStarted(started) => self.demo_started(*started),
            Event::File(event) => self.on_file(event, ctx),
            Event::Connections(event) => self.on_connections(event, ctx),
            Event::Lists(event) => self.on_lists(event),
            Event::Upload(event) => self.on_upload(event, ctx),
            Event::Jobs(event) => self.on_jobs(event, ctx),
            Event::Syncs(event) => self.on_syncs(event, ctx),
            Event::Audiences(event) => self.on_audiences(*event, ctx),
            Event::Alerts(event) => self.on_alerts(event, ctx),
            Event::Privacy(event) => self.on_privacy(event, ctx),
        }
    }

    pub(super) fn notify(&mut self, text: String, is_error: bool) {
        self.state.notices.push(text, is_error, None);
    }

    /// A notice about `subject` (a connection): resolving the subject clears it.
    pub(super) fn notify_about(&mut self, subject: &str, text: String, is_error: bool) {
        self.state
            .notices
            .push(text, is_error, Some(subject.to_owned()));
    }

    /// An in-app notice, and a desktop notification for when the window is not in view.
    pub(super) fn alert(&mut self, title: &str, text: String, is_error: bool) {
        if self.desktop_notifications {
            notify::desktop(title.to_owned(), text.clone());
        }
        self.notify(text, is_error);
    }

    /// Draws the app into `ui` and applies what the user did.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let mut actions = self.shortcuts(ui);
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar(ui, &mut actions));
        let side = (ui.available_width() * 0.2).clamp(170.0, 240.0);
        egui::Panel::left("connections")
            .resizable(true)
            .default_size(side)
            .size_range(150.0..=360.0)
            .show(ui, |ui| {
                connections::side_panel::ui(ui, &self.state, &mut actions)
            });
        let state = &self.state;
        match state.view {
            View::Upload => upload::view::ui(ui, state, &mut actions),
            View::Jobs => {
                egui::CentralPanel::default()
                    .show(ui, |ui| jobs::view::ui(ui, state, &mut actions));
            }
            View::Syncs => {
                egui::CentralPanel::default()
                    .show(ui, |ui| syncs::view::ui(ui, state, &mut actions));
            }
            View::Connection => scrolling(ui, |ui| {
                connections::view::ui(ui, state, &mut actions);
            }),
            View::Audiences => scrolling(ui, |ui| {
                audiences::view::ui(ui, state, &mut actions);
            }),
            View::Alerts => scrolling(ui, |ui| {
                alerts::view::ui(ui, state, &mut actions);
            }),
            View::Privacy => scrolling(ui, |ui| {
                privacy::view::ui(ui, state, &mut actions);
            }),
        }
        let ctx = ui.ctx().clone();
        if let Some(prompt) = &self.state.path_prompt {
            file::view::path_prompt(&ctx, prompt, &mut actions);
        }
        if let Some(form) = &self.state.query_form {
            file::query_view::dialog(&ctx, form, &mut actions);
        }
        notices::ui(&ctx, &self.state.notices, &mut actions);
        for action in actions {
            self.apply(action, &ctx);
        }
    }

    fn toolbar(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
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
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                // One menu for both sources: the toolbar keeps its room on a narrow window.
                ui.menu_button("Open a list", |ui| {
                    if ui
                        .button("File...")
                        .on_hover_text(Command::OpenFile.hint())
                        .clicked()
                    {
                        actions.push(file::Action::OpenDialog.into());
                        ui.close();
                    }
                    if ui
                        .button("Query...")
                        .on_hover_text("Read the list from a PostgreSQL database or an SQLite file")
                        .clicked()
                    {
                        actions.push(file::Action::OpenQueryForm.into());
                        ui.close();
                    }
                })
                .response
                .on_hover_text("A customer file, or a query on a database");
                let notices = &self.state.notices;
                if !notices.is_empty()
                    && ui
                        .selectable_label(
                            notices.history_open,
                            format!("Notices ({})", notices.len()),
                        )
                        .on_hover_text("Everything the app has said this session")
                        .clicked()
                {
                    actions.push(Action::ToggleNotices);
                }
                if self.state.demo {
                    // Beside the buttons and cut short on a narrow window, never under them.
                    let text = match self.state.demo_starting {
                        true => "Demo mode: starting a simulated Pinterest...",
                        false => "Demo mode: a simulated Pinterest; nothing leaves this machine",
                    };
                    ui.add(
                        egui::Label::new(
                            egui::RichText::new(text).color(ui.visuals().warn_fg_color),
                        )
                        .truncate(),
                    );
                }
            });
        });
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
        if let Some(sender) = &self.alert_sender {
            sender.cancel();
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
                if let Event::Jobs(jobs::Event::Ended { job, .. }) = event {
                    self.state.jobs.live.remove(&job);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        crate::source::forget_expanded();
        // A token refresh sent is saved before the window goes, or its new token is lost.
        let deadline = Instant::now() + Duration::from_secs(30);
        while crate::pinterest::refreshes_in_flight() && Instant::now() < deadline {
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

    fn applied(app: &mut App, action: impl Into<Action>) {
        app.apply(action.into(), &egui::Context::default());
    }

    #[test]
    fn picking_another_connection_forgets_the_list_of_the_one_before() {
        let mut app = App::new(Arc::new(FixedPicker(None)));
        let eu = UploadForm {
            connection: Some("EU".into()),
            new_list: false,
            ..UploadForm::default()
        };
        applied(&mut app, upload::Action::Edit(eu.clone()));
        applied(
            &mut app,
            upload::Action::Edit(UploadForm {
                list_id: Some("42".into()),
                ..eu
            }),
        );
        assert_eq!(app.state.upload.list_id.as_deref(), Some("42"));
        let mut other = app.state.upload.clone();
        other.connection = Some("US".into());
        applied(&mut app, upload::Action::Edit(other));
        assert_eq!(app.state.upload.list_id, None);
    }

    #[test]
    fn a_new_connection_clears_the_selection_and_shows_the_form() {
        let mut app = App::new(Arc::new(FixedPicker(None)));
        app.state.selected = Some("EU".into());
        app.state.confirm_delete = true;
        applied(&mut app, connections::Action::CancelDelete);
        assert!(!app.state.confirm_delete);
        applied(&mut app, connections::Action::New);
        assert_eq!(app.state.selected, None);
        assert_eq!(app.state.view, View::Connection);
        assert_eq!(app.state.form, crate::gui::state::ConnectionForm::default());
    }

    #[test]
    fn picking_another_audience_closes_what_was_open_about_the_last_one() {
        use crate::gui::state::AudienceDialog;
        let mut app = App::new(Arc::new(FixedPicker(None)));
        applied(&mut app, audiences::Action::Select("1".into()));
        applied(&mut app, audiences::Action::AskRemove);
        assert_eq!(app.state.audiences.dialog, AudienceDialog::Remove);
        applied(&mut app, audiences::Action::Select("1".into()));
        assert_eq!(
            app.state.audiences.dialog,
            AudienceDialog::Remove,
            "the same one"
        );
        applied(&mut app, audiences::Action::Select("2".into()));
        assert_eq!(app.state.audiences.dialog, AudienceDialog::None);
        applied(&mut app, audiences::Action::OpenLookalike);
        let AudienceDialog::Lookalike(form) = &app.state.audiences.dialog else {
            panic!("{:?}", app.state.audiences.dialog);
        };
        assert_eq!((form.country.as_str(), form.percent), ("US", 5));
    }

    #[test]
    fn the_upload_waits_for_a_file_then_a_connection() {
        let state = State::default();
        let why = state.upload_blocker().unwrap();
        assert!(why.contains("Open a customer file"), "{why}");
    }
}
