//! The layer map of docs/ARCHITECTURE.md, checked: every `crate::…` path in `src/` is an edge
//! from the file's layer to the target's layer, and an edge may only point to the same layer
//! or a lower one. A plain text scan (comment lines skipped) is enough: a path the compiler
//! accepts names the module it depends on, whether in a `use` or inline. `super::sibling`
//! paths are followed too when they name a sibling module file (a file-level layer can differ
//! from its sibling's, e.g. `alerts/config.rs` and `alerts/store.rs`).
//!
//! The map is by file path, most specific prefix first. Adding a module means adding it here;
//! an unmapped file fails the test, so the map cannot silently go stale.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Layers, lowest first. A file may import its own layer and the layers below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// Pure: no I/O, no config types.
    Domain,
    /// Leaf helpers anyone above domain may use: durable file writes, counters, health.
    Support,
    /// Plain settings types with their validation.
    Config,
    /// I/O behind small types: the journal store, netent client, mailer, outbound writer, TLS.
    Ports,
    /// Decisions: ingest, exchange, insurer, alerts, tasks, documents, reports.
    Workflow,
    /// Turn outside input into commands: spool door and its router, mTLS API, admin.
    Doors,
    /// Builds everything from config, owns the tasks, reload, shutdown.
    Daemon,
    /// Parses arguments, prints, exits.
    Bin,
}

use Layer::*;

/// (module path prefix, layer); the longest matching prefix wins.
const MAP: &[(&str, Layer)] = &[
    ("model", Domain),
    ("neodes", Domain),
    ("formats", Domain),
    ("dsn", Domain),
    ("dsn/cli", Bin),
    ("dsn/files", Ports),
    ("prevoyance", Domain),
    ("prevoyance/cli", Bin),
    ("fsio", Support),
    ("channels/fsio", Support),
    ("metrics", Support),
    ("internal_events", Support),
    ("health", Support),
    ("logging", Support),
    ("config", Config),
    ("alerts/config", Config),
    ("alerts/workdays", Domain),
    ("journal", Ports),
    ("journal/pg/cli", Bin),
    ("channels", Ports),
    ("channels/netent", Ports),
    ("channels/mtls_client", Ports),
    ("channels/mailer", Ports),
    ("channels/outbound", Ports),
    ("channels/tls", Ports),
    ("channels/sftp", Ports),
    ("engine/prestij/config", Config),
    ("engine", Workflow),
    ("alerts", Workflow),
    ("alerts/cli", Bin),
    ("tasks", Workflow),
    ("tasks/cli", Bin),
    ("documents", Workflow),
    ("channels/spool", Doors),
    ("channels/router", Doors),
    ("channels/api", Doors),
    ("channels/api_list", Doors),
    ("channels/admin", Doors),
    ("console", Doors),
    ("channels/accept", Doors),
    ("channels/dsn_spool", Doors),
    ("documents/spool_door", Doors),
    ("engine/insurer/spool_bpij", Doors),
    ("engine/daemon", Daemon),
    ("engine/reload", Daemon),
    ("engine/service", Daemon),
    ("engine/purge", Daemon),
    ("cli", Bin),
    ("main", Bin),
    ("lib", Bin),
];

/// Edges the map forbids but the code still has, each with its reason. Keep this short.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "journal/schema",
        "engine/exchange/decide",
        "test code only: migrated rows must parse as the exchange's state enums",
    ),
    (
        "formats/rapport",
        "engine/exchange/outcome",
        "test code only: parsed returns are checked against the engine's outcome mapping",
    ),
];

