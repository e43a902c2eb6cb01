//! Work the UI starts and never waits for: each task runs on its own thread and reports
//! through one channel that the app drains every frame.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;

use super::picker::FilePicker;
use super::state::{ConnectionForm, PAGE_ROWS};
use crate::app_core::Core;
use crate::app_core::{AdAccountLists, ConnectionOverview, JobOverview};
use crate::audiences::Lookalike;
use crate::pinterest::PinterestError;
use crate::pinterest::{AdAccount, SharedAudienceAccount};
use crate::prepare::{PrepareError, write_rejects};
use crate::source::{
    Preview, PreviewOptions, Progress, RowIndex, SampleRow, ScanPlan, Summary, read_rows, scan,
};
use crate::store::{ConnectionUpdate, NewConnection, Snapshot};
use crate::syncs::{
    DEFAULT_SETTLE, RunOutcome, RunProgress, RunView, SyncOverview, SyncSettings, Trigger,
    WatchEvent, Watcher, run_sync,
};
use crate::upload::{Control, JobProgress, JobReport, JobSpec, Plan, plan_upload, run_job};

/// Jobs the jobs screen lists: the most recent first.
const JOBS_LISTED: usize = 50;
/// Runs a sync's page shows: the newest ones.
const SYNC_RUNS_SHOWN: usize = 200;

pub enum Event {
    Picked(PathBuf),
    PreviewLoaded {
        path: PathBuf,
        result: Result<Preview, String>,
    },
    ScanProgress {
        generation: u64,
        progress: Progress,
    },
    ScanFinished {
        generation: u64,
        result: Result<(Summary, RowIndex), String>,
    },
    Page {
        generation: u64,
        page: u64,
        result: Result<Vec<SampleRow>, String>,
    },
    RejectsExported(Result<(PathBuf, u64), String>),
    Connections(Vec<ConnectionOverview>),
    Saved(Result<String, String>),
    Deleted(Result<String, String>),
    Connected {
        name: String,
        result: Result<String, String>,
    },
    Lists {
        name: String,
        result: Result<AdAccountLists, String>,
    },
    PlanProgress(Progress),
    /// The plan, and the journaled job when the user asked to start it.
    Planned(Result<(Box<Plan>, Option<i64>), String>),
    Jobs(Vec<JobOverview>),
    JobEnded {
        job: i64,
        result: Result<JobReport, String>,
    },
    Syncs(Vec<SyncOverview>),
    SyncHistory {
        name: String,
        result: Result<Vec<RunView>, String>,
    },
    SyncSaved(Result<String, String>),
    SyncRemoved(Result<String, String>),
    /// A run this window started ended (`None`: another process had just run it).
    SyncRunEnded {
        name: String,
        result: Result<Option<RunOutcome>, String>,
    },
    /// The background watcher started or ended a due run.
    Watch(WatchEvent),
    ListHistory {
        list_id: String,
        result: Result<Vec<Snapshot>, String>,
    },
    LookalikeMade(Result<String, String>),
    /// Who an audience is shared with now; `said` after a share or a revoke.
    Shared {
        audience: String,
        result: Result<Vec<SharedAudienceAccount>, String>,
        said: Option<String>,
    },
    AudienceRemoved(Result<String, String>),
    Accounts {
        name: String,
        result: Result<Vec<AdAccount>, String>,
    },
    /// A background read failed (the connections, the jobs): said in the notice line rather
    /// than leaving the screen silently empty.
    LoadFailed(String),
}

/// What the Audiences and Connection screens ask Pinterest for, in the background.
pub enum Question {
    /// The ad accounts a connection's login reaches.
    Accounts(String),
    Lookalike {
        connection: String,
        request: Lookalike,
    },
    /// Who an audience is shared with; with `change`, after sharing with (or revoking from,
    /// when `true`) those accounts.
    Shared {
        connection: String,
        audience: String,
        change: Option<(Vec<String>, bool)>,
    },
    Remove {
        connection: String,
        audience: String,
    },
}

