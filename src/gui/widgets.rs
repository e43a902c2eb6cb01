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

/// A striped two-column table of facts: `fill` gets a function that adds one label and its
/// value per row.
pub fn facts(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    fill: impl FnOnce(&mut dyn FnMut(&str, String)),
) {
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        fill(&mut |label: &str, value: String| {
            ui.label(label);
            ui.label(value);
            ui.end_row();
        });
    });
}

/// A resizable list on the left of a screen (jobs, syncs), scrolling on its own.
pub fn side_list(ui: &mut egui::Ui, id: &'static str, content: impl FnOnce(&mut egui::Ui)) {
    egui::Panel::left(id)
        .resizable(true)
        .default_size(280.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, content);
        });
}

/// A small plot of counts (records, identities, rates): fixed in place, starting at zero,
/// its y axis marked in grouped whole numbers at about four steps whatever the scale.
pub fn count_plot(id: impl std::hash::Hash + std::fmt::Debug) -> egui_plot::Plot<'static> {
    egui_plot::Plot::new(id)
        .height(160.0)
        .include_y(0.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        // Room for a count such as "120,000", which the default width hides.
        .y_axis_min_width(56.0)
        .y_axis_formatter(|mark, _| count_mark(mark.value))
        // Powers of ten alone leave a short plot with only its zero labelled.
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            let step = nice_step((input.bounds.1 - input.bounds.0) / 4.0);
            [step / 5.0, step, step * 5.0]
        }))
}

/// The 1, 2 or 5 times a power of ten nearest above `rough`.
fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power)
}

/// A value on a count axis: a whole number, grouped.
fn count_mark(value: f64) -> String {
    if value < 0.0 {
        return String::new();
    }
    crate::display::group(value.round() as u64)
}

/// A problem: its sentence, and a button for the way out when the window has one.
pub fn problem(
    ui: &mut egui::Ui,
    problem: &crate::gui::state::Problem,
    actions: &mut Vec<crate::gui::Action>,
) {
    error(ui, &problem.text);
    if let Some((label, action)) = problem.remedy.as_ref().and_then(crate::gui::remedy_action)
        && ui.button(label).clicked()
    {
        actions.push(action);
    }
}

/// A status as a small colored tag: the same look for audiences, jobs and syncs.
pub fn badge(ui: &mut egui::Ui, text: &str, fill: egui::Color32, hover: &str) -> Response {
    egui::Frame::new()
        .fill(fill)
        .inner_margin(egui::Margin::symmetric(5, 1))
        .corner_radius(3.0)
        .show(ui, |ui| {
            ui.label(RichText::new(text).color(egui::Color32::WHITE))
                .on_hover_text(hover)
        })
        .inner
}

/// The badges' colors, by what they mean.
pub mod tone {
    use eframe::egui::Color32;

    pub const GOOD: Color32 = Color32::from_rgb(0x2e, 0x7d, 0x32);
    pub const BAD: Color32 = Color32::from_rgb(0xb2, 0x3b, 0x1e);
    pub const BUSY: Color32 = Color32::from_rgb(0x1f, 0x5f, 0x9e);
    pub const WAITING: Color32 = Color32::from_rgb(0x5e, 0x4b, 0x8b);
    pub const QUIET: Color32 = Color32::from_gray(0x60);
}

/// A dialog in the middle of the window, of a fixed width, that neither folds nor resizes.
pub fn centered_dialog(title: &str, width: f32) -> egui::Window<'static> {
    egui::Window::new(title.to_owned())
        .collapsible(false)
        .resizable(false)
        .default_width(width)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
}

/// A labelled one-line text field as a row of a two-column grid.
pub fn text_row(ui: &mut egui::Ui, label: &str, value: &mut String) -> Response {
    let label = ui.label(label);
    let field = ui
        .add(egui::TextEdit::singleline(value).desired_width(320.0))
        .labelled_by(label.id);
    ui.end_row();
    field
}

#[cfg(test)]
mod tests {
    #[test]
    fn count_marks_are_grouped_whole_numbers() {
        assert_eq!(super::count_mark(20_000.0), "20,000");
        assert_eq!(super::count_mark(2.5), "3");
        assert_eq!(super::count_mark(-5_000.0), "");
        assert_eq!(super::nice_step(11_000.0), 20_000.0);
        assert_eq!(super::nice_step(4.0), 5.0);
        assert_eq!(super::nice_step(0.0), 1.0);
    }
}
