//! GDB's JIT compilation interface ("JIT Compilation Interface" in the
//! GDB manual), which LLDB implements too: the process defines
//! `__jit_debug_descriptor`, a doubly linked list of in-memory object
//! files, and `__jit_debug_register_code`, an empty function the debugger
//! puts a breakpoint in. To announce a change the process links or unlinks
//! an entry, points `relevant_entry` at it, sets `action_flag` and calls
//! the function; the debugger, stopped there, reads the descriptor and
//! loads (or forgets) the object file the entry names.
//!
//! The names, the layout and version 1 are fixed by GDB. The list is
//! changed only under `LIST`; a debugger reads it while the process is
//! stopped. Each copy of the library in a process has its own descriptor,
//! which GDB handles (it looks for the pair in every object file).

use std::cell::UnsafeCell;
use std::sync::Mutex;

/// `jit_actions_t`.
const JIT_NOACTION: u32 = 0;
const JIT_REGISTER_FN: u32 = 1;
const JIT_UNREGISTER_FN: u32 = 2;

/// `struct jit_code_entry`.
#[repr(C)]
struct JitCodeEntry {
    next_entry: *mut JitCodeEntry,
    prev_entry: *mut JitCodeEntry,
    symfile_addr: *const u8,
    symfile_size: u64,
}

/// `struct jit_descriptor`.
#[repr(C)]
pub struct JitDescriptor {
    version: u32,
    action_flag: u32,
    relevant_entry: *mut JitCodeEntry,
    first_entry: *mut JitCodeEntry,
}

/// The descriptor's storage: a plain C object the debugger reads by
/// symbol name, changed only under `LIST`.
#[repr(transparent)]
pub struct DescriptorCell(UnsafeCell<JitDescriptor>);

// SAFETY: every access from Rust happens with `LIST` held (`with_list`);
// the debugger only reads it while the process is stopped.
unsafe impl Sync for DescriptorCell {}

/// The descriptor GDB looks up by name. Version 1 is set statically: GDB
/// may read it before any code is registered.
#[no_mangle]
pub static __jit_debug_descriptor: DescriptorCell =
    DescriptorCell(UnsafeCell::new(JitDescriptor {
        version: 1,
        action_flag: JIT_NOACTION,
        relevant_entry: std::ptr::null_mut(),
        first_entry: std::ptr::null_mut(),
    }));

/// The function GDB breaks in. It must exist as a real call: never
/// inlined, and with a body the optimizer cannot see through (an empty
/// `asm!` counts as having side effects), so the call is not removed.
#[no_mangle]
#[inline(never)]
pub extern "C" fn __jit_debug_register_code() {
    // SAFETY: an empty instruction sequence; it touches no memory or
    // registers and only stops the compiler from dropping the call.
    unsafe { std::arch::asm!("", options(nostack, preserves_flags)) };
}

/// Serializes changes to the list (every engine and thread of this copy
/// of the library shares one descriptor).
static LIST: Mutex<()> = Mutex::new(());

/// Runs `f` on the descriptor with `LIST` held. A raw pointer, not a
/// reference: the debugger reads the descriptor behind the compiler's
/// back (in `__jit_debug_register_code`), so no store to it may be
/// assumed dead; every store goes through `write_volatile`.
fn with_list<T>(f: impl FnOnce(*mut JitDescriptor) -> T) -> T {
    let _guard = LIST.lock().unwrap_or_else(|e| e.into_inner());
    f(__jit_debug_descriptor.0.get())
}

/// An object file registered with the debugger; dropping it unregisters
/// it. The file's bytes and the list entry live on the heap, at addresses
/// that do not change while registered.
pub struct Registration {
    /// A `Box` turned into a raw pointer (other entries point at it too),
    /// freed by `drop`.
    entry: *mut JitCodeEntry,
    /// The ELF image `entry` points at.
    _image: Box<[u8]>,
}

// SAFETY: the raw pointers in `entry` are only followed or changed under
// `LIST`; the image they point at is owned and never mutated.
unsafe impl Send for Registration {}
// SAFETY: as for `Send`; `&Registration` gives no access to the entry.
unsafe impl Sync for Registration {}

impl Registration {
    /// Links `image` (an ELF object file) into the list and tells the
    /// debugger about it.
    pub fn new(image: Box<[u8]>) -> Registration {
        let ptr = Box::into_raw(Box::new(JitCodeEntry {
            next_entry: std::ptr::null_mut(),
            prev_entry: std::ptr::null_mut(),
            symfile_addr: image.as_ptr(),
            symfile_size: image.len() as u64,
        }));
        with_list(|descriptor| {
            // SAFETY: `descriptor` is the live static, and list entries
            // are live `Registration`s' boxes; both are changed only under
            // `LIST`, which is held.
            unsafe {
                let first = (*descriptor).first_entry;
                std::ptr::write_volatile(&raw mut (*ptr).next_entry, first);
                if !first.is_null() {
                    std::ptr::write_volatile(&raw mut (*first).prev_entry, ptr);
                }
                std::ptr::write_volatile(&raw mut (*descriptor).first_entry, ptr);
                notify(descriptor, ptr, JIT_REGISTER_FN);
            }
        });
        Registration {
            entry: ptr,
            _image: image,
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let ptr = self.entry;
        with_list(|descriptor| {
            // SAFETY: as in `new`; `prev` and `next` are live entries of
            // the list (their owners unlink them, under `LIST`, before
            // they are freed).
            unsafe {
                let (prev, next) = ((*ptr).prev_entry, (*ptr).next_entry);
                if prev.is_null() {
                    std::ptr::write_volatile(&raw mut (*descriptor).first_entry, next);
                } else {
                    std::ptr::write_volatile(&raw mut (*prev).next_entry, next);
                }
                if !next.is_null() {
                    std::ptr::write_volatile(&raw mut (*next).prev_entry, prev);
                }
                notify(descriptor, ptr, JIT_UNREGISTER_FN);
            }
        });
        // SAFETY: made by `Box::into_raw` in `new`, unlinked above (no
        // other entry points at it any more), freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// Tells an attached debugger that `entry` was registered or unregistered
/// (the debugger, stopped in `__jit_debug_register_code`, reads the
/// descriptor).
///
/// # Safety
/// `LIST` is held and `descriptor` is the live descriptor.
unsafe fn notify(descriptor: *mut JitDescriptor, entry: *mut JitCodeEntry, action: u32) {
    // SAFETY: the caller holds `LIST`; the descriptor is a live static.
    unsafe {
        std::ptr::write_volatile(&raw mut (*descriptor).relevant_entry, entry);
        std::ptr::write_volatile(&raw mut (*descriptor).action_flag, action);
        __jit_debug_register_code();
        std::ptr::write_volatile(&raw mut (*descriptor).action_flag, JIT_NOACTION);
        std::ptr::write_volatile(&raw mut (*descriptor).relevant_entry, std::ptr::null_mut());
    }
}
