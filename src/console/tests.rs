//! Page handlers on a temporary journal: what each page shows, who may act, and that a NIR
//! never appears in full.

use super::*;
use crate::journal::Journal;
use rusqlite::params;
use std::path::Path;

pub(crate) const NIR: &str = "1850575123456";

/// A journal with one stoppage whose deposit failed, an open alert and an open DSIJ task.
pub(crate) fn fixture(dir: &Path, local_role: &str) -> (Journal, Arc<Config>) {
    let toml = format!(
        "[daemon]\nstate_dir = {:?}\n[spool]\ndir = {:?}\n[console]\nlocal_role = {local_role:?}\noperators = [\"alice.ops\"]\nviewers = [\"victor.view\"]\n",
        dir.join("state"),
        dir.join("spool")
    );
    let cfg: Config = toml::from_str(&toml).unwrap();
    let j = Journal::open(&cfg.db_path()).unwrap();
    j.write_blocking(|c| {
        let at = "2026-11-02T09:00:00.000Z";
        c.execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
             VALUES ('12345678900011', 'RH-0001', 'arret', ?1, 'failed', 1, 'h', '{}', ?2, ?2)",
            params![NIR, at],
        )?;
        crate::journal::store::add_history(c, 1, "received", Some("received"), Some("{\"channel\":\"spool\",\"name\":\"a.csv\",\"line\":2}"), None, at)?;
        crate::journal::store::add_history(c, 1, "deposit_failed", Some("failed"), None, Some("{\"kind\":\"http_5xx\"}"), at)?;
        c.execute(
            "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, state, attempts, next_attempt_at, last_error, created_at, updated_at)
             VALUES (1, 1, '04', '01', '{}', 'failed', 5, ?1, 'HTTP 503', ?1, ?1)",
            [at],
        )?;
        c.execute(
            "INSERT INTO alerts (declaration_id, condition, siret, hr_ref, state, next_attempt_at, created_at)
             VALUES (1, 'deposit_failed', '12345678900011', 'RH-0001', 'sent', ?1, ?1)",
            [at],
        )?;
        c.execute(
            "INSERT INTO tasks (declaration_id, kind, siret, hr_ref, state, created_at)
             VALUES (1, 'dsij', '12345678900011', 'RH-0001', 'open', ?1)",
            [at],
        )?;
        Ok(())
    })
    .unwrap();
    (j, Arc::new(cfg))
}

fn local() -> Peer {
    Peer {
        loopback: true,
        tls_identities: None,
    }
}

fn cert(id: &str) -> Peer {
    Peer {
        loopback: false,
        tls_identities: Some(vec![id.to_string()]),
    }
}

fn get(path: &str) -> Req {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    Req {
        method: Method::GET,
        path: path.into(),
        query: query.into(),
        body: Bytes::new(),
        fetch_site: None,
    }
}

fn post(path: &str, body: &str) -> Req {
    Req {
        method: Method::POST,
        path: path.into(),
        query: String::new(),
        body: Bytes::from(body.to_string()),
        fetch_site: Some("same-origin".into()),
    }
}

async fn call(
    r: Req,
    j: &Journal,
    cfg: &Arc<Config>,
    peer: &Peer,
) -> (StatusCode, hyper::HeaderMap, String) {
    let resp = route(r, j, cfg.clone(), peer).await;
    let (parts, body) = resp.into_parts();
    let b = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&b).into_owned(),
    )
}

#[tokio::test]
async fn overview_shows_counts_and_sends_the_security_headers() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "viewer");
    let (st, h, body) = call(get("/console/overview"), &j, &cfg, &local()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body.contains("Vue d'ensemble"), "French by default");
    assert!(body.contains("data-count=\"state-failed\">1<"), "{body}");
    assert!(body.contains("data-count=\"open-alerts\">1<"));
    assert!(body.contains("data-count=\"open-tasks\">1<"));
    assert!(body.contains("<svg id=\"chart-weeks\""));
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("cache-control").unwrap(), "no-store");
    assert!(!body.contains("<script>"), "no inline script");
    let (_, _, counts) = call(get("/console/counts.json"), &j, &cfg, &local()).await;
    let v: serde_json::Value = serde_json::from_str(&counts).unwrap();
    assert_eq!(v["state-failed"], 1);
}

