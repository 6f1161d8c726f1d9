//! `Module`: a validated, compiled module, shared by every instance of it.

use super::code::CompiledModule;
use super::serialize;
use super::source_map::{SourceLocation, SourceMap};
use crate::compiler::{compile_module, CompileOptions};
use crate::engine::Engine;
use crate::environ::error::Result;
use crate::environ::info::ModuleInfo;
use crate::environ::parse::{parse, parse_validated};
use crate::environ::types::{
    EntityType, ExternKind, ExternType, FuncType, GlobalType, HeapType, TableType, TagType, ValType,
};
use crate::environ::{ArrayToWasmTrampoline, MemoryPlan};
use std::sync::{Arc, OnceLock};

/// A compiled WebAssembly module. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

struct ModuleInner {
    engine: Engine,
    info: ModuleInfo,
    /// The binary the module was compiled from (for `serialize`).
    wasm: Arc<[u8]>,
    type_ids: Box<[u32]>,
    /// Each type of the type section in canonical form (concrete references
    /// as canonical ids), as live functions and reflection report them.
    /// Each type's signature in canonical form (empty for struct and
    /// array types).
    canonical_types: Box<[FuncType]>,
    memory_plans: Box<[MemoryPlan]>,
    /// Shared so a queued cache entry can encode it after `Module::new`
    /// returned, without holding the engine.
    compiled: Arc<CompiledModule>,
    /// The source positions of the module's DWARF line tables, read on
    /// the first lookup (`wasm_backtrace_details`).
    source_map: OnceLock<Option<SourceMap>>,
    /// The host→wasm and wasm→host trampolines of each type, from the
    /// engine's cache (their code lives as long as `engine`).
    trampolines: Box<[(ArrayToWasmTrampoline, usize)]>,
    /// The copy-on-write memory images the serialized file the module was
    /// loaded from holds (`deserialize_file`), mapped from that file at
    /// instantiation instead of in-memory copies.
    file_images: Option<super::artifact::FileImages>,
}

/// `heap`, a heap type of a module whose types have the canonical ids
/// `type_ids`, in canonical form.
fn canonical_heap(heap: HeapType, type_ids: &[u32]) -> HeapType {
    match heap {
        HeapType::Module(i, kind) => HeapType::Canonical(type_ids[i as usize], kind),
        other => other,
    }
}

impl Module {
    /// Validates and compiles `wasm`. Errors name the byte offset of the
    /// offending construct (and the feature, for disabled or unsupported
    /// proposals).
    pub fn new(engine: &Engine, wasm: &[u8]) -> Result<Module> {
        let cache = serialize::cache_path(engine, wasm);
        if let Some(module) = cache
            .as_ref()
            .and_then(|path| serialize::cache_load(engine, wasm, path))
        {
            return Ok(module);
        }
        let info = Self::parse_supported(engine, wasm)?;
        let plans = engine.tunables().memory_plans(&info);
        let config = engine.config();
        let options = CompileOptions {
            parallel: config.parallel_compilation(),
            emit_clif: config.emit_clif().map(|p| p.to_path_buf()),
            cache_store: config.incremental_compilation_store().cloned(),
        };
        let funcs = compile_module(engine.isa(), engine.tunables(), &info, wasm, &options)?;
        let compiled = CompiledModule::publish(&funcs)?;
        let module = Self::assemble(engine, info, plans, wasm, compiled, None)?;
        if let Some(path) = cache {
            serialize::cache_submit(&module, path);
        }
        Ok(module)
    }

    /// Loads a module from `wasm` and its already compiled code (the rest
    /// of a serialized module, read by `r`).
    pub(super) fn from_artifact(
        engine: &Engine,
        wasm: &[u8],
        escaped: Vec<bool>,
        trampolines: (
            Vec<u32>,
            Vec<crate::environ::compiled_code::CompiledFunction>,
        ),
        r: &mut super::artifact::Reader<'_>,
        source: super::artifact::ArtifactSource<'_>,
    ) -> Result<Module> {
        let parsed = parse_validated(engine.wasm_features(), wasm, escaped)?;
        if let Some(unsupported) = parsed.unsupported {
            return Err(unsupported.into());
        }
        let info = parsed.info;
        if engine.is_host_target() && !trampolines.1.is_empty() {
            engine.runtime().install_trampolines(
                &info.trampoline_types(),
                &trampolines.0,
                trampolines.1,
            )?;
        }
        let plans = engine.tunables().memory_plans(&info);
        let compiled =
            super::artifact::read(r, source, info.num_defined_funcs(), info.num_imported_funcs)?;
        let defined_memories = info.memories.len() - info.num_imported_memories as usize;
        let file_images = super::artifact::read_memory_images(r, source, defined_memories)?;
        Self::assemble(engine, info, plans, wasm, compiled, file_images)
    }

