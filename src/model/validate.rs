//! Validation: a flat record of canonical fields (from CSV, JSON or the web service) becomes a
//! [`Stoppage`], or the complete list of what is wrong with it.
//!
//! Pure functions, no I/O. Every problem is collected (an HR clerk fixes a row once, not once
//! per error) and names its field; the caller adds the file and line.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use super::iban::{check_bic, check_iban};
use super::nir::{Nir, mask};
use super::siret::Siret;
use super::stoppage::*;
use crate::neodes::charset;

/// The canonical field names, in the documented column order.
pub const FIELDS: &[&str] = &[
    "event",
    "hr_ref",
    "siret",
    "nir",
    "last_name",
    "usage_name",
    "first_names",
    "birth_date",
    "sex",
    "birth_place",
    "birth_department",
    "birth_country",
    "address",
    "postal_code",
    "city",
    "employee_id",
    "contract_number",
    "contract_start",
    "contract_nature",
    "job_title",
    "pcs_ese",
    "statut_conventionnel",
    "retirement_category",
    "idcc",
    "population",
    "reason",
    "last_day_worked",
    "expected_end",
    "return_date",
    "return_reason",
    "accident_date",
    "subrogation",
    "subrogation_start",
    "subrogation_end",
    "iban",
    "bic",
    "salary_1",
    "salary_2",
    "salary_3",
    "salary_4",
    "salary_5",
    "salary_6",
    "salary_7",
    "salary_8",
    "salary_9",
    "salary_10",
    "salary_11",
    "salary_12",
];

/// True for a canonical field name.
pub fn is_field(name: &str) -> bool {
    FIELDS.contains(&name)
}

/// One input message before validation: canonical field name → raw text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Where it came from, for error reports: line in a CSV file, index in a JSON array.
    pub location: Location,
    pub fields: BTreeMap<String, String>,
}

/// Where a record or an error sits in its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    #[serde(flatten)]
    pub location: Location,
    pub field: String,
    /// The offending value, masked for personal identifiers; absent when the field is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub reason: String,
}

/// Longest value echoed back in an error (API 422 details, spool reports), in characters.
pub const ECHO_MAX: usize = 64;

/// A bounded, escaped excerpt of untrusted text for an error report: at most `max` characters,
/// control characters escaped (`\n`, `\u{1b}`...), "…" when cut. A 3 MB field comes back as a
/// few dozen characters, and a file that is not what it claims to be is never echoed whole.
pub fn excerpt(v: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, ch) in v.chars().enumerate() {
        if n == max {
            out.push('…');
            return out;
        }
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}

/// What the validator needs to know about the sender.
pub struct Context<'a> {
    /// Every employer SIRET configured in ijgate.
    pub configured: &'a HashSet<String>,
    /// The SIRETs this sender may declare for; `None` = any configured one.
    pub allowed: Option<&'a HashSet<String>>,
}

/// A parsing failure of a SIRET that the sender may not use: reported apart because the web
/// service answers it with 403, not 422.
pub const FORBIDDEN_SIRET: &str = "sender is not allowed to declare for this SIRET";

struct Checker<'r> {
    rec: &'r Record,
    errors: Vec<FieldError>,
}

impl<'r> Checker<'r> {
    fn raw(&self, f: &str) -> Option<&'r str> {
        self.rec
            .fields
            .get(f)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn err(&mut self, field: &str, value: Option<&str>, reason: impl Into<String>) {
        let value = value.map(|v| {
            if matches!(field, "nir" | "iban") {
                mask(&excerpt(v, ECHO_MAX))
            } else {
                excerpt(v, ECHO_MAX)
            }
        });
        self.errors.push(FieldError {
            location: self.rec.location,
            field: field.to_string(),
            value,
            reason: reason.into(),
        });
    }

