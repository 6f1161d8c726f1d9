//! Functions: wasm functions of instances and host functions, the `Func`
//! handle, and the shim through which wasm calls host functions.

use super::async_call::{AsyncHostCallback, CallFuture};
use super::instance::InstanceData;
use super::scratch::Scratch;
use super::store::{Store, StoreInner};
use super::trap::Trap;
use super::traphandlers;
use super::val::Val;
use super::vm::{VMFuncRef, VMHostFuncContext};
use crate::environ::error::panic_message;
use crate::environ::val_raw::ValRaw;
use crate::environ::FuncType;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

/// A host function's implementation: reads `params`, writes `results`
/// (pre-filled with zeros/nulls of the result types), or returns a trap
/// that reaches the wasm caller's caller unchanged.
pub type HostCallback = Box<dyn Fn(&[Val], &mut [Val]) -> Result<(), Trap>>;

/// Like [`HostCallback`], seeing who called: the instance whose wasm made
/// the call (its exports, such as its memory) and the store.
pub type HostCallbackWithCaller = Box<dyn Fn(&Caller<'_>, &[Val], &mut [Val]) -> Result<(), Trap>>;

/// Who called a host function: the store, and the instance whose wasm
/// code made the call (none when the host called the function itself).
/// Lent for the duration of the call only.
pub struct Caller<'a> {
    store: &'a Store,
    /// The calling wasm code's `VMContext`; null for calls by the host.
    vmctx: *mut u8,
}

impl<'a> Caller<'a> {
    /// The caller of a call made by the host (no instance).
    pub(crate) fn host(store: &'a Store) -> Caller<'a> {
        Caller {
            store,
            vmctx: std::ptr::null_mut(),
        }
    }

    /// The store the call runs in.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// The instance whose wasm code made the call; `None` when the host
    /// called the function directly. Looked up only when asked, so calls
    /// that never ask pay nothing.
    pub fn instance(&self) -> Option<super::instance::Instance> {
        if self.vmctx.is_null() {
            return None;
        }
        let data = self.store.instance_by_vmctx(self.vmctx)?;
        Some(super::instance::Instance::from_data(self.store, data))
    }

    /// The calling instance's export called `name`; `None` when it has no
    /// such export or the host made the call.
    pub fn get_export(&self, name: &str) -> Option<super::externals::Extern> {
        self.instance()?.get_export(name)
    }
}

/// Up to this many values (the larger of the parameter and result
/// counts) cross a call into wasm without a heap allocation. Four: the
/// buffer is in `Func::call`'s frame, which stays live at every level of
/// nested wasm→host→wasm calls (eight slots cost 25 of 386 levels in the
/// default stack).
const INLINE_VALUES: usize = 4;

/// Up to this many arguments (and as many results) reach a host callback
/// without a heap allocation (a `Val` is larger than a raw slot).
const INLINE_HOST_VALUES: usize = 4;

/// A host function's state.
pub(crate) struct HostFunc {
    ty: FuncType,
    callback: HostCallbackWithCaller,
    /// The context wasm calls it through; its `func_ref` is canonical.
    ctx: Box<VMHostFuncContext>,
    /// Why the wasm→host trampoline could not be compiled, if it could not:
    /// the function then works from the host but cannot be given to wasm.
    trampoline_error: Option<String>,
}

pub(crate) enum FuncKind {
    /// Defined function `index` (whole function index space) of an instance.
    Wasm {
        instance: NonNull<InstanceData>,
        index: u32,
        func_ref: *const VMFuncRef,
    },
    Host(HostFunc),
}

/// The runtime's record of one function, owned by its store (host
/// functions) or by its instance (wasm functions).
pub(crate) struct FuncData {
    store: *const StoreInner,
    kind: FuncKind,
}

impl FuncData {
    pub(crate) fn new_wasm(
        store: &Store,
        instance: NonNull<InstanceData>,
        index: u32,
        func_ref: *const VMFuncRef,
    ) -> FuncData {
        FuncData {
            store: store.as_raw(),
            kind: FuncKind::Wasm {
                instance,
                index,
                func_ref,
            },
        }
    }

