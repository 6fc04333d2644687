//! The insurer (`[[insurers]]`) configuration fixtures shared by the integration tests and
//! the unit tests of `src/engine/insurer` (which include this file with `#[path]`): one
//! builder instead of a TOML block copied per test file.

#![allow(dead_code)]

/// One `[[insurers.contracts]]` entry.
pub struct ContractFx<'a> {
    pub reference: &'a str,
    pub sirets: &'a [&'a str],
    pub populations: &'a [&'a str],
    pub franchise_days: u32,
}

/// One `[[insurers]]` entry; `extra` is added as is after `name` (push or outbound settings).
pub struct InsurerFx<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub extra: &'a str,
    pub contracts: &'a [ContractFx<'a>],
}

/// A contract of every population.
pub fn contract<'a>(
    reference: &'a str,
    sirets: &'a [&'a str],
    franchise_days: u32,
) -> ContractFx<'a> {
    ContractFx {
        reference,
        sirets,
        populations: &[],
        franchise_days,
    }
}

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The TOML of `insurers`, as it appears in `ijgate.toml`.
pub fn insurers_toml(insurers: &[InsurerFx<'_>]) -> String {
    let mut out = String::new();
    for i in insurers {
        out.push_str(&format!(
            "[[insurers]]\ncode = {:?}\nname = {:?}\n",
            i.code, i.name
        ));
        if !i.extra.is_empty() {
            out.push_str(i.extra.trim_end());
            out.push('\n');
        }
        for c in i.contracts {
            out.push_str(&format!(
                "[[insurers.contracts]]\nreference = {:?}\nsirets = {}\n",
                c.reference,
                list(c.sirets)
            ));
            if !c.populations.is_empty() {
                out.push_str(&format!("populations = {}\n", list(c.populations)));
            }
            out.push_str(&format!("franchise_days = {}\n", c.franchise_days));
        }
    }
    out
}
