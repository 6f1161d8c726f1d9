//! `debug_info`: compiled code registered with native debuggers through
//! GDB's JIT interface, with the module's DWARF transformed to it.
//!
//! gdb runs the `wasm-runtime` command (`support::cli_binary`) on a C
//! program compiled with `-g -O0` to wasm32-wasi (`tests/debug_info/prog.c`)
//! and stops at a breakpoint set on a source line before the code exists
//! (pending until the module is registered): with `-D debug-info` it stops
//! there, the backtrace names the C functions at their lines, and the
//! parameters and locals of every frame have their values; without, the
//! breakpoint never resolves and the program runs to its end. Another
//! program (`tests/debug_info/locals.c`), compiled at `-O0` (variables in
//! linear memory, at the frame base a wasm local holds) and at `-O1`
//! (variables in wasm locals), shows its variables' values in the frame at
//! the breakpoint and in its caller, also when run from a serialized
//! module.
//!
//! In this process, the descriptor gdb reads (`__jit_debug_descriptor`)
//! is checked directly: nothing is registered with the option off; with
//! it on, a module's object file carries its functions' symbols and DWARF
//! whose line table puts the source line inside the function, modules
//! without DWARF still get their symbols, deserialized modules are
//! registered too, and everything is unregistered with the code.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use support::{cli_binary, compile_wasi, describe, require_tool};
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::Module;

/// The lines of `tests/debug_info/prog.c` the test stops at or expects.
const SQUARE_BODY: u64 = 7;
const CALL_IN_SUM_SQUARES: u64 = 14;
const CALL_IN_MAIN: u64 = 20;

/// The lines of `tests/debug_info/locals.c` the test stops at or expects.
const REPORT_BODY: u64 = 9;
const CALL_IN_MIX: u64 = 15;

/// `tests/debug_info/<name>.c` compiled with `-g` and `opt`, once per run
/// (`cell` keeps it), into the profile's `debug-info-tests/`.
fn guest(cell: &'static OnceLock<PathBuf>, name: &str, opt: &str) -> PathBuf {
    cell.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let source = root.join(format!("tests/debug_info/{name}.c"));
        let dir = support::profile_dir().join("debug-info-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let file = format!("{name}{opt}.wasm");
        let out = dir.join(&file);
        let partial = dir.join(format!(".{file}.{}", std::process::id()));
        compile_wasi(&[&source], &["-g", opt], &partial);
        std::fs::rename(&partial, &out).unwrap();
        out
    })
    .clone()
}

/// `tests/debug_info/prog.c` compiled with `-g -O0`.
fn prog_wasm() -> PathBuf {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    guest(&WASM, "prog", "-O0")
}

/// `tests/debug_info/locals.c` compiled with `-g -O0`, or `-g -O1`.
fn locals_wasm(optimized: bool) -> PathBuf {
    static O0: OnceLock<PathBuf> = OnceLock::new();
    static O1: OnceLock<PathBuf> = OnceLock::new();
    if optimized {
        guest(&O1, "locals", "-O1")
    } else {
        guest(&O0, "locals", "-O0")
    }
}

/// `gdb -batch` running the command with `cli_args`, after `commands`
/// (breakpoints may be set before the code exists).
fn gdb(cli_args: &[&str], commands: &[&str]) -> Output {
    require_tool("gdb", "gdb");
    let mut gdb = Command::new("gdb");
    gdb.args(["-batch", "-nx", "-ex", "set breakpoint pending on"]);
    for command in commands {
        gdb.args(["-ex", command]);
    }
    gdb.arg("--args")
        .arg(cli_binary())
        .args(cli_args)
        // No network lookups of debug info for the host's libraries.
        .env_remove("DEBUGINFOD_URLS")
        .output()
        .expect("running gdb")
}

/// The backtrace line of frame `n` (`#n  ...`).
fn frame(text: &str, n: usize) -> &str {
    let prefix = format!("#{n} ");
    text.lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no frame #{n} in the backtrace:\n{text}"))
}

