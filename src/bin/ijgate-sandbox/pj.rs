//! CNAM PJ IJ endpoint of the sandbox (`POST /indemnites-journalieres-pj`, multipart):
//! a minimal multipart/form-data reader and the checks of `cnam-contrat-api-pj-ij-v1.0`
//! (field lengths and enumerations, PDF only, ≤ 5 MB → `CTL-PJ-TAI`).

use serde::Serialize;

/// Largest accepted attachment.
pub const MAX_PJ: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// Boundary from a `multipart/form-data; boundary=…` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Splits a multipart body; `None` when it is not well formed.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut pos = find(body, delim.as_bytes(), 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return None;
        }
        pos += 2;
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let headers = String::from_utf8_lossy(&body[pos..head_end]).into_owned();
        let data_start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), data_start)?;
        let mut name = None;
        let mut filename = None;
        for h in headers.split("\r\n") {
            if let Some((k, v)) = h.split_once(':')
                && k.trim().eq_ignore_ascii_case("content-disposition")
            {
                for p in v.split(';') {
                    if let Some((pk, pv)) = p.trim().split_once('=') {
                        let pv = pv.trim_matches('"').to_string();
                        match pk.trim() {
                            "name" => name = Some(pv),
                            "filename" => filename = Some(pv),
                            _ => {}
                        }
                    }
                }
            }
        }
        parts.push(Part {
            name: name?,
            filename,
            data: body[data_start..next].to_vec(),
        });
        pos = next + 2 + delim.len();
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeRejet {
    pub code_rejet: String,
    pub libelle_rejet: String,
}

/// `RapportIJDto` of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RapportIj {
    pub id_envoi: String,
    pub date_envoi: String,
    pub siret_declare: String,
    pub code_retour: String,
    pub rapport_rejet: Vec<CodeRejet>,
}

const NATURES: &[&str] = &[
    "ACCIDENT_TRAVAIL",
    "DEUIL_ENFANT",
    "FEMME_ENCEINTE",
    "MALADIE",
    "MALADIE_PROFESSIONELLE",
    "MATERNITE",
    "PATERNITE",
    "TPT_ACCIDENT_TRAVAIL",
    "TPT_MALADIE",
    "TPT_MALADIE_PROFESSIONNELLE",
    "ADOPTION",
];
const ORIGINES: &[&str] = &["DSIJ_DSN", "DSIJ_NET_ENTREPRISE"];
const MOTIFS: &[&str] = &["DEMANDE_INITIALE", "METIER", "COURRIER"];

