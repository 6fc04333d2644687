//! The CRM OC (compte rendu métier, XSD CRM-DSN-OC-P3-V1.1.4) an insurer sends back for one
//! declaration: declaration identity, overall return code, and one `RetourMetier` per anomaly
//! with its rubric context.
//!
//! Invariant: the output is ISO-8859-1, every text attribute is reduced to the XSD's character
//! set and length limits, only codes of the XSD's list appear (the month-to-month findings carry
//! one, ESAL98/EFCT98/EAFF01/ECIN01, and their text names the previous month's file and line;
//! MDSN01, a declaration not received, has no declaration to answer and is left out), and
//! at most 2000 `RetourMetier` are written (the XSD maximum). Validity is proven by a test that
//! runs `xmllint --schema` on the output.

use chrono::NaiveDateTime;

use crate::dsn::checks::{Anomaly, crm_label};
use crate::dsn::fiche::Fiche;
use crate::dsn::model::Declaration;
use crate::neodes::charset;
use crate::neodes::norm::{P26V01, by_version, lookup};

/// Written in `IdEnvoi` when the lot has no usable S10.G00.95.900: visibly not a flux id.
pub const ID_ENVOI_ABSENT: &str = "ABSENT-S10.G00.95.900";
/// Written in `DateHeureReceptionDep` when the lot has no usable S10.G00.95.008. The XSD requires
/// a date-time there; this one (1 January 2000, midnight) is the marker, and an `IDEC99`
/// return in the same CRM says both identifiers are absent (README "CRM-OC identifiers").
pub const RECEPTION_DEP_ABSENT: &str = "20000101000000";

/// What the CRM needs beyond the declaration (the insurer's identity). The deposit identifiers
/// come from the lot itself (S10.G00.95.900 and .008), never from the file name or the clock.
#[derive(Debug, Clone)]
pub struct CrmContext {
    /// Code of the organism producing the CRM (P0000, A12345, 9-digit): defaults to the fiche's
    /// producer.
    pub producer_code: Option<String>,
    pub producer_name: String,
    pub contact_name: String,
    pub contact_mail: String,
    pub contact_tel: Option<String>,
    /// Production time (injected: no clock in domain code).
    pub now: NaiveDateTime,
}

const MAX_RETURNS: usize = 2000;

fn is_crm_code(code: &str) -> bool {
    matches!(
        &code[..code.len().min(4)],
        "EDEC"
            | "EENT"
            | "EETB"
            | "EADH"
            | "ECET"
            | "EVER"
            | "ECVE"
            | "EAFF"
            | "EAYD"
            | "ECIN"
            | "EANC"
            | "EEVT"
            | "ESAL"
            | "ETRA"
            | "EATR"
            | "EFCT"
            | "ELIT"
    )
}

/// Reduces `s` to the CRM character set (the NEODeS set), `max` characters, trimmed.
fn text(s: &str, max: usize) -> String {
    let t: String = s
        .chars()
        .map(|c| match c {
            '×' => 'x',
            '→' => '-',
            c => c,
        })
        .flat_map(|c| match charset::transliterate(&c.to_string()) {
            Ok(t) => t.chars().collect::<Vec<_>>(),
            Err(_) => vec![' '],
        })
        // `;` becomes `,` in transliterate; `<`, `>` and the like are not in the XSD set.
        .map(|c| if charset::is_allowed(c) { c } else { ' ' })
        .take(max)
        .collect();
    t.trim().to_string()
}

fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn digits(s: &str, n: usize) -> Option<&str> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) && s.bytes().any(|b| b != b'0'))
        .then_some(s)
}

fn code_oc(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 5 && b[0] == b'P' && b[1..].iter().all(u8::is_ascii_digit))
        || (b.len() == 6
            && b[0] == b'A'
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()))
        || (b.len() == 9 && b.iter().all(u8::is_ascii_digit))
}

