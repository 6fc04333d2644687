//! Per-employee figures of one slip (the rules are in the module header of `bpij`).

use super::*;

impl Bpij {
    /// Per-employee summary, one entry per (establishment SIRET, NIR), in slip order.
    pub fn summaries(&self) -> Vec<EmployeeSummary> {
        let mut order: Vec<(String, String)> = Vec::new();
        let mut acc: BTreeMap<(String, String), (EmployeeSummary, Vec<&Prestation>)> =
            BTreeMap::new();
        for d in &self.declares {
            for c in &d.caisses {
                for a in &c.assures {
                    let key = (d.siret.clone(), a.nir.expose().to_string());
                    let entry = acc.entry(key.clone()).or_insert_with(|| {
                        order.push(key.clone());
                        (
                            EmployeeSummary {
                                nir: a.nir.clone(),
                                nom: a.nom.clone(),
                                prenom: a.prenom.clone(),
                                siret_declare: d.siret.clone(),
                                gross_ij: Decimal::ZERO,
                                csg: Decimal::ZERO,
                                crds: Decimal::ZERO,
                                net: Decimal::ZERO,
                                days: Decimal::ZERO,
                                carence_days: Decimal::ZERO,
                                period: None,
                                overpayment_recovered: Decimal::ZERO,
                                indu: Decimal::ZERO,
                                other: Decimal::ZERO,
                                placeholder: a.nir.expose().chars().all(|c| c == '9'),
                            },
                            Vec::new(),
                        )
                    });
                    entry.0.indu += a.indus.iter().map(|i| i.montant).sum::<Decimal>();
                    for s in &a.assurances {
                        entry.1.extend(s.prestations.iter());
                    }
                }
            }
        }
        order
            .into_iter()
            .filter_map(|k| acc.remove(&k))
            .map(|(mut sum, lines)| {
                summarise(&mut sum, &lines);
                sum
            })
            .collect()
    }

    /// Assurance blocks whose `Cumul` differs from the sum of their lines:
    /// (context, declared, computed).
    pub fn assurance_total_mismatches(&self) -> Vec<(String, Decimal, Decimal)> {
        let mut out = Vec::new();
        for d in &self.declares {
            for c in &d.caisses {
                for a in &c.assures {
                    for s in &a.assurances {
                        let computed: Decimal =
                            s.prestations.iter().filter_map(|p| p.montant).sum();
                        if let Some(total) = s.total
                            && total != computed
                        {
                            out.push((
                                format!("{}/{}/{}/{}", d.siret, c.code_cpam, a.nir, s.code_nature),
                                total,
                                computed,
                            ));
                        }
                    }
                }
            }
        }
        out
    }
}

fn summarise(sum: &mut EmployeeSummary, lines: &[&Prestation]) {
    let paid: Vec<(NaiveDate, NaiveDate)> = lines
        .iter()
        .filter(|p| line_kind(&p.code_nature) == LineKind::Ij)
        .filter(|p| p.montant.unwrap_or_default() > Decimal::ZERO)
        .map(|p| (p.date_deb, p.date_fin.unwrap_or(p.date_deb)))
        .collect();
    for p in lines {
        let m = p.montant.unwrap_or_default();
        sum.net += m;
        match line_kind(&p.code_nature) {
            LineKind::Ij => {
                sum.gross_ij += m;
                let (deb, fin) = (p.date_deb, p.date_fin.unwrap_or(p.date_deb));
                let n = p.nb_ij.unwrap_or_default();
                if m >= Decimal::ZERO {
                    sum.days += n;
                    sum.period = Some(match sum.period {
                        None => (deb, fin),
                        Some((a, b)) => (a.min(deb), b.max(fin)),
                    });
                } else if !paid.iter().any(|(a, b)| deb <= *b && *a <= fin) {
                    sum.days -= n;
                }
            }
            LineKind::Csg => sum.csg -= m,
            LineKind::Crds => sum.crds -= m,
            LineKind::Recovery => sum.overpayment_recovered -= m,
            LineKind::Carence => sum.carence_days += p.nb_ij.unwrap_or_default(),
            LineKind::Other => sum.other += m,
        }
    }
}
