//! WASI preview 1 through the Rust API: C guests compiled with wasi-libc
//! (`tests/wasi/*.c`) and a few text-format guests for exact error codes,
//! run with `wasi::add_to_linker` and `wasi::set_store_wasi`. Sandbox
//! results are checked on the host as well as in the guest.

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use support::{Capture, Scratch};
use wasm_runtime::engine::Engine;
use wasm_runtime::linker::Linker;
use wasm_runtime::module::Module;
use wasm_runtime::runtime::{Extern, Store, Trap, Val};
use wasm_runtime::wasi::{
    self, DirPerms, FilePerms, InputSource, OutputSink, PreopenSocket, WasiConfig,
};

/// The guest `tests/wasi/{name}.c`, compiled once per test process.
fn guest(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(wasm) = built.get(name) {
        return wasm.clone();
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasi");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasi-guests");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join(format!("{name}-{}.wasm", std::process::id()));
    let src = dir.join(format!("{name}.c"));
    support::compile_wasi(&[&src], &["-Wall", "-Werror"], &out);
    let wasm = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    built.insert(name.to_string(), wasm.clone());
    wasm
}

/// What one run of a command left behind.
struct Run {
    result: Result<(), Trap>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The exit status: 0 for a `_start` that returned.
    fn status(&self) -> Option<i32> {
        match &self.result {
            Ok(()) => Some(0),
            Err(t) => t.exit_status(),
        }
    }

    /// Asserts the run ended with status 0, showing its output otherwise.
    fn assert_success(&self) {
        assert_eq!(
            self.status(),
            Some(0),
            "the guest failed: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.result.as_ref().err().map(Trap::message),
            self.stdout,
            self.stderr
        );
    }

    /// The value after `key=` on the line starting with it.
    fn value(&self, key: &str) -> String {
        let prefix = format!("{key}=");
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no `{key}=` line in the output:\n{}", self.stdout))
            .to_string()
    }

    fn errno(&self, key: &str) -> i32 {
        let v = self.value(key);
        v.split_whitespace().next().unwrap().parse().unwrap()
    }
}

/// Instantiates `wasm` with WASI and calls `_start`. Standard output and
/// error are captured unless `config` sends them elsewhere already.
fn run(wasm: &[u8], mut config: WasiConfig) -> Run {
    let (out, err) = (Capture::default(), Capture::default());
    if matches!(config.stdout, OutputSink::Discard) {
        config.stdout = out.sink();
    }
    if matches!(config.stderr, OutputSink::Discard) {
        config.stderr = err.sink();
    }
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).expect("the guest compiles");
    let store = Store::new(&engine);
    let mut linker = Linker::new(&engine);
    wasi::add_to_linker(&mut linker).expect("WASI defines");
    wasi::set_store_wasi(&store, config).expect("the WASI context builds");
    let instance = linker
        .instantiate(&store, &module)
        .expect("the guest links");
    let start = instance
        .get_export("_start")
        .and_then(Extern::into_func)
        .expect("a command exports _start");
    let result = start.call(&[], &mut []);
    drop(instance);
    drop(store);
    Run {
        result,
        stdout: out.text(),
        stderr: err.text(),
    }
}

fn config_with_args(args: &[&str]) -> WasiConfig {
    let mut c = WasiConfig::new();
    c.set_argv(args);
    c
}

#[test]
fn arguments_environment_and_byte_stdin() {
    let mut config = config_with_args(&["prog", "one", "two words"]);
    config.set_env([("GREETING", "hello there"), ("EMPTY", "")]);
    config.stdin = InputSource::Bytes(b"piped input, longer than one read".to_vec());
    let run = run(&guest("stdio"), config);
    run.assert_success();
    assert_eq!(run.value("argc"), "3");
    assert_eq!(run.value("argv[0]"), "prog");
    assert_eq!(run.value("argv[1]"), "one");
    assert_eq!(run.value("argv[2]"), "two words");
    assert_eq!(run.value("GREETING"), "hello there");
    assert_eq!(run.value("EMPTY"), "");
    assert_eq!(run.value("MISSING"), "(unset)");
    assert_eq!(run.value("environ count"), "2");
    assert!(
        run.stdout
            .contains("\nstdin:piped input, longer than one read\n"),
        "{}",
        run.stdout
    );
    assert_eq!(run.value("stdin bytes"), "33 read result=0");
    assert_eq!(run.stderr, "to stderr\n");
}

