//! Ingestion: records from any door are validated, journaled in one group-committed
//! transaction with their notices, and reported back row by row.
//!
//! Invariant: the caller (spool or web service) acts on the outcome — archives the file,
//! answers 202 — only after this returns, i.e. after the commit.

use std::collections::HashSet;
use std::sync::Arc;

use crate::config::{Config, HrClient};
use crate::formats::hr_csv::Parsed;
use crate::journal::store::{self, Source, SubmitOutcome};
use crate::journal::{Journal, JournalError, now};
use crate::model::Stoppage;
use crate::model::validate::{Context, FieldError, Record, validate};

use super::notices;

/// One input (a file or an API request body).
#[derive(Debug, Clone)]
pub struct InputMeta {
    /// "spool" or "api".
    pub channel: &'static str,
    /// File name or client identity.
    pub name: String,
    /// Content hash of a file: a file already journaled is not journaled again after a crash.
    pub sha256: Option<String>,
}

/// What happened to one record.
#[derive(Debug, Clone)]
pub struct RowOutcome {
    pub record: Record,
    pub hr_ref: Option<String>,
    pub result: Result<SubmitOutcome, Vec<FieldError>>,
}

/// What happened to one input.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub rows: Vec<RowOutcome>,
    /// Problems with the input as a whole (unreadable, bad header, ragged rows...).
    pub file_errors: Vec<FieldError>,
    /// The input was already journaled (a restart after a crash): nothing was written again.
    pub replayed: bool,
    pub input_id: Option<i64>,
}

impl IngestReport {
    pub fn accepted(&self) -> usize {
        self.rows.iter().filter(|r| r.result.is_ok()).count()
    }
    pub fn rejected(&self) -> usize {
        self.rows.iter().filter(|r| r.result.is_err()).count()
    }
    /// Every error, located, in input order.
    pub fn all_errors(&self) -> Vec<FieldError> {
        let mut v = self.file_errors.clone();
        for r in &self.rows {
            if let Err(e) = &r.result {
                v.extend(e.iter().cloned());
            }
        }
        v.sort_by_key(|e| (e.location.line, e.location.item));
        v
    }
}

/// Validates records against the configuration and the sender's rights.
pub fn validate_all(
    cfg: &Config,
    client: Option<&HrClient>,
    records: &[Record],
) -> Vec<Result<Stoppage, Vec<FieldError>>> {
    let configured = cfg.employer_sirets();
    let allowed: Option<HashSet<String>> = client.map(|c| c.sirets.iter().cloned().collect());
    let ctx = Context {
        configured: &configured,
        allowed: allowed.as_ref(),
    };
    records.iter().map(|r| validate(r, &ctx)).collect()
}

/// What the rows of one input need to be journaled, decided once per input.
struct RowCtx {
    channel: &'static str,
    name: String,
    input_id: Option<i64>,
    at: String,
    /// CPAM exchange on: a valid row plans its deposits in the same transaction.
    exchange: bool,
    /// The RECEIVED notice is written before any file is built: it says "test" from the
    /// configuration that will build the essai file (later notices read the file itself).
    essai: bool,
    insurer_routing: Option<Arc<super::insurer::Routing>>,
}

impl RowCtx {
    fn new(cfg: &Config, meta: &InputMeta) -> RowCtx {
        let exchange = cfg.netent.mode != crate::config::NetEntMode::Disabled;
        RowCtx {
            channel: meta.channel,
            name: meta.name.clone(),
            input_id: None,
            at: now(),
            exchange,
            essai: exchange && cfg.declarant.test_files,
            insurer_routing: super::insurer::Routing::new(cfg),
        }
    }