fn layer_of(module: &str) -> Option<Layer> {
    MAP.iter()
        .filter(|(p, _)| module == *p || module.starts_with(&format!("{p}/")))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, l)| *l)
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/engine/exchange/mod.rs` → `engine/exchange`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_suffix("/mod").unwrap_or(&s).to_string()
}

/// The longest prefix of `crate::a::b::c` that is a module file or folder under src/.
fn resolve(src: &Path, segs: &[&str]) -> String {
    let mut best = segs[0].to_string();
    for n in 1..=segs.len() {
        let p = segs[..n].join("/");
        if src.join(format!("{p}.rs")).is_file() || src.join(&p).is_dir() {
            best = p;
        } else {
            break;
        }
    }
    best
}

/// Every `crate::x::y` path in the code of one file (comment lines skipped).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    paths_after(text, "crate::")
}

/// Every path after `prefix` (`crate::` or `super::`) in the code of one file.
fn paths_after(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue; // e.g. `$crate::` or `other_crate::`
            }
            let mut segs = Vec::new();
            let mut s = rest;
            loop {
                let n = s
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(s.len());
                if n == 0 {
                    break;
                }
                segs.push(s[..n].to_string());
                if s[n..].starts_with("::") {
                    s = &s[n + 2..];
                } else {
                    break;
                }
            }
            if !segs.is_empty() {
                out.push(segs);
            }
        }
    }
    out
}

#[test]
fn imports_follow_the_layer_map() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    let mut unmapped = BTreeSet::new();
    let mut bad = BTreeSet::new();
    let mut used_exceptions = BTreeSet::new();
    for f in &files {
        let from = module_of(&src, f);
        if from.starts_with("bin/") {
            continue; // the sandbox binary uses only the library's public API
        }
        let Some(from_layer) = layer_of(&from) else {
            unmapped.insert(from.clone());
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        // `super::sibling` from a file names a sibling module file: resolve it under the
        // parent. `super::item` (an item of the parent, or of the file itself from a nested
        // `mod tests`) names no file and is left out.
        let parent = from.rsplit_once('/').map_or("", |(p, _)| p);
        let siblings = paths_after(&text, "super::")
            .into_iter()
            .filter(|segs| segs[0] != "super" && !parent.is_empty())
            .map(|segs| {
                let mut full: Vec<String> = parent.split('/').map(String::from).collect();
                full.extend(segs);
                full
            })
            .filter(|full| {
                let first = full[..parent.split('/').count() + 1].join("/");
                src.join(format!("{first}.rs")).is_file() || src.join(&first).is_dir()
            });
        for segs in crate_paths(&text).into_iter().chain(siblings) {
            let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
            let to = resolve(&src, &segs);
            let Some(to_layer) = layer_of(&to) else {
                unmapped.insert(to.clone());
                continue;
            };
            if to_layer <= from_layer {
                continue;
            }
            let top = to.split('/').next().unwrap();
            if let Some(e) = EXCEPTIONS
                .iter()
                .find(|(a, b, _)| *a == from && (*b == to || *b == top))
            {
                used_exceptions.insert((e.0, e.1));
                continue;
            }
            bad.insert(format!("{from} ({from_layer:?}) -> {to} ({to_layer:?})"));
        }
    }
    assert!(
        unmapped.is_empty(),
        "modules missing from the layer map: {unmapped:?}"
    );
    assert!(
        bad.is_empty(),
        "{} edges point up the layer map (docs/ARCHITECTURE.md):\n{}",
        bad.len(),
        bad.iter().cloned().collect::<Vec<_>>().join("\n")
    );
    let stale: Vec<_> = EXCEPTIONS
        .iter()
        .filter(|e| !used_exceptions.contains(&(e.0, e.1)))
        .map(|e| (e.0, e.1))
        .collect();
    assert!(stale.is_empty(), "exceptions no longer needed: {stale:?}");
}

#[test]
fn the_scanner_sees_inline_and_grouped_paths() {
    let p = crate_paths(
        "use crate::journal::{Journal, now};\n// crate::x::y\nlet a = crate::engine::ingest::Handle::new(); $crate::no",
    );
    assert_eq!(
        p,
        vec![
            vec!["journal".to_string()],
            vec![
                "engine".into(),
                "ingest".into(),
                "Handle".into(),
                "new".into()
            ],
        ]
    );
    assert_eq!(layer_of("engine/insurer/spool_bpij"), Some(Doors));
    assert_eq!(layer_of("engine/insurer/mod"), Some(Workflow));
    assert_eq!(layer_of("channels/netent/dsn"), Some(Ports));
}
