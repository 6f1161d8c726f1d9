//! Engine-wide runtime state: trampoline caches, the instance pool, init plans.
//!
//! Owned by the runtime; created once per `Engine` and shared by every
//! store of the engine. Among it are the trampolines of host functions,
//! compiled once per signature (by the engine's `TrampolineCompiler`) and
//! kept alive as long as the engine (a host function's `VMFuncRef` points
//! into them).

use super::code_memory::CodeMemory;
use super::profiling::{ProfilingAgent, PublishedFunction};
use crate::environ::compiled_code::{CompiledFunction, TrampolineCompiler};
use crate::environ::val_raw::ArrayToWasmTrampoline;
use crate::environ::{FuncType, ValType};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Published trampolines for a list of function types, kept alive
/// together: the host→wasm and wasm→host trampolines of type `i` are
/// functions `2 * i` and `2 * i + 1` (see `TrampolineCompiler`).
struct TrampolineBatch {
    memory: CodeMemory,
}

impl TrampolineBatch {
    /// The host→wasm trampoline of type `i` of the batch.
    fn array_to_wasm(&self, i: usize) -> ArrayToWasmTrampoline {
        let ptr = self.memory.func_ptr(2 * i);
        // SAFETY: function `2 * i` of the region is, by the contract of
        // `TrampolineCompiler`, a host→wasm trampoline with exactly this C
        // signature.
        unsafe { std::mem::transmute::<*const u8, ArrayToWasmTrampoline>(ptr) }
    }

    /// The wasm→host trampoline of type `i` of the batch.
    fn wasm_to_host(&self, i: usize) -> *const u8 {
        self.memory.func_ptr(2 * i + 1)
    }
}

/// Where one signature's trampolines live: (compiled batch, index in it).
#[derive(Clone, Copy)]
struct TrampolineSlot {
    batch: usize,
    index: usize,
}

#[derive(Default)]
struct State {
    trampoline_slots: HashMap<FuncType, TrampolineSlot>,
    /// Every compiled batch, kept for the engine's life.
    batches: Vec<TrampolineBatch>,
}

/// What the runtime does with every code region it publishes, chosen at
/// engine creation: which profiler hears of it, whether the system
/// unwinder and debuggers do.
#[derive(Default)]
pub struct CodeObservers {
    /// The agent of the `profiler` option (`None` for `none`).
    pub profiler: Option<Box<dyn ProfilingAgent>>,
    /// The ISA's `.eh_frame` CIE when `native_unwind_info` is on: every
    /// region's FDEs are registered after it. `None` registers nothing.
    pub unwind_cie: Option<Vec<u8>>,
    /// `debug_info`: every region is registered with debuggers (GDB's JIT
    /// interface) as an object file with symbols, and DWARF for modules
    /// that have some.
    pub debug_info: bool,
}

/// Runtime state shared by every store of one engine.
pub struct EngineRuntime {
    trampoline_compiler: Box<dyn TrampolineCompiler>,
    observers: CodeObservers,
    state: Mutex<State>,
    /// The pooling allocator's reservations (`None` allocating on demand).
    pool: Option<std::sync::Arc<super::pool::InstancePool>>,
    init_plans: super::init_plan::InitPlanCache,
    memory_slots: super::memory_slots::SlotCache,
    /// Fiber stacks for async calls (`None` until `with_async_stacks`).
    async_stacks: Option<super::async_call::AsyncStacks>,
}

impl EngineRuntime {
    /// Fresh, empty engine-wide state whose trampolines come from
    /// `trampoline_compiler` and whose published code is reported to
    /// `observers`.
    pub fn new(
        trampoline_compiler: Box<dyn TrampolineCompiler>,
        observers: CodeObservers,
    ) -> EngineRuntime {
        EngineRuntime {
            trampoline_compiler,
            observers,
            state: Mutex::default(),
            pool: None,
            init_plans: Default::default(),
            memory_slots: Default::default(),
            async_stacks: None,
        }
    }

    /// Gives the runtime the pooling allocator's reservations, made by
    /// `Engine::new` before any store exists.
    pub(crate) fn with_pool(
        mut self,
        pool: Option<std::sync::Arc<super::pool::InstancePool>>,
    ) -> EngineRuntime {
        self.pool = pool;
        self
    }

    /// Gives the runtime the engine's supply of async fiber stacks.
    pub(crate) fn with_async_stacks(
        mut self,
        stacks: super::async_call::AsyncStacks,
    ) -> EngineRuntime {
        self.async_stacks = Some(stacks);
        self
    }

