//! `Linker`: imports resolved by name instead of by position.
//!
//! A linker maps `(module, name)` to a definition. Two kinds exist:
//! objects of one store (`define`, `instance`, and what `module` makes for
//! reactors), usable only for instantiations in that store, and host
//! functions that belong to no store (`func_new`), of which each
//! instantiation makes a function in its own store. So one linker with
//! host functions serves every store of its engine.
//!
//! Instantiation looks every import of the module up by name, in import
//! order; a missing one is a `Link` error naming `module::name` and the
//! type the module expects, and a definition of the wrong type is the
//! `Link` error of `Instance::new`, naming both types.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::Engine;
use crate::environ::error::{Error, ErrorKind, ImportName};
use crate::environ::{ExternType, FuncType};
use crate::module::Module;
use crate::runtime::{
    AsyncHostCallback, CallFuture, Caller, Extern, Func, Instance, Store, Trap, Val,
};

/// A store-independent host function's implementation (see
/// [`Func::new_with_caller`]); shared by the functions every instantiation
/// makes of it.
pub type LinkerFunc = Arc<dyn Fn(&Caller<'_>, &[Val], &mut [Val]) -> Result<(), Trap>>;

/// What a name is defined as.
#[derive(Clone)]
enum Definition {
    /// An object of one store.
    Extern(Extern),
    /// An object of one store, held without keeping the store alive: only
    /// in the linker snapshot a command's functions keep, which that very
    /// store owns (see `Linker::module`).
    Borrowed(BorrowedExtern),
    /// A host function for any store.
    HostFunc { ty: FuncType, func: LinkerFunc },
}

impl Definition {
    fn ty(&self) -> ExternType {
        match self {
            Definition::Extern(e) => e.ty(),
            Definition::Borrowed(e) => e.0.ty(),
            Definition::HostFunc { ty, .. } => ExternType::Func(ty.clone()),
        }
    }

    /// The definition as an object of `store`: store objects only for
    /// their own store, host functions made afresh in it.
    fn to_extern(&self, store: &Store) -> Option<Extern> {
        match self {
            Definition::Extern(e) => e.store().same(store).then(|| e.clone()),
            Definition::Borrowed(e) => e.0.store().same(store).then(|| Extern::clone(&e.0)),
            Definition::HostFunc { ty, func } => {
                let func = func.clone();
                Some(Extern::Func(Func::new_with_caller(
                    store,
                    ty.clone(),
                    Box::new(
                        move |caller: &Caller<'_>, params: &[Val], results: &mut [Val]| {
                            func(caller, params, results)
                        },
                    ),
                )))
            }
        }
    }
}

/// A handle that takes no count on its store: a bitwise copy of a real
/// handle, never dropped. Valid while the store lives, which the holder
/// guarantees by being owned by the store itself. Cloning it gives another
/// such copy; `Extern::clone(&self.0)` gives a real, counted handle.
struct BorrowedExtern(std::mem::ManuallyDrop<Extern>);

impl BorrowedExtern {
    /// A borrowed copy of `e`.
    ///
    /// # Safety
    /// The copy may only be used while `e`'s store is alive.
    unsafe fn new(e: &Extern) -> BorrowedExtern {
        // SAFETY: a bitwise copy of a handle that is never dropped (it is
        // in a `ManuallyDrop`) gives back no count it did not take; the
        // caller keeps its use within the store's life.
        BorrowedExtern(std::mem::ManuallyDrop::new(unsafe { std::ptr::read(e) }))
    }
}

impl Clone for BorrowedExtern {
    fn clone(&self) -> Self {
        // SAFETY: the copy is held under the same guarantee as `self`.
        unsafe { BorrowedExtern::new(&self.0) }
    }
}

/// Definitions by `(module, name)`, for instantiating modules by name.
/// Cheap to clone (definitions are handles).
#[derive(Clone)]
pub struct Linker {
    engine: Engine,
    allow_shadowing: bool,
    defs: HashMap<(String, String), Definition>,
}

impl Linker {
    /// An empty linker for modules and stores of `engine`.
    pub fn new(engine: &Engine) -> Linker {
        Linker {
            engine: engine.clone(),
            allow_shadowing: false,
            defs: HashMap::new(),
        }
    }

