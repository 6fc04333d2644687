//! Several nodes on one PostgreSQL journal: the node registry, row leases and singleton-duty
//! leadership (issue 15).
//!
//! **Leases.** A node claims due rows (deposits, outbox rows) with `FOR UPDATE SKIP LOCKED`:
//! concurrent claimers skip each other's candidates instead of queueing on them. The
//! arbiter is the `leases` row itself: a fresh claim inserts it (`ON CONFLICT DO NOTHING`), a
//! takeover updates it only while it is expired (re-checked under the row lock), so two
//! nodes never hold the same row even when their candidate lists overlap. Every claim draws a
//! new epoch from one sequence (never reused). A takeover of an expired lease — its owner
//! died or stalled mid-work — is reported as [`ClaimKind::NeedsReconciliation`], never as
//! fresh: the claimer must reconcile (ask the peer what happened) as after a crash, never
//! resend blindly. Writes under a lease call [`Lease::check`] in their transaction: a node
//! whose lease was taken over is refused ([`PgError::LeaseLost`]).
//!
//! **Leadership.** A singleton duty (return listings, BPIJ polling, alert scanner, retention,
//! franchise scheduler) runs on the node holding a session advisory lock on its key. The lock
//! dies with the session (node killed, network cut once TCP keepalive gives up), so another
//! node can take it. Each takeover increments the duty's epoch in `leadership`; a leader's
//! write calls [`fenced`] with its epoch in the write's transaction: a deposed leader that
//! has not noticed yet is refused ([`PgError::Deposed`]). `FOR SHARE` on the leadership row
//! makes a takeover wait for an in-flight fenced write to commit, so the order is clean.
//!
//! All times are the database's (`clock_timestamp()`): nodes' clocks may disagree, the
//! database's is the one they share.

use std::time::Duration;
use tokio_postgres::Transaction;

use super::{PgError, PgJournal};

/// Rows that nodes claim with leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `deposits` due for a deposit or a reconciliation.
    Deposit,
    /// `outbox` rows not yet delivered (HR notices, insurer pushes).
    Outbox,
}

impl Resource {
    pub const ALL: [Resource; 2] = [Resource::Deposit, Resource::Outbox];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Deposit => "deposit",
            Resource::Outbox => "outbox",
        }
    }

    pub fn parse(s: &str) -> Option<Resource> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    fn table(self) -> &'static str {
        match self {
            Resource::Deposit => "deposits",
            Resource::Outbox => "outbox",
        }
    }

    /// The rows due for work, on the database clock (`t` is the table).
    fn due(self) -> String {
        match self {
            Resource::Deposit => format!(
                "t.state IN ('pending', 'uncertain') AND t.next_attempt_at <= {}",
                super::NOW_TEXT
            ),
            Resource::Outbox => "t.delivered_at IS NULL".into(),
        }
    }

    fn order(self) -> &'static str {
        match self {
            Resource::Deposit => "t.next_attempt_at, t.id",
            Resource::Outbox => "t.id",
        }
    }
}

/// How a row was claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimKind {
    /// Nobody held it: work as usual.
    Fresh,
    /// Taken over from an expired lease: its owner may have been mid-work (a deposit sent or
    /// not). Reconcile first, as after a crash; never resend blindly.
    NeedsReconciliation {
        previous_owner: String,
        previous_epoch: i64,
        /// When the previous lease expired (RFC 3339 UTC).
        expired_at: String,
    },
}

/// A row this node holds until `expires_at` (or until it renews or releases it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub resource: Resource,
    pub row_id: i64,
    pub owner: String,
    pub epoch: i64,
    pub kind: ClaimKind,
}

impl Lease {
    /// Fencing for a write under this lease, in the write's transaction: refused when the
    /// lease expired or was taken over. Holds a share lock on the lease row until the
    /// transaction ends, so no takeover slips in between the check and the commit.
    pub async fn check(&self, tx: &Transaction<'_>) -> Result<(), PgError> {
        let held = tx
            .query_opt(
                "SELECT 1 FROM leases WHERE resource = $1 AND row_id = $2 AND owner = $3
                   AND epoch = $4 AND expires_at > clock_timestamp() FOR SHARE",
                &[
                    &self.resource.as_str(),
                    &self.row_id,
                    &self.owner,
                    &self.epoch,
                ],
            )
            .await?;
        match held {
            Some(_) => Ok(()),
            None => Err(PgError::LeaseLost {
                resource: self.resource.as_str(),
                row_id: self.row_id,
                epoch: self.epoch,
            }),
        }
    }
}

/// Singleton duties: one node at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    ReturnListings,
    BpijPolling,
    AlertScanner,
    Retention,
    FranchiseScheduler,
}

