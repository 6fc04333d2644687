//! The text of alert mails: one alert, a reminder, a "resolved" notice, or a digest when many
//! mails for one recipient are due at once (never a flood). Plain text, no personal
//! identifier beyond the HR reference and the SIRET.
//!
//! In French, for the payroll and HR staff who read them, with times in Europe/Paris and their
//! offset ("25/11/2026 11:00 (heure de Paris, UTC+01:00)"), never bare UTC. The commands and
//! setting names quoted stay as typed.

use super::conditions::title;
use super::store::Due;

/// A journal instant as French staff read it: `25/11/2026 11:00 (heure de Paris, UTC+01:00)`.
pub fn paris_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y %H:%M (heure de Paris, UTC%:z)")
        .to_string()
}

/// [`paris_time`] of a journal timestamp (RFC 3339); kept as written if unreadable.
pub fn paris_text(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| paris_time(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// Subject and body of a single alert mail.
pub fn single(a: &Due) -> (String, String) {
    let tag = tag(&a.mail_kind);
    let who = who(a);
    let subject = format!("[ijgate] {tag} : {}{who}", title(&a.condition));
    let mut body = String::new();
    body.push_str(&format!("{tag} : {}\n\n", title(&a.condition)));
    body.push_str(&format!("{}\n\n", a.detail));
    if let Some(r) = a.hr_ref.as_ref().filter(|r| !r.is_empty()) {
        body.push_str(&format!("Référence RH : {r}\n"));
    }
    if let Some(s) = &a.siret {
        body.push_str(&format!("SIRET : {s}\n"));
    }
    if a.declaration_id > 0 {
        body.push_str(&format!(
            "Déclaration : {} (ijgate show {})\n",
            a.declaration_id, a.declaration_id
        ));
    }
    body.push_str(&format!(
        "Alerte {} levée le {}\n",
        a.id,
        paris_text(&a.created_at)
    ));
    body.push_str(&format!("\n{}\n", advice(&a.condition, &a.mail_kind)));
    (subject, body)
}

/// Subject and body of a digest listing several mails.
pub fn digest(list: &[&Due]) -> (String, String) {
    let subject = format!("[ijgate] {} alertes", list.len());
    let mut body = format!(
        "{} messages d'alerte étaient dus en même temps : ils sont regroupés ici plutôt \
         qu'envoyés un par un.\n\n",
        list.len()
    );
    for a in list {
        body.push_str(&format!(
            "- {} : {}{} : {}\n",
            tag(&a.mail_kind),
            title(&a.condition),
            who(a),
            a.detail
        ));
    }
    body.push_str("\nDétails : ijgate alert list, ijgate show ID.\n");
    (subject, body)
}

fn tag(kind: &str) -> &'static str {
    match kind {
        "reminder" => "RAPPEL",
        "resolved" => "RÉSOLU",
        "test" => "TEST",
        _ => "ALERTE",
    }
}

fn who(a: &Due) -> String {
    // Installation-wide and DSN alerts have no HR reference (stored empty).
    let hr_ref = a.hr_ref.as_ref().filter(|r| !r.is_empty());
    match (hr_ref, &a.siret) {
        (Some(r), Some(s)) => format!(" - {r} (SIRET {s})"),
        (Some(r), None) => format!(" - {r}"),
        (None, Some(s)) if !s.is_empty() => format!(" (SIRET {s})"),
        _ => String::new(),
    }
}

fn advice(condition: &str, kind: &str) -> &'static str {
    if kind == "resolved" {
        return "La situation est rétablie : rien à faire.";
    }
    match condition {
        "dsij_fallback" => {
            "Une attestation de salaire pré-remplie a été déposée dans le dossier de sortie RH ; \
             envoyez-la par net-entreprises (DSIJ), puis clôturez la tâche : ijgate task done ID."
        }
        "documents_requested" => {
            "Déposez chaque pièce demandée (PDF) dans le dossier d'entrée du spool sous le nom \
             <hr_ref>.<TYPE>.pdf (ou envoyez-la par POST /v1/stoppages/ID/documents?type=TYPE)."
        }
        "rejected" | "refused" => "Corrigez la déclaration dans l'outil RH et renvoyez-la.",
        "failed" => {
            "Vérifiez les paramètres net-entreprises et le journal du service, puis relancez \
             (ijgate retry ID)."
        }
        c if c.starts_with("missing_dsn") => {
            "Relancez l'entreprise (ou son tiers déclarant) : sa DSN du mois n'est pas parvenue. \
             L'alerte se clôt d'elle-même à réception du lot dans spool/inbound/dsn/."
        }
        c if c.starts_with("cert_expiry") => {
            "Renouvelez le certificat puis rechargez ijgate (systemctl reload ijgate)."
        }
        _ => "Consultez l'historique de la déclaration (ijgate show ID) et le journal du service.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(kind: &str, cond: &str) -> Due {
        Due {
            id: 4,
            declaration_id: 7,
            condition: cond.into(),
            siret: Some("12345678200010".into()),
            hr_ref: Some("H-1".into()),
            detail: "flux F has no return 31 yet".into(),
            mail_kind: kind.into(),
            attempts: 0,
            delivered_to: vec![],
            created_at: "2026-11-25T10:00:00.000Z".into(),
        }
    }

    #[test]
    fn single_mails_say_what_and_what_to_do() {
        let (s, b) = single(&due("alert", "missing_31"));
        assert!(
            s.starts_with("[ijgate] ALERTE : pas de compte rendu métier CNAM (31)"),
            "{s}"
        );
        assert!(s.contains("H-1"));
        assert!(b.contains("ijgate show 7"));
        // 10:00 UTC on 25 November is 11:00 in Paris (winter time, +01:00).
        assert!(
            b.contains("levée le 25/11/2026 11:00 (heure de Paris, UTC+01:00)"),
            "{b}"
        );
        assert!(!b.contains("UTC\n") && !b.contains("Z\n"), "{b}");
        let (s, b) = single(&due("resolved", "missing_31"));
        assert!(s.starts_with("[ijgate] RÉSOLU"), "{s}");
        assert!(b.contains("rien à faire"));
        let (_, b) = single(&due("alert", "dsij_fallback"));
        assert!(b.contains("ijgate task done"));
    }

    #[test]
    fn digest_lists_every_alert() {
        let a = due("alert", "missing_31");
        let b = due("reminder", "refused");
        let (s, body) = digest(&[&a, &b]);
        assert_eq!(s, "[ijgate] 2 alertes");
        assert_eq!(body.lines().filter(|l| l.starts_with("- ")).count(), 2);
        assert!(body.contains("RAPPEL"));
    }

    #[test]
    fn summer_time_is_two_hours_ahead() {
        assert_eq!(
            paris_text("2026-07-01T08:30:00.000Z"),
            "01/07/2026 10:30 (heure de Paris, UTC+02:00)"
        );
    }
}
