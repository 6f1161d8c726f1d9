//! The data half of wasm.h through its C functions: vectors, type
//! reflection, values. Calls go through the rlib exactly as a C host's
//! calls would (same functions, same pointers, NULLs included).

use std::ptr;

use wasm_runtime::capi::exporttype::*;
use wasm_runtime::capi::ext::valtype::*;
use wasm_runtime::capi::externtype::*;
use wasm_runtime::capi::functype::*;
use wasm_runtime::capi::globaltype::*;
use wasm_runtime::capi::importtype::*;
use wasm_runtime::capi::limits::*;
use wasm_runtime::capi::memorytype::*;
use wasm_runtime::capi::tabletype::*;
use wasm_runtime::capi::val::*;
use wasm_runtime::capi::valtype::*;
use wasm_runtime::capi::vec::*;
use wasm_runtime::module::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};

const ALL_KINDS: [wasm_valkind_t; 7] = [
    WASM_I32,
    WASM_I64,
    WASM_F32,
    WASM_F64,
    WASM_V128,
    WASM_EXTERNREF,
    WASM_FUNCREF,
];

fn valtype(kind: wasm_valkind_t) -> Option<Box<wasm_valtype_t>> {
    let ty = wasm_valtype_new(kind);
    assert!(ty.is_some(), "wasm_valtype_new({kind}) gave NULL");
    ty
}

/// A C-made name: `wasm_byte_vec_new` over the bytes of `s`.
fn name(s: &str) -> wasm_name_t {
    let mut out = wasm_byte_vec_t {
        size: 99,
        data: ptr::null_mut(),
    };
    unsafe { wasm_byte_vec_new(Some(&mut out), s.len(), s.as_ptr().cast()) };
    out
}

fn bytes(v: Option<&wasm_byte_vec_t>) -> Vec<u8> {
    unsafe { v.expect("NULL byte vector").as_slice().to_vec() }
}

/// A value type vector built the way the standard helpers do it.
fn valtype_vec(kinds: &[wasm_valkind_t]) -> wasm_valtype_vec_t {
    let mut elems: Vec<Option<Box<wasm_valtype_t>>> = kinds.iter().map(|&k| valtype(k)).collect();
    let mut out = wasm_valtype_vec_t::empty();
    unsafe {
        wasm_valtype_vec_new(Some(&mut out), elems.len(), elems.as_ptr());
        // Ownership of the elements moved into `out`: free only the array.
        elems.set_len(0);
    }
    out
}

fn kinds_of(v: Option<&wasm_valtype_vec_t>) -> Vec<wasm_valkind_t> {
    let v = v.expect("NULL valtype vector");
    unsafe { v.as_slice() }
        .iter()
        .map(|t| wasm_valtype_kind(t.as_deref()))
        .collect()
}

// ---------------------------------------------------------------------------
// Value types

#[test]
fn valtype_kinds_round_trip() {
    for kind in ALL_KINDS {
        let ty = valtype(kind);
        assert_eq!(wasm_valtype_kind(ty.as_deref()), kind);
        let copy = wasm_valtype_copy(ty.as_deref());
        assert_eq!(wasm_valtype_kind(copy.as_deref()), kind);
        assert!(!ptr::eq(copy.as_deref().unwrap(), ty.as_deref().unwrap()));
        wasm_valtype_delete(ty);
        wasm_valtype_delete(copy);
    }
    assert_eq!(
        ALL_KINDS.map(|k| valtype_of_kind(k).unwrap()),
        [
            ValType::I32,
            ValType::I64,
            ValType::F32,
            ValType::F64,
            ValType::V128,
            ValType::EXTERNREF,
            ValType::FUNCREF
        ]
    );
    assert_eq!((WASM_EXTERNREF, WASM_FUNCREF, WASM_V128), (128, 129, 4));
}

#[test]
fn valtype_rejects_unknown_kinds_and_null() {
    for kind in [5u8, 127, 130, 255] {
        assert!(wasm_valtype_new(kind).is_none(), "kind {kind} accepted");
    }
    assert_eq!(wasm_valtype_kind(None), 0xff);
    assert!(wasm_valtype_copy(None).is_none());
    wasm_valtype_delete(None);
}

// ---------------------------------------------------------------------------
// Function types

#[test]
fn functype_reflects_and_consumes_its_vectors() {
    let mut params = valtype_vec(&[WASM_I32, WASM_F64, WASM_EXTERNREF]);
    let mut results = valtype_vec(&[WASM_V128]);
    let ft = unsafe { wasm_functype_new(Some(&mut params), Some(&mut results)) };
    assert!(ft.is_some());
    // Consumed: the caller's vectors are left empty, so deleting them
    // again is harmless.
    assert_eq!((params.size, params.data.is_null()), (0, true));
    assert_eq!((results.size, results.data.is_null()), (0, true));
    unsafe {
        wasm_valtype_vec_delete(Some(&mut params));
        wasm_valtype_vec_delete(Some(&mut results));
    }

    assert_eq!(
        kinds_of(wasm_functype_params(ft.as_deref())),
        [WASM_I32, WASM_F64, WASM_EXTERNREF]
    );
    assert_eq!(kinds_of(wasm_functype_results(ft.as_deref())), [WASM_V128]);
    assert_eq!(
        ft.as_deref().unwrap().func_type(),
        Some(&FuncType::new(
            [ValType::I32, ValType::F64, ValType::EXTERNREF],
            [ValType::V128]
        ))
    );

    let copy = wasm_functype_copy(ft.as_deref());
    assert_eq!(
        copy.as_deref().unwrap().func_type(),
        ft.as_deref().unwrap().func_type()
    );
    // The copy lends out its own vectors.
    assert!(!ptr::eq(
        wasm_functype_params(copy.as_deref()).unwrap(),
        wasm_functype_params(ft.as_deref()).unwrap()
    ));
    wasm_functype_delete(ft);
    assert_eq!(
        kinds_of(wasm_functype_results(copy.as_deref())),
        [WASM_V128]
    );
    wasm_functype_delete(copy);
}

/// A value type vector of the given (owned) value types.
fn vec_of(elems: Vec<Option<Box<wasm_valtype_t>>>) -> wasm_valtype_vec_t {
    let mut elems = elems;
    let mut out = wasm_valtype_vec_t::empty();
    unsafe {
        wasm_valtype_vec_new(Some(&mut out), elems.len(), elems.as_ptr());
        elems.set_len(0);
    }
    out
}

