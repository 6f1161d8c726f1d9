//! The generated C headers: the checked-in copies are fresh, they compile
//! warning-free in every language mode we promise, and wasm.h declares the
//! whole standard API.
//!
//! Compilers: gcc and g++ are required (a missing one fails the test with
//! the command that installs it); clang and clang++ are used when present
//! and their absence is reported on stderr.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const HEADERS: &[&str] = &["wasm.h", "wasm-runtime.h", "wasi.h"];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn checked_in(name: &str) -> String {
    let path = manifest_dir().join("include").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn generated(name: &str) -> String {
    let path = Path::new(env!("OUT_DIR")).join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("build.rs did not generate {}: {e}", path.display()))
}

#[test]
fn checked_in_headers_are_fresh() {
    let mut stale = Vec::new();
    for name in HEADERS {
        let fresh = generated(name);
        assert!(
            !fresh.starts_with("#error"),
            "build.rs could not generate {name}: {}",
            fresh.trim()
        );
        let old =
            std::fs::read_to_string(manifest_dir().join("include").join(name)).unwrap_or_default();
        if old == fresh {
            continue;
        }
        // Running this test with the variable set refreshes the copies.
        if std::env::var("WASM_RUNTIME_UPDATE_HEADERS").is_ok_and(|v| v == "1") {
            std::fs::write(manifest_dir().join("include").join(name), &fresh).unwrap();
            continue;
        }
        let line = old.lines().zip(fresh.lines()).position(|(a, b)| a != b);
        let line = line.unwrap_or_else(|| old.lines().count().min(fresh.lines().count()));
        stale.push(format!(
            "include/{name} differs from the generated header from line {}:\n  \
             checked in: {:?}\n  generated:  {:?}",
            line + 1,
            old.lines().nth(line).unwrap_or("<end of file>"),
            fresh.lines().nth(line).unwrap_or("<end of file>"),
        ));
    }
    assert!(
        stale.is_empty(),
        "{}\n\nThe C headers are generated from src/capi and cbindgen/. Refresh and commit \
         them with:\n  WASM_RUNTIME_UPDATE_HEADERS=1 cargo build && git add include/",
        stale.join("\n")
    );
}

/// A compiler invocation: program, language flag and standard.
struct Mode {
    compiler: &'static str,
    language: &'static str,
    std: &'static str,
}

