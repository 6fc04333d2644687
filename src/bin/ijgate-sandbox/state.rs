//! The sandbox's memory: tokens, deposits, returns, BPIJ, CNAM PJ reports, statistics and the
//! seeded fault RNG. No I/O; time comes from the injected clock as an argument.
//!
//! Invariants:
//! - a return is published at `deposit time + scenario delay`; listings and downloads only
//!   show published returns, so the sandbox needs no background task;
//! - a return keeps its id when overwritten ([`State::overwrite_return`]) — as upstream, the
//!   listing then shows the new status and publication time;
//! - fault draws use their own RNG (`seed`), ids another (`seed + 1`), so the same seed and
//!   the same request sequence reproduce the same faults.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::NaiveDateTime;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;
use serde::Serialize;

use super::check::{self, FileFacts};
use super::ijss::{self, BpijIssue};
use super::pj::RapportIj;
use super::scenario::{Outcome, OutcomeRule, Scenario};
use ijgate::formats::listing::{
    BpijDeclare, BpijLink, BpijListing, DepositEntry, DepositsListing, FluxReturns, ReturnEntry,
    ReturnsListing,
};
use ijgate::formats::rapport::{
    Anomaly, Declarant, Declaration, EssaiReel, RapportSpec, Severity, Statut, write_rapport,
};

/// An injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Error5xx,
    Timeout,
    Reset,
    Throttle,
}

impl Fault {
    pub fn label(self) -> &'static str {
        match self {
            Fault::Error5xx => "5xx",
            Fault::Timeout => "timeout",
            Fault::Reset => "reset",
            Fault::Throttle => "429",
        }
    }
}

#[derive(Debug, Clone)]
struct TokenInfo {
    siret: String,
    issued: NaiveDateTime,
    calls: u32,
}

#[derive(Debug, Clone)]
pub struct Deposit {
    pub idflux: String,
    pub declarant_siret: String,
    pub received_at: NaiveDateTime,
    pub facts: FileFacts,
}

#[derive(Debug, Clone)]
pub struct StoredReturn {
    pub idflux: String,
    pub id: String,
    pub nature: String,
    pub statut: String,
    pub production: NaiveDateTime,
    pub publication: NaiveDateTime,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct StoredBpij {
    pub id: String,
    pub declarant_siret: String,
    pub declare_siret: String,
    pub publication: NaiveDateTime,
    pub body: Vec<u8>,
}

/// Counters readable in-process and at `GET /sandbox/stats`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub auth_calls: u32,
    pub deposits_accepted: u32,
    pub deposits_rejected: u32,
    /// Accepted deposits per identifiant métier (S20.G00.05.009).
    pub deposits_per_identifiant_metier: BTreeMap<String, u32>,
    /// Identifiants métier deposited more than once.
    pub duplicates: Vec<String>,
    pub returns_created: u32,
    /// Returns already published (visible in listings).
    pub returns_issued: u32,
    pub returns_issued_per_nature: BTreeMap<String, u32>,
    pub bpij_issued: u32,
    pub pj_uploads: u32,
    /// Every accepted declaration, in order: what was received, for tests to assert on.
    pub received: Vec<ReceivedDeclaration>,
    pub faults_injected: BTreeMap<String, u32>,
}

/// One declaration of an accepted deposit.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ReceivedDeclaration {
    pub idflux: String,
    pub nature: String,
    pub type_decl: String,
    pub identifiant_metier: Option<String>,
    /// S20.G00.05.006: the flux replaced or cancelled.
    pub replaces: Option<String>,
}

/// Whose data a service call reads, once its `Authorization` checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The kit's fixture identities: answered with the kit's TestData ([`super::kit`]).
    Kit,
    /// A declarant authenticated here: answered from this state.
    Declarant(String),
}

/// Parameters of `lister-bpij-declarant`.
pub struct BpijQuery {
    pub debut: chrono::NaiveDate,
    pub fin: chrono::NaiveDate,
    pub siret: Option<String>,
    pub page: u32,
}

pub enum DepositResult {
    Accepted { idflux: String, body: String },
    Rejected { body: String },
}

pub struct State {
    pub scenario: Scenario,
    fault_rng: StdRng,
    id_rng: StdRng,
    tokens: HashMap<String, TokenInfo>,
    pub deposits: Vec<Deposit>,
    pub returns: Vec<StoredReturn>,
    pub bpijs: Vec<StoredBpij>,
    pub pj_reports: Vec<RapportIj>,
    /// Refused deposits (ARE): (idflux, declarant SIRET, time), listed as KO by lister-depots.
    rejected: Vec<(String, String, NaiveDateTime)>,
    stats: Stats,
    next_id: u64,
    /// SIRETs that obtained a token here: a stale token of theirs is "invalid", not
    /// "non-inscrit" (the client renews it).
    known: std::collections::HashSet<String>,
}

