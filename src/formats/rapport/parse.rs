//! Reading a `gipmds:rapport` (namespace-aware root, unqualified inner elements).

use super::*;

impl Rapport {
    /// Parses a return document (gipmds rapport or CRM OC).
    pub fn parse(bytes: &[u8]) -> Result<Rapport, RapportError> {
        let root = xml_tree::parse(bytes)?;
        match root.name.as_str() {
            "rapport" => {
                if root.ns.as_deref() != Some(GIPMDS_NS) {
                    return Err(RapportError::WrongNamespace(root.ns.clone()));
                }
                from_rapport(&root)
            }
            "Fichier" => Ok(from_crm_oc(&root)),
            other => Err(RapportError::UnexpectedRoot(other.to_string())),
        }
    }

    /// Every anomaly, envoi level first.
    pub fn all_anomalies(&self) -> Vec<Anomaly> {
        let mut all = self.envoi.anomalies.clone();
        for d in &self.declarations {
            all.extend(d.anomalies.iter().cloned());
        }
        all
    }

    /// The worst state among envoi and declarations (KO > ANO > OK).
    pub fn overall_status(&self) -> Statut {
        let mut worst = self.envoi.etat.clone();
        for d in &self.declarations {
            worst = worse(worst, d.etat.clone());
            if let Some(c) = &d.conformite {
                worst = worse(worst, c.clone());
            }
        }
        worst
    }

    /// Identifiants métier (S20.G00.05.009) named in the return.
    pub fn identifiants_metier(&self) -> Vec<&str> {
        self.declarations
            .iter()
            .filter_map(|d| d.identifiant_metier.as_deref())
            .collect()
    }

    /// Document types requested, if this return asks for supporting documents.
    pub fn documents_requested(&self) -> Option<Vec<String>> {
        let mut types = Vec::new();
        let mut asked = false;
        for a in self.all_anomalies() {
            let msg = a.message.to_lowercase();
            if a.code == DOCUMENTS_REQUESTED_CODE
                || msg.contains("pièce justificative")
                || msg.contains("pièces justificatives")
            {
                asked = true;
                let candidates = a
                    .rubric
                    .iter()
                    .chain(a.related.iter())
                    .filter_map(|r| r.value.clone())
                    .chain(
                        a.message
                            .split([',', ':', ';', ' '])
                            .map(|s| s.trim().to_string()),
                    );
                for c in candidates {
                    if DOCUMENT_TYPES.contains(&c.as_str()) && !types.contains(&c) {
                        types.push(c);
                    }
                }
            }
        }
        asked.then_some(types)
    }
}

pub(super) fn worse(a: Statut, b: Statut) -> Statut {
    fn rank(s: &Statut) -> u8 {
        match s {
            Statut::Ok => 0,
            Statut::EnCours => 1,
            Statut::Ano => 2,
            Statut::Other(_) => 3,
            Statut::Ko => 4,
        }
    }
    if rank(&b) > rank(&a) { b } else { a }
}

/// Nature implied by the `type` attribute.
pub fn nature_of_type(type_code: &str) -> Option<String> {
    match type_code {
        "AEE" | "ARE" => Some("10".into()),
        "CCO" | "BAN" => Some("11".into()),
        "GSIJ" => Some("31".into()),
        "CRM-OC" => Some("51".into()),
        t if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) => Some(t.to_string()),
        _ => None,
    }
}

pub(super) fn text(el: &Element, name: &str) -> Option<String> {
    el.child_text(name).map(str::to_string)
}

pub(super) fn date_time(date: Option<&str>, time: Option<&str>) -> Option<NaiveDateTime> {
    let d = NaiveDate::parse_from_str(date?, "%Y-%m-%d").ok()?;
    let t = time
        .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M:%S").ok())
        .unwrap_or(NaiveTime::MIN);
    Some(d.and_time(t))
}