impl Duty {
    pub const ALL: [Duty; 5] = [
        Duty::ReturnListings,
        Duty::BpijPolling,
        Duty::AlertScanner,
        Duty::Retention,
        Duty::FranchiseScheduler,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Duty::ReturnListings => "return_listings",
            Duty::BpijPolling => "bpij_polling",
            Duty::AlertScanner => "alert_scanner",
            Duty::Retention => "retention",
            Duty::FranchiseScheduler => "franchise_scheduler",
        }
    }

    /// The advisory lock key: 'ijg' 'led' and the duty's number (stable: never renumber).
    pub fn lock_key(self) -> i64 {
        let n = match self {
            Duty::ReturnListings => 1,
            Duty::BpijPolling => 2,
            Duty::AlertScanner => 3,
            Duty::Retention => 4,
            Duty::FranchiseScheduler => 5,
        };
        0x696a_6700_6c65_6400 + n
    }
}

/// This running ijgate, registered in `nodes`.
#[derive(Clone)]
pub struct Node {
    pub id: String,
    journal: PgJournal,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

impl Node {
    /// Registers a new node: `host-pid-random` (a restarted process is a new node; its
    /// predecessor's leases expire and are reconciled).
    pub async fn register(journal: &PgJournal) -> Result<Node, PgError> {
        let host = host_name();
        let pid = std::process::id();
        let id = format!("{host}-{pid}-{:06x}", rand::random::<u32>() & 0xff_ffff);
        journal
            .client()
            .await?
            .execute(
                "INSERT INTO nodes (node_id, host, pid, version) VALUES ($1, $2, $3, $4)",
                &[&id, &host, &i64::from(pid), &env!("CARGO_PKG_VERSION")],
            )
            .await?;
        Ok(Node {
            id,
            journal: journal.clone(),
        })
    }

    /// Says "alive" (status shows a node whose heartbeat is old as presumed dead).
    pub async fn heartbeat(&self) -> Result<(), PgError> {
        self.journal
            .client()
            .await?
            .execute(
                "UPDATE nodes SET heartbeat_at = clock_timestamp() WHERE node_id = $1",
                &[&self.id],
            )
            .await?;
        Ok(())
    }

    /// A clean stop. Its leases are left to expire: whatever it was doing is reconciled by
    /// the next claimer (a release is for finished work only).
    pub async fn stopped(&self) -> Result<(), PgError> {
        self.journal
            .client()
            .await?
            .execute(
                "UPDATE nodes SET stopped_at = clock_timestamp() WHERE node_id = $1",
                &[&self.id],
            )
            .await?;
        Ok(())
    }

