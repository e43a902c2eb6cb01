//! Running saved syncs on their schedules: `sync watch` in the foreground, and the desktop app
//! while it is open. Every decision is read from the shared history, so several watchers on
//! one home agree on what is due, and the sync's lease lets exactly one of them run it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::run::{RunOutcome, RunProgress, Trigger, run_sync};
use super::settings::Schedule;
use crate::context::Core;
use crate::store::{FileSeen, RunRow, RunState, StoreError};
use crate::upload::{Control, JobError};

/// How long a changed file must stay the same (size and modification time) before a run
/// reads it: a file still being written is never sent half.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(3);
/// A run that failed is tried again after this long, even when nothing changed.
pub const RETRY_AFTER_SECONDS: i64 = 300;
/// How often the watcher looks at the syncs and their files.
const TICK: Duration = Duration::from_millis(500);
/// How often it looks whether followed audiences are due for a snapshot.
const HEALTH_EVERY: Duration = Duration::from_secs(60);

/// What a watcher tells whoever started it.
#[derive(Debug)]
pub enum WatchEvent {
    /// A due run started: its progress, and the control that stops it (its job stays
    /// resumable).
    Started {
        sync: String,
        progress: watch::Receiver<RunProgress>,
        control: Arc<Control>,
    },
    /// A due run did not happen after all: another process had just run it, or runs it now.
    /// Each event after `Started` carries that run's control, to tell it from other runs.
    NotRun { sync: String, control: Arc<Control> },
    Ended {
        sync: String,
        outcome: RunOutcome,
        control: Arc<Control>,
    },
    /// A run could not start or be recorded (the sync's settings unreadable, the database
    /// busy); it is tried again at the next due time.
    Trouble {
        sync: String,
        message: String,
        control: Arc<Control>,
    },
    /// An audience this app made became READY or TOO_SMALL (seen by the follow-up looks a
    /// watcher takes, as the app does while open).
    Health(crate::audiences::HealthNews),
}

/// Whether a sync with this schedule and history is due now; `seen` is its source file as it
/// is now (`None` when there is none).
pub fn due(schedule: Schedule, last: Option<&RunRow>, seen: Option<&FileSeen>, now: i64) -> bool {
    // A refused run is not tried again: a missing column does not come back by itself.
    let failed_long_ago = last.is_some_and(|r| {
        matches!(r.state, RunState::Failed | RunState::Interrupted)
            && now - r.ended_at.unwrap_or(r.started_at) >= RETRY_AFTER_SECONDS
    });
    match schedule {
        Schedule::Manual => false,
        Schedule::Every { seconds } => {
            last.is_none_or(|r| now - r.started_at >= seconds as i64) || failed_long_ago
        }
        Schedule::OnChange => {
            let Some(seen) = seen else { return false };
            let changed = last
                .and_then(|r| r.file.as_ref())
                .is_none_or(|before| before != seen);
            changed || failed_long_ago
        }
    }
}

/// When an `Every` sync is next due (seconds since the epoch).
pub fn next_due(schedule: Schedule, last: Option<&RunRow>, now: i64) -> Option<i64> {
    match schedule {
        Schedule::Every { seconds } => {
            Some(last.map_or(now, |r| (r.started_at + seconds as i64).max(now)))
        }
        _ => None,
    }
}

/// Runs every saved sync when it is due, until `control` is cancelled; then interrupts the
/// runs in flight (their jobs stay resumable) and waits for them to record how they ended.
/// Every minute it also takes the follow-up snapshots of audiences that are due.
pub struct Watcher {
    core: Arc<Core>,
    control: Arc<Control>,
    settle: Duration,
    /// A changed file, as first seen changed, and since when it has looked like that.
    settling: HashMap<i64, (FileSeen, Instant)>,
    /// The runs in flight, each with its own control.
    running: HashMap<String, Arc<Control>>,
    runs: JoinSet<(String, Result<Option<RunOutcome>, JobError>)>,
}

impl Watcher {
    pub fn new(core: Arc<Core>, control: Arc<Control>, settle: Duration) -> Watcher {
        Watcher {
            core,
            control,
            settle,
            settling: HashMap::new(),
            running: HashMap::new(),
            runs: JoinSet::new(),
        }
    }

    /// Watches until cancelled; `on_event` hears of every run.
    pub async fn watch(mut self, mut on_event: impl FnMut(WatchEvent)) {
        // None at first: the catch-up look comes at start.
        let mut looked: Option<Instant> = None;
        while !self.control.is_cancelled() {
            self.tick(&mut on_event).await;
            if looked.is_none_or(|at| at.elapsed() >= HEALTH_EVERY) {
                looked = Some(Instant::now());
                self.look_at_audiences(&mut on_event).await;
            }
            tokio::select! {
                ended = self.runs.join_next(), if !self.runs.is_empty() => {
                    if let Some(ended) = ended {
                        self.ended(ended, &mut on_event);
                    }
                }
                _ = tokio::time::sleep(TICK) => {}
            }
        }
        for control in self.running.values() {
            control.interrupt();
        }
        while let Some(ended) = self.runs.join_next().await {
            self.ended(ended, &mut on_event);
        }
    }

