//! Writing a BPIJ (used by the sandbox); the output validates against
//! `ROOT_BPIJ_V02_04.xsd`.

use super::*;

impl Bpij {
    /// Writes the slip (UTF-8 with BOM, default namespace, XSD element order).
    pub fn to_xml(&self) -> Vec<u8> {
        let mut root = Element::new("BPIJ")
            .with_attr("Nature", "BPIJ")
            .with_attr("Version", &self.version)
            .with_attr("xmlns", BPIJ_NS)
            .with_child(Element::leaf("Identification", &self.identification))
            .with_child(Element::leaf("Temps", &self.temps));
        if let Some(f) = &self.fonction {
            root.push(Element::leaf("Fonction", f).with_attr("Q", "REQBPIJ"));
        }
        let mut decl = Element::new("Declarant")
            .with_child(Element::leaf("Identite", &self.declarant_siret).with_attr("R", "SIRET"))
            .with_opt("RaisonSociale", self.declarant_raison_sociale.clone());
        push_bank(&mut decl, &self.declarant_bank);
        push_cumul(&mut decl, "Total Declarant", self.declarant_total);
        for d in &self.declares {
            let mut de = Element::new("Declare")
                .with_child(Element::leaf("Identite", &d.siret).with_attr("R", "SIRET"))
                .with_opt("RaisonSociale", d.raison_sociale.clone());
            push_bank(&mut de, &d.bank);
            push_cumul(&mut de, "Total Entreprise", d.total);
            for c in &d.caisses {
                let mut ce = Element::new("Caisse")
                    .with_child(Element::leaf("CodeCPAM", &c.code_cpam))
                    .with_opt("Libelle", c.libelle.clone())
                    .with_child(Element::leaf("JComptable", c.j_comptable.to_string()));
                push_cumul(&mut ce, "Total bordereau par organisme émetteur", c.total);
                for a in &c.assures {
                    let mut ae = Element::new("Assure")
                        .with_child(Element::leaf("NIR", a.nir.expose()))
                        .with_child(Element::leaf("Nom", &a.nom))
                        .with_child(Element::leaf("Prenom", &a.prenom));
                    push_bank(&mut ae, &a.bank);
                    push_cumul(&mut ae, "Total Salarié", a.total);
                    for s in &a.assurances {
                        let mut se = Element::new("Assurance")
                            .with_child(Element::leaf("CodeNature", &s.code_nature));
                        push_cumul(&mut se, "Total Nature Assurance", s.total);
                        for p in &s.prestations {
                            se.push(prestation_el(p));
                        }
                        ae.push(se);
                    }
                    for (tag, list) in [("Indu", &a.indus), ("Rappel", &a.rappels)] {
                        for r in list {
                            ae.push(
                                Element::new(tag)
                                    .with_child(Element::leaf("Numero", &r.numero))
                                    .with_child(Element::leaf("Montant", r.montant.to_string())),
                            );
                        }
                    }
                    ce.push(ae);
                }
                de.push(ce);
            }
            decl.push(de);
        }
        root.push(decl);
        let mut out = b"\xEF\xBB\xBF".to_vec();
        out.extend_from_slice(root.to_xml().as_bytes());
        out
    }
}

fn push_bank(el: &mut Element, b: &Option<BankDetails>) {
    if let Some(b) = b {
        el.push(
            Element::new("Domiciliation")
                .with_opt("IBAN", b.iban.clone())
                .with_opt("BIC", b.bic.clone()),
        );
    }
}

fn push_cumul(el: &mut Element, libelle: &str, total: Option<Decimal>) {
    if let Some(t) = total {
        el.push(
            Element::new("Cumul")
                .with_child(Element::leaf("Libelle", libelle))
                .with_child(Element::leaf("Montant", t.to_string())),
        );
    }
}

fn prestation_el(p: &Prestation) -> Element {
    let mut e = Element::new("Prestation")
        .with_child(Element::leaf("CodeNature", &p.code_nature))
        .with_opt("Reference", p.reference.clone())
        .with_child(Element::leaf("Libelle", &p.libelle))
        .with_child(Element::leaf("DateDebPrest", p.date_deb.to_string()))
        .with_opt("DateFinPrest", p.date_fin.map(|d| d.to_string()))
        .with_opt("NumSin", p.num_sin.clone())
        .with_opt("DateSin", p.date_sin.map(|d| d.to_string()))
        .with_opt("DateDebConge", p.date_deb_conge.map(|d| d.to_string()))
        .with_opt("DateFinConge", p.date_fin_conge.map(|d| d.to_string()))
        .with_opt("NbIJ", p.nb_ij.map(|d| d.to_string()))
        .with_opt("IJSub", p.ij_sub.map(|b| b.to_string()))
        .with_opt("PU", p.pu.map(|d| d.to_string()))
        .with_opt("Montant", p.montant.map(|d| d.to_string()));
    if let Some(c) = &p.certificat {
        e.push(
            Element::new("Certificat")
                .with_child(Element::leaf("Type", &c.type_code))
                .with_child(Element::leaf("DateDeb", c.date_deb.to_string()))
                .with_child(Element::leaf("DateFin", c.date_fin.to_string())),
        );
    }
    e
}