    pub(crate) fn ty(&self) -> &FuncType {
        match &self.kind {
            FuncKind::Wasm {
                instance, index, ..
            } => {
                // SAFETY: the instance is owned by the same store as this
                // function and lives as long as it.
                let instance = unsafe { instance.as_ref() };
                instance.module().canonical_func_type(*index)
            }
            FuncKind::Host(h) => &h.ty,
        }
    }

    pub(crate) fn func_ref(&self) -> *const VMFuncRef {
        match &self.kind {
            FuncKind::Wasm { func_ref, .. } => *func_ref,
            FuncKind::Host(h) => &h.ctx.func_ref,
        }
    }

    /// Runs the host callback for a call from wasm: `values` holds the
    /// arguments and receives the results.
    ///
    /// # Safety
    /// `values` must point at `len >= max(params, results)` slots holding
    /// arguments of this function's type produced by code of `store`, this
    /// function's store.
    unsafe fn call_host_from_wasm(
        &self,
        store: &Store,
        caller_vmctx: *mut u8,
        values: *mut ValRaw,
        len: usize,
    ) -> Result<(), Trap> {
        let FuncKind::Host(host) = &self.kind else {
            return Err(Trap::new(
                "internal: wasm called a wasm function through the host shim",
            ));
        };
        let ty = &host.ty;
        if len < ty.params.len().max(ty.results.len()) {
            return Err(Trap::new("internal: host call with too few value slots"));
        }
        // SAFETY: the caller guarantees `len` valid slots.
        let values = unsafe { std::slice::from_raw_parts_mut(values, len) };
        let mut params = Scratch::<Val, INLINE_HOST_VALUES>::new();
        params.extend(
            ty.params.len(),
            values.iter().zip(ty.params.iter()).map(|(raw, t)| {
                // SAFETY: the slots hold arguments of these types from this
                // store.
                unsafe { Val::from_raw(store, raw, *t) }
            }),
        );
        let mut results = Scratch::<Val, INLINE_HOST_VALUES>::new();
        results.extend(
            ty.results.len(),
            ty.results.iter().map(|t| Val::default_for(*t)),
        );
        let caller = Caller {
            store,
            vmctx: caller_vmctx,
        };
        (host.callback)(&caller, params.as_slice(), results.as_mut_slice())?;
        check_results(store, ty, results.as_slice())?;
        for (slot, v) in values.iter_mut().zip(results.as_slice()) {
            *slot = v.to_raw();
        }
        Ok(())
    }
}

/// Checks what a host callback wrote into its results.
fn check_results(store: &Store, ty: &FuncType, results: &[Val]) -> Result<(), Trap> {
    for (i, (v, t)) in results.iter().zip(ty.results.iter()).enumerate() {
        if !v.matches(*t) {
            return Err(Trap::new(format!(
                "host function returned a {} as result {i}, its type says {t}",
                v.ty()
            )));
        }
        if !v.belongs_to(store) {
            return Err(Trap::new(format!(
                "host function returned a reference of another store as result {i}"
            )));
        }
        if let Val::FuncRef(Some(f)) = v {
            f.check_usable_by_wasm()
                .map_err(|e| Trap::new(e.to_string()))?;
        }
    }
    Ok(())
}

/// `VMHostFuncContext::array_call` of every host function: the entry from
/// the engine's wasm→host trampolines. Never unwinds: traps and panics are
/// recorded in the thread's innermost activation, with the wasm frames
/// below the call, and reported by returning 0, after which the trampoline
/// traps with `HostTrap`.
unsafe extern "C" fn host_array_call(
    callee_vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut ValRaw,
    len: usize,
    exit_fp: usize,
) -> u32 {
    // SAFETY: called by the trampoline, on the thread running its wasm,
    // with the trampoline's frame pointer.
    let call = unsafe { traphandlers::HostCall::begin(exit_fp, caller_vmctx) };
    // SAFETY: host functions' `VMFuncRef`s carry their own context as
    // `vmctx`, and the context's `func` points at the live record.
    let func = unsafe { &*(*callee_vmctx.cast::<VMHostFuncContext>()).func };
    // SAFETY: the store is alive while wasm code of it runs, which lasts
    // the whole call; borrowed rather than counted, as a count would cost
    // two atomic operations per call.
    let store = unsafe { Store::borrow_raw(func.store) };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the trampoline passes its spill array of `len` slots,
        // filled by code of the function's store.
        unsafe { func.call_host_from_wasm(&store, caller_vmctx, values, len) }
    }));
    match outcome {
        Ok(Ok(())) => 1,
        failed => host_call_failed(call, &store, failed),
    }
}

