//! SIREN (9 digits, company) and SIRET (14 digits, establishment = SIREN + NIC).
//!
//! Both carry a Luhn checksum, except La Poste's establishments (SIREN 356 000 000) whose SIRET
//! digits sum to a multiple of 5 instead: a well-known exception that real HR files contain.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiretError {
    #[error("must be {expected} digits, found {found:?}")]
    Format { expected: usize, found: String },
    #[error("checksum (Luhn) is wrong")]
    Checksum,
}

fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

fn digits_only(input: &str, len: usize) -> Result<String, SiretError> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() != len || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(SiretError::Format {
            expected: len,
            found: input.to_string(),
        });
    }
    Ok(s)
}

/// A checked SIREN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);

impl Siren {
    pub fn parse(input: &str) -> Result<Siren, SiretError> {
        let s = digits_only(input, 9)?;
        if !luhn_ok(&s) {
            return Err(SiretError::Checksum);
        }
        Ok(Siren(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A checked SIRET.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

impl Siret {
    pub fn parse(input: &str) -> Result<Siret, SiretError> {
        let s = digits_only(input, 14)?;
        let la_poste = s.starts_with("356000000")
            && s.chars()
                .filter_map(|c| c.to_digit(10))
                .sum::<u32>()
                .is_multiple_of(5);
        if !luhn_ok(&s) && !la_poste {
            return Err(SiretError::Checksum);
        }
        Ok(Siret(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The SIREN part (first 9 digits).
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
    /// The NIC part (last 5 digits).
    pub fn nic(&self) -> &str {
        &self.0[9..]
    }
}

macro_rules! string_conversions {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = SiretError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$t>::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_conversions!(Siren);
string_conversions!(Siret);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_siret_and_siren() {
        // 732 829 320 (a real, public SIREN) and one of its SIRETs.
        assert!(Siren::parse("732829320").is_ok());
        let s = Siret::parse("732 829 320 00074").unwrap();
        assert_eq!(s.siren(), "732829320");
        assert_eq!(s.nic(), "00074");
    }

    #[test]
    fn invalid_checksums() {
        assert_eq!(Siren::parse("732829321"), Err(SiretError::Checksum));
        assert_eq!(Siret::parse("73282932000075"), Err(SiretError::Checksum));
    }

    #[test]
    fn invalid_formats() {
        assert!(matches!(
            Siret::parse("7328293200007"),
            Err(SiretError::Format { .. })
        ));
        assert!(matches!(
            Siret::parse("7328293200007A"),
            Err(SiretError::Format { .. })
        ));
        assert!(matches!(Siren::parse(""), Err(SiretError::Format { .. })));
    }

    #[test]
    fn la_poste_exception() {
        // La Poste SIRETs do not pass Luhn; their digit sum is a multiple of 5.
        assert!(Siret::parse("35600000000048").is_ok());
        assert!(Siret::parse("35600000000049").is_err());
    }
}
