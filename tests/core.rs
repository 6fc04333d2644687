//! Core daemon, end to end with the real binary: spool inputs (CSV, Latin-1 CSV, JSON), the
//! mTLS web service and its refusals, idempotency, graceful stop.

mod common;

use common::*;
use ijgate::channels::mtls_client::{MtlsClient, client_config};
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

#[test]
fn mixed_csv_journals_good_rows_and_reports_bad_ones() {
    let site = Site::new("");
    let mut d = site.start();
    let bad = csv_row("AT-BAD", SIRET_A)
        .replace("1850578006084", "185057800608492")
        .replace("09/11/2026;20/11/2026;oui", "31/11/2026;20/11/2026;oui");
    let csv = format!(
        "{CSV_HEADER}\n{}\n{}\n{}\n",
        csv_row("AT-1", SIRET_A),
        bad,
        csv_row("AT-2", SIRET_A)
    );
    site.drop_file("mixed.csv", csv.as_bytes());
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 1),
        "{}",
        d.log_text()
    );
    assert!(wait_until(T, || site.files("spool/outbound/hr").len() == 3));
    assert_eq!(site.count_in_state("validated"), 2);
    assert_eq!(
        site.files("spool/rejected"),
        vec!["mixed.csv", "mixed.csv.errors.json"]
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path("spool/rejected/mixed.csv.errors.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["accepted"], 2);
    assert_eq!(report["rejected"], 1);
    let errors = report["errors"].as_array().unwrap();
    let fields: Vec<&str> = errors
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"nir") && fields.contains(&"last_day_worked"),
        "{errors:?}"
    );
    assert!(errors.iter().all(|e| e["line"] == 3), "{errors:?}");
    // The NIR is never written whole in a report.
    assert!(
        !String::from_utf8_lossy(
            &std::fs::read(site.path("spool/rejected/mixed.csv.errors.json")).unwrap()
        )
        .contains("185057800608492")
    );
    // The rejected extract holds the header and the bad line only.
    let extract = std::fs::read_to_string(site.path("spool/rejected/mixed.csv")).unwrap();
    assert_eq!(extract.lines().count(), 2);
    assert!(extract.contains("AT-BAD"));
    let notices = site.files("spool/outbound/hr");
    assert!(
        notices.iter().any(|n| n.starts_with("AT-BAD_rejected_")),
        "{notices:?}"
    );
    assert!(
        notices.iter().any(|n| n.starts_with("AT-1_received_")),
        "{notices:?}"
    );
    assert_eq!(d.stop(), Some(0));
}

