//! The console's HTML (maud templates, checked at compile time), French or English labels,
//! the stylesheet and the small live-update script (served from the binary: the CSP allows
//! scripts and styles from the console itself only).

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::data::{DeclarationPage, InsurerBlock, Late, List, Overview, Search, Why};
use super::{Role, Who};

pub const CSS: &str = include_str!("console.css");
/// Refreshes the `data-live` parts of a page when `/console/events` says something changed
/// (progressive enhancement: the pages read the same without it).
pub const JS: &str = include_str!("console.js");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

/// A label in the configured language.
pub fn t(lang: Lang, key: &str) -> &'static str {
    let (fr, en) = match key {
        "title" => ("Console ijgate", "ijgate console"),
        "overview" => ("Vue d'ensemble", "Overview"),
        "declarations" => ("Déclarations", "Declarations"),
        "late" => ("Retards et échecs", "Late and failed"),
        "insurers" => ("Assureurs", "Insurers"),
        "by_state" => ("Déclarations par état", "Declarations by state"),
        "deposits_by_state" => ("Dépôts par état", "Deposits by state"),
        "total" => ("Total", "Total"),
        "waiting" => (
            "Dépôts en attente d'un retour",
            "Deposits waiting for a return",
        ),
        "nature" => ("Nature du retour", "Return nature"),
        "deposit_nature" => ("Nature et type", "Nature and type"),
        "count" => ("Nombre", "Count"),
        "oldest" => ("Plus ancien", "Oldest"),
        "deadline" => ("Délai", "Deadline"),
        "overdue" => ("En retard", "Overdue"),
        "on_time" => ("Dans les délais", "On time"),
        "followup" => ("Suivi", "Follow-up"),
        "open_alerts" => ("Alertes ouvertes", "Open alerts"),
        "open_tasks" => ("Tâches DSIJ à faire", "DSIJ tasks to do"),
        "bpij_month" => ("BPIJ ce mois-ci", "BPIJ this month"),
        "received" => ("Reçus", "Received"),
        "dispatched" => ("Distribués", "Dispatched"),
        "unmatched" => ("Non rapprochés", "Unmatched"),
        "health" => ("Santé du spool et du journal", "Spool and journal health"),
        "spool_inbound" => (
            "Fichiers en attente dans spool/inbound",
            "Files waiting in spool/inbound",
        ),
        "journal_size" => ("Taille du journal", "Journal size"),
        "outbox" => (
            "Fichiers en attente d'écriture",
            "Files waiting to be written",
        ),
        "rejections" => ("Messages rejetés", "Rejected messages"),
        "check" => ("Contrôle", "Check"),
        "ok" => ("OK", "OK"),
        "failing" => ("En échec", "Failing"),
        "chart_weeks" => (
            "Arrêts par semaine (saisie RH)",
            "Stoppages per week (HR entry)",
        ),
        "chart_delay" => (
            "Délai saisie RH → compte rendu métier CNAM (31), en minutes",
            "Delay from HR entry to the CNAM business report (31), minutes",
        ),
        "p50" => ("médiane (p50)", "median (p50)"),
        "p90" => ("p90", "p90"),
        "promise" => (
            "Objectif du projet : diviser par 4 le délai d'indemnisation.",
            "The project's promise: divide the indemnification delay by 4.",
        ),
        "search" => ("Rechercher", "Search"),
        "search_text" => ("Réf. RH ou SIRET", "HR ref or SIRET"),
        "search_nir" => (
            "NIR complet (jamais affiché ni mis dans l'adresse)",
            "Full NIR (never shown nor put in the address)",
        ),
        "state" => ("État", "State"),
        "all" => ("Tous", "All"),
        "hr_ref" => ("Réf. RH", "HR ref"),
        "siret" => ("SIRET", "SIRET"),
        "event" => ("Évènement", "Event"),
        "test" => ("Test", "Test"),
        "test_yes" => ("essai", "test"),
        "created" => ("Créée", "Created"),
        "updated" => ("Mise à jour", "Updated"),
        "nir" => ("NIR (masqué)", "NIR (masked)"),
        "results" => ("résultat(s)", "result(s)"),
        "prev" => ("Page précédente", "Previous page"),
        "next" => ("Page suivante", "Next page"),
        "page" => ("Page", "Page"),
        "declaration" => ("Déclaration", "Declaration"),
        "timeline" => ("Chronologie", "Timeline"),
        "deposits" => ("Dépôts", "Deposits"),
        "returns" => ("Retours", "Returns"),
        "insurer_files" => ("Fichiers assureur", "Insurer files"),
        "bpij" => ("BPIJ", "BPIJ"),
        "attempts" => ("Tentatives", "Attempts"),
        "next_attempt" => ("Prochain essai", "Next retry"),
        "sent" => ("Envoyé", "Sent"),
        "last_error" => ("Dernière erreur", "Last error"),
        "download" => ("Télécharger", "Download"),
        "retry" => ("Relancer maintenant", "Retry now"),
        "none" => ("Aucun", "None"),
        "failed" => ("Dépôts en échec ou relancés", "Failed or retrying deposits"),
        "overdue_returns" => ("Retours en retard", "Overdue returns"),
        "overdue_for" => ("Retard", "Overdue for"),
        "since" => ("Depuis", "Since"),
        "alerts" => ("Alertes ouvertes", "Open alerts"),
        "condition" => ("Condition", "Condition"),
        "ack" => ("Acquitter", "Acknowledge"),
        "acked" => ("Acquittée par", "Acknowledged by"),
        "tasks" => ("Tâches DSIJ", "DSIJ tasks"),
        "task_done" => ("Marquer faite", "Mark done"),
        "files" => ("Fichiers", "Files"),
        "insurer" => ("Assureur", "Insurer"),
        "stoppages" => ("Arrêts suivis", "Stoppages followed"),
        "below" => ("Arrêts sous la franchise", "Stoppages below the franchise"),
        "started" => ("Garanties déclenchées", "Guarantees started"),
        "complements" => ("Compléments calculés", "Complements computed"),
        "starting" => (
            "Garanties qui démarrent (J-7 à J+14)",
            "Guarantees starting (D-7 to D+14)",
        ),
        "first_day" => ("Premier jour", "First day"),
        "guarantee_date" => ("Date de garantie", "Guarantee date"),
        "fired" => ("Message envoyé", "Message sent"),
        "pending" => ("à venir", "pending"),
        "signed_in" => ("Connecté :", "Signed in:"),
        "viewer" => ("lecture", "viewer"),
        "operator" => ("opérateur", "operator"),
        "refused" => ("Accès refusé", "Access refused"),
        "not_found" => ("Introuvable", "Not found"),
        "journal_error" => ("Le journal ne répond pas", "The journal does not answer"),
        "viewer_cannot" => (
            "Votre rôle (lecture) ne permet pas d'agir.",
            "Your role (viewer) cannot act.",
        ),
        "bad_csrf" => (
            "Jeton de formulaire invalide : rechargez la page.",
            "Invalid form token: reload the page.",
        ),
        "bad_nir" => ("Ce NIR n'est pas valide.", "This NIR is not valid."),
        "action_refused" => ("Action impossible", "Action refused"),
        "generated" => ("Généré à", "Generated at"),
        "back" => ("Retour", "Back"),
        "why" => ("Pourquoi ce n'est pas terminé", "Why it is not finished"),
        "r11" => ("certificat de conformité", "certificate of conformity"),
        "r30" => ("accusé de réception CNAM", "CNAM acknowledgement"),
        "r31" => ("compte rendu métier CNAM", "CNAM business report"),
        "r51" => (
            "compte rendu de l'organisme complémentaire",
            "insurer report",
        ),
        "live_on" => ("Mise à jour en direct", "Live updates"),
        "live_off" => (
            "Mise à jour en direct interrompue, reconnexion…",
            "Live updates interrupted, reconnecting…",
        ),
        _ => ("?", "?"),
    };
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