fn after(t: NaiveDateTime, d: Duration) -> NaiveDateTime {
    t + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn sec(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond_zero()
}

trait NanoZero {
    fn with_nanosecond_zero(self) -> Self;
}
impl NanoZero for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

impl State {
    pub fn new(scenario: Scenario) -> Self {
        State {
            fault_rng: StdRng::seed_from_u64(scenario.seed),
            id_rng: StdRng::seed_from_u64(scenario.seed.wrapping_add(1)),
            scenario,
            tokens: HashMap::new(),
            deposits: Vec::new(),
            returns: Vec::new(),
            bpijs: Vec::new(),
            pj_reports: Vec::new(),
            rejected: Vec::new(),
            stats: Stats::default(),
            next_id: 1,
            known: std::collections::HashSet::new(),
        }
    }

    fn random_id(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[self.id_rng.random_range(0..ALPHABET.len())] as char)
            .collect()
    }

    fn next_id(&mut self) -> String {
        let id = self.next_id;
        self.next_id += 1;
        id.to_string()
    }

    /// Draws the fault (if any) for one API request to `endpoint`.
    pub fn draw_fault(&mut self, endpoint: &str) -> Option<Fault> {
        let f = &self.scenario.faults;
        if !f.endpoints.is_empty() && !f.endpoints.iter().any(|e| e == endpoint) {
            return None;
        }
        let total = f.error_5xx_rate + f.timeout_rate + f.reset_rate + f.throttle_rate;
        if total <= 0.0 {
            return None;
        }
        let x: f64 = self.fault_rng.random();
        let mut acc = 0.0;
        let mut pick = None;
        for (rate, fault) in [
            (f.error_5xx_rate, Fault::Error5xx),
            (f.timeout_rate, Fault::Timeout),
            (f.reset_rate, Fault::Reset),
            (f.throttle_rate, Fault::Throttle),
        ] {
            acc += rate;
            if x < acc {
                pick = Some(fault);
                break;
            }
        }
        if let Some(p) = pick {
            *self
                .stats
                .faults_injected
                .entry(p.label().to_string())
                .or_default() += 1;
        }
        pick
    }

    /// Issues a token, or `Err(status)` (401 bad credentials, 422 invalid parameters).
    pub fn authenticate(
        &mut self,
        siret: &str,
        nom: &str,
        prenom: &str,
        password: &str,
        service: &str,
        now: NaiveDateTime,
    ) -> Result<String, u16> {
        self.stats.auth_calls += 1;
        if siret.len() != 14
            || !siret.chars().all(|c| c.is_ascii_digit())
            || nom.is_empty()
            || nom.chars().count() > 64
            || prenom.is_empty()
            || prenom.chars().count() > 39
            || password.is_empty()
            || password.chars().count() > 30
            || service.is_empty()
            || service.len() > 2
        {
            return Err(422);
        }
        if let Some(c) = &self.scenario.credentials
            && (c.siret != siret || c.nom != nom || c.prenom != prenom || c.password != password)
        {
            return Err(401);
        }
        if !["25", "26", "94", "97", "98"].contains(&service) {
            return Err(401);
        }
        // The shape net-entreprises issues and the kit reads (base64 of an <xmlresult>).
        let who = super::auth::Identity::new(siret, nom, prenom);
        let issued = now.format("%d/%m/%Y %H:%M:%S").to_string();
        let token = super::auth::make_token(&who, &issued, u64::from(self.stats.auth_calls))
            .trim_end_matches('=')
            .to_string();
        self.known.insert(siret.to_string());
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                siret: siret.to_string(),
                issued: now,
                calls: 0,
            },
        );
        Ok(token)
    }

    /// SIRET of the token's declarant, `None` when missing, unknown or expired.
    pub fn check_token(
        &mut self,
        authorization: Option<&str>,
        now: NaiveDateTime,
    ) -> Option<String> {
        let token = authorization?
            .trim()
            .strip_prefix("DSNLogin")?
            .split(',')
            .find_map(|kv| kv.trim().strip_prefix("jeton="))?
            .to_string();
        let faults = self.scenario.faults.clone();
        let info = self.tokens.get_mut(&token)?;
        info.calls += 1;
        let too_many = faults.token_expiry_calls > 0 && info.calls > faults.token_expiry_calls;
        let too_old = faults
            .token_ttl
            .is_some_and(|ttl| now >= after(info.issued, ttl));
        if too_many || too_old {
            self.tokens.remove(&token);
            return None;
        }
        Some(info.siret.clone())
    }

    /// Checks a service call's `Authorization` as the kit does (kit: the blocks shared by every
    /// service, utils/SecurityUtils.java). `needs_declarant`: a concentrateur must also name
    /// a declarant (deposits, declarant-wide listings).
    pub fn authorize(
        &mut self,
        header: Option<&str>,
        needs_declarant: bool,
        now: NaiveDateTime,
    ) -> Result<Principal, super::auth::Refusal> {
        use super::auth::{Caller, Refusal};
        match super::auth::read_caller(header, needs_declarant)? {
            Caller::Concentrateur { who, declarant } => {
                super::auth::check_concentrateur(&who, declarant.as_ref())?;
                Ok(Principal::Kit)
            }
            Caller::Declarant { token, who } => {
                if self.scenario.not_enrolled.contains(&who.siret) {
                    return Err(Refusal::NotEnrolled);
                }
                if self.tokens.contains_key(&token) {
                    return self
                        .check_token(Some(&format!("DSNLogin jeton={token}")), now)
                        .map(Principal::Declarant)
                        .ok_or(Refusal::InvalidToken);
                }
                if who == super::auth::kit_declarant() {
                    return Ok(Principal::Kit);
                }
                let configured = self
                    .scenario
                    .credentials
                    .as_ref()
                    .is_some_and(|c| c.siret == who.siret);
                if configured || self.known.contains(&who.siret) {
                    Err(Refusal::InvalidToken)
                } else {
                    Err(Refusal::NotEnrolled)
                }
            }
        }
    }

    fn rule_for(&self, d: &check::DeclarationFacts) -> Option<&OutcomeRule> {
        self.scenario.outcome.rules.iter().find(|r| {
            let by_id = r
                .identifiant_metier
                .as_ref()
                .is_none_or(|id| d.identifiant_metier.as_ref() == Some(id));
            let by_nir = r
                .nir_prefix
                .as_ref()
                .is_none_or(|p| d.nirs.iter().any(|n| n.starts_with(p.as_str())));
            (r.identifiant_metier.is_some() || r.nir_prefix.is_some()) && by_id && by_nir
        })
    }

    /// Handles a deposit whose transport was already checked (`latin1` = gunzipped body).
    pub fn deposit(
        &mut self,
        declarant_siret: &str,
        latin1: &[u8],
        now: NaiveDateTime,
    ) -> DepositResult {
        let mut anomalies = check::check_latin1(latin1);
        if anomalies.is_empty() {
            anomalies = check::check_neodes(latin1);
        }
        let idflux = self.random_id(23);
        let facts = check::read_facts(latin1);
        let spec = |type_code: &str,
                    etat: Statut,
                    anomalies: Vec<Anomaly>,
                    essai: Option<EssaiReel>| RapportSpec {
            type_code: type_code.into(),
            message: None,
            declarant: Some(Declarant {
                siret: declarant_siret.into(),
                nom: None,
                prenom: None,
            }),
            idflux: idflux.clone(),
            essai_reel: essai,
            emetteur_siret: if facts.emetteur_siret.is_empty() {
                declarant_siret.to_string()
            } else {
                facts.emetteur_siret.clone()
            },
            received_at: sec(now),
            envoi_etat: etat,
            envoi_anomalies: anomalies,
            declarations: Vec::new(),
        };
        let essai = match facts.essai_reel.as_str() {
            "01" => Some(EssaiReel::Essai),
            "02" => Some(EssaiReel::Reel),
            _ => None,
        };
        // Knob: a share of deposits refused, listed "KO" by lister-depots.
        let ko = self.scenario.deposit_status_ko_ratio;
        if anomalies.is_empty() && ko > 0.0 && self.fault_rng.random::<f64>() < ko {
            anomalies.push(Anomaly {
                code: "B1-105-15".into(),
                severity: None,
                message: "Dépôt refusé (sandbox: deposit_status_ko_ratio)".into(),
                line: None,
                count: None,
                rubric: None,
                related: Vec::new(),
                individuals: Vec::new(),
            });
        }
        if !anomalies.is_empty() {
            self.stats.deposits_rejected += 1;
            self.rejected
                .push((idflux.clone(), declarant_siret.to_string(), now));
            return DepositResult::Rejected {
                body: write_rapport(&spec("ARE", Statut::Ko, anomalies, essai)),
            };
        }
        let aee = write_rapport(&spec("AEE", Statut::Ok, Vec::new(), essai));
        self.stats.deposits_accepted += 1;
        for d in &facts.declarations {
            if let Some(id) = &d.identifiant_metier {
                let n = self
                    .stats
                    .deposits_per_identifiant_metier
                    .entry(id.clone())
                    .or_default();
                *n += 1;
                if *n == 2 {
                    self.stats.duplicates.push(id.clone());
                }
            }
        }
        let deposit = Deposit {
            idflux: idflux.clone(),
            declarant_siret: declarant_siret.to_string(),
            received_at: now,
            facts,
        };
        self.maybe_list_a_foreign_ko(declarant_siret, now);
        self.push_return(&deposit, "10", "OK", aee.clone().into_bytes());
        self.schedule_returns(&deposit, essai, check::check_required(latin1));
        self.deposits.push(deposit);
        DepositResult::Accepted { idflux, body: aee }
    }

    // ---- listing realism (scenario `foreign_ko_ratio`) -----------------------------------

    /// With probability `foreign_ko_ratio`, a refused file of the same declarant (not
    /// one of ours: another sender's) is listed at the same second as an accepted deposit.
    fn maybe_list_a_foreign_ko(&mut self, declarant_siret: &str, now: NaiveDateTime) {
        let ratio = self.scenario.foreign_ko_ratio;
        if ratio <= 0.0 {
            return;
        }
        let x: f64 = self.fault_rng.random();
        if x < ratio {
            let idflux = self.random_id(23);
            self.rejected
                .push((idflux, declarant_siret.to_string(), now));
        }
    }

    fn push_return(&mut self, dep: &Deposit, nature: &str, statut: &str, body: Vec<u8>) {
        let publication = after(dep.received_at, self.scenario.delay(nature));
        let id = self.next_id();
        self.stats.returns_created += 1;
        self.returns.push(StoredReturn {
            idflux: dep.idflux.clone(),
            id,
            nature: nature.to_string(),
            statut: statut.to_string(),
            production: sec(dep.received_at),
            publication,
            body,
        });
    }

    /// `missing[i]`: the required rubrics declaration `i` lacks (check::check_required).
    fn schedule_returns(
        &mut self,
        dep: &Deposit,
        essai: Option<EssaiReel>,
        missing: Vec<Vec<Anomaly>>,
    ) {
        let decl =
            |d: &check::DeclarationFacts, etat: Statut, anomalies: Vec<Anomaly>| Declaration {
                rang: Some(1),
                nature: Some(d.nature.clone()),
                type_decl: Some(d.type_decl.clone()),
                fraction: None,
                ordre: None,
                mois: None,
                identifiant_metier: d.identifiant_metier.clone(),
                id_annulation: None,
                siren: Some(d.siren.clone()),
                nic_siege: None,
                nic_affectation: Some(d.nic.clone()),
                etat,
                salaries: Some(u32::try_from(d.nirs.len()).unwrap_or(u32::MAX)),
                conformite: None,
                certificat_conformite: None,
                anomalies,
            };
        let base = |type_code: &str,
                    etat: Statut,
                    message: Option<String>,
                    declarations: Vec<Declaration>| RapportSpec {
            type_code: type_code.into(),
            message,
            declarant: Some(Declarant {
                siret: dep.declarant_siret.clone(),
                nom: None,
                prenom: None,
            }),
            idflux: dep.idflux.clone(),
            essai_reel: essai,
            emetteur_siret: dep.facts.emetteur_siret.clone(),
            received_at: sec(dep.received_at),
            envoi_etat: etat,
            envoi_anomalies: Vec::new(),
            declarations,
        };
        // 11: certificate of conformity, or a BAN naming each required rubric missing.
        let missing_of = |i: usize| missing.get(i).cloned().unwrap_or_default();
        let conform = |i: usize| missing.get(i).is_none_or(Vec::is_empty);
        let cco: Vec<Declaration> = dep
            .facts
            .declarations
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let etat = if conform(i) { Statut::Ok } else { Statut::Ko };
                let mut x = decl(d, etat.clone(), missing_of(i));
                x.conformite = Some(etat);
                x
            })
            .collect();
        let all_conform = (0..dep.facts.declarations.len()).all(conform);
        let (kind, etat, statut) = if all_conform {
            ("CCO", Statut::Ok, "OK")
        } else {
            ("BAN", Statut::Ko, "KO")
        };
        self.push_return(
            dep,
            "11",
            statut,
            write_rapport(&base(kind, etat, None, cco)).into_bytes(),
        );
        // An essai file is checked (10, 11) and goes no further: CPAM never sees it, so no
        // 21/30/31 and no BPIJ (domain.md §3.3: test vs real is decided by S10.G00.00.005;
        // 21 is "real DSN only").
        if essai == Some(EssaiReel::Essai) {
            return;
        }
        // A declaration refused at 11 does not reach the CNAM either.
        let signalements: Vec<&check::DeclarationFacts> = dep
            .facts
            .declarations
            .iter()
            .enumerate()
            .filter(|(i, d)| conform(*i) && (d.nature == "04" || d.nature == "05"))
            .map(|(_, d)| d)
            .collect();
        if signalements.is_empty() {
            return;
        }
        let mut ack = Vec::new();
        let mut crm = Vec::new();
        let mut crm_ko = false;
        let mut non_reconstitution = Vec::new();
        let mut bpij_stops = Vec::new();
        for d in signalements {
            let rule = self.rule_for(d).cloned();
            let outcome = rule
                .as_ref()
                .map(|r| r.outcome)
                .unwrap_or(self.scenario.outcome.default);
            let rule_anomalies = |default_code: &str, default_msg: &str| -> Vec<Anomaly> {
                let specs = rule
                    .as_ref()
                    .map(|r| r.anomalies.clone())
                    .unwrap_or_default();
                let list: Vec<(String, String)> = if specs.is_empty() {
                    vec![(default_code.to_string(), default_msg.to_string())]
                } else {
                    specs.into_iter().map(|a| (a.code, a.message)).collect()
                };
                list.into_iter()
                    .map(|(code, message)| Anomaly {
                        code,
                        severity: Some(Severity::Blocking),
                        message,
                        line: None,
                        count: Some(1),
                        rubric: None,
                        related: Vec::new(),
                        individuals: Vec::new(),
                    })
                    .collect()
            };
            match outcome {
                Outcome::NonReconstitution => {
                    non_reconstitution.push(decl(
                        d,
                        Statut::Ko,
                        rule_anomalies(
                            "Flux Dsn",
                            "Erreur lors de la constitution de la DSIJ, erreur sur le dernier jour travaillé",
                        ),
                    ));
                    continue;
                }
                Outcome::Accepted => {
                    crm.push(decl(d, Statut::Ok, Vec::new()));
                    bpij_stops.extend(
                        d.stoppages
                            .iter()
                            .filter(|s| s.subrogation)
                            .cloned()
                            .map(|s| (d.clone(), s)),
                    );
                }
                Outcome::Rejected => {
                    crm_ko = true;
                    crm.push(decl(
                        d,
                        Statut::Ko,
                        rule_anomalies("PMNR", "Période de maintien de salaire non renseignée"),
                    ));
                }
                Outcome::DocumentsRequested => {
                    let docs = rule
                        .as_ref()
                        .map(|r| r.documents.clone())
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| vec!["BULLETIN_SALAIRE".to_string()]);
                    let a = Anomaly {
                        code: ijgate::formats::rapport::DOCUMENTS_REQUESTED_CODE.into(),
                        severity: Some(Severity::NonBlocking),
                        message: format!("Pièces justificatives demandées : {}", docs.join(", ")),
                        line: None,
                        count: None,
                        rubric: None,
                        related: Vec::new(),
                        individuals: Vec::new(),
                    };
                    crm.push(decl(d, Statut::Ano, vec![a]));
                }
            }
            ack.push(decl(d, Statut::Ok, Vec::new()));
        }
        if !non_reconstitution.is_empty() {
            let msg = "Les données déclarées pour ce salarié n'ont pas permis la constitution de la déclaration d'arrêt maladie ou reprise, nous vous invitons à utiliser l'ancienne procédure.";
            let body = write_rapport(&base(
                "21",
                Statut::Ok,
                Some(msg.into()),
                non_reconstitution,
            ));
            self.push_return(dep, "21", "KO", body.into_bytes());
        }
        if !ack.is_empty() {
            self.push_return(
                dep,
                "30",
                "OK",
                write_rapport(&base("30", Statut::Ok, None, ack)).into_bytes(),
            );
            let (etat, statut) = if crm_ko {
                (Statut::Ko, "KO")
            } else {
                (Statut::Ok, "OK")
            };
            let any_ano = crm.iter().any(|d| d.etat == Statut::Ano);
            let statut = if !crm_ko && any_ano { "ANO" } else { statut };
            self.push_return(
                dep,
                "31",
                statut,
                write_rapport(&base("31", etat, None, crm)).into_bytes(),
            );
        }
        if self.scenario.bpij.enabled {
            for (d, stop) in bpij_stops {
                let publication = after(dep.received_at, self.scenario.bpij.delay);
                let id = self.random_id(23);
                let issue = BpijIssue {
                    identification: self.next_id(),
                    declarant_siret: &dep.declarant_siret,
                    declare_siret: format!("{}{}", d.siren, d.nic),
                    code_cpam: &self.scenario.bpij.code_cpam,
                    libelle_cpam: &self.scenario.bpij.libelle_cpam,
                    paid_on: publication.date(),
                    default_monthly_gross: self.scenario.default_monthly_gross,
                };
                if let Some(slip) = ijss::bpij_for(&stop, &issue) {
                    self.bpijs.push(StoredBpij {
                        id,
                        declarant_siret: dep.declarant_siret.clone(),
                        declare_siret: issue.declare_siret.clone(),
                        publication,
                        body: slip.to_xml(),
                    });
                }
            }
        }
    }

    /// Rewrites a published return in place (same id), as organisms do upstream.
    pub fn overwrite_return(
        &mut self,
        idflux: &str,
        nature: &str,
        statut: &str,
        body: Vec<u8>,
        now: NaiveDateTime,
    ) -> bool {
        match self
            .returns
            .iter_mut()
            .find(|r| r.idflux == idflux && r.nature == nature)
        {
            Some(r) => {
                r.statut = statut.to_string();
                r.body = body;
                r.publication = now;
                true
            }
            None => false,
        }
    }

    fn entry(r: &StoredReturn, base: &str) -> ReturnEntry {
        ReturnEntry {
            id: Some(r.id.clone()),
            nature: r.nature.clone(),
            statut: r.statut.clone(),
            publication: Some(sec(r.publication)),
            production: Some(r.production),
            url: Some(format!(
                "{base}telecharger-retour/1.0/{}/{}",
                r.idflux, r.id
            )),
            ops: None,
            delegataire: None,
        }
    }

    fn listing_of<'a>(
        returns: impl Iterator<Item = &'a StoredReturn>,
        base: &str,
    ) -> ReturnsListing {
        let mut l = ReturnsListing::default();
        for r in returns {
            match l.flux.iter_mut().find(|f| f.idflux == r.idflux) {
                Some(f) => f.retours.push(Self::entry(r, base)),
                None => l.flux.push(FluxReturns {
                    idflux: r.idflux.clone(),
                    retours: vec![Self::entry(r, base)],
                }),
            }
        }
        l
    }

    /// `None` when the flux is unknown to this declarant (→ 404).
    pub fn returns_of_flux(
        &self,
        siret: &str,
        idflux: &str,
        now: NaiveDateTime,
        base: &str,
    ) -> Option<ReturnsListing> {
        self.deposits
            .iter()
            .find(|d| d.idflux == idflux && d.declarant_siret == siret)?;
        Some(Self::listing_of(
            self.returns
                .iter()
                .filter(|r| r.idflux == idflux && r.publication <= now),
            base,
        ))
    }

    pub fn returns_between(
        &self,
        siret: &str,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
        now: NaiveDateTime,
        base: &str,
    ) -> ReturnsListing {
        let mine: Vec<&str> = self
            .deposits
            .iter()
            .filter(|d| d.declarant_siret == siret)
            .map(|d| d.idflux.as_str())
            .collect();
        Self::listing_of(
            self.returns.iter().filter(|r| {
                let p = sec(r.publication);
                mine.contains(&r.idflux.as_str()) && r.publication <= now && p >= debut && p <= fin
            }),
            base,
        )
    }

    /// Deposits received in `[debut, fin]` (the `listing_lag` knob is applied by the caller).
    pub fn deposits_between(
        &self,
        siret: &str,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
    ) -> DepositsListing {
        let accepted = self
            .deposits
            .iter()
            .map(|d| (&d.idflux, &d.declarant_siret, d.received_at, "OK"));
        let refused = self.rejected.iter().map(|(i, s, t)| (i, s, *t, "KO"));
        let mut depots: Vec<DepositEntry> = accepted
            .chain(refused)
            .filter(|(_, s, t, _)| *s == siret && sec(*t) >= debut && sec(*t) <= fin)
            .map(|(i, _, t, statut)| DepositEntry {
                idflux: i.clone(),
                date: Some(sec(t)),
                statut: statut.into(),
            })
            .collect();
        depots.sort_by_key(|d| d.date);
        DepositsListing {
            siret: Some(siret.to_string()),
            nom: None,
            prenom: None,
            depots,
        }
    }

    pub fn return_body(
        &self,
        siret: &str,
        idflux: &str,
        id: &str,
        now: NaiveDateTime,
    ) -> Option<Vec<u8>> {
        self.deposits
            .iter()
            .find(|d| d.idflux == idflux && d.declarant_siret == siret)?;
        self.returns
            .iter()
            .find(|r| r.idflux == idflux && r.id == id && r.publication <= now)
            .map(|r| r.body.clone())
    }

    /// BPIJ published between two days (inclusive), grouped by establishment; 50 per page.
    pub fn bpij_listing(
        &self,
        siret: &str,
        query: &BpijQuery,
        now: NaiveDateTime,
        base: &str,
    ) -> BpijListing {
        let (debut, fin, filter_siret, page) =
            (query.debut, query.fin, query.siret.as_deref(), query.page);
        const PAGE: usize = 50;
        let mut establishments: Vec<String> = self
            .deposits
            .iter()
            .filter(|d| d.declarant_siret == siret)
            .flat_map(|d| {
                d.facts
                    .declarations
                    .iter()
                    .map(|x| format!("{}{}", x.siren, x.nic))
            })
            .collect();
        establishments.sort();
        establishments.dedup();
        if let Some(f) = filter_siret {
            establishments.retain(|s| s == f);
        }
        let visible: Vec<&StoredBpij> = self
            .bpijs
            .iter()
            .filter(|b| b.declarant_siret == siret && b.publication <= now)
            .filter(|b| {
                let day = b.publication.date();
                day >= debut && day <= fin
            })
            .collect();
        let total_pages = visible.len().div_ceil(PAGE).max(1);
        let page_index = usize::try_from(page.max(1) - 1).unwrap_or(0);
        let on_page: Vec<&StoredBpij> = visible
            .iter()
            .skip(page_index * PAGE)
            .take(PAGE)
            .copied()
            .collect();
        BpijListing {
            declarant_siret: Some(siret.to_string()),
            declares: establishments
                .into_iter()
                .map(|e| {
                    let links: Vec<BpijLink> = on_page
                        .iter()
                        .filter(|b| b.declare_siret == e)
                        .map(|b| BpijLink {
                            publication: Some(b.publication.date()),
                            url: format!("{base}telecharger-bpij/1.0/{}", b.id),
                        })
                        .collect();
                    let message = links
                        .is_empty()
                        .then(|| "Pas de BPIJ sur la période".to_string());
                    BpijDeclare {
                        siret: e,
                        statut: "OK".into(),
                        bpij: links,
                        message,
                    }
                })
                .collect(),
            page: Some(page.max(1)),
            page_total: Some(u32::try_from(total_pages).unwrap_or(u32::MAX)),
        }
    }

    pub fn bpij_body(&self, siret: &str, id: &str, now: NaiveDateTime) -> Option<Vec<u8>> {
        self.bpijs
            .iter()
            .find(|b| b.id == id && b.declarant_siret == siret && b.publication <= now)
            .map(|b| b.body.clone())
    }

    pub fn record_pj(&mut self, report: RapportIj) {
        self.stats.pj_uploads += 1;
        self.pj_reports.push(report);
    }

    pub fn stats(&self, now: NaiveDateTime) -> Stats {
        let mut s = self.stats.clone();
        s.received = self
            .deposits
            .iter()
            .flat_map(|d| {
                d.facts
                    .declarations
                    .iter()
                    .map(move |x| ReceivedDeclaration {
                        idflux: d.idflux.clone(),
                        nature: x.nature.clone(),
                        type_decl: x.type_decl.clone(),
                        identifiant_metier: x.identifiant_metier.clone(),
                        replaces: x.replaces.clone(),
                    })
            })
            .collect();
        let issued: Vec<&StoredReturn> = self
            .returns
            .iter()
            .filter(|r| r.publication <= now)
            .collect();
        s.returns_issued = u32::try_from(issued.len()).unwrap_or(u32::MAX);
        for r in issued {
            *s.returns_issued_per_nature
                .entry(r.nature.clone())
                .or_default() += 1;
        }
        s.bpij_issued = u32::try_from(self.bpijs.iter().filter(|b| b.publication <= now).count())
            .unwrap_or(u32::MAX);
        s
    }

    /// Sum of the gross IJ of every BPIJ issued (for tests and demos).
    pub fn bpij_gross_total(&self) -> Decimal {
        self.bpijs
            .iter()
            .filter_map(|b| ijgate::formats::bpij::Bpij::parse(&b.body).ok())
            .flat_map(|b| b.summaries())
            .map(|s| s.gross_ij)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::sample::{SampleStop, signalement};
    use crate::scenario::OutcomeRule;
    use ijgate::engine::exchange::outcome::ReturnOutcome;
    use ijgate::formats::rapport::Rapport;

    fn t(s: &str) -> NaiveDateTime {
        ijgate::formats::listing::parse_ts(s).unwrap()
    }

    fn state() -> State {
        let mut sc = Scenario::default();
        sc.delays.insert("31".into(), Duration::from_secs(60));
        sc.outcome.rules.push(OutcomeRule {
            identifiant_metier: Some("ARR-KO".into()),
            outcome: Outcome::Rejected,
            ..Default::default()
        });
        sc.outcome.rules.push(OutcomeRule {
            nir_prefix: Some("29".into()),
            outcome: Outcome::NonReconstitution,
            ..Default::default()
        });
        State::new(sc)
    }

    fn natures_of(s: &State, idflux: &str) -> Vec<(String, String)> {
        let much_later = t("20261231100000");
        s.returns_of_flux("12345678200010", idflux, much_later, "https://h/")
            .unwrap()
            .entries()
            .map(|(_, r)| (r.nature.clone(), r.statut.clone()))
            .collect()
    }

    /// An essai file (S10.G00.00.005 = 01) gets 10 and 11 only: never 30/31, never a BPIJ,
    /// as the real service (domain.md §3.3).
    #[test]
    fn essai_file_gets_10_and_11_only() {
        let mut sc = Scenario::default();
        sc.bpij.enabled = true;
        let mut s = State::new(sc);
        let essai = String::from_utf8_lossy(&signalement(&SampleStop::default()))
            .replace("S10.G00.00.005,'02'", "S10.G00.00.005,'01'");
        let bytes: Vec<u8> = essai.chars().map(|c| c as u8).collect();
        let DepositResult::Accepted { idflux, .. } =
            s.deposit("12345678200010", &bytes, t("20261125100000"))
        else {
            panic!("rejected")
        };
        let got = natures_of(&s, &idflux);
        assert_eq!(
            got,
            [("10".into(), "OK".into()), ("11".into(), "OK".into())]
        );
        assert!(s.bpijs.is_empty());
    }

    /// A signalement missing a required rubric gets a BAN (11 KO) naming it and goes no
    /// further.
    #[test]
    fn incomplete_signalement_gets_a_ban_naming_the_rubric() {
        let mut s = state();
        let full = String::from_utf8_lossy(&signalement(&SampleStop::default())).into_owned();
        let cut: String = full
            .split_inclusive('\n')
            .filter(|l| !l.starts_with("S21.G00.30.007"))
            .collect::<String>()
            .replace("S90.G00.90.001,'70'", "S90.G00.90.001,'69'");
        let bytes: Vec<u8> = cut.chars().map(|c| c as u8).collect();
        let DepositResult::Accepted { idflux, .. } =
            s.deposit("12345678200010", &bytes, t("20261125100000"))
        else {
            panic!("rejected")
        };
        assert_eq!(
            natures_of(&s, &idflux),
            [("10".into(), "OK".into()), ("11".into(), "KO".into())]
        );
        let r11 = s
            .returns
            .iter()
            .find(|r| r.idflux == idflux && r.nature == "11")
            .unwrap();
        let text = String::from_utf8_lossy(&r11.body);
        assert!(text.contains("type=\"BAN\""), "{text}");
        assert!(text.contains("S21.G00.30.007"), "{text}");
        let rapport = Rapport::parse(&r11.body).unwrap();
        assert_eq!(rapport.type_code, "BAN");
    }

    #[test]
    fn returns_are_published_at_their_delay() {
        let mut s = state();
        let now = t("20261125100000");
        let DepositResult::Accepted { idflux, .. } =
            s.deposit("12345678200010", &signalement(&SampleStop::default()), now)
        else {
            panic!("rejected")
        };
        let l = s
            .returns_of_flux("12345678200010", &idflux, now, "https://h/")
            .unwrap();
        let natures: Vec<&str> = l.entries().map(|(_, r)| r.nature.as_str()).collect();
        assert_eq!(natures, vec!["10", "11", "30"]);
        let later = t("20261125100100");
        let l = s
            .returns_of_flux("12345678200010", &idflux, later, "https://h/")
            .unwrap();
        let (_, r31) = l.entries().find(|(_, r)| r.nature == "31").unwrap();
        let body = s
            .return_body("12345678200010", &idflux, r31.id.as_deref().unwrap(), later)
            .unwrap();
        assert_eq!(
            Rapport::parse(&body).unwrap().outcome(None),
            ReturnOutcome::CnamAccepted
        );
        // Other declarants see nothing.
        assert!(
            s.returns_of_flux("99999999900019", &idflux, later, "https://h/")
                .is_none()
        );
        assert_eq!(s.stats(later).returns_issued, 4);
        assert_eq!(s.stats(now).returns_issued, 3);
    }

    #[test]
    fn outcomes_by_identifiant_and_nir_prefix() {
        let mut s = state();
        let now = t("20261125100000");
        let ko = signalement(&SampleStop {
            identifiant_metier: "ARR-KO",
            ..Default::default()
        });
        let nr = signalement(&SampleStop {
            identifiant_metier: "ARR-NR",
            nir: "2920375123456",
            ..Default::default()
        });
        s.deposit("12345678200010", &ko, now);
        s.deposit("12345678200010", &nr, now);
        let later = t("20261125110000");
        let all = s.returns_between(
            "12345678200010",
            t("20261125100000"),
            later,
            later,
            "https://h/",
        );
        let mut seen = Vec::new();
        for (flux, r) in all.entries() {
            let body = s
                .return_body("12345678200010", flux, r.id.as_deref().unwrap(), later)
                .unwrap();
            let rap = Rapport::parse(&body).unwrap();
            seen.push((r.nature.clone(), rap.outcome(Some(&r.nature))));
        }
        assert!(
            seen.iter()
                .any(|(n, o)| n == "31" && matches!(o, ReturnOutcome::CnamRejected { .. }))
        );
        assert!(
            seen.iter()
                .any(|(n, o)| n == "21" && matches!(o, ReturnOutcome::NonReconstitution { .. }))
        );
        // The non-reconstituted one gets no 31.
        assert_eq!(seen.iter().filter(|(n, _)| n == "31").count(), 1);
        assert!(s.bpijs.is_empty());
    }

    #[test]
    fn duplicates_are_counted_and_bpij_issued() {
        let mut s = state();
        let now = t("20261125100000");
        let f = signalement(&SampleStop::default());
        s.deposit("12345678200010", &f, now);
        assert!(s.stats(now).duplicates.is_empty());
        s.deposit("12345678200010", &f, now);
        let st = s.stats(now);
        assert_eq!(st.deposits_per_identifiant_metier["ARR-0001"], 2);
        assert_eq!(st.duplicates, vec!["ARR-0001"]);
        assert_eq!(st.bpij_issued, 2);
        // default_monthly_gross 2 500 → 3×2500/91.25/2 = 41.10 × 16 days
        assert_eq!(
            s.bpij_gross_total(),
            Decimal::new(65760, 2) * Decimal::from(2)
        );
    }

    #[test]
    fn bad_files_get_an_are() {
        let mut s = state();
        let now = t("20261125100000");
        match s.deposit("12345678200010", b"S11.G00.00.001,'X'\r\n", now) {
            DepositResult::Rejected { body } => {
                let r = Rapport::parse(body.as_bytes()).unwrap();
                assert_eq!(r.type_code, "ARE");
                assert!(!r.envoi.anomalies.is_empty());
            }
            DepositResult::Accepted { .. } => panic!("accepted"),
        }
        assert_eq!(s.stats(now).deposits_rejected, 1);
        assert!(s.deposits.is_empty());
        let listed = s.deposits_between("12345678200010", now, now);
        assert_eq!(listed.depots.len(), 1);
        assert_eq!(listed.depots[0].statut, "KO");
    }

    #[test]
    fn foreign_ko_deposits() {
        let sc = Scenario {
            foreign_ko_ratio: 1.0,
            ..Default::default()
        };
        let mut s = State::new(sc);
        let now = t("20261125100000");
        s.deposit("12345678200010", &signalement(&SampleStop::default()), now);
        let (a, b) = (t("20261125095900"), t("20261125100100"));
        let later = t("20261125100005");
        let l = s.deposits_between("12345678200010", a, b);
        let statuses: Vec<&str> = l.depots.iter().map(|d| d.statut.as_str()).collect();
        assert_eq!(statuses.len(), 2, "{statuses:?}");
        assert!(statuses.contains(&"OK") && statuses.contains(&"KO"));
        // The foreign file is not counted as a rejection of ours.
        assert_eq!(s.stats(later).deposits_rejected, 0);
    }

    #[test]
    fn tokens_expire_after_n_calls() {
        let mut sc = Scenario::default();
        sc.faults.token_expiry_calls = 2;
        let mut s = State::new(sc);
        let now = t("20261125100000");
        let tok = s
            .authenticate("12345678200010", "N", "P", "pw", "97", now)
            .unwrap();
        let h = format!("DSNLogin jeton={tok}");
        assert!(s.check_token(Some(&h), now).is_some());
        assert!(s.check_token(Some(&h), now).is_some());
        assert!(s.check_token(Some(&h), now).is_none());
        assert!(s.check_token(Some("Bearer x"), now).is_none());
        assert_eq!(s.authenticate("123", "N", "P", "pw", "97", now), Err(422));
        assert_eq!(
            s.authenticate("12345678200010", "N", "P", "pw", "42", now),
            Err(401)
        );
    }

    #[test]
    fn tokens_expire_after_their_ttl() {
        let mut sc = Scenario::default();
        sc.faults.token_ttl = Some(Duration::from_secs(3600));
        let mut s = State::new(sc);
        let now = t("20261125100000");
        let tok = s
            .authenticate("12345678200010", "N", "P", "pw", "25", now)
            .unwrap();
        let h = format!("DSNLogin jeton={tok}");
        assert_eq!(
            s.check_token(Some(&h), t("20261125105959")).as_deref(),
            Some("12345678200010")
        );
        assert!(s.check_token(Some(&h), t("20261125110000")).is_none());
        // Once expired, it stays refused.
        assert!(s.check_token(Some(&h), now).is_none());
    }

    #[test]
    fn fault_draws_are_reproducible() {
        let mut sc = Scenario {
            seed: 42,
            ..Default::default()
        };
        sc.faults.error_5xx_rate = 0.3;
        sc.faults.throttle_rate = 0.2;
        let draws = |sc: &Scenario| {
            let mut s = State::new(sc.clone());
            (0..50)
                .map(|_| s.draw_fault("deposer-dsn"))
                .collect::<Vec<_>>()
        };
        let a = draws(&sc);
        assert_eq!(a, draws(&sc));
        assert!(a.contains(&Some(Fault::Error5xx)));
        assert!(a.contains(&Some(Fault::Throttle)));
        assert!(a.contains(&None));
        sc.seed = 43;
        assert_ne!(a, draws(&sc));
    }
}
