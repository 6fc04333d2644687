//! The GIP-MDS kit's own test data, served to the kit's fixture identities
//! ([`super::auth::kit_declarant`], [`super::auth::kit_concentrateur`]) so that every case of
//! the kit's JUnit classes can be replayed against the sandbox with the kit's inputs
//! (tests/kit_conformance.rs). Transcribed from
//! kit: src/main/java/fr/gipmds/dsn/test/resources/TestData.java; the fixed answers per id
//! come from the services (kit: src/main/java/fr/gipmds/dsn/services/**).
//!
//! Other identities are served from the sandbox's state, never from these fixtures.

use crate::formats::listing::{DepositsListing, ListingFormat, ReturnsListing};

/// TestData.aee: the AEE of every accepted kit deposit.
pub const AEE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><gipmds:rapport type=\"AEE\" profil=\"DSN\" version=\"v01r04\" xmlns:gipmds=\"http://www.gip-mds.fr/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><envoi><envoi_identification><declarant><siret>99999106200019</siret><nom>TEST</nom><prenom>MICHEL</prenom></declarant><idflux>UR5WJEBAhi54RcZN8Lur71F</idflux><identifiant>MtoM</identifiant><point_de_depot>01</point_de_depot><essai_reel>02</essai_reel><emetteur_siret>99999106200019</emetteur_siret><date_reception>2014-01-15</date_reception><heure_reception>14:47:42</heure_reception><date_enregistrement>2014-01-15</date_enregistrement><heure_enregistrement>14:47:42</heure_enregistrement></envoi_identification><envoi_bilan><envoi_etat>OK</envoi_etat></envoi_bilan></envoi></gipmds:rapport>";

/// TestData.are: the ARE of a kit deposit that does not start with "S10".
pub const ARE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><gipmds:rapport type=\"ARE\" profil=\"DSN\" version=\"v01r04\" xmlns:gipmds=\"http://www.gip-mds.fr/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><envoi><envoi_identification><declarant><siret>31784106200019</siret><nom>TEST</nom><prenom>MICHEL</prenom></declarant><idflux>UR5WJEBA5T74R4jNmCgvm1F</idflux><identifiant>MtoM</identifiant><point_de_depot>01</point_de_depot><essai_reel/><emetteur_siret>31784106200019</emetteur_siret><date_reception>2013-10-16</date_reception><heure_reception>10:42:34</heure_reception></envoi_identification><envoi_bilan><envoi_etat>KO</envoi_etat></envoi_bilan><envoi_anomalie><description><code>B1-105-15</code><message>Le format du fichier depot_mtom n'est pas reconnu.</message></description></envoi_anomalie></envoi></gipmds:rapport>";

/// TestData.reponseRecherche.
pub const REPONSE_RECHERCHE: &str = "<retours><flux><id>abcdefghij</id>\
<retour><publication>20130622012000</publication><production>20130622012000</production><nature>10</nature><statut>OK</statut><id>0123456789</id></retour>\
<retour><publication>20130622012000</publication><production>20130622012000</production><nature>11</nature><statut>OK</statut><id>0123456789</id></retour>\
<retour><publication>20130622012000</publication><production>20130622012000</production><nature>20</nature><statut>OK</statut></retour>\
<retour><publication>20130622012000</publication><production>20130622012000</production><nature>21</nature><statut>KO</statut><id>0123456789</id></retour>\
</flux>\
<flux><id>klmnopqrs</id>\
<retour><publication>20220412034029</publication><production>20220412034029</production><ops>AUMGM1</ops><delegataire>DZ2114</delegataire><nature>51</nature><statut>OK</statut><id>10111213141</id></retour>\
</flux>\
</retours>";

/// TestData.reponseRechercheVide.
pub const REPONSE_RECHERCHE_VIDE: &str = "<retours></retours>";

/// TestData.reponseRechercheListerDepots.
pub const REPONSE_LISTER_DEPOTS: &str = "<depots> <declarant> <siret>12345678901234</siret> <nom>Test</nom> <prenom>abcde</prenom> <depot> <idflux>0123456789</idflux> <date>20130801123242</date> <statut>OK</statut></depot> <depot> <idflux>0123456780</idflux> <date>20130801123243</date> <statut>KO</statut></depot></declarant></depots>";

