//! ijgate — an on-premise EDI gateway for sick-leave declarations (arrêts de travail).
//!
//! # Layout
//! - [`model`]: domain types (SIRET, NIR, the canonical stoppage) and their validation. No I/O.
//! - [`neodes`]: the DSN file codec (norme NEODeS). No I/O.
//! - [`dsn`]: DSN analysis for insurers: typed extraction, fiche de paramétrage, CRM-OC checks,
//!   contribution calls. No I/O except its CLI glue.
//! - [`formats`]: HR inputs (CSV, JSON, DSN signalements) mapped to the model. No I/O.
//! - [`config`]: the TOML configuration, validated as a whole.
//! - [`journal`]: the durable SQLite journal (WAL, synchronous=FULL, group commit).
//! - [`channels`]: I/O edges — spool folders, the mTLS web service, durable file writes, TLS.
//! - [`engine`]: the workflow that ties doors, journal and outbound notices together.
//! - [`prevoyance`]: the prévoyance complement engine (seed 001): contracts, IJSS estimate,
//!   legal maintenance, cascaded coverages, bordereau. No I/O except its CLI glue.
//! - The local net-entreprises peer for demos and tests is a separate binary,
//!   `src/bin/ijgate-sandbox/` (`ijgate-sandbox`), outside this library and the Debian package.
//! - [`alerts`]: deadlines (French working days) and durable e-mail alerts.
//! - [`tasks`]: manual tasks, e.g. the DSIJ fallback with its prefilled salary attestation.
//! - [`documents`]: supporting documents the CPAM asks for, uploaded through CNAM PJ IJ.
//! - [`cli`]: command-line interface.
//! - [`health`], [`metrics`]: named health checks and event counters, read by the admin
//!   listener (`channels::admin`) and the systemd watchdog heartbeat (`engine::service`).
//! - [`logging`]: stderr or journald.
//!
//! Arrows point inward: `channels` and `engine` use `model`, `formats` and `journal`; the domain
//! modules never import tokio, hyper or rusqlite.

pub mod alerts;
pub mod channels;
pub mod cli;
pub mod config;
pub mod documents;
pub mod dsn;
pub mod engine;
pub mod formats;
pub mod health;
pub mod internal_events;
pub mod journal;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod neodes;
pub mod prevoyance;
pub mod tasks;
