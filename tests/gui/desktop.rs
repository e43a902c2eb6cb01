//! What users meet every day and only a desktop session has: the system keyring, desktop
//! notifications and the window itself. These run inside `scripts/desktop-session.sh` (the
//! README's test command, `scripts/test.sh`, and CI use it). Anywhere else they say so and
//! pass, except under `CI=true`, where they fail.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::cli::{Env, connected, text};
use audience_desk::context::Core;
use audience_desk::gui::{App, FixedPicker};
use audience_desk::pinterest::Endpoints;
use audience_desk::sim::{Faults, SimConfig, SimHandle};
use audience_desk::store::{KeyringSecrets, NewConnection, SecretStore, Store};
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

/// True inside a desktop session; otherwise says why the test does nothing (and fails in CI).
fn in_desktop_session() -> bool {
    if std::env::var("AUDIENCE_DESK_DESKTOP").is_ok_and(|v| v == "1") {
        return true;
    }
    crate::common::skip("needs a desktop session (run the suite with scripts/test.sh)");
    false
}

/// What the Secret Service holds for this app under `key` (such as `connection/1/refresh`) of
/// the home `home`.
fn keyring_secret(home: &std::path::Path, key: &str) -> Option<String> {
    let id = Store::open(home).unwrap().home_id().unwrap();
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "audience-desk", "username"])
        .arg(format!("{id}/{key}"))
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Locks the login keyring, as a screen lock does.
fn lock_keyring() {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyring_holds_the_secrets_through_a_connections_life() {
    if !in_desktop_session() {
        return;
    }
    // Connect: the app secret and both tokens go to the Secret Service, nothing to the home.
    let mut env = Env::new().await;
    env.secrets = "keyring";
    connected(&env).await;
    let secrets_file = env.home.path().join("secrets.json");
    assert!(!secrets_file.exists(), "no secrets file beside the keyring");
    let home = env.home.path();
    let secret = |key: &str| keyring_secret(home, key);
    assert_eq!(
        secret("connection/1/app-secret").as_deref(),
        Some("sim-secret")
    );
    let first_refresh = secret("connection/1/refresh").unwrap();
    assert!(first_refresh.starts_with("pinr_"));
    assert!(secret("connection/1/access").unwrap().starts_with("pina_"));

    // Refresh: an expired access token is refreshed, and the rotated refresh token replaces
    // the old one in the keyring.
    env.sim.expire_access_tokens();
    let out = env.run(&["accounts", "EU"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let rotated = secret("connection/1/refresh").unwrap();
    assert_ne!(
        rotated, first_refresh,
        "the refresh token rotated in the keyring"
    );

    // Reconnect: Pinterest refuses the refresh token; a new login stores new tokens.
    env.sim.revoke_refresh_tokens();
    env.sim.expire_access_tokens();
    let out = env.run(&["accounts", "EU"], None).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("reconnect"), "{}", text(&out));
    let out = env.run(&["connect", "EU", "--timeout", "20"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["accounts", "EU"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_ne!(secret("connection/1/refresh"), Some(rotated));

    // Remove: the connection's secrets leave the keyring.
    let out = env.run(&["connection", "remove", "EU"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    for key in ["access", "refresh", "app-secret"] {
        assert_eq!(secret(&format!("connection/1/{key}")), None, "{key}");
    }
    assert!(!secrets_file.exists());

    crate::secrets::every_process_of_a_home_finds_its_secrets().await;
    a_locked_keyring_loses_no_token().await;
}

/// The keyring locked mid-session: the running process keeps its tokens (a refresh still
/// works, and the rotated token is not lost) and says so; the next start says what to do.
/// Runs last, as it leaves the session's keyring locked.
async fn a_locked_keyring_loses_no_token() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let redirect =
        url::Url::parse(&format!("http://localhost:{}/", crate::common::free_port())).unwrap();
    let sim = SimHandle::start(
        SimConfig {
            redirect_uris: vec![redirect.to_string()],
            ..SimConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let keyring = |home: &std::path::Path| -> Arc<dyn SecretStore> {
        let id = Store::open(home).unwrap().home_id().unwrap();
        Arc::new(KeyringSecrets::probe(&id).expect("a keyring in the desktop session"))
    };
    let endpoints = Endpoints::simulator(&sim.url, redirect);
    let core = Core::with(home, endpoints.clone(), keyring(home), None).unwrap();
    let config = SimConfig::default();
    core.add_connection(
        &NewConnection {
            name: "EU".into(),
            description: String::new(),
            ad_account_id: audience_desk::sim::OWNED_AD_ACCOUNT.into(),
            app_id: Some(config.app_id.clone()),
        },
        Some(&config.app_secret),
    )
    .unwrap();
    core.connect("EU", crate::common::browser, Duration::from_secs(10))
        .await
        .unwrap();

    lock_keyring();
    sim.expire_access_tokens();
    let user = core.client("EU").await.unwrap().user_account().await;
    assert!(
        user.is_ok(),
        "refreshed while the keyring is locked: {user:?}"
    );
    let said = core.secrets.trouble().expect("the trouble is said");
    assert!(said.contains("kept in memory"), "{said}");
    // Again, on the tokens kept in memory: no new login, no lost refresh token.
    sim.expire_access_tokens();
    core.client("EU")
        .await
        .unwrap()
        .user_account()
        .await
        .unwrap();

    // The next start, keyring still locked: a sentence that says what to do.
    let next = Core::with(home, endpoints, keyring(home), None).unwrap();
    let error = next.client("EU").await.map(drop).unwrap_err().to_string();
    assert!(error.contains("Unlock it"), "{error}");
}

/// A stand-in for the desktop's notification service that records what it is asked to show.
#[derive(Clone, Default)]
struct Notifications(Arc<Mutex<Vec<(String, String)>>>);

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.0.lock().unwrap();
        shown.push((summary, body));
        shown.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "stand-in".into(),
            "audience-desk tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

impl Notifications {
    fn count(&self, summary: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(s, _)| s == summary)
            .count()
    }

    /// Waits until `summary` was shown `n` times, then a little longer for any extra.
    fn expect(&self, summary: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.count(summary) < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        let shown = self.0.lock().unwrap().clone();
        assert_eq!(self.count(summary), n, "'{summary}' in {shown:?}");
    }
}

#[test]
fn a_finished_job_a_failed_job_and_a_reconnect_each_notify_once() {
    if !in_desktop_session() {
        return;
    }
    let shown = Notifications::default();
    let _service = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at("/org/freedesktop/Notifications", shown.clone())
        .unwrap()
        .build()
        .unwrap();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = runtime.block_on(crate::common::world());
    runtime.block_on(crate::common::connect(&world)).unwrap();
    let crate::common::World { sim, core, home } = world;
    let file = home.path().join("people.csv");
    let people: String = (0..40).map(|i| format!("p{i}@example.com\n")).collect();
    std::fs::write(&file, format!("email\n{people}")).unwrap();
    let mut app = App::with_core(Arc::new(FixedPicker(Some(file))), Ok(core), None);
    app.desktop_notifications = true;
    let mut harness = crate::common::harness(app);
    harness.run_steps(2);
    crate::common::open_file(&mut harness);
    crate::common::pick_connection(&mut harness);
    let name = harness.get_by_role_and_label(Role::TextInput, "List name");
    name.focus();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, "List name")
        .type_text("Buyers");
    harness.run_steps(2);

    harness.get_by_label("Start upload").click();
    crate::common::step_until(&mut harness, "job 1 completed", |h| {
        crate::common::job_shows(h, 1, "completed")
    });
    shown.expect("Upload finished", 1);

    sim.set_faults(Faults {
        fail_next: 1,
        fail_status: Some(403),
        ..Faults::default()
    });
    harness.get_by_label("Upload").click();
    harness.run_steps(2);
    harness.get_by_label("Start upload").click();
    crate::common::step_until(&mut harness, "job 2 failed", |h| {
        crate::common::job_shows(h, 2, "failed")
    });
    shown.expect("Upload failed", 1);

    // Pinterest refuses the refresh token: the connection needs a new login.
    sim.revoke_refresh_tokens();
    sim.expire_access_tokens();
    harness.get_by_label("Audiences").click();
    harness.run_steps(2);
    harness.get_by_label("Refresh").click();
    crate::common::step_until(&mut harness, "the reconnect warning", |h| {
        h.query_by_label_contains("needs a reconnect").is_some()
    });
    shown.expect("Connection needs you", 1);
    shown.expect("Upload finished", 1);
    shown.expect("Upload failed", 1);
}

/// Asks the window to close as a window manager does when its close button is pressed: a
/// `WM_DELETE_WINDOW` client message.
fn request_close(window: u32) {
    use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt as _, EventMask};
    let (x, _) = x11rb::connect(None).unwrap();
    let atom = |name: &[u8]| x.intern_atom(false, name).unwrap().reply().unwrap().atom;
    let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
    let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
    x.send_event(false, window, EventMask::NO_EVENT, event)
        .unwrap();
    // A round trip, so the server has taken the event before this connection goes away.
    x.get_input_focus().unwrap().reply().unwrap();
}

/// The window called "Audience Desk", once it exists.
fn find_window(app: &mut std::process::Child, deadline: Instant) -> u32 {
    loop {
        if let Some(status) = app.try_wait().unwrap() {
            panic!(
                "the app ended before its window appeared ({status}): {}",
                said(app)
            );
        }
        let out = Command::new("xdotool")
            .args(["search", "--name", "^Audience Desk$"])
            .output()
            .unwrap();
        let found = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|line| line.trim().parse().ok());
        if let Some(id) = found {
            return id;
        }
        if Instant::now() > deadline {
            let _ = app.kill();
            panic!("no window appeared; the app said: {}", said(app));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What the app wrote to its standard error (once it has ended).
fn said(app: &mut std::process::Child) -> String {
    use std::io::Read as _;
    let mut text = String::new();
    if let Some(mut stderr) = app.stderr.take() {
        let _ = app.wait();
        let _ = stderr.read_to_string(&mut text);
    }
    text
}

/// How many colours an image (or a region of it, `WxH+X+Y`) has.
fn colours(png: &std::path::Path, region: Option<&str>) -> usize {
    let mut command = Command::new("convert");
    command.arg(png);
    if let Some(region) = region {
        command.args(["-crop", region, "+repage"]);
    }
    let out = command.args(["-format", "%k", "info:"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Starts the app's window, waits for a drawn first frame, looks at it, closes it.
fn open_look_and_close(demo: bool) {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_audience-desk"));
    if demo {
        command.arg("--demo");
    }
    let mut app = command
        .env("AUDIENCE_DESK_HOME", home.path().join("home"))
        .env("AUDIENCE_DESK_SECRETS", "file")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let window = find_window(&mut app, started + Duration::from_secs(30));

    // The first frame: a picture with real content, the toolbar's title drawn.
    let shot = home.path().join("window.png");
    loop {
        let out = Command::new("import")
            .args(["-window", &window.to_string()])
            .arg(&shot)
            .output()
            .unwrap();
        if out.status.success() && colours(&shot, None) > 64 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the window stayed blank"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        colours(&shot, Some("200x30+0+0")) > 4,
        "the toolbar's corner, where the title is, is blank"
    );

    request_close(window);
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = app.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let still = Command::new("xdotool")
                .args(["search", "--name", "^Audience Desk$"])
                .output()
                .unwrap();
            let still = String::from_utf8_lossy(&still.stdout).into_owned();
            let _ = app.kill();
            let mut said = String::new();
            use std::io::Read as _;
            app.stderr
                .take()
                .unwrap()
                .read_to_string(&mut said)
                .unwrap();
            panic!(
                "the app (demo: {demo}) did not exit on a close request; windows left: \
                 {still:?}; it said: {said}"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut said = String::new();
    use std::io::Read as _;
    app.stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    assert!(status.success(), "exit {status}: {said}");
    assert!(
        !std::path::Path::new(&format!("/proc/{}", app.id())).exists(),
        "a process is left behind"
    );
}

#[test]
fn the_window_opens_draws_and_closes_cleanly() {
    if !in_desktop_session() {
        return;
    }
    open_look_and_close(true);
    open_look_and_close(false);
}
