//! Which alert conditions hold, from facts read out of the journal. Pure: the scanner reads
//! the facts, this decides, the store records.
//!
//! A condition is keyed by (declaration id, name); installation-wide ones (certificates) use
//! declaration 0. A condition that stops holding is "resolved"; for the missing-return and
//! not-deposited rules, and for certificates, the recipients get a "resolved" mail.

use chrono::{DateTime, Utc};

use super::config::{AlertsConfig, Deadlines};

/// A declaration in a state worth watching.
#[derive(Debug, Clone)]
pub struct DeclFact {
    pub id: i64,
    pub siret: String,
    pub hr_ref: String,
    pub event: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
}

/// A deposit sent to net-entreprises, with the natures of the returns already received.
#[derive(Debug, Clone)]
pub struct DepositFact {
    pub declaration_id: i64,
    pub siret: String,
    pub hr_ref: String,
    pub decl_state: String,
    pub state: String,
    pub nature: String,
    pub attempts: i64,
    pub sent_at: Option<DateTime<Utc>>,
    pub idflux: Option<String>,
    pub returns: Vec<String>,
    pub last_error: Option<String>,
}

/// A history event that always deserves an alert (e.g. `bpij_unmatched`).
#[derive(Debug, Clone)]
pub struct EventFact {
    pub declaration_id: i64,
    pub siret: String,
    pub hr_ref: String,
    pub what: String,
    pub detail: String,
}

/// A certificate file and its expiry.
#[derive(Debug, Clone)]
pub struct CertFact {
    pub setting: String,
    pub path: String,
    pub not_after: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub declarations: Vec<DeclFact>,
    pub deposits: Vec<DepositFact>,
    pub events: Vec<EventFact>,
    pub certs: Vec<CertFact>,
    /// Declarations are deposited at all (netent.mode is not "disabled").
    pub exchange: bool,
}

/// One condition that holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub declaration_id: i64,
    pub condition: String,
    pub siret: Option<String>,
    pub hr_ref: Option<String>,
    /// One human sentence (no personal identifier).
    pub detail: String,
}

/// The conditions that mean "overdue by a legal or configured deadline" (`[deadlines]`): a
/// signalement not deposited in time, or a return (11, 30, 31, 51) not received in time. The
/// web service's `late=true` listing is exactly these.
pub const DEADLINE_RULES: &[&str] = &[
    "not_deposited",
    "missing_11",
    "missing_30",
    "missing_31",
    "missing_51",
];

/// History events that raise an alert by themselves.
pub const EVENT_ALERTS: &[&str] = &[
    "bpij_unmatched",
    "bpij_unreadable",
    "no_insurer_contract",
    "insurer_push_failed",
    // A net-entreprises service answered something unusable (`peer_fault:<service>:<cause>`).
    "peer_fault",
    // Prest'IJ (engine::prestij)
    "prestij_rejected",
    "prestij_arl_missing",
    "prestij_flow_refused",
    "prestij_bad_file",
    // An SFTP incident while it lasts (`prestij_transfer:<insurer>:<incident id>`).
    "prestij_transfer",
    // A DSN of the insurer's fiches not received by its due day (MDSN01,
    // `missing_dsn:<SIRET>:<YYYY-MM>`, journal::dsn_door), resolved when it arrives.
    "missing_dsn",
];

/// The kind of an event condition (`bpij_unmatched:42` → `bpij_unmatched`).
pub fn event_kind(what: &str) -> &str {
    what.split(':').next().unwrap_or(what)
}

/// Conditions whose end is mailed ("resolved"); the others close silently.
pub fn mails_resolution(condition: &str) -> bool {
    condition.starts_with("missing_")
        || condition == "not_deposited"
        || condition.starts_with("cert_expiry")
        || condition == "delivery_failures"
        || condition.starts_with("prestij_transfer:")
}

/// Human title of a condition, for subjects and digests.
pub fn title(condition: &str) -> String {
    match condition {
        "missing_11" => "pas de certificat de conformité (11) dans le délai".into(),
        "missing_30" => "pas d'accusé de réception CNAM (30) dans le délai".into(),
        "missing_31" => "pas de compte rendu métier CNAM (31) dans le délai".into(),
        "missing_51" => {
            "pas de compte rendu de l'organisme complémentaire (51) dans le délai".into()
        }
        "not_deposited" => "signalement non déposé dans le délai".into(),
        "rejected" => "dépôt rejeté (ARE)".into(),
        "refused" => "signalement refusé par la CNAM (31 KO)".into(),
        "dsij_fallback" => "DSIJ nécessaire : attestation de salaire à envoyer à la main".into(),
        "documents_requested" => "la CPAM demande des pièces justificatives".into(),
        "failed" => "échec du dépôt".into(),
        "delivery_failures" => "échecs de dépôt répétés".into(),
        "bpij_unmatched" => {
            "bordereau de paiement d'IJ (BPIJ) sans déclaration correspondante".into()
        }
        "bpij_unreadable" => "bordereau de paiement d'IJ (BPIJ) illisible".into(),
        "no_insurer_contract" => "aucun contrat de prévoyance ne couvre cet arrêt".into(),
        "insurer_push_failed" => {
            "l'envoi à l'organisme de prévoyance échoue de façon répétée".into()
        }
        "peer_fault" => "incident d'un service net-entreprises".into(),
        "prestij_rejected" => "inscription Prest'IJ rejetée par la CNAM".into(),
        "prestij_arl_missing" => {
            "accusé de réception Prest'IJ (ARL GESTIP) absent dans le délai".into()
        }
        "prestij_flow_refused" => "flux GESTIP Prest'IJ refusé (ARL KO)".into(),
        "prestij_bad_file" => "fichier Prest'IJ illisible".into(),
        "prestij_transfer" => {
            "transfert SFTP Prest'IJ en échec (nouvel essai avec délai croissant)".into()
        }
        c if c.starts_with("cert_expiry") => "certificat proche de son expiration".into(),
        c if event_kind(c) == "missing_dsn" => {
            "DSN mensuelle non reçue à l'échéance (MDSN01)".into()
        }
        c => c.replace('_', " "),
    }
}