#[test]
fn empty_stdin_file_stdin_and_file_stdout() {
    let scratch = Scratch::new("wasi-stdio-files");
    // Empty stdin (the default) reads end of file at once.
    let run1 = run(&guest("stdio"), config_with_args(&["p"]));
    run1.assert_success();
    assert_eq!(run1.value("stdin bytes"), "0 read result=0");

    let input = scratch.0.join("in.txt");
    std::fs::write(&input, "from a file").unwrap();
    let output = scratch.0.join("out.txt");
    std::fs::write(&output, "old contents that must go away").unwrap();
    let mut config = config_with_args(&["p"]);
    config.stdin = InputSource::File(input);
    config.stdout = OutputSink::File(output.clone());
    let run2 = run(&guest("stdio"), config);
    run2.assert_success();
    assert_eq!(run2.stdout, "", "stdout went to the file");
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(written.starts_with("argc=1\n"), "{written}");
    assert!(
        written.contains("stdin:from a file\nstdin bytes=11"),
        "{written}"
    );
    assert_eq!(run2.stderr, "to stderr\n");
}

#[test]
fn missing_files_and_directories_are_errors_naming_them() {
    let engine = Engine::default();
    let store = Store::new(&engine);
    let mut config = WasiConfig::new();
    config.stdin = InputSource::File("/no/such/stdin-file".into());
    let err = wasi::set_store_wasi(&store, config)
        .unwrap_err()
        .to_string();
    assert!(err.contains("/no/such/stdin-file"), "{err}");

    let mut config = WasiConfig::new();
    config.preopen_dir("/no/such/dir", "/data", DirPerms::READ, FilePerms::READ);
    let err = wasi::set_store_wasi(&store, config)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/no/such/dir") && err.contains("/data"),
        "{err}"
    );

    let mut config = WasiConfig::new();
    config.sockets.push(PreopenSocket::Listen {
        fd: 5,
        address: "not an address".into(),
    });
    let err = wasi::set_store_wasi(&store, config)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an address"), "{err}");

    let mut config = WasiConfig::new();
    config.sockets.push(PreopenSocket::Listener {
        fd: 1,
        listener: TcpListener::bind("127.0.0.1:0").unwrap(),
    });
    let err = wasi::set_store_wasi(&store, config)
        .unwrap_err()
        .to_string();
    assert!(err.contains("descriptor 1 is already taken"), "{err}");
}

#[test]
fn exit_statuses() {
    let wasm = guest("exit");
    let status = |how: &str, n: &str| run(&wasm, config_with_args(&["exit", how, n]));
    // `return 0` from main: `_start` returns normally.
    let r = status("return", "0");
    assert!(r.result.is_ok());
    assert_eq!(status("return", "7").status(), Some(7));
    assert_eq!(status("exit", "3").status(), Some(3));
    assert_eq!(status("exit", "0").status(), Some(0));
    let r = status("proc_exit", "0");
    assert_eq!(r.result.as_ref().unwrap_err().exit_status(), Some(0));
    assert_eq!(status("proc_exit", "3").status(), Some(3));
    assert_eq!(status("proc_exit", "125").status(), Some(125));
    // Outside [0, 126): a plain trap, as the reference makes it.
    let r = status("proc_exit", "200");
    let trap = r.result.unwrap_err();
    assert_eq!(trap.exit_status(), None);
    assert!(
        trap.message().contains("invalid exit status"),
        "{}",
        trap.message()
    );
    assert_eq!(wasi::exit_status(&Trap::exit(9)), Some(9));
}

