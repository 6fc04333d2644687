//! Tests of the insurer hooks on a real journal.