    /// Takes the follow-up snapshots that are due, and tells of audiences that settled.
    async fn look_at_audiences(&self, on_event: &mut impl FnMut(WatchEvent)) {
        match crate::audiences::take_due_snapshots(&self.core, crate::os::now()).await {
            Ok(news) => news
                .into_iter()
                .for_each(|n| on_event(WatchEvent::Health(n))),
            Err(e) => tracing::warn!("cannot follow the audiences: {e}"),
        }
    }

    fn ended(
        &mut self,
        ended: Result<(String, Result<Option<RunOutcome>, JobError>), tokio::task::JoinError>,
        on_event: &mut impl FnMut(WatchEvent),
    ) {
        let Ok((sync, result)) = ended else { return };
        let Some(control) = self.running.remove(&sync) else {
            return;
        };
        match result {
            Ok(Some(outcome)) => on_event(WatchEvent::Ended {
                sync,
                outcome,
                control,
            }),
            // Another process ran it first, or runs it now.
            Ok(None) | Err(JobError::Store(StoreError::SyncBusy { .. })) => {
                on_event(WatchEvent::NotRun { sync, control })
            }
            Err(e) => on_event(WatchEvent::Trouble {
                sync,
                message: e.to_string(),
                control,
            }),
        }
    }

    /// Starts the runs that are due.
    async fn tick(&mut self, on_event: &mut impl FnMut(WatchEvent)) {
        let core = self.core.clone();
        let syncs = match crate::store::blocking(move || crate::syncs::list(&core)).await {
            Ok(syncs) => syncs,
            Err(e) => {
                tracing::warn!("cannot read the syncs: {e}");
                return;
            }
        };
        let now = crate::os::now();
        for sync in syncs {
            if self.running.contains_key(&sync.row.name) {
                continue;
            }
            let Some(settings) = sync.settings.as_ref() else {
                continue;
            };
            // A run now could only fail for want of a login: the sync waits (its health says
            // so) and is due again once the connection is back.
            if sync.health == super::Health::WaitingForReconnect {
                continue;
            }
            let seen = match settings.schedule {
                Schedule::OnChange => super::source_file::current(&settings.source)
                    .ok()
                    .map(|(_, seen)| seen),
                _ => None,
            };
            if !due(settings.schedule, sync.last.as_ref(), seen.as_ref(), now) {
                self.settling.remove(&sync.row.id);
                continue;
            }
            if let Some(seen) = seen
                && !self.settled(sync.row.id, seen)
            {
                continue;
            }
            self.settling.remove(&sync.row.id);
            let (sender, progress) = watch::channel(RunProgress::default());
            let control = Arc::new(Control::default());
            self.running.insert(sync.row.name.clone(), control.clone());
            on_event(WatchEvent::Started {
                sync: sync.row.name.clone(),
                progress,
                control: control.clone(),
            });
            let (core, name) = (self.core.clone(), sync.row.name.clone());
            let trigger = Trigger::Due {
                newest_run: sync.newest_run(),
            };
            self.runs.spawn(async move {
                let result = run_sync(core, &name, control, sender, trigger).await;
                (name, result)
            });
        }
    }

    /// Whether a changed file has looked the same for the settle time.
    fn settled(&mut self, id: i64, seen: FileSeen) -> bool {
        match self.settling.get(&id) {
            Some((before, since)) if *before == seen => since.elapsed() >= self.settle,
            _ => {
                self.settling.insert(id, (seen, Instant::now()));
                self.settle.is_zero()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: RunState, started_at: i64, file: Option<FileSeen>) -> RunRow {
        RunRow {
            id: 1,
            sync_id: 1,
            job_id: None,
            revision: 1,
            state,
            started_at,
            ended_at: Some(started_at + 10),
            file,
            file_digest: None,
            message: None,
            report: None,
        }
    }

    fn seen(size: i64) -> FileSeen {
        FileSeen {
            path: "/data/x.csv".into(),
            size,
            modified_ms: 1,
        }
    }

    #[test]
    fn a_periodic_sync_is_due_when_its_period_has_passed_since_the_last_start() {
        let hourly = Schedule::Every { seconds: 3600 };
        assert!(due(hourly, None, None, 1000));
        let last = run(RunState::Completed, 1000, None);
        assert!(!due(hourly, Some(&last), None, 4599));
        assert!(due(hourly, Some(&last), None, 4600));
        assert_eq!(next_due(hourly, Some(&last), 2000), Some(4600));
        assert!(!due(Schedule::Manual, None, None, 0));
    }

    #[test]
    fn an_on_change_sync_is_due_when_the_file_differs_from_the_last_run() {
        let last = run(RunState::Completed, 1000, Some(seen(10)));
        assert!(!due(Schedule::OnChange, Some(&last), Some(&seen(10)), 2000));
        assert!(due(Schedule::OnChange, Some(&last), Some(&seen(11)), 2000));
        assert!(due(Schedule::OnChange, None, Some(&seen(10)), 2000));
        assert!(!due(Schedule::OnChange, None, None, 2000), "no file yet");
        let failed = run(RunState::Failed, 1000, Some(seen(10)));
        assert!(!due(
            Schedule::OnChange,
            Some(&failed),
            Some(&seen(10)),
            1100
        ));
        assert!(
            due(Schedule::OnChange, Some(&failed), Some(&seen(10)), 1400),
            "a failed run is tried again after a while"
        );
    }
}
