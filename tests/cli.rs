//! The `wasm-runtime` command (`cli/`), run as a user runs it: built by
//! `support::cli_binary` against `include/` and this run's shared library,
//! on WASI programs compiled from `tests/cli/*.c` with clang for
//! wasm32-wasi, and on text modules written by the tests.
//!
//! Each test checks what the command prints and its exit status, which
//! follow the reference runtime's conventions: the program's `proc_exit`
//! status, 0 when `_start` returns, 134 for a trap (with `Error:`, the
//! message and the wasm backtrace on stderr), 1 for other failures and 2
//! for usage errors.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use support::{cli_binary, compile_wasi, Scratch};

/// `<target>/<profile>/cli-tests`, where the guests are built.
fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps/<test>")
        .join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `tests/cli/<name>.c` compiled (once per run) to a wasm32-wasi module
/// with `flags`.
fn guest_module(name: &str, flags: &[&str], cell: &'static OnceLock<PathBuf>) -> PathBuf {
    cell.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/cli/{name}.c"));
        let out = build_dir().join(format!("{name}.wasm"));
        let partial = build_dir().join(format!(".{name}.wasm.{}", std::process::id()));
        compile_wasi(&[&source], flags, &partial);
        std::fs::rename(&partial, &out).unwrap();
        out
    })
    .clone()
}

/// The WASI command every WASI test runs (`tests/cli/guest.c`).
fn guest() -> PathBuf {
    static CELL: OnceLock<PathBuf> = OnceLock::new();
    guest_module("guest", &[], &CELL)
}

/// A WASI reactor (`tests/cli/reactor.c`): `_initialize`, then exports.
fn reactor() -> PathBuf {
    static CELL: OnceLock<PathBuf> = OnceLock::new();
    guest_module("reactor", &["-mexec-model=reactor"], &CELL)
}

/// What one run of the command did.
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            status: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit status, showing everything the run printed if not.
    fn expect_status(&self, status: i32) -> &Run {
        assert_eq!(
            self.status,
            Some(status),
            "expected exit status {status}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    fn expect_stdout(&self, expected: &str) -> &Run {
        assert_eq!(
            self.stdout, expected,
            "stdout differs; stderr:\n{}",
            self.stderr
        );
        self
    }

    fn expect_stderr_contains(&self, parts: &[&str]) -> &Run {
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "expected {part:?} on stderr:\n{}",
                self.stderr
            );
        }
        self
    }
}

/// Runs `wasm-runtime ARGS` in `dir` (nothing on stdin).
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(cli_binary())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("running wasm-runtime");
    Run::from(output)
}

fn run(args: &[&str]) -> Run {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 paths in tests")
}

/// Writes `text` to `dir/name` and returns the path as a string.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path_str(&path).to_string()
}

#[test]
fn version_and_help() {
    run(&["--version"])
        .expect_status(0)
        .expect_stdout(&format!("wasm-runtime {}\n", env!("CARGO_PKG_VERSION")));
    run(&["-V"]).expect_status(0);
    for help in ["--help", "-h", "help"] {
        let r = run(&[help]);
        r.expect_status(0);
        for part in [
            "Usage:",
            "wasm-runtime [run] [OPTIONS] FILE",
            "compile",
            "--dir",
            "--invoke",
        ] {
            assert!(
                r.stdout.contains(part),
                "{help}: {part:?} missing:\n{}",
                r.stdout
            );
        }
    }
    // No arguments: the usage on stderr, as a usage error.
    let r = run(&[]);
    r.expect_status(2);
    assert!(r.stderr.contains("Usage:"), "{}", r.stderr);
}

