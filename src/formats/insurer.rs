//! The insurer message (`ijgate-insurer-v1`): what a prévoyance insurer receives about one
//! stoppage of one of its insured, as XML (schema `src/formats/insurer/ijgate-insurer-v1.xsd`,
//! namespace [`NS`]) and as a one-row CSV with the same content flattened.
//!
//! Three kinds share one shape: `stoppage` (sent at every event and acknowledgement),
//! `guarantee_start` (the franchise has elapsed while the stoppage lasts) and
//! `below_franchise` (the stoppage ended or was cancelled before the guarantee day).
//!
//! Pure: no I/O. The NIR is written in full (the file goes to the employee's own insurer
//! only); amounts are `Decimal` written as given (two decimals from the payroll).

use std::io::Write;

use chrono::NaiveDate;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rust_decimal::Decimal;
use serde::Serialize;

/// XML namespace of the insurer message.
pub const NS: &str = "urn:ijgate:insurer:v1";

/// What the message announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Stoppage,
    GuaranteeStart,
    BelowFranchise,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Stoppage => "stoppage",
            MessageKind::GuaranteeStart => "guarantee_start",
            MessageKind::BelowFranchise => "below_franchise",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Party {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmployeeInfo {
    /// 13-character NIR (without key).
    pub nir: String,
    pub last_name: Option<String>,
    pub first_names: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// DSN code 01 / 02.
    pub sex: Option<String>,
    pub employee_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContractInfo {
    pub number: String,
    pub start: NaiveDate,
    pub nature: String,
    pub population: Option<String>,
    pub job_title: Option<String>,
}

/// Where the stoppage stands in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoppageStatus {
    Open,
    Ended,
    Cancelled,
}

impl StoppageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StoppageStatus::Open => "open",
            StoppageStatus::Ended => "ended",
            StoppageStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoppageInfo {
    pub hr_ref: String,
    /// DSN motif code (two digits).
    pub motif: String,
    pub last_day_worked: NaiveDate,
    /// last_day_worked + 1.
    pub first_day: NaiveDate,
    pub expected_end: Option<NaiveDate>,
    pub return_date: Option<NaiveDate>,
    pub accident_date: Option<NaiveDate>,
    pub status: StoppageStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubrogationInfo {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// One acknowledgement from the CPAM chain (AEE, 30, 31...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ack {
    /// The declaration event the deposit was for (arret, reprise, annulation).
    pub event: String,
    pub idflux: String,
    /// Return nature: 10 (AEE/ARE), 30, 31...
    pub nature: String,
    pub return_id: String,
    pub statut: Option<String>,
    pub outcome: Option<String>,
    pub at: String,
}

/// The prévoyance complement computed for the guarantee start (totals over from..=to).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Complement {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub gross: Decimal,
    pub net: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guarantee {
    /// First day the contract pays (first_day + franchise_days).
    pub date: NaiveDate,
    pub complement: Option<Complement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InsurerMessage {
    pub kind: MessageKind,
    pub generated_at: String,
    pub insurer: Party,
    pub contract_reference: String,
    pub franchise_days: u32,
    /// SIRET and name.
    pub employer: Party,
    pub employee: EmployeeInfo,
    pub employment_contract: Option<ContractInfo>,
    pub stoppage: StoppageInfo,
    pub subrogation: Option<SubrogationInfo>,
    /// Gross monthly salaries, most recent first (up to 12).
    pub salaries: Vec<Decimal>,
    /// first_day + franchise_days.
    pub guarantee_date: NaiveDate,
    pub acknowledgements: Vec<Ack>,
    pub guarantee: Option<Guarantee>,
    /// The stoppage was only sent as an essai file (S10.G00.00.005 = 01): CPAM ignores it,
    /// nothing is declared. XML attribute `test="true"`, CSV column `test`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

struct X<W: Write>(Writer<W>);

impl<W: Write> X<W> {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        let mut e = BytesStart::new(name);
        for (k, v) in attrs {
            e.push_attribute((*k, *v));
        }
        self.0.write_event(Event::Start(e))
    }
    fn end(&mut self, name: &str) -> std::io::Result<()> {
        self.0.write_event(Event::End(BytesEnd::new(name)))
    }
    fn leaf(&mut self, name: &str, text: &str) -> std::io::Result<()> {
        self.start(name, &[])?;
        self.0.write_event(Event::Text(BytesText::new(text)))?;
        self.end(name)
    }
    fn opt(&mut self, name: &str, text: Option<&str>) -> std::io::Result<()> {
        match text {
            Some(t) => self.leaf(name, t),
            None => Ok(()),
        }
    }
    fn opt_date(&mut self, name: &str, d: Option<NaiveDate>) -> std::io::Result<()> {
        self.opt(name, d.map(date).as_deref())
    }
}

impl InsurerMessage {
    /// The XML document (UTF-8, indented), valid against `ijgate-insurer-v1.xsd`.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut x = X(Writer::new_with_indent(Vec::new(), b' ', 2));
        // Writing into a Vec cannot fail.
        if self.write_xml(&mut x).is_err() {
            return Vec::new();
        }
        let mut out = x.0.into_inner();
        out.push(b'\n');
        out
    }

    fn write_xml<W: Write>(&self, x: &mut X<W>) -> std::io::Result<()> {
        x.0.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let mut attrs = vec![
            ("xmlns", NS),
            ("version", "1"),
            ("kind", self.kind.as_str()),
        ];
        if self.test {
            attrs.push(("test", "true"));
        }
        x.start("InsurerMessage", &attrs)?;
        x.leaf("GeneratedAt", &self.generated_at)?;
        x.start("Insurer", &[])?;
        x.leaf("Code", &self.insurer.code)?;
        x.leaf("Name", &self.insurer.name)?;
        x.leaf("ContractReference", &self.contract_reference)?;
        x.leaf("FranchiseDays", &self.franchise_days.to_string())?;
        x.end("Insurer")?;
        x.start("Employer", &[])?;
        x.leaf("Siret", &self.employer.code)?;
        x.leaf("Name", &self.employer.name)?;
        x.end("Employer")?;
        let e = &self.employee;
        x.start("Employee", &[])?;
        x.leaf("Nir", &e.nir)?;
        x.opt("LastName", e.last_name.as_deref())?;
        x.opt("FirstNames", e.first_names.as_deref())?;
        x.opt_date("BirthDate", e.birth_date)?;
        x.opt("Sex", e.sex.as_deref())?;
        x.opt("EmployeeId", e.employee_id.as_deref())?;
        x.end("Employee")?;
        if let Some(c) = &self.employment_contract {
            x.start("EmploymentContract", &[])?;
            x.leaf("Number", &c.number)?;
            x.leaf("Start", &date(c.start))?;
            x.leaf("Nature", &c.nature)?;
            x.opt("Population", c.population.as_deref())?;
            x.opt("JobTitle", c.job_title.as_deref())?;
            x.end("EmploymentContract")?;
        }
        let s = &self.stoppage;
        x.start("Stoppage", &[])?;
        x.leaf("HrRef", &s.hr_ref)?;
        x.leaf("Motif", &s.motif)?;
        x.leaf("LastDayWorked", &date(s.last_day_worked))?;
        x.leaf("FirstDay", &date(s.first_day))?;
        x.opt_date("ExpectedEnd", s.expected_end)?;
        x.opt_date("ReturnDate", s.return_date)?;
        x.opt_date("AccidentDate", s.accident_date)?;
        x.leaf("Status", s.status.as_str())?;
        x.end("Stoppage")?;
        if let Some(sub) = &self.subrogation {
            x.start("Subrogation", &[])?;
            x.leaf("Start", &date(sub.start))?;
            x.leaf("End", &date(sub.end))?;
            x.end("Subrogation")?;
        }
        x.start("Salaries", &[])?;
        for (i, amount) in self.salaries.iter().enumerate() {
            x.start("Salary", &[("rank", &(i + 1).to_string())])?;
            x.0.write_event(Event::Text(BytesText::new(&amount.to_string())))?;
            x.end("Salary")?;
        }
        x.end("Salaries")?;
        x.start("Franchise", &[])?;
        x.leaf("Days", &self.franchise_days.to_string())?;
        x.leaf("GuaranteeDate", &date(self.guarantee_date))?;
        x.end("Franchise")?;
        x.start("Acknowledgements", &[])?;
        for a in &self.acknowledgements {
            x.start("Ack", &[])?;
            x.leaf("Event", &a.event)?;
            x.leaf("Idflux", &a.idflux)?;
            x.leaf("Nature", &a.nature)?;
            x.leaf("ReturnId", &a.return_id)?;
            x.opt("Statut", a.statut.as_deref())?;
            x.opt("Outcome", a.outcome.as_deref())?;
            x.leaf("At", &a.at)?;
            x.end("Ack")?;
        }
        x.end("Acknowledgements")?;
        if let Some(g) = &self.guarantee {
            x.start("Guarantee", &[])?;
            x.leaf("Date", &date(g.date))?;
            if let Some(c) = &g.complement {
                x.start("Complement", &[])?;
                x.leaf("From", &date(c.from))?;
                x.leaf("To", &date(c.to))?;
                x.leaf("Gross", &c.gross.to_string())?;
                x.leaf("Net", &c.net.to_string())?;
                x.end("Complement")?;
            }
            x.end("Guarantee")?;
        }
        x.end("InsurerMessage")
    }

    /// CSV header (`;`-separated, UTF-8): see [`InsurerMessage::csv_row`].
    pub fn csv_header() -> Vec<String> {
        let mut h: Vec<String> = [
            "kind",
            "generated_at",
            "insurer_code",
            "contract_reference",
            "employer_siret",
            "employer_name",
            "nir",
            "last_name",
            "first_names",
            "birth_date",
            "employment_contract",
            "population",
            "hr_ref",
            "motif",
            "last_day_worked",
            "first_day",
            "expected_end",
            "return_date",
            "status",
            "subrogation_start",
            "subrogation_end",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        h.extend((1..=12).map(|i| format!("salary_{i}")));
        h.extend(
            [
                "franchise_days",
                "guarantee_date",
                "aee_idflux",
                "return_30",
                "return_31",
                "complement_gross",
                "complement_net",
                "test",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        h
    }

    /// One row, in the order of [`InsurerMessage::csv_header`]. `return_30`/`return_31` hold
    /// the outcome of the latest return of that nature.
    pub fn csv_row(&self) -> Vec<String> {
        let od = |d: Option<NaiveDate>| d.map(date).unwrap_or_default();
        let os = |s: &Option<String>| s.clone().unwrap_or_default();
        let c = self.employment_contract.as_ref();
        let latest = |nature: &str| {
            self.acknowledgements
                .iter()
                .rfind(|a| a.nature == nature)
                .and_then(|a| a.outcome.clone())
                .unwrap_or_default()
        };
        let aee = self
            .acknowledgements
            .iter()
            .rfind(|a| a.nature == "10" && a.return_id == "AEE")
            .map(|a| a.idflux.clone())
            .unwrap_or_default();
        let mut row = vec![
            self.kind.as_str().to_string(),
            self.generated_at.clone(),
            self.insurer.code.clone(),
            self.contract_reference.clone(),
            self.employer.code.clone(),
            self.employer.name.clone(),
            self.employee.nir.clone(),
            os(&self.employee.last_name),
            os(&self.employee.first_names),
            od(self.employee.birth_date),
            c.map(|c| c.number.clone()).unwrap_or_default(),
            c.and_then(|c| c.population.clone()).unwrap_or_default(),
            self.stoppage.hr_ref.clone(),
            self.stoppage.motif.clone(),
            date(self.stoppage.last_day_worked),
            date(self.stoppage.first_day),
            od(self.stoppage.expected_end),
            od(self.stoppage.return_date),
            self.stoppage.status.as_str().to_string(),
            od(self.subrogation.as_ref().map(|s| s.start)),
            od(self.subrogation.as_ref().map(|s| s.end)),
        ];
        for i in 0..12 {
            row.push(
                self.salaries
                    .get(i)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            );
        }
        row.push(self.franchise_days.to_string());
        row.push(date(self.guarantee_date));
        row.push(aee);
        row.push(latest("30"));
        row.push(latest("31"));
        let complement = self.guarantee.as_ref().and_then(|g| g.complement.as_ref());
        row.push(complement.map(|c| c.gross.to_string()).unwrap_or_default());
        row.push(complement.map(|c| c.net.to_string()).unwrap_or_default());
        row.push(if self.test { "true" } else { "false" }.to_string());
        row
    }

    /// Header and one row.
    pub fn to_csv(&self) -> Vec<u8> {
        csv_document(&Self::csv_header(), &[self.csv_row()])
    }
}

/// `;`-separated CSV with CRLF line ends; fields quoted when they hold `;`, `"` or a newline.
pub fn csv_document(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let fields: Vec<String> = r.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn csv_field(f: &str) -> String {
    if f.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub(crate) fn sample(kind: MessageKind) -> InsurerMessage {
        InsurerMessage {
            kind,
            generated_at: "2026-11-25T10:00:00.000Z".into(),
            insurer: Party {
                code: "PREVA".into(),
                name: "Prévoyance A & Co".into(),
            },
            contract_reference: "CT-<42>".into(),
            franchise_days: 30,
            employer: Party {
                code: "12345678200010".into(),
                name: "Employer; A".into(),
            },
            employee: EmployeeInfo {
                nir: "1850578006084".into(),
                last_name: Some("Dupont \"Jr\"".into()),
                first_names: Some("Jean".into()),
                birth_date: Some(d("1985-05-12")),
                sex: Some("01".into()),
                employee_id: None,
            },
            employment_contract: Some(ContractInfo {
                number: "C001".into(),
                start: d("2015-01-05"),
                nature: "01".into(),
                population: Some("cadres".into()),
                job_title: None,
            }),
            stoppage: StoppageInfo {
                hr_ref: "ARR-1".into(),
                motif: "01".into(),
                last_day_worked: d("2026-11-09"),
                first_day: d("2026-11-10"),
                expected_end: Some(d("2026-12-20")),
                return_date: None,
                accident_date: None,
                status: StoppageStatus::Open,
            },
            subrogation: Some(SubrogationInfo {
                start: d("2026-11-10"),
                end: d("2026-12-20"),
            }),
            salaries: vec![dec!(2500.00), dec!(2500.00), dec!(2400.50)],
            guarantee_date: d("2026-12-10"),
            acknowledgements: vec![
                Ack {
                    event: "arret".into(),
                    idflux: "FLX1".into(),
                    nature: "10".into(),
                    return_id: "AEE".into(),
                    statut: Some("OK".into()),
                    outcome: Some("technical_accepted".into()),
                    at: "2026-11-10T08:00:00.000Z".into(),
                },
                Ack {
                    event: "arret".into(),
                    idflux: "FLX1".into(),
                    nature: "31".into(),
                    return_id: "R1".into(),
                    statut: None,
                    outcome: Some("cnam_accepted".into()),
                    at: "2026-11-10T09:00:00.000Z".into(),
                },
            ],
            guarantee: (kind == MessageKind::GuaranteeStart).then(|| Guarantee {
                date: d("2026-12-10"),
                complement: Some(Complement {
                    from: d("2026-12-10"),
                    to: d("2026-12-20"),
                    gross: dec!(123.45),
                    net: dec!(100.10),
                }),
            }),
            test: false,
        }
    }

    #[test]
    fn xml_escapes_and_orders() {
        let x = String::from_utf8(sample(MessageKind::Stoppage).to_xml()).unwrap();
        assert!(x.contains("<ContractReference>CT-&lt;42&gt;</ContractReference>"));
        assert!(x.contains("kind=\"stoppage\""));
        assert!(x.contains("<Salary rank=\"3\">2400.50</Salary>"));
        assert!(!x.contains("<Guarantee>"));
        let g = String::from_utf8(sample(MessageKind::GuaranteeStart).to_xml()).unwrap();
        assert!(g.contains("<Gross>123.45</Gross>"));
        assert!(g.contains("<Net>100.10</Net>"));
    }

    #[test]
    fn csv_has_one_value_per_column_and_quotes() {
        let m = sample(MessageKind::Stoppage);
        assert_eq!(InsurerMessage::csv_header().len(), m.csv_row().len());
        let text = String::from_utf8(m.to_csv()).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("kind;generated_at;"));
        let row = lines.next().unwrap();
        assert!(row.contains("\"Employer; A\""));
        assert!(row.contains("\"Dupont \"\"Jr\"\"\""));
        assert!(row.contains(";FLX1;;cnam_accepted;"), "{row}");
        assert!(row.ends_with(";false"), "{row}");
    }

    /// A stoppage only sent as an essai says so in both forms.
    #[test]
    fn essai_is_visible_in_xml_and_csv() {
        let mut m = sample(MessageKind::Stoppage);
        m.test = true;
        let x = String::from_utf8(m.to_xml()).unwrap();
        assert!(x.contains("kind=\"stoppage\" test=\"true\""), "{x}");
        let csv = String::from_utf8(m.to_csv()).unwrap();
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().ends_with(";test"));
        assert!(lines.next().unwrap().ends_with(";true"));
        assert!(
            !String::from_utf8(sample(MessageKind::Stoppage).to_xml())
                .unwrap()
                .contains("test=")
        );
    }

    /// Every kind validates against the committed XSD (xmllint). Fails under CI when xmllint
    /// is missing; skips with a reason otherwise.
    #[test]
    fn xml_validates_against_xsd() {
        let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/formats/insurer/ijgate-insurer-v1.xsd");
        let dir = tempfile::tempdir().unwrap();
        let mut docs = Vec::new();
        for kind in [
            MessageKind::Stoppage,
            MessageKind::GuaranteeStart,
            MessageKind::BelowFranchise,
        ] {
            let mut m = sample(kind);
            // An essai stoppage: the test attribute is in the schema too.
            m.test = kind == MessageKind::GuaranteeStart;
            if kind == MessageKind::BelowFranchise {
                m.employment_contract = None;
                m.subrogation = None;
                m.acknowledgements.clear();
                m.salaries.clear();
                m.stoppage.status = StoppageStatus::Cancelled;
            }
            docs.push(m.to_xml());
        }
        assert!(xmllint_validate(&xsd, dir.path(), &docs).unwrap_or(true));
        // The validator must be able to say no: a document out of XSD order is refused.
        let bad = String::from_utf8(docs[0].clone())
            .unwrap()
            .replace("<GeneratedAt>", "<Bogus/><GeneratedAt>");
        if let Some(ok) = xmllint_validate(&xsd, dir.path(), &[bad.into_bytes()]) {
            assert!(!ok, "xmllint accepted an invalid document");
        }
    }

    /// Issue 17: a salary the validator accepted made an insurer XML its own XSD refused.
    /// The message built from the largest values the validator accepts still validates.
    #[test]
    fn xml_from_maximal_accepted_values_validates() {
        use crate::model::validate::{Context, Record, bounds, validate_at};
        let today = d("2026-11-29");
        let max = bounds::MAX_MONTHLY_SALARY.to_string().replace('.', ",");
        let mut r = Record::default();
        for (k, v) in [
            ("event", "arret"),
            ("hr_ref", "A".repeat(64).as_str()),
            ("siret", "73282932000074"),
            ("nir", "1270578006084"),
            ("last_name", "X".repeat(80).as_str()),
            ("first_names", "Y".repeat(80).as_str()),
            ("birth_date", "12/05/1927"),
            ("sex", "M"),
            ("contract_number", "C".repeat(20).as_str()),
            ("contract_start", "1945-01-01"),
            ("reason", "accident_travail"),
            ("accident_date", "2027-11-30"),
            ("last_day_worked", "2027-11-30"),
            ("expected_end", "2031-11-30"),
            ("subrogation", "oui"),
            ("subrogation_start", "2027-11-30"),
            ("subrogation_end", "2031-11-30"),
            ("iban", "FR7630006000011234567890189"),
            ("bic", "BNPAFRPP"),
            // The individual and contract fields a signalement requires (neodes::required).
            ("birth_place", "Nantes"),
            ("birth_department", "44"),
            ("birth_country", "FR"),
            ("address", "5 rue du Test"),
            ("postal_code", "44000"),
            ("city", "Nantes"),
            ("contract_nature", "01"),
            ("job_title", "Comptable"),
            ("pcs_ese", "461d"),
            ("statut_conventionnel", "06"),
            ("retirement_category", "04"),
            ("idcc", "1486"),
        ] {
            r.fields.insert(k.into(), v.into());
        }
        for i in 1..=12 {
            r.fields.insert(format!("salary_{i}"), max.clone());
        }
        let configured = ["73282932000074".to_string()].into_iter().collect();
        let ctx = Context {
            configured: &configured,
            allowed: None,
        };
        let s = validate_at(&r, &ctx, today).expect("the maximal values are accepted");
        let mut m = sample(MessageKind::GuaranteeStart);
        m.salaries = s.salaries.iter().map(|a| a.0).collect();
        m.employee.last_name = s.employee.last_name.clone();
        m.employee.first_names = s.employee.first_names.clone();
        m.employee.birth_date = s.employee.birth_date;
        m.stoppage.hr_ref = s.hr_ref.clone();
        m.stoppage.last_day_worked = s.last_day_worked.unwrap();
        m.stoppage.expected_end = s.expected_end;
        m.stoppage.accident_date = s.accident_date;
        let total: Decimal = m.salaries.iter().copied().sum();
        m.guarantee = Some(Guarantee {
            date: s.expected_end.unwrap(),
            complement: Some(Complement {
                from: s.last_day_worked.unwrap(),
                to: s.expected_end.unwrap(),
                gross: total,
                net: total,
            }),
        });
        let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/formats/insurer/ijgate-insurer-v1.xsd");
        let dir = tempfile::tempdir().unwrap();
        assert!(xmllint_validate(&xsd, dir.path(), &[m.to_xml()]).unwrap_or(true));
        // And the bound is what keeps it so: the salary is refused by xmllint.
        let mut huge = m.clone();
        huge.salaries[0] = "99999999999999999999999999.00".parse().unwrap();
        if let Some(ok) = xmllint_validate(&xsd, dir.path(), &[huge.to_xml()]) {
            assert!(!ok, "xmllint accepted a 28-digit salary");
        }
    }

    /// Validates documents with xmllint; `None` when xmllint is absent (outside CI).
    pub(crate) fn xmllint_validate(
        xsd: &std::path::Path,
        dir: &std::path::Path,
        docs: &[Vec<u8>],
    ) -> Option<bool> {
        let have = std::process::Command::new("xmllint")
            .arg("--version")
            .output()
            .is_ok();
        if !have {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "xmllint is required under CI (apt-get install libxml2-utils)"
            );
            eprintln!("SKIPPED: xmllint not installed (apt-get install libxml2-utils)");
            return None;
        }
        let mut all = true;
        for (i, doc) in docs.iter().enumerate() {
            let p = dir.join(format!("doc{i}.xml"));
            std::fs::write(&p, doc).unwrap();
            let out = std::process::Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(xsd)
                .arg(&p)
                .output()
                .unwrap();
            if !out.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                all = false;
            }
        }
        Some(all)
    }
}
