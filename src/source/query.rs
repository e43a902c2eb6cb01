//! Customer lists that live in a database: a query's result, read as text the way the
//! database shows it, written to a private CSV (one header row of the column names) that
//! every reader then opens as it would an export. PostgreSQL through tokio-postgres, SQLite
//! through the SQLite already linked. The query runs read-only with a statement timeout, as
//! one statement; a query that fails or a connection that drops midway gives no file at all.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::SourceError;

/// How long a query may run before the database stops it.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(300);

/// A query as the user gave it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Query {
    /// `postgres://user@host:port/db` or `sqlite:PATH`; never a password.
    pub database: String,
    pub sql: String,
}

/// A query's result on disk, kept for as long as this value lives.
#[derive(Debug)]
pub struct QueryResult {
    _dir: tempfile::TempDir,
    /// The result as a CSV file with a header row.
    pub csv: PathBuf,
    pub rows: u64,
    pub columns: Vec<String>,
    /// The database, as shown to the user (no password).
    pub database: String,
}

enum Database {
    Postgres(Box<tokio_postgres::Config>, super::tls::Tls),
    Sqlite(PathBuf),
}

impl Query {
    fn database(&self) -> Result<Database, SourceError> {
        let url = self.database.trim();
        let refuse = |problem: &str| SourceError::Query {
            database: self.shown(),
            problem: problem.to_owned(),
        };
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            if path.is_empty() {
                return Err(refuse("names no file: write sqlite:PATH"));
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let (url, tls) = super::tls::split(url).map_err(|problem| refuse(&problem))?;
            let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
                refuse(&format!(
                    "cannot be used: the address is not understood ({e})"
                ))
            })?;
            if config.get_password().is_some() {
                return Err(refuse(
                    "carries a password in its address, where the shell history and the \
                     process list would show it: remove it and keep the password in this \
                     home's secret store, PGPASSWORD or ~/.pgpass",
                ));
            }
            config.ssl_mode(tls.postgres_mode());
            return Ok(Database::Postgres(Box::new(config), tls));
        }
        Err(refuse(
            "cannot be used: give a postgres://USER@HOST:PORT/DATABASE address or sqlite:PATH",
        ))
    }

    /// The statement without what would end it early: one statement is run.
    fn statement(&self) -> &str {
        self.sql.trim().trim_end_matches(';').trim_end()
    }

    /// The database as shown: its address without a password.
    pub fn shown(&self) -> String {
        shown_address(&self.database)
    }
}

/// A database's address as shown and as its kept password is named: trimmed, without a
/// password.
pub fn shown_address(address: &str) -> String {
    let address = address.trim();
    match url::Url::parse(address) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => address.to_owned(),
    }
}

/// Runs the query to its end and writes the result; blocks the calling thread (the database
/// is reached on a runtime of its own, so any caller may use it).
pub fn run_query(query: &Query) -> Result<QueryResult, SourceError> {
    run_query_with_password(query, None)
}

/// `run_query`, with a password the user just typed tried before any kept one (a PostgreSQL
/// database's; SQLite has none), so that it is kept only once it proved right.
pub fn run_query_with_password(
    query: &Query,
    typed: Option<&str>,
) -> Result<QueryResult, SourceError> {
    if query.statement().is_empty() {
        return Err(SourceError::Query {
            database: query.shown(),
            problem: "is empty: write the SELECT that gives the customer list".into(),
        });
    }
    let (dir, csv, file) = super::expand::private_csv("query", "result.csv")?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let (columns, rows) = match query.database()? {
        Database::Sqlite(path) => {
            let mut writer = csv::Writer::from_writer(&mut out);
            let read = sqlite(query, &path, &mut writer)?;
            writer.flush().map_err(|e| SourceError::io(&csv, e))?;
            read
        }
        Database::Postgres(mut config, tls) => std::thread::scope(|scope| {
            if let Some(password) = typed.filter(|p| !p.is_empty()) {
                config.password(password);
            }
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| SourceError::io(&csv, e))?;
                    runtime.block_on(postgres(query, *config, &tls, &mut out))
                })
                .join()
                .unwrap_or_else(|_| {
                    Err(SourceError::Query {
                        database: query.shown(),
                        problem: "stopped unexpectedly".into(),
                    })
                })
        })?,
    };
    // A scratch copy, read once and removed: no need to wait for the disk.
    out.flush().map_err(|e| SourceError::io(&csv, e))?;
    if columns.is_empty() {
        return Err(SourceError::Query {
            database: query.shown(),
            problem: "gives no column: write the SELECT that gives the customer list".into(),
        });
    }
    // Nobody is not a list: a mirror of it would empty the lists.
    if rows == 0 {
        return Err(SourceError::Query {
            database: query.shown(),
            problem: "gave no rows: nothing to send".into(),
        });
    }
    Ok(QueryResult {
        _dir: dir,
        csv,
        rows,
        columns,
        database: query.shown(),
    })
}

