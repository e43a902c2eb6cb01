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
        Postgres::start_with(None)
    }

    /// A server that takes the reader over TLS only, with `certificates`' server
    /// certificate.
    pub fn start_tls(certificates: &Certificates) -> Option<Postgres> {
        Postgres::start_with(Some(certificates))
    }

    fn start_with(tls: Option<&Certificates>) -> Option<Postgres> {
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
        if let Some(certificates) = tls {
            server.serve_tls_only(certificates);
        }
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

    /// The server's certificate and key in its data folder, TLS on, and TCP logins over
    /// TLS only.
    fn serve_tls_only(&self, certificates: &Certificates) {
        let data = self.data();
        for name in ["server.crt", "server.key"] {
            std::fs::copy(certificates.dir.path().join(name), data.join(name)).unwrap();
        }
        let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        conf += "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n";
        std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 scram-sha-256\n\
             hostssl all all ::1/128 scram-sha-256\n",
        )
        .unwrap();
        if self.as_postgres {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&data)
                .status()
                .unwrap();
            assert!(chown.success());
        }
        // PostgreSQL refuses a key others may read.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
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

/// A certificate authority of the test's own (`ca.pem`), a server certificate it signed for
/// the name `localhost` only (`server.crt`, `server.key`), and another authority that signed
/// nothing here (`other-ca.pem`); made with the `openssl` tool.
pub struct Certificates {
    pub dir: tempfile::TempDir,
}

impl Certificates {
    pub fn make() -> Option<Certificates> {
        if Command::new("openssl").arg("version").output().is_err() {
            super::skip("no openssl tool (Debian: apt-get install openssl)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for (name, subject) in [
            ("ca", "/CN=Audience Desk test CA"),
            ("other-ca", "/CN=Another CA"),
        ] {
            let (pem, private) = (format!("{name}.pem"), format!("{name}.key"));
            let mut args = vec!["req", "-x509", "-days", "2", "-subj", subject];
            args.extend(key);
            args.extend(["-keyout", &private, "-out", &pem]);
            openssl(&args);
        }
        let mut args = vec!["req", "-subj", "/CN=localhost", "-keyout", "server.key"];
        args.extend(key);
        args.extend(["-out", "server.csr"]);
        openssl(&args);
        std::fs::write(
            dir.path().join("names.ext"),
            "subjectAltName=DNS:localhost\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "names.ext",
            "-out",
            "server.crt",
        ]);
        Some(Certificates { dir })
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}
