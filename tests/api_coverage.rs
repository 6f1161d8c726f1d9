//! Every function the standard `wasm.h` declares is exported by the shared
//! library and exercised by at least one test.
//!
//! The list of functions comes from `include/wasm.h` itself: its
//! `WASM_API_EXTERN` declarations (the standard's functions; the macros
//! and `static inline` helpers the header also carries are not library
//! symbols and are not counted). "Exported" means a defined dynamic symbol
//! of the cdylib this test run built; "exercised" means a call of the name
//! (`name(`, outside comments) in a test source: `tests/**/*.rs`,
//! `tests/c/*.c`, or an example in `examples-c/` (which tests/examples.rs
//! runs). The test prints the counts and every function that falls short.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names of the functions `header` declares with `WASM_API_EXTERN`, in
/// header order. A declaration may span lines: the name is the last
/// identifier before the parameter list.
fn declared_functions(header: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut pending: Option<String> = None;
    for line in header.lines() {
        let text = match pending.take() {
            Some(mut head) => {
                head.push(' ');
                head.push_str(line);
                head
            }
            // Preprocessor lines mention WASM_API_EXTERN without declaring.
            None if line.starts_with("WASM_API_EXTERN") => line.to_string(),
            None => continue,
        };
        match text.split_once('(') {
            Some((head, _)) => {
                let name = head
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .find(|s| !s.is_empty())
                    .unwrap_or_default();
                assert!(
                    name.starts_with("wasm_"),
                    "cannot read the declaration {text:?} in include/wasm.h"
                );
                names.push(name.to_string());
            }
            None => pending = Some(text),
        }
    }
    names
}

/// Removes `/* */` and `//` comments (enough for C and Rust sources whose
/// strings do not contain comment markers next to API names).
fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while !rest.is_empty() {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                rest = rest[b + 2..]
                    .split_once("*/")
                    .map_or("", |(_, after)| after);
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            _ => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

/// Every identifier immediately followed by `(` (after optional
/// whitespace), with the files it is called in.
fn called_names(files: &[PathBuf]) -> BTreeMap<String, BTreeSet<String>> {
    let root = source_dir();
    let mut calls: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let source = std::fs::read_to_string(file).unwrap();
        let code = strip_comments(&source);
        let bytes = code.as_bytes();
        let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut i = 0;
        while i < bytes.len() {
            if !is_ident(bytes[i]) || (i > 0 && is_ident(bytes[i - 1])) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if bytes.get(j) == Some(&b'(') {
                let shown = file.strip_prefix(&root).unwrap_or(file);
                calls
                    .entry(code[start..i].to_string())
                    .or_default()
                    .insert(shown.display().to_string());
            }
        }
    }
    calls
}

/// Files under `dir` (recursively) whose names end with one of `suffixes`.
fn files_under(dir: &Path, suffixes: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, suffixes, out);
        } else if suffixes
            .iter()
            .any(|s| path.to_str().is_some_and(|p| p.ends_with(s)))
        {
            out.push(path);
        }
    }
}

/// The dynamic symbols the cdylib of this test run defines.
fn exported_symbols() -> BTreeSet<String> {
    let exe = std::env::current_exe().expect("test binary path");
    let lib = exe
        .parent()
        .expect("<target>/<profile>/deps")
        .join("libwasm_runtime.so");
    assert!(lib.is_file(), "{} is missing", lib.display());
    let output = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("`nm` is required (Debian/Ubuntu: apt-get install -y binutils; .ci/run does this)");
    assert!(output.status.success(), "nm -D {} failed", lib.display());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace().rev();
            let name = fields.next()?;
            let kind = fields.next()?;
            matches!(kind, "T" | "W").then(|| name.to_string())
        })
        .collect()
}

#[test]
fn header_parsing_reads_every_declaration_shape() {
    let header = "#ifndef WASM_API_EXTERN\n#define WASM_API_EXTERN\n#endif\n\
                  WASM_API_EXTERN void wasm_a(int x);\n\
                  WASM_API_EXTERN\nstruct wasm_b_t *wasm_b(const struct wasm_c_t *c,\n int d);\n\
                  static inline void wasm_inline(void) {}\n\
                  #define wasm_macro(x) wasm_a(x)\n";
    assert_eq!(declared_functions(header), ["wasm_a", "wasm_b"]);
    assert_eq!(
        strip_comments("a(); /* b() */ c(); // d()\ne();"),
        "a();  c(); \ne();"
    );
}

#[test]
fn every_standard_function_is_exported_and_exercised() {
    let root = source_dir();
    let header = std::fs::read_to_string(root.join("include/wasm.h")).unwrap();
    let declared = declared_functions(&header);
    let unique: BTreeSet<&String> = declared.iter().collect();
    assert_eq!(
        unique.len(),
        declared.len(),
        "include/wasm.h declares a function twice"
    );
    // The standard header declares 200+ functions; a parse that finds few
    // means the header's layout changed, not that coverage is complete.
    assert!(
        declared.len() > 250,
        "only {} declarations found in include/wasm.h",
        declared.len()
    );

    let exported = exported_symbols();
    let mut sources = Vec::new();
    files_under(&root.join("tests"), &[".rs", ".c", ".cc"], &mut sources);
    files_under(&root.join("examples-c"), &[".c", ".cc"], &mut sources);
    // This file names no API functions; leave it out all the same so that
    // nothing here can count as a use.
    sources.retain(|p| !p.ends_with("tests/api_coverage.rs"));
    let calls = called_names(&sources);

    let not_exported: Vec<&String> = declared.iter().filter(|n| !exported.contains(*n)).collect();
    let not_exercised: Vec<&String> = declared
        .iter()
        .filter(|n| !calls.contains_key(*n))
        .collect();
    println!(
        "include/wasm.h declares {} functions: {} exported, {} exercised by tests \
         ({} test sources searched)",
        declared.len(),
        declared.len() - not_exported.len(),
        declared.len() - not_exercised.len(),
        sources.len()
    );
    for name in &declared {
        let callers = calls.get(name).map_or(0, BTreeSet::len);
        println!("  {name}: called in {callers} file(s)");
    }
    let list = |names: &[&String]| {
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    assert!(
        not_exported.is_empty() && not_exercised.is_empty(),
        "declared in include/wasm.h but not exported by the library ({}):\n  {}\n\
         declared in include/wasm.h but called by no test ({}):\n  {}",
        not_exported.len(),
        list(&not_exported),
        not_exercised.len(),
        list(&not_exercised)
    );
}
