//! The binary as a user runs it: a simulator, a home of its own, and a `BROWSER` helper that
//! follows the login redirects the way a browser would.

use std::process::{Command, Output};

use audience_desk::sim::{OWNED_AD_ACCOUNT, SimConfig, SimHandle};

pub struct Env {
    pub sim: SimHandle,
    pub home: tempfile::TempDir,
    pub redirect: String,
    browser: std::path::PathBuf,
    /// `file` (the default here), or `keyring` for the system keyring.
    pub secrets: &'static str,
    /// Holds the browser helper, outside the home: the home holds only what the app writes.
    _tools: tempfile::TempDir,
}

impl Env {
    pub async fn new() -> Env {
        Env::with(|_| {}).await
    }

    /// A home and a simulator set up as `adjust` says.
    pub async fn with(adjust: impl FnOnce(&mut SimConfig)) -> Env {
        let redirect = format!("http://localhost:{}/", super::free_port());
        let mut config = SimConfig {
            redirect_uris: vec![redirect.clone()],
            ..SimConfig::default()
        };
        adjust(&mut config);
        let sim = SimHandle::start(config, 0).await.unwrap();
        let home = tempfile::tempdir().unwrap();
        let tools = tempfile::tempdir().unwrap();
        let browser = super::browser_script(tools.path());
        Env {
            sim,
            home,
            redirect,
            browser,
            secrets: "file",
            _tools: tools,
        }
    }

    /// Every address the `BROWSER` program was given, one per line.
    pub fn browser_seen(&self) -> String {
        std::fs::read_to_string(self.browser.with_file_name("seen.txt")).unwrap_or_default()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_audience-desk"));
        let api = self.sim.url.as_str().trim_end_matches('/').to_owned();
        command
            .args(args)
            .env("AUDIENCE_DESK_HOME", self.home.path())
            .env("AUDIENCE_DESK_SECRETS", self.secrets)
            .env("PINTEREST_API_URI", &api)
            .env("PINTEREST_OAUTH_URI", &api)
            .env("PINTEREST_REDIRECT_URI", &self.redirect)
            .env("BROWSER", &self.browser)
            .env_remove("PINTEREST_APP_ID")
            .env_remove("PINTEREST_APP_SECRET")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    }

    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = self.command(args);
        let input = stdin.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            let mut child = command.spawn().unwrap();
            if let Some(input) = input {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(input.as_bytes())
                    .unwrap();
            }
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    }
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn python_available() -> bool {
    let found = Command::new("python3").arg("--version").output().is_ok();
    if !found {
        super::skip("no python3 for the BROWSER helper");
    }
    found
}

/// A connection named EU, connected through the `BROWSER` helper.
pub async fn connected(env: &Env) {
    add_and_connect(env, "EU", OWNED_AD_ACCOUNT).await;
}

/// A connection `name` on `ad_account`, with the simulator's app, connected through the
/// `BROWSER` helper.
pub async fn add_and_connect(env: &Env, name: &str, ad_account: &str) {
    let out = env
        .run(
            &[
                "connection",
                "add",
                "--name",
                name,
                "--ad-account-id",
                ad_account,
                "--app-id",
                "1500000",
                "--app-secret-stdin",
            ],
            Some("sim-secret\n"),
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["connect", name, "--timeout", "20"], None).await;
    assert!(out.status.success(), "{}", text(&out));
}

/// A fresh home with the connection EU connected, or `None` (with a note) where there is no
/// python3 for the BROWSER helper.
pub async fn connected_env() -> Option<Env> {
    connected_env_with(|_| {}).await
}

/// `connected_env` on a simulator set up as `adjust` says.
pub async fn connected_env_with(adjust: impl FnOnce(&mut SimConfig)) -> Option<Env> {
    if !python_available() {
        return None;
    }
    let env = Env::with(adjust).await;
    connected(&env).await;
    Some(env)
}

/// `upload PATH --connection EU --new-list LIST`, which must succeed.
pub async fn upload_new_list(env: &Env, path: &str, list: &str) {
    let out = env
        .run(
            &["upload", path, "--connection", "EU", "--new-list", list],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
}

/// Writes an export of `users`: a header, then `User{i}@Example.com` per row (as a CRM would
/// have them, capitals and all).
pub fn write_users(path: &std::path::Path, header: &str, users: std::ops::Range<u32>) {
    let mut csv = format!("{header}\n");
    for i in users {
        csv += &format!("User{i}@Example.com\n");
    }
    std::fs::write(path, csv).unwrap();
}

/// The SHA-256 Pinterest is sent for `write_users`' user `i`.
pub fn user_digest(i: u32) -> String {
    audience_desk::identity::sha256(&format!("user{i}@example.com")).to_hex()
}

/// The members of the simulator's one list named `name`.
pub fn members(env: &Env, name: &str) -> std::collections::BTreeSet<String> {
    let lists = env.sim.lists();
    let named: Vec<_> = lists.iter().filter(|l| l.name == name).collect();
    assert_eq!(named.len(), 1, "one list named {name}");
    named[0].members.clone()
}

/// A scratch folder holding `customers.csv` (users 0..150), already sent to a new list `list`
/// on EU; the folder and the file's path.
pub async fn customers_in_new_list(env: &Env, list: &str) -> (tempfile::TempDir, String) {
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("customers.csv");
    write_users(&file, "email", 0..150);
    let path = file.to_str().unwrap().to_owned();
    upload_new_list(env, &path, list).await;
    (files, path)
}
