// The option table: the one declarative source of every engine option and of
// every wasm proposal this build knows.
//
// This file is not a module of the crate. `build.rs` includes it (see
// `build_support/table.rs`), reads the rows and generates from them:
//   - `Config`'s fields, defaults and plain accessors, the option-dependency
//     and off-only checks, `Config::wasm_features`, the settings recorded in
//     the serialized-module fingerprint, and the `OPTIONS` / `PROPOSALS`
//     tables (`$OUT_DIR/config_table.rs`, included by `src/config.rs`);
//   - the C setters of the options that take a boolean or a size
//     (`src/capi/ext/config/setters.rs`, checked in because cbindgen reads
//     real source), and the option text in the doc comments of the
//     hand-written C setters (between `// <option-doc NAME>` markers);
//   - the option table of README.md (between its `options-table` markers).
// The checked-in results are refreshed with
// `WASM_RUNTIME_UPDATE_HEADERS=1 cargo build --release`; `tests/generated.rs`
// fails while they are stale.
//
// One row per option of the configuration reference, in its order:
//
//   /// One line saying what the option does (C and Rust docs, README).
//   name {
//       field: other_name,   // optional: the `Config` field, when it is not `name`
//       ty: Type = default,  // the field's type and default; without `= default`
//                            // the row shares the field another row declares,
//                            // and without `field:` either it has no storage
//       shown: "text",       // optional: the default as documentation shows it
//                            // (else the default expression itself)
//       access: custom,      // optional: accessors hand-written in src/config.rs;
//                            // else `set_name(T)` / `name() -> T` are generated
//       c_arg: bool,         // optional: the generated C setter's argument type,
//                            // when the stored type is not one C passes (a C
//                            // setter is generated for bool, usize and u64)
//       status: works | validated_only | off_only,
//       refused: "why",      // off-only booleans: engine creation refuses `true`
//                            // with "<name>: not supported by this build (why)"
//       requires: [option],  // booleans that must be on as well (checked at
//                            // engine creation)
//       code: no | value | isa,  // whether the option shapes compiled code:
//                            // `value` rows are recorded in the fingerprint of
//                            // serialized modules; `isa` rows act through the
//                            // Cranelift ISA and flags, which it records built
//       proposal: { key: "k", name: "n", flags: [F], operators: [group] },
//                            // optional: the wasm proposal the option enables;
//                            // `key` names it in "not supported yet: <key>",
//                            // `name` in the disabled-proposal hint, `flags` are
//                            // wasmparser's `WasmFeatures`, `operators` the
//                            // proposal groups of `wasmparser::for_each_operator`.
//                            // Its support in this build follows `status`:
//                            // works = compiled, validated only = validated but
//                            // compilation refuses it, off only = refused.
//       notes: "text",       // optional: the README's notes column
//   }
//
// `proposals!` lists the proposals no option controls: always on, or never.

