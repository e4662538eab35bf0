//! The layers of the house, checked from the source: every top-level module belongs to one
//! layer, imports only from its own layer or those below it, and no modules import each other
//! in a loop. `src/lib.rs` describes the layers; this test keeps that description true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom to top. A new module must be placed here, in the lowest layer it can live in.
const LAYERS: &[(&str, &[&str])] = &[
    // What woolink's words are about: no I/O.
    (
        "domain",
        &[
            "account",
            "keys",
            "store_url",
            "safe_url",
            "text",
            "relink",
            "variables",
            "bom",
            "crash",
            "exit",
            "redact",
            "same_site",
        ],
    ),
    // Talking to stores, and reading their answers' JSON past what PHP printed before it.
    ("network", &["http", "store_json"]),
    // What WooCommerce's answers mean, and how its API is addressed and signed.
    (
        "woocommerce",
        &["oauth", "probe", "api", "json_check", "jq"],
    ),
    // What is kept: the index, the credential stores, CA copies, config.
    (
        "kept",
        &[
            "config",
            "private_file",
            "index",
            "credstore",
            "ca_copy",
            "vault",
            "linked",
            "session_bus",
        ],
    ),
    // The face: the command line, stdout, the terminal, the browser, signals.
    ("face", &["cli", "output", "term", "browser", "interrupt"]),
    // The commands, what they ask for and take from the environment, and their error type.
    (
        "commands",
        &["input", "env_creds", "env_file", "error", "cmd"],
    ),
];

/// Top-level module -> the top-level modules its production code names as `crate::x`.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![src.to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                files.push(entry.unwrap().path());
            }
            continue;
        }
        let relative = path.strip_prefix(src).unwrap();
        let top = relative.components().next().unwrap().as_os_str();
        let top = top.to_str().unwrap().trim_end_matches(".rs").to_owned();
        if path.extension().is_none_or(|ext| ext != "rs")
            || ["lib", "main", "layers"].contains(&top.as_str())
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Production code only: tests may reach anywhere.
        let production = text.split("#[cfg(test)]").next().unwrap_or_default();
        let named = graph.entry(top.clone()).or_default();
        for name in named_modules(production) {
            if name != top {
                named.insert(name);
            }
        }
    }
    graph
}

/// Every `crate::name` and every name in `use crate::{a, b::c}`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find(';').unwrap_or(group.len())];
            names.extend(group.split(',').map(ident).filter(|n| !n.is_empty()));
        } else {
            names.insert(ident(rest));
        }
    }
    names
}

#[test]
fn every_module_imports_only_from_its_layer_or_below_and_none_in_a_loop() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = imports(&src);
    let layer: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(rank, (_, modules))| modules.iter().map(move |m| (*m, rank)))
        .collect();
    let mut problems = Vec::new();
    for (module, named) in &graph {
        let Some(&rank) = layer.get(module.as_str()) else {
            problems.push(format!(
                "{module} is in no layer: add it to LAYERS in src/layers.rs"
            ));
            continue;
        };
        for other in named.iter().filter(|n| graph.contains_key(*n)) {
            let other_rank = layer.get(other.as_str()).copied().unwrap_or(usize::MAX);
            if other_rank > rank {
                problems.push(format!(
                    "{module} ({}) imports {other} ({}), a layer above it",
                    LAYERS[rank].0,
                    LAYERS.get(other_rank).map_or("no layer", |l| l.0)
                ));
            }
        }
    }
    // Within a layer: no loop (depth-first search for a back edge).
    fn visit<'a>(
        module: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
        loops: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|m| *m == module) {
            loops.push(format!("{} -> {module}", path[at..].join(" -> ")));
            return;
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for next in graph.get(module).into_iter().flatten() {
            if graph.contains_key(next) {
                visit(next, graph, path, done, loops);
            }
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_of_imports_sees_paths_and_groups() {
    let names = named_modules(
        "use crate::{account::Access, keys};\nlet x = crate::text::visible(y);\nuse crate::http;",
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(names, ["account", "http", "keys", "text"]);
}
