//! The standard functions no other test reaches (tests/api_coverage.rs
//! lists them): the vectors of type objects made with
//! `_new_uninitialized` and filled in place, frame vectors built from
//! frames, and `wasm_table_as_extern_const`. Each is checked for what it
//! does, not only called; the last test runs the others under valgrind.
//!
//! The C functions are called through the rlib exactly as C calls them;
//! every pointer passed is live or NULL as the C contract requires.

// Handles are boxes because that is how C owns them.
#![allow(clippy::vec_box)]

mod support;

use std::ptr;

use wasm_runtime::capi::engine::*;
use wasm_runtime::capi::exporttype::*;
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::externtype::*;
use wasm_runtime::capi::frame::*;
use wasm_runtime::capi::func::*;
use wasm_runtime::capi::functype::*;
use wasm_runtime::capi::globaltype::*;
use wasm_runtime::capi::importtype::*;
use wasm_runtime::capi::instance::*;
use wasm_runtime::capi::limits::wasm_limits_t;
use wasm_runtime::capi::memorytype::*;
use wasm_runtime::capi::module::*;
use wasm_runtime::capi::r#extern::*;
use wasm_runtime::capi::store::*;
use wasm_runtime::capi::table::*;
use wasm_runtime::capi::tabletype::*;
use wasm_runtime::capi::trap::*;
use wasm_runtime::capi::valtype::*;
use wasm_runtime::capi::vec::*;

fn name(text: &str) -> wasm_name_t {
    wasm_byte_vec_t::from_vec(text.as_bytes().to_vec())
}

fn name_text(name: Option<&wasm_name_t>) -> String {
    // SAFETY: a vector made by this library.
    String::from_utf8(unsafe { name.expect("a name").as_slice() }.to_vec()).unwrap()
}

fn functype(params: &[wasm_valkind_t], results: &[wasm_valkind_t]) -> Box<wasm_functype_t> {
    let make = |kinds: &[wasm_valkind_t]| {
        wasm_valtype_vec_t::from_vec(kinds.iter().map(|k| wasm_valtype_new(*k)).collect())
    };
    let mut p = make(params);
    let mut r = make(results);
    // SAFETY: both vectors were made by this library and are handed over.
    unsafe { wasm_functype_new(Some(&mut p), Some(&mut r)) }.expect("functype")
}

fn param_count(ty: Option<&wasm_functype_t>) -> usize {
    // SAFETY: a vector owned by the function type.
    unsafe { wasm_functype_params(ty).expect("params").as_slice() }.len()
}

fn limits_of(limits: Option<&wasm_limits_t>) -> (u32, u32) {
    let limits = limits.expect("limits");
    (limits.min, limits.max)
}

/// A vector of 3 NULL slots (`$made`, by the kind's `_new_uninitialized`)
/// is filled in place (slot 1 stays NULL),
/// copied deeply, and both are deleted; `check` compares the copy's
/// elements with what was put in.
macro_rules! uninitialized_vec_case {
    ($vec:ty, $made:expr, $copy:ident, $delete:ident, $fill:expr, $check:expr) => {{
        let fill = $fill;
        let check = $check;
        let mut vec: $vec = $made;
        // SAFETY: made by the library; each slot is written once, before
        // the vector is read.
        unsafe {
            assert_eq!(vec.as_slice().len(), 3);
            assert!(
                vec.as_slice().iter().all(Option::is_none),
                "slots start NULL"
            );
            let slots = vec.as_mut_slice();
            slots[0] = Some(fill(0));
            slots[2] = Some(fill(2));
        }
        let mut copy = <$vec>::empty();
        // SAFETY: a valid vector.
        unsafe { $copy(Some(&mut copy), Some(&vec)) };
        // SAFETY: made by the library.
        let elements = unsafe { copy.as_slice() };
        assert_eq!(elements.len(), 3);
        assert!(elements[1].is_none(), "a NULL slot copies as NULL");
        check(elements[0].as_deref(), 0);
        check(elements[2].as_deref(), 2);
        // Deep copies: the original's elements are other objects.
        // SAFETY: made by the library.
        let originals = unsafe { vec.as_slice() };
        assert!(!ptr::eq(
            originals[0].as_deref().unwrap(),
            elements[0].as_deref().unwrap()
        ));
        // SAFETY: both made by the library; emptied by the delete functions.
        unsafe {
            $delete(Some(&mut vec));
            $delete(Some(&mut copy));
            assert!(vec.as_slice().is_empty() && copy.as_slice().is_empty());
        }
    }};
}