options! {
    /// Compiles for this target triple instead of the host.
    target {
        ty: Option<Triple> = None,
        shown: "the host",
        access: custom,
        status: works,
        code: isa,
        notes: "x86-64 and aarch64 from either host: a cross engine compiles and serializes modules for its target (precompilation); instantiating them, or loading the blob on another target, is refused naming both triples",
    }
    /// Enables Cranelift's incremental compilation cache, backed by the embedder's store.
    enable_incremental_compilation {
        ty: Option<Arc<dyn CacheStore>> = None,
        shown: "off",
        access: custom,
        status: works,
        code: no,
        notes: "Cranelift's incremental cache: each function's compiled code is stored under a hash of its IR and the target, so recompiling an unchanged function is a lookup",
    }
    /// Runs async host functions on separate native stacks.
    async_support {
        ty: bool = false,
        status: works,
        code: no,
        notes: "on: calls into wasm are futures (`wasm_func_call_async`, `wasm_linker_instantiate_async`) run on fibers of `async_stack_size` bytes and polled (`wasm_call_future_poll`) until done; they suspend in async host functions (`wasm_linker_define_async_func`), at fuel yields (`wasm_store_fuel_async_yield_interval`) and epoch yields (`WASM_UPDATE_DEADLINE_YIELD`, `wasm_store_epoch_deadline_async_yield_and_update`); deleting a pending future cancels the call (it is resumed to trap and unwind). Synchronous calls and instantiation are refused with an error, except from host functions inside an async call",
    }
    /// Emits DWARF debug info for native debuggers.
    debug_info {
        ty: bool = false,
        status: works,
        code: value,
        notes: "on: each module's code (compiled or deserialized) and each trampoline batch is registered through GDB's JIT interface (`__jit_debug_register_code`, `__jit_debug_descriptor`; LLDB reads it too) as an in-memory ELF object: a symbol per function (name section, else `wasm-function[N]`), the `.eh_frame`, and the module's DWARF transformed to the native code (line tables, one unit per source unit, subprograms, lexical blocks and inlined subroutines at their native ranges, types; parameters and locals with their values: their wasm locations (wasm locals, globals, linear memory at the frame base as `-O0` code has them) become native location lists from where the compiler records each wasm local (a register or a frame-pointer-relative spill slot, per code range: Cranelift value labels); operand-stack locations and values the optimizer did not keep are `<optimized out>`, pointers show wasm addresses, file-scope variables are not located). Modules without DWARF get the symbols. Unregistered when the code is dropped. Keeps the address map on whatever `generate_address_map` says. Compiling sqlite (-O2 -g, 4 MB) takes about 1.2× the CPU time it takes without the option (about 1.08× for recording where locals live, the rest for the DWARF transform when the code is registered). Off: nothing is registered and the code is the same as without it",
    }
    /// Captures wasm backtraces for traps and host errors.
    wasm_backtrace {
        ty: bool = true,
        status: works,
        code: no,
        notes: "traps carry the wasm frames below them, innermost first (`wasm_trap_trace`, `wasm_trap_origin`): for a trap returned by a host function, the wasm function that called it (at the call) and its callers; through nested host→wasm calls, every level of the same store; off: no frames",
    }
    /// Symbolicates backtraces from the module's debug info.
    wasm_backtrace_details {
        ty: WasmBacktraceDetails = WasmBacktraceDetails::Environment,
        shown: "environment (`WASM_RUNTIME_BACKTRACE_DETAILS=1` or `WASMTIME_BACKTRACE_DETAILS=1` enables)",
        status: works,
        code: no,
        notes: "frames carry file, line and column from the module's DWARF line tables (`wasm_frame_source`); the trap message itself is unchanged",
    }
    /// Emits native unwind info (`.eh_frame`) for external unwinders.
    native_unwind_info {
        ty: bool = true,
        status: works,
        code: isa,
        notes: "on: each function's and trampoline's `.eh_frame` (from Cranelift's unwind info) is registered with `__register_frame` when its code is published, compiled or deserialized (serialized modules carry it), and deregistered when the code is dropped, so `backtrace()` from a host function called by wasm walks through the wasm frames to the host frames below; off: nothing is registered and the walk stops at the first wasm frame",
    }
    /// Instruments code to consume fuel: stores start with none, and running out traps.
    consume_fuel {
        ty: bool = false,
        status: works,
        code: value,
        notes: "compiled code meters fuel; stores start empty",
    }
    /// Instruments code with epoch-deadline checks.
    epoch_interruption {
        ty: bool = false,
        status: works,
        code: value,
        notes: "compiled code checks the epoch deadline",
    }
    /// Stack bytes wasm may use before a stack-overflow trap; must be greater than 0.
    max_wasm_stack {
        ty: usize = 512 * KIB as usize,
        shown: "512 KiB",
        status: works,
        code: no,
        notes: "overflow traps; must be > 0",
    }
    /// Size of async execution stacks; with async support, at least `max_wasm_stack`.
    async_stack_size {
        ty: usize = 2 * MIB as usize,
        shown: "2 MiB",
        status: works,
        code: no,
        notes: "bytes of each async call's fiber stack; wasm gets `max_wasm_stack` of it and host functions the rest, plus 64 KiB of headroom on the runtime's own stacks (which also have a 64 KiB guard, whose fault is reported as a host stack overflow); must be at least `max_wasm_stack` with async support",
    }
    /// Enables the wasm tail-call proposal.
    wasm_tail_call {
        ty: bool = true,
        status: works,
        code: no,
        proposal: { key: "tail-call", name: "tail call", flags: [TAIL_CALL], operators: [tail_call] },
        notes: "off: modules using it are refused, naming the option",
    }
    /// Enables the wasm custom-page-sizes proposal.
    wasm_custom_page_sizes {
        ty: bool = false,
        status: works,
        code: no,
        proposal: { key: "custom-page-sizes", name: "custom page sizes", flags: [CUSTOM_PAGE_SIZES], operators: [] },
        notes: "page sizes of 1 byte and 64 KiB; a 1-byte-page memory is always bounds-checked explicitly",
    }
    /// Enables the wasm threads proposal: shared memories and atomics.
    wasm_threads {
        ty: bool = true,
        status: works,
        requires: [wasm_bulk_memory],
        code: no,
        proposal: { key: "threads", name: "threads", flags: [THREADS], operators: [threads] },
        notes: "shared memories live outside any store and never move; atomics, wait/notify blocking across host threads",
    }
    /// Enables wasm reference types.
    wasm_reference_types {
        ty: bool = true,
        status: works,
        requires: [wasm_bulk_memory],
        code: no,
        proposal: { key: "reference-types", name: "reference types", flags: [REFERENCE_TYPES], operators: [reference_types] },
        notes: "off: modules using it are refused",
    }
    /// Enables wasm typed function references.
    wasm_function_references {
        ty: bool = false,
        status: works,
        requires: [wasm_reference_types],
        code: no,
        proposal: { key: "function-references", name: "function references", flags: [FUNCTION_REFERENCES], operators: [function_references] },
        notes: "typed function references, call_ref without a signature check, non-nullable locals and table initialisers; types canonicalised process-wide",
    }
    /// Enables the wasm exception-handling proposal (tags, throw, throw_ref, try_table, exnref); not in the configuration reference, which predates it: its default follows current Wasmtime.
    wasm_exceptions {
        ty: bool = true,
        status: works,
        code: no,
        proposal: { key: "exceptions", name: "exception handling", flags: [EXCEPTIONS], operators: [exceptions] },
        notes: "calls inside a try_table are Cranelift try_calls with exception tables (calls outside one are unchanged; one inside costs what the reference's does: values live into a handler stay in stack slots across the call); exceptions unwind wasm frames only and leave wasm as traps with code UNCAUGHT_EXCEPTION; the legacy try/catch/rethrow/delegate form is refused",
    }
    /// Enables the wasm wide-arithmetic proposal.
    wasm_wide_arithmetic {
        ty: bool = false,
        status: works,
        code: no,
        proposal: { key: "wide-arithmetic", name: "wide arithmetic", flags: [WIDE_ARITHMETIC], operators: [wide_arithmetic] },
        notes: "lowered to the host's add-with-carry and wide multiply",
    }
    /// Enables the wasm GC proposal.
    wasm_gc {
        ty: bool = false,
        status: works,
        requires: [wasm_function_references],
        code: no,
        proposal: { key: "gc", name: "GC", flags: [GC], operators: [gc] },
        notes: "struct and array types (packed fields, subtyping, recursion groups canonicalised iso-recursively across modules), i31ref, casts and the any/extern conversions compile to inline code (field access, null and bounds checks, type-id compares; the runtime walks supertype chains of non-final types and allocates); objects live in a per-store heap that the collector reclaims (see `collector`); the host reaches them through `wasm_ref_t` values of the WASM_ANYREF kinds and the `wasm_ref_struct_*`/`wasm_ref_array_*`/`wasm_ref_i31_*` accessors",
    }
    /// Enables wasm SIMD.
    wasm_simd {
        ty: bool = true,
        status: works,
        code: no,
        proposal: { key: "simd", name: "SIMD", flags: [SIMD], operators: [simd] },
        notes: "lowered to Cranelift vector code; x86-64 hosts need SSE4.2 and below (engine creation says so otherwise); off: modules using it are refused, naming the option",
    }
    /// Enables wasm relaxed SIMD.
    wasm_relaxed_simd {
        ty: bool = true,
        status: works,
        requires: [wasm_simd],
        code: no,
        proposal: { key: "relaxed-simd", name: "relaxed SIMD", flags: [RELAXED_SIMD], operators: [relaxed_simd] },
        notes: "the host's fastest lowering unless relaxed_simd_deterministic; off: modules using it are refused, naming the option",
    }
    /// Lowers relaxed-SIMD instructions to the same results on every host.
    relaxed_simd_deterministic {
        ty: bool = false,
        status: works,
        code: value,
        notes: "the specification's deterministic results (fused madd, wasm min/max, saturating truncation, ...)",
    }
    /// Enables wasm bulk memory operations.
    wasm_bulk_memory {
        ty: bool = true,
        status: works,
        code: no,
        proposal: { key: "bulk-memory", name: "bulk memory", flags: [BULK_MEMORY], operators: [bulk_memory] },
        notes: "off: modules using it are refused, naming the option",
    }
    /// Enables wasm multi-value.
    wasm_multi_value {
        ty: bool = true,
        status: works,
        code: no,
        proposal: { key: "multi-value", name: "multi-value", flags: [MULTI_VALUE], operators: [] },
        notes: "off: modules using it are refused, naming the option",
    }
    /// Enables wasm multi-memory.
    wasm_multi_memory {
        ty: bool = true,
        status: works,
        code: no,
        proposal: { key: "multi-memory", name: "multi-memory", flags: [MULTI_MEMORY], operators: [] },
        notes: "off: modules using it are refused, naming the option",
    }
    /// Enables wasm 64-bit memories.
    wasm_memory64 {
        ty: bool = false,
        status: works,
        code: no,
        proposal: { key: "memory64", name: "memory64", flags: [MEMORY64], operators: [] },
        notes: "64-bit memories and tables; accesses are bounds-checked explicitly",
    }
    /// Enables wasm extended constant expressions.
    wasm_extended_const {
        ty: bool = true,
        status: works,
        code: no,
        proposal: { key: "extended-const", name: "extended-const", flags: [EXTENDED_CONST], operators: [] },
        notes: "off: modules using it are refused, naming the option",
    }
    /// Enables the component model.
    wasm_component_model {
        ty: bool = false,
        status: off_only,
        refused: "the component model is not implemented",
        code: no,
        proposal: { key: "component-model", name: "component model", flags: [COMPONENT_MODEL], operators: [] },
    }
    /// Allows more than 32 flags per component `flags` type.
    wasm_component_model_more_flags {
        ty: bool = false,
        status: off_only,
        refused: "the component model is not implemented",
        requires: [wasm_component_model],
        code: no,
    }
    /// Allows several results per component function.
    wasm_component_model_multiple_returns {
        ty: bool = false,
        status: off_only,
        refused: "the component model is not implemented",
        requires: [wasm_component_model],
        code: no,
    }
    /// Selects the compiler.
    strategy {
        ty: Strategy = Strategy::Auto,
        shown: "auto (Cranelift)",
        status: validated_only,
        code: no,
        notes: "auto/Cranelift; Winch is refused",
    }
    /// Selects the garbage collector of wasm GC objects.
    collector {
        ty: Collector = Collector::Auto,
        shown: "auto",
        status: works,
        code: no,
        notes: "`auto`: a precise mark-sweep collector (stack maps at every call, roots in globals, tables, element segments, exception payloads and host handles) reclaims unreachable structs, arrays and externref host values, cycles included, once allocation since the last collection exceeds what it left live (at least 4 MiB) and on `wasm_store_gc`; `null`: allocation only, nothing is collected, and an allocation past the store's GC heap limit (`wasm_store_gc_heap_limit`) traps with ALLOCATION_TOO_LARGE; `drc` (deferred reference counting) is refused: not in this build yet",
    }
    /// Selects the profiler compiled code is reported to.
    profiler {
        ty: ProfilingStrategy = ProfilingStrategy::None,
        shown: "none",
        status: works,
        code: no,
        notes: "`perfmap`: `/tmp/perf-<pid>.map` gets a `START SIZE name` line per function (name section name, else `wasm-function[N]`) and trampoline as each module (compiled or deserialized) is published; `jitdump`: `jit-<pid>.dump` in the current directory (header and one code-load record with the code bytes per function, mapped read+execute for `perf inject --jit`; with `debug_info` on, each function of a module with DWARF line tables also gets a debug-info record before its code load: the native address, file and line where each of its source lines starts); `vtune`: a method-load event per function (name, address, size, a line table of wasm byte offsets) to the collector VTune names in `INTEL_JIT_PROFILER64`, nothing without one; `none` writes nothing",
    }
    /// Runs Cranelift's IR verifier on every function.
    cranelift_debug_verifier {
        ty: bool = false,
        status: works,
        code: isa,
        notes: "applied to the ISA flags at engine creation",
    }
    /// Selects Cranelift's optimization level.
    cranelift_opt_level {
        ty: OptLevel = OptLevel::Speed,
        shown: "speed",
        status: works,
        code: isa,
        notes: "applied to the ISA flags; default `speed` (see above)",
    }
    /// Canonicalizes the NaNs float operations produce.
    cranelift_nan_canonicalization {
        ty: bool = false,
        status: works,
        code: isa,
        notes: "applied to the ISA flags at engine creation",
    }
    /// Checks the lowering of sandbox checks with proof-carrying code.
    cranelift_pcc {
        ty: bool = false,
        status: off_only,
        refused: "this Cranelift version has no proof-carrying code",
        code: no,
        notes: "this Cranelift has no proof-carrying code",
    }
    /// Enables a boolean Cranelift setting or preset when the engine is built.
    cranelift_flag_enable {
        field: cranelift_flags,
        ty: Vec<CraneliftFlag> = Vec::new(),
        shown: "none",
        access: custom,
        status: works,
        code: isa,
        notes: "applied at engine creation; unknown flags refused",
    }
    /// Sets a Cranelift setting to a value when the engine is built.
    cranelift_flag_set {
        field: cranelift_flags,
        ty: Vec<CraneliftFlag>,
        shown: "none",
        access: custom,
        status: works,
        code: isa,
        notes: "applied at engine creation; unknown flags or values refused",
    }
    /// Enables the on-disk module cache as a cache config file says.
    cache_config_load {
        field: cache,
        ty: CacheSetting = CacheSetting::Disabled,
        shown: "no cache",
        access: custom,
        status: works,
        code: no,
        notes: "file parsed and folder checked at once, but the folder is created by the first stored module; entries are written by a background thread and are complete when the engine is deleted or the process exits",
    }
    /// Disables the on-disk module cache.
    disable_cache {
        field: cache,
        ty: CacheSetting,
        shown: "no cache",
        access: custom,
        status: works,
        code: no,
        notes: "the cache is off",
    }
    /// Enables the on-disk module cache as the default cache config file says.
    cache_config_load_default {
        field: cache,
        ty: CacheSetting,
        shown: "no cache",
        access: custom,
        status: works,
        code: no,
        notes: "`$XDG_CONFIG_HOME/wasm-runtime/config.toml`, else `~/.config/…`; a missing file means a cache in `$XDG_CACHE_HOME/wasm-runtime`, else `~/.cache/…`; nothing is created before the first stored module, so a following `disable_cache` leaves no folder",
    }
    /// Allocates the linear memories made on demand (host-created ones, and instance memories without pooling) with the embedder's memory creator.
    with_host_memory {
        ty: Option<Arc<dyn MemoryCreator>> = None,
        shown: "the runtime's own allocator",
        access: custom,
        status: works,
        code: value,
        notes: "memories allocated on demand come from the embedder's creator: host-created ones (`wasm_memory_new`) and, with on-demand allocation, instance memories; pooled instance memories never do (as in the reference); a dynamic memory of the creator is asked for no guard and checked explicitly",
    }
    /// Allocates async stacks with the embedder's stack creator.
    with_host_stack {
        ty: Option<Arc<dyn StackCreator>> = None,
        shown: "the runtime's own allocator",
        access: custom,
        status: works,
        code: no,
        notes: "every async call's stack comes from the creator (`wasm_config_host_stack_creator_set`), asked for `async_stack_size` bytes, and is released when the call ends; a stack smaller than that, or a failing creator, fails the call with an error naming the option; needs async support (refused at engine creation otherwise)",
    }
    /// Selects how instances and the memories and tables they define are allocated (host-created memories and tables are always allocated on demand).
    allocation_strategy {
        ty: InstanceAllocationStrategy = InstanceAllocationStrategy::OnDemand,
        shown: "on-demand",
        access: custom,
        status: works,
        code: no,
        notes: "on-demand, or pooling: at engine creation one reservation per kind cut into slots: `total_memories` memory slots of `static_memory_maximum_size` bytes with `memory_guard_size` guards between them (none without signals-based traps), `total_tables` slots of `table_elements` elements, `total_core_instances` instance-state slots of `max_core_instance_size` bytes; a reservation the host refuses fails engine creation, giving its size. Instantiation takes its slots up front: exhaustion is an error naming the `total_*` option, and a failed instantiation gives its slots back; `max_memories_per_module` and `max_tables_per_module` bound one module, `max_memory_size` how far a memory grows. Dropping a store resets its slots without unmapping (`madvise`), the first `linear_memory_keep_resident` / `table_keep_resident` bytes zeroed by hand and kept resident, `decommit_batch_size` slots at a time; `max_unused_warm_slots` freed slots stay warm for the module they served, whose copy-on-write image stays mapped, so a warm instantiate/drop makes no `mmap`. At most `total_stacks` async calls are in progress at once (a call past that fails naming the option); a finished call's stack is reused, zeroed first with `async_stack_zeroing` (its top `async_stack_keep_resident` bytes by hand, the rest decommitted). Memory plans are the same as on demand (a slot fits static and dynamic ones); shared memories and host-created memories and tables (`wasm_memory_new`, `wasm_table_new`) are allocated on demand, take no slots and obey no pool limit (as in the reference)",
    }
    /// Largest memory reservation treated as static: memories whose maximum fits never move.
    static_memory_maximum_size {
        ty: u64 = if IS_64_BIT { 4 * GIB } else { GIB },
        shown: "4 GiB (1 GiB on 32-bit hosts)",
        status: works,
        code: value,
    }
    /// Makes every memory static, limited to `static_memory_maximum_size`.
    static_memory_forced {
        ty: bool = false,
        status: works,
        code: value,
    }
    /// Guard bytes after each memory reservation, rounded up to whole host pages; accesses proven to land in it need no bounds check.
    memory_guard_size {
        ty: u64 = if IS_64_BIT { 2 * GIB } else { 64 * KIB },
        shown: "2 GiB (64 KiB on 32-bit hosts)",
        status: works,
        code: value,
        notes: "rounded up to whole host pages (1 or 4097 bytes give one or two 4 KiB pages), as the reference does; accesses the guard covers need no bounds check",
    }
    /// Extra bytes reserved after a dynamic memory to grow into without moving.
    dynamic_memory_reserved_for_growth {
        ty: u64 = if IS_64_BIT { 2 * GIB } else { MIB },
        shown: "2 GiB (1 MiB on 32-bit hosts)",
        status: works,
        code: value,
    }
    /// Places a guard region of `memory_guard_size` bytes before each memory too.
    guard_before_linear_memory {
        ty: bool = true,
        status: works,
        code: value,
    }
    /// Initializes table elements lazily, on first use.
    table_lazy_init {
        ty: bool = true,
        status: works,
        code: value,
        notes: "funcref elements start uninitialised (0) and take their initial value on first access, so instantiation writes none of a table's elements (pooled slots are cleared on release instead of keeping warm entries); off: every element is written at instantiation",
    }
    /// Selects the version stamp serialized modules carry and must match.
    module_version {
        ty: ModuleVersionStrategy = ModuleVersionStrategy::CrateVersion,
        shown: "this library's version",
        access: custom,
        status: works,
        code: no,
        notes: "checked when deserializing modules",
    }
    /// Compiles a module's functions on several threads.
    parallel_compilation {
        ty: bool = true,
        status: works,
        code: no,
    }
    /// Keeps native-address to wasm-offset maps for backtraces.
    generate_address_map {
        ty: bool = true,
        status: works,
        code: value,
    }
    /// Initializes memories from copy-on-write images when possible.
    memory_init_cow {
        ty: bool = true,
        status: works,
        code: no,
        notes: "data segments mapped copy-on-write from a per-module memfd image; off: copied at instantiation",
    }
    /// Always backs memory images with `memfd_create` on Linux.
    force_memory_init_memfd {
        ty: bool = false,
        status: works,
        code: no,
        notes: "a module loaded with `wasm_module_deserialize_file` maps its copy-on-write memory images from that file (serialized modules store them page-aligned), so no in-memory copy exists; on: those images are in-memory files (`memfd_create`) as for compiled modules",
    }
    /// Attaches a core dump to trap errors.
    coredump_on_trap {
        ty: bool = false,
        status: works,
        code: no,
        notes: "a trap leaving wasm (a wasm trap, or a host trap returned through wasm) carries a wasm coredump in the tool-conventions format (`wasm_trap_coredump`): custom sections `core`, `coremodules`, `coreinstances` and `corestack` (every frame's instance, function index and code offset from the function's start; every local of the frame's function, with its value where the compiler recorded where it is at the frame's instruction: a spill slot, read from the stack as the trap left it, or, in the trapping frame of a trap raised by a signal, a register; the others, and `v128` and reference locals, missing; the operand stack unknown, 0 values), plus the memories (contents at trap time as data segments) and globals (values at trap time) of the frames' instances; frames are taken even with `wasm_backtrace` off. The compiler records where locals live only for modules compiled with the option on (or with `debug_info`), which makes compiling sqlite take about 1.08× the CPU time and changes the code a little, not what it does: code compiled either way runs under either setting, so serialized and cached modules are shared (one compiled without it dumps every local as missing); off: no dump, no memory copy, and the code is the same as without it",
    }
    /// Checks wasm heap use with wmemcheck.
    wmemcheck {
        ty: bool = false,
        status: works,
        code: value,
        notes: "in modules that define `malloc`, `calloc`, `realloc`, `free` (also `aligned_alloc`, `posix_memalign`, `malloc_usable_size`; found by name-section name, else by export name) over an unshared memory 0, every access of memory 0 and every allocator call is checked: accesses to freed bytes or to heap bytes no live block holds, double frees and frees of pointers the allocator never returned trap (`WASM_TRAP_CODE_MEMORY_CHECK`) with a message naming the address and the error; checks pause while the allocator runs; the stack and static data are never checked; aligned reads of up to 16 bytes that reach a live block pass (partial loads, as in Valgrind: word-at-a-time `strlen`); most accesses are decided inline, so running costs about 1.3-4x on kernels over static data, 11x on one streaming over malloc'd matrices, 2.7x for sqlite; off: no instrumentation",
    }
    /// Initialized-data size up to which a dense copy-on-write memory image is always made.
    memory_guaranteed_dense_image_size {
        ty: u64 = 16 * MIB,
        shown: "16 MiB",
        status: works,
        code: no,
        notes: "a memory whose initialised range is larger and less than half of whose pages hold data gets no copy-on-write image (nor does the rest of its module): its segments are copied at instantiation",
    }
    /// Adds extra checks to component adapter modules.
    debug_adapter_modules {
        ty: bool = false,
        status: off_only,
        refused: "the component model is not implemented",
        code: no,
        notes: "no component model",
    }
    /// Writes each compiled function's Cranelift IR into an existing folder.
    emit_clif {
        ty: Option<PathBuf> = None,
        shown: "off",
        access: custom,
        status: works,
        code: no,
        notes: "directory must exist",
    }
    /// Handles traps with Mach ports instead of signals on macOS.
    macos_use_mach_ports {
        // `None` until set: the reference's default (true) is accepted,
        // an explicit `true` is refused.
        ty: Option<bool> = None,
        shown: "true",
        access: custom,
        c_arg: bool,
        status: off_only,
        code: no,
        notes: "traps use signals on every OS",
    }
    /// Learns the host's CPU features from the embedder's probe when building the host ISA.
    detect_host_feature {
        ty: Option<Arc<dyn HostFeatureDetector>> = None,
        shown: "the standard library's detection",
        access: custom,
        status: works,
        code: isa,
        notes: "consulted when the engine builds the host ISA",
    }
    /// Traps by faulting, caught by the library's SIGSEGV/SIGBUS/SIGILL/SIGFPE handlers; when false, no signal handler is ever installed for this engine, memories get no guard regions, and every trap (out-of-bounds access, division, conversion, call_indirect, stack overflow, host error, fuel, epoch) is an explicit check in compiled code that calls into the runtime; Cranelift's Spectre heap and table mitigations must then stay off.
    signals_based_traps {
        ty: bool = true,
        status: works,
        code: value,
        notes: "false: no signal handler is ever installed; no guard regions; every trap is an explicit check that calls into the runtime",
    }
}

