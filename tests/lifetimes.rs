//! Lifetimes of the C API's objects: every kind of object (function, host
//! function environment, global, table, memory, extern, instance, module,
//! foreign, trap, reference, frame) is deleted with the store deleted
//! first in one run and last in others, in forward and reverse order. No
//! order may crash, objects stay usable after their store is deleted, and
//! every host-info finalizer runs exactly once, at the moment
//! `docs/c-api.md` gives: foreign objects and modules with their last
//! handle, store objects once both the store and the last handle of any
//! of its objects are gone. A module handle is not one of those: modules
//! belong to the engine, so a live module neither keeps the store it was
//! compiled in alive nor stops working in other stores.
//!
//! Along the way each kind's handle functions are checked: `_copy` and
//! `_same`, host info through one handle seen through another, `_as_ref` /
//! `_ref_as_` (and their `_const` forms) giving back the same handle and
//! refusing other kinds.
//!
//! The C functions are called through the rlib exactly as C calls them;
//! every pointer passed is live or NULL as the C contract requires. The
//! last test runs the others again under valgrind's memcheck.

// Handles are boxes because that is how C owns them.
#![allow(clippy::vec_box)]

mod support;

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wasm_runtime::capi::engine::*;
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::foreign::*;
use wasm_runtime::capi::frame::*;
use wasm_runtime::capi::func::*;
use wasm_runtime::capi::functype::*;
use wasm_runtime::capi::global::*;
use wasm_runtime::capi::globaltype::*;
use wasm_runtime::capi::instance::*;
use wasm_runtime::capi::limits::wasm_limits_t;
use wasm_runtime::capi::memory::*;
use wasm_runtime::capi::memorytype::*;
use wasm_runtime::capi::module::*;
use wasm_runtime::capi::r#extern::*;
use wasm_runtime::capi::r#ref::*;
use wasm_runtime::capi::store::*;
use wasm_runtime::capi::table::*;
use wasm_runtime::capi::tabletype::*;
use wasm_runtime::capi::trap::*;
use wasm_runtime::capi::val::wasm_val_t;
use wasm_runtime::capi::valtype::*;
use wasm_runtime::capi::vec::*;

/// The kinds of objects that carry host info with a finalizer, in the
/// order they are created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Func,
    HostEnv,
    Global,
    Table,
    Memory,
    Extern,
    Instance,
    Module,
    Foreign,
    Trap,
    Ref,
}

const KINDS: [Kind; 11] = [
    Kind::Func,
    Kind::HostEnv,
    Kind::Global,
    Kind::Table,
    Kind::Memory,
    Kind::Extern,
    Kind::Instance,
    Kind::Module,
    Kind::Foreign,
    Kind::Trap,
    Kind::Ref,
];

impl Kind {
    /// Finalized with their last handle rather than with the store.
    fn goes_with_last_handle(self) -> bool {
        matches!(self, Kind::Module | Kind::Foreign | Kind::Ref)
    }
}

/// Finalizer calls per kind, for one run (runs are tests, which may run on
/// parallel threads, so each has its own).
struct Counters([AtomicUsize; KINDS.len()]);

impl Counters {
    fn new() -> Arc<Counters> {
        Arc::new(Counters(std::array::from_fn(|_| AtomicUsize::new(0))))
    }

    fn get(&self, kind: Kind) -> usize {
        self.0[kind as usize].load(Ordering::SeqCst)
    }
}

/// Host info: which counter its finalizer advances.
struct Token {
    counters: Arc<Counters>,
    kind: Kind,
}

fn token(counters: &Arc<Counters>, kind: Kind) -> *mut c_void {
    let counters = Arc::clone(counters);
    Box::into_raw(Box::new(Token { counters, kind })).cast()
}

/// The finalizer of every `Token`: counts the call and frees the token.
unsafe extern "C" fn finalize(info: *mut c_void) {
    // SAFETY: every info given with this finalizer is a boxed Token, and
    // the runtime calls the finalizer once.
    let token = unsafe { Box::from_raw(info.cast::<Token>()) };
    token.counters.0[token.kind as usize].fetch_add(1, Ordering::SeqCst);
}

/// Host info without a finalizer: only compared, never freed.
static MARKER: u8 = 0;

fn marker() -> *mut c_void {
    ptr::addr_of!(MARKER) as *mut c_void
}