/// TestData.reponseRechercheListerBPIJ.
pub const REPONSE_LISTER_BPIJ: &str = "<retours>  <declarant>    <siret>12345688912340</siret><declare> <siret>12345688912345</siret> <statut>OK</statut> <bpij>   <publication>20130801</publication>   <url>https://.../telecharger-bpij/1.0/F1spdeAilkR4q3UUlQA7haa</url> </bpij> <bpij> <publication>20130801</publication>   <url>https://.../telecharger-bpij/1.0/F1spdeAilkR4q3UUlQA7hab</url> </bpij>    </declare>    <declare> <siret>12345688912346</siret> <statut>OK</statut> <message>Pas de BPIJ sur la période</message> </declare>    <declare> <siret>12345688912346</siret> <statut>KO</statut> <message>Lien declarant déclaré non validé</message>    </declare>  </declarant>  <pageencours>1</pageencours>  <pagetotal>15</pagetotal></retours>";

/// TestData.reponseRechercheListerBPIJVide (served when `debut` is today).
pub const REPONSE_LISTER_BPIJ_VIDE: &str = "<retours><declarant><siret>12345688912340</siret><declare><siret>12345688912345</siret><statut>OK</statut><message>Pas de BPIJ sur la période</message></declare><declare><siret>12345688912346</siret><statut>OK</statut><message>Pas de BPIJ sur la période</message></declare></declarant></retours>";

/// The returns listing of a kit flux id, as `format`; `None` = 404 flux inconnu.
/// kit: services/recherche/ServiceRechercheParFlux.java and ServiceRechercheParFlux2.java.
pub fn returns_of_flux(idflux: &str, format: ListingFormat) -> Option<String> {
    let xml = match idflux {
        "abcdefghij" => REPONSE_RECHERCHE,
        "pasderetours" => REPONSE_RECHERCHE_VIDE,
        _ => return None,
    };
    Some(render_returns(xml, format))
}

/// The declarant-wide listing (always TestData.reponseRecherche in the kit).
pub fn returns_declarant(format: ListingFormat) -> String {
    render_returns(REPONSE_RECHERCHE, format)
}

/// kit: services/depot/recherche/ServiceRechercherDepotsParConcentrateur{,2}.java.
pub fn deposits(format: ListingFormat) -> String {
    match format {
        ListingFormat::Xml => REPONSE_LISTER_DEPOTS.to_string(),
        ListingFormat::Json => DepositsListing::parse(REPONSE_LISTER_DEPOTS.as_bytes())
            .map(|l| l.to_json())
            .unwrap_or_default(),
    }
}

/// 1.0 serves TestData's bytes; 2.0 unmarshals them and Jackson writes JSON.
fn render_returns(xml: &str, format: ListingFormat) -> String {
    match format {
        ListingFormat::Xml => xml.to_string(),
        ListingFormat::Json => ReturnsListing::parse(xml.as_bytes())
            .map(|l| l.to_json())
            .unwrap_or_default(),
    }
}

/// kit: services/telechargement/ServiceTelechargement.java — (content type, body).
pub fn download(idflux: &str, idretour: &str) -> Option<(&'static str, Vec<u8>)> {
    match (idflux, idretour) {
        ("abcdefghij", "12345") => Some(("text/plain", b"Ceci est un retour TXT".to_vec())),
        ("abcdefghij", "65432") => Some(("application/xml", AEE.as_bytes().to_vec())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::listing::BpijListing;
    use crate::formats::rapport::DepositAnswer;

    #[test]
    fn fixtures_parse() {
        assert_eq!(
            ReturnsListing::parse_json(
                returns_of_flux("abcdefghij", ListingFormat::Json)
                    .unwrap()
                    .as_bytes()
            )
            .unwrap()
            .flux
            .len(),
            2
        );
        assert_eq!(
            DepositsListing::parse_json(deposits(ListingFormat::Json).as_bytes())
                .unwrap()
                .depots
                .len(),
            2
        );
        assert_eq!(
            BpijListing::parse(REPONSE_LISTER_BPIJ.as_bytes())
                .unwrap()
                .links()
                .count(),
            2
        );
        assert!(BpijListing::parse(REPONSE_LISTER_BPIJ_VIDE.as_bytes()).is_ok());
        assert!(matches!(
            DepositAnswer::parse(AEE.as_bytes()),
            Ok(DepositAnswer::Accepted { .. })
        ));
        assert!(matches!(
            DepositAnswer::parse(ARE.as_bytes()),
            Ok(DepositAnswer::Rejected { .. })
        ));
        assert!(returns_of_flux("23456", ListingFormat::Xml).is_none());
    }
}
