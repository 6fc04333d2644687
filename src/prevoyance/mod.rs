//! Prévoyance complement engine (seed 001): what a prévoyance contract pays on top of the
//! IJSS during a stoppage, set against the legal salary maintenance, with the claim
//! (bordereau) and the quarterly history for the insurer.
//!
//! # Layout
//! - [`params`]: dated legal figures (SMIC, PASS, IJ rates and ceilings) — the one table.
//! - [`contract`]: contract model (TOML/JSON), validation collecting every problem.
//! - [`case`]: the case input (employment contracts, salaries, stoppage, BPIJ, history).
//! - [`reference`]: reference salary (N civil months / N, daily = monthly / 30).
//! - [`ijss`]: legal IJSS estimate (maladie, AT/MP) — `ijss_daily_gross` for other modules.
//! - [`legal`]: legal salary maintenance (L1226-1), the floor.
//! - [`history`]: consumed days per employment contract and coverage, 12-month windows.
//! - [`engine`]: the cascade and the daily amounts; [`result`]: what it returns.
//! - [`documents`]: bordereau and quarterly history (CSV + HTML), pure functions.
//! - [`cli`]: `ijgate prevoyance …` glue — the only place reading files and printing.
//!
//! # Formulas (per day)
//! - daily gross = reference monthly gross / 30; daily net = daily gross × (1 − charges);
//! - IJSS net = IJSS gross × (1 − CSG/CRDS);
//! - net base: complement net = rate × daily net − IJSS net, floored at 0, capped by the
//!   coverage's ceiling; complement gross = complement net / (1 − charges × employer share)
//!   (seed: 23 % × 70 % → ÷ 83.90 %);
//! - gross base: complement gross = rate × daily gross − IJSS gross, floored, capped;
//!   complement net = complement gross × (1 − charges × employer share);
//! - legal floor (gross) = 90 % or 2/3 × daily gross − IJSS gross, floored at 0.
//!
//! # Rounding
//! Intermediate values are exact (full `Decimal` precision, 28 significant digits): the
//! reference salary, the daily bases, the IJSS net, the raw complement. A money amount is
//! rounded once, to the cent, half away from zero (`RoundingStrategy::MidpointAwayFromZero`),
//! when it becomes a daily amount: the IJ estimate (as the CPAM pays it), each day's net and
//! gross complement (both from the exact raw value, not one from the other rounded), each
//! day's legal floor. Period and stoppage totals are sums of the rounded daily amounts, so a
//! total always equals the sum of its months. The single rounding function is
//! [`money::cents`].
//!
//! # Invariants
//! No I/O outside [`cli`]; no panic on input (errors name the JSON path or TOML field); a
//! complement is never negative; the NIR never appears in a result or in console output.

pub mod calendar;
pub mod case;
pub mod cli;
pub mod contract;
pub mod documents;
pub mod engine;
pub mod history;
pub mod ijss;
pub mod legal;
pub mod money;
pub mod motif;
pub mod params;
pub mod reference;
pub mod result;

#[cfg(test)]
mod engine_tests;

pub use case::{Case, CaseError};
pub use contract::{Base, ContractError, PrevoyanceContract};
pub use engine::compute;
pub use history::{ConsumedDays, CoverageKey};
pub use ijss::ijss_daily_gross;
pub use motif::Motif;
pub use result::CaseResult;