    fn required(&mut self, f: &str) -> Option<&'r str> {
        let v = self.raw(f);
        if v.is_none() {
            self.err(f, None, "is required");
        }
        v
    }

    fn parse<T>(
        &mut self,
        f: &str,
        required: bool,
        p: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = if required {
            self.required(f)?
        } else {
            self.raw(f)?
        };
        match p(v) {
            Ok(t) => Some(t),
            Err(reason) => {
                self.err(f, Some(v), reason);
                None
            }
        }
    }

    fn date(&mut self, f: &str, required: bool) -> Option<NaiveDate> {
        self.parse(f, required, |v| parse_date(v).map_err(|e| e.to_string()))
    }

    /// Free text that goes into the DSN: mapped onto the NEODeS character set.
    fn text(&mut self, f: &str, required: bool, max: usize) -> Option<String> {
        self.parse(f, required, |v| {
            let t = charset::transliterate(v).map_err(|e| e.to_string())?;
            if !charset::has_validating(&t) {
                return Err("must contain at least one letter or digit".into());
            }
            if t.chars().count() > max {
                return Err(format!("is longer than {max} characters"));
            }
            Ok(t)
        })
    }

    fn code_req(&mut self, f: &str, max: usize, required: bool) -> Option<String> {
        self.parse(f, required, |v| {
            if v.len() <= max && v.chars().all(|c| c.is_ascii_alphanumeric()) {
                Ok(v.to_string())
            } else {
                Err(format!("must be at most {max} letters or digits"))
            }
        })
    }
}

/// Why a value from outside does not read: the `reason` of its [`FieldError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("must be a date as DD/MM/YYYY or YYYY-MM-DD")]
    DateFormat,
    #[error("is not a real date")]
    NotARealDate,
    #[error("year must be between 1900 and 2199")]
    YearOutOfRange,
    #[error("must be a decimal amount (e.g. 2500,00)")]
    NotAnAmount,
    #[error("must not be negative")]
    Negative,
    #[error("must have at most 2 decimals")]
    TooManyDecimals,
    #[error("is more than the plausible maximum of {0} € a month")]
    AboveMonthlyMaximum(Decimal),
    #[error("must be oui or non")]
    NotYesNo,
    #[error("must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit")]
    BadHrRef,
}

/// Parses DD/MM/YYYY or YYYY-MM-DD (the two forms HR exports use), rejecting impossible dates.
pub fn parse_date(v: &str) -> Result<NaiveDate, ValueError> {
    let v = v.trim();
    let parsed = if v.len() == 10 && v.as_bytes()[4] == b'-' {
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
    } else if v.len() == 10 && v.as_bytes()[2] == b'/' {
        NaiveDate::parse_from_str(v, "%d/%m/%Y")
    } else {
        return Err(ValueError::DateFormat);
    };
    let d = parsed.map_err(|_| ValueError::NotARealDate)?;
    if !(1900..=2199).contains(&d.year()) {
        return Err(ValueError::YearOutOfRange);
    }
    Ok(d)
}

/// Parses an amount written with a decimal comma or dot, spaces as thousands separators.
pub fn parse_amount(v: &str) -> Result<Decimal, ValueError> {
    let cleaned: String = v
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    let cleaned = cleaned.replace(',', ".");
    let d = Decimal::from_str(&cleaned).map_err(|_| ValueError::NotAnAmount)?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(ValueError::Negative);
    }
    if d.scale() > 2 {
        return Err(ValueError::TooManyDecimals);
    }
    Ok(d)
}

fn parse_yes_no(v: &str) -> Result<bool, ValueError> {
    match normalise_word(v).as_str() {
        "oui" | "o" | "yes" | "y" | "1" | "01" | "true" | "vrai" => Ok(true),
        "non" | "n" | "no" | "0" | "02" | "false" | "faux" => Ok(false),
        _ => Err(ValueError::NotYesNo),
    }
}

/// hr_ref names outbound files, so it must be safe as a file name.
fn check_hr_ref(v: &str) -> Result<String, ValueError> {
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(ValueError::BadHrRef)
    }
}

/// Plausibility bounds (issue 17; README "Plausibility bounds"). A value outside them is a
/// typo or an attack, never a real stoppage: refused as a located error instead of being
/// declared to the CPAM or written into an insurer message its own XSD then refuses.
pub mod bounds {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    /// Largest monthly gross salary, € (999 999,99): far above any French payslip, and
    /// small enough for every sum the engine and the insurer XML make of twelve of them.
    pub const MAX_MONTHLY_SALARY: Decimal = Decimal::from_parts(99_999_999, 0, 0, false, 2);
    /// No stoppage, accident, return, subrogation or contract before the Sécurité sociale
    /// (ordonnances of October 1945): earlier dates are typos (1925 for 2025).
    pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1945, 1, 1) {
        Some(d) => d,
        None => NaiveDate::MIN,
    };
    /// Stoppage dates (last day worked, accident, return, subrogation start, contract start)
    /// at most this many days after today.
    pub const MAX_DAYS_AHEAD: u64 = 366;
    /// Expected end and subrogation end: at most 3 years after the last day worked (the
    /// longest IJ period, for a long-term illness, art. L323-1 CSS), plus the days ahead.
    pub const MAX_STOPPAGE_YEARS: u32 = 3;
    /// An employee is at least 14 (the youngest age for a work contract, art. L4153-1 Code du
    /// travail) and at most 100 years old on the last day worked.
    pub const MIN_AGE: u32 = 14;
    pub const MAX_AGE: u32 = 100;
}

