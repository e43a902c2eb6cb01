//! A PostgreSQL server of the test's own: Debian's `postgresql` binaries, `initdb` in a
//! scratch folder, a private port on loopback, stopped when dropped. Run as the `postgres`
//! user when the tests run as root (PostgreSQL refuses root). A role `reader` with a password
//! reaches it over TCP; the superuser only over its socket.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

pub const READER_PASSWORD: &str = "reader-pass";

fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

impl Postgres {
    /// A running server, or `None` (with a note, failing under CI) where PostgreSQL is not
    /// installed.
    pub fn start() -> Option<Postgres> {
        let Some(bin) = bin_dir() else {
            super::skip("no PostgreSQL server (Debian: apt-get install postgresql)");
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chown.success());
        }
        let server = Postgres {
            dir,
            bin,
            port: super::free_port(),
            as_postgres,
        };
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            server.port,
            server.dir.path().display()
        );
        server.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                server.dir.path().join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        server.sql_in(
            "postgres",
            &format!("CREATE ROLE reader LOGIN PASSWORD '{READER_PASSWORD}'"),
        );
        server.sql_in("postgres", "CREATE DATABASE shop");
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// One of the server's tools, run as the `postgres` user when the tests are root.
    fn tool(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> String {
        let out = self
            .tool(tool)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{tool} failed: {said}");
        said
    }

    /// Runs SQL as the superuser, over the socket, in the database `shop`.
    pub fn sql(&self, sql: &str) -> String {
        self.sql_in("shop", sql)
    }

    fn sql_in(&self, database: &str, sql: &str) -> String {
        self.run(
            "psql",
            &[
                "-h",
                self.dir.path().to_str().unwrap(),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                sql,
            ],
        )
    }

    /// Loads a CSV file (with a header row) into `table` of `shop`, through psql's standard
    /// input (the server's user may not read the file itself).
    pub fn copy_in(&self, table: &str, csv: &Path) {
        let out = self
            .tool("psql")
            .args(["-h", self.dir.path().to_str().unwrap(), "-p"])
            .arg(self.port.to_string())
            .args([
                "-U",
                "postgres",
                "-d",
                "shop",
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
            ])
            .arg(format!("COPY {table} FROM STDIN (FORMAT csv, HEADER true)"))
            .stdin(std::fs::File::open(csv).unwrap())
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "loading {} failed: {}",
            csv.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The address the app is given: the reader, over TCP, no password in it.
    pub fn url(&self) -> String {
        format!("postgres://reader@127.0.0.1:{}/shop", self.port)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .tool("pg_ctl")
            .args(["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"])
            .output();
    }
}

/// Whether the tests run as root: PostgreSQL must then run as its own user.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