proposals! {
    /// The MVP, with mutable globals and floats (wasmparser's `WASM1`, which
    /// includes the GC types `externref` needs even without a collector).
    mvp { name: "MVP", flags: [WASM1], operators: [mvp], support: always }
    /// Sign-extension operators.
    sign_extension { name: "sign extension", flags: [SIGN_EXTENSION], operators: [sign_extension], support: always }
    /// Saturating float-to-int conversions.
    saturating_float_to_int { name: "saturating float-to-int", flags: [SATURATING_FLOAT_TO_INT], operators: [saturating_float_to_int], support: always }
    /// The legacy exception-handling instructions (`try`, `catch`, `rethrow`, `delegate`), superseded by `try_table`.
    legacy_exceptions { name: "legacy exception handling", flags: [LEGACY_EXCEPTIONS], operators: [legacy_exceptions], support: never }
    /// Shared-everything threads.
    shared_everything_threads { name: "shared-everything threads", flags: [SHARED_EVERYTHING_THREADS], operators: [shared_everything_threads], support: never }
    /// Stack switching.
    stack_switching { name: "stack switching", flags: [STACK_SWITCHING], operators: [stack_switching], support: never }
    /// Memory control.
    memory_control { name: "memory control", flags: [MEMORY_CONTROL], operators: [memory_control], support: never }
    /// Custom descriptors.
    custom_descriptors { name: "custom descriptors", flags: [CUSTOM_DESCRIPTORS], operators: [custom_descriptors], support: never }
    /// Acquire-release atomics.
    acquire_release_atomics { name: "acquire-release atomics", flags: [ACQUIRE_RELEASE_ATOMICS], operators: [acquire_release_atomics], support: never }
}
