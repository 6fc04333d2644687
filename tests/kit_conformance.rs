//! Conformance with the GIP-MDS API DSN development kit (`ArchitectureDSN/dsn-api`, checked
//! out at /work/kit): every HTTP case of the kit's JUnit classes
//! (kit: src/test/java/fr/gipmds/dsn/test/**), replayed
//! - against the sandbox peer, started as the real binary (`ijgate sandbox`), with the kit's
//!   own inputs (its fixture tokens and accounts, TestData) and the kit's expected status,
//!   `WWW-Authenticate` realm, Content-Type, Accept-Ranges, Cache-Control and body shape
//!   ([`sandbox_answers_every_kit_case`]);
//! - through the ijgate client against that peer: every kit answer maps to the right error
//!   kind or parsed value (`client_*` tests).
//!
//! The MSA classes (`*Msa*`, `*MSA*`) hit the same services with the same cases: they are
//! replayed too. Cases not replayed, on purpose:
//! - `AuthentifierMSATest`: the MSA's own `authentifier/2.0` (ijgate targets the régime
//!   général's `authentifier/1.0`, replayed from `AuthentifierNetETest`);
//! - `UtilsTest`: unit tests of the kit's own Java utilities (no HTTP);
//! - `TechnicalNetETest.noSSLTest` / `TechnicalMsaTest.noSSLTest` (plain HTTP refused):
//!   [`sandbox_refuses_plain_http`].
//!
//! The class `TelechargerRetour{NetE,Msa}Test` exists twice in the kit (test/ and
//! test/telechargement/retour/); both copies are replayed. The concentrateur-only services
//! (lister-retours-concentrateur, lister-bpij-concentrateur) are replayed against the sandbox
//! although ijgate, a logiciel de paie, never calls them.
//!
//! Rows were transcribed from the Java sources (method, path, Authorization map, Accept-Encoding,
//! entity variant and body, asserted status/realm/Content-Type/Accept-Ranges/Cache-Control).
//! Path placeholders: `{now-Nm}` = now minus N minutes as `AAAAMMJJHHMMSS`, `{today}` = today
//! as `AAAAMMJJ` (the kit computes them from the clock: TestUtils.getDateDebutFormatted,
//! `Calendar.add(MINUTE, -N)`, `DateUtils.formatShort(new Date())`).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use ijgate::channels::netent::{NetEntClient, NetEntConfig, NetEntError, install_crypto_provider};
use ijgate::formats::listing::{
    BpijListing, DepositsListing, ListingFormat, ReturnEntry, ReturnsListing,
};
use ijgate::formats::rapport::DepositAnswer;

