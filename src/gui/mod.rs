//! The desktop app. Views draw state and return actions; the app applies actions by starting
//! background tasks, whose events it drains at the start of every frame. No file or network
//! I/O happens on the UI thread.

mod action;
mod app;
mod command;
mod every;
mod notify;
mod picker;
mod screens;
mod state;
mod tasks;
mod widgets;

pub use action::Action;
pub use app::App;
pub use picker::{FilePicker, FixedPicker, RfdPicker};
pub use state::{
    ConnectState, FileState, JobsState, PlanState, ScanState, State, UploadForm, View,
};
pub use tasks::Opener;

use std::sync::Arc;

/// Opens the window and runs until it is closed.
pub fn run(demo: bool) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        persistence_path: window_state_file(),
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("Audience Desk")
            .with_app_id("audience-desk")
            .with_inner_size([1200.0, 800.0])
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Audience Desk",
        options,
        Box::new(move |cc| {
            let mut app = if demo {
                App::demo(Arc::new(RfdPicker))
            } else {
                App::with_core(Arc::new(RfdPicker), crate::app_core::Core::open(), None)
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
