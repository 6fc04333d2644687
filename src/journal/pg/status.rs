//! `ijgate status` on a PostgreSQL journal: declarations by state, and who does what — nodes
//! (alive when their heartbeat is recent), leases (expired ones await reconciliation by the
//! next claimer) and the leader of each singleton duty.

use std::collections::BTreeMap;

use super::{PgError, PgJournal, text_of};

/// A node is presumed dead when its heartbeat is older than this.
pub const NODE_STALE_SECONDS: f64 = 30.0;

#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeRow {
    pub node_id: String,
    pub host: String,
    pub pid: i64,
    pub version: String,
    pub started_at: String,
    pub heartbeat_at: String,
    pub stopped_at: Option<String>,
    pub alive: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LeaseRow {
    pub resource: String,
    pub row_id: i64,
    pub owner: String,
    pub epoch: i64,
    pub expires_at: String,
    /// Expired: the next claimer takes it over and reconciles.
    pub expired: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LeaderRow {
    pub duty: String,
    pub holder: String,
    pub epoch: i64,
    pub acquired_at: String,
    /// Whether the holder's advisory lock is held right now (its session is alive).
    pub held: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub backend: &'static str,
    pub schema_version: i32,
    pub declarations_total: i64,
    pub declarations_by_state: BTreeMap<String, i64>,
    pub deposits_by_state: BTreeMap<String, i64>,
    pub outbox_pending: i64,
    pub nodes: Vec<NodeRow>,
    pub leases: Vec<LeaseRow>,
    pub leaders: Vec<LeaderRow>,
}

/// Reads the status (the schema must exist: run `ijgate journal migrate` or a node first).
pub async fn load(j: &PgJournal) -> Result<Status, PgError> {
    let c = j.client().await?;
    let schema_version = super::schema::current_version(&c).await?;
    if schema_version == 0 {
        return Err(PgError::Config(
            "the PostgreSQL journal has no ijgate schema yet (ijgate journal migrate creates it)"
                .into(),
        ));
    }
    let by_state = |sql: &'static str| {
        let c = &c;
        async move {
            let rows = c.query(sql, &[]).await?;
            Ok::<_, PgError>(
                rows.into_iter()
                    .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
                    .collect::<BTreeMap<_, _>>(),
            )
        }
    };
    let declarations_by_state =
        by_state("SELECT state, count(*) FROM declarations GROUP BY state").await?;
    let deposits_by_state = by_state("SELECT state, count(*) FROM deposits GROUP BY state").await?;
    let outbox_pending: i64 = c
        .query_one(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL",
            &[],
        )
        .await?
        .get(0);
    let nodes = c
        .query(
            &format!(
                "SELECT node_id, host, pid, version, {}, {}, {},
                        stopped_at IS NULL
                          AND heartbeat_at > clock_timestamp() - make_interval(secs => $1)
                 FROM nodes ORDER BY started_at, node_id",
                text_of("started_at"),
                text_of("heartbeat_at"),
                text_of("stopped_at"),
            ),
            &[&NODE_STALE_SECONDS],
        )
        .await?
        .into_iter()
        .map(|r| NodeRow {
            node_id: r.get(0),
            host: r.get(1),
            pid: r.get(2),
            version: r.get(3),
            started_at: r.get(4),
            heartbeat_at: r.get(5),
            stopped_at: r.get(6),
            alive: r.get(7),
        })
        .collect();
    let leases = c
        .query(
            &format!(
                "SELECT resource, row_id, owner, epoch, {}, expires_at <= clock_timestamp()
                 FROM leases ORDER BY resource, row_id",
                text_of("expires_at")
            ),
            &[],
        )
        .await?
        .into_iter()
        .map(|r| LeaseRow {
            resource: r.get(0),
            row_id: r.get(1),
            owner: r.get(2),
            epoch: r.get(3),
            expires_at: r.get(4),
            expired: r.get(5),
        })
        .collect();
    let mut leaders = Vec::new();
    for r in c
        .query(
            &format!(
                "SELECT duty, holder, epoch, {} FROM leadership ORDER BY duty",
                text_of("acquired_at")
            ),
            &[],
        )
        .await?
    {
        let duty: String = r.get(0);
        let key = super::ha::Duty::ALL
            .into_iter()
            .find(|d| d.as_str() == duty)
            .map(|d| d.lock_key());
        // The advisory lock as pg_locks shows it: the 64-bit key split in two 32-bit halves.
        let held = match key {
            Some(k) => c
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                       AND granted AND classid::bigint = ($1::bigint >> 32)
                       AND objid::bigint = ($1::bigint & 4294967295) AND objsubid = 1)",
                    &[&k],
                )
                .await?
                .get(0),
            None => false,
        };
        leaders.push(LeaderRow {
            duty,
            holder: r.get(1),
            epoch: r.get(2),
            acquired_at: r.get(3),
            held,
        });
    }
    Ok(Status {
        backend: "postgres",
        schema_version,
        declarations_total: declarations_by_state.values().sum(),
        declarations_by_state,
        deposits_by_state,
        outbox_pending,
        nodes,
        leases,
        leaders,
    })
}

/// The status as text, for a terminal.
pub fn render(s: &Status) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "journal: PostgreSQL (schema {})\ndeclarations: {}",
        s.schema_version, s.declarations_total
    );
    for (state, n) in &s.declarations_by_state {
        let _ = writeln!(o, "  {state:<24} {n}");
    }
    if !s.deposits_by_state.is_empty() {
        let _ = writeln!(o, "deposits to net-entreprises:");
        for (state, n) in &s.deposits_by_state {
            let _ = writeln!(o, "  {state:<24} {n}");
        }
    }
    let _ = writeln!(o, "notices waiting to be written: {}", s.outbox_pending);
    let _ = writeln!(o, "nodes: {}", s.nodes.len());
    for n in &s.nodes {
        let state = match (&n.stopped_at, n.alive) {
            (Some(at), _) => format!("stopped {at}"),
            (None, true) => "alive".to_string(),
            (None, false) => "presumed dead (no heartbeat)".to_string(),
        };
        let _ = writeln!(
            o,
            "  {}  {}  pid {}  v{}  since {}  heartbeat {}  {state}",
            n.node_id, n.host, n.pid, n.version, n.started_at, n.heartbeat_at
        );
    }
    let _ = writeln!(o, "leases: {}", s.leases.len());
    for l in &s.leases {
        let _ = writeln!(
            o,
            "  {} {}  owner {}  epoch {}  until {}{}",
            l.resource,
            l.row_id,
            l.owner,
            l.epoch,
            l.expires_at,
            if l.expired {
                "  EXPIRED: to reconcile"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(o, "leaders:");
    if s.leaders.is_empty() {
        let _ = writeln!(o, "  (none yet)");
    }
    for l in &s.leaders {
        let _ = writeln!(
            o,
            "  {:<20} {}  epoch {}  since {}{}",
            l.duty,
            l.holder,
            l.epoch,
            l.acquired_at,
            if l.held {
                ""
            } else {
                "  (lock not held: vacant)"
            }
        );
    }
    o
}