/// A preopen `/sandbox` of `dir`, with every permission.
fn sandbox_config(dir: &Path) -> WasiConfig {
    let mut c = config_with_args(&["guest"]);
    c.preopen_dir(
        dir,
        "/sandbox",
        DirPerms(DirPerms::READ.0 | DirPerms::MUTATE.0),
        FilePerms(FilePerms::READ.0 | FilePerms::WRITE.0),
    );
    c
}

#[test]
fn files_and_directories() {
    let scratch = Scratch::new("wasi-fs");
    let root = scratch.0.join("sandbox");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("input.txt"), "hello from the host\n").unwrap();
    let run = run(&guest("fs"), sandbox_config(&root));
    run.assert_success();
    assert!(
        run.stdout.contains("readdir: . .. a b c\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("fs ok\n"), "{}", run.stdout);

    // What the guest did, seen from the host (times first: reading the
    // file would move its access time).
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(root.join("trunc.txt")).unwrap();
    assert_eq!((md.mtime(), md.atime()), (1_300_000_000, 1_200_000_000));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    assert_eq!(read("out.txt"), "01ab4XY789!");
    assert_eq!(read("trunc.txt"), "0123");
    assert_eq!(read("dir/renamed"), "x");
    assert_eq!(read("dir/c"), "x");
    assert!(!root.join("dir/a").exists() && !root.join("dir/b").exists());
    assert!(!root.join("empty").exists() && !root.join("dirlink").exists());
    assert_eq!(
        std::fs::read_link(root.join("link")).unwrap(),
        PathBuf::from("out.txt")
    );
    assert_eq!(read("hard.txt"), "01ab4XY789!");
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "dir",
            "hard.txt",
            "input.txt",
            "link",
            "new.txt",
            "out.txt",
            "trunc.txt"
        ]
    );
}

// Error codes of preview 1 (witx numbering).
const EAGAIN: i32 = 6;
const EBADF: i32 = 8;
const EINVAL: i32 = 28;
const ELOOP: i32 = 32;
const ENAMETOOLONG: i32 = 37;
const ENOTDIR: i32 = 54;
const ENOTSOCK: i32 = 57;
const ENOTSUP: i32 = 58;
const EPERM: i32 = 63;
const ESPIPE: i32 = 70;
const ENOTCAPABLE: i32 = 76;

#[test]
fn sandbox_escapes_are_refused() {
    let scratch = Scratch::new("wasi-sandbox");
    let root = scratch.0.join("sandbox");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(scratch.0.join("outside.txt"), "secret").unwrap();
    std::fs::write(root.join("inside.txt"), "inside").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("evil_link")).unwrap();
    std::os::unix::fs::symlink("../outside.txt", root.join("up_link")).unwrap();

    let run = run(&guest("sandbox"), sandbox_config(&root));
    run.assert_success();
    // Every escape is EPERM, as the reference answers (cap-std's escape
    // error); a final symlink not followed is ELOOP.
    for key in [
        "dotdot",
        "dotdot_inner",
        "absolute",
        "symlink_absolute",
        "symlink_relative_out",
        "stat_symlink_out",
        "stat_dotdot",
        "readlink_absolute",
        "symlink_create_absolute",
        "hardlink_from_outside",
        "hardlink_to_outside",
        "rename_out",
        "rename_in",
        "mkdir_out",
        "unlink_out",
        "rmdir_out",
        "create_out",
        "create_via_symlink",
    ] {
        assert_eq!(run.errno(key), EPERM, "{key}\n{}", run.stdout);
    }
    assert_eq!(run.errno("symlink_nofollow"), ELOOP);
    assert_eq!(
        run.value("libc_absolute"),
        format!("-1 errno={ENOTCAPABLE}")
    );

    // Nothing outside the preopen was touched.
    assert_eq!(
        std::fs::read_to_string(scratch.0.join("outside.txt")).unwrap(),
        "secret"
    );
    for p in ["moved.txt", "newdir", "hard_out", "created.txt"] {
        assert!(!scratch.0.join(p).exists(), "{p} was created outside");
    }
    for p in ["abs_link", "hard_in", "stolen.txt"] {
        assert!(root.join(p).symlink_metadata().is_err(), "{p} was created");
    }
    assert_eq!(
        std::fs::read_to_string(root.join("inside.txt")).unwrap(),
        "inside"
    );
    let passwd = std::fs::metadata("/etc/passwd").unwrap();
    assert!(passwd.len() > 0, "/etc/passwd was truncated");
    assert_eq!(
        std::fs::read_link(root.join("ok_link")).unwrap(),
        PathBuf::from("inside.txt")
    );
}

