//! Listings of the API DSN consultation services, read and written in one place per shape:
//! - `lister-retours-flux/2.0/{idflux}` and `lister-retours-declarant/2.0/{debut}/{fin}`:
//!   `<retours><flux><id/><retour>…</retour>*</flux>*</retours>` ([`ReturnsListing`]);
//! - `lister-depots/2.0/{debut}/{fin}`: `<depots><declarant>…<depot>…</depot>*</declarant></depots>`
//!   ([`DepositsListing`]);
//! - `lister-bpij-declarant/1.0/{debut}[/{fin}]?siret=&page=`:
//!   `<retours><declarant><siret/><declare>…<bpij/>*</declare>*</declarant><pageencours/><pagetotal/></retours>`
//!   ([`BpijListing`]).
//!
//! Also the time-window helpers: the API takes `AAAAMMJJHHMMSS` bounds and serves at most
//! 60 minutes per call.
//!
//! Invariants: parsers ignore unknown elements and accept missing optional ones; a return
//! entry is identified by (flux id, nature, return id) and may be *overwritten* upstream
//! (same key, new status/url/publication), so callers upsert on that key.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::xml_tree::{self, Element, XmlError};

/// Longest window `lister-retours-declarant` / `lister-depots` accept (`Accept-Ranges: minutes=0-60`).
pub const MAX_WINDOW_MINUTES: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error("listing: {0}")]
    Xml(#[from] XmlError),
    #[error("listing: root element is <{found}>, expected <{expected}>")]
    UnexpectedRoot {
        expected: &'static str,
        found: String,
    },
}

/// `AAAAMMJJHHMMSS`.
pub fn format_ts(t: NaiveDateTime) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

pub fn parse_ts(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y%m%d%H%M%S").ok()
}

/// `AAAAMMJJ` (BPIJ listing dates).
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y%m%d").ok()
}

/// Splits `[start, end)` into consecutive windows of at most [`MAX_WINDOW_MINUTES`].
/// Empty when `end <= start`.
pub fn split_windows(
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let step = Duration::minutes(MAX_WINDOW_MINUTES);
    let mut out = Vec::new();
    let mut cur = start;
    while cur < end {
        let next = (cur + step).min(end);
        out.push((cur, next));
        cur = next;
    }
    out
}