/// The failure path of `host_array_call`: records the trap (or the
/// panic, as a trap) for the trampoline to raise and returns 0. Out of
/// line and cold, so that the message formatting and the backtrace walk
/// take no room in the frame every successful host call makes.
#[cold]
#[inline(never)]
fn host_call_failed(
    call: traphandlers::HostCall,
    store: &Store,
    outcome: std::thread::Result<Result<(), Trap>>,
) -> u32 {
    let trap = match outcome {
        Ok(Ok(())) => return 1,
        Ok(Err(trap)) => trap,
        Err(payload) => Trap::new(format!(
            "host function panicked: {}",
            panic_message(&*payload)
        )),
    };
    call.fail(store, trap);
    0
}

/// A function of a store: exported by an instance or defined by the host.
#[derive(Clone)]
pub struct Func {
    store: Store,
    data: NonNull<FuncData>,
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for Func {}

impl Func {
    /// A host function of type `ty` implemented by `callback`.
    pub fn new(store: &Store, ty: FuncType, callback: HostCallback) -> Func {
        Func::new_with_caller(
            store,
            ty,
            Box::new(move |_: &Caller<'_>, params: &[Val], results: &mut [Val]| {
                callback(params, results)
            }),
        )
    }

    /// A host function of type `ty` implemented by `callback`, which is
    /// told who called it (see [`Caller`]).
    pub fn new_with_caller(store: &Store, ty: FuncType, callback: HostCallbackWithCaller) -> Func {
        let engine = store.engine();
        let runtime = engine.runtime();
        let (wasm_call, trampoline_error) = match runtime.trampolines(&ty) {
            Ok((_, wasm_to_host)) => (wasm_to_host, None),
            Err(e) => (std::ptr::null(), Some(format!("{e:#}"))),
        };
        let type_id = super::type_registry::canonical_id(&ty);
        let mut ctx = Box::new(VMHostFuncContext {
            array_call: host_array_call,
            func_ref: VMFuncRef::NULL,
            func: std::ptr::null(),
        });
        let ctx_ptr: *mut VMHostFuncContext = &mut *ctx;
        ctx.func_ref = VMFuncRef {
            wasm_call,
            vmctx: ctx_ptr.cast(),
            type_id,
            _pad: 0,
        };
        let mut data = Box::new(FuncData {
            store: store.as_raw(),
            kind: FuncKind::Host(HostFunc {
                ty,
                callback,
                ctx,
                trampoline_error,
            }),
        });
        let data_ptr: *const FuncData = &*data;
        if let FuncKind::Host(h) = &mut data.kind {
            h.ctx.func = data_ptr;
        }
        let data = store.adopt_host_func(data, ctx_ptr.cast());
        Func::from_data(store, data)
    }

    pub(crate) fn from_data(store: &Store, data: NonNull<FuncData>) -> Func {
        Func {
            store: store.clone(),
            data,
        }
    }