#[test]
fn type_vectors_from_uninitialized_slots() {
    uninitialized_vec_case!(
        wasm_functype_vec_t,
        {
            let mut made = wasm_functype_vec_t::empty();
            wasm_functype_vec_new_uninitialized(Some(&mut made), 3);
            made
        },
        wasm_functype_vec_copy,
        wasm_functype_vec_delete,
        |i: usize| functype(&vec![WASM_I64; i + 1], &[WASM_F32]),
        |ty: Option<&wasm_functype_t>, i: usize| assert_eq!(param_count(ty), i + 1)
    );
    uninitialized_vec_case!(
        wasm_globaltype_vec_t,
        {
            let mut made = wasm_globaltype_vec_t::empty();
            wasm_globaltype_vec_new_uninitialized(Some(&mut made), 3);
            made
        },
        wasm_globaltype_vec_copy,
        wasm_globaltype_vec_delete,
        |i: usize| {
            let mutability = if i == 0 { WASM_CONST } else { WASM_VAR };
            wasm_globaltype_new(wasm_valtype_new(WASM_F64), mutability).unwrap()
        },
        |ty: Option<&wasm_globaltype_t>, i: usize| {
            let expected = if i == 0 { WASM_CONST } else { WASM_VAR };
            assert_eq!(wasm_globaltype_mutability(ty), expected);
            assert_eq!(wasm_valtype_kind(wasm_globaltype_content(ty)), WASM_F64);
        }
    );
    uninitialized_vec_case!(
        wasm_tabletype_vec_t,
        {
            let mut made = wasm_tabletype_vec_t::empty();
            wasm_tabletype_vec_new_uninitialized(Some(&mut made), 3);
            made
        },
        wasm_tabletype_vec_copy,
        wasm_tabletype_vec_delete,
        |i: usize| {
            let limits = wasm_limits_t {
                min: i as u32,
                max: 10,
            };
            wasm_tabletype_new(wasm_valtype_new(WASM_EXTERNREF), Some(&limits)).unwrap()
        },
        |ty: Option<&wasm_tabletype_t>, i: usize| {
            assert_eq!(limits_of(wasm_tabletype_limits(ty)), (i as u32, 10));
            assert_eq!(
                wasm_valtype_kind(wasm_tabletype_element(ty)),
                WASM_EXTERNREF
            );
        }
    );
    uninitialized_vec_case!(
        wasm_memorytype_vec_t,
        {
            let mut made = wasm_memorytype_vec_t::empty();
            wasm_memorytype_vec_new_uninitialized(Some(&mut made), 3);
            made
        },
        wasm_memorytype_vec_copy,
        wasm_memorytype_vec_delete,
        |i: usize| {
            let limits = wasm_limits_t {
                min: 1,
                max: 5 + i as u32,
            };
            wasm_memorytype_new(Some(&limits)).unwrap()
        },
        |ty: Option<&wasm_memorytype_t>, i: usize| {
            assert_eq!(limits_of(wasm_memorytype_limits(ty)), (1, 5 + i as u32));
        }
    );
    uninitialized_vec_case!(
        wasm_externtype_vec_t,
        {
            let mut made = wasm_externtype_vec_t::empty();
            wasm_externtype_vec_new_uninitialized(Some(&mut made), 3);
            made
        },
        wasm_externtype_vec_copy,
        wasm_externtype_vec_delete,
        |i: usize| {
            let mut global = wasm_globaltype_new(wasm_valtype_new(WASM_I32), WASM_VAR).unwrap();
            let mut func = functype(&[WASM_I32], &[]);
            let ext = if i == 0 {
                wasm_externtype_copy(wasm_globaltype_as_externtype(Some(&mut global)).map(|e| &*e))
            } else {
                wasm_externtype_copy(wasm_functype_as_externtype(Some(&mut func)).map(|e| &*e))
            };
            wasm_globaltype_delete(Some(global));
            wasm_functype_delete(Some(func));
            ext.unwrap()
        },
        |ty: Option<&wasm_externtype_t>, i: usize| {
            let expected = if i == 0 {
                WASM_EXTERN_GLOBAL
            } else {
                WASM_EXTERN_FUNC
            };
            assert_eq!(wasm_externtype_kind(ty), expected);
        }
    );
    uninitialized_vec_case!(
        wasm_importtype_vec_t,
        {
            let mut made = wasm_importtype_vec_t::empty();
            wasm_importtype_vec_new_uninitialized(Some(&mut made), 3);
            made
        },
        wasm_importtype_vec_copy,
        wasm_importtype_vec_delete,
        |i: usize| {
            let mut module = name("env");
            let mut field = name(&format!("import{i}"));
            let limits = wasm_limits_t { min: 1, max: 2 };
            let mut memory = wasm_memorytype_new(Some(&limits)).unwrap();
            let ext =
                wasm_externtype_copy(wasm_memorytype_as_externtype(Some(&mut memory)).map(|e| &*e));
            wasm_memorytype_delete(Some(memory));
            // SAFETY: the names and the type are handed over.
            unsafe { wasm_importtype_new(Some(&mut module), Some(&mut field), ext) }.unwrap()
        },
        |ty: Option<&wasm_importtype_t>, i: usize| {
            assert_eq!(name_text(wasm_importtype_module(ty)), "env");
            assert_eq!(name_text(wasm_importtype_name(ty)), format!("import{i}"));
            assert_eq!(
                wasm_externtype_kind(wasm_importtype_type(ty)),
                WASM_EXTERN_MEMORY
            );
        }
    );
    uninitialized_vec_case!(
        wasm_exporttype_vec_t,
        {
            let mut made = wasm_exporttype_vec_t::empty();
            wasm_exporttype_vec_new_uninitialized(Some(&mut made), 3);
            made
        },
        wasm_exporttype_vec_copy,
        wasm_exporttype_vec_delete,
        |i: usize| {
            let mut field = name(&format!("export{i}"));
            let limits = wasm_limits_t { min: 0, max: 3 };
            let mut table =
                wasm_tabletype_new(wasm_valtype_new(WASM_FUNCREF), Some(&limits)).unwrap();
            let ext =
                wasm_externtype_copy(wasm_tabletype_as_externtype(Some(&mut table)).map(|e| &*e));
            wasm_tabletype_delete(Some(table));
            // SAFETY: the name and the type are handed over.
            unsafe { wasm_exporttype_new(Some(&mut field), ext) }.unwrap()
        },
        |ty: Option<&wasm_exporttype_t>, i: usize| {
            assert_eq!(name_text(wasm_exporttype_name(ty)), format!("export{i}"));
            assert_eq!(
                wasm_externtype_kind(wasm_exporttype_type(ty)),
                WASM_EXTERN_TABLE
            );
        }
    );
}

