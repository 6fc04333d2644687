//! Report rendering: CSV (`;`, one row per stoppage), JSON (the [`Report`] as is) and a
//! self-contained HTML page (no script, no external resource) with two inline SVG charts:
//! stoppages per month (by first day) and the distribution of HR-entry → 31 delays.
//! Pure functions; the NIR is never part of a report.
//!
//! Two audiences: programs get the machine CSV and JSON (stable English column names, codes,
//! ISO dates, decimal point, UTF-8 without BOM); people get the HTML page and the French CSV
//! (`csv-fr`) — French labels, motif and status names, dd/mm/yyyy dates, decimal comma, `;`
//! and a UTF-8 BOM so that French Excel opens it right (accents, numbers as numbers).

use std::collections::BTreeMap;

use super::{Report, Row};
use crate::formats::insurer::csv_document;

pub const CSV_COLUMNS: [&str; 20] = [
    "declaration_id",
    "siret",
    "hr_ref",
    "motif",
    "first_day",
    "last_day_off",
    "duration_days",
    "status",
    "insurer",
    "franchise_days",
    "franchise",
    "hr_entry_at",
    "minutes_to_aee",
    "minutes_to_30",
    "minutes_to_31",
    "late_31",
    "bpij_gross",
    "bpij_net",
    "bpij_received",
    "test",
];

/// French labels of [`CSV_COLUMNS`], in the same order (HTML and `csv-fr`).
pub const LABELS_FR: [&str; 19] = [
    "N° déclaration",
    "SIRET",
    "Référence RH",
    "Motif",
    "Premier jour",
    "Dernier jour d'arrêt",
    "Durée (jours)",
    "Statut",
    "Organisme de prévoyance",
    "Franchise (jours)",
    "Franchise",
    "Saisie RH",
    "Délai AEE (min)",
    "Délai AR CNAM 30 (min)",
    "Délai CR CNAM 31 (min)",
    "31 en retard",
    "IJ brutes BPIJ (€)",
    "IJ nettes BPIJ (€)",
    "BPIJ reçu",
];

/// The name of a DSN motif code (S21.G00.60.001, as in `../shared/domain.md`), with the code.
pub fn motif_fr(code: &str) -> String {
    let name = match code {
        "01" => "Maladie",
        "02" => "Maternité",
        "03" => "Paternité, accueil de l'enfant",
        "04" => "Accident de trajet",
        "05" => "Maladie professionnelle",
        "06" => "Accident du travail",
        "07" => "Femme enceinte dispensée de travail",
        "09" => "Adoption",
        "15" => "Temps partiel thérapeutique (maladie)",
        "16" => "Temps partiel thérapeutique (accident du travail)",
        "17" => "Temps partiel thérapeutique (accident de trajet)",
        "18" => "Temps partiel thérapeutique (maladie professionnelle)",
        "19" => "Congé de deuil d'un enfant",
        "" => return String::new(),
        _ => return code.to_string(),
    };
    format!("{name} ({code})")
}

fn status_fr(s: &str) -> &str {
    match s {
        "open" => "En cours",
        "ended" => "Terminé",
        "cancelled" => "Annulé",
        other => other,
    }
}

fn franchise_fr(s: &str) -> &str {
    match s {
        "above" => "Dépassée",
        "below" => "Non atteinte",
        "pending" => "En attente",
        other => other,
    }
}

fn yes_no(b: bool) -> String {
    if b { "oui" } else { "non" }.into()
}

/// A decimal with a comma, as French spreadsheets read it.
fn dec_fr(d: &rust_decimal::Decimal) -> String {
    d.to_string().replace('.', ",")
}

