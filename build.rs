//! Generates the NEODeS norm tables (rubric types, lengths, enumerations, block tree) from the
//! open-neodes YAML files committed under `src/neodes/norm/`, so that nobody types the norm by hand.
//!
//! The YAML's `natures:` section is used only for the *parent* of each block (the cardinalities it
//! carries are not reliable); a block that would get two different parents fails the build.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use serde_yaml_ng::Value;

#[derive(Deserialize)]
struct NormFile {
    version: String,
    segments: BTreeMap<String, Segment>,
    #[serde(default)]
    natures: BTreeMap<String, Nature>,
}

#[derive(Deserialize)]
struct Segment {
    name: String,
    #[serde(default)]
    label: Option<String>,
    fields: BTreeMap<String, Field>,
}

#[derive(Deserialize)]
struct Field {
    name: String,
    label: String,
    #[serde(rename = "type")]
    kind: String,
    length: u32,
    #[serde(default)]
    options: Option<serde_yaml_ng::Mapping>,
}

#[derive(Deserialize)]
struct Nature {
    #[serde(default)]
    map: serde_yaml_ng::Mapping,
}

fn packed(id: &str) -> u32 {
    // "S21.G00.30.001" -> 21_00_30_001
    let b = id.as_bytes();
    assert!(b.len() == 14 || b.len() == 10, "bad id {id}");
    let d = |i: usize| -> u32 {
        assert!(b[i].is_ascii_digit(), "bad id {id}");
        u32::from(b[i] - b'0')
    };
    let block = ((d(1) * 10 + d(2)) * 100 + d(5) * 10 + d(6)) * 100 + d(8) * 10 + d(9);
    if b.len() == 14 {
        block * 1000 + d(11) * 100 + d(12) * 10 + d(13)
    } else {
        block
    }
}

/// An option code (≤ 8 ASCII bytes) as a big-endian `u64`, so codes compare as integers.
fn pack_code(s: &str) -> Option<u64> {
    (s.len() <= 8)
        .then(|| s.bytes().fold(0u64, |acc, b| (acc << 8) | u64::from(b)) << (8 * (8 - s.len())))
}

fn walk(map: &serde_yaml_ng::Mapping, parent: &str, out: &mut BTreeMap<String, String>) {
    for (k, v) in map {
        let Value::String(block) = k else { continue };
        if let Some(prev) = out.get(block) {
            assert_eq!(
                prev, parent,
                "block {block} has two parents in the norm YAML"
            );
        }
        out.insert(block.clone(), parent.to_string());
        if let Value::Mapping(m) = v
            && let Some(Value::Mapping(children)) = m.get(Value::String("children".into()))
        {
            walk(children, block, out);
        }
    }
}

fn generate(path: &Path, ident: &str, extra_parents: &[(&str, &str)], out: &mut String) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let norm: NormFile =
        serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut parents = BTreeMap::new();
    for nature in norm.natures.values() {
        walk(&nature.map, "S20.G00.05", &mut parents);
    }
    for (child, parent) in extra_parents {
        parents.insert((*child).to_string(), (*parent).to_string());
    }
    let mut rubrics: Vec<(u32, String)> = Vec::new();
    let mut blocks: Vec<(u32, String)> = Vec::new();
    for (block_id, seg) in &norm.segments {
        let parent = match parents.get(block_id) {
            Some(p) => format!("Some(BlockId::from_packed({}))", packed(p)),
            None => "None".to_string(),
        };
        blocks.push((
            packed(block_id),
            format!(
                "BlockSpec {{ id: BlockId::from_packed({}), name: {:?}, label: {:?}, parent: {parent} }}",
                packed(block_id),
                seg.name,
                seg.label.as_deref().unwrap_or(&seg.name)
            ),
        ));
        for (id, f) in &seg.fields {
            assert!(id.starts_with(block_id.as_str()), "{id} not in {block_id}");
            let kind = match f.kind.as_str() {
                "X" => "ValueKind::Text",
                "N" => "ValueKind::Numeric",
                "D" => "ValueKind::Date",
                other => panic!("{id}: unknown type {other}"),
            };
            let mut options = String::new();
            let mut codes = String::new();
            if let Some(opts) = &f.options {
                // Sorted by code so that the reader can binary-search them.
                let mut opts: Vec<_> = opts.iter().collect();
                opts.sort_by_key(|(k, _)| match k {
                    Value::String(s) => s.clone(),
                    _ => String::new(),
                });
                let mut packed_codes: Vec<u64> = opts
                    .iter()
                    .map(|(k, _)| match k {
                        Value::String(s) => pack_code(s)
                            .unwrap_or_else(|| panic!("{id}: option {s:?} longer than 8 bytes")),
                        _ => 0,
                    })
                    .collect();
                packed_codes.sort_unstable();
                codes = packed_codes.iter().map(|c| format!("{c:#x}, ")).collect();
                for (k, v) in opts {
                    let key = match k {
                        Value::String(s) => s.clone(),
                        other => panic!("{id}: option key {other:?} is not a string"),
                    };
                    let label = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => panic!("{id}: option label {other:?} is not a string"),
                    };
                    let _ = write!(options, "({key:?}, {label:?}), ");
                }
            }
            rubrics.push((
                packed(id),
                format!(
                    "RubricSpec {{ id: RubricId::from_packed({}), kind: {kind}, max_len: {}, name: {:?}, label: {:?}, options: &[{options}], codes: &[{codes}] }}",
                    packed(id),
                    f.length,
                    f.name,
                    f.label
                ),
            ));
        }
    }
    rubrics.sort_by_key(|r| r.0);
    blocks.sort_by_key(|b| b.0);
    let _ = writeln!(
        out,
        "/// Norm {} generated from `{}`.",
        norm.version,
        path.display()
    );
    let _ = writeln!(
        out,
        "pub static {ident}: Norm = Norm {{ version: {:?}, rubrics: &[",
        norm.version
    );
    for (_, r) in &rubrics {
        let _ = writeln!(out, "    {r},");
    }
    let _ = writeln!(out, "], blocks: &[");
    for (_, b) in &blocks {
        let _ = writeln!(out, "    {b},");
    }
    let _ = writeln!(out, "] }};");
}

fn main() {
    let dir = Path::new("src/neodes/norm");
    let p25 = dir.join("open-neodes_norm-P25V01.yaml");
    let p26 = dir.join("open-neodes_norm-P26V01.yaml");
    let lot = dir.join("open-neodes_norm-V01R02-lot-envelope.yaml");
    for p in [&p25, &p26, &lot] {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    let mut out = String::from("// @generated by build.rs from the open-neodes norm YAML files.\n");
    // The envoi-level blocks sit at the YAML's root; the reader needs them attached to the envoi
    // so that several declarations (S20) of one envoi share it.
    let envoi_parents = [
        ("S10.G00.01", "S10.G00.00"),
        ("S10.G00.02", "S10.G00.00"),
        ("S20.G00.05", "S10.G00.00"),
        ("S90.G00.90", "S10.G00.00"),
    ];
    // One table per norm version: during a year's first months insurers receive both.
    generate(&p25, "P25V01", &envoi_parents, &mut out);
    generate(&p26, "P26V01", &envoi_parents, &mut out);
    generate(
        &lot,
        "LOT_V01R02",
        &[
            ("S06.G51.00", "S05.G51.00"),
            ("S96.G51.00", "S06.G51.00"),
            ("S95.G51.00", "S05.G51.00"),
        ],
        &mut out,
    );
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR set by cargo")).join("norm_tables.rs");
    std::fs::write(&dest, out).expect("write norm tables");
}
