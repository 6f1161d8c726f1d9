//! SIMD through the Rust API (issue 9): v128 values across calls, host
//! functions and globals; the two lowerings of relaxed SIMD
//! (`relaxed_simd_deterministic` off and on) on inputs where they differ;
//! NaN canonicalisation of vector float results.

use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, GlobalType, Module, ValType};
use wasm_runtime::runtime::{Extern, Func, Global, Instance, Store, Val};

fn instantiate(store: &Store, wat: &str, imports: &[Extern]) -> Instance {
    let wasm = wat::parse_str(wat).expect("valid wat");
    let module = Module::new(store.engine(), &wasm).expect("module compiles");
    Instance::new(store, &module, imports).expect("instantiates")
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no function export {name}"))
}

/// The bits of a v128 value (panics on another type).
fn v128(v: &Val) -> u128 {
    match v {
        Val::V128(bits) => *bits,
        other => panic!("expected a v128, got {other:?}"),
    }
}

/// Calls `f` with v128 arguments and returns its one v128 result.
fn call_v(f: &Func, args: &[u128]) -> u128 {
    let params: Vec<Val> = args.iter().map(|a| Val::V128(*a)).collect();
    let mut results = [Val::V128(0)];
    f.call(&params, &mut results).expect("no trap");
    v128(&results[0])
}

fn f32x4(lanes: [f32; 4]) -> u128 {
    from_u32x4(lanes.map(f32::to_bits))
}

fn from_u32x4(lanes: [u32; 4]) -> u128 {
    lanes
        .iter()
        .enumerate()
        .fold(0, |v, (i, l)| v | (u128::from(*l) << (32 * i)))
}

fn to_u32x4(v: u128) -> [u32; 4] {
    [0, 1, 2, 3].map(|i| (v >> (32 * i)) as u32)
}

fn from_u16x8(lanes: [u16; 8]) -> u128 {
    lanes
        .iter()
        .enumerate()
        .fold(0, |v, (i, l)| v | (u128::from(*l) << (16 * i)))
}

fn splat8(b: u8) -> u128 {
    u128::from_le_bytes([b; 16])
}

#[test]
fn v128_crosses_calls_host_functions_and_globals() {
    let store = Store::new(&Engine::default());
    // The host function reverses the 32-bit lanes and adds its second
    // (v128) parameter's lanes: a real computation on the bytes it got.
    let host = Func::new(
        &store,
        FuncType::new([ValType::V128, ValType::V128], [ValType::V128]),
        Box::new(|params: &[Val], results: &mut [Val]| {
            let (Val::V128(a), Val::V128(b)) = (&params[0], &params[1]) else {
                panic!("v128 parameters expected, got {params:?}");
            };
            let (a, b) = (to_u32x4(*a), to_u32x4(*b));
            let r = [0, 1, 2, 3].map(|i| a[3 - i].wrapping_add(b[i]));
            results[0] = Val::V128(from_u32x4(r));
            Ok(())
        }),
    );
    let imported = Global::new(
        &store,
        GlobalType {
            content: ValType::V128,
            mutable: true,
        },
        Val::V128(from_u32x4([10, 20, 30, 40])),
    )
    .unwrap();
    let i = instantiate(
        &store,
        r#"(module
            (import "host" "f" (func $f (param v128 v128) (result v128)))
            (import "host" "g" (global $g (mut v128)))
            (global $k (export "k") v128 (v128.const i32x4 1 2 3 4))
            (func (export "through_host") (param v128) (result v128)
                (call $f (local.get 0) (global.get $k)))
            (func (export "add_to_global") (param v128) (result v128)
                (global.set $g (i32x4.add (global.get $g) (local.get 0)))
                (global.get $g))
            (func (export "many") (param i32 v128 f64 v128) (result v128 i32 v128)
                (local.get 1) (local.get 0) (i64x2.add (local.get 3) (local.get 1))))"#,
        &[Extern::Func(host), Extern::Global(imported.clone())],
    );
    let r = call_v(&func(&i, "through_host"), &[from_u32x4([5, 6, 7, 8])]);
    assert_eq!(to_u32x4(r), [9, 9, 9, 9]);
    let r = call_v(&func(&i, "add_to_global"), &[from_u32x4([1, 1, 1, 1])]);
    assert_eq!(to_u32x4(r), [11, 21, 31, 41]);
    assert_eq!(v128(&imported.get()), from_u32x4([11, 21, 31, 41]));
    imported.set(Val::V128(u128::MAX)).unwrap();
    let r = call_v(&func(&i, "add_to_global"), &[from_u32x4([1, 0, 0, 0])]);
    assert_eq!(to_u32x4(r), [0, u32::MAX, u32::MAX, u32::MAX]);
    match i.get_export("k") {
        Some(Extern::Global(k)) => assert_eq!(v128(&k.get()), from_u32x4([1, 2, 3, 4])),
        other => panic!("expected the exported global, got {other:?}"),
    }

    // Several v128 values mixed with scalars, both ways.
    let a = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128;
    let b = 1u128 | (1u128 << 64);
    let mut results = [Val::I32(0), Val::I32(0), Val::I32(0)];
    func(&i, "many")
        .call(
            &[Val::I32(7), Val::V128(a), Val::F64(0), Val::V128(b)],
            &mut results,
        )
        .unwrap();
    let lo = (a as u64).wrapping_add(1);
    let hi = ((a >> 64) as u64).wrapping_add(1);
    assert_eq!(v128(&results[0]), a);
    assert!(matches!(results[1], Val::I32(7)), "{:?}", results[1]);
    assert_eq!(v128(&results[2]), u128::from(lo) | (u128::from(hi) << 64));
}

