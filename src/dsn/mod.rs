//! DSN analysis for prévoyance insurers (domain.md §1.4, §1.4b, §3.3 CRM OC).
//!
//! Layout
//! - [`model`]: typed declaration (company, establishments, individuals, contracts, stoppages,
//!   affiliations, bases, contributions, payments); NIR masked in Display/Debug/serde.
//! - [`extract`]: builds declarations from the NEODeS reader, one at a time (flat memory).
//! - [`checks`]: anomalies with CRM OC codes (EADH, EAFF, ECIN, ECVE, EVER), located at their
//!   rubric, consequences linked to their cause.
//! - [`manques`]: month-to-month findings (individuals, contracts, affiliations, contributions)
//!   located in both files, and declarations not received (MDSN01).
//! - [`crm`]: the CRM OC XML (CRM-DSN-OC-P3-V1.1.4) of one declaration.
//! - [`cli`]: `ijgate dsn check/calls` (bin layer).
//! - [`files`]: fiches and DSN files read, outputs written; `process_file` for the spool
//!   watcher (the I/O edge, ports layer).
//! - [`generate`]: deterministic realistic DSN lots for benchmarks.
//! - [`calls`]: contribution calls (expected, declared, paid, balance) as JSON, CSV, HTML.
//! - [`analyze`]: the pipeline reader → extraction → checks → calls, one declaration in memory.
//! - [`fiche`]: the insurer's fiche de paramétrage (contracts, options, populations, rates).

pub mod analyze;
pub mod calls;
pub mod checks;
pub mod cli;
pub mod crm;
pub mod extract;
pub mod fiche;
pub mod files;
pub mod generate;
pub mod journal_check;
pub mod manques;
pub mod model;