#[test]
fn read_only_preopen_refuses_changes() {
    let scratch = Scratch::new("wasi-readonly");
    let root = scratch.0.join("ro");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("data.txt"), "read me").unwrap();
    let mut config = config_with_args(&["guest"]);
    config.preopen_dir(&root, "/ro", DirPerms::READ, FilePerms::READ);
    let run = run(&guest("readonly"), config);
    run.assert_success();
    // The preopen's permissions: EPERM, as the reference enforces them.
    for key in [
        "open_write",
        "open_rdwr",
        "open_trunc",
        "create",
        "mkdir",
        "unlink",
        "rename",
        "symlink",
        "link",
        "utimens",
        "raw_create",
    ] {
        assert_eq!(run.errno(key), EPERM, "{key}\n{}", run.stdout);
    }
    // A descriptor opened for reading lacks the right to write.
    assert_eq!(run.errno("write_readonly_fd"), ENOTCAPABLE);
    // (wasi-libc's `write` reports ENOTCAPABLE as EBADF.)
    assert_eq!(
        run.value("libc_write_readonly_fd"),
        format!("-1 errno={EBADF}")
    );
    assert_eq!(run.errno("truncate_readonly_fd"), ENOTCAPABLE);
    assert_eq!(
        std::fs::read_to_string(root.join("data.txt")).unwrap(),
        "read me"
    );
    let names: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
    assert_eq!(names.len(), 1, "only data.txt is there");
}

#[test]
fn descriptor_rights_and_misuse() {
    let scratch = Scratch::new("wasi-rights");
    let run = run(&guest("rights"), sandbox_config(&scratch.0));
    run.assert_success();
    for key in [
        "write_after_drop",
        "pwrite_after_drop",
        "regain",
        "read_without_right",
        "seek_without_right",
        "tell_without_right",
        "open_without_right",
        "write_not_inherited",
        "set_flags_readonly_right",
    ] {
        assert_eq!(run.errno(key), ENOTCAPABLE, "{key}\n{}", run.stdout);
    }
    // wasi-libc's `write` reports ENOTCAPABLE as EBADF.
    assert_eq!(
        run.value("libc_write_after_drop"),
        format!("-1 errno={EBADF}")
    );
    assert_eq!(run.errno("seek_stdout"), ESPIPE);
    assert_eq!(run.errno("pread_stdin"), ESPIPE);
    assert_eq!(run.errno("read_dir"), EBADF);
    assert_eq!(run.errno("write_stdin"), EBADF);
    assert_eq!(run.errno("close_bad"), EBADF);
    assert_eq!(run.errno("prestat_stdin"), EBADF);
    assert_eq!(run.errno("old_after_renumber"), EBADF);
    assert_eq!(run.errno("renumber_bad"), EBADF);
    assert_eq!(run.errno("prestat_name_short"), ENAMETOOLONG);
    assert_eq!(run.errno("open_file_as_dir"), ENOTDIR);
    assert_eq!(run.errno("open_dir_creat"), EINVAL);
    assert_eq!(run.errno("seek_whence_bad"), EINVAL);
    assert_eq!(run.errno("set_flags_sync"), EINVAL);
    assert_eq!(
        std::fs::read_to_string(scratch.0.join("r.txt")).unwrap(),
        "data"
    );
}

