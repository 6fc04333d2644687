//! net-entreprises on a real site (issue 16): several accounts, each depositing its own
//! establishments' signalements and reading its own returns, and an outbound proxy that every
//! call goes through. Real binary, real sandbox peer, real proxy process (proxy.py from PyPI,
//! installed by tests/run.sh).

mod common;

use common::*;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(40);
/// The logins' own SIRETs: neither is an establishment declared, so that routing cannot be
/// confused with "the login declares for itself".
const LOGIN_A: &str = "44444444200016";
const LOGIN_B: &str = "44444445900010";

fn write_secret(site: &Site, name: &str, text: &str) -> String {
    let p = site.path(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

/// Two accounts: A declares SIREN 123456782 (employer A), B declares employer B's SIRET.
fn two_accounts(site_extra: &str) -> String {
    format!(
        "{site_extra}
[[netent.accounts]]
siret = \"{LOGIN_A}\"
nom = \"COMPTE\"
prenom = \"Alpha\"
password_file = \"pw-a\"
sirets = [\"{}\"]
[[netent.accounts]]
siret = \"{LOGIN_B}\"
nom = \"COMPTE\"
prenom = \"Beta\"
password_file = \"pw-b\"
sirets = [\"{SIRET_B}\"]
",
        &SIRET_A[..9]
    )
}

/// The flux ids the journal holds for each SIRET.
fn idflux_by_siret(site: &Site) -> Vec<(String, String)> {
    let db = site.db();
    let mut st = db
        .prepare(
            "SELECT d.siret, p.idflux FROM deposits p JOIN declarations d ON d.id = p.declaration_id
             WHERE p.idflux IS NOT NULL ORDER BY d.siret",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// What `lister-depots` shows to one login over the last hour (the sandbox speaks UTC).
fn listed_to(site: &Site, d: &Daemon, login: &str, prenom: &str) -> BTreeSet<String> {
    let addr = d.sandbox_addr().unwrap();
    let mut cfg = ijgate::channels::netent::NetEntConfig::for_base(
        &format!("https://{addr}/"),
        login,
        "COMPTE",
        prenom,
        "sandbox",
    );
    cfg.ca_file = Some(site.path("var/sandbox-ca.pem"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = ijgate::channels::netent::NetEntClient::new(cfg).unwrap();
        // Whichever clock the sandbox keeps (UTC or Paris time), the last hour of both.
        let utc = chrono::Utc::now().naive_utc();
        let paris = chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Paris)
            .naive_local();
        let mut seen = BTreeSet::new();
        for now in [utc, paris] {
            let l = c
                .list_deposits(
                    now - chrono::Duration::minutes(59),
                    now + chrono::Duration::minutes(1),
                )
                .await
                .unwrap();
            seen.extend(l.depots.into_iter().map(|d| d.idflux));
        }
        seen
    })
}

#[test]
fn two_accounts_each_deposit_their_own_establishments_and_read_their_own_returns() {
    let site = Site::new(&two_accounts(FAST_EXCHANGE));
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    write_secret(&site, "pw-a", "alpha-pw\n");
    write_secret(&site, "pw-b", "beta-pw\n");
    let check = site.cli(&["check-config"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let d = site.start();
    site.drop_file(
        "both.csv",
        &csv(&[
            csv_row("ACC-A1", SIRET_A),
            csv_row("ACC-B1", SIRET_B),
            csv_row("ACC-A2", SIRET_A),
        ]),
    );
    for r in ["ACC-A1", "ACC-A2", "ACC-B1"] {
        assert!(
            wait_until(T, || states(&site, r)
                == vec![("arret".into(), "accepted".into())]),
            "{r}: {:?}\n{}",
            states(&site, r),
            d.log_text()
        );
        // The CNAM business report was read (with the depositing account: another account
        // is answered 404 for a flux that is not its own).
        assert!(
            wait_until(T, || notices(&site, r, "crm_cnam").len() == 1),
            "{r}"
        );
    }
    let flux = idflux_by_siret(&site);
    let of = |siret: &str| -> BTreeSet<String> {
        flux.iter()
            .filter(|(s, _)| s == siret)
            .map(|(_, f)| f.clone())
            .collect()
    };
    assert_eq!(of(SIRET_A).len(), 2, "{flux:?}");
    assert_eq!(of(SIRET_B).len(), 1, "{flux:?}");
    // net-entreprises' own view: each login lists exactly its establishments' deposits.
    assert_eq!(listed_to(&site, &d, LOGIN_A, "Alpha"), of(SIRET_A));
    assert_eq!(listed_to(&site, &d, LOGIN_B, "Beta"), of(SIRET_B));
    // Each account logged in on its own.
    for login in [LOGIN_A, LOGIN_B] {
        assert!(
            d.find_log(&format!("\"account\":\"{login}\"")).is_some(),
            "{login}\n{}",
            d.log_text()
        );
    }
}

#[test]
fn check_config_names_an_establishment_no_account_declares_and_bad_account_files() {
    let extra = format!(
        "{}
[[netent.accounts]]
siret = \"{LOGIN_A}\"
nom = \"COMPTE\"
prenom = \"Alpha\"
password_file = \"pw-a\"
sirets = [\"{SIRET_A}\", \"12AB\"]
[[netent.accounts]]
siret = \"{LOGIN_B}\"
nom = \"COMPTE\"
prenom = \"Beta\"
password_file = \"pw-b\"
sirets = [\"{SIRET_A}\"]
",
        FAST_EXCHANGE.replace(
            "[netent]\n",
            "[netent]\nproxy = \"http://u:p@127.0.0.1:3128\"\n"
        )
    );
    let site = Site::new(&extra);
    std::fs::write(site.path("scenario.toml"), "").unwrap();
    write_secret(&site, "pw-a", "alpha-pw\n");
    std::fs::write(site.path("pw-b"), "beta-pw\n").unwrap();
    std::fs::set_permissions(site.path("pw-b"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    let err = String::from_utf8_lossy(&o.stderr);
    for needle in [
        &format!("employers[1].siret: {SIRET_B} is declared by no net-entreprises account"),
        "netent.accounts[0].sirets: \"12AB\" is neither",
        &format!("netent.accounts[1].sirets: {SIRET_A} is already declared by netent.accounts[0]"),
        "netent.accounts[1].password_file",
        "0644",
        "netent.proxy: 127.0.0.1: credentials do not belong in the URL",
    ] {
        assert!(err.contains(needle), "{needle:?} missing from:\n{err}");
    }
    assert!(!err.contains("beta-pw") && !err.contains("u:p@"), "{err}");
}

#[test]
fn the_single_account_form_keeps_working() {
    // No [[netent.accounts]]: the top-level login deposits for every establishment.
    let site = Site::new(FAST_EXCHANGE);
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    let d = site.start();
    site.drop_file(
        "one.csv",
        &csv(&[csv_row("ONE-A", SIRET_A), csv_row("ONE-B", SIRET_B)]),
    );
    for r in ["ONE-A", "ONE-B"] {
        assert!(
            wait_until(T, || states(&site, r)
                == vec![("arret".into(), "accepted".into())]),
            "{r}: {:?}\n{}",
            states(&site, r),
            d.log_text()
        );
    }
}

/// A proxy.py process on a free port with Basic auth, logging to `log`.
struct Proxy {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Proxy {
    fn start(dir: &std::path::Path, auth: &str) -> Proxy {
        let port_file = dir.join("proxy.port");
        let log = dir.join("proxy.log");
        // Its workers log each tunnel (`CONNECT host:port`, when it closes) on stderr.
        let child = Command::new("python3")
            .args(["-m", "proxy", "--hostname", "127.0.0.1", "--port", "0"])
            .arg("--port-file")
            .arg(&port_file)
            .args([
                "--basic-auth",
                auth,
                "--num-workers",
                "1",
                "--num-acceptors",
                "1",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("python3 -m proxy (pip install proxy.py; tests/run.sh installs it)");
        let mut port = 0;
        assert!(
            wait_until(Duration::from_secs(20), || {
                port = std::fs::read_to_string(&port_file)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0);
                port != 0 && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            }),
            "proxy.py did not start (pip install proxy.py)"
        );
        Proxy { child, port, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `CONNECT host:port` lines it served.
    fn connects_to(&self, target: &str) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains(&format!("CONNECT {target}")))
            .count()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_net_entreprises_call_goes_through_the_configured_proxy() {
    let proxy_dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(proxy_dir.path(), "svc-ijgate:Pr0xy-pw");
    let extra = FAST_EXCHANGE.replace(
        "[netent]\n",
        &format!(
            "[netent]\nproxy = \"http://127.0.0.1:{}\"\nproxy_auth_file = \"proxy.auth\"\n",
            proxy.port
        ),
    );
    let site = Site::new(&extra);
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    write_secret(&site, "proxy.auth", "svc-ijgate:Pr0xy-pw\n");
    let mut d = site.start();
    let target = d.sandbox_addr().unwrap().to_string();
    site.drop_file("px.csv", &csv(&[csv_row("PX-1", SIRET_A)]));
    assert!(
        wait_until(T, || states(&site, "PX-1")
            == vec![("arret".into(), "accepted".into())]),
        "{:?}\n{}\nproxy log:\n{}",
        states(&site, "PX-1"),
        d.log_text(),
        proxy.log()
    );
    // authentifier, deposit and listings went through tunnels (the other test shows that
    // nothing goes around the proxy); proxy.py logs a tunnel when it closes, so the daemon
    // stops first (its connection pool closes them).
    let logs = d.log_text();
    assert_eq!(d.stop(), Some(0));
    assert!(
        wait_until(T, || proxy.connects_to(&target) >= 1),
        "{}\n{logs}",
        proxy.log()
    );
    assert!(
        !proxy.log().contains("ProxyAuthenticationFailed"),
        "{}",
        proxy.log()
    );
}

#[test]
fn a_proxy_refusing_our_credentials_stops_every_call() {
    let proxy_dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(proxy_dir.path(), "svc-ijgate:right-pw");
    let extra = FAST_EXCHANGE.replace(
        "[netent]\n",
        &format!(
            "[netent]\nproxy = \"http://127.0.0.1:{}\"\nproxy_auth_file = \"proxy.auth\"\n",
            proxy.port
        ),
    );
    let site = Site::new(&extra);
    std::fs::write(site.path("scenario.toml"), "").unwrap();
    write_secret(&site, "proxy.auth", "svc-ijgate:wrong-pw\n");
    let d = site.start();
    site.drop_file("px.csv", &csv(&[csv_row("PX-2", SIRET_A)]));
    assert!(
        wait_until(T, || proxy.log().contains("ProxyAuthenticationFailed")),
        "{}\n{}",
        proxy.log(),
        d.log_text()
    );
    // Nothing reached the peer directly: no deposit was made.
    let stats = sandbox_stats(d.sandbox_addr().unwrap(), &site.path("var/sandbox-ca.pem"));
    assert_eq!(
        stats["received"].as_array().map(Vec::len),
        Some(0),
        "{stats}"
    );
    assert!(
        states(&site, "PX-2")
            .iter()
            .all(|(_, s)| s != "deposited" && s != "accepted")
    );
}
