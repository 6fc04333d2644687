//! The DSN signalements ijgate deposits for CPAM: nature 04 "arrêt de travail" and nature 05
//! "reprise suite à arrêt de travail", norm P26V01, each as a normal declaration, an "annule et
//! remplace" (type 03, pointing at the idflux it replaces in S20.G00.05.006) or an "annule"
//! (type 04).
//!
//! Pure: a [`Stoppage`] and the sender's identity in, Latin-1 CRLF bytes out (the NEODeS
//! writer checks every value against the norm and computes the S90 totals).

use chrono::{Datelike, NaiveDate};

use crate::config::{Declarant, Employer};
use crate::model::Stoppage;
use crate::neodes::rubric::rid;
use crate::neodes::writer::{WriteErrors, Writer};

/// S20.G00.05.001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Nature {
    /// 04: signalement arrêt de travail.
    Arret,
    /// 05: signalement reprise suite à arrêt de travail.
    Reprise,
}

impl Nature {
    pub fn code(self) -> &'static str {
        match self {
            Nature::Arret => "04",
            Nature::Reprise => "05",
        }
    }
}

/// S20.G00.05.002.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeclType {
    /// 01 normale.
    Normal,
    /// 03 annule et remplace intégral.
    Replace,
    /// 04 annule.
    Cancel,
}

impl DeclType {
    pub fn code(self) -> &'static str {
        match self {
            DeclType::Normal => "01",
            DeclType::Replace => "03",
            DeclType::Cancel => "04",
        }
    }
}

/// Who sends and with what software (S10).
pub struct Envoi<'a> {
    pub declarant: &'a Declarant,
    pub employer: &'a Employer,
    pub software_version: &'a str,
}

