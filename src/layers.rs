//! The layers of the house are the folders of `src/`, checked from the source: a module imports
//! only from its own layer or those below it, and no two modules of a layer import each other
//! in a loop. `src/lib.rs` describes the layers; this test keeps that description true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layer folders, bottom to top. A file directly in `src/` (but `lib.rs` and `main.rs`) is
/// in none.
const LAYERS: &[&str] = &["domain", "http", "woocommerce", "accounts", "face", "cmd"];

/// A module as the rules see it: its layer and its name in that layer (`domain::keys`), or the
/// layer itself for its `mod.rs` (`http`).
fn module_of(src: &Path, path: &Path) -> Option<String> {
    let parts: Vec<String> = path
        .strip_prefix(src)
        .unwrap()
        .components()
        .map(|c| {
            c.as_os_str()
                .to_str()
                .unwrap()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    match parts.as_slice() {
        [file] if ["lib", "main", "layers"].contains(&file.as_str()) => None,
        [file] => Some(file.clone()),
        [layer, name, ..] if name != "mod" => Some(format!("{layer}::{name}")),
        [layer, ..] => Some(layer.clone()),
        [] => None,
    }
}

/// The rank of a module's layer, bottom 0; `None` for a module in no layer.
fn rank(module: &str) -> Option<usize> {
    let layer = module.split("::").next().unwrap();
    LAYERS.iter().position(|l| *l == layer)
}

/// Module -> the modules its production code names (`crate::layer::name`, and `super::name` in
/// a file directly in a layer folder).
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
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let Some(module) = module_of(src, &path) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        // Production code only: tests may reach anywhere.
        let production = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut named = named_modules(production);
        let relative = path.strip_prefix(src).unwrap();
        if relative.components().count() == 2 {
            let layer = module.split("::").next().unwrap();
            named.extend(
                named_after(production, "super::")
                    .into_iter()
                    .map(|name| format!("crate::{layer}::{name}")),
            );
        }
        let named = named
            .iter()
            .map(|path| {
                let path = path.trim_start_matches("crate::");
                let mut segments = path.split("::");
                let layer = segments.next().unwrap_or_default();
                match segments.next() {
                    Some(name)
                        if src.join(layer).join(format!("{name}.rs")).exists()
                            || src.join(layer).join(name).is_dir() =>
                    {
                        format!("{layer}::{name}")
                    }
                    _ => layer.to_owned(),
                }
            })
            .filter(|other| *other != module)
            .collect::<BTreeSet<_>>();
        graph.entry(module).or_default().extend(named);
    }
    graph
}

/// Every path named after `prefix` (`super::name`, `crate::a::b`, `use crate::{a::{b, c}, d}`),
/// each cut to its first two segments.
fn named_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices(prefix) {
        // `crate::` inside `$crate::` or a longer word is not a path of this crate.
        if text[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let mut rest = text[at + prefix.len()..].chars().peekable();
        use_tree(&mut rest, Vec::new(), &mut names);
    }
    names
}

/// Reads one use tree (`a::b`, `a::{b, c::d}`) after `before`, adding every path it names.
fn use_tree(
    rest: &mut std::iter::Peekable<std::str::Chars>,
    mut before: Vec<String>,
    names: &mut BTreeSet<String>,
) {
    loop {
        while rest.next_if(|c| c.is_whitespace()).is_some() {}
        if rest.next_if_eq(&'{').is_some() {
            loop {
                use_tree(rest, before.clone(), names);
                while rest.next_if(|c| c.is_whitespace()).is_some() {}
                if rest.next_if_eq(&',').is_none() {
                    rest.next_if_eq(&'}');
                    return;
                }
                while rest.next_if(|c| c.is_whitespace()).is_some() {}
                if rest.next_if_eq(&'}').is_some() {
                    return;
                }
            }
        }
        let mut segment = String::new();
        while let Some(c) = rest.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
            segment.push(c);
        }
        if segment.is_empty() || segment == "self" {
            break;
        }
        before.push(segment);
        if rest.next_if_eq(&':').is_none() || rest.next_if_eq(&':').is_none() {
            break;
        }
    }
    if !before.is_empty() {
        before.truncate(2);
        names.insert(before.join("::"));
    }
}

fn named_modules(text: &str) -> BTreeSet<String> {
    named_after(text, "crate::")
        .into_iter()
        .map(|path| format!("crate::{path}"))
        .collect()
}

#[test]
fn every_module_imports_only_from_its_layer_or_below_and_none_in_a_loop() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = imports(&src);
    let mut problems = Vec::new();
    for (module, named) in &graph {
        let Some(own) = rank(module) else {
            problems.push(format!(
                "src/{module}.rs is in no layer: move it into one of the folders {LAYERS:?}"
            ));
            continue;
        };
        for other in named {
            let other_rank = rank(other);
            if other_rank.is_none_or(|other_rank| other_rank > own) {
                problems.push(format!(
                    "{module} ({}) imports {other} ({}), a layer above it",
                    LAYERS[own],
                    other_rank.map_or("no layer", |r| LAYERS[r])
                ));
            }
        }
    }
    // No loop (depth-first search for a back edge).
    fn visit<'a>(
        module: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
        loops: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|m| *m == module) {
            loops.push(format!("a loop: {} -> {module}", path[at..].join(" -> ")));
            return;
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for next in graph.get(module).into_iter().flatten() {
            visit(next, graph, path, done, loops);
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
        "use crate::{domain::{account::Access, keys}, http};\nlet x = crate::domain::text::visible(y);\nuse crate::face::{self, term::Paint};",
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "crate::domain::account",
            "crate::domain::keys",
            "crate::domain::text",
            "crate::face",
            "crate::face::term",
            "crate::http"
        ]
    );
}

#[test]
fn a_module_importing_from_above_is_named() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert_eq!(
        module_of(&src, &src.join("domain/keys.rs")).as_deref(),
        Some("domain::keys")
    );
    assert_eq!(
        module_of(&src, &src.join("http/mod.rs")).as_deref(),
        Some("http")
    );
    assert_eq!(rank("cmd::error"), rank("cmd::connect"));
    assert!(rank("domain::keys") < rank("http::pace"));
    assert_eq!(rank("stray"), None);
}
