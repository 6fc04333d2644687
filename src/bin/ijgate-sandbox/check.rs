//! What the sandbox checks in a deposited file, and the few facts it reads from it.
//!
//! `check_neodes` is deliberately minimal (own line split: value between the first `,'` and
//! the last `'`, physical line ≤ 256 bytes with its end of line, S90.G00.90.001 = number of
//! lines from S10.G00.00.001 to S90.G00.90.002). At integration it is redirected to the
//! shared NEODeS reader (`ijgate::neodes`). Anomaly codes are the sandbox's own (`SBX-*`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use ijgate::formats::rapport::{Anomaly, RubricRef, Severity};

/// Physical line limit including CR/LF.
pub const MAX_LINE: usize = 256;

fn anomaly(code: &str, message: String, line: Option<u32>, rubric: Option<&str>) -> Anomaly {
    Anomaly {
        code: code.to_string(),
        severity: Some(Severity::Blocking),
        message,
        line,
        count: None,
        rubric: rubric.map(|r| RubricRef {
            id: r.to_string(),
            label: None,
            value: None,
        }),
        related: Vec::new(),
        individuals: Vec::new(),
    }
}

/// One `rubric,'value'` line; `None` when the syntax is wrong.
pub fn split_line(line: &str) -> Option<(&str, &str)> {
    let comma = line.find(",'")?;
    let rubric = &line[..comma];
    let rest = &line[comma + 2..];
    let last = rest.rfind('\'')?;
    if last + 1 != rest.len() {
        return None;
    }
    let value = &rest[..last];
    let parts: Vec<&str> = rubric.split('.').collect();
    let shape_ok = parts.len() == 4
        && parts[0].len() == 3
        && parts[0].starts_with('S')
        && parts[1].len() == 3
        && parts[1].starts_with('G')
        && parts[2].len() == 2
        && parts[3].len() == 3
        && parts[0][1..].chars().all(|c| c.is_ascii_digit())
        && parts[1][1..].chars().all(|c| c.is_ascii_digit())
        && parts[2].chars().all(|c| c.is_ascii_digit())
        && parts[3].chars().all(|c| c.is_ascii_digit());
    (shape_ok && !value.is_empty()).then_some((rubric, value))
}

/// Latin-1 decoding (every byte is a character).
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// The file must be ISO-8859-1: a UTF-8 BOM or valid multi-byte UTF-8 means the sender
/// forgot to transcode.
pub fn check_latin1(bytes: &[u8]) -> Vec<Anomaly> {
    if bytes.starts_with(b"\xEF\xBB\xBF")
        || (bytes.iter().any(|&b| b >= 0x80) && std::str::from_utf8(bytes).is_ok())
    {
        return vec![anomaly(
            "SBX-ENC",
            "Le fichier n'est pas encodé en ISO-8859-1 (UTF-8 détecté).".into(),
            None,
            None,
        )];
    }
    Vec::new()
}

