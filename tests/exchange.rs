//! The CPAM exchange end to end with the real binary and the sandbox net-entreprises peer:
//! CSV drop → AEE → CNAM business report; reprise, modification, annulation; outcomes;
//! faults and token expiry.

mod common;

use common::*;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(30);

fn exchange_site(scenario: &str) -> Site {
    let site = Site::new(FAST_EXCHANGE);
    std::fs::write(site.path("scenario.toml"), scenario).unwrap();
    site
}

fn stats(site: &Site, d: &Daemon) -> serde_json::Value {
    sandbox_stats(d.sandbox_addr().unwrap(), &site.path("var/sandbox-ca.pem"))
}

fn received(site: &Site, d: &Daemon) -> Vec<serde_json::Value> {
    stats(site, d)["received"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn csv_drop_gives_aee_at_once_then_the_cnam_business_report() {
    let site = exchange_site("[delays]\n\"31\" = \"1s\"\n");
    let d = site.start();
    let t0 = Instant::now();
    site.drop_file("rh-a_one.csv", &csv(&[csv_row("E2E-1", SIRET_A)]));
    assert!(
        wait_until(T, || !notices(&site, "E2E-1", "aee").is_empty()),
        "{}",
        d.log_text()
    );
    let aee_after = t0.elapsed();
    let aee = &notices(&site, "E2E-1", "aee")[0];
    assert_eq!(aee["kind"], "AEE");
    assert_eq!(aee["status"], "OK");
    assert!(aee["idflux"].as_str().is_some_and(|s| !s.is_empty()));
    // The raw acknowledgement sits beside the notice, for the HR tool and the insurer.
    let raw = aee["raw"].as_str().unwrap();
    assert!(
        std::fs::read_to_string(site.path(&format!("spool/outbound/hr/{raw}")))
            .unwrap()
            .contains("AEE")
    );
    assert!(wait_until(T, || !site
        .files("spool/outbound/insurer")
        .is_empty()));
    assert!(
        wait_until(T, || !notices(&site, "E2E-1", "crm_cnam").is_empty()),
        "{}",
        d.log_text()
    );
    let crm = &notices(&site, "E2E-1", "crm_cnam")[0];
    assert_eq!(crm["status"], "OK");
    assert_eq!(crm["outcome"], "cnam_accepted");
    assert!(wait_until(T, || states(&site, "E2E-1")
        == vec![("arret".into(), "accepted".into())]));
    // The AEE is forwarded once (the copy in the returns listing is not forwarded again).
    assert_eq!(notices(&site, "E2E-1", "aee").len(), 1);
    let show =
        String::from_utf8_lossy(&site.cli(&["show", "--hr-ref", "E2E-1"]).stdout).to_string();
    for step in [
        "received",
        "queued",
        "depositing",
        "deposited",
        "return_30",
        "return_31",
    ] {
        assert!(show.contains(step), "{step} missing from:\n{show}");
    }
    eprintln!("drop → AEE notice: {aee_after:?}");
    assert!(aee_after < Duration::from_secs(5), "AEE took {aee_after:?}");
}

#[test]
fn reprise_modification_annulation_prolongation_and_dsij() {
    let site = exchange_site("[delays]\n\"31\" = \"0s\"\n");
    let d = site.start();
    site.drop_file(
        "rh-a_a.csv",
        &csv(&[
            csv_row("R-1", SIRET_A),
            csv_row("M-1", SIRET_A),
            csv_row("C-1", SIRET_A),
        ]),
    );
    assert!(
        wait_until(T, || received(&site, &d).len() == 3),
        "{}",
        d.log_text()
    );
    assert!(wait_until(T, || ["R-1", "M-1", "C-1"]
        .iter()
        .all(|r| states(&site, r)[0].1 == "accepted")));
    let flux_of = |ident_prefix: &str| -> Vec<serde_json::Value> {
        received(&site, &d)
            .into_iter()
            .filter(|r| {
                r["identifiant_metier"]
                    .as_str()
                    .is_some_and(|i| i.ends_with(ident_prefix))
            })
            .collect()
    };
    assert_eq!(flux_of("A").len(), 3);
    let first_flux = |hr: &str| {
        let v: serde_json::Value =
            serde_json::from_slice(&site.cli(&["show", "--hr-ref", hr, "--json"]).stdout).unwrap();
        v[0]["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["what"] == "deposited")
            .unwrap()["detail"]["idflux"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (m_flux, c_flux) = (first_flux("M-1"), first_flux("C-1"));

    // The fixture CSV header has no return_date column: JSON carries these events.
    let events = serde_json::json!([
        {"event": "reprise", "hr_ref": "R-1", "siret": SIRET_A, "nir": "1850578006084", "return_date": "2026-11-15"},
        {"event": "annulation", "hr_ref": "C-1", "siret": SIRET_A, "nir": "1850578006084"},
        {"event": "prolongation", "hr_ref": "M-1", "siret": SIRET_A, "nir": "1850578006084", "expected_end": "2026-12-15"}
    ]);
    site.drop_file("rh-a_events.json", &serde_json::to_vec(&events).unwrap());
    // A change to the deposited M-1 (new expected end): annule et remplace.
    site.drop_file(
        "rh-a_change.csv",
        &csv(&[csv_row("M-1", SIRET_A).replace(
            "20/11/2026;oui;10/11/2026;20/11/2026",
            "27/11/2026;oui;10/11/2026;27/11/2026",
        )]),
    );
    // Therapeutic part-time: not covered by the signalement.
    site.drop_file(
        "rh-a_tpt.csv",
        &csv(&[csv_row("T-1", SIRET_A).replace(";maladie;", ";tpt_maladie;")]),
    );

    assert!(
        wait_until(T, || received(&site, &d).len() == 6),
        "{:#?}\n{}",
        received(&site, &d),
        d.log_text()
    );
    let got = received(&site, &d);
    let reprise05: Vec<_> = got.iter().filter(|r| r["nature"] == "05").collect();
    assert_eq!(reprise05.len(), 1, "{got:#?}");
    let replace: Vec<_> = got.iter().filter(|r| r["type_decl"] == "03").collect();
    assert_eq!(replace.len(), 1, "{got:#?}");
    assert_eq!(replace[0]["replaces"], m_flux.as_str());
    let cancel: Vec<_> = got.iter().filter(|r| r["type_decl"] == "04").collect();
    assert_eq!(cancel.len(), 1, "{got:#?}");
    assert_eq!(cancel[0]["replaces"], c_flux.as_str());
    assert!(wait_until(T, || states(&site, "C-1")
        .iter()
        .all(|(_, s)| s == "cancelled" || s == "accepted")));
    let c = states(&site, "C-1");
    assert!(c.contains(&("arret".into(), "cancelled".into())), "{c:?}");
    assert!(states(&site, "M-1").contains(&("prolongation".into(), "recorded".into())));
    assert_eq!(
        states(&site, "T-1"),
        vec![("arret".into(), "dsij_fallback".into())]
    );
    // Nothing was deposited twice.
    assert_eq!(
        stats(&site, &d)["duplicates"].as_array().map(|a| a.len()),
        Some(0)
    );
}

#[test]
fn business_outcomes_are_forwarded_and_set_the_state() {
    let site = exchange_site(
        r#"
[delays]
"31" = "0s"
[[outcome.rules]]
nir_prefix = "285"
outcome = "rejected"
anomalies = [{ code = "PMNR", message = "Période de maintien de salaire non renseignée" }]
[[outcome.rules]]
nir_prefix = "190"
outcome = "non_reconstitution"
"#,
    );
    let d = site.start();
    let ko = serde_json::json!([
        super_decl("KO-1", "2850578006048", "F", "1985-05-12"),
        super_decl("NR-1", "1900175123456", "M", "1990-01-20"),
    ]);
    site.drop_file("rh-a_out.json", &serde_json::to_vec(&ko).unwrap());
    assert!(
        wait_until(T, || states(&site, "KO-1")
            == vec![("arret".into(), "refused".into())]),
        "{}",
        d.log_text()
    );
    assert!(wait_until(T, || !notices(&site, "KO-1", "crm_cnam").is_empty()));
    let crm = notices(&site, "KO-1", "crm_cnam");
    assert_eq!(crm[0]["status"], "KO");
    assert_eq!(crm[0]["anomalies"][0]["code"], "PMNR");
    assert!(wait_until(T, || states(&site, "NR-1")
        == vec![("arret".into(), "dsij_fallback".into())]));
    assert!(wait_until(T, || !notices(
        &site,
        "NR-1",
        "non_reconstitution"
    )
    .is_empty()));
}

fn super_decl(hr: &str, nir: &str, sex: &str, birth: &str) -> serde_json::Value {
    with_identity(serde_json::json!({
        "event": "arret", "hr_ref": hr, "siret": SIRET_A, "nir": nir, "last_name": "Martin", "first_names": "Claire",
        "birth_date": birth, "sex": sex, "contract_number": "C2", "contract_start": "2016-03-01", "reason": "maladie",
        "last_day_worked": "2026-11-09", "expected_end": "2026-11-20"
    }))
}

#[test]
fn thirty_percent_faults_and_token_expiry_still_deposit_each_once() {
    let site = Site::new(&format!(
        "{FAST_EXCHANGE}\n[admin]\nenabled = true\nlisten = \"127.0.0.1:0\"\n"
    ));
    std::fs::write(
        site.path("scenario.toml"),
        r#"
seed = 11
[delays]
"31" = "0s"
[faults]
error_5xx_rate = 0.15
reset_rate = 0.05
throttle_rate = 0.05
timeout_rate = 0.05
timeout_delay = "4s"
retry_after = "200ms"
token_expiry_calls = 7
"#,
    )
    .unwrap();
    let d = site.start();
    let rows: Vec<String> = (0..40)
        .map(|i| csv_row(&format!("F-{i:03}"), SIRET_A))
        .collect();
    site.drop_file("rh-a_faults.csv", &csv(&rows));
    let done = |site: &Site| {
        let s = site.status();
        s["declarations_by_state"]["accepted"].as_i64() == Some(40)
    };
    assert!(
        wait_until(Duration::from_secs(120), || done(&site)),
        "{}\n{}",
        site.status(),
        d.log_text()
    );
    let st = stats(&site, &d);
    let per = st["deposits_per_identifiant_metier"].as_object().unwrap();
    assert_eq!(per.len(), 40, "{st:#}");
    assert!(per.values().all(|v| v == 1), "{st:#}");
    assert_eq!(st["duplicates"].as_array().unwrap().len(), 0);
    let faults: u64 = st["faults_injected"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    assert!(faults > 5, "the scenario must really inject faults: {st:#}");
    assert!(
        st["auth_calls"].as_u64().unwrap() > 1,
        "the token expired and was renewed: {st:#}"
    );
    // Every failed deposit call is counted by kind.
    let (status, body) = http_get(d.admin.unwrap(), "/metrics", None).unwrap();
    assert_eq!(status, 200);
    let failures: u64 = body
        .lines()
        .filter(|l| l.starts_with("ijgate_deposit_failures_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert!(failures > 0, "{body}");
    // The same scrape parses as Prometheus text, and the exchange's other failures (listing
    // calls under injected faults) are counted by error kind.
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).unwrap();
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "ijgate_deposit_failures_total"),
        "{body}"
    );
}

#[test]
fn permanent_failure_then_operator_retry() {
    // The sandbox refuses our credentials: a permanent error, the deposit ends in `failed`.
    let site = exchange_site(
        "[credentials]\nsiret = \"12345678200010\"\nnom = \"SOMEONE\"\nprenom = \"Else\"\npassword = \"x\"\n[delays]\n\"31\" = \"0s\"\n",
    );
    let mut d = site.start();
    site.drop_file("rh-a_p.csv", &csv(&[csv_row("P-1", SIRET_A)]));
    assert!(
        wait_until(T, || states(&site, "P-1")
            == vec![("arret".into(), "failed".into())]),
        "{}",
        d.log_text()
    );
    assert!(wait_until(T, || !notices(&site, "P-1", "deposit_failed").is_empty()));
    assert_eq!(d.stop(), Some(0));
    // The operator fixes the configuration (here: the peer accepts anyone) and retries.
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    let d = site.start();
    let id = {
        let v: serde_json::Value =
            serde_json::from_slice(&site.cli(&["show", "--hr-ref", "P-1", "--json"]).stdout)
                .unwrap();
        v[0]["id"].as_i64().unwrap().to_string()
    };
    let o = site.cli(&["retry", &id]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        wait_until(T, || states(&site, "P-1")
            == vec![("arret".into(), "accepted".into())]),
        "{}",
        d.log_text()
    );
    // Retrying something that did not fail is refused with a reason.
    let o = site.cli(&["retry", &id]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("only a failed or rejected deposit"));
}

/// Issue 10 item 4: an essai file (`test_files = true`) is checked by the peer (10, 11) and
/// never reaches the CNAM (no 30/31, no BPIJ), as the real service; every notice, `show` and
/// the insurer message say `test`. Issue 10 item 2: the file carries the required rubrics
/// (the sandbox answers a CCO, not a BAN).
#[test]
fn essai_file_gets_10_and_11_only_and_every_notice_says_test() {
    let site = Site::new(&format!(
        "{FAST_EXCHANGE}[declarant]\nname = \"Paie\"\ncontact_name = \"Service paie\"\ncontact_email = \"paie@a.invalid\"\ncontact_phone = \"0102030406\"\ntest_files = true\n"
    ));
    std::fs::write(
        site.path("scenario.toml"),
        "[delays]\n\"30\" = \"0s\"\n\"31\" = \"0s\"\n[bpij]\nenabled = true\n",
    )
    .unwrap();
    let d = site.start();
    site.drop_file("rh-a_essai.csv", &csv(&[csv_row("ESSAI-1", SIRET_A)]));
    assert!(
        wait_until(T, || !notices(&site, "ESSAI-1", "cco").is_empty()),
        "{}",
        d.log_text()
    );
    let aee = &notices(&site, "ESSAI-1", "aee")[0];
    assert_eq!(aee["test"], true, "{aee}");
    assert_eq!(notices(&site, "ESSAI-1", "cco")[0]["test"], true);
    // Even the first notice, written before any file is built.
    assert_eq!(notices(&site, "ESSAI-1", "received")[0]["test"], true);
    // The peer published every return of this flux at once (delays 0): 10 and 11 only.
    let idflux = aee["idflux"].as_str().unwrap().to_string();
    let st = stats(&site, &d);
    assert_eq!(st["deposits_accepted"], 1, "{st}");
    assert_eq!(st["bpij_issued"], 0, "{st}");
    // Returns are created at deposit time (published after their delay): 10 and 11 only.
    assert_eq!(st["returns_created"], 2, "{st}");
    let show: serde_json::Value =
        serde_json::from_slice(&site.cli(&["show", "--hr-ref", "ESSAI-1", "--json"]).stdout)
            .unwrap();
    assert_eq!(show[0]["test"], true);
    let text =
        String::from_utf8_lossy(&site.cli(&["show", "--hr-ref", "ESSAI-1"]).stdout).to_string();
    assert!(text.contains("TEST"), "{text}");
    // Once the 11 is in, polling goes on; a 30/31 would be published with it (delay 0).
    assert!(notices(&site, "ESSAI-1", "ar_cnam").is_empty());
    assert!(notices(&site, "ESSAI-1", "crm_cnam").is_empty());
    assert!(!idflux.is_empty());
    // The insurer copy of the notices is marked too.
    let insurer_aee = || {
        site.files("spool/outbound/insurer")
            .into_iter()
            .find(|f| f.starts_with("ESSAI-1_aee_") && f.ends_with(".json"))
    };
    assert!(wait_until(T, || insurer_aee().is_some()));
    let copy: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path(&format!(
            "spool/outbound/insurer/{}",
            insurer_aee().unwrap()
        )))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(copy["test"], true);
}
