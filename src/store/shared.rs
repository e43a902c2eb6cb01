//! The database as the core shares it between threads and tasks: one handle behind a lock.
//!
//! SQLite calls block (on the disk, on another process's write, on the lock), and the async
//! runtime has only a couple of workers: a worker that waits on the database stalls every
//! request and heartbeat scheduled on it. So async code reaches the database only through
//! `call`, which runs the work on tokio's blocking pool; threads of their own (the window's
//! tasks, the command line's plain code) take `lock`. Debug builds check the rule: `lock`
//! inside a task on a runtime worker panics, and the whole test suite runs that way.

use std::cell::Cell;
use std::sync::{Arc, Mutex, MutexGuard};

use super::Store;

#[derive(Clone)]
pub struct SharedStore(Arc<Mutex<Store>>);

thread_local! {
    /// Set on the blocking pool's threads that `call` ran work on: not a runtime worker.
    static OFF_THE_WORKERS: Cell<bool> = const { Cell::new(false) };
}

impl SharedStore {
    pub fn new(store: Store) -> SharedStore {
        SharedStore(Arc::new(Mutex::new(store)))
    }

    /// The database, for code on a thread of its own. Never inside an async task: use `call`.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        debug_assert!(
            !on_a_runtime_worker(),
            "the store was locked inside an async task; reach it through SharedStore::call"
        );
        self.guard()
    }

    /// Runs `work` on the database on tokio's blocking pool, so that no runtime worker waits
    /// for SQLite or for the lock.
    pub async fn call<T, F>(&self, work: F) -> T
    where
        F: FnOnce(&mut Store) -> T + Send + 'static,
        T: Send + 'static,
    {
        let shared = self.clone();
        blocking(move || work(&mut shared.guard())).await
    }

    fn guard(&self) -> MutexGuard<'_, Store> {
        // Invariant: store calls do not panic while holding the lock, so it is never poisoned.
        self.0.lock().expect("store lock")
    }
}

/// Runs `work` on tokio's blocking pool, where it may `lock` the store and wait on anything
/// else that blocks (files, a whole planning pass).
pub async fn blocking<T, F>(work: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let done = tokio::task::spawn_blocking(move || {
        OFF_THE_WORKERS.with(|off| off.set(true));
        work()
    })
    .await;
    match done {
        Ok(value) => value,
        // The work panicked: carry the panic on, as a direct call would have.
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // Blocking work is never aborted; only a runtime shutting down cancels it, and then
        // nothing is left to await this.
        Err(error) => panic!("the runtime shut down during blocking work: {error}"),
    }
}

/// Inside a task that a runtime polls (on one of its workers), and not on the blocking pool.
fn on_a_runtime_worker() -> bool {
    tokio::task::try_id().is_some() && !OFF_THE_WORKERS.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_runs_off_the_workers_and_a_lock_in_a_task_is_caught() {
        let shared = SharedStore::new(Store::open_in_memory().unwrap());
        let inside = shared.clone();
        let connections = tokio::spawn(async move {
            inside
                .call(|store| {
                    assert!(!on_a_runtime_worker());
                    store.connections().unwrap().len()
                })
                .await
        });
        assert_eq!(connections.await.unwrap(), 0);
        let careless = shared.clone();
        let locked = tokio::spawn(async move { careless.lock().connections().map(|c| c.len()) });
        assert_eq!(
            locked.await.is_err(),
            cfg!(debug_assertions),
            "a lock inside a task panics in debug builds"
        );
    }
}