    /// The engine the linker was made for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a definition may replace an earlier one of the same name
    /// (off by default: redefining a name is then an error).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Linker {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition) -> Result<(), Error> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            let import = ImportName::new(module, name);
            return Err(Error::new(
                ErrorKind::Link {
                    import: Some(import.clone()),
                    reason: "defined twice".into(),
                },
                format!(
                    "`{import}` is already defined in the linker (allow shadowing to redefine it)"
                ),
            ));
        }
        self.defs.insert(key, def);
        Ok(())
    }

    fn check_store(&self, store: &Store) -> Result<(), Error> {
        if store.engine().same(&self.engine) {
            Ok(())
        } else {
            Err(Error::link(
                None,
                "the store belongs to a different engine than the linker",
            ))
        }
    }

    /// Defines `module::name` as `item`, an object of `store`.
    pub fn define(
        &mut self,
        store: &Store,
        module: &str,
        name: &str,
        item: Extern,
    ) -> Result<(), Error> {
        self.check_store(store)?;
        if !item.store().same(store) {
            return Err(Error::link(
                Some(ImportName::new(module, name)),
                format!("the {} belongs to a different store", item.kind_name()),
            ));
        }
        self.insert(module, name, Definition::Extern(item))
    }

    /// Defines `module::name` as a host function of type `ty` for every
    /// store: each instantiation that imports it gets a function of its
    /// own store calling `func`.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: LinkerFunc,
    ) -> Result<(), Error> {
        self.insert(module, name, Definition::HostFunc { ty, func })
    }

    /// Defines `module::name` as an async host function of type `ty` for
    /// every store (see [`Func::new_async`]): each call starts `func` and
    /// polls the continuation it returns, suspending the async call it runs
    /// in while the continuation is pending.
    pub fn func_new_async(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: AsyncHostCallback,
    ) -> Result<(), Error> {
        // Atomic counts although the callback is not `Sync`, as for
        // `LinkerFunc`s: the functions made from it live in stores that
        // move between threads (one at a time).
        #[allow(clippy::arc_with_non_send_sync)]
        let wrapped: LinkerFunc = Arc::new(
            move |caller: &Caller<'_>, params: &[Val], results: &mut [Val]| {
                crate::runtime::call_async_host(&func, caller, params, results)
            },
        );
        self.func_new(module, name, ty, wrapped)
    }

    /// Defines every export of `instance` (of `store`) as `name::export`.
    pub fn instance(
        &mut self,
        store: &Store,
        name: &str,
        instance: &Instance,
    ) -> Result<(), Error> {
        self.check_store(store)?;
        if !instance.store().same(store) {
            return Err(Error::link(
                None,
                "the instance belongs to a different store",
            ));
        }
        let exports = instance.module().exports();
        for ((export, _), item) in exports.iter().zip(instance.exports()) {
            self.insert(name, export, Definition::Extern(item))?;
        }
        Ok(())
    }

    /// Defines every function import of `module` that has no definition yet
    /// as a host function that traps saying the import is unknown, so the
    /// module instantiates and fails only if it calls one.
    pub fn define_unknown_imports_as_traps(&mut self, module: &Module) -> Result<(), Error> {
        for (m, n, ty) in module.imports() {
            let ExternType::Func(ty) = ty else { continue };
            if self.defs.contains_key(&(m.clone(), n.clone())) {
                continue;
            }
            let import = ImportName::new(&m, &n);
            let func: LinkerFunc = Arc::new(move |_: &Caller<'_>, _: &[Val], _: &mut [Val]| {
                Err(Trap::new(format!(
                    "unknown import: `{import}` has not been defined"
                )))
            });
            self.insert(&m, &n, Definition::HostFunc { ty, func })?;
        }
        Ok(())
    }

    /// The objects of `store` the imports of `module` resolve to, in
    /// import order.
    fn resolve(&self, store: &Store, module: &Module) -> Result<Vec<Extern>, Error> {
        self.check_store(store)?;
        module
            .imports()
            .into_iter()
            .map(|(m, n, expected)| {
                let import = ImportName::new(&m, &n);
                let def = self.defs.get(&(m, n)).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Link {
                            import: Some(import.clone()),
                            reason: format!("unknown import, expected {}", describe(&expected)),
                        },
                        format!(
                            "unknown import: `{import}` has not been defined (the module expects {})",
                            describe(&expected)
                        ),
                    )
                })?;
                def.to_extern(store).ok_or_else(|| {
                    Error::link(
                        Some(import.clone()),
                        format!(
                            "`{import}` is defined as {} of another store",
                            describe(&def.ty())
                        ),
                    )
                })
            })
            .collect()
    }

    /// Instantiates `module` in `store` with its imports looked up by
    /// name. Fails with a `Link` error for a missing or mismatched import,
    /// or as `Instance::new` does (a `Trap` error when the start function
    /// traps).
    pub fn instantiate(&self, store: &Store, module: &Module) -> Result<Instance, Error> {
        let imports = self.resolve(store, module)?;
        Instance::new(store, module, &imports)
    }

    /// Starts instantiating `module` in `store` asynchronously (needs
    /// `async_support`): imports are resolved now (a `Link` error for a
    /// missing or mismatched one); the returned future creates the
    /// instance and runs its start function on a fiber, so the start
    /// function may call async host functions and yield.
    pub fn instantiate_async(
        &self,
        store: &Store,
        module: &Module,
    ) -> Result<CallFuture<Result<Instance, Error>>, Error> {
        if !store.engine().config().async_support() {
            return Err(Error::config(
                "async_support",
                "instantiate_async needs async support (async_support)",
            ));
        }
        let imports = self.resolve(store, module)?;
        let (store_in, module) = (store.clone(), module.clone());
        CallFuture::new(
            store,
            move || Instance::new(&store_in, &module, &imports),
            |trap| Err(Error::trap(trap)),
        )
        .map_err(Error::trap)
    }

    /// Defines the exports of `module` under `name`, by the WASI
    /// conventions. A command (a module exporting `_start`) is instantiated
    /// afresh for each call of each of its exported functions, which the
    /// linker defines as functions of `store` doing that (the instance
    /// sees the linker's definitions for `store` as they are now). A reactor (anything else) is instantiated
    /// once, now, in `store`; its `_initialize` export, if any, runs; then
    /// its exports are defined like `instance`'s.
    pub fn module(&mut self, store: &Store, name: &str, module: &Module) -> Result<(), Error> {
        self.check_store(store)?;
        let exports = module.exports();
        let is_command = exports
            .iter()
            .any(|(n, ty)| n == "_start" && matches!(ty, ExternType::Func(_)));
        if !is_command {
            let instance = self.instantiate(store, module)?;
            if let Some(Extern::Func(init)) = instance.get_export("_initialize") {
                init.call(&[], &mut []).map_err(Error::trap)?;
            }
            return self.instance(store, name, &instance);
        }
        // The command's functions are functions of `store` and keep what
        // the linker defines now. A counted handle of `store` in there
        // would be a cycle (the store owns the functions), so the objects
        // of `store` are kept borrowed, valid as long as the functions
        // are; objects of other stores are left out (these functions only
        // run in `store`).
        // Atomic counts: the functions holding the snapshot move between
        // threads with their store.
        #[allow(clippy::arc_with_non_send_sync)]
        let snapshot = Arc::new(Linker {
            engine: self.engine.clone(),
            allow_shadowing: self.allow_shadowing,
            defs: self
                .defs
                .iter()
                .filter_map(|(key, def)| {
                    let def = match def {
                        Definition::Extern(e) if e.store().same(store) => {
                            // SAFETY: only the functions made below, which
                            // `store` owns, hold the snapshot.
                            Definition::Borrowed(unsafe { BorrowedExtern::new(e) })
                        }
                        Definition::Extern(_) => return None,
                        other => other.clone(),
                    };
                    Some((key.clone(), def))
                })
                .collect(),
        });
        for (export, ty) in exports {
            let ExternType::Func(ty) = ty else { continue };
            let linker = snapshot.clone();
            let module = module.clone();
            let export_name = export.clone();
            let func = Func::new_with_caller(
                store,
                ty,
                Box::new(
                    move |caller: &Caller<'_>, params: &[Val], results: &mut [Val]| {
                        let instance =
                            linker.instantiate(caller.store(), &module).map_err(|e| {
                                match e.as_trap() {
                                    Some(trap) => trap.clone(),
                                    None => Trap::new(format!("instantiating the command: {e}")),
                                }
                            })?;
                        match instance.get_export(&export_name) {
                            Some(Extern::Func(f)) => f.call(params, results),
                            _ => Err(Trap::new(format!(
                                "the command has no function export `{export_name}`"
                            ))),
                        }
                    },
                ),
            );
            self.insert(name, &export, Definition::Extern(Extern::Func(func)))?;
        }
        Ok(())
    }

    /// The default function of module `name`, as WASI runners call it: its
    /// export `""`, else `_start`, else a function that does nothing.
    pub fn get_default(&self, store: &Store, name: &str) -> Result<Func, Error> {
        self.check_store(store)?;
        for export in ["", "_start"] {
            match self.get(store, name, export) {
                Some(Extern::Func(f)) => return Ok(f),
                Some(other) => {
                    return Err(Error::link(
                        Some(ImportName::new(name, export)),
                        format!(
                            "the default export is a {}, not a function",
                            other.kind_name()
                        ),
                    ))
                }
                None => {}
            }
        }
        Ok(Func::new(
            store,
            FuncType::new([], []),
            Box::new(|_: &[Val], _: &mut [Val]| Ok(())),
        ))
    }

    /// The definition of `module::name` as an object of `store`; `None`
    /// when there is none, or it is an object of another store.
    pub fn get(&self, store: &Store, module: &str, name: &str) -> Option<Extern> {
        if !store.engine().same(&self.engine) {
            return None;
        }
        self.defs
            .get(&(module.to_string(), name.to_string()))?
            .to_extern(store)
    }
}

/// An extern type in words, for messages.
fn describe(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => format!("a function of type {f}"),
        ExternType::Global(g) => format!("a global of type {g}"),
        ExternType::Table(t) => format!("a table of type {t}"),
        ExternType::Memory(m) => format!("a memory of type {m}"),
        ExternType::Tag(t) => format!("a tag of type {t}"),
    }
}

impl std::fmt::Debug for Linker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("definitions", &self.defs.len())
            .field("allow_shadowing", &self.allow_shadowing)
            .finish_non_exhaustive()
    }
}
