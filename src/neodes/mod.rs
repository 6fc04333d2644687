//! NEODeS codec (norme DSN, domain.md §1): rubric ids, character set, norm tables generated from
//! the open-neodes YAML, a streaming reader that rebuilds the block hierarchy and checks values
//! and totals, and a writer that produces files net-entreprises accepts.
//!
//! Layout
//! - [`rubric`]: `RubricId` / `BlockId`, packed `u32`.
//! - [`charset`]: the characters the norm allows; transliteration of HR input.
//! - [`norm`]: generated tables (P26V01, lot envelope V01R02) and value checks.
//! - [`line`]: the line tokenizer (`Sxx.Gxx.xx.xxx,'value'`).
//! - [`reader`]: streaming reader with hierarchy, totals and located diagnostics.
//! - [`writer`]: builds a file from (rubric, value) items.
//! - [`required`]: the rubrics a signalement (natures 04, 05) must carry, and where from.

pub mod charset;
pub mod line;
pub mod norm;
pub mod reader;
pub mod required;
pub mod rubric;
pub mod writer;
