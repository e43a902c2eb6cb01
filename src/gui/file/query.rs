//! "Open query...": a customer list read from a database. Test runs the query and says what
//! it read; Open runs it and previews the result like a file. A password typed is tried
//! first and, once the query ran with it, kept in the home's secret store, where every later
//! query of the home (the command line and scheduled sync runs too) finds it; a wrong one is
//! not kept. The query runs off the UI thread.

use std::sync::Arc;

use eframe::egui;

use super::super::App;
use super::super::state::{FileState, Loaded, QueryForm, QueryStatus, View};
use super::{Action, Event};
use crate::source::{PreviewOptions, Query, QueryResult, run_query_with_password};

/// What the dialog's fields say now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryFields {
    pub database: String,
    pub sql: String,
    pub password: String,
}

/// A query's outcome, for the dialog: what was read, or why not.
/// A test reads no preview; opening does.
pub type QueryOutcome = Result<(Arc<QueryResult>, Option<crate::source::Preview>), String>;

impl App {
    pub(super) fn apply_query(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::OpenQueryForm if self.state.query_form.is_none() => {
                // The query open now, to change it; else a start for an address.
                let open = self.state.loaded().and_then(|l| l.from_query.as_ref());
                let (database, sql) = match open {
                    Some((query, _)) => (query.database.clone(), query.sql.clone()),
                    None => (String::new(), String::new()),
                };
                self.state.query_form = Some(QueryForm {
                    database,
                    sql,
                    ..QueryForm::default()
                });
            }
            Action::EditQuery(fields) => {
                if let Some(form) = &mut self.state.query_form {
                    form.database = fields.database;
                    form.sql = fields.sql;
                    form.password = fields.password;
                    if !form.busy() {
                        form.status = QueryStatus::Idle;
                    }
                }
            }
            Action::TestQuery | Action::RunQuery => {
                let test = action == Action::TestQuery;
                let core = self.core();
                let Some(form) = &mut self.state.query_form else {
                    return;
                };
                if form.busy() {
                    return;
                }
                let query = form.query();
                let password = std::mem::take(&mut form.password);
                form.status = match test {
                    true => QueryStatus::Testing,
                    false => QueryStatus::Opening,
                };
                self.tasks.blocking(ctx, move |_| {
                    let outcome = read(&query, &password, test).and_then(|read| {
                        keep_password(core.as_deref(), &query, &password)?;
                        Ok(read)
                    });
                    Event::QueryDone { query, outcome }
                });
            }
            Action::CloseQuery => self.state.query_form = None,
            _ => {}
        }
    }

    pub(super) fn on_query(&mut self, query: Query, outcome: QueryOutcome, ctx: &egui::Context) {
        // The dialog was closed, or the query edited, while it ran: the answer is stale.
        let Some(form) = &mut self.state.query_form else {
            return;
        };
        if form.query() != query {
            form.status = QueryStatus::Idle;
            return;
        }
        match outcome {
            Err(error) => form.status = QueryStatus::Failed(error),
            Ok((result, None)) => form.status = QueryStatus::Tested(result.describe()),
            Ok((result, Some(preview))) => {
                self.state.query_form = None;
                self.cancel_scan();
                let mut loaded = Loaded::new(preview);
                loaded.from_query = Some((query, result));
                self.state.file = FileState::Loaded(Box::new(loaded));
                self.state.view = View::Upload;
                self.restart_scan(ctx);
            }
        }
    }
}

/// Keeps a typed password, which the query just ran with, in the home's secret store.
fn keep_password(
    core: Option<&crate::context::Core>,
    query: &Query,
    password: &str,
) -> Result<(), String> {
    if password.is_empty() {
        return Ok(());
    }
    let core = core.ok_or("the home is not open, so the password cannot be kept")?;
    core.remember_database_password(&query.shown(), password)
        .map_err(|e| format!("The query ran, but its password could not be kept: {e}"))
}

/// Runs the query (a typed password tried first) and, to open it, previews its result.
fn read(query: &Query, password: &str, test: bool) -> QueryOutcome {
    let typed = Some(password).filter(|p| !p.is_empty());
    let result = Arc::new(run_query_with_password(query, typed).map_err(|e| e.to_string())?);
    let preview = match test {
        true => None,
        false => Some(
            result
                .preview(PreviewOptions::default())
                .map_err(|e| e.to_string())?,
        ),
    };
    Ok((result, preview))
}
