//! `[[insurers]]` configuration: each prévoyance insurer and the contracts that cover
//! (SIRET, population) pairs, with their franchise.
//!
//! Invariant after [`validate`]: insurer codes are unique folder-safe names, every contract
//! names configured SIRETs, and no (SIRET, population) pair is claimed by two contracts —
//! so an employee's data can only ever be routed to one insurer.

use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Insurer {
    /// Short code, also the folder name under spool/outbound/insurer/.
    pub code: String,
    pub name: String,
    /// Folder this insurer's files are written to instead of spool/outbound/insurer/<code>/
    /// (e.g. a share the insurer collects from).
    #[serde(default)]
    pub outbound: Option<PathBuf>,
    /// Who to alert about this insurer's events (used by the alert engine).
    #[serde(default)]
    pub alert_emails: Vec<String>,
    /// HTTPS endpoint every file of this insurer's folder is also pushed to (`PUT
    /// <push_url>/<file name>`, mutual TLS), in order, after it is written locally.
    #[serde(default)]
    pub push_url: Option<String>,
    /// CA (PEM) that signs the push endpoint's certificate.
    #[serde(default)]
    pub push_ca_file: Option<PathBuf>,
    /// Client certificate (PEM) and key presented to the push endpoint.
    #[serde(default)]
    pub push_cert_file: Option<PathBuf>,
    #[serde(default)]
    pub push_key_file: Option<PathBuf>,
    #[serde(default)]
    pub contracts: Vec<InsurerContract>,
    /// Prest'IJ (engine::prestij): enrol this insurer's insured with the CNAM and take in
    /// their BPIJ.
    #[serde(default)]
    pub prestij: Option<crate::engine::prestij::config::PrestijConfig>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InsurerContract {
    /// The insurer's contract reference, repeated in every message.
    pub reference: String,
    /// Establishments covered.
    pub sirets: Vec<String>,
    /// Populations covered (employment contract `population`); empty = every population.
    #[serde(default)]
    pub populations: Vec<String>,
    /// Days between the first day of stoppage and the first day the contract pays.
    pub franchise_days: u32,
    /// Prévoyance contract file (TOML or JSON, see `src/prevoyance/README-case.md`): when
    /// set, the guarantee-start message carries the complement it computes.
    #[serde(default)]
    pub prevoyance_contract: Option<PathBuf>,
}

/// The contract that covers an employee, and its insurer.
#[derive(Debug, Clone, PartialEq)]
pub struct Route<'a> {
    pub insurer: &'a Insurer,
    pub contract: &'a InsurerContract,
}

/// The contract covering `siret` and `population`: a contract naming the population wins over
/// a catch-all one (empty `populations`).
pub fn route<'a>(
    insurers: &'a [Insurer],
    siret: &str,
    population: Option<&str>,
) -> Option<Route<'a>> {
    let candidates = || {
        insurers.iter().flat_map(|i| {
            i.contracts
                .iter()
                .filter(move |c| c.sirets.iter().any(|s| s == siret))
                .map(move |c| Route {
                    insurer: i,
                    contract: c,
                })
        })
    };
    let specific = population.and_then(|p| {
        candidates().find(|r| {
            r.contract
                .populations
                .iter()
                .any(|q| q.eq_ignore_ascii_case(p))
        })
    });
    specific.or_else(|| candidates().find(|r| r.contract.populations.is_empty()))
}

/// Whether any contract names this SIRET (a stoppage there with no route is worth an alert).
pub fn covers_siret(insurers: &[Insurer], siret: &str) -> bool {
    insurers
        .iter()
        .flat_map(|i| &i.contracts)
        .any(|c| c.sirets.iter().any(|s| s == siret))
}

