//! NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale").
//!
//! The DSN carries the 13-character NIR without its key (S21.G00.30.001); BPIJ and the CNAM
//! APIs use 13 or 15 characters. HR tools send either, so we accept both, check the key when it
//! is given, and always store the 13-character body plus the computed key.
//!
//! Key = 97 − (NIR mod 97), where Corsican departments 2A and 2B are read as 19 and 18.
//! A NIR is health-adjacent personal data: its `Display`/`Debug` show only the first 3
//! characters (sex + year of birth), never the whole number.
//!
//! Two types, one concept: [`RawNir`] is what outside files carry (a DSN, a BPIJ, a return:
//! 13 or 15 characters, a technical number, placeholders such as `9999999999999`), kept as
//! text and never checked; [`Nir`] is what validation produces (pattern and key checked).
//! Masking is defined once, in [`mask`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// A checked NIR: 13 characters (sex, year, month, department, commune, order).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nir(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NirError {
    #[error("must be 13 characters (or 15 with the key), found {0}")]
    Length(usize),
    #[error("does not follow the NIR pattern (sex 1/2, year, month, department, commune, order)")]
    Pattern,
    #[error("key {given} is wrong for this number (expected {expected:02})")]
    Key { given: String, expected: u32 },
}

impl Nir {
    /// Parses a NIR of 13 characters, or 15 with its key (spaces ignored).
    pub fn parse(input: &str) -> Result<Nir, NirError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact.to_ascii_uppercase();
        if !compact.is_ascii() {
            return Err(NirError::Pattern);
        }
        let (body, key) = match compact.len() {
            13 => (compact.as_str(), None),
            15 => (&compact[..13], Some(&compact[13..])),
            n => return Err(NirError::Length(n)),
        };
        if !matches_pattern(body) {
            return Err(NirError::Pattern);
        }
        if let Some(key) = key {
            let expected = compute_key(body).ok_or(NirError::Pattern)?;
            if key.parse::<u32>().ok() != Some(expected) {
                return Err(NirError::Key {
                    given: key.to_string(),
                    expected,
                });
            }
        }
        Ok(Nir(body.to_string()))
    }

    /// The 13-character body, as the DSN wants it.
    pub fn body(&self) -> &str {
        &self.0
    }

    /// The 2-digit key.
    pub fn key(&self) -> u32 {
        // The body was checked at construction, so the key always computes.
        compute_key(&self.0).unwrap_or(0)
    }

    /// The 15-character form (body + key), as BPIJ and the PJ IJ API want it.
    pub fn with_key(&self) -> String {
        format!("{}{:02}", self.0, self.key())
    }

    /// The masked form used in logs and error reports: first 3 characters only.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks any NIR-like string for logs and reports: keeps the first 3 characters (sex and
/// year of birth), one `*` per hidden character. The one masking rule of the product.
pub fn mask(s: &str) -> String {
    let head: String = s.chars().take(3).collect();
    let rest = s.chars().count().saturating_sub(3);
    format!("{head}{}", "*".repeat(rest))
}

/// A NIR as an outside file carries it (13 chars without key, 15 with key, or an NTT), not
/// checked. `Display`, `Debug` and `Serialize` show the masked form; [`RawNir::expose`] gives
/// the full value for the few places that need it (matching, outbound files, the journal —
/// fields stored in full say so with `#[serde(with = "crate::model::nir::full")]`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Deserialize)]
#[serde(transparent)]
pub struct RawNir(String);

impl RawNir {
    pub fn new(value: impl Into<String>) -> Self {
        RawNir(value.into())
    }

    /// The full value. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// First 13 characters (the NIR without its key), for matching 13- and 15-char forms.
    pub fn without_key(&self) -> &str {
        self.0.get(..13).unwrap_or(&self.0)
    }

    /// `185**********`
    pub fn masked(&self) -> String {
        mask(&self.0)
    }

    /// Checks it: the strict [`Nir`], or why not.
    pub fn validate(&self) -> Result<Nir, NirError> {
        Nir::parse(&self.0)
    }
}

impl From<&Nir> for RawNir {
    fn from(n: &Nir) -> RawNir {
        RawNir(n.0.clone())
    }
}

impl fmt::Display for RawNir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for RawNir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nir({})", self.masked())
    }
}

