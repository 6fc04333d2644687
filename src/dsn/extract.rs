//! Builds [`Declaration`]s from the reader's items, one declaration at a time.
//!
//! Positional rule of the norm: a child block belongs to the last open occurrence of its parent,
//! so each new block is attached to the last record of its parent kind (last establishment, last
//! individual, last contract, last pay, last base). A declaration is handed out as soon as the
//! next one (or the envoi total, or the end of input) begins. In streaming mode
//! ([`Extractor::streaming`]) each individual is handed out too ([`Extractor::take_individual`])
//! as soon as the next individual, establishment or declaration begins, and is not kept: memory
//! holds one individual plus the declaration's establishments, adhesions and payments.
//!
//! Invariant: only rubrics an insurer needs are copied; everything else is skipped without
//! allocation.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::dsn::model::*;
use crate::neodes::norm::parse_date;
use crate::neodes::reader::Item;
use crate::neodes::rubric::{BlockId, bid};

const B_ENVOI: BlockId = bid("S10.G00.00");
const B_EMETTEUR: BlockId = bid("S10.G00.01");
const B_DEPOT: BlockId = bid("S10.G00.95");
const B_DECL: BlockId = bid("S20.G00.05");
const B_COMPANY: BlockId = bid("S21.G00.06");
const B_ETAB: BlockId = bid("S21.G00.11");
const B_ADH: BlockId = bid("S21.G00.15");
const B_PAYMENT: BlockId = bid("S21.G00.20");
const B_INDIV: BlockId = bid("S21.G00.30");
const B_CONTRACT: BlockId = bid("S21.G00.40");
const B_PAY: BlockId = bid("S21.G00.50");
const B_PAYCOMP: BlockId = bid("S21.G00.55");
const B_STOP: BlockId = bid("S21.G00.60");
const B_END: BlockId = bid("S21.G00.62");
const B_AFF: BlockId = bid("S21.G00.70");
const B_BASE: BlockId = bid("S21.G00.78");
const B_COMP: BlockId = bid("S21.G00.79");
const B_CONTRIB: BlockId = bid("S21.G00.81");
const B_ETABCONTRIB: BlockId = bid("S21.G00.82");
const B_SENIORITY: BlockId = bid("S21.G00.86");
const B_TOTAL: BlockId = bid("S90.G00.90");

/// Streaming extractor: feed every item, collect the declarations it hands back.
#[derive(Debug, Default)]
pub struct Extractor {
    envoi: Envoi,
    /// Boxed: `push` returns `Option<Box<Declaration>>` for every line, which must stay small.
    current: Option<Box<Declaration>>,
    /// Inside a base other than 31 (prévoyance): its components and contributions are not kept.
    skipping_base: bool,
    /// Hand individuals out one at a time instead of keeping them in the declaration.
    streaming: bool,
    /// The individual completed by the last `push`, with its establishment's index.
    ready: Option<(usize, Individual)>,
}

fn date(v: &str) -> Option<NaiveDate> {
    parse_date(v.as_bytes())
}

fn dec(v: &str) -> Option<Decimal> {
    v.parse().ok()
}

impl Extractor {
    pub fn new() -> Self {
        Self::default()
    }

    /// An extractor that hands individuals out one at a time (see the module doc).
    pub fn streaming() -> Self {
        Self {
            streaming: true,
            ..Self::default()
        }
    }

    /// The individual completed by the last [`Extractor::push`] (streaming mode), with the index
    /// of its establishment in the declaration it belongs to: the one `push` returned if any,
    /// else [`Extractor::current`].
    pub fn take_individual(&mut self) -> Option<(usize, Individual)> {
        self.ready.take()
    }

    /// The declaration being read (its individuals already handed out in streaming mode).
    pub fn current(&self) -> Option<&Declaration> {
        self.current.as_deref()
    }

    /// Streaming: moves the individual being read out of the declaration.
    fn complete_individual(
        streaming: bool,
        ready: &mut Option<(usize, Individual)>,
        d: &mut Declaration,
    ) {
        if !streaming {
            return;
        }
        let k = d.establishments.len().saturating_sub(1);
        if let Some(e) = d.establishments.last_mut()
            && let Some(i) = e.individuals.pop()
        {
            e.individuals_read += 1;
            *ready = Some((k, i));
        }
    }