    /// Parses and validates `wasm`, refusing what this build cannot compile.
    fn parse_supported(engine: &Engine, wasm: &[u8]) -> Result<ModuleInfo> {
        let parsed = parse(engine.wasm_features(), wasm)?;
        if let Some(unsupported) = parsed.unsupported {
            return Err(unsupported.into());
        }
        Ok(parsed.info)
    }

    /// The module around its compiled code: signature ids and trampolines
    /// from the engine's registry.
    fn assemble(
        engine: &Engine,
        info: ModuleInfo,
        memory_plans: Box<[MemoryPlan]>,
        wasm: &[u8],
        mut compiled: CompiledModule,
        file_images: Option<super::artifact::FileImages>,
    ) -> Result<Module> {
        let runtime = engine.runtime();
        let type_ids: Box<[u32]> = crate::runtime::type_registry::register_module_types(
            &info.types,
            &info.rec_group_starts,
        )
        .into();
        let canonical_types = info
            .types
            .iter()
            .map(|ty| {
                ty.as_func().map_or_else(FuncType::default, |f| {
                    f.map_concrete(|heap| canonical_heap(heap, &type_ids))
                })
            })
            .collect();
        // Code for another target (`target`) is only ever written out: it
        // is not told to this host's unwinder or profiler, and it gets no
        // trampolines (instantiation refuses such modules).
        let trampolines = if engine.is_host_target() {
            compiled.announce(
                runtime,
                &info,
                &|i| {
                    let index = info.num_imported_funcs + i as u32;
                    match info.func_names.get(&index) {
                        Some(name) => name.clone(),
                        None => format!("wasm-function[{index}]"),
                    }
                },
                wasm,
            );
            let trampoline_types = info.trampoline_types();
            runtime.ensure_trampolines(&trampoline_types)?;
            trampoline_types
                .iter()
                .map(|ty| {
                    let (array_to_wasm, wasm_to_host) = runtime.trampolines(ty)?;
                    Ok((array_to_wasm, wasm_to_host as usize))
                })
                .collect::<Result<_>>()?
        } else {
            Box::default()
        };
        Ok(Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info,
                wasm: wasm.into(),
                type_ids,
                canonical_types,
                memory_plans,
                compiled: Arc::new(compiled),
                source_map: OnceLock::new(),
                trampolines,
                file_images,
            }),
        })
    }

    /// The image of defined memory `defined_index` in the serialized file
    /// the module was loaded from, if it holds one (`None` also for modules
    /// not loaded from a file); an error when its descriptor cannot be
    /// duplicated.
    pub(crate) fn file_memory_image(
        &self,
        defined_index: usize,
    ) -> Option<anyhow::Result<crate::runtime::MemoryImage>> {
        self.inner.file_images.as_ref()?.image(defined_index)
    }

    /// Validates `wasm` against the engine's features without compiling.
    pub fn validate(engine: &Engine, wasm: &[u8]) -> Result<()> {
        parse(engine.wasm_features(), wasm).map(|_| ())
    }

    /// The engine the module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    // Not API: the compiler's and runtime's view; reachable for tests/compile.rs.
    #[doc(hidden)]
    /// What the compiler and runtime know about the module.
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// `ty` in canonical form: what imports and exports reflect and what
    /// the items that satisfy or come out of them carry.
    pub fn canonical_extern_type(&self, ty: &EntityType) -> ExternType {
        match ty {
            EntityType::Function(t) => {
                ExternType::Func(self.inner.canonical_types[*t as usize].clone())
            }
            EntityType::Table(t) => ExternType::Table(self.canonical_table_type(t)),
            EntityType::Memory(m) => ExternType::Memory(*m),
            EntityType::Global(g) => ExternType::Global(self.canonical_global_type(g)),
            EntityType::Tag(t) => ExternType::Tag(self.canonical_tag_type(*t)),
        }
    }

    /// The type of a tag whose type-section index is `ty`, in canonical
    /// form.
    pub fn canonical_tag_type(&self, ty: u32) -> TagType {
        TagType {
            ty: self.inner.canonical_types[ty as usize].clone(),
        }
    }

    /// `ty`, a table type of this module, in canonical form.
    pub fn canonical_table_type(&self, ty: &TableType) -> TableType {
        TableType {
            element: self.canonical_val_type(ty.element),
            ..*ty
        }
    }

    /// `ty`, a global type of this module, in canonical form.
    pub fn canonical_global_type(&self, ty: &GlobalType) -> GlobalType {
        GlobalType {
            content: self.canonical_val_type(ty.content),
            ..*ty
        }
    }

    /// `ty`, a type of this module, in canonical form: a concrete reference
    /// to type-section index `i` becomes one to the canonical id of type `i`.
    pub fn canonical_val_type(&self, ty: ValType) -> ValType {
        ty.map_concrete(|heap| canonical_heap(heap, &self.inner.type_ids))
    }

    /// The signature of function `index` in canonical form.
    pub fn canonical_func_type(&self, index: u32) -> &FuncType {
        &self.inner.canonical_types[self.inner.info.functions[index as usize] as usize]
    }

    /// `(module, name, type)` of every import, in import order.
    pub fn imports(&self) -> Vec<(String, String, ExternType)> {
        self.inner
            .info
            .imports
            .iter()
            .map(|i| {
                (
                    i.module.clone(),
                    i.name.clone(),
                    self.canonical_extern_type(&i.ty),
                )
            })
            .collect()
    }

    /// `(name, type)` of every export, in export order.
    pub fn exports(&self) -> Vec<(String, ExternType)> {
        let info = &self.inner.info;
        info.exports
            .iter()
            .map(|e| {
                let ty = match e.kind {
                    ExternKind::Func => EntityType::Function(info.functions[e.index as usize]),
                    ExternKind::Table => EntityType::Table(info.tables[e.index as usize]),
                    ExternKind::Memory => EntityType::Memory(info.memories[e.index as usize]),
                    ExternKind::Global => EntityType::Global(info.globals[e.index as usize]),
                    ExternKind::Tag => EntityType::Tag(info.tags[e.index as usize]),
                };
                (e.name.clone(), self.canonical_extern_type(&ty))
            })
            .collect()
    }

    /// Whether `self` and `other` are handles to the same compiled module.
    pub fn same(&self, other: &Module) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    // Not API: the runtime's accessor, reachable for tests/compile.rs.
    #[doc(hidden)]
    /// The signature id of each type index, as `call_indirect` compares
    /// them (`VMContext::TYPE_IDS` points at this array).
    pub fn type_ids(&self) -> &[u32] {
        &self.inner.type_ids
    }

    // Not API: the runtime's accessor, reachable for tests/compile.rs.
    #[doc(hidden)]
    /// The `wasm_call` entry (Cranelift `tail` convention) of the DEFINED
    /// function `func_index` (index in the whole function space).
    ///
    /// # Panics
    /// If `func_index` is imported or out of range.
    pub fn func_ptr(&self, func_index: u32) -> *const u8 {
        let defined = self.defined_index(func_index, "func_ptr");
        self.inner.compiled.func_ptr(defined)
    }

    // Not API: the machine code of defined function `func_index`, for
    // tests that disassemble it (tests/cross_target.rs).
    #[doc(hidden)]
    pub fn func_code(&self, func_index: u32) -> &[u8] {
        let defined = self.defined_index(func_index, "func_code");
        self.inner.compiled.func_code(defined)
    }

    /// The source position (from the module's DWARF) of the instruction at
    /// `module_offset` in its binary, when the engine has
    /// `wasm_backtrace_details` on and the module's line tables cover it.
    pub fn source_location(&self, module_offset: usize) -> Option<SourceLocation> {
        if !self.inner.engine.wasm_backtrace_details_enabled() {
            return None;
        }
        self.inner
            .source_map
            .get_or_init(|| SourceMap::parse(&self.inner.wasm))
            .as_ref()?
            .lookup(module_offset)
    }

    /// `func_index` counted among defined functions only; panics, naming
    /// `caller`, when the function is imported or out of range.
    fn defined_index(&self, func_index: u32, caller: &str) -> u32 {
        let info = &self.inner.info;
        assert!(
            func_index >= info.num_imported_funcs && func_index < info.functions.len() as u32,
            "{caller}: function {func_index} is not defined by the module"
        );
        func_index - info.num_imported_funcs
    }

    // Not API: the runtime's accessor, reachable for tests/compile.rs. (and tests/memory_guard.rs)
    #[doc(hidden)]
    /// The layout of every memory, imported ones first.
    pub fn memory_plans(&self) -> &[MemoryPlan] {
        &self.inner.memory_plans
    }

    // Not API: the runtime's accessor, reachable for tests/compile.rs.
    #[doc(hidden)]
    /// The host→wasm trampoline for the module's type `type_index`.
    pub fn array_to_wasm_trampoline(&self, type_index: u32) -> ArrayToWasmTrampoline {
        self.inner.trampolines[type_index as usize].0
    }

    // Not API: the runtime's accessor, reachable for tests/compile.rs.
    #[doc(hidden)]
    /// The wasm→host trampoline (a `wasm_call` for host functions) for the
    /// module's type `type_index`.
    pub fn wasm_to_host_trampoline(&self, type_index: u32) -> *const u8 {
        self.inner.trampolines[type_index as usize].1 as *const u8
    }

    // Not API: tests/unwind.rs checks what `native_unwind_info` does.
    #[doc(hidden)]
    /// Whether the module's code has its `.eh_frame` registered with the
    /// system unwinder.
    pub fn has_unwind_info(&self) -> bool {
        self.inner.compiled.has_unwind_info()
    }

    /// Where the wasm locals of the DEFINED function `func_index` live,
    /// by code offset from `func_ptr` (empty without
    /// `Tunables::value_labels`, and for imported functions).
    pub(crate) fn value_labels(
        &self,
        func_index: u32,
    ) -> &[crate::environ::compiled_code::ValueLabelRange] {
        match func_index.checked_sub(self.inner.info.num_imported_funcs) {
            Some(defined) => self.inner.compiled.value_labels(defined),
            None => &[],
        }
    }

    /// The binary the module was compiled from.
    pub fn wasm(&self) -> &[u8] {
        &self.inner.wasm
    }

    pub(super) fn compiled(&self) -> &CompiledModule {
        &self.inner.compiled
    }

    /// The binary and the compiled code, shared (for a cache entry).
    pub(super) fn shared_code(&self) -> (Arc<[u8]>, Arc<CompiledModule>) {
        (self.inner.wasm.clone(), self.inner.compiled.clone())
    }

    /// The module's binary as the module holds it: one allocation per
    /// module, alive as long as the module (the runtime's init-plan cache
    /// keys on its identity).
    pub(crate) fn wasm_arc(&self) -> &Arc<[u8]> {
        &self.inner.wasm
    }

    // Not API: the runtime's accessor, reachable for tests/compile.rs.
    #[doc(hidden)]
    /// An identity for the module's code, the one `runtime::lookup_frame`
    /// reports in `FrameLocation::code_id`.
    pub fn code_id(&self) -> usize {
        self.inner.compiled.code_id()
    }
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.inner.info.name)
            .field("functions", &self.inner.info.functions.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn module_is_shareable() {
        assert_send_sync::<Module>();
    }

    #[test]
    fn typed_function_references_compile_with_their_option() {
        let wasm = wat::parse_str(
            "(module (type $t (func)) (func (param (ref $t)) local.get 0 call_ref $t))",
        )
        .unwrap();
        let mut config = crate::config::Config::new();
        config.set_wasm_function_references(true);
        Module::new(&Engine::new(&config).unwrap(), &wasm).expect("compiles");
        config.set_wasm_function_references(false);
        let err = Module::new(&Engine::new(&config).unwrap(), &wasm).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                crate::environ::error::ErrorKind::Unsupported { option: Some(o), .. }
                    if o == "wasm_function_references"
            ),
            "{err:?}"
        );
    }
}
