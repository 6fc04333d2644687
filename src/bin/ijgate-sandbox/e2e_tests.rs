//! The API DSN client against the sandbox over real HTTPS (rcgen certificates, 127.0.0.1:0).
//! Waiting is done by polling with a bounded number of attempts, never by blind sleeps.

use std::future::Future;
use std::time::Duration;

use chrono::NaiveDateTime;
use rust_decimal_macros::dec;

use super::check::sample::{SampleStop, signalement};
use super::scenario::{Outcome, OutcomeRule};
use super::{Sandbox, Scenario, dev_certificates, tls_config};
use ijgate::channels::netent::{
    NetEntClient, NetEntConfig, NetEntError, PjForm, Reconciliation, install_crypto_provider,
};
use ijgate::engine::exchange::outcome::ReturnOutcome;
use ijgate::formats::bpij::Bpij;
use ijgate::formats::listing::ReturnsListing;
use ijgate::formats::rapport::{DepositAnswer, Rapport};

const SIRET: &str = "12345678200010";

struct Running {
    sandbox: Sandbox,
    base: String,
    _dir: tempfile::TempDir,
    ca_file: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    fn config(&self) -> NetEntConfig {
        let mut cfg = NetEntConfig::for_base(&self.base, SIRET, "DUPONT", "Anne", "s3cret-pw");
        cfg.ca_file = Some(self.ca_file.clone());
        cfg.request_timeout = Duration::from_secs(10);
        cfg
    }

