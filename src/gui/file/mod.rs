//! The customer file: opening it (the dialog, a path, a drop), its preview, the full pass
//! that counts it under the current mapping, the pages of rows the table reads, and the
//! rejects exported.

mod query;
pub mod query_view;
pub mod view;

pub use query::QueryFields;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eframe::egui;

use super::App;
use super::picker::Picked;
use super::state::{
    FileState, Found, Loaded, PAGE_ROWS, PathPrompt, PathPurpose, RowsShown, ScanState,
};
use crate::identity::Namespace;
use crate::prepare::{PrepareError, write_rejects};
use crate::source::{
    MemoryBudget, NotableRows, Preview, PreviewOptions, Progress, RowIndex, SampleRow, SourceError,
    Summary, notable_rows, read_rows, scan,
};

/// Identities kept to find repeats for the "duplicates" view: about 16 bytes each.
const NOTABLE_CAP: u64 = 10_000_000;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    OpenDialog,
    Open(PathBuf),
    Remap {
        column: usize,
        namespace: Namespace,
    },
    /// Shows all rows, the rows with a problem, or those with a repeat.
    Show(RowsShown),
    /// Brings the next row with a problem into view.
    NextProblem,
    /// The table brought the asked row into view.
    Scrolled,
    /// The path typed where no file dialog could open.
    EditPath(String),
    /// Opens (or saves to) the path typed.
    SubmitPath,
    ClosePathPrompt,
    CancelScan,
    /// Reads a page of rows for the table (the user scrolled to it).
    LoadPage(u64),
    ExportRejects,
    /// Reads another sheet of the workbook, or another file of the archive.
    OpenPart(crate::source::Part),
    OpenQueryForm,
    EditQuery(QueryFields),
    /// Runs the query and says what it read.
    TestQuery,
    /// Runs the query and previews its result.
    RunQuery,
    CloseQuery,
}

pub enum Event {
    /// The dialog's answer.
    Picked(Picked),
    PreviewLoaded {
        path: PathBuf,
        result: Result<Preview, SourceError>,
    },
    ScanProgress {
        generation: u64,
        progress: Progress,
    },
    ScanFinished {
        generation: u64,
        result: Result<(Summary, RowIndex), SourceError>,
    },
    Page {
        generation: u64,
        page: u64,
        result: Result<Vec<SampleRow>, SourceError>,
    },
    /// Where the save dialog said to write the rejects (nothing written yet).
    RejectsTarget(Picked),
    RejectsExported(Result<(PathBuf, u64), PrepareError>),
    /// The rows with a problem and with a repeat, for the pass of `generation`.
    Notable {
        generation: u64,
        result: Result<NotableRows, SourceError>,
    },
    QueryDone {
        query: crate::source::Query,
        outcome: query::QueryOutcome,
    },
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::File(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::File(event)
    }
}

