//! What the sandbox does: delays per return nature, outcomes (optionally per identifiant
//! métier or NIR prefix), injected faults driven by a seeded RNG, BPIJ issuance.
//! Read from TOML; every field has a default so `Scenario::default()` is a happy path.
//!
//! Example:
//! ```toml
//! seed = 7
//! default_monthly_gross = "2400.00"
//! [delays]
//! "31" = "2s"
//! [outcome]
//! default = "accepted"
//! [[outcome.rules]]
//! identifiant_metier = "ARR-KO"
//! outcome = "rejected"
//! [[outcome.rules]]
//! nir_prefix = "29"
//! outcome = "documents_requested"
//! documents = ["BULLETIN_SALAIRE"]
//! [faults]
//! error_5xx_rate = 0.1
//! throttle_rate = 0.05
//! retry_after = "2s"
//! ```
//!
//! Reconciliation knobs (top level): `listing_lag = "90s"` (a deposit appears in
//! `lister-depots` only that long after it was received), `deposit_status_ko_ratio = 0.2`
//! (that fraction of deposits is refused with an ARE and listed with statut "KO"),
//! `clock_skew = -240` (the peer's clock, in signed seconds, in everything it timestamps and
//! in how it reads window bounds), `not_enrolled = ["12345678200010"]` (SIRETs that
//! authenticate but are answered 401 "Utilisateur non-inscrit au service").

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Seed of the fault RNG: the same seed and the same request sequence give the same faults.
    pub seed: u64,
    /// Monthly gross salary used for IJ when the deposited file has no S21.G00.51.
    #[serde(with = "rust_decimal::serde::str")]
    pub default_monthly_gross: Decimal,
    /// Accepted credentials; `None` accepts any well-formed triple + password.
    pub credentials: Option<Credentials>,
    /// Delay after the deposit before a return of each nature is published
    /// (keys: "10", "11", "21", "30", "31"; missing = [`Scenario::delay`] default).
    #[serde(with = "delay_map")]
    pub delays: BTreeMap<String, Duration>,
    pub outcome: OutcomeConfig,
    pub faults: Faults,
    pub bpij: BpijConfig,
    /// A deposit is listed by `lister-depots` only this long after it was received.
    #[serde(with = "humantime_serde")]
    pub listing_lag: Duration,
    /// Fraction (0..=1) of deposits refused with an ARE and listed with statut "KO"
    /// (kit: services/depot/recherche/model/Depot.java `statut`; TestData lists OK and KO).
    pub deposit_status_ko_ratio: f64,
    /// Offset of the peer's clock, in seconds (negative = late): applied to every timestamp it
    /// writes and to the way it reads listing windows.
    pub clock_skew: i64,
    /// SIRETs whose authentication succeeds but whose service calls are answered 401
    /// `DSNLogin realm="Utilisateur non-inscrit au service"`.
    pub not_enrolled: Vec<String>,
    /// Share of accepted deposits beside which `lister-depots` also lists, at the same second,
    /// a refused file (status KO) of the same declarant, such as another sender's: what a busy
    /// declarant account shows, and what reconciliation must not take for one of its own
    /// deposits. Drawn from the fault RNG, only when non-zero.
    pub foreign_ko_ratio: f64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 0,
            default_monthly_gross: Decimal::new(250_000, 2),
            credentials: None,
            delays: BTreeMap::new(),
            outcome: OutcomeConfig::default(),
            faults: Faults::default(),
            bpij: BpijConfig::default(),
            listing_lag: Duration::ZERO,
            deposit_status_ko_ratio: 0.0,
            clock_skew: 0,
            not_enrolled: Vec::new(),
            foreign_ko_ratio: 0.0,
        }
    }
}

impl Scenario {
    pub fn from_toml(text: &str) -> Result<Scenario, toml::de::Error> {
        toml::from_str(text)
    }