    /// Journals one validated record: the declaration, its CPAM plan, insurer link and
    /// RECEIVED notice; or its rejection and REJECTED notice.
    fn write_row(
        &self,
        conn: &rusqlite::Connection,
        record: &Record,
        v: Result<Stoppage, Vec<FieldError>>,
    ) -> Result<Result<SubmitOutcome, Vec<FieldError>>, JournalError> {
        let at = &self.at;
        let source = Source {
            channel: self.channel.into(),
            name: self.name.clone(),
            line: record.location.line,
            item: record.location.item,
        };
        let hr_ref = record.fields.get("hr_ref").map(String::as_str);
        Ok(match v {
            Ok(s) => {
                let out = store::submit(conn, &s, &source, at)?;
                if out.status != store::SubmitStatus::Duplicate && self.exchange {
                    // What goes to CPAM is decided in the same transaction.
                    super::cpam::plan(conn, out.id, &s, at)?;
                }
                if out.status != store::SubmitStatus::Duplicate {
                    super::insurer::on_event(conn, out.id, self.insurer_routing.as_ref(), at)?;
                    let mut body =
                        notices::received(&s.hr_ref, s.event.as_str(), &out, &source, at);
                    if self.essai {
                        body = notices::mark_test(&body);
                    }
                    let stem = notices::stem(Some(&s.hr_ref), notices::RECEIVED);
                    store::enqueue_notice(conn, Some(out.id), "hr", &stem, "json", &body, at)?;
                }
                Ok(out)
            }
            Err(errors) => {
                let json = serde_json::to_string(&errors).unwrap_or_default();
                store::record_rejection(conn, self.input_id, &source, hr_ref, &json, at)?;
                let event = record.fields.get("event").map(String::as_str);
                let body = notices::rejected(hr_ref, event, &source, &errors, at);
                let stem = notices::stem(hr_ref, notices::REJECTED);
                store::enqueue_notice(conn, None, "hr", &stem, "json", &body, at)?;
                Err(errors)
            }
        })
    }

    /// Journals the problems of the input as a whole (one rejection, one notice).
    fn write_file_errors(
        &self,
        conn: &rusqlite::Connection,
        file_errors: &[FieldError],
    ) -> Result<(), JournalError> {
        if file_errors.is_empty() {
            return Ok(());
        }
        let source = Source {
            channel: self.channel.into(),
            name: self.name.clone(),
            line: None,
            item: None,
        };
        let json = serde_json::to_string(file_errors).unwrap_or_default();
        store::record_rejection(conn, self.input_id, &source, None, &json, &self.at)?;
        let body = notices::rejected(None, None, &source, file_errors, &self.at);
        let stem = notices::stem(None, notices::REJECTED);
        store::enqueue_notice(conn, None, "hr", &stem, "json", &body, &self.at)?;
        Ok(())
    }
}

/// Journals the valid records of one input and queues their notices, in one commit.
pub async fn ingest(
    journal: &Journal,
    cfg: &Config,
    client: Option<&HrClient>,
    meta: InputMeta,
    parsed: Parsed,
) -> Result<IngestReport, JournalError> {
    let validated = validate_all(cfg, client, &parsed.records);
    let mut ctx = RowCtx::new(cfg, &meta);
    let records = parsed.records;
    let file_errors = parsed.file_errors;
    let job_rows: Vec<(Record, Result<Stoppage, Vec<FieldError>>)> =
        records.into_iter().zip(validated).collect();
    let job_file_errors = file_errors.clone();
    let (rows, replayed, input_id) = journal
        .write(move |conn| {
            if let Some(sha) = &meta.sha256
                && let Some(id) = store::input_seen(conn, sha)?
            {
                // Already journaled before a crash: report the same outcome without writing.
                let rows = job_rows
                    .into_iter()
                    .map(|(record, v)| replay_row(conn, record, v))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok((rows, true, Some(id)));
            }
            let rejected_count = job_rows.iter().filter(|(_, v)| v.is_err()).count();
            ctx.input_id = match &meta.sha256 {
                Some(sha) => Some(store::record_input(
                    conn,
                    meta.channel,
                    &meta.name,
                    sha,
                    job_rows.len() - rejected_count,
                    rejected_count,
                    &ctx.at,
                )?),
                None => None,
            };
            let mut rows = Vec::with_capacity(job_rows.len());
            for (record, v) in job_rows {
                let result = ctx.write_row(conn, &record, v)?;
                rows.push(RowOutcome {
                    hr_ref: record.fields.get("hr_ref").cloned(),
                    record,
                    result,
                });
            }
            ctx.write_file_errors(conn, &job_file_errors)?;
            Ok((rows, false, ctx.input_id))
        })
        .await?;
    Ok(IngestReport {
        rows,
        file_errors,
        replayed,
        input_id,
    })
}

