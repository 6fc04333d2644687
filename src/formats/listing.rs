//! Listings of the API DSN consultation services, read and written in one place per shape:
//! - `lister-retours-flux/2.0/{idflux}` and `lister-retours-declarant/2.0/{debut}/{fin}`:
//!   `<retours><flux><id/><retour>…</retour>*</flux>*</retours>` ([`ReturnsListing`]);
//! - `lister-depots/2.0/{debut}/{fin}`: `<depots><declarant>…<depot>…</depot>*</declarant></depots>`
//!   ([`DepositsListing`]);
//! - `lister-bpij-declarant/1.0/{debut}[/{fin}]?siret=&page=`:
//!   `<retours><declarant><siret/><declare>…<bpij/>*</declare>*</declarant><pageencours/><pagetotal/></retours>`
//!   ([`BpijListing`]).
//!
//! The 2.0 services answer JSON (`Content-Type: application/json`), the 1.0 services XML
//! (`application/xml`); [`ListingFormat::detect`] picks the parser from the answer's
//! Content-Type. The JSON shapes are the kit's Jackson models, property names included
//! (kit: src/main/java/fr/gipmds/dsn/modeles/ListeRetours2.java, MetadonneesFlux2.java —
//! note `"Retour"` —, MetadonneesRetour.java, and
//! services/depot/recherche/model/RechercherDepotParConcentrateurResponse.java, Declarant.java,
//! Depot.java). BPIJ listings exist in 1.0 (XML) only
//! (kit: services/recherche/ServiceRechercheBpijParDeclarant.java, modeles/bpij/*).
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
    #[error("listing: JSON does not match the kit's model: {0}")]
    Json(String),
    #[error("listing: {what} without {field}")]
    Missing {
        what: &'static str,
        field: &'static str,
    },
    #[error("listing: {field} = {value:?} is not a valid {expected}")]
    BadValue {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(
        "listing: unexpected Content-Type {0:?} (expected application/json or application/xml)"
    )]
    ContentType(String),
}

/// Wire format of a listing answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingFormat {
    /// 2.0 services (`@Produces(APPLICATION_JSON)`).
    Json,
    /// 1.0 services (`@Produces(APPLICATION_XML)`).
    Xml,
}

impl ListingFormat {
    /// The format announced by `Content-Type` (parameters such as `charset` ignored). With
    /// no Content-Type at all, the first non-blank byte decides (`{` JSON, `<` XML), so that
    /// a proxy that strips the header does not stop the polling; any other type is an error.
    pub fn detect(content_type: Option<&str>, body: &[u8]) -> Result<ListingFormat, ListingError> {
        match content_type {
            Some(ct) => {
                let essence = ct
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                match essence.as_str() {
                    "application/json" => Ok(ListingFormat::Json),
                    "application/xml" | "text/xml" => Ok(ListingFormat::Xml),
                    _ => Err(ListingError::ContentType(ct.to_string())),
                }
            }
            None => match body.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => Ok(ListingFormat::Json),
                Some(b'<') => Ok(ListingFormat::Xml),
                _ => Err(ListingError::ContentType(String::new())),
            },
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ListingFormat::Json => "application/json",
            ListingFormat::Xml => "application/xml",
        }
    }
}

/// A present timestamp must parse: a listing never silently loses its dates.
fn ts_field(field: &'static str, v: Option<&str>) -> Result<Option<NaiveDateTime>, ListingError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_ts(s).map(Some).ok_or_else(|| ListingError::BadValue {
            field,
            value: s.chars().take(40).collect(),
            expected: "AAAAMMJJHHMMSS timestamp",
        }),
    }
}

fn required(
    what: &'static str,
    field: &'static str,
    v: Option<&str>,
) -> Result<String, ListingError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Ok(s.to_string()),
        None => Err(ListingError::Missing { what, field }),
    }
}

/// JSON models of the kit (Jackson, nulls written as `null`).
mod json {
    use serde::{Deserialize, Serialize};

    /// kit: modeles/ListeRetours2.java (`@JsonRootName("Retours")`, written unwrapped by
    /// default; the wrapped form is accepted too).
    #[derive(Debug, Deserialize, Serialize)]
    pub struct Retours {
        #[serde(default)]
        pub flux: Option<Vec<Flux>>,
    }

