//! Shared set-up: a simulator on loopback and a core pointed at it, in a temporary home.
#![allow(dead_code)]

pub mod cli;
pub mod engine;
pub mod files;
pub mod packed;
pub mod postgres;
pub mod receivers;

use std::sync::Arc;
use std::time::Duration;

use audience_desk::context::Core;
use audience_desk::pinterest::{Endpoints, PinterestError, RetryPolicy};
use audience_desk::sim::{OWNED_AD_ACCOUNT, SimConfig, SimHandle};
use audience_desk::store::{FileSecrets, NewConnection};
use url::Url;

pub struct World {
    pub sim: SimHandle,
    pub core: Core,
    pub home: tempfile::TempDir,
}

/// The digests of `user{i}@example.com` for each `i`: what a list holds after the test files'
/// users are sent.
pub fn expected(range: std::ops::Range<u32>) -> std::collections::BTreeSet<String> {
    digests_of("user", range)
}

/// The digests of `{prefix}{i}@example.com` for each `i`.
pub fn digests_of(prefix: &str, range: std::ops::Range<u32>) -> std::collections::BTreeSet<String> {
    range
        .map(|i| audience_desk::identity::sha256(&format!("{prefix}{i}@example.com")).to_hex())
        .collect()
}

/// Says why a test does nothing here, and fails it under `CI=true`, where everything it
/// needs is installed: a skip must never pass silently in CI.
pub fn skip(why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "cannot skip in CI: {why}"
    );
    eprintln!("skipped: {why}");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn world() -> World {
    world_with(|_| {}).await
}

pub async fn world_with(adjust: impl FnOnce(&mut SimConfig)) -> World {
    let redirect = Url::parse(&format!("http://localhost:{}/", free_port())).unwrap();
    let mut config = SimConfig {
        redirect_uris: vec![redirect.to_string()],
        ..SimConfig::default()
    };
    adjust(&mut config);
    let sim = SimHandle::start(config.clone(), 0).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let secrets = Arc::new(FileSecrets::new(home.path().join("secrets.json")));
    let core = Core::with(
        home.path(),
        Endpoints::simulator(&sim.url, redirect),
        secrets,
        None,
    )
    .unwrap();
    let connection = NewConnection {
        name: "EU".into(),
        description: "test".into(),
        ad_account_id: OWNED_AD_ACCOUNT.into(),
        app_id: Some(config.app_id.clone()),
    };
    core.add_connection(&connection, Some(&config.app_secret))
        .unwrap();
    World { sim, core, home }
}

/// What a browser does with the simulator's login page: follow the redirects to the callback.
pub use audience_desk::demo::follow_login as browser;

pub async fn connect(world: &World) -> Result<(), PinterestError> {
    world
        .core
        .connect("EU", browser, Duration::from_secs(10))
        .await
        .map(drop)
}

pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        max_rate_limited: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
    }
}

/// The desktop app in a kittest harness, drawn as the window draws it.
/// The Jobs screen shows job `id` with its state's badge.
pub fn job_shows(
    harness: &egui_kittest::Harness<'_, audience_desk::gui::App>,
    id: i64,
    state: &str,
) -> bool {
    use egui_kittest::kittest::Queryable;
    harness.query_by_label(&format!("Job {id}")).is_some()
        && harness.query_all_by_label(state).next().is_some()
}

pub fn harness(
    app: audience_desk::gui::App,
) -> egui_kittest::Harness<'static, audience_desk::gui::App> {
    egui_kittest::Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(
            |ui, app: &mut audience_desk::gui::App| {
                app.logic(ui.ctx());
                app.show(ui);
            },
            app,
        )
}

/// How many refresh-token grants the simulator answered.
pub fn refresh_calls(sim: &SimHandle) -> usize {
    sim.log()
        .iter()
        .filter(|e| {
            e.request
                .as_ref()
                .is_some_and(|r| r["grant_type"] == "refresh_token")
        })
        .count()
}

