//! The exchange's decisions, pure: typed states of deposits and declarations with their
//! transition tables, the declaration state a return leads to, retry timing (the crate's one
//! backoff function) and the reconciliation of a deposit whose answer was lost.
//!
//! Nothing here reads the clock, the journal or the network: callers pass what they observed
//! and journal what comes out. States are stored as their `as_str()` text (CHECK constraints
//! in journal migration 5 list the same values; a test keeps the two in step).

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use chrono::NaiveDateTime;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use super::outcome::{Conformity, ReturnOutcome};
use crate::formats::listing::DepositEntry;

/// A transition the table does not allow (the caller keeps the current state and says so).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal transition: {from} --{event}-->")]
pub struct IllegalTransition {
    pub from: &'static str,
    pub event: String,
}

/// Text enums stored in the journal: `as_str`, `parse`, `ALL`, `Display`, ToSql/FromSql.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
                let s = v.as_str()?;
                $name::parse(s).ok_or_else(|| {
                    FromSqlError::Other(format!("unknown {} {s:?}", stringify!($name)).into())
                })
            }
        }
    };
}

text_enum! {
    /// Where one deposit (one signalement file) stands.
    DepositState {
        /// Queued; sent when due.
        Pending = "pending",
        /// Claimed and frozen; the HTTP call is (or was, before a crash) under way.
        Depositing = "depositing",
        /// The call may have reached net-entreprises: reconcile before sending again.
        Uncertain = "uncertain",
        /// AEE received (or found again by reconciliation).
        Deposited = "deposited",
        /// ARE: the file was refused, nothing registered.
        Rejected = "rejected",
        /// Permanent error or too many attempts; an operator retries it.
        Failed = "failed",
        /// Superseded or cancelled before being sent.
        Withdrawn = "withdrawn",
    }
}

text_enum! {
    /// Where a declaration stands (what `status`, notices and alerts show).
    DeclState {
        Validated = "validated",
        Queued = "queued",
        Depositing = "depositing",
        Uncertain = "uncertain",
        Deposited = "deposited",
        Acknowledged = "acknowledged",
        Accepted = "accepted",
        /// An essai file (S10.G00.00.005 = 01) checked by net-entreprises (AEE, then 11 OK).
        /// The CPAM ignores essai files: this is the end, never `accepted`.
        TestAccepted = "test_accepted",
        Refused = "refused",
        Rejected = "rejected",
        DocumentsRequested = "documents_requested",
        DsijFallback = "dsij_fallback",
        Failed = "failed",
        Cancelled = "cancelled",
        /// Journaled, nothing to send (e.g. a reprise on or after the expected end).
        Recorded = "recorded",
    }
}

/// What happens to a deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositEvent {
    /// Frozen and about to be sent.
    Claim,
    /// AEE.
    Accepted,
    /// ARE.
    Refused,
    /// The call failed in a way that may have reached the peer (timeout, reset, 5xx).
    MayHaveLanded,
    /// The call failed before reaching the peer: send again later.
    Retry,
    /// Permanent error, too many attempts, or nothing to build.
    Fail,
    /// The daemon restarted while the call was under way.
    Recover,
    /// Reconciliation found it registered.
    Found,
    /// Reconciliation established that it is not registered: safe to send again.
    Absent,
    /// Reconciliation cannot tell yet: look again later.
    StillUnsure,
    /// Superseded before being sent.
    Withdraw,
    /// `ijgate retry`.
    OperatorRetry,
}

impl DepositState {
    /// The deposit transition table.
    pub fn next(self, e: DepositEvent) -> Result<DepositState, IllegalTransition> {
        use DepositEvent as E;
        use DepositState as S;
        Ok(match (self, e) {
            (S::Pending, E::Claim) => S::Depositing,
            (S::Pending, E::Withdraw) => S::Withdrawn,
            (S::Pending | S::Depositing | S::Uncertain, E::Fail) => S::Failed,
            (S::Depositing, E::Accepted) => S::Deposited,
            (S::Depositing, E::Refused) => S::Rejected,
            (S::Depositing, E::MayHaveLanded) => S::Uncertain,
            (S::Depositing, E::Retry) => S::Pending,
            (S::Depositing, E::Recover) => S::Uncertain,
            (S::Uncertain, E::Found) => S::Deposited,
            (S::Uncertain, E::Absent) => S::Pending,
            (S::Uncertain, E::StillUnsure) => S::Uncertain,
            (S::Failed | S::Rejected, E::OperatorRetry) => S::Pending,
            (from, e) => {
                return Err(IllegalTransition {
                    from: from.as_str(),
                    event: format!("{e:?}"),
                });
            }
        })
    }
}

