//! A small stand-in runtime, just enough to run the non-trapping parts of
//! spec `.wast` files through the compiler before the real runtime exists:
//! instances with hand-built `VMContext`s, dynamic memories backed by
//! `Vec`s, tables, globals, imports between instances, the `spectest`
//! module and every builtin. Traps cannot be caught here (that needs the
//! runtime's signal handlers), so `assert_trap` and `assert_exhaustion`
//! are skipped; `assert_return`, `assert_invalid` and `assert_malformed`
//! are checked.

use std::collections::HashMap;
use std::sync::Arc;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::info::{ConstExpr, ConstOp, DataMode, ElemMode};
use wasm_runtime::module::{EntityType, ExternKind, Module};
use wasm_runtime::runtime::vmoffsets::{func_ref, memory_def, runtime_limits, table_def};
use wasm_runtime::runtime::{BuiltinFunction, VMOffsets, ValRaw};
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::{QuoteWat, WastArg, WastDirective, WastExecute, WastRet};

/// A linear memory: its definition (inside the owning `VMContext`, or in
/// `own_def` for host memories) and its bytes.
pub struct MemState {
    def: *mut u64,
    own_def: Box<[u64; 2]>,
    data: Vec<u8>,
    max_pages: u64,
}

impl MemState {
    fn new(def: Option<*mut u64>, pages: u64, max_pages: u64) -> Box<MemState> {
        let mut m = Box::new(MemState {
            def: std::ptr::null_mut(),
            own_def: Box::new([0; 2]),
            data: vec![0; (pages as usize) << 16],
            max_pages,
        });
        m.def = def.unwrap_or(m.own_def.as_mut_ptr());
        m.sync();
        m
    }

    fn sync(&mut self) {
        // SAFETY: `def` points at a live two-word VMMemoryDefinition.
        unsafe {
            self.def
                .add((memory_def::BASE / 8) as usize)
                .write(self.data.as_mut_ptr() as u64);
            self.def
                .add((memory_def::CURRENT_LENGTH / 8) as usize)
                .write(self.data.len() as u64);
        }
    }
}

/// A table: its definition and its elements (pointer-sized).
pub struct TableState {
    def: *mut u64,
    own_def: Box<[u64; 2]>,
    elems: Vec<usize>,
    max: u64,
}

impl TableState {
    fn new(def: Option<*mut u64>, size: u64, max: u64, init: usize) -> Box<TableState> {
        let mut t = Box::new(TableState {
            def: std::ptr::null_mut(),
            own_def: Box::new([0; 2]),
            elems: vec![init; size as usize],
            max,
        });
        t.def = def.unwrap_or(t.own_def.as_mut_ptr());
        t.sync();
        t
    }

    fn sync(&mut self) {
        // SAFETY: `def` points at a live two-word VMTableDefinition.
        unsafe {
            self.def
                .add((table_def::BASE / 8) as usize)
                .write(self.elems.as_mut_ptr() as u64);
            self.def
                .add((table_def::CURRENT_ELEMENTS / 8) as usize)
                .write(self.elems.len() as u64);
        }
    }
}

/// Something an instance exports.
#[derive(Clone, Copy)]
pub enum ExternVal {
    /// A copy of the function's `VMFuncRef`.
    Func([u64; 3]),
    Memory(*mut MemState),
    Table(*mut TableState),
    /// The global's definition.
    Global(*mut u8),
}

// Memories and tables are boxed so the raw pointers into them stay valid.
#[allow(clippy::vec_box)]
pub struct Instance {
    pub module: Module,
    vmctx: Box<[u128]>,
    _limits: Box<[u64; 4]>,
    memories: Vec<*mut MemState>,
    _owned_memories: Vec<Box<MemState>>,
    tables: Vec<*mut TableState>,
    _owned_tables: Vec<Box<TableState>>,
    data: Vec<Option<Arc<[u8]>>>,
    elems: Vec<Option<Vec<usize>>>,
    offsets: VMOffsets,
}

