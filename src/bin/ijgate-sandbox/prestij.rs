//! The sandbox Prest'IJ peer (the CNAM or a concentrator, folder mode): reads the GESTIP
//! ijgate writes to `<dir>/out/`, answers an ARL GESTIP and a CR GESTIP in `<dir>/in/`, and
//! publishes in `<dir>/in/` a BPIJ for every enrolled employee whose stoppage the CNAM has
//! paid (a signalement whose CNAM report 31 is published OK), subrogated or not.
//!
//! Behaviour modelled on the public descriptions of Prest'IJ (domain.md §4; sintia.fr,
//! in2consulting.fr): ARL then CR per flow; BPIJ for enrolled employees whose paid period
//! overlaps the cover. The GESTIP format is ijgate's model (src/formats/gestip).
//!
//! - A NIR is *unknown to the referential* when its birth month is not 01–12 (20, 30–42 and
//!   50–99 are the ranges INSEE gives when the month is unknown or the number provisional:
//!   domain.md §1.4, src/model/nir.rs): its line is rejected `NIR_INCONNU`. A sandbox rule,
//!   deterministic so that a test can choose an accepted or a rejected employee.
//! - The peer's memory is its folder: a consumed GESTIP is moved to `<dir>/peer/`, so a
//!   restarted peer knows what was enrolled; a flow id already there is a duplicate and is
//!   ignored (what the receiver does when a sender replays a flow after a crash).
//! - A subrogated stoppage's BPIJ is the very slip the API DSN lists (same bytes: the gateway
//!   must take it once); a non-subrogated one gets a slip built the same way with `IJSub`
//!   false and a deterministic identification, so a replay writes the same bytes.
//! - Every file appears by rename of a dot-prefixed temporary (never a partial file).

use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ijgate::channels::fsio::{self, Perms};
use ijgate::formats::gestip::{self, Arl, Cr, CrLine, Operation};

use super::{Sandbox, ijss};

const TICK: Duration = Duration::from_millis(300);

/// Runs the peer on `dir` until the process ends.
pub async fn run(sb: Sandbox, dir: PathBuf) {
    let mut peer = Peer::default();
    loop {
        if let Err(e) = peer.tick(&sb, &dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "sandbox prestij: tick failed");
        }
        tokio::time::sleep(TICK).await;
    }
}

#[derive(Default)]
struct Peer {
    /// NIR (13) → (SIRET, cover start), accepted enrolments.
    enrolled: HashMap<String, Vec<(String, NaiveDate)>>,
    loaded: bool,
}

fn io(what: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", what.display())
}

/// Whether the referential knows this NIR (see the module comment).
pub fn known_nir(nir: &str) -> bool {
    nir.get(3..5)
        .and_then(|m| m.parse::<u32>().ok())
        .is_some_and(|m| (1..=12).contains(&m))
}

impl Peer {
    fn tick(&mut self, sb: &Sandbox, dir: &Path) -> Result<(), String> {
        let (out, inbound, mine) = (dir.join("out"), dir.join("in"), dir.join("peer"));
        for d in [&out, &inbound, &mine] {
            fsio::ensure_dir(d, Perms::PRIVATE).map_err(io(d))?;
        }
        if !self.loaded {
            // A restarted peer: what it accepted before is in its own folder.
            for name in xml_files(&mine)? {
                if let Ok(g) =
                    gestip::read_gestip(&std::fs::read(mine.join(&name)).map_err(io(&mine))?)
                {
                    self.remember(&g);
                }
            }
            self.loaded = true;
        }
        for name in xml_files(&out)? {
            let path = out.join(&name);
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let g = match gestip::read_gestip(&bytes) {
                Ok(g) => g,
                Err(e) => {
                    tracing::warn!(file = %name, error = %e, "sandbox prestij: unreadable GESTIP");
                    let arl = Arl {
                        flow_id: name.trim_end_matches(".xml").to_string(),
                        accepted: false,
                        reason: Some(format!("flux illisible : {e}")),
                        received: now(),
                    };
                    fsio::write_atomic(
                        &inbound.join(format!("ARL_{name}")),
                        gestip::write_arl(&arl).as_bytes(),
                        Perms::PRIVATE,
                    )
                    .map_err(io(&inbound))?;
                    fsio::move_durable(&path, &mine.join(format!("{name}.bad")))
                        .map_err(io(&path))?;
                    continue;
                }
            };
            let kept = mine.join(format!("{}.xml", g.flow_id));
            if kept.exists() {
                // The same flow again: a replay after a crash. Answered already.
                std::fs::remove_file(&path).map_err(io(&path))?;
                continue;
            }
            let arl = Arl {
                flow_id: g.flow_id.clone(),
                accepted: true,
                reason: None,
                received: now(),
            };
            let lines: Vec<CrLine> = g
                .companies
                .iter()
                .flat_map(|c| c.lines.iter())
                .map(|l| {
                    let ok = known_nir(l.nir.expose());
                    CrLine {
                        reference: l.reference.clone(),
                        nir: l.nir.clone(),
                        accepted: ok,
                        code: (!ok).then(|| "NIR_INCONNU".to_string()),
                        reason: (!ok).then(|| {
                            "NIR inconnu du référentiel de l'Assurance Maladie".to_string()
                        }),
                    }
                })
                .collect();
            let cr = Cr {
                flow_id: g.flow_id.clone(),
                processed: now(),
                lines,
            };
            // Answers first, then the flow is kept: a crash in between answers it again
            // (the gateway ignores an answer it has applied), never not at all.
            fsio::write_atomic(
                &inbound.join(format!("ARL_{}.xml", g.flow_id)),
                gestip::write_arl(&arl).as_bytes(),
                Perms::PRIVATE,
            )
            .map_err(io(&inbound))?;
            fsio::write_atomic(
                &inbound.join(format!("CR_{}.xml", g.flow_id)),
                gestip::write_cr(&cr).as_bytes(),
                Perms::PRIVATE,
            )
            .map_err(io(&inbound))?;
            fsio::move_durable(&path, &kept).map_err(io(&path))?;
            tracing::info!(flow = %g.flow_id, "sandbox prestij: GESTIP answered");
            self.remember(&g);
        }
        self.publish(sb, &inbound, &mine)
    }