/// Syntax checks of a deposited DSN; empty when the file is acceptable.
pub fn check_neodes(bytes: &[u8]) -> Vec<Anomaly> {
    let mut out = Vec::new();
    let text = latin1(bytes);
    let mut first_s10: Option<usize> = None;
    let mut s90_002: Option<usize> = None;
    let mut declared_total: Option<(usize, String)> = None;
    let mut n = 0usize;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        n = i + 1;
        // Characters, not UTF-8 bytes: each Latin-1 byte is one character.
        let length = raw.chars().count();
        if length > MAX_LINE {
            out.push(anomaly(
                "SBX-LONG",
                format!("Ligne de {length} caractères (maximum {MAX_LINE})."),
                Some(line_no),
                None,
            ));
        }
        let line = raw.trim_end_matches('\n').trim_end_matches('\r');
        if line.chars().any(|c| c.is_control()) {
            out.push(anomaly(
                "SBX-CAR",
                "Caractère de contrôle interdit.".into(),
                Some(line_no),
                None,
            ));
        }
        match split_line(line) {
            Some((rubric, value)) => {
                if rubric == "S10.G00.00.001" && first_s10.is_none() {
                    first_s10 = Some(i);
                }
                if rubric == "S90.G00.90.001" {
                    declared_total = Some((i, value.to_string()));
                }
                if rubric == "S90.G00.90.002" {
                    s90_002 = Some(i);
                }
            }
            None => out.push(anomaly(
                "SBX-SYNTAXE",
                "Ligne mal formée (attendu Sxx.Gxx.xx.xxx,'valeur').".into(),
                Some(line_no),
                None,
            )),
        }
    }
    if n == 0 {
        out.push(anomaly("SBX-VIDE", "Fichier vide.".into(), None, None));
        return out;
    }
    match first_s10 {
        Some(0) => {}
        _ => out.push(anomaly(
            "SBX-S10",
            "Le fichier doit commencer par S10.G00.00.001.".into(),
            Some(1),
            Some("S10.G00.00.001"),
        )),
    }
    match (first_s10, s90_002, declared_total) {
        (Some(a), Some(b), Some((at, value))) if b >= a => {
            let count = b - a + 1;
            if value.trim().parse::<usize>().ok() != Some(count) {
                out.push(anomaly(
                    "SBX-S90",
                    format!("S90.G00.90.001 vaut {value}, le fichier compte {count} lignes."),
                    u32::try_from(at + 1).ok(),
                    Some("S90.G00.90.001"),
                ));
            }
        }
        _ => out.push(anomaly(
            "SBX-S90",
            "Bloc S90.G00.90 (total de l'envoi) absent ou incomplet.".into(),
            None,
            Some("S90.G00.90"),
        )),
    }
    out
}

/// The rubrics a signalement (nature 04 or 05) must carry and lacks, per declaration in file
/// order (empty for a complete one, and for other natures): one blocking anomaly each, naming
/// the rubric, for the BAN (return 11 KO). The table is ijgate's single one
/// (`neodes::required`), so the peer checks what the norm requires, not what the writer
/// happens to write.
pub fn check_required(bytes: &[u8]) -> Vec<Vec<Anomaly>> {
    let text = latin1(bytes);
    let items: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| split_line(l.trim_end_matches('\r')))
        .collect();
    let natures: Vec<&str> = items
        .iter()
        .filter(|(r, _)| *r == "S20.G00.05.001")
        .map(|(_, v)| *v)
        .collect();
    ijgate::neodes::required::missing_in_items(items.iter().copied())
        .into_iter()
        .zip(natures)
        .map(|(missing, nature)| {
            missing
                .into_iter()
                .map(|r| {
                    let mut a = anomaly(
                        "SBX-OBL",
                        format!(
                            "La rubrique {} ({}) est obligatoire dans un signalement de nature {nature}.",
                            r.rubric, r.label
                        ),
                        None,
                        Some(r.rubric),
                    );
                    if let Some(rr) = a.rubric.as_mut() {
                        rr.label = Some(r.label.to_string());
                    }
                    a
                })
                .collect()
        })
        .collect()
}

/// A sick-leave stoppage read from S21.G00.60 with its individual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stoppage {
    pub nir: String,
    pub nom: String,
    pub prenoms: String,
    pub motif: String,
    pub last_day_worked: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    pub subrogation: bool,
    /// Monthly gross salaries (S21.G00.51 type 001) of the individual, by period start.
    pub monthly_gross: BTreeMap<NaiveDate, Decimal>,
}

/// One S20 declaration of the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeclarationFacts {
    pub nature: String,
    pub type_decl: String,
    pub identifiant_metier: Option<String>,
    /// S20.G00.05.006.
    pub replaces: Option<String>,
    pub siren: String,
    pub nic: String,
    pub nirs: Vec<String>,
    pub stoppages: Vec<Stoppage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileFacts {
    /// S10.G00.00.005: 01 test, 02 real.
    pub essai_reel: String,
    pub emetteur_siret: String,
    pub declarations: Vec<DeclarationFacts>,
}

fn date(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v, "%d%m%Y").ok()
}