fn state<'a>(vmctx: *mut u8) -> &'a mut Instance {
    // SAFETY: every VMContext built here stores its boxed `Instance` at
    // `VMOffsets::INSTANCE`, and the instance outlives calls into it.
    unsafe { &mut *(*(vmctx.add(VMOffsets::INSTANCE as usize) as *const *mut Instance)) }
}

fn range_ok(start: u64, len: u64, size: usize) -> bool {
    start.checked_add(len).is_some_and(|end| end <= size as u64)
}

// ----- builtins (the runtime's job; a direct, unoptimised version) -----

extern "C" fn memory_grow(vmctx: *mut u8, mem: u32, delta: u64) -> u64 {
    // SAFETY: the instance owns or imports this memory for its lifetime.
    let m = unsafe { &mut *state(vmctx).memories[mem as usize] };
    let old = (m.data.len() >> 16) as u64;
    match old.checked_add(delta) {
        Some(new) if new <= m.max_pages => {
            m.data.resize((new as usize) << 16, 0);
            m.sync();
            old
        }
        _ => u64::MAX,
    }
}

extern "C" fn memory_fill(vmctx: *mut u8, mem: u32, dst: u64, val: u32, len: u64) -> u32 {
    // SAFETY: as above.
    let m = unsafe { &mut *state(vmctx).memories[mem as usize] };
    if !range_ok(dst, len, m.data.len()) {
        return 0;
    }
    m.data[dst as usize..(dst + len) as usize].fill(val as u8);
    1
}

extern "C" fn memory_copy(vmctx: *mut u8, dm: u32, dst: u64, sm: u32, src: u64, len: u64) -> u32 {
    let inst = state(vmctx);
    let (d, s) = (inst.memories[dm as usize], inst.memories[sm as usize]);
    // SAFETY: both memories are live; `copy` handles overlap.
    unsafe {
        if !range_ok(dst, len, (*d).data.len()) || !range_ok(src, len, (*s).data.len()) {
            return 0;
        }
        std::ptr::copy(
            (*s).data.as_ptr().add(src as usize),
            (*d).data.as_mut_ptr().add(dst as usize),
            len as usize,
        );
    }
    1
}

extern "C" fn memory_init(
    vmctx: *mut u8,
    mem: u32,
    data: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    let inst = state(vmctx);
    let bytes = inst.data[data as usize]
        .clone()
        .unwrap_or_else(|| Arc::from(&[][..]));
    // SAFETY: as above.
    let m = unsafe { &mut *inst.memories[mem as usize] };
    let (src, len) = (u64::from(src), u64::from(len));
    if !range_ok(dst, len, m.data.len()) || !range_ok(src, len, bytes.len()) {
        return 0;
    }
    m.data[dst as usize..(dst + len) as usize]
        .copy_from_slice(&bytes[src as usize..(src + len) as usize]);
    1
}

extern "C" fn data_drop(vmctx: *mut u8, data: u32) {
    state(vmctx).data[data as usize] = None;
}

extern "C" fn table_grow(vmctx: *mut u8, table: u32, delta: u64, init: usize) -> u64 {
    // SAFETY: the instance owns or imports this table.
    let t = unsafe { &mut *state(vmctx).tables[table as usize] };
    let old = t.elems.len() as u64;
    match old.checked_add(delta) {
        Some(new) if new <= t.max => {
            t.elems.resize(new as usize, init);
            t.sync();
            old
        }
        _ => u64::MAX,
    }
}

extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u64, val: usize, len: u64) -> u32 {
    // SAFETY: as above.
    let t = unsafe { &mut *state(vmctx).tables[table as usize] };
    if !range_ok(dst, len, t.elems.len()) {
        return 0;
    }
    t.elems[dst as usize..(dst + len) as usize].fill(val);
    1
}

