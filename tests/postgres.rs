//! The PostgreSQL journal against a real PostgreSQL (issue 15), started per test on a
//! temporary data folder and a free port (tests/common/pg.rs): migrations, the schema mirror
//! of the SQLite journal, leases with `FOR UPDATE SKIP LOCKED`, leadership with fencing,
//! `ijgate journal migrate` on a journal the real daemon wrote, and `ijgate status`.

mod common;

use common::pg::Pg;
use common::*;
use ijgate::journal::pg::ha::{ClaimKind, Duty, Node, Resource, fenced};
use ijgate::journal::pg::{PgError, PgJournal, PgOptions, copy, schema};
use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(30);

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// A database on `pg` and its journal handle (password from a 0600 file, as configured).
fn journal(pg: &Pg, db: &str, dir: &std::path::Path) -> PgJournal {
    pg.create_db(db);
    let o = PgOptions::new(&pg.url(db), Some(&pg.password_file(dir)), None).unwrap();
    PgJournal::open_unmigrated(&o).unwrap()
}

async fn open(j: &PgJournal) {
    let mut c = j.client().await.unwrap();
    schema::migrate(&mut c).await.unwrap();
}

#[test]
fn migrations_apply_once_even_from_nodes_starting_together() {
    let pg = Pg::start();
    let d = tempfile::tempdir().unwrap();
    let j = journal(&pg, "ij", d.path());
    rt().block_on(async {
        // Four nodes at once on an empty database: one migrates, the others wait for it.
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let j = j.clone();
            tasks.push(tokio::spawn(async move {
                let mut c = j.client().await.unwrap();
                schema::migrate(&mut c).await
            }));
        }
        let mut from = Vec::new();
        for t in tasks {
            from.push(t.await.unwrap().unwrap());
        }
        from.sort();
        assert_eq!(
            from,
            vec![0, schema::VERSION, schema::VERSION, schema::VERSION]
        );
        let c = j.client().await.unwrap();
        assert_eq!(schema::current_version(&c).await.unwrap(), schema::VERSION);
        // A database written by a newer ijgate is refused.
        c.execute("INSERT INTO ijgate_schema (version) VALUES (999)", &[])
            .await
            .unwrap();
        drop(c);
        let mut c = j.client().await.unwrap();
        assert!(matches!(
            schema::migrate(&mut c).await,
            Err(PgError::TooNew { found: 999, .. })
        ));
    });
}

#[test]
fn the_postgres_schema_is_the_sqlite_journal_with_its_state_checks() {
    let pg = Pg::start();
    let d = tempfile::tempdir().unwrap();
    let j = journal(&pg, "ij", d.path());
    // A SQLite journal as the daemon creates it.
    let db = d.path().join("ijgate.db");
    drop(ijgate::journal::Journal::open(&db).unwrap());
    let sqlite = ijgate::journal::open_reader(&db).unwrap();
    let tables = copy::sqlite_tables(&sqlite).unwrap();
    assert!(tables.len() >= 20, "{tables:?}");
    rt().block_on(async {
        open(&j).await;
        let c = j.client().await.unwrap();
        copy::check_target_shape(&**c, &tables).await.unwrap();
        // The same key on both sides (the copy verifies in key order).
        for t in &tables {
            let key: Vec<String> = c
                .query(
                    "SELECT a.attname::text FROM pg_index i
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                     WHERE i.indrelid = $1::text::regclass AND i.indisprimary
                     ORDER BY array_position(i.indkey, a.attnum)",
                    &[&t.name],
                )
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.get(0))
                .collect();
            assert_eq!(key, t.key, "{}", t.name);
        }
        // Typed states: every value of the enums is accepted, anything else refused.
        c.batch_execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash,
                                       payload, created_at, updated_at)
             VALUES ('73282932000074', 'A', 'arret', '1850578006084', 'validated', 1, 'h', '{}', 't', 't');
             INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload,
                                   state, next_attempt_at, created_at, updated_at)
             VALUES (1, 1, '04', '01', '{}', 'pending', 't', 't', 't');",
        )
        .await
        .unwrap();
        use ijgate::engine::exchange::decide::{DeclState, DepositState};
        for s in DeclState::ALL {
            c.execute(
                "UPDATE declarations SET state = $1 WHERE id = 1",
                &[&s.to_string()],
            )
            .await
            .unwrap();
        }
        for s in DepositState::ALL {
            c.execute(
                "UPDATE deposits SET state = $1 WHERE id = 1",
                &[&s.to_string()],
            )
            .await
            .unwrap();
        }
        let e = c
            .execute("UPDATE declarations SET state = 'sent' WHERE id = 1", &[])
            .await
            .unwrap_err();
        assert_eq!(
            e.code(),
            Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION),
            "{e:?}"
        );
        assert!(
            c.execute("UPDATE deposits SET state = 'accepted' WHERE id = 1", &[])
                .await
                .is_err()
        );
        assert!(
            c.execute("UPDATE deposits SET test = 2 WHERE id = 1", &[])
                .await
                .is_err()
        );
        // Foreign keys hold.
        assert!(
            c.execute(
                "INSERT INTO history (declaration_id, at, what) VALUES (99, 't', 'x')",
                &[]
            )
            .await
            .is_err()
        );
        // A new PostgreSQL journal draws its installation id once.
        let a = schema::ensure_installation(&c).await.unwrap();
        let b = schema::ensure_installation(&c).await.unwrap();
        assert_eq!(a, b);
        assert!(a.len() == 8 && a.chars().all(|ch| ch.is_ascii_hexdigit()), "{a}");
    });
}

