//! The notices' corner and history: drawn over the screens, so a notice never moves a control
//! under the pointer, and wrapped to a readable width.

use std::time::Instant;

use eframe::egui::{self, RichText};

use super::Action;
use super::state::Notices;

/// The corner's width: long messages wrap within it.
const WIDTH: f32 = 380.0;

pub fn ui(ctx: &egui::Context, notices: &Notices, actions: &mut Vec<Action>) {
    let now = Instant::now();
    egui::Area::new(egui::Id::unique("notices"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -12.0))
        .order(egui::Order::Foreground)
        .show(ctx, |ui| {
            ui.set_max_width(WIDTH);
            for notice in notices.shown(now) {
                let visuals = ui.visuals();
                let (fill, stroke) = match notice.is_error {
                    true => (visuals.extreme_bg_color, visuals.error_fg_color),
                    false => (
                        visuals.extreme_bg_color,
                        visuals.widgets.active.bg_stroke.color,
                    ),
                };
                egui::Frame::popup(ui.style())
                    .fill(fill)
                    .stroke(egui::Stroke::new(1.0, stroke))
                    .show(ui, |ui| {
                        ui.set_width(WIDTH - 24.0);
                        let text = RichText::new(&notice.text);
                        let text = match notice.is_error {
                            true => text.color(ui.visuals().error_fg_color),
                            false => text,
                        };
                        ui.add(egui::Label::new(text).wrap());
                        if ui
                            .small_button("Dismiss")
                            .on_hover_text("It stays in Notices, in the toolbar")
                            .clicked()
                        {
                            actions.push(Action::DismissNotice(notice.id));
                        }
                    });
                ui.add_space(6.0);
            }
        });
    if !notices.history_open {
        return;
    }
    let mut open = true;
    egui::Window::new("Notices")
        .open(&mut open)
        .default_width(WIDTH + 80.0)
        .default_height(300.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                for notice in notices.history() {
                    ui.label(
                        RichText::new(crate::display::local_time(notice.posted))
                            .small()
                            .weak(),
                    );
                    let text = RichText::new(&notice.text);
                    let text = match notice.is_error {
                        true => text.color(ui.visuals().error_fg_color),
                        false => text,
                    };
                    ui.add(egui::Label::new(text).wrap());
                    ui.separator();
                }
            });
        });
    if !open {
        actions.push(Action::ToggleNotices);
    }
}