/// A trap from wasm three calls deep, and the exported table of the same
/// instance. Dropping it deletes everything (engine and store first, which
/// the C API allows).
#[allow(dead_code)] // fields kept alive for the test's duration
struct TrapFixture {
    engine: Box<wasm_engine_t>,
    store: Box<wasm_store_t>,
    module: Box<wasm_module_t>,
    instance: Box<wasm_instance_t>,
    exports: Vec<Box<wasm_extern_t>>,
    trap: Box<wasm_trap_t>,
}

fn trap_fixture() -> TrapFixture {
    let wat = r#"(module
      (table (export "t") 3 funcref)
      (func $c (drop (i32.div_s (i32.const 1) (i32.const 0))))
      (func $b (call $c))
      (func (export "a") (call $b)))"#;
    let engine = wasm_engine_new().unwrap();
    let engine_ptr = &*engine as *const wasm_engine_t as *mut wasm_engine_t;
    // SAFETY (the calls below): live objects and local vectors.
    let store = unsafe { wasm_store_new(engine_ptr) }.unwrap();
    let store_ptr = &*store as *const wasm_store_t as *mut wasm_store_t;
    let mut binary = wasm_byte_vec_t::from_vec(Vec::new());
    assert!(wasm_wat2wasm(wat.as_ptr().cast(), wat.len(), Some(&mut binary)).is_none());
    let module = unsafe { wasm_module_new(store_ptr, Some(&binary)) }.unwrap();
    // SAFETY: made by wasm_wat2wasm.
    drop(unsafe { binary.take() });
    let instance = unsafe {
        wasm_instance_new(
            store_ptr,
            Some(&module),
            Some(&wasm_extern_vec_t::empty()),
            None,
        )
    }
    .unwrap();
    let mut export_vec = wasm_extern_vec_t::empty();
    wasm_instance_exports(Some(&instance), Some(&mut export_vec));
    // SAFETY: made by wasm_instance_exports.
    let exports: Vec<Box<wasm_extern_t>> = unsafe { export_vec.take() }
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let a = wasm_extern_as_func_const(Some(&exports[1])).unwrap();
    let mut no_results = wasm_val_vec_t::empty();
    let trap = unsafe { wasm_func_call(Some(a), Some(&wasm_val_vec_t::empty()), &mut no_results) }
        .expect("a division by zero traps");
    TrapFixture {
        engine,
        store,
        module,
        instance,
        exports,
        trap,
    }
}