/// One signalement to write.
pub struct Spec<'a> {
    pub nature: Nature,
    pub decl_type: DeclType,
    /// S20.G00.05.004 numéro d'ordre (unique per deposit).
    pub ordre: i64,
    /// S20.G00.05.009 identifiant métier (≤ 15), the key returns are matched on.
    pub identifiant_metier: &'a str,
    /// S20.G00.05.006: the idflux of the declaration replaced or cancelled.
    pub replaces_idflux: Option<&'a str>,
    pub created: NaiveDate,
    /// The stoppage with everything known (a reprise carries the arrêt's data merged in).
    pub stoppage: &'a Stoppage,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("signalement: missing {0}")]
    Missing(&'static str),
    #[error("signalement: {0}")]
    Norm(#[from] WriteErrors),
}

/// Writes the signalement.
pub fn build(spec: &Spec<'_>, envoi: &Envoi<'_>) -> Result<Vec<u8>, BuildError> {
    let s = spec.stoppage;
    let emp = envoi.employer;
    let d = envoi.declarant;
    let emitter = d.siret.as_deref().unwrap_or(&emp.siret);
    if emitter.len() != 14 {
        return Err(BuildError::Missing("a 14-digit émetteur SIRET"));
    }
    let reason = s.reason.ok_or(BuildError::Missing("the motif (reason)"))?;
    let last_day = s
        .last_day_worked
        .ok_or(BuildError::Missing("the last day worked"))?;
    let contract = s
        .contract
        .as_ref()
        .ok_or(BuildError::Missing("the employment contract"))?;
    let e = &s.employee;
    let mut w = Writer::new();
    // S10: envoi, émetteur, contact.
    w.push(rid("S10.G00.00.001"), "IJGATE")
        .push(rid("S10.G00.00.002"), "IJGATE")
        .push(rid("S10.G00.00.003"), envoi.software_version)
        .push(
            rid("S10.G00.00.005"),
            if d.test_files { "01" } else { "02" },
        )
        .push(rid("S10.G00.00.006"), "P26V01")
        .push(rid("S10.G00.00.007"), "01")
        .push(rid("S10.G00.00.008"), "01")
        .push(rid("S10.G00.01.001"), &emitter[..9])
        .push(rid("S10.G00.01.002"), &emitter[9..])
        .push(rid("S10.G00.01.003"), &d.name)
        .push_opt(
            rid("S10.G00.01.004"),
            d.address.as_deref().or(emp.address.as_deref()),
        )
        .push_opt(
            rid("S10.G00.01.005"),
            d.postal_code.as_deref().or(emp.postal_code.as_deref()),
        )
        .push_opt(
            rid("S10.G00.01.006"),
            d.city.as_deref().or(emp.city.as_deref()),
        )
        .push(rid("S10.G00.02.001"), &d.contact_civility)
        .push(rid("S10.G00.02.002"), &d.contact_name)
        .push_opt(rid("S10.G00.02.004"), d.contact_email.as_deref())
        .push_opt(rid("S10.G00.02.005"), d.contact_phone.as_deref());
    // S20: the declaration.
    let event_day = match spec.nature {
        Nature::Arret => last_day,
        Nature::Reprise => s
            .return_date
            .ok_or(BuildError::Missing("the return date"))?,
    };
    let month =
        NaiveDate::from_ymd_opt(event_day.year(), event_day.month(), 1).unwrap_or(event_day);
    w.push(rid("S20.G00.05.001"), spec.nature.code())
        .push(rid("S20.G00.05.002"), spec.decl_type.code())
        .push(rid("S20.G00.05.003"), "11")
        .push(rid("S20.G00.05.004"), &spec.ordre.to_string())
        .push_date(rid("S20.G00.05.005"), month)
        .push_opt(rid("S20.G00.05.006"), spec.replaces_idflux)
        .push_date(rid("S20.G00.05.007"), spec.created)
        .push(rid("S20.G00.05.008"), "01")
        .push(rid("S20.G00.05.009"), spec.identifiant_metier)
        .push(rid("S20.G00.05.010"), "01");
    // S21.G00.06 entreprise, .11 établissement.
    let siret = s.siret.as_str();
    w.push(rid("S21.G00.06.001"), &siret[..9])
        .push(
            rid("S21.G00.06.002"),
            emp.head_office_nic.as_deref().unwrap_or(&siret[9..]),
        )
        .push_opt(rid("S21.G00.06.003"), emp.ape.as_deref())
        .push_opt(rid("S21.G00.06.004"), emp.address.as_deref())
        .push_opt(rid("S21.G00.06.005"), emp.postal_code.as_deref())
        .push_opt(rid("S21.G00.06.006"), emp.city.as_deref())
        .push(rid("S21.G00.11.001"), &siret[9..])
        .push_opt(rid("S21.G00.11.002"), emp.ape.as_deref())
        .push_opt(rid("S21.G00.11.003"), emp.address.as_deref())
        .push_opt(rid("S21.G00.11.004"), emp.postal_code.as_deref())
        .push_opt(rid("S21.G00.11.005"), emp.city.as_deref());
    // S21.G00.30 individu.
    w.push(rid("S21.G00.30.001"), e.nir.body())
        .push_opt(rid("S21.G00.30.002"), e.last_name.as_deref())
        .push_opt(rid("S21.G00.30.003"), e.usage_name.as_deref())
        .push_opt(rid("S21.G00.30.004"), e.first_names.as_deref())
        .push_opt(rid("S21.G00.30.005"), e.sex.map(|x| x.dsn_code()));
    if let Some(b) = e.birth_date {
        w.push_date(rid("S21.G00.30.006"), b);
    }
    w.push_opt(rid("S21.G00.30.007"), e.birth_place.as_deref())
        .push_opt(rid("S21.G00.30.008"), e.address.as_deref())
        .push_opt(rid("S21.G00.30.009"), e.postal_code.as_deref())
        .push_opt(rid("S21.G00.30.010"), e.city.as_deref())
        .push_opt(rid("S21.G00.30.014"), e.birth_department.as_deref())
        .push_opt(rid("S21.G00.30.015"), e.birth_country.as_deref())
        .push_opt(rid("S21.G00.30.019"), e.employee_id.as_deref());
    // S21.G00.40 contrat.
    w.push_date(rid("S21.G00.40.001"), contract.start)
        .push_opt(
            rid("S21.G00.40.002"),
            contract.statut_conventionnel.as_deref(),
        )
        .push_opt(rid("S21.G00.40.004"), contract.pcs_ese.as_deref())
        .push_opt(rid("S21.G00.40.006"), contract.job_title.as_deref())
        .push(rid("S21.G00.40.007"), &contract.nature)
        .push(rid("S21.G00.40.009"), &contract.number)
        .push_opt(rid("S21.G00.40.017"), contract.idcc.as_deref());
    // S21.G00.60 arrêt de travail.
    w.push(rid("S21.G00.60.001"), &reason.dsn_code())
        .push_date(rid("S21.G00.60.002"), last_day);
    if let Some(end) = s.expected_end {
        w.push_date(rid("S21.G00.60.003"), end);
    }
    match &s.subrogation {
        Some(sub) => {
            w.push(rid("S21.G00.60.004"), "01")
                .push_date(rid("S21.G00.60.005"), sub.start)
                .push_date(rid("S21.G00.60.006"), sub.end)
                .push(rid("S21.G00.60.007"), &sub.iban)
                .push(rid("S21.G00.60.008"), &sub.bic);
        }
        None => {
            w.push(rid("S21.G00.60.004"), "02");
        }
    }
    if spec.nature == Nature::Reprise {
        if let Some(r) = s.return_date {
            w.push_date(rid("S21.G00.60.010"), r);
        }
        w.push_opt(rid("S21.G00.60.011"), s.return_reason.map(|r| r.dsn_code()));
    }
    if let Some(a) = s.accident_date {
        w.push_date(rid("S21.G00.60.012"), a);
    }
    Ok(w.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::validate::{Context, validate};
    use crate::neodes::reader::{Event, Reader};
    use std::collections::HashSet;

    fn stoppage(extra: &[(&str, &str)]) -> Stoppage {
        let mut r = crate::model::validate::tests::good_arret();
        for (k, v) in extra {
            r.fields.insert((*k).into(), (*v).into());
        }
        let configured: HashSet<String> = [crate::model::validate::tests::SIRET.to_string()]
            .into_iter()
            .collect();
        validate(
            &r,
            &Context {
                configured: &configured,
                allowed: None,
            },
        )
        .unwrap()
    }

    fn employer() -> Employer {
        Employer {
            siret: crate::model::validate::tests::SIRET.into(),
            name: "ACME".into(),
            ape: Some("2511Z".into()),
            head_office_nic: None,
            address: Some("1 rue de la Paix".into()),
            postal_code: Some("75002".into()),
            city: Some("Paris".into()),
            alert_emails: Vec::new(),
        }
    }

    fn write(nature: Nature, t: DeclType, s: &Stoppage) -> Vec<u8> {
        let d = Declarant::default();
        let emp = employer();
        let spec = Spec {
            nature,
            decl_type: t,
            ordre: 42,
            identifiant_metier: "IJ000000042A01",
            replaces_idflux: (t != DeclType::Normal).then_some("12345678901234567890123"),
            created: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            stoppage: s,
        };
        build(
            &spec,
            &Envoi {
                declarant: &d,
                employer: &emp,
                software_version: "0.1.0",
            },
        )
        .unwrap()
    }

    /// Reads a file back: (rubric, value) pairs and the error diagnostics.
    fn read_back(bytes: &[u8]) -> (Vec<(String, String)>, Vec<String>) {
        let mut r = Reader::new(bytes);
        let (mut items, mut errors) = (Vec::new(), Vec::new());
        while let Some(ev) = r.next_event() {
            match ev {
                Event::Item(i) => items.push((i.rubric.to_string(), i.value().into_owned())),
                Event::Diagnostic(d) => errors.push(format!("{d:?}")),
            }
        }
        (items, errors)
    }

    #[test]
    fn arret_round_trips_through_the_reader() {
        let s = stoppage(&[]);
        let bytes = write(Nature::Arret, DeclType::Normal, &s);
        let (items, errors) = read_back(&bytes);
        assert!(errors.is_empty(), "{errors:?}");
        let get = |r: &str| items.iter().find(|(k, _)| k == r).map(|(_, v)| v.as_str());
        assert_eq!(get("S20.G00.05.001"), Some("04"));
        assert_eq!(get("S20.G00.05.002"), Some("01"));
        assert_eq!(get("S20.G00.05.009"), Some("IJ000000042A01"));
        assert_eq!(get("S21.G00.30.001"), Some("1850578006084"));
        assert_eq!(get("S21.G00.30.002"), Some("Müller"));
        assert_eq!(get("S21.G00.60.001"), Some("01"));
        assert_eq!(get("S21.G00.60.002"), Some("09112026"));
        assert_eq!(get("S21.G00.60.004"), Some("01"));
        assert_eq!(get("S20.G00.05.006"), None);
        // S90 = every line from S10.G00.00.001 to S90.G00.90.002.
        let lines = bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        assert_eq!(get("S90.G00.90.001"), Some(lines.to_string().as_str()));
        assert_eq!(get("S90.G00.90.002"), Some("1"));
    }

    #[test]
    fn latin1_crlf_and_line_length() {
        let bytes = write(Nature::Arret, DeclType::Normal, &stoppage(&[]));
        // "Müller": ü is one Latin-1 byte (0xFC), not UTF-8.
        assert!(bytes.windows(6).any(|w| w == b"M\xfcller"));
        assert!(!bytes.windows(2).any(|w| w == "ü".as_bytes()));
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            assert!(line.ends_with(b"\r\n"));
            assert!(line.len() <= 256);
            assert!(!line.windows(3).any(|w| w == b",''"), "no empty value");
        }
    }

    /// Golden file; regenerate with `IJGATE_BLESS=1 cargo test --lib golden_file` after an
    /// intended change, and review the diff.
    #[test]
    fn golden_file() {
        let bytes = write(Nature::Arret, DeclType::Normal, &stoppage(&[]));
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/signalement/arret_normal.dsn"
        );
        if std::env::var_os("IJGATE_BLESS").is_some() {
            std::fs::write(path, &bytes).unwrap();
        }
        let golden = std::fs::read(path).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&golden)
        );
    }

    #[test]
    fn replace_and_cancel_point_at_the_previous_flux() {
        let s = stoppage(&[]);
        for (t, code) in [(DeclType::Replace, "03"), (DeclType::Cancel, "04")] {
            let (items, errors) = read_back(&write(Nature::Arret, t, &s));
            assert!(errors.is_empty(), "{errors:?}");
            assert!(items.contains(&("S20.G00.05.002".into(), code.into())));
            assert!(items.contains(&("S20.G00.05.006".into(), "12345678901234567890123".into())));
        }
    }

    #[test]
    fn reprise_carries_the_return() {
        let s = stoppage(&[("return_date", "2026-11-15"), ("return_reason", "01")]);
        let (items, errors) = read_back(&write(Nature::Reprise, DeclType::Normal, &s));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(items.contains(&("S20.G00.05.001".into(), "05".into())));
        assert!(items.contains(&("S21.G00.60.010".into(), "15112026".into())));
        assert!(items.contains(&("S21.G00.60.011".into(), "01".into())));
    }
}