#[test]
fn usage_errors_exit_2() {
    run(&["--bogus", "x.wasm"])
        .expect_status(2)
        .expect_stderr_contains(&["error: unknown option `--bogus`", "--help"]);
    run(&["run", "--invoke"])
        .expect_status(2)
        .expect_stderr_contains(&["`--invoke` needs a value"]);
    run(&["run"])
        .expect_status(2)
        .expect_stderr_contains(&["no FILE given"]);
    run(&["--fuel", "lots", "x.wasm"])
        .expect_status(2)
        .expect_stderr_contains(&["invalid `--fuel lots`"]);
    run(&["--wasm", "warp-drive", "x.wasm"])
        .expect_status(2)
        .expect_stderr_contains(&["unknown WebAssembly feature"]);
    run(&["--opt-level=3", "x.wasm"])
        .expect_status(2)
        .expect_stderr_contains(&["expected 0, 1, 2 or s"]);
    run(&["compile", "--dir", ".", "x.wasm"])
        .expect_status(2)
        .expect_stderr_contains(&["`--dir` is not an option of `compile`"]);
    run(&["compile", "a.wasm", "b.wasm"])
        .expect_status(2)
        .expect_stderr_contains(&["unexpected argument `b.wasm`"]);
}

#[test]
fn wasi_program_sees_its_name_and_arguments() {
    let guest = guest();
    // The arguments after FILE are the program's, options included.
    run(&[
        "run",
        path_str(&guest),
        "args",
        "one",
        "--two",
        "three four",
    ])
    .expect_status(0)
    .expect_stdout(
        "argc=5\nargv[0]=guest.wasm\nargv[1]=args\nargv[2]=one\nargv[3]=--two\n\
             argv[4]=three four\n",
    );
    // `run` may be left out, as in the reference; `--` ends the options.
    run(&["--", path_str(&guest), "args"])
        .expect_status(0)
        .expect_stdout("argc=2\nargv[0]=guest.wasm\nargv[1]=args\n");
}

#[test]
fn env_sets_and_passes_on_variables() {
    let guest = guest();
    let output = Command::new(cli_binary())
        .args([
            "--env",
            "GREETING=hello world",
            "--env=EMPTY=",
            "--env",
            "PASSED",
        ])
        .args(["--env", "NOT_SET_ANYWHERE"])
        .arg(&guest)
        .args([
            "env",
            "GREETING",
            "EMPTY",
            "PASSED",
            "NOT_SET_ANYWHERE",
            "HOME",
        ])
        .env("PASSED", "from the host")
        .env("HOME", "/not/inherited")
        .env_remove("NOT_SET_ANYWHERE")
        .output()
        .unwrap();
    // Nothing of the host's environment but what --env names.
    Run::from(output).expect_status(0).expect_stdout(
        "GREETING=hello world\nEMPTY=\nPASSED=from the host\nNOT_SET_ANYWHERE unset\nHOME unset\n",
    );
}

#[test]
fn dir_preopens_a_host_directory_for_reading_and_writing() {
    let scratch = Scratch::new("cli-dir");
    let data = scratch.0.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("in.txt"), "hello, preopen\n").unwrap();
    let guest = guest();
    let mapping = format!("{}::/sandbox", path_str(&data));
    run(&[
        "--dir",
        &mapping,
        path_str(&guest),
        "copy",
        "/sandbox/in.txt",
        "/sandbox/out.txt",
    ])
    .expect_status(0)
    .expect_stdout("copied /sandbox/in.txt to /sandbox/out.txt\n");
    assert_eq!(
        std::fs::read_to_string(data.join("out.txt")).unwrap(),
        "HELLO, PREOPEN\n"
    );

    // HOST alone is also the guest's name for it (here relative to the
    // working directory).
    run_in(
        &scratch.0,
        &[
            "--dir",
            "data",
            path_str(&guest),
            "copy",
            "data/in.txt",
            "data/again.txt",
        ],
    )
    .expect_status(0);
    assert!(data.join("again.txt").is_file());

    // Without --dir the program sees no files at all.
    let r = run(&[
        path_str(&guest),
        "copy",
        "/sandbox/in.txt",
        "/sandbox/x.txt",
    ]);
    r.expect_status(1);
    assert!(r.stderr.contains("/sandbox/in.txt"), "{}", r.stderr);

    // Nothing outside the preopen is reachable: not by `..`, not by an
    // absolute host path, not through a symlink pointing out; each is
    // refused (wasi-libc reports the runtime's EPERM or its own
    // ENOTCAPABLE) and nothing outside is read or written.
    let secret = scratch.0.join("secret.txt");
    std::fs::write(&secret, "outside\n").unwrap();
    std::os::unix::fs::symlink(&secret, data.join("link")).unwrap();
    let secret_path = path_str(&secret).to_string();
    for (from, to) in [
        ("/sandbox/../secret.txt", "/sandbox/leak1.txt"),
        (secret_path.as_str(), "/sandbox/leak2.txt"),
        ("/sandbox/link", "/sandbox/leak3.txt"),
        ("/sandbox/in.txt", "/sandbox/../escaped.txt"),
    ] {
        let r = run(&["--dir", &mapping, path_str(&guest), "copy", from, to]);
        r.expect_status(1);
        assert!(
            r.stderr.contains("not permitted") || r.stderr.contains("Capabilities insufficient"),
            "copy {from} {to}: {}",
            r.stderr
        );
    }
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "outside\n");
    assert!(!scratch.0.join("escaped.txt").exists());
    for leak in ["leak1.txt", "leak2.txt", "leak3.txt"] {
        let leaked = std::fs::read_to_string(data.join(leak)).unwrap_or_default();
        assert!(!leaked.contains("OUTSIDE"), "{leak} holds the outside file");
    }

    // A directory that does not exist is the command's error.
    let missing = format!("{}::/m", path_str(&scratch.0.join("missing")));
    run(&["--dir", &missing, path_str(&guest), "args"])
        .expect_status(1)
        .expect_stderr_contains(&["Error: cannot open the directory", "missing"]);
}