extern "C" fn table_copy(vmctx: *mut u8, dt: u32, st: u32, dst: u64, src: u64, len: u64) -> u32 {
    let inst = state(vmctx);
    let (d, s) = (inst.tables[dt as usize], inst.tables[st as usize]);
    // SAFETY: both tables are live; `copy` handles overlap.
    unsafe {
        if !range_ok(dst, len, (*d).elems.len()) || !range_ok(src, len, (*s).elems.len()) {
            return 0;
        }
        std::ptr::copy(
            (*s).elems.as_ptr().add(src as usize),
            (*d).elems.as_mut_ptr().add(dst as usize),
            len as usize,
        );
    }
    1
}

extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    elem: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    let inst = state(vmctx);
    let items = inst.elems[elem as usize].clone().unwrap_or_default();
    // SAFETY: as above.
    let t = unsafe { &mut *inst.tables[table as usize] };
    let (src, len) = (u64::from(src), u64::from(len));
    if !range_ok(dst, len, t.elems.len()) || !range_ok(src, len, items.len()) {
        return 0;
    }
    t.elems[dst as usize..(dst + len) as usize]
        .copy_from_slice(&items[src as usize..(src + len) as usize]);
    1
}

extern "C" fn elem_drop(vmctx: *mut u8, elem: u32) {
    state(vmctx).elems[elem as usize] = None;
}

fn builtin_table() -> &'static [usize; BuiltinFunction::COUNT] {
    static TABLE: std::sync::OnceLock<[usize; BuiltinFunction::COUNT]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0usize; BuiltinFunction::COUNT];
        for f in BuiltinFunction::ALL {
            t[f as usize] = match f {
                BuiltinFunction::MemoryGrow => memory_grow as *const () as usize,
                BuiltinFunction::MemoryFill => memory_fill as *const () as usize,
                BuiltinFunction::MemoryCopy => memory_copy as *const () as usize,
                BuiltinFunction::MemoryInit => memory_init as *const () as usize,
                BuiltinFunction::DataDrop => data_drop as *const () as usize,
                BuiltinFunction::TableGrow => table_grow as *const () as usize,
                BuiltinFunction::TableFill => table_fill as *const () as usize,
                BuiltinFunction::TableCopy => table_copy as *const () as usize,
                BuiltinFunction::TableInit => table_init as *const () as usize,
                BuiltinFunction::ElemDrop => elem_drop as *const () as usize,
            };
        }
        t
    })
}

/// The `array_call` of every host function here: does nothing (spectest
/// `print*` functions have no results).
extern "C" fn host_nop(_: *mut u8, _: *mut u8, _: *mut ValRaw, _: usize) -> u32 {
    1
}

/// The host context of the host functions: a `VMHostFuncContext` is just
/// the `array_call` pointer.
fn host_ctx() -> *const usize {
    static CTX: std::sync::OnceLock<Box<[usize; 1]>> = std::sync::OnceLock::new();
    CTX.get_or_init(|| Box::new([host_nop as *const () as usize]))
        .as_ptr()
}

impl Instance {
    fn vmctx_ptr(&self) -> *mut u8 {
        self.vmctx.as_ptr() as *mut u8
    }

    fn put(&self, at: u32, v: u64) {
        // SAFETY: offsets come from `VMOffsets` of this module.
        unsafe { (self.vmctx_ptr().add(at as usize) as *mut u64).write(v) }
    }

    fn get(&self, at: u32) -> u64 {
        // SAFETY: as above.
        unsafe { (self.vmctx_ptr().add(at as usize) as *const u64).read() }
    }

    fn global_ptr(&self, index: u32) -> *mut u8 {
        let info = self.module.info();
        if index < info.num_imported_globals {
            self.get(self.offsets.imported_global(index)) as *mut u8
        } else {
            // SAFETY: the offset is inside the VMContext.
            unsafe {
                self.vmctx_ptr().add(
                    self.offsets
                        .defined_global(index - info.num_imported_globals)
                        as usize,
                )
            }
        }
    }

