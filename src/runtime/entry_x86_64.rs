//! The host→wasm entry and trap landing pad for x86-64 (System V).
//!
//! `wr_enter_wasm(jmpbuf, trampoline, wasm_call, callee_vmctx,
//! caller_vmctx, values) -> u32` saves the callee-saved registers and the
//! stack pointer in `jmpbuf`, calls `trampoline(wasm_call, callee_vmctx,
//! caller_vmctx, values)` and returns 0. `wr_resume_trap(jmpbuf)` (entered
//! by the signal handler rewriting the faulting context) restores them and
//! makes that same `wr_enter_wasm` call return 1. Only wasm frames and
//! trampolines lie between the two, so nothing that owns resources is
//! skipped.
//!
//! `wr_raise_trap(vmctx, code)` is the `RaiseTrap` builtin, called by code
//! compiled without signals-based traps. It passes the trap code and the
//! trapping wasm frame's return address, frame pointer and stack pointer to
//! `traphandlers::raise_trap_at` (under a frame of its own, which keeps the
//! stack 16-byte aligned), which records the trap and ends in
//! `wr_resume_trap`: it never returns.
//!
//! `wr_throw_ref(vmctx, exn)` is the `ThrowRef` builtin (called with the
//! `tail` convention, whose first two integer arguments are those of
//! System V): it passes the exception and the throwing wasm frame's return
//! address, frame pointer and stack pointer to `traphandlers::throw_at`,
//! which never returns: it ends in `wr_resume_exception(pc, sp, fp, exn)`,
//! which sets the handler frame's stack and frame pointers, puts the
//! exception in the first payload register (rax) and jumps to the
//! handler, or in `wr_resume_trap` when nothing catches it.
//!
//! `wr_gc_alloc_struct(vmctx, ty)` and `wr_gc_alloc_array(vmctx, ty, len)`
//! are the allocation builtins, which may collect garbage: they add the
//! calling wasm frame's return address, frame pointer and stack pointer
//! at the call (where its stack map's slots are) as the next arguments
//! and jump to `libcalls::gc_alloc_*_at`, which returns to wasm directly.
//!
//! jmpbuf layout (8-byte words): rbx, rbp, r12, r13, r14, r15, rsp.

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl wr_enter_wasm",
    ".hidden wr_enter_wasm",
    ".type wr_enter_wasm,@function",
    "wr_enter_wasm:",
    ".cfi_startproc",
    "push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "mov [rdi + 0], rbx",
    "mov [rdi + 8], rbp",
    "mov [rdi + 16], r12",
    "mov [rdi + 24], r13",
    "mov [rdi + 32], r14",
    "mov [rdi + 40], r15",
    "mov [rdi + 48], rsp",
    "mov rax, rsi",
    "mov rdi, rdx",
    "mov rsi, rcx",
    "mov rdx, r8",
    "mov rcx, r9",
    "call rax",
    "xor eax, eax",
    "pop rbp",
    ".cfi_def_cfa rsp, 8",
    "ret",
    ".cfi_endproc",
    ".size wr_enter_wasm, . - wr_enter_wasm",
    "",
    ".p2align 4",
    ".globl wr_resume_trap",
    ".hidden wr_resume_trap",
    ".type wr_resume_trap,@function",
    "wr_resume_trap:",
    "mov rbx, [rdi + 0]",
    "mov rbp, [rdi + 8]",
    "mov r12, [rdi + 16]",
    "mov r13, [rdi + 24]",
    "mov r14, [rdi + 32]",
    "mov r15, [rdi + 40]",
    "mov rsp, [rdi + 48]",
    "mov eax, 1",
    "pop rbp",
    "ret",
    ".size wr_resume_trap, . - wr_resume_trap",
    "",
    ".p2align 4",
    ".globl wr_raise_trap",
    ".hidden wr_raise_trap",
    ".type wr_raise_trap,@function",
    "wr_raise_trap:",
    ".cfi_startproc",
    "mov edi, esi",
    "mov rsi, [rsp]",
    "mov rdx, rbp",
    "lea rcx, [rsp + 8]",
    "push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "call {raise_trap_at}",
    // Not reached: `raise_trap_at` never returns.
    "ud2",
    ".cfi_endproc",
    ".size wr_raise_trap, . - wr_raise_trap",
    "",
    ".p2align 4",
    ".globl wr_throw_ref",
    ".hidden wr_throw_ref",
    ".type wr_throw_ref,@function",
    "wr_throw_ref:",
    ".cfi_startproc",
    "mov rdi, rsi",
    "mov rsi, [rsp]",
    "mov rdx, rbp",
    "lea rcx, [rsp + 8]",
    "push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "call {throw_at}",
    // Not reached: `throw_at` never returns.
    "ud2",
    ".cfi_endproc",
    ".size wr_throw_ref, . - wr_throw_ref",
    "",
    ".p2align 4",
    ".globl wr_resume_exception",
    ".hidden wr_resume_exception",
    ".type wr_resume_exception,@function",
    "wr_resume_exception:",
    "mov rsp, rsi",
    "mov rbp, rdx",
    "mov rax, rcx",
    "jmp rdi",
    ".size wr_resume_exception, . - wr_resume_exception",
    "",
    ".p2align 4",
    ".globl wr_gc_alloc_struct",
    ".hidden wr_gc_alloc_struct",
    ".type wr_gc_alloc_struct,@function",
    "wr_gc_alloc_struct:",
    "mov rdx, [rsp]",
    "mov rcx, rbp",
    "lea r8, [rsp + 8]",
    "jmp {gc_alloc_struct_at}",
    ".size wr_gc_alloc_struct, . - wr_gc_alloc_struct",
    "",
    ".p2align 4",
    ".globl wr_gc_alloc_array",
    ".hidden wr_gc_alloc_array",
    ".type wr_gc_alloc_array,@function",
    "wr_gc_alloc_array:",
    "mov rcx, [rsp]",
    "mov r8, rbp",
    "lea r9, [rsp + 8]",
    "jmp {gc_alloc_array_at}",
    ".size wr_gc_alloc_array, . - wr_gc_alloc_array",
    raise_trap_at = sym super::traphandlers::raise_trap_at,
    throw_at = sym super::traphandlers::throw_at,
    gc_alloc_struct_at = sym super::libcalls::gc_alloc_struct_at,
    gc_alloc_array_at = sym super::libcalls::gc_alloc_array_at,
);

/// Words of saved state in a jump buffer.
pub(crate) const JMPBUF_WORDS: usize = 7;
