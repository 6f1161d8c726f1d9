//! `wasm_func_t`: functions, from wasm or the host, and calling them.

use std::ffi::c_void;
use std::sync::{Arc, Weak};

use crate::capi::ext::func::{wasm_caller_t, CallerCallback};
use crate::capi::functype::wasm_functype_t;
use crate::capi::panic_guard;
use crate::capi::r#ref::{
    self as refs, ref_wrapper, wasm_ref_t, HostInfoFinalizer, RefKind, RefWrapper,
};
use crate::capi::store::{ctx_of, wasm_store_t, StoreContext};
use crate::capi::trap::wasm_trap_t;
use crate::capi::val::wasm_val_t;
use crate::capi::valtype::value_kind_of;
use crate::capi::values::{c_to_val, val_to_c};
use crate::capi::vec::{wasm_val_vec_t, CVec};
use crate::module::{FuncType, ValType};
use crate::runtime::scratch::Scratch;
use crate::runtime::{Caller, Func, Trap, Val};

/// Up to this many values of a call convert without a heap allocation.
const INLINE_VALUES: usize = 8;

/// A function: exported by an instance or defined by the host. Owned
/// handles are freed with `wasm_func_delete`.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_func_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_func_t, RefKind::Func(_));

impl wasm_func_t {
    pub(crate) fn func(&self) -> &Func {
        match &self.r.kind {
            RefKind::Func(f) => f,
            _ => unreachable!("a wasm_func_t always holds a function"),
        }
    }
}

/// A host function: reads `args`, writes `results` (pre-sized to the
/// result arity, each element zeroed with its result's kind) and returns
/// NULL, or returns a trap (owned by the runtime from then on). References
/// in `args` are lent for the call; references written into `results` are
/// owned by the runtime from then on (write a new handle, such as
/// `wasm_ref_copy` or `wasm_foreign_as_ref(wasm_foreign_copy(f))` gives,
/// not a borrowed one).
pub type wasm_func_callback_t = Option<
    unsafe extern "C" fn(
        args: *const wasm_val_vec_t,
        results: *mut wasm_val_vec_t,
    ) -> *mut wasm_trap_t,
>;

/// Like `wasm_func_callback_t`, with the `env` given to
/// `wasm_func_new_with_env` as first argument.
pub type wasm_func_callback_with_env_t = Option<
    unsafe extern "C" fn(
        env: *mut c_void,
        args: *const wasm_val_vec_t,
        results: *mut wasm_val_vec_t,
    ) -> *mut wasm_trap_t,
>;

/// The host's environment pointer and its finalizer, which runs once when
/// the function is dropped (with its store).
pub(crate) struct HostEnv {
    env: *mut c_void,
    finalizer: Option<HostInfoFinalizer>,
}

impl HostEnv {
    /// The host's `env` with the finalizer to run once it is dropped.
    pub(crate) fn new(env: *mut c_void, finalizer: Option<HostInfoFinalizer>) -> HostEnv {
        HostEnv { env, finalizer }
    }

    /// The embedder's pointer, passed to its callbacks.
    pub(crate) fn data(&self) -> *mut c_void {
        self.env
    }
}

// SAFETY: the environment is opaque to us and only passed back to the
// host's callback and finalizer, on whichever thread uses the store; the
// wasm.h contract makes the host responsible for its thread safety.
unsafe impl Send for HostEnv {}
// SAFETY: as above; we never access the pointee.
unsafe impl Sync for HostEnv {}

impl Drop for HostEnv {
    fn drop(&mut self) {
        if let Some(finalizer) = self.finalizer.take() {
            // SAFETY: the host gave us this finalizer for this environment
            // and expects exactly one call, which `take` guarantees.
            unsafe { finalizer(self.env) }
        }
    }
}