/// Relative paths resolve against the configuration folder.
pub fn resolve_paths(insurers: &mut [Insurer], base: &Path) {
    for i in insurers.iter_mut() {
        for p in [
            &mut i.outbound,
            &mut i.push_ca_file,
            &mut i.push_cert_file,
            &mut i.push_key_file,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
    for c in insurers.iter_mut().flat_map(|i| i.contracts.iter_mut()) {
        if let Some(p) = &mut c.prevoyance_contract
            && p.is_relative()
        {
            *p = base.join(&*p);
        }
    }
}

/// Outbox destinations (`insurer/<code>`) written to an insurer's own `outbound` folder.
pub fn outbound_overrides(insurers: &[Insurer]) -> HashMap<String, PathBuf> {
    insurers
        .iter()
        .filter_map(|i| Some((format!("insurer/{}", i.code), i.outbound.clone()?)))
        .collect()
}

/// The prévoyance contracts named by insurer contracts, keyed by (insurer code, contract
/// reference); files that do not load are left out (`check-config` reports them).
pub fn prevoyance_contracts(
    insurers: &[Insurer],
) -> HashMap<(String, String), crate::prevoyance::PrevoyanceContract> {
    let mut out = HashMap::new();
    for i in insurers {
        for c in &i.contracts {
            if let Some(p) = &c.prevoyance_contract {
                match load_contract(p) {
                    Ok(pc) => {
                        out.insert((i.code.clone(), c.reference.clone()), pc);
                    }
                    Err(e) => crate::internal_events::config_file_unusable(
                        &p.display(),
                        &e,
                        "prévoyance contract not loaded",
                    ),
                }
            }
        }
    }
    out
}

/// Every problem, as sentences naming the setting.
pub fn validate(insurers: &[Insurer], employers: &HashSet<String>) -> Vec<String> {
    let mut p = Vec::new();
    let mut codes = HashSet::new();
    let mut claimed: HashMap<(String, String), String> = HashMap::new();
    for (i, ins) in insurers.iter().enumerate() {
        let at = format!("insurers[{i}]");
        if ins.code.is_empty()
            || !ins
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            p.push(format!(
                "{at}.code: {:?} must be letters, digits, '-' or '_' (it names a folder)",
                ins.code
            ));
        }
        if !codes.insert(ins.code.clone()) {
            p.push(format!("{at}.code: {:?} is configured twice", ins.code));
        }
        if let Some(pj) = &ins.prestij {
            p.extend(crate::engine::prestij::config::validate(
                pj,
                &format!("{at}.prestij"),
            ));
        }
        if let Some(url) = &ins.push_url {
            if Endpoint::parse(url).is_none() {
                p.push(format!(
                    "{at}.push_url: {url:?} must be https://host[:port][/path]"
                ));
            }
            for (name, f) in [
                ("push_ca_file", &ins.push_ca_file),
                ("push_cert_file", &ins.push_cert_file),
                ("push_key_file", &ins.push_key_file),
            ] {
                match f {
                    None => p.push(format!("{at}.{name}: required with push_url")),
                    Some(f) if !f.exists() => {
                        p.push(format!("{at}.{name}: {} does not exist", f.display()))
                    }
                    Some(_) => {}
                }
            }
            if let Some(k) = &ins.push_key_file
                && k.exists()
                && let Err(e) = crate::fsio::check_secret_mode(k)
            {
                p.push(format!("{at}.push_key_file: {e}"));
            }
        }
        for e in &ins.alert_emails {
            if !e.contains('@') {
                p.push(format!("{at}.alert_emails: {e:?} is not an e-mail address"));
            }
        }
        for (j, c) in ins.contracts.iter().enumerate() {
            let at = format!("{at}.contracts[{j}]");
            if c.reference.trim().is_empty() {
                p.push(format!("{at}.reference: must not be empty"));
            }
            if c.sirets.is_empty() {
                p.push(format!("{at}.sirets: must list at least one SIRET"));
            }
            if let Some(f) = &c.prevoyance_contract
                && let Err(e) = load_contract(f)
            {
                p.push(format!("{at}.prevoyance_contract: {e}"));
            }
            if c.franchise_days > 1095 {
                p.push(format!("{at}.franchise_days: more than 1095 days"));
            }
            for s in &c.sirets {
                if !employers.contains(s) {
                    p.push(format!(
                        "{at}.sirets: {s} is not one of the configured employers"
                    ));
                }
                let pops: Vec<String> = if c.populations.is_empty() {
                    vec!["*".into()]
                } else {
                    c.populations.iter().map(|q| q.to_lowercase()).collect()
                };
                for pop in pops {
                    let owner = format!("{}/{}", ins.code, c.reference);
                    if let Some(other) = claimed.insert((s.clone(), pop.clone()), owner) {
                        p.push(format!(
                            "{at}: SIRET {s} population {pop:?} is already covered by {other}"
                        ));
                    }
                }
            }
        }
    }
    p
}

/// A parsed `https://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// Without a trailing '/', "" for the root.
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Option<Endpoint> {
        let rest = url.strip_prefix("https://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, 443),
        };
        if host.is_empty() || host.contains(['@', '[', ']', ' ']) {
            return None;
        }
        Some(Endpoint {
            host: host.to_string(),
            port,
            path: path.trim_end_matches('/').to_string(),
        })
    }
}