    /// The engine's fiber stacks for async calls.
    pub(crate) fn async_stacks(&self) -> &super::async_call::AsyncStacks {
        self.async_stacks
            .as_ref()
            .expect("Engine::new gives every runtime its async stacks")
    }

    /// The pooling allocator's reservations, for a pooling engine.
    pub(crate) fn pool(&self) -> Option<&std::sync::Arc<super::pool::InstancePool>> {
        self.pool.as_ref()
    }

    /// How each module's instances are initialised (memory images,
    /// element indices), worked out once per module.
    pub(crate) fn init_plans(&self) -> &super::init_plan::InitPlanCache {
        &self.init_plans
    }

    /// Free static memory reservations, kept for reuse.
    pub(crate) fn memory_slots(&self) -> &super::memory_slots::SlotCache {
        &self.memory_slots
    }

    /// Tells the observers about `memory`, just published: registers its
    /// unwind info (function `i` has the FDE template `fdes[i]`), registers
    /// it with debuggers and reports it to the profiler, function `i`
    /// called `name(i)`. `debug` describes the module whose code it is
    /// (`None` for trampolines), for its DWARF.
    pub(crate) fn announce(
        &self,
        memory: &mut CodeMemory,
        fdes: &[&[u8]],
        name: &dyn Fn(usize) -> String,
        debug: Option<&super::debug::ModuleDebug<'_>>,
    ) {
        if let Some(cie) = &self.observers.unwind_cie {
            memory.register_unwind_info(cie, fdes);
        }
        if !self.observers.debug_info && self.observers.profiler.is_none() {
            return;
        }
        let names: Vec<String> = (0..memory.num_funcs()).map(name).collect();
        if self.observers.debug_info {
            memory.register_debug_info(&names, debug);
        }
        let Some(profiler) = &self.observers.profiler else {
            return;
        };
        let info = memory.info().clone();
        let source_map = debug
            .filter(|_| self.observers.debug_info && profiler.wants_source_lines())
            .and_then(|debug| crate::module::SourceMap::parse(debug.wasm));
        let funcs: Vec<PublishedFunction<'_>> = names
            .iter()
            .zip(&info.funcs)
            .enumerate()
            .map(|(i, (name, range))| {
                // The function's part of the region's address map.
                let map = &info.address_map;
                let from = map.partition_point(|&(o, _)| o < range.start);
                let to = map.partition_point(|&(o, _)| o < range.end);
                PublishedFunction {
                    name,
                    code: memory.func_code(i),
                    address_map: &map[from..to],
                    region_offset: range.start,
                    source_map: source_map.as_ref(),
                }
            })
            .collect();
        profiler.code_published(&funcs);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every
        // update is a single insert after the fallible work is done.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Compiles the trampolines of every type of `types` not compiled yet,
    /// in one batch.
    pub fn ensure_trampolines(&self, types: &[FuncType]) -> anyhow::Result<()> {
        let mut state = self.lock();
        let mut missing: Vec<FuncType> = Vec::new();
        for ty in types {
            let key = trampoline_key(ty);
            if !state.trampoline_slots.contains_key(&*key) && !missing.contains(&*key) {
                missing.push(key.into_owned());
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        // Compiling under the lock keeps two stores from compiling the same
        // signature twice; it happens once per signature per engine.
        let funcs = self.trampoline_compiler.compile_trampolines(&missing)?;
        self.publish_trampolines(&mut state, missing, funcs)
    }

    /// The trampolines of the distinct signatures among `types`, compiled
    /// afresh to be stored with a serialized module (so loading it compiles
    /// nothing): for each signature the index in `types` of its first type,
    /// and two functions per signature, as `compile_trampolines` makes them.
    pub fn trampolines_for_artifact(
        &self,
        types: &[FuncType],
    ) -> anyhow::Result<(Vec<u32>, Vec<CompiledFunction>)> {
        let mut keys: Vec<FuncType> = Vec::new();
        let mut first_types = Vec::new();
        for (i, ty) in types.iter().enumerate() {
            let key = trampoline_key(ty);
            if !keys.contains(&*key) {
                keys.push(key.into_owned());
                first_types.push(i as u32);
            }
        }
        let funcs = self.trampoline_compiler.compile_trampolines(&keys)?;
        Ok((first_types, funcs))
    }

    /// Publishes the trampolines a serialized module carries (what
    /// `trampolines_for_artifact` made: `first_types` index `types`) for
    /// the signatures that have none yet, instead of compiling them. The
    /// code is trusted as the module's own code is.
    pub fn install_trampolines(
        &self,
        types: &[FuncType],
        first_types: &[u32],
        funcs: Vec<CompiledFunction>,
    ) -> anyhow::Result<()> {
        if funcs.len() != 2 * first_types.len() {
            anyhow::bail!(
                "corrupt compiled artifact ({} trampolines for {} signatures)",
                funcs.len(),
                first_types.len()
            );
        }
        let mut state = self.lock();
        let mut missing: Vec<FuncType> = Vec::new();
        let mut wanted = vec![false; first_types.len()];
        for (j, &i) in first_types.iter().enumerate() {
            let ty = types.get(i as usize).ok_or_else(|| {
                anyhow::anyhow!("corrupt compiled artifact (trampoline type {i})")
            })?;
            let key = trampoline_key(ty);
            if !state.trampoline_slots.contains_key(&*key) && !missing.contains(&*key) {
                missing.push(key.into_owned());
                wanted[j] = true;
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let funcs = funcs
            .into_iter()
            .enumerate()
            .filter(|(k, _)| wanted[k / 2])
            .map(|(_, f)| f)
            .collect();
        self.publish_trampolines(&mut state, missing, funcs)
    }

    /// Publishes `funcs` (two per signature of `missing`, host→wasm first)
    /// as one batch and records where each signature's pair is.
    fn publish_trampolines(
        &self,
        state: &mut State,
        missing: Vec<FuncType>,
        funcs: Vec<CompiledFunction>,
    ) -> anyhow::Result<()> {
        if funcs.len() != 2 * missing.len() {
            anyhow::bail!(
                "internal: {} trampolines compiled for {} signatures",
                funcs.len(),
                missing.len()
            );
        }
        let mut memory = CodeMemory::publish(&funcs)?;
        let fdes: Vec<&[u8]> = funcs.iter().map(|f| &f.unwind[..]).collect();
        self.announce(
            &mut memory,
            &fdes,
            &|i| {
                let direction = if i % 2 == 0 {
                    "host-to-wasm"
                } else {
                    "wasm-to-host"
                };
                format!("trampoline[{direction}] {}", missing[i / 2])
            },
            None,
        );
        let batch = state.batches.len();
        state.batches.push(TrampolineBatch { memory });
        for (index, ty) in missing.into_iter().enumerate() {
            state
                .trampoline_slots
                .insert(ty, TrampolineSlot { batch, index });
        }
        Ok(())
    }

    /// The host→wasm and wasm→host trampolines of `ty`, compiling them on
    /// first use. The code lives as long as the engine.
    pub fn trampolines(&self, ty: &FuncType) -> anyhow::Result<(ArrayToWasmTrampoline, *const u8)> {
        self.ensure_trampolines(std::slice::from_ref(ty))?;
        let state = self.lock();
        let slot = state
            .trampoline_slots
            .get(&*trampoline_key(ty))
            .copied()
            .ok_or_else(|| anyhow::anyhow!("internal: no trampolines for {ty}"))?;
        let batch = &state.batches[slot.batch];
        Ok((
            batch.array_to_wasm(slot.index),
            batch.wasm_to_host(slot.index),
        ))
    }
}

/// The type trampolines of `ty` are compiled and cached under: every
/// reference as `funcref` or `externref`, since a trampoline only moves
/// pointer-sized references and does not depend on their heap types.
/// Borrowed when `ty` is already in that form, as nearly every type is.
fn trampoline_key(ty: &FuncType) -> Cow<'_, FuncType> {
    let plain = |t: &ValType| match t {
        ValType::Ref(r) if r.heap.is_func() => ValType::FUNCREF,
        ValType::Ref(_) => ValType::EXTERNREF,
        other => *other,
    };
    let all = || ty.params.iter().chain(ty.results.iter());
    if all().all(|t| plain(t) == *t) {
        return Cow::Borrowed(ty);
    }
    Cow::Owned(FuncType::new(
        ty.params.iter().map(plain),
        ty.results.iter().map(plain),
    ))
}

impl std::fmt::Debug for EngineRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("EngineRuntime")
            .field("trampolines", &state.trampoline_slots.len())
            .finish()
    }
}