#[test]
fn exit_status_is_the_programs() {
    let guest = guest();
    for status in [0, 1, 7, 42, 125] {
        let code = status.to_string();
        run(&[path_str(&guest), "exit", &code])
            .expect_status(status)
            .expect_stdout("");
    }
    // Returning from main is status 0, and the guest's status for bad
    // arguments is its own.
    run(&[path_str(&guest), "args"]).expect_status(0);
    run(&[path_str(&guest), "frobnicate"])
        .expect_status(2)
        .expect_stderr_contains(&["guest: unknown mode frobnicate"]);

    // proc_exit straight from a text module.
    let scratch = Scratch::new("cli-exit");
    let wat = write(
        &scratch.0,
        "exit.wat",
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") (call $exit (i32.const 3)) unreachable))"#,
    );
    run(&[&wat]).expect_status(3).expect_stdout("");
}

#[test]
fn output_is_written_in_order_and_in_full() {
    let guest = guest();
    // A last line without its newline still reaches stdout.
    run(&[path_str(&guest), "partial"])
        .expect_status(0)
        .expect_stdout("no newline at the end");
    // Standard input is the command's.
    let mut child = Command::new(cli_binary())
        .arg(&guest)
        .arg("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"line one\nline two\n").unwrap();
    }
    Run::from(child.wait_with_output().unwrap())
        .expect_status(0)
        .expect_stdout("line one\nline two\n");
}

#[test]
fn a_trap_is_reported_with_its_backtrace_and_exits_134() {
    let guest = guest();
    let r = run(&[path_str(&guest), "trap"]);
    r.expect_status(134).expect_stderr_contains(&[
        "Error: failed to run `_start` of `",
        "unreachable",
        "wasm backtrace:",
        "crash_here",
    ]);
    // The error is the last thing on stderr, once.
    assert_eq!(r.stderr.matches("Error:").count(), 1, "{}", r.stderr);

    // The same for a text module's export.
    let scratch = Scratch::new("cli-trap");
    let wat = write(
        &scratch.0,
        "trap.wat",
        r#"(module (func $inner (export "boom") (param i32) (result i32)
             (i32.div_u (i32.const 1) (local.get 0))))"#,
    );
    run(&["--invoke", "boom", &wat, "0"])
        .expect_status(134)
        .expect_stderr_contains(&["Error: failed to run `boom`", "wasm backtrace:", "inner"]);
    run(&["--invoke", "boom", &wat, "2"])
        .expect_status(0)
        .expect_stdout("0\n");
}