/// Validates one record against today's date (the clock is read here, once; the rules live
/// in [`validate_at`]).
pub fn validate(rec: &Record, ctx: &Context<'_>) -> Result<Stoppage, Vec<FieldError>> {
    validate_at(rec, ctx, chrono::Local::now().date_naive())
}

/// Validates one record as of `today`. Returns every problem found.
pub fn validate_at(
    rec: &Record,
    ctx: &Context<'_>,
    today: NaiveDate,
) -> Result<Stoppage, Vec<FieldError>> {
    let mut c = Checker {
        rec,
        errors: Vec::new(),
    };
    for name in rec.fields.keys() {
        if !is_field(name) {
            c.err(name, None, "is not a known field");
        }
    }
    let event = c.parse("event", true, |v| {
        EventKind::parse(v)
            .ok_or_else(|| "must be arret, prolongation, reprise or annulation".to_string())
    });
    let hr_ref = c.parse("hr_ref", true, |v| {
        check_hr_ref(v).map_err(|e| e.to_string())
    });
    let siret = c.parse("siret", true, |v| {
        let s = Siret::parse(v).map_err(|e| e.to_string())?;
        if !ctx.configured.contains(s.as_str()) {
            return Err("is not an employer configured in ijgate".into());
        }
        if let Some(allowed) = ctx.allowed
            && !allowed.contains(s.as_str())
        {
            return Err(FORBIDDEN_SIRET.into());
        }
        Ok(s)
    });
    let nir = c.parse("nir", true, |v| Nir::parse(v).map_err(|e| e.to_string()));
    let is_arret = event == Some(EventKind::Arret);
    // What the signalement table (neodes::required) requires from the HR for a nature 04:
    // missing on an arrêt row, it is a located error here rather than a refused file later.
    let needed = |f: &str| is_arret && crate::neodes::required::hr_required(f);

    let last_name = c.text("last_name", is_arret, 80);
    let usage_name = c.text("usage_name", false, 80);
    let first_names = c.text("first_names", is_arret, 80);
    let birth_date = c.date("birth_date", is_arret);
    let sex = c.parse("sex", is_arret, |v| {
        Sex::parse(v).ok_or_else(|| "must be 1/M/H or 2/F".to_string())
    });
    let birth_place = c.text("birth_place", needed("birth_place"), 30);
    let birth_department = c.code_req("birth_department", 2, needed("birth_department"));
    let birth_country = c.code_req("birth_country", 2, needed("birth_country"));
    let address = c.text("address", needed("address"), 50);
    let postal_code = c.code_req("postal_code", 5, needed("postal_code"));
    let city = c.text("city", needed("city"), 50);
    let employee_id = c.text("employee_id", false, 30);

    // The NIR encodes sex and year/month of birth: a mismatch means a typo somewhere, and CPAM
    // would not find the person.
    if let (Some(n), Some(s)) = (&nir, sex)
        && !n.body().starts_with(s.nir_digit())
    {
        c.err(
            "sex",
            rec.fields.get("sex").map(String::as_str),
            "does not match the NIR (first digit)",
        );
    }
    if let (Some(n), Some(b)) = (&nir, birth_date) {
        let yy = &n.body()[1..3];
        let mm: u32 = n.body()[3..5].parse().unwrap_or(0);
        if yy != format!("{:02}", b.year() % 100) || ((1..=12).contains(&mm) && mm != b.month()) {
            c.err(
                "birth_date",
                rec.fields.get("birth_date").map(String::as_str),
                "does not match the NIR (year and month of birth)",
            );
        }
    }

    let contract_number = c.text("contract_number", is_arret, 20);
    let contract_start = c.date("contract_start", is_arret);
    let contract_nature = c.parse("contract_nature", needed("contract_nature"), |v| {
        if v.len() == 2 && v.chars().all(|c| c.is_ascii_digit()) {
            Ok(v.to_string())
        } else {
            Err("must be a 2-digit DSN code (01 CDI, 02 CDD, ...)".into())
        }
    });
    let job_title = c.text("job_title", needed("job_title"), 120);
    let pcs_ese = c.code_req("pcs_ese", 4, needed("pcs_ese"));
    let statut_conventionnel =
        c.code_req("statut_conventionnel", 2, needed("statut_conventionnel"));
    let retirement_category =
        c.parse(
            "retirement_category",
            needed("retirement_category"),
            |v| match v {
                "01" | "02" | "04" | "98" | "99" => Ok(v.to_string()),
                _ => Err(
                    "must be 01 cadre, 02 extension cadre, 04 non cadre, 98 or 99 (S21.G00.40.003)"
                        .into(),
                ),
            },
        );
    let idcc = c.code_req("idcc", 4, needed("idcc"));
    let population = c.text("population", false, 30);

    // The contract codes a signalement carries must be the norm's (S21.G00.40.002/.007).
    for (f, v) in [
        ("contract_nature", &contract_nature),
        ("statut_conventionnel", &statut_conventionnel),
    ] {
        if let Some(v) = v
            && let Err(e) = crate::neodes::required::check_hr_value(f, v)
        {
            c.err(f, Some(v), e.to_string());
        }
    }

    let reason = c.parse("reason", is_arret, |v| {
        Motif::parse(v).ok_or_else(|| "must be a DSN motif code 01-19 or a name (maladie, maternite, accident_travail, ...)".to_string())
    });
    let last_day_worked = c.date("last_day_worked", is_arret);
    let expected_end = c.date(
        "expected_end",
        is_arret || event == Some(EventKind::Prolongation),
    );
    let return_date = c.date("return_date", event == Some(EventKind::Reprise));
    // An arrêt row that already knows the return writes it in the 04 with its motif
    // (S21.G00.60.010/.011 go together, neodes::required): the motif is then required.
    let return_reason_needed = is_arret && return_date.is_some();
    let return_reason = c.parse("return_reason", return_reason_needed, |v| {
        ReturnReason::parse(v).ok_or_else(|| {
            "must be 01 normale, 02 temps partiel thérapeutique or 03 temps partiel".to_string()
        })
    });
    let accident_needed = is_arret && reason.is_some_and(Motif::is_professional);
    let accident_date = c.date("accident_date", accident_needed);

    let subrogated = c
        .parse("subrogation", needed("subrogation"), |v| {
            parse_yes_no(v).map_err(|e| e.to_string())
        })
        .unwrap_or(false);
    let sub_start = c.date("subrogation_start", subrogated);
    let sub_end = c.date("subrogation_end", subrogated);
    let iban = c.parse("iban", subrogated, |v| {
        check_iban(v).map_err(|e| e.to_string())
    });
    let bic = c.parse("bic", subrogated, |v| {
        check_bic(v).map_err(|e| e.to_string())
    });

    let mut salaries = Vec::new();
    let mut present = Vec::new();
    for i in 1..=12 {
        let f = format!("salary_{i}");
        if c.raw(&f).is_some() {
            present.push(i);
        }
        let amount = c.parse(&f, false, |v| {
            let a = parse_amount(v).map_err(|e| e.to_string())?;
            if a > bounds::MAX_MONTHLY_SALARY {
                return Err(ValueError::AboveMonthlyMaximum(bounds::MAX_MONTHLY_SALARY).to_string());
            }
            Ok(a)
        });
        if let Some(a) = amount {
            salaries.push((i, a));
        }
    }
    // Salaries are "most recent first": a hole in the middle would shift every month.
    if let Some(&last) = present.last()
        && present.len() != last
    {
        c.err("salary_1", None, format!("salaries must be consecutive from salary_1 (salary_{last} given with gaps before it)"));
    }

    // Plausibility of dates (bounds above).
    let raw = |f: &str| rec.fields.get(f).map(String::as_str);
    let ahead = today
        .checked_add_days(chrono::Days::new(bounds::MAX_DAYS_AHEAD))
        .unwrap_or(today);
    for (f, d) in [
        ("last_day_worked", last_day_worked),
        ("accident_date", accident_date),
        ("return_date", return_date),
        ("subrogation_start", sub_start),
        ("contract_start", contract_start),
    ] {
        if let Some(d) = d
            && (d < bounds::MIN_DATE || d > ahead)
        {
            c.err(
                f,
                raw(f),
                format!(
                    "is not plausible: must be between {} and one year from today ({ahead})",
                    bounds::MIN_DATE
                ),
            );
        }
    }
    let end_limit = last_day_worked
        .unwrap_or(today)
        .max(today)
        .checked_add_months(chrono::Months::new(12 * bounds::MAX_STOPPAGE_YEARS))
        .and_then(|d| d.checked_add_days(chrono::Days::new(bounds::MAX_DAYS_AHEAD)))
        .unwrap_or(today);
    for (f, d) in [("expected_end", expected_end), ("subrogation_end", sub_end)] {
        if let Some(d) = d
            && (d < bounds::MIN_DATE || d > end_limit)
        {
            c.err(
                f,
                raw(f),
                format!(
                    "is not plausible: must be between {} and {end_limit} (at most {} years of IJ)",
                    bounds::MIN_DATE,
                    bounds::MAX_STOPPAGE_YEARS
                ),
            );
        }
    }
    if let Some(b) = birth_date {
        let at = last_day_worked.unwrap_or(today);
        let age = at.years_since(b).unwrap_or(0);
        if b > today || !(bounds::MIN_AGE..=bounds::MAX_AGE).contains(&age) {
            c.err(
                "birth_date",
                raw("birth_date"),
                format!(
                    "is not plausible: the employee must be {} to {} years old on the last day worked",
                    bounds::MIN_AGE,
                    bounds::MAX_AGE
                ),
            );
        }
    }

    // Order of dates.
    if let (Some(b), Some(s)) = (birth_date, contract_start)
        && b >= s
    {
        c.err(
            "contract_start",
            raw("contract_start"),
            "must be after the birth date",
        );
    }
    if let (Some(s), Some(l)) = (contract_start, last_day_worked)
        && l < s
    {
        c.err(
            "last_day_worked",
            raw("last_day_worked"),
            "must not be before the contract start",
        );
    }
    if let (Some(l), Some(e)) = (last_day_worked, expected_end)
        && e < l
    {
        c.err(
            "expected_end",
            raw("expected_end"),
            "must not be before the last day worked",
        );
    }
    if let (Some(l), Some(r)) = (last_day_worked, return_date)
        && r <= l
    {
        c.err(
            "return_date",
            raw("return_date"),
            "must be after the last day worked",
        );
    }
    if let (Some(a), Some(l)) = (accident_date, last_day_worked)
        && a > l + chrono::Days::new(1)
    {
        c.err(
            "accident_date",
            raw("accident_date"),
            "must not be after the first day of the stoppage",
        );
    }
    if let (Some(s), Some(e)) = (sub_start, sub_end)
        && e < s
    {
        c.err(
            "subrogation_end",
            raw("subrogation_end"),
            "must not be before the subrogation start",
        );
    }
    if let (Some(s), Some(l)) = (sub_start, last_day_worked)
        && s < l
    {
        c.err(
            "subrogation_start",
            raw("subrogation_start"),
            "must not be before the last day worked",
        );
    }
    if !subrogated {
        for f in ["subrogation_start", "subrogation_end"] {
            if c.raw(f).is_some() {
                c.err(f, raw(f), "is only allowed when subrogation = oui");
            }
        }
    }

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    // Every value required above is present when there are no errors; the `?`-style matches
    // below cannot fail, but we stay panic-free anyway.
    let (Some(event), Some(hr_ref), Some(siret), Some(nir)) = (event, hr_ref, siret, nir) else {
        return Err(vec![]);
    };
    let contract = match (contract_number, contract_start) {
        (Some(number), Some(start)) => Some(EmploymentContract {
            number,
            start,
            // Required on an arrêt (the only event whose contract is declared).
            nature: contract_nature.unwrap_or_default(),
            retirement_category,
            job_title,
            pcs_ese,
            statut_conventionnel,
            idcc,
            population,
        }),
        _ => None,
    };
    let subrogation = match (subrogated, sub_start, sub_end, iban, bic) {
        (true, Some(start), Some(end), Some(iban), Some(bic)) => Some(Subrogation {
            start,
            end,
            iban,
            bic,
        }),
        _ => None,
    };
    let return_reason =
        return_reason.or((event == EventKind::Reprise).then_some(ReturnReason::Normal));
    Ok(Stoppage {
        event,
        hr_ref,
        siret,
        employee: Employee {
            nir,
            last_name,
            usage_name,
            first_names,
            birth_date,
            sex,
            birth_place,
            birth_department,
            birth_country,
            address,
            postal_code,
            city,
            employee_id,
        },
        contract,
        reason,
        last_day_worked,
        expected_end,
        return_date,
        return_reason,
        accident_date,
        subrogation,
        salaries: salaries.into_iter().map(|(_, a)| SalaryAmount(a)).collect(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const SIRET: &str = "73282932000074";

    pub fn good_arret() -> Record {
        let mut r = Record::default();
        for (k, v) in [
            ("event", "arret"),
            ("hr_ref", "AT-2026-0001"),
            ("siret", SIRET),
            ("nir", "1850578006084"),
            ("last_name", "Müller"),
            ("first_names", "Jean Éric"),
            ("birth_date", "12/05/1985"),
            ("sex", "M"),
            ("contract_number", "C001"),
            ("contract_start", "2015-01-05"),
            ("reason", "maladie"),
            ("last_day_worked", "09/11/2026"),
            ("expected_end", "20/11/2026"),
            ("subrogation", "oui"),
            ("subrogation_start", "10/11/2026"),
            ("subrogation_end", "20/11/2026"),
            ("iban", "FR7630006000011234567890189"),
            ("bic", "BNPAFRPP"),
            ("salary_1", "2 500,00"),
            ("salary_2", "2500.10"),
            ("salary_3", "2400"),
            ("birth_place", "Strasbourg"),
            ("birth_department", "67"),
            ("birth_country", "FR"),
            ("address", "4 rue des Tanneurs"),
            ("postal_code", "67000"),
            ("city", "Strasbourg"),
            ("contract_nature", "01"),
            ("job_title", "Technicien"),
            ("pcs_ese", "479a"),
            ("statut_conventionnel", "05"),
            ("retirement_category", "04"),
            ("idcc", "1486"),
        ] {
            r.fields.insert(k.into(), v.into());
        }
        r
    }

    fn ctx_all() -> HashSet<String> {
        [SIRET.to_string()].into_iter().collect()
    }

    fn check(r: &Record) -> Result<Stoppage, Vec<FieldError>> {
        let configured = ctx_all();
        validate(
            r,
            &Context {
                configured: &configured,
                allowed: None,
            },
        )
    }

    fn errors_on(r: &Record) -> Vec<String> {
        let mut v: Vec<String> = check(r).unwrap_err().into_iter().map(|e| e.field).collect();
        v.sort();
        v
    }

    fn with(mut r: Record, k: &str, v: &str) -> Record {
        if v.is_empty() {
            r.fields.remove(k);
        } else {
            r.fields.insert(k.into(), v.into());
        }
        r
    }

    #[test]
    fn good_record_passes() {
        let s = check(&good_arret()).unwrap();
        assert_eq!(s.event, EventKind::Arret);
        assert_eq!(s.salaries.len(), 3);
        assert_eq!(s.salaries[0].0.to_string(), "2500.00");
        assert_eq!(s.salaries[1].0.to_string(), "2500.10");
        assert_eq!(s.employee.last_name.as_deref(), Some("Müller"));
        assert!(s.subrogation.is_some());
        assert_eq!(s.contract.as_ref().unwrap().nature, "01");
        assert_eq!(
            s.contract.as_ref().unwrap().retirement_category.as_deref(),
            Some("04")
        );
    }

    /// Every individual and contract field the signalement table (neodes::required) needs is
    /// required on an arrêt row, each reported by name; a reprise row does not need them.
    #[test]
    fn arret_needs_what_the_signalement_table_requires() {
        let fields = [
            "address",
            "birth_country",
            "birth_department",
            "birth_place",
            "city",
            "contract_nature",
            "idcc",
            "job_title",
            "pcs_ese",
            "postal_code",
            "retirement_category",
            "statut_conventionnel",
            "subrogation",
        ];
        let mut r = good_arret();
        for f in fields {
            r = with(r, f, "");
        }
        // subrogation dates are refused without subrogation = oui: drop them too.
        for f in ["subrogation_start", "subrogation_end", "iban", "bic"] {
            r = with(r, f, "");
        }
        assert_eq!(errors_on(&r), fields.to_vec());
        let reprise = with(with(r, "event", "reprise"), "return_date", "15/11/2026");
        assert!(check(&reprise).is_ok());
        assert!(
            errors_on(&with(good_arret(), "retirement_category", "03")) == ["retirement_category"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "statut_conventionnel", "42")),
            ["statut_conventionnel"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "contract_nature", "00")),
            ["contract_nature"]
        );
    }

    #[test]
    fn collects_every_error() {
        let r = with(
            with(
                with(good_arret(), "nir", "185057800608492"),
                "reason",
                "grippe",
            ),
            "last_name",
            "",
        );
        let mut f = errors_on(&r);
        f.sort();
        assert_eq!(f, vec!["last_name", "nir", "reason"]);
    }

    #[test]
    fn nir_error_value_is_masked() {
        let r = with(good_arret(), "nir", "185057800608492");
        let e = check(&r).unwrap_err();
        assert_eq!(e[0].value.as_deref(), Some("185************"));
    }

    #[test]
    fn siret_rules() {
        assert_eq!(
            errors_on(&with(good_arret(), "siret", "73282932000075")),
            vec!["siret"]
        );
        // A valid SIRET that is not configured.
        assert_eq!(
            errors_on(&with(good_arret(), "siret", "35600000000048")),
            vec!["siret"]
        );
        let configured = ctx_all();
        let allowed: HashSet<String> = HashSet::new();
        let e = validate(
            &good_arret(),
            &Context {
                configured: &configured,
                allowed: Some(&allowed),
            },
        )
        .unwrap_err();
        assert_eq!(e[0].reason, FORBIDDEN_SIRET);
    }

    #[test]
    fn date_rules() {
        assert_eq!(
            errors_on(&with(good_arret(), "birth_date", "31/02/1985")),
            vec!["birth_date"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "expected_end", "2026-11-08")),
            vec!["expected_end"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "last_day_worked", "01/01/2014")),
            vec!["last_day_worked"]
        );
        assert_eq!(
            errors_on(&with(
                with(good_arret(), "return_date", "09/11/2026"),
                "return_reason",
                "01"
            )),
            vec!["return_date"]
        );
        assert!(parse_date("2026/11/09").is_err());
        assert_eq!(
            parse_date("2026-11-09").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 9).unwrap()
        );
    }

    fn check_at(r: &Record, today: NaiveDate) -> Vec<String> {
        let configured = ctx_all();
        let ctx = Context {
            configured: &configured,
            allowed: None,
        };
        match validate_at(r, &ctx, today) {
            Ok(_) => vec![],
            Err(e) => e.into_iter().map(|e| e.field).collect(),
        }
    }

    /// Issue 17: `99999999999999999999999999.00` was accepted; dates had no plausible range.
    #[test]
    fn plausibility_bounds() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert!(check_at(&good_arret(), today).is_empty());
        let huge = with(good_arret(), "salary_1", "99999999999999999999999999.00");
        assert_eq!(check_at(&huge, today), vec!["salary_1"]);
        assert_eq!(
            check_at(&with(good_arret(), "salary_1", "1000000,00"), today),
            vec!["salary_1"]
        );
        assert!(check_at(&with(good_arret(), "salary_1", "999 999,99"), today).is_empty());
        // A stoppage before 1945, or more than a year ahead.
        let mut old = good_arret();
        for (k, v) in [
            ("contract_start", "1930-01-05"),
            ("last_day_worked", "1944-12-31"),
            ("birth_date", "12/05/1900"),
            ("expected_end", "1945-01-20"),
            ("subrogation", "non"),
        ] {
            old.fields.insert(k.into(), v.into());
        }
        for k in ["subrogation_start", "subrogation_end", "iban", "bic"] {
            old.fields.remove(k);
        }
        old.fields.insert("nir".into(), "1000578006084".into());
        let errs = check_at(&old, today);
        assert!(errs.contains(&"last_day_worked".to_string()), "{errs:?}");
        assert!(errs.contains(&"contract_start".to_string()), "{errs:?}");
        let ahead = with(good_arret(), "last_day_worked", "2027-12-01");
        let errs = check_at(&with(ahead, "expected_end", "2027-12-20"), today);
        assert!(errs.contains(&"last_day_worked".to_string()), "{errs:?}");
        // The expected end may be far, not beyond 3 years of IJ (+ the days ahead).
        let far = with(good_arret(), "expected_end", "2031-01-01");
        let errs = check_at(&with(far, "subrogation_end", "2026-11-20"), today);
        assert_eq!(errs, vec!["expected_end"]);
        // Birth date: 14 to 100 years old on the last day worked.
        let young = with(good_arret(), "birth_date", "12/05/2015");
        assert!(check_at(&young, today).contains(&"birth_date".to_string()));
        // The error is located and says why.
        let configured = ctx_all();
        let ctx = Context {
            configured: &configured,
            allowed: None,
        };
        let e = validate_at(&with(good_arret(), "salary_2", "5000000"), &ctx, today).unwrap_err();
        assert!(e[0].reason.contains("plausible maximum"), "{e:?}");
    }

    #[test]
    fn echoed_values_are_bounded() {
        let long = "x".repeat(3_000_000);
        let e = check(&with(good_arret(), "hr_ref", &long)).unwrap_err();
        let v = e[0].value.as_deref().unwrap();
        assert_eq!(v.chars().count(), ECHO_MAX + 1);
        assert!(v.ends_with('…'));
        assert_eq!(excerpt("a\nb\u{1b}", 10), "a\\nb\\u{1b}");
    }

    #[test]
    fn nir_consistency_with_sex_and_birth() {
        assert_eq!(errors_on(&with(good_arret(), "sex", "F")), vec!["sex"]);
        assert_eq!(
            errors_on(&with(good_arret(), "birth_date", "12/05/1986")),
            vec!["birth_date"]
        );
    }

    #[test]
    fn subrogation_rules() {
        assert_eq!(
            errors_on(&with(good_arret(), "subrogation_end", "")),
            vec!["subrogation_end"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "iban", "FR7630006000011234567890188")),
            vec!["iban"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "subrogation", "non")),
            vec!["subrogation_end", "subrogation_start"]
        );
        let no_sub = with(
            with(
                with(good_arret(), "subrogation", "non"),
                "subrogation_start",
                "",
            ),
            "subrogation_end",
            "",
        );
        assert!(check(&no_sub).unwrap().subrogation.is_none());
    }

    #[test]
    fn amount_rules() {
        assert_eq!(
            errors_on(&with(good_arret(), "salary_1", "-10")),
            vec!["salary_1"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "salary_1", "12,345")),
            vec!["salary_1"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "salary_1", "abc")),
            vec!["salary_1"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "salary_5", "100")),
            vec!["salary_1"]
        );
        assert_eq!(parse_amount("1 234,56").unwrap().to_string(), "1234.56");
    }

    #[test]
    fn charset_rules() {
        let s = check(&with(good_arret(), "last_name", "O’Connor")).unwrap();
        assert_eq!(s.employee.last_name.as_deref(), Some("O'Connor"));
        let e = check(&with(good_arret(), "last_name", "Smith #2")).unwrap_err();
        assert_eq!(e[0].field, "last_name");
        assert!(e[0].reason.contains("'#'"), "{}", e[0].reason);
        assert_eq!(
            errors_on(&with(good_arret(), "first_names", "...")),
            vec!["first_names"]
        );
    }

    #[test]
    fn motif_and_accident_rules() {
        assert_eq!(
            errors_on(&with(good_arret(), "reason", "accident_travail")),
            vec!["accident_date"]
        );
        let r = with(
            with(good_arret(), "reason", "06"),
            "accident_date",
            "09/11/2026",
        );
        assert!(check(&r).is_ok());
    }

    #[test]
    fn event_specific_requirements() {
        let mut r = Record::default();
        for (k, v) in [
            ("event", "reprise"),
            ("hr_ref", "AT-1"),
            ("siret", SIRET),
            ("nir", "1850578006084"),
        ] {
            r.fields.insert(k.into(), v.into());
        }
        assert_eq!(errors_on(&r), vec!["return_date"]);
        let ok = check(&with(r.clone(), "return_date", "2026-11-15")).unwrap();
        assert_eq!(ok.return_reason, Some(ReturnReason::Normal));
        let ann = check(&with(r.clone(), "event", "annulation")).unwrap();
        assert_eq!(ann.event, EventKind::Annulation);
        assert_eq!(
            errors_on(&with(r, "event", "prolongation")),
            vec!["expected_end"]
        );
    }

    #[test]
    fn hr_ref_and_unknown_fields() {
        assert_eq!(
            errors_on(&with(good_arret(), "hr_ref", "../etc/passwd")),
            vec!["hr_ref"]
        );
        assert_eq!(
            errors_on(&with(good_arret(), "colour", "blue")),
            vec!["colour"]
        );
    }

    #[test]
    fn content_hash_is_stable_and_sensitive() {
        let a = check(&good_arret()).unwrap();
        let b = check(&with(good_arret(), "salary_1", "2500.00")).unwrap();
        assert_eq!(a.content_hash(), b.content_hash());
        let c = check(&with(good_arret(), "expected_end", "21/11/2026")).unwrap();
        assert_ne!(a.content_hash(), c.content_hash());
    }
}