#[test]
fn typed_reference_types_are_described_not_mislabelled() {
    // The abstract ones: (ref func) is not funcref, nullfuncref is nofunc.
    let ref_func = wasm_valtype_new_ref(false, WASM_HEAP_FUNC);
    assert_eq!(wasm_valtype_kind(ref_func.as_deref()), WASM_TYPEDREF);
    assert!(!wasm_valtype_is_nullable(ref_func.as_deref()));
    assert_eq!(wasm_valtype_heap_kind(ref_func.as_deref()), WASM_HEAP_FUNC);
    let nullfunc = wasm_valtype_new_ref(true, WASM_HEAP_NOFUNC);
    assert_eq!(wasm_valtype_kind(nullfunc.as_deref()), WASM_TYPEDREF);
    assert_eq!(
        wasm_valtype_heap_kind(nullfunc.as_deref()),
        WASM_HEAP_NOFUNC
    );
    // The nullable tops are the standard kinds.
    let externref = wasm_valtype_new_ref(true, WASM_HEAP_EXTERN);
    assert_eq!(wasm_valtype_kind(externref.as_deref()), WASM_EXTERNREF);
    let funcref = valtype(WASM_FUNCREF);
    assert!(wasm_valtype_is_nullable(funcref.as_deref()));
    assert_eq!(wasm_valtype_heap_kind(funcref.as_deref()), WASM_HEAP_FUNC);
    // Numbers have no heap type; unknown heap kinds and concrete ones
    // without a type are refused.
    let i32t = valtype(WASM_I32);
    assert_eq!(wasm_valtype_heap_kind(i32t.as_deref()), 0xff);
    assert!(!wasm_valtype_is_nullable(i32t.as_deref()));
    assert!(wasm_valtype_functype(i32t.as_deref()).is_none());
    assert!(wasm_valtype_new_ref(true, WASM_HEAP_CONCRETE_FUNC).is_none());
    assert!(wasm_valtype_new_ref(true, 77).is_none());
    assert!(wasm_valtype_new_typed_funcref(true, None).is_none());
    assert!(
        wasm_valtype_new(WASM_TYPEDREF).is_none(),
        "the kind alone says too little"
    );

    // A concrete one: (ref $t) for $t = (func (param i32) (result i64)).
    let mut params = valtype_vec(&[WASM_I32]);
    let mut results = valtype_vec(&[WASM_I64]);
    let ft = unsafe { wasm_functype_new(Some(&mut params), Some(&mut results)) };
    let typed = wasm_valtype_new_typed_funcref(false, ft.as_deref());
    assert_eq!(wasm_valtype_kind(typed.as_deref()), WASM_TYPEDREF);
    assert_eq!(
        wasm_valtype_heap_kind(typed.as_deref()),
        WASM_HEAP_CONCRETE_FUNC
    );
    assert!(!wasm_valtype_is_nullable(typed.as_deref()));
    let back = wasm_valtype_functype(typed.as_deref());
    assert_eq!(kinds_of(wasm_functype_params(back.as_deref())), [WASM_I32]);
    assert_eq!(kinds_of(wasm_functype_results(back.as_deref())), [WASM_I64]);
    // Equivalent function types give equal reference types.
    let again = wasm_valtype_new_typed_funcref(false, back.as_deref());
    assert_eq!(
        again.as_deref().map(|t| t.ty()),
        typed.as_deref().map(|t| t.ty())
    );
    // A function type with a typed parameter reflects it as such.
    let mut params = vec_of(vec![wasm_valtype_copy(typed.as_deref()), valtype(WASM_F32)]);
    let mut results = wasm_valtype_vec_t::empty();
    let higher = unsafe { wasm_functype_new(Some(&mut params), Some(&mut results)) };
    assert_eq!(
        kinds_of(wasm_functype_params(higher.as_deref())),
        [WASM_TYPEDREF, WASM_F32]
    );
    for t in [ref_func, nullfunc, externref, funcref, i32t, typed, again] {
        wasm_valtype_delete(t);
    }
    for f in [ft, back, higher] {
        wasm_functype_delete(f);
    }
}

#[test]
fn functype_new_with_empty_vectors() {
    let mut params = wasm_valtype_vec_t::empty();
    let mut results = wasm_valtype_vec_t::empty();
    wasm_valtype_vec_new_empty(Some(&mut params));
    wasm_valtype_vec_new_empty(Some(&mut results));
    let ft = unsafe { wasm_functype_new(Some(&mut params), Some(&mut results)) };
    assert_eq!(wasm_functype_params(ft.as_deref()).unwrap().size, 0);
    assert_eq!(wasm_functype_results(ft.as_deref()).unwrap().size, 0);
    wasm_functype_delete(ft);
}

#[test]
fn functype_new_rejects_null_vectors_and_elements() {
    let mut results = valtype_vec(&[WASM_I32]);
    assert!(unsafe { wasm_functype_new(None, Some(&mut results)) }.is_none());
    assert_eq!(results.size, 0, "results are consumed even on failure");

    let mut params = wasm_valtype_vec_t::empty();
    wasm_valtype_vec_new_uninitialized(Some(&mut params), 2);
    unsafe { params.as_mut_slice()[0] = valtype(WASM_I64) };
    let mut results = valtype_vec(&[]);
    assert!(unsafe { wasm_functype_new(Some(&mut params), Some(&mut results)) }.is_none());
    assert_eq!(params.size, 0);

    assert!(wasm_functype_params(None).is_none());
    assert!(wasm_functype_results(None).is_none());
    assert!(wasm_functype_copy(None).is_none());
    wasm_functype_delete(None);
}

// ---------------------------------------------------------------------------
// Global, table and memory types

#[test]
fn globaltype_content_and_mutability() {
    for (mutability, mutable) in [(WASM_CONST, false), (WASM_VAR, true)] {
        let gt = wasm_globaltype_new(valtype(WASM_F32), mutability);
        assert_eq!(wasm_globaltype_mutability(gt.as_deref()), mutability);
        assert_eq!(
            wasm_valtype_kind(wasm_globaltype_content(gt.as_deref())),
            WASM_F32
        );
        let copy = wasm_globaltype_copy(gt.as_deref());
        wasm_globaltype_delete(gt);
        assert_eq!(
            copy.as_deref().unwrap().global_type(),
            Some(GlobalType {
                content: ValType::F32,
                mutable
            })
        );
        wasm_globaltype_delete(copy);
    }
    assert!(wasm_globaltype_new(valtype(WASM_I32), 2).is_none());
    assert!(wasm_globaltype_new(None, WASM_VAR).is_none());
    assert!(wasm_globaltype_content(None).is_none());
    assert_eq!(wasm_globaltype_mutability(None), 0xff);
    wasm_globaltype_delete(None);
}