/// The host function: returns its argument times two.
unsafe extern "C" fn double(
    _env: *mut c_void,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t {
    // SAFETY: the runtime passes one i32 argument and room for one result.
    unsafe {
        let arg = (*(*args).data).of.i32;
        let result = &mut *(*results).data;
        result.kind = WASM_I32;
        result.of.i32 = arg * 2;
    }
    ptr::null_mut()
}

const WAT: &str = r#"(module
  (func $inc (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $inner (drop (i32.div_u (i32.const 1) (i32.const 0))))
  (func (export "trap") (call $inner))
  (global (export "g") (mut i32) (i32.const 5))
  (table (export "t") 1 funcref)
  (elem (i32.const 0) $inc)
  (memory (export "m") 1))"#;

/// Every object of one run, as the raw handles C holds.
struct Objects {
    module: *mut wasm_module_t,
    instance: *mut wasm_instance_t,
    /// The instance's exports: inc, trap, g, t, m.
    exports: Vec<*mut wasm_extern_t>,
    func: *mut wasm_func_t,
    host_func: *mut wasm_func_t,
    global: *mut wasm_global_t,
    table: *mut wasm_table_t,
    memory: *mut wasm_memory_t,
    foreign: *mut wasm_foreign_t,
    host_trap: *mut wasm_trap_t,
    wasm_trap: *mut wasm_trap_t,
    reference: *mut wasm_ref_t,
    origin: *mut wasm_frame_t,
    trace: wasm_frame_vec_t,
}

fn raw<T>(b: Option<Box<T>>, what: &str) -> *mut T {
    Box::into_raw(b.unwrap_or_else(|| panic!("{what} returned NULL")))
}

fn val_i32(i: i32) -> wasm_val_t {
    let mut v = wasm_val_t::zeroed(WASM_I32);
    v.of.i32 = i;
    v
}

/// Calls a function of (i32) -> (i32).
fn call_i32(func: *const wasm_func_t, arg: i32) -> i32 {
    let mut args = [val_i32(arg)];
    let mut results = [val_i32(0)];
    let arg_vec = wasm_val_vec_t {
        size: 1,
        data: args.as_mut_ptr(),
    };
    let mut result_vec = wasm_val_vec_t {
        size: 1,
        data: results.as_mut_ptr(),
    };
    // SAFETY: a live function; the vectors live across the call.
    let trap = unsafe { wasm_func_call(func.as_ref(), Some(&arg_vec), &mut result_vec) };
    assert!(trap.is_none(), "unexpected trap");
    // SAFETY: an i32 result.
    unsafe { results[0].of.i32 }
}

fn trap_message(trap: *const wasm_trap_t) -> String {
    let mut message = wasm_byte_vec_t::from_vec(Vec::new());
    // SAFETY: a live trap.
    wasm_trap_message(unsafe { trap.as_ref() }, Some(&mut message));
    // SAFETY: made by wasm_trap_message.
    let mut bytes = unsafe { message.take() };
    bytes.pop();
    String::from_utf8(bytes).unwrap()
}

type Finalizer = Option<unsafe extern "C" fn(*mut c_void)>;

fn opt_ptr<T>(r: Option<&T>) -> *const T {
    r.map_or(ptr::null(), |r| r as *const T)
}

/// The handle functions every object kind has, each calling the kind's own
/// C function (spelled out per kind, so every call is plain to see).
///
/// # Safety
/// Every pointer passed must be a live handle of the kind (or a live
/// reference, for the `r` parameters).
trait Object {
    unsafe fn copy(x: *mut Self) -> *mut Self;
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool;
    unsafe fn delete(x: *mut Self);
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void;
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void);
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer);
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t;
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self;
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t;
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self;
    /// Whether `r` is accepted as an object of some other kind.
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool;
}

// SAFETY (every impl below): the pointers are live handles, as the trait
// requires of its callers.
impl Object for wasm_func_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(wasm_func_copy(unsafe { x.as_ref() }), "wasm_func_copy")
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_func_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_func_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_func_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_func_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_func_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        wasm_func_as_ref(x)
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_func(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_func_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_func_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_global(r) }.is_null()
    }
}

impl Object for wasm_global_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(wasm_global_copy(unsafe { x.as_ref() }), "wasm_global_copy")
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_global_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_global_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_global_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_global_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_global_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        wasm_global_as_ref(x)
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_global(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_global_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_global_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_table(r) }.is_null()
    }
}

