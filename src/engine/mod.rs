//! The workflow: ingestion of messages from any door into the journal, the notices handed
//! back, and the daemon that runs it all.

pub mod cpam;
pub mod daemon;
pub mod exchange;
pub mod ingest;
pub mod insurer;
pub mod notices;
pub mod prestij;
pub mod purge;
pub mod reload;
pub mod replay;
pub mod report;
pub mod service;
