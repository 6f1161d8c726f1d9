//! One collection of a store's GC heap: mark everything reachable from
//! the roots, then sweep the heap and the store's host values.
//!
//! The roots are every place a reference of the `any` or `extern`
//! hierarchy can be while wasm is stopped at a safepoint: the slots the
//! stack maps of the wasm frames on this thread's stack name (the
//! allocating frame's, then its callers', through every activation of the
//! store), the host's handles (`AnyRef`, `ExternRef`, each counted in the
//! store's root table while it exists), globals, table elements, passive
//! element segments and the payloads of exception objects. Exception
//! objects and functions are not collected (they live as long as their
//! store), so references from them are roots and references to them are
//! not followed.

use super::MARK_BIT;
use crate::environ::gc_layout::{
    struct_layout, ARRAY_ELEMS_OFFSET, ARRAY_LEN_OFFSET, KIND_ARRAY, KIND_EXTERN, KIND_OFFSET,
    KIND_STRUCT, TYPE_ID_OFFSET,
};
use crate::environ::{CompositeType, StorageType, ValType};
use crate::runtime::type_registry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Where the references inside objects of one type are.
#[derive(Clone, Debug)]
pub(crate) enum Trace {
    /// A struct: the offsets of its reference fields of the `any` and
    /// `extern` hierarchies.
    Struct(Box<[u32]>),
    /// An array whose elements are such references.
    RefArray,
    /// Nothing to follow (numbers, packed integers, function and
    /// exception references).
    Leaf,
}

/// The traces of a store's types by canonical id. Looked up once per
/// traced object, so keyed with a multiplicative hash of the id instead of
/// SipHash (ids are small integers the store's own code produced).
pub(crate) type Traces = HashMap<u32, Trace, BuildHasherDefault<IdHasher>>;

/// A hasher for `u32` keys: Fibonacci hashing of the value.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

fn is_traced(storage: StorageType) -> bool {
    matches!(storage, StorageType::Val(t @ ValType::Ref(_)) if t.is_any_ref() || t.is_extern_ref())
}

/// The trace of the type with canonical id `type_id`.
fn trace_of(type_id: u32) -> Trace {
    match type_registry::sub_type(type_id).map(|t| t.composite) {
        Some(CompositeType::Struct(fields)) => {
            let layout = struct_layout(&fields);
            let offsets: Box<[u32]> = fields
                .iter()
                .zip(layout.offsets.iter())
                .filter(|(f, _)| is_traced(f.storage))
                .map(|(_, &o)| o)
                .collect();
            if offsets.is_empty() {
                Trace::Leaf
            } else {
                Trace::Struct(offsets)
            }
        }
        Some(CompositeType::Array(element)) if is_traced(element.storage) => Trace::RefArray,
        _ => Trace::Leaf,
    }
}

/// Marks the object `word` refers to, if it is one and is not marked yet,
/// and pushes it on `stack` for tracing.
///
/// # Safety
/// As for `Marker::mark_root`.
unsafe fn mark(stack: &mut Vec<usize>, marked: &mut usize, word: usize) {
    if word == 0 || word & 1 == 1 {
        return;
    }
    // SAFETY: forwarded: objects start with the 8-byte header.
    let kind = unsafe { &mut *((word + KIND_OFFSET as usize) as *mut u32) };
    if *kind & MARK_BIT != 0 {
        return;
    }
    *kind |= MARK_BIT;
    *marked += 1;
    if *kind & !MARK_BIT != KIND_EXTERN {
        stack.push(word);
    }
}

/// The mark phase: marks every object reachable from the words given to
/// `mark_root`, following references with an explicit stack.
pub(crate) struct Marker<'a> {
    traces: &'a mut Traces,
    stack: Vec<usize>,
    /// Objects marked in this collection.
    pub(crate) marked: usize,
}

impl<'a> Marker<'a> {
    pub(crate) fn new(traces: &'a mut Traces) -> Marker<'a> {
        Marker {
            traces,
            stack: Vec::new(),
            marked: 0,
        }
    }

    /// Marks the object `word` refers to, if it is one and is not marked
    /// yet, and queues it for tracing.
    ///
    /// # Safety
    /// `word` must be null, an i31 word or the address of a live object of
    /// the store being collected (a struct, an array or a host value).
    pub(crate) unsafe fn mark_root(&mut self, word: usize) {
        // SAFETY: forwarded.
        unsafe { mark(&mut self.stack, &mut self.marked, word) }
    }

    /// Traces every queued object until none is left.
    pub(crate) fn drain(&mut self) {
        let Marker {
            traces,
            stack,
            marked,
        } = self;
        while let Some(object) = stack.pop() {
            // SAFETY: only live struct and array objects are queued.
            let (type_id, kind) = unsafe {
                (
                    ((object + TYPE_ID_OFFSET as usize) as *const u32).read(),
                    ((object + KIND_OFFSET as usize) as *const u32).read() & !MARK_BIT,
                )
            };
            let trace = traces.entry(type_id).or_insert_with(|| trace_of(type_id));
            match (&*trace, kind) {
                (Trace::Struct(offsets), KIND_STRUCT) => {
                    for offset in offsets.iter() {
                        // SAFETY: the offset is a reference field's, inside
                        // the live struct; the field holds a word of the
                        // store.
                        unsafe {
                            let word = ((object + *offset as usize) as *const usize).read();
                            mark(stack, marked, word)
                        };
                    }
                }
                (Trace::RefArray, KIND_ARRAY) => {
                    // SAFETY: a live array's length and word elements.
                    unsafe {
                        let len = ((object + ARRAY_LEN_OFFSET as usize) as *const u32).read();
                        let elems = (object + ARRAY_ELEMS_OFFSET as usize) as *const usize;
                        for i in 0..len as usize {
                            mark(stack, marked, elems.add(i).read());
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
