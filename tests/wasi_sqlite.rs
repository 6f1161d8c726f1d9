//! A real program under WASI: sqlite3 (the 3.46.0 amalgamation that the
//! `libsqlite3-sys` dev-dependency ships) and our driver
//! (tests/wasi-programs/sqlite/driver.c), built to wasm32-wasi with clang,
//! run through the `wasm-runtime` command line and through the Rust API.
//!
//! Three runs on one database file in a preopened directory, each a new
//! instance (through the CLI, a new process): create.sql builds it
//! (tables, a few thousand rows from recursive CTEs in a transaction,
//! indexes, a view, a trigger, joins, aggregates, text functions, a rolled
//! back transaction and savepoint), error.sql stops at a constraint
//! violation, and reopen.sql finds what the first two committed and
//! changes it through a truncated journal, then VACUUMs. sqlite for WASI
//! has no WAL (it needs shared memory) and locks with its `unix-dotfile`
//! VFS (a `.lock` directory beside the database, made and removed through
//! WASI), so the journals are rollback journals, deleted and truncated.
//! Each run's stdout is checked exactly against its `.expected` file, which
//! the native sqlite3 shell and Python's sqlite3 module both print for the
//! same scripts. On the host, the files appear in the preopened directory
//! and nowhere else, and the database file is a well-formed sqlite file;
//! paths outside the preopens, or in a read-only one, cannot be opened.

mod support;
use support::describe;

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};

use wasm_runtime::engine::Engine;
use wasm_runtime::linker::Linker;
use wasm_runtime::module::Module;
use wasm_runtime::runtime::{Extern, Store};
use wasm_runtime::wasi::{self, DirPerms, FilePerms, OutputSink, WasiConfig};

const PROGRAM_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wasi-programs/sqlite");
const SCRIPTS: [&str; 3] = ["create.sql", "error.sql", "reopen.sql"];
/// The package whose `sqlite3/` holds the amalgamation (see Cargo.toml).
const SQLITE_PACKAGE: &str = "libsqlite3-sys";
const SQLITE_VERSION: &str = "3.46.0";

/// What error.sql makes the driver say: its third statement breaks the
/// UNIQUE constraint on `products.name`.
const ERROR_STDERR: &str = "/scripts/error.sql:7: error: UNIQUE constraint failed: products.name\n";

/// sqlite3 for WASI: no threads, no extension loading, and wasi-libc's
/// emulations of what it uses from POSIX (mmap, getpid, signals, clock()).
const SQLITE_FLAGS: &[&str] = &[
    "-DSQLITE_THREADSAFE=0",
    "-DSQLITE_OMIT_LOAD_EXTENSION",
    "-DLONGDOUBLE_TYPE=double",
    "-D_WASI_EMULATED_MMAN",
    "-D_WASI_EMULATED_GETPID",
    "-D_WASI_EMULATED_SIGNAL",
    "-D_WASI_EMULATED_PROCESS_CLOCKS",
    "-lwasi-emulated-mman",
    "-lwasi-emulated-getpid",
    "-lwasi-emulated-signal",
    "-lwasi-emulated-process-clocks",
];

