//! Identifiers that must never be printed in full (NIR).
//!
//! Invariant: `Debug` and `Display` show only the first 3 characters; the full value is
//! reachable only through [`Nir::expose`], so a stray `{:?}` in a log line cannot leak it.

use serde::{Deserialize, Serialize};

/// A NIR as found in a return or a BPIJ (13 chars without key, 15 with key, or an NTT).
/// Kept as text: the formats carry placeholders (`9999999999999`) and Corsican `2A/2B`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nir(String);

impl Nir {
    pub fn new(value: impl Into<String>) -> Self {
        Nir(value.into())
    }

    /// The full value, for the few places that need it (matching, outbound files).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// First 13 characters (the NIR without its key), for matching 13- and 15-char forms.
    pub fn without_key(&self) -> &str {
        self.0.get(..13).unwrap_or(&self.0)
    }

    pub fn masked(&self) -> String {
        crate::model::nir::mask(&self.0)
    }
}

impl std::fmt::Debug for Nir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nir({})", self.masked())
    }
}

impl std::fmt::Display for Nir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_mask_all_but_three() {
        let n = Nir::new("185017512345612");
        assert_eq!(format!("{n:?}"), "Nir(185************)");
        assert_eq!(n.to_string(), "185************");
        assert!(!format!("{n:?}").contains("1234"));
        assert_eq!(n.expose(), "185017512345612");
        assert_eq!(n.without_key(), "1850175123456");
    }
}
