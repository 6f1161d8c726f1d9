//! Serialized modules and the on-disk module cache.
//!
//! A serialized module holds the wasm binary, the compiled code and its
//! signatures' trampolines, so loading it reads the binary's sections again
//! (cheap; the function bodies, validated when it was compiled, are not
//! read) and compiles nothing. It is only accepted by an engine whose code
//! generation matches: the header carries the `module_version` stamp and a
//! fingerprint of everything that shapes the machine code (the built ISA
//! and the options the option table marks as shaping code: memory layout,
//! signals-based traps, fuel, epochs, address maps) and of the enabled
//! proposals the bodies were validated under.
//!
//! The cache (`cache_config_load`) stores exactly this form under a hash
//! of the fingerprint and the binary; a missing, unreadable or stale entry
//! just means compiling again. Entries are written by a background thread
//! (see `cache_writer`), in a folder created by the first write.

use super::artifact::{self, ArtifactSource, Reader, Writer};
use super::cache_writer::Entry;
use super::code::CompiledModule;
use super::compiled::Module;
use crate::config::CacheSetting;
use crate::engine::Engine;
use crate::environ::compiled_code::CompiledFunction;
use crate::environ::error::{Error, ErrorKind};
use anyhow::{Context as _, Result};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The magic prefix of a serialized module, with the format version (3:
/// the code as one page-aligned image, see `artifact`; 4: each function
/// also carries its `.eh_frame` FDE template; 6: the set of escaping
/// functions follows the binary, see `encode`; 7: then the trampolines;
/// 8: calls between the module's functions resolved in the image; 9: the
/// memory images after the code image; 10: with their alignment; 11: each
/// function's GC stack maps after its exception call sites; 12: then its
/// value labels).
const MAGIC: &[u8; 8] = b"\0wrcode\x0c";

/// Everything about `engine` that shapes compiled code, as `|`-separated
/// parts: this library's version, the built ISA (target triple, CPU
/// features, Cranelift flags), which is what the options marked `code: isa`
/// in the option table (`src/config/table.rs`) act through, then
/// `name=value` for every option marked `code: value`. The option list
/// comes from the table, so an option that starts to shape code is
/// recorded as soon as its row says so. Made once per engine: serializing,
/// deserializing and every cache lookup (which also deserializes on a hit)
/// read the same string.
fn fingerprint(engine: &Engine) -> &str {
    engine
        .fingerprint_cell()
        .get_or_init(|| make_fingerprint(engine))
}

fn make_fingerprint(engine: &Engine) -> String {
    let isa = engine.isa();
    let mut isa_flags: Vec<String> = isa.isa_flags().iter().map(|v| v.to_string()).collect();
    isa_flags.sort();
    let mut parts = vec![
        format!("cranelift-{}", env!("CARGO_PKG_VERSION")),
        isa.triple().to_string(),
        isa_flags.join(","),
        isa.flags().to_string(),
        // Not code-shaping, but what the binary was validated under:
        // deserializing trusts that validation (`parse_validated`), so an
        // engine with other proposals enabled must not reuse it.
        format!("wasm-features={:#x}", engine.wasm_features().bits()),
    ];
    parts.extend(
        engine
            .config()
            .code_shaping_settings()
            .into_iter()
            .map(|(name, value)| format!("{name}={value}")),
    );
    parts.join("|")
}

/// Names the first part in which two fingerprints differ, for the error of
/// a refused serialized module.
fn first_difference(stored: &str, current: &str) -> String {
    const ISA_PARTS: [&str; 5] = [
        "the library version",
        "the target",
        "the CPU features",
        "the Cranelift flags",
        "the enabled WebAssembly proposals (wasm_config_wasm_*_set)",
    ];
    // The part a cross-compiled module differs in first; named with both
    // triples.
    const TARGET_PART: usize = 1;
    let stored_parts: Vec<&str> = stored.split('|').collect();
    let current_parts: Vec<&str> = current.split('|').collect();
    let index = (0..stored_parts.len().max(current_parts.len()))
        .find(|&i| stored_parts.get(i) != current_parts.get(i))
        .unwrap_or(0);
    match (stored_parts.get(index), current_parts.get(index)) {
        (Some(old), Some(new)) if index >= ISA_PARTS.len() => {
            format!("the module has `{old}`, this engine `{new}`")
        }
        (Some(old), Some(new)) if index == TARGET_PART => {
            format!("the target: the module is for `{old}`, this engine for `{new}`")
        }
        _ => ISA_PARTS.get(index).map_or_else(
            || "the set of recorded settings".to_string(),
            |part| part.to_string(),
        ),
    }
}

impl Module {
    /// The module in a form `Module::deserialize` loads without compiling,
    /// on an engine with the same code-generation settings.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let engine = self.engine();
        // Code for another target gets no trampolines (see `assemble`).
        let trampolines = if engine.is_host_target() {
            engine
                .runtime()
                .trampolines_for_artifact(&self.info().trampoline_types())?
        } else {
            Default::default()
        };
        encode(
            version_stamp(engine),
            fingerprint(engine),
            self.wasm(),
            &self.info().escaped_funcs,
            (&trampolines.0, &trampolines.1),
            self.compiled(),
            &memory_images(self)?,
        )
    }

    /// Loads a module written by `serialize`. Fails, naming the reason,
    /// when the bytes are not a serialized module, when the version stamp
    /// differs (unless `module_version` is `None`), or when the engine
    /// generates different code.
    ///
    /// Trust: the bytes carry machine code that is mapped and run as it
    /// is. The checks above catch mistakes (wrong engine, truncation), not
    /// malice; only load what this library serialized and stored where
    /// nobody else could change it, as with any native code.
    pub fn deserialize(engine: &Engine, bytes: &[u8]) -> crate::environ::error::Result<Module> {
        Module::deserialize_from(
            engine,
            ArtifactSource {
                whole: bytes,
                file: None,
            },
        )
    }

    /// `deserialize` of `source.whole`, mapping the code from
    /// `source.file` when it is given.
    fn deserialize_from(
        engine: &Engine,
        source: ArtifactSource<'_>,
    ) -> crate::environ::error::Result<Module> {
        let bytes = source.whole;
        let Some(rest) = bytes.strip_prefix(MAGIC) else {
            return Err(refused(
                "not a serialized module of this library (bad magic)",
            ));
        };
        let mut r = Reader { bytes: rest };
        let version = String::from_utf8_lossy(r.bytes()?).into_owned();
        if let Some(expected) = engine.config().module_version_string() {
            if version != expected {
                return Err(refused(format!(
                    "serialized module has version `{version}`, this engine expects `{expected}` (module_version)"
                )));
            }
        }
        let stored = r.bytes()?;
        let current = fingerprint(engine);
        if stored != current.as_bytes() {
            return Err(refused(format!(
                "serialized module was compiled with other code-generation settings \
                 (first difference: {})",
                first_difference(&String::from_utf8_lossy(stored), current)
            )));
        }
        let wasm = r.bytes()?;
        let escaped: Vec<bool> = r.bytes()?.iter().map(|&b| b != 0).collect();
        let trampolines = artifact::read_trampolines(&mut r)?;
        Module::from_artifact(engine, wasm, escaped, trampolines, &mut r, source)
    }
}