/// One batch of a file journaled in batches ([`ingest_batch_blocking`]).
#[derive(Debug, Default)]
pub struct Batch {
    /// Reading-order index (0-based) of the batch's first record.
    pub first: u64,
    pub records: Vec<Record>,
    /// The last batch carries the file's own errors (header, ragged rows...) and completes
    /// the input.
    pub last: Option<Vec<FieldError>>,
}

/// Journals one batch of a large file in one commit together with the file's checkpoint
/// (`inputs.records_done`, migration 9), so that a crash between two batches loses nothing
/// and a restart journals nothing twice: records the checkpoint already counts are skipped
/// here, whoever sends them (the same content dropped twice under two names is journaled
/// once). `meta.sha256` is the input's key and is required. Returns the input's id.
pub fn ingest_batch_blocking(
    journal: &Journal,
    cfg: &Config,
    client: Option<&HrClient>,
    meta: &InputMeta,
    batch: Batch,
) -> Result<i64, JournalError> {
    let Some(sha) = meta.sha256.clone() else {
        return Err(JournalError::Data(
            "a file journaled in batches needs its content hash".into(),
        ));
    };
    let validated = validate_all(cfg, client, &batch.records);
    let mut ctx = RowCtx::new(cfg, meta);
    let Batch {
        first,
        records,
        last,
    } = batch;
    journal.write_blocking(move |conn| {
        let (id, done) = match store::input_progress(conn, &sha)? {
            Some(p) if p.complete => return Ok(p.id),
            Some(p) => (p.id, p.records_done),
            None => (
                store::begin_input(conn, ctx.channel, &ctx.name, &sha, &ctx.at)?,
                0,
            ),
        };
        if done < first {
            // A batch is only read after the checkpoint reached its start: a gap would lose
            // records, so nothing is written and the file is taken again later.
            return Err(JournalError::Data(format!(
                "input {id}: checkpoint at record {done}, batch starts at {first}"
            )));
        }
        ctx.input_id = Some(id);
        let n = records.len() as u64;
        let skip = usize::try_from(done - first).unwrap_or(usize::MAX);
        let (mut accepted, mut rejected) = (0, 0);
        for (record, v) in records.iter().zip(validated).skip(skip) {
            match ctx.write_row(conn, record, v)? {
                Ok(_) => accepted += 1,
                Err(_) => rejected += 1,
            }
        }
        if let Some(file_errors) = &last {
            ctx.write_file_errors(conn, file_errors)?;
        }
        store::advance_input(
            conn,
            id,
            done.max(first + n),
            accepted,
            rejected,
            last.is_some(),
        )?;
        Ok(id)
    })
}

/// What one input came to, as the spool reports it: counts, located errors and the lines of
/// the bad records.
#[derive(Debug, Clone, Default)]
pub struct FileOutcome {
    pub input_id: Option<i64>,
    pub accepted: usize,
    pub rejected: usize,
    /// Errors about the file as a whole (header, ragged rows, encoding...).
    pub file_errors: usize,
    /// Every error, located, in input order.
    pub errors: Vec<FieldError>,
    /// Physical lines of the records that failed (rows and ragged lines), for the extract.
    pub bad_lines: HashSet<u64>,
    /// The input was complete in the journal before this run (a restart after a crash).
    pub replayed: bool,
}

impl From<&IngestReport> for FileOutcome {
    fn from(r: &IngestReport) -> FileOutcome {
        FileOutcome {
            input_id: r.input_id,
            accepted: r.accepted(),
            rejected: r.rejected(),
            file_errors: r.file_errors.len(),
            errors: r.all_errors(),
            bad_lines: r
                .rows
                .iter()
                .filter(|row| row.result.is_err())
                .filter_map(|row| row.record.location.line)
                .chain(r.file_errors.iter().filter_map(|e| e.location.line))
                .collect(),
            replayed: r.replayed,
        }
    }
}