#[test]
fn tabletype_element_and_limits() {
    let limits = wasm_limits_t { min: 3, max: 10 };
    let tt = wasm_tabletype_new(valtype(WASM_FUNCREF), Some(&limits));
    assert_eq!(
        wasm_valtype_kind(wasm_tabletype_element(tt.as_deref())),
        WASM_FUNCREF
    );
    assert_eq!(wasm_tabletype_limits(tt.as_deref()), Some(&limits));
    assert_eq!(
        tt.as_deref().unwrap().table_type(),
        Some(TableType {
            element: ValType::FUNCREF,
            minimum: 3,
            maximum: Some(10),
            table64: false
        })
    );
    let copy = wasm_tabletype_copy(tt.as_deref());
    wasm_tabletype_delete(tt);
    assert_eq!(wasm_tabletype_limits(copy.as_deref()), Some(&limits));
    wasm_tabletype_delete(copy);

    // Only reference types can be table elements.
    for kind in [WASM_I32, WASM_V128] {
        assert!(wasm_tabletype_new(valtype(kind), Some(&limits)).is_none());
    }
    assert!(wasm_tabletype_new(valtype(WASM_EXTERNREF), None).is_none());
    let inverted = wasm_limits_t { min: 5, max: 4 };
    assert!(wasm_tabletype_new(valtype(WASM_FUNCREF), Some(&inverted)).is_none());
    assert!(wasm_tabletype_new(None, Some(&limits)).is_none());
    assert!(wasm_tabletype_element(None).is_none());
    assert!(wasm_tabletype_limits(None).is_none());
}

#[test]
fn limits_max_default_means_no_maximum() {
    assert_eq!(wasm_limits_max_default, u32::MAX);
    let unbounded = wasm_limits_t {
        min: 1,
        max: wasm_limits_max_default,
    };
    let mt = wasm_memorytype_new(Some(&unbounded));
    assert_eq!(
        mt.as_deref().unwrap().memory_type(),
        Some(MemoryType::new(1, None))
    );
    assert_eq!(wasm_memorytype_limits(mt.as_deref()), Some(&unbounded));
    wasm_memorytype_delete(mt);

    let tt = wasm_tabletype_new(valtype(WASM_EXTERNREF), Some(&unbounded));
    assert_eq!(tt.as_deref().unwrap().table_type().unwrap().maximum, None);
    wasm_tabletype_delete(tt);

    // Reflection of Rust types without a maximum gives the default.
    let mt = wasm_memorytype_t::from_memory_type(&MemoryType::new(0, None));
    assert_eq!(
        wasm_memorytype_limits(Some(&mt)).unwrap().max,
        wasm_limits_max_default
    );
}

#[test]
fn memorytype_limits() {
    let limits = wasm_limits_t { min: 0, max: 65536 };
    let mt = wasm_memorytype_new(Some(&limits));
    assert_eq!(wasm_memorytype_limits(mt.as_deref()), Some(&limits));
    let copy = wasm_memorytype_copy(mt.as_deref());
    wasm_memorytype_delete(mt);
    assert_eq!(
        copy.as_deref().unwrap().memory_type(),
        Some(MemoryType::new(0, Some(65536)))
    );
    wasm_memorytype_delete(copy);
    assert!(wasm_memorytype_new(None).is_none());
    // Limits no 32-bit memory can have are refused at once.
    for (min, max) in [(0, 65537), (65537, wasm_limits_max_default), (3, 2)] {
        assert!(
            wasm_memorytype_new(Some(&wasm_limits_t { min, max })).is_none(),
            "{min}..{max}"
        );
    }
    assert!(wasm_memorytype_new(Some(&wasm_limits_t {
        min: 65536,
        max: wasm_limits_max_default
    }))
    .is_some());
    assert!(wasm_memorytype_limits(None).is_none());
    assert!(wasm_memorytype_copy(None).is_none());
}

#[test]
fn limits_beyond_32_bits_saturate() {
    let mut big = MemoryType::new(1 << 33, Some(1 << 40));
    big.memory64 = true;
    let mt = wasm_memorytype_t::from_memory_type(&big);
    assert_eq!(
        wasm_memorytype_limits(Some(&mt)),
        Some(&wasm_limits_t {
            min: u32::MAX,
            max: u32::MAX
        })
    );
}

// ---------------------------------------------------------------------------
// Extern types

#[test]
fn externtype_conversions_check_the_kind() {
    let mut ft = unsafe {
        let (mut p, mut r) = (valtype_vec(&[WASM_I32]), valtype_vec(&[]));
        wasm_functype_new(Some(&mut p), Some(&mut r)).unwrap()
    };
    let ft_ptr: *const wasm_functype_t = &*ft;
    let et = wasm_functype_as_externtype(Some(&mut ft)).unwrap();
    assert_eq!(wasm_externtype_kind(Some(et)), WASM_EXTERN_FUNC);
    assert!(wasm_externtype_as_globaltype(Some(&mut *et)).is_none());
    assert!(wasm_externtype_as_tabletype(Some(&mut *et)).is_none());
    assert!(wasm_externtype_as_memorytype(Some(&mut *et)).is_none());
    // Back to the very same object.
    let back = wasm_externtype_as_functype(Some(et)).unwrap();
    assert!(ptr::eq(back, ft_ptr));
    assert_eq!(kinds_of(wasm_functype_params(Some(back))), [WASM_I32]);

    let et = wasm_functype_as_externtype_const(Some(&ft)).unwrap();
    assert!(ptr::eq(
        wasm_externtype_as_functype_const(Some(et)).unwrap(),
        ft_ptr
    ));
    assert!(wasm_externtype_as_globaltype_const(Some(et)).is_none());
    assert!(wasm_externtype_as_tabletype_const(Some(et)).is_none());
    assert!(wasm_externtype_as_memorytype_const(Some(et)).is_none());

    // An extern type copy is a function type too, freed as an extern type.
    let copy = wasm_externtype_copy(Some(et));
    assert_eq!(wasm_externtype_kind(copy.as_deref()), WASM_EXTERN_FUNC);
    assert!(wasm_externtype_as_functype_const(copy.as_deref()).is_some());
    wasm_externtype_delete(copy);

    // A function type can be freed through its extern type view.
    let et: *mut wasm_externtype_t = wasm_functype_as_externtype(Some(Box::leak(ft))).unwrap();
    wasm_externtype_delete(Some(unsafe { Box::from_raw(et) }));
}