/// The host's callback, with or without an environment or its caller.
pub(crate) enum HostCallback {
    Plain(unsafe extern "C" fn(*const wasm_val_vec_t, *mut wasm_val_vec_t) -> *mut wasm_trap_t),
    WithEnv(
        unsafe extern "C" fn(
            *mut c_void,
            *const wasm_val_vec_t,
            *mut wasm_val_vec_t,
        ) -> *mut wasm_trap_t,
        HostEnv,
    ),
    WithCaller(CallerCallback, HostEnv),
}

/// Everything a C host function needs when wasm (or the host) calls it.
pub(crate) struct HostFunc {
    callback: HostCallback,
    results: Box<[ValType]>,
    /// The store state refs in arguments and results belong to; weak, since
    /// the runtime store owns this function and the store state keeps the
    /// runtime store alive. `None` for a linker's definition, shared by
    /// every store: the state is then the calling store's.
    ctx: Option<Weak<StoreContext>>,
    /// Whether any parameter or result is a reference: only references
    /// need `ctx`, so calls of other signatures skip upgrading it (two
    /// atomic operations per call).
    uses_refs: bool,
}

impl HostFunc {
    /// A host function returning `results`, calling `callback`, for the
    /// store of `ctx` (`None`: for whichever store calls it).
    pub(crate) fn new(
        ty: &FuncType,
        callback: HostCallback,
        ctx: Option<Weak<StoreContext>>,
    ) -> HostFunc {
        HostFunc {
            uses_refs: matches!(callback, HostCallback::WithCaller(..))
                || ty
                    .params
                    .iter()
                    .chain(ty.results.iter())
                    .any(|t| t.is_ref()),
            callback,
            results: ty.results.clone(),
            ctx,
        }
    }

    /// Converts the arguments to C, runs the callback and converts its
    /// results back; a trap it returns comes back unchanged.
    pub(crate) fn call(
        &self,
        caller: &Caller<'_>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), Trap> {
        let ctx = if self.uses_refs {
            match &self.ctx {
                Some(weak) => weak.upgrade(),
                None => ctx_of(caller.store()),
            }
        } else {
            None
        };
        let ctx = ctx.as_ref();
        let mut args = Scratch::<_, INLINE_VALUES>::new();
        args.extend(params.len(), params.iter().map(|v| val_to_c(v, ctx)));
        let mut outs = Scratch::<_, INLINE_VALUES>::new();
        outs.extend(
            self.results.len(),
            self.results
                .iter()
                .map(|t| wasm_val_t::zeroed(value_kind_of(*t))),
        );
        let args_slice = args.as_mut_slice();
        let args_vec = wasm_val_vec_t::from_raw_parts(args_slice.len(), args_slice.as_mut_ptr());
        let outs_slice = outs.as_mut_slice();
        let outs_data = outs_slice.as_mut_ptr();
        let mut outs_vec = wasm_val_vec_t::from_raw_parts(outs_slice.len(), outs_data);

        // SAFETY: the callback is the host's, called per the wasm.h
        // contract: `args` points at initialised values it may read,
        // `results` at pre-sized slots it writes.
        let trap = unsafe {
            match &self.callback {
                HostCallback::Plain(cb) => cb(&args_vec, &mut outs_vec),
                HostCallback::WithEnv(cb, env) => cb(env.env, &args_vec, &mut outs_vec),
                HostCallback::WithCaller(cb, env) => match ctx {
                    Some(ctx) => {
                        let mut c_caller = wasm_caller_t::new(caller, ctx);
                        cb(env.env, &mut c_caller, &args_vec, &mut outs_vec)
                    }
                    None => std::ptr::null_mut(),
                },
            }
        };
        if ctx.is_none() && matches!(self.callback, HostCallback::WithCaller(..)) {
            return Err(Trap::new(
                "host function called in a store whose C state is gone",
            ));
        }
        for arg in args.as_mut_slice() {
            drop(arg.take_ref());
        }

        let outcome = if !trap.is_null() {
            // SAFETY: a non-NULL result is an owned trap (wasm.h contract).
            let trap = unsafe { Box::from_raw(trap) };
            Err(trap.trap().clone())
        } else if outs_vec.raw_parts() != (self.results.len(), outs_data) {
            // Whatever the host put there is left alone: it may not be an
            // allocation of ours to free.
            Err(Trap::new(
                "host function replaced its results vector instead of writing into it",
            ))
        } else {
            self.convert_results(outs.as_mut_slice(), results, ctx)
        };
        for out in outs.as_mut_slice() {
            drop(out.take_ref());
        }
        outcome
    }