#[test]
fn two_concurrent_claimers_never_get_the_same_row() {
    let pg = Pg::start();
    let d = tempfile::tempdir().unwrap();
    let j = journal(&pg, "ij", d.path());
    rt().block_on(async {
        open(&j).await;
        let c = j.client().await.unwrap();
        c.batch_execute(
            "INSERT INTO outbox (dest, file_name, body, created_at)
             SELECT 'hr', 'n' || g || '.json', '\\x7b7d'::bytea, 't' FROM generate_series(1, 300) g",
        )
        .await
        .unwrap();
        let a = Node::register(&j).await.unwrap();
        let b = Node::register(&j).await.unwrap();
        assert_ne!(a.id, b.id);
        // A first round where both claims are in flight together (neither node can claim
        // again before both answered): each gets its own 7 rows, whatever the scheduling.
        let ttl = Duration::from_secs(60);
        let (fa, fb) = tokio::join!(
            a.claim(Resource::Outbox, 7, ttl),
            b.claim(Resource::Outbox, 7, ttl)
        );
        let first = |v: Vec<_>| -> Vec<i64> {
            v.into_iter()
                .map(|l: ijgate::journal::pg::ha::Lease| l.row_id)
                .collect()
        };
        let (fa, fb) = (first(fa.unwrap()), first(fb.unwrap()));
        let claimer = |n: Node, mut got: Vec<i64>| {
            tokio::spawn(async move {
                loop {
                    let batch = n
                        .claim(Resource::Outbox, 7, Duration::from_secs(60))
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    for l in batch {
                        assert_eq!(l.kind, ClaimKind::Fresh);
                        assert_eq!(l.owner, n.id);
                        got.push(l.row_id);
                    }
                }
            })
        };
        let (ga, gb) = (claimer(a.clone(), fa), claimer(b.clone(), fb));
        let (ga, gb) = (ga.await.unwrap(), gb.await.unwrap());
        let sa: HashSet<i64> = ga.iter().copied().collect();
        let sb: HashSet<i64> = gb.iter().copied().collect();
        assert_eq!(sa.len(), ga.len(), "a row twice to the same node");
        assert!(sa.is_disjoint(&sb), "{:?}", sa.intersection(&sb));
        assert_eq!(sa.len() + sb.len(), 300);
        assert!(
            !sa.is_empty() && !sb.is_empty(),
            "both claimers worked: {} / {}",
            sa.len(),
            sb.len()
        );
        // Every row has exactly one live lease, and epochs are unique.
        let epochs: i64 = c
            .query_one("SELECT count(DISTINCT epoch) FROM leases", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(epochs, 300);
    });
}

#[test]
fn an_expired_lease_is_reclaimed_as_needing_reconciliation_and_fences_its_old_owner() {
    let pg = Pg::start();
    let d = tempfile::tempdir().unwrap();
    let j = journal(&pg, "ij", d.path());
    rt().block_on(async {
        open(&j).await;
        let c = j.client().await.unwrap();
        // One due deposit (next attempt in the past) and one not yet due.
        c.batch_execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash,
                                       payload, created_at, updated_at)
             VALUES ('73282932000074', 'A', 'arret', '1850578006084', 'queued', 1, 'h', '{}', 't', 't');
             INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload,
                                   state, next_attempt_at, created_at, updated_at)
             VALUES (1, 1, '04', '01', '{}', 'pending', '2020-01-01T00:00:00.000Z', 't', 't'),
                    (1, 1, '04', '01', '{}', 'pending', '2999-01-01T00:00:00.000Z', 't', 't');",
        )
        .await
        .unwrap();
        let a = Node::register(&j).await.unwrap();
        let b = Node::register(&j).await.unwrap();
        let ttl = Duration::from_millis(400);
        let la = a.claim(Resource::Deposit, 10, ttl).await.unwrap();
        assert_eq!(la.len(), 1, "only the due deposit");
        let la = la.into_iter().next().unwrap();
        assert_eq!((la.row_id, &la.kind), (1, &ClaimKind::Fresh));
        // While A's lease lives, B gets nothing.
        assert!(b.claim(Resource::Deposit, 10, ttl).await.unwrap().is_empty());
        // A "dies" mid-work: the deposit is 'depositing', no longer due by state, and A
        // never renews. Once the lease expires, B takes the row over, for reconciliation.
        c.execute("UPDATE deposits SET state = 'depositing' WHERE id = 1", &[])
            .await
            .unwrap();
        let end = Instant::now() + T;
        let lb = loop {
            let got = b
                .claim(Resource::Deposit, 10, Duration::from_secs(60))
                .await
                .unwrap();
            if let Some(l) = got.into_iter().next() {
                break l;
            }
            assert!(Instant::now() < end, "the expired lease never came back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(lb.row_id, 1);
        assert!(lb.epoch > la.epoch);
        match &lb.kind {
            ClaimKind::NeedsReconciliation {
                previous_owner,
                previous_epoch,
                expired_at,
            } => {
                assert_eq!(previous_owner, &a.id);
                assert_eq!(*previous_epoch, la.epoch);
                assert!(expired_at.ends_with('Z'), "{expired_at}");
            }
            k => panic!("taken over as {k:?}, not as needing reconciliation"),
        }
        // The old owner comes back: its renewal, release and writes are refused.
        assert!(!a.renew(&la, ttl).await.unwrap());
        assert!(!a.release(&la).await.unwrap());
        let mut c2 = j.client().await.unwrap();
        let tx = c2.transaction().await.unwrap();
        assert!(matches!(
            la.check(&tx).await,
            Err(PgError::LeaseLost { row_id: 1, .. })
        ));
        tx.rollback().await.unwrap();
        // The new owner's write goes through, then it releases.
        let tx = c2.transaction().await.unwrap();
        lb.check(&tx).await.unwrap();
        tx.execute("UPDATE deposits SET state = 'deposited' WHERE id = 1", &[])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(b.renew(&lb, Duration::from_secs(60)).await.unwrap());
        assert!(b.release(&lb).await.unwrap());
        // Done and released: nothing to claim any more.
        assert!(a.claim(Resource::Deposit, 10, ttl).await.unwrap().is_empty());
    });
}