const RELAXED: &str = r#"(module
    (func (export "trunc_s") (param v128) (result v128)
        (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
    (func (export "swizzle") (param v128 v128) (result v128)
        (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
    (func (export "min") (param v128 v128) (result v128)
        (f32x4.relaxed_min (local.get 0) (local.get 1)))
    (func (export "madd") (param v128 v128 v128) (result v128)
        (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
    (func (export "q15mulr") (param v128 v128) (result v128)
        (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
    (func (export "laneselect") (param v128 v128 v128) (result v128)
        (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
    (func (export "dot") (param v128 v128) (result v128)
        (i16x8.relaxed_dot_i8x16_i7x16_s (local.get 0) (local.get 1))))"#;

/// Results of the relaxed operators on inputs the deterministic and the
/// x86 lowerings treat differently, in this order: trunc of NaN, swizzle
/// with index 17, min(-0, +0), madd that only a fused multiply-add keeps
/// exact, q15mulr of i16::MIN squared, laneselect with a mask of 0x80
/// bytes, dot of 1 and -1 bytes.
fn relaxed_results(deterministic: bool) -> Vec<u128> {
    let mut config = Config::new();
    config.set_relaxed_simd_deterministic(deterministic);
    relaxed_results_with(config)
}

fn relaxed_results_with(config: Config) -> Vec<u128> {
    let store = Store::new(&Engine::new(&config).unwrap());
    let i = instantiate(&store, RELAXED, &[]);
    let one_plus = f32::from_bits(0x3f80_0800); // 1 + 2^-12
    let product = -f32::from_bits(0x3f80_1000); // -(1 + 2^-11)
    let bytes: u128 = u128::from_le_bytes(std::array::from_fn(|i| i as u8 + 100));
    vec![
        call_v(&func(&i, "trunc_s"), &[f32x4([f32::NAN; 4])]),
        call_v(&func(&i, "swizzle"), &[bytes, splat8(17)]),
        call_v(&func(&i, "min"), &[f32x4([-0.0; 4]), f32x4([0.0; 4])]),
        call_v(
            &func(&i, "madd"),
            &[
                f32x4([one_plus; 4]),
                f32x4([one_plus; 4]),
                f32x4([product; 4]),
            ],
        ),
        call_v(
            &func(&i, "q15mulr"),
            &[from_u16x8([0x8000; 8]), from_u16x8([0x8000; 8])],
        ),
        call_v(
            &func(&i, "laneselect"),
            &[splat8(0xaa), splat8(0x55), splat8(0x80)],
        ),
        call_v(&func(&i, "dot"), &[splat8(1), splat8(0xff)]),
    ]
}

#[test]
fn relaxed_simd_deterministic_gives_the_specified_results() {
    let r = relaxed_results(true);
    assert_eq!(r[0], 0, "trunc: NaN saturates to 0");
    assert_eq!(r[1], 0, "swizzle: an index past 15 selects 0");
    assert_eq!(r[2], f32x4([-0.0; 4]), "min: -0 is below +0");
    assert_eq!(
        r[3],
        f32x4([f32::from_bits(0x3380_0000); 4]),
        "madd: fused, 2^-24 survives"
    );
    assert_eq!(r[4], from_u16x8([0x7fff; 8]), "q15mulr: saturates");
    assert_eq!(r[5], splat8(0xd5), "laneselect: bitwise select");
    assert_eq!(
        r[6],
        from_u16x8([0xfffe; 8]),
        "dot: signed bytes, 1 * -1 * 2"
    );
}

#[test]
fn relaxed_simd_default_uses_the_hosts_instructions() {
    let r = relaxed_results(false);
    if cfg!(target_arch = "x86_64") {
        // The x86 instructions' results, which the specification allows.
        assert_eq!(r[0], from_u32x4([0x8000_0000; 4]), "cvttps2dq");
        assert_eq!(r[1], splat8(101), "pshufb: index 17 modulo 16");
        assert_eq!(r[2], f32x4([0.0; 4]), "minps: the second operand");
        assert_eq!(r[4], from_u16x8([0x8000; 8]), "pmulhrsw wraps");
        assert_eq!(r[5], splat8(0xaa), "pblendvb: the top bit selects");
        assert_eq!(r[6], from_u16x8([510; 8]), "pmaddubsw: 1 * 255 * 2");
    } else {
        assert_eq!(r, relaxed_results(true));
    }
    // Fused or not, madd gives one of the two allowed results.
    let fused = f32x4([f32::from_bits(0x3380_0000); 4]);
    assert!(r[3] == fused || r[3] == f32x4([0.0; 4]), "{:#x}", r[3]);
}

#[test]
fn nan_canonicalization_covers_vector_float_results() {
    let wat = r#"(module
        (func (export "f32x4") (param v128 v128) (result v128)
            (f32x4.add (local.get 0) (local.get 1)))
        (func (export "f64x2") (param v128 v128) (result v128)
            (f64x2.mul (local.get 0) (local.get 1)))
        (func (export "sqrt") (param v128) (result v128)
            (f32x4.sqrt (local.get 0))))"#;
    let payload32 = from_u32x4([0x7fc0_1234; 4]);
    let payload64 = (0x7ff8_0000_0000_1234u128) | (0x7ff8_0000_0000_1234u128 << 64);
    let one32 = f32x4([1.0; 4]);
    let one64 = {
        let b = u128::from(1.0f64.to_bits());
        b | (b << 64)
    };
    let run = |canonicalize: bool| {
        let mut config = Config::new();
        config.set_cranelift_nan_canonicalization(canonicalize);
        let store = Store::new(&Engine::new(&config).unwrap());
        let i = instantiate(&store, wat, &[]);
        (
            call_v(&func(&i, "f32x4"), &[payload32, one32]),
            call_v(&func(&i, "f64x2"), &[payload64, one64]),
            call_v(&func(&i, "sqrt"), &[payload32]),
        )
    };
    let canonical32 = from_u32x4([0x7fc0_0000; 4]);
    let canonical64 = 0x7ff8_0000_0000_0000u128 | (0x7ff8_0000_0000_0000u128 << 64);
    assert_eq!(run(true), (canonical32, canonical64, canonical32));
    if cfg!(target_arch = "x86_64") {
        // Without canonicalisation the hardware propagates the payload.
        assert_eq!(run(false), (payload32, payload64, payload32));
    }
}

/// On an x86-64 CPU without FMA (the detector hides it and everything
/// above SSE4.2), `relaxed_madd` is a multiply then an add by default and
/// stays fused (one rounding) with `relaxed_simd_deterministic`.
#[cfg(target_arch = "x86_64")]
#[test]
fn relaxed_madd_without_fma_is_fused_only_when_deterministic() {
    use std::is_x86_feature_detected as has;
    let sse42_only = |deterministic: bool| {
        let detect = |feature: &str| -> Option<bool> {
            Some(match feature {
                "sse3" => has!("sse3"),
                "ssse3" => has!("ssse3"),
                "sse4.1" => has!("sse4.1"),
                "sse4.2" => has!("sse4.2"),
                _ => false,
            })
        };
        let mut config = Config::new();
        config.set_relaxed_simd_deterministic(deterministic);
        // SAFETY: a feature is reported present only when the host has it.
        unsafe { config.set_detect_host_feature(Some(std::sync::Arc::new(detect))) };
        relaxed_results_with(config)
    };
    let fused = f32x4([f32::from_bits(0x3380_0000); 4]);
    assert_eq!(sse42_only(false)[3], f32x4([0.0; 4]), "mul then add");
    let deterministic = sse42_only(true);
    assert_eq!(deterministic[3], fused, "fused without FMA too");
    assert_eq!(
        deterministic,
        relaxed_results(true),
        "deterministic is host-independent"
    );
}

/// The bitwise operators work in the lane type their operands come with
/// (float vectors in float instructions): every such type compiles and
/// gives the bits the operators specify.
#[test]
fn bitwise_operators_on_every_lane_type() {
    let mut wat = String::from("(module\n");
    // (producer of operand a) and of b: the same values, made by an
    // operator of each lane type (adding zero keeps the bits, except that
    // f32/f64 -0 + 0 is +0; the inputs below have no -0 lanes).
    let shapes = [
        (
            "f32x4",
            "(f32x4.add (local.get 0) (v128.const f32x4 0 0 0 0))",
        ),
        ("f64x2", "(f64x2.add (local.get 0) (v128.const f64x2 0 0))"),
        (
            "i16x8",
            "(i16x8.add (local.get 0) (v128.const i16x8 0 0 0 0 0 0 0 0))",
        ),
        ("i64x2", "(i64x2.add (local.get 0) (v128.const i64x2 0 0))"),
    ];
    for (shape, a) in shapes {
        let b = a.replace("local.get 0", "local.get 1");
        let c = a.replace("local.get 0", "local.get 2");
        for op in ["and", "andnot", "or", "xor"] {
            wat.push_str(&format!(
                "(func (export \"{shape}.{op}\") (param v128 v128 v128) (result v128) (v128.{op} {a} {b}))\n"
            ));
        }
        wat.push_str(&format!(
            "(func (export \"{shape}.not\") (param v128 v128 v128) (result v128) (v128.not {a}))\n"
        ));
        wat.push_str(&format!(
            "(func (export \"{shape}.bitselect\") (param v128 v128 v128) (result v128) (v128.bitselect {a} {b} {c}))\n"
        ));
    }
    // A float comparison as the mask, float operands: a blend.
    wat.push_str(
        "(func (export \"select_by_lt\") (param v128 v128 v128) (result v128)\n\
         (v128.bitselect (f32x4.mul (local.get 0) (v128.const f32x4 1 1 1 1))\n\
                         (f32x4.mul (local.get 1) (v128.const f32x4 1 1 1 1))\n\
                         (f32x4.lt (local.get 0) (local.get 1))))\n)",
    );
    let store = Store::new(&Engine::default());
    let i = instantiate(&store, &wat, &[]);
    // Finite, positive floats in every lane width: adding +0 keeps them.
    let a = f32x4([1.5, 2.25, 1024.0, 0.125]);
    let b = f32x4([3.0, 0.5, 7.75, 65536.0]);
    let c = 0x00ff_ff00_f0f0_0f0f_1234_5678_9abc_def0u128;
    for (shape, _) in shapes {
        let call = |op: &str| call_v(&func(&i, &format!("{shape}.{op}")), &[a, b, c]);
        assert_eq!(call("and"), a & b, "{shape}.and");
        assert_eq!(call("andnot"), a & !b, "{shape}.andnot");
        assert_eq!(call("or"), a | b, "{shape}.or");
        assert_eq!(call("xor"), a ^ b, "{shape}.xor");
        assert_eq!(call("not"), !a, "{shape}.not");
        assert_eq!(call("bitselect"), (a & c) | (b & !c), "{shape}.bitselect");
    }
    let r = call_v(&func(&i, "select_by_lt"), &[a, b, 0]);
    assert_eq!(r, f32x4([1.5, 0.5, 7.75, 0.125]), "{r:#x}");
}