/// `--coredump-on-trap FILE` writes the trap's wasm coredump (a module
/// with the tool-conventions `core` and `corestack` custom sections) and
/// says where; without the option, or without a trap, no file appears.
#[test]
fn coredump_on_trap_writes_the_dump_where_asked() {
    let scratch = Scratch::new("cli-coredump");
    let guest = guest();
    let dump = scratch.0.join("trap.core");
    let dump_arg = path_str(&dump).to_string();
    run(&["--coredump-on-trap", &dump_arg, path_str(&guest), "trap"])
        .expect_status(134)
        .expect_stderr_contains(&["Wasm coredump generated in", "unreachable"]);
    let bytes = std::fs::read(&dump).expect("the coredump file");
    assert!(bytes.starts_with(b"\0asm"), "a wasm module");
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        has(b"\x04core") && has(b"\x09corestack"),
        "core and corestack sections"
    );

    let quiet = scratch.0.join("quiet.core");
    run(&[
        "--coredump-on-trap",
        path_str(&quiet),
        path_str(&guest),
        "args",
    ])
    .expect_status(0);
    assert!(!quiet.exists(), "no trap, no dump");
    let r = run(&[path_str(&guest), "trap"]);
    r.expect_status(134);
    assert!(!r.stderr.contains("coredump"), "{}", r.stderr);
}

#[test]
fn invoke_parses_arguments_by_type_and_prints_each_result() {
    let scratch = Scratch::new("cli-invoke");
    let wat = write(
        &scratch.0,
        "values.wat",
        r#"(module
             (func (export "add") (param i32 i32) (result i32)
               (i32.add (local.get 0) (local.get 1)))
             (func (export "mul64") (param i64 i64) (result i64)
               (i64.mul (local.get 0) (local.get 1)))
             (func (export "half") (param f32) (result f32)
               (f32.mul (local.get 0) (f32.const 0.5)))
             (func (export "sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
             (func (export "all") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
               (local.get 3) (local.get 2) (local.get 1) (local.get 0))
             (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))
             (func (export "nothing")))"#,
    );
    let invoke = |func: &str, args: &[&str]| {
        let mut all = vec!["--invoke", func, wat.as_str()];
        all.extend_from_slice(args);
        run(&all)
    };
    invoke("add", &["2", "-5"])
        .expect_status(0)
        .expect_stdout("-3\n");
    // i32 takes the unsigned range too (as a bit pattern), and hex.
    invoke("add", &["4294967295", "0x10"])
        .expect_status(0)
        .expect_stdout("15\n");
    invoke("mul64", &["-4294967296", "4294967296"])
        .expect_status(0)
        .expect_stdout("0\n");
    invoke("mul64", &["3037000499", "3037000499"])
        .expect_status(0)
        .expect_stdout("9223372030926249001\n");
    invoke("half", &["3"])
        .expect_status(0)
        .expect_stdout("1.5\n");
    invoke("half", &["0.2"])
        .expect_status(0)
        .expect_stdout("0.1\n");
    invoke("sqrt", &["2"])
        .expect_status(0)
        .expect_stdout("1.4142135623730951\n");
    invoke("sqrt", &["1e42"])
        .expect_status(0)
        .expect_stdout("1000000000000000000000\n");
    invoke("sqrt", &["-1"])
        .expect_status(0)
        .expect_stdout("NaN\n");
    invoke("all", &["-1", "-2", "1e-7", "0.25"])
        .expect_status(0)
        .expect_stdout("0.25\n0.0000001\n-2\n-1\n");
    invoke("splat", &["0x01020304"])
        .expect_status(0)
        .expect_stdout("0x1020304010203040102030401020304\n");
    invoke("nothing", &[]).expect_status(0).expect_stdout("");

    invoke("add", &["1"])
        .expect_status(1)
        .expect_stderr_contains(&["`add` takes 2 arguments, 1 given"]);
    invoke("add", &["1", "two"])
        .expect_status(1)
        .expect_stderr_contains(&["invalid argument `two` for `add`: expected an i32"]);
    invoke("add", &["1", "4294967296"]).expect_status(1);
    invoke("missing", &[])
        .expect_status(1)
        .expect_stderr_contains(&["has no function export `missing`"]);
}