/// Message pages.
#[derive(Debug, Clone)]
pub enum Msg {
    NotFound,
    JournalError,
    ViewerCannotAct,
    BadCsrf,
    BadNir,
    Refused(String),
}

/// "3 h 05 min", "2 j 4 h": durations for people.
pub fn human(lang: Lang, secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86400, (s % 86400) / 3600, (s % 3600) / 60);
    let day = if lang == Lang::Fr { "j" } else { "d" };
    if d > 0 {
        format!("{d} {day} {h} h")
    } else if h > 0 {
        format!("{h} h {m:02} min")
    } else {
        format!("{m} min")
    }
}

/// "2026-11-29T06:32:28.123Z" → "2026-11-29 06:32:28" (UTC).
fn when(s: &str) -> String {
    s.get(..19).unwrap_or(s).replace('T', " ")
}

fn layout(lang: Lang, who: Option<&Who>, current: &str, title: &str, body: Markup) -> Markup {
    let tab = |href: &str, key: &str| {
        let here = key == current;
        html! {
            a href=(href) aria-current=[here.then_some("page")] { (t(lang, key)) }
        }
    };
    html! {
        (DOCTYPE)
        html lang=(if lang == Lang::Fr { "fr" } else { "en" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t(lang, "title")) }
                link rel="stylesheet" href="/console/console.css";
                script src="/console/console.js" defer {}
            }
            body {
                header {
                    strong { (t(lang, "title")) }
                    nav {
                        (tab("/console/overview", "overview"))
                        (tab("/console/declarations", "declarations"))
                        (tab("/console/late", "late"))
                        (tab("/console/insurers", "insurers"))
                    }
                    // Filled in by console.js once the live stream is open; hidden without it.
                    span #live-status .live role="status" aria-live="polite" hidden
                        data-on=(t(lang, "live_on")) data-off=(t(lang, "live_off")) {}
                    @if let Some(w) = who {
                        span.who {
                            (t(lang, "signed_in")) " " (w.identity) " ("
                            (t(lang, if w.role == Role::Operator { "operator" } else { "viewer" })) ")"
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

pub fn refused(lang: Lang, why: &str) -> Markup {
    layout(lang, None, "", t(lang, "refused"), html! { p { (why) } })
}

pub fn message(lang: Lang, who: &Who, m: Msg) -> Markup {
    let (title, text) = match &m {
        Msg::NotFound => (t(lang, "not_found"), String::new()),
        Msg::JournalError => (t(lang, "journal_error"), String::new()),
        Msg::ViewerCannotAct => (t(lang, "refused"), t(lang, "viewer_cannot").to_string()),
        Msg::BadCsrf => (t(lang, "refused"), t(lang, "bad_csrf").to_string()),
        Msg::BadNir => (t(lang, "bad_nir"), String::new()),
        Msg::Refused(why) => (t(lang, "action_refused"), why.clone()),
    };
    layout(
        lang,
        Some(who),
        "",
        title,
        html! {
            @if !text.is_empty() { p.error { (text) } }
            p { a href="/console/overview" { (t(lang, "back")) } }
        },
    )
}

/// A bar chart as inline SVG (the report's renderer: presentation attributes, no inline
/// style, so the CSP holds).
fn chart(id: &str, title: &str, bars: &[(String, usize)]) -> Markup {
    PreEscaped(crate::engine::report::render::bar_chart(id, title, bars))
}

pub fn overview(lang: Lang, who: &Who, o: &Overview) -> Markup {
    let weeks: Vec<(String, usize)> = o
        .weeks
        .iter()
        .map(|w| (w.label.clone(), w.stoppages))
        .collect();
    let p50: Vec<(String, usize)> = o
        .weeks
        .iter()
        .map(|w| (w.label.clone(), w.p50_min.unwrap_or(0) as usize))
        .collect();
    let p90: Vec<(String, usize)> = o
        .weeks
        .iter()
        .map(|w| (w.label.clone(), w.p90_min.unwrap_or(0) as usize))
        .collect();
    let body = html! {
        p.muted { (t(lang, "generated")) " " (when(&o.generated_at)) " UTC" }
        div.grid data-live id="live-overview" {
            section {
                h2 { (t(lang, "by_state")) }
                table {
                    @for (state, n) in &o.status.declarations_by_state {
                        tr {
                            th { a href={ "/console/declarations?state=" (state) } { (state) } }
                            td.num data-count={ "state-" (state) } { (n) }
                        }
                    }
                    tr.total { th { (t(lang, "total")) } td.num data-count="total" { (o.status.declarations_total) } }
                }
                h2 { (t(lang, "deposits_by_state")) }
                table {
                    @for (state, n) in &o.deposits_by_state { tr { th { (state) } td.num { (n) } } }
                }
            }
            section {
                h2 { (t(lang, "waiting")) }
                table {
                    thead { tr { th { (t(lang, "nature")) } th { (t(lang, "count")) } th { (t(lang, "oldest")) } th { (t(lang, "deadline")) } } }
                    @for w in &o.waiting {
                        tr class=(if w.overdue { "overdue" } else { "" }) {
                            th { (w.nature) }
                            td.num data-count={ "waiting-" (w.nature) } { (w.count) }
                            td { @if w.count > 0 { (human(lang, w.oldest_age_s)) } @else { "—" } }
                            td {
                                (human(lang, w.deadline_s))
                                @if w.overdue { " — " strong { (t(lang, "overdue")) } }
                            }
                        }
                    }
                }
                h2 { (t(lang, "followup")) }
                table {
                    tr { th { a href="/console/late" { (t(lang, "open_alerts")) } } td.num data-count="open-alerts" { (o.open_alerts) } }
                    tr { th { a href="/console/late" { (t(lang, "open_tasks")) } } td.num data-count="open-tasks" { (o.open_tasks) } }
                }
                h2 { (t(lang, "bpij_month")) }
                table {
                    tr { th { (t(lang, "received")) } td.num { (o.bpij_received) } }
                    tr { th { (t(lang, "dispatched")) } td.num { (o.bpij_dispatched) } }
                    tr { th { (t(lang, "unmatched")) } td.num { (o.bpij_unmatched) } }
                }
            }
            section {
                h2 { (t(lang, "health")) }
                table {
                    tr { th { (t(lang, "spool_inbound")) } td.num { (o.spool_inbound.map(|n| n.to_string()).unwrap_or_else(|| "—".into())) } }
                    tr { th { (t(lang, "outbox")) } td.num { (o.status.outbox_pending) } }
                    tr { th { (t(lang, "rejections")) } td.num { (o.status.rejections) } }
                    tr { th { (t(lang, "journal_size")) } td.num { (o.journal_bytes.map(|b| format!("{:.1} Mo", b as f64 / 1e6)).unwrap_or_else(|| "—".into())) } }
                    @for c in &o.health.checks {
                        tr class=(if c.ok { "" } else { "overdue" }) {
                            th { (t(lang, "check")) " " (c.name) }
                            td { (t(lang, if c.ok { "ok" } else { "failing" })) @if let Some(r) = &c.reason { " — " (r) } }
                        }
                    }
                }
            }
        }
        section.charts {
            h2 { (t(lang, "chart_weeks")) }
            (chart("chart-weeks", t(lang, "chart_weeks"), &weeks))
            h2 { (t(lang, "chart_delay")) }
            p {
                (t(lang, "p50")) " : " (o.p50_min.map(|m| human(lang, m * 60)).unwrap_or_else(|| "—".into()))
                " · " (t(lang, "p90")) " : " (o.p90_min.map(|m| human(lang, m * 60)).unwrap_or_else(|| "—".into()))
                " — " (t(lang, "promise"))
            }
            h3 { (t(lang, "p50")) }
            (chart("chart-p50", t(lang, "p50"), &p50))
            h3 { (t(lang, "p90")) }
            (chart("chart-p90", t(lang, "p90"), &p90))
        }
    };
    layout(lang, Some(who), "overview", t(lang, "overview"), body)
}

pub fn declarations(lang: Lang, who: &Who, s: &Search, l: &List) -> Markup {
    let pages = (l.total as usize).div_ceil(s.page_size.max(1)).max(1);
    let link = |page: usize| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !s.text.is_empty() {
            q.append_pair("q", &s.text);
        }
        if !s.state.is_empty() {
            q.append_pair("state", &s.state);
        }
        q.append_pair("page", &page.to_string());
        format!("/console/declarations?{}", q.finish())
    };
    let body = html! {
        form.search method="get" action="/console/declarations" {
            label { (t(lang, "search_text")) " " input type="search" name="q" value=(s.text) id="q"; }
            label {
                (t(lang, "state")) " "
                select name="state" {
                    option value="" { (t(lang, "all")) }
                    @for st in &l.states { option value=(st) selected[*st == s.state] { (st) } }
                }
            }
            button type="submit" id="search" { (t(lang, "search")) }
        }
        // The NIR goes in a POST body: never in an address, a browser history or a log.
        form.search method="post" action="/console/declarations/search" autocomplete="off" {
            label { (t(lang, "search_nir")) " " input type="password" name="nir" id="nir" autocomplete="off"; }
            button type="submit" { (t(lang, "search")) }
        }
        div data-live id="live-list" {
        p { (l.total) " " (t(lang, "results")) }
        table.list {
            thead { tr {
                th { (t(lang, "hr_ref")) } th { (t(lang, "siret")) } th { (t(lang, "event")) } th { (t(lang, "state")) }
                th { (t(lang, "test")) } th { (t(lang, "created")) } th { (t(lang, "updated")) } th { (t(lang, "nir")) }
            } }
            tbody {
                @for r in &l.rows {
                    tr {
                        td { a href={ "/console/declarations/" (r.id) } { (r.hr_ref) } }
                        td { (r.siret) } td { (r.event) } td { span.state { (r.state) } }
                        td { @if r.test { span.test { (t(lang, "test_yes")) } } }
                        td { (when(&r.created_at)) } td { (when(&r.updated_at)) } td { code { (r.nir_masked) } }
                    }
                }
            }
        }
        }
        @if s.nir.is_none() {
            nav.pages {
                @if s.page > 1 { a rel="prev" href=(link(s.page - 1)) { (t(lang, "prev")) } }
                " " (t(lang, "page")) " " (s.page) " / " (pages) " "
                @if s.page < pages { a rel="next" href=(link(s.page + 1)) { (t(lang, "next")) } }
            }
        }
    };
    layout(
        lang,
        Some(who),
        "declarations",
        t(lang, "declarations"),
        body,
    )
}

fn action_form(
    lang: Lang,
    who: &Who,
    csrf: &str,
    kind: &str,
    id: i64,
    label: &str,
    back: &str,
) -> Markup {
    html! {
        @if who.role == Role::Operator {
            form.inline method="post" action={ "/console/actions/" (kind) } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="id" value=(id);
                input type="hidden" name="back" value=(back);
                button type="submit" class={ "act-" (kind) } { (t(lang, label)) }
            }
        }
    }
}

/// One reason a declaration is still in progress, as a sentence.
pub fn why_line(lang: Lang, w: &Why) -> String {
    let fr = lang == Lang::Fr;
    let err = |e: &Option<String>| e.clone().unwrap_or_else(|| "—".into());
    match w {
        Why::Pending {
            deposit,
            next_attempt_at,
            attempts,
            last_error,
        } => {
            let at = when(next_attempt_at);
            match (fr, *attempts) {
                (true, 0) => format!("Dépôt {deposit} en file : envoi prévu à {at} UTC."),
                (false, 0) => format!("Deposit {deposit} queued: to be sent at {at} UTC."),
                (true, n) => format!(
                    "Dépôt {deposit} : {n} tentative(s) échouée(s) (dernière erreur : {}), nouvel essai à {at} UTC.",
                    err(last_error)
                ),
                (false, n) => format!(
                    "Deposit {deposit}: {n} failed attempt(s) (last error: {}), next attempt at {at} UTC.",
                    err(last_error)
                ),
            }
        }
        Why::Depositing { deposit, since } if fr => format!(
            "Dépôt {deposit} : envoi à net-entreprises en cours depuis {} UTC.",
            when(since)
        ),
        Why::Depositing { deposit, since } => format!(
            "Deposit {deposit}: being sent to net-entreprises since {} UTC.",
            when(since)
        ),
        Why::Uncertain { deposit, since } if fr => format!(
            "Dépôt {deposit} : l'envoi a peut-être abouti (réponse perdue) ; ijgate vérifie auprès de net-entreprises avant tout nouvel envoi (depuis {} UTC).",
            when(since)
        ),
        Why::Uncertain { deposit, since } => format!(
            "Deposit {deposit}: the call may have landed (answer lost); ijgate checks with net-entreprises before sending again (since {} UTC).",
            when(since)
        ),
        Why::Return {
            deposit,
            nature,
            sent_at,
            due,
            overdue_s,
        } => {
            let label = t(lang, &format!("r{nature}"));
            let late = overdue_s
                .map(|s| {
                    format!(
                        " — {} {}",
                        t(lang, "overdue").to_lowercase(),
                        human(lang, s)
                    )
                })
                .unwrap_or_default();
            if fr {
                format!(
                    "Dépôt {deposit} (envoyé à {} UTC) : attend le retour {nature} ({label}), échéance {} UTC{late}.",
                    when(sent_at),
                    when(due)
                )
            } else {
                format!(
                    "Deposit {deposit} (sent at {} UTC): waiting for return {nature} ({label}), due at {} UTC{late}.",
                    when(sent_at),
                    when(due)
                )
            }
        }
        Why::Failed {
            deposit,
            attempts,
            last_error,
        } if fr => format!(
            "Dépôt {deposit} en échec après {attempts} tentative(s) : {}. Un opérateur le relance (bouton ou `ijgate retry`).",
            err(last_error)
        ),
        Why::Failed {
            deposit,
            attempts,
            last_error,
        } => format!(
            "Deposit {deposit} failed after {attempts} attempt(s): {}. An operator retries it (button or `ijgate retry`).",
            err(last_error)
        ),
        Why::Rejected {
            deposit,
            last_error,
        } if fr => format!(
            "Dépôt {deposit} refusé par net-entreprises : {}. À corriger dans la saisie RH puis renvoyer.",
            err(last_error)
        ),
        Why::Rejected {
            deposit,
            last_error,
        } => format!(
            "Deposit {deposit} refused by net-entreprises: {}. Correct the HR entry and send it again.",
            err(last_error)
        ),
    }
}

/// The timeline line as `ijgate show` prints it: time, event, (channel: name line N), detail.
pub fn timeline_line(h: &crate::journal::query::HistoryEntry) -> (String, String, String, String) {
    let src = h.source_label().unwrap_or_default();
    let detail = h.detail.as_ref().map(|d| d.to_string()).unwrap_or_default();
    (h.at.clone(), h.what.clone(), src, detail)
}

pub fn declaration(lang: Lang, who: &Who, p: &DeclarationPage, csrf: &str) -> Markup {
    let d = &p.decl;
    let title = format!("{} {} — {}", t(lang, "declaration"), d.id, d.hr_ref);
    let body = html! {
        div data-live id="live-declaration" {
            dl.facts {
                dt { (t(lang, "hr_ref")) } dd id="hr-ref" { (d.hr_ref) }
                dt { (t(lang, "siret")) } dd { (d.siret) }
                dt { (t(lang, "event")) } dd { (d.event) }
                dt { (t(lang, "state")) } dd { span.state id="state" { (d.state) } " (rev. " (d.revision) ", " (t(lang, "attempts").to_lowercase()) " " (d.attempts) ")" }
                dt { (t(lang, "nir")) } dd { code { (p.nir_masked) } }
                @if d.test { dt { (t(lang, "test")) } dd { span.test { (t(lang, "test_yes")) " (S10.G00.00.005 = 01)" } } }
                @if let Some(k) = &d.last_error_kind { dt { (t(lang, "last_error")) } dd { (k) } }
            }
            @if !p.why.is_empty() {
                h2 { (t(lang, "why")) }
                ul id="why" {
                    @for w in &p.why {
                        li class=(if matches!(w, Why::Return { overdue_s: Some(_), .. } | Why::Failed { .. } | Why::Rejected { .. }) { "error" } else { "" }) {
                            (why_line(lang, w))
                        }
                    }
                }
            }
            h2 { (t(lang, "timeline")) }
            table id="timeline" {
                @for h in &d.history {
                    @let (at, what, src, detail) = timeline_line(h);
                    tr { td { (when(&at)) } td { strong { (what) } } td { (src) } td { code { (detail) } } }
                }
            }
            h2 { (t(lang, "deposits")) }
            @if p.deposits.is_empty() { p { (t(lang, "none")) } } @else {
                table id="deposits" {
                    thead { tr { th { "#" } th { (t(lang, "deposit_nature")) } th { (t(lang, "state")) } th { (t(lang, "attempts")) }
                        th { (t(lang, "sent")) } th { "idflux" } th { (t(lang, "next_attempt")) } th { (t(lang, "last_error")) } th {} } }
                    @for x in &p.deposits {
                        tr {
                            td { (x.id) } td { (x.nature) " " (x.decl_type) } td { span.state { (x.state) } } td.num { (x.attempts) }
                            td { (x.sent_at.as_deref().map(when).unwrap_or_default()) } td { (x.idflux.clone().unwrap_or_default()) }
                            td { @if x.state == "pending" { (when(&x.next_attempt_at)) } }
                            td { (x.last_error.clone().unwrap_or_default()) }
                            td { @if x.retryable { (action_form(lang, who, csrf, "retry", d.id, "retry", "declaration")) } }
                        }
                    }
                }
            }
            h2 { (t(lang, "returns")) }
            @if p.returns.is_empty() { p { (t(lang, "none")) } } @else {
                table id="returns" {
                    @for r in &p.returns {
                        tr {
                            td { (r.nature) } td { (r.return_id) } td { (r.statut.clone().unwrap_or_default()) }
                            td { (r.outcome.clone().unwrap_or_default()) } td { (when(&r.fetched_at)) }
                            td { @if r.has_raw { a href={ "/console/returns/" (r.id) } download { (t(lang, "download")) } } }
                        }
                    }
                }
            }
            h2 { (t(lang, "insurer_files")) }
            @if p.files.is_empty() { p { (t(lang, "none")) } } @else {
                table id="files" {
                    @for f in &p.files {
                        tr { td { (f.dest) } td { a href={ "/console/files/" (f.id) } download { (f.file_name) } }
                             td { (when(&f.created_at)) } td { (f.delivered_at.as_deref().map(when).unwrap_or_default()) } }
                    }
                }
            }
            h2 { (t(lang, "bpij")) }
            @if p.bpij.is_empty() { p { (t(lang, "none")) } } @else {
                table id="bpij" {
                    @for b in &p.bpij {
                        tr { td { (b.bpij_ref) } td.num { (b.gross) } td.num { (b.net) } td.num { (b.days) }
                             td { (b.period_start.clone().unwrap_or_default()) " → " (b.period_end.clone().unwrap_or_default()) } td { (when(&b.at)) } }
                    }
                }
            }
        }
    };
    layout(lang, Some(who), "declarations", &title, body)
}

pub fn late(lang: Lang, who: &Who, l: &Late, csrf: &str) -> Markup {
    let body = html! {
        div data-live id="live-late" {
            h2 { (t(lang, "failed")) }
            @if l.failed.is_empty() { p { (t(lang, "none")) } } @else {
                table id="failed" {
                    thead { tr { th { (t(lang, "hr_ref")) } th { (t(lang, "state")) } th { (t(lang, "attempts")) } th { (t(lang, "since")) }
                        th { (t(lang, "next_attempt")) } th { (t(lang, "last_error")) } th {} } }
                    @for f in &l.failed {
                        tr {
                            td { a href={ "/console/declarations/" (f.declaration_id) } { (f.hr_ref) } }
                            td { span.state { (f.state) } } td.num { (f.attempts) } td { (when(&f.since)) }
                            td { (f.next_attempt_at.as_deref().map(when).unwrap_or_default()) }
                            td { (f.last_error.clone().unwrap_or_default()) }
                            td { @if f.retryable { (action_form(lang, who, csrf, "retry", f.declaration_id, "retry", "late")) } }
                        }
                    }
                }
            }
            h2 { (t(lang, "overdue_returns")) }
            @if l.overdue.is_empty() { p { (t(lang, "none")) } } @else {
                table id="overdue" {
                    thead { tr { th { (t(lang, "hr_ref")) } th { (t(lang, "nature")) } th { (t(lang, "sent")) } th { (t(lang, "overdue_for")) } } }
                    @for o in &l.overdue {
                        tr { td { a href={ "/console/declarations/" (o.declaration_id) } { (o.hr_ref) } } td { (o.nature) }
                             td { (when(&o.sent_at)) } td { (human(lang, o.overdue_s)) } }
                    }
                }
            }
            h2 { (t(lang, "alerts")) }
            @if l.alerts.is_empty() { p { (t(lang, "none")) } } @else {
                table id="alerts" {
                    thead { tr { th { (t(lang, "condition")) } th { (t(lang, "hr_ref")) } th { (t(lang, "state")) } th { (t(lang, "since")) } th {} } }
                    @for a in &l.alerts {
                        tr {
                            td { (a.condition) }
                            td { @if a.declaration_id > 0 { a href={ "/console/declarations/" (a.declaration_id) } { (a.hr_ref.clone().unwrap_or_default()) } } }
                            td { (a.state) } td { (when(&a.created_at)) }
                            td {
                                @if let (Some(by), Some(at)) = (&a.acknowledged_by, &a.acknowledged_at) {
                                    (t(lang, "acked")) " " (by) " (" (when(at)) ")"
                                } @else { (action_form(lang, who, csrf, "ack-alert", a.id, "ack", "late")) }
                            }
                        }
                    }
                }
            }
            h2 { (t(lang, "tasks")) }
            @if l.tasks.is_empty() { p { (t(lang, "none")) } } @else {
                table id="tasks" {
                    @for k in &l.tasks {
                        tr { td { a href={ "/console/declarations/" (k.declaration_id) } { (k.hr_ref) } } td { (k.kind) }
                             td { (when(&k.created_at)) } td { (k.files.join(", ")) }
                             td { (action_form(lang, who, csrf, "task-done", k.id, "task_done", "late")) } }
                    }
                }
            }
        }
    };
    layout(lang, Some(who), "late", t(lang, "late"), body)
}

pub fn insurers(lang: Lang, who: &Who, blocks: &[InsurerBlock]) -> Markup {
    let body = html! {
        @if blocks.is_empty() { p { (t(lang, "none")) } }
        @for b in blocks {
            section.insurer {
                h2 { (b.name) " (" (b.code) ")" }
                table {
                    tr { th { (t(lang, "stoppages")) } td.num { (b.stoppages) } }
                    tr { th { (t(lang, "started")) } td.num { (b.guarantees_started) } }
                    tr { th { (t(lang, "below")) } td.num { (b.below_franchise) } }
                    tr { th { (t(lang, "complements")) } td.num { (b.complements) } }
                }
                h3 { (t(lang, "starting")) }
                @if b.starting.is_empty() { p { (t(lang, "none")) } } @else {
                    table {
                        thead { tr { th { (t(lang, "hr_ref")) } th { (t(lang, "siret")) } th { (t(lang, "first_day")) } th { (t(lang, "guarantee_date")) } th { (t(lang, "fired")) } } }
                        @for g in &b.starting {
                            tr { td { (g.hr_ref) } td { (g.siret) } td { (g.first_day) } td { (g.guarantee_date) }
                                 td { (g.fired_kind.clone().unwrap_or_else(|| t(lang, "pending").to_string())) } }
                        }
                    }
                }
            }
        }
    };
    layout(lang, Some(who), "insurers", t(lang, "insurers"), body)
}
