//! `ValRaw`: one value slot in the arrays that cross between host and wasm.
//!
//! Trampolines move arguments and results through arrays of these, so the
//! host side needs no per-signature code. Every slot is 16 bytes, holding
//! its value little-endian from offset 0: i32/f32 in the low 4 bytes,
//! i64/f64 and references (pointer-sized) in the low 8, v128 in all 16.

/// A 16-byte value slot; see the module docs for the encoding.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct ValRaw([u8; 16]);

impl ValRaw {
    /// A slot holding an `i32` (zero-extended, so the upper bytes are 0).
    pub fn from_i32(v: i32) -> ValRaw {
        Self::from_u128(v as u32 as u128)
    }
    /// A slot holding an `i64`.
    pub fn from_i64(v: i64) -> ValRaw {
        Self::from_u128(v as u64 as u128)
    }
    /// A slot holding an `f32` given as raw bits (NaN payloads kept).
    pub fn from_f32_bits(bits: u32) -> ValRaw {
        Self::from_u128(bits as u128)
    }
    /// A slot holding an `f64` given as raw bits (NaN payloads kept).
    pub fn from_f64_bits(bits: u64) -> ValRaw {
        Self::from_u128(bits as u128)
    }
    /// A slot holding a `v128`.
    pub fn from_v128(v: u128) -> ValRaw {
        Self::from_u128(v)
    }
    /// A slot holding a reference: a pointer, null for the null reference.
    pub fn from_ptr(p: *mut u8) -> ValRaw {
        Self::from_u128(p as usize as u128)
    }
    fn from_u128(v: u128) -> ValRaw {
        ValRaw(v.to_le_bytes())
    }

    /// The `i32` in the low 4 bytes.
    pub fn get_i32(&self) -> i32 {
        self.get_u128() as u32 as i32
    }
    /// The `i64` in the low 8 bytes.
    pub fn get_i64(&self) -> i64 {
        self.get_u128() as u64 as i64
    }
    /// The raw bits of the `f32` in the low 4 bytes.
    pub fn get_f32_bits(&self) -> u32 {
        self.get_u128() as u32
    }
    /// The raw bits of the `f64` in the low 8 bytes.
    pub fn get_f64_bits(&self) -> u64 {
        self.get_u128() as u64
    }
    /// The `v128` filling all 16 bytes.
    pub fn get_v128(&self) -> u128 {
        self.get_u128()
    }
    /// The reference pointer in the low 8 bytes.
    pub fn get_ptr(&self) -> *mut u8 {
        self.get_u128() as u64 as usize as *mut u8
    }
    fn get_u128(&self) -> u128 {
        u128::from_le_bytes(self.0)
    }
}

impl std::fmt::Debug for ValRaw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ValRaw({:#034x})", self.get_u128())
    }
}

/// Host→wasm trampoline of one signature, compiled by the engine:
/// `(wasm_call, callee_vmctx, caller_vmctx, values)`. It loads the
/// arguments from `values`, calls `wasm_call` with the `tail` convention
/// and stores the results back into `values` (which holds
/// `max(params, results)` slots).
pub type ArrayToWasmTrampoline = unsafe extern "C" fn(
    wasm_call: *const u8,
    callee_vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut ValRaw,
);

/// What a host function's `VMHostFuncContext::array_call` points at; see
/// `vmoffsets::host_func_ctx`. `exit_fp` is the calling wasm→host
/// trampoline's frame pointer. Returns 1 on success, 0 after recording a
/// trap.
pub type HostArrayCall = unsafe extern "C" fn(
    callee_vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut ValRaw,
    len: usize,
    exit_fp: usize,
) -> u32;