    pub(crate) fn data(&self) -> &FuncData {
        // SAFETY: the store (or its instance) owns the data and
        // `self.store` keeps it alive.
        unsafe { self.data.as_ref() }
    }

    /// The canonical `VMFuncRef` wasm refers to this function by.
    pub(crate) fn func_ref_ptr(&self) -> *const VMFuncRef {
        self.data().func_ref()
    }

    /// Fails when wasm cannot call this function (a host function whose
    /// trampoline failed to compile).
    pub(crate) fn check_usable_by_wasm(&self) -> anyhow::Result<()> {
        match &self.data().kind {
            FuncKind::Host(HostFunc {
                trampoline_error: Some(e),
                ..
            }) => anyhow::bail!(
                "host function of type {} cannot be called by wasm: {e}",
                self.ty()
            ),
            _ => Ok(()),
        }
    }

    /// The function's type, in canonical form (concrete references as
    /// canonical ids).
    pub fn ty(&self) -> FuncType {
        self.data().ty().clone()
    }

    /// The canonical id of the function's type (what `call_indirect`
    /// compares and `(ref $t)` requires).
    pub fn type_id(&self) -> u32 {
        // SAFETY: a function's `VMFuncRef` lives as long as its data.
        unsafe { (*self.func_ref_ptr()).type_id }
    }

    /// The number of parameters.
    pub fn param_arity(&self) -> usize {
        self.data().ty().params.len()
    }

    /// The number of results.
    pub fn result_arity(&self) -> usize {
        self.data().ty().results.len()
    }

    /// The store the function belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether both handles refer to the same function.
    pub fn same(&self, other: &Func) -> bool {
        self.data == other.data
    }

    /// A hashable identity of the function: equal for two handles exactly
    /// when `same` is true, and stable while any handle of it exists (the
    /// address of its record, which the store owns and never moves).
    pub fn id(&self) -> usize {
        self.data.as_ptr() as usize
    }

    /// Calls the function. Wrong arity, wrong value kinds and references of
    /// another store are reported as traps; a trap returned by a host
    /// function arrives unchanged.
    ///
    /// With `async_support` on, only code already running in an async call
    /// of the store (a host function it called) may call synchronously:
    /// anywhere else the call is refused, as the reference does; use
    /// [`Func::call_async`].
    pub fn call(&self, params: &[Val], results: &mut [Val]) -> Result<(), Trap> {
        if self.store.engine().config().async_support()
            && !super::async_call::on_fiber_of(&self.store)
        {
            return Err(refused_sync_call());
        }
        let data = self.data();
        let ty = data.ty();
        self.check_call(ty, params, results)?;
        match &data.kind {
            FuncKind::Host(host) => {
                for (r, t) in results.iter_mut().zip(ty.results.iter()) {
                    *r = Val::default_for(*t);
                }
                (host.callback)(&Caller::host(&self.store), params, results)?;
                check_results(&self.store, ty, results)
            }
            FuncKind::Wasm {
                instance,
                index,
                func_ref,
            } => {
                // SAFETY: the instance lives as long as the store.
                let instance = unsafe { instance.as_ref() };
                let module = instance.module();
                let trampoline =
                    module.array_to_wasm_trampoline(module.info().functions[*index as usize]);
                // SAFETY: the funcref lives in the instance's `VMContext`.
                let func_ref = unsafe { **func_ref };
                let n = params.len().max(results.len());
                let mut values = Scratch::<ValRaw, INLINE_VALUES>::new();
                values.extend(
                    n,
                    (0..n).map(|i| params.get(i).map_or(ValRaw::default(), Val::to_raw)),
                );
                let values = values.as_mut_slice();
                // SAFETY: the trampoline matches the function's type, the
                // array holds `max(params, results)` slots of checked
                // arguments, and the funcref's code and context are live.
                unsafe {
                    traphandlers::enter_wasm(
                        &self.store,
                        trampoline,
                        func_ref.wasm_call,
                        func_ref.vmctx,
                        func_ref.vmctx,
                        values.as_mut_ptr(),
                    )?;
                }
                for ((r, raw), t) in results.iter_mut().zip(values.iter()).zip(ty.results.iter()) {
                    // SAFETY: the trampoline stored results of these types.
                    *r = unsafe { Val::from_raw(&self.store, raw, *t) };
                }
                Ok(())
            }
        }
    }
}

