//! Reading a BPIJ: XML tree → typed [`Bpij`], every missing or invalid field named with
//! its context.

use super::*;

impl Bpij {
    pub fn parse(bytes: &[u8]) -> Result<Bpij, BpijError> {
        let root = xml_tree::parse(bytes)?;
        if root.name != "BPIJ" {
            return Err(BpijError::WrongRoot(root.name));
        }
        if root.ns.as_deref() != Some(BPIJ_NS) {
            return Err(BpijError::WrongNamespace(root.ns));
        }
        if root.attr("Nature") != Some("BPIJ") {
            return Err(BpijError::WrongNature(
                root.attr("Nature").map(str::to_string),
            ));
        }
        let ctx = "BPIJ".to_string();
        let declarant = req(&root, "Declarant", &ctx)?;
        let declares = declarant
            .children_named("Declare")
            .enumerate()
            .map(|(i, d)| declare(d, &format!("Declare[{}]", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Bpij {
            version: root.attr("Version").unwrap_or_default().to_string(),
            identification: req_text(&root, "Identification", &ctx)?,
            temps: req_text(&root, "Temps", &ctx)?,
            fonction: root.child_text("Fonction").map(str::to_string),
            declarant_siret: req_text(declarant, "Identite", "Declarant")?,
            declarant_raison_sociale: declarant.child_text("RaisonSociale").map(str::to_string),
            declarant_bank: declarant.child("Domiciliation").map(bank),
            declarant_total: cumul(declarant, "Declarant")?,
            declares,
        })
    }
}

fn req<'a>(el: &'a Element, field: &'static str, ctx: &str) -> Result<&'a Element, BpijError> {
    el.child(field).ok_or_else(|| BpijError::Missing {
        context: ctx.to_string(),
        field,
    })
}

fn req_text(el: &Element, field: &'static str, ctx: &str) -> Result<String, BpijError> {
    el.child_text(field)
        .map(str::to_string)
        .ok_or_else(|| BpijError::Missing {
            context: ctx.to_string(),
            field,
        })
}

fn opt_date(el: &Element, field: &'static str, ctx: &str) -> Result<Option<NaiveDate>, BpijError> {
    el.child_text(field)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| BpijError::Invalid {
                context: ctx.to_string(),
                field,
                value: v.to_string(),
            })
        })
        .transpose()
}

fn req_date(el: &Element, field: &'static str, ctx: &str) -> Result<NaiveDate, BpijError> {
    opt_date(el, field, ctx)?.ok_or_else(|| BpijError::Missing {
        context: ctx.to_string(),
        field,
    })
}

/// Largest amount (in absolute value) a BPIJ may carry, €: far above any payment slip, and
/// small enough that the sums made of a slip's lines never overflow (issue 17).
pub const MAX_BPIJ_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Largest daily IJ (`PU`), €: the legal maxima are a few hundred euros a day.
pub const MAX_DAILY_IJ: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

fn opt_dec(el: &Element, field: &'static str, ctx: &str) -> Result<Option<Decimal>, BpijError> {
    el.child_text(field)
        .map(|v| {
            let max = if field == "PU" {
                MAX_DAILY_IJ
            } else {
                MAX_BPIJ_AMOUNT
            };
            v.parse::<Decimal>()
                .ok()
                .filter(|d| d.abs() <= max)
                .ok_or_else(|| BpijError::Invalid {
                    context: ctx.to_string(),
                    field,
                    value: crate::model::validate::excerpt(v, crate::model::validate::ECHO_MAX),
                })
        })
        .transpose()
}

fn cumul(el: &Element, ctx: &str) -> Result<Option<Decimal>, BpijError> {
    match el.child("Cumul") {
        Some(c) => opt_dec(c, "Montant", &format!("{ctx}/Cumul")),
        None => Ok(None),
    }
}

fn bank(el: &Element) -> BankDetails {
    BankDetails {
        iban: el.child_text("IBAN").map(str::to_string),
        bic: el.child_text("BIC").map(str::to_string),
    }
}

