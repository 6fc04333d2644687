//! I/O edges. Doors (outside input into commands): the spool door, the mTLS web service,
//! the admin listener. Ports (outgoing I/O behind small types): the net-entreprises client,
//! the insurer mTLS client, the mailer, the outbox writer, TLS material. The layer of each
//! file is in docs/ARCHITECTURE.md and checked by tests/layers.rs.

pub mod accept;
pub mod admin;
pub mod api;
pub mod api_list;
pub mod dsn_spool;
pub mod mailer;
pub mod mtls_client;
pub mod netent;
pub mod outbound;
pub mod pkcs12;
pub mod router;
pub mod sftp;
pub mod spool;
pub mod tls;

/// Durable file operations moved to [`crate::fsio`] (a leaf below the journal); this path is
/// kept so that branches written against `channels::fsio` still build after their merge.
pub use crate::fsio;