impl Module {
    /// Loads a module that `serialize` wrote into the file at `path`, as
    /// `deserialize` does, reading the file through a read-only mapping
    /// rather than a copy. The machine code runs from the file's pages
    /// (mapped private: relocations patch private copies of the pages they
    /// touch) when the host's page size divides the image's offset, which
    /// holds for files written on a host of the same page size, and the
    /// file system allows executing; otherwise it is copied into fresh
    /// executable memory. The same trust rules apply: only load files this
    /// library wrote, and do not truncate or rewrite the file while the
    /// module lives (its code pages are the file's).
    pub fn deserialize_file(
        engine: &Engine,
        path: &std::path::Path,
    ) -> crate::environ::error::Result<Module> {
        let map = super::file_map::FileMap::open(path)
            .map_err(|e| Error::new(ErrorKind::Other, format!("{e:#}")))?;
        Module::deserialize_from(
            engine,
            ArtifactSource {
                whole: map.bytes(),
                file: Some(map.fd()),
            },
        )
    }
}

/// Why `deserialize` refuses bytes: not a wasm validity problem, so of
/// kind `Other`.
fn refused(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Other, message)
}

/// The `module_version` stamp `engine` writes into serialized modules.
fn version_stamp(engine: &Engine) -> &str {
    engine.config().module_version_string().unwrap_or("")
}