#[tokio::test]
async fn english_labels_by_configuration() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "viewer");
    let mut c = (*cfg).clone();
    c.console.lang = "en".into();
    let (_, _, body) = call(get("/console/overview"), &j, &Arc::new(c), &local()).await;
    assert!(body.contains("Overview") && body.contains("Deposits waiting for a return"));
}

#[tokio::test]
async fn declarations_search_masks_the_nir_and_finds_it_by_post_only() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "viewer");
    let (st, _, body) = call(get("/console/declarations?q=RH-00"), &j, &cfg, &local()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        body.contains("RH-0001") && body.contains("185**********"),
        "{body}"
    );
    assert!(!body.contains(NIR));
    let (_, _, none) = call(get("/console/declarations?q=XX"), &j, &cfg, &local()).await;
    assert!(!none.contains("RH-0001"));
    // By full NIR (15 characters with the key, spaces allowed): POST, and still masked.
    let n = crate::model::nir::Nir::parse(NIR).unwrap().with_key();
    let (st, _, found) = call(
        post("/console/declarations/search", &format!("nir={n}")),
        &j,
        &cfg,
        &local(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(found.contains("RH-0001") && !found.contains(NIR), "{found}");
    let (st, _, _) = call(
        post("/console/declarations/search", "nir=123"),
        &j,
        &cfg,
        &local(),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn declaration_page_shows_the_timeline_as_show_prints_it() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "viewer");
    let (st, _, body) = call(get("/console/declarations/1"), &j, &cfg, &local()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body.contains("(spool: a.csv line 2)"), "{body}");
    assert!(body.contains("deposit_failed") && body.contains("HTTP 503"));
    assert!(!body.contains(NIR));
    assert!(
        !body.contains("act-retry"),
        "a viewer gets no action button"
    );
    // Not finished, and the page says why.
    assert!(
        body.contains("Dépôt 1 en échec après 5 tentative(s) : HTTP 503."),
        "{body}"
    );
    let (st, _, _) = call(get("/console/declarations/99"), &j, &cfg, &local()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_viewer_cannot_post_and_an_operator_needs_the_csrf_token() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "viewer");
    let token = csrf_token("victor.view");
    let (st, _, _) = call(
        post("/console/actions/retry", &format!("csrf={token}&id=1")),
        &j,
        &cfg,
        &cert("victor.view"),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = call(
        post("/console/actions/retry", "csrf=bad&id=1"),
        &j,
        &cfg,
        &cert("alice.ops"),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let mut cross = post(
        "/console/actions/retry",
        &format!("csrf={}&id=1", csrf_token("alice.ops")),
    );
    cross.fetch_site = Some("cross-site".into());
    let (st, _, _) = call(cross, &j, &cfg, &cert("alice.ops")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let state = |j: &Journal| {
        j.read_blocking(|c| {
            Ok(
                c.query_row("SELECT state FROM deposits WHERE id = 1", [], |r| {
                    r.get::<_, String>(0)
                })?,
            )
        })
        .unwrap()
    };
    assert_eq!(state(&j), "failed", "nothing was done");
}

#[tokio::test]
async fn operator_actions_are_journaled_with_the_identity() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "viewer");
    let alice = cert("alice.ops");
    let tok = csrf_token("alice.ops");
    let (st, h, _) = call(
        post(
            "/console/actions/retry",
            &format!("csrf={tok}&id=1&back=declaration"),
        ),
        &j,
        &cfg,
        &alice,
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(h.get("location").unwrap(), "/console/declarations/1");
    let (st, _, _) = call(
        post("/console/actions/retry", &format!("csrf={tok}&id=1")),
        &j,
        &cfg,
        &alice,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "nothing left to retry");
    let (st, _, _) = call(
        post("/console/actions/task-done", &format!("csrf={tok}&id=1")),
        &j,
        &cfg,
        &alice,
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = call(
        post("/console/actions/ack-alert", &format!("csrf={tok}&id=1")),
        &j,
        &cfg,
        &alice,
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let rows: Vec<(String, String)> = j
        .read_blocking(|c| {
            let mut s = c.prepare("SELECT operator, action FROM console_actions ORDER BY id")?;
            let v = s
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok(v)
        })
        .unwrap();
    let want: Vec<(String, String)> = ["retry", "task_done", "ack_alert"]
        .iter()
        .map(|a| ("alice.ops".to_string(), a.to_string()))
        .collect();
    assert_eq!(rows, want);
    let (_, _, page) = call(get("/console/declarations/1"), &j, &cfg, &alice).await;
    assert!(
        page.contains("retry_requested") && page.contains("(console: alice.ops)"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"state\" id=\"state\">queued</span>"),
        "{page}"
    );
    let (_, _, late) = call(get("/console/late"), &j, &cfg, &alice).await;
    assert!(
        late.contains("alice.ops ("),
        "acknowledged by alice: {late}"
    );
}

#[tokio::test]
async fn access_needs_a_known_certificate_or_loopback() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "none");
    for peer in [
        cert("mallory"),
        Peer {
            loopback: false,
            tls_identities: None,
        },
        local(),
    ] {
        let (st, _, _) = call(get("/console/overview"), &j, &cfg, &peer).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{peer:?}");
    }
    let (st, _, _) = call(get("/console/overview"), &j, &cfg, &cert("victor.view")).await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn late_and_insurer_pages_render() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "operator");
    let (st, _, late) = call(get("/console/late"), &j, &cfg, &local()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        late.contains("HTTP 503") && late.contains("act-retry") && late.contains("act-task-done")
    );
    assert!(late.contains(&csrf_token("local")));
    let (st, _, ins) = call(get("/console/insurers"), &j, &cfg, &local()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ins.contains("Assureurs"));
}

#[test]
fn percentiles_by_nearest_rank() {
    let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert_eq!(data::percentile(&v, 50), Some(5));
    assert_eq!(data::percentile(&v, 90), Some(9));
    assert_eq!(data::percentile(&[], 50), None);
}

#[tokio::test]
async fn insurer_view_counts_guarantees_below_franchise_and_complements() {
    let d = tempfile::tempdir().unwrap();
    let (j, cfg) = fixture(d.path(), "viewer");
    let today = chrono::Utc::now().date_naive();
    j.write_blocking(move |c| {
        let at = "2026-11-02T09:00:00.000Z";
        for (hr, kind, g) in [
            ("RH-0001", Some("guarantee_start"), today),
            ("RH-0002", Some("below_franchise"), today),
            ("RH-0003", None, today + chrono::Duration::days(3)),
        ] {
            c.execute(
                "INSERT INTO insurer_stoppages (siret, hr_ref, insurer_code, insurer_name, employer_name, contract_ref,
                   franchise_days, first_day, guarantee_date, due_at, fired_kind, created_at, updated_at)
                 VALUES ('12345678900011', ?1, 'P1', 'Prévoyance Un', 'Employeur', 'C1', 30, ?2, ?3, ?4, ?5, ?4, ?4)",
                params![hr, (g - chrono::Duration::days(30)).to_string(), g.to_string(), at, kind],
            )?;
        }
        c.execute(
            "INSERT INTO outbox (declaration_id, dest, file_name, body, created_at)
             VALUES (1, 'insurer/P1', 'RH-0001_guarantee_start_1.xml', CAST('<Guarantee><Complement/></Guarantee>' AS BLOB), ?1)",
            [at],
        )?;
        Ok(())
    })
    .unwrap();
    let blocks = j.read_blocking(move |c| data::insurers(c, today)).unwrap();
    assert_eq!(blocks.len(), 1);
    let b = &blocks[0];
    assert_eq!(
        (
            b.stoppages,
            b.guarantees_started,
            b.below_franchise,
            b.complements
        ),
        (3, 1, 1, 1)
    );
    let starting: Vec<&str> = b.starting.iter().map(|g| g.hr_ref.as_str()).collect();
    assert_eq!(
        starting,
        ["RH-0001", "RH-0003"],
        "below-franchise stoppages start nothing"
    );
    let (_, _, page) = call(get("/console/insurers"), &j, &cfg, &local()).await;
    assert!(
        page.contains("Prévoyance Un (P1)") && page.contains("RH-0003"),
        "{page}"
    );
    // The insurer file is downloadable from the declaration page.
    let (st, h, body) = call(get("/console/files/1"), &j, &cfg, &local()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body.contains("<Complement/>"));
    assert!(
        h.get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("attachment")
    );
}

fn deposit(id: i64, state: &str, idflux: Option<&str>, sent_at: Option<&str>) -> data::DepositRow {
    data::DepositRow {
        id,
        nature: "04".into(),
        decl_type: "01".into(),
        state: state.into(),
        attempts: 2,
        next_attempt_at: "2026-11-02T09:05:00.000Z".into(),
        sent_at: sent_at.map(str::to_string),
        idflux: idflux.map(str::to_string),
        last_error: Some("HTTP 503".into()),
        retryable: false,
        updated_at: "2026-11-02T09:00:00.000Z".into(),
    }
}

fn ret(idflux: &str, nature: &str) -> data::ReturnRow {
    data::ReturnRow {
        id: 1,
        idflux: idflux.into(),
        nature: nature.into(),
        return_id: "1".into(),
        statut: None,
        outcome: None,
        fetched_at: "2026-11-02T09:10:00.000Z".into(),
        has_raw: false,
    }
}

/// "In progress" always says why: the awaited returns with their deadlines (domain.md §6
/// defaults: 11 and 30 within 1 h, 31 within 4 h), the next retry, reconciliation.
#[test]
fn an_unfinished_declaration_says_what_it_waits_for() {
    use data::Why;
    let d = tempfile::tempdir().unwrap();
    let (_j, cfg) = fixture(d.path(), "viewer");
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-02T11:00:00Z")
        .unwrap()
        .to_utc();
    let sent = "2026-11-02T09:00:00.000Z";
    let w = data::why(
        &[deposit(7, "deposited", Some("F7"), Some(sent))],
        &[ret("F7", "11")],
        &cfg,
        now,
    );
    assert_eq!(
        w,
        vec![
            Why::Return {
                deposit: 7,
                nature: "30".into(),
                sent_at: sent.into(),
                due: "2026-11-02T10:00:00.000Z".into(),
                overdue_s: Some(3600),
            },
            Why::Return {
                deposit: 7,
                nature: "31".into(),
                sent_at: sent.into(),
                due: "2026-11-02T13:00:00.000Z".into(),
                overdue_s: None,
            },
        ]
    );
    assert_eq!(
        pages::why_line(pages::Lang::Fr, &w[0]),
        "Dépôt 7 (envoyé à 2026-11-02 09:00:00 UTC) : attend le retour 30 (accusé de réception CNAM), échéance 2026-11-02 10:00:00 UTC — en retard 1 h 00 min."
    );
    // A refusal (21) ends the wait; a pending deposit says when it is tried again.
    assert!(
        data::why(
            &[deposit(7, "deposited", Some("F7"), Some(sent))],
            &[ret("F7", "21")],
            &cfg,
            now
        )
        .is_empty()
    );
    let p = data::why(&[deposit(8, "pending", None, None)], &[], &cfg, now);
    assert_eq!(
        pages::why_line(pages::Lang::En, &p[0]),
        "Deposit 8: 2 failed attempt(s) (last error: HTTP 503), next attempt at 2026-11-02 09:05:00 UTC."
    );
    let u = data::why(&[deposit(9, "uncertain", None, None)], &[], &cfg, now);
    assert!(matches!(u[0], Why::Uncertain { deposit: 9, .. }));
    assert!(data::why(&[deposit(10, "withdrawn", None, None)], &[], &cfg, now).is_empty());
}