    fn close(&mut self) -> Option<Box<Declaration>> {
        let mut d = self.current.take()?;
        Self::complete_individual(self.streaming, &mut self.ready, &mut d);
        Some(d)
    }

    /// Feeds one item; returns a declaration when this item closes it.
    pub fn push(&mut self, item: &Item<'_>) -> Option<Box<Declaration>> {
        let block = item.block();
        let n = item.rubric.number();
        let mut done = None;
        match block {
            B_ENVOI => {
                if item.starts_block {
                    done = self.close();
                    self.envoi = Envoi {
                        line: item.line,
                        ..Envoi::default()
                    };
                }
                let v = item.value().into_owned();
                match n {
                    1 => self.envoi.software = v,
                    5 => self.envoi.test_or_real = v,
                    6 => self.envoi.norm_version = v,
                    _ => {}
                }
                return done;
            }
            B_EMETTEUR => {
                let v = item.value().into_owned();
                match n {
                    1 => self.envoi.emitter_siren = v,
                    2 => self.envoi.emitter_nic = v,
                    3 => self.envoi.emitter_name = v,
                    _ => {}
                }
                return None;
            }
            B_DEPOT => {
                match n {
                    6 => self.envoi.deposit_mode = Some(item.value().into_owned()),
                    8 => self.envoi.deposit_received = Some(item.value().into_owned()),
                    900 => self.envoi.flow_id = Some(item.value().into_owned()),
                    _ => {}
                }
                return None;
            }
            B_DECL if item.starts_block => {
                done = self.close();
                self.current = Some(Box::new(Declaration {
                    line: item.line,
                    envoi: self.envoi.clone(),
                    ..Declaration::default()
                }));
            }
            B_TOTAL => return self.close(),
            _ => {}
        }
        let Some(d) = self.current.as_mut() else {
            return done;
        };
        d.last_line = item.line;
        match block {
            B_BASE if item.starts_block => {
                // Only bases 31 matter to a prévoyance insurer; .001 opens the block.
                self.skipping_base = !(n == 1 && item.raw == b"31");
                if self.skipping_base {
                    return done;
                }
            }
            B_BASE | B_COMP | B_CONTRIB if self.skipping_base => return done,
            B_PAY => self.skipping_base = false,
            _ => {}
        }
        if item.starts_block && matches!(block, B_INDIV | B_ETAB) {
            Self::complete_individual(self.streaming, &mut self.ready, d);
        }
        if item.starts_block || wanted(block, n) {
            fill(d, item, block, n);
        }
        done
    }

    /// Hands out the last declaration at the end of input (and, streaming, its last
    /// individual through [`Extractor::take_individual`]).
    pub fn finish(&mut self) -> Option<Box<Declaration>> {
        self.close()
    }
}

/// The rubrics copied into the model (a line of any other rubric costs no decoding). The first
/// line of a block is always handed to `fill` as well, so that the record exists.
fn wanted(block: BlockId, n: u16) -> bool {
    match block {
        B_DECL => matches!(n, 1..=5 | 7 | 8),
        B_COMPANY => matches!(n, 1 | 2),
        B_ETAB => matches!(n, 1 | 8),
        B_ADH => n <= 5,
        B_PAYMENT => matches!(n, 1 | 5 | 6 | 7 | 10 | 11),
        B_PAYCOMP => n <= 4,
        B_ETABCONTRIB => n <= 5,
        B_INDIV => matches!(n, 1 | 2 | 4 | 19),
        B_CONTRACT => matches!(n, 1 | 3 | 7 | 9 | 10),
        B_STOP => matches!(n, 1..=4 | 10 | 11),
        B_END => n <= 2,
        B_AFF => matches!(n, 4 | 5 | 12..=15),
        B_PAY => n == 1,
        B_BASE => n <= 6,
        B_COMP => matches!(n, 1 | 4),
        B_CONTRIB => matches!(n, 1..=4 | 7),
        B_SENIORITY => matches!(n, 1..=3 | 5),
        _ => false,
    }
}

