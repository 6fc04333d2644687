//! What goes to CPAM for each event (issue "CPAM exchange", domain.md §3.2):
//!
//! | event | CPAM |
//! |---|---|
//! | arrêt | signalement nature 04 (normale) |
//! | change to an arrêt already deposited | nature 04 "annule et remplace" (S20.G00.05.006 = previous idflux) |
//! | change before the deposit | the queued file is replaced, nothing is sent twice |
//! | annulation | nature 04 "annule" of the deposited arrêt; a queued one is simply withdrawn |
//! | prolongation | nothing (the next monthly DSN carries the new end): recorded |
//! | arrêt whose return is already known | nature 04 carrying S21.G00.60.010/.011 (the norm's early-return rubrics) |
//! | reprise before the expected end | signalement nature 05 (also after a 04 that did not know the return) |
//! | reprise already in the arrêt's 04 | recorded only |
//! | reprise on or after the expected end | recorded only |
//! | motifs 15–18 (temps partiel thérapeutique), 19 (deuil d'enfant) | not covered: "DSIJ fallback" |
//!
//! [`decide`] is pure; [`plan`] applies its decision inside the ingestion transaction, so a
//! declaration and what it must send are committed together.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::formats::signalement::{DeclType, Nature};
use crate::journal::{JournalError, store};
use crate::model::{EventKind, Stoppage};

/// The latest deposit of a declaration, as far as planning needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct DepositFacts {
    pub id: i64,
    pub state: String,
    pub idflux: Option<String>,
}

impl DepositFacts {
    fn in_flight(&self) -> bool {
        matches!(self.state.as_str(), "depositing" | "uncertain")
    }
}

/// What is known when an event arrives.
pub struct Facts<'a> {
    pub stoppage: &'a Stoppage,
    /// The journaled arrêt of the same stoppage (for reprise and annulation).
    pub arret: Option<&'a Stoppage>,
    /// The state of that arrêt declaration.
    pub arret_state: Option<&'a str>,
    /// The latest deposit of this declaration (a change to something already planned).
    pub own_last: Option<&'a DepositFacts>,
    /// The latest deposit of the arrêt (for an annulation).
    pub arret_last: Option<&'a DepositFacts>,
}

/// The decision for one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Queue a signalement; `withdraw` is a queued deposit it supersedes.
    Deposit {
        nature: Nature,
        decl_type: DeclType,
        payload: Box<Stoppage>,
        withdraw: Option<i64>,
    },
    /// Withdraw a queued deposit that was never sent (annulation before the deposit).
    Withdraw { deposit_id: i64 },
    /// Nothing to send: the declaration ends in `state` for `reason`.
    Record { state: &'static str, reason: String },
}