    /// kit: modeles/MetadonneesFlux2.java.
    #[derive(Debug, Deserialize, Serialize)]
    pub struct Flux {
        #[serde(default)]
        pub id: Option<String>,
        #[serde(rename = "Retour", default)]
        pub retours: Option<Vec<Retour>>,
    }

    /// kit: modeles/MetadonneesRetour.java (field order kept).
    #[derive(Debug, Deserialize, Serialize)]
    pub struct Retour {
        #[serde(default)]
        pub publication: Option<String>,
        #[serde(default)]
        pub production: Option<String>,
        #[serde(default)]
        pub nature: Option<String>,
        #[serde(default)]
        pub statut: Option<String>,
        #[serde(default)]
        pub id: Option<String>,
        #[serde(default)]
        pub url: Option<String>,
        #[serde(default)]
        pub delegataire: Option<String>,
        #[serde(default)]
        pub ops: Option<String>,
    }

    /// kit: services/depot/recherche/model/RechercherDepotParConcentrateurResponse.java.
    #[derive(Debug, Deserialize, Serialize)]
    pub struct Depots {
        #[serde(default)]
        pub declarant: Option<Declarant>,
    }

    /// kit: services/depot/recherche/model/Declarant.java.
    #[derive(Debug, Deserialize, Serialize)]
    pub struct Declarant {
        #[serde(default)]
        pub depot: Option<Vec<Depot>>,
        #[serde(default)]
        pub siret: Option<String>,
        #[serde(default)]
        pub nom: Option<String>,
        #[serde(default)]
        pub prenom: Option<String>,
    }

    /// kit: services/depot/recherche/model/Depot.java.
    #[derive(Debug, Deserialize, Serialize)]
    pub struct Depot {
        #[serde(default)]
        pub date: Option<String>,
        #[serde(default)]
        pub idflux: Option<String>,
        #[serde(default)]
        pub statut: Option<String>,
    }
}

