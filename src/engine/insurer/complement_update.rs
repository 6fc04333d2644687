//! The prévoyance complement recomputed with the IJSS actually paid: when a BPIJ line (from
//! the API DSN or Prest'IJ) is dispatched for a stoppage whose `guarantee_start` was already
//! sent, a new `guarantee_start` message goes to the insurer with the complement computed
//! again by the existing path ([`super::complement::compute`]) — the estimate replaced by
//! what the CPAM paid on the days the slips cover.
//!
//! Once: `insurer_stoppages.complement_bpij_line` keeps the last BPIJ line used, updated in
//! the same transaction as the queued message. Lines dispatched before the guarantee fired
//! were already in its complement (`b.at >= fired_at` selects only later ones).

use rusqlite::{Connection, params};

use super::franchise::{Contracts, paid_ijss};
use super::{link_row, load_view};
use crate::formats::insurer as fmt;
use crate::journal::{JournalError, store};

const CANDIDATES: &str = "FROM insurer_stoppages s
     JOIN declarations d ON d.siret = s.siret AND d.hr_ref = s.hr_ref AND d.event = 'arret'
     JOIN bpij_lines b ON b.declaration_id = d.id
     WHERE s.fired_kind = 'guarantee_start' AND b.at >= s.fired_at
       AND b.id > coalesce(s.complement_bpij_line, 0)";

/// Whether some stoppage has a BPIJ line newer than its complement (or BPIJ wait).
pub fn may_be_needed(conn: &Connection) -> Result<bool, JournalError> {
    let waiting: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM bpij WHERE dispatched_at IS NULL)")?
        .query_row([], |r| r.get(0))?;
    let stale: bool = conn
        .prepare_cached(&format!("SELECT EXISTS (SELECT 1 {CANDIDATES})"))?
        .query_row([], |r| r.get(0))?;
    Ok(waiting || stale)
}

/// Queues the recomputed complements; returns how many messages.
pub fn recompute(
    conn: &Connection,
    at: &str,
    contracts: &Contracts,
) -> Result<usize, JournalError> {
    let rows = conn
        .prepare_cached(&format!(
            "SELECT s.id, s.siret, s.hr_ref, s.insurer_code, s.insurer_name, s.employer_name, s.contract_ref,
                    s.franchise_days, s.first_day, s.guarantee_date, s.fired_kind, max(b.id)
             {CANDIDATES} GROUP BY s.id LIMIT 256"
        ))?
        .query_map([], |r| Ok((link_row(r)?, r.get::<_, i64>(11)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut queued = 0;
    for (l, last_line) in rows {
        conn.prepare_cached(
            "UPDATE insurer_stoppages SET complement_bpij_line = ?2 WHERE id = ?1",
        )?
        .execute(params![l.id, last_line])?;
        let Some(pc) = contracts.get(&(l.insurer_code.clone(), l.contract_ref.clone())) else {
            continue;
        };
        let Some(view) = load_view(conn, &l.siret, &l.hr_ref)? else {
            continue;
        };
        let paid = paid_ijss(conn, view.arret_id)?;
        let complement = match super::complement::compute(&l, &view, pc, &paid) {
            Ok(c) => c,
            Err(e) => {
                crate::internal_events::complement_unavailable(&l.insurer_code, &l.hr_ref, &e);
                continue;
            }
        };
        let guarantee = fmt::Guarantee {
            date: l.guarantee_date,
            complement: Some(complement),
        };
        super::enqueue_message(
            conn,
            &l,
            &view,
            view.arret_id,
            fmt::MessageKind::GuaranteeStart,
            Some(guarantee),
            at,
        )?;
        let detail =
            serde_json::json!({"insurer": l.insurer_code, "bpij_line": last_line}).to_string();
        store::add_history(
            conn,
            view.arret_id,
            "complement_recomputed",
            None,
            None,
            Some(&detail),
            at,
        )?;
        queued += 1;
    }
    Ok(queued)
}
