//! The alert sender: mails what is due, grouped per recipient; more than
//! `alerts.digest_threshold` mails for one recipient in one round become one digest. A
//! recipient the SMTP server did not accept keeps the alert in `failed` with a backoff; the
//! ones that got it are remembered, so nobody is mailed twice.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use super::compose;
use super::store::{Delivery, Due};
use crate::channels::mailer::{Mail, Mailer};
use crate::config::Config;

/// Insurer recipients of a declaration's alerts. `[[insurers]] alert_emails` comes with the
/// insurer branch: at merge, read it here (and only here).
pub fn insurer_alert_emails(cfg: &Config, siret: Option<&str>) -> Vec<String> {
    let Some(siret) = siret else {
        return Vec::new();
    };
    cfg.insurers
        .iter()
        .filter(|i| {
            i.contracts
                .iter()
                .any(|c| c.sirets.iter().any(|s| s == siret))
        })
        .flat_map(|i| i.alert_emails.iter().cloned())
        .collect()
}

/// Everyone who receives an alert about `siret` (None: installation-wide alerts).
pub fn recipients(cfg: &Config, siret: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = cfg.alerts.to.clone();
    if let Some(s) = siret {
        if let Some(e) = cfg.employer(s) {
            v.extend(e.alert_emails.iter().cloned());
        }
        v.extend(insurer_alert_emails(cfg, Some(s)));
    }
    let mut seen = std::collections::HashSet::new();
    v.retain(|a| seen.insert(a.to_ascii_lowercase()));
    v
}

/// Delay before the next attempt after `attempts` failures: the crate's one backoff.
pub use crate::engine::exchange::decide::backoff;

/// One mail of a round and the alerts it carries.
#[derive(Debug, Clone)]
pub struct Planned {
    pub to: String,
    pub alerts: Vec<i64>,
    pub subject: String,
    pub text: String,
}

/// The insurer an installation-wide alert is about, from its condition: a Prest'IJ SFTP
/// incident (`prestij_transfer:<insurer>:<id>`, engine::prestij::incident) concerns one
/// insurer and no establishment, so its `alert_emails` are reached through the condition.
fn insurer_of_condition<'a>(
    cfg: &'a Config,
    condition: &str,
) -> Option<&'a crate::config::insurers::Insurer> {
    let rest = condition.strip_prefix("prestij_transfer:")?;
    let code = rest.split(':').next()?;
    cfg.insurers.iter().find(|i| i.code == code)
}

