//! The small pieces every screen repeats: an error, a warning, work in progress.

use eframe::egui::{self, Response, RichText, WidgetText};

/// A problem the user must act on, in the theme's error colour.
pub fn error(ui: &mut egui::Ui, text: impl Into<RichText>) -> Response {
    let color = ui.visuals().error_fg_color;
    ui.colored_label(color, text)
}

/// Something to know that does not stop the work, in the theme's warning colour.
pub fn warning(ui: &mut egui::Ui, text: impl Into<RichText>) -> Response {
    let color = ui.visuals().warn_fg_color;
    ui.colored_label(color, text)
}

/// Work under way: a spinner and what it is.
pub fn busy(ui: &mut egui::Ui, text: impl Into<WidgetText>) -> Response {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(text);
    })
    .response
}