/// Steps the app until `found` holds, for at most 90 seconds (a loaded machine runs the whole
/// suite at once).
pub fn step_until(
    harness: &mut egui_kittest::Harness<'_, audience_desk::gui::App>,
    what: &str,
    found: impl Fn(&egui_kittest::Harness<'_, audience_desk::gui::App>) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while !found(harness) {
        assert!(std::time::Instant::now() < deadline, "never saw: {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// A `BROWSER` program that does what a browser does with the simulator's login page: fetch
/// it and follow the redirect to the callback. Python, as the supported machines have it. It
/// notes each address it is given in `seen.txt` beside it, as every local user could read it
/// from its command line.
pub fn browser_script(dir: &std::path::Path) -> std::path::PathBuf {
    let browser = dir.join("browser.py");
    std::fs::write(
        &browser,
        "#!/usr/bin/env python3\nimport os, sys, urllib.request\n\
         seen = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seen.txt')\n\
         open(seen, 'a').write(sys.argv[1] + '\\n')\n\
         urllib.request.urlopen(sys.argv[1]).read()\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    browser
}

/// Opens the picker's file with Ctrl+O and waits for its counts.
pub fn open_file(harness: &mut egui_kittest::Harness<'_, audience_desk::gui::App>) {
    use egui_kittest::kittest::Queryable;
    harness.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::O);
    step_until(harness, "the counts", |h| {
        // "1 row read", "2 rows read"
        h.query_by_label_contains("rows read").is_some()
            || h.query_by_label_contains("1 row read").is_some()
    });
}

/// Picks the connection "EU" on the upload form.
pub fn pick_connection(harness: &mut egui_kittest::Harness<'_, audience_desk::gui::App>) {
    use egui_kittest::kittest::Queryable;
    harness
        .get_by_role_and_label(eframe::egui::accesskit::Role::ComboBox, "Connection")
        .click();
    harness.run_steps(2);
    // The side panel names the connection too; the list's entry is drawn last.
    harness.get_all_by_label("EU").last().unwrap().click();
    harness.run_steps(2);
}

/// The app on a connected connection with the file `make_file` writes (in the home's folder)
/// open, the connection picked and the new list named "Newsletter", as a user would set it.
pub fn ready_to_upload(
    runtime: &tokio::runtime::Runtime,
    make_file: impl FnOnce(&std::path::Path) -> std::path::PathBuf,
) -> (
    egui_kittest::Harness<'static, audience_desk::gui::App>,
    SimHandle,
    tempfile::TempDir,
) {
    use egui_kittest::kittest::Queryable;
    let world = runtime.block_on(self::world());
    runtime.block_on(connect(&world)).unwrap();
    let World { sim, core, home } = world;
    let file = make_file(home.path());
    let app = audience_desk::gui::App::with_core(
        Arc::new(audience_desk::gui::FixedPicker(Some(file))),
        Ok(core),
        None,
    );
    let mut harness = self::harness(app);
    harness.run_steps(2);
    open_file(&mut harness);
    harness.get_by_label("Dry run");
    harness.get_by_label_contains("Pick the connection to send with.");
    pick_connection(&mut harness);
    let list_name = eframe::egui::accesskit::Role::TextInput;
    harness
        .get_by_role_and_label(list_name, "List name")
        .focus();
    harness.step();
    harness
        .get_by_role_and_label(list_name, "List name")
        .type_text("Newsletter");
    harness.run_steps(2);
    (harness, sim, home)
}

/// The desktop app on a second core of `world`'s home (as a second process would open it),
/// with `picker` for file dialogs and no background sync runs; two frames drawn.
pub fn app_on(
    world: &World,
    picker: Arc<dyn audience_desk::gui::FilePicker>,
) -> egui_kittest::Harness<'static, audience_desk::gui::App> {
    let core = Core::with(
        world.home.path(),
        world.core.endpoints.clone(),
        world.core.secrets.clone(),
        None,
    )
    .unwrap();
    let mut app = audience_desk::gui::App::with_core(picker, Ok(core), None);
    app.run_due_syncs = false;
    let mut harness = harness(app);
    harness.run_steps(2);
    harness
}

/// A world with quick retries, connected.
pub fn connected_world(runtime: &tokio::runtime::Runtime) -> World {
    let mut world = runtime.block_on(world());
    engine::quick(&mut world);
    runtime.block_on(connect(&world)).unwrap();
    world
}

/// Types `text` into the field of `role` labelled `field`, as a user would: focus, then keys.
pub fn type_into(
    harness: &mut egui_kittest::Harness<'static, audience_desk::gui::App>,
    role: eframe::egui::accesskit::Role,
    field: &str,
    text: &str,
) {
    use egui_kittest::kittest::Queryable;
    harness.get_by_role_and_label(role, field).focus();
    harness.step();
    harness.get_by_role_and_label(role, field).type_text(text);
    harness.run_steps(2);
}