/// What happens to a declaration through the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclEvent {
    /// Queued by planning or by an operator retry.
    Queued,
    /// One of its deposits is being sent.
    Claimed,
    /// Its deposit failed before reaching the peer; it will be sent again.
    RetryScheduled,
    /// Its deposit may have reached the peer; reconciliation follows.
    Uncertain,
    /// AEE received or found again.
    Deposited,
    /// ARE.
    Rejected,
    /// Its deposit failed for good.
    Failed,
    /// Its cancellation was deposited (or there was nothing to cancel).
    Cancelled,
    /// A return leads to this state (see [`return_state`]).
    Return(DeclState),
}

/// Rank of a state for returns: a return never moves a declaration backwards (a late 30
/// after the 31 does not undo "accepted"); equal ranks may replace each other (overwritten
/// returns). A failed deposit ranks with the waiting states: a return naming it proves it
/// was registered after all.
pub fn rank(s: DeclState) -> u8 {
    use DeclState as S;
    match s {
        S::Validated | S::Queued | S::Depositing | S::Uncertain | S::Failed => 0,
        S::Deposited => 1,
        S::Acknowledged => 2,
        S::Accepted
        | S::TestAccepted
        | S::Refused
        | S::Rejected
        | S::DocumentsRequested
        | S::DsijFallback
        | S::Cancelled
        | S::Recorded => 3,
    }
}

impl DeclState {
    /// The declaration transition table.
    pub fn next(self, e: DeclEvent) -> Result<DeclState, IllegalTransition> {
        use DeclEvent as E;
        use DeclState as S;
        let illegal = || IllegalTransition {
            from: self.as_str(),
            event: format!("{e:?}"),
        };
        Ok(match (self, e) {
            // Planning re-queues anything but a cancelled stoppage (a modification after the
            // 31 is a replacement).
            (S::Cancelled, E::Queued) => return Err(illegal()),
            (_, E::Queued) => S::Queued,
            // A deposit of a cancelled or merely recorded declaration is never sent; any other
            // may be (a late return of an earlier flux may have moved a declaration whose
            // replacement waits in the queue).
            (S::Cancelled | S::Recorded, E::Claimed) => return Err(illegal()),
            (_, E::Claimed) => S::Depositing,
            (S::Depositing, E::RetryScheduled) => S::Queued,
            (S::Depositing, E::Uncertain) => S::Uncertain,
            (S::Queued | S::Depositing | S::Uncertain | S::Failed, E::Deposited) => S::Deposited,
            (S::Depositing | S::Uncertain, E::Rejected) => S::Rejected,
            (S::Validated | S::Queued | S::Depositing | S::Uncertain, E::Failed) => S::Failed,
            (_, E::Cancelled) => S::Cancelled,
            // Returns: facts from the peer, applied by rank; never to a cancelled or recorded
            // declaration, and only to states a return can lead to.
            (S::Cancelled | S::Recorded, E::Return(_)) => return Err(illegal()),
            (
                cur,
                E::Return(
                    to @ (S::Deposited
                    | S::Rejected
                    | S::Acknowledged
                    | S::Accepted
                    | S::TestAccepted
                    | S::Refused
                    | S::DocumentsRequested
                    | S::DsijFallback),
                ),
            ) if rank(to) >= rank(cur) && !(cur == S::TestAccepted && to != S::TestAccepted) => to,
            _ => return Err(illegal()),
        })
    }
}