    fn remember(&mut self, g: &gestip::Gestip) {
        for c in &g.companies {
            for l in &c.lines {
                if l.operation == Operation::Enrol && known_nir(l.nir.expose()) {
                    let e = self
                        .enrolled
                        .entry(l.nir.without_key().to_string())
                        .or_default();
                    if !e.contains(&(c.siret.clone(), l.cover_from)) {
                        e.push((c.siret.clone(), l.cover_from));
                    }
                }
            }
        }
    }

    /// BPIJ for the enrolled employees of paid stoppages, once each (a marker in `peer/`).
    fn publish(&self, sb: &Sandbox, inbound: &Path, mine: &Path) -> Result<(), String> {
        if self.enrolled.is_empty() {
            return Ok(());
        }
        let now = (sb.clock)();
        let Ok(state) = sb.state.lock() else {
            return Ok(());
        };
        let mut done: HashSet<String> = HashSet::new();
        for dep in &state.deposits {
            let paid = state.returns.iter().any(|r| {
                r.idflux == dep.idflux
                    && r.nature == "31"
                    && r.statut != "KO"
                    && r.publication <= now
            });
            if !paid {
                continue;
            }
            for d in dep.facts.declarations.iter().filter(|d| d.nature == "04") {
                let siret = format!("{}{}", d.siren, d.nic);
                for stop in &d.stoppages {
                    let nir13 = stop.nir.get(..13).unwrap_or(&stop.nir).to_string();
                    let Some(first) = stop.last_day_worked.and_then(|l| l.succ_opt()) else {
                        continue;
                    };
                    let covered = self
                        .enrolled
                        .get(&nir13)
                        .is_some_and(|v| v.iter().any(|(s, from)| *s == siret && *from <= first));
                    if !covered {
                        continue;
                    }
                    let key = format!("{}-{}-{first}", dep.idflux, nir13);
                    let marker = mine.join(format!(".bpij-{key}.sent"));
                    if !done.insert(key.clone()) || marker.exists() {
                        continue;
                    }
                    let body = if stop.subrogation {
                        // The slip the employer's API listing carries, byte for byte.
                        state
                            .bpijs
                            .iter()
                            .filter(|b| b.declare_siret == siret && b.publication <= now)
                            .find(|b| String::from_utf8_lossy(&b.body).contains(&nir13))
                            .map(|b| b.body.clone())
                    } else {
                        let issue = ijss::BpijIssue {
                            identification: format!("PIJ{}", &hex_digest(&key)[..12]),
                            declarant_siret: &dep.declarant_siret,
                            declare_siret: siret.clone(),
                            code_cpam: &state.scenario.bpij.code_cpam,
                            libelle_cpam: &state.scenario.bpij.libelle_cpam,
                            paid_on: dep.received_at.date(),
                            default_monthly_gross: state.scenario.default_monthly_gross,
                        };
                        ijss::bpij_for(stop, &issue).map(|mut slip| {
                            for dc in &mut slip.declares {
                                for c in &mut dc.caisses {
                                    for a in &mut c.assures {
                                        for s in &mut a.assurances {
                                            for p in &mut s.prestations {
                                                p.ij_sub = Some(false);
                                            }
                                        }
                                    }
                                }
                            }
                            slip.to_xml()
                        })
                    };
                    let Some(body) = body else { continue };
                    fsio::write_atomic(
                        &inbound.join(format!("BPIJ_{key}.xml")),
                        &body,
                        Perms::PRIVATE,
                    )
                    .map_err(io(inbound))?;
                    fsio::write_atomic(&marker, b"", Perms::PRIVATE).map_err(io(mine))?;
                    tracing::info!(key = %key, "sandbox prestij: BPIJ published");
                }
            }
        }
        Ok(())
    }
}

fn hex_digest(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc().with_nanosecond_zero()
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl NoNanos for chrono::NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
    }
}

/// `.xml` files of a folder (temporaries and hidden files excluded), sorted.
fn xml_files(dir: &Path) -> Result<Vec<String>, String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n.ends_with(".xml"))
        .collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_nirs_are_the_provisional_ones() {
        assert!(known_nir("1850578006084"));
        assert!(known_nir("2851278006048"));
        assert!(!known_nir("1855078006084"));
        assert!(!known_nir("1852078006084"));
        assert!(!known_nir("1"));
    }
}