impl Question {
    async fn answer(self, core: Arc<Core>) -> Event {
        let text = |e: &dyn std::fmt::Display| e.to_string();
        match self {
            Question::Accounts(name) => {
                let result = core.ad_accounts(&name).await.map_err(|e| text(&e));
                Event::Accounts { name, result }
            }
            Question::Lookalike {
                connection,
                request,
            } => Event::LookalikeMade(
                core.create_lookalike(&connection, &request)
                    .await
                    .map(|a| {
                        format!(
                            "Made lookalike \"{}\" ({}); Pinterest builds it over the next hours.",
                            a.name.unwrap_or_default(),
                            a.id
                        )
                    })
                    .map_err(|e| text(&e)),
            ),
            Question::Shared {
                connection,
                audience,
                change,
            } => {
                let (result, said) = match &change {
                    Some((recipients, revoke)) => {
                        let result = core
                            .share_audience(&connection, &audience, recipients, *revoke)
                            .await;
                        let verb = if *revoke {
                            "Revoked from"
                        } else {
                            "Shared with"
                        };
                        let said = result
                            .is_ok()
                            .then(|| format!("{verb} {}.", recipients.join(", ")));
                        (result, said)
                    }
                    None => (core.shared_with(&connection, &audience).await, None),
                };
                Event::Shared {
                    audience,
                    result: result.map_err(|e| text(&e)),
                    said,
                }
            }
            Question::Remove {
                connection,
                audience,
            } => Event::AudienceRemoved(
                core.remove_audience(&connection, &audience)
                    .await
                    .map(|a| {
                        format!(
                            "Removed audience \"{}\"; its customer list stays.",
                            a.name.unwrap_or(audience)
                        )
                    })
                    .map_err(|e| text(&e)),
            ),
        }
    }
}

/// Opens the login page; the browser by default, a stand-in in tests.
pub type Opener = Arc<dyn Fn(&url::Url) -> Result<(), PinterestError> + Send + Sync>;

pub struct Tasks {
    sender: Sender<Event>,
    receiver: Receiver<Event>,
}

impl Default for Tasks {
    fn default() -> Self {
        let (sender, receiver) = channel();
        Tasks { sender, receiver }
    }
}

impl Tasks {
    pub fn drain(&self) -> Vec<Event> {
        self.receiver.try_iter().collect()
    }

