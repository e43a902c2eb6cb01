//! Customer lists read from a database through the binary: a PostgreSQL server of the test's
//! own and a SQLite file, each giving exactly the digests the same rows give as a CSV; an
//! upload from a query; the password from PGPASSWORD or a password file, never the address;
//! a query that writes, fails or finds nobody sends nothing; TLS as the address's sslmode
//! says.

use std::path::Path;
use std::process::Output;

use crate::common::cli::{Env, members, text, user_digest, write_users};
use crate::common::postgres::{Certificates, Postgres, READER_PASSWORD};

/// The digests `prepare` wrote for emails into `out`.
fn prepared(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join("EMAIL.txt")).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// Users 0..150 as a CSV export, prepared: the digests a query's same rows must give.
fn same_as_csv(env: &Env, scratch: &Path) -> Vec<String> {
    let csv = scratch.join("same.csv");
    write_users(&csv, "email", 0..150);
    let out_dir = scratch.join("from-csv");
    let args = [
        "prepare",
        csv.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ];
    let out = run_with(env, &args, &[]);
    assert!(out.status.success(), "{}", text(&out));
    prepared(&out_dir)
}

fn run_with(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = env.command(args);
    command.env_remove("PGPASSWORD").env_remove("PGPASSFILE");
    for (k, v) in vars {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// A PostgreSQL server holding `tables` (SQL run as its superuser) and a connected home;
/// `None` where either cannot be had here.
async fn server_and_env(tables: &str) -> Option<(Postgres, Env)> {
    let pg = Postgres::start()?;
    if !tables.is_empty() {
        pg.sql(tables);
    }
    let env = crate::common::cli::connected_env().await?;
    Some((pg, env))
}

/// Users 0..150 as a CRM keeps them: mixed case, spaces, a NULL and an empty one.
const CUSTOMERS: &str = "CREATE TABLE customers (id serial, email text, note text);
     INSERT INTO customers (email, note)
       SELECT '  User' || i || '@Example.com ', 'row ' || i FROM generate_series(0, 149) i;
     INSERT INTO customers (email, note) VALUES (NULL, 'no email'), ('', 'empty');
     GRANT SELECT ON customers TO reader;";

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_query_gives_the_digests_its_rows_give_as_a_csv() {
    let Some((pg, env)) = server_and_env(CUSTOMERS).await else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let from_csv = same_as_csv(&env, scratch.path());

    let url = pg.url();
    let from_db = scratch.path().join("from-db");
    let query = "SELECT email, note FROM customers ORDER BY id;";
    let prepare = [
        "prepare",
        "--database",
        &url,
        "--query",
        query,
        "--out",
        from_db.to_str().unwrap(),
    ];
    let out = run_with(&env, &prepare, &[("PGPASSWORD", READER_PASSWORD)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Read 152 rows of 2 columns (email, note) from the query on"),
        "{}",
        text(&out)
    );
    assert_eq!(prepared(&from_db), from_csv);
    assert_eq!(prepared(&from_db).len(), 150);

    // The password from a password file, as psql reads it.
    let pgpass = scratch.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:*:shop:reader:{READER_PASSWORD}\n"),
    )
    .unwrap();
    let again = scratch.path().join("again");
    let mut with_file = prepare;
    with_file[6] = again.to_str().unwrap();
    let out = run_with(
        &env,
        &with_file,
        &[("PGPASSFILE", pgpass.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(prepared(&again), from_csv);

    // No password, a password in the address, a query that writes, one that finds nobody.
    let out = run_with(&env, &with_file, &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("failed"), "{}", text(&out));

    // The password kept in the home's secret store: found with nothing in the environment.
    let mut remember = env.command(&["database", "remember", &url]);
    remember
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = remember.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{READER_PASSWORD}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let listed = run_with(&env, &["database", "list"], &[]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), url);
    let kept = scratch.path().join("kept");
    with_file[6] = kept.to_str().unwrap();
    let out = run_with(&env, &with_file, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(prepared(&kept), from_csv);
    // The same database with options (TLS here) finds the same password.
    let with_options = format!("{url}?sslmode=prefer");
    let out = run_with(
        &env,
        &["inspect", "--database", &with_options, "--query", query],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run_with(&env, &["database", "forget", &url], &[]);
    assert!(text(&out).contains("Forgot"), "{}", text(&out));
    let out = run_with(&env, &with_file, &[]);
    assert!(!out.status.success(), "forgotten: {}", text(&out));
    let in_address = url.replace("reader@", &format!("reader:{READER_PASSWORD}@"));
    let out = run_with(
        &env,
        &["inspect", "--database", &in_address, "--query", query],
        &[],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("PGPASSWORD"), "{}", text(&out));
    assert!(
        !text(&out).contains(READER_PASSWORD),
        "the password is never echoed"
    );
    for (sql, says) in [
        ("DELETE FROM customers", "failed"),
        ("SELECT email FROM customers WHERE false", "gave no rows"),
        ("SELECT nonsense FROM customers", "failed"),
    ] {
        let out = run_with(
            &env,
            &["inspect", "--database", &url, "--query", sql],
            &[("PGPASSWORD", READER_PASSWORD)],
        );
        assert!(!out.status.success(), "{sql}");
        assert!(text(&out).contains(says), "{sql}: {}", text(&out));
    }
    let count = pg.sql("SELECT count(*) FROM customers");
    assert!(count.contains("152"), "nothing was deleted: {count}");

    // An upload straight from the query.
    let upload = [
        "upload",
        "--database",
        &url,
        "--query",
        "SELECT email FROM customers",
        "--connection",
        "EU",
        "--new-list",
        "From the CRM",
    ];
    let out = run_with(&env, &upload, &[("PGPASSWORD", READER_PASSWORD)]);
    assert!(out.status.success(), "{}", text(&out));
    let held = members(&env, "From the CRM");
    assert_eq!(held.len(), 150);
    assert!(held.contains(&user_digest(149)));
    // The job names the query it read, not the result's scratch copy.
    let listed = text(&run_with(&env, &["jobs"], &[]));
    assert!(listed.contains(&format!("query on {url}")), "{listed}");
    assert!(!listed.contains("result.csv"), "{listed}");
    let listed: serde_json::Value =
        serde_json::from_slice(&run_with(&env, &["jobs", "--json"], &[]).stdout).unwrap();
    assert_eq!(listed[0]["query"], url.as_str(), "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_query_gives_the_digests_its_rows_give_as_a_csv() {
    let env = Env::new().await;
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("crm.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch("CREATE TABLE customers (email TEXT, gaid TEXT);")
        .unwrap();
    for i in 0..150 {
        db.execute(
            "INSERT INTO customers VALUES (?1, NULL)",
            [format!(" User{i}@Example.com")],
        )
        .unwrap();
    }
    let from_csv = same_as_csv(&env, scratch.path());
    let from_db = scratch.path().join("from-db");
    let database = format!("sqlite:{}", path.display());
    let out = run_with(
        &env,
        &[
            "prepare",
            "--database",
            &database,
            "--query",
            "SELECT email, gaid FROM customers",
            "--out",
            from_db.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(prepared(&from_db), from_csv);
    let out = run_with(
        &env,
        &[
            "inspect",
            "--database",
            "sqlite:/nowhere/crm.db",
            "--query",
            "SELECT 1",
        ],
        &[],
    );
    assert!(
        text(&out).contains("there is no database file"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_over_a_postgres_query_mirrors_its_list_and_a_failed_query_sends_nothing() {
    let Some((pg, env)) = server_and_env(CUSTOMERS).await else {
        return;
    };
    let url = pg.url();
    let password = [("PGPASSWORD", READER_PASSWORD)];
    let add = [
        "sync",
        "add",
        "crm",
        "--connection",
        "EU",
        "--database",
        &url,
        "--query",
        "SELECT email FROM customers",
        "--list-name",
        "CRM",
    ];
    let out = run_with(&env, &add, &password);
    assert!(out.status.success(), "{}", text(&out));
    let run = ["sync", "run", "crm"];
    let out = run_with(&env, &run, &password);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(members(&env, "CRM").len(), 150);

    // Ten customers leave the CRM: the next run takes them out of the list.
    pg.sql("DELETE FROM customers WHERE id <= 10");
    let out = run_with(&env, &run, &password);
    assert!(out.status.success(), "{}", text(&out));
    let held = members(&env, "CRM");
    assert_eq!(held.len(), 140);
    assert!(!held.contains(&user_digest(0)) && held.contains(&user_digest(10)));
    // The same result again: nothing to send.
    let out = run_with(&env, &run, &password);
    assert!(text(&out).contains("has not changed"), "{}", text(&out));

    // The table gone: the run is refused, and the list keeps its people.
    pg.sql("DROP TABLE customers");
    let out = run_with(&env, &run, &password);
    assert!(!out.status.success());
    assert!(text(&out).contains("failed"), "{}", text(&out));
    assert_eq!(members(&env, "CRM").len(), 140);
    let out = run_with(&env, &["sync", "list", "--json"], &[]);
    let listed = text(&out);
    assert!(listed.contains("SELECT email FROM customers"), "{listed}");
    assert!(!listed.contains(READER_PASSWORD));
}

/// A connection cut while the result streams in: the command fails with why, and nothing of
/// the rows that did arrive is written or sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_cut_midway_gives_nothing() {
    let Some((pg, env)) = server_and_env("").await else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let out_dir = scratch.path().join("out");
    // Half the rows (megabytes: they reach the client), then the server waits.
    let query = "SELECT 'user' || i || '@example.com' AS email \
                 FROM generate_series(1, 200000) i \
                 WHERE CASE WHEN i = 100000 THEN pg_sleep(20) IS NOT NULL ELSE true END";
    let mut command = env.command(&[
        "prepare",
        "--database",
        &pg.url(),
        "--query",
        query,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    command.env("PGPASSWORD", READER_PASSWORD);
    let child = command.spawn().unwrap();
    // The query is under way (and sleeping) once the server shows it waiting.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting = pg.sql(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = 'audience-desk' AND wait_event = 'PgSleep'",
        );
        if waiting.contains(" 1\n") || waiting.trim().ends_with('1') {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never slept: {waiting}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    pg.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'audience-desk'",
    );
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("nothing of it was used"),
        "{}",
        text(&out)
    );
    assert!(
        !out_dir.join("EMAIL.txt").exists(),
        "nothing of a cut result is prepared"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_is_used_and_the_certificate_checked_as_the_addresses_sslmode_says() {
    let Some(certificates) = Certificates::make() else {
        return;
    };
    let Some(pg) = Postgres::start_tls(&certificates) else {
        return;
    };
    pg.sql(CUSTOMERS);
    let env = Env::new().await;
    let inspect = |address: String| {
        let args = [
            "inspect",
            "--database",
            &address,
            "--query",
            "SELECT email FROM customers",
        ];
        run_with(&env, &args, &[("PGPASSWORD", READER_PASSWORD)])
    };
    let at =
        |host: &str, options: &str| format!("postgres://reader@{host}:{}/shop{options}", pg.port);
    let ca = certificates.path("ca.pem");

    // The server takes TCP logins over TLS only: without TLS it says no.
    let out = inspect(at("127.0.0.1", "?sslmode=disable"));
    assert!(!out.status.success());
    assert!(text(&out).contains("no encryption"), "{}", text(&out));

    // prefer (the default) and require: encrypted, the certificate not checked.
    for options in ["", "?sslmode=require"] {
        let out = inspect(at("127.0.0.1", options));
        assert!(out.status.success(), "{options}: {}", text(&out));
        assert!(text(&out).contains("Read 152 rows"), "{}", text(&out));
        // The preview names the query, not the result's scratch file.
        assert!(
            text(&out).contains("Query:   on postgres://"),
            "{}",
            text(&out)
        );
    }

    // verify-full: signed by the named authority, and naming the host connected to.
    let out = inspect(at(
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={ca}"),
    ));
    assert!(out.status.success(), "{}", text(&out));
    let out = inspect(at(
        "127.0.0.1",
        &format!("?sslmode=verify-full&sslrootcert={ca}"),
    ));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("the server's certificate does not name 127.0.0.1"),
        "{}",
        text(&out)
    );
    // verify-ca: the authority only, whatever the name.
    let out = inspect(at(
        "127.0.0.1",
        &format!("?sslmode=verify-ca&sslrootcert={ca}"),
    ));
    assert!(out.status.success(), "{}", text(&out));
    // Another authority, or the system's, did not sign it.
    let other = certificates.path("other-ca.pem");
    for options in [
        format!("?sslmode=verify-full&sslrootcert={other}"),
        format!("?sslmode=require&sslrootcert={other}"),
        "?sslmode=verify-ca&sslrootcert=system".to_owned(),
    ] {
        let out = inspect(at("localhost", &options));
        assert!(!out.status.success(), "{options}");
        assert!(
            text(&out).contains("the server's certificate is not trusted"),
            "{options}: {}",
            text(&out)
        );
        assert!(text(&out).contains("sslrootcert=PATH"), "{}", text(&out));
    }
    // A mode PostgreSQL does not know is refused before anything is reached.
    let out = inspect(at("localhost", "?sslmode=strict"));
    assert!(
        text(&out).contains("sslmode=strict is not one PostgreSQL knows"),
        "{}",
        text(&out)
    );
}
