//! The line tokenizer: `Sxx.Gxx.xx.xxx,'value'`.
//!
//! The value is everything between the first `,'` and the last `'` of the line (an apostrophe
//! inside a value is legal: `S21.G00.30.002,'O'CONNOR'`). The line given here has its line end
//! (`\n` or `\r\n`) already removed. Nothing is allocated: the value is a slice of the line.

use crate::neodes::rubric::RubricId;

/// A tokenized line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    pub rubric: RubricId,
    /// The raw value bytes (ISO-8859-1, or UTF-8 when the reader detected a UTF-8 file).
    pub value: &'a [u8],
}

/// Why a line is not `Sxx.Gxx.xx.xxx,'value'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("empty line")]
    EmptyLine,
    #[error("no \",'\" separator after the rubric id")]
    MissingSeparator,
    #[error("the rubric id is not of the form Sxx.Gxx.xx.xxx")]
    BadRubricId,
    #[error("the value is not closed by a quote at the end of the line")]
    UnclosedValue,
}

/// Splits one line (without its line end).
#[inline(always)]
pub fn tokenize(line: &[u8]) -> Result<Line<'_>, SyntaxError> {
    // Fast path: the id is always 14 bytes, so the separator is at 14..16.
    if line.len() >= 17 && line[14] == b',' && line[15] == b'\'' {
        let rubric = RubricId::parse(&line[..14]).ok_or(SyntaxError::BadRubricId)?;
        if line[line.len() - 1] != b'\'' {
            return Err(SyntaxError::UnclosedValue);
        }
        return Ok(Line {
            rubric,
            value: &line[16..line.len() - 1],
        });
    }
    if line.is_empty() {
        return Err(SyntaxError::EmptyLine);
    }
    match memchr::memmem::find(line, b",'") {
        None => Err(SyntaxError::MissingSeparator),
        Some(14) => {
            // Only `Sxx.Gxx.xx.xxx,'` is left: longer lines took the fast path.
            RubricId::parse(&line[..14]).ok_or(SyntaxError::BadRubricId)?;
            Err(SyntaxError::UnclosedValue)
        }
        Some(_) => Err(SyntaxError::BadRubricId),
    }
}

/// Tokenizes a whole input with no other check (the fastest pass over a file): calls `f` with
/// the 1-based line number and the tokenized line. Memory is one 1 MiB buffer; a line longer
/// than the buffer is reported as [`SyntaxError::UnclosedValue`] and skipped. Returns the
/// number of lines.
pub fn tokenize_stream<R: std::io::Read>(
    mut src: R,
    mut f: impl FnMut(u64, Result<Line<'_>, SyntaxError>),
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let (mut start, mut end, mut line_no) = (0usize, 0usize, 0u64);
    let mut eof = false;
    loop {
        // One iterator over the whole chunk: cheaper than a memchr call per (short) line.
        let chunk_start = start;
        for i in memchr::memchr_iter(b'\n', &buf[chunk_start..end]) {
            let nl = chunk_start + i;
            let e = if nl > start && buf[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            line_no += 1;
            f(line_no, tokenize(&buf[start..e]));
            start = nl + 1;
        }
        if eof {
            if start < end {
                line_no += 1;
                let e = if buf[end - 1] == b'\r' { end - 1 } else { end };
                f(line_no, tokenize(&buf[start..e]));
            }
            return Ok(line_no);
        }
        if start == 0 && end == buf.len() {
            line_no += 1;
            f(line_no, Err(SyntaxError::UnclosedValue));
            // Skip to the end of this overlong line.
            loop {
                let n = src.read(&mut buf)?;
                if n == 0 {
                    return Ok(line_no);
                }
                if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                    start = i + 1;
                    end = n;
                    break;
                }
            }
            continue;
        }
        buf.copy_within(start..end, 0);
        end -= start;
        start = 0;
        let n = loop {
            match src.read(&mut buf[end..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        if n == 0 {
            eof = true;
        }
        end += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_first_separator_and_last_quote() {
        let l = tokenize(b"S21.G00.30.002,'O'CONNOR'").unwrap();
        assert_eq!(l.rubric.to_string(), "S21.G00.30.002");
        assert_eq!(l.value, b"O'CONNOR");
        let l = tokenize(b"S21.G00.30.002,'A,'B'").unwrap();
        assert_eq!(l.value, b"A,'B");
        let l = tokenize(b"S21.G00.30.002,''").unwrap();
        assert_eq!(l.value, b"");
    }

    #[test]
    fn stream_counts_lines_across_chunks() {
        let mut file = Vec::new();
        for i in 0..100_000 {
            file.extend_from_slice(format!("S21.G00.30.002,'NOM{i}'\r\n").as_bytes());
        }
        file.extend_from_slice(b"bad line");
        let (mut ok, mut bad) = (0, 0);
        let n =
            tokenize_stream(&file[..], |_, r| if r.is_ok() { ok += 1 } else { bad += 1 }).unwrap();
        assert_eq!((n, ok, bad), (100_001, 100_000, 1));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(tokenize(b""), Err(SyntaxError::EmptyLine));
        assert_eq!(
            tokenize(b"S21.G00.30.002 'X'"),
            Err(SyntaxError::MissingSeparator)
        );
        assert_eq!(
            tokenize(b"S21.G00.30.002,X"),
            Err(SyntaxError::MissingSeparator)
        );
        assert_eq!(
            tokenize(b"S21.G00.30.002,'X"),
            Err(SyntaxError::UnclosedValue)
        );
        assert_eq!(
            tokenize(b"S21.G00.30.002,'XY' "),
            Err(SyntaxError::UnclosedValue)
        );
        assert_eq!(
            tokenize(b"S21.G00.30.002,'"),
            Err(SyntaxError::UnclosedValue)
        );
        assert_eq!(
            tokenize(b"S21.G00.30.02,'X'"),
            Err(SyntaxError::BadRubricId)
        );
        assert_eq!(
            tokenize(b"S21.G0O.30.002,'X'"),
            Err(SyntaxError::BadRubricId)
        );
        assert_eq!(
            tokenize(b" S21.G00.30.002,'X'"),
            Err(SyntaxError::BadRubricId)
        );
    }
}