    fn spawn(&self, ctx: &egui::Context, work: impl FnOnce(&dyn Fn(Event)) + Send + 'static) {
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let emit = |event| {
                // The app is gone when the send fails: nothing is left to tell.
                let _ = sender.send(event);
                ctx.request_repaint();
            };
            work(&emit);
        });
    }

    /// Like `spawn`, for async work on the runtime; the handle cancels it.
    fn spawn_async(
        &self,
        ctx: &egui::Context,
        runtime: &tokio::runtime::Runtime,
        work: impl Future<Output = Event> + Send + 'static,
    ) -> tokio::task::AbortHandle {
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        runtime
            .spawn(async move {
                let event = work.await;
                let _ = sender.send(event);
                ctx.request_repaint();
            })
            .abort_handle()
    }

    pub fn pick_file(&self, ctx: &egui::Context, picker: Arc<dyn FilePicker>) {
        self.spawn(ctx, move |emit| {
            if let Some(path) = picker.pick_file() {
                emit(Event::Picked(path));
            }
        });
    }

    pub fn load_preview(&self, ctx: &egui::Context, path: PathBuf) {
        self.spawn(ctx, move |emit| {
            let result =
                Preview::load(&path, &PreviewOptions::default()).map_err(|e| e.to_string());
            emit(Event::PreviewLoaded { path, result });
        });
    }

    pub fn scan(
        &self,
        ctx: &egui::Context,
        plan: ScanPlan,
        generation: u64,
        cancel: Arc<AtomicBool>,
    ) {
        self.spawn(ctx, move |emit| {
            let result = scan(
                &plan,
                &mut |_| {},
                &mut |progress| {
                    emit(Event::ScanProgress {
                        generation,
                        progress,
                    })
                },
                &cancel,
            )
            .map(|output| (output.summary, output.index))
            .map_err(|e| e.to_string());
            emit(Event::ScanFinished { generation, result });
        });
    }

    /// Reads one page of rows for the preview's table.
    pub fn load_page(
        &self,
        ctx: &egui::Context,
        preview: Preview,
        index: Arc<RowIndex>,
        page: u64,
        generation: u64,
    ) {
        self.spawn(ctx, move |emit| {
            let first = page * PAGE_ROWS;
            let result =
                read_rows(&preview, &index, first, PAGE_ROWS as usize).map_err(|e| e.to_string());
            emit(Event::Page {
                generation,
                page,
                result,
            });
        });
    }

    pub fn load_connections(&self, ctx: &egui::Context, core: Arc<Core>) {
        self.spawn(ctx, move |emit| match core.connection_overviews() {
            Ok(rows) => emit(Event::Connections(rows)),
            Err(e) => emit(Event::LoadFailed(format!(
                "Cannot read the connections: {e}"
            ))),
        });
    }

    pub fn save_connection(&self, ctx: &egui::Context, core: Arc<Core>, form: ConnectionForm) {
        self.spawn(ctx, move |emit| {
            let secret = Some(form.app_secret.trim()).filter(|s| !s.is_empty());
            let app_id = Some(form.app_id.trim().to_owned()).filter(|s| !s.is_empty());
            let result = match &form.editing {
                None => core.add_connection(
                    &NewConnection {
                        name: form.name.trim().to_owned(),
                        description: form.description.clone(),
                        ad_account_id: form.ad_account_id.trim().to_owned(),
                        app_id,
                    },
                    secret,
                ),
                Some(original) => core.update_connection(
                    original,
                    &ConnectionUpdate {
                        name: Some(form.name.trim().to_owned()),
                        description: Some(form.description.clone()),
                        ad_account_id: Some(form.ad_account_id.trim().to_owned()),
                        app_id: Some(app_id),
                    },
                    secret,
                ),
            };
            emit(Event::Saved(
                result.map(|c| c.name).map_err(|e| e.to_string()),
            ));
        });
    }

    pub fn delete_connection(&self, ctx: &egui::Context, core: Arc<Core>, name: String) {
        self.spawn(ctx, move |emit| {
            let result = core.remove_connection(&name).map(|c| c.name);
            emit(Event::Deleted(result.map_err(|e| e.to_string())));
        });
    }

    /// The browser login, on the async runtime; the handle cancels it.
    pub fn connect(
        &self,
        ctx: &egui::Context,
        runtime: &tokio::runtime::Runtime,
        core: Arc<Core>,
        name: String,
        opener: Opener,
    ) -> tokio::task::AbortHandle {
        self.spawn_async(ctx, runtime, async move {
            let open = move |url: &url::Url| opener(url);
            let result = core
                .connect(&name, open, std::time::Duration::from_secs(300))
                .await
                .map(|report| report.summary())
                .map_err(|e| e.to_string());
            Event::Connected { name, result }
        })
    }

    pub fn load_lists(
        &self,
        ctx: &egui::Context,
        runtime: &tokio::runtime::Runtime,
        core: Arc<Core>,
        name: String,
    ) {
        self.spawn_async(ctx, runtime, async move {
            let result = core
                .ad_account_lists(&name)
                .await
                .map_err(|e| e.to_string());
            Event::Lists { name, result }
        });
    }

    /// Reads the file once for the plan; when `start`, journals the job too.
    pub fn plan(
        &self,
        ctx: &egui::Context,
        core: Arc<Core>,
        preview: Preview,
        connection: String,
        spec: JobSpec,
        start: bool,
    ) {
        self.spawn(ctx, move |emit| {
            let mut last = std::time::Instant::now();
            let planned = plan_upload(&core, &connection, &preview, spec, &mut |progress| {
                if last.elapsed() >= std::time::Duration::from_millis(100) {
                    last = std::time::Instant::now();
                    emit(Event::PlanProgress(progress));
                }
            });
            let result = planned.and_then(|plan| {
                let job = if start && !plan.is_empty() {
                    Some(plan.create_job(&core)?)
                } else {
                    None
                };
                Ok((Box::new(plan), job))
            });
            emit(Event::Planned(result.map_err(|e| e.to_string())));
        });
    }

    /// Runs (or resumes) a journaled job on the async runtime; progress goes to `progress`.
    pub fn run_job(
        &self,
        ctx: &egui::Context,
        runtime: &tokio::runtime::Runtime,
        core: Arc<Core>,
        job: i64,
        control: Arc<Control>,
        progress: tokio::sync::watch::Sender<JobProgress>,
    ) {
        self.spawn_async(ctx, runtime, async move {
            let result = run_job(&core, job, control, progress)
                .await
                .map_err(|e| e.to_string());
            Event::JobEnded { job, result }
        });
    }

    pub fn load_syncs(&self, ctx: &egui::Context, core: Arc<Core>) {
        self.spawn(ctx, move |emit| match core.syncs() {
            Ok(syncs) => emit(Event::Syncs(syncs)),
            Err(e) => emit(Event::LoadFailed(format!("Cannot read the syncs: {e}"))),
        });
    }

    pub fn load_sync_history(&self, ctx: &egui::Context, core: Arc<Core>, name: String) {
        self.spawn(ctx, move |emit| {
            let result = core
                .sync_history(&name, SYNC_RUNS_SHOWN)
                .map_err(|e| e.to_string());
            emit(Event::SyncHistory { name, result });
        });
    }

    pub fn save_sync(
        &self,
        ctx: &egui::Context,
        core: Arc<Core>,
        name: String,
        connection: String,
        settings: SyncSettings,
    ) {
        self.spawn(ctx, move |emit| {
            let result = core
                .add_sync(&name, &connection, &settings)
                .map(|row| row.name)
                .map_err(|e| e.to_string());
            emit(Event::SyncSaved(result));
        });
    }

    pub fn remove_sync(&self, ctx: &egui::Context, core: Arc<Core>, name: String) {
        self.spawn(ctx, move |emit| {
            let result = core
                .remove_sync(&name)
                .map(|row| row.name)
                .map_err(|e| e.to_string());
            emit(Event::SyncRemoved(result));
        });
    }

    /// Runs a sync now on the async runtime; progress goes to `progress`.
    pub fn run_sync(
        &self,
        ctx: &egui::Context,
        runtime: &tokio::runtime::Runtime,
        core: Arc<Core>,
        name: String,
        control: Arc<Control>,
        progress: tokio::sync::watch::Sender<RunProgress>,
    ) {
        self.spawn_async(ctx, runtime, async move {
            let result = run_sync(core, &name, control, progress, Trigger::Now)
                .await
                .map_err(|e| e.to_string());
            Event::SyncRunEnded { name, result }
        });
    }

    /// Runs every saved sync on its schedule while the app is open: the same watcher as
    /// `sync watch`, stopped (its runs interrupted, resumable) through `control`.
    pub fn watch_syncs(
        &self,
        ctx: &egui::Context,
        runtime: &tokio::runtime::Runtime,
        core: Arc<Core>,
        control: Arc<Control>,
    ) {
        let (sender, ctx) = (self.sender.clone(), ctx.clone());
        runtime.spawn(async move {
            Watcher::new(core, control, DEFAULT_SETTLE)
                .watch(|event| {
                    let _ = sender.send(Event::Watch(event));
                    ctx.request_repaint();
                })
                .await;
        });
    }

    pub fn load_list_history(
        &self,
        ctx: &egui::Context,
        core: Arc<Core>,
        ad_account: String,
        list_id: String,
    ) {
        self.spawn(ctx, move |emit| {
            let result = core
                .list_history(&ad_account, &list_id)
                .map_err(|e| e.to_string());
            emit(Event::ListHistory { list_id, result });
        });
    }

    /// Asks Pinterest on the async runtime about an ad account and its audiences.
    pub fn ask(
        &self,
        ctx: &egui::Context,
        runtime: &tokio::runtime::Runtime,
        core: Arc<Core>,
        question: Question,
    ) {
        self.spawn_async(ctx, runtime, question.answer(core));
    }

    pub fn load_jobs(&self, ctx: &egui::Context, core: Arc<Core>) {
        self.spawn(ctx, move |emit| match core.recent_jobs(JOBS_LISTED) {
            Ok(jobs) => emit(Event::Jobs(jobs)),
            Err(e) => emit(Event::LoadFailed(format!("Cannot read the jobs: {e}"))),
        });
    }

    /// Refreshes the access tokens that are within the margin of expiry, so a connection
    /// stays usable while the app is open without anyone reconnecting.
    pub fn keep_fresh(runtime: &tokio::runtime::Runtime, core: Arc<Core>) {
        runtime.spawn(async move {
            if let Err(e) = core.keep_fresh().await {
                tracing::warn!("cannot read the connections to keep them fresh: {e}");
            }
        });
    }

    pub fn export_rejects(&self, ctx: &egui::Context, plan: ScanPlan, picker: Arc<dyn FilePicker>) {
        self.spawn(ctx, move |emit| {
            let Some(target) = picker.save_file("rejects.csv") else {
                return;
            };
            let result = write_rejects(&plan, &target, &AtomicBool::new(false))
                .map(|count| (target, count))
                .map_err(|e: PrepareError| e.to_string());
            emit(Event::RejectsExported(result));
        });
    }
}