impl App {
    pub(super) fn apply_file(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::OpenDialog => {
                let picker = self.picker.clone();
                self.tasks
                    .blocking(ctx, move |_| Event::Picked(picker.pick_file()));
            }
            Action::Open(path) => self.open(path, PreviewOptions::default(), ctx),
            Action::OpenPart(part) => {
                if let Some(loaded) = self.state.loaded() {
                    let path = loaded.preview.path.clone();
                    let options = PreviewOptions {
                        part,
                        ..PreviewOptions::default()
                    };
                    self.open(path, options, ctx);
                }
            }
            Action::OpenQueryForm
            | Action::EditQuery(_)
            | Action::TestQuery
            | Action::RunQuery
            | Action::CloseQuery => self.apply_query(action, ctx),
            Action::Remap { column, namespace } => {
                if let Some(loaded) = self.state.loaded_mut() {
                    loaded.preview.remap(column, namespace);
                }
                self.restart_scan(ctx);
            }
            Action::CancelScan => self.cancel_scan(),
            Action::LoadPage(page) => {
                if let Some(loaded) = self.state.loaded_mut()
                    && let Some(index) = loaded.index.clone()
                    && loaded.loading_pages.insert(page)
                {
                    let (preview, generation) = (loaded.preview.clone(), loaded.generation);
                    self.tasks.blocking(ctx, move |_| {
                        let first = page * PAGE_ROWS;
                        let result = read_rows(&preview, &index, first, PAGE_ROWS as usize);
                        Event::Page {
                            generation,
                            page,
                            result,
                        }
                    });
                }
            }
            Action::ExportRejects => {
                let picker = self.picker.clone();
                self.tasks.blocking(ctx, move |_| {
                    Event::RejectsTarget(picker.save_file("rejects.csv"))
                });
            }
            Action::Show(shown) => {
                if let Some(loaded) = self.state.loaded_mut() {
                    loaded.shown = shown;
                    loaded.scroll_to = Some(0);
                }
                if shown != RowsShown::All {
                    self.find_notable(ctx);
                }
            }
            Action::NextProblem => self.next_problem(ctx),
            Action::Scrolled => {
                if let Some(loaded) = self.state.loaded_mut() {
                    loaded.scroll_to = None;
                }
            }
            Action::EditPath(text) => {
                if let Some(prompt) = &mut self.state.path_prompt {
                    prompt.text = text;
                }
            }
            Action::SubmitPath => {
                let Some(prompt) = self.state.path_prompt.take() else {
                    return;
                };
                let path = PathBuf::from(prompt.text.trim());
                match prompt.purpose {
                    PathPurpose::Open => self.apply_file(Action::Open(path), ctx),
                    PathPurpose::SaveRejects => self.export_rejects(path, ctx),
                }
            }
            Action::ClosePathPrompt => self.state.path_prompt = None,
        }
    }

    pub(super) fn on_file(&mut self, event: Event, ctx: &egui::Context) {
        match event {
            Event::Picked(Picked::Path(path)) => self.apply(Action::Open(path).into(), ctx),
            Event::Picked(Picked::Cancelled) | Event::RejectsTarget(Picked::Cancelled) => {}
            Event::Picked(Picked::Unavailable(why)) => self.prompt_path(PathPurpose::Open, why),
            Event::RejectsTarget(Picked::Path(path)) => self.export_rejects(path, ctx),
            Event::RejectsTarget(Picked::Unavailable(why)) => {
                self.prompt_path(PathPurpose::SaveRejects, why)
            }
            Event::PreviewLoaded { path, result } => {
                let current = matches!(&self.state.file, FileState::Loading(p) if *p == path);
                if !current {
                    return;
                }
                self.state.file = match result {
                    Ok(preview) => FileState::Loaded(Box::new(Loaded::new(preview))),
                    Err(error) => FileState::Failed {
                        path,
                        error: error.to_string(),
                    },
                };
                self.restart_scan(ctx);
            }
            Event::ScanProgress {
                generation,
                progress,
            } => {
                if let Some(loaded) = self.current(generation)
                    && let ScanState::Running { progress: p, .. } = &mut loaded.scan
                {
                    *p = progress;
                }
            }
            Event::ScanFinished { generation, result } => {
                let mut find = false;
                if let Some(loaded) = self.current(generation) {
                    find = loaded.shown != RowsShown::All && result.is_ok();
                    loaded.scan = match result {
                        Ok((summary, index)) => {
                            loaded.index = Some(Arc::new(index));
                            ScanState::Done(Box::new(summary))
                        }
                        Err(_) if matches!(loaded.scan, ScanState::Cancelled) => {
                            ScanState::Cancelled
                        }
                        Err(error) => ScanState::Failed(error.to_string()),
                    };
                }
                if find {
                    self.find_notable(ctx);
                }
            }
            Event::Page {
                generation,
                page,
                result,
            } => {
                let failed = self.current(generation).and_then(|loaded| match result {
                    Ok(rows) => {
                        loaded.keep_page(page, rows);
                        None
                    }
                    Err(error) => {
                        // Kept empty so it is not asked for again on every frame.
                        loaded.keep_page(page, Vec::new());
                        Some(error)
                    }
                });
                if let Some(error) = failed {
                    self.notify(
                        format!("Could not read those rows of the file: {error}"),
                        true,
                    );
                }
            }
            Event::Notable { generation, result } => {
                let mut go = false;
                if let Some(loaded) = self.current(generation) {
                    // "Next problem" asked before the rows were found: go there now.
                    go = loaded.scroll_to == Some(usize::MAX);
                    loaded.found = match result {
                        Ok(rows) => Found::Rows(Box::new(rows)),
                        Err(error) => Found::Failed(error.to_string()),
                    };
                }
                if go {
                    self.next_problem(ctx);
                }
            }
            Event::QueryDone { query, outcome } => self.on_query(query, outcome, ctx),
            Event::RejectsExported(result) => match result {
                Ok((path, count)) => self.notify(
                    format!(
                        "Saved {} rejects to {}",
                        crate::display::group(count),
                        path.display()
                    ),
                    false,
                ),
                Err(error) => self.notify(format!("Could not export the rejects: {error}"), true),
            },
        }
    }

    /// Previews the file at `path` in the background (a workbook's sheet or an archive's file
    /// as `options` names it).
    fn open(&mut self, path: PathBuf, options: PreviewOptions, ctx: &egui::Context) {
        self.cancel_scan();
        let loading = path.clone();
        self.tasks.blocking(ctx, move |_| {
            let result = Preview::load(&loading, &options);
            Event::PreviewLoaded {
                path: loading,
                result,
            }
        });
        self.state.file = FileState::Loading(path);
        self.state.view = super::state::View::Upload;
    }

    /// Finds the rows with a problem and with a repeat, once per pass over the file.
    fn find_notable(&mut self, ctx: &egui::Context) {
        let Some(loaded) = self.state.loaded_mut() else {
            return;
        };
        let Some(index) = loaded.index.clone() else {
            return;
        };
        if !matches!(loaded.found, Found::NotYet | Found::Failed(_)) {
            return;
        }
        loaded.found = Found::Finding;
        let (preview, generation) = (loaded.preview.clone(), loaded.generation);
        self.tasks.blocking(ctx, move |_| {
            let result = notable_rows(&preview, &index, NOTABLE_CAP, &AtomicBool::new(false));
            Event::Notable { generation, result }
        });
    }

    /// Brings the next row with a problem into view, after the one shown last.
    fn next_problem(&mut self, ctx: &egui::Context) {
        let Some(loaded) = self.state.loaded_mut() else {
            return;
        };
        let per_row = loaded.preview.identity_columns().count().max(1);
        match &loaded.found {
            Found::Rows(rows) if !rows.problems.is_empty() => {
                let at = loaded
                    .problem_at
                    .map_or(0, |at| (at + 1) % rows.problems.len());
                loaded.problem_at = Some(at);
                loaded.shown = RowsShown::All;
                loaded.scroll_to = Some(rows.problems[at] as usize * per_row);
            }
            Found::Rows(_) => {}
            // Asked before the rows are known: found first, then gone to.
            _ => {
                loaded.scroll_to = Some(usize::MAX);
                self.find_notable(ctx);
            }
        }
    }

    /// Asks for a path in the window: the desktop could not show its file dialog.
    fn prompt_path(&mut self, purpose: PathPurpose, why: String) {
        let text = match purpose {
            PathPurpose::Open => String::new(),
            PathPurpose::SaveRejects => dirs::document_dir()
                .or_else(dirs::home_dir)
                .map(|d| d.join("rejects.csv").display().to_string())
                .unwrap_or_default(),
        };
        self.state.path_prompt = Some(PathPrompt { purpose, text, why });
    }

    /// Writes the rejects report of the file open, under the current mapping, to `target`.
    fn export_rejects(&mut self, target: PathBuf, ctx: &egui::Context) {
        let memory = self.memory();
        let Some(plan) = self
            .state
            .loaded()
            .and_then(|l| l.preview.scan_plan(&memory).ok())
        else {
            return;
        };
        self.tasks.blocking(ctx, move |_| {
            let written = write_rejects(&plan, &target, &AtomicBool::new(false));
            Event::RejectsExported(written.map(|count| (target, count)))
        });
    }

    /// The memory a pass may take: the core's, or the default one in the home when local state
    /// could not be opened (the preview works without it).
    fn memory(&self) -> MemoryBudget {
        match &self.backend {
            Some(backend) => backend.core.memory.clone(),
            None => MemoryBudget::in_home(&crate::home::home_dir()),
        }
    }

    /// Starts the full pass for the current mapping, cancelling any pass still running.
    pub(super) fn restart_scan(&mut self, ctx: &egui::Context) {
        self.cancel_scan();
        let memory = self.memory();
        let Some(loaded) = self.state.loaded_mut() else {
            return;
        };
        loaded.generation += 1;
        // The pages show the old mapping; the rows are read again under the new one, and so
        // are the rows worth a look.
        loaded.pages.clear();
        loaded.loading_pages.clear();
        loaded.found = Found::NotYet;
        loaded.problem_at = None;
        match loaded.preview.scan_plan(&memory) {
            Ok(plan) => {
                let cancel = Arc::new(AtomicBool::new(false));
                loaded.scan = ScanState::Running {
                    progress: Default::default(),
                    cancel: cancel.clone(),
                };
                let generation = loaded.generation;
                self.tasks.blocking(ctx, move |emit| {
                    let result = scan(
                        &plan,
                        &mut |_| {},
                        &mut |progress| {
                            emit.send(Event::ScanProgress {
                                generation,
                                progress,
                            })
                        },
                        &cancel,
                    )
                    .map(|output| (output.summary, output.index));
                    Event::ScanFinished { generation, result }
                });
            }
            Err(error) => loaded.scan = ScanState::NoIdentity(error.to_string()),
        }
    }

    pub(super) fn cancel_scan(&mut self) {
        if let Some(loaded) = self.state.loaded_mut()
            && let ScanState::Running { cancel, .. } = &loaded.scan
        {
            cancel.store(true, Ordering::Relaxed);
            loaded.scan = ScanState::Cancelled;
        }
    }

    fn current(&mut self, generation: u64) -> Option<&mut Loaded> {
        self.state
            .loaded_mut()
            .filter(|loaded| loaded.generation == generation)
    }
}