impl Object for wasm_table_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(wasm_table_copy(unsafe { x.as_ref() }), "wasm_table_copy")
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_table_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_table_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_table_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_table_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_table_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        wasm_table_as_ref(x)
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_table(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_table_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_table_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_memory(r) }.is_null()
    }
}

impl Object for wasm_memory_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(wasm_memory_copy(unsafe { x.as_ref() }), "wasm_memory_copy")
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_memory_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_memory_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_memory_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_memory_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_memory_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        wasm_memory_as_ref(x)
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_memory(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_memory_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_memory_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_func(r) }.is_null()
    }
}

impl Object for wasm_extern_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(wasm_extern_copy(unsafe { x.as_ref() }), "wasm_extern_copy")
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_extern_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_extern_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_extern_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_extern_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_extern_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        unsafe { wasm_extern_as_ref(x) }
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_extern(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_extern_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_extern_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_instance(r) }.is_null()
    }
}

impl Object for wasm_instance_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(
            wasm_instance_copy(unsafe { x.as_ref() }),
            "wasm_instance_copy",
        )
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_instance_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_instance_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_instance_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_instance_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_instance_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        wasm_instance_as_ref(x)
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_instance(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_instance_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_instance_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_module(r) }.is_null()
    }
}

impl Object for wasm_module_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(wasm_module_copy(unsafe { x.as_ref() }), "wasm_module_copy")
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_module_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_module_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_module_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_module_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_module_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        wasm_module_as_ref(x)
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_module(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_module_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_module_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_trap(r) }.is_null()
    }
}

impl Object for wasm_foreign_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(
            wasm_foreign_copy(unsafe { x.as_ref() }),
            "wasm_foreign_copy",
        )
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_foreign_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_foreign_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_foreign_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_foreign_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_foreign_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        wasm_foreign_as_ref(x)
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_foreign(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_foreign_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_foreign_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_func(r) }.is_null()
    }
}

impl Object for wasm_trap_t {
    unsafe fn copy(x: *mut Self) -> *mut Self {
        raw(wasm_trap_copy(unsafe { x.as_ref() }), "wasm_trap_copy")
    }
    unsafe fn same(a: *mut Self, b: *mut Self) -> bool {
        wasm_trap_same(unsafe { a.as_ref() }, unsafe { b.as_ref() })
    }
    unsafe fn delete(x: *mut Self) {
        wasm_trap_delete(Some(unsafe { Box::from_raw(x) }))
    }
    unsafe fn get_host_info(x: *mut Self) -> *mut c_void {
        wasm_trap_get_host_info(unsafe { x.as_ref() })
    }
    unsafe fn set_host_info(x: *mut Self, info: *mut c_void) {
        unsafe { wasm_trap_set_host_info(x, info) }
    }
    unsafe fn set_host_info_with_finalizer(x: *mut Self, info: *mut c_void, f: Finalizer) {
        unsafe { wasm_trap_set_host_info_with_finalizer(x, info, f) }
    }
    unsafe fn as_ref(x: *mut Self) -> *mut wasm_ref_t {
        wasm_trap_as_ref(x)
    }
    unsafe fn ref_as(r: *mut wasm_ref_t) -> *mut Self {
        unsafe { wasm_ref_as_trap(r) }
    }
    unsafe fn as_ref_const(x: *mut Self) -> *const wasm_ref_t {
        opt_ptr(wasm_trap_as_ref_const(unsafe { x.as_ref() }))
    }
    unsafe fn ref_as_const(r: *mut wasm_ref_t) -> *const Self {
        opt_ptr(wasm_ref_as_trap_const(unsafe { r.as_ref() }))
    }
    unsafe fn is_other_kind(r: *mut wasm_ref_t) -> bool {
        !unsafe { wasm_ref_as_foreign(r) }.is_null()
    }
}