#[test]
fn clocks_randomness_and_sleeping() {
    let host_before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let started = std::time::Instant::now();
    let run = run(&guest("clocks"), config_with_args(&["clocks"]));
    run.assert_success();
    let guest_now: u64 = run.value("realtime_s").parse().unwrap();
    assert!(
        guest_now + 1 >= host_before && guest_now <= host_before + 60,
        "realtime {guest_now} vs host {host_before}"
    );
    let slept: u64 = run.value("relative_sleep_ms").parse().unwrap();
    assert!(slept >= 50, "a 50 ms poll_oneoff slept {slept} ms");
    let slept: u64 = run.value("absolute_sleep_ms").parse().unwrap();
    assert!(
        slept >= 29,
        "a 30 ms absolute deadline came after {slept} ms"
    );
    let slept: u64 = run.value("realtime_sleep_ms").parse().unwrap();
    assert!(
        slept >= 19,
        "a 20 ms realtime deadline came after {slept} ms"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(120));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Empty stdin: ready at once, at end of file.
    assert_eq!(run.value("stdin_ready_hangup"), "1");
    let random = run.value("random");
    assert_eq!(random.len(), 16);
    assert_ne!(random, "0000000000000000");
    assert_eq!(run.errno("clock_bad"), EINVAL);
    assert_eq!(run.errno("poll_none"), EINVAL);
    assert_eq!(run.errno("poll_badf"), EBADF);
    // Signals: unsupported, as the reference answers.
    assert_eq!(run.errno("raise"), ENOTSUP);
    assert_eq!(run.errno("yield"), 0);

    // Each run sees fresh random bytes.
    let again = self::run(&guest("clocks"), config_with_args(&["clocks"]));
    again.assert_success();
    assert_ne!(again.value("random"), random);
}

#[test]
fn listening_socket_accepts_and_echoes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        s.write_all(b"ping").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    });
    let mut config = config_with_args(&["server", "3"]);
    config
        .sockets
        .push(PreopenSocket::Listener { fd: 3, listener });
    config.inherit_network = true;
    let run = run(&guest("server"), config);
    run.assert_success();
    assert_eq!(client.join().unwrap(), "echo: ping");
    assert!(run.stdout.contains("served 4 bytes"), "{}", run.stdout);
    assert_eq!(run.errno("not_a_socket"), ENOTSOCK);
    assert_eq!(run.errno("recv_on_file"), ENOTSOCK);
    assert_eq!(run.errno("accept_bad_flags"), EINVAL);
    assert_eq!(run.errno("accept_nonblocking"), EAGAIN);
}

#[test]
fn bound_socket_and_network_gate() {
    // `Listen` binds when the context is built; with the network off the
    // socket is there but unusable (ENOTCAPABLE).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = config_with_args(&["server", "7"]);
    config.sockets.push(PreopenSocket::Listen {
        fd: 7,
        address: format!("127.0.0.1:{port}"),
    });
    let run = run(&guest("server"), config);
    assert_eq!(run.status(), Some(2), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.errno("accept"), ENOTCAPABLE);
}

/// Instantiates a text-format guest with WASI and calls its `run` export;
/// its `i32` result (an errno) or the trap.
fn run_wat(wat: &str, config: WasiConfig) -> Result<i32, Trap> {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let store = Store::new(&engine);
    let mut linker = Linker::new(&engine);
    wasi::add_to_linker(&mut linker).unwrap();
    wasi::set_store_wasi(&store, config).unwrap();
    let instance = linker.instantiate(&store, &module).unwrap();
    let f = instance
        .get_export("run")
        .and_then(Extern::into_func)
        .unwrap();
    let mut results = vec![Val::I32(0); f.result_arity()];
    f.call(&[], &mut results)?;
    Ok(results.first().and_then(Val::i32).unwrap_or(0))
}

const EFAULT: i32 = 21;
const EIO: i32 = 29;