impl QueryResult {
    /// The result's preview: a CSV with a header row, its columns mapped by name. The preview
    /// holds the result.
    pub fn preview(
        self: &Arc<Self>,
        options: super::PreviewOptions,
    ) -> Result<super::Preview, SourceError> {
        let options = super::PreviewOptions {
            header: Some(true),
            delimiter: Some(super::Delimiter::Comma),
            ..options
        };
        let mut preview = super::Preview::load(&self.csv, &options)?;
        preview.query = Some(self.database.clone());
        preview.held = Some(self.clone());
        Ok(preview)
    }

    /// "152 rows of 2 columns (email, note)".
    pub fn describe(&self) -> String {
        format!(
            "{} of {} ({})",
            crate::display::count(self.rows, "row", "rows"),
            crate::display::count(self.columns.len() as u64, "column", "columns"),
            crate::display::names(&self.columns)
        )
    }
}

fn failed(query: &Query, problem: impl std::error::Error) -> SourceError {
    // The driver's own words and what they rest on ("invalid configuration: password
    // missing"), as one line the user can read (a server's text may hold control
    // characters), never the password.
    let mut said = problem.to_string();
    let mut cause = problem.source();
    while let Some(inner) = cause {
        let inner_said = inner.to_string();
        if !said.contains(&inner_said) {
            said = format!("{said}: {inner_said}");
        }
        cause = inner.source();
    }
    if said.contains("password missing") {
        said += " (none is kept in this home for this address, nor in PGPASSWORD or ~/.pgpass)";
    }
    SourceError::Query {
        database: query.shown(),
        problem: format!(
            "failed: {}; nothing of it was used",
            crate::display::printable(&said)
        ),
    }
}

type Out<'a> = csv::Writer<&'a mut BufWriter<File>>;

fn write_row<'a>(
    query: &Query,
    out: &mut Out,
    cells: impl IntoIterator<Item = &'a str>,
) -> Result<(), SourceError> {
    out.write_record(cells).map_err(|e| failed(query, e))
}

/// SQLite: the file opened read-only (and `query_only`, for views that would write), one
/// statement, stopped at the timeout.
fn sqlite(
    query: &Query,
    path: &std::path::Path,
    out: &mut Out,
) -> Result<(Vec<String>, u64), SourceError> {
    use rusqlite::OpenFlags;
    if !path.is_file() {
        return Err(SourceError::Query {
            database: query.shown(),
            problem: format!(
                "cannot be run: there is no database file {}",
                path.display()
            ),
        });
    }
    let db = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| failed(query, e))?;
    db.pragma_update(None, "query_only", true)
        .map_err(|e| failed(query, e))?;
    // The timeout: a watcher interrupts the query unless it ends first.
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let interrupt = db.get_interrupt_handle();
    let watcher = std::thread::spawn(move || {
        if finished.recv_timeout(QUERY_TIMEOUT).is_err() {
            interrupt.interrupt();
        }
    });
    let read = sqlite_rows(query, &db, out);
    let _ = done.send(());
    let _ = watcher.join();
    read
}

fn sqlite_rows(
    query: &Query,
    db: &rusqlite::Connection,
    out: &mut Out,
) -> Result<(Vec<String>, u64), SourceError> {
    use rusqlite::types::ValueRef;
    let mut statement = db
        .prepare(query.statement())
        .map_err(|e| failed(query, e))?;
    let columns: Vec<String> = statement.column_names().map(str::to_owned).collect();
    write_row(query, out, columns.iter().map(String::as_str))?;
    let mut rows = statement.query([]).map_err(|e| failed(query, e))?;
    let mut count = 0;
    let mut cells: Vec<String> = Vec::with_capacity(columns.len());
    while let Some(row) = rows.next().map_err(|e| failed(query, e))? {
        cells.clear();
        for i in 0..columns.len() {
            let cell = row.get_ref(i).map_err(|e| failed(query, e))?;
            cells.push(match cell {
                ValueRef::Null => String::new(),
                ValueRef::Integer(n) => n.to_string(),
                ValueRef::Real(x) => x.to_string(),
                ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
                // Bytes as hex: a SHA-256 kept as 32 bytes reads as the digest it is.
                ValueRef::Blob(bytes) => const_hex::encode(bytes),
            });
        }
        write_row(query, out, cells.iter().map(String::as_str))?;
        count += 1;
    }
    Ok((columns, count))
}