    fn eval(&self, expr: &ConstExpr) -> u128 {
        let mut stack: Vec<u128> = Vec::new();
        for op in &expr.ops {
            let v = match *op {
                ConstOp::I32Const(v) => v as u32 as u128,
                ConstOp::I64Const(v) => v as u64 as u128,
                ConstOp::F32Const(v) => v as u128,
                ConstOp::F64Const(v) => v as u128,
                ConstOp::V128Const(v) => v,
                ConstOp::RefNull(_) => 0,
                ConstOp::RefFunc(f) => self.vmctx_ptr() as u128 + self.offsets.func_ref(f) as u128,
                // SAFETY: the global's definition is 16 readable bytes.
                ConstOp::GlobalGet(g) => unsafe { (self.global_ptr(g) as *const u128).read() },
                ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                    let b = stack.pop().unwrap() as u32;
                    let a = stack.pop().unwrap() as u32;
                    (match op {
                        ConstOp::I32Add => a.wrapping_add(b),
                        ConstOp::I32Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    }) as u128
                }
                ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                    let b = stack.pop().unwrap() as u64;
                    let a = stack.pop().unwrap() as u64;
                    (match op {
                        ConstOp::I64Add => a.wrapping_add(b),
                        ConstOp::I64Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    }) as u128
                }
            };
            stack.push(v);
        }
        stack.pop().unwrap()
    }

    /// Instantiates `module`, resolving imports through `linker`.
    pub fn new(
        module: Module,
        linker: &HashMap<(String, String), ExternVal>,
    ) -> Result<Box<Instance>, String> {
        let info = module.info().clone();
        let offsets = VMOffsets::new(&info);
        let mut inst = Box::new(Instance {
            vmctx: vec![0u128; offsets.size() as usize / 16 + 1].into_boxed_slice(),
            _limits: Box::new([0; 4]),
            memories: Vec::new(),
            _owned_memories: Vec::new(),
            tables: Vec::new(),
            _owned_tables: Vec::new(),
            data: info.data.iter().map(|d| Some(d.data.clone())).collect(),
            elems: Vec::new(),
            offsets,
            module,
        });
        let inst_ptr = &mut *inst as *mut Instance as u64;
        inst._limits[(runtime_limits::STACK_LIMIT / 8) as usize] = 0;
        inst.put(VMOffsets::RUNTIME_LIMITS, inst._limits.as_ptr() as u64);
        inst.put(VMOffsets::BUILTINS, builtin_table().as_ptr() as u64);
        inst.put(VMOffsets::INSTANCE, inst_ptr);
        inst.put(VMOffsets::TYPE_IDS, inst.module.type_ids().as_ptr() as u64);
        let type_ids = inst.module.type_ids().to_vec();

        for import in &info.imports {
            let key = (import.module.clone(), import.name.clone());
            let Some(&val) = linker.get(&key) else {
                return Err(format!("unknown import {}::{}", import.module, import.name));
            };
            match (&import.ty, val) {
                (EntityType::Function(ty), ExternVal::Func(mut fr)) => {
                    if fr[0] == 0 {
                        // A host function: the trampoline for this type.
                        fr[0] = inst.module.wasm_to_host_trampoline(*ty) as u64;
                        fr[2] = u64::from(type_ids[*ty as usize]);
                    }
                    let at = inst.offsets.func_ref(import.index);
                    inst.put(at + func_ref::WASM_CALL, fr[0]);
                    inst.put(at + func_ref::VMCTX, fr[1]);
                    inst.put(at + func_ref::TYPE_ID, fr[2]);
                }
                (EntityType::Memory(_), ExternVal::Memory(m)) => {
                    // SAFETY: the exporter keeps the memory alive.
                    let def = unsafe { (*m).def };
                    inst.put(inst.offsets.imported_memory(import.index), def as u64);
                    inst.memories.push(m);
                }
                (EntityType::Table(_), ExternVal::Table(t)) => {
                    // SAFETY: the exporter keeps the table alive.
                    let def = unsafe { (*t).def };
                    inst.put(inst.offsets.imported_table(import.index), def as u64);
                    inst.tables.push(t);
                }
                (EntityType::Global(_), ExternVal::Global(g)) => {
                    inst.put(inst.offsets.imported_global(import.index), g as u64);
                }
                _ => {
                    return Err(format!(
                        "incompatible import {}::{}",
                        import.module, import.name
                    ))
                }
            }
        }
        for (i, ty) in info
            .memories
            .iter()
            .enumerate()
            .skip(info.num_imported_memories as usize)
        {
            let at = inst
                .offsets
                .defined_memory((i as u32) - info.num_imported_memories);
            // SAFETY: the definition lies inside the VMContext.
            let def = unsafe { inst.vmctx_ptr().add(at as usize) } as *mut u64;
            let mut m = MemState::new(Some(def), ty.minimum, ty.maximum.unwrap_or(65536));
            inst.memories.push(&mut *m);
            inst._owned_memories.push(m);
        }
        for (i, ty) in info
            .tables
            .iter()
            .enumerate()
            .skip(info.num_imported_tables as usize)
        {
            let at = inst
                .offsets
                .defined_table((i as u32) - info.num_imported_tables);
            // SAFETY: as above.
            let def = unsafe { inst.vmctx_ptr().add(at as usize) } as *mut u64;
            let mut t = TableState::new(
                Some(def),
                ty.minimum,
                ty.maximum.unwrap_or(u32::MAX as u64),
                0,
            );
            inst.tables.push(&mut *t);
            inst._owned_tables.push(t);
        }
        for f in info.num_imported_funcs..info.functions.len() as u32 {
            let at = inst.offsets.func_ref(f);
            let ty = info.functions[f as usize];
            inst.put(at + func_ref::WASM_CALL, inst.module.func_ptr(f) as u64);
            inst.put(at + func_ref::VMCTX, inst.vmctx_ptr() as u64);
            inst.put(at + func_ref::TYPE_ID, u64::from(type_ids[ty as usize]));
        }
        for (i, init) in info.global_inits.iter().enumerate() {
            let v = inst.eval(init);
            let g = inst.global_ptr(info.num_imported_globals + i as u32);
            // SAFETY: 16 writable bytes of global definition.
            unsafe { (g as *mut u128).write_unaligned(v) };
        }
        for seg in &info.elems {
            let items: Vec<usize> = seg.items.iter().map(|e| inst.eval(e) as usize).collect();
            match &seg.mode {
                ElemMode::Active { table, offset } => {
                    let start = inst.eval(offset) as u32 as u64;
                    // SAFETY: the table is live.
                    let t = unsafe { &mut *inst.tables[*table as usize] };
                    if !range_ok(start, items.len() as u64, t.elems.len()) {
                        return Err("out of bounds table access".into());
                    }
                    t.elems[start as usize..start as usize + items.len()].copy_from_slice(&items);
                    inst.elems.push(None);
                }
                ElemMode::Declared => inst.elems.push(None),
                ElemMode::Passive => inst.elems.push(Some(items)),
            }
        }
        for (i, seg) in info.data.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &seg.mode {
                let start = inst.eval(offset) as u32 as u64;
                // SAFETY: the memory is live.
                let m = unsafe { &mut *inst.memories[*memory as usize] };
                if !range_ok(start, seg.data.len() as u64, m.data.len()) {
                    return Err("out of bounds memory access".into());
                }
                m.data[start as usize..start as usize + seg.data.len()].copy_from_slice(&seg.data);
                inst.data[i] = None;
            }
        }
        if let Some(start) = info.start {
            inst.call_index(start, &[]);
        }
        Ok(inst)
    }

    pub fn export(&self, name: &str) -> Option<ExternVal> {
        let e = self.module.info().exports.iter().find(|e| e.name == name)?;
        Some(match e.kind {
            ExternKind::Func => {
                let at = self.offsets.func_ref(e.index);
                ExternVal::Func([
                    self.get(at + func_ref::WASM_CALL),
                    self.get(at + func_ref::VMCTX),
                    self.get(at + func_ref::TYPE_ID),
                ])
            }
            ExternKind::Memory => ExternVal::Memory(self.memories[e.index as usize]),
            ExternKind::Table => ExternVal::Table(self.tables[e.index as usize]),
            ExternKind::Global => ExternVal::Global(self.global_ptr(e.index)),
        })
    }

    /// Calls function `index` (defined or imported) with `args`.
    pub fn call_index(&mut self, index: u32, args: &[ValRaw]) -> Vec<ValRaw> {
        let info = self.module.info();
        let ty_index = info.functions[index as usize];
        let ty = &info.types[ty_index as usize];
        let mut values = vec![ValRaw::default(); ty.params.len().max(ty.results.len()).max(1)];
        values[..args.len()].copy_from_slice(args);
        let at = self.offsets.func_ref(index);
        let (call, callee) = (
            self.get(at + func_ref::WASM_CALL),
            self.get(at + func_ref::VMCTX),
        );
        let trampoline = self.module.array_to_wasm_trampoline(ty_index);
        // SAFETY: the func ref is initialised for this module's type.
        unsafe {
            trampoline(
                call as *const u8,
                callee as *mut u8,
                self.vmctx_ptr(),
                values.as_mut_ptr(),
            )
        };
        values.truncate(ty.results.len());
        values
    }

    pub fn call(&mut self, name: &str, args: &[ValRaw]) -> Vec<ValRaw> {
        let e = self
            .module
            .info()
            .exports
            .iter()
            .find(|e| e.name == name && e.kind == ExternKind::Func)
            .unwrap_or_else(|| panic!("no function export {name}"))
            .index;
        self.call_index(e, args)
    }
}

