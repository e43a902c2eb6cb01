//! The "Open query..." dialog: where the list lives, the query, a password to keep, and what
//! a test read.

use eframe::egui;

use super::QueryFields;
use crate::display::printable;
use crate::gui::Action;
use crate::gui::file::Action as File;
use crate::gui::state::{QueryForm, QueryStatus};
use crate::gui::widgets;

pub fn dialog(ctx: &egui::Context, form: &QueryForm, actions: &mut Vec<Action>) {
    let mut fields = QueryFields {
        database: form.database.clone(),
        sql: form.sql.clone(),
        password: form.password.clone(),
    };
    let sqlite = fields.database.trim_start().starts_with("sqlite:");
    let mut edited = false;
    widgets::centered_dialog("Open a query", 560.0).show(ctx, |ui| {
        ui.add(
            egui::Label::new(
                "Read the customer list from a database: PostgreSQL or an SQLite file. The \
                     query runs read-only and is stopped after 5 minutes; its columns are mapped \
                     by name, as a file's header.",
            )
            .wrap(),
        );
        ui.add_space(6.0);
        let label = ui.label("Database address");
        edited |= ui
            .add(
                egui::TextEdit::singleline(&mut fields.database)
                    .hint_text("postgres://crm@db.example.com:5432/shop or sqlite:/path/crm.db")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .on_hover_text(
                "TLS as the address's sslmode says, as for psql: add \
                 ?sslmode=verify-full&sslrootcert=/path/ca.pem to check the server's certificate",
            )
            .changed();
        let label = ui.label("Query");
        edited |= ui
            .add(
                egui::TextEdit::multiline(&mut fields.sql)
                    .code_editor()
                    .desired_rows(5)
                    .hint_text("SELECT email, gaid FROM customers WHERE opted_in")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .changed();
        let label = ui.label("Password (PostgreSQL)");
        let hint = match sqlite {
            true => "An SQLite file needs none",
            false => "Leave empty to use the one kept in this home, PGPASSWORD or ~/.pgpass",
        };
        edited |= ui
            .add_enabled(
                !sqlite,
                egui::TextEdit::singleline(&mut fields.password)
                    .password(true)
                    .hint_text(hint)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .changed();
        if !sqlite {
            ui.weak("A password typed here is kept in this home's secret store once the query ran with it.");
        }
        ui.add_space(6.0);
        match &form.status {
            QueryStatus::Idle => {}
            QueryStatus::Testing => {
                widgets::busy(ui, "Running the query...");
            }
            QueryStatus::Opening => {
                widgets::busy(ui, "Running the query and reading its result...");
            }
            QueryStatus::Tested(read) => {
                ui.add(egui::Label::new(format!("The query read {}.", printable(read))).wrap());
            }
            QueryStatus::Failed(error) => {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(crate::display::sentence(&printable(error)))
                            .color(ui.visuals().error_fg_color),
                    )
                    .wrap(),
                );
            }
        }
        ui.horizontal(|ui| {
            let ready =
                !form.busy() && !fields.sql.trim().is_empty() && !fields.database.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new("Test"))
                .on_hover_text("Runs the query and says how many rows and which columns it read")
                .clicked()
            {
                actions.push(File::TestQuery.into());
            }
            if ui
                .add_enabled(ready, egui::Button::new("Open"))
                .on_hover_text("Runs the query and previews its result")
                .clicked()
            {
                actions.push(File::RunQuery.into());
            }
            if ui.button("Cancel").clicked() {
                actions.push(File::CloseQuery.into());
            }
        });
    });
    if edited {
        // Before Test or Open of the same frame, which read the form.
        actions.insert(0, File::EditQuery(fields).into());
    }
}
