//! The on-disk module cache (issue 20, item 6): entries are written off the
//! compiling thread yet never lost (an engine's drop waits for its entries,
//! process exit waits for all), a second engine hits them, and loading a
//! cache config creates no folder: the folder appears with the first entry,
//! so `cache_config_load_default` followed by `disable_cache` leaves none.
//!
//! Calls of the `unsafe` C functions pass valid or NULL pointers, as the C
//! contract requires.

mod support;
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::error_text;

use wasm_runtime::capi::engine::{wasm_config_new, wasm_config_t, wasm_engine_delete};
use wasm_runtime::capi::ext::config::{
    wasm_config_cache_config_load_default_set, wasm_config_cache_config_load_set,
    wasm_config_disable_cache_set,
};
use wasm_runtime::capi::ext::engine::wasm_engine_try_new;
use wasm_runtime::capi::module::{wasm_module_delete, wasm_module_new};
use wasm_runtime::capi::store::{wasm_store_delete, wasm_store_new};
use wasm_runtime::capi::vec::wasm_byte_vec_t;
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::Module;

const WAT: &str = r#"(module (func (export "f") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add))"#;

/// A fresh, empty folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wasm-runtime-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a cache config file in `dir` naming `entries` as the folder.
fn config_file(dir: &Path, entries: &Path) -> CString {
    let file = dir.join("cache.toml");
    std::fs::write(
        &file,
        format!(
            "[cache]\nenabled = true\ndirectory = '{}'\n",
            entries.display()
        ),
    )
    .unwrap();
    CString::new(file.to_str().unwrap()).unwrap()
}

/// A C config with the cache loaded from `file`.
fn cached_config(file: &CString) -> Box<wasm_config_t> {
    let mut config = wasm_config_new();
    // SAFETY: a NUL-terminated path.
    let err = unsafe { wasm_config_cache_config_load_set(Some(&mut config), file.as_ptr()) };
    assert_eq!(error_text(err), None);
    config
}

/// Through the C API: an engine from `config`, a store, `WAT` compiled,
/// then everything deleted again.
fn compile_and_delete_everything(config: Box<wasm_config_t>) {
    let mut engine = std::ptr::null_mut();
    assert_eq!(
        error_text(wasm_engine_try_new(Some(config), Some(&mut engine))),
        None
    );
    // SAFETY: a live engine.
    let store = unsafe { wasm_store_new(engine) }.unwrap();
    let wasm = wasm_byte_vec_t::from_vec(wat::parse_str(WAT).unwrap());
    // SAFETY: a live store and a byte vector.
    let module = unsafe { wasm_module_new(&*store as *const _ as *mut _, Some(&wasm)) };
    assert!(module.is_some(), "compiled");
    wasm_module_delete(module);
    wasm_store_delete(Some(store));
    // SAFETY: made by wasm_engine_try_new for us to own.
    wasm_engine_delete(Some(unsafe { Box::from_raw(engine) }));
}

/// The cache entries in `dir`, and whether any temporary file is left.
fn entries(dir: &Path) -> (Vec<PathBuf>, bool) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return (Vec::new(), false);
    };
    let names: Vec<PathBuf> = read.map(|e| e.unwrap().path()).collect();
    let temporary = names
        .iter()
        .any(|p| p.extension().is_some_and(|x| x == "tmp"));
    let entries = names
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "wrmod"))
        .collect();
    (entries, temporary)
}

#[test]
fn the_entry_is_written_by_engine_deletion_and_hit_by_the_next_engine() {
    let dir = temp_dir("drop");
    let folder = dir.join("entries");
    let file = config_file(&dir, &folder);

    compile_and_delete_everything(cached_config(&file));
    let (written, temporary) = entries(&folder);
    assert_eq!(written.len(), 1, "one entry once the engine is gone");
    assert!(!temporary, "no temporary file left");
    let first = std::fs::metadata(&written[0]).unwrap();

    // A second engine loads the entry instead of compiling: nothing is
    // written again (a write would replace the file, a new inode).
    compile_and_delete_everything(cached_config(&file));
    let (again, _) = entries(&folder);
    assert_eq!(again, written);
    let second = std::fs::metadata(&again[0]).unwrap();
    assert_eq!((second.ino(), second.mtime()), (first.ino(), first.mtime()));

    // The entry is a working module.
    let mut config = Config::new();
    config.cache_config_load(dir.join("cache.toml")).unwrap();
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
    assert_eq!(module.exports().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn many_engines_and_modules_lose_no_entry() {
    let dir = temp_dir("many");
    let folder = dir.join("entries");
    config_file(&dir, &folder);
    let mut config = Config::new();
    config.cache_config_load(dir.join("cache.toml")).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let config = &config;
            s.spawn(move || {
                let engine = Engine::new(config).unwrap();
                for i in 0..5 {
                    let text = format!("(module (func (export \"f{t}_{i}\")))");
                    Module::new(&engine, &wat::parse_str(text).unwrap()).unwrap();
                }
            });
        }
    });
    let (written, temporary) = entries(&folder);
    assert_eq!(written.len(), 20);
    assert!(!temporary);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Set in the child process of `pending_entries_are_written_at_exit`.