/// The `spectest` module's exports.
fn spectest(
    linker: &mut HashMap<(String, String), ExternVal>,
    keep: &mut Vec<Box<dyn std::any::Any>>,
) {
    let mut add = |name: &str, v: ExternVal| {
        linker.insert(("spectest".to_string(), name.to_string()), v);
    };
    for f in [
        "print",
        "print_i32",
        "print_i64",
        "print_f32",
        "print_f64",
        "print_i32_f32",
        "print_f64_f64",
    ] {
        add(f, ExternVal::Func([0, host_ctx() as u64, 0]));
    }
    let globals: [(&str, u128); 4] = [
        ("global_i32", 666),
        ("global_i64", 666),
        ("global_f32", 666.6f32.to_bits() as u128),
        ("global_f64", 666.6f64.to_bits() as u128),
    ];
    for (name, v) in globals {
        let mut g = Box::new(v);
        add(name, ExternVal::Global(&mut *g as *mut u128 as *mut u8));
        keep.push(g);
    }
    let mut table = TableState::new(None, 10, 20, 0);
    add("table", ExternVal::Table(&mut *table));
    keep.push(table);
    let mut memory = MemState::new(None, 1, 2);
    add("memory", ExternVal::Memory(&mut *memory));
    keep.push(memory);
}

