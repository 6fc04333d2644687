//! Report rendering: CSV (`;`, one row per stoppage), JSON (the [`Report`] as is) and a
//! self-contained HTML page (no script, no external resource) with two inline SVG charts:
//! stoppages per month (by first day) and the distribution of HR-entry → 31 delays.
//! Pure functions; the NIR is never part of a report.

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
    ("1–3 d", 4320),
    ("> 3 d", i64::MAX),
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
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ijgate report {from} – {to}</title>\
    <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px}}.late{{background:#fde2e2}}</style></head><body>\
    <h1>Stoppages {from} – {to}</h1><p>{n} stoppage(s), {below} below the franchise, {late} late 31 return(s). Generated {gen}.</p>",
        from = rep.from,
        to = rep.to,
        n = rep.rows.len(),
        gen = esc(&rep.generated_at),
    );
    h.push_str("<h2>Stoppages per month</h2>");
    h.push_str(&bar_chart("per-month", "Stoppages per month", &months));
    h.push_str("<h2>Delay from HR entry to the 31 return</h2>");
    h.push_str(&bar_chart(
        "delays",
        "Delay from HR entry to the 31 return",
        &delays,
    ));
    h.push_str("<h2>Stoppages</h2><table><thead><tr>");
    for c in CSV_COLUMNS {
        h.push_str(&format!("<th>{c}</th>"));
    }
    h.push_str("</tr></thead><tbody>");
    for r in &rep.rows {
        h.push_str(if r.late_31 {
            "<tr class=\"late\">"
        } else {
            "<tr>"
        });
        for v in csv_row(r) {
            h.push_str(&format!("<td>{}</td>", esc(&v)));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></body></html>\n");
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
    }
}
