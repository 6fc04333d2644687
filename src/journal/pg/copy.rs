//! `ijgate journal migrate`: copies a SQLite journal into PostgreSQL, losslessly and verified.
//!
//! - The target is brought to the current PostgreSQL schema, locked (no other writer during
//!   the copy) and must be empty: every journal table without a row. A non-empty target is
//!   refused, never merged into.
//! - Every table of the SQLite journal (its schema version must be the one PostgreSQL
//!   mirrors, [`schema::MIRRORS_SQLITE`]) is streamed in primary-key order into PostgreSQL
//!   with `COPY … FROM STDIN BINARY`, all in one PostgreSQL transaction, from one SQLite read
//!   transaction (a consistent snapshot). Each value keeps its type: integer → bigint, text →
//!   text, blob → bytea. A value that does not fit (text in an integer column, invalid UTF-8,
//!   a NUL byte PostgreSQL text cannot hold) stops the copy with its table, row and column;
//!   nothing is committed.
//! - Sequences are set to SQLite's `sqlite_sequence` (or the largest id, if higher): an id
//!   that was used and purged is not handed out again (identifiants métier stay unique).
//! - Before the commit, inside the same transaction, each table is read back from PostgreSQL:
//!   the row count and a SHA-256 of its rows in primary-key order must equal those of the
//!   SQLite side, or everything is rolled back.
//!
//! The digest ([`Digest`]) is computed the same way on both sides from typed values (tag,
//! length, bytes), so a difference in any value, NULL-ness or order shows.

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use sha2::{Digest as _, Sha256};
use std::path::Path;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::{PgError, PgJournal, schema};

/// The storage kind of a column (SQLite declared type ↔ PostgreSQL type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Blob,
}

impl Kind {
    fn from_sqlite(decl: &str) -> Option<Kind> {
        let d = decl.to_ascii_uppercase();
        if d.contains("INT") {
            Some(Kind::Int)
        } else if d.contains("TEXT") || d.contains("CHAR") {
            Some(Kind::Text)
        } else if d.contains("BLOB") {
            Some(Kind::Blob)
        } else {
            None
        }
    }

    fn pg_type(self) -> Type {
        match self {
            Kind::Int => Type::INT8,
            Kind::Text => Type::TEXT,
            Kind::Blob => Type::BYTEA,
        }
    }

    fn pg_name(self) -> &'static str {
        match self {
            Kind::Int => "bigint",
            Kind::Text => "text",
            Kind::Blob => "bytea",
        }
    }
}

/// One table as the SQLite journal declares it.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<(String, Kind)>,
    /// Primary-key columns, in key order.
    pub key: Vec<String>,
}