/// Checks one kind's handle functions on the live object `x`, then gives
/// it host info with the counting finalizer.
fn exercise_handle<T: Object>(x: *mut T, counters: &Arc<Counters>, kind: Kind) {
    // SAFETY: `x` is a live handle and every pointer below comes from it.
    unsafe {
        let copy = T::copy(x);
        assert!(T::same(x, copy), "{kind:?}: a copy is the same object");
        assert!(
            !T::same(x, ptr::null_mut()),
            "{kind:?}: nothing is the same as NULL"
        );

        // Host info belongs to the object: set through one handle, seen
        // through the other; replacing info without a finalizer frees
        // nothing.
        assert!(T::get_host_info(x).is_null(), "{kind:?}: no host info yet");
        T::set_host_info(copy, marker());
        assert_eq!(T::get_host_info(x), marker());
        let info = token(counters, kind);
        T::set_host_info_with_finalizer(x, info, Some(finalize));
        assert_eq!(T::get_host_info(copy), info);

        // As a reference: the same handle, of this kind only.
        let r = T::as_ref(x);
        assert!(!r.is_null());
        assert_eq!(
            T::ref_as(r),
            x,
            "{kind:?}: ref_as gives back the same handle"
        );
        assert!(!T::is_other_kind(r), "{kind:?}: refused as another kind");
        assert_eq!(wasm_ref_get_host_info(r.as_ref()), info);
        let r_const = T::as_ref_const(x);
        assert!(ptr::eq(r_const, r));
        assert!(ptr::eq(T::ref_as_const(r_const as *mut wasm_ref_t), x));
        assert!(T::ref_as(ptr::null_mut()).is_null());

        T::delete(copy);
        assert_eq!(
            T::get_host_info(x),
            info,
            "{kind:?}: deleting a copy keeps the info"
        );
    }
}

fn create(store: *mut wasm_store_t, counters: &Arc<Counters>) -> Objects {
    // SAFETY (whole function): `store` is live, and every pointer passed
    // below was just returned by the library or points at a local.
    unsafe {
        let mut binary = wasm_byte_vec_t::from_vec(Vec::new());
        assert!(wasm_wat2wasm(WAT.as_ptr().cast(), WAT.len(), Some(&mut binary)).is_none());
        let module = raw(wasm_module_new(store, Some(&binary)), "wasm_module_new");
        drop(binary.take());

        let mut trap_out = ptr::null_mut();
        let empty = wasm_extern_vec_t::empty();
        let instance = raw(
            wasm_instance_new(store, module.as_ref(), Some(&empty), Some(&mut trap_out)),
            "wasm_instance_new",
        );
        assert!(trap_out.is_null());
        let mut export_vec = wasm_extern_vec_t::empty();
        wasm_instance_exports(instance.as_ref(), Some(&mut export_vec));
        let exports: Vec<*mut wasm_extern_t> = export_vec
            .take()
            .into_iter()
            .map(|e| raw(e, "export"))
            .collect();
        assert_eq!(exports.len(), 5);

        let func = raw(
            wasm_func_copy(wasm_extern_as_func_const(exports[0].as_ref())),
            "wasm_func_copy",
        );
        let mut params = wasm_valtype_vec_t::from_vec(vec![wasm_valtype_new(WASM_I32)]);
        let mut results = wasm_valtype_vec_t::from_vec(vec![wasm_valtype_new(WASM_I32)]);
        let functype = wasm_functype_new(Some(&mut params), Some(&mut results)).unwrap();
        let host_func = raw(
            wasm_func_new_with_env(
                store,
                Some(&functype),
                Some(double),
                token(counters, Kind::HostEnv),
                Some(finalize),
            ),
            "wasm_func_new_with_env",
        );
        wasm_functype_delete(Some(functype));

        let globaltype = wasm_globaltype_new(wasm_valtype_new(WASM_I32), WASM_VAR).unwrap();
        let global = raw(
            wasm_global_new(store, Some(&globaltype), Some(&val_i32(11))),
            "wasm_global_new",
        );
        wasm_globaltype_delete(Some(globaltype));

        let limits = wasm_limits_t { min: 2, max: 4 };
        let tabletype = wasm_tabletype_new(wasm_valtype_new(WASM_FUNCREF), Some(&limits)).unwrap();
        // The table's elements refer to the host function.
        let table = raw(
            wasm_table_new(store, Some(&tabletype), wasm_func_as_ref(host_func)),
            "wasm_table_new",
        );
        wasm_tabletype_delete(Some(tabletype));

        let limits = wasm_limits_t { min: 1, max: 2 };
        let memorytype = wasm_memorytype_new(Some(&limits)).unwrap();
        let memory = raw(wasm_memory_new(store, Some(&memorytype)), "wasm_memory_new");
        wasm_memorytype_delete(Some(memorytype));
        *wasm_memory_data(memory).add(10) = 99;

        let foreign = raw(wasm_foreign_new(store), "wasm_foreign_new");

        let message = wasm_byte_vec_t::from_vec(b"host trap\0".to_vec());
        let host_trap = raw(wasm_trap_new(store, Some(&message)), "wasm_trap_new");
        let mut message = message;
        drop(message.take());

        // A wasm trap, and its frames.
        let trap_func = wasm_extern_as_func_const(exports[1].as_ref()).unwrap();
        let mut none = wasm_val_vec_t::empty();
        let wasm_trap = raw(
            wasm_func_call(Some(trap_func), Some(&wasm_val_vec_t::empty()), &mut none),
            "a trap from wasm",
        );
        let origin = raw(wasm_trap_origin(wasm_trap.as_ref()), "wasm_trap_origin");
        let mut trace = wasm_frame_vec_t::empty();
        wasm_trap_trace(wasm_trap.as_ref(), Some(&mut trace));
        assert_eq!(trace.as_slice().len(), 2, "inner and outer frame");

        // A reference held on its own: a foreign object whose only handle
        // is a wasm_ref_t.
        let other_foreign = raw(wasm_foreign_new(store), "wasm_foreign_new");
        let reference = raw(
            wasm_ref_copy(wasm_foreign_as_ref(other_foreign).as_ref()),
            "wasm_ref_copy",
        );
        wasm_foreign_delete(Some(Box::from_raw(other_foreign)));

        Objects {
            module,
            instance,
            exports,
            func,
            host_func,
            global,
            table,
            memory,
            foreign,
            host_trap,
            wasm_trap,
            reference,
            origin,
            trace,
        }
    }
}

