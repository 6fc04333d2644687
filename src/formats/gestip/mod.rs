//! Prest'IJ enrolment flows: GESTIP (insurer → CNAM) and its answers, ARL GESTIP (logical
//! acknowledgement) and CR GESTIP (functional report, one line per employee).
//!
//! The official cahier des charges is distributed to certified parties only and is not
//! public, so the wire format is a *model* ([`v1`], schema `gestip-model-v1.xsd` beside this
//! file) built from the public descriptions of the service (sintia.fr "Prest'IJ – les
//! principaux flux", in2consulting.fr "La gestion des arrêts de travail avec Prest'IJ").
//!
//! Invariant: the engine sees only the types of this file. Switching to the official schema
//! (which an insurer must provide) means adding a version module beside [`v1`] and changing
//! [`write_gestip`] / [`read_answer`]; nothing outside `src/formats/gestip` changes.

pub mod v1;

use chrono::{NaiveDate, NaiveDateTime};

use crate::model::nir::RawNir as Nir;

/// The schema version ijgate writes (also written in the `Version` attribute).
pub const MODEL_VERSION: &str = "model-v1";

/// Enrol or withdraw an employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Enrol,
    Withdraw,
}

/// The cover an enrolment asks BPIJ for (GESTIP "type de couverture", sintia.fr). The public
/// descriptions name the field without listing its values: the model has one, every daily
/// allowance (maladie, maternité/paternité, AT/MP), which is what a prévoyance complement needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// `IJ` in gestip-model-v1.xsd `TypeCouverture`.
    DailyAllowances,
}

/// One employee line of a GESTIP.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Our enrolment reference (echoed in the CR).
    pub reference: String,
    pub operation: Operation,
    pub cover: Cover,
    pub nir: Nir,
    pub last_name: String,
    pub first_name: Option<String>,
    /// Cover start; may be in the past (retroactivity).
    pub cover_from: NaiveDate,
    pub cover_to: Option<NaiveDate>,
}

/// The employees of one company.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub siret: String,
    pub lines: Vec<Line>,
}

/// One GESTIP flow: one per insurer per cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Gestip {
    pub flow_id: String,
    pub access_key: String,
    pub insurer_code: String,
    pub insurer_name: String,
    pub created: NaiveDateTime,
    pub companies: Vec<Company>,
}

/// ARL GESTIP: the flow was received and readable (or not).
#[derive(Debug, Clone, PartialEq)]
pub struct Arl {
    pub flow_id: String,
    pub accepted: bool,
    pub reason: Option<String>,
    pub received: NaiveDateTime,
}

/// One line of a CR GESTIP.
#[derive(Debug, Clone, PartialEq)]
pub struct CrLine {
    pub reference: String,
    pub nir: Nir,
    pub accepted: bool,
    pub code: Option<String>,
    pub reason: Option<String>,
}

/// CR GESTIP: the functional outcome of every line of a flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Cr {
    pub flow_id: String,
    pub processed: NaiveDateTime,
    pub lines: Vec<CrLine>,
}

/// An answer read from the channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Arl(Arl),
    Cr(Cr),
}

/// A located reading error: `field` is the element path, `line` the 1-based line in the file.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GestipError {
    #[error("not XML: {0}")]
    Xml(String),
    #[error("line {line}: unknown root <{root}> (expected ARL_GESTIP or CR_GESTIP)")]
    UnknownRoot { root: String, line: usize },
    #[error("line {line}: unsupported version {version:?} (this build reads {MODEL_VERSION})")]
    Version { version: String, line: usize },
    #[error("line {line}, field {field}: {message}")]
    Field {
        field: String,
        line: usize,
        message: String,
    },
}

/// Writes a GESTIP in the current model version.
pub fn write_gestip(g: &Gestip) -> String {
    v1::write_gestip(g)
}

/// Reads an ARL or a CR GESTIP.
pub fn read_answer(bytes: &[u8]) -> Result<Answer, GestipError> {
    v1::read_answer(bytes)
}

/// Reads a GESTIP (the sandbox peer's side and the tests).
pub fn read_gestip(bytes: &[u8]) -> Result<Gestip, GestipError> {
    v1::read_gestip(bytes)
}

/// Writes an ARL (sandbox peer side).
pub fn write_arl(a: &Arl) -> String {
    v1::write_arl(a)
}

/// Writes a CR (sandbox peer side).
pub fn write_cr(c: &Cr) -> String {
    v1::write_cr(c)
}
