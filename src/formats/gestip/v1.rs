//! GESTIP model v1 on the wire (schema `gestip-model-v1.xsd` beside this file).
//!
//! Writing builds an [`Element`] tree (one escaping routine); reading parses into a tree and
//! picks fields by local name, checking the namespace and the `Version` attribute so that a
//! file of another version is refused with a located error rather than half-read.

use chrono::{NaiveDate, NaiveDateTime};

use super::{
    Answer, Arl, Company, Cover, Cr, CrLine, Gestip, GestipError, Line, MODEL_VERSION, Operation,
};
use crate::formats::xml_tree::{self, Element};
use crate::model::nir::RawNir as Nir;

/// Namespace of the model (the XSD's targetNamespace).
pub const NAMESPACE: &str = "urn:ijgate:prestij:gestip-model:v1";

const DT: &str = "%Y-%m-%dT%H:%M:%S";

fn root(name: &str) -> Element {
    Element::new(name)
        .with_attr("xmlns", NAMESPACE)
        .with_attr("Version", MODEL_VERSION)
}

pub fn write_gestip(g: &Gestip) -> String {
    let mut doc = root("GESTIP").with_child(
        Element::new("Entete")
            .with_child(Element::leaf("IdFlux", &g.flow_id))
            .with_child(Element::leaf("CleAcces", &g.access_key))
            .with_child(
                Element::new("Organisme")
                    .with_child(Element::leaf("Code", &g.insurer_code))
                    .with_child(Element::leaf("Nom", &g.insurer_name)),
            )
            .with_child(Element::leaf(
                "DateCreation",
                g.created.format(DT).to_string(),
            )),
    );
    for c in &g.companies {
        let mut ent = Element::new("Entreprise")
            .with_child(Element::leaf("SIREN", c.siret.get(..9).unwrap_or(&c.siret)))
            .with_child(Element::leaf("SIRET", &c.siret));
        for l in &c.lines {
            ent.push(
                Element::new("Assure")
                    .with_child(Element::leaf("RefInscription", &l.reference))
                    .with_child(Element::leaf(
                        "Operation",
                        match l.operation {
                            Operation::Enrol => "INS",
                            Operation::Withdraw => "RAD",
                        },
                    ))
                    .with_child(Element::leaf("NIR", l.nir.expose()))
                    .with_child(Element::leaf("Nom", &l.last_name))
                    .with_opt("Prenom", l.first_name.clone())
                    .with_child(Element::leaf(
                        "TypeCouverture",
                        match l.cover {
                            Cover::DailyAllowances => "IJ",
                        },
                    ))
                    .with_child(Element::leaf("DateDebut", l.cover_from.to_string()))
                    .with_opt("DateFin", l.cover_to.map(|d| d.to_string())),
            );
        }
        doc.push(ent);
    }
    doc.to_xml()
}

pub fn write_arl(a: &Arl) -> String {
    root("ARL_GESTIP")
        .with_child(Element::leaf("IdFlux", &a.flow_id))
        .with_child(Element::leaf(
            "Statut",
            if a.accepted { "OK" } else { "KO" },
        ))
        .with_opt("Motif", a.reason.clone())
        .with_child(Element::leaf(
            "DateReception",
            a.received.format(DT).to_string(),
        ))
        .to_xml()
}

pub fn write_cr(c: &Cr) -> String {
    let mut doc = root("CR_GESTIP")
        .with_child(Element::leaf("IdFlux", &c.flow_id))
        .with_child(Element::leaf(
            "DateTraitement",
            c.processed.format(DT).to_string(),
        ));
    for l in &c.lines {
        doc.push(
            Element::new("Ligne")
                .with_child(Element::leaf("RefInscription", &l.reference))
                .with_child(Element::leaf("NIR", l.nir.expose()))
                .with_child(Element::leaf(
                    "Statut",
                    if l.accepted { "ACCEPTE" } else { "REJETE" },
                ))
                .with_opt("CodeRejet", l.code.clone())
                .with_opt("Motif", l.reason.clone()),
        );
    }
    doc.to_xml()
}

/// Locates errors: the tree does not keep positions, so the line is found in the text (the
/// `nth` occurrence of `<tag`), which is exact for the flat documents of this model.
struct Locator {
    text: String,
}

impl Locator {
    fn line_of(&self, tag: &str, nth: usize) -> usize {
        let needle = format!("<{tag}");
        let mut from = 0;
        let mut found = None;
        for _ in 0..=nth {
            match self.text[from..].find(&needle) {
                Some(i) => {
                    found = Some(from + i);
                    from = from + i + needle.len();
                }
                None => break,
            }
        }
        found.map_or(1, |i| self.text[..i].matches('\n').count() + 1)
    }

