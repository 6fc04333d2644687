//! The complementary organisms' CRM (nature 51, `Fichier` root of `CRM-DSN-OC-P3`), read
//! into the same [`Rapport`] shape.

use super::*;

/// CRM of a complementary organism (return nature 51), mapped onto [`Rapport`].
pub(super) fn from_crm_oc(root: &Element) -> Rapport {
    let received = root
        .attr("DateHeureReceptionDep")
        .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok());
    let declarations: Vec<Declaration> = root
        .children_named("Declaration")
        .map(|d| {
            // CodeRetourDecla: 0 accepted, 1 accepted with corrections, 2 partly, 3 refused.
            let etat = match d.attr("CodeRetourDecla") {
                Some("0") | None => Statut::Ok,
                Some("1") | Some("2") => Statut::Ano,
                Some("3") => Statut::Ko,
                Some(other) => Statut::Other(other.to_string()),
            };
            Declaration {
                rang: d.attr("IdDec").and_then(|r| r.parse().ok()),
                nature: d.attr("NatureDecla").map(str::to_string),
                type_decl: d.attr("TypeDecla").map(str::to_string),
                fraction: d.attr("FractionDecla").map(str::to_string),
                ordre: d.attr("NoOrdreDecla").map(str::to_string),
                mois: d.attr("DateMoisDec").map(str::to_string),
                identifiant_metier: None,
                id_annulation: None,
                siren: d.attr("SirenDecla").map(str::to_string),
                nic_siege: d.attr("NicSiegeDecla").map(str::to_string),
                nic_affectation: d.attr("NicAffectation").map(str::to_string),
                etat,
                salaries: d.attr("NbreSal").and_then(|n| n.parse().ok()),
                conformite: None,
                certificat_conformite: None,
                anomalies: d
                    .children_named("RetourMetier")
                    .map(|r| Anomaly {
                        code: r.attr("CodeRetourMetier").unwrap_or_default().to_string(),
                        severity: r.attr("CodeRetourMetier").map(|c| {
                            if c.starts_with('I') {
                                Severity::NonBlocking
                            } else {
                                Severity::Blocking
                            }
                        }),
                        message: [r.attr("LibelCodeRetourMetier"), r.attr("DescriptionRetour")]
                            .into_iter()
                            .flatten()
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" - "),
                        line: None,
                        count: r.attr("NbErreursSimilaires").and_then(|n| n.parse().ok()),
                        rubric: r.attr("RubriqueBlocRetour").map(|id| RubricRef {
                            id: id.to_string(),
                            label: r.attr("LibelRubBlocRetour").map(str::to_string),
                            value: r.attr("ValeurRubriqueErreur").map(str::to_string),
                        }),
                        related: Vec::new(),
                        individuals: Vec::new(),
                    })
                    .collect(),
            }
        })
        .collect();
    Rapport {
        type_code: "CRM-OC".into(),
        nature: Some("51".into()),
        profil: None,
        version: root.attr("VersionCRM").map(str::to_string),
        message: None,
        envoi: Envoi {
            declarant: None,
            idflux: root.attr("IdEnvoi").map(str::to_string),
            identifiant: None,
            version_norme: root.attr("VersionNorme").map(str::to_string),
            point_de_depot: root.attr("PointDepot").map(str::to_string),
            type_envoi: root.attr("TypeEnvoi").map(str::to_string),
            essai_reel: None,
            emetteur_siret: root.attr("SiretEmetteur").map(str::to_string),
            raison_sociale: root.attr("NomEmetteur").map(str::to_string),
            logiciel: None,
            editeur: None,
            version_logiciel: None,
            received_at: received,
            recorded_at: None,
            etat: Statut::Ok,
            anomalies: Vec::new(),
        },
        declarations,
        communication: Vec::new(),
    }
}
