use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::source::{Delimiter, MapSpec, PreviewOptions};

/// Audience Desk: customer lists (emails, GAIDs, IDFAs) into Pinterest audiences, with a
/// preview of exactly what is sent. Run with no command to open the desktop app.
#[derive(Debug, Parser)]
#[command(name = "audience-desk", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Open the desktop app on the built-in Pinterest simulator; nothing leaves the machine.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app (the default when no command is given).
    Gui {
        /// Run on the built-in Pinterest simulator; nothing leaves the machine.
        #[arg(long)]
        demo: bool,
    },
    /// Show how a file's columns are mapped and what each row becomes, then count everything.
    ///
    /// The first screen (format, columns, the first rows as raw -> normalized -> digest ->
    /// status) appears at once; the counts follow after a full pass over the file.
    Inspect {
        #[command(flatten)]
        file: FileArgs,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// How many sample rows to print as text.
        #[arg(long, default_value_t = 10, value_name = "N")]
        rows: usize,
    },
    /// Keep connections: a name, a Pinterest Ad Account ID, and optionally app credentials.
    Connection {
        #[command(subcommand)]
        action: ConnectionCommand,
    },
    /// Log in to Pinterest in the browser for a connection and store its tokens.
    ///
    /// Opens the authorize page with $BROWSER (or the system's browser) and prints its address;
    /// a listener on the redirect URI (default http://localhost:8085/) receives the answer.
    Connect {
        /// The connection's name.
        name: String,
        /// Seconds to wait for the browser.
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        timeout: u64,
        /// Keep the login even when it is another Pinterest user than the connection's last.
        #[arg(long)]
        switch_user: bool,
    },
    /// The ad accounts the connection's login reaches, with the user's roles on each.
    Accounts {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Customer lists and audiences of the connection's ad account.
    Lists {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Upload a file into customer lists (one per list type), with an audience for each new list.
    ///
    /// The plan (rows, valid, rejected, duplicates; per list what is added, removed, unchanged)
    /// is printed first; every batch is journaled, so an interrupted upload continues with
    /// `audience-desk resume JOB_ID`.
    Upload {
        #[command(flatten)]
        file: FileArgs,
        /// The connection to upload through.
        #[arg(long)]
        connection: String,
        /// Create new lists with this name ("NAME (EMAIL)" etc. when the file has several types).
        #[arg(
            long,
            value_name = "LISTNAME",
            conflicts_with = "list",
            required_unless_present = "list"
        )]
        new_list: Option<String>,
        /// Update this existing customer list.
        #[arg(long, value_name = "LIST_ID")]
        list: Option<String>,
        /// add: add the file's identities; remove: remove them; mirror: make the list hold
        /// exactly the file (removes only what this app added before).
        #[arg(long, value_enum, default_value_t = ModeArg::Add)]
        mode: ModeArg,
        /// Do not wrap new lists in CUSTOMER_LIST audiences.
        #[arg(long)]
        no_audience: bool,
        /// Print the plan and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Records per request (at most about 15,000, the 1 MB cap).
        #[arg(long, default_value_t = crate::upload::DEFAULT_BATCH_SIZE, value_name = "N")]
        batch_size: usize,
        /// Write calls per minute for this token (Pinterest Standard access allows 400).
        #[arg(long, default_value_t = 400, value_name = "CALLS")]
        writes_per_minute: u32,
        /// Hold the removals (until `resume JOB --confirm-removals`) when they would take out
        /// more than this share of what this app put in a list [default: 0.2; 1 turns it off].
        #[arg(long, value_name = "SHARE", value_parser = crate::upload::parse_removal_share)]
        max_removal_share: Option<crate::upload::RemovalShare>,
        /// Hold the removals when they would leave a list with fewer than N people [default:
        /// 100, under which Pinterest stops serving an audience; 0 turns it off].
        #[arg(long, value_name = "N")]
        floor: Option<u64>,
    },
    /// Recent and unfinished upload jobs.
    Jobs {
        #[arg(long)]
        json: bool,
    },
    /// Continue an interrupted, failed or cancelled upload where it stopped.
    Resume {
        job_id: i64,
        /// Send the removals the job holds (they would take out more of a list than its guard
        /// allows, or leave it under its floor).
        #[arg(long)]
        confirm_removals: bool,
        /// Write calls per minute for this token.
        #[arg(long, default_value_t = 400, value_name = "CALLS")]
        writes_per_minute: u32,
    },
    /// Run the built-in Pinterest simulator in the foreground (for trying things out and
    /// tests; nothing leaves the machine).
    Sim(SimArgs),
    /// Make a lookalike (ACTALIKE) audience of READY seed audiences: people like them in one
    /// country, sized as a percentage of its Pinterest users.
    Lookalike {
        /// The connection whose ad account holds the seeds.
        connection: String,
        /// A seed audience's id (repeat for several); `audience-desk lists CONNECTION` shows them.
        #[arg(long = "seed", value_name = "AUDIENCE_ID", required = true)]
        seeds: Vec<String>,
        /// US, CA or GB.
        #[arg(long, value_name = "COUNTRY")]
        country: String,
        /// 1 to 10: the share of the country's Pinterest users the lookalike reaches.
        #[arg(long, value_name = "N")]
        percent: u64,
        /// The new audience's name (default: "Lookalike of SEED (COUNTRY N%)").
        #[arg(long)]
        name: Option<String>,
    },
    /// Share an audience with other ad accounts of the same business, or revoke it (a
    /// restricted Pinterest feature: not every app has it).
    Share {
        connection: String,
        audience_id: String,
        /// An ad account to share with (repeat for several).
        #[arg(long = "with", value_name = "AD_ACCOUNT_ID", required = true)]
        with: Vec<String>,
        /// Take the access back instead.
        #[arg(long)]
        revoke: bool,
    },
    /// The ad account's Pinterest (conversion) tags: id, name, status, when each last fired.
    Tags {
        connection: String,
        #[arg(long)]
        json: bool,
    },
    /// The login's websites and whether Pinterest verified each (engagement audiences need a
    /// verified one).
    Websites {
        connection: String,
        #[arg(long)]
        json: bool,
    },
    /// Make an audience of the site's visitors, as the ad account's Pinterest tag saw them.
    /// Options not given are left to Pinterest (180 days, filled from what the tag saw).
    Visitors(VisitorArgs),
    /// Make an audience of people who engaged with Pins from a verified domain.
    Engagers(EngagerArgs),
    /// Change an audience: its name, description, or (site visitors and people who engaged)
    /// how many days people stay in it.
    Audience {
        #[command(subcommand)]
        action: AudienceCommand,
    },
    /// How many people an ad group targeting an audience may reach in a month, by Pinterest's
    /// estimate, taken now (and kept: `lists` shows the latest).
    Reach {
        connection: String,
        audience_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Saved syncs: a file or folder kept mirrored into customer lists, by hand, on a schedule
    /// or on change, with the history of every run.
    Sync {
        #[command(subcommand)]
        action: SyncCommand,
    },
    /// Where one person is: every list (of every connection) this app put them in, and the
    /// jobs and syncs that added or removed them. The value is normalized and hashed here;
    /// nothing is sent.
    Find {
        /// An email, a SHA-256 of one, or an advertising ID.
        value: String,
        /// What the value is (default: every kind that accepts it).
        #[arg(long, value_name = "email|email_sha256|gaid|idfa")]
        namespace: Option<crate::identity::Namespace>,
        #[arg(long)]
        json: bool,
    },
    /// Identities no upload or sync run of any connection sends: opt-outs, "do not sell",
    /// erased people. Kept as SHA-256 digests only; a mirror removes a suppressed member.
    Suppress {
        #[command(subcommand)]
        action: SuppressCommand,
    },
    /// Takes people out of every list this app put them in (every connection), adds them to
    /// the suppression list so no later run brings them back, and writes a receipt in the
    /// home (erasures/ID.json: digests, lists, Pinterest's answers and request ids).
    Erase(EraseArgs),
    /// Alerts outside the app: a chat webhook or a mail relay hears when a job or a sync run
    /// fails, is refused or holds removals, when a sync goes stale or works again, when a
    /// connection needs a reconnect, and when an audience the app made is too small.
    Alerts {
        #[command(subcommand)]
        action: AlertsCommand,
    },
    /// Write exactly what an upload would send: DIR/EMAIL.txt, DIR/MAID.txt, DIR/IDFA.txt (one
    /// SHA-256 hex digest per line, deduplicated) and DIR/rejects.csv (row, column, reason).
    Prepare {
        #[command(flatten)]
        file: FileArgs,
        /// Directory for the output files; created when missing.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Where this home keeps its tokens and app secrets: the system keyring or a file readable
    /// by you only. Every process of the home uses the same one.
    Secrets {
        #[command(subcommand)]
        action: SecretsCommand,
    },
    /// Keeps a database's password in this home's secret store, where every query of the
    /// home finds it (the window, the command line and scheduled sync runs alike).
    Database {
        #[command(subcommand)]
        action: DatabaseCommand,
    },
    /// Writes the man page or a shell's completions (for packagers).
    #[command(hide = true)]
    Generate {
        #[command(subcommand)]
        what: GenerateCommand,
    },
}

#[derive(Debug, Args)]
pub struct VisitorArgs {
    pub connection: String,
    #[arg(long)]
    pub name: String,
    /// The Pinterest tag's ID (`audience-desk tags CONNECTION` lists them).
    #[arg(long, value_name = "TAG_ID")]
    pub tag: String,
    /// pagevisit, signup, checkout, viewcategory, search, addtocart, watchvideo, lead, custom,
    /// or a partner's event name (default: any).
    #[arg(long)]
    pub event: Option<String>,
    /// 1 to 540 days (Pinterest's default: 180).
    #[arg(long, value_name = "DAYS")]
    pub retention_days: Option<u64>,
    /// Only visits of this page address (repeat for several conditions).
    #[arg(long, value_name = "URL")]
    pub url_is: Vec<String>,
    /// Only visits of pages whose address contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub url_contains: Vec<String>,
    /// Leave out pages whose address contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub url_not_contains: Vec<String>,
    /// web, mobile or offline (repeat; default: all).
    #[arg(long, value_name = "SOURCE")]
    pub source: Vec<String>,
    /// Start empty instead of filling the audience from what the tag already saw.
    #[arg(long)]
    pub no_prefill: bool,
    #[arg(long)]
    pub description: Option<String>,
    /// Make it on an archived tag all the same.
    #[arg(long)]
    pub confirm_archived_tag: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EngagerArgs {
    pub connection: String,
    #[arg(long)]
    pub name: String,
    /// A domain the login verified with Pinterest (`audience-desk websites CONNECTION`).
    #[arg(long)]
    pub domain: String,
    /// click, save, closeup, comment or like (default: all).
    #[arg(long, value_name = "TYPE")]
    pub engagement: Option<String>,
    /// 1 or 2.
    #[arg(long, value_name = "N")]
    pub engager_type: Option<u64>,
    /// 1 to 540 days (Pinterest's default: 180).
    #[arg(long, value_name = "DAYS")]
    pub retention_days: Option<u64>,
    /// Only people who engaged with this Pin (repeat for several).
    #[arg(long = "pin", value_name = "PIN_ID")]
    pub pins: Vec<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AudienceCommand {
    /// Change an audience's name, description or retention days (sent as an UPDATE).
    Edit {
        connection: String,
        audience_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_name = "DAYS")]
        retention_days: Option<u64>,
        #[arg(long)]
        json: bool,
    },
}

/// `audience-desk erase` as typed.
#[derive(Debug, Args)]
pub struct EraseArgs {
    /// Emails, SHA-256 digests of emails, or advertising IDs.
    pub values: Vec<String>,
    /// What the values are (default: every kind that accepts each).
    #[arg(long, value_name = "email|email_sha256|gaid|idfa")]
    pub namespace: Option<crate::identity::Namespace>,
    /// A file of people to erase, read like an upload's.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub file: Option<PathBuf>,
    /// With --file: map a column to email, email_sha256, gaid, idfa or ignore.
    #[arg(long = "map", value_name = "COLUMN=NAMESPACE", requires = "file")]
    pub map: Vec<MapSpec>,
    /// Finish an erasure an earlier run left unfinished (a connection to log in again,
    /// an interruption), and write its receipt anew.
    #[arg(long, value_name = "ERASURE", conflicts_with_all = ["values", "namespace"])]
    pub resume: Option<i64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SuppressCommand {
    /// Add a file's identities (mapped like an upload's) to the suppression list.
    Add {
        #[command(flatten)]
        file: FileArgs,
        /// Why they are kept out ("EEA consent withdrawn", "do not sell").
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
    },
    /// How many identities of each kind are suppressed, and where each source came from.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Take one source off the suppression list (its number in the list); an identity another
    /// source also holds stays suppressed.
    Remove { source: i64 },
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Send alerts to a new place.
    Add {
        #[command(subcommand)]
        to: AlertTarget,
    },
    /// The places alerts go, with the last delivery to each, and the latest messages.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop sending alerts to a place (its address or password goes from the secrets).
    Remove { name: String },
    /// Send one test message to every place now, and say how each went.
    Test,
}

#[derive(Debug, Subcommand)]
pub enum AlertTarget {
    /// A webhook that takes a JSON post: Slack's and Mattermost's incoming webhooks (they show
    /// its `text`), or any program (event, subject, state, message, time, host). The address
    /// is kept with the home's secrets.
    Webhook {
        /// The webhook's address (https://, or http:// on this machine).
        url: String,
        /// A name for it (default: the address's host).
        #[arg(long)]
        name: Option<String>,
    },
    /// An email address, through a mail relay.
    Email {
        /// Who receives the alerts.
        address: String,
        /// The mail relay, as HOST:PORT (port 465 is TLS from the start).
        #[arg(long, value_name = "HOST:PORT")]
        smtp: String,
        /// The sender (default: the receiving address).
        #[arg(long, value_name = "ADDRESS")]
        from: Option<String>,
        /// Require STARTTLS (port 587 usually).
        #[arg(long)]
        starttls: bool,
        /// Log in to the relay as USER; the password is read from standard input.
        #[arg(long, requires = "password_stdin")]
        user: Option<String>,
        /// Read the relay's password from standard input (one line); it is kept with the
        /// home's secrets, never in the database.
        #[arg(long, requires = "user")]
        password_stdin: bool,
        /// A name for it (default: the address).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Says where this home keeps its secrets.
    Show,
    /// Moves every secret of this home to the other store, and keeps them there from now on:
    /// `file` for scheduled runs without a desktop session (cron, SSH), `keyring` for the
    /// desktop's keyring.
    Move {
        #[arg(long, value_enum)]
        to: SecretStoreArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum DatabaseCommand {
    /// Reads the password from standard input (one line) and keeps it for ADDRESS:
    /// `printf '%s' "$PASSWORD" | audience-desk database remember postgres://crm@db/shop`.
    Remember {
        /// The database's address, as given to --database (no password in it).
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    /// Forgets the password kept for ADDRESS.
    Forget {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    /// Lists the addresses whose password is kept (never the passwords).
    List,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SecretStoreArg {
    Keyring,
    File,
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// The man pages (one per command) into DIR.
    Man { dir: PathBuf },
    /// Completions for SHELL on standard output.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Add a connection.
    Add {
        /// The connection's name, as the other commands take it (`--name NAME` works too).
        #[arg(
            value_name = "NAME",
            required_unless_present = "name",
            conflicts_with = "name"
        )]
        connection: Option<String>,
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// The Pinterest Ad Account ID (digits only, at most 18).
        #[arg(long = "ad-account-id", value_name = "ID")]
        ad_account_id: String,
        #[arg(long, default_value = "")]
        description: String,
        /// The Pinterest app's ID; without it PINTEREST_APP_ID is used.
        #[arg(long, value_name = "ID")]
        app_id: Option<String>,
        /// Read the app secret from standard input and keep it in the secret store (never on
        /// the command line, where other users could see it).
        #[arg(long)]
        app_secret_stdin: bool,
    },
    /// List connections with their token state and expiry.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a connection.
    Edit {
        name: String,
        #[arg(long, value_name = "NEW_NAME")]
        rename: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long = "ad-account-id", value_name = "ID")]
        ad_account_id: Option<String>,
        #[arg(long, value_name = "ID")]
        app_id: Option<String>,
        #[arg(long)]
        app_secret_stdin: bool,
    },
    /// Remove a connection, its tokens and its stored secret.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Save a sync. The file (or the folder's newest match) is read now: its columns, as
    /// mapped, are what every later file is checked against.
    Add {
        name: String,
        #[command(flatten)]
        settings: SyncArgs,
    },
    /// Change a sync; what is not given stays as it was. A new --file, --folder or --map reads
    /// the file again for its columns.
    Edit {
        name: String,
        #[arg(long, value_name = "NEW_NAME")]
        rename: Option<String>,
        #[command(flatten)]
        settings: SyncArgs,
    },
    /// Remove a sync and its history (its jobs stay in `audience-desk jobs`).
    Remove { name: String },
    /// The syncs with their last run, next run and health.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Run a sync once now, in the foreground; exits as `upload` does (non-zero when the run
    /// failed or was refused).
    Run {
        name: String,
        /// Send the removals the guard holds (or held on the last run, for an unchanged file).
        #[arg(long)]
        confirm_removals: bool,
        /// Write calls per minute for this token.
        #[arg(long, default_value_t = 400, value_name = "CALLS")]
        writes_per_minute: u32,
    },
    /// A sync's runs, oldest first.
    History {
        name: String,
        /// Print a JSON array of runs, newest last.
        #[arg(long)]
        json: bool,
        /// How many of the newest runs.
        #[arg(long, default_value_t = 50, value_name = "N")]
        limit: usize,
    },
    /// Run every saved sync on its schedule, in the foreground, until Ctrl-C.
    Watch {
        /// Seconds a changed file must stay the same before it is read.
        #[arg(long, default_value_t = 3, value_name = "SECONDS")]
        settle: u64,
        /// Write calls per minute for each token.
        #[arg(long, default_value_t = 400, value_name = "CALLS")]
        writes_per_minute: u32,
    },
    /// Print a crontab line, a systemd timer and a Windows scheduled task for `sync run NAME`.
    ScheduleHint { name: String },
}

/// A sync's settings on the command line; for `edit`, all optional.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The connection to upload through.
    #[arg(long)]
    pub connection: Option<String>,
    /// The customer file to keep in sync.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["folder", "pattern"])]
    pub file: Option<PathBuf>,
    /// A folder: the sync reads its newest file matching --pattern.
    #[arg(long, value_name = "DIR", requires = "pattern")]
    pub folder: Option<PathBuf>,
    /// File names to take from --folder, as a glob ("export-*.csv").
    #[arg(long, value_name = "GLOB", requires = "folder")]
    pub pattern: Option<String>,
    /// A database to run --query on for each run instead of a file: postgres://USER@HOST/DB
    /// (password from `database remember`, PGPASSWORD or ~/.pgpass) or sqlite:PATH.
    #[arg(long, value_name = "URL", requires = "query", conflicts_with_all = ["file", "folder"])]
    pub database: Option<String>,
    /// The SELECT each run reads (one statement, run read-only).
    #[arg(long, value_name = "SQL", requires = "database")]
    pub query: Option<String>,
    /// New lists with this name, made on the first run (one per identity type), then kept.
    /// `--list-name` is the older spelling.
    #[arg(
        long = "new-list",
        visible_alias = "list-name",
        value_name = "LISTNAME",
        conflicts_with = "list"
    )]
    pub list_name: Option<String>,
    /// An existing customer list.
    #[arg(long, value_name = "LIST_ID")]
    pub list: Option<String>,
    /// mirror (the default): the list holds exactly the file; add; remove.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Map a column (header name or 1-based number) to email, email_sha256, gaid, idfa or
    /// ignore; unmapped columns keep their detected namespace.
    #[arg(long = "map", value_name = "COLUMN=NAMESPACE")]
    pub map: Vec<MapSpec>,
    /// For a workbook: the sheet each run reads (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// For a ZIP archive of several files: the one each run reads.
    #[arg(long, value_name = "NAME")]
    pub member: Option<String>,
    /// Do not wrap new lists in CUSTOMER_LIST audiences.
    #[arg(long, conflicts_with = "audience")]
    pub no_audience: bool,
    /// Hold a run's removals when they would take out more than this share of what this app
    /// put in a list [default: 0.2; 1 turns the guard off].
    #[arg(long, value_name = "SHARE", value_parser = crate::upload::parse_removal_share)]
    pub max_removal_share: Option<crate::upload::RemovalShare>,
    /// Hold a run's removals when they would leave a list with fewer than N people [default:
    /// 100; 0 turns it off].
    #[arg(long, value_name = "N")]
    pub floor: Option<u64>,
    /// Wrap new lists in audiences again (for `edit`).
    #[arg(long, hide = true)]
    pub audience: bool,
    /// Run every DURATION (30m, 6h, 1d; at least a minute).
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["on_change", "by_hand"])]
    pub every: Option<String>,
    /// Run when the file changes (once it has stopped growing).
    #[arg(long, conflicts_with = "by_hand")]
    pub on_change: bool,
    /// Run only when asked (the default).
    #[arg(long)]
    pub by_hand: bool,
    /// Records per request.
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
}