/// Exercises every kind's handle functions and attaches the counted host
/// info.
fn attach_host_info(o: &Objects, counters: &Arc<Counters>) {
    exercise_handle(o.func, counters, Kind::Func);
    exercise_handle(o.global, counters, Kind::Global);
    exercise_handle(o.table, counters, Kind::Table);
    exercise_handle(o.memory, counters, Kind::Memory);
    // The extern kind: the exported global, through its extern handle.
    exercise_handle(o.exports[2], counters, Kind::Extern);
    exercise_handle(o.instance, counters, Kind::Instance);
    exercise_handle(o.module, counters, Kind::Module);
    exercise_handle(o.foreign, counters, Kind::Foreign);
    exercise_handle(o.host_trap, counters, Kind::Trap);

    // The plain reference: the generic wasm_ref_* functions.
    let r = o.reference;
    // SAFETY: a live reference handle.
    unsafe {
        let copy = Box::into_raw(wasm_ref_copy(r.as_ref()).unwrap());
        assert!(wasm_ref_same(r.as_ref(), copy.as_ref()));
        assert!(!wasm_ref_same(
            r.as_ref(),
            wasm_foreign_as_ref_const(o.foreign.as_ref())
        ));
        assert!(
            !wasm_ref_as_foreign(r).is_null(),
            "the reference is a foreign object"
        );
        assert!(wasm_ref_as_func(r).is_null());
        wasm_ref_set_host_info(copy, marker());
        assert_eq!(wasm_ref_get_host_info(r.as_ref()), marker());
        let info = token(counters, Kind::Ref);
        wasm_ref_set_host_info_with_finalizer(r, info, Some(finalize));
        assert_eq!(wasm_ref_get_host_info(copy.as_ref()), info);
        wasm_ref_delete(Some(Box::from_raw(copy)));
    }

    // Frames carry no host info; copies read the same.
    // SAFETY: live frames.
    unsafe {
        let copy = wasm_frame_copy(o.origin.as_ref()).unwrap();
        assert_eq!(wasm_frame_func_index(Some(&copy)), 1, "$inner traps");
        assert_eq!(
            wasm_frame_module_offset(Some(&copy)),
            wasm_frame_module_offset(o.origin.as_ref())
        );
        wasm_frame_delete(Some(copy));
    }
}

