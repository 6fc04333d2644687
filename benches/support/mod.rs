//! Shared by the benchmarks: start the real (release) binary on a configuration and wait for
//! its "ijgate ready" line; stop it with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts the daemon; returns the child and its "ijgate ready" log line (JSON).
pub fn start_daemon(cfg: &Path) -> (Child, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ijgate"))
        .arg("--config")
        .arg(cfg)
        .args(["--log-format", "json", "run"])
        .env("IJGATE_LOG", "warn,ijgate::engine::daemon=info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start ijgate");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let ready = loop {
        let l = lines.next().expect("daemon exited").expect("log line");
        if l.contains("ijgate ready") {
            break serde_json::from_str(&l).expect("JSON log line");
        }
    };
    // Keep draining the log so the daemon never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, ready)
}

/// SIGTERM and wait.
pub fn stop_daemon(mut child: Child) {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
}
