//! Writers (sandbox side): returns in the real shape.

use super::*;

// ---------------------------------------------------------------- writers (sandbox side)

/// Data for writing a return (the sandbox publishes returns in the real shape).
#[derive(Debug, Clone)]
pub struct RapportSpec {
    pub type_code: String,
    pub message: Option<String>,
    pub declarant: Option<Declarant>,
    pub idflux: String,
    pub essai_reel: Option<EssaiReel>,
    pub emetteur_siret: String,
    pub received_at: NaiveDateTime,
    pub envoi_etat: Statut,
    pub envoi_anomalies: Vec<Anomaly>,
    pub declarations: Vec<Declaration>,
}

pub(super) fn anomaly_el(name: &str, a: &Anomaly) -> Element {
    let mut desc = Element::new("description").with_child(Element::leaf("code", &a.code));
    if let Some(sev) = a.severity {
        desc.push(Element::leaf(
            "categorie",
            match sev {
                Severity::Blocking => "bloquant",
                Severity::NonBlocking => "non-bloquant",
            },
        ));
    }
    desc.push(Element::leaf("message", &a.message));
    let desc = desc
        .with_opt("numero_ligne", a.line.map(|n| n.to_string()))
        .with_opt("nombre", a.count.map(|n| n.to_string()));
    let mut el = Element::new(name).with_child(desc);
    let rub = |tag: &str, r: &RubricRef| {
        Element::new(tag)
            .with_child(Element::leaf("identifiant", &r.id))
            .with_opt("libelle", r.label.clone())
            .with_child(Element::leaf("valeur", r.value.clone().unwrap_or_default()))
    };
    if let Some(r) = &a.rubric {
        let mut v = Element::new("valeurs").with_child(rub("rubrique_declenchante", r));
        for rr in &a.related {
            v.push(rub("rubrique_associee", rr));
        }
        el.push(v);
    }
    if !a.individuals.is_empty() {
        let mut env = Element::new("environnement");
        for i in &a.individuals {
            let mut s = Element::new("salarie");
            if let Some(o) = &i.origin {
                s = s.with_attr("origine", o);
            }
            s = s
                .with_opt("NIR", i.nir.as_ref().map(|n| n.expose().to_string()))
                .with_opt("NTT", i.ntt.as_ref().map(|n| n.expose().to_string()))
                .with_opt("nom_famille", i.family_name.clone())
                .with_opt("prenoms", i.first_names.clone())
                .with_opt("date_naissance", i.birth_date.clone())
                .with_opt("matricule", i.employee_number.clone());
            env.push(s);
        }
        el.push(env);
    }
    el
}

/// Writes a `gipmds:rapport` following `dsn_bilans_v02r03.xsd` element order.
pub fn write_rapport(spec: &RapportSpec) -> String {
    let mut ident = Element::new("envoi_identification");
    if let Some(d) = &spec.declarant {
        ident.push(
            Element::new("declarant")
                .with_child(Element::leaf("siret", &d.siret))
                .with_child(Element::leaf("nom", d.nom.clone().unwrap_or_default()))
                .with_child(Element::leaf(
                    "prenom",
                    d.prenom.clone().unwrap_or_default(),
                )),
        );
    }
    let ident = ident
        .with_child(Element::leaf("idflux", &spec.idflux))
        .with_child(Element::leaf("identifiant", "MtoM"))
        .with_child(Element::leaf("point_de_depot", "01"))
        .with_child(Element::leaf(
            "essai_reel",
            spec.essai_reel.map(|e| e.code()).unwrap_or_default(),
        ))
        .with_child(Element::leaf("emetteur_siret", &spec.emetteur_siret))
        .with_child(Element::leaf(
            "date_reception",
            spec.received_at.format("%Y-%m-%d").to_string(),
        ))
        .with_child(Element::leaf(
            "heure_reception",
            spec.received_at.format("%H:%M:%S").to_string(),
        ));
    let mut envoi = Element::new("envoi").with_child(ident).with_child(
        Element::new("envoi_bilan")
            .with_child(Element::leaf("envoi_etat", spec.envoi_etat.as_str())),
    );
    for a in &spec.envoi_anomalies {
        envoi.push(anomaly_el("envoi_anomalie", a));
    }
    let mut root = Element::new("rapport")
        .with_attr("type", &spec.type_code)
        .with_attr("profil", "DSN")
        .with_attr("version", "v02r03");
    if let Some(m) = &spec.message {
        root = root.with_attr("message", m);
    }
    root = root
        .with_attr("xmlns:gipmds", GIPMDS_NS)
        .with_attr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
    root.prefix = Some("gipmds".into());
    root.push(envoi);
    for d in &spec.declarations {
        let id = Element::new("declaration_identification")
            .with_child(Element::leaf("rang", d.rang.unwrap_or(1).to_string()))
            .with_opt("nature", d.nature.clone())
            .with_opt("type", d.type_decl.clone())
            .with_opt("fraction", d.fraction.clone())
            .with_opt("ordre", d.ordre.clone())
            .with_opt("mois", d.mois.clone())
            .with_opt("identifiant_metier", d.identifiant_metier.clone())
            .with_child(Element::leaf("SIREN", d.siren.clone().unwrap_or_default()))
            .with_opt("nic_siege", d.nic_siege.clone())
            .with_child(Element::leaf(
                "nic_affectation",
                d.nic_affectation.clone().unwrap_or_default(),
            ));
        let mut bilan =
            Element::new("declaration_bilan").with_child(Element::leaf("etat", d.etat.as_str()));
        if let Some(n) = d.salaries {
            bilan.push(
                Element::new("declaration_contenu")
                    .with_child(Element::leaf("salaries", n.to_string())),
            );
        }
        if let Some(c) = &d.conformite {
            bilan.push(
                Element::new("niveau_conformite")
                    .with_child(Element::leaf("etat_conformite", c.as_str()))
                    .with_opt("certificat_conformite", d.certificat_conformite.clone()),
            );
        }
        let mut decl = Element::new("declaration").with_child(id).with_child(bilan);
        for a in &d.anomalies {
            decl.push(anomaly_el("declaration_anomalie", a));
        }
        root.push(decl);
    }
    root.to_xml()
}
