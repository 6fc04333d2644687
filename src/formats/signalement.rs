//! The DSN signalements ijgate deposits for CPAM: nature 04 "arrêt de travail" and nature 05
//! "reprise suite à arrêt de travail", norm P26V01, each as a normal declaration, an "annule et
//! remplace" (type 03, pointing at the idflux it replaces in S20.G00.05.006) or an "annule"
//! (type 04).
//!
//! Pure: a [`Stoppage`] and the sender's identity in, Latin-1 CRLF bytes out (the NEODeS
//! writer checks every value against the norm and computes the S90 totals).

use chrono::{Datelike, NaiveDate};

use crate::model::Stoppage;
use crate::neodes::required::{self, Situation, Source, When};
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

/// The émetteur of the file (S10.G00.01/.02) and the essai flag (S10.G00.00.005). The
/// caller builds it from its settings (`config::Declarant::emitter`): this module sees no
/// settings type (docs/ARCHITECTURE.md, domain layer).
#[derive(Debug, Clone, Copy, Default)]
pub struct Emitter<'a> {
    /// SIRET of the émetteur; `None`: the employer itself.
    pub siret: Option<&'a str>,
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub city: Option<&'a str>,
    pub contact_civility: &'a str,
    pub contact_name: &'a str,
    pub contact_email: Option<&'a str>,
    pub contact_phone: Option<&'a str>,
    /// Files sent as "essai" (S10.G00.00.005 = 01).
    pub test_files: bool,
}

/// The establishment declared for (S20.G00.07 IJ contact, S21.G00.06 entreprise, S21.G00.11
/// établissement), built by the caller from its settings (`config::Employer::establishment`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Establishment<'a> {
    pub siret: &'a str,
    pub ape: Option<&'a str>,
    pub head_office_nic: Option<&'a str>,
    pub address: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub city: Option<&'a str>,
    pub apet: Option<&'a str>,
    pub head_office_address: Option<&'a str>,
    pub head_office_postal_code: Option<&'a str>,
    pub head_office_city: Option<&'a str>,
    pub contact_name: Option<&'a str>,
    pub contact_phone: Option<&'a str>,
    pub contact_email: Option<&'a str>,
}

/// Who sends and with what software (S10).
pub struct Envoi<'a> {
    pub emitter: Emitter<'a>,
    pub establishment: Establishment<'a>,
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
    /// Required rubrics (neodes::required) without a value: each names what to fill.
    #[error("signalement incomplete, {} required rubric(s) missing: {}", .0.len(), .0.join("; "))]
    Incomplete(Vec<String>),
    #[error("signalement: {0}")]
    Norm(#[from] WriteErrors),
}