/// Every language mode both headers must compile in, for each compiler
/// found. gcc/g++ are required; clang/clang++ are optional but announced.
fn modes() -> Vec<Mode> {
    let mut modes = Vec::new();
    for (c, cxx, required) in [("gcc", "g++", true), ("clang", "clang++", false)] {
        for compiler in [c, cxx] {
            if !available(compiler) {
                assert!(
                    !required,
                    "`{compiler}` is required by the header tests but was not found; install \
                     it (Debian/Ubuntu: apt-get install -y gcc g++)"
                );
                eprintln!("note: `{compiler}` not found; header checks with it are not run");
            }
        }
        if available(c) {
            for std in ["c99", "c11"] {
                modes.push(Mode {
                    compiler: c,
                    language: "c",
                    std,
                });
            }
        }
        if available(cxx) {
            for std in ["c++11", "c++17"] {
                modes.push(Mode {
                    compiler: cxx,
                    language: "c++",
                    std,
                });
            }
        }
    }
    modes
}

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Compiles `source` (which includes the headers) to an object file in
/// every mode and returns the failures, each with the compiler's output.
fn compile_everywhere(source: &Path) -> Vec<String> {
    let out_dir = tempdir("compile");
    let mut failures = Vec::new();
    for mode in modes() {
        let object = out_dir.join(format!("{}-{}.o", mode.compiler, mode.std));
        let output = Command::new(mode.compiler)
            .args(["-x", mode.language])
            .arg(format!("-std={}", mode.std))
            .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
            .arg("-I")
            .arg(manifest_dir().join("include"))
            .arg(source)
            .arg("-o")
            .arg(&object)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", mode.compiler));
        if !output.status.success() {
            failures.push(format!(
                "{} -x {} -std={} -Wall -Wextra -Werror -pedantic:\n{}",
                mode.compiler,
                mode.language,
                mode.std,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&out_dir);
    failures
}

fn tempdir(purpose: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wasm-runtime-headers-{purpose}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn headers_compile_strictly_in_c_and_cxx() {
    let dir = tempdir("include");
    let mut failures = Vec::new();
    // Each header on its own, then both in the other order.
    for (file, includes) in [
        ("wasm_only.c", &["wasm.h"][..]),
        ("runtime_only.c", &["wasm-runtime.h"][..]),
        ("both.c", &["wasm-runtime.h", "wasm.h"][..]),
        ("wasi_only.c", &["wasi.h"][..]),
        ("all.c", &["wasi.h", "wasm.h", "wasm-runtime.h"][..]),
    ] {
        let mut text: String = includes
            .iter()
            .map(|h| format!("#include \"{h}\"\n"))
            .collect();
        text.push_str("int wasm_header_check(void);\nint wasm_header_check(void) { return 0; }\n");
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        failures.extend(compile_everywhere(&path));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "headers do not compile cleanly:\n\n{}",
        failures.join("\n")
    );
}

#[test]
fn standard_helpers_compile_strictly_in_c_and_cxx() {
    let header = checked_in("wasm.h");
    let omitted: Vec<&str> = header
        .lines()
        .filter(|l| l.contains("helpers omitted until"))
        .collect();
    assert!(
        omitted.is_empty(),
        "include/wasm.h lacks standard helpers because functions they call are not \
         declared yet:\n{}",
        omitted.join("\n")
    );
    let failures = compile_everywhere(&manifest_dir().join("tests/consumers/header_use.c"));
    assert!(
        failures.is_empty(),
        "the standard macros and inline helpers do not compile cleanly:\n\n{}",
        failures.join("\n")
    );
}

/// The names the standard wasm.h declares, with its declaration macros
/// expanded the way the standard header expands them.
fn standard_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut add = |n: &str| {
        names.insert(n.to_string());
    };
    let own = |add: &mut dyn FnMut(&str), name: &str| {
        add(&format!("wasm_{name}_t"));
        add(&format!("wasm_{name}_delete"));
    };
    let vec = |add: &mut dyn FnMut(&str), name: &str| {
        add(&format!("wasm_{name}_vec_t"));
        for f in ["new_empty", "new_uninitialized", "new", "copy", "delete"] {
            add(&format!("wasm_{name}_vec_{f}"));
        }
    };
    let ty = |add: &mut dyn FnMut(&str), name: &str| {
        own(add, name);
        vec(add, name);
        add(&format!("wasm_{name}_copy"));
    };
    let ref_base = |add: &mut dyn FnMut(&str), name: &str| {
        own(add, name);
        for f in [
            "copy",
            "same",
            "get_host_info",
            "set_host_info",
            "set_host_info_with_finalizer",
        ] {
            add(&format!("wasm_{name}_{f}"));
        }
    };
    let reference = |add: &mut dyn FnMut(&str), name: &str| {
        ref_base(add, name);
        add(&format!("wasm_{name}_as_ref"));
        add(&format!("wasm_ref_as_{name}"));
        add(&format!("wasm_{name}_as_ref_const"));
        add(&format!("wasm_ref_as_{name}_const"));
    };

    for n in [
        "byte_t",
        "float32_t",
        "float64_t",
        "wasm_byte_t",
        "wasm_name_t",
        "wasm_message_t",
    ] {
        add(n);
    }
    vec(&mut add, "byte");
    for n in [
        "wasm_name",
        "wasm_name_new",
        "wasm_name_new_empty",
        "wasm_name_new_new_uninitialized",
        "wasm_name_copy",
        "wasm_name_delete",
        "wasm_name_new_from_string",
        "wasm_name_new_from_string_nt",
    ] {
        add(n);
    }

    // Runtime environment.
    own(&mut add, "config");
    add("wasm_config_new");
    own(&mut add, "engine");
    add("wasm_engine_new");
    add("wasm_engine_new_with_config");
    own(&mut add, "store");
    add("wasm_store_new");

    // Type representations.
    for n in [
        "wasm_mutability_t",
        "wasm_mutability_enum",
        "WASM_CONST",
        "WASM_VAR",
    ] {
        add(n);
    }
    add("wasm_limits_t");
    add("wasm_limits_max_default");
    ty(&mut add, "valtype");
    for n in [
        "wasm_valkind_t",
        "wasm_valkind_enum",
        "WASM_I32",
        "WASM_I64",
        "WASM_F32",
        "WASM_F64",
        "WASM_EXTERNREF",
        "WASM_FUNCREF",
        "wasm_valtype_new",
        "wasm_valtype_kind",
        "wasm_valkind_is_num",
        "wasm_valkind_is_ref",
        "wasm_valtype_is_num",
        "wasm_valtype_is_ref",
    ] {
        add(n);
    }
    ty(&mut add, "functype");
    for n in [
        "wasm_functype_new",
        "wasm_functype_params",
        "wasm_functype_results",
    ] {
        add(n);
    }
    ty(&mut add, "globaltype");
    for n in [
        "wasm_globaltype_new",
        "wasm_globaltype_content",
        "wasm_globaltype_mutability",
    ] {
        add(n);
    }
    ty(&mut add, "tabletype");
    for n in [
        "wasm_tabletype_new",
        "wasm_tabletype_element",
        "wasm_tabletype_limits",
    ] {
        add(n);
    }
    ty(&mut add, "memorytype");
    add("wasm_memorytype_new");
    add("wasm_memorytype_limits");
    ty(&mut add, "externtype");
    for n in [
        "wasm_externkind_t",
        "wasm_externkind_enum",
        "WASM_EXTERN_FUNC",
        "WASM_EXTERN_GLOBAL",
        "WASM_EXTERN_TABLE",
        "WASM_EXTERN_MEMORY",
        "wasm_externtype_kind",
    ] {
        add(n);
    }
    for t in ["functype", "globaltype", "tabletype", "memorytype"] {
        add(&format!("wasm_{t}_as_externtype"));
        add(&format!("wasm_externtype_as_{t}"));
        add(&format!("wasm_{t}_as_externtype_const"));
        add(&format!("wasm_externtype_as_{t}_const"));
    }
    ty(&mut add, "importtype");
    for n in [
        "wasm_importtype_new",
        "wasm_importtype_module",
        "wasm_importtype_name",
        "wasm_importtype_type",
    ] {
        add(n);
    }
    ty(&mut add, "exporttype");
    for n in [
        "wasm_exporttype_new",
        "wasm_exporttype_name",
        "wasm_exporttype_type",
    ] {
        add(n);
    }

    // Runtime objects.
    add("wasm_val_t");
    add("wasm_val_delete");
    add("wasm_val_copy");
    vec(&mut add, "val");
    ref_base(&mut add, "ref");
    own(&mut add, "frame");
    vec(&mut add, "frame");
    for n in [
        "wasm_frame_copy",
        "wasm_frame_instance",
        "wasm_frame_func_index",
        "wasm_frame_func_offset",
        "wasm_frame_module_offset",
    ] {
        add(n);
    }
    reference(&mut add, "trap");
    for n in [
        "wasm_trap_new",
        "wasm_trap_message",
        "wasm_trap_origin",
        "wasm_trap_trace",
    ] {
        add(n);
    }
    reference(&mut add, "foreign");
    add("wasm_foreign_new");
    reference(&mut add, "module");
    own(&mut add, "shared_module");
    for n in [
        "wasm_module_share",
        "wasm_module_obtain",
        "wasm_module_new",
        "wasm_module_validate",
        "wasm_module_imports",
        "wasm_module_exports",
        "wasm_module_serialize",
        "wasm_module_deserialize",
    ] {
        add(n);
    }
    reference(&mut add, "func");
    for n in [
        "wasm_func_callback_t",
        "wasm_func_callback_with_env_t",
        "wasm_func_new",
        "wasm_func_new_with_env",
        "wasm_func_type",
        "wasm_func_param_arity",
        "wasm_func_result_arity",
        "wasm_func_call",
    ] {
        add(n);
    }
    reference(&mut add, "global");
    for n in [
        "wasm_global_new",
        "wasm_global_type",
        "wasm_global_get",
        "wasm_global_set",
    ] {
        add(n);
    }
    reference(&mut add, "table");
    for n in [
        "wasm_table_size_t",
        "wasm_table_new",
        "wasm_table_type",
        "wasm_table_get",
        "wasm_table_set",
        "wasm_table_size",
        "wasm_table_grow",
    ] {
        add(n);
    }
    reference(&mut add, "memory");
    for n in [
        "wasm_memory_pages_t",
        "MEMORY_PAGE_SIZE",
        "wasm_memory_new",
        "wasm_memory_type",
        "wasm_memory_data",
        "wasm_memory_data_size",
        "wasm_memory_size",
        "wasm_memory_grow",
    ] {
        add(n);
    }
    reference(&mut add, "extern");
    vec(&mut add, "extern");
    add("wasm_extern_kind");
    add("wasm_extern_type");
    for k in ["func", "global", "table", "memory"] {
        add(&format!("wasm_{k}_as_extern"));
        add(&format!("wasm_extern_as_{k}"));
        add(&format!("wasm_{k}_as_extern_const"));
        add(&format!("wasm_extern_as_{k}_const"));
    }
    reference(&mut add, "instance");
    add("wasm_instance_new");
    add("wasm_instance_exports");

    // Convenience.
    for n in [
        "WASM_EMPTY_VEC",
        "WASM_ARRAY_VEC",
        "wasm_valtype_new_i32",
        "wasm_valtype_new_i64",
        "wasm_valtype_new_f32",
        "wasm_valtype_new_f64",
        "wasm_valtype_new_externref",
        "wasm_valtype_new_funcref",
        "wasm_val_init_ptr",
        "wasm_val_ptr",
        "WASM_I32_VAL",
        "WASM_I64_VAL",
        "WASM_F32_VAL",
        "WASM_F64_VAL",
        "WASM_REF_VAL",
        "WASM_INIT_VAL",
    ] {
        add(n);
    }
    for params in 0..=3 {
        for results in 0..=2 {
            add(&format!("wasm_functype_new_{params}_{results}"));
        }
    }
    names
}

/// The identifiers a header defines or declares: macro names, names after
/// `typedef`/`struct`/`enum`/`union` or in `(*name)`, and identifiers directly followed by
/// `(` `;` `=` `,` or `}` (declarators, enum members, `static const`
/// objects). Comments, macro bodies and function bodies are removed first,
/// so a name that is only mentioned or used does not count.
fn declared_names(header: &str) -> BTreeSet<String> {
    let code = strip_function_bodies(&strip_macro_bodies(&strip_comments(header)));
    let tokens: Vec<&str> = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut names = BTreeSet::new();
    for window in tokens.windows(2) {
        if matches!(
            window[0],
            "define" | "typedef" | "struct" | "enum" | "union"
        ) {
            names.insert(window[1].to_string());
        }
    }
    // Function pointer typedefs: `typedef R (*NAME)(...)`.
    for (at, _) in code.match_indices("(*") {
        let name: String = code[at + 2..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.insert(name);
        }
    }
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && matches!(bytes[j], b'(' | b';' | b'=' | b',' | b'}') {
                names.insert(code[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    names
}

/// Keeps `#define NAME` of each macro and drops every other preprocessor
/// line, with its `\` continuations.
fn strip_macro_bodies(code: &str) -> String {
    let mut out = String::new();
    let mut continued = false;
    for line in code.lines() {
        let directive = continued || line.trim_start().starts_with('#');
        if directive {
            if !continued {
                let rest = line.trim_start()[1..].trim_start();
                if let Some(define) = rest.strip_prefix("define") {
                    let name: String = define
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    out.push_str(&format!("#define {name}\n"));
                }
            }
            continued = line.trim_end().ends_with('\\');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Drops the bodies of inline functions: a `{` right after `)` up to its
/// matching `}`.
fn strip_function_bodies(code: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in code.chars() {
        if depth > 0 {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                out.push(';');
            }
            continue;
        }
        if c == '{' && out.trim_end().ends_with(')') {
            depth = 1;
            continue;
        }
        out.push(c);
    }
    out
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
            out.push(' ');
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
            out.push('\n');
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[test]
fn wasm_h_declares_the_whole_standard_api() {
    let declared = declared_names(&checked_in("wasm.h"));
    let missing: Vec<String> = standard_names()
        .into_iter()
        .filter(|n| !declared.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "include/wasm.h lacks {} names of the standard wasm.h:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

/// Names of the `wasm_*` and `wasi_*` functions a generated header
/// declares (cbindgen starts every declaration with `WASM_API_EXTERN`).
fn declared_functions(header: &str) -> BTreeSet<String> {
    strip_comments(header)
        .split("WASM_API_EXTERN")
        .skip(1)
        .filter_map(|decl| decl.split_once('(').map(|(head, _)| head))
        .filter_map(|head| {
            head.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
        })
        .filter(|name| name.starts_with("wasm_") || name.starts_with("wasi_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn extensions_and_standard_functions_are_split_by_folder() {
    let standard = declared_functions(&checked_in("wasm.h"));
    let extensions = declared_functions(&checked_in("wasm-runtime.h"));
    let wasi = declared_functions(&checked_in("wasi.h"));
    for (a, b, x, y) in [
        ("wasm.h", "wasm-runtime.h", &standard, &extensions),
        ("wasm.h", "wasi.h", &standard, &wasi),
        ("wasm-runtime.h", "wasi.h", &extensions, &wasi),
    ] {
        let both: Vec<&String> = x.intersection(y).collect();
        assert!(
            both.is_empty(),
            "functions declared in {a} and {b}: {both:?}"
        );
    }
    assert!(
        wasi.iter().all(|f| f.starts_with("wasi_config_")
            || ["wasm_store_set_wasi", "wasm_linker_define_wasi"].contains(&f.as_str())),
        "wasi.h declares only WASI functions: {wasi:?}"
    );
    // wasm_error_t lives in src/capi/ext/, so it is an extension.
    assert!(
        standard.contains("wasm_engine_new") && extensions.contains("wasm_engine_try_new"),
        "wasm.h should declare wasm_engine_new and wasm-runtime.h wasm_engine_try_new"
    );
    assert!(
        extensions.contains("wasm_error_message") && !standard.contains("wasm_error_message"),
        "wasm_error_message belongs in wasm-runtime.h only; wasm.h has {standard:?}"
    );
}

/// The reference runtime's (Wasmtime's) `wasi.h` signatures, and ours:
/// each function is assigned to a pointer of exactly the type that header
/// declares, which fails to compile (under -Werror, in C and C++) if a
/// parameter or result type differs; the permission enums are used by
/// their names.
const WASI_SIGNATURES: &str = r#"#include "wasi.h"
int wasi_signature_check(void);
int wasi_signature_check(void) {
  typedef ptrdiff_t (*output_t)(void *, const unsigned char *, size_t);
  wasi_config_t *(*new_)(void) = wasi_config_new;
  void (*delete_)(wasi_config_t *) = wasi_config_delete;
  bool (*set_argv)(wasi_config_t *, size_t, const char *[]) = wasi_config_set_argv;
  void (*inherit_argv)(wasi_config_t *) = wasi_config_inherit_argv;
  bool (*set_env)(wasi_config_t *, size_t, const char *[], const char *[]) = wasi_config_set_env;
  void (*inherit_env)(wasi_config_t *) = wasi_config_inherit_env;
  bool (*stdin_file)(wasi_config_t *, const char *) = wasi_config_set_stdin_file;
  void (*stdin_bytes)(wasi_config_t *, wasm_byte_vec_t *) = wasi_config_set_stdin_bytes;
  void (*inherit_stdin)(wasi_config_t *) = wasi_config_inherit_stdin;
  bool (*stdout_file)(wasi_config_t *, const char *) = wasi_config_set_stdout_file;
  void (*inherit_stdout)(wasi_config_t *) = wasi_config_inherit_stdout;
  void (*stdout_custom)(wasi_config_t *, output_t, void *, void (*)(void *)) =
      wasi_config_set_stdout_custom;
  bool (*stderr_file)(wasi_config_t *, const char *) = wasi_config_set_stderr_file;
  void (*inherit_stderr)(wasi_config_t *) = wasi_config_inherit_stderr;
  void (*stderr_custom)(wasi_config_t *, output_t, void *, void (*)(void *)) =
      wasi_config_set_stderr_custom;
  bool (*preopen_dir)(wasi_config_t *, const char *, const char *, wasi_dir_perms,
                      wasi_file_perms) = wasi_config_preopen_dir;
  void (*inherit_network)(wasi_config_t *) = wasi_config_inherit_network;
  bool (*preopen_socket)(wasi_config_t *, uint32_t, const char *) = wasi_config_preopen_socket;
  wasm_error_t *(*set_wasi)(wasm_store_t *, wasi_config_t *) = wasm_store_set_wasi;
  wasm_error_t *(*define_wasi)(wasm_linker_t *) = wasm_linker_define_wasi;
  bool (*exit_status)(const wasm_trap_t *, int *) = wasm_trap_exit_status;
  enum wasi_dir_perms_flags dir_flag = WASMTIME_WASI_DIR_PERMS_READ;
  enum wasi_file_perms_flags file_flag = WASMTIME_WASI_FILE_PERMS_READ;
  wasi_dir_perms dir = WASMTIME_WASI_DIR_PERMS_READ | WASMTIME_WASI_DIR_PERMS_WRITE;
  wasi_file_perms file = WASMTIME_WASI_FILE_PERMS_READ | WASMTIME_WASI_FILE_PERMS_WRITE;
  (void)new_; (void)delete_; (void)set_argv; (void)inherit_argv; (void)set_env;
  (void)inherit_env; (void)stdin_file; (void)stdin_bytes; (void)inherit_stdin;
  (void)stdout_file; (void)inherit_stdout; (void)stdout_custom; (void)stderr_file;
  (void)inherit_stderr; (void)stderr_custom; (void)preopen_dir; (void)inherit_network;
  (void)preopen_socket; (void)set_wasi; (void)define_wasi; (void)exit_status;
  return (int)(dir + file) + (int)dir_flag + (int)file_flag;
}
"#;

#[test]
fn wasi_h_has_the_reference_signatures() {
    let dir = tempdir("wasi");
    let path = dir.join("wasi_signatures.c");
    std::fs::write(&path, WASI_SIGNATURES).unwrap();
    let failures = compile_everywhere(&path);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "include/wasi.h differs from the reference's wasi.h signatures:\n\n{}",
        failures.join("\n")
    );
}