/// The serialized form of a module: magic, version stamp, fingerprint,
/// binary, one byte per function saying whether it escapes (what the only
/// scan of every body would otherwise be needed for when loading), the
/// trampolines of its signatures (none in cache entries: a load then
/// compiles those it lacks), compiled code.
fn encode(
    version: &str,
    fingerprint: &str,
    wasm: &[u8],
    escaped: &[bool],
    trampolines: (&[u32], &[CompiledFunction]),
    compiled: &CompiledModule,
    memory_images: &[Vec<u8>],
) -> Result<Vec<u8>> {
    let mut w = Writer::default();
    w.bytes.extend_from_slice(MAGIC);
    w.bytes(version.as_bytes());
    w.bytes(fingerprint.as_bytes());
    w.bytes(wasm);
    w.bytes(&escaped.iter().map(|&e| u8::from(e)).collect::<Vec<u8>>());
    artifact::write_trampolines(&mut w, trampolines.0, trampolines.1)?;
    artifact::write(&mut w, compiled)?;
    artifact::write_memory_images(&mut w, memory_images);
    Ok(w.bytes)
}

/// Per defined memory of `module`, the copy-on-write image its instances
/// start from (empty when it has none), stored so that a module loaded
/// from its file maps the image from there; whether an instance uses an
/// image at all is decided at instantiation, as for compiled modules.
fn memory_images(module: &Module) -> Result<Vec<Vec<u8>>> {
    crate::runtime::image_segments(module)
        .iter()
        .map(|segments| match segments {
            Some(segments) => crate::runtime::MemoryImage::contents(segments),
            None => Ok(Vec::new()),
        })
        .collect()
}

/// Where the cache keeps one module for one engine.
pub(super) struct CachePath {
    /// The entry's file.
    file: PathBuf,
    /// The engine's fingerprint, part of the key and of the entry (kept so
    /// storing the entry need not compute it again).
    fingerprint: String,
}

/// Where the cache keeps the compiled form of `wasm` for `engine`, when
/// the cache is on.
pub(super) fn cache_path(engine: &Engine, wasm: &[u8]) -> Option<CachePath> {
    let CacheSetting::Enabled(cache) = engine.config().cache() else {
        return None;
    };
    if !cache.enabled {
        return None;
    }
    // Two independent 64-bit hashes: a 128-bit key makes accidental
    // collisions negligible, and a colliding entry still fails the header
    // and binary checks of `deserialize` unless it is the same module.
    let fingerprint = fingerprint(engine);
    let key = |seed: u64| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        seed.hash(&mut h);
        fingerprint.hash(&mut h);
        engine.config().module_version_string().hash(&mut h);
        wasm.hash(&mut h);
        h.finish()
    };
    let file = cache
        .directory
        .join(format!("{:016x}{:016x}.wrmod", key(1), key(2)));
    Some(CachePath {
        file,
        fingerprint: fingerprint.to_string(),
    })
}

/// Loads `wasm`'s module from the cache entry at `path`, if it is there
/// and still valid for `engine`.
pub(super) fn cache_load(engine: &Engine, wasm: &[u8], path: &CachePath) -> Option<Module> {
    let bytes = std::fs::read(&path.file).ok()?;
    let module = Module::deserialize(engine, &bytes).ok()?;
    // The key is a hash: make sure the entry is this very module.
    (module.wasm() == wasm).then_some(module)
}

/// Queues `module` to be stored at `path` by the engine's cache writer;
/// [`cache_store`] does the work later, off the compiling thread.
pub(super) fn cache_submit(module: &Module, path: CachePath) {
    let engine = module.engine();
    let Some(cache) = engine.config().cache_config() else {
        return;
    };
    let (wasm, compiled) = module.shared_code();
    engine.cache_writes().submit(Entry {
        path: path.file,
        cache: cache.clone(),
        version: version_stamp(engine).to_string(),
        fingerprint: path.fingerprint,
        wasm,
        escaped: module.info().escaped_funcs.clone(),
        compiled,
    });
}

