//! The API DSN's `Authorization` scheme as the GIP-MDS kit implements it
//! (kit: src/main/java/fr/gipmds/dsn/utils/SecurityUtils.java, test/resources/Declarant.java,
//! Concentrateur.java, and the identical blocks of every service):
//! - `Authorization: DSNLogin jeton=<b64>` (logiciel de paie) or
//!   `DSNLogin concentrateur=<b64>[,declarant=<b64 of "siret;nom;prenom">]`;
//! - a token is base64 of `<xmlresult>…<siret/>…<first_name/><last_name/></xmlresult>`;
//! - a value that is not base64 or does not decode to that shape → 401
//!   `DSNLogin realm="Jeton manquant ou invalide"`; a well-formed identity that is not
//!   enrolled → 401 `DSNLogin realm="Utilisateur non-inscrit au service"`.
//!
//! Pure functions: which identities are enrolled is decided by the caller ([`super::state`]).

use base64::Engine;

/// 401 realm of a missing, malformed or expired token (kit: SecurityUtils.jetonManquantOuInvalide).
pub const INVALID_TOKEN: &str = "DSNLogin realm=\"Jeton manquant ou invalide\"";
/// 401 realm of an identity not enrolled in the service (kit: SecurityUtils.utilisateurNonInscrit).
pub const NOT_ENROLLED: &str = "DSNLogin realm=\"Utilisateur non-inscrit au service\"";
/// 401 realm of `authentifier` (kit: services/auth/ServiceAuthentificationNetEImpl.java).
pub const AUTH_REFUSED: &str = "Basic realm=\"net-entreprises.fr\"";

/// SIRET, nom, prénom of a token or of a `declarant` SNP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub siret: String,
    pub nom: String,
    pub prenom: String,
}

impl Identity {
    pub fn new(siret: &str, nom: &str, prenom: &str) -> Self {
        Identity {
            siret: siret.into(),
            nom: nom.into(),
            prenom: prenom.into(),
        }
    }
}

/// kit: test/resources/TestData.java `declarantInscrit`.
pub fn kit_declarant() -> Identity {
    Identity::new("98765432109876", "declarant", "declarant")
}
/// kit: test/resources/TestData.java `concentrateurInscrit` (its token's first_name is
/// "concentrateur", test/resources/Concentrateur.java).
pub fn kit_concentrateur() -> Identity {
    Identity::new("01234567890123", "CTR2000", "concentrateur")
}

/// Who calls, once the header parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// `jeton=…`: the token as sent, and who it names.
    Declarant { token: String, who: Identity },
    /// `concentrateur=…` (+ `declarant=…` where the service needs one).
    Concentrateur {
        who: Identity,
        declarant: Option<Identity>,
    },
}

/// Why a request is refused at 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InvalidToken,
    NotEnrolled,
}

impl Refusal {
    pub fn realm(self) -> &'static str {
        match self {
            Refusal::InvalidToken => INVALID_TOKEN,
            Refusal::NotEnrolled => NOT_ENROLLED,
        }
    }
}

/// kit: SecurityUtils.parseAuthorizationHeader — `DSNLogin` removed, `,`-separated `k=v`
/// pairs; a pair is kept only when `split("=")` (Java: trailing empty parts dropped, so
/// base64 padding disappears) gives exactly two non-empty parts.
pub fn parse_header(header: Option<&str>) -> Vec<(String, String)> {
    let Some(h) = header else {
        return Vec::new();
    };
    h.replace("DSNLogin", "")
        .split(',')
        .filter_map(|element| {
            let mut parts: Vec<&str> = element.trim().split('=').collect();
            while parts.last().is_some_and(|p| p.is_empty()) {
                parts.pop();
            }
            match parts.as_slice() {
                [k, v] if !k.is_empty() && !v.is_empty() => Some((k.to_string(), v.to_string())),
                _ => None,
            }
        })
        .collect()
}

/// commons-codec `Base64.isBase64(String)`: only the (standard or URL-safe) alphabet, `=`
/// and whitespace.
fn is_base64(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/-_= \t\r\n".contains(&b))
}

/// Lenient decoding as commons-codec does (padding optional, URL-safe accepted).
fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(clean)
        .ok()
}

/// The identity a token names, `None` when it is not a kit-shaped token
/// (kit: SecurityUtils.parseToken).
pub fn parse_token(b64: &str) -> Option<Identity> {
    if !is_base64(b64) {
        return None;
    }
    let xml = decode_b64(b64)?;
    let root = crate::formats::xml_tree::parse(&xml).ok()?;
    if root.name != "xmlresult" {
        return None;
    }
    Some(Identity {
        siret: root.child_text("siret")?.to_string(),
        nom: root.child_text("last_name")?.to_string(),
        prenom: root.child_text("first_name")?.to_string(),
    })
}

/// kit: SecurityUtils.parseDeclarantSNP over the base64-decoded `declarant` value.
fn parse_snp(b64: &str) -> Option<Identity> {
    if !is_base64(b64) {
        return None;
    }
    let raw = decode_b64(b64)?;
    let text = String::from_utf8(raw).ok()?;
    match text.split(';').collect::<Vec<_>>().as_slice() {
        [s, n, p] if !s.is_empty() && !n.is_empty() && !p.is_empty() => {
            Some(Identity::new(s, n, p))
        }
        _ => None,
    }
}