pub(super) fn from_rapport(root: &Element) -> Result<Rapport, RapportError> {
    let type_code = root.attr("type").unwrap_or_default().to_string();
    let envoi_el = root.child("envoi").ok_or(RapportError::Missing("envoi"))?;
    let ident = envoi_el.child("envoi_identification");
    let empty = Element::default();
    let ident = ident.unwrap_or(&empty);
    let declarant = ident.child("declarant").and_then(|d| {
        Some(Declarant {
            siret: text(d, "siret")?,
            nom: text(d, "nom"),
            prenom: text(d, "prenom"),
        })
    });
    let etat = envoi_el
        .path_text(&["envoi_bilan", "envoi_etat"])
        .map(Statut::parse)
        .unwrap_or(Statut::Other(String::new()));
    let envoi = Envoi {
        declarant,
        idflux: text(ident, "idflux"),
        identifiant: text(ident, "identifiant"),
        version_norme: text(ident, "version_norme"),
        point_de_depot: text(ident, "point_de_depot"),
        type_envoi: text(ident, "type_envoi"),
        essai_reel: ident.child_text("essai_reel").and_then(EssaiReel::parse),
        emetteur_siret: text(ident, "emetteur_siret"),
        raison_sociale: text(ident, "raison_sociale"),
        logiciel: text(ident, "nom_logiciel"),
        editeur: text(ident, "editeur_logiciel"),
        version_logiciel: text(ident, "version_logiciel"),
        received_at: date_time(
            ident.child_text("date_reception"),
            ident.child_text("heure_reception"),
        ),
        recorded_at: date_time(
            ident.child_text("date_enregistrement"),
            ident.child_text("heure_enregistrement"),
        ),
        etat,
        anomalies: envoi_el
            .children_named("envoi_anomalie")
            .map(anomaly)
            .collect(),
    };
    let declarations = root
        .children_named("declaration")
        .map(declaration)
        .collect();
    let communication = root
        .child("communication")
        .map(|c| {
            c.children_named("information_collective")
                .flat_map(|ic| {
                    ic.children_named("calcul").flat_map(move |calc| {
                        calc.children_named("information").map(move |info| {
                            collective_info(ic.attr("type"), calc.attr("date_calcul"), info)
                        })
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Rapport {
        nature: nature_of_type(&type_code),
        type_code,
        profil: root.attr("profil").map(str::to_string),
        version: root.attr("version").map(str::to_string),
        message: root.attr("message").map(str::to_string),
        envoi,
        declarations,
        communication,
    })
}

pub(super) fn collective_info(
    kind: Option<&str>,
    at: Option<&str>,
    info: &Element,
) -> CollectiveInfo {
    let mut rates = Vec::new();
    let mut rubriques = Vec::new();
    collect_info(info, &mut rates, &mut rubriques);
    CollectiveInfo {
        kind: kind.map(str::to_string),
        computed_at: at.map(str::to_string),
        rates,
        rubriques,
    }
}

pub(super) fn collect_info(
    el: &Element,
    rates: &mut Vec<(String, Decimal)>,
    rub: &mut Vec<(String, String)>,
) {
    for c in &el.children {
        if c.name == "taux" {
            if let Ok(v) = c.text.parse::<Decimal>() {
                rates.push((c.attr("part").unwrap_or_default().to_string(), v));
            }
        } else if c.name.starts_with("rubrique_") {
            rub.push((
                c.attr("name").unwrap_or_default().to_string(),
                c.text.clone(),
            ));
        } else {
            collect_info(c, rates, rub);
        }
    }
}

pub(super) fn declaration(d: &Element) -> Declaration {
    let empty = Element::default();
    let id = d.child("declaration_identification").unwrap_or(&empty);
    let bilan = d.child("declaration_bilan").unwrap_or(&empty);
    Declaration {
        rang: id.child_text("rang").and_then(|r| r.parse().ok()),
        nature: text(id, "nature"),
        type_decl: text(id, "type"),
        fraction: text(id, "fraction"),
        ordre: text(id, "ordre"),
        mois: text(id, "mois"),
        identifiant_metier: text(id, "identifiant_metier"),
        id_annulation: text(id, "id_annulation"),
        siren: text(id, "SIREN"),
        nic_siege: text(id, "nic_siege"),
        nic_affectation: text(id, "nic_affectation"),
        etat: bilan
            .child_text("etat")
            .map(Statut::parse)
            .unwrap_or(Statut::Other(String::new())),
        salaries: bilan
            .path_text(&["declaration_contenu", "salaries"])
            .and_then(|s| s.parse().ok()),
        conformite: bilan
            .path_text(&["niveau_conformite", "etat_conformite"])
            .map(Statut::parse),
        certificat_conformite: bilan
            .path_text(&["niveau_conformite", "certificat_conformite"])
            .map(str::to_string),
        anomalies: d
            .children_named("declaration_anomalie")
            .map(anomaly)
            .collect(),
    }
}

pub(super) fn rubric(r: &Element) -> Option<RubricRef> {
    Some(RubricRef {
        id: text(r, "identifiant")?,
        label: text(r, "libelle"),
        value: text(r, "valeur"),
    })
}

pub(super) fn anomaly(a: &Element) -> Anomaly {
    let empty = Element::default();
    let desc = a.child("description").unwrap_or(&empty);
    let valeurs = a.child("valeurs");
    let individuals = a
        .child("environnement")
        .map(|env| {
            env.children
                .iter()
                .filter(|c| c.name == "salarie" || c.name == "individu_non_salarie")
                .map(|s| Individual {
                    nir: s.child_text("NIR").map(RawNir::new),
                    ntt: s.child_text("NTT").map(RawNir::new),
                    family_name: text(s, "nom_famille"),
                    first_names: text(s, "prenoms"),
                    birth_date: text(s, "date_naissance"),
                    employee_number: text(s, "matricule"),
                    origin: s.attr("origine").map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    Anomaly {
        code: text(desc, "code").unwrap_or_default(),
        severity: desc.child_text("categorie").and_then(|c| match c {
            "bloquant" => Some(Severity::Blocking),
            "non-bloquant" => Some(Severity::NonBlocking),
            _ => None,
        }),
        // Messages carry the source's line breaks and indentation; keep words only.
        message: desc
            .child_text("message")
            .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        line: desc.child_text("numero_ligne").and_then(|n| n.parse().ok()),
        count: desc.child_text("nombre").and_then(|n| n.parse().ok()),
        rubric: valeurs
            .and_then(|v| v.child("rubrique_declenchante"))
            .and_then(rubric),
        related: valeurs
            .map(|v| {
                v.children_named("rubrique_associee")
                    .filter_map(rubric)
                    .collect()
            })
            .unwrap_or_default(),
        individuals,
    }
}
