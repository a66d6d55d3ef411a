//! A throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries, a cluster in a
//! temp directory, listening on a free loopback port and a unix socket in that directory.
//!
//! One cluster serves a whole test binary; [`database`] hands each test a fresh database in it.
//! When PostgreSQL is not installed the tests that need it print a notice and pass.
//!
//! The server is started through a small shell "watchdog" whose stdin is a pipe from the test
//! process: when the test process ends, however it ends (even by SIGKILL), the pipe closes and
//! the watchdog stops the server and deletes the directory. So no server outlives its tests.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The superuser the cluster is created with (trust authentication, loopback only).
pub const USER: &str = "lectern";

/// A running throwaway cluster.
pub struct Cluster {
    /// The temp directory: data, unix socket and log.
    pub dir: PathBuf,
    pub port: u16,
    watchdog: Child,
}

static CLUSTER: OnceLock<Result<Option<Cluster>, String>> = OnceLock::new();
static NOTICE: OnceLock<()> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The URL of a new, empty database on this test binary's cluster; `None` (after printing a
/// notice once) when PostgreSQL is not installed. Panics when it is installed but the cluster
/// cannot be started: that is a broken machine, not a reason to skip.
pub fn database() -> Option<String> {
    let cluster = match CLUSTER.get_or_init(Cluster::start) {
        Ok(Some(cluster)) => cluster,
        Ok(None) => {
            NOTICE.get_or_init(|| {
                // Straight to stderr: libtest captures only print!/eprint!, and this notice
                // should be seen in a normal `cargo test` run.
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: PostgreSQL not installed (initdb not found)"
                );
            });
            return None;
        }
        Err(e) => panic!("PostgreSQL is installed but a test cluster could not start: {e}"),
    };
    Some(cluster.create_database())
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: the newest Debian version under
/// `/usr/lib/postgresql/*/bin`, or else the one on `PATH`.
fn bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_tools(&bin).then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin);
    debian.or_else(|| std::env::split_paths(&std::env::var_os("PATH")?).find(|dir| has_tools(dir)))
}

/// The user and group to run PostgreSQL as: it refuses to run as root, so root hands it to
/// the `postgres` user (Debian's package creates it) or else to `nobody`.
fn run_as() -> Option<(u32, u32)> {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let find = |name: &str| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 3 && fields[0] == name)
                .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
                .flatten()
        })
    };
    find("postgres")
        .or_else(|| find("nobody"))
        .or(Some((65534, 65534)))
}

fn command(program: &Path, user: Option<(u32, u32)>, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir);
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Runs the server, then waits for stdin to close; then stops it and removes the directory.
const WATCHDOG: &str = r#"
"$1" -D "$2/data" -p "$3" -k "$2" -c listen_addresses=127.0.0.1 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off >"$2/postgres.log" 2>&1 &
pid=$!
cat >/dev/null
kill -INT "$pid" 2>/dev/null
wait "$pid"
rm -rf "$2"
"#;

impl Cluster {
    fn start() -> Result<Option<Cluster>, String> {
        let Some(bin) = bin_dir() else {
            return Ok(None);
        };
        let user = run_as();
        let dir = tempfile::Builder::new()
            .prefix("lectern-pg-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?
            .keep();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", dir.display()))?;
        }
        let initdb = command(&bin.join("initdb"), user, &dir)
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale=C", "--no-instructions"])
            .output()
            .map_err(|e| format!("running initdb: {e}"))?;
        if !initdb.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&initdb.stdout),
                String::from_utf8_lossy(&initdb.stderr)
            ));
        }
        let port = free_port();
        let watchdog = command(Path::new("/bin/sh"), user, &dir)
            .arg("-c")
            .arg(WATCHDOG)
            .arg("lectern-pg-watchdog")
            .arg(bin.join("postgres"))
            .arg(&dir)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting postgres: {e}"))?;
        let mut cluster = Cluster {
            dir,
            port,
            watchdog,
        };
        cluster.wait_ready()?;
        Ok(Some(cluster))
    }

    /// The URL of database `name` on this cluster, over TCP.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match postgres::Client::connect(&self.url("postgres"), postgres::NoTls) {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() > deadline => {
                    let mut log = String::new();
                    let _ = std::fs::File::open(self.dir.join("postgres.log"))
                        .and_then(|mut f| f.read_to_string(&mut log));
                    return Err(format!("postgres did not accept connections: {e}\n{log}"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Creates a new empty database and returns its URL.
    pub fn create_database(&self) -> String {
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to the test cluster");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        self.url(&name)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Closing the watchdog's stdin stops the server and removes the directory.
        drop(self.watchdog.stdin.take());
        let _ = self.watchdog.wait();
    }
}
