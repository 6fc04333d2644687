//! External formats mapped to and from the domain model: HR inputs (CSV, JSON, DSN
//! signalements). Pure functions over bytes; the channels do the I/O.

pub mod hr_csv;
pub mod hr_json;
