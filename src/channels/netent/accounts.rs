//! Several net-entreprises accounts behind one client: a group whose SIRENs are enrolled under
//! separate habilitations declares each establishment with the account that holds it.
//!
//! Routing (pure, [`route`]): an account whose scope lists the establishment's SIRET wins,
//! then one whose scope lists its SIREN, then the one account without a scope (the default:
//! the single-account form `[netent] siret/nom/prenom/password_file` is exactly that). A
//! deposit is routed by the **declaring establishment written in the file itself**
//! (S21.G00.06.001 SIREN + S21.G00.11.001 NIC), so the account can never disagree with what
//! net-entreprises reads.
//!
//! Each account has its own token (fetched, cached and renewed on its own). Everything that
//! follows a deposit (its returns, downloads, a PJ upload's report) is read with the account
//! that owns it: owners are remembered as deposits, listings and uploads name them, and after a
//! restart an unknown flux is looked up account by account (net-entreprises answers 404 to an
//! account for a flux that is not its own; kit: services/recherche/ServiceRechercheParFlux2.java).

use std::collections::HashMap;

use serde::Deserialize;
use tokio::sync::Mutex;

use super::Secret;

/// One declarant account ("logiciel de paie" mode) and the establishments it declares for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetEntAccount {
    pub siret: String,
    pub nom: String,
    pub prenom: String,
    pub password: Secret,
    /// SIRETs (14 digits) or SIRENs (9 digits) declared with this account; empty: every
    /// establishment that no other account lists (at most one such account).
    #[serde(default)]
    pub scope: Vec<String>,
}

/// The account (index) that declares for `siret`: exact SIRET, then SIREN, then the account
/// without a scope; `None` when no account covers it (the rule of
/// [`crate::config::netent::route_by_scope`], which `check-config` applies too).
pub fn route(accounts: &[NetEntAccount], siret: &str) -> Option<usize> {
    crate::config::netent::route_by_scope(accounts.iter().map(|a| a.scope.as_slice()), siret)
}

/// Problems of a set of accounts' scopes (see [`crate::config::netent::scope_problems`]).
pub fn validate(accounts: &[NetEntAccount], at: &str) -> Vec<String> {
    let scopes: Vec<(String, &[String])> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("{at}[{i}]"), a.scope.as_slice()))
        .collect();
    crate::config::netent::scope_problems(&scopes)
}

/// The declaring establishment of a DSN file (S21.G00.06.001 SIREN + S21.G00.11.001 NIC),
/// read from its lines (`S21.G00.06.001,'123456782'`); `None` when either is missing.
pub fn declaring_siret(latin1: &[u8]) -> Option<String> {
    let value = |rubric: &[u8]| -> Option<String> {
        latin1.split(|&b| b == b'\n').find_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let rest = line.strip_prefix(rubric)?.strip_prefix(b",'")?;
            let v = rest.strip_suffix(b"'")?;
            v.iter()
                .all(u8::is_ascii_digit)
                .then(|| String::from_utf8_lossy(v).into_owned())
        })
    };
    let siren = value(b"S21.G00.06.001")?;
    let nic = value(b"S21.G00.11.001")?;
    (siren.len() == 9 && nic.len() == 5).then(|| format!("{siren}{nic}"))
}

/// An account at run time: its login and its own token.
#[derive(Debug)]
pub(super) struct Account {
    pub login: NetEntAccount,
    pub token: Mutex<Option<String>>,
}

/// Which account owns what the API names (flux, BPIJ links, PJ uploads), learnt as they are
/// seen. A cache: losing it (a restart) only costs a lookup account by account.
#[derive(Debug, Default)]
pub(super) struct Owners {
    pub flux: HashMap<String, usize>,
    pub links: HashMap<String, usize>,
    pub uploads: HashMap<String, usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(siret: &str, scope: &[&str]) -> NetEntAccount {
        NetEntAccount {
            siret: siret.into(),
            nom: "N".into(),
            prenom: "P".into(),
            password: Secret::new("pw"),
            scope: scope.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn routes_by_siret_then_siren_then_default() {
        let accounts = vec![
            acct("11111111100015", &[]),
            acct("12345678200010", &["123456782"]),
            acct("98765432400019", &["98765432400019", "12345678200036"]),
        ];
        assert_eq!(route(&accounts, "12345678200010"), Some(1));
        // The exact SIRET beats its SIREN listed by another account.
        assert_eq!(route(&accounts, "12345678200036"), Some(2));
        assert_eq!(route(&accounts, "98765432400019"), Some(2));
        // Unlisted: the default account.
        assert_eq!(route(&accounts, "55555555500011"), Some(0));
        assert_eq!(route(&accounts[1..], "55555555500011"), None);
        // The single-account form: one account, no scope, every establishment.
        assert_eq!(
            route(&[acct("12345678200010", &[])], "98765432400019"),
            Some(0)
        );
    }

    #[test]
    fn validation_names_every_problem() {
        let accounts = vec![
            acct("11111111100015", &[]),
            acct("12345678200010", &["123456782", "12AB"]),
            acct("98765432400019", &["123456782"]),
            acct("98765432400019", &[]),
        ];
        let p = validate(&accounts, "netent.accounts");
        assert!(
            p.iter().any(|m| m.contains("\"12AB\" is neither")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|m| m.contains("123456782 is already declared by netent.accounts[1]")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|m| m.contains("2 accounts declare for every establishment")),
            "{p:#?}"
        );
        assert!(validate(&accounts[..2], "a").len() == 1);
    }

    #[test]
    fn the_declaring_establishment_is_read_from_the_file() {
        let file = b"S10.G00.00.001,'ijgate'\r\nS10.G00.01.001,'111111111'\r\nS21.G00.06.001,'123456782'\r\nS21.G00.11.001,'00036'\r\n";
        assert_eq!(declaring_siret(file).as_deref(), Some("12345678200036"));
        assert_eq!(declaring_siret(b"S21.G00.06.001,'123456782'\n"), None);
        assert_eq!(
            declaring_siret(b"S21.G00.06.001,'12345'\nS21.G00.11.001,'00036'\n"),
            None
        );
    }
}