#[test]
fn externtype_conversions_of_each_kind() {
    let limits = wasm_limits_t { min: 1, max: 2 };
    let mut gt = wasm_globaltype_new(valtype(WASM_I64), WASM_VAR).unwrap();
    let mut tt = wasm_tabletype_new(valtype(WASM_FUNCREF), Some(&limits)).unwrap();
    let mut mt = wasm_memorytype_new(Some(&limits)).unwrap();

    let et = wasm_globaltype_as_externtype(Some(&mut gt)).unwrap();
    assert_eq!(wasm_externtype_kind(Some(et)), WASM_EXTERN_GLOBAL);
    assert!(wasm_externtype_as_functype(Some(&mut *et)).is_none());
    let g = wasm_externtype_as_globaltype(Some(et)).unwrap();
    assert_eq!(wasm_globaltype_mutability(Some(g)), WASM_VAR);

    let et = wasm_tabletype_as_externtype(Some(&mut tt)).unwrap();
    assert_eq!(wasm_externtype_kind(Some(et)), WASM_EXTERN_TABLE);
    assert!(wasm_externtype_as_memorytype(Some(&mut *et)).is_none());
    let t = wasm_externtype_as_tabletype(Some(et)).unwrap();
    assert_eq!(wasm_tabletype_limits(Some(t)), Some(&limits));

    let et = wasm_memorytype_as_externtype(Some(&mut mt)).unwrap();
    assert_eq!(wasm_externtype_kind(Some(et)), WASM_EXTERN_MEMORY);
    assert!(wasm_externtype_as_tabletype(Some(&mut *et)).is_none());
    let m = wasm_externtype_as_memorytype(Some(et)).unwrap();
    assert_eq!(wasm_memorytype_limits(Some(m)), Some(&limits));

    assert_eq!(
        wasm_externtype_kind(wasm_globaltype_as_externtype_const(Some(&gt))),
        WASM_EXTERN_GLOBAL
    );
    assert_eq!(
        wasm_externtype_kind(wasm_tabletype_as_externtype_const(Some(&tt))),
        WASM_EXTERN_TABLE
    );
    assert_eq!(
        wasm_externtype_kind(wasm_memorytype_as_externtype_const(Some(&mt))),
        WASM_EXTERN_MEMORY
    );
    assert!(
        wasm_externtype_as_globaltype_const(wasm_globaltype_as_externtype_const(Some(&gt)))
            .is_some()
    );
    assert!(
        wasm_externtype_as_tabletype_const(wasm_tabletype_as_externtype_const(Some(&tt))).is_some()
    );
    assert!(
        wasm_externtype_as_memorytype_const(wasm_memorytype_as_externtype_const(Some(&mt)))
            .is_some()
    );
}

#[test]
fn externtype_null_handling() {
    assert_eq!(wasm_externtype_kind(None), 0xff);
    assert!(wasm_externtype_copy(None).is_none());
    wasm_externtype_delete(None);
    assert!(wasm_functype_as_externtype(None).is_none());
    assert!(wasm_globaltype_as_externtype(None).is_none());
    assert!(wasm_tabletype_as_externtype(None).is_none());
    assert!(wasm_memorytype_as_externtype(None).is_none());
    assert!(wasm_functype_as_externtype_const(None).is_none());
    assert!(wasm_globaltype_as_externtype_const(None).is_none());
    assert!(wasm_tabletype_as_externtype_const(None).is_none());
    assert!(wasm_memorytype_as_externtype_const(None).is_none());
    assert!(wasm_externtype_as_functype(None).is_none());
    assert!(wasm_externtype_as_globaltype(None).is_none());
    assert!(wasm_externtype_as_tabletype(None).is_none());
    assert!(wasm_externtype_as_memorytype(None).is_none());
    assert!(wasm_externtype_as_functype_const(None).is_none());
    assert!(wasm_externtype_as_globaltype_const(None).is_none());
    assert!(wasm_externtype_as_tabletype_const(None).is_none());
    assert!(wasm_externtype_as_memorytype_const(None).is_none());
}

#[test]
fn externtype_from_rust_types() {
    let cases = [
        (
            ExternType::Func(FuncType::new([ValType::I64], [ValType::I32])),
            WASM_EXTERN_FUNC,
        ),
        (
            ExternType::Global(GlobalType {
                content: ValType::V128,
                mutable: false,
            }),
            WASM_EXTERN_GLOBAL,
        ),
        (
            ExternType::Table(TableType {
                element: ValType::EXTERNREF,
                minimum: 0,
                maximum: None,
                table64: false,
            }),
            WASM_EXTERN_TABLE,
        ),
        (
            ExternType::Memory(MemoryType::new(2, Some(3))),
            WASM_EXTERN_MEMORY,
        ),
    ];
    for (ty, kind) in cases {
        let et = wasm_externtype_t::from_extern_type(&ty);
        assert_eq!(wasm_externtype_kind(Some(&et)), kind);
        assert_eq!(et.extern_type(), &ty);
        let copy = wasm_externtype_copy(Some(&et)).unwrap();
        assert_eq!(copy.extern_type(), &ty);
    }
}

// ---------------------------------------------------------------------------
// Import and export types

#[test]
fn importtype_owns_names_and_type() {
    let mut module = name("env");
    let mut field = name("memory");
    let mt = wasm_memorytype_new(Some(&wasm_limits_t { min: 1, max: 2 })).unwrap();
    let et = unsafe { Box::from_raw(wasm_memorytype_as_externtype(Some(Box::leak(mt))).unwrap()) };
    let it = unsafe { wasm_importtype_new(Some(&mut module), Some(&mut field), Some(et)) };
    assert_eq!(module.size, 0, "module name consumed");
    assert_eq!(field.size, 0, "field name consumed");
    assert_eq!(bytes(wasm_importtype_module(it.as_deref())), b"env");
    assert_eq!(bytes(wasm_importtype_name(it.as_deref())), b"memory");
    let ty = wasm_importtype_type(it.as_deref());
    assert_eq!(wasm_externtype_kind(ty), WASM_EXTERN_MEMORY);

    let copy = wasm_importtype_copy(it.as_deref());
    assert!(!ptr::eq(
        wasm_importtype_module(copy.as_deref()).unwrap(),
        wasm_importtype_module(it.as_deref()).unwrap()
    ));
    wasm_importtype_delete(it);
    assert_eq!(bytes(wasm_importtype_module(copy.as_deref())), b"env");
    assert_eq!(bytes(wasm_importtype_name(copy.as_deref())), b"memory");
    assert_eq!(
        copy.as_deref().unwrap().extern_type(),
        &ExternType::Memory(MemoryType::new(1, Some(2)))
    );
    wasm_importtype_delete(copy);
}