/// One return in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnEntry {
    /// Return identifier (used in `telecharger-retour/1.0/{idflux}/{id}`).
    pub id: Option<String>,
    pub nature: String,
    pub statut: String,
    pub publication: Option<NaiveDateTime>,
    pub production: Option<NaiveDateTime>,
    /// Download URL when the listing gives it.
    pub url: Option<String>,
    /// Complementary organism (nature 50/51).
    pub ops: Option<String>,
    pub delegataire: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FluxReturns {
    pub idflux: String,
    pub retours: Vec<ReturnEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReturnsListing {
    pub flux: Vec<FluxReturns>,
}

impl ReturnsListing {
    pub fn parse(bytes: &[u8]) -> Result<ReturnsListing, ListingError> {
        let root = expect_root(bytes, "retours")?;
        let flux = root
            .children_named("flux")
            .map(|f| FluxReturns {
                idflux: f.child_text("id").unwrap_or_default().to_string(),
                retours: f
                    .children_named("retour")
                    .map(|r| ReturnEntry {
                        id: r.child_text("id").map(str::to_string),
                        nature: r.child_text("nature").unwrap_or_default().to_string(),
                        statut: r.child_text("statut").unwrap_or_default().to_string(),
                        publication: r.child_text("publication").and_then(parse_ts),
                        production: r.child_text("production").and_then(parse_ts),
                        url: r.child_text("url").map(str::to_string),
                        ops: r.child_text("ops").map(str::to_string),
                        delegataire: r.child_text("delegataire").map(str::to_string),
                    })
                    .collect(),
            })
            .collect();
        Ok(ReturnsListing { flux })
    }

    pub fn to_xml(&self) -> String {
        let mut root = Element::new("retours");
        for f in &self.flux {
            let mut fe = Element::new("flux").with_child(Element::leaf("id", &f.idflux));
            for r in &f.retours {
                fe.push(
                    Element::new("retour")
                        .with_opt("publication", r.publication.map(format_ts))
                        .with_opt("production", r.production.map(format_ts))
                        .with_opt("ops", r.ops.clone())
                        .with_opt("delegataire", r.delegataire.clone())
                        .with_child(Element::leaf("nature", &r.nature))
                        .with_child(Element::leaf("statut", &r.statut))
                        .with_opt("id", r.id.clone())
                        .with_opt("url", r.url.clone()),
                );
            }
            root.push(fe);
        }
        root.to_xml()
    }

    /// Every (idflux, entry) pair.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &ReturnEntry)> {
        self.flux
            .iter()
            .flat_map(|f| f.retours.iter().map(move |r| (f.idflux.as_str(), r)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositEntry {
    pub idflux: String,
    pub date: Option<NaiveDateTime>,
    pub statut: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DepositsListing {
    pub siret: Option<String>,
    pub nom: Option<String>,
    pub prenom: Option<String>,
    pub depots: Vec<DepositEntry>,
}

impl DepositsListing {
    pub fn parse(bytes: &[u8]) -> Result<DepositsListing, ListingError> {
        let root = expect_root(bytes, "depots")?;
        let mut out = DepositsListing::default();
        for d in root.children_named("declarant") {
            out.siret = out.siret.or(d.child_text("siret").map(str::to_string));
            out.nom = out.nom.or(d.child_text("nom").map(str::to_string));
            out.prenom = out.prenom.or(d.child_text("prenom").map(str::to_string));
            out.depots
                .extend(d.children_named("depot").map(|e| DepositEntry {
                    idflux: e.child_text("idflux").unwrap_or_default().to_string(),
                    date: e.child_text("date").and_then(parse_ts),
                    statut: e.child_text("statut").unwrap_or_default().to_string(),
                }));
        }
        Ok(out)
    }

    pub fn to_xml(&self) -> String {
        let mut decl = Element::new("declarant")
            .with_opt("siret", self.siret.clone())
            .with_opt("nom", self.nom.clone())
            .with_opt("prenom", self.prenom.clone());
        for d in &self.depots {
            decl.push(
                Element::new("depot")
                    .with_child(Element::leaf("idflux", &d.idflux))
                    .with_opt("date", d.date.map(format_ts))
                    .with_child(Element::leaf("statut", &d.statut)),
            );
        }
        Element::new("depots").with_child(decl).to_xml()
    }

    /// Deposits accepted within `tolerance` of `around`, nearest first: the candidates for a
    /// deposit whose answer was lost (crash or timeout between POST and AEE).
    pub fn candidates_near(
        &self,
        around: NaiveDateTime,
        tolerance: Duration,
    ) -> Vec<&DepositEntry> {
        let mut c: Vec<&DepositEntry> = self
            .depots
            .iter()
            .filter(|d| d.statut.eq_ignore_ascii_case("OK"))
            .filter(|d| d.date.is_some_and(|t| (t - around).abs() <= tolerance))
            .collect();
        c.sort_by_key(|d| d.date.map(|t| (t - around).abs()));
        c
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BpijLink {
    pub publication: Option<NaiveDate>,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BpijDeclare {
    pub siret: String,
    pub statut: String,
    pub bpij: Vec<BpijLink>,
    /// e.g. "Pas de BPIJ sur la période", "Lien declarant déclaré non validé".
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BpijListing {
    pub declarant_siret: Option<String>,
    pub declares: Vec<BpijDeclare>,
    pub page: Option<u32>,
    pub page_total: Option<u32>,
}

impl BpijListing {
    pub fn parse(bytes: &[u8]) -> Result<BpijListing, ListingError> {
        let root = expect_root(bytes, "retours")?;
        let mut out = BpijListing {
            page: root.child_text("pageencours").and_then(|p| p.parse().ok()),
            page_total: root.child_text("pagetotal").and_then(|p| p.parse().ok()),
            ..Default::default()
        };
        for d in root.children_named("declarant") {
            out.declarant_siret = out
                .declarant_siret
                .or(d.child_text("siret").map(str::to_string));
            out.declares.extend(d.children_named("declare").map(|e| {
                BpijDeclare {
                    siret: e.child_text("siret").unwrap_or_default().to_string(),
                    statut: e.child_text("statut").unwrap_or_default().to_string(),
                    bpij: e
                        .children_named("bpij")
                        .filter_map(|b| {
                            Some(BpijLink {
                                publication: b.child_text("publication").and_then(parse_day),
                                url: b.child_text("url")?.to_string(),
                            })
                        })
                        .collect(),
                    message: e.child_text("message").map(str::to_string),
                }
            }));
        }
        Ok(out)
    }

    pub fn to_xml(&self) -> String {
        let mut decl = Element::new("declarant").with_opt("siret", self.declarant_siret.clone());
        for d in &self.declares {
            let mut de = Element::new("declare")
                .with_child(Element::leaf("siret", &d.siret))
                .with_child(Element::leaf("statut", &d.statut));
            for b in &d.bpij {
                de.push(
                    Element::new("bpij")
                        .with_opt(
                            "publication",
                            b.publication.map(|p| p.format("%Y%m%d").to_string()),
                        )
                        .with_child(Element::leaf("url", &b.url)),
                );
            }
            decl.push(de.with_opt("message", d.message.clone()));
        }
        Element::new("retours")
            .with_child(decl)
            .with_opt("pageencours", self.page.map(|p| p.to_string()))
            .with_opt("pagetotal", self.page_total.map(|p| p.to_string()))
            .to_xml()
    }

    pub fn links(&self) -> impl Iterator<Item = (&str, &BpijLink)> {
        self.declares
            .iter()
            .flat_map(|d| d.bpij.iter().map(move |b| (d.siret.as_str(), b)))
    }
}

fn expect_root(bytes: &[u8], expected: &'static str) -> Result<Element, ListingError> {
    let root = xml_tree::parse(bytes)?;
    if root.name != expected {
        return Err(ListingError::UnexpectedRoot {
            expected,
            found: root.name,
        });
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> NaiveDateTime {
        parse_ts(s).unwrap()
    }

    // Shapes as the GIP-MDS mock serves them (our own values).
    const RETURNS: &str = "<retours><flux><id>Fl0wAbC123</id>\
        <retour><publication>20261125101500</publication><production>20261125101400</production><nature>10</nature><statut>OK</statut><id>1001</id></retour>\
        <retour><publication>20261125101600</publication><production>20261125101600</production><nature>30</nature><statut>OK</statut><id>1002</id><url>https://x/telecharger-retour/1.0/Fl0wAbC123/1002</url></retour>\
        <retour><publication>20261125101700</publication><production>20261125101700</production><nature>20</nature><statut>OK</statut></retour>\
        </flux><flux><id>Fl0wDeF456</id>\
        <retour><publication>20261125120000</publication><production>20261125115959</production><ops>OCPREV1</ops><delegataire>DZ0001</delegataire><nature>51</nature><statut>ANO</statut><id>2001</id></retour>\
        </flux></retours>";

    #[test]
    fn parses_returns_listing() {
        let l = ReturnsListing::parse(RETURNS.as_bytes()).unwrap();
        assert_eq!(l.flux.len(), 2);
        assert_eq!(l.flux[0].idflux, "Fl0wAbC123");
        let r = &l.flux[0].retours[1];
        assert_eq!(r.nature, "30");
        assert_eq!(r.id.as_deref(), Some("1002"));
        assert_eq!(r.publication, Some(ts("20261125101600")));
        assert!(r.url.as_deref().unwrap().ends_with("/1002"));
        assert_eq!(l.flux[0].retours[2].id, None);
        let oc = &l.flux[1].retours[0];
        assert_eq!(oc.ops.as_deref(), Some("OCPREV1"));
        assert_eq!(oc.delegataire.as_deref(), Some("DZ0001"));
        assert_eq!(oc.statut, "ANO");
        assert_eq!(l.entries().count(), 4);
        assert_eq!(
            ReturnsListing::parse(b"<retours></retours>").unwrap(),
            ReturnsListing::default()
        );
    }

    #[test]
    fn returns_listing_round_trips() {
        let l = ReturnsListing::parse(RETURNS.as_bytes()).unwrap();
        let back = ReturnsListing::parse(l.to_xml().as_bytes()).unwrap();
        assert_eq!(l, back);
    }

    #[test]
    fn rejects_wrong_root() {
        assert!(matches!(
            ReturnsListing::parse(b"<depots/>"),
            Err(ListingError::UnexpectedRoot {
                expected: "retours",
                ..
            })
        ));
        assert!(DepositsListing::parse(b"<retours/>").is_err());
        assert!(BpijListing::parse(b"not xml <").is_err());
    }

    #[test]
    fn deposits_listing_and_candidates() {
        let xml = "<depots> <declarant> <siret>12345678200010</siret> <nom>Dupont</nom> <prenom>Anne</prenom>\
            <depot> <idflux>Aaa1</idflux> <date>20261125100000</date> <statut>OK</statut></depot>\
            <depot> <idflux>Bbb2</idflux> <date>20261125100130</date> <statut>KO</statut></depot>\
            <depot> <idflux>Ccc3</idflux> <date>20261125100200</date> <statut>OK</statut></depot>\
            <depot> <idflux>Ddd4</idflux> <date>20261125110000</date> <statut>OK</statut></depot>\
            </declarant></depots>";
        let l = DepositsListing::parse(xml.as_bytes()).unwrap();
        assert_eq!(l.siret.as_deref(), Some("12345678200010"));
        assert_eq!(l.depots.len(), 4);
        let c = l.candidates_near(ts("20261125100150"), Duration::minutes(5));
        let ids: Vec<&str> = c.iter().map(|d| d.idflux.as_str()).collect();
        assert_eq!(ids, vec!["Ccc3", "Aaa1"]);
        assert!(
            l.candidates_near(ts("20261125120000"), Duration::minutes(5))
                .is_empty()
        );
        assert_eq!(DepositsListing::parse(l.to_xml().as_bytes()).unwrap(), l);
    }

    #[test]
    fn bpij_listing() {
        let xml = "<retours>  <declarant>    <siret>12345678200010</siret>\
            <declare> <siret>12345678200028</siret> <statut>OK</statut> <bpij>   <publication>20261120</publication>\
            <url>https://x/telecharger-bpij/1.0/BpA1</url> </bpij> <bpij><publication>20261121</publication>\
            <url>https://x/telecharger-bpij/1.0/BpA2</url></bpij></declare>\
            <declare> <siret>12345678200036</siret> <statut>OK</statut> <message>Pas de BPIJ sur la période</message> </declare>\
            <declare> <siret>12345678200044</siret> <statut>KO</statut> <message>Lien declarant déclaré non validé</message></declare>\
            </declarant>  <pageencours>1</pageencours>  <pagetotal>3</pagetotal></retours>";
        let l = BpijListing::parse(xml.as_bytes()).unwrap();
        assert_eq!(l.declarant_siret.as_deref(), Some("12345678200010"));
        assert_eq!(l.page, Some(1));
        assert_eq!(l.page_total, Some(3));
        assert_eq!(l.declares.len(), 3);
        assert_eq!(l.declares[0].bpij.len(), 2);
        assert_eq!(
            l.declares[0].bpij[1].publication,
            NaiveDate::from_ymd_opt(2026, 11, 21)
        );
        assert_eq!(
            l.declares[1].message.as_deref(),
            Some("Pas de BPIJ sur la période")
        );
        assert_eq!(l.declares[2].statut, "KO");
        assert_eq!(l.links().count(), 2);
        assert_eq!(BpijListing::parse(l.to_xml().as_bytes()).unwrap(), l);
    }

    #[test]
    fn windows_are_at_most_60_minutes() {
        let w = split_windows(ts("20261125080000"), ts("20261125101500"));
        assert_eq!(w.len(), 3);
        assert_eq!(w[0], (ts("20261125080000"), ts("20261125090000")));
        assert_eq!(w[2], (ts("20261125100000"), ts("20261125101500")));
        assert!(w.iter().all(|(a, b)| *b - *a <= Duration::minutes(60)));
        assert!(split_windows(ts("20261125080000"), ts("20261125080000")).is_empty());
        assert!(split_windows(ts("20261125090000"), ts("20261125080000")).is_empty());
        assert_eq!(format_ts(ts("20261125080102")), "20261125080102");
        assert_eq!(parse_ts("2026112508"), None);
    }
}