/// The declaration state a return leads to, if any. For an essai file the CPAM never acts:
/// the conformity certificate (11) ends it in `test_accepted`, and CNAM returns (which the real
/// service does not send for essai files) change nothing.
pub fn return_state(outcome: &ReturnOutcome, test: bool) -> Option<DeclState> {
    use DeclState as S;
    Some(match outcome {
        ReturnOutcome::TechnicalAccepted { .. } => S::Deposited,
        ReturnOutcome::TechnicalRejected { .. } => S::Rejected,
        ReturnOutcome::Conformity {
            status: Conformity::Ko,
            ..
        } => S::Rejected,
        ReturnOutcome::Conformity { .. } if test => S::TestAccepted,
        ReturnOutcome::Conformity { .. } => return None,
        _ if test => return None,
        ReturnOutcome::CnamAck => S::Acknowledged,
        ReturnOutcome::CnamAccepted => S::Accepted,
        ReturnOutcome::CnamRejected { .. } => S::Refused,
        ReturnOutcome::DocumentsRequested { .. } => S::DocumentsRequested,
        ReturnOutcome::NonReconstitution { .. } => S::DsijFallback,
        ReturnOutcome::Info { .. } => return None,
    })
}

/// What a return does to a declaration in state `current`: `Some(new)` to move it, `None` to
/// record the return in its history only.
pub fn apply_return(current: DeclState, outcome: &ReturnOutcome, test: bool) -> Option<DeclState> {
    let to = return_state(outcome, test)?;
    match current.next(DeclEvent::Return(to)) {
        Ok(s) if s != current => Some(s),
        _ => None,
    }
}

/// True once no more return is expected for the deposit (its declaration reached a final
/// state through a return).
pub fn returns_done(to: DeclState) -> bool {
    rank(to) == 3
}

/// True when the signalement file is an essai (S10.G00.00.005 = 01).
pub fn is_essai(file: &[u8]) -> bool {
    file.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .any(|l| l == b"S10.G00.00.005,'01'")
}

// ---- retry timing ------------------------------------------------------------------------

/// Delay before the next attempt after `attempts` failures: `initial` doubled per failure, up
/// to `max`. The crate's one backoff (deposits, document uploads, alert mails).
pub fn backoff(initial: Duration, max: Duration, attempts: i64) -> Duration {
    let shift = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    initial.saturating_mul(1u32 << shift).min(max)
}

/// A deposit's retry delay: [`backoff`] spread by `jitter` (a factor drawn in 0.8..1.2 by the
/// caller, so that a batch failing together does not retry together), never shorter than the
/// peer's `Retry-After`. Per deposit: one failing declaration never delays the others.
pub fn retry_delay(
    initial: Duration,
    max: Duration,
    attempts: i64,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Duration {
    let j = if jitter.is_finite() {
        jitter.clamp(0.5, 1.5)
    } else {
        1.0
    };
    backoff(initial, max, attempts)
        .mul_f64(j)
        .max(retry_after.unwrap_or_default())
}

// ---- reconciliation ----------------------------------------------------------------------

/// How far reconciliation trusts `lister-depots` (`[netent]` settings, see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcilePolicy {
    /// Absence counts only once the deposit is this old: the listing may show a deposit late.
    pub min_age: Duration,
    /// Consecutive listings that must all show it absent before sending again.
    pub rechecks: u32,
    /// Delay between two looks at the listing.
    pub recheck_interval: Duration,
    /// The peer's clock may differ from ours by this much, either way.
    pub clock_tolerance: Duration,
    /// Longest a deposit call can last (the file may land any time until its timeout).
    pub request_timeout: Duration,
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The span of the peer's listing where a deposit sent at `sent` (our clock, in the API's
/// time zone) can appear.
///
/// Assumption (clocks): the peer stamps a deposit with its own clock, which differs from ours
/// by at most `clock_tolerance`; the file lands between the start of the call and its
/// timeout. Hence `[sent - tolerance, sent + request_timeout + tolerance]`.
pub fn reconcile_window(
    sent: NaiveDateTime,
    p: &ReconcilePolicy,
) -> (NaiveDateTime, NaiveDateTime) {
    let tol = chrono_of(p.clock_tolerance);
    (sent - tol, sent + chrono_of(p.request_timeout) + tol)
}

/// What one look at the listing says about an uncertain deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingVerdict {
    /// Deposits that may be ours (nearest first): their returns must name our identifiant
    /// métier before we call it deposited; until then, nothing is sent again.
    Candidates(Vec<String>),
    /// Nothing that could be ours, but absence does not count yet (too young, or the window
    /// is not wholly in the past); look again at the given time.
    TooEarly { recheck_at: NaiveDateTime },
    /// Absent, `checks` consecutive times so far, fewer than required: look again.
    AbsentOnce { checks: u32 },
    /// Absent as many times as required: sending again cannot make a duplicate.
    Absent,
}