/// Checks an upload; the report has `codeRetour` 200 or 400 with the rejections.
pub fn check_upload(parts: &[Part], date_envoi: &str) -> RapportIj {
    let field = |n: &str| {
        parts
            .iter()
            .find(|p| p.name == n)
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_string())
    };
    let mut rejets = Vec::new();
    let mut reject = |code: &str, libelle: &str| {
        rejets.push(CodeRejet {
            code_rejet: code.into(),
            libelle_rejet: libelle.into(),
        })
    };
    let id_envoi = field("idEnvoi").unwrap_or_default();
    let siret = field("siretDeclare").unwrap_or_default();
    if id_envoi.is_empty() || id_envoi.len() > 250 {
        reject("CTL-PJ-IDE", "Identifiant d'envoi absent ou trop long");
    }
    if siret.len() != 14 || !siret.chars().all(|c| c.is_ascii_digit()) {
        reject("CTL-PJ-SIR", "SIRET déclaré invalide");
    }
    let nir = field("nir").unwrap_or_default();
    if nir.len() != 15 {
        reject("CTL-PJ-NIR", "NIR invalide (15 caractères avec la clé)");
    }
    let enum_ok =
        |n: &str, allowed: &[&str]| field(n).is_some_and(|v| allowed.contains(&v.as_str()));
    if !enum_ok("natureAbsence", NATURES) {
        reject("CTL-PJ-NAT", "Nature d'absence inconnue");
    }
    if !enum_ok("origine", ORIGINES) {
        reject("CTL-PJ-ORI", "Origine inconnue");
    }
    if !enum_ok("motif", MOTIFS) {
        reject("CTL-PJ-MOT", "Motif inconnu");
    }
    if !field("typePieces")
        .is_some_and(|v| ijgate::formats::rapport::DOCUMENT_TYPES.contains(&v.as_str()))
    {
        reject("CTL-PJ-TYP", "Type de pièce inconnu");
    }
    let djt = field("dernierJourTravaille").unwrap_or_default();
    if chrono::NaiveDate::parse_from_str(&djt, "%Y%m%d").is_err() {
        reject("CTL-PJ-DJT", "Date de dernier jour travaillé invalide");
    }
    if field("commentaire").is_some_and(|c| c.chars().count() > 150) {
        reject("CTL-PJ-COM", "Commentaire trop long");
    }
    match parts.iter().find(|p| p.name == "fichierPj") {
        None => reject("CTL-PJ-ABS", "Pièce jointe absente"),
        Some(f) => {
            if f.data.len() > MAX_PJ {
                reject("CTL-PJ-TAI", "Taille de la PJ supérieure à 5Mo");
            }
            if !f.data.starts_with(b"%PDF-") {
                reject("CTL-PJ-FOR", "La PJ n'est pas au format PDF");
            }
        }
    }
    RapportIj {
        id_envoi,
        date_envoi: date_envoi.to_string(),
        siret_declare: siret,
        code_retour: if rejets.is_empty() { "200" } else { "400" }.into(),
        rapport_rejet: rejets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(pdf: &[u8], nature: &str) -> Vec<u8> {
        let mut b = Vec::new();
        for (k, v) in [
            ("idEnvoi", "ENV-1"),
            ("siretDeclare", "12345678200028"),
            ("nir", "185017512345612"),
            ("natureAbsence", nature),
            ("origine", "DSIJ_DSN"),
            ("dernierJourTravaille", "20260301"),
            ("motif", "METIER"),
            ("typePieces", "BULLETIN_SALAIRE"),
        ] {
            b.extend_from_slice(
                format!("--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        b.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"fichierPj\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n");
        b.extend_from_slice(pdf);
        b.extend_from_slice(b"\r\n--XyZ--\r\n");
        b
    }

    #[test]
    fn accepts_a_small_pdf() {
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Some("XyZ")
        );
        assert_eq!(boundary("text/plain"), None);
        let parts = parse_multipart(
            &body(b"%PDF-1.4 hello\r\n--not-a-boundary", "MALADIE"),
            "XyZ",
        )
        .unwrap();
        assert_eq!(parts.len(), 9);
        assert_eq!(parts[8].filename.as_deref(), Some("a.pdf"));
        let r = check_upload(&parts, "20261125100000");
        assert_eq!(r.code_retour, "200", "{r:?}");
    }

    #[test]
    fn rejects_big_or_non_pdf_and_bad_enums() {
        let big = [b"%PDF-".as_slice(), &vec![b'x'; MAX_PJ]].concat();
        let r = check_upload(
            &parse_multipart(&body(&big, "MALADIE"), "XyZ").unwrap(),
            "t",
        );
        assert_eq!(r.code_retour, "400");
        assert_eq!(r.rapport_rejet[0].code_rejet, "CTL-PJ-TAI");
        let r = check_upload(
            &parse_multipart(&body(b"GIF89a", "GRIPPE"), "XyZ").unwrap(),
            "t",
        );
        let codes: Vec<&str> = r
            .rapport_rejet
            .iter()
            .map(|c| c.code_rejet.as_str())
            .collect();
        assert_eq!(codes, vec!["CTL-PJ-NAT", "CTL-PJ-FOR"]);
        assert!(parse_multipart(b"garbage", "XyZ").is_none());
    }
}