/// A value of the `Authorization` map (kit: SecurityUtils.buildAuthorizationHeader).
#[derive(Debug, Clone, Copy)]
enum V {
    /// TestData.declarantInscrit.getFauxJeton() (also `this.jeton` from authentifier).
    KitDeclarant,
    /// TestData.declarantNonInscrit.getFauxJeton().
    KitDeclarantNonInscrit,
    /// TestData.concentrateurInscrit.getFauxJeton().
    KitConcentrateur,
    /// TestData.concentrateurNonInscrit.getFauxJeton().
    KitConcentrateurNonInscrit,
    /// Base64Utils.encode(TestData.declarant{Inscrit,NonInscrit}.getSNP()); true = non inscrit.
    Snp(bool),
    /// Base64Utils.encode("…").
    B64(&'static str),
    /// A literal (URLEncoder output, `null`, an unencoded SNP…).
    Raw(&'static str),
}

/// kit: src/main/java/fr/gipmds/dsn/test/resources/Declarant.java and Concentrateur.java
/// `getFauxJeton`.
fn faux_jeton(siret: &str, first_name: &str, last_name: &str) -> String {
    let xml = format!(
        "<xmlresult><status>0</status><error_msg>Succes</error_msg><format>3</format><creation_time>22/06/2013 01:20:00(1)</creation_time><siret>{siret}</siret><ttl>7200</ttl><first_name>{first_name}</first_name><last_name>{last_name}</last_name></xmlresult>"
    );
    b64(&xml)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

impl V {
    fn render(self) -> String {
        // kit: test/resources/TestData.java (declarantInscrit, declarantNonInscrit,
        // concentrateurInscrit, concentrateurNonInscrit).
        match self {
            V::KitDeclarant => faux_jeton("98765432109876", "declarant", "declarant"),
            V::KitDeclarantNonInscrit => faux_jeton("98765432109876", "Gordon", "Freeman"),
            V::KitConcentrateur => faux_jeton("01234567890123", "concentrateur", "CTR2000"),
            V::KitConcentrateurNonInscrit => {
                faux_jeton("01234567890123", "concentrateur", "CTR1999")
            }
            V::Snp(false) => b64("98765432109876;declarant;declarant"),
            V::Snp(true) => b64("98765432109876;Freeman;Gordon"),
            V::B64(s) => b64(s),
            V::Raw(s) => s.to_string(),
        }
    }
}

/// Request body.
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    /// A deposit's text (gzipped when the entity's encoding is gzip, as RESTEasy does).
    Dsn(&'static str),
    /// RequeteAuthentificationNetE: siret, nom, prenom, motdepasse, service (None = null,
    /// element omitted by JAXB).
    Auth([Option<&'static str>; 5]),
}

/// Expected Content-Type.
#[derive(Debug, Clone, Copy)]
enum Ct {
    /// Not asserted by the kit.
    Any,
    /// `assertNull(Content-Type)`.
    Absent,
    Is(&'static str),
}

struct Case {
    java: &'static str,
    method: &'static str,
    verb: &'static str,
    path: &'static str,
    auth: &'static [(&'static str, V)],
    accept_encoding: Option<&'static str>,
    /// Entity (Content-Type, Content-Encoding).
    content: Option<(&'static str, Option<&'static str>)>,
    body: Body,
    status: u16,
    realm: Option<&'static str>,
    content_type: Ct,
    accept_ranges: Option<&'static str>,
    no_cache: bool,
}

#[allow(clippy::too_many_arguments)]
const fn case(
    java: &'static str,
    method: &'static str,
    verb: &'static str,
    path: &'static str,
    auth: &'static [(&'static str, V)],
    accept_encoding: Option<&'static str>,
    content: Option<(&'static str, Option<&'static str>)>,
    body: Body,
    status: u16,
    realm: Option<&'static str>,
    content_type: Ct,
    accept_ranges: Option<&'static str>,
    no_cache: bool,
) -> Case {
    Case {
        java,
        method,
        verb,
        path,
        auth,
        accept_encoding,
        content,
        body,
        status,
        realm,
        content_type,
        accept_ranges,
        no_cache,
    }
}

/// Every replayed case: (Java file under src/test/java/fr/gipmds/dsn/test/, method, verb, path,
/// Authorization map, Accept-Encoding, entity, body, status, realm, Content-Type,
/// Accept-Ranges, Cache-Control: no-cache asserted).
#[rustfmt::skip]
const CASES: &[Case] = &[
    case("TelechargerRetourMsaTest.java", "telecharger200TextPlainTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("text/plain"), None, true),
    case("TelechargerRetourMsaTest.java", "telecharger200ApplicationXmlTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, false),
    case("TelechargerRetourMsaTest.java", "telecharger200AcceptEncodingGZIPTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], Some("gzip"), None, Body::None, 200, None, Ct::Is("text/plain"), None, true),
    case("TelechargerRetourMsaTest.java", "telecharger406AcceptEncodingMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], Some("deflate"), None, Body::None, 406, None, Ct::Any, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger422IdFluxTropLongTest", "GET", "/telecharger-retour/1.0/012345678901234567890123456789012345678901234567890/purge", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger422IdRetourTropLongTest", "GET", "/telecharger-retour/1.0/0123456789/01234567891", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger404IdFluxInconnuTest", "GET", "/telecharger-retour/1.0/inconnu/23456", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger404IdRetourInconnuTest", "GET", "/telecharger-retour/1.0/0123456789/inconnu", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger404RetourPurgeTest", "GET", "/telecharger-retour/1.0/abcdefghij/purge", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger404ParametreManquantTest", "GET", "/telecharger-retour/1.0/0123456789", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401AUTHORIZATIONMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Any, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401AUTHORIZATIONManquantTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401JETONMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401CONCENTRATEURMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401JETONNullTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401CONCENTRATEURNullTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401JETONNonInscritTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401CONCENTRATEURNonInscritTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401JETONPasEnBase64Test", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger401CONCENTRATEURPasEnBase64Test", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourMsaTest.java", "telecharger500Test", "GET", "/telecharger-retour/1.0/kaboom/kaboom", &[("jeton", V::KitDeclarant)], None, None, Body::None, 500, None, Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger200TextPlainTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("text/plain"), None, true),
    case("TelechargerRetourNetETest.java", "telecharger200ApplicationXmlTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, false),
    case("TelechargerRetourNetETest.java", "telecharger200AcceptEncodingGZIPTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], Some("gzip"), None, Body::None, 200, None, Ct::Is("text/plain"), None, true),
    case("TelechargerRetourNetETest.java", "telecharger406AcceptEncodingMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], Some("deflate"), None, Body::None, 406, None, Ct::Any, None, false),
    case("TelechargerRetourNetETest.java", "telecharger422IdFluxTropLongTest", "GET", "/telecharger-retour/1.0/012345678901234567890123456789012345678901234567890/purge", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger422IdRetourTropLongTest", "GET", "/telecharger-retour/1.0/0123456789/01234567891", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger404IdFluxInconnuTest", "GET", "/telecharger-retour/1.0/inconnu/23456", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger404IdRetourInconnuTest", "GET", "/telecharger-retour/1.0/0123456789/inconnu", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger404RetourPurgeTest", "GET", "/telecharger-retour/1.0/abcdefghij/purge", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger404ParametreManquantTest", "GET", "/telecharger-retour/1.0/0123456789", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401AUTHORIZATIONMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Any, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401AUTHORIZATIONManquantTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401JETONMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401CONCENTRATEURMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401JETONNullTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401CONCENTRATEURNullTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401JETONNonInscritTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401CONCENTRATEURNonInscritTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401JETONPasEnBase64Test", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger401CONCENTRATEURPasEnBase64Test", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("TelechargerRetourNetETest.java", "telecharger500Test", "GET", "/telecharger-retour/1.0/kaboom/kaboom", &[("jeton", V::KitDeclarant)], None, None, Body::None, 500, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier200ConcentrateurTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("18751249600022"), Some("CTR2000"), Some("concentrateur"), Some("azerty"), Some("98")]), 200, None, Ct::Is("application/octet-stream"), None, false),
    case("auth/AuthentifierNetETest.java", "authentifier406ConcentrateurAcceptEncodingMauvaisTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("18751249600022"), Some("CTR2000"), Some("concentrateur"), Some("azerty"), Some("98")]), 200, None, Ct::Is("application/octet-stream"), None, false),
    case("auth/AuthentifierNetETest.java", "authentifier401ConcentrateurErreurAuthentificationTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300015"), Some("concentrateur"), Some("concentrateur"), Some("qwerty42"), Some("98")]), 401, Some(r#"Basic realm="net-entreprises.fr""#), Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier401ConcentrateurNonInscritTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300325"), Some("concentrateur"), Some("concentrateur"), Some("Refonte01"), Some("98")]), 401, Some(r#"Basic realm="net-entreprises.fr""#), Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier200DeclarantRGTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300015"), Some("declarant"), Some("declarant"), Some("Refonte01"), Some("97")]), 200, None, Ct::Is("application/octet-stream"), None, false),
    case("auth/AuthentifierNetETest.java", "authentifier200DeclarantRATest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300015"), Some("declarant"), Some("declarant"), Some("Refonte01"), Some("94")]), 200, None, Ct::Is("application/octet-stream"), None, false),
    case("auth/AuthentifierNetETest.java", "authentifier401DeclarantErreurAuthentificationTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300325"), Some("declarant"), Some("declarant"), Some("Refonte01"), Some("94")]), 401, Some(r#"Basic realm="net-entreprises.fr""#), Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier401DeclarantNonInscritTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300325"), Some("declarant"), Some("declarant"), Some("Refonte01"), Some("97")]), 401, Some(r#"Basic realm="net-entreprises.fr""#), Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422SiretNullTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([None, Some("declarant"), Some("declarant"), Some("Refonte01"), Some("97")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422SiretTropCourtTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000"), Some("concentrateur"), Some("concentrateur"), Some("Refonte01"), Some("98")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422SiretTropLongTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("999000003000154563258951"), Some("declarant"), Some("declarant"), Some("Refonte01"), Some("94")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422NomNullTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300015"), None, Some("concentrateur"), Some("Refonte01"), Some("98")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422NomTropLongTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300015"), Some("declarant123456789abcdefghijklklklklklklklklklklklklklklklklklklk"), Some("declarant"), Some("Refonte01"), Some("94")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422PrenomNullTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("12345678901234"), Some("CTR2000"), None, Some("azerty42"), Some("98")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422PrenomTropLongTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300015"), Some("declarant"), Some("declarant123456789lklklklklklklklklklklk"), Some("Refonte01"), Some("97")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422MotdepasseNullTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("12345678901234"), Some("CTR2000"), Some("concentrateur"), None, Some("98")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422MotdepasseTropLongTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300015"), Some("declarant"), Some("declarant"), Some("Refonte01457896sgggggggggggggggggggggggggg"), Some("97")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422ServiceNullTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("12345678901234"), Some("CTR2000"), Some("concentrateur"), Some("azerty42"), None]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier422ServiceTropLongTest", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("99900000300015"), Some("concentrateur"), Some("concentrateur"), Some("Refonte01"), Some("007")]), 422, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier415ContentTypeMauvaisTest", "POST", "/authentifier/1.0/", &[], None, Some(("text/plain", None)), Body::Auth([Some("12345678901234"), Some("CTR2000"), Some("concentrateur"), Some("azerty42"), Some("98")]), 415, None, Ct::Absent, None, false),
    case("auth/AuthentifierNetETest.java", "authentifier500Test", "POST", "/authentifier/1.0/", &[], None, Some(("application/xml", None)), Body::Auth([Some("12345677894563"), Some("kaboom"), Some("kaboom"), Some("kaboom"), Some("17")]), 500, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer415ContentEncodingManquantTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", None)), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer415ContentEncodingMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("deflate"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer400NoBodyTest", "POST", "/deposer-dsn/1.0/", &[], None, Some(("text/plain", Some("gzip"))), Body::None, 400, None, Ct::Any, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer406AcceptEncodingMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], Some("deflate"), Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 406, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer415ContentTypeMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("application/xml", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer200Test", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 200, None, Ct::Is("application/xml"), None, false),
    case("depot/DeposerDsnMSATest.java", "deposer200AcceptEncodingGZIPTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], Some("gzip"), Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 200, None, Ct::Is("application/xml"), None, false),
    case("depot/DeposerDsnMSATest.java", "deposer422AvisDeRejetTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S11 VGhpcyBpcyBhbiBBRUU"), 422, None, Ct::Is("application/xml"), None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401AUTHORIZATIONMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("declarent", V::Raw("SNP"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401AUTHORIZATIONManquantTest", "POST", "/deposer-dsn/1.0/", &[], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401JETONMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::B64("Not a valid token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401CONCENTRATEURMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::B64("Not a valid token")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401DECLARANTMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401JETONNullTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::Raw("null"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401CONCENTRATEURNullTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401DECLARANTNullTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401JETONNonInscritTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarantNonInscrit)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401DECLARANTNonInscritTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401CONCENTRATEURNonInscritTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401JETONPasEnBase64Test", "POST", "/deposer-dsn/1.0/", &[("jeton", V::Raw("Not+a+base+64+token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401CONCENTRATEURPasEnBase64Test", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer401DECLARANTPasEnBase64Test", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest.java", "deposer500Test", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 KABOOM"), 500, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer415ContentEncodingManquantTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", None)), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer415ContentEncodingMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("deflate"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer400NoBodyTest", "POST", "/deposer-dsn/2.0/", &[], None, Some(("text/plain", Some("gzip"))), Body::None, 400, None, Ct::Any, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer406AcceptEncodingMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], Some("deflate"), Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 406, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer415ContentTypeMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("application/json", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer200Test", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 200, None, Ct::Is("application/json"), None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer200AcceptEncodingGZIPTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], Some("gzip"), Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 200, None, Ct::Is("application/json"), None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer422AvisDeRejetTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S11 VGhpcyBpcyBhbiBBRUU"), 422, None, Ct::Is("application/json"), None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401AUTHORIZATIONMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("declarent", V::Raw("SNP"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401AUTHORIZATIONManquantTest", "POST", "/deposer-dsn/2.0/", &[], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401JETONMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::B64("Not a é valid token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401CONCENTRATEURMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401DECLARANTMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401JETONNullTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::Raw("null"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401CONCENTRATEURNullTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401DECLARANTNullTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401JETONNonInscritTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarantNonInscrit)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401DECLARANTNonInscritTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401CONCENTRATEURNonInscritTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401JETONPasEnBase64Test", "POST", "/deposer-dsn/2.0/", &[("jeton", V::Raw("Not+a+base+64+token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401CONCENTRATEURPasEnBase64Test", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer401DECLARANTPasEnBase64Test", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnMSATest2.java", "deposer500Test", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 KABOOM"), 500, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer415ContentEncodingManquantTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", None)), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer415ContentEncodingMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("deflate"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer400NoBodyTest", "POST", "/deposer-dsn/1.0/", &[], None, Some(("text/plain", Some("gzip"))), Body::None, 400, None, Ct::Any, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer406AcceptEncodingMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], Some("deflate"), Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 406, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer415ContentTypeMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("application/xml", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer200Test", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 200, None, Ct::Is("application/xml"), None, false),
    case("depot/DeposerDsnNetETest.java", "deposer200AcceptEncodingGZIPTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], Some("gzip"), Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 200, None, Ct::Is("application/xml"), None, false),
    case("depot/DeposerDsnNetETest.java", "deposer422AvisDeRejetTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S11 VGhpcyBpcyBhbiBBRUU"), 422, None, Ct::Is("application/xml"), None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401AUTHORIZATIONMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("declarent", V::Raw("SNP"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401AUTHORIZATIONManquantTest", "POST", "/deposer-dsn/1.0/", &[], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401JETONMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::B64("Not a é valid token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401CONCENTRATEURMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401DECLARANTMauvaisTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401JETONNullTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::Raw("null"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401CONCENTRATEURNullTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401DECLARANTNullTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401JETONNonInscritTest", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarantNonInscrit)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401DECLARANTNonInscritTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401CONCENTRATEURNonInscritTest", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401JETONPasEnBase64Test", "POST", "/deposer-dsn/1.0/", &[("jeton", V::Raw("Not+a+base+64+token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401CONCENTRATEURPasEnBase64Test", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer401DECLARANTPasEnBase64Test", "POST", "/deposer-dsn/1.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest.java", "deposer500Test", "POST", "/deposer-dsn/1.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 KABOOM"), 500, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer415ContentEncodingManquantTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", None)), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer415ContentEncodingMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("deflate"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer400NoBodyTest", "POST", "/deposer-dsn/2.0/", &[], None, Some(("text/plain", Some("gzip"))), Body::None, 400, None, Ct::Any, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer406AcceptEncodingMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], Some("deflate"), Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 406, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer415ContentTypeMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("application/json", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 415, None, Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer200Test", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 200, None, Ct::Is("application/json"), None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer200AcceptEncodingGZIPTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], Some("gzip"), Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 200, None, Ct::Is("application/json"), None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer422AvisDeRejetTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S11 VGhpcyBpcyBhbiBBRUU"), 422, None, Ct::Is("application/json"), None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401AUTHORIZATIONMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("declarent", V::Raw("SNP"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401AUTHORIZATIONManquantTest", "POST", "/deposer-dsn/2.0/", &[], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401JETONMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::B64("Not a é valid token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401CONCENTRATEURMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401DECLARANTMauvaisTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401JETONNullTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::Raw("null"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401CONCENTRATEURNullTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401DECLARANTNullTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401JETONNonInscritTest", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarantNonInscrit)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401DECLARANTNonInscritTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401CONCENTRATEURNonInscritTest", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401JETONPasEnBase64Test", "POST", "/deposer-dsn/2.0/", &[("jeton", V::Raw("Not+a+base+64+token"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401CONCENTRATEURPasEnBase64Test", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer401DECLARANTPasEnBase64Test", "POST", "/deposer-dsn/2.0/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 VGhpcyBpcyBhbiBBRUU"), 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("depot/DeposerDsnNetETest2.java", "deposer500Test", "POST", "/deposer-dsn/2.0/", &[("jeton", V::KitDeclarant)], None, Some(("text/plain", Some("gzip"))), Body::Dsn("S10 KABOOM"), 500, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher404PlageManquanteTest", "GET", "/lister-depots/1.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-depots/1.0/120000/20130101130000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-depots/1.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-depots/1.0/20130101120000/20130101140000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-depots/1.0/{now-9m}", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-10"), true),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher200Test", "GET", "/lister-depots/1.0/20130101120000/20130101121000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-10"), true),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101121000", &[("concentrator", V::Raw("\"ctr\""))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-depots/1.0/20130101120000/20130101121000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101121000", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-depots/1.0/20130101120000/20130101121000", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-depots/1.0/20130101120000/20130101121000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101121000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-depots/1.0/20130101120000/20130101121000", &[("concentrateur", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher404PlageManquanteTest", "GET", "/lister-depots/2.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-depots/2.0/120000/20130101130000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-depots/2.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-depots/2.0/20130101120000/20130101140000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-depots/2.0/{now-9m}", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-10"), true),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher200Test", "GET", "/lister-depots/2.0/20130101120000/20130101121000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-10"), true),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101121000", &[("concentrator", V::Raw("\"ctr\""))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-depots/2.0/20130101120000/20130101121000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101121000", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-depots/2.0/20130101120000/20130101121000", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-depots/2.0/20130101120000/20130101121000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101121000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParConcentrateurTest2.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-depots/2.0/20130101120000/20130101121000", &[("concentrateur", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher404PasDePlageTest", "GET", "/lister-depots/1.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-depots/1.0/120000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-depots/1.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher200ParDeclarantTest", "GET", "/lister-depots/1.0/{now-59m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Any, Some("minutes=0-60"), true),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-depots/1.0/20130101120000/20130101140000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-depots/1.0/{now-59m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401JETONMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401JETONNullTest", "GET", "/lister-depots/1.0/20130101120000", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401DECLARANTNullTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401JETONNonInscritTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher404PasDePlageTest", "GET", "/lister-depots/2.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-depots/2.0/120000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-depots/2.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher200ParDeclarantTest", "GET", "/lister-depots/2.0/{now-59m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-depots/2.0/20130101120000/20130101140000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-depots/2.0/{now-30m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401JETONMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401JETONNullTest", "GET", "/lister-depots/2.0/20130101120000", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401DECLARANTNullTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401JETONNonInscritTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantMsaTest2.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher404PasDePlageTest", "GET", "/lister-depots/1.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-depots/1.0/120000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-depots/1.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher200ParDeclarantTest", "GET", "/lister-depots/1.0/{now-59m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-depots/1.0/20130101120000/20130101140000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-depots/1.0/{now-59m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401JETONMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401JETONNullTest", "GET", "/lister-depots/1.0/20130101120000", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401DECLARANTNullTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401JETONNonInscritTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-depots/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher404PasDePlageTest", "GET", "/lister-depots/2.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-depots/2.0/120000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-depots/2.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher200ParDeclarantTest", "GET", "/lister-depots/2.0/{now-59m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-depots/2.0/20130101120000/20130101140000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-depots/2.0/{now-30m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401JETONMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401JETONNullTest", "GET", "/lister-depots/2.0/20130101120000", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401DECLARANTNullTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401JETONNonInscritTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/depot/RechercherDepotsParDeclarantTest2.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-depots/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher404PlageManquanteTest", "GET", "/lister-bpij-concentrateur/1.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-bpij-concentrateur/1.0/120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-bpij-concentrateur/1.0/20130101/2013", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401JETONMauvaisTest", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401JETONNullTest", "GET", "/lister-bpij-concentrateur/1.0/20130101", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher200ExempleReponse", "GET", "/lister-bpij-concentrateur/1.0/20130101/20130101", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursBpijParConcentrateurTest.java", "rechercher200ExempleReponseVide", "GET", "/lister-bpij-concentrateur/1.0/{today}", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher404PlageManquanteTest", "GET", "/lister-bpij-declarant/1.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-bpij-declarant/1.0/120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-bpij-declarant/1.0/20130101/2013", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401JETONMauvaisTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401JETONNullTest", "GET", "/lister-bpij-declarant/1.0/20130101", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401DECLARANTNullTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401JETONNonInscritTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher200ExempleReponse", "GET", "/lister-bpij-declarant/1.0/20130101/20130101", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursBpijParDeclarantTest.java", "rechercher200ExempleReponseVide", "GET", "/lister-bpij-declarant/1.0/{today}", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher404PlageManquanteTest", "GET", "/lister-retours-concentrateur/1.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-retours-concentrateur/1.0/120000/20130101130000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101140000", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-retours-concentrateur/1.0/{now-9m}", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-10"), false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher200Test", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101121000", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-10"), true),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101121000", &[("concentrator", V::Raw("\"ctr\""))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101121000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101121000", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101121000", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101121000", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101121000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-concentrateur/1.0/20130101120000/20130101121000", &[("concentrateur", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher404PlageManquanteTest", "GET", "/lister-retours-concentrateur/2.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-retours-concentrateur/2.0/120000/20130101130000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101140000", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-retours-concentrateur/2.0/{now-9m}", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-10"), true),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher200Test", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101121000", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-10"), true),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101121000", &[("concentrator", V::Raw("\"ctr\""))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101121000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101121000", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101121000", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101121000", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101121000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParConcentrateurTest2.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-concentrateur/2.0/20130101120000/20130101121000", &[("concentrateur", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher404PasDePlageTest", "GET", "/lister-retours-declarant/1.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-retours-declarant/1.0/120000/20130101130000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher200ParDeclarantTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101140000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-retours-declarant/1.0/{now-30m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher200ParConcentrateurTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401JETONMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401JETONNullTest", "GET", "/lister-retours-declarant/1.0/20130101120000", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401DECLARANTNullTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401JETONNonInscritTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher404PasDePlageTest", "GET", "/lister-retours-declarant/2.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-retours-declarant/2.0/120000/20130101130000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher200ParDeclarantTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101140000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-retours-declarant/2.0/{now-30m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher200ParConcentrateurTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401JETONMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401JETONNullTest", "GET", "/lister-retours-declarant/2.0/20130101120000", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401DECLARANTNullTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401JETONNonInscritTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantMsaTest2.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher404PasDePlageTest", "GET", "/lister-retours-declarant/1.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-retours-declarant/1.0/120000/20130101130000", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher200ParDeclarantTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101140000", &[("jeton", V::KitDeclarant)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-retours-declarant/1.0/{now-30m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher200ParConcentrateurTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/xml"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401JETONMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401JETONNullTest", "GET", "/lister-retours-declarant/1.0/20130101120000", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401DECLARANTNullTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401JETONNonInscritTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-retours-declarant/1.0/20130101120000/20130101130000", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher404PasDePlageTest", "GET", "/lister-retours-declarant/2.0/", &[], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher422PlageMauvaisDebutTest", "GET", "/lister-retours-declarant/2.0/120000/20130101130000/", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher422PlageMauvaiseFinTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101/", &[], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher200ParDeclarantTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher429PlageTropGrandeTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101140000/", &[("jeton", V::KitDeclarant)], None, None, Body::None, 429, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher200DebutDePlageSeulementTest", "GET", "/lister-retours-declarant/2.0/{now-30m}", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher200ParConcentrateurTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(false))], None, None, Body::None, 200, None, Ct::Is("application/json"), Some("minutes=0-60"), true),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401AUTHORIZATIONMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401AUTHORIZATIONManquantTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401JETONMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::B64("Not a é valid token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401DECLARANTMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::B64("Not a valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401JETONNullTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::Raw("null")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401DECLARANTNullTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401JETONNonInscritTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401DECLARANTNonInscritTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Snp(true))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::KitConcentrateurNonInscrit), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher406ACCEPT_ENCODINGMauvaisTest", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("jeton", V::Raw("Not+a+base+64+token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::Raw("Not+a+base+64+token")), ("declarant", V::Snp(false))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParDeclarantNetETest2.java", "rechercher401DECLARANTPasEnBase64Test", "GET", "/lister-retours-declarant/2.0/20130101120000/20130101130000/", &[("concentrateur", V::KitConcentrateur), ("declarant", V::Raw("98765432109876;declarant;declarant"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher200ParDeclarantTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher200VideTest", "GET", "/lister-retours-flux/1.0/pasderetours", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher200ParConcentrateurTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher200AcceptEncodingGZIPTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::KitDeclarant)], Some("gzip"), None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher406AcceptEncodingMauvaisTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::KitDeclarant)], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher422IdFluxTropLongTest", "GET", "/lister-retours-flux/1.0/012345678901234567890123456789012345678901234567890", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher404IdFluxInconnuTest", "GET", "/lister-retours-flux/1.0/23456", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401JETONMauvaisTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401JETONNullTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::Raw("Not+a+base64+toekn%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401JETONNonInscritTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401AUTHORIZATIONEnteteManquantTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher401AUTHORIZATIONMauvaisEnteteTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest.java", "rechercher500Test", "GET", "/lister-retours-flux/1.0/kaboom", &[("jeton", V::KitDeclarant)], None, None, Body::None, 500, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher200ParDeclarantTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), None, true),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher200VideTest", "GET", "/lister-retours-flux/2.0/pasderetours", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), None, true),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher200ParConcentrateurTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 200, None, Ct::Is("application/json"), None, true),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher200AcceptEncodingGZIPTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::KitDeclarant)], Some("gzip"), None, Body::None, 200, None, Ct::Is("application/json"), None, true),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher406AcceptEncodingMauvaisTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::KitDeclarant)], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher422IdFluxTropLongTest", "GET", "/lister-retours-flux/2.0/012345678901234567890123456789012345678901234567890", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher404IdFluxInconnuTest", "GET", "/lister-retours-flux/2.0/23456", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401JETONMauvaisTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401JETONNullTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::Raw("Not+a+base64+toekn%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401JETONNonInscritTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401AUTHORIZATIONEnteteManquantTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher401AUTHORIZATIONMauvaisEnteteTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxMsaTest2.java", "rechercher500Test", "GET", "/lister-retours-flux/2.0/kaboom", &[("jeton", V::KitDeclarant)], None, None, Body::None, 500, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher200ParDeclarantTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher200VideTest", "GET", "/lister-retours-flux/1.0/pasderetours", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher200ParConcentrateurTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher200AcceptEncodingGZIPTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::KitDeclarant)], Some("gzip"), None, Body::None, 200, None, Ct::Is("application/xml"), None, true),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher406AcceptEncodingMauvaisTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::KitDeclarant)], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher422IdFluxTropLongTest", "GET", "/lister-retours-flux/1.0/012345678901234567890123456789012345678901234567890", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher404IdFluxInconnuTest", "GET", "/lister-retours-flux/1.0/23456", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401JETONMauvaisTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401JETONNullTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::Raw("Not+a+base64+toekn%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401JETONNonInscritTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401AUTHORIZATIONEnteteManquantTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher401AUTHORIZATIONMauvaisEnteteTest", "GET", "/lister-retours-flux/1.0/abcdefghij", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest.java", "rechercher500Test", "GET", "/lister-retours-flux/1.0/kaboom", &[("jeton", V::KitDeclarant)], None, None, Body::None, 500, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher200ParDeclarantTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), None, true),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher200VideTest", "GET", "/lister-retours-flux/2.0/pasderetours", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/json"), None, true),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher200ParConcentrateurTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::KitConcentrateur)], None, None, Body::None, 200, None, Ct::Is("application/json"), None, true),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher200AcceptEncodingGZIPTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::KitDeclarant)], Some("gzip"), None, Body::None, 200, None, Ct::Is("application/json"), None, true),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher406AcceptEncodingMauvaisTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::KitDeclarant)], Some("deflate"), None, Body::None, 406, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher422IdFluxTropLongTest", "GET", "/lister-retours-flux/2.0/012345678901234567890123456789012345678901234567890", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher404IdFluxInconnuTest", "GET", "/lister-retours-flux/2.0/23456", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401CONCENTRATEURMauvaisTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401JETONMauvaisTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401JETONNullTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401JETONPasEnBase64Test", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::Raw("Not+a+base64+toekn%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401CONCENTRATEURPasEnBase64Test", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401CONCENTRATEURNonInscritTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401CONCENTRATEURNullTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401JETONNonInscritTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401AUTHORIZATIONEnteteManquantTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher401AUTHORIZATIONMauvaisEnteteTest", "GET", "/lister-retours-flux/2.0/abcdefghij", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("recherche/retour/RechercherRetoursParFluxNetETest2.java", "rechercher500Test", "GET", "/lister-retours-flux/2.0/kaboom", &[("jeton", V::KitDeclarant)], None, None, Body::None, 500, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger200TextPlainTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("text/plain"), None, true),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger200ApplicationXmlTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger200AcceptEncodingGZIPTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], Some("gzip"), None, Body::None, 200, None, Ct::Is("text/plain"), None, true),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger406AcceptEncodingMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], Some("deflate"), None, Body::None, 406, None, Ct::Any, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger422IdFluxTropLongTest", "GET", "/telecharger-retour/1.0/012345678901234567890123456789012345678901234567890/purge", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger422IdRetourTropLongTest", "GET", "/telecharger-retour/1.0/0123456789/01234567891", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger404IdFluxInconnuTest", "GET", "/telecharger-retour/1.0/inconnu/23456", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger404IdRetourInconnuTest", "GET", "/telecharger-retour/1.0/0123456789/inconnu", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger404RetourPurgeTest", "GET", "/telecharger-retour/1.0/abcdefghij/purge", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger404ParametreManquantTest", "GET", "/telecharger-retour/1.0/0123456789", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401AUTHORIZATIONMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Any, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401AUTHORIZATIONManquantTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401JETONMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401CONCENTRATEURMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401JETONNullTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401CONCENTRATEURNullTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401JETONNonInscritTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401CONCENTRATEURNonInscritTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401JETONPasEnBase64Test", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger401CONCENTRATEURPasEnBase64Test", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourMsaTest.java", "telecharger500Test", "GET", "/telecharger-retour/1.0/kaboom/kaboom", &[("jeton", V::KitDeclarant)], None, None, Body::None, 500, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger200TextPlainTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("text/plain"), None, true),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger200ApplicationXmlTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::KitDeclarant)], None, None, Body::None, 200, None, Ct::Is("application/xml"), None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger200AcceptEncodingGZIPTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], Some("gzip"), None, Body::None, 200, None, Ct::Is("text/plain"), None, true),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger406AcceptEncodingMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/12345", &[("jeton", V::KitDeclarant)], Some("deflate"), None, Body::None, 406, None, Ct::Any, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger422IdFluxTropLongTest", "GET", "/telecharger-retour/1.0/012345678901234567890123456789012345678901234567890/purge", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger422IdRetourTropLongTest", "GET", "/telecharger-retour/1.0/0123456789/01234567891", &[("jeton", V::KitDeclarant)], None, None, Body::None, 422, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger404IdFluxInconnuTest", "GET", "/telecharger-retour/1.0/inconnu/23456", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger404IdRetourInconnuTest", "GET", "/telecharger-retour/1.0/0123456789/inconnu", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger404RetourPurgeTest", "GET", "/telecharger-retour/1.0/abcdefghij/purge", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger404ParametreManquantTest", "GET", "/telecharger-retour/1.0/0123456789", &[("jeton", V::KitDeclarant)], None, None, Body::None, 404, None, Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401AUTHORIZATIONMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("declarent", V::Raw("SNP"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Any, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401AUTHORIZATIONManquantTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401JETONMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401CONCENTRATEURMauvaisTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::B64("Not a é valid token"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401JETONNullTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401CONCENTRATEURNullTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::Raw("null"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401JETONNonInscritTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::KitDeclarantNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401CONCENTRATEURNonInscritTest", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::KitConcentrateurNonInscrit)], None, None, Body::None, 401, Some(r#"DSNLogin realm="Utilisateur non-inscrit au service""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401JETONPasEnBase64Test", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("jeton", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger401CONCENTRATEURPasEnBase64Test", "GET", "/telecharger-retour/1.0/abcdefghij/65432", &[("concentrateur", V::Raw("Not+a+base+64+token%21"))], None, None, Body::None, 401, Some(r#"DSNLogin realm="Jeton manquant ou invalide""#), Ct::Absent, None, false),
    case("telechargement/retour/TelechargerRetourNetETest.java", "telecharger500Test", "GET", "/telecharger-retour/1.0/kaboom/kaboom", &[("jeton", V::KitDeclarant)], None, None, Body::None, 500, None, Ct::Absent, None, false),
];

