//! What the insurer's DSN door (`channels::dsn_spool`) keeps in the journal (migration 9):
//! - `dsn_lots`: the lots taken, by content hash. A lot is taken in one transaction with the
//!   replacement of its snapshots, so a lot read again (a crash before it was archived, or the
//!   same file dropped twice) is recognised and never compared, counted or alerted twice.
//! - `dsn_snapshots`: who was affiliated, per (SIRET, insurer S21.G00.15.002, contract
//!   S21.G00.15.001, month), as a deflated JSON [`StoredPart`]: what next month's lot is
//!   compared with (MSAL01, MCTR01, MAFF01, MCOT01). The last two months of an establishment
//!   are kept, so a declaration sent again for a month ("annule et remplace") is still compared
//!   with the month before it.
//! - `dsn_missing`: establishments of the fiches whose DSN for a month did not arrive by the
//!   due day (MDSN01); open rows are alerts (`missing_dsn:<SIRET>:<YYYY-MM>`, see
//!   `alerts::scanner`), resolved when the DSN arrives.

use std::collections::BTreeSet;
use std::io::{Read, Write};

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use super::JournalError;
use crate::dsn::manques::{AffiliatedSnapshot, DeclaredAdhesions, StoredPart};
use crate::dsn::model::Declaration;

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn month_text(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn pack(part: &StoredPart) -> Result<Vec<u8>, JournalError> {
    let json = serde_json::to_vec(part).map_err(|e| JournalError::Data(e.to_string()))?;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&json)
        .and_then(|()| z.finish())
        .map_err(|e| JournalError::Data(format!("dsn snapshot: {e}")))
}

fn unpack(siret: &str, contract: &str, body: &[u8]) -> Result<StoredPart, JournalError> {
    let mut json = Vec::new();
    let corrupt = |value: String| JournalError::Corrupt {
        table: "dsn_snapshots",
        row: format!("{siret}/{contract}"),
        column: "body",
        value,
        expected: "deflated JSON of a StoredPart",
    };
    flate2::read::DeflateDecoder::new(body)
        .read_to_end(&mut json)
        .map_err(|e| corrupt(e.to_string()))?;
    serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))
}