#[test]
fn importtype_from_rust_and_null_handling() {
    let ty = ExternType::Global(GlobalType {
        content: ValType::I32,
        mutable: true,
    });
    let it = wasm_importtype_t::from_parts("m", "g", &ty);
    assert_eq!((it.module(), it.name()), (&b"m"[..], &b"g"[..]));
    assert_eq!(
        wasm_externtype_kind(wasm_importtype_type(Some(&it))),
        WASM_EXTERN_GLOBAL
    );

    let mut field = name("x");
    let et = wasm_externtype_t::from_extern_type(&ty);
    assert!(unsafe { wasm_importtype_new(None, Some(&mut field), Some(et)) }.is_none());
    assert_eq!(field.size, 0);
    let (mut m, mut f) = (name("a"), name("b"));
    assert!(unsafe { wasm_importtype_new(Some(&mut m), Some(&mut f), None) }.is_none());
    assert!(wasm_importtype_module(None).is_none());
    assert!(wasm_importtype_name(None).is_none());
    assert!(wasm_importtype_type(None).is_none());
    assert!(wasm_importtype_copy(None).is_none());
    wasm_importtype_delete(None);
}

#[test]
fn exporttype_owns_name_and_type() {
    let mut export = name("run");
    let et = wasm_externtype_t::from_extern_type(&ExternType::Func(FuncType::new([], [])));
    let xt = unsafe { wasm_exporttype_new(Some(&mut export), Some(et)) };
    assert_eq!(export.size, 0, "name consumed");
    assert_eq!(bytes(wasm_exporttype_name(xt.as_deref())), b"run");
    assert_eq!(
        wasm_externtype_kind(wasm_exporttype_type(xt.as_deref())),
        WASM_EXTERN_FUNC
    );
    let copy = wasm_exporttype_copy(xt.as_deref());
    wasm_exporttype_delete(xt);
    assert_eq!(bytes(wasm_exporttype_name(copy.as_deref())), b"run");
    wasm_exporttype_delete(copy);

    let from_rust =
        wasm_exporttype_t::from_parts("é", &ExternType::Memory(MemoryType::new(0, None)));
    assert_eq!(from_rust.name(), "é".as_bytes());
    let mut n = name("x");
    assert!(unsafe { wasm_exporttype_new(Some(&mut n), None) }.is_none());
    assert!(unsafe { wasm_exporttype_new(None, None) }.is_none());
    assert!(wasm_exporttype_name(None).is_none());
    assert!(wasm_exporttype_type(None).is_none());
    assert!(wasm_exporttype_copy(None).is_none());
    wasm_exporttype_delete(None);
}

// ---------------------------------------------------------------------------
// Vectors

#[test]
fn byte_vec_new_copy_delete() {
    let mut v = name("hello");
    assert_eq!(v.size, 5);
    let mut copy = wasm_byte_vec_t::empty();
    unsafe { wasm_byte_vec_copy(Some(&mut copy), Some(&v)) };
    assert_ne!(copy.data, v.data);
    assert_eq!(unsafe { copy.as_slice() }, b"hello");
    unsafe { wasm_byte_vec_delete(Some(&mut v)) };
    assert_eq!((v.size, v.data.is_null()), (0, true));
    // Deleting an emptied vector again is harmless.
    unsafe { wasm_byte_vec_delete(Some(&mut v)) };
    assert_eq!(unsafe { copy.take() }, b"hello");
}

#[test]
fn byte_vec_uninitialized_is_zeroed_and_writable() {
    let mut v = wasm_byte_vec_t::empty();
    wasm_byte_vec_new_uninitialized(Some(&mut v), 4);
    assert_eq!(unsafe { v.as_slice() }, [0, 0, 0, 0]);
    unsafe { *v.data.add(3) = b'!' as wasm_byte_t };
    assert_eq!(unsafe { v.as_slice() }, [0, 0, 0, b'!']);
    unsafe { wasm_byte_vec_delete(Some(&mut v)) };
}

#[test]
fn vectors_tolerate_null_and_empty() {
    let mut v = wasm_byte_vec_t {
        size: 7,
        data: ptr::null_mut(),
    };
    wasm_byte_vec_new_empty(Some(&mut v));
    assert_eq!((v.size, v.data.is_null()), (0, true));
    // NULL data with a size: empty, not a crash.
    unsafe { wasm_byte_vec_new(Some(&mut v), 10, ptr::null()) };
    assert_eq!(v.size, 0);
    unsafe { wasm_byte_vec_copy(Some(&mut v), None) };
    assert_eq!(v.size, 0);
    wasm_byte_vec_new_uninitialized(Some(&mut v), 0);
    assert_eq!(v.size, 0);
    // NULL outs and vectors are ignored.
    wasm_byte_vec_new_empty(None);
    wasm_byte_vec_new_uninitialized(None, 3);
    unsafe {
        wasm_byte_vec_new(None, 3, b"abc".as_ptr().cast());
        wasm_byte_vec_copy(None, Some(&v));
        wasm_byte_vec_delete(None);
        wasm_valtype_vec_delete(None);
        wasm_functype_vec_delete(None);
        wasm_globaltype_vec_delete(None);
        wasm_tabletype_vec_delete(None);
        wasm_memorytype_vec_delete(None);
        wasm_externtype_vec_delete(None);
        wasm_importtype_vec_delete(None);
        wasm_exporttype_vec_delete(None);
        wasm_val_vec_delete(None);
        wasm_frame_vec_delete(None);
        wasm_extern_vec_delete(None);
    }
    // Ownership passed with a NULL `out` is released, not leaked or kept.
    let elems = [valtype(WASM_I32)];
    unsafe { wasm_valtype_vec_new(None, 1, elems.as_ptr()) };
    std::mem::forget(elems);
}

#[test]
fn impossible_sizes_give_empty_vectors() {
    let mut v = wasm_byte_vec_t::empty();
    wasm_byte_vec_new_uninitialized(Some(&mut v), usize::MAX);
    assert_eq!((v.size, v.data.is_null()), (0, true));
    let mut vals = wasm_val_vec_t::empty();
    wasm_val_vec_new_uninitialized(Some(&mut vals), usize::MAX / 2);
    assert_eq!(vals.size, 0);
}