fn date_fr(d: &chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A row for people: the values of [`csv_row`], named and formatted in French.
fn row_fr(r: &Row) -> Vec<String> {
    vec![
        r.declaration_id.to_string(),
        r.siret.clone(),
        r.hr_ref.clone(),
        motif_fr(&r.motif),
        date_fr(&r.first_day),
        r.last_day_off.as_ref().map(date_fr).unwrap_or_default(),
        r.duration_days.to_string(),
        status_fr(&r.status).to_string(),
        opt(&r.insurer),
        opt(&r.franchise_days),
        r.franchise
            .as_deref()
            .map(franchise_fr)
            .unwrap_or_default()
            .to_string(),
        crate::alerts::compose::paris_text(&r.hr_entry_at),
        opt(&r.minutes_to_aee),
        opt(&r.minutes_to_30),
        opt(&r.minutes_to_31),
        yes_no(r.late_31),
        dec_fr(&r.bpij_gross),
        dec_fr(&r.bpij_net),
        yes_no(!r.bpij_net.is_zero() || !r.bpij_gross.is_zero()),
    ]
}

/// The CSV for people (`--format csv-fr`): UTF-8 with a BOM, `;`, French labels and values,
/// decimal comma; written with the `csv` crate (quoting of `;`, quotes and line breaks).
pub fn to_csv_fr(rep: &Report) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record(LABELS_FR);
    for r in &rep.rows {
        let _ = w.write_record(row_fr(r));
    }
    w.into_inner().unwrap_or_default()
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

fn csv_row(r: &Row) -> Vec<String> {
    vec![
        r.declaration_id.to_string(),
        r.siret.clone(),
        r.hr_ref.clone(),
        r.motif.clone(),
        r.first_day.to_string(),
        opt(&r.last_day_off),
        r.duration_days.to_string(),
        r.status.clone(),
        opt(&r.insurer),
        opt(&r.franchise_days),
        opt(&r.franchise),
        r.hr_entry_at.clone(),
        opt(&r.minutes_to_aee),
        opt(&r.minutes_to_30),
        opt(&r.minutes_to_31),
        r.late_31.to_string(),
        r.bpij_gross.to_string(),
        r.bpij_net.to_string(),
        (!r.bpij_net.is_zero() || !r.bpij_gross.is_zero()).to_string(),
        r.test.to_string(),
    ]
}

pub fn to_csv(rep: &Report) -> Vec<u8> {
    let header: Vec<String> = CSV_COLUMNS.iter().map(|s| s.to_string()).collect();
    let rows: Vec<Vec<String>> = rep.rows.iter().map(csv_row).collect();
    csv_document(&header, &rows)
}

pub fn to_json(rep: &Report) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(rep).unwrap_or_default();
    v.push(b'\n');
    v
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// Buckets of the HR-entry → 31 delay histogram: (label, upper bound in minutes).
pub const DELAY_BUCKETS: [(&str, i64); 5] = [
    ("< 1 h", 60),
    ("1–4 h", 240),
    ("4–24 h", 1440),
    ("1–3 j", 4320),
    ("> 3 j", i64::MAX),
];

/// Stoppages per month of their first day ("YYYY-MM" → count), sorted.
pub fn per_month(rep: &Report) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in &rep.rows {
        *m.entry(r.first_day.format("%Y-%m").to_string())
            .or_insert(0) += 1;
    }
    m
}

/// Counts per [`DELAY_BUCKETS`] of the rows that have a 31.
pub fn delay_histogram(rep: &Report) -> Vec<(&'static str, usize)> {
    let mut counts = vec![0usize; DELAY_BUCKETS.len()];
    for m in rep.rows.iter().filter_map(|r| r.minutes_to_31) {
        if let Some(i) = DELAY_BUCKETS.iter().position(|(_, max)| m < *max) {
            counts[i] += 1;
        }
    }
    DELAY_BUCKETS
        .iter()
        .zip(counts)
        .map(|((l, _), c)| (*l, c))
        .collect()
}

/// A bar chart as inline SVG; `id` names it for tests and styling.
pub fn bar_chart(id: &str, title: &str, bars: &[(String, usize)]) -> String {
    let (w, h, pad) = (640usize, 240usize, 30usize);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let slot = if bars.is_empty() {
        w
    } else {
        (w - 2 * pad) / bars.len()
    };
    let mut s = format!(
        "<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = esc(title)
    );
    for (i, (label, n)) in bars.iter().enumerate() {
        let bh = (h - 2 * pad) * n / max;
        let x = pad + i * slot + slot / 8;
        let y = h - pad - bh;
        s.push_str(&format!(
            "<rect class=\"bar\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{bh}\" fill=\"#3b6ea5\"><title>{}: {n}</title></rect>",
            slot * 3 / 4,
            esc(label)
        ));
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            x + slot * 3 / 8,
            h - pad + 14,
            esc(label)
        ));
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{n}</text>",
            x + slot * 3 / 8,
            y.saturating_sub(3)
        ));
    }
    s.push_str("</svg>");
    s
}

