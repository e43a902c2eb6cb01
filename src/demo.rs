//! Demo mode: the built-in simulator on loopback, a demo connection with the simulator's app
//! credentials, and a sample file, so the whole flow can be tried without a Pinterest app.
//! Nothing leaves the machine: every request goes to 127.0.0.1.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use url::Url;

use crate::context::Core;
use crate::pinterest::{Endpoints, PinterestError};
use crate::sim::{Faults, OWNED_AD_ACCOUNT, SimConfig, SimHandle};
use crate::store::{MemorySecrets, NewConnection, StoreError};

/// The demo connection's name.
pub const CONNECTION: &str = "Demo shop";
/// Rows in the demo's sample file: enough for an upload that takes a few seconds.
pub const SAMPLE_ROWS: u32 = 50_000;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot prepare the demo files: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pinterest(#[from] PinterestError),
    #[error(transparent)]
    Sync(#[from] crate::upload::JobError),
}

/// A running demo: the simulator and the sample file. Dropping it stops the simulator and
/// removes the demo's home.
pub struct Demo {
    pub sim: SimHandle,
    pub sample: PathBuf,
    home: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.home) {
            tracing::debug!("the demo's home stays: {e}");
        }
    }
}

fn free_loopback_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts the simulator on the current Tokio runtime; returns it with a core pointed at it,
/// in a home of its own, holding the demo connection.
/// The demo's pace: slow enough that the Jobs screen shows a job at work.
pub const WRITES_PER_MINUTE: u32 = 60;

pub async fn start(writes_per_minute: u32) -> Result<(Demo, Core), DemoError> {
    // A fresh home per demo run: the user's own connections and jobs are never touched. A
    // private folder under a random name, so no one else can have made it first.
    let home = crate::store::blocking(|| {
        tempfile::Builder::new()
            .prefix("audience-desk-demo-")
            .tempdir()
            .map(tempfile::TempDir::keep)
    })
    .await?;
    // A little latency so progress can be watched, as on a real network.
    let faults = Faults {
        latency_ms: 150,
        ..Faults::default()
    };
    let connection = NewConnection {
        name: CONNECTION.into(),
        description: "The built-in simulator; nothing leaves this machine".into(),
        ad_account_id: OWNED_AD_ACCOUNT.into(),
        app_id: None,
    };
    let (sim, mut core) = simulated(&home, faults, connection).await?;
    // As Pinterest: most people match, and an audience takes a while to be ready.
    sim.set_audiences(crate::sim::AudienceBehaviour {
        match_rate: 0.72,
        ready_after: 20,
        sharing: true,
        release_5_28: false,
    });
    // Slow enough that the jobs screen shows a job at work.
    core.limits.writes_per_minute = writes_per_minute;
    let sample_home = home.clone();
    let (sample, core) = crate::store::blocking(move || -> Result<_, DemoError> {
        let sample = write_sample_file(&sample_home, SAMPLE_ROWS)?;
        add_demo_sync(&core, &sample)?;
        Ok((sample, core))
    })
    .await?;
    Ok((Demo { sim, sample, home }, core))
}

/// A saved sync of the sample file, run once a day (so at once, and then shown on the Syncs
/// screen with its history), as an admin would keep a nightly export.
fn add_demo_sync(core: &Core, sample: &Path) -> Result<(), DemoError> {
    let preview = crate::source::Preview::load(sample, &Default::default())
        .map_err(crate::upload::JobError::from)?;
    let mut settings = crate::syncs::SyncSettings {
        source: crate::syncs::Source::File(sample.to_owned()),
        header: true,
        delimiter: crate::source::Delimiter::Comma,
        columns: Vec::new(),
        target: crate::syncs::SyncTarget::NewList("Demo nightly".into()),
        mode: crate::upload::Mode::Mirror,
        create_audience: true,
        schedule: crate::syncs::Schedule::Every { seconds: 86_400 },
        batch_size: crate::upload::DEFAULT_BATCH_SIZE,
        max_removal_share: None,
        floor: None,
        part: Default::default(),
    };
    settings.take_columns(&preview);
    crate::syncs::add(core, "Demo nightly", CONNECTION, &settings)?;
    Ok(())
}