#[test]
fn object_vectors_deep_copy_and_keep_nulls() {
    let mut v = wasm_valtype_vec_t::empty();
    wasm_valtype_vec_new_uninitialized(Some(&mut v), 3);
    assert!(unsafe { v.as_slice() }.iter().all(Option::is_none));
    unsafe {
        v.as_mut_slice()[0] = valtype(WASM_F64);
        v.as_mut_slice()[2] = valtype(WASM_FUNCREF);
    }
    let mut copy = wasm_valtype_vec_t::empty();
    unsafe { wasm_valtype_vec_copy(Some(&mut copy), Some(&v)) };
    assert_eq!(kinds_of(Some(&copy)), [WASM_F64, 0xff, WASM_FUNCREF]);
    let (a, b) = unsafe { (v.as_slice(), copy.as_slice()) };
    assert!(!ptr::eq(a[0].as_deref().unwrap(), b[0].as_deref().unwrap()));
    unsafe {
        wasm_valtype_vec_delete(Some(&mut v));
        assert_eq!(kinds_of(Some(&copy)), [WASM_F64, 0xff, WASM_FUNCREF]);
        wasm_valtype_vec_delete(Some(&mut copy));
    }
}

#[test]
fn every_type_vector_round_trips() {
    let limits = wasm_limits_t { min: 0, max: 1 };
    unsafe {
        let f = [wasm_functype_t::from_func_type(&FuncType::new(
            [ValType::I32],
            [],
        ))];
        let mut fv = wasm_functype_vec_t::empty();
        wasm_functype_vec_new(Some(&mut fv), 1, f.as_ptr().cast());
        std::mem::forget(f);
        let mut fc = wasm_functype_vec_t::empty();
        wasm_functype_vec_copy(Some(&mut fc), Some(&fv));
        wasm_functype_vec_delete(Some(&mut fv));
        assert_eq!(
            kinds_of(wasm_functype_params(fc.as_slice()[0].as_deref())),
            [WASM_I32]
        );
        wasm_functype_vec_delete(Some(&mut fc));

        let g = [wasm_globaltype_new(valtype(WASM_I32), WASM_CONST)];
        let mut gv = wasm_globaltype_vec_t::empty();
        wasm_globaltype_vec_new(Some(&mut gv), 1, g.as_ptr());
        std::mem::forget(g);
        let mut gc = wasm_globaltype_vec_t::empty();
        wasm_globaltype_vec_copy(Some(&mut gc), Some(&gv));
        wasm_globaltype_vec_delete(Some(&mut gv));
        assert_eq!(
            wasm_globaltype_mutability(gc.as_slice()[0].as_deref()),
            WASM_CONST
        );
        wasm_globaltype_vec_delete(Some(&mut gc));

        let t = [wasm_tabletype_new(valtype(WASM_FUNCREF), Some(&limits))];
        let mut tv = wasm_tabletype_vec_t::empty();
        wasm_tabletype_vec_new(Some(&mut tv), 1, t.as_ptr());
        std::mem::forget(t);
        let mut tc = wasm_tabletype_vec_t::empty();
        wasm_tabletype_vec_copy(Some(&mut tc), Some(&tv));
        wasm_tabletype_vec_delete(Some(&mut tv));
        assert_eq!(
            wasm_tabletype_limits(tc.as_slice()[0].as_deref()),
            Some(&limits)
        );
        wasm_tabletype_vec_delete(Some(&mut tc));

        let m = [wasm_memorytype_new(Some(&limits)), None];
        let mut mv = wasm_memorytype_vec_t::empty();
        wasm_memorytype_vec_new(Some(&mut mv), 2, m.as_ptr());
        std::mem::forget(m);
        let mut mc = wasm_memorytype_vec_t::empty();
        wasm_memorytype_vec_copy(Some(&mut mc), Some(&mv));
        wasm_memorytype_vec_delete(Some(&mut mv));
        assert_eq!(
            wasm_memorytype_limits(mc.as_slice()[0].as_deref()),
            Some(&limits)
        );
        assert!(mc.as_slice()[1].is_none());
        wasm_memorytype_vec_delete(Some(&mut mc));

        let e = [Some(wasm_externtype_t::from_extern_type(
            &ExternType::Memory(MemoryType::new(5, None)),
        ))];
        let mut ev = wasm_externtype_vec_t::empty();
        wasm_externtype_vec_new(Some(&mut ev), 1, e.as_ptr());
        std::mem::forget(e);
        let mut ec = wasm_externtype_vec_t::empty();
        wasm_externtype_vec_copy(Some(&mut ec), Some(&ev));
        wasm_externtype_vec_delete(Some(&mut ev));
        assert_eq!(
            wasm_externtype_kind(ec.as_slice()[0].as_deref()),
            WASM_EXTERN_MEMORY
        );
        wasm_externtype_vec_delete(Some(&mut ec));

        let ty = ExternType::Func(FuncType::new([], [ValType::F32]));
        let i = [Some(wasm_importtype_t::from_parts("a", "b", &ty))];
        let mut iv = wasm_importtype_vec_t::empty();
        wasm_importtype_vec_new(Some(&mut iv), 1, i.as_ptr());
        std::mem::forget(i);
        let mut ic = wasm_importtype_vec_t::empty();
        wasm_importtype_vec_copy(Some(&mut ic), Some(&iv));
        wasm_importtype_vec_delete(Some(&mut iv));
        assert_eq!(
            bytes(wasm_importtype_name(ic.as_slice()[0].as_deref())),
            b"b"
        );
        wasm_importtype_vec_delete(Some(&mut ic));

        let x = [Some(wasm_exporttype_t::from_parts("c", &ty))];
        let mut xv = wasm_exporttype_vec_t::empty();
        wasm_exporttype_vec_new(Some(&mut xv), 1, x.as_ptr());
        std::mem::forget(x);
        let mut xc = wasm_exporttype_vec_t::empty();
        wasm_exporttype_vec_copy(Some(&mut xc), Some(&xv));
        wasm_exporttype_vec_delete(Some(&mut xv));
        assert_eq!(
            bytes(wasm_exporttype_name(xc.as_slice()[0].as_deref())),
            b"c"
        );
        wasm_exporttype_vec_delete(Some(&mut xc));
    }
}