/// The sandbox binary on a free loopback port, killed on drop.
struct Peer {
    child: Child,
    port: u16,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn start_peer(scenario: &str) -> Peer {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("scenario.toml");
    std::fs::write(&scen, scenario).unwrap();
    let ca = dir.path().join("ca.pem");
    let port = free_port();
    let child = Command::new(common::SANDBOX_BIN)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--scenario")
        .arg(&scen)
        .arg("--ca-out")
        .arg(&ca)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ijgate sandbox");
    let peer = Peer {
        child,
        port,
        ca,
        _dir: dir,
    };
    assert!(
        common::wait_until(Duration::from_secs(20), || {
            peer.ca.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        }),
        "sandbox did not start"
    );
    peer
}

impl Peer {
    fn base(&self) -> String {
        format!("https://localhost:{}/", self.port)
    }

    /// A raw HTTPS client: no automatic Accept-Encoding (the kit's cases set it or not).
    fn raw(&self) -> reqwest::Client {
        install_crypto_provider();
        let pem = std::fs::read(&self.ca).unwrap();
        reqwest::Client::builder()
            .no_gzip()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
            .build()
            .unwrap()
    }

    /// `GET /sandbox/stats`.
    async fn stats(&self) -> serde_json::Value {
        let r = self
            .raw()
            .get(format!("{}sandbox/stats", self.base()))
            .send()
            .await
            .unwrap();
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
    }

