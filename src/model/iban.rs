//! IBAN (ISO 13616) and BIC (ISO 9362) checks for the employer's subrogation account.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("IBAN must be 15 to 34 letters and digits starting with a country code")]
    IbanFormat,
    #[error("IBAN checksum (mod 97) is wrong")]
    IbanChecksum,
    #[error(
        "BIC must be 8 or 11 characters: 4 letters, 2 letters (country), 2 and optionally 3 letters/digits"
    )]
    BicFormat,
}

/// Normalises (spaces removed, upper case) and checks an IBAN.
pub fn check_iban(input: &str) -> Result<String, BankError> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let b = s.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return Err(BankError::IbanFormat);
    }
    // Move the first four characters to the end, letters to numbers (A=10..Z=35), mod 97 == 1.
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    if rem != 1 {
        return Err(BankError::IbanChecksum);
    }
    Ok(s)
}

/// Normalises and checks a BIC.
pub fn check_bic(input: &str) -> Result<String, BankError> {
    let s = input.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    let ok = (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(u8::is_ascii_alphanumeric);
    if ok { Ok(s) } else { Err(BankError::BicFormat) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_ok_and_ko() {
        assert_eq!(
            check_iban("FR76 3000 6000 0112 3456 7890 189").unwrap(),
            "FR7630006000011234567890189"
        );
        assert_eq!(
            check_iban("FR7630006000011234567890188"),
            Err(BankError::IbanChecksum)
        );
        assert_eq!(check_iban("FR76"), Err(BankError::IbanFormat));
        assert_eq!(
            check_iban("F176300060000112345678901"),
            Err(BankError::IbanFormat)
        );
        assert!(check_iban("DE89370400440532013000").is_ok());
    }

    #[test]
    fn bic_ok_and_ko() {
        assert_eq!(check_bic("bnpafrpp").unwrap(), "BNPAFRPP");
        assert!(check_bic("BNPAFRPPXXX").is_ok());
        assert_eq!(check_bic("BNP1FRPP"), Err(BankError::BicFormat));
        assert_eq!(check_bic("BNPAFRP"), Err(BankError::BicFormat));
    }
}