/// True when a listed deposit status says "this file is not a declaration".
///
/// Assumption (statuses): `lister-depots` lists refused files (ARE) with status KO; a KO file
/// registered nothing, so it can never be the declaration we look for, and sending ours again
/// cannot duplicate it. Any other status (OK, or one we do not know, such as a deposit still
/// being processed) may be a declaration and is kept as a candidate.
pub fn status_is_not_a_declaration(statut: &str) -> bool {
    statut.trim().eq_ignore_ascii_case("KO")
}

/// Decides from one listing of [`reconcile_window`] around `sent`, seen at `now` (both in the
/// API's time zone, our clock). `known` are the flux already attributed to our deposits;
/// `absent_before` counts the previous consecutive absent looks.
pub fn judge_listing(
    sent: NaiveDateTime,
    now: NaiveDateTime,
    listed: &[DepositEntry],
    known: &HashSet<String>,
    absent_before: u32,
    p: &ReconcilePolicy,
) -> ListingVerdict {
    let (start, end) = reconcile_window(sent, p);
    let mut near: Vec<&DepositEntry> = listed
        .iter()
        .filter(|d| !status_is_not_a_declaration(&d.statut))
        .filter(|d| !known.contains(&d.idflux))
        // A listed deposit without a date could be anything: keep it as a candidate.
        .filter(|d| d.date.is_none_or(|t| t >= start && t <= end))
        .collect();
    if !near.is_empty() {
        near.sort_by_key(|d| d.date.map(|t| (t - sent).abs()));
        return ListingVerdict::Candidates(near.into_iter().map(|d| d.idflux.clone()).collect());
    }
    // Assumption (listing lag): a deposit shows in the listing at most `min_age` after it was
    // sent. Younger than that, or while the window reaches into the future (plus the clock
    // tolerance, already in `end`), absence proves nothing.
    let old_enough = sent + chrono_of(p.min_age);
    let due = old_enough.max(end);
    if now < due {
        return ListingVerdict::TooEarly { recheck_at: due };
    }
    // Assumption (rechecks): one empty answer may be a transient gap of the listing; absence
    // counts after `rechecks` consecutive empty looks, `recheck_interval` apart.
    let checks = absent_before + 1;
    if checks < p.rechecks.max(1) {
        ListingVerdict::AbsentOnce { checks }
    } else {
        ListingVerdict::Absent
    }
}

// ---- declarant-wide listing -----------------------------------------------------------------

/// A listing window `[start, end]` (API time zone).
pub type Window = (NaiveDateTime, NaiveDateTime);

/// Failed windows kept for another try, and for how long (beyond, the per-flux poller still
/// covers every flux of ours).
pub const MAX_RETRY_WINDOWS: usize = 200;
pub const RETRY_WINDOW_DAYS: i64 = 7;

/// The fresh windows of one pass over `lister-retours-declarant`, from the cursor to `now`.
/// First run: one day back. Later runs re-read 5 minutes before the cursor (a return can be
/// published with a slightly earlier timestamp than its listing time), widened by the clock
/// tolerance (the peer stamps publications with its own clock).
pub fn declarant_windows(
    cursor: Option<NaiveDateTime>,
    now: NaiveDateTime,
    clock_tolerance: Duration,
) -> Vec<Window> {
    let start = cursor
        .map(|t| t - chrono::Duration::minutes(5) - chrono_of(clock_tolerance))
        .unwrap_or(now - chrono::Duration::days(1));
    crate::formats::listing::split_windows(start, now)
}