/// Decides what an event sends to CPAM.
pub fn decide(f: &Facts<'_>) -> Decision {
    let s = f.stoppage;
    let redeposit = |nature: Nature, payload: Stoppage| {
        let (decl_type, withdraw) = match f.own_last {
            // Queued but never sent: replace the queued file.
            Some(d) if d.state == "pending" => (DeclType::Normal, Some(d.id)),
            // Sent (or maybe sent): annule et remplace. If it turns out it never reached
            // net-entreprises, the deposit worker falls back to a normal declaration.
            Some(d) if d.idflux.is_some() || d.in_flight() => (DeclType::Replace, None),
            _ => (DeclType::Normal, None),
        };
        Decision::Deposit {
            nature,
            decl_type,
            payload: Box::new(payload),
            withdraw,
        }
    };
    match s.event {
        EventKind::Arret => match s.reason {
            Some(m) if m.needs_dsij() => Decision::Record {
                state: "dsij_fallback",
                reason: format!(
                    "motif {} is not covered by the DSN signalement: salary attestation (DSIJ) to make on net-entreprises",
                    m.dsn_code()
                ),
            },
            _ => redeposit(Nature::Arret, s.clone()),
        },
        EventKind::Prolongation => Decision::Record {
            state: "recorded",
            reason:
                "prolongation: no signalement; the next monthly DSN carries the new expected end"
                    .into(),
        },
        EventKind::Reprise => {
            let Some(arret) = f.arret else {
                return Decision::Record {
                    state: "recorded",
                    reason: "reprise of a stoppage ijgate does not know: nothing to declare".into(),
                };
            };
            if f.arret_state == Some("dsij_fallback") {
                return Decision::Record {
                    state: "dsij_fallback",
                    reason: "the stoppage is handled through the DSIJ: declare the return there"
                        .into(),
                };
            }
            // The arrêt row already knew this return: its 04 carries S21.G00.60.010/.011
            // (early return, signalement.rs); a 05 would declare it twice.
            if s.return_date.is_some() && arret.return_date == s.return_date {
                return Decision::Record {
                    state: "recorded",
                    reason: "the return was declared in the arrêt signalement itself".into(),
                };
            }
            let expected_end = arret.expected_end.or(s.expected_end);
            match (s.return_date, expected_end) {
                // Back on day r: the stoppage ends on r - 1, earlier than expected when r ≤ end.
                (Some(r), Some(end)) if r <= end => {
                    let mut merged = arret.clone();
                    merged.event = EventKind::Reprise;
                    merged.return_date = Some(r);
                    merged.return_reason = s.return_reason;
                    redeposit(Nature::Reprise, merged)
                }
                _ => Decision::Record {
                    state: "recorded",
                    reason: "return on or after the expected end: no signalement needed".into(),
                },
            }
        }
        EventKind::Annulation => match (f.arret, f.arret_last) {
            (None, _) => Decision::Record {
                state: "recorded",
                reason: "annulation of a stoppage ijgate does not know: nothing to cancel".into(),
            },
            (Some(_), Some(d)) if d.state == "pending" => Decision::Withdraw { deposit_id: d.id },
            (Some(arret), Some(d)) if d.idflux.is_some() || d.in_flight() => Decision::Deposit {
                nature: Nature::Arret,
                decl_type: DeclType::Cancel,
                payload: Box::new(arret.clone()),
                withdraw: None,
            },
            (Some(_), _) => Decision::Record {
                state: "cancelled",
                reason: "the stoppage was never registered by net-entreprises: nothing to cancel"
                    .into(),
            },
        },
    }
}

/// The payload and state of the arrêt declaration of a stoppage.
fn arret_of(
    conn: &Connection,
    siret: &str,
    hr_ref: &str,
) -> Result<Option<(i64, Stoppage, String)>, JournalError> {
    let row: Option<(i64, String, String)> = conn
        .prepare_cached("SELECT id, payload, state FROM declarations WHERE siret = ?1 AND hr_ref = ?2 AND event = 'arret'")?
        .query_row(params![siret, hr_ref], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(match row {
        Some((id, payload, state)) => {
            let s: Stoppage =
                serde_json::from_str(&payload).map_err(|e| JournalError::Data(e.to_string()))?;
            Some((id, s, state))
        }
        None => None,
    })
}

/// The latest deposit targeting a declaration.
pub fn last_deposit(conn: &Connection, target: i64) -> Result<Option<DepositFacts>, JournalError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, state, idflux FROM deposits WHERE target_declaration_id = ?1 AND state != 'withdrawn'
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([target], |r| Ok(DepositFacts { id: r.get(0)?, state: r.get(1)?, idflux: r.get(2)? }))
        .optional()?)
}

/// Suffix of the identifiant métier per kind of deposit (it makes ids readable in CPAM tools).
fn ident_suffix(nature: Nature, t: DeclType) -> char {
    match (nature, t) {
        (Nature::Reprise, _) => 'P',
        (_, DeclType::Normal) => 'A',
        (_, DeclType::Replace) => 'R',
        (_, DeclType::Cancel) => 'X',
    }
}