fn arg(a: &WastArg<'_>) -> Option<ValRaw> {
    let WastArg::Core(a) = a else { return None };
    Some(match a {
        WastArgCore::I32(v) => ValRaw::from_i32(*v),
        WastArgCore::I64(v) => ValRaw::from_i64(*v),
        WastArgCore::F32(v) => ValRaw::from_f32_bits(v.bits),
        WastArgCore::F64(v) => ValRaw::from_f64_bits(v.bits),
        WastArgCore::RefNull(_) => ValRaw::from_i64(0),
        WastArgCore::RefExtern(n) => ValRaw::from_i64(i64::from(*n) + 1),
        _ => return None,
    })
}

fn matches(got: ValRaw, want: &WastRetCore<'_>) -> Option<bool> {
    Some(match want {
        WastRetCore::I32(v) => got.get_i32() == *v,
        WastRetCore::I64(v) => got.get_i64() == *v,
        WastRetCore::F32(p) => {
            let bits = got.get_f32_bits();
            match p {
                NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
                NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
                NanPattern::Value(v) => bits == v.bits,
            }
        }
        WastRetCore::F64(p) => {
            let bits = got.get_f64_bits();
            match p {
                NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
                NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
                NanPattern::Value(v) => bits == v.bits,
            }
        }
        WastRetCore::RefNull(_) => got.get_i64() == 0,
        WastRetCore::RefExtern(None) => got.get_i64() != 0,
        WastRetCore::RefExtern(Some(n)) => got.get_i64() == i64::from(*n) + 1,
        WastRetCore::RefFunc(None) => got.get_i64() != 0,
        WastRetCore::Either(options) => {
            let mut any = false;
            for o in options {
                any |= matches(got, o)?;
            }
            any
        }
        _ => return None,
    })
}