    fn convert_results(
        &self,
        outs: &[wasm_val_t],
        results: &mut [Val],
        ctx: Option<&Arc<StoreContext>>,
    ) -> Result<(), Trap> {
        for (i, ((out, slot), ty)) in outs
            .iter()
            .zip(results.iter_mut())
            .zip(self.results.iter())
            .enumerate()
        {
            *slot = c_to_val(out, Some(*ty), ctx)
                .map_err(|e| Trap::new(format!("host function result {i}: {e}")))?;
        }
        Ok(())
    }
}

/// Makes a host function of `store`.
pub(crate) fn new_host_func(
    store: &wasm_store_t,
    ty: &wasm_functype_t,
    callback: HostCallback,
) -> Option<Box<wasm_func_t>> {
    let ty: FuncType = ty.func_type()?.clone();
    let host = HostFunc::new(&ty, callback, Some(Arc::downgrade(&store.ctx)));
    let func = Func::new_with_caller(
        &store.ctx.store,
        ty,
        Box::new(
            move |caller: &Caller<'_>, params: &[Val], results: &mut [Val]| {
                host.call(caller, params, results)
            },
        ),
    );
    Some(Box::new(wasm_func_t {
        r: wasm_ref_t {
            kind: RefKind::Func(func),
            ctx: Some(store.ctx.clone()),
        },
    }))
}

/// Returns a new host function of `store` with type `ty` (not consumed)
/// calling `callback`, owned by the caller; NULL if an argument is NULL.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_new(
    store: *mut wasm_store_t,
    ty: Option<&wasm_functype_t>,
    callback: wasm_func_callback_t,
) -> Option<Box<wasm_func_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let (store, ty, callback) = (store?, ty?, callback?);
    panic_guard::or_failure(None, || {
        new_host_func(store, ty, HostCallback::Plain(callback))
    })
}

/// Like `wasm_func_new`, passing `env` to every call of `callback`;
/// `finalizer(env)` (if not NULL) runs once, when the function is dropped
/// with its store. On NULL arguments, NULL is returned and the finalizer
/// runs at once.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_new_with_env(
    store: *mut wasm_store_t,
    ty: Option<&wasm_functype_t>,
    callback: wasm_func_callback_with_env_t,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> Option<Box<wasm_func_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let env = HostEnv { env, finalizer };
    let (store, ty, callback) = (store?, ty?, callback?);
    panic_guard::or_failure(None, || {
        new_host_func(store, ty, HostCallback::WithEnv(callback, env))
    })
}

/// Returns the function's type, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_func_type(func: Option<&wasm_func_t>) -> Option<Box<wasm_functype_t>> {
    Some(wasm_functype_t::from_func_type(&func?.func().ty()))
}

/// The number of parameters the function takes; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_func_param_arity(func: Option<&wasm_func_t>) -> usize {
    func.map_or(0, |f| f.func().param_arity())
}

/// The number of results the function returns; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_func_result_arity(func: Option<&wasm_func_t>) -> usize {
    func.map_or(0, |f| f.func().result_arity())
}