#[test]
fn frame_vectors_built_from_frames() {
    let fixture = trap_fixture();
    let mut trace = wasm_frame_vec_t::empty();
    wasm_trap_trace(Some(&fixture.trap), Some(&mut trace));
    // SAFETY: made by wasm_trap_trace; its frames are taken over.
    let frames = unsafe { trace.take() };
    let indices: Vec<u32> = frames
        .iter()
        .map(|f| wasm_frame_func_index(f.as_deref()))
        .collect();
    assert_eq!(
        indices,
        [0, 1, 2],
        "$c, $b, then the export, innermost first"
    );

    // A new vector owning the frames in reverse order, with a NULL slot.
    let mut slots: Vec<Option<Box<wasm_frame_t>>> = frames.into_iter().rev().collect();
    slots.insert(1, None);
    let mut built = wasm_frame_vec_t::empty();
    // SAFETY: `slots` holds 4 owned frame pointers, handed over.
    unsafe { wasm_frame_vec_new(Some(&mut built), slots.len(), slots.as_ptr()) };
    // The frames belong to `built` now: forget the boxes, free the buffer.
    slots.into_iter().for_each(std::mem::forget);
    let mut copy = wasm_frame_vec_t::empty();
    // SAFETY: a valid vector.
    unsafe { wasm_frame_vec_copy(Some(&mut copy), Some(&built)) };
    for vec in [&built, &copy] {
        // SAFETY: made by the library.
        let frames = unsafe { vec.as_slice() };
        assert_eq!(frames.len(), 4);
        assert!(frames[1].is_none());
        let indices: Vec<u32> = [0, 2, 3]
            .iter()
            .map(|&i| wasm_frame_func_index(frames[i].as_deref()))
            .collect();
        assert_eq!(indices, [2, 1, 0]);
        let origin = wasm_trap_origin(Some(&fixture.trap)).unwrap();
        assert_eq!(
            wasm_frame_module_offset(frames[3].as_deref()),
            wasm_frame_module_offset(Some(&origin)),
            "the innermost frame is the trap's origin"
        );
        wasm_frame_delete(Some(origin));
    }
    // SAFETY: both made by the library.
    unsafe {
        wasm_frame_vec_delete(Some(&mut built));
        wasm_frame_vec_delete(Some(&mut copy));
    }
}

#[test]
fn a_table_seen_as_a_const_extern() {
    let fixture = trap_fixture();
    let table_extern = &*fixture.exports[0];
    let table = wasm_extern_as_table_const(Some(table_extern)).expect("export 0 is a table");
    let as_extern = wasm_table_as_extern_const(Some(table)).expect("a table is an extern");
    assert!(
        ptr::eq(as_extern, table_extern),
        "the same handle, not a new one"
    );
    assert_eq!(wasm_extern_kind(Some(as_extern)), WASM_EXTERN_TABLE);
    assert!(wasm_extern_as_func_const(Some(as_extern)).is_none());
    assert_eq!(wasm_table_size(Some(table)), 3);
    let ty = wasm_extern_type(Some(as_extern)).unwrap();
    assert_eq!(wasm_externtype_kind(Some(&ty)), WASM_EXTERN_TABLE);
    wasm_externtype_delete(Some(ty));
    assert!(wasm_table_as_extern_const(None).is_none());
}

/// The tests above, again, under valgrind's memcheck: no invalid accesses,
/// no uses of uninitialised values, no definite leaks.
#[test]
fn coverage_tests_run_clean_under_valgrind() {
    if std::env::var_os("WASM_RUNTIME_COVERAGE_UNDER_VALGRIND").is_some() {
        return; // the inner run
    }
    support::rerun_tests_under_memcheck(
        "WASM_RUNTIME_COVERAGE_UNDER_VALGRIND",
        "coverage_tests_run_clean_under_valgrind",
        3,
    );
}
