use std::path::PathBuf;

/// Chooses a file for the user. A seam: the real dialog needs a desktop portal, tests feed paths.
pub trait FilePicker: Send + Sync {
    /// Blocks until the user picks a file or cancels; runs off the UI thread.
    fn pick_file(&self) -> Option<PathBuf>;
    /// Blocks until the user picks where to save; runs off the UI thread.
    fn save_file(&self, suggested_name: &str) -> Option<PathBuf>;
}

/// The system's file dialog.
pub struct RfdPicker;

impl FilePicker for RfdPicker {
    fn pick_file(&self) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Open a customer file")
            .add_filter("Customer files", &["csv", "tsv", "txt"])
            .add_filter("All files", &["*"])
            .pick_file()
    }

    fn save_file(&self, suggested_name: &str) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Save the rejects report")
            .set_file_name(suggested_name)
            .save_file()
    }
}

/// Answers every dialog with a fixed path: for tests and scripted runs.
pub struct FixedPicker(pub Option<PathBuf>);

impl FilePicker for FixedPicker {
    fn pick_file(&self) -> Option<PathBuf> {
        self.0.clone()
    }

    fn save_file(&self, _suggested_name: &str) -> Option<PathBuf> {
        self.0.clone()
    }
}