/// Why `Func::call` refuses: async support is on.
#[cold]
fn refused_sync_call() -> Trap {
    Trap::new(
        "async_support: this store's engine has async support, so its functions must be \
         called asynchronously (wasm_func_call_async / Func::call_async)",
    )
}

impl Func {
    /// Starts an async call of the function: the returned future runs it
    /// on a fiber of its own, from its first poll until it finishes or
    /// suspends (in an async host function, or at a fuel or epoch yield),
    /// and gives the results or the trap. Arity and argument errors, and
    /// an engine without `async_support`, are refused here.
    pub fn call_async(
        &self,
        params: &[Val],
        result_count: usize,
    ) -> Result<CallFuture<Result<Vec<Val>, Trap>>, Trap> {
        if !self.store.engine().config().async_support() {
            return Err(Trap::new(
                "call_async: async support is not enabled (async_support)",
            ));
        }
        let ty = self.data().ty();
        let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
        if result_count != results.len() {
            // Reported by `check_call` with the expected count.
            results = (0..result_count).map(|_| Val::I32(0)).collect();
        }
        self.check_call(ty, params, &results)?;
        let func = self.clone();
        let params = params.to_vec();
        CallFuture::new(
            &self.store,
            move || func.call(&params, &mut results).map(|()| results),
            Err,
        )
    }

    /// A host function of type `ty` that may suspend the async call it is
    /// called in: `callback` starts the work and returns a continuation
    /// (or `None` when it finished at once) that is polled, once at first
    /// and then at each poll of the call, until it is ready. Called outside
    /// an async call, it traps.
    pub fn new_async(store: &Store, ty: FuncType, callback: AsyncHostCallback) -> Func {
        Func::new_with_caller(
            store,
            ty,
            Box::new(
                move |caller: &Caller<'_>, params: &[Val], results: &mut [Val]| {
                    super::async_call::call_async_host(&callback, caller, params, results)
                },
            ),
        )
    }

    /// Checks a call's arity, value kinds and stores. Kept out of line so
    /// that its message formatting does not grow `call`'s frame, which
    /// every nested host→wasm call pays for on the wasm stack.
    #[inline(never)]
    fn check_call(&self, ty: &FuncType, params: &[Val], results: &[Val]) -> Result<(), Trap> {
        if params.len() != ty.params.len() {
            return Err(Trap::new(format!(
                "function of type {ty} called with {} arguments, expected {}",
                params.len(),
                ty.params.len()
            )));
        }
        if results.len() != ty.results.len() {
            return Err(Trap::new(format!(
                "function of type {ty} called with room for {} results, expected {}",
                results.len(),
                ty.results.len()
            )));
        }
        for (i, (v, t)) in params.iter().zip(ty.params.iter()).enumerate() {
            if !v.matches(*t) {
                return Err(Trap::new(format!(
                    "argument {i} of function of type {ty} is a {}, expected {t}",
                    v.ty()
                )));
            }
            if !v.belongs_to(&self.store) {
                return Err(Trap::new(format!(
                    "argument {i} is a reference of another store"
                )));
            }
            if let Val::FuncRef(Some(f)) = v {
                f.check_usable_by_wasm()
                    .map_err(|e| Trap::new(format!("argument {i}: {e}")))?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Func")
            .field("ty", self.data().ty())
            .finish_non_exhaustive()
    }
}