/// The directory holding the amalgamation, found through cargo (the
/// package's manifest in cargo's metadata). `--offline`: building this test
/// downloaded the package already; `--filter-platform`: only what this
/// host builds, so nothing for other platforms is fetched either.
fn sqlite_source_dir() -> PathBuf {
    let host = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("-vV")
        .output()
        .expect("running rustc -vV");
    let host = String::from_utf8(host.stdout).unwrap();
    let host = host
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", host, "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("running cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = String::from_utf8(output.stdout).unwrap();
    // The package object starts with its name; its manifest_path follows.
    let package = json
        .find(&format!("{{\"name\":\"{SQLITE_PACKAGE}\""))
        .unwrap_or_else(|| panic!("{SQLITE_PACKAGE} is not in cargo metadata"));
    let key = "\"manifest_path\":\"";
    let start = package + json[package..].find(key).unwrap() + key.len();
    let manifest = &json[start..start + json[start..].find('"').unwrap()];
    assert!(!manifest.contains('\\'), "unexpected escapes in {manifest}");
    let dir = Path::new(manifest).parent().unwrap().join("sqlite3");
    let header = std::fs::read_to_string(dir.join("sqlite3.h"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("sqlite3.h").display()));
    assert!(
        header.contains(&format!(
            "#define SQLITE_VERSION        \"{SQLITE_VERSION}\""
        )),
        "{} is not sqlite {SQLITE_VERSION}",
        dir.display()
    );
    dir
}

/// sqlite3.c and driver.c built to wasm32-wasi (about 20 s), kept in the
/// target directory under a hash of the sources, the flags and the compiler,
/// so later runs reuse it. Built once per process.
fn sqlite_wasm() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let sqlite = sqlite_source_dir();
        let sources = [
            sqlite.join("sqlite3.c"),
            Path::new(PROGRAM_DIR).join("driver.c"),
        ];
        let include = format!("-I{}", sqlite.display());
        let mut flags = vec![include.as_str()];
        flags.extend_from_slice(SQLITE_FLAGS);

        // Our own code is warning-free; sqlite's is not, so check it alone.
        support::require_tool("clang", "clang");
        let check = Command::new("clang")
            .args([
                "--target=wasm32-wasi",
                "-fsyntax-only",
                "-Wall",
                "-Wextra",
                "-Werror",
            ])
            .args(&flags[..1])
            .arg(&sources[1])
            .output()
            .expect("running clang");
        assert!(
            check.status.success(),
            "driver.c has warnings:\n{}",
            String::from_utf8_lossy(&check.stderr)
        );

        let mut hash = DefaultHasher::new();
        for source in &sources {
            std::fs::read(source).unwrap().hash(&mut hash);
        }
        flags.hash(&mut hash);
        Command::new("clang")
            .arg("--version")
            .output()
            .unwrap()
            .stdout
            .hash(&mut hash);
        // target/<profile>/deps/<this test> -> target/<profile>/wasi-programs
        let exe = std::env::current_exe().unwrap();
        let cache = exe
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("wasi-programs");
        std::fs::create_dir_all(&cache).unwrap();
        let wasm = cache.join(format!("sqlite-{:016x}.wasm", hash.finish()));
        if !wasm.exists() {
            let partial = cache.join(format!("sqlite-{}.wasm.partial", std::process::id()));
            let sources: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
            support::compile_wasi(&sources, &flags, &partial);
            std::fs::rename(&partial, &wasm).unwrap();
        }
        wasm
    })
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(Path::new(PROGRAM_DIR).join(name)).unwrap()
}

/// The scratch layout every run uses: `data/` (empty, preopened as /data)
/// for the database and `scripts/` (preopened as /scripts) with copies of
/// the scripts.
struct Layout {
    scratch: support::Scratch,
    data: PathBuf,
    scripts: PathBuf,
}

impl Layout {
    fn new(name: &str) -> Layout {
        let scratch = support::Scratch::new(name);
        let data = scratch.0.join("data");
        let scripts = scratch.0.join("scripts");
        std::fs::create_dir(&data).unwrap();
        std::fs::create_dir(&scripts).unwrap();
        for script in SCRIPTS {
            std::fs::copy(Path::new(PROGRAM_DIR).join(script), scripts.join(script)).unwrap();
        }
        Layout {
            scratch,
            data,
            scripts,
        }
    }
}

/// The files directly in `dir`, with their sizes.
fn listing(dir: &Path) -> BTreeMap<String, u64> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            (name, entry.metadata().unwrap().len())
        })
        .collect()
}

fn names(listing: &BTreeMap<String, u64>) -> Vec<&str> {
    listing.keys().map(String::as_str).collect()
}

