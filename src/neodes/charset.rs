//! The NEODeS character set (cahier technique DSN, domain.md §1.1).
//!
//! A DSN value may only hold the characters below; everything else is forbidden and would make
//! net-entreprises reject the whole file. HR tools send UTF-8 with typographic quotes, ligatures
//! and foreign letters, so on *input* we transliterate what has an obvious equivalent and reject
//! the rest with the offending character named; on *output* only allowed characters are written.
//!
//! Invariant: every character accepted here is representable in ISO-8859-1 (one byte).

use unicode_normalization::UnicodeNormalization;

/// True for the "validating" characters: letters (with the Latin-1 accents the norm allows)
/// and digits. A value must contain at least one of them.
pub fn is_validating(c: char) -> bool {
    matches!(c,
        'A'..='Z' | 'a'..='z' | '0'..='9'
        | '\u{C0}'..='\u{C5}' | '\u{C7}'..='\u{CF}' | '\u{D1}'..='\u{D6}' | '\u{D9}'..='\u{DD}'
        | '\u{E0}'..='\u{E5}' | '\u{E7}'..='\u{EF}' | '\u{F1}'..='\u{F6}' | '\u{F9}'..='\u{FD}'
        | '\u{FF}')
}

/// True for the punctuation the norm allows beside the validating characters.
pub fn is_punctuation(c: char) -> bool {
    matches!(
        c,
        ' ' | '"'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | '+'
            | ','
            | '-'
            | '.'
            | '/'
            | ':'
            | '='
            | '@'
            | '_'
            | '`'
            | '\u{AB}'
            | '\u{B0}'
            | '\u{BB}'
    )
}

/// True when `c` may appear in a NEODeS value.
pub fn is_allowed(c: char) -> bool {
    is_validating(c) || is_punctuation(c)
}

/// True when `b`, a Latin-1 byte, is an allowed character.
#[inline]
pub fn is_allowed_latin1(b: u8) -> bool {
    LATIN1_CLASS[usize::from(b)] != 0
}

/// True when `b`, a Latin-1 byte, is a validating character.
#[inline]
pub fn is_validating_latin1(b: u8) -> bool {
    LATIN1_CLASS[usize::from(b)] == 2
}

/// The class of a Latin-1 byte: 0 forbidden, 1 allowed punctuation, 2 validating.
#[inline]
pub fn latin1_class(b: u8) -> u8 {
    LATIN1_CLASS[usize::from(b)]
}

/// Per Latin-1 byte: 0 forbidden, 1 allowed punctuation, 2 validating. A table because the reader
/// checks every byte of every value (hundreds of MB per file).
static LATIN1_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let validating = b.is_ascii_alphanumeric()
            || matches!(b, 0xC0..=0xC5 | 0xC7..=0xCF | 0xD1..=0xD6 | 0xD9..=0xDD | 0xE0..=0xE5 | 0xE7..=0xEF | 0xF1..=0xF6 | 0xF9..=0xFD | 0xFF);
        let punct = matches!(
            b,
            b' ' | b'"'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b'-'
                | b'.'
                | b'/'
                | b':'
                | b'='
                | b'@'
                | b'_'
                | b'`'
                | 0xAB
                | 0xB0
                | 0xBB
        );
        t[i] = if validating {
            2
        } else if punct {
            1
        } else {
            0
        };
        i += 1;
    }
    t
};

/// A character that has no NEODeS equivalent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "character {ch:?} (U+{code:04X}) at position {position} is not allowed by the NEODeS norm and has no equivalent"
)]
pub struct ForbiddenChar {
    pub ch: char,
    pub code: u32,
    /// 1-based position of the character in the value.
    pub position: usize,
}

