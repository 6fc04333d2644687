//! A French sentence for each JSON notice, for the HR clerk who opens the file: the machine
//! fields stay as they are (integrations read them); `resume` says the same thing in words,
//! with the time in Europe/Paris.
//!
//! Pure: the sentence is computed from the notice's own fields, so every notice kind
//! (RECEIVED, REJECTED, the net-entreprises and CPAM returns, DOCUMENT, …) gets one, whoever
//! wrote it. A kind this module does not know still gets a generic sentence.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The field added to every JSON notice.
pub const FIELD: &str = "resume";

/// At most this many errors or anomalies are spelt out; the rest are counted.
const MAX_LISTED: usize = 5;

fn s<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str).filter(|v| !v.is_empty())
}

/// "le 29/11/2026 à 10:05 (heure de Paris)" from an RFC 3339 instant.
fn paris(at: &str) -> Option<String> {
    let t: DateTime<Utc> = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    let p = t.with_timezone(&chrono_tz::Europe::Paris);
    Some(format!(
        "le {} à {} (heure de Paris)",
        p.format("%d/%m/%Y"),
        p.format("%H:%M")
    ))
}

/// The event as a noun phrase, and whether it is feminine (for the agreement of participles).
fn event_fr(e: Option<&str>) -> (&'static str, bool) {
    match e {
        Some("arret") => ("l'arrêt de travail", false),
        Some("prolongation") => ("la prolongation", true),
        Some("reprise") => ("la reprise", true),
        Some("annulation") => ("l'annulation", true),
        _ => ("la déclaration", true),
    }
}

/// "l'arrêt de travail RH-2026-0001"
fn subject(o: &Map<String, Value>) -> String {
    let (what, _) = event_fr(s(o, "event"));
    match s(o, "hr_ref") {
        Some(r) => format!("{what} {r}"),
        None => what.to_string(),
    }
}

/// `participle` agreed with the notice's event ("enregistré" → "enregistrée").
fn agreed(o: &Map<String, Value>, participle: &str) -> String {
    if event_fr(s(o, "event")).1 {
        format!("{participle}e")
    } else {
        participle.to_string()
    }
}

/// "A : B ; C : D" from a list of objects with `a` and `b` keys, bounded.
fn listed(items: Option<&Value>, first: &[&str], second: &str) -> (usize, String) {
    let Some(items) = items.and_then(Value::as_array) else {
        return (0, String::new());
    };
    let mut parts: Vec<String> = items
        .iter()
        .take(MAX_LISTED)
        .filter_map(Value::as_object)
        .map(|e| {
            let head: Vec<String> = first
                .iter()
                .filter_map(|k| match e.get(*k) {
                    Some(Value::String(v)) if !v.is_empty() => Some(v.clone()),
                    Some(Value::Number(n)) => Some(format!("ligne {n}")),
                    _ => None,
                })
                .collect();
            let why = s(e, second).unwrap_or("");
            match (head.is_empty(), why.is_empty()) {
                (false, false) => format!("{} : {why}", head.join(", ")),
                (false, true) => head.join(", "),
                (true, _) => why.to_string(),
            }
        })
        .filter(|p| !p.is_empty())
        .collect();
    if items.len() > MAX_LISTED {
        parts.push(format!("et {} autre(s)", items.len() - MAX_LISTED));
    }
    (items.len(), parts.join(" ; "))
}

fn status_fr(status: Option<&str>) -> &'static str {
    match status {
        Some("OK") => "accepté",
        Some("ANO") => "accepté avec anomalies",
        Some("KO") => "refusé",
        _ => "reçu",
    }
}