fn fill(d: &mut Declaration, item: &Item<'_>, block: BlockId, n: u16) {
    let line = item.line;
    let starts = item.starts_block;
    // Most lines of a monthly DSN are pay details nobody here needs: skip them before
    // decoding the value.
    let wanted = matches!(
        block,
        B_DECL
            | B_COMPANY
            | B_ETAB
            | B_ADH
            | B_PAYMENT
            | B_PAYCOMP
            | B_ETABCONTRIB
            | B_INDIV
            | B_CONTRACT
            | B_STOP
            | B_END
            | B_AFF
            | B_PAY
            | B_BASE
            | B_COMP
            | B_CONTRIB
            | B_SENIORITY
    );
    if !wanted {
        return;
    }
    let v = item.value();
    let v = v.as_ref();
    let s = || v.to_string();
    match block {
        B_DECL => match n {
            1 => d.nature = s(),
            2 => d.kind = s(),
            3 => d.fraction = s(),
            4 => d.order = s(),
            5 => d.month = date(v),
            7 => d.constitution = date(v),
            8 => d.champ = s(),
            _ => {}
        },
        B_COMPANY => {
            let c = d.company.get_or_insert_with(|| Company {
                line,
                ..Company::default()
            });
            match n {
                1 => c.siren = s(),
                2 => c.nic_siege = s(),
                _ => {}
            }
        }
        B_ETAB => {
            if starts {
                d.establishments.push(Establishment {
                    line,
                    ..Establishment::default()
                });
            }
            if let Some(e) = d.establishments.last_mut() {
                match n {
                    1 => e.nic = s(),
                    8 => e.headcount = v.parse().ok(),
                    _ => {}
                }
            }
        }
        _ => {
            let Some(e) = d.establishments.last_mut() else {
                return;
            };
            fill_establishment(e, block, n, line, starts, v);
        }
    }
}

fn fill_establishment(
    e: &mut Establishment,
    block: BlockId,
    n: u16,
    line: u64,
    starts: bool,
    v: &str,
) {
    let s = || v.to_string();
    match block {
        B_ADH => {
            if starts {
                e.adhesions.push(Adhesion {
                    line,
                    ..Adhesion::default()
                });
            }
            let Some(a) = e.adhesions.last_mut() else {
                return;
            };
            a.lines.set(a.line, n, line);
            match n {
                1 => a.contract_ref = s(),
                2 => a.organisme = s(),
                3 => a.delegataire = Some(s()),
                4 => a.covered = Some(s()),
                5 => a.id = s(),
                _ => {}
            }
        }
        B_PAYMENT => {
            if starts {
                e.payments.push(Payment {
                    line,
                    ..Payment::default()
                });
            }
            let Some(p) = e.payments.last_mut() else {
                return;
            };
            p.lines.set(p.line, n, line);
            match n {
                1 => p.ops = s(),
                5 => p.amount = dec(v),
                6 => p.period_start = date(v),
                7 => p.period_end = date(v),
                10 => p.mode = Some(s()),
                11 => p.date = date(v),
                _ => {}
            }
        }
        B_PAYCOMP => {
            let Some(p) = e.payments.last_mut() else {
                return;
            };
            if starts {
                p.components.push(PaymentComponent {
                    line,
                    ..PaymentComponent::default()
                });
            }
            let Some(c) = p.components.last_mut() else {
                return;
            };
            c.lines.set(c.line, n, line);
            match n {
                1 => c.amount = dec(v),
                2 => c.population = Some(s()),
                3 => c.assignment = s(),
                4 => c.period = Some(s()),
                _ => {}
            }
        }
        B_ETABCONTRIB => {
            if starts {
                e.contributions.push(EstablishmentContribution {
                    line,
                    ..EstablishmentContribution::default()
                });
            }
            let Some(c) = e.contributions.last_mut() else {
                return;
            };
            match n {
                1 => c.amount = dec(v),
                2 => c.code = s(),
                3 => c.start = date(v),
                4 => c.end = date(v),
                5 => c.contract_ref = Some(s()),
                _ => {}
            }
        }
        B_INDIV => {
            if starts {
                e.individuals.push(Individual {
                    line,
                    ..Individual::default()
                });
            }
            let Some(i) = e.individuals.last_mut() else {
                return;
            };
            i.lines.set(i.line, n, line);
            match n {
                1 => i.nir = RawNir::new(v),
                2 => i.last_name = s(),
                4 => i.first_names = s(),
                19 => i.matricule = Some(s()),
                _ => {}
            }
        }
        _ => {
            let Some(i) = e.individuals.last_mut() else {
                return;
            };
            fill_individual(i, block, n, line, starts, v);
        }
    }
}

