//! Choosing files for the user: the system's dialog, or a path typed in the window where the
//! desktop has no dialog service. A seam: tests feed paths, or say the dialog is missing.

use std::path::PathBuf;

/// What a file dialog answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picked {
    Path(PathBuf),
    /// The user closed the dialog.
    Cancelled,
    /// No dialog could open here; why, for the user.
    Unavailable(String),
}

/// Chooses a file for the user. Runs off the UI thread; may block until the user answers.
pub trait FilePicker: Send + Sync {
    fn pick_file(&self) -> Picked;
    fn save_file(&self, suggested_name: &str) -> Picked;
}

/// The system's file dialog: the desktop portal, or zenity.
pub struct RfdPicker;

impl RfdPicker {
    /// Why no dialog can open, when none can: rfd answers a missing service as a cancel.
    fn unavailable() -> Option<String> {
        if cfg!(not(target_os = "linux")) || file_chooser_answers() || on_path("zenity") {
            return None;
        }
        Some("this desktop has no file-dialog service (xdg-desktop-portal or zenity)".to_owned())
    }
}

/// Whether the desktop portal offers its file chooser: asking for the chooser's version
/// starts the portal if it is not running. A portal can be there without one (no backend
/// for this desktop: "No skeleton to export"), and rfd would then answer every dialog as
/// cancelled, leaving the user with nothing.
fn file_chooser_answers() -> bool {
    let asked = || -> zbus::Result<zbus::zvariant::OwnedValue> {
        // A portal starting its backend answers in a second or two; one that hangs is none.
        let bus = zbus::blocking::connection::Builder::session()?
            .method_timeout(std::time::Duration::from_secs(10))
            .build()?;
        let properties = zbus::blocking::fdo::PropertiesProxy::builder(&bus)
            .destination("org.freedesktop.portal.Desktop")?
            .path("/org/freedesktop/portal/desktop")?
            .build()?;
        let chooser = zbus::names::InterfaceName::try_from("org.freedesktop.portal.FileChooser")?;
        Ok(properties.get(chooser, "version")?)
    };
    asked().is_ok()
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn answered(path: Option<PathBuf>) -> Picked {
    path.map_or(Picked::Cancelled, Picked::Path)
}

impl FilePicker for RfdPicker {
    fn pick_file(&self) -> Picked {
        if let Some(why) = Self::unavailable() {
            return Picked::Unavailable(why);
        }
        answered(
            rfd::FileDialog::new()
                .set_title("Open a customer file")
                .add_filter(
                    "Customer files",
                    &[
                        "csv", "tsv", "txt", "gz", "zip", "xlsx", "xlsm", "xls", "ods",
                    ],
                )
                .add_filter("All files", &["*"])
                .pick_file(),
        )
    }

    fn save_file(&self, suggested_name: &str) -> Picked {
        if let Some(why) = Self::unavailable() {
            return Picked::Unavailable(why);
        }
        answered(
            rfd::FileDialog::new()
                .set_title("Save the rejects report")
                .set_file_name(suggested_name)
                .save_file(),
        )
    }
}

/// Answers every dialog with a fixed path (`None`: cancelled): for tests and scripted runs.
pub struct FixedPicker(pub Option<PathBuf>);

impl FilePicker for FixedPicker {
    fn pick_file(&self) -> Picked {
        answered(self.0.clone())
    }

    fn save_file(&self, _suggested_name: &str) -> Picked {
        answered(self.0.clone())
    }
}

/// A desktop without a dialog service: every dialog is unavailable.
pub struct NoDialog;

impl FilePicker for NoDialog {
    fn pick_file(&self) -> Picked {
        Picked::Unavailable("this desktop has no file-dialog service (test)".into())
    }

    fn save_file(&self, _suggested_name: &str) -> Picked {
        self.pick_file()
    }
}
