//! The checked-in files build.rs generates from tables are fresh: the C
//! setters and the option docs of the hand-written ones (from the option
//! table `src/config/table.rs`), the C API's vectors (from
//! `build_support/vectors.rs`) and README.md's option table. build.rs writes what
//! each file must contain under `$OUT_DIR/checked-in/` and lists the files
//! in `manifest.txt`; it also lists what it could not generate (an option
//! without a C setter, a marker naming no option) in `problems.txt`.
//!
//! The headers made from these sources are checked by `tests/headers.rs`.

use std::path::{Path, PathBuf};
use wasm_runtime::config::{CodeShaping, Status};

fn expected_dir() -> PathBuf {
    Path::new(env!("OUT_DIR")).join("checked-in")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

const REFRESH: &str =
    "These files are generated from src/config/table.rs and build_support/vectors.rs. \
                       Refresh and commit them with:\n  \
                       WASM_RUNTIME_UPDATE_HEADERS=1 cargo build --release";

#[test]
fn checked_in_generated_files_are_fresh() {
    let manifest = read(&expected_dir().join("manifest.txt"));
    let files: Vec<&str> = manifest.lines().filter(|l| !l.is_empty()).collect();
    // The option table drives the README and the setters; the vector table
    // drives its file. A manifest without them means build.rs lost track.
    for required in [
        "README.md",
        "src/capi/ext/config/setters.rs",
        "src/capi/vec/generated.rs",
    ] {
        assert!(
            files.contains(&required),
            "build.rs no longer generates {required}"
        );
    }
    let mut stale = Vec::new();
    for file in files {
        let fresh = read(&expected_dir().join(file));
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old == fresh {
            continue;
        }
        let line = old.lines().zip(fresh.lines()).position(|(a, b)| a != b);
        let line = line.unwrap_or_else(|| old.lines().count().min(fresh.lines().count()));
        stale.push(format!(
            "{file} differs from what build.rs generates from line {}:\n  \
             checked in: {:?}\n  generated:  {:?}",
            line + 1,
            old.lines().nth(line).unwrap_or("<end of file>"),
            fresh.lines().nth(line).unwrap_or("<end of file>"),
        ));
    }
    assert!(stale.is_empty(), "{}\n\n{REFRESH}", stale.join("\n"));
}

#[test]
fn every_table_row_was_generated() {
    let problems = read(&expected_dir().join("problems.txt"));
    assert!(
        problems.trim().is_empty(),
        "build.rs could not generate everything the tables ask for:\n{problems}"
    );
}

/// The README's table has one row per option, in the table's order, with
/// the status the core reports.
#[test]
fn readme_table_lists_every_option_with_its_status() {
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("<!-- begin options-table"))
        .take_while(|l| !l.starts_with("<!-- end options-table"))
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
        .collect();
    let options = wasm_runtime::config::OPTIONS;
    assert_eq!(rows.len(), options.len());
    for (i, (row, option)) in rows.iter().zip(options).enumerate() {
        let cells: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cells[0], format!("| {}", i + 1));
        assert_eq!(cells[1], format!("`{}`", option.name));
        assert_eq!(cells[2], format!("`{}`", option.c_setter));
        let status = match option.status {
            Status::Works => "works",
            Status::ValidatedOnly => "validated only",
            Status::OffOnly => "off only",
        };
        assert_eq!(cells[4], status, "{row}");
        let shapes = match option.code {
            CodeShaping::No => "|",
            CodeShaping::Value => "yes",
            CodeShaping::Isa => "yes, via the ISA",
        };
        assert!(cells[5].starts_with(shapes), "{row}");
    }
}

/// Every option of the table has its C setter in the extension header,
/// under the name the table gives.
#[test]
fn every_option_has_its_c_setter_in_the_header() {
    let header = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("include/wasm-runtime.h"));
    for option in wasm_runtime::config::OPTIONS {
        let declaration = format!("{}(", option.c_setter);
        let declared = header.match_indices(&declaration).any(|(at, _)| {
            let before = header[..at].chars().next_back();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        assert!(
            declared,
            "include/wasm-runtime.h does not declare {}",
            option.c_setter
        );
    }
}
