//! The desktop app. Views draw state and return actions; the app applies actions by starting
//! background tasks, whose events it drains at the start of every frame. No file or network
//! I/O happens on the UI thread.
//!
//! Sliced by feature as well as by phase: each feature folder (`file`, `connections`, `lists`,
//! `upload`, `jobs`, `syncs`, `audiences`, `alerts`) holds its actions and events, how the app applies
//! them and what its tasks report (`mod.rs`), and its screen (`view.rs`); its state lives in
//! `state/<feature>.rs`. This file holds what ties them: the app, and the actions and events
//! that name a feature and carry its own. `app.rs` is the shell: the frame, the toolbar,
//! notices and what the window remembers.

mod alerts;
mod app;
mod audiences;
mod command;
mod connections;
mod every;
mod file;
mod jobs;
mod lists;
mod notices;
mod notify;
mod picker;
mod privacy;
mod state;
mod syncs;
mod tasks;
mod upload;
mod widgets;

use std::sync::Arc;

pub use picker::{FilePicker, FixedPicker, NoDialog, Picked, RfdPicker};
pub use state::{
    ConnectState, FileState, JobsState, PlanState, QueryStatus, ScanState, State, UploadForm, View,
};
pub use tasks::Opener;

use crate::context::Core;
use every::Every;
use tasks::Tasks;

/// What the user asked for, as views report it: the feature it belongs to, and what.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    ShowView(View),
    /// Takes a notice out of the corner (it stays in the history).
    DismissNotice(u64),
    /// Opens or closes the notices' history.
    ToggleNotices,
    /// Switches the window to demo mode: a simulated Pinterest and a sample file.
    TryDemo,
    /// Masks raw and normalized values in the preview (for screen sharing); remembered.
    HideIdentities(bool),
    File(file::Action),
    Connections(connections::Action),
    Lists(lists::Action),
    Upload(upload::Action),
    Jobs(jobs::Action),
    Syncs(syncs::Action),
    Audiences(audiences::Action),
    Alerts(alerts::Action),
    Privacy(privacy::Action),
}

/// The window's way to do what a remedy names: a button's label and its action. `None` where
/// the window has no button for it (the problem's sentence says what to do).
pub(crate) fn remedy_action(remedy: &crate::remedy::Remedy) -> Option<(String, Action)> {
    use crate::remedy::Remedy;
    Some(match remedy {
        Remedy::Connect { connection } => (
            format!("Log '{connection}' in"),
            connections::Action::Connect(connection.clone()).into(),
        ),
        Remedy::SwitchUser { connection, user } => (
            format!("Log '{connection}' in as {user}"),
            connections::Action::ConnectSwitching(connection.clone()).into(),
        ),
        Remedy::StoreAppCredentials { connection } => (
            format!("Open '{connection}' to enter its app ID and secret"),
            connections::Action::Select(connection.clone()).into(),
        ),
        Remedy::UseNewLists => (
            "Send to new lists instead".into(),
            upload::Action::NewLists(true).into(),
        ),
        Remedy::PickExistingList => (
            "Pick an existing list".into(),
            upload::Action::NewLists(false).into(),
        ),
        Remedy::LookUpLists {
            connection: Some(connection),
        } => (
            "Show the lists".into(),
            lists::Action::Show(connection.clone()).into(),
        ),
        Remedy::EditSyncMapping { sync } => (
            format!("Open sync '{sync}'"),
            syncs::Action::Select(sync.clone()).into(),
        ),
        Remedy::ResumeJob { job } => (
            format!("Resume job {job}"),
            jobs::Action::Resume(*job).into(),
        ),
        Remedy::ConfirmJobRemovals { job } => (
            format!("Send job {job}'s held removals"),
            jobs::Action::ConfirmRemovals(*job).into(),
        ),
        Remedy::ConfirmSyncRemovals { sync } => (
            format!("Send sync '{sync}''s held removals"),
            syncs::Action::RunConfirming(sync.clone()).into(),
        ),
        Remedy::ListJobs => ("Show the jobs".into(), Action::ShowView(View::Jobs)),
        Remedy::ListSyncs => ("Show the syncs".into(), Action::ShowView(View::Syncs)),
        Remedy::AddConnection => ("New connection".into(), connections::Action::New.into()),
        Remedy::LookUpLists { connection: None }
        | Remedy::MapColumns
        | Remedy::NameArchiveFile
        | Remedy::WatchSyncs
        | Remedy::ConfirmArchivedTag
        | Remedy::AddSync
        | Remedy::MoveSecretsToFile => return None,
    })
}