/// PostgreSQL: a read-only transaction with a statement timeout, the query's result copied
/// out as CSV (`COPY (...) TO STDOUT`: every value as its text form, as psql shows it; NULL as
/// an empty cell), streamed to the file as it arrives.
async fn postgres(
    query: &Query,
    mut config: tokio_postgres::Config,
    tls: &super::tls::Tls,
    file: &mut BufWriter<File>,
) -> Result<(Vec<String>, u64), SourceError> {
    use futures_util::{StreamExt, pin_mut};
    if config.get_password().is_none()
        && let Some(password) = password_for(query, &config)
    {
        config.password(password);
    }
    config.connect_timeout(Duration::from_secs(15));
    config.application_name("audience-desk");
    let refuse = |problem: String| SourceError::Query {
        database: query.shown(),
        problem,
    };
    let connector = tls.connector().map_err(refuse)?;
    let (client, connection) = config.connect(connector).await.map_err(|e| {
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            _ => "the host".to_owned(),
        };
        match super::tls::refusal(&e, &host) {
            // The host is the user's and the certificate's error may quote the server: one
            // printable line.
            Some(why) => refuse(format!(
                "failed: {}; nothing of it was used",
                crate::display::printable(&why)
            )),
            None => failed(query, e),
        }
    })?;
    let driver = tokio::spawn(connection);
    let mut records = CsvRecords::default();
    let copied = async {
        client
            .batch_execute(&format!(
                "BEGIN READ ONLY; SET LOCAL statement_timeout = {}",
                QUERY_TIMEOUT.as_millis()
            ))
            .await
            .map_err(|e| failed(query, e))?;
        let copy = format!(
            "COPY ({}) TO STDOUT (FORMAT csv, HEADER true)",
            query.statement()
        );
        let stream = client.copy_out(&copy).await.map_err(|e| failed(query, e))?;
        pin_mut!(stream);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| failed(query, e))?;
            records.feed(&chunk);
            file.write_all(&chunk).map_err(|e| failed(query, e))?;
        }
        Ok::<_, SourceError>(())
    }
    .await;
    driver.abort();
    copied?;
    let rows = records.ended.saturating_sub(1);
    Ok((records.header, rows))
}

/// Counts the records of a CSV as it streams past (a line feed ends one unless it is inside
/// quotes: a quote toggles, an escaped `""` toggles twice) and keeps the header's names.
#[derive(Default)]
struct CsvRecords {
    quoted: bool,
    ended: u64,
    first: Vec<u8>,
    header: Vec<String>,
}

impl CsvRecords {
    fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(at) = memchr::memchr2(b'"', b'\n', rest) {
            if rest[at] == b'"' {
                self.quoted = !self.quoted;
            } else if !self.quoted {
                self.ended += 1;
                if self.ended == 1 {
                    self.first.extend_from_slice(&rest[..at]);
                    self.header = header_names(&self.first);
                }
            }
            if self.ended == 0 {
                self.first.extend_from_slice(&rest[..=at]);
            }
            rest = &rest[at + 1..];
        }
        if self.ended == 0 {
            self.first.extend_from_slice(rest);
        }
    }
}

