//! I/O edges: durable file operations, the spool door, the outbox writer, the mTLS web
//! service and TLS material.

pub mod accept;
pub mod admin;
pub mod api;
pub mod dsn_spool;
pub mod fsio;
pub mod mailer;
pub mod mtls_client;
pub mod netent;
pub mod outbound;
pub mod sftp;
pub mod spool;
pub mod tls;