/// A token in the shape net-entreprises issues and the kit reads
/// (kit: test/resources/Declarant.java `getFauxJeton`); `serial` makes each one unique.
pub fn make_token(who: &Identity, issued: &str, serial: u64) -> String {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let xml = format!(
        "<xmlresult><status>0</status><error_msg>Succes</error_msg><format>3</format><creation_time>{}({serial})</creation_time><siret>{}</siret><ttl>7200</ttl><first_name>{}</first_name><last_name>{}</last_name></xmlresult>",
        esc(issued),
        esc(&who.siret),
        esc(&who.prenom),
        esc(&who.nom)
    );
    base64::engine::general_purpose::STANDARD.encode(xml)
}

/// base64 of `siret;nom;prenom` (kit: Declarant.getSNP then Base64Utils.encode).
pub fn snp(who: &Identity) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(format!("{};{};{}", who.siret, who.nom, who.prenom))
}

/// Reads the header as the kit's services do. `needs_declarant`: the service wants
/// `concentrateur` AND `declarant` (deposits, declarant-wide listings); the per-flux services
/// take `concentrateur` alone. Enrolment is the caller's check.
pub fn read_caller(header: Option<&str>, needs_declarant: bool) -> Result<Caller, Refusal> {
    let map = parse_header(header);
    let get = |k: &str| map.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    if let Some(jeton) = get("jeton") {
        let who = parse_token(jeton).ok_or(Refusal::InvalidToken)?;
        return Ok(Caller::Declarant {
            token: jeton.to_string(),
            who,
        });
    }
    match (get("concentrateur"), get("declarant")) {
        (Some(c), d) if d.is_some() || !needs_declarant => {
            if !is_base64(c) || d.is_some_and(|d| !is_base64(d)) {
                return Err(Refusal::InvalidToken);
            }
            let who = parse_token(c).ok_or(Refusal::InvalidToken)?;
            Ok(Caller::Concentrateur {
                who,
                declarant: match d {
                    Some(d) => Some(parse_snp(d).ok_or(Refusal::InvalidToken)?),
                    None => None,
                },
            })
        }
        _ => Err(Refusal::InvalidToken),
    }
}

/// The kit's fixtures, always enrolled: a concentrateur must be `CTR2000` and name the kit's
/// declarant (kit: every service's concentrateur block). `Ok(true)` = the kit's data serve.
pub fn check_concentrateur(who: &Identity, declarant: Option<&Identity>) -> Result<(), Refusal> {
    let ctr = kit_concentrateur();
    if who.siret != ctr.siret || who.nom != ctr.nom {
        return Err(Refusal::NotEnrolled);
    }
    match declarant {
        Some(d) if *d != kit_declarant() => Err(Refusal::NotEnrolled),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_pairs_as_the_kit_splits_them() {
        // Padding vanishes (Java split drops trailing empty strings).
        assert_eq!(
            parse_header(Some("DSNLogin jeton=YWJj==")),
            vec![("jeton".to_string(), "YWJj".to_string())]
        );
        assert!(parse_header(Some("DSNLogin jeton=a=b")).is_empty());
        assert!(parse_header(None).is_empty());
        assert_eq!(parse_header(Some("DSNLogin a=1,b=2")).len(), 2);
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_invalid() {
        let who = kit_declarant();
        let t = make_token(&who, "22/06/2013 01:20:00", 1);
        assert_eq!(parse_token(&t), Some(who.clone()));
        let h = format!("DSNLogin jeton={t}");
        assert!(matches!(
            read_caller(Some(&h), true),
            Ok(Caller::Declarant { who: w, .. }) if w == who
        ));
        // kit: RechercherRetoursParFluxNetETest2 rechercher401JETONMauvaisTest / PasEnBase64 / Null.
        let bad = base64::engine::general_purpose::STANDARD.encode("Not a é valid token");
        for v in [bad.as_str(), "Not+a+base64+toekn%21", "null"] {
            assert_eq!(
                read_caller(Some(&format!("DSNLogin jeton={v}")), true),
                Err(Refusal::InvalidToken),
                "{v}"
            );
        }
        assert_eq!(read_caller(None, false), Err(Refusal::InvalidToken));
        assert_eq!(
            read_caller(Some("DSNLogin declarent=SNP"), false),
            Err(Refusal::InvalidToken)
        );
    }

    #[test]
    fn concentrateur_needs_a_declarant_where_the_service_does() {
        let ctr = make_token(&kit_concentrateur(), "x", 1);
        let h = format!("DSNLogin concentrateur={ctr}");
        assert!(read_caller(Some(&h), false).is_ok());
        assert_eq!(read_caller(Some(&h), true), Err(Refusal::InvalidToken));
        let h = format!(
            "DSNLogin concentrateur={ctr},declarant={}",
            snp(&kit_declarant())
        );
        match read_caller(Some(&h), true).unwrap() {
            Caller::Concentrateur { who, declarant } => {
                assert_eq!(check_concentrateur(&who, declarant.as_ref()), Ok(()));
            }
            other => panic!("{other:?}"),
        }
        // Unencoded SNP: ';' is not base64.
        let h =
            format!("DSNLogin concentrateur={ctr},declarant=98765432109876;declarant;declarant");
        assert_eq!(read_caller(Some(&h), true), Err(Refusal::InvalidToken));
        let other = Identity::new("01234567890123", "CTR1999", "concentrateur");
        assert_eq!(check_concentrateur(&other, None), Err(Refusal::NotEnrolled));
    }
}