fn header_names(line: &[u8]) -> Vec<String> {
    if line.is_empty() {
        return Vec::new();
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    reader
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Looks up a database's password by its address (no password in it) in a home's secret
/// store.
pub type PasswordLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The secret stores of the homes this process opened, by home (one, but for tests): every
/// query of the process finds the passwords kept in them.
static PASSWORDS: RwLock<Vec<(PathBuf, PasswordLookup)>> = RwLock::new(Vec::new());

/// Where this process finds the passwords kept in `home` (set by the core that opens it).
pub fn set_password_lookup(home: &std::path::Path, lookup: PasswordLookup) {
    if let Ok(mut passwords) = PASSWORDS.write() {
        passwords.retain(|(h, _)| h != home);
        passwords.push((home.to_owned(), lookup));
    }
}

/// Whether this process already finds the passwords kept in `home`.
pub fn password_lookup_set(home: &std::path::Path) -> bool {
    PASSWORDS
        .read()
        .is_ok_and(|passwords| passwords.iter().any(|(h, _)| h == home))
}

/// The address a database's password is kept under: as shown, without its options
/// (`?sslmode=verify-full`, ...), which say how to reach the database, not whose password it is;
/// so adding TLS to an address keeps finding its password.
pub fn password_address(address: &str) -> String {
    let shown = shown_address(address);
    match url::Url::parse(&shown) {
        Ok(mut url) if url.query().is_some() || url.fragment().is_some() => {
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        _ => shown,
    }
}

/// The name a database's password is kept under in a home's secret store.
pub fn password_key(address: &str) -> String {
    format!("database/{}", password_address(address))
}

/// The password for `query`'s database: `PGPASSWORD`, else the home's secret store, else the
/// first matching line of `PGPASSFILE` or `~/.pgpass` (host:port:database:user:password, `*`
/// for any), as PostgreSQL's own tools would.
fn password_for(query: &Query, config: &tokio_postgres::Config) -> Option<String> {
    if let Ok(password) = std::env::var("PGPASSWORD")
        && !password.is_empty()
    {
        return Some(password);
    }
    let address = query.shown();
    let kept = PASSWORDS
        .read()
        .ok()
        .and_then(|homes| homes.iter().find_map(|(_, find)| find(&address)));
    if kept.is_some() {
        return kept;
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")))?;
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default().to_owned();
    let database = config.get_dbname().unwrap_or(&user).to_owned();
    pgpass_lookup(&text, [&host, &port, &database, &user])
}

/// The password of the first `.pgpass` line whose fields match (`*` matches anything; `\:`
/// and `\\` are a colon and a backslash).
fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 5
            && fields[..4]
                .iter()
                .zip(wanted)
                .all(|(f, w)| f == "*" || f == w)
        {
            return fields.pop();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_address_is_refused_before_anything_runs() {
        let query = Query {
            database: "postgres://crm:s3cret@db.example.com/shop".into(),
            sql: "SELECT email FROM customers".into(),
        };
        let said = run_query(&query).unwrap_err().to_string();
        assert!(said.contains("PGPASSWORD"), "{said}");
        assert!(!said.contains("s3cret"), "{said}");
        let said = run_query(&Query {
            database: "mysql://db/shop".into(),
            ..query.clone()
        })
        .unwrap_err()
        .to_string();
        assert!(said.contains("sqlite:PATH"), "{said}");
    }

    #[test]
    fn pgpass_lines_match_field_by_field() {
        let text = "# comment\nother:5432:shop:crm:no\ndb.example.com:*:shop:crm:pa\\:ss\n";
        assert_eq!(
            pgpass_lookup(text, ["db.example.com", "5433", "shop", "crm"]).as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_lookup(text, ["db.example.com", "5432", "shop", "ann"]),
            None
        );
    }

    #[test]
    fn a_sqlite_query_is_read_as_text_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.db");
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE customers (email TEXT, phone INTEGER, note TEXT, digest BLOB);
             INSERT INTO customers VALUES ('Ann@Example.com', 4915112345678, NULL, x'00ff');",
        )
        .unwrap();
        let query = |sql: &str| Query {
            database: format!("sqlite:{}", path.display()),
            sql: sql.into(),
        };
        let result = run_query(&query("SELECT * FROM customers;")).unwrap();
        assert_eq!(result.rows, 1);
        let text = std::fs::read_to_string(&result.csv).unwrap();
        assert_eq!(
            text,
            "email,phone,note,digest\nAnn@Example.com,4915112345678,,00ff\n"
        );
        let said = run_query(&query("DELETE FROM customers"))
            .unwrap_err()
            .to_string();
        assert!(said.contains("failed"), "{said}");
        let still: i64 = db
            .query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(still, 1, "a query never writes");
        let said = run_query(&query("SELECT 1; DELETE FROM customers"))
            .unwrap_err()
            .to_string();
        assert!(said.contains("failed"), "one statement only: {said}");
    }

    #[test]
    fn a_results_copy_lives_as_long_as_a_preview_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE c (email TEXT); INSERT INTO c VALUES ('a@example.com');")
            .unwrap();
        let query = Query {
            database: format!("sqlite:{}", db.display()),
            sql: "SELECT email FROM c".into(),
        };
        let result = Arc::new(run_query(&query).unwrap());
        let preview = result
            .preview(super::super::PreviewOptions::default())
            .unwrap();
        assert_eq!(preview.query.as_deref(), Some(query.shown().as_str()));
        // The screen that opened it lets go; a plan still reading through the preview does not.
        drop(result);
        assert!(preview.path.is_file());
        let path = preview.path.clone();
        drop(preview);
        assert!(!path.exists(), "the copy goes with the last holder");
    }

    #[test]
    fn a_password_is_kept_under_the_address_without_its_options() {
        assert_eq!(
            password_key(" postgres://crm@db:5432/shop?sslmode=verify-full&sslrootcert=/ca.pem "),
            "database/postgres://crm@db:5432/shop"
        );
        assert_eq!(
            password_address("postgres://crm@db/shop"),
            "postgres://crm@db/shop"
        );
        assert_eq!(
            password_address("sqlite:/data/crm.db"),
            "sqlite:/data/crm.db"
        );
    }
}