    fn field(&self, field: &str, tag: &str, nth: usize, message: impl Into<String>) -> GestipError {
        GestipError::Field {
            field: field.to_string(),
            line: self.line_of(tag, nth),
            message: message.into(),
        }
    }
}

fn open(bytes: &[u8]) -> Result<(Element, Locator), GestipError> {
    let el = xml_tree::parse(bytes).map_err(|e| GestipError::Xml(e.to_string()))?;
    let loc = Locator {
        text: xml_tree::decode_text(bytes),
    };
    if el.ns.as_deref() != Some(NAMESPACE) {
        return Err(loc.field(
            &el.name,
            &el.name,
            0,
            format!("namespace must be {NAMESPACE}"),
        ));
    }
    match el.attr("Version") {
        Some(MODEL_VERSION) => {}
        other => {
            return Err(GestipError::Version {
                version: other.unwrap_or("").to_string(),
                line: loc.line_of(&el.name, 0),
            });
        }
    }
    Ok((el, loc))
}

/// A required text child; the error names `path` (e.g. `CR_GESTIP/Ligne[2]/NIR`).
fn req<'a>(
    el: &'a Element,
    name: &str,
    path: &str,
    loc: &Locator,
    nth: (&str, usize),
) -> Result<&'a str, GestipError> {
    el.child_text(name)
        .ok_or_else(|| loc.field(&format!("{path}/{name}"), nth.0, nth.1, "missing"))
}

fn datetime(s: &str, field: &str, loc: &Locator, tag: &str) -> Result<NaiveDateTime, GestipError> {
    NaiveDateTime::parse_from_str(s, DT)
        .map_err(|_| loc.field(field, tag, 0, format!("not a date-time: {s:?}")))
}

fn date(
    s: &str,
    field: &str,
    loc: &Locator,
    tag: &str,
    nth: usize,
) -> Result<NaiveDate, GestipError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| loc.field(field, tag, nth, format!("not a date: {s:?}")))
}

fn check_nir(
    s: &str,
    field: &str,
    loc: &Locator,
    tag: &str,
    nth: usize,
) -> Result<Nir, GestipError> {
    let ok = (s.len() == 13 || s.len() == 15) && s.chars().all(|c| c.is_ascii_alphanumeric());
    if !ok {
        // Never echo a NIR-like value in full.
        return Err(loc.field(
            field,
            tag,
            nth,
            format!("not a NIR: {}", crate::model::nir::mask(s)),
        ));
    }
    Ok(Nir::new(s))
}

pub fn read_answer(bytes: &[u8]) -> Result<Answer, GestipError> {
    let root_name = xml_tree::parse(bytes)
        .map_err(|e| GestipError::Xml(e.to_string()))?
        .name;
    match root_name.as_str() {
        "ARL_GESTIP" => read_arl(bytes).map(Answer::Arl),
        "CR_GESTIP" => read_cr(bytes).map(Answer::Cr),
        other => Err(GestipError::UnknownRoot {
            root: other.to_string(),
            line: 1,
        }),
    }
}

fn read_arl(bytes: &[u8]) -> Result<Arl, GestipError> {
    let (el, loc) = open(bytes)?;
    let p = "ARL_GESTIP";
    let statut = req(&el, "Statut", p, &loc, ("Statut", 0))?;
    let accepted = match statut {
        "OK" => true,
        "KO" => false,
        s => {
            return Err(loc.field(
                "ARL_GESTIP/Statut",
                "Statut",
                0,
                format!("must be OK or KO, not {s:?}"),
            ));
        }
    };
    Ok(Arl {
        flow_id: req(&el, "IdFlux", p, &loc, ("IdFlux", 0))?.to_string(),
        accepted,
        reason: el.child_text("Motif").map(str::to_string),
        received: datetime(
            req(&el, "DateReception", p, &loc, ("DateReception", 0))?,
            "ARL_GESTIP/DateReception",
            &loc,
            "DateReception",
        )?,
    })
}

fn read_cr(bytes: &[u8]) -> Result<Cr, GestipError> {
    let (el, loc) = open(bytes)?;
    let p = "CR_GESTIP";
    let mut lines = Vec::new();
    for (i, l) in el.children_named("Ligne").enumerate() {
        let path = format!("CR_GESTIP/Ligne[{}]", i + 1);
        let at = ("Ligne", i);
        let accepted = match req(l, "Statut", &path, &loc, at)? {
            "ACCEPTE" => true,
            "REJETE" => false,
            s => {
                return Err(loc.field(
                    &format!("{path}/Statut"),
                    "Ligne",
                    i,
                    format!("must be ACCEPTE or REJETE, not {s:?}"),
                ));
            }
        };
        lines.push(CrLine {
            reference: req(l, "RefInscription", &path, &loc, at)?.to_string(),
            nir: check_nir(
                req(l, "NIR", &path, &loc, at)?,
                &format!("{path}/NIR"),
                &loc,
                "Ligne",
                i,
            )?,
            accepted,
            code: l.child_text("CodeRejet").map(str::to_string),
            reason: l.child_text("Motif").map(str::to_string),
        });
    }
    Ok(Cr {
        flow_id: req(&el, "IdFlux", p, &loc, ("IdFlux", 0))?.to_string(),
        processed: datetime(
            req(&el, "DateTraitement", p, &loc, ("DateTraitement", 0))?,
            "CR_GESTIP/DateTraitement",
            &loc,
            "DateTraitement",
        )?,
        lines,
    })
}

