//! Exactly once under crashes: SIGKILL the daemon repeatedly while it deposits a batch to a
//! sandbox peer running in its own process (`ijgate sandbox`); after the last restart every
//! declaration is deposited exactly once (the sandbox's count), and every return was applied
//! exactly once: no duplicate HR notice, history event or insurer message.
//!
//! The variants run the same batch against a peer whose `lister-depots` is not ideal — a
//! listing that shows deposits late, refused files (status KO) of the same declarant beside
//! ours, a clock that differs from ours — each one an assumption of the reconciliation of a
//! deposit whose answer was lost (see `engine::exchange::decide`): 0 duplicates, 0 lost.

mod common;

use common::*;
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A site in remote mode against a sandbox process started with `scenario`.
struct Peer {
    site: Site,
    sandbox: Child,
    addr: std::net::SocketAddr,
    ca: std::path::PathBuf,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.sandbox.kill();
        let _ = self.sandbox.wait();
    }
}

impl Peer {
    fn start(scenario: &str, netent_extra: &str) -> Peer {
        let port = free_port();
        let site = Site::new(&format!(
            r#"
[netent]
mode = "remote"
base_url = "https://127.0.0.1:{port}/"
ca_file = "sandbox-ca.pem"
siret = "{SIRET_A}"
nom = "PAIE"
prenom = "Service"
password_file = "netent.password"
poll_interval = "300ms"
declarant_poll_interval = "2s"
bpij_poll_interval = "1h"
retry_initial = "100ms"
retry_max = "1s"
request_timeout = "5s"
concurrency = 8
reconcile_recheck_interval = "500ms"
{netent_extra}
"#
        ));
        let pw = site.path("netent.password");
        std::fs::write(&pw, "secret\n").unwrap();
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(site.path("scenario.toml"), scenario).unwrap();
        let sandbox = Command::new(SANDBOX_BIN)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--scenario"])
            .arg(site.path("scenario.toml"))
            .arg("--ca-out")
            .arg(site.path("sandbox-ca.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let ca = site.path("sandbox-ca.pem");
        let peer = Peer {
            site,
            sandbox,
            addr,
            ca,
        };
        // The CA file may be seen half written: wait for its end before reading it.
        let ca_written = || {
            std::fs::read_to_string(&peer.ca)
                .is_ok_and(|s| s.trim_end().ends_with("-----END CERTIFICATE-----"))
        };
        assert!(wait_until(Duration::from_secs(30), || ca_written()
            && !sandbox_stats(peer.addr, &peer.ca).is_null()));
        peer
    }

    fn stats(&self) -> serde_json::Value {
        sandbox_stats(self.addr, &self.ca)
    }

    fn accepted(&self) -> u64 {
        self.stats()["deposits_accepted"].as_u64().unwrap_or(0)
    }

    /// Drops `n` declarations in 10 files, then kills the daemon up to `max_kills` times while
    /// deposits flow (each time after `step` more deposits). Returns the kills done.
    fn run_with_kills(&self, n: usize, max_kills: usize, step: u64) -> usize {
        for f in 0..10 {
            let rows: Vec<String> = (0..n / 10)
                .map(|i| csv_row(&format!("X{f:02}-{i:03}"), SIRET_A))
                .collect();
            self.site
                .drop_file(&format!("rh-a_batch{f:02}.csv"), &csv(&rows));
        }
        let mut kills = 0;
        for _ in 0..max_kills {
            let before = self.accepted();
            if before as usize >= n {
                break;
            }
            let mut d = self.site.start();
            // Kill while deposits are flowing.
            wait_until(Duration::from_secs(60), || {
                self.accepted() >= before + step || self.accepted() as usize >= n
            });
            d.kill9();
            kills += 1;
        }
        kills
    }
}

/// Everything the journal queued more than once: HR notices and insurer messages (the same
/// kind of notice for the same return, or the same raw document, for one destination) and
/// history events (the same return applied twice to a declaration).
fn duplicates(db: &rusqlite::Connection) -> (Vec<String>, Vec<String>, Vec<String>) {
    use sha2::{Digest, Sha256};
    let mut seen: HashMap<(i64, String, String), u32> = HashMap::new();
    let mut stmt = db
        .prepare("SELECT COALESCE(declaration_id, 0), dest, file_name, body FROM outbox")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (decl, dest, name, body) = row.unwrap();
        let key = if name.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            format!(
                "notice {} idflux {} nature {}",
                v["kind"], v["idflux"], v["nature"]
            )
        } else {
            format!("document {}", hex::encode(Sha256::digest(&body)))
        };
        *seen.entry((decl, dest, key)).or_default() += 1;
    }
    let mut hr = Vec::new();
    let mut insurer = Vec::new();
    for ((decl, dest, key), n) in seen {
        if n > 1 {
            let line = format!("declaration {decl} → {dest}: {key} ×{n}");
            if dest == "hr" {
                hr.push(line);
            } else {
                insurer.push(line);
            }
        }
    }
    let history: Vec<String> = db
        .prepare(
            "SELECT declaration_id, what, json_extract(detail, '$.idflux'), count(*) FROM history
             WHERE what LIKE 'return_%' GROUP BY 1, 2, 3 HAVING count(*) > 1",
        )
        .unwrap()
        .query_map([], |r| {
            Ok(format!(
                "declaration {} {} of flux {:?} ×{}",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (hr, history, insurer)
}

fn assert_no_duplicates(site: &Site) {
    let (hr, history, insurer) = duplicates(&site.db());
    assert!(hr.is_empty(), "duplicate HR notices:\n{}", hr.join("\n"));
    assert!(
        history.is_empty(),
        "returns applied twice:\n{}",
        history.join("\n")
    );
    assert!(
        insurer.is_empty(),
        "duplicate insurer messages:\n{}",
        insurer.join("\n")
    );
    // Each declaration got its four return notices (AEE, CCO, AR CNAM, CRM CNAM) once.
    let per_decl: i64 = site
        .db()
        .query_row(
            "SELECT count(*) FROM outbox WHERE dest = 'hr' AND file_name LIKE '%_crm_cnam_%.json'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let decls: i64 = site
        .db()
        .query_row("SELECT count(*) FROM declarations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(per_decl, decls, "one CNAM report notice per declaration");
}

/// Deposits whose answer was lost and that went through reconciliation.
fn reconciled(site: &Site) -> i64 {
    site.db()
        .query_row(
            "SELECT count(*) FROM history WHERE what = 'reconciled_not_found'
               OR (what = 'deposited' AND json_extract(detail, '$.reconciled'))",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn repeated_sigkill_during_a_batch_deposits_each_declaration_exactly_once() {
    const N: usize = 1000;
    let peer = Peer::start(
        "[delays]\n\"31\" = \"0s\"\n[bpij]\nenabled = false\n",
        "reconcile_min_age = \"2s\"\nclock_tolerance = \"2s\"\n",
    );
    let site = &peer.site;
    let kills = peer.run_with_kills(N, 5, 120);
    assert!(
        kills >= 2,
        "the batch finished before the daemon could be killed twice"
    );
    let mut d = site.start();
    let all_accepted =
        || site.status()["declarations_by_state"]["accepted"].as_i64() == Some(N as i64);
    assert!(
        wait_until(Duration::from_secs(240), all_accepted),
        "{}\n{}",
        site.status(),
        d.log_text()
    );
    assert_eq!(d.stop(), Some(0));

    let st = peer.stats();
    let per = st["deposits_per_identifiant_metier"].as_object().unwrap();
    assert_eq!(per.len(), N, "every declaration deposited");
    assert!(
        per.values().all(|v| v == 1),
        "a declaration was deposited twice: {:?}",
        st["duplicates"]
    );
    assert_eq!(st["duplicates"].as_array().unwrap().len(), 0);
    assert_eq!(st["deposits_accepted"].as_u64(), Some(N as u64));
    assert_no_duplicates(site);
}

/// The history of every declaration neither accepted nor rejected, for a failure message.
fn unsettled_history(site: &Site) -> String {
    let db = site.db();
    let mut stmt = db
        .prepare(
            "SELECT h.declaration_id, h.what, COALESCE(h.detail, '') FROM history h
               JOIN declarations d ON d.id = h.declaration_id
              WHERE d.state NOT IN ('accepted', 'rejected') ORDER BY h.id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(format!(
            "{} {} {}",
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect::<Vec<_>>()
    .join("\n")
}

/// The batch under an imperfect `lister-depots`: 0 duplicates, 0 lost.
fn batch_under(scenario_extra: &str, netent_extra: &str) {
    const N: usize = 400;
    let peer = Peer::start(
        &format!(
            "seed = 5\n{scenario_extra}\n[delays]\n\"31\" = \"0s\"\n[bpij]\nenabled = false\n"
        ),
        netent_extra,
    );
    let site = &peer.site;
    let kills = peer.run_with_kills(N, 4, 60);
    assert!(
        kills >= 2,
        "the batch finished before the daemon could be killed twice"
    );
    let mut d = site.start();
    // Lost = not accepted (nor refused by an ARE) in the end.
    let settled = || {
        let s = site.status();
        let by = &s["declarations_by_state"];
        by["accepted"].as_i64().unwrap_or(0) + by["rejected"].as_i64().unwrap_or(0) == N as i64
    };
    assert!(
        wait_until(Duration::from_secs(300), settled),
        "{}\nhistory of unsettled declarations:\n{}\n{}",
        site.status(),
        unsettled_history(site),
        d.log_text()
    );
    assert_eq!(d.stop(), Some(0));
    let accepted = site.count_in_state("accepted");
    let st = peer.stats();
    let per = st["deposits_per_identifiant_metier"].as_object().unwrap();
    assert!(
        per.values().all(|v| v == 1),
        "a declaration was deposited twice: {:?}",
        st["duplicates"]
    );
    assert_eq!(st["duplicates"].as_array().unwrap().len(), 0);
    assert_eq!(per.len() as i64, accepted, "{st:#}");
    assert!(
        reconciled(site) >= 1,
        "no deposit went through reconciliation: the kills tested nothing"
    );
    if accepted == N as i64 {
        assert_no_duplicates(site);
    } else {
        let (hr, history, insurer) = duplicates(&site.db());
        assert!(hr.is_empty() && history.is_empty() && insurer.is_empty());
    }
}

#[test]
fn sigkill_with_a_lagging_listing_and_foreign_ko_deposits_sends_each_once() {
    // The listing shows a deposit 9 s late, later than the end of its window (5 s timeout +
    // 2 s tolerance): absence counts from 10 s on, twice in a row. Half the deposits have a
    // refused file (KO) of the same declarant listed at the same second.
    batch_under(
        "listing_lag = \"9s\"\nforeign_ko_ratio = 0.5",
        "reconcile_min_age = \"10s\"\nreconcile_rechecks = 2\nclock_tolerance = \"2s\"",
    );
}

#[test]
fn sigkill_with_the_peer_clock_behind_sends_each_once() {
    // The peer's clock is 20 s behind ours; tolerance 30 s. (Ahead is the same window
    // mirrored; behind is the case where a strict window misses our own deposit.)
    batch_under(
        "clock_skew = -20\nlisting_lag = \"1s\"",
        "reconcile_min_age = \"2s\"\nclock_tolerance = \"30s\"",
    );
}