/// Checks the database file as sqlite's file format describes it: the
/// magic string, 4096-byte pages, a rollback journal (not WAL), and a
/// page count in the header that matches the file's size.
fn check_database_file(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.len() >= 100,
        "{} is {} bytes",
        path.display(),
        bytes.len()
    );
    assert_eq!(&bytes[..16], b"SQLite format 3\0", "{}", path.display());
    let page_size = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    assert_eq!(page_size, 4096);
    assert_eq!(
        (bytes[18], bytes[19]),
        (1, 1),
        "legacy (rollback journal) format"
    );
    let pages = u32::from_be_bytes(bytes[28..32].try_into().unwrap()) as usize;
    assert_eq!(
        pages * page_size,
        bytes.len(),
        "header page count against file size"
    );
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8 output")
}

#[test]
fn sqlite_runs_scripts_through_the_cli() {
    let wasm = sqlite_wasm();
    let cli = support::cli_binary();
    let layout = Layout::new("wasi-sqlite-cli");
    let root = &layout.scratch.0;

    // Precompile once; the later runs start from the .cwasm.
    let cwasm = root.join("sqlite.cwasm");
    let output = Command::new(&cli)
        .arg("compile")
        .arg(wasm)
        .arg("-o")
        .arg(&cwasm)
        .output()
        .unwrap();
    assert!(output.status.success(), "compile: {}", describe(&output));
    assert!(std::fs::metadata(&cwasm).unwrap().len() > 0);

    let run = |program: &Path, args: &[&str]| -> Output {
        let precompiled = program.extension().is_some_and(|e| e == "cwasm");
        Command::new(&cli)
            .arg("run")
            .args(precompiled.then_some("--allow-precompiled"))
            .arg("--dir")
            .arg(format!("{}::/data", layout.data.display()))
            .arg("--dir")
            .arg(format!("{}::/scripts", layout.scripts.display()))
            .arg(program)
            .args(args)
            .current_dir(root)
            .output()
            .unwrap()
    };
    let script_files = listing(&layout.scripts);

    // 1. From the .wasm: create the database.
    let output = run(wasm, &["/data/test.db", "/scripts/create.sql"]);
    assert!(output.status.success(), "create.sql: {}", describe(&output));
    assert_eq!(text(&output.stderr), "", "create.sql");
    assert_eq!(text(&output.stdout), expected("create.expected"));
    // The database is in the preopened directory; its journal was deleted
    // at commit (journal_mode=DELETE) and no lock directory is left.
    assert_eq!(names(&listing(&layout.data)), ["test.db"]);
    check_database_file(&layout.data.join("test.db"));

    // 2. From the .cwasm: an error ends the program with status 1, after
    // the rows before it, with the statement's line and sqlite's message.
    let output = run(&cwasm, &["/data/test.db", "/scripts/error.sql"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "error.sql: {}",
        describe(&output)
    );
    assert_eq!(text(&output.stdout), expected("error.expected"));
    assert_eq!(text(&output.stderr), ERROR_STDERR);

    // 3. A new process on the persisted file; the truncated journal stays.
    let output = run(&cwasm, &["/data/test.db", "/scripts/reopen.sql"]);
    assert!(output.status.success(), "reopen.sql: {}", describe(&output));
    assert_eq!(text(&output.stderr), "", "reopen.sql");
    assert_eq!(text(&output.stdout), expected("reopen.expected"));
    let data = listing(&layout.data);
    assert_eq!(names(&data), ["test.db", "test.db-journal"]);
    assert_eq!(
        data["test.db-journal"], 0,
        "journal_mode=TRUNCATE empties it"
    );
    check_database_file(&layout.data.join("test.db"));

    // Paths that leave the preopened directories cannot be opened, and
    // nothing is created where they point.
    for outside in ["/data/../outside.db", "/outside.db", "outside.db"] {
        let output = run(&cwasm, &[outside, "/scripts/create.sql"]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{outside}: {}",
            describe(&output)
        );
        assert_eq!(text(&output.stdout), "", "{outside}");
        assert!(
            text(&output.stderr).contains("unable to open database file"),
            "{outside}: {}",
            describe(&output)
        );
    }
    let script_dir = root.join("scripts");
    assert_eq!(
        listing(&script_dir),
        script_files,
        "the scripts are untouched"
    );
    assert_eq!(
        names(&listing(&layout.data)),
        ["test.db", "test.db-journal"]
    );
    assert_eq!(
        names(&listing(root)),
        ["data", "scripts", "sqlite.cwasm"],
        "nothing was written outside the preopened directories"
    );
}

/// Runs the driver once through the Rust API, with stdout and stderr
/// captured; returns (exit status, stdout, stderr).
fn run_in_process(
    linker: &Linker,
    module: &Module,
    layout: &Layout,
    args: &[&str],
) -> (i32, String, String) {
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let capture = |buffer: &Arc<Mutex<Vec<u8>>>| {
        let buffer = buffer.clone();
        OutputSink::Custom(Box::new(move |bytes: &[u8]| {
            buffer.lock().unwrap().extend_from_slice(bytes);
            bytes.len() as isize
        }))
    };
    let mut config = WasiConfig::new();
    config
        .set_argv(std::iter::once("driver").chain(args.iter().copied()))
        .preopen_dir(
            &layout.data,
            "/data",
            DirPerms(DirPerms::READ.0 | DirPerms::MUTATE.0),
            FilePerms(FilePerms::READ.0 | FilePerms::WRITE.0),
        )
        .preopen_dir(&layout.scripts, "/scripts", DirPerms::READ, FilePerms::READ);
    config.stdout = capture(&stdout);
    config.stderr = capture(&stderr);

    let store = Store::new(linker.engine());
    wasi::set_store_wasi(&store, config).expect("WASI context");
    let instance = linker.instantiate(&store, module).expect("instantiate");
    let start = instance
        .get_export("_start")
        .and_then(Extern::into_func)
        .expect("a WASI command exports _start");
    let status = match start.call(&[], &mut []) {
        Ok(()) => 0,
        Err(trap) => wasi::exit_status(&trap).unwrap_or_else(|| panic!("trapped: {trap}")),
    };
    drop(store);
    let take = |b: Arc<Mutex<Vec<u8>>>| String::from_utf8(b.lock().unwrap().clone()).unwrap();
    (status, take(stdout), take(stderr))
}

#[test]
fn sqlite_runs_scripts_through_the_rust_api() {
    let wasm = std::fs::read(sqlite_wasm()).unwrap();
    let layout = Layout::new("wasi-sqlite-api");
    let engine = Engine::default();
    let module = Module::new(&engine, &wasm).expect("sqlite compiles");
    let mut linker = Linker::new(&engine);
    wasi::add_to_linker(&mut linker).expect("WASI functions");

    let db = "/data/test.db";
    let (status, stdout, stderr) =
        run_in_process(&linker, &module, &layout, &[db, "/scripts/create.sql"]);
    assert_eq!((status, stderr.as_str()), (0, ""), "create.sql:\n{stdout}");
    assert_eq!(stdout, expected("create.expected"));

    let (status, stdout, stderr) =
        run_in_process(&linker, &module, &layout, &[db, "/scripts/error.sql"]);
    assert_eq!(
        (status, stderr.as_str()),
        (1, ERROR_STDERR),
        "error.sql:\n{stdout}"
    );
    assert_eq!(stdout, expected("error.expected"));

    // The same module deserialized from its serialized form, as a
    // precompiled file would be.
    let module = Module::deserialize(&engine, &module.serialize().unwrap()).unwrap();
    let (status, stdout, stderr) =
        run_in_process(&linker, &module, &layout, &[db, "/scripts/reopen.sql"]);
    assert_eq!((status, stderr.as_str()), (0, ""), "reopen.sql:\n{stdout}");
    assert_eq!(stdout, expected("reopen.expected"));
    assert_eq!(
        names(&listing(&layout.data)),
        ["test.db", "test.db-journal"]
    );
    check_database_file(&layout.data.join("test.db"));

    // The scripts' directory is read-only to the guest: sqlite cannot
    // create a database there.
    let (status, stdout, stderr) = run_in_process(
        &linker,
        &module,
        &layout,
        &["/scripts/new.db", "/scripts/create.sql"],
    );
    assert_eq!((status, stdout.as_str()), (1, ""), "{stderr}");
    assert!(stderr.contains("unable to open database file"), "{stderr}");
    assert_eq!(names(&listing(&layout.scripts)), SCRIPTS);
}
