//! Build script: everything generated from a table or from Rust sources,
//! and the shared library's SONAME.
//!
//! - `build_support/table.rs` reads the option table,
//!   `src/config/table.rs`, from which come `Config`'s code
//!   (`build_support/config_code.rs`, into `OUT_DIR`), the C setters and
//!   their docs (`build_support/c_setters.rs`) and README.md's option table
//!   (`build_support/readme.rs`). (Not `build/`: that is where the README's
//!   CMake command builds, and it is ignored by git.)
//! - `build_support/vectors.rs` writes the C API's vector types and functions.
//! - `build_support/headers.rs` generates `include/wasm.h`,
//!   `include/wasm-runtime.h` and `include/wasi.h` with cbindgen from
//!   `src/capi/`.
//!
//! What is checked in (`build_support/checked_in.rs`: the generated C
//! sources, the generated regions of hand-written files, the headers) is
//! regenerated into `OUT_DIR` on every build that touches the inputs; with
//! `WASM_RUNTIME_UPDATE_HEADERS=1` it is also written into the tree (C
//! sources first, so the headers are made from the fresh ones), and
//! `tests/generated.rs` and `tests/headers.rs` fail while a checked-in copy
//! is stale.
//!
//! A failure to generate a header never fails the build (the crate itself
//! may still be fine while someone's work is in progress): the header in
//! `OUT_DIR` then holds an `#error` with the reason, which the header tests
//! report.

#[path = "build_support/c_setters.rs"]
mod c_setters;
#[path = "build_support/checked_in.rs"]
mod checked_in;
#[path = "build_support/config_code.rs"]
mod config_code;
#[path = "build_support/docs.rs"]
mod docs;
#[path = "build_support/headers.rs"]
mod headers;
#[path = "build_support/readme.rs"]
mod readme;
#[path = "build_support/table.rs"]
mod table;
#[path = "build_support/vectors.rs"]
mod vectors;

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// `SONAME` of the shared library: `libwasm-runtime.so.<major>`. Cargo names
/// the file `libwasm_runtime.so`; the CMake package installs it under its
/// versioned name with the usual symlinks.
const SONAME: &str = "libwasm-runtime.so.0";

/// Set to `1` to refresh every checked-in generated file.
const UPDATE_VAR: &str = "WASM_RUNTIME_UPDATE_HEADERS";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));

    for input in [
        "build.rs",
        "build_support",
        "cbindgen.toml",
        "cbindgen",
        "src/capi",
        "src/config/table.rs",
        "README.md",
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    println!("cargo:rerun-if-env-changed={UPDATE_VAR}");

    set_soname(&out_dir);

    let update_checked_in = env::var(UPDATE_VAR).is_ok_and(|v| v == "1");
    let mut checked_in =
        checked_in::CheckedIn::new(manifest_dir.clone(), out_dir.clone(), update_checked_in);
    let rows = table::options();
    for problem in table::check(&rows) {
        checked_in.problem(problem);
    }
    let fixed = table::fixed_proposals();
    write_if_changed(
        &out_dir.join("config_table.rs"),
        &config_code::generate(&rows, &fixed),
    );
    write_if_changed(
        &out_dir.join("proposals_table.rs"),
        &config_code::generate_proposals(&rows, &fixed),
    );
    c_setters::generate(&manifest_dir, &rows, &mut checked_in);
    readme::generate(&rows, &mut checked_in);
    vectors::generate(&mut checked_in);
    checked_in.finish();

    for spec in headers::header_specs(&manifest_dir) {
        match headers::generate_header(&manifest_dir, &spec) {
            Ok(text) => {
                write_if_changed(&out_dir.join(spec.file_name), &text);
                if update_checked_in {
                    write_if_changed(&manifest_dir.join("include").join(spec.file_name), &text);
                }
            }
            Err(reason) => {
                println!(
                    "cargo:warning=generating {} failed: {reason}",
                    spec.file_name
                );
                let text = format!(
                    "#error \"{} could not be generated: {}\"\n",
                    spec.file_name,
                    reason.replace(['"', '\\', '\n'], " ")
                );
                write_if_changed(&out_dir.join(spec.file_name), &text);
            }
        }
    }
}

/// Gives the cdylib its SONAME on ELF targets, and puts a
/// `libwasm-runtime.so.0` symlink next to cargo's `libwasm_runtime.so` so a
/// program linked straight against the cargo output finds the library by
/// its SONAME at run time (with that directory on `LD_LIBRARY_PATH`).
fn set_soname(out_dir: &Path) {
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    );
    if !elf {
        return;
    }
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{SONAME}");

    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out; the
    // artifacts land in <target>/<profile>. Best effort: the link is a
    // convenience for direct users of the cargo output, not needed by the
    // CMake package, so failing to make it is not an error.
    if let Some(profile_dir) = out_dir.ancestors().nth(3) {
        let link = profile_dir.join(SONAME);
        if fs::symlink_metadata(&link).is_err() {
            #[cfg(unix)]
            let _ = std::os::unix::fs::symlink("libwasm_runtime.so", &link);
        }
    }
}

/// Writes only on change, so unchanged headers keep their timestamps and
/// CMake does not rebuild what includes them.
pub fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    if let Err(e) = fs::write(path, text) {
        println!("cargo:warning=writing {}: {e}", path.display());
    }
}