#[test]
fn gdb_stops_at_a_source_line_and_shows_the_c_backtrace() {
    let wasm = prog_wasm();
    let breakpoint = format!("break prog.c:{SQUARE_BODY}");
    let output = gdb(
        &["-D", "debug-info", wasm.to_str().unwrap()],
        &[
            &breakpoint,
            "run",
            "bt",
            "echo @args\n",
            "info args",
            "echo @locals\n",
            "info locals",
            "up",
            "echo @up\n",
            "info locals",
            "info args",
            "echo @end\n",
        ],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let context = describe(&output);
    assert!(
        text.contains("hit Breakpoint 1, square (") || text.contains("\nBreakpoint 1, square ("),
        "gdb did not stop in square {context}"
    );
    let at = |line: u64| format!("prog.c:{line}");
    let top = frame(&text, 0);
    assert!(
        top.contains("square (") && top.ends_with(&at(SQUARE_BODY)),
        "{top} {context}"
    );
    let caller = frame(&text, 1);
    assert!(
        caller.contains(" sum_squares (") && caller.ends_with(&at(CALL_IN_SUM_SQUARES)),
        "{caller} {context}"
    );
    let outer = frame(&text, 2);
    assert!(
        outer.contains(" main (") && outer.ends_with(&at(CALL_IN_MAIN)),
        "{outer} {context}"
    );
    // The first call: square(1), from sum_squares(4) at i = 1.
    assert!(top.contains("square (x=1)"), "{top} {context}");
    assert!(caller.contains("sum_squares (n=4)"), "{caller} {context}");
    let after = |marker: &str| {
        text.split(&format!("@{marker}\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no output after @{marker} {context}"))
    };
    assert!(after("args").starts_with("x = 1\n"), "{context}");
    // `result` is not assigned yet: any value, but a value.
    let locals = after("locals");
    assert!(
        locals.starts_with("result = ") && !locals.starts_with("result = <optimized out>"),
        "{context}"
    );
    let outer = after("up").split("@end").next().unwrap_or_default();
    for expected in ["i = 1\n", "total = 0\n", "n = 4\n"] {
        assert!(outer.contains(expected), "{expected} {context}");
    }
}

/// gdb at `locals.c:REPORT_BODY` (with the module compiled from
/// `locals_wasm(optimized)`, or first serialized by `wasm-runtime compile`
/// with `precompiled`): the output of `info args` there and of `info
/// locals` / `print` in the caller, `mix`.
fn locals_at_report(optimized: bool, precompiled: bool) -> (String, String) {
    let wasm = locals_wasm(optimized);
    let module = if precompiled {
        let cwasm = wasm.with_extension(format!("{}.cwasm", std::process::id()));
        let output = Command::new(cli_binary())
            .args(["compile", "-D", "debug-info", wasm.to_str().unwrap(), "-o"])
            .arg(&cwasm)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", describe(&output));
        cwasm
    } else {
        wasm
    };
    let mut args = vec!["run", "-D", "debug-info"];
    if precompiled {
        args.push("--allow-precompiled");
    }
    args.push(module.to_str().unwrap());
    let breakpoint = format!("break locals.c:{REPORT_BODY}");
    let output = gdb(
        &args,
        &[
            &breakpoint,
            "run",
            "echo @args\n",
            "info args",
            "up",
            "echo @mix\n",
            "info locals",
            "print product * 2",
            "print scaled",
        ],
    );
    if precompiled {
        let _ = std::fs::remove_file(&module);
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let context = describe(&output);
    assert!(
        text.contains("Breakpoint 1, report ("),
        "gdb did not stop in report {context}"
    );
    let caller = frame(&text, 1);
    assert!(
        caller.contains(" mix (") && caller.ends_with(&format!("locals.c:{CALL_IN_MIX}")),
        "{caller} {context}"
    );
    let args = text.split("@args\n").nth(1).unwrap_or_default();
    let (args, mix) = args.split_once("@mix\n").unwrap_or_default();
    (args.to_string(), mix.to_string() + &context)
}

#[test]
fn gdb_shows_the_variables_of_an_unoptimized_program() {
    let (args, mix) = locals_at_report(false, false);
    // report(7000, 3500.0): its parameters, in its frame.
    assert!(
        args.contains("product = 7000\n") && args.contains("scaled = 3500\n"),
        "{args} {mix}"
    );
    // mix(7, 1000, 0.5): its locals, in memory at the frame base.
    for expected in [
        "product = 7000\n",
        "scaled = 3500\n",
        "$1 = 14000\n",
        "$2 = 3500\n",
    ] {
        assert!(mix.contains(expected), "{expected}: {mix}");
    }
}

#[test]
fn gdb_shows_the_variables_of_an_optimized_program() {
    for precompiled in [false, true] {
        let (args, mix) = locals_at_report(true, precompiled);
        assert!(
            args.contains("product = 7000\n") && args.contains("scaled = 3500\n"),
            "precompiled: {precompiled}: {args} {mix}"
        );
        // In wasm locals, kept across the call to report.
        for expected in [
            "product = 7000\n",
            "scaled = 3500\n",
            "$1 = 14000\n",
            "$2 = 3500\n",
        ] {
            assert!(
                mix.contains(expected),
                "precompiled: {precompiled}: {expected}: {mix}"
            );
        }
    }
}

#[test]
fn without_debug_info_the_breakpoint_never_resolves() {
    let wasm = prog_wasm();
    let breakpoint = format!("break prog.c:{SQUARE_BODY}");
    let output = gdb(
        &[wasm.to_str().unwrap()],
        &[&breakpoint, "run", "info breakpoints"],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let context = describe(&output);
    assert!(
        text.contains(&format!("Breakpoint 1 (prog.c:{SQUARE_BODY}) pending.")),
        "{context}"
    );
    assert!(!text.contains("hit Breakpoint"), "{context}");
    assert!(
        text.contains("sum = 30"),
        "the program ran to its end {context}"
    );
    assert!(text.contains("exited normally"), "{context}");
    assert!(
        text.contains("<PENDING>"),
        "still pending at the end {context}"
    );
}

#[test]
fn the_command_checks_its_debug_setting() {
    let wasm = prog_wasm();
    let wasm = wasm.to_str().unwrap();
    for (args, message) in [
        (["-D", "bogus", wasm], "unknown debug setting in `-D bogus`"),
        (
            ["-D", "debug-info=maybe", wasm],
            "invalid value in `-D debug-info=maybe`",
        ),
    ] {
        let output = Command::new(cli_binary()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{}", describe(&output));
    }
    for setting in ["--debug=debug-info", "-Ddebug-info=y", "-Ddebug-info=n"] {
        let output = Command::new(cli_binary())
            .args([setting, wasm])
            .output()
            .unwrap();
        assert!(output.status.success(), "{setting}: {}", describe(&output));
        assert_eq!(String::from_utf8_lossy(&output.stdout), "sum = 30\n");
    }
}

// ---- the descriptor, read in this process ----

/// GDB's `struct jit_code_entry` and `struct jit_descriptor`.
#[repr(C)]
struct JitCodeEntry {
    next_entry: *const JitCodeEntry,
    prev_entry: *const JitCodeEntry,
    symfile_addr: *const u8,
    symfile_size: u64,
}

#[repr(C)]
struct JitDescriptor {
    version: u32,
    action_flag: u32,
    relevant_entry: *const JitCodeEntry,
    first_entry: *const JitCodeEntry,
}

extern "C" {
    // The library's descriptor, the one gdb reads.
    static __jit_debug_descriptor: JitDescriptor;
}

/// Held by every test that reads the descriptor: the tests of this binary
/// run on several threads, and each registers and unregisters code.
static DESCRIPTOR: Mutex<()> = Mutex::new(());

/// A copy of every object file registered now, newest first.
fn registered() -> Vec<Vec<u8>> {
    let descriptor = &raw const __jit_debug_descriptor;
    // SAFETY: the library's static, changed only while code is registered
    // or unregistered, which no thread does while `DESCRIPTOR` is held by
    // the caller (every engine of this binary is made under it).
    let (version, mut at) = unsafe {
        (
            std::ptr::read_volatile(&raw const (*descriptor).version),
            std::ptr::read_volatile(&raw const (*descriptor).first_entry),
        )
    };
    assert_eq!(version, 1);
    let mut images = Vec::new();
    while !at.is_null() {
        // SAFETY: a live entry of the list, pointing at its object file;
        // nothing changes the list meanwhile (see above).
        unsafe {
            let entry = &*at;
            images.push(
                std::slice::from_raw_parts(entry.symfile_addr, entry.symfile_size as usize)
                    .to_vec(),
            );
            at = entry.next_entry;
        }
    }
    images
}

/// A minimal reader of the object files: section names and contents, and
/// function symbols (name, address, size).
struct Elf {
    sections: Vec<(String, Vec<u8>)>,
    symbols: Vec<(String, u64, u64)>,
}

impl Elf {
    fn parse(image: &[u8]) -> Elf {
        assert_eq!(&image[..4], b"\x7fELF");
        let u16_at = |o: usize| u16::from_le_bytes(image[o..o + 2].try_into().unwrap()) as usize;
        let u32_at = |o: usize| u32::from_le_bytes(image[o..o + 4].try_into().unwrap()) as usize;
        let u64_at = |o: usize| u64::from_le_bytes(image[o..o + 8].try_into().unwrap());
        let (shoff, shnum, shstrndx) = (u64_at(40) as usize, u16_at(60), u16_at(62));
        let header = |i: usize| shoff + i * 64;
        let string = |table: usize, at: usize| {
            let start = table + at;
            let end = start + image[start..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8(image[start..end].to_vec()).unwrap()
        };
        let names = u64_at(header(shstrndx) + 24) as usize;
        let mut elf = Elf {
            sections: Vec::new(),
            symbols: Vec::new(),
        };
        for i in 1..shnum {
            let h = header(i);
            let (kind, offset, size) = (u32_at(h + 4), u64_at(h + 24) as usize, u64_at(h + 32));
            let data = if kind == 8 {
                Vec::new() // SHT_NOBITS
            } else {
                image[offset..offset + size as usize].to_vec()
            };
            if kind == 2 {
                // SHT_SYMTAB, its names in the section `sh_link` names.
                let strtab = u64_at(header(u32_at(h + 40)) + 24) as usize;
                for sym in data.chunks(24).skip(1) {
                    let name = u32::from_le_bytes(sym[..4].try_into().unwrap()) as usize;
                    let value = u64::from_le_bytes(sym[8..16].try_into().unwrap());
                    let size = u64::from_le_bytes(sym[16..24].try_into().unwrap());
                    elf.symbols.push((string(strtab, name), value, size));
                }
            }
            elf.sections.push((string(names, u32_at(h)), data));
        }
        elf
    }

    fn section(&self, name: &str) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| &d[..])
    }

    fn symbol(&self, name: &str) -> Option<(u64, u64)> {
        self.symbols
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|&(_, a, s)| (a, s))
    }

    /// The addresses the line table gives `line` of a file named `file`.
    fn line_addresses(&self, file: &str, line: u64) -> Vec<u64> {
        let load = |id: gimli::SectionId| -> Result<_, gimli::Error> {
            Ok(gimli::EndianSlice::new(
                self.section(id.name()).unwrap_or(&[]),
                gimli::LittleEndian,
            ))
        };
        let dwarf = gimli::Dwarf::load(load).unwrap();
        let mut found = Vec::new();
        let mut units = dwarf.units();
        while let Some(header) = units.next().unwrap() {
            let unit = dwarf.unit(header).unwrap();
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            let mut rows = program.rows();
            while let Some((header, row)) = rows.next_row().unwrap() {
                let name = row
                    .file(header)
                    .map(|f| dwarf.attr_string(&unit, f.path_name()).unwrap())
                    .map(|s| String::from_utf8_lossy(s.slice()).into_owned());
                if row.line().map(|l| l.get()) == Some(line)
                    && name.is_some_and(|n| n.ends_with(file))
                {
                    found.push(row.address());
                }
            }
        }
        found
    }
}

fn engine(debug_info: bool) -> Engine {
    let mut config = Config::new();
    config.set_debug_info(debug_info);
    Engine::new(&config).unwrap()
}

#[test]
fn nothing_is_registered_with_the_option_off() {
    let _lock = DESCRIPTOR.lock().unwrap_or_else(|e| e.into_inner());
    assert!(registered().is_empty());
    let engine = engine(false);
    let module = Module::new(&engine, &std::fs::read(prog_wasm()).unwrap()).unwrap();
    assert!(registered().is_empty(), "debug_info off registered code");
    drop((module, engine));
}

#[test]
fn modules_are_registered_with_symbols_and_dwarf_until_dropped() {
    let _lock = DESCRIPTOR.lock().unwrap_or_else(|e| e.into_inner());
    assert!(registered().is_empty());
    let engine = engine(true);
    let module = Module::new(&engine, &std::fs::read(prog_wasm()).unwrap()).unwrap();
    let images: Vec<Elf> = registered().iter().map(|i| Elf::parse(i)).collect();
    // The module's object file, and the trampolines' (symbols only).
    let program = images
        .iter()
        .find(|e| e.symbol("sum_squares").is_some())
        .expect("the module's functions have symbols");
    for name in [".debug_info", ".debug_abbrev", ".debug_line", ".eh_frame"] {
        assert!(program.section(name).is_some(), "no {name} section");
    }
    let (square, size) = program.symbol("square").expect("square's symbol");
    let lines = program.line_addresses("prog.c", SQUARE_BODY);
    assert!(
        lines.iter().any(|&a| (square..square + size).contains(&a)),
        "prog.c:{SQUARE_BODY} is not inside square ({square:#x}+{size:#x}): {lines:x?}"
    );
    assert!(images.iter().any(|e| e
        .symbols
        .iter()
        .any(|(n, _, _)| n.starts_with("trampoline["))));

    // Dropping the module unregisters its object file; the trampolines
    // live as long as the engine.
    let before = images.len();
    drop(module);
    let after = registered();
    assert_eq!(after.len(), before - 1);
    assert!(after
        .iter()
        .all(|i| Elf::parse(i).symbol("sum_squares").is_none()));
    drop(engine);
    assert!(registered().is_empty(), "the engine's trampolines stayed");
}

#[test]
fn modules_without_dwarf_and_deserialized_modules_are_registered() {
    let _lock = DESCRIPTOR.lock().unwrap_or_else(|e| e.into_inner());
    let engine = engine(true);
    let wasm = wat::parse_str(
        r#"(module (func $add_numbers (export "add") (param i32 i32) (result i32)
             (i32.add (local.get 0) (local.get 1)))
           (func (export "nameless") (result i32) (i32.const 7)))"#,
    )
    .unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    let images: Vec<Elf> = registered().iter().map(|i| Elf::parse(i)).collect();
    let plain = images
        .iter()
        .find(|e| e.symbol("add_numbers").is_some())
        .expect("the name section's name is a symbol");
    assert!(
        plain.symbol("wasm-function[1]").is_some(),
        "{:?}",
        plain.symbols
    );
    assert!(plain.section(".debug_info").is_none());
    drop(module);

    let compiled = Module::new(&engine, &std::fs::read(prog_wasm()).unwrap()).unwrap();
    let bytes = compiled.serialize().unwrap();
    drop(compiled);
    let loaded = Module::deserialize(&engine, &bytes).unwrap();
    let images: Vec<Elf> = registered().iter().map(|i| Elf::parse(i)).collect();
    let program = images
        .iter()
        .find(|e| e.symbol("square").is_some())
        .expect("the deserialized module is registered");
    assert!(!program.line_addresses("prog.c", SQUARE_BODY).is_empty());
    drop((loaded, engine));
    assert!(registered().is_empty());
}
