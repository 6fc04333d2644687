//! NEODeS (DSN) codec: character set, line syntax, norm tables, reader and writer.

pub mod charset;