pub fn to_html(rep: &Report) -> Vec<u8> {
    let months: Vec<(String, usize)> = per_month(rep).into_iter().collect();
    let delays: Vec<(String, usize)> = delay_histogram(rep)
        .into_iter()
        .map(|(l, c)| (l.to_string(), c))
        .collect();
    let late = rep.rows.iter().filter(|r| r.late_31).count();
    let below = rep
        .rows
        .iter()
        .filter(|r| r.franchise.as_deref() == Some("below"))
        .count();
    // Sized for a 1400 px window: the page is at most 1360 px wide, the two 640 px charts sit
    // side by side, and the table wraps its headers and scrolls inside its own box if a
    // narrower window needs it (the page itself never scrolls sideways).
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
    <title>ijgate : arrêts du {from} au {to}</title>\
    <style>*{{box-sizing:border-box}}body{{font-family:sans-serif;margin:1em auto;max-width:1360px;padding:0 1em}}\
    .charts{{display:flex;flex-wrap:wrap;gap:1em}}.charts figure{{margin:0;flex:1 1 640px;max-width:660px}}\
    .charts svg{{max-width:100%;height:auto}}.table{{overflow-x:auto;max-width:100%}}\
    table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:2px 4px;font-size:12px}}\
    th{{white-space:normal;vertical-align:bottom;text-align:left}}td.n{{text-align:right}}.late{{background:#fde2e2}}</style></head><body>\
    <h1>Arrêts de travail du {from} au {to}</h1><p>{n} arrêt(s), dont {below} sous la franchise et {late} compte(s) rendu(s) CNAM (31) en retard. Édité le {gen}.</p>",
        from = date_fr(&rep.from),
        to = date_fr(&rep.to),
        n = rep.rows.len(),
        gen = esc(&crate::alerts::compose::paris_text(&rep.generated_at)),
    );
    h.push_str("<div class=\"charts\"><figure><h2>Arrêts par mois</h2>");
    h.push_str(&bar_chart(
        "per-month",
        "Arrêts par mois (premier jour)",
        &months,
    ));
    h.push_str("</figure><figure><h2>Délai entre la saisie RH et le compte rendu CNAM (31)</h2>");
    h.push_str(&bar_chart(
        "delays",
        "Délai entre la saisie RH et le compte rendu CNAM (31)",
        &delays,
    ));
    h.push_str("</figure></div><h2>Arrêts</h2><div class=\"table\"><table><thead><tr>");
    for (c, label) in CSV_COLUMNS.iter().zip(LABELS_FR) {
        h.push_str(&format!("<th title=\"{c}\">{}</th>", esc(label)));
    }
    h.push_str("</tr></thead><tbody>");
    for r in &rep.rows {
        h.push_str(if r.late_31 {
            "<tr class=\"late\">"
        } else {
            "<tr>"
        });
        for (i, v) in row_fr(r).into_iter().enumerate() {
            let numeric = matches!(i, 0 | 6 | 9 | 12 | 13 | 14 | 16 | 17);
            h.push_str(&format!(
                "<td{}>{}</td>",
                if numeric { " class=\"n\"" } else { "" },
                esc(&v)
            ));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div></body></html>\n");
    h.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn row(id: i64, first: &str, to31: Option<i64>, late: bool) -> Row {
        Row {
            declaration_id: id,
            siret: "12345678200010".into(),
            hr_ref: format!("R<{id}>"),
            motif: "01".into(),
            first_day: NaiveDate::parse_from_str(first, "%Y-%m-%d").unwrap(),
            last_day_off: None,
            duration_days: 3,
            status: "open".into(),
            insurer: Some("PREVA".into()),
            franchise_days: Some(30),
            franchise: Some("below".into()),
            hr_entry_at: "2026-01-01T00:00:00.000Z".into(),
            minutes_to_aee: Some(1),
            minutes_to_30: None,
            minutes_to_31: to31,
            late_31: late,
            bpij_gross: dec!(10.50),
            bpij_net: dec!(9.00),
            test: false,
        }
    }

    fn rep() -> Report {
        Report {
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            generated_at: "now".into(),
            rows: vec![
                row(1, "2026-01-05", Some(30), false),
                row(2, "2026-01-20", Some(300), true),
                row(3, "2026-03-02", None, true),
            ],
        }
    }

    #[test]
    fn months_and_histogram_count_rows() {
        let r = rep();
        let m = per_month(&r);
        assert_eq!(m.get("2026-01"), Some(&2));
        assert_eq!(m.get("2026-03"), Some(&1));
        assert_eq!(m.get("2026-02"), None);
        let d = delay_histogram(&r);
        assert_eq!(d[0], ("< 1 h", 1));
        assert_eq!(d[2], ("4–24 h", 1));
        assert_eq!(d.iter().map(|x| x.1).sum::<usize>(), 2);
    }

    #[test]
    fn html_has_both_charts_and_escapes() {
        let h = String::from_utf8(to_html(&rep())).unwrap();
        assert!(h.contains("<svg id=\"per-month\""));
        assert!(h.contains("<svg id=\"delays\""));
        assert_eq!(h.matches("class=\"bar\"").count(), 2 + DELAY_BUCKETS.len());
        assert!(h.contains("R&lt;1&gt;"));
        assert!(!h.contains("R<1>"));
        assert_eq!(h.matches("<tr class=\"late\">").count(), 2);
    }

    #[test]
    fn csv_columns_match_rows() {
        let t = String::from_utf8(to_csv(&rep())).unwrap();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        for l in &lines {
            assert_eq!(l.split(';').count(), CSV_COLUMNS.len(), "{l}");
        }
        assert!(lines[2].contains(";true;10.50;9.00;true"));
        assert!(!t.starts_with('\u{feff}'), "the machine CSV has no BOM");
    }

    /// Issue 16: French Excel showed "PrÃ©voyance" and numbers as text.
    #[test]
    fn the_csv_for_people_is_french_with_a_bom_and_decimal_commas() {
        let b = to_csv_fr(&rep());
        assert_eq!(&b[..3], &[0xEF, 0xBB, 0xBF]);
        let t = String::from_utf8(b[3..].to_vec()).unwrap();
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(t.as_bytes());
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(header, LABELS_FR);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][3], "Maladie (01)");
        assert_eq!(&rows[0][4], "05/01/2026");
        assert_eq!(&rows[0][7], "En cours");
        assert_eq!(&rows[0][10], "Non atteinte");
        assert_eq!(&rows[0][11], "01/01/2026 01:00 (heure de Paris, UTC+01:00)");
        assert_eq!(&rows[1][15], "oui");
        assert_eq!(&rows[0][16], "10,50");
        assert_eq!(&rows[0][17], "9,00");
    }

    #[test]
    fn html_is_french_and_sized_for_1400_px() {
        let h = String::from_utf8(to_html(&rep())).unwrap();
        assert!(h.contains("<html lang=\"fr\">"));
        assert!(!h.contains("lang=\"en\""));
        for label in LABELS_FR {
            assert!(h.contains(&format!(">{}</th>", esc(label))), "{label}");
        }
        assert!(h.contains("<td>Maladie (01)</td>"));
        assert!(!h.contains("<th>declaration_id</th>"));
        assert!(h.contains("max-width:1360px") && h.contains("overflow-x:auto"));
        assert!(h.contains("<td class=\"n\">10,50</td>"));
        // The page's width and the two charts side by side (with a 1em gap) fit 1400 px.
        let page: usize = h
            .split("max-width:")
            .nth(1)
            .and_then(|r| r.split("px").next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        let charts: usize = h
            .split("<svg ")
            .skip(1)
            .filter_map(|r| r.split("width=\"").nth(1))
            .filter_map(|r| r.split('"').next())
            .filter_map(|n| n.parse::<usize>().ok())
            .sum();
        assert!(page <= 1400 - 2 * 16, "{page}");
        assert!(charts + 16 <= page, "{charts} + gap > {page}");
    }
}