const CHILD_FOLDER: &str = "WASM_RUNTIME_CACHE_TEST_CHILD";

#[test]
fn pending_entries_are_written_at_exit() {
    if let Some(dir) = std::env::var_os(CHILD_FOLDER) {
        // The child: compile, then exit with the engine still alive (as a
        // C host that never deletes it does).
        let mut config = Config::new();
        config
            .cache_config_load(Path::new(&dir).join("cache.toml"))
            .unwrap();
        let engine = Engine::new(&config).unwrap();
        Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
        std::mem::forget(engine);
        std::process::exit(0);
    }
    let dir = temp_dir("exit");
    let folder = dir.join("entries");
    config_file(&dir, &folder);
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "pending_entries_are_written_at_exit",
            "--nocapture",
        ])
        .env(CHILD_FOLDER, &dir)
        .status()
        .unwrap();
    assert!(status.success());
    let (written, temporary) = entries(&folder);
    assert_eq!(
        written.len(),
        1,
        "the entry was written before the child exited"
    );
    assert!(!temporary);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn loading_a_cache_config_creates_no_folder() {
    let dir = temp_dir("lazy");
    let folder = dir.join("a/b/entries");
    let file = config_file(&dir, &folder);

    // Loaded, then disabled: nothing appears.
    let mut config = cached_config(&file);
    assert!(!folder.exists());
    assert!(!dir.join("a").exists());
    wasm_config_disable_cache_set(Some(&mut config));
    compile_and_delete_everything(config);
    assert!(!dir.join("a").exists());

    // Loaded and used: the folder comes with the first entry.
    compile_and_delete_everything(cached_config(&file));
    assert_eq!(entries(&folder).0.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unusable_cache_folder_is_refused_at_load() {
    let dir = temp_dir("bad");
    std::fs::write(dir.join("plain-file"), b"").unwrap();
    let file = config_file(&dir, &dir.join("plain-file/entries"));
    let mut config = wasm_config_new();
    // SAFETY: a NUL-terminated path.
    let err = unsafe { wasm_config_cache_config_load_set(Some(&mut config), file.as_ptr()) };
    let text = error_text(err).expect("refused");
    assert!(
        text.contains("cannot use cache directory") && text.contains("plain-file is not a folder"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The only test of this binary that reads or changes XDG_* variables.
#[test]
fn load_default_then_disable_creates_no_folder() {
    let dir = temp_dir("xdg");
    std::env::set_var("XDG_CONFIG_HOME", dir.join("config"));
    std::env::set_var("XDG_CACHE_HOME", dir.join("cache"));
    let default_folder = dir.join("cache").join("wasm-runtime");

    let mut config = wasm_config_new();
    assert_eq!(
        error_text(wasm_config_cache_config_load_default_set(Some(&mut config))),
        None
    );
    assert_eq!(
        config.config().cache_config().unwrap().directory,
        default_folder
    );
    assert!(!dir.join("cache").exists(), "loading creates nothing");
    wasm_config_disable_cache_set(Some(&mut config));
    compile_and_delete_everything(config);
    assert!(
        !dir.join("cache").exists(),
        "a disabled cache creates nothing"
    );

    // Enabled and used, the default folder is made by the first entry.
    let mut config = wasm_config_new();
    assert_eq!(
        error_text(wasm_config_cache_config_load_default_set(Some(&mut config))),
        None
    );
    compile_and_delete_everything(config);
    assert_eq!(entries(&default_folder).0.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