#[test]
fn bad_pointers_are_efault() {
    // One page of memory: 65536 bytes.
    let cases = [
        // An iovec array past the end of memory.
        ("fd_write", "(call $fd_write (i32.const 1) (i32.const 0xfff8) (i32.const 2) (i32.const 0))", EFAULT),
        // An iovec whose buffer runs past the end.
        ("fd_write buffer", "(i32.store (i32.const 0) (i32.const 0xff00)) (i32.store (i32.const 4) (i32.const 0x1000)) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))", EFAULT),
        // A result pointer past the end.
        ("fd_write result", "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0xfffe))", EFAULT),
        ("huge pointer", "(call $args_sizes_get (i32.const 0xfffffffc) (i32.const 0))", EFAULT),
        // A misaligned `size*` is EINVAL, as wiggle answers.
        ("misaligned", "(call $args_sizes_get (i32.const 2) (i32.const 8))", EINVAL),
        ("random_get", "(call $random_get (i32.const 0xff00) (i32.const 0x200))", EFAULT),
        ("clock_time_get", "(call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 0xfffc))", EFAULT),
        ("path_open", "(call $path_open (i32.const 3) (i32.const 0) (i32.const 0xfff0) (i32.const 0x100) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0))", EFAULT),
        ("poll_oneoff", "(call $poll_oneoff (i32.const 0xffe0) (i32.const 0) (i32.const 1) (i32.const 64))", EFAULT),
        // Fine pointers: success.
        ("valid", "(call $args_sizes_get (i32.const 0) (i32.const 4))", 0),
    ];
    let scratch = Scratch::new("wasi-efault");
    for (what, body, want) in cases {
        let wat = format!(
            r#"(module
                (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
                (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
                (memory (export "memory") 1)
                (func (export "run") (result i32) {body}))"#
        );
        let mut config = WasiConfig::new();
        config.preopen_dir(&scratch.0, "/d", DirPerms::READ, FilePerms::READ);
        assert_eq!(run_wat(&wat, config).unwrap(), want, "{what}");
    }
}

#[test]
fn output_callback_failure_is_eio() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "hello")
        (func (export "run") (result i32)
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 5))
            (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))))"#;
    let mut config = WasiConfig::new();
    config.stderr = OutputSink::Custom(Box::new(|_| -1));
    assert_eq!(run_wat(wat, config).unwrap(), EIO);
    // A callback taking part of the bytes: a short write.
    let mut config = WasiConfig::new();
    config.stderr = OutputSink::Custom(Box::new(|b| (b.len() / 2) as isize));
    let wat_short = wat.replace(
        "(call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))))",
        "(drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))) (i32.load (i32.const 8))))",
    );
    assert_eq!(run_wat(&wat_short, config).unwrap(), 2);
}

#[test]
fn missing_memory_and_missing_context_trap() {
    // No `memory` export: functions taking pointers trap saying so;
    // those that take none work.
    let no_memory = r#"(module
        (import "wasi_snapshot_preview1" "args_sizes_get" (func $f (param i32 i32) (result i32)))
        (func (export "run") (result i32) (call $f (i32.const 0) (i32.const 4))))"#;
    let trap = run_wat(no_memory, WasiConfig::new()).unwrap_err();
    assert!(trap.message().contains("memory"), "{}", trap.message());
    assert!(
        trap.message().contains("args_sizes_get"),
        "{}",
        trap.message()
    );
    let exit_without_memory = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (func (export "run") (call $exit (i32.const 4))))"#;
    let trap = run_wat(exit_without_memory, WasiConfig::new()).unwrap_err();
    assert_eq!(trap.exit_status(), Some(4));

    // A store without a WASI context.
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(exit_without_memory).unwrap()).unwrap();
    let store = Store::new(&engine);
    let mut linker = Linker::new(&engine);
    wasi::add_to_linker(&mut linker).unwrap();
    let instance = linker.instantiate(&store, &module).unwrap();
    let f = instance
        .get_export("run")
        .and_then(Extern::into_func)
        .unwrap();
    let trap = f.call(&[], &mut []).unwrap_err();
    assert!(
        trap.message().contains("wasm_store_set_wasi") && trap.message().contains("set_store_wasi"),
        "{}",
        trap.message()
    );
    assert_eq!(trap.exit_status(), None);
}

