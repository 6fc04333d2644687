//! Money rounding and percentage conversion — the single place the rounding rule lives.
//!
//! Rule (see the module header of [`crate::prevoyance`]): intermediate values are kept at full
//! `Decimal` precision; a money amount is rounded once, to the cent, half away from zero
//! (`MidpointAwayFromZero`, i.e. "arrondi commercial"), when it becomes a daily amount that is
//! paid or reported. Totals are sums of rounded daily amounts, so they are exact in cents.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds a money amount to the cent, half away from zero; the result always carries two
/// decimals (`80` becomes `80.00`) so serialised amounts have one shape.
pub fn cents(amount: Decimal) -> Decimal {
    let mut r = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// Converts a percentage (e.g. `23` for 23 %) to a fraction (`0.23`).
pub fn pct(p: Decimal) -> Decimal {
    p / Decimal::ONE_HUNDRED
}

/// Formats an amount with exactly two decimals and a dot, as written in CSV outputs.
pub fn fmt_cents(amount: Decimal) -> String {
    format!("{:.2}", cents(amount))
}

/// Serde for a `Decimal` written as a string only. TOML hands numbers to any visitor, so
/// `rust_decimal`'s own `serde::str` would still accept `rate_pct = 6.7` through a float;
/// going through `String` makes every format reject numbers.
pub mod strict {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    /// Deserialises from a string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        Decimal::from_str(s.trim())
            .map_err(|e| serde::de::Error::custom(format!("invalid decimal {s:?}: {e}")))
    }

    /// Serialises as a string.
    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
}

/// [`strict`] for `Option<Decimal>` (use with `#[serde(default)]`).
pub mod strict_option {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    /// Deserialises from an optional string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => Decimal::from_str(s.trim())
                .map(Some)
                .map_err(|e| serde::de::Error::custom(format!("invalid decimal {s:?}: {e}"))),
        }
    }

    /// Serialises as a string (absent values are skipped by the field attribute).
    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&v.to_string()),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn half_cent_rounds_away_from_zero() {
        assert_eq!(cents(dec!(41.465)), dec!(41.47));
        assert_eq!(cents(dec!(41.4649)), dec!(41.46));
        assert_eq!(cents(dec!(-0.005)), dec!(-0.01));
        // Banker's rounding would give 0.12: the strategy matters.
        assert_eq!(cents(dec!(0.125)), dec!(0.13));
    }

    #[test]
    fn always_two_decimals() {
        assert_eq!(cents(dec!(0)).to_string(), "0.00");
        assert_eq!(cents(dec!(80)).to_string(), "80.00");
    }

    #[test]
    fn formats_two_decimals() {
        assert_eq!(fmt_cents(dec!(80)), "80.00");
        assert_eq!(fmt_cents(dec!(28.93921)), "28.94");
    }

    #[test]
    fn percent_to_fraction() {
        assert_eq!(pct(dec!(23)), dec!(0.23));
    }
}
