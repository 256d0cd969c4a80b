//! A private PostgreSQL server for one test run: the Debian package's binaries, a fresh cluster
//! in a temporary folder under `/tmp`, listening on a free loopback port, stopped and removed
//! when the [`Postgres`] is dropped.
//!
//! Real PostgreSQL rather than anything that imitates it: what the service's PostgreSQL back end
//! relies on (row locks, `FOR UPDATE SKIP LOCKED`, LISTEN/NOTIFY, triggers) is exactly what an
//! imitation would get wrong. `initdb` and `pg_ctl` refuse to run as root, so as root they run as
//! the `postgres` user (which the package creates), and the folder is made theirs.

use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where Debian's `postgresql` package (version 15) puts its server binaries; `NECID_PG_BIN`
/// overrides it.
const DEFAULT_BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// A running PostgreSQL cluster with trust authentication for user `postgres` on 127.0.0.1.
#[derive(Debug)]
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

impl Postgres {
    /// Creates a cluster in a new folder under `/tmp` and starts it on a free port.
    pub fn start() -> io::Result<Self> {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let bin = std::env::var_os("NECID_PG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_BIN_DIR));
        if !bin.join("initdb").is_file() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "no PostgreSQL server in {} (install the Debian package `postgresql`, as scripts/test does)",
                    bin.display()
                ),
            ));
        }
        let dir = std::env::temp_dir().join(format!(
            "necid-pg-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        // SAFETY: geteuid has no preconditions.
        let as_postgres_user = unsafe { libc::geteuid() } == 0;
        let mut pg = Self {
            dir,
            bin,
            port: 0,
            as_postgres_user,
        };
        if as_postgres_user {
            checked(
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&pg.dir)
                    .output()?,
                "chown",
            )?;
        }
        let data = pg.data_dir();
        checked(
            pg.command("initdb")
                .arg("-D")
                .arg(&data)
                .args(["--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
                .output()?,
            "initdb",
        )?;
        // A port that was free a moment ago may be taken by the time the server binds it.
        let mut last_error = None;
        for _ in 0..5 {
            pg.port = free_port()?;
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=200",
                pg.port,
                pg.dir.display()
            );
            let log = pg.dir.join("server.log");
            let started = pg
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-o", &options, "start"])
                .output()?;
            match checked(started, "pg_ctl start") {
                Ok(()) => return Ok(pg),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("pg_ctl start failed")))
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of another database of this cluster (made by [`Postgres::create_database`]).
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database, so that tests sharing the cluster do not share data.
    pub fn create_database(&self, name: &str) -> io::Result<String> {
        checked(
            self.command("createdb")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                    name,
                ])
                .output()?,
            "createdb",
        )?;
        Ok(self.database_url(name))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn checked(output: Output, what: &str) -> io::Result<()> {
    if output.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}