/// (rubric, value) in file order; `None` = no value known.
type Items = Vec<(&'static str, Option<String>)>;

fn some(v: Option<&str>) -> Option<String> {
    v.map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

/// The rubrics that come from the configuration (S10 émetteur and contact, S20.G00.07 IJ
/// contact, S21.G00.06 entreprise, S21.G00.11 établissement) for establishment `siret`.
///
/// Rules (neodes::required): without `declarant.siret` the émetteur is the employer itself, so
/// its address is the employer's unless `declarant.address` is given; the head office's
/// address is this establishment's when `head_office_nic` is this establishment's NIC. The
/// NIC du siège itself is never guessed (issue 10 item 7).
fn identity_items(d: &Emitter<'_>, emp: &Establishment<'_>, siret: &str) -> Items {
    let emitter = d.siret.unwrap_or(siret);
    let (e_siren, e_nic) = if emitter.len() == 14 {
        (
            Some(emitter[..9].to_string()),
            Some(emitter[9..].to_string()),
        )
    } else {
        (None, None)
    };
    let emitter_is_employer = d.siret.is_none();
    let pick = |own: Option<&str>, employer: Option<&str>| {
        some(own).or_else(|| {
            if emitter_is_employer {
                some(employer)
            } else {
                None
            }
        })
    };
    let nic = siret.get(9..).unwrap_or("");
    let head_is_here = emp.head_office_nic == Some(nic);
    let head = |own: Option<&str>, here: Option<&str>| {
        some(own).or_else(|| if head_is_here { some(here) } else { None })
    };
    vec![
        ("S10.G00.01.001", e_siren),
        ("S10.G00.01.002", e_nic),
        ("S10.G00.01.003", some(Some(d.name))),
        ("S10.G00.01.004", pick(d.address, emp.address)),
        ("S10.G00.01.005", pick(d.postal_code, emp.postal_code)),
        ("S10.G00.01.006", pick(d.city, emp.city)),
        ("S10.G00.02.001", some(Some(d.contact_civility))),
        ("S10.G00.02.002", some(Some(d.contact_name))),
        ("S10.G00.02.004", some(d.contact_email)),
        ("S10.G00.02.005", some(d.contact_phone)),
        ("S20.G00.07.001", some(emp.contact_name)),
        ("S20.G00.07.002", some(emp.contact_phone)),
        ("S20.G00.07.003", some(emp.contact_email)),
        ("S20.G00.07.004", Some("01".into())),
        ("S21.G00.06.001", siret.get(..9).map(String::from)),
        ("S21.G00.06.002", some(emp.head_office_nic)),
        ("S21.G00.06.003", some(emp.ape)),
        ("S21.G00.06.004", head(emp.head_office_address, emp.address)),
        (
            "S21.G00.06.005",
            head(emp.head_office_postal_code, emp.postal_code),
        ),
        ("S21.G00.06.006", head(emp.head_office_city, emp.city)),
        ("S21.G00.11.001", Some(nic.to_string())),
        ("S21.G00.11.002", some(emp.apet)),
        ("S21.G00.11.003", some(emp.address)),
        ("S21.G00.11.004", some(emp.postal_code)),
        ("S21.G00.11.005", some(emp.city)),
    ]
}

/// What `[declarant]` and the employer lack for a signalement, as the configuration keys to
/// fill (`prefix` names the employer, e.g. `employers[0]`). Empty = complete.
pub fn config_gaps(d: &Emitter<'_>, emp: &Establishment<'_>, prefix: &str) -> Vec<String> {
    let items = identity_items(d, emp, emp.siret);
    let mut out = Vec::new();
    for (rubric, value) in &items {
        let Some(rule) = required::rule(rubric) else {
            continue;
        };
        if value.is_some() || rule.when != When::Always {
            continue;
        }
        if let Source::Config(key) = rule.source {
            let key = key.replacen("employers.", &format!("{prefix}."), 1);
            let line = format!("{key}: required for {} ({})", rule.rubric, rule.label);
            if !out.contains(&line) {
                out.push(line);
            }
        }
    }
    out
}

/// Writes the signalement, or refuses it when a required rubric (neodes::required) has no
/// value: the error lists each one with the configuration key or HR column to fill.
pub fn build(spec: &Spec<'_>, envoi: &Envoi<'_>) -> Result<Vec<u8>, BuildError> {
    let s = spec.stoppage;
    let emp = &envoi.establishment;
    let d = &envoi.emitter;
    let e = &s.employee;
    let siret = s.siret.as_str();
    let date = |x: Option<NaiveDate>| x.map(|d| d.format("%d%m%Y").to_string());
    // The event day gives the main month (S20.G00.05.005): the return for a 05, else the
    // last day worked.
    let event_day = match spec.nature {
        Nature::Arret => s.last_day_worked,
        Nature::Reprise => s.return_date,
    };
    let month = event_day.map(|d| NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d));
    let mut items: Items = vec![
        ("S10.G00.00.001", Some("IJGATE".into())),
        ("S10.G00.00.002", Some("IJGATE".into())),
        ("S10.G00.00.003", Some(envoi.software_version.into())),
        (
            "S10.G00.00.005",
            Some(if d.test_files { "01" } else { "02" }.into()),
        ),
        ("S10.G00.00.006", Some("P26V01".into())),
        ("S10.G00.00.007", Some("01".into())),
        ("S10.G00.00.008", Some("01".into())),
    ];
    let identity = identity_items(d, emp, siret);
    let (head, rest): (Items, Items) = identity
        .into_iter()
        .partition(|(r, _)| r.starts_with("S10"));
    items.extend(head);
    items.extend([
        ("S20.G00.05.001", Some(spec.nature.code().into())),
        ("S20.G00.05.002", Some(spec.decl_type.code().into())),
        ("S20.G00.05.003", Some("11".into())),
        ("S20.G00.05.004", Some(spec.ordre.to_string())),
        ("S20.G00.05.005", date(month)),
        ("S20.G00.05.006", spec.replaces_idflux.map(String::from)),
        ("S20.G00.05.007", date(Some(spec.created))),
        ("S20.G00.05.008", Some("01".into())),
        ("S20.G00.05.009", some(Some(spec.identifiant_metier))),
        ("S20.G00.05.010", Some("01".into())),
    ]);
    items.extend(rest);
    let contract = s.contract.as_ref();
    let c = |f: fn(&crate::model::stoppage::EmploymentContract) -> Option<&str>| {
        contract.and_then(|c| some(f(c)))
    };
    items.extend([
        ("S21.G00.30.001", Some(e.nir.body().to_string())),
        ("S21.G00.30.002", some(e.last_name.as_deref())),
        ("S21.G00.30.003", some(e.usage_name.as_deref())),
        ("S21.G00.30.004", some(e.first_names.as_deref())),
        ("S21.G00.30.005", e.sex.map(|x| x.dsn_code().to_string())),
        ("S21.G00.30.006", date(e.birth_date)),
        ("S21.G00.30.007", some(e.birth_place.as_deref())),
        ("S21.G00.30.008", some(e.address.as_deref())),
        ("S21.G00.30.009", some(e.postal_code.as_deref())),
        ("S21.G00.30.010", some(e.city.as_deref())),
        ("S21.G00.30.014", some(e.birth_department.as_deref())),
        ("S21.G00.30.015", some(e.birth_country.as_deref())),
        ("S21.G00.30.019", some(e.employee_id.as_deref())),
        ("S21.G00.40.001", date(contract.map(|c| c.start))),
        ("S21.G00.40.002", c(|c| c.statut_conventionnel.as_deref())),
        ("S21.G00.40.003", c(|c| c.retirement_category.as_deref())),
        ("S21.G00.40.004", c(|c| c.pcs_ese.as_deref())),
        ("S21.G00.40.006", c(|c| c.job_title.as_deref())),
        ("S21.G00.40.007", c(|c| Some(c.nature.as_str()))),
        ("S21.G00.40.009", c(|c| Some(c.number.as_str()))),
        ("S21.G00.40.017", c(|c| c.idcc.as_deref())),
        // The place of work: the establishment the employee is assigned to (required.rs).
        ("S21.G00.40.019", contract.map(|_| siret.to_string())),
        ("S21.G00.60.001", s.reason.map(|r| r.dsn_code())),
        ("S21.G00.60.002", date(s.last_day_worked)),
        ("S21.G00.60.003", date(s.expected_end)),
        (
            "S21.G00.60.004",
            Some(if s.subrogation.is_some() { "01" } else { "02" }.into()),
        ),
        (
            "S21.G00.60.005",
            date(s.subrogation.as_ref().map(|x| x.start)),
        ),
        (
            "S21.G00.60.006",
            date(s.subrogation.as_ref().map(|x| x.end)),
        ),
        (
            "S21.G00.60.007",
            s.subrogation.as_ref().map(|x| x.iban.clone()),
        ),
        (
            "S21.G00.60.008",
            s.subrogation.as_ref().map(|x| x.bic.clone()),
        ),
        // A return known when the file is written closes the stoppage in the 04 too (early
        // return, issue 10 item 3); the 05 always carries it.
        ("S21.G00.60.010", date(s.return_date)),
        (
            "S21.G00.60.011",
            s.return_date
                .and(s.return_reason)
                .map(|r| r.dsn_code().to_string()),
        ),
        ("S21.G00.60.012", date(s.accident_date)),
    ]);
    let situation = Situation {
        nature: spec.nature.code(),
        decl_type: spec.decl_type.code(),
        subrogation: s.subrogation.is_some(),
        return_known: s.return_date.is_some(),
        professional: s
            .reason
            .is_some_and(|r| required::is_professional_motif(&r.dsn_code())),
    };
    let present = |rubric: &str| items.iter().any(|(r, v)| *r == rubric && v.is_some());
    let missing: Vec<String> = required::missing(&situation, present)
        .into_iter()
        .map(|r| {
            let mut m = r.missing_message();
            if matches!(r.source, Source::Config(k) if k.starts_with("employers.")) {
                m.push_str(&format!(" (employer {siret})"));
            }
            m
        })
        .collect();
    if !missing.is_empty() {
        return Err(BuildError::Incomplete(missing));
    }
    let mut w = Writer::new();
    for (rubric, value) in &items {
        w.push_opt(rid(rubric), value.as_deref());
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

    /// A complete employer: the head office is another establishment (NIC 00017), as in the
    /// real file where S21.G00.06.002 differs from S21.G00.11.001.
    pub(crate) fn employer() -> Establishment<'static> {
        Establishment {
            siret: crate::model::validate::tests::SIRET,
            ape: Some("2511Z"),
            apet: Some("2511Z"),
            head_office_nic: Some("00017"),
            head_office_address: Some("8 avenue de l'Europe"),
            head_office_postal_code: Some("67000"),
            head_office_city: Some("Strasbourg"),
            address: Some("1 rue de la Paix"),
            postal_code: Some("75002"),
            city: Some("Paris"),
            contact_name: Some("Claire Fontaine"),
            contact_phone: Some("0388000000"),
            contact_email: Some("paie@acme.invalid"),
        }
    }

    /// What `[declarant]` gives with no key set (config::Declarant's defaults).
    fn default_declarant() -> Emitter<'static> {
        Emitter {
            name: "ijgate",
            contact_civility: "01",
            contact_name: "Service paie",
            ..Emitter::default()
        }
    }

    pub(crate) fn declarant() -> Emitter<'static> {
        Emitter {
            contact_email: Some("paie@acme.invalid"),
            contact_phone: Some("0144000000"),
            test_files: false,
            ..default_declarant()
        }
    }

    fn write(nature: Nature, t: DeclType, s: &Stoppage) -> Vec<u8> {
        let d = declarant();
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
                emitter: d,
                establishment: emp,
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

    /// The writer refuses a file missing a required rubric and names what to fill: the
    /// configuration key (with the employer) or the HR column.
    #[test]
    fn incomplete_configuration_or_row_is_refused_with_what_to_fill() {
        let mut s = stoppage(&[]);
        s.employee.birth_place = None;
        let d = default_declarant();
        let emp = Establishment {
            head_office_nic: None,
            apet: None,
            ..employer()
        };
        let spec = Spec {
            nature: Nature::Arret,
            decl_type: DeclType::Normal,
            ordre: 1,
            identifiant_metier: "IJ1",
            replaces_idflux: None,
            created: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            stoppage: &s,
        };
        let envoi = Envoi {
            emitter: d,
            establishment: emp,
            software_version: "0.1.0",
        };
        let Err(BuildError::Incomplete(missing)) = build(&spec, &envoi) else {
            panic!("built an incomplete file");
        };
        assert_eq!(
            missing,
            [
                "S10.G00.02.004 (mél du contact): fill configuration key declarant.contact_email",
                "S10.G00.02.005 (téléphone du contact): fill configuration key declarant.contact_phone",
                "S21.G00.06.002 (NIC du siège): fill configuration key employers.head_office_nic (employer 73282932000074)",
                "S21.G00.11.002 (code APET): fill configuration key employers.apet (employer 73282932000074)",
                "S21.G00.30.007 (lieu de naissance): fill HR column birth_place",
            ]
        );
        // The same gaps, as check-config lists them.
        assert_eq!(
            config_gaps(&d, &emp, "employers[0]"),
            [
                "declarant.contact_email: required for S10.G00.02.004 (mél du contact)",
                "declarant.contact_phone: required for S10.G00.02.005 (téléphone du contact)",
                "employers[0].head_office_nic: required for S21.G00.06.002 (NIC du siège)",
                "employers[0].apet: required for S21.G00.11.002 (code APET)",
            ]
        );
        assert!(config_gaps(&declarant(), &employer(), "employers[0]").is_empty());
    }

    /// Item 7: the NIC du siège is the configured one, never the establishment's; when the
    /// head office is this establishment, its address is the establishment's.
    #[test]
    fn head_office_is_configured_not_guessed() {
        let (items, _) = read_back(&write(Nature::Arret, DeclType::Normal, &stoppage(&[])));
        assert!(items.contains(&("S21.G00.06.002".into(), "00017".into())));
        assert!(items.contains(&("S21.G00.11.001".into(), "00074".into())));
        let here = Establishment {
            head_office_nic: Some("00074"),
            head_office_address: None,
            head_office_postal_code: None,
            head_office_city: None,
            ..employer()
        };
        assert!(config_gaps(&declarant(), &here, "employers[0]").is_empty());
        let elsewhere = Establishment {
            head_office_address: None,
            ..employer()
        };
        assert_eq!(
            config_gaps(&declarant(), &elsewhere, "employers[0]"),
            ["employers[0].head_office_address: required for S21.G00.06.004 (voie du siège)"]
        );
    }

    /// Item 3: an arrêt whose return is already known closes the stoppage in the 04 itself.
    #[test]
    fn early_return_known_at_the_arret_is_in_the_04() {
        let s = stoppage(&[("return_date", "2026-11-15"), ("return_reason", "01")]);
        let (items, errors) = read_back(&write(Nature::Arret, DeclType::Normal, &s));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(items.contains(&("S20.G00.05.001".into(), "04".into())));
        assert!(items.contains(&("S21.G00.60.010".into(), "15112026".into())));
        assert!(items.contains(&("S21.G00.60.011".into(), "01".into())));
        // Without a known return, neither is written.
        let (items, _) = read_back(&write(Nature::Arret, DeclType::Normal, &stoppage(&[])));
        assert!(
            !items
                .iter()
                .any(|(r, _)| r == "S21.G00.60.010" || r == "S21.G00.60.011")
        );
    }

    /// Every rubric the table requires for this file is in it (the sandbox's own check).
    #[test]
    fn written_files_carry_the_whole_table() {
        for (nature, t, extra) in [
            (Nature::Arret, DeclType::Normal, &[][..]),
            (Nature::Arret, DeclType::Replace, &[][..]),
            (
                Nature::Reprise,
                DeclType::Normal,
                &[("return_date", "2026-11-15"), ("return_reason", "01")][..],
            ),
        ] {
            let bytes = write(nature, t, &stoppage(extra));
            let (items, _) = read_back(&bytes);
            let missing =
                required::missing_in_items(items.iter().map(|(r, v)| (r.as_str(), v.as_str())));
            assert_eq!(missing.len(), 1);
            assert!(missing[0].is_empty(), "{:?}", missing[0]);
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