/// The simulator on a free loopback port (on the current Tokio runtime) with `faults`, and a
/// core in `home` pointed at it, its secrets in memory, holding `connection` with the
/// simulator's app credentials. Demo mode and the benchmarks start from here.
pub async fn simulated(
    home: &Path,
    faults: Faults,
    connection: NewConnection,
) -> Result<(SimHandle, Core), DemoError> {
    let redirect = Url::parse(&format!("http://localhost:{}/", free_loopback_port()?))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let config = SimConfig {
        redirect_uris: vec![redirect.to_string()],
        faults,
        ..SimConfig::default()
    };
    let sim = SimHandle::start(config.clone(), 0).await?;
    let endpoints = Endpoints::simulator(&sim.url, redirect);
    let home = home.to_owned();
    // Opening the database and storing the connection block: off the runtime's workers.
    let core = crate::store::blocking(move || -> Result<Core, DemoError> {
        let core = Core::with(&home, endpoints, Arc::new(MemorySecrets::default()), None)?;
        let connection = NewConnection {
            app_id: Some(config.app_id.clone()),
            ..connection
        };
        core.add_connection(&connection, Some(&config.app_secret))?;
        Ok(core)
    })
    .await?;
    Ok((sim, core))
}

/// What a browser does with the simulator's login page, which consents at once: follow its
/// redirect to the app's callback listener. Must be called on a Tokio runtime.
pub fn follow_login(url: &Url) -> Result<(), PinterestError> {
    let url = url.clone();
    tokio::spawn(async move {
        if let Err(e) = reqwest::get(url).await {
            tracing::warn!("the demo login did not reach the callback: {e}");
        }
    });
    Ok(())
}

/// Writes a sample customer file of `rows` rows (mixed case, whitespace, pre-hashed and
/// invalid values, duplicates, zero advertising IDs) in `dir` and returns its path.
pub fn write_sample_file(dir: &Path, rows: u32) -> std::io::Result<PathBuf> {
    let path = dir.join("sample-customers.csv");
    write_sample(&path, rows)?;
    Ok(path)
}

/// Writes the sample customer file of `rows` rows at `path`.
pub fn write_sample(path: &Path, rows: u32) -> std::io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    writeln!(out, "Email Address,GAID,IDFA,First name,Notes")?;
    let names = ["Jane", "omar", "LI", "Ana", "Sam", "Priya", "Noah", "Mia"];
    for i in 0u32..rows {
        let name = names[i as usize % names.len()];
        let email = match i % 50 {
            7 => "not-an-email".to_owned(),
            13 => "0cc175b9c0f1b6a831c399e269772661".to_owned(),
            21 => String::new(),
            // A repeat of the row before, in other case: a duplicate after normalizing.
            29 => format!(
                "{}.{}@example.com",
                names[(i as usize - 1) % names.len()],
                i - 1
            ),
            _ => format!(" {}.{}@Example.COM ", name, i),
        };
        let gaid = match i % 40 {
            5 => "00000000-0000-0000-0000-000000000000".to_owned(),
            9 => String::new(),
            _ => format!(
                "{:08x}-8cf0-11bd-b23e-{:012x}",
                i * 7919,
                u64::from(i) * 104_729
            ),
        };
        let idfa = if i % 3 == 0 {
            format!(
                "{:08X}-5F4D-4C6E-9A8B-{:012X}",
                i * 31,
                u64::from(i) * 65_537
            )
        } else {
            String::new()
        };
        writeln!(out, "{email},{gaid},{idfa},{name},\"signed up, row {i}\"")?;
    }
    out.flush()
}
