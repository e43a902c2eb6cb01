//! Customer lists that live in a database: a query's result, read as text the way the
//! database shows it, written to a private CSV (one header row of the column names) that
//! every reader then opens as it would an export. PostgreSQL through tokio-postgres, SQLite
//! through the SQLite already linked. The query runs read-only with a statement timeout, as
//! one statement; a query that fails or a connection that drops midway gives no file at all.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
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
    Postgres(Box<tokio_postgres::Config>),
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
            let config: tokio_postgres::Config = url.parse().map_err(|e| {
                refuse(&format!(
                    "cannot be used: the address is not understood ({e})"
                ))
            })?;
            if config.get_password().is_some() {
                return Err(refuse(
                    "carries a password in its address, where the shell history and the \
                     process list would show it: remove it and set PGPASSWORD, or put it in \
                     ~/.pgpass",
                ));
            }
            return Ok(Database::Postgres(Box::new(config)));
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
        let address = self.database.trim();
        match url::Url::parse(address) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(None);
                url.to_string()
            }
            _ => address.to_owned(),
        }
    }
}

/// Runs the query to its end and writes the result; blocks the calling thread (the database
/// is reached on a runtime of its own, so any caller may use it).
pub fn run_query(query: &Query) -> Result<QueryResult, SourceError> {
    if query.statement().is_empty() {
        return Err(SourceError::Query {
            database: query.shown(),
            problem: "is empty: write the SELECT that gives the customer list".into(),
        });
    }
    let (dir, csv, file) = super::expand::private_csv("query", "result.csv")?;
    let mut out = csv::Writer::from_writer(BufWriter::new(file));
    let (columns, rows) = match query.database()? {
        Database::Sqlite(path) => sqlite(query, &path, &mut out)?,
        Database::Postgres(config) => std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| SourceError::io(&csv, e))?;
                    runtime.block_on(postgres(query, *config, &mut out))
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
    let file = out
        .into_inner()
        .map_err(|e| SourceError::io(&csv, e.into_error()))?;
    finish(file, &csv)?;
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

fn finish(mut file: BufWriter<File>, csv: &std::path::Path) -> Result<(), SourceError> {
    file.flush().map_err(|e| SourceError::io(csv, e))?;
    let file = file
        .into_inner()
        .map_err(|e| SourceError::io(csv, e.into_error()))?;
    file.sync_all().map_err(|e| SourceError::io(csv, e))
}

fn failed(query: &Query, problem: impl std::fmt::Display) -> SourceError {
    SourceError::Query {
        database: query.shown(),
        problem: format!("failed: {problem}; nothing of it was used"),
    }
}

type Out = csv::Writer<BufWriter<File>>;

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

/// PostgreSQL: a read-only transaction with a statement timeout; the query's columns are
/// learned first, then read as text (`::text`, as psql shows them), a row at a time.
async fn postgres(
    query: &Query,
    mut config: tokio_postgres::Config,
    out: &mut Out,
) -> Result<(Vec<String>, u64), SourceError> {
    use futures_util::pin_mut;
    if config.get_password().is_none()
        && let Some(password) = password_for(&config)
    {
        config.password(password);
    }
    config.connect_timeout(Duration::from_secs(15));
    config.application_name("audience-desk");
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| failed(query, e))?;
    let driver = tokio::spawn(connection);
    let result = async {
        client
            .batch_execute(&format!(
                "BEGIN READ ONLY; SET LOCAL statement_timeout = {}",
                QUERY_TIMEOUT.as_millis()
            ))
            .await?;
        let inner = format!("({}) AS audience_desk_query", query.statement());
        let described = client.prepare(&format!("SELECT * FROM {inner}")).await?;
        let columns: Vec<String> = described
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let as_text: Vec<String> = columns
            .iter()
            .map(|c| format!("audience_desk_query.\"{}\"::text", c.replace('"', "\"\"")))
            .collect();
        let text_sql = format!("SELECT {} FROM {inner}", as_text.join(", "));
        if let Err(e) = write_row(query, out, columns.iter().map(String::as_str)) {
            return Ok((columns, Err(e)));
        }
        let rows = client
            .query_raw(&text_sql, std::iter::empty::<&str>())
            .await?;
        pin_mut!(rows);
        Ok::<_, tokio_postgres::Error>((columns, rows_to(query, out, rows).await))
    }
    .await;
    driver.abort();
    let (columns, written) = result.map_err(|e| failed(query, e))?;
    let count = written?;
    Ok((columns, count))
}

/// Writes every row; a row that fails to arrive fails the whole result.
async fn rows_to(
    query: &Query,
    out: &mut Out,
    mut rows: std::pin::Pin<&mut tokio_postgres::RowStream>,
) -> Result<u64, SourceError> {
    use futures_util::StreamExt;
    let mut count = 0;
    while let Some(row) = rows.next().await {
        let row = row.map_err(|e| failed(query, e))?;
        let cells: Vec<&str> = (0..row.len())
            .map(|i| {
                row.try_get::<_, Option<&str>>(i)
                    .map(Option::unwrap_or_default)
            })
            .collect::<Result<_, _>>()
            .map_err(|e| failed(query, e))?;
        write_row(query, out, cells)?;
        count += 1;
    }
    Ok(count)
}

/// The password PostgreSQL's own tools would use: `PGPASSWORD`, else the first matching line
/// of `PGPASSFILE` or `~/.pgpass` (host:port:database:user:password, `*` for any).
fn password_for(config: &tokio_postgres::Config) -> Option<String> {
    if let Ok(password) = std::env::var("PGPASSWORD")
        && !password.is_empty()
    {
        return Some(password);
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
}