fn declare(d: &Element, ctx: &str) -> Result<Declare, BpijError> {
    let caisses = d
        .children_named("Caisse")
        .enumerate()
        .map(|(i, c)| caisse(c, &format!("{ctx}/Caisse[{}]", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Declare {
        siret: req_text(d, "Identite", ctx)?,
        raison_sociale: d.child_text("RaisonSociale").map(str::to_string),
        bank: d.child("Domiciliation").map(bank),
        total: cumul(d, ctx)?,
        caisses,
    })
}

fn caisse(c: &Element, ctx: &str) -> Result<Caisse, BpijError> {
    let code = req_text(c, "CodeCPAM", ctx)?;
    if code.len() != 3 || !code.chars().all(|ch| ch.is_ascii_digit()) {
        return Err(BpijError::Invalid {
            context: ctx.to_string(),
            field: "CodeCPAM",
            value: code,
        });
    }
    let assures = c
        .children_named("Assure")
        .enumerate()
        .map(|(i, a)| assure(a, &format!("{ctx}/Assure[{}]", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Caisse {
        code_cpam: code,
        libelle: c.child_text("Libelle").map(str::to_string),
        j_comptable: req_date(c, "JComptable", ctx)?,
        total: cumul(c, ctx)?,
        assures,
    })
}

fn regul(el: &Element, ctx: &str) -> Result<Regularisation, BpijError> {
    Ok(Regularisation {
        numero: el.child_text("Numero").unwrap_or_default().to_string(),
        montant: opt_dec(el, "Montant", ctx)?.ok_or_else(|| BpijError::Missing {
            context: ctx.to_string(),
            field: "Montant",
        })?,
    })
}

fn assure(a: &Element, ctx: &str) -> Result<Assure, BpijError> {
    let nir = req_text(a, "NIR", ctx)?;
    // XSD pattern \d{6}[A-Za-z0-9]((\d{6})|(\d{8})): 13 chars, or 15 with the key.
    let ok = (nir.len() == 13 || nir.len() == 15)
        && nir
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (i == 6 && c.is_ascii_alphanumeric()));
    if !ok {
        return Err(BpijError::Invalid {
            context: ctx.to_string(),
            field: "NIR",
            value: RawNir::new(nir).masked(),
        });
    }
    let assurances = a
        .children_named("Assurance")
        .enumerate()
        .map(|(i, s)| {
            let sctx = format!("{ctx}/Assurance[{}]", i + 1);
            Ok(Assurance {
                code_nature: req_text(s, "CodeNature", &sctx)?,
                total: cumul(s, &sctx)?,
                prestations: s
                    .children_named("Prestation")
                    .enumerate()
                    .map(|(j, p)| prestation(p, &format!("{sctx}/Prestation[{}]", j + 1)))
                    .collect::<Result<Vec<_>, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, BpijError>>()?;
    Ok(Assure {
        nir: RawNir::new(nir),
        nom: a.child_text("Nom").unwrap_or_default().to_string(),
        prenom: a.child_text("Prenom").unwrap_or_default().to_string(),
        bank: a.child("Domiciliation").map(bank),
        total: cumul(a, ctx)?,
        assurances,
        indus: a
            .children_named("Indu")
            .map(|i| regul(i, &format!("{ctx}/Indu")))
            .collect::<Result<Vec<_>, _>>()?,
        rappels: a
            .children_named("Rappel")
            .map(|i| regul(i, &format!("{ctx}/Rappel")))
            .collect::<Result<Vec<_>, _>>()?,
    })
}

fn prestation(p: &Element, ctx: &str) -> Result<Prestation, BpijError> {
    let ij_sub = p
        .child_text("IJSub")
        .map(|v| match v {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            other => Err(BpijError::Invalid {
                context: ctx.to_string(),
                field: "IJSub",
                value: other.to_string(),
            }),
        })
        .transpose()?;
    let certificat = match p.child("Certificat") {
        Some(c) => {
            let cctx = format!("{ctx}/Certificat");
            Some(Certificat {
                type_code: req_text(c, "Type", &cctx)?,
                date_deb: req_date(c, "DateDeb", &cctx)?,
                date_fin: req_date(c, "DateFin", &cctx)?,
            })
        }
        None => None,
    };
    Ok(Prestation {
        code_nature: req_text(p, "CodeNature", ctx)?,
        reference: p.child_text("Reference").map(str::to_string),
        libelle: p.child_text("Libelle").unwrap_or_default().to_string(),
        date_deb: req_date(p, "DateDebPrest", ctx)?,
        date_fin: opt_date(p, "DateFinPrest", ctx)?,
        num_sin: p.child_text("NumSin").map(str::to_string),
        date_sin: opt_date(p, "DateSin", ctx)?,
        date_deb_conge: opt_date(p, "DateDebConge", ctx)?,
        date_fin_conge: opt_date(p, "DateFinConge", ctx)?,
        nb_ij: opt_dec(p, "NbIJ", ctx)?,
        ij_sub,
        pu: opt_dec(p, "PU", ctx)?,
        montant: opt_dec(p, "Montant", ctx)?,
        certificat,
    })
}