/// The CRM of `decl`, ISO-8859-1 bytes.
pub fn crm_xml(
    decl: &Declaration,
    anomalies: &[Anomaly],
    fiche: Option<&Fiche>,
    ctx: &CrmContext,
) -> Vec<u8> {
    let crm: Vec<&Anomaly> = anomalies
        .iter()
        .filter(|a| is_crm_code(a.code))
        .take(MAX_RETURNS)
        .collect();
    let blocking = crm.iter().any(|a| a.blocking);
    let all_adhesions_unknown = {
        let n = decl
            .establishments
            .iter()
            .map(|e| e.adhesions.len())
            .sum::<usize>();
        n > 0 && crm.iter().filter(|a| a.code == "EADH02").count() == n
    };
    let code_retour = if all_adhesions_unknown {
        "3"
    } else if blocking {
        "2"
    } else {
        "0"
    };
    let now = ctx.now.format("%Y%m%d%H%M%S").to_string();
    let envoi = &decl.envoi;
    // Labels from the envoi's own norm version (P25V01 files arrive beside P26V01 ones).
    let norm = by_version(envoi.norm_version.as_bytes()).unwrap_or(&P26V01);
    // IdEnvoi and DateHeureReceptionDep: the lot's own restitution rubrics, checked against
    // the XSD's patterns; absent or unusable, a visible marker and an IDEC99 return saying so.
    let id_envoi = envoi.flow_id.as_deref().filter(|v| {
        (1..=50).contains(&v.len())
            && v.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
    });
    let received_dep = envoi
        .deposit_received
        .as_deref()
        .filter(|v| valid_timestamp(v));
    let mut missing_ids = Vec::new();
    if id_envoi.is_none() {
        missing_ids.push(format!(
            "IdEnvoi: S10.G00.95.900 {} (valeur {ID_ENVOI_ABSENT})",
            if envoi.flow_id.is_some() {
                "invalide"
            } else {
                "absente du lot"
            }
        ));
    }
    if received_dep.is_none() {
        missing_ids.push(format!(
            "DateHeureReceptionDep: S10.G00.95.008 {} (valeur {RECEPTION_DEP_ABSENT})",
            if envoi.deposit_received.is_some() {
                "invalide"
            } else {
                "absente du lot"
            }
        ));
    }
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Fichier");
    attr(&mut x, "VersionCRM", "114");
    attr(&mut x, "IdEnvoi", id_envoi.unwrap_or(ID_ENVOI_ABSENT));
    attr(&mut x, "TypCRM", "3");
    attr(&mut x, "PointDepot", "01");
    attr(
        &mut x,
        "DateHeureReceptionDep",
        received_dep.unwrap_or(RECEPTION_DEP_ABSENT),
    );
    let siret = format!("{}{}", envoi.emitter_siren, envoi.emitter_nic);
    attr(
        &mut x,
        "SiretEmetteur",
        digits(&siret, 14).unwrap_or("00000000000001"),
    );
    let name = text(&envoi.emitter_name, 60);
    attr(
        &mut x,
        "NomEmetteur",
        if name.is_empty() { "INCONNU" } else { &name },
    );
    // S10.G00.00.008 (01 normal / 02 néant): a file that reaches an insurer's analysis carries
    // declarations, so "normal".
    attr(&mut x, "TypeEnvoi", "01");
    attr(
        &mut x,
        "VersionNorme",
        if envoi.norm_version == "P25V01" {
            "P25V01"
        } else {
            "P26V01"
        },
    );
    attr(
        &mut x,
        "CodeEnvoi",
        if envoi.test_or_real == "01" {
            "01"
        } else {
            "02"
        },
    );
    attr(&mut x, "DateHeureReceptionOC", &now);
    attr(
        &mut x,
        "xmlns:xsi",
        "http://www.w3.org/2001/XMLSchema-instance",
    );
    attr(
        &mut x,
        "xsi:noNamespaceSchemaLocation",
        "CRM-DSN-OC-P3-V1.1.4-17062025.xsd",
    );
    x.push_str(">\n\t<Declaration");
    attr(&mut x, "IdDec", "1");
    attr(
        &mut x,
        "NatureDecla",
        if matches!(decl.nature.as_str(), "01" | "04" | "05" | "07" | "08") {
            &decl.nature
        } else {
            "01"
        },
    );
    attr(
        &mut x,
        "TypeDecla",
        if matches!(decl.kind.as_str(), "01" | "02" | "03" | "04" | "05") {
            &decl.kind
        } else {
            "01"
        },
    );
    attr(
        &mut x,
        "FractionDecla",
        if decl.fraction.len() == 2 {
            &decl.fraction
        } else {
            "11"
        },
    );
    let order: String = decl
        .order
        .trim_start_matches('0')
        .chars()
        .take(15)
        .collect();
    attr(
        &mut x,
        "NoOrdreDecla",
        if !order.is_empty() && order.bytes().all(|b| b.is_ascii_digit()) {
            &order
        } else {
            "0"
        },
    );
    if let Some(m) = decl.month {
        attr(&mut x, "DateMoisDec", &m.format("%d%m%Y").to_string());
    }
    if let Some(c) = decl.constitution {
        attr(&mut x, "DateConstitution", &c.format("%d%m%Y").to_string());
    }
    if matches!(decl.champ.as_str(), "01" | "02" | "03") {
        attr(&mut x, "ChampDec", &decl.champ);
    }
    attr(
        &mut x,
        "SirenDecla",
        digits(decl.siren(), 9).unwrap_or("000000001"),
    );
    let nic = decl.establishments.first().map_or("", |e| e.nic.as_str());
    attr(&mut x, "NicAffectation", digits(nic, 5).unwrap_or("00001"));
    let oc = decl
        .establishments
        .iter()
        .flat_map(|e| &e.adhesions)
        .map(|a| a.organisme.as_str())
        .chain(fiche.map(|f| f.producer.code.as_str()))
        .find(|c| code_oc(c))
        .unwrap_or("P0000");
    attr(&mut x, "CodeOC", oc);
    let producer = ctx
        .producer_code
        .as_deref()
        .or(fiche.map(|f| f.producer.code.as_str()))
        .filter(|c| code_oc(c))
        .unwrap_or(oc);
    attr(&mut x, "CodeProducteurCRM", producer);
    let pname = text(&ctx.producer_name, 60);
    attr(
        &mut x,
        "NomProducteurCRM",
        if pname.chars().count() >= 3 {
            &pname
        } else {
            "ORGANISME"
        },
    );
    attr(&mut x, "DateHeureProductionCRM", &now);
    attr(
        &mut x,
        "NbreSal",
        &decl.employee_count().min(999_999).to_string(),
    );
    attr(&mut x, "NbreErreur", &crm.len().to_string());
    let cname = text(&ctx.contact_name, 60);
    attr(
        &mut x,
        "NomContact",
        if cname.chars().count() >= 3 {
            &cname
        } else {
            "SERVICE DSN"
        },
    );
    if let Some(tel) = ctx
        .contact_tel
        .as_deref()
        .filter(|t| t.len() == 10 && t.bytes().all(|b| b.is_ascii_digit()))
    {
        attr(&mut x, "TelContact", tel);
    }
    attr(&mut x, "MailContact", &ctx.contact_mail);
    attr(&mut x, "CodeRetourDecla", code_retour);
    if crm.is_empty() && missing_ids.is_empty() {
        x.push_str("/>\n</Fichier>\n");
        return to_latin1(&x);
    }
    x.push_str(">\n");
    for (n, a) in crm.iter().enumerate() {
        x.push_str("\t\t<RetourMetier");
        attr(&mut x, "IdRetour", &(n + 1).to_string());
        attr(&mut x, "CodeRetourMetier", a.code);
        attr(
            &mut x,
            "LibelCodeRetourMetier",
            &text(crm_label(a.code), 120),
        );
        let cause = a.caused_by.map_or_else(String::new, |c| {
            format!("consequence de {} ligne {}: ", c.code, c.line)
        });
        let desc = text(&format!("ligne {}: {cause}{}", a.line, a.message), 250);
        let desc = match &a.previous {
            // The previous month's location must survive the length limit: put it first.
            Some(p) => text(
                &format!(
                    "ligne {}, mois precedent {} ligne {}: {}",
                    a.line, p.file, p.line, a.message
                ),
                250,
            ),
            None => desc,
        };
        if desc.chars().count() >= 3 {
            attr(&mut x, "DescriptionRetour", &desc);
        }
        let rubric = a
            .rubric
            .map(|r| r.to_string())
            .unwrap_or_else(|| "S20.G00.05.001".to_string());
        attr(&mut x, "RubriqueBlocRetour", &rubric);
        let label = a
            .rubric
            .and_then(|r| lookup(norm, r))
            .map_or("Rubrique", |s| s.label);
        attr(&mut x, "LibelRubBlocRetour", &text(label, 120));
        let contexts: Vec<_> = a
            .context
            .iter()
            .filter(|(_, v)| !text(v, 120).is_empty())
            .filter(|(r, _)| lookup(norm, *r).is_some())
            .take(15)
            .collect();
        if contexts.is_empty() {
            x.push_str("/>\n");
            continue;
        }
        x.push_str(">\n");
        for (r, v) in contexts {
            x.push_str("\t\t\t<ContexteRetourMetier");
            attr(&mut x, "Rubrique", &r.to_string());
            let label = lookup(norm, *r).map_or("Rubrique", |s| s.label);
            attr(&mut x, "Libelle", &text(label, 120));
            attr(&mut x, "Valeur", &text(v, 120));
            x.push_str("/>\n");
        }
        x.push_str("\t\t</RetourMetier>\n");
    }
    if !missing_ids.is_empty() {
        // Information (not an error): the deposit identifiers are not in the lot.
        x.push_str("\t\t<RetourMetier");
        attr(&mut x, "IdRetour", &(crm.len() + 1).to_string());
        attr(&mut x, "CodeRetourMetier", "IDEC99");
        attr(
            &mut x,
            "LibelCodeRetourMetier",
            "Information relative à la déclaration",
        );
        let desc = text(
            &format!(
                "identifiants du depot non fournis par le lot: {}",
                missing_ids.join(", ")
            ),
            250,
        );
        attr(&mut x, "DescriptionRetour", &desc);
        // The XSD allows only S20.G00.05 / S21 rubrics here: the declaration's first rubric.
        attr(&mut x, "RubriqueBlocRetour", "S20.G00.05.001");
        attr(&mut x, "LibelRubBlocRetour", "Nature de la déclaration");
        x.push_str("/>\n");
    }
    x.push_str("\t</Declaration>\n</Fichier>\n");
    to_latin1(&x)
}

/// `AAAAMMJJHHMMSS` as the XSD's pattern for `DateHeureReceptionDep` wants it (a real date-time
/// of the 2000s).
fn valid_timestamp(v: &str) -> bool {
    v.len() == 14
        && v.starts_with("20")
        && chrono::NaiveDateTime::parse_from_str(v, "%Y%m%d%H%M%S").is_ok()
}

fn to_latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_reduced_to_the_xsd_set() {
        assert_eq!(text("base × rate → 3 ; <x>", 120), "base x rate - 3 ,  x");
        assert_eq!(text("L’Œuvre", 4), "L'OE");
    }

    #[test]
    fn reception_timestamps() {
        assert!(valid_timestamp("20251219141038"));
        assert!(!valid_timestamp("20251319141038") && !valid_timestamp("2025121914103"));
        assert!(!valid_timestamp("19991219141038"));
    }

    #[test]
    fn crm_codes_only() {
        assert!(is_crm_code("EADH02") && is_crm_code("ECIN05"));
        assert!(!is_crm_code("MSAL01") && !is_crm_code("MDSN01"));
        assert!(is_crm_code("ESAL98") && is_crm_code("EFCT98") && is_crm_code("EAFF01"));
    }
}