fn state_condition(state: &str) -> Option<&'static str> {
    Some(match state {
        "rejected" => "rejected",
        "refused" => "refused",
        "dsij_fallback" => "dsij_fallback",
        "documents_requested" => "documents_requested",
        "failed" => "failed",
        _ => return None,
    })
}

/// Every condition that holds at `now`.
pub fn evaluate(
    facts: &Facts,
    cfg: &AlertsConfig,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |id: i64, cond: &str, siret: &str, hr_ref: &str, detail: String| {
        out.push(Finding {
            declaration_id: id,
            condition: cond.to_string(),
            siret: Some(siret.to_string()),
            hr_ref: Some(hr_ref.to_string()),
            detail,
        })
    };
    for d in &facts.declarations {
        if let Some(c) = state_condition(&d.state) {
            push(
                d.id,
                c,
                &d.siret,
                &d.hr_ref,
                format!("declaration {} ({}) is {}", d.id, d.event, d.state),
            );
        }
        let waiting = matches!(
            d.state.as_str(),
            "validated" | "queued" | "depositing" | "uncertain"
        );
        if facts.exchange && waiting && deadlines.signalement.due(d.created_at) <= now {
            push(
                d.id,
                "not_deposited",
                &d.siret,
                &d.hr_ref,
                format!(
                    "la déclaration {} ({}) reçue le {} est toujours à l'état {}",
                    d.id,
                    d.event,
                    super::compose::paris_time(d.created_at),
                    d.state
                ),
            );
        }
    }
    for p in &facts.deposits {
        let has = |n: &str| p.returns.iter().any(|r| r == n);
        if p.state == "deposited"
            && let Some(sent) = p.sent_at
        {
            let flux = p.idflux.clone().unwrap_or_default();
            let mut late = |cond: &str, nature: &str, deadline: &super::config::Deadline| {
                if deadline.due(sent) <= now {
                    push(
                        p.declaration_id,
                        cond,
                        &p.siret,
                        &p.hr_ref,
                        format!(
                            "le flux {flux} déposé le {} n'a pas encore de retour {nature}",
                            super::compose::paris_time(sent)
                        ),
                    );
                }
            };
            if !has("11") {
                late("missing_11", "11", &deadlines.r11);
            }
            // 30 and 31 concern signalements; a 21 replaces them (no CNAM processing).
            if matches!(p.nature.as_str(), "04" | "05") && !has("21") {
                if !has("30") && p.decl_state == "deposited" {
                    late("missing_30", "30", &deadlines.r30);
                }
                if !has("31") && matches!(p.decl_state.as_str(), "deposited" | "acknowledged") {
                    late("missing_31", "31", &deadlines.r31);
                }
                if cfg.expect_crm_oc && !has("51") {
                    late("missing_51", "51", &deadlines.r51);
                }
            }
        }
        if matches!(p.state.as_str(), "pending" | "uncertain")
            && cfg.delivery_failures > 0
            && p.attempts >= cfg.delivery_failures
        {
            push(
                p.declaration_id,
                "delivery_failures",
                &p.siret,
                &p.hr_ref,
                format!(
                    "dépôt tenté {} fois sans succès (dernière erreur : {})",
                    p.attempts,
                    p.last_error.as_deref().unwrap_or("inconnue")
                ),
            );
        }
    }
    for e in &facts.events {
        if EVENT_ALERTS.contains(&event_kind(&e.what)) {
            push(
                e.declaration_id,
                &e.what,
                &e.siret,
                &e.hr_ref,
                format!("{}: {}", title(event_kind(&e.what)), e.detail),
            );
        }
    }
    let warn = chrono::Duration::from_std(cfg.cert_warning).unwrap_or(chrono::Duration::MAX);
    for c in &facts.certs {
        if c.not_after - now <= warn {
            out.push(Finding {
                declaration_id: 0,
                // The expiry date is in the key: a renewed certificate closes the alert.
                condition: format!("cert_expiry:{}:{}", c.setting, c.not_after.timestamp()),
                siret: None,
                hr_ref: None,
                detail: format!(
                    "{} ({}) expire le {}",
                    c.setting,
                    c.path,
                    super::compose::paris_time(c.not_after)
                ),
            });
        }
    }
    out.sort_by(|a, b| (a.declaration_id, &a.condition).cmp(&(b.declaration_id, &b.condition)));
    out.dedup_by(|a, b| a.declaration_id == b.declaration_id && a.condition == b.condition);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    fn deposit(decl_state: &str, returns: &[&str]) -> DepositFact {
        DepositFact {
            declaration_id: 7,
            siret: "12345678200010".into(),
            hr_ref: "H-1".into(),
            decl_state: decl_state.into(),
            state: "deposited".into(),
            nature: "04".into(),
            attempts: 1,
            sent_at: Some(t(8, 0)),
            idflux: Some("F1".into()),
            returns: returns.iter().map(|s| s.to_string()).collect(),
            last_error: None,
        }
    }

    fn conds(f: &Facts, now: DateTime<Utc>) -> Vec<String> {
        evaluate(f, &AlertsConfig::default(), &Deadlines::default(), now)
            .into_iter()
            .map(|x| x.condition)
            .collect()
    }

    #[test]
    fn missing_31_only_after_its_deadline_and_until_it_arrives() {
        let f = Facts {
            deposits: vec![deposit("acknowledged", &["10", "11", "30"])],
            exchange: true,
            ..Facts::default()
        };
        assert!(conds(&f, t(11, 59)).is_empty());
        assert_eq!(conds(&f, t(12, 0)), vec!["missing_31"]);
        let f = Facts {
            deposits: vec![deposit("accepted", &["10", "11", "30", "31"])],
            exchange: true,
            ..Facts::default()
        };
        assert!(conds(&f, t(20, 0)).is_empty());
    }

    #[test]
    fn missing_11_and_30_after_one_hour_and_21_replaces_them() {
        let f = Facts {
            deposits: vec![deposit("deposited", &["10"])],
            exchange: true,
            ..Facts::default()
        };
        assert!(conds(&f, t(8, 59)).is_empty());
        assert_eq!(conds(&f, t(9, 0)), vec!["missing_11", "missing_30"]);
        let f = Facts {
            deposits: vec![deposit("dsij_fallback", &["10", "11", "21"])],
            exchange: true,
            ..Facts::default()
        };
        assert!(conds(&f, t(23, 0)).is_empty());
    }

    #[test]
    fn states_and_not_deposited() {
        let d = |state: &str| DeclFact {
            id: 3,
            siret: "s".into(),
            hr_ref: "h".into(),
            event: "arret".into(),
            state: state.into(),
            created_at: t(8, 0) - chrono::Duration::days(5),
        };
        let mut f = Facts {
            declarations: vec![d("refused"), d("queued")],
            exchange: true,
            ..Facts::default()
        };
        assert_eq!(conds(&f, t(8, 0)), vec!["not_deposited", "refused"]);
        assert_eq!(conds(&f, t(7, 59)), vec!["refused"]);
        // No exchange configured: declarations are only journaled, nothing is late.
        f.exchange = false;
        assert_eq!(conds(&f, t(9, 0)), vec!["refused"]);
    }

    #[test]
    fn repeated_failures_events_and_certificates() {
        let mut p = deposit("queued", &[]);
        p.state = "pending".into();
        p.attempts = 5;
        let f = Facts {
            deposits: vec![p],
            events: vec![EventFact {
                declaration_id: 9,
                siret: "s".into(),
                hr_ref: "h".into(),
                what: "bpij_unmatched".into(),
                detail: "ref X".into(),
            }],
            certs: vec![
                CertFact {
                    setting: "api.cert_file".into(),
                    path: "/c.pem".into(),
                    not_after: t(8, 0) + chrono::Duration::days(29),
                },
                CertFact {
                    setting: "api.client_ca_file".into(),
                    path: "/ca.pem".into(),
                    not_after: t(8, 0) + chrono::Duration::days(31),
                },
            ],
            exchange: true,
            ..Facts::default()
        };
        let c = conds(&f, t(8, 0));
        assert_eq!(c.len(), 3, "{c:?}");
        assert!(c[0].starts_with("cert_expiry:api.cert_file:"));
        assert_eq!(c[1], "delivery_failures");
        assert_eq!(c[2], "bpij_unmatched");
        let cfg = AlertsConfig {
            cert_warning: Duration::from_secs(0),
            delivery_failures: 6,
            ..AlertsConfig::default()
        };
        let n = evaluate(&f, &cfg, &Deadlines::default(), t(8, 0));
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn resolution_mails_only_for_deadline_like_conditions() {
        assert!(mails_resolution("missing_31"));
        assert!(mails_resolution("not_deposited"));
        assert!(!mails_resolution("refused"));
    }
}