/// Masked by default, so a report or a JSON dump never carries the full number by accident.
impl Serialize for RawNir {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

/// `#[serde(with = "crate::model::nir::full")]`: a [`RawNir`] field stored in full (the
/// journal's copy of a BPIJ or a return, which later matching needs).
pub mod full {
    use super::RawNir;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &RawNir, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(n.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RawNir, D::Error> {
        RawNir::deserialize(d)
    }
}

/// [`full`] for an `Option<RawNir>`.
pub mod full_opt {
    use super::RawNir;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &Option<RawNir>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => s.serialize_some(n.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RawNir>, D::Error> {
        Option::<RawNir>::deserialize(d)
    }
}

/// The NEOReS pattern (domain.md §1.4), written out by hand because it is short and a regex
/// engine for one pattern would be a heavy dependency.
fn matches_pattern(b: &str) -> bool {
    let c: Vec<char> = b.chars().collect();
    if c.len() != 13 {
        return false;
    }
    let digit = |i: usize| c[i].is_ascii_digit();
    let num =
        |i: usize, n: usize| -> Option<u32> { c[i..i + n].iter().collect::<String>().parse().ok() };
    if !(c[0] == '1' || c[0] == '2') || !digit(1) || !digit(2) {
        return false;
    }
    // Month: 01-12, 20, 30-42, 50-99 (the last ranges are for unknown or provisional months).
    let Some(month) = num(3, 2) else { return false };
    if !((1..=12).contains(&month) || month == 20 || (30..=42).contains(&month) || month >= 50) {
        return false;
    }
    // Department: 01-99 or 2A/2B.
    let dept_ok = match (c[5], c[6]) {
        ('2', 'A') | ('2', 'B') => true,
        (a, b) if a.is_ascii_digit() && b.is_ascii_digit() => !(a == '0' && b == '0'),
        _ => false,
    };
    if !dept_ok {
        return false;
    }
    let commune = num(7, 3);
    let order = num(10, 3);
    matches!(commune, Some(1..)) && matches!(order, Some(1..))
}

fn compute_key(body: &str) -> Option<u32> {
    let numeric = body.replace("2A", "19").replace("2B", "18");
    let n: u64 = numeric.parse().ok()?;
    Some(97 - (n % 97) as u32)
}

impl TryFrom<String> for Nir {
    type Error = NirError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Nir::parse(&s)
    }
}

impl From<Nir> for String {
    fn from(n: Nir) -> String {
        n.0
    }
}

impl fmt::Display for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nir({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 1 85 05 78 006 084 key 91 (a well-known specimen number).
    #[test]
    fn accepts_13_and_15_with_good_key() {
        let n = Nir::parse("1850578006084").unwrap();
        assert_eq!(n.key(), 91);
        assert_eq!(n.with_key(), "185057800608491");
        assert_eq!(Nir::parse("1 85 05 78 006 084 91").unwrap(), n);
    }

    #[test]
    fn rejects_bad_key() {
        assert!(matches!(
            Nir::parse("185057800608492"),
            Err(NirError::Key { expected: 91, .. })
        ));
    }

    #[test]
    fn corsica_keys() {
        // 2A → 19, 2B → 18 before taking the modulo.
        let a = Nir::parse("269052A123456").unwrap();
        let expected = 97 - (2690519123456u64 % 97) as u32;
        assert_eq!(a.key(), expected);
        let b = Nir::parse("169052B123456").unwrap();
        assert_eq!(b.key(), 97 - (1690518123456u64 % 97) as u32);
        assert!(Nir::parse(&format!("269052A123456{:02}", expected)).is_ok());
    }

    #[test]
    fn rejects_bad_patterns() {
        assert_eq!(Nir::parse("12345"), Err(NirError::Length(5)));
        assert_eq!(Nir::parse("3850578006084"), Err(NirError::Pattern)); // sex 3
        assert_eq!(Nir::parse("1851378006084"), Err(NirError::Pattern)); // month 13
        assert_eq!(Nir::parse("1850500006084"), Err(NirError::Pattern)); // dept 00
        assert_eq!(Nir::parse("1850578000084"), Err(NirError::Pattern)); // commune 000
        assert_eq!(Nir::parse("1850578006000"), Err(NirError::Pattern)); // order 000
        assert_eq!(Nir::parse("18505780060é4"), Err(NirError::Pattern));
    }

    #[test]
    fn raw_nir_masks_everywhere_but_expose_and_full() {
        let n = RawNir::new("185017512345612");
        assert_eq!(format!("{n:?}"), "Nir(185************)");
        assert_eq!(n.to_string(), "185************");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"185************\"");
        assert_eq!(n.expose(), "185017512345612");
        assert_eq!(n.without_key(), "1850175123456");
        #[derive(Serialize, Deserialize)]
        struct Stored {
            #[serde(with = "full")]
            nir: RawNir,
            #[serde(with = "full_opt", default)]
            ntt: Option<RawNir>,
        }
        let json = serde_json::to_string(&Stored {
            nir: n.clone(),
            ntt: None,
        })
        .unwrap();
        assert_eq!(json, r#"{"nir":"185017512345612","ntt":null}"#);
        let back: Stored = serde_json::from_str(&json).unwrap();
        assert_eq!(back.nir, n);
        assert_eq!(mask("18"), "18");
        assert_eq!(
            RawNir::new("1850578006084").validate().unwrap().with_key(),
            "185057800608491"
        );
    }

    #[test]
    fn never_displays_whole() {
        let n = Nir::parse("1850578006084").unwrap();
        assert_eq!(format!("{n}"), "185**********");
        assert!(!format!("{n:?}").contains("0578006084"));
    }
}