/// When the lot with this content hash was taken, if it was.
pub fn lot_taken(conn: &Connection, sha256: &str) -> Result<Option<String>, JournalError> {
    Ok(conn
        .prepare_cached("SELECT accepted_at FROM dsn_lots WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?)
}

/// The previous month's snapshots of declaration `d`'s establishment(s), restricted to the
/// insurers its adhesions name (a lot only carries its insurer's part of the DSN; a lot with no
/// adhesion is compared with every insurer's part). One snapshot per file they came from.
pub fn previous_of(
    conn: &Connection,
    d: &Declaration,
) -> Result<Vec<AffiliatedSnapshot>, JournalError> {
    let Some(prev) = d
        .month
        .and_then(|m| m.checked_sub_months(chrono::Months::new(1)))
    else {
        return Ok(Vec::new());
    };
    let mut out: Vec<AffiliatedSnapshot> = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT organisme, contract_ref, file, body FROM dsn_snapshots WHERE siret = ?1 AND month = ?2
         ORDER BY file, contract_ref",
    )?;
    for e in &d.establishments {
        let siret = d.siret(e);
        let insurers: BTreeSet<&str> = e.adhesions.iter().map(|a| a.organisme.as_str()).collect();
        let rows = stmt
            .query_map(params![siret, day(prev)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (organisme, contract, file, body) in rows {
            if !insurers.is_empty()
                && !organisme.is_empty()
                && !insurers.contains(organisme.as_str())
            {
                continue;
            }
            let part = unpack(&siret, &contract, &body)?;
            let i = match out.iter().position(|s| s.file == file) {
                Some(i) => i,
                None => {
                    out.push(AffiliatedSnapshot::new(file, Some(prev)));
                    out.len() - 1
                }
            };
            out[i].add_part(&siret, part);
        }
    }
    Ok(out)
}

/// A lot read by the door, to be taken.
#[derive(Debug, Clone)]
pub struct TakenLot {
    pub sha256: String,
    pub name: String,
    pub declarations: usize,
    /// Month-to-month findings reported for it.
    pub findings: usize,
    pub adhesions: Vec<DeclaredAdhesions>,
    pub snapshots: Vec<AffiliatedSnapshot>,
    /// (SIRET, month) declared: resolves their MDSN01.
    pub received: Vec<(String, NaiveDate)>,
}

/// Takes a lot: records it and replaces, for each establishment and month it declares, the
/// snapshots of the insurers it names (keeping the two latest months), and resolves the MDSN01
/// of what it declares. Returns false (and changes nothing) when that content was already taken.
/// Run inside one journal write: all of it or nothing.
pub fn take_lot(conn: &Connection, lot: &TakenLot, at: &str) -> Result<bool, JournalError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO dsn_lots (sha256, name, accepted_at, declarations, findings) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(sha256) DO NOTHING",
        )?
        .execute(params![
            lot.sha256,
            lot.name,
            at,
            lot.declarations as i64,
            lot.findings as i64
        ])?;
    if inserted == 0 {
        return Ok(false);
    }
    for adh in &lot.adhesions {
        let month = day(adh.month);
        let insurer_of = |contract: &str| {
            adh.contracts
                .iter()
                .find(|(c, _)| c == contract)
                .map_or("", |(_, o)| o.as_str())
        };
        // The insurers this lot speaks for at this establishment ("" for affiliations whose
        // adhesion is unknown); none named: every insurer's part is replaced.
        let insurers: BTreeSet<&str> = adh
            .contracts
            .iter()
            .map(|(_, o)| o.as_str())
            .chain([""])
            .collect();
        if adh.contracts.is_empty() {
            conn.execute(
                "DELETE FROM dsn_snapshots WHERE siret = ?1 AND month = ?2",
                params![adh.siret, month],
            )?;
        } else {
            for o in &insurers {
                conn.execute(
                    "DELETE FROM dsn_snapshots WHERE siret = ?1 AND month = ?2 AND organisme = ?3",
                    params![adh.siret, month, o],
                )?;
            }
        }
        for snap in lot.snapshots.iter().filter(|s| s.month == Some(adh.month)) {
            for ((siret, contract), part) in snap.split_by_contract() {
                if siret != adh.siret {
                    continue;
                }
                conn.prepare_cached(
                    "INSERT INTO dsn_snapshots (siret, organisme, contract_ref, month, file, lot_sha256, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT(siret, organisme, contract_ref, month) DO UPDATE SET
                       file = excluded.file, lot_sha256 = excluded.lot_sha256, body = excluded.body",
                )?
                .execute(params![
                    siret,
                    insurer_of(&contract),
                    contract,
                    month,
                    lot.name,
                    lot.sha256,
                    pack(&part)?
                ])?;
            }
        }
        // Older than the month before the newest: never compared with again.
        let newest: Option<String> = conn.query_row(
            "SELECT max(month) FROM dsn_snapshots WHERE siret = ?1",
            [&adh.siret],
            |r| r.get(0),
        )?;
        // (This lot's month counts even when nobody in it is affiliated.)
        if let Some(cutoff) = newest
            .and_then(|n| NaiveDate::parse_from_str(&n, "%Y-%m-%d").ok())
            .map_or(adh.month, |n| n.max(adh.month))
            .checked_sub_months(chrono::Months::new(1))
        {
            conn.execute(
                "DELETE FROM dsn_snapshots WHERE siret = ?1 AND month < ?2",
                params![adh.siret, day(cutoff)],
            )?;
        }
    }
    resolve_received(conn, &lot.received, at)?;
    Ok(true)
}

/// Marks the MDSN01 of these (SIRET, month) resolved: their DSN arrived.
pub fn resolve_received(
    conn: &Connection,
    received: &[(String, NaiveDate)],
    at: &str,
) -> Result<usize, JournalError> {
    let mut n = 0;
    for (siret, month) in received {
        n += conn
            .prepare_cached(
                "UPDATE dsn_missing SET resolved_at = ?3 WHERE siret = ?1 AND month = ?2 AND resolved_at IS NULL",
            )?
            .execute(params![siret, month_text(*month), at])?;
    }
    Ok(n)
}

/// Records the MDSN01 findings of `month` (SIRET, text): new ones are opened (an alert each);
/// open ones of that month no longer found are resolved. Returns how many were opened.
pub fn record_missing(
    conn: &Connection,
    month: NaiveDate,
    due: NaiveDate,
    found: &[(String, String)],
    at: &str,
) -> Result<usize, JournalError> {
    let m = month_text(month);
    let mut opened = 0;
    for (siret, detail) in found {
        opened += conn
            .prepare_cached(
                "INSERT INTO dsn_missing (siret, month, due, detail, found_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(siret, month) DO NOTHING",
            )?
            .execute(params![siret, m, day(due), detail, at])?;
    }
    let open: Vec<String> = conn
        .prepare_cached("SELECT siret FROM dsn_missing WHERE month = ?1 AND resolved_at IS NULL")?
        .query_map([&m], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for siret in open {
        if !found.iter().any(|(s, _)| *s == siret) {
            conn.execute(
                "UPDATE dsn_missing SET resolved_at = ?3 WHERE siret = ?1 AND month = ?2",
                params![siret, m, at],
            )?;
        }
    }
    Ok(opened)
}

/// An MDSN01 still open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenMissing {
    pub siret: String,
    /// `YYYY-MM`.
    pub month: String,
    pub due: String,
    pub detail: String,
}

/// The MDSN01 still open, oldest month first (each is an alert while it lasts).
pub fn open_missing(conn: &Connection) -> Result<Vec<OpenMissing>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT siret, month, due, detail FROM dsn_missing WHERE resolved_at IS NULL ORDER BY month, siret",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(OpenMissing {
                siret: r.get(0)?,
                month: r.get(1)?,
                due: r.get(2)?,
                detail: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsn::manques::{PrevAffiliation, PrevContract, PrevIndividual};
    use crate::dsn::model::{Adhesion, Company, Establishment, RawNir};

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut c).unwrap();
        c
    }

    fn d(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    const SIRET: &str = "48765432100018";

    fn snap(file: &str, month: NaiveDate, nirs: &[&str]) -> AffiliatedSnapshot {
        let mut s = AffiliatedSnapshot::new(file, Some(month));
        for (n, nir) in nirs.iter().enumerate() {
            s.employees.insert(
                (SIRET.into(), RawNir::new(*nir)),
                PrevIndividual {
                    line: 20 + n as u64,
                    ended: false,
                    contracts: vec![PrevContract {
                        number: "C1".into(),
                        line: 30,
                        ended: false,
                        affiliations: vec![PrevAffiliation {
                            contract_ref: "PRV-LAC-2026".into(),
                            option: "1".into(),
                            line: 40,
                            ended: false,
                            contribution_line: Some(50),
                        }],
                    }],
                },
            );
        }
        s
    }

    fn lot(sha: &str, name: &str, month: NaiveDate, nirs: &[&str]) -> TakenLot {
        TakenLot {
            sha256: sha.into(),
            name: name.into(),
            declarations: 1,
            findings: 0,
            adhesions: vec![DeclaredAdhesions {
                siret: SIRET.into(),
                month,
                contracts: vec![("PRV-LAC-2026".into(), "P0999".into())],
            }],
            snapshots: vec![snap(name, month, nirs)],
            received: vec![(SIRET.into(), month)],
        }
    }

    fn decl(month: NaiveDate, organisme: &str) -> Declaration {
        Declaration {
            month: Some(month),
            company: Some(Company {
                siren: "487654321".into(),
                ..Company::default()
            }),
            establishments: vec![Establishment {
                nic: "00018".into(),
                adhesions: vec![Adhesion {
                    contract_ref: "PRV-LAC-2026".into(),
                    organisme: organisme.into(),
                    ..Adhesion::default()
                }],
                ..Establishment::default()
            }],
            ..Declaration::default()
        }
    }

    #[test]
    fn a_lot_is_taken_once_and_its_snapshot_read_back_next_month() {
        let c = db();
        let feb = lot(
            "aa",
            "feb.dsn",
            d(2026, 2),
            &["1850575123456", "2900133456789"],
        );
        assert!(take_lot(&c, &feb, "t1").unwrap());
        // The same content again: nothing changes.
        assert!(!take_lot(&c, &feb, "t2").unwrap());
        assert_eq!(lot_taken(&c, "aa").unwrap().as_deref(), Some("t1"));
        let prev = previous_of(&c, &decl(d(2026, 3), "P0999")).unwrap();
        assert_eq!(prev.len(), 1);
        assert_eq!(prev[0].file, "feb.dsn");
        assert_eq!(prev[0].month, Some(d(2026, 2)));
        assert_eq!(
            prev[0].employees,
            snap("feb.dsn", d(2026, 2), &["1850575123456", "2900133456789"]).employees
        );
        // Another insurer's lot is not compared with this one's part.
        assert!(
            previous_of(&c, &decl(d(2026, 3), "P0111"))
                .unwrap()
                .is_empty()
        );
        // Not the month before: nothing.
        assert!(
            previous_of(&c, &decl(d(2026, 4), "P0999"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn two_months_are_kept_and_a_resent_month_replaces_its_own() {
        let c = db();
        take_lot(
            &c,
            &lot("a", "feb.dsn", d(2026, 2), &["1850575123456"]),
            "t",
        )
        .unwrap();
        take_lot(
            &c,
            &lot("b", "mar.dsn", d(2026, 3), &["1850575123456"]),
            "t",
        )
        .unwrap();
        take_lot(
            &c,
            &lot("c", "mar2.dsn", d(2026, 3), &["2900133456789"]),
            "t",
        )
        .unwrap();
        // March sent again: still compared with February.
        assert_eq!(
            previous_of(&c, &decl(d(2026, 3), "P0999")).unwrap()[0].file,
            "feb.dsn"
        );
        let apr = previous_of(&c, &decl(d(2026, 4), "P0999")).unwrap();
        assert_eq!(apr[0].file, "mar2.dsn");
        assert_eq!(apr[0].employees.len(), 1);
        take_lot(&c, &lot("d", "apr.dsn", d(2026, 4), &[]), "t").unwrap();
        let months: Vec<String> = c
            .prepare("SELECT DISTINCT month FROM dsn_snapshots ORDER BY month")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(months, ["2026-03-01"], "February pruned, April has nobody");
    }

    /// A failure after the snapshots were replaced (the hook failing, a crash before the
    /// commit) leaves the previous ones and the lot not taken: it is read again, whole.
    #[test]
    fn a_take_that_fails_midway_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let j = crate::journal::Journal::open(&dir.path().join("j.db")).unwrap();
        let feb = lot("a", "feb.dsn", d(2026, 2), &["1850575123456"]);
        j.write_blocking(move |c| take_lot(c, &feb, "t").map(|_| ()))
            .unwrap();
        let feb_again = lot("b", "feb2.dsn", d(2026, 2), &["2900133456789"]);
        let r = j.write_blocking(move |c| {
            assert!(take_lot(c, &feb_again, "t")?);
            Err::<(), _>(JournalError::Data("the hook failed".into()))
        });
        assert!(r.is_err());
        let (prev, taken) = j
            .read_blocking(|c| {
                Ok((
                    previous_of(c, &decl(d(2026, 3), "P0999"))?,
                    lot_taken(c, "b")?,
                ))
            })
            .unwrap();
        assert_eq!(taken, None);
        assert_eq!(prev[0].file, "feb.dsn");
        assert_eq!(
            prev[0]
                .employees
                .keys()
                .map(|k| k.1.expose())
                .collect::<Vec<_>>(),
            ["1850575123456"]
        );
    }

    #[test]
    fn missing_declarations_open_once_and_resolve_when_the_dsn_arrives() {
        let c = db();
        let found = vec![(SIRET.to_string(), "no DSN".to_string())];
        assert_eq!(
            record_missing(&c, d(2026, 10), d(2026, 11,), &found, "t").unwrap(),
            1
        );
        assert_eq!(
            record_missing(&c, d(2026, 10), d(2026, 11), &found, "t").unwrap(),
            0
        );
        assert_eq!(open_missing(&c).unwrap().len(), 1);
        assert_eq!(open_missing(&c).unwrap()[0].month, "2026-10");
        take_lot(&c, &lot("x", "oct.dsn", d(2026, 10), &[]), "t2").unwrap();
        assert!(open_missing(&c).unwrap().is_empty());
    }
}
