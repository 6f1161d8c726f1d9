//! Generated files that are checked in: the C setters and vectors (cbindgen
//! reads real source, not macro output or `OUT_DIR`), and generated regions
//! of hand-written files (the option docs of hand-written C setters, the
//! README's option table).
//!
//! Every expected file is written to `$OUT_DIR/checked-in/<path>` and listed
//! in `$OUT_DIR/checked-in/manifest.txt`; `tests/generated.rs` compares them
//! with the checked-in copies, and reports what `problems.txt` lists (a row
//! without a C setter, a marker naming no option, ...). With
//! `WASM_RUNTIME_UPDATE_HEADERS=1` the checked-in copies are refreshed too.

use crate::write_if_changed;
use std::fs;
use std::path::PathBuf;

pub struct CheckedIn {
    root: PathBuf,
    out: PathBuf,
    update: bool,
    files: Vec<String>,
    problems: Vec<String>,
}

/// How generated regions are marked in one kind of file. A region is the
/// lines between a begin line (`{open}{name}` followed by one of `:`, ` `
/// or `>`) and the matching end line, both kept.
pub struct Markers {
    pub open: &'static str,
    pub end: fn(&str) -> String,
}

impl CheckedIn {
    pub fn new(root: PathBuf, out_dir: PathBuf, update: bool) -> CheckedIn {
        CheckedIn {
            root,
            out: out_dir.join("checked-in"),
            update,
            files: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// `rel` (a path from the crate root) must contain exactly `expected`.
    pub fn file(&mut self, rel: &str, expected: &str) {
        write_if_changed(&self.out.join(rel), expected);
        if self.update {
            write_if_changed(&self.root.join(rel), expected);
        }
        self.files.push(rel.to_string());
    }

    /// Regenerates the marked regions of the checked-in file `rel`:
    /// `content(name)` gives a region's lines (without the markers and
    /// without indentation), `None` for a name it does not know. Returns
    /// the names found, in file order.
    pub fn regions(
        &mut self,
        rel: &str,
        markers: &Markers,
        content: &dyn Fn(&str) -> Option<Vec<String>>,
    ) -> Vec<String> {
        let text = match fs::read_to_string(self.root.join(rel)) {
            Ok(text) => text,
            Err(e) => {
                self.problem(format!("cannot read {rel}: {e}"));
                return Vec::new();
            }
        };
        match replace_regions(&text, markers, content) {
            Ok((expected, names)) => {
                self.file(rel, &expected);
                names
            }
            Err(e) => {
                self.problem(format!("{rel}: {e}"));
                Vec::new()
            }
        }
    }

    pub fn problem(&mut self, text: String) {
        println!("cargo:warning={text}");
        self.problems.push(text);
    }

    pub fn finish(self) {
        let mut manifest = self.files.join("\n");
        manifest.push('\n');
        write_if_changed(&self.out.join("manifest.txt"), &manifest);
        let mut problems = self.problems.join("\n");
        if !problems.is_empty() {
            problems.push('\n');
        }
        write_if_changed(&self.out.join("problems.txt"), &problems);
    }
}

/// `text` with every marked region replaced; the region names in order.
fn replace_regions(
    text: &str,
    markers: &Markers,
    content: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::new();
    let mut names = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix(markers.open) else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| !matches!(c, ':' | ' ' | '>'))
            .collect();
        let indent = &line[..line.len() - trimmed.len()];
        let end = (markers.end)(&name);
        let Some(end_line) = lines.by_ref().find(|(_, l)| l.trim() == end) else {
            return Err(format!("region `{name}` has no end line `{end}`"));
        };
        let Some(body) = content(&name) else {
            return Err(format!("region `{name}` names nothing the table knows"));
        };
        for body_line in body {
            if !body_line.is_empty() {
                out.push_str(indent);
            }
            out.push_str(&body_line);
            out.push('\n');
        }
        out.push_str(end_line.1);
        out.push('\n');
        names.push(name);
    }
    Ok((out, names))
}