fn fill_individual(i: &mut Individual, block: BlockId, n: u16, line: u64, starts: bool, v: &str) {
    let s = || v.to_string();
    match block {
        B_CONTRACT => {
            if starts {
                i.contracts.push(Contract {
                    line,
                    ..Contract::default()
                });
            }
            let Some(c) = i.contracts.last_mut() else {
                return;
            };
            c.lines.set(c.line, n, line);
            match n {
                1 => c.start = date(v),
                3 => c.category = Some(s()),
                7 => c.nature = Some(s()),
                9 => c.number = s(),
                10 => c.planned_end = date(v),
                _ => {}
            }
        }
        B_STOP | B_END | B_AFF => {
            let Some(c) = i.contracts.last_mut() else {
                return;
            };
            match block {
                B_STOP => {
                    if starts {
                        c.stoppages.push(Stoppage {
                            line,
                            ..Stoppage::default()
                        });
                    }
                    let Some(st) = c.stoppages.last_mut() else {
                        return;
                    };
                    match n {
                        1 => st.reason = s(),
                        2 => st.last_day_worked = date(v),
                        3 => st.planned_end = date(v),
                        4 => st.subrogation = Some(s()),
                        10 => st.return_date = date(v),
                        11 => st.return_reason = Some(s()),
                        _ => {}
                    }
                }
                B_END => {
                    let end = c.end.get_or_insert_with(|| ContractEnd {
                        line,
                        ..ContractEnd::default()
                    });
                    match n {
                        1 => end.date = date(v),
                        2 => end.reason = Some(s()),
                        _ => {}
                    }
                }
                _ => {
                    if starts {
                        c.affiliations.push(Affiliation {
                            line,
                            ..Affiliation::default()
                        });
                    }
                    let Some(a) = c.affiliations.last_mut() else {
                        return;
                    };
                    a.lines.set(a.line, n, line);
                    match n {
                        4 => a.option = Some(s()),
                        5 => a.population = Some(s()),
                        12 => a.id = s(),
                        13 => a.adhesion_id = s(),
                        14 => a.start = date(v),
                        15 => a.end = date(v),
                        _ => {}
                    }
                }
            }
        }
        B_PAY => {
            if starts {
                i.pay.push(Pay {
                    line,
                    ..Pay::default()
                });
            }
            if let (Some(p), 1) = (i.pay.last_mut(), n) {
                p.date = date(v);
            }
        }
        B_BASE | B_COMP | B_CONTRIB => {
            let Some(p) = i.pay.last_mut() else { return };
            if block == B_BASE {
                if starts {
                    p.bases.push(Base {
                        line,
                        ..Base::default()
                    });
                }
                let Some(b) = p.bases.last_mut() else { return };
                b.lines.set(b.line, n, line);
                match n {
                    1 => b.code = s(),
                    2 => b.start = date(v),
                    3 => b.end = date(v),
                    4 => b.amount = dec(v),
                    5 => b.affiliation_id = Some(s()),
                    6 => b.contract_number = Some(s()),
                    _ => {}
                }
                return;
            }
            let Some(b) = p.bases.last_mut() else { return };
            if block == B_COMP {
                if starts {
                    b.components.push(Component {
                        line,
                        ..Component::default()
                    });
                }
                let Some(c) = b.components.last_mut() else {
                    return;
                };
                match n {
                    1 => c.kind = s(),
                    4 => c.amount = dec(v),
                    _ => {}
                }
            } else {
                if starts {
                    b.contributions.push(IndividualContribution {
                        line,
                        ..IndividualContribution::default()
                    });
                }
                let Some(c) = b.contributions.last_mut() else {
                    return;
                };
                c.lines.set(c.line, n, line);
                match n {
                    1 => c.code = s(),
                    2 => c.ops = Some(s()),
                    3 => c.base_amount = dec(v),
                    4 => c.amount = dec(v),
                    7 => c.rate = dec(v),
                    _ => {}
                }
            }
        }
        B_SENIORITY => {
            if starts {
                i.seniority.push(Seniority {
                    line,
                    ..Seniority::default()
                });
            }
            let Some(a) = i.seniority.last_mut() else {
                return;
            };
            match n {
                1 => a.kind = s(),
                2 => a.unit = s(),
                3 => a.value = s(),
                5 => a.contract_number = Some(s()),
                _ => {}
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neodes::reader::{Event, Reader};

    #[test]
    fn keeps_only_prevoyance_bases() {
        let file = b"S10.G00.00.001,'A'\nS20.G00.05.001,'01'\nS21.G00.06.001,'487654321'\nS21.G00.11.001,'00018'\n\
S21.G00.30.001,'1850575123456'\nS21.G00.40.009,'C1'\nS21.G00.50.001,'31032026'\n\
S21.G00.78.001,'03'\nS21.G00.78.004,'100.00'\nS21.G00.81.001,'075'\nS21.G00.81.004,'7.00'\n\
S21.G00.78.001,'31'\nS21.G00.78.004,'100.00'\nS21.G00.78.005,'1'\nS21.G00.79.001,'11'\nS21.G00.79.004,'100.00'\n\
S21.G00.81.001,'059'\nS21.G00.81.004,'0.80'\nS90.G00.90.001,'20'\nS90.G00.90.002,'1'\n";
        let mut r = Reader::new(&file[..]);
        let mut x = Extractor::new();
        let mut decls = Vec::new();
        while let Some(ev) = r.next_event() {
            if let Event::Item(i) = ev {
                decls.extend(x.push(&i));
            }
        }
        assert_eq!(decls.len(), 1);
        let bases = &decls[0].establishments[0].individuals[0].pay[0].bases;
        assert_eq!(bases.len(), 1, "base 03 skipped");
        assert_eq!(bases[0].code, "31");
        assert_eq!(bases[0].line, 12);
        assert_eq!(bases[0].components[0].amount, Some(Decimal::new(10000, 2)));
        assert_eq!(bases[0].contributions[0].code, "059");
        assert_eq!(
            decls[0].siret(&decls[0].establishments[0]),
            "48765432100018"
        );
    }

    /// Streaming: whatever the declaration's size, one individual at a time is held.
    #[test]
    fn streaming_holds_one_individual() {
        let mut buf = Vec::new();
        crate::dsn::generate::generate(
            &mut buf,
            crate::dsn::generate::GenSpec {
                declarations: 1,
                employees_per_declaration: 300,
                stoppage_every: 10,
            },
        )
        .unwrap();
        let mut r = Reader::new(&buf[..]);
        let mut x = Extractor::streaming();
        let (mut handed, mut decls, mut max_held) = (0, Vec::new(), 0);
        while let Some(ev) = r.next_event() {
            if let Event::Item(i) = ev {
                decls.extend(x.push(&i));
                handed += usize::from(x.take_individual().is_some());
                let held = x.current().map_or(0, |d| {
                    d.establishments.iter().map(|e| e.individuals.len()).sum()
                });
                max_held = max_held.max(held);
            }
        }
        decls.extend(x.finish());
        handed += usize::from(x.take_individual().is_some());
        assert_eq!((handed, max_held), (300, 1));
        assert_eq!(decls.len(), 1);
        assert_eq!(decls[0].employee_count(), 300);
    }

    #[test]
    fn extracts_the_open_neodes_sample() {
        let bytes = include_bytes!("../../tests/fixtures/neodes/open-neodes_sample_dsn_P25V01.dsn");
        let mut r = Reader::new(&bytes[..]);
        let mut x = Extractor::new();
        let mut decls = Vec::new();
        while let Some(ev) = r.next_event() {
            if let Event::Item(i) = ev {
                decls.extend(x.push(&i));
            }
        }
        decls.extend(x.finish());
        assert_eq!(decls.len(), 3);
        let d = &decls[0];
        assert_eq!(d.nature, "07");
        assert_eq!(d.envoi.norm_version, "P25V01");
        assert_eq!(d.envoi.deposit_mode.as_deref(), Some("MtoM"));
        assert_eq!(d.establishments.len(), 1);
        let stops: usize = decls.iter().map(|d| d.stoppages().len()).sum();
        assert!(stops >= 2, "{stops}");
        assert!(decls.iter().all(|d| d.employee_count() >= 1));
        let aff: usize = decls
            .iter()
            .flat_map(|d| &d.establishments)
            .flat_map(|e| &e.individuals)
            .flat_map(|i| &i.contracts)
            .map(|c| c.affiliations.len())
            .sum();
        assert!(aff >= 1);
    }
}