#[test]
fn latin1_csv_json_and_column_mapping() {
    let site = Site::new("");
    let d = site.start();
    // Windows-1252 / Latin-1 bytes, comma separator, the client's own column title for the NIR.
    let id = CSV_IDENTITY.replace(';', ",");
    let id_header = CSV_HEADER
        .rsplit(";salary_3;")
        .next()
        .unwrap()
        .replace(';', ",");
    let mut bytes = format!("event,hr_ref,siret,Matricule S\u{e9}cu,last_name,first_names,birth_date,sex,contract_number,contract_start,reason,last_day_worked,expected_end,subrogation,{id_header}\n").chars().map(|c| c as u8).collect::<Vec<u8>>();
    bytes.extend_from_slice(b"arret,LAT-1,12345678200010,1850578006084,H\xe9l\xe8ne-Fran\xe7ois,Ga\xebl,12/05/1985,M,C9,2015-01-05,accident_travail,2026-11-09,2026-11-30,non,");
    bytes.extend_from_slice(format!("{id}\n").as_bytes());
    bytes.extend_from_slice(b"arret,LAT-2,12345678200010,1850578006084,L\x92\xc9toile,Jean,12/05/1985,M,C9,2015-01-05,01,2026-11-09,2026-11-30,non,");
    bytes.extend_from_slice(format!("{id}\n").as_bytes());
    site.drop_file("rh-a_latin1.csv", &bytes);
    let json = serde_json::to_vec(&vec![
        json_decl("JS-1", SIRET_A),
        json_decl("JS-2", SIRET_B),
    ])
    .unwrap();
    site.drop_file("batch.json", &json);
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 2),
        "{}",
        d.log_text()
    );
    // LAT-1 lacks the accident date required for a work accident: located error, line 2.
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path("spool/rejected/rh-a_latin1.csv.errors.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["errors"][0]["field"], "accident_date");
    assert_eq!(report["errors"][0]["line"], 2);
    let out = site.cli(&["show", "--hr-ref", "LAT-2", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // ’ (0x92 in Windows-1252) became an apostrophe; É kept.
    assert_eq!(v[0]["payload"]["employee"]["last_name"], "L'Étoile");
    assert_eq!(site.count_in_state("validated"), 3);
    let out = site.cli(&["show", "--hr-ref", "JS-2"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("received"));
}

#[test]
fn same_file_content_twice_is_one_declaration_and_changes_are_modifications() {
    let site = Site::new("");
    let d = site.start();
    let csv = format!("{CSV_HEADER}\n{}\n", csv_row("AT-9", SIRET_A));
    site.drop_file("one.csv", csv.as_bytes());
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 1),
        "{}",
        d.log_text()
    );
    site.drop_file("one-again.csv", csv.as_bytes());
    assert!(wait_until(T, || site.files("spool/archive").len() == 2));
    let changed = csv
        .replace("20/11/2026;oui", "25/11/2026;oui")
        .replace("10/11/2026;20/11/2026", "10/11/2026;25/11/2026");
    site.drop_file("one-changed.csv", changed.as_bytes());
    assert!(wait_until(T, || site.files("spool/archive").len() == 3));
    let s = site.status();
    assert_eq!(s["declarations_total"], 1, "{s}");
    let out = site.cli(&["show", "--hr-ref", "AT-9", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["revision"], 2);
    let whats: Vec<&str> = v[0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        whats.iter().filter(|w| **w == "received").count(),
        1,
        "{whats:?}"
    );
    assert!(whats.contains(&"modified"), "{whats:?}");
}

fn client(site: &Site, addr: std::net::SocketAddr, who: Option<&str>) -> MtlsClient {
    let ca = site.path("certs/ca.pem");
    let (c, k) = who
        .map(|w| {
            (
                site.path(&format!("certs/client-{w}.pem")),
                site.path(&format!("certs/client-{w}.key")),
            )
        })
        .unzip();
    let tls = client_config(&ca, c.as_deref().zip(k.as_deref())).unwrap();
    MtlsClient::new(addr, "localhost", tls).unwrap()
}

#[test]
fn web_service_mtls_allow_list_and_idempotency() {
    let site = Site::new("");
    let d = site.start();
    let addr = d.addr.unwrap();
    // A certificate from our CA for an identity that is not in the allow-list.
    ijgate::channels::tls::generate_dev(&site.path("certs"), &["stranger".into()]).unwrap();
    // A client certificate from another CA.
    let rogue = site.path("rogue");
    ijgate::channels::tls::generate_dev(&rogue, &["rh-a".into()]).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let a = client(&site, addr, Some("rh-a"));
        let body = serde_json::to_vec(&json_decl("API-1", SIRET_A)).unwrap();
        let r = a
            .request("POST", "/v1/stoppages", Some(body.clone()))
            .await
            .unwrap();
        assert_eq!(r.status, 202, "{:?}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        assert_eq!(r.json()["outcome"], "created");
        // Same submission twice: same id, no second declaration.
        let r2 = a
            .request("POST", "/v1/stoppages", Some(body))
            .await
            .unwrap();
        assert_eq!(r2.status, 202);
        assert_eq!(r2.json()["id"].as_i64(), Some(id));
        assert_eq!(r2.json()["outcome"], "duplicate");
        // Read back: state and history.
        let g = a
            .request("GET", &format!("/v1/stoppages/{id}"), None)
            .await
            .unwrap();
        assert_eq!(g.status, 200);
        assert_eq!(g.json()["state"], "validated");
        assert!(g.json()["history"].as_array().unwrap().len() >= 2);
        let l = a
            .request("GET", "/v1/stoppages?hr_ref=API-1", None)
            .await
            .unwrap();
        assert_eq!(l.json()["declarations"].as_array().unwrap().len(), 1);
        // Another client does not see it.
        let b = client(&site, addr, Some("rh-b"));
        assert_eq!(
            b.request("GET", &format!("/v1/stoppages/{id}"), None)
                .await
                .unwrap()
                .status,
            404
        );
        // rh-a declaring for employer B: 403 with a JSON reason.
        let r = a
            .request(
                "POST",
                "/v1/stoppages",
                Some(serde_json::to_vec(&json_decl("API-2", SIRET_B)).unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403);
        assert_eq!(r.content_type.as_deref(), Some("application/problem+json"));
        assert_eq!(r.json()["type"], "urn:ijgate:problem:forbidden-siret");
        // Invalid: every field error listed, 422.
        let mut bad = json_decl("API-3", SIRET_A);
        bad["nir"] = "123".into();
        bad["expected_end"] = "2026-13-01".into();
        let r = a
            .request(
                "POST",
                "/v1/stoppages",
                Some(serde_json::to_vec(&bad).unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422);
        let fields: Vec<String> = r.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert!(
            fields.contains(&"nir".into()) && fields.contains(&"expected_end".into()),
            "{fields:?}"
        );
        // Known CA, unknown identity: 403 (not a dropped connection).
        let s = client(&site, addr, Some("stranger"));
        let r = s
            .request("GET", "/v1/stoppages?hr_ref=API-1", None)
            .await
            .unwrap();
        assert_eq!(r.status, 403);
        assert_eq!(r.json()["type"], "urn:ijgate:problem:unknown-client");
        // No certificate: the TLS handshake is refused.
        let none = client(&site, addr, None);
        assert!(none.request("GET", "/openapi.json", None).await.is_err());
        // Certificate from another CA: refused too.
        let tls = client_config(
            &site.path("certs/ca.pem"),
            Some((
                &rogue.join("client-rh-a.pem"),
                &rogue.join("client-rh-a.key"),
            )),
        )
        .unwrap();
        let r = MtlsClient::new(addr, "localhost", tls).unwrap();
        assert!(r.request("GET", "/openapi.json", None).await.is_err());
        // The OpenAPI document is served and is the committed one.
        let o = a.request("GET", "/openapi.json", None).await.unwrap();
        assert_eq!(o.json()["openapi"], "3.1.0");
    });
    assert_eq!(site.status()["declarations_total"], 1);
}

#[test]
fn check_config_lists_every_problem_and_exits_78() {
    let site = Site::new("");
    std::fs::write(
        &site.config,
        "[daemon]\nlog_format = \"xml\"\n[api]\nenabled = false\n[[employers]]\nsiret = \"12345678200011\"\nname = \"\"\n",
    )
    .unwrap();
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    let err = String::from_utf8_lossy(&o.stderr);
    // Three mistakes, plus the missing netent.mode (no silent default).
    assert!(err.contains("4 problem(s)"), "{err}");
    assert!(err.contains("netent.mode: required"), "{err}");
    std::fs::write(&site.config, "[daemon]\nnot_a_key = 1\n").unwrap();
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not_a_key"));
}

#[test]
fn files_and_folders_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new("");
    let d = site.start();
    site.drop_file(
        "p.csv",
        format!("{CSV_HEADER}\n{}\n", csv_row("P-1", SIRET_A)).as_bytes(),
    );
    assert!(
        wait_until(T, || site.files("spool/outbound/hr").len() == 1),
        "{}",
        d.log_text()
    );
    let mode = |p: &str| {
        std::fs::metadata(site.path(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("spool/outbound/hr"), 0o700);
    assert_eq!(mode("spool/archive"), 0o700);
    assert_eq!(mode("var/ijgate.db"), 0o600);
    assert_eq!(mode("certs/server.key"), 0o600);
    let notice = &site.files("spool/outbound/hr")[0];
    assert_eq!(mode(&format!("spool/outbound/hr/{notice}")), 0o600);
    // The log never carries a whole NIR.
    assert!(!d.log_text().contains("1850578006084"));
}

#[test]
fn dsn_signalement_file_is_read_into_the_same_model() {
    let site = Site::new("");
    let d = site.start();
    // ijgate's own golden signalement, moved to employer A (same lengths: the S90 total holds).
    let golden = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/signalement/arret_normal.dsn"
    ))
    .unwrap();
    let latin1: String = golden.iter().map(|&b| char::from(b)).collect();
    let text: Vec<u8> = latin1
        .replace("'732829320'", "'123456782'")
        .replace("'00074'", "'00010'")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    site.drop_file("paie.dsn", &text);
    // And a broken one (wrong S90 total): refused whole with the located error.
    let broken: Vec<u8> = text
        .iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .replace("S90.G00.90.001,'71'", "S90.G00.90.001,'70'")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    site.drop_file("broken.dsn", &broken);
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 1
            && site.files("spool/rejected").len() == 2),
        "{}",
        d.log_text()
    );
    let v: serde_json::Value = serde_json::from_slice(
        &site
            .cli(&["show", "--hr-ref", "IJ000000042A01", "--json"])
            .stdout,
    )
    .unwrap();
    assert_eq!(v[0]["event"], "arret");
    assert_eq!(v[0]["payload"]["employee"]["last_name"], "Müller");
    assert_eq!(
        v[0]["payload"]["subrogation"]["iban"],
        "FR7630006000011234567890189"
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path("spool/rejected/broken.dsn.errors.json")).unwrap(),
    )
    .unwrap();
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == "S90.G00.90.001" && e["line"].as_u64().is_some()),
        "{report}"
    );
}