/// Every object still works: called, read, written.
fn use_objects(o: &Objects) {
    // SAFETY (whole function): live handles.
    unsafe {
        assert_eq!(call_i32(o.func, 41), 42);
        assert_eq!(call_i32(o.host_func, 21), 42);
        let mut v = val_i32(0);
        wasm_global_get(o.global.as_ref(), Some(&mut v));
        assert_eq!(v.of.i32, 11);
        wasm_global_set(o.global, Some(&val_i32(12)));
        wasm_global_get(o.global.as_ref(), Some(&mut v));
        assert_eq!(v.of.i32, 12);
        wasm_global_set(o.global, Some(&val_i32(11)));
        let exported_global = wasm_extern_as_global_const(o.exports[2].as_ref()).unwrap();
        wasm_global_get(Some(exported_global), Some(&mut v));
        assert_eq!(v.of.i32, 5);
        let element = wasm_table_get(o.table.as_ref(), 1).expect("element 1");
        let element_func = wasm_ref_as_func_const(Some(&element)).expect("a function");
        assert!(wasm_func_same(Some(element_func), o.host_func.as_ref()));
        assert_eq!(call_i32(element_func, 5), 10);
        wasm_ref_delete(Some(element));
        assert_eq!(*wasm_memory_data(o.memory).add(10), 99);
        assert_eq!(wasm_memory_size(o.memory.as_ref()), 1);
        assert_eq!(trap_message(o.host_trap), "host trap");
        // The spec's message, then the backtrace (frames 0 and 1 below).
        let wasm_trap = trap_message(o.wasm_trap);
        assert_eq!(wasm_trap.lines().next(), Some("integer divide by zero"));
        assert!(wasm_trap.contains("wasm backtrace:"), "{wasm_trap}");
        assert_eq!(wasm_frame_func_index(o.origin.as_ref()), 1);
        let frames = o.trace.as_slice();
        assert_eq!(wasm_frame_func_index(frames[1].as_deref()), 2);
        assert!(!wasm_ref_get_host_info(o.reference.as_ref()).is_null());
        assert!(!wasm_instance_get_host_info(o.instance.as_ref()).is_null());
        assert!(!wasm_module_get_host_info(o.module.as_ref()).is_null());
    }
}

/// One object handle (or group of handles) to delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handle {
    Module,
    Instance,
    Exports,
    Func,
    HostFunc,
    Global,
    Table,
    Memory,
    Foreign,
    HostTrap,
    WasmTrap,
    Ref,
    Frames,
}

const HANDLES: [Handle; 13] = [
    Handle::Module,
    Handle::Instance,
    Handle::Exports,
    Handle::Func,
    Handle::HostFunc,
    Handle::Global,
    Handle::Table,
    Handle::Memory,
    Handle::Foreign,
    Handle::HostTrap,
    Handle::WasmTrap,
    Handle::Ref,
    Handle::Frames,
];

fn delete(o: &mut Objects, handle: Handle) {
    // SAFETY (whole function): each handle is live and deleted once; it is
    // nulled so that it cannot be used afterwards.
    unsafe {
        fn take<T>(p: &mut *mut T) -> Option<Box<T>> {
            let b = std::mem::replace(p, ptr::null_mut());
            assert!(!b.is_null(), "deleted twice");
            // SAFETY: a live handle made by Box::into_raw.
            Some(unsafe { Box::from_raw(b) })
        }
        match handle {
            Handle::Module => wasm_module_delete(take(&mut o.module)),
            Handle::Instance => wasm_instance_delete(take(&mut o.instance)),
            Handle::Exports => {
                for e in &mut o.exports {
                    wasm_extern_delete(take(e));
                }
            }
            Handle::Func => wasm_func_delete(take(&mut o.func)),
            Handle::HostFunc => wasm_func_delete(take(&mut o.host_func)),
            Handle::Global => wasm_global_delete(take(&mut o.global)),
            Handle::Table => wasm_table_delete(take(&mut o.table)),
            Handle::Memory => wasm_memory_delete(take(&mut o.memory)),
            Handle::Foreign => wasm_foreign_delete(take(&mut o.foreign)),
            Handle::HostTrap => wasm_trap_delete(take(&mut o.host_trap)),
            Handle::WasmTrap => wasm_trap_delete(take(&mut o.wasm_trap)),
            Handle::Ref => wasm_ref_delete(take(&mut o.reference)),
            Handle::Frames => {
                wasm_frame_delete(take(&mut o.origin));
                wasm_frame_vec_delete(Some(&mut o.trace));
            }
        }
    }
}

impl Handle {
    /// Whether the handle keeps its store's objects alive: every handle
    /// of a store's objects does; a module's handle does not.
    fn holds_store(self) -> bool {
        self != Handle::Module
    }
}