/// The installation id drawn by journal migration 5 (8 hexadecimal digits).
pub fn installation_id(conn: &Connection) -> Result<String, JournalError> {
    Ok(conn
        .prepare_cached("SELECT installation_id FROM installation WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}

/// The identifiant métier (S20.G00.05.009) of deposit `seq`: the installation id (8 hex
/// digits, random, journaled once), the deposit number in base 36 on 6 characters (up to
/// 2 176 782 335 deposits), and a letter for the kind of deposit: 15 characters, the norm's
/// maximum (P26V01 YAML: type X, length 15), digits and capital letters only. Unique per
/// declarant across reinstalls and sites, because each journal draws its own installation id.
/// `None` past the last number (never reused: a wrapped sequence would repeat an identifiant).
pub fn identifiant_metier(
    installation: &str,
    seq: i64,
    nature: Nature,
    t: DeclType,
) -> Option<String> {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = u64::try_from(seq).ok().filter(|n| *n < 36u64.pow(6))?;
    let mut b36 = [b'0'; 6];
    for c in b36.iter_mut().rev() {
        *c = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    Some(format!(
        "{installation}{}{}",
        String::from_utf8_lossy(&b36),
        ident_suffix(nature, t)
    ))
}

/// What planning did, for the notice and the log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Planned {
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposit_id: Option<i64>,
}

/// Decides and records what declaration `id` (just created or modified) sends to CPAM.
pub fn plan(conn: &Connection, id: i64, s: &Stoppage, at: &str) -> Result<Planned, JournalError> {
    let arret = if s.event == EventKind::Arret {
        None
    } else {
        arret_of(conn, s.siret.as_str(), &s.hr_ref)?
    };
    let own_last = last_deposit(conn, id)?;
    let arret_last = match &arret {
        Some((aid, _, _)) if s.event == EventKind::Annulation => last_deposit(conn, *aid)?,
        _ => None,
    };
    let facts = Facts {
        stoppage: s,
        arret: arret.as_ref().map(|(_, a, _)| a),
        arret_state: arret.as_ref().map(|(_, _, st)| st.as_str()),
        own_last: own_last.as_ref(),
        arret_last: arret_last.as_ref(),
    };
    match decide(&facts) {
        Decision::Record { state, reason } => {
            let detail = serde_json::json!({ "reason": reason }).to_string();
            store::transition(conn, id, state, state, Some(&detail), at)?;
            if state == "cancelled"
                && let Some((aid, _, _)) = &arret
            {
                store::transition(conn, *aid, "cancelled", "cancelled", Some(&detail), at)?;
            }
            Ok(Planned {
                state: state.into(),
                deposit_id: None,
            })
        }
        Decision::Withdraw { deposit_id } => {
            withdraw(conn, deposit_id, at)?;
            let detail = serde_json::json!({ "reason": "withdrawn before its deposit", "deposit": deposit_id }).to_string();
            store::transition(conn, id, "cancelled", "cancelled", Some(&detail), at)?;
            if let Some((aid, _, _)) = &arret {
                store::transition(conn, *aid, "cancelled", "cancelled", Some(&detail), at)?;
            }
            Ok(Planned {
                state: "cancelled".into(),
                deposit_id: None,
            })
        }
        Decision::Deposit {
            nature,
            decl_type,
            payload,
            withdraw: old,
        } => {
            if let Some(old) = old {
                withdraw(conn, old, at)?;
            }
            let target = match (decl_type, &arret) {
                (DeclType::Cancel, Some((aid, _, _))) => *aid,
                _ => id,
            };
            let payload =
                serde_json::to_string(&payload).map_err(|e| JournalError::Data(e.to_string()))?;
            conn.prepare_cached(
                "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, state,
                                       next_attempt_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6, ?6)",
            )?
            .execute(params![id, target, nature.code(), decl_type.code(), payload, at])?;
            let dep = conn.last_insert_rowid();
            let ident = identifiant_metier(&installation_id(conn)?, dep, nature, decl_type)
                .ok_or_else(|| {
                    JournalError::Data(format!(
                        "deposit {dep}: the identifiant métier sequence (36^6) is exhausted"
                    ))
                })?;
            conn.prepare_cached("UPDATE deposits SET identifiant_metier = ?2 WHERE id = ?1")?
                .execute(params![dep, ident])?;
            let detail = serde_json::json!({
                "deposit": dep, "nature": nature.code(), "type": decl_type.code(), "identifiant_metier": ident
            })
            .to_string();
            store::transition(conn, id, "queued", "queued", Some(&detail), at)?;
            Ok(Planned {
                state: "queued".into(),
                deposit_id: Some(dep),
            })
        }
    }
}

fn withdraw(conn: &Connection, deposit_id: i64, at: &str) -> Result<(), JournalError> {
    conn.prepare_cached("UPDATE deposits SET state = 'withdrawn', updated_at = ?2 WHERE id = ?1 AND state = 'pending'")?
        .execute(params![deposit_id, at])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::validate::tests::good_arret;
    use crate::model::validate::{Context, Record, validate};
    use std::collections::HashSet;

    fn stop(r: &Record) -> Stoppage {
        let configured: HashSet<String> = [crate::model::validate::tests::SIRET.to_string()]
            .into_iter()
            .collect();
        validate(
            r,
            &Context {
                configured: &configured,
                allowed: None,
            },
        )
        .unwrap()
    }

    fn with(mut r: Record, kv: &[(&str, &str)]) -> Record {
        for (k, v) in kv {
            if v.is_empty() {
                r.fields.remove(*k);
            } else {
                r.fields.insert((*k).into(), (*v).into());
            }
        }
        r
    }

    fn facts<'a>(s: &'a Stoppage) -> Facts<'a> {
        Facts {
            stoppage: s,
            arret: None,
            arret_state: None,
            own_last: None,
            arret_last: None,
        }
    }

    fn dep(state: &str, idflux: Option<&str>) -> DepositFacts {
        DepositFacts {
            id: 7,
            state: state.into(),
            idflux: idflux.map(Into::into),
        }
    }

    #[test]
    fn new_arret_is_a_normal_04() {
        let s = stop(&good_arret());
        assert!(matches!(
            decide(&facts(&s)),
            Decision::Deposit {
                nature: Nature::Arret,
                decl_type: DeclType::Normal,
                withdraw: None,
                ..
            }
        ));
    }

    #[test]
    fn changed_arret_replaces_or_rewrites() {
        let s = stop(&good_arret());
        let deposited = dep("deposited", Some("F1"));
        let f = Facts {
            own_last: Some(&deposited),
            ..facts(&s)
        };
        assert!(matches!(
            decide(&f),
            Decision::Deposit {
                decl_type: DeclType::Replace,
                ..
            }
        ));
        let pending = dep("pending", None);
        let f = Facts {
            own_last: Some(&pending),
            ..facts(&s)
        };
        assert!(matches!(
            decide(&f),
            Decision::Deposit {
                decl_type: DeclType::Normal,
                withdraw: Some(7),
                ..
            }
        ));
        let rejected = dep("rejected", None);
        let f = Facts {
            own_last: Some(&rejected),
            ..facts(&s)
        };
        assert!(matches!(
            decide(&f),
            Decision::Deposit {
                decl_type: DeclType::Normal,
                withdraw: None,
                ..
            }
        ));
    }

    #[test]
    fn tpt_and_bereavement_go_to_dsij() {
        for m in ["15", "16", "17", "18", "19"] {
            let s = stop(&with(
                good_arret(),
                &[("reason", m), ("accident_date", "09/11/2026")],
            ));
            assert!(
                matches!(
                    decide(&facts(&s)),
                    Decision::Record {
                        state: "dsij_fallback",
                        ..
                    }
                ),
                "{m}"
            );
        }
    }

    #[test]
    fn prolongation_is_recorded_only() {
        let s = stop(&with(good_arret(), &[("event", "prolongation")]));
        assert!(matches!(
            decide(&facts(&s)),
            Decision::Record {
                state: "recorded",
                ..
            }
        ));
    }

    #[test]
    fn reprise_early_is_05_late_is_recorded() {
        let arret = stop(&good_arret()); // last day 09/11, expected end 20/11
        let early = stop(&with(
            good_arret(),
            &[("event", "reprise"), ("return_date", "15/11/2026")],
        ));
        let f = Facts {
            arret: Some(&arret),
            ..facts(&early)
        };
        match decide(&f) {
            Decision::Deposit {
                nature: Nature::Reprise,
                payload,
                ..
            } => {
                assert_eq!(
                    payload.return_date,
                    chrono::NaiveDate::from_ymd_opt(2026, 11, 15)
                );
                assert_eq!(payload.expected_end, arret.expected_end);
            }
            d => panic!("{d:?}"),
        }
        // Back the day after the expected end: the stoppage ended as planned.
        let late = stop(&with(
            good_arret(),
            &[("event", "reprise"), ("return_date", "21/11/2026")],
        ));
        let f = Facts {
            arret: Some(&arret),
            ..facts(&late)
        };
        assert!(matches!(
            decide(&f),
            Decision::Record {
                state: "recorded",
                ..
            }
        ));
        // Back on the expected end day itself: still one day early.
        let same = stop(&with(
            good_arret(),
            &[("event", "reprise"), ("return_date", "20/11/2026")],
        ));
        let f = Facts {
            arret: Some(&arret),
            ..facts(&same)
        };
        assert!(matches!(
            decide(&f),
            Decision::Deposit {
                nature: Nature::Reprise,
                ..
            }
        ));
        let f = Facts {
            arret: None,
            ..facts(&early)
        };
        assert!(matches!(
            decide(&f),
            Decision::Record {
                state: "recorded",
                ..
            }
        ));
    }

    /// Issue 10 item 3: an arrêt row that knows the return sends one 04 carrying it; a
    /// later reprise row with the same date sends nothing more; a reprise learnt after the
    /// deposit (the 04 did not carry it) still sends the 05.
    #[test]
    fn early_return_in_the_arret_or_a_05_after_the_deposit() {
        let known = stop(&with(
            good_arret(),
            &[("return_date", "15/11/2026"), ("return_reason", "01")],
        ));
        match decide(&facts(&known)) {
            Decision::Deposit {
                nature: Nature::Arret,
                payload,
                ..
            } => assert_eq!(
                payload.return_date,
                chrono::NaiveDate::from_ymd_opt(2026, 11, 15)
            ),
            d => panic!("{d:?}"),
        }
        let reprise = stop(&with(
            good_arret(),
            &[("event", "reprise"), ("return_date", "15/11/2026")],
        ));
        let f = Facts {
            arret: Some(&known),
            arret_state: Some("accepted"),
            ..facts(&reprise)
        };
        assert!(matches!(
            decide(&f),
            Decision::Record {
                state: "recorded",
                ..
            }
        ));
        let deposited_arret = stop(&good_arret());
        let f = Facts {
            arret: Some(&deposited_arret),
            arret_state: Some("accepted"),
            ..facts(&reprise)
        };
        assert!(matches!(
            decide(&f),
            Decision::Deposit {
                nature: Nature::Reprise,
                decl_type: DeclType::Normal,
                ..
            }
        ));
    }

    /// Two fresh journals (a reinstall, a second site) never produce the same identifiant
    /// métier, and each fits the norm: ≤ 15 characters of digits and capital letters.
    #[test]
    fn two_fresh_journals_never_share_an_identifiant_metier() {
        let mut ids = HashSet::new();
        let mut installs = HashSet::new();
        for _ in 0..2 {
            let mut conn = Connection::open_in_memory().unwrap();
            crate::journal::migrate_for_tests(&mut conn).unwrap();
            let inst = installation_id(&conn).unwrap();
            // Stable within a journal.
            assert_eq!(inst, installation_id(&conn).unwrap());
            assert!(
                installs.insert(inst.clone()),
                "installation id drawn twice: {inst}"
            );
            for seq in 1..=50 {
                let id = identifiant_metier(&inst, seq, Nature::Arret, DeclType::Normal).unwrap();
                assert_eq!(id.len(), 15, "{id}");
                assert!(
                    id.bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
                );
                assert!(ids.insert(id));
            }
        }
        assert_eq!(
            identifiant_metier("0A1B2C3D", 36 * 36 + 35, Nature::Reprise, DeclType::Normal)
                .as_deref(),
            Some("0A1B2C3D00010ZP")
        );
        // Never wrapped: past the last number there is no identifiant.
        let last = 36i64.pow(6) - 1;
        assert_eq!(
            identifiant_metier("0A1B2C3D", last, Nature::Arret, DeclType::Cancel).as_deref(),
            Some("0A1B2C3DZZZZZZX")
        );
        assert_eq!(
            identifiant_metier("0A1B2C3D", last + 1, Nature::Arret, DeclType::Normal),
            None
        );
    }

    #[test]
    fn annulation_cancels_or_withdraws() {
        let arret = stop(&good_arret());
        let ann = stop(&with(good_arret(), &[("event", "annulation")]));
        let deposited = dep("deposited", Some("F1"));
        let f = Facts {
            arret: Some(&arret),
            arret_last: Some(&deposited),
            ..facts(&ann)
        };
        assert!(matches!(
            decide(&f),
            Decision::Deposit {
                decl_type: DeclType::Cancel,
                ..
            }
        ));
        let pending = dep("pending", None);
        let f = Facts {
            arret: Some(&arret),
            arret_last: Some(&pending),
            ..facts(&ann)
        };
        assert_eq!(decide(&f), Decision::Withdraw { deposit_id: 7 });
        let rejected = dep("rejected", None);
        let f = Facts {
            arret: Some(&arret),
            arret_last: Some(&rejected),
            ..facts(&ann)
        };
        assert!(matches!(
            decide(&f),
            Decision::Record {
                state: "cancelled",
                ..
            }
        ));
        assert!(matches!(
            decide(&facts(&ann)),
            Decision::Record {
                state: "recorded",
                ..
            }
        ));
    }
}