/// Explicit equivalents for characters HR tools commonly produce. Kept short on purpose:
/// anything not here goes through Unicode decomposition (é → e + ´) or is rejected.
fn equivalent(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{B4}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '\u{A0}' | '\u{202F}' | '\u{2009}' | '\t' => " ",
        '\u{C6}' => "AE",
        '\u{E6}' => "ae",
        '\u{152}' => "OE",
        '\u{153}' => "oe",
        '\u{DF}' => "ss",
        '\u{D8}' => "O",
        '\u{F8}' => "o",
        '\u{D0}' => "D",
        '\u{F0}' => "d",
        '\u{141}' => "L",
        '\u{142}' => "l",
        '\u{110}' => "D",
        '\u{111}' => "d",
        '\u{2026}' => "...",
        ';' => ",",
        _ => return None,
    })
}

/// Maps `input` onto the NEODeS character set: allowed characters are kept, known equivalents
/// substituted (’ → ', Œ → OE, ł → l, ...), other accented letters reduced to their base letter
/// when that base is allowed (ć → c). Fails on the first character with no equivalent.
pub fn transliterate(input: &str) -> Result<String, ForbiddenChar> {
    let mut out = String::with_capacity(input.len());
    for (i, c) in input.chars().enumerate() {
        if is_allowed(c) {
            out.push(c);
        } else if let Some(eq) = equivalent(c) {
            out.push_str(eq);
        } else {
            // Decompose (NFD) and keep the base characters if they are all allowed: this turns
            // "Dvořák" into "Dvorak" but never invents a letter.
            let base: String = c
                .to_string()
                .nfd()
                .filter(|d| !unicode_normalization::char::is_combining_mark(*d))
                .collect();
            if !base.is_empty() && base.chars().all(is_allowed) {
                out.push_str(&base);
            } else {
                return Err(ForbiddenChar {
                    ch: c,
                    code: c as u32,
                    position: i + 1,
                });
            }
        }
    }
    Ok(out)
}

/// True when `value` holds at least one validating character (a value of only punctuation or
/// spaces is refused by the norm).
pub fn has_validating(value: &str) -> bool {
    value.chars().any(is_validating)
}

/// Encodes an already-checked value to ISO-8859-1. Returns `None` if a character is outside
/// Latin-1 (cannot happen for values that went through [`transliterate`]).
pub fn to_latin1(value: &str) -> Option<Vec<u8>> {
    value
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_french_accents() {
        assert_eq!(
            transliterate("Éloïse Müller-Çà").unwrap(),
            "Éloïse Müller-Çà"
        );
    }

    #[test]
    fn substitutes_typographic_and_ligatures() {
        assert_eq!(
            transliterate("L’Œuvre « cœur »").unwrap(),
            "L'OEuvre « coeur »"
        );
        // á is in the norm's set, only ř needs reducing.
        assert_eq!(transliterate("Dvořák Łukasz").unwrap(), "Dvorák Lukasz");
    }

    #[test]
    fn rejects_what_has_no_equivalent() {
        let e = transliterate("Prix 10€").unwrap_err();
        assert_eq!(e.ch, '€');
        assert_eq!(e.position, 8);
        assert!(transliterate("a#b").is_err());
        assert!(transliterate("名前").is_err());
        assert!(transliterate("x\u{1}").is_err());
    }

    #[test]
    fn forbidden_list_from_the_norm() {
        for c in [
            '<', '>', '?', '!', '#', '$', '%', '[', '\\', ']', '^', '{', '|', '}', '~', '€', '×',
            '÷',
        ] {
            assert!(!is_allowed(c), "{c} must be forbidden");
        }
        for c in ['\'', '"', '&', '«', '°', '»', '@', '_', '`', 'ÿ', 'Ý'] {
            assert!(is_allowed(c), "{c} must be allowed");
        }
    }

    #[test]
    fn latin1_table_matches_chars() {
        for b in 0..=255u8 {
            assert_eq!(
                is_allowed_latin1(b),
                is_allowed(char::from(b)),
                "byte {b:#x}"
            );
            assert_eq!(
                is_validating_latin1(b),
                is_validating(char::from(b)),
                "byte {b:#x}"
            );
        }
    }

    #[test]
    fn latin1_roundtrip() {
        assert_eq!(to_latin1("é").unwrap(), vec![0xE9]);
        assert!(has_validating("a."));
        assert!(!has_validating(" .-"));
    }
}
