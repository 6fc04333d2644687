//! The text of alert mails: one alert, a reminder, a "resolved" notice, or a digest when many
//! mails for one recipient are due at once (never a flood). Plain text, no personal
//! identifier beyond the HR reference and the SIRET.

use super::conditions::title;
use super::store::Due;

/// Subject and body of a single alert mail.
pub fn single(a: &Due) -> (String, String) {
    let tag = tag(&a.mail_kind);
    let who = who(a);
    let subject = format!("[ijgate] {tag}: {}{who}", title(&a.condition));
    let mut body = String::new();
    body.push_str(&format!("{tag}: {}\n\n", title(&a.condition)));
    body.push_str(&format!("{}\n\n", a.detail));
    if let Some(r) = &a.hr_ref {
        body.push_str(&format!("HR reference: {r}\n"));
    }
    if let Some(s) = &a.siret {
        body.push_str(&format!("SIRET: {s}\n"));
    }
    if a.declaration_id > 0 {
        body.push_str(&format!(
            "Declaration: {} (ijgate show {})\n",
            a.declaration_id, a.declaration_id
        ));
    }
    body.push_str(&format!("Alert {} raised {}\n", a.id, a.created_at));
    body.push_str(&format!("\n{}\n", advice(&a.condition, &a.mail_kind)));
    (subject, body)
}

/// Subject and body of a digest listing several mails.
pub fn digest(list: &[&Due]) -> (String, String) {
    let subject = format!("[ijgate] {} alerts", list.len());
    let mut body = format!(
        "{} alert mails were due at once; they are listed here instead of sent one by one.\n\n",
        list.len()
    );
    for a in list {
        body.push_str(&format!(
            "- {}: {}{}: {}\n",
            tag(&a.mail_kind),
            title(&a.condition),
            who(a),
            a.detail
        ));
    }
    body.push_str("\nDetails: ijgate alert list, ijgate show ID.\n");
    (subject, body)
}

fn tag(kind: &str) -> &'static str {
    match kind {
        "reminder" => "REMINDER",
        "resolved" => "RESOLVED",
        "test" => "TEST",
        _ => "ALERT",
    }
}

fn who(a: &Due) -> String {
    match (&a.hr_ref, &a.siret) {
        (Some(r), Some(s)) => format!(" - {r} (SIRET {s})"),
        (Some(r), None) => format!(" - {r}"),
        _ => String::new(),
    }
}

fn advice(condition: &str, kind: &str) -> &'static str {
    if kind == "resolved" {
        return "The condition no longer holds: nothing to do.";
    }
    match condition {
        "dsij_fallback" => {
            "A prefilled salary attestation was written to the HR outbound folder; send it \
             through net-entreprises (DSIJ), then close the task: ijgate task done ID."
        }
        "documents_requested" => {
            "Drop each requested PDF in the spool inbound folder as <hr_ref>.<TYPE>.pdf \
             (or POST it to /v1/stoppages/ID/documents?type=TYPE)."
        }
        "rejected" | "refused" => "Correct the declaration in the HR tool and send it again.",
        "failed" => "Check the net-entreprises settings and the daemon log, then resend.",
        c if c.starts_with("cert_expiry") => "Renew the certificate and reload ijgate.",
        _ => "Check the declaration's timeline (ijgate show ID) and the daemon log.",
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
            s.starts_with("[ijgate] ALERT: no CNAM business report (31)"),
            "{s}"
        );
        assert!(s.contains("H-1"));
        assert!(b.contains("ijgate show 7"));
        let (s, b) = single(&due("resolved", "missing_31"));
        assert!(s.starts_with("[ijgate] RESOLVED"), "{s}");
        assert!(b.contains("nothing to do"));
        let (_, b) = single(&due("alert", "dsij_fallback"));
        assert!(b.contains("ijgate task done"));
    }

    #[test]
    fn digest_lists_every_alert() {
        let a = due("alert", "missing_31");
        let b = due("reminder", "refused");
        let (s, body) = digest(&[&a, &b]);
        assert_eq!(s, "[ijgate] 2 alerts");
        assert_eq!(body.lines().filter(|l| l.starts_with("- ")).count(), 2);
        assert!(body.contains("REMINDER"));
    }
}