#[test]
fn leadership_moves_on_a_dead_session_and_fences_the_deposed_leader() {
    let pg = Pg::start();
    let d = tempfile::tempdir().unwrap();
    let j = journal(&pg, "ij", d.path());
    rt().block_on(async {
        open(&j).await;
        let a = Node::register(&j).await.unwrap();
        let b = Node::register(&j).await.unwrap();
        let la = a.lead(Duty::Retention).await.unwrap().expect("a leads");
        assert_eq!(la.epoch, 1);
        assert!(
            b.lead(Duty::Retention).await.unwrap().is_none(),
            "one leader"
        );
        // Another duty is independent.
        let other = b.lead(Duty::AlertScanner).await.unwrap().expect("b leads");
        assert_eq!(other.epoch, 1);
        let mut c = j.client().await.unwrap();
        {
            let tx = c.transaction().await.unwrap();
            fenced(&tx, Duty::Retention, la.epoch).await.unwrap();
            tx.commit().await.unwrap();
        }
        // A's session dies (a partition, a kill): its advisory lock goes with it.
        let pid = la.session_pid().await.unwrap();
        c.execute("SELECT pg_terminate_backend($1)", &[&pid])
            .await
            .unwrap();
        let end = Instant::now() + T;
        let lb = loop {
            if let Some(l) = b.lead(Duty::Retention).await.unwrap() {
                break l;
            }
            assert!(Instant::now() < end, "nobody took the duty over");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(lb.epoch, 2, "the epoch moves on each takeover");
        assert!(!la.still_held().await);
        assert!(lb.still_held().await);
        // A has not noticed: its write with the old epoch is refused, B's goes through.
        let tx = c.transaction().await.unwrap();
        match fenced(&tx, Duty::Retention, la.epoch).await {
            Err(PgError::Deposed {
                mine: 1,
                current: 2,
                ..
            }) => {}
            r => panic!("deposed leader's write: {r:?}"),
        }
        tx.rollback().await.unwrap();
        let tx = c.transaction().await.unwrap();
        fenced(&tx, Duty::Retention, lb.epoch).await.unwrap();
        tx.commit().await.unwrap();
        // A clean resignation frees the duty at once; the next leader is epoch 3.
        lb.resign().await.unwrap();
        let la2 = a.lead(Duty::Retention).await.unwrap().expect("free again");
        assert_eq!(la2.epoch, 3);
        // The status lists the leaders, the nodes and whether each lock is held.
        let s = ijgate::journal::pg::status::load(&j).await.unwrap();
        assert_eq!(s.nodes.len(), 2);
        assert!(s.nodes.iter().all(|n| n.alive));
        let ret = s.leaders.iter().find(|l| l.duty == "retention").unwrap();
        assert_eq!(
            (ret.holder.as_str(), ret.epoch, ret.held),
            (a.id.as_str(), 3, true)
        );
        let al = s
            .leaders
            .iter()
            .find(|l| l.duty == "alert_scanner")
            .unwrap();
        assert_eq!((al.holder.as_str(), al.held), (b.id.as_str(), true));
        drop(other);
    });
}

/// A journal written by the real daemon on the sandbox: declarations, history, deposits,
/// returns, notices in the outbox, inputs, cursors, the installation id.
fn daemon_journal() -> Site {
    let site = Site::new(FAST_EXCHANGE);
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"1s\"\n").unwrap();
    let mut d = site.start();
    let refs = ["PGM-1", "PGM-2", "PGM-3"];
    site.drop_file(
        "rh-a_pg.csv",
        &csv(&refs.iter().map(|r| csv_row(r, SIRET_A)).collect::<Vec<_>>()),
    );
    for r in refs {
        assert!(
            wait_until(T, || states(&site, r)
                == vec![("arret".into(), "accepted".into())]),
            "{r}: {:?}\n{}",
            states(&site, r),
            d.log_text()
        );
    }
    assert_eq!(d.stop(), Some(0));
    site
}

