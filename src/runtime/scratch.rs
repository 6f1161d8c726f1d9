//! `Scratch`: the values of one call, on the stack. The one inline value
//! buffer of the call path: the runtime's host→wasm calls hold their
//! `ValRaw` slots in it, the C API its converted `Val`s and `wasm_val_t`s.

use std::mem::{ManuallyDrop, MaybeUninit};

/// An error that cannot happen.
enum Never {}

/// A buffer of values built for one call: on the stack when there are at
/// most `N` (chosen by each user so that calls of ordinary signatures
/// never touch the heap), else on the heap. Only the slots in use are ever
/// written or dropped; filling all of them would cost more than the call a
/// scratch buffer serves.
pub(crate) struct Scratch<T, const N: usize> {
    inline: [MaybeUninit<T>; N],
    /// How many leading slots of `inline` are initialised.
    inline_len: usize,
    /// Used only when the items do not fit inline. Dropped by hand, so that
    /// the drop of a scratch that never spilled is one inlined test.
    heap: ManuallyDrop<Vec<T>>,
}

impl<T, const N: usize> Scratch<T, N> {
    /// An empty buffer. Fill it in place ([`Scratch::extend`],
    /// [`Scratch::try_extend`]): it is large, and moving it would cost
    /// more than the call it serves.
    #[inline]
    pub(crate) fn new() -> Scratch<T, N> {
        Scratch {
            inline: [const { MaybeUninit::uninit() }; N],
            inline_len: 0,
            heap: ManuallyDrop::new(Vec::new()),
        }
    }

    /// Fills an empty buffer with the first `len` items, where `len` is
    /// what the iterator yields.
    #[inline]
    pub(crate) fn extend(&mut self, len: usize, items: impl IntoIterator<Item = T>) {
        if let Err((_, never)) = self.try_extend(len, items.into_iter().map(Ok::<T, Never>)) {
            match never {}
        }
    }

    /// Like [`Scratch::extend`] for fallible items: the first error, with
    /// the index of its item, ends the filling.
    #[inline]
    pub(crate) fn try_extend<E>(
        &mut self,
        len: usize,
        items: impl IntoIterator<Item = Result<T, E>>,
    ) -> Result<(), (usize, E)> {
        debug_assert!(self.inline_len == 0 && self.heap.is_empty(), "fill once");
        let items = items.into_iter().take(len).enumerate();
        if len > N {
            self.heap.reserve_exact(len);
            for (i, item) in items {
                self.heap.push(item.map_err(|e| (i, e))?);
            }
        } else {
            for (i, item) in items {
                // Counted as soon as it is written, so a later error (or a
                // panic) drops exactly the initialised slots.
                self.inline[i].write(item.map_err(|e| (i, e))?);
                self.inline_len = i + 1;
            }
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        if self.inline_len > 0 {
            // SAFETY: the first `inline_len` slots are initialised, and
            // `MaybeUninit<T>` has the layout of `T`.
            unsafe { std::slice::from_raw_parts(self.inline.as_ptr().cast::<T>(), self.inline_len) }
        } else {
            &self.heap
        }
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        if self.inline_len > 0 {
            // SAFETY: the first `inline_len` slots are initialised, and
            // `MaybeUninit<T>` has the layout of `T`.
            unsafe {
                std::slice::from_raw_parts_mut(
                    self.inline.as_mut_ptr().cast::<T>(),
                    self.inline_len,
                )
            }
        } else {
            &mut self.heap
        }
    }
}

impl<T, const N: usize> Drop for Scratch<T, N> {
    // Inlined so that a call's scratch of plain numbers costs no call to
    // drop glue (wasm_func_call drops two per call).
    #[inline]
    fn drop(&mut self) {
        let initialised = self.inline_len;
        if initialised != 0 {
            self.inline_len = 0;
            // SAFETY: exactly the first `initialised` slots hold values,
            // each dropped once here (the count is cleared first).
            unsafe {
                std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(
                    self.inline.as_mut_ptr().cast::<T>(),
                    initialised,
                ))
            }
        }
        if self.heap.capacity() != 0 {
            // SAFETY: `heap` is dropped here only, once, and never used
            // again (this is the scratch's drop); a vector that never
            // allocated holds nothing to drop.
            unsafe { ManuallyDrop::drop(&mut self.heap) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    const INLINE_VALUES: usize = 8;

    #[test]
    fn inline_and_heap_hold_the_items_and_drop_each_once() {
        let token = Rc::new(());
        for len in [0, 1, INLINE_VALUES, INLINE_VALUES + 1, 3 * INLINE_VALUES] {
            let mut s = Scratch::<_, INLINE_VALUES>::new();
            s.extend(len, (0..len).map(|i| (i, token.clone())));
            assert_eq!(s.as_mut_slice().len(), len);
            assert!(s
                .as_mut_slice()
                .iter()
                .enumerate()
                .all(|(i, (j, _))| i == *j));
            assert_eq!(Rc::strong_count(&token), len + 1);
            drop(s);
            assert_eq!(Rc::strong_count(&token), 1);
        }
    }

    #[test]
    fn an_error_drops_what_was_collected() {
        let token = Rc::new(());
        for len in [4, 2 * INLINE_VALUES] {
            let items = (0..len).map(|i| {
                if i == 3 {
                    Err("bad")
                } else {
                    Ok(token.clone())
                }
            });
            let mut s = Scratch::<_, INLINE_VALUES>::new();
            let Err((at, e)) = s.try_extend(len, items) else {
                panic!("expected an error")
            };
            // The items before the error stay until the buffer is dropped.
            assert_eq!(s.as_mut_slice().len(), 3);
            drop(s);
            assert_eq!((at, e), (3, "bad"));
            assert_eq!(Rc::strong_count(&token), 1);
        }
    }
}
