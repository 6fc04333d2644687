//! A real PostgreSQL for the tests (issue 15): a throw-away cluster on a temporary data folder
//! and a free port, started with the server's own `initdb` / `pg_ctl`, stopped on drop.
//!
//! - Binaries: `$IJGATE_PG_BIN` when set, else the newest `/usr/lib/postgresql/*/bin` (the
//!   Debian `postgresql` package; tests/run.sh installs it). Missing: the test fails and says so.
//! - `initdb` and `postgres` refuse to run as root. When the tests run as root (CI does), both
//!   run through `runuser -u USER --` as the `postgres` user the Debian package creates, or
//!   `nobody` when there is none, on a data folder chowned to that user. As an ordinary user
//!   they run as that user directly.
//! - The socket folder is inside the temporary folder (no clash with a system cluster in
//!   /var/run/postgresql); TCP listens on 127.0.0.1 only.
//! - Authentication is scram-sha-256 with a password, on TCP and on the socket: the tests go
//!   through the same password path as production (`journal.password_file`).

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The superuser the cluster is created with, and its password.
pub const USER: &str = "ijgate";
pub const PASSWORD: &str = "test-pg-secret";

pub struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// `Some(user)` when the server runs as another user (we are root).
    run_as: Option<String>,
    pub port: u16,
}

/// The PostgreSQL binaries folder.
pub fn pg_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("IJGATE_PG_BIN") {
        return PathBuf::from(p);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb. Install the Debian \
             package `postgresql` (tests/run.sh does) or set IJGATE_PG_BIN"
        ),
    }
}

/// (uid, gid) of a local user.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let c = CString::new(name).ok()?;
    // SAFETY: getpwnam returns NULL or a pointer to a static record, read at once.
    let pw = unsafe { libc::getpwnam(c.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    unsafe { Some(((*pw).pw_uid, (*pw).pw_gid)) }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Pg {
    /// initdb + pg_ctl start (waits until the server accepts connections).
    pub fn start() -> Pg {
        let bin = pg_bin();
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let run_as = root.then(|| {
            if user_ids("postgres").is_some() {
                "postgres".to_string()
            } else {
                "nobody".to_string()
            }
        });
        if let Some(u) = &run_as {
            let (uid, gid) = user_ids(u).unwrap();
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        if let Some(u) = &run_as {
            let (uid, gid) = user_ids(u).unwrap();
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).unwrap();
        }
        let data = dir.path().join("data");
        let mut pg = Pg {
            dir,
            bin,
            run_as,
            port: 0,
        };
        let out = pg
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth=scram-sha-256", "-E", "UTF8"])
            .args(["--locale=C", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::remove_file(&pwfile);
        // A free port can be taken between the probe and the start: a few tries.
        for attempt in 0..5 {
            pg.port = free_port();
            let opts = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=100",
                pg.port,
                pg.dir.path().display()
            );
            let out = pg
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(pg.dir.path().join("server.log"))
                .args(["-w", "-t", "60", "-o", &opts, "start"])
                .output()
                .unwrap();
            if out.status.success() {
                return pg;
            }
            if attempt == 4 {
                panic!(
                    "pg_ctl start failed: {}{}\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr),
                    pg.log()
                );
            }
        }
        unreachable!()
    }

    /// A PostgreSQL program, as the server's user.
    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        match &self.run_as {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    /// The server's log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The socket folder.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `postgres://ijgate@127.0.0.1:PORT/DB` (no password: it goes in a file).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{db}", self.port)
    }

    /// A password file (mode 0600) in `dir`, as `journal.password_file` wants it.
    pub fn password_file(&self, dir: &Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join("pg.password");
        std::fs::write(&p, format!("{PASSWORD}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    /// Runs SQL with psql as the superuser on `db` (setup only); returns stdout.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        // A client: runs as whoever we are (psql does not mind root).
        let out = Command::new(self.bin.join("psql"))
            .env("PGPASSWORD", PASSWORD)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
            .args(["-d", db, "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A new empty database.
    pub fn create_db(&self, name: &str) {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Immediate: the cluster is thrown away with its folder.
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