pub fn read_gestip(bytes: &[u8]) -> Result<Gestip, GestipError> {
    let (el, loc) = open(bytes)?;
    if el.name != "GESTIP" {
        return Err(GestipError::UnknownRoot {
            root: el.name.clone(),
            line: 1,
        });
    }
    let head = el
        .child("Entete")
        .ok_or_else(|| loc.field("GESTIP/Entete", "GESTIP", 0, "missing"))?;
    let hp = "GESTIP/Entete";
    let org = head
        .child("Organisme")
        .ok_or_else(|| loc.field("GESTIP/Entete/Organisme", "Entete", 0, "missing"))?;
    let mut companies = Vec::new();
    let mut n = 0usize;
    for (ci, c) in el.children_named("Entreprise").enumerate() {
        let cp = format!("GESTIP/Entreprise[{}]", ci + 1);
        let mut lines = Vec::new();
        for a in c.children_named("Assure") {
            let path = format!("{cp}/Assure[{}]", lines.len() + 1);
            let at = ("Assure", n);
            let operation = match req(a, "Operation", &path, &loc, at)? {
                "INS" => Operation::Enrol,
                "RAD" => Operation::Withdraw,
                s => {
                    return Err(loc.field(
                        &format!("{path}/Operation"),
                        "Assure",
                        n,
                        format!("must be INS or RAD, not {s:?}"),
                    ));
                }
            };
            let cover = match req(a, "TypeCouverture", &path, &loc, at)? {
                "IJ" => Cover::DailyAllowances,
                s => {
                    return Err(loc.field(
                        &format!("{path}/TypeCouverture"),
                        "Assure",
                        n,
                        format!("must be IJ, not {s:?}"),
                    ));
                }
            };
            lines.push(Line {
                reference: req(a, "RefInscription", &path, &loc, at)?.to_string(),
                operation,
                cover,
                nir: check_nir(
                    req(a, "NIR", &path, &loc, at)?,
                    &format!("{path}/NIR"),
                    &loc,
                    "Assure",
                    n,
                )?,
                last_name: req(a, "Nom", &path, &loc, at)?.to_string(),
                first_name: a.child_text("Prenom").map(str::to_string),
                cover_from: date(
                    req(a, "DateDebut", &path, &loc, at)?,
                    &format!("{path}/DateDebut"),
                    &loc,
                    "Assure",
                    n,
                )?,
                cover_to: match a.child_text("DateFin") {
                    Some(s) => Some(date(s, &format!("{path}/DateFin"), &loc, "Assure", n)?),
                    None => None,
                },
            });
            n += 1;
        }
        companies.push(Company {
            siret: req(c, "SIRET", &cp, &loc, ("Entreprise", ci))?.to_string(),
            lines,
        });
    }
    Ok(Gestip {
        flow_id: req(head, "IdFlux", hp, &loc, ("IdFlux", 0))?.to_string(),
        access_key: req(head, "CleAcces", hp, &loc, ("CleAcces", 0))?.to_string(),
        insurer_code: req(
            org,
            "Code",
            "GESTIP/Entete/Organisme",
            &loc,
            ("Organisme", 0),
        )?
        .to_string(),
        insurer_name: req(
            org,
            "Nom",
            "GESTIP/Entete/Organisme",
            &loc,
            ("Organisme", 0),
        )?
        .to_string(),
        created: datetime(
            req(head, "DateCreation", hp, &loc, ("DateCreation", 0))?,
            "GESTIP/Entete/DateCreation",
            &loc,
            "DateCreation",
        )?,
        companies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn xsd() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/formats/gestip/gestip-model-v1.xsd")
    }

    /// Validates with xmllint (libxml2-utils, in tests/run.sh's package list): the writer must
    /// follow the documented schema, not only our own reader.
    fn xmllint(doc: &str) -> Result<(), String> {
        let dir = std::env::temp_dir().join(format!(
            "gestip-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("doc.xml");
        std::fs::write(&f, doc).unwrap();
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(xsd())
            .arg(&f)
            .output()
            .expect("xmllint (libxml2-utils) must be installed");
        let _ = std::fs::remove_dir_all(&dir);
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, DT).unwrap()
    }

    fn sample() -> Gestip {
        Gestip {
            flow_id: "G-PREV1-000001".into(),
            access_key: "KEY-PREV1".into(),
            insurer_code: "PREV1".into(),
            insurer_name: "Prévoyance & Santé".into(),
            created: dt("2026-03-02T08:00:00"),
            companies: vec![Company {
                siret: "12345678900011".into(),
                lines: vec![
                    Line {
                        reference: "E1".into(),
                        operation: Operation::Enrol,
                        cover: Cover::DailyAllowances,
                        nir: Nir::new("1800175123456"),
                        last_name: "Martin".into(),
                        first_name: Some("Léa".into()),
                        cover_from: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap(),
                        cover_to: None,
                    },
                    Line {
                        reference: "E2".into(),
                        operation: Operation::Withdraw,
                        cover: Cover::DailyAllowances,
                        nir: Nir::new("2850275123456"),
                        last_name: "Durand".into(),
                        first_name: None,
                        cover_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                        cover_to: Some(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()),
                    },
                ],
            }],
        }
    }

    #[test]
    fn gestip_is_schema_valid_and_round_trips() {
        let g = sample();
        let xml = write_gestip(&g);
        xmllint(&xml).unwrap();
        assert_eq!(read_gestip(xml.as_bytes()).unwrap(), g);
    }

    #[test]
    fn arl_and_cr_are_schema_valid_and_round_trip() {
        let arl = Arl {
            flow_id: "G-PREV1-000001".into(),
            accepted: true,
            reason: None,
            received: dt("2026-03-02T08:05:00"),
        };
        let xml = write_arl(&arl);
        xmllint(&xml).unwrap();
        assert_eq!(read_answer(xml.as_bytes()).unwrap(), Answer::Arl(arl));

        let cr = Cr {
            flow_id: "G-PREV1-000001".into(),
            processed: dt("2026-03-02T09:00:00"),
            lines: vec![
                CrLine {
                    reference: "E1".into(),
                    nir: Nir::new("1800175123456"),
                    accepted: true,
                    code: None,
                    reason: None,
                },
                CrLine {
                    reference: "E2".into(),
                    nir: Nir::new("2850275123456"),
                    accepted: false,
                    code: Some("NIR_INCONNU".into()),
                    reason: Some("NIR inconnu du référentiel".into()),
                },
            ],
        };
        let xml = write_cr(&cr);
        xmllint(&xml).unwrap();
        assert_eq!(read_answer(xml.as_bytes()).unwrap(), Answer::Cr(cr));
    }

    #[test]
    fn schema_rejects_what_the_model_forbids() {
        // The XSD must be able to fail: an unknown operation code is refused.
        let bad = write_gestip(&sample()).replace(">INS<", ">XXX<");
        assert!(xmllint(&bad).is_err());
        // So is a cover type the model does not know, and the reader says where.
        let bad = write_gestip(&sample()).replacen(">IJ<", ">PREV<", 1);
        assert!(xmllint(&bad).is_err());
        match read_gestip(bad.as_bytes()) {
            Err(GestipError::Field { field, .. }) => {
                assert_eq!(field, "GESTIP/Entreprise[1]/Assure[1]/TypeCouverture")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_answers_give_located_errors_without_the_nir() {
        let cr = "<?xml version=\"1.0\"?>\n<CR_GESTIP xmlns=\"urn:ijgate:prestij:gestip-model:v1\" Version=\"model-v1\">\n<IdFlux>F</IdFlux>\n<DateTraitement>2026-03-02T09:00:00</DateTraitement>\n<Ligne><RefInscription>E1</RefInscription><NIR>1800175123456</NIR><Statut>ACCEPTE</Statut></Ligne>\n<Ligne><RefInscription>E2</RefInscription><NIR>28502751234</NIR><Statut>REJETE</Statut></Ligne>\n</CR_GESTIP>\n";
        let e = read_answer(cr.as_bytes()).unwrap_err();
        assert_eq!(
            e,
            GestipError::Field {
                field: "CR_GESTIP/Ligne[2]/NIR".into(),
                line: 6,
                message: "not a NIR: 285********".into()
            }
        );
        let v2 = cr.replace("model-v1", "model-v9");
        assert!(matches!(
            read_answer(v2.as_bytes()),
            Err(GestipError::Version { .. })
        ));
        assert!(matches!(
            read_answer(b"<x/>"),
            Err(GestipError::UnknownRoot { .. })
        ));
        assert!(matches!(
            read_answer(b"<CR_GESTIP"),
            Err(GestipError::Xml(_))
        ));
        let no_status = cr.replace("<Statut>ACCEPTE</Statut>", "");
        let e = read_answer(no_status.as_bytes()).unwrap_err().to_string();
        assert_eq!(e, "line 5, field CR_GESTIP/Ligne[1]/Statut: missing");
    }
}