/// The outcome of a file journaled in batches, read back from the journal once complete: the
/// report is the same whether the file went through in one run or across a crash.
pub fn input_outcome_blocking(journal: &Journal, id: i64) -> Result<FileOutcome, JournalError> {
    let (accepted, rejected, rows) =
        journal.read_blocking(|conn| store::input_rejections(conn, id))?;
    let mut out = FileOutcome {
        input_id: Some(id),
        accepted,
        rejected,
        ..FileOutcome::default()
    };
    for (source, errors) in rows {
        let line = serde_json::from_str::<serde_json::Value>(&source)
            .ok()
            .and_then(|v| v.get("line").and_then(serde_json::Value::as_u64));
        let errors: Vec<FieldError> = serde_json::from_str(&errors).map_err(|e| {
            JournalError::Data(format!(
                "input {id}: a rejection's errors do not read back: {e}"
            ))
        })?;
        match line {
            // A record's rejection: its line is the record's.
            Some(l) => {
                out.bad_lines.insert(l);
            }
            // The file's own errors, each at its line.
            None => {
                out.file_errors += errors.len();
                out.bad_lines
                    .extend(errors.iter().filter_map(|e| e.location.line));
            }
        }
        out.errors.extend(errors);
    }
    out.errors
        .sort_by_key(|e| (e.location.line, e.location.item));
    Ok(out)
}