#[test]
fn invoke_prints_gc_references_by_what_they_are() {
    let scratch = Scratch::new("cli-invoke-gc");
    let wat = write(
        &scratch.0,
        "gc.wat",
        r#"(module
             (type $pair (struct (field i32) (field i64)))
             (type $bytes (array i8))
             (func (export "i31") (param i32) (result i31ref) (ref.i31 (local.get 0)))
             (func (export "pair") (result anyref) (struct.new $pair (i32.const 1) (i64.const 2)))
             (func (export "bytes") (param i32) (result (ref $bytes))
               (array.new_default $bytes (local.get 0)))
             (func (export "none") (result structref) (ref.null struct)))"#,
    );
    let invoke = |func: &str, args: &[&str]| {
        let mut all = vec![
            "-W",
            "function-references,gc",
            "--invoke",
            func,
            wat.as_str(),
        ];
        all.extend_from_slice(args);
        run(&all)
    };
    invoke("i31", &["-5"])
        .expect_status(0)
        .expect_stdout("<i31 -5>\n");
    invoke("pair", &[])
        .expect_status(0)
        .expect_stdout("<struct of 2 fields>\n");
    invoke("bytes", &["7"])
        .expect_status(0)
        .expect_stdout("<array of 7 elements>\n");
    invoke("none", &[])
        .expect_status(0)
        .expect_stdout("<null anyref>\n");
}