/// Reads the facts the sandbox needs (call after `check_neodes` found nothing).
pub fn read_facts(bytes: &[u8]) -> FileFacts {
    let text = latin1(bytes);
    let mut f = FileFacts::default();
    let mut siren_emetteur = String::new();
    let (mut nom, mut prenoms) = (String::new(), String::new());
    let mut salary_period: Option<NaiveDate> = None;
    let mut salary_type = String::new();
    // (declaration index, NIR, period, amount): attached after the walk, because the
    // S21.G00.50/51 blocks come after the contract and its stoppages.
    let mut salaries: Vec<(usize, String, NaiveDate, Decimal)> = Vec::new();
    for raw in text.lines() {
        let Some((rubric, value)) = split_line(raw.trim_end_matches('\r')) else {
            continue;
        };
        let value = value.to_string();
        match rubric {
            "S10.G00.00.005" => f.essai_reel = value.clone(),
            "S10.G00.01.001" => siren_emetteur = value.clone(),
            "S10.G00.01.002" => f.emetteur_siret = format!("{siren_emetteur}{value}"),
            "S20.G00.05.001" => f.declarations.push(DeclarationFacts {
                nature: value.clone(),
                ..Default::default()
            }),
            _ => {}
        }
        let index = f.declarations.len().saturating_sub(1);
        let Some(d) = f.declarations.last_mut() else {
            continue;
        };
        match rubric {
            "S20.G00.05.002" => d.type_decl = value,
            "S20.G00.05.009" => d.identifiant_metier = Some(value),
            "S20.G00.05.006" => d.replaces = Some(value),
            "S21.G00.06.001" => d.siren = value,
            "S21.G00.11.001" => d.nic = value,
            "S21.G00.30.001" => {
                d.nirs.push(value);
                nom.clear();
                prenoms.clear();
            }
            "S21.G00.30.002" => nom = value,
            "S21.G00.30.004" => prenoms = value,
            "S21.G00.60.001" => d.stoppages.push(Stoppage {
                nir: d.nirs.last().cloned().unwrap_or_default(),
                nom: nom.clone(),
                prenoms: prenoms.clone(),
                motif: value,
                last_day_worked: None,
                expected_end: None,
                subrogation: false,
                monthly_gross: BTreeMap::new(),
            }),
            "S21.G00.60.002" => {
                if let Some(s) = d.stoppages.last_mut() {
                    s.last_day_worked = date(&value);
                }
            }
            "S21.G00.60.003" => {
                if let Some(s) = d.stoppages.last_mut() {
                    s.expected_end = date(&value);
                }
            }
            "S21.G00.60.004" => {
                if let Some(s) = d.stoppages.last_mut() {
                    s.subrogation = value == "01";
                }
            }
            // A known return (early return in a 04, or a 05) ends the stoppage the day
            // before: CPAM pays no further (domain.md §1.4: .010 closes the stoppage).
            "S21.G00.60.010" => {
                if let (Some(s), Some(r)) = (d.stoppages.last_mut(), date(&value))
                    && let Some(last_off) = r.pred_opt()
                {
                    s.expected_end = Some(s.expected_end.map_or(last_off, |e| e.min(last_off)));
                }
            }
            "S21.G00.51.001" => salary_period = date(&value),
            "S21.G00.51.011" => salary_type = value,
            "S21.G00.51.013" => {
                if salary_type == "001"
                    && let (Some(p), Ok(amount)) = (salary_period, value.parse::<Decimal>())
                {
                    let nir = d.nirs.last().cloned().unwrap_or_default();
                    salaries.push((index, nir, p, amount));
                }
            }
            _ => {}
        }
    }
    for (index, nir, period, amount) in salaries {
        if let Some(d) = f.declarations.get_mut(index) {
            for s in d.stoppages.iter_mut().filter(|s| s.nir == nir) {
                *s.monthly_gross.entry(period).or_default() += amount;
            }
        }
    }
    f
}

#[cfg(test)]
pub(crate) mod sample {
    //! Test-only builder of a valid signalement arrêt de travail (nature 04), Latin-1 CRLF.