/// For a replayed input: the declaration each valid row had created.
fn replay_row(
    conn: &rusqlite::Connection,
    record: Record,
    v: Result<Stoppage, Vec<FieldError>>,
) -> Result<RowOutcome, JournalError> {
    let hr_ref = record.fields.get("hr_ref").cloned();
    let result = match v {
        Ok(s) => {
            let found: Option<(i64, i64)> = rusqlite::OptionalExtension::optional(conn.query_row(
                "SELECT id, revision FROM declarations WHERE siret = ?1 AND hr_ref = ?2 AND event = ?3",
                rusqlite::params![s.siret.as_str(), s.hr_ref, s.event.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            ))?;
            match found {
                Some((id, revision)) => Ok(SubmitOutcome {
                    id,
                    status: store::SubmitStatus::Duplicate,
                    revision,
                }),
                None => Err(vec![]),
            }
        }
        Err(e) => Err(e),
    };
    Ok(RowOutcome {
        record,
        hr_ref,
        result,
    })
}

/// Shared handles the doors need.
#[derive(Clone)]
pub struct Engine {
    pub journal: Journal,
    pub config: Arc<arc_swap::ArcSwap<Config>>,
    /// Woken after every commit that queued outbound files.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// Woken after every commit that may have queued deposits.
    pub exchange_wake: Arc<tokio::sync::Notify>,
    /// Woken after every commit that may have scheduled a franchise or stored a BPIJ.
    pub insurer_wake: Arc<tokio::sync::Notify>,
}

impl Engine {
    pub async fn ingest(
        &self,
        client_name: Option<&str>,
        meta: InputMeta,
        parsed: Parsed,
    ) -> Result<IngestReport, JournalError> {
        let cfg = self.config.load_full();
        let client = client_name.and_then(|n| cfg.client_by_name(n));
        let r = ingest(&self.journal, &cfg, client, meta, parsed).await;
        self.outbox_wake.notify_one();
        self.exchange_wake.notify_one();
        self.insurer_wake.notify_one();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::hr_csv::{CsvOptions, read};
    use crate::model::validate::Location;

    const SIRET: &str = "12345678200010";

    /// `n` CSV records (lines 2..), every third one impossible (31 November).
    fn records(n: usize) -> Vec<Record> {
        // Every column an arrêt needs (tests/common: CSV_HEADER).
        let mut csv = String::from(
            "event;hr_ref;siret;nir;last_name;first_names;birth_date;sex;contract_number;contract_start;reason;\
             last_day_worked;expected_end;subrogation;subrogation_start;subrogation_end;iban;bic;salary_1;salary_2;salary_3;\
             birth_place;birth_department;birth_country;address;postal_code;city;contract_nature;job_title;pcs_ese;\
             statut_conventionnel;retirement_category;idcc\n",
        );
        for i in 0..n {
            let day = if i % 3 == 2 {
                "31/11/2026"
            } else {
                "09/11/2026"
            };
            csv.push_str(&format!(
                "arret;B-{i};{SIRET};2850578006048;Martin;Claire;12/05/1985;F;C2;01/03/2016;maladie;{day};20/11/2026;\
                 oui;10/11/2026;20/11/2026;FR7630006000011234567890189;BNPAFRPP;2800,00;2800,00;2750,50;\
                 Lyon;69;FR;3 rue du Test;69003;Lyon;01;Technicien;479a;05;04;1486\n"
            ));
        }
        let p = read(csv.as_bytes(), &CsvOptions::default());
        assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
        p.records
    }

    fn count(j: &Journal, sql: &'static str) -> i64 {
        j.read_blocking(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    }

    /// Issue 17: a file journaled in batches. Whatever is sent again (a batch whose commit
    /// was durable although its sender died, an overlap, anything after completion), every
    /// record is journaled once; a gap is refused; the last batch completes the input with
    /// the file's own errors, and the outcome read back names every bad line.
    #[test]
    fn batches_are_journaled_once_whatever_is_sent_again() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        let cfg: Config = toml::from_str(&format!(
            "[netent]\nmode = \"disabled\"\n[[employers]]\nsiret = \"{SIRET}\"\nname = \"E\"\n"
        ))
        .unwrap();
        let meta = InputMeta {
            channel: "spool",
            name: "big.csv".into(),
            sha256: Some("sha-of-big".into()),
        };
        let recs = records(6);
        let send = |first: u64, r: std::ops::Range<usize>, last: Option<Vec<FieldError>>| {
            ingest_batch_blocking(
                &j,
                &cfg,
                None,
                &meta,
                Batch {
                    first,
                    records: recs[r].to_vec(),
                    last,
                },
            )
        };
        let progress = || {
            j.read_blocking(|c| store::input_progress(c, "sha-of-big"))
                .unwrap()
                .unwrap()
        };
        let id = send(0, 0..3, None).unwrap();
        assert_eq!((progress().records_done, progress().complete), (3, false));
        // The same batch again, then one overlapping the checkpoint: new records only.
        assert_eq!(send(0, 0..3, None).unwrap(), id);
        assert_eq!(send(2, 2..5, None).unwrap(), id);
        assert_eq!(progress().records_done, 5);
        // A gap would lose record 5: refused, nothing written.
        assert!(matches!(send(6, 5..6, None), Err(JournalError::Data(_))));
        assert_eq!(progress().records_done, 5);
        // The last batch, with a ragged line among the file's errors.
        let ragged = FieldError {
            location: Location {
                line: Some(40),
                item: None,
            },
            field: "row".into(),
            value: None,
            reason: "has 2 fields where the header has 14".into(),
        };
        assert_eq!(send(5, 5..6, Some(vec![ragged.clone()])).unwrap(), id);
        assert!(progress().complete);
        // Complete: anything sent again is ignored.
        assert_eq!(send(0, 0..6, Some(vec![ragged])).unwrap(), id);

        let rejections: Vec<String> = j
            .read_blocking(|c| {
                let mut st = c.prepare("SELECT errors FROM rejections")?;
                let v = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
                Ok(v)
            })
            .unwrap();
        assert_eq!(
            count(&j, "SELECT COUNT(*) FROM declarations"),
            4,
            "{rejections:?}"
        );
        assert_eq!(
            count(&j, "SELECT COUNT(*) FROM history WHERE what = 'received'"),
            4
        );
        assert_eq!(count(&j, "SELECT COUNT(*) FROM rejections"), 3);
        assert_eq!(count(&j, "SELECT COUNT(*) FROM outbox"), 4 + 2 + 1);
        let o = input_outcome_blocking(&j, id).unwrap();
        assert_eq!((o.accepted, o.rejected, o.file_errors), (4, 2, 1));
        assert_eq!(o.bad_lines, [4, 7, 40].into_iter().collect());
        let lines: Vec<_> = o.errors.iter().map(|e| e.location.line).collect();
        assert!(lines.is_sorted(), "{lines:?}");
        assert_eq!(o.input_id, Some(id));
    }
}