/// The French sentence for a notice, `None` when it is not a notice (no `kind`).
pub fn resume(o: &Map<String, Value>) -> Option<String> {
    let kind = s(o, "kind")?;
    let when = s(o, "at").and_then(paris);
    let when = when.map(|w| format!(" {w}")).unwrap_or_default();
    let subj = subject(o);
    let status = s(o, "status");
    let (n_anom, anomalies) = listed(o.get("anomalies"), &["code"], "message");
    let anomalies = if n_anom > 0 {
        format!(" Anomalie(s) : {anomalies}.")
    } else {
        String::new()
    };
    let mut text = match kind {
        "RECEIVED" => {
            let how = match s(o, "outcome") {
                Some("modified") => format!(
                    "l'a {} comme une modification de la version précédente",
                    agreed(o, "enregistré")
                ),
                Some("duplicate") => {
                    "l'avait déjà reçu à l'identique : rien de plus à faire".to_string()
                }
                _ => format!("l'a {}", agreed(o, "enregistré")),
            };
            format!(
                "ijgate a reçu {subj}{when} et {how}. La déclaration à la CPAM suit par net-entreprises."
            )
        }
        "REJECTED" => {
            let (n, errs) = listed(o.get("errors"), &["line", "item", "field"], "reason");
            format!(
                "ijgate a refusé {subj}{when} : {n} erreur(s) : {errs}. Rien n'a été déclaré : corrigez la ligne et déposez-la à nouveau."
            )
        }
        "AEE" => format!(
            "{} a été {} sur net-entreprises{when}{} : le fichier est reçu, la CPAM va le traiter.",
            capitalise(&subj),
            agreed(o, "déposé"),
            s(o, "idflux")
                .map(|f| format!(" (flux {f})"))
                .unwrap_or_default()
        ),
        "ARE" => format!(
            "net-entreprises a refusé le dépôt de {subj}{when} : le fichier n'est pas pris en compte.{anomalies} Corrigez et déposez à nouveau."
        ),
        "AR_CNAM" => format!(
            "La CPAM a accusé réception de {subj}{when} ({}).",
            status_fr(status)
        ),
        "CRM_CNAM" => match status {
            Some("KO") => {
                format!("La CPAM a rejeté {subj}{when}.{anomalies} Une correction est nécessaire.")
            }
            Some("ANO") => format!("La CPAM a accepté {subj} avec des anomalies{when}.{anomalies}"),
            _ => format!("La CPAM a accepté {subj}{when}."),
        },
        "BAN" | "BIS" | "CCO" => format!(
            "Contrôle de conformité de {subj}{when} : {}.{anomalies}",
            status_fr(status)
        ),
        "NON_RECONSTITUTION" => format!(
            "La CPAM n'a pas pu reconstituer le salaire de référence pour {subj}{when}{} : utilisez l'attestation de salaire (DSIJ).",
            s(o, "message")
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ),
        "DOCUMENT" => match status {
            Some("OK") => format!(
                "La pièce justificative {} de {subj} a été transmise à la CPAM{when}.",
                s(o, "file").unwrap_or("")
            ),
            _ => format!(
                "La pièce justificative {} de {subj} n'a pas pu être transmise{when}{}.",
                s(o, "file").unwrap_or(""),
                s(o, "error").map(|e| format!(" : {e}")).unwrap_or_default()
            ),
        },
        other => format!(
            "Retour {other} pour {subj}{when} : {}.{anomalies}",
            status_fr(status)
        ),
    };
    if let Some(types) = o.get("documents_requested").and_then(Value::as_array) {
        let types: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
        if !types.is_empty() {
            text.push_str(&format!(
                " La CPAM demande des pièces justificatives ({}) : déposez chacune dans le dossier d'entrée sous le nom {}.<TYPE>.pdf.",
                types.join(", "),
                s(o, "hr_ref").unwrap_or("<référence>")
            ));
        }
    }
    if o.get("test").and_then(Value::as_bool) == Some(true) {
        text.push_str(" Fichier d'essai : rien n'est déclaré à la CPAM.");
    }
    Some(text)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The notice with its [`FIELD`] added (kept when one is already there); other bodies as they
/// are.
pub fn with_resume(mut o: Map<String, Value>) -> Map<String, Value> {
    if !o.contains_key(FIELD)
        && let Some(r) = resume(&o)
    {
        o.insert(FIELD.into(), Value::String(r));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(v: Value) -> String {
        resume(v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn received_in_french_with_paris_time() {
        let t = r(
            json!({"kind": "RECEIVED", "status": "OK", "hr_ref": "RH-2026-0001",
            "event": "arret", "outcome": "created", "at": "2026-11-29T09:05:00Z"}),
        );
        assert_eq!(
            t,
            "ijgate a reçu l'arrêt de travail RH-2026-0001 le 29/11/2026 à 10:05 (heure de Paris) et l'a enregistré. La déclaration à la CPAM suit par net-entreprises."
        );
        // Summer time: UTC+2; a feminine event agrees.
        let t = r(
            json!({"kind": "RECEIVED", "at": "2026-07-01T09:05:00Z", "event": "reprise",
            "outcome": "modified"}),
        );
        assert!(
            t.contains("01/07/2026 à 11:05")
                && t.contains("l'a enregistrée comme une modification"),
            "{t}"
        );
    }

    #[test]
    fn rejected_lists_the_errors_with_their_lines() {
        let t = r(
            json!({"kind": "REJECTED", "status": "KO", "at": "2026-11-29T09:05:00Z",
            "errors": [{"line": 3, "field": "nir", "reason": "clé NIR invalide"},
                       {"line": 3, "field": "birth_date", "reason": "date impossible"}]}),
        );
        assert!(
            t.contains("2 erreur(s) : ligne 3, nir : clé NIR invalide ; ligne 3, birth_date : date impossible"),
            "{t}"
        );
        assert!(t.contains("Rien n'a été déclaré"), "{t}");
    }

    #[test]
    fn returns_say_what_happened() {
        let t = r(
            json!({"kind": "AEE", "status": "OK", "hr_ref": "R1", "event": "arret",
            "idflux": "F1", "at": "2026-11-29T09:05:00Z"}),
        );
        assert!(
            t.starts_with("L'arrêt de travail R1 a été déposé sur net-entreprises")
                && t.contains("(flux F1)"),
            "{t}"
        );
        let t = r(
            json!({"kind": "CRM_CNAM", "status": "KO", "hr_ref": "R1", "event": "reprise",
            "anomalies": [{"code": "CNAM-12", "message": "NIR inconnu"}]}),
        );
        assert_eq!(
            t,
            "La CPAM a rejeté la reprise R1. Anomalie(s) : CNAM-12 : NIR inconnu. Une correction est nécessaire."
        );
        let t = r(
            json!({"kind": "CRM_CNAM", "status": "OK", "hr_ref": "R1", "event": "arret",
            "documents_requested": ["ARRET"], "test": true}),
        );
        assert!(
            t.contains("déposez chacune") && t.contains("R1.<TYPE>.pdf"),
            "{t}"
        );
        assert!(
            t.ends_with("Fichier d'essai : rien n'est déclaré à la CPAM."),
            "{t}"
        );
        let t = r(json!({"kind": "TAUX_ATMP", "status": "OK"}));
        assert_eq!(t, "Retour TAUX_ATMP pour la déclaration : accepté.");
        assert!(resume(json!({"a": 1}).as_object().unwrap()).is_none());
    }

    #[test]
    fn many_errors_are_counted_not_all_spelt() {
        let errors: Vec<Value> = (1..=8)
            .map(|i| json!({"line": i, "field": "f", "reason": "x"}))
            .collect();
        let t = r(json!({"kind": "REJECTED", "errors": errors}));
        assert!(
            t.contains("8 erreur(s)") && t.contains("et 3 autre(s)"),
            "{t}"
        );
    }

    #[test]
    fn an_existing_resume_is_kept() {
        let o = json!({"kind": "AEE", "resume": "déjà là"});
        let o = with_resume(o.as_object().unwrap().clone());
        assert_eq!(o["resume"], "déjà là");
    }
}