/// Whether an expected result is outside what this harness can compare
/// (v128, GC references, typed null references).
fn uses_unsupported(ret: &WastRetCore<'_>) -> bool {
    let plain_null = matches!(
        ret,
        WastRetCore::RefNull(Some(HeapType::Abstract {
            ty: AbstractHeapType::Func | AbstractHeapType::Extern,
            ..
        })) | WastRetCore::RefNull(None)
    );
    !plain_null && matches(ValRaw::default(), ret).is_none()
}

/// What a run of one file did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub passed: usize,
    pub skipped: usize,
    pub failures: Vec<String>,
}

/// Runs the checkable directives of `path`.
pub fn run_wast(engine: &Engine, path: &std::path::Path) -> Outcome {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Outcome::default();
    let buf = match wast::parser::ParseBuffer::new(&text) {
        Ok(b) => b,
        Err(e) => {
            out.failures.push(format!("lex: {e}"));
            return out;
        }
    };
    let wast: wast::Wast<'_> = match wast::parser::parse(&buf) {
        Ok(w) => w,
        Err(e) => {
            out.failures.push(format!("parse: {e}"));
            return out;
        }
    };
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    let mut linker = HashMap::new();
    spectest(&mut linker, &mut keep);
    let mut named: HashMap<String, usize> = HashMap::new();
    let mut instances: Vec<Box<Instance>> = Vec::new();
    let mut current: Option<usize> = None;
    let line = |span: wast::token::Span| span.linecol_in(&text).0 + 1;

    let trace = std::env::var_os("SPEC_TRACE").is_some();
    for directive in wast.directives {
        if trace {
            eprintln!("line {}", line(directive.span()));
        }
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|n| n.name().to_string());
                let (QuoteWat::Wat(wast::Wat::Module(_)) | QuoteWat::QuoteModule(..)) = &module
                else {
                    out.skipped += 1;
                    continue;
                };
                let bytes = match module.encode() {
                    Ok(b) => b,
                    Err(e) => {
                        out.failures.push(format!("encode: {e}"));
                        current = None;
                        continue;
                    }
                };
                let compiled = match Module::new(engine, &bytes) {
                    Ok(m) => m,
                    Err(e) => {
                        let msg = e.to_string();
                        if msg.contains("not supported yet") {
                            out.skipped += 1;
                        } else {
                            out.failures.push(format!("module: {msg}"));
                        }
                        current = None;
                        continue;
                    }
                };
                match Instance::new(compiled, &linker) {
                    Ok(i) => {
                        instances.push(i);
                        current = Some(instances.len() - 1);
                        if let Some(name) = name {
                            named.insert(name, instances.len() - 1);
                        }
                        out.passed += 1;
                    }
                    Err(_) => {
                        out.skipped += 1;
                        current = None;
                    }
                }
            }
            WastDirective::Register { name, module, .. } => {
                let idx = match module {
                    Some(id) => named.get(id.name()).copied(),
                    None => current,
                };
                if let Some(idx) = idx {
                    let inst = &instances[idx];
                    for e in inst.module.info().exports.clone() {
                        if let Some(v) = inst.export(&e.name) {
                            linker.insert((name.to_string(), e.name.clone()), v);
                        }
                    }
                }
            }
            WastDirective::AssertReturn {
                span,
                exec: WastExecute::Invoke(invoke),
                results,
            } => {
                let idx = match invoke.module {
                    Some(id) => named.get(id.name()).copied(),
                    None => current,
                };
                let Some(idx) = idx else {
                    out.skipped += 1;
                    continue;
                };
                let args: Option<Vec<ValRaw>> = invoke.args.iter().map(arg).collect();
                let wants: Option<Vec<&WastRetCore<'_>>> = results
                    .iter()
                    .map(|r| match r {
                        WastRet::Core(c) if !uses_unsupported(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                let (Some(args), Some(wants)) = (args, wants) else {
                    out.skipped += 1;
                    continue;
                };
                let got = instances[idx].call(invoke.name, &args);
                let ok = got.len() == wants.len()
                    && got
                        .iter()
                        .zip(&wants)
                        .all(|(g, w)| matches(*g, w).unwrap_or(false));
                if ok {
                    out.passed += 1;
                } else {
                    out.failures.push(format!(
                        "line {}: {}({:?}) returned {:?}, expected {:?}",
                        line(span),
                        invoke.name,
                        args,
                        got,
                        wants
                    ));
                }
            }
            WastDirective::AssertReturn {
                span,
                exec: WastExecute::Get { module, global, .. },
                results,
            } => {
                let idx = match module {
                    Some(id) => named.get(id.name()).copied(),
                    None => current,
                };
                let (Some(idx), [WastRet::Core(want)]) = (idx, &results[..]) else {
                    out.skipped += 1;
                    continue;
                };
                let Some(ExternVal::Global(g)) = instances[idx].export(global) else {
                    out.failures
                        .push(format!("line {}: no global {global}", line(span)));
                    continue;
                };
                // SAFETY: global definitions hold 16 readable bytes.
                let bits = unsafe { (g as *const u128).read_unaligned() };
                let got = ValRaw::from_v128(bits);
                match matches(got, want) {
                    Some(true) => out.passed += 1,
                    Some(false) => out.failures.push(format!(
                        "line {}: global {global} = {got:?}, expected {want:?}",
                        line(span)
                    )),
                    None => out.skipped += 1,
                }
            }
            WastDirective::Invoke(invoke) => {
                let idx = match invoke.module {
                    Some(id) => named.get(id.name()).copied(),
                    None => current,
                };
                let args: Option<Vec<ValRaw>> = invoke.args.iter().map(arg).collect();
                match (idx, args) {
                    (Some(idx), Some(args)) => {
                        instances[idx].call(invoke.name, &args);
                        out.passed += 1;
                    }
                    _ => out.skipped += 1,
                }
            }
            WastDirective::AssertInvalid {
                span, mut module, ..
            }
            | WastDirective::AssertMalformed {
                span, mut module, ..
            } => {
                let bytes = match module.encode() {
                    Ok(b) => b,
                    Err(_) => {
                        // Malformed text is the text parser's business.
                        out.skipped += 1;
                        continue;
                    }
                };
                match Module::new(engine, &bytes) {
                    Ok(_) => out
                        .failures
                        .push(format!("line {}: invalid module accepted", line(span))),
                    Err(_) => out.passed += 1,
                }
            }
            _ => out.skipped += 1,
        }
    }
    out
}