#[test]
fn empty_object_vectors_of_every_kind() {
    let mut fr = wasm_frame_vec_t::empty();
    wasm_frame_vec_new_uninitialized(Some(&mut fr), 2);
    assert_eq!(fr.size, 2);
    assert!(unsafe { fr.as_slice() }.iter().all(Option::is_none));
    let mut frc = wasm_frame_vec_t::empty();
    unsafe {
        wasm_frame_vec_copy(Some(&mut frc), Some(&fr));
        assert_eq!(frc.size, 2);
        wasm_frame_vec_delete(Some(&mut fr));
        wasm_frame_vec_delete(Some(&mut frc));
    }
    wasm_frame_vec_new_empty(Some(&mut fr));
    assert_eq!(fr.size, 0);

    let mut ex = wasm_extern_vec_t::empty();
    wasm_extern_vec_new_uninitialized(Some(&mut ex), 1);
    let mut exc = wasm_extern_vec_t::empty();
    unsafe {
        wasm_extern_vec_copy(Some(&mut exc), Some(&ex));
        assert!(exc.as_slice()[0].is_none());
        wasm_extern_vec_delete(Some(&mut ex));
        wasm_extern_vec_new(Some(&mut ex), 0, ptr::null());
        assert_eq!(ex.size, 0);
        wasm_extern_vec_delete(Some(&mut exc));
    }
    wasm_extern_vec_new_empty(Some(&mut ex));

    let mut v = wasm_functype_vec_t::empty();
    wasm_functype_vec_new_empty(Some(&mut v));
    wasm_globaltype_vec_new_empty(None);
    wasm_tabletype_vec_new_empty(None);
    wasm_memorytype_vec_new_empty(None);
    wasm_externtype_vec_new_empty(None);
    wasm_importtype_vec_new_empty(None);
    wasm_exporttype_vec_new_empty(None);
    wasm_val_vec_new_empty(None);
    assert_eq!(v.size, 0);
}

// ---------------------------------------------------------------------------
// Values

