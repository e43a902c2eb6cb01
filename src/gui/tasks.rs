//! Work the UI starts and never waits for. Blocking work (files, the database) runs on the
//! runtime's blocking pool and async work (Pinterest) on its workers; either reports through
//! one channel that the app drains every frame. Features say what to run; this only runs it.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;

use super::Event;
use crate::pinterest::PinterestError;

/// Opens the login page; the browser by default, a stand-in in tests.
pub type Opener = Arc<dyn Fn(&url::Url) -> Result<(), PinterestError> + Send + Sync>;

/// Sends events to the app from inside a task (progress as it goes), waking the window.
#[derive(Clone)]
pub struct Emit {
    sender: Sender<Event>,
    ctx: egui::Context,
}

impl Emit {
    pub fn send(&self, event: impl Into<Event>) {
        // The app is gone when the send fails: nothing is left to tell.
        let _ = self.sender.send(event.into());
        self.ctx.request_repaint();
    }
}

pub struct Tasks {
    runtime: tokio::runtime::Runtime,
    sender: Sender<Event>,
    receiver: Receiver<Event>,
}

impl Tasks {
    pub fn new() -> std::io::Result<Tasks> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("audience-desk-tasks")
            .enable_all()
            .build()?;
        let (sender, receiver) = channel();
        Ok(Tasks {
            runtime,
            sender,
            receiver,
        })
    }

    pub fn drain(&self) -> Vec<Event> {
        self.receiver.try_iter().collect()
    }

    pub fn emitter(&self, ctx: &egui::Context) -> Emit {
        Emit {
            sender: self.sender.clone(),
            ctx: ctx.clone(),
        }
    }

    /// Runs blocking `work` off the UI thread; what it returns is reported. It may report
    /// progress on the way through the `Emit` it is given.
    pub fn blocking<E: Into<Event> + Send + 'static>(
        &self,
        ctx: &egui::Context,
        work: impl FnOnce(&Emit) -> E + Send + 'static,
    ) {
        let emit = self.emitter(ctx);
        self.runtime.spawn(async move {
            let inner = emit.clone();
            let event = crate::store::blocking(move || work(&inner)).await;
            emit.send(event);
        });
    }

    /// Runs async `work` on the runtime and reports what it returns; the handle cancels it.
    pub fn background<E: Into<Event> + Send + 'static>(
        &self,
        ctx: &egui::Context,
        work: impl Future<Output = E> + Send + 'static,
    ) -> tokio::task::AbortHandle {
        let emit = self.emitter(ctx);
        self.runtime
            .spawn(async move { emit.send(work.await) })
            .abort_handle()
    }

    /// Runs async `work` that reports nothing at its end (it may through an `Emit`).
    pub fn detached(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(work);
    }

    /// For the demo's login stand-in, which follows redirects on the runtime.
    pub fn handle(&self) -> tokio::runtime::Handle {
        self.runtime.handle().clone()
    }
}