#[test]
fn dsn_lots_in_inbound_dsn_are_analysed_for_the_insurer() {
    let site = Site::new("[dsn]\nsettle_time = \"200ms\"\n");
    let d = site.start();
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/neodes/open-neodes_sample_dsn_P25V01.dsn"
    ))
    .unwrap();
    let inbound = site.path("spool/inbound/dsn");
    std::fs::write(inbound.join(".lot.part"), &sample).unwrap();
    std::fs::rename(inbound.join(".lot.part"), inbound.join("lot769608.dsn")).unwrap();
    assert!(
        wait_until(T, || site.files("spool/archive/dsn").len() == 1),
        "{}",
        d.log_text()
    );
    let out = site.files("spool/outbound/insurer/calls");
    assert!(out.iter().any(|n| n.ends_with(".crm.xml")), "{out:?}");
    assert!(out.iter().any(|n| n == "lot769608.calls.csv"), "{out:?}");
    assert!(out.iter().any(|n| n == "lot769608.report.json"), "{out:?}");
    // Both roles: the lot's stoppages are unknown to this gateway's journal (JDSN01).
    let check: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path("spool/outbound/insurer/calls/lot769608.journal-check.json"))
            .unwrap(),
    )
    .unwrap();
    let findings = check["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{check}");
    assert!(
        findings
            .iter()
            .all(|f| f["code"] == "JDSN01" && f["line"].as_u64().is_some())
    );
}