#[test]
fn val_layout_matches_the_standard_header() {
    use std::mem::{align_of, offset_of, size_of};
    assert_eq!(offset_of!(wasm_val_t, kind), 0);
    assert_eq!(size_of::<wasm_val_union>(), 16);
    #[cfg(target_pointer_width = "64")]
    {
        assert_eq!(size_of::<wasm_val_t>(), 24);
        assert_eq!(align_of::<wasm_val_t>(), 8);
        assert_eq!(offset_of!(wasm_val_t, of), 8);
    }
    assert_eq!(offset_of!(wasm_val_t, of) % align_of::<wasm_val_union>(), 0);
    // Every member starts at the union's start.
    let v = wasm_val_t::zeroed(WASM_I32);
    let base = ptr::addr_of!(v.of) as usize;
    assert_eq!(ptr::addr_of!(v.of.i32) as usize, base);
    assert_eq!(ptr::addr_of!(v.of.i64) as usize, base);
    assert_eq!(ptr::addr_of!(v.of.f32) as usize, base);
    assert_eq!(ptr::addr_of!(v.of.f64) as usize, base);
    assert_eq!(ptr::addr_of!(v.of.r#ref) as usize, base);
    assert_eq!(ptr::addr_of!(v.of.v128) as usize, base);
    // Vectors are `{ size_t size; T* data; }`.
    assert_eq!(size_of::<wasm_val_vec_t>(), 2 * size_of::<usize>());
    assert_eq!(offset_of!(wasm_val_vec_t, data), size_of::<usize>());
    assert_eq!(size_of::<wasm_limits_t>(), 8);
    assert_eq!(offset_of!(wasm_limits_t, max), 4);
}

#[test]
fn val_copy_and_delete_of_numbers() {
    let mut src = wasm_val_t::zeroed(WASM_V128);
    src.of.v128 = *b"0123456789abcdef";
    let mut out = wasm_val_t::zeroed(WASM_I32);
    wasm_val_copy(Some(&mut out), Some(&src));
    assert_eq!(out.kind, WASM_V128);
    assert_eq!(unsafe { out.of.v128 }, *b"0123456789abcdef");

    let mut i = wasm_val_t::zeroed(WASM_I64);
    i.of.i64 = -5;
    wasm_val_copy(Some(&mut out), Some(&i));
    assert_eq!((out.kind, unsafe { out.of.i64 }), (WASM_I64, -5));
    // Deleting a number releases nothing and keeps the value readable.
    wasm_val_delete(Some(&mut out));
    assert_eq!(unsafe { out.of.i64 }, -5);

    // A garbage kind owns nothing: its bits are copied, never freed.
    let mut odd = wasm_val_t::zeroed(77);
    odd.of.i64 = 0x1234;
    wasm_val_copy(Some(&mut out), Some(&odd));
    assert_eq!((out.kind, unsafe { out.of.i64 }), (77, 0x1234));
    wasm_val_delete(Some(&mut odd));

    wasm_val_copy(Some(&mut out), None);
    assert_eq!(out.kind, WASM_EXTERNREF);
    assert!(unsafe { out.of.r#ref }.is_null());
    wasm_val_copy(None, Some(&i));
    wasm_val_delete(None);
}

#[test]
fn val_null_refs_copy_and_delete() {
    for kind in [WASM_EXTERNREF, WASM_FUNCREF] {
        let mut null = wasm_val_t::from_ref(kind, None);
        let mut copy = wasm_val_t::zeroed(WASM_I32);
        wasm_val_copy(Some(&mut copy), Some(&null));
        assert_eq!(copy.kind, kind);
        assert!(copy.as_ref().is_none());
        wasm_val_delete(Some(&mut copy));
        wasm_val_delete(Some(&mut null));
    }
}

#[test]
fn val_vec_owns_and_copies_values() {
    let mut vals = [wasm_val_t::zeroed(WASM_I32), wasm_val_t::zeroed(WASM_F64)];
    vals[0].of.i32 = 7;
    vals[1].of.f64 = 2.5;
    let mut v = wasm_val_vec_t::empty();
    unsafe { wasm_val_vec_new(Some(&mut v), 2, vals.as_ptr()) };
    let mut copy = wasm_val_vec_t::empty();
    unsafe { wasm_val_vec_copy(Some(&mut copy), Some(&v)) };
    unsafe { wasm_val_vec_delete(Some(&mut v)) };
    let got = unsafe { copy.as_slice() };
    assert_eq!((got[0].kind, unsafe { got[0].of.i32 }), (WASM_I32, 7));
    assert_eq!((got[1].kind, unsafe { got[1].of.f64 }), (WASM_F64, 2.5));
    unsafe { wasm_val_vec_delete(Some(&mut copy)) };

    let mut u = wasm_val_vec_t::empty();
    wasm_val_vec_new_uninitialized(Some(&mut u), 3);
    for val in unsafe { u.as_slice() } {
        assert_eq!((val.kind, unsafe { val.of.i64 }), (WASM_I32, 0));
    }
    unsafe { wasm_val_vec_delete(Some(&mut u)) };
}

// ---------------------------------------------------------------------------
// Values and vectors holding references (need a store and objects)

mod with_objects {
    use super::*;
    use wasm_runtime::capi::engine::*;
    use wasm_runtime::capi::foreign::*;
    use wasm_runtime::capi::func::*;
    use wasm_runtime::capi::r#extern::*;
    use wasm_runtime::capi::r#ref::*;
    use wasm_runtime::capi::store::*;
    use wasm_runtime::capi::trap::wasm_trap_t;

    /// An engine and store, freed at the end of the test.
    struct Host {
        engine: *mut wasm_engine_t,
        store: *mut wasm_store_t,
    }

    impl Host {
        fn new() -> Host {
            let engine = Box::into_raw(wasm_engine_new().expect("wasm_engine_new"));
            let store = Box::into_raw(unsafe { wasm_store_new(engine) }.expect("wasm_store_new"));
            Host { engine, store }
        }

        /// A new foreign object, handed over as an owned `wasm_ref_t`.
        fn foreign_ref(&self) -> Box<wasm_ref_t> {
            let foreign = Box::into_raw(unsafe { wasm_foreign_new(self.store) }.unwrap());
            let r = wasm_ref_copy(unsafe { wasm_foreign_as_ref(foreign).as_ref() }).unwrap();
            wasm_foreign_delete(Some(unsafe { Box::from_raw(foreign) }));
            r
        }

        /// A new host function `() -> ()`.
        fn func(&self) -> Box<wasm_func_t> {
            unsafe extern "C" fn nop(
                _: *const wasm_val_vec_t,
                _: *mut wasm_val_vec_t,
            ) -> *mut wasm_trap_t {
                ptr::null_mut()
            }
            let ty = wasm_functype_t::from_func_type(&FuncType::new([], []));
            unsafe { wasm_func_new(self.store, Some(&ty), Some(nop)) }.expect("wasm_func_new")
        }
    }

    impl Drop for Host {
        fn drop(&mut self) {
            // SAFETY: made by `Box::into_raw` in `new`, freed only here.
            unsafe {
                wasm_store_delete(Some(Box::from_raw(self.store)));
                wasm_engine_delete(Some(Box::from_raw(self.engine)));
            }
        }
    }

    #[test]
    fn val_copy_of_a_ref_is_a_new_handle_of_the_same_object() {
        let host = Host::new();
        for kind in [WASM_EXTERNREF, WASM_FUNCREF] {
            let r = match kind {
                WASM_FUNCREF => {
                    let f = Box::into_raw(host.func());
                    let r = wasm_ref_copy(unsafe { wasm_func_as_ref(f).as_ref() }).unwrap();
                    wasm_func_delete(Some(unsafe { Box::from_raw(f) }));
                    r
                }
                _ => host.foreign_ref(),
            };
            let mut val = wasm_val_t::from_ref(kind, Some(r));
            let mut copy = wasm_val_t::zeroed(WASM_I32);
            wasm_val_copy(Some(&mut copy), Some(&val));
            assert_eq!(copy.kind, kind);
            assert_ne!(unsafe { copy.of.r#ref }, unsafe { val.of.r#ref });
            assert!(wasm_ref_same(copy.as_ref(), val.as_ref()));

            // Deleting the original frees only its handle.
            wasm_val_delete(Some(&mut val));
            assert!(unsafe { val.of.r#ref }.is_null());
            wasm_val_delete(Some(&mut val));
            let again = wasm_ref_copy(copy.as_ref());
            assert!(wasm_ref_same(again.as_deref(), copy.as_ref()));
            wasm_ref_delete(again);
            wasm_val_delete(Some(&mut copy));
        }
    }

    #[test]
    fn val_vec_elements_own_their_refs() {
        let host = Host::new();
        let r = host.foreign_ref();
        let probe = wasm_ref_copy(Some(&r));
        let vals = [
            wasm_val_t::from_ref(WASM_EXTERNREF, Some(r)),
            wasm_val_t::zeroed(WASM_I32),
            wasm_val_t::from_ref(WASM_FUNCREF, None),
        ];
        let mut v = wasm_val_vec_t::empty();
        unsafe { wasm_val_vec_new(Some(&mut v), 3, vals.as_ptr()) };
        // The vector owns the values now (and the reference in the first);
        // `wasm_val_t` has no drop glue, so `vals` going out of scope frees
        // nothing.
        let mut copy = wasm_val_vec_t::empty();
        unsafe {
            wasm_val_vec_copy(Some(&mut copy), Some(&v));
            let (a, b) = (v.as_slice(), copy.as_slice());
            assert_ne!(a[0].of.r#ref, b[0].of.r#ref);
            assert!(wasm_ref_same(b[0].as_ref(), probe.as_deref()));
            assert!(b[2].as_ref().is_none());
            wasm_val_vec_delete(Some(&mut v));
            assert!(wasm_ref_same(copy.as_slice()[0].as_ref(), probe.as_deref()));
            wasm_val_vec_delete(Some(&mut copy));
        }
        wasm_ref_delete(probe);
    }

    #[test]
    fn extern_vec_copies_are_new_handles() {
        let host = Host::new();
        let f = Box::into_raw(host.func());
        let ext = wasm_extern_copy(unsafe { wasm_func_as_extern(f).as_ref() });
        wasm_func_delete(Some(unsafe { Box::from_raw(f) }));
        let elems = [ext, None];
        let mut v = wasm_extern_vec_t::empty();
        unsafe { wasm_extern_vec_new(Some(&mut v), 2, elems.as_ptr()) };
        std::mem::forget(elems);
        let mut copy = wasm_extern_vec_t::empty();
        unsafe {
            wasm_extern_vec_copy(Some(&mut copy), Some(&v));
            let (a, b) = (v.as_slice(), copy.as_slice());
            let (a0, b0) = (a[0].as_deref().unwrap(), b[0].as_deref().unwrap());
            assert!(!ptr::eq(a0, b0));
            assert!(wasm_extern_same(Some(a0), Some(b0)));
            assert_eq!(wasm_extern_kind(Some(b0)), WASM_EXTERN_FUNC);
            assert!(b[1].is_none());
            wasm_extern_vec_delete(Some(&mut v));
            assert_eq!(
                wasm_extern_kind(copy.as_slice()[0].as_deref()),
                WASM_EXTERN_FUNC
            );
            wasm_extern_vec_delete(Some(&mut copy));
        }
    }
}