    fn client(&self) -> NetEntClient {
        NetEntClient::new(self.config()).unwrap()
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

async fn start(scenario: Scenario) -> Running {
    start_with(Sandbox::new(scenario), &[b"h2", b"http/1.1"]).await
}

/// Starts `sandbox` offering the given ALPN protocols.
async fn start_with(sandbox: Sandbox, alpn: &[&[u8]]) -> Running {
    install_crypto_provider();
    let (ca, cert, key) = dev_certificates(&["localhost", "127.0.0.1"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let mut tls = (*tls_config(cert.as_bytes(), key.as_bytes()).unwrap()).clone();
    tls.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tls = std::sync::Arc::new(tls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let sb = sandbox.clone();
    let task = tokio::spawn(async move {
        sb.serve(listener, tls, async {
            let _ = rx.await;
        })
        .await
    });
    Running {
        sandbox,
        base: format!("https://localhost:{port}/"),
        _dir: dir,
        ca_file,
        stop: Some(tx),
        task: Some(task),
    }
}

fn now() -> NaiveDateTime {
    super::paris_now()
}

/// Polls `f` up to `attempts` times, `every` apart, until it yields `Some`.
async fn poll<T, F, Fut>(attempts: u32, every: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..attempts {
        if let Some(v) = f().await {
            return Some(v);
        }
        tokio::time::sleep(every).await;
    }
    None
}

fn natures(l: &ReturnsListing) -> Vec<String> {
    l.entries().map(|(_, r)| r.nature.clone()).collect()
}

fn fast_scenario() -> Scenario {
    let mut s = Scenario::default();
    s.delays.insert("31".into(), Duration::from_millis(300));
    s
}

async fn deposit_ok(client: &NetEntClient, file: &[u8]) -> String {
    match client.deposit(file).await.unwrap() {
        DepositAnswer::Accepted { idflux, .. } => idflux,
        DepositAnswer::Rejected { rapport } => panic!("ARE: {:?}", rapport.envoi.anomalies),
    }
}

#[tokio::test]
async fn deposit_gets_aee_and_returns_appear_after_their_delay() {
    let run = start(fast_scenario()).await;
    let client = run.client();
    let token = client.authenticate().await.unwrap();
    // The kit's token shape: base64 of an <xmlresult> naming the declarant.
    assert_eq!(
        crate::auth::parse_token(&token).map(|w| w.siret),
        Some(SIRET.to_string())
    );
    let t0 = now();
    let idflux = deposit_ok(&client, &signalement(&SampleStop::default())).await;
    assert_eq!(idflux.len(), 23);

    // Immediately: 10, 11, 30; the 31 only after its delay.
    let first = client.list_returns_flux(&idflux).await.unwrap();
    assert_eq!(natures(&first), vec!["10", "11", "30"]);
    let listing = poll(500, Duration::from_millis(20), || async {
        let l = client.list_returns_flux(&idflux).await.ok()?;
        natures(&l).contains(&"31".to_string()).then_some(l)
    })
    .await
    .expect("nature 31 within 10 s");
    let (flux, r31) = listing.entries().find(|(_, r)| r.nature == "31").unwrap();
    let doc = client.download_return(flux, r31).await.unwrap();
    let rapport = Rapport::parse(&doc).unwrap();
    assert_eq!(rapport.identifiants_metier(), vec!["ARR-0001"]);
    assert_eq!(rapport.outcome(Some("31")), ReturnOutcome::CnamAccepted);

    // The same returns through the declarant listing (windows of ≤ 60 min).
    let by_declarant = client
        .list_returns_range(
            t0 - chrono::Duration::minutes(1),
            now() + chrono::Duration::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(by_declarant.entries().count(), 4);
    let st = run.sandbox.stats();
    assert_eq!(st.deposits_accepted, 1);
    assert_eq!(st.returns_issued, 4);
    assert_eq!(st.auth_calls, 1, "the token is reused");
    run.stop().await;
}

#[tokio::test]
async fn bad_files_get_an_are_not_an_error() {
    let run = start(Scenario::default()).await;
    let client = run.client();
    let sample = signalement(&SampleStop::default());
    // Edit as text, write back as Latin-1 (every char of the sample is ≤ U+00FF).
    let bad_count: Vec<u8> = super::check::latin1(&sample)
        .replace("S90.G00.90.001,'70'", "S90.G00.90.001,'71'")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    // UTF-8 instead of Latin-1.
    let utf8 = super::check::latin1(&sample).into_bytes();
    for (file, code) in [
        (bad_count, "SBX-S90"),
        (utf8, "SBX-ENC"),
        (b"hello".to_vec(), "SBX-SYNTAXE"),
    ] {
        match client.deposit(&file).await.unwrap() {
            DepositAnswer::Rejected { rapport } => {
                assert_eq!(rapport.type_code, "ARE");
                assert!(
                    rapport.envoi.anomalies.iter().any(|a| a.code == code),
                    "{code}: {:?}",
                    rapport.envoi.anomalies
                );
            }
            other => panic!("{code}: {other:?}"),
        }
    }
    let st = run.sandbox.stats();
    assert_eq!(st.deposits_rejected, 3);
    assert_eq!(st.deposits_accepted, 0);
    run.stop().await;
}

#[tokio::test]
async fn expired_token_is_renewed_once() {
    let mut sc = Scenario::default();
    sc.faults.token_expiry_calls = 1;
    let run = start(sc).await;
    let client = run.client();
    let t = now();
    for _ in 0..3 {
        client
            .list_deposits(t - chrono::Duration::minutes(5), t)
            .await
            .unwrap();
    }
    // 1st call authenticates, then every other call gets a 401 and renews.
    assert_eq!(run.sandbox.stats().auth_calls, 3);
    run.stop().await;
}

#[tokio::test]
async fn wrong_credentials_are_permanent() {
    let sc = Scenario {
        credentials: Some(super::scenario::Credentials {
            siret: SIRET.into(),
            nom: "DUPONT".into(),
            prenom: "Anne".into(),
            password: "other".into(),
        }),
        ..Default::default()
    };
    let run = start(sc).await;
    let err = run.client().authenticate().await.unwrap_err();
    assert_eq!(err.kind(), "auth_rejected");
    assert!(!err.is_transient());
    assert!(!err.to_string().contains("s3cret-pw"));
    let mut cfg = run.config();
    cfg.siret = "123".into();
    let err = NetEntClient::new(cfg)
        .unwrap()
        .authenticate()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "auth_invalid");
    run.stop().await;
}

#[tokio::test]
async fn transient_errors_are_classified() {
    let mut sc = Scenario::default();
    sc.faults.throttle_rate = 1.0;
    sc.faults.retry_after = Duration::from_secs(3);
    sc.faults.endpoints = vec!["lister-retours-flux".into()];
    let run = start(sc).await;
    let client = run.client();
    match client.list_returns_flux("AbC").await.unwrap_err() {
        NetEntError::Transient {
            kind, retry_after, ..
        } => {
            assert_eq!(kind, "throttled");
            assert_eq!(retry_after, Some(Duration::from_secs(3)));
        }
        other => panic!("{other:?}"),
    }
    run.stop().await;

    let mut sc = Scenario::default();
    sc.faults.error_5xx_rate = 1.0;
    sc.faults.endpoints = vec!["deposer-dsn".into()];
    let run = start(sc).await;
    let err = run
        .client()
        .deposit(&signalement(&SampleStop::default()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "http_5xx");
    assert!(err.deposit_may_have_landed());
    run.stop().await;

    let mut sc = Scenario::default();
    sc.faults.reset_rate = 1.0;
    sc.faults.endpoints = vec!["lister-depots".into()];
    let run = start(sc).await;
    let t = now();
    let err = run
        .client()
        .list_deposits(t - chrono::Duration::minutes(1), t)
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(err.kind(), "reset");
    run.stop().await;

    let mut sc = Scenario::default();
    sc.faults.timeout_rate = 1.0;
    sc.faults.timeout_delay = Duration::from_secs(30);
    sc.faults.endpoints = vec!["lister-depots".into()];
    let run = start(sc).await;
    let mut cfg = run.config();
    cfg.request_timeout = Duration::from_millis(300);
    let client = NetEntClient::new(cfg).unwrap();
    let err = client
        .list_deposits(t - chrono::Duration::minutes(1), t)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "timeout");
    // Shutdown does not wait for the held request's 30 s.
    run.stop().await;
}

#[tokio::test]
async fn permanent_errors_and_untrusted_urls() {
    let run = start(Scenario::default()).await;
    let client = run.client();
    let err = client
        .download_bpij("https://evil.example/telecharger-bpij/1.0/x")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "untrusted_url");
    let err = client
        .download_bpij(&format!("{}telecharger-bpij/1.0/unknown", run.base))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_found");
    assert!(!err.is_transient());
    // Unknown flux: empty listing, not an error.
    assert!(
        client
            .list_returns_flux("Unknown")
            .await
            .unwrap()
            .flux
            .is_empty()
    );
    let t = now();
    assert_eq!(
        client
            .list_deposits(t - chrono::Duration::minutes(61), t)
            .await
            .unwrap_err()
            .kind(),
        "window_too_large"
    );
    run.stop().await;
}

#[tokio::test]
async fn outcomes_per_identifiant_and_nir() {
    let mut sc = fast_scenario();
    sc.outcome.rules = vec![
        OutcomeRule {
            identifiant_metier: Some("ARR-KO".into()),
            outcome: Outcome::Rejected,
            ..Default::default()
        },
        OutcomeRule {
            nir_prefix: Some("29".into()),
            outcome: Outcome::NonReconstitution,
            ..Default::default()
        },
        OutcomeRule {
            identifiant_metier: Some("ARR-PJ".into()),
            outcome: Outcome::DocumentsRequested,
            documents: vec!["BULLETIN_SALAIRE".into(), "RIB_EMPLOYEUR".into()],
            ..Default::default()
        },
    ];
    let run = start(sc).await;
    let client = run.client();
    let cases = [
        ("ARR-KO", "1850175123456", "31"),
        ("ARR-NR", "2920375123456", "21"),
        ("ARR-PJ", "1850175123456", "31"),
    ];
    for (id, nir, nature) in cases {
        let idflux = deposit_ok(
            &client,
            &signalement(&SampleStop {
                identifiant_metier: id,
                nir,
                ..Default::default()
            }),
        )
        .await;
        let (flux, entry) = poll(500, Duration::from_millis(20), || async {
            let l = client.list_returns_flux(&idflux).await.ok()?;
            l.entries()
                .find(|(_, r)| r.nature == nature)
                .map(|(f, r)| (f.to_string(), r.clone()))
        })
        .await
        .unwrap_or_else(|| panic!("{id}: no {nature}"));
        let r = Rapport::parse(&client.download_return(&flux, &entry).await.unwrap()).unwrap();
        match (id, r.outcome(Some(nature))) {
            ("ARR-KO", ReturnOutcome::CnamRejected { anomalies }) => {
                assert_eq!(anomalies[0].code, "PMNR")
            }
            ("ARR-NR", ReturnOutcome::NonReconstitution { nature, .. }) => assert_eq!(nature, "21"),
            ("ARR-PJ", ReturnOutcome::DocumentsRequested { types, .. }) => {
                assert_eq!(types, vec!["BULLETIN_SALAIRE", "RIB_EMPLOYEUR"])
            }
            (id, other) => panic!("{id}: {other:?}"),
        }
    }
    run.stop().await;
}

#[tokio::test]
async fn bpij_listing_and_download() {
    let run = start(Scenario::default()).await;
    let client = run.client();
    deposit_ok(
        &client,
        &signalement(&SampleStop {
            salaries: &[
                ("01122025", "2100.00"),
                ("01012026", "2100.00"),
                ("01022026", "2400.00"),
            ],
            ..Default::default()
        }),
    )
    .await;
    let today = now().date();
    let listing = client
        .list_bpij(today, Some(today), None, Some(1))
        .await
        .unwrap();
    assert_eq!(listing.page_total, Some(1));
    let (siret, link) = listing.links().next().expect("one BPIJ");
    assert_eq!(siret, "12345678200028");
    let slip = Bpij::parse(&client.download_bpij(&link.url).await.unwrap()).unwrap();
    assert_eq!(slip.version, "02.04");
    let s = &slip.summaries()[0];
    // (2100 + 2100 + 2400) / 91.25 / 2 = 36.16 per day, 16 days after 3 waiting days.
    assert_eq!(s.days, dec!(16));
    assert_eq!(s.gross_ij, dec!(578.56));
    assert_eq!(s.net, s.gross_ij - s.csg - s.crds);
    // Filter on another establishment: nothing.
    let other = client
        .list_bpij(today, None, Some("12345678200036"), None)
        .await
        .unwrap();
    assert_eq!(other.links().count(), 0);
    run.stop().await;
}

#[tokio::test]
async fn fault_rates_are_reproducible_with_a_seed() {
    async fn run_sequence(seed: u64) -> (Vec<String>, super::Stats) {
        let mut sc = Scenario {
            seed,
            ..Default::default()
        };
        sc.faults.error_5xx_rate = 0.3;
        sc.faults.throttle_rate = 0.2;
        sc.faults.endpoints = vec!["lister-retours-flux".into()];
        let run = start(sc).await;
        let client = run.client();
        let mut kinds = Vec::new();
        for _ in 0..20 {
            kinds.push(match client.list_returns_flux("Xyz").await {
                Ok(_) => "ok".to_string(),
                Err(e) => e.kind().to_string(),
            });
        }
        let stats = run.sandbox.stats();
        run.stop().await;
        (kinds, stats)
    }
    let (a, sa) = run_sequence(11).await;
    let (b, sb) = run_sequence(11).await;
    assert_eq!(a, b);
    assert_eq!(sa.faults_injected, sb.faults_injected);
    assert!(a.iter().any(|k| k == "http_5xx") && a.iter().any(|k| k == "throttled"));
    assert!(a.iter().any(|k| k == "ok"));
    let (c, _) = run_sequence(12).await;
    assert_ne!(a, c);
}

#[tokio::test]
async fn stats_over_http_show_duplicates_and_reconciliation_finds_the_deposit() {
    let run = start(Scenario::default()).await;
    let client = run.client();
    let sent_at = now();
    let file = signalement(&SampleStop {
        identifiant_metier: "ARR-REC",
        ..Default::default()
    });
    let idflux = deposit_ok(&client, &file).await;
    let found = client
        .find_deposit(sent_at, chrono::Duration::minutes(2), "ARR-REC")
        .await
        .unwrap();
    assert_eq!(found, Reconciliation::Found { idflux });
    let none = client
        .find_deposit(
            sent_at - chrono::Duration::hours(3),
            chrono::Duration::minutes(2),
            "ARR-REC",
        )
        .await
        .unwrap();
    assert_eq!(none, Reconciliation::NotFound);

    deposit_ok(&client, &file).await;
    let http = reqwest::Client::builder()
        .tls_certs_only(
            reqwest::Certificate::from_pem_bundle(&std::fs::read(&run.ca_file).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let body = http
        .get(format!("{}sandbox/stats", run.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(stats["deposits_per_identifiant_metier"]["ARR-REC"], 2);
    assert_eq!(stats["duplicates"][0], "ARR-REC");
    run.stop().await;
}

#[tokio::test]
async fn overwritten_return_keeps_its_id() {
    let run = start(Scenario::default()).await;
    let client = run.client();
    let idflux = deposit_ok(&client, &signalement(&SampleStop::default())).await;
    let before = client.list_returns_flux(&idflux).await.unwrap();
    let (_, r11) = before.entries().find(|(_, r)| r.nature == "11").unwrap();
    assert!(
        run.sandbox
            .overwrite_return(&idflux, "11", "KO", b"<x/>".to_vec())
    );
    let after = client.list_returns_flux(&idflux).await.unwrap();
    let (_, n11) = after.entries().find(|(_, r)| r.nature == "11").unwrap();
    assert_eq!(n11.id, r11.id);
    assert_eq!(n11.statut, "KO");
    assert!(!run.sandbox.overwrite_return(&idflux, "99", "KO", vec![]));
    run.stop().await;
}

#[tokio::test]
async fn supporting_document_upload() {
    let run = start(Scenario::default()).await;
    let client = run.client();
    let form = PjForm {
        id_envoi: "ENV-0001".into(),
        siret_declare: "12345678200028".into(),
        nir: ijgate::model::nir::RawNir::new("185017512345612"),
        nature_absence: "MALADIE".into(),
        origine: "DSIJ_DSN".into(),
        dernier_jour_travaille: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        motif: "METIER".into(),
        type_pieces: "BULLETIN_SALAIRE".into(),
        commentaire: None,
        file_name: "bulletin.pdf".into(),
    };
    let ok = client
        .upload_supporting_document(&form, b"%PDF-1.4\n...".to_vec())
        .await
        .unwrap();
    assert_eq!(ok["codeRetour"], "200");
    let ko = client
        .upload_supporting_document(&form, b"not a pdf".to_vec())
        .await
        .unwrap();
    assert_eq!(ko["codeRetour"], "400");
    assert_eq!(ko["rapportRejet"][0]["codeRejet"], "CTL-PJ-FOR");
    assert_eq!(run.sandbox.stats().pj_uploads, 2);
    run.stop().await;
}

#[tokio::test]
async fn gzip_is_mandatory_and_stats_are_outside_the_api() {
    let run = start(Scenario::default()).await;
    let http = reqwest::Client::builder()
        .tls_certs_only(
            reqwest::Certificate::from_pem_bundle(&std::fs::read(&run.ca_file).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let r = http
        .get(format!("{}lister-retours-flux/2.0/X", run.base))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 406);
    // The deposit refuses a body that is not gzip-encoded.
    let client = run.client();
    client.authenticate().await.unwrap();
    let r = http
        .post(format!("{}deposer-dsn/2.0/", run.base))
        .header("content-type", "text/plain")
        .body("S10.G00.00.001,'X'")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let r = http
        .get(format!("{}sandbox/stats", run.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    run.stop().await;
}

#[tokio::test]
async fn http1_only_peer_and_connection_reset_on_deposit() {
    let mut sc = Scenario::default();
    sc.faults.reset_rate = 1.0;
    sc.faults.endpoints = vec!["deposer-dsn".into()];
    let run = start_with(Sandbox::new(sc), &[b"http/1.1"]).await;
    let client = run.client();
    client.authenticate().await.unwrap();
    let err = client
        .deposit(&signalement(&SampleStop::default()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "reset", "{err:?}");
    assert!(err.deposit_may_have_landed());
    // The connection was dropped, not the server: other calls still work over HTTP/1.1.
    assert!(
        client
            .list_returns_flux("Xyz")
            .await
            .unwrap()
            .flux
            .is_empty()
    );
    run.stop().await;
}

#[tokio::test]
async fn range_listing_keeps_boundary_returns_once() {
    // A frozen clock: the deposit and its immediate returns share one second, which is
    // also the boundary between two 60-minute windows.
    let t = ijgate::formats::listing::parse_ts("20261125100000").unwrap();
    let clock: super::Clock = std::sync::Arc::new(move || t);
    let run = start_with(
        Sandbox::with_clock(Scenario::default(), clock),
        &[b"h2", b"http/1.1"],
    )
    .await;
    let client = run.client();
    deposit_ok(&client, &signalement(&SampleStop::default())).await;
    let one = client
        .list_returns_declarant(t - chrono::Duration::minutes(60), t)
        .await
        .unwrap();
    let two = client
        .list_returns_declarant(t, t + chrono::Duration::minutes(60))
        .await
        .unwrap();
    assert_eq!(one.entries().count(), 3);
    assert_eq!(two.entries().count(), 3);
    let merged = client
        .list_returns_range(
            t - chrono::Duration::minutes(60),
            t + chrono::Duration::minutes(60),
        )
        .await
        .unwrap();
    assert_eq!(natures(&merged), vec!["10", "11", "30"]);
    run.stop().await;
}

#[tokio::test]
async fn only_the_configured_ca_is_trusted() {
    let run = start(Scenario::default()).await;
    let (other_ca, _, _) = dev_certificates(&["localhost"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.pem");
    std::fs::write(&path, other_ca).unwrap();
    let mut cfg = run.config();
    cfg.ca_file = Some(path);
    let err = NetEntClient::new(cfg)
        .unwrap()
        .authenticate()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "tls", "{err:?}");
    assert!(!err.is_transient());
    let mut cfg = run.config();
    cfg.ca_file = Some(dir.path().join("missing.pem"));
    assert_eq!(NetEntClient::new(cfg).unwrap_err().kind(), "config");
    // Nothing listening: a transient connect error.
    let mut cfg = run.config();
    cfg.auth_url = "https://127.0.0.1:1/authentifier/1.0/".into();
    let err = NetEntClient::new(cfg)
        .unwrap()
        .authenticate()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "connect", "{err:?}");
    assert!(err.is_transient());
    run.stop().await;
}

/// Knob `listing_lag`: a deposit is absent from lister-depots until the lag has passed, then
/// listed (reconciliation must not take "absent" for "never deposited" too early).
#[tokio::test]
async fn listing_lag_hides_a_fresh_deposit() {
    let mut sc = fast_scenario();
    sc.listing_lag = Duration::from_millis(1500);
    let run = start(sc).await;
    let client = run.client();
    let t0 = now() - chrono::Duration::minutes(1);
    let idflux = deposit_ok(&client, &signalement(&SampleStop::default())).await;
    let listed =
        |l: &ijgate::formats::listing::DepositsListing| l.depots.iter().any(|d| d.idflux == idflux);
    let first = client
        .list_deposits(t0, now() + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert!(!listed(&first), "listed before the lag");
    let later = poll(60, Duration::from_millis(100), || async {
        let l = client
            .list_deposits(t0, now() + chrono::Duration::minutes(1))
            .await
            .ok()?;
        listed(&l).then_some(l)
    })
    .await
    .expect("listed after the lag");
    assert!(later.depots.iter().any(|d| d.statut == "OK"));
    run.stop().await;
}

/// Knob `deposit_status_ko_ratio`: refused deposits (ARE) are listed with statut "KO".
#[tokio::test]
async fn ko_ratio_refuses_and_lists_ko() {
    let mut sc = fast_scenario();
    sc.deposit_status_ko_ratio = 1.0;
    let run = start(sc).await;
    let client = run.client();
    let t0 = now() - chrono::Duration::minutes(1);
    match client
        .deposit(&signalement(&SampleStop::default()))
        .await
        .unwrap()
    {
        DepositAnswer::Rejected { .. } => {}
        other => panic!("expected an ARE, got {other:?}"),
    }
    let l = client
        .list_deposits(t0, now() + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(l.depots.len(), 1);
    assert_eq!(l.depots[0].statut, "KO");
    assert_eq!(run.sandbox.stats().deposits_accepted, 0);
    run.stop().await;
}

/// Knob `clock_skew`: the peer timestamps deposits in its own (late) clock and reads window
/// bounds in it; a window around our "now" misses the deposit, one around the peer's finds it.
#[tokio::test]
async fn clock_skew_shifts_timestamps_and_windows() {
    let mut sc = fast_scenario();
    sc.clock_skew = -3600;
    let run = start(sc).await;
    let client = run.client();
    let idflux = deposit_ok(&client, &signalement(&SampleStop::default())).await;
    let ours = now();
    let near_us = client
        .list_deposits(
            ours - chrono::Duration::minutes(10),
            ours + chrono::Duration::minutes(1),
        )
        .await
        .unwrap();
    assert!(near_us.depots.iter().all(|d| d.idflux != idflux));
    let peer = ours - chrono::Duration::hours(1);
    let near_peer = client
        .list_deposits(
            peer - chrono::Duration::minutes(10),
            peer + chrono::Duration::minutes(1),
        )
        .await
        .unwrap();
    let d = near_peer
        .depots
        .iter()
        .find(|d| d.idflux == idflux)
        .expect("listed in the peer's frame");
    let at = d.date.unwrap();
    assert!((at - peer).num_seconds().abs() < 120, "{at} vs {peer}");
    run.stop().await;
}

/// Knob `not_enrolled`: authentication works, every service answers the "non-inscrit" realm,
/// which the client reports as a permanent `not_enrolled` without renewing in a loop.
#[tokio::test]
async fn not_enrolled_declarant_is_refused_permanently() {
    let mut sc = fast_scenario();
    sc.not_enrolled = vec![SIRET.to_string()];
    let run = start(sc).await;
    let client = run.client();
    let e = client
        .deposit(&signalement(&SampleStop::default()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "not_enrolled");
    assert!(!e.is_transient());
    assert!(!e.deposit_may_have_landed());
    assert_eq!(run.sandbox.stats().auth_calls, 1);
    assert_eq!(run.sandbox.stats().deposits_accepted, 0);
    run.stop().await;
}
