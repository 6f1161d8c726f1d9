//! `target` (issue 16): an engine for the other supported architecture
//! (aarch64 on an x86-64 host, x86-64 on an aarch64 one) compiles modules
//! and serializes them for that target; the code really is that target's
//! (its functions disassemble with that architecture's objdump); running
//! it here is refused naming both triples, and so is loading the blob
//! into an engine for this host.
//!
//! Needs the other architecture's GNU objdump (`apt-get install -y
//! binutils-aarch64-linux-gnu` on x86-64, `binutils-x86-64-linux-gnu` on
//! aarch64; `.ci/run` installs it).

mod support;

use std::process::Command;
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::Module;
use wasm_runtime::runtime::{Instance, Store};

/// The other architecture: its triple, its objdump and that objdump's
/// machine name for raw code.
fn other_target() -> (&'static str, &'static str, &'static str, &'static str) {
    if cfg!(target_arch = "x86_64") {
        (
            "aarch64-unknown-linux-gnu",
            "aarch64-linux-gnu-objdump",
            "aarch64",
            "binutils-aarch64-linux-gnu",
        )
    } else {
        (
            "x86_64-unknown-linux-gnu",
            "x86_64-linux-gnu-objdump",
            "i386:x86-64",
            "binutils-x86-64-linux-gnu",
        )
    }
}

const WAT: &str = r#"(module
    (memory 1)
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "sum") (param i32) (result i64) (local i64)
        (loop $l
            (local.set 1 (i64.add (local.get 1) (i64.load (local.get 0))))
            (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 8)))))
        (local.get 1)))"#;

#[test]
fn cross_compiled_modules_serialize_for_their_target_and_refuse_to_run_here() {
    let (triple, objdump, machine, package) = other_target();
    support::require_tool(objdump, package);
    let mut config = Config::new();
    config.set_target(triple).unwrap();
    let cross = Engine::new(&config).expect("an engine for the other architecture");
    assert!(!cross.is_host_target());
    let module = Module::new(&cross, &wat::parse_str(WAT).unwrap()).expect("cross compiles");

    // The functions are that architecture's code: its objdump decodes
    // every instruction, and each has that architecture's return
    // (aarch64 `ret` is the word d65f03c0, which x86 code does not hold).
    for index in 0..2 {
        let code = module.func_code(index);
        let path = std::env::temp_dir().join(format!("cross-{}-{index}.bin", std::process::id()));
        std::fs::write(&path, code).unwrap();
        let out = Command::new(objdump)
            .args(["-D", "-b", "binary", "-m", machine])
            .arg(&path)
            .output()
            .expect("run objdump");
        std::fs::remove_file(&path).ok();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{objdump} failed: {text}");
        assert!(!text.contains("(bad)") && !text.contains(".inst"), "{text}");
        assert!(
            text.contains("\tret"),
            "function {index} has no return:\n{text}"
        );
    }

    // The blob names its target; an engine for it loads the blob back.
    let blob = module.serialize().unwrap();
    let contains = |needle: &str| blob.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains(triple),
        "the serialized module does not name {triple}"
    );
    let again = Module::deserialize(&cross, &blob).expect("the target's engine loads it");
    assert_eq!(again.func_code(1), module.func_code(1));

    // Running it here is refused, naming both triples.
    let host = target_lexicon::Triple::host().to_string();
    let store = Store::new(&cross);
    let Err(err) = Instance::new(&store, &module, &[]) else {
        panic!("instantiated code for {triple} on {host}");
    };
    let text = err.to_string();
    assert!(text.contains(triple) && text.contains(&host), "{text}");

    // So is loading the blob into an engine for this host.
    let native = Engine::default();
    let Err(err) = Module::deserialize(&native, &blob) else {
        panic!("a host engine loaded code for {triple}");
    };
    let text = err.to_string();
    assert!(text.contains(triple) && text.contains(&host), "{text}");
}
