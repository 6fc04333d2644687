//! ijgate — an on-premise EDI gateway for sick-leave declarations (arrêts de travail).
//!
//! # Layout
//! Layers, lowest first; an import points to its own layer or a lower one, never up
//! (docs/ARCHITECTURE.md has the map by file; `tests/layers.rs` checks it):
//! - domain, pure (no I/O, no settings types): [`model`] (SIRET, NIR, the canonical stoppage,
//!   validation), [`neodes`] (the DSN codec), [`formats`] (HR inputs, signalement, BPIJ,
//!   CNAM reports), [`dsn`] (DSN analysis for insurers), [`prevoyance`] (seed 001's
//!   complement engine). Their `cli.rs` files are CLI glue (bin layer).
//! - support, leaf helpers: [`fsio`] (temp name, fsync, rename, fsync the folder; 0600/0700),
//!   [`metrics`], [`health`], [`logging`].
//! - [`config`]: the TOML settings types, validated as a whole.
//! - ports, I/O behind small types: [`journal`] (SQLite, WAL, synchronous=FULL, group commit),
//!   and in [`channels`] the net-entreprises client, insurer mTLS client, mailer, outbox
//!   writer and TLS material.
//! - workflow, the decisions: [`engine`] (ingest, exchange, insurer, CPAM, notices, report),
//!   [`alerts`] (deadlines in French working days, durable e-mail alerts), [`tasks`] (manual
//!   tasks, e.g. the DSIJ fallback), [`documents`] (supporting documents for the CPAM).
//! - doors, outside input into commands: in [`channels`] the spool door, the mTLS web service
//!   and the admin listener, plus the spool handlers `documents::spool_door` and
//!   `engine::insurer::spool_bpij`.
//! - daemon: `engine::daemon` (wiring, tasks, shutdown), `engine::reload`,
//!   `engine::service` (systemd), `engine::purge`.
//! - bin: [`cli`] and `main.rs`.
//!
//! The local net-entreprises peer for demos and tests is a separate binary,
//! `src/bin/ijgate-sandbox/` (`ijgate-sandbox`), using only this library's public API and
//! outside the Debian package.

pub mod alerts;
pub mod channels;
pub mod cli;
pub mod config;
pub mod console;
pub mod documents;
pub mod dsn;
pub mod engine;
pub mod formats;
pub mod fsio;
pub mod health;
pub mod internal_events;
pub mod journal;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod neodes;
pub mod prevoyance;
pub mod tasks;