/// Which counters a handle's deletion may finalize at once (when it is
/// the last handle of a module, foreign or reference).
fn finalizes_at_once(handle: Handle) -> Option<Kind> {
    match handle {
        Handle::Module => Some(Kind::Module),
        Handle::Foreign => Some(Kind::Foreign),
        Handle::Ref => Some(Kind::Ref),
        _ => None,
    }
}

fn assert_counts(counters: &Counters, expected: impl Fn(Kind) -> usize, when: &str) {
    for kind in KINDS {
        assert_eq!(
            counters.get(kind),
            expected(kind),
            "{kind:?}'s finalizer calls {when}"
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StoreDeleted {
    First,
    Last,
}

fn run(store_deleted: StoreDeleted, order: &[Handle]) {
    let counters = Counters::new();
    let engine = Box::into_raw(wasm_engine_new().unwrap());
    // SAFETY: a live engine.
    let store = Box::into_raw(unsafe { wasm_store_new(engine) }.unwrap());
    let mut objects = create(store, &counters);
    attach_host_info(&objects, &counters);
    use_objects(&objects);
    assert_counts(&counters, |_| 0, "while everything is alive");

    if store_deleted == StoreDeleted::First {
        // SAFETY: live; not used again.
        wasm_store_delete(Some(unsafe { Box::from_raw(store) }));
        // SAFETY: live; not used again.
        wasm_engine_delete(Some(unsafe { Box::from_raw(engine) }));
        assert_counts(&counters, |_| 0, "after the store alone is deleted");
        use_objects(&objects);
    }

    let mut finalized: Vec<Kind> = Vec::new();
    for (i, &handle) in order.iter().enumerate() {
        delete(&mut objects, handle);
        finalized.extend(finalizes_at_once(handle));
        // The store's objects go with the store's last holder, even when
        // module handles remain.
        let store_gone =
            store_deleted == StoreDeleted::First && !order[i + 1..].iter().any(|h| h.holds_store());
        assert_counts(
            &counters,
            |kind| {
                usize::from(
                    finalized.contains(&kind) || (store_gone && !kind.goes_with_last_handle()),
                )
            },
            &format!("after deleting {handle:?}"),
        );
    }

    if store_deleted == StoreDeleted::Last {
        // SAFETY: live; not used again.
        wasm_store_delete(Some(unsafe { Box::from_raw(store) }));
        assert_counts(&counters, |_| 1, "after the store is deleted last");
        // SAFETY: live; not used again.
        wasm_engine_delete(Some(unsafe { Box::from_raw(engine) }));
    }
    assert_counts(&counters, |_| 1, "at the end");
}

#[test]
fn store_deleted_first_then_objects_in_creation_order() {
    run(StoreDeleted::First, &HANDLES);
}

#[test]
fn store_deleted_first_then_objects_in_reverse_order() {
    let mut order = HANDLES;
    order.reverse();
    run(StoreDeleted::First, &order);
}

#[test]
fn objects_deleted_in_creation_order_then_the_store() {
    run(StoreDeleted::Last, &HANDLES);
}

#[test]
fn objects_deleted_in_reverse_order_then_the_store() {
    let mut order = HANDLES;
    order.reverse();
    run(StoreDeleted::Last, &order);
}

/// The ways a module handle is made in a store.
#[derive(Clone, Copy, Debug)]
enum Made {
    New,
    Deserialize,
    Obtain,
    Copy,
}

/// A module of `WAT` made in `store` the way `how` says. Whatever the
/// module was made from (another store's module, its serialized form) is
/// deleted before this returns.
///
/// # Safety
/// `store` and `engine` are live, and `store` belongs to `engine`.
unsafe fn module_made_in(
    engine: *mut wasm_engine_t,
    store: *mut wasm_store_t,
    how: Made,
) -> *mut wasm_module_t {
    // SAFETY (whole function): live engine and store (the caller's
    // contract); every other pointer was just made by the library.
    unsafe {
        let mut binary = wasm_byte_vec_t::from_vec(Vec::new());
        assert!(wasm_wat2wasm(WAT.as_ptr().cast(), WAT.len(), Some(&mut binary)).is_none());
        let module = match how {
            Made::New => wasm_module_new(store, Some(&binary)),
            Made::Copy => {
                let original = wasm_module_new(store, Some(&binary)).expect("wasm_module_new");
                let copy = wasm_module_copy(Some(&original));
                wasm_module_delete(Some(original));
                copy
            }
            Made::Deserialize | Made::Obtain => {
                let other = Box::into_raw(wasm_store_new(engine).expect("wasm_store_new"));
                let original = wasm_module_new(other, Some(&binary)).expect("wasm_module_new");
                // A module holds no store: the one it came from can go.
                wasm_store_delete(Some(Box::from_raw(other)));
                let module = if matches!(how, Made::Deserialize) {
                    let mut bytes = wasm_byte_vec_t::from_vec(Vec::new());
                    wasm_module_serialize(Some(&original), Some(&mut bytes));
                    let module = wasm_module_deserialize(store, Some(&bytes));
                    drop(bytes.take());
                    module
                } else {
                    let shared = wasm_module_share(Some(&original));
                    let module = wasm_module_obtain(store, shared.as_deref());
                    wasm_shared_module_delete(shared);
                    module
                };
                wasm_module_delete(Some(original));
                module
            }
        };
        drop(binary.take());
        raw(module, &format!("the module made by {how:?}"))
    }
}

/// A module outlives the store it was made in without keeping it: once
/// that store and the handles of its objects are deleted, the store's
/// objects are gone (their host info finalized) while the module lives on,
/// and the module instantiates and runs in a new store of the engine.
#[test]
fn a_module_outlives_its_store_and_instantiates_in_another() {
    for how in [Made::New, Made::Deserialize, Made::Obtain, Made::Copy] {
        let counters = Counters::new();
        let engine = Box::into_raw(wasm_engine_new().unwrap());
        // SAFETY (whole loop body): every pointer passed is live, made by
        // the library just before, and deleted once.
        unsafe {
            let first = Box::into_raw(wasm_store_new(engine).unwrap());
            let module = module_made_in(engine, first, how);
            wasm_module_set_host_info_with_finalizer(
                module,
                token(&counters, Kind::Module),
                Some(finalize),
            );
            let empty = wasm_extern_vec_t::empty();
            let instance = raw(
                wasm_instance_new(first, module.as_ref(), Some(&empty), None),
                "wasm_instance_new",
            );
            wasm_instance_set_host_info_with_finalizer(
                instance,
                token(&counters, Kind::Instance),
                Some(finalize),
            );
            wasm_instance_delete(Some(Box::from_raw(instance)));
            wasm_store_delete(Some(Box::from_raw(first)));
            assert_eq!(
                counters.get(Kind::Instance),
                1,
                "{how:?}: the store's objects are gone with the store, though its module lives"
            );
            assert_eq!(counters.get(Kind::Module), 0, "{how:?}: the module lives");

            let second = Box::into_raw(wasm_store_new(engine).unwrap());
            let instance = raw(
                wasm_instance_new(second, module.as_ref(), Some(&empty), None),
                "wasm_instance_new in another store",
            );
            let mut exports = wasm_extern_vec_t::empty();
            wasm_instance_exports(instance.as_ref(), Some(&mut exports));
            let inc = wasm_extern_as_func_const(exports.as_slice()[0].as_deref()).unwrap();
            assert_eq!(
                call_i32(inc, 41),
                42,
                "{how:?}: the module runs in another store"
            );
            assert!(!wasm_module_get_host_info(module.as_ref()).is_null());
            wasm_extern_vec_delete(Some(&mut exports));
            wasm_instance_delete(Some(Box::from_raw(instance)));
            wasm_store_delete(Some(Box::from_raw(second)));
            assert_eq!(
                counters.get(Kind::Module),
                0,
                "{how:?}: the module still lives"
            );

            wasm_module_delete(Some(Box::from_raw(module)));
            assert_eq!(
                counters.get(Kind::Module),
                1,
                "{how:?}: with its last handle"
            );
            wasm_engine_delete(Some(Box::from_raw(engine)));
        }
    }
}

/// The tests above, again, under valgrind's memcheck: no invalid accesses,
/// no uses of uninitialised values, no definite leaks.
#[test]
fn lifetimes_run_clean_under_valgrind() {
    if std::env::var_os("WASM_RUNTIME_LIFETIMES_UNDER_VALGRIND").is_some() {
        return; // the inner run
    }
    support::rerun_tests_under_memcheck(
        "WASM_RUNTIME_LIFETIMES_UNDER_VALGRIND",
        "lifetimes_run_clean_under_valgrind",
        5,
    );
}
