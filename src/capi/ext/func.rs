//! Host functions that see their caller: `wasm_func_new_with_caller`, and
//! `wasm_caller_t`, through which such a function reaches the calling
//! instance's exports (its memory, for the usual `(ptr, len)` plugin ABI)
//! and the store.

use std::ffi::c_void;
use std::sync::Arc;

use crate::capi::func::{new_host_func, wasm_func_t, HostCallback, HostEnv};
use crate::capi::functype::wasm_functype_t;
use crate::capi::panic_guard;
use crate::capi::r#extern::wasm_extern_t;
use crate::capi::store::{wasm_store_t, StoreContext};
use crate::capi::trap::wasm_trap_t;
use crate::capi::vec::wasm_val_vec_t;
use crate::runtime::Caller;

/// Who called a host function made by `wasm_func_new_with_caller` or
/// `wasm_linker_define_func`: lent to the callback for the call only (do
/// not keep the pointer). Objects obtained through it (an export, the
/// store's data) stay valid as such objects always do.
pub struct wasm_caller_t {
    /// The runtime's caller, its lifetime erased: valid while the callback
    /// runs, which is as long as a `wasm_caller_t` exists.
    caller: *const Caller<'static>,
    /// The calling store, as a C handle lent with the caller.
    store: wasm_store_t,
}

impl wasm_caller_t {
    /// The C view of `caller` in the store of `ctx`, for one call.
    pub(crate) fn new(caller: &Caller<'_>, ctx: &Arc<StoreContext>) -> wasm_caller_t {
        wasm_caller_t {
            caller: (caller as *const Caller<'_>).cast(),
            store: wasm_store_t { ctx: ctx.clone() },
        }
    }

    fn caller(&self) -> &Caller<'_> {
        // SAFETY: a `wasm_caller_t` only exists during the callback, while
        // the caller it was made from is alive (see `new`'s use in
        // `HostFunc::call`).
        unsafe { &*self.caller }
    }
}

/// The host callback of `wasm_func_new_with_caller` and
/// `wasm_linker_define_func`: like `wasm_func_callback_with_env_t`, with
/// the caller (lent for the call) as second argument.
pub type wasm_func_callback_with_caller_t = Option<
    unsafe extern "C" fn(
        env: *mut c_void,
        caller: *mut wasm_caller_t,
        args: *const wasm_val_vec_t,
        results: *mut wasm_val_vec_t,
    ) -> *mut wasm_trap_t,
>;

/// The callback type above without the NULL case.
pub(crate) type CallerCallback = unsafe extern "C" fn(
    *mut c_void,
    *mut wasm_caller_t,
    *const wasm_val_vec_t,
    *mut wasm_val_vec_t,
) -> *mut wasm_trap_t;

/// Returns a new host function of `store` with type `ty` (not consumed),
/// owned by the caller: each call runs `callback(env, caller, args,
/// results)`. `finalizer(env)` (if not NULL) runs once, when the function
/// is dropped with its store. On NULL arguments, NULL is returned and the
/// finalizer runs at once.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_new_with_caller(
    store: *mut wasm_store_t,
    ty: Option<&wasm_functype_t>,
    callback: wasm_func_callback_with_caller_t,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> Option<Box<wasm_func_t>> {
    // SAFETY: NULL or a live store (wasm.h contract), borrowed shared.
    let store = unsafe { store.as_ref() };
    let env = HostEnv::new(env, finalizer);
    let (store, ty, callback) = (store?, ty?, callback?);
    panic_guard::or_failure(None, || {
        new_host_func(store, ty, HostCallback::WithCaller(callback, env))
    })
}

/// Returns the calling instance's export called `name` (`name_len` bytes,
/// not NUL-terminated), owned by the caller; NULL when it has no such
/// export, when the host called the function itself (no calling instance),
/// or for NULL arguments.
///
/// # Safety
/// `caller` must be NULL or the caller lent to the running callback;
/// `name` must point at `name_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_caller_export_get(
    caller: Option<&wasm_caller_t>,
    name: *const std::ffi::c_char,
    name_len: usize,
) -> Option<Box<wasm_extern_t>> {
    let caller = caller?;
    // SAFETY: forwarded from the caller.
    let name = unsafe { crate::capi::ext::name_arg(name, name_len) }?;
    panic_guard::or_failure(None, || {
        let ext = caller.caller().get_export(name)?;
        Some(Box::new(wasm_extern_t::new(ext, Some(&caller.store.ctx))))
    })
}

/// The store the call runs in, borrowed for the call (do not delete it);
/// NULL for NULL. Its data (`wasm_store_get_data`), fuel and deadlines are
/// the calling store's.
#[no_mangle]
pub extern "C" fn wasm_caller_store(caller: Option<&wasm_caller_t>) -> *mut wasm_store_t {
    match caller {
        Some(c) => &c.store as *const wasm_store_t as *mut wasm_store_t,
        None => std::ptr::null_mut(),
    }
}