/// The windows to try again next pass: those that failed now, newest kept first when there
/// are too many, none older than [`RETRY_WINDOW_DAYS`]. A failed window never holds the cursor
/// back: the pass moves past it, so one bad window cannot pin the listing.
pub fn windows_to_retry(mut failed: Vec<Window>, now: NaiveDateTime) -> Vec<Window> {
    let oldest = now - chrono::Duration::days(RETRY_WINDOW_DAYS);
    failed.retain(|(_, b)| *b >= oldest);
    failed.sort();
    failed.dedup();
    if failed.len() > MAX_RETRY_WINDOWS {
        failed.drain(..failed.len() - MAX_RETRY_WINDOWS);
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::listing::parse_ts;

    fn t(s: &str) -> NaiveDateTime {
        parse_ts(s).unwrap()
    }

    fn policy() -> ReconcilePolicy {
        ReconcilePolicy {
            min_age: Duration::from_secs(300),
            rechecks: 2,
            recheck_interval: Duration::from_secs(60),
            clock_tolerance: Duration::from_secs(180),
            request_timeout: Duration::from_secs(120),
        }
    }

    fn dep(id: &str, at: &str, statut: &str) -> DepositEntry {
        DepositEntry {
            idflux: id.into(),
            date: Some(t(at)),
            statut: statut.into(),
        }
    }

    #[test]
    fn states_round_trip_as_text() {
        for s in DepositState::ALL {
            assert_eq!(DepositState::parse(s.as_str()), Some(*s));
        }
        for s in DeclState::ALL {
            assert_eq!(DeclState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(DeclState::parse("accepted "), None);
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let s: DeclState = c
            .query_row("SELECT ?1", [DeclState::TestAccepted], |r| r.get(0))
            .unwrap();
        assert_eq!(s, DeclState::TestAccepted);
        let bad: rusqlite::Result<DepositState> = c.query_row("SELECT 'sent'", [], |r| r.get(0));
        assert!(bad.is_err());
    }

    #[test]
    fn deposit_table_is_exhaustive() {
        use DepositEvent as E;
        use DepositState as S;
        let events = [
            E::Claim,
            E::Accepted,
            E::Refused,
            E::MayHaveLanded,
            E::Retry,
            E::Fail,
            E::Recover,
            E::Found,
            E::Absent,
            E::StillUnsure,
            E::Withdraw,
            E::OperatorRetry,
        ];
        let legal: Vec<(S, E, S)> = vec![
            (S::Pending, E::Claim, S::Depositing),
            (S::Pending, E::Withdraw, S::Withdrawn),
            (S::Pending, E::Fail, S::Failed),
            (S::Depositing, E::Fail, S::Failed),
            (S::Uncertain, E::Fail, S::Failed),
            (S::Depositing, E::Accepted, S::Deposited),
            (S::Depositing, E::Refused, S::Rejected),
            (S::Depositing, E::MayHaveLanded, S::Uncertain),
            (S::Depositing, E::Retry, S::Pending),
            (S::Depositing, E::Recover, S::Uncertain),
            (S::Uncertain, E::Found, S::Deposited),
            (S::Uncertain, E::Absent, S::Pending),
            (S::Uncertain, E::StillUnsure, S::Uncertain),
            (S::Failed, E::OperatorRetry, S::Pending),
            (S::Rejected, E::OperatorRetry, S::Pending),
        ];
        for s in S::ALL {
            for e in events {
                let expected = legal
                    .iter()
                    .find(|(a, b, _)| a == s && *b == e)
                    .map(|x| x.2);
                assert_eq!(s.next(e).ok(), expected, "{s} {e:?}");
            }
        }
        // A deposited file is never sent again, whatever happens.
        assert!(S::Deposited.next(E::Claim).is_err());
        assert!(S::Deposited.next(E::Absent).is_err());
    }

    #[test]
    fn declaration_transitions() {
        use DeclEvent as E;
        use DeclState as S;
        assert_eq!(S::Queued.next(E::Claimed), Ok(S::Depositing));
        assert_eq!(S::Depositing.next(E::Uncertain), Ok(S::Uncertain));
        assert_eq!(S::Uncertain.next(E::Deposited), Ok(S::Deposited));
        assert!(S::Cancelled.next(E::Claimed).is_err());
        assert!(S::Cancelled.next(E::Queued).is_err());
        assert!(S::Accepted.next(E::RetryScheduled).is_err());
        assert!(S::Accepted.next(E::Failed).is_err());
        assert_eq!(S::Accepted.next(E::Cancelled), Ok(S::Cancelled));
        // Returns by rank.
        assert_eq!(S::Deposited.next(E::Return(S::Accepted)), Ok(S::Accepted));
        assert!(S::Accepted.next(E::Return(S::Acknowledged)).is_err());
        assert_eq!(S::Accepted.next(E::Return(S::Refused)), Ok(S::Refused));
        assert!(S::Cancelled.next(E::Return(S::Accepted)).is_err());
        assert!(S::Deposited.next(E::Return(S::Queued)).is_err());
        assert!(S::TestAccepted.next(E::Return(S::Accepted)).is_err());
        // Every pair answers without panicking.
        let events = [
            E::Queued,
            E::Claimed,
            E::RetryScheduled,
            E::Uncertain,
            E::Deposited,
            E::Rejected,
            E::Failed,
            E::Cancelled,
        ];
        for s in S::ALL {
            for e in events
                .iter()
                .copied()
                .chain(S::ALL.iter().map(|t| E::Return(*t)))
            {
                let _ = s.next(e);
            }
        }
    }

    #[test]
    fn returns_move_declarations_forward_only() {
        use DeclState as S;
        assert_eq!(
            apply_return(S::Deposited, &ReturnOutcome::CnamAck, false),
            Some(S::Acknowledged)
        );
        assert_eq!(
            apply_return(S::Acknowledged, &ReturnOutcome::CnamAccepted, false),
            Some(S::Accepted)
        );
        // A late 30 after the 31.
        assert_eq!(
            apply_return(S::Accepted, &ReturnOutcome::CnamAck, false),
            None
        );
        assert_eq!(
            apply_return(
                S::Acknowledged,
                &ReturnOutcome::CnamRejected { anomalies: vec![] },
                false
            ),
            Some(S::Refused)
        );
        let n = ReturnOutcome::NonReconstitution {
            nature: "21".into(),
            message: None,
            anomalies: vec![],
        };
        assert_eq!(apply_return(S::Deposited, &n, false), Some(S::DsijFallback));
        assert_eq!(
            apply_return(S::Deposited, &ReturnOutcome::Info { nature: None }, false),
            None
        );
        // A late 31 of a cancelled stoppage does not revive it.
        assert_eq!(
            apply_return(S::Cancelled, &ReturnOutcome::CnamAccepted, false),
            None
        );
        // A deposit given up as failed that turns out registered.
        assert_eq!(
            apply_return(S::Failed, &ReturnOutcome::CnamAck, false),
            Some(S::Acknowledged)
        );
    }

    #[test]
    fn an_essai_file_ends_in_test_accepted_never_accepted() {
        use DeclState as S;
        let cco = ReturnOutcome::Conformity {
            status: Conformity::Ok,
            anomalies: vec![],
        };
        assert_eq!(
            apply_return(S::Deposited, &cco, true),
            Some(S::TestAccepted)
        );
        assert_eq!(apply_return(S::Deposited, &cco, false), None);
        for o in [ReturnOutcome::CnamAck, ReturnOutcome::CnamAccepted] {
            assert_eq!(apply_return(S::Deposited, &o, true), None);
            assert_eq!(apply_return(S::TestAccepted, &o, true), None);
            assert_eq!(apply_return(S::TestAccepted, &o, false), None);
        }
        let ko = ReturnOutcome::Conformity {
            status: Conformity::Ko,
            anomalies: vec![],
        };
        assert_eq!(apply_return(S::Deposited, &ko, true), Some(S::Rejected));
        assert!(is_essai(b"S10.G00.00.001,'X'\r\nS10.G00.00.005,'01'\r\n"));
        assert!(!is_essai(b"S10.G00.00.005,'02'\r\n"));
        assert!(!is_essai(b"S10.G00.00.0050,'01'\n"));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let s = Duration::from_secs;
        assert_eq!(backoff(s(1), s(10), 0), s(1));
        assert_eq!(backoff(s(1), s(10), 3), s(8));
        assert_eq!(backoff(s(1), s(10), 4), s(10));
        assert_eq!(backoff(s(1), s(10), 400), s(10));
        assert_eq!(backoff(s(1), s(10), -3), s(1));
        assert_eq!(
            retry_delay(s(1), s(10), 1, 1.2, None),
            Duration::from_millis(2400)
        );
        assert_eq!(retry_delay(s(1), s(10), 1, 0.8, Some(s(5))), s(5));
        assert_eq!(retry_delay(s(1), s(10), 0, f64::NAN, None), s(1));
    }

    #[test]
    fn a_deposit_near_the_sending_time_is_a_candidate_even_under_clock_skew() {
        let p = policy();
        let sent = t("20261125100000");
        let known = HashSet::from(["OURS".to_string()]);
        // The peer's clock is 2 min 30 s behind ours: within the tolerance.
        let listed = [
            dep("OURS", "20261125095800", "OK"),
            dep("FAR", "20261125093000", "OK"),
            dep("SKEWED", "20261125095730", "OK"),
            dep("LATE", "20261125100400", "OK"),
        ];
        let v = judge_listing(sent, t("20261125101000"), &listed, &known, 0, &p);
        assert_eq!(
            v,
            ListingVerdict::Candidates(vec!["SKEWED".into(), "LATE".into()])
        );
        // Without the tolerance the skewed deposit would be missed and the file sent twice.
        let strict = ReconcilePolicy {
            clock_tolerance: Duration::ZERO,
            ..p
        };
        let v = judge_listing(sent, t("20261125101000"), &listed[..3], &known, 1, &strict);
        assert_eq!(v, ListingVerdict::Absent);
    }

    #[test]
    fn a_ko_status_is_not_a_declaration_but_an_unknown_status_may_be() {
        let p = policy();
        let sent = t("20261125100000");
        let now = t("20261125101000");
        let none = HashSet::new();
        let ko = [
            dep("KO1", "20261125100001", "KO"),
            dep("KO2", "20261125100002", "ko"),
        ];
        assert_eq!(
            judge_listing(sent, now, &ko, &none, 0, &p),
            ListingVerdict::AbsentOnce { checks: 1 }
        );
        let pending = [dep("P", "20261125100001", "EN COURS")];
        assert_eq!(
            judge_listing(sent, now, &pending, &none, 0, &p),
            ListingVerdict::Candidates(vec!["P".into()])
        );
        let undated = [DepositEntry {
            idflux: "U".into(),
            date: None,
            statut: "OK".into(),
        }];
        assert_eq!(
            judge_listing(sent, now, &undated, &none, 0, &p),
            ListingVerdict::Candidates(vec!["U".into()])
        );
    }

    #[test]
    fn a_failing_declarant_window_does_not_pin_the_cursor() {
        let now = t("20261125120000");
        let first = declarant_windows(None, now, Duration::from_secs(180));
        assert_eq!(first.len(), 24);
        assert_eq!(first[0].0, t("20261124120000"));
        // The first window fails for good; the pass goes on and the cursor ends at `now`.
        let failed = vec![first[0]];
        let cursor = first.last().unwrap().1;
        let next = declarant_windows(Some(cursor), t("20261125121000"), Duration::from_secs(180));
        assert_eq!(
            next[0].0,
            t("20261125115200"),
            "5 min + 3 min tolerance before"
        );
        assert!(
            next.iter().all(|w| w.0 > first[0].1),
            "the bad window is not the start"
        );
        // It is tried again later, for a week at most.
        assert_eq!(windows_to_retry(failed.clone(), now), failed);
        assert!(windows_to_retry(failed, t("20261202120001")).is_empty());
        let many: Vec<Window> = (0..300)
            .map(|i| {
                let a = now - chrono::Duration::minutes(i);
                (a, a)
            })
            .collect();
        let kept = windows_to_retry(many, now);
        assert_eq!(kept.len(), MAX_RETRY_WINDOWS);
        assert_eq!(kept.last().unwrap().0, now, "the newest are kept");
    }

    #[test]
    fn absence_counts_only_when_old_enough_and_seen_again() {
        let p = policy();
        let sent = t("20261125100000");
        let none = HashSet::new();
        // Two minutes after sending: the listing may lag.
        assert_eq!(
            judge_listing(sent, t("20261125100200"), &[], &none, 0, &p),
            ListingVerdict::TooEarly {
                recheck_at: t("20261125100500")
            }
        );
        // The window reaches past min_age when the timeout and tolerance are long.
        let long = ReconcilePolicy {
            request_timeout: Duration::from_secs(600),
            ..p
        };
        assert_eq!(
            judge_listing(sent, t("20261125100600"), &[], &none, 0, &long),
            ListingVerdict::TooEarly {
                recheck_at: t("20261125101300")
            }
        );
        assert_eq!(
            judge_listing(sent, t("20261125100600"), &[], &none, 0, &p),
            ListingVerdict::AbsentOnce { checks: 1 }
        );
        assert_eq!(
            judge_listing(sent, t("20261125100700"), &[], &none, 1, &p),
            ListingVerdict::Absent
        );
        let once = ReconcilePolicy { rechecks: 0, ..p };
        assert_eq!(
            judge_listing(sent, t("20261125100600"), &[], &none, 0, &once),
            ListingVerdict::Absent
        );
    }
}