fn count(site: &Site, table: &str) -> i64 {
    site.db()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn journal_migrate_copies_a_daemon_journal_losslessly_and_back() {
    let pg = Pg::start();
    let site = daemon_journal();
    for t in [
        "declarations",
        "history",
        "deposits",
        "returns",
        "outbox",
        "inputs",
    ] {
        assert!(count(&site, t) > 0, "{t} is empty in the source journal");
    }
    pg.create_db("ij");
    let pw = pg.password_file(site.dir.path());
    let db = site.path("var/ijgate.db");
    let migrate = |from: &str, to: &str| {
        Command::new(BIN)
            .arg("--config")
            .arg(&site.config)
            .args(["journal", "migrate", "--from", from, "--to", to, "--json"])
            .arg("--password-file")
            .arg(&pw)
            .output()
            .unwrap()
    };
    let from = format!("sqlite:{}", db.display());
    let o = migrate(&from, &pg.url("ij"));
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = |name: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == name)
            .unwrap_or_else(|| panic!("{name} not in {report}"))
            .clone()
    };
    for t in ["declarations", "history", "deposits", "outbox"] {
        assert_eq!(rows(t)["rows"].as_i64().unwrap(), count(&site, t), "{t}");
    }
    let seq: i64 = site
        .db()
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'deposits'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows("deposits")["sequence"].as_i64(), Some(seq));

    let o2 = PgOptions::new(&pg.url("ij"), Some(&pw), None).unwrap();
    let j = PgJournal::open_unmigrated(&o2).unwrap();
    let rt = rt();
    // Counts and digests computed afresh on both sides, after the commit.
    assert_eq!(
        rt.block_on(copy::compare(&db, &j)).unwrap(),
        Vec::<String>::new()
    );
    // The next id continues SQLite's sequence (an identifiant métier is never reused).
    let next: i64 = rt.block_on(async {
        let c = j.client().await.unwrap();
        c.query_one(
            "SELECT nextval(pg_get_serial_sequence('deposits', 'id'))",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    });
    assert_eq!(next, seq + 1);
    // A second copy into the now non-empty journal is refused, and changes nothing.
    let again = migrate(&from, &pg.url("ij"));
    assert_eq!(again.status.code(), Some(1));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(
        rt.block_on(copy::compare(&db, &j)).unwrap(),
        Vec::<String>::new()
    );

    // And back: PostgreSQL into a new SQLite journal, identical to the original.
    let back = site.path("back.db");
    let o = migrate(&pg.url("ij"), &format!("sqlite:{}", back.display()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let a = ijgate::journal::open_reader(&db).unwrap();
    let b = ijgate::journal::open_reader(&back).unwrap();
    let tables = copy::sqlite_tables(&a).unwrap();
    for t in &tables {
        assert_eq!(
            copy::sqlite_digest(&a, t).unwrap(),
            copy::sqlite_digest(&b, t).unwrap(),
            "{} differs after the round trip",
            t.name
        );
    }
    let seqs = |c: &rusqlite::Connection| -> Vec<(String, i64)> {
        c.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // The same sequences, but for the id drawn above on PostgreSQL: it is not reused either.
    let mut want = seqs(&a);
    for (name, v) in &mut want {
        if name == "deposits" {
            *v += 1;
        }
    }
    assert_eq!(want, seqs(&b));
    // The copied-back journal opens as a journal (schema version kept).
    let v: u32 = b
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, ijgate::journal::SCHEMA_VERSION);
    // An existing file is never overwritten.
    let o = migrate(&pg.url("ij"), &format!("sqlite:{}", back.display()));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_postgres_journal_url_is_checked_shown_in_status_and_refused_by_run() {
    let pg = Pg::start();
    pg.create_db("ij");
    let d = tempfile::tempdir().unwrap();
    let pw = pg.password_file(d.path());
    let section = format!(
        "[journal]\nurl = \"{}\"\npassword_file = \"{}\"\n",
        pg.url("ij"),
        pw.display()
    );
    let site = Site::new(&section);
    let o = site.cli(&["check-config"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The daemon's engine is SQLite only: a postgres:// journal is refused, not ignored.
    let o = Command::new(BIN)
        .arg("--config")
        .arg(&site.config)
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not run on PostgreSQL yet"));
    // No schema yet: status says so.
    let o = site.cli(&["status"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no ijgate schema"));
    let rt = rt();
    let o2 = PgOptions::new(&pg.url("ij"), Some(&pw), None).unwrap();
    let j = rt.block_on(PgJournal::open(&o2)).unwrap();
    let (node, lease) = rt.block_on(async {
        let c = j.client().await.unwrap();
        c.batch_execute(
            "INSERT INTO outbox (dest, file_name, body, created_at) VALUES ('hr', 'a.json', '\\x00', 't')",
        )
        .await
        .unwrap();
        let n = Node::register(&j).await.unwrap();
        let l = n
            .claim(Resource::Outbox, 5, Duration::from_secs(600))
            .await
            .unwrap();
        (n, l)
    });
    assert_eq!(lease.len(), 1);
    let lead = rt.block_on(node.lead(Duty::BpijPolling)).unwrap().unwrap();
    let o = site.cli(&["status", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["backend"], "postgres");
    assert_eq!(s["nodes"][0]["node_id"], node.id.as_str());
    assert_eq!(s["nodes"][0]["alive"], true);
    assert_eq!(s["leases"][0]["resource"], "outbox");
    assert_eq!(s["leases"][0]["owner"], node.id.as_str());
    assert_eq!(s["leases"][0]["expired"], false);
    assert_eq!(s["leaders"][0]["duty"], "bpij_polling");
    assert_eq!(s["leaders"][0]["held"], true);
    assert_eq!(s["outbox_pending"], 1);
    let text = String::from_utf8_lossy(&site.cli(&["status"]).stdout).to_string();
    assert!(
        text.contains(&node.id) && text.contains("bpij_polling") && text.contains("alive"),
        "{text}"
    );
    drop(lead);
    // sslmode=require against a server without TLS fails; it never falls back to plain text.
    let tls = PgOptions::new(
        &format!("{}?sslmode=require", pg.url("ij")),
        Some(&pw),
        None,
    )
    .unwrap();
    let e = rt
        .block_on(PgJournal::open(&tls))
        .err()
        .expect("no TLS, no connection");
    assert!(
        e.to_string().contains("TLS") || e.to_string().contains("ssl"),
        "{e}"
    );
    // A password file others can read is refused by check-config.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("journal.password_file") && err.contains("0644"),
        "{err}"
    );
}