#[test]
fn text_modules_run_as_commands() {
    let scratch = Scratch::new("cli-wat");
    let wat = write(
        &scratch.0,
        "hello.wat",
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write"
               (func $fd_write (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 16) "hello from text\n")
             (func (export "_start")
               (i32.store (i32.const 0) (i32.const 16))
               (i32.store (i32.const 4) (i32.const 16))
               (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    run(&[&wat])
        .expect_status(0)
        .expect_stdout("hello from text\n");
    // A module without `_start` or imports has nothing to run: status 0.
    let plain = write(&scratch.0, "plain.wat", "(module (func (export \"f\")))");
    run(&[&plain]).expect_status(0).expect_stdout("");
}

#[test]
fn reactors_are_initialized_before_invoke() {
    let reactor = reactor();
    // `get` returns what the constructor `_initialize` runs set.
    run(&["--invoke", "get", path_str(&reactor)])
        .expect_status(0)
        .expect_stdout("42\n");
    run(&["--invoke", "scale", path_str(&reactor), "2.5"])
        .expect_status(0)
        .expect_stdout("105\n");
}

#[test]
fn compiled_modules_run_with_consent() {
    let scratch = Scratch::new("cli-compile");
    let wat = write(
        &scratch.0,
        "square.wat",
        r#"(module (func (export "square") (param i64) (result i64)
             (i64.mul (local.get 0) (local.get 0))))"#,
    );
    // Default output: FILE with .cwasm.
    run(&["compile", &wat]).expect_status(0).expect_stdout("");
    let cwasm = scratch.0.join("square.cwasm");
    assert!(cwasm.is_file(), "compile wrote no square.cwasm");
    let cwasm = path_str(&cwasm);

    run(&["--invoke", "square", cwasm, "12"])
        .expect_status(1)
        .expect_stderr_contains(&["is a precompiled module", "--allow-precompiled"]);
    run(&["--allow-precompiled", "--invoke", "square", cwasm, "12"])
        .expect_status(0)
        .expect_stdout("144\n");

    // Compiled with other code generation settings: refused, saying why.
    let fueled = path_str(&scratch.0.join("fueled.cwasm")).to_string();
    run(&["compile", "--fuel", "1", &wat, "-o", &fueled]).expect_status(0);
    run(&["--allow-precompiled", "--invoke", "square", &fueled, "3"])
        .expect_status(1)
        .expect_stderr_contains(&["Error: cannot load the precompiled module"]);
    run(&[
        "--allow-precompiled",
        "--fuel",
        "1000",
        "--invoke",
        "square",
        &fueled,
        "3",
    ])
    .expect_status(0)
    .expect_stdout("9\n");

    run(&["compile", cwasm])
        .expect_status(1)
        .expect_stderr_contains(&["is a precompiled module already"]);

    // A damaged file is an error, not a crash.
    let mut bytes = std::fs::read(cwasm).unwrap();
    bytes.truncate(bytes.len() / 2);
    let damaged = scratch.0.join("damaged.cwasm");
    std::fs::write(&damaged, bytes).unwrap();
    run(&[
        "--allow-precompiled",
        "--invoke",
        "square",
        path_str(&damaged),
        "3",
    ])
    .expect_status(1)
    .expect_stderr_contains(&["Error: cannot load the precompiled module"]);
}

#[test]
fn compiled_wasi_program_runs_like_its_source() {
    let scratch = Scratch::new("cli-compile-wasi");
    let out = scratch.0.join("guest.cwasm");
    run(&["compile", "-o", path_str(&out), path_str(&guest())]).expect_status(0);
    run(&["--allow-precompiled", path_str(&out), "args", "x"])
        .expect_status(0)
        .expect_stdout("argc=3\nargv[0]=guest.cwasm\nargv[1]=args\nargv[2]=x\n");
}

#[test]
fn fuel_runs_out_as_a_trap() {
    let scratch = Scratch::new("cli-fuel");
    let wat = write(
        &scratch.0,
        "spin.wat",
        r#"(module
             (func (export "spin") (loop (br 0)))
             (func (export "count") (param i32) (result i32) (local i32)
               (block (loop
                 (br_if 1 (i32.eqz (local.get 0)))
                 (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                 (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                 (br 0)))
               (local.get 1)))"#,
    );
    run(&["--fuel", "10000", "--invoke", "spin", &wat])
        .expect_status(134)
        .expect_stderr_contains(&["Error: failed to run `spin`", "fuel"]);
    run(&["--fuel", "100000", "--invoke", "count", &wat, "100"])
        .expect_status(0)
        .expect_stdout("100\n");
    run(&["--fuel", "100", "--invoke", "count", &wat, "100"]).expect_status(134);
}

#[test]
fn max_memory_limits_every_memory() {
    let scratch = Scratch::new("cli-memory");
    let wat = write(
        &scratch.0,
        "memory.wat",
        r#"(module (memory (export "memory") 2)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    // Two pages do not fit in one page's worth of bytes.
    run(&["--max-memory", "65536", "--invoke", "grow", &wat, "1"])
        .expect_status(1)
        .expect_stderr_contains(&["Error: cannot instantiate", "memory_size"]);
    // Growth past the limit fails the way wasm sees failure: -1.
    run(&["--max-memory", "196608", "--invoke", "grow", &wat, "1"])
        .expect_status(0)
        .expect_stdout("2\n");
    run(&["--max-memory", "196608", "--invoke", "grow", &wat, "2"])
        .expect_status(0)
        .expect_stdout("-1\n");
    // A C program's malloc sees it too.
    let guest = guest();
    run(&[
        "--max-memory",
        "4194304",
        path_str(&guest),
        "alloc",
        "16777216",
    ])
    .expect_status(0)
    .expect_stdout("out of memory\n");
    run(&[path_str(&guest), "alloc", "16777216"])
        .expect_status(0)
        .expect_stdout("allocated\n");
}

#[test]
fn wasm_features_can_be_turned_off() {
    let scratch = Scratch::new("cli-features");
    let wat = write(
        &scratch.0,
        "simd.wat",
        r#"(module (func (export "lanes") (param i32) (result v128) (i32x4.splat (local.get 0))))"#,
    );
    run(&["--invoke", "lanes", &wat, "1"]).expect_status(0);
    // Turning SIMD off turns relaxed SIMD (which needs it) off too.
    for off in [
        &["--wasm", "simd=n"][..],
        &["-W", "simd=no,threads"],
        &["--wasm=simd=false"],
    ] {
        let mut args = off.to_vec();
        args.extend_from_slice(&["--invoke", "lanes", &wat, "1"]);
        run(&args)
            .expect_status(1)
            .expect_stderr_contains(&["Error: cannot compile", "SIMD"]);
    }
    // What the engine cannot honour is the engine's error.
    run(&[
        "-W",
        "simd=n,relaxed-simd=y",
        "--invoke",
        "lanes",
        &wat,
        "1",
    ])
    .expect_status(1)
    .expect_stderr_contains(&["Error: cannot create the engine", "wasm_relaxed_simd"]);
    // The last setting wins.
    run(&["-W", "simd=n", "-W", "simd", "--invoke", "lanes", &wat, "1"]).expect_status(0);
    // Compile honours them as well.
    run(&["compile", "-W", "simd=n", &wat])
        .expect_status(1)
        .expect_stderr_contains(&["SIMD"]);
}

#[test]
fn bad_files_are_clear_errors() {
    let scratch = Scratch::new("cli-bad");
    let missing = path_str(&scratch.0.join("missing.wasm")).to_string();
    run(&[&missing]).expect_status(1).expect_stderr_contains(&[
        "Error: cannot read `",
        "missing.wasm",
        "No such file",
    ]);
    let garbage = scratch.0.join("garbage.wasm");
    std::fs::write(&garbage, [0xde, 0xad, 0xbe, 0xef, 1, 2, 3]).unwrap();
    run(&[path_str(&garbage)])
        .expect_status(1)
        .expect_stderr_contains(&["Error: cannot compile `", "garbage.wasm"]);
    let bad_text = write(
        &scratch.0,
        "bad.wat",
        "(module (func (export \"f\") (i32.add)))",
    );
    run(&[&bad_text])
        .expect_status(1)
        .expect_stderr_contains(&["Error: cannot compile `"]);
    let not_text = write(&scratch.0, "typo.wat", "(modle)");
    run(&[&not_text])
        .expect_status(1)
        .expect_stderr_contains(&["Error: cannot parse `", "as WebAssembly text"]);
    let unknown_import = write(
        &scratch.0,
        "import.wat",
        r#"(module (import "env" "nowhere" (func)))"#,
    );
    run(&[&unknown_import])
        .expect_status(1)
        .expect_stderr_contains(&["Error: cannot instantiate `", "nowhere"]);
    run(&["compile", &missing]).expect_status(1);
}

/// The README's main example: the checked-in `examples-wasi/hello.wasm`
/// and a fresh build of `hello.c` print `hello.expected` when run as
/// `run-example` runs them, so the checked-in binary is the source's.
#[test]
fn main_example_prints_its_expected_output() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples-wasi");
    let expected = std::fs::read_to_string(examples.join("hello.expected")).unwrap();
    let fresh = build_dir().join("hello.wasm");
    compile_wasi(&[&examples.join("hello.c")], &["-Wl,--strip-debug"], &fresh);
    for program in [examples.join("hello.wasm"), fresh] {
        run(&[
            "run",
            "--env",
            "GREETING=Hello",
            path_str(&program),
            "world",
        ])
        .expect_status(0)
        .expect_stdout(&expected);
    }
}

#[test]
fn code_generation_options_reach_the_engine() {
    let scratch = Scratch::new("cli-codegen");
    let wat = write(
        &scratch.0,
        "add.wat",
        r#"(module (func $add_numbers (export "add") (param i32 i32) (result i32)
             (i32.add (local.get 0) (local.get 1))))"#,
    );
    for level in ["0", "1", "2", "s", "opt-level=2"] {
        run(&["-O", level, "--invoke", "add", &wat, "40", "2"])
            .expect_status(0)
            .expect_stdout("42\n");
    }
    // perfmap: /tmp/perf-<pid>.map names the module's functions.
    let child = Command::new(cli_binary())
        .args(["--profile=perfmap", "--invoke", "add", &wat, "1", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let map = PathBuf::from(format!("/tmp/perf-{}.map", child.id()));
    Run::from(child.wait_with_output().unwrap())
        .expect_status(0)
        .expect_stdout("3\n");
    let text = std::fs::read_to_string(&map).unwrap_or_default();
    let _ = std::fs::remove_file(&map);
    assert!(text.contains("add_numbers"), "{}: {text:?}", map.display());
    // VTune without its collector (INTEL_JIT_PROFILER64 unset) runs and
    // reports to nobody.
    run(&["--profile", "vtune", "--invoke", "add", &wat, "1", "2"])
        .expect_status(0)
        .expect_stdout("3\n");
}