    pub struct SampleStop<'a> {
        pub identifiant_metier: &'a str,
        pub nir: &'a str,
        pub nom: &'a str,
        pub last_day_worked: &'a str,
        pub expected_end: &'a str,
        pub subrogation: bool,
        /// (period start JJMMAAAA, gross) salaries to include as S21.G00.50/51.
        pub salaries: &'a [(&'a str, &'a str)],
    }

    impl Default for SampleStop<'_> {
        fn default() -> Self {
            SampleStop {
                identifiant_metier: "ARR-0001",
                nir: "1850175123456",
                nom: "MARTIN",
                last_day_worked: "01032026",
                expected_end: "20032026",
                subrogation: true,
                salaries: &[],
            }
        }
    }

    pub fn signalement(s: &SampleStop<'_>) -> Vec<u8> {
        let mut lines: Vec<String> = vec![
            "S10.G00.00.001,'IJGATE'".into(),
            "S10.G00.00.002,'IJGATE'".into(),
            "S10.G00.00.003,'0.1'".into(),
            "S10.G00.00.005,'02'".into(),
            "S10.G00.00.006,'P26V01'".into(),
            "S10.G00.00.007,'01'".into(),
            "S10.G00.00.008,'01'".into(),
            "S10.G00.01.001,'123456782'".into(),
            "S10.G00.01.002,'00010'".into(),
            "S10.G00.01.003,'ACME Société'".into(),
            "S10.G00.01.004,'1 rue de l'Église'".into(),
            "S10.G00.01.005,'75001'".into(),
            "S10.G00.01.006,'PARIS'".into(),
            "S10.G00.02.001,'01'".into(),
            "S10.G00.02.002,'Service Paie'".into(),
            "S10.G00.02.004,'paie@acme.fr'".into(),
            "S10.G00.02.005,'0102030405'".into(),
            "S20.G00.05.001,'04'".into(),
            "S20.G00.05.002,'01'".into(),
            "S20.G00.05.003,'11'".into(),
            "S20.G00.05.004,'1'".into(),
            "S20.G00.05.005,'01032026'".into(),
            "S20.G00.05.007,'02032026'".into(),
            "S20.G00.05.008,'01'".into(),
            format!("S20.G00.05.009,'{}'", s.identifiant_metier),
            "S20.G00.05.010,'01'".into(),
            "S20.G00.07.001,'Service Paie'".into(),
            "S20.G00.07.002,'0102030405'".into(),
            "S20.G00.07.004,'01'".into(),
            "S21.G00.06.001,'123456782'".into(),
            "S21.G00.06.002,'00010'".into(),
            "S21.G00.06.003,'8411Z'".into(),
            "S21.G00.06.004,'1 rue de l'Église'".into(),
            "S21.G00.06.005,'75001'".into(),
            "S21.G00.06.006,'PARIS'".into(),
            "S21.G00.11.001,'00028'".into(),
            "S21.G00.11.002,'8411Z'".into(),
            "S21.G00.11.003,'3 rue du Parc'".into(),
            "S21.G00.11.004,'69003'".into(),
            "S21.G00.11.005,'LYON'".into(),
            format!("S21.G00.30.001,'{}'", s.nir),
            format!("S21.G00.30.002,'{}'", s.nom),
            "S21.G00.30.004,'Léa'".into(),
            "S21.G00.30.005,'02'".into(),
            "S21.G00.30.006,'01011985'".into(),
            "S21.G00.30.007,'NANTES'".into(),
            "S21.G00.30.008,'5 rue du Test'".into(),
            "S21.G00.30.009,'44000'".into(),
            "S21.G00.30.010,'NANTES'".into(),
            "S21.G00.30.014,'44'".into(),
            "S21.G00.30.015,'FR'".into(),
            "S21.G00.40.001,'01012020'".into(),
            "S21.G00.40.002,'06'".into(),
            "S21.G00.40.003,'04'".into(),
            "S21.G00.40.004,'543a'".into(),
            "S21.G00.40.006,'Assistante'".into(),
            "S21.G00.40.007,'01'".into(),
            "S21.G00.40.009,'C001'".into(),
            "S21.G00.40.017,'1486'".into(),
            "S21.G00.40.019,'12345678200028'".into(),
            "S21.G00.60.001,'01'".into(),
            format!("S21.G00.60.002,'{}'", s.last_day_worked),
            format!("S21.G00.60.003,'{}'", s.expected_end),
            format!(
                "S21.G00.60.004,'{}'",
                if s.subrogation { "01" } else { "02" }
            ),
        ];
        if s.subrogation {
            lines.push(format!("S21.G00.60.005,'{}'", s.last_day_worked));
            lines.push(format!("S21.G00.60.006,'{}'", s.expected_end));
            lines.push("S21.G00.60.007,'FR7630006000011234567890189'".into());
            lines.push("S21.G00.60.008,'AGRIFRPP'".into());
        }
        for (period, gross) in s.salaries {
            lines.push(format!("S21.G00.50.001,'{period}'"));
            lines.push(format!("S21.G00.51.001,'{period}'"));
            lines.push("S21.G00.51.010,'C001'".into());
            lines.push("S21.G00.51.011,'001'".into());
            lines.push(format!("S21.G00.51.013,'{gross}'"));
        }
        let total = lines.len() + 2;
        lines.push(format!("S90.G00.90.001,'{total}'"));
        lines.push("S90.G00.90.002,'1'".into());
        let mut out = Vec::new();
        for l in lines {
            for ch in l.chars() {
                // Latin-1: every character of the sample is ≤ U+00FF.
                out.push(u8::try_from(u32::from(ch)).unwrap_or(b'?'));
            }
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::sample::{SampleStop, signalement};
    use super::*;

    #[test]
    fn valid_sample_passes() {
        let f = signalement(&SampleStop::default());
        assert!(check_neodes(&f).is_empty(), "{:?}", check_neodes(&f));
        assert!(check_latin1(&f).is_empty());
        let facts = read_facts(&f);
        assert_eq!(facts.essai_reel, "02");
        assert_eq!(facts.emetteur_siret, "12345678200010");
        let d = &facts.declarations[0];
        assert_eq!(d.nature, "04");
        assert_eq!(d.identifiant_metier.as_deref(), Some("ARR-0001"));
        assert_eq!(d.siren, "123456782");
        assert_eq!(d.nic, "00028");
        let s = &d.stoppages[0];
        assert_eq!(s.nir, "1850175123456");
        assert_eq!(s.prenoms, "Léa");
        assert!(s.subrogation);
        assert_eq!(s.last_day_worked, NaiveDate::from_ymd_opt(2026, 3, 1));
    }

    /// An early return written in the 04 ends the stoppage the day before it.
    #[test]
    fn a_known_return_ends_the_stoppage() {
        let f = latin1(&signalement(&SampleStop::default())).replace(
            "S21.G00.60.004,'01'",
            "S21.G00.60.004,'01'\r\nS21.G00.60.010,'10032026'\r\nS21.G00.60.011,'01'",
        );
        let bytes: Vec<u8> = f.chars().map(|c| c as u8).collect();
        let s = &read_facts(&bytes).declarations[0].stoppages[0];
        assert_eq!(s.expected_end, NaiveDate::from_ymd_opt(2026, 3, 9));
    }

    #[test]
    fn salaries_are_read_in_any_order() {
        let f = signalement(&SampleStop {
            salaries: &[
                ("01122025", "2000.00"),
                ("01012026", "2100.00"),
                ("01022026", "2200.00"),
            ],
            ..Default::default()
        });
        assert!(check_neodes(&f).is_empty());
        let s = &read_facts(&f).declarations[0].stoppages[0];
        assert_eq!(s.monthly_gross.len(), 3);
        assert_eq!(
            s.monthly_gross.values().sum::<Decimal>().to_string(),
            "6300.00"
        );
    }

    #[test]
    fn wrong_s90_count_is_reported() {
        let f = String::from_utf8_lossy(&signalement(&SampleStop::default()))
            .replace("S90.G00.90.001,'70'", "S90.G00.90.001,'44'");
        let a = check_neodes(f.as_bytes());
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0].code, "SBX-S90");
        assert!(a[0].message.contains("70"));
    }

    /// The sample is complete; each required rubric removed is one BAN anomaly naming it,
    /// and the conditional ones follow their condition (subrogation, return, replacement).
    #[test]
    fn missing_required_rubrics_are_named() {
        let f = signalement(&SampleStop::default());
        assert_eq!(check_required(&f), vec![Vec::<Anomaly>::new()]);
        let text = latin1(&f);
        let cut = |text: &str, rubrics: &[&str]| -> Vec<u8> {
            text.split_inclusive('\n')
                .filter(|l| !rubrics.iter().any(|r| l.starts_with(r)))
                .flat_map(|l| l.chars().map(|c| c as u8))
                .collect()
        };
        let a = check_required(&cut(
            &text,
            &["S21.G00.30.007", "S10.G00.02.005", "S21.G00.60.007"],
        ));
        let named: Vec<&str> = a[0]
            .iter()
            .map(|x| x.rubric.as_ref().unwrap().id.as_str())
            .collect();
        assert_eq!(
            named,
            ["S10.G00.02.005", "S21.G00.30.007", "S21.G00.60.007"]
        );
        assert!(
            a[0].iter()
                .all(|x| x.code == "SBX-OBL" && x.severity == Some(Severity::Blocking))
        );
        assert!(
            a[0][1]
                .message
                .contains("S21.G00.30.007 (lieu de naissance)")
        );
        // Without subrogation the IBAN is not required; an S20.G00.07 that is not the IJ
        // contact (type 01) does not count.
        let no_sub = signalement(&SampleStop {
            subrogation: false,
            ..Default::default()
        });
        assert!(check_required(&no_sub)[0].is_empty());
        let other_contact = latin1(&f).replace("S20.G00.07.004,'01'", "S20.G00.07.004,'02'");
        let a = check_required(other_contact.as_bytes());
        assert_eq!(a[0].len(), 3, "{:?}", a[0]);
        // A reprise (05) must carry the return.
        let reprise = latin1(&f).replace("S20.G00.05.001,'04'", "S20.G00.05.001,'05'");
        let a = check_required(reprise.as_bytes());
        let named: Vec<&str> = a[0]
            .iter()
            .map(|x| x.rubric.as_ref().unwrap().id.as_str())
            .collect();
        assert_eq!(named, ["S21.G00.60.010", "S21.G00.60.011"]);
    }

    #[test]
    fn syntax_length_and_start_errors() {
        // 254 accented Latin-1 characters + CRLF = 256 bytes: accepted; one more is not.
        let mut ok = b"S10.G00.00.001,'".to_vec();
        ok.extend(std::iter::repeat_n(0xE9u8, 237));
        ok.extend_from_slice(b"'\r\n");
        assert_eq!(ok.len(), 256);
        assert!(!check_neodes(&ok).iter().any(|x| x.code == "SBX-LONG"));
        ok.insert(20, 0xE9);
        assert!(check_neodes(&ok).iter().any(|x| x.code == "SBX-LONG"));
        let long = format!("S10.G00.00.001,'{}'\r\n", "A".repeat(300));
        let a = check_neodes(long.as_bytes());
        assert!(a.iter().any(|x| x.code == "SBX-LONG" && x.line == Some(1)));
        let a = check_neodes(b"S10.G00.00.001,IJGATE\r\n");
        assert!(a.iter().any(|x| x.code == "SBX-SYNTAXE"));
        let a = check_neodes(b"S20.G00.05.001,'04'\r\n");
        assert!(a.iter().any(|x| x.code == "SBX-S10"));
        assert!(check_neodes(b"").iter().any(|x| x.code == "SBX-VIDE"));
        // An apostrophe inside a value is legal.
        assert_eq!(
            split_line("S21.G00.30.002,'O'CONNOR'"),
            Some(("S21.G00.30.002", "O'CONNOR"))
        );
        assert_eq!(split_line("S21.G00.30.002,''"), None);
        assert_eq!(split_line("S21.G0.30.002,'X'"), None);
    }

    #[test]
    fn utf8_is_refused() {
        assert_eq!(
            check_latin1("S10.G00.00.001,'é'".as_bytes())[0].code,
            "SBX-ENC"
        );
        assert!(check_latin1(b"S10.G00.00.001,'\xe9'").is_empty());
        assert!(!check_latin1(b"\xEF\xBB\xBFS10").is_empty());
    }
}