/// Parses a JSON root, accepting the `@JsonRootName` wrapped form (`{"Retours": {...}}`).
fn json_root<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    wrapper: &str,
) -> Result<T, ListingError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ListingError::Json(e.to_string()))?;
    let v = match v {
        // Wrapped by the Jackson root name ("Retours") or the JAXB one ("retours"), if a
        // deployment enables WRAP_ROOT_VALUE.
        serde_json::Value::Object(m)
            if m.len() == 1
                && m.keys().all(|k| k.eq_ignore_ascii_case(wrapper))
                && m.values().all(|v| v.is_object()) =>
        {
            m.into_iter().next().map(|(_, v)| v).unwrap_or_default()
        }
        serde_json::Value::Object(m) => serde_json::Value::Object(m),
        other => {
            return Err(ListingError::Json(format!(
                "expected a JSON object, got {}",
                match other {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::Null => "null",
                    _ => "a scalar",
                }
            )));
        }
    };
    serde_json::from_value(v).map_err(|e| ListingError::Json(e.to_string()))
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
    /// Parses a listing in the format its Content-Type announced.
    pub fn parse_as(format: ListingFormat, bytes: &[u8]) -> Result<ReturnsListing, ListingError> {
        match format {
            ListingFormat::Json => Self::parse_json(bytes),
            ListingFormat::Xml => Self::parse(bytes),
        }
    }

    /// XML (1.0): `<retours><flux><id/><retour/>*</flux>*</retours>`
    /// (kit: test/resources/TestData.java `reponseRecherche`).
    pub fn parse(bytes: &[u8]) -> Result<ReturnsListing, ListingError> {
        let root = expect_root(bytes, "retours")?;
        let mut flux = Vec::new();
        for f in root.children_named("flux") {
            let mut retours = Vec::new();
            for r in f.children_named("retour") {
                retours.push(ReturnEntry {
                    id: r.child_text("id").map(str::to_string),
                    nature: required("retour", "nature", r.child_text("nature"))?,
                    statut: required("retour", "statut", r.child_text("statut"))?,
                    publication: ts_field("publication", r.child_text("publication"))?,
                    production: ts_field("production", r.child_text("production"))?,
                    url: r.child_text("url").map(str::to_string),
                    ops: r.child_text("ops").map(str::to_string),
                    delegataire: r.child_text("delegataire").map(str::to_string),
                });
            }
            flux.push(FluxReturns {
                idflux: required("flux", "id", f.child_text("id"))?,
                retours,
            });
        }
        Ok(ReturnsListing { flux })
    }

    /// JSON (2.0): `{"flux":[{"id":…,"Retour":[{…}]}]}` (kit: modeles/ListeRetours2.java).
    pub fn parse_json(bytes: &[u8]) -> Result<ReturnsListing, ListingError> {
        let root: json::Retours = json_root(bytes, "Retours")?;
        let mut flux = Vec::new();
        for f in root.flux.unwrap_or_default() {
            let mut retours = Vec::new();
            for r in f.retours.unwrap_or_default() {
                retours.push(ReturnEntry {
                    id: r.id.filter(|s| !s.is_empty()),
                    nature: required("Retour", "nature", r.nature.as_deref())?,
                    statut: required("Retour", "statut", r.statut.as_deref())?,
                    publication: ts_field("publication", r.publication.as_deref())?,
                    production: ts_field("production", r.production.as_deref())?,
                    url: r.url.filter(|s| !s.is_empty()),
                    ops: r.ops.filter(|s| !s.is_empty()),
                    delegataire: r.delegataire.filter(|s| !s.is_empty()),
                });
            }
            flux.push(FluxReturns {
                idflux: required("flux", "id", f.id.as_deref())?,
                retours,
            });
        }
        Ok(ReturnsListing { flux })
    }

    /// The kit's Jackson rendering (every property written, `null` when absent).
    pub fn to_json(&self) -> String {
        let root = json::Retours {
            flux: Some(
                self.flux
                    .iter()
                    .map(|f| json::Flux {
                        id: Some(f.idflux.clone()),
                        retours: Some(
                            f.retours
                                .iter()
                                .map(|r| json::Retour {
                                    publication: r.publication.map(format_ts),
                                    production: r.production.map(format_ts),
                                    nature: Some(r.nature.clone()),
                                    statut: Some(r.statut.clone()),
                                    id: r.id.clone(),
                                    url: r.url.clone(),
                                    delegataire: r.delegataire.clone(),
                                    ops: r.ops.clone(),
                                })
                                .collect(),
                        ),
                    })
                    .collect(),
            ),
        };
        serde_json::to_string(&root).unwrap_or_default()
    }

    /// Rendered in `format`.
    pub fn render(&self, format: ListingFormat) -> String {
        match format {
            ListingFormat::Json => self.to_json(),
            ListingFormat::Xml => self.to_xml(),
        }
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
    pub fn parse_as(format: ListingFormat, bytes: &[u8]) -> Result<DepositsListing, ListingError> {
        match format {
            ListingFormat::Json => Self::parse_json(bytes),
            ListingFormat::Xml => Self::parse(bytes),
        }
    }

    /// XML (1.0): `<depots><declarant>…<depot/>*</declarant></depots>`
    /// (kit: test/resources/TestData.java `reponseRechercheListerDepots`).
    pub fn parse(bytes: &[u8]) -> Result<DepositsListing, ListingError> {
        let root = expect_root(bytes, "depots")?;
        let mut out = DepositsListing::default();
        for d in root.children_named("declarant") {
            out.siret = out.siret.or(d.child_text("siret").map(str::to_string));
            out.nom = out.nom.or(d.child_text("nom").map(str::to_string));
            out.prenom = out.prenom.or(d.child_text("prenom").map(str::to_string));
            for e in d.children_named("depot") {
                out.depots.push(DepositEntry {
                    idflux: required("depot", "idflux", e.child_text("idflux"))?,
                    date: ts_field("date", e.child_text("date"))?,
                    statut: required("depot", "statut", e.child_text("statut"))?,
                });
            }
        }
        Ok(out)
    }

    /// JSON (2.0): `{"declarant":{"depot":[{"date","idflux","statut"}],"siret","nom","prenom"}}`
    /// (kit: services/depot/recherche/model/*.java).
    pub fn parse_json(bytes: &[u8]) -> Result<DepositsListing, ListingError> {
        let root: json::Depots = json_root(bytes, "depots")?;
        let mut out = DepositsListing::default();
        if let Some(d) = root.declarant {
            out.siret = d.siret;
            out.nom = d.nom;
            out.prenom = d.prenom;
            for e in d.depot.unwrap_or_default() {
                out.depots.push(DepositEntry {
                    idflux: required("depot", "idflux", e.idflux.as_deref())?,
                    date: ts_field("date", e.date.as_deref())?,
                    statut: required("depot", "statut", e.statut.as_deref())?,
                });
            }
        }
        Ok(out)
    }

    pub fn to_json(&self) -> String {
        let root = json::Depots {
            declarant: Some(json::Declarant {
                depot: Some(
                    self.depots
                        .iter()
                        .map(|d| json::Depot {
                            date: d.date.map(format_ts),
                            idflux: Some(d.idflux.clone()),
                            statut: Some(d.statut.clone()),
                        })
                        .collect(),
                ),
                siret: self.siret.clone(),
                nom: self.nom.clone(),
                prenom: self.prenom.clone(),
            }),
        };
        serde_json::to_string(&root).unwrap_or_default()
    }

    pub fn render(&self, format: ListingFormat) -> String {
        match format {
            ListingFormat::Json => self.to_json(),
            ListingFormat::Xml => self.to_xml(),
        }
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
    /// BPIJ listings exist in XML (1.0) only; any other announced format is an error.
    pub fn parse_as(format: ListingFormat, bytes: &[u8]) -> Result<BpijListing, ListingError> {
        match format {
            ListingFormat::Xml => Self::parse(bytes),
            ListingFormat::Json => Err(ListingError::ContentType("application/json".into())),
        }
    }

    /// `<retours><declarant><siret/><declare/>*</declarant><pageencours/><pagetotal/></retours>`
    /// (kit: test/resources/TestData.java `reponseRechercheListerBPIJ`, modeles/bpij/*).
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

    // kit: src/main/java/fr/gipmds/dsn/test/resources/TestData.java `reponseRecherche`
    // (served as XML by lister-retours-flux/1.0 and lister-retours-declarant/1.0).
    const KIT_REPONSE_RECHERCHE: &str = "<retours><flux><id>abcdefghij</id>\
        <retour><publication>20130622012000</publication><production>20130622012000</production><nature>10</nature><statut>OK</statut><id>0123456789</id></retour>\
        <retour><publication>20130622012000</publication><production>20130622012000</production><nature>11</nature><statut>OK</statut><id>0123456789</id></retour>\
        <retour><publication>20130622012000</publication><production>20130622012000</production><nature>20</nature><statut>OK</statut></retour>\
        <retour><publication>20130622012000</publication><production>20130622012000</production><nature>21</nature><statut>KO</statut><id>0123456789</id></retour>\
        </flux>\
        <flux><id>klmnopqrs</id>\
        <retour><publication>20220412034029</publication><production>20220412034029</production><ops>AUMGM1</ops><delegataire>DZ2114</delegataire><nature>51</nature><statut>OK</statut><id>10111213141</id></retour>\
        </flux>\
        </retours>";

    // The same TestData as the 2.0 services serve it: the kit unmarshals it into ListeRetours2
    // and Jackson writes it (kit: services/recherche/ServiceRechercheParFlux2.java,
    // modeles/ListeRetours2.java, MetadonneesFlux2.java `@JsonProperty("Retour")`,
    // MetadonneesRetour.java; nulls written, fields in declaration order).
    const KIT_REPONSE_RECHERCHE_JSON: &str = r#"{
      "flux" : [ {
        "id" : "abcdefghij",
        "Retour" : [
          { "publication" : "20130622012000", "production" : "20130622012000", "nature" : "10", "statut" : "OK", "id" : "0123456789", "url" : null, "delegataire" : null, "ops" : null },
          { "publication" : "20130622012000", "production" : "20130622012000", "nature" : "11", "statut" : "OK", "id" : "0123456789", "url" : null, "delegataire" : null, "ops" : null },
          { "publication" : "20130622012000", "production" : "20130622012000", "nature" : "20", "statut" : "OK", "id" : null, "url" : null, "delegataire" : null, "ops" : null },
          { "publication" : "20130622012000", "production" : "20130622012000", "nature" : "21", "statut" : "KO", "id" : "0123456789", "url" : null, "delegataire" : null, "ops" : null }
        ]
      }, {
        "id" : "klmnopqrs",
        "Retour" : [
          { "publication" : "20220412034029", "production" : "20220412034029", "nature" : "51", "statut" : "OK", "id" : "10111213141", "url" : null, "delegataire" : "DZ2114", "ops" : "AUMGM1" }
        ]
      } ]
    }"#;

    // kit: TestData.java `reponseRechercheListerDepots` (XML, lister-depots/1.0) and its
    // Jackson rendering (lister-depots/2.0: RechercherDepotParConcentrateurResponse).
    const KIT_DEPOTS_XML: &str = "<depots> <declarant> <siret>12345678901234</siret> <nom>Test</nom> <prenom>abcde</prenom>\
         <depot> <idflux>0123456789</idflux> <date>20130801123242</date> <statut>OK</statut></depot>\
         <depot> <idflux>0123456780</idflux> <date>20130801123243</date> <statut>KO</statut></depot>\
        </declarant></depots>";
    const KIT_DEPOTS_JSON: &str = r#"{ "declarant" : { "depot" : [
        { "date" : "20130801123242", "idflux" : "0123456789", "statut" : "OK" },
        { "date" : "20130801123243", "idflux" : "0123456780", "statut" : "KO" } ],
        "siret" : "12345678901234", "nom" : "Test", "prenom" : "abcde" } }"#;

    // kit: TestData.java `reponseRechercheListerBPIJ` (lister-bpij-declarant/1.0, XML only).
    const KIT_BPIJ: &str = "<retours>  <declarant>    <siret>12345688912340</siret>\
        <declare> <siret>12345688912345</siret> <statut>OK</statut> <bpij>   <publication>20130801</publication>\
           <url>https://.../telecharger-bpij/1.0/F1spdeAilkR4q3UUlQA7haa</url> </bpij> <bpij> \
        <publication>20130801</publication>\
           <url>https://.../telecharger-bpij/1.0/F1spdeAilkR4q3UUlQA7hab</url>\
         </bpij>    </declare>    <declare> <siret>12345688912346</siret> <statut>OK</statut>\
         <message>Pas de BPIJ sur la période</message> </declare>    <declare> <siret>12345688912346</siret>\
         <statut>KO</statut> <message>Lien declarant déclaré non validé</message>    </declare>\
          </declarant>  <pageencours>1</pageencours>  <pagetotal>15</pagetotal></retours>";

    #[test]
    fn kit_returns_listing_xml_and_json_agree() {
        let xml = ReturnsListing::parse(KIT_REPONSE_RECHERCHE.as_bytes()).unwrap();
        let json = ReturnsListing::parse_json(KIT_REPONSE_RECHERCHE_JSON.as_bytes()).unwrap();
        assert_eq!(xml, json);
        assert_eq!(json.flux.len(), 2);
        assert_eq!(json.flux[0].idflux, "abcdefghij");
        assert_eq!(json.flux[0].retours.len(), 4);
        assert_eq!(json.flux[0].retours[2].id, None);
        assert_eq!(json.flux[0].retours[3].statut, "KO");
        let oc = &json.flux[1].retours[0];
        assert_eq!(
            (
                oc.nature.as_str(),
                oc.ops.as_deref(),
                oc.delegataire.as_deref()
            ),
            ("51", Some("AUMGM1"), Some("DZ2114"))
        );
        assert_eq!(oc.publication, Some(ts("20220412034029")));
        // Our rendering reads back the same, with the kit's property names.
        let out = json.to_json();
        assert!(out.contains("\"Retour\":["), "{out}");
        assert!(out.contains("\"url\":null"), "{out}");
        assert_eq!(ReturnsListing::parse_json(out.as_bytes()).unwrap(), json);
        // The @JsonRootName-wrapped form is read too.
        for root in ["Retours", "retours"] {
            let wrapped = format!("{{\"{root}\":{KIT_REPONSE_RECHERCHE_JSON}}}");
            assert_eq!(
                ReturnsListing::parse_json(wrapped.as_bytes()).unwrap(),
                json
            );
        }
        // A one-key object whose key is not the root name is not unwrapped.
        assert!(ReturnsListing::parse_json(br#"{"flux":[]}"#).is_ok());
        // kit: TestData.java `reponseRechercheVide` and its JSON (ListeRetours2.flux = []).
        assert_eq!(
            ReturnsListing::parse(b"<retours></retours>").unwrap(),
            ReturnsListing::default()
        );
        assert_eq!(
            ReturnsListing::parse_json(br#"{"flux":[]}"#).unwrap(),
            ReturnsListing::default()
        );
    }

    #[test]
    fn kit_deposits_listing_xml_and_json_agree() {
        let xml = DepositsListing::parse(KIT_DEPOTS_XML.as_bytes()).unwrap();
        let json = DepositsListing::parse_json(KIT_DEPOTS_JSON.as_bytes()).unwrap();
        assert_eq!(xml, json);
        assert_eq!(json.siret.as_deref(), Some("12345678901234"));
        assert_eq!(json.depots.len(), 2);
        assert_eq!(json.depots[1].statut, "KO");
        assert_eq!(json.depots[0].date, Some(ts("20130801123242")));
        assert_eq!(
            DepositsListing::parse_json(json.to_json().as_bytes()).unwrap(),
            json
        );
        // No deposit: the kit's List is null (JAXB leaves it unset).
        let empty = DepositsListing::parse_json(
            br#"{"declarant":{"depot":null,"siret":"12345678901234","nom":null,"prenom":null}}"#,
        )
        .unwrap();
        assert!(empty.depots.is_empty());
        assert_eq!(
            DepositsListing::parse_json(b"{\"declarant\":null}").unwrap(),
            DepositsListing::default()
        );
    }

    #[test]
    fn kit_bpij_listing() {
        let l = BpijListing::parse(KIT_BPIJ.as_bytes()).unwrap();
        assert_eq!(l.declarant_siret.as_deref(), Some("12345688912340"));
        assert_eq!((l.page, l.page_total), (Some(1), Some(15)));
        assert_eq!(l.declares.len(), 3);
        assert_eq!(l.links().count(), 2);
        // The kit's links point at an unnamed host: the client must refuse them one by one.
        assert!(l.links().all(|(_, b)| b.url.starts_with("https://.../")));
        assert_eq!(l.declares[2].statut, "KO");
        assert!(BpijListing::parse_as(ListingFormat::Json, b"{}").is_err());
    }

    #[test]
    fn format_follows_content_type() {
        use ListingFormat::*;
        assert_eq!(
            ListingFormat::detect(Some("application/json"), b"").unwrap(),
            Json
        );
        assert_eq!(
            ListingFormat::detect(Some("application/xml;charset=UTF-8"), b"").unwrap(),
            Xml
        );
        assert_eq!(ListingFormat::detect(Some("text/xml"), b"").unwrap(), Xml);
        assert!(matches!(
            ListingFormat::detect(Some("text/html"), b"<html>"),
            Err(ListingError::ContentType(_))
        ));
        assert_eq!(
            ListingFormat::detect(None, b"  {\"flux\":[]}").unwrap(),
            Json
        );
        assert_eq!(ListingFormat::detect(None, b"<retours/>").unwrap(), Xml);
        assert!(ListingFormat::detect(None, b"").is_err());
    }

    #[test]
    fn malformed_listings_name_their_cause() {
        let e = ReturnsListing::parse_json(b"<retours/>").unwrap_err();
        assert!(matches!(e, ListingError::Json(_)), "{e}");
        let e = ReturnsListing::parse_json(b"[]").unwrap_err();
        assert!(e.to_string().contains("array"), "{e}");
        let e = ReturnsListing::parse_json(br#"{"flux":[{"id":"A","Retour":[{"statut":"OK"}]}]}"#)
            .unwrap_err();
        assert_eq!(e.to_string(), "listing: Retour without nature");
        let e = ReturnsListing::parse_json(
            br#"{"flux":[{"id":"A","Retour":[{"nature":"10","statut":"OK","publication":"2013-06-22"}]}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("publication"), "{e}");
        let e = ReturnsListing::parse_json(br#"{"flux":[{"Retour":[]}]}"#).unwrap_err();
        assert_eq!(e.to_string(), "listing: flux without id");
        let e = ReturnsListing::parse_json(br#"{"flux":"x"}"#).unwrap_err();
        assert!(matches!(e, ListingError::Json(_)));
        let e = DepositsListing::parse_json(
            br#"{"declarant":{"depot":[{"date":"x","idflux":"A","statut":"OK"}]}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("date"), "{e}");
        let e = DepositsListing::parse(
            b"<depots><declarant><depot><date>20130801123242</date></depot></declarant></depots>",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "listing: depot without idflux");
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