    fn client(&self, f: impl FnOnce(&mut NetEntConfig)) -> NetEntClient {
        // kit: services/auth/ServiceAuthentificationNetEImpl.java — the fixture declarant account.
        let mut cfg = NetEntConfig::for_base(
            &self.base(),
            "99900000300015",
            "declarant",
            "declarant",
            "Refonte01",
        );
        cfg.ca_file = Some(self.ca.clone());
        cfg.request_timeout = Duration::from_secs(10);
        f(&mut cfg);
        NetEntClient::new(cfg).unwrap()
    }
}

/// "Now" as the sandbox reads it (French local time).
fn paris_now() -> chrono::NaiveDateTime {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

fn expand(path: &str) -> String {
    let now = paris_now();
    let mut out = path.replace("{today}", &now.format("%Y%m%d").to_string());
    while let Some(start) = out.find("{now-") {
        let end = start + out[start..].find("m}").expect("placeholder");
        let minutes: i64 = out[start + 5..end].parse().expect("minutes");
        let t = now - chrono::Duration::minutes(minutes);
        out.replace_range(start..end + 2, &t.format("%Y%m%d%H%M%S").to_string());
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn auth_body(f: &[Option<&str>; 5]) -> String {
    let mut x = String::from("<identifiants>");
    for (name, v) in ["siret", "nom", "prenom", "motdepasse", "service"]
        .iter()
        .zip(f)
    {
        if let Some(v) = v {
            x.push_str(&format!("<{name}>{v}</{name}>"));
        }
    }
    x.push_str("</identifiants>");
    x
}

/// Checks the answer to one case; returns the mismatches.
async fn replay(http: &reqwest::Client, base: &str, c: &Case) -> Vec<String> {
    let url = format!("{}{}", base.trim_end_matches('/'), expand(c.path));
    let mut rb = match c.verb {
        "POST" => http.post(&url),
        _ => http.get(&url),
    };
    if !c.auth.is_empty() {
        let pairs: Vec<String> = c
            .auth
            .iter()
            .map(|(k, v)| format!("{k}={}", v.render()))
            .collect();
        rb = rb.header("Authorization", format!("DSNLogin {}", pairs.join(",")));
    }
    if let Some(ae) = c.accept_encoding {
        rb = rb.header("Accept-Encoding", ae);
    }
    if let Some((ct, enc)) = c.content {
        rb = rb.header("Content-Type", ct);
        if let Some(enc) = enc {
            rb = rb.header("Content-Encoding", enc);
        }
    }
    rb = match c.body {
        Body::None => rb,
        Body::Dsn(text) => match c.content {
            Some((_, Some("gzip"))) => rb.body(gzip(text.as_bytes())),
            _ => rb.body(text.as_bytes().to_vec()),
        },
        Body::Auth(f) => rb.body(auth_body(&f)),
    };
    let resp = match rb.send().await {
        Ok(r) => r,
        Err(e) => return vec![format!("request failed: {e}")],
    };
    let mut bad = Vec::new();
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    let hv = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let raw = resp.bytes().await.unwrap_or_default().to_vec();
    let body = if hv("content-encoding").as_deref() == Some("gzip") {
        gunzip(&raw)
    } else {
        raw
    };
    if status != c.status {
        bad.push(format!("status {status}, kit {}", c.status));
        return bad;
    }
    if let Some(realm) = c.realm
        && hv("www-authenticate").as_deref() != Some(realm)
    {
        bad.push(format!(
            "WWW-Authenticate {:?}, kit {realm:?}",
            hv("www-authenticate")
        ));
    }
    let ct = hv("content-type");
    match c.content_type {
        Ct::Any => {}
        Ct::Absent if ct.is_some() => bad.push(format!("Content-Type {ct:?}, kit none")),
        Ct::Absent => {}
        Ct::Is(x) => {
            let essence = ct
                .as_deref()
                .map(|v| v.split(';').next().unwrap_or_default().trim());
            if essence != Some(x) {
                bad.push(format!("Content-Type {ct:?}, kit {x:?}"));
            }
        }
    }
    if let Some(r) = c.accept_ranges
        && hv("accept-ranges").as_deref() != Some(r)
    {
        bad.push(format!(
            "Accept-Ranges {:?}, kit {r:?}",
            hv("accept-ranges")
        ));
    }
    if c.no_cache && hv("cache-control").as_deref() != Some("no-cache") {
        bad.push(format!(
            "Cache-Control {:?}, kit no-cache",
            hv("cache-control")
        ));
    }
    if status == 200 {
        if hv("expires").is_none() {
            bad.push("no Expires on a 200 (kit: ExpiresHeaderFilter)".into());
        }
        bad.extend(check_shape(c, ct.as_deref(), &body));
    } else if c.status != 422 || !c.path.starts_with("/deposer-dsn") {
        // kit: error answers carry no entity (`assertEquals(0, actual.length())`).
        if !body.is_empty() {
            bad.push(format!("{} bytes of body on a {status}", body.len()));
        }
    } else if !matches!(
        DepositAnswer::parse(&body),
        Ok(DepositAnswer::Rejected { .. })
    ) {
        bad.push("422 deposit without an ARE (kit: TestData.are)".into());
    }
    bad
}

/// The body the kit's test reads back (readEntity + its assertions).
fn check_shape(c: &Case, ct: Option<&str>, body: &[u8]) -> Vec<String> {
    let mut bad = Vec::new();
    let format = || ListingFormat::detect(ct, body).map_err(|e| e.to_string());
    let p = c.path;
    if p.starts_with("/lister-retours-flux")
        || p.starts_with("/lister-retours-declarant")
        || p.starts_with("/lister-retours-concentrateur")
    {
        match format().and_then(|f| ReturnsListing::parse_as(f, body).map_err(|e| e.to_string())) {
            Ok(l) if p.ends_with("pasderetours") => {
                if !l.flux.is_empty() {
                    bad.push("pasderetours: flux not empty".into());
                }
            }
            Ok(l) => {
                if l.flux.first().map(|f| f.idflux.as_str()) != Some("abcdefghij")
                    || l.flux[0].retours.is_empty()
                {
                    bad.push(format!("flux[0] is not abcdefghij with returns: {l:?}"));
                }
            }
            Err(e) => bad.push(format!("listing unreadable: {e}")),
        }
    } else if p.starts_with("/lister-depots") {
        match format().and_then(|f| DepositsListing::parse_as(f, body).map_err(|e| e.to_string())) {
            Ok(l) => {
                if l.depots.len() != 2
                    || l.depots[0].idflux != "0123456789"
                    || l.siret.is_none()
                    || l.nom.is_none()
                    || l.prenom.is_none()
                {
                    bad.push(format!("deposits differ from TestData: {l:?}"));
                }
            }
            Err(e) => bad.push(format!("listing unreadable: {e}")),
        }
    } else if p.starts_with("/lister-bpij-") {
        match BpijListing::parse(body) {
            Ok(l) if c.path.contains("{today}") => {
                if l.links().count() != 0 {
                    bad.push("today: BPIJ links where the kit has none".into());
                }
            }
            Ok(l) => {
                if l.links().count() != 2 || l.page_total != Some(15) {
                    bad.push(format!("BPIJ listing differs from TestData: {l:?}"));
                }
            }
            Err(e) => bad.push(format!("BPIJ listing unreadable: {e}")),
        }
    } else if p.starts_with("/deposer-dsn") {
        if !matches!(
            DepositAnswer::parse(body),
            Ok(DepositAnswer::Accepted { .. })
        ) {
            bad.push("200 deposit without an AEE".into());
        }
    } else if p.ends_with("/12345") {
        if body != b"Ceci est un retour TXT" {
            bad.push("telecharger-retour 12345: not the kit's text".into());
        }
    } else if p.ends_with("/65432") {
        if !matches!(
            DepositAnswer::parse(body),
            Ok(DepositAnswer::Accepted { .. })
        ) {
            bad.push("telecharger-retour 65432: not the kit's AEE".into());
        }
    } else if p.starts_with("/authentifier") && body.is_empty() {
        bad.push("authentifier: empty token".into());
    }
    bad
}

/// A scenario where only ijgate's own test account authenticates, so that every other account
/// gets the kit's 401 (`Basic realm="net-entreprises.fr"`).
const KIT_SCENARIO: &str = r#"
[credentials]
siret = "12345678200010"
nom = "DUPONT"
prenom = "Anne"
password = "s3cret-pw"
"#;

#[tokio::test]
async fn sandbox_answers_every_kit_case() {
    let peer = start_peer(KIT_SCENARIO);
    let http = peer.raw();
    let mut failures = Vec::new();
    for c in CASES {
        let bad = replay(&http, &peer.base(), c).await;
        if !bad.is_empty() {
            failures.push(format!("{} {}: {}", c.java, c.method, bad.join("; ")));
        }
    }
    assert!(
        CASES.len() >= 528,
        "the table lost rows ({} cases)",
        CASES.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} kit cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// kit: TechnicalNetETest.noSSLTest — the service is HTTPS only.
#[tokio::test]
async fn sandbox_refuses_plain_http() {
    let peer = start_peer(KIT_SCENARIO);
    let plain = reqwest::Client::builder().build().unwrap();
    let r = plain
        .get(format!(
            "http://127.0.0.1:{}/telecharger-retour/1.0/abcdefghij/12345",
            peer.port
        ))
        .send()
        .await;
    assert!(r.is_err() || !r.unwrap().status().is_success());
}

fn kind(e: &NetEntError) -> &'static str {
    e.kind()
}

/// The client reads the kit's 2.0 JSON and 1.0 XML listings to the same values, and maps the
/// kit's per-flux answers (kit: ServiceRechercheParFlux{,2}.java, RechercherRetoursParFluxNetETest{,2}).
#[tokio::test]
async fn client_reads_kit_listings_in_both_versions() {
    let peer = start_peer(KIT_SCENARIO);
    let v2 = peer.client(|_| {});
    let v1 = peer.client(|c| c.listing_version = "1.0".into());
    let a = v2.list_returns_flux("abcdefghij").await.unwrap();
    let b = v1.list_returns_flux("abcdefghij").await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a.flux[0].idflux, "abcdefghij");
    assert_eq!(a.flux[0].retours.len(), 4);
    assert_eq!(a.flux[1].retours[0].ops.as_deref(), Some("AUMGM1"));
    // rechercher200VideTest
    assert!(
        v2.list_returns_flux("pasderetours")
            .await
            .unwrap()
            .flux
            .is_empty()
    );
    // rechercher404IdFluxInconnuTest: unknown flux.
    assert_eq!(v2.returns_of_flux("23456").await.unwrap(), None);
    assert_eq!(v1.returns_of_flux("23456").await.unwrap(), None);
    // rechercher500Test: transient.
    let e = v2.list_returns_flux("kaboom").await.unwrap_err();
    assert_eq!(kind(&e), "http_5xx");
    assert!(e.is_transient());
    // rechercher422IdFluxTropLongTest: refused before sending.
    let long = "012345678901234567890123456789012345678901234567890";
    assert_eq!(
        kind(&v2.list_returns_flux(long).await.unwrap_err()),
        "config"
    );

    // lister-retours-declarant and lister-depots (RechercherRetoursParDeclarantNetETest{,2},
    // RechercherDepotsParDeclarantTest{,2}): same values in JSON and XML.
    let now = paris_now();
    let from = now - chrono::Duration::minutes(59);
    let a = v2.list_returns_declarant(from, now).await.unwrap();
    assert_eq!(a, v1.list_returns_declarant(from, now).await.unwrap());
    assert_eq!(a.flux.len(), 2);
    let d = v2.list_deposits(from, now).await.unwrap();
    assert_eq!(d, v1.list_deposits(from, now).await.unwrap());
    assert_eq!(d.depots.len(), 2);
    assert_eq!(d.depots[1].statut, "KO");
    // rechercher429PlageTropGrandeTest: the client never asks for more than 60 minutes.
    let e = v2
        .list_deposits(from, from + chrono::Duration::minutes(61))
        .await
        .unwrap_err();
    assert_eq!(kind(&e), "window_too_large");
}

/// kit: TelechargerRetourNetETest — the download service's answers through the client.
#[tokio::test]
async fn client_downloads_as_the_kit_answers() {
    let peer = start_peer(KIT_SCENARIO);
    let c = peer.client(|_| {});
    let entry = |id: &str| ReturnEntry {
        id: Some(id.into()),
        nature: "10".into(),
        statut: "OK".into(),
        publication: None,
        production: None,
        url: None,
        ops: None,
        delegataire: None,
    };
    assert_eq!(
        c.download_return("abcdefghij", &entry("12345"))
            .await
            .unwrap(),
        b"Ceci est un retour TXT"
    );
    assert!(matches!(
        DepositAnswer::parse(
            &c.download_return("abcdefghij", &entry("65432"))
                .await
                .unwrap()
        ),
        Ok(DepositAnswer::Accepted { .. })
    ));
    for (flux, id, k) in [
        ("abcdefghij", "purge", "not_found"),
        ("inconnu", "23456", "not_found"),
        ("0123456789", "01234567891", "invalid_parameter"),
        ("kaboom", "kaboom", "http_5xx"),
    ] {
        let e = c.download_return(flux, &entry(id)).await.unwrap_err();
        assert_eq!(kind(&e), k, "{flux}/{id}");
    }
}

/// kit: DeposerDsnNetETest{,2} — AEE, ARE, 500 through the client (2.0 answers XML under
/// `Content-Type: application/json`, as the kit does).
#[tokio::test]
async fn client_deposits_as_the_kit_answers() {
    let peer = start_peer(KIT_SCENARIO);
    let c = peer.client(|_| {});
    assert!(matches!(
        c.deposit(b"S10 VGhpcyBpcyBhbiBBRUU").await.unwrap(),
        DepositAnswer::Accepted { .. }
    ));
    assert!(matches!(
        c.deposit(b"S11 VGhpcyBpcyBhbiBBRUU").await.unwrap(),
        DepositAnswer::Rejected { .. }
    ));
    let e = c.deposit(b"S10 KABOOM").await.unwrap_err();
    assert_eq!(kind(&e), "http_5xx");
    assert!(e.deposit_may_have_landed());
    // DeposerDsnNetETest (1.0, application/xml).
    let one = peer.client(|cfg| cfg.deposit_url = format!("{}deposer-dsn/1.0/", peer.base()));
    assert!(matches!(
        one.deposit(b"S10 VGhpcyBpcyBhbiBBRUU").await.unwrap(),
        DepositAnswer::Accepted { .. }
    ));
}

/// kit: AuthentifierNetETest — credentials and parameters refused at `authentifier`.
#[tokio::test]
async fn client_authentication_errors_as_the_kit() {
    let peer = start_peer(KIT_SCENARIO);
    assert!(peer.client(|_| {}).authenticate().await.is_ok());
    // authentifier200DeclarantRATest
    assert!(
        peer.client(|c| c.service = "94".into())
            .authenticate()
            .await
            .is_ok()
    );
    // authentifier401DeclarantErreurAuthentificationTest / NonInscrit: Basic realm.
    for f in [
        (|c: &mut NetEntConfig| c.siret = "99900000300325".into()) as fn(&mut NetEntConfig),
        |c| c.password = ijgate::channels::netent::Secret::new("qwerty42"),
        |c| c.service = "98".into(),
    ] {
        let e = peer.client(f).authenticate().await.unwrap_err();
        assert_eq!(kind(&e), "auth_rejected");
        assert!(!e.is_transient());
        assert!(e.to_string().contains("not enrolled"), "{e}");
    }
    // authentifier422NomTropLongTest
    let e = peer
        .client(|c| {
            c.nom = "declarant123456789abcdefghijklklklklklklklklklklklklklklklklklklk".into()
        })
        .authenticate()
        .await
        .unwrap_err();
    assert_eq!(kind(&e), "auth_invalid");
    // authentifier500Test
    let e = peer
        .client(|c| c.nom = "kaboom".into())
        .authenticate()
        .await
        .unwrap_err();
    assert_eq!(kind(&e), "http_5xx");
}

/// kit: every service's `utilisateurNonInscrit` (e.g. RechercherRetoursParFluxNetETest2
/// rechercher401JETONNonInscritTest): a declarant that authenticates but is not enrolled gets
/// a permanent `not_enrolled`, and the client does not loop renewing its token.
#[tokio::test]
async fn client_not_enrolled_is_permanent() {
    let peer = start_peer("not_enrolled = [\"12345678200010\"]\n");
    let c = peer.client(|cfg| {
        cfg.siret = "12345678200010".into();
        cfg.nom = "DUPONT".into();
        cfg.prenom = "Anne".into();
    });
    let e = c.list_returns_flux("abcdefghij").await.unwrap_err();
    assert_eq!(kind(&e), "not_enrolled");
    assert!(!e.is_transient());
    assert!(e.to_string().contains("not enrolled"), "{e}");
    let stats = peer.stats().await;
    assert_eq!(stats["auth_calls"], 1, "no renewal loop: {stats}");
}

/// kit: "Jeton manquant ou invalide" → the client renews its token once and goes on.
#[tokio::test]
async fn client_renews_an_invalid_token_once() {
    let peer = start_peer("[faults]\ntoken_expiry_calls = 1\n");
    let c = peer.client(|cfg| {
        cfg.siret = "12345678200010".into();
        cfg.nom = "DUPONT".into();
        cfg.prenom = "Anne".into();
    });
    assert_eq!(c.returns_of_flux("Unknown1").await.unwrap(), None);
    assert_eq!(c.returns_of_flux("Unknown2").await.unwrap(), None);
    let stats = peer.stats().await;
    assert_eq!(stats["auth_calls"], 2, "{stats}");
}

/// kit: RechercherRetoursBpijParDeclarantTest rechercher200ExempleReponse — the kit's sample
/// links name an unknown host (`https://.../telecharger-bpij/1.0/…`): the listing is read, and
/// each such link alone is refused as `untrusted_url` (the token never leaves).
#[tokio::test]
async fn client_bpij_listing_with_untrusted_links() {
    let peer = start_peer(KIT_SCENARIO);
    let c = peer.client(|_| {});
    let day = chrono::NaiveDate::from_ymd_opt(2013, 1, 1).unwrap();
    let l = c.list_bpij(day, Some(day), None, None).await.unwrap();
    assert_eq!(l.declares.len(), 3);
    assert_eq!((l.page, l.page_total), (Some(1), Some(15)));
    let links: Vec<String> = l.links().map(|(_, b)| b.url.clone()).collect();
    assert_eq!(links.len(), 2);
    for url in &links {
        assert!(!c.is_trusted_url(url));
        let e = c.download_bpij(url).await.unwrap_err();
        assert_eq!(kind(&e), "untrusted_url");
        assert!(!e.is_transient());
    }
    // rechercher200ExempleReponseVide: a window starting today has no BPIJ.
    let today = paris_now().date();
    let l = c.list_bpij(today, None, None, None).await.unwrap();
    assert_eq!(l.links().count(), 0);
}