/// The simulator's settings and faults.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 4010)]
    pub port: u16,
    #[arg(long, env = "PINTEREST_APP_ID", default_value = "1500000")]
    pub app_id: String,
    #[arg(
        long,
        env = "PINTEREST_APP_SECRET",
        default_value = "sim-secret",
        hide_env_values = true
    )]
    pub app_secret: String,
    /// Redirect URIs registered on the simulated app (repeat for several).
    #[arg(long = "redirect-uri", default_value = "http://localhost:8085/")]
    pub redirect_uris: Vec<String>,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 30 * 24 * 3600)]
    pub access_token_lifetime: i64,
    /// Calls per minute per user before 429 code 8.
    #[arg(long, value_name = "CALLS")]
    pub rate_limit: Option<u32>,
    /// Share of API calls answered with a 5xx (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Milliseconds added to every API call.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Records per request beyond which a call is refused with a 400.
    #[arg(long)]
    pub max_records: Option<usize>,
    /// The authorize page declines, as when the user clicks Cancel.
    #[arg(long)]
    pub decline_consent: bool,
    /// Share (0 to 1) of a list's people who match Pinterest users (an audience's size).
    #[arg(long, default_value_t = 1.0, value_name = "SHARE")]
    pub match_rate: f64,
    /// Seconds a new audience stays INITIALIZING.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub audience_delay: i64,
    /// Answer audience sharing with 403, as for an app Pinterest has not opened it to.
    #[arg(long)]
    pub no_sharing: bool,
    /// Answer as Pinterest's release 5.28 does (201 on create, numbers as strings, `is_nca`,
    /// listings that mix received audiences in unless asked for OWNED).
    #[arg(long = "release-5-28")]
    pub release_5_28: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Add,
    Remove,
    Mirror,
}

