//! External formats mapped to and from the domain model: HR inputs (CSV, JSON, DSN
//! signalements), the signalements ijgate writes, API DSN returns (`rapport`), API listings and
//! BPIJ payment slips. Pure functions over bytes; the channels do the I/O.

pub mod bpij;
pub mod dsn_signalement;
pub mod gestip;
pub mod hr_csv;
pub mod hr_json;
pub mod insurer;
pub mod listing;
pub mod notice_fr;
pub mod rapport;
pub mod signalement;
pub mod xml_tree;

/// The shared reference folder (`../shared/reference` from the crate root): gip-mds files are
/// read from there by tests, never copied into the repository. `IJGATE_REFERENCE_DIR`
/// overrides it.
#[cfg(test)]
pub(crate) fn reference_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("IJGATE_REFERENCE_DIR") {
        return std::path::PathBuf::from(dir);
    }
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}
