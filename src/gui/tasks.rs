//! Work the UI starts and never waits for: each task runs on its own thread and reports
//! through one channel that the app drains every frame.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;

use super::picker::FilePicker;
use crate::prepare::{PrepareError, write_rejects};
use crate::source::{Preview, PreviewOptions, Progress, ScanPlan, Summary, scan};

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
        result: Result<Summary, String>,
    },
    RejectsExported(Result<(PathBuf, u64), String>),
}

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
            .map(|output| output.summary)
            .map_err(|e| e.to_string());
            emit(Event::ScanFinished { generation, result });
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
