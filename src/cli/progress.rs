use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::source::Progress;

/// A byte-based progress bar on stderr; hidden when stderr is not a terminal.
pub fn bar(total_bytes: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total_bytes);
    // Invariant: the template is a literal that indicatif accepts.
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .expect("valid progress template")
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

pub fn update(bar: &ProgressBar, progress: Progress) {
    bar.set_length(progress.total_bytes.max(1));
    bar.set_position(progress.bytes_read.min(progress.total_bytes));
}