    /// Publication delay of a return nature (31 defaults to 10 s, others are immediate).
    pub fn delay(&self, nature: &str) -> Duration {
        self.delays.get(nature).copied().unwrap_or(match nature {
            "31" => Duration::from_secs(10),
            _ => Duration::ZERO,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub siret: String,
    pub nom: String,
    pub prenom: String,
    pub password: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 30 then 31 OK (and a BPIJ for subrogated stoppages).
    #[default]
    Accepted,
    /// 30 then 31 KO with the rule's anomalies (default PMNR).
    Rejected,
    /// 21: the CNAM cannot rebuild the attestation (DSIJ needed); no 31.
    NonReconstitution,
    /// 30 then 31 asking for supporting documents.
    DocumentsRequested,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnomalySpec {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRule {
    /// Exact S20.G00.05.009.
    pub identifiant_metier: Option<String>,
    /// Prefix of S21.G00.30.001 of any individual of the declaration.
    pub nir_prefix: Option<String>,
    pub outcome: Outcome,
    #[serde(default)]
    pub anomalies: Vec<AnomalySpec>,
    #[serde(default)]
    pub documents: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OutcomeConfig {
    pub default: Outcome,
    /// First matching rule wins.
    pub rules: Vec<OutcomeRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Probabilities per API request (they add up; the rest is served normally).
    pub error_5xx_rate: f64,
    pub timeout_rate: f64,
    pub reset_rate: f64,
    pub throttle_rate: f64,
    /// `Retry-After` sent with injected 429 answers.
    #[serde(with = "humantime_serde")]
    pub retry_after: Duration,
    /// How long an injected timeout holds the request before answering 504.
    #[serde(with = "humantime_serde")]
    pub timeout_delay: Duration,
    /// A token stops working after this many calls (0 = never).
    pub token_expiry_calls: u32,
    /// A token stops working after this long.
    #[serde(with = "humantime_serde::option")]
    pub token_ttl: Option<Duration>,
    /// Endpoints subject to the rates (first path segment, e.g. "deposer-dsn");
    /// empty = every API endpoint.
    pub endpoints: Vec<String>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            error_5xx_rate: 0.0,
            timeout_rate: 0.0,
            reset_rate: 0.0,
            throttle_rate: 0.0,
            retry_after: Duration::from_secs(1),
            timeout_delay: Duration::from_secs(30),
            token_expiry_calls: 0,
            token_ttl: None,
            endpoints: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BpijConfig {
    pub enabled: bool,
    /// Delay after the deposit before the BPIJ is listed.
    #[serde(with = "humantime_serde")]
    pub delay: Duration,
    /// Issuing CPAM (3 digits) and its label.
    pub code_cpam: String,
    pub libelle_cpam: String,
}

impl Default for BpijConfig {
    fn default() -> Self {
        BpijConfig {
            enabled: true,
            delay: Duration::ZERO,
            code_cpam: "751".into(),
            libelle_cpam: "CPAM de PARIS".into(),
        }
    }
}

mod delay_map {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Duration>, D::Error> {
        let raw: BTreeMap<String, String> = BTreeMap::deserialize(d)?;
        raw.into_iter()
            .map(|(k, v)| {
                humantime::parse_duration(&v)
                    .map(|dur| (k.clone(), dur))
                    .map_err(|e| serde::de::Error::custom(format!("delays.{k}: {e}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_scenario() {
        let s = Scenario::from_toml(
            r#"
            seed = 7
            default_monthly_gross = "2400.00"
            [delays]
            "31" = "2s"
            "30" = "150ms"
            [outcome]
            default = "accepted"
            [[outcome.rules]]
            identifiant_metier = "ARR-KO"
            outcome = "rejected"
            anomalies = [{ code = "PMNR", message = "Période de maintien non renseignée" }]
            [[outcome.rules]]
            nir_prefix = "29"
            outcome = "documents_requested"
            documents = ["BULLETIN_SALAIRE"]
            [faults]
            error_5xx_rate = 0.1
            throttle_rate = 0.05
            retry_after = "2s"
            token_expiry_calls = 3
            token_ttl = "1h"
            [bpij]
            code_cpam = "691"
            "#,
        )
        .unwrap();
        assert_eq!(s.seed, 7);
        assert_eq!(s.default_monthly_gross.to_string(), "2400.00");
        assert_eq!(s.delay("31"), Duration::from_secs(2));
        assert_eq!(s.delay("30"), Duration::from_millis(150));
        assert_eq!(s.delay("11"), Duration::ZERO);
        assert_eq!(s.outcome.rules[0].outcome, Outcome::Rejected);
        assert_eq!(s.outcome.rules[1].documents, vec!["BULLETIN_SALAIRE"]);
        assert_eq!(s.faults.retry_after, Duration::from_secs(2));
        assert_eq!(s.faults.token_ttl, Some(Duration::from_secs(3600)));
        assert_eq!(s.bpij.code_cpam, "691");
        assert!(s.bpij.enabled);
    }

    #[test]
    fn listing_realism_knobs() {
        let s = Scenario::from_toml(
            "listing_lag = \"3s\"\ndeposit_status_ko_ratio = 0.5\nforeign_ko_ratio = 0.25\nclock_skew = -90\n",
        )
        .unwrap();
        assert_eq!(s.listing_lag, Duration::from_secs(3));
        assert_eq!(s.deposit_status_ko_ratio, 0.5);
        assert_eq!(s.foreign_ko_ratio, 0.25);
        assert_eq!(s.clock_skew, -90);
        assert!(Scenario::from_toml("clock_skew = \"soon\"").is_err());
        assert_eq!(Scenario::default().clock_skew, 0);
    }

    #[test]
    fn demo_fixture_parses() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/netent/sandbox-scenario.toml");
        let s = Scenario::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(s.outcome.rules.len(), 3);
        assert_eq!(s.delay("31"), Duration::from_secs(30));
        assert_eq!(s.bpij.delay, Duration::from_secs(60));
    }

    #[test]
    fn rejects_unknown_fields_and_bad_durations() {
        assert!(Scenario::from_toml("sede = 1").is_err());
        assert!(Scenario::from_toml("[delays]\n\"31\" = \"soon\"").is_err());
        assert!(Scenario::from_toml("[outcome]\ndefault = \"maybe\"").is_err());
        let d = Scenario::from_toml("").unwrap();
        assert_eq!(d.delay("31"), Duration::from_secs(10));
    }
}