/// Calls the function with `args` (not consumed) and writes its results
/// into `results`, which must be pre-sized to the result arity (the caller
/// owns the references written there). Returns NULL on success, else a
/// trap owned by the caller: one raised by wasm or a host function, or one
/// saying the call was malformed (NULL function, wrong number or kinds of
/// arguments, wrong results size, a value of another store).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_call(
    func: Option<&wasm_func_t>,
    args: Option<&wasm_val_vec_t>,
    results: *mut wasm_val_vec_t,
) -> Option<Box<wasm_trap_t>> {
    let Some(func) = func else {
        return Some(wasm_trap_t::boxed(
            Trap::new("wasm_func_call: the function is NULL"),
            None,
        ));
    };
    let ctx = func.r.ctx.as_ref();
    panic_guard::or_trap("wasm_func_call", ctx, || {
        // SAFETY: forwarded from the caller.
        unsafe { call(func, args, results) }
    })
}

/// The body of `wasm_func_call` for a non-NULL function.
///
/// # Safety
/// As for `wasm_func_call`.
unsafe fn call(
    func: &wasm_func_t,
    args: Option<&wasm_val_vec_t>,
    results: *mut wasm_val_vec_t,
) -> Option<Box<wasm_trap_t>> {
    let ctx = func.r.ctx.as_ref();
    let malformed = |message: String| Some(wasm_trap_t::boxed(Trap::new(message), ctx));

    // SAFETY: the C caller passes NULL or a vector of initialised values.
    let args = args.map_or(&[][..], |a| unsafe { a.as_slice() });
    // SAFETY: the C caller passes NULL or a vector whose `size` slots it
    // owns and we may write.
    let results = match unsafe { results.as_mut() } {
        // SAFETY: `r` is that vector, so its `data` holds `size` slots we may write.
        Some(r) => unsafe { r.as_mut_slice() },
        None => &mut [],
    };

    let mut params = Scratch::<_, INLINE_VALUES>::new();
    let converted = params.try_extend(args.len(), args.iter().map(|a| c_to_val(a, None, ctx)));
    if let Err((i, e)) = converted {
        return malformed(format!("wasm_func_call: argument {i}: {e}"));
    }
    // Placeholders the callee overwrites.
    let mut outs = Scratch::<_, INLINE_VALUES>::new();
    outs.extend(results.len(), std::iter::repeat_with(|| Val::I32(0)));
    match func.func().call(params.as_mut_slice(), outs.as_mut_slice()) {
        Ok(()) => {
            for (slot, val) in results.iter_mut().zip(outs.as_mut_slice().iter()) {
                // The slot may hold uninitialised C memory; `write` neither
                // reads nor drops it.
                // SAFETY: `slot` is a valid, exclusive element of `results`.
                unsafe { std::ptr::write(slot, val_to_c(val, ctx)) };
            }
            None
        }
        Err(trap) => Some(wasm_trap_t::boxed(trap, ctx)),
    }
}

/// Frees a handle of a function; the object itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_func_delete(func: Option<Box<wasm_func_t>>) {
    drop(func);
}

/// Returns a new handle of the same function, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_func_copy(func: Option<&wasm_func_t>) -> Option<Box<wasm_func_t>> {
    refs::copy(func)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_func_same(a: Option<&wasm_func_t>, b: Option<&wasm_func_t>) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_func_get_host_info(func: Option<&wasm_func_t>) -> *mut c_void {
    refs::host_info(func)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_set_host_info(func: *mut wasm_func_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(func, info, None) };
}

/// Attaches `info` to the object like `wasm_func_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_set_host_info_with_finalizer(
    func: *mut wasm_func_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(func, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_func_as_ref(func: *mut wasm_func_t) -> *mut wasm_ref_t {
    refs::as_ref(func)
}

/// The reference seen as a function (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_func(r: *mut wasm_ref_t) -> *mut wasm_func_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_func_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_func_as_ref_const(func: Option<&wasm_func_t>) -> Option<&wasm_ref_t> {
    func.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_func`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_func_const(r: Option<&wasm_ref_t>) -> Option<&wasm_func_t> {
    r.and_then(refs::downcast)
}
