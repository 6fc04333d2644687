//! Rubric and block identifiers (`S21.G00.30.001`, `S21.G00.30`) packed into a `u32`.
//!
//! Invariant: a `RubricId` is `((SS*100 + GG)*100 + BB)*1000 + RRR` and a `BlockId` is the same
//! without the last three digits, so ordering the integers orders the ids as the norm does and a
//! rubric's block is a division away. Both are `Copy` and never allocate.

use std::fmt;

/// A rubric id such as `S21.G00.30.001`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RubricId(u32);

/// A block id such as `S21.G00.30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockId(u32);

/// Why a text is not a rubric or block id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a NEODeS id (expected Sxx.Gxx.xx.xxx)")]
pub struct BadId(pub String);

#[inline]
fn digit(b: u8) -> Option<u32> {
    b.is_ascii_digit().then(|| u32::from(b - b'0'))
}

#[inline]
fn parse_block(b: &[u8]) -> Option<u32> {
    if b.len() < 10 || b[0] != b'S' || b[3] != b'.' || b[4] != b'G' || b[7] != b'.' {
        return None;
    }
    let s = digit(b[1])? * 10 + digit(b[2])?;
    let g = digit(b[5])? * 10 + digit(b[6])?;
    let k = digit(b[8])? * 10 + digit(b[9])?;
    Some((s * 100 + g) * 100 + k)
}

impl RubricId {
    /// Builds from the packed form (used by the generated norm tables).
    pub const fn from_packed(v: u32) -> Self {
        Self(v)
    }

    /// The packed form.
    pub const fn packed(self) -> u32 {
        self.0
    }

    /// Parses exactly 14 bytes `Sxx.Gxx.xx.xxx`.
    #[inline(always)]
    pub fn parse(b: &[u8]) -> Option<Self> {
        let b: &[u8; 14] = b.try_into().ok()?;
        // Branch-light: this runs once per line of files of hundreds of MB. All digits are
        // validated together, the punctuation with one comparison.
        let punct = [b[0], b[3], b[4], b[7], b[10]] == *b"S.G..";
        let d = |i: usize| u32::from(b[i].wrapping_sub(b'0'));
        let digits = [d(1), d(2), d(5), d(6), d(8), d(9), d(11), d(12), d(13)];
        let all_digits = digits.iter().fold(0u32, |acc, &x| acc | u32::from(x > 9)) == 0;
        if !(punct && all_digits) {
            return None;
        }
        let [s1, s2, g1, g2, k1, k2, r1, r2, r3] = digits;
        Some(Self(
            ((((s1 * 10 + s2) * 100 + g1 * 10 + g2) * 100 + k1 * 10 + k2) * 1000)
                + r1 * 100
                + r2 * 10
                + r3,
        ))
    }

    /// The block this rubric belongs to.
    pub const fn block(self) -> BlockId {
        BlockId(self.0 / 1000)
    }

    /// The rubric number inside its block (`1` for `.001`).
    pub const fn number(self) -> u16 {
        (self.0 % 1000) as u16
    }

    /// Builds `block.number`.
    pub const fn new(block: BlockId, number: u16) -> Self {
        Self(block.0 * 1000 + number as u32)
    }
}

impl BlockId {
    /// Builds from the packed form.
    pub const fn from_packed(v: u32) -> Self {
        Self(v)
    }

    /// The packed form.
    pub const fn packed(self) -> u32 {
        self.0
    }

    /// Parses exactly 10 bytes `Sxx.Gxx.xx`.
    pub fn parse(b: &[u8]) -> Option<Self> {
        if b.len() != 10 {
            return None;
        }
        parse_block(b).map(Self)
    }

    /// The structure number (`21` for `S21.G00.30`).
    pub const fn structure(self) -> u8 {
        (self.0 / 10_000) as u8
    }

    /// The group number (`0` for `S21.G00.30`, `51` for `S05.G51.00`).
    pub const fn group(self) -> u8 {
        (self.0 / 100 % 100) as u8
    }

    /// The block number (`30` for `S21.G00.30`).
    pub const fn number(self) -> u8 {
        (self.0 % 100) as u8
    }

    /// Rubric `number` of this block.
    pub const fn rubric(self, number: u16) -> RubricId {
        RubricId::new(self, number)
    }
}

impl std::str::FromStr for RubricId {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, BadId> {
        Self::parse(s.as_bytes()).ok_or_else(|| BadId(s.to_string()))
    }
}

impl std::str::FromStr for BlockId {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, BadId> {
        Self::parse(s.as_bytes()).ok_or_else(|| BadId(s.to_string()))
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "S{:02}.G{:02}.{:02}",
            self.structure(),
            self.group(),
            self.number()
        )
    }
}

impl fmt::Display for RubricId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.block(), self.number())
    }
}

impl serde::Serialize for RubricId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl serde::Serialize for BlockId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

const fn cd(b: &[u8], i: usize) -> u32 {
    assert!(b[i].is_ascii_digit(), "digit expected in id");
    (b[i] - b'0') as u32
}

/// `rubric!("S21.G00.30.001")`-like helper usable in `const` context for ids known at compile
/// time; panics at compile time on a malformed literal.
pub const fn rid(s: &str) -> RubricId {
    let b = s.as_bytes();
    assert!(b.len() == 14, "rubric id must be 14 characters");
    RubricId(
        ((cd(b, 1) * 10 + cd(b, 2)) * 100 + cd(b, 5) * 10 + cd(b, 6)) * 100_000
            + (cd(b, 8) * 10 + cd(b, 9)) * 1000
            + cd(b, 11) * 100
            + cd(b, 12) * 10
            + cd(b, 13),
    )
}

/// Block counterpart of [`rid`].
pub const fn bid(s: &str) -> BlockId {
    let b = s.as_bytes();
    assert!(b.len() == 10, "block id must be 10 characters");
    BlockId(
        ((cd(b, 1) * 10 + cd(b, 2)) * 100 + cd(b, 5) * 10 + cd(b, 6)) * 100
            + cd(b, 8) * 10
            + cd(b, 9),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let r: RubricId = "S21.G00.30.001".parse().unwrap();
        assert_eq!(r.to_string(), "S21.G00.30.001");
        assert_eq!(r.block().to_string(), "S21.G00.30");
        assert_eq!(r.number(), 1);
        assert_eq!(r, rid("S21.G00.30.001"));
        assert_eq!(r.block(), bid("S21.G00.30"));
        let lot: RubricId = "S05.G51.00.006".parse().unwrap();
        assert_eq!(lot.to_string(), "S05.G51.00.006");
        assert_eq!(lot.block().group(), 51);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "S21.G00.30.01",
            "S21.G00.30.0011",
            "X21.G00.30.001",
            "S21.G00.3A.001",
            "S21-G00.30.001",
            "",
        ] {
            assert!(bad.parse::<RubricId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn order_follows_norm() {
        assert!(rid("S10.G00.00.001") < rid("S20.G00.05.001"));
        assert!(rid("S21.G00.30.001") < rid("S21.G00.30.002"));
        assert!(rid("S21.G00.11.999") < rid("S21.G00.15.001"));
    }
}
