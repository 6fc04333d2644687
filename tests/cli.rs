//! Command-line papercuts (issue 16), with the real binary: a closed pipe ends a command
//! quietly, no colour unless a terminal asks for it (and never with NO_COLOR), `status` on a
//! partial configuration, `alert list` with a header and "no open alert", one message per
//! fatal error.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

/// A site whose daemon ran once (so the journal exists), stopped.
fn site_with_journal() -> Site {
    let site = Site::new("");
    let mut d = site.start();
    assert!(wait_until(T, || site.path("var/ijgate.db").exists()));
    assert_eq!(d.stop(), Some(0));
    site
}

#[test]
fn status_into_a_closed_pipe_exits_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let site = site_with_journal();
    // `ijgate status | head -1` where head is already gone: the read end is closed before
    // ijgate writes its first line.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&site.config)
        .arg("status")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        out.status.code() == Some(0) || out.status.signal() == Some(libc::SIGPIPE),
        "{:?} {err}",
        out.status
    );
    assert_ne!(out.status.code(), Some(101));
}

/// Runs `ijgate ARGS` under a pseudo-terminal (util-linux `script`), returning what the
/// terminal showed.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> Vec<u8> {
    let mut c = Command::new("script");
    c.args(["-qec", &format!("{BIN} {args}"), "/dev/null"]);
    for (k, v) in env {
        c.env(k, v);
    }
    c.env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap().stdout
}

#[test]
fn colours_only_on_a_terminal_and_never_with_no_color() {
    let has_esc = |b: &[u8]| b.contains(&0x1b);
    // A log file (stderr redirected): plain text.
    let out = Command::new(BIN)
        .args([
            "--config",
            "/nonexistent/ijgate.toml",
            "--log-format",
            "human",
            "run",
        ])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(!out.stderr.is_empty());
    assert!(
        !has_esc(&out.stderr),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A terminal: colours (this proves the check above can fail)...
    let tty = on_a_terminal(
        "--config /nonexistent/ijgate.toml --log-format human --log-target stderr run",
        &[],
    );
    assert!(has_esc(&tty), "{}", String::from_utf8_lossy(&tty));
    // ...unless NO_COLOR is set.
    let tty = on_a_terminal(
        "--config /nonexistent/ijgate.toml --log-format human --log-target stderr run",
        &[("NO_COLOR", "1")],
    );
    assert!(!tty.is_empty());
    assert!(!has_esc(&tty), "{}", String::from_utf8_lossy(&tty));
}

#[test]
fn a_fatal_error_is_printed_once() {
    let out = Command::new(BIN)
        .args([
            "--config",
            "/nonexistent/ijgate.toml",
            "--log-format",
            "human",
            "run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("/nonexistent/ijgate.toml").count(), 1, "{err}");
    // The same with JSON logs.
    let out = Command::new(BIN)
        .args([
            "--config",
            "/nonexistent/ijgate.toml",
            "--log-format",
            "json",
            "run",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("/nonexistent/ijgate.toml").count(), 1, "{err}");
}

#[test]
fn status_reads_the_journal_when_a_certificate_is_missing() {
    let site = site_with_journal();
    // A production configuration (no development certificates) whose certificate is gone.
    let toml = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        toml.replace("dev_certs = true", "dev_certs = false"),
    )
    .unwrap();
    std::fs::remove_file(site.path("certs/server.pem")).unwrap();
    // check-config still refuses...
    assert_eq!(site.cli(&["check-config"]).status.code(), Some(78));
    // ...but status shows the journal, with one warning line.
    let o = site.cli(&["status"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("declarations: 0"));
    assert!(
        err.contains("check-config") && err.lines().count() == 1,
        "{err}"
    );
    let v = site.status();
    assert_eq!(v["declarations_total"], 0, "{v}");
}

#[test]
fn alert_list_says_no_open_alert_under_a_header() {
    let site = site_with_journal();
    let o = site.cli(&["alert", "list"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.contains("CONDITION") && header.contains("STATE"),
        "{out}"
    );
    assert_eq!(lines.next(), Some("no open alert"), "{out}");
    let o = site.cli(&["alert", "list", "--json"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "[]");
}

/// Issue 16: an unwritable spool passed check-config, then `run` failed (a restart loop
/// under systemd), and TOML errors came one at a time.
#[test]
fn check_config_lists_every_problem_and_an_unwritable_spool() {
    let site = Site::new("[daemon]\nlog_formt = \"json\"\n[api]\nlisten_port = 1\n");
    let toml = std::fs::read_to_string(&site.config).unwrap();
    // The generated file already has [daemon] and [api]: rename the duplicates' headers.
    let toml = toml
        .replacen("[daemon]\nlog_formt", "[sandbox]\nlog_formt", 1)
        .replacen("[api]\nlisten_port", "[admin]\nlisten_port", 1)
        .replace("dir = \"spool\"", "dir = \"/proc/ijgate-spool\"");
    std::fs::write(&site.config, toml).unwrap();
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown field `log_formt`"), "{err}");
    assert!(err.contains("unknown field `listen_port`"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.contains("spool.dir") && l.contains("not writable")),
        "{err}"
    );
    assert!(err.contains("line "), "{err}");
}