/// Stores a cache entry, atomically (write a temporary file, then rename
/// it) so that a concurrent reader never sees half an entry, creating the
/// cache folder if this is its first entry; then keeps the folder within
/// its limits. Best effort: a cache that cannot be written is not an error
/// for compilation.
pub(super) fn cache_store(entry: &Entry) {
    // Temporary names are unique per process and write, so writers never
    // share one (several processes, or several threads when entries are
    // written on the caller's thread).
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let store = || -> Result<()> {
        let bytes = encode(
            &entry.version,
            &entry.fingerprint,
            &entry.wasm,
            &entry.escaped,
            (&[], &[]),
            &entry.compiled,
            &[],
        )?;
        let path = &entry.path;
        let dir = path.parent().context("cache path has no folder")?;
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(
            ".{}.{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
        Ok(())
    };
    let _ = store();
    cache_cleanup(&entry.cache);
}

/// Keeps the cache folder within its soft limits (`file-count-soft-limit`,
/// `files-total-size-soft-limit`): at most once per `cleanup-interval`
/// (tracked by the modification time of a marker file), when a limit is
/// exceeded, the least recently written entries are deleted until the
/// folder is down to the configured percentage of the limits. Entries are
/// not compressed (this build has no compressor), so the compression
/// settings have no effect.
fn cache_cleanup(cache: &crate::config::CacheConfig) {
    let marker = cache.directory.join(".cleanup");
    let due = std::fs::metadata(&marker)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age >= cache.cleanup_interval);
    if !due || std::fs::write(&marker, b"").is_err() {
        return;
    }
    let Ok(dir) = std::fs::read_dir(&cache.directory) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = dir
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "wrmod"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((meta.modified().ok()?, meta.len(), e.path()))
        })
        .collect();
    let mut count = entries.len() as u64;
    let mut size: u64 = entries.iter().map(|e| e.1).sum();
    if count <= cache.file_count_soft_limit && size <= cache.files_total_size_soft_limit {
        return;
    }
    let keep_count =
        cache.file_count_soft_limit * u64::from(cache.file_count_limit_percent_if_deleting) / 100;
    let keep_size = cache.files_total_size_soft_limit
        * u64::from(cache.files_total_size_limit_percent_if_deleting)
        / 100;
    entries.sort_by_key(|e| e.0);
    for (_, len, path) in entries {
        if count <= keep_count && size <= keep_size {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            count -= 1;
            size = size.saturating_sub(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::engine::Engine;
    use crate::module::Module;

    const WAT: &str = r#"(module (memory 1) (func (export "f") (param i32) (result i32)
        (i32.load (local.get 0))) (func (call 0 (i32.const 0)) drop))"#;

    #[test]
    fn round_trip_keeps_code_and_metadata() {
        let engine = Engine::default();
        let module = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
        let bytes = module.serialize().unwrap();
        let loaded = Module::deserialize(&engine, &bytes).unwrap();
        assert_eq!(loaded.exports().len(), 1);
        assert_eq!(loaded.info().func_bodies, module.info().func_bodies);
        // Same code, laid out again: identical bytes apart from relocated
        // call targets, and the same trap sites.
        let traps = |m: &Module| {
            let start = m.func_ptr(0) as usize;
            (0..64)
                .filter_map(|o| crate::runtime::lookup_trap(start + o).map(|k| (o, k)))
                .collect::<Vec<_>>()
        };
        assert_eq!(traps(&module), traps(&loaded));
        assert!(!traps(&loaded).is_empty());
    }

    #[test]
    fn mismatches_are_refused_with_a_reason() {
        let engine = Engine::default();
        let module = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
        let bytes = module.serialize().unwrap();

        let mut config = Config::new();
        config.set_consume_fuel(true);
        let other = Engine::new(&config).unwrap();
        let err = Module::deserialize(&other, &bytes).unwrap_err().to_string();
        assert!(err.contains("code-generation settings"), "{err}");
        assert!(
            err.contains("the module has `consume_fuel=false`, this engine `consume_fuel=true`"),
            "{err}"
        );

        // Options that do not shape code do not matter.
        let mut config = Config::new();
        config
            .set_parallel_compilation(false)
            .set_wasm_backtrace(false)
            .set_memory_init_cow(false);
        let same_code = Engine::new(&config).unwrap();
        Module::deserialize(&same_code, &bytes).unwrap();

        let mut config = Config::new();
        config.set_cranelift_opt_level(crate::config::OptLevel::None);
        let other = Engine::new(&config).unwrap();
        let err = Module::deserialize(&other, &bytes).unwrap_err().to_string();
        assert!(
            err.contains("first difference: the Cranelift flags"),
            "{err}"
        );

        let err = Module::deserialize(&engine, b"\0asm\x01\0\0\0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad magic"), "{err}");

        for cut in [9, 40, bytes.len() - 1] {
            assert!(Module::deserialize(&engine, &bytes[..cut]).is_err());
        }
    }

    /// Every option the table marks as shaping code by its value is in the
    /// fingerprint, and changing it changes the fingerprint.
    #[test]
    fn fingerprint_records_every_code_shaping_option() {
        let engine = Engine::default();
        let print = super::fingerprint(&engine);
        for option in crate::config::OPTIONS
            .iter()
            .filter(|o| o.code == crate::config::CodeShaping::Value)
        {
            assert!(
                print.contains(&format!("|{}=", option.name)),
                "{} is missing from {print}",
                option.name
            );
        }
        let mut config = Config::new();
        config.set_guard_before_linear_memory(false);
        let other = Engine::new(&config).unwrap();
        assert_ne!(super::fingerprint(&other), print);
    }

    #[test]
    fn cache_stores_and_reuses_compiled_code() {
        let base = std::env::temp_dir().join(format!("wasm-runtime-cache-{}", std::process::id()));
        let dir = base.join("entries");
        std::fs::create_dir_all(&base).unwrap();
        let file = base.join("config.toml");
        std::fs::write(
            &file,
            format!("[cache]\nenabled = true\ndirectory = '{}'\n", dir.display()),
        )
        .unwrap();
        let mut config = Config::new();
        config.cache_config_load(&file).unwrap();
        let engine = Engine::new(&config).unwrap();
        let wasm = wat::parse_str(WAT).unwrap();
        let first = Module::new(&engine, &wasm).unwrap();
        let entries = || {
            std::fs::read_dir(&dir)
                .map(|d| {
                    d.filter(|e| {
                        e.as_ref()
                            .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "wrmod"))
                    })
                    .count()
                })
                .unwrap_or(0)
        };
        // Entries are written in the background; flushing waits for them.
        engine.cache_writes().flush();
        assert_eq!(entries(), 1);
        let second = Module::new(&engine, &wasm).unwrap();
        engine.cache_writes().flush();
        assert_eq!(entries(), 1);
        assert_eq!(first.info().func_bodies, second.info().func_bodies);
        // A different module makes a second entry.
        Module::new(&engine, &wat::parse_str("(module (func))").unwrap()).unwrap();
        engine.cache_writes().flush();
        assert_eq!(entries(), 2);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn cache_cleanup_keeps_the_newest_entries_within_limits() {
        let dir = std::env::temp_dir().join(format!("wasm-runtime-cleanup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..10 {
            std::fs::write(dir.join(format!("{i:02}.wrmod")), [0u8; 100]).unwrap();
            let t = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000 + i);
            std::fs::File::options()
                .write(true)
                .open(dir.join(format!("{i:02}.wrmod")))
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        let mut cache = crate::config::CacheConfig::enabled_in(dir.clone());
        cache.file_count_soft_limit = 5;
        cache.file_count_limit_percent_if_deleting = 60;
        super::cache_cleanup(&cache);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".wrmod"))
            .collect();
        left.sort();
        assert_eq!(left, ["07.wrmod", "08.wrmod", "09.wrmod"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
