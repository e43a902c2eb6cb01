//! `cargo run --release --example bench_frame`
//!
//! Frame times of the desktop app with a 1,000,000-row file open and an upload of it running
//! against the built-in simulator (demo mode), measured on the real app state through
//! egui_kittest: each frame is the app's `logic` and `show`, layout included. Goal: every
//! frame under 16 ms, so the window never stutters. Prints percentiles per screen.
//!
//! `BENCH_FRAME_ROWS` sets the file's rows (default 1,000,000); `BENCH_FRAME_SECONDS` how
//! long each screen is measured while the upload runs (default 5).

use std::sync::Arc;
use std::time::{Duration, Instant};

use audience_desk::gui::{App, FixedPicker, PlanState, ScanState, View};
use eframe::egui::{self, Key, Modifiers};
use egui_kittest::Harness;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn step_until(harness: &mut Harness<'_, App>, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Steps frames for `seconds` at about 60 a second; returns each frame's time in ms.
fn measure(harness: &mut Harness<'_, App>, seconds: u64) -> Vec<f64> {
    measure_with(harness, seconds, |_| {})
}

/// Like `measure`, with `input` given to each frame first (scrolling, say).
fn measure_with(
    harness: &mut Harness<'_, App>,
    seconds: u64,
    mut input: impl FnMut(&Harness<'_, App>),
) -> Vec<f64> {
    let mut times = Vec::new();
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        input(harness);
        let start = Instant::now();
        harness.step();
        let took = start.elapsed();
        times.push(took.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(16).saturating_sub(took));
    }
    times
}

fn report(what: &str, mut times: Vec<f64>) -> bool {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let max = *times.last().unwrap_or(&0.0);
    println!(
        "{what:<44} {:>5} frames  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        times.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        max
    );
    max < 16.0
}

fn wheel(delta: f32) -> egui::Event {
    egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, delta),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: Modifiers::NONE,
    }
}

fn main() -> anyhow::Result<()> {
    let rows = env_or("BENCH_FRAME_ROWS", 1_000_000) as u32;
    let seconds = env_or("BENCH_FRAME_SECONDS", 5);
    let dir = tempfile::tempdir()?;
    let big = dir.path().join("one-million.csv");
    audience_desk::demo::write_sample(&big, rows)?;
    let size = std::fs::metadata(&big)?.len();
    println!(
        "File: {rows} rows, {:.0} MB; window 1280x800; demo mode on the built-in simulator",
        size as f64 / 1e6
    );

    let app = App::demo(Arc::new(FixedPicker(Some(big.clone()))));
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(
            |ui, app: &mut App| {
                app.logic(ui.ctx());
                app.show(ui);
            },
            app,
        );
    step_until(&mut harness, "the demo login", |app| {
        app.state
            .connections
            .iter()
            .any(|r| r.status.access_expires_at.is_some())
    });
    harness.key_press_modifiers(Modifiers::COMMAND, Key::O);
    let counted = |app: &App| {
        app.state
            .loaded()
            .is_some_and(|l| l.preview.path == big && matches!(l.scan, ScanState::Done(_)))
    };
    let opened = Instant::now();
    step_until(&mut harness, "the file's counts", counted);
    println!(
        "Preview and full count of the file: {:.2} s (in the background)",
        opened.elapsed().as_secs_f64()
    );
    let mut ok = report(
        "Upload screen, 1M-row preview, idle",
        measure(&mut harness, 2),
    );

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    let planning = Instant::now();
    let mut planning_frames = Vec::new();
    while matches!(harness.state().state.plan, PlanState::Planning { .. })
        || harness.state().state.jobs.live.is_empty()
    {
        assert!(
            !matches!(harness.state().state.plan, PlanState::Failed(_)),
            "the plan failed"
        );
        let start = Instant::now();
        harness.step();
        planning_frames.push(start.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(16));
        assert!(
            planning.elapsed() < Duration::from_secs(300),
            "no job started"
        );
    }
    println!(
        "Plan of the upload (read and hash the whole file): {:.2} s (in the background)",
        planning.elapsed().as_secs_f64()
    );
    ok &= report("While planning the upload", planning_frames);

    assert_eq!(harness.state().state.view, View::Jobs);
    ok &= report(
        "Jobs screen, upload running",
        measure(&mut harness, seconds),
    );
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num1);
    ok &= report(
        "Upload screen, 1M-row preview, upload running",
        measure(&mut harness, seconds),
    );
    // Scrolling the table through the file: 3,000 points a frame, a jump to the end every
    // 60th frame, so new pages are read all the time.
    harness.event(egui::Event::PointerMoved(egui::pos2(600.0, 700.0)));
    let mut frame = 0u64;
    ok &= report(
        "Scrolling the 1M-row table, upload running",
        measure_with(&mut harness, seconds, |harness| {
            frame += 1;
            let delta = if frame.is_multiple_of(60) {
                -1e9
            } else {
                -3000.0
            };
            harness.event(wheel(delta));
        }),
    );
    let progress = harness
        .state()
        .state
        .jobs
        .live
        .values()
        .next()
        .map(|j| j.progress.borrow().clone());
    if let Some(p) = progress {
        println!(
            "Upload meanwhile: {} of {} records acknowledged, {} records/s",
            p.records_acked,
            p.records_total,
            p.records_per_second.round()
        );
    }
    harness.state().interrupt_jobs();
    println!(
        "Goal: every frame under 16 ms: {}",
        if ok { "met" } else { "NOT met" }
    );
    Ok(())
}