    /// Claims up to `limit` due rows for `ttl`, in one transaction. Rows whose lease expired
    /// come back whatever their state, as [`ClaimKind::NeedsReconciliation`].
    pub async fn claim(
        &self,
        resource: Resource,
        limit: i64,
        ttl: Duration,
    ) -> Result<Vec<Lease>, PgError> {
        let mut c = self.journal.client().await?;
        let tx = c.transaction().await?;
        let r = resource.as_str();
        let candidates = tx
            .query(
                &format!(
                    "SELECT t.id FROM {table} t
                     WHERE ({due} OR EXISTS (SELECT 1 FROM leases l WHERE l.resource = $1
                                AND l.row_id = t.id AND l.expires_at <= clock_timestamp()))
                       AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.resource = $1
                                AND l.row_id = t.id AND l.expires_at > clock_timestamp())
                     ORDER BY {order}
                     LIMIT $2
                     FOR UPDATE OF t SKIP LOCKED",
                    table = resource.table(),
                    due = resource.due(),
                    order = resource.order()
                ),
                &[&r, &limit],
            )
            .await?;
        let secs = ttl.as_secs_f64();
        let mut out = Vec::with_capacity(candidates.len());
        for row in candidates {
            let id: i64 = row.get(0);
            // Fresh: nobody holds it. A concurrent insert makes this wait, then do nothing.
            let fresh = tx
                .query_opt(
                    "INSERT INTO leases (resource, row_id, owner, epoch, expires_at)
                     VALUES ($1, $2, $3, nextval('lease_epochs'),
                             clock_timestamp() + make_interval(secs => $4))
                     ON CONFLICT (resource, row_id) DO NOTHING
                     RETURNING epoch",
                    &[&r, &id, &self.id, &secs],
                )
                .await?;
            if let Some(f) = fresh {
                out.push(Lease {
                    resource,
                    row_id: id,
                    owner: self.id.clone(),
                    epoch: f.get(0),
                    kind: ClaimKind::Fresh,
                });
                continue;
            }
            // Takeover, only of an expired lease; the expiry is re-checked under the row lock
            // (a concurrent takeover or renewal that committed first wins).
            let taken = tx
                .query_opt(
                    &format!(
                        "WITH old AS (
                             SELECT owner, epoch, expires_at FROM leases
                             WHERE resource = $1 AND row_id = $2
                               AND expires_at <= clock_timestamp()
                             FOR UPDATE)
                         UPDATE leases l SET owner = $3, epoch = nextval('lease_epochs'),
                                claimed_at = clock_timestamp(),
                                expires_at = clock_timestamp() + make_interval(secs => $4)
                         FROM old WHERE l.resource = $1 AND l.row_id = $2
                         RETURNING l.epoch, old.owner, old.epoch, {}",
                        super::text_of("old.expires_at")
                    ),
                    &[&r, &id, &self.id, &secs],
                )
                .await?;
            if let Some(t) = taken {
                out.push(Lease {
                    resource,
                    row_id: id,
                    owner: self.id.clone(),
                    epoch: t.get(0),
                    kind: ClaimKind::NeedsReconciliation {
                        previous_owner: t.get(1),
                        previous_epoch: t.get(2),
                        expired_at: t.get(3),
                    },
                });
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Extends a lease this node holds; `false` when it was taken over (stop working on it).
    pub async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, PgError> {
        let n = self
            .journal
            .client()
            .await?
            .execute(
                "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $5)
                 WHERE resource = $1 AND row_id = $2 AND owner = $3 AND epoch = $4",
                &[
                    &lease.resource.as_str(),
                    &lease.row_id,
                    &lease.owner,
                    &lease.epoch,
                    &ttl.as_secs_f64(),
                ],
            )
            .await?;
        Ok(n == 1)
    }

    /// Ends a lease once its work is committed; `false` when it was no longer held.
    pub async fn release(&self, lease: &Lease) -> Result<bool, PgError> {
        let n = self
            .journal
            .client()
            .await?
            .execute(
                "DELETE FROM leases WHERE resource = $1 AND row_id = $2 AND owner = $3 AND epoch = $4",
                &[
                    &lease.resource.as_str(),
                    &lease.row_id,
                    &lease.owner,
                    &lease.epoch,
                ],
            )
            .await?;
        Ok(n == 1)
    }

    /// Tries to become the leader of `duty`: `None` when another node holds it.
    pub async fn lead(&self, duty: Duty) -> Result<Option<Leadership>, PgError> {
        let session = self.journal.session().await?;
        let got: bool = session
            .query_one("SELECT pg_try_advisory_lock($1)", &[&duty.lock_key()])
            .await?
            .get(0);
        if !got {
            return Ok(None);
        }
        let epoch: i64 = session
            .query_one(
                "INSERT INTO leadership (duty, holder, epoch) VALUES ($1, $2, 1)
                 ON CONFLICT (duty) DO UPDATE SET holder = EXCLUDED.holder,
                        epoch = leadership.epoch + 1, acquired_at = clock_timestamp()
                 RETURNING epoch",
                &[&duty.as_str(), &self.id],
            )
            .await?
            .get(0);
        Ok(Some(Leadership {
            duty,
            epoch,
            session,
        }))
    }
}

/// This node leads `duty` at `epoch` while `session` (holding the advisory lock) lives.
pub struct Leadership {
    pub duty: Duty,
    pub epoch: i64,
    session: tokio_postgres::Client,
}

impl Leadership {
    /// Whether the lock's session is alive and the duty still at this epoch.
    pub async fn still_held(&self) -> bool {
        match self
            .session
            .query_one(
                "SELECT epoch FROM leadership WHERE duty = $1",
                &[&self.duty.as_str()],
            )
            .await
        {
            Ok(r) => r.get::<_, i64>(0) == self.epoch,
            Err(_) => false,
        }
    }

    /// The backend process id of the lock's session (tests cut it to simulate a partition).
    pub async fn session_pid(&self) -> Result<i32, PgError> {
        Ok(self
            .session
            .query_one("SELECT pg_backend_pid()", &[])
            .await?
            .get(0))
    }

    /// Gives the duty up (another node may take it at once).
    pub async fn resign(self) -> Result<(), PgError> {
        self.session
            .execute("SELECT pg_advisory_unlock($1)", &[&self.duty.lock_key()])
            .await?;
        Ok(())
    }
}

/// Fencing for a leader's write, in the write's transaction: refused unless `epoch` is the
/// duty's current one.
pub async fn fenced(tx: &Transaction<'_>, duty: Duty, epoch: i64) -> Result<(), PgError> {
    let current: Option<i64> = tx
        .query_opt(
            "SELECT epoch FROM leadership WHERE duty = $1 FOR SHARE",
            &[&duty.as_str()],
        )
        .await?
        .map(|r| r.get(0));
    match current {
        Some(c) if c == epoch => Ok(()),
        c => Err(PgError::Deposed {
            duty: duty.as_str(),
            mine: epoch,
            current: c.unwrap_or(0),
        }),
    }
}