/// Why a prévoyance contract file does not load.
#[derive(Debug, thiserror::Error)]
pub enum ContractFileError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a valid contract.
    #[error(transparent)]
    Parse(#[from] crate::prevoyance::ContractError),
}

/// Loads a prévoyance contract file: JSON when the name ends in `.json`, TOML otherwise.
/// The one loader: `ijgate prevoyance` and the insurer settings both use it.
pub fn load_contract(
    path: &Path,
) -> Result<crate::prevoyance::PrevoyanceContract, ContractFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ContractFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let origin = path.display().to_string();
    let c = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        crate::prevoyance::PrevoyanceContract::from_json_str(&text, &origin)?
    } else {
        crate::prevoyance::PrevoyanceContract::from_toml_str(&text, &origin)?
    };
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insurers() -> Vec<Insurer> {
        toml::from_str::<HashMap<String, Vec<Insurer>>>(
            r#"
            [[insurers]]
            code = "PREVA"
            name = "Prévoyance A"
            [[insurers.contracts]]
            reference = "A-ALL"
            sirets = ["12345678200010"]
            franchise_days = 30
            [[insurers]]
            code = "PREVB"
            name = "Prévoyance B"
            [[insurers.contracts]]
            reference = "B-CADRES"
            sirets = ["12345678200010"]
            populations = ["cadres"]
            franchise_days = 90
            [[insurers.contracts]]
            reference = "B-ALL"
            sirets = ["98765432400019"]
            franchise_days = 0
            "#,
        )
        .unwrap()
        .remove("insurers")
        .unwrap()
    }

    #[test]
    fn population_specific_contract_wins_over_catch_all() {
        let ins = insurers();
        let r = route(&ins, "12345678200010", Some("CADRES")).unwrap();
        assert_eq!(r.contract.reference, "B-CADRES");
        let r = route(&ins, "12345678200010", Some("ouvriers")).unwrap();
        assert_eq!(r.contract.reference, "A-ALL");
        let r = route(&ins, "12345678200010", None).unwrap();
        assert_eq!(r.insurer.code, "PREVA");
        assert_eq!(
            route(&ins, "98765432400019", None).unwrap().insurer.code,
            "PREVB"
        );
        assert!(route(&ins, "11111111111111", None).is_none());
    }

    #[test]
    fn outbound_folders_resolve_and_override_their_insurer_only() {
        let mut ins = insurers();
        ins[0].outbound = Some("share/a".into());
        resolve_paths(&mut ins, Path::new("/etc/ijgate"));
        let o = outbound_overrides(&ins);
        assert_eq!(o.len(), 1);
        assert_eq!(o["insurer/PREVA"], PathBuf::from("/etc/ijgate/share/a"));
    }

    #[test]
    fn validation_names_each_problem() {
        let employers: HashSet<String> = ["12345678200010".to_string(), "98765432400019".into()]
            .into_iter()
            .collect();
        assert!(validate(&insurers(), &employers).is_empty());
        let mut bad = insurers();
        bad[1].code = "PREV/A".into();
        bad[1].contracts[1].sirets.push("11111111111111".into());
        bad[1].contracts[0].populations.clear();
        let p = validate(&bad, &employers);
        assert!(
            p.iter().any(|m| m.starts_with("insurers[1].code")),
            "{p:#?}"
        );
        assert!(
            p.iter().any(|m| m.contains("11111111111111 is not one")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|m| m.contains("already covered by PREVA/A-ALL")),
            "{p:#?}"
        );
    }
}