/// Everyone who receives alert `a`: [`recipients`] of its establishment, plus the insurer it
/// names in its condition, without duplicates.
fn recipients_of(cfg: &Config, a: &Due) -> Vec<String> {
    let mut v = recipients(cfg, a.siret.as_deref());
    if let Some(i) = insurer_of_condition(cfg, &a.condition) {
        v.extend(i.alert_emails.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        v.retain(|x| seen.insert(x.to_ascii_lowercase()));
    }
    v
}

/// Groups due alerts into mails: per recipient, one mail each, or one digest.
pub fn plan(cfg: &Config, due: &[Due]) -> Vec<Planned> {
    let mut per: BTreeMap<String, Vec<&Due>> = BTreeMap::new();
    for a in due {
        for r in recipients_of(cfg, a) {
            if !a.delivered_to.contains(&r) {
                per.entry(r).or_default().push(a);
            }
        }
    }
    let mut out = Vec::new();
    for (to, list) in per {
        if list.len() > cfg.alerts.digest_threshold {
            let (subject, text) = compose::digest(&list);
            out.push(Planned {
                to,
                alerts: list.iter().map(|a| a.id).collect(),
                subject,
                text,
            });
        } else {
            for a in list {
                let (subject, text) = compose::single(a);
                out.push(Planned {
                    to: to.clone(),
                    alerts: vec![a.id],
                    subject,
                    text,
                });
            }
        }
    }
    out
}

/// Sends one round; returns the outcome per alert, to record in the journal.
pub async fn send_round(
    cfg: &Config,
    mailer: &Mailer,
    due: Vec<Due>,
    now: DateTime<Utc>,
) -> Vec<Delivery> {
    let planned = plan(cfg, &due);
    let mut delivered: BTreeMap<i64, Vec<String>> =
        due.iter().map(|a| (a.id, a.delivered_to.clone())).collect();
    let mut errors: BTreeMap<i64, String> = BTreeMap::new();
    for p in planned {
        let mail = Mail {
            from: cfg.alerts.from.clone(),
            to: vec![p.to.clone()],
            subject: p.subject,
            text: p.text,
        };
        match mailer.send(&mail).await {
            Ok(()) => {
                for id in &p.alerts {
                    if let Some(v) = delivered.get_mut(id) {
                        v.push(p.to.clone());
                    }
                    if let Some(a) = due.iter().find(|a| a.id == *id) {
                        crate::metrics::alert_sent(&a.condition, &p.to);
                    }
                }
            }
            Err(e) => {
                crate::internal_events::peer_call_failed(
                    "smtp",
                    "mail_not_sent",
                    &format!("{} alert(s) to {}, retried: {e}", p.alerts.len(), p.to),
                );
                for id in &p.alerts {
                    errors.insert(*id, e.to_string());
                }
            }
        }
    }
    due.iter()
        .map(|a| {
            let got = delivered.remove(&a.id).unwrap_or_default();
            let wanted = recipients(cfg, a.siret.as_deref());
            let complete = wanted.iter().all(|r| got.contains(r));
            let error = errors.remove(&a.id).or_else(|| {
                wanted
                    .is_empty()
                    .then(|| "no recipient configured".to_string())
            });
            if wanted.is_empty() {
                crate::internal_events::alert_without_recipient(a.id, &a.condition);
            }
            let delay = backoff(cfg.alerts.retry_initial, cfg.alerts.retry_max, a.attempts);
            Delivery {
                id: a.id,
                delivered_to: got,
                complete,
                error,
                next_attempt_at: super::store::later(now, delay),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> Config {
        toml::from_str(&format!(
            "[alerts]\nto = [\"ops@example.fr\"]\ndigest_threshold = 2\n{extra}\n[[employers]]\nsiret = \"12345678200010\"\nname = \"A\"\nalert_emails = [\"rh@example.fr\", \"OPS@example.fr\"]\n"
        ))
        .unwrap()
    }

    fn due(id: i64, siret: Option<&str>) -> Due {
        Due {
            id,
            declaration_id: id,
            condition: "refused".into(),
            siret: siret.map(Into::into),
            hr_ref: Some(format!("H-{id}")),
            detail: "d".into(),
            mail_kind: "alert".into(),
            attempts: 0,
            delivered_to: vec![],
            created_at: "t".into(),
        }
    }

    #[test]
    fn recipients_merge_global_and_employer_without_duplicates() {
        let c = cfg("");
        assert_eq!(
            recipients(&c, Some("12345678200010")),
            vec!["ops@example.fr", "rh@example.fr"]
        );
        assert_eq!(recipients(&c, None), vec!["ops@example.fr"]);
    }

    #[test]
    fn a_prestij_incident_reaches_its_insurer_too() {
        let c = cfg(
            "[[insurers]]\ncode = \"PREV01\"\nname = \"P\"\nalert_emails = [\"gestion@prev.fr\", \"ops@example.fr\"]\n",
        );
        let mut a = due(1, None);
        a.condition = "prestij_transfer:PREV01:7".into();
        assert_eq!(
            recipients_of(&c, &a),
            vec!["ops@example.fr", "gestion@prev.fr"]
        );
        a.condition = "prestij_transfer:OTHER:7".into();
        assert_eq!(recipients_of(&c, &a), vec!["ops@example.fr"]);
        let planned = plan(
            &c,
            &[due(2, None), {
                let mut x = due(3, None);
                x.condition = "prestij_transfer:PREV01:9".into();
                x
            }],
        );
        assert!(
            planned
                .iter()
                .any(|p| p.to == "gestion@prev.fr" && p.alerts == vec![3])
        );
    }

    #[test]
    fn many_alerts_for_one_recipient_become_one_digest() {
        let c = cfg("");
        let s = Some("12345678200010");
        let two = plan(&c, &[due(1, s), due(2, s)]);
        assert_eq!(two.len(), 4, "two mails each for two recipients");
        let three = plan(&c, &[due(1, s), due(2, s), due(3, s)]);
        assert_eq!(three.len(), 2, "one digest per recipient");
        assert!(three[0].subject.contains("3 alertes"));
        assert_eq!(three[0].alerts, vec![1, 2, 3]);
    }

    #[test]
    fn already_delivered_recipients_are_skipped() {
        let c = cfg("");
        let mut a = due(1, Some("12345678200010"));
        a.delivered_to = vec!["ops@example.fr".into()];
        let p = plan(&c, &[a]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].to, "rh@example.fr");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = std::time::Duration::from_secs;
        assert_eq!(backoff(s(1), s(10), 0), s(1));
        assert_eq!(backoff(s(1), s(10), 3), s(8));
        assert_eq!(backoff(s(1), s(10), 4), s(10));
        assert_eq!(backoff(s(1), s(10), 400), s(10));
    }
}
