//! Serialized modules and the on-disk module cache.
//!
//! A serialized module holds the wasm binary and the compiled code, so
//! loading it validates the binary again (cheap) but skips Cranelift (the
//! expensive part). It is only accepted by an engine whose code generation
//! matches: the header carries the `module_version` stamp and a
//! fingerprint of everything that shapes the machine code (target, ISA and
//! Cranelift flags, memory layout options, fuel, epochs, address maps).
//!
//! The cache (`cache_config_load`) stores exactly this form under a hash
//! of the fingerprint and the binary; a missing, unreadable or stale entry
//! just means compiling again.

use super::compiled::{memory_settings, Module};
use crate::compiler::artifact::{self, Reader, Writer};
use crate::config::CacheSetting;
use crate::engine::Engine;
use anyhow::{bail, Context as _, Result};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

/// The magic prefix of a serialized module, with the format version.
const MAGIC: &[u8; 8] = b"\0wrcode\x01";

/// Everything about `engine` that shapes compiled code.
fn fingerprint(engine: &Engine) -> String {
    let isa = engine.isa();
    let config = engine.config();
    let mut isa_flags: Vec<String> = isa.isa_flags().iter().map(|v| v.to_string()).collect();
    isa_flags.sort();
    format!(
        "cranelift-{}|{}|{}|{}|{:?}|fuel={}|epoch={}|address_map={}",
        env!("CARGO_PKG_VERSION"),
        isa.triple(),
        isa_flags.join(","),
        isa.flags(),
        memory_settings(engine),
        config.consume_fuel(),
        config.epoch_interruption(),
        config.generate_address_map(),
    )
}

impl Module {
    /// The module in a form `Module::deserialize` loads without compiling,
    /// on an engine with the same code-generation settings.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let engine = self.engine();
        let mut w = Writer::default();
        w.bytes.extend_from_slice(MAGIC);
        w.bytes(
            engine
                .config()
                .module_version_string()
                .unwrap_or("")
                .as_bytes(),
        );
        w.bytes(fingerprint(engine).as_bytes());
        w.bytes(self.wasm());
        artifact::write(&mut w, self.compiled())?;
        Ok(w.bytes)
    }

    /// Loads a module written by `serialize`. Fails, naming the reason,
    /// when the bytes are not a serialized module, when the version stamp
    /// differs (unless `module_version` is `None`), or when the engine
    /// generates different code.
    pub fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        let Some(rest) = bytes.strip_prefix(MAGIC) else {
            bail!("not a serialized module of this library (bad magic)");
        };
        let mut r = Reader { bytes: rest };
        let version = String::from_utf8_lossy(r.bytes()?).into_owned();
        if let Some(expected) = engine.config().module_version_string() {
            if version != expected {
                bail!(
                    "serialized module has version `{version}`, this engine expects `{expected}` (module_version)"
                );
            }
        }
        let stored = r.bytes()?;
        if stored != fingerprint(engine).as_bytes() {
            bail!(
                "serialized module was compiled with other code-generation settings \
                 (target, CPU features, Cranelift flags, memory, fuel, epoch or address-map options)"
            );
        }
        let wasm = r.bytes()?;
        Module::from_artifact(engine, wasm, &mut r)
    }
}

/// Where the cache keeps the compiled form of `wasm` for `engine`, when
/// the cache is on.
pub(super) fn cache_path(engine: &Engine, wasm: &[u8]) -> Option<PathBuf> {
    let CacheSetting::Enabled(cache) = engine.config().cache() else {
        return None;
    };
    if !cache.enabled {
        return None;
    }
    // Two independent 64-bit hashes: a 128-bit key makes accidental
    // collisions negligible, and a colliding entry still fails the header
    // and binary checks of `deserialize` unless it is the same module.
    let key = |seed: u64| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        seed.hash(&mut h);
        fingerprint(engine).hash(&mut h);
        engine.config().module_version_string().hash(&mut h);
        wasm.hash(&mut h);
        h.finish()
    };
    Some(
        cache
            .directory
            .join(format!("{:016x}{:016x}.wrmod", key(1), key(2))),
    )
}

/// Loads `wasm`'s module from the cache entry at `path`, if it is there
/// and still valid for `engine`.
pub(super) fn cache_load(engine: &Engine, wasm: &[u8], path: &PathBuf) -> Option<Module> {
    let bytes = std::fs::read(path).ok()?;
    let module = Module::deserialize(engine, &bytes).ok()?;
    // The key is a hash: make sure the entry is this very module.
    (module.wasm() == wasm).then_some(module)
}

/// Stores `module` at `path`, atomically (write then rename) so that a
/// concurrent reader never sees half an entry. Best effort: a cache that
/// cannot be written is not an error for compilation.
pub(super) fn cache_store(module: &Module, path: &PathBuf) {
    let store = || -> Result<()> {
        let bytes = module.serialize()?;
        let dir = path.parent().context("cache path has no folder")?;
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
            std::process::id()
        ));
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
        Ok(())
    };
    let _ = store();
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
                .filter_map(|o| crate::compiler::lookup_trap(start + o).map(|k| (o, k)))
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

        let err = Module::deserialize(&engine, b"\0asm\x01\0\0\0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad magic"), "{err}");

        for cut in [9, 40, bytes.len() - 1] {
            assert!(Module::deserialize(&engine, &bytes[..cut]).is_err());
        }
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
        let entries = || std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(entries(), 1);
        let second = Module::new(&engine, &wasm).unwrap();
        assert_eq!(entries(), 1);
        assert_eq!(first.info().func_bodies, second.info().func_bodies);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