impl Table {
    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// ORDER BY the key; text keys in byte order on PostgreSQL (SQLite's BINARY collation).
    fn order_by(&self, pg: bool) -> String {
        self.key
            .iter()
            .map(|k| {
                let text = self
                    .columns
                    .iter()
                    .any(|(c, kind)| c == k && *kind == Kind::Text);
                if pg && text {
                    format!("\"{k}\" COLLATE \"C\"")
                } else {
                    format!("\"{k}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A running row count and SHA-256 of typed values.
#[derive(Default)]
pub struct Digest {
    rows: u64,
    hash: Sha256,
}

impl Digest {
    fn null(&mut self) {
        self.hash.update([0u8]);
    }
    fn int(&mut self, v: i64) {
        self.hash.update([1u8]);
        self.hash.update(v.to_be_bytes());
    }
    fn bytes(&mut self, tag: u8, b: &[u8]) {
        self.hash.update([tag]);
        self.hash.update((b.len() as u64).to_be_bytes());
        self.hash.update(b);
    }
    fn end_row(&mut self) {
        self.rows += 1;
        self.hash.update([0xffu8]);
    }
    fn finish(self) -> (u64, String) {
        (self.rows, hex::encode(self.hash.finalize()))
    }
}

/// What the copy did, per table.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct TableReport {
    pub table: String,
    pub rows: u64,
    pub sha256: String,
    /// The id sequence after the copy (tables with an AUTOINCREMENT id).
    pub sequence: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub sqlite_schema: u32,
    pub postgres_schema: i32,
    pub tables: Vec<TableReport>,
    /// Text values found in BLOB columns: stored as their UTF-8 bytes (bytea), which is what
    /// the engine reads from them.
    pub text_in_blob_columns: u64,
}

/// Tables that are not data of record and are not copied: `heartbeat` is the health probe's
/// one-row table (`engine::service::journal_probe`), created on first use, outside the
/// migrations.
pub const PROBE_TABLES: &[&str] = &["heartbeat"];

/// The journal tables of a SQLite journal, with their columns and keys.
pub fn sqlite_tables(c: &Connection) -> Result<Vec<Table>, PgError> {
    let names: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )?
        .query_map([], |r| r.get::<_, String>(0))?
        .filter(|n| !matches!(n, Ok(n) if PROBE_TABLES.contains(&n.as_str())))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for name in names {
        let mut cols: Vec<(i64, String, String, i64)> = c
            .prepare("SELECT cid, name, type, pk FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        cols.sort_by_key(|c| c.0);
        let mut columns = Vec::new();
        for (_, col, decl, _) in &cols {
            let kind = Kind::from_sqlite(decl).ok_or_else(|| {
                PgError::Copy(format!(
                    "{name}.{col}: declared type {decl:?} has no PostgreSQL mapping"
                ))
            })?;
            columns.push((col.clone(), kind));
        }
        let mut key: Vec<(i64, String)> = cols
            .iter()
            .filter(|c| c.3 > 0)
            .map(|c| (c.3, c.1.clone()))
            .collect();
        key.sort();
        if key.is_empty() {
            return Err(PgError::Copy(format!(
                "{name}: no primary key, so no order to verify the copy in"
            )));
        }
        out.push(Table {
            name,
            columns,
            key: key.into_iter().map(|k| k.1).collect(),
        });
    }
    Ok(out)
}

/// Checks that PostgreSQL has each table with the same columns, in order, of the mapped types.
pub async fn check_target_shape(
    c: &impl tokio_postgres::GenericClient,
    tables: &[Table],
) -> Result<(), PgError> {
    for t in tables {
        let cols: Vec<(String, String)> = c
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
                &[&t.name],
            )
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let want: Vec<(String, String)> = t
            .columns
            .iter()
            .map(|(n, k)| (n.clone(), k.pg_name().to_string()))
            .collect();
        if cols != want {
            return Err(PgError::Copy(format!(
                "table {}: PostgreSQL has {cols:?}, the SQLite journal {want:?}",
                t.name
            )));
        }
    }
    Ok(())
}

/// Row count and digest of a SQLite table, in key order.
pub fn sqlite_digest(c: &Connection, t: &Table) -> Result<(u64, String), PgError> {
    let mut d = Digest::default();
    let sql = format!(
        "SELECT {} FROM \"{}\" ORDER BY {}",
        t.column_list(),
        t.name,
        t.order_by(false)
    );
    let mut stmt = c.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        for (i, (_, kind)) in t.columns.iter().enumerate() {
            digest_sqlite_value(&mut d, *kind, r.get_ref(i)?);
        }
        d.end_row();
    }
    Ok(d.finish())
}

fn digest_sqlite_value(d: &mut Digest, kind: Kind, v: ValueRef<'_>) {
    match (kind, v) {
        (_, ValueRef::Null) => d.null(),
        (_, ValueRef::Integer(i)) => d.int(i),
        (Kind::Blob, ValueRef::Text(b) | ValueRef::Blob(b)) => d.bytes(3, b),
        (_, ValueRef::Text(b)) => d.bytes(2, b),
        (_, ValueRef::Blob(b)) => d.bytes(3, b),
        // No REAL column in the journal; a stray one is refused by the copy before this.
        (_, ValueRef::Real(f)) => d.bytes(4, &f.to_be_bytes()),
    }
}

/// Row count and digest of a PostgreSQL table, in key order (streamed).
pub async fn pg_digest(
    c: &impl tokio_postgres::GenericClient,
    t: &Table,
) -> Result<(u64, String), PgError> {
    use futures_util::TryStreamExt;
    let sql = format!(
        "SELECT {} FROM \"{}\" ORDER BY {}",
        t.column_list(),
        t.name,
        t.order_by(true)
    );
    let stream = c.query_raw(&sql, std::iter::empty::<i64>()).await?;
    futures_util::pin_mut!(stream);
    let mut d = Digest::default();
    while let Some(r) = stream.try_next().await? {
        for (i, (_, kind)) in t.columns.iter().enumerate() {
            match kind {
                Kind::Int => match r.get::<_, Option<i64>>(i) {
                    Some(v) => d.int(v),
                    None => d.null(),
                },
                Kind::Text => match r.get::<_, Option<&str>>(i) {
                    Some(v) => d.bytes(2, v.as_bytes()),
                    None => d.null(),
                },
                Kind::Blob => match r.get::<_, Option<&[u8]>>(i) {
                    Some(v) => d.bytes(3, v),
                    None => d.null(),
                },
            }
        }
        d.end_row();
    }
    Ok(d.finish())
}

/// A SQLite value as the PostgreSQL value of a column of `kind`, or where it does not fit.
fn convert(
    t: &Table,
    col: usize,
    key: &str,
    v: ValueRef<'_>,
    text_in_blob: &mut u64,
) -> Result<Box<dyn ToSql + Sync + Send>, PgError> {
    let (name, kind) = &t.columns[col];
    let bad = |what: &str| {
        PgError::Copy(format!(
            "{}: row {key}: column {name}: {what}; nothing was copied",
            t.name
        ))
    };
    Ok(match (kind, v) {
        (Kind::Int, ValueRef::Null) => Box::new(None::<i64>),
        (Kind::Text, ValueRef::Null) => Box::new(None::<String>),
        (Kind::Blob, ValueRef::Null) => Box::new(None::<Vec<u8>>),
        (Kind::Int, ValueRef::Integer(i)) => Box::new(i),
        (Kind::Text, ValueRef::Text(b)) => {
            let s = std::str::from_utf8(b).map_err(|_| bad("text that is not UTF-8"))?;
            if s.contains('\0') {
                return Err(bad("text with a NUL byte (PostgreSQL text cannot hold it)"));
            }
            Box::new(s.to_string())
        }
        (Kind::Blob, ValueRef::Blob(b)) => Box::new(b.to_vec()),
        (Kind::Blob, ValueRef::Text(b)) => {
            *text_in_blob += 1;
            Box::new(b.to_vec())
        }
        (Kind::Int, other) => return Err(bad(&format!("{:?} in an integer column", other))),
        (Kind::Text, other) => return Err(bad(&format!("{:?} in a text column", other))),
        (Kind::Blob, other) => return Err(bad(&format!("{:?} in a blob column", other))),
    })
}

/// Copies the SQLite journal at `sqlite` into the (empty) PostgreSQL journal, verified.
///
/// The future is not `Send` (it holds a SQLite statement across awaits): run it with
/// `block_on`, as the CLI does.
pub async fn copy_sqlite(sqlite: &Path, journal: &PgJournal) -> Result<Report, PgError> {
    if !sqlite.is_file() {
        return Err(PgError::Copy(format!("{}: no such file", sqlite.display())));
    }
    let src = crate::journal::open_reader(sqlite)
        .map_err(|e| PgError::Copy(format!("{}: {e}", sqlite.display())))?;
    // One read transaction: a consistent snapshot even if something writes meanwhile.
    src.execute_batch("BEGIN")?;
    let version: u32 = src.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != schema::MIRRORS_SQLITE {
        return Err(PgError::Copy(format!(
            "{} is at SQLite journal schema {version}; this ijgate's PostgreSQL schema mirrors \
             schema {} (open it once with this ijgate's daemon to bring it up to date)",
            sqlite.display(),
            schema::MIRRORS_SQLITE
        )));
    }
    let tables = sqlite_tables(&src)?;
    let sequences: std::collections::HashMap<String, i64> = src
        .prepare("SELECT name, seq FROM sqlite_sequence")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;

    let mut client = journal.client().await?;
    schema::migrate(&mut client).await?;
    let pg_version = schema::VERSION;
    let tx = client.transaction().await?;
    check_target_shape(&*tx, &tables).await?;
    // No other writer until the commit, and emptiness holds until then.
    let all: Vec<String> = tables.iter().map(|t| format!("\"{}\"", t.name)).collect();
    tx.batch_execute(&format!(
        "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
        all.join(", ")
    ))
    .await?;
    let mut not_empty = Vec::new();
    for t in &tables {
        let has: bool = tx
            .query_one(
                &format!("SELECT EXISTS (SELECT 1 FROM \"{}\")", t.name),
                &[],
            )
            .await?
            .get(0);
        if has {
            not_empty.push(t.name.clone());
        }
    }
    if !not_empty.is_empty() {
        return Err(PgError::Copy(format!(
            "the target journal is not empty ({}): refused, nothing was copied",
            not_empty.join(", ")
        )));
    }
    tx.batch_execute("SET CONSTRAINTS ALL DEFERRED").await?;

    let mut text_in_blob = 0u64;
    let mut reports = Vec::new();
    for t in &tables {
        let types: Vec<Type> = t.columns.iter().map(|(_, k)| k.pg_type()).collect();
        let sink = tx
            .copy_in(&format!(
                "COPY \"{}\" ({}) FROM STDIN BINARY",
                t.name,
                t.column_list()
            ))
            .await?;
        let writer = BinaryCopyInWriter::new(sink, &types);
        futures_util::pin_mut!(writer);
        let key_idx: Vec<usize> = t
            .key
            .iter()
            .filter_map(|k| t.columns.iter().position(|(c, _)| c == k))
            .collect();
        let mut d = Digest::default();
        {
            let sql = format!(
                "SELECT {} FROM \"{}\" ORDER BY {}",
                t.column_list(),
                t.name,
                t.order_by(false)
            );
            let mut stmt = src.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let key = key_idx
                    .iter()
                    .map(|&i| match r.get_ref(i) {
                        Ok(ValueRef::Integer(v)) => v.to_string(),
                        Ok(ValueRef::Text(b)) => String::from_utf8_lossy(b).into_owned(),
                        _ => "?".into(),
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                let mut values = Vec::with_capacity(t.columns.len());
                for i in 0..t.columns.len() {
                    let v = r.get_ref(i)?;
                    values.push(convert(t, i, &key, v, &mut text_in_blob)?);
                    digest_sqlite_value(&mut d, t.columns[i].1, v);
                }
                d.end_row();
                let refs: Vec<&(dyn ToSql + Sync)> = values
                    .iter()
                    .map(|b| b.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                writer.as_mut().write(&refs).await?;
            }
        }
        writer.finish().await?;
        let (rows, sha256) = d.finish();
        reports.push(TableReport {
            table: t.name.clone(),
            rows,
            sha256,
            sequence: None,
        });
    }

    // Sequences: never below SQLite's (a purged id is not reused).
    for (t, rep) in tables.iter().zip(reports.iter_mut()) {
        if !t.columns.iter().any(|(c, _)| c == "id") {
            continue;
        }
        let seq: Option<String> = tx
            .query_one(
                "SELECT pg_get_serial_sequence(quote_ident($1), 'id')",
                &[&t.name],
            )
            .await?
            .get(0);
        let Some(seq) = seq else { continue };
        let max_id: i64 = tx
            .query_one(
                &format!("SELECT coalesce(max(id), 0) FROM \"{}\"", t.name),
                &[],
            )
            .await?
            .get(0);
        let v = sequences.get(&t.name).copied().unwrap_or(0).max(max_id);
        if v > 0 {
            tx.execute("SELECT setval($1::text::regclass, $2, true)", &[&seq, &v])
                .await?;
        } else {
            tx.execute("SELECT setval($1::text::regclass, 1, false)", &[&seq])
                .await?;
        }
        rep.sequence = Some(v);
    }

    // Read back before the commit: any difference rolls everything back.
    tx.batch_execute("SET CONSTRAINTS ALL IMMEDIATE")
        .await
        .map_err(|e| PgError::Copy(format!("a reference does not hold in the copy: {e}")))?;
    for (t, rep) in tables.iter().zip(&reports) {
        let (rows, sha) = pg_digest(&*tx, t).await?;
        if rows != rep.rows || sha != rep.sha256 {
            return Err(PgError::Copy(format!(
                "{}: PostgreSQL holds {rows} rows (sha256 {sha}), SQLite {} (sha256 {}): \
                 rolled back",
                t.name, rep.rows, rep.sha256
            )));
        }
    }
    tx.commit().await?;
    src.execute_batch("COMMIT")?;
    Ok(Report {
        sqlite_schema: version,
        postgres_schema: pg_version,
        tables: reports,
        text_in_blob_columns: text_in_blob,
    })
}

/// Compares a SQLite journal and a PostgreSQL journal table by table (counts and digests);
/// the differences, empty when they hold the same rows.
pub async fn compare(sqlite: &Path, journal: &PgJournal) -> Result<Vec<String>, PgError> {
    let src = crate::journal::open_reader(sqlite)
        .map_err(|e| PgError::Copy(format!("{}: {e}", sqlite.display())))?;
    let tables = sqlite_tables(&src)?;
    let client = journal.client().await?;
    let mut diffs = Vec::new();
    for t in &tables {
        let a = sqlite_digest(&src, t)?;
        let b = pg_digest(&**client, t).await?;
        if a != b {
            diffs.push(format!(
                "{}: SQLite {} rows {}, PostgreSQL {} rows {}",
                t.name, a.0, a.1, b.0, b.1
            ));
        }
    }
    Ok(diffs)
}

/// The other way, for going back: copies a PostgreSQL journal into a new SQLite journal at
/// `sqlite` (which must not exist), with its sequences, verified the same way. On failure the
/// new file is removed.
pub async fn copy_to_sqlite(journal: &PgJournal, sqlite: &Path) -> Result<Report, PgError> {
    if sqlite.exists() {
        return Err(PgError::Copy(format!(
            "{} exists: refused (the target must be a new file)",
            sqlite.display()
        )));
    }
    let r = copy_to_new_sqlite(journal, sqlite).await;
    if r.is_err() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", sqlite.display()));
        }
    }
    r
}

async fn copy_to_new_sqlite(journal: &PgJournal, sqlite: &Path) -> Result<Report, PgError> {
    if sqlite.exists() {
        return Err(PgError::Copy(format!(
            "{} exists: refused (the target must be a new file)",
            sqlite.display()
        )));
    }
    let mut client = journal.client().await?;
    let pg_version = schema::current_version(&client).await?;
    if pg_version != schema::VERSION {
        return Err(PgError::Copy(format!(
            "the PostgreSQL journal is at schema {pg_version}, this ijgate writes {}",
            schema::VERSION
        )));
    }
    // A new SQLite journal at the mirrored version, emptied of the installation row its
    // migration 5 draws (the copied one replaces it).
    {
        let j = crate::journal::Journal::open(sqlite)
            .map_err(|e| PgError::Copy(format!("{}: {e}", sqlite.display())))?;
        j.write_blocking(|c| {
            c.execute("DELETE FROM installation", [])?;
            Ok(())
        })
        .map_err(|e| PgError::Copy(e.to_string()))?;
    }
    let mut dst = Connection::open(sqlite)?;
    let tables = sqlite_tables(&dst)?;
    let tx_pg = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    check_target_shape(&*tx_pg, &tables).await?;
    let tx = dst.transaction()?;
    tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    let mut reports = Vec::new();
    for t in &tables {
        use futures_util::TryStreamExt;
        let cols = t.column_list();
        let marks = (1..=t.columns.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut ins = tx.prepare(&format!(
            "INSERT INTO \"{}\" ({cols}) VALUES ({marks})",
            t.name
        ))?;
        let stream = tx_pg
            .query_raw(
                &format!(
                    "SELECT {cols} FROM \"{}\" ORDER BY {}",
                    t.name,
                    t.order_by(true)
                ),
                std::iter::empty::<i64>(),
            )
            .await?;
        futures_util::pin_mut!(stream);
        let mut d = Digest::default();
        while let Some(r) = stream.try_next().await? {
            let mut vals: Vec<rusqlite::types::Value> = Vec::with_capacity(t.columns.len());
            for (i, (_, kind)) in t.columns.iter().enumerate() {
                use rusqlite::types::Value;
                let v = match kind {
                    Kind::Int => r.get::<_, Option<i64>>(i).map(Value::Integer),
                    Kind::Text => r.get::<_, Option<String>>(i).map(Value::Text),
                    Kind::Blob => r.get::<_, Option<Vec<u8>>>(i).map(Value::Blob),
                }
                .unwrap_or(Value::Null);
                match &v {
                    Value::Null => d.null(),
                    Value::Integer(x) => d.int(*x),
                    Value::Text(s) => d.bytes(2, s.as_bytes()),
                    Value::Blob(b) => d.bytes(3, b),
                    Value::Real(_) => unreachable!("no real column"),
                }
                vals.push(v);
            }
            d.end_row();
            ins.execute(rusqlite::params_from_iter(vals))?;
        }
        let (rows, sha256) = d.finish();
        let seq: Option<i64> = if t.columns.iter().any(|(c, _)| c == "id") {
            let name: Option<String> = tx_pg
                .query_one(
                    "SELECT pg_get_serial_sequence(quote_ident($1), 'id')",
                    &[&t.name],
                )
                .await?
                .get(0);
            match name {
                // The name comes quoted from PostgreSQL itself.
                Some(n) => {
                    let r = tx_pg
                        .query_one(&format!("SELECT last_value, is_called FROM {n}"), &[])
                        .await?;
                    Some(if r.get::<_, bool>(1) { r.get(0) } else { 0 })
                }
                None => None,
            }
        } else {
            None
        };
        if let Some(v) = seq
            && v > 0
        {
            tx.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?2
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?1)",
                rusqlite::params![t.name, v],
            )?;
            tx.execute(
                "UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1",
                rusqlite::params![t.name, v],
            )?;
        }
        reports.push(TableReport {
            table: t.name.clone(),
            rows,
            sha256,
            sequence: seq,
        });
    }
    let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if broken > 0 {
        return Err(PgError::Copy(format!(
            "{broken} dangling reference(s) in the copy: rolled back"
        )));
    }
    for (t, rep) in tables.iter().zip(&reports) {
        let (rows, sha) = sqlite_digest(&tx, t)?;
        if rows != rep.rows || sha != rep.sha256 {
            return Err(PgError::Copy(format!(
                "{}: SQLite holds {rows} rows, PostgreSQL {}: rolled back",
                t.name, rep.rows
            )));
        }
    }
    tx.commit()?;
    tx_pg.commit().await?;
    Ok(Report {
        sqlite_schema: schema::MIRRORS_SQLITE,
        postgres_schema: pg_version,
        tables: reports,
        text_in_blob_columns: 0,
    })
}