#[test]
fn every_preview1_function_is_defined() {
    const I: &str = "i32";
    const L: &str = "i64";
    let funcs: &[(&str, &[&str], bool)] = &[
        ("args_get", &[I, I], true),
        ("args_sizes_get", &[I, I], true),
        ("environ_get", &[I, I], true),
        ("environ_sizes_get", &[I, I], true),
        ("clock_res_get", &[I, I], true),
        ("clock_time_get", &[I, L, I], true),
        ("fd_advise", &[I, L, L, I], true),
        ("fd_allocate", &[I, L, L], true),
        ("fd_close", &[I], true),
        ("fd_datasync", &[I], true),
        ("fd_fdstat_get", &[I, I], true),
        ("fd_fdstat_set_flags", &[I, I], true),
        ("fd_fdstat_set_rights", &[I, L, L], true),
        ("fd_filestat_get", &[I, I], true),
        ("fd_filestat_set_size", &[I, L], true),
        ("fd_filestat_set_times", &[I, L, L, I], true),
        ("fd_pread", &[I, I, I, L, I], true),
        ("fd_prestat_get", &[I, I], true),
        ("fd_prestat_dir_name", &[I, I, I], true),
        ("fd_pwrite", &[I, I, I, L, I], true),
        ("fd_read", &[I, I, I, I], true),
        ("fd_readdir", &[I, I, I, L, I], true),
        ("fd_renumber", &[I, I], true),
        ("fd_seek", &[I, L, I, I], true),
        ("fd_sync", &[I], true),
        ("fd_tell", &[I, I], true),
        ("fd_write", &[I, I, I, I], true),
        ("path_create_directory", &[I, I, I], true),
        ("path_filestat_get", &[I, I, I, I, I], true),
        ("path_filestat_set_times", &[I, I, I, I, L, L, I], true),
        ("path_link", &[I, I, I, I, I, I, I], true),
        ("path_open", &[I, I, I, I, I, L, L, I, I], true),
        ("path_readlink", &[I, I, I, I, I, I], true),
        ("path_remove_directory", &[I, I, I], true),
        ("path_rename", &[I, I, I, I, I, I], true),
        ("path_symlink", &[I, I, I, I, I], true),
        ("path_unlink_file", &[I, I, I], true),
        ("poll_oneoff", &[I, I, I, I], true),
        ("proc_exit", &[I], false),
        ("proc_raise", &[I], true),
        ("sched_yield", &[], true),
        ("random_get", &[I, I], true),
        ("sock_accept", &[I, I, I], true),
        ("sock_recv", &[I, I, I, I, I, I], true),
        ("sock_send", &[I, I, I, I, I], true),
        ("sock_shutdown", &[I, I], true),
    ];
    let imports: String = funcs
        .iter()
        .map(|(name, params, errno)| {
            format!(
                "(import \"wasi_snapshot_preview1\" \"{name}\" (func (param {}) {}))\n",
                params.join(" "),
                if *errno { "(result i32)" } else { "" }
            )
        })
        .collect();
    let wat = format!("(module {imports} (func (export \"run\")))");
    assert_eq!(run_wat(&wat, WasiConfig::new()).unwrap(), 0);
}

#[test]
fn inherited_streams_stay_open_after_the_store() {
    // An empty write through inherited stdout/stderr, then the store goes:
    // the host's descriptors 1 and 2 must still be open.
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "run") (result i32)
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))
            (drop (call $fd_close (i32.const 2)))
            (call $fd_close (i32.const 1))))"#;
    let mut config = WasiConfig::new();
    config.stdout = OutputSink::Inherit;
    config.stderr = OutputSink::Inherit;
    config.stdin = InputSource::Inherit;
    assert_eq!(run_wat(wat, config).unwrap(), 0);
    for fd in [0, 1, 2] {
        // SAFETY: `F_GETFD` only asks about the descriptor.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert!(flags >= 0, "host descriptor {fd} was closed");
    }
}
