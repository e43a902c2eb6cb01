//! The module graph holds to the layers `docs/architecture.md` states: no module imports one of a
//! higher layer, no two top-level modules import each other in a circle, and inside every
//! folder no sibling modules do either (a folder's `mod.rs` and its children may use each
//! other: the folder is one room). Imports are read from the source as text: `use` trees,
//! and `crate::`/`super::` paths written inline. Unit tests are left out: a test may use
//! whatever builds what it checks.
//!
//! `AUDIENCE_DESK_LAYERS_SRC=DIR` checks another tree (with its `docs/architecture.md` one
//! folder up), to see the test fail on a tree that breaks the rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

/// Every module of the tree under `src`, by path (`["store", "journal"]`), with its source.
fn modules(src: &Path) -> BTreeMap<ModPath, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: ModPath = relative
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                parts.clear();
            }
            if parts.last().is_some_and(|p| p == "tests") {
                continue;
            }
            let mut source = std::fs::read_to_string(&path).unwrap();
            if let Some(at) = source.find("\n#[cfg(test)]\nmod tests") {
                source.truncate(at);
            }
            found.insert(parts, source);
        }
    }
    found
}

/// The paths a source names: each `use` tree expanded, and each inline `crate::`/`super::`
/// path.
fn named_paths(source: &str) -> Vec<Vec<String>> {
    let code: String = source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = find_use(rest) {
        let tail = &rest[at..];
        let end = tail.find(';').unwrap_or(tail.len());
        expand(&tail[4..end], &mut Vec::new(), &mut paths);
        rest = &tail[end..];
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    for (at, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let end = code[at..]
            .find(|c: char| !word(c))
            .map_or(code.len(), |e| at + e);
        paths.push(split(&code[at..end]));
    }
    paths
}

fn find_use(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find("use ") {
        let at = from + at;
        let before = text[..at].trim_end_matches([' ', '\t']);
        let starts_item = before.is_empty()
            || before.ends_with('\n')
            || before.ends_with("pub")
            || before.ends_with(')')
            || before.ends_with('{')
            || before.ends_with(';');
        if starts_item {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

fn split(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Expands a `use` tree (`crate::a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => {
            let head = tree.split(" as ").next().unwrap_or(tree);
            let mut path = prefix.clone();
            path.extend(split(head));
            out.push(path);
        }
        Some(open) => {
            let close = tree.rfind('}').unwrap_or(tree.len());
            let base = split(&tree[..open]);
            let depth = base.len();
            prefix.extend(base);
            let mut level = 0;
            let mut start = open + 1;
            let inner = &tree[..close];
            for (i, c) in inner.char_indices().skip(open + 1) {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        expand(&inner[start..i], prefix, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if start < inner.len() && !inner[start..].trim().is_empty() {
                expand(&inner[start..], prefix, out);
            }
            prefix.truncate(prefix.len() - depth);
        }
    }
}

/// The module a named path lands in: resolved from `from`, cut at the longest known module.
fn resolve(from: &ModPath, named: &[String], known: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut base: ModPath = match named.first()?.as_str() {
        "crate" => Vec::new(),
        "super" | "self" => from.clone(),
        _ => return None,
    };
    let mut rest = named.iter().skip(1).peekable();
    if named[0] == "super" {
        base.pop();
        while rest.peek().is_some_and(|p| *p == "super") {
            rest.next();
            base.pop();
        }
    }
    let mut best = base.clone();
    for part in rest {
        base.push(part.clone());
        if known.contains(&base) {
            best = base.clone();
        }
    }
    Some(best)
}

/// Edges between siblings: for `from` using `to`, the two children of their deepest common
/// folder that lead to each (none when one contains the other).
fn sibling_edges(src: &Path) -> BTreeMap<ModPath, BTreeSet<(String, String)>> {
    let modules = modules(src);
    let known: BTreeSet<ModPath> = modules.keys().cloned().collect();
    let mut edges: BTreeMap<ModPath, BTreeSet<(String, String)>> = BTreeMap::new();
    for (from, source) in &modules {
        for named in named_paths(source) {
            let Some(to) = resolve(from, &named, &known) else {
                continue;
            };
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common >= from.len() || common >= to.len() {
                continue;
            }
            edges
                .entry(from[..common].to_vec())
                .or_default()
                .insert((from[common].clone(), to[common].clone()));
        }
    }
    edges
}

/// A cycle among `edges`, as its modules in order, if there is one.
fn cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut found: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
            found.push(node.to_owned());
            return Some(found);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for n in next.get(node).into_iter().flatten() {
            if let Some(found) = visit(n, next, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    let nodes: Vec<&str> = next.keys().copied().collect();
    nodes
        .into_iter()
        .find_map(|n| visit(n, &next, &mut Vec::new(), &mut done))
}

/// The layers the architecture notes state, lowest first: each line of its numbered list under
/// "## Layers" names the top-level modules of one layer in backticks.
fn layers(readme: &str) -> BTreeMap<String, usize> {
    let section = readme
        .split("## Layers")
        .nth(1)
        .expect("docs/architecture.md has a ## Layers section");
    let mut layers = BTreeMap::new();
    for line in section.lines().skip(1) {
        let line = line.trim();
        if line.starts_with('#') {
            break;
        }
        let Some((number, rest)) = line.split_once(". ") else {
            continue;
        };
        let Ok(number) = number.parse::<usize>() else {
            continue;
        };
        let names = rest.split(':').next().unwrap_or(rest);
        for name in names.split('`').skip(1).step_by(2) {
            layers.insert(name.to_owned(), number);
        }
    }
    layers
}

/// What breaks the rules in the tree under `src`, as sentences.
fn problems(src: &Path, readme: &str) -> Vec<String> {
    let layers = layers(readme);
    let mut problems = Vec::new();
    for (folder, edges) in sibling_edges(src) {
        let room = match folder.is_empty() {
            true => "the crate".to_owned(),
            false => format!("src/{}", folder.join("/")),
        };
        if let Some(cycle) = cycle(&edges) {
            problems.push(format!("a cycle in {room}: {}", cycle.join(" -> ")));
        }
        if !folder.is_empty() {
            continue;
        }
        for (from, to) in &edges {
            match (layers.get(from), layers.get(to)) {
                (Some(a), Some(b)) if b > a => problems.push(format!(
                    "{from} (layer {a}) imports {to}, of the higher layer {b}"
                )),
                (None, _) => {
                    problems.push(format!("{from} is in no layer of docs/architecture.md"))
                }
                (_, None) => problems.push(format!("{to} is in no layer of docs/architecture.md")),
                _ => {}
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

#[test]
fn the_modules_keep_to_the_layers_the_architecture_states() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = std::env::var_os("AUDIENCE_DESK_LAYERS_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("src"));
    let readme = std::fs::read_to_string(src.join("../docs/architecture.md")).unwrap();
    let problems = problems(&src, &readme);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_cycle_in_a_folder_and_an_upward_import_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("store")).unwrap();
    let write = |path: &str, text: &str| std::fs::write(src.join(path), text).unwrap();
    write("lib.rs", "pub mod store;\npub mod gui;\n");
    write("gui.rs", "pub fn x() {}\n");
    write("store/mod.rs", "mod jobs;\nmod lease;\npub struct Store;\n");
    write(
        "store/jobs.rs",
        "use super::lease::Lease;\npub struct Job;\n",
    );
    write(
        "store/lease.rs",
        "use super::{Store, jobs::Job};\npub struct Lease;\nfn f() { crate::gui::x(); }\n",
    );
    let readme = "## Layers\n1. `store`: the database.\n2. `gui`: the window.\n";
    let found = problems(&src, readme);
    assert!(
        found.iter().any(|p| p.contains("a cycle in src/store")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("store (layer 1) imports gui")),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
}