impl From<ModeArg> for crate::upload::Mode {
    fn from(mode: ModeArg) -> Self {
        match mode {
            ModeArg::Add => crate::upload::Mode::Add,
            ModeArg::Remove => crate::upload::Mode::Remove,
            ModeArg::Mirror => crate::upload::Mode::Mirror,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HeaderChoice {
    /// Sniff it from the first row.
    Auto,
    /// The first row holds column names.
    Yes,
    /// The first row is data.
    No,
}

/// How to read a customer file.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The customer file: CSV, TSV, semicolon- or pipe-separated, one value per line, a
    /// workbook, a .gz or a .zip (or, instead, --database with --query).
    #[arg(required_unless_present = "database")]
    pub file: Option<PathBuf>,

    /// A database to read the list from instead of a file: postgres://USER@HOST:PORT/DATABASE
    /// (password from `database remember`, PGPASSWORD or ~/.pgpass) or sqlite:PATH. Run read-only.
    #[arg(long, value_name = "URL", requires = "query", conflicts_with = "file")]
    pub database: Option<String>,

    /// The SELECT that gives the list (one statement); its columns map by name like a header.
    #[arg(long, value_name = "SQL", requires = "database")]
    pub query: Option<String>,

    /// Map a column (header name or 1-based number) to email, email_sha256, gaid, idfa or
    /// ignore. Repeat for several columns; unmapped columns keep their detected namespace.
    #[arg(long = "map", value_name = "COLUMN=NAMESPACE")]
    pub map: Vec<MapSpec>,

    /// Whether the first row is a header.
    #[arg(long, value_enum, default_value_t = HeaderChoice::Auto)]
    pub header: HeaderChoice,

    /// Field separator: comma, tab, semicolon, pipe or none (one value per line). Sniffed when
    /// not given.
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<Delimiter>,

    /// For a workbook (.xlsx, .xlsm, .xls, .ods): the sheet to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,

    /// For a ZIP archive of several files: the one to read.
    #[arg(long, value_name = "NAME")]
    pub member: Option<String>,
}

impl FileArgs {
    /// The file's preview; for a query, the query is run first and its result (a CSV with a
    /// header row, kept while the returned value lives) is what is previewed.
    pub fn load(
        &self,
        sample_rows: usize,
    ) -> anyhow::Result<(
        crate::source::Preview,
        Option<std::sync::Arc<crate::source::QueryResult>>,
    )> {
        use crate::source::{Preview, Query, run_query};
        let (Some(database), Some(sql)) = (&self.database, &self.query) else {
            let file = self.file.as_ref().ok_or_else(|| {
                anyhow::anyhow!("name the customer file, or give --database and --query")
            })?;
            return Ok((
                Preview::load(file, &self.preview_options(sample_rows))?,
                None,
            ));
        };
        let query = Query {
            database: database.clone(),
            sql: sql.clone(),
        };
        // The home's secret store, for a password kept there (commands such as `prepare`
        // need no home otherwise; without one, PGPASSWORD or ~/.pgpass still serve).
        if let Err(e) = crate::context::Core::open() {
            tracing::debug!("no home for database passwords: {e:#}");
        }
        let result = std::sync::Arc::new(run_query(&query)?);
        eprintln!(
            "Read {} from the query on {}.",
            result.describe(),
            result.database
        );
        let preview = result.preview(self.preview_options(sample_rows))?;
        Ok((preview, Some(result)))
    }

    pub fn preview_options(&self, sample_rows: usize) -> PreviewOptions {
        PreviewOptions {
            header: match self.header {
                HeaderChoice::Auto => None,
                HeaderChoice::Yes => Some(true),
                HeaderChoice::No => Some(false),
            },
            delimiter: self.delimiter,
            mappings: self.map.clone(),
            sample_rows,
            part: crate::source::Part {
                sheet: self.sheet.clone(),
                member: self.member.clone(),
            },
        }
    }
}

fn parse_delimiter(text: &str) -> Result<Delimiter, String> {
    Delimiter::parse(text).ok_or_else(|| {
        format!("'{text}' is not a delimiter; use comma, tab, semicolon, pipe or none")
    })
}

impl Command {
    /// `Some(demo)` for the `gui` command.
    pub fn gui_demo(&self) -> Option<bool> {
        match self {
            Command::Gui { demo } => Some(*demo),
            _ => None,
        }
    }
}