/// What the background tasks report, by feature.
pub enum Event {
    /// The demo's simulator and home are up (or could not start).
    DemoStarted(Box<Result<(crate::demo::Demo, Core), crate::demo::DemoError>>),
    File(file::Event),
    Connections(connections::Event),
    Lists(lists::Event),
    Upload(upload::Event),
    Jobs(jobs::Event),
    Syncs(syncs::Event),
    Audiences(Box<audiences::Event>),
    Alerts(alerts::Event),
    Privacy(privacy::Event),
}

/// What the app works on once local state is open: the core, and in demo mode the simulator
/// it talks to, kept alive as long as the app.
struct Backend {
    core: Arc<Core>,
    _demo: Option<crate::demo::Demo>,
}

/// The desktop app's state and its background tasks.
pub struct App {
    pub state: State,
    tasks: Tasks,
    picker: Arc<dyn FilePicker>,
    /// `None` until local state is open (or while the demo starts, or when it could not).
    backend: Option<Backend>,
    opener: Opener,
    connect_task: Option<tokio::task::AbortHandle>,
    statuses: Every,
    jobs: Every,
    syncs: Every,
    fresh: Every,
    throughput: Every,
    /// Stops the background watcher that runs due syncs; `None` until it starts.
    watcher: Option<Arc<crate::upload::Control>>,
    /// Stops the sending of alerts for the home attached; `None` before one is.
    alert_sender: Option<Arc<crate::upload::Control>>,
    alerts_listed: Every,
    /// Off in tests that want no background runs; on by default.
    pub run_due_syncs: bool,
    /// What to do on the first frame, once a context exists: reopen the last file, and in
    /// demo mode connect.
    pending: Vec<Action>,
    /// Connections already warned about, so a warning is given once per session.
    warned: std::collections::HashSet<String>,
    /// The keyring's trouble, said once per session.
    keyring_warned: bool,
    /// Off in tests; `run` turns it on.
    pub desktop_notifications: bool,
    /// Calls a minute the demo sends at.
    demo_pace: u32,
}

/// The application id: the Wayland app id and X11 window class, the desktop entry's name and
/// `StartupWMClass`, and the AppStream component id (`assets/*.desktop`, `assets/*.metainfo.xml`).
pub const APP_ID: &str = "io.github.audiencedesk.AudienceDesk";

/// The window icon, from the same drawing as the desktop's (`assets/icons`).
fn icon() -> Option<eframe::egui::IconData> {
    let png = include_bytes!("../../assets/icons/audience-desk-256.png");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(&png[..]));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().ok()?;
    let mut rgba = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut rgba).ok()?;
    if frame.color_type != png::ColorType::Rgba || frame.bit_depth != png::BitDepth::Eight {
        return None;
    }
    rgba.truncate(frame.buffer_size());
    Some(eframe::egui::IconData {
        rgba,
        width: frame.width,
        height: frame.height,
    })
}

/// Opens the window and runs until it is closed.
pub fn run(demo: bool) -> anyhow::Result<()> {
    let mut viewport = eframe::egui::ViewportBuilder::default()
        .with_title("Audience Desk")
        .with_app_id(APP_ID)
        .with_inner_size([1200.0, 800.0])
        .with_min_inner_size([720.0, 480.0])
        .with_drag_and_drop(true);
    match icon() {
        Some(icon) => viewport = viewport.with_icon(Arc::new(icon)),
        None => tracing::warn!("the window icon could not be decoded"),
    }
    let options = eframe::NativeOptions {
        persistence_path: window_state_file(),
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        "Audience Desk",
        options,
        Box::new(move |cc| {
            let mut app = if demo {
                App::demo(Arc::new(RfdPicker))
            } else {
                App::with_core(Arc::new(RfdPicker), Core::open(), None)
            };
            app.desktop_notifications = true;
            app.restore(cc.storage);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// Where the window's size and place and the app's settings are kept: in the home, so that
/// `AUDIENCE_DESK_HOME` moves them too. eframe rewrites the file in place, which keeps the
/// owner-only mode it is created with here.
fn window_state_file() -> Option<std::path::PathBuf> {
    let home = crate::home::home_dir();
    let path = home.join("window.ron");
    // A new file holds an empty map, which eframe reads without complaint (an empty file it
    // reports as unreadable).
    let made = crate::home::private_dir(&home).and_then(|()| match path.exists() {
        true => crate::home::tighten(&path),
        false => crate::home::write_private(&path, b"{}\n"),
    });
    match made {
        Ok(()) => Some(path),
        Err(e) => {
            tracing::warn!(
                "window state is not kept: cannot write {}: {e}",
                path.display()
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_window_icon_decodes_to_its_full_size() {
        let icon = super::icon().expect("the icon decodes");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        assert!(
            icon.rgba.chunks(4).any(|p| p[3] == 0),
            "a transparent corner"
        );
    }
}