#[test]
fn a_slow_copy_is_taken_only_once_complete() {
    use std::io::Write;
    let site = Site::new("");
    let d = site.start();
    // A writer that copies in place (no rename), pausing longer than the settle time while the
    // file is still open: ijgate must wait for the close, not read half a file.
    let rows: Vec<String> = (0..40)
        .map(|i| csv_row(&format!("SLOW-{i:02}"), SIRET_A))
        .collect();
    let body = csv(&rows);
    let (first, rest) = body.split_at(body.len() / 2);
    let path = site.inbound().join("slow.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(first).unwrap();
    f.flush().unwrap();
    // The writer stalls (network copy): three settle periods with the file open.
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        site.files("spool/archive").is_empty() && site.files("spool/rejected").is_empty(),
        "taken while still open"
    );
    f.write_all(rest).unwrap();
    drop(f);
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 1),
        "{}",
        d.log_text()
    );
    assert!(site.files("spool/rejected").is_empty());
    assert_eq!(site.status()["declarations_total"], 40);
}

/// Issue 10 items 2 and 7: in remote mode, a declarant/employer configuration that cannot
/// produce a complete signalement is refused by `check-config` and by the daemon's start
/// (exit 78), every missing key listed at once; essai files in remote mode are a warning.
#[test]
fn remote_mode_refuses_an_incomplete_identity_with_every_key() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new("");
    let pw = site.path("netent.password");
    std::fs::write(&pw, "secret\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let base = format!(
        "[daemon]\nstate_dir = \"var\"\n[api]\nenabled = false\n[netent]\nmode = \"remote\"\nbase_url = \"https://127.0.0.1:9/\"\nsiret = \"{SIRET_A}\"\nnom = \"N\"\nprenom = \"P\"\npassword_file = \"netent.password\"\n"
    );
    std::fs::write(
        &site.config,
        format!("{base}[[employers]]\nsiret = \"{SIRET_A}\"\nname = \"A\"\nape = \"2511Z\"\n[declarant]\nname = \"A\"\ntest_files = false\n"),
    )
    .unwrap();
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    for key in [
        "declarant.address",
        "declarant.contact_email",
        "declarant.contact_phone",
        "employers[0].head_office_nic",
        "employers[0].apet",
        "employers[0].contact_name",
        "employers[0].contact_phone",
    ] {
        assert!(
            err.contains(&format!("{key}: required for S")),
            "{key}: {err}"
        );
    }
    assert!(!err.contains("employers[0].ape:"), "{err}");
    let run = std::process::Command::new(BIN)
        .arg("--config")
        .arg(&site.config)
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&run.stderr).contains("employers[0].head_office_nic"));
    // Complete, but essai files in remote mode: accepted with a warning.
    std::fs::write(
        &site.config,
        format!("{base}[[employers]]\nsiret = \"{SIRET_A}\"\nname = \"A\"\nape = \"2511Z\"\napet = \"2511Z\"\naddress = \"1 rue A\"\npostal_code = \"75002\"\ncity = \"Paris\"\nhead_office_nic = \"00010\"\ncontact_name = \"C\"\ncontact_phone = \"0102030405\"\n[declarant]\nname = \"A\"\ncontact_email = \"a@a.invalid\"\ncontact_phone = \"0102030405\"\ntest_files = true\n"),
    )
    .unwrap();
    let o = site.cli(&["check-config"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("warning: declarant.test_files"), "{err}");
}

/// Issue 10 item 2: an arrêt row missing an individual field the signalement needs is
/// rejected with its file, line and field.
#[test]
fn arret_row_missing_a_required_individual_field_is_located() {
    let site = Site::new("");
    let d = site.start();
    // Second row: no birth place (the 22nd column).
    let good = csv_row("REQ-1", SIRET_A);
    let mut cols: Vec<&str> = good.split(';').collect();
    cols[21] = "";
    let bad = cols.join(";").replace("REQ-1", "REQ-2");
    site.drop_file("rh-a_req.csv", &csv(&[good.clone(), bad]));
    assert!(
        wait_until(T, || site.files("spool/rejected").len() == 2),
        "{}",
        d.log_text()
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path("spool/rejected/rh-a_req.csv.errors.json")).unwrap(),
    )
    .unwrap();
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(errors[0]["field"], "birth_place");
    assert_eq!(errors[0]["line"], 3);
    assert!(report.to_string().contains("rh-a_req.csv"), "{report}");
}
